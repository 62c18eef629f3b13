/* Unit tests for lsd-parse.c (BEP 14): the request line, each header kind,
 * infohash validation, the two multicast groups, damaged lines. */
#include "check.h"
#include "lsd-parse.h"

#define B(s) ((const uint8_t *)(s))

/* A libtorrent 2.0.8 announce, byte for byte, from a run of scripts/make-discovery-captures. */
static const char real_announce[] =
    "BT-SEARCH * HTTP/1.1\r\n"
    "Host: 239.192.152.143:6771\r\n"
    "Port: 6881\r\n"
    "Infohash: 71526bd09355c9b039f790176983b7399d4431a4\r\n"
    "cookie: 7b95a7b6\r\n"
    "\r\n\r\n";

static void test_looks_like(void)
{
    CHECK(lsd_looks_like(B(real_announce), sizeof(real_announce) - 1));
    CHECK(lsd_looks_like(B("BT-SEARCH * HTTP/1.1\n"), 21));
    CHECK(!lsd_looks_like(B("BT-SEARCH * HTTP/1.1"), 20));        /* no line end */
    CHECK(!lsd_looks_like(B("BT-SEARCH * HTTP/1.0\r\n"), 22));
    CHECK(!lsd_looks_like(B("M-SEARCH * HTTP/1.1\r\n"), 21));     /* SSDP */
    CHECK(!lsd_looks_like(B("BT-SEARCH * HTTP/1.1\r"), 21));
}

static void test_real(void)
{
    const uint8_t *buf = B(real_announce);
    size_t len = sizeof(real_announce) - 1, off = 0;
    lsd_line_t l;
    static const uint8_t ih[20] = { 0x71, 0x52, 0x6b, 0xd0, 0x93, 0x55, 0xc9, 0xb0, 0x39, 0xf7,
                                    0x90, 0x17, 0x69, 0x83, 0xb7, 0x39, 0x9d, 0x44, 0x31, 0xa4 };

    off = lsd_parse_line(buf, len, off, 1, &l);
    CHECK_EQ_INT(l.kind, LSD_LINE_REQUEST);
    CHECK_EQ_INT(l.flags, 0);
    CHECK_EQ_INT(l.length, 20);
    CHECK_EQ_INT(off, 22);

    off = lsd_parse_line(buf, len, off, 0, &l);
    CHECK_EQ_INT(l.kind, LSD_LINE_HOST);
    CHECK_EQ_INT(l.host_family, 4);
    CHECK_EQ_INT(l.flags, 0);
    CHECK_EQ_INT(l.name_len, 4);
    CHECK_EQ_INT(l.value_len, 20);
    CHECK(memcmp(buf + l.value_off, "239.192.152.143:6771", 20) == 0);

    off = lsd_parse_line(buf, len, off, 0, &l);
    CHECK_EQ_INT(l.kind, LSD_LINE_PORT);
    CHECK_EQ_INT(l.port, 6881);

    off = lsd_parse_line(buf, len, off, 0, &l);
    CHECK_EQ_INT(l.kind, LSD_LINE_INFOHASH);
    CHECK_EQ_INT(l.flags, 0);
    CHECK(memcmp(l.infohash, ih, 20) == 0);

    off = lsd_parse_line(buf, len, off, 0, &l);
    CHECK_EQ_INT(l.kind, LSD_LINE_COOKIE);
    CHECK_EQ_INT(l.value_len, 8);
    CHECK(memcmp(buf + l.value_off, "7b95a7b6", 8) == 0);

    off = lsd_parse_line(buf, len, off, 0, &l);
    CHECK_EQ_INT(l.kind, LSD_LINE_BLANK);
    off = lsd_parse_line(buf, len, off, 0, &l);
    CHECK_EQ_INT(l.kind, LSD_LINE_BLANK);
    CHECK_EQ_INT(off, len);
}

static void test_headers(void)
{
    lsd_line_t l;
    const char *s;

    s = "Host: [FF15::EFC0:988F]:6771\r\n";                     /* case-insensitive hex */
    lsd_parse_line(B(s), strlen(s), 0, 0, &l);
    CHECK_EQ_INT(l.kind, LSD_LINE_HOST);
    CHECK_EQ_INT(l.host_family, 6);
    CHECK_EQ_INT(l.flags, 0);

    s = "Host: 239.192.152.143:6881\r\n";                        /* wrong port */
    lsd_parse_line(B(s), strlen(s), 0, 0, &l);
    CHECK_EQ_INT(l.host_family, 0);
    CHECK_EQ_INT(l.flags, LSD_F_BAD_HOST);

    s = "infohash:   0123456789ABCDEF0123456789abcdef01234567  \r\n";  /* blanks trimmed */
    lsd_parse_line(B(s), strlen(s), 0, 0, &l);
    CHECK_EQ_INT(l.kind, LSD_LINE_INFOHASH);
    CHECK_EQ_INT(l.flags, 0);
    CHECK_EQ_INT(l.value_len, 40);
    CHECK_EQ_INT(l.infohash[0], 0x01);
    CHECK_EQ_INT(l.infohash[7], 0xef);
    CHECK_EQ_INT(l.infohash[19], 0x67);

    /* Classification and problem flags of single lines. */
    {
        static const struct { const char *line; lsd_line_kind_t kind; unsigned flags; } cases[] = {
            { "Infohash: 0123456789abcdef0123456789abcdef0123456\r\n",  LSD_LINE_INFOHASH, LSD_F_BAD_INFOHASH },
            { "Infohash: 0123456789abcdef0123456789abcdef0123456g\r\n", LSD_LINE_INFOHASH, LSD_F_BAD_INFOHASH },
            { "Port: 0\r\n",         LSD_LINE_PORT, LSD_F_BAD_PORT },
            { "Port: 65536\r\n",     LSD_LINE_PORT, LSD_F_BAD_PORT },
            { "Port: -1\r\n",        LSD_LINE_PORT, LSD_F_BAD_PORT },
            { "Port: 123456\r\n",    LSD_LINE_PORT, LSD_F_BAD_PORT },
            { "Port: 65535\r\n",     LSD_LINE_PORT, 0 },
            { "no colon here\r\n",   LSD_LINE_MALFORMED, 0 },
            { ": empty name\r\n",    LSD_LINE_MALFORMED, 0 },
            { "bad name: x\r\n",     LSD_LINE_MALFORMED, 0 },
            { "COOKIE: x\r\n",       LSD_LINE_COOKIE, 0 },
        };
        size_t i;
        for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
            lsd_parse_line(B(cases[i].line), strlen(cases[i].line), 0, 0, &l);
            if (l.kind != cases[i].kind || l.flags != cases[i].flags)
                fprintf(stderr, "case %u: %s", (unsigned)i, cases[i].line);
            CHECK_EQ_INT(l.kind, cases[i].kind);
            CHECK_EQ_INT(l.flags, cases[i].flags);
        }
        lsd_parse_line(B("Port: 65535\r\n"), 13, 0, 0, &l);
        CHECK_EQ_INT(l.port, 65535);
    }

    s = "X-Client: test\r\n";
    lsd_parse_line(B(s), strlen(s), 0, 0, &l);
    CHECK_EQ_INT(l.kind, LSD_LINE_OTHER);
    CHECK_EQ_INT(l.name_len, 8);
    CHECK_EQ_INT(l.value_len, 4);
}

static void test_line_ends(void)
{
    lsd_line_t l;
    size_t off;
    const char *s = "Port: 6881\nPort: 6882";

    off = lsd_parse_line(B(s), strlen(s), 0, 0, &l);
    CHECK_EQ_INT(l.eol_len, 1);
    CHECK_EQ_INT(l.flags, LSD_F_NO_CRLF);
    CHECK_EQ_INT(l.port, 6881);
    CHECK_EQ_INT(off, 11);
    off = lsd_parse_line(B(s), strlen(s), off, 0, &l);
    CHECK_EQ_INT(l.eol_len, 0);
    CHECK_EQ_INT(l.port, 6882);
    CHECK_EQ_INT(off, strlen(s));

    /* A lone LF still advances. */
    off = lsd_parse_line(B("\n"), 1, 0, 0, &l);
    CHECK_EQ_INT(l.kind, LSD_LINE_BLANK);
    CHECK_EQ_INT(off, 1);

    /* A wrong first line. */
    lsd_parse_line(B("BT-SEARCH * HTTP/1.0\r\n"), 22, 0, 1, &l);
    CHECK_EQ_INT(l.kind, LSD_LINE_REQUEST);
    CHECK_EQ_INT(l.flags, LSD_F_BAD_REQUEST);
}

static void test_summary(void)
{
    char b[64];
    lsd_summary(b, sizeof(b), 6881, 2);
    CHECK_EQ_STR(b, "LSD announce port 6881, 2 infohashes");
    lsd_summary(b, sizeof(b), 51413, 1);
    CHECK_EQ_STR(b, "LSD announce port 51413, 1 infohash");
    lsd_summary(b, sizeof(b), 0, 0);
    CHECK_EQ_STR(b, "LSD announce no port, 0 infohashes");
}

int main(void)
{
    test_looks_like();
    test_real();
    test_headers();
    test_line_ends();
    test_summary();
    return check_summary("test-lsd-parse");
}
