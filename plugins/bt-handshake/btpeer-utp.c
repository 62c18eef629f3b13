/* btpeer-utp.c
 * The uTP transport (BEP 29) of the BitTorrent peer wire, filter name
 * "btpeer": a heuristic on the uTP plugin's "utp.payload" list (see
 * plugins/utp/packet-utp.h), one connection per utp.stream.  The bytes go to
 * the PDU loop of packet-btpeer.c.  Without the uTP plugin nothing here is
 * registered.
 */
#include <epan/packet.h>

#include "btpeer.h"
#include "peerwire.h"
#include "utp/packet-utp.h"
#include "ws-compat.h"

/* uTP connections are told apart by utp.stream, not by UDP conversation:
 * several uTP connections can share one pair of UDP endpoints. */
static wmem_map_t *btpeer_utp_conns;

#define WHY_UTP_MIDSTREAM "uTP stream start not captured"
#define WHY_UTP_GAP       "after a uTP sequence gap"

/* A new uTP stream: returns its connection if its first bytes are ours. */
static btpeer_conn_t *utp_new_conn(tvbuff_t *tvb, packet_info *pinfo, const utp_payload_info_t *info,
                                   int dir, gboolean *wait)
{
    int avail = tvb_captured_length(tvb);
    gboolean handshake, key;
    btpeer_conn_t *conn;

    *wait = FALSE;
    if (avail < 1 || (info->stream_offset != 0 && !info->mid_stream))
        return NULL;
    handshake = bt_wire_is_handshake(tvb_get_ptr(tvb, 0, MIN(avail, BT_PSTR_LEN + 1)), (size_t)avail);
    if (!handshake && avail < BT_PSTR_LEN + 1 && tvb_get_uint8(tvb, 0) == BT_PSTR_LEN &&
        tvb_memeql(tvb, 1, (const guint8 *)BT_PSTR, avail - 1) == 0) {
        /* a handshake cut short: waiting for its 20 identifying bytes is
         * bounded, and nothing else starts like this */
        *wait = TRUE;
        return NULL;
    }
    key = !handshake && !info->mid_stream && btpeer_mse_is_key_flight(tvb, 0);
    if (!handshake && !key && !info->mid_stream)
        return NULL;
    /* a stream picked up mid-way is ours only if it shows a message
     * boundary in its first bytes: other payloads stay data */
    if (!handshake && info->mid_stream && !btpeer_has_boundary(tvb))
        return NULL;
    conn = btpeer_conn_new();
    conn->state = key ? BTPEER_CONN_ENCRYPTED : BTPEER_CONN_PLAIN;
    if (key)
        conn->side[dir].mse_key_frame = pinfo->num;
    return conn;
}

static bt_heur_bool dissect_btpeer_heur_utp(tvbuff_t *tvb, packet_info *pinfo, proto_tree *tree, void *data)
{
    const utp_payload_info_t *info = (const utp_payload_info_t *)data;
    btpeer_conn_t *conn;
    const char *why = NULL;
    int dir;

    if (!info)
        return FALSE;
    dir = info->from_initiator ? 0 : 1;
    conn = (btpeer_conn_t *)wmem_map_lookup(btpeer_utp_conns, GUINT_TO_POINTER(info->stream));
    if (!conn) {
        gboolean wait;
        if (PINFO_FD_VISITED(pinfo))
            return FALSE;
        conn = utp_new_conn(tvb, pinfo, info, dir, &wait);
        if (wait && pinfo->can_desegment) {
            pinfo->desegment_offset = 0;
            pinfo->desegment_len = BT_PSTR_LEN + 1 - tvb_captured_length(tvb);
            return TRUE;
        }
        if (!conn)
            return FALSE;
        wmem_map_insert(btpeer_utp_conns, GUINT_TO_POINTER(info->stream), conn);
    } else if (!PINFO_FD_VISITED(pinfo) && info->stream_offset == 0 &&
               conn->state == BTPEER_CONN_ENCRYPTED && !conn->side[dir].mse_key_frame) {
        /* the other side's first flight */
        conn->side[dir].mse_key_frame = pinfo->num;
    }
    if (!PINFO_FD_VISITED(pinfo) && conn->state == BTPEER_CONN_PLAIN) {
        int avail = tvb_captured_length(tvb);
        gboolean handshake = avail >= BT_PSTR_LEN + 1 &&
                             bt_wire_is_handshake(tvb_get_ptr(tvb, 0, BT_PSTR_LEN + 1), BT_PSTR_LEN + 1);
        /* bytes that begin with a handshake begin at a boundary, whatever
         * was flagged before them */
        if (info->after_gap && !handshake)
            why = WHY_UTP_GAP;
        else if (info->mid_stream && !handshake)
            why = WHY_UTP_MIDSTREAM;
    }
    btpeer_dissect_stream(tvb, pinfo, tree, conn, dir, why, 0);
    return TRUE;
}

void btpeer_utp_register(void)
{
    btpeer_utp_conns = wmem_map_new_autoreset(wmem_epan_scope(), wmem_file_scope(), g_direct_hash, g_direct_equal);
}

void btpeer_utp_handoff(void)
{
    if (has_heur_dissector_list(UTP_PAYLOAD_HEUR_LIST))
        heur_dissector_add(UTP_PAYLOAD_HEUR_LIST, dissect_btpeer_heur_utp, "BitTorrent peer wire over uTP",
                           "btpeer_utp", proto_btpeer, HEURISTIC_ENABLE);
}
