/* bttracker-http.c
 * HTTP tracker (BEP 3 announce, BEP 48 scrape, BEP 23 compact peers, BEP 7
 * peers6), part of the bttracker plugin.
 *
 * Wireshark 4.0's HTTP dissector hands a body to a media-type dissector
 * ("text/plain" for opentracker) and never calls anyone for a GET without a
 * body, so neither the request URI nor a text/plain answer can be claimed by
 * a subdissector without replacing the text/plain handler for all HTTP.
 * Instead this half is a postdissector that asks for http.request.uri,
 * http.request_in and http.file_data (set_postdissector_wanted_hfids) and
 * adds a "BitTorrent Tracker (HTTP)" tree after HTTP when a frame carries a
 * tracker request or a tracker answer; ordinary HTTP is left untouched.
 *
 * A request is a tracker request when the last path component starts with
 * "announce" or "scrape" (BEP 48 derives the scrape URL that way) or the query
 * has an info_hash.  An answer is decoded when HTTP pairs it with such a
 * request (http.request_in), or, without a captured request, when the body is
 * a dictionary whose first key is one a tracker sends.
 */
#include <string.h>

#include <epan/packet.h>
#include <epan/proto_data.h>
#include <epan/expert.h>
#include <epan/prefs.h>
#include <wsutil/inet_addr.h>

#include "bttracker.h"
#include "urlquery.h"
#include "tracker-http.h"
#include "tracker-udp.h"
#include "ws-compat.h"

static int hf_bthttp_path = -1;
static int hf_bthttp_param = -1;
static int hf_bthttp_compact = -1;
static int hf_bthttp_key = -1;
static int hf_bthttp_ip = -1;
static int hf_bthttp_event_text = -1;

static expert_field ei_bthttp_bad_escape = EI_INIT;
static expert_field ei_bthttp_unknown_event = EI_INIT;

static int hf_http_request_uri = -1;
static int hf_http_request_in = -1;
static int hf_http_file_data = -1;

static bt_pref_bool bthttp_enabled = TRUE;
static bt_pref_bool bthttp_guess_answers = TRUE;

static dissector_handle_t bthttp_handle;

static wmem_map_t *bthttp_requests;   /* request frame -> bttracker_req_t */

/* Scrape requests name one info_hash per parameter; this caps how many a
 * request remembers for labelling its answer (BEP 48 sets no limit, real
 * clients send one, and memory must stay proportional to the capture). */
#define BTHTTP_MAX_SCRAPE_HASHES 256

/* Path test: last component starts with "announce" or "scrape". */
static guint32 path_kind(const char *uri, size_t path_len)
{
    size_t i = path_len;
    while (i > 0 && uri[i - 1] != '/')
        i--;
    if (path_len - i >= 8 && memcmp(uri + i, "announce", 8) == 0)
        return BT_TRACKER_ACTION_ANNOUNCE;
    if (path_len - i >= 6 && memcmp(uri + i, "scrape", 6) == 0)
        return BT_TRACKER_ACTION_SCRAPE;
    return 0;
}

static gboolean key_is(const char *q, const urlq_pair_t *p, const char *name)
{
    return p->key_len == strlen(name) && memcmp(q + p->key_off, name, p->key_len) == 0;
}

/* BT_TRACKER_ACTION_ANNOUNCE or _SCRAPE for a tracker request URI, else 0. */
static guint32 tracker_uri_kind(const char *uri, size_t n)
{
    size_t path_len, qoff = urlq_find_query(uri, n, &path_len), pos = 0;
    guint32 kind = path_kind(uri, path_len);
    urlq_pair_t p;

    if (kind)
        return kind;
    /* Any other path needs an info_hash parameter to count; each step
     * consumes at least one byte of the query. */
    while (urlq_next(uri + qoff, n - qoff, &pos, &p))
        if (key_is(uri + qoff, &p, "info_hash"))
            return BT_TRACKER_ACTION_ANNOUNCE;
    return 0;
}

static void add_u64_param(proto_tree *tree, packet_info *pinfo, tvbuff_t *tvb, int off, const char *q,
                          const urlq_pair_t *p, int hf)
{
    header_field_info *hfi = proto_registrar_get_nth(hf);
    int start = off + (int)p->key_off, span = (int)(p->val_off + p->val_len - p->key_off);
    guint64 v, max;
    proto_item *it;

    switch (hfi->type) {
    case FT_UINT8:  max = G_MAXUINT8; break;
    case FT_UINT16: max = G_MAXUINT16; break;
    case FT_INT32:  max = G_MAXINT32; break;
    case FT_UINT32: max = G_MAXUINT32; break;
    default:        max = G_MAXUINT64; break;
    }
    if (urlq_parse_u64(q + p->val_off, p->val_len, &v) && v <= max) {
        if (hfi->type == FT_UINT64)
            proto_tree_add_uint64(tree, hf, tvb, start, span, v);
        else if (hfi->type == FT_INT32)
            proto_tree_add_int(tree, hf, tvb, start, span, (gint32)v);
        else
            proto_tree_add_uint(tree, hf, tvb, start, span, (guint32)v);
    } else if (hfi->type == FT_INT32 && p->val_len == 2 && memcmp(q + p->val_off, "-1", 2) == 0) {
        proto_tree_add_int(tree, hf, tvb, start, span, -1);      /* "tracker's default" */
    } else {
        it = proto_tree_add_item(tree, hf_bthttp_param, tvb, start, span, ENC_ASCII);
        expert_add_info_format(pinfo, it, &ei_bthttp_bad_number, "%s is not a number in 0..%" G_GUINT64_FORMAT,
                               hfi->abbrev, max);
    }
}

/* A 20-byte binary parameter (info_hash, peer_id), percent-decoded. */
static const guint8 *add_bin20_param(proto_tree *tree, packet_info *pinfo, tvbuff_t *tvb, int off,
                                     const char *q, const urlq_pair_t *p, int hf)
{
    guint8 *raw = (guint8 *)wmem_alloc(pinfo->pool, p->val_len + 1);
    int bad = 0;
    size_t n = urlq_unescape(q + p->val_off, p->val_len, raw, p->val_len + 1, &bad);
    proto_item *it = proto_tree_add_bytes_with_length(tree, hf, tvb, off + (int)p->val_off, (int)p->val_len,
                                                      raw, (gint)MIN(n, p->val_len));
    if (bad)
        expert_add_info(pinfo, it, &ei_bthttp_bad_escape);
    if (n != BT_INFO_HASH_LEN) {
        expert_add_info_format(pinfo, it, &ei_bthttp_bad_hash_len, "%u bytes after un-escaping, not 20",
                               (unsigned)n);
        return NULL;
    }
    return raw;
}

/* The event parameter (BEP 3: started, completed, stopped, empty or
 * absent); returns whether it names one of them. */
static gboolean add_event_param(proto_tree *tree, packet_info *pinfo, tvbuff_t *utvb, int qbase, const char *q,
                                const urlq_pair_t *p, guint32 *event)
{
    const char *v = q + p->val_off;
    int span = (int)(p->val_off + p->val_len - p->key_off);
    proto_item *it;

    if (p->val_len == 7 && memcmp(v, "started", 7) == 0)
        *event = BT_TRACKER_EVENT_STARTED;
    else if (p->val_len == 9 && memcmp(v, "completed", 9) == 0)
        *event = BT_TRACKER_EVENT_COMPLETED;
    else if (p->val_len == 7 && memcmp(v, "stopped", 7) == 0)
        *event = BT_TRACKER_EVENT_STOPPED;
    else if (p->val_len == 0 || (p->val_len == 5 && memcmp(v, "empty", 5) == 0))
        *event = BT_TRACKER_EVENT_NONE;
    else {
        it = proto_tree_add_item(tree, hf_bthttp_event_text, utvb, qbase + (int)p->val_off, (int)p->val_len,
                                 ENC_ASCII);
        expert_add_info(pinfo, it, &ei_bthttp_unknown_event);
        return FALSE;
    }
    proto_tree_add_uint(tree, hf_bttracker_event, utvb, qbase + (int)p->key_off, span, *event);
    return TRUE;
}

/* The request's record: made on the first pass, looked up on later ones. */
static bttracker_req_t *request_record(packet_info *pinfo, guint32 kind)
{
    bttracker_req_t *req;

    if (PINFO_FD_VISITED(pinfo))
        return (bttracker_req_t *)wmem_map_lookup(bthttp_requests, GUINT_TO_POINTER(pinfo->num));
    req = wmem_new0(wmem_file_scope(), bttracker_req_t);
    req->req_frame = pinfo->num;
    req->req_ts = pinfo->abs_ts;
    req->action = kind;
    req->hashes = (guint8 *)wmem_alloc(wmem_file_scope(), BT_INFO_HASH_LEN);
    wmem_map_insert(bthttp_requests, GUINT_TO_POINTER(pinfo->num), req);
    return req;
}

static void dissect_request(tvbuff_t *utvb, int uoff, int ulen, packet_info *pinfo, proto_tree *ptree)
{
    const char *uri = (const char *)tvb_get_ptr(utvb, uoff, ulen);
    size_t path_len, qoff, pos = 0;
    guint32 kind;
    urlq_pair_t p;
    proto_item *ti, *it;
    proto_tree *tree;
    bttracker_req_t *req;
    const guint8 *first_hash = NULL;
    const char *q;
    int qbase, n_hashes = 0;
    guint left = BTTRACKER_MAX_LIST_ITEMS, hidden = 0;
    guint32 event = 0;
    gboolean has_event = FALSE;

    qoff = urlq_find_query(uri, (size_t)ulen, &path_len);
    kind = tracker_uri_kind(uri, (size_t)ulen);
    q = uri + qoff;
    qbase = uoff + (int)qoff;

    ti = proto_tree_add_item(ptree, proto_bttracker, utvb, uoff, ulen, ENC_NA);
    proto_item_append_text(ti, " (HTTP)");
    tree = proto_item_add_subtree(ti, ett_bttracker);
    it = proto_tree_add_boolean(tree, hf_bttracker_is_request, utvb, uoff, 0, TRUE);
    proto_item_set_generated(it);
    it = proto_tree_add_uint(tree, hf_bttracker_action, utvb, uoff, (int)path_len, kind);
    proto_item_set_generated(it);
    proto_tree_add_item(tree, hf_bthttp_path, utvb, uoff, (int)path_len, ENC_ASCII);

    req = request_record(pinfo, kind);
    if (req)
        bttracker_add_pairing(tree, utvb, pinfo, TRUE, req->resp_frame, NULL);

    /* Every step consumes at least one byte of the query.  Parameters past
     * the itemising bound are only counted. */
    while (urlq_next(q, (size_t)ulen - qoff, &pos, &p)) {
        if (!left) {
            hidden++;
            continue;
        }
        left--;
        if (key_is(q, &p, "info_hash")) {
            const guint8 *h = add_bin20_param(tree, pinfo, utvb, qbase, q, &p, hf_bttracker_info_hash);
            if (h && !first_hash)
                first_hash = h;
            if (h && req && !PINFO_FD_VISITED(pinfo) && n_hashes < BTHTTP_MAX_SCRAPE_HASHES) {
                if (n_hashes)
                    req->hashes = (guint8 *)wmem_realloc(wmem_file_scope(), req->hashes, (n_hashes + 1) * BT_INFO_HASH_LEN);
                memcpy(req->hashes + n_hashes * BT_INFO_HASH_LEN, h, BT_INFO_HASH_LEN);
                req->n_hashes = (guint32)++n_hashes;
            }
        } else if (key_is(q, &p, "peer_id")) {
            add_bin20_param(tree, pinfo, utvb, qbase, q, &p, hf_bttracker_peer_id);
        } else if (key_is(q, &p, "port")) {
            add_u64_param(tree, pinfo, utvb, qbase, q, &p, hf_bttracker_port);
        } else if (key_is(q, &p, "uploaded")) {
            add_u64_param(tree, pinfo, utvb, qbase, q, &p, hf_bttracker_uploaded);
        } else if (key_is(q, &p, "downloaded")) {
            add_u64_param(tree, pinfo, utvb, qbase, q, &p, hf_bttracker_downloaded);
        } else if (key_is(q, &p, "left")) {
            add_u64_param(tree, pinfo, utvb, qbase, q, &p, hf_bttracker_left);
        } else if (key_is(q, &p, "compact")) {
            add_u64_param(tree, pinfo, utvb, qbase, q, &p, hf_bthttp_compact);
        } else if (key_is(q, &p, "numwant")) {
            add_u64_param(tree, pinfo, utvb, qbase, q, &p, hf_bttracker_num_want);
        } else if (key_is(q, &p, "event")) {
            has_event = add_event_param(tree, pinfo, utvb, qbase, q, &p, &event);
        } else if (key_is(q, &p, "key")) {
            proto_tree_add_item(tree, hf_bthttp_key, utvb, qbase + (int)p.val_off, (int)p.val_len, ENC_ASCII);
        } else if (key_is(q, &p, "ip")) {
            proto_tree_add_item(tree, hf_bthttp_ip, utvb, qbase + (int)p.val_off, (int)p.val_len, ENC_ASCII);
        } else {
            proto_tree_add_item(tree, hf_bthttp_param, utvb, qbase + (int)p.key_off,
                                (int)(p.val_off + p.val_len - p.key_off), ENC_ASCII);
        }
    }

    if (hidden)
        bttracker_add_not_shown(tree, pinfo, utvb, uoff, ulen, hidden, "query parameters");
    if (kind == BT_TRACKER_ACTION_ANNOUNCE) {
        col_append_fstr(pinfo->cinfo, COL_INFO, " [tracker announce%s%s]",
                        has_event ? ", event " : "", has_event ? val_to_str_const(event, bttracker_event_vals, "?") : "");
        if (first_hash)
            bt_discovery_record(utvb, pinfo, BT_DISCOVERY_SOURCE_HTTP_TRACKER, first_hash, NULL, 0);
        bttracker_discovery_note_full(tree, pinfo, utvb);
    } else {
        col_append_str(pinfo->cinfo, COL_INFO, " [tracker scrape]");
    }
}

/* What the first pass found in a frame, so that later passes (which do
 * not get the HTTP fields a postdissector asks for on the first pass) show
 * the same tree.  Bytes inside the frame's own tvb are referred to by
 * offset; bytes of a reassembled or de-chunked tvb are copied. */
typedef struct {
    gboolean is_request;
    guint32  req_frame;     /* answers: http.request_in, 0 if none */
    gint     frame_off;     /* >= 0: offset in the frame tvb */
    guint    len;           /* bytes decoded: at most BTHTTP_MAX_BODY */
    guint    full_len;      /* the message's length */
    guint8  *copy;          /* frame_off < 0: the bytes */
} bthttp_item_t;

/* HTTP pipelining can put several messages in one frame; more than this
 * many tracker messages in one frame are not decoded (real clients send one
 * request per connection at a time). */
#define BTHTTP_MAX_ITEMS_PER_FRAME 16

static void remember(wmem_array_t **items, tvbuff_t *frame_tvb, field_info *fi, gboolean is_request, guint32 req_frame)
{
    bthttp_item_t it;

    if (!*items)
        *items = wmem_array_new(wmem_file_scope(), sizeof(bthttp_item_t));
    if (wmem_array_get_count(*items) >= BTHTTP_MAX_ITEMS_PER_FRAME)
        return;
    memset(&it, 0, sizeof(it));
    it.is_request = is_request;
    it.req_frame = req_frame;
    it.full_len = (guint)fi->length;
    it.len = MIN(it.full_len, BTHTTP_MAX_BODY);
    if (fi->ds_tvb == frame_tvb) {
        it.frame_off = fi->start;
    } else {
        it.frame_off = -1;
        it.copy = (guint8 *)tvb_memdup(wmem_file_scope(), fi->ds_tvb, fi->start, (gint)it.len);
    }
    wmem_array_append_one(*items, it);
}

/* First pass: pick the tracker messages out of the HTTP fields. */
static wmem_array_t *first_pass(tvbuff_t *tvb, packet_info *pinfo, proto_tree *tree)
{
    GPtrArray *uris, *bodies, *req_ins;
    wmem_array_t *items = NULL;
    guint i;

    if (!tree || !proto_is_frame_protocol(pinfo->layers, "http"))
        return NULL;
    uris = proto_get_finfo_ptr_array(tree, hf_http_request_uri);
    for (i = 0; uris && i < uris->len; i++) {
        field_info *fi = (field_info *)g_ptr_array_index(uris, i);
        if (fi->ds_tvb && fi->length > 0 &&
            tracker_uri_kind((const char *)tvb_get_ptr(fi->ds_tvb, fi->start, fi->length), (size_t)fi->length))
            remember(&items, tvb, fi, TRUE, 0);
    }
    bodies = proto_get_finfo_ptr_array(tree, hf_http_file_data);
    req_ins = proto_get_finfo_ptr_array(tree, hf_http_request_in);
    for (i = 0; bodies && i < bodies->len; i++) {
        field_info *fi = (field_info *)g_ptr_array_index(bodies, i);
        guint32 req_frame = 0;

        /* Several answers in one frame: HTTP adds one request_in per
         * answer, in the same order as the bodies. */
        if (req_ins && i < req_ins->len)
            req_frame = fvalue_get_uinteger(bt_fi_fvalue((field_info *)g_ptr_array_index(req_ins, i)));
        if (!fi->ds_tvb || fi->length <= 0)
            continue;
        if (req_frame ? wmem_map_lookup(bthttp_requests, GUINT_TO_POINTER(req_frame)) != NULL
                      : bttracker_http_looks_like_answer(tvb_new_subset_length(fi->ds_tvb, fi->start, fi->length)))
            remember(&items, tvb, fi, FALSE, req_frame);
    }
    return items;
}

static int dissect_bthttp(tvbuff_t *tvb, packet_info *pinfo, proto_tree *tree, void *data _U_)
{
    wmem_array_t *items;
    guint i;

    if (!bthttp_enabled)
        return 0;
    if (PINFO_FD_VISITED(pinfo)) {
        items = (wmem_array_t *)p_get_proto_data(wmem_file_scope(), pinfo, proto_bttracker, BTTRACKER_KEY_HTTP);
    } else {
        items = first_pass(tvb, pinfo, tree);
        if (items)
            p_add_proto_data(wmem_file_scope(), pinfo, proto_bttracker, BTTRACKER_KEY_HTTP, items);
    }
    for (i = 0; items && i < wmem_array_get_count(items); i++) {
        bthttp_item_t *it = (bthttp_item_t *)wmem_array_index(items, i);
        tvbuff_t *t;

        if (it->frame_off >= 0) {
            t = tvb_new_subset_length(tvb, it->frame_off, (gint)it->len);
        } else {
            t = tvb_new_child_real_data(tvb, it->copy, it->len, (gint)it->len);
            add_new_data_source(pinfo, t, it->is_request ? "Tracker request URI" : "Tracker answer");
        }
        if (it->is_request) {
            dissect_request(t, 0, (int)it->len, pinfo, tree);
        } else {
            bttracker_req_t *req = it->req_frame ?
                (bttracker_req_t *)wmem_map_lookup(bthttp_requests, GUINT_TO_POINTER(it->req_frame)) : NULL;
            if (req && !PINFO_FD_VISITED(pinfo) && !req->resp_frame)
                req->resp_frame = pinfo->num;
            if (req || bthttp_guess_answers)
                bttracker_http_dissect_answer(t, pinfo, tree, req, it->full_len);
        }
    }
    return 0;
}

void bttracker_http_register(void)
{
    static hf_register_info hf[] = {
        { &hf_bthttp_path,
          { "Path", "bttracker.http.path", FT_STRING, BASE_NONE, NULL, 0x0, "Request path before the query", HFILL } },
        { &hf_bthttp_param,
          { "Other parameter", "bttracker.http.param", FT_STRING, BASE_NONE, NULL, 0x0,
            "A query parameter without a field of its own", HFILL } },
        { &hf_bthttp_compact,
          { "Compact", "bttracker.http.compact", FT_UINT8, BASE_DEC, NULL, 0x0,
            "1: peers as 6-byte entries (BEP 23)", HFILL } },
        { &hf_bthttp_key,
          { "Key", "bttracker.http.key", FT_STRING, BASE_NONE, NULL, 0x0, NULL, HFILL } },
        { &hf_bthttp_ip,
          { "IP", "bttracker.http.ip", FT_STRING, BASE_NONE, NULL, 0x0, "Address the client claims", HFILL } },
        { &hf_bthttp_event_text,
          { "Event (unknown)", "bttracker.http.event", FT_STRING, BASE_NONE, NULL, 0x0, NULL, HFILL } },
    };
    static ei_register_info ei[] = {
        { &ei_bthttp_bad_escape,
          { "bttracker.http.escape.invalid", PI_MALFORMED, PI_WARN, "Malformed %-escape", EXPFILL } },
        { &ei_bthttp_unknown_event,
          { "bttracker.http.event.unknown", PI_PROTOCOL, PI_WARN, "Unknown announce event", EXPFILL } },
    };
    expert_module_t *expert = expert_register_protocol(proto_bttracker);

    proto_register_field_array(proto_bttracker, hf, array_length(hf));
    expert_register_field_array(expert, ei, array_length(ei));
    prefs_register_bool_preference(bttracker_prefs, "http_enabled",
        "Decode HTTP trackers",
        "Look for tracker requests and answers in HTTP.  This needs the HTTP fields of every packet, "
        "which makes tshark build a protocol tree for each one (a few percent slower on large captures); "
        "switch it off when only UDP trackers matter", &bthttp_enabled);
    prefs_register_bool_preference(bttracker_prefs, "http_guess_answers",
        "Decode HTTP tracker answers without a captured request",
        "Decode a bencoded HTTP body whose first key is a tracker key (interval, peers, failure reason...) "
        "even when its request is not in the capture", &bthttp_guess_answers);
    bthttp_requests = wmem_map_new_autoreset(wmem_epan_scope(), wmem_file_scope(), g_direct_hash, g_direct_equal);
    bthttp_handle = create_dissector_handle(dissect_bthttp, proto_bttracker);
    bttracker_http_answer_register();
}

/* The HTTP fields this half needs, or none when it is switched off (so that
 * tshark is not made to build trees for nothing). */
void bttracker_http_prefs_apply(void)
{
    GArray *wanted = NULL;

    if (hf_http_request_uri < 0)      /* before handoff: nothing to ask for yet */
        return;
    if (bthttp_enabled) {
        wanted = g_array_new(FALSE, FALSE, (guint)sizeof(int));
        g_array_append_val(wanted, hf_http_request_uri);
        g_array_append_val(wanted, hf_http_request_in);
        g_array_append_val(wanted, hf_http_file_data);
    }
    set_postdissector_wanted_hfids(bthttp_handle, wanted);
}

void bttracker_http_handoff(void)
{
    hf_http_request_uri = proto_registrar_get_id_byname("http.request.uri");
    hf_http_request_in = proto_registrar_get_id_byname("http.request_in");
    hf_http_file_data = proto_registrar_get_id_byname("http.file_data");
    register_postdissector(bthttp_handle);
    bttracker_http_prefs_apply();
}
