/* peerid.h
 * Client name and version from a BitTorrent peer id (BEP 20, "Peer ID
 * Conventions"), for the handshake's btpeer.client / btpeer.client.version.
 *
 * Three encodings are recognised:
 *  - Azureus style  "-XXVVVV-"   two-letter client code, four version chars;
 *  - Shadow style   "SVVV--"     one letter, version chars, '-' padding;
 *  - Mainline style "M4-3-6--"   one letter, '-'-separated decimal numbers
 *    (aria2 uses the same shape with "A2").
 * plus a few fixed prefixes (BitComet "exbc", Tixati "TIX").
 */
#ifndef BTCOMMON_PEERID_H
#define BTCOMMON_PEERID_H

#include <stddef.h>
#include <stdint.h>

#include "btwire.h"   /* BT_PEER_ID_LEN */

typedef enum {
    BT_PEERID_UNKNOWN = 0,
    BT_PEERID_AZUREUS,
    BT_PEERID_SHADOW,
    BT_PEERID_MAINLINE,
    BT_PEERID_OTHER      /* a fixed prefix such as "exbc" or "TIX" */
} bt_peerid_style_t;

typedef struct {
    bt_peerid_style_t style;
    char client[48];     /* "qBittorrent"; "" when not recognised        */
    char version[24];    /* "4.5.2"; "" when there is no version to read */
    char code[4];        /* the client code as it appears: "qB", "S", "M" */
} bt_peerid_info_t;

/* Fills *info from a 20-byte peer id.  Returns the style (UNKNOWN when the id
 * follows no known convention; the struct is then all empty). */
bt_peerid_style_t bt_peerid_parse(const uint8_t id[BT_PEER_ID_LEN], bt_peerid_info_t *info);

/* Name of an Azureus-style two-letter client code, or NULL. */
const char *bt_peerid_azureus_name(const char code[2]);

const char *bt_peerid_style_name(bt_peerid_style_t style);

/* 1 when id[0..len) is printable ASCII (shown as text), 0 otherwise (shown
 * as hex: a peer id of random or 0xBB bytes is not a string). */
int bt_peerid_printable(const uint8_t *id, size_t len);

#endif /* BTCOMMON_PEERID_H */
