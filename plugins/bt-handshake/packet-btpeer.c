/* packet-btpeer.c
 * BitTorrent peer wire protocol (BEP 3 and extensions), filter name "btpeer":
 * registration, transports and the PDU loop.
 *
 * One transport-agnostic loop cuts the byte stream of one direction into
 * PDUs (the 68-byte handshake, then length-prefixed messages) and asks the
 * transport for more bytes through pinfo->desegment_offset/len.  TCP (found
 * by heuristic, or on ports 6881-6889) and uTP (the "utp.payload" heuristic
 * list of the uTP plugin, see plugins/utp/packet-utp.h) both feed it, so the
 * fields are the same on both transports.
 *
 *   handshake: <0x13><"BitTorrent protocol"><reserved 8><info_hash 20><peer_id 20>
 *   message:   <length u32 BE><id u8><payload length-1 bytes>   (length 0: keep-alive)
 */
#include <stdarg.h>

#include <epan/packet.h>
#include <epan/prefs.h>
#include <epan/conversation.h>
#include <epan/proto_data.h>
#include <epan/dissectors/packet-tcp.h>

#include "btpeer.h"
#include "peerwire.h"
#include "utp/packet-utp.h"
#include "ws-compat.h"

void proto_register_btpeer(void);
void proto_reg_handoff_btpeer(void);

int proto_btpeer = -1;

static int ett_btpeer = -1;

static dissector_handle_t btpeer_tcp_handle;

/* A message longer than this is taken as garbage, not waited for.  The
 * largest legitimate messages are a piece (16 KiB block + 9), a bitfield
 * (one bit per piece: 32 KiB for 4 GiB in 16 KiB pieces) and BEP 52 hashes
 * (up to 512 hashes of 32 bytes); libtorrent refuses anything above its
 * 2 MiB receive buffer, and so do we by default. */
#define BTPEER_DEFAULT_MAX_MSG_LEN (2u * 1024u * 1024u)
#define BTPEER_TCP_PORTS "6881-6889"

guint    btpeer_pref_max_msg_len = BTPEER_DEFAULT_MAX_MSG_LEN;
bt_pref_bool btpeer_pref_client_names = TRUE;
bt_pref_bool btpeer_pref_track_requests = TRUE;

/* uTP connections are told apart by utp.stream, not by UDP conversation:
 * several uTP connections can share one pair of UDP endpoints. */
static wmem_map_t *btpeer_utp_conns;

/* Keys of the per-frame data: the PDU counter lives in packet scope, the
 * per-PDU records in file scope under BTPEER_KEY_PDU + counter. */
#define BTPEER_KEY_COUNTER 0
#define BTPEER_KEY_INFO    1
#define BTPEER_KEY_PDU     16

static btpeer_conn_t *conn_new(void)
{
    return wmem_new0(wmem_file_scope(), btpeer_conn_t);
}

/* The analysis record of the next PDU in this frame.  PDUs are counted in
 * the order they are dissected within a frame, which is the same on every
 * pass because only complete PDUs are counted. */
static btpeer_pdu_t *pdu_record(packet_info *pinfo)
{
    guint *counter = (guint *)p_get_proto_data(pinfo->pool, pinfo, proto_btpeer, BTPEER_KEY_COUNTER);
    btpeer_pdu_t *pdu;

    if (!counter) {
        counter = wmem_new0(pinfo->pool, guint);
        p_add_proto_data(pinfo->pool, pinfo, proto_btpeer, BTPEER_KEY_COUNTER, counter);
    }
    pdu = (btpeer_pdu_t *)p_get_proto_data(wmem_file_scope(), pinfo, proto_btpeer, BTPEER_KEY_PDU + *counter);
    if (!pdu) {
        pdu = wmem_new0(wmem_file_scope(), btpeer_pdu_t);
        p_add_proto_data(wmem_file_scope(), pinfo, proto_btpeer, BTPEER_KEY_PDU + *counter, pdu);
    }
    (*counter)++;
    return pdu;
}

/* Appends one PDU's summary to the Info column (and to its tree item),
 * clearing the column at the first PDU of the frame: a frame may be handed
 * to us more than once, and each PDU adds its own summary. */
void btpeer_info_item(packet_info *pinfo, proto_item *item, const char *text)
{
    col_set_str(pinfo->cinfo, COL_PROTOCOL, BTPEER_SHORT_NAME);
    if (!p_get_proto_data(pinfo->pool, pinfo, proto_btpeer, BTPEER_KEY_INFO)) {
        p_add_proto_data(pinfo->pool, pinfo, proto_btpeer, BTPEER_KEY_INFO, GUINT_TO_POINTER(1));
        col_clear(pinfo->cinfo, COL_INFO);
        col_add_str(pinfo->cinfo, COL_INFO, text);
    } else {
        col_append_sep_str(pinfo->cinfo, COL_INFO, ", ", text);
    }
    proto_item_append_text(item, ", %s", text);
}

void btpeer_info(btpeer_ctx_t *ctx, const char *fmt, ...)
{
    va_list ap;
    char *text;

    va_start(ap, fmt);
    text = wmem_strdup_vprintf(ctx->pinfo->pool, fmt, ap);
    va_end(ap);
    btpeer_info_item(ctx->pinfo, ctx->pdu_item, text);
}

static void dissect_pdu(tvbuff_t *tvb, packet_info *pinfo, proto_tree *tree,
                        btpeer_conn_t *conn, int dir, gboolean handshake)
{
    btpeer_ctx_t ctx;

    ctx.tvb = tvb;
    ctx.pinfo = pinfo;
    ctx.pdu_item = proto_tree_add_item(tree, proto_btpeer, tvb, 0, -1, ENC_NA);
    ctx.tree = proto_item_add_subtree(ctx.pdu_item, ett_btpeer);
    ctx.conn = conn;
    ctx.dir = dir;
    ctx.pdu = pdu_record(pinfo);
    if (handshake)
        btpeer_dissect_handshake(&ctx);
    else
        btpeer_dissect_message(&ctx);
}

/* The PDU loop shared by TCP and uTP.  Returns the number of bytes used. */
static int dissect_btpeer_stream(tvbuff_t *tvb, packet_info *pinfo, proto_tree *tree,
                                 btpeer_conn_t *conn, int dir)
{
    int len = (int)tvb_reported_length(tvb);
    int offset = 0;

    col_set_str(pinfo->cinfo, COL_PROTOCOL, BTPEER_SHORT_NAME);
    if (conn->state == BTPEER_CONN_ENCRYPTED) {
        btpeer_dissect_encrypted(tvb, pinfo, tree, conn, dir);
        return len;
    }
    /* Each round consumes at least the 4-byte length prefix or ends. */
    while (offset < len) {
        int remaining = len - offset;
        int hdr_len = MIN(tvb_captured_length_remaining(tvb, offset), BT_PSTR_LEN + 1);
        guint64 pdu_len = 0;
        bt_frame_t kind = bt_wire_frame(tvb_get_ptr(tvb, offset, hdr_len), (size_t)hdr_len,
                                        btpeer_pref_max_msg_len, &pdu_len);

        if (kind == BT_FRAME_NEED_MORE && pdu_len != 0 && pdu_len <= (guint64)remaining)
            kind = pdu_len == BT_HANDSHAKE_LEN && tvb_get_uint8(tvb, offset) == BT_PSTR_LEN
                 ? BT_FRAME_HANDSHAKE : BT_FRAME_MESSAGE;
        switch (kind) {
        case BT_FRAME_NEED_MORE:
            if (pinfo->can_desegment) {
                pinfo->desegment_offset = offset;
                pinfo->desegment_len = pdu_len ? (guint32)(pdu_len - (guint64)remaining)
                                               : DESEGMENT_ONE_MORE_SEGMENT;
                return len;
            }
            /* No reassembly (e.g. TCP reassembly switched off): show what
             * there is as the start of a message. */
            btpeer_dissect_too_long(tvb, pinfo, tree, offset, 0);
            return len;
        case BT_FRAME_TOO_LONG:
            btpeer_dissect_too_long(tvb, pinfo, tree, offset, pdu_len);
            return len;
        case BT_FRAME_HANDSHAKE:
        case BT_FRAME_MESSAGE:
            dissect_pdu(tvb_new_subset_length(tvb, offset, (gint)pdu_len), pinfo, tree, conn, dir,
                        kind == BT_FRAME_HANDSHAKE);
            offset += (int)pdu_len;
            break;
        }
    }
    return len;
}

/* ---- TCP ---- */

static int tcp_direction(packet_info *pinfo, conversation_t *conv)
{
    struct tcp_analysis *tcpd = get_tcp_conversation_data(conv, pinfo);
    return (tcpd && tcpd->fwd == &tcpd->flow2) ? 1 : 0;
}

/* Decides, on the first pass, what a TCP connection carries.  A plaintext
 * handshake settles it at once.  MSE is only believed when the first payload
 * of *both* directions is a DH key flight: one random-looking segment is too
 * weak a sign on arbitrary TCP traffic. */
static void tcp_classify(tvbuff_t *tvb, packet_info *pinfo, btpeer_conn_t *conn, int dir)
{
    int avail = tvb_captured_length(tvb);
    btpeer_side_t *side = &conn->side[dir];

    if (PINFO_FD_VISITED(pinfo) || conn->state != BTPEER_CONN_PROBING)
        return;
    if (avail >= BT_PSTR_LEN + 1 && bt_wire_is_handshake(tvb_get_ptr(tvb, 0, BT_PSTR_LEN + 1), BT_PSTR_LEN + 1)) {
        conn->state = BTPEER_CONN_PLAIN;
    } else if (!side->payload_seen && btpeer_mse_is_key_flight(tvb, 0)) {
        side->mse_key_frame = pinfo->num;
        if (conn->side[!dir].mse_key_frame)
            conn->state = BTPEER_CONN_ENCRYPTED;
    }
    side->payload_seen = TRUE;
}

static int dissect_btpeer_tcp_common(tvbuff_t *tvb, packet_info *pinfo, proto_tree *tree, gboolean heuristic)
{
    conversation_t *conv = find_or_create_conversation(pinfo);
    btpeer_conn_t *conn = (btpeer_conn_t *)conversation_get_proto_data(conv, proto_btpeer);
    int dir = tcp_direction(pinfo, conv);

    if (!conn) {
        if (PINFO_FD_VISITED(pinfo))
            return 0;
        conn = conn_new();
        conversation_add_proto_data(conv, proto_btpeer, conn);
    }
    tcp_classify(tvb, pinfo, conn, dir);
    if (conn->state == BTPEER_CONN_PROBING)
        return 0;
    if (heuristic)
        conversation_set_dissector(conv, btpeer_tcp_handle);
    return dissect_btpeer_stream(tvb, pinfo, tree, conn, dir);
}

static int dissect_btpeer_tcp(tvbuff_t *tvb, packet_info *pinfo, proto_tree *tree, void *data _U_)
{
    return dissect_btpeer_tcp_common(tvb, pinfo, tree, FALSE);
}

static bt_heur_bool dissect_btpeer_heur_tcp(tvbuff_t *tvb, packet_info *pinfo, proto_tree *tree, void *data _U_)
{
    /* Cheap refusals first: too short for a handshake start or a DH key,
     * and no handshake magic with too few bytes for a key. */
    int avail = tvb_captured_length(tvb);
    if (avail < BT_PSTR_LEN + 1)
        return FALSE;
    if (tvb_get_uint8(tvb, 0) != BT_PSTR_LEN && avail < 96)
        return FALSE;
    return dissect_btpeer_tcp_common(tvb, pinfo, tree, TRUE) > 0;
}

/* ---- uTP ---- */

static bt_heur_bool dissect_btpeer_heur_utp(tvbuff_t *tvb, packet_info *pinfo, proto_tree *tree, void *data)
{
    const utp_payload_info_t *info = (const utp_payload_info_t *)data;
    btpeer_conn_t *conn;
    int dir, avail;

    if (!info)
        return FALSE;
    dir = info->from_initiator ? 0 : 1;
    conn = (btpeer_conn_t *)wmem_map_lookup(btpeer_utp_conns, GUINT_TO_POINTER(info->stream));
    avail = tvb_captured_length(tvb);
    if (!conn) {
        gboolean handshake, key;
        /* uTP carries nothing but the peer wire, so any stream start that is
         * a handshake or an MSE key is ours; wait for enough bytes to tell. */
        if (info->stream_offset != 0 || avail < 1)
            return FALSE;
        if (avail < BT_PSTR_LEN + 1 ||
            (tvb_get_uint8(tvb, 0) != BT_PSTR_LEN && avail < 96)) {
            if (!pinfo->can_desegment)
                return FALSE;
            pinfo->desegment_offset = 0;
            pinfo->desegment_len = (tvb_get_uint8(tvb, 0) == BT_PSTR_LEN ? BT_PSTR_LEN + 1 : 96) - avail;
            return TRUE;
        }
        handshake = bt_wire_is_handshake(tvb_get_ptr(tvb, 0, BT_PSTR_LEN + 1), BT_PSTR_LEN + 1);
        key = !handshake && btpeer_mse_is_key_flight(tvb, 0);
        if (!handshake && !key)
            return FALSE;
        conn = conn_new();
        conn->state = handshake ? BTPEER_CONN_PLAIN : BTPEER_CONN_ENCRYPTED;
        if (key)
            conn->side[dir].mse_key_frame = pinfo->num;
        wmem_map_insert(btpeer_utp_conns, GUINT_TO_POINTER(info->stream), conn);
    } else if (!PINFO_FD_VISITED(pinfo) && info->stream_offset == 0 &&
               conn->state == BTPEER_CONN_ENCRYPTED && !conn->side[dir].mse_key_frame) {
        /* the other side's first flight */
        conn->side[dir].mse_key_frame = pinfo->num;
    }
    dissect_btpeer_stream(tvb, pinfo, tree, conn, dir);
    return TRUE;
}

/* ---- registration ---- */

void proto_register_btpeer(void)
{
    static gint *ett[] = { &ett_btpeer };
    module_t *module;
    expert_module_t *em;

    proto_btpeer = proto_register_protocol("BitTorrent Peer Wire Protocol", BTPEER_SHORT_NAME, "btpeer");
    proto_register_subtree_array(ett, array_length(ett));
    em = expert_register_protocol(proto_btpeer);
    btpeer_register_handshake(proto_btpeer, em);
    btpeer_register_messages(proto_btpeer, em);
    btpeer_register_extended(proto_btpeer, em);
    btpeer_register_bencode(proto_btpeer, em);
    btpeer_register_requests(proto_btpeer, em);
    btpeer_register_mse(proto_btpeer, em);

    module = prefs_register_protocol(proto_btpeer, NULL);
    prefs_register_uint_preference(module, "max_message_length", "Largest message accepted (bytes)",
        "A length prefix above this is reported as invalid instead of being reassembled",
        10, &btpeer_pref_max_msg_len);
    prefs_register_bool_preference(module, "client_names", "Name clients from their peer id",
        "Show the client name and version read from the handshake's peer id (BEP 20)",
        &btpeer_pref_client_names);
    prefs_register_bool_preference(module, "track_requests", "Match requests with pieces",
        "Link request, piece, cancel and reject messages of a connection and compute latencies",
        &btpeer_pref_track_requests);

    btpeer_utp_conns = wmem_map_new_autoreset(wmem_epan_scope(), wmem_file_scope(), g_direct_hash, g_direct_equal);
}

void proto_reg_handoff_btpeer(void)
{
    btpeer_tcp_handle = create_dissector_handle(dissect_btpeer_tcp, proto_btpeer);
    heur_dissector_add("tcp", dissect_btpeer_heur_tcp, "BitTorrent peer wire over TCP", "btpeer_tcp",
                       proto_btpeer, HEURISTIC_ENABLE);
    /* Replaces the built-in "bittorrent" dissector on its ports. */
    dissector_add_uint_range_with_preference("tcp.port", BTPEER_TCP_PORTS, btpeer_tcp_handle);
    if (has_heur_dissector_list(UTP_PAYLOAD_HEUR_LIST))
        heur_dissector_add(UTP_PAYLOAD_HEUR_LIST, dissect_btpeer_heur_utp, "BitTorrent peer wire over uTP",
                           "btpeer_utp", proto_btpeer, HEURISTIC_ENABLE);
}
