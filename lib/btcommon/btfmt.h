/* btfmt.h
 * A bounded text builder for labels the plugins print on every packet (the
 * uTP header summary, the LEDBAT queuing-delay line): decimal numbers and
 * strings appended into a caller's buffer, without printf's parsing of a
 * format string per call (measured: the printf form of the uTP summary was
 * about 1,500 instructions of the ~300,000 a packet costs with -V).
 * Pure C, no epan.
 */
#ifndef BTCOMMON_BTFMT_H
#define BTCOMMON_BTFMT_H

#include <stddef.h>
#include <stdint.h>

typedef struct {
    char  *buf;
    size_t cap;                /* bytes of buf, including the terminating NUL */
    size_t len;                /* characters written so far */
    int    truncated;          /* something did not fit */
} bt_fmt_t;

/* buf must hold at least 1 byte; it is always NUL-terminated. */
void bt_fmt_init(bt_fmt_t *f, char *buf, size_t cap);
void bt_fmt_str(bt_fmt_t *f, const char *s);
void bt_fmt_u32(bt_fmt_t *f, uint32_t v);

#endif /* BTCOMMON_BTFMT_H */
