/* reserved.c
 * Reserved-bit table of the BitTorrent handshake (BEP 4).  See reserved.h.
 */
#include "reserved.h"

#include <stdio.h>
#include <string.h>

/* Order: the one shown in the Info column, most informative first. */
const bt_reserved_bit_t bt_reserved_bits[BT_RESERVED_BIT_COUNT] = {
    { 5, 0x10, "ext",      "extension",     "Extension protocol (BEP 10)" },
    { 7, 0x01, "dht",      "dht",           "DHT (BEP 5)" },
    { 7, 0x04, "fast",     "fast",          "Fast extension (BEP 6)" },
    { 7, 0x10, "v2",       "v2",            "Hybrid torrent upgrade to v2 (BEP 52)" },
    { 7, 0x08, "nat",      "nat_traversal", "NAT traversal" },
    { 0, 0x80, "azureus",  "azureus",       "Azureus messaging protocol" },
    { 7, 0x02, "xbt_pex",  "xbt_pex",       "XBT peer exchange" },
    { 2, 0x08, "location", "location",      "Location-aware protocol" },
    { 5, 0x02, "enp",      "enp",           "Extension negotiation protocol (bit 1)" },
    { 5, 0x01, "enp0",     "enp0",          "Extension negotiation protocol (bit 0)" },
};
const size_t bt_reserved_bit_count = sizeof(bt_reserved_bits) / sizeof(bt_reserved_bits[0]);

/* Position of a bit on the wire: byte 0 first, bit 0x80 first. */
static unsigned wire_pos(const bt_reserved_bit_t *b)
{
    unsigned bit = 0;
    while (bit < 8 && !(b->mask & (0x80u >> bit)))
        bit++;
    return b->byte * 8 + bit;
}

size_t bt_reserved_wire_order(size_t i)
{
    /* Selection by rank: the table is ten entries, called once per field at
     * registration. */
    size_t j, k, rank;
    for (j = 0; j < bt_reserved_bit_count; j++) {
        for (rank = 0, k = 0; k < bt_reserved_bit_count; k++)
            rank += wire_pos(&bt_reserved_bits[k]) < wire_pos(&bt_reserved_bits[j]);
        if (rank == i)
            return j;
    }
    return 0;
}

static void append(char *out, size_t outlen, size_t *used, const char *s)
{
    int n;
    if (*used >= outlen)
        return;
    n = snprintf(out + *used, outlen - *used, "%s%s", *used ? "," : "", s);
    if (n > 0)
        *used += (size_t)n;
    if (*used >= outlen)
        *used = outlen;   /* truncated: snprintf kept the NUL */
}

size_t bt_reserved_summary(const uint8_t reserved[BT_RESERVED_LEN], char *out, size_t outlen)
{
    size_t i, used = 0, named = 0;
    uint8_t unknown[BT_RESERVED_LEN];

    if (outlen == 0)
        return 0;
    out[0] = '\0';
    for (i = 0; i < bt_reserved_bit_count; i++) {
        const bt_reserved_bit_t *b = &bt_reserved_bits[i];
        if (reserved[b->byte] & b->mask) {
            append(out, outlen, &used, b->abbrev);
            named++;
        }
    }
    if (bt_reserved_unknown(reserved, unknown)) {
        for (i = 0; i < BT_RESERVED_LEN; i++) {
            char item[16];
            if (!unknown[i])
                continue;
            snprintf(item, sizeof(item), "+%u:0x%02x", (unsigned)i, unknown[i]);
            append(out, outlen, &used, item);
        }
    }
    return named;
}

int bt_reserved_unknown(const uint8_t reserved[BT_RESERVED_LEN], uint8_t unknown[BT_RESERVED_LEN])
{
    size_t i;
    int any = 0;
    memcpy(unknown, reserved, BT_RESERVED_LEN);
    for (i = 0; i < bt_reserved_bit_count; i++)
        unknown[bt_reserved_bits[i].byte] &= (uint8_t)~bt_reserved_bits[i].mask;
    for (i = 0; i < BT_RESERVED_LEN; i++)
        any |= unknown[i] != 0;
    return any;
}
