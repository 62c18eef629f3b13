/* btpeer-swarm-text.c
 * The swarm view (issue 10 item 5) as text reports for tshark, drawn from
 * the swarm model (btpeer-swarm.h, which says what the flag letters mean):
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
 * The same content as GUI tables: btpeer-swarm-table.c.
 */
#include <stdio.h>

#include <epan/packet.h>
#include <epan/tap.h>
#include <epan/stat_tap_ui.h>

#include "btpeer.h"
#include "btpeer-swarm.h"
#include "ws-compat.h"

typedef enum { SWARM_PEERS, SWARM_TORRENTS } swarm_report_t;

typedef struct {
    swarm_report_t report;
    swarm_t       *model;
    char          *filter;
} swarm_text_t;

static void text_reset(void *tapdata)
{
    swarm_clear(((swarm_text_t *)tapdata)->model);
}

static tap_packet_status text_packet(void *tapdata, packet_info *pinfo, epan_dissect_t *edt _U_,
                                     const void *data, tap_flags_t flags _U_)
{
    swarm_text_t *st = (swarm_text_t *)tapdata;
    swarm_change_t ch = swarm_add(st->model, pinfo, (const btpeer_tap_t *)data);
    return ch.conn ? TAP_PACKET_REDRAW : TAP_PACKET_DONT_REDRAW;
}

static void print_peers(const swarm_text_t *st)
{
    const swarm_t *sw = st->model;
    guint i;
    int p;

    printf("\n===================================================================\n");
    printf("BitTorrent peers: each side of each peer-wire connection, as the other side saw it\n");
    printf("Flags: D/d downloading from peer / interested, U/u uploading to peer / peer interested,\n"
           "K peer unchoked us, not interested, ? we unchoked peer, not interested, E encrypted,\n"
           "I incoming (peer spoke first), H found by DHT, T uTP.  Down/Up: piece data bytes from/to the peer;\n"
           "Have: what the peer announced; Chokes..Cancels: messages the peer sent; Pipeline: the\n"
           "peer's longest run of unanswered requests; Verified/Failed: pieces from the peer.\n");
    if (st->filter)
        printf("Filter: %s\n", st->filter);
    printf("%-5s %-28s %-28s %-5s %-28s %-7s %10s %10s %9s %6s %8s %8s %7s %8s %6s\n", "Conn", "Peer", "Seen by",
           "Tr", "Client", "Flags", "Down", "Up", "Have", "Chokes", "Unchokes", "Pipeline", "Cancels", "Verified",
           "Failed");
    for (i = 0; i < sw->conns->len; i++) {
        const swarm_conn_t *c = (const swarm_conn_t *)g_ptr_array_index(sw->conns, i);
        for (p = 0; p < 2; p++) {
            const swarm_side_t *ps = &c->side[p], *vs = &c->side[1 - p];
            char flags[16];
            char *have = swarm_have(c, ps);
            swarm_flags(c, p, flags);
            printf("%-5u %-28s %-28s %-5s %-28s %-7s %10" G_GUINT64_FORMAT " %10" G_GUINT64_FORMAT
                   " %9s %6u %8u %8u %7u %8u %6u\n", c->index, swarm_endpoint(ps), swarm_endpoint(vs),
                   c->utp ? "uTP" : "TCP", swarm_client(ps), flags, ps->piece_bytes, vs->piece_bytes, have,
                   ps->chokes, ps->unchokes, ps->max_pipeline, ps->cancels, ps->verified, ps->failed);
            g_free(have);
        }
    }
    if (sw->dropped)
        printf("(%u more connections not listed: more than %u)\n", sw->dropped, SWARM_MAX_CONNS);
    printf("===================================================================\n");
}

static void print_torrents(const swarm_text_t *st)
{
    const swarm_t *sw = st->model;
    guint i;

    printf("\n===================================================================\n");
    printf("BitTorrent torrents: one row per info hash of the handshakes\n");
    if (st->filter)
        printf("Filter: %s\n", st->filter);
    printf("%-40s %-24s %12s %7s %11s %6s %12s %8s %6s\n", "Info hash", "Name", "Size", "Pieces", "Connections",
           "Peers", "Piece bytes", "Verified", "Failed");
    for (i = 0; i < sw->torrents->len; i++) {
        const swarm_torrent_t *tr = (const swarm_torrent_t *)g_ptr_array_index(sw->torrents, i);
        char size[24] = "-", pieces[16] = "-";
        if (!tr->conns)          /* left by its connections when their handshake came */
            continue;
        if (tr->pieces) {
            g_snprintf(size, sizeof size, "%" G_GUINT64_FORMAT, tr->size);
            g_snprintf(pieces, sizeof pieces, "%u", tr->pieces);
        }
        printf("%-40s %-24s %12s %7s %11u %6u %12" G_GUINT64_FORMAT " %8u %6u\n", tr->key,
               tr->name ? tr->name : "-", size, pieces, tr->conns, g_hash_table_size(tr->peers), tr->bytes,
               tr->verified, tr->failed);
    }
    if (sw->dropped)
        printf("(%u more connections not counted: more than %u)\n", sw->dropped, SWARM_MAX_CONNS);
    printf("===================================================================\n");
}

static void text_draw(void *tapdata)
{
    const swarm_text_t *st = (const swarm_text_t *)tapdata;
    if (st->report == SWARM_PEERS)
        print_peers(st);
    else
        print_torrents(st);
}

static void text_finish(void *tapdata)
{
    swarm_text_t *st = (swarm_text_t *)tapdata;
    swarm_free(st->model);
    g_free(st->filter);
    g_free(st);
}

static gboolean text_init(const char *opt_arg, const char *prefix, swarm_report_t report)
{
    swarm_text_t *st = g_new0(swarm_text_t, 1);
    size_t n = strlen(prefix);
    GString *err;

    st->report = report;
    st->model = swarm_new();
    if (opt_arg && strncmp(opt_arg, prefix, n) == 0 && opt_arg[n] == ',' && opt_arg[n + 1])
        st->filter = g_strdup(opt_arg + n + 1);
    err = register_tap_listener("btpeer", st, st->filter, TL_REQUIRES_NOTHING, text_reset, text_packet,
                                text_draw, text_finish);
    if (err) {
        fprintf(stderr, "tshark: couldn't register %s tap: %s\n", prefix, err->str);
        g_string_free(err, TRUE);
        text_finish(st);
        return FALSE;
    }
    return TRUE;
}

static bt_stat_init_ret peers_init(const char *opt_arg, void *userdata _U_)
{
    BT_STAT_INIT_RETURN(text_init(opt_arg, "btpeer_peers,tree", SWARM_PEERS));
}

static bt_stat_init_ret torrents_init(const char *opt_arg, void *userdata _U_)
{
    BT_STAT_INIT_RETURN(text_init(opt_arg, "btpeer_torrents,tree", SWARM_TORRENTS));
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
