/* btfmt.c
 * Bounded text builder (btfmt.h): strings and unsigned decimals appended
 * to a fixed buffer; what does not fit is cut and flagged, never written
 * past the buffer.  Pure C, no epan.
 */
#include <string.h>

#include "btfmt.h"

void bt_fmt_init(bt_fmt_t *f, char *buf, size_t cap)
{
    f->buf = buf;
    f->cap = cap;
    f->len = 0;
    f->truncated = 0;
    buf[0] = '\0';
}

static void put(bt_fmt_t *f, const char *s, size_t n)
{
    size_t room = f->cap - 1 - f->len;
    if (n > room) {
        n = room;
        f->truncated = 1;
    }
    memcpy(f->buf + f->len, s, n);
    f->len += n;
    f->buf[f->len] = '\0';
}

void bt_fmt_str(bt_fmt_t *f, const char *s)
{
    put(f, s, strlen(s));
}

void bt_fmt_u32(bt_fmt_t *f, uint32_t v)
{
    char tmp[10];              /* 4294967295 has 10 digits */
    size_t n = sizeof(tmp);
    do {
        tmp[--n] = (char)('0' + v % 10);
        v /= 10;
    } while (v);
    put(f, tmp + n, sizeof(tmp) - n);
}
