/* utp-reasm.c
 * uTP (BEP 29) stream reassembly decisions (utp-reasm.h): how much of a new
 * chunk an unfinished PDU takes, when it is complete or given up on, and
 * which tail is kept after a dissector asked for more.  Pure C.
 */
#include "utp-reasm.h"

utp_reasm_step_t utp_reasm_add(uint32_t pend_len, uint32_t pend_need, uint64_t consumed_total,
                               uint32_t chunk_len, uint32_t *take)
{
    uint32_t lacks = pend_need != UTP_REASM_ONE_MORE && pend_len < pend_need ? pend_need - pend_len : 0;
    uint64_t len;

    *take = pend_need != UTP_REASM_ONE_MORE && chunk_len > lacks ? lacks : chunk_len;
    len = (uint64_t)pend_len + *take;
    if (pend_need == UTP_REASM_ONE_MORE && len > UTP_REASM_MAX_ONE_MORE) {
        *take = chunk_len;
        return UTP_REASM_AS_DATA_ONE_MORE;
    }
    if (!consumed_total && len > UTP_REASM_UNACCEPTED_MAX) {
        *take = chunk_len;       /* all of it shown as data */
        return UTP_REASM_AS_DATA_UNACCEPTED;
    }
    if (pend_need != UTP_REASM_ONE_MORE && len < pend_need)
        return UTP_REASM_WAIT;
    return UTP_REASM_COMPLETE;
}

int utp_reasm_tail(uint32_t len, int32_t desegment_offset, uint32_t desegment_len,
                   uint32_t *consumed, uint32_t *tail, uint32_t *need)
{
    uint64_t total;

    if (!desegment_len || desegment_offset < 0 || (uint32_t)desegment_offset >= len)
        return 0;
    *consumed = (uint32_t)desegment_offset;
    *tail = len - *consumed;
    total = desegment_len == UTP_REASM_ONE_MORE ? (uint64_t)*tail + 1 : (uint64_t)*tail + desegment_len;
    if (total > UTP_REASM_MAX_PDU)
        return 0;
    *need = desegment_len == UTP_REASM_ONE_MORE ? UTP_REASM_ONE_MORE : (uint32_t)total;
    return 1;
}
