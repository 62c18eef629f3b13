/* Unit tests for peerwire-sync.c (finding a message boundary mid-stream). */
#include "check.h"
#include "peerwire-sync.h"

static void test_fit(void)
{
    const uint8_t have[9] = { 0, 0, 0, 5, 4, 0, 0, 1, 2 };
    const uint8_t have_bad[9] = { 0, 0, 0, 6, 4, 0, 0, 1, 2 };
    const uint8_t piece[13] = { 0, 0, 0x40, 0x09, 7, 0, 0, 0, 3, 0, 0, 0x40, 0 };
    const uint8_t piece_big[13] = { 0, 0, 0x40, 0x0a, 7, 0, 0, 0, 3, 0, 0, 0x40, 0 };
    const uint8_t zeros[8] = { 0 };
    const uint8_t unknown[5] = { 0, 0, 0, 1, 99 };
    uint64_t n;

    CHECK_EQ_INT(bt_sync_fit(have, 9, BT_SYNC_DEFAULT_MAX_BLOCK, 0, &n), BT_SYNC_FITS);
    CHECK_EQ_INT(n, 9);
    CHECK_EQ_INT(bt_sync_fit(have, 7, BT_SYNC_DEFAULT_MAX_BLOCK, 0, &n), BT_SYNC_EXTENDS);
    CHECK_EQ_INT(bt_sync_fit(have_bad, 9, BT_SYNC_DEFAULT_MAX_BLOCK, 0, &n), BT_SYNC_NO);
    CHECK_EQ_INT(bt_sync_fit(piece, 13, BT_SYNC_DEFAULT_MAX_BLOCK, 0, &n), BT_SYNC_EXTENDS);
    CHECK_EQ_INT(n, 16384 + 13);
    /* one byte more than a 16 KiB block: not a piece by default, is with a larger limit */
    CHECK_EQ_INT(bt_sync_fit(piece_big, 13, BT_SYNC_DEFAULT_MAX_BLOCK, 0, &n), BT_SYNC_NO);
    CHECK_EQ_INT(bt_sync_fit(piece_big, 13, 32768, 0, &n), BT_SYNC_EXTENDS);
    CHECK_EQ_INT(bt_sync_fit(zeros, 8, BT_SYNC_DEFAULT_MAX_BLOCK, 0, &n), BT_SYNC_NO);
    CHECK_EQ_INT(bt_sync_fit(zeros, 8, BT_SYNC_DEFAULT_MAX_BLOCK, 1, &n), BT_SYNC_FITS);
    CHECK_EQ_INT(bt_sync_fit(unknown, 5, BT_SYNC_DEFAULT_MAX_BLOCK, 0, &n), BT_SYNC_NO);
}

static void test_find(void)
{
    /* 3 bytes of the tail of an earlier message, then have 7, then unchoke */
    const uint8_t s1[3 + 9 + 5] = { 0xaa, 0x00, 0x07, 0, 0, 0, 5, 4, 0, 0, 0, 7, 0, 0, 0, 1, 1 };
    /* the tail of a piece (which looks like "00 00 00 05 04 ..." but is not
     * followed by a message), then a piece header running past the end */
    const uint8_t s2[] = { 0, 0, 0, 5, 4, 1, 2, 3, 4, 0xff, 0xff, 0xff, 0xff,
                           0, 0, 0x40, 0x09, 7, 0, 0, 0, 1, 0, 0, 0x80, 0, 0x55 };
    /* a piece header whose begin is not a block multiple is not trusted */
    const uint8_t s3[] = { 0, 0, 0x40, 0x09, 7, 0, 0, 0, 1, 0, 0, 0x80, 1, 0x55 };
    uint8_t zeros[4096];

    memset(zeros, 0, sizeof(zeros));
    CHECK_EQ_INT(bt_sync_find(s1, sizeof(s1), BT_SYNC_DEFAULT_MAX_BLOCK, 1 << 20), 3);
    CHECK_EQ_INT(bt_sync_find(s1, sizeof(s1), BT_SYNC_DEFAULT_MAX_BLOCK, 2), -1);   /* scan bound */
    CHECK_EQ_INT(bt_sync_find(s2, sizeof(s2), BT_SYNC_DEFAULT_MAX_BLOCK, 1 << 20), 13);
    CHECK_EQ_INT(bt_sync_find(s3, sizeof(s3), BT_SYNC_DEFAULT_MAX_BLOCK, 1 << 20), -1);
    /* zero bytes are never taken as a stream of keep-alives */
    CHECK_EQ_INT(bt_sync_find(zeros, sizeof(zeros), BT_SYNC_DEFAULT_MAX_BLOCK, 1 << 20), -1);
    /* a message that ends exactly at the end of the bytes is its own confirmation */
    CHECK_EQ_INT(bt_sync_find(s1 + 3, 9, BT_SYNC_DEFAULT_MAX_BLOCK, 1 << 20), 0);
}

int main(void)
{
    test_fit();
    test_find();
    return check_summary("peerwire-sync");
}
