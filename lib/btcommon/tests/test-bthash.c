/* Unit tests for bthash.c: keys that differ only where glib's hashes (and the
 * old discovery store's) looked nowhere must still spread. */
#include <stdlib.h>

#include "check.h"
#include "bthash.h"

#define N 40000

static int cmp_u32(const void *a, const void *b)
{
    uint32_t x = *(const uint32_t *)a, y = *(const uint32_t *)b;
    return x < y ? -1 : x > y;
}

/* Number of values equal to their predecessor once sorted. */
static int duplicates(uint32_t *v, int n)
{
    int i, d = 0;
    qsort(v, (size_t)n, sizeof(*v), cmp_u32);
    for (i = 1; i < n; i++)
        d += v[i] == v[i - 1];
    return d;
}

/* How many of the n hashes land in the fullest of 1024 buckets (low 10 bits). */
static int fullest_bucket(const uint32_t *v, int n)
{
    static int count[1024];
    int i, max = 0;
    memset(count, 0, sizeof(count));
    for (i = 0; i < n; i++)
        if (++count[v[i] & 1023] > max)
            max = count[v[i] & 1023];
    return max;
}

static void test_u64_high_bits(void)
{
    static uint32_t h[N];
    uint64_t seed = UINT64_C(0x0123456789abcdef);
    int i;

    /* 40,000 connection ids sharing their low 32 bits (the case). */
    for (i = 0; i < N; i++)
        h[i] = bthash_u64(((uint64_t)(i + 1) << 32) | 0xdeadbeefu, seed);
    CHECK(fullest_bucket(h, N) < 3 * N / 1024);
    CHECK(duplicates(h, N) <= 4);           /* expected about 0.2 */
    /* ... and sharing their high 32 bits. */
    for (i = 0; i < N; i++)
        h[i] = bthash_u64(UINT64_C(0xdeadbeef00000000) | (uint64_t)i, seed);
    CHECK(duplicates(h, N) <= 4);
    CHECK(bthash_u64(42, seed) == bthash_u64(42, seed));
    CHECK(bthash_u64(42, seed) != bthash_u64(42, seed + 1));
    CHECK(bthash_u64(0, 0) != bthash_u64(1, 0));
}

static void test_bytes_tail(void)
{
    static uint32_t h[N];
    uint8_t key[20];
    uint64_t seed = 7;
    int i;

    /* 40,000 infohashes sharing their first 4 bytes, differing only in the
     * last two (the case hashed the first four only). */
    memset(key, 0xab, sizeof(key));
    for (i = 0; i < N; i++) {
        key[18] = (uint8_t)(i >> 8);
        key[19] = (uint8_t)i;
        h[i] = bthash_bytes(key, sizeof(key), seed);
    }
    CHECK(fullest_bucket(h, N) < 3 * N / 1024);
    CHECK(duplicates(h, N) <= 4);
    /* Every byte position counts. */
    memset(key, 0xab, sizeof(key));
    for (i = 0; i < 20; i++) {
        uint8_t k2[20];
        memcpy(k2, key, sizeof(k2));
        k2[i] ^= 1;
        CHECK(bthash_bytes(k2, 20, seed) != bthash_bytes(key, 20, seed));
    }
    /* Zero padding of the last word cannot collide with a longer key. */
    CHECK(bthash_bytes("ab", 2, seed) != bthash_bytes("ab\0", 3, seed));
    CHECK(bthash_bytes("", 0, seed) != bthash_bytes("\0", 1, seed));
    CHECK(bthash_bytes(key, 20, seed) != bthash_bytes(key, 20, seed ^ 1));
}

static void test_parts(void)
{
    static uint32_t h[N];
    uint8_t addr[4] = { 10, 0, 0, 0 };
    uint64_t seed = 99, s;
    uint16_t port;
    int i;

    /* Address + port keys: 40,000 endpoints of one /16 on two ports. */
    for (i = 0; i < N; i++) {
        addr[2] = (uint8_t)(i >> 8 & 0x7f);
        addr[3] = (uint8_t)i;
        port = (uint16_t)(6881 + (i >> 15));
        s = bthash_update(bthash_start(seed), addr, sizeof(addr));
        h[i] = bthash_finish(bthash_update(s, &port, sizeof(port)));
    }
    CHECK(fullest_bucket(h, N) < 3 * N / 1024);
    CHECK(duplicates(h, N) <= 4);
    /* Deterministic for one seed. */
    s = bthash_update(bthash_start(seed), addr, 4);
    CHECK(bthash_finish(s) == bthash_finish(bthash_update(bthash_start(seed), addr, 4)));
}

int main(void)
{
    test_u64_high_bits();
    test_bytes_tail();
    test_parts();
    return check_summary("test-bthash");
}
