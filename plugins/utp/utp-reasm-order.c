/* utp-reasm-order.c
 * uTP (BEP 29) stream reassembly, first pass: where each DATA packet's
 * payload goes in its direction's in-order stream (delivered now, held
 * until a gap is filled, a retransmission already delivered), and where
 * PDUs begin and end: the bytes pending for an unfinished PDU, the frame
 * that completes it, the tail a dissector asks more bytes for.  The
 * decisions themselves (how much a PDU takes, when it is given up) are
 * lib/btcommon/utp-reasm.c; the result is recorded per frame
 * (utp_reasm_frame_t) and replayed by utp-reassembly.c on every pass.
 */
#include <epan/packet.h>

#include "utp-int.h"
#include "utp-reasm.h"
#include "ws-compat.h"

/* Packets held out of order per direction: a libutp/libtorrent receive
 * window is about 1 MiB, i.e. under 1000 full packets, so 4096 is ample;
 * past it the missing packet is given up on and reassembly skips the gap. */
#define UTP_REASM_MAX_OOO 4096u

/* the library spells the dissectors' "one more segment" with the same value */
G_STATIC_ASSERT(UTP_REASM_ONE_MORE == DESEGMENT_ONE_MORE_SEGMENT);

static void
utp_pend_append(utp_reasm_flow_t *r, const guint8 *p, guint32 len)
{
    if (r->pend_len + len > r->pend_cap) {
        /* A PDU of known length never grows past its length plus what the
         * completing packet brings beyond it (doubling, which keeps appends
         * linear, would leave the kept buffer up to twice the PDU); only a
         * length still unknown ("one more segment") doubles freely. */
        guint32 ncap = MAX(r->pend_cap * 2, r->pend_len + len);
        if (r->pend_need != UTP_REASM_ONE_MORE)
            ncap = MAX(r->pend_len + len, MIN(ncap, r->pend_need));
        r->pend = (guint8 *)wmem_realloc(wmem_file_scope(), r->pend, ncap);
        r->pend_cap = ncap;
    }
    memcpy(r->pend + r->pend_len, p, len);
    r->pend_len += len;
}

static void
utp_pend_reset(utp_reasm_flow_t *r)
{
    wmem_free(wmem_file_scope(), r->pend);
    r->pend = NULL;
    r->pend_len = r->pend_cap = 0;
    r->pend_need = 0;
    /* their contents were copied into the completing frame's record */
    if (r->pend_frames)
        wmem_destroy_array(r->pend_frames);
    if (r->pend_rfs)
        wmem_destroy_array(r->pend_rfs);
    r->pend_frames = NULL;
    r->pend_rfs = NULL;
}

/* The lowest buffered sequence number (the tree is keyed by the low 32 bits
 * of the unwrapped number: 4 billion packets per direction). */
static utp_ooo_t *
utp_ooo_take(utp_reasm_flow_t *r, guint64 seq)
{
    utp_ooo_t *o;
    if (!r->ooo_count)
        return NULL;
    o = (utp_ooo_t *)wmem_tree_lookup32(r->ooo, (guint32)seq);
    if (o) {
        wmem_tree_remove32(r->ooo, (guint32)seq);
        r->ooo_count--;
    }
    return o;
}

/* Collects the new in-order bytes this frame makes available: its own
 * payload plus the packets held behind it. */
static wmem_array_t *
utp_collect_chunk(utp_reasm_flow_t *r, packet_info *pinfo, guint32 own_frame, const guint8 *own,
                  guint32 own_len, utp_reasm_frame_t *rf)
{
    wmem_array_t *extra = NULL;
    wmem_array_t *frames = wmem_array_new(pinfo->pool, sizeof(guint32));
    utp_ooo_t *o;

    wmem_array_append_one(frames, own_frame);
    r->next_seq++;
    while ((o = utp_ooo_take(r, r->next_seq)) != NULL) {
        if (!extra) {
            extra = wmem_array_new(pinfo->pool, 1);
            wmem_array_append(extra, own, own_len);
        }
        wmem_array_append(extra, o->bytes, o->len);
        wmem_array_append_one(frames, o->frame);
        *o->deliver_slot = pinfo->num;
        wmem_free(wmem_file_scope(), o->bytes);
        r->next_seq++;
    }
    rf->chunk_off = r->stream_off;
    if (extra) {
        rf->chunk_len = wmem_array_get_count(extra);
        rf->chunk = (guint8 *)wmem_memdup(wmem_file_scope(), wmem_array_get_raw(extra), rf->chunk_len);
    } else {
        rf->chunk_len = own_len;
    }
    r->stream_off += rf->chunk_len;
    return frames;
}

/* Hold a packet that arrived before the one the stream waits for.  When the
 * buffer is full, give up on the missing packets: the stream continues from
 * the lowest held packet and an unfinished PDU is abandoned. */
static gboolean
utp_hold(utp_reasm_flow_t *r, packet_info *pinfo, guint64 seq, const guint8 *p, guint32 len,
         utp_reasm_frame_t *rf, guint32 *deliver_slot)
{
    utp_ooo_t *o;

    if (!r->ooo)
        r->ooo = wmem_tree_new(wmem_file_scope());
    if (wmem_tree_lookup32(r->ooo, (guint32)seq)) {
        rf->kind = UTP_RF_DUPLICATE;
        return FALSE;
    }
    o = wmem_new0(wmem_file_scope(), utp_ooo_t);
    o->frame = pinfo->num;
    o->bytes = (guint8 *)wmem_memdup(wmem_file_scope(), p, len);
    o->len = len;
    o->deliver_slot = deliver_slot;
    wmem_tree_insert32(r->ooo, (guint32)seq, o);
    r->ooo_count++;
    rf->kind = UTP_RF_BUFFERED;
    return r->ooo_count > UTP_REASM_MAX_OOO;
}

void
utp_reasm_preload(utp_reasm_flow_t *r, guint64 seq, guint32 frame, guint8 *bytes, guint32 len,
                  utp_frame_t *fa)
{
    utp_ooo_t *o;

    if (!r->ooo)
        r->ooo = wmem_tree_new(wmem_file_scope());
    fa->rkind = UTP_RF_BUFFERED;    /* no reassembly record: the kind says it all */
    if (wmem_tree_lookup32(r->ooo, (guint32)seq)) {
        fa->rkind = UTP_RF_DUPLICATE;
        wmem_free(wmem_file_scope(), bytes);
        return;
    }
    o = wmem_new0(wmem_file_scope(), utp_ooo_t);
    o->frame = frame;
    o->bytes = bytes;
    o->len = len;
    o->deliver_slot = &fa->deliver_frame;
    wmem_tree_insert32(r->ooo, (guint32)seq, o);
    r->ooo_count++;
}

/* First pass: the frame brings new in-order bytes; decide what is handed on
 * here and what waits for more. */
static void
utp_set_segments(utp_reasm_frame_t *rf, wmem_array_t *frames)
{
    rf->nsegments = wmem_array_get_count(frames);
    rf->segments = (guint32 *)wmem_memdup(wmem_file_scope(), wmem_array_get_raw(frames),
                                          rf->nsegments * sizeof(guint32));
}

/* `frames`: the frames whose bytes make up the chunk (this one first). */
/* `deliver_slot`: the frame's utp_frame_t.deliver_frame, told where a
 * held segment is dissected. */
static void
utp_deliver_first(utp_reasm_flow_t *r, packet_info *pinfo, const guint8 *chunk, guint32 chunk_len,
                  wmem_array_t *frames, utp_reasm_frame_t *rf, guint32 *deliver_slot)
{
    if (utp_pref_reassemble && r->pend_len) {
        guint32 f = pinfo->num;
        /* A PDU of known length takes only the bytes it lacks; the rest of
         * the chunk is handed on after it in this frame (rest_len), so no
         * byte is kept both at the end of this PDU and in the next one. */
        guint32 take;
        utp_reasm_step_t step = utp_reasm_add(r->pend_len, r->pend_need, r->consumed_total, chunk_len, &take);
        utp_pend_append(r, chunk, take);
        wmem_array_append(r->pend_frames, wmem_array_get_raw(frames), wmem_array_get_count(frames));
        if (step == UTP_REASM_WAIT) {
            rf->kind = UTP_RF_SEGMENT;
            wmem_array_append_one(r->pend_rfs, deliver_slot);
            return;
        }
        if (step == UTP_REASM_AS_DATA_ONE_MORE)
            rf->as_data = UTP_AS_DATA_ONE_MORE;
        else if (step == UTP_REASM_AS_DATA_UNACCEPTED)
            rf->as_data = UTP_AS_DATA_UNACCEPTED;
        rf->rest_len = chunk_len - take;
        if (rf->as_data == UTP_AS_DATA_UNACCEPTED)
            r->refused = TRUE;
        /* complete (or given up on): this frame dissects it */
        utp_set_segments(rf, r->pend_frames);
        for (guint i = 0; i < wmem_array_get_count(r->pend_rfs); i++)
            **(guint32 **)wmem_array_index(r->pend_rfs, i) = f;
        /* the buffer becomes the frame's record: no copy */
        rf->data = r->pend;
        rf->data_len = r->pend_len;
        rf->data_off = r->pend_off;
        r->pend = NULL;
        utp_pend_reset(r);
    } else {
        rf->data = NULL;    /* the chunk itself */
        rf->data_len = chunk_len;
        rf->data_off = rf->chunk_off;
        if (wmem_array_get_count(frames) > 1)
            utp_set_segments(rf, frames);
    }
    rf->kind = UTP_RF_DELIVER;
    if (r->refused && !rf->as_data)
        rf->as_data = UTP_AS_DATA_UNACCEPTED;
    if (r->mid_pending) {
        rf->mid_start = TRUE;
        r->mid_pending = FALSE;
    }
}

/* After a first-pass call on `len` bytes at stream offset `off`: keeps the
 * unfinished tail the dissector asked more bytes for as the pending PDU;
 * returns the bytes it took as complete PDUs. */
guint32
utp_keep_tail(utp_reasm_flow_t *r, packet_info *pinfo, const guint8 *data, guint32 len, guint64 off,
              utp_reasm_frame_t *rf)
{
    guint32 tail, consumed, need;

    if (!utp_pref_reassemble ||
        !utp_reasm_tail(len, pinfo->desegment_offset, pinfo->desegment_len, &consumed, &tail, &need)) {
        r->consumed_total += len;   /* nothing asked, or a PDU too large: the bytes stay where they are */
        return len;
    }
    r->consumed_total += consumed;
    /* Sized for the whole PDU when its length is known, so the buffer is
     * filled in place and handed to the completing frame as it is.  Capped
     * at 1 MiB up front, so that a lying length prefix costs nothing. */
    r->pend_cap = MIN(need == UTP_REASM_ONE_MORE ? tail + 1 : need, 1024u * 1024u);
    r->pend_cap = MAX(r->pend_cap, tail);
    r->pend = (guint8 *)wmem_alloc(wmem_file_scope(), r->pend_cap);
    utp_pend_append(r, data + consumed, tail);
    r->pend_off = off + consumed;
    r->pend_need = need;
    r->pend_frames = wmem_array_new(wmem_file_scope(), sizeof(guint32));
    r->pend_rfs = wmem_array_new(wmem_file_scope(), sizeof(guint32 *));
    {
        guint32 *tail_slot = &rf->tail_frame;
        wmem_array_append_one(r->pend_rfs, tail_slot);
    }
    /* the tail's bytes came with this frame */
    wmem_array_append_one(r->pend_frames, pinfo->num);
    return consumed;
}

/* After the first-pass call on what the frame delivers (rf->data or the
 * chunk): keep its unfinished tail.  A completed PDU followed by the rest
 * of the chunk whose dissector still asked for more inside the PDU (a
 * length it misread) takes the rest into the new pending PDU, which then
 * completes in a later frame at the earliest. */
void
utp_after_first_call(utp_reasm_flow_t *r, packet_info *pinfo, const guint8 *data, const guint8 *rest,
                     utp_reasm_frame_t *rf)
{
    rf->consumed = rf->as_data ? rf->data_len : utp_keep_tail(r, pinfo, data, rf->data_len, rf->data_off, rf);
    if (rf->rest_len && r->pend) {
        utp_pend_append(r, rest, rf->rest_len);
        rf->rest_len = 0;
    }
}

/* First pass: the direction ends (FIN, RESET) or a gap is given up on with
 * bytes held for a PDU that can now never complete: this frame shows them
 * (UTP_AS_DATA_ENDED or UTP_AS_DATA_GAP). */
utp_reasm_frame_t *
utp_end_flush(utp_reasm_flow_t *r, packet_info *pinfo, heur_dtbl_entry_t *heur, guint8 why, guint32 *handle)
{
    utp_reasm_frame_t *rf;
    guint32 h;

    if (handle)
        *handle = 0;
    if (!r->pend_len)
        return NULL;
    rf = utp_rf_new(&h);
    if (handle)
        *handle = h;
    rf->kind = UTP_RF_DELIVER;
    rf->as_data = why;
    utp_set_segments(rf, r->pend_frames);
    for (guint i = 0; i < wmem_array_get_count(r->pend_rfs); i++)
        **(guint32 **)wmem_array_index(r->pend_rfs, i) = pinfo->num;
    rf->data = r->pend;
    rf->data_len = rf->consumed = r->pend_len;
    rf->data_off = r->pend_off;
    rf->heur = heur;
    r->pend = NULL;
    utp_pend_reset(r);
    return rf;
}

/* First pass: the stream resumes at the lowest held packet, skipping what is
 * missing before it (none, when the held packets were preloaded), and the
 * run from there is delivered in this frame. */
static void
utp_deliver_held(utp_reasm_flow_t *r, packet_info *pinfo, utp_frame_t *fa, guint64 abs_seq, utp_reasm_frame_t *rf)
{
    guint64 lowest = r->next_seq;
    utp_ooo_t *o;

    while (lowest < abs_seq && !wmem_tree_lookup32(r->ooo, (guint32)lowest))
        lowest++;
    rf->skipped = (guint32)(lowest - r->next_seq);
    r->next_seq = lowest;
    /* the PDU the gap cut is shown in part here, as stock shows its header */
    if (rf->skipped) {
        rf->cut = utp_end_flush(r, pinfo, utp_frame_conn(fa)->payload_heur, UTP_AS_DATA_GAP, NULL);
        utp_pend_reset(r);
    }
    o = utp_ooo_take(r, lowest);
    if (o) {
        utp_reasm_frame_t tmp = { 0 };
        wmem_array_t *frames = utp_collect_chunk(r, pinfo, o->frame, o->bytes, o->len, &tmp);
        *o->deliver_slot = pinfo->num;
        rf->kind = UTP_RF_NONE;
        if (tmp.chunk) {
            rf->chunk = tmp.chunk;
            wmem_free(wmem_file_scope(), o->bytes);
        } else {
            rf->chunk = o->bytes;   /* the held copy becomes this frame's chunk */
        }
        rf->chunk_len = tmp.chunk_len;
        rf->chunk_off = tmp.chunk_off;
        utp_deliver_first(r, pinfo, rf->chunk, rf->chunk_len, frames, rf, &fa->deliver_frame);
    }
}

/* First pass: where this frame's payload goes in its direction's stream
 * (delivered now, held for a gap, a duplicate), recorded in a new fa->rf. */
void
utp_order_first(packet_info *pinfo, const utp_header_t *h, utp_frame_t *fa, guint64 abs_seq,
                const guint8 *own_bytes)
{
    utp_conn_t *conn = utp_frame_conn(fa);
    utp_reasm_flow_t *r = &conn->flow[fa->dir].reasm;
    utp_reasm_frame_t *rf = utp_rf_new(&fa->rf);

    if (!r->started) {
        /* the stream starts after the SYN; without one, at the first
         * DATA captured (which may begin inside a message) */
        r->started = TRUE;
        r->next_seq = conn->flow[fa->dir].seq.base + 1;
        if (!conn->syn_frame) {
            r->next_seq = abs_seq;
            r->mid_pending = TRUE;
        }
    }
    if (abs_seq < r->next_seq) {
        rf->kind = UTP_RF_DUPLICATE;
    } else if (abs_seq > r->next_seq) {
        const utp_flow_t *flow = &conn->flow[fa->dir];
        gboolean full = utp_hold(r, pinfo, abs_seq, own_bytes, (guint32)h->payload_len, rf,
                                 &fa->deliver_frame);
        /* The receiver has cumulatively acknowledged the packet the
         * stream waits for: it was delivered but not captured, and no
         * retransmission will come to fill the gap. */
        gboolean acked_unseen = flow->seq.acked_set && flow->seq.acked >= r->next_seq;
        if (full || acked_unseen || (r->ooo_count && wmem_tree_lookup32(r->ooo, (guint32)r->next_seq)))
            utp_deliver_held(r, pinfo, fa, abs_seq, rf);   /* give up on a gap, or packets preloaded */
    } else {
        wmem_array_t *frames = utp_collect_chunk(r, pinfo, pinfo->num, own_bytes,
                                                 (guint32)h->payload_len, rf);
        utp_deliver_first(r, pinfo, rf->chunk ? rf->chunk : own_bytes, rf->chunk_len, frames, rf,
                          &fa->deliver_frame);
    }
    /* Most frames are held segments, buffered or duplicate packets whose
     * record would say nothing but its kind (and deliver_frame, kept in
     * fa): only the kind is kept, not the record (96 bytes a frame).  It
     * is the latest record of the slab (a cut one would be kept), so the
     * slab takes it back. */
    fa->rkind = rf->kind;
    if (rf->kind != UTP_RF_DELIVER && !rf->chunk && !rf->skipped && !rf->cut) {
        utp_rf_unnew(fa->rf);
        fa->rf = 0;
    }
}
