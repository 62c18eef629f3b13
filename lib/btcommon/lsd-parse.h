/* lsd-parse.h
 * Line parser for BitTorrent Local Service Discovery announces (BEP 14):
 *
 *   BT-SEARCH * HTTP/1.1\r\n
 *   Host: 239.192.152.143:6771\r\n          (or [ff15::efc0:988f]:6771)
 *   Port: <listen port>\r\n
 *   Infohash: <40 hex digits>\r\n           (one or more)
 *   cookie: <token>\r\n                     (optional, libtorrent)
 *   \r\n
 *
 * Pure C, no epan: the btlsd dissector feeds it the UDP payload and turns
 * each classified line into fields.  Lines end in CRLF; a bare LF is accepted
 * (and flagged) because it costs nothing and some hand-written senders use it.
 */
#ifndef BTCOMMON_LSD_PARSE_H
#define BTCOMMON_LSD_PARSE_H

#include <stddef.h>
#include <stdint.h>

#include "btwire.h"

#define LSD_MAGIC      "BT-SEARCH * HTTP/1.1"
#define LSD_PORT       6771
#define LSD_GROUP_V4   "239.192.152.143"
#define LSD_GROUP_V6   "ff15::efc0:988f"
#define LSD_INFOHASH_HEX_LEN 40

typedef enum {
    LSD_LINE_REQUEST = 1,  /* the first line */
    LSD_LINE_HOST,
    LSD_LINE_PORT,
    LSD_LINE_INFOHASH,
    LSD_LINE_COOKIE,
    LSD_LINE_OTHER,        /* a well-formed "Name: value" header we do not know */
    LSD_LINE_BLANK,        /* empty line (ends the header block) */
    LSD_LINE_MALFORMED     /* not "Name: value" */
} lsd_line_kind_t;

/* Problems found on a line (bit flags). */
#define LSD_F_NO_CRLF        0x01u  /* ended by bare LF, or by the end of the datagram */
#define LSD_F_BAD_REQUEST    0x02u  /* first line is not exactly LSD_MAGIC */
#define LSD_F_BAD_INFOHASH   0x04u  /* Infohash value is not 40 hex digits */
#define LSD_F_BAD_PORT       0x08u  /* Port value is not a decimal 1..65535 */
#define LSD_F_BAD_HOST       0x10u  /* Host is not one of the two BEP 14 groups on 6771 */

typedef struct {
    lsd_line_kind_t kind;
    size_t   offset;      /* first byte of the line */
    size_t   length;      /* bytes of the line without its terminator */
    size_t   eol_len;     /* 0 (end of data), 1 (LF) or 2 (CRLF) */
    size_t   name_len;    /* header name length (headers only) */
    size_t   value_off;   /* value, leading/trailing blanks removed */
    size_t   value_len;
    unsigned flags;
    uint32_t port;        /* LSD_LINE_PORT with a valid value */
    int      host_family; /* LSD_LINE_HOST: 4 or 6 when it names a BEP 14 group, else 0 */
    uint8_t  infohash[BT_INFO_HASH_LEN];/* LSD_LINE_INFOHASH without LSD_F_BAD_INFOHASH */
} lsd_line_t;

/* 1 when the datagram starts with the BEP 14 request line (LSD_MAGIC then
 * CRLF or LF).  Cheap and exact: this is the heuristic's test. */
int lsd_looks_like(const uint8_t *buf, size_t len);

/* Reads the line at buf[off] (off < len) and classifies it; `first` is 1 for
 * the first line of the datagram.  Returns the offset just past the line
 * (always > off, so a loop over the datagram terminates). */
size_t lsd_parse_line(const uint8_t *buf, size_t len, size_t off, int first, lsd_line_t *out);

/* 1 when s[0..n) is exactly 40 hex digits (either case); fills out[20]. */
int lsd_parse_infohash(const uint8_t *s, size_t n, uint8_t out[BT_INFO_HASH_LEN]);

/* Formats the Info column text, e.g. "LSD announce port 6881, 2 infohashes".
 * port 0 means no valid Port header. */
void lsd_summary(char *dst, size_t dstlen, uint32_t port, unsigned n_infohash);

#endif /* BTCOMMON_LSD_PARSE_H */
