/* utp-reassembly.c
 * uTP (BEP 29) stream reassembly: each direction of a connection is put back
 * into its in-order byte stream (packets that arrive early are held until the
 * gap is filled, retransmitted payload is dropped) and handed to the payload
 * dissectors registered on "utp.payload" (see packet-utp.h), which may ask
 * for more bytes exactly like TCP subdissectors do (desegment_offset /
 * desegment_len).  Everything is decided on the first pass and recorded per
 * frame (utp_reasm_frame_t); later passes replay the record, so the tree is
 * the same whatever the order frames are dissected in.
 */
#include <epan/packet.h>
#include <epan/tap.h>
#include <epan/proto_data.h>

#include "utp-int.h"
#include "packet-utp.h"
#include "ws-compat.h"

/* Packets held out of order per direction: a libutp/libtorrent receive
 * window is about 1 MiB, i.e. under 1000 full packets, so 4096 is ample;
 * past it the missing packet is given up on and reassembly skips the gap. */
#define UTP_REASM_MAX_OOO 4096u
/* A PDU larger than this is not reassembled: BitTorrent messages are at most
 * a 16 KiB block plus header, or an extension message of some hundred KiB;
 * 16 MiB also bounds what a hostile length prefix can make us buffer. */
#define UTP_REASM_MAX_PDU (16u * 1024 * 1024)
/* A direction whose payload dissector has taken no PDU at all after this many
 * bytes is not a protocol it knows.  It must exceed the largest first PDU a
 * real stream can have, including one captured mid-way whose first message
 * is a 16 KiB block, a metadata piece or a bitfield (32 KiB for a torrent of
 * 262,144 pieces, about the most seen): 256 KiB.  From then on the bytes of
 * the direction are shown as data. */
#define UTP_REASM_UNACCEPTED_MAX (256u * 1024)
/* A dissector asking for "one more segment" again and again past this many
 * bytes is not converging (no BitTorrent message whose length is unknown
 * after its first 64 KiB): the held bytes are shown as data. */
#define UTP_REASM_MAX_ONE_MORE (64u * 1024)

static heur_dissector_list_t utp_payload_heur;
static dissector_handle_t bittorrent_utp_handle;
static dissector_handle_t data_handle;
static int proto_btpeer_id = -1;   /* our peer-wire plugin, when loaded */

static int hf_utp_segments = -1;
static int hf_utp_segment = -1;
static int hf_utp_segment_count = -1;
static int hf_utp_reassembled_in = -1;
static int hf_utp_reassembled_length = -1;
static int hf_utp_reassembled_data = -1;
static int hf_utp_continued_in = -1;
static int hf_utp_payload_duplicate = -1;
static int hf_utp_delivered_in = -1;
static int hf_utp_stream_mid_start = -1;
static int hf_utp_segment_data = -1;
static int hf_utp_stream_after_gap = -1;

static gint ett_utp_segments = -1;

static expert_field ei_utp_reasm_skipped = EI_INIT;
static expert_field ei_utp_reasm_as_data = EI_INIT;

/* ---- first pass: ordering ---- */

static void
utp_pend_append(utp_reasm_flow_t *r, const guint8 *p, guint32 len)
{
    if (r->pend_len + len > r->pend_cap) {
        /* A PDU of known length never grows past its length plus what the
         * completing packet brings beyond it (doubling, which keeps appends
         * linear, would leave the kept buffer up to twice the PDU); only a
         * length still unknown ("one more segment") doubles freely. */
        guint32 ncap = MAX(r->pend_cap * 2, r->pend_len + len);
        if (r->pend_need != DESEGMENT_ONE_MORE_SEGMENT)
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

/* ---- every pass: handing bytes to the payload dissector ---- */

static gboolean
utp_btpeer_enabled(void)
{
    return proto_btpeer_id >= 0 && proto_is_protocol_enabled(find_protocol_by_id(proto_btpeer_id));
}

static void
utp_call_payload(tvbuff_t *ptvb, packet_info *pinfo, proto_tree *tree, utp_frame_t *fa,
                 utp_reasm_frame_t *rf, guint64 off)
{
    utp_conn_t *conn = fa->conn;
    utp_payload_info_t info;
    gboolean first = !PINFO_FD_VISITED(pinfo);
    gint16 saved_can_desegment = pinfo->can_desegment;

    info.stream = conn->stream;
    info.from_initiator = utp_conn_from_initiator(conn, fa->dir);
    info.stream_offset = off;
    info.mid_stream = rf->mid_start;
    info.after_gap = rf->skipped > 0;

    pinfo->can_desegment = utp_pref_reassemble ? 2 : 0;
    pinfo->desegment_offset = 0;
    pinfo->desegment_len = 0;

    if (rf->as_data) {
        call_dissector(data_handle, ptvb, pinfo, tree);
    } else if (first) {
        heur_dtbl_entry_t *hdtbl = NULL;
        if (conn->payload_heur) {
            rf->heur = conn->payload_heur;
            call_heur_dissector_direct(rf->heur, ptvb, pinfo, tree, &info);
        } else if (dissector_try_heuristic(utp_payload_heur, ptvb, pinfo, tree, &hdtbl, &info)) {
            conn->payload_heur = rf->heur = hdtbl;
        } else {
            /* The built-in BitTorrent dissector takes whatever it is given,
             * so it stands in only for a btpeer that is absent or disabled
             * (what stock Wireshark would show); a refusal by an enabled
             * btpeer means "not BitTorrent", and the bytes are data. */
            rf->handle = bittorrent_utp_handle && !utp_btpeer_enabled() ? bittorrent_utp_handle : data_handle;
            /* the built-in BitTorrent dissector knows nothing of our info */
            if (!call_dissector_only(rf->handle, ptvb, pinfo, tree, NULL)) {
                rf->handle = data_handle;
                call_dissector(data_handle, ptvb, pinfo, tree);
            }
        }
    } else if (rf->heur) {
        call_heur_dissector_direct(rf->heur, ptvb, pinfo, tree, &info);
    } else if (rf->handle) {
        call_dissector_with_data(rf->handle, ptvb, pinfo, tree, NULL);
    }
    pinfo->can_desegment = saved_can_desegment;
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
        guint32 take = chunk_len;
        if (r->pend_need != DESEGMENT_ONE_MORE_SEGMENT && r->pend_len < r->pend_need &&
            chunk_len > r->pend_need - r->pend_len)
            take = r->pend_need - r->pend_len;
        utp_pend_append(r, chunk, take);
        wmem_array_append(r->pend_frames, wmem_array_get_raw(frames), wmem_array_get_count(frames));
        if (r->pend_need == DESEGMENT_ONE_MORE_SEGMENT && r->pend_len > UTP_REASM_MAX_ONE_MORE)
            rf->as_data = UTP_AS_DATA_ONE_MORE;
        else if (!r->consumed_total && r->pend_len > UTP_REASM_UNACCEPTED_MAX)
            rf->as_data = UTP_AS_DATA_UNACCEPTED;
        else if (r->pend_need != DESEGMENT_ONE_MORE_SEGMENT && r->pend_len < r->pend_need) {
            rf->kind = UTP_RF_SEGMENT;
            wmem_array_append_one(r->pend_rfs, deliver_slot);
            return;
        }
        if (rf->as_data && take < chunk_len) {
            utp_pend_append(r, chunk + take, chunk_len - take);   /* all of it shown as data */
            take = chunk_len;
        }
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
static guint32
utp_keep_tail(utp_reasm_flow_t *r, packet_info *pinfo, const guint8 *data, guint32 len, guint64 off,
              utp_reasm_frame_t *rf)
{
    guint32 tail, consumed;
    guint64 need;

    if (!utp_pref_reassemble || !pinfo->desegment_len || pinfo->desegment_offset < 0 ||
        (guint32)pinfo->desegment_offset >= len) {
        r->consumed_total += len;
        return len;
    }
    tail = len - (guint32)pinfo->desegment_offset;
    need = (pinfo->desegment_len == DESEGMENT_ONE_MORE_SEGMENT) ? (guint64)tail + 1
                                                                 : (guint64)tail + pinfo->desegment_len;
    if (need > UTP_REASM_MAX_PDU)
        return len;     /* not reassembled: the bytes stay where they are */
    consumed = (guint32)pinfo->desegment_offset;
    r->consumed_total += consumed;
    /* Sized for the whole PDU when its length is known, so the buffer is
     * filled in place and handed to the completing frame as it is.  Capped
     * at 1 MiB up front, so that a lying length prefix costs nothing. */
    r->pend_cap = (guint32)MIN(MAX(need, (guint64)tail), (guint64)(1024 * 1024));
    r->pend = (guint8 *)wmem_alloc(wmem_file_scope(), r->pend_cap);
    utp_pend_append(r, data + consumed, tail);
    r->pend_off = off + consumed;
    r->pend_need = (pinfo->desegment_len == DESEGMENT_ONE_MORE_SEGMENT)
                   ? DESEGMENT_ONE_MORE_SEGMENT : (guint32)need;
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
static void
utp_after_first_call(utp_reasm_flow_t *r, packet_info *pinfo, const guint8 *data, const guint8 *rest,
                     utp_reasm_frame_t *rf)
{
    rf->consumed = rf->as_data ? rf->data_len : utp_keep_tail(r, pinfo, data, rf->data_len, rf->data_off, rf);
    if (rf->rest_len && r->pend) {
        utp_pend_append(r, rest, rf->rest_len);
        rf->rest_len = 0;
    }
}

static void
utp_show_segments(tvbuff_t *rtvb, proto_tree *tree, const utp_reasm_frame_t *rf)
{
    proto_item *ti = proto_tree_add_none_format(tree, hf_utp_segments, rtvb, 0, -1,
                                                "%u Reassembled uTP Segments (%u byte%s)",
                                                rf->nsegments, rf->data_len, plurality(rf->data_len, "", "s"));
    proto_tree *st = proto_item_add_subtree(ti, ett_utp_segments);
    proto_item_set_generated(ti);
    for (guint i = 0; i < rf->nsegments; i++) {
        ti = proto_tree_add_uint(st, hf_utp_segment, rtvb, 0, 0, rf->segments[i]);
        proto_item_set_generated(ti);
    }
    ti = proto_tree_add_uint(st, hf_utp_segment_count, rtvb, 0, 0, rf->nsegments);
    proto_item_set_generated(ti);
    ti = proto_tree_add_uint(st, hf_utp_reassembled_length, rtvb, 0, 0, rf->data_len);
    proto_item_set_generated(ti);
    proto_tree_add_item(st, hf_utp_reassembled_data, rtvb, 0, -1, ENC_NA);
}

static void
utp_as_data_expert(packet_info *pinfo, proto_tree *utp_tree, tvbuff_t *tvb, const utp_reasm_frame_t *rf)
{
    static const char *why[] = {
        "", "no payload dissector took a PDU in the first 256 KiB of this direction",
        "the payload dissector kept asking for one more segment past 64 KiB",
        "the connection ended before the PDU was complete",
        "packets it needed were never captured",
    };
    /* an unfinished PDU goes to the dissector that took the stream, which
     * shows what it can of it; only without one are the bytes data */
    proto_item *ti = proto_tree_add_expert_format(utp_tree, pinfo, &ei_utp_reasm_as_data, tvb, 0, 0,
                                                  rf->heur ? "Unfinished PDU (%u byte%s) handed on as it is: %s"
                                                           : "%u byte%s shown as data: %s", rf->data_len,
                                                  plurality(rf->data_len, "", "s"),
                                                  why[MIN(rf->as_data, (guint8)UTP_AS_DATA_GAP)]);
    proto_item_set_generated(ti);
}

/* First pass: the direction ends (FIN, RESET) or a gap is given up on with
 * bytes held for a PDU that can now never complete: this frame shows them
 * (UTP_AS_DATA_ENDED or UTP_AS_DATA_GAP). */
static utp_reasm_frame_t *
utp_end_flush(utp_reasm_flow_t *r, packet_info *pinfo, heur_dtbl_entry_t *heur, guint8 why)
{
    utp_reasm_frame_t *rf;

    if (!r->pend_len)
        return NULL;
    rf = wmem_new0(wmem_file_scope(), utp_reasm_frame_t);
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
utp_deliver_held(utp_reasm_flow_t *r, packet_info *pinfo, utp_frame_t *fa, utp_reasm_frame_t *rf)
{
    guint64 lowest = r->next_seq;
    utp_ooo_t *o;

    while (lowest < fa->abs_seq && !wmem_tree_lookup32(r->ooo, (guint32)lowest))
        lowest++;
    rf->skipped = (guint32)(lowest - r->next_seq);
    r->next_seq = lowest;
    /* the PDU the gap cut is shown in part here, as stock shows its header */
    if (rf->skipped) {
        rf->cut = utp_end_flush(r, pinfo, fa->conn->payload_heur, UTP_AS_DATA_GAP);
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

/* The unfinished PDU goes to the payload dissector that took the stream,
 * with no way to ask for more, so that it shows what it can of the message
 * (a Piece's header, say, as stock Wireshark does); data otherwise. */
static void
utp_show_flushed(tvbuff_t *tvb, packet_info *pinfo, proto_tree *tree, proto_tree *utp_tree,
                 const utp_conn_t *conn, int dir, const utp_reasm_frame_t *rf)
{
    tvbuff_t *dtvb = tvb_new_child_real_data(tvb, rf->data, rf->data_len, rf->data_len);
    add_new_data_source(pinfo, dtvb, "Unfinished uTP PDU");
    utp_show_segments(dtvb, utp_tree, rf);
    utp_as_data_expert(pinfo, utp_tree, tvb, rf);
    if (rf->heur) {
        gint16 saved_can_desegment = pinfo->can_desegment;
        utp_payload_info_t info = { 0 };
        info.stream = conn->stream;
        info.from_initiator = utp_conn_from_initiator(conn, dir);
        info.stream_offset = rf->data_off;
        pinfo->can_desegment = 0;
        call_heur_dissector_direct(rf->heur, dtvb, pinfo, tree, &info);
        pinfo->can_desegment = saved_can_desegment;
    } else {
        call_dissector(data_handle, dtvb, pinfo, tree);
    }
}

void
utp_payload_end(tvbuff_t *tvb, packet_info *pinfo, proto_tree *tree, proto_tree *utp_tree,
                const utp_header_t *h, utp_frame_t *fa)
{
    utp_conn_t *conn = fa->conn;

    if (!PINFO_FD_VISITED(pinfo) && !fa->rf) {
        utp_reasm_flow_t *r = &conn->flow[fa->dir].reasm;
        /* a FIN ends its direction once everything before it was delivered
         * (a FIN overtaking its last DATA does not) */
        if (h->type == UTP_ST_RESET || ((fa->flags & UTP_A_REL_SEQ) && fa->abs_seq == r->next_seq))
            fa->rf = utp_end_flush(r, pinfo, conn->payload_heur, UTP_AS_DATA_ENDED);
        if (h->type == UTP_ST_RESET)
            utp_rare(fa)->rf_peer = utp_end_flush(&conn->flow[!fa->dir].reasm, pinfo, conn->payload_heur,
                                         UTP_AS_DATA_ENDED);
    }
    if (fa->rf)
        utp_show_flushed(tvb, pinfo, tree, utp_tree, conn, fa->dir, fa->rf);
    if (UTP_RARE(fa, rf_peer))
        utp_show_flushed(tvb, pinfo, tree, utp_tree, conn, !fa->dir, fa->rare->rf_peer);
}

/* First pass: where this frame's payload goes in its direction's stream
 * (delivered now, held for a gap, a duplicate), recorded in a new fa->rf. */
static void
utp_order_first(packet_info *pinfo, const utp_header_t *h, utp_frame_t *fa, const guint8 *own_bytes)
{
    utp_conn_t *conn = fa->conn;
    utp_reasm_flow_t *r = &conn->flow[fa->dir].reasm;
    utp_reasm_frame_t *rf = fa->rf = wmem_new0(wmem_file_scope(), utp_reasm_frame_t);

    if (!r->started) {
        /* the stream starts after the SYN; without one, at the first
         * DATA captured (which may begin inside a message) */
        r->started = TRUE;
        r->next_seq = conn->flow[fa->dir].seq.base + 1;
        if (!conn->syn_frame) {
            r->next_seq = fa->abs_seq;
            r->mid_pending = TRUE;
        }
    }
    if (fa->abs_seq < r->next_seq) {
        rf->kind = UTP_RF_DUPLICATE;
    } else if (fa->abs_seq > r->next_seq) {
        const utp_flow_t *flow = &conn->flow[fa->dir];
        gboolean full = utp_hold(r, pinfo, fa->abs_seq, own_bytes, (guint32)h->payload_len, rf,
                                 &fa->deliver_frame);
        /* The receiver has cumulatively acknowledged the packet the
         * stream waits for: it was delivered but not captured, and no
         * retransmission will come to fill the gap. */
        gboolean acked_unseen = flow->seq.acked_set && flow->seq.acked >= r->next_seq;
        if (full || acked_unseen || (r->ooo_count && wmem_tree_lookup32(r->ooo, (guint32)r->next_seq)))
            utp_deliver_held(r, pinfo, fa, rf);   /* give up on a gap, or packets preloaded */
    } else {
        wmem_array_t *frames = utp_collect_chunk(r, pinfo, pinfo->num, own_bytes,
                                                 (guint32)h->payload_len, rf);
        utp_deliver_first(r, pinfo, rf->chunk ? rf->chunk : own_bytes, rf->chunk_len, frames, rf,
                          &fa->deliver_frame);
    }
    /* Most frames are held segments, buffered or duplicate packets whose
     * record would say nothing but its kind (and deliver_frame, kept in
     * fa): only the kind is kept, not the record (96 bytes a frame). */
    fa->rkind = rf->kind;
    if (rf->kind != UTP_RF_DELIVER && !rf->chunk && !rf->skipped && !rf->cut) {
        wmem_free(wmem_file_scope(), rf);
        fa->rf = NULL;
    }
}

/* Every pass, a frame whose payload is not handed on here: says where it
 * went.  FALSE for a DELIVER frame (the caller hands it on). */
static gboolean
utp_show_not_delivered(packet_info *pinfo, proto_tree *utp_tree, tvbuff_t *own, const utp_frame_t *fa)
{
    proto_item *ti;

    switch (fa->rkind) {
    case UTP_RF_DUPLICATE:
        ti = proto_tree_add_item(utp_tree, hf_utp_payload_duplicate, own, 0, -1, ENC_NA);
        proto_item_set_generated(ti);
        col_append_str(pinfo->cinfo, COL_INFO, " [payload already delivered]");
        return TRUE;
    case UTP_RF_BUFFERED:
        if (fa->deliver_frame)
            proto_item_set_generated(proto_tree_add_uint(utp_tree, hf_utp_delivered_in, own, 0, 0, fa->deliver_frame));
        col_append_str(pinfo->cinfo, COL_INFO, (fa->flags & UTP_A_LATE) ?
                       " [held until the connection was recognised]" : " [held until the gap is filled]");
        return TRUE;
    case UTP_RF_SEGMENT:
        if (fa->deliver_frame)
            proto_item_set_generated(proto_tree_add_uint(utp_tree, hf_utp_reassembled_in, own, 0, 0, fa->deliver_frame));
        col_append_str(pinfo->cinfo, COL_INFO, " [uTP segment of a reassembled PDU]");
        proto_tree_add_item(utp_tree, hf_utp_segment_data, own, 0, -1, ENC_NA);
        return TRUE;
    case UTP_RF_DELIVER:
        return FALSE;
    default:
        return TRUE;
    }
}

/* The bytes of the chunk after the PDU this frame completed (rf->rest_len). */
static const guint8 *
utp_chunk_rest(const utp_reasm_frame_t *rf, const guint8 *own_bytes)
{
    return (rf->chunk ? rf->chunk : own_bytes) + (rf->chunk_len - rf->rest_len);
}

/* Every pass: the rest of the chunk after the PDU this frame completed,
 * handed on as its own part (complete messages, then maybe the start of the
 * next PDU, kept on the first pass). */
static void
utp_deliver_rest(tvbuff_t *tvb, tvbuff_t *own, packet_info *pinfo, proto_tree *tree, utp_frame_t *fa,
                 utp_reasm_frame_t *rf, const guint8 *own_bytes)
{
    guint32 start = rf->chunk_len - rf->rest_len;
    guint64 off = rf->chunk_off + start;
    tvbuff_t *rtvb;

    if (rf->chunk) {
        rtvb = tvb_new_child_real_data(tvb, rf->chunk + start, rf->rest_len, rf->rest_len);
        add_new_data_source(pinfo, rtvb, "In-order uTP data");
    } else {
        rtvb = tvb_new_subset_length(own, (gint)start, (gint)rf->rest_len);
    }
    utp_call_payload(rtvb, pinfo, tree, fa, rf, off);
    if (!PINFO_FD_VISITED(pinfo))
        utp_keep_tail(&fa->conn->flow[fa->dir].reasm, pinfo, own_bytes ? utp_chunk_rest(rf, own_bytes) : NULL,
                      rf->rest_len, off, rf);
}

/* What a frame without a reassembly record has: nothing but its kind. */
static const utp_reasm_frame_t utp_rf_none;

void
utp_payload(tvbuff_t *tvb, packet_info *pinfo, proto_tree *tree, proto_tree *utp_tree,
            const utp_header_t *h, utp_frame_t *fa)
{
    utp_conn_t *conn = fa->conn;
    utp_reasm_flow_t *r = &conn->flow[fa->dir].reasm;
    utp_reasm_frame_t *rf = fa->rf;
    const utp_reasm_frame_t *rd;
    tvbuff_t *own = tvb_new_subset_remaining(tvb, (gint)h->payload_off);
    const guint8 *own_bytes = h->payload;   /* the parser's view of the payload */
    proto_item *ti;

    if (!PINFO_FD_VISITED(pinfo)) {
        utp_order_first(pinfo, h, fa, own_bytes);
        rf = fa->rf;
    }
    if (!rf && fa->rkind == UTP_RF_NONE)
        return;
    rd = rf ? rf : &utp_rf_none;

    if (rd->skipped) {
        ti = proto_tree_add_expert_format(utp_tree, pinfo, &ei_utp_reasm_skipped, tvb, 0, 0,
                                          "Reassembly gave up on %u missing packet(s)", rd->skipped);
        proto_item_set_generated(ti);
    }
    if (rd->cut)
        utp_show_flushed(tvb, pinfo, tree, utp_tree, fa->conn, fa->dir, rd->cut);

    /* Follow Stream gets each new in-order byte exactly once */
    if (fa->rkind == UTP_RF_DELIVER || fa->rkind == UTP_RF_SEGMENT) {
        tvbuff_t *ctvb = own;
        if (rd->chunk) {
            ctvb = tvb_new_child_real_data(tvb, rd->chunk, rd->chunk_len, rd->chunk_len);
        }
        utp_follow_queue(pinfo, ctvb);
    }

    if (utp_show_not_delivered(pinfo, utp_tree, own, fa) || !rf)
        return;     /* from here on a DELIVER frame, which always has its record */

    /* What the payload dissector gets in this frame */
    tvbuff_t *ptvb;
    const guint8 *pdata;
    if (rf->data) {
        ptvb = tvb_new_child_real_data(tvb, rf->data, rf->data_len, rf->data_len);
        add_new_data_source(pinfo, ptvb, "Reassembled uTP");
        pdata = rf->data;
    } else if (rf->chunk) {
        ptvb = tvb_new_child_real_data(tvb, rf->chunk, rf->chunk_len, rf->chunk_len);
        add_new_data_source(pinfo, ptvb, "In-order uTP data");
        pdata = rf->chunk;
    } else {
        ptvb = own;
        pdata = own_bytes;
    }
    if (rf->nsegments > 1)
        utp_show_segments(ptvb, utp_tree, rf);
    if (rf->mid_start) {
        ti = proto_tree_add_none_format(utp_tree, hf_utp_stream_mid_start, own, 0, 0,
                                        "Stream starts here: its beginning was not captured");
        proto_item_set_generated(ti);
    }
    if (rf->skipped) {
        ti = proto_tree_add_none_format(utp_tree, hf_utp_stream_after_gap, own, 0, 0,
                                        "Stream resumes here after missing packets");
        proto_item_set_generated(ti);
    }
    if (rf->tail_frame) {
        ti = proto_tree_add_uint(utp_tree, hf_utp_continued_in, own, 0, 0, rf->tail_frame);
        proto_item_set_generated(ti);
        if (rf->consumed == 0) {
            /* nothing complete here: like a held segment, the PDU is in tail_frame */
            ti = proto_tree_add_uint(utp_tree, hf_utp_reassembled_in, own, 0, 0, rf->tail_frame);
            proto_item_set_generated(ti);
        }
    }

    if (rf->as_data)
        utp_as_data_expert(pinfo, utp_tree, own, rf);
    utp_call_payload(ptvb, pinfo, tree, fa, rf, rf->data_off);
    if (!PINFO_FD_VISITED(pinfo))
        utp_after_first_call(r, pinfo, pdata, utp_chunk_rest(rf, own_bytes), rf);
    if (rf->rest_len)
        utp_deliver_rest(tvb, own, pinfo, tree, fa, rf, own_bytes);
    if (rf->consumed == 0 && rf->data_len) {
        /* nothing complete here: the payload protocol shows in the frame that completes it */
        col_set_str(pinfo->cinfo, COL_PROTOCOL, "uTP");
        col_append_str(pinfo->cinfo, COL_INFO, " [uTP segment of a reassembled PDU]");
        if (h->payload_len)
            proto_tree_add_item(utp_tree, hf_utp_segment_data, own, 0, -1, ENC_NA);
    }
    pinfo->desegment_offset = 0;
    pinfo->desegment_len = 0;
}

void
utp_reassembly_register(int proto, expert_module_t *em)
{
    static hf_register_info hf[] = {
        { &hf_utp_segments, { "Reassembled uTP segments", "utp.segments", FT_NONE, BASE_NONE, NULL, 0x0, NULL, HFILL } },
        { &hf_utp_segment, { "uTP segment", "utp.segment", FT_FRAMENUM, BASE_NONE, NULL, 0x0, NULL, HFILL } },
        { &hf_utp_segment_count, { "Segment count", "utp.segment.count", FT_UINT32, BASE_DEC, NULL, 0x0, NULL, HFILL } },
        { &hf_utp_reassembled_in, { "Reassembled PDU in frame", "utp.reassembled_in", FT_FRAMENUM, BASE_NONE, NULL, 0x0, "The PDU this packet's bytes belong to is dissected in that frame", HFILL } },
        { &hf_utp_reassembled_length, { "Reassembled uTP length", "utp.reassembled.length", FT_UINT32, BASE_DEC, NULL, 0x0, NULL, HFILL } },
        { &hf_utp_reassembled_data, { "Reassembled uTP data", "utp.reassembled.data", FT_BYTES, BASE_NONE, NULL, 0x0, NULL, HFILL } },
        { &hf_utp_continued_in, { "PDU continues in frame", "utp.continued_in", FT_FRAMENUM, BASE_NONE, NULL, 0x0, "The unfinished PDU at the end of this packet is completed in that frame", HFILL } },
        { &hf_utp_payload_duplicate, { "Payload already delivered", "utp.payload_duplicate", FT_NONE, BASE_NONE, NULL, 0x0, "Retransmitted payload: its bytes were handed on earlier", HFILL } },
        { &hf_utp_segment_data, { "uTP segment data", "utp.segment_data", FT_BYTES, BASE_NONE, NULL, 0x0, "This packet's payload, held for a PDU that continues in a later packet", HFILL } },
        { &hf_utp_stream_mid_start, { "Stream captured mid-way", "utp.stream_mid_start", FT_NONE, BASE_NONE, NULL, 0x0, "The first bytes handed on for this direction: its start (SYN or first packets) was not captured, so they may begin inside a message", HFILL } },
        { &hf_utp_stream_after_gap, { "Stream resumes after a gap", "utp.stream_after_gap", FT_NONE, BASE_NONE, NULL, 0x0, "Reassembly gave up on missing packets: these bytes may begin inside a message", HFILL } },
        { &hf_utp_delivered_in, { "Payload delivered in frame", "utp.delivered_in", FT_FRAMENUM, BASE_NONE, NULL, 0x0, "Arrived before a missing packet; handed on in order in that frame", HFILL } },
    };
    static gint *ett[] = { &ett_utp_segments };
    static ei_register_info ei[] = {
        { &ei_utp_reasm_as_data, { "utp.reassembly.as_data", PI_REASSEMBLE, PI_NOTE, "Payload shown as data, or an unfinished PDU handed on as it is", EXPFILL } },
        { &ei_utp_reasm_skipped, { "utp.reassembly.skipped.expert", PI_REASSEMBLE, PI_WARN, "Reassembly gave up on missing packets", EXPFILL } },
    };

    proto_register_field_array(proto, hf, array_length(hf));
    proto_register_subtree_array(ett, array_length(ett));
    expert_register_field_array(em, ei, array_length(ei));
    utp_payload_heur = register_heur_dissector_list(UTP_PAYLOAD_HEUR_LIST, proto);
}

void
utp_reassembly_handoff(void)
{
    bittorrent_utp_handle = find_dissector("bittorrent.tcp");
    data_handle = find_dissector("data");
    proto_btpeer_id = proto_get_id_by_filter_name("btpeer");
}
