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
#include "utp-sack.h"
#include "ws-compat.h"

/* Unwrapped sequence numbers start at 2^16 + the first raw value, so that
 * "one before the first packet" (the relative base of a side first seen
 * through a non-SYN packet) is still a positive number. */
#define UTP_ABS_START 0x10000u

static guint32 utp_stream_count;

/* The per-frame records, indexed by frame number: one pointer per frame up
 * to the highest uTP frame (at most the frames of the file), in file scope,
 * grown by doubling.  Cheaper than p_add_proto_data (a record and a list
 * node per frame, and a list walk per lookup). */
static utp_frame_t **utp_frames;
static guint32 utp_frames_cap;

void
utp_analysis_init(void)
{
    utp_stream_count = 0;
    utp_frames = NULL;      /* the old array went with the previous file scope */
    utp_frames_cap = 0;
}

void
utp_frame_store(guint32 num, utp_frame_t *fa)
{
    if (num >= utp_frames_cap) {
        guint32 cap = MAX(utp_frames_cap * 2, 1024u);
        while (cap <= num)
            cap *= 2;
        utp_frames = (utp_frame_t **)wmem_realloc(wmem_file_scope(), utp_frames, cap * sizeof *utp_frames);
        memset(utp_frames + utp_frames_cap, 0, (cap - utp_frames_cap) * sizeof *utp_frames);
        utp_frames_cap = cap;
    }
    utp_frames[num] = fa;
}

utp_frame_t *
utp_frame_lookup(guint32 num)
{
    utp_frame_t *fa = num < utp_frames_cap ? utp_frames[num] : NULL;
    return fa ? fa : utp_midstream_frame(num);
}

/* Connections numbered so far (utp.stream runs from 0 to this - 1). */
uint32_t
utp_analysis_stream_count(void)
{
    return utp_stream_count;
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

static void *
utp_wmem_alloc(void *ctx _U_, size_t size)
{
    return wmem_alloc(wmem_file_scope(), size);
}

static void
utp_wmem_release(void *ctx _U_, void *ptr)
{
    wmem_free(wmem_file_scope(), ptr);
}

static const utp_allocator_t utp_file_allocator = { utp_wmem_alloc, utp_wmem_release, NULL };

utp_conn_t *
utp_conn_new(packet_info *pinfo, int dir)
{
    utp_conn_t *c = wmem_new0(wmem_file_scope(), utp_conn_t);
    c->stream = utp_stream_count++;
    c->initiator = -1;
    copy_address_wmem(wmem_file_scope(), &c->addr[dir], &pinfo->src);
    copy_address_wmem(wmem_file_scope(), &c->addr[!dir], &pinfo->dst);
    c->port[dir] = pinfo->srcport;
    c->port[!dir] = pinfo->destport;
    for (int i = 0; i < 2; i++)
        utp_sentq_init(&c->flow[i].sentq, &utp_file_allocator);
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

/* A number already seen again: the same packet (a retransmission, linked to
 * the latest earlier transmission) or a different one reusing the number
 * (libtorrent sends DATA with the number of its FIN), which is no
 * retransmission and becomes the packet the number stands for. */
static void
utp_analyze_repeat(packet_info *pinfo, utp_flow_t *flow, utp_frame_t *fa, guint64 s, guint32 len, guint32 sig)
{
    utp_sent_t *orig = utp_sentq_find(&flow->sentq, s);

    if (orig) {
        guint32 latest = orig->last_frame ? orig->last_frame : orig->frame;
        if (orig->len == len && orig->sig == sig) {
            fa->flags |= UTP_A_RETRANS;
            utp_rare(fa)->retrans_of = latest;
            orig->retransmitted = TRUE;
            orig->last_frame = pinfo->num;
        } else {
            fa->flags |= UTP_A_SEQ_REUSED;
            utp_rare(fa)->retrans_of = latest;
            utp_sentq_replace(&flow->sentq, orig, pinfo->num, len, sig);
        }
    } else if (flow->last_acked_frame && flow->last_acked_seq == s &&
               (flow->last_acked_len != len || flow->last_acked_sig != sig)) {
        fa->flags |= UTP_A_SEQ_REUSED;
        utp_rare(fa)->retrans_of = flow->last_acked_frame;
        flow->last_acked_frame = pinfo->num;
        flow->last_acked_len = len;
        flow->last_acked_sig = sig;
    } else {
        fa->flags |= UTP_A_RETRANS | UTP_A_SPURIOUS;   /* already cumulatively acknowledged */
    }
}

/* Sequence analysis of a packet that consumes a number (SYN, DATA, FIN). */
static void
utp_analyze_seq(packet_info *pinfo, const utp_header_t *h, utp_flow_t *flow, utp_frame_t *fa)
{
    guint64 s = fa->abs_seq;
    utp_sent_t e = { 0 };

    e.seq = s;
    e.frame = pinfo->num;
    e.len = (guint32)h->payload_len;
    e.sig = utp_packet_sig(h->type, h->payload, h->payload_len);
    e.t_sec = pinfo->abs_ts.secs;
    e.t_nsec = pinfo->abs_ts.nsecs;

    if (!flow->any_seq || s > flow->highest) {
        if (flow->any_seq && s > flow->highest + 1) {
            fa->flags |= UTP_A_LOST;
            utp_rare(fa)->lost_count = (guint32)MIN(s - flow->highest - 1, G_MAXUINT32);
        }
        if (!flow->any_seq) {
            flow->any_seq = TRUE;
            flow->highest = s;
            utp_seen_set(flow, s, TRUE);
        } else {
            utp_seen_advance(flow, s);
        }
        utp_sentq_push(&flow->sentq, &e);
    } else if (utp_seen_get(flow, s)) {
        utp_analyze_repeat(pinfo, flow, fa, s, e.len, e.sig);
    } else {
        fa->flags |= UTP_A_OOO;
        utp_seen_set(flow, s, TRUE);
        if (!flow->acked_set || s > flow->acked)
            utp_sentq_insert(&flow->sentq, &e);   /* in flight too */
    }
    if (h->payload_len) {
        fa->bytes_in_flight = (guint32)MIN(utp_sentq_bytes(&flow->sentq), G_MAXUINT32);
        fa->flags |= UTP_A_IN_FLIGHT;
    }
}

/* What this packet's ack_nr (and SACK) says about the other side's packets. */
static void
utp_analyze_ack(packet_info *pinfo, const utp_header_t *h, utp_flow_t *flow,
                utp_flow_t *peer, utp_frame_t *fa)
{
    guint64 ack_abs;

    if (!peer->base_set) {
        /* The other side has not been seen: its last in-order packet
         * becomes its relative 0. */
        peer->base = UTP_ABS_START + h->ack;
        peer->ref = peer->base;
        peer->base_set = TRUE;
    }
    ack_abs = utp_seq_unwrap(peer->ref, h->ack);
    fa->rel_ack = (guint32)(ack_abs - peer->base);
    fa->flags |= UTP_A_REL_ACK;

    if (peer->any_seq) {
        utp_sent_t last;
        if (ack_abs > peer->highest)
            fa->flags |= UTP_A_ACK_UNSEEN;
        if (utp_sentq_ack(&peer->sentq, ack_abs, &last)) {
            peer->last_acked_seq = last.seq;
            peer->last_acked_frame = last.last_frame ? last.last_frame : last.frame;
            peer->last_acked_len = last.len;
            peer->last_acked_sig = last.sig;
            fa->flags |= UTP_A_ACKS;
            fa->acks_frame = last.frame;
            if (!last.retransmitted) {   /* Karn: no RTT from an ambiguous ACK */
                nstime_t sent = { (time_t)last.t_sec, last.t_nsec }, rtt;
                nstime_delta(&rtt, &pinfo->abs_ts, &sent);
                fa->ack_rtt_ns = utp_nstime_to_ns(&rtt);
                fa->flags |= UTP_A_RTT;
            }
        }
    }
    if (ack_abs > peer->ref)
        peer->ref = ack_abs;
    if (!peer->acked_set || ack_abs > peer->acked) {
        peer->acked = ack_abs;
        peer->acked_set = TRUE;
    }

    /* Packets selectively acknowledged for the first time */
    for (size_t i = 0; i < MIN(h->n_ext, (size_t)UTP_MAX_EXT); i++) {
        const utp_ext_t *e = &h->ext[i];
        if (e->type != UTP_EXT_SACK || !e->len)
            continue;
        guint16 acked[UTP_SACK_MAX_BITS];
        size_t n = utp_sack_decode(h->ack, e->data, e->len, acked, UTP_SACK_MAX_BITS);
        for (size_t j = 0; j < n; j++) {
            /* acked[j] lies 2..2041 past ack_nr: unwrap it from ack_abs */
            if (utp_sentq_sack(&peer->sentq, ack_abs + (guint16)(acked[j] - h->ack)))
                fa->sacked_new++;
        }
    }

    /* Duplicate ACK: a STATE repeating this side's last ack_nr while the
     * other side has packets beyond it in flight. */
    if (h->type == UTP_ST_STATE && flow->ack_set && h->ack == flow->last_ack &&
        peer->any_seq && ack_abs < peer->highest) {
        flow->dup_acks++;
        fa->flags |= UTP_A_DUP_ACK;
        utp_rare(fa)->dup_ack_num = flow->dup_acks;
        fa->rare->dup_ack_of = flow->last_ack_frame;
    } else if (!flow->ack_set || h->ack != flow->last_ack) {
        flow->ack_set = TRUE;
        flow->last_ack = h->ack;
        flow->last_ack_frame = pinfo->num;
        flow->dup_acks = 0;
    }
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
    fa->one_way_delay = h->ts_diff_us;
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

utp_frame_t *
utp_analyze(packet_info *pinfo, tvbuff_t *tvb, const utp_header_t *h, utp_conn_t *conn)
{
    utp_frame_t *fa = wmem_new0(wmem_file_scope(), utp_frame_t);
    int dir = utp_dir(pinfo);
    utp_flow_t *flow = &conn->flow[dir], *peer = &conn->flow[!dir];
    gboolean consumes = h->type == UTP_ST_DATA || h->type == UTP_ST_FIN || h->type == UTP_ST_SYN;

    fa->conn = conn;
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
        fa->ts_delta_ns = utp_nstime_to_ns(&delta);
    }
    conn->last_time = pinfo->abs_ts;

    utp_note_milestones(pinfo, tvb, h, conn, dir);

    /* A RESET (and libutp's version-0 one in particular) often answers a
     * packet the sender knows nothing of, echoing that packet's numbers: it
     * takes no part in the sequence analysis. */
    if (h->version == 0 || h->type == UTP_ST_RESET)
        return fa;

    /* relative sequence number: SYN is 0, a side's first data is 1 */
    if (!flow->base_set) {
        guint64 first = UTP_ABS_START + h->seq;
        flow->base = (h->type == UTP_ST_SYN) ? first : first - 1;
        flow->ref = first;
        flow->base_set = TRUE;
    }
    fa->abs_seq = utp_seq_unwrap(flow->ref, h->seq);
    if (fa->abs_seq > flow->ref)
        flow->ref = fa->abs_seq;
    fa->rel_seq = (guint32)(fa->abs_seq - flow->base);
    fa->flags |= UTP_A_REL_SEQ;


    if (!utp_pref_analyze_seq)
        return fa;

    if (consumes)
        utp_analyze_seq(pinfo, h, flow, fa);
    if (h->type != UTP_ST_SYN)
        utp_analyze_ack(pinfo, h, flow, peer, fa);

    /* windows: this packet advertises this side's; data is limited by the peer's */
    if (h->version == 1) {
        if (h->wnd == 0 && (h->type == UTP_ST_DATA || h->type == UTP_ST_STATE))
            fa->flags |= UTP_A_ZERO_WIN;
        if ((fa->flags & UTP_A_IN_FLIGHT) && peer->wnd_set && peer->wnd &&
            fa->bytes_in_flight >= peer->wnd)
            fa->flags |= UTP_A_WIN_FULL;
        flow->wnd = h->wnd;
        flow->wnd_set = TRUE;

        utp_analyze_delay(pinfo, h, flow, fa);
    }
    return fa;
}
