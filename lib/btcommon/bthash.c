/* bthash.c
 * Seeded whole-key hashes for the plugins' hash tables (see bthash.h).
 */
#include <string.h>

#include "bthash.h"

uint64_t bthash_mix64(uint64_t x)
{
    x ^= x >> 33;
    x *= UINT64_C(0xff51afd7ed558ccd);
    x ^= x >> 33;
    x *= UINT64_C(0xc4ceb9fe1a85ec53);
    x ^= x >> 33;
    return x;
}

/* Both halves of the mixed value count in the 32 bits handed out. */
static uint32_t fold(uint64_t x)
{
    return (uint32_t)(x ^ (x >> 32));
}

uint32_t bthash_u64(uint64_t key, uint64_t seed)
{
    /* Mixing twice, with the seed between: the seed is not a plain
     * difference that cancels between two keys. */
    return fold(bthash_mix64(bthash_mix64(key ^ seed) + seed));
}

uint64_t bthash_start(uint64_t seed)
{
    return bthash_mix64(seed ^ UINT64_C(0x9e3779b97f4a7c15));
}

uint64_t bthash_update(uint64_t state, const void *data, size_t len)
{
    const uint8_t *p = (const uint8_t *)data;
    uint64_t w;

    /* Each 8-byte word (the last one zero-padded) goes through the mix;
     * the length is mixed in so that padding cannot collide. */
    while (len >= 8) {
        memcpy(&w, p, 8);
        state = bthash_mix64(state ^ w) + UINT64_C(0x9e3779b97f4a7c15);
        p += 8;
        len -= 8;
    }
    if (len) {
        w = 0;
        memcpy(&w, p, len);
        state = bthash_mix64(state ^ w ^ ((uint64_t)len << 56)) + UINT64_C(0x9e3779b97f4a7c15);
    }
    return state;
}

uint32_t bthash_finish(uint64_t state)
{
    return fold(bthash_mix64(state));
}

uint32_t bthash_bytes(const void *data, size_t len, uint64_t seed)
{
    uint64_t s = bthash_update(bthash_start(seed), data, len);
    return bthash_finish(s ^ (uint64_t)len);
}
