/* btpeer-handshake.c
 * The peer-wire handshake (BEP 3): protocol string, reserved bits (BEP 4,
 * each its own flag, registered from lib/btcommon/reserved.c's table),
 * info_hash, peer_id and the client it names (BEP 20);
 * plus the link to the discovery dissectors (bt-discovery.h): in which frame
 * the info_hash and the peer endpoint were announced.
 *
 *   0      1                20         28          48        68
 *   | 0x13 | "BitTorrent protocol" | reserved | info_hash | peer_id |
 */
#include "btpeer.h"
#include "discovery/bt-discovery-store.h"
#include "peerid.h"
#include "peerwire.h"
#include "reserved.h"

#include <epan/strutil.h>
#include <wsutil/pint.h>
#include <wsutil/to_str.h>
#include "ws-compat.h"

/* Reserved bytes read as one big-endian 64-bit value: byte b of BEP 4's
 * numbering is bits (7-b)*8 .. (7-b)*8+7. */
#define RSV(byte, mask) ((guint64)(mask) << ((7 - (byte)) * 8))


static int hf_btpeer_pstrlen = -1;
static int hf_btpeer_pstr = -1;
static int hf_btpeer_reserved = -1;
/* One flag per entry of lib/btcommon's reserved-bit table, in table order;
 * registered from the table (register_reserved_bits). */
static int hf_btpeer_reserved_bit[BT_RESERVED_BIT_COUNT];
static int hf_btpeer_reserved_unknown = -1;
static int hf_btpeer_info_hash = -1;
static int hf_btpeer_peer_id = -1;
static int hf_btpeer_client = -1;
static int hf_btpeer_client_version = -1;
static int hf_btpeer_client_style = -1;
static int hf_btpeer_client_version_ext = -1;
static int hf_btpeer_discovered_in = -1;
static int hf_btpeer_discovered_by = -1;
static int hf_btpeer_peer_discovered_in = -1;
static int hf_btpeer_peer_discovered_by = -1;

static int ett_btpeer_reserved = -1;

static expert_field ei_btpeer_reserved_unknown = EI_INIT;
static expert_field ei_btpeer_client_unknown = EI_INIT;

/* The flags in wire order for proto_tree_add_bitmask, NULL-terminated. */
static int *reserved_flags[BT_RESERVED_BIT_COUNT + 1];

static void add_discovery(btpeer_ctx_t *ctx, const guint8 *info_hash)
{
    packet_info *pinfo = ctx->pinfo;
    bt_discovery_query_t q;
    proto_item *it;

    memset(&q, 0, sizeof(q));
    q.info_hash = info_hash;
    q.before_frame = pinfo->num;
    /* The announced endpoint is the listening side, which may be either end
     * of the connection: ask for the destination, then the source. */
    q.peer_addr = &pinfo->dst;
    q.peer_port = (guint16)pinfo->destport;
    bt_discovery_lookup(ctx->tvb, pinfo, &q);
    if (!q.peer_frame) {
        guint32 ih_frame = q.info_hash_frame;
        const char *ih_source = q.info_hash_source;
        q.peer_addr = &pinfo->src;
        q.peer_port = (guint16)pinfo->srcport;
        q.info_hash = NULL;   /* already answered */
        bt_discovery_lookup(ctx->tvb, pinfo, &q);
        q.info_hash = info_hash;
        q.info_hash_frame = ih_frame;
        q.info_hash_source = ih_source;
    }
    if (q.info_hash_frame) {
        it = proto_tree_add_uint_format_value(ctx->tree, hf_btpeer_discovered_in, ctx->tvb,
                 BT_HS_INFOHASH_OFF, BT_INFO_HASH_LEN, q.info_hash_frame, "infohash announced in frame %u (%s)",
                 q.info_hash_frame, q.info_hash_source ? q.info_hash_source : "?");
        proto_item_set_generated(it);
        if (q.info_hash_source) {
            it = proto_tree_add_string(ctx->tree, hf_btpeer_discovered_by, ctx->tvb, BT_HS_INFOHASH_OFF, BT_INFO_HASH_LEN, q.info_hash_source);
            proto_item_set_generated(it);
        }
    }
    if (q.peer_frame) {
        it = proto_tree_add_uint_format_value(ctx->tree, hf_btpeer_peer_discovered_in, ctx->tvb, 0, 0,
                 q.peer_frame, "peer announced in frame %u (%s)", q.peer_frame,
                 q.peer_source ? q.peer_source : "?");
        proto_item_set_generated(it);
        if (q.peer_source) {
            it = proto_tree_add_string(ctx->tree, hf_btpeer_peer_discovered_by, ctx->tvb, 0, 0, q.peer_source);
            proto_item_set_generated(it);
        }
    }
}

void btpeer_dissect_handshake(btpeer_ctx_t *ctx)
{
    tvbuff_t *tvb = ctx->tvb;
    proto_tree *tree = ctx->tree;
    guint8 reserved[BT_RESERVED_LEN], unknown[BT_RESERVED_LEN], peer_id[BT_PEER_ID_LEN];
    const guint8 *info_hash;
    char flags[96];
    char ih_start[9];
    const char *client = "";
    proto_item *it;
    bt_peerid_info_t id;

    proto_tree_add_item(tree, hf_btpeer_pstrlen, tvb, 0, 1, ENC_BIG_ENDIAN);
    proto_tree_add_item(tree, hf_btpeer_pstr, tvb, BT_HS_PSTR_OFF, BT_PSTR_LEN, ENC_ASCII);

    tvb_memcpy(tvb, reserved, BT_HS_RESERVED_OFF, BT_RESERVED_LEN);
    proto_tree_add_bitmask(tree, tvb, BT_HS_RESERVED_OFF, hf_btpeer_reserved, ett_btpeer_reserved,
                           (int * const *)reserved_flags, ENC_BIG_ENDIAN);
    if (bt_reserved_unknown(reserved, unknown)) {
        it = proto_tree_add_uint64(tree, hf_btpeer_reserved_unknown, tvb, BT_HS_RESERVED_OFF, BT_RESERVED_LEN,
                                   pntohu64(unknown));
        proto_item_set_generated(it);
        expert_add_info(ctx->pinfo, it, &ei_btpeer_reserved_unknown);
    }
    bt_reserved_summary(reserved, flags, sizeof(flags));

    info_hash = tvb_get_ptr(tvb, BT_HS_INFOHASH_OFF, BT_INFO_HASH_LEN);
    proto_tree_add_item(tree, hf_btpeer_info_hash, tvb, BT_HS_INFOHASH_OFF, BT_INFO_HASH_LEN, ENC_NA);
    add_discovery(ctx, info_hash);
    if (!PINFO_FD_VISITED(ctx->pinfo) && !ctx->conn->has_info_hash) {
        /* the torrent this connection is about (btpeer-torrent.c) */
        memcpy(ctx->conn->info_hash, info_hash, BT_INFO_HASH_LEN);
        ctx->conn->has_info_hash = TRUE;
        btpeer_torrent_get(info_hash);
    }

    tvb_memcpy(tvb, peer_id, BT_HS_PEERID_OFF, BT_PEER_ID_LEN);
    it = proto_tree_add_item(tree, hf_btpeer_peer_id, tvb, BT_HS_PEERID_OFF, BT_PEER_ID_LEN, ENC_NA);
    /* the first 8 bytes name the client when they are text; bytes that are
     * not printable are shown as hex, not as replacement characters */
    if (bt_peerid_printable(peer_id, 8))
        proto_item_append_text(it, " (%s)", format_text(ctx->pinfo->pool, (const char *)peer_id, 8));
    else
        proto_item_append_text(it, " (not text: %s...)", bytes_to_str(ctx->pinfo->pool, peer_id, 8));
    if (btpeer_pref_client_names) {
        if (bt_peerid_parse(peer_id, &id) != BT_PEERID_UNKNOWN) {
            client = wmem_strdup_printf(ctx->pinfo->pool, "%s%s%s ", id.client, id.version[0] ? " " : "", id.version);
            it = proto_tree_add_string(tree, hf_btpeer_client, tvb, BT_HS_PEERID_OFF, BT_PEER_ID_LEN, id.client);
            proto_item_set_generated(it);
            if (id.version[0]) {
                it = proto_tree_add_string(tree, hf_btpeer_client_version, tvb, BT_HS_PEERID_OFF, BT_PEER_ID_LEN, id.version);
                proto_item_set_generated(it);
            }
            it = proto_tree_add_string(tree, hf_btpeer_client_style, tvb, BT_HS_PEERID_OFF, BT_PEER_ID_LEN,
                                       bt_peerid_style_name(id.style));
            proto_item_set_generated(it);
            if (!PINFO_FD_VISITED(ctx->pinfo) && !ctx->conn->side[ctx->dir].peer_id_client)
                ctx->conn->side[ctx->dir].peer_id_client =
                    wmem_strdup_printf(wmem_file_scope(), "%s%s%s", id.client, id.version[0] ? " " : "", id.version);
        } else {
            expert_add_info(ctx->pinfo, it, &ei_btpeer_client_unknown);
        }
    }
    /* The extension handshake comes later in the stream: its v is known
     * here only after the first pass (GUI, tshark -2), like forward links. */
    if (PINFO_FD_VISITED(ctx->pinfo) && ctx->conn->side[ctx->dir].ext_v &&
        ctx->conn->side[ctx->dir].handshake_frame == ctx->pinfo->num) {
        it = proto_tree_add_string(tree, hf_btpeer_client_version_ext, tvb, BT_HS_PEERID_OFF, BT_PEER_ID_LEN,
                                   ctx->conn->side[ctx->dir].ext_v);
        proto_item_set_generated(it);
    }
    if (!PINFO_FD_VISITED(ctx->pinfo) && !ctx->conn->side[ctx->dir].handshake_frame)
        ctx->conn->side[ctx->dir].handshake_frame = ctx->pinfo->num;

    /* The first 4 bytes of the info hash tell torrents apart at a glance;
     * the full value is in btpeer.info_hash. */
    *bytes_to_hexstr(ih_start, info_hash, 4) = '\0';
    btpeer_info(ctx, "Handshake %s[%s] ih=%s...", client, flags, ih_start);
}

/* Registers btpeer.reserved.<filter> for every bit of the library's table.
 * The hf array must outlive registration (Wireshark keeps pointers into
 * it), so it is allocated once for the life of the process. */
static void register_reserved_bits(int proto)
{
    hf_register_info *hf = g_new0(hf_register_info, BT_RESERVED_BIT_COUNT);
    size_t i;

    for (i = 0; i < BT_RESERVED_BIT_COUNT; i++) {
        const bt_reserved_bit_t *b = &bt_reserved_bits[i];
        hf_btpeer_reserved_bit[i] = -1;
        hf[i].p_id = &hf_btpeer_reserved_bit[i];
        hf[i].hfinfo.name = b->name;
        hf[i].hfinfo.abbrev = g_strconcat("btpeer.reserved.", b->filter, NULL);
        hf[i].hfinfo.type = FT_BOOLEAN;
        hf[i].hfinfo.display = 64;
        hf[i].hfinfo.bitmask = RSV(b->byte, b->mask);
        HFILL_INIT(hf[i]);
    }
    for (i = 0; i < BT_RESERVED_BIT_COUNT; i++)
        reserved_flags[i] = &hf_btpeer_reserved_bit[bt_reserved_wire_order(i)];
    reserved_flags[BT_RESERVED_BIT_COUNT] = NULL;
    proto_register_field_array(proto, hf, BT_RESERVED_BIT_COUNT);
}

void btpeer_register_handshake(int proto, expert_module_t *em)
{
    static hf_register_info hf[] = {
        { &hf_btpeer_pstrlen,
          { "Protocol string length", "btpeer.pstrlen", FT_UINT8, BASE_DEC, NULL, 0x0, NULL, HFILL } },
        { &hf_btpeer_pstr,
          { "Protocol string", "btpeer.pstr", FT_STRING, BASE_NONE, NULL, 0x0, NULL, HFILL } },
        { &hf_btpeer_reserved,
          { "Reserved", "btpeer.reserved", FT_UINT64, BASE_HEX, NULL, 0x0,
            "Reserved bytes announcing protocol extensions (BEP 4)", HFILL } },
        { &hf_btpeer_reserved_unknown,
          { "Unknown reserved bits", "btpeer.reserved.unknown", FT_UINT64, BASE_HEX, NULL, 0x0,
            "Set bits that BEP 4 does not allocate", HFILL } },
        { &hf_btpeer_info_hash,
          { "Info hash", "btpeer.info_hash", FT_BYTES, BASE_NONE, NULL, 0x0,
            "SHA-1 of the info dictionary (v1), or truncated SHA-256 (v2)", HFILL } },
        { &hf_btpeer_peer_id,
          { "Peer ID", "btpeer.peer_id", FT_BYTES, BASE_NONE, NULL, 0x0, NULL, HFILL } },
        { &hf_btpeer_client,
          { "Client", "btpeer.client", FT_STRING, BASE_NONE, NULL, 0x0,
            "Client named by the peer id (BEP 20)", HFILL } },
        { &hf_btpeer_client_version,
          { "Client version", "btpeer.client.version", FT_STRING, BASE_NONE, NULL, 0x0, NULL, HFILL } },
        { &hf_btpeer_client_style,
          { "Peer ID convention", "btpeer.client.style", FT_STRING, BASE_NONE, NULL, 0x0,
            "Azureus-, Shadow- or Mainline-style peer id (BEP 20)", HFILL } },
        { &hf_btpeer_client_version_ext,
          { "Client (extension handshake v)", "btpeer.client.ext_handshake", FT_STRING, BASE_NONE, NULL, 0x0,
            "The v this side sent in its extension handshake (BEP 10), beside the peer-id reading; "
            "after the first pass only", HFILL } },
        { &hf_btpeer_discovered_in,
          { "Info hash discovered in", "btpeer.discovered_in", FT_FRAMENUM, BASE_NONE, NULL, 0x0,
            "Frame of the LSD or tracker message that first announced this info hash", HFILL } },
        { &hf_btpeer_discovered_by,
          { "Info hash discovered by", "btpeer.discovered_by", FT_STRING, BASE_NONE, NULL, 0x0, NULL, HFILL } },
        { &hf_btpeer_peer_discovered_in,
          { "Peer discovered in", "btpeer.peer_discovered_in", FT_FRAMENUM, BASE_NONE, NULL, 0x0,
            "Frame of the LSD or tracker message that first announced this connection's listening endpoint", HFILL } },
        { &hf_btpeer_peer_discovered_by,
          { "Peer discovered by", "btpeer.peer_discovered_by", FT_STRING, BASE_NONE, NULL, 0x0, NULL, HFILL } },
    };
    static int *ett[] = { &ett_btpeer_reserved };
    static ei_register_info ei[] = {
        { &ei_btpeer_reserved_unknown,
          { "btpeer.reserved.unknown.set", PI_PROTOCOL, PI_NOTE, "Reserved bits set that BEP 4 does not allocate", EXPFILL } },
        { &ei_btpeer_client_unknown,
          { "btpeer.peer_id.unknown_client", PI_UNDECODED, PI_CHAT, "Peer id follows no known client convention", EXPFILL } },
    };
    proto_register_field_array(proto, hf, array_length(hf));
    register_reserved_bits(proto);
    proto_register_subtree_array(ett, array_length(ett));
    expert_register_field_array(em, ei, array_length(ei));
}
