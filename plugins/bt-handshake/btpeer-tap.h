/* btpeer-tap.h
 * The record btpeer queues on its tap "btpeer", one per PDU (BEP 3 handshake
 * or message, BEP 6 / 10 / 52 messages), and one per call of encrypted
 * (MSE/PE) bytes.  Listeners: the swarm view (btpeer-swarm.c, the model
 * of tshark -z btpeer_peers,tree / btpeer_torrents,tree and of the GUI
 * tables) and the timeline
 * (btpeer-flow.c: -z flow,btpeer,network and the Flow Graph).
 *
 * Everything a pointer reaches lives at least as long as the packet
 * (pinfo->pool) or the file (wmem_file_scope); listeners copy what they
 * keep.
 */
#ifndef BTPEER_TAP_H
#define BTPEER_TAP_H

#include <epan/packet.h>
#include "btwire.h"

typedef enum {
    BTPEER_TAP_HANDSHAKE,    /* the 68-byte handshake                         */
    BTPEER_TAP_MESSAGE,      /* one whole length-prefixed message              */
    BTPEER_TAP_KEEPALIVES,   /* a run of keep-alives (count)                   */
    BTPEER_TAP_PARTIAL,      /* the start of a message whose rest is missing   */
    BTPEER_TAP_ENCRYPTED     /* MSE/PE bytes (key exchange or RC4 stream)      */
} btpeer_tap_kind_t;

typedef struct btpeer_tap {
    const void       *conn;      /* identity of the connection (file scope)     */
    int               dir;       /* sending side: 0 = the side that spoke first
                                    (the initiator when the capture has the
                                    start of the connection)                     */
    int               initiator; /* side that opened the connection (uTP SYN,
                                    TCP SYN), or -1 when the capture lacks it   */
    gboolean          utp;       /* transport: uTP (else TCP)                   */
    gboolean          mse;       /* the connection began with an MSE/PE exchange */
    btpeer_tap_kind_t kind;
    guint             count;     /* KEEPALIVES: how many; ENCRYPTED: bytes      */
    int               msg_id;    /* MESSAGE / PARTIAL: the id, else -1          */
    const char       *ext_name;  /* extended messages: name of the id, or NULL  */
    /* Piece, request, cancel, reject, have, suggest, allowed fast: the piece
     * index; piece/request/cancel/reject: begin and length (a piece's length
     * is its block data in this message). */
    guint32           index, begin, length;
    guint32           bits_set;  /* bitfield: pieces set                        */
    guint32           bits_len;  /* bitfield: bits in the message (8 x bytes)   */
    const guint8     *bitfield;  /* bitfield: its bits_len / 8 bytes            */
    const guint8     *info_hash; /* handshake: BT_INFO_HASH_LEN bytes           */
    const guint8     *peer_id;   /* handshake: BT_PEER_ID_LEN bytes             */
    /* handshake: the frame before it that announced its info hash / the
     * connection's listening endpoint (LSD, tracker: bt-discovery.h), and
     * by what; 0 / NULL when none did or no discovery plugin is loaded */
    guint32           info_hash_frame;
    const char       *info_hash_source;
    guint32           peer_frame;
    const char       *peer_source;
    const char       *ext_v;     /* the sender's extension-handshake "v" once
                                    known (file scope), or NULL                 */
    /* Pieces of this sender that this PDU completed and that matched / did
     * not match the torrent's hashes (btpeer-pieces.c; 0 when piece
     * verification is off or the torrent's metadata is unknown). */
    guint32           pieces_verified;
    guint32           pieces_failed;
    /* The torrent's name, total size and piece count once its metadata is
     * known (btpeer-torrent.c: ut_metadata or a .torrent file), else NULL / 0;
     * the swarm view then falls back on the bitfield length for the piece
     * count. */
    const char       *torrent_name;
    guint64           torrent_size;
    guint32           torrent_pieces;
} btpeer_tap_t;

/* btpeer-tap.c: the tap and what queues on it (nothing is built when no
 * listener is attached). */
void btpeer_register_tap(void);
struct btpeer_ctx;
/* One whole or partial PDU just dissected (kind as above). */
void btpeer_tap_pdu(struct btpeer_ctx *ctx, btpeer_tap_kind_t kind, guint count);
/* Encrypted bytes of one call. */
struct btpeer_conn;
void btpeer_tap_encrypted(packet_info *pinfo, struct btpeer_conn *conn, int dir, guint bytes);

/* btpeer-swarm-text.c: -z btpeer_peers,tree and -z btpeer_torrents,tree. */
void btpeer_register_swarm(void);
/* btpeer-swarm-table.c: Statistics > BitTorrent > Peers / Torrents
 * (-z btpeer,peers / -z btpeer,torrents). */
void btpeer_register_swarm_table(void);
/* btpeer-swarm-tree.c: Statistics > BitTorrent > Messages per Peer (-z btpeer_swarm,tree). */
void btpeer_register_swarm_tree(void);
/* btpeer-flow.c: the "btpeer" sequence analysis (Flow Graph, -z flow,btpeer). */
void btpeer_register_flow(void);

#endif /* BTPEER_TAP_H */
