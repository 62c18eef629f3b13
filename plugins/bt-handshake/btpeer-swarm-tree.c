/* btpeer-swarm-tree.c
 * Message counts per peer for the GUI: a stats tree on the "btpeer" tap
 * (btpeer-tap.h), Statistics > BitTorrent > Messages per Peer, also
 * tshark -z btpeer_swarm,tree.  One node per peer-wire connection (BEP 3
 * over TCP or uTP), under it one node per sending side with its client
 * (BEP 20 peer id) and the counts of what it sent: piece data bytes,
 * chokes, unchokes, interested, requests, cancels, haves, BEP 52 hash
 * messages, and the pieces from it that were verified / failed (piece
 * verification, btpeer-pieces.c).  Counters only grow, so the tree is the same
 * whether the tap runs during the first pass or after it.  The swarm view
 * proper (Statistics > BitTorrent > Peers / Torrents, with Transmission's
 * flag letters) is btpeer-swarm-table.c; this tree adds the counts of the
 * messages the tables do not show (interested, requests, haves, rejects,
 * BEP 52 hash messages, encrypted bytes).
 */
#include <epan/packet.h>
#include <epan/tap.h>
#include <epan/stats_tree.h>
#include <epan/to_str.h>

#include "btpeer.h"
#include "btpeer-tap.h"
#include "peerid.h"
#include "peerwire.h"
#include "ws-compat.h"

#ifdef STATS_TREE_MENU_SEPARATOR
#define SWARM_TREE_PATH "BitTorrent" STATS_TREE_MENU_SEPARATOR "Messages per Peer"
#else
#define SWARM_TREE_PATH "BitTorrent/Messages per Peer"
#endif

static const char st_str_conns[] = "BitTorrent peer-wire connections";
static int st_node_conns = -1;

static void swarm_tree_init(stats_tree *st)
{
    st_node_conns = stats_tree_create_node(st, st_str_conns, 0, STAT_DT_INT, TRUE);
}

static char *ep_str(packet_info *pinfo, const address *a, guint32 port)
{
    const char *s = address_to_str(pinfo->pool, a);
    return a->type == AT_IPv6 ? wmem_strdup_printf(pinfo->pool, "[%s]:%u", s, port)
                              : wmem_strdup_printf(pinfo->pool, "%s:%u", s, port);
}

/* The counter a message of the sender adds to, or NULL. */
static const char *message_node(int msg_id)
{
    switch (msg_id) {
    case BT_MSG_CHOKE:        return "Chokes";
    case BT_MSG_UNCHOKE:      return "Unchokes";
    case BT_MSG_INTERESTED:   return "Interested";
    case BT_MSG_REQUEST:      return "Requests";
    case BT_MSG_CANCEL:       return "Cancels";
    case BT_MSG_HAVE:         return "Haves";
    case BT_MSG_REJECT:       return "Rejects";
    case BT_MSG_HASH_REQUEST: return "Hash requests";
    case BT_MSG_HASHES:       return "Hashes";
    default:                  return NULL;
    }
}

static tap_packet_status swarm_tree_packet(stats_tree *st, packet_info *pinfo, epan_dissect_t *edt _U_,
                                           const void *p, tap_flags_t flags _U_)
{
    const btpeer_tap_t *t = (const btpeer_tap_t *)p;
    char *src = ep_str(pinfo, &pinfo->src, pinfo->srcport), *dst = ep_str(pinfo, &pinfo->dst, pinfo->destport);
    /* the connection's name does not depend on the direction: lower endpoint first */
    gboolean src_first = g_strcmp0(src, dst) < 0;
    char *name = wmem_strdup_printf(pinfo->pool, "%s %s <-> %s", t->utp ? "uTP" : "TCP",
                                    src_first ? src : dst, src_first ? dst : src);
    const char *what;
    bt_peerid_info_t id;
    int conn, side;

    tick_stat_node(st, st_str_conns, 0, FALSE);
    conn = tick_stat_node(st, name, st_node_conns, TRUE);
    side = tick_stat_node(st, wmem_strdup_printf(pinfo->pool, "from %s", src), conn, TRUE);
    if (t->kind == BTPEER_TAP_HANDSHAKE && t->peer_id && bt_peerid_parse(t->peer_id, &id) != BT_PEERID_UNKNOWN)
        tick_stat_node(st, wmem_strdup_printf(pinfo->pool, "Client: %s%s%s", id.client, id.version[0] ? " " : "",
                                              id.version), side, FALSE);
    if (t->kind == BTPEER_TAP_ENCRYPTED)
        increase_stat_node(st, "Encrypted bytes (MSE/PE)", side, FALSE, (gint)MIN(t->count, (guint)G_MAXINT));
    if (t->kind == BTPEER_TAP_MESSAGE && t->msg_id == BT_MSG_PIECE)
        increase_stat_node(st, "Piece bytes", side, FALSE, (gint)MIN(t->length, (guint32)G_MAXINT));
    if (t->kind == BTPEER_TAP_MESSAGE && (what = message_node(t->msg_id)) != NULL)
        tick_stat_node(st, what, side, FALSE);
    if (t->pieces_verified)
        increase_stat_node(st, "Pieces verified", side, FALSE, (gint)t->pieces_verified);
    if (t->pieces_failed)
        increase_stat_node(st, "Pieces failed", side, FALSE, (gint)t->pieces_failed);
    return TAP_PACKET_REDRAW;
}

void btpeer_register_swarm_tree(void)
{
    stats_tree_register_plugin("btpeer", "btpeer_swarm", SWARM_TREE_PATH, 0, swarm_tree_packet,
                               swarm_tree_init, NULL);
}
