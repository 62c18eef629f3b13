/* peerwire-requests.h
 * Request / piece matching on one peer-wire connection (BEP 3, BEP 6), free
 * of any Wireshark dependency: the record of one Request, which side's table
 * keeps it, what a Piece, Cancel or Reject Request does to it, and what
 * became of it.  The dissector (plugins/bt-handshake/btpeer-requests.c) keeps
 * the tables (one per side, keyed by bt_req_key) and shows the links.
 */
#ifndef BTCOMMON_PEERWIRE_REQUESTS_H
#define BTCOMMON_PEERWIRE_REQUESTS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

typedef enum { BT_REQ_REQUEST, BT_REQ_PIECE, BT_REQ_CANCEL, BT_REQ_REJECT } bt_req_kind_t;

/* Outstanding requests remembered per side.  Answered and rejected requests
 * leave the table; cancelled ones stay until their piece (endgame pieces
 * still arrive) or until replaced.  Clients keep a few hundred requests in
 * flight (libtorrent's default queue is 500, its hard limit a few
 * thousand): 65,536 is far above that and bounds a hostile stream of
 * requests that are never answered. */
#define BT_REQ_MAX_OUTSTANDING 65536u

/* One Request and the frames of what answered it (0: none yet). */
typedef struct {
    uint32_t index, begin, length;
    uint32_t request_frame;
    uint32_t piece_frame;
    uint32_t cancel_frame;
    uint32_t reject_frame;
} bt_req_t;

/* What became of a request (bt_req_fate). */
#define BT_REQ_ANSWERED   0x1
#define BT_REQ_CANCELLED  0x2
#define BT_REQ_REJECTED   0x4
#define BT_REQ_UNANSWERED 0x8   /* nothing came, and the capture is read to its end */

/* A block is named by (index, begin): the key of the request tables. */
static inline uint64_t bt_req_key(uint32_t index, uint32_t begin)
{
    return (uint64_t)index << 32 | begin;
}

/* Requests live with the side that sent them: a Request or Cancel is looked
 * up in its sender's table, a Piece or Reject Request in the other side's. */
static inline bool bt_req_in_senders_table(bt_req_kind_t kind)
{
    return kind == BT_REQ_REQUEST || kind == BT_REQ_CANCEL;
}

/* May a new Request be remembered in a table of `size` entries?  Always
 * when it replaces one of the same block (a repeated request replaces the
 * older one, which stays unanswered); otherwise while below the bound. */
static inline bool bt_req_fits(size_t size, bool replaces)
{
    return replaces || size < BT_REQ_MAX_OUTSTANDING;
}

void bt_req_init(bt_req_t *r, uint32_t index, uint32_t begin, uint32_t length, uint32_t frame);

/* A Piece, Cancel or Reject Request for this request, seen in `frame`: the
 * first of each kind is recorded.  Returns true when the request leaves its
 * table (answered or rejected: a later Piece for the same block is a new
 * story). */
bool bt_req_answer(bt_req_t *r, bt_req_kind_t kind, uint32_t frame);

/* BT_REQ_* bits; UNANSWERED only once `read_to_end` (after the first pass). */
unsigned bt_req_fate(const bt_req_t *r, bool read_to_end);

/* Does a Piece or Reject Request of `length` bytes contradict the request
 * (a Cancel repeats the length but is not checked)? */
bool bt_req_length_differs(const bt_req_t *r, bt_req_kind_t kind, uint32_t length);

#endif
