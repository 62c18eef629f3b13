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
