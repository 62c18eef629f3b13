/* packet-bttracker.c
 * BitTorrent trackers, filter name "bttracker": the protocol, the fields that
 * the UDP tracker (BEP 15, bttracker-udp.c) and the HTTP tracker (BEP 3/23,
 * bttracker-http.c) share (infohash, announce counters, peers, pairing), and
 * registration.  What trackers announce is recorded in the discovery store
 * (plugins/discovery).
 */
#include <epan/packet.h>
#include <epan/expert.h>
#include <epan/to_str.h>

#include "bttracker.h"
#include "tracker-udp.h"
#include "compact-peer.h"
#include "bthash.h"
#include "ws-compat.h"

void proto_register_bttracker(void);
void proto_reg_handoff_bttracker(void);

int proto_bttracker = -1;
module_t *bttracker_prefs;

int hf_bttracker_action = -1;
int hf_bttracker_is_request = -1;
int hf_bttracker_info_hash = -1;
int hf_bttracker_peer_id = -1;
int hf_bttracker_downloaded = -1;
int hf_bttracker_left = -1;
int hf_bttracker_uploaded = -1;
int hf_bttracker_event = -1;
int hf_bttracker_port = -1;
int hf_bttracker_num_want = -1;
int hf_bttracker_interval = -1;
int hf_bttracker_seeders = -1;
int hf_bttracker_leechers = -1;
int hf_bttracker_completed = -1;
int hf_bttracker_failure_reason = -1;
int hf_bttracker_peer = -1;
int hf_bttracker_peer_ip = -1;
int hf_bttracker_peer_ipv6 = -1;
int hf_bttracker_peer_port = -1;
int hf_bttracker_peer_count = -1;
int hf_bttracker_scrape = -1;
int hf_bttracker_request_in = -1;
int hf_bttracker_response_in = -1;
int hf_bttracker_response_time = -1;
static int hf_bttracker_not_shown = -1;

int ett_bttracker = -1;
int ett_bttracker_peer = -1;
int ett_bttracker_scrape = -1;

expert_field ei_bttracker_peers_trailing = EI_INIT;
expert_field ei_bttracker_no_request = EI_INIT;
expert_field ei_bttracker_failure = EI_INIT;
static expert_field ei_bttracker_not_shown = EI_INIT;
static expert_field ei_bttracker_discovery_full = EI_INIT;

guint64 bttracker_hash_seed;

guint bttracker_u64_hash(gconstpointer key)
{
    return bthash_u64(*(const guint64 *)key, bttracker_hash_seed);
}

gboolean bttracker_u64_equal(gconstpointer a, gconstpointer b)
{
    return *(const guint64 *)a == *(const guint64 *)b;
}

/* BEP 15 numbers; HTTP's /announce and /scrape map onto the same values
 * (lib/btcommon/tracker.h). */
const value_string bttracker_action_vals[] = {
    { BT_TRACKER_ACTION_CONNECT,  "Connect" },
    { BT_TRACKER_ACTION_ANNOUNCE, "Announce" },
    { BT_TRACKER_ACTION_SCRAPE,   "Scrape" },
    { BT_TRACKER_ACTION_ERROR,    "Error" },
    { 0, NULL }
};

static const true_false_string tfs_request_response = { "Request", "Response" };

/* BEP 15 numbers; the HTTP tracker's event strings map onto the same values. */
const value_string bttracker_event_vals[] = {
    { BT_TRACKER_EVENT_NONE,      "none" },
    { BT_TRACKER_EVENT_COMPLETED, "completed" },
    { BT_TRACKER_EVENT_STARTED,   "started" },
    { BT_TRACKER_EVENT_STOPPED,   "stopped" },
    { 0, NULL }
};

/* Entry i of a compact list (lib/btcommon/compact-peer.h) at offset, as an
 * address for the discovery store; with a tree, also as a bttracker.peer
 * subtree. */
static void add_compact_peer(proto_tree *tree, tvbuff_t *tvb, packet_info *pinfo, int offset,
                             const bt_compact_list_t *list, int i, const char *source)
{
    int off = offset + i * (int)list->entry_len, alen = (int)list->addr_len;
    bt_compact_peer_t peer;
    proto_item *it;
    proto_tree *pt;
    address addr;

    /* only this entry's bytes: a list cut by the capture shows the entries before the cut */
    bt_compact_peer_get(tvb_get_ptr(tvb, off, (int)list->entry_len), list, 0, &peer);
    set_address(&addr, peer.ipv6 ? AT_IPv6 : AT_IPv4, alen, tvb_get_ptr(tvb, off, alen));
    if (tree) {
        it = proto_tree_add_item(tree, hf_bttracker_peer, tvb, off, (int)list->entry_len, ENC_NA);
        pt = proto_item_add_subtree(it, ett_bttracker_peer);
        if (peer.ipv6) {
            proto_tree_add_item(pt, hf_bttracker_peer_ipv6, tvb, off, alen, ENC_NA);
            proto_item_set_text(it, "Peer: [%s]:%u", tvb_ip6_to_str(pinfo->pool, tvb, off), peer.port);
        } else {
            proto_tree_add_item(pt, hf_bttracker_peer_ip, tvb, off, alen, ENC_BIG_ENDIAN);
            proto_item_set_text(it, "Peer: %s:%u", tvb_ip_to_str(pinfo->pool, tvb, off), peer.port);
        }
        proto_tree_add_item(pt, hf_bttracker_peer_port, tvb, off + alen, BT_COMPACT_PORT_LEN, ENC_BIG_ENDIAN);
    }
    bt_discovery_record(tvb, pinfo, source, NULL, &addr, peer.port);
}

guint bttracker_add_compact_peers(proto_tree *tree, tvbuff_t *tvb, packet_info *pinfo,
                                  int offset, int len, gboolean ipv6, const char *source, guint *left)
{
    bt_compact_list_t list;
    int n, i, shown;
    proto_item *it;

    bt_compact_list((size_t)MAX(len, 0), ipv6, &list);
    n = (int)list.count;
    shown = MIN(n, (int)*left);
    it = proto_tree_add_uint(tree, hf_bttracker_peer_count, tvb, offset, len, (guint32)n);
    proto_item_set_generated(it);
    /* n is bounded by the captured length divided by 6; at most *left
     * (BTTRACKER_MAX_LIST_ITEMS) are itemised, the rest only recorded. */
    for (i = 0; i < shown; i++)
        add_compact_peer(tree, tvb, pinfo, offset, &list, i, source);
    for (; i < n && !PINFO_FD_VISITED(pinfo); i++)
        add_compact_peer(NULL, tvb, pinfo, offset, &list, i, source);
    *left -= (guint)shown;
    if (list.trailing)
        proto_tree_add_expert_format(tree, pinfo, &ei_bttracker_peers_trailing, tvb,
                                     offset + n * (int)list.entry_len, (int)list.trailing,
                                     "%d bytes after the last %d-byte peer entry", (int)list.trailing,
                                     (int)list.entry_len);
    return (guint)(n - shown);
}

void bttracker_add_not_shown(proto_tree *tree, packet_info *pinfo, tvbuff_t *tvb, int offset, int len,
                             guint count, const char *what)
{
    proto_item *it = proto_tree_add_uint(tree, hf_bttracker_not_shown, tvb, offset, len, count);
    proto_item_set_generated(it);
    proto_item_set_text(it, "[%u more %s not shown: at most %u entries are itemised]", count, what,
                        BTTRACKER_MAX_LIST_ITEMS);
    expert_add_info_format(pinfo, it, &ei_bttracker_not_shown, "%u %s not itemised (bound %u)", count, what,
                           BTTRACKER_MAX_LIST_ITEMS);
}

void bttracker_discovery_note_full(proto_tree *tree, packet_info *pinfo, tvbuff_t *tvb)
{
    /* a record naming nothing only asks whether this is the full frame */
    if (bt_discovery_record(tvb, pinfo, NULL, NULL, NULL, 0))
        proto_tree_add_expert_format(tree, pinfo, &ei_bttracker_discovery_full, tvb, 0, 0,
                                     "Discovery store full (%u infohashes or %u endpoints): those first named "
                                     "from this frame on are not linked to later connections",
                                     BT_DISCOVERY_MAX_RECORDS, BT_DISCOVERY_MAX_RECORDS);
}

void bttracker_add_pairing(proto_tree *tree, tvbuff_t *tvb, packet_info *pinfo, gboolean is_request,
                           guint32 other_frame, const nstime_t *request_ts)
{
    proto_item *it;
    nstime_t delta;

    if (!other_frame)
        return;
    if (is_request) {
        it = proto_tree_add_uint(tree, hf_bttracker_response_in, tvb, 0, 0, other_frame);
        proto_item_set_generated(it);
        return;
    }
    it = proto_tree_add_uint(tree, hf_bttracker_request_in, tvb, 0, 0, other_frame);
    proto_item_set_generated(it);
    if (request_ts) {
        nstime_delta(&delta, &pinfo->abs_ts, request_ts);
        it = proto_tree_add_time(tree, hf_bttracker_response_time, tvb, 0, 0, &delta);
        proto_item_set_generated(it);
    }
}

void proto_register_bttracker(void)
{
    static hf_register_info hf[] = {
        { &hf_bttracker_action,
          { "Action", "bttracker.action", FT_UINT32, BASE_DEC, VALS(bttracker_action_vals), 0x0, NULL, HFILL } },
        { &hf_bttracker_is_request,
          { "Direction", "bttracker.request", FT_BOOLEAN, BASE_NONE, TFS(&tfs_request_response), 0x0,
            "Request (client to tracker) or response", HFILL } },
        { &hf_bttracker_info_hash,
          { "Info hash", "bttracker.info_hash", FT_BYTES, BASE_NONE, NULL, 0x0,
            "20-byte infohash of the torrent", HFILL } },
        { &hf_bttracker_peer_id,
          { "Peer ID", "bttracker.peer_id", FT_BYTES, BASE_NONE, NULL, 0x0, NULL, HFILL } },
        { &hf_bttracker_downloaded,
          { "Downloaded", "bttracker.downloaded", FT_UINT64, BASE_DEC, NULL, 0x0, "Bytes downloaded", HFILL } },
        { &hf_bttracker_left,
          { "Left", "bttracker.left", FT_UINT64, BASE_DEC, NULL, 0x0, "Bytes left to download", HFILL } },
        { &hf_bttracker_uploaded,
          { "Uploaded", "bttracker.uploaded", FT_UINT64, BASE_DEC, NULL, 0x0, "Bytes uploaded", HFILL } },
        { &hf_bttracker_event,
          { "Event", "bttracker.event", FT_UINT32, BASE_DEC, VALS(bttracker_event_vals), 0x0, NULL, HFILL } },
        { &hf_bttracker_port,
          { "Port", "bttracker.port", FT_UINT16, BASE_DEC, NULL, 0x0, "Announcing peer's listen port", HFILL } },
        { &hf_bttracker_num_want,
          { "Number wanted", "bttracker.num_want", FT_INT32, BASE_DEC, NULL, 0x0,
            "Peers wanted (-1: tracker's default)", HFILL } },
        { &hf_bttracker_interval,
          { "Interval", "bttracker.interval", FT_UINT32, BASE_DEC, NULL, 0x0,
            "Seconds to wait before the next announce", HFILL } },
        { &hf_bttracker_seeders,
          { "Seeders", "bttracker.seeders", FT_UINT32, BASE_DEC, NULL, 0x0,
            "Peers with the whole torrent (HTTP: complete)", HFILL } },
        { &hf_bttracker_leechers,
          { "Leechers", "bttracker.leechers", FT_UINT32, BASE_DEC, NULL, 0x0,
            "Peers still downloading (HTTP: incomplete)", HFILL } },
        { &hf_bttracker_completed,
          { "Completed", "bttracker.completed", FT_UINT32, BASE_DEC, NULL, 0x0,
            "Times the torrent was downloaded (HTTP: downloaded)", HFILL } },
        { &hf_bttracker_failure_reason,
          { "Failure reason", "bttracker.failure_reason", FT_STRING, BASE_NONE, NULL, 0x0,
            "UDP error message or HTTP failure reason", HFILL } },
        { &hf_bttracker_peer,
          { "Peer", "bttracker.peer", FT_BYTES, BASE_NONE, NULL, 0x0, "One peer returned by the tracker", HFILL } },
        { &hf_bttracker_peer_ip,
          { "IP", "bttracker.peer.ip", FT_IPv4, BASE_NONE, NULL, 0x0, NULL, HFILL } },
        { &hf_bttracker_peer_ipv6,
          { "IPv6", "bttracker.peer.ipv6", FT_IPv6, BASE_NONE, NULL, 0x0, NULL, HFILL } },
        { &hf_bttracker_peer_port,
          { "Port", "bttracker.peer.port", FT_UINT16, BASE_DEC, NULL, 0x0, NULL, HFILL } },
        { &hf_bttracker_peer_count,
          { "Peer count", "bttracker.peer_count", FT_UINT32, BASE_DEC, NULL, 0x0, NULL, HFILL } },
        { &hf_bttracker_scrape,
          { "Scraped torrent", "bttracker.scrape", FT_NONE, BASE_NONE, NULL, 0x0, NULL, HFILL } },
        { &hf_bttracker_request_in,
          { "Request in", "bttracker.request_in", FT_FRAMENUM, BASE_NONE, FRAMENUM_TYPE(FT_FRAMENUM_REQUEST), 0x0,
            "The request this frame answers", HFILL } },
        { &hf_bttracker_response_in,
          { "Response in", "bttracker.response_in", FT_FRAMENUM, BASE_NONE, FRAMENUM_TYPE(FT_FRAMENUM_RESPONSE), 0x0,
            "The response to this request", HFILL } },
        { &hf_bttracker_response_time,
          { "Response time", "bttracker.response_time", FT_RELATIVE_TIME, BASE_NONE, NULL, 0x0,
            "Time between the request and this response", HFILL } },
        { &hf_bttracker_not_shown,
          { "Entries not shown", "bttracker.not_shown", FT_UINT32, BASE_DEC, NULL, 0x0,
            "Entries of a list past the itemising bound: counted, not itemised", HFILL } },
    };
    static int *ett[] = { &ett_bttracker, &ett_bttracker_peer, &ett_bttracker_scrape };
    static ei_register_info ei[] = {
        { &ei_bttracker_peers_trailing,
          { "bttracker.peer.trailing", PI_MALFORMED, PI_WARN,
            "Peer list length is not a multiple of the entry size", EXPFILL } },
        { &ei_bttracker_no_request,
          { "bttracker.request_in.missing", PI_SEQUENCE, PI_NOTE,
            "Response with no request in this capture", EXPFILL } },
        { &ei_bttracker_failure,
          { "bttracker.failure_reason.expert", PI_RESPONSE_CODE, PI_NOTE, "Tracker failure", EXPFILL } },
        { &ei_bttracker_discovery_full,
          { "bttracker.discovery.full", PI_UNDECODED, PI_NOTE,
            "Discovery store full: later announcements are not linked", EXPFILL } },
        { &ei_bttracker_not_shown,
          { "bttracker.not_shown.expert", PI_UNDECODED, PI_WARN,
            "List longer than the itemising bound", EXPFILL } },
    };
    expert_module_t *expert;

    bttracker_hash_seed = (guint64)g_random_int() << 32 | g_random_int();
    proto_bttracker = proto_register_protocol(BTTRACKER_FULL_NAME, BTTRACKER_SHORT_NAME, "bttracker");
    proto_register_field_array(proto_bttracker, hf, array_length(hf));
    proto_register_subtree_array(ett, array_length(ett));
    expert = expert_register_protocol(proto_bttracker);
    expert_register_field_array(expert, ei, array_length(ei));
    bttracker_prefs = prefs_register_protocol(proto_bttracker, bttracker_http_prefs_apply);

    bttracker_udp_register();
    bttracker_http_register();
    bt_discovery_register();
}

void proto_reg_handoff_bttracker(void)
{
    bttracker_udp_handoff();
    bttracker_http_handoff();
    bt_discovery_handoff();
}
