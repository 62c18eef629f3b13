/* tracker-udp.h
 * Layout of the UDP tracker protocol (BEP 15) with the BEP 41 announce
 * options, as offsets and checks on a datagram.  Pure C, no epan.
 *
 * Requests (client -> tracker) start with the u64 connection id, responses
 * (tracker -> client) with the u32 action; all integers are big-endian.
 *
 *   connect req   0 u64 0x41727101980 (magic) | 8 u32 action=0 | 12 u32 tid       (16)
 *   connect resp  0 u32 action=0 | 4 u32 tid | 8 u64 connection id               (16)
 *   announce req  0 u64 cid | 8 action=1 | 12 tid | 16 info_hash[20] | 36 peer_id[20]
 *                 | 56 u64 downloaded | 64 u64 left | 72 u64 uploaded | 80 u32 event
 *                 | 84 u32 ip | 88 u32 key | 92 i32 num_want | 96 u16 port   (98)
 *                 | BEP 41 options: type u8 (0 end, 1 nop, 2 URL data: u8 len, bytes)
 *   announce resp 0 action=1 | 4 tid | 8 interval | 12 leechers | 16 seeders
 *                 | 20 peers: 6 bytes (IPv4) or 18 bytes (IPv6) each (20 + 6n/18n)
 *   scrape req    0 cid | 8 action=2 | 12 tid | 16 info_hash[20] * n          (16 + 20n)
 *   scrape resp   0 action=2 | 4 tid | 8 (seeders, completed, leechers) * n   (8 + 12n)
 *   error resp    0 action=3 | 4 tid | 8 message (rest of the datagram)       (8 + m)
 */
#ifndef BTCOMMON_TRACKER_UDP_H
#define BTCOMMON_TRACKER_UDP_H

#include <stddef.h>
#include <stdint.h>

#include "btbytes.h"
#include "btwire.h"
#include "compact-peer.h"
#include "tracker.h"

#define BTUDP_MAGIC            UINT64_C(0x41727101980)
#define BTUDP_ACTION_CONNECT   BT_TRACKER_ACTION_CONNECT
#define BTUDP_ACTION_ANNOUNCE  BT_TRACKER_ACTION_ANNOUNCE
#define BTUDP_ACTION_SCRAPE    BT_TRACKER_ACTION_SCRAPE
#define BTUDP_ACTION_ERROR     BT_TRACKER_ACTION_ERROR

/* Field offsets, as drawn above.  Requests: */
#define BTUDP_REQ_CID_OFF        0
#define BTUDP_REQ_ACTION_OFF     8
#define BTUDP_REQ_TID_OFF        12
#define BTUDP_REQ_HDR            16    /* every request's common part */
#define BTUDP_ANN_INFOHASH_OFF   16
#define BTUDP_ANN_PEERID_OFF     (BTUDP_ANN_INFOHASH_OFF + BT_INFO_HASH_LEN)   /* 36 */
#define BTUDP_ANN_DOWNLOADED_OFF (BTUDP_ANN_PEERID_OFF + BT_PEER_ID_LEN)       /* 56 */
#define BTUDP_ANN_LEFT_OFF       64
#define BTUDP_ANN_UPLOADED_OFF   72
#define BTUDP_ANN_EVENT_OFF      80
#define BTUDP_ANN_IP_OFF         84
#define BTUDP_ANN_KEY_OFF        88
#define BTUDP_ANN_NUMWANT_OFF    92
#define BTUDP_ANN_PORT_OFF       96
/* Responses: */
#define BTUDP_RESP_ACTION_OFF    0
#define BTUDP_RESP_TID_OFF       4
#define BTUDP_RESP_HDR           8     /* every response's common part */
#define BTUDP_CONN_CID_OFF       8     /* connect response: the new connection id */
#define BTUDP_ANN_INTERVAL_OFF   8
#define BTUDP_ANN_LEECHERS_OFF   12
#define BTUDP_ANN_SEEDERS_OFF    16

#define BTUDP_CONNECT_LEN      16
#define BTUDP_ANNOUNCE_REQ_LEN 98
#define BTUDP_ANNOUNCE_RESP_HDR 20
#define BTUDP_SCRAPE_REQ_HDR   16
#define BTUDP_SCRAPE_RESP_HDR  8
#define BTUDP_ERROR_HDR        8
#define BTUDP_SCRAPE_ENTRY     12
/* BEP 15: "up to about 74 torrents can be scraped at once" (a 1500-byte
 * datagram); a larger count is still decoded but flagged. */
#define BTUDP_SCRAPE_MAX_HASHES 74

/* BEP 15 announce event values. */
#define BTUDP_EVENT_NONE       BT_TRACKER_EVENT_NONE
#define BTUDP_EVENT_COMPLETED  BT_TRACKER_EVENT_COMPLETED
#define BTUDP_EVENT_STARTED    BT_TRACKER_EVENT_STARTED
#define BTUDP_EVENT_STOPPED    BT_TRACKER_EVENT_STOPPED

/* BEP 41 option types. */
#define BTUDP_OPT_END          0
#define BTUDP_OPT_NOP          1
#define BTUDP_OPT_URLDATA      2

/* 1 when the datagram is a BEP 15 connect request (magic, action 0, length
 * at least 16).  This is the heuristic's test: a 64-bit constant is hard to
 * meet by chance. */
int btudp_is_connect_request(const uint8_t *buf, size_t len);

/* Whether a datagram is a request or a response is decided by the caller
 * (from the conversation: who sent the connect); these only check layouts. */

typedef enum {
    BTUDP_OK = 0,
    BTUDP_TRUNCATED,      /* shorter than the fixed part of its kind */
    BTUDP_TRAILING,       /* entries do not divide the remaining length */
    BTUDP_UNKNOWN_ACTION
} btudp_status_t;

typedef struct {
    uint32_t action;
    uint32_t transaction_id;
    uint64_t connection_id;   /* requests; and connect responses (the new id) */
    size_t   fixed_len;       /* bytes of the fixed part of this kind */
    size_t   entries_off;     /* first peer / hash / scrape entry, or the options or message */
    size_t   entry_len;       /* 6, 18, 20 or 12; 0 when there are no entries */
    size_t   n_entries;
    size_t   trailing;        /* bytes after the last whole entry */
    btudp_status_t status;
} btudp_msg_t;

/* Lays out a request (client -> tracker).  Needs len >= 16. */
int btudp_parse_request(const uint8_t *buf, size_t len, btudp_msg_t *out);
/* Lays out a response (tracker -> client).  Needs len >= 8.  ipv6 selects
 * the 18-byte announce peer entries (BEP 15: the address family of the
 * announce decides the response format). */
int btudp_parse_response(const uint8_t *buf, size_t len, int ipv6, btudp_msg_t *out);

/* One BEP 41 option. */
typedef struct {
    uint8_t type;
    size_t  offset;     /* of the type byte */
    size_t  data_off;   /* URL data bytes (type 2) */
    size_t  data_len;
    int     truncated;  /* the length byte or the data run past the datagram */
} btudp_option_t;

/* Reads the option at *pos (pos < len) and advances *pos past it; returns 0
 * when there is nothing left, or after END or a truncated option (both stop
 * the walk, as BEP 41 says for END). */
int btudp_next_option(const uint8_t *buf, size_t len, size_t *pos, btudp_option_t *out);

#endif /* BTCOMMON_TRACKER_UDP_H */
