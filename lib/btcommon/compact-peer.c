/* compact-peer.c
 * Compact peer entries (BEP 11, BEP 15, BEP 23, BEP 7).  See compact-peer.h.
 */
#include "compact-peer.h"
#include "btbytes.h"

#include <string.h>

size_t bt_compact_entry_len(int ipv6)
{
    return ipv6 ? BT_COMPACT_V6_LEN : BT_COMPACT_V4_LEN;
}

void bt_compact_list(size_t len, int ipv6, bt_compact_list_t *out)
{
    out->entry_len = bt_compact_entry_len(ipv6);
    out->addr_len = out->entry_len - BT_COMPACT_PORT_LEN;
    out->count = len / out->entry_len;
    out->trailing = len % out->entry_len;
}

void bt_compact_peer_get(const uint8_t *buf, const bt_compact_list_t *list, size_t i, bt_compact_peer_t *out)
{
    const uint8_t *p = buf + i * list->entry_len;

    memset(out, 0, sizeof(*out));
    out->ipv6 = list->addr_len == BT_COMPACT_V6_ADDR_LEN;
    out->addr_len = list->addr_len;
    memcpy(out->addr, p, list->addr_len);
    out->port = bt_be16(p + list->addr_len);
}
