/* utp-records.c
 * Where the uTP (BEP 29) first-pass records live: the connections, one
 * analysis record per frame (utp_frame_t), the reassembly's record of the
 * frames that deliver or show bytes (utp_reasm_frame_t) and the side record
 * of what few frames have (utp_frame_rare_t).  Each kind sits in a slab
 * (lib/btcommon/slab.h) in file scope and is named by a 32-bit handle, and
 * a dense index maps a frame number to its record: 4-byte handles instead
 * of 8-byte pointers, and no allocation of its own per record, keep the
 * per-frame cost low on captures of millions of packets.  Records never
 * move, so a pointer to one stays valid until the file is closed.
 */
#include "utp-int.h"
#include "slab.h"
#include "common/bt-file-slab.h"

/* Records per slab chunk: a chunk is about 16-32 KiB, so a file's last,
 * partly used chunk of each kind wastes at most that. */
#define UTP_FRAMES_PER_CHUNK 512u   /* 52 bytes each */
#define UTP_RFS_PER_CHUNK    256u   /* 96 bytes each */
#define UTP_RARES_PER_CHUNK  512u   /* 48 bytes each */
#define UTP_CONNS_PER_CHUNK   32u   /* several hundred bytes each: captures hold few */

static bt_slab_t utp_frame_slab, utp_rf_slab, utp_rare_slab, utp_conn_slab;
static bt_index_t utp_frame_index;   /* frame number -> utp_frame_slab handle */

void
utp_records_init(void)
{
    /* the previous file's records went with its file scope */
    bt_slab_init(&utp_frame_slab, &bt_file_allocator, sizeof(utp_frame_t), UTP_FRAMES_PER_CHUNK);
    bt_slab_init(&utp_rf_slab, &bt_file_allocator, sizeof(utp_reasm_frame_t), UTP_RFS_PER_CHUNK);
    bt_slab_init(&utp_rare_slab, &bt_file_allocator, sizeof(utp_frame_rare_t), UTP_RARES_PER_CHUNK);
    bt_slab_init(&utp_conn_slab, &bt_file_allocator, sizeof(utp_conn_t), UTP_CONNS_PER_CHUNK);
    bt_index_init(&utp_frame_index, &bt_file_allocator);
}

static guint32
utp_slab_new_or_abort(bt_slab_t *s)
{
    return bt_file_slab_new(s, "uTP");
}

utp_frame_t *
utp_frame_new(guint32 num)
{
    guint32 h = utp_slab_new_or_abort(&utp_frame_slab);
    if (!bt_index_set(&utp_frame_index, num, h))
        g_error("uTP: no room in the frame index");
    return (utp_frame_t *)bt_slab_get(&utp_frame_slab, h);
}

utp_frame_t *
utp_frame_lookup(guint32 num)
{
    return (utp_frame_t *)bt_slab_get(&utp_frame_slab, bt_index_get(&utp_frame_index, num));
}

utp_conn_t *
utp_conn_alloc(void)
{
    guint32 h = utp_slab_new_or_abort(&utp_conn_slab);
    utp_conn_t *c = (utp_conn_t *)bt_slab_get(&utp_conn_slab, h);
    c->stream = h - 1;
    return c;
}

utp_conn_t *
utp_conn_by_stream(guint32 stream)
{
    return (utp_conn_t *)bt_slab_get(&utp_conn_slab, stream + 1);
}

uint32_t
utp_analysis_stream_count(void)
{
    return utp_conn_slab.used;
}

utp_reasm_frame_t *
utp_rf_new(guint32 *handle)
{
    *handle = utp_slab_new_or_abort(&utp_rf_slab);
    return (utp_reasm_frame_t *)bt_slab_get(&utp_rf_slab, *handle);
}

utp_reasm_frame_t *
utp_rf_at(guint32 handle)
{
    return (utp_reasm_frame_t *)bt_slab_get(&utp_rf_slab, handle);
}

void
utp_rf_unnew(guint32 handle)
{
    bt_slab_unnew(&utp_rf_slab, handle);
}

const utp_frame_rare_t *
utp_rare_at(guint32 handle)
{
    return (const utp_frame_rare_t *)bt_slab_get(&utp_rare_slab, handle);
}

utp_frame_rare_t *
utp_rare(utp_frame_t *fa)
{
    if (!fa->rare)
        fa->rare = utp_slab_new_or_abort(&utp_rare_slab);
    return (utp_frame_rare_t *)bt_slab_get(&utp_rare_slab, fa->rare);
}
