/* btpeer-swarm.c
 * The swarm view (issue 10 item 5): two text reports built from the
 * "btpeer" tap (btpeer-tap.h), for tshark:
 *
 *   -z btpeer_peers,tree[,filter]     one row per side of each peer-wire
 *       connection (BEP 3 over TCP or uTP, BEP 29): the peer, the side that
 *       saw it, transport, client (BEP 20 peer id, else the BEP 10 "v"),
 *       Transmission's flag letters, piece data each way, what the peer said
 *       it has (bitfield / have / BEP 6 have all), chokes and unchokes it
 *       sent, its longest request pipeline, its cancels, and the pieces it
 *       sent that were verified / failed;
 *   -z btpeer_torrents,tree[,filter]  one row per info hash: connections,
 *       distinct peer endpoints, piece data, verified / failed pieces.
 *
 * The listener accumulates everything itself from the records in frame
 * order, so one-pass tshark, two-pass tshark and a GUI retap agree.
 * Flag letters (Transmission's peer list, seen from the other side V of the
 * connection about the peer P), those a capture can show:
 *   D  P sent piece data to V          d  V was interested, got no data
 *   U  V sent piece data to P          u  P was interested, got no data
 *   K  P unchoked V, V never interested
 *   ?  V unchoked P, P never interested
 *   E  the connection is MSE/PE encrypted (RC4 bytes seen; an MSE exchange
 *      that selected plaintext is not E)
 *   I  P opened the connection (uTP or TCP SYN; without the SYN in the
 *      capture, P's bytes came first): an incoming connection for V
 *   T  uTP
 *   H  P is the listening side and a DHT get_peers answer (btdht, BEP 5)
 *      named its endpoint before the connection (the discovery store)
 * Not derivable here: O (optimistic unchoke is the choker's private
 * decision, the wire shows an unchoke either way), X (the discovery store
 * records LSD, tracker and DHT answers, not ut_pex).
 */
#include <stdio.h>

#include <epan/packet.h>
#include <epan/tap.h>
#include <epan/stat_tap_ui.h>
#include <epan/to_str.h>
#include <wsutil/bits_count_ones.h>

#include "btpeer.h"
#include "btpeer-tap.h"
#include "bt-discovery.h"
#include "peerid.h"
#include "peerwire.h"
#include "ws-compat.h"

/* At most this many connections get a row; later ones are counted in one
 * line.  100,000 rows is far beyond a readable report and bounds the
 * listener's memory (a few hundred bytes per connection plus bitmaps). */
#define SWARM_MAX_CONNS 100000u
/* The have bitmap of one side covers piece indexes below this: 4 Mi pieces
 * (512 KiB of bitmap) is a 64 GiB torrent in 16 KiB pieces, 4 TiB in the
 * 1 MiB pieces such torrents use; a have beyond it is not counted. */
#define SWARM_MAX_PIECES (1u << 22)

typedef struct {
    address  addr;
    guint16  port;
    gboolean known;              /* addr/port set                                */
    char    *client;             /* from the peer id (g_malloc), or NULL         */
    char    *ext_v;              /* BEP 10 "v" (g_malloc), or NULL               */
    guint8   info_hash[BT_INFO_HASH_LEN];
    gboolean have_hash;
    guint64  piece_bytes;        /* block data this side sent                    */
    guint    chokes, unchokes, cancels;
    gboolean interested;         /* sent Interested at least once                */
    guint    outstanding;        /* its requests not answered or cancelled yet   */
    guint    max_pipeline;
    gboolean have_all;
    guint8  *have;               /* bitmap of pieces it announced (g_malloc)     */
    guint32  have_bytes;         /* size of that bitmap                          */
    guint32  have_count;
    guint32  bits_len;           /* bits of its bitfield message, or 0           */
    guint32  verified, failed;
} swarm_side_t;

typedef struct {
    const void  *key;
    guint        index;          /* 1-based, in order of first PDU                */
    gboolean     utp, mse, encrypted;
    int          first_dir;      /* the side whose PDU came first                 */
    int          initiator;      /* the side that sent the SYN, or -1             */
    const char  *found_by;       /* discovery source of the listener's endpoint
                                    (static BT_DISCOVERY_SOURCE_* string), or NULL */
    swarm_side_t side[2];
    guint32      torrent_pieces; /* from metadata, once known (btpeer-tap.h)      */
    char        *torrent_name;
    guint64      torrent_size;
} swarm_conn_t;

typedef enum { SWARM_PEERS, SWARM_TORRENTS } swarm_report_t;

typedef struct {
    swarm_report_t report;
    GHashTable    *by_conn;      /* conn key -> swarm_conn_t *                    */
    GPtrArray     *conns;        /* swarm_conn_t *, in order of first PDU         */
    guint          dropped;      /* connections past SWARM_MAX_CONNS              */
    char          *filter;
} swarm_t;

static void side_free(swarm_side_t *s)
{
    free_address(&s->addr);
    g_free(s->client);
    g_free(s->ext_v);
    g_free(s->have);
}

static void conn_free(gpointer p)
{
    swarm_conn_t *c = (swarm_conn_t *)p;
    side_free(&c->side[0]);
    side_free(&c->side[1]);
    g_free(c->torrent_name);
    g_free(c);
}

static void swarm_reset(void *tapdata)
{
    swarm_t *sw = (swarm_t *)tapdata;
    g_hash_table_remove_all(sw->by_conn);
    g_ptr_array_set_size(sw->conns, 0);
    sw->dropped = 0;
}

static void set_endpoint(swarm_side_t *s, const address *addr, guint32 port)
{
    if (s->known)
        return;
    copy_address(&s->addr, addr);
    s->port = (guint16)port;
    s->known = TRUE;
}

static void have_piece(swarm_side_t *s, guint32 index)
{
    guint32 byte = index / 8;
    guint8 bit = (guint8)(0x80u >> (index % 8));

    if (index >= SWARM_MAX_PIECES)
        return;
    if (byte >= s->have_bytes) {
        guint32 n = MAX(byte + 1, s->have_bytes * 2);
        n = MIN(n, SWARM_MAX_PIECES / 8);
        s->have = (guint8 *)g_realloc(s->have, n);
        memset(s->have + s->have_bytes, 0, n - s->have_bytes);
        s->have_bytes = n;
    }
    if (!(s->have[byte] & bit)) {
        s->have[byte] |= bit;
        s->have_count++;
    }
}

static void bitfield(swarm_side_t *s, const btpeer_tap_t *t)
{
    guint32 i, n = MIN(t->bits_len, SWARM_MAX_PIECES);

    s->bits_len = t->bits_len;
    for (i = 0; i < n; i++) {
        if (t->bitfield[i / 8] & (0x80u >> (i % 8)))
            have_piece(s, i);
    }
}

static void handshake(swarm_side_t *s, const btpeer_tap_t *t)
{
    bt_peerid_info_t id;

    if (t->info_hash && !s->have_hash) {
        memcpy(s->info_hash, t->info_hash, BT_INFO_HASH_LEN);
        s->have_hash = TRUE;
    }
    if (t->peer_id && !s->client && bt_peerid_parse(t->peer_id, &id) != BT_PEERID_UNKNOWN)
        s->client = g_strdup_printf("%s%s%s", id.client, id.version[0] ? " " : "", id.version);
}

/* One message of side s (o: the other side). */
static void message(swarm_side_t *s, swarm_side_t *o, const btpeer_tap_t *t)
{
    switch (t->msg_id) {
    case BT_MSG_CHOKE:         s->chokes++; break;
    case BT_MSG_UNCHOKE:       s->unchokes++; break;
    case BT_MSG_INTERESTED:    s->interested = TRUE; break;
    case BT_MSG_HAVE:          have_piece(s, t->index); break;
    case BT_MSG_HAVE_ALL:      s->have_all = TRUE; break;
    case BT_MSG_BITFIELD:      if (t->bitfield) bitfield(s, t); break;
    case BT_MSG_REQUEST:
        s->outstanding++;
        s->max_pipeline = MAX(s->max_pipeline, s->outstanding);
        break;
    case BT_MSG_PIECE:
        s->piece_bytes += t->length;
        if (o->outstanding)
            o->outstanding--;
        break;
    case BT_MSG_REJECT:
        if (o->outstanding)
            o->outstanding--;
        break;
    case BT_MSG_CANCEL:
        s->cancels++;
        if (s->outstanding)
            s->outstanding--;
        break;
    default:
        break;
    }
}

static swarm_conn_t *conn_for(swarm_t *sw, const btpeer_tap_t *t)
{
    swarm_conn_t *c = (swarm_conn_t *)g_hash_table_lookup(sw->by_conn, t->conn);

    if (c || sw->conns->len >= SWARM_MAX_CONNS) {
        if (!c)
            sw->dropped++;
        return c;
    }
    c = g_new0(swarm_conn_t, 1);
    c->key = t->conn;
    c->index = sw->conns->len + 1;
    c->first_dir = t->dir;
    c->initiator = -1;
    g_hash_table_insert(sw->by_conn, (gpointer)t->conn, c);
    g_ptr_array_add(sw->conns, c);
    return c;
}

static tap_packet_status swarm_packet(void *tapdata, packet_info *pinfo, epan_dissect_t *edt _U_,
                                      const void *data, tap_flags_t flags _U_)
{
    swarm_t *sw = (swarm_t *)tapdata;
    const btpeer_tap_t *t = (const btpeer_tap_t *)data;
    swarm_conn_t *c;
    swarm_side_t *s, *o;

    if (!t || t->dir < 0 || t->dir > 1 || !(c = conn_for(sw, t)))
        return TAP_PACKET_DONT_REDRAW;
    s = &c->side[t->dir];
    o = &c->side[1 - t->dir];
    set_endpoint(s, &pinfo->src, pinfo->srcport);
    set_endpoint(o, &pinfo->dst, pinfo->destport);
    c->utp |= t->utp;
    if (c->initiator < 0)
        c->initiator = t->initiator;
    c->mse |= t->mse;
    if (t->ext_v && !s->ext_v)
        s->ext_v = g_strdup(t->ext_v);
    s->verified += t->pieces_verified;
    s->failed += t->pieces_failed;
    if (t->torrent_pieces && !c->torrent_pieces) {
        c->torrent_pieces = t->torrent_pieces;
        c->torrent_size = t->torrent_size;
        c->torrent_name = g_strdup(t->torrent_name);
    }
    if (t->kind == BTPEER_TAP_HANDSHAKE) {
        handshake(s, t);
        if (!c->found_by)
            c->found_by = t->peer_source;
    }
    else if (t->kind == BTPEER_TAP_ENCRYPTED)
        c->encrypted = TRUE;
    else if (t->kind == BTPEER_TAP_MESSAGE || t->kind == BTPEER_TAP_PARTIAL)
        message(s, o, t);
    return TAP_PACKET_REDRAW;
}

/* ---- the reports ---- */

static char *endpoint_str(const swarm_side_t *s)
{
    char *a, *r;
    if (!s->known)
        return g_strdup("?");
    a = address_to_str(NULL, &s->addr);
    r = s->addr.type == AT_IPv6 ? g_strdup_printf("[%s]:%u", a, s->port) : g_strdup_printf("%s:%u", a, s->port);
    wmem_free(NULL, a);
    return r;
}

/* Transmission's letters for peer p as side v saw it (see the top). */
static void flags_str(const swarm_conn_t *c, int p, char out[16])
{
    const swarm_side_t *ps = &c->side[p], *vs = &c->side[1 - p];
    int n = 0;

    if (ps->piece_bytes)
        out[n++] = 'D';
    else if (vs->interested)
        out[n++] = 'd';
    if (vs->piece_bytes)
        out[n++] = 'U';
    else if (ps->interested)
        out[n++] = 'u';
    if (ps->unchokes && !vs->interested)
        out[n++] = 'K';
    if (vs->unchokes && !ps->interested)
        out[n++] = '?';
    if (c->encrypted)
        out[n++] = 'E';
    if (p == (c->initiator >= 0 ? c->initiator : c->first_dir))
        out[n++] = 'I';
    else if (c->found_by && strcmp(c->found_by, BT_DISCOVERY_SOURCE_DHT) == 0)
        out[n++] = 'H';
    if (c->utp)
        out[n++] = 'T';
    if (!n)
        out[n++] = '-';
    out[n] = '\0';
}

/* What side s said it has: a percentage of the piece count (from the
 * metadata, else the bits of its bitfield: an upper bound that counts the
 * spare bits of the last byte; have all: 100%), or "N/?" (N pieces of an
 * unknown count) when neither is known. */
static char *have_str(const swarm_conn_t *c, const swarm_side_t *s)
{
    guint32 total = c->torrent_pieces ? c->torrent_pieces : s->bits_len;

    if (s->have_all)
        return g_strdup("100%");
    if (total)
        return g_strdup_printf("%u%%", (guint)MIN(100, (guint64)s->have_count * 100 / total));
    return g_strdup_printf("%u/?", s->have_count);
}

static void print_peers(const swarm_t *sw)
{
    guint i;
    int p;

    printf("\n===================================================================\n");
    printf("BitTorrent peers: each side of each peer-wire connection, as the other side saw it\n");
    printf("Flags: D/d downloading from peer / interested, U/u uploading to peer / peer interested,\n"
           "K peer unchoked us, not interested, ? we unchoked peer, not interested, E encrypted,\n"
           "I incoming (peer spoke first), H found by DHT, T uTP.  Down/Up: piece data bytes from/to the peer;\n"
           "Have: what the peer announced; Chokes..Cancels: messages the peer sent; Pipeline: the\n"
           "peer's longest run of unanswered requests; Verified/Failed: pieces from the peer.\n");
    if (sw->filter)
        printf("Filter: %s\n", sw->filter);
    printf("%-5s %-28s %-28s %-5s %-28s %-7s %10s %10s %9s %6s %8s %8s %7s %8s %6s\n", "Conn", "Peer", "Seen by",
           "Tr", "Client", "Flags", "Down", "Up", "Have", "Chokes", "Unchokes", "Pipeline", "Cancels", "Verified",
           "Failed");
    for (i = 0; i < sw->conns->len; i++) {
        const swarm_conn_t *c = (const swarm_conn_t *)g_ptr_array_index(sw->conns, i);
        for (p = 0; p < 2; p++) {
            const swarm_side_t *ps = &c->side[p], *vs = &c->side[1 - p];
            char flags[16];
            char *peer = endpoint_str(ps), *seen = endpoint_str(vs), *have = have_str(c, ps);
            const char *client = ps->client ? ps->client : ps->ext_v ? ps->ext_v : "?";
            flags_str(c, p, flags);
            printf("%-5u %-28s %-28s %-5s %-28s %-7s %10" G_GUINT64_FORMAT " %10" G_GUINT64_FORMAT
                   " %9s %6u %8u %8u %7u %8u %6u\n", c->index, peer, seen, c->utp ? "uTP" : "TCP", client,
                   flags, ps->piece_bytes, vs->piece_bytes, have, ps->chokes, ps->unchokes, ps->max_pipeline,
                   ps->cancels, ps->verified, ps->failed);
            g_free(peer);
            g_free(seen);
            g_free(have);
        }
    }
    if (sw->dropped)
        printf("(%u more connections not listed: more than %u)\n", sw->dropped, SWARM_MAX_CONNS);
    printf("===================================================================\n");
}

/* One row of the torrents report. */
typedef struct {
    const swarm_conn_t *first;   /* the first connection for it                 */
    guint    conns;
    GHashTable *peers;           /* endpoint strings (owned)                    */
    guint64  bytes;
    guint32  verified, failed;
} swarm_torrent_t;

static void torrent_free(gpointer p)
{
    swarm_torrent_t *tr = (swarm_torrent_t *)p;
    g_hash_table_destroy(tr->peers);
    g_free(tr);
}

static char *hex_str(const guint8 *b)
{
    char *s = (char *)g_malloc(2 * BT_INFO_HASH_LEN + 1);
    int i;
    for (i = 0; i < BT_INFO_HASH_LEN; i++)
        g_snprintf(s + 2 * i, 3, "%02x", b[i]);
    return s;
}

static void print_torrents(const swarm_t *sw)
{
    GHashTable *by_hash = g_hash_table_new_full(g_str_hash, g_str_equal, g_free, torrent_free);
    GPtrArray *order = g_ptr_array_new();
    guint i;
    int p;

    for (i = 0; i < sw->conns->len; i++) {
        const swarm_conn_t *c = (const swarm_conn_t *)g_ptr_array_index(sw->conns, i);
        /* a connection belongs to the info hash of its first handshake (the
         * two sides of a v1+v2 hybrid may send the v1 and the truncated v2) */
        const swarm_side_t *h = c->side[0].have_hash ? &c->side[0] : c->side[1].have_hash ? &c->side[1] : NULL;
        char *key = h ? hex_str(h->info_hash) : g_strdup("(no handshake seen)");
        swarm_torrent_t *tr;
        tr = (swarm_torrent_t *)g_hash_table_lookup(by_hash, key);
        if (!tr) {
            tr = g_new0(swarm_torrent_t, 1);
            tr->first = c;
            tr->peers = g_hash_table_new_full(g_str_hash, g_str_equal, g_free, NULL);
            g_hash_table_insert(by_hash, key, tr);
            g_ptr_array_add(order, key);
        } else {
            g_free(key);
        }
        tr->conns++;
        for (p = 0; p < 2; p++) {
            tr->bytes += c->side[p].piece_bytes;
            tr->verified += c->side[p].verified;
            tr->failed += c->side[p].failed;
            g_hash_table_add(tr->peers, endpoint_str(&c->side[p]));
        }
    }
    printf("\n===================================================================\n");
    printf("BitTorrent torrents: one row per info hash of the handshakes\n");
    if (sw->filter)
        printf("Filter: %s\n", sw->filter);
    printf("%-40s %-24s %12s %7s %11s %6s %12s %8s %6s\n", "Info hash", "Name", "Size", "Pieces", "Connections",
           "Peers", "Piece bytes", "Verified", "Failed");
    for (i = 0; i < order->len; i++) {
        const char *key = (const char *)g_ptr_array_index(order, i);
        const swarm_torrent_t *tr = (const swarm_torrent_t *)g_hash_table_lookup(by_hash, key);
        const swarm_conn_t *c = tr->first;
        char size[24] = "-", pieces[16] = "-";
        if (c->torrent_pieces) {
            g_snprintf(size, sizeof size, "%" G_GUINT64_FORMAT, c->torrent_size);
            g_snprintf(pieces, sizeof pieces, "%u", c->torrent_pieces);
        }
        printf("%-40s %-24s %12s %7s %11u %6u %12" G_GUINT64_FORMAT " %8u %6u\n", key,
               c->torrent_name ? c->torrent_name : "-", size, pieces, tr->conns,
               g_hash_table_size(tr->peers), tr->bytes, tr->verified, tr->failed);
    }
    if (sw->dropped)
        printf("(%u more connections not counted: more than %u)\n", sw->dropped, SWARM_MAX_CONNS);
    printf("===================================================================\n");
    g_ptr_array_free(order, TRUE);
    g_hash_table_destroy(by_hash);
}

static void swarm_draw(void *tapdata)
{
    const swarm_t *sw = (const swarm_t *)tapdata;
    if (sw->report == SWARM_PEERS)
        print_peers(sw);
    else
        print_torrents(sw);
}

static void swarm_finish(void *tapdata)
{
    swarm_t *sw = (swarm_t *)tapdata;
    g_hash_table_destroy(sw->by_conn);
    g_ptr_array_free(sw->conns, TRUE);
    g_free(sw->filter);
    g_free(sw);
}

static gboolean swarm_init(const char *opt_arg, const char *prefix, swarm_report_t report)
{
    swarm_t *sw = g_new0(swarm_t, 1);
    size_t n = strlen(prefix);
    GString *err;

    sw->report = report;
    sw->by_conn = g_hash_table_new(g_direct_hash, g_direct_equal);
    sw->conns = g_ptr_array_new_with_free_func(conn_free);
    if (opt_arg && strncmp(opt_arg, prefix, n) == 0 && opt_arg[n] == ',' && opt_arg[n + 1])
        sw->filter = g_strdup(opt_arg + n + 1);
    err = register_tap_listener("btpeer", sw, sw->filter, TL_REQUIRES_NOTHING, swarm_reset, swarm_packet,
                                swarm_draw, swarm_finish);
    if (err) {
        fprintf(stderr, "tshark: couldn't register %s tap: %s\n", prefix, err->str);
        g_string_free(err, TRUE);
        swarm_finish(sw);
        return FALSE;
    }
    return TRUE;
}

static bt_stat_init_ret peers_init(const char *opt_arg, void *userdata _U_)
{
    BT_STAT_INIT_RETURN(swarm_init(opt_arg, "btpeer_peers,tree", SWARM_PEERS));
}

static bt_stat_init_ret torrents_init(const char *opt_arg, void *userdata _U_)
{
    BT_STAT_INIT_RETURN(swarm_init(opt_arg, "btpeer_torrents,tree", SWARM_TORRENTS));
}

void btpeer_register_swarm(void)
{
    static stat_tap_ui peers_ui = { REGISTER_STAT_GROUP_GENERIC, "BitTorrent Peers", "btpeer_peers,tree",
                                    peers_init, 0, NULL };
    static stat_tap_ui torrents_ui = { REGISTER_STAT_GROUP_GENERIC, "BitTorrent Torrents",
                                       "btpeer_torrents,tree", torrents_init, 0, NULL };

    register_stat_tap_ui(&peers_ui, NULL);
    register_stat_tap_ui(&torrents_ui, NULL);
}
