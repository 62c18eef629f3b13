/* urlquery.c
 * HTTP tracker query-string splitting and percent-decoding (BEP 3).
 * See urlquery.h.
 */
#include "urlquery.h"
#include "btbytes.h"

size_t urlq_find_query(const char *uri, size_t n, size_t *path_len)
{
    size_t i;
    for (i = 0; i < n && uri[i] != '?'; i++)
        ;
    if (path_len)
        *path_len = i;
    return i < n ? i + 1 : n;
}

int urlq_next(const char *q, size_t n, size_t *pos, urlq_pair_t *out)
{
    while (*pos < n) {
        size_t start = *pos, end = start, eq;
        while (end < n && q[end] != '&')
            end++;
        *pos = end < n ? end + 1 : n;
        if (end == start)
            continue;                      /* empty pair */
        for (eq = start; eq < end && q[eq] != '='; eq++)
            ;
        out->key_off = start;
        out->key_len = eq - start;
        out->has_value = eq < end;
        out->val_off = eq < end ? eq + 1 : end;
        out->val_len = eq < end ? end - eq - 1 : 0;
        return 1;
    }
    return 0;
}

size_t urlq_unescape(const char *s, size_t n, uint8_t *out, size_t cap, int *bad)
{
    size_t i = 0, o = 0;
    while (i < n) {
        int c = (unsigned char)s[i];
        if (c == '%') {
            if (i + 2 < n && bt_hexval(s[i + 1]) >= 0 && bt_hexval(s[i + 2]) >= 0) {
                c = bt_hexval(s[i + 1]) << 4 | bt_hexval(s[i + 2]);
                i += 3;
            } else {
                if (bad)
                    *bad = 1;
                i++;
            }
        } else {
            i++;
        }
        if (o < cap)
            out[o] = (uint8_t)c;
        o++;
    }
    return o;
}

int urlq_parse_u64(const char *s, size_t n, uint64_t *v)
{
    uint64_t r = 0;
    size_t i;
    /* 2^64 - 1 has 20 digits. */
    if (n == 0 || n > 20)
        return 0;
    for (i = 0; i < n; i++) {
        unsigned d;
        if (s[i] < '0' || s[i] > '9')
            return 0;
        d = (unsigned)(s[i] - '0');
        if (r > (UINT64_MAX - d) / 10u)
            return 0;
        r = r * 10u + d;
    }
    *v = r;
    return 1;
}
