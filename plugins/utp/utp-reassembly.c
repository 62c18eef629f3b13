/* utp-reassembly.c
 * uTP (BEP 29) stream reassembly, every pass: each direction of a connection
 * is put back into its in-order byte stream (the first-pass ordering and PDU
 * boundaries are decided in utp-reasm-order.c) and handed to the payload
 * dissectors registered on "utp.payload" (see packet-utp.h), which may ask
 * for more bytes exactly like TCP subdissectors do (desegment_offset /
 * desegment_len).  Everything is decided on the first pass and recorded per
 * frame (utp_reasm_frame_t); later passes replay the record, so the tree is
 * the same whatever the order frames are dissected in.
 */
#include <string.h>

#include <epan/packet.h>
#include <epan/tap.h>
#include <epan/proto_data.h>

#include "utp-int.h"
#include "packet-utp.h"
#include "ws-compat.h"

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
    utp_conn_t *conn = utp_frame_conn(fa);
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
                const utp_header_t *h, utp_frame_t *fa, guint64 abs_seq)
{
    utp_conn_t *conn = utp_frame_conn(fa);

    if (!PINFO_FD_VISITED(pinfo) && !fa->rf) {
        utp_reasm_flow_t *r = &conn->flow[fa->dir].reasm;
        /* a FIN ends its direction once everything before it was delivered
         * (a FIN overtaking its last DATA does not) */
        if (h->type == UTP_ST_RESET || ((fa->flags & UTP_A_REL_SEQ) && abs_seq == r->next_seq))
            utp_end_flush(r, pinfo, conn->payload_heur, UTP_AS_DATA_ENDED, &fa->rf);
        if (h->type == UTP_ST_RESET)
            utp_rare(fa)->rf_peer = utp_end_flush(&conn->flow[!fa->dir].reasm, pinfo, conn->payload_heur,
                                                  UTP_AS_DATA_ENDED, NULL);
    }
    if (fa->rf)
        utp_show_flushed(tvb, pinfo, tree, utp_tree, conn, fa->dir, utp_frame_rf(fa));
    if (UTP_RARE(fa, rf_peer))
        utp_show_flushed(tvb, pinfo, tree, utp_tree, conn, !fa->dir, UTP_RARE(fa, rf_peer));
}

/* Every pass, a frame whose payload is not handed on here: says where it
 * went.  FALSE for a DELIVER frame (the caller hands it on). */
static gboolean
utp_show_not_delivered(packet_info *pinfo, proto_tree *utp_tree, tvbuff_t *own, const utp_frame_t *fa)
{
    proto_item *ti;

    switch (UTP_RKIND(fa)) {
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
    const guint8 *rest = utp_chunk_rest(rf, own_bytes);
    tvbuff_t *rtvb;

    if (rf->chunk) {
        rtvb = tvb_new_child_real_data(tvb, rest, rf->rest_len, rf->rest_len);
        add_new_data_source(pinfo, rtvb, "In-order uTP data");
    } else {
        rtvb = tvb_new_subset_length(own, (gint)start, (gint)rf->rest_len);
    }
    utp_call_payload(rtvb, pinfo, tree, fa, rf, off);
    if (!PINFO_FD_VISITED(pinfo))
        utp_keep_tail(&utp_frame_conn(fa)->flow[fa->dir].reasm, pinfo, rest, rf->rest_len, off, rf);
}

/* What a frame without a reassembly record has: nothing but its kind. */
static const utp_reasm_frame_t utp_rf_none;

/* How a plain DELIVER frame's payload was handed on (utp_frame_t.rkind >>
 * UTP_PLAIN_SHIFT; see UTP_RKIND). */
enum { UTP_PLAIN_NO = 0, UTP_PLAIN_HEUR, UTP_PLAIN_BITTORRENT, UTP_PLAIN_DATA };

/* First pass, end of a DATA frame: drops the record of a plain DELIVER
 * frame (96 bytes), keeping what a later pass needs in fa.  A stream offset
 * past 4 GiB keeps the record. */
static void
utp_drop_plain_record(utp_frame_t *fa, const utp_conn_t *conn, const utp_reasm_frame_t *rf,
                      const utp_header_t *h)
{
    guint8 how;
    guint32 off;

    if (rf->kind != UTP_RF_DELIVER || rf->chunk || rf->data || rf->segments || rf->cut || rf->tail_frame ||
        rf->skipped || rf->as_data || rf->mid_start || rf->rest_len || rf->data_len != h->payload_len ||
        rf->consumed != rf->data_len || rf->data_off > G_MAXUINT32)
        return;
    if (rf->heur && rf->heur == conn->payload_heur && !rf->handle)
        how = UTP_PLAIN_HEUR;
    else if (!rf->heur && rf->handle && rf->handle == bittorrent_utp_handle)
        how = UTP_PLAIN_BITTORRENT;
    else if (!rf->heur && rf->handle == data_handle)
        how = UTP_PLAIN_DATA;
    else
        return;
    off = (guint32)rf->data_off;
    utp_rf_unnew(fa->rf);     /* the latest record: taken back (else only unused) */
    fa->rf = 0;
    fa->deliver_frame = off;
    fa->rkind = (guint8)(UTP_RF_DELIVER | how << UTP_PLAIN_SHIFT);
}

/* Later passes: the record a plain DELIVER frame would have had. */
static utp_reasm_frame_t *
utp_plain_record(const utp_frame_t *fa, const utp_conn_t *conn, const utp_header_t *h, utp_reasm_frame_t *rf)
{
    guint how = fa->rkind >> UTP_PLAIN_SHIFT;

    memset(rf, 0, sizeof *rf);
    rf->kind = UTP_RF_DELIVER;
    rf->chunk_len = rf->data_len = rf->consumed = h->payload_len;
    rf->chunk_off = rf->data_off = fa->deliver_frame;
    if (how == UTP_PLAIN_HEUR)
        rf->heur = conn->payload_heur;
    else
        rf->handle = how == UTP_PLAIN_BITTORRENT ? bittorrent_utp_handle : data_handle;
    return rf;
}

void
utp_payload(tvbuff_t *tvb, packet_info *pinfo, proto_tree *tree, proto_tree *utp_tree,
            const utp_header_t *h, utp_frame_t *fa, guint64 abs_seq)
{
    utp_conn_t *conn = utp_frame_conn(fa);
    utp_reasm_flow_t *r = &conn->flow[fa->dir].reasm;
    utp_reasm_frame_t *rf = utp_frame_rf(fa);
    const utp_reasm_frame_t *rd;
    utp_reasm_frame_t plain;
    tvbuff_t *own = tvb_new_subset_remaining(tvb, (gint)h->payload_off);
    const guint8 *own_bytes = h->payload;   /* the parser's view of the payload */
    proto_item *ti;

    if (!PINFO_FD_VISITED(pinfo)) {
        utp_order_first(pinfo, h, fa, abs_seq, own_bytes);
        rf = utp_frame_rf(fa);
    } else if (!rf && fa->rkind >> UTP_PLAIN_SHIFT) {
        rf = utp_plain_record(fa, conn, h, &plain);
    }
    if (!rf && UTP_RKIND(fa) == UTP_RF_NONE)
        return;
    rd = rf ? rf : &utp_rf_none;

    if (rd->skipped) {
        ti = proto_tree_add_expert_format(utp_tree, pinfo, &ei_utp_reasm_skipped, tvb, 0, 0,
                                          "Reassembly gave up on %u missing packet(s)", rd->skipped);
        proto_item_set_generated(ti);
    }
    if (rd->cut)
        utp_show_flushed(tvb, pinfo, tree, utp_tree, conn, fa->dir, rd->cut);

    /* Follow Stream gets each new in-order byte exactly once */
    if (UTP_RKIND(fa) == UTP_RF_DELIVER || UTP_RKIND(fa) == UTP_RF_SEGMENT) {
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
    if (!PINFO_FD_VISITED(pinfo))
        utp_drop_plain_record(fa, conn, rf, h);
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
