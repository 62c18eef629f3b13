/* Unit tests: uTP header/extension-chain parser and heuristic predicates. */
#include "check.h"
#include "utp-header.h"

#include <string.h>

static void put_v1(uint8_t *b, int type, int ext, uint16_t id, uint16_t seq, uint16_t ack)
{
    memset(b, 0, 20);
    b[0] = (uint8_t)(type << 4 | 1);
    b[1] = (uint8_t)ext;
    b[2] = id >> 8; b[3] = id & 0xff;
    b[12] = 0x00; b[13] = 0x10;  /* wnd 0x00100000 = 1 MiB */
    b[16] = seq >> 8; b[17] = seq & 0xff;
    b[18] = ack >> 8; b[19] = ack & 0xff;
}

int main(void)
{
    uint8_t b[128];
    utp_header_t h;

    /* plain SYN */
    put_v1(b, UTP_ST_SYN, 0, 46080, 1234, 0);
    CHECK_EQ_INT(utp_parse_header(b, 20, &h), UTP_PARSE_OK);
    CHECK_EQ_INT(h.type, UTP_ST_SYN);
    CHECK_EQ_INT(h.version, 1);
    CHECK_EQ_INT(h.conn_id, 46080);
    CHECK_EQ_INT(h.seq, 1234);
    CHECK_EQ_INT(h.wnd, 0x00100000);
    CHECK_EQ_INT(h.payload_len, 0);
    CHECK(utp_plausible_new(&h));
    /* a SYN with payload is not a new uTP connection */
    CHECK_EQ_INT(utp_parse_header(b, 30, &h), UTP_PARSE_OK);
    CHECK_EQ_INT(h.payload_len, 10);
    CHECK(!utp_plausible_new(&h));

    /* STATE with a 3-byte SACK (libtorrent) then close reason (libtorrent) */
    put_v1(b, UTP_ST_STATE, UTP_EXT_SACK, 7, 10, 20);
    b[20] = UTP_EXT_CLOSE_REASON; b[21] = 3; b[22] = 0x01; b[23] = 0; b[24] = 0;
    b[25] = 0; b[26] = 4; b[27] = 0; b[28] = 0; b[29] = 0; b[30] = 8;
    CHECK_EQ_INT(utp_parse_header(b, 31, &h), UTP_PARSE_OK);
    CHECK_EQ_INT(h.n_ext, 2);
    CHECK_EQ_INT(h.ext[0].type, UTP_EXT_SACK);
    CHECK_EQ_INT(h.ext[0].len, 3);
    CHECK_EQ_INT(h.ext[0].data_off, 22);
    CHECK_EQ_INT(h.ext[1].type, UTP_EXT_CLOSE_REASON);
    CHECK_EQ_INT(h.ext[1].len, 4);
    CHECK_EQ_INT(h.ext[1].data_off, 27);
    CHECK_EQ_INT(h.payload_off, 31);
    CHECK_EQ_INT(h.payload_len, 0);
    CHECK(utp_plausible_new(&h));
    /* what the analysis takes from the walk: the bytes and the reason */
    CHECK(h.ext[0].data == b + 22 && h.ext[1].data == b + 27 && h.payload == b + 31);
    CHECK(h.has_close_reason);
    CHECK_EQ_INT(h.close_reason, 8);
    /* a close-reason extension of the wrong length gives no reason */
    b[26] = 2;
    b[29] = 0; b[30] = 0;
    CHECK_EQ_INT(utp_parse_header(b, 29, &h), UTP_PARSE_OK);
    CHECK(!h.has_close_reason);

    /* extension longer than the packet */
    put_v1(b, UTP_ST_STATE, UTP_EXT_SACK, 7, 10, 20);
    b[20] = 0; b[21] = 40;
    CHECK_EQ_INT(utp_parse_header(b, 30, &h), UTP_PARSE_EXT_TRUNCATED);
    CHECK_EQ_INT(h.bad_ext_off, 20);
    CHECK_EQ_INT(h.payload_len, 0);
    /* chain pointing past the end with no bytes left */
    CHECK_EQ_INT(utp_parse_header(b, 21, &h), UTP_PARSE_EXT_TRUNCATED);

    /* unknown extension type: parsed, flagged, not plausible for a new connection */
    put_v1(b, UTP_ST_STATE, 9, 7, 10, 20);
    b[20] = 0; b[21] = 2; b[22] = 0xaa; b[23] = 0xbb;
    CHECK_EQ_INT(utp_parse_header(b, 24, &h), UTP_PARSE_OK);
    CHECK(h.unknown_ext);
    CHECK(!utp_plausible_new(&h));
    CHECK(utp_plausible_known(&h));

    /* known extensions with lengths no implementation sends: not a new connection */
    {
        static const struct { uint8_t type, len; bool ok; } cases[] = {
            { UTP_EXT_SACK, 0, false }, { UTP_EXT_SACK, 1, true }, { UTP_EXT_SACK, 4, true },
            { UTP_EXT_BITS, 0, false }, { UTP_EXT_BITS, 4, false }, { UTP_EXT_BITS, 8, true },
            { UTP_EXT_BITS, 9, false }, { UTP_EXT_CLOSE_REASON, 0, false },
            { UTP_EXT_CLOSE_REASON, 2, false }, { UTP_EXT_CLOSE_REASON, 4, true },
            { UTP_EXT_CLOSE_REASON, 8, false },
        };
        for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
            put_v1(b, UTP_ST_STATE, cases[i].type, 7, 10, 20);
            b[20] = 0; b[21] = cases[i].len;
            memset(b + 22, 0, cases[i].len);
            CHECK_EQ_INT(utp_parse_header(b, 22 + cases[i].len, &h), UTP_PARSE_OK);
            CHECK_EQ_INT(utp_plausible_new(&h), cases[i].ok);
            CHECK(utp_plausible_known(&h));    /* a known connection's packet is still shown */
        }
        /* four extensions: more than there are known types */
        put_v1(b, UTP_ST_STATE, UTP_EXT_SACK, 7, 10, 20);
        for (int i = 0; i < 4; i++) {
            b[20 + 3 * i] = i < 3 ? UTP_EXT_SACK : 0; b[21 + 3 * i] = 1; b[22 + 3 * i] = 1;
        }
        CHECK_EQ_INT(utp_parse_header(b, 32, &h), UTP_PARSE_OK);
        CHECK_EQ_INT(h.n_ext, 4);
        CHECK(!utp_plausible_new(&h));
    }

    /* DATA: never plausible alone, fine on a known connection */
    put_v1(b, UTP_ST_DATA, 0, 7, 10, 20);
    CHECK_EQ_INT(utp_parse_header(b, 100, &h), UTP_PARSE_OK);
    CHECK_EQ_INT(h.payload_len, 80);
    CHECK(!utp_plausible_new(&h));
    CHECK(utp_plausible_known(&h));
    CHECK_EQ_INT(utp_parse_header(b, 20, &h), UTP_PARSE_OK);
    CHECK(!utp_plausible_known(&h));   /* DATA without payload */

    /* bad version / type / length */
    b[0] = 0x12;
    CHECK_EQ_INT(utp_parse_header(b, 20, &h), UTP_PARSE_BAD_VERSION);
    b[0] = 0x51;
    CHECK_EQ_INT(utp_parse_header(b, 20, &h), UTP_PARSE_BAD_TYPE);
    CHECK_EQ_INT(utp_parse_header(b, 19, &h), UTP_PARSE_SHORT);
    /* DHT ("d1:ad...") and LSD ("BT-SEARCH") first bytes are not uTP */
    memcpy(b, "d1:ad2:id20:abcdefghij0123456789e", 33);
    CHECK(utp_parse_header(b, 33, &h) != UTP_PARSE_OK);
    memcpy(b, "BT-SEARCH * HTTP/1.1\r\n", 22);
    CHECK(utp_parse_header(b, 22, &h) != UTP_PARSE_OK);

    /* version 0 RESET as libutp sends it: 23 bytes */
    memset(b, 0, 23);
    b[2] = 0xb4; b[3] = 0x00;       /* conn id 46080 */
    b[16] = 0x20;                   /* window byte */
    b[18] = UTP_ST_RESET;
    b[19] = 0x12; b[20] = 0x34;     /* seq */
    b[21] = 0x56; b[22] = 0x78;     /* ack */
    CHECK_EQ_INT(utp_parse_header(b, 23, &h), UTP_PARSE_OK);
    CHECK_EQ_INT(h.version, 0);
    CHECK_EQ_INT(h.type, UTP_ST_RESET);
    CHECK_EQ_INT(h.conn_id, 46080);
    CHECK_EQ_INT(h.seq, 0x1234);
    CHECK_EQ_INT(h.ack, 0x5678);
    CHECK_EQ_INT(h.hdr_len, 23);
    CHECK(!utp_plausible_new(&h));  /* v0 only on known connections */
    CHECK(utp_plausible_known(&h));
    CHECK_EQ_INT(utp_parse_header(b, 22, &h), UTP_PARSE_SHORT);
    b[18] = 7;
    CHECK_EQ_INT(utp_parse_header(b, 23, &h), UTP_PARSE_BAD_TYPE);

    /* the real libutp (Transmission 3.00) answer to libtorrent's FIN, from
     * test-captures/utp-transmission.pcap: it echoes the FIN's first 4 bytes
     * (11 03 = FIN v1 with close-reason ext; 89 51 = id) as a v0 conn id */
    {
        static const uint8_t rst[23] = { 0x11, 0x03, 0x89, 0x51, 0,0,0,0, 0,0,0,0, 0,0,0,0,
                                         0x00, 0x00, 0x03, 0xf1, 0xb7, 0x68, 0x00 };
        CHECK(utp_parse_header(rst, 23, &h) != UTP_PARSE_OK);   /* as v1 the chain overflows */
        CHECK_EQ_INT(utp_parse_header_v0(rst, 23, &h), UTP_PARSE_OK);
        CHECK_EQ_INT(h.version, 0);
        CHECK_EQ_INT(h.type, UTP_ST_RESET);
        CHECK_EQ_INT(h.conn_id & 0xffff, 0x8951);
        CHECK_EQ_INT(h.seq, 0xf1b7);
        CHECK_EQ_INT(h.ack, 0x6800);
        CHECK_EQ_INT(h.payload_len, 0);
    }

    /* a long chain of empty extensions: counted, only UTP_MAX_EXT kept */
    put_v1(b, UTP_ST_STATE, 2, 7, 10, 20);
    for (int i = 0; i < 40; i++) { b[20 + 2 * i] = (i == 39) ? 0 : 2; b[21 + 2 * i] = 0; }
    CHECK_EQ_INT(utp_parse_header(b, 100, &h), UTP_PARSE_OK);
    CHECK_EQ_INT(h.n_ext, 40);
    CHECK_EQ_INT(h.payload_off, 100);

    return check_summary("test-utp-header");
}
