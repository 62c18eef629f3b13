/* btpeer-torrent.c
 * The torrent store of the peer-wire dissector: what a connection's info
 * hash stands for.  The info dictionary comes either from the wire (BEP 9
 * ut_metadata data messages of any connection, either direction, any order,
 * verified against the info hash: SHA-1 for v1, SHA-256 truncated to 20
 * bytes for v2, BEP 52) or from the .torrent files of the folder named by
 * the preference btpeer.torrent_folder (matched by the v1 or v2 info hash).
 *
 * Once known, every PDU of a connection of that torrent shows
 * btpeer.torrent.name and btpeer.torrent.source; the frame completing the
 * metadata shows btpeer.torrent.metadata_verified, the frames of the pieces
 * that built it and the file list.  All decided on the first pass and kept
 * in btpeer_pdu_t.
 */
#include <string.h>

#include <epan/packet.h>
#include <epan/prefs.h>

#include "btpeer.h"
#include "bthash.h"
#include "ws-compat.h"

/* BEP 9 cuts the metadata in 16 KiB pieces. */
#define MD_PIECE_LEN 16384u
/* Largest metadata assembled.  libtorrent refuses more than 30 MiB by
 * default but real info dictionaries are 20 bytes per piece plus the file
 * list: a few hundred KiB for terabytes of data.  8 MiB (400,000 pieces,
 * or tens of thousands of files) bounds what a hostile total_size makes us
 * allocate per torrent. */
#define MD_MAX_SIZE (8u * 1024u * 1024u)
/* .torrent files read from the folder: at most this many, each at most
 * this size (a .torrent is its info dictionary plus a few keys, see above). */
#define FOLDER_MAX_FILES 1000u
#define FOLDER_MAX_FILE_SIZE (32u * 1024u * 1024u)
/* Torrents remembered per capture: one per info hash seen in a handshake
 * or loaded from the folder.  Swarm captures hold a handful; a hostile
 * capture with a million handshakes stops adding here. */
#define MAX_TORRENTS 100000u

bt_pref_bool btpeer_pref_verify_pieces = TRUE;
static const char *pref_torrent_folder = "";

static int hf_torrent_name = -1;
static int hf_torrent_source = -1;
static int hf_torrent_md_verified = -1;
static int hf_torrent_md_piece_in = -1;
static int hf_torrent_files = -1;
static int hf_torrent_file = -1;
static int hf_torrent_file_length = -1;
static int hf_torrent_size = -1;
static int hf_torrent_piece_length = -1;
static int hf_torrent_pieces = -1;
static int ett_torrent_files = -1;
static int ett_torrent_file = -1;
static expert_field ei_md_failed = EI_INIT;
static expert_field ei_md_bad_piece = EI_INIT;
static expert_field ei_md_unreadable = EI_INIT;

static wmem_map_t *torrents;     /* info hash -> btpeer_torrent_t (file scope) */
static guint64 torrent_seed;

static guint ih_hash(gconstpointer k)
{
    return bthash_bytes(k, BT_INFO_HASH_LEN, torrent_seed);
}

static gboolean ih_equal(gconstpointer a, gconstpointer b)
{
    return memcmp(a, b, BT_INFO_HASH_LEN) == 0;
}

btpeer_torrent_t *btpeer_torrent_get(const guint8 *h)
{
    btpeer_torrent_t *t = (btpeer_torrent_t *)wmem_map_lookup(torrents, h);
    if (t || wmem_map_size(torrents) >= MAX_TORRENTS)
        return t;
    t = wmem_new0(wmem_file_scope(), btpeer_torrent_t);
    memcpy(t->info_hash, h, BT_INFO_HASH_LEN);
    wmem_map_insert(torrents, t->info_hash, t);
    return t;
}

/* Copies what bt_info_parse malloc'ed into file scope (freed with the
 * capture), and sizes the per-piece and per-file arrays. */
static void torrent_set_info(btpeer_torrent_t *t, bt_torrent_info_t *in, const guint8 *bytes, guint32 len,
                             const char *source)
{
    wmem_allocator_t *fs = wmem_file_scope();
    bt_torrent_info_t *out = &t->info;
    size_t i;

    *out = *in;
    out->name = wmem_strdup(fs, in->name);
    out->pieces = in->pieces ? (uint8_t *)wmem_memdup(fs, in->pieces, (size_t)in->num_pieces * 20u) : NULL;
    out->files = (bt_tfile_t *)wmem_memdup(fs, in->files, in->n_files * sizeof(bt_tfile_t));
    for (i = 0; i < in->n_files; i++)
        out->files[i].path = wmem_strdup(fs, in->files[i].path);
    bt_info_free(in);
    t->info_bytes = (const guint8 *)wmem_memdup(fs, bytes, len);
    t->info_len = len;
    btpeer_v2_init(t);
    if (out->pieces || t->v2_hash) {   /* v1 hashes, or v2 piece layers: pieces can be verified */
        t->piece_state = (guint8 *)wmem_alloc0(fs, out->num_pieces);
        t->kept = (btpeer_kept_t **)wmem_alloc0(fs, out->num_pieces * sizeof(btpeer_kept_t *));
        t->file_ok = (guint32 *)wmem_alloc0(fs, out->n_files * sizeof(guint32));
        t->file_done = (guint32 *)wmem_alloc0(fs, out->n_files * sizeof(guint32));
    }
    t->source = source;
}

/* The info hashes of an info dictionary: SHA-1 (v1), SHA-256 truncated (v2). */
static void info_hashes(const guint8 *buf, gsize len, guint8 v1[BT_INFO_HASH_LEN], guint8 v2[BT_INFO_HASH_LEN])
{
    guint8 d[32];
    gsize dlen = sizeof(d);
    GChecksum *c = g_checksum_new(G_CHECKSUM_SHA1);
    g_checksum_update(c, buf, (gssize)len);
    g_checksum_get_digest(c, d, &dlen);
    memcpy(v1, d, BT_INFO_HASH_LEN);
    g_checksum_free(c);
    dlen = sizeof(d);
    c = g_checksum_new(G_CHECKSUM_SHA256);
    g_checksum_update(c, buf, (gssize)len);
    g_checksum_get_digest(c, d, &dlen);
    memcpy(v2, d, BT_INFO_HASH_LEN);
    g_checksum_free(c);
}

/* ---- .torrent files ---- */

static void load_torrent_file(const char *path)
{
    gchar *data = NULL;
    gsize len = 0;
    bencode_value_t top, info;
    guint8 h1[BT_INFO_HASH_LEN], h2[BT_INFO_HASH_LEN];
    bt_torrent_info_t parsed;
    btpeer_torrent_t *t;

    if (!g_file_get_contents(path, &data, &len, NULL))
        return;
    if (len == 0 || len > FOLDER_MAX_FILE_SIZE ||
        bencode_parse((const guint8 *)data, len, 0, BENCODE_DEFAULT_MAX_DEPTH * 4, &top, NULL) != BENC_OK ||
        top.type != BENC_DICT ||
        !bencode_dict_get((const guint8 *)data, len, &top, "info", &info) || info.type != BENC_DICT) {
        g_free(data);
        return;
    }
    info_hashes((const guint8 *)data + info.start, info.end - info.start, h1, h2);
    if (bt_info_parse((const guint8 *)data + info.start, info.end - info.start, &parsed) == BT_INFO_OK) {
        /* a hybrid torrent is found by either hash; both names share one record */
        t = btpeer_torrent_get(parsed.meta_version == 2 && !parsed.pieces ? h2 : h1);
        if (t && !t->source) {
            torrent_set_info(t, &parsed, (const guint8 *)data + info.start, (guint32)(info.end - info.start), "file");
            if (t->info.meta_version == 2) {
                bencode_value_t layers;
                wmem_map_insert(torrents, wmem_memdup(wmem_file_scope(), h2, BT_INFO_HASH_LEN), t);
                if (bencode_dict_get((const guint8 *)data, len, &top, "piece layers", &layers))
                    btpeer_v2_piece_layers(t, (const guint8 *)data, len, &layers);
            }
        } else {
            bt_info_free(&parsed);
        }
    }
    g_free(data);
}

static void load_folder(void)
{
    GDir *dir;
    const gchar *name;
    guint n = 0;

    if (!pref_torrent_folder || !*pref_torrent_folder)
        return;
    dir = g_dir_open(pref_torrent_folder, 0, NULL);
    if (!dir)
        return;
    while ((name = g_dir_read_name(dir)) != NULL && n < FOLDER_MAX_FILES) {
        gchar *path;
        if (!g_str_has_suffix(name, ".torrent"))
            continue;
        n++;
        path = g_build_filename(pref_torrent_folder, name, NULL);
        load_torrent_file(path);
        g_free(path);
    }
    g_dir_close(dir);
}

static void torrent_init(void)
{
    load_folder();
}

/* ---- per PDU ---- */

void btpeer_torrent_attach(btpeer_ctx_t *ctx)
{
    btpeer_torrent_t *t;
    if (PINFO_FD_VISITED(ctx->pinfo) || ctx->pdu->torrent || !ctx->conn->has_info_hash)
        return;
    t = (btpeer_torrent_t *)wmem_map_lookup(torrents, ctx->conn->info_hash);
    if (t && t->source)
        ctx->pdu->torrent = t;
}

static void show_files(btpeer_ctx_t *ctx, const btpeer_torrent_t *t)
{
    proto_item *ti = proto_tree_add_uint(ctx->tree, hf_torrent_files, ctx->tvb, 0, 0, (guint32)t->info.n_files);
    proto_tree *ft = proto_item_add_subtree(ti, ett_torrent_files);
    size_t i;
    guint shown = 0;

    proto_item_set_generated(ti);
    proto_item_set_generated(proto_tree_add_uint64(ft, hf_torrent_size, ctx->tvb, 0, 0, t->info.total));
    proto_item_set_generated(proto_tree_add_uint64(ft, hf_torrent_piece_length, ctx->tvb, 0, 0, t->info.piece_length));
    proto_item_set_generated(proto_tree_add_uint(ft, hf_torrent_pieces, ctx->tvb, 0, 0, t->info.num_pieces));
    for (i = 0; i < t->info.n_files; i++) {
        const bt_tfile_t *f = &t->info.files[i];
        proto_item *fi;
        if (f->pad)
            continue;
        if (shown++ >= BTPEER_MAX_LIST_ITEMS) {
            btpeer_more_items(ctx->tvb, ctx->pinfo, ft, 0, 0, (guint)(t->info.n_files - i));
            break;
        }
        fi = proto_tree_add_string(ft, hf_torrent_file, ctx->tvb, 0, 0, f->path);
        proto_item_set_generated(fi);
        proto_item_append_text(fi, " (%" G_GUINT64_FORMAT " bytes)", f->length);
        proto_item_set_generated(proto_tree_add_uint64(proto_item_add_subtree(fi, ett_torrent_file),
                                                       hf_torrent_file_length, ctx->tvb, 0, 0, f->length));
    }
}

void btpeer_torrent_show(btpeer_ctx_t *ctx)
{
    const btpeer_torrent_t *t = ctx->pdu->torrent;
    const btpeer_pdu_rare_t *rare = btpeer_pdu_rare(ctx->pdu);
    const btpeer_md_done_t *md = rare->md;
    proto_item *it;
    guint32 i;

    if (rare->md_unused)
        expert_add_info_format(ctx->pinfo, ctx->pdu_item, &ei_md_bad_piece, "%s", rare->md_unused);
    if (md) {
        it = proto_tree_add_boolean(ctx->tree, hf_torrent_md_verified, ctx->tvb, 0, 0, md->verified);
        proto_item_set_generated(it);
        if (!md->verified) {
            expert_add_info(ctx->pinfo, it, &ei_md_failed);
            btpeer_info(ctx, "metadata FAILED");
        }
        else if (!t)
            expert_add_info(ctx->pinfo, it, &ei_md_unreadable);
        for (i = 0; i < md->count; i++)
            proto_item_set_generated(proto_tree_add_uint(ctx->tree, hf_torrent_md_piece_in, ctx->tvb, 0, 0,
                                                         md->frames[i]));
    }
    if (!t)
        return;
    proto_item_set_generated(proto_tree_add_string(ctx->tree, hf_torrent_name, ctx->tvb, 0, 0, t->info.name));
    proto_item_set_generated(proto_tree_add_string(ctx->tree, hf_torrent_source, ctx->tvb, 0, 0, t->source));
    if (md && md->verified) {
        show_files(ctx, t);
        btpeer_info(ctx, "metadata of %s verified", t->info.name);
    }
}

/* The metadata is complete: check it against the info hash and read it. */
static void metadata_complete(btpeer_ctx_t *ctx, btpeer_torrent_t *t)
{
    btpeer_md_done_t *md = wmem_new0(wmem_file_scope(), btpeer_md_done_t);
    guint8 h1[BT_INFO_HASH_LEN], h2[BT_INFO_HASH_LEN];
    bt_torrent_info_t parsed;

    info_hashes(t->md_buf, t->md_size, h1, h2);
    md->verified = memcmp(h1, t->info_hash, BT_INFO_HASH_LEN) == 0 ||
                   memcmp(h2, t->info_hash, BT_INFO_HASH_LEN) == 0;
    md->count = t->md_count;
    md->frames = (guint32 *)wmem_memdup(wmem_file_scope(), t->md_frames, t->md_count * sizeof(guint32));
    btpeer_pdu_rare_new(ctx->pdu)->md = md;
    if (md->verified && bt_info_parse(t->md_buf, t->md_size, &parsed) == BT_INFO_OK) {
        torrent_set_info(t, &parsed, t->md_buf, t->md_size, "ut_metadata");
        t->known_frame = ctx->pinfo->num;
        btpeer_export_event(ctx->pinfo, t, -1);
    }
    /* a failed assembly starts again from the next data message */
    wmem_free(wmem_file_scope(), t->md_buf);
    wmem_free(wmem_file_scope(), t->md_frames);
    t->md_buf = NULL;
    t->md_frames = NULL;
    t->md_size = t->md_count = t->md_have = 0;
}

void btpeer_torrent_metadata(btpeer_ctx_t *ctx, gint64 piece, gint64 total, int data_off, int data_len)
{
    btpeer_torrent_t *t;
    guint32 want;

    if (PINFO_FD_VISITED(ctx->pinfo) || !ctx->conn->has_info_hash)
        return;
    t = btpeer_torrent_get(ctx->conn->info_hash);
    if (!t || t->source)
        return;
    if (total <= 0 || total > (gint64)MD_MAX_SIZE || piece < 0 ||
        (t->md_buf && (guint32)total != t->md_size) || (guint64)piece * MD_PIECE_LEN >= (guint64)total) {
        btpeer_pdu_rare_new(ctx->pdu)->md_unused = wmem_strdup_printf(wmem_file_scope(),
            "ut_metadata piece %" G_GINT64_FORMAT " of total size %" G_GINT64_FORMAT
            " not used: out of range, above %u bytes, or another size than earlier pieces",
            piece, total, MD_MAX_SIZE);
        return;
    }
    want = MIN(MD_PIECE_LEN, (guint32)total - (guint32)piece * MD_PIECE_LEN);
    if ((guint32)data_len != want || tvb_captured_length_remaining(ctx->tvb, data_off) < data_len) {
        btpeer_pdu_rare_new(ctx->pdu)->md_unused = wmem_strdup_printf(wmem_file_scope(),
            "ut_metadata piece %" G_GINT64_FORMAT " holds %d bytes, %u expected: not used", piece, data_len, want);
        return;
    }
    if (!t->md_buf) {
        t->md_size = (guint32)total;
        t->md_count = (t->md_size + MD_PIECE_LEN - 1) / MD_PIECE_LEN;
        t->md_buf = (guint8 *)wmem_alloc(wmem_file_scope(), t->md_size);
        t->md_frames = (guint32 *)wmem_alloc0(wmem_file_scope(), t->md_count * sizeof(guint32));
        t->md_have = 0;
    }
    if (t->md_frames[piece])
        return;    /* sent again: the first copy counts */
    tvb_memcpy(ctx->tvb, t->md_buf + piece * MD_PIECE_LEN, data_off, data_len);
    t->md_frames[piece] = ctx->pinfo->num;
    if (++t->md_have == t->md_count)
        metadata_complete(ctx, t);
}

void btpeer_register_torrent(int proto, expert_module_t *em, module_t *module)
{
    static hf_register_info hf[] = {
        { &hf_torrent_name,
          { "Torrent name", "btpeer.torrent.name", FT_STRING, BASE_NONE, NULL, 0x0,
            "Name of this connection's torrent, from its metadata", HFILL } },
        { &hf_torrent_source,
          { "Metadata source", "btpeer.torrent.source", FT_STRING, BASE_NONE, NULL, 0x0,
            "Where the torrent's metadata came from: ut_metadata (BEP 9, this capture) or file (btpeer.torrent_folder)", HFILL } },
        { &hf_torrent_md_verified,
          { "Metadata verified", "btpeer.torrent.metadata_verified", FT_BOOLEAN, BASE_NONE, NULL, 0x0,
            "The reassembled info dictionary hashes to the info hash (SHA-1, or SHA-256 for v2)", HFILL } },
        { &hf_torrent_md_piece_in,
          { "Metadata piece in", "btpeer.torrent.metadata_piece_in", FT_FRAMENUM, BASE_NONE, NULL, 0x0,
            "Frame of a ut_metadata data message that built the metadata", HFILL } },
        { &hf_torrent_files,
          { "Files", "btpeer.torrent.files", FT_UINT32, BASE_DEC, NULL, 0x0,
            "Number of files in the torrent (padding files included)", HFILL } },
        { &hf_torrent_file,
          { "File", "btpeer.torrent.file", FT_STRING, BASE_NONE, NULL, 0x0,
            "Path of a file, starting with the torrent's name", HFILL } },
        { &hf_torrent_file_length,
          { "File length", "btpeer.torrent.file.length", FT_UINT64, BASE_DEC, NULL, 0x0, NULL, HFILL } },
        { &hf_torrent_size,
          { "Total size", "btpeer.torrent.size", FT_UINT64, BASE_DEC, NULL, 0x0, NULL, HFILL } },
        { &hf_torrent_piece_length,
          { "Piece length", "btpeer.torrent.piece_length", FT_UINT64, BASE_DEC, NULL, 0x0, NULL, HFILL } },
        { &hf_torrent_pieces,
          { "Pieces", "btpeer.torrent.pieces", FT_UINT32, BASE_DEC, NULL, 0x0, NULL, HFILL } },
    };
    static int *ett[] = { &ett_torrent_files, &ett_torrent_file };
    static ei_register_info ei[] = {
        { &ei_md_failed,
          { "btpeer.torrent.metadata_failed", PI_CHECKSUM, PI_WARN,
            "The reassembled metadata does not hash to the info hash", EXPFILL } },
        { &ei_md_bad_piece,
          { "btpeer.torrent.metadata_piece_bad", PI_PROTOCOL, PI_WARN,
            "ut_metadata data message not used for the metadata", EXPFILL } },
        { &ei_md_unreadable,
          { "btpeer.torrent.metadata_unreadable", PI_MALFORMED, PI_WARN,
            "The metadata matches the info hash but is not a readable info dictionary", EXPFILL } },
    };
    proto_register_field_array(proto, hf, array_length(hf));
    proto_register_subtree_array(ett, array_length(ett));
    expert_register_field_array(em, ei, array_length(ei));

    prefs_register_directory_preference(module, "torrent_folder", "Folder of .torrent files",
        "Torrents whose info hash matches a .torrent file of this folder are known from the start: "
        "name, files, piece verification",
        &pref_torrent_folder);
    prefs_register_bool_preference(module, "verify_pieces", "Verify pieces",
        "Hash every piece seen whole in one direction of a connection against the torrent's piece hashes",
        &btpeer_pref_verify_pieces);

    torrent_seed = (guint64)g_random_int() << 32 | g_random_int();
    torrents = wmem_map_new_autoreset(wmem_epan_scope(), wmem_file_scope(), ih_hash, ih_equal);
    register_init_routine(torrent_init);
}
