/* torrent-info.h
 * Reader of a torrent's info dictionary (BEP 3 v1, BEP 47 padding files,
 * BEP 52 v2 and hybrid) and the piece -> (file, offset) mapping the peer-wire
 * dissector shows on piece, request, have... messages.
 *
 * The reader turns the bencoded dictionary into one flat list of files laid
 * end to end in piece space, as the peers see it:
 *   v1 and hybrid: the "files" list in order (padding files with attr "p"
 *   included and flagged), or the single "length" file;
 *   v2 only: the "file tree" in key order, each file starting on a piece
 *   boundary (BEP 52), so that the gap before the next file is an implicit
 *   padding file.
 * Paths are joined with "/" and start with the torrent's name.  Pure C, no
 * epan, no glib: malloc'ed, freed by bt_info_free.
 */
#ifndef BTCOMMON_TORRENT_INFO_H
#define BTCOMMON_TORRENT_INFO_H

#include <stddef.h>
#include <stdint.h>

/* Bounds on what a hostile info dictionary can make us allocate.  Real
 * torrents hold at most tens of thousands of files (the largest public
 * ones, software mirrors, about 100,000); paths rarely reach a few hundred
 * bytes; v2 file trees nest as deep as folders do. */
#define BT_INFO_MAX_FILES      200000u
#define BT_INFO_MAX_PATH       4096u
#define BT_INFO_MAX_TREE_DEPTH 64u

typedef struct {
    char    *path;          /* "name/dir/file", NUL-terminated            */
    uint64_t offset;        /* first byte in piece space                  */
    uint64_t length;
    int      pad;           /* a padding file (BEP 47 attr "p", or the
                               implicit gap after a v2 file)             */
    uint8_t  pieces_root[32]; /* v2: the file's merkle root, if has_root  */
    int      has_root;
} bt_tfile_t;

typedef struct {
    char      *name;
    uint64_t   piece_length;
    uint64_t   total;        /* sum of the file lengths, padding included */
    uint32_t   num_pieces;
    uint8_t   *pieces;       /* v1: num_pieces SHA-1 hashes, or NULL      */
    int        meta_version; /* 2 for v2 and hybrid, else 1               */
    size_t     n_files;
    bt_tfile_t *files;
} bt_torrent_info_t;

typedef enum {
    BT_INFO_OK = 0,
    BT_INFO_ERR_BENCODE,     /* not one bencoded dictionary               */
    BT_INFO_ERR_NAME,        /* no "name" string                          */
    BT_INFO_ERR_PIECE_LEN,   /* no positive "piece length"                */
    BT_INFO_ERR_PIECES,      /* v1 "pieces" missing or not 20*n bytes, or
                                not one hash per piece                    */
    BT_INFO_ERR_FILES,       /* no "length", "files" or "file tree", or a
                                bad entry in them                         */
    BT_INFO_ERR_BOUND        /* more files, longer paths or deeper trees
                                than the bounds above                     */
} bt_info_err_t;

bt_info_err_t bt_info_parse(const uint8_t *buf, size_t len, bt_torrent_info_t *out);
void bt_info_free(bt_torrent_info_t *info);
const char *bt_info_err_str(bt_info_err_t err);

/* Length of piece `index` (the last one is shorter), 0 when out of range. */
uint64_t bt_info_piece_size(const bt_torrent_info_t *info, uint32_t index);

/* One part of a byte range of piece space that falls in one file. */
typedef struct {
    size_t   file;          /* index in info->files                       */
    uint64_t file_offset;   /* where the part starts in that file         */
    uint64_t length;
} bt_span_t;

/* Cuts the range [begin, begin+length) of piece `index` into the parts that
 * fall in each non-padding file, in order; writes at most max of them and
 * returns how many there are in all (more than max: the caller shows max).
 * A range past the end of the torrent is cut at the end. */
size_t bt_info_map(const bt_torrent_info_t *info, uint32_t index, uint64_t begin, uint64_t length,
                   bt_span_t *out, size_t max);

/* Index of the file holding byte `pos` of piece space (binary search), or
 * n_files when pos is past the end. */
size_t bt_info_file_at(const bt_torrent_info_t *info, uint64_t pos);

#endif /* BTCOMMON_TORRENT_INFO_H */
