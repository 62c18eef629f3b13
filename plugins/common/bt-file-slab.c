/* bt-file-slab.c
 * The library's allocator over Wireshark's file scope, and slab records
 * that are there or abort (bt-file-slab.h).  Not tied to any BEP.
 */
#include <epan/packet.h>

#include "common/bt-file-slab.h"

static void *bt_file_alloc(void *ctx _U_, size_t size)
{
    return wmem_alloc(wmem_file_scope(), size);
}

static void bt_file_release(void *ctx _U_, void *ptr)
{
    wmem_free(wmem_file_scope(), ptr);
}

const bt_allocator_t bt_file_allocator = { bt_file_alloc, bt_file_release, NULL };

guint32 bt_file_slab_new(bt_slab_t *s, const char *who)
{
    guint32 h = bt_slab_new(s);
    if (!h)
        g_error("%s: no room for another record", who);
    return h;
}
