/* krpc.h
 * The mainline DHT's KRPC messages (BEP 5) and the pure computations the DHT
 * dissector (plugins/dht, filter btdht) shows: the top-level keys of a
 * message, query names, error codes, compact node info (BEP 5: 26 bytes,
 * BEP 32: 38 bytes), the BEP 42 node-id prefix check (CRC32-C of the masked
 * address), the XOR distance between ids as leading common bits (BEP 5's
 * metric), and the element count a BEP 33 bloom filter estimates.
 *
 * Bencoding itself is read by bencode.c; nothing here copies or allocates.
 * Pure C, no epan.
 */
#ifndef BTCOMMON_KRPC_H
#define BTCOMMON_KRPC_H

#include <stddef.h>
#include <stdint.h>

#include "bencode.h"

#define KRPC_ID_LEN        20   /* node ids, targets, info hashes (SHA-1 size) */
#define KRPC_NODE_V4_LEN   26   /* id + 4-byte address + port (BEP 5)  */
#define KRPC_NODE_V6_LEN   38   /* id + 16-byte address + port (BEP 32) */
#define KRPC_BLOOM_BYTES   256  /* BEP 33: 2048-bit filters, k = 2      */

/* Nesting of a KRPC message: the message dict, the "a"/"r" dict, a list
 * ("values", "samples" are strings, but "e" is a list) and its elements is 3;
 * a BEP 44 "v" item may be any bencoded value.  The same bound as btpeer's
 * extension messages (BENCODE_DEFAULT_MAX_DEPTH) keeps arbitrary but real
 * items whole while bounding the recursion. */
#define KRPC_MAX_DEPTH BENCODE_DEFAULT_MAX_DEPTH

typedef enum {
    KRPC_Y_NONE = 0,      /* no "y", or not one of the three below */
    KRPC_Y_QUERY,         /* "q" */
    KRPC_Y_RESPONSE,      /* "r" */
    KRPC_Y_ERROR          /* "e" */
} krpc_y_t;

typedef enum {
    KRPC_Q_UNKNOWN = 0,
    KRPC_Q_PING,
    KRPC_Q_FIND_NODE,
    KRPC_Q_GET_PEERS,
    KRPC_Q_ANNOUNCE_PEER,
    KRPC_Q_GET,                  /* BEP 44 */
    KRPC_Q_PUT,                  /* BEP 44 */
    KRPC_Q_SAMPLE_INFOHASHES,    /* BEP 51 */
    KRPC_Q_COUNT
} krpc_q_t;

/* The top-level keys of one message (each found: its value; else type 0). */
typedef struct {
    bencode_value_t msg;             /* the whole dict */
    bencode_value_t t, y, q, a, r, e, v, ip, ro;
    krpc_y_t y_kind;
    krpc_q_t q_kind;                 /* from "q" (queries only) */
    unsigned n_other;                /* top-level keys not listed above */
} krpc_msg_t;

/* Parses buf[0..len) as one KRPC message.  BENC_OK when it is one bencoded
 * dict covering the whole buffer (trailing bytes: BENC_ERR_SYNTAX at the
 * first one); the keys are then filled in.  Semantic checks (a "t" that is
 * no string, a missing "a") are the dissector's. */
bencode_err_t krpc_parse(const uint8_t *buf, size_t len, krpc_msg_t *m, size_t *err_off);

/* The UDP heuristic (see plugins/dht/README.md, "Detection"): 1 when the
 * datagram is a KRPC message: it starts with one of the four prefixes
 * Wireshark's built-in bt-dht accepts ("d1:ad", "d1:rd", "d2:ip", "d1:el"),
 * or it is a whole bencoded dict with a string "t" and "y" one of q, r, e.
 * Neither uTP (first byte type<<4|1), a UDP tracker (u64/u32 big-endian,
 * first byte 0), LSD ("BT-SEARCH") nor DNS/QUIC/... can start with "d" and
 * also parse that way. */
int krpc_looks_like(const uint8_t *buf, size_t len);

krpc_q_t krpc_query_kind(const uint8_t *buf, const bencode_value_t *q);
const char *krpc_query_name(krpc_q_t q);     /* "find_node"; "unknown" */
const char *krpc_error_name(int64_t code);   /* BEP 5 / BEP 44 names, or NULL */

/* One compact node info entry. */
typedef struct {
    uint8_t  id[KRPC_ID_LEN];
    int      ipv6;
    uint8_t  addr[16];                /* 4 bytes used for IPv4 */
    uint16_t port;
} krpc_node_t;

/* Entry length for a family (26 or 38); whole entries and trailing bytes in len. */
size_t krpc_node_len(int ipv6);
size_t krpc_node_count(size_t len, int ipv6, size_t *trailing);
/* Entry i of a node list at buf (the caller checked i < count). */
void krpc_node_get(const uint8_t *buf, int ipv6, size_t i, krpc_node_t *out);

/* CRC32-C (Castagnoli, reflected 0x82F63B78), as BEP 42 uses. */
uint32_t krpc_crc32c(const uint8_t *data, size_t len);

typedef enum {
    KRPC_BEP42_MATCH = 0,
    KRPC_BEP42_MISMATCH,
    KRPC_BEP42_EXEMPT      /* a local/private address: BEP 42 does not apply */
} krpc_bep42_t;

/* Checks a node id against the address it was seen with (BEP 42): the first
 * 21 bits of the id must equal those of crc32c((ip & mask) | r << ...), r
 * being the id's last byte & 7.  IPv4 mask 03 0f 3f ff, IPv6 (first 8 bytes)
 * 01 03 07 0f 1f 3f 7f ff.  Loopback, private, link-local and ULA
 * addresses are exempt. */
krpc_bep42_t krpc_bep42_check(const uint8_t id[KRPC_ID_LEN], const uint8_t *addr, int ipv6);
/* 1 when BEP 42 exempts the address (10/8, 172.16/12, 192.168/16,
 * 169.254/16, 127/8; ::1, fc00::/7, fe80::/10). */
int krpc_bep42_exempt(const uint8_t *addr, int ipv6);

/* Leading bits two ids share (0-160): the closer, the higher.  BEP 5's
 * distance is a XOR b; this is the number of leading zero bits of it. */
unsigned krpc_common_bits(const uint8_t a[KRPC_ID_LEN], const uint8_t b[KRPC_ID_LEN]);

/* BEP 33: the number of elements a 256-byte bloom filter holds, estimated
 * from its zero bits c: ln(c/m) / (k ln(1 - 1/m)), m = 2048, k = 2.  A full
 * filter (c = 0) is reported as the estimate for c = 1 (the largest the
 * formula can say), and *saturated set. */
unsigned krpc_bloom_estimate(const uint8_t filter[KRPC_BLOOM_BYTES], int *saturated);

/* The client of a 4-byte "v" (two letters, then two version bytes, as
 * libtorrent "LT\x02\x00", µTorrent and Transmission send it): client gets
 * the name from peerid.c's Azureus-style table ("libtorrent-rasterbar"),
 * else the two letters when printable; version gets "2.0" (the two bytes).
 * Returns 1 when the letters name a known client, 0 otherwise (a v of
 * another length leaves both empty). */
int krpc_version_name(const uint8_t *v, size_t len, char *client, size_t client_len,
                      char *version, size_t version_len);

#endif /* BTCOMMON_KRPC_H */
