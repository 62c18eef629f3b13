/* btpeer-tap.c
 * The tap "btpeer": one btpeer_tap_t (btpeer-tap.h) per peer-wire PDU
 * (BEP 3 handshake and messages, BEP 6 fast extension, BEP 10 extended, BEP
 * 52 hash messages) and per call of MSE/PE bytes, for the swarm view
 * (btpeer-swarm.c) and the timeline (btpeer-flow.c).  The record is read
 * from the PDU's own bytes (ids, indexes, block lengths) and from what the
 * first pass learnt about the connection (extension names, the "v" of the
 * extension handshake), so every pass queues the same records.
 */
#include <epan/packet.h>
#include <epan/tap.h>
#include <epan/conversation.h>
#include <epan/dissectors/packet-tcp.h>
#include <wsutil/bits_count_ones.h>

#include "btpeer.h"
#include "btpeer-tap.h"
#include "discovery/bt-discovery-store.h"
#include "peerwire.h"
#include "ws-compat.h"

static int btpeer_tap_id = -1;

/* tcp_flow_t.static_flags bits of packet-tcp.c (not exported): the flow
 * sent a SYN (TCP_S_SAW_SYN) / a SYN-ACK (TCP_S_SAW_SYNACK). */
#define TAP_TCP_SENT_SYN    0x02
#define TAP_TCP_SENT_SYNACK 0x04

/* Which side opened the connection, or -1.  uTP: side 0 is the SYN sender
 * (btpeer-utp.c).  TCP: from the SYN / SYN-ACK the TCP analysis saw, which
 * precede any payload, so every pass finds the same answer. */
static int tap_initiator(packet_info *pinfo, int dir)
{
    conversation_t *conv;
    struct tcp_analysis *tcpd;

    if (pinfo->ptype == PT_UDP)
        return 0;
    conv = find_conversation_pinfo(pinfo, 0);
    tcpd = conv ? get_tcp_conversation_data(conv, pinfo) : NULL;
    if (!tcpd || !tcpd->fwd || !tcpd->rev)
        return -1;
    if (tcpd->fwd->static_flags & TAP_TCP_SENT_SYN)
        return dir;
    if ((tcpd->fwd->static_flags & TAP_TCP_SENT_SYNACK) || (tcpd->rev->static_flags & TAP_TCP_SENT_SYN))
        return 1 - dir;
    return -1;
}

static btpeer_tap_t *tap_new(packet_info *pinfo, btpeer_conn_t *conn, int dir, btpeer_tap_kind_t kind)
{
    btpeer_tap_t *t = wmem_new0(pinfo->pool, btpeer_tap_t);

    t->conn = conn;
    t->dir = dir;
    /* uTP hands its payload to btpeer over UDP; TCP otherwise */
    t->utp = pinfo->ptype == PT_UDP;
    t->initiator = tap_initiator(pinfo, dir);
    t->mse = conn->state == BTPEER_CONN_ENCRYPTED;
    t->kind = kind;
    t->msg_id = -1;
    t->ext_v = conn->side[dir].ext_v;
    return t;
}

static guint32 count_bits(tvbuff_t *tvb, int offset, int len)
{
    guint32 n = 0;
    int i;

    for (i = 0; i < len; i++)
        n += (guint32)ws_count_ones(tvb_get_uint8(tvb, offset + i));
    return n;
}

/* The fields of a message that concern one piece, read from its bytes.
 * len: the bytes at hand (all of them for a whole message). */
static void fill_message(packet_info *pinfo, btpeer_tap_t *t, tvbuff_t *tvb, int len, gboolean whole)
{
    t->msg_id = tvb_get_uint8(tvb, BT_MSG_ID_OFF);
    switch (t->msg_id) {
    case BT_MSG_HAVE:
    case BT_MSG_SUGGEST:
    case BT_MSG_ALLOWED_FAST:
        if (len >= BT_MSG_INDEX_OFF + 4)
            t->index = tvb_get_ntohl(tvb, BT_MSG_INDEX_OFF);
        break;
    case BT_MSG_REQUEST:
    case BT_MSG_CANCEL:
    case BT_MSG_REJECT:
        if (len >= BT_MSG_LENGTH_OFF + 4) {
            t->index = tvb_get_ntohl(tvb, BT_MSG_INDEX_OFF);
            t->begin = tvb_get_ntohl(tvb, BT_MSG_BEGIN_OFF);
            t->length = tvb_get_ntohl(tvb, BT_MSG_LENGTH_OFF);
        }
        break;
    case BT_MSG_PIECE:
        if (len >= BT_MSG_BLOCK_OFF) {
            t->index = tvb_get_ntohl(tvb, BT_MSG_INDEX_OFF);
            t->begin = tvb_get_ntohl(tvb, BT_MSG_BEGIN_OFF);
            /* a partial piece's block bytes are not all here: not counted */
            t->length = whole ? (guint32)(len - BT_MSG_BLOCK_OFF) : 0;
        }
        break;
    case BT_MSG_BITFIELD:
        if (whole) {
            t->bits_set = count_bits(tvb, BT_MSG_PAYLOAD_OFF, len - BT_MSG_PAYLOAD_OFF);
            t->bits_len = 8u * (guint32)(len - BT_MSG_PAYLOAD_OFF);
            t->bitfield = (const guint8 *)tvb_memdup(pinfo->pool, tvb, BT_MSG_PAYLOAD_OFF, len - BT_MSG_PAYLOAD_OFF);
        }
        break;
    default:
        break;
    }
}

/* Where the discovery store saw this handshake's info hash and the
 * connection's listening endpoint (the destination, else the source)
 * announced before this frame. */
static void fill_discovery(btpeer_tap_t *t, tvbuff_t *tvb, packet_info *pinfo)
{
    bt_discovery_query_t q;

    memset(&q, 0, sizeof(q));
    q.info_hash = t->info_hash;
    q.before_frame = pinfo->num;
    q.peer_addr = &pinfo->dst;
    q.peer_port = (guint16)pinfo->destport;
    bt_discovery_lookup(tvb, pinfo, &q);
    t->info_hash_frame = q.info_hash_frame;
    t->info_hash_source = q.info_hash_source;
    if (!q.peer_frame) {
        q.info_hash = NULL;
        q.peer_addr = &pinfo->src;
        q.peer_port = (guint16)pinfo->srcport;
        bt_discovery_lookup(tvb, pinfo, &q);
    }
    t->peer_frame = q.peer_frame;
    t->peer_source = q.peer_source;
}

/* The torrent store's answers for this PDU (btpeer-torrent.c,
 * btpeer-pieces.c): the torrent once its metadata is known, and the verdict
 * on a piece this PDU completed. */
static void fill_torrent(btpeer_tap_t *t, const struct btpeer_ctx *ctx)
{
    const btpeer_pdu_t *pdu = ctx->pdu;

    if (!pdu)
        return;
    if (pdu->torrent && pdu->torrent->source) {
        t->torrent_name = pdu->torrent->info.name;
        t->torrent_size = pdu->torrent->info.total;
        t->torrent_pieces = pdu->torrent->info.num_pieces;
    }
    if (btpeer_pdu_rare(pdu)->piece) {
        if (btpeer_pdu_rare(pdu)->piece->verified)
            t->pieces_verified = 1;
        else
            t->pieces_failed = 1;
    }
}

void btpeer_tap_pdu(struct btpeer_ctx *ctx, btpeer_tap_kind_t kind, guint count)
{
    btpeer_tap_t *t;
    tvbuff_t *tvb = ctx->tvb;
    int len;

    if (!have_tap_listener(btpeer_tap_id))
        return;
    t = tap_new(ctx->pinfo, ctx->conn, ctx->dir, kind);
    t->count = count;
    len = (int)tvb_captured_length(tvb);
    if (kind == BTPEER_TAP_HANDSHAKE && len >= BT_HANDSHAKE_LEN) {
        t->info_hash = (const guint8 *)tvb_memdup(ctx->pinfo->pool, tvb, BT_HS_INFOHASH_OFF, BT_INFO_HASH_LEN);
        t->peer_id = (const guint8 *)tvb_memdup(ctx->pinfo->pool, tvb, BT_HS_PEERID_OFF, BT_PEER_ID_LEN);
        fill_discovery(t, tvb, ctx->pinfo);
    } else if ((kind == BTPEER_TAP_MESSAGE || kind == BTPEER_TAP_PARTIAL) && len > BT_MSG_ID_OFF) {
        fill_message(ctx->pinfo, t, tvb, len, kind == BTPEER_TAP_MESSAGE);
        if (t->msg_id == BT_MSG_EXTENDED && len > BT_MSG_PAYLOAD_OFF)
            t->ext_name = tvb_get_uint8(tvb, BT_MSG_PAYLOAD_OFF) == 0 ? "handshake"
                        : ctx->pdu ? btpeer_pdu_rare(ctx->pdu)->ext_name : NULL;
    }
    fill_torrent(t, ctx);
    tap_queue_packet(btpeer_tap_id, ctx->pinfo, t);
}

void btpeer_tap_encrypted(packet_info *pinfo, struct btpeer_conn *conn, int dir, guint bytes)
{
    btpeer_tap_t *t;

    if (!have_tap_listener(btpeer_tap_id))
        return;
    t = tap_new(pinfo, conn, dir, BTPEER_TAP_ENCRYPTED);
    t->count = bytes;
    tap_queue_packet(btpeer_tap_id, pinfo, t);
}

void btpeer_register_tap(void)
{
    btpeer_tap_id = register_tap("btpeer");
}
