/* Unit tests for rangeset.c: blocks in any order, overlaps, the bound. */
#include "check.h"
#include "rangeset.h"

int main(void)
{
    bt_rangeset_t s;
    uint64_t i;

    bt_rangeset_init(&s);
    CHECK_EQ_INT(bt_rangeset_add(&s, 32, 48), 1);
    CHECK_EQ_INT(bt_rangeset_add(&s, 0, 16), 1);
    CHECK_EQ_INT(s.n, 2);
    CHECK(!bt_rangeset_covers(&s, 0, 48));
    CHECK_EQ_INT(bt_rangeset_add(&s, 10, 20), 1);      /* overlap */
    CHECK_EQ_INT(bt_rangeset_add(&s, 20, 32), 1);      /* touching both: one range */
    CHECK_EQ_INT(s.n, 1);
    CHECK(bt_rangeset_covers(&s, 0, 48));
    CHECK_EQ_INT(bt_rangeset_bytes(&s), 48);
    CHECK_EQ_INT(bt_rangeset_add(&s, 0, 48), 1);       /* resent */
    CHECK_EQ_INT(s.n, 1);
    CHECK_EQ_INT(bt_rangeset_add(&s, 5, 5), 1);        /* empty */
    CHECK_EQ_INT(bt_rangeset_bytes(&s), 48);
    /* the bound: every other byte */
    bt_rangeset_init(&s);
    for (i = 0; i < BT_RANGESET_MAX; i++)
        CHECK_EQ_INT(bt_rangeset_add(&s, i * 2, i * 2 + 1), 1);
    CHECK_EQ_INT(bt_rangeset_add(&s, 1000, 1001), 0);
    CHECK_EQ_INT(s.n, BT_RANGESET_MAX);
    CHECK_EQ_INT(bt_rangeset_add(&s, 1, 2), 1);        /* fills a hole: fewer ranges */
    CHECK_EQ_INT(s.n, BT_RANGESET_MAX - 1);   /* [0,1) [1,2) [2,3) merge */
    CHECK(bt_rangeset_covers(&s, 0, 3));
    CHECK(!bt_rangeset_covers(&s, 0, 4));
    return check_summary("test-rangeset");
}
