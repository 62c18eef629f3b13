/* utp-sentq.h
 * The packets one side of a uTP connection (BEP 29) has sent and the other
 * side has not acknowledged yet, in sequence order: a growable ring buffer
 * with O(1) append and cumulative-ACK removal and O(log n) lookup.  It lets
 * the dissector name the frame an ACK acknowledges, measure RTT, mark
 * retransmissions of unacknowledged packets and count bytes in flight, with
 * memory proportional to what is in flight.
 *
 * No Wireshark dependency: memory comes from the caller's allocator.
 */
#ifndef BTCOMMON_UTP_SENTQ_H
#define BTCOMMON_UTP_SENTQ_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include "btalloc.h"

/* At most this many packets are remembered per direction: a uTP sender can
 * never have more than 2^16 packets outstanding, because sequence numbers
 * are 16 bits wide; past that the oldest entry is dropped. */
#define UTP_SENTQ_MAX 65536u

typedef struct {
    uint64_t seq;        /* unwrapped sequence number */
    uint32_t frame;      /* frame of the first transmission */
    uint32_t last_frame; /* latest frame sending this very packet (0: frame) */
    uint32_t len;        /* payload bytes */
    uint32_t sig;        /* utp_packet_sig() of the packet: tells a retransmission
                            from a different packet reusing the number */
    int64_t  t_sec;      /* time of the first transmission */
    int32_t  t_nsec;
    bool     retransmitted;
    bool     sacked;
} utp_sent_t;

typedef struct {
    utp_sent_t *buf;
    uint32_t    cap;     /* power of two, 0 until the first push */
    uint32_t    head;    /* index of the oldest entry */
    uint32_t    count;
    uint64_t    bytes;   /* sum of len over entries not yet SACKed */
    bt_allocator_t a;
} utp_sentq_t;

void utp_sentq_init(utp_sentq_t *q, const bt_allocator_t *a);
/* Releases the storage (the plugins' queues live in wmem file scope and
 * need not call it). */
void utp_sentq_destroy(utp_sentq_t *q);

/* Appends a packet; its seq must be greater than every seq already queued
 * (callers push only first transmissions).  Returns false if it was not. */
bool utp_sentq_push(utp_sentq_t *q, const utp_sent_t *e);

/* Inserts a packet first seen out of order (a gap filled late) at its
 * place; O(n) but rare.  Returns false when the seq is already queued. */
bool utp_sentq_insert(utp_sentq_t *q, const utp_sent_t *e);

/* Removes every entry with seq <= ack.  If any was removed, copies the one
 * with the highest seq into *last and returns the number removed. */
uint32_t utp_sentq_ack(utp_sentq_t *q, uint64_t ack, utp_sent_t *last);

/* Entry with this seq, or NULL. */
utp_sent_t *utp_sentq_find(utp_sentq_t *q, uint64_t seq);

/* Marks an entry as selectively acknowledged; returns true the first time. */
bool utp_sentq_sack(utp_sentq_t *q, uint64_t seq);

/* The entry's seq now names a different packet (a sender reused the number,
 * e.g. libtorrent's DATA after a FIN of the same number): it takes the new
 * packet's frame, length and signature; bytes in flight follow the length. */
void utp_sentq_replace(utp_sentq_t *q, utp_sent_t *e, uint32_t frame, uint32_t len, uint32_t sig);

/* A compact signature of a packet that consumes a sequence number: its type,
 * payload length and a 32-bit hash of the payload (FNV-1a over 8-byte words).  Two transmissions
 * of one packet have the same; a collision only makes a reused number look
 * like a retransmission, as it did before signatures existed. */
uint32_t utp_packet_sig(uint8_t type, const uint8_t *payload, size_t len);

static inline uint64_t utp_sentq_bytes(const utp_sentq_t *q) { return q->bytes; }
static inline uint32_t utp_sentq_count(const utp_sentq_t *q) { return q->count; }

#endif
