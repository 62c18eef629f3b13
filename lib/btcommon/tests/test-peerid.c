/* Unit tests for peerid.c: client names and versions of real peer ids
 * (BEP 20), including those of the clients that made our captures. */
#include "check.h"
#include "peerid.h"

static bt_peerid_info_t parse(const char *id20)
{
    bt_peerid_info_t info;
    uint8_t id[BT_PEER_ID_LEN];
    memset(id, 'x', sizeof(id));
    memcpy(id, id20, strlen(id20) < BT_PEER_ID_LEN ? strlen(id20) : BT_PEER_ID_LEN);
    bt_peerid_parse(id, &info);
    return info;
}

#define EXPECT(id, cl, ver, st) do { \
    bt_peerid_info_t i_ = parse(id); \
    CHECK_EQ_STR(i_.client, cl); \
    CHECK_EQ_STR(i_.version, ver); \
    CHECK_EQ_INT(i_.style, st); \
} while (0)

int main(void)
{
    /* Azureus style, one per client named in the issue */
    EXPECT("-LT2080-abcdefghijkl", "libtorrent-rasterbar", "2.0.8", BT_PEERID_AZUREUS);
    EXPECT("-LT1290-abcdefghijkl", "libtorrent-rasterbar", "1.2.9", BT_PEERID_AZUREUS);
    EXPECT("-lt0D80-abcdefghijkl", "libtorrent (rakshasa)", "0.13.8", BT_PEERID_AZUREUS);
    EXPECT("-TR3000-abcdefghijkl", "Transmission", "3.00", BT_PEERID_AZUREUS);
    EXPECT("-TR2940-abcdefghijkl", "Transmission", "2.94", BT_PEERID_AZUREUS);
    EXPECT("-TR4050-abcdefghijkl", "Transmission", "4.0.5", BT_PEERID_AZUREUS);
    EXPECT("-TR300Z-abcdefghijkl", "Transmission", "3.00+", BT_PEERID_AZUREUS);
    EXPECT("-qB4520-abcdefghijkl", "qBittorrent", "4.5.2", BT_PEERID_AZUREUS);
    EXPECT("-qB4341-abcdefghijkl", "qBittorrent", "4.3.4.1", BT_PEERID_AZUREUS);
    /* WebTorrent: two digits of major, two of minor (its VERSION_STR) */
    EXPECT("-WW0109-abcdefghijkl", "WebTorrent", "1.9", BT_PEERID_AZUREUS);
    EXPECT("-WW0016-abcdefghijkl", "WebTorrent", "0.16", BT_PEERID_AZUREUS);
    EXPECT("-WW0102-abcdefghijkl", "WebTorrent", "1.2", BT_PEERID_AZUREUS);
    EXPECT("-WD0021-abcdefghijkl", "WebTorrent Desktop", "0.21", BT_PEERID_AZUREUS);
    EXPECT("-LT2080-abcdefghijkl", "libtorrent-rasterbar", "2.0.8", BT_PEERID_AZUREUS);
    EXPECT("-UT3530-abcdefghijkl", "\xc2\xb5Torrent", "3.5.3", BT_PEERID_AZUREUS);
    EXPECT("-UT355B-abcdefghijkl", "\xc2\xb5Torrent", "3.5.5 beta", BT_PEERID_AZUREUS);
    EXPECT("-BT7a5S-abcdefghijkl", "BitTorrent", "7.10.5", BT_PEERID_AZUREUS);
    EXPECT("-DE13F0-abcdefghijkl", "Deluge", "1.3.15", BT_PEERID_AZUREUS);
    EXPECT("-DE2110-abcdefghijkl", "Deluge", "2.1.1", BT_PEERID_AZUREUS);
    EXPECT("-AZ5770-abcdefghijkl", "Vuze/Azureus", "5.7.7.0", BT_PEERID_AZUREUS);
    EXPECT("-BC0150-abcdefghijkl", "BitComet", "1.50", BT_PEERID_AZUREUS);
    EXPECT("-KT4130-abcdefghijkl", "KTorrent", "4.1.3", BT_PEERID_AZUREUS);
    EXPECT("-SP3605-abcdefghijkl", "BitSpirit", "3.6.0.5", BT_PEERID_AZUREUS);
    EXPECT("-XL0012-abcdefghijkl", "Xunlei", "0.0.1.2", BT_PEERID_AZUREUS);
    EXPECT("-SD0100-abcdefghijkl", "Thunder (Xunlei)", "0.1.0.0", BT_PEERID_AZUREUS);
    EXPECT("-ZZ1234-abcdefghijkl", "Unknown client (ZZ)", "1.2.3.4", BT_PEERID_AZUREUS);
    /* client-specific prefixes */
    EXPECT("TIX0193-abcdefghijkl", "Tixati", "1.93", BT_PEERID_OTHER);
    {
        uint8_t id[BT_PEER_ID_LEN] = { 'e', 'x', 'b', 'c', 0, 76 };
        bt_peerid_info_t info;
        CHECK_EQ_INT(bt_peerid_parse(id, &info), BT_PEERID_OTHER);
        CHECK_EQ_STR(info.client, "BitComet");
        CHECK_EQ_STR(info.version, "0.76");
    }
    /* Mainline style and aria2 (same shape) */
    EXPECT("M4-3-6--abcdefghijkl", "BitTorrent (Mainline)", "4.3.6", BT_PEERID_MAINLINE);
    EXPECT("M7-10-2-abcdefghijkl", "BitTorrent (Mainline)", "7.10.2", BT_PEERID_MAINLINE);
    EXPECT("A2-1-34-0-1234567890", "aria2", "1.34.0", BT_PEERID_MAINLINE);
    EXPECT("A2-1-18-8-abcdefghij", "aria2", "1.18.8", BT_PEERID_MAINLINE);
    /* Shadow style */
    EXPECT("S58B-----abcdefghijk", "Shadow's client", "5.8.11", BT_PEERID_SHADOW);
    EXPECT("T03I-----abcdefghijk", "BitTornado", "0.3.18", BT_PEERID_SHADOW);
    /* nothing recognisable */
    EXPECT("abcdefghijklmnopqrst", "", "", BT_PEERID_UNKNOWN);
    EXPECT("-LT20-0-abcdefghijkl", "", "", BT_PEERID_UNKNOWN);   /* '-' in version */
    EXPECT("M-------abcdefghijkl", "", "", BT_PEERID_UNKNOWN);
    {
        uint8_t zero[BT_PEER_ID_LEN] = { 0 };
        bt_peerid_info_t info;
        CHECK_EQ_INT(bt_peerid_parse(zero, &info), BT_PEERID_UNKNOWN);
        CHECK_EQ_STR(info.client, "");
    }
    CHECK_EQ_STR(bt_peerid_azureus_name("TR"), "Transmission");
    CHECK(bt_peerid_azureus_name("??") == NULL);
    CHECK_EQ_STR(bt_peerid_style_name(BT_PEERID_SHADOW), "Shadow-style");
    {
        uint8_t bb[20];
        memset(bb, 0xBB, sizeof(bb));
        CHECK(!bt_peerid_printable(bb, 8));
        CHECK(bt_peerid_printable((const uint8_t *)"-qB4341-", 8));
    }
    return check_summary("test-peerid");
}
