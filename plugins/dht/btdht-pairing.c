/* btdht-pairing.c
 * Query/answer pairing of KRPC (BEP 5): an answer ("y" r or e) carries the
 * transaction id "t" of its query and goes back between the same two
 * endpoints, so a transaction is (querier address:port, responder
 * address:port, t).  Computed on the first pass and stored per frame: the
 * query shows btdht.response_in (two-pass and GUI), the answer
 * btdht.request_in and btdht.rtt; a query reusing the id of one still
 * unanswered, a second answer, an answer whose query was not captured and,
 * on the second pass, a query never answered are flagged.
 */
#include "btdht.h"

#include <epan/conversation.h>
#include <epan/proto_data.h>

#include "bthash.h"
#include "ws-compat.h"

/* Transaction ids are 2 bytes (libtorrent), 4 (µTorrent), up to a few more
 * elsewhere; longer ones are shown but not paired, so every key is small. */
#define BTDHT_MAX_TID 32

/* Transactions remembered per capture file.  An entry costs ~150 bytes;
 * a busy node sends a few thousand queries a minute, so 200,000 covers an
 * hour of one node (~30 MB) while a hostile capture cannot grow it further.
 * Queries past the cap are shown unpaired, with an expert in the frame where
 * the first was refused. */
#define BTDHT_MAX_TXNS 200000

static int hf_btdht_response_in = -1;
static int hf_btdht_request_in = -1;
static int hf_btdht_rtt = -1;
static int hf_btdht_query_type = -1;
static int hf_btdht_unanswered = -1;
static int hf_btdht_dup_tid = -1;
static int hf_btdht_dup_answer = -1;

static expert_field ei_btdht_unanswered = EI_INIT;
static expert_field ei_btdht_dup_tid = EI_INIT;
static expert_field ei_btdht_dup_answer = EI_INIT;
static expert_field ei_btdht_no_query = EI_INIT;
static expert_field ei_btdht_error_answer = EI_INIT;
static expert_field ei_btdht_table_full = EI_INIT;
static expert_field ei_btdht_tid_long = EI_INIT;

typedef struct {
    guint    len;
    guint8  *bytes;      /* family, querier addr+port, responder addr+port, t */
    guint32  hash;
} txn_key_t;

static wmem_map_t *txns;
static guint n_txns;
static guint64 hash_seed;

static guint key_hash(gconstpointer k)
{
    return ((const txn_key_t *)k)->hash;
}

static gboolean key_equal(gconstpointer a, gconstpointer b)
{
    const txn_key_t *x = (const txn_key_t *)a, *y = (const txn_key_t *)b;
    return x->len == y->len && memcmp(x->bytes, y->bytes, x->len) == 0;
}

static void init_txns(void)
{
    n_txns = 0;
    hash_seed = ((guint64)g_random_int() << 32) | g_random_int();
}

/* Builds the key of this frame's transaction in buf (at least 2 * 18 + 1 +
 * BTDHT_MAX_TID bytes); querier_is_src for queries. */
static guint make_key(packet_info *pinfo, const guint8 *t, guint tlen, gboolean querier_is_src, guint8 *buf)
{
    const address *q = querier_is_src ? &pinfo->src : &pinfo->dst;
    const address *r = querier_is_src ? &pinfo->dst : &pinfo->src;
    guint16 qp = (guint16)(querier_is_src ? pinfo->srcport : pinfo->destport);
    guint16 rp = (guint16)(querier_is_src ? pinfo->destport : pinfo->srcport);
    guint n = 0;

    buf[n++] = (guint8)q->type;
    memcpy(buf + n, q->data, (size_t)q->len);
    n += (guint)q->len;
    buf[n++] = (guint8)(qp >> 8);
    buf[n++] = (guint8)qp;
    memcpy(buf + n, r->data, (size_t)r->len);
    n += (guint)r->len;
    buf[n++] = (guint8)(rp >> 8);
    buf[n++] = (guint8)rp;
    memcpy(buf + n, t, tlen);
    return n + tlen;
}

/* What an answer will need of its query: the target and the querier's id. */
static void target_of(const guint8 *buf, size_t len, const krpc_msg_t *m, btdht_txn_t *txn)
{
    bencode_value_t v;
    const char *key;

    if (m->a.type == BENC_DICT && bencode_dict_get(buf, len, &m->a, "id", &v) && v.type == BENC_STR &&
        v.str_len == KRPC_ID_LEN) {
        memcpy(txn->querier_id, buf + v.str_off, KRPC_ID_LEN);
        txn->has_querier_id = TRUE;
    }
    key = m->q_kind == KRPC_Q_GET_PEERS || m->q_kind == KRPC_Q_ANNOUNCE_PEER ? "info_hash" : "target";
    if (m->a.type == BENC_DICT && bencode_dict_get(buf, len, &m->a, key, &v) && v.type == BENC_STR &&
        v.str_len == KRPC_ID_LEN) {
        memcpy(txn->target, buf + v.str_off, KRPC_ID_LEN);
        txn->has_target = TRUE;
    }
}

static void first_pass(packet_info *pinfo, const guint8 *buf, size_t len, const krpc_msg_t *m, btdht_frame_t *fr)
{
    guint8 kb[2 * (1 + 16 + 2) + BTDHT_MAX_TID];
    txn_key_t k, *nk;
    btdht_txn_t *txn;
    gboolean query = m->y_kind == KRPC_Y_QUERY;

    /* a datagram quoted in an ICMP error is not a new message */
    if (m->t.type != BENC_STR || m->y_kind == KRPC_Y_NONE || pinfo->flags.in_error_pkt)
        return;
    if (m->t.str_len > BTDHT_MAX_TID || (pinfo->src.type != AT_IPv4 && pinfo->src.type != AT_IPv6) ||
        pinfo->src.type != pinfo->dst.type) {
        fr->flags |= BTDHT_F_NOT_TRACKED;
        return;
    }
    k.len = make_key(pinfo, buf + m->t.str_off, (guint)m->t.str_len, query, kb);
    k.bytes = kb;
    k.hash = bthash_bytes(kb, k.len, hash_seed);
    txn = (btdht_txn_t *)wmem_map_lookup(txns, &k);

    if (!query) {
        if (!txn) {
            fr->flags |= BTDHT_F_NO_QUERY;
        } else if (txn->response_frame) {
            fr->flags |= BTDHT_F_DUP_ANSWER;
            fr->other_frame = txn->response_frame;
            fr->txn = txn;
        } else {
            txn->response_frame = pinfo->num;
            txn->is_error = m->y_kind == KRPC_Y_ERROR;
            nstime_delta(&txn->rtt, &pinfo->abs_ts, &txn->query_ts);
            fr->txn = txn;
        }
        return;
    }
    if (txn && !txn->response_frame) {
        fr->flags |= BTDHT_F_DUP_TID;
        fr->other_frame = txn->query_frame;
    }
    if (!txn && n_txns >= BTDHT_MAX_TXNS) {
        fr->flags |= BTDHT_F_NOT_TRACKED;
        if (n_txns++ == BTDHT_MAX_TXNS)
            fr->flags |= BTDHT_F_TABLE_FULL;
        return;
    }
    if (!txn) {
        n_txns++;
        nk = wmem_new(wmem_file_scope(), txn_key_t);
        *nk = k;
        nk->bytes = (guint8 *)wmem_memdup(wmem_file_scope(), kb, k.len);
    } else {
        nk = NULL;   /* the key stays; the entry is replaced */
    }
    txn = wmem_new0(wmem_file_scope(), btdht_txn_t);
    txn->query_frame = pinfo->num;
    txn->query_ts = pinfo->abs_ts;
    txn->q_kind = m->q_kind;
    target_of(buf, len, m, txn);
    wmem_map_insert(txns, nk ? nk : &k, txn);
    fr->txn = txn;
}

btdht_frame_t *btdht_pair(tvbuff_t *tvb _U_, packet_info *pinfo, const guint8 *buf, const krpc_msg_t *m)
{
    btdht_frame_t *fr = (btdht_frame_t *)p_get_proto_data(wmem_file_scope(), pinfo, proto_btdht, 0);
    if (fr)
        return fr;
    fr = wmem_new0(wmem_file_scope(), btdht_frame_t);
    if (!PINFO_FD_VISITED(pinfo))
        first_pass(pinfo, buf, tvb_captured_length(tvb), m, fr);
    p_add_proto_data(wmem_file_scope(), pinfo, proto_btdht, 0, fr);
    return fr;
}

static void query_tree(tvbuff_t *tvb, packet_info *pinfo, proto_tree *tree, const btdht_frame_t *fr)
{
    proto_item *it;
    if (fr->flags & BTDHT_F_DUP_TID) {
        it = proto_tree_add_uint(tree, hf_btdht_dup_tid, tvb, 0, 0, fr->other_frame);
        proto_item_set_generated(it);
        expert_add_info_format(pinfo, it, &ei_btdht_dup_tid,
                               "Transaction ID reused while the query in frame %u is unanswered", fr->other_frame);
    }
    if (!fr->txn)
        return;
    if (fr->txn->response_frame) {
        it = proto_tree_add_uint(tree, hf_btdht_response_in, tvb, 0, 0, fr->txn->response_frame);
        proto_item_set_generated(it);
    } else if (PINFO_FD_VISITED(pinfo)) {
        /* only a pass after the first one knows the whole capture */
        it = proto_tree_add_boolean(tree, hf_btdht_unanswered, tvb, 0, 0, TRUE);
        proto_item_set_generated(it);
        expert_add_info(pinfo, it, &ei_btdht_unanswered);
    }
}

static void answer_tree(tvbuff_t *tvb, packet_info *pinfo, proto_tree *tree, const krpc_msg_t *m,
                        const btdht_frame_t *fr)
{
    proto_item *it;
    if (fr->flags & BTDHT_F_NO_QUERY)
        proto_tree_add_expert(tree, pinfo, &ei_btdht_no_query, tvb, 0, 0);
    if (!fr->txn)
        return;
    it = proto_tree_add_uint(tree, hf_btdht_request_in, tvb, 0, 0, fr->txn->query_frame);
    proto_item_set_generated(it);
    it = proto_tree_add_string(tree, hf_btdht_query_type, tvb, 0, 0, krpc_query_name(fr->txn->q_kind));
    proto_item_set_generated(it);
    if (fr->flags & BTDHT_F_DUP_ANSWER) {
        it = proto_tree_add_uint(tree, hf_btdht_dup_answer, tvb, 0, 0, fr->other_frame);
        proto_item_set_generated(it);
        expert_add_info_format(pinfo, it, &ei_btdht_dup_answer, "Query in frame %u was already answered in frame %u",
                               fr->txn->query_frame, fr->other_frame);
        return;
    }
    it = proto_tree_add_time(tree, hf_btdht_rtt, tvb, 0, 0, &fr->txn->rtt);
    proto_item_set_generated(it);
    if (m->y_kind == KRPC_Y_ERROR)
        expert_add_info_format(pinfo, it, &ei_btdht_error_answer, "The %s query in frame %u was answered with an error",
                               krpc_query_name(fr->txn->q_kind), fr->txn->query_frame);
}

void btdht_pair_tree(tvbuff_t *tvb, packet_info *pinfo, proto_tree *tree, const krpc_msg_t *m,
                     const btdht_frame_t *fr)
{
    if (fr->flags & BTDHT_F_TABLE_FULL)
        proto_tree_add_expert(tree, pinfo, &ei_btdht_table_full, tvb, 0, 0);
    if ((fr->flags & BTDHT_F_NOT_TRACKED) && m->t.type == BENC_STR && m->t.str_len > BTDHT_MAX_TID)
        proto_tree_add_expert(tree, pinfo, &ei_btdht_tid_long, tvb, (int)m->t.str_off, (int)m->t.str_len);
    if (m->y_kind == KRPC_Y_QUERY)
        query_tree(tvb, pinfo, tree, fr);
    else
        answer_tree(tvb, pinfo, tree, m, fr);
}

void btdht_pairing_register(int proto, expert_module_t *em)
{
    static hf_register_info hf[] = {
        { &hf_btdht_response_in,
          { "Response in", "btdht.response_in", FT_FRAMENUM, BASE_NONE, FRAMENUM_TYPE(FT_FRAMENUM_RESPONSE), 0x0,
            "The answer (response or error) to this query", HFILL } },
        { &hf_btdht_request_in,
          { "Request in", "btdht.request_in", FT_FRAMENUM, BASE_NONE, FRAMENUM_TYPE(FT_FRAMENUM_REQUEST), 0x0,
            "The query this answers", HFILL } },
        { &hf_btdht_rtt,
          { "Round-trip time", "btdht.rtt", FT_RELATIVE_TIME, BASE_NONE, NULL, 0x0,
            "From the query to its first answer", HFILL } },
        { &hf_btdht_query_type,
          { "Answers query", "btdht.response_to", FT_STRING, BASE_NONE, NULL, 0x0,
            "Method of the query this answers", HFILL } },
        { &hf_btdht_unanswered,
          { "Unanswered", "btdht.unanswered", FT_BOOLEAN, BASE_NONE, NULL, 0x0,
            "No answer to this query in the capture (known after the first pass)", HFILL } },
        { &hf_btdht_dup_tid,
          { "Transaction ID reused from", "btdht.duplicate_tid", FT_FRAMENUM, BASE_NONE, NULL, 0x0,
            "An earlier query between the same endpoints with this id, still unanswered", HFILL } },
        { &hf_btdht_dup_answer,
          { "Already answered in", "btdht.duplicate_answer", FT_FRAMENUM, BASE_NONE, NULL, 0x0,
            "The first answer to the same query", HFILL } },
    };
    static ei_register_info ei[] = {
        { &ei_btdht_unanswered,
          { "btdht.unanswered.expert", PI_SEQUENCE, PI_NOTE, "Query not answered in the capture", EXPFILL } },
        { &ei_btdht_dup_tid,
          { "btdht.duplicate_tid.expert", PI_SEQUENCE, PI_WARN, "Transaction ID reused while unanswered", EXPFILL } },
        { &ei_btdht_dup_answer,
          { "btdht.duplicate_answer.expert", PI_SEQUENCE, PI_NOTE, "Query answered twice", EXPFILL } },
        { &ei_btdht_no_query,
          { "btdht.no_request", PI_SEQUENCE, PI_CHAT, "Answer to a query that was not captured", EXPFILL } },
        { &ei_btdht_error_answer,
          { "btdht.error_answer", PI_RESPONSE_CODE, PI_NOTE, "Query answered with an error", EXPFILL } },
        { &ei_btdht_table_full,
          { "btdht.pairing.full", PI_UNDECODED, PI_NOTE,
            "Transaction table full: queries from this frame on are not paired", EXPFILL } },
        { &ei_btdht_tid_long,
          { "btdht.t.long", PI_PROTOCOL, PI_NOTE, "Transaction ID longer than 32 bytes: not paired", EXPFILL } },
    };
    proto_register_field_array(proto, hf, array_length(hf));
    expert_register_field_array(em, ei, array_length(ei));
    txns = wmem_map_new_autoreset(wmem_epan_scope(), wmem_file_scope(), key_hash, key_equal);
    register_init_routine(init_txns);
}
