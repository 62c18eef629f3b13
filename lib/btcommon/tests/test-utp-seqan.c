/* Unit tests: uTP sequence analysis (utp-seqan.c), one decision at a time.
 * Expected values follow from BEP 29 and the scenario each block builds, not
 * from a dissector run. */
#include <stdlib.h>

#include "check.h"
#include "utp-seqan.h"

static void *t_alloc(void *ctx, size_t n) { (void)ctx; return malloc(n); }
static void t_release(void *ctx, void *p) { (void)ctx; free(p); }
static const bt_allocator_t A = { t_alloc, t_release, NULL };

/* Two sides of one connection: 0 sends data, 1 acknowledges. */
static utp_seqside_t side[2];
static uint32_t frame_no;

static void reset(void)
{
    for (int i = 0; i < 2; i++) {
        utp_seqside_destroy(&side[i]);
        utp_seqside_init(&side[i], &A);
    }
    frame_no = 0;
}

/* One packet of side `dir`; returns its verdict.  Time: one second per frame. */
static utp_seqan_verdict_t pkt(int dir, uint8_t type, uint16_t seq, uint16_t ack, uint32_t wnd,
                               const char *payload, const uint8_t *sack, uint8_t sack_len)
{
    utp_header_t h;
    utp_seqan_packet_t p;
    utp_seqan_verdict_t v;

    memset(&h, 0, sizeof h);
    h.version = 1;
    h.type = type;
    h.seq = seq;
    h.ack = ack;
    h.wnd = wnd;
    h.payload = (const uint8_t *)payload;
    h.payload_len = payload ? strlen(payload) : 0;
    if (sack) {
        h.n_ext = 1;
        h.ext[0].type = UTP_EXT_SACK;
        h.ext[0].len = sack_len;
        h.ext[0].data = sack;
    }
    p.h = &h;
    p.frame = ++frame_no;
    p.t_sec = frame_no;
    p.t_nsec = 0;
    utp_seqan_packet(&side[dir], &side[!dir], &p, true, &v);
    return v;
}

#define DATA(seq, s) pkt(0, UTP_ST_DATA, (seq), 0, 100000, (s), NULL, 0)
#define STATE(ack) pkt(1, UTP_ST_STATE, 500, (ack), 100000, NULL, NULL, 0)

static void test_in_order_and_lost(void)
{
    utp_seqan_verdict_t v;

    reset();
    v = pkt(0, UTP_ST_SYN, 10, 0, 100000, NULL, NULL, 0);
    CHECK_EQ_INT(v.rel_seq, 0);                       /* SYN is relative 0 */
    CHECK(!(v.flags & (UTP_A_RETRANS | UTP_A_OOO | UTP_A_LOST)));
    v = DATA(11, "aaaa");
    CHECK_EQ_INT(v.rel_seq, 1);
    CHECK(v.flags & UTP_A_IN_FLIGHT);
    CHECK_EQ_INT(v.bytes_in_flight, 4);
    v = DATA(12, "bbbbbb");
    CHECK_EQ_INT(v.bytes_in_flight, 10);
    /* 13 and 14 never captured */
    v = DATA(15, "cc");
    CHECK(v.flags & UTP_A_LOST);
    CHECK_EQ_INT(v.lost_count, 2);
    /* 13 turns up late: out of order, not a retransmission */
    v = DATA(13, "dd");
    CHECK(v.flags & UTP_A_OOO);
    CHECK(!(v.flags & UTP_A_RETRANS));
}

static void test_retransmissions(void)
{
    utp_seqan_verdict_t v;

    reset();
    DATA(100, "x");                                   /* frame 1 */
    DATA(101, "y");                                   /* frame 2 */
    v = DATA(100, "x");                               /* frame 3: same packet again */
    CHECK(v.flags & UTP_A_RETRANS);
    CHECK(!(v.flags & UTP_A_SPURIOUS));
    CHECK_EQ_INT(v.retrans_of, 1);
    v = DATA(100, "x");                               /* frame 4: linked to the latest */
    CHECK_EQ_INT(v.retrans_of, 3);
    /* a different packet with the number of 101 (libtorrent's DATA after FIN) */
    v = DATA(101, "zz");
    CHECK(v.flags & UTP_A_SEQ_REUSED);
    CHECK(!(v.flags & UTP_A_RETRANS));
    CHECK_EQ_INT(v.retrans_of, 2);
    /* the receiver acknowledges 100 and 101: a copy of 100 now is spurious */
    v = STATE(101);                                   /* frame 6 */
    CHECK(v.flags & UTP_A_ACKS);
    CHECK_EQ_INT(v.acks_frame, 5);                    /* 101 now stands for frame 5 */
    v = DATA(100, "x");
    CHECK((v.flags & (UTP_A_RETRANS | UTP_A_SPURIOUS)) == (UTP_A_RETRANS | UTP_A_SPURIOUS));
}

static void test_acks_rtt_and_dup(void)
{
    utp_seqan_verdict_t v;

    reset();
    DATA(200, "a");                                   /* frame 1, t=1 */
    DATA(201, "b");                                   /* frame 2, t=2 */
    DATA(202, "c");                                   /* frame 3, t=3 */
    v = STATE(200);                                   /* frame 4 */
    CHECK(v.flags & UTP_A_ACKS);
    CHECK_EQ_INT(v.acks_frame, 1);
    CHECK(v.flags & UTP_A_RTT);
    CHECK_EQ_INT(v.acked_t_sec, 1);                   /* sent at t=1 */
    CHECK_EQ_INT(v.rel_ack, 1);                       /* the first DATA is relative 1 */
    CHECK(!(v.flags & UTP_A_DUP_ACK));
    /* the same ack_nr again while 201, 202 are in flight: duplicates */
    v = STATE(200);                                   /* frame 5 */
    CHECK(v.flags & UTP_A_DUP_ACK);
    CHECK_EQ_INT(v.dup_ack_num, 1);
    CHECK_EQ_INT(v.dup_ack_of, 4);
    v = STATE(200);
    CHECK_EQ_INT(v.dup_ack_num, 2);
    /* Karn: a retransmitted packet's ACK gives no RTT */
    DATA(201, "b");
    v = STATE(201);
    CHECK(v.flags & UTP_A_ACKS);
    CHECK(!(v.flags & UTP_A_RTT));
    CHECK(!(v.flags & UTP_A_DUP_ACK));
    /* an ACK of a number never captured */
    v = STATE(210);
    CHECK(v.flags & UTP_A_ACK_UNSEEN);
}

static void test_sack(void)
{
    utp_seqan_verdict_t v;
    const uint8_t mask[4] = { 0x05, 0, 0, 0 };      /* ack+2 and ack+4 */

    reset();
    for (uint16_t s = 300; s < 306; s++)
        DATA(s, "pp");
    v = pkt(1, UTP_ST_STATE, 500, 300, 100000, NULL, mask, 4);
    CHECK_EQ_INT(v.sacked_new, 2);                    /* 302 and 304 */
    CHECK(v.flags & UTP_A_ACKS);
    v = pkt(1, UTP_ST_STATE, 500, 300, 100000, NULL, mask, 4);
    CHECK_EQ_INT(v.sacked_new, 0);                    /* not new any more */
    /* bytes in flight leave out what was acked (300) and SACKed (302, 304):
     * 301, 303, 305 and the new 306 */
    v = DATA(306, "qq");
    CHECK_EQ_INT(v.bytes_in_flight, 4 * 2);
}

static void test_windows(void)
{
    utp_seqan_verdict_t v;

    reset();
    pkt(1, UTP_ST_STATE, 500, 0, 5, NULL, NULL, 0);   /* receiver advertises 5 bytes */
    v = DATA(1, "abc");
    CHECK(!(v.flags & UTP_A_WIN_FULL));
    v = DATA(2, "de");
    CHECK(v.flags & UTP_A_WIN_FULL);                  /* 5 bytes in flight */
    v = pkt(1, UTP_ST_STATE, 500, 0, 0, NULL, NULL, 0);
    CHECK(v.flags & UTP_A_ZERO_WIN);
}

static void test_wrap_and_excluded(void)
{
    utp_seqan_verdict_t v;

    reset();
    DATA(65534, "a");
    DATA(65535, "b");
    v = DATA(0, "c");                                 /* wraps: next number, nothing lost */
    CHECK_EQ_INT(v.rel_seq, 3);
    CHECK(!(v.flags & (UTP_A_LOST | UTP_A_OOO | UTP_A_RETRANS)));
    /* a RESET takes no part: empty verdict, state untouched */
    v = pkt(0, UTP_ST_RESET, 7, 7, 0, NULL, NULL, 0);
    CHECK_EQ_INT(v.flags, 0);
    v = DATA(1, "d");
    CHECK_EQ_INT(v.rel_seq, 4);
    CHECK(!(v.flags & UTP_A_LOST));
}

static void test_seen_ring(void)
{
    utp_seqside_t *s = &side[0];

    reset();
    utp_seqside_note_seq(s, 0x10000 + 5);
    CHECK(utp_seqside_seen(s, 0x10000 + 5));
    CHECK(!utp_seqside_seen(s, 0x10000 + 4));
    /* a jump far past the ring's first size: it grows, keeps what it knew,
     * and forgets nothing it must remember */
    utp_seqside_note_seq(s, 0x10000 + 5000);
    CHECK(s->seen_cap >= 4996 && (s->seen_cap & (s->seen_cap - 1)) == 0);
    CHECK(utp_seqside_seen(s, 0x10000 + 5));
    CHECK(!utp_seqside_seen(s, 0x10000 + 4999));
    /* an out-of-order filler is remembered */
    utp_seqside_note_seq(s, 0x10000 + 4999);
    CHECK(utp_seqside_seen(s, 0x10000 + 4999));
    /* numbers more than 2^16 below the highest are too old to tell */
    utp_seqside_note_seq(s, 0x10000 + 5000 + UTP_SEEN_BITS + 10);
    CHECK(utp_seqside_seen(s, 0x10000 + 5000));
    CHECK(s->seen_cap <= UTP_SEEN_BITS);
    /* the slots the ring reused were cleared */
    CHECK(!utp_seqside_seen(s, 0x10000 + 5000 + UTP_SEEN_BITS + 9));
}

int main(void)
{
    test_in_order_and_lost();
    test_retransmissions();
    test_acks_rtt_and_dup();
    test_sack();
    test_windows();
    test_wrap_and_excluded();
    test_seen_ring();
    for (int i = 0; i < 2; i++)
        utp_seqside_destroy(&side[i]);
    return check_summary("test-utp-seqan");
}
