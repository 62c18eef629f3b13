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
