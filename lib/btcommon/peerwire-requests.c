/* peerwire-requests.c
 * Request / piece matching decisions (BEP 3, BEP 6); see peerwire-requests.h.
 */
#include <string.h>

#include "peerwire-requests.h"

void bt_req_init(bt_req_t *r, uint32_t index, uint32_t begin, uint32_t length, uint32_t frame)
{
    memset(r, 0, sizeof *r);
    r->index = index;
    r->begin = begin;
    r->length = length;
    r->request_frame = frame;
}

bool bt_req_answer(bt_req_t *r, bt_req_kind_t kind, uint32_t frame)
{
    switch (kind) {
    case BT_REQ_PIECE:
        if (!r->piece_frame)
            r->piece_frame = frame;
        return true;
    case BT_REQ_CANCEL:
        if (!r->cancel_frame)
            r->cancel_frame = frame;
        return false;   /* endgame: the piece may still arrive */
    case BT_REQ_REJECT:
        if (!r->reject_frame)
            r->reject_frame = frame;
        return true;
    case BT_REQ_REQUEST:
        break;
    }
    return false;
}

unsigned bt_req_fate(const bt_req_t *r, bool read_to_end)
{
    unsigned f = 0;
    if (r->piece_frame)
        f |= BT_REQ_ANSWERED;
    if (r->cancel_frame)
        f |= BT_REQ_CANCELLED;
    if (r->reject_frame)
        f |= BT_REQ_REJECTED;
    if (read_to_end && !f)
        f |= BT_REQ_UNANSWERED;
    return f;
}

bool bt_req_length_differs(const bt_req_t *r, bt_req_kind_t kind, uint32_t length)
{
    return kind != BT_REQ_CANCEL && r->length != length;
}
