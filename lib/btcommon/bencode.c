/* bencode.c
 * Bounded bencode reader (BEP 3 "bencoding").  See bencode.h.
 *
 * bencode_parse recurses once per list/dict level; the recursion depth is the
 * caller's max_depth, so the stack use is bounded whatever the input.
 */
#include "bencode.h"

#include <string.h>

/* Digits of a string length: 2^63 has 19 digits; more cannot fit a size_t
 * length that a buffer could hold anyway. */
#define BENC_MAX_LEN_DIGITS 19

static bencode_err_t fail(bencode_err_t err, size_t at, size_t *err_off)
{
    if (err_off)
        *err_off = at;
    return err;
}

static bencode_err_t parse_int(const uint8_t *buf, size_t len, size_t off,
                               bencode_value_t *out, size_t *err_off)
{
    size_t p = off + 1;           /* past 'i' */
    int neg = 0;
    uint64_t mag = 0;
    size_t digits = 0;

    if (p < len && buf[p] == '-') {
        neg = 1;
        p++;
    }
    for (; p < len && buf[p] >= '0' && buf[p] <= '9'; p++, digits++) {
        unsigned d = (unsigned)(buf[p] - '0');
        /* INT64_MAX is 9223372036854775807; -INT64_MIN is one more. */
        uint64_t limit = neg ? (uint64_t)INT64_MAX + 1u : (uint64_t)INT64_MAX;
        if (mag > (limit - d) / 10u)
            return fail(BENC_ERR_INT_RANGE, p, err_off);
        mag = mag * 10u + d;
    }
    if (p >= len)
        return fail(BENC_ERR_TRUNCATED, p, err_off);
    if (buf[p] != 'e' || digits == 0)
        return fail(BENC_ERR_SYNTAX, p, err_off);
    out->type = BENC_INT;
    out->start = off;
    out->end = p + 1;
    if (neg)
        out->ival = mag == (uint64_t)INT64_MAX + 1u ? INT64_MIN : -(int64_t)mag;
    else
        out->ival = (int64_t)mag;
    return BENC_OK;
}

static bencode_err_t parse_str(const uint8_t *buf, size_t len, size_t off,
                               bencode_value_t *out, size_t *err_off)
{
    size_t p = off;
    size_t slen = 0;
    size_t digits = 0;

    for (; p < len && buf[p] >= '0' && buf[p] <= '9'; p++) {
        if (++digits > BENC_MAX_LEN_DIGITS)
            return fail(BENC_ERR_SYNTAX, p, err_off);
        slen = slen * 10u + (size_t)(buf[p] - '0');
    }
    if (p >= len)
        return fail(BENC_ERR_TRUNCATED, p, err_off);
    if (buf[p] != ':')
        return fail(BENC_ERR_SYNTAX, p, err_off);
    p++;
    if (slen > len - p)
        return fail(BENC_ERR_TRUNCATED, len, err_off);
    out->type = BENC_STR;
    out->start = off;
    out->str_off = p;
    out->str_len = slen;
    out->end = p + slen;
    return BENC_OK;
}

static bencode_err_t parse_at(const uint8_t *buf, size_t len, size_t off, unsigned depth_left,
                              bencode_value_t *out, size_t *err_off)
{
    if (off >= len)
        return fail(BENC_ERR_TRUNCATED, off, err_off);
    switch (buf[off]) {
    case 'i':
        return parse_int(buf, len, off, out, err_off);
    case 'l':
    case 'd': {
        int is_dict = buf[off] == 'd';
        size_t p = off + 1;
        if (depth_left == 0)
            return fail(BENC_ERR_DEPTH, off, err_off);
        for (;;) {
            bencode_value_t elem;
            bencode_err_t err;
            if (p >= len)
                return fail(BENC_ERR_TRUNCATED, p, err_off);
            if (buf[p] == 'e')
                break;
            if (is_dict) {
                if (buf[p] < '0' || buf[p] > '9')
                    return fail(BENC_ERR_KEY_TYPE, p, err_off);
                err = parse_str(buf, len, p, &elem, err_off);
                if (err != BENC_OK)
                    return err;
                p = elem.end;
            }
            err = parse_at(buf, len, p, depth_left - 1, &elem, err_off);
            if (err != BENC_OK)
                return err;
            p = elem.end;   /* strictly increases: the loop ends with the buffer */
        }
        out->type = is_dict ? BENC_DICT : BENC_LIST;
        out->start = off;
        out->end = p + 1;
        return BENC_OK;
    }
    default:
        if (buf[off] >= '0' && buf[off] <= '9')
            return parse_str(buf, len, off, out, err_off);
        return fail(BENC_ERR_SYNTAX, off, err_off);
    }
}

bencode_err_t bencode_parse(const uint8_t *buf, size_t len, size_t off,
                            unsigned max_depth, bencode_value_t *out, size_t *err_off)
{
    memset(out, 0, sizeof(*out));
    return parse_at(buf, len, off, max_depth, out, err_off);
}

void bencode_iter_init(bencode_iter_t *it, const uint8_t *buf, size_t len,
                       const bencode_value_t *container, unsigned max_depth)
{
    it->buf = buf;
    it->len = len;
    it->pos = container->start + 1;
    it->end = container->end - 1;
    it->max_depth = max_depth ? max_depth - 1 : 0;
    it->is_dict = container->type == BENC_DICT;
    if (container->type != BENC_DICT && container->type != BENC_LIST)
        it->pos = it->end = 0;
}

int bencode_iter_next(bencode_iter_t *it, bencode_value_t *key, bencode_value_t *value)
{
    bencode_value_t k;
    size_t p = it->pos;

    if (p >= it->end)
        return 0;
    if (it->is_dict) {
        if (parse_str(it->buf, it->len, p, &k, NULL) != BENC_OK)
            return 0;
        if (key)
            *key = k;
        p = k.end;
    }
    if (bencode_parse(it->buf, it->len, p, it->max_depth, value, NULL) != BENC_OK)
        return 0;
    it->pos = value->end;
    return 1;
}

int bencode_str_eq(const uint8_t *buf, const bencode_value_t *v, const char *s)
{
    size_t n = strlen(s);
    return v->type == BENC_STR && v->str_len == n && memcmp(buf + v->str_off, s, n) == 0;
}

int bencode_dict_get(const uint8_t *buf, size_t len, const bencode_value_t *dict,
                     const char *key, bencode_value_t *value)
{
    bencode_iter_t it;
    bencode_value_t k;

    if (dict->type != BENC_DICT)
        return 0;
    /* The dict was validated with some depth; its elements need at most as
     * much again, which BENCODE_DEFAULT_MAX_DEPTH covers for our callers. */
    bencode_iter_init(&it, buf, len, dict, BENCODE_DEFAULT_MAX_DEPTH + 1);
    while (bencode_iter_next(&it, &k, value)) {
        if (bencode_str_eq(buf, &k, key))
            return 1;
    }
    return 0;
}

int bencode_int_in(const bencode_value_t *v, int64_t min, int64_t max)
{
    return v->type == BENC_INT && v->ival >= min && v->ival <= max;
}

const char *bencode_err_str(bencode_err_t err)
{
    switch (err) {
    case BENC_OK:            return "ok";
    case BENC_ERR_TRUNCATED: return "truncated";
    case BENC_ERR_SYNTAX:    return "syntax error";
    case BENC_ERR_DEPTH:     return "nesting too deep";
    case BENC_ERR_INT_RANGE: return "integer out of range";
    case BENC_ERR_KEY_TYPE:  return "dictionary key is not a string";
    }
    return "unknown error";
}
