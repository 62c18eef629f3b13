/* utp-stats.c
 * Statistics over uTP (BEP 29) connections: the conversation/endpoint tables
 * (tshark -z conv,utp / -z endpoints,utp) and a stats tree with one node per
 * connection (tshark -z utp_conn,tree): packets, payload bytes,
 * retransmissions, RTT min/avg/max, maximum queuing delay, close reason.
 */
#include <epan/packet.h>
#include <epan/tap.h>
#include <epan/conversation_table.h>
#include <epan/stats_tree.h>
#include <epan/to_str.h>

#include "utp-int.h"
#include "ws-compat.h"

static const char *
utp_ct_filter(struct _conversation_item_t *conv, conv_filter_type_e filter)
{
    if (filter == CONV_FT_SRC_PORT)
        return "udp.srcport";
    if (filter == CONV_FT_DST_PORT)
        return "udp.dstport";
    if (filter == CONV_FT_ANY_PORT)
        return "udp.port";
    if (!conv)
        return CONV_FILTER_INVALID;
    if (conv->src_address.type == AT_IPv4) {
        if (filter == CONV_FT_SRC_ADDRESS) return "ip.src";
        if (filter == CONV_FT_DST_ADDRESS) return "ip.dst";
        if (filter == CONV_FT_ANY_ADDRESS) return "ip.addr";
    } else if (conv->src_address.type == AT_IPv6) {
        if (filter == CONV_FT_SRC_ADDRESS) return "ipv6.src";
        if (filter == CONV_FT_DST_ADDRESS) return "ipv6.dst";
        if (filter == CONV_FT_ANY_ADDRESS) return "ipv6.addr";
    }
    return CONV_FILTER_INVALID;
}

static ct_dissector_info_t utp_ct_dissector_info = { &utp_ct_filter };

static const char *
utp_endpoint_filter(endpoint_item_t *item, conv_filter_type_e filter)
{
    if (filter == CONV_FT_SRC_PORT || filter == CONV_FT_DST_PORT || filter == CONV_FT_ANY_PORT)
        return "udp.port";
    if (item->myaddress.type == AT_IPv4)
        return "ip.addr";
    if (item->myaddress.type == AT_IPv6)
        return "ipv6.addr";
    return CONV_FILTER_INVALID;
}

static et_dissector_info_t utp_endpoint_dissector_info = { &utp_endpoint_filter };

static tap_packet_status
utp_conversation_packet(void *pct, packet_info *pinfo, epan_dissect_t *edt _U_, const void *vip,
                        tap_flags_t flags)
{
    conv_hash_t *hash = (conv_hash_t *)pct;
    const utp_tap_info_t *t = (const utp_tap_info_t *)vip;
    hash->flags = flags;
    /* one row per uTP connection, even when several share a UDP port pair */
    add_conversation_table_data_with_conv_id(hash, &pinfo->src, &pinfo->dst, pinfo->srcport, pinfo->destport,
                                             (conv_id_t)t->conn->stream, 1, pinfo->fd->pkt_len,
                                             &pinfo->rel_ts, &pinfo->abs_ts, &utp_ct_dissector_info,
                                             CONVERSATION_UDP);
    return TAP_PACKET_REDRAW;
}

static tap_packet_status
utp_endpoint_packet(void *pit, packet_info *pinfo, epan_dissect_t *edt _U_, const void *vip _U_,
                    tap_flags_t flags)
{
    conv_hash_t *hash = (conv_hash_t *)pit;
    hash->flags = flags;
    add_endpoint_table_data(hash, &pinfo->src, pinfo->srcport, TRUE, 1, pinfo->fd->pkt_len,
                            &utp_endpoint_dissector_info, ENDPOINT_UDP);
    add_endpoint_table_data(hash, &pinfo->dst, pinfo->destport, FALSE, 1, pinfo->fd->pkt_len,
                            &utp_endpoint_dissector_info, ENDPOINT_UDP);
    return TAP_PACKET_REDRAW;
}

/* ---- stats tree ---- */

static const char st_str_conns[] = "uTP connections";
static int st_node_conns = -1;

static void
utp_stats_tree_init(stats_tree *st)
{
    st_node_conns = stats_tree_create_node(st, st_str_conns, 0, STAT_DT_INT, TRUE);
}

static tap_packet_status
utp_stats_tree_packet(stats_tree *st, packet_info *pinfo, epan_dissect_t *edt _U_, const void *p,
                      tap_flags_t flags _U_)
{
    const utp_tap_info_t *t = (const utp_tap_info_t *)p;
    const utp_conn_t *c = t->conn;
    const utp_frame_t *fa = t->fa;
    gchar *a0 = address_to_str(pinfo->pool, &c->addr[0]);
    gchar *a1 = address_to_str(pinfo->pool, &c->addr[1]);
    gchar *name = wmem_strdup_printf(pinfo->pool, "Stream %u: %s:%u <-> %s:%u", c->stream,
                                     a0, c->port[0], a1, c->port[1]);
    int node;

    tick_stat_node(st, st_str_conns, 0, FALSE);
    node = tick_stat_node(st, name, st_node_conns, TRUE);
    tick_stat_node(st, "Packets", node, FALSE);
    if (t->hdr->payload_len)
        increase_stat_node(st, "Payload bytes", node, FALSE, (gint)t->hdr->payload_len);
    if (fa->flags & UTP_A_RETRANS)
        tick_stat_node(st, "Retransmissions", node, FALSE);
    if (fa->flags & UTP_A_DUP_ACK)
        tick_stat_node(st, "Duplicate ACKs", node, FALSE);
    if (fa->flags & UTP_A_RTT) {
        gint us = (gint)MIN(fa->ack_rtt_ns / 1000, (gint64)G_MAXINT);
        avg_stat_node_add_value_int(st, "RTT (us)", node, FALSE, us);
    }
    if (fa->flags & UTP_A_DELAY)
        avg_stat_node_add_value_int(st, "Queuing delay (us)", node, FALSE,
                                    (gint)MIN(fa->one_way_delay - fa->base_delay, (guint32)G_MAXINT));
    if (c->have_close_reason && c->close_reason_frame == pinfo->num) {
        int cr = tick_stat_node(st, "Close reason", node, TRUE);
        tick_stat_node(st, val_to_str_const(c->close_reason, utp_close_reason_vals, "unknown"), cr, FALSE);
    }
    return TAP_PACKET_REDRAW;
}

void
utp_stats_register(void)
{
    register_conversation_table(proto_utp, TRUE, utp_conversation_packet, utp_endpoint_packet);
    stats_tree_register_plugin("utp", "utp_conn", "uTP/Connections", 0, utp_stats_tree_packet,
                               utp_stats_tree_init, NULL);
}
