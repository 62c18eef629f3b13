/* utp-seq.c
 * Wrapping arithmetic for uTP (BEP 29) sequence numbers and connection ids.
 */
#include "utp-seq.h"

uint64_t utp_seq_unwrap(uint64_t ref, uint16_t seq)
{
    int32_t d = utp_seq_diff(seq, (uint16_t)ref);
    if (d < 0 && ref < (uint64_t)-d)
        return ref + (uint64_t)(d + 65536);
    return ref + (uint64_t)(int64_t)d;
}

utp_role_t utp_roles_from_ids(uint16_t first_id, uint16_t second_id)
{
    if ((uint16_t)(first_id + 1) == second_id)
        return UTP_ROLE_SECOND_IS_INITIATOR;   /* second sends SYN id + 1 */
    if ((uint16_t)(second_id + 1) == first_id)
        return UTP_ROLE_FIRST_IS_INITIATOR;
    return UTP_ROLE_UNKNOWN;
}

bool utp_seq_agree(uint16_t a_seq, uint16_t a_ack, uint16_t b_seq, uint16_t b_ack)
{
    int32_t d1 = utp_seq_diff(b_seq, a_ack), d2 = utp_seq_diff(a_seq, b_ack);
    return d1 >= -UTP_AGREE_WINDOW && d1 <= UTP_AGREE_WINDOW &&
           d2 >= -UTP_AGREE_WINDOW && d2 <= UTP_AGREE_WINDOW;
}
