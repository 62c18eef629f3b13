/* Unit tests for urlquery.c and tracker-http.c: an HTTP tracker announce
 * query (BEP 3) and bencoded answers (BEP 3/7/23/48), whole and damaged. */
#include "check.h"
#include "urlquery.h"
#include "tracker-http.h"

#define B(s) ((const uint8_t *)(s))

static void test_query(void)
{
    /* The shape libtorrent 2.0.8 sends (info_hash of test-captures' alpha torrent). */
    const char *uri = "/announce?info_hash=qRk%d0%93U%c9%b09%f7%90%17i%83%b79%9dD1%a4"
                      "&peer_id=-LT2080-abc&port=6881&uploaded=0&downloaded=0&left=98304"
                      "&corrupt=0&event=started&numwant=200&compact=1&no_peer_id=1&flag&&x=";
    size_t n = strlen(uri), path_len, q, pos;
    urlq_pair_t p;
    uint8_t ih[20];
    int bad = 0, count = 0;
    uint64_t v;
    static const uint8_t want[20] = { 0x71, 0x52, 0x6b, 0xd0, 0x93, 0x55, 0xc9, 0xb0, 0x39, 0xf7,
                                      0x90, 0x17, 0x69, 0x83, 0xb7, 0x39, 0x9d, 0x44, 0x31, 0xa4 };

    q = urlq_find_query(uri, n, &path_len);
    CHECK_EQ_INT(path_len, 9);
    CHECK_EQ_INT(q, 10);
    pos = 0;
    CHECK(urlq_next(uri + q, n - q, &pos, &p));
    CHECK_EQ_INT(p.key_len, 9);
    CHECK(memcmp(uri + q + p.key_off, "info_hash", 9) == 0);
    CHECK_EQ_INT(urlq_unescape(uri + q + p.val_off, p.val_len, ih, sizeof(ih), &bad), 20);
    CHECK_EQ_INT(bad, 0);
    CHECK(memcmp(ih, want, 20) == 0);
    count = 1;
    while (urlq_next(uri + q, n - q, &pos, &p)) {
        count++;
        if (p.key_len == 4 && memcmp(uri + q + p.key_off, "left", 4) == 0) {
            CHECK(urlq_parse_u64(uri + q + p.val_off, p.val_len, &v));
            CHECK(v == 98304);
        }
        if (p.key_len == 4 && memcmp(uri + q + p.key_off, "flag", 4) == 0)
            CHECK_EQ_INT(p.has_value, 0);
        if (p.key_len == 1) {
            CHECK_EQ_INT(p.has_value, 1);
            CHECK_EQ_INT(p.val_len, 0);
        }
    }
    CHECK_EQ_INT(count, 13);           /* the empty pair between && is skipped */

    CHECK_EQ_INT(urlq_find_query("/announce", 9, &path_len), 9);
    CHECK_EQ_INT(path_len, 9);

    /* Malformed escapes are copied and flagged; '+' stays '+'. */
    bad = 0;
    CHECK_EQ_INT(urlq_unescape("a%2", 3, ih, sizeof(ih), &bad), 3);
    CHECK_EQ_INT(bad, 1);
    CHECK(memcmp(ih, "a%2", 3) == 0);
    bad = 0;
    CHECK_EQ_INT(urlq_unescape("%zz+%41", 7, ih, sizeof(ih), &bad), 5);
    CHECK_EQ_INT(bad, 1);
    CHECK(memcmp(ih, "%zz+A", 5) == 0);
    /* Output capped, length still counted. */
    CHECK_EQ_INT(urlq_unescape("abcdef", 6, ih, 2, NULL), 6);

    CHECK(urlq_parse_u64("18446744073709551615", 20, &v));
    CHECK(v == UINT64_MAX);
    CHECK(!urlq_parse_u64("18446744073709551616", 20, &v));
    CHECK(!urlq_parse_u64("", 0, &v));
    CHECK(!urlq_parse_u64("-1", 2, &v));
}

static void test_answer(void)
{
    /* opentracker's answer in test-captures/tracker-http-libtorrent.pcap shape:
     * compact IPv4 peers. */
    const char *s = "d8:completei2e10:downloadedi0e10:incompletei0e8:intervali1650e"
                    "12:min intervali825e5:peers12:\x0a\x4e\x00\x02\x1a\xe1\x0a\x4e\x00\x01\x1a\xe1" "e";
    size_t n = 100;
    bthttp_walk_t w;
    bencode_value_t k, v;
    int seen_peers = 0, keys = 0;

    n = strlen("d8:completei2e10:downloadedi0e10:incompletei0e8:intervali1650e12:min intervali825e5:peers12:") + 12 + 1;
    CHECK(bthttp_walk_init(&w, B(s), n, 0, BTHTTP_MAX_DEPTH));
    while (bthttp_walk_next(&w, &k, &v)) {
        keys++;
        switch (bthttp_key(B(s), &k)) {
        case BTHTTP_KEY_INTERVAL:
            CHECK_EQ_INT(v.ival, 1650);
            break;
        case BTHTTP_KEY_MIN_INTERVAL:
            CHECK_EQ_INT(v.ival, 825);
            break;
        case BTHTTP_KEY_PEERS:
            seen_peers = 1;
            CHECK_EQ_INT(v.type, BENC_STR);
            CHECK_EQ_INT(v.str_len, 12);
            break;
        case BTHTTP_KEY_COMPLETE:
            CHECK_EQ_INT(v.ival, 2);
            break;
        default:
            break;
        }
    }
    CHECK_EQ_INT(keys, 6);
    CHECK(seen_peers);
    CHECK_EQ_INT(w.ended, 1);
    CHECK_EQ_INT(w.err, BENC_OK);
    CHECK_EQ_INT(w.end, n);

    /* Truncated in the peers string: the keys before it are still walked. */
    keys = 0;
    CHECK(bthttp_walk_init(&w, B(s), n - 5, 0, BTHTTP_MAX_DEPTH));
    while (bthttp_walk_next(&w, &k, &v))
        keys++;
    CHECK_EQ_INT(keys, 5);
    CHECK_EQ_INT(w.ended, 0);
    CHECK_EQ_INT(w.err, BENC_ERR_TRUNCATED);

    /* Failure answer. */
    s = "d14:failure reason63:Requested download is not authorized for use with this tracker.e";
    CHECK(bthttp_walk_init(&w, B(s), strlen(s), 0, BTHTTP_MAX_DEPTH));
    CHECK(bthttp_walk_next(&w, &k, &v));
    CHECK_EQ_INT(bthttp_key(B(s), &k), BTHTTP_KEY_FAILURE);
    CHECK_EQ_INT(v.str_len, 63);
    CHECK(!bthttp_walk_next(&w, &k, &v));
    CHECK_EQ_INT(w.ended, 1);

    /* Dictionary-form peers: a list of dicts, walked one level down. */
    s = "d5:peersld2:ip8:10.0.0.77:peer id20:-TR3000-abcdefghijkl4:porti51413eeee";
    CHECK(bthttp_walk_init(&w, B(s), strlen(s), 0, BTHTTP_MAX_DEPTH));
    CHECK(bthttp_walk_next(&w, &k, &v));
    CHECK_EQ_INT(bthttp_key(B(s), &k), BTHTTP_KEY_PEERS);
    CHECK_EQ_INT(v.type, BENC_LIST);
    {
        bthttp_walk_t l, d;
        bencode_value_t e, dk, dv;
        int fields = 0;
        CHECK(bthttp_walk_init(&l, B(s), strlen(s), v.start, BTHTTP_MAX_DEPTH - 1));
        CHECK(bthttp_walk_next(&l, NULL, &e));
        CHECK_EQ_INT(e.type, BENC_DICT);
        CHECK(bthttp_walk_init(&d, B(s), strlen(s), e.start, BTHTTP_MAX_DEPTH - 2));
        while (bthttp_walk_next(&d, &dk, &dv)) {
            fields++;
            if (bthttp_key(B(s), &dk) == BTHTTP_KEY_PORT)
                CHECK_EQ_INT(dv.ival, 51413);
            if (bthttp_key(B(s), &dk) == BTHTTP_KEY_IP)
                CHECK_EQ_INT(dv.str_len, 8);
        }
        CHECK_EQ_INT(fields, 3);
        CHECK(!bthttp_walk_next(&l, NULL, &e));
        CHECK_EQ_INT(l.ended, 1);
    }

    /* A non-string key stops the walk. */
    s = "di1ei2ee";
    CHECK(bthttp_walk_init(&w, B(s), strlen(s), 0, BTHTTP_MAX_DEPTH));
    CHECK(!bthttp_walk_next(&w, &k, &v));
    CHECK_EQ_INT(w.err, BENC_ERR_KEY_TYPE);
    /* Not a container. */
    CHECK(!bthttp_walk_init(&w, B("i1e"), 3, 0, BTHTTP_MAX_DEPTH));
    /* Nesting beyond the limit is reported, not walked. */
    s = "d1:alllllllllleeeeeeeeeee";
    CHECK(bthttp_walk_init(&w, B(s), strlen(s), 0, 4));
    CHECK(!bthttp_walk_next(&w, &k, &v));
    CHECK_EQ_INT(w.err, BENC_ERR_DEPTH);
}

int main(void)
{
    test_query();
    test_answer();
    return check_summary("test-tracker-http");
}
