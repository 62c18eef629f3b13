/* torrent-info.c
 * Reader of a torrent's info dictionary (BEP 3, 47, 52) and the piece ->
 * file mapping; see torrent-info.h.
 */
#include "torrent-info.h"
#include "bencode.h"

#include <stdlib.h>
#include <string.h>

/* A v2 file tree nests one dict per folder and two more per file ("" and
 * its value), so the bencode depth allowed is the folder bound plus room. */
#define INFO_MAX_BENC_DEPTH (BT_INFO_MAX_TREE_DEPTH * 2u + 8u)

typedef struct {
    const uint8_t *buf;
    size_t len;
    bt_torrent_info_t *info;
    size_t cap;
    char path[BT_INFO_MAX_PATH + 1];
} reader_t;

/* Appends a path component (a bencoded string) after a "/"; NUL bytes
 * become "_" so that the path stays one C string.  Returns the new length,
 * or 0 when the bound is passed. */
static size_t path_push(reader_t *r, size_t at, const bencode_value_t *s)
{
    size_t i;
    if (at + 1 + s->str_len > BT_INFO_MAX_PATH)
        return 0;
    r->path[at++] = '/';
    for (i = 0; i < s->str_len; i++) {
        uint8_t c = r->buf[s->str_off + i];
        r->path[at++] = c ? (char)c : '_';
    }
    r->path[at] = '\0';
    return at;
}

static bt_info_err_t add_file(reader_t *r, uint64_t length, int pad, const uint8_t *root)
{
    bt_torrent_info_t *info = r->info;
    bt_tfile_t *f;

    if (info->n_files >= BT_INFO_MAX_FILES)
        return BT_INFO_ERR_BOUND;
    if (length > UINT64_MAX / 2 - info->total)
        return BT_INFO_ERR_FILES;
    if (info->n_files == r->cap) {
        size_t cap = r->cap ? r->cap * 2 : 8;
        bt_tfile_t *nf = realloc(info->files, cap * sizeof(*nf));
        if (!nf)
            return BT_INFO_ERR_BOUND;
        info->files = nf;
        r->cap = cap;
    }
    f = &info->files[info->n_files];
    memset(f, 0, sizeof(*f));
    f->path = strdup(pad && !r->path[0] ? ".pad" : r->path);
    if (!f->path)
        return BT_INFO_ERR_BOUND;
    f->offset = info->total;
    f->length = length;
    f->pad = pad;
    if (root) {
        memcpy(f->pieces_root, root, 32);
        f->has_root = 1;
    }
    info->n_files++;
    info->total += length;
    return BT_INFO_OK;
}

static int get_int(const reader_t *r, const bencode_value_t *d, const char *key, int64_t *out)
{
    bencode_value_t v;
    if (!bencode_dict_get(r->buf, r->len, d, key, &v) || v.type != BENC_INT || v.ival < 0)
        return 0;
    *out = v.ival;
    return 1;
}

/* One entry of a v1 "files" list: {length, path: [components], attr}. */
static bt_info_err_t v1_file(reader_t *r, const bencode_value_t *fd, size_t name_len)
{
    bencode_value_t path, attr, comp;
    bencode_iter_t it;
    int64_t length;
    size_t at = name_len;
    int pad = 0;

    if (fd->type != BENC_DICT || !get_int(r, fd, "length", &length) ||
        !bencode_dict_get(r->buf, r->len, fd, "path", &path) || path.type != BENC_LIST)
        return BT_INFO_ERR_FILES;
    if (bencode_dict_get(r->buf, r->len, fd, "attr", &attr) && attr.type == BENC_STR)
        pad = memchr(r->buf + attr.str_off, 'p', attr.str_len) != NULL;
    r->path[name_len] = '\0';
    bencode_iter_init(&it, r->buf, r->len, &path, INFO_MAX_BENC_DEPTH);
    while (bencode_iter_next(&it, NULL, &comp)) {
        if (comp.type != BENC_STR)
            return BT_INFO_ERR_FILES;
        if (!(at = path_push(r, at, &comp)))
            return BT_INFO_ERR_BOUND;
    }
    return add_file(r, (uint64_t)length, pad, NULL);
}

/* A v2 "file tree" folder: keys are names; a key "" holds a file's
 * {length, pieces root}.  Each file after the first starts on a piece
 * boundary: the gap is added as an implicit padding file. */
static bt_info_err_t v2_tree(reader_t *r, const bencode_value_t *dir, size_t at, unsigned depth)
{
    bencode_value_t key, val, root;
    bencode_iter_t it;
    bt_info_err_t err;

    if (depth > BT_INFO_MAX_TREE_DEPTH)
        return BT_INFO_ERR_BOUND;
    if (dir->type != BENC_DICT)
        return BT_INFO_ERR_FILES;
    bencode_iter_init(&it, r->buf, r->len, dir, INFO_MAX_BENC_DEPTH);
    while (bencode_iter_next(&it, &key, &val)) {
        if (key.str_len == 0) {
            int64_t length;
            uint64_t plen = r->info->piece_length, rem;
            if (val.type != BENC_DICT || !get_int(r, &val, "length", &length))
                return BT_INFO_ERR_FILES;
            rem = r->info->total % plen;
            if (length > 0 && rem) {
                char keep[BT_INFO_MAX_PATH + 1];
                memcpy(keep, r->path, at + 1);
                r->path[0] = '\0';
                if ((err = add_file(r, plen - rem, 1, NULL)) != BT_INFO_OK)
                    return err;
                memcpy(r->path, keep, at + 1);
            }
            if (length > 0 && bencode_dict_get(r->buf, r->len, &val, "pieces root", &root) &&
                root.type == BENC_STR && root.str_len == 32)
                err = add_file(r, (uint64_t)length, 0, r->buf + root.str_off);
            else
                err = add_file(r, (uint64_t)length, 0, NULL);
            if (err != BT_INFO_OK)
                return err;
            continue;
        }
        {
            size_t sub = path_push(r, at, &key);
            if (!sub)
                return BT_INFO_ERR_BOUND;
            if ((err = v2_tree(r, &val, sub, depth + 1)) != BT_INFO_OK)
                return err;
            r->path[at] = '\0';
        }
    }
    return BT_INFO_OK;
}

/* A single-file v2 torrent names its one file after the torrent: the path is
 * then the name alone, as for a single-file v1 torrent. */
static void v2_single_name(bt_torrent_info_t *info)
{
    size_t n = strlen(info->name);
    if (info->n_files == 1 && strncmp(info->files[0].path, info->name, n) == 0 &&
        info->files[0].path[n] == '/' && strcmp(info->files[0].path + n + 1, info->name) == 0)
        info->files[0].path[n] = '\0';
}

/* A hybrid torrent (BEP 52) lists its files twice: the v1 "files" (with
 * padding) give the layout, the v2 "file tree" the pieces roots.  Both are
 * in the same order: the roots are copied along while the paths agree. */
static void hybrid_roots(reader_t *r, const bencode_value_t *tree, size_t name_len)
{
    bt_torrent_info_t v2;
    reader_t *r2 = calloc(1, sizeof(*r2));
    size_t i, j = 0;

    if (!r2)
        return;
    memset(&v2, 0, sizeof(v2));
    r2->buf = r->buf;
    r2->len = r->len;
    r2->info = &v2;
    v2.piece_length = r->info->piece_length;
    memcpy(r2->path, r->path, name_len);
    r2->path[name_len] = '\0';
    v2.name = r->info->name;
    if (v2_tree(r2, tree, name_len, 0) == BT_INFO_OK) {
        v2_single_name(&v2);
        for (i = 0; i < r->info->n_files; i++) {
            bt_tfile_t *f = &r->info->files[i];
            if (f->pad)
                continue;
            while (j < v2.n_files && v2.files[j].pad)
                j++;
            if (j >= v2.n_files || strcmp(v2.files[j].path, f->path) != 0)
                break;
            if (v2.files[j].has_root) {
                memcpy(f->pieces_root, v2.files[j].pieces_root, sizeof(f->pieces_root));
                f->has_root = 1;
            }
            j++;
        }
    }
    v2.name = NULL;       /* r->info's */
    bt_info_free(&v2);
    free(r2);
}

static bt_info_err_t read_files(reader_t *r, const bencode_value_t *d, size_t name_len)
{
    bencode_value_t files, tree, fd;
    bencode_iter_t it;
    int64_t length;
    bt_info_err_t err;

    if (bencode_dict_get(r->buf, r->len, d, "files", &files)) {
        if (files.type != BENC_LIST)
            return BT_INFO_ERR_FILES;
        bencode_iter_init(&it, r->buf, r->len, &files, INFO_MAX_BENC_DEPTH);
        while (bencode_iter_next(&it, NULL, &fd)) {
            if ((err = v1_file(r, &fd, name_len)) != BT_INFO_OK)
                return err;
        }
        if (bencode_dict_get(r->buf, r->len, d, "file tree", &tree))
            hybrid_roots(r, &tree, name_len);
        return r->info->n_files ? BT_INFO_OK : BT_INFO_ERR_FILES;
    }
    if (get_int(r, d, "length", &length)) {
        r->path[name_len] = '\0';
        if ((err = add_file(r, (uint64_t)length, 0, NULL)) == BT_INFO_OK &&
            bencode_dict_get(r->buf, r->len, d, "file tree", &tree))
            hybrid_roots(r, &tree, name_len);
        return err;
    }
    if (bencode_dict_get(r->buf, r->len, d, "file tree", &tree)) {
        if ((err = v2_tree(r, &tree, name_len, 0)) != BT_INFO_OK)
            return err;
        v2_single_name(r->info);
        return r->info->n_files ? BT_INFO_OK : BT_INFO_ERR_FILES;
    }
    return BT_INFO_ERR_FILES;
}

static bt_info_err_t read_info(reader_t *r, const bencode_value_t *d)
{
    bt_torrent_info_t *info = r->info;
    bencode_value_t name, pieces;
    int64_t plen, mv;
    size_t i;
    bt_info_err_t err;
    uint64_t count;

    if (!bencode_dict_get(r->buf, r->len, d, "name", &name) || name.type != BENC_STR)
        return BT_INFO_ERR_NAME;
    if (name.str_len > BT_INFO_MAX_PATH / 2)
        return BT_INFO_ERR_BOUND;
    for (i = 0; i < name.str_len; i++)
        r->path[i] = r->buf[name.str_off + i] ? (char)r->buf[name.str_off + i] : '_';
    r->path[name.str_len] = '\0';
    if (!(info->name = strdup(r->path)))
        return BT_INFO_ERR_BOUND;
    if (!get_int(r, d, "piece length", &plen) || plen == 0 || plen > INT64_C(1) << 40)
        return BT_INFO_ERR_PIECE_LEN;
    info->piece_length = (uint64_t)plen;
    info->meta_version = get_int(r, d, "meta version", &mv) && mv == 2 ? 2 : 1;
    if ((err = read_files(r, d, name.str_len)) != BT_INFO_OK)
        return err;
    count = (info->total + info->piece_length - 1) / info->piece_length;
    if (count > UINT32_MAX)
        return BT_INFO_ERR_BOUND;
    info->num_pieces = (uint32_t)count;
    if (bencode_dict_get(r->buf, r->len, d, "pieces", &pieces)) {
        if (pieces.type != BENC_STR || pieces.str_len != (size_t)count * 20u)
            return BT_INFO_ERR_PIECES;
        if (count && !(info->pieces = malloc(pieces.str_len)))
            return BT_INFO_ERR_BOUND;
        if (count)
            memcpy(info->pieces, r->buf + pieces.str_off, pieces.str_len);
    } else if (info->meta_version != 2) {
        return BT_INFO_ERR_PIECES;
    }
    return BT_INFO_OK;
}

bt_info_err_t bt_info_parse(const uint8_t *buf, size_t len, bt_torrent_info_t *out)
{
    reader_t *r;
    bencode_value_t d;
    bt_info_err_t err;

    memset(out, 0, sizeof(*out));
    if (!len || bencode_parse(buf, len, 0, INFO_MAX_BENC_DEPTH, &d, NULL) != BENC_OK || d.type != BENC_DICT)
        return BT_INFO_ERR_BENCODE;
    if (!(r = calloc(1, sizeof(*r))))
        return BT_INFO_ERR_BOUND;
    r->buf = buf;
    r->len = len;
    r->info = out;
    err = read_info(r, &d);
    free(r);
    if (err != BT_INFO_OK)
        bt_info_free(out);
    return err;
}

void bt_info_free(bt_torrent_info_t *info)
{
    size_t i;
    for (i = 0; i < info->n_files; i++)
        free(info->files[i].path);
    free(info->files);
    free(info->pieces);
    free(info->name);
    memset(info, 0, sizeof(*info));
}

const char *bt_info_err_str(bt_info_err_t err)
{
    switch (err) {
    case BT_INFO_OK:            return "ok";
    case BT_INFO_ERR_BENCODE:   return "not a bencoded dictionary";
    case BT_INFO_ERR_NAME:      return "no name";
    case BT_INFO_ERR_PIECE_LEN: return "no valid piece length";
    case BT_INFO_ERR_PIECES:    return "pieces do not match the files";
    case BT_INFO_ERR_FILES:     return "no valid file list";
    case BT_INFO_ERR_BOUND:     return "beyond the reader's bounds";
    }
    return "?";
}

uint64_t bt_info_piece_size(const bt_torrent_info_t *info, uint32_t index)
{
    uint64_t start;
    if (index >= info->num_pieces)
        return 0;
    start = (uint64_t)index * info->piece_length;
    return info->total - start < info->piece_length ? info->total - start : info->piece_length;
}

size_t bt_info_file_at(const bt_torrent_info_t *info, uint64_t pos)
{
    size_t lo = 0, hi = info->n_files;
    if (pos >= info->total)
        return info->n_files;
    /* the last file whose offset is <= pos, skipping empty files */
    while (hi - lo > 1) {
        size_t mid = lo + (hi - lo) / 2;
        if (info->files[mid].offset <= pos)
            lo = mid;
        else
            hi = mid;
    }
    return lo;
}

size_t bt_info_map(const bt_torrent_info_t *info, uint32_t index, uint64_t begin, uint64_t length,
                   bt_span_t *out, size_t max)
{
    uint64_t pos, end;
    size_t f, n = 0;

    if (index >= info->num_pieces || begin >= info->piece_length)
        return 0;
    pos = (uint64_t)index * info->piece_length + begin;
    if (pos >= info->total)
        return 0;
    end = length > info->total - pos ? info->total : pos + length;
    for (f = bt_info_file_at(info, pos); f < info->n_files && pos < end; f++) {
        const bt_tfile_t *tf = &info->files[f];
        uint64_t fend = tf->offset + tf->length;
        uint64_t part;
        if (fend <= pos)
            continue;           /* an empty file at this offset */
        part = (end < fend ? end : fend) - pos;
        if (!tf->pad) {
            if (n < max) {
                out[n].file = f;
                out[n].file_offset = pos - tf->offset;
                out[n].length = part;
            }
            n++;
        }
        pos += part;
    }
    return n;
}
