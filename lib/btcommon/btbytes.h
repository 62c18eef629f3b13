/* btbytes.h
 * The one set of byte helpers of the library and the plugins: big-endian
 * readers and hexadecimal digits.  Every wire format of the BitTorrent family
 * (BEP 3 peer wire, BEP 15 UDP tracker, BEP 29 uTP, BEP 11/23 compact peers)
 * is big-endian ("network order"); BEP 14 and BEP 3 tracker queries spell
 * 20-byte hashes as hex or %XX escapes.  Pure C, no epan.
 */
#ifndef BTCOMMON_BTBYTES_H
#define BTCOMMON_BTBYTES_H

#include <stdint.h>

static inline uint16_t bt_be16(const uint8_t *p)
{
    return (uint16_t)((unsigned)p[0] << 8 | p[1]);
}

static inline uint32_t bt_be32(const uint8_t *p)
{
    return (uint32_t)p[0] << 24 | (uint32_t)p[1] << 16 | (uint32_t)p[2] << 8 | p[3];
}

static inline uint64_t bt_be64(const uint8_t *p)
{
    return (uint64_t)bt_be32(p) << 32 | bt_be32(p + 4);
}

/* Value of one hexadecimal digit (either case), or -1. */
static inline int bt_hexval(int c)
{
    if (c >= '0' && c <= '9') return c - '0';
    if (c >= 'a' && c <= 'f') return c - 'a' + 10;
    if (c >= 'A' && c <= 'F') return c - 'A' + 10;
    return -1;
}

#endif /* BTCOMMON_BTBYTES_H */
