/* tracker-http.c
 * Key names and a tolerant dictionary walk for HTTP tracker answers
 * (BEP 3, BEP 7, BEP 23, BEP 48).  See tracker-http.h.
 */
#include "tracker-http.h"

#include <string.h>

static const struct {
    const char  *name;
    bthttp_key_t key;
} keys[] = {
    { "interval",        BTHTTP_KEY_INTERVAL },
    { "min interval",    BTHTTP_KEY_MIN_INTERVAL },
    { "complete",        BTHTTP_KEY_COMPLETE },
    { "incomplete",      BTHTTP_KEY_INCOMPLETE },
    { "downloaded",      BTHTTP_KEY_DOWNLOADED },
    { "failure reason",  BTHTTP_KEY_FAILURE },
    { "warning message", BTHTTP_KEY_WARNING },
    { "tracker id",      BTHTTP_KEY_TRACKER_ID },
    { "peers",           BTHTTP_KEY_PEERS },
    { "peers6",          BTHTTP_KEY_PEERS6 },
    { "files",           BTHTTP_KEY_FILES },
    { "ip",              BTHTTP_KEY_IP },
    { "port",            BTHTTP_KEY_PORT },
    { "peer id",         BTHTTP_KEY_PEER_ID },
};

bthttp_key_t bthttp_key(const uint8_t *buf, const bencode_value_t *key)
{
    size_t i;
    if (key->type != BENC_STR)
        return BTHTTP_KEY_OTHER;
    for (i = 0; i < sizeof(keys) / sizeof(keys[0]); i++)
        if (bencode_str_eq(buf, key, keys[i].name))
            return keys[i].key;
    return BTHTTP_KEY_OTHER;
}

int bthttp_walk_init(bthttp_walk_t *w, const uint8_t *buf, size_t len, size_t off, unsigned depth)
{
    memset(w, 0, sizeof(*w));
    if (off >= len || (buf[off] != 'd' && buf[off] != 'l') || depth == 0)
        return 0;
    w->buf = buf;
    w->len = len;
    w->pos = off + 1;
    w->depth = depth - 1;
    w->is_dict = buf[off] == 'd';
    return 1;
}

int bthttp_walk_next(bthttp_walk_t *w, bencode_value_t *key, bencode_value_t *value)
{
    bencode_err_t err;

    if (w->ended || w->err != BENC_OK)
        return 0;
    if (w->pos >= w->len) {
        w->err = BENC_ERR_TRUNCATED;
        w->err_off = w->len;
        return 0;
    }
    if (w->buf[w->pos] == 'e') {
        w->ended = 1;
        w->end = w->pos + 1;
        return 0;
    }
    if (w->is_dict) {
        if (w->buf[w->pos] < '0' || w->buf[w->pos] > '9') {
            w->err = BENC_ERR_KEY_TYPE;      /* keys are strings */
            w->err_off = w->pos;
            return 0;
        }
        err = bencode_parse(w->buf, w->len, w->pos, 0, key, &w->err_off);
        if (err != BENC_OK) {
            w->err = err;
            return 0;
        }
        w->pos = key->end;
        if (w->pos >= w->len) {
            w->err = BENC_ERR_TRUNCATED;
            w->err_off = w->len;
            return 0;
        }
    }
    err = bencode_parse(w->buf, w->len, w->pos, w->depth, value, &w->err_off);
    if (err != BENC_OK) {
        w->err = err;
        return 0;
    }
    w->pos = value->end;
    return 1;
}
