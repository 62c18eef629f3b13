/* btpeer-pieces.c
 * Pieces of a known torrent (BEP 3; padding files BEP 47):
 *  - piece -> file: on piece, request, cancel, reject, have, suggest and
 *    allowed-fast messages, btpeer.piece.file (one per file the block or
 *    piece touches, padding files left out) and btpeer.piece.file_offset;
 *  - verification: the blocks one side of a connection sends are gathered
 *    per piece (any order, resent, overlapping); once every byte of the
 *    piece was seen the piece is hashed (SHA-1, GChecksum) against the
 *    torrent's piece hash (v1: SHA-1; v2-only torrents: the merkle root of
 *    its blocks, btpeer-hashes.c).  The completing frame shows btpeer.piece.verified
 *    and btpeer.piece.blocks_in; a failed piece gets a Warning naming the
 *    peer that sent it;
 *  - the bytes of verified pieces for Export Objects: kept on the first
 *    pass only when Export Objects reads that pass (one-pass tshark), else
 *    copied back from the blocks of the verified copy on a later pass that
 *    Export Objects reads (two-pass tshark, the GUI's retap): a capture
 *    opened or filtered without exporting holds no second copy of its data.
 * Gathering and hashing on the first pass only; the result is kept in
 * btpeer_pdu_t.
 */
#include <string.h>

#include <epan/packet.h>
#include <epan/address.h>
#include <epan/addr_resolv.h>
#include <epan/to_str.h>

#include "btpeer.h"
#include "ws-compat.h"

/* Bytes of pieces in progress buffered per side of a connection.  A client
 * keeps a few pieces in progress per peer (libtorrent asks for blocks of
 * about as many pieces as its request queue covers: 500 blocks of 16 KiB,
 * 8 MiB); 32 MiB holds that for pieces up to 4 MiB and two 16 MiB pieces.
 * Past it, the piece in progress touched least recently is dropped (it is
 * then not verified, never reported as failed). */
#define PIECE_BUF_MAX (32u * 1024u * 1024u)
/* Largest piece buffered: clients create pieces up to 16 MiB (libtorrent's
 * and qBittorrent's largest choice); a larger piece length is not verified. */
#define PIECE_MAX_LEN (16u * 1024u * 1024u)
/* Verified bytes kept per capture for Export Objects.  The capture holds
 * these bytes already; keeping a second copy is bounded so that a capture
 * of a large transfer does not double its memory past this.  Pieces
 * verified beyond it are exported as missing. */
#define KEEP_MAX (1024u * 1024u * 1024u)
/* Files named on one message: a block touches at most a few files, a
 * whole piece of a torrent of tiny files may touch thousands. */
#define FILES_SHOWN 16u
/* Frames remembered per piece for btpeer.piece.blocks_in: one per block
 * and resend; a 16 MiB piece has 1024 blocks of 16 KiB. */
#define FRAMES_MAX 2048u

static int hf_piece_file = -1;
static int hf_piece_file_offset = -1;
static int hf_piece_verified = -1;
static int hf_piece_blocks_in = -1;
static int hf_piece_files_more = -1;
static expert_field ei_piece_failed = EI_INIT;

typedef struct {
    guint8       *data;
    guint32       len;
    guint32       copy;          /* serial of this copy (btpeer_pdu_t.copy)     */
    guint32       blocks;        /* block PDUs gathered into it                 */
    guint32       last_frame;
    bt_rangeset_t seen;
    wmem_array_t *frames;
} piece_buf_t;

void btpeer_piece_files(btpeer_ctx_t *ctx, guint32 index, guint32 begin, guint64 length)
{
    const btpeer_torrent_t *t = ctx->pdu->torrent;
    bt_span_t spans[FILES_SHOWN];
    size_t n, i;

    if (!t)
        return;
    if (length == G_MAXUINT64)
        length = bt_info_piece_size(&t->info, index);
    n = bt_info_map(&t->info, index, begin, length, spans, FILES_SHOWN);
    for (i = 0; i < MIN(n, FILES_SHOWN); i++) {
        proto_item *it = proto_tree_add_string(ctx->tree, hf_piece_file, ctx->tvb, 0, 0,
                                               t->info.files[spans[i].file].path);
        proto_item_set_generated(it);
        proto_item_append_text(it, " (offset %" G_GUINT64_FORMAT ", %" G_GUINT64_FORMAT " bytes)",
                               spans[i].file_offset, spans[i].length);
        proto_item_set_generated(proto_tree_add_uint64(ctx->tree, hf_piece_file_offset, ctx->tvb, 0, 0,
                                                       spans[i].file_offset));
    }
    if (n > FILES_SHOWN)
        proto_item_set_generated(proto_tree_add_uint(ctx->tree, hf_piece_files_more, ctx->tvb, 0, 0,
                                                     (guint32)(n - FILES_SHOWN)));
}

/* Serial of the next piece copy gathered: unique in the capture, so that a
 * block PDU names the one copy it went into (a frame may end a failed copy
 * and start the next one of the same piece). */
static guint32 next_copy = 1;

static guint piece_hash(gconstpointer k)
{
    return GPOINTER_TO_UINT(k) * 2654435761u;
}

static void buf_drop(btpeer_side_t *side, guint32 index, piece_buf_t *pb)
{
    wmem_map_remove(side->pieces, GUINT_TO_POINTER(index));
    side->piece_bytes -= pb->len;
    if (pb->data)
        wmem_free(wmem_file_scope(), pb->data);
    wmem_free(wmem_file_scope(), pb);
}

typedef struct { guint32 index; piece_buf_t *pb; } oldest_t;

static void find_oldest(gpointer key, gpointer value, gpointer user)
{
    oldest_t *o = (oldest_t *)user;
    piece_buf_t *pb = (piece_buf_t *)value;
    if (!o->pb || pb->last_frame < o->pb->last_frame) {
        o->pb = pb;
        o->index = GPOINTER_TO_UINT(key);
    }
}

/* Bytes of padding files (BEP 47) are zeros that clients do not request:
 * a new piece buffer starts with them seen. */
static void buf_padding(const btpeer_torrent_t *t, guint32 index, piece_buf_t *pb)
{
    const bt_torrent_info_t *in = &t->info;
    guint64 start = (guint64)index * in->piece_length, end = start + pb->len;
    size_t f;

    for (f = bt_info_file_at(in, start); f < in->n_files && in->files[f].offset < end; f++) {
        const bt_tfile_t *tf = &in->files[f];
        guint64 lo = MAX(tf->offset, start), hi = MIN(tf->offset + tf->length, end);
        if (!tf->pad || lo >= hi)
            continue;
        memset(pb->data + (lo - start), 0, (size_t)(hi - lo));
        bt_rangeset_add(&pb->seen, lo - start, hi - start);
    }
}

static piece_buf_t *buf_get(const btpeer_torrent_t *t, btpeer_side_t *side, guint32 index, guint32 len)
{
    piece_buf_t *pb;

    if (!side->pieces)
        side->pieces = wmem_map_new(wmem_file_scope(), piece_hash, g_direct_equal);
    pb = (piece_buf_t *)wmem_map_lookup(side->pieces, GUINT_TO_POINTER(index));
    if (pb)
        return pb;
    while (side->piece_bytes + len > PIECE_BUF_MAX && wmem_map_size(side->pieces)) {
        oldest_t o = { 0, NULL };
        wmem_map_foreach(side->pieces, find_oldest, &o);
        buf_drop(side, o.index, o.pb);
    }
    pb = wmem_new0(wmem_file_scope(), piece_buf_t);
    pb->data = (guint8 *)wmem_alloc(wmem_file_scope(), len);
    pb->len = len;
    pb->copy = next_copy++;
    if (!next_copy)
        next_copy = 1;   /* 0 means "no copy" */
    bt_rangeset_init(&pb->seen);
    pb->frames = wmem_array_new(wmem_file_scope(), sizeof(guint32));
    buf_padding(t, index, pb);
    side->piece_bytes += len;
    wmem_map_insert(side->pieces, GUINT_TO_POINTER(index), pb);
    return pb;
}

const guint8 *btpeer_piece_bytes(const btpeer_torrent_t *t, guint32 index)
{
    const btpeer_kept_t *k = t->kept ? t->kept[index] : NULL;
    return k && k->data && k->filled == k->blocks ? k->data : NULL;
}

void btpeer_piece_unkeep(btpeer_torrent_t *t, guint32 index)
{
    btpeer_kept_t *k = t->kept[index];
    if (!k || !k->data)
        return;
    wmem_free(wmem_file_scope(), k->data);
    k->data = NULL;
    k->filled = 0;
    t->kept_bytes -= bt_info_piece_size(&t->info, index);
}

/* A verified piece: its copy remembered (the bytes kept when Export Objects
 * reads this pass, within KEEP_MAX) and counted per file; a file whose
 * pieces are all verified is an export object at this frame (named
 * incomplete there if some bytes were not kept). */
static void piece_verified(btpeer_ctx_t *ctx, btpeer_torrent_t *t, guint32 index, piece_buf_t *pb)
{
    const bt_torrent_info_t *in = &t->info;
    guint64 start = (guint64)index * in->piece_length, end = start + pb->len;
    btpeer_kept_t *k;
    size_t f;

    if (t->piece_state[index] == BTPEER_PIECE_OK)
        return;
    t->piece_state[index] = BTPEER_PIECE_OK;
    k = wmem_new0(wmem_file_scope(), btpeer_kept_t);
    k->copy = pb->copy;
    k->blocks = pb->blocks;
    t->kept[index] = k;
    if (btpeer_export_keep(ctx->pinfo) && t->kept_bytes + pb->len <= KEEP_MAX) {
        k->data = pb->data;   /* ownership moves to the torrent */
        k->filled = k->blocks;
        pb->data = NULL;
        t->kept_bytes += pb->len;
        btpeer_export_tentative(t, index);
    }
    for (f = bt_info_file_at(in, start); f < in->n_files && in->files[f].offset < end; f++) {
        const bt_tfile_t *tf = &in->files[f];
        guint64 first, last;
        if (tf->length == 0 || tf->pad)
            continue;
        first = tf->offset / in->piece_length;
        last = (tf->offset + tf->length - 1) / in->piece_length;
        if (++t->file_ok[f] == last - first + 1) {
            t->file_done[f] = ctx->pinfo->num;
            btpeer_export_event(ctx->pinfo, t, (gint64)f);
        }
    }
}

static void piece_complete(btpeer_ctx_t *ctx, btpeer_torrent_t *t, guint32 index, piece_buf_t *pb)
{
    btpeer_piece_done_t *done;
    gboolean verified;
    int v2 = -1;

    if (t->info.pieces) {
        GChecksum *c = g_checksum_new(G_CHECKSUM_SHA1);
        guint8 digest[20];
        gsize dlen = sizeof(digest);
        g_checksum_update(c, pb->data, pb->len);
        g_checksum_get_digest(c, digest, &dlen);
        g_checksum_free(c);
        verified = memcmp(digest, t->info.pieces + (gsize)index * 20u, 20) == 0;
    } else if ((v2 = btpeer_v2_check_piece(t, index, pb->data, pb->len)) < 0) {
        return;    /* v2: no piece-layer hash known for it (yet) */
    } else {
        verified = v2 == 1;
    }
    done = wmem_new0(wmem_file_scope(), btpeer_piece_done_t);
    done->verified = verified;
    done->index = index;
    done->count = wmem_array_get_count(pb->frames);
    done->frames = (guint32 *)wmem_memdup(wmem_file_scope(), wmem_array_get_raw(pb->frames),
                                          done->count * sizeof(guint32));
    btpeer_pdu_rare_new(ctx->pdu)->piece = done;
    if (done->verified)
        piece_verified(ctx, t, index, pb);
    else if (t->piece_state[index] == BTPEER_PIECE_NONE)
        t->piece_state[index] = BTPEER_PIECE_FAILED;
}

static void piece_gather(btpeer_ctx_t *ctx, guint32 index, guint32 begin, int offset, int len)
{
    btpeer_torrent_t *t = ctx->pdu->torrent;
    btpeer_side_t *side = &ctx->conn->side[ctx->dir];
    guint64 size;
    piece_buf_t *pb;
    guint32 n;

    if (!t || !t->piece_state || len <= 0 || !btpeer_pref_verify_pieces)
        return;
    size = bt_info_piece_size(&t->info, index);
    if (!size || size > PIECE_MAX_LEN || (guint64)begin + (guint64)len > size)
        return;
    pb = buf_get(t, side, index, (guint32)size);
    if (!bt_rangeset_add(&pb->seen, begin, (guint64)begin + (guint64)len)) {
        buf_drop(side, index, pb);     /* too many holes: give up on it */
        return;
    }
    tvb_memcpy(ctx->tvb, pb->data + begin, offset, len);
    ctx->pdu->copy = pb->copy;
    ctx->pdu->copy_block = ++pb->blocks;
    pb->last_frame = ctx->pinfo->num;
    n = wmem_array_get_count(pb->frames);
    if (n < FRAMES_MAX && (n == 0 || *(guint32 *)wmem_array_index(pb->frames, n - 1) != ctx->pinfo->num))
        wmem_array_append_one(pb->frames, ctx->pinfo->num);
    if (bt_rangeset_covers(&pb->seen, 0, size)) {
        piece_complete(ctx, t, index, pb);
        buf_drop(side, index, pb);
    }
}

/* A later pass that Export Objects reads: a block of a verified copy whose
 * bytes were not kept is copied back into the piece (allocated at its first
 * block, within KEEP_MAX).  Blocks are counted in the order the first pass
 * gathered them, so the piece is whole (btpeer_piece_bytes) only once every
 * block was copied in that order, last copy of a byte winning as on the
 * first pass; a pass that skips frames (a read filter) leaves it missing. */
static void piece_refill(btpeer_ctx_t *ctx, guint32 index, guint32 begin, int offset, int len)
{
    btpeer_torrent_t *t = ctx->pdu->torrent;
    btpeer_kept_t *k;
    guint64 size;

    if (!t || !t->kept || index >= t->info.num_pieces || len <= 0)
        return;
    k = t->kept[index];
    if (!k || k->copy != ctx->pdu->copy || ctx->pdu->copy_block <= k->filled)
        return;     /* another copy, or this block is in already */
    size = bt_info_piece_size(&t->info, index);
    if ((guint64)begin + (guint64)len > size)
        return;     /* cannot be: the first pass checked it */
    if (!k->data) {
        if (t->kept_bytes + size > KEEP_MAX)
            return;
        k->data = (guint8 *)wmem_alloc0(wmem_file_scope(), (size_t)size);   /* zeros: padding */
        t->kept_bytes += size;
    }
    tvb_memcpy(ctx->tvb, k->data + begin, offset, len);
    if (ctx->pdu->copy_block == k->filled + 1)
        k->filled++;
}

void btpeer_piece_block(btpeer_ctx_t *ctx, guint32 index, guint32 begin, int offset, int len)
{
    const btpeer_piece_done_t *done;
    proto_item *it;
    guint32 i;

    len = MIN(len, tvb_captured_length_remaining(ctx->tvb, offset));
    if (!PINFO_FD_VISITED(ctx->pinfo))
        piece_gather(ctx, index, begin, offset, len);
    else if (ctx->pdu->copy && btpeer_export_wanted())
        piece_refill(ctx, index, begin, offset, len);
    done = btpeer_pdu_rare(ctx->pdu)->piece;
    if (!done)
        return;
    it = proto_tree_add_boolean(ctx->tree, hf_piece_verified, ctx->tvb, 0, 0, done->verified);
    proto_item_set_generated(it);
    if (!done->verified)
        expert_add_info_format(ctx->pinfo, it, &ei_piece_failed,
                               "Piece %u failed its SHA-1 check: sent by %s port %u", done->index,
                               address_to_str(ctx->pinfo->pool, &ctx->pinfo->src), ctx->pinfo->srcport);
    for (i = 0; i < done->count; i++)
        proto_item_set_generated(proto_tree_add_uint(ctx->tree, hf_piece_blocks_in, ctx->tvb, 0, 0, done->frames[i]));
    btpeer_info(ctx, "piece %u %s", done->index, done->verified ? "verified" : "FAILED");
}

void btpeer_register_pieces(int proto, expert_module_t *em)
{
    static hf_register_info hf[] = {
        { &hf_piece_file,
          { "File", "btpeer.piece.file", FT_STRING, BASE_NONE, NULL, 0x0,
            "A file this block or piece touches: the torrent's path joined with /, starting with its name", HFILL } },
        { &hf_piece_file_offset,
          { "File offset", "btpeer.piece.file_offset", FT_UINT64, BASE_DEC, NULL, 0x0,
            "Where the part of the block in the file before it begins, in that file", HFILL } },
        { &hf_piece_files_more,
          { "More files", "btpeer.piece.files_more", FT_UINT32, BASE_DEC, NULL, 0x0,
            "Files touched beyond those named", HFILL } },
        { &hf_piece_verified,
          { "Piece verified", "btpeer.piece.verified", FT_BOOLEAN, BASE_NONE, NULL, 0x0,
            "Every byte of the piece was seen in this direction; its SHA-1 matches the torrent's", HFILL } },
        { &hf_piece_blocks_in,
          { "Piece blocks in", "btpeer.piece.blocks_in", FT_FRAMENUM, BASE_NONE, NULL, 0x0,
            "A frame that carried part of this piece", HFILL } },
    };
    static ei_register_info ei[] = {
        { &ei_piece_failed,
          { "btpeer.piece.failed", PI_CHECKSUM, PI_WARN, "Piece failed its hash check", EXPFILL } },
    };
    proto_register_field_array(proto, hf, array_length(hf));
    expert_register_field_array(em, ei, array_length(ei));
}
