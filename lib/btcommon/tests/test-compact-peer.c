/* Unit tests for compact-peer.c (BEP 11 / 15 / 23 / 7 compact peers) and the
 * byte helpers of btbytes.h. */
#include "check.h"
#include "compact-peer.h"
#include "btbytes.h"

static void test_bytes(void)
{
    const uint8_t b[8] = { 0x01, 0x02, 0x03, 0x04, 0x05, 0x06, 0x07, 0xf8 };
    CHECK_EQ_INT(bt_be16(b), 0x0102);
    CHECK_EQ_INT(bt_be32(b), 0x01020304);
    CHECK(bt_be64(b) == UINT64_C(0x01020304050607f8));
    CHECK_EQ_INT(bt_hexval('0'), 0);
    CHECK_EQ_INT(bt_hexval('9'), 9);
    CHECK_EQ_INT(bt_hexval('a'), 10);
    CHECK_EQ_INT(bt_hexval('F'), 15);
    CHECK_EQ_INT(bt_hexval('g'), -1);
    CHECK_EQ_INT(bt_hexval('/'), -1);
}

/* One list laid out and decoded: its shape, then entry i's first and last
 * address bytes and port for each i in want. */
typedef struct { uint8_t first, last; uint16_t port; } want_t;

static void check_list(const uint8_t *b, size_t len, int ipv6, size_t count, size_t trailing,
                       const want_t *want)
{
    bt_compact_list_t l;
    bt_compact_peer_t p;
    size_t i;

    bt_compact_list(len, ipv6, &l);
    CHECK_EQ_INT(l.entry_len, ipv6 ? 18 : 6);
    CHECK_EQ_INT(l.addr_len, ipv6 ? 16 : 4);
    CHECK_EQ_INT(l.count, count);
    CHECK_EQ_INT(l.trailing, trailing);
    for (i = 0; i < count; i++) {
        bt_compact_peer_get(b, &l, i, &p);
        CHECK_EQ_INT(p.ipv6, ipv6);
        CHECK_EQ_INT(p.addr_len, l.addr_len);
        CHECK_EQ_INT(p.addr[0], want[i].first);
        CHECK_EQ_INT(p.addr[l.addr_len - 1], want[i].last);
        CHECK_EQ_INT(p.port, want[i].port);
    }
}

static void test_v4(void)
{
    /* 10.0.0.1:6881, 192.168.1.2:51413, then 3 stray bytes */
    const uint8_t b[15] = { 10, 0, 0, 1, 0x1a, 0xe1, 192, 168, 1, 2, 0xc8, 0xd5, 1, 2, 3 };
    const want_t want[] = { { 10, 1, 6881 }, { 192, 2, 51413 } };

    check_list(b, sizeof(b), 0, 2, 3, want);
    check_list(b, 0, 0, 0, 0, NULL);
}

static void test_v6(void)
{
    uint8_t b[36] = { 0xfd, 0x00 };
    const want_t want[] = { { 0xfd, 0x11, 6882 }, { 0xfe, 0x00, 1 } };

    b[15] = 0x11;
    b[16] = 0x1a;
    b[17] = 0xe2;          /* port 6882 */
    b[18] = 0xfe;
    b[35] = 0x01;          /* second: port 1 */
    check_list(b, sizeof(b), 1, 2, 0, want);
    check_list(b, 17, 1, 0, 17, NULL);
}

int main(void)
{
    test_bytes();
    test_v4();
    test_v6();
    return check_summary("test-compact-peer");
}
