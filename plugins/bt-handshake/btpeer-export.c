/* btpeer-export.c
 * Export Objects for the peer-wire protocol (File > Export Objects >
 * BT-Peer, tshark --export-objects btpeer,DIR): one object per file of each
 * torrent whose metadata is known (BEP 3 file layout, BEP 47 padding files
 * left out), holding the bytes of verified pieces, and the reconstructed
 * .torrent (the verified info dictionary) of metadata that came over the
 * wire (BEP 9).
 *
 * When objects are handed over:
 *  - the .torrent: at the frame that completed and verified the metadata;
 *  - a file all of whose pieces were verified: at the frame verifying its
 *    last piece; its bytes are the file's, byte for byte (named incomplete
 *    if some were past the memory bound, or not copied back: below);
 *  - any other file: at the last frame of the torrent's connections, once
 *    the whole capture has been read (two-pass tshark, the GUI): only then
 *    is it known that nothing more will come.  Its name ends in
 *    ".incomplete" with the byte ranges missing (never seen whole, or past
 *    the memory bound) and failed (hash mismatch); missing bytes are zeros,
 *    and the object stops after the last verified byte.
 *
 * Where the bytes come from (btpeer-pieces.c): a pass that this tap reads
 * while the frames are first dissected (one-pass tshark) keeps each
 * verified piece; any other first pass (two-pass tshark's first pass runs
 * no taps; the GUI opens the dialog after reading) keeps none, and a later
 * pass with this tap present copies them back from their blocks: every
 * block of a file's pieces comes at or before the frame of its object, and
 * a frame's taps run after all of its PDUs.  Whether taps run in a first
 * pass is not asked of epan (no API says it): eo_packet runs only when they
 * do, so the pass is known at the first frame after the first one that
 * queued this tap; pieces verified before that are kept tentatively.
 *
 * Why incomplete files are not exported by a one-pass tshark: it writes the
 * objects in this tap's draw callback (ui/cli/tap-exportobject.c), called
 * from draw_tap_listeners() right after the last packet; no dissector
 * routine runs between the last packet and it in the one-pass path
 * (postseq cleanup routines run only after tshark's first of two passes,
 * init/cleanup routines when the capture is closed, after the draw), and
 * a draw callback of our own would run after tshark's (the listener list is
 * walked newest first and ours registers first).  An object handed over
 * earlier could not be withdrawn or renamed once the file completes.
 */
#include <string.h>

#include <epan/packet.h>
#include <epan/proto_data.h>
#include <epan/tap.h>
#include <epan/export_object.h>

#include "btpeer.h"
#include <wsutil/to_str.h>
#include "ws-compat.h"

/* Per-frame key of this file's records (packet-btpeer.c uses 0-2). */
#define BTPEER_KEY_EXPORT 10
/* Ranges named per kind in an incomplete object's name: the name is at
 * most EXPORT_OBJECT_MAXFILELEN (255) bytes; the rest is counted. */
#define NAME_RANGES 4

static int eo_tap = -1;

/* Whether this tap runs in the first pass (see above). */
typedef enum { EO_PASS_UNKNOWN = 0, EO_PASS_TAPPED, EO_PASS_UNTAPPED } eo_pass_t;
static eo_pass_t eo_pass;
static guint32 eo_first_queued;     /* first frame queueing this tap, first pass */
static wmem_array_t *eo_tentative;  /* eo_kept_t: kept while eo_pass is unknown */

typedef struct {
    btpeer_torrent_t *t;
    guint32           index;
} eo_kept_t;

typedef struct eo_event {
    btpeer_torrent_t *t;
    gint64            file;       /* -1: the .torrent */
    struct eo_event  *next;
} eo_event_t;

typedef struct {
    eo_event_t *events;           /* file scope, first pass */
} eo_frame_t;

typedef struct {
    eo_frame_t       *frame;
    btpeer_torrent_t *last;       /* this is the last frame of that torrent */
    gboolean          first_pass; /* dissected for the first time (taps run
                                     after the frame is marked visited) */
} eo_tap_t;

void btpeer_export_event(packet_info *pinfo, btpeer_torrent_t *t, gint64 file)
{
    eo_frame_t *fr = (eo_frame_t *)p_get_proto_data(wmem_file_scope(), pinfo, proto_btpeer, BTPEER_KEY_EXPORT);
    eo_event_t *ev = wmem_new(wmem_file_scope(), eo_event_t);

    if (!fr) {
        fr = wmem_new0(wmem_file_scope(), eo_frame_t);
        p_add_proto_data(wmem_file_scope(), pinfo, proto_btpeer, BTPEER_KEY_EXPORT, fr);
    }
    ev->t = t;
    ev->file = file;
    ev->next = fr->events;
    fr->events = ev;
}

/* The first pass reached a frame after the first one that queued this
 * tap: had taps run, eo_packet would have said so. */
static void eo_pass_resolve(packet_info *pinfo)
{
    guint i;

    if (eo_pass != EO_PASS_UNKNOWN || !eo_first_queued || pinfo->num == eo_first_queued)
        return;
    eo_pass = EO_PASS_UNTAPPED;
    for (i = 0; eo_tentative && i < wmem_array_get_count(eo_tentative); i++) {
        const eo_kept_t *k = (const eo_kept_t *)wmem_array_index(eo_tentative, i);
        btpeer_piece_unkeep(k->t, k->index);
    }
    eo_tentative = NULL;   /* file scope: freed with the capture */
}

gboolean btpeer_export_keep(packet_info *pinfo)
{
    eo_pass_resolve(pinfo);
    if (eo_pass == EO_PASS_UNKNOWN)
        return have_tap_listener(eo_tap);
    return eo_pass == EO_PASS_TAPPED;
}

void btpeer_export_tentative(btpeer_torrent_t *t, guint32 index)
{
    eo_kept_t k;

    if (eo_pass != EO_PASS_UNKNOWN)
        return;
    if (!eo_tentative)
        eo_tentative = wmem_array_new(wmem_file_scope(), sizeof(eo_kept_t));
    k.t = t;
    k.index = index;
    wmem_array_append_one(eo_tentative, k);
}

gboolean btpeer_export_wanted(void)
{
    return have_tap_listener(eo_tap);
}

static void eo_init(void)
{
    eo_pass = EO_PASS_UNKNOWN;
    eo_first_queued = 0;
    eo_tentative = NULL;
}

void btpeer_export_frame(btpeer_ctx_t *ctx)
{
    packet_info *pinfo = ctx->pinfo;
    btpeer_torrent_t *t = ctx->pdu->torrent;
    eo_tap_t *tap;

    if (!t)
        return;
    if (!PINFO_FD_VISITED(pinfo)) {
        t->last_frame = pinfo->num;
        eo_pass_resolve(pinfo);
        if (!eo_first_queued)
            eo_first_queued = pinfo->num;
    }
    tap = (eo_tap_t *)p_get_proto_data(pinfo->pool, pinfo, proto_btpeer, BTPEER_KEY_EXPORT);
    if (!tap) {
        tap = wmem_new0(pinfo->pool, eo_tap_t);
        p_add_proto_data(pinfo->pool, pinfo, proto_btpeer, BTPEER_KEY_EXPORT, tap);
        tap->frame = (eo_frame_t *)p_get_proto_data(wmem_file_scope(), pinfo, proto_btpeer, BTPEER_KEY_EXPORT);
        tap->first_pass = !PINFO_FD_VISITED(pinfo);
        tap_queue_packet(eo_tap, pinfo, tap);
    }
    if (!tap->frame)   /* events recorded by a later PDU of this frame */
        tap->frame = (eo_frame_t *)p_get_proto_data(wmem_file_scope(), pinfo, proto_btpeer, BTPEER_KEY_EXPORT);
    if (PINFO_FD_VISITED(pinfo) && t->last_frame == pinfo->num)
        tap->last = t;
}

static void add_entry(export_object_list_t *list, packet_info *pinfo, const btpeer_torrent_t *t,
                      const char *content_type, gchar *name, guint8 *data, size_t len)
{
    export_object_entry_t *e = g_new0(export_object_entry_t, 1);
    char hex[BT_INFO_HASH_HEX_LEN + 1];

    *bytes_to_hexstr(hex, t->info_hash, BT_INFO_HASH_LEN) = '\0';
    e->pkt_num = pinfo->num;
    e->hostname = g_strdup(hex);
    e->content_type = g_strdup(content_type);
    e->filename = name;
    e->payload_len = len;
    e->payload_data = data;
    list->add_entry(list->gui_data, e);
}

static void export_torrent(export_object_list_t *list, packet_info *pinfo, const btpeer_torrent_t *t)
{
    size_t len = t->info_len + 8;
    guint8 *d = (guint8 *)g_malloc(len);

    memcpy(d, "d4:info", 7);
    memcpy(d + 7, t->info_bytes, t->info_len);
    d[len - 1] = 'e';
    add_entry(list, pinfo, t, "application/x-bittorrent", g_strdup_printf("%s.torrent", t->info.name), d, len);
}

/* Copies the kept bytes of file f into buf (zeros where not kept; NULL:
 * only measure) and returns the end of the last byte kept.  The object is
 * never longer than that: a hostile torrent may announce any file length,
 * but kept bytes are bounded (KEEP_MAX, btpeer-pieces.c). */
static guint64 file_bytes(const btpeer_torrent_t *t, size_t f, guint8 *buf)
{
    const bt_tfile_t *tf = &t->info.files[f];
    guint64 plen = t->info.piece_length, pos = tf->offset, end = tf->offset + tf->length, last = 0;

    while (pos < end) {
        guint32 p = (guint32)(pos / plen);
        guint64 pend = MIN(((guint64)p + 1) * plen, end);
        const guint8 *data = btpeer_piece_bytes(t, p);
        if (data) {
            if (buf)
                memcpy(buf + (pos - tf->offset), data + (pos - (guint64)p * plen), (size_t)(pend - pos));
            last = pend - tf->offset;
        }
        pos = pend;
    }
    return last;
}

/* " missing a-b,c-d" for the file's bytes in pieces of the wanted kinds. */
static void name_ranges(wmem_strbuf_t *sb, const btpeer_torrent_t *t, size_t f, gboolean failed)
{
    const bt_tfile_t *tf = &t->info.files[f];
    guint64 plen = t->info.piece_length, pos = tf->offset, end = tf->offset + tf->length;
    guint64 run_lo = 0;
    gboolean in_run = FALSE;
    guint named = 0, more = 0;

    while (pos <= end) {
        guint32 p = (guint32)(pos / plen);
        guint64 pend = pos < end ? MIN(((guint64)p + 1) * plen, end) : end;
        gboolean bad = pos < end &&
            (failed ? t->piece_state[p] == BTPEER_PIECE_FAILED
                    : t->piece_state[p] != BTPEER_PIECE_FAILED && !btpeer_piece_bytes(t, p));
        if (bad && !in_run) {
            run_lo = pos;
            in_run = TRUE;
        } else if (!bad && in_run) {
            in_run = FALSE;
            if (named < NAME_RANGES) {
                wmem_strbuf_append_printf(sb, "%s%" G_GUINT64_FORMAT "-%" G_GUINT64_FORMAT,
                                          named ? "," : (failed ? " failed " : " missing "),
                                          run_lo - tf->offset, pos - tf->offset - 1);
                named++;
            } else {
                more++;
            }
        }
        if (pos == end)
            break;
        pos = pend;
    }
    if (more)
        wmem_strbuf_append_printf(sb, "+%u more", more);
}

/* Whether every piece of file f is at hand (verified and its bytes kept). */
static gboolean file_whole(const btpeer_torrent_t *t, size_t f)
{
    const bt_tfile_t *tf = &t->info.files[f];
    guint64 plen = t->info.piece_length, p;

    if (tf->length == 0)
        return TRUE;
    for (p = tf->offset / plen; p <= (tf->offset + tf->length - 1) / plen; p++)
        if (!btpeer_piece_bytes(t, (guint32)p))
            return FALSE;
    return TRUE;
}

static void export_file(export_object_list_t *list, packet_info *pinfo, const btpeer_torrent_t *t, size_t f)
{
    const bt_tfile_t *tf = &t->info.files[f];
    guint64 last = file_bytes(t, f, NULL);
    guint8 *buf = (guint8 *)g_malloc0(last ? (gsize)last : 1);
    wmem_strbuf_t *sb;

    file_bytes(t, f, buf);
    if (file_whole(t, f)) {   /* last is the file's length */
        add_entry(list, pinfo, t, "application/octet-stream", g_strdup(tf->path), buf, (size_t)last);
        return;
    }
    sb = wmem_strbuf_new(pinfo->pool, tf->path);
    wmem_strbuf_append(sb, ".incomplete");
    name_ranges(sb, t, f, FALSE);
    name_ranges(sb, t, f, TRUE);
    add_entry(list, pinfo, t, "application/octet-stream", g_strdup(wmem_strbuf_get_str(sb)), buf, (size_t)last);
}

static tap_packet_status eo_packet(void *tapdata, packet_info *pinfo, epan_dissect_t *edt _U_, const void *data,
                                   tap_flags_t flags _U_)
{
    export_object_list_t *list = (export_object_list_t *)tapdata;
    const eo_tap_t *tap = (const eo_tap_t *)data;
    const eo_event_t *ev;
    gboolean any = FALSE;
    size_t f;

    if (tap->first_pass) {
        eo_pass = EO_PASS_TAPPED;   /* this first pass is read: keep what it verifies */
        eo_tentative = NULL;
    }
    for (ev = tap->frame ? tap->frame->events : NULL; ev; ev = ev->next) {
        if (ev->file < 0)
            export_torrent(list, pinfo, ev->t);
        else
            export_file(list, pinfo, ev->t, (size_t)ev->file);
        any = TRUE;
    }
    if (tap->last && tap->last->piece_state) {
        for (f = 0; f < tap->last->info.n_files; f++) {
            const bt_tfile_t *tf = &tap->last->info.files[f];
            if (!tf->pad && !tap->last->file_done[f]) {
                export_file(list, pinfo, tap->last, f);
                any = TRUE;
            }
        }
    }
    return any ? TAP_PACKET_REDRAW : TAP_PACKET_DONT_REDRAW;
}

void btpeer_register_export(int proto)
{
    eo_tap = register_export_object(proto, eo_packet, NULL);
    register_init_routine(eo_init);
}
