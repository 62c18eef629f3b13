/* merkle.h
 * BEP 52 (BitTorrent v2) merkle trees: SHA-256 over 16 KiB blocks, padded
 * with zero leaves to a power of two.  The hash function is the caller's
 * (the plugins use glib's GChecksum): this library has no glib.
 *
 * Layers are numbered from the leaves (0: one hash per 16 KiB block); a
 * piece of 2^k blocks has its hash (the "piece layer") at layer k.
 */
#ifndef BTCOMMON_MERKLE_H
#define BTCOMMON_MERKLE_H

#include <stddef.h>
#include <stdint.h>

#define BT_MERKLE_BLOCK 16384u
#define BT_MERKLE_HASH  32u
/* Hashes combined at once: a hashes message carries at most 512 (BEP 52
 * allows no more), a piece of 16 MiB has 1024 blocks, a .torrent piece
 * layer one hash per piece of a file.  The caller bounds n; these functions
 * allocate n * 32 bytes. */

typedef void (*bt_sha256_fn)(const void *data, size_t len, uint8_t out[BT_MERKLE_HASH]);

/* The smallest power of two >= n (n >= 1), or 0 on overflow. */
uint64_t bt_merkle_width(uint64_t n);

/* log2 of a power of two. */
unsigned bt_merkle_log2(uint64_t pow2);

/* The hash of a subtree of 2^layer zero leaves (layer 0: 32 zero bytes). */
void bt_merkle_pad(unsigned layer, bt_sha256_fn h, uint8_t out[BT_MERKLE_HASH]);

/* The root of n hashes (n >= 1) of layer `layer`, padded with that layer's
 * pad hash up to `width` (a power of two >= n).  Returns 0 when it cannot
 * (n == 0, width not a power of two >= n, no memory), 1 otherwise. */
int bt_merkle_root(const uint8_t *hashes, size_t n, uint64_t width, unsigned layer, bt_sha256_fn h,
                   uint8_t out[BT_MERKLE_HASH]);

/* Climbs from a node (its index in its layer) with `count` uncle hashes,
 * bottom up, replacing node with the ancestor `count` layers higher. */
void bt_merkle_climb(uint8_t node[BT_MERKLE_HASH], uint64_t index, const uint8_t *uncles, size_t count,
                     bt_sha256_fn h);

/* The root of a piece's data (len bytes, at most width blocks): the leaves
 * are the SHA-256 of each 16 KiB block (the last one shorter), padded with
 * zero leaves to width blocks.  Returns 0 when it cannot. */
int bt_merkle_data_root(const uint8_t *data, size_t len, uint64_t width, bt_sha256_fn h,
                        uint8_t out[BT_MERKLE_HASH]);

#endif /* BTCOMMON_MERKLE_H */
