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

/* Message ids: BEP 3 (0-9), BEP 6 fast extension (13-17), BEP 10 extended
 * (20), BEP 52 hash messages (21-23). */
#define BT_MSG_CHOKE           0
#define BT_MSG_UNCHOKE         1
#define BT_MSG_INTERESTED      2
#define BT_MSG_NOT_INTERESTED  3
#define BT_MSG_HAVE            4
#define BT_MSG_BITFIELD        5
#define BT_MSG_REQUEST         6
#define BT_MSG_PIECE           7
#define BT_MSG_CANCEL          8
#define BT_MSG_PORT            9
#define BT_MSG_SUGGEST         13
#define BT_MSG_HAVE_ALL        14
#define BT_MSG_HAVE_NONE       15
#define BT_MSG_REJECT          16
#define BT_MSG_ALLOWED_FAST    17
#define BT_MSG_EXTENDED        20
#define BT_MSG_HASH_REQUEST    21
#define BT_MSG_HASHES          22
#define BT_MSG_HASH_REJECT     23

/* BEP 52 hash messages: id + pieces root (32) + base layer, index, length,
 * proof layers (4 each) = 49; hashes are SHA-256, 32 bytes. */
#define BT_HASH_MSG_HDR_LEN    49
#define BT_HASH_LEN            32

/* The one table of message lengths, counted from the id byte (the value of
 * the length prefix), for decoding (min_len..max_len, max_len 0: no fixed
 * maximum) and for resynchronising on a stream of unknown start
 * (sync_min..sync_max: what a real client stays within, so that random bytes
 * rarely pass; BT_SYNC_MAX_PIECE: 9 + the largest block).  The sync bounds
 * of the variable-length types:
 *   bitfield  one bit per piece; 32 KiB covers 262,144 pieces (4 GiB in
 *             16 KiB pieces, 256 GiB in 1 MiB pieces);
 *   piece     id + index + begin + a block of at most max_block bytes;
 *   extended  id + ext id + payload; ut_metadata carries 16 KiB of metadata
 *             plus a small dictionary, ut_pex a few hundred peers: 32 KiB;
 *   hashes    BEP 52 header 49 + at most 512 hashes of 32 bytes. */
#define BT_SYNC_MAX_PIECE 0xFFFFFFFFu

typedef struct {
    uint8_t  id;
    uint32_t min_len, max_len;
    uint32_t sync_min, sync_max;
} bt_msg_len_t;

/* The lengths of message id, or NULL for an id no BEP assigns. */
const bt_msg_len_t *bt_msg_len(uint8_t id);

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
