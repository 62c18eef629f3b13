/* krpc.c
 * KRPC messages of the mainline DHT (BEP 5) and its extensions' pure
 * computations (BEP 32, 33, 42, 44, 51).  See krpc.h.
 */
#include "krpc.h"
#include "btbytes.h"
#include "peerid.h"

#include <math.h>
#include <stdio.h>
#include <string.h>

static const char *const query_names[KRPC_Q_COUNT] = {
    "unknown", "ping", "find_node", "get_peers", "announce_peer", "get", "put", "sample_infohashes",
};

static int ascii_alnum(uint8_t c)
{
    return (c >= '0' && c <= '9') || (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z');
}

const char *krpc_query_name(krpc_q_t q)
{
    return (unsigned)q < KRPC_Q_COUNT ? query_names[q] : query_names[0];
}

krpc_q_t krpc_query_kind(const uint8_t *buf, const bencode_value_t *q)
{
    unsigned i;
    for (i = 1; i < KRPC_Q_COUNT; i++) {
        if (bencode_str_eq(buf, q, query_names[i]))
            return (krpc_q_t)i;
    }
    return KRPC_Q_UNKNOWN;
}

const char *krpc_error_name(int64_t code)
{
    switch (code) {
    case 201: return "Generic Error";
    case 202: return "Server Error";
    case 203: return "Protocol Error";
    case 204: return "Method Unknown";
    case 205: return "Message too big";                    /* BEP 44 */
    case 206: return "Invalid signature";                  /* BEP 44 */
    case 207: return "Salt too big";                       /* BEP 44 */
    case 301: return "CAS mismatch";                       /* BEP 44 */
    case 302: return "Sequence number less than current";  /* BEP 44 */
    default:  return NULL;
    }
}

/* Which member of krpc_msg_t a one- or two-letter top-level key fills. */
static bencode_value_t *slot(krpc_msg_t *m, const uint8_t *buf, const bencode_value_t *k)
{
    static const struct { const char *name; size_t off; } keys[] = {
        { "t", offsetof(krpc_msg_t, t) },   { "y", offsetof(krpc_msg_t, y) },
        { "q", offsetof(krpc_msg_t, q) },   { "a", offsetof(krpc_msg_t, a) },
        { "r", offsetof(krpc_msg_t, r) },   { "e", offsetof(krpc_msg_t, e) },
        { "v", offsetof(krpc_msg_t, v) },   { "ip", offsetof(krpc_msg_t, ip) },
        { "ro", offsetof(krpc_msg_t, ro) },
    };
    size_t i;
    for (i = 0; i < sizeof(keys) / sizeof(keys[0]); i++) {
        if (bencode_str_eq(buf, k, keys[i].name))
            return (bencode_value_t *)((char *)m + keys[i].off);
    }
    return NULL;
}

bencode_err_t krpc_parse(const uint8_t *buf, size_t len, krpc_msg_t *m, size_t *err_off)
{
    bencode_iter_t it;
    bencode_value_t k, v, *dst;
    bencode_err_t err;

    memset(m, 0, sizeof(*m));
    err = bencode_parse(buf, len, 0, KRPC_MAX_DEPTH, &m->msg, err_off);
    if (err != BENC_OK)
        return err;
    if (m->msg.type != BENC_DICT) {
        if (err_off)
            *err_off = 0;
        return BENC_ERR_SYNTAX;
    }
    if (m->msg.end != len) {
        if (err_off)
            *err_off = m->msg.end;
        return BENC_ERR_SYNTAX;
    }
    bencode_iter_init(&it, buf, len, &m->msg, KRPC_MAX_DEPTH);
    while (bencode_iter_next(&it, &k, &v)) {
        dst = slot(m, buf, &k);
        if (dst && dst->type == 0)
            *dst = v;           /* a repeated key: the first one counts */
        else
            m->n_other++;
    }
    if (m->y.type == BENC_STR && m->y.str_len == 1) {
        switch (buf[m->y.str_off]) {
        case 'q': m->y_kind = KRPC_Y_QUERY; break;
        case 'r': m->y_kind = KRPC_Y_RESPONSE; break;
        case 'e': m->y_kind = KRPC_Y_ERROR; break;
        default: break;
        }
    }
    if (m->y_kind == KRPC_Y_QUERY && m->q.type == BENC_STR)
        m->q_kind = krpc_query_kind(buf, &m->q);
    return BENC_OK;
}

int krpc_looks_like(const uint8_t *buf, size_t len)
{
    static const char *const prefixes[] = { "d1:ad", "d1:rd", "d2:ip", "d1:el" };
    krpc_msg_t m;
    size_t i;

    if (len < 5 || buf[0] != 'd')
        return 0;
    for (i = 0; i < sizeof(prefixes) / sizeof(prefixes[0]); i++) {
        if (memcmp(buf, prefixes[i], 5) == 0)
            return 1;
    }
    return krpc_parse(buf, len, &m, NULL) == BENC_OK && m.t.type == BENC_STR && m.y_kind != KRPC_Y_NONE;
}

size_t krpc_node_len(int ipv6)
{
    return ipv6 ? KRPC_NODE_V6_LEN : KRPC_NODE_V4_LEN;
}

size_t krpc_node_count(size_t len, int ipv6, size_t *trailing)
{
    size_t n = krpc_node_len(ipv6);
    if (trailing)
        *trailing = len % n;
    return len / n;
}

void krpc_node_get(const uint8_t *buf, int ipv6, size_t i, krpc_node_t *out)
{
    const uint8_t *p = buf + i * krpc_node_len(ipv6);
    size_t alen = ipv6 ? 16 : 4;

    memset(out, 0, sizeof(*out));
    memcpy(out->id, p, KRPC_ID_LEN);
    out->ipv6 = ipv6;
    memcpy(out->addr, p + KRPC_ID_LEN, alen);
    out->port = bt_be16(p + KRPC_ID_LEN + alen);
}

uint32_t krpc_crc32c(const uint8_t *data, size_t len)
{
    uint32_t crc = 0xffffffffu;
    size_t i;
    int b;

    for (i = 0; i < len; i++) {
        crc ^= data[i];
        for (b = 0; b < 8; b++)
            crc = (crc >> 1) ^ (0x82f63b78u & (0u - (crc & 1u)));
    }
    return ~crc;
}

int krpc_bep42_exempt(const uint8_t *a, int ipv6)
{
    if (!ipv6)
        return a[0] == 10 || a[0] == 127 || (a[0] == 172 && (a[1] & 0xf0) == 16) ||
               (a[0] == 192 && a[1] == 168) || (a[0] == 169 && a[1] == 254);
    {
        static const uint8_t loopback[16] = { [15] = 1 };
        return memcmp(a, loopback, 16) == 0 || (a[0] & 0xfe) == 0xfc || (a[0] == 0xfe && (a[1] & 0xc0) == 0x80);
    }
}

krpc_bep42_t krpc_bep42_check(const uint8_t id[KRPC_ID_LEN], const uint8_t *addr, int ipv6)
{
    static const uint8_t mask4[4] = { 0x03, 0x0f, 0x3f, 0xff };
    static const uint8_t mask6[8] = { 0x01, 0x03, 0x07, 0x0f, 0x1f, 0x3f, 0x7f, 0xff };
    const uint8_t *mask = ipv6 ? mask6 : mask4;
    size_t n = ipv6 ? 8 : 4, i;
    uint8_t ip[8];
    uint32_t crc;

    if (krpc_bep42_exempt(addr, ipv6))
        return KRPC_BEP42_EXEMPT;
    for (i = 0; i < n; i++)
        ip[i] = addr[i] & mask[i];
    ip[0] |= (uint8_t)((id[KRPC_ID_LEN - 1] & 7) << 5);
    crc = krpc_crc32c(ip, n);
    if (id[0] == (uint8_t)(crc >> 24) && id[1] == (uint8_t)(crc >> 16) &&
        (id[2] & 0xf8) == ((crc >> 8) & 0xf8))
        return KRPC_BEP42_MATCH;
    return KRPC_BEP42_MISMATCH;
}

unsigned krpc_common_bits(const uint8_t a[KRPC_ID_LEN], const uint8_t b[KRPC_ID_LEN])
{
    unsigned i, n = 0;
    for (i = 0; i < KRPC_ID_LEN; i++) {
        uint8_t x = a[i] ^ b[i];
        if (x == 0) {
            n += 8;
            continue;
        }
        while (!(x & 0x80)) {
            n++;
            x = (uint8_t)(x << 1);
        }
        break;
    }
    return n;
}

unsigned krpc_bloom_estimate(const uint8_t filter[KRPC_BLOOM_BYTES], int *saturated)
{
    const double m = KRPC_BLOOM_BYTES * 8.0, k = 2.0;
    unsigned zeros = 0, i;
    double est;

    for (i = 0; i < KRPC_BLOOM_BYTES; i++) {
        uint8_t x = filter[i];
        unsigned ones = 0;
        for (; x; x &= (uint8_t)(x - 1))
            ones++;
        zeros += 8 - ones;
    }
    if (saturated)
        *saturated = zeros == 0;
    if (zeros == 0)
        zeros = 1;
    est = log(zeros / m) / (k * log(1.0 - 1.0 / m));
    return (unsigned)(est + 0.5);
}

int krpc_version_name(const uint8_t *v, size_t len, char *client, size_t client_len,
                      char *version, size_t version_len)
{
    const char *name;
    char code[2];

    if (client_len)
        client[0] = '\0';
    if (version_len)
        version[0] = '\0';
    if (len != 4)
        return 0;
    code[0] = (char)v[0];
    code[1] = (char)v[1];
    /* libtorrent sends binary major, minor ("LT\x02\x00"); some send
     * two ASCII characters ("UT12"): shown as they are */
    if (ascii_alnum(v[2]) && ascii_alnum(v[3]))
        snprintf(version, version_len, "%c%c", v[2], v[3]);
    else
        snprintf(version, version_len, "%u.%u", v[2], v[3]);
    name = bt_peerid_azureus_name(code);
    /* aria2 sends "A2" in "v" but a mainline-style peer id ("A2-1-36-0-"),
     * so peerid.c's table of Azureus-style codes does not list it */
    if (!name && code[0] == 'A' && code[1] == '2')
        name = "aria2";
    if (name) {
        snprintf(client, client_len, "%s", name);
        return 1;
    }
    if (bt_peerid_printable(v, 2))
        snprintf(client, client_len, "%c%c", code[0], code[1]);
    return 0;
}
