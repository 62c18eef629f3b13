/* bttracker.h
 * Shared declarations of the bttracker plugin (BitTorrent trackers):
 *   packet-bttracker.c   protocol, fields used by both transports, registration
 *   bttracker-udp.c      UDP tracker (BEP 15, BEP 41 options), request pairing
 *   bttracker-http.c     HTTP tracker (BEP 3, BEP 7, BEP 23, BEP 48) as a postdissector
 *   bttracker-http-answer.c  HTTP tracker answers (bencoded dictionary)
 */
#ifndef BTTRACKER_H
#define BTTRACKER_H

#include <epan/packet.h>
#include <epan/expert.h>
#include <epan/prefs.h>
#include <epan/tfs.h>

#include "discovery/bt-discovery-store.h"
#include "btwire.h"
#include "tracker.h"

/* Wireshark 4.2 and later have a built-in UDP tracker dissector named
 * "BitTorrent Tracker" / "BT-Tracker" / bt-tracker: registering either name
 * again aborts every tshark run ("Duplicate protocol name"), so ours differ. */
#define BTTRACKER_FULL_NAME  "BitTorrent Tracker Protocol"
#define BTTRACKER_SHORT_NAME "BTTracker"

extern int proto_bttracker;
extern module_t *bttracker_prefs;   /* one preferences module for both halves */

/* Keys of the per-frame data (p_add_proto_data) of each half. */
#define BTTRACKER_KEY_UDP  0
#define BTTRACKER_KEY_HTTP 1

/* Fields shared by the UDP and HTTP halves (defined in packet-bttracker.c). */
extern int hf_bttracker_action;       /* BT_TRACKER_ACTION_* */
extern int hf_bttracker_is_request;
extern int hf_bttracker_info_hash;
extern int hf_bttracker_peer_id;
extern int hf_bttracker_downloaded;
extern int hf_bttracker_left;
extern int hf_bttracker_uploaded;
extern int hf_bttracker_event;
extern int hf_bttracker_port;
extern int hf_bttracker_num_want;
extern int hf_bttracker_interval;
extern int hf_bttracker_seeders;
extern int hf_bttracker_leechers;
extern int hf_bttracker_completed;
extern int hf_bttracker_failure_reason;
extern int hf_bttracker_peer;
extern int hf_bttracker_peer_ip;
extern int hf_bttracker_peer_ipv6;
extern int hf_bttracker_peer_port;
extern int hf_bttracker_peer_count;
extern int hf_bttracker_scrape;
extern int hf_bttracker_request_in;
extern int hf_bttracker_response_in;
extern int hf_bttracker_response_time;
extern int ett_bttracker;
extern int ett_bttracker_peer;
extern int ett_bttracker_scrape;
extern expert_field ei_bttracker_peers_trailing;
extern expert_field ei_bttracker_no_request;
/* the tracker reported a failure (UDP error action, HTTP failure reason) */
extern expert_field ei_bttracker_failure;

extern const value_string bttracker_event_vals[];

extern const value_string bttracker_action_vals[];

/* Bounds on what one message puts in the tree (issue 7, item 11).  Wireshark
 * stops a packet at 1,000,000 tree items and reports a dissector bug; a
 * tracker chooses how many peers, scrape entries or dictionary keys it sends
 * (an HTTP answer has no size limit).  At most this many entries of one list
 * are itemised (UDP: per peer list, scrape request, scrape answer; HTTP: per
 * answer, every dictionary key, list element, peer and scrape entry counting
 * one; per request, its query parameters); the rest are counted in one
 * bttracker.not_shown item with an expert.  Real trackers send at most a few
 * hundred peers (numwant defaults to 50; opentracker caps answers at 200). */
#define BTTRACKER_MAX_LIST_ITEMS 1000

/* At most this many bytes of an HTTP tracker message (answer body after
 * HTTP's de-chunking and decompression, or request URI) are decoded.  HTTP
 * inflates a gzip body whatever its size (50 MB from 50 KB on the wire); the
 * first pass keeps a copy of a reassembled or decompressed body for later
 * passes, so without a bound a few such answers would hold hundreds of MB.
 * 4 MiB holds an answer of 699,000 IPv4 peers, far past the itemising bound
 * (their endpoints are still recorded); real answers are a few KB.  A longer
 * body gets an expert (bttracker.http.body.bounded) and is decoded up to the
 * bound: the element that the bound cuts is not decoded. */
#define BTHTTP_MAX_BODY (4u * 1024u * 1024u)

/* One tracker request, UDP or HTTP, as remembered for its answer (pairing,
 * response time, labelling a scrape answer's entries). */
typedef struct {
    guint32  req_frame;
    guint32  resp_frame;
    nstime_t req_ts;
    guint32  action;            /* BT_TRACKER_ACTION_* */
    guint32  n_hashes;          /* scrape: the hashes asked for; announce: 1 */
    guint8  *hashes;            /* n_hashes * BT_INFO_HASH_LEN bytes */
} bttracker_req_t;

/* Adds the bttracker.not_shown item (count entries of `what` not itemised)
 * and its expert. */
void bttracker_add_not_shown(proto_tree *tree, packet_info *pinfo, tvbuff_t *tvb, int offset, int len,
                             guint count, const char *what);

/* Adds the peer count and the compact peers of tvb[offset, offset+len) while
 * *left lasts (one per peer, decremented), flags trailing bytes, records
 * every peer in the discovery store (first pass), and returns how many were
 * not itemised (the caller reports them, see bttracker_add_not_shown). */
guint bttracker_add_compact_peers(proto_tree *tree, tvbuff_t *tvb, packet_info *pinfo,
                                  int offset, int len, gboolean ipv6, const char *source, guint *left);
/* Adds the request_in / response_time or response_in items. */
void bttracker_add_pairing(proto_tree *tree, tvbuff_t *tvb, packet_info *pinfo, gboolean is_request,
                           guint32 other_frame, const nstime_t *request_ts);

/* Whole-key hashes for the plugin's maps (lib/btcommon/bthash.h), seeded
 * once per process at registration so a capture cannot be made to collide.
 * g_int64_hash is not used: glib 2.74 hashes only the low 32 bits. */
extern guint64 bttracker_hash_seed;
guint    bttracker_u64_hash(gconstpointer key);      /* key: guint64 * */
gboolean bttracker_u64_equal(gconstpointer a, gconstpointer b);

/* The expert bttracker.discovery.full, in the frame where the discovery
 * store (plugins/discovery) refused its first record (the same frame on
 * every pass). */
void bttracker_discovery_note_full(proto_tree *tree, packet_info *pinfo, tvbuff_t *tvb);

/* The two halves. */
void bttracker_udp_register(void);
void bttracker_udp_handoff(void);
void bttracker_http_register(void);
void bttracker_http_handoff(void);
void bttracker_http_prefs_apply(void);
/* HTTP answers (bttracker-http-answer.c); its two value-check experts serve
 * the requests' query parameters too. */
extern expert_field ei_bthttp_bad_number;
extern expert_field ei_bthttp_bad_hash_len;
void bttracker_http_answer_register(void);
gboolean bttracker_http_looks_like_answer(tvbuff_t *tvb);
void bttracker_http_dissect_answer(tvbuff_t *tvb, packet_info *pinfo, proto_tree *tree, const bttracker_req_t *req,
                                   guint full_len);

#endif /* BTTRACKER_H */
