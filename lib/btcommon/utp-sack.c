/* utp-sack.c
 * Decoding of the uTP selective-ACK bitmask (BEP 29, extension 1).
 */
#include "utp-sack.h"

static int sack_bit(const uint8_t *mask, size_t i)
{
    return (mask[i / 8] >> (i % 8)) & 1;
}

size_t utp_sack_decode(uint16_t ack_nr, const uint8_t *mask, size_t len,
                       uint16_t *out, size_t max_out)
{
    size_t n = 0;
    for (size_t i = 0; i < len * 8; i++) {
        if (!sack_bit(mask, i))
            continue;
        if (n < max_out)
            out[n] = (uint16_t)(ack_nr + 2 + i);
        n++;
    }
    return n;
}

size_t utp_sack_ranges(uint16_t ack_nr, const uint8_t *mask, size_t len,
                       utp_sack_range_t *out, size_t max_out)
{
    size_t n = 0;
    size_t i = 0;
    while (i < len * 8) {
        if (!sack_bit(mask, i)) {
            i++;
            continue;
        }
        size_t start = i;
        while (i < len * 8 && sack_bit(mask, i))
            i++;
        if (n < max_out) {
            out[n].first = (uint16_t)(ack_nr + 2 + start);
            out[n].last = (uint16_t)(ack_nr + 2 + i - 1);
        }
        n++;
    }
    return n;
}
