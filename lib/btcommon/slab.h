/* slab.h
 * Per-frame records held by 32-bit handles instead of 64-bit pointers, for
 * the dissectors' first-pass analysis (one record per frame of a capture of
 * millions of frames): a slab hands out fixed-size zeroed records from
 * chunks that never move, so a record's address stays valid; a handle is
 * 1 + its rank (0 means none).  A dense index maps a frame number to a
 * handle in 4 bytes; a slab of records kept in key order is searched
 * without an index.  Not tied to any BEP; memory comes from the caller's
 * allocator (btalloc.h), freed all at once with it (Wireshark's file scope).
 */
#ifndef BTCOMMON_SLAB_H
#define BTCOMMON_SLAB_H

#include <stddef.h>
#include <stdint.h>
#include "btalloc.h"

typedef struct {
    bt_allocator_t a;
    size_t   size;        /* bytes of one record */
    uint32_t per_chunk;   /* records in one chunk */
    void   **chunks;
    uint32_t nchunks;     /* chunks allocated */
    uint32_t cap;         /* room in chunks[] */
    uint32_t used;        /* records handed out: handles 1..used */
} bt_slab_t;

/* per_chunk > 0 and size > 0; nothing is allocated until the first record. */
void bt_slab_init(bt_slab_t *s, const bt_allocator_t *a, size_t size, uint32_t per_chunk);
/* A new zeroed record's handle; 0 when the allocator fails or 2^32 - 1
 * records exist (more than any capture's frames). */
uint32_t bt_slab_new(bt_slab_t *s);
/* The record of a handle; NULL for 0 or a handle never handed out. */
void *bt_slab_get(const bt_slab_t *s, uint32_t h);
/* Takes back the latest record when h is it (zeroed, its handle handed
 * out again next); any other handle is left as it is. */
void bt_slab_unnew(bt_slab_t *s, uint32_t h);
/* For a slab whose records start with a uint32_t key and were handed out in
 * ascending key order (records of frames made on the first pass, which
 * visits frames in order): the handle of the record with that key, 0 when
 * none.  A binary search, O(log n), and no memory per record beyond the
 * record: a sparse set of frames costs only its own records. */
uint32_t bt_slab_find(const bt_slab_t *s, uint32_t key);

typedef struct {
    bt_allocator_t a;
    uint32_t *v;
    uint32_t  cap;        /* keys 0..cap-1 have room; grown by doubling */
} bt_index_t;

void bt_index_init(bt_index_t *x, const bt_allocator_t *a);
/* Sets key -> value (0 clears); 0 when the allocator fails, else 1. */
int bt_index_set(bt_index_t *x, uint32_t key, uint32_t value);
/* The value of key, 0 when none. */
uint32_t bt_index_get(const bt_index_t *x, uint32_t key);

#endif
