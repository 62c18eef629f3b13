/* Unit tests for krpc.c: KRPC top-level keys and the heuristic, query and
 * error names, compact node info (BEP 5/32), CRC32-C and the BEP 42 vectors,
 * XOR common bits, the BEP 33 bloom-filter estimate, "v" client names. */
#include "check.h"
#include "krpc.h"

#include <stdlib.h>

static int looks(const char *s)
{
    return krpc_looks_like((const uint8_t *)s, strlen(s));
}

static void test_parse(void)
{
    const char *s = "d1:ad2:id20:abcdefghij01234567896:target20:mnopqrstuvwxyz123456e"
                    "1:q9:find_node1:t2:aa1:v4:LT\x02\x00" "1:y1:q1:zi3ee";
    const uint8_t *b = (const uint8_t *)s;
    size_t len;
    krpc_msg_t m;
    size_t err = 0;

    len = strlen(s);            /* strlen stops at \x00: rebuild the length */
    len += 1 + strlen(s + len + 1);
    CHECK_EQ_INT(krpc_parse(b, len, &m, &err), BENC_OK);
    CHECK_EQ_INT(m.y_kind, KRPC_Y_QUERY);
    CHECK_EQ_INT(m.q_kind, KRPC_Q_FIND_NODE);
    CHECK_EQ_INT(m.a.type, BENC_DICT);
    CHECK_EQ_INT(m.t.str_len, 2);
    CHECK_EQ_INT(m.v.str_len, 4);
    CHECK_EQ_INT(m.n_other, 1);
    CHECK_EQ_INT(m.r.type, 0);
    /* trailing bytes after the dict */
    CHECK_EQ_INT(krpc_parse((const uint8_t *)"d1:y1:reXX", 10, &m, &err), BENC_ERR_SYNTAX);
    CHECK_EQ_INT(err, 8);
    CHECK_EQ_INT(krpc_parse((const uint8_t *)"li1ee", 5, &m, &err), BENC_ERR_SYNTAX);
    CHECK_EQ_INT(krpc_parse((const uint8_t *)"d1:y1:r", 7, &m, &err), BENC_ERR_TRUNCATED);
    CHECK_EQ_INT(krpc_parse((const uint8_t *)"d1:t2:xx1:y1:ze", 15, &m, &err), BENC_OK);
    CHECK_EQ_INT(m.y_kind, KRPC_Y_NONE);
    CHECK_EQ_STR(krpc_query_name(KRPC_Q_SAMPLE_INFOHASHES), "sample_infohashes");
    CHECK_EQ_STR(krpc_query_name((krpc_q_t)99), "unknown");
    CHECK_EQ_STR(krpc_error_name(203), "Protocol Error");
    CHECK(krpc_error_name(999) == NULL);
}

static void test_heuristic(void)
{
    CHECK(looks("d1:ad2:id20:abcdefghij0123456789e1:q4:ping1:t2:aa1:y1:qe"));
    CHECK(looks("d1:rd2:id20:mnopqrstuvwxyz123456e1:t2:aa1:y1:re"));
    CHECK(looks("d1:eli201e23:A Generic Error Ocurrede1:t2:aa1:y1:ee"));
    CHECK(looks("d2:ip6:abcdef1:rd2:id20:mnopqrstuvwxyz123456e1:t2:aa1:y1:re"));
    /* a whole dict with t and y, keys in another order (not sorted) */
    CHECK(looks("d1:t2:aa1:y1:q1:q4:ping1:ad2:id20:abcdefghij0123456789ee"));
    /* the built-in prefixes, even cut short (stock claims them) */
    CHECK(looks("d1:ad2:id"));
    /* not KRPC */
    CHECK(!looks("d1:xi1ee"));                        /* no t, no y */
    CHECK(!looks("d1:t2:aa1:y1:xe"));                 /* y not q/r/e */
    CHECK(!looks("d1:t2:aa1:y1:qeJUNK"));             /* trailing bytes */
    CHECK(!looks("BT-SEARCH * HTTP/1.1\r\n"));
    CHECK(!looks("\x41\x00\x12\x34"));                /* a uTP SYN */
    CHECK(!looks("dddd"));
    CHECK(!looks(""));
}

static void test_nodes(void)
{
    uint8_t buf[2 * KRPC_NODE_V6_LEN + 3];
    krpc_node_t n;
    size_t trailing;
    int i;

    for (i = 0; i < (int)sizeof(buf); i++)
        buf[i] = (uint8_t)i;
    CHECK_EQ_INT(krpc_node_count(52, 0, &trailing), 2);
    CHECK_EQ_INT(trailing, 0);
    CHECK_EQ_INT(krpc_node_count(79, 1, &trailing), 2);
    CHECK_EQ_INT(trailing, 3);
    krpc_node_get(buf, 0, 1, &n);
    CHECK_EQ_INT(n.id[0], 26);
    CHECK_EQ_INT(n.addr[0], 46);
    CHECK_EQ_INT(n.port, 50 << 8 | 51);
    krpc_node_get(buf, 1, 1, &n);
    CHECK_EQ_INT(n.id[0], 38);
    CHECK_EQ_INT(n.addr[15], 73);
    CHECK_EQ_INT(n.port, 74 << 8 | 75);
}

static void hex(const char *h, uint8_t *out)
{
    size_t i;
    for (i = 0; h[2 * i]; i++) {
        char b[3] = { h[2 * i], h[2 * i + 1], 0 };
        out[i] = (uint8_t)strtoul(b, NULL, 16);
    }
}

static void test_bep42(void)
{
    /* the five example ids of BEP 42 */
    static const struct { uint8_t ip[4]; const char *id; } v[] = {
        { { 124, 31, 75, 21 }, "5fbfbff10c5d6a4ec8a88e4c6ab4c28b95eee401" },
        { { 21, 75, 31, 124 }, "5a3ce9c14e7a08645677bbd1cfe7d8f956d53256" },
        { { 65, 23, 51, 170 }, "a5d43220bc8f112a3d426c84764f8c2a1150e616" },
        { { 84, 124, 73, 14 }, "1b0321dd1bb1fe518101ceef99462b947a01ff41" },
        { { 43, 213, 53, 83 }, "e56f6cbf5b7c4be0237986d5243b87aa6d51305a" },
    };
    uint8_t id[20], v6[16] = { 0x20, 0x01, 0x0d, 0xb8 }, local[4] = { 10, 0, 0, 1 };
    size_t i;

    /* CRC32-C check value of "123456789" */
    CHECK(krpc_crc32c((const uint8_t *)"123456789", 9) == 0xe3069283u);
    for (i = 0; i < sizeof(v) / sizeof(v[0]); i++) {
        hex(v[i].id, id);
        CHECK_EQ_INT(krpc_bep42_check(id, v[i].ip, 0), KRPC_BEP42_MATCH);
        id[2] ^= 0x08;   /* the 21st bit */
        CHECK_EQ_INT(krpc_bep42_check(id, v[i].ip, 0), KRPC_BEP42_MISMATCH);
        id[2] ^= 0x08;
        id[2] ^= 0x04;   /* below the 21 bits: free */
        CHECK_EQ_INT(krpc_bep42_check(id, v[i].ip, 0), KRPC_BEP42_MATCH);
    }
    CHECK_EQ_INT(krpc_bep42_check(id, local, 0), KRPC_BEP42_EXEMPT);
    {
        uint8_t a[4] = { 172, 20, 1, 1 }, b[4] = { 172, 32, 1, 1 };
        CHECK(krpc_bep42_exempt(a, 0));
        CHECK(!krpc_bep42_exempt(b, 0));
    }
    {
        uint8_t ula[16] = { 0xfd, 0x79 }, ll[16] = { 0xfe, 0x80 };
        CHECK(krpc_bep42_exempt(ula, 1));
        CHECK(krpc_bep42_exempt(ll, 1));
        CHECK(!krpc_bep42_exempt(v6, 1));
    }
    /* IPv6: an id made the BEP 42 way for 2001:db8::, r = 3, then checked */
    {
        uint8_t ip[8] = { 0x20 & 0x01, 0x01 & 0x03, 0x0d & 0x07, 0xb8 & 0x0f, 0, 0, 0, 0 };
        uint32_t crc;
        ip[0] |= 3 << 5;
        crc = krpc_crc32c(ip, 8);
        memset(id, 0x55, sizeof(id));
        id[0] = (uint8_t)(crc >> 24);
        id[1] = (uint8_t)(crc >> 16);
        id[2] = (uint8_t)(((crc >> 8) & 0xf8) | 5);
        id[19] = 3;
        CHECK_EQ_INT(krpc_bep42_check(id, v6, 1), KRPC_BEP42_MATCH);
        id[19] = 4;
        CHECK_EQ_INT(krpc_bep42_check(id, v6, 1), KRPC_BEP42_MISMATCH);
    }
}

static void test_distance_bloom_version(void)
{
    uint8_t a[20] = { 0 }, b[20] = { 0 }, f[KRPC_BLOOM_BYTES];
    char client[48], version[16];
    int sat = 0;
    unsigned i;

    CHECK_EQ_INT(krpc_common_bits(a, b), 160);
    b[0] = 0x80;
    CHECK_EQ_INT(krpc_common_bits(a, b), 0);
    b[0] = 0;
    b[2] = 0x10;
    CHECK_EQ_INT(krpc_common_bits(a, b), 19);

    memset(f, 0, sizeof(f));
    CHECK_EQ_INT(krpc_bloom_estimate(f, &sat), 0);
    CHECK_EQ_INT(sat, 0);
    /* 2 bits set: one element (k = 2, no collision) */
    f[0] = 0x01;
    f[100] = 0x80;
    CHECK_EQ_INT(krpc_bloom_estimate(f, &sat), 1);
    /* half the bits set: ln(1/2) / (2 ln(1 - 1/2048)) = 709.6 */
    for (i = 0; i < KRPC_BLOOM_BYTES; i++)
        f[i] = 0x0f;
    CHECK_EQ_INT(krpc_bloom_estimate(f, &sat), 710);
    memset(f, 0xff, sizeof(f));
    CHECK_EQ_INT(krpc_bloom_estimate(f, &sat), 7806);   /* ln(1/2048) / (2 ln(1 - 1/2048)) */
    CHECK_EQ_INT(sat, 1);

    CHECK_EQ_INT(krpc_version_name((const uint8_t *)"LT\x02\x00", 4, client, sizeof(client), version,
                                   sizeof(version)), 1);
    CHECK_EQ_STR(client, "libtorrent-rasterbar");
    CHECK_EQ_STR(version, "2.0");
    CHECK_EQ_INT(krpc_version_name((const uint8_t *)"zz\x01\x02", 4, client, sizeof(client), version,
                                   sizeof(version)), 0);
    CHECK_EQ_STR(client, "zz");
    CHECK_EQ_STR(version, "1.2");
    CHECK_EQ_INT(krpc_version_name((const uint8_t *)"UT12", 4, client, sizeof(client), version,
                                   sizeof(version)), 1);
    CHECK_EQ_STR(version, "12");
    CHECK_EQ_INT(krpc_version_name((const uint8_t *)"A2\x00\x03", 4, client, sizeof(client), version,
                                   sizeof(version)), 1);
    CHECK_EQ_STR(client, "aria2");
    CHECK_EQ_STR(version, "0.3");
    CHECK_EQ_INT(krpc_version_name((const uint8_t *)"abc", 3, client, sizeof(client), version,
                                   sizeof(version)), 0);
    CHECK_EQ_STR(client, "");
}

int main(void)
{
    test_parse();
    test_heuristic();
    test_nodes();
    test_bep42();
    test_distance_bloom_version();
    return check_summary("test-krpc");
}
