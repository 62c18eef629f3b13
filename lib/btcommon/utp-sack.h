/* utp-sack.h
 * The uTP selective-ACK extension (BEP 29, extension type 1), free of any
 * Wireshark dependency.  Bit i of the bitmask (bytes in order, bits of a byte
 * from the least significant upward, as libutp sends them) says that packet
 * ack_nr + 2 + i was received.  BEP 29 asks for a length that is a multiple
 * of 4, but libtorrent sends 1 to 3 bytes when that is all it needs: any
 * length is accepted here.
 */
#ifndef BTCOMMON_UTP_SACK_H
#define BTCOMMON_UTP_SACK_H

#include <stddef.h>
#include <stdint.h>

/* A bitmask is at most 255 bytes (its length is a u8): 2040 packet numbers. */
#define UTP_SACK_MAX_BITS (255 * 8)

/* Writes up to max_out acknowledged sequence numbers (in increasing order
 * from ack_nr + 2, wrapping at 2^16) to out; returns how many bits are set
 * in total (which may exceed max_out). */
size_t utp_sack_decode(uint16_t ack_nr, const uint8_t *mask, size_t len,
                       uint16_t *out, size_t max_out);

typedef struct {
    uint16_t first;
    uint16_t last;
} utp_sack_range_t;

/* Groups the acknowledged packets into runs of consecutive numbers; writes
 * up to max_out runs and returns the total number of runs. */
size_t utp_sack_ranges(uint16_t ack_nr, const uint8_t *mask, size_t len,
                       utp_sack_range_t *out, size_t max_out);

#endif
