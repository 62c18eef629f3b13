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

static void test_v4(void)
{
    /* 10.0.0.1:6881, 192.168.1.2:51413, then 3 stray bytes */
    const uint8_t b[15] = { 10, 0, 0, 1, 0x1a, 0xe1, 192, 168, 1, 2, 0xc8, 0xd5, 1, 2, 3 };
    bt_compact_list_t l;
    bt_compact_peer_t p;

    bt_compact_list(sizeof(b), 0, &l);
    CHECK_EQ_INT(l.entry_len, 6);
    CHECK_EQ_INT(l.addr_len, 4);
    CHECK_EQ_INT(l.count, 2);
    CHECK_EQ_INT(l.trailing, 3);
    bt_compact_peer_get(b, &l, 0, &p);
    CHECK(!p.ipv6);
    CHECK_EQ_INT(p.addr_len, 4);
    CHECK_EQ_INT(p.addr[0], 10);
    CHECK_EQ_INT(p.addr[3], 1);
    CHECK_EQ_INT(p.port, 6881);
    bt_compact_peer_get(b, &l, 1, &p);
    CHECK_EQ_INT(p.addr[0], 192);
    CHECK_EQ_INT(p.port, 51413);
    bt_compact_list(0, 0, &l);
    CHECK_EQ_INT(l.count, 0);
    CHECK_EQ_INT(l.trailing, 0);
}

static void test_v6(void)
{
    uint8_t b[36] = { 0xfd, 0x00 };
    bt_compact_list_t l;
    bt_compact_peer_t p;

    b[15] = 0x11;
    b[16] = 0x1a;
    b[17] = 0xe2;          /* port 6882 */
    b[18] = 0xfe;
    b[35] = 0x01;          /* second: port 1 */
    bt_compact_list(sizeof(b), 1, &l);
    CHECK_EQ_INT(l.entry_len, 18);
    CHECK_EQ_INT(l.addr_len, 16);
    CHECK_EQ_INT(l.count, 2);
    CHECK_EQ_INT(l.trailing, 0);
    bt_compact_peer_get(b, &l, 0, &p);
    CHECK(p.ipv6);
    CHECK_EQ_INT(p.addr[0], 0xfd);
    CHECK_EQ_INT(p.addr[15], 0x11);
    CHECK_EQ_INT(p.port, 6882);
    bt_compact_peer_get(b, &l, 1, &p);
    CHECK_EQ_INT(p.addr[0], 0xfe);
    CHECK_EQ_INT(p.port, 1);
    bt_compact_list(17, 1, &l);
    CHECK_EQ_INT(l.count, 0);
    CHECK_EQ_INT(l.trailing, 17);
}

int main(void)
{
    test_bytes();
    test_v4();
    test_v6();
    return check_summary("test-compact-peer");
}
