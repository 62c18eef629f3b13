/* bt-flow-item.c
 * One arrow of a sequence analysis, for the utp and btpeer flows
 * (bt-flow-item.h).
 */
#include "common/bt-flow-item.h"

/* The item layout our code writes must be the running Wireshark's
 * (ws-compat.h: sizes per release). */
G_STATIC_ASSERT(sizeof(seq_analysis_item_t) == BT_SEQ_ITEM_SIZE);

gboolean bt_flow_add_item(seq_analysis_info_t *sainfo, packet_info *pinfo, gchar *label, gchar *comment,
                          guint16 conv_num)
{
    seq_analysis_item_t *sai = sequence_analysis_create_sai_with_addresses(pinfo, sainfo);

    if (!sai) {
        g_free(label);
        g_free(comment);
        return FALSE;
    }
    sai->frame_number = pinfo->num;
    sai->port_src = (guint16)pinfo->srcport;
    sai->port_dst = (guint16)pinfo->destport;
    sai->frame_label = label;
    sai->comment = comment;
    sai->line_style = 1;
    sai->conv_num = conv_num;
    sai->display = TRUE;
    g_queue_push_tail(sainfo->items, sai);
    return TRUE;
}
