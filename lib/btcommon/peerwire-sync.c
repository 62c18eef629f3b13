/* peerwire-sync.c
 * Resynchronising on a peer-wire stream of unknown start.  See
 * peerwire-sync.h.
 */
#include "peerwire-sync.h"
#include "btbytes.h"
#include "peerwire.h"


bt_sync_fit_t bt_sync_fit(const uint8_t *buf, size_t avail, uint32_t max_block,
                          int keepalive_ok, uint64_t *pdu_len)
{
    const bt_msg_len_t *ml;
    uint32_t len, max;

    *pdu_len = 0;
    if (avail < 4)
        return BT_SYNC_NO;
    len = bt_be32(buf);
    *pdu_len = (uint64_t)len + 4;
    if (len == 0)
        return keepalive_ok ? BT_SYNC_FITS : BT_SYNC_NO;
    if (avail < 5)
        return BT_SYNC_NO;
    ml = bt_msg_len(buf[BT_MSG_ID_OFF]);
    if (ml) {
        max = ml->sync_max == BT_SYNC_MAX_PIECE ? 9 + max_block : ml->sync_max;
        if (len < ml->sync_min || len > max)
            return BT_SYNC_NO;
        return avail >= *pdu_len ? BT_SYNC_FITS : BT_SYNC_EXTENDS;
    }
    return BT_SYNC_NO;
}

/* A candidate at buf[0] is accepted when it fits and is followed by the end
 * of the bytes or by another plausible message (a keep-alive will do).  A
 * header that runs past the end is accepted only for a Piece whose begin is
 * a multiple of 16 KiB, the one long message every transfer is made of: a
 * lone 5-byte header is too weak a sign otherwise. */
static int confirmed(const uint8_t *buf, size_t len, uint32_t max_block)
{
    uint64_t n, n2;
    bt_sync_fit_t f = bt_sync_fit(buf, len, max_block, 0, &n);

    if (f == BT_SYNC_NO)
        return 0;
    if (f == BT_SYNC_EXTENDS)
        return buf[4] == 7 && len >= 13 && (bt_be32(buf + 9) & 0x3FFFu) == 0 && n >= 13;
    if (n == len)
        return 1;
    return bt_sync_fit(buf + n, len - (size_t)n, max_block, 1, &n2) != BT_SYNC_NO;
}

long bt_sync_find(const uint8_t *buf, size_t len, uint32_t max_block, size_t scan_limit)
{
    size_t o;

    for (o = 0; o + 5 <= len && o < scan_limit; o++) {
        /* cheap filter first: no message of ours is 16 MiB or longer */
        if (buf[o] != 0)
            continue;
        if (confirmed(buf + o, len - o, max_block))
            return (long)o;
    }
    return -1;
}
