/* reserved.h
 * Names of the reserved bits of the BitTorrent handshake (BEP 4, "Known
 * Number Allocations"), for btpeer.reserved.* and the Info column summary.
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
    const char *name;     /* long name                                            */
} bt_reserved_bit_t;

extern const bt_reserved_bit_t bt_reserved_bits[];
extern const size_t bt_reserved_bit_count;

/* Writes the abbreviations of the known bits that are set, comma-separated in
 * table order ("ext,dht,fast"), into out (always NUL-terminated).  Unknown set
 * bits add "+0x<byte>:<mask>" items.  Returns the number of set bits named. */
size_t bt_reserved_summary(const uint8_t reserved[BT_RESERVED_LEN], char *out, size_t outlen);

/* Copies into unknown[] the set bits that no table entry names. Returns 1 if
 * any is set. */
int bt_reserved_unknown(const uint8_t reserved[BT_RESERVED_LEN], uint8_t unknown[BT_RESERVED_LEN]);

/* The bit of the table with this abbreviation, or NULL. */
const bt_reserved_bit_t *bt_reserved_find(const char *abbrev);

#endif /* BTCOMMON_RESERVED_H */
