/* Unit tests for peerwire.c (BEP 3 framing) and mse.c (MSE key exchange
 * recognition). */
#include "check.h"
#include "peerwire.h"
#include "mse.h"

static void test_frame(void)
{
    uint8_t hs[68] = { 19 };
    uint8_t msg[9] = { 0, 0, 0, 5, 4, 0, 0, 0, 7 };   /* have 7 */
    uint8_t big[4] = { 0x00, 0x40, 0x00, 0x01 };
    uint64_t n;

    memcpy(hs + 1, "BitTorrent protocol", 19);
    CHECK(bt_wire_is_handshake(hs, 68));
    CHECK(!bt_wire_is_handshake(hs, 19));
    CHECK_EQ_INT(bt_wire_frame(hs, 68, 1 << 20, &n), BT_FRAME_HANDSHAKE);
    CHECK_EQ_INT(n, 68);
    CHECK_EQ_INT(bt_wire_frame(hs, 48, 1 << 20, &n), BT_FRAME_NEED_MORE);
    CHECK_EQ_INT(n, 68);
    CHECK_EQ_INT(bt_wire_frame(hs, 5, 1 << 20, &n), BT_FRAME_NEED_MORE);
    CHECK_EQ_INT(n, 0);
    CHECK_EQ_INT(bt_wire_frame(msg, 9, 1 << 20, &n), BT_FRAME_MESSAGE);
    CHECK_EQ_INT(n, 9);
    CHECK_EQ_INT(bt_wire_frame(msg, 6, 1 << 20, &n), BT_FRAME_NEED_MORE);
    CHECK_EQ_INT(n, 9);
    CHECK_EQ_INT(bt_wire_frame(msg, 3, 1 << 20, &n), BT_FRAME_NEED_MORE);
    CHECK_EQ_INT(bt_wire_frame(big, 4, 1 << 20, &n), BT_FRAME_TOO_LONG);
    CHECK_EQ_INT(n, 0x400005);
    /* keep-alive */
    CHECK_EQ_INT(bt_wire_frame((const uint8_t *)"\0\0\0\0", 4, 1 << 20, &n), BT_FRAME_MESSAGE);
    CHECK_EQ_INT(n, 4);
    /* 0x13 followed by something else is a (too long) length prefix */
    CHECK_EQ_INT(bt_wire_frame((const uint8_t *)"\x13XYZ", 4, 1 << 20, &n), BT_FRAME_TOO_LONG);
}

static void test_mse(void)
{
    uint8_t key[200];
    uint8_t text[200];
    uint32_t x = 12345;
    size_t i;
    /* a xorshift stream stands for the random DH public key */
    for (i = 0; i < sizeof(key); i++) {
        x ^= x << 13; x ^= x >> 17; x ^= x << 5;
        key[i] = (uint8_t)x;
    }
    for (i = 0; i < sizeof(text); i++)
        text[i] = (uint8_t)("GET /announce?info_hash=abc HTTP/1.1\r\n"[i % 38]);
    CHECK(bt_mse_distinct_bytes(key, 96) >= BT_MSE_MIN_DISTINCT);
    CHECK(bt_mse_is_key_flight(key, 96));
    CHECK(bt_mse_is_key_flight(key, 200));
    CHECK(!bt_mse_is_key_flight(key, 95));
    CHECK(!bt_mse_is_key_flight(key, 609));
    CHECK(!bt_mse_is_key_flight(text, 120));
    CHECK(bt_mse_distinct_bytes(text, 96) < 40);
    /* a plaintext handshake is never an MSE key, however random the rest */
    key[0] = 19;
    memcpy(key + 1, "BitTorrent protocol", 19);
    CHECK(!bt_mse_is_key_flight(key, 120));
}

static void test_mse_plain_handshake(void)
{
    uint8_t buf[300];
    size_t i;
    uint32_t x = 777;
    for (i = 0; i < sizeof(buf); i++) {
        x ^= x << 13; x ^= x >> 17; x ^= x << 5;
        buf[i] = (uint8_t)x == 19 ? 20 : (uint8_t)x;   /* no 0x13 by chance */
    }
    CHECK_EQ_INT(bt_mse_find_plain_handshake(buf, sizeof(buf)), -1);
    buf[200] = 19;
    memcpy(buf + 201, "BitTorrent protocol", 19);
    CHECK_EQ_INT(bt_mse_find_plain_handshake(buf, sizeof(buf)), 200);
    /* the whole 20-byte prefix must be there */
    CHECK_EQ_INT(bt_mse_find_plain_handshake(buf, 219), -1);
    CHECK_EQ_INT(bt_mse_find_plain_handshake(buf + 200, 20), 0);
    CHECK_EQ_INT(bt_mse_find_plain_handshake(buf, 5), -1);
    /* the bound covers the initiator's longest negotiation plus one IA handshake */
    CHECK_EQ_INT(BT_MSE_MAX_NEGOTIATION, 1244);
}

static void test_msg_len(void)
{
    const bt_msg_len_t *m;

    CHECK(bt_msg_len(10) == NULL);          /* unassigned ids */
    CHECK(bt_msg_len(255) == NULL);
    m = bt_msg_len(BT_MSG_REQUEST);
    CHECK(m != NULL);
    CHECK_EQ_INT(m->min_len, 13);           /* id + index + begin + length */
    CHECK_EQ_INT(m->max_len, 13);
    CHECK_EQ_INT(m->min_len, BT_MSG_LENGTH_OFF + 4 - BT_MSG_ID_OFF);
    m = bt_msg_len(BT_MSG_PIECE);
    CHECK_EQ_INT(m->min_len, BT_MSG_BLOCK_OFF - BT_MSG_ID_OFF);
    CHECK_EQ_INT(m->max_len, 0);            /* no fixed maximum */
    CHECK(m->sync_max == BT_SYNC_MAX_PIECE);
    m = bt_msg_len(BT_MSG_BITFIELD);
    CHECK_EQ_INT(m->sync_min, 2);           /* resync wants at least one byte of it */
    CHECK_EQ_INT(bt_msg_len(BT_MSG_HASHES)->sync_max, 49 + 512 * 32);
    /* every entry's decoding bounds hold its sync bounds */
    {
        unsigned id;
        for (id = 0; id < 256; id++) {
            m = bt_msg_len((uint8_t)id);
            if (!m)
                continue;
            CHECK(m->sync_min >= m->min_len);
            CHECK(m->max_len == 0 || m->sync_max <= m->max_len);
        }
    }
    CHECK_EQ_INT(BT_HS_INFOHASH_OFF, 28);
    CHECK_EQ_INT(BT_HS_PEERID_OFF, 48);
    CHECK_EQ_INT(BT_MSG_BEGIN_OFF, 9);
}

int main(void)
{
    test_msg_len();
    test_frame();
    test_mse();
    test_mse_plain_handshake();
    return check_summary("test-peerwire");
}
