/* bt-discovery-store.h
 * The discovery record store of plugins/bt-discovery.h as our plugins use it:
 * which frame first announced each infohash and each peer endpoint (LSD,
 * BEP 14; trackers, BEP 15 / BEP 3), for the connection dissectors (btpeer,
 * utp) to show where a connection's torrent and peer were discovered.
 *
 * One owner: bt-discovery-store.c, compiled into each plugin that records
 * or asks (btlsd, bttracker, bt_handshake), so each works whichever of the
 * others are loaded.  At run time there is one store: the first plugin to
 * register registers the two protocol-less dissectors of bt-discovery.h
 * (BT_DISCOVERY_RECORD_DISSECTOR, BT_DISCOVERY_LOOKUP_DISSECTOR) with its
 * copy's callbacks; every plugin, that one included, reaches the store only
 * through those handles, looked up once at handoff.  The uTP plugin asks the
 * same lookup dissector by name.
 */
#ifndef BT_DISCOVERY_STORE_H
#define BT_DISCOVERY_STORE_H

#include <epan/packet.h>

#include "bt-discovery.h"

/* Cap on each map (issue 7, item 10): a capture chooses how many distinct
 * peers it announces (one UDP answer names up to 10,000, an HTTP answer
 * more), and an entry costs about 165 bytes, so 1,000,000 endpoints would
 * keep 165 MB.  The first BT_DISCOVERY_MAX_RECORDS infohashes and the first
 * BT_DISCOVERY_MAX_RECORDS endpoints (in frame order) are kept and answer
 * lookups as before; later new ones are not recorded (lookups for them find
 * nothing), and the frame where the first one was refused is reported to
 * the recording dissector (bttracker shows bttracker.discovery.full, btlsd
 * btlsd.discovery_full).  Real captures name a few thousand at most. */
#define BT_DISCOVERY_MAX_RECORDS 100000

/* From proto_register_*: registers the store unless another plugin did. */
void bt_discovery_register(void);
/* From proto_reg_handoff_*: finds the store's two handles. */
void bt_discovery_handoff(void);

/* Records (first pass only; later passes are no-ops) that source announced
 * info_hash (20 bytes, or NULL) and/or the peer endpoint (peer_addr may be
 * NULL or AT_NONE).  Returns TRUE, on every pass, in the frame where the
 * store refused its first record (it is full): the caller adds its expert. */
gboolean bt_discovery_record(tvbuff_t *tvb, packet_info *pinfo, const char *source, const guint8 *info_hash,
                             const address *peer_addr, guint16 peer_port);

/* Fills q's outputs (see bt_discovery_query_t); nothing found when no
 * plugin with the store is loaded. */
void bt_discovery_lookup(tvbuff_t *tvb, packet_info *pinfo, bt_discovery_query_t *q);

#endif /* BT_DISCOVERY_STORE_H */
