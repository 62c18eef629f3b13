/* tracker-http.h
 * Reading an HTTP tracker's bencoded answer (BEP 3 announce response, BEP 23
 * compact "peers", BEP 7 "peers6", BEP 48 scrape "files") on top of bencode.h.
 *
 * A tracker answer is one dictionary.  Unlike bencode_parse, which rejects a
 * damaged container as a whole, the walk here goes key by key and stops at the
 * first damaged element, so a truncated answer still shows what came before.
 * Pure C, no epan.
 */
#ifndef BTCOMMON_TRACKER_HTTP_H
#define BTCOMMON_TRACKER_HTTP_H

#include <stddef.h>
#include <stdint.h>

#include "bencode.h"

/* Tracker answers nest: dict -> "peers" list -> peer dict -> value (3), and
 * scrape: dict -> "files" dict -> per-hash dict -> value (3).  A few levels
 * more are allowed for extension keys; deeper input is reported, not walked. */
#define BTHTTP_MAX_DEPTH 8

typedef enum {
    BTHTTP_KEY_OTHER = 0,
    BTHTTP_KEY_INTERVAL,
    BTHTTP_KEY_MIN_INTERVAL,
    BTHTTP_KEY_COMPLETE,
    BTHTTP_KEY_INCOMPLETE,
    BTHTTP_KEY_DOWNLOADED,
    BTHTTP_KEY_FAILURE,
    BTHTTP_KEY_WARNING,
    BTHTTP_KEY_TRACKER_ID,
    BTHTTP_KEY_PEERS,
    BTHTTP_KEY_PEERS6,
    BTHTTP_KEY_FILES,
    BTHTTP_KEY_IP,           /* inside a dictionary-form peer */
    BTHTTP_KEY_PORT,
    BTHTTP_KEY_PEER_ID
} bthttp_key_t;

bthttp_key_t bthttp_key(const uint8_t *buf, const bencode_value_t *key);

/* Tolerant walk over the elements of the dictionary (or list) that starts at
 * buf[off]. */
typedef struct {
    const uint8_t *buf;
    size_t   len;
    size_t   pos;
    unsigned depth;        /* nesting allowed for each value */
    int      is_dict;
    int      ended;        /* saw the closing 'e' */
    size_t   end;          /* offset past the closing 'e' once ended */
    bencode_err_t err;     /* why the walk stopped early (BENC_OK if it did not) */
    size_t   err_off;
} bthttp_walk_t;

/* Returns 0 when buf[off] does not start a dictionary or list. */
int bthttp_walk_init(bthttp_walk_t *w, const uint8_t *buf, size_t len, size_t off, unsigned depth);
/* Returns 1 with the next key (dicts) and value; 0 at the closing 'e' or at
 * the first damaged element (then w->err says why). */
int bthttp_walk_next(bthttp_walk_t *w, bencode_value_t *key, bencode_value_t *value);

#endif /* BTCOMMON_TRACKER_HTTP_H */
