/* utp-seqan.h
 * uTP (BEP 29) sequence analysis, free of any Wireshark dependency: the state
 * one side of a connection leaves behind (relative base, highest number sent,
 * which recent numbers were seen, what is in flight, its last ACK, its
 * window) and the decisions taken for each packet, in the spirit of
 * Wireshark's TCP analysis: retransmission (spurious or not), number reused
 * by a different packet, out of order, earlier packets not captured, which
 * packet an ACK acknowledges and when it was sent (RTT), ACK of a packet not
 * captured, packets newly selectively acknowledged, duplicate ACK, zero
 * window, window full, bytes in flight.
 *
 * The dissector (plugins/utp/utp-analysis.c) feeds every packet of a
 * connection to utp_seqan_packet() on the first pass, in capture order, and
 * stores the verdict with the frame; connection pairing, times, LEDBAT delays
 * and the tree stay in the plugin.
 */
#ifndef BTCOMMON_UTP_SEQAN_H
#define BTCOMMON_UTP_SEQAN_H

#include <stdbool.h>
#include <stdint.h>

#include "utp-header.h"
#include "utp-sentq.h"

/* Verdict flags (utp_seqan_verdict_t.flags).  The plugin adds its own bits
 * (delay samples, packets claimed after the fact) to the same word; each
 * flag's field, expert and Info tag are one row of utp-analysis-tree.c. */
#define UTP_A_RETRANS     0x0001
#define UTP_A_SPURIOUS    0x0002   /* retransmission of an already acked packet */
#define UTP_A_OOO         0x0004
#define UTP_A_LOST        0x0008   /* packets before this one were not captured */
#define UTP_A_ACK_UNSEEN  0x0010
#define UTP_A_DUP_ACK     0x0020
#define UTP_A_ZERO_WIN    0x0040
#define UTP_A_WIN_FULL    0x0080
#define UTP_A_ACKS        0x0100
#define UTP_A_RTT         0x0200
#define UTP_A_DELAY       0x0400   /* (plugin) a LEDBAT delay sample */
#define UTP_A_REL_ACK     0x0800
#define UTP_A_IN_FLIGHT   0x1000
#define UTP_A_REL_SEQ     0x2000
#define UTP_A_DELAY_BAD   0x4000   /* (plugin) timestamp_diff_us is no delay sample */
#define UTP_A_SEQ_REUSED  0x8000   /* a different packet with a number already used */
#define UTP_A_LATE        0x10000  /* (plugin) claimed once a later packet confirmed the connection */
#define UTP_A_SACK_SHORT  0x20000  /* (plugin) the connection's first selective ACK whose length is not a
                                      multiple of 4 (libtorrent's short masks): its expert shows there only */

/* Unwrapped sequence numbers start at 2^16 + the first raw value, so that
 * "one before the first packet" (the relative base of a side first seen
 * through a non-SYN packet) is still a positive number. */
#define UTP_ABS_START 0x10000u

/* The seen ring remembers the last 2^16 sequence numbers of a side: no
 * sender can have more distinct packets in flight with 16-bit numbers. */
#define UTP_SEEN_BITS 65536u

/* What one side has sent and acknowledged, as far as the capture shows. */
typedef struct {
    uint64_t base;             /* unwrapped seq shown as relative 0 */
    uint64_t ref;              /* unwrap reference for this side's seq numbers */
    uint64_t highest;          /* highest unwrapped seq sent */
    uint64_t seen_lo;          /* lowest number the ring tracks */
    uint8_t *seen;             /* ring of seen_cap bits: which recent seqs were seen */
    utp_sentq_t sentq;         /* sent, not yet cumulatively acked */
    /* the highest packet the last cumulative ACK removed from sentq: a
     * number reused right after a FIN is told apart even once it is acked */
    uint64_t last_acked_seq;
    uint64_t acked;            /* highest seq the other side acked cumulatively */
    uint32_t seen_cap;         /* bits, a power of two, at most UTP_SEEN_BITS */
    uint32_t last_acked_frame, last_acked_len, last_acked_sig;
    uint32_t last_ack_frame;   /* frame of this side's last new ack_nr */
    uint32_t dup_acks;
    uint32_t wnd;              /* last window this side advertised */
    uint16_t last_ack;         /* this side's last ack_nr */
    bool     base_set;
    bool     any_seq;          /* has sent a SYN/DATA/FIN */
    bool     acked_set;
    bool     ack_set;
    bool     wnd_set;
} utp_seqside_t;

/* What the analysis says about one packet. */
typedef struct {
    uint64_t abs_seq;          /* unwrapped seq (with UTP_A_REL_SEQ) */
    int64_t  acked_t_sec;      /* UTP_A_RTT: when the acknowledged packet was sent */
    int32_t  acked_t_nsec;
    uint32_t flags;
    uint32_t rel_seq, rel_ack;
    uint32_t acks_frame;       /* UTP_A_ACKS: first transmission of the packet acked */
    uint32_t retrans_of;       /* RETRANS: latest earlier frame of this packet; SEQ_REUSED: of the other packet */
    uint32_t lost_count;       /* LOST: numbers skipped */
    uint32_t bytes_in_flight;  /* IN_FLIGHT */
    uint32_t sacked_new;       /* packets selectively acknowledged for the first time */
    uint32_t dup_ack_num;      /* DUP_ACK: 1 for the first duplicate */
    uint32_t dup_ack_of;       /* DUP_ACK: frame of the original ACK */
} utp_seqan_verdict_t;

/* One packet as the analysis sees it: its parsed header, frame and time. */
typedef struct {
    const utp_header_t *h;
    uint32_t frame;
    int64_t  t_sec;
    int32_t  t_nsec;
} utp_seqan_packet_t;

/* A side with nothing seen; memory comes from the caller's allocator. */
void utp_seqside_init(utp_seqside_t *s, const bt_allocator_t *a);
/* Releases the side's storage (the plugin's sides live in wmem file scope
 * and need not call it). */
void utp_seqside_destroy(utp_seqside_t *s);

/* One packet from `self` (the other side is `peer`): relative numbering,
 * and with `analyze` the sequence, ACK and window analysis.  Version-0
 * packets and RESETs take no part (a RESET often echoes the numbers of a
 * packet its sender knows nothing of): the verdict is left empty. */
void utp_seqan_packet(utp_seqside_t *self, utp_seqside_t *peer, const utp_seqan_packet_t *p, bool analyze,
                      utp_seqan_verdict_t *out);

/* A packet of this side claimed after the fact (packets held before the
 * connection was confirmed): its number counts as seen, without the
 * per-packet analysis. */
void utp_seqside_note_seq(utp_seqside_t *s, uint64_t seq);

/* The seen ring: was this number sent (numbers more than UTP_SEEN_BITS
 * below the highest are too old to tell and count as seen)? */
bool utp_seqside_seen(const utp_seqside_t *s, uint64_t seq);

#endif
