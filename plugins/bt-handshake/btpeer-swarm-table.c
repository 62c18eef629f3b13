/* btpeer-swarm-table.c
 * The swarm view (issue 10 item 5) for the GUI: Statistics > BitTorrent/Peers
 * and Statistics > BitTorrent/Torrents (4.0 lists simple statistics tables
 * as flat items of these names, like uTP/Connections), Wireshark "simple
 * statistics" tables (also tshark -z btpeer,peers[,filter] and
 * -z btpeer,torrents[,filter]) with the content of the text reports
 * (btpeer-swarm-text.c), drawn from the swarm model (btpeer-swarm.h: the
 * accounting and the meaning of the flag letters are there).
 *
 * Peers: one row per side P of each peer-wire connection (BEP 3 over TCP or
 * uTP) as the other side saw it, in order of the connections' first PDU.
 * Torrents: one row per info hash of the connections' first handshakes, in
 * order of appearance.  The model of each table lives here (one per table:
 * Wireshark keeps one set of rows per registered table, shared by every
 * dialog of it) and is cleared with the rows.  Byte counts are shown
 * saturated at 2^32-1: the table cells are 32-bit (stat_tap_table_item_type).
 */
#include <string.h>

#include <epan/packet.h>
#include <epan/tap.h>
#include <epan/stat_tap_ui.h>

#include "btpeer.h"
#include "btpeer-swarm.h"
#include "common/bt-stat-table.h"
#include "ws-compat.h"

/* Menu path as Statistics > uTP > Connections spells it (utp-conn-table.c) */
#define SWARM_MENU(x) "BitTorrent/" x

enum {
    P_CONN, P_PEER, P_SEEN, P_TRANSPORT, P_CLIENT, P_ENCRYPTED, P_FLAGS, P_DOWN, P_UP, P_HAVE,
    P_CHOKES, P_UNCHOKES, P_PIPELINE, P_CANCELS, P_VERIFIED, P_FAILED, P_N
};

static stat_tap_table_item peer_fields[P_N] = {
    { TABLE_ITEM_UINT, TAP_ALIGN_RIGHT, "Conn", "%u" },
    { TABLE_ITEM_STRING, TAP_ALIGN_LEFT, "Peer", "%s" },
    { TABLE_ITEM_STRING, TAP_ALIGN_LEFT, "Seen by", "%s" },
    { TABLE_ITEM_STRING, TAP_ALIGN_LEFT, "Transport", "%s" },
    { TABLE_ITEM_STRING, TAP_ALIGN_LEFT, "Client", "%s" },
    { TABLE_ITEM_STRING, TAP_ALIGN_LEFT, "Encrypted", "%s" },
    { TABLE_ITEM_STRING, TAP_ALIGN_LEFT, "Flags", "%s" },
    { TABLE_ITEM_UINT, TAP_ALIGN_RIGHT, "Down", "%u" },
    { TABLE_ITEM_UINT, TAP_ALIGN_RIGHT, "Up", "%u" },
    { TABLE_ITEM_STRING, TAP_ALIGN_RIGHT, "Have", "%s" },
    { TABLE_ITEM_UINT, TAP_ALIGN_RIGHT, "Chokes", "%u" },
    { TABLE_ITEM_UINT, TAP_ALIGN_RIGHT, "Unchokes", "%u" },
    { TABLE_ITEM_UINT, TAP_ALIGN_RIGHT, "Pipeline", "%u" },
    { TABLE_ITEM_UINT, TAP_ALIGN_RIGHT, "Cancels", "%u" },
    { TABLE_ITEM_UINT, TAP_ALIGN_RIGHT, "Verified", "%u" },
    { TABLE_ITEM_UINT, TAP_ALIGN_RIGHT, "Failed", "%u" },
};

enum { T_HASH, T_NAME, T_SIZE, T_PIECES, T_CONNS, T_PEERS, T_BYTES, T_VERIFIED, T_FAILED, T_N };

static stat_tap_table_item torrent_fields[T_N] = {
    { TABLE_ITEM_STRING, TAP_ALIGN_LEFT, "Info hash", "%s" },
    { TABLE_ITEM_STRING, TAP_ALIGN_LEFT, "Name", "%s" },
    { TABLE_ITEM_STRING, TAP_ALIGN_RIGHT, "Size", "%s" },
    { TABLE_ITEM_STRING, TAP_ALIGN_RIGHT, "Pieces", "%s" },
    { TABLE_ITEM_UINT, TAP_ALIGN_RIGHT, "Connections", "%u" },
    { TABLE_ITEM_UINT, TAP_ALIGN_RIGHT, "Peers", "%u" },
    { TABLE_ITEM_UINT, TAP_ALIGN_RIGHT, "Piece bytes", "%u" },
    { TABLE_ITEM_UINT, TAP_ALIGN_RIGHT, "Pieces verified", "%u" },
    { TABLE_ITEM_UINT, TAP_ALIGN_RIGHT, "Pieces failed", "%u" },
};

#define PEERS_TITLE "BitTorrent peers"
#define TORRENTS_TITLE "BitTorrent torrents"

static swarm_t *peers_model, *torrents_model;

static void swarm_table_free_item(stat_tap_table *table _U_, guint row _U_, guint column _U_,
                                  stat_tap_table_item_type *field)
{
    bt_stat_free_string(field);
}

static void rows_free(stat_tap_table *table)
{
    bt_stat_rows_free(table, swarm_table_free_item);
}

static void peers_reset(stat_tap_table *table)
{
    rows_free(table);
    if (peers_model)
        swarm_clear(peers_model);
}

static void torrents_reset(stat_tap_table *table)
{
    rows_free(table);
    if (torrents_model)
        swarm_clear(torrents_model);
}

/* The table of this dialog, emptied, and its model, cleared. */
static void table_prepare(stat_tap_table_ui *ui, const char *title, guint nfields, swarm_t **model)
{
    bt_stat_table_prepare(ui, title, nfields, swarm_table_free_item);
    if (*model)
        swarm_clear(*model);
    else
        *model = swarm_new();
}

static void peers_init(stat_tap_table_ui *ui)
{
    table_prepare(ui, PEERS_TITLE, P_N, &peers_model);
}

static void torrents_init(stat_tap_table_ui *ui)
{
    table_prepare(ui, TORRENTS_TITLE, T_N, &torrents_model);
}

/* Appends an empty row (strings "") at index `row` == num_elements. */
static void add_row(stat_tap_table *table, guint row, const stat_tap_table_item *fields, guint n)
{
    stat_tap_table_item_type items[(int)P_N > (int)T_N ? (int)P_N : (int)T_N];
    memset(items, 0, sizeof items);
    for (guint i = 0; i < n; i++) {
        items[i].type = fields[i].type;
        if (items[i].type == TABLE_ITEM_STRING)
            items[i].value.string_value = g_strdup("");
    }
    stat_tap_init_table_row(table, row, n, items);
}

/* Sets a string cell, replacing it only when it changed. */
static void set_str(stat_tap_table_item_type *cell, const char *s)
{
    if (cell->value.string_value && strcmp(cell->value.string_value, s) == 0)
        return;
    g_free((char *)cell->value.string_value);
    cell->value.string_value = g_strdup(s);
}

static void peer_row(stat_tap_table_item_type *row, const swarm_conn_t *c, int p)
{
    const swarm_side_t *ps = &c->side[p], *vs = &c->side[1 - p];
    char flags[16];
    char *have = swarm_have(c, ps);

    swarm_flags(c, p, flags);
    row[P_CONN].value.uint_value = c->index;
    set_str(&row[P_PEER], swarm_endpoint(ps));
    set_str(&row[P_SEEN], swarm_endpoint(vs));
    set_str(&row[P_TRANSPORT], c->utp ? "uTP" : "TCP");
    set_str(&row[P_CLIENT], swarm_client(ps));
    set_str(&row[P_ENCRYPTED], c->encrypted ? "yes (MSE/PE)" : "no");
    set_str(&row[P_FLAGS], flags);
    row[P_DOWN].value.uint_value = bt_stat_sat32(ps->piece_bytes);
    row[P_UP].value.uint_value = bt_stat_sat32(vs->piece_bytes);
    set_str(&row[P_HAVE], have);
    row[P_CHOKES].value.uint_value = ps->chokes;
    row[P_UNCHOKES].value.uint_value = ps->unchokes;
    row[P_PIPELINE].value.uint_value = ps->max_pipeline;
    row[P_CANCELS].value.uint_value = ps->cancels;
    row[P_VERIFIED].value.uint_value = ps->verified;
    row[P_FAILED].value.uint_value = ps->failed;
    g_free(have);
}

static void torrent_row(stat_tap_table_item_type *row, const swarm_torrent_t *tr)
{
    char size[24] = "-", pieces[16] = "-";
    if (tr->pieces) {
        g_snprintf(size, sizeof size, "%" G_GUINT64_FORMAT, tr->size);
        g_snprintf(pieces, sizeof pieces, "%u", tr->pieces);
    }
    set_str(&row[T_HASH], tr->key);
    set_str(&row[T_NAME], tr->name ? tr->name : "-");
    set_str(&row[T_SIZE], size);
    set_str(&row[T_PIECES], pieces);
    row[T_CONNS].value.uint_value = tr->conns;
    row[T_PEERS].value.uint_value = g_hash_table_size(tr->peers);
    row[T_BYTES].value.uint_value = bt_stat_sat32(tr->bytes);
    row[T_VERIFIED].value.uint_value = tr->verified;
    row[T_FAILED].value.uint_value = tr->failed;
}

static stat_tap_table *first_table(void *tapdata)
{
    stat_data_t *sd = (stat_data_t *)tapdata;
    if (!sd->stat_tap_data->tables || sd->stat_tap_data->tables->len == 0)
        return NULL;
    return g_array_index(sd->stat_tap_data->tables, stat_tap_table *, 0);
}

static tap_packet_status peers_packet(void *tapdata, packet_info *pinfo, epan_dissect_t *edt _U_,
                                      const void *data, tap_flags_t flags _U_)
{
    stat_tap_table *table = first_table(tapdata);
    swarm_change_t ch;
    guint row;

    if (!table || !peers_model)
        return TAP_PACKET_DONT_REDRAW;
    ch = swarm_add(peers_model, pinfo, (const btpeer_tap_t *)data);
    if (!ch.conn)
        return TAP_PACKET_DONT_REDRAW;
    row = 2 * (ch.conn->index - 1);        /* two rows per connection, in its order */
    while (table->num_elements < row + 2)
        add_row(table, table->num_elements, peer_fields, P_N);
    peer_row(table->elements[row], ch.conn, 0);
    peer_row(table->elements[row + 1], ch.conn, 1);
    return TAP_PACKET_REDRAW;
}

static tap_packet_status torrents_packet(void *tapdata, packet_info *pinfo, epan_dissect_t *edt _U_,
                                         const void *data, tap_flags_t flags _U_)
{
    stat_tap_table *table = first_table(tapdata);
    swarm_change_t ch;

    if (!table || !torrents_model)
        return TAP_PACKET_DONT_REDRAW;
    ch = swarm_add(torrents_model, pinfo, (const btpeer_tap_t *)data);
    if (!ch.torrent)
        return TAP_PACKET_DONT_REDRAW;
    while (table->num_elements < ch.torrent->index)
        add_row(table, table->num_elements, torrent_fields, T_N);
    torrent_row(table->elements[ch.torrent->index - 1], ch.torrent);
    /* a connection that left a row (its first handshake came after other
     * PDUs): that row stays, with its sums down (rows are never removed:
     * the GUI holds pointers to them) */
    if (ch.old_torrent)
        torrent_row(table->elements[ch.old_torrent->index - 1], ch.old_torrent);
    return TAP_PACKET_REDRAW;
}

void btpeer_register_swarm_table(void)
{
    static stat_tap_table_ui peers_ui = {
        REGISTER_PACKET_STAT_GROUP_UNSORTED, SWARM_MENU("Peers"), "btpeer", "btpeer,peers",
        peers_init, peers_packet, peers_reset, swarm_table_free_item, NULL,
        array_length(peer_fields), peer_fields, 0, NULL, NULL, 0
    };
    static stat_tap_table_ui torrents_ui = {
        REGISTER_PACKET_STAT_GROUP_UNSORTED, SWARM_MENU("Torrents"), "btpeer", "btpeer,torrents",
        torrents_init, torrents_packet, torrents_reset, swarm_table_free_item, NULL,
        array_length(torrent_fields), torrent_fields, 0, NULL, NULL, 0
    };
    register_stat_tap_table_ui(&peers_ui);
    register_stat_tap_table_ui(&torrents_ui);
}
