/* peerwire-sync.c
 * Resynchronising on a peer-wire stream of unknown start.  See
 * peerwire-sync.h.
 */
#include "peerwire-sync.h"
#include "btbytes.h"

/* Length bounds per message id, counted from the id byte (the value of the
 * length prefix).  Variable-length types get a bound a real client stays
 * under, so that random bytes rarely pass:
 *   bitfield  one bit per piece; 32 KiB covers 262,144 pieces (4 GiB in
 *             16 KiB pieces, 256 GiB in 1 MiB pieces);
 *   piece     id + index + begin + a block of at most max_block bytes;
 *   extended  id + ext id + payload; ut_metadata carries 16 KiB of metadata
 *             plus a small dictionary, ut_pex a few hundred peers: 32 KiB;
 *   hashes    BEP 52 header 49 + at most 512 hashes of 32 bytes.
 * 0xFFFFFFFF as max means "computed from max_block". */
typedef struct {
    uint8_t  id;
    uint32_t min_len, max_len;
} sync_len_t;

#define SYNC_PIECE_MAX 0xFFFFFFFFu

static const sync_len_t sync_lens[] = {
    { 0, 1, 1 }, { 1, 1, 1 }, { 2, 1, 1 }, { 3, 1, 1 },      /* choke .. not interested */
    { 4, 5, 5 },                                             /* have                    */
    { 5, 2, 1 + 32768 },                                     /* bitfield                */
    { 6, 13, 13 }, { 7, 9, SYNC_PIECE_MAX }, { 8, 13, 13 },  /* request, piece, cancel  */
    { 9, 3, 3 },                                             /* port                    */
    { 13, 5, 5 }, { 14, 1, 1 }, { 15, 1, 1 },                /* suggest, have all/none  */
    { 16, 13, 13 }, { 17, 5, 5 },                            /* reject, allowed fast    */
    { 20, 2, 32768 },                                        /* extended                */
    { 21, 49, 49 }, { 22, 49, 49 + 512 * 32 }, { 23, 49, 49 },
};

bt_sync_fit_t bt_sync_fit(const uint8_t *buf, size_t avail, uint32_t max_block,
                          int keepalive_ok, uint64_t *pdu_len)
{
    uint32_t len, max;
    size_t i;

    *pdu_len = 0;
    if (avail < 4)
        return BT_SYNC_NO;
    len = bt_be32(buf);
    *pdu_len = (uint64_t)len + 4;
    if (len == 0)
        return keepalive_ok ? BT_SYNC_FITS : BT_SYNC_NO;
    if (avail < 5)
        return BT_SYNC_NO;
    for (i = 0; i < sizeof(sync_lens) / sizeof(sync_lens[0]); i++) {
        if (sync_lens[i].id != buf[4])
            continue;
        max = sync_lens[i].max_len == SYNC_PIECE_MAX ? 9 + max_block : sync_lens[i].max_len;
        if (len < sync_lens[i].min_len || len > max)
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
