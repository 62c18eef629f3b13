/* btpeer-extended.c
 * Extension protocol messages (BEP 10, message id 20): the extension
 * handshake (bencoded dict: m, v, p, yourip, ipv4, ipv6, reqq,
 * metadata_size, upload_only) and the extensions it names: ut_metadata
 * (BEP 9), ut_pex (BEP 11), ut_holepunch (BEP 55), lt_donthave,
 * upload_only and share_mode (libtorrent).
 *
 *   | length u32 | 20 | ext id u8 | payload |
 * ext id 0 is the handshake; any other id is the one the *receiving* side
 * announced in its own handshake's "m" dictionary.
 */
#include "btpeer.h"
#include "compact-peer.h"

#include <epan/strutil.h>
#include <epan/to_str.h>
#include "ws-compat.h"

#define EXT_HANDSHAKE_ID 0
#define EXT_MAX_ID       255   /* the id travels in one byte */


static int hf_btpeer_ext_id = -1;
static int hf_btpeer_ext_name = -1;
static int hf_btpeer_ext_hs_ext = -1;
static int hf_btpeer_ext_hs_ext_id = -1;
static int hf_btpeer_ext_hs_v = -1;
static int hf_btpeer_ext_hs_peer_id_client = -1;
static int hf_btpeer_ext_hs_p = -1;
static int hf_btpeer_ext_hs_yourip = -1;
static int hf_btpeer_ext_hs_yourip6 = -1;
static int hf_btpeer_ext_hs_ipv4 = -1;
static int hf_btpeer_ext_hs_ipv6 = -1;
static int hf_btpeer_ext_hs_reqq = -1;
static int hf_btpeer_ext_hs_metadata_size = -1;
static int hf_btpeer_ext_hs_upload_only = -1;
static int hf_btpeer_ext_md_msg_type = -1;
static int hf_btpeer_ext_md_piece = -1;
static int hf_btpeer_ext_md_total_size = -1;
static int hf_btpeer_ext_md_data = -1;
static int hf_btpeer_ext_pex_added = -1;
static int hf_btpeer_ext_pex_added6 = -1;
static int hf_btpeer_ext_pex_dropped = -1;
static int hf_btpeer_ext_pex_dropped6 = -1;
static int hf_btpeer_ext_pex_port = -1;
static int hf_btpeer_ext_pex_flags = -1;
static int hf_btpeer_ext_pex_flag_enc = -1;
static int hf_btpeer_ext_pex_flag_seed = -1;
static int hf_btpeer_ext_pex_flag_utp = -1;
static int hf_btpeer_ext_pex_flag_holepunch = -1;
static int hf_btpeer_ext_pex_flag_reachable = -1;
static int hf_btpeer_ext_hp_msg_type = -1;
static int hf_btpeer_ext_hp_addr_type = -1;
static int hf_btpeer_ext_hp_ip = -1;
static int hf_btpeer_ext_hp_ip6 = -1;
static int hf_btpeer_ext_hp_port = -1;
static int hf_btpeer_ext_hp_error = -1;
static int hf_btpeer_ext_upload_only = -1;
/* lt_donthave's piece: the same filter name as a Have's piece, registered
 * here so that this file needs no field of btpeer-messages.c. */
static int hf_btpeer_ext_donthave_piece = -1;
static int hf_btpeer_ext_share_mode = -1;
static int hf_btpeer_ext_data = -1;

static int ett_btpeer_ext_bencode = -1;
static int ett_btpeer_ext_m = -1;
static int ett_btpeer_ext_peer = -1;
static int ett_btpeer_ext_pex_flags = -1;

static expert_field ei_btpeer_ext_unknown_id = EI_INIT;
static expert_field ei_btpeer_ext_no_decoder = EI_INIT;
static expert_field ei_btpeer_ext_bad_value = EI_INIT;
static expert_field ei_btpeer_ext_truncated = EI_INIT;

static const value_string md_msg_type_vals[] = {
    { 0, "request" }, { 1, "data" }, { 2, "reject" }, { 0, NULL }
};
static const value_string hp_msg_type_vals[] = {
    { 0, "rendezvous" }, { 1, "connect" }, { 2, "error" }, { 0, NULL }
};
static const value_string hp_addr_type_vals[] = {
    { 0, "IPv4" }, { 1, "IPv6" }, { 0, NULL }
};
static const value_string hp_error_vals[] = {
    { 0, "No error" }, { 1, "No such peer" }, { 2, "Not connected" }, { 3, "No support" }, { 4, "No self" },
    { 0, NULL }
};

static int * const pex_flags[] = {
    &hf_btpeer_ext_pex_flag_enc,
    &hf_btpeer_ext_pex_flag_seed,
    &hf_btpeer_ext_pex_flag_utp,
    &hf_btpeer_ext_pex_flag_holepunch,
    &hf_btpeer_ext_pex_flag_reachable,
    NULL
};

/* Parsed bencoded payload of one extension message. */
typedef struct {
    const guint8   *buf;
    size_t          len;
    bencode_value_t dict;
} ext_dict_t;

static gboolean ext_parse_dict(btpeer_ctx_t *ctx, int offset, ext_dict_t *d)
{
    proto_item *ti = proto_tree_add_item(ctx->tree, hf_btpeer_ext_data, ctx->tvb, offset, -1, ENC_NA);
    proto_tree *bt = proto_item_add_subtree(ti, ett_btpeer_ext_bencode);
    proto_item_set_text(ti, "Bencoded payload");
    d->len = tvb_captured_length(ctx->tvb);
    if (!btpeer_bencode(ctx->tvb, ctx->pinfo, bt, offset, &d->buf, &d->dict))
        return FALSE;
    proto_item_set_len(ti, (gint)(d->dict.end - (size_t)offset));
    if (d->dict.type != BENC_DICT) {
        expert_add_info_format(ctx->pinfo, ti, &ei_btpeer_ext_bad_value, "Payload is not a bencoded dictionary");
        return FALSE;
    }
    return TRUE;
}

/* The dict entry `key` as an integer within [min, max], with its item. */
static gboolean ext_int(btpeer_ctx_t *ctx, const ext_dict_t *d, const char *key, int hf,
                        gint64 min, gint64 max, gint64 *out)
{
    bencode_value_t v;
    proto_item *it;

    if (!bencode_dict_get(d->buf, d->len, &d->dict, key, &v))
        return FALSE;
    if (v.type != BENC_INT) {
        it = proto_tree_add_item(ctx->tree, hf_btpeer_ext_data, ctx->tvb, (gint)v.start, (gint)(v.end - v.start), ENC_NA);
        expert_add_info_format(ctx->pinfo, it, &ei_btpeer_ext_bad_value, "\"%s\" is not an integer", key);
        return FALSE;
    }
    switch (proto_registrar_get_ftype(hf)) {
    case FT_INT64:
        it = proto_tree_add_int64(ctx->tree, hf, ctx->tvb, (gint)v.start, (gint)(v.end - v.start), v.ival);
        break;
    default:
        it = proto_tree_add_uint(ctx->tree, hf, ctx->tvb, (gint)v.start, (gint)(v.end - v.start),
                                 (guint32)(v.ival < 0 || v.ival > G_MAXUINT32 ? 0 : v.ival));
        break;
    }
    if (!bencode_int_in(&v, min, max)) {
        expert_add_info_format(ctx->pinfo, it, &ei_btpeer_ext_bad_value, "\"%s\" = %" G_GINT64_FORMAT
                               " is outside %" G_GINT64_FORMAT "..%" G_GINT64_FORMAT, key, v.ival, min, max);
        return FALSE;
    }
    *out = v.ival;
    return TRUE;
}

/* The dict entry `key` as a byte string. */
static gboolean ext_str(btpeer_ctx_t *ctx, const ext_dict_t *d, const char *key, bencode_value_t *v)
{
    proto_item *it;
    if (!bencode_dict_get(d->buf, d->len, &d->dict, key, v))
        return FALSE;
    if (v->type == BENC_STR)
        return TRUE;
    it = proto_tree_add_item(ctx->tree, hf_btpeer_ext_data, ctx->tvb, (gint)v->start, (gint)(v->end - v->start), ENC_NA);
    expert_add_info_format(ctx->pinfo, it, &ei_btpeer_ext_bad_value, "\"%s\" is not a string", key);
    return FALSE;
}

/* An address given as 4 or 16 raw bytes (yourip, ipv4, ipv6). */
static void ext_addr(btpeer_ctx_t *ctx, const ext_dict_t *d, const char *key, int hf4, int hf6)
{
    bencode_value_t v;
    proto_item *it;
    if (!ext_str(ctx, d, key, &v))
        return;
    if (v.str_len == 4 && hf4 > 0) {
        proto_tree_add_item(ctx->tree, hf4, ctx->tvb, (gint)v.str_off, 4, ENC_BIG_ENDIAN);
    } else if (v.str_len == 16 && hf6 > 0) {
        proto_tree_add_item(ctx->tree, hf6, ctx->tvb, (gint)v.str_off, 16, ENC_NA);
    } else {
        it = proto_tree_add_item(ctx->tree, hf_btpeer_ext_data, ctx->tvb, (gint)v.str_off, (gint)v.str_len, ENC_NA);
        expert_add_info_format(ctx->pinfo, it, &ei_btpeer_ext_bad_value,
                               "\"%s\" is %u bytes, not an address", key, (unsigned)v.str_len);
    }
}

/* ---- extension handshake ---- */

static void ext_handshake(btpeer_ctx_t *ctx, int offset)
{
    ext_dict_t d;
    bencode_value_t m, v, key, val;
    bencode_iter_t it;
    gint64 n;
    wmem_strbuf_t *names = wmem_strbuf_new(ctx->pinfo->pool, "");
    const char *client = NULL;
    btpeer_side_t *side = &ctx->conn->side[ctx->dir];
    gboolean learn = !PINFO_FD_VISITED(ctx->pinfo);

    if (!ext_parse_dict(ctx, offset, &d)) {
        btpeer_info(ctx, "Extended handshake (invalid)");
        return;
    }
    if (bencode_dict_get(d.buf, d.len, &d.dict, "m", &m) && m.type == BENC_DICT) {
        proto_item *mi = proto_tree_add_item(ctx->tree, hf_btpeer_ext_data, ctx->tvb, (gint)m.start,
                                             (gint)(m.end - m.start), ENC_NA);
        proto_tree *mt = proto_item_add_subtree(mi, ett_btpeer_ext_m);
        proto_item_set_text(mi, "Extensions (m)");
        if (learn && !side->ext_by_id)
            side->ext_by_id = wmem_map_new(wmem_file_scope(), g_direct_hash, g_direct_equal);
        bencode_iter_init(&it, d.buf, d.len, &m, BENCODE_DEFAULT_MAX_DEPTH);
        while (bencode_iter_next(&it, &key, &val)) {
            char *name = format_text(ctx->pinfo->pool, (const char *)d.buf + key.str_off, key.str_len);
            proto_item *ni = proto_tree_add_item(mt, hf_btpeer_ext_hs_ext, ctx->tvb, (gint)key.str_off,
                                                 (gint)key.str_len, ENC_UTF_8);
            if (!bencode_int_in(&val, 0, EXT_MAX_ID)) {
                expert_add_info_format(ctx->pinfo, ni, &ei_btpeer_ext_bad_value,
                                       "Extension id of \"%s\" is not an integer in 0..255", name);
                continue;
            }
            proto_item_append_text(ni, " = %d%s", (int)val.ival, val.ival == 0 ? " (disabled)" : "");
            proto_tree_add_uint(proto_item_add_subtree(ni, ett_btpeer_ext_m), hf_btpeer_ext_hs_ext_id, ctx->tvb,
                                (gint)val.start, (gint)(val.end - val.start), (guint32)val.ival);
            if (val.ival != 0)
                wmem_strbuf_append_printf(names, "%s%s", wmem_strbuf_get_len(names) ? "," : "", name);
            if (learn) {
                /* a later handshake may move or disable (id 0) an extension */
                char *stored = wmem_strdup(wmem_file_scope(), name);
                guint id;
                for (id = 1; id <= EXT_MAX_ID; id++) {
                    const char *old = (const char *)wmem_map_lookup(side->ext_by_id, GUINT_TO_POINTER(id));
                    if (old && strcmp(old, name) == 0)
                        wmem_map_remove(side->ext_by_id, GUINT_TO_POINTER(id));
                }
                if (val.ival != 0)
                    wmem_map_insert(side->ext_by_id, GUINT_TO_POINTER((guint)val.ival), stored);
            }
        }
    }
    if (ext_str(ctx, &d, "v", &v)) {
        btpeer_side_t *sender = &ctx->conn->side[ctx->dir];
        proto_item *vi;
        client = format_text(ctx->pinfo->pool, (const char *)d.buf + v.str_off, v.str_len);
        vi = proto_tree_add_item(ctx->tree, hf_btpeer_ext_hs_v, ctx->tvb, (gint)v.str_off, (gint)v.str_len, ENC_UTF_8);
        if (learn && !sender->ext_v)
            sender->ext_v = wmem_strdup(wmem_file_scope(), client);
        /* the two names a client gives itself, side by side (handshake
         * first in the stream, so this is known in one pass too) */
        if (sender->peer_id_client) {
            proto_item *pi = proto_tree_add_string(ctx->tree, hf_btpeer_ext_hs_peer_id_client, ctx->tvb,
                                                   (gint)v.str_off, (gint)v.str_len, sender->peer_id_client);
            proto_item_set_generated(pi);
            proto_item_append_text(vi, " (peer id reads: %s)", sender->peer_id_client);
        }
    }
    ext_int(ctx, &d, "p", hf_btpeer_ext_hs_p, 0, G_MAXUINT16, &n);
    ext_addr(ctx, &d, "yourip", hf_btpeer_ext_hs_yourip, hf_btpeer_ext_hs_yourip6);
    ext_addr(ctx, &d, "ipv4", hf_btpeer_ext_hs_ipv4, -1);
    ext_addr(ctx, &d, "ipv6", -1, hf_btpeer_ext_hs_ipv6);
    ext_int(ctx, &d, "reqq", hf_btpeer_ext_hs_reqq, 0, G_MAXINT64, &n);
    ext_int(ctx, &d, "metadata_size", hf_btpeer_ext_hs_metadata_size, 0, G_MAXINT64, &n);
    ext_int(ctx, &d, "upload_only", hf_btpeer_ext_hs_upload_only, 0, G_MAXINT64, &n);
    btpeer_info(ctx, "Extended handshake [%s]%s%s", wmem_strbuf_get_str(names),
                client ? " v=" : "", client ? client : "");
}

/* ---- ut_metadata (BEP 9) ---- */

static void ext_metadata(btpeer_ctx_t *ctx, int offset)
{
    ext_dict_t d;
    gint64 type = -1, piece = -1, total = -1;
    int data_len = 0;

    if (!ext_parse_dict(ctx, offset, &d)) {
        btpeer_info(ctx, "Extended ut_metadata (invalid)");
        return;
    }
    ext_int(ctx, &d, "msg_type", hf_btpeer_ext_md_msg_type, 0, 2, &type);
    ext_int(ctx, &d, "piece", hf_btpeer_ext_md_piece, 0, G_MAXUINT32, &piece);
    ext_int(ctx, &d, "total_size", hf_btpeer_ext_md_total_size, 0, G_MAXINT64, &total);
    data_len = tvb_reported_length_remaining(ctx->tvb, (gint)d.dict.end);
    if (data_len > 0)
        proto_tree_add_item(ctx->tree, hf_btpeer_ext_md_data, ctx->tvb, (gint)d.dict.end, data_len, ENC_NA);
    if (type == 1)
        btpeer_torrent_metadata(ctx, piece, total, (int)d.dict.end, MAX(data_len, 0));
    if (type == 1)
        btpeer_info(ctx, "Extended ut_metadata data piece %" G_GINT64_FORMAT " (%d bytes of %" G_GINT64_FORMAT ")",
                    piece, data_len, total);
    else
        btpeer_info(ctx, "Extended ut_metadata %s piece %" G_GINT64_FORMAT,
                    val_to_str_const((guint32)(type < 0 ? 99 : type), md_msg_type_vals, "?"), piece);
}

/* ---- ut_pex (BEP 11) ---- */

/* One list of compact peers ("added", "dropped6"...), with its flag list. */
static guint pex_list(btpeer_ctx_t *ctx, const ext_dict_t *d, const char *key, const char *flags_key,
                      int hf_addr, gboolean ipv6)
{
    bencode_value_t v, f;
    gboolean have_flags = FALSE;
    bt_compact_list_t list;
    bt_compact_peer_t peer;
    guint n, i;
    proto_item *it;
    int entry_len;

    if (!ext_str(ctx, d, key, &v))
        return 0;
    bt_compact_list(v.str_len, ipv6, &list);
    entry_len = (int)list.entry_len;
    if (list.trailing) {
        it = proto_tree_add_item(ctx->tree, hf_btpeer_ext_data, ctx->tvb, (gint)v.str_off, (gint)v.str_len, ENC_NA);
        expert_add_info_format(ctx->pinfo, it, &ei_btpeer_ext_bad_value,
                               "\"%s\" is %u bytes, not a multiple of %d", key, (unsigned)v.str_len, entry_len);
    }
    n = (guint)list.count;
    if (flags_key && ext_str(ctx, d, flags_key, &f)) {
        have_flags = TRUE;
        if (f.str_len != n) {
            it = proto_tree_add_item(ctx->tree, hf_btpeer_ext_data, ctx->tvb, (gint)f.str_off, (gint)f.str_len, ENC_NA);
            expert_add_info_format(ctx->pinfo, it, &ei_btpeer_ext_bad_value,
                                   "\"%s\" has %u flags for %u peers", flags_key, (unsigned)f.str_len, n);
        }
    }
    for (i = 0; i < n && i < BTPEER_MAX_LIST_ITEMS; i++) {
        gint off = (gint)(v.str_off + (size_t)i * (size_t)entry_len);
        gint addr_len = (gint)list.addr_len;
        proto_tree *pt;
        bt_compact_peer_get(d->buf + v.str_off, &list, i, &peer);
        it = proto_tree_add_item(ctx->tree, hf_addr, ctx->tvb, off, addr_len, ipv6 ? ENC_NA : ENC_BIG_ENDIAN);
        proto_item_set_len(it, entry_len);
        proto_item_append_text(it, " port %u", peer.port);
        pt = proto_item_add_subtree(it, ett_btpeer_ext_peer);
        proto_tree_add_item(pt, hf_btpeer_ext_pex_port, ctx->tvb, off + addr_len, 2, ENC_BIG_ENDIAN);
        if (have_flags && i < f.str_len)
            proto_tree_add_bitmask(pt, ctx->tvb, (gint)(f.str_off + i), hf_btpeer_ext_pex_flags,
                                   ett_btpeer_ext_pex_flags, pex_flags, ENC_NA);
    }
    if (n > BTPEER_MAX_LIST_ITEMS) {
        gint off = (gint)(v.str_off + (size_t)BTPEER_MAX_LIST_ITEMS * (size_t)entry_len);
        btpeer_more_items(ctx->tvb, ctx->pinfo, ctx->tree, off,
                          (gint)((size_t)(n - BTPEER_MAX_LIST_ITEMS) * (size_t)entry_len), n - BTPEER_MAX_LIST_ITEMS);
    }
    return n;
}

static void ext_pex(btpeer_ctx_t *ctx, int offset)
{
    ext_dict_t d;
    guint added, dropped;

    if (!ext_parse_dict(ctx, offset, &d)) {
        btpeer_info(ctx, "Extended ut_pex (invalid)");
        return;
    }
    added = pex_list(ctx, &d, "added", "added.f", hf_btpeer_ext_pex_added, FALSE);
    added += pex_list(ctx, &d, "added6", "added6.f", hf_btpeer_ext_pex_added6, TRUE);
    dropped = pex_list(ctx, &d, "dropped", NULL, hf_btpeer_ext_pex_dropped, FALSE);
    dropped += pex_list(ctx, &d, "dropped6", NULL, hf_btpeer_ext_pex_dropped6, TRUE);
    btpeer_info(ctx, "Extended ut_pex +%u -%u", added, dropped);
}

/* ---- ut_holepunch (BEP 55) ---- */

static void ext_holepunch(btpeer_ctx_t *ctx, int offset)
{
    tvbuff_t *tvb = ctx->tvb;
    guint32 type, addr_type, port, err = 0;
    int addr_len, remaining = tvb_reported_length_remaining(tvb, offset);
    const char *addr;

    if (remaining < 2) {
        proto_item *it = proto_tree_add_item(ctx->tree, hf_btpeer_ext_data, tvb, offset, -1, ENC_NA);
        expert_add_info(ctx->pinfo, it, &ei_btpeer_ext_truncated);
        btpeer_info(ctx, "Extended ut_holepunch (truncated)");
        return;
    }
    proto_tree_add_item_ret_uint(ctx->tree, hf_btpeer_ext_hp_msg_type, tvb, offset, 1, ENC_BIG_ENDIAN, &type);
    proto_tree_add_item_ret_uint(ctx->tree, hf_btpeer_ext_hp_addr_type, tvb, offset + 1, 1, ENC_BIG_ENDIAN, &addr_type);
    addr_len = addr_type == 1 ? 16 : 4;
    /* type, addr type, address, port, error code */
    if (remaining < 2 + addr_len + 2 + 4 || addr_type > 1) {
        proto_item *it = proto_tree_add_item(ctx->tree, hf_btpeer_ext_data, tvb, offset + 2, -1, ENC_NA);
        expert_add_info(ctx->pinfo, it, &ei_btpeer_ext_truncated);
        btpeer_info(ctx, "Extended ut_holepunch %s (truncated)", val_to_str_const(type, hp_msg_type_vals, "?"));
        return;
    }
    if (addr_len == 4) {
        proto_tree_add_item(ctx->tree, hf_btpeer_ext_hp_ip, tvb, offset + 2, 4, ENC_BIG_ENDIAN);
        addr = tvb_ip_to_str(ctx->pinfo->pool, tvb, offset + 2);
    } else {
        proto_tree_add_item(ctx->tree, hf_btpeer_ext_hp_ip6, tvb, offset + 2, 16, ENC_NA);
        addr = tvb_ip6_to_str(ctx->pinfo->pool, tvb, offset + 2);
    }
    proto_tree_add_item_ret_uint(ctx->tree, hf_btpeer_ext_hp_port, tvb, offset + 2 + addr_len, 2, ENC_BIG_ENDIAN, &port);
    proto_tree_add_item_ret_uint(ctx->tree, hf_btpeer_ext_hp_error, tvb, offset + 4 + addr_len, 4, ENC_BIG_ENDIAN, &err);
    btpeer_info(ctx, "Extended ut_holepunch %s %s port %u%s%s", val_to_str_const(type, hp_msg_type_vals, "?"),
                addr, port, err ? ": " : "", err ? val_to_str_const(err, hp_error_vals, "unknown error") : "");
}

/* ---- one-field extensions ---- */

static void ext_u8(btpeer_ctx_t *ctx, int offset, int hf, const char *name)
{
    guint32 v;
    if (tvb_reported_length_remaining(ctx->tvb, offset) < 1) {
        expert_add_info(ctx->pinfo, ctx->pdu_item, &ei_btpeer_ext_truncated);
        btpeer_info(ctx, "Extended %s (truncated)", name);
        return;
    }
    proto_tree_add_item_ret_uint(ctx->tree, hf, ctx->tvb, offset, 1, ENC_BIG_ENDIAN, &v);
    btpeer_info(ctx, "Extended %s %u", name, v);
}

static void ext_donthave(btpeer_ctx_t *ctx, int offset)
{
    guint32 v;
    if (tvb_reported_length_remaining(ctx->tvb, offset) < 4) {
        expert_add_info(ctx->pinfo, ctx->pdu_item, &ei_btpeer_ext_truncated);
        btpeer_info(ctx, "Extended lt_donthave (truncated)");
        return;
    }
    proto_tree_add_item_ret_uint(ctx->tree, hf_btpeer_ext_donthave_piece, ctx->tvb, offset, 4, ENC_BIG_ENDIAN, &v);
    btpeer_info(ctx, "Extended lt_donthave %u", v);
}

void btpeer_dissect_extended(btpeer_ctx_t *ctx, int offset)
{
    guint32 id;
    const char *name;
    proto_item *id_item, *it;

    id_item = proto_tree_add_item_ret_uint(ctx->tree, hf_btpeer_ext_id, ctx->tvb, offset, 1, ENC_BIG_ENDIAN, &id);
    offset++;
    if (id == EXT_HANDSHAKE_ID) {
        it = proto_tree_add_string(ctx->tree, hf_btpeer_ext_name, ctx->tvb, offset - 1, 1, "handshake");
        proto_item_set_generated(it);
        ext_handshake(ctx, offset);
        return;
    }
    if (!PINFO_FD_VISITED(ctx->pinfo)) {
        /* the receiver (the other side) chose the ids of what it receives */
        wmem_map_t *ids = ctx->conn->side[!ctx->dir].ext_by_id;
        name = ids ? (const char *)wmem_map_lookup(ids, GUINT_TO_POINTER(id)) : NULL;
        if (name)
            btpeer_pdu_rare_new(ctx->pdu)->ext_name = name;
    }
    name = btpeer_pdu_rare(ctx->pdu)->ext_name;
    if (!name) {
        expert_add_info_format(ctx->pinfo, id_item, &ei_btpeer_ext_unknown_id,
                               "Extension id %u was not announced by the receiving peer", id);
        if (tvb_reported_length_remaining(ctx->tvb, offset) > 0)
            proto_tree_add_item(ctx->tree, hf_btpeer_ext_data, ctx->tvb, offset, -1, ENC_NA);
        btpeer_info(ctx, "Extended id %u (not announced)", id);
        return;
    }
    it = proto_tree_add_string(ctx->tree, hf_btpeer_ext_name, ctx->tvb, offset - 1, 1, name);
    proto_item_set_generated(it);
    if (strcmp(name, "ut_metadata") == 0) {
        ext_metadata(ctx, offset);
    } else if (strcmp(name, "ut_pex") == 0) {
        ext_pex(ctx, offset);
    } else if (strcmp(name, "ut_holepunch") == 0) {
        ext_holepunch(ctx, offset);
    } else if (strcmp(name, "lt_donthave") == 0) {
        ext_donthave(ctx, offset);
    } else if (strcmp(name, "upload_only") == 0) {
        ext_u8(ctx, offset, hf_btpeer_ext_upload_only, name);
    } else if (strcmp(name, "share_mode") == 0) {
        ext_u8(ctx, offset, hf_btpeer_ext_share_mode, name);
    } else {
        expert_add_info_format(ctx->pinfo, it, &ei_btpeer_ext_no_decoder, "No decoder for extension \"%s\"", name);
        if (tvb_reported_length_remaining(ctx->tvb, offset) > 0)
            proto_tree_add_item(ctx->tree, hf_btpeer_ext_data, ctx->tvb, offset, -1, ENC_NA);
        btpeer_info(ctx, "Extended %s", name);
    }
}

void btpeer_register_extended(int proto, expert_module_t *em)
{
    static hf_register_info hf[] = {
        { &hf_btpeer_ext_donthave_piece,
          { "Piece index", "btpeer.piece.index", FT_UINT32, BASE_DEC, NULL, 0x0,
            "Piece of Piece, Have, Suggest Piece, Allowed Fast and lt_donthave", HFILL } },
        { &hf_btpeer_ext_id,
          { "Extended message id", "btpeer.ext.id", FT_UINT8, BASE_DEC, NULL, 0x0,
            "0: extension handshake; others as announced by the receiver", HFILL } },
        { &hf_btpeer_ext_name,
          { "Extension", "btpeer.ext.name", FT_STRING, BASE_NONE, NULL, 0x0,
            "Extension named by the id, from the receiver's extension handshake", HFILL } },
        { &hf_btpeer_ext_hs_ext,
          { "Extension", "btpeer.ext.hs.m", FT_STRING, BASE_NONE, NULL, 0x0,
            "Extension announced in the handshake's m dictionary", HFILL } },
        { &hf_btpeer_ext_hs_ext_id,
          { "Id", "btpeer.ext.hs.m.id", FT_UINT8, BASE_DEC, NULL, 0x0,
            "Id the announcing peer wants for this extension (0: disabled)", HFILL } },
        { &hf_btpeer_ext_hs_peer_id_client,
          { "Client from peer id", "btpeer.ext.hs.peer_id_client", FT_STRING, BASE_NONE, NULL, 0x0,
            "The client this side's handshake peer id names (BEP 20), beside its own v", HFILL } },
        { &hf_btpeer_ext_hs_v,
          { "Client", "btpeer.ext.hs.v", FT_STRING, BASE_NONE, NULL, 0x0, NULL, HFILL } },
        { &hf_btpeer_ext_hs_p,
          { "Listen port", "btpeer.ext.hs.p", FT_UINT16, BASE_DEC, NULL, 0x0, NULL, HFILL } },
        { &hf_btpeer_ext_hs_yourip,
          { "Your IP", "btpeer.ext.hs.yourip", FT_IPv4, BASE_NONE, NULL, 0x0,
            "The receiver's address as the sender sees it", HFILL } },
        { &hf_btpeer_ext_hs_yourip6,
          { "Your IPv6", "btpeer.ext.hs.yourip6", FT_IPv6, BASE_NONE, NULL, 0x0, NULL, HFILL } },
        { &hf_btpeer_ext_hs_ipv4,
          { "Own IPv4", "btpeer.ext.hs.ipv4", FT_IPv4, BASE_NONE, NULL, 0x0, NULL, HFILL } },
        { &hf_btpeer_ext_hs_ipv6,
          { "Own IPv6", "btpeer.ext.hs.ipv6", FT_IPv6, BASE_NONE, NULL, 0x0, NULL, HFILL } },
        { &hf_btpeer_ext_hs_reqq,
          { "Request queue size", "btpeer.ext.hs.reqq", FT_INT64, BASE_DEC, NULL, 0x0, NULL, HFILL } },
        { &hf_btpeer_ext_hs_metadata_size,
          { "Metadata size", "btpeer.ext.hs.metadata_size", FT_INT64, BASE_DEC, NULL, 0x0,
            "Size of the info dictionary (BEP 9)", HFILL } },
        { &hf_btpeer_ext_hs_upload_only,
          { "Upload only", "btpeer.ext.hs.upload_only", FT_INT64, BASE_DEC, NULL, 0x0, NULL, HFILL } },
        { &hf_btpeer_ext_md_msg_type,
          { "ut_metadata message type", "btpeer.ext.metadata.msg_type", FT_UINT32, BASE_DEC, VALS(md_msg_type_vals), 0x0, NULL, HFILL } },
        { &hf_btpeer_ext_md_piece,
          { "Metadata piece", "btpeer.ext.metadata.piece", FT_UINT32, BASE_DEC, NULL, 0x0, NULL, HFILL } },
        { &hf_btpeer_ext_md_total_size,
          { "Metadata total size", "btpeer.ext.metadata.total_size", FT_INT64, BASE_DEC, NULL, 0x0, NULL, HFILL } },
        { &hf_btpeer_ext_md_data,
          { "Metadata", "btpeer.ext.metadata.data", FT_BYTES, BASE_NONE, NULL, 0x0,
            "Bytes of the info dictionary", HFILL } },
        { &hf_btpeer_ext_pex_added,
          { "Added peer", "btpeer.ext.pex.added", FT_IPv4, BASE_NONE, NULL, 0x0, NULL, HFILL } },
        { &hf_btpeer_ext_pex_added6,
          { "Added peer (IPv6)", "btpeer.ext.pex.added6", FT_IPv6, BASE_NONE, NULL, 0x0, NULL, HFILL } },
        { &hf_btpeer_ext_pex_dropped,
          { "Dropped peer", "btpeer.ext.pex.dropped", FT_IPv4, BASE_NONE, NULL, 0x0, NULL, HFILL } },
        { &hf_btpeer_ext_pex_dropped6,
          { "Dropped peer (IPv6)", "btpeer.ext.pex.dropped6", FT_IPv6, BASE_NONE, NULL, 0x0, NULL, HFILL } },
        { &hf_btpeer_ext_pex_port,
          { "Port", "btpeer.ext.pex.port", FT_UINT16, BASE_DEC, NULL, 0x0, NULL, HFILL } },
        { &hf_btpeer_ext_pex_flags,
          { "Flags", "btpeer.ext.pex.flags", FT_UINT8, BASE_HEX, NULL, 0x0, NULL, HFILL } },
        { &hf_btpeer_ext_pex_flag_enc,
          { "Prefers encryption", "btpeer.ext.pex.flags.encryption", FT_BOOLEAN, 8, NULL, 0x01, NULL, HFILL } },
        { &hf_btpeer_ext_pex_flag_seed,
          { "Seed / upload only", "btpeer.ext.pex.flags.seed", FT_BOOLEAN, 8, NULL, 0x02, NULL, HFILL } },
        { &hf_btpeer_ext_pex_flag_utp,
          { "Supports uTP", "btpeer.ext.pex.flags.utp", FT_BOOLEAN, 8, NULL, 0x04, NULL, HFILL } },
        { &hf_btpeer_ext_pex_flag_holepunch,
          { "Supports ut_holepunch", "btpeer.ext.pex.flags.holepunch", FT_BOOLEAN, 8, NULL, 0x08, NULL, HFILL } },
        { &hf_btpeer_ext_pex_flag_reachable,
          { "Reachable (outgoing connection)", "btpeer.ext.pex.flags.reachable", FT_BOOLEAN, 8, NULL, 0x10, NULL, HFILL } },
        { &hf_btpeer_ext_hp_msg_type,
          { "Holepunch message type", "btpeer.ext.holepunch.msg_type", FT_UINT8, BASE_DEC, VALS(hp_msg_type_vals), 0x0, NULL, HFILL } },
        { &hf_btpeer_ext_hp_addr_type,
          { "Address type", "btpeer.ext.holepunch.addr_type", FT_UINT8, BASE_DEC, VALS(hp_addr_type_vals), 0x0, NULL, HFILL } },
        { &hf_btpeer_ext_hp_ip,
          { "Address", "btpeer.ext.holepunch.ip", FT_IPv4, BASE_NONE, NULL, 0x0, NULL, HFILL } },
        { &hf_btpeer_ext_hp_ip6,
          { "Address", "btpeer.ext.holepunch.ip6", FT_IPv6, BASE_NONE, NULL, 0x0, NULL, HFILL } },
        { &hf_btpeer_ext_hp_port,
          { "Port", "btpeer.ext.holepunch.port", FT_UINT16, BASE_DEC, NULL, 0x0, NULL, HFILL } },
        { &hf_btpeer_ext_hp_error,
          { "Error", "btpeer.ext.holepunch.error", FT_UINT32, BASE_DEC, VALS(hp_error_vals), 0x0, NULL, HFILL } },
        { &hf_btpeer_ext_upload_only,
          { "Upload only", "btpeer.ext.upload_only", FT_UINT8, BASE_DEC, NULL, 0x0, NULL, HFILL } },
        { &hf_btpeer_ext_share_mode,
          { "Share mode", "btpeer.ext.share_mode", FT_UINT8, BASE_DEC, NULL, 0x0, NULL, HFILL } },
        { &hf_btpeer_ext_data,
          { "Extension payload", "btpeer.ext.data", FT_BYTES, BASE_NONE, NULL, 0x0, NULL, HFILL } },
    };
    static int *ett[] = { &ett_btpeer_ext_bencode, &ett_btpeer_ext_m, &ett_btpeer_ext_peer, &ett_btpeer_ext_pex_flags };
    static ei_register_info ei[] = {
        { &ei_btpeer_ext_unknown_id,
          { "btpeer.ext.id.unknown", PI_UNDECODED, PI_WARN, "Extension id not announced by the receiving peer", EXPFILL } },
        { &ei_btpeer_ext_no_decoder,
          { "btpeer.ext.name.undecoded", PI_UNDECODED, PI_NOTE, "No decoder for this extension", EXPFILL } },
        { &ei_btpeer_ext_bad_value,
          { "btpeer.ext.invalid", PI_MALFORMED, PI_WARN, "Invalid value in an extension message", EXPFILL } },
        { &ei_btpeer_ext_truncated,
          { "btpeer.ext.truncated", PI_MALFORMED, PI_ERROR, "Extension message too short", EXPFILL } },
    };
    proto_register_field_array(proto, hf, array_length(hf));
    proto_register_subtree_array(ett, array_length(ett));
    expert_register_field_array(em, ei, array_length(ei));
}
