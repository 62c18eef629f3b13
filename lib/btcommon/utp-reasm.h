/* utp-reasm.h
 * uTP (BEP 29) stream reassembly decisions, without epan: given what is
 * pending for an unfinished PDU and a new in-order chunk, how much of the
 * chunk the PDU takes and whether it is complete, still waiting, or given
 * up on (its bytes then shown as data); and, after the payload dissector
 * ran, whether the tail it asked more bytes for is kept.  The plugin
 * (plugins/utp/utp-reassembly.c) owns the buffers and the per-frame
 * records; these functions only decide.  Pure C.
 */
#ifndef BTCOMMON_UTP_REASM_H
#define BTCOMMON_UTP_REASM_H

#include <stdint.h>

/* "Give me one more segment", as a dissector says it (Wireshark's
 * DESEGMENT_ONE_MORE_SEGMENT, the same value). */
#define UTP_REASM_ONE_MORE 0x0fffffffu

/* A PDU larger than this is not reassembled: BitTorrent messages are at most
 * a 16 KiB block plus header, or an extension message of some hundred KiB;
 * 16 MiB also bounds what a hostile length prefix can make us buffer. */
#define UTP_REASM_MAX_PDU (16u * 1024 * 1024)
/* A direction whose payload dissector has taken no PDU at all after this many
 * bytes is not a protocol it knows.  It must exceed the largest first PDU a
 * real stream can have, including one captured mid-way whose first message
 * is a 16 KiB block, a metadata piece or a bitfield (32 KiB for a torrent of
 * 262,144 pieces, about the most seen): 256 KiB.  From then on the bytes of
 * the direction are shown as data. */
#define UTP_REASM_UNACCEPTED_MAX (256u * 1024)
/* A dissector asking for "one more segment" again and again past this many
 * bytes is not converging (no BitTorrent message whose length is unknown
 * after its first 64 KiB): the held bytes are shown as data. */
#define UTP_REASM_MAX_ONE_MORE (64u * 1024)

typedef enum {
    UTP_REASM_WAIT = 0,          /* the PDU still lacks bytes: the frame is a segment */
    UTP_REASM_COMPLETE,          /* the PDU is complete: hand it on, then the rest */
    UTP_REASM_AS_DATA_ONE_MORE,  /* given up: "one more segment" past UTP_REASM_MAX_ONE_MORE */
    UTP_REASM_AS_DATA_UNACCEPTED /* given up: no PDU ever taken within UTP_REASM_UNACCEPTED_MAX */
} utp_reasm_step_t;

/* A chunk of chunk_len in-order bytes arrives while pend_len bytes wait for
 * a PDU of pend_need bytes (or UTP_REASM_ONE_MORE); consumed_total: bytes
 * of the direction the dissector took as PDUs so far.  *take: how many
 * bytes of the chunk join the pending PDU (a PDU of known length takes only
 * what it lacks; given up, it takes all).  The rest of the chunk, when the
 * PDU is complete, is handed on after it. */
utp_reasm_step_t utp_reasm_add(uint32_t pend_len, uint32_t pend_need, uint64_t consumed_total,
                               uint32_t chunk_len, uint32_t *take);

/* After the dissector ran on len bytes and asked (desegment_offset,
 * desegment_len; len 0: asked nothing): TRUE when a tail is kept as the new
 * pending PDU, with *consumed the bytes before it, *tail its length and
 * *need the bytes the PDU will have (or UTP_REASM_ONE_MORE).  FALSE: all len
 * bytes count as taken (nothing asked, or a PDU past UTP_REASM_MAX_PDU). */
int utp_reasm_tail(uint32_t len, int32_t desegment_offset, uint32_t desegment_len,
                   uint32_t *consumed, uint32_t *tail, uint32_t *need);

#endif /* BTCOMMON_UTP_REASM_H */
