/* btdht-bencode.c
 * Any bencoded value (BEP 3) of a DHT message as a tree, under
 * btdht.bencode.*: the keys no BEP this plugin knows defines (shown, never
 * dropped) and BEP 44 items ("v" of get/put), whose content is the user's.
 * The value was validated by krpc_parse with KRPC_MAX_DEPTH, so the display
 * recurses at most that deep; at most BTDHT_MAX_ITEMS entries per message
 * are itemised (one budget for the whole value).
 */
#include "btdht.h"

#include <epan/strutil.h>
#include "ws-compat.h"

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

static gboolean printable(const guint8 *s, size_t len)
{
    size_t i;
    for (i = 0; i < len; i++) {
        if (s[i] < 0x20 || s[i] == 0x7f)
            return FALSE;
    }
    return g_utf8_validate((const gchar *)s, (gssize)len, NULL);
}

void btdht_more_items(tvbuff_t *tvb, packet_info *pinfo, proto_tree *tree, int offset, int len, guint more)
{
    proto_item *it = proto_tree_add_uint(tree, hf_btdht_more_items, tvb, offset, len, more);
    proto_item_set_generated(it);
    expert_add_info_format(pinfo, it, &ei_btdht_more_items, "%u more entries not itemised (at most %u are shown)",
                           more, BTDHT_MAX_ITEMS);
}

typedef struct {
    guint        left;
    packet_info *pinfo;
} budget_t;

static void add_value(tvbuff_t *tvb, proto_tree *tree, const guint8 *buf, size_t len, const bencode_value_t *v,
                      unsigned depth, budget_t *b);

static void summary(packet_info *pinfo, proto_item *ki, const guint8 *buf, const bencode_value_t *v)
{
    switch (v->type) {
    case BENC_INT:
        proto_item_append_text(ki, ": %" G_GINT64_FORMAT, v->ival);
        break;
    case BENC_STR:
        if (printable(buf + v->str_off, v->str_len))
            proto_item_append_text(ki, ": \"%s\"",
                                   format_text(pinfo->pool, (const char *)buf + v->str_off, v->str_len));
        else
            proto_item_append_text(ki, ": <%u bytes>", (unsigned)v->str_len);
        break;
    case BENC_LIST:
        proto_item_append_text(ki, ": list");
        break;
    case BENC_DICT:
        proto_item_append_text(ki, ": dictionary");
        break;
    }
}

static void add_children(tvbuff_t *tvb, proto_tree *tree, const guint8 *buf, size_t len, const bencode_value_t *v,
                         unsigned depth, budget_t *b)
{
    bencode_iter_t it;
    bencode_value_t key, elem;
    guint more = 0;
    size_t more_start = 0;

    bencode_iter_init(&it, buf, len, v, depth);
    while (bencode_iter_next(&it, v->type == BENC_DICT ? &key : NULL, &elem)) {
        if (b->left == 0) {
            if (!more++)
                more_start = v->type == BENC_DICT ? key.start : elem.start;
            continue;
        }
        b->left--;
        if (v->type == BENC_DICT) {
            proto_item *ki = proto_tree_add_item(tree, hf_btdht_bencode_key, tvb, (gint)key.str_off,
                                                 (gint)key.str_len, ENC_UTF_8);
            add_value(tvb, proto_item_add_subtree(ki, ett_btdht_bencode_entry), buf, len, &elem, depth - 1, b);
            proto_item_set_len(ki, (gint)(elem.end - key.start));
            summary(b->pinfo, ki, buf, &elem);
        } else {
            add_value(tvb, tree, buf, len, &elem, depth - 1, b);
        }
    }
    if (more)
        btdht_more_items(tvb, b->pinfo, tree, (int)more_start, (int)(v->end - 1 - more_start), more);
}

static void add_value(tvbuff_t *tvb, proto_tree *tree, const guint8 *buf, size_t len, const bencode_value_t *v,
                      unsigned depth, budget_t *b)
{
    gint start = (gint)v->start, vlen = (gint)(v->end - v->start);
    proto_item *ti;

    switch (v->type) {
    case BENC_INT:
        proto_tree_add_int64(tree, hf_btdht_bencode_int, tvb, start, vlen, v->ival);
        break;
    case BENC_STR:
        if (printable(buf + v->str_off, v->str_len))
            proto_tree_add_item(tree, hf_btdht_bencode_string, tvb, (gint)v->str_off, (gint)v->str_len, ENC_UTF_8);
        else
            proto_tree_add_item(tree, hf_btdht_bencode_bytes, tvb, (gint)v->str_off, (gint)v->str_len, ENC_NA);
        break;
    case BENC_LIST:
    case BENC_DICT:
        ti = proto_tree_add_item(tree, v->type == BENC_DICT ? hf_btdht_bencode_dict : hf_btdht_bencode_list, tvb,
                                 start, vlen, ENC_NA);
        if (depth > 0)
            add_children(tvb, proto_item_add_subtree(ti, ett_btdht_bencode), buf, len, v, depth, b);
        break;
    }
}

void btdht_bencode_value(tvbuff_t *tvb, packet_info *pinfo, proto_tree *tree, const guint8 *buf,
                         const bencode_value_t *v)
{
    budget_t b = { BTDHT_MAX_ITEMS, pinfo };
    add_value(tvb, tree, buf, tvb_captured_length(tvb), v, KRPC_MAX_DEPTH, &b);
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
