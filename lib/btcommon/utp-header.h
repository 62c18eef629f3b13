/* utp-header.h
 * Parsing and validation of a uTP packet header and its extension chain
 * (BEP 29), free of any Wireshark dependency, so the checks the heuristic
 * relies on are unit-tested directly.
 *
 * Version 1 (BEP 29), 20 bytes, big-endian:
 *   0      type(4) | version(4)      1  first extension type
 *   2      connection_id u16         4  timestamp_microseconds u32
 *   8      timestamp_difference u32 12  wnd_size u32
 *   16     seq_nr u16               18  ack_nr u16
 * Version 0 (pre-BEP-29 libutp, still sent in some ST_RESET), 23 bytes:
 *   0  connection_id u32   4 tv_sec u32   8 tv_usec u32  12 reply_micro u32
 *   16 windowsize u8      17 extension u8 18 flags(type) u8
 *   19 seq_nr u16         21 ack_nr u16
 * Extensions follow the header: next-extension u8, len u8, len bytes; the
 * chain ends at type 0.  Every len must fit inside the packet.
 */
#ifndef BTCOMMON_UTP_HEADER_H
#define BTCOMMON_UTP_HEADER_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define UTP_V1_HEADER_LEN 20
#define UTP_V0_HEADER_LEN 23

enum {
    UTP_ST_DATA = 0,
    UTP_ST_FIN = 1,
    UTP_ST_STATE = 2,
    UTP_ST_RESET = 3,
    UTP_ST_SYN = 4,
    UTP_ST_MAX = UTP_ST_SYN
};

enum {
    UTP_EXT_NONE = 0,
    UTP_EXT_SACK = 1,           /* BEP 29 selective ACK */
    UTP_EXT_BITS = 2,           /* BEP 29 "extension bits", deprecated, len 8 */
    UTP_EXT_CLOSE_REASON = 3,   /* libtorrent: 2 reserved bytes + u16 reason */
    UTP_EXT_KNOWN_MAX = UTP_EXT_CLOSE_REASON
};

/* Descriptors kept for the first extensions of a packet.  Real clients send
 * at most two (SACK, close reason); anything past 16 is hostile or broken and
 * is only counted, not kept. */
#define UTP_MAX_EXT 16

typedef enum {
    UTP_PARSE_OK = 0,
    UTP_PARSE_SHORT,          /* shorter than the header */
    UTP_PARSE_BAD_VERSION,    /* version nibble neither 1 nor 0 */
    UTP_PARSE_BAD_TYPE,       /* type above ST_SYN */
    UTP_PARSE_EXT_TRUNCATED,  /* an extension runs past the end of the packet */
} utp_parse_status_t;

typedef struct {
    uint8_t  type;          /* the type this extension has (given by the byte before it) */
    uint8_t  len;
    size_t   hdr_off;       /* offset of its (next, len) pair */
    size_t   data_off;      /* offset of its data */
    const uint8_t *data;    /* its data, in the buffer parsed (valid as long as it) */
} utp_ext_t;

typedef struct {
    uint8_t  version;
    uint8_t  type;
    uint8_t  first_ext;
    uint32_t conn_id;       /* u16 in v1, u32 in v0 */
    uint32_t ts_us;         /* v1 timestamp; v0 tv_usec */
    uint32_t ts_diff_us;    /* v1 timestamp difference; v0 reply_micro */
    uint32_t wnd;           /* v1 bytes; v0 windowsize byte */
    uint16_t seq;
    uint16_t ack;
    size_t   hdr_len;
    size_t   n_ext;         /* extensions in the chain (may exceed UTP_MAX_EXT) */
    utp_ext_t ext[UTP_MAX_EXT];
    bool     unknown_ext;   /* an extension type above UTP_EXT_KNOWN_MAX */
    size_t   bad_ext_off;   /* with EXT_TRUNCATED: offset of the pair that overflows */
    size_t   payload_off;
    size_t   payload_len;
    const uint8_t *payload; /* in the buffer parsed (payload_len bytes) */
    /* libtorrent's close reason: the first 4-byte close-reason extension
     * among ext[] (2 reserved bytes, then the u16 reason) */
    bool     has_close_reason;
    uint16_t close_reason;
} utp_header_t;

/* Parses buf[0..len).  On EXT_TRUNCATED the header fields and the
 * extensions before the broken one are filled, and payload_len is 0. */
utp_parse_status_t utp_parse_header(const uint8_t *buf, size_t len, utp_header_t *h);

/* Parses buf as a version-0 header whatever its first byte says.  libutp
 * answers a packet of a connection it does not know with a 23-byte version-0
 * ST_RESET whose 32-bit connection id is the first 4 bytes of the packet it
 * got (so the first byte can look like a version-1 type/version byte): the
 * low 16 bits are the id the *receiver* of the RESET sends with. */
utp_parse_status_t utp_parse_header_v0(const uint8_t *buf, size_t len, utp_header_t *h);

/* The structural test of the UDP heuristic, for a packet of a connection
 * not seen before: a SYN, STATE, FIN or RESET with a version-1 header, a
 * valid chain of known extension types and no payload (none of them carries
 * data in BEP 29).  A DATA packet is claimed only once its connection is
 * known, because a header-sized prefix of random bytes passes as DATA too
 * often (DNS, WireGuard, QUIC...).  A known extension with a length no
 * implementation sends (selective ACK of 0 bytes, extension bits other than
 * 8, close reason other than 4) or more extensions than there are known
 * types also means "not uTP" here. */
bool utp_plausible_new(const utp_header_t *h);

/* The test for a packet of a connection already seen: any well-formed header
 * (version 0 or 1, any extension types) whose payload rules hold. */
bool utp_plausible_known(const utp_header_t *h);

#endif
