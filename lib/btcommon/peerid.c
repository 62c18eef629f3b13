/* peerid.c
 * Client naming from peer ids (BEP 20).  See peerid.h.
 *
 * The tables below list client codes seen in the wild; versions are read the
 * way each client writes them (the conventions differ between clients, which
 * is why each entry carries a version format).
 */
#include "peerid.h"

#include <stdio.h>
#include <string.h>

typedef enum {
    VF_4PART,        /* "-AZ5770-" -> 5.7.7.0                                  */
    VF_3PART,        /* "-LT2080-" -> 2.0.8 ; 4th char 'B' means beta          */
    VF_TRANSMISSION, /* "-TR2940-" -> 2.94 ; from 4.x "-TR4010-" -> 4.0.1     */
    VF_2DIGIT_MINOR, /* "-BC0150-" -> 1.50 (major, then two-digit minor)       */
    VF_2X2           /* "-WW0109-" -> 1.9 (two decimal digits each for major and
                        minor: WebTorrent writes its semver major.minor so,
                        "0.16.1" -> "0016", "1.2.5" -> "0102")                */
} version_format_t;

typedef struct {
    char code[3];
    const char *name;
    version_format_t vf;
} azureus_client_t;

/* Azureus-style two-letter codes (BEP 20 list plus codes of current clients). */
static const azureus_client_t azureus_clients[] = {
    { "7T", "aTorrent for Android", VF_4PART },
    { "A~", "Ares",                 VF_4PART },
    { "AG", "Ares",                 VF_4PART },
    { "AR", "Arctic",               VF_4PART },
    { "AT", "Artemis",              VF_4PART },
    { "AX", "BitPump",              VF_4PART },
    { "AZ", "Vuze/Azureus",         VF_4PART },
    { "BB", "BitBuddy",             VF_4PART },
    { "BC", "BitComet",             VF_2DIGIT_MINOR },
    { "BE", "Baretorrent",          VF_4PART },
    { "BF", "Bitflu",               VF_4PART },
    { "BG", "BTG",                  VF_4PART },
    { "BI", "BiglyBT",              VF_4PART },
    { "BL", "BitCometLite",         VF_2DIGIT_MINOR },
    { "BP", "BitTorrent Pro",       VF_3PART },
    { "BR", "BitRocket",            VF_4PART },
    { "BS", "BTSlave",              VF_4PART },
    { "BT", "BitTorrent",           VF_3PART },
    { "BW", "BitWombat",            VF_4PART },
    { "BX", "Bittorrent X",         VF_4PART },
    { "CD", "Enhanced CTorrent",    VF_4PART },
    { "CT", "CTorrent",             VF_4PART },
    { "DE", "Deluge",               VF_3PART },
    { "DP", "Propagate Data Client", VF_4PART },
    { "EB", "EBit",                 VF_4PART },
    { "ES", "electric sheep",       VF_4PART },
    { "FC", "FileCroc",             VF_4PART },
    { "FD", "Free Download Manager", VF_3PART },
    { "FG", "FlashGet",             VF_4PART },
    { "FT", "FoxTorrent",           VF_4PART },
    { "FW", "FrostWire",            VF_3PART },
    { "FX", "Freebox BitTorrent",   VF_4PART },
    { "GS", "GSTorrent",            VF_4PART },
    { "HK", "Hekate",               VF_4PART },
    { "HL", "Halite",               VF_3PART },
    { "HM", "hMule",                VF_4PART },
    { "HN", "Hydranode",            VF_4PART },
    { "IL", "iLivid",               VF_4PART },
    { "JS", "Justseed.it client",   VF_4PART },
    { "JT", "JavaTorrent",          VF_4PART },
    { "KG", "KGet",                 VF_4PART },
    { "KT", "KTorrent",             VF_3PART },
    { "LC", "LeechCraft",           VF_4PART },
    { "LH", "LH-ABC",               VF_4PART },
    { "LP", "Lphant",               VF_4PART },
    { "LT", "libtorrent-rasterbar", VF_3PART },
    { "LW", "LimeWire",             VF_4PART },
    { "MK", "Meerkat",              VF_4PART },
    { "MO", "MonoTorrent",          VF_4PART },
    { "MP", "MooPolice",            VF_4PART },
    { "MR", "Miro",                 VF_4PART },
    { "MT", "MoonlightTorrent",     VF_4PART },
    { "NB", "Net::BitTorrent",      VF_4PART },
    { "NX", "Net Transport",        VF_4PART },
    { "OS", "OneSwarm",             VF_4PART },
    { "OT", "OmegaTorrent",         VF_4PART },
    { "PD", "Pando",                VF_4PART },
    { "PI", "PicoTorrent",          VF_3PART },
    { "QD", "QQDownload",           VF_4PART },
    { "QT", "Qt 4 Torrent example", VF_4PART },
    { "RT", "Retriever",            VF_4PART },
    { "RZ", "RezTorrent",           VF_4PART },
    { "S~", "Shareaza alpha/beta",  VF_4PART },
    { "SB", "~Swiftbit",            VF_4PART },
    { "SD", "Thunder (Xunlei)",     VF_4PART },
    { "SM", "SoMud",                VF_4PART },
    { "SP", "BitSpirit",            VF_4PART },
    { "SS", "SwarmScope",           VF_4PART },
    { "ST", "SymTorrent",           VF_4PART },
    { "SZ", "Shareaza",             VF_4PART },
    { "TB", "Torch",                VF_4PART },
    { "TE", "terasaur Seed Bank",   VF_4PART },
    { "TL", "Tribler",              VF_4PART },
    { "TN", "TorrentDotNET",        VF_4PART },
    { "TR", "Transmission",         VF_TRANSMISSION },
    { "TS", "Torrentstorm",         VF_4PART },
    { "TT", "TuoTu",                VF_4PART },
    { "TX", "Tixati",               VF_4PART },
    { "UL", "uLeecher!",            VF_4PART },
    { "UM", "\xc2\xb5Torrent for Mac", VF_3PART },
    { "UT", "\xc2\xb5Torrent",      VF_3PART },
    { "UW", "\xc2\xb5Torrent Web",  VF_3PART },
    { "VG", "Vagaa",                VF_4PART },
    { "WD", "WebTorrent Desktop",   VF_2X2 },
    { "WT", "BitLet",               VF_4PART },
    { "WW", "WebTorrent",           VF_2X2 },
    { "WY", "FireTorrent",          VF_4PART },
    { "XF", "Xfplay",               VF_4PART },
    { "XL", "Xunlei",               VF_4PART },
    { "XS", "XSwifter",             VF_4PART },
    { "XT", "XanTorrent",           VF_4PART },
    { "XX", "Xtorrent",             VF_4PART },
    { "ZT", "ZipTorrent",           VF_4PART },
    { "lt", "libtorrent (rakshasa)", VF_3PART },
    { "pX", "pHoeniX",              VF_4PART },
    { "qB", "qBittorrent",          VF_3PART },
    { "st", "sharktorrent",         VF_4PART },
};

typedef struct {
    char code;
    const char *name;
} letter_client_t;

/* Shadow-style one-letter codes (BEP 20). */
static const letter_client_t shadow_clients[] = {
    { 'A', "ABC" },
    { 'O', "Osprey Permaseed" },
    { 'Q', "BTQueue" },
    { 'R', "Tribler" },
    { 'S', "Shadow's client" },
    { 'T', "BitTornado" },
    { 'U', "UPnP NAT Bit Torrent" },
};

/* Mainline-style one-letter codes. */
static const letter_client_t mainline_clients[] = {
    { 'M', "BitTorrent (Mainline)" },
    { 'Q', "Queen Bee" },
};

static const azureus_client_t *azureus_lookup(const uint8_t *code)
{
    size_t i;
    for (i = 0; i < sizeof(azureus_clients) / sizeof(azureus_clients[0]); i++) {
        if ((uint8_t)azureus_clients[i].code[0] == code[0] &&
            (uint8_t)azureus_clients[i].code[1] == code[1])
            return &azureus_clients[i];
    }
    return NULL;
}

const char *bt_peerid_azureus_name(const char code[2])
{
    const azureus_client_t *c = azureus_lookup((const uint8_t *)code);
    return c ? c->name : NULL;
}

static const char *letter_lookup(const letter_client_t *table, size_t n, uint8_t c)
{
    size_t i;
    for (i = 0; i < n; i++) {
        if ((uint8_t)table[i].code == c)
            return table[i].name;
    }
    return NULL;
}

static int is_alnum(uint8_t c)
{
    return (c >= '0' && c <= '9') || (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z');
}

static int is_digit(uint8_t c)
{
    return c >= '0' && c <= '9';
}

/* One version character: 0-9, then A-Z for 10-35 (the convention of clients
 * whose version parts pass 9, e.g. "-lt0D80-" rakshasa 0.13.8, "-DE13F0-"
 * Deluge 1.3.15), a-z 36-61 and '.' 62 (Shadow's base-64 alphabet). */
static int version_char(uint8_t c)
{
    if (c >= '0' && c <= '9') return c - '0';
    if (c >= 'A' && c <= 'Z') return c - 'A' + 10;
    if (c >= 'a' && c <= 'z') return c - 'a' + 36;
    if (c == '.') return 62;
    return -1;
}

/* Azureus-style version parts use letters for values above 9 in either case
 * ("-lt0D80-", "-BT7a5S-" BitTorrent 7.10.5): a/A is 10. */
static int azureus_version_char(uint8_t c)
{
    if (c >= 'a' && c <= 'z')
        return c - 'a' + 10;
    return version_char(c);
}

static void format_azureus_version(const uint8_t *v, version_format_t vf, char *out, size_t outlen)
{
    int p[4];
    int i;
    for (i = 0; i < 4; i++)
        p[i] = azureus_version_char(v[i]);
    switch (vf) {
    case VF_3PART:
        /* the fourth character is '0', 'B' (beta) or, for qBittorrent
         * builds such as "-qB4341-" (4.3.4.1), a digit: a fourth version
         * number; other letters are build flags (µTorrent "S" stable) */
        if (v[3] >= '1' && v[3] <= '9')
            snprintf(out, outlen, "%d.%d.%d.%d", p[0], p[1], p[2], p[3]);
        else
            snprintf(out, outlen, "%d.%d.%d%s", p[0], p[1], p[2], v[3] == 'B' ? " beta" : "");
        break;
    case VF_TRANSMISSION:
        /* Until 3.00 Transmission wrote major, two minor digits and a flag;
         * 4.x writes major, minor, patch and the flag.  Flag: '0' release,
         * 'B' beta, 'X'/'Z' development build. */
        if (p[0] < 4)
            snprintf(out, outlen, "%d.%d%d", p[0], p[1], p[2]);
        else
            snprintf(out, outlen, "%d.%d.%d", p[0], p[1], p[2]);
        if (v[3] == 'B')
            strncat(out, " beta", outlen - strlen(out) - 1);
        else if (v[3] == 'X' || v[3] == 'Z')
            strncat(out, "+", outlen - strlen(out) - 1);
        break;
    case VF_2DIGIT_MINOR:
        snprintf(out, outlen, "%d.%d%d", p[1], p[2], p[3]);
        break;
    case VF_2X2:
        snprintf(out, outlen, "%d.%d", p[0] * 10 + p[1], p[2] * 10 + p[3]);
        break;
    case VF_4PART:
    default:
        snprintf(out, outlen, "%d.%d.%d.%d", p[0], p[1], p[2], p[3]);
        break;
    }
}

int bt_peerid_printable(const uint8_t *id, size_t len)
{
    size_t i;
    for (i = 0; i < len; i++) {
        if (id[i] < 0x20 || id[i] > 0x7e)
            return 0;
    }
    return 1;
}

static bt_peerid_style_t parse_azureus(const uint8_t *id, bt_peerid_info_t *info)
{
    const azureus_client_t *c;
    int i;

    if (id[0] != '-' || id[7] != '-')
        return BT_PEERID_UNKNOWN;
    if (!(is_alnum(id[1]) || id[1] == '~') || !(is_alnum(id[2]) || id[2] == '~'))
        return BT_PEERID_UNKNOWN;
    for (i = 3; i < 7; i++) {
        if (version_char(id[i]) < 0)
            return BT_PEERID_UNKNOWN;
    }
    info->code[0] = (char)id[1];
    info->code[1] = (char)id[2];
    info->code[2] = '\0';
    c = azureus_lookup(id + 1);
    if (c) {
        snprintf(info->client, sizeof(info->client), "%s", c->name);
        format_azureus_version(id + 3, c->vf, info->version, sizeof(info->version));
    } else {
        snprintf(info->client, sizeof(info->client), "Unknown client (%c%c)", id[1], id[2]);
        format_azureus_version(id + 3, VF_4PART, info->version, sizeof(info->version));
    }
    return info->style = BT_PEERID_AZUREUS;
}

/* Mainline: letter (or "A2" for aria2), then numbers separated by single '-',
 * ending with "--" or at byte 8: "M4-3-6--", "M7-10-2-", "A2-1-34-0-". */
static bt_peerid_style_t parse_mainline(const uint8_t *id, bt_peerid_info_t *info)
{
    const char *name = NULL;
    size_t p, n = 0, parts = 0;
    char ver[24];

    if (id[0] == 'A' && id[1] == '2' && id[2] == '-') {
        name = "aria2";
        p = 3;
        memcpy(info->code, "A2", 3);
    } else {
        name = letter_lookup(mainline_clients, sizeof(mainline_clients) / sizeof(mainline_clients[0]), id[0]);
        if (!name || !is_digit(id[1]))
            return BT_PEERID_UNKNOWN;
        p = 1;
        info->code[0] = (char)id[0];
        info->code[1] = '\0';
    }
    /* Three numbers of up to three digits: real ids never have more, and
     * bytes after the third may be random (aria2). */
    while (parts < 3 && p < 12 && is_digit(id[p])) {
        size_t d = 0;
        if (parts)
            ver[n++] = '.';
        while (p < 12 && is_digit(id[p]) && d < 3) {
            ver[n++] = (char)id[p++];
            d++;
        }
        parts++;
        if (p >= 12 || id[p] != '-')
            return BT_PEERID_UNKNOWN;
        p++;
        if (p < BT_PEER_ID_LEN && id[p] == '-')
            break;
    }
    if (parts < 2)
        return BT_PEERID_UNKNOWN;
    ver[n] = '\0';
    snprintf(info->client, sizeof(info->client), "%s", name);
    snprintf(info->version, sizeof(info->version), "%s", ver);
    return info->style = BT_PEERID_MAINLINE;
}

/* Shadow: letter, up to five version characters padded with '-', then
 * (commonly) "---": "S58B-----", "T03I-----". */
static bt_peerid_style_t parse_shadow(const uint8_t *id, bt_peerid_info_t *info)
{
    const char *name = letter_lookup(shadow_clients, sizeof(shadow_clients) / sizeof(shadow_clients[0]), id[0]);
    size_t i, n = 0;
    char ver[24];

    if (!name || memcmp(id + 6, "---", 3) != 0 || version_char(id[1]) < 0)
        return BT_PEERID_UNKNOWN;
    for (i = 1; i <= 5 && id[i] != '-'; i++) {
        int v = version_char(id[i]);
        if (v < 0)
            return BT_PEERID_UNKNOWN;
        n += (size_t)snprintf(ver + n, sizeof(ver) - n, "%s%d", i > 1 ? "." : "", v);
    }
    for (; i <= 5; i++) {
        if (id[i] != '-')
            return BT_PEERID_UNKNOWN;
    }
    info->code[0] = (char)id[0];
    info->code[1] = '\0';
    snprintf(info->client, sizeof(info->client), "%s", name);
    snprintf(info->version, sizeof(info->version), "%s", ver);
    return info->style = BT_PEERID_SHADOW;
}

static bt_peerid_style_t parse_other(const uint8_t *id, bt_peerid_info_t *info)
{
    if (memcmp(id, "exbc", 4) == 0 || memcmp(id, "FUTB", 4) == 0 || memcmp(id, "xUTB", 4) == 0) {
        /* Old BitComet: two binary bytes, major and two-digit minor. */
        snprintf(info->client, sizeof(info->client), "BitComet");
        snprintf(info->version, sizeof(info->version), "%u.%02u", id[4], id[5] % 100u);
        memcpy(info->code, id, 3);
        info->code[3] = '\0';
        return info->style = BT_PEERID_OTHER;
    }
    if (memcmp(id, "TIX", 3) == 0 && is_digit(id[3]) && is_digit(id[4]) && is_digit(id[5]) && is_digit(id[6])) {
        /* Tixati: "TIX0193-" is 1.93. */
        int v = (id[3] - '0') * 1000 + (id[4] - '0') * 100 + (id[5] - '0') * 10 + (id[6] - '0');
        snprintf(info->client, sizeof(info->client), "Tixati");
        snprintf(info->version, sizeof(info->version), "%d.%02d", v / 100, v % 100);
        memcpy(info->code, "TIX", 4);
        return info->style = BT_PEERID_OTHER;
    }
    return BT_PEERID_UNKNOWN;
}

bt_peerid_style_t bt_peerid_parse(const uint8_t id[BT_PEER_ID_LEN], bt_peerid_info_t *info)
{
    /* Most specific first: Azureus ids are unmistakable, fixed prefixes come
     * before the one-letter conventions they could be taken for. */
    static bt_peerid_style_t (*const parsers[])(const uint8_t *, bt_peerid_info_t *) = {
        parse_azureus, parse_other, parse_mainline, parse_shadow,
    };
    size_t i;

    for (i = 0; i < sizeof(parsers) / sizeof(parsers[0]); i++) {
        memset(info, 0, sizeof(*info));
        if (parsers[i](id, info) != BT_PEERID_UNKNOWN)
            return info->style;
    }
    memset(info, 0, sizeof(*info));
    return BT_PEERID_UNKNOWN;
}

const char *bt_peerid_style_name(bt_peerid_style_t style)
{
    switch (style) {
    case BT_PEERID_AZUREUS:  return "Azureus-style";
    case BT_PEERID_SHADOW:   return "Shadow-style";
    case BT_PEERID_MAINLINE: return "Mainline-style";
    case BT_PEERID_OTHER:    return "client-specific";
    case BT_PEERID_UNKNOWN:  break;
    }
    return "unknown";
}
