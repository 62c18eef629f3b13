/* peerwire-sync.h
 * Finding a message boundary in a peer-wire stream (BEP 3) whose start is
 * not known: a capture that begins mid-connection, or the bytes after a
 * capture gap.  A boundary is an offset where a length prefix, a known
 * message id and a length that fits that id line up, confirmed by the next
 * message lining up too (or by the end of the bytes at hand).
 */
#ifndef BTCOMMON_PEERWIRE_SYNC_H
#define BTCOMMON_PEERWIRE_SYNC_H

#include <stddef.h>
#include <stdint.h>

/* Default largest block of a Piece message: every client sends 16 KiB
 * blocks (BEP 3 "all current implementations use 2^14"); a preference may
 * raise it. */
#define BT_SYNC_DEFAULT_MAX_BLOCK  16384u

typedef enum {
    BT_SYNC_NO,          /* cannot be a message starting here               */
    BT_SYNC_FITS,        /* a plausible message, wholly inside the bytes    */
    BT_SYNC_EXTENDS      /* a plausible header whose message runs past them */
} bt_sync_fit_t;

/* Whether a message with a plausible length for its id starts at buf (avail
 * bytes present).  Keep-alives (length 0) are plausible only when
 * keepalive_ok: a run of zero bytes is a run of keep-alives by framing, so a
 * keep-alive never anchors a resynchronisation, it can only confirm one.
 * *pdu_len gets 4 + length when the header is complete. */
bt_sync_fit_t bt_sync_fit(const uint8_t *buf, size_t avail, uint32_t max_block,
                          int keepalive_ok, uint64_t *pdu_len);

/* The first offset in buf[0..len) where a message boundary can be found, or
 * -1.  Scans at most scan_limit starting offsets (the caller bounds the
 * work per segment; each offset costs O(1)). */
long bt_sync_find(const uint8_t *buf, size_t len, uint32_t max_block, size_t scan_limit);

#endif /* BTCOMMON_PEERWIRE_SYNC_H */
