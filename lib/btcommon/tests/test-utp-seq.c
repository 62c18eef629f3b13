/* Unit tests: uTP sequence arithmetic, wraparound, connection-id roles. */
#include "check.h"
#include "utp-seq.h"

int main(void)
{
    /* distance and ordering across the 16-bit wrap */
    CHECK_EQ_INT(utp_seq_diff(1, 65535), 2);
    CHECK_EQ_INT(utp_seq_diff(65535, 1), -2);
    CHECK_EQ_INT(utp_seq_diff(100, 100), 0);
    CHECK_EQ_INT(utp_seq_diff(32767, 0), 32767);
    CHECK_EQ_INT(utp_seq_diff(32768, 0), -32768);
    CHECK(utp_seq_diff(65530, 3) < 0);
    CHECK(utp_seq_diff(3, 65530) > 0);
    CHECK(utp_seq_diff(7, 7) == 0);

    /* unwrapping follows the counter through several wraps */
    CHECK_EQ_INT(utp_seq_unwrap(65535, 0), 65536);
    CHECK_EQ_INT(utp_seq_unwrap(65536 + 10, 5), 65536 + 5);      /* a little behind */
    CHECK_EQ_INT(utp_seq_unwrap(65536 + 10, 65530), 65530);      /* behind, across the wrap */
    CHECK_EQ_INT(utp_seq_unwrap(3 * 65536 + 65000, 100), 4 * 65536 + 100);
    CHECK_EQ_INT(utp_seq_unwrap(10, 65530), 65530);              /* never below zero */
    CHECK_EQ_INT(utp_seq_unwrap(0, 0), 0);
    {
        /* walk 200000 packets: unwrap(prev, low16(n)) == n at every step */
        uint64_t prev = 70000, bad = 0;
        for (uint64_t n = 70001; n < 270000; n++) {
            if (utp_seq_unwrap(prev, (uint16_t)n) != n)
                bad++;
            prev = n;
        }
        CHECK_EQ_INT(bad, 0);
    }

    /* wrapping comparison of 32-bit delays */
    CHECK(utp_u32_wrapping_lt(1, 2));
    CHECK(utp_u32_wrapping_lt(0xFFFFFFF0u, 5));
    CHECK(!utp_u32_wrapping_lt(5, 0xFFFFFFF0u));
    CHECK(!utp_u32_wrapping_lt(9, 9));

    /* connection ids: SYN id X; initiator then sends X+1, acceptor X */
    CHECK_EQ_INT(utp_roles_from_ids(46081, 46080), UTP_ROLE_FIRST_IS_INITIATOR);
    CHECK_EQ_INT(utp_roles_from_ids(46080, 46081), UTP_ROLE_SECOND_IS_INITIATOR);
    CHECK_EQ_INT(utp_roles_from_ids(0, 65535), UTP_ROLE_FIRST_IS_INITIATOR);
    CHECK_EQ_INT(utp_roles_from_ids(65535, 0), UTP_ROLE_SECOND_IS_INITIATOR);
    CHECK_EQ_INT(utp_roles_from_ids(100, 100), UTP_ROLE_UNKNOWN);
    CHECK_EQ_INT(utp_roles_from_ids(100, 300), UTP_ROLE_UNKNOWN);

    /* mid-stream pairing: each ack near the other side's seq, across the wrap */
    CHECK(utp_seq_agree(200, 5000, 5001, 199));      /* A DATA 200 ack 5000; B STATE 5001 ack 199 */
    CHECK(utp_seq_agree(3, 65535, 0, 65000));        /* wrapped, A has 540 in flight */
    CHECK(!utp_seq_agree(200, 5000, 5001, 20000));   /* B acks far from A's numbers */
    CHECK(!utp_seq_agree(200, 40000, 5001, 199));    /* A acks far from B's numbers */
    CHECK(utp_seq_agree(1224, 0, 1, 200));           /* exactly the window */
    CHECK(!utp_seq_agree(1225, 0, 1, 200));

    return check_summary("test-utp-seq");
}
