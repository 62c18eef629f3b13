/* btpeer-tcp.c
 * The TCP transport of the BitTorrent peer wire (BEP 3), filter name
 * "btpeer": the TCP heuristic, the built-in dissector's ports 6881-6889
 * (given back to it when btpeer is disabled), Decode As, and what a TCP
 * connection carries (plaintext, MSE/PE, or not BitTorrent), decided on
 * evidence on the first pass.  The bytes go to the PDU loop of
 * packet-btpeer.c.
 */
#include <epan/packet.h>
#include <epan/conversation.h>
#include <epan/dissectors/packet-tcp.h>

#include "btpeer.h"
#include "discovery/bt-discovery-store.h"
#include "peerwire.h"
#include "ws-compat.h"

#define BTPEER_TCP_PORTS "6881-6889"

/* A heuristic that has not recognised a connection after this many bytes of
 * it gives up on it for good: the bytes are left to other dissectors (data).
 * A handshake or an MSE key is the first thing on a connection, so 4 KiB is
 * far more than needed and bounds the work spent on foreign traffic. */
#define BTPEER_PROBE_LIMIT 4096

/* tcp_flow_t.static_flags bits for "SYN seen" and "SYN-ACK seen" (the
 * TCP_S_SAW_SYN / TCP_S_SAW_SYNACK values of packet-tcp.c, not exported):
 * with either, the flow's first payload byte is the start of its stream. */
#define BTPEER_TCP_SAW_SYN_BITS 0x06

static dissector_handle_t btpeer_tcp_handle;
static dissector_handle_t btpeer_tcp_ports_handle;
static dissector_handle_t builtin_bittorrent_handle;   /* "bittorrent.tcp", or NULL */

static int tcp_direction(packet_info *pinfo, conversation_t *conv, gboolean *start_seen)
{
    struct tcp_analysis *tcpd = get_tcp_conversation_data(conv, pinfo);
    *start_seen = tcpd && (tcpd->fwd->static_flags & BTPEER_TCP_SAW_SYN_BITS);
    return (tcpd && tcpd->fwd == &tcpd->flow2) ? 1 : 0;
}

/* Whether the discovery dissectors saw either endpoint announced (LSD,
 * tracker, PEX) before this frame: evidence that the connection is
 * BitTorrent even without a handshake. */
static gboolean endpoint_announced(tvbuff_t *tvb, packet_info *pinfo)
{
    bt_discovery_query_t q;

    memset(&q, 0, sizeof(q));
    q.before_frame = pinfo->num;
    q.peer_addr = &pinfo->dst;
    q.peer_port = (guint16)pinfo->destport;
    bt_discovery_lookup(tvb, pinfo, &q);
    if (!q.peer_frame) {
        q.peer_addr = &pinfo->src;
        q.peer_port = (guint16)pinfo->srcport;
        bt_discovery_lookup(tvb, pinfo, &q);
    }
    return q.peer_frame != 0;
}

#define WHY_MIDSTREAM "capture started mid-connection"
#define WHY_GAP       "after a capture gap"

/* Decides, on the first pass, what a TCP connection carries (evidence only):
 * - a plaintext handshake in either direction makes it plaintext;
 * - MSE needs the first payload of *both* directions to be a DH key flight,
 *   each at the start of its stream (SYN seen) and before any other payload;
 * - without a handshake, it is plaintext BitTorrent picked up mid-way when
 *   the port or Decode As says so (trusted), or when the endpoint was
 *   announced by a discovery protocol before.
 * Returns why this direction's bytes start at no known boundary, or NULL. */
static const char *tcp_classify(tvbuff_t *tvb, packet_info *pinfo, btpeer_conn_t *conn, int dir,
                                gboolean trusted, gboolean start_seen)
{
    int avail = tvb_captured_length(tvb);
    btpeer_side_t *side = &conn->side[dir];
    gboolean first = !side->payload_seen;
    gboolean handshake = avail >= BT_PSTR_LEN + 1 &&
                         bt_wire_is_handshake(tvb_get_ptr(tvb, 0, BT_PSTR_LEN + 1), BT_PSTR_LEN + 1);
    const char *why = NULL;

    /* once per frame: when the port entry declines a frame (an MSE key
     * flight waiting for the other side's), TCP offers the same bytes to
     * the heuristic, which must not read them as a second segment */
    if (PINFO_FD_VISITED(pinfo) || side->classified_frame == pinfo->num)
        return NULL;
    side->classified_frame = pinfo->num;
    side->payload_seen = TRUE;
    if (conn->state == BTPEER_CONN_PLAIN) {
        /* the other direction was recognised: this one's first bytes are
         * its handshake, or it started before the capture */
        if (first && !handshake && !side->handshake_frame)
            why = WHY_MIDSTREAM;
        return why;
    }
    if (conn->state != BTPEER_CONN_PROBING)
        return NULL;
    if (handshake) {
        conn->state = BTPEER_CONN_PLAIN;
        return NULL;
    }
    if (first && start_seen && !conn->side[!dir].handshake_frame && btpeer_mse_is_key_flight(tvb, 0)) {
        side->mse_key_frame = pinfo->num;
        /* a first key flight is not dissected on this pass: count it here */
        if (!conn->side[!dir].mse_key_frame)
            side->mse_seen = (guint32)tvb_reported_length(tvb);
        if (conn->side[!dir].mse_key_frame)
            conn->state = BTPEER_CONN_ENCRYPTED;
        return NULL;
    }
    if (side->mse_key_frame || conn->side[!dir].mse_key_frame) {
        /* one key flight and then something else: not MSE after all */
        side->mse_key_frame = conn->side[!dir].mse_key_frame = 0;
    }
    if (trusted || (first && endpoint_announced(tvb, pinfo))) {
        conn->state = BTPEER_CONN_PLAIN;
        return WHY_MIDSTREAM;
    }
    conn->probe_bytes += (guint32)avail;
    if (conn->probe_bytes > BTPEER_PROBE_LIMIT)
        conn->state = BTPEER_CONN_REFUSED;
    return NULL;
}

/* First pass: bytes missing between the last call of this direction and
 * this one (TCP "previous segment not captured", or a message TCP could
 * never complete because a segment of it was lost). */
static guint32 tcp_gap(btpeer_side_t *side, const struct tcpinfo *ti)
{
    guint32 gap = 0;

    if (!ti)
        return 0;
    if (!ti->is_reassembled && side->seq_known && (gint32)(ti->seq - side->next_seq) > 0)
        gap = ti->seq - side->next_seq;
    if (!side->seq_known || (gint32)(ti->nxtseq - side->next_seq) > 0) {
        side->next_seq = ti->nxtseq;
        side->seq_known = TRUE;
    }
    return gap;
}

static int dissect_btpeer_tcp_common(tvbuff_t *tvb, packet_info *pinfo, proto_tree *tree,
                                     const struct tcpinfo *ti, gboolean heuristic)
{
    conversation_t *conv = find_or_create_conversation(pinfo);
    btpeer_conn_t *conn = (btpeer_conn_t *)conversation_get_proto_data(conv, proto_btpeer);
    gboolean start_seen;
    int dir = tcp_direction(pinfo, conv, &start_seen);
    const char *why = NULL;
    guint32 gap = 0;

    if (!conn) {
        if (PINFO_FD_VISITED(pinfo))
            return 0;
        conn = btpeer_conn_new();
        conversation_add_proto_data(conv, proto_btpeer, conn);
    }
    if (PINFO_FD_VISITED(pinfo)) {
        /* replay the first pass's decision for this frame */
        if (heuristic && !btpeer_frame_claimed(pinfo))
            return 0;
        if (conn->state == BTPEER_CONN_REFUSED || conn->state == BTPEER_CONN_PROBING)
            return 0;
    } else {
        why = tcp_classify(tvb, pinfo, conn, dir, !heuristic, start_seen);
        if (conn->state != BTPEER_CONN_PLAIN && conn->state != BTPEER_CONN_ENCRYPTED)
            return 0;
        /* gaps count in plaintext, and after a plaintext-selected MSE negotiation */
        gap = tcp_gap(&conn->side[dir], ti);
        if (conn->state == BTPEER_CONN_ENCRYPTED && !conn->side[dir].mse_plain)
            gap = 0;
        if (gap && !why)
            why = WHY_GAP;
        btpeer_claim_frame(pinfo);
    }
    if (heuristic)
        conversation_set_dissector(conv, btpeer_tcp_handle);
    return btpeer_dissect_stream(tvb, pinfo, tree, conn, dir, why, gap);
}

static int dissect_btpeer_tcp(tvbuff_t *tvb, packet_info *pinfo, proto_tree *tree, void *data)
{
    return dissect_btpeer_tcp_common(tvb, pinfo, tree, (const struct tcpinfo *)data, FALSE);
}

/* Ports 6881-6889 belong to the built-in "bittorrent" dissector as much as
 * to us.  This entry of the port table has no protocol of its own, so TCP
 * always calls it: it hands the bytes to btpeer while btpeer is enabled and
 * to the built-in dissector when btpeer is disabled (tshark
 * --disable-protocol, or Enabled Protocols in the GUI), which is what the
 * user would have had without the plugin. */
static int dissect_btpeer_tcp_ports(tvbuff_t *tvb, packet_info *pinfo, proto_tree *tree, void *data)
{
    if (proto_is_protocol_enabled(find_protocol_by_id(proto_btpeer)))
        return dissect_btpeer_tcp(tvb, pinfo, tree, data);
    if (builtin_bittorrent_handle) {
        /* every call_dissector lowers can_desegment by one: give the
         * built-in what TCP gave this entry, so that it reassembles as it
         * would if TCP had called it directly */
        pinfo->can_desegment = pinfo->saved_can_desegment;
        return call_dissector_only(builtin_bittorrent_handle, tvb, pinfo, tree, data);
    }
    return 0;
}

static bt_heur_bool dissect_btpeer_heur_tcp(tvbuff_t *tvb, packet_info *pinfo, proto_tree *tree, void *data)
{
    return dissect_btpeer_tcp_common(tvb, pinfo, tree, (const struct tcpinfo *)data, TRUE) > 0;
}

void btpeer_tcp_handoff(void)
{
    range_t *ports = NULL;

    btpeer_tcp_handle = create_dissector_handle(dissect_btpeer_tcp, proto_btpeer);
    heur_dissector_add("tcp", dissect_btpeer_heur_tcp, "BitTorrent peer wire over TCP", "btpeer_tcp",
                       proto_btpeer, HEURISTIC_ENABLE);
    /* Takes the built-in "bittorrent" dissector's ports through a
     * protocol-less entry that gives them back to it when btpeer is
     * disabled (see dissect_btpeer_tcp_ports); btpeer itself is offered
     * for Decode As on any port. */
    builtin_bittorrent_handle = find_dissector("bittorrent.tcp");
    range_convert_str(wmem_epan_scope(), &ports, BTPEER_TCP_PORTS, 65535);
    btpeer_tcp_ports_handle = create_dissector_handle_with_name_and_description(dissect_btpeer_tcp_ports, -1,
        "btpeer.tcp_ports", "BitTorrent peer wire (btpeer, or the built-in bittorrent when btpeer is disabled)");
    dissector_add_uint_range("tcp.port", ports, btpeer_tcp_ports_handle);
    dissector_add_for_decode_as("tcp.port", btpeer_tcp_handle);
}
