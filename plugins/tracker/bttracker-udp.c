/* bttracker-udp.c
 * UDP tracker protocol (BEP 15) with BEP 41 announce options, part of the
 * bttracker plugin.  Layouts are checked by lib/btcommon/tracker-udp.c; this
 * file adds fields, request/response pairing and the discovery records.
 *
 * Found by a heuristic on the connect request (its 64-bit magic
 * 0x41727101980), which pins the UDP conversation to this dissector and
 * remembers which side is the client; optionally also on configured ports.
 *
 * Pairing, computed on the first pass and stored per frame:
 *  - by transaction id: each request is remembered under its transaction id
 *    (the latest one wins, as a client reusing an id abandons the older
 *    request); a response takes the request with its id;
 *  - by connection id: each connect response's id is remembered, and later
 *    requests show the frame that issued the id they carry.
 */
#include <string.h>

#include <epan/packet.h>
#include <epan/conversation.h>
#include <epan/proto_data.h>
#include <epan/expert.h>
#include <epan/prefs.h>

#include "bttracker.h"
#include "tracker-udp.h"
#include "ws-compat.h"

static int hf_btudp_connection_id = -1;
static int hf_btudp_transaction_id = -1;
static int hf_btudp_cid_issued_in = -1;
static int hf_btudp_ip = -1;
static int hf_btudp_key = -1;
static int hf_btudp_option = -1;
static int hf_btudp_option_type = -1;
static int hf_btudp_option_length = -1;
static int hf_btudp_option_url_data = -1;
static int hf_btudp_option_data = -1;
static int hf_btudp_hash_count = -1;
static int hf_btudp_trailing = -1;

static int ett_btudp_option = -1;

static expert_field ei_btudp_truncated = EI_INIT;
static expert_field ei_btudp_header_only = EI_INIT;
static expert_field ei_btudp_trailing = EI_INIT;
static expert_field ei_btudp_unknown_action = EI_INIT;
static expert_field ei_btudp_tid_mismatch = EI_INIT;
static expert_field ei_btudp_action_mismatch = EI_INIT;
static expert_field ei_btudp_unknown_cid = EI_INIT;
static expert_field ei_btudp_option_truncated = EI_INIT;
static expert_field ei_btudp_too_many_hashes = EI_INIT;

static dissector_handle_t btudp_handle;

static const value_string btudp_option_vals[] = {
    { BTUDP_OPT_END,     "End of options" },
    { BTUDP_OPT_NOP,     "NOP" },
    { BTUDP_OPT_URLDATA, "URL data" },
    { 0, NULL }
};

typedef struct {
    address     client_addr;
    guint32     client_port;
    gboolean    client_known;
    guint32     n_requests;
    wmem_map_t *txns;       /* transaction id -> bttracker_req_t */
    wmem_map_t *cids;       /* connection id (guint64 *) -> frame of the connect response */
    gboolean    saw_connect_response;
} btudp_conv_t;

#define BTUDP_F_NO_REQUEST     0x01u
#define BTUDP_F_TID_MISMATCH   0x02u
#define BTUDP_F_ACTION_MISMATCH 0x04u
#define BTUDP_F_UNKNOWN_CID    0x08u

/* What the first pass decided for a frame. */
typedef struct {
    gboolean     is_request;
    bttracker_req_t *txn;
    guint32      cid_frame;
    guint        flags;
} btudp_frame_t;

static btudp_conv_t *get_conv(packet_info *pinfo, gboolean create)
{
    conversation_t *conv = create ? find_or_create_conversation(pinfo) : find_conversation_pinfo(pinfo, 0);
    btudp_conv_t *c;

    if (!conv)
        return NULL;
    c = (btudp_conv_t *)conversation_get_proto_data(conv, proto_bttracker);
    if (!c && create) {
        c = wmem_new0(wmem_file_scope(), btudp_conv_t);
        c->txns = wmem_map_new(wmem_file_scope(), g_direct_hash, g_direct_equal);
        c->cids = wmem_map_new(wmem_file_scope(), bttracker_u64_hash, bttracker_u64_equal);
        conversation_add_proto_data(conv, proto_bttracker, c);
    }
    return c;
}

/* First pass: direction, pairing and connection id, kept for later passes. */
static btudp_frame_t *analyse(tvbuff_t *tvb, packet_info *pinfo, btudp_conv_t *c, const btudp_msg_t *req,
                              const btudp_msg_t *resp)
{
    btudp_frame_t *f = (btudp_frame_t *)p_get_proto_data(wmem_file_scope(), pinfo, proto_bttracker,
                                                         BTTRACKER_KEY_UDP);
    if (f || PINFO_FD_VISITED(pinfo))
        return f;
    f = wmem_new0(wmem_file_scope(), btudp_frame_t);
    if (c->client_known)
        f->is_request = addresses_equal(&pinfo->src, &c->client_addr) && pinfo->srcport == c->client_port;
    else
        f->is_request = btudp_is_connect_request(tvb_get_ptr(tvb, 0, MIN(tvb_captured_length(tvb), BTUDP_REQ_HDR)),
                                                 MIN(tvb_captured_length(tvb), BTUDP_REQ_HDR)) ||
                        pinfo->destport == pinfo->match_uint;

    if (f->is_request && tvb_captured_length(tvb) >= BTUDP_REQ_HDR) {
        bttracker_req_t *t = wmem_new0(wmem_file_scope(), bttracker_req_t);
        t->req_frame = pinfo->num;
        t->req_ts = pinfo->abs_ts;
        t->action = req->action;
        if (req->action == BTUDP_ACTION_SCRAPE && req->n_entries) {
            t->n_hashes = (guint32)req->n_entries;
            t->hashes = (guint8 *)tvb_memdup(wmem_file_scope(), tvb, (gint)req->entries_off,
                                             (gint)(req->n_entries * BT_INFO_HASH_LEN));
        } else if (req->action == BTUDP_ACTION_ANNOUNCE && req->status == BTUDP_OK) {
            t->n_hashes = 1;
            t->hashes = (guint8 *)tvb_memdup(wmem_file_scope(), tvb, BTUDP_ANN_INFOHASH_OFF, BT_INFO_HASH_LEN);
        }
        wmem_map_insert(c->txns, GUINT_TO_POINTER(req->transaction_id), t);
        c->n_requests++;
        if (req->action != BTUDP_ACTION_CONNECT) {
            gpointer fr = wmem_map_lookup(c->cids, &req->connection_id);
            if (fr)
                f->cid_frame = GPOINTER_TO_UINT(fr);
            else if (c->saw_connect_response)
                f->flags |= BTUDP_F_UNKNOWN_CID;
        }
        f->txn = t;
    } else if (!f->is_request) {
        bttracker_req_t *t = (bttracker_req_t *)wmem_map_lookup(c->txns, GUINT_TO_POINTER(resp->transaction_id));
        if (!t) {
            f->flags |= c->n_requests ? BTUDP_F_TID_MISMATCH : BTUDP_F_NO_REQUEST;
        } else {
            f->txn = t;
            if (!t->resp_frame)
                t->resp_frame = pinfo->num;
            if (resp->action != t->action && resp->action != BTUDP_ACTION_ERROR)
                f->flags |= BTUDP_F_ACTION_MISMATCH;
        }
        if (resp->action == BTUDP_ACTION_CONNECT && resp->status == BTUDP_OK) {
            c->saw_connect_response = TRUE;
            if (!wmem_map_lookup(c->cids, &resp->connection_id)) {
                guint64 *k = wmem_new(wmem_file_scope(), guint64);
                *k = resp->connection_id;
                wmem_map_insert(c->cids, k, GUINT_TO_POINTER(pinfo->num));
            }
        }
    }
    p_add_proto_data(wmem_file_scope(), pinfo, proto_bttracker, BTTRACKER_KEY_UDP, f);
    return f;
}

static void add_status_expert(proto_tree *tree, packet_info *pinfo, tvbuff_t *tvb, const btudp_msg_t *m,
                              proto_item *action_item)
{
    int len = (int)tvb_reported_length(tvb);
    switch (m->status) {
    case BTUDP_TRUNCATED:
        /* An announce answer of its 8-byte header alone is what opentracker
         * sends for a torrent it does not serve: real traffic, not damage. */
        if (m->action == BTUDP_ACTION_ANNOUNCE && len == 8)
            proto_tree_add_expert_format(tree, pinfo, &ei_btudp_header_only, tvb, 0, len,
                                         "Announce shorter than its %u-byte fixed part (8 bytes): header only, "
                                         "as opentracker answers for a torrent it does not serve",
                                         (unsigned)m->fixed_len);
        else
            proto_tree_add_expert_format(tree, pinfo, &ei_btudp_truncated, tvb, 0, len,
                                         "%s shorter than its %u-byte fixed part (%d bytes)",
                                         val_to_str_const(m->action, bttracker_action_vals, "Message"),
                                         (unsigned)m->fixed_len, len);
        break;
    case BTUDP_UNKNOWN_ACTION:
        expert_add_info(pinfo, action_item, &ei_btudp_unknown_action);
        break;
    default:
        break;
    }
}

static void dissect_options(proto_tree *tree, packet_info *pinfo, tvbuff_t *tvb, int off)
{
    const guint8 *buf;
    guint len = tvb_captured_length(tvb);
    size_t pos = (size_t)off;
    btudp_option_t o;

    if ((guint)off >= len)
        return;
    buf = tvb_get_ptr(tvb, 0, len);
    /* Each option advances pos by at least one byte. */
    while (btudp_next_option(buf, len, &pos, &o)) {
        int olen = (int)(o.type == BTUDP_OPT_END || o.type == BTUDP_OPT_NOP ? 1 : o.data_off - o.offset + o.data_len);
        proto_item *oi = proto_tree_add_item(tree, hf_btudp_option, tvb, (int)o.offset, MAX(olen, 1), ENC_NA);
        proto_tree *ot = proto_item_add_subtree(oi, ett_btudp_option);
        proto_tree_add_item(ot, hf_btudp_option_type, tvb, (int)o.offset, 1, ENC_BIG_ENDIAN);
        proto_item_set_text(oi, "Option: %s", val_to_str(pinfo->pool, o.type, btudp_option_vals, "Unknown (%u)"));
        if (o.type == BTUDP_OPT_END) {
            if (o.offset + 1 < len)
                proto_tree_add_item(tree, hf_btudp_trailing, tvb, (int)o.offset + 1, -1, ENC_NA);
            break;
        }
        if (o.type == BTUDP_OPT_NOP)
            continue;
        if (o.data_off > o.offset + 1)
            proto_tree_add_item(ot, hf_btudp_option_length, tvb, (int)o.offset + 1, 1, ENC_BIG_ENDIAN);
        if (o.data_len) {
            if (o.type == BTUDP_OPT_URLDATA) {
                proto_tree_add_item(ot, hf_btudp_option_url_data, tvb, (int)o.data_off, (int)o.data_len,
                                    ENC_ASCII);
                proto_item_append_text(oi, ": %s", tvb_format_text(pinfo->pool, tvb, (int)o.data_off, (int)o.data_len));
            } else {
                proto_tree_add_item(ot, hf_btudp_option_data, tvb, (int)o.data_off, (int)o.data_len, ENC_NA);
            }
        }
        if (o.truncated)
            expert_add_info(pinfo, oi, &ei_btudp_option_truncated);
    }
}

static void dissect_request(tvbuff_t *tvb, packet_info *pinfo, proto_tree *tree, const btudp_msg_t *m,
                            btudp_frame_t *f)
{
    proto_item *it;
    guint32 i;

    it = proto_tree_add_item(tree, hf_btudp_connection_id, tvb, BTUDP_REQ_CID_OFF, 8, ENC_BIG_ENDIAN);
    if (m->action == BTUDP_ACTION_CONNECT && m->connection_id == BTUDP_MAGIC)
        proto_item_append_text(it, " (protocol magic)");
    if (f && f->cid_frame) {
        proto_item *ci = proto_tree_add_uint(tree, hf_btudp_cid_issued_in, tvb, BTUDP_REQ_CID_OFF, 8, f->cid_frame);
        proto_item_set_generated(ci);
    }
    if (f && (f->flags & BTUDP_F_UNKNOWN_CID))
        expert_add_info(pinfo, it, &ei_btudp_unknown_cid);
    it = proto_tree_add_item(tree, hf_bttracker_action, tvb, BTUDP_REQ_ACTION_OFF, 4, ENC_BIG_ENDIAN);
    proto_tree_add_item(tree, hf_btudp_transaction_id, tvb, BTUDP_REQ_TID_OFF, 4, ENC_BIG_ENDIAN);
    add_status_expert(tree, pinfo, tvb, m, it);
    col_add_fstr(pinfo->cinfo, COL_INFO, "%s request, transaction 0x%08x",
                 val_to_str(pinfo->pool, m->action, bttracker_action_vals, "Unknown action %u"), m->transaction_id);
    if (f && f->txn)
        bttracker_add_pairing(tree, tvb, pinfo, TRUE, f->txn->resp_frame, NULL);
    if (m->status == BTUDP_TRUNCATED)
        return;

    switch (m->action) {
    case BTUDP_ACTION_ANNOUNCE: {
        guint32 event;
        proto_tree_add_item(tree, hf_bttracker_info_hash, tvb, BTUDP_ANN_INFOHASH_OFF, BT_INFO_HASH_LEN, ENC_NA);
        proto_tree_add_item(tree, hf_bttracker_peer_id, tvb, BTUDP_ANN_PEERID_OFF, BT_PEER_ID_LEN, ENC_NA);
        proto_tree_add_item(tree, hf_bttracker_downloaded, tvb, BTUDP_ANN_DOWNLOADED_OFF, 8, ENC_BIG_ENDIAN);
        proto_tree_add_item(tree, hf_bttracker_left, tvb, BTUDP_ANN_LEFT_OFF, 8, ENC_BIG_ENDIAN);
        proto_tree_add_item(tree, hf_bttracker_uploaded, tvb, BTUDP_ANN_UPLOADED_OFF, 8, ENC_BIG_ENDIAN);
        proto_tree_add_item_ret_uint(tree, hf_bttracker_event, tvb, BTUDP_ANN_EVENT_OFF, 4, ENC_BIG_ENDIAN, &event);
        proto_tree_add_item(tree, hf_btudp_ip, tvb, BTUDP_ANN_IP_OFF, 4, ENC_BIG_ENDIAN);
        proto_tree_add_item(tree, hf_btudp_key, tvb, BTUDP_ANN_KEY_OFF, 4, ENC_BIG_ENDIAN);
        proto_tree_add_item(tree, hf_bttracker_num_want, tvb, BTUDP_ANN_NUMWANT_OFF, 4, ENC_BIG_ENDIAN);
        proto_tree_add_item(tree, hf_bttracker_port, tvb, BTUDP_ANN_PORT_OFF, 2, ENC_BIG_ENDIAN);
        dissect_options(tree, pinfo, tvb, BTUDP_ANNOUNCE_REQ_LEN);
        col_append_fstr(pinfo->cinfo, COL_INFO, ", info_hash %s, event %s, port %u",
                        tvb_bytes_to_str(pinfo->pool, tvb, BTUDP_ANN_INFOHASH_OFF, BT_INFO_HASH_LEN),
                        val_to_str(pinfo->pool, event, bttracker_event_vals, "unknown (%u)"),
                        tvb_get_ntohs(tvb, BTUDP_ANN_PORT_OFF));
        bt_discovery_record(tvb, pinfo, BT_DISCOVERY_SOURCE_UDP_TRACKER,
                                   tvb_get_ptr(tvb, BTUDP_ANN_INFOHASH_OFF, BT_INFO_HASH_LEN), NULL, 0);
        break;
    }
    case BTUDP_ACTION_SCRAPE:
        it = proto_tree_add_uint(tree, hf_btudp_hash_count, tvb, BTUDP_SCRAPE_REQ_HDR,
                                 (int)(m->n_entries * BT_INFO_HASH_LEN), (guint32)m->n_entries);
        proto_item_set_generated(it);
        if (m->n_entries > BTUDP_SCRAPE_MAX_HASHES)
            expert_add_info(pinfo, it, &ei_btudp_too_many_hashes);
        /* Bounded by the datagram length / 20, and itemised up to the bound. */
        for (i = 0; i < m->n_entries && i < BTTRACKER_MAX_LIST_ITEMS; i++)
            proto_tree_add_item(tree, hf_bttracker_info_hash, tvb, BTUDP_SCRAPE_REQ_HDR + (int)i * BT_INFO_HASH_LEN,
                                BT_INFO_HASH_LEN, ENC_NA);
        if (i < m->n_entries)
            bttracker_add_not_shown(tree, pinfo, tvb, BTUDP_SCRAPE_REQ_HDR + (int)i * BT_INFO_HASH_LEN,
                                    (int)(m->n_entries - i) * BT_INFO_HASH_LEN,
                                    (guint)(m->n_entries - i), "info hashes");
        if (m->trailing)
            proto_tree_add_expert_format(tree, pinfo, &ei_btudp_trailing, tvb, BTUDP_SCRAPE_REQ_HDR + (int)(m->n_entries * BT_INFO_HASH_LEN),
                                         (int)m->trailing, "%u bytes after the last 20-byte info hash",
                                         (unsigned)m->trailing);
        col_append_fstr(pinfo->cinfo, COL_INFO, ", %u info hash%s", (unsigned)m->n_entries,
                        m->n_entries == 1 ? "" : "es");
        break;
    default:
        if (tvb_reported_length(tvb) > BTUDP_CONNECT_LEN && m->action == BTUDP_ACTION_CONNECT)
            proto_tree_add_item(tree, hf_btudp_trailing, tvb, BTUDP_CONNECT_LEN, -1, ENC_NA);
        break;
    }
}

/* The peers of an announce answer, itemised up to the bound. */
static void add_announce_peers(proto_tree *tree, tvbuff_t *tvb, packet_info *pinfo, const btudp_msg_t *m)
{
    guint left = BTTRACKER_MAX_LIST_ITEMS, hidden;
    int stride = (int)m->entry_len;

    hidden = bttracker_add_compact_peers(tree, tvb, pinfo, BTUDP_ANNOUNCE_RESP_HDR,
                                         (int)tvb_reported_length(tvb) - BTUDP_ANNOUNCE_RESP_HDR,
                                         stride == BT_COMPACT_V6_LEN, BT_DISCOVERY_SOURCE_UDP_TRACKER, &left);
    if (hidden)
        bttracker_add_not_shown(tree, pinfo, tvb, BTUDP_ANNOUNCE_RESP_HDR + (int)(m->n_entries - hidden) * stride,
                                (int)hidden * stride, hidden, "peers");
}

static void dissect_response(tvbuff_t *tvb, packet_info *pinfo, proto_tree *tree, const btudp_msg_t *m,
                             btudp_frame_t *f)
{
    proto_item *it, *tid_item;
    guint32 i;
    int off;

    it = proto_tree_add_item(tree, hf_bttracker_action, tvb, BTUDP_RESP_ACTION_OFF, 4, ENC_BIG_ENDIAN);
    tid_item = proto_tree_add_item(tree, hf_btudp_transaction_id, tvb, BTUDP_RESP_TID_OFF, 4, ENC_BIG_ENDIAN);
    add_status_expert(tree, pinfo, tvb, m, it);
    col_add_fstr(pinfo->cinfo, COL_INFO, "%s response, transaction 0x%08x",
                 val_to_str(pinfo->pool, m->action, bttracker_action_vals, "Unknown action %u"), m->transaction_id);
    if (f && f->txn)
        bttracker_add_pairing(tree, tvb, pinfo, FALSE, f->txn->req_frame, &f->txn->req_ts);
    if (f && (f->flags & BTUDP_F_NO_REQUEST))
        expert_add_info(pinfo, tid_item, &ei_bttracker_no_request);
    if (f && (f->flags & BTUDP_F_TID_MISMATCH))
        expert_add_info(pinfo, tid_item, &ei_btudp_tid_mismatch);
    if (f && (f->flags & BTUDP_F_ACTION_MISMATCH))
        expert_add_info_format(pinfo, it, &ei_btudp_action_mismatch, "Response action %s answers a %s request",
                               val_to_str(pinfo->pool, m->action, bttracker_action_vals, "%u"),
                               val_to_str(pinfo->pool, f->txn->action, bttracker_action_vals, "%u"));
    if (m->status == BTUDP_TRUNCATED)
        return;

    switch (m->action) {
    case BTUDP_ACTION_CONNECT:
        proto_tree_add_item(tree, hf_btudp_connection_id, tvb, BTUDP_CONN_CID_OFF, 8, ENC_BIG_ENDIAN);
        break;
    case BTUDP_ACTION_ANNOUNCE:
        if (f && f->txn && f->txn->n_hashes == 1) {
            it = proto_tree_add_bytes_with_length(tree, hf_bttracker_info_hash, tvb, 0, 0, f->txn->hashes, BT_INFO_HASH_LEN);
            proto_item_set_generated(it);
        }
        proto_tree_add_item(tree, hf_bttracker_interval, tvb, BTUDP_ANN_INTERVAL_OFF, 4, ENC_BIG_ENDIAN);
        proto_tree_add_item(tree, hf_bttracker_leechers, tvb, BTUDP_ANN_LEECHERS_OFF, 4, ENC_BIG_ENDIAN);
        proto_tree_add_item(tree, hf_bttracker_seeders, tvb, BTUDP_ANN_SEEDERS_OFF, 4, ENC_BIG_ENDIAN);
        add_announce_peers(tree, tvb, pinfo, m);
        col_append_fstr(pinfo->cinfo, COL_INFO, ", %u peer%s", (unsigned)m->n_entries,
                        m->n_entries == 1 ? "" : "s");
        break;
    case BTUDP_ACTION_SCRAPE:
        /* Bounded by the datagram length / 12, and itemised up to the bound. */
        for (i = 0, off = BTUDP_SCRAPE_RESP_HDR; i < m->n_entries && i < BTTRACKER_MAX_LIST_ITEMS;
             i++, off += BTUDP_SCRAPE_ENTRY) {
            proto_item *si = proto_tree_add_item(tree, hf_bttracker_scrape, tvb, off, BTUDP_SCRAPE_ENTRY, ENC_NA);
            proto_tree *st = proto_item_add_subtree(si, ett_bttracker_scrape);
            if (f && f->txn && f->txn->action == BTUDP_ACTION_SCRAPE && i < f->txn->n_hashes) {
                it = proto_tree_add_bytes_with_length(st, hf_bttracker_info_hash, tvb, off, 0, f->txn->hashes + i * BT_INFO_HASH_LEN, BT_INFO_HASH_LEN);
                proto_item_set_generated(it);
            }
            proto_tree_add_item(st, hf_bttracker_seeders, tvb, off, 4, ENC_BIG_ENDIAN);
            proto_tree_add_item(st, hf_bttracker_completed, tvb, off + 4, 4, ENC_BIG_ENDIAN);
            proto_tree_add_item(st, hf_bttracker_leechers, tvb, off + 8, 4, ENC_BIG_ENDIAN);
            proto_item_append_text(si, " %u: seeders %u, completed %u, leechers %u", i + 1,
                                   tvb_get_ntohl(tvb, off), tvb_get_ntohl(tvb, off + 4), tvb_get_ntohl(tvb, off + 8));
        }
        if (i < m->n_entries) {
            bttracker_add_not_shown(tree, pinfo, tvb, off, (int)(m->n_entries - i) * BTUDP_SCRAPE_ENTRY,
                                    (guint)(m->n_entries - i), "scrape entries");
            off += (int)(m->n_entries - i) * BTUDP_SCRAPE_ENTRY;
        }
        if (m->trailing)
            proto_tree_add_expert_format(tree, pinfo, &ei_btudp_trailing, tvb, off, (int)m->trailing,
                                         "%u bytes after the last 12-byte scrape entry", (unsigned)m->trailing);
        col_append_fstr(pinfo->cinfo, COL_INFO, ", %u torrent%s", (unsigned)m->n_entries,
                        m->n_entries == 1 ? "" : "s");
        break;
    case BTUDP_ACTION_ERROR: {
        const guint8 *msg;
        int mlen = (int)tvb_reported_length(tvb) - BTUDP_ERROR_HDR;
        it = proto_tree_add_item_ret_string(tree, hf_bttracker_failure_reason, tvb, BTUDP_ERROR_HDR, mlen,
                                            ENC_UTF_8, pinfo->pool, &msg);
        expert_add_info_format(pinfo, it, &ei_bttracker_failure, "Tracker error: %s", msg);
        col_append_fstr(pinfo->cinfo, COL_INFO, ": %s", msg);
        break;
    }
    default:
        break;
    }
}

static int dissect_btudp(tvbuff_t *tvb, packet_info *pinfo, proto_tree *tree, void *data _U_)
{
    guint len = tvb_captured_length(tvb);
    const guint8 *buf;
    btudp_conv_t *c;
    btudp_frame_t *f;
    btudp_msg_t req, resp;
    proto_item *ti, *it;
    proto_tree *tt;

    if (tvb_reported_length(tvb) < 8)
        return 0;
    buf = tvb_get_ptr(tvb, 0, len);
    btudp_parse_request(buf, len, &req);
    btudp_parse_response(buf, len, pinfo->src.type == AT_IPv6, &resp);

    c = get_conv(pinfo, TRUE);
    f = analyse(tvb, pinfo, c, &req, &resp);

    col_set_str(pinfo->cinfo, COL_PROTOCOL, BTTRACKER_SHORT_NAME);
    col_clear(pinfo->cinfo, COL_INFO);
    ti = proto_tree_add_item(tree, proto_bttracker, tvb, 0, -1, ENC_NA);
    proto_item_append_text(ti, " (UDP)");
    tt = proto_item_add_subtree(ti, ett_bttracker);
    it = proto_tree_add_boolean(tt, hf_bttracker_is_request, tvb, 0, 0, f ? f->is_request : FALSE);
    proto_item_set_generated(it);

    if (f && f->is_request) {
        if (req.status == BTUDP_TRUNCATED && len < BTUDP_REQ_HDR) {
            proto_tree_add_expert_format(tt, pinfo, &ei_btudp_truncated, tvb, 0, -1,
                                         "Request shorter than 16 bytes");
            col_set_str(pinfo->cinfo, COL_INFO, "Truncated request");
        } else {
            dissect_request(tvb, pinfo, tt, &req, f);
        }
    } else {
        dissect_response(tvb, pinfo, tt, &resp, f);
    }
    bttracker_discovery_note_full(tt, pinfo, tvb);
    return (int)tvb_captured_length(tvb);
}

static bt_heur_bool dissect_btudp_heur(tvbuff_t *tvb, packet_info *pinfo, proto_tree *tree, void *data)
{
    btudp_conv_t *c;
    guint8 head[16];

    if (tvb_captured_length(tvb) < BTUDP_CONNECT_LEN)
        return FALSE;
    tvb_memcpy(tvb, head, 0, sizeof(head));
    if (!btudp_is_connect_request(head, sizeof(head)))
        return FALSE;
    c = get_conv(pinfo, TRUE);
    if (!c->client_known) {
        copy_address_wmem(wmem_file_scope(), &c->client_addr, &pinfo->src);
        c->client_port = pinfo->srcport;
        c->client_known = TRUE;
    }
    conversation_set_dissector(find_or_create_conversation(pinfo), btudp_handle);
    dissect_btudp(tvb, pinfo, tree, data);
    return TRUE;
}

void bttracker_udp_register(void)
{
    static hf_register_info hf[] = {
        { &hf_btudp_connection_id,
          { "Connection ID", "bttracker.udp.connection_id", FT_UINT64, BASE_HEX, NULL, 0x0, NULL, HFILL } },
        { &hf_btudp_transaction_id,
          { "Transaction ID", "bttracker.udp.transaction_id", FT_UINT32, BASE_HEX, NULL, 0x0, NULL, HFILL } },
        { &hf_btudp_cid_issued_in,
          { "Connection ID issued in", "bttracker.udp.connection_id.issued_in", FT_FRAMENUM, BASE_NONE, NULL, 0x0,
            "The connect response that gave this connection ID", HFILL } },
        { &hf_btudp_ip,
          { "IP address", "bttracker.udp.ip", FT_IPv4, BASE_NONE, NULL, 0x0, "0: the sender's address", HFILL } },
        { &hf_btudp_key,
          { "Key", "bttracker.udp.key", FT_UINT32, BASE_HEX, NULL, 0x0, NULL, HFILL } },
        { &hf_btudp_option,
          { "Option", "bttracker.udp.option", FT_NONE, BASE_NONE, NULL, 0x0, "BEP 41 announce option", HFILL } },
        { &hf_btudp_option_type,
          { "Type", "bttracker.udp.option.type", FT_UINT8, BASE_DEC, VALS(btudp_option_vals), 0x0, NULL, HFILL } },
        { &hf_btudp_option_length,
          { "Length", "bttracker.udp.option.length", FT_UINT8, BASE_DEC, NULL, 0x0, NULL, HFILL } },
        { &hf_btudp_option_url_data,
          { "URL data", "bttracker.udp.option.url_data", FT_STRING, BASE_NONE, NULL, 0x0,
            "Path and query of the tracker URL", HFILL } },
        { &hf_btudp_option_data,
          { "Data", "bttracker.udp.option.data", FT_BYTES, BASE_NONE, NULL, 0x0, NULL, HFILL } },
        { &hf_btudp_hash_count,
          { "Info hash count", "bttracker.udp.info_hash_count", FT_UINT32, BASE_DEC, NULL, 0x0, NULL, HFILL } },
        { &hf_btudp_trailing,
          { "Trailing bytes", "bttracker.udp.trailing", FT_BYTES, BASE_NONE, NULL, 0x0, NULL, HFILL } },
    };
    static int *ett[] = { &ett_btudp_option };
    static ei_register_info ei[] = {
        { &ei_btudp_truncated,
          { "bttracker.udp.truncated", PI_MALFORMED, PI_ERROR, "Message shorter than its fixed part", EXPFILL } },
        { &ei_btudp_header_only,
          { "bttracker.udp.truncated.header_only", PI_RESPONSE_CODE, PI_WARN,
            "Announce answer of its 8-byte header only (opentracker: torrent not served)", EXPFILL } },
        { &ei_btudp_trailing,
          { "bttracker.udp.trailing.bytes", PI_MALFORMED, PI_WARN, "Bytes after the last whole entry", EXPFILL } },
        { &ei_btudp_unknown_action,
          { "bttracker.action.unknown", PI_PROTOCOL, PI_WARN, "Unknown action", EXPFILL } },
        { &ei_btudp_tid_mismatch,
          { "bttracker.udp.transaction_id.mismatch", PI_SEQUENCE, PI_WARN,
            "Transaction ID matches no request of this conversation", EXPFILL } },
        { &ei_btudp_action_mismatch,
          { "bttracker.action.mismatch", PI_SEQUENCE, PI_WARN, "Response action differs from the request's",
            EXPFILL } },
        { &ei_btudp_unknown_cid,
          { "bttracker.udp.connection_id.unknown", PI_SEQUENCE, PI_WARN,
            "Connection ID not issued by a connect response of this conversation", EXPFILL } },
        { &ei_btudp_option_truncated,
          { "bttracker.udp.option.truncated", PI_MALFORMED, PI_WARN, "Option runs past the end of the datagram",
            EXPFILL } },
        { &ei_btudp_too_many_hashes,
          { "bttracker.udp.info_hash_count.large", PI_PROTOCOL, PI_NOTE,
            "More info hashes than BEP 15's limit of about 74 per scrape", EXPFILL } },
    };
    expert_module_t *expert = expert_register_protocol(proto_bttracker);

    proto_register_field_array(proto_bttracker, hf, array_length(hf));
    proto_register_subtree_array(ett, array_length(ett));
    expert_register_field_array(expert, ei, array_length(ei));
    btudp_handle = register_dissector("bttracker.udp", dissect_btudp, proto_bttracker);
}

void bttracker_udp_handoff(void)
{
    heur_dissector_add("udp", dissect_btudp_heur, "BitTorrent UDP tracker over UDP", "bttracker_udp",
                       proto_bttracker, HEURISTIC_ENABLE);
    /* No default port: trackers use many (6969, 1337, 80, 451...). */
    dissector_add_uint_range_with_preference("udp.port", "", btudp_handle);
}
