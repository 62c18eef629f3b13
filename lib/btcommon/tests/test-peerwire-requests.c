/* Unit tests: request / piece matching decisions (peerwire-requests.c).
 * Expected values follow BEP 3 / BEP 6 message semantics. */
#include "check.h"
#include "peerwire-requests.h"

int main(void)
{
    bt_req_t r;

    /* the key names a block by (index, begin), both halves count */
    CHECK(bt_req_key(1, 0) != bt_req_key(0, 1));
    CHECK_EQ_INT(bt_req_key(2, 16384) >> 32, 2);
    CHECK_EQ_INT(bt_req_key(2, 16384) & 0xffffffffu, 16384);

    /* Request and Cancel are kept by their sender; Piece and Reject look in
     * the other side's table */
    CHECK(bt_req_in_senders_table(BT_REQ_REQUEST));
    CHECK(bt_req_in_senders_table(BT_REQ_CANCEL));
    CHECK(!bt_req_in_senders_table(BT_REQ_PIECE));
    CHECK(!bt_req_in_senders_table(BT_REQ_REJECT));

    /* the bound: a full table takes no new block, but a repeat replaces */
    CHECK(bt_req_fits(BT_REQ_MAX_OUTSTANDING - 1, false));
    CHECK(!bt_req_fits(BT_REQ_MAX_OUTSTANDING, false));
    CHECK(bt_req_fits(BT_REQ_MAX_OUTSTANDING, true));

    /* a request with nothing after it: unanswered only once read to the end */
    bt_req_init(&r, 7, 32768, 16384, 10);
    CHECK_EQ_INT(r.request_frame, 10);
    CHECK_EQ_INT(bt_req_fate(&r, false), 0);
    CHECK_EQ_INT(bt_req_fate(&r, true), BT_REQ_UNANSWERED);

    /* endgame: cancelled, stays in the table, then the piece still arrives */
    CHECK(!bt_req_answer(&r, BT_REQ_CANCEL, 20));
    CHECK(!bt_req_answer(&r, BT_REQ_CANCEL, 21));       /* the first cancel counts */
    CHECK_EQ_INT(r.cancel_frame, 20);
    CHECK_EQ_INT(bt_req_fate(&r, true), BT_REQ_CANCELLED);
    CHECK(bt_req_answer(&r, BT_REQ_PIECE, 30));          /* answered: leaves the table */
    CHECK_EQ_INT(r.piece_frame, 30);
    CHECK_EQ_INT(bt_req_fate(&r, true), BT_REQ_CANCELLED | BT_REQ_ANSWERED);
    bt_req_answer(&r, BT_REQ_PIECE, 31);
    CHECK_EQ_INT(r.piece_frame, 30);

    /* rejected (fast extension): leaves the table */
    bt_req_init(&r, 1, 0, 16384, 40);
    CHECK(bt_req_answer(&r, BT_REQ_REJECT, 41));
    CHECK_EQ_INT(bt_req_fate(&r, true), BT_REQ_REJECTED);
    CHECK(!bt_req_answer(&r, BT_REQ_REQUEST, 42));      /* not an answer */

    /* length: a Piece or Reject of another length contradicts the request,
     * a Cancel is not checked */
    bt_req_init(&r, 1, 0, 16384, 50);
    CHECK(!bt_req_length_differs(&r, BT_REQ_PIECE, 16384));
    CHECK(bt_req_length_differs(&r, BT_REQ_PIECE, 8192));
    CHECK(bt_req_length_differs(&r, BT_REQ_REJECT, 1));
    CHECK(!bt_req_length_differs(&r, BT_REQ_CANCEL, 1));

    return check_summary("test-peerwire-requests");
}
