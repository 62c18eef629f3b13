/* lsd-parse.c
 * BEP 14 Local Service Discovery line parser.  See lsd-parse.h.
 */
#include "lsd-parse.h"
#include "btbytes.h"

#include <stdio.h>
#include <string.h>

static int lower(int c)
{
    return (c >= 'A' && c <= 'Z') ? c + ('a' - 'A') : c;
}

/* Case-insensitive comparison of s[0..n) with the C string lit. */
static int eq_nocase(const uint8_t *s, size_t n, const char *lit)
{
    size_t i;
    if (strlen(lit) != n)
        return 0;
    for (i = 0; i < n; i++)
        if (lower(s[i]) != lower((unsigned char)lit[i]))
            return 0;
    return 1;
}

int lsd_looks_like(const uint8_t *buf, size_t len)
{
    size_t m = sizeof(LSD_MAGIC) - 1;
    if (len < m + 1 || memcmp(buf, LSD_MAGIC, m) != 0)
        return 0;
    return buf[m] == '\n' || (buf[m] == '\r' && len > m + 1 && buf[m + 1] == '\n');
}

int lsd_parse_infohash(const uint8_t *s, size_t n, uint8_t out[BT_INFO_HASH_LEN])
{
    size_t i;
    if (n != LSD_INFOHASH_HEX_LEN)
        return 0;
    for (i = 0; i < n; i++)
        if (bt_hexval(s[i]) < 0)
            return 0;
    for (i = 0; i < BT_INFO_HASH_LEN; i++)
        out[i] = (uint8_t)(bt_hexval(s[2 * i]) << 4 | bt_hexval(s[2 * i + 1]));
    return 1;
}

/* Decimal 1..65535 with no sign, no blanks and at most 5 digits. */
static int parse_port(const uint8_t *s, size_t n, uint32_t *port)
{
    uint32_t v = 0;
    size_t i;
    if (n == 0 || n > 5)
        return 0;
    for (i = 0; i < n; i++) {
        if (s[i] < '0' || s[i] > '9')
            return 0;
        v = v * 10 + (uint32_t)(s[i] - '0');
    }
    if (v == 0 || v > 65535)
        return 0;
    *port = v;
    return 1;
}

static void classify_header(const uint8_t *buf, lsd_line_t *out)
{
    const uint8_t *name = buf + out->offset;
    const uint8_t *val = buf + out->value_off;
    size_t n = out->name_len, vn = out->value_len;

    /* BEP 14 header names are matched case-insensitively, as in HTTP:
     * libtorrent writes "cookie" and Transmission "Infohash". */
    if (eq_nocase(name, n, "Host")) {
        out->kind = LSD_LINE_HOST;
        if (eq_nocase(val, vn, LSD_GROUP_V4 ":6771"))
            out->host_family = 4;
        else if (eq_nocase(val, vn, "[" LSD_GROUP_V6 "]:6771"))
            out->host_family = 6;
        else
            out->flags |= LSD_F_BAD_HOST;
    } else if (eq_nocase(name, n, "Port")) {
        out->kind = LSD_LINE_PORT;
        if (!parse_port(val, vn, &out->port))
            out->flags |= LSD_F_BAD_PORT;
    } else if (eq_nocase(name, n, "Infohash")) {
        out->kind = LSD_LINE_INFOHASH;
        if (!lsd_parse_infohash(val, vn, out->infohash))
            out->flags |= LSD_F_BAD_INFOHASH;
    } else if (eq_nocase(name, n, "cookie")) {
        out->kind = LSD_LINE_COOKIE;
    } else {
        out->kind = LSD_LINE_OTHER;
    }
}

size_t lsd_parse_line(const uint8_t *buf, size_t len, size_t off, int first, lsd_line_t *out)
{
    size_t end = off, colon, vs, ve;

    memset(out, 0, sizeof(*out));
    out->offset = off;
    while (end < len && buf[end] != '\n')
        end++;
    if (end < len) {                         /* found LF */
        if (end > off && buf[end - 1] == '\r') {
            out->length = end - 1 - off;
            out->eol_len = 2;
        } else {
            out->length = end - off;
            out->eol_len = 1;
            out->flags |= LSD_F_NO_CRLF;
        }
    } else {                                 /* datagram ends inside the line */
        out->length = end - off;
        out->eol_len = 0;
        out->flags |= LSD_F_NO_CRLF;
    }

    if (first) {
        out->kind = LSD_LINE_REQUEST;
        if (out->length != sizeof(LSD_MAGIC) - 1 || memcmp(buf + off, LSD_MAGIC, out->length) != 0)
            out->flags |= LSD_F_BAD_REQUEST;
    } else if (out->length == 0) {
        out->kind = LSD_LINE_BLANK;
    } else {
        for (colon = off; colon < off + out->length && buf[colon] != ':'; colon++)
            ;
        /* A header needs a non-empty name made of visible characters. */
        if (colon == off + out->length || colon == off) {
            out->kind = LSD_LINE_MALFORMED;
        } else {
            size_t i;
            out->name_len = colon - off;
            for (i = off; i < colon; i++)
                if (buf[i] <= ' ' || buf[i] >= 0x7f)
                    break;
            if (i != colon) {
                out->kind = LSD_LINE_MALFORMED;
            } else {
                vs = colon + 1;
                ve = off + out->length;
                while (vs < ve && (buf[vs] == ' ' || buf[vs] == '\t'))
                    vs++;
                while (ve > vs && (buf[ve - 1] == ' ' || buf[ve - 1] == '\t'))
                    ve--;
                out->value_off = vs;
                out->value_len = ve - vs;
                classify_header(buf, out);
            }
        }
    }
    /* off < len: the line holds at least one byte or its LF, so this advances. */
    return off + out->length + out->eol_len;
}

void lsd_summary(char *dst, size_t dstlen, uint32_t port, unsigned n_infohash)
{
    char p[24];
    if (!dstlen)
        return;
    if (port)
        snprintf(p, sizeof(p), "port %u", (unsigned)port);
    else
        snprintf(p, sizeof(p), "no port");
    snprintf(dst, dstlen, "LSD announce %s, %u infohash%s", p, n_infohash, n_infohash == 1 ? "" : "es");
}
