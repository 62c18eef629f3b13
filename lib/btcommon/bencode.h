/* bencode.h
 * A bounded, allocation-free reader for bencoded data (BEP 3, "bencoding"),
 * used by the peer-wire dissector for the BEP 10 extension handshake, BEP 9
 * ut_metadata and BEP 11 ut_pex dictionaries.
 *
 * Values are described by offsets into the caller's buffer; nothing is copied.
 * Every walk is bounded by the buffer length and by an explicit nesting limit,
 * so hostile input can neither overrun the buffer nor exhaust the stack.
 */
#ifndef BTCOMMON_BENCODE_H
#define BTCOMMON_BENCODE_H

#include <stddef.h>
#include <stdint.h>

typedef enum {
    BENC_INT = 1,   /* i<digits>e            */
    BENC_STR,       /* <len>:<bytes>         */
    BENC_LIST,      /* l<values>e            */
    BENC_DICT       /* d<string><value>...e  */
} bencode_type_t;

typedef enum {
    BENC_OK = 0,
    BENC_ERR_TRUNCATED,   /* the buffer ends inside the value            */
    BENC_ERR_SYNTAX,      /* a byte that cannot start or continue a value */
    BENC_ERR_DEPTH,       /* nesting deeper than the caller allowed       */
    BENC_ERR_INT_RANGE,   /* integer does not fit in int64_t              */
    BENC_ERR_KEY_TYPE     /* a dictionary key that is not a string        */
} bencode_err_t;

/* Nesting used by the dissector.  Real extension messages nest at most three
 * levels (dict -> dict "m" -> int); 32 leaves room for unusual but legitimate
 * payloads while keeping the recursion of bencode_parse shallow. */
#define BENCODE_DEFAULT_MAX_DEPTH 32

typedef struct {
    bencode_type_t type;
    size_t   start;    /* offset of the first byte ('i', 'l', 'd' or a digit) */
    size_t   end;      /* offset just past the value                           */
    int64_t  ival;     /* BENC_INT: the value                                  */
    size_t   str_off;  /* BENC_STR: offset and length of the string bytes      */
    size_t   str_len;
} bencode_value_t;

/* Parses the value starting at buf[off] (off < len), checking every nested
 * value, at most max_depth levels of list/dict (a bare int or string is
 * depth 0, "le" is depth 1).  On error, *err_off (if not NULL) receives the
 * offset of the offending byte. */
bencode_err_t bencode_parse(const uint8_t *buf, size_t len, size_t off,
                            unsigned max_depth, bencode_value_t *out, size_t *err_off);

/* Iterates over the elements of an already-parsed list or dict.  For a dict,
 * each step yields the key (always a string) and the value. */
typedef struct {
    const uint8_t *buf;
    size_t   len;
    size_t   pos;        /* next element */
    size_t   end;        /* offset of the container's closing 'e' */
    unsigned max_depth;  /* left for the elements */
    int      is_dict;
} bencode_iter_t;

void bencode_iter_init(bencode_iter_t *it, const uint8_t *buf, size_t len,
                       const bencode_value_t *container, unsigned max_depth);
/* Returns 1 and fills key (dicts only; may be NULL for lists) and value, or 0
 * at the end.  The container was validated by bencode_parse, so this cannot
 * fail. */
int bencode_iter_next(bencode_iter_t *it, bencode_value_t *key, bencode_value_t *value);

/* Looks up `key` in a parsed dict.  Returns 1 and fills *value if found. */
int bencode_dict_get(const uint8_t *buf, size_t len, const bencode_value_t *dict,
                     const char *key, bencode_value_t *value);

/* Returns 1 when the string value equals the C string s. */
int bencode_str_eq(const uint8_t *buf, const bencode_value_t *v, const char *s);

/* The one range check on bencoded integers: 1 when v is an integer in
 * [min, max] (the dissectors' fields are narrower than bencode's 64 bits:
 * ports, extension ids, u32 counters). */
int bencode_int_in(const bencode_value_t *v, int64_t min, int64_t max);

const char *bencode_err_str(bencode_err_t err);

#endif /* BTCOMMON_BENCODE_H */
