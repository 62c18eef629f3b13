/* btpeer-records.c
 * Where the peer wire's (BEP 3) first-pass records live: one record per
 * frame the peer wire claimed, cut PDUs from or found encrypted (MSE: which
 * calls held encrypted bytes only), one analysis record per PDU
 * (btpeer_pdu_t: request links, torrent, piece copy) and the side record of
 * what few PDUs have (btpeer_pdu_rare_t).  All sit
 * in slabs (lib/btcommon/slab.h) in file scope: no allocation of their own
 * and no per-frame proto data entry, which on a capture of a bulk transfer
 * (one Piece every dozen packets, a Request and a Have for each) cost more
 * than the records themselves.  The first pass visits frames in order, so
 * frame records are appended in frame order and found again by binary
 * search, and a frame's PDU records are consecutive: the frame record names
 * the first and counts them.  Records never move, so a pointer to one stays
 * valid until the file is closed.
 */
#include <epan/packet.h>

#include "btpeer.h"
#include "slab.h"
#include "common/bt-file-slab.h"

typedef struct {
    guint32  frame;       /* key: frame number (bt_slab_find needs it first) */
    guint32  first_pdu;   /* handle of its first PDU record, 0: none yet     */
    guint32  pdus;        /* its PDU records, consecutive from first_pdu     */
    guint8   claimed;     /* a heuristic accepted this frame (TCP)           */
    guint8   encrypted;   /* bit c-1: call c held encrypted bytes only (MSE) */
} btpeer_frame_t;

/* Calls a frame's record can mark encrypted: a frame is usually one call
 * (uTP may add one for the rest of a chunk); later calls keep a start
 * record of their own (packet-btpeer.c). */
#define BTPEER_ENCRYPTED_CALLS 8u

/* Records per chunk: chunks of about 8-16 KiB, so the last, partly used
 * chunk of each kind wastes at most that. */
#define BTPEER_FRAMES_PER_CHUNK 512u   /* 16 bytes each */
#define BTPEER_PDUS_PER_CHUNK   512u   /* 32 bytes each */
#define BTPEER_RARES_PER_CHUNK  256u   /* 40 bytes each */

static bt_slab_t frame_slab, pdu_slab, rare_slab;
/* The record found last: a frame is asked for several times in a row (each
 * PDU, each call), so the search runs once per frame and pass. */
static btpeer_frame_t *found;

static void records_init(void)
{
    /* the previous file's records went with its file scope */
    bt_slab_init(&frame_slab, &bt_file_allocator, sizeof(btpeer_frame_t), BTPEER_FRAMES_PER_CHUNK);
    bt_slab_init(&pdu_slab, &bt_file_allocator, sizeof(btpeer_pdu_t), BTPEER_PDUS_PER_CHUNK);
    bt_slab_init(&rare_slab, &bt_file_allocator, sizeof(btpeer_pdu_rare_t), BTPEER_RARES_PER_CHUNK);
    found = NULL;
}

static guint32 slab_new_or_abort(bt_slab_t *s)
{
    return bt_file_slab_new(s, "btpeer");
}

static btpeer_frame_t *frame_find(guint32 num)
{
    btpeer_frame_t *last;

    if (found && found->frame == num)
        return found;
    /* the first pass asks for the latest record: no search */
    last = (btpeer_frame_t *)bt_slab_get(&frame_slab, frame_slab.used);
    if (!last || last->frame == num)
        return last;
    found = (btpeer_frame_t *)bt_slab_get(&frame_slab, bt_slab_find(&frame_slab, num));
    return found;
}

/* This frame's record, made on the first pass; NULL on later passes when
 * the first kept nothing, or should a frame come out of order (the search
 * relies on the order, so such a frame keeps nothing). */
static btpeer_frame_t *frame_record(packet_info *pinfo)
{
    btpeer_frame_t *f = frame_find(pinfo->num);
    btpeer_frame_t *last;

    if (f || PINFO_FD_VISITED(pinfo))
        return f;
    last = (btpeer_frame_t *)bt_slab_get(&frame_slab, frame_slab.used);
    if (last && last->frame > pinfo->num)
        return NULL;
    f = (btpeer_frame_t *)bt_slab_get(&frame_slab, slab_new_or_abort(&frame_slab));
    f->frame = pinfo->num;
    return f;
}

btpeer_pdu_t *btpeer_pdu_record(packet_info *pinfo, guint idx)
{
    btpeer_frame_t *f = frame_record(pinfo);
    guint32 h;

    if (f && idx < f->pdus)
        return (btpeer_pdu_t *)bt_slab_get(&pdu_slab, f->first_pdu + idx);
    /* a new one only on the first pass, next to the frame's others */
    if (f && !PINFO_FD_VISITED(pinfo) && idx == f->pdus &&
        (f->pdus == 0 || f->first_pdu + f->pdus - 1 == pdu_slab.used)) {
        h = slab_new_or_abort(&pdu_slab);
        if (f->pdus++ == 0)
            f->first_pdu = h;
        return (btpeer_pdu_t *)bt_slab_get(&pdu_slab, h);
    }
    /* nothing was kept for it: an empty record, shown as such */
    return wmem_new0(pinfo->pool, btpeer_pdu_t);
}

const btpeer_pdu_rare_t *btpeer_pdu_rare(const btpeer_pdu_t *pdu)
{
    static const btpeer_pdu_rare_t none;
    const btpeer_pdu_rare_t *r = (const btpeer_pdu_rare_t *)bt_slab_get(&rare_slab, pdu->rare);
    return r ? r : &none;
}

btpeer_pdu_rare_t *btpeer_pdu_rare_new(btpeer_pdu_t *pdu)
{
    if (!pdu->rare)
        pdu->rare = slab_new_or_abort(&rare_slab);
    return (btpeer_pdu_rare_t *)bt_slab_get(&rare_slab, pdu->rare);
}

gboolean btpeer_frame_claimed(packet_info *pinfo)
{
    btpeer_frame_t *f = frame_find(pinfo->num);
    return f && f->claimed;
}

void btpeer_claim_frame(packet_info *pinfo)
{
    btpeer_frame_t *f = frame_record(pinfo);
    if (f)
        f->claimed = TRUE;
}

gboolean btpeer_frame_encrypted_call(packet_info *pinfo, guint call)
{
    btpeer_frame_t *f;

    if (call == 0 || call > BTPEER_ENCRYPTED_CALLS)
        return FALSE;
    f = frame_find(pinfo->num);
    return f && (f->encrypted >> (call - 1)) & 1u;
}

gboolean btpeer_frame_mark_encrypted_call(packet_info *pinfo, guint call)
{
    btpeer_frame_t *f;

    if (call == 0 || call > BTPEER_ENCRYPTED_CALLS || !(f = frame_record(pinfo)))
        return FALSE;
    f->encrypted |= (guint8)(1u << (call - 1));
    return TRUE;
}

void btpeer_register_records(void)
{
    register_init_routine(records_init);
}
