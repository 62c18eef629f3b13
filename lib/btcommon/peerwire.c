/* peerwire.c
 * Peer-wire framing (BEP 3).  See peerwire.h.
 */
#include "peerwire.h"

#include <string.h>

#include "btbytes.h"

int bt_wire_is_handshake(const uint8_t *buf, size_t avail)
{
    return avail >= 1 + BT_PSTR_LEN && buf[0] == BT_PSTR_LEN &&
           memcmp(buf + 1, BT_PSTR, BT_PSTR_LEN) == 0;
}

bt_frame_t bt_wire_frame(const uint8_t *buf, size_t avail, uint32_t max_len, uint64_t *pdu_len)
{
    uint32_t len;

    *pdu_len = 0;
    if (avail >= 1 && buf[0] == BT_PSTR_LEN) {
        /* Possibly a handshake: decide once its 20 identifying bytes are in.
         * Compare what is there so far so that a short start of a handshake
         * still asks for more instead of being read as a huge length. */
        size_t have = avail < 1 + BT_PSTR_LEN ? avail : 1 + BT_PSTR_LEN;
        if (memcmp(buf + 1, BT_PSTR, have - 1) == 0) {
            if (avail < 1 + BT_PSTR_LEN)
                return BT_FRAME_NEED_MORE;
            *pdu_len = BT_HANDSHAKE_LEN;
            return avail >= BT_HANDSHAKE_LEN ? BT_FRAME_HANDSHAKE : BT_FRAME_NEED_MORE;
        }
    }
    if (avail < BT_LENGTH_PREFIX)
        return BT_FRAME_NEED_MORE;
    len = bt_be32(buf);
    *pdu_len = (uint64_t)len + BT_LENGTH_PREFIX;
    if (len > max_len)
        return BT_FRAME_TOO_LONG;
    return avail >= *pdu_len ? BT_FRAME_MESSAGE : BT_FRAME_NEED_MORE;
}

static const bt_msg_len_t msg_lens[] = {
    /* id                      min  max  sync_min  sync_max */
    { BT_MSG_CHOKE,            1,   1,   1,        1 },
    { BT_MSG_UNCHOKE,          1,   1,   1,        1 },
    { BT_MSG_INTERESTED,       1,   1,   1,        1 },
    { BT_MSG_NOT_INTERESTED,   1,   1,   1,        1 },
    { BT_MSG_HAVE,             5,   5,   5,        5 },
    { BT_MSG_BITFIELD,         1,   0,   2,        1 + 32768 },
    { BT_MSG_REQUEST,          13,  13,  13,       13 },
    { BT_MSG_PIECE,            9,   0,   9,        BT_SYNC_MAX_PIECE },
    { BT_MSG_CANCEL,           13,  13,  13,       13 },
    { BT_MSG_PORT,             3,   3,   3,        3 },
    { BT_MSG_SUGGEST,          5,   5,   5,        5 },
    { BT_MSG_HAVE_ALL,         1,   1,   1,        1 },
    { BT_MSG_HAVE_NONE,        1,   1,   1,        1 },
    { BT_MSG_REJECT,           13,  13,  13,       13 },
    { BT_MSG_ALLOWED_FAST,     5,   5,   5,        5 },
    { BT_MSG_EXTENDED,         2,   0,   2,        32768 },
    { BT_MSG_HASH_REQUEST,     BT_HASH_MSG_HDR_LEN, BT_HASH_MSG_HDR_LEN, BT_HASH_MSG_HDR_LEN, BT_HASH_MSG_HDR_LEN },
    { BT_MSG_HASHES,           BT_HASH_MSG_HDR_LEN, 0, BT_HASH_MSG_HDR_LEN, BT_HASH_MSG_HDR_LEN + 512 * BT_HASH_LEN },
    { BT_MSG_HASH_REJECT,      BT_HASH_MSG_HDR_LEN, BT_HASH_MSG_HDR_LEN, BT_HASH_MSG_HDR_LEN, BT_HASH_MSG_HDR_LEN },
};

const bt_msg_len_t *bt_msg_len(uint8_t id)
{
    size_t i;
    for (i = 0; i < sizeof(msg_lens) / sizeof(msg_lens[0]); i++) {
        if (msg_lens[i].id == id)
            return &msg_lens[i];
    }
    return NULL;
}
