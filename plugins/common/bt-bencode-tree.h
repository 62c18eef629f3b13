/* bt-bencode-tree.h
 * Any bencoded value (BEP 3) as a protocol tree, shared by btpeer (extension
 * messages, BEP 10) and btdht (KRPC, BEP 5/44): one source compiled into both
 * plugins (see CMakeLists.txt here).  Each plugin registers and owns its
 * fields (btpeer.bencode.*, btdht.bencode.*) and passes their ids here.
 */
#ifndef BT_BENCODE_TREE_H
#define BT_BENCODE_TREE_H

#include <epan/packet.h>

#include "bencode.h"

/* Entries beyond the budget: the caller's "not itemised" item and expert note. */
typedef void (*bt_bencode_more_fn)(tvbuff_t *tvb, packet_info *pinfo, proto_tree *tree, int offset, int len,
                                   guint more);

/* The caller's field and subtree ids (pointers: they are set at registration). */
typedef struct {
    int *hf_dict, *hf_list, *hf_key, *hf_int, *hf_string, *hf_bytes;
    int *ett_value;              /* a dictionary's or list's children */
    int *ett_entry;              /* a dictionary key's value */
    bt_bencode_more_fn more_items;
    /* TRUE: an empty string is "" (in a list) or only the key's summary (in a
     * dictionary); FALSE: an empty string item like any other */
    gboolean quote_empty;
} bt_bencode_tree_ids_t;

/* Adds v (already parsed from buf, the whole tvb of len bytes) under tree,
 * recursing at most depth levels and itemising at most max_items entries in
 * all (the rest are counted through ids->more_items).  Returns v's item. */
proto_item *bt_bencode_tree_add(const bt_bencode_tree_ids_t *ids, tvbuff_t *tvb, packet_info *pinfo,
                                proto_tree *tree, const guint8 *buf, size_t len, const bencode_value_t *v,
                                unsigned depth, guint max_items);

#endif /* BT_BENCODE_TREE_H */
