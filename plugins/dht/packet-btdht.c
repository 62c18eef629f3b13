/* packet-btdht.c
 * The BitTorrent mainline DHT (BEP 5, KRPC over UDP), filter name "btdht":
 * the message keys, registration, the UDP heuristic and the Info column.
 *
 *   d1:ad2:id20:<sender id>6:target20:<id>e1:q9:find_node1:t2:<tid>1:y1:qe
 *   d1:rd2:id20:<id>5:nodes<26 n>:...e1:t2:<tid>1:y1:re
 *   d1:eli201e<len>:<message>e1:t2:<tid>1:y1:ee
 *
 * Top-level keys: t (transaction id), y (q, r, e), q (method), a
 * (arguments), r (response), e ([code, message]), v (client version), ip
 * (BEP 42: the requester's address as the responder sees it), ro (BEP 43
 * read-only node).  The argument/response keys are btdht-args.c's, nodes
 * and peers btdht-nodes.c's, pairing btdht-pairing.c's, statistics
 * btdht-stats.c's.  Parsing is lib/btcommon/krpc.c over bencode.c.
 *
 * Wireshark has a built-in "bt-dht" (BitTorrent DHT Protocol, BT-DHT,
 * heuristic bittorrent_dht_udp, on by default on 4.0-4.6) that claims
 * datagrams starting "d1:ad", "d1:rd", "d2:ip" or "d1:el" and then pins the
 * UDP conversation to itself.  Our heuristic is tried first (plugin
 * heuristics precede built-in ones) and claims all of those too, so the
 * built-in never pins a conversation away from us; disabling btdht gives it
 * everything back.  Datagrams not starting that way are claimed only when
 * they are a whole bencoded dict with a string "t" and a "y" of q/r/e.
 */
#include <epan/packet.h>
#include <epan/expert.h>
#include <epan/tap.h>
#include <epan/to_str.h>

#include "btdht.h"
#include "discovery/bt-discovery-store.h"
#include "compact-peer.h"
#include "ws-compat.h"

void proto_register_btdht(void);
void proto_reg_handoff_btdht(void);

int proto_btdht = -1;

static int hf_btdht_t = -1;
static int hf_btdht_y = -1;
static int hf_btdht_q = -1;
static int hf_btdht_a = -1;
static int hf_btdht_r = -1;
static int hf_btdht_e = -1;
static int hf_btdht_error_code = -1;
static int hf_btdht_error_msg = -1;
static int hf_btdht_v = -1;
static int hf_btdht_v_client = -1;
static int hf_btdht_v_version = -1;
static int hf_btdht_ip = -1;
static int hf_btdht_ip_addr = -1;
static int hf_btdht_ip_addr6 = -1;
static int hf_btdht_ip_port = -1;
static int hf_btdht_ip_id_match = -1;
static int hf_btdht_ro = -1;
static int hf_btdht_top_key = -1;
static int hf_btdht_raw = -1;

static int ett_btdht = -1;
static int ett_btdht_dict = -1;
static int ett_btdht_error = -1;

static expert_field ei_btdht_invalid = EI_INIT;
static expert_field ei_btdht_missing = EI_INIT;
static expert_field ei_btdht_bad_value = EI_INIT;
static expert_field ei_btdht_error_code = EI_INIT;
static expert_field ei_btdht_ip_id = EI_INIT;

static dissector_handle_t btdht_handle;

static void dissect_error_list(tvbuff_t *tvb, packet_info *pinfo, proto_tree *tree, const guint8 *buf,
                               const bencode_value_t *k, const bencode_value_t *e)
{
    proto_item *ti = proto_tree_add_item(tree, hf_btdht_e, tvb, (int)k->start, (int)(e->end - k->start), ENC_NA);
    proto_tree *et = proto_item_add_subtree(ti, ett_btdht_error);
    bencode_iter_t it;
    bencode_value_t code, msg;
    gboolean ok = FALSE;

    bencode_iter_init(&it, buf, tvb_captured_length(tvb), e, KRPC_MAX_DEPTH);
    if (e->type == BENC_LIST && bencode_iter_next(&it, NULL, &code) && code.type == BENC_INT &&
        bencode_iter_next(&it, NULL, &msg) && msg.type == BENC_STR) {
        const char *name = krpc_error_name(code.ival);
        proto_item *ci = proto_tree_add_int64(et, hf_btdht_error_code, tvb, (int)code.start,
                                              (int)(code.end - code.start), code.ival);
        proto_item_append_text(ci, " (%s)", name ? name : "unknown code");
        if (!name)
            expert_add_info(pinfo, ci, &ei_btdht_error_code);
        proto_tree_add_item(et, hf_btdht_error_msg, tvb, (int)msg.str_off, (int)msg.str_len, ENC_UTF_8);
        proto_item_append_text(ti, ": %" G_GINT64_FORMAT " %s", code.ival, name ? name : "");
        col_append_fstr(pinfo->cinfo, COL_INFO, " %" G_GINT64_FORMAT " %s", code.ival, name ? name : "");
        ok = !bencode_iter_next(&it, NULL, &msg);
    }
    if (!ok) {
        expert_add_info_format(pinfo, ti, &ei_btdht_bad_value, "\"e\" is not a list of an integer and a string");
        btdht_bencode_value(tvb, pinfo, et, buf, e);
    }
}

static void dissect_version(tvbuff_t *tvb, packet_info *pinfo, proto_tree *tree, const guint8 *buf,
                            const bencode_value_t *v)
{
    proto_item *ti = proto_tree_add_item(tree, hf_btdht_v, tvb, (int)v->str_off, (int)v->str_len, ENC_NA);
    proto_tree *vt = proto_item_add_subtree(ti, ett_btdht_dict);
    char client[48], version[16];
    proto_item *it;

    krpc_version_name(buf + v->str_off, v->str_len, client, sizeof(client), version, sizeof(version));
    if (client[0]) {
        it = proto_tree_add_string(vt, hf_btdht_v_client, tvb, (int)v->str_off, 2, client);
        proto_item_set_generated(it);
        it = proto_tree_add_string(vt, hf_btdht_v_version, tvb, (int)v->str_off + 2, 2, version);
        proto_item_set_generated(it);
        proto_item_append_text(ti, " (%s %s)", client, version);
    }
    (void)pinfo;
}

/* BEP 42 "ip": the requester's address as the responder saw it; the
 * requester's id (from the query this answers) is checked against it. */
static void dissect_ip(tvbuff_t *tvb, packet_info *pinfo, proto_tree *tree, const guint8 *buf,
                       const bencode_value_t *v, const krpc_msg_t *m, const btdht_frame_t *fr)
{
    proto_item *ti = proto_tree_add_item(tree, hf_btdht_ip, tvb, (int)v->str_off, (int)v->str_len, ENC_NA);
    proto_tree *it;
    krpc_bep42_t r;
    proto_item *mi;

    if (v->str_len != BT_COMPACT_V4_LEN && v->str_len != BT_COMPACT_V6_LEN) {
        expert_add_info_format(pinfo, ti, &ei_btdht_bad_value, "\"ip\" is not a 6- or 18-byte compact address");
        return;
    }
    it = proto_item_add_subtree(ti, ett_btdht_dict);
    btdht_compact_addr(tvb, it, hf_btdht_ip_addr, hf_btdht_ip_addr6, hf_btdht_ip_port, (int)v->str_off,
                       (int)v->str_len);
    if (m->y_kind == KRPC_Y_QUERY || !fr->txn || !fr->txn->has_querier_id)
        return;
    r = krpc_bep42_check(fr->txn->querier_id, buf + v->str_off, v->str_len == BT_COMPACT_V6_LEN);
    if (r == KRPC_BEP42_EXEMPT)
        return;
    mi = proto_tree_add_boolean(it, hf_btdht_ip_id_match, tvb, (int)v->str_off, (int)v->str_len,
                                r == KRPC_BEP42_MATCH);
    proto_item_set_generated(mi);
    if (r == KRPC_BEP42_MISMATCH)
        expert_add_info_format(pinfo, mi, &ei_btdht_ip_id,
                               "The requester's node ID (frame %u) does not match this address (BEP 42)",
                               fr->txn->query_frame);
}

/* One top-level key, in wire order. */
static void top_key(tvbuff_t *tvb, packet_info *pinfo, proto_tree *tree, const guint8 *buf, const bencode_value_t *k,
                    const bencode_value_t *v, const krpc_msg_t *m, const btdht_frame_t *fr)
{
    proto_item *ti;
    int hf = -1;

    if (bencode_str_eq(buf, k, "t") && v->type == BENC_STR) {
        proto_tree_add_item(tree, hf_btdht_t, tvb, (int)v->str_off, (int)v->str_len, ENC_NA);
    } else if (bencode_str_eq(buf, k, "y") && v->type == BENC_STR) {
        ti = proto_tree_add_item(tree, hf_btdht_y, tvb, (int)v->str_off, (int)v->str_len, ENC_ASCII);
        if (m->y_kind == KRPC_Y_NONE)
            expert_add_info_format(pinfo, ti, &ei_btdht_bad_value, "\"y\" is not q, r or e");
    } else if (bencode_str_eq(buf, k, "q") && v->type == BENC_STR) {
        proto_tree_add_item(tree, hf_btdht_q, tvb, (int)v->str_off, (int)v->str_len, ENC_ASCII);
    } else if ((bencode_str_eq(buf, k, "a") && (hf = hf_btdht_a) > 0 && v->type == BENC_DICT) ||
               (bencode_str_eq(buf, k, "r") && (hf = hf_btdht_r) > 0 && v->type == BENC_DICT)) {
        ti = proto_tree_add_item(tree, hf, tvb, (int)k->start, (int)(v->end - k->start), ENC_NA);
        btdht_dissect_args(tvb, pinfo, proto_item_add_subtree(ti, ett_btdht_dict), buf, v, m, fr);
    } else if (bencode_str_eq(buf, k, "e")) {
        dissect_error_list(tvb, pinfo, tree, buf, k, v);
    } else if (bencode_str_eq(buf, k, "v") && v->type == BENC_STR) {
        dissect_version(tvb, pinfo, tree, buf, v);
    } else if (bencode_str_eq(buf, k, "ip") && v->type == BENC_STR) {
        dissect_ip(tvb, pinfo, tree, buf, v, m, fr);
    } else if (bencode_str_eq(buf, k, "ro") && v->type == BENC_INT) {
        proto_tree_add_int64(tree, hf_btdht_ro, tvb, (int)v->start, (int)(v->end - v->start), v->ival);
    } else {
        ti = proto_tree_add_item(tree, hf_btdht_top_key, tvb, (int)k->str_off, (int)k->str_len, ENC_UTF_8);
        proto_item_set_len(ti, (int)(v->end - k->str_off));
        btdht_bencode_value(tvb, pinfo, proto_item_add_subtree(ti, ett_btdht_dict), buf, v);
    }
}

/* What BEP 5 requires of each message type. */
static void check_required(tvbuff_t *tvb, packet_info *pinfo, proto_tree *tree, const krpc_msg_t *m)
{
    const char *missing = NULL;
    if (m->t.type != BENC_STR)
        missing = "No transaction id \"t\" (a string)";
    else if (m->y_kind == KRPC_Y_NONE)
        missing = "No message type \"y\" (q, r or e)";
    else if (m->y_kind == KRPC_Y_QUERY && (m->q.type != BENC_STR || m->a.type != BENC_DICT))
        missing = "Query without a method \"q\" or arguments \"a\"";
    else if (m->y_kind == KRPC_Y_RESPONSE && m->r.type != BENC_DICT)
        missing = "Response without \"r\"";
    else if (m->y_kind == KRPC_Y_ERROR && m->e.type == 0)
        missing = "Error without \"e\"";
    if (missing)
        proto_tree_add_expert_format(tree, pinfo, &ei_btdht_missing, tvb, 0, 0, "%s", missing);
}

static void set_info(packet_info *pinfo, const guint8 *buf, const krpc_msg_t *m, const btdht_frame_t *fr)
{
    switch (m->y_kind) {
    case KRPC_Y_QUERY:
        col_add_fstr(pinfo->cinfo, COL_INFO, "Query %s", m->q_kind != KRPC_Q_UNKNOWN ? krpc_query_name(m->q_kind)
                     : m->q.type == BENC_STR ? format_text(pinfo->pool, (const char *)buf + m->q.str_off, m->q.str_len)
                     : "?");
        break;
    case KRPC_Y_RESPONSE:
        col_add_str(pinfo->cinfo, COL_INFO, "Response");
        if (fr->txn)
            col_append_fstr(pinfo->cinfo, COL_INFO, " %s", krpc_query_name(fr->txn->q_kind));
        break;
    case KRPC_Y_ERROR:
        col_add_str(pinfo->cinfo, COL_INFO, "Error");
        break;
    default:
        col_add_str(pinfo->cinfo, COL_INFO, "KRPC message without a valid type");
        break;
    }
    if (m->t.type == BENC_STR)
        col_append_fstr(pinfo->cinfo, COL_INFO, " t=%s",
                        bytes_to_str(pinfo->pool, buf + m->t.str_off, (int)MIN(m->t.str_len, 16)));
}

static int dissect_btdht(tvbuff_t *tvb, packet_info *pinfo, proto_tree *tree, void *data _U_)
{
    guint len = tvb_captured_length(tvb);
    const guint8 *buf = tvb_get_ptr(tvb, 0, len);
    proto_item *ti;
    proto_tree *dt;
    krpc_msg_t m;
    size_t err_off = 0;
    bencode_err_t err;
    btdht_frame_t *fr;
    bencode_iter_t it;
    bencode_value_t k, v;
    btdht_tap_t *tap;

    col_set_str(pinfo->cinfo, COL_PROTOCOL, "BT-DHT (KRPC)");
    col_clear(pinfo->cinfo, COL_INFO);
    ti = proto_tree_add_item(tree, proto_btdht, tvb, 0, -1, ENC_NA);
    dt = proto_item_add_subtree(ti, ett_btdht);

    err = krpc_parse(buf, len, &m, &err_off);
    if (err != BENC_OK) {
        proto_item *ri = proto_tree_add_item(dt, hf_btdht_raw, tvb, 0, -1, ENC_NA);
        expert_add_info_format(pinfo, ri, &ei_btdht_invalid, "Invalid bencoding at byte %u: %s",
                               (unsigned)err_off, bencode_err_str(err));
        col_set_str(pinfo->cinfo, COL_INFO, "Malformed KRPC message");
        return (int)len;
    }
    fr = btdht_pair(tvb, pinfo, buf, &m);
    set_info(pinfo, buf, &m, fr);
    bencode_iter_init(&it, buf, len, &m.msg, KRPC_MAX_DEPTH);
    while (bencode_iter_next(&it, &k, &v))
        top_key(tvb, pinfo, dt, buf, &k, &v, &m, fr);
    check_required(tvb, pinfo, dt, &m);
    btdht_pair_tree(tvb, pinfo, dt, &m, fr);

    tap = wmem_new0(pinfo->pool, btdht_tap_t);
    tap->y = m.y_kind;
    tap->q = m.q_kind;
    tap->txn = fr->txn;
    tap->answer_first = m.y_kind != KRPC_Y_QUERY && fr->txn && !(fr->flags & BTDHT_F_DUP_ANSWER);
    if (m.y_kind != KRPC_Y_NONE && !pinfo->flags.in_error_pkt)
        tap_queue_packet(btdht_tap, pinfo, tap);
    return (int)len;
}

static bt_heur_bool dissect_btdht_heur(tvbuff_t *tvb, packet_info *pinfo, proto_tree *tree, void *data)
{
    guint len = tvb_captured_length(tvb);
    if (len < 5 || tvb_get_uint8(tvb, 0) != 'd')
        return FALSE;
    if (!krpc_looks_like(tvb_get_ptr(tvb, 0, len), len))
        return FALSE;
    dissect_btdht(tvb, pinfo, tree, data);
    return TRUE;
}

void proto_register_btdht(void)
{
    static hf_register_info hf[] = {
        { &hf_btdht_t, { "Transaction ID", "btdht.t", FT_BYTES, BASE_NONE, NULL, 0x0, NULL, HFILL } },
        { &hf_btdht_y, { "Message type", "btdht.y", FT_STRING, BASE_NONE, NULL, 0x0, "q, r or e", HFILL } },
        { &hf_btdht_q, { "Method", "btdht.q", FT_STRING, BASE_NONE, NULL, 0x0, "Query method", HFILL } },
        { &hf_btdht_a, { "Arguments", "btdht.a", FT_NONE, BASE_NONE, NULL, 0x0, NULL, HFILL } },
        { &hf_btdht_r, { "Response", "btdht.r", FT_NONE, BASE_NONE, NULL, 0x0, NULL, HFILL } },
        { &hf_btdht_e, { "Error", "btdht.error", FT_NONE, BASE_NONE, NULL, 0x0, NULL, HFILL } },
        { &hf_btdht_error_code, { "Code", "btdht.error.code", FT_INT64, BASE_DEC, NULL, 0x0, NULL, HFILL } },
        { &hf_btdht_error_msg, { "Message", "btdht.error.msg", FT_STRING, BASE_NONE, NULL, 0x0, NULL, HFILL } },
        { &hf_btdht_v, { "Version", "btdht.v", FT_BYTES, BASE_NONE, NULL, 0x0, "Client version (\"v\")", HFILL } },
        { &hf_btdht_v_client, { "Client", "btdht.v.client", FT_STRING, BASE_NONE, NULL, 0x0, NULL, HFILL } },
        { &hf_btdht_v_version,
          { "Client version", "btdht.v.version", FT_STRING, BASE_NONE, NULL, 0x0, NULL, HFILL } },
        { &hf_btdht_ip, { "Requester's address", "btdht.ip", FT_BYTES, BASE_NONE, NULL, 0x0,
                          "BEP 42: the address the responder sees the requester at", HFILL } },
        { &hf_btdht_ip_addr, { "IP", "btdht.ip.addr", FT_IPv4, BASE_NONE, NULL, 0x0, NULL, HFILL } },
        { &hf_btdht_ip_addr6, { "IPv6", "btdht.ip.addr6", FT_IPv6, BASE_NONE, NULL, 0x0, NULL, HFILL } },
        { &hf_btdht_ip_port, { "Port", "btdht.ip.port", FT_UINT16, BASE_DEC, NULL, 0x0, NULL, HFILL } },
        { &hf_btdht_ip_id_match,
          { "Requester's node ID matches this address (BEP 42)", "btdht.ip.id_match", FT_BOOLEAN, BASE_NONE, NULL,
            0x0, "The id of the query this answers, checked against \"ip\" (public addresses only)", HFILL } },
        { &hf_btdht_ro, { "Read-only", "btdht.ro", FT_INT64, BASE_DEC, NULL, 0x0, "BEP 43 read-only node", HFILL } },
        { &hf_btdht_top_key, { "Key", "btdht.top_key", FT_STRING, BASE_NONE, NULL, 0x0,
                               "A top-level key shown as generic bencode", HFILL } },
        { &hf_btdht_raw, { "Bytes", "btdht.raw", FT_BYTES, BASE_NONE, NULL, 0x0, "Undecodable message", HFILL } },
    };
    static int *ett[] = { &ett_btdht, &ett_btdht_dict, &ett_btdht_error };
    static ei_register_info ei[] = {
        { &ei_btdht_invalid,
          { "btdht.invalid", PI_MALFORMED, PI_ERROR, "Invalid bencoding", EXPFILL } },
        { &ei_btdht_missing,
          { "btdht.missing", PI_PROTOCOL, PI_WARN, "A key BEP 5 requires is missing", EXPFILL } },
        { &ei_btdht_bad_value,
          { "btdht.top_value.invalid", PI_MALFORMED, PI_WARN, "Value of the wrong type or length", EXPFILL } },
        { &ei_btdht_error_code,
          { "btdht.error.code.unknown", PI_PROTOCOL, PI_CHAT, "Error code no BEP defines", EXPFILL } },
        { &ei_btdht_ip_id,
          { "btdht.ip.id_mismatch", PI_PROTOCOL, PI_NOTE,
            "The requester's node ID does not match the address the responder saw (BEP 42)", EXPFILL } },
    };
    expert_module_t *em;

    /* Names differ from the built-in's ("BitTorrent DHT Protocol", "BT-DHT", "bt-dht"). */
    proto_btdht = proto_register_protocol("BitTorrent Mainline DHT (KRPC, BEP 5)", "BTDHT", "btdht");
    proto_register_field_array(proto_btdht, hf, array_length(hf));
    proto_register_subtree_array(ett, array_length(ett));
    em = expert_register_protocol(proto_btdht);
    expert_register_field_array(em, ei, array_length(ei));
    btdht_args_register(proto_btdht, em);
    btdht_nodes_register(proto_btdht, em);
    btdht_bencode_register(proto_btdht, em);
    btdht_pairing_register(proto_btdht, em);
    btdht_stats_register();
    btdht_handle = register_dissector("btdht", dissect_btdht, proto_btdht);
    bt_discovery_register();
}

void proto_reg_handoff_btdht(void)
{
    heur_dissector_add("udp", dissect_btdht_heur, "BitTorrent DHT (KRPC) over UDP", "btdht_udp", proto_btdht,
                       HEURISTIC_ENABLE);
    dissector_add_for_decode_as_with_preference("udp.port", btdht_handle);
    bt_discovery_handoff();
}
