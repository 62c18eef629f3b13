/* utp-header.c
 * uTP header and extension-chain parser (BEP 29), see utp-header.h.
 */
#include <string.h>

#include "btbytes.h"
#include "utp-header.h"

static utp_parse_status_t utp_parse_chain(const uint8_t *buf, size_t len, utp_header_t *h);

utp_parse_status_t utp_parse_header(const uint8_t *buf, size_t len, utp_header_t *h)
{
    memset(h, 0, sizeof *h);
    if (len < UTP_V1_HEADER_LEN)
        return UTP_PARSE_SHORT;

    h->version = buf[0] & 0x0f;
    if (h->version == 1) {
        h->type = buf[0] >> 4;
        h->first_ext = buf[1];
        h->conn_id = bt_be16(buf + 2);
        h->ts_us = bt_be32(buf + 4);
        h->ts_diff_us = bt_be32(buf + 8);
        h->wnd = bt_be32(buf + 12);
        h->seq = bt_be16(buf + 16);
        h->ack = bt_be16(buf + 18);
        h->hdr_len = UTP_V1_HEADER_LEN;
    } else if (h->version == 0) {
        return utp_parse_header_v0(buf, len, h);
    } else {
        return UTP_PARSE_BAD_VERSION;
    }
    return utp_parse_chain(buf, len, h);
}

utp_parse_status_t utp_parse_header_v0(const uint8_t *buf, size_t len, utp_header_t *h)
{
    memset(h, 0, sizeof *h);
    if (len < UTP_V0_HEADER_LEN)
        return UTP_PARSE_SHORT;
    h->version = 0;
    h->conn_id = bt_be32(buf);
    /* buf + 4: tv_sec, shown by the dissector; no analysis needs it */
    h->ts_us = bt_be32(buf + 8);
    h->ts_diff_us = bt_be32(buf + 12);
    h->wnd = buf[16];
    h->first_ext = buf[17];
    h->type = buf[18];
    h->seq = bt_be16(buf + 19);
    h->ack = bt_be16(buf + 21);
    h->hdr_len = UTP_V0_HEADER_LEN;
    return utp_parse_chain(buf, len, h);
}

static utp_parse_status_t utp_parse_chain(const uint8_t *buf, size_t len, utp_header_t *h)
{
    if (h->type > UTP_ST_MAX)
        return UTP_PARSE_BAD_TYPE;

    /* Each extension takes at least 2 bytes, so the walk ends within
     * len / 2 steps whatever the input. */
    size_t off = h->hdr_len;
    uint8_t type = h->first_ext;
    while (type != UTP_EXT_NONE) {
        if (off + 2 > len || off + 2 + buf[off + 1] > len) {
            h->bad_ext_off = off;
            h->payload_off = len;
            h->payload_len = 0;
            return UTP_PARSE_EXT_TRUNCATED;
        }
        if (type > UTP_EXT_KNOWN_MAX)
            h->unknown_ext = true;
        if (h->n_ext < UTP_MAX_EXT) {
            utp_ext_t *e = &h->ext[h->n_ext];
            e->type = type;
            e->len = buf[off + 1];
            e->hdr_off = off;
            e->data_off = off + 2;
            e->data = buf + off + 2;
            if (type == UTP_EXT_CLOSE_REASON && e->len == 4 && !h->has_close_reason) {
                h->has_close_reason = true;
                h->close_reason = bt_be16(e->data + 2);
            }
        }
        h->n_ext++;
        type = buf[off];
        off += 2 + (size_t)buf[off + 1];
    }
    h->payload_off = off;
    h->payload_len = len - off;
    h->payload = buf + off;
    return UTP_PARSE_OK;
}

/* Which types may carry payload: DATA always does; BEP 29 gives FIN no
 * payload, but nothing in it forbids one, so a known connection's FIN may. */
static bool payload_allowed(uint8_t type, size_t payload_len, bool known)
{
    switch (type) {
    case UTP_ST_DATA:
        return payload_len > 0;
    case UTP_ST_FIN:
        return known || payload_len == 0;
    default:
        return payload_len == 0;
    }
}

/* Lengths real implementations send for the known extensions (libutp,
 * libtorrent, uTorrent, utp-native): a selective ACK of 1 to 255 bytes
 * (never 0: there would be nothing to acknowledge), extension bits of
 * exactly 8 bytes (BEP 29), a close reason of exactly 4 (libtorrent). */
static bool ext_len_sent(const utp_ext_t *e)
{
    switch (e->type) {
    case UTP_EXT_SACK:
        return e->len > 0;
    case UTP_EXT_BITS:
        return e->len == 8;
    case UTP_EXT_CLOSE_REASON:
        return e->len == 4;
    default:
        return true;
    }
}

bool utp_plausible_new(const utp_header_t *h)
{
    if (h->version != 1 || h->type == UTP_ST_DATA || h->unknown_ext ||
        !payload_allowed(h->type, h->payload_len, false))
        return false;
    /* No implementation sends more than one of each known extension. */
    if (h->n_ext > UTP_EXT_KNOWN_MAX)
        return false;
    for (size_t i = 0; i < h->n_ext; i++)
        if (!ext_len_sent(&h->ext[i]))
            return false;
    return true;
}

bool utp_plausible_known(const utp_header_t *h)
{
    return payload_allowed(h->type, h->payload_len, true);
}
