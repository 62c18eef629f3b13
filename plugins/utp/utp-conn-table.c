/* utp-conn-table.c
 * Statistics → uTP → Connections and Statistics → uTP → Summary (BEP 29
 * connections), as Wireshark "simple statistics" tables: columns chosen per
 * table, so every number shown has a meaning (a stats tree adds Rate,
 * Percent and Burst columns to every row, meaningless for delays and byte
 * sums).  tshark: -z utp,conns[,filter] and -z utp,summary[,filter].
 *
 * Connections: one row per connection, in stream order: endpoints (A is the
 * initiator when the SYN was captured), packets, payload bytes and
 * retransmissions per direction, RTT and LEDBAT queuing delay min/avg/max in
 * milliseconds (blank without a sample), libtorrent's close reason.
 * Summary: totals over the connections the filter kept.
 *
 * Counts are kept as 64-bit numbers and shown saturated at 2^32-1: the
 * table cells are 32-bit (stat_tap_table_item_type).
 */
#include <epan/packet.h>
#include <epan/tap.h>
#include <epan/stat_tap_ui.h>
#include <epan/to_str.h>

#include "utp-int.h"
#include "common/bt-stat-table.h"
#include "ws-compat.h"

enum {
    C_STREAM, C_ADDR_A, C_PORT_A, C_ADDR_B, C_PORT_B,
    C_PKTS_AB, C_PKTS_BA, C_BYTES_AB, C_BYTES_BA, C_RETR_AB, C_RETR_BA,
    C_RTT_MIN, C_RTT_AVG, C_RTT_MAX, C_QD_MIN, C_QD_AVG, C_QD_MAX, C_CLOSE,
    C_N
};

static stat_tap_table_item conn_fields[C_N] = {
    { TABLE_ITEM_UINT, TAP_ALIGN_RIGHT, "Stream", "%u" },
    { TABLE_ITEM_STRING, TAP_ALIGN_LEFT, "Address A", "%s" },
    { TABLE_ITEM_UINT, TAP_ALIGN_RIGHT, "Port A", "%u" },
    { TABLE_ITEM_STRING, TAP_ALIGN_LEFT, "Address B", "%s" },
    { TABLE_ITEM_UINT, TAP_ALIGN_RIGHT, "Port B", "%u" },
    { TABLE_ITEM_UINT, TAP_ALIGN_RIGHT, "Packets A→B", "%u" },
    { TABLE_ITEM_UINT, TAP_ALIGN_RIGHT, "Packets B→A", "%u" },
    { TABLE_ITEM_UINT, TAP_ALIGN_RIGHT, "Payload bytes A→B", "%u" },
    { TABLE_ITEM_UINT, TAP_ALIGN_RIGHT, "Payload bytes B→A", "%u" },
    { TABLE_ITEM_UINT, TAP_ALIGN_RIGHT, "Retransmissions A→B", "%u" },
    { TABLE_ITEM_UINT, TAP_ALIGN_RIGHT, "Retransmissions B→A", "%u" },
    { TABLE_ITEM_STRING, TAP_ALIGN_RIGHT, "RTT min (ms)", "%s" },
    { TABLE_ITEM_STRING, TAP_ALIGN_RIGHT, "RTT avg (ms)", "%s" },
    { TABLE_ITEM_STRING, TAP_ALIGN_RIGHT, "RTT max (ms)", "%s" },
    { TABLE_ITEM_STRING, TAP_ALIGN_RIGHT, "Queuing delay min (ms)", "%s" },
    { TABLE_ITEM_STRING, TAP_ALIGN_RIGHT, "Queuing delay avg (ms)", "%s" },
    { TABLE_ITEM_STRING, TAP_ALIGN_RIGHT, "Queuing delay max (ms)", "%s" },
    { TABLE_ITEM_STRING, TAP_ALIGN_LEFT, "Close reason", "%s" },
};

/* What a row adds up beyond its cells (kept in the Stream cell's user_data) */
typedef struct {
    guint64 pkts[2], bytes[2], retr[2];   /* by direction: 0 = A→B */
    guint64 rtt_n, qd_n;
    double  rtt_min, rtt_max, rtt_sum;    /* ms */
    double  qd_min, qd_max, qd_sum;       /* ms */
    int     a;                            /* flow index shown as A */
} utp_row_acc_t;

static void
utp_table_free_item(stat_tap_table *table _U_, guint row _U_, guint column, stat_tap_table_item_type *field)
{
    bt_stat_free_string(field);
    if (column == C_STREAM) {
        g_free(field->user_data.ptr_value);
        field->user_data.ptr_value = NULL;
    }
}

/* A new capture or filter: the rows depend on the data, so they go. */
static void
utp_table_reset(stat_tap_table *table)
{
    bt_stat_rows_free(table, utp_table_free_item);
}

static void
utp_conn_table_init(stat_tap_table_ui *ui)
{
    bt_stat_table_prepare(ui, "uTP connections", C_N, utp_table_free_item);
}

static void
set_string(stat_tap_table_item_type *cell, char *owned)
{
    g_free((char *)cell->value.string_value);
    cell->value.string_value = owned;
}

static char *
addr_string(const address *a)
{
    char *w = address_to_str(NULL, a);
    char *s = g_strdup(w);
    wmem_free(NULL, w);
    return s;
}

/* Row of this connection, inserted in stream order when new: rows are kept
 * sorted by moving cell contents (the GUI holds row pointers). */
static stat_tap_table_item_type *
utp_conn_row(stat_tap_table *table, const utp_conn_t *c)
{
    guint lo = 0, hi = table->num_elements;
    while (lo < hi) {
        guint mid = lo + (hi - lo) / 2;
        guint s = table->elements[mid][C_STREAM].value.uint_value;
        if (s == c->stream)
            return table->elements[mid];
        if (s < c->stream)
            lo = mid + 1;
        else
            hi = mid;
    }

    stat_tap_table_item_type items[C_N];
    utp_row_acc_t *acc = g_new0(utp_row_acc_t, 1);
    acc->a = c->initiator >= 0 ? c->initiator : 0;
    memset(items, 0, sizeof items);
    for (guint i = 0; i < C_N; i++) {
        items[i].type = conn_fields[i].type;
        if (items[i].type == TABLE_ITEM_STRING)
            items[i].value.string_value = g_strdup("");
    }
    items[C_STREAM].value.uint_value = c->stream;
    items[C_STREAM].user_data.ptr_value = acc;
    set_string(&items[C_ADDR_A], addr_string(&c->addr[acc->a]));
    set_string(&items[C_ADDR_B], addr_string(&c->addr[!acc->a]));
    items[C_PORT_A].value.uint_value = c->port[acc->a];
    items[C_PORT_B].value.uint_value = c->port[!acc->a];

    guint n = table->num_elements;
    stat_tap_init_table_row(table, n, C_N, items);    /* appended, then moved to lo */
    for (guint i = n; i > lo; i--)
        memcpy(table->elements[i], table->elements[i - 1], C_N * sizeof(stat_tap_table_item_type));
    memcpy(table->elements[lo], items, sizeof items);
    return table->elements[lo];
}

static void
show_ms(stat_tap_table_item_type *cell, double ms)
{
    set_string(cell, g_strdup_printf("%.3f", ms));
}

static void
utp_row_sample(stat_tap_table_item_type *row, int col_min, guint64 *n, double *mn, double *mx, double *sum,
               double ms)
{
    if (*n == 0 || ms < *mn) {
        *mn = ms;
        show_ms(&row[col_min], ms);
    }
    if (*n == 0 || ms > *mx) {
        *mx = ms;
        show_ms(&row[col_min + 2], ms);
    }
    (*n)++;
    *sum += ms;
    show_ms(&row[col_min + 1], *sum / (double)*n);
}

static tap_packet_status
utp_conn_table_packet(void *tapdata, packet_info *pinfo _U_, epan_dissect_t *edt _U_, const void *data,
                      tap_flags_t flags _U_)
{
    stat_data_t *sd = (stat_data_t *)tapdata;
    const utp_tap_info_t *t = (const utp_tap_info_t *)data;
    stat_tap_table *table = g_array_index(sd->stat_tap_data->tables, stat_tap_table *, 0);
    stat_tap_table_item_type *row = utp_conn_row(table, t->conn);
    utp_row_acc_t *acc = (utp_row_acc_t *)row[C_STREAM].user_data.ptr_value;
    int d = t->fa->dir == acc->a ? 0 : 1;    /* 0: A→B */

    acc->pkts[d]++;
    row[C_PKTS_AB + d].value.uint_value = bt_stat_sat32(acc->pkts[d]);
    if (t->hdr->type == UTP_ST_DATA && t->hdr->payload_len) {
        acc->bytes[d] += t->hdr->payload_len;
        row[C_BYTES_AB + d].value.uint_value = bt_stat_sat32(acc->bytes[d]);
    }
    if (t->fa->flags & UTP_A_RETRANS) {
        acc->retr[d]++;
        row[C_RETR_AB + d].value.uint_value = bt_stat_sat32(acc->retr[d]);
    }
    nstime_t rtt;
    if (utp_frame_ack_rtt(t->fa, &rtt))
        utp_row_sample(row, C_RTT_MIN, &acc->rtt_n, &acc->rtt_min, &acc->rtt_max, &acc->rtt_sum,
                       utp_nstime_to_ns(&rtt) / 1e6);
    if (t->fa->flags & UTP_A_DELAY)
        utp_row_sample(row, C_QD_MIN, &acc->qd_n, &acc->qd_min, &acc->qd_max, &acc->qd_sum,
                       (t->hdr->ts_diff_us - t->fa->base_delay) / 1000.0);   /* queuing = one-way - base */
    if (t->conn->have_close_reason && !row[C_CLOSE].value.string_value[0])
        set_string(&row[C_CLOSE], g_strdup(val_to_str_const(t->conn->close_reason, utp_close_reason_vals,
                                                             "unknown")));
    return TAP_PACKET_REDRAW;
}

/* ---- Summary ---- */

enum { S_CONNS, S_PKTS, S_BYTES, S_RETR, S_DUPACK, S_RESET, S_CLOSED, S_N };

static const char *const summary_items[S_N] = {
    "Connections", "Packets", "Payload bytes", "Retransmissions", "Duplicate ACKs",
    "RESET packets", "Connections with a close reason",
};

static stat_tap_table_item summary_fields[] = {
    { TABLE_ITEM_STRING, TAP_ALIGN_LEFT, "Item", "%-32s" },
    { TABLE_ITEM_UINT, TAP_ALIGN_RIGHT, "Count", "%u" },
};

/* streams counted in this run (the Summary counts each connection once) */
static GHashTable *summary_seen;
static guint64 summary_counts[S_N];

static void
utp_summary_reset(stat_tap_table *table)
{
    utp_table_reset(table);
    if (summary_seen)
        g_hash_table_remove_all(summary_seen);
    memset(summary_counts, 0, sizeof summary_counts);
}

static void
utp_summary_init(stat_tap_table_ui *ui)
{
    stat_tap_table *table = bt_stat_table_prepare(ui, "uTP summary", 2, utp_table_free_item);
    utp_summary_reset(table);       /* the counts and the connections seen */
    if (!summary_seen)
        summary_seen = g_hash_table_new(g_direct_hash, g_direct_equal);
    for (guint i = 0; i < S_N; i++) {
        stat_tap_table_item_type items[2];
        memset(items, 0, sizeof items);
        items[0].type = TABLE_ITEM_STRING;
        items[0].value.string_value = g_strdup(summary_items[i]);
        items[1].type = TABLE_ITEM_UINT;
        stat_tap_init_table_row(table, i, 2, items);
    }
}

static void
summary_add(stat_tap_table *table, guint item)
{
    summary_counts[item]++;
    table->elements[item][1].value.uint_value = bt_stat_sat32(summary_counts[item]);
}

static tap_packet_status
utp_summary_packet(void *tapdata, packet_info *pinfo, epan_dissect_t *edt _U_, const void *data,
                   tap_flags_t flags _U_)
{
    stat_data_t *sd = (stat_data_t *)tapdata;
    const utp_tap_info_t *t = (const utp_tap_info_t *)data;
    stat_tap_table *table = g_array_index(sd->stat_tap_data->tables, stat_tap_table *, 0);
    gpointer key = GUINT_TO_POINTER(t->conn->stream + 1);

    if (table->num_elements < S_N)
        return TAP_PACKET_DONT_REDRAW;
    if (!g_hash_table_contains(summary_seen, key)) {
        g_hash_table_add(summary_seen, key);
        summary_add(table, S_CONNS);
    }
    summary_add(table, S_PKTS);
    if (t->hdr->type == UTP_ST_DATA && t->hdr->payload_len) {
        summary_counts[S_BYTES] += t->hdr->payload_len;
        table->elements[S_BYTES][1].value.uint_value = bt_stat_sat32(summary_counts[S_BYTES]);
    }
    if (t->fa->flags & UTP_A_RETRANS)
        summary_add(table, S_RETR);
    if (t->fa->flags & UTP_A_DUP_ACK)
        summary_add(table, S_DUPACK);
    if (t->hdr->type == UTP_ST_RESET)
        summary_add(table, S_RESET);
    if (t->conn->have_close_reason && t->conn->close_reason_frame == pinfo->num)
        summary_add(table, S_CLOSED);
    return TAP_PACKET_REDRAW;
}

void
utp_conn_table_register(void)
{
    static stat_tap_table_ui conn_ui = {
        REGISTER_PACKET_STAT_GROUP_UNSORTED, "uTP/Connections", "utp", "utp,conns",
        utp_conn_table_init, utp_conn_table_packet, utp_table_reset, utp_table_free_item, NULL,
        array_length(conn_fields), conn_fields, 0, NULL, NULL, 0
    };
    static stat_tap_table_ui summary_ui = {
        REGISTER_PACKET_STAT_GROUP_UNSORTED, "uTP/Summary", "utp", "utp,summary",
        utp_summary_init, utp_summary_packet, utp_summary_reset, utp_table_free_item, NULL,
        array_length(summary_fields), summary_fields, 0, NULL, NULL, 0
    };
    register_stat_tap_table_ui(&conn_ui);
    register_stat_tap_table_ui(&summary_ui);
}
