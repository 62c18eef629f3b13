/* btwire.h
 * Sizes every protocol of the BitTorrent family shares: the 20-byte info
 * hash (BEP 3: SHA-1 of the info dictionary; BEP 52: SHA-256 truncated to 20
 * bytes on the peer wire, in trackers and in LSD) and the 20-byte peer id
 * (BEP 3, BEP 20).  Pure C, no epan.
 */
#ifndef BTCOMMON_BTWIRE_H
#define BTCOMMON_BTWIRE_H

#define BT_INFO_HASH_LEN     20
#define BT_INFO_HASH_HEX_LEN (2 * BT_INFO_HASH_LEN)   /* BEP 14's Infohash: line */
#define BT_PEER_ID_LEN       20

#endif /* BTCOMMON_BTWIRE_H */
