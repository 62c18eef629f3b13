/* Unit tests for tracker-udp.c (BEP 15 layouts, BEP 41 options).  The byte
 * strings marked "real" are datagrams copied from a run of
 * scripts/make-discovery-captures (libtorrent 2.0.8 talking to opentracker). */
#include "check.h"
#include "tracker-udp.h"

static size_t unhex(const char *h, uint8_t *out, size_t cap)
{
    size_t n = 0;
    while (h[0] && h[1] && n < cap) {
        unsigned v;
        sscanf(h, "%2x", &v);
        out[n++] = (uint8_t)v;
        h += 2;
    }
    return n;
}

static void test_connect(void)
{
    uint8_t b[64];
    size_t n = unhex("0000041727101980000000004bc2a49f", b, sizeof(b));   /* real */
    btudp_msg_t m;

    CHECK(btudp_is_connect_request(b, n));
    CHECK(!btudp_is_connect_request(b, 15));
    CHECK(btudp_parse_request(b, n, &m));
    CHECK_EQ_INT(m.status, BTUDP_OK);
    CHECK(m.connection_id == BTUDP_MAGIC);
    CHECK_EQ_INT(m.action, 0);
    CHECK_EQ_INT(m.transaction_id, 0x4bc2a49f);
    b[15] ^= 1;
    CHECK(btudp_is_connect_request(b, n));
    b[11] = 1;                                           /* action 1 with the magic */
    CHECK(!btudp_is_connect_request(b, n));

    n = unhex("000000004bc2a49f3087a465c4055160", b, sizeof(b));   /* real response */
    CHECK(btudp_parse_response(b, n, 0, &m));
    CHECK_EQ_INT(m.status, BTUDP_OK);
    CHECK_EQ_INT(m.transaction_id, 0x4bc2a49f);
    CHECK(m.connection_id == UINT64_C(0x3087a465c4055160));
    CHECK(btudp_parse_response(b, 12, 0, &m));
    CHECK_EQ_INT(m.status, BTUDP_TRUNCATED);
    CHECK(!btudp_parse_response(b, 7, 0, &m));
}

static void test_announce(void)
{
    uint8_t b[256];
    size_t n = unhex("3087a465c4055160000000011dbe54d6dfcbc233e7a32bd90192eb4c6effaad6cd04fce9"
                     "2d4c54323038302d49304a4f35685751647a6872"
                     "000000000000000000000000000000000000000000000000"
                     "000000020000000042601489000000c81ae102092f616e6e6f756e6365",
                     b, sizeof(b));               /* real, 109 bytes */
    btudp_msg_t m;
    btudp_option_t o;
    size_t pos;

    CHECK_EQ_INT(n, 109);
    CHECK(btudp_parse_request(b, n, &m));
    CHECK_EQ_INT(m.status, BTUDP_OK);
    CHECK_EQ_INT(m.action, BTUDP_ACTION_ANNOUNCE);
    CHECK_EQ_INT(m.transaction_id, 0x1dbe54d6);
    CHECK_EQ_INT(m.entries_off, 98);
    CHECK_EQ_INT(bt_be32(b + BTUDP_ANN_EVENT_OFF), BTUDP_EVENT_STARTED);
    CHECK_EQ_INT(b[96] << 8 | b[97], 6881);

    /* BEP 41: one URLData option "/announce" and nothing else. */
    pos = m.entries_off;
    CHECK(btudp_next_option(b, n, &pos, &o));
    CHECK_EQ_INT(o.type, BTUDP_OPT_URLDATA);
    CHECK_EQ_INT(o.data_len, 9);
    CHECK(memcmp(b + o.data_off, "/announce", 9) == 0);
    CHECK_EQ_INT(o.truncated, 0);
    CHECK(!btudp_next_option(b, n, &pos, &o));

    /* Truncated option data, NOP, END stops the walk. */
    pos = 0;
    {
        const uint8_t opts[] = { 1, 2, 3, 'a', 'b', 'c', 0, 2, 9 };
        CHECK(btudp_next_option(opts, sizeof(opts), &pos, &o));
        CHECK_EQ_INT(o.type, BTUDP_OPT_NOP);
        CHECK(btudp_next_option(opts, sizeof(opts), &pos, &o));
        CHECK_EQ_INT(o.data_len, 3);
        CHECK(btudp_next_option(opts, sizeof(opts), &pos, &o));
        CHECK_EQ_INT(o.type, BTUDP_OPT_END);
        CHECK(!btudp_next_option(opts, sizeof(opts), &pos, &o));
        pos = 7;
        CHECK(btudp_next_option(opts, sizeof(opts), &pos, &o));
        CHECK_EQ_INT(o.truncated, 1);
        CHECK_EQ_INT(o.data_len, 0);
        CHECK(!btudp_next_option(opts, sizeof(opts), &pos, &o));
        pos = 8;
        CHECK(btudp_next_option(opts, 8, &pos, &o) == 0);
        pos = 7;
        CHECK(btudp_next_option(opts, 8, &pos, &o));    /* type byte, no length byte */
        CHECK_EQ_INT(o.truncated, 1);
    }

    CHECK(btudp_parse_request(b, 97, &m));
    CHECK_EQ_INT(m.status, BTUDP_TRUNCATED);

    /* Real response with two IPv4 peers: 10.78.0.2:6881 and 10.78.0.1:6881. */
    n = unhex("00000001c156d57d0000067200000000000000020a4e00021ae10a4e00011ae1", b, sizeof(b));
    CHECK(btudp_parse_response(b, n, 0, &m));
    CHECK_EQ_INT(m.status, BTUDP_OK);
    CHECK_EQ_INT(m.entry_len, 6);
    CHECK_EQ_INT(m.n_entries, 2);
    CHECK_EQ_INT(bt_be32(b + BTUDP_ANN_INTERVAL_OFF), 1650);          /* interval */
    CHECK_EQ_INT(b[m.entries_off + 3], 2);
    /* Read as IPv6 the same 12 bytes are not whole entries. */
    CHECK(btudp_parse_response(b, n, 1, &m));
    CHECK_EQ_INT(m.n_entries, 0);
    CHECK_EQ_INT(m.trailing, 12);
    CHECK_EQ_INT(m.status, BTUDP_TRAILING);
    /* Real: opentracker answers a non-whitelisted announce with 8 bytes. */
    n = unhex("00000001c7cc5e8e", b, sizeof(b));
    CHECK(btudp_parse_response(b, n, 0, &m));
    CHECK_EQ_INT(m.status, BTUDP_TRUNCATED);
    CHECK_EQ_INT(m.action, 1);
}

static void test_scrape_error(void)
{
    uint8_t b[256];
    size_t n = unhex("4abfcbe79458bdf800000002ce0b5743dfcbc233e7a32bd90192eb4c6effaad6cd04fce9",
                     b, sizeof(b));                        /* real scrape, one hash */
    btudp_msg_t m;

    CHECK(btudp_parse_request(b, n, &m));
    CHECK_EQ_INT(m.action, BTUDP_ACTION_SCRAPE);
    CHECK_EQ_INT(m.n_entries, 1);
    CHECK_EQ_INT(m.entry_len, 20);
    CHECK_EQ_INT(m.status, BTUDP_OK);
    CHECK(btudp_parse_request(b, n - 1, &m));
    CHECK_EQ_INT(m.n_entries, 0);
    CHECK_EQ_INT(m.trailing, 19);
    CHECK_EQ_INT(m.status, BTUDP_TRAILING);

    n = unhex("00000002ce0b5743000000020000000000000000", b, sizeof(b));   /* real */
    CHECK(btudp_parse_response(b, n, 0, &m));
    CHECK_EQ_INT(m.n_entries, 1);
    CHECK_EQ_INT(bt_be32(b + 8), 2);               /* seeders */

    memcpy(b, "\0\0\0\3\0\0\0\7oops", 12);
    CHECK(btudp_parse_response(b, 12, 0, &m));
    CHECK_EQ_INT(m.action, BTUDP_ACTION_ERROR);
    CHECK_EQ_INT(m.entries_off, 8);
    CHECK_EQ_INT(m.status, BTUDP_OK);

    memcpy(b, "\0\0\0\7\0\0\0\7", 8);
    CHECK(btudp_parse_response(b, 8, 0, &m));
    CHECK_EQ_INT(m.status, BTUDP_UNKNOWN_ACTION);
}

int main(void)
{
    test_connect();
    test_announce();
    test_scrape_error();
    return check_summary("test-tracker-udp");
}
