/* bttracker.h
 * Shared declarations of the bttracker plugin (BitTorrent trackers):
 *   packet-bttracker.c   protocol, fields used by both transports, registration
 *   bttracker-udp.c      UDP tracker (BEP 15, BEP 41 options), request pairing
 *   bttracker-http.c     HTTP tracker (BEP 3, BEP 7, BEP 23, BEP 48) as a postdissector
 *   bttracker-discovery.c the record store behind plugins/bt-discovery.h
 */
#ifndef BTTRACKER_H
#define BTTRACKER_H

#include <epan/packet.h>
#include <epan/expert.h>
#include <epan/prefs.h>
#include <epan/tfs.h>

#include "bt-discovery.h"

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
extern int hf_bttracker_info_hash;
extern int hf_bttracker_peer_id;
extern int hf_bttracker_downloaded;
extern int hf_bttracker_left;
extern int hf_bttracker_uploaded;
extern int hf_bttracker_event;
extern int hf_bttracker_port;
extern int hf_bttracker_num_want;
extern int hf_bttracker_interval;
extern int hf_bttracker_min_interval;
extern int hf_bttracker_seeders;
extern int hf_bttracker_leechers;
extern int hf_bttracker_completed;
extern int hf_bttracker_failure_reason;
extern int hf_bttracker_warning_message;
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

extern const value_string bttracker_event_vals[];

/* Defined in bttracker-udp.c, used by the HTTP half too (announce = 1,
 * scrape = 2 on both transports). */
extern int hf_bttracker_action;
extern int hf_bttracker_is_request;
extern const value_string bttracker_action_vals[];
extern const true_false_string bttracker_tfs_request_response;

/* Adds one compact peer entry (6 bytes IPv4 or 18 bytes IPv6 at offset) as
 * a bttracker.peer subtree, records it in the discovery store (first pass)
 * and returns the item. */
proto_item *bttracker_add_compact_peer(proto_tree *tree, tvbuff_t *tvb, packet_info *pinfo,
                                       int offset, gboolean ipv6, const char *source);
/* Adds every compact peer of tvb[offset, offset+len), flags trailing bytes. */
void bttracker_add_compact_peers(proto_tree *tree, tvbuff_t *tvb, packet_info *pinfo,
                                 int offset, int len, gboolean ipv6, const char *source);
/* Adds the request_in / response_time or response_in items. */
void bttracker_add_pairing(proto_tree *tree, tvbuff_t *tvb, packet_info *pinfo, gboolean is_request,
                           guint32 other_frame, const nstime_t *request_ts);

/* Discovery store (bttracker-discovery.c). */
void bttracker_discovery_record(packet_info *pinfo, const char *source, const guint8 *info_hash,
                                const address *peer_addr, guint16 peer_port);
void bttracker_discovery_register(void);

/* The two halves. */
void bttracker_udp_register(void);
void bttracker_udp_handoff(void);
void bttracker_http_register(void);
void bttracker_http_handoff(void);
void bttracker_http_prefs_apply(void);

#endif /* BTTRACKER_H */
