/* bt-file-slab.h
 * What the first-pass record stores of uTP (plugins/utp/utp-records.c, and
 * the library's sequence analysis) and btpeer (btpeer-records.c) share: the
 * library's allocator (lib/btcommon/btalloc.h) over Wireshark's file scope,
 * so their slabs go when the file is closed, and a new slab record that is
 * there or aborts.  Not tied to any BEP.
 */
#ifndef BT_FILE_SLAB_H
#define BT_FILE_SLAB_H

#include <glib.h>

#include "btalloc.h"
#include "slab.h"

extern const bt_allocator_t bt_file_allocator;

/* A new zeroed record's handle.  Out of memory is not a state a dissector
 * can show: like wmem, it aborts (who: the protocol, for the message). */
guint32 bt_file_slab_new(bt_slab_t *s, const char *who);

#endif
