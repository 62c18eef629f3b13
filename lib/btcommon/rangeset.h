/* rangeset.h
 * Which byte ranges of a piece have been seen (BEP 3 blocks arrive in any
 * order, overlap when resent, and are cut when a capture loses bytes): a
 * sorted set of disjoint half-open ranges that merges what touches.
 * Also used for the missing / failed ranges named by exported files.
 * Pure C, no allocation: the set has a fixed capacity.
 */
#ifndef BTCOMMON_RANGESET_H
#define BTCOMMON_RANGESET_H

#include <stddef.h>
#include <stdint.h>

/* Holes a piece can have before we give up on it.  Peers send 16 KiB blocks
 * (BEP 3 suggests it, every client does): a 16 MiB piece (the largest piece
 * size clients create) has 1024 blocks, but blocks arrive mostly in order,
 * so the disjoint ranges at one time are few; 64 leaves room for a
 * reordered endgame.  A piece with more holes is not verified. */
#define BT_RANGESET_MAX 64u

typedef struct {
    uint32_t n;
    struct { uint64_t lo, hi; } r[BT_RANGESET_MAX];   /* sorted, disjoint, lo < hi,
                                                         never touching */
} bt_rangeset_t;

void bt_rangeset_init(bt_rangeset_t *s);
/* Adds [lo, hi).  Returns 0 (set unchanged) when the result would need more
 * than BT_RANGESET_MAX ranges, else 1. */
int bt_rangeset_add(bt_rangeset_t *s, uint64_t lo, uint64_t hi);
/* 1 when [lo, hi) is entirely in the set. */
int bt_rangeset_covers(const bt_rangeset_t *s, uint64_t lo, uint64_t hi);
/* Bytes in the set. */
uint64_t bt_rangeset_bytes(const bt_rangeset_t *s);

#endif /* BTCOMMON_RANGESET_H */
