/* utp-delay.h
 * LEDBAT base delay of one direction of a uTP connection (BEP 29), free of
 * any Wireshark dependency.
 *
 * Each packet carries timestamp_difference_microseconds: the sender's latest
 * measurement of the other direction's one-way delay, plus the offset
 * between the two clocks (so values are arbitrary 32-bit numbers that may
 * wrap).  BEP 29 takes the base delay as the lowest such value over the last
 * two minutes and the queuing delay as the excess of the current value over
 * it.  Some values are not measurements at all and must never become the
 * base: 0 (no sample yet), 0x7fffffff (a placeholder some stacks send before
 * they have a sample) and a value minutes away from the others.
 *
 * Memory is bounded: one minimum per 10-second slot, 12 slots (2 minutes).
 */
#ifndef BTCOMMON_UTP_DELAY_H
#define BTCOMMON_UTP_DELAY_H

#include <stdbool.h>
#include <stdint.h>

/* BEP 29: the base delay is the minimum over the last two minutes. */
#define UTP_DELAY_WINDOW_US  120000000ull
/* One minimum is kept per slot: 12 slots of 10 s cover the window with at
 * most 10 s of slack, in 96 bytes. */
#define UTP_DELAY_SLOT_US    10000000ull
#define UTP_DELAY_SLOTS      ((unsigned)(UTP_DELAY_WINDOW_US / UTP_DELAY_SLOT_US))
/* A value more than a minute away from the current base delay cannot be a
 * delay measurement of the same path (LEDBAT delays are milliseconds to a
 * few seconds); it is an outlier ... */
#define UTP_DELAY_JUMP_US    60000000u
/* ... unless this many outliers in a row agree with each other (within
 * UTP_DELAY_JUMP_US): then the sender's clock really moved and the history
 * restarts from them.  Three, so that one or two stray values are ignored. */
#define UTP_DELAY_RESYNC     3u
/* libtorrent and uTorrent's placeholder before the first real sample */
#define UTP_DELAY_PLACEHOLDER 0x7fffffffu

typedef enum {
    UTP_DELAY_OK = 0,      /* a sample: base and queuing delay are set */
    UTP_DELAY_NO_SAMPLE,   /* 0: the sender has no measurement yet */
    UTP_DELAY_IS_PLACEHOLDER,
    UTP_DELAY_OUTLIER      /* minutes away from the other samples */
} utp_delay_status_t;

typedef struct {
    uint32_t slot[UTP_DELAY_SLOTS];   /* slot number + 1 (0: empty) */
    uint32_t min[UTP_DELAY_SLOTS];    /* lowest sample of that slot */
    uint32_t cand;                    /* first of a run of agreeing outliers */
    uint32_t cand_count;              /* length of that run */
} utp_delay_hist_t;

/* Adds the sample seen at now_us (capture time, microseconds, never going
 * backwards by more than a slot in practice; older times are treated as the
 * newest slot).  On UTP_DELAY_OK writes the base delay (minimum of the
 * window, this sample included) and the queuing delay (sample - base,
 * never negative). */
utp_delay_status_t utp_delay_add(utp_delay_hist_t *d, uint64_t now_us, uint32_t sample,
                                 uint32_t *base, uint32_t *queuing);

#endif
