/* btpeer-flow.c
 * The timeline of peer-wire connections (issue 10 item 6): a sequence
 * analysis named "btpeer" fed by the "btpeer" tap (btpeer-tap.h), so
 * Statistics > Flow Graph (flow type "BitTorrent peer wire") and tshark
 * -z flow,btpeer,network show, per pair of peers, the order of the protocol:
 * handshake (BEP 3) -> extension handshake (BEP 10) -> bitfield / have all
 * (BEP 3, 6) -> interested -> unchoke -> requests / pieces (and BEP 9
 * metadata, BEP 52 hash messages, MSE/PE bytes); a handshake's comment says
 * in which earlier frame LSD (BEP 14) or a tracker (BEP 3, 15) announced its
 * info hash and the peer (the discovery store, bt-discovery.h).  The transport's own
 * packets (TCP SYN/FIN, uTP SYN/STATE/FIN/RESET) are in the tcp and utp
 * flows (plugins/utp/utp-flow.c).
 *
 * One arrow per frame and direction: a frame carrying several PDUs gets one
 * label listing their names in order, runs of the same name counted
 * ("Piece x4"); the comment names the transport and details the first
 * piece-related PDU of the frame.
 */
#include <epan/packet.h>
#include <epan/tap.h>

#include "btpeer.h"
#include "btpeer-tap.h"
#include "peerwire.h"
#include "ws-compat.h"
#include "common/bt-flow-item.h"

G_STATIC_ASSERT(sizeof(seq_analysis_item_t) == BT_SEQ_ITEM_SIZE);

/* A label longer than this stops growing (ends in "..."): a frame of 2,000
 * keep-alives or haves would otherwise make an arrow label of kilobytes. */
#define FLOW_MAX_LABEL 160

static const value_string flow_msg_names[] = {
    { BT_MSG_CHOKE,          "Choke" },
    { BT_MSG_UNCHOKE,        "Unchoke" },
    { BT_MSG_INTERESTED,     "Interested" },
    { BT_MSG_NOT_INTERESTED, "Not interested" },
    { BT_MSG_HAVE,           "Have" },
    { BT_MSG_BITFIELD,       "Bitfield" },
    { BT_MSG_REQUEST,        "Request" },
    { BT_MSG_PIECE,          "Piece" },
    { BT_MSG_CANCEL,         "Cancel" },
    { BT_MSG_PORT,           "Port" },
    { BT_MSG_SUGGEST,        "Suggest" },
    { BT_MSG_HAVE_ALL,       "Have all" },
    { BT_MSG_HAVE_NONE,      "Have none" },
    { BT_MSG_REJECT,         "Reject" },
    { BT_MSG_ALLOWED_FAST,   "Allowed fast" },
    { BT_MSG_HASH_REQUEST,   "Hash request" },
    { BT_MSG_HASHES,         "Hashes" },
    { BT_MSG_HASH_REJECT,    "Hash reject" },
    { 0, NULL }
};

/* The name of one PDU on the arrow (pinfo->pool). */
static const char *pdu_name(packet_info *pinfo, const btpeer_tap_t *t)
{
    const char *name;

    switch (t->kind) {
    case BTPEER_TAP_HANDSHAKE:  return "Handshake";
    case BTPEER_TAP_KEEPALIVES: return "Keep-alive";
    case BTPEER_TAP_ENCRYPTED:  return "MSE/PE encrypted";
    default: break;
    }
    if (t->msg_id == BT_MSG_EXTENDED)
        name = !t->ext_name ? "Extended" : strcmp(t->ext_name, "handshake") == 0 ? "Ext handshake"
             : wmem_strdup(pinfo->pool, t->ext_name);
    else
        name = val_to_str(pinfo->pool, (guint32)t->msg_id, flow_msg_names, "Message %u");
    return t->kind == BTPEER_TAP_PARTIAL ? wmem_strdup_printf(pinfo->pool, "%s (part)", name) : name;
}

/* label + name: "A, B" or, when label ends with name, "name x2" (x3...). */
static gchar *label_add(const gchar *label, const char *name)
{
    size_t ln = strlen(label), nn = strlen(name);
    const char *tail;
    guint n = 1;

    if (ln >= FLOW_MAX_LABEL)
        return g_strdup(label);
    /* the last entry: after the last ", " */
    tail = g_strrstr(label, ", ");
    tail = tail ? tail + 2 : label;
    if (strncmp(tail, name, nn) == 0 && (tail[nn] == '\0' || (tail[nn] == ' ' && tail[nn + 1] == 'x'))) {
        gchar *head = g_strndup(label, (gsize)(tail - label)), *r;
        if (tail[nn] == ' ')
            n = (guint)strtoul(tail + nn + 2, NULL, 10);
        r = g_strdup_printf("%s%s x%u", head, name, n + 1);
        g_free(head);
        return r;
    }
    if (ln + nn + 2 >= FLOW_MAX_LABEL)
        return g_strdup_printf("%s, ...", label);
    return g_strdup_printf("%s, %s", label, name);
}

/* A handshake's comment: what announced its info hash and endpoint before. */
static gchar *handshake_comment(const char *tr, const btpeer_tap_t *t)
{
    GString *s = g_string_new(tr);

    if (t->info_hash_frame)
        g_string_append_printf(s, "; info hash announced in frame %u (%s)", t->info_hash_frame,
                               t->info_hash_source ? t->info_hash_source : "?");
    if (t->peer_frame)
        g_string_append_printf(s, "; peer announced in frame %u (%s)", t->peer_frame,
                               t->peer_source ? t->peer_source : "?");
    return g_string_free(s, FALSE);
}

static gchar *comment_for(const btpeer_tap_t *t)
{
    const char *tr = t->utp ? "BT-Peer over uTP" : "BT-Peer over TCP";

    if (t->kind == BTPEER_TAP_HANDSHAKE)
        return handshake_comment(tr, t);
    if (t->kind != BTPEER_TAP_MESSAGE)
        return g_strdup(tr);
    switch (t->msg_id) {
    case BT_MSG_PIECE:
        return g_strdup_printf("%s: piece %u, begin %u, %u bytes", tr, t->index, t->begin, t->length);
    case BT_MSG_REQUEST:
    case BT_MSG_CANCEL:
    case BT_MSG_REJECT:
        return g_strdup_printf("%s: piece %u, begin %u, length %u", tr, t->index, t->begin, t->length);
    case BT_MSG_HAVE:
        return g_strdup_printf("%s: piece %u", tr, t->index);
    case BT_MSG_BITFIELD:
        return g_strdup_printf("%s: %u of %u pieces", tr, t->bits_set, t->bits_len);
    default:
        return g_strdup(tr);
    }
}

static tap_packet_status btpeer_flow_packet(void *tapdata, packet_info *pinfo, epan_dissect_t *edt _U_,
                                            const void *data, tap_flags_t flags _U_)
{
    seq_analysis_info_t *sainfo = (seq_analysis_info_t *)tapdata;
    const btpeer_tap_t *t = (const btpeer_tap_t *)data;
    seq_analysis_item_t *sai;
    const char *name;

    if (!t)
        return TAP_PACKET_DONT_REDRAW;
    name = pdu_name(pinfo, t);
    /* this frame (one direction) already has its arrow: add to its label */
    sai = (seq_analysis_item_t *)g_queue_peek_tail(sainfo->items);
    if (sai && sai->frame_number == pinfo->num) {
        gchar *label = label_add(sai->frame_label, name);
        g_free(sai->frame_label);
        sai->frame_label = label;
        return TAP_PACKET_REDRAW;
    }
    if (!bt_flow_add_item(sainfo, pinfo, g_strdup(name), comment_for(t), 0))
        return TAP_PACKET_DONT_REDRAW;
    return TAP_PACKET_REDRAW;
}

void btpeer_register_flow(void)
{
    register_seq_analysis("btpeer", "BitTorrent peer wire", proto_btpeer, "btpeer", TL_REQUIRES_NOTHING,
                          btpeer_flow_packet);
}
