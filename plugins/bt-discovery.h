/* bt-discovery.h
 * How the discovery dissectors (btlsd: LSD, BEP 14; bttracker: BEP 15 / BEP 3)
 * tell the connection dissectors (btpeer, utp) where an infohash or a peer
 * endpoint was announced before.
 *
 * The discovery plugin records, on the first pass, each infohash and each peer
 * endpoint (address, port) in the frame that announced it, and registers a
 * dissector named BT_DISCOVERY_LOOKUP_DISSECTOR.  A connection dissector asks:
 *
 *   dissector_handle_t h = find_dissector(BT_DISCOVERY_LOOKUP_DISSECTOR);
 *   if (h) {
 *       bt_discovery_query_t q = { .info_hash = ih, .before_frame = pinfo->num };
 *       call_dissector_only(h, tvb, pinfo, NULL, &q);
 *       if (q.info_hash_frame) ...
 *   }
 *
 * The lookup dissector never touches the tree and returns 0.  Only frames
 * before `before_frame` answer, so one-pass and two-pass runs agree.
 * It writes the info_hash_* outputs only when info_hash is set, and the
 * peer_* outputs only when peer_addr is set, so one query struct can be
 * reused for several calls.
 *
 * Where the record store lives: plugins/discovery/bt-discovery-store.c,
 * compiled into btlsd, bttracker and bt_handshake; the first of them to
 * register registers both dissectors (with no protocol of their own) and the
 * others use those (bt-discovery-store.h wraps the calls).  bttracker records
 * the infohash of each announce request, UDP or HTTP, and each peer an
 * announce answer returns; btlsd each announced infohash and the announcing
 * source address with its Port; btdht (plugins/dht) each peer of a get_peers
 * answer's "values", with the infohash of the query it answers.  Records go through the second dissector,
 * BT_DISCOVERY_RECORD_DISSECTOR (it records on the first pass only, and may
 * be called on every pass):
 *
 *   if ((h = find_dissector(BT_DISCOVERY_RECORD_DISSECTOR))) {
 *       bt_discovery_record_t r = { .frame = pinfo->num, .source = "LSD",
 *                                   .info_hash = ih, .peer_addr = &pinfo->src, .peer_port = port };
 *       if (call_dissector_only(h, tvb, pinfo, NULL, &r))
 *           ... this frame is where the store reached its cap: add an expert
 *   }
 *
 * The store keeps, per capture file, the first frame naming each infohash
 * and each (address, port), up to 100,000 of each (the first ones, in frame
 * order; later new ones are not recorded and lookups for them find nothing).
 * The record dissector returns 1, on every pass, in the frame where the
 * first record was refused.
 * Without any of those three plugins there is no store and lookups find
 * nothing; a disabled btlsd or bttracker records nothing.
 */
#ifndef BT_DISCOVERY_H
#define BT_DISCOVERY_H

#include <glib.h>
#include <epan/address.h>

#define BT_DISCOVERY_LOOKUP_DISSECTOR "bt_discovery_lookup"

typedef struct bt_discovery_query {
    /* in: any of these may be unset (NULL / AT_NONE) */
    const guint8  *info_hash;       /* 20 bytes */
    const address *peer_addr;       /* the peer endpoint looked up... */
    guint16        peer_port;       /* ...with its port */
    guint32        before_frame;    /* consider announcements in frames < this */
    /* out: 0 / NULL when nothing is known */
    guint32        info_hash_frame; /* first frame announcing info_hash */
    const char    *info_hash_source;/* "LSD", "UDP tracker", "HTTP tracker", "DHT" */
    guint32        peer_frame;      /* first frame announcing peer_addr:peer_port */
    const char    *peer_source;
} bt_discovery_query_t;

#define BT_DISCOVERY_RECORD_DISSECTOR "bt_discovery_record"

/* Sources, as shown in btpeer.discovered_by / btpeer.peer_discovered_by. */
#define BT_DISCOVERY_SOURCE_LSD          "LSD"
#define BT_DISCOVERY_SOURCE_UDP_TRACKER  "UDP tracker"
#define BT_DISCOVERY_SOURCE_HTTP_TRACKER "HTTP tracker"
#define BT_DISCOVERY_SOURCE_DHT          "DHT"          /* btdht: get_peers "values" (BEP 5) */

typedef struct bt_discovery_record {
    guint32        frame;           /* the announcing frame (pinfo->num) */
    const char    *source;          /* one of BT_DISCOVERY_SOURCE_* (static) */
    const guint8  *info_hash;       /* 20 bytes, or NULL */
    const address *peer_addr;       /* an announced peer, or NULL / AT_NONE */
    guint16        peer_port;
} bt_discovery_record_t;

#endif /* BT_DISCOVERY_H */
