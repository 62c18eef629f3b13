/* btpeer-hashes.c
 * BitTorrent v2 (BEP 52) merkle verification: Hashes messages are checked
 * against the pieces root of their file (the subtree of the hashes they
 * carry, then their proof hashes up to the root: btpeer.hash.verified), or,
 * when the proof stops below the root (a client sends fewer proof layers
 * when the receiver already holds the nodes above), against the node it
 * stops at, when that node is known: a piece-layer hash, a node computed
 * from known piece-layer hashes, padding, or a node kept from an earlier
 * verified message (its subtree root, its proof hashes and the ancestors
 * they lead to); otherwise the message is marked as not verifiable.  And
 * the piece-layer hashes they prove, or those of a .torrent's "piece
 * layers", are kept so that the pieces of v2-only torrents can be verified
 * (merkle root of the piece's 16 KiB blocks against its piece-layer hash;
 * a file of one piece against its pieces root).  SHA-256 from glib's
 * GChecksum; the tree shape from lib/btcommon/merkle.c.
 */
#include <string.h>

#include <epan/packet.h>

#include "btpeer.h"
#include "merkle.h"
#include "peerwire.h"
#include "ws-compat.h"

/* Pieces of a v2 torrent for which piece-layer hashes are kept (33 bytes
 * each, plus 9 for the piece bookkeeping of btpeer-pieces.c: 42 MiB at the
 * bound): 1M pieces is 16 GiB in 16 KiB pieces, and clients choose larger
 * pieces for larger torrents (libtorrent aims at about 1500 pieces).  A v2
 * file's length is any bencoded integer, so a hostile info dictionary could
 * announce far more; such torrents are mapped but not verified. */
#define V2_MAX_PIECES (1024u * 1024u)
/* Hashes per message combined: BEP 52 lets a request ask for at most 512.
 * Also the most piece-layer hashes combined to compute one upper node
 * (256 KiB of work space). */
#define V2_MAX_HASHES 8192u
/* Verified interior nodes kept per capture (for messages whose proof stops
 * below the root): a verified message adds at most 2 x its proof layers + 1
 * (at most 127: layers are below 64); 64 Ki nodes of ~80 bytes each (5 MiB)
 * is the whole upper tree of several 16 GiB files.  Past it, new nodes are
 * not kept, and a later short proof that needs one shows as not verifiable. */
#define V2_MAX_NODES 65536u

enum { HASH_UNCHECKED = 0, HASH_OK, HASH_FAILED, HASH_UNKNOWN_TOP };

static int hf_hash_verified = -1;
static expert_field ei_hash_failed = EI_INIT;
static expert_field ei_hash_unverifiable = EI_INIT;

/* Verified nodes: (torrent, file, layer, index) -> 32 bytes, file scope */
typedef struct {
    const btpeer_torrent_t *t;
    guint32 file, layer;
    guint64 index;
} v2_node_key_t;

static wmem_map_t *v2_nodes;

static guint v2_node_hash(gconstpointer p)
{
    const v2_node_key_t *k = (const v2_node_key_t *)p;
    guint64 h = (guint64)GPOINTER_TO_SIZE(k->t) * 0x9e3779b97f4a7c15ull;
    h ^= ((guint64)k->file << 40) ^ ((guint64)k->layer << 32) ^ k->index;
    h *= 0xff51afd7ed558ccdull;
    return (guint)(h ^ (h >> 32));
}

static gboolean v2_node_equal(gconstpointer a, gconstpointer b)
{
    const v2_node_key_t *x = (const v2_node_key_t *)a, *y = (const v2_node_key_t *)b;
    return x->t == y->t && x->file == y->file && x->layer == y->layer && x->index == y->index;
}

static void sha256(const void *data, size_t len, uint8_t out[BT_MERKLE_HASH])
{
    GChecksum *c = g_checksum_new(G_CHECKSUM_SHA256);
    gsize dlen = BT_MERKLE_HASH;
    g_checksum_update(c, (const guchar *)data, (gssize)len);
    g_checksum_get_digest(c, out, &dlen);
    g_checksum_free(c);
}

void btpeer_v2_init(btpeer_torrent_t *t)
{
    if (t->info.meta_version != 2 || t->info.num_pieces == 0 || t->info.num_pieces > V2_MAX_PIECES)
        return;
    t->v2_hash = (guint8 *)wmem_alloc0(wmem_file_scope(), (gsize)t->info.num_pieces * BT_MERKLE_HASH);
    t->v2_known = (guint8 *)wmem_alloc0(wmem_file_scope(), t->info.num_pieces);
}

/* Blocks per piece as a layer number: the piece layer. */
static unsigned piece_layer(const btpeer_torrent_t *t)
{
    return bt_merkle_log2(bt_merkle_width(MAX(t->info.piece_length / BT_MERKLE_BLOCK, 1)));
}

static guint64 file_pieces(const btpeer_torrent_t *t, const bt_tfile_t *f)
{
    return (f->length + t->info.piece_length - 1) / t->info.piece_length;
}

/* Keeps count piece-layer hashes of file f starting at its piece `first`. */
static void keep_layer(btpeer_torrent_t *t, const bt_tfile_t *f, guint64 first, const guint8 *hashes, guint64 count)
{
    guint64 base = f->offset / t->info.piece_length, n = file_pieces(t, f), i;
    if (!t->v2_hash)
        return;
    for (i = 0; i < count && first + i < n; i++) {
        memcpy(t->v2_hash + (base + first + i) * BT_MERKLE_HASH, hashes + i * BT_MERKLE_HASH, BT_MERKLE_HASH);
        t->v2_known[base + first + i] = 1;
    }
}

void btpeer_v2_piece_layers(btpeer_torrent_t *t, const guint8 *buf, gsize len, const bencode_value_t *layers)
{
    size_t f;
    if (!t->v2_hash || layers->type != BENC_DICT)
        return;
    for (f = 0; f < t->info.n_files; f++) {
        const bt_tfile_t *tf = &t->info.files[f];
        bencode_iter_t it;
        bencode_value_t k, v;
        guint64 n = file_pieces(t, tf);
        if (!tf->has_root || n < 2)
            continue;
        bencode_iter_init(&it, buf, len, layers, 4);
        while (bencode_iter_next(&it, &k, &v)) {
            guint8 root[BT_MERKLE_HASH];
            if (k.str_len != BT_MERKLE_HASH || memcmp(buf + k.str_off, tf->pieces_root, BT_MERKLE_HASH) != 0)
                continue;
            /* kept only when the layer hashes to the file's root */
            if (v.type == BENC_STR && v.str_len == n * BT_MERKLE_HASH && n <= V2_MAX_PIECES &&
                bt_merkle_root(buf + v.str_off, (size_t)n, bt_merkle_width(n), piece_layer(t), sha256, root) &&
                memcmp(root, tf->pieces_root, BT_MERKLE_HASH) == 0)
                keep_layer(t, tf, 0, buf + v.str_off, n);
            break;
        }
    }
}

static const bt_tfile_t *file_of_root(const btpeer_torrent_t *t, const guint8 *root)
{
    size_t f;
    for (f = 0; f < t->info.n_files; f++) {
        if (t->info.files[f].has_root && memcmp(t->info.files[f].pieces_root, root, BT_MERKLE_HASH) == 0)
            return &t->info.files[f];
    }
    return NULL;
}

static void node_keep(const btpeer_torrent_t *t, const bt_tfile_t *f, unsigned layer, guint64 index,
                      const guint8 *hash)
{
    v2_node_key_t k, *nk;
    k.t = t;
    k.file = (guint32)(f - t->info.files);
    k.layer = layer;
    k.index = index;
    if (wmem_map_size(v2_nodes) >= V2_MAX_NODES || wmem_map_contains(v2_nodes, &k))
        return;
    nk = wmem_new(wmem_file_scope(), v2_node_key_t);
    *nk = k;
    wmem_map_insert(v2_nodes, nk, wmem_memdup(wmem_file_scope(), hash, BT_MERKLE_HASH));
}

/* The node of file f at (layer, index) when it is known without this
 * message: the pieces root, padding, a piece-layer hash, a node above the
 * piece layer whose piece-layer hashes are all known, or a kept node. */
static gboolean node_known(const btpeer_torrent_t *t, const bt_tfile_t *f, guint64 blocks, unsigned root_layer,
                           unsigned layer, guint64 index, guint8 out[BT_MERKLE_HASH])
{
    unsigned pl = piece_layer(t);
    guint64 np = file_pieces(t, f), base = f->offset / t->info.piece_length;
    v2_node_key_t k;
    const guint8 *kept;

    if (layer == root_layer && index == 0) {
        memcpy(out, f->pieces_root, BT_MERKLE_HASH);
        return TRUE;
    }
    if (bt_merkle_is_pad(blocks, layer, index)) {
        bt_merkle_pad(layer, sha256, out);
        return TRUE;
    }
    if (t->v2_hash && np >= 2 && layer >= pl && layer - pl < 64) {
        guint64 span = (guint64)1 << (layer - pl), first = index << (layer - pl), n, i;
        if (span <= V2_MAX_HASHES && first < np) {
            n = MIN(span, np - first);
            for (i = 0; i < n && t->v2_known[base + first + i]; i++)
                ;
            if (i == n)
                return bt_merkle_root(t->v2_hash + (base + first) * BT_MERKLE_HASH, (size_t)n, span, pl, sha256, out);
        }
    }
    k.t = t;
    k.file = (guint32)(f - t->info.files);
    k.layer = layer;
    k.index = index;
    if ((kept = (const guint8 *)wmem_map_lookup(v2_nodes, &k)) != NULL) {
        memcpy(out, kept, BT_MERKLE_HASH);
        return TRUE;
    }
    return FALSE;
}

/* First pass: HASH_OK, HASH_FAILED, HASH_UNKNOWN_TOP (the proof stops below
 * the root at a node not known), HASH_UNCHECKED (unknown torrent or file,
 * a shape that cannot fit the file, odd sizes). */
static guint8 check_hashes(btpeer_ctx_t *ctx, guint32 base, guint32 index, guint32 length, int off, guint32 n)
{
    btpeer_torrent_t *t = ctx->pdu->torrent;
    const bt_tfile_t *f;
    guint8 root[BT_MERKLE_HASH], node[BT_MERKLE_HASH], want[BT_MERKLE_HASH];
    guint8 *path;
    const guint8 *hashes;
    guint64 width, blocks, top_index, i;
    unsigned top_layer, root_layer, layer;
    int where;

    if (!t || t->info.meta_version != 2 || length == 0 || n < length || n > V2_MAX_HASHES)
        return HASH_UNCHECKED;
    tvb_memcpy(ctx->tvb, root, BT_MSG_PAYLOAD_OFF, BT_MERKLE_HASH);
    if (!(f = file_of_root(t, root)) || f->length == 0)
        return HASH_UNCHECKED;
    blocks = (f->length + BT_MERKLE_BLOCK - 1) / BT_MERKLE_BLOCK;
    root_layer = bt_merkle_log2(bt_merkle_width(blocks));
    where = bt_merkle_proof_top(blocks, base, index, length, n - length, &top_layer, &top_index);
    if (!where)
        return HASH_UNCHECKED;
    width = bt_merkle_width(length);
    layer = base + bt_merkle_log2(width);
    if (!node_known(t, f, blocks, root_layer, top_layer, top_index, want))
        return HASH_UNKNOWN_TOP;
    hashes = tvb_get_ptr(ctx->tvb, off, (gint)(n * BT_MERKLE_HASH));
    if (!bt_merkle_root(hashes, length, width, base, sha256, node))
        return HASH_UNCHECKED;
    path = (guint8 *)wmem_alloc(ctx->pinfo->pool, (gsize)(n - length + 1) * BT_MERKLE_HASH);
    memcpy(path, node, BT_MERKLE_HASH);           /* path[0]: the subtree root, then its ancestors */
    bt_merkle_climb_path(node, index / width, hashes + (gsize)length * BT_MERKLE_HASH, n - length, sha256,
                         path + BT_MERKLE_HASH);
    if (memcmp(node, want, BT_MERKLE_HASH) != 0)
        return HASH_FAILED;
    /* verified: keep the piece-layer hashes, and the nodes a later message
     * whose proof stops below the root may need */
    if (base == piece_layer(t))
        keep_layer(t, f, index, hashes, length);
    for (i = 0; i <= n - length; i++) {
        guint64 at = (index / width) >> i;
        node_keep(t, f, layer + (unsigned)i, at, path + i * BT_MERKLE_HASH);
        if (i < n - length)                          /* the proof hash beside it */
            node_keep(t, f, layer + (unsigned)i, at ^ 1, hashes + (length + i) * BT_MERKLE_HASH);
    }
    return HASH_OK;
}

void btpeer_v2_hashes(btpeer_ctx_t *ctx, guint32 base, guint32 index, guint32 length, int hashes_off, guint32 n)
{
    proto_item *it;
    guint8 verdict;
    if (!PINFO_FD_VISITED(ctx->pinfo)) {
        verdict = check_hashes(ctx, base, index, length, hashes_off, n);
        if (verdict)
            btpeer_pdu_rare_new(ctx->pdu)->hash_verdict = verdict;
    }
    verdict = btpeer_pdu_rare(ctx->pdu)->hash_verdict;
    if (verdict == HASH_UNKNOWN_TOP) {
        /* where the proof stops (the shape was checked on the first pass) */
        guint64 width = bt_merkle_width(length);
        guint32 proofs = n - length;
        it = proto_tree_add_expert_format(ctx->tree, ctx->pinfo, &ei_hash_unverifiable, ctx->tvb, BT_MSG_PAYLOAD_OFF,
                                          BT_MERKLE_HASH, "Hashes not verified: their proof stops at layer %u node %"
                                          G_GUINT64_FORMAT ", below the pieces root, and no earlier verified hashes"
                                          " message nor the torrent's piece layers give that node",
                                          base + bt_merkle_log2(width) + proofs, (guint64)(index / width) >> proofs);
        proto_item_set_generated(it);
        return;
    }
    if (!verdict)
        return;
    it = proto_tree_add_boolean(ctx->tree, hf_hash_verified, ctx->tvb, BT_MSG_PAYLOAD_OFF, BT_MERKLE_HASH,
                                verdict == HASH_OK);
    proto_item_set_generated(it);
    if (verdict == HASH_FAILED)
        expert_add_info(ctx->pinfo, it, &ei_hash_failed);
}

int btpeer_v2_check_piece(const btpeer_torrent_t *t, guint32 index, const guint8 *data, guint32 len)
{
    const bt_torrent_info_t *in = &t->info;
    guint64 start = (guint64)index * in->piece_length;
    size_t fi = bt_info_file_at(in, start);
    const bt_tfile_t *f;
    guint8 root[BT_MERKLE_HASH];
    guint64 bytes, width;
    const guint8 *want;

    if (fi >= in->n_files || !t->v2_hash)
        return -1;
    f = &in->files[fi];
    if (f->pad || !f->has_root)
        return -1;
    bytes = MIN((guint64)len, f->offset + f->length - start);
    if (file_pieces(t, f) == 1) {          /* the file's root is the piece's */
        width = bt_merkle_width((f->length + BT_MERKLE_BLOCK - 1) / BT_MERKLE_BLOCK);
        want = f->pieces_root;
    } else {
        if (!t->v2_known[index])
            return -1;
        width = bt_merkle_width(MAX(in->piece_length / BT_MERKLE_BLOCK, 1));
        want = t->v2_hash + (gsize)index * BT_MERKLE_HASH;
    }
    if (!bt_merkle_data_root(data, (size_t)bytes, width, sha256, root))
        return -1;
    return memcmp(root, want, BT_MERKLE_HASH) == 0;
}

void btpeer_register_hashes(int proto, expert_module_t *em)
{
    static hf_register_info hf[] = {
        { &hf_hash_verified,
          { "Hashes verified", "btpeer.hash.verified", FT_BOOLEAN, BASE_NONE, NULL, 0x0,
            "The hashes and their proof hash up to the file's pieces root, or up to a node known from"
            " earlier verified hashes or the piece layers (BEP 52)", HFILL } },
    };
    static ei_register_info ei[] = {
        { &ei_hash_failed,
          { "btpeer.hash.failed", PI_CHECKSUM, PI_WARN,
            "Hashes do not lead to the file's pieces root (or to the known node their proof stops at)", EXPFILL } },
        { &ei_hash_unverifiable,
          { "btpeer.hash.unverifiable", PI_CHECKSUM, PI_CHAT,
            "Hashes not verified: their proof stops below the pieces root at a node not known", EXPFILL } },
    };
    proto_register_field_array(proto, hf, array_length(hf));
    expert_register_field_array(em, ei, array_length(ei));
    v2_nodes = wmem_map_new_autoreset(wmem_epan_scope(), wmem_file_scope(), v2_node_hash, v2_node_equal);
}
