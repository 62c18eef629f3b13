/* Unit tests: the bounded text builder (btfmt.h), checked against snprintf. */
#include <stdio.h>

#include "check.h"
#include "btfmt.h"

int main(void)
{
    char buf[64], want[64];
    bt_fmt_t f;
    static const uint32_t nums[] = { 0, 1, 9, 10, 99, 100, 65535, 65536, 1000000000u, 4294967295u };

    for (size_t i = 0; i < sizeof(nums) / sizeof(nums[0]); i++) {
        bt_fmt_init(&f, buf, sizeof(buf));
        bt_fmt_u32(&f, nums[i]);
        snprintf(want, sizeof(want), "%u", (unsigned)nums[i]);
        CHECK_EQ_STR(buf, want);
        CHECK_EQ_INT(f.len, strlen(want));
        CHECK_EQ_INT(f.truncated, 0);
    }

    /* a sequence like the uTP summary */
    bt_fmt_init(&f, buf, sizeof(buf));
    bt_fmt_str(&f, ", Type: ");
    bt_fmt_str(&f, "ST_DATA");
    bt_fmt_str(&f, ", Seq: ");
    bt_fmt_u32(&f, 4711);
    snprintf(want, sizeof(want), ", Type: %s, Seq: %u", "ST_DATA", 4711u);
    CHECK_EQ_STR(buf, want);

    /* empty string and an empty builder */
    bt_fmt_init(&f, buf, sizeof(buf));
    CHECK_EQ_STR(buf, "");
    bt_fmt_str(&f, "");
    CHECK_EQ_STR(buf, "");
    CHECK_EQ_INT(f.len, 0);

    /* truncation: never past the buffer, always terminated, flagged */
    {
        char small[8];
        memset(small, 'x', sizeof(small));
        bt_fmt_init(&f, small, 6);
        bt_fmt_str(&f, "abc");
        bt_fmt_u32(&f, 12345);
        CHECK_EQ_STR(small, "abc12");
        CHECK_EQ_INT(f.truncated, 1);
        CHECK_EQ_INT(f.len, 5);
        CHECK(small[6] == 'x' && small[7] == 'x');    /* untouched past cap */
        bt_fmt_str(&f, "more");
        CHECK_EQ_STR(small, "abc12");
        bt_fmt_init(&f, small, 1);                    /* room for the NUL only */
        bt_fmt_u32(&f, 7);
        CHECK_EQ_STR(small, "");
        CHECK_EQ_INT(f.truncated, 1);
    }
    return check_summary("test-btfmt");
}
