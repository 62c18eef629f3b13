/* mse.c
 * Recognition of the MSE/PE Diffie-Hellman key exchange.  See mse.h.
 */
#include "mse.h"
#include "peerwire.h"

#include <string.h>

unsigned bt_mse_distinct_bytes(const uint8_t *buf, size_t len)
{
    uint8_t seen[256];
    unsigned n = 0;
    size_t i;
    memset(seen, 0, sizeof(seen));
    for (i = 0; i < len; i++) {
        if (!seen[buf[i]]) {
            seen[buf[i]] = 1;
            n++;
        }
    }
    return n;
}

int bt_mse_is_key_flight(const uint8_t *buf, size_t len)
{
    if (len < BT_MSE_KEY_LEN || len > BT_MSE_MAX_FLIGHT)
        return 0;
    if (bt_wire_is_handshake(buf, len))
        return 0;
    return bt_mse_distinct_bytes(buf, BT_MSE_KEY_LEN) >= BT_MSE_MIN_DISTINCT;
}

long bt_mse_find_plain_handshake(const uint8_t *buf, size_t len)
{
    size_t i;
    if (len < BT_PSTR_LEN + 1)
        return -1;
    for (i = 0; i + BT_PSTR_LEN + 1 <= len; i++) {
        if (buf[i] == BT_PSTR_LEN && memcmp(buf + i + 1, BT_PSTR, BT_PSTR_LEN) == 0)
            return (long)i;
    }
    return -1;
}
