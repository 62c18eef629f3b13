/* merkle.c
 * BEP 52 merkle trees; see merkle.h.
 */
#include "merkle.h"

#include <stdlib.h>
#include <string.h>

uint64_t bt_merkle_width(uint64_t n)
{
    uint64_t w = 1;
    while (w < n) {
        if (w > UINT64_MAX / 2)
            return 0;
        w <<= 1;
    }
    return w;
}

unsigned bt_merkle_log2(uint64_t pow2)
{
    unsigned k = 0;
    while (pow2 > 1) {
        pow2 >>= 1;
        k++;
    }
    return k;
}

static void pair(const uint8_t *l, const uint8_t *r, bt_sha256_fn h, uint8_t out[BT_MERKLE_HASH])
{
    uint8_t buf[2 * BT_MERKLE_HASH];
    memcpy(buf, l, BT_MERKLE_HASH);
    memcpy(buf + BT_MERKLE_HASH, r, BT_MERKLE_HASH);
    h(buf, sizeof(buf), out);
}

void bt_merkle_pad(unsigned layer, bt_sha256_fn h, uint8_t out[BT_MERKLE_HASH])
{
    unsigned i;
    memset(out, 0, BT_MERKLE_HASH);
    for (i = 0; i < layer; i++)
        pair(out, out, h, out);
}

int bt_merkle_root(const uint8_t *hashes, size_t n, uint64_t width, unsigned layer, bt_sha256_fn h,
                   uint8_t out[BT_MERKLE_HASH])
{
    uint8_t *work, pad[BT_MERKLE_HASH];
    size_t count = n, i;

    if (n == 0 || width < n || bt_merkle_width(width) != width)
        return 0;
    if (!(work = malloc(n * BT_MERKLE_HASH)))
        return 0;
    memcpy(work, hashes, n * BT_MERKLE_HASH);
    bt_merkle_pad(layer, h, pad);
    while (width > 1) {
        for (i = 0; i < (count + 1) / 2; i++)
            pair(work + 2 * i * BT_MERKLE_HASH,
                 2 * i + 1 < count ? work + (2 * i + 1) * BT_MERKLE_HASH : pad, h, work + i * BT_MERKLE_HASH);
        count = (count + 1) / 2;
        pair(pad, pad, h, pad);
        width /= 2;
    }
    memcpy(out, work, BT_MERKLE_HASH);
    free(work);
    return 1;
}

void bt_merkle_climb_path(uint8_t node[BT_MERKLE_HASH], uint64_t index, const uint8_t *uncles, size_t count,
                          bt_sha256_fn h, uint8_t *path)
{
    size_t i;
    for (i = 0; i < count; i++, index >>= 1) {
        const uint8_t *u = uncles + i * BT_MERKLE_HASH;
        if (index & 1)
            pair(u, node, h, node);
        else
            pair(node, u, h, node);
        if (path)
            memcpy(path + i * BT_MERKLE_HASH, node, BT_MERKLE_HASH);
    }
}

int bt_merkle_proof_top(uint64_t blocks, unsigned base, uint64_t index, uint64_t length, uint64_t proofs,
                        unsigned *layer, uint64_t *node)
{
    uint64_t width = bt_merkle_width(length), fwidth = bt_merkle_width(blocks);
    unsigned root = bt_merkle_log2(fwidth), top;

    /* layers are below 64 (a 64-bit block count); anything beyond cannot fit */
    if (length == 0 || blocks == 0 || width == 0 || fwidth == 0 || base > root || index % width)
        return 0;
    top = base + bt_merkle_log2(width);
    if (top > root || proofs > root - top)
        return 0;
    if (index >= (fwidth >> base))            /* the file's layer `base` has fwidth >> base nodes */
        return 0;
    top += (unsigned)proofs;
    *layer = top;
    *node = (index / width) >> proofs;
    return top == root ? BT_MERKLE_AT_ROOT : BT_MERKLE_BELOW_ROOT;
}

int bt_merkle_is_pad(uint64_t blocks, unsigned layer, uint64_t node)
{
    /* the node's first leaf is node << layer; past 2^64 it is beyond any file */
    if (layer >= 64 || node > (UINT64_MAX >> layer))
        return 1;
    return (node << layer) >= blocks;
}

int bt_merkle_data_root(const uint8_t *data, size_t len, uint64_t width, bt_sha256_fn h,
                        uint8_t out[BT_MERKLE_HASH])
{
    size_t n = (len + BT_MERKLE_BLOCK - 1) / BT_MERKLE_BLOCK, i;
    uint8_t *leaves;
    int ok;

    if (n == 0 || n > width)
        return 0;
    if (!(leaves = malloc(n * BT_MERKLE_HASH)))
        return 0;
    for (i = 0; i < n; i++) {
        size_t off = i * BT_MERKLE_BLOCK;
        h(data + off, len - off < BT_MERKLE_BLOCK ? len - off : BT_MERKLE_BLOCK, leaves + i * BT_MERKLE_HASH);
    }
    ok = bt_merkle_root(leaves, n, width, 0, h, out);
    free(leaves);
    return ok;
}
