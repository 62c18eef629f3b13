/* packet-utp.h
 * What the uTP plugin (BEP 29) offers to the dissectors of what it carries.
 *
 * uTP reassembles each direction of a connection into an in-order byte stream
 * and hands it, exactly like TCP does, to the heuristic dissectors registered on
 * the list UTP_PAYLOAD_HEUR_LIST:
 *
 *   if (has_heur_dissector_list(UTP_PAYLOAD_HEUR_LIST))
 *       heur_dissector_add(UTP_PAYLOAD_HEUR_LIST, dissect_x_heur_utp,
 *                          "X over uTP", "x_utp", proto_x, HEURISTIC_ENABLE);
 *
 * - The heuristic receives a utp_payload_info_t * as its `data`.
 * - pinfo->can_desegment is set: the dissector may set pinfo->desegment_offset
 *   and pinfo->desegment_len (DESEGMENT_ONE_MORE_SEGMENT allowed) to ask for
 *   more bytes, as with TCP; uTP then calls it again with the bytes from
 *   desegment_offset onwards followed by the next in-order bytes.
 * - Once a heuristic has accepted a connection, uTP calls that same dissector
 *   directly for every later PDU of both directions of the connection, so the
 *   dissector does not need to recognise messages without a magic.
 * - When no heuristic accepts, the built-in "bittorrent.utp" dissector is tried
 *   (if present), then "data".
 */
#ifndef PACKET_UTP_H
#define PACKET_UTP_H

#include <glib.h>

#define UTP_PAYLOAD_HEUR_LIST "utp.payload"

typedef struct utp_payload_info {
    guint32  stream;          /* utp.stream of the connection */
    gboolean from_initiator;  /* this data travels from the side that sent the SYN
                                 (FALSE also when the SYN was not captured and the
                                 roles could not be told apart) */
    guint64  stream_offset;   /* byte offset, in this direction's stream, of the
                                 first byte of the tvb handed over */
    gboolean mid_stream;      /* the start of this direction was not captured (no
                                 SYN, or its first DATA packets missing) and the tvb
                                 begins at the first captured byte: it may begin
                                 inside a message, so resynchronise */
    gboolean after_gap;       /* packets just before these bytes were never
                                 captured (a sequence gap uTP gave up waiting for):
                                 the tvb may begin inside a message */
} utp_payload_info_t;

#endif /* PACKET_UTP_H */
