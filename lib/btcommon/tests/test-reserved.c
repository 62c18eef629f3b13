/* Unit tests for reserved.c: names of the handshake's reserved bits (BEP 4). */
#include "check.h"
#include "reserved.h"

int main(void)
{
    /* libtorrent-rasterbar 2.0: extension protocol, DHT, fast, v2 */
    const uint8_t lt[8] = { 0, 0, 0, 0, 0, 0x10, 0, 0x15 };
    /* Transmission 3.00: extension protocol, fast, DHT */
    const uint8_t tr[8] = { 0, 0, 0, 0, 0, 0x10, 0, 0x05 };
    const uint8_t none[8] = { 0 };
    const uint8_t odd[8] = { 0x80, 0x01, 0, 0, 0, 0, 0, 0x08 };
    uint8_t unknown[8];
    char buf[128];

    CHECK_EQ_INT(bt_reserved_summary(lt, buf, sizeof(buf)), 4);
    CHECK_EQ_STR(buf, "ext,dht,fast,v2");
    CHECK(!bt_reserved_unknown(lt, unknown));
    CHECK_EQ_INT(bt_reserved_summary(tr, buf, sizeof(buf)), 3);
    CHECK_EQ_STR(buf, "ext,dht,fast");
    CHECK_EQ_INT(bt_reserved_summary(none, buf, sizeof(buf)), 0);
    CHECK_EQ_STR(buf, "");
    /* unknown bit 0x01 in byte 1 is shown, not dropped */
    CHECK_EQ_INT(bt_reserved_summary(odd, buf, sizeof(buf)), 2);
    CHECK_EQ_STR(buf, "nat,azureus,+1:0x01");
    CHECK(bt_reserved_unknown(odd, unknown));
    CHECK_EQ_INT(unknown[1], 0x01);
    CHECK_EQ_INT(unknown[0], 0);
    CHECK_EQ_INT(unknown[7], 0);
    /* truncation keeps the string terminated */
    CHECK_EQ_INT(bt_reserved_summary(lt, buf, 6), 4);
    CHECK_EQ_STR(buf, "ext,d");
    /* the array size constant matches the table */
    CHECK_EQ_INT(bt_reserved_bit_count, BT_RESERVED_BIT_COUNT);
    /* wire order: azureus (byte 0) first, dht (byte 7, 0x01) last; every
     * entry once */
    CHECK_EQ_STR(bt_reserved_bits[bt_reserved_wire_order(0)].filter, "azureus");
    CHECK_EQ_STR(bt_reserved_bits[bt_reserved_wire_order(1)].filter, "location");
    CHECK_EQ_STR(bt_reserved_bits[bt_reserved_wire_order(2)].filter, "extension");
    CHECK_EQ_STR(bt_reserved_bits[bt_reserved_wire_order(5)].filter, "v2");
    CHECK_EQ_STR(bt_reserved_bits[bt_reserved_wire_order(9)].filter, "dht");
    {
        unsigned seen = 0, i;
        for (i = 0; i < BT_RESERVED_BIT_COUNT; i++)
            seen |= 1u << bt_reserved_wire_order(i);
        CHECK_EQ_INT(seen, (1u << BT_RESERVED_BIT_COUNT) - 1);
    }
    return check_summary("test-reserved");
}
