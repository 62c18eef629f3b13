/* btpeer-bencode.c
 * Any bencoded value (BEP 3) as a protocol tree: dictionaries, lists,
 * integers and strings, under btpeer.bencode.*.  Parsing is done by the
 * bounded reader of lib/btcommon (bencode.c); nesting is limited to
 * BENCODE_DEFAULT_MAX_DEPTH, so displaying recurses at most that deep.
 */
#include "btpeer.h"

#include <epan/strutil.h>
#include "ws-compat.h"

static int hf_btpeer_bencode_dict = -1;
static int hf_btpeer_bencode_list = -1;
static int hf_btpeer_bencode_key = -1;
static int hf_btpeer_bencode_int = -1;
static int hf_btpeer_bencode_string = -1;
static int hf_btpeer_bencode_bytes = -1;

static int ett_btpeer_bencode = -1;
static int ett_btpeer_bencode_entry = -1;

static expert_field ei_btpeer_bencode_invalid = EI_INIT;

static gboolean is_printable(const guint8 *s, size_t len)
{
    size_t i;
    for (i = 0; i < len; i++) {
        if (s[i] < 0x20 || s[i] == 0x7f)
            return FALSE;
    }
    return g_utf8_validate((const gchar *)s, (gssize)len, NULL);
}

/* Items still allowed for the value being shown (BTPEER_MAX_LIST_ITEMS). */
typedef struct {
    guint        left;
    packet_info *pinfo;
} tree_budget_t;

static proto_item *add_value(proto_tree *tree, tvbuff_t *tvb, const guint8 *buf, size_t len,
                             const bencode_value_t *v, unsigned depth, tree_budget_t *budget);

static int hf_btpeer_more_items = -1;
static expert_field ei_btpeer_more_items = EI_INIT;

void btpeer_more_items(tvbuff_t *tvb, packet_info *pinfo, proto_tree *tree, int offset, int len, guint more)
{
    proto_item *it = proto_tree_add_uint(tree, hf_btpeer_more_items, tvb, offset, len, more);
    proto_item_set_generated(it);
    expert_add_info_format(pinfo, it, &ei_btpeer_more_items,
                           "%u more entries not itemised (at most %u are shown)", more, BTPEER_MAX_LIST_ITEMS);
}

/* "key: value" on the key's line, so the tree reads without expanding. */
static void append_summary(proto_item *ki, const guint8 *buf, const bencode_value_t *v)
{
    switch (v->type) {
    case BENC_INT:
        proto_item_append_text(ki, ": %" G_GINT64_FORMAT, v->ival);
        break;
    case BENC_STR:
        if (is_printable(buf + v->str_off, v->str_len)) {
            /* no pinfo here (and no packet scope on 4.6): free it ourselves */
            char *text = format_text(NULL, (const char *)buf + v->str_off, v->str_len);
            proto_item_append_text(ki, ": \"%s\"", text);
            wmem_free(NULL, text);
        } else
            proto_item_append_text(ki, ": <%u byte%s>", (unsigned)v->str_len, plurality(v->str_len, "", "s"));
        break;
    case BENC_LIST:
        proto_item_append_text(ki, ": list");
        break;
    case BENC_DICT:
        proto_item_append_text(ki, ": dictionary");
        break;
    }
}

static void add_children(proto_tree *tree, tvbuff_t *tvb, const guint8 *buf, size_t len,
                         const bencode_value_t *v, unsigned depth, tree_budget_t *budget)
{
    bencode_iter_t it;
    bencode_value_t key, elem;
    guint more = 0;
    size_t more_start = 0;

    bencode_iter_init(&it, buf, len, v, depth);
    while (bencode_iter_next(&it, v->type == BENC_DICT ? &key : NULL, &elem)) {
        if (budget->left == 0) {
            /* counted, not itemised: see BTPEER_MAX_LIST_ITEMS */
            if (!more)
                more_start = v->type == BENC_DICT ? key.start : elem.start;
            more++;
            continue;
        }
        budget->left--;
        if (v->type == BENC_DICT) {
            proto_item *ki = proto_tree_add_item(tree, hf_btpeer_bencode_key, tvb, (gint)key.str_off,
                                                 (gint)key.str_len, ENC_UTF_8);
            proto_tree *kt = proto_item_add_subtree(ki, ett_btpeer_bencode_entry);
            /* an empty string value: the key's line says "" (append_summary),
             * an empty child line would say nothing more */
            if (elem.type != BENC_STR || elem.str_len != 0)
                add_value(kt, tvb, buf, len, &elem, depth - 1, budget);
            proto_item_set_len(ki, (gint)(elem.end - key.start));
            append_summary(ki, buf, &elem);
        } else {
            add_value(tree, tvb, buf, len, &elem, depth - 1, budget);
        }
    }
    if (more)
        btpeer_more_items(tvb, budget->pinfo, tree, (int)more_start, (int)(v->end - 1 - more_start), more);
}

static proto_item *add_value(proto_tree *tree, tvbuff_t *tvb, const guint8 *buf, size_t len,
                             const bencode_value_t *v, unsigned depth, tree_budget_t *budget)
{
    proto_item *ti = NULL;
    gint start = (gint)v->start, vlen = (gint)(v->end - v->start);

    switch (v->type) {
    case BENC_INT:
        ti = proto_tree_add_int64(tree, hf_btpeer_bencode_int, tvb, start, vlen, v->ival);
        break;
    case BENC_STR:
        if (v->str_len == 0)   /* a list's empty string: "" rather than nothing */
            ti = proto_tree_add_string_format_value(tree, hf_btpeer_bencode_string, tvb, start, vlen, "",
                                                    "\"\"");
        else if (is_printable(buf + v->str_off, v->str_len))
            ti = proto_tree_add_item(tree, hf_btpeer_bencode_string, tvb, (gint)v->str_off, (gint)v->str_len, ENC_UTF_8);
        else
            ti = proto_tree_add_item(tree, hf_btpeer_bencode_bytes, tvb, (gint)v->str_off, (gint)v->str_len, ENC_NA);
        break;
    case BENC_LIST:
    case BENC_DICT:
        ti = proto_tree_add_item(tree, v->type == BENC_DICT ? hf_btpeer_bencode_dict : hf_btpeer_bencode_list,
                                 tvb, start, vlen, ENC_NA);
        if (depth > 0)
            add_children(proto_item_add_subtree(ti, ett_btpeer_bencode), tvb, buf, len, v, depth, budget);
        break;
    }
    return ti;
}

gboolean btpeer_bencode(tvbuff_t *tvb, packet_info *pinfo, proto_tree *tree, int offset,
                        const guint8 **buf_out, bencode_value_t *value)
{
    size_t len = (size_t)tvb_captured_length(tvb);
    const guint8 *buf = tvb_get_ptr(tvb, 0, (gint)len);
    size_t err_off = 0;
    tree_budget_t budget;
    bencode_err_t err = bencode_parse(buf, len, (size_t)offset, BENCODE_DEFAULT_MAX_DEPTH, value, &err_off);

    *buf_out = buf;
    if (err != BENC_OK) {
        proto_item *ti = proto_tree_add_item(tree, hf_btpeer_bencode_bytes, tvb, offset, -1, ENC_NA);
        expert_add_info_format(pinfo, ti, &ei_btpeer_bencode_invalid, "Invalid bencoding at byte %u: %s",
                               (unsigned)(err_off - (size_t)offset), bencode_err_str(err));
        return FALSE;
    }
    /* one budget for the whole value, whatever its nesting */
    budget.left = BTPEER_MAX_LIST_ITEMS;
    budget.pinfo = pinfo;
    add_value(tree, tvb, buf, len, value, BENCODE_DEFAULT_MAX_DEPTH, &budget);
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
