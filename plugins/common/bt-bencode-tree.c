/* bt-bencode-tree.c
 * Any bencoded value (BEP 3) as a protocol tree: dictionaries, lists,
 * integers and strings, with the caller's field ids (bt-bencode-tree.h).
 * The value was validated by the bounded reader of lib/btcommon (bencode.c)
 * with the same depth the caller passes, so the display recurses at most that
 * deep; one entry budget for the whole value bounds the items added (a
 * hostile list would otherwise reach Wireshark's items-per-tree limit).
 */
#include "common/bt-bencode-tree.h"

#include <epan/strutil.h>
#include "ws-compat.h"

typedef struct {
    const bt_bencode_tree_ids_t *ids;
    packet_info *pinfo;
    guint        left;           /* entries still allowed to be itemised */
} tree_budget_t;

static gboolean is_printable(const guint8 *s, size_t len)
{
    size_t i;
    for (i = 0; i < len; i++) {
        if (s[i] < 0x20 || s[i] == 0x7f)
            return FALSE;
    }
    return g_utf8_validate((const gchar *)s, (gssize)len, NULL);
}

static proto_item *add_value(proto_tree *tree, tvbuff_t *tvb, const guint8 *buf, size_t len,
                             const bencode_value_t *v, unsigned depth, tree_budget_t *budget);

/* "key: value" on the key's line, so the tree reads without expanding. */
static void append_summary(proto_item *ki, const guint8 *buf, const bencode_value_t *v)
{
    switch (v->type) {
    case BENC_INT:
        proto_item_append_text(ki, ": %" G_GINT64_FORMAT, v->ival);
        break;
    case BENC_STR:
        if (is_printable(buf + v->str_off, v->str_len)) {
            /* no packet scope on 4.6 without pinfo: free it ourselves */
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
    const bt_bencode_tree_ids_t *ids = budget->ids;
    bencode_iter_t it;
    bencode_value_t key, elem;
    guint more = 0;
    size_t more_start = 0;

    bencode_iter_init(&it, buf, len, v, depth);
    while (bencode_iter_next(&it, v->type == BENC_DICT ? &key : NULL, &elem)) {
        if (budget->left == 0) {
            /* counted, not itemised: see the caller's max_items */
            if (!more)
                more_start = v->type == BENC_DICT ? key.start : elem.start;
            more++;
            continue;
        }
        budget->left--;
        if (v->type == BENC_DICT) {
            proto_item *ki = proto_tree_add_item(tree, *ids->hf_key, tvb, (gint)key.str_off,
                                                 (gint)key.str_len, ENC_UTF_8);
            proto_tree *kt = proto_item_add_subtree(ki, *ids->ett_entry);
            /* an empty string value: the key's line says "" (append_summary),
             * an empty child line would say nothing more */
            if (!ids->quote_empty || elem.type != BENC_STR || elem.str_len != 0)
                add_value(kt, tvb, buf, len, &elem, depth - 1, budget);
            proto_item_set_len(ki, (gint)(elem.end - key.start));
            append_summary(ki, buf, &elem);
        } else {
            add_value(tree, tvb, buf, len, &elem, depth - 1, budget);
        }
    }
    if (more)
        ids->more_items(tvb, budget->pinfo, tree, (int)more_start, (int)(v->end - 1 - more_start), more);
}

static proto_item *add_value(proto_tree *tree, tvbuff_t *tvb, const guint8 *buf, size_t len,
                             const bencode_value_t *v, unsigned depth, tree_budget_t *budget)
{
    const bt_bencode_tree_ids_t *ids = budget->ids;
    proto_item *ti = NULL;
    gint start = (gint)v->start, vlen = (gint)(v->end - v->start);

    switch (v->type) {
    case BENC_INT:
        ti = proto_tree_add_int64(tree, *ids->hf_int, tvb, start, vlen, v->ival);
        break;
    case BENC_STR:
        if (ids->quote_empty && v->str_len == 0)   /* a list's empty string: "" rather than nothing */
            ti = proto_tree_add_string_format_value(tree, *ids->hf_string, tvb, start, vlen, "", "\"\"");
        else if (is_printable(buf + v->str_off, v->str_len))
            ti = proto_tree_add_item(tree, *ids->hf_string, tvb, (gint)v->str_off, (gint)v->str_len, ENC_UTF_8);
        else
            ti = proto_tree_add_item(tree, *ids->hf_bytes, tvb, (gint)v->str_off, (gint)v->str_len, ENC_NA);
        break;
    case BENC_LIST:
    case BENC_DICT:
        ti = proto_tree_add_item(tree, v->type == BENC_DICT ? *ids->hf_dict : *ids->hf_list,
                                 tvb, start, vlen, ENC_NA);
        if (depth > 0)
            add_children(proto_item_add_subtree(ti, *ids->ett_value), tvb, buf, len, v, depth, budget);
        break;
    }
    return ti;
}

proto_item *bt_bencode_tree_add(const bt_bencode_tree_ids_t *ids, tvbuff_t *tvb, packet_info *pinfo,
                                proto_tree *tree, const guint8 *buf, size_t len, const bencode_value_t *v,
                                unsigned depth, guint max_items)
{
    tree_budget_t budget = { ids, pinfo, max_items };
    return add_value(tree, tvb, buf, len, v, depth, &budget);
}
