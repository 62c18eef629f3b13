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

/* Bytes of one direction's stream, from its first byte, within which a
 * plaintext BitTorrent handshake sent after the negotiation must begin when
 * the negotiation selects plaintext (crypto_select 0x01, as aria2, libtorrent
 * and uTorrent Web do).  The longest negotiation is the initiator's:
 *   Ya 96 + PadA 512 + HASH('req1',S) 20 + HASH('req2',SKEY)^HASH('req3',S) 20
 *   + ENCRYPT(VC 8 + crypto_provide 4 + len(PadC) 2 + PadC 512 + len(IA) 2)
 *   = 1176 bytes, plus IA.  The acceptor's (Yb 96 + PadB 512 + VC 8 +
 *   crypto_select 4 + len(PadD) 2 + PadD 512 = 1134) is shorter.  IA is
 *   encrypted; a client that puts its handshake there sends no plaintext one,
 *   so an IA before a plaintext handshake can only be something else: one
 *   handshake's worth (68) is allowed for it.  In random RC4 bytes the
 *   20-byte prefix occurs by chance with probability about 1244 * 2^-160. */
#define BT_MSE_MAX_NEGOTIATION (BT_MSE_MAX_FLIGHT + 20 + 20 + 8 + 4 + 2 + BT_MSE_MAX_PAD + 2 + 68)

/* Offset of the first complete 20-byte "\x13BitTorrent protocol" in
 * buf[0..len), or -1. */
long bt_mse_find_plain_handshake(const uint8_t *buf, size_t len);

/* Number of distinct byte values in buf[0..len). */
unsigned bt_mse_distinct_bytes(const uint8_t *buf, size_t len);

#endif /* BTCOMMON_MSE_H */
