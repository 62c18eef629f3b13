/* utp-flow.c
 * The timeline of uTP connections (BEP 29): a sequence analysis named "utp"
 * fed by the "utp" tap (utp_tap_info_t, utp-int.h), so Statistics > Flow
 * Graph (flow type "uTP") and tshark -z flow,utp,network show one arrow per
 * uTP packet labelled with its type and relative sequence and
 * acknowledgement numbers (the first-pass analysis of utp-analysis.c: seq
 * relative to the sender's SYN or first packet, ack to the other side's);
 * the comment adds the payload length, the connection's stream number and
 * the analysis flags an analyst looks for (retransmission, duplicate ACK,
 * previous packets not captured).
 */
#include <epan/packet.h>
#include <epan/tap.h>

#include "utp-int.h"
#include "ws-compat.h"
#include "common/bt-flow-item.h"

static gchar *utp_flow_label(const utp_tap_info_t *t)
{
    const char *type = t->fa && t->fa->v0 ? "v0 " : "";
    const char *name = val_to_str_const(t->hdr->type, utp_type_vals, "?");
    GString *s = g_string_new(NULL);

    g_string_printf(s, "%s%s", type, name);
    if (t->fa && (t->fa->flags & UTP_A_REL_SEQ))
        g_string_append_printf(s, " Seq=%u", t->fa->rel_seq);
    else
        g_string_append_printf(s, " seq_nr=%u", t->hdr->seq);
    /* a SYN acknowledges nothing */
    if (t->fa && (t->fa->flags & UTP_A_REL_ACK))
        g_string_append_printf(s, " Ack=%u", t->fa->rel_ack);
    else if (t->hdr->type != UTP_ST_SYN)
        g_string_append_printf(s, " ack_nr=%u", t->hdr->ack);
    return g_string_free(s, FALSE);
}

static gchar *utp_flow_comment(const utp_tap_info_t *t)
{
    GString *s = g_string_new("uTP");

    if (t->conn)
        g_string_append_printf(s, " stream %u", t->conn->stream);
    g_string_append_printf(s, ", Len=%u", (guint)t->hdr->payload_len);
    if (t->fa && (t->fa->flags & UTP_A_RETRANS))
        g_string_append(s, ", retransmission");
    if (t->fa && (t->fa->flags & UTP_A_DUP_ACK))
        g_string_append(s, ", duplicate ACK");
    if (t->fa && (t->fa->flags & UTP_A_LOST))
        g_string_append(s, ", previous packets not captured");
    return g_string_free(s, FALSE);
}

static tap_packet_status utp_flow_packet(void *tapdata, packet_info *pinfo, epan_dissect_t *edt _U_,
                                         const void *data, tap_flags_t flags _U_)
{
    seq_analysis_info_t *sainfo = (seq_analysis_info_t *)tapdata;
    const utp_tap_info_t *t = (const utp_tap_info_t *)data;

    if (!t || !t->hdr)
        return TAP_PACKET_DONT_REDRAW;
    if (!bt_flow_add_item(sainfo, pinfo, utp_flow_label(t), utp_flow_comment(t),
                          t->conn ? (guint16)t->conn->stream : 0))
        return TAP_PACKET_DONT_REDRAW;
    return TAP_PACKET_REDRAW;
}

void utp_flow_register(void)
{
    register_seq_analysis("utp", "uTP", proto_utp, "utp", TL_REQUIRES_NOTHING, utp_flow_packet);
}
