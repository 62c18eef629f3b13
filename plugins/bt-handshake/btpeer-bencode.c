/* btpeer-bencode.c
 * Any bencoded value (BEP 3) as a protocol tree: dictionaries, lists,
 * integers and strings, under btpeer.bencode.*.  Parsing is done by the
 * bounded reader of lib/btcommon (bencode.c); nesting is limited to
 * BENCODE_DEFAULT_MAX_DEPTH, so displaying recurses at most that deep.  The
 * tree is drawn by plugins/common/bt-bencode-tree.c (shared with btdht) with
 * this file's fields.
 */
#include "btpeer.h"

#include "common/bt-bencode-tree.h"

static int hf_btpeer_bencode_dict = -1;
static int hf_btpeer_bencode_list = -1;
static int hf_btpeer_bencode_key = -1;
static int hf_btpeer_bencode_int = -1;
static int hf_btpeer_bencode_string = -1;
static int hf_btpeer_bencode_bytes = -1;

static int ett_btpeer_bencode = -1;
static int ett_btpeer_bencode_entry = -1;

static expert_field ei_btpeer_bencode_invalid = EI_INIT;

static int hf_btpeer_more_items = -1;
static expert_field ei_btpeer_more_items = EI_INIT;

void btpeer_more_items(tvbuff_t *tvb, packet_info *pinfo, proto_tree *tree, int offset, int len, guint more)
{
    proto_item *it = proto_tree_add_uint(tree, hf_btpeer_more_items, tvb, offset, len, more);
    proto_item_set_generated(it);
    expert_add_info_format(pinfo, it, &ei_btpeer_more_items,
                           "%u more entries not itemised (at most %u are shown)", more, BTPEER_MAX_LIST_ITEMS);
}

static const bt_bencode_tree_ids_t tree_ids = {
    &hf_btpeer_bencode_dict, &hf_btpeer_bencode_list, &hf_btpeer_bencode_key, &hf_btpeer_bencode_int,
    &hf_btpeer_bencode_string, &hf_btpeer_bencode_bytes, &ett_btpeer_bencode, &ett_btpeer_bencode_entry,
    btpeer_more_items, TRUE
};

gboolean btpeer_bencode(tvbuff_t *tvb, packet_info *pinfo, proto_tree *tree, int offset,
                        const guint8 **buf_out, bencode_value_t *value)
{
    size_t len = (size_t)tvb_captured_length(tvb);
    const guint8 *buf = tvb_get_ptr(tvb, 0, (gint)len);
    size_t err_off = 0;
    bencode_err_t err = bencode_parse(buf, len, (size_t)offset, BENCODE_DEFAULT_MAX_DEPTH, value, &err_off);

    *buf_out = buf;
    if (err != BENC_OK) {
        proto_item *ti = proto_tree_add_item(tree, hf_btpeer_bencode_bytes, tvb, offset, -1, ENC_NA);
        expert_add_info_format(pinfo, ti, &ei_btpeer_bencode_invalid, "Invalid bencoding at byte %u: %s",
                               (unsigned)(err_off - (size_t)offset), bencode_err_str(err));
        return FALSE;
    }
    /* one budget for the whole value, whatever its nesting */
    bt_bencode_tree_add(&tree_ids, tvb, pinfo, tree, buf, len, value, BENCODE_DEFAULT_MAX_DEPTH,
                        BTPEER_MAX_LIST_ITEMS);
    return TRUE;
}

void btpeer_register_bencode(int proto, expert_module_t *em)
{
    static hf_register_info hf[] = {
        { &hf_btpeer_bencode_dict,
          { "Dictionary", "btpeer.bencode.dict", FT_NONE, BASE_NONE, NULL, 0x0, NULL, HFILL } },
        { &hf_btpeer_bencode_list,
          { "List", "btpeer.bencode.list", FT_NONE, BASE_NONE, NULL, 0x0, NULL, HFILL } },
        { &hf_btpeer_bencode_key,
          { "Key", "btpeer.bencode.key", FT_STRING, BASE_NONE, NULL, 0x0, NULL, HFILL } },
        { &hf_btpeer_bencode_int,
          { "Integer", "btpeer.bencode.int", FT_INT64, BASE_DEC, NULL, 0x0, NULL, HFILL } },
        { &hf_btpeer_bencode_string,
          { "String", "btpeer.bencode.string", FT_STRING, BASE_NONE, NULL, 0x0, NULL, HFILL } },
        { &hf_btpeer_bencode_bytes,
          { "Bytes", "btpeer.bencode.bytes", FT_BYTES, BASE_NONE, NULL, 0x0, NULL, HFILL } },
        { &hf_btpeer_more_items,
          { "Entries not shown", "btpeer.not_shown", FT_UINT32, BASE_DEC, NULL, 0x0,
            "Entries of a list beyond the first BTPEER_MAX_LIST_ITEMS, counted only", HFILL } },
    };
    static int *ett[] = { &ett_btpeer_bencode, &ett_btpeer_bencode_entry };
    static ei_register_info ei[] = {
        { &ei_btpeer_bencode_invalid,
          { "btpeer.bencode.invalid", PI_MALFORMED, PI_ERROR, "Invalid bencoding", EXPFILL } },
        { &ei_btpeer_more_items,
          { "btpeer.not_shown.expert", PI_UNDECODED, PI_NOTE, "More entries than are itemised", EXPFILL } },
    };
    proto_register_field_array(proto, hf, array_length(hf));
    proto_register_subtree_array(ett, array_length(ett));
    expert_register_field_array(em, ei, array_length(ei));
}
