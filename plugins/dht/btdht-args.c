/* btdht-args.c
 * The argument ("a") and response ("r") dictionaries of KRPC messages:
 * BEP 5 (id, target, info_hash, port, implied_port, token, nodes, values),
 * BEP 32 (nodes6, want), BEP 33 (scrape, noseed, BFsd, BFpe with the count
 * each bloom filter estimates), BEP 44 (k, sig, seq, salt, cas, v), BEP 51
 * (interval, num, samples split into info hashes).  One table row per key:
 * its field and the shape its value must have; a value of another shape
 * gets an expert and is shown as a generic bencode tree, and so is every
 * key no BEP here defines (never dropped).
 */
#include "btdht.h"

#include <epan/to_str.h>

#include "ws-compat.h"

static int hf_btdht_id = -1;
static int hf_btdht_id_bep42 = -1;
static int hf_btdht_target = -1;
static int hf_btdht_info_hash = -1;
static int hf_btdht_port = -1;
static int hf_btdht_implied_port = -1;
static int hf_btdht_token = -1;
static int hf_btdht_nodes = -1;
static int hf_btdht_nodes6 = -1;
static int hf_btdht_values = -1;
static int hf_btdht_want = -1;
static int hf_btdht_scrape = -1;
static int hf_btdht_noseed = -1;
static int hf_btdht_seed = -1;
static int hf_btdht_bfsd = -1;
static int hf_btdht_bfpe = -1;
static int hf_btdht_bloom_estimate = -1;
static int hf_btdht_k = -1;
static int hf_btdht_sig = -1;
static int hf_btdht_seq = -1;
static int hf_btdht_salt = -1;
static int hf_btdht_cas = -1;
static int hf_btdht_item = -1;
static int hf_btdht_interval = -1;
static int hf_btdht_num = -1;
static int hf_btdht_samples = -1;
static int hf_btdht_sample = -1;
static int hf_btdht_name = -1;
static int hf_btdht_unknown_key = -1;

static int ett_btdht_key = -1;

static expert_field ei_btdht_bad_value = EI_INIT;
static expert_field ei_btdht_id_bep42 = EI_INIT;
static expert_field ei_btdht_bloom_full = EI_INIT;

typedef enum {
    V_HASH,        /* a 20-byte string */
    V_BYTES,       /* a string; fixed length when len != 0 */
    V_TEXT,        /* a string shown as text */
    V_INT,         /* an integer in [min, max] */
    V_NODES,       /* compact node info, IPv4 */
    V_NODES6,      /* compact node info, IPv6 */
    V_VALUES,      /* a list of compact peers */
    V_STRLIST,     /* a list of short strings ("want") */
    V_BLOOM,       /* a 256-byte bloom filter */
    V_SAMPLES,     /* 20-byte info hashes back to back */
    V_ITEM         /* any bencoded value (BEP 44) */
} vshape_t;

typedef struct {
    const char *key;
    vshape_t    shape;
    int        *hf;
    size_t      len;           /* V_BYTES: required length (0: any) */
    gint64      min, max;      /* V_INT */
} key_row_t;

static const key_row_t key_rows[] = {
    { "id",           V_HASH,    &hf_btdht_id,           0, 0, 0 },
    { "target",       V_HASH,    &hf_btdht_target,       0, 0, 0 },
    { "info_hash",    V_HASH,    &hf_btdht_info_hash,    0, 0, 0 },
    { "port",         V_INT,     &hf_btdht_port,         0, 0, 65535 },
    { "implied_port", V_INT,     &hf_btdht_implied_port, 0, 0, 1 },
    { "token",        V_BYTES,   &hf_btdht_token,        0, 0, 0 },
    { "nodes",        V_NODES,   &hf_btdht_nodes,        0, 0, 0 },
    { "nodes6",       V_NODES6,  &hf_btdht_nodes6,       0, 0, 0 },
    { "values",       V_VALUES,  &hf_btdht_values,       0, 0, 0 },
    { "want",         V_STRLIST, &hf_btdht_want,         0, 0, 0 },
    { "scrape",       V_INT,     &hf_btdht_scrape,       0, 0, 1 },
    { "noseed",       V_INT,     &hf_btdht_noseed,       0, 0, 1 },
    { "seed",         V_INT,     &hf_btdht_seed,         0, 0, 1 },
    { "BFsd",         V_BLOOM,   &hf_btdht_bfsd,         0, 0, 0 },
    { "BFpe",         V_BLOOM,   &hf_btdht_bfpe,         0, 0, 0 },
    { "k",            V_BYTES,   &hf_btdht_k,           32, 0, 0 },   /* ed25519 public key */
    { "sig",          V_BYTES,   &hf_btdht_sig,         64, 0, 0 },   /* ed25519 signature */
    { "seq",          V_INT,     &hf_btdht_seq,          0, G_MININT64, G_MAXINT64 },
    { "salt",         V_BYTES,   &hf_btdht_salt,         0, 0, 0 },
    { "cas",          V_INT,     &hf_btdht_cas,          0, G_MININT64, G_MAXINT64 },
    { "v",            V_ITEM,    &hf_btdht_item,         0, 0, 0 },
    { "interval",     V_INT,     &hf_btdht_interval,     0, 0, G_MAXINT64 },
    { "num",          V_INT,     &hf_btdht_num,          0, 0, G_MAXINT64 },
    { "samples",      V_SAMPLES, &hf_btdht_samples,      0, 0, 0 },
    { "name",         V_TEXT,    &hf_btdht_name,         0, 0, 0 },
};

static const key_row_t *find_row(const guint8 *buf, const bencode_value_t *k)
{
    size_t i;
    for (i = 0; i < array_length(key_rows); i++) {
        if (bencode_str_eq(buf, k, key_rows[i].key))
            return &key_rows[i];
    }
    return NULL;
}

static gboolean shape_ok(const key_row_t *row, const bencode_value_t *v)
{
    switch (row->shape) {
    case V_HASH:    return v->type == BENC_STR && v->str_len == KRPC_ID_LEN;
    case V_BYTES:   return v->type == BENC_STR && (!row->len || v->str_len == row->len);
    case V_TEXT:    return v->type == BENC_STR;
    case V_INT:     return bencode_int_in(v, row->min, row->max);
    case V_NODES:
    case V_NODES6:  return v->type == BENC_STR;
    case V_VALUES:
    case V_STRLIST: return v->type == BENC_LIST;
    case V_BLOOM:   return v->type == BENC_STR && v->str_len == KRPC_BLOOM_BYTES;
    case V_SAMPLES: return v->type == BENC_STR && v->str_len % KRPC_ID_LEN == 0;
    case V_ITEM:    return TRUE;
    }
    return FALSE;
}

/* The sender's own id against the address it sent from (BEP 42). */
static void check_sender_id(tvbuff_t *tvb, packet_info *pinfo, proto_tree *tree, const guint8 *buf,
                            const bencode_value_t *v)
{
    krpc_bep42_t r;
    proto_item *it;

    if (pinfo->src.type != AT_IPv4 && pinfo->src.type != AT_IPv6)
        return;
    r = krpc_bep42_check(buf + v->str_off, (const guint8 *)pinfo->src.data, pinfo->src.type == AT_IPv6);
    if (r == KRPC_BEP42_EXEMPT)
        return;
    it = proto_tree_add_boolean(tree, hf_btdht_id_bep42, tvb, (int)v->str_off, (int)v->str_len,
                                r == KRPC_BEP42_MATCH);
    proto_item_set_generated(it);
    if (r == KRPC_BEP42_MISMATCH)
        expert_add_info(pinfo, it, &ei_btdht_id_bep42);
}

static void strlist(tvbuff_t *tvb, packet_info *pinfo, proto_tree *tree, const guint8 *buf, int hf,
                    const bencode_value_t *list)
{
    bencode_iter_t it;
    bencode_value_t e;
    bencode_iter_init(&it, buf, tvb_captured_length(tvb), list, KRPC_MAX_DEPTH);
    while (bencode_iter_next(&it, NULL, &e)) {
        if (e.type == BENC_STR)
            proto_tree_add_item(tree, hf, tvb, (int)e.str_off, (int)e.str_len, ENC_ASCII);
        else
            btdht_bencode_value(tvb, pinfo, tree, buf, &e);
    }
}

static void samples(tvbuff_t *tvb, packet_info *pinfo, proto_tree *tree, const bencode_value_t *v)
{
    size_t n = v->str_len / KRPC_ID_LEN, i;
    for (i = 0; i < n; i++) {
        if (i == BTDHT_MAX_ITEMS) {
            btdht_more_items(tvb, pinfo, tree, (int)(v->str_off + i * KRPC_ID_LEN),
                             (int)((n - i) * KRPC_ID_LEN), (guint)(n - i));
            break;
        }
        proto_tree_add_item(tree, hf_btdht_sample, tvb, (int)(v->str_off + i * KRPC_ID_LEN), KRPC_ID_LEN, ENC_NA);
    }
}

/* A key whose value has the shape its row wants. */
static void known_value(tvbuff_t *tvb, packet_info *pinfo, proto_tree *tree, const guint8 *buf,
                        const key_row_t *row, const bencode_value_t *k, const bencode_value_t *v,
                        const krpc_msg_t *m, const btdht_frame_t *fr)
{
    int ks = (int)k->start, kl = (int)(v->end - k->start);
    proto_item *ti;
    proto_tree *st;
    const btdht_txn_t *txn = fr ? fr->txn : NULL;

    switch (row->shape) {
    case V_HASH:
    case V_BYTES:
        ti = proto_tree_add_item(tree, *row->hf, tvb, (int)v->str_off, (int)v->str_len, ENC_NA);
        if (row->hf == &hf_btdht_id) {
            if (m->y_kind != KRPC_Y_ERROR)
                check_sender_id(tvb, pinfo, tree, buf, v);
        }
        break;
    case V_TEXT:
        proto_tree_add_item(tree, *row->hf, tvb, (int)v->str_off, (int)v->str_len, ENC_UTF_8);
        break;
    case V_INT:
        proto_tree_add_int64(tree, *row->hf, tvb, (int)v->start, (int)(v->end - v->start), v->ival);
        break;
    case V_NODES:
    case V_NODES6:
        ti = proto_tree_add_item(tree, *row->hf, tvb, ks, kl, ENC_NA);
        st = proto_item_add_subtree(ti, ett_btdht_key);
        btdht_nodes(tvb, pinfo, st, buf, v, row->shape == V_NODES6,
                    txn && (txn->q_kind == KRPC_Q_FIND_NODE || txn->q_kind == KRPC_Q_GET_PEERS ||
                            txn->q_kind == KRPC_Q_GET || txn->q_kind == KRPC_Q_SAMPLE_INFOHASHES) ? txn : NULL);
        break;
    case V_VALUES:
        ti = proto_tree_add_item(tree, *row->hf, tvb, ks, kl, ENC_NA);
        st = proto_item_add_subtree(ti, ett_btdht_key);
        if (m->y_kind == KRPC_Y_RESPONSE && (!txn || txn->q_kind == KRPC_Q_GET_PEERS))
            btdht_values(tvb, pinfo, st, buf, v, txn);
        else
            btdht_bencode_value(tvb, pinfo, st, buf, v);
        break;
    case V_STRLIST:
        ti = proto_tree_add_item(tree, *row->hf, tvb, ks, kl, ENC_NA);
        strlist(tvb, pinfo, proto_item_add_subtree(ti, ett_btdht_key), buf, hf_btdht_want, v);
        break;
    case V_BLOOM: {
        int sat = 0;
        unsigned est = krpc_bloom_estimate(buf + v->str_off, &sat);
        ti = proto_tree_add_item(tree, *row->hf, tvb, (int)v->str_off, (int)v->str_len, ENC_NA);
        st = proto_item_add_subtree(ti, ett_btdht_key);
        ti = proto_tree_add_uint(st, hf_btdht_bloom_estimate, tvb, (int)v->str_off, (int)v->str_len, est);
        proto_item_set_generated(ti);
        if (sat)
            expert_add_info(pinfo, ti, &ei_btdht_bloom_full);
        break;
    }
    case V_SAMPLES:
        ti = proto_tree_add_item(tree, *row->hf, tvb, ks, kl, ENC_NA);
        proto_item_append_text(ti, ": %u info hashes", (unsigned)(v->str_len / KRPC_ID_LEN));
        samples(tvb, pinfo, proto_item_add_subtree(ti, ett_btdht_key), v);
        break;
    case V_ITEM:
        ti = proto_tree_add_item(tree, *row->hf, tvb, ks, kl, ENC_NA);
        btdht_bencode_value(tvb, pinfo, proto_item_add_subtree(ti, ett_btdht_key), buf, v);
        break;
    }
}

void btdht_dissect_args(tvbuff_t *tvb, packet_info *pinfo, proto_tree *tree, const guint8 *buf,
                        const bencode_value_t *dict, const krpc_msg_t *m, const btdht_frame_t *fr)
{
    bencode_iter_t it;
    bencode_value_t k, v;
    guint n = 0, more = 0;
    size_t more_start = 0;

    bencode_iter_init(&it, buf, tvb_captured_length(tvb), dict, KRPC_MAX_DEPTH);
    while (bencode_iter_next(&it, &k, &v)) {
        const key_row_t *row = find_row(buf, &k);
        proto_item *ki;
        if (n++ >= BTDHT_MAX_ITEMS) {
            if (!more++)
                more_start = k.start;
            continue;
        }
        if (row && shape_ok(row, &v)) {
            known_value(tvb, pinfo, tree, buf, row, &k, &v, m, fr);
            continue;
        }
        ki = proto_tree_add_item(tree, hf_btdht_unknown_key, tvb, (int)k.str_off, (int)k.str_len, ENC_UTF_8);
        proto_item_set_len(ki, (int)(v.end - k.str_off));
        /* A key no BEP here defines gets no expert: clients add their own
         * (libtorrent's "p" in answers, "bs" in get_peers) and KRPC nodes
         * ignore what they do not know; the key stays filterable. */
        if (row)
            expert_add_info_format(pinfo, ki, &ei_btdht_bad_value, "\"%s\" has a value of the wrong type or length",
                                   row->key);
        btdht_bencode_value(tvb, pinfo, proto_item_add_subtree(ki, ett_btdht_key), buf, &v);
    }
    if (more)
        btdht_more_items(tvb, pinfo, tree, (int)more_start, (int)(dict->end - 1 - more_start), more);
}

void btdht_args_register(int proto, expert_module_t *em)
{
    static hf_register_info hf[] = {
        { &hf_btdht_id, { "Node ID", "btdht.id", FT_BYTES, BASE_NONE, NULL, 0x0, "The sender's node id", HFILL } },
        { &hf_btdht_id_bep42,
          { "Node ID matches the source address (BEP 42)", "btdht.id.bep42", FT_BOOLEAN, BASE_NONE, NULL, 0x0,
            "Public source addresses only: BEP 42 exempts local ones", HFILL } },
        { &hf_btdht_target, { "Target", "btdht.target", FT_BYTES, BASE_NONE, NULL, 0x0, NULL, HFILL } },
        { &hf_btdht_info_hash, { "Info hash", "btdht.info_hash", FT_BYTES, BASE_NONE, NULL, 0x0, NULL, HFILL } },
        { &hf_btdht_port, { "Port", "btdht.port", FT_INT64, BASE_DEC, NULL, 0x0, "announce_peer port", HFILL } },
        { &hf_btdht_implied_port,
          { "Implied port", "btdht.implied_port", FT_INT64, BASE_DEC, NULL, 0x0,
            "1: use the UDP source port, not \"port\" (BEP 5)", HFILL } },
        { &hf_btdht_token, { "Token", "btdht.token", FT_BYTES, BASE_NONE, NULL, 0x0, NULL, HFILL } },
        { &hf_btdht_nodes, { "Nodes", "btdht.nodes", FT_NONE, BASE_NONE, NULL, 0x0, "IPv4 nodes", HFILL } },
        { &hf_btdht_nodes6, { "Nodes (IPv6)", "btdht.nodes6", FT_NONE, BASE_NONE, NULL, 0x0, "BEP 32", HFILL } },
        { &hf_btdht_values, { "Values", "btdht.values", FT_NONE, BASE_NONE, NULL, 0x0, "Peers", HFILL } },
        { &hf_btdht_want, { "Want", "btdht.want", FT_STRING, BASE_NONE, NULL, 0x0, "BEP 32: n4, n6", HFILL } },
        { &hf_btdht_scrape, { "Scrape", "btdht.scrape", FT_INT64, BASE_DEC, NULL, 0x0, "BEP 33", HFILL } },
        { &hf_btdht_noseed, { "No seed", "btdht.noseed", FT_INT64, BASE_DEC, NULL, 0x0, "BEP 33", HFILL } },
        { &hf_btdht_seed, { "Seed", "btdht.seed", FT_INT64, BASE_DEC, NULL, 0x0, "BEP 33 announce_peer", HFILL } },
        { &hf_btdht_bfsd, { "Seeds bloom filter", "btdht.bfsd", FT_BYTES, BASE_NONE, NULL, 0x0, "BEP 33", HFILL } },
        { &hf_btdht_bfpe, { "Peers bloom filter", "btdht.bfpe", FT_BYTES, BASE_NONE, NULL, 0x0, "BEP 33", HFILL } },
        { &hf_btdht_bloom_estimate,
          { "Estimated count", "btdht.bloom.estimate", FT_UINT32, BASE_DEC, NULL, 0x0,
            "Elements the bloom filter holds, estimated from its zero bits (BEP 33)", HFILL } },
        { &hf_btdht_k, { "Public key", "btdht.k", FT_BYTES, BASE_NONE, NULL, 0x0, "BEP 44", HFILL } },
        { &hf_btdht_sig, { "Signature", "btdht.sig", FT_BYTES, BASE_NONE, NULL, 0x0, "BEP 44", HFILL } },
        { &hf_btdht_seq, { "Sequence number", "btdht.seq", FT_INT64, BASE_DEC, NULL, 0x0, "BEP 44", HFILL } },
        { &hf_btdht_salt, { "Salt", "btdht.salt", FT_BYTES, BASE_NONE, NULL, 0x0, "BEP 44", HFILL } },
        { &hf_btdht_cas, { "CAS", "btdht.cas", FT_INT64, BASE_DEC, NULL, 0x0, "BEP 44 compare-and-swap", HFILL } },
        { &hf_btdht_item, { "Item", "btdht.item", FT_NONE, BASE_NONE, NULL, 0x0, "BEP 44 stored value", HFILL } },
        { &hf_btdht_interval, { "Interval", "btdht.interval", FT_INT64, BASE_DEC, NULL, 0x0, "BEP 51, seconds", HFILL } },
        { &hf_btdht_num, { "Number of info hashes", "btdht.num", FT_INT64, BASE_DEC, NULL, 0x0, "BEP 51", HFILL } },
        { &hf_btdht_samples, { "Samples", "btdht.samples", FT_NONE, BASE_NONE, NULL, 0x0, "BEP 51", HFILL } },
        { &hf_btdht_sample, { "Sample", "btdht.sample", FT_BYTES, BASE_NONE, NULL, 0x0, "BEP 51 info hash", HFILL } },
        { &hf_btdht_name, { "Name", "btdht.name", FT_STRING, BASE_NONE, NULL, 0x0, NULL, HFILL } },
        { &hf_btdht_unknown_key,
          { "Key", "btdht.key", FT_STRING, BASE_NONE, NULL, 0x0, "A key shown as generic bencode", HFILL } },
    };
    static int *ett[] = { &ett_btdht_key };
    static ei_register_info ei[] = {
        { &ei_btdht_bad_value,
          { "btdht.value.invalid", PI_MALFORMED, PI_WARN, "Value of the wrong type or length", EXPFILL } },
        { &ei_btdht_id_bep42,
          { "btdht.id.bep42.mismatch", PI_PROTOCOL, PI_NOTE,
            "Node ID does not match the source address (BEP 42)", EXPFILL } },
        { &ei_btdht_bloom_full,
          { "btdht.bloom.saturated", PI_PROTOCOL, PI_NOTE, "Bloom filter saturated: the estimate is a lower bound",
            EXPFILL } },
    };
    proto_register_field_array(proto, hf, array_length(hf));
    proto_register_subtree_array(ett, array_length(ett));
    expert_register_field_array(em, ei, array_length(ei));
}
