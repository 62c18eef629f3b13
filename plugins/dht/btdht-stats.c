/* btdht-stats.c
 * Statistics of KRPC traffic (BEP 5): tshark -z btdht_queries,tree and
 * Statistics > BitTorrent > DHT Queries.  Per query method: queries,
 * responses, errors, unanswered (queries minus their first answers, so it
 * is exact once the whole capture was read, one pass or two) and the RTT of
 * first answers (min/avg/max, microseconds); per remote node (the queried
 * endpoint): queries it received and answers it sent.
 */
#include <epan/packet.h>
#include <epan/tap.h>
#include <epan/stats_tree.h>
#include <epan/to_str.h>

#include "btdht.h"
#include "ws-compat.h"

int btdht_tap = -1;

static const char st_str_methods[] = "DHT queries by method";
static const char st_str_nodes[] = "DHT queries by queried node";
static int st_node_methods = -1;
static int st_node_nodes = -1;

static void btdht_stats_init(stats_tree *st)
{
    st_node_methods = stats_tree_create_node(st, st_str_methods, 0, STAT_DT_INT, TRUE);
    st_node_nodes = stats_tree_create_node(st, st_str_nodes, 0, STAT_DT_INT, TRUE);
}

static tap_packet_status btdht_stats_packet(stats_tree *st, packet_info *pinfo, epan_dissect_t *edt _U_,
                                            const void *p, tap_flags_t flags _U_)
{
    const btdht_tap_t *t = (const btdht_tap_t *)p;
    gboolean query = t->y == KRPC_Y_QUERY;
    const address *node_addr = query ? &pinfo->dst : &pinfo->src;
    guint32 node_port = query ? pinfo->destport : pinfo->srcport;
    char *node_name;
    int m, n;

    if (!query && !t->txn)
        return TAP_PACKET_DONT_REDRAW;     /* an answer to nothing captured: no method to count it under */
    node_name = wmem_strdup_printf(pinfo->pool, node_addr->type == AT_IPv6 ? "[%s]:%u" : "%s:%u",
                                   address_to_str(pinfo->pool, node_addr), node_port);
    tick_stat_node(st, st_str_methods, 0, FALSE);
    m = tick_stat_node(st, krpc_query_name(query ? t->q : t->txn->q_kind), st_node_methods, TRUE);
    tick_stat_node(st, st_str_nodes, 0, FALSE);
    n = tick_stat_node(st, node_name, st_node_nodes, TRUE);
    if (query) {
        tick_stat_node(st, "Queries", m, FALSE);
        increase_stat_node(st, "Unanswered", m, FALSE, 1);
        tick_stat_node(st, "Queries received", n, FALSE);
        return TAP_PACKET_REDRAW;
    }
    tick_stat_node(st, t->y == KRPC_Y_ERROR ? "Errors" : "Responses", m, FALSE);
    tick_stat_node(st, "Answers sent", n, FALSE);
    if (t->answer_first) {
        increase_stat_node(st, "Unanswered", m, FALSE, -1);
        avg_stat_node_add_value_int(st, "RTT (us)", m, FALSE,
                                    (gint)MIN(nstime_to_sec(&t->txn->rtt) * 1e6, (double)G_MAXINT));
    }
    return TAP_PACKET_REDRAW;
}

void btdht_stats_register(void)
{
    btdht_tap = register_tap("btdht");
    stats_tree_register_plugin("btdht", "btdht_queries", "BitTorrent/DHT Queries", 0, btdht_stats_packet,
                               btdht_stats_init, NULL);
}
