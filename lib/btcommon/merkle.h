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
 * bottom up, replacing node with the ancestor `count` layers higher; each
 * ancestor computed is also written, bottom up, to path (count * 32 bytes;
 * NULL: none): path[count - 1] is the final node. */
void bt_merkle_climb_path(uint8_t node[BT_MERKLE_HASH], uint64_t index, const uint8_t *uncles, size_t count,
                          bt_sha256_fn h, uint8_t *path);

/* Where a BEP 52 hashes message leads: `length` hashes (length >= 1) of
 * layer `base` starting at `index`, followed by `proofs` uncle hashes, in
 * the tree of a file of `blocks` 16 KiB blocks (blocks >= 1).  The hashes
 * form a subtree of width bt_merkle_width(length) (index must be a multiple
 * of it), each proof hash climbs one layer.  Sets *layer / *node to the
 * node the message ends at.  Returns 0 when the message cannot fit that
 * file (index not aligned, a start past the file's width, layers above its
 * root), BT_MERKLE_AT_ROOT when that node is the file's root (the pieces
 * root), BT_MERKLE_BELOW_ROOT when the proof stops below it (BEP 52: a
 * client may send fewer proof layers than the tree has when the receiver
 * already holds the nodes above). */
#define BT_MERKLE_AT_ROOT    1
#define BT_MERKLE_BELOW_ROOT 2
int bt_merkle_proof_top(uint64_t blocks, unsigned base, uint64_t index, uint64_t length, uint64_t proofs,
                        unsigned *layer, uint64_t *node);

/* 1 when node `node` of layer `layer` covers no block of a file of
 * `blocks` blocks (all its leaves are padding: it is bt_merkle_pad(layer)). */
int bt_merkle_is_pad(uint64_t blocks, unsigned layer, uint64_t node);

/* The root of a piece's data (len bytes, at most width blocks): the leaves
 * are the SHA-256 of each 16 KiB block (the last one shorter), padded with
 * zero leaves to width blocks.  Returns 0 when it cannot. */
int bt_merkle_data_root(const uint8_t *data, size_t len, uint64_t width, bt_sha256_fn h,
                        uint8_t out[BT_MERKLE_HASH]);

#endif /* BTCOMMON_MERKLE_H */
