/* packet-btpeer.c
 * BitTorrent peer wire protocol (BEP 3 and extensions), filter name "btpeer":
 * registration and the PDU loop (the transports are btpeer-tcp.c and
 * btpeer-utp.c).
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
#include <epan/proto_data.h>

#include "btpeer.h"
#include "btpeer-tap.h"
#include "discovery/bt-discovery-store.h"
#include "peerwire.h"
#include "mse.h"
#include "ws-compat.h"

void proto_register_btpeer(void);
void proto_reg_handoff_btpeer(void);

int proto_btpeer = -1;

static int ett_btpeer = -1;


/* A message longer than this is taken as garbage, not waited for.  The
 * largest legitimate messages are a piece (16 KiB block + 9), a bitfield
 * (one bit per piece: 32 KiB for 4 GiB in 16 KiB pieces) and BEP 52 hashes
 * (up to 512 hashes of 32 bytes); libtorrent refuses anything above its
 * 2 MiB receive buffer, and so do we by default. */
#define BTPEER_DEFAULT_MAX_MSG_LEN (2u * 1024u * 1024u)

guint    btpeer_pref_max_msg_len = BTPEER_DEFAULT_MAX_MSG_LEN;
bt_pref_bool btpeer_pref_client_names = TRUE;
bt_pref_bool btpeer_pref_track_requests = TRUE;

/* Keys of the per-frame data: the packet-scope counters and Info flag, and
 * the file-scope list of how calls of the frame start (few frames have
 * one; the PDU records are in btpeer-records.c). */
#define BTPEER_KEY_PACKET  0
#define BTPEER_KEY_INFO    1
#define BTPEER_KEY_STARTS  2

/* What an MSE connection's call holds (btpeer_start_t.mse). */
enum {
    BTPEER_MSE_NONE = 0,       /* plaintext (or not an MSE call)              */
    BTPEER_MSE_ALL,            /* encrypted bytes only                        */
    BTPEER_MSE_THEN_PLAIN      /* end of negotiation, then plaintext at mse_at */
};

/* How one call of a frame starts (see call_start). */
typedef struct btpeer_start {
    const char *why;           /* no known boundary: why, else NULL           */
    guint32     gap;           /* bytes missing before this call              */
    guint32     skip;          /* bytes of a partly shown message first       */
    guint       call;          /* which call of the frame (1-based)           */
    int         mse;           /* BTPEER_MSE_*                                */
    int         mse_at;        /* BTPEER_MSE_THEN_PLAIN: handshake offset     */
    struct btpeer_start *next;
} btpeer_start_t;

/* Packet scope: counters of this dissection of the frame. */
typedef struct {
    guint pdus;
    guint calls;
} btpeer_packet_t;

btpeer_conn_t *btpeer_conn_new(void)
{
    return wmem_new0(wmem_file_scope(), btpeer_conn_t);
}

static btpeer_packet_t *packet_record(packet_info *pinfo)
{
    btpeer_packet_t *pk = (btpeer_packet_t *)p_get_proto_data(pinfo->pool, pinfo, proto_btpeer, BTPEER_KEY_PACKET);
    if (!pk) {
        pk = wmem_new0(pinfo->pool, btpeer_packet_t);
        p_add_proto_data(pinfo->pool, pinfo, proto_btpeer, BTPEER_KEY_PACKET, pk);
    }
    return pk;
}

/* The analysis record of the next PDU in this frame (btpeer-records.c).
 * PDUs are counted in the order they are dissected within a frame, which is
 * the same on every pass because only complete PDUs are counted. */
static btpeer_pdu_t *pdu_record(packet_info *pinfo)
{
    return btpeer_pdu_record(pinfo, packet_record(pinfo)->pdus++);
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

typedef enum { PDU_HANDSHAKE, PDU_MESSAGE, PDU_KEEPALIVES, PDU_PARTIAL } pdu_kind_t;

static void dissect_pdu(tvbuff_t *tvb, packet_info *pinfo, proto_tree *tree,
                        btpeer_conn_t *conn, int dir, pdu_kind_t kind, guint count)
{
    btpeer_ctx_t ctx;

    ctx.tvb = tvb;
    ctx.pinfo = pinfo;
    ctx.pdu_item = proto_tree_add_item(tree, proto_btpeer, tvb, 0, -1, ENC_NA);
    ctx.tree = proto_item_add_subtree(ctx.pdu_item, ett_btpeer);
    ctx.conn = conn;
    ctx.dir = dir;
    ctx.pdu = pdu_record(pinfo);
    btpeer_torrent_attach(&ctx);
    if (kind == PDU_HANDSHAKE)
        btpeer_dissect_handshake(&ctx);
    else if (kind == PDU_KEEPALIVES)
        btpeer_dissect_keepalives(&ctx, count);
    else if (kind == PDU_PARTIAL)
        btpeer_dissect_partial(&ctx, count);
    else
        btpeer_dissect_message(&ctx);
    btpeer_torrent_attach(&ctx);   /* a handshake, or the metadata just completed */
    btpeer_torrent_show(&ctx);
    btpeer_export_frame(&ctx);
    btpeer_tap_pdu(&ctx, kind == PDU_HANDSHAKE ? BTPEER_TAP_HANDSHAKE : kind == PDU_KEEPALIVES ? BTPEER_TAP_KEEPALIVES
                         : kind == PDU_PARTIAL ? BTPEER_TAP_PARTIAL : BTPEER_TAP_MESSAGE, count);
}

/* Number of whole keep-alives (4 zero bytes) from offset on. */
static guint keepalive_run(tvbuff_t *tvb, int offset, int len)
{
    guint n = 0;
    while (offset + 4 <= len && tvb_get_ntohl(tvb, offset) == 0) {
        n++;
        offset += 4;
    }
    return n;
}

/* Decides, once per call, how this call starts: at no known message
 * boundary (why), after missing bytes (gap), or inside a message begun in
 * an earlier call that was shown in part (skip bytes of it).  Computed on
 * the first pass and replayed on later ones. */
static btpeer_start_t call_start(tvbuff_t *tvb, packet_info *pinfo, btpeer_conn_t *conn, int dir,
                                 const char *why_now, guint32 gap)
{
    btpeer_packet_t *pk = packet_record(pinfo);
    guint call = ++pk->calls;
    btpeer_side_t *side = &conn->side[dir];
    btpeer_start_t st = { NULL, 0, 0, 0, BTPEER_MSE_NONE, 0, NULL };
    btpeer_start_t *rec;

    if (PINFO_FD_VISITED(pinfo)) {
        if (btpeer_frame_encrypted_call(pinfo, call)) {
            st.mse = BTPEER_MSE_ALL;
            st.mse_at = -1;
            st.call = call;
            return st;
        }
        rec = (btpeer_start_t *)p_get_proto_data(wmem_file_scope(), pinfo, proto_btpeer, BTPEER_KEY_STARTS);
        for (; rec; rec = rec->next) {
            if (rec->call == call)
                return *rec;
        }
        return st;
    }
    if (conn->state == BTPEER_CONN_ENCRYPTED && !side->mse_plain) {
        st.mse_at = btpeer_mse_find_plaintext(tvb, side);
        st.mse = st.mse_at < 0 ? BTPEER_MSE_ALL : BTPEER_MSE_THEN_PLAIN;
        why_now = NULL;
        gap = 0;
    }
    st.why = why_now ? why_now : side->resync;
    st.gap = gap;
    /* a gap or a lost boundary voids the rest of a partial message */
    st.skip = st.why ? 0 : side->skip;
    side->skip = 0;
    if (!st.why && !st.gap && !st.skip && !st.mse)
        return st;
    st.call = call;
    /* the usual start on an encrypted connection (encrypted bytes only) is
     * a bit in the frame's record, not a record of its own */
    if (st.mse == BTPEER_MSE_ALL && st.mse_at == -1 && !st.why && !st.gap && !st.skip &&
        btpeer_frame_mark_encrypted_call(pinfo, call))
        return st;
    rec = wmem_new(wmem_file_scope(), btpeer_start_t);
    *rec = st;
    rec->next = (btpeer_start_t *)p_get_proto_data(wmem_file_scope(), pinfo, proto_btpeer, BTPEER_KEY_STARTS);
    p_set_proto_data(wmem_file_scope(), pinfo, proto_btpeer, BTPEER_KEY_STARTS, rec);
    return st;
}

/* Where the messages of this call begin: after the gap note, the rest of a
 * message shown in part earlier, and the bytes before the first boundary
 * found when the call starts at no known boundary. */
static int stream_start(tvbuff_t *tvb, packet_info *pinfo, proto_tree *tree, const btpeer_start_t *start,
                        guint32 *skip_next, const char **unsynced)
{
    int len = (int)tvb_reported_length(tvb);
    int offset = 0;

    if (start->gap)
        btpeer_show_gap(tvb, pinfo, tree, start->gap);
    if (start->skip) {
        offset = (int)MIN(start->skip, (guint32)len);
        btpeer_show_rest(tvb, pinfo, tree, offset, start->skip);
        *skip_next = start->skip - (guint32)offset;
    }
    if (start->why) {
        offset = btpeer_resync(tvb, pinfo, tree, 0, start->why);
        if (offset < 0) {
            *unsynced = start->why;
            offset = len;
        }
    }
    return offset;
}

/* The PDU loop shared by TCP and uTP.  Returns the number of bytes used.
 * resync: why these bytes start at no known boundary, or NULL. */
static int dissect_btpeer_stream(tvbuff_t *tvb, packet_info *pinfo, proto_tree *tree,
                                 btpeer_conn_t *conn, int dir, btpeer_start_t start)
{
    int len = (int)tvb_reported_length(tvb);
    int offset = 0;
    const char *unsynced = NULL;
    gboolean resynced;           /* the framing here was found by a search */
    guint32 skip_next = 0;

    col_set_str(pinfo->cinfo, COL_PROTOCOL, BTPEER_SHORT_NAME);
    /* a key flight dissected only on a later pass (the initiator's, on TCP)
     * has no record of its own */
    if (start.mse == BTPEER_MSE_ALL ||
        (conn->state == BTPEER_CONN_ENCRYPTED && conn->side[dir].mse_key_frame == pinfo->num)) {
        btpeer_dissect_encrypted(tvb, pinfo, tree, conn, dir);
        btpeer_tap_encrypted(pinfo, conn, dir, (guint)len);
        return len;
    }
    if (start.mse == BTPEER_MSE_THEN_PLAIN) {
        btpeer_dissect_mse_plaintext(tvb, pinfo, tree, start.mse_at);
        offset = start.mse_at;
    } else {
        offset = stream_start(tvb, pinfo, tree, &start, &skip_next, &unsynced);
    }
    resynced = start.why || start.skip;
    /* Each round consumes at least the 4-byte length prefix or ends. */
    while (offset < len) {
        int remaining = len - offset;
        int hdr_len = MIN(tvb_captured_length_remaining(tvb, offset), BT_PSTR_LEN + 1);
        guint64 pdu_len = 0;
        guint run;
        bt_frame_t kind = bt_wire_frame(tvb_get_ptr(tvb, offset, hdr_len), (size_t)hdr_len,
                                        btpeer_pref_max_msg_len, &pdu_len);

        if (kind == BT_FRAME_NEED_MORE && pdu_len != 0 && pdu_len <= (guint64)remaining)
            kind = pdu_len == BT_HANDSHAKE_LEN && tvb_get_uint8(tvb, offset) == BT_PSTR_LEN
                 ? BT_FRAME_HANDSHAKE : BT_FRAME_MESSAGE;
        switch (kind) {
        case BT_FRAME_NEED_MORE:
            if (resynced && pdu_len > (guint64)remaining && tvb_get_uint8(tvb, offset) != BT_PSTR_LEN) {
                /* The framing was found by a search, in a capture that
                 * already lost bytes: show this message in part and skip
                 * its rest by count, rather than have TCP hold the next
                 * segments for a message a further loss would never let
                 * complete. */
                dissect_pdu(tvb_new_subset_remaining(tvb, offset), pinfo, tree, conn, dir, PDU_PARTIAL,
                            (guint)pdu_len);
                skip_next = (guint32)(pdu_len - (guint64)remaining);
                offset = len;
                break;
            }
            if (pinfo->can_desegment) {
                pinfo->desegment_offset = offset;
                pinfo->desegment_len = pdu_len ? (guint32)(pdu_len - (guint64)remaining)
                                               : DESEGMENT_ONE_MORE_SEGMENT;
                offset = len;
                break;
            }
            /* No reassembly (switched off, or the transport's stream ended
             * inside this message): show what there is of it, its type and,
             * for a Piece, which block, as the built-in dissector does. */
            if (remaining > BT_LENGTH_PREFIX && pdu_len && tvb_get_uint8(tvb, offset) != BT_PSTR_LEN)
                dissect_pdu(tvb_new_subset_remaining(tvb, offset), pinfo, tree, conn, dir, PDU_PARTIAL,
                            (guint)pdu_len);
            else
                btpeer_dissect_too_long(tvb, pinfo, tree, offset, 0);
            offset = len;
            break;
        case BT_FRAME_TOO_LONG:
            /* Not a message: we lost the framing (a gap TCP did not flag,
             * or a broken peer).  Say so once, then look for the next
             * boundary instead of reading more absurd lengths. */
            btpeer_dissect_too_long(tvb, pinfo, tree, offset, pdu_len);
            offset = btpeer_resync(tvb, pinfo, tree, offset + BT_LENGTH_PREFIX, "after an invalid length");
            resynced = TRUE;
            if (offset < 0) {
                unsynced = "after an invalid length";
                offset = len;
            }
            break;
        case BT_FRAME_HANDSHAKE:
        case BT_FRAME_MESSAGE:
            run = pdu_len == BT_LENGTH_PREFIX ? keepalive_run(tvb, offset, len) : 0;
            if (run > 1) {
                /* one item for a run of keep-alives, not one per 4 bytes */
                dissect_pdu(tvb_new_subset_length(tvb, offset, (gint)(run * BT_LENGTH_PREFIX)), pinfo, tree,
                            conn, dir, PDU_KEEPALIVES, run);
                offset += (int)(run * BT_LENGTH_PREFIX);
                break;
            }
            dissect_pdu(tvb_new_subset_length(tvb, offset, (gint)pdu_len), pinfo, tree, conn, dir,
                        kind == BT_FRAME_HANDSHAKE ? PDU_HANDSHAKE : PDU_MESSAGE, 1);
            offset += (int)pdu_len;
            break;
        }
    }
    if (!PINFO_FD_VISITED(pinfo)) {
        conn->side[dir].resync = unsynced;
        conn->side[dir].skip = unsynced ? 0 : skip_next;
    }
    return len;
}

int btpeer_dissect_stream(tvbuff_t *tvb, packet_info *pinfo, proto_tree *tree, btpeer_conn_t *conn, int dir,
                          const char *why, guint32 gap)
{
    return dissect_btpeer_stream(tvb, pinfo, tree, conn, dir, call_start(tvb, pinfo, conn, dir, why, gap));
}

/* ---- registration ---- */

void proto_register_btpeer(void)
{
    static int *ett[] = { &ett_btpeer };
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
    btpeer_register_resync(proto_btpeer, em);
    btpeer_register_pieces(proto_btpeer, em);
    btpeer_register_hashes(proto_btpeer, em);
    btpeer_register_export(proto_btpeer);
    btpeer_register_records();

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
    btpeer_register_torrent(proto_btpeer, em, module);

    btpeer_utp_register();
    btpeer_register_tap();
    btpeer_register_swarm();
    btpeer_register_swarm_table();
    btpeer_register_swarm_tree();
    btpeer_register_flow();
    bt_discovery_register();
}

void proto_reg_handoff_btpeer(void)
{
    btpeer_tcp_handoff();
    btpeer_utp_handoff();
    bt_discovery_handoff();
}
