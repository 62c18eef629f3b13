/* urlquery.h
 * Splitting and un-escaping the query string of an HTTP tracker request
 * (BEP 3 "trackers", BEP 23 compact): GET /announce?info_hash=%12%34...&port=6881
 *
 * Pure C, no epan.  info_hash and peer_id are 20 raw bytes sent URL-encoded
 * (RFC 3986 percent-encoding).  '+' is kept as a literal byte, not a space:
 * trackers treat the query as raw bytes and a client may leave '+' (a legal
 * query character) unescaped inside a binary info_hash.
 */
#ifndef BTCOMMON_URLQUERY_H
#define BTCOMMON_URLQUERY_H

#include <stddef.h>
#include <stdint.h>

typedef struct {
    size_t key_off, key_len;   /* offsets into the string given to urlq_next */
    size_t val_off, val_len;   /* val_len 0 and has_value 0 for "key" alone */
    int    has_value;
} urlq_pair_t;

/* Returns the offset of the query (just past '?') in uri[0..n), or n when
 * there is none.  *path_len receives the length of the path before it. */
size_t urlq_find_query(const char *uri, size_t n, size_t *path_len);

/* Iterates over the '&'-separated pairs of q[0..n) starting at *pos.
 * Returns 1 and fills *out, or 0 at the end.  Empty pairs ("a=1&&b=2") are
 * skipped.  Each call advances *pos, so a loop terminates. */
int urlq_next(const char *q, size_t n, size_t *pos, urlq_pair_t *out);

/* Percent-decodes s[0..n) into out (at most cap bytes).  Returns the decoded
 * length (which may exceed cap: the bytes past cap are dropped).  *bad is set
 * to 1 when an escape is malformed ('%' not followed by two hex digits); the
 * '%' is then copied as is. */
size_t urlq_unescape(const char *s, size_t n, uint8_t *out, size_t cap, int *bad);

/* Parses an unsigned decimal value (no sign, at most 20 digits).  Returns 1
 * on success. */
int urlq_parse_u64(const char *s, size_t n, uint64_t *v);

#endif /* BTCOMMON_URLQUERY_H */
