/* utp-seq.h
 * uTP (BEP 29) number arithmetic, free of any Wireshark dependency:
 * 16-bit sequence/ack numbers that wrap, 32-bit microsecond timestamps that
 * wrap, and the connection-id rule that pairs the two directions.
 */
#ifndef BTCOMMON_UTP_SEQ_H
#define BTCOMMON_UTP_SEQ_H

#include <stdbool.h>
#include <stdint.h>

/* Signed distance a - b on the 16-bit circle, in [-32768, 32767]. */
static inline int32_t utp_seq_diff(uint16_t a, uint16_t b)
{
    return (int16_t)(uint16_t)(a - b);
}

/* Extends a 16-bit sequence number to the 64-bit value congruent to it
 * modulo 2^16 that lies nearest to `ref` (an earlier extended value of the
 * same counter).  Never returns less than 0: values that would fall below
 * 0 are moved up by 2^16. */
uint64_t utp_seq_unwrap(uint64_t ref, uint16_t seq);

/* a < b for 32-bit timestamps/delays that wrap (the comparison libutp uses
 * for its delay history: the shorter way round the circle wins). */
static inline bool utp_u32_wrapping_lt(uint32_t a, uint32_t b)
{
    return a != b && (uint32_t)(b - a) < 0x80000000u;
}

/* Roles of the two ends of one uTP connection, told from connection ids.
 * The initiator picks id X and sends its SYN with X; every later packet of
 * the initiator carries X+1 and every packet of the acceptor carries X. */
typedef enum {
    UTP_ROLE_UNKNOWN = 0,
    UTP_ROLE_FIRST_IS_INITIATOR,   /* the end that sent `first_id` initiated */
    UTP_ROLE_SECOND_IS_INITIATOR,  /* the end that sent `second_id` initiated */
} utp_role_t;

/* Given the id one end sends (first_id, not a SYN) and the id the other end
 * sends (second_id), tells which end initiated, or UNKNOWN when the two ids
 * do not belong to one connection. */
utp_role_t utp_roles_from_ids(uint16_t first_id, uint16_t second_id);

/* Two packets of opposite directions whose SYN was not captured belong to
 * one connection only if each one's ack_nr is near the other's seq_nr: an
 * ack_nr names the last packet received in order, so it trails the other
 * side's numbers by at most what that side has in flight.  1024 packets is
 * a 1 MiB receive window (libtorrent's and libutp's default) of 1 KiB
 * packets; real packets are larger, so real connections stay well inside. */
#define UTP_AGREE_WINDOW 1024

/* a_seq/a_ack from one direction, b_seq/b_ack from the other. */
bool utp_seq_agree(uint16_t a_seq, uint16_t a_ack, uint16_t b_seq, uint16_t b_ack);

#endif
