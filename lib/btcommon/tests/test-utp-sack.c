/* Unit tests: uTP selective-ACK bitmask decoding (BEP 29 extension 1). */
#include "check.h"
#include "utp-sack.h"

int main(void)
{
    uint16_t out[64];
    utp_sack_range_t r[8];

    /* BEP 29: bit 0 of byte 0 is ack_nr + 2 */
    const uint8_t one[] = { 0x01 };
    CHECK_EQ_INT(utp_sack_decode(100, one, 1, out, 64), 1);
    CHECK_EQ_INT(out[0], 102);

    /* bits go from least significant upward; byte 1 continues at +8 */
    const uint8_t two[] = { 0x82, 0x01 };    /* bits 1, 7, 8 */
    CHECK_EQ_INT(utp_sack_decode(10, two, 2, out, 64), 3);
    CHECK_EQ_INT(out[0], 13);
    CHECK_EQ_INT(out[1], 19);
    CHECK_EQ_INT(out[2], 20);
    CHECK_EQ_INT(utp_sack_ranges(10, two, 2, r, 8), 2);
    CHECK_EQ_INT(r[0].first, 13);
    CHECK_EQ_INT(r[0].last, 13);
    CHECK_EQ_INT(r[1].first, 19);
    CHECK_EQ_INT(r[1].last, 20);

    /* wraparound: ack 65534 -> first bit is packet 0 */
    const uint8_t wrap[] = { 0x03, 0x00, 0x00 };   /* 3 bytes, as libtorrent sends */
    CHECK_EQ_INT(utp_sack_decode(65534, wrap, 3, out, 64), 2);
    CHECK_EQ_INT(out[0], 0);
    CHECK_EQ_INT(out[1], 1);
    CHECK_EQ_INT(utp_sack_ranges(65534, wrap, 3, r, 8), 1);
    CHECK_EQ_INT(r[0].first, 0);
    CHECK_EQ_INT(r[0].last, 1);

    /* a full 4-byte mask: 32 packets, one run */
    const uint8_t full[] = { 0xff, 0xff, 0xff, 0xff };
    CHECK_EQ_INT(utp_sack_decode(1, full, 4, out, 64), 32);
    CHECK_EQ_INT(out[31], 34);
    CHECK_EQ_INT(utp_sack_ranges(1, full, 4, r, 8), 1);
    CHECK_EQ_INT(r[0].last, 34);

    /* out buffer smaller than the number of bits: count is still total */
    CHECK_EQ_INT(utp_sack_decode(1, full, 4, out, 4), 32);
    CHECK_EQ_INT(out[3], 6);

    /* empty and zero masks */
    const uint8_t zero[] = { 0, 0, 0, 0 };
    CHECK_EQ_INT(utp_sack_decode(1, zero, 4, out, 64), 0);
    CHECK_EQ_INT(utp_sack_ranges(1, zero, 0, r, 8), 0);

    /* alternating bits: 16 runs of one, only 8 written */
    const uint8_t alt[] = { 0x55, 0x55, 0x55, 0x55 };
    CHECK_EQ_INT(utp_sack_ranges(0, alt, 4, r, 8), 16);
    CHECK_EQ_INT(r[7].first, 16);

    return check_summary("test-utp-sack");
}
