/* compact-peer.h
 * The compact peer format shared by trackers and peer exchange: a 4-byte
 * IPv4 or 16-byte IPv6 address followed by a 2-byte port, big-endian, packed
 * back to back with no separator.  Used by BEP 15 announce answers, BEP 23
 * "peers" / BEP 7 "peers6" of HTTP trackers, and BEP 11 ut_pex "added",
 * "added6", "dropped", "dropped6".  Pure C, no epan.
 */
#ifndef BTCOMMON_COMPACT_PEER_H
#define BTCOMMON_COMPACT_PEER_H

#include <stddef.h>
#include <stdint.h>

#define BT_COMPACT_V4_ADDR_LEN 4
#define BT_COMPACT_V6_ADDR_LEN 16
#define BT_COMPACT_PORT_LEN    2
#define BT_COMPACT_V4_LEN      (BT_COMPACT_V4_ADDR_LEN + BT_COMPACT_PORT_LEN)   /* 6  */
#define BT_COMPACT_V6_LEN      (BT_COMPACT_V6_ADDR_LEN + BT_COMPACT_PORT_LEN)   /* 18 */

typedef struct {
    int      ipv6;          /* 1: addr holds 16 bytes, 0: 4 bytes */
    size_t   addr_len;      /* 4 or 16 */
    uint8_t  addr[BT_COMPACT_V6_ADDR_LEN];
    uint16_t port;
} bt_compact_peer_t;

/* A list of compact entries of one family laid out in len bytes. */
typedef struct {
    size_t entry_len;       /* 6 or 18 */
    size_t addr_len;        /* 4 or 16 */
    size_t count;           /* whole entries */
    size_t trailing;        /* bytes after the last whole entry (0 when well formed) */
} bt_compact_list_t;

/* Entry length of one family: 6 (IPv4) or 18 (IPv6). */
size_t bt_compact_entry_len(int ipv6);

/* Lays out a list of len bytes. */
void bt_compact_list(size_t len, int ipv6, bt_compact_list_t *out);

/* Decodes entry i of a list at buf (the caller checked i < count). */
void bt_compact_peer_get(const uint8_t *buf, const bt_compact_list_t *list, size_t i, bt_compact_peer_t *out);

#endif /* BTCOMMON_COMPACT_PEER_H */
