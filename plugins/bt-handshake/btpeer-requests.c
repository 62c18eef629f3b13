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

/* Outstanding requests remembered per side.  Answered and rejected requests
 * leave the table; cancelled ones stay until their piece (endgame pieces
 * still arrive) or until replaced.  Clients keep a few hundred requests in
 * flight (libtorrent's default queue is 500, its hard limit a few
 * thousand): 65,536 is far above that and bounds a hostile stream of
 * requests that are never answered. */
#define BTPEER_MAX_OUTSTANDING 65536

static guint64 *block_key(guint32 index, guint32 begin)
{
    guint64 *key = wmem_new(wmem_file_scope(), guint64);
    *key = ((guint64)index << 32) | begin;
    return key;
}

/* Hashes the whole (index << 32 | begin) key.  g_int64_hash folds only the
 * low 32 bits on some glib versions (2.74), so every request with the same
 * begin would share a bucket: 40,000 of them cost 20 times their control.
 * A 64-bit finaliser mix spreads index and begin over all bits. */
static guint block_hash(gconstpointer key)
{
    guint64 v = *(const guint64 *)key;
    v ^= v >> 33;
    v *= G_GUINT64_CONSTANT(0xff51afd7ed558ccd);
    v ^= v >> 33;
    return (guint)v;
}

static wmem_map_t *requests_of(btpeer_side_t *side)
{
    if (!side->requests)
        side->requests = wmem_map_new(wmem_file_scope(), block_hash, g_int64_equal);
    return side->requests;
}

/* First pass: link this PDU to its request record. */
static void link_request(btpeer_ctx_t *ctx, btpeer_req_kind_t kind, guint32 index, guint32 begin, guint32 length)
{
    packet_info *pinfo = ctx->pinfo;
    /* requests live with the side that sent them */
    btpeer_side_t *requester = &ctx->conn->side[kind == BTPEER_REQ_REQUEST || kind == BTPEER_REQ_CANCEL
                                                ? ctx->dir : !ctx->dir];
    guint64 key = ((guint64)index << 32) | begin;
    btpeer_request_t *req;

    if (kind == BTPEER_REQ_REQUEST) {
        req = wmem_new0(wmem_file_scope(), btpeer_request_t);
        req->index = index;
        req->begin = begin;
        req->length = length;
        req->request_frame = pinfo->num;
        req->request_time = pinfo->abs_ts;
        if (wmem_map_size(requests_of(requester)) >= BTPEER_MAX_OUTSTANDING &&
            !wmem_map_contains(requester->requests, &key)) {
            ctx->pdu->untracked = TRUE;
            return;
        }
        /* A repeated request replaces the older one, which stays unanswered. */
        wmem_map_insert(requests_of(requester), block_key(index, begin), req);
        ctx->pdu->req = req;
        return;
    }
    req = (btpeer_request_t *)wmem_map_lookup(requests_of(requester), &key);
    if (!req)
        return;
    ctx->pdu->req = req;
    switch (kind) {
    case BTPEER_REQ_PIECE:
        if (!req->piece_frame) {
            req->piece_frame = pinfo->num;
            req->piece_time = pinfo->abs_ts;
        }
        /* answered: a later Piece for the same block is a new story */
        wmem_map_remove(requester->requests, &key);
        break;
    case BTPEER_REQ_CANCEL:
        if (!req->cancel_frame)
            req->cancel_frame = pinfo->num;
        break;
    case BTPEER_REQ_REJECT:
        if (!req->reject_frame)
            req->reject_frame = pinfo->num;
        wmem_map_remove(requester->requests, &key);
        break;
    case BTPEER_REQ_REQUEST:
        break;
    }
}

static void add_frame(btpeer_ctx_t *ctx, int hf, guint32 frame)
{
    proto_item *it = proto_tree_add_uint(ctx->tree, hf, ctx->tvb, 0, 0, frame);
    proto_item_set_generated(it);
}

static void show_request(btpeer_ctx_t *ctx, const btpeer_request_t *req, proto_item *anchor)
{
    packet_info *pinfo = ctx->pinfo;

    if (req->piece_frame)
        add_frame(ctx, hf_btpeer_req_answered_in, req->piece_frame);
    if (req->cancel_frame) {
        add_frame(ctx, hf_btpeer_req_cancelled_in, req->cancel_frame);
        expert_add_info(pinfo, anchor, &ei_btpeer_req_cancelled);
    }
    if (req->reject_frame) {
        add_frame(ctx, hf_btpeer_req_rejected_in, req->reject_frame);
        expert_add_info(pinfo, anchor, &ei_btpeer_req_rejected);
    }
    /* Only after the first pass is it known that nothing ever answered. */
    if (PINFO_FD_VISITED(pinfo) && !req->piece_frame && !req->reject_frame && !req->cancel_frame)
        expert_add_info(pinfo, anchor, &ei_btpeer_req_unanswered);
}

void btpeer_track_request(btpeer_ctx_t *ctx, btpeer_req_kind_t kind, guint32 index, guint32 begin,
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
                               "Not matched: more than %u requests outstanding on this side", BTPEER_MAX_OUTSTANDING);
    if (kind == BTPEER_REQ_REQUEST) {
        if (req)
            show_request(ctx, req, anchor);
        return;
    }
    if (!req) {
        expert_add_info(ctx->pinfo, anchor,
                        kind == BTPEER_REQ_PIECE ? &ei_btpeer_req_unmatched_piece : &ei_btpeer_req_unmatched);
        return;
    }
    add_frame(ctx, hf_btpeer_req_request_in,
              req->request_frame);
    if (kind == BTPEER_REQ_PIECE) {
        nstime_t delta;
        nstime_delta(&delta, &ctx->pinfo->abs_ts, &req->request_time);
        it = proto_tree_add_time(ctx->tree, hf_btpeer_req_latency, ctx->tvb, 0, 0, &delta);
        proto_item_set_generated(it);
    }
    if (kind != BTPEER_REQ_CANCEL && req->length != length)
        expert_add_info_format(ctx->pinfo, anchor, &ei_btpeer_req_length_mismatch,
                               "Length %u differs from the %u bytes requested in frame %u",
                               length, req->length, req->request_frame);
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
    proto_register_field_array(proto, hf, array_length(hf));
    expert_register_field_array(em, ei, array_length(ei));
}
