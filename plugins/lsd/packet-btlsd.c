/* packet-btlsd.c
 * BitTorrent Local Service Discovery (BEP 14), filter name "btlsd".
 *
 *   BT-SEARCH * HTTP/1.1\r\n
 *   Host: 239.192.152.143:6771\r\n      (IPv6: [ff15::efc0:988f]:6771)
 *   Port: <port>\r\n
 *   Infohash: <40 hex digits>\r\n       (one line per torrent, several allowed)
 *   cookie: <token>\r\n                 (optional: lets a client drop its own announces)
 *   \r\n
 *
 * Wireshark 4.0 has a built-in "lsd" (heuristic lsd_udp) that keeps only the
 * first Infohash and loses the cookie after it.  To take precedence over it:
 *  - UDP port 6771 is registered (a preference): UDP tries ports before
 *    heuristics.  Plugin heuristics are tried before built-in ones only until
 *    a built-in one succeeds: 4.0 moves a heuristic that accepted a packet to
 *    the front of its list, so after the built-in lsd claims one datagram
 *    (it accepts anything on 6771, even SSDP) it would be asked first.
 *  - a UDP heuristic covers announces on other ports.
 * Both claim only datagrams that start with the exact BEP 14 request line
 * (returning 0 otherwise), so other traffic on 6771 falls through to the
 * other dissectors.
 *
 * Every line is shown; malformed ones get an expert info and decoding goes on.
 * Each valid infohash and the announcing endpoint (source address, Port) are
 * recorded in the discovery store (plugins/bt-discovery.h) for btpeer.
 * Line parsing is lib/btcommon/lsd-parse.c.
 */
#include <epan/packet.h>
#include <epan/expert.h>
#include <epan/prefs.h>
#include <epan/address.h>

#include "discovery/bt-discovery-store.h"
#include "lsd-parse.h"
#include "ws-compat.h"

void proto_register_btlsd(void);
void proto_reg_handoff_btlsd(void);

static int proto_btlsd = -1;

static int hf_btlsd_request = -1;
static int hf_btlsd_host = -1;
static int hf_btlsd_port = -1;
static int hf_btlsd_infohash = -1;
static int hf_btlsd_infohash_text = -1;
static int hf_btlsd_infohash_count = -1;
static int hf_btlsd_cookie = -1;
static int hf_btlsd_header = -1;
static int hf_btlsd_header_name = -1;
static int hf_btlsd_header_value = -1;
static int hf_btlsd_line = -1;
static int hf_btlsd_group = -1;
static int hf_btlsd_lines_not_shown = -1;

static int ett_btlsd = -1;
static int ett_btlsd_header = -1;

static expert_field ei_btlsd_bad_request = EI_INIT;
static expert_field ei_btlsd_bad_infohash = EI_INIT;
static expert_field ei_btlsd_bad_port = EI_INIT;
static expert_field ei_btlsd_bad_host = EI_INIT;
static expert_field ei_btlsd_malformed = EI_INIT;
static expert_field ei_btlsd_no_crlf = EI_INIT;
static expert_field ei_btlsd_destination = EI_INIT;
static expert_field ei_btlsd_missing = EI_INIT;
static expert_field ei_btlsd_duplicate = EI_INIT;
static expert_field ei_btlsd_trailing = EI_INIT;
static expert_field ei_btlsd_lines_not_shown = EI_INIT;
static expert_field ei_btlsd_store_full = EI_INIT;

/* At most this many lines of one announce are itemised (issue 7, item 11).
 * BEP 14 announces carry one Infohash line per torrent and real clients
 * send a handful; a 64 KB datagram could carry about 1,260.  Lines past the
 * bound are counted in one item with an expert; their valid infohashes are
 * still counted in btlsd.info_hash_count and recorded for discovery links. */
#define BTLSD_MAX_LINES 1000

static dissector_handle_t btlsd_handle;
static dissector_handle_t btlsd_port_handle;

static const value_string btlsd_group_vals[] = {
    { 0, "not an LSD group" },
    { 4, "IPv4 LSD group 239.192.152.143:6771" },
    { 6, "IPv6 LSD group [ff15::efc0:988f]:6771" },
    { 0, NULL }
};

/* The BEP 14 destinations, compared with the packet's. */
static guint8 group_v4[4] = { 239, 192, 152, 143 };
static guint8 group_v6[16] = { 0xff, 0x15, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0xef, 0xc0, 0x98, 0x8f };

/* 4 or 6 when the destination is the BEP 14 group of that family on 6771. */
static int destination_group(packet_info *pinfo)
{
    address g;
    if (pinfo->destport != LSD_PORT)
        return 0;
    if (pinfo->dst.type == AT_IPv4) {
        set_address(&g, AT_IPv4, 4, group_v4);
        return addresses_equal(&pinfo->dst, &g) ? 4 : 0;
    }
    if (pinfo->dst.type == AT_IPv6) {
        set_address(&g, AT_IPv6, 16, group_v6);
        return addresses_equal(&pinfo->dst, &g) ? 6 : 0;
    }
    return 0;
}

/* Records on the first pass (the store ignores later ones); returns TRUE, on
 * every pass, in the frame where the store reached its cap. */
static gboolean record(tvbuff_t *tvb, packet_info *pinfo, const guint8 *info_hash, guint32 port)
{
    return bt_discovery_record(tvb, pinfo, BT_DISCOVERY_SOURCE_LSD, info_hash, port ? &pinfo->src : NULL,
                               (guint16)port);
}

/* What the lines of one announce have shown so far. */
typedef struct {
    proto_tree   *lt;
    int           dst_group;     /* 4, 6, or 0: not an LSD group */
    guint         n_infohash, n_port, n_host, n_cookie, n_lines, n_hidden;
    int           hidden_off;
    guint32       port;
    gboolean      ended;
    /* Infohashes of this datagram, recorded once the Port is known (Port
     * normally comes first, but BEP 14 does not fix the order). */
    wmem_array_t *hashes;
} btlsd_announce_t;

/* A line past the itemising bound: counted; valid infohashes still count and
 * are recorded, and a first Host or Port still counts. */
static void count_hidden_line(btlsd_announce_t *a, const lsd_line_t *l)
{
    if (l->kind == LSD_LINE_INFOHASH && !(l->flags & LSD_F_BAD_INFOHASH)) {
        wmem_array_append(a->hashes, l->infohash, 1);
        a->n_infohash++;
    } else if (l->kind == LSD_LINE_PORT && !(l->flags & LSD_F_BAD_PORT) && !a->n_port++) {
        a->port = l->port;
    } else if (l->kind == LSD_LINE_HOST) {
        a->n_host++;
    }
    if (!a->n_hidden++)
        a->hidden_off = (int)l->offset;
}

/* The blank line ends the announce; libtorrent adds a second one, other
 * senders pad: only non-blank bytes after it count. */
static void end_announce(tvbuff_t *tvb, packet_info *pinfo, btlsd_announce_t *a, size_t next)
{
    const guint8 *buf = tvb_get_ptr(tvb, 0, -1);
    size_t p = next, len = tvb_captured_length(tvb);
    while (p < len && (buf[p] == '\r' || buf[p] == '\n'))
        p++;
    if (p < len)
        proto_tree_add_expert(a->lt, pinfo, &ei_btlsd_trailing, tvb, (int)p, (int)(len - p));
    a->ended = TRUE;
}

/* One itemised line. */
static void add_line(tvbuff_t *tvb, packet_info *pinfo, btlsd_announce_t *a, const lsd_line_t *l, size_t next)
{
    proto_tree *lt = a->lt;
    int lo = (int)l->offset, ll = (int)l->length;
    proto_item *it;

    switch (l->kind) {
    case LSD_LINE_REQUEST:
        it = proto_tree_add_item(lt, hf_btlsd_request, tvb, lo, ll, ENC_ASCII);
        if (l->flags & LSD_F_BAD_REQUEST)
            expert_add_info(pinfo, it, &ei_btlsd_bad_request);
        break;
    case LSD_LINE_HOST:
        it = proto_tree_add_item(lt, hf_btlsd_host, tvb, (int)l->value_off, (int)l->value_len, ENC_ASCII);
        a->n_host++;
        if (l->flags & LSD_F_BAD_HOST)
            expert_add_info(pinfo, it, &ei_btlsd_bad_host);
        else if (a->dst_group && l->host_family != a->dst_group)
            expert_add_info_format(pinfo, it, &ei_btlsd_bad_host,
                                   "Host names the IPv%d group but the datagram went to the IPv%d group",
                                   l->host_family, a->dst_group);
        break;
    case LSD_LINE_PORT:
        if (l->flags & LSD_F_BAD_PORT) {
            it = proto_tree_add_item(lt, hf_btlsd_header, tvb, lo, ll, ENC_ASCII);
            expert_add_info(pinfo, it, &ei_btlsd_bad_port);
        } else {
            it = proto_tree_add_uint(lt, hf_btlsd_port, tvb, (int)l->value_off, (int)l->value_len, l->port);
            if (a->n_port++)
                expert_add_info(pinfo, it, &ei_btlsd_duplicate);
            else
                a->port = l->port;
        }
        break;
    case LSD_LINE_INFOHASH:
        if (l->flags & LSD_F_BAD_INFOHASH) {
            it = proto_tree_add_item(lt, hf_btlsd_infohash_text, tvb, (int)l->value_off, (int)l->value_len,
                                     ENC_ASCII);
            expert_add_info(pinfo, it, &ei_btlsd_bad_infohash);
        } else {
            proto_tree_add_bytes_with_length(lt, hf_btlsd_infohash, tvb, (int)l->value_off, (int)l->value_len,
                                             l->infohash, BT_INFO_HASH_LEN);
            wmem_array_append(a->hashes, l->infohash, 1);
            a->n_infohash++;
        }
        break;
    case LSD_LINE_COOKIE:
        it = proto_tree_add_item(lt, hf_btlsd_cookie, tvb, (int)l->value_off, (int)l->value_len, ENC_ASCII);
        if (a->n_cookie++)
            expert_add_info(pinfo, it, &ei_btlsd_duplicate);
        break;
    case LSD_LINE_OTHER: {
        proto_tree *ht;
        it = proto_tree_add_item(lt, hf_btlsd_header, tvb, lo, ll, ENC_ASCII);
        ht = proto_item_add_subtree(it, ett_btlsd_header);
        proto_tree_add_item(ht, hf_btlsd_header_name, tvb, lo, (int)l->name_len, ENC_ASCII);
        proto_tree_add_item(ht, hf_btlsd_header_value, tvb, (int)l->value_off, (int)l->value_len, ENC_ASCII);
        break;
    }
    case LSD_LINE_BLANK:
        end_announce(tvb, pinfo, a, next);
        break;
    case LSD_LINE_MALFORMED:
    default:
        it = proto_tree_add_item(lt, hf_btlsd_line, tvb, lo, ll, ENC_ASCII);
        expert_add_info(pinfo, it, &ei_btlsd_malformed);
        break;
    }
    if ((l->flags & LSD_F_NO_CRLF) && l->kind != LSD_LINE_BLANK)
        proto_tree_add_expert(lt, pinfo, &ei_btlsd_no_crlf, tvb, lo, MAX(ll, 1));
}

/* After the last line: what was hidden or missing, the count, the records. */
static void finish_announce(tvbuff_t *tvb, packet_info *pinfo, btlsd_announce_t *a, size_t off)
{
    proto_tree *lt = a->lt;
    proto_item *it;
    gboolean full = FALSE;
    guint i;

    if (a->n_hidden) {
        it = proto_tree_add_uint_format(lt, hf_btlsd_lines_not_shown, tvb, a->hidden_off, (int)off - a->hidden_off,
                                        a->n_hidden, "[%u more lines not shown: at most %u lines are itemised]",
                                        a->n_hidden, BTLSD_MAX_LINES);
        proto_item_set_generated(it);
        expert_add_info_format(pinfo, it, &ei_btlsd_lines_not_shown,
                               "%u lines not itemised (bound %u); their infohashes are counted", a->n_hidden,
                               BTLSD_MAX_LINES);
    }
    if (!a->n_host)
        proto_tree_add_expert_format(lt, pinfo, &ei_btlsd_missing, tvb, 0, 0, "No Host header");
    if (!a->port)
        proto_tree_add_expert_format(lt, pinfo, &ei_btlsd_missing, tvb, 0, 0, "No valid Port header");
    if (!a->n_infohash)
        proto_tree_add_expert_format(lt, pinfo, &ei_btlsd_missing, tvb, 0, 0, "No valid Infohash header");
    it = proto_tree_add_uint(lt, hf_btlsd_infohash_count, tvb, 0, 0, a->n_infohash);
    proto_item_set_generated(it);

    for (i = 0; i < a->n_infohash; i++)
        full |= record(tvb, pinfo, (const guint8 *)wmem_array_index(a->hashes, i), i == 0 ? a->port : 0);
    if (!a->n_infohash && a->port)
        full |= record(tvb, pinfo, NULL, a->port);
    if (full)
        proto_tree_add_expert(lt, pinfo, &ei_btlsd_store_full, tvb, 0, 0);
}

static int dissect_btlsd(tvbuff_t *tvb, packet_info *pinfo, proto_tree *tree, void *data _U_)
{
    guint len = tvb_captured_length(tvb);
    const guint8 *buf = tvb_get_ptr(tvb, 0, len);
    btlsd_announce_t a;
    proto_item *ti, *it;
    size_t off = 0;
    char info[64];

    memset(&a, 0, sizeof(a));
    a.dst_group = destination_group(pinfo);
    a.hashes = wmem_array_new(pinfo->pool, BT_INFO_HASH_LEN);
    col_set_str(pinfo->cinfo, COL_PROTOCOL, "BT-LSD");
    col_clear(pinfo->cinfo, COL_INFO);
    ti = proto_tree_add_item(tree, proto_btlsd, tvb, 0, -1, ENC_NA);
    a.lt = proto_item_add_subtree(ti, ett_btlsd);

    it = proto_tree_add_uint(a.lt, hf_btlsd_group, tvb, 0, 0, (guint32)a.dst_group);
    proto_item_set_generated(it);
    if (!a.dst_group)
        expert_add_info(pinfo, it, &ei_btlsd_destination);

    /* Each line advances off by at least one byte, so this ends. */
    while (off < len && !a.ended) {
        lsd_line_t l;
        size_t next = lsd_parse_line(buf, len, off, a.n_lines == 0, &l);
        a.n_lines++;
        if (a.n_lines > BTLSD_MAX_LINES && l.kind != LSD_LINE_BLANK)
            count_hidden_line(&a, &l);
        else
            add_line(tvb, pinfo, &a, &l, next);
        off = next;
    }
    finish_announce(tvb, pinfo, &a, off);

    lsd_summary(info, sizeof(info), a.port, a.n_infohash);
    col_add_str(pinfo->cinfo, COL_INFO, info);
    proto_item_append_text(ti, ", %s", info);
    return (int)len;
}

static gboolean looks_like_lsd(tvbuff_t *tvb)
{
    guint8 head[sizeof(LSD_MAGIC) + 1];
    guint n = MIN(tvb_captured_length(tvb), (guint)sizeof(head));

    tvb_memcpy(tvb, head, 0, n);
    return lsd_looks_like(head, n);
}

static bt_heur_bool dissect_btlsd_heur(tvbuff_t *tvb, packet_info *pinfo, proto_tree *tree, void *data)
{
    if (!looks_like_lsd(tvb))
        return FALSE;
    dissect_btlsd(tvb, pinfo, tree, data);
    return TRUE;
}

/* On the LSD port: the same test, returning 0 lets UDP go on to the
 * heuristics for anything else. */
static int dissect_btlsd_port(tvbuff_t *tvb, packet_info *pinfo, proto_tree *tree, void *data)
{
    if (!looks_like_lsd(tvb))
        return 0;
    return dissect_btlsd(tvb, pinfo, tree, data);
}

void proto_register_btlsd(void)
{
    static hf_register_info hf[] = {
        { &hf_btlsd_request,
          { "Request line", "btlsd.request", FT_STRING, BASE_NONE, NULL, 0x0, NULL, HFILL } },
        { &hf_btlsd_host,
          { "Host", "btlsd.host", FT_STRING, BASE_NONE, NULL, 0x0, "Multicast group the sender names", HFILL } },
        { &hf_btlsd_port,
          { "Port", "btlsd.port", FT_UINT16, BASE_DEC, NULL, 0x0, "The announcing peer's listen port", HFILL } },
        { &hf_btlsd_infohash,
          { "Info hash", "btlsd.info_hash", FT_BYTES, BASE_NONE, NULL, 0x0,
            "Announced torrent (one per Infohash line)", HFILL } },
        { &hf_btlsd_infohash_text,
          { "Invalid info hash", "btlsd.info_hash.text", FT_STRING, BASE_NONE, NULL, 0x0,
            "Infohash value that is not 40 hex digits", HFILL } },
        { &hf_btlsd_infohash_count,
          { "Info hash count", "btlsd.info_hash_count", FT_UINT32, BASE_DEC, NULL, 0x0,
            "Valid Infohash lines", HFILL } },
        { &hf_btlsd_cookie,
          { "Cookie", "btlsd.cookie", FT_STRING, BASE_NONE, NULL, 0x0,
            "Sender's token to recognise its own announces", HFILL } },
        { &hf_btlsd_header,
          { "Header", "btlsd.header", FT_STRING, BASE_NONE, NULL, 0x0, "Header line kept as is", HFILL } },
        { &hf_btlsd_header_name,
          { "Name", "btlsd.header.name", FT_STRING, BASE_NONE, NULL, 0x0, NULL, HFILL } },
        { &hf_btlsd_header_value,
          { "Value", "btlsd.header.value", FT_STRING, BASE_NONE, NULL, 0x0, NULL, HFILL } },
        { &hf_btlsd_line,
          { "Malformed line", "btlsd.line", FT_STRING, BASE_NONE, NULL, 0x0, NULL, HFILL } },
        { &hf_btlsd_group,
          { "Destination", "btlsd.group", FT_UINT8, BASE_DEC, VALS(btlsd_group_vals), 0x0,
            "Whether the datagram went to a BEP 14 group (4, 6) or elsewhere (0)", HFILL } },
        { &hf_btlsd_lines_not_shown,
          { "Lines not shown", "btlsd.not_shown", FT_UINT32, BASE_DEC, NULL, 0x0,
            "Lines past the itemising bound: counted, not itemised", HFILL } },
    };
    static int *ett[] = { &ett_btlsd, &ett_btlsd_header };
    static ei_register_info ei[] = {
        { &ei_btlsd_bad_request,
          { "btlsd.request.invalid", PI_MALFORMED, PI_WARN, "Request line is not \"" LSD_MAGIC "\"", EXPFILL } },
        { &ei_btlsd_bad_infohash,
          { "btlsd.info_hash.invalid", PI_MALFORMED, PI_WARN, "Infohash is not 40 hex digits", EXPFILL } },
        { &ei_btlsd_bad_port,
          { "btlsd.port.invalid", PI_MALFORMED, PI_WARN, "Port is not a number from 1 to 65535", EXPFILL } },
        { &ei_btlsd_bad_host,
          { "btlsd.host.unexpected", PI_PROTOCOL, PI_WARN,
            "Host is not 239.192.152.143:6771 or [ff15::efc0:988f]:6771", EXPFILL } },
        { &ei_btlsd_malformed,
          { "btlsd.line.malformed", PI_MALFORMED, PI_WARN, "Line is not \"Name: value\"", EXPFILL } },
        { &ei_btlsd_no_crlf,
          { "btlsd.line.no_crlf", PI_PROTOCOL, PI_NOTE, "Line not ended by CRLF", EXPFILL } },
        { &ei_btlsd_destination,
          { "btlsd.group.unexpected", PI_PROTOCOL, PI_NOTE,
            "Announce not sent to a BEP 14 multicast group on port 6771", EXPFILL } },
        { &ei_btlsd_missing,
          { "btlsd.header.missing", PI_PROTOCOL, PI_WARN, "Required header missing", EXPFILL } },
        { &ei_btlsd_duplicate,
          { "btlsd.header.duplicate", PI_PROTOCOL, PI_WARN, "Header repeated; the first one is used", EXPFILL } },
        { &ei_btlsd_trailing,
          { "btlsd.trailing", PI_MALFORMED, PI_NOTE, "Bytes after the blank line that ends the announce",
            EXPFILL } },
        { &ei_btlsd_lines_not_shown,
          { "btlsd.not_shown.expert", PI_UNDECODED, PI_WARN, "Announce longer than the itemising bound",
            EXPFILL } },
        { &ei_btlsd_store_full,
          { "btlsd.discovery.full", PI_UNDECODED, PI_NOTE,
            "Discovery store full: infohashes and endpoints first announced from this frame on "
            "are not linked to later connections", EXPFILL } },
    };
    expert_module_t *expert;

    proto_btlsd = proto_register_protocol("BitTorrent Local Service Discovery (plugin)", "BT-LSD", "btlsd");
    proto_register_field_array(proto_btlsd, hf, array_length(hf));
    proto_register_subtree_array(ett, array_length(ett));
    expert = expert_register_protocol(proto_btlsd);
    expert_register_field_array(expert, ei, array_length(ei));
    btlsd_handle = register_dissector("btlsd", dissect_btlsd, proto_btlsd);
    btlsd_port_handle = create_dissector_handle(dissect_btlsd_port, proto_btlsd);
    bt_discovery_register();
}

void proto_reg_handoff_btlsd(void)
{
    heur_dissector_add("udp", dissect_btlsd_heur, "BitTorrent LSD (BEP 14) over UDP", "btlsd_udp", proto_btlsd,
                       HEURISTIC_ENABLE);
    dissector_add_uint_with_preference("udp.port", LSD_PORT, btlsd_port_handle);
    bt_discovery_handoff();
}
