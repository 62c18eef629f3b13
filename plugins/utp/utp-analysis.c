/* utp-analysis.c
 * uTP (BEP 29) connection tracking and sequence analysis, in the spirit of
 * Wireshark's TCP analysis: the two directions of a connection are paired by
 * connection id, sequence and ACK numbers are unwrapped and made relative,
 * and every packet gets its ACK/RTT, retransmission, out-of-order, duplicate
 * ACK, SACK, bytes-in-flight, window and LEDBAT delay facts.  All of it is
 * computed on the first pass and stored per frame (utp_frame_t), so later
 * passes and the GUI's random access show the same tree.
 *
 * Connection ids (BEP 29): the initiator sends its SYN with id X, then sends
 * everything else with X+1; the acceptor sends with X.  A connection is found
 * under (sender direction, id the sender puts in its packets).
 */
#include <epan/conversation.h>
#include <epan/to_str.h>

#include "utp-int.h"
#include "utp-seq.h"
#include "bt-discovery.h"
#include "common/bt-file-slab.h"
#include "ws-compat.h"

void
utp_analysis_init(void)
{
    utp_records_init();
}

/* A signed nanosecond time into 32 bits, or UTP_NS_RARE with the value in
 * the frame's rare record. */
static gint32
utp_ns_store(utp_frame_t *fa, gint64 ns, gboolean rtt)
{
    if (ns > G_MININT32 && ns <= G_MAXINT32)
        return (gint32)ns;
    if (rtt)
        utp_rare(fa)->ack_rtt_ns = ns;
    else
        utp_rare(fa)->ts_delta_ns = ns;
    return UTP_NS_RARE;
}

void
utp_frame_ts_delta(const utp_frame_t *fa, nstime_t *t)
{
    utp_ns_to_nstime(t, fa->ts_delta_ns == UTP_NS_RARE ? UTP_RARE(fa, ts_delta_ns) : fa->ts_delta_ns);
}

gboolean
utp_frame_ack_rtt(const utp_frame_t *fa, nstime_t *t)
{
    if (!(fa->flags & UTP_A_RTT))
        return FALSE;
    utp_ns_to_nstime(t, fa->ack_rtt_ns == UTP_NS_RARE ? UTP_RARE(fa, ack_rtt_ns) : fa->ack_rtt_ns);
    return TRUE;
}

int
utp_dir(const packet_info *pinfo)
{
    int c = cmp_address(&pinfo->src, &pinfo->dst);
    if (c != 0)
        return c > 0;
    return pinfo->srcport > pinfo->destport;
}

gboolean
utp_conn_from_initiator(const utp_conn_t *conn, int dir)
{
    return conn->initiator == dir;
}

utp_conn_t *
utp_conn_new(packet_info *pinfo, int dir)
{
    utp_conn_t *c = utp_conn_alloc();
    c->initiator = -1;
    copy_address_wmem(wmem_file_scope(), &c->addr[dir], &pinfo->src);
    copy_address_wmem(wmem_file_scope(), &c->addr[!dir], &pinfo->dst);
    c->port[dir] = pinfo->srcport;
    c->port[!dir] = pinfo->destport;
    for (int i = 0; i < 2; i++)
        utp_seqside_init(&c->flow[i].seq, &bt_file_allocator);
    return c;
}

static guint32
utp_key(int dir, guint16 id)
{
    return (guint32)dir << 16 | id;
}

utp_conn_t *
utp_lookup(utp_conv_t *uc, int dir, guint16 id)
{
    return (utp_conn_t *)wmem_map_lookup(uc->by_key, GUINT_TO_POINTER(utp_key(dir, id)));
}

void
utp_register(utp_conv_t *uc, int dir, guint16 id, utp_conn_t *c)
{
    wmem_map_insert(uc->by_key, GUINT_TO_POINTER(utp_key(dir, id)), c);
}

utp_conn_t *
utp_conn_find(packet_info *pinfo, const utp_header_t *h, gboolean create)
{
    conversation_t *conv = create ? find_or_create_conversation(pinfo) : find_conversation_pinfo(pinfo, 0);
    utp_conv_t *uc;
    utp_conn_t *c, *t;
    int dir = utp_dir(pinfo);
    guint16 id;

    if (!conv)
        return NULL;
    id = (guint16)h->conn_id;      /* v0 ids are 32 bits; only 16 are used */
    uc = (utp_conv_t *)conversation_get_proto_data(conv, proto_utp);
    if (!uc) {
        if (!create)
            return NULL;
        uc = wmem_new0(wmem_file_scope(), utp_conv_t);
        uc->by_key = wmem_map_new(wmem_file_scope(), g_direct_hash, g_direct_equal);
        conversation_add_proto_data(conv, proto_utp, uc);
    }

    if (h->version == 0) {
        /* Never opens a connection.  libutp's version-0 RESET echoes the id
         * of the packet it answers, i.e. the id the receiver sends with. */
        c = utp_lookup(uc, !dir, id);
        return c ? c : utp_lookup(uc, dir, id);
    }
    c = utp_lookup(uc, dir, id);
    if (h->type == UTP_ST_SYN) {
        /* The same SYN again is a retransmission; any other SYN opens a new
         * connection, even when it reuses the id of a finished one. */
        if (c && c->initiator == dir && c->syn_frame && c->syn_seq == h->seq && !c->closed)
            return c;
        if (!create)
            return NULL;
        c = utp_conn_new(pinfo, dir);
        c->initiator = dir;
        utp_register(uc, dir, id, c);
        utp_register(uc, dir, (guint16)(id + 1), c);
        utp_register(uc, !dir, id, c);
        return c;
    }
    if (c)
        return c;
    if (h->type == UTP_ST_RESET) {
        /* libutp answers a packet of a connection it has forgotten with a
         * RESET carrying that packet's id, i.e. the receiver's */
        c = utp_lookup(uc, !dir, id);
        if (c)
            return c;
    }

    /* Seen from one side only so far (the SYN was not captured)?  The other
     * side's id tells who initiated (utp_roles_from_ids). */
    for (int delta = -1; delta <= 1; delta += 2) {
        guint16 other_id = (guint16)(id + delta);
        t = utp_lookup(uc, !dir, other_id);
        /* a DATA pairs only when the numbers agree too (utp_seq_agree): a
         * STATE or FIN could open the connection alone anyway */
        if (t && t->tentative && (h->type != UTP_ST_DATA || utp_midstream_agrees(t, !dir, h))) {
            utp_role_t r = utp_roles_from_ids(other_id, id);
            t->initiator = (r == UTP_ROLE_FIRST_IS_INITIATOR) ? !dir : dir;
            t->tentative = FALSE;
            utp_register(uc, dir, id, t);
            return t;
        }
    }
    if (!create)
        return NULL;
    /* DATA of the other direction seen before, waiting for this packet? */
    c = utp_midstream_match(pinfo, uc, h);
    if (c)
        return c;
    c = utp_conn_new(pinfo, dir);
    c->tentative = TRUE;
    utp_register(uc, dir, id, c);
    return c;
}

/* The discovery store's lookup dissector (bt-discovery.h), found once at
 * handoff; NULL when no plugin that carries the store is loaded. */
static dissector_handle_t discovery_lookup;

void
utp_analysis_handoff(void)
{
    discovery_lookup = find_dissector(BT_DISCOVERY_LOOKUP_DISSECTOR);
}

/* Was the endpoint this SYN goes to announced earlier (LSD, tracker)? */
static void
utp_lookup_discovery(packet_info *pinfo, tvbuff_t *tvb, utp_conn_t *conn)
{
    dissector_handle_t lookup = discovery_lookup;
    bt_discovery_query_t q;

    if (!lookup)
        return;
    memset(&q, 0, sizeof q);
    q.peer_addr = &pinfo->dst;
    q.peer_port = (guint16)pinfo->destport;
    q.before_frame = pinfo->num;
    call_dissector_only(lookup, tvb, pinfo, NULL, &q);
    if (q.peer_frame) {
        conn->peer_frame = q.peer_frame;
        conn->peer_source = q.peer_source;
    }
}

/* LEDBAT (BEP 29): the base delay is the lowest one-way delay this side
 * reported over the last two minutes, the queuing delay what is above it.
 * A SYN's value is never a sample (the initiator has measured nothing yet);
 * 0, the placeholder 0x7fffffff and outliers are shown but not used
 * (utp-delay.h). */
static void
utp_analyze_delay(packet_info *pinfo, const utp_header_t *h, utp_flow_t *flow, utp_frame_t *fa)
{
    utp_delay_status_t st;
    guint64 now_us;
    guint32 queuing;

    if (h->type == UTP_ST_SYN || !h->ts_diff_us)
        return;
    if (!flow->delay && h->ts_diff_us != UTP_DELAY_PLACEHOLDER)
        flow->delay = wmem_new0(wmem_file_scope(), utp_delay_hist_t);
    now_us = (guint64)MAX(pinfo->abs_ts.secs, 0) * 1000000u + (guint64)pinfo->abs_ts.nsecs / 1000u;
    st = flow->delay ? utp_delay_add(flow->delay, now_us, h->ts_diff_us, &fa->base_delay, &queuing)
                     : UTP_DELAY_IS_PLACEHOLDER;
    fa->delay_status = (guint8)st;
    fa->flags |= (st == UTP_DELAY_OK) ? UTP_A_DELAY : UTP_A_DELAY_BAD;
}

/* Connection milestones: SYN, its answer, data, FIN, RESET, close reason. */
static void
utp_note_milestones(packet_info *pinfo, tvbuff_t *tvb, const utp_header_t *h, utp_conn_t *conn, int dir)
{
    utp_flow_t *flow = &conn->flow[dir], *peer = &conn->flow[!dir];

    switch (h->type) {
    case UTP_ST_SYN:
        conn->completeness |= UTP_COMPL_SYN;
        if (!conn->syn_frame) {
            conn->syn_frame = pinfo->num;
            conn->syn_time = pinfo->abs_ts;
            conn->syn_seq = h->seq;
            utp_lookup_discovery(pinfo, tvb, conn);
        }
        break;
    case UTP_ST_STATE:
        if (conn->syn_frame && !conn->synack_frame && dir != conn->initiator && h->ack == conn->syn_seq) {
            conn->synack_frame = pinfo->num;
            nstime_delta(&conn->irtt, &pinfo->abs_ts, &conn->syn_time);
            conn->completeness |= UTP_COMPL_SYNACK;
        }
        break;
    case UTP_ST_DATA:
        if (h->payload_len)
            conn->completeness |= UTP_COMPL_DATA;
        break;
    case UTP_ST_FIN:
        conn->completeness |= UTP_COMPL_FIN;
        flow->fin_seen = TRUE;
        if (peer->fin_seen)
            conn->closed = TRUE;
        break;
    case UTP_ST_RESET:
        conn->completeness |= UTP_COMPL_RESET;
        conn->closed = TRUE;
        break;
    }
    if (h->has_close_reason && !conn->have_close_reason) {
        conn->have_close_reason = TRUE;
        conn->close_reason = h->close_reason;
        conn->close_reason_frame = pinfo->num;
    }
}

/* The library's verdict, kept with the frame. */
static void
utp_frame_set_verdict(packet_info *pinfo, utp_frame_t *fa, const utp_seqan_verdict_t *v)
{
    fa->flags |= v->flags;
    fa->rel_seq = v->rel_seq;
    fa->rel_ack = v->rel_ack;
    fa->acks_frame = v->acks_frame;
    fa->bytes_in_flight = v->bytes_in_flight;
    /* what few frames have goes to the side record (utp_rare) */
    if (v->retrans_of || v->lost_count || v->dup_ack_num || v->dup_ack_of || v->sacked_new) {
        utp_frame_rare_t *r = utp_rare(fa);
        r->sacked_new = v->sacked_new;
        r->retrans_of = v->retrans_of;
        r->lost_count = v->lost_count;
        r->dup_ack_num = v->dup_ack_num;
        r->dup_ack_of = v->dup_ack_of;
    }
    if (v->flags & UTP_A_RTT) {
        nstime_t sent = { (time_t)v->acked_t_sec, v->acked_t_nsec }, rtt;
        nstime_delta(&rtt, &pinfo->abs_ts, &sent);
        fa->ack_rtt_ns = utp_ns_store(fa, utp_nstime_to_ns(&rtt), TRUE);
    }
}

utp_frame_t *
utp_analyze(packet_info *pinfo, tvbuff_t *tvb, const utp_header_t *h, utp_conn_t *conn, guint64 *abs_seq)
{
    utp_frame_t *fa = utp_frame_new(pinfo->num);
    int dir = utp_dir(pinfo);
    utp_flow_t *flow = &conn->flow[dir], *peer = &conn->flow[!dir];
    utp_seqan_packet_t p;
    utp_seqan_verdict_t v;

    fa->stream = conn->stream;
    fa->dir = (guint8)dir;

    /* times */
    if (!conn->first_frame) {
        conn->first_frame = pinfo->num;
        conn->first_time = pinfo->abs_ts;
        conn->last_time = pinfo->abs_ts;
    }
    {
        nstime_t delta;
        nstime_delta(&delta, &pinfo->abs_ts, &conn->last_time);
        fa->ts_delta_ns = utp_ns_store(fa, utp_nstime_to_ns(&delta), FALSE);
    }
    conn->last_time = pinfo->abs_ts;

    utp_note_milestones(pinfo, tvb, h, conn, dir);

    /* sequence numbers, ACKs, windows (lib/btcommon/utp-seqan.c); a RESET
     * and a version-0 packet take no part */
    p.h = h;
    p.frame = pinfo->num;
    p.t_sec = pinfo->abs_ts.secs;
    p.t_nsec = pinfo->abs_ts.nsecs;
    utp_seqan_packet(&flow->seq, &peer->seq, &p, utp_pref_analyze_seq, &v);
    utp_frame_set_verdict(pinfo, fa, &v);
    *abs_seq = v.abs_seq;
    if (utp_pref_analyze_seq && (v.flags & UTP_A_REL_SEQ))
        utp_analyze_delay(pinfo, h, flow, fa);
    return fa;
}
