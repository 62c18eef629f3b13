/* bttracker-http-answer.c
 * HTTP tracker answers, part of the bttracker plugin: the bencoded
 * dictionary of a BEP 3 announce answer (BEP 23 compact "peers", BEP 7
 * "peers6", dictionary-form peers) or of a BEP 48 scrape answer ("files"),
 * walked key by key with lib/btcommon/tracker-http.c so that a damaged answer
 * is decoded up to the damage.
 *
 * Bounds (issue 7, item 11): an answer is only bytes the tracker chose, and
 * Wireshark stops a packet at 1,000,000 tree items, reporting a dissector
 * bug.  So at most BTTRACKER_MAX_LIST_ITEMS entries of one answer are
 * itemised, every dictionary key, list element, peer and scrape entry
 * counting one; the rest are counted in one item with an expert (compact
 * peers beyond the bound are still recorded in the discovery store).  And at
 * most BTHTTP_MAX_BODY bytes of a body are decoded (see bttracker.h).
 */
#include <string.h>

#include <epan/packet.h>
#include <epan/expert.h>
#include <wsutil/inet_addr.h>

#include "bttracker.h"
#include "tracker-http.h"
#include "tracker-udp.h"
#include "ws-compat.h"

expert_field ei_bthttp_bad_number = EI_INIT;
expert_field ei_bthttp_bad_hash_len = EI_INIT;
static int hf_bthttp_min_interval = -1;
static int hf_bthttp_warning_message = -1;
static int hf_bthttp_tracker_id = -1;
static int hf_bthttp_other_key = -1;
static int hf_bthttp_peer_host = -1;
static int hf_bthttp_peer_peer_id = -1;

static expert_field ei_bthttp_bencode = EI_INIT;
static expert_field ei_bthttp_not_dict = EI_INIT;
static expert_field ei_bthttp_wrong_type = EI_INIT;
static expert_field ei_bthttp_body_bounded = EI_INIT;

/* One answer being decoded. */
typedef struct {
    packet_info   *pinfo;
    tvbuff_t      *tvb;
    const guint8  *buf;
    size_t         len;
    guint          left;        /* entries still to itemise */
    guint          hidden;      /* entries counted, not itemised */
    gboolean       cut;         /* the body was longer than BTHTTP_MAX_BODY */
} bthttp_answer_t;

/* One more entry: TRUE when it may be itemised, else it is counted. */
static gboolean take(bthttp_answer_t *a)
{
    if (a->left) {
        a->left--;
        return TRUE;
    }
    a->hidden++;
    return FALSE;
}

/* The string value of a bencoded element as a display string. */
static const char *bstr(packet_info *pinfo, tvbuff_t *tvb, const bencode_value_t *v)
{
    return (const char *)tvb_get_string_enc(pinfo->pool, tvb, (int)v->str_off, (int)v->str_len, ENC_UTF_8);
}

static gboolean expect_type(packet_info *pinfo, proto_tree *tree, tvbuff_t *tvb, const bencode_value_t *v,
                            bencode_type_t type, const char *what)
{
    if (v->type == type)
        return TRUE;
    proto_tree_add_expert_format(tree, pinfo, &ei_bthttp_wrong_type, tvb, (int)v->start, (int)(v->end - v->start),
                                 "%s has the wrong bencode type", what);
    return FALSE;
}

static void add_int(proto_tree *tree, packet_info *pinfo, tvbuff_t *tvb, int hf, const bencode_value_t *v,
                    const char *what)
{
    if (!expect_type(pinfo, tree, tvb, v, BENC_INT, what))
        return;
    if (!bencode_int_in(v, 0, G_MAXUINT32)) {
        proto_tree_add_expert_format(tree, pinfo, &ei_bthttp_bad_number, tvb, (int)v->start,
                                     (int)(v->end - v->start), "%s out of range", what);
        return;
    }
    proto_tree_add_uint(tree, hf, tvb, (int)v->start, (int)(v->end - v->start), (guint32)v->ival);
}

/* The walk's error, if any; a body cut at BTHTTP_MAX_BODY ends inside its
 * last element, which the cut's own expert already says. */
static void report_walk_error(proto_tree *tree, bthttp_answer_t *a, const bthttp_walk_t *w)
{
    packet_info *pinfo = a->pinfo;
    tvbuff_t *tvb = a->tvb;

    if (a->cut && w->err == BENC_ERR_TRUNCATED)
        return;
    if (w->err != BENC_OK) {
        int at = (int)MIN(w->err_off, w->len ? w->len - 1 : 0);
        proto_tree_add_expert_format(tree, pinfo, &ei_bthttp_bencode, tvb, at, w->len ? 1 : 0,
                                     "Bencode error at offset %d: %s", (int)w->err_off, bencode_err_str(w->err));
    }
}

/* One dictionary-form peer {ip, port, peer id}: its keys count against the
 * answer's bound; the endpoint is recorded when both parts were read. */
static void dissect_dict_peer(proto_tree *pt, proto_item *pi, bthttp_answer_t *a, const bencode_value_t *e)
{
    packet_info *pinfo = a->pinfo;
    tvbuff_t *tvb = a->tvb;
    bthttp_walk_t dw;
    bencode_value_t k, v;
    address addr;
    ws_in4_addr a4;
    ws_in6_addr a6;
    guint32 port = 0;
    gboolean have_addr = FALSE;
    const char *host = NULL;

    bthttp_walk_init(&dw, a->buf, a->len, e->start, BTHTTP_MAX_DEPTH - 2);
    /* Each key/value consumes at least three bytes of the body. */
    while (bthttp_walk_next(&dw, &k, &v)) {
        if (!take(a))
            continue;
        switch (bthttp_key(a->buf, &k)) {
        case BTHTTP_KEY_IP:
            if (!expect_type(pinfo, pt, tvb, &v, BENC_STR, "Peer ip"))
                break;
            host = bstr(pinfo, tvb, &v);
            if (ws_inet_pton4(host, &a4)) {
                proto_tree_add_ipv4(pt, hf_bttracker_peer_ip, tvb, (int)v.str_off, (int)v.str_len, a4);
                alloc_address_wmem(pinfo->pool, &addr, AT_IPv4, 4, &a4);
                have_addr = TRUE;
            } else if (ws_inet_pton6(host, &a6)) {
                proto_tree_add_ipv6(pt, hf_bttracker_peer_ipv6, tvb, (int)v.str_off, (int)v.str_len, &a6);
                alloc_address_wmem(pinfo->pool, &addr, AT_IPv6, 16, &a6);
                have_addr = TRUE;
            } else {
                proto_tree_add_string(pt, hf_bthttp_peer_host, tvb, (int)v.str_off, (int)v.str_len, host);
            }
            break;
        case BTHTTP_KEY_PORT:
            if (expect_type(pinfo, pt, tvb, &v, BENC_INT, "Peer port") && bencode_int_in(&v, 1, G_MAXUINT16)) {
                port = (guint32)v.ival;
                proto_tree_add_uint(pt, hf_bttracker_peer_port, tvb, (int)v.start, (int)(v.end - v.start), port);
            } else if (v.type == BENC_INT) {
                proto_tree_add_expert_format(pt, pinfo, &ei_bthttp_bad_number, tvb, (int)v.start,
                                             (int)(v.end - v.start), "Peer port out of range");
            }
            break;
        case BTHTTP_KEY_PEER_ID:
            if (expect_type(pinfo, pt, tvb, &v, BENC_STR, "Peer id"))
                proto_tree_add_item(pt, hf_bthttp_peer_peer_id, tvb, (int)v.str_off, (int)v.str_len, ENC_NA);
            break;
        default:
            proto_tree_add_string(pt, hf_bthttp_other_key, tvb, (int)k.start, (int)(v.end - k.start),
                                  bstr(pinfo, tvb, &k));
            break;
        }
    }
    report_walk_error(pt, a, &dw);
    if (host && strchr(host, ':'))
        proto_item_set_text(pi, "Peer: [%s]:%u", host, port);
    else
        proto_item_set_text(pi, "Peer: %s:%u", host ? host : "?", port);
    if (have_addr && port)
        bt_discovery_record(tvb, pinfo, BT_DISCOVERY_SOURCE_HTTP_TRACKER, NULL, &addr, (guint16)port);
}

/* Dictionary-form peers: a list of {ip, port, peer id} dictionaries. */
static guint dissect_dict_peers(proto_tree *tree, bthttp_answer_t *a, const bencode_value_t *list)
{
    bthttp_walk_t lw;
    bencode_value_t e;
    guint n = 0;

    bthttp_walk_init(&lw, a->buf, a->len, list->start, BTHTTP_MAX_DEPTH - 1);
    /* Each element consumes at least two bytes of the body. */
    while (bthttp_walk_next(&lw, NULL, &e)) {
        proto_item *pi;
        proto_tree *pt;

        n++;
        if (!take(a))
            continue;
        pi = proto_tree_add_item(tree, hf_bttracker_peer, a->tvb, (int)e.start, (int)(e.end - e.start), ENC_NA);
        pt = proto_item_add_subtree(pi, ett_bttracker_peer);
        if (expect_type(a->pinfo, pt, a->tvb, &e, BENC_DICT, "Peer"))
            dissect_dict_peer(pt, pi, a, &e);
    }
    report_walk_error(tree, a, &lw);
    return n;
}

/* BEP 48 scrape answer: files = { <20-byte hash>: {complete, downloaded, incomplete} }. */
static guint dissect_files(proto_tree *tree, bthttp_answer_t *a, const bencode_value_t *files)
{
    packet_info *pinfo = a->pinfo;
    tvbuff_t *tvb = a->tvb;
    bthttp_walk_t fw, dw;
    bencode_value_t k, v, sk, sv;
    guint n = 0;

    bthttp_walk_init(&fw, a->buf, a->len, files->start, BTHTTP_MAX_DEPTH - 1);
    while (bthttp_walk_next(&fw, &k, &v)) {
        proto_item *si, *hi;
        proto_tree *st;

        n++;
        if (!take(a))
            continue;
        si = proto_tree_add_item(tree, hf_bttracker_scrape, tvb, (int)k.start, (int)(v.end - k.start), ENC_NA);
        st = proto_item_add_subtree(si, ett_bttracker_scrape);
        hi = proto_tree_add_item(st, hf_bttracker_info_hash, tvb, (int)k.str_off, (int)k.str_len, ENC_NA);
        if (k.str_len != BT_INFO_HASH_LEN)
            expert_add_info_format(pinfo, hi, &ei_bthttp_bad_hash_len, "%u-byte key, not a 20-byte info hash",
                                   (unsigned)k.str_len);
        proto_item_append_text(si, " %u", n);
        if (!expect_type(pinfo, st, tvb, &v, BENC_DICT, "Scrape entry"))
            continue;
        bthttp_walk_init(&dw, a->buf, a->len, v.start, BTHTTP_MAX_DEPTH - 2);
        while (bthttp_walk_next(&dw, &sk, &sv)) {
            if (!take(a))
                continue;
            switch (bthttp_key(a->buf, &sk)) {
            case BTHTTP_KEY_COMPLETE:   add_int(st, pinfo, tvb, hf_bttracker_seeders, &sv, "complete"); break;
            case BTHTTP_KEY_INCOMPLETE: add_int(st, pinfo, tvb, hf_bttracker_leechers, &sv, "incomplete"); break;
            case BTHTTP_KEY_DOWNLOADED: add_int(st, pinfo, tvb, hf_bttracker_completed, &sv, "downloaded"); break;
            default:
                proto_tree_add_string(st, hf_bthttp_other_key, tvb, (int)sk.start, (int)(sv.end - sk.start),
                                      bstr(pinfo, tvb, &sk));
                break;
            }
        }
        report_walk_error(st, a, &dw);
    }
    report_walk_error(tree, a, &fw);
    return n;
}

/* A compact peer string (BEP 23 "peers", BEP 7 "peers6"); returns its peers. */
static guint compact_peers(proto_tree *tree, bthttp_answer_t *a, const bencode_value_t *v, gboolean ipv6)
{
    guint stride = ipv6 ? 18 : 6;
    a->hidden += bttracker_add_compact_peers(tree, a->tvb, a->pinfo, (int)v->str_off, (int)v->str_len, ipv6,
                                             BT_DISCOVERY_SOURCE_HTTP_TRACKER, &a->left);
    return (guint)(v->str_len / stride);
}

/* The tracker tree of an answer, with what its request left. */
static proto_tree *answer_tree(proto_tree *ptree, bthttp_answer_t *a, const bttracker_req_t *req, guint full_len)
{
    proto_item *ti, *it;
    proto_tree *tree;

    ti = proto_tree_add_item(ptree, proto_bttracker, a->tvb, 0, -1, ENC_NA);
    proto_item_append_text(ti, " (HTTP)");
    tree = proto_item_add_subtree(ti, ett_bttracker);
    it = proto_tree_add_boolean(tree, hf_bttracker_is_request, a->tvb, 0, 0, FALSE);
    proto_item_set_generated(it);
    if (req) {
        it = proto_tree_add_uint(tree, hf_bttracker_action, a->tvb, 0, 0, req->action);
        proto_item_set_generated(it);
        bttracker_add_pairing(tree, a->tvb, a->pinfo, FALSE, req->req_frame, &req->req_ts);
        if (req->action == BT_TRACKER_ACTION_ANNOUNCE && req->n_hashes) {
            it = proto_tree_add_bytes_with_length(tree, hf_bttracker_info_hash, a->tvb, 0, 0, req->hashes, BT_INFO_HASH_LEN);
            proto_item_set_generated(it);
        }
    } else {
        proto_tree_add_expert(tree, a->pinfo, &ei_bttracker_no_request, a->tvb, 0, 0);
    }
    if (a->cut)
        proto_tree_add_expert_format(tree, a->pinfo, &ei_bthttp_body_bounded, a->tvb, 0, (int)a->len,
                                     "Answer body of %u bytes: only the first %u are decoded", full_len,
                                     (unsigned)a->len);
    return tree;
}

void bttracker_http_dissect_answer(tvbuff_t *tvb, packet_info *pinfo, proto_tree *ptree, const bttracker_req_t *req,
                                   guint full_len)
{
    bthttp_answer_t a;
    bthttp_walk_t w;
    bencode_value_t k, v;
    proto_item *it;
    proto_tree *tree;
    guint n_peers = 0, n_files = 0;
    const char *failure = NULL;

    memset(&a, 0, sizeof(a));
    a.pinfo = pinfo;
    a.tvb = tvb;
    a.len = tvb_captured_length(tvb);
    a.buf = tvb_get_ptr(tvb, 0, (gint)a.len);
    a.left = BTTRACKER_MAX_LIST_ITEMS;
    a.cut = full_len > a.len;
    tree = answer_tree(ptree, &a, req, full_len);

    if (!bthttp_walk_init(&w, a.buf, a.len, 0, BTHTTP_MAX_DEPTH)) {
        proto_tree_add_expert(tree, pinfo, &ei_bthttp_not_dict, tvb, 0, -1);
        return;
    }
    /* Each key/value consumes at least three bytes of the body. */
    while (bthttp_walk_next(&w, &k, &v)) {
        bthttp_key_t key = bthttp_key(a.buf, &k);
        /* Past the bound, compact peers are still counted and recorded. */
        if (!take(&a) && key != BTHTTP_KEY_PEERS && key != BTHTTP_KEY_PEERS6)
            continue;
        switch (key) {
        case BTHTTP_KEY_INTERVAL:     add_int(tree, pinfo, tvb, hf_bttracker_interval, &v, "interval"); break;
        case BTHTTP_KEY_MIN_INTERVAL: add_int(tree, pinfo, tvb, hf_bthttp_min_interval, &v, "min interval"); break;
        case BTHTTP_KEY_COMPLETE:     add_int(tree, pinfo, tvb, hf_bttracker_seeders, &v, "complete"); break;
        case BTHTTP_KEY_INCOMPLETE:   add_int(tree, pinfo, tvb, hf_bttracker_leechers, &v, "incomplete"); break;
        case BTHTTP_KEY_DOWNLOADED:   add_int(tree, pinfo, tvb, hf_bttracker_completed, &v, "downloaded"); break;
        case BTHTTP_KEY_FAILURE:
            if (expect_type(pinfo, tree, tvb, &v, BENC_STR, "failure reason")) {
                failure = bstr(pinfo, tvb, &v);
                it = proto_tree_add_string(tree, hf_bttracker_failure_reason, tvb, (int)v.str_off, (int)v.str_len, failure);
                expert_add_info_format(pinfo, it, &ei_bttracker_failure, "Tracker failure: %s", failure);
            }
            break;
        case BTHTTP_KEY_WARNING:
            if (expect_type(pinfo, tree, tvb, &v, BENC_STR, "warning message"))
                proto_tree_add_string(tree, hf_bthttp_warning_message, tvb, (int)v.str_off, (int)v.str_len,
                                      bstr(pinfo, tvb, &v));
            break;
        case BTHTTP_KEY_TRACKER_ID:
            if (expect_type(pinfo, tree, tvb, &v, BENC_STR, "tracker id"))
                proto_tree_add_string(tree, hf_bthttp_tracker_id, tvb, (int)v.str_off, (int)v.str_len,
                                      bstr(pinfo, tvb, &v));
            break;
        case BTHTTP_KEY_PEERS:
            if (v.type == BENC_STR) {
                n_peers += compact_peers(tree, &a, &v, FALSE);
            } else if (expect_type(pinfo, tree, tvb, &v, BENC_LIST, "peers")) {
                guint n = dissect_dict_peers(tree, &a, &v);
                it = proto_tree_add_uint(tree, hf_bttracker_peer_count, tvb, (int)v.start, (int)(v.end - v.start), n);
                proto_item_set_generated(it);
                n_peers += n;
            }
            break;
        case BTHTTP_KEY_PEERS6:
            if (expect_type(pinfo, tree, tvb, &v, BENC_STR, "peers6"))
                n_peers += compact_peers(tree, &a, &v, TRUE);
            break;
        case BTHTTP_KEY_FILES:
            if (expect_type(pinfo, tree, tvb, &v, BENC_DICT, "files"))
                n_files += dissect_files(tree, &a, &v);
            break;
        default:
            proto_tree_add_string(tree, hf_bthttp_other_key, tvb, (int)k.start, (int)(v.end - k.start),
                                  bstr(pinfo, tvb, &k));
            break;
        }
    }
    report_walk_error(tree, &a, &w);
    bttracker_discovery_note_full(tree, pinfo, tvb);
    if (a.hidden)
        bttracker_add_not_shown(tree, pinfo, tvb, 0, 0, a.hidden, "entries of this answer");

    if (failure)
        col_append_fstr(pinfo->cinfo, COL_INFO, " [tracker failure: %s]", failure);
    else if (n_files || (req && req->action == BT_TRACKER_ACTION_SCRAPE))
        col_append_fstr(pinfo->cinfo, COL_INFO, " [tracker scrape: %u torrent%s]", n_files, n_files == 1 ? "" : "s");
    else
        col_append_fstr(pinfo->cinfo, COL_INFO, " [tracker: %u peer%s]", n_peers, n_peers == 1 ? "" : "s");
}

/* Without a captured request: a dictionary whose first key is a tracker's. */
gboolean bttracker_http_looks_like_answer(tvbuff_t *tvb)
{
    guint len = tvb_captured_length(tvb);
    const guint8 *buf;
    bthttp_walk_t w;
    bencode_value_t k, v;

    if (len < 4 || tvb_get_uint8(tvb, 0) != 'd')
        return FALSE;
    buf = tvb_get_ptr(tvb, 0, len);
    if (!bthttp_walk_init(&w, buf, len, 0, BTHTTP_MAX_DEPTH) || !bthttp_walk_next(&w, &k, &v))
        return FALSE;
    switch (bthttp_key(buf, &k)) {
    case BTHTTP_KEY_OTHER:
    case BTHTTP_KEY_IP:
    case BTHTTP_KEY_PORT:
    case BTHTTP_KEY_PEER_ID:
        return FALSE;
    default:
        return TRUE;
    }
}

void bttracker_http_answer_register(void)
{
    static hf_register_info hf[] = {
        { &hf_bthttp_min_interval,
          { "Minimum interval", "bttracker.http.min_interval", FT_UINT32, BASE_DEC, NULL, 0x0,
            "Least seconds between announces (the answer's \"min interval\" key)", HFILL } },
        { &hf_bthttp_warning_message,
          { "Warning message", "bttracker.http.warning_message", FT_STRING, BASE_NONE, NULL, 0x0, NULL, HFILL } },
        { &hf_bthttp_tracker_id,
          { "Tracker ID", "bttracker.http.tracker_id", FT_STRING, BASE_NONE, NULL, 0x0, NULL, HFILL } },
        { &hf_bthttp_other_key,
          { "Other key", "bttracker.http.other_key", FT_STRING, BASE_NONE, NULL, 0x0,
            "A dictionary key without a field of its own", HFILL } },
        { &hf_bthttp_peer_host,
          { "Host", "bttracker.peer.host", FT_STRING, BASE_NONE, NULL, 0x0, "Peer given by name", HFILL } },
        { &hf_bthttp_peer_peer_id,
          { "Peer ID", "bttracker.peer.peer_id", FT_BYTES, BASE_NONE, NULL, 0x0, NULL, HFILL } },
    };
    static ei_register_info ei[] = {
        { &ei_bthttp_bad_number,
          { "bttracker.http.number.invalid", PI_MALFORMED, PI_WARN, "Not a number in range", EXPFILL } },
        { &ei_bthttp_bad_hash_len,
          { "bttracker.info_hash.length", PI_MALFORMED, PI_WARN, "Not 20 bytes", EXPFILL } },
        { &ei_bthttp_bencode,
          { "bttracker.http.bencode.invalid", PI_MALFORMED, PI_ERROR, "Bencode error", EXPFILL } },
        { &ei_bthttp_not_dict,
          { "bttracker.http.not_dict", PI_MALFORMED, PI_ERROR, "Tracker answer is not a bencoded dictionary",
            EXPFILL } },
        { &ei_bthttp_wrong_type,
          { "bttracker.http.type.invalid", PI_MALFORMED, PI_WARN, "Wrong bencode type", EXPFILL } },
        { &ei_bthttp_body_bounded,
          { "bttracker.http.body.bounded", PI_UNDECODED, PI_WARN,
            "Answer body longer than the decoding bound", EXPFILL } },
    };
    expert_module_t *expert = expert_register_protocol(proto_bttracker);

    proto_register_field_array(proto_bttracker, hf, array_length(hf));
    expert_register_field_array(expert, ei, array_length(ei));
}
