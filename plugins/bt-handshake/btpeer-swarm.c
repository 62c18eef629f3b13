/* btpeer-swarm.c
 * The swarm model (issue 10 item 5; btpeer-swarm.h): the "btpeer" tap
 * records (btpeer-tap.h) folded, in frame order, into what each side of each
 * peer-wire connection (BEP 3 over TCP or uTP, BEP 29) sent and said:
 * transport, client (BEP 20 peer id, else the BEP 10 "v"), piece data, what
 * it has (bitfield / have / BEP 6 have all), chokes, unchokes, cancels, its
 * longest request pipeline, the pieces from it that were verified / failed;
 * and per info hash (that of the connection's first handshake), the sums.
 * Views: btpeer-swarm-text.c (tshark text reports), btpeer-swarm-table.c
 * (GUI tables).
 *
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
#include <string.h>

#include <epan/packet.h>
#include <epan/to_str.h>

#include "btpeer.h"
#include "btpeer-swarm.h"
#include "bt-discovery.h"
#include "peerid.h"
#include "peerwire.h"
#include "ws-compat.h"

/* The have bitmap of one side covers piece indexes below this: 4 Mi pieces
 * (512 KiB of bitmap) is a 64 GiB torrent in 16 KiB pieces, 4 TiB in the
 * 1 MiB pieces such torrents use; a have beyond it is not counted. */
#define SWARM_MAX_PIECES (1u << 22)

static void side_free(swarm_side_t *s)
{
    g_free(s->endpoint);
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

static void torrent_free(gpointer p)
{
    swarm_torrent_t *tr = (swarm_torrent_t *)p;
    g_hash_table_destroy(tr->peers);
    g_free(tr->key);
    g_free(tr->name);
    g_free(tr);
}

swarm_t *swarm_new(void)
{
    swarm_t *sw = g_new0(swarm_t, 1);
    sw->by_conn = g_hash_table_new(g_direct_hash, g_direct_equal);
    sw->conns = g_ptr_array_new_with_free_func(conn_free);
    sw->by_hash = g_hash_table_new(g_str_hash, g_str_equal);
    sw->torrents = g_ptr_array_new_with_free_func(torrent_free);
    return sw;
}

void swarm_clear(swarm_t *sw)
{
    g_hash_table_remove_all(sw->by_conn);
    g_ptr_array_set_size(sw->conns, 0);
    g_hash_table_remove_all(sw->by_hash);
    g_ptr_array_set_size(sw->torrents, 0);
    sw->dropped = 0;
}

void swarm_free(swarm_t *sw)
{
    if (!sw)
        return;
    g_hash_table_destroy(sw->by_conn);
    g_ptr_array_free(sw->conns, TRUE);
    g_hash_table_destroy(sw->by_hash);
    g_ptr_array_free(sw->torrents, TRUE);
    g_free(sw);
}

static void set_endpoint(swarm_side_t *s, const address *addr, guint32 port)
{
    char *a;
    if (s->endpoint)
        return;
    a = address_to_str(NULL, addr);
    s->endpoint = addr->type == AT_IPv6 ? g_strdup_printf("[%s]:%u", a, port) : g_strdup_printf("%s:%u", a, port);
    wmem_free(NULL, a);
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

static void handshake(swarm_conn_t *c, swarm_side_t *s, const btpeer_tap_t *t)
{
    bt_peerid_info_t id;

    /* a connection belongs to the info hash of its first handshake (the
     * two sides of a v1+v2 hybrid may send the v1 and the truncated v2) */
    if (t->info_hash && !c->have_hash) {
        memcpy(c->hash, t->info_hash, BT_INFO_HASH_LEN);
        c->have_hash = TRUE;
    }
    if (t->peer_id && !s->client && bt_peerid_parse(t->peer_id, &id) != BT_PEERID_UNKNOWN)
        s->client = g_strdup_printf("%s%s%s", id.client, id.version[0] ? " " : "", id.version);
    if (!c->found_by)
        c->found_by = t->peer_source;
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

static swarm_conn_t *conn_for(swarm_t *sw, const btpeer_tap_t *t, gboolean *is_new)
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
    *is_new = TRUE;
    return c;
}

/* ---- per-torrent sums ---- */

static swarm_torrent_t *torrent_for(swarm_t *sw, const swarm_conn_t *c, gboolean *is_new)
{
    char key[2 * BT_INFO_HASH_LEN + 1];
    swarm_torrent_t *tr;
    int i;

    if (c->have_hash) {
        for (i = 0; i < BT_INFO_HASH_LEN; i++)
            g_snprintf(key + 2 * i, 3, "%02x", c->hash[i]);
    } else {
        g_strlcpy(key, SWARM_NO_HASH, sizeof key);
    }
    tr = (swarm_torrent_t *)g_hash_table_lookup(sw->by_hash, key);
    if (!tr) {
        tr = g_new0(swarm_torrent_t, 1);
        tr->key = g_strdup(key);
        tr->index = sw->torrents->len + 1;
        tr->peers = g_hash_table_new_full(g_str_hash, g_str_equal, g_free, NULL);
        g_hash_table_insert(sw->by_hash, tr->key, tr);
        g_ptr_array_add(sw->torrents, tr);
        *is_new = TRUE;
    }
    return tr;
}

typedef struct {
    guint64 bytes;
    guint32 verified, failed;
} swarm_sums_t;

static swarm_sums_t conn_sums(const swarm_conn_t *c)
{
    swarm_sums_t s;
    s.bytes = c->side[0].piece_bytes + c->side[1].piece_bytes;
    s.verified = c->side[0].verified + c->side[1].verified;
    s.failed = c->side[0].failed + c->side[1].failed;
    return s;
}

/* Adds (sign 1) or takes away (-1) a connection's sides as peers of tr. */
static void count_peers(swarm_torrent_t *tr, const swarm_conn_t *c, int sign)
{
    int p;
    for (p = 0; p < 2; p++) {
        const char *ep = swarm_endpoint(&c->side[p]);
        guint n = GPOINTER_TO_UINT(g_hash_table_lookup(tr->peers, ep));
        if (sign > 0)
            g_hash_table_insert(tr->peers, g_strdup(ep), GUINT_TO_POINTER(n + 1));
        else if (n > 1)
            g_hash_table_insert(tr->peers, g_strdup(ep), GUINT_TO_POINTER(n - 1));
        else
            g_hash_table_remove(tr->peers, ep);
    }
}

/* Moves the sums of c (before: as they were before this record) to the
 * torrent of its info hash when that changed (the first handshake of a
 * connection first counted without one), else adds this record's share. */
static void torrent_update(swarm_t *sw, swarm_conn_t *c, swarm_sums_t before, swarm_change_t *ch)
{
    swarm_sums_t now = conn_sums(c);
    swarm_torrent_t *tr = torrent_for(sw, c, &ch->new_torrent);

    if (c->torrent != tr) {
        if (c->torrent) {
            swarm_torrent_t *old = c->torrent;
            old->conns--;
            old->bytes -= before.bytes;
            old->verified -= before.verified;
            old->failed -= before.failed;
            count_peers(old, c, -1);
            ch->old_torrent = old;
        }
        c->torrent = tr;
        tr->conns++;
        count_peers(tr, c, 1);
        before.bytes = before.verified = before.failed = 0;
    }
    tr->bytes += now.bytes - before.bytes;
    tr->verified += now.verified - before.verified;
    tr->failed += now.failed - before.failed;
    if (c->torrent_pieces && !tr->pieces) {
        tr->pieces = c->torrent_pieces;
        tr->size = c->torrent_size;
        tr->name = g_strdup(c->torrent_name);
    }
    ch->torrent = tr;
}

swarm_change_t swarm_add(swarm_t *sw, packet_info *pinfo, const btpeer_tap_t *t)
{
    swarm_change_t ch;
    swarm_conn_t *c;
    swarm_side_t *s, *o;
    swarm_sums_t before;

    memset(&ch, 0, sizeof ch);
    if (!t || t->dir < 0 || t->dir > 1 || !(c = conn_for(sw, t, &ch.new_conn)))
        return ch;
    before = conn_sums(c);
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
    if (t->kind == BTPEER_TAP_HANDSHAKE)
        handshake(c, s, t);
    else if (t->kind == BTPEER_TAP_ENCRYPTED)
        c->encrypted = TRUE;
    else if (t->kind == BTPEER_TAP_MESSAGE || t->kind == BTPEER_TAP_PARTIAL)
        message(s, o, t);
    ch.conn = c;
    torrent_update(sw, c, before, &ch);
    return ch;
}

/* ---- what the views show ---- */

const char *swarm_endpoint(const swarm_side_t *s)
{
    return s->endpoint ? s->endpoint : "?";
}

const char *swarm_client(const swarm_side_t *s)
{
    return s->client ? s->client : s->ext_v ? s->ext_v : "?";
}

void swarm_flags(const swarm_conn_t *c, int p, char out[16])
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
char *swarm_have(const swarm_conn_t *c, const swarm_side_t *s)
{
    guint32 total = c->torrent_pieces ? c->torrent_pieces : s->bits_len;

    if (s->have_all)
        return g_strdup("100%");
    if (total)
        return g_strdup_printf("%u%%", (guint)MIN(100, (guint64)s->have_count * 100 / total));
    return g_strdup_printf("%u/?", s->have_count);
}
