/* peerwire.h
 * Framing of the BitTorrent peer-wire stream (BEP 3): one 68-byte handshake,
 * then messages made of a 4-byte big-endian length and that many bytes (the
 * first of which is the message id; length 0 is a keep-alive).
 */
#ifndef BTCOMMON_PEERWIRE_H
#define BTCOMMON_PEERWIRE_H

#include <stddef.h>
#include <stdint.h>

#include "btwire.h"

#define BT_PSTR             "BitTorrent protocol"
#define BT_PSTR_LEN         19
#define BT_HANDSHAKE_LEN    68      /* 1 + 19 + 8 reserved + 20 info_hash + 20 peer_id */
#define BT_LENGTH_PREFIX    4

/* Handshake layout:
 *   0      1                20         28          48        68
 *   | 0x13 | "BitTorrent protocol" | reserved | info_hash | peer_id |     */
#define BT_HS_PSTR_OFF      1
#define BT_HS_RESERVED_OFF  (BT_HS_PSTR_OFF + BT_PSTR_LEN)            /* 20 */
#define BT_HS_INFOHASH_OFF  (BT_HS_RESERVED_OFF + 8)                  /* 28 */
#define BT_HS_PEERID_OFF    (BT_HS_INFOHASH_OFF + BT_INFO_HASH_LEN)   /* 48 */

/* Message layout: | length u32 | id u8 | payload |.  The fixed fields of
 * have, request, piece, cancel, reject, suggest and allowed fast follow the
 * id: piece index, then block begin, then block length (request, cancel,
 * reject) or block data (piece). */
#define BT_MSG_ID_OFF       BT_LENGTH_PREFIX                          /* 4  */
#define BT_MSG_PAYLOAD_OFF  (BT_MSG_ID_OFF + 1)                       /* 5  */
#define BT_MSG_INDEX_OFF    BT_MSG_PAYLOAD_OFF                        /* 5  */
#define BT_MSG_BEGIN_OFF    (BT_MSG_INDEX_OFF + 4)                    /* 9  */
#define BT_MSG_LENGTH_OFF   (BT_MSG_BEGIN_OFF + 4)                    /* 13 */
#define BT_MSG_BLOCK_OFF    BT_MSG_LENGTH_OFF                         /* 13: piece data */

typedef enum {
    BT_FRAME_NEED_MORE,   /* fewer bytes than the length prefix (or handshake) needs */
    BT_FRAME_HANDSHAKE,   /* a handshake, *pdu_len = 68                               */
    BT_FRAME_MESSAGE,     /* a message, *pdu_len = 4 + length                         */
    BT_FRAME_TOO_LONG     /* a length prefix above max_len: not a message we accept   */
} bt_frame_t;

/* 1 when the bytes start with "\x13BitTorrent protocol" (needs 20 bytes). */
int bt_wire_is_handshake(const uint8_t *buf, size_t avail);

/* Classifies the PDU starting at buf, of which avail bytes are present.
 * *pdu_len gets the PDU's full length when known (also for NEED_MORE once the
 * prefix is complete, 0 before) and the announced length for TOO_LONG.
 * A handshake is recognised from its first 20 bytes; the length prefix it
 * would otherwise be (0x13426974) is far above any max_len. */
bt_frame_t bt_wire_frame(const uint8_t *buf, size_t avail, uint32_t max_len, uint64_t *pdu_len);

#endif /* BTCOMMON_PEERWIRE_H */
