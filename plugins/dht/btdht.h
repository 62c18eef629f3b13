/* btdht.h
 * What the files of the DHT plugin (filter btdht; BEP 5 KRPC and its
 * extensions) share: the per-frame pairing record, the tap record of the
 * statistics, and each file's entry points.  Wire knowledge lives in
 * lib/btcommon/krpc.h.
 */
#ifndef BTDHT_H
#define BTDHT_H

#include <epan/packet.h>
#include <epan/expert.h>

#include "krpc.h"

extern int proto_btdht;

/* List entries (nodes, values, samples, generic list/dict items) itemised per
 * message; the rest are counted in one item with an expert.  A UDP datagram
 * of 64 KB holds at most ~2,500 compact nodes; real answers carry 8. */
#define BTDHT_MAX_ITEMS 1000

/* One query and what answered it, shared by the frames of both. */
typedef struct btdht_txn {
    guint32  query_frame;
    guint32  response_frame;     /* first response or error; 0: none (yet) */
    nstime_t query_ts;
    nstime_t rtt;
    krpc_q_t q_kind;
    gboolean is_error;           /* the answer was a KRPC error */
    gboolean has_target;         /* target / info_hash of the query, for distances and discovery */
    gboolean has_querier_id;     /* the query's "a" "id", for the answer's BEP 42 "ip" check */
    guint8   target[KRPC_ID_LEN];
    guint8   querier_id[KRPC_ID_LEN];
} btdht_txn_t;

/* Per frame, computed on the first pass (p_add_proto_data). */
enum {
    BTDHT_F_DUP_TID     = 1 << 0,    /* query reusing the id of an unanswered one */
    BTDHT_F_DUP_ANSWER  = 1 << 1,    /* second answer to one query */
    BTDHT_F_NO_QUERY    = 1 << 2,    /* answer whose query was not captured */
    BTDHT_F_NOT_TRACKED = 1 << 3,    /* pairing table full, or transaction id too long */
    BTDHT_F_TABLE_FULL  = 1 << 4     /* the frame where the table reached its cap */
};

typedef struct {
    btdht_txn_t *txn;            /* NULL when not paired */
    guint32      other_frame;    /* BTDHT_F_DUP_TID: the earlier query; DUP_ANSWER: the first answer */
    guint8       flags;
} btdht_frame_t;

/* Tap record for the statistics (btdht-stats.c). */
typedef struct {
    krpc_y_t           y;
    krpc_q_t           q;        /* queries; answers: the paired query's kind */
    const btdht_txn_t *txn;      /* NULL when not paired */
    gboolean           answer_first;  /* the first answer of its query (counted once) */
} btdht_tap_t;

/* btdht-pairing.c */
btdht_frame_t *btdht_pair(tvbuff_t *tvb, packet_info *pinfo, const guint8 *buf, const krpc_msg_t *m);
void btdht_pair_tree(tvbuff_t *tvb, packet_info *pinfo, proto_tree *tree, const krpc_msg_t *m,
                     const btdht_frame_t *fr);
void btdht_pairing_register(int proto, expert_module_t *em);

/* btdht-args.c: the "a" and "r" dictionaries */
void btdht_dissect_args(tvbuff_t *tvb, packet_info *pinfo, proto_tree *tree, const guint8 *buf,
                        const bencode_value_t *dict, const krpc_msg_t *m, const btdht_frame_t *fr);
void btdht_args_register(int proto, expert_module_t *em);

/* btdht-nodes.c: compact nodes, peers, samples */
void btdht_nodes(tvbuff_t *tvb, packet_info *pinfo, proto_tree *tree, const guint8 *buf,
                 const bencode_value_t *v, int ipv6, const btdht_txn_t *txn);
void btdht_values(tvbuff_t *tvb, packet_info *pinfo, proto_tree *tree, const guint8 *buf,
                  const bencode_value_t *list, const btdht_txn_t *txn);
void btdht_compact_addr(tvbuff_t *tvb, proto_tree *tree, int hf_ip, int hf_ip6, int hf_port,
                        int offset, int len);
void btdht_nodes_register(int proto, expert_module_t *em);

/* btdht-bencode.c: any value as a tree (unknown keys, BEP 44 items) */
void btdht_bencode_value(tvbuff_t *tvb, packet_info *pinfo, proto_tree *tree, const guint8 *buf,
                         const bencode_value_t *v);
void btdht_more_items(tvbuff_t *tvb, packet_info *pinfo, proto_tree *tree, int offset, int len, guint more);
void btdht_bencode_register(int proto, expert_module_t *em);

/* btdht-stats.c */
void btdht_stats_register(void);
extern int btdht_tap;

#endif /* BTDHT_H */
