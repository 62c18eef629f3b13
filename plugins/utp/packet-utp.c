/* packet-utp.c
 * uTP, the Micro Transport Protocol of BitTorrent (BEP 29,
 * https://www.bittorrent.org/beps/bep_0029.html): header and extension
 * decoding, the UDP heuristic, registration.  Connection tracking and
 * sequence analysis live in utp-analysis.c (displayed by
 * utp-analysis-tree.c), connections without a SYN in utp-midstream.c,
 * stream reassembly in utp-reassembly.c, Follow in utp-follow.c,
 * conversation table / stats tree in utp-stats.c.  Each file registers the
 * fields, subtrees and experts it fills in.
 *
 *    0       4       8               16              24              32
 *    +-------+-------+---------------+---------------+---------------+
 *    | type  | ver   | extension     | connection_id                 |
 *    +-------+-------+---------------+---------------+---------------+
 *    | timestamp_microseconds                                        |
 *    | timestamp_difference_microseconds                             |
 *    | wnd_size                                                      |
 *    | seq_nr                        | ack_nr                        |
 *    +---------------+---------------+---------------+---------------+
 *    extensions: next_extension u8, len u8, len bytes; ...; then payload
 *
 * Filter name "utp" (the built-in 4.0 dissector is "bt-utp"; names must not
 * collide or Wireshark refuses to start).
 */
#include <epan/packet.h>
#include <epan/prefs.h>
#include <epan/expert.h>
#include <epan/conversation.h>
#include <epan/tap.h>
#include <wsutil/str_util.h>

#include "utp-int.h"
#include "utp-sack.h"
#include "btfmt.h"
#include "packet-utp.h"
#include "ws-compat.h"

int proto_utp = -1;

static int hf_utp_ver = -1;
static int hf_utp_type = -1;
static int hf_utp_ext = -1;
static int hf_utp_connection_id = -1;
static int hf_utp_timestamp_us = -1;
static int hf_utp_timestamp_diff_us = -1;
static int hf_utp_wnd_size = -1;
static int hf_utp_seq_raw = -1;
static int hf_utp_ack_raw = -1;
static int hf_utp_len = -1;
static int hf_utp_v0_connection_id = -1;
static int hf_utp_v0_timestamp_sec = -1;
static int hf_utp_v0_wnd = -1;
static int hf_utp_extension = -1;
static int hf_utp_ext_type = -1;
static int hf_utp_ext_next = -1;
static int hf_utp_ext_len = -1;
static int hf_utp_ext_sack_bitmask = -1;
static int hf_utp_ext_sack_acked = -1;
static int hf_utp_ext_sack_count = -1;
static int hf_utp_ext_bits = -1;
static int hf_utp_ext_close_reserved = -1;
static int hf_utp_ext_close_reason = -1;
static int hf_utp_ext_data = -1;
static int hf_utp_payload = -1;


static gint ett_utp = -1;
static gint ett_utp_extension = -1;
static gint ett_utp_sack = -1;

static expert_field ei_utp_ext_truncated = EI_INIT;
static expert_field ei_utp_ext_unknown = EI_INIT;
static expert_field ei_utp_ext_too_many = EI_INIT;
static expert_field ei_utp_sack_len = EI_INIT;
static expert_field ei_utp_ext_bad_len = EI_INIT;
static expert_field ei_utp_payload_unexpected = EI_INIT;
static expert_field ei_utp_close_reason = EI_INIT;
static expert_field ei_utp_reset = EI_INIT;
static expert_field ei_utp_version0 = EI_INIT;
static expert_field ei_utp_bad_header = EI_INIT;

bt_pref_bool utp_pref_analyze_seq = TRUE;
bt_pref_bool utp_pref_relative_seq = TRUE;
bt_pref_bool utp_pref_reassemble = TRUE;

static int utp_tap = -1;
static dissector_handle_t utp_handle;
static dissector_table_t udp_port_table;

/* Most selective-ACK numbers listed in the Info column: the tree lists all. */
#define UTP_INFO_SACK_RANGES 4

/* Does this packet carry a selective ACK whose length is not a multiple of 4?
 * libtorrent sends such masks on every connection, so the expert is shown on
 * a connection's first one only (UTP_A_SACK_SHORT, set on the first pass). */
static gboolean
utp_has_short_sack(const utp_header_t *h)
{
    for (size_t i = 0; i < MIN(h->n_ext, (size_t)UTP_MAX_EXT); i++)
        if (h->ext[i].type == UTP_EXT_SACK && h->ext[i].len % 4 != 0)
            return TRUE;
    return FALSE;
}

/* Selective ACK: every acknowledged packet number as its own field.  A short
 * mask's expert only where `report_len` (see utp_has_short_sack). */
static void
dissect_utp_sack(tvbuff_t *tvb, packet_info *pinfo, proto_tree *ext_tree, proto_item *len_item,
                 const utp_header_t *h, const utp_ext_t *e, gboolean report_len)
{
    proto_item *mask_item;
    proto_tree *sack_tree;
    const guint8 *mask;
    guint16 *acked;
    size_t n, shown;

    if (e->len % 4 != 0 && report_len)
        expert_add_info(pinfo, len_item, &ei_utp_sack_len);
    if (e->len == 0)
        return;
    mask_item = proto_tree_add_item(ext_tree, hf_utp_ext_sack_bitmask, tvb, (gint)e->data_off, e->len, ENC_NA);
    sack_tree = proto_item_add_subtree(mask_item, ett_utp_sack);
    mask = e->data;     /* the parser's view of the bytes: not read again */
    acked = wmem_alloc_array(pinfo->pool, guint16, UTP_SACK_MAX_BITS);
    n = utp_sack_decode(h->ack, mask, e->len, acked, UTP_SACK_MAX_BITS);
    shown = MIN(n, UTP_SACK_MAX_BITS);
    if (ext_tree && PTREE_DATA(ext_tree)->visible)
        proto_item_append_text(mask_item, " (%u packet%s acknowledged)", (guint)n, plurality(n, "", "s"));
    proto_item_set_generated(proto_tree_add_uint(sack_tree, hf_utp_ext_sack_count, tvb,
                                                 (gint)e->data_off, e->len, (guint32)n));
    for (size_t i = 0; i < shown; i++) {
        proto_item *it = proto_tree_add_uint(sack_tree, hf_utp_ext_sack_acked, tvb,
                                             (gint)e->data_off, e->len, acked[i]);
        proto_item_set_generated(it);
    }

    /* Info column: [SACK a-b,c-d] with the raw packet numbers */
    utp_sack_range_t ranges[UTP_INFO_SACK_RANGES];
    size_t nr = utp_sack_ranges(h->ack, mask, e->len, ranges, UTP_INFO_SACK_RANGES);
    if (nr) {
        wmem_strbuf_t *sb = wmem_strbuf_new(pinfo->pool, " [SACK ");
        for (size_t i = 0; i < MIN(nr, (size_t)UTP_INFO_SACK_RANGES); i++) {
            if (i)
                wmem_strbuf_append_c(sb, ',');
            if (ranges[i].first == ranges[i].last)
                wmem_strbuf_append_printf(sb, "%u", ranges[i].first);
            else
                wmem_strbuf_append_printf(sb, "%u-%u", ranges[i].first, ranges[i].last);
        }
        if (nr > UTP_INFO_SACK_RANGES)
            wmem_strbuf_append(sb, ",...");
        wmem_strbuf_append_c(sb, ']');
        col_append_str(pinfo->cinfo, COL_INFO, wmem_strbuf_get_str(sb));
    }
}

/* The extension chain: one subtree per extension, each length checked. */
static void
dissect_utp_extensions(tvbuff_t *tvb, packet_info *pinfo, proto_tree *tree,
                       const utp_header_t *h, utp_parse_status_t st, const utp_frame_t *fa)
{
    /* without a connection (quoted in ICMP, Decode As) nothing is deduplicated */
    gboolean report_short = !fa || (fa->flags & UTP_A_SACK_SHORT);

    for (size_t i = 0; i < MIN(h->n_ext, (size_t)UTP_MAX_EXT); i++) {
        const utp_ext_t *e = &h->ext[i];
        proto_item *ei, *len_item, *ti;
        proto_tree *et;

        ei = proto_tree_add_uint_format(tree, hf_utp_extension, tvb, (gint)e->hdr_off, 2 + e->len,
                                        e->type, "Extension: %s (%u), %u byte%s",
                                        val_to_str_const(e->type, utp_ext_vals, "Unknown"), e->type, e->len,
                                        plurality(e->len, "", "s"));
        et = proto_item_add_subtree(ei, ett_utp_extension);
        ti = proto_tree_add_uint(et, hf_utp_ext_type, tvb, (gint)e->hdr_off, 0, e->type);
        proto_item_set_generated(ti);
        proto_tree_add_item(et, hf_utp_ext_next, tvb, (gint)e->hdr_off, 1, ENC_BIG_ENDIAN);
        len_item = proto_tree_add_item(et, hf_utp_ext_len, tvb, (gint)e->hdr_off + 1, 1, ENC_BIG_ENDIAN);

        switch (e->type) {
        case UTP_EXT_SACK:
            dissect_utp_sack(tvb, pinfo, et, len_item, h, e, report_short);
            break;
        case UTP_EXT_BITS:
            if (e->len != 8)
                expert_add_info_format(pinfo, len_item, &ei_utp_ext_bad_len,
                                       "Extension bits should be 8 bytes long, not %u", e->len);
            if (e->len)
                proto_tree_add_item(et, hf_utp_ext_bits, tvb, (gint)e->data_off, e->len, ENC_NA);
            break;
        case UTP_EXT_CLOSE_REASON:
            if (e->len != 4) {
                expert_add_info_format(pinfo, len_item, &ei_utp_ext_bad_len,
                                       "Close reason should be 4 bytes long, not %u", e->len);
                if (e->len)
                    proto_tree_add_item(et, hf_utp_ext_data, tvb, (gint)e->data_off, e->len, ENC_NA);
            } else {
                guint16 reason = (guint16)(e->data[2] << 8 | e->data[3]);
                proto_tree_add_item(et, hf_utp_ext_close_reserved, tvb, (gint)e->data_off, 2, ENC_BIG_ENDIAN);
                ti = proto_tree_add_item(et, hf_utp_ext_close_reason, tvb, (gint)e->data_off + 2, 2, ENC_BIG_ENDIAN);
                expert_add_info_format(pinfo, ti, &ei_utp_close_reason, "Connection closed: %s",
                                       val_to_str_const(reason, utp_close_reason_vals, "unknown reason"));
                col_append_fstr(pinfo->cinfo, COL_INFO, " [Close: %s]",
                                val_to_str_const(reason, utp_close_reason_vals, "unknown"));
            }
            break;
        default:
            expert_add_info_format(pinfo, ei, &ei_utp_ext_unknown, "Unknown extension type %u", e->type);
            if (e->len)
                proto_tree_add_item(et, hf_utp_ext_data, tvb, (gint)e->data_off, e->len, ENC_NA);
            break;
        }
    }
    if (h->n_ext > UTP_MAX_EXT)
        proto_tree_add_expert_format(tree, pinfo, &ei_utp_ext_too_many, tvb, (gint)h->ext[UTP_MAX_EXT - 1].hdr_off, 0,
                                     "%u more extensions not shown (chain of %u)",
                                     (guint)(h->n_ext - UTP_MAX_EXT), (guint)h->n_ext);
    if (st == UTP_PARSE_EXT_TRUNCATED) {
        gint left = tvb_reported_length_remaining(tvb, (gint)h->bad_ext_off);
        proto_tree_add_expert_format(tree, pinfo, &ei_utp_ext_truncated, tvb, (gint)h->bad_ext_off, left,
                                     "Extension does not fit in the packet (%d bytes left)", left);
    }
}

/* Where the header's fields are (offset, length), in the BEP 29 layout after
 * the type/version byte, and in the pre-BEP-29 (version 0) layout. */
typedef struct {
    int *hf;
    gint off, len;
} utp_hdr_field_t;

static const utp_hdr_field_t utp_v1_fields[] = {
    { &hf_utp_ext, 1, 1 },           { &hf_utp_connection_id, 2, 2 },
    { &hf_utp_timestamp_us, 4, 4 },  { &hf_utp_timestamp_diff_us, 8, 4 },
    { &hf_utp_wnd_size, 12, 4 },     { &hf_utp_seq_raw, 16, 2 },
    { &hf_utp_ack_raw, 18, 2 },
};

static const utp_hdr_field_t utp_v0_fields[] = {
    { &hf_utp_v0_connection_id, 0, 4 }, { &hf_utp_v0_timestamp_sec, 4, 4 },
    { &hf_utp_timestamp_us, 8, 4 },     { &hf_utp_timestamp_diff_us, 12, 4 },
    { &hf_utp_v0_wnd, 16, 1 },          { &hf_utp_ext, 17, 1 },
    { &hf_utp_type, 18, 1 },            { &hf_utp_seq_raw, 19, 2 },
    { &hf_utp_ack_raw, 21, 2 },
};

static void
utp_add_fields(proto_tree *ut, tvbuff_t *tvb, const utp_hdr_field_t *f, size_t n)
{
    for (size_t i = 0; i < n; i++)
        proto_tree_add_item(ut, *f[i].hf, tvb, f[i].off, f[i].len, ENC_BIG_ENDIAN);
}

/* Seq and Ack as the Info column and the tree header show them: relative
 * when the preferences ask for it and the analysis has the numbers. */
static void
utp_shown_numbers(const utp_header_t *h, const utp_frame_t *fa, guint32 *seq, guint32 *ack)
{
    *seq = h->seq;
    *ack = h->ack;
    if (fa && utp_pref_relative_seq && utp_pref_analyze_seq && (fa->flags & UTP_A_REL_SEQ)) {
        *seq = fa->rel_seq;
        if (fa->flags & UTP_A_REL_ACK)
            *ack = fa->rel_ack;
    }
}

static proto_tree *
dissect_utp_header(tvbuff_t *tvb, packet_info *pinfo, proto_tree *tree, const utp_header_t *h,
                   const utp_frame_t *fa)
{
    proto_item *ti = proto_tree_add_item(tree, proto_utp, tvb, 0, -1, ENC_NA);
    proto_tree *ut = proto_item_add_subtree(ti, ett_utp);
    guint32 seq, ack;

    /* the summary is text for a shown tree only (not worth formatting for a
     * filter or -T fields, which never read it) */
    if (tree && PTREE_DATA(tree)->visible) {
        /* ", Type: ST_DATA, Conn: 1234, Seq: 5, Ack: 6, Len: 1400": at most
         * 2+6+8+2+6+5+2+5+10+2+5+10+2+5+5 = 75 characters */
        char sum[96];
        bt_fmt_t f;
        utp_shown_numbers(h, fa, &seq, &ack);
        bt_fmt_init(&f, sum, sizeof(sum));
        bt_fmt_str(&f, ", Type: ");
        bt_fmt_str(&f, val_to_str_const(h->type, utp_type_vals, "?"));
        bt_fmt_str(&f, ", Conn: ");
        bt_fmt_u32(&f, h->conn_id);
        bt_fmt_str(&f, ", Seq: ");
        bt_fmt_u32(&f, seq);
        bt_fmt_str(&f, ", Ack: ");
        bt_fmt_u32(&f, ack);
        bt_fmt_str(&f, ", Len: ");
        bt_fmt_u32(&f, (guint32)h->payload_len);
        proto_item_append_text(ti, "%s", sum);
    }
    if (h->version == 1) {
        /* type and version share byte 0: values from the parser */
        proto_tree_add_uint(ut, hf_utp_type, tvb, 0, 1, h->type);
        proto_tree_add_uint(ut, hf_utp_ver, tvb, 0, 1, h->version);
        utp_add_fields(ut, tvb, utp_v1_fields, array_length(utp_v1_fields));
    } else {
        /* version 0: the pre-BEP-29 layout libutp still uses in some RESETs */
        proto_item *vi = proto_tree_add_uint(ut, hf_utp_ver, tvb, 0, 0, 0);
        proto_item_set_generated(vi);
        expert_add_info(pinfo, vi, &ei_utp_version0);
        utp_add_fields(ut, tvb, utp_v0_fields, array_length(utp_v0_fields));
    }
    return ut;
}

static void
utp_set_info(packet_info *pinfo, const utp_header_t *h, const utp_frame_t *fa)
{
    guint32 seq, ack;

    col_set_str(pinfo->cinfo, COL_PROTOCOL, "uTP");
    utp_shown_numbers(h, fa, &seq, &ack);
    col_add_fstr(pinfo->cinfo, COL_INFO, "%u \xe2\x86\x92 %u [%s] Seq=%u", pinfo->srcport, pinfo->destport,
                 val_to_str_const(h->type, utp_type_short_vals, "?"), seq);
    if (h->type != UTP_ST_SYN)
        col_append_fstr(pinfo->cinfo, COL_INFO, " Ack=%u", ack);
    col_append_fstr(pinfo->cinfo, COL_INFO, " Win=%u Len=%u", h->wnd, (guint)h->payload_len);
    if (h->version == 0)
        col_append_str(pinfo->cinfo, COL_INFO, " [v0]");
}

static utp_frame_t *
utp_frame_record(packet_info *pinfo)
{
    return utp_frame_lookup(pinfo->num);
}

static int
dissect_utp_parsed(tvbuff_t *tvb, packet_info *pinfo, proto_tree *tree, const utp_header_t *h,
                   utp_parse_status_t st, utp_conn_t *conn)
{
    utp_frame_t *fa = NULL;
    guint64 abs_seq = 0;        /* first pass: for the reassembly */
    proto_tree *ut;
    proto_item *ti;

    if (conn) {
        if (!PINFO_FD_VISITED(pinfo)) {
            fa = utp_analyze(pinfo, tvb, h, conn, &abs_seq);
            fa->v0 = (h->version == 0);
            if (!conn->sack_short_seen && utp_has_short_sack(h)) {
                fa->flags |= UTP_A_SACK_SHORT;
                conn->sack_short_seen = TRUE;
            }
        } else {
            fa = utp_frame_record(pinfo);
        }
    }

    utp_set_info(pinfo, h, fa);
    ut = dissect_utp_header(tvb, pinfo, tree, h, fa);
    if (h->type == UTP_ST_RESET)
        expert_add_info(pinfo, proto_tree_get_parent(ut), &ei_utp_reset);
    dissect_utp_extensions(tvb, pinfo, ut, h, st, fa);
    ti = proto_tree_add_uint(ut, hf_utp_len, tvb, (gint)h->payload_off, 0, (guint32)h->payload_len);
    proto_item_set_generated(ti);
    if (h->payload_len && h->type != UTP_ST_DATA)
        expert_add_info_format(pinfo, ti, &ei_utp_payload_unexpected, "%s carries %u bytes of payload",
                               val_to_str_const(h->type, utp_type_vals, "?"), (guint)h->payload_len);

    if (fa) {
        utp_analysis_tree(tvb, pinfo, ut, fa, h);
        utp_tap_info_t *tap = wmem_new(pinfo->pool, utp_tap_info_t);
        tap->conn = utp_frame_conn(fa);
        tap->fa = fa;
        tap->hdr = h;
        tap_queue_packet(utp_tap, pinfo, tap);
    }

    if (fa && (h->type == UTP_ST_FIN || h->type == UTP_ST_RESET))
        utp_payload_end(tvb, pinfo, tree, ut, h, fa, abs_seq);
    if (h->payload_len) {
        if (fa && h->type == UTP_ST_DATA) {
            utp_payload(tvb, pinfo, tree, ut, h, fa, abs_seq);
        } else {
            tvbuff_t *ptvb = tvb_new_subset_remaining(tvb, (gint)h->payload_off);
            proto_tree_add_item(ut, hf_utp_payload, ptvb, 0, -1, ENC_NA);
        }
    }
    return tvb_captured_length(tvb);
}

/* The whole packet must be captured for the chain walk and the payload.
 * `v0` forces the version-0 layout (see utp_parse_header_v0). */
static utp_parse_status_t
utp_parse_tvb(tvbuff_t *tvb, utp_header_t *h, gboolean v0)
{
    guint len = tvb_captured_length(tvb);
    if (len < UTP_V1_HEADER_LEN)
        return UTP_PARSE_SHORT;     /* the parsers check their own minimum too */
    return (v0 ? utp_parse_header_v0 : utp_parse_header)(tvb_get_ptr(tvb, 0, len), len, h);
}

/* The user chose "Decode As uTP" for one of this packet's UDP ports. */
static gboolean
utp_forced(packet_info *pinfo)
{
    return udp_port_table && (dissector_get_uint_handle(udp_port_table, pinfo->srcport) == utp_handle ||
                              dissector_get_uint_handle(udp_port_table, pinfo->destport) == utp_handle);
}

/* Decides whether this UDP payload is uTP and dissects it.  Without `forced`
 * (heuristic, pinned conversation) only plausible packets are taken: a SYN,
 * STATE, FIN or RESET that could open a connection, or any well-formed packet
 * of a connection already known.  Decisions of the first pass are kept: on
 * later passes a frame is uTP exactly when it was then (it has analysis
 * data), so the GUI, one-pass and two-pass runs agree. */
static int
utp_claim(tvbuff_t *tvb, packet_info *pinfo, proto_tree *tree, gboolean forced)
{
    utp_header_t *h = wmem_new(pinfo->pool, utp_header_t);
    utp_parse_status_t st = utp_parse_tvb(tvb, h, FALSE);
    gboolean parsed = (st == UTP_PARSE_OK || st == UTP_PARSE_EXT_TRUNCATED);
    utp_conn_t *conn = NULL;

    if (pinfo->flags.in_error_pkt) {
        /* uTP quoted in an ICMP error: shown, never fed to the analysis */
        if (!forced && !(st == UTP_PARSE_OK &&
                         (utp_plausible_new(h) || utp_conn_find(pinfo, h, FALSE))))
            return 0;
    } else if (PINFO_FD_VISITED(pinfo)) {
        utp_frame_t *fa = utp_frame_record(pinfo);
        if (fa) {
            conn = utp_frame_conn(fa);
            if (fa->v0)
                st = utp_parse_tvb(tvb, h, TRUE);
        } else if (!forced) {
            return 0;
        }
    } else if (parsed) {
        conn = utp_conn_find(pinfo, h, FALSE);
        if (!conn || st != UTP_PARSE_OK) {
            /* libutp's 23-byte version-0 RESET can start like a version-1
             * header (see utp_parse_header_v0): try it as one. */
            utp_header_t *h0 = wmem_new(pinfo->pool, utp_header_t);
            utp_conn_t *c0;
            if (utp_parse_tvb(tvb, h0, TRUE) == UTP_PARSE_OK && h0->type == UTP_ST_RESET &&
                h0->payload_len == 0 && (c0 = utp_conn_find(pinfo, h0, FALSE)) != NULL) {
                h = h0;
                st = UTP_PARSE_OK;
                conn = c0;
            }
        }
        if (conn) {
            if (st == UTP_PARSE_OK && !utp_plausible_known(h) && !forced)
                return 0;
        } else if (st == UTP_PARSE_OK && (forced || utp_plausible_new(h))) {
            conn = utp_conn_find(pinfo, h, TRUE);
        } else if (st == UTP_PARSE_OK && (conn = utp_midstream_data(pinfo, tvb, h)) != NULL) {
            /* a DATA that confirmed a connection whose SYN was not captured */
        } else if (!forced) {
            return 0;
        }
        if (conn && !forced && !conn->pinned) {
            /* Pin the UDP conversation to uTP so that port-based dissectors
             * (and other heuristics, e.g. WireGuard's) do not take later
             * packets.  DHT shares the port in libtorrent: such packets do
             * not parse and are given back to UDP. */
            conversation_set_dissector(find_or_create_conversation(pinfo), utp_handle);
            conn->pinned = TRUE;
        }
    } else if (!forced) {
        return 0;
    }

    if (!parsed) {
        proto_item *ti;
        col_set_str(pinfo->cinfo, COL_PROTOCOL, "uTP");
        col_set_str(pinfo->cinfo, COL_INFO, "Malformed uTP header");
        ti = proto_tree_add_item(tree, proto_utp, tvb, 0, -1, ENC_NA);
        expert_add_info(pinfo, ti, &ei_utp_bad_header);
        return tvb_captured_length(tvb);
    }
    return dissect_utp_parsed(tvb, pinfo, tree, h, st, conn);
}

/* "Decode As" and the pinned UDP conversation. */
static int
dissect_utp(tvbuff_t *tvb, packet_info *pinfo, proto_tree *tree, void *data _U_)
{
    return utp_claim(tvb, pinfo, tree, utp_forced(pinfo));
}

static bt_heur_bool
dissect_utp_heur(tvbuff_t *tvb, packet_info *pinfo, proto_tree *tree, void *data _U_)
{
    if (tvb_captured_length(tvb) < UTP_V1_HEADER_LEN)
        return FALSE;
    return utp_claim(tvb, pinfo, tree, FALSE) > 0;
}

static void
utp_init(void)
{
    utp_analysis_init();
}

void
proto_register_utp(void)
{
    static hf_register_info hf[] = {
        { &hf_utp_ver, { "Version", "utp.ver", FT_UINT8, BASE_DEC, NULL, 0x0, "uTP version (1 in BEP 29; 0 = pre-BEP-29 libutp header)", HFILL } },
        { &hf_utp_type, { "Type", "utp.type", FT_UINT8, BASE_DEC, VALS(utp_type_vals), 0x0, NULL, HFILL } },
        { &hf_utp_ext, { "First extension", "utp.ext", FT_UINT8, BASE_DEC, VALS(utp_ext_vals), 0x0, "Type of the first extension in the chain", HFILL } },
        { &hf_utp_connection_id, { "Connection ID", "utp.connection_id", FT_UINT16, BASE_DEC, NULL, 0x0, NULL, HFILL } },
        { &hf_utp_timestamp_us, { "Timestamp (us)", "utp.timestamp_us", FT_UINT32, BASE_DEC, NULL, 0x0, "Sender's clock when sending, microseconds", HFILL } },
        { &hf_utp_timestamp_diff_us, { "Timestamp difference (us)", "utp.timestamp_diff_us", FT_UINT32, BASE_DEC, NULL, 0x0, "Sender's latest measurement of the peer-to-sender one-way delay (plus clock offset)", HFILL } },
        { &hf_utp_wnd_size, { "Window size", "utp.wnd_size", FT_UINT32, BASE_DEC, NULL, 0x0, "Receive window advertised, bytes", HFILL } },
        { &hf_utp_seq_raw, { "Sequence number (raw)", "utp.seq_raw", FT_UINT16, BASE_DEC, NULL, 0x0, NULL, HFILL } },
        { &hf_utp_ack_raw, { "Acknowledgment number (raw)", "utp.ack_raw", FT_UINT16, BASE_DEC, NULL, 0x0, "Last packet received in order", HFILL } },
        { &hf_utp_len, { "Payload length", "utp.len", FT_UINT32, BASE_DEC, NULL, 0x0, NULL, HFILL } },
        { &hf_utp_v0_connection_id, { "Connection ID (v0)", "utp.v0.connection_id", FT_UINT32, BASE_DEC, NULL, 0x0, NULL, HFILL } },
        { &hf_utp_v0_timestamp_sec, { "Timestamp seconds (v0)", "utp.v0.timestamp_sec", FT_UINT32, BASE_DEC, NULL, 0x0, NULL, HFILL } },
        { &hf_utp_v0_wnd, { "Window size byte (v0)", "utp.v0.wnd", FT_UINT8, BASE_DEC, NULL, 0x0, NULL, HFILL } },
        { &hf_utp_extension, { "Extension", "utp.extension", FT_UINT8, BASE_DEC, VALS(utp_ext_vals), 0x0, NULL, HFILL } },
        { &hf_utp_ext_type, { "Type", "utp.ext.type", FT_UINT8, BASE_DEC, VALS(utp_ext_vals), 0x0, "Type of this extension (named by the byte before it)", HFILL } },
        { &hf_utp_ext_next, { "Next extension", "utp.ext.next", FT_UINT8, BASE_DEC, VALS(utp_ext_vals), 0x0, NULL, HFILL } },
        { &hf_utp_ext_len, { "Length", "utp.ext.len", FT_UINT8, BASE_DEC, NULL, 0x0, NULL, HFILL } },
        { &hf_utp_ext_sack_bitmask, { "Selective ACK bitmask", "utp.ext.sack.bitmask", FT_BYTES, BASE_NONE, NULL, 0x0, "Bit i set: packet ack_nr + 2 + i was received", HFILL } },
        { &hf_utp_ext_sack_acked, { "Selectively acknowledged", "utp.ext.sack.acked", FT_UINT16, BASE_DEC, NULL, 0x0, "Raw sequence number of a packet received out of order", HFILL } },
        { &hf_utp_ext_sack_count, { "Packets selectively acknowledged", "utp.ext.sack.count", FT_UINT32, BASE_DEC, NULL, 0x0, NULL, HFILL } },
        { &hf_utp_ext_bits, { "Extension bits", "utp.ext.bits", FT_BYTES, BASE_NONE, NULL, 0x0, NULL, HFILL } },
        { &hf_utp_ext_close_reserved, { "Reserved", "utp.ext.close_reason.reserved", FT_UINT16, BASE_HEX, NULL, 0x0, NULL, HFILL } },
        { &hf_utp_ext_close_reason, { "Close reason", "utp.ext.close_reason", FT_UINT16, BASE_DEC, VALS(utp_close_reason_vals), 0x0, "libtorrent close_reason_t", HFILL } },
        { &hf_utp_ext_data, { "Extension data", "utp.ext.data", FT_BYTES, BASE_NONE, NULL, 0x0, NULL, HFILL } },
        { &hf_utp_payload, { "Payload", "utp.payload", FT_BYTES, BASE_NONE, NULL, 0x0, NULL, HFILL } },
    };

    static gint *ett[] = { &ett_utp, &ett_utp_extension, &ett_utp_sack };

    static ei_register_info ei[] = {
        { &ei_utp_ext_truncated, { "utp.ext.truncated", PI_MALFORMED, PI_ERROR, "Extension does not fit in the packet", EXPFILL } },
        { &ei_utp_ext_unknown, { "utp.ext.unknown", PI_PROTOCOL, PI_WARN, "Unknown extension type", EXPFILL } },
        { &ei_utp_ext_too_many, { "utp.ext.too_many", PI_MALFORMED, PI_WARN, "Unusually long extension chain", EXPFILL } },
        { &ei_utp_sack_len, { "utp.ext.sack.len_not_multiple_of_4", PI_PROTOCOL, PI_CHAT, "Selective ACK length is not a multiple of 4 (BEP 29); libtorrent sends such short masks (shown on the connection's first one only)", EXPFILL } },
        { &ei_utp_ext_bad_len, { "utp.ext.len.invalid", PI_MALFORMED, PI_WARN, "Extension length invalid for its type", EXPFILL } },
        { &ei_utp_payload_unexpected, { "utp.len.unexpected", PI_PROTOCOL, PI_WARN, "Payload on a packet type that carries none", EXPFILL } },
        { &ei_utp_close_reason, { "utp.ext.close_reason.expert", PI_SEQUENCE, PI_CHAT, "Connection closed with a reason", EXPFILL } },
        { &ei_utp_reset, { "utp.reset", PI_SEQUENCE, PI_NOTE, "Connection reset (ST_RESET)", EXPFILL } },
        { &ei_utp_version0, { "utp.ver.zero", PI_PROTOCOL, PI_NOTE, "Version 0 header (pre-BEP-29 libutp layout)", EXPFILL } },
        { &ei_utp_bad_header, { "utp.malformed", PI_MALFORMED, PI_ERROR, "Not a valid uTP header", EXPFILL } },
    };

    module_t *m;
    expert_module_t *em;

    /* Names distinct from the built-in "bt-utp" / "BT-uTP" / "uTorrent Transport Protocol". */
    proto_utp = proto_register_protocol("Micro Transport Protocol (BEP 29)", "uTP", "utp");
    proto_register_field_array(proto_utp, hf, array_length(hf));
    proto_register_subtree_array(ett, array_length(ett));
    em = expert_register_protocol(proto_utp);
    expert_register_field_array(em, ei, array_length(ei));

    m = prefs_register_protocol(proto_utp, NULL);
    prefs_register_bool_preference(m, "analyze_sequence_numbers", "Analyze uTP sequence numbers",
        "Track each connection: relative numbers, ACK/RTT, retransmissions, duplicate ACKs, "
        "bytes in flight, LEDBAT delays", &utp_pref_analyze_seq);
    prefs_register_bool_preference(m, "relative_sequence_numbers", "Relative sequence numbers",
        "Show sequence and acknowledgment numbers relative to the first packet of each side", &utp_pref_relative_seq);
    prefs_register_bool_preference(m, "reassemble", "Reassemble payload PDUs spanning several uTP packets",
        "Let the payload dissector (BitTorrent) ask for more bytes, like TCP desegmentation. "
        "Off: each packet's payload is handed on alone.", &utp_pref_reassemble);

    utp_handle = register_dissector("utp", dissect_utp, proto_utp);
    utp_tap = register_tap("utp");
    register_init_routine(utp_init);
    utp_analysis_tree_register(proto_utp, em);
    utp_reassembly_register(proto_utp, em);
    utp_follow_register(proto_utp);
    utp_stats_register();
    utp_flow_register();
}

void
proto_reg_handoff_utp(void)
{
    heur_dissector_add("udp", dissect_utp_heur, "uTP over UDP (BEP 29)", "utp_udp", proto_utp, HEURISTIC_ENABLE);
    dissector_add_for_decode_as_with_preference("udp.port", utp_handle);
    udp_port_table = find_dissector_table("udp.port");
    utp_reassembly_handoff();
    utp_analysis_handoff();
}
