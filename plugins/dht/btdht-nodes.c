/* btdht-nodes.c
 * The compact lists of DHT answers: "nodes" (BEP 5, 26-byte compact node
 * info) and "nodes6" (BEP 32, 38 bytes) with, for find_node / get_peers
 * answers, each node's distance to the queried target as leading common
 * bits; and "values" (BEP 5: a list of 6-byte IPv4 or 18-byte IPv6 compact
 * peers), each peer recorded in the discovery store (plugins/bt-discovery.h,
 * source "DHT") so a later connection to it shows where it was found.
 * Layouts come from lib/btcommon/krpc.c.
 */
#include "btdht.h"

#include <epan/address.h>
#include <epan/to_str.h>

#include "discovery/bt-discovery-store.h"
#include "compact-peer.h"
#include "ws-compat.h"

static int hf_btdht_node = -1;
static int hf_btdht_node_id = -1;
static int hf_btdht_node_ip = -1;
static int hf_btdht_node_ip6 = -1;
static int hf_btdht_node_port = -1;
static int hf_btdht_node_common_bits = -1;
static int hf_btdht_node_bep42 = -1;
static int hf_btdht_nodes_count = -1;
static int hf_btdht_closest = -1;
static int hf_btdht_peer = -1;
static int hf_btdht_peer_ip = -1;
static int hf_btdht_peer_ip6 = -1;
static int hf_btdht_peer_port = -1;
static int hf_btdht_peers_count = -1;

static int ett_btdht_node = -1;
static int ett_btdht_peer = -1;

static expert_field ei_btdht_nodes_len = EI_INIT;
static expert_field ei_btdht_peer_len = EI_INIT;
static expert_field ei_btdht_node_bep42 = EI_INIT;
static expert_field ei_btdht_discovery_full = EI_INIT;

void btdht_compact_addr(tvbuff_t *tvb, proto_tree *tree, int hf_ip, int hf_ip6, int hf_port, int offset, int len)
{
    int alen = len == BT_COMPACT_V6_LEN ? BT_COMPACT_V6_ADDR_LEN : BT_COMPACT_V4_ADDR_LEN;
    proto_tree_add_item(tree, alen == 4 ? hf_ip : hf_ip6, tvb, offset, alen, alen == 4 ? ENC_BIG_ENDIAN : ENC_NA);
    proto_tree_add_item(tree, hf_port, tvb, offset + alen, BT_COMPACT_PORT_LEN, ENC_BIG_ENDIAN);
}

static const char *endpoint_str(packet_info *pinfo, const guint8 *addr, int ipv6, guint16 port)
{
    address a;
    set_address(&a, ipv6 ? AT_IPv6 : AT_IPv4, ipv6 ? 16 : 4, addr);
    return wmem_strdup_printf(pinfo->pool, ipv6 ? "[%s]:%u" : "%s:%u", address_to_str(pinfo->pool, &a), port);
}

static void one_node(tvbuff_t *tvb, packet_info *pinfo, proto_tree *tree, int off, const krpc_node_t *n,
                     const btdht_txn_t *txn, unsigned *closest)
{
    int nlen = (int)krpc_node_len(n->ipv6);
    proto_item *ni = proto_tree_add_item(tree, hf_btdht_node, tvb, off, nlen, ENC_NA);
    proto_tree *nt = proto_item_add_subtree(ni, ett_btdht_node);
    proto_item *it;
    krpc_bep42_t b42;

    proto_item_append_text(ni, " %s %s", bytes_to_str(pinfo->pool, n->id, KRPC_ID_LEN),
                           endpoint_str(pinfo, n->addr, n->ipv6, n->port));
    proto_tree_add_item(nt, hf_btdht_node_id, tvb, off, KRPC_ID_LEN, ENC_NA);
    btdht_compact_addr(tvb, nt, hf_btdht_node_ip, hf_btdht_node_ip6, hf_btdht_node_port, off + KRPC_ID_LEN,
                       nlen - KRPC_ID_LEN);
    if (txn && txn->has_target) {
        unsigned bits = krpc_common_bits(n->id, txn->target);
        it = proto_tree_add_uint(nt, hf_btdht_node_common_bits, tvb, off, KRPC_ID_LEN, bits);
        proto_item_set_generated(it);
        proto_item_append_text(ni, " (%u bits in common with the target)", bits);
        if (bits > *closest || *closest == G_MAXUINT)
            *closest = bits;
    }
    b42 = krpc_bep42_check(n->id, n->addr, n->ipv6);
    if (b42 != KRPC_BEP42_EXEMPT) {
        it = proto_tree_add_boolean(nt, hf_btdht_node_bep42, tvb, off, KRPC_ID_LEN, b42 == KRPC_BEP42_MATCH);
        proto_item_set_generated(it);
        if (b42 == KRPC_BEP42_MISMATCH)
            expert_add_info(pinfo, it, &ei_btdht_node_bep42);
    }
}

void btdht_nodes(tvbuff_t *tvb, packet_info *pinfo, proto_tree *tree, const guint8 *buf, const bencode_value_t *v,
                 int ipv6, const btdht_txn_t *txn)
{
    size_t trailing, i, count;
    unsigned closest = G_MAXUINT;
    proto_item *it;

    count = krpc_node_count(v->str_len, ipv6, &trailing);
    it = proto_tree_add_uint(tree, hf_btdht_nodes_count, tvb, (int)v->str_off, (int)v->str_len, (guint32)count);
    proto_item_set_generated(it);
    if (trailing)
        expert_add_info_format(pinfo, it, &ei_btdht_nodes_len,
                               "%u bytes are not a multiple of %u (compact node info): %u left over",
                               (unsigned)v->str_len, (unsigned)krpc_node_len(ipv6), (unsigned)trailing);
    for (i = 0; i < count; i++) {
        krpc_node_t n;
        int off = (int)(v->str_off + i * krpc_node_len(ipv6));
        if (i == BTDHT_MAX_ITEMS) {
            btdht_more_items(tvb, pinfo, tree, off, (int)((count - i) * krpc_node_len(ipv6)), (guint)(count - i));
            break;
        }
        krpc_node_get(buf + v->str_off, ipv6, i, &n);
        one_node(tvb, pinfo, tree, off, &n, txn, &closest);
    }
    if (closest != G_MAXUINT) {
        it = proto_tree_add_uint(tree, hf_btdht_closest, tvb, (int)v->str_off, (int)v->str_len, closest);
        proto_item_set_generated(it);
    }
}

/* One "values" entry; returns TRUE when the discovery store refused it (full). */
static gboolean one_peer(tvbuff_t *tvb, packet_info *pinfo, proto_tree *tree, const guint8 *buf,
                         const bencode_value_t *e, const btdht_txn_t *txn)
{
    int ipv6 = e->str_len == BT_COMPACT_V6_LEN;
    proto_item *pi = proto_tree_add_item(tree, hf_btdht_peer, tvb, (int)e->str_off, (int)e->str_len, ENC_NA);
    proto_tree *pt = proto_item_add_subtree(pi, ett_btdht_peer);
    bt_compact_list_t l;
    bt_compact_peer_t p;
    address a;

    bt_compact_list(e->str_len, ipv6, &l);
    bt_compact_peer_get(buf + e->str_off, &l, 0, &p);
    btdht_compact_addr(tvb, pt, hf_btdht_peer_ip, hf_btdht_peer_ip6, hf_btdht_peer_port, (int)e->str_off,
                       (int)e->str_len);
    proto_item_append_text(pi, " %s", endpoint_str(pinfo, p.addr, ipv6, p.port));
    set_address(&a, ipv6 ? AT_IPv6 : AT_IPv4, (int)p.addr_len, p.addr);
    if (pinfo->flags.in_error_pkt)
        return FALSE;     /* quoted in an ICMP error: nobody received this answer */
    return bt_discovery_record(tvb, pinfo, BT_DISCOVERY_SOURCE_DHT, txn && txn->has_target ? txn->target : NULL,
                               &a, p.port);
}

void btdht_values(tvbuff_t *tvb, packet_info *pinfo, proto_tree *tree, const guint8 *buf,
                  const bencode_value_t *list, const btdht_txn_t *txn)
{
    bencode_iter_t it;
    bencode_value_t e;
    guint n = 0, more = 0;
    size_t more_start = 0;
    gboolean full = FALSE;
    proto_item *ci;

    bencode_iter_init(&it, buf, tvb_captured_length(tvb), list, KRPC_MAX_DEPTH);
    while (bencode_iter_next(&it, NULL, &e)) {
        if (e.type != BENC_STR || (e.str_len != BT_COMPACT_V4_LEN && e.str_len != BT_COMPACT_V6_LEN)) {
            proto_tree *gt = proto_tree_add_subtree(tree, tvb, (int)e.start, (int)(e.end - e.start), ett_btdht_peer,
                                                    NULL, "Not a compact peer");
            proto_tree_add_expert(gt, pinfo, &ei_btdht_peer_len, tvb, (int)e.start, (int)(e.end - e.start));
            btdht_bencode_value(tvb, pinfo, gt, buf, &e);
            continue;
        }
        if (n++ >= BTDHT_MAX_ITEMS) {
            /* counted, not itemised, and not recorded: the bound is the store's too */
            if (!more++)
                more_start = e.start;
            continue;
        }
        full |= one_peer(tvb, pinfo, tree, buf, &e, txn);
    }
    if (more)
        btdht_more_items(tvb, pinfo, tree, (int)more_start, (int)(list->end - 1 - more_start), more);
    ci = proto_tree_add_uint(tree, hf_btdht_peers_count, tvb, (int)list->start, (int)(list->end - list->start), n);
    proto_item_set_generated(ci);
    if (full)
        expert_add_info(pinfo, ci, &ei_btdht_discovery_full);
}

void btdht_nodes_register(int proto, expert_module_t *em)
{
    static hf_register_info hf[] = {
        { &hf_btdht_node, { "Node", "btdht.node", FT_NONE, BASE_NONE, NULL, 0x0, "Compact node info", HFILL } },
        { &hf_btdht_node_id, { "Node ID", "btdht.node.id", FT_BYTES, BASE_NONE, NULL, 0x0, NULL, HFILL } },
        { &hf_btdht_node_ip, { "IP", "btdht.node.ip", FT_IPv4, BASE_NONE, NULL, 0x0, NULL, HFILL } },
        { &hf_btdht_node_ip6, { "IPv6", "btdht.node.ip6", FT_IPv6, BASE_NONE, NULL, 0x0, NULL, HFILL } },
        { &hf_btdht_node_port, { "Port", "btdht.node.port", FT_UINT16, BASE_DEC, NULL, 0x0, NULL, HFILL } },
        { &hf_btdht_node_common_bits,
          { "Bits in common with the target", "btdht.node.common_bits", FT_UINT8, BASE_DEC, NULL, 0x0,
            "Leading bits the node id shares with the queried target/info_hash (160 - log2 XOR distance)",
            HFILL } },
        { &hf_btdht_node_bep42,
          { "Node ID matches its address (BEP 42)", "btdht.node.bep42", FT_BOOLEAN, BASE_NONE, NULL, 0x0,
            "Public addresses only: BEP 42 exempts local ones", HFILL } },
        { &hf_btdht_nodes_count,
          { "Node count", "btdht.nodes.count", FT_UINT32, BASE_DEC, NULL, 0x0, NULL, HFILL } },
        { &hf_btdht_closest,
          { "Closest node: bits in common", "btdht.nodes.closest", FT_UINT8, BASE_DEC, NULL, 0x0,
            "Most leading bits any listed node shares with the target", HFILL } },
        { &hf_btdht_peer, { "Peer", "btdht.peer", FT_NONE, BASE_NONE, NULL, 0x0, "Compact peer", HFILL } },
        { &hf_btdht_peer_ip, { "IP", "btdht.peer.ip", FT_IPv4, BASE_NONE, NULL, 0x0, NULL, HFILL } },
        { &hf_btdht_peer_ip6, { "IPv6", "btdht.peer.ip6", FT_IPv6, BASE_NONE, NULL, 0x0, NULL, HFILL } },
        { &hf_btdht_peer_port, { "Port", "btdht.peer.port", FT_UINT16, BASE_DEC, NULL, 0x0, NULL, HFILL } },
        { &hf_btdht_peers_count,
          { "Peer count", "btdht.values.count", FT_UINT32, BASE_DEC, NULL, 0x0, NULL, HFILL } },
    };
    static int *ett[] = { &ett_btdht_node, &ett_btdht_peer };
    static ei_register_info ei[] = {
        { &ei_btdht_nodes_len,
          { "btdht.nodes.len_invalid", PI_MALFORMED, PI_WARN, "Node list length is not a multiple of the entry size",
            EXPFILL } },
        { &ei_btdht_peer_len,
          { "btdht.peer.invalid", PI_MALFORMED, PI_WARN, "A values entry that is not a 6- or 18-byte string",
            EXPFILL } },
        { &ei_btdht_node_bep42,
          { "btdht.node.bep42.mismatch", PI_PROTOCOL, PI_NOTE,
            "Node ID does not match the node's address (BEP 42)", EXPFILL } },
        { &ei_btdht_discovery_full,
          { "btdht.discovery.full", PI_UNDECODED, PI_NOTE,
            "Discovery store full: peers first named from this frame on are not linked to later connections",
            EXPFILL } },
    };
    proto_register_field_array(proto, hf, array_length(hf));
    proto_register_subtree_array(ett, array_length(ett));
    expert_register_field_array(em, ei, array_length(ei));
}
