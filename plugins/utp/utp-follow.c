/* utp-follow.c
 * Follow uTP Stream (BEP 29): the tap utp-reassembly.c feeds with each new
 * in-order byte of a connection exactly once, and the filters the Follow
 * dialog and `tshark -z follow,utp,...` use to pick a connection.
 */
#include <epan/packet.h>
#include <epan/tap.h>
#include <epan/follow.h>
#include <epan/to_str.h>

#include "utp-int.h"
#include "ws-compat.h"

static int utp_follow_tap = -1;

void
utp_follow_queue(packet_info *pinfo, tvbuff_t *bytes)
{
    if (have_tap_listener(utp_follow_tap))
        tap_queue_packet(utp_follow_tap, pinfo, bytes);
}

static gchar *
utp_follow_conv_filter(epan_dissect_t *edt _U_, packet_info *pinfo, guint *stream, guint *sub_stream _U_)
{
    utp_frame_t *fa = utp_frame_lookup(pinfo->num);
    if (!fa)
        return NULL;
    *stream = fa->stream;
    return g_strdup_printf("utp.stream eq %u", fa->stream);
}

static gchar *
utp_follow_index_filter(guint stream, guint sub_stream _U_)
{
    return g_strdup_printf("utp.stream eq %u", stream);
}

static gchar *
utp_follow_address_filter(address *src_addr, address *dst_addr, int src_port, int dst_port)
{
    const gchar *ip = (src_addr->type == AT_IPv6) ? "ipv6" : "ip";
    gchar *src = address_to_str(NULL, src_addr), *dst = address_to_str(NULL, dst_addr);
    gchar *f = g_strdup_printf("((%s.src eq %s and udp.srcport eq %d) and (%s.dst eq %s and udp.dstport eq %d))"
                               " or ((%s.src eq %s and udp.srcport eq %d) and (%s.dst eq %s and udp.dstport eq %d))",
                               ip, src, src_port, ip, dst, dst_port, ip, dst, dst_port, ip, src, src_port);
    wmem_free(NULL, src);
    wmem_free(NULL, dst);
    return f;
}

static gchar *
utp_port_to_display(wmem_allocator_t *allocator, guint port)
{
    return wmem_strdup_printf(allocator, "%u", port);
}

void
utp_follow_register(int proto)
{
    utp_follow_tap = register_tap("utp_follow");
    /* 4.4+: the stream count bounds the GUI's stream spin box.  No
     * sub-stream callback: a uTP connection carries one byte stream per
     * direction (TCP and UDP pass NULL too; a callback would make the Follow
     * dialog offer a sub-stream selector with nothing to select). */
    register_follow_stream(proto, "utp_follow", utp_follow_conv_filter, utp_follow_index_filter,
                           utp_follow_address_filter, utp_port_to_display, follow_tvb_tap_listener,
                           utp_analysis_stream_count, NULL);
}
