/* bt-hidden.h
 * When a hidden field that only repeats a shown one is worth adding.  A
 * hidden item is not printed in a shown tree (GUI details, tshark -V)
 * unless the user turned on "Display hidden protocol items"; filters,
 * columns and -T fields -e mark the fields they name as referenced.  Whole
 * tree exports (-T pdml, -T json) do print hidden items, so only fields
 * whose value is already in a shown field go through this: the uTP
 * connection completeness bits (utp.completeness.*, each a bit of the shown
 * utp.completeness).  Adding them on every packet of a -V run cost about
 * 1,800 instructions a packet (5 items) for output nobody sees.
 * Shared by every plugin (header only).
 */
#ifndef BT_HIDDEN_H
#define BT_HIDDEN_H

#include <epan/proto.h>
#include <epan/prefs.h>

static inline gboolean
bt_hidden_wanted(proto_tree *tree, int hf)
{
    if (!tree)
        return FALSE;
    return proto_registrar_get_nth((guint)hf)->ref_type != HF_REF_TYPE_NONE || prefs.display_hidden_proto_items;
}

#endif
