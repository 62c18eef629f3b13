/* utp-seqan.c
 * uTP (BEP 29) sequence analysis of one connection (see utp-seqan.h): the
 * seen ring, then the per-packet decisions on sequence numbers, ACKs and
 * windows.  No Wireshark dependency.
 */
#include <string.h>

#include "utp-sack.h"
#include "utp-seq.h"
#include "utp-seqan.h"

#define SEQAN_MIN(a, b) ((a) < (b) ? (a) : (b))
#define SEQAN_MAX(a, b) ((a) > (b) ? (a) : (b))

/* The ring covers the numbers from seen_lo to highest, at most the last
 * UTP_SEEN_BITS of them, as seen_cap bits (a power of two) that grow with
 * that span: a connection that sent a handful of packets costs 8 bytes, not
 * 8 KiB (100,000 SYNs cost 1.2 GB when every SYN allocated the whole map).
 * It grows at most log2(65536 / 64) = 10 times per side. */
#define UTP_SEEN_MIN_BITS 64u

void utp_seqside_init(utp_seqside_t *s, const bt_allocator_t *a)
{
    memset(s, 0, sizeof *s);
    utp_sentq_init(&s->sentq, a);
}

void utp_seqside_destroy(utp_seqside_t *s)
{
    if (s->seen)
        s->sentq.a.release(s->sentq.a.ctx, s->seen);
    s->seen = NULL;
    utp_sentq_destroy(&s->sentq);
}

bool utp_seqside_seen(const utp_seqside_t *f, uint64_t seq)
{
    uint32_t i;
    if (seq > f->highest)
        return false;
    if (seq + UTP_SEEN_BITS <= f->highest)
        return true;                /* too old to tell: assume seen */
    if (!f->seen || seq < f->seen_lo)
        return false;
    i = (uint32_t)(seq & (f->seen_cap - 1));
    return (f->seen[i / 8] >> (i % 8)) & 1;
}

/* Makes room for the numbers lo..hi (hi >= highest), keeping what is known. */
static void seen_room(utp_seqside_t *f, uint64_t lo, uint64_t hi)
{
    const bt_allocator_t *a = &f->sentq.a;
    uint64_t span;
    uint32_t cap;
    uint8_t *bits;

    if (hi - lo + 1 > UTP_SEEN_BITS)
        lo = hi - UTP_SEEN_BITS + 1;
    span = hi - lo + 1;
    if (f->seen && span <= f->seen_cap)
        return;
    cap = f->seen ? f->seen_cap : UTP_SEEN_MIN_BITS;
    while (cap < span)
        cap *= 2;
    bits = (uint8_t *)a->alloc(a->ctx, cap / 8);
    memset(bits, 0, cap / 8);
    if (f->seen) {
        for (uint64_t s = SEQAN_MAX(lo, f->seen_lo); s <= f->highest; s++) {
            uint32_t o = (uint32_t)(s & (f->seen_cap - 1)), n = (uint32_t)(s & (cap - 1));
            if ((f->seen[o / 8] >> (o % 8)) & 1)
                bits[n / 8] |= (uint8_t)(1u << (n % 8));
        }
        a->release(a->ctx, f->seen);
    }
    f->seen = bits;
    f->seen_cap = cap;
}

static void seen_set(utp_seqside_t *f, uint64_t seq, bool v)
{
    uint32_t i;
    if (!f->seen || seq < f->seen_lo) {
        /* a first number, or one below the lowest tracked (out of order) */
        seen_room(f, seq, SEQAN_MAX(seq, f->highest));
        if (!f->seen_lo || seq < f->seen_lo)
            f->seen_lo = seq;
    }
    i = (uint32_t)(seq & (f->seen_cap - 1));
    if (v)
        f->seen[i / 8] |= (uint8_t)(1u << (i % 8));
    else
        f->seen[i / 8] &= (uint8_t)~(1u << (i % 8));
}

/* A new highest sequence number: forget what the ring said about the slots
 * it now reuses.  Whole bytes are cleared at once, so a hostile jump of 2^15
 * numbers costs a 4 KiB memset, not 2^15 steps. */
static void seen_advance(utp_seqside_t *f, uint64_t new_highest)
{
    uint64_t from = f->highest + 1;

    seen_room(f, f->seen_lo, new_highest);
    if (new_highest - f->seen_lo + 1 > UTP_SEEN_BITS)
        f->seen_lo = new_highest - UTP_SEEN_BITS + 1;
    if (new_highest - f->highest > f->seen_cap)
        from = new_highest - f->seen_cap + 1;
    while (from < new_highest) {
        uint32_t i = (uint32_t)(from & (f->seen_cap - 1));
        if (i % 8 == 0 && new_highest - from >= 8) {
            /* whole bytes up to the end of the ring or of the range */
            uint32_t bytes = (uint32_t)SEQAN_MIN((new_highest - from) / 8, (uint64_t)(f->seen_cap - i) / 8);
            memset(f->seen + i / 8, 0, bytes);
            from += (uint64_t)bytes * 8;
        } else {
            seen_set(f, from, false);
            from++;
        }
    }
    f->highest = new_highest;
    seen_set(f, new_highest, true);
}

void utp_seqside_note_seq(utp_seqside_t *f, uint64_t s)
{
    if (!f->any_seq) {
        f->any_seq = true;
        f->highest = s;
        seen_set(f, s, true);
    } else if (s > f->highest) {
        seen_advance(f, s);
    } else {
        seen_set(f, s, true);
    }
}

/* A number already seen again: the same packet (a retransmission, linked to
 * the latest earlier transmission) or a different one reusing the number
 * (libtorrent sends DATA with the number of its FIN), which is no
 * retransmission and becomes the packet the number stands for. */
static void analyze_repeat(utp_seqside_t *flow, uint32_t frame, utp_seqan_verdict_t *fa, uint64_t s, uint32_t len,
                           uint32_t sig)
{
    utp_sent_t *orig = utp_sentq_find(&flow->sentq, s);

    if (orig) {
        uint32_t latest = orig->last_frame ? orig->last_frame : orig->frame;
        if (orig->len == len && orig->sig == sig) {
            fa->flags |= UTP_A_RETRANS;
            fa->retrans_of = latest;
            orig->retransmitted = true;
            orig->last_frame = frame;
        } else {
            fa->flags |= UTP_A_SEQ_REUSED;
            fa->retrans_of = latest;
            utp_sentq_replace(&flow->sentq, orig, frame, len, sig);
        }
    } else if (flow->last_acked_frame && flow->last_acked_seq == s &&
               (flow->last_acked_len != len || flow->last_acked_sig != sig)) {
        fa->flags |= UTP_A_SEQ_REUSED;
        fa->retrans_of = flow->last_acked_frame;
        flow->last_acked_frame = frame;
        flow->last_acked_len = len;
        flow->last_acked_sig = sig;
    } else {
        fa->flags |= UTP_A_RETRANS | UTP_A_SPURIOUS;   /* already cumulatively acknowledged */
    }
}

/* Sequence analysis of a packet that consumes a number (SYN, DATA, FIN). */
static void analyze_seq(const utp_seqan_packet_t *p, utp_seqside_t *flow, utp_seqan_verdict_t *fa)
{
    const utp_header_t *h = p->h;
    uint64_t s = fa->abs_seq;
    utp_sent_t e = { 0 };

    e.seq = s;
    e.frame = p->frame;
    e.len = (uint32_t)h->payload_len;
    e.sig = utp_packet_sig(h->type, h->payload, h->payload_len);
    e.t_sec = p->t_sec;
    e.t_nsec = p->t_nsec;

    if (!flow->any_seq || s > flow->highest) {
        if (flow->any_seq && s > flow->highest + 1) {
            fa->flags |= UTP_A_LOST;
            fa->lost_count = (uint32_t)SEQAN_MIN(s - flow->highest - 1, UINT32_MAX);
        }
        if (!flow->any_seq) {
            flow->any_seq = true;
            flow->highest = s;
            seen_set(flow, s, true);
        } else {
            seen_advance(flow, s);
        }
        utp_sentq_push(&flow->sentq, &e);
    } else if (utp_seqside_seen(flow, s)) {
        analyze_repeat(flow, p->frame, fa, s, e.len, e.sig);
    } else {
        fa->flags |= UTP_A_OOO;
        seen_set(flow, s, true);
        if (!flow->acked_set || s > flow->acked)
            utp_sentq_insert(&flow->sentq, &e);   /* in flight too */
    }
    if (h->payload_len) {
        fa->bytes_in_flight = (uint32_t)SEQAN_MIN(utp_sentq_bytes(&flow->sentq), UINT32_MAX);
        fa->flags |= UTP_A_IN_FLIGHT;
    }
}

/* The cumulative ACK: which of the other side's packets it acknowledges. */
static void analyze_cum_ack(utp_seqside_t *peer, uint64_t ack_abs, utp_seqan_verdict_t *fa)
{
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
                fa->acked_t_sec = last.t_sec;
                fa->acked_t_nsec = last.t_nsec;
                fa->flags |= UTP_A_RTT;
            }
        }
    }
    if (ack_abs > peer->ref)
        peer->ref = ack_abs;
    if (!peer->acked_set || ack_abs > peer->acked) {
        peer->acked = ack_abs;
        peer->acked_set = true;
    }
}

/* What this packet's ack_nr (and SACK) says about the other side's packets. */
static void analyze_ack(const utp_seqan_packet_t *p, utp_seqside_t *flow, utp_seqside_t *peer,
                        utp_seqan_verdict_t *fa)
{
    const utp_header_t *h = p->h;
    uint64_t ack_abs;

    if (!peer->base_set) {
        /* The other side has not been seen: its last in-order packet
         * becomes its relative 0. */
        peer->base = UTP_ABS_START + h->ack;
        peer->ref = peer->base;
        peer->base_set = true;
    }
    ack_abs = utp_seq_unwrap(peer->ref, h->ack);
    fa->rel_ack = (uint32_t)(ack_abs - peer->base);
    fa->flags |= UTP_A_REL_ACK;
    analyze_cum_ack(peer, ack_abs, fa);

    /* Packets selectively acknowledged for the first time */
    for (size_t i = 0; i < SEQAN_MIN(h->n_ext, (size_t)UTP_MAX_EXT); i++) {
        const utp_ext_t *e = &h->ext[i];
        if (e->type != UTP_EXT_SACK || !e->len)
            continue;
        uint16_t acked[UTP_SACK_MAX_BITS];
        size_t n = utp_sack_decode(h->ack, e->data, e->len, acked, UTP_SACK_MAX_BITS);
        for (size_t j = 0; j < n; j++) {
            /* acked[j] lies 2..2041 past ack_nr: unwrap it from ack_abs */
            if (utp_sentq_sack(&peer->sentq, ack_abs + (uint16_t)(acked[j] - h->ack)))
                fa->sacked_new++;
        }
    }

    /* Duplicate ACK: a STATE repeating this side's last ack_nr while the
     * other side has packets beyond it in flight. */
    if (h->type == UTP_ST_STATE && flow->ack_set && h->ack == flow->last_ack &&
        peer->any_seq && ack_abs < peer->highest) {
        flow->dup_acks++;
        fa->flags |= UTP_A_DUP_ACK;
        fa->dup_ack_num = flow->dup_acks;
        fa->dup_ack_of = flow->last_ack_frame;
    } else if (!flow->ack_set || h->ack != flow->last_ack) {
        flow->ack_set = true;
        flow->last_ack = h->ack;
        flow->last_ack_frame = p->frame;
        flow->dup_acks = 0;
    }
}

/* Windows: this packet advertises this side's; data is limited by the peer's. */
static void analyze_window(const utp_header_t *h, utp_seqside_t *flow, const utp_seqside_t *peer,
                           utp_seqan_verdict_t *fa)
{
    if (h->wnd == 0 && (h->type == UTP_ST_DATA || h->type == UTP_ST_STATE))
        fa->flags |= UTP_A_ZERO_WIN;
    if ((fa->flags & UTP_A_IN_FLIGHT) && peer->wnd_set && peer->wnd && fa->bytes_in_flight >= peer->wnd)
        fa->flags |= UTP_A_WIN_FULL;
    flow->wnd = h->wnd;
    flow->wnd_set = true;
}

void utp_seqan_packet(utp_seqside_t *flow, utp_seqside_t *peer, const utp_seqan_packet_t *p, bool analyze,
                      utp_seqan_verdict_t *fa)
{
    const utp_header_t *h = p->h;

    memset(fa, 0, sizeof *fa);
    if (h->version == 0 || h->type == UTP_ST_RESET)
        return;

    /* relative sequence number: SYN is 0, a side's first data is 1 */
    if (!flow->base_set) {
        uint64_t first = UTP_ABS_START + h->seq;
        flow->base = (h->type == UTP_ST_SYN) ? first : first - 1;
        flow->ref = first;
        flow->base_set = true;
    }
    fa->abs_seq = utp_seq_unwrap(flow->ref, h->seq);
    if (fa->abs_seq > flow->ref)
        flow->ref = fa->abs_seq;
    fa->rel_seq = (uint32_t)(fa->abs_seq - flow->base);
    fa->flags |= UTP_A_REL_SEQ;

    if (!analyze)
        return;
    if (h->type == UTP_ST_DATA || h->type == UTP_ST_FIN || h->type == UTP_ST_SYN)
        analyze_seq(p, flow, fa);
    if (h->type != UTP_ST_SYN)
        analyze_ack(p, flow, peer, fa);
    if (h->version == 1)
        analyze_window(h, flow, peer, fa);
}
