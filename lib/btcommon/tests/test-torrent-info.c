/* Unit tests for torrent-info.c: v1 single and multi-file info dictionaries,
 * padding files (BEP 47), v2 file trees (BEP 52) and the piece -> file map. */
#include "check.h"
#include "torrent-info.h"

#include <stdlib.h>

#define U8(s) ((const uint8_t *)(s))
#define PARSE(s, out) bt_info_parse(U8(s), sizeof(s) - 1, out)

/* 20 bytes per piece */
#define H1 "aaaaaaaaaaaaaaaaaaaa"

static void test_single(void)
{
    bt_torrent_info_t i;
    bt_span_t sp[4];
    CHECK_EQ_INT(PARSE("d6:lengthi40e4:name5:a.bin12:piece lengthi16e6:pieces60:" H1 H1 H1 "e", &i), BT_INFO_OK);
    CHECK_EQ_STR(i.name, "a.bin");
    CHECK_EQ_INT(i.num_pieces, 3);
    CHECK_EQ_INT(i.n_files, 1);
    CHECK_EQ_STR(i.files[0].path, "a.bin");
    CHECK_EQ_INT(bt_info_piece_size(&i, 2), 8);
    CHECK_EQ_INT(bt_info_piece_size(&i, 3), 0);
    CHECK_EQ_INT(bt_info_map(&i, 1, 4, 100, sp, 4), 1);
    CHECK_EQ_INT(sp[0].file_offset, 20);
    CHECK_EQ_INT(sp[0].length, 20);    /* cut at the end of the torrent */
    CHECK_EQ_INT(bt_info_map(&i, 3, 0, 1, sp, 4), 0);
    bt_info_free(&i);
    /* wrong number of hashes */
    CHECK_EQ_INT(PARSE("d6:lengthi40e4:name5:a.bin12:piece lengthi16e6:pieces40:" H1 H1 "e", &i), BT_INFO_ERR_PIECES);
    CHECK_EQ_INT(PARSE("d6:lengthi40e12:piece lengthi16e6:pieces60:" H1 H1 H1 "e", &i), BT_INFO_ERR_NAME);
    CHECK_EQ_INT(PARSE("d6:lengthi40e4:name1:a12:piece lengthi0e6:pieces0:e", &i), BT_INFO_ERR_PIECE_LEN);
    CHECK_EQ_INT(PARSE("d4:name1:a12:piece lengthi16e6:pieces0:e", &i), BT_INFO_ERR_FILES);
    CHECK_EQ_INT(PARSE("d4:name1:a", &i), BT_INFO_ERR_BENCODE);
}

/* files: big (20 bytes), sub/one (1 byte), pad (11 bytes, attr p), last (9) in
 * 16-byte pieces: 41 bytes, 3 pieces */
static const char multi[] =
    "d5:filesl"
    "d6:lengthi20e4:pathl3:bigee"
    "d6:lengthi1e4:pathl3:sub3:oneee"
    "d4:attr1:p6:lengthi11e4:pathl4:.pad2:11ee"
    "d6:lengthi9e4:pathl4:lastee"
    "e4:name1:T12:piece lengthi16e6:pieces60:" H1 H1 H1 "e";

static void test_multi(void)
{
    bt_torrent_info_t i;
    bt_span_t sp[2];
    CHECK_EQ_INT(bt_info_parse(U8(multi), sizeof(multi) - 1, &i), BT_INFO_OK);
    CHECK_EQ_INT(i.n_files, 4);
    CHECK_EQ_INT(i.total, 41);
    CHECK_EQ_STR(i.files[1].path, "T/sub/one");
    CHECK_EQ_INT(i.files[2].pad, 1);
    CHECK_EQ_INT(i.files[3].offset, 32);
    /* piece 1 = bytes 16..31: big 16..19, one 0, padding (not shown) */
    CHECK_EQ_INT(bt_info_map(&i, 1, 0, 16, sp, 2), 2);
    CHECK_EQ_INT(sp[0].file, 0);
    CHECK_EQ_INT(sp[0].file_offset, 16);
    CHECK_EQ_INT(sp[0].length, 4);
    CHECK_EQ_INT(sp[1].file, 1);
    CHECK_EQ_INT(sp[1].file_offset, 0);
    CHECK_EQ_INT(sp[1].length, 1);
    /* a block of only padding touches no file */
    CHECK_EQ_INT(bt_info_map(&i, 1, 6, 4, sp, 2), 0);
    /* piece 2: last file */
    CHECK_EQ_INT(bt_info_map(&i, 2, 0, 16, sp, 2), 1);
    CHECK_EQ_INT(sp[0].file, 3);
    CHECK_EQ_INT(sp[0].length, 9);
    /* a whole-torrent range counts every non-padding file, writes max */
    CHECK_EQ_INT(bt_info_map(&i, 0, 0, 1000, sp, 2), 3);
    CHECK_EQ_INT(bt_info_file_at(&i, 20), 1);
    CHECK_EQ_INT(bt_info_file_at(&i, 41), 4);
    bt_info_free(&i);
}

/* v2: dir/a (20 bytes), z (5 bytes) in 16-byte pieces: a takes pieces 0-1,
 * an implicit 12-byte pad, z piece 2 */
static const char v2[] =
    "d9:file treed"
    "3:dird1:ad0:d6:lengthi20e11:pieces root32:" "rrrrrrrrrrrrrrrrrrrrrrrrrrrrrrrr" "eee"
    "1:zd0:d6:lengthi5eee"
    "e12:meta versioni2e4:name2:V212:piece lengthi16ee";

static void test_v2(void)
{
    bt_torrent_info_t i;
    bt_span_t sp[2];
    CHECK_EQ_INT(bt_info_parse(U8(v2), sizeof(v2) - 1, &i), BT_INFO_OK);
    CHECK_EQ_INT(i.meta_version, 2);
    CHECK_EQ_INT(i.n_files, 3);
    CHECK_EQ_STR(i.files[0].path, "V2/dir/a");
    CHECK_EQ_INT(i.files[0].has_root, 1);
    CHECK_EQ_INT(i.files[1].pad, 1);
    CHECK_EQ_STR(i.files[2].path, "V2/z");
    CHECK_EQ_INT(i.files[2].offset, 32);
    CHECK_EQ_INT(i.num_pieces, 3);
    CHECK(i.pieces == NULL);
    CHECK_EQ_INT(bt_info_map(&i, 2, 0, 16, sp, 2), 1);
    CHECK_EQ_INT(sp[0].file, 2);
    bt_info_free(&i);
    /* single-file v2: the path is the name */
    {
        static const char one[] = "d9:file treed1:fd0:d6:lengthi3eeee12:meta versioni2e4:name1:f12:piece lengthi16ee";
        CHECK_EQ_INT(bt_info_parse(U8(one), sizeof(one) - 1, &i), BT_INFO_OK);
        CHECK_EQ_STR(i.files[0].path, "f");
        bt_info_free(&i);
    }
}

/* hybrid: the v1 list (with padding) lays out, the tree gives the roots */
static const char hybrid[] =
    "d9:file treed"
    "1:ad0:d6:lengthi20e11:pieces root32:" "AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA" "ee"
    "1:bd0:d6:lengthi5e11:pieces root32:" "BBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBB" "ee"
    "e5:filesl"
    "d6:lengthi20e4:pathl1:aee"
    "d4:attr1:p6:lengthi12e4:pathl4:.pad2:12ee"
    "d6:lengthi5e4:pathl1:bee"
    "e12:meta versioni2e4:name1:H12:piece lengthi16e6:pieces60:" H1 H1 H1 "e";

static void test_hybrid(void)
{
    bt_torrent_info_t i;
    CHECK_EQ_INT(bt_info_parse(U8(hybrid), sizeof(hybrid) - 1, &i), BT_INFO_OK);
    CHECK_EQ_INT(i.meta_version, 2);
    CHECK(i.pieces != NULL);
    CHECK_EQ_INT(i.n_files, 3);
    CHECK_EQ_INT(i.files[0].has_root, 1);
    CHECK_EQ_INT(i.files[0].pieces_root[0], 'A');
    CHECK_EQ_INT(i.files[1].has_root, 0);
    CHECK_EQ_INT(i.files[2].has_root, 1);
    CHECK_EQ_INT(i.files[2].pieces_root[0], 'B');
    bt_info_free(&i);
}

static void test_bounds(void)
{
    /* a path longer than BT_INFO_MAX_PATH */
    size_t n = BT_INFO_MAX_PATH + 100, len;
    char *buf = malloc(n + 200), *p;
    bt_torrent_info_t i;
    p = buf + sprintf(buf, "d5:filesld6:lengthi1e4:pathl%zu:", n);
    memset(p, 'x', n);
    p += n;
    len = (size_t)(p - buf) + (size_t)sprintf(p, "eee4:name1:T12:piece lengthi16e6:pieces20:" H1 "e");
    CHECK_EQ_INT(bt_info_parse(U8(buf), len, &i), BT_INFO_ERR_BOUND);
    free(buf);
}

int main(void)
{
    test_single();
    test_multi();
    test_v2();
    test_hybrid();
    test_bounds();
    return check_summary("test-torrent-info");
}
