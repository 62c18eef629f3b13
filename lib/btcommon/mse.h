/* mse.h
 * Recognising the start of an MSE/PE ("Message Stream Encryption", the
 * Vuze/libtorrent obfuscation spec) connection from outside: each side opens
 * with its 768-bit Diffie-Hellman public key (96 bytes) followed by 0-512
 * random padding bytes, and nothing else until the other side's key arrives.
 * The keys cannot be decrypted by an observer; they can only be recognised.
 */
#ifndef BTCOMMON_MSE_H
#define BTCOMMON_MSE_H

#include <stddef.h>
#include <stdint.h>

#define BT_MSE_KEY_LEN      96          /* 768-bit DH public key (Ya / Yb) */
#define BT_MSE_MAX_PAD      512         /* PadA / PadB                     */
#define BT_MSE_MAX_FLIGHT   (BT_MSE_KEY_LEN + BT_MSE_MAX_PAD)

/* Minimum number of distinct byte values among the 96 key bytes.  96 uniform
 * random bytes show about 256 * (1 - e^(-96/256)) = 80 distinct values (sd
 * about 4); text or structured binary shows far fewer (a 96-byte HTTP or TLS
 * start has 30-50).  60 is 5 standard deviations below the random mean. */
#define BT_MSE_MIN_DISTINCT 60

/* 1 when buf[0..len) can be the whole first flight of one side of an MSE
 * connection: 96..608 bytes, not a plaintext BitTorrent handshake, and the
 * first 96 bytes look random. */
int bt_mse_is_key_flight(const uint8_t *buf, size_t len);

/* Number of distinct byte values in buf[0..len). */
unsigned bt_mse_distinct_bytes(const uint8_t *buf, size_t len);

#endif /* BTCOMMON_MSE_H */
