/* btdht-bencode.c
 * Any bencoded value (BEP 3) of a DHT message as a tree, under
 * btdht.bencode.*: the keys no BEP this plugin knows defines (shown, never
 * dropped) and BEP 44 items ("v" of get/put), whose content is the user's.
 * The value was validated by krpc_parse with KRPC_MAX_DEPTH, so the display
 * recurses at most that deep; at most BTDHT_MAX_ITEMS entries per message
 * are itemised (one budget for the whole value).  The tree itself is drawn by
 * plugins/common/bt-bencode-tree.c (shared with btpeer) with this file's fields.
 */
#include "btdht.h"

#include "common/bt-bencode-tree.h"

static int hf_btdht_bencode_dict = -1;
static int hf_btdht_bencode_list = -1;
static int hf_btdht_bencode_key = -1;
static int hf_btdht_bencode_int = -1;
static int hf_btdht_bencode_string = -1;
static int hf_btdht_bencode_bytes = -1;
static int hf_btdht_more_items = -1;

static int ett_btdht_bencode = -1;
static int ett_btdht_bencode_entry = -1;

static expert_field ei_btdht_more_items = EI_INIT;

void btdht_more_items(tvbuff_t *tvb, packet_info *pinfo, proto_tree *tree, int offset, int len, guint more)
{
    proto_item *it = proto_tree_add_uint(tree, hf_btdht_more_items, tvb, offset, len, more);
    proto_item_set_generated(it);
    expert_add_info_format(pinfo, it, &ei_btdht_more_items, "%u more entries not itemised (at most %u are shown)",
                           more, BTDHT_MAX_ITEMS);
}

static const bt_bencode_tree_ids_t tree_ids = {
    &hf_btdht_bencode_dict, &hf_btdht_bencode_list, &hf_btdht_bencode_key, &hf_btdht_bencode_int,
    &hf_btdht_bencode_string, &hf_btdht_bencode_bytes, &ett_btdht_bencode, &ett_btdht_bencode_entry,
    btdht_more_items, FALSE
};

void btdht_bencode_value(tvbuff_t *tvb, packet_info *pinfo, proto_tree *tree, const guint8 *buf,
                         const bencode_value_t *v)
{
    bt_bencode_tree_add(&tree_ids, tvb, pinfo, tree, buf, tvb_captured_length(tvb), v, KRPC_MAX_DEPTH,
                        BTDHT_MAX_ITEMS);
}

void btdht_bencode_register(int proto, expert_module_t *em)
{
    static hf_register_info hf[] = {
        { &hf_btdht_bencode_dict,
          { "Dictionary", "btdht.bencode.dict", FT_NONE, BASE_NONE, NULL, 0x0, NULL, HFILL } },
        { &hf_btdht_bencode_list,
          { "List", "btdht.bencode.list", FT_NONE, BASE_NONE, NULL, 0x0, NULL, HFILL } },
        { &hf_btdht_bencode_key,
          { "Key", "btdht.bencode.key", FT_STRING, BASE_NONE, NULL, 0x0,
            "A dictionary key (keys no DHT BEP defines are shown this way)", HFILL } },
        { &hf_btdht_bencode_int,
          { "Integer", "btdht.bencode.int", FT_INT64, BASE_DEC, NULL, 0x0, NULL, HFILL } },
        { &hf_btdht_bencode_string,
          { "String", "btdht.bencode.string", FT_STRING, BASE_NONE, NULL, 0x0, NULL, HFILL } },
        { &hf_btdht_bencode_bytes,
          { "Bytes", "btdht.bencode.bytes", FT_BYTES, BASE_NONE, NULL, 0x0, NULL, HFILL } },
        { &hf_btdht_more_items,
          { "Entries not itemised", "btdht.more_items", FT_UINT32, BASE_DEC, NULL, 0x0,
            "Entries beyond the first BTDHT_MAX_ITEMS of a message, counted only", HFILL } },
    };
    static int *ett[] = { &ett_btdht_bencode, &ett_btdht_bencode_entry };
    static ei_register_info ei[] = {
        { &ei_btdht_more_items,
          { "btdht.more_items.expert", PI_UNDECODED, PI_NOTE, "More entries than are itemised", EXPFILL } },
    };
    proto_register_field_array(proto, hf, array_length(hf));
    proto_register_subtree_array(ett, array_length(ett));
    expert_register_field_array(em, ei, array_length(ei));
}
