/* Unit tests for merkle.c: the tree shape of BEP 52 (pairing, zero-leaf
 * padding, proofs), with a stand-in hash so that no crypto library is needed
 * (the shape is what is tested; the plugins pass SHA-256). */
#include "check.h"
#include "merkle.h"

#include <stdint.h>
#include <string.h>

/* FNV-1a spread over 32 bytes: order-sensitive, enough to tell shapes apart. */
static void fake(const void *data, size_t len, uint8_t out[32])
{
    const uint8_t *p = data;
    uint64_t hsh = 1469598103934665603ull;
    size_t i;
    for (i = 0; i < len; i++) {
        hsh ^= p[i];
        hsh *= 1099511628211ull;
    }
    for (i = 0; i < 32; i++) {
        hsh ^= hsh >> 29;
        hsh *= 1099511628211ull;
        out[i] = (uint8_t)(hsh >> 56);
    }
}

static void pair(const uint8_t *l, const uint8_t *r, uint8_t out[32])
{
    uint8_t b[64];
    memcpy(b, l, 32);
    memcpy(b + 32, r, 32);
    fake(b, 64, out);
}

int main(void)
{
    uint8_t leaves[4][32], zero[32] = { 0 }, ab[32], c0[32], exp[32], got[32], pad1[32], node[32];
    uint8_t uncles[2][32];
    int i;

    for (i = 0; i < 4; i++)
        memset(leaves[i], 'a' + i, 32);
    CHECK_EQ_INT(bt_merkle_width(1), 1);
    CHECK_EQ_INT(bt_merkle_width(3), 4);
    CHECK_EQ_INT(bt_merkle_width(4), 4);
    CHECK_EQ_INT(bt_merkle_log2(8), 3);
    /* two leaves */
    pair(leaves[0], leaves[1], ab);
    CHECK(bt_merkle_root(leaves[0], 2, 2, 0, fake, got));
    CHECK(memcmp(got, ab, 32) == 0);
    /* three leaves padded to four with a zero leaf */
    pair(leaves[2], zero, c0);
    pair(ab, c0, exp);
    CHECK(bt_merkle_root(leaves[0], 3, 4, 0, fake, got));
    CHECK(memcmp(got, exp, 32) == 0);
    /* one leaf in a width-4 tree: the pad of layer 1 is H(0||0) */
    bt_merkle_pad(1, fake, pad1);
    pair(zero, zero, node);
    CHECK(memcmp(pad1, node, 32) == 0);
    pair(leaves[0], zero, node);
    pair(node, pad1, exp);
    CHECK(bt_merkle_root(leaves[0], 1, 4, 0, fake, got));
    CHECK(memcmp(got, exp, 32) == 0);
    /* bad widths */
    CHECK(!bt_merkle_root(leaves[0], 3, 2, 0, fake, got));
    CHECK(!bt_merkle_root(leaves[0], 3, 6, 0, fake, got));
    CHECK(!bt_merkle_root(leaves[0], 0, 1, 0, fake, got));
    /* a proof: leaf 2 of 4 with uncles leaf 3 and H(a||b) reaches the root */
    pair(leaves[2], leaves[3], c0);
    pair(ab, c0, exp);
    memcpy(node, leaves[2], 32);
    memcpy(uncles[0], leaves[3], 32);
    memcpy(uncles[1], ab, 32);
    bt_merkle_climb_path(node, 2, uncles[0], 2, fake, NULL);
    CHECK(memcmp(node, exp, 32) == 0);
    /* leaf 1 (odd): the uncle goes left */
    memcpy(node, leaves[1], 32);
    memcpy(uncles[0], leaves[0], 32);
    memcpy(uncles[1], c0, 32);
    bt_merkle_climb_path(node, 1, uncles[0], 2, fake, NULL);
    CHECK(memcmp(node, exp, 32) == 0);
    /* the same climb, keeping the path: H(c||d) then the root */
    {
        uint8_t path[2][32];
        memcpy(node, leaves[2], 32);
        memcpy(uncles[0], leaves[3], 32);
        memcpy(uncles[1], ab, 32);
        bt_merkle_climb_path(node, 2, uncles[0], 2, fake, path[0]);
        CHECK(memcmp(path[0], c0, 32) == 0);
        CHECK(memcmp(path[1], exp, 32) == 0);
        CHECK(memcmp(node, exp, 32) == 0);
    }
    /* where a hashes message leads, in a file of 10 blocks (width 16, root layer 4) */
    {
        unsigned layer = 99;
        uint64_t at = 99;
        /* 4 leaves from 8 with two proofs: up to layer 4, the root */
        CHECK_EQ_INT(bt_merkle_proof_top(10, 0, 8, 4, 2, &layer, &at), BT_MERKLE_AT_ROOT);
        CHECK_EQ_INT(layer, 4);
        CHECK_EQ_INT(at, 0);
        /* the same with one proof: stops at layer 3, node 1 (leaves 8-15) */
        CHECK_EQ_INT(bt_merkle_proof_top(10, 0, 8, 4, 1, &layer, &at), BT_MERKLE_BELOW_ROOT);
        CHECK_EQ_INT(layer, 3);
        CHECK_EQ_INT(at, 1);
        /* no proof: the subtree root itself, layer 2 node 2 */
        CHECK_EQ_INT(bt_merkle_proof_top(10, 0, 8, 4, 0, &layer, &at), BT_MERKLE_BELOW_ROOT);
        CHECK_EQ_INT(layer, 2);
        CHECK_EQ_INT(at, 2);
        /* 3 hashes are a width-4 subtree: index must be a multiple of 4 */
        CHECK_EQ_INT(bt_merkle_proof_top(10, 0, 2, 3, 0, &layer, &at), 0);
        CHECK_EQ_INT(bt_merkle_proof_top(10, 0, 4, 3, 2, &layer, &at), BT_MERKLE_AT_ROOT);
        CHECK_EQ_INT(at, 0);
        /* a piece-layer message (layer 2: 4 nodes) with 2 proofs */
        CHECK_EQ_INT(bt_merkle_proof_top(10, 2, 0, 4, 0, &layer, &at), BT_MERKLE_AT_ROOT);
        CHECK_EQ_INT(bt_merkle_proof_top(10, 2, 2, 1, 1, &layer, &at), BT_MERKLE_BELOW_ROOT);
        CHECK_EQ_INT(layer, 3);
        CHECK_EQ_INT(at, 1);
        /* proofs past the root, a base above it, a start past the layer, huge values */
        CHECK_EQ_INT(bt_merkle_proof_top(10, 0, 8, 4, 3, &layer, &at), 0);
        CHECK_EQ_INT(bt_merkle_proof_top(10, 5, 0, 1, 0, &layer, &at), 0);
        CHECK_EQ_INT(bt_merkle_proof_top(10, 2, 4, 1, 0, &layer, &at), 0);
        CHECK_EQ_INT(bt_merkle_proof_top(10, 0, 0, UINT64_MAX, 0, &layer, &at), 0);
        CHECK_EQ_INT(bt_merkle_proof_top(10, 0, 0, 1, UINT64_MAX, &layer, &at), 0);
        CHECK_EQ_INT(bt_merkle_proof_top(0, 0, 0, 1, 0, &layer, &at), 0);
        /* a one-block file: its only leaf is the root */
        CHECK_EQ_INT(bt_merkle_proof_top(1, 0, 0, 1, 0, &layer, &at), BT_MERKLE_AT_ROOT);
        /* padding nodes of the 10-block file: leaves 10-15, layer 1 nodes 5-7, layer 3 none */
        CHECK(!bt_merkle_is_pad(10, 0, 9));
        CHECK(bt_merkle_is_pad(10, 0, 10));
        CHECK(!bt_merkle_is_pad(10, 1, 4));
        CHECK(bt_merkle_is_pad(10, 1, 5));
        CHECK(!bt_merkle_is_pad(10, 3, 1));
        CHECK(bt_merkle_is_pad(10, 3, 2));
        CHECK(bt_merkle_is_pad(10, 64, 0));
        CHECK(bt_merkle_is_pad(10, 63, 3));
    }
    /* data root: 16384 + 100 bytes = 2 leaves, in a width-4 piece */
    {
        static uint8_t data[16484];
        uint8_t l[2][32];
        memset(data, 7, sizeof(data));
        fake(data, 16384, l[0]);
        fake(data + 16384, 100, l[1]);
        pair(l[0], l[1], node);
        pair(node, pad1, exp);
        CHECK(bt_merkle_data_root(data, sizeof(data), 4, fake, got));
        CHECK(memcmp(got, exp, 32) == 0);
        CHECK(!bt_merkle_data_root(data, sizeof(data), 1, fake, got));
    }
    return check_summary("test-merkle");
}
