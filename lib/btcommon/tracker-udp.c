/* tracker-udp.c
 * BEP 15 UDP tracker message layouts and BEP 41 announce options.
 * See tracker-udp.h for the wire format.
 */
#include "tracker-udp.h"

#include <string.h>

int btudp_is_connect_request(const uint8_t *buf, size_t len)
{
    return len >= BTUDP_CONNECT_LEN && bt_be64(buf) == BTUDP_MAGIC &&
           bt_be32(buf + BTUDP_REQ_ACTION_OFF) == BTUDP_ACTION_CONNECT;
}

/* Fills the entry count of a list of fixed-size entries from `off` on. */
static void entries(btudp_msg_t *m, size_t len, size_t off, size_t entry_len)
{
    m->entries_off = off;
    m->entry_len = entry_len;
    m->n_entries = len > off ? (len - off) / entry_len : 0;
    m->trailing = len > off ? (len - off) % entry_len : 0;
    if (m->trailing && m->status == BTUDP_OK)
        m->status = BTUDP_TRAILING;
}

int btudp_parse_request(const uint8_t *buf, size_t len, btudp_msg_t *out)
{
    memset(out, 0, sizeof(*out));
    if (len < BTUDP_REQ_HDR) {
        out->status = BTUDP_TRUNCATED;
        return 0;
    }
    out->connection_id = bt_be64(buf + BTUDP_REQ_CID_OFF);
    out->action = bt_be32(buf + BTUDP_REQ_ACTION_OFF);
    out->transaction_id = bt_be32(buf + BTUDP_REQ_TID_OFF);
    switch (out->action) {
    case BTUDP_ACTION_CONNECT:
        out->fixed_len = BTUDP_CONNECT_LEN;
        break;
    case BTUDP_ACTION_ANNOUNCE:
        out->fixed_len = BTUDP_ANNOUNCE_REQ_LEN;
        out->entries_off = BTUDP_ANNOUNCE_REQ_LEN;   /* BEP 41 options */
        if (len < BTUDP_ANNOUNCE_REQ_LEN)
            out->status = BTUDP_TRUNCATED;
        break;
    case BTUDP_ACTION_SCRAPE:
        out->fixed_len = BTUDP_SCRAPE_REQ_HDR;
        entries(out, len, BTUDP_SCRAPE_REQ_HDR, BT_INFO_HASH_LEN);
        break;
    default:
        out->fixed_len = BTUDP_REQ_HDR;
        out->status = BTUDP_UNKNOWN_ACTION;
        break;
    }
    return 1;
}

int btudp_parse_response(const uint8_t *buf, size_t len, int ipv6, btudp_msg_t *out)
{
    memset(out, 0, sizeof(*out));
    if (len < BTUDP_RESP_HDR) {
        out->status = BTUDP_TRUNCATED;
        return 0;
    }
    out->action = bt_be32(buf + BTUDP_RESP_ACTION_OFF);
    out->transaction_id = bt_be32(buf + BTUDP_RESP_TID_OFF);
    switch (out->action) {
    case BTUDP_ACTION_CONNECT:
        out->fixed_len = BTUDP_CONNECT_LEN;
        if (len < BTUDP_CONNECT_LEN)
            out->status = BTUDP_TRUNCATED;
        else
            out->connection_id = bt_be64(buf + BTUDP_CONN_CID_OFF);
        break;
    case BTUDP_ACTION_ANNOUNCE:
        out->fixed_len = BTUDP_ANNOUNCE_RESP_HDR;
        if (len < BTUDP_ANNOUNCE_RESP_HDR)
            out->status = BTUDP_TRUNCATED;
        else
            entries(out, len, BTUDP_ANNOUNCE_RESP_HDR, bt_compact_entry_len(ipv6));
        break;
    case BTUDP_ACTION_SCRAPE:
        out->fixed_len = BTUDP_SCRAPE_RESP_HDR;
        entries(out, len, BTUDP_SCRAPE_RESP_HDR, BTUDP_SCRAPE_ENTRY);
        break;
    case BTUDP_ACTION_ERROR:
        out->fixed_len = BTUDP_ERROR_HDR;
        out->entries_off = BTUDP_ERROR_HDR;         /* the message */
        break;
    default:
        out->fixed_len = BTUDP_RESP_HDR;
        out->status = BTUDP_UNKNOWN_ACTION;
        break;
    }
    return 1;
}

int btudp_next_option(const uint8_t *buf, size_t len, size_t *pos, btudp_option_t *out)
{
    size_t p = *pos;
    memset(out, 0, sizeof(*out));
    if (p >= len)
        return 0;
    out->type = buf[p];
    out->offset = p;
    switch (out->type) {
    case BTUDP_OPT_END:
        *pos = len;               /* BEP 41: nothing after EndOfOptions is parsed */
        return 1;
    case BTUDP_OPT_NOP:
        *pos = p + 1;
        return 1;
    default:
        /* URL data and unknown types alike carry a length byte; BEP 41 says
         * a client must skip unknown option types by their length. */
        if (p + 1 >= len) {
            out->truncated = 1;
            *pos = len;
            return 1;
        }
        out->data_off = p + 2;
        out->data_len = buf[p + 1];
        if (out->data_len > len - out->data_off) {
            out->data_len = len - out->data_off;
            out->truncated = 1;
            *pos = len;
            return 1;
        }
        *pos = out->data_off + out->data_len;
        return 1;
    }
}
