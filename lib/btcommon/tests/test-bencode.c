/* Unit tests for bencode.c: values, containers, lookups, and the bounds that
 * protect the dissector from hostile input (depth, truncation, overflow). */
#include "check.h"
#include "bencode.h"

#include <stdlib.h>

static bencode_err_t parse(const char *s, bencode_value_t *v, size_t *err_off)
{
    return bencode_parse((const uint8_t *)s, strlen(s), 0, BENCODE_DEFAULT_MAX_DEPTH, v, err_off);
}

static void test_scalars(void)
{
    bencode_value_t v;
    CHECK_EQ_INT(parse("i42e", &v, NULL), BENC_OK);
    CHECK_EQ_INT(v.type, BENC_INT);
    CHECK_EQ_INT(v.ival, 42);
    CHECK_EQ_INT(v.end, 4);
    CHECK_EQ_INT(parse("i-17e", &v, NULL), BENC_OK);
    CHECK_EQ_INT(v.ival, -17);
    CHECK_EQ_INT(parse("i9223372036854775807e", &v, NULL), BENC_OK);
    CHECK(v.ival == INT64_MAX);
    CHECK_EQ_INT(parse("i-9223372036854775808e", &v, NULL), BENC_OK);
    CHECK(v.ival == INT64_MIN);
    CHECK_EQ_INT(parse("i9223372036854775808e", &v, NULL), BENC_ERR_INT_RANGE);
    CHECK_EQ_INT(parse("i99999999999999999999999e", &v, NULL), BENC_ERR_INT_RANGE);
    CHECK_EQ_INT(parse("ie", &v, NULL), BENC_ERR_SYNTAX);
    CHECK_EQ_INT(parse("i-e", &v, NULL), BENC_ERR_SYNTAX);
    CHECK_EQ_INT(parse("i12x", &v, NULL), BENC_ERR_SYNTAX);
    CHECK_EQ_INT(parse("i12", &v, NULL), BENC_ERR_TRUNCATED);

    CHECK_EQ_INT(parse("4:spam", &v, NULL), BENC_OK);
    CHECK_EQ_INT(v.type, BENC_STR);
    CHECK_EQ_INT(v.str_off, 2);
    CHECK_EQ_INT(v.str_len, 4);
    CHECK_EQ_INT(v.end, 6);
    CHECK_EQ_INT(parse("0:", &v, NULL), BENC_OK);
    CHECK_EQ_INT(v.str_len, 0);
    CHECK_EQ_INT(parse("5:spam", &v, NULL), BENC_ERR_TRUNCATED);
    CHECK_EQ_INT(parse("4spam", &v, NULL), BENC_ERR_SYNTAX);
    /* a length that cannot fit any buffer must not wrap around */
    CHECK_EQ_INT(parse("18446744073709551615:x", &v, NULL), BENC_ERR_SYNTAX);
    CHECK_EQ_INT(parse("1844674407370955161:x", &v, NULL), BENC_ERR_TRUNCATED);
    CHECK_EQ_INT(parse("x", &v, NULL), BENC_ERR_SYNTAX);
}

static void test_containers(void)
{
    const char *s = "d1:ad1:xi1ee1:bli2e3:fooe1:ci-3ee";
    const uint8_t *b = (const uint8_t *)s;
    size_t len = strlen(s);
    bencode_value_t d, v, k;
    bencode_iter_t it;
    int n = 0;

    CHECK_EQ_INT(bencode_parse(b, len, 0, 8, &d, NULL), BENC_OK);
    CHECK_EQ_INT(d.type, BENC_DICT);
    CHECK_EQ_INT(d.end, len);

    bencode_iter_init(&it, b, len, &d, 8);
    while (bencode_iter_next(&it, &k, &v))
        n++;
    CHECK_EQ_INT(n, 3);

    CHECK(bencode_dict_get(b, len, &d, "b", &v));
    CHECK_EQ_INT(v.type, BENC_LIST);
    bencode_iter_init(&it, b, len, &v, 8);
    CHECK(bencode_iter_next(&it, NULL, &k));
    CHECK_EQ_INT(k.ival, 2);
    CHECK(bencode_iter_next(&it, NULL, &k));
    CHECK(bencode_str_eq(b, &k, "foo"));
    CHECK(!bencode_iter_next(&it, NULL, &k));

    CHECK(bencode_dict_get(b, len, &d, "c", &v));
    CHECK_EQ_INT(v.ival, -3);
    CHECK(!bencode_dict_get(b, len, &d, "z", &v));
    CHECK(!bencode_dict_get(b, len, &v, "c", &k));   /* not a dict */

    CHECK_EQ_INT(parse("le", &v, NULL), BENC_OK);
    CHECK_EQ_INT(v.type, BENC_LIST);
    CHECK_EQ_INT(parse("de", &v, NULL), BENC_OK);
    CHECK_EQ_INT(parse("d", &v, NULL), BENC_ERR_TRUNCATED);
    CHECK_EQ_INT(parse("di1ei2ee", &v, NULL), BENC_ERR_KEY_TYPE);
    CHECK_EQ_INT(parse("d1:a", &v, NULL), BENC_ERR_TRUNCATED);
    /* the value is followed by more bytes: only the value is consumed */
    CHECK_EQ_INT(parse("d1:ai1eeXYZ", &v, NULL), BENC_OK);
    CHECK_EQ_INT(v.end, 8);
}

static void test_depth(void)
{
    /* 1000 nested lists: refused at the limit, never a deep recursion */
    size_t n = 1000, i;
    char *s = malloc(2 * n + 1);
    bencode_value_t v;
    size_t err_off = 0;
    for (i = 0; i < n; i++) {
        s[i] = 'l';
        s[n + i] = 'e';
    }
    s[2 * n] = '\0';
    CHECK_EQ_INT(bencode_parse((const uint8_t *)s, 2 * n, 0, 32, &v, &err_off), BENC_ERR_DEPTH);
    CHECK_EQ_INT(err_off, 32);
    /* exactly at the limit is fine */
    CHECK_EQ_INT(bencode_parse((const uint8_t *)s + n - 32, 64, 0, 32, &v, NULL), BENC_OK);
    CHECK_EQ_INT(bencode_parse((const uint8_t *)s + n - 33, 66, 0, 32, &v, NULL), BENC_ERR_DEPTH);
    free(s);
    CHECK_EQ_INT(bencode_parse((const uint8_t *)"i1e", 3, 0, 0, &v, NULL), BENC_OK);
    CHECK_EQ_INT(bencode_parse((const uint8_t *)"le", 2, 0, 0, &v, NULL), BENC_ERR_DEPTH);
}

static void test_offsets(void)
{
    /* An ut_metadata data message: dict followed by raw bytes. */
    const char *s = "XXd8:msg_typei1e5:piecei0e10:total_sizei3eeabc";
    const uint8_t *b = (const uint8_t *)s;
    bencode_value_t d, v;
    CHECK_EQ_INT(bencode_parse(b, strlen(s), 2, 4, &d, NULL), BENC_OK);
    CHECK_EQ_INT(d.start, 2);
    CHECK_EQ_INT(strlen(s) - d.end, 3);
    CHECK(bencode_dict_get(b, strlen(s), &d, "total_size", &v));
    CHECK_EQ_INT(v.ival, 3);
    CHECK_EQ_STR(bencode_err_str(BENC_ERR_DEPTH), "nesting too deep");
}

static void test_int_in(void)
{
    const uint8_t *b = (const uint8_t *)"i65535e4:spam";
    bencode_value_t v, str;

    CHECK_EQ_INT(bencode_parse(b, 13, 0, 4, &v, NULL), BENC_OK);
    CHECK_EQ_INT(bencode_parse(b, 13, 7, 4, &str, NULL), BENC_OK);
    CHECK(bencode_int_in(&v, 1, 65535));
    CHECK(!bencode_int_in(&v, 1, 65534));
    CHECK(!bencode_int_in(&v, 65536, INT64_MAX));
    CHECK(!bencode_int_in(&str, INT64_MIN, INT64_MAX));   /* not an integer */
}

int main(void)
{
    test_scalars();
    test_containers();
    test_depth();
    test_offsets();
    test_int_in();
    return check_summary("test-bencode");
}
