/* bthash.h
 * Seeded hashes of whole keys for the hash tables of the plugins (issue 7,
 * item 11: hostile captures made glib's hashes degenerate).
 *
 * glib 2.74's g_int64_hash keeps only the low 32 bits of the key, and the
 * discovery store hashed only the first 4 bytes of an infohash: 40,000 keys
 * sharing those bits then fall into one bucket and every insert compares
 * against all of them (quadratic).  These functions mix every bit of the key
 * and a seed that the caller draws at random once per process, so a capture
 * cannot be crafted to collide (any fixed function of the key could be
 * inverted by whoever writes the capture).  wmem_map reduces the 32-bit result
 * to a bucket with its own random multiplier.
 *
 * Mixing is the 64-bit finaliser of MurmurHash3 (public domain constants),
 * written here from its published description.  Pure C, no epan, no glib.
 */
#ifndef BTCOMMON_BTHASH_H
#define BTCOMMON_BTHASH_H

#include <stddef.h>
#include <stdint.h>

/* A bijective mix of 64 bits: every input bit affects every output bit. */
uint64_t bthash_mix64(uint64_t x);

/* 32-bit hash of a 64-bit key (both halves count). */
uint32_t bthash_u64(uint64_t key, uint64_t seed);

/* 32-bit hash of len bytes (every byte counts, and the length). */
uint32_t bthash_bytes(const void *data, size_t len, uint64_t seed);

/* The same hash in steps, for a key made of several parts (an address and a
 * port) that are not contiguous in memory:
 *   bthash_finish(bthash_update(bthash_update(bthash_start(seed), a, na), b, nb))
 * Every byte of every part counts. */
uint64_t bthash_start(uint64_t seed);
uint64_t bthash_update(uint64_t state, const void *data, size_t len);
uint32_t bthash_finish(uint64_t state);

#endif /* BTCOMMON_BTHASH_H */
