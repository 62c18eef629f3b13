/* reserved.h
 * The one table of the reserved bits of the BitTorrent handshake (BEP 4,
 * "Known Number Allocations"): the btpeer.reserved.* fields are registered
 * from it and the Info column summary is written from it.
 */
#ifndef BTCOMMON_RESERVED_H
#define BTCOMMON_RESERVED_H

#include <stddef.h>
#include <stdint.h>

#define BT_RESERVED_LEN 8

typedef struct {
    unsigned    byte;     /* index into the 8 reserved bytes, 0 first on the wire */
    uint8_t     mask;
    const char *abbrev;   /* short name for the Info column: "ext", "dht"        */
    const char *filter;   /* field name under btpeer.reserved.                    */
    const char *name;     /* long name (the field's title)                        */
} bt_reserved_bit_t;

/* Entries of bt_reserved_bits (a constant, so that callers can size arrays
 * by it; test-reserved checks it against the table). */
#define BT_RESERVED_BIT_COUNT 10

extern const bt_reserved_bit_t bt_reserved_bits[BT_RESERVED_BIT_COUNT];
extern const size_t bt_reserved_bit_count;

/* The table's index of the i-th bit in wire order (byte 0 first, most
 * significant bit first), for showing the bits as the bytes lay them out. */
size_t bt_reserved_wire_order(size_t i);

/* Writes the abbreviations of the known bits that are set, comma-separated in
 * table order ("ext,dht,fast"), into out (always NUL-terminated).  Unknown set
 * bits add "+0x<byte>:<mask>" items.  Returns the number of set bits named. */
size_t bt_reserved_summary(const uint8_t reserved[BT_RESERVED_LEN], char *out, size_t outlen);

/* Copies into unknown[] the set bits that no table entry names. Returns 1 if
 * any is set. */
int bt_reserved_unknown(const uint8_t reserved[BT_RESERVED_LEN], uint8_t unknown[BT_RESERVED_LEN]);

#endif /* BTCOMMON_RESERVED_H */
