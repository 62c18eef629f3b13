/* btpeer.h
 * Internal interface between the files of the BitTorrent peer-wire plugin
 * (filter name "btpeer"; BEP 3 with BEP 6, 9, 10, 11, 52, 55 and MSE/PE).
 *
 *   packet-btpeer.c    registration, the PDU loop, per-frame records
 *   btpeer-tcp.c       TCP transport: heuristic, ports, Decode As, classification
 *   btpeer-utp.c       uTP transport: heuristic on the utp.payload list
 *   btpeer-handshake.c the 68-byte handshake, client names, discovery link
 *   btpeer-messages.c  length-prefixed messages of BEP 3, 6 and 52
 *   btpeer-extended.c  BEP 10 extension messages (handshake, ut_metadata,
 *                      ut_pex, ut_holepunch, lt_donthave, upload_only)
 *   btpeer-bencode.c   bencoded values as a protocol tree
 *   btpeer-requests.c  request / piece / cancel / reject matching
 *   btpeer-mse.c       MSE/PE (encrypted connection) recognition and display
 *   btpeer-torrent.c   the torrent store: metadata from ut_metadata (BEP 9)
 *                      or .torrent files, name and file list
 *   btpeer-pieces.c    piece -> file mapping and piece verification
 *   btpeer-hashes.c    BEP 52 merkle checks: Hashes proofs, v2 pieces
 *   btpeer-export.c    Export Objects: the files and the .torrent
 */
#ifndef BTPEER_H
#define BTPEER_H

#include <epan/packet.h>
#include <epan/expert.h>
#include <epan/wmem_scopes.h>

#include "bencode.h"
#include "btwire.h"
#include "rangeset.h"
#include "torrent-info.h"
#include "peerwire-requests.h"
#include "ws-compat.h"

#define BTPEER_SHORT_NAME "BT-Peer"

extern int proto_btpeer;

/* Preferences (packet-btpeer.c). */
extern guint    btpeer_pref_max_msg_len;
extern bt_pref_bool btpeer_pref_client_names;
extern bt_pref_bool btpeer_pref_track_requests;

/* One side of a connection.  Side indexes are transport directions: for TCP
 * the conversation's first and second flow, for uTP 0 = initiator. */
typedef struct btpeer_side {
    wmem_map_t *ext_by_id;       /* extension id -> name, as this side announced
                                    (ids of the messages this side receives)    */
    wmem_map_t *requests;        /* (index,begin) -> btpeer_request_t, requests
                                    this side sent and still waiting            */
    guint32     handshake_frame;
    const char *peer_id_client;  /* first pass: "Client version" from the peer id */
    const char *ext_v;           /* first pass: v of this side's extension handshake */
    guint32     mse_key_frame;   /* frame holding this side's MSE DH key, or 0  */
    gboolean    payload_seen;    /* first pass: some payload already went by    */
    guint32     classified_frame; /* first pass: last frame classified (TCP)    */
    /* First pass only: MSE with plaintext selected (btpeer-mse.c). */
    guint32     mse_seen;        /* bytes of this side's MSE negotiation so far */
    gboolean    mse_plain;       /* this side's plaintext handshake was found   */
    /* First pass only: resynchronisation (btpeer-resync.c). */
    const char *resync;          /* why the next bytes start at no known
                                    boundary, or NULL                           */
    guint32     skip;            /* bytes of a partly shown message still to come */
    gboolean    seq_known;       /* TCP: next_seq is set                        */
    guint32     next_seq;        /* TCP: sequence number after the last byte
                                    handed to us (gap detection)                */
    /* First pass only: pieces this side is sending, in progress (btpeer-pieces.c). */
    wmem_map_t *pieces;          /* index -> btpeer_piece_buf_t                 */
    guint64     piece_bytes;     /* bytes buffered in them                      */
} btpeer_side_t;

typedef enum {
    BTPEER_CONN_PROBING = 0,     /* nothing recognised yet                      */
    BTPEER_CONN_PLAIN,           /* plaintext handshake seen                    */
    BTPEER_CONN_ENCRYPTED,       /* MSE/PE key exchange seen                    */
    BTPEER_CONN_REFUSED          /* not BitTorrent: given up after a bound      */
} btpeer_conn_state_t;

typedef struct btpeer_conn {
    btpeer_conn_state_t state;
    guint32 probe_bytes;         /* heuristic: bytes looked at while probing    */
    btpeer_side_t side[2];
    gboolean has_info_hash;      /* first pass: a handshake was seen            */
    guint8   info_hash[BT_INFO_HASH_LEN];
} btpeer_conn_t;

/* Per-request record shared by the request, piece, cancel and reject PDUs
 * that concern it; filled on the first pass. */
typedef struct btpeer_request {
    guint64  key;                /* bt_req_key(index, begin): its table key    */
    bt_req_t r;                  /* frames and block (lib/btcommon/peerwire-requests.h) */
    nstime_t request_time;
} btpeer_request_t;

/* One torrent, keyed by its (v1, or v2 truncated) info hash; file scope.
 * Filled by btpeer-torrent.c, the piece fields by btpeer-pieces.c. */
typedef struct btpeer_torrent {
    guint8       info_hash[BT_INFO_HASH_LEN];
    const char  *source;          /* "ut_metadata" or "file"; NULL: unknown yet */
    bt_torrent_info_t info;       /* when source is set (wmem copies)           */
    const guint8 *info_bytes;     /* the verified info dictionary               */
    guint32      info_len;
    guint32      known_frame;     /* frame that completed it (0: from a file)   */
    /* BEP 9 assembly, first pass */
    guint8      *md_buf;
    guint32      md_size, md_count, md_have;
    guint32     *md_frames;       /* frame of each metadata piece, 0: not yet   */
    /* piece verification (v1), first pass; arrays of info.num_pieces */
    guint8      *piece_state;     /* BTPEER_PIECE_*                             */
    struct btpeer_kept **kept;    /* per piece: its verified copy (btpeer-pieces.c) */
    guint32     *file_ok;         /* per file: its pieces verified so far       */
    guint32     *file_done;       /* per file: frame its last piece was verified */
    guint64      kept_bytes;
    /* v2 (BEP 52): piece-layer hashes by piece index, known from a .torrent's
     * piece layers or verified hashes messages (btpeer-hashes.c) */
    guint8      *v2_hash;         /* 32 bytes per piece                          */
    guint8      *v2_known;        /* 1 when v2_hash of that piece is known       */
    guint32      last_frame;      /* last frame of a connection of this torrent */
} btpeer_torrent_t;

enum { BTPEER_PIECE_NONE = 0, BTPEER_PIECE_OK, BTPEER_PIECE_FAILED };

/* The first verified copy of a piece: which blocks made it (the PDUs whose
 * btpeer_pdu_t.copy is this copy), and its bytes when Export Objects wants
 * them.  The bytes are kept on the first pass only when Export Objects reads
 * that pass (one-pass tshark --export-objects); otherwise they are copied
 * back from those PDUs on a later pass with the Export Objects tap present
 * (two-pass tshark, the GUI's retap).  data is the piece, byte for byte,
 * when filled == blocks. */
typedef struct btpeer_kept {
    guint8  *data;                /* NULL: not kept (yet)                       */
    guint32  copy;                /* btpeer_pdu_t.copy of its blocks            */
    guint32  blocks;              /* block PDUs that made it                    */
    guint32  filled;              /* of them, copied into data in order         */
} btpeer_kept_t;

/* The frame completing a torrent's metadata (btpeer-torrent.c). */
typedef struct btpeer_md_done {
    gboolean  verified;
    guint32   count;
    guint32  *frames;             /* frames of the pieces that built it        */
} btpeer_md_done_t;

/* The frame completing a piece (btpeer-pieces.c). */
typedef struct btpeer_piece_done {
    guint32   index;
    gboolean  verified;
    guint32   count;
    guint32  *frames;             /* frames that carried its blocks            */
} btpeer_piece_done_t;

/* Per-PDU analysis, computed on the first pass and looked up afterwards
 * (btpeer-records.c keeps them).  What every kind of PDU may have is here;
 * what only a few have is in a side record (btpeer_pdu_rare_t), so a bulk
 * transfer's Requests, Pieces and Haves cost 32 bytes each. */
typedef struct btpeer_pdu {
    btpeer_request_t *req;        /* request/piece/cancel/reject: the request   */
    btpeer_torrent_t *torrent;    /* the connection's torrent, if known by then */
    guint32           copy;       /* Piece: the copy of its piece this block went
                                     into (btpeer-pieces.c), 0: none            */
    guint32           copy_block; /* Piece: its rank (1-based) among that copy's blocks */
    guint32           rare;       /* handle of its btpeer_pdu_rare_t, 0: none   */
    guint8            untracked;  /* a request not remembered (table full)      */
} btpeer_pdu_t;

/* The part of a PDU's analysis few PDUs have. */
typedef struct btpeer_pdu_rare {
    const char       *ext_name;   /* extended messages: name of the id, or NULL */
    btpeer_md_done_t *md;         /* this PDU completed the metadata            */
    const char       *md_unused;  /* why this ut_metadata data was not used     */
    btpeer_piece_done_t *piece;   /* this PDU completed a piece                 */
    guint8            hash_verdict; /* Hashes (BEP 52): 0 not checked, 1 ok, 2 failed,
                                       3 proof stops at an unknown node (btpeer-hashes.c) */
} btpeer_pdu_rare_t;

/* Everything the decoders of one PDU need. */
typedef struct btpeer_ctx {
    tvbuff_t      *tvb;     /* exactly one PDU (handshake or message) */
    packet_info   *pinfo;
    proto_tree    *tree;    /* this PDU's btpeer subtree */
    proto_item    *pdu_item;
    btpeer_conn_t *conn;
    int            dir;     /* index of the sending side */
    btpeer_pdu_t  *pdu;
} btpeer_ctx_t;

/* packet-btpeer.c */
void btpeer_info_item(packet_info *pinfo, proto_item *item, const char *text);
void btpeer_info(btpeer_ctx_t *ctx, const char *fmt, ...) G_GNUC_PRINTF(2, 3);
btpeer_conn_t *btpeer_conn_new(void);
/* The PDU loop shared by the transports: cuts tvb (one direction's bytes)
 * into PDUs and returns the bytes used.  why: these bytes start at no known
 * message boundary (a reason for the note), or NULL; gap: bytes missing
 * before them (first pass). */
int btpeer_dissect_stream(tvbuff_t *tvb, packet_info *pinfo, proto_tree *tree, btpeer_conn_t *conn, int dir,
                          const char *why, guint32 gap);

/* btpeer-records.c: the first pass's records of frames and PDUs */
void btpeer_register_records(void);
/* The idx-th (0-based) PDU record of this frame: made on the first pass,
 * found on later ones (an empty packet-scope record when none was kept). */
btpeer_pdu_t *btpeer_pdu_record(packet_info *pinfo, guint idx);
/* A PDU's rare part to read (all zero when it has none) / to fill on the
 * first pass (made on first use). */
const btpeer_pdu_rare_t *btpeer_pdu_rare(const btpeer_pdu_t *pdu);
btpeer_pdu_rare_t *btpeer_pdu_rare_new(btpeer_pdu_t *pdu);
/* Whether a heuristic accepted this frame on the first pass / mark it so. */
gboolean btpeer_frame_claimed(packet_info *pinfo);
void btpeer_claim_frame(packet_info *pinfo);
/* Whether call `call` (1-based) of this frame holds encrypted bytes only /
 * mark it so on the first pass (FALSE when the record has no room for that
 * call: the caller keeps it another way). */
gboolean btpeer_frame_encrypted_call(packet_info *pinfo, guint call);
gboolean btpeer_frame_mark_encrypted_call(packet_info *pinfo, guint call);

/* btpeer-tcp.c, btpeer-utp.c */
void btpeer_tcp_handoff(void);
void btpeer_utp_register(void);
void btpeer_utp_handoff(void);

/* btpeer-handshake.c */
void btpeer_register_handshake(int proto, expert_module_t *em);
void btpeer_dissect_handshake(btpeer_ctx_t *ctx);

/* btpeer-messages.c */
void btpeer_register_messages(int proto, expert_module_t *em);
void btpeer_dissect_message(btpeer_ctx_t *ctx);
void btpeer_dissect_too_long(tvbuff_t *tvb, packet_info *pinfo, proto_tree *tree, int offset, guint64 pdu_len);

/* btpeer-extended.c */
void btpeer_register_extended(int proto, expert_module_t *em);
void btpeer_dissect_extended(btpeer_ctx_t *ctx, int offset);

/* btpeer-bencode.c: shows the bencoded value at offset as a subtree (when
 * tree is not NULL) and returns it parsed, or FALSE with an expert info. */
void btpeer_register_bencode(int proto, expert_module_t *em);

/* At most this many entries of one list are itemised (compact peer lists of
 * ut_pex; all the values of one bencoded message together); the rest are
 * counted in one item with an expert note.  Real ut_pex messages carry at
 * most a few hundred peers (libtorrent sends up to 50 added per minute,
 * BEP 11 asks for fewer than 50), extension handshakes a few dozen keys; a
 * hostile 2 MiB list would otherwise reach Wireshark's 1,000,000 items per
 * tree, which it reports as a dissector bug. */
#define BTPEER_MAX_LIST_ITEMS 1000
void btpeer_more_items(tvbuff_t *tvb, packet_info *pinfo, proto_tree *tree, int offset, int len, guint more);
gboolean btpeer_bencode(tvbuff_t *tvb, packet_info *pinfo, proto_tree *tree, int offset,
                        const guint8 **buf, bencode_value_t *value);

/* btpeer-requests.c */
void btpeer_register_requests(int proto, expert_module_t *em);
void btpeer_track_request(btpeer_ctx_t *ctx, bt_req_kind_t kind, guint32 index, guint32 begin,
                          guint32 length, proto_item *anchor);

/* btpeer-resync.c: shows the bytes up to the first message boundary at or
 * after offset as continuation and returns the boundary, or -1 (all of the
 * rest shown as continuation). */
void btpeer_register_resync(int proto, expert_module_t *em);
int btpeer_resync(tvbuff_t *tvb, packet_info *pinfo, proto_tree *tree, int offset, const char *why);
void btpeer_show_gap(tvbuff_t *tvb, packet_info *pinfo, proto_tree *tree, guint32 gap);
/* whether a message boundary can be found anywhere in tvb */
gboolean btpeer_has_boundary(tvbuff_t *tvb);
/* the first len bytes are the rest (skip bytes in all) of a message shown in part earlier */
void btpeer_show_rest(tvbuff_t *tvb, packet_info *pinfo, proto_tree *tree, int len, guint32 skip);

/* btpeer-messages.c: a run of count keep-alives as one item */
void btpeer_dissect_keepalives(btpeer_ctx_t *ctx, guint count);
/* the start of a message of total_len bytes (prefix included) of which only
 * the tvb is at hand */
void btpeer_dissect_partial(btpeer_ctx_t *ctx, guint total_len);

/* btpeer-mse.c */
void btpeer_register_mse(int proto, expert_module_t *em);
gboolean btpeer_mse_is_key_flight(tvbuff_t *tvb, int offset);
void btpeer_dissect_encrypted(tvbuff_t *tvb, packet_info *pinfo, proto_tree *tree,
                              btpeer_conn_t *conn, int dir);
/* First pass, on a side of an MSE connection whose plaintext handshake was
 * not found yet: the offset in tvb where it begins (the negotiation selected
 * plaintext), or -1 (still encrypted).  Counts the bytes against
 * BT_MSE_MAX_NEGOTIATION and sets side->mse_plain when found. */
int btpeer_mse_find_plaintext(tvbuff_t *tvb, btpeer_side_t *side);
/* the first at bytes of tvb are the end of the negotiation, a plaintext
 * handshake follows */
void btpeer_dissect_mse_plaintext(tvbuff_t *tvb, packet_info *pinfo, proto_tree *tree, int at);

/* btpeer-torrent.c */
extern bt_pref_bool btpeer_pref_verify_pieces;
void btpeer_register_torrent(int proto, expert_module_t *em, module_t *module);
/* first pass: the torrent whose info hash is h, created when absent */
btpeer_torrent_t *btpeer_torrent_get(const guint8 *h);
/* sets ctx->pdu->torrent (first pass), before and after a PDU's decoding */
void btpeer_torrent_attach(btpeer_ctx_t *ctx);
/* name and source on every PDU of a known torrent; the metadata result */
void btpeer_torrent_show(btpeer_ctx_t *ctx);
/* a ut_metadata data message: piece, total size, its bytes in ctx->tvb */
void btpeer_torrent_metadata(btpeer_ctx_t *ctx, gint64 piece, gint64 total, int data_off, int data_len);

/* btpeer-pieces.c */
void btpeer_register_pieces(int proto, expert_module_t *em);
/* the files a block (or, length G_MAXUINT64, a whole piece) touches */
void btpeer_piece_files(btpeer_ctx_t *ctx, guint32 index, guint32 begin, guint64 length);
/* a block of piece data at offset of ctx->tvb (len bytes there) */
void btpeer_piece_block(btpeer_ctx_t *ctx, guint32 index, guint32 begin, int offset, int len);

/* btpeer-hashes.c (BEP 52) */
void btpeer_register_hashes(int proto, expert_module_t *em);
/* the arrays of a v2 torrent whose info just became known */
void btpeer_v2_init(btpeer_torrent_t *t);
/* a .torrent's "piece layers" dictionary (its bencoded bytes) */
void btpeer_v2_piece_layers(btpeer_torrent_t *t, const guint8 *buf, gsize len, const bencode_value_t *layers);
/* a Hashes message: verify it against the file's pieces root, keep its piece-layer hashes */
void btpeer_v2_hashes(btpeer_ctx_t *ctx, guint32 base, guint32 index, guint32 length, int hashes_off, guint32 n);
/* v2 verdict of a piece: -1 no hash known to check against, else 0 or 1 */
int btpeer_v2_check_piece(const btpeer_torrent_t *t, guint32 index, const guint8 *data, guint32 len);

/* btpeer-export.c */
void btpeer_register_export(int proto);
/* first pass: remember that this frame completed an object (file -1: the .torrent) */
void btpeer_export_event(packet_info *pinfo, btpeer_torrent_t *t, gint64 file);
/* first pass: whether the bytes of a piece verified now are to be kept (the
 * Export Objects tap runs in this pass); a piece kept while that is not
 * known yet is named with btpeer_export_tentative */
gboolean btpeer_export_keep(packet_info *pinfo);
void btpeer_export_tentative(btpeer_torrent_t *t, guint32 index);
/* later passes: whether Export Objects listens (verified pieces are then
 * copied back from their blocks) */
gboolean btpeer_export_wanted(void);
/* btpeer-pieces.c: the piece's bytes, when all of its verified copy is at hand */
const guint8 *btpeer_piece_bytes(const btpeer_torrent_t *t, guint32 index);
/* btpeer-pieces.c: drops the kept bytes of a piece (back to "not kept") */
void btpeer_piece_unkeep(btpeer_torrent_t *t, guint32 index);
/* after each PDU: queue the objects of this frame to Export Objects */
void btpeer_export_frame(btpeer_ctx_t *ctx);

#endif /* BTPEER_H */
