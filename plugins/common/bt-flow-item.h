/* bt-flow-item.h
 * One arrow of a sequence analysis (Statistics > Flow Graph, tshark -z flow),
 * shared by the "utp" (BEP 29, plugins/utp/utp-flow.c) and "btpeer" (BEP 3,
 * plugins/bt-handshake/btpeer-flow.c) flows: one source compiled into both
 * plugins (see CMakeLists.txt here).
 */
#ifndef BT_FLOW_ITEM_H
#define BT_FLOW_ITEM_H

#include <epan/packet.h>
#include <epan/tap.h>

#include "ws-compat.h"

/* Appends an arrow for this frame (its addresses and ports) with label and
 * comment (g_malloc'd; taken over, freed if no item could be made) in
 * conversation conv_num.  Returns FALSE when none was made. */
gboolean bt_flow_add_item(seq_analysis_info_t *sainfo, packet_info *pinfo, gchar *label, gchar *comment,
                          guint16 conv_num);

#endif /* BT_FLOW_ITEM_H */
