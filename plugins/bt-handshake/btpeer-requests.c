/* btpeer-requests.c
 * Request / piece matching on one connection (BEP 3, BEP 6): which request a
 * piece answers and how long it took, requests never answered, cancels
 * (endgame) and rejects (fast extension).
 *
 * The side that sends a Request (and its Cancels) keeps the request in its
 * table keyed by (index, begin); a Piece or Reject Request from the other
 * side looks it up there.  Everything is linked on the first pass and the
 * links are kept in btpeer_pdu_t, so later passes only display them.
 * Forward links ("answered in") exist only once the first pass is complete.
 */
#include "btpeer.h"
#include "bthash.h"
#include "ws-compat.h"

static int hf_btpeer_req_answered_in = -1;
static int hf_btpeer_req_cancelled_in = -1;
static int hf_btpeer_req_rejected_in = -1;
static int hf_btpeer_req_request_in = -1;
static int hf_btpeer_req_latency = -1;

static expert_field ei_btpeer_req_unanswered = EI_INIT;
static expert_field ei_btpeer_req_unmatched_piece = EI_INIT;
static expert_field ei_btpeer_req_unmatched = EI_INIT;
static expert_field ei_btpeer_req_cancelled = EI_INIT;
static expert_field ei_btpeer_req_rejected = EI_INIT;
static expert_field ei_btpeer_req_length_mismatch = EI_INIT;
static expert_field ei_btpeer_req_untracked = EI_INIT;

/* The request tables hash the whole (index << 32 | begin) key with a seed
 * drawn once per process (bthash.h): glib's g_int64_hash folds only the low
 * 32 bits on some versions (2.74), so every request with the same begin
 * would share a bucket, and a fixed function could be collided on purpose. */
static guint64 btpeer_req_seed;

static guint block_hash(gconstpointer key)
{
    return bthash_u64(*(const guint64 *)key, btpeer_req_seed);
}

static wmem_map_t *requests_of(btpeer_side_t *side)
{
    if (!side->requests)
        side->requests = wmem_map_new(wmem_file_scope(), block_hash, g_int64_equal);
    return side->requests;
}

/* First pass: link this PDU to its request record (decisions in
 * lib/btcommon/peerwire-requests.c). */
static void link_request(btpeer_ctx_t *ctx, bt_req_kind_t kind, guint32 index, guint32 begin, guint32 length)
{
    packet_info *pinfo = ctx->pinfo;
    btpeer_side_t *requester = &ctx->conn->side[bt_req_in_senders_table(kind) ? ctx->dir : !ctx->dir];
    wmem_map_t *table = requests_of(requester);
    guint64 key = bt_req_key(index, begin);
    btpeer_request_t *req;

    if (kind == BT_REQ_REQUEST) {
        if (!bt_req_fits(wmem_map_size(table), wmem_map_contains(table, &key))) {
            ctx->pdu->untracked = TRUE;
            return;
        }
        req = wmem_new0(wmem_file_scope(), btpeer_request_t);
        bt_req_init(&req->r, index, begin, length, pinfo->num);
        req->request_time = pinfo->abs_ts;
        req->key = key;
        /* A repeated request replaces the older one, which stays unanswered
         * (the map keeps the older record's key: equal, and never freed). */
        wmem_map_insert(table, &req->key, req);
        ctx->pdu->req = req;
        return;
    }
    req = (btpeer_request_t *)wmem_map_lookup(table, &key);
    if (!req)
        return;
    ctx->pdu->req = req;
    if (bt_req_answer(&req->r, kind, pinfo->num))
        wmem_map_remove(table, &key);
}

static void add_frame(btpeer_ctx_t *ctx, int hf, guint32 frame)
{
    proto_item *it = proto_tree_add_uint(ctx->tree, hf, ctx->tvb, 0, 0, frame);
    proto_item_set_generated(it);
}

static void show_request(btpeer_ctx_t *ctx, const btpeer_request_t *req, proto_item *anchor)
{
    packet_info *pinfo = ctx->pinfo;
    /* only after the first pass is it known that nothing ever answered */
    unsigned fate = bt_req_fate(&req->r, PINFO_FD_VISITED(pinfo));

    if (fate & BT_REQ_ANSWERED)
        add_frame(ctx, hf_btpeer_req_answered_in, req->r.piece_frame);
    if (fate & BT_REQ_CANCELLED) {
        add_frame(ctx, hf_btpeer_req_cancelled_in, req->r.cancel_frame);
        expert_add_info(pinfo, anchor, &ei_btpeer_req_cancelled);
    }
    if (fate & BT_REQ_REJECTED) {
        add_frame(ctx, hf_btpeer_req_rejected_in, req->r.reject_frame);
        expert_add_info(pinfo, anchor, &ei_btpeer_req_rejected);
    }
    if (fate & BT_REQ_UNANSWERED)
        expert_add_info(pinfo, anchor, &ei_btpeer_req_unanswered);
}

void btpeer_track_request(btpeer_ctx_t *ctx, bt_req_kind_t kind, guint32 index, guint32 begin,
                          guint32 length, proto_item *anchor)
{
    const btpeer_request_t *req;
    proto_item *it;

    if (!btpeer_pref_track_requests)
        return;
    if (!PINFO_FD_VISITED(ctx->pinfo))
        link_request(ctx, kind, index, begin, length);
    req = ctx->pdu->req;
    if (ctx->pdu->untracked)
        expert_add_info_format(ctx->pinfo, anchor, &ei_btpeer_req_untracked,
                               "Not matched: more than %u requests outstanding on this side", BT_REQ_MAX_OUTSTANDING);
    if (kind == BT_REQ_REQUEST) {
        if (req)
            show_request(ctx, req, anchor);
        return;
    }
    if (!req) {
        expert_add_info(ctx->pinfo, anchor,
                        kind == BT_REQ_PIECE ? &ei_btpeer_req_unmatched_piece : &ei_btpeer_req_unmatched);
        return;
    }
    add_frame(ctx, hf_btpeer_req_request_in, req->r.request_frame);
    if (kind == BT_REQ_PIECE) {
        nstime_t delta;
        nstime_delta(&delta, &ctx->pinfo->abs_ts, &req->request_time);
        it = proto_tree_add_time(ctx->tree, hf_btpeer_req_latency, ctx->tvb, 0, 0, &delta);
        proto_item_set_generated(it);
    }
    if (bt_req_length_differs(&req->r, kind, length))
        expert_add_info_format(ctx->pinfo, anchor, &ei_btpeer_req_length_mismatch,
                               "Length %u differs from the %u bytes requested in frame %u",
                               length, req->r.length, req->r.request_frame);
}

void btpeer_register_requests(int proto, expert_module_t *em)
{
    static hf_register_info hf[] = {
        { &hf_btpeer_req_answered_in,
          { "Answered in", "btpeer.request.answered_in", FT_FRAMENUM, BASE_NONE, FRAMENUM_TYPE(FT_FRAMENUM_RESPONSE), 0x0,
            "Frame of the Piece that delivered this block", HFILL } },
        { &hf_btpeer_req_cancelled_in,
          { "Cancelled in", "btpeer.request.cancelled_in", FT_FRAMENUM, BASE_NONE, NULL, 0x0,
            "Frame of the Cancel for this request", HFILL } },
        { &hf_btpeer_req_rejected_in,
          { "Rejected in", "btpeer.request.rejected_in", FT_FRAMENUM, BASE_NONE, NULL, 0x0,
            "Frame of the Reject Request for this request", HFILL } },
        { &hf_btpeer_req_request_in,
          { "Request in", "btpeer.request_in", FT_FRAMENUM, BASE_NONE, FRAMENUM_TYPE(FT_FRAMENUM_REQUEST), 0x0,
            "Frame of the Request this Piece, Cancel or Reject Request refers to", HFILL } },
        { &hf_btpeer_req_latency,
          { "Latency", "btpeer.piece.latency", FT_RELATIVE_TIME, BASE_NONE, NULL, 0x0,
            "Time from the Request to this Piece", HFILL } },
    };
    static ei_register_info ei[] = {
        { &ei_btpeer_req_unanswered,
          { "btpeer.request.unanswered", PI_SEQUENCE, PI_NOTE, "Request never answered in this capture", EXPFILL } },
        { &ei_btpeer_req_unmatched_piece,
          { "btpeer.piece.unrequested", PI_SEQUENCE, PI_NOTE, "Piece without a matching Request in this capture", EXPFILL } },
        { &ei_btpeer_req_unmatched,
          { "btpeer.request.unmatched", PI_SEQUENCE, PI_NOTE, "No matching Request in this capture", EXPFILL } },
        { &ei_btpeer_req_cancelled,
          { "btpeer.request.cancelled", PI_SEQUENCE, PI_CHAT, "Request cancelled (endgame)", EXPFILL } },
        { &ei_btpeer_req_rejected,
          { "btpeer.request.rejected", PI_SEQUENCE, PI_CHAT, "Request rejected by the peer", EXPFILL } },
        { &ei_btpeer_req_length_mismatch,
          { "btpeer.piece.length_mismatch", PI_PROTOCOL, PI_WARN, "Block length differs from the request", EXPFILL } },
        { &ei_btpeer_req_untracked,
          { "btpeer.request.untracked", PI_SEQUENCE, PI_NOTE, "Too many outstanding requests to match this one", EXPFILL } },
    };
    btpeer_req_seed = (guint64)g_random_int() << 32 | g_random_int();
    proto_register_field_array(proto, hf, array_length(hf));
    expert_register_field_array(em, ei, array_length(ei));
}
