/* utp-stats.c
 * Statistics over uTP (BEP 29) connections: the conversation/endpoint tables
 * (tshark -z conv,utp / -z endpoints,utp), with port columns.  Their rows are
 * of type CONVERSATION_BT_UTP, not UDP: the Conversations dialog of 4.0
 * opens Follow UDP Stream for UDP rows (with our stream number taken as a
 * udp.stream); for other types its Follow button does nothing, and newer
 * dialogs pick the follower registered by the tab's protocol (Follow uTP).
 * The per-connection statistics table is utp-conn-table.c.
 */
#include <epan/packet.h>
#include <epan/tap.h>
#include <epan/conversation_table.h>
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
                                             CONVERSATION_BT_UTP);
    return TAP_PACKET_REDRAW;
}

static tap_packet_status
utp_endpoint_packet(void *pit, packet_info *pinfo, epan_dissect_t *edt _U_, const void *vip _U_,
                    tap_flags_t flags)
{
    conv_hash_t *hash = (conv_hash_t *)pit;
    hash->flags = flags;
    add_endpoint_table_data(hash, &pinfo->src, pinfo->srcport, TRUE, 1, pinfo->fd->pkt_len,
                            &utp_endpoint_dissector_info, ENDPOINT_BT_UTP);
    add_endpoint_table_data(hash, &pinfo->dst, pinfo->destport, FALSE, 1, pinfo->fd->pkt_len,
                            &utp_endpoint_dissector_info, ENDPOINT_BT_UTP);
    return TAP_PACKET_REDRAW;
}

void
utp_stats_register(void)
{
    /* ports shown: several uTP connections may share a host pair */
    register_conversation_table(proto_utp, FALSE, utp_conversation_packet, utp_endpoint_packet);
    utp_conn_table_register();
}
