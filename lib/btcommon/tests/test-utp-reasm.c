/* Unit tests: uTP reassembly decisions (utp-reasm.h). */
#include "check.h"
#include "utp-reasm.h"

int main(void)
{
    uint32_t take = 0, consumed = 0, tail = 0, need = 0;

    /* a 16397-byte piece message: 1400 pending, chunks of 1400 */
    CHECK_EQ_INT(utp_reasm_add(1400, 16397, 0, 1400, &take), UTP_REASM_WAIT);
    CHECK_EQ_INT(take, 1400);
    /* the completing chunk brings 187 bytes more than the PDU lacks: only
     * what it lacks is taken, the rest is handed on after it */
    CHECK_EQ_INT(utp_reasm_add(15400, 16397, 0, 1184, &take), UTP_REASM_COMPLETE);
    CHECK_EQ_INT(take, 997);
    /* exactly what it lacks */
    CHECK_EQ_INT(utp_reasm_add(15400, 16397, 0, 997, &take), UTP_REASM_COMPLETE);
    CHECK_EQ_INT(take, 997);
    /* one byte short */
    CHECK_EQ_INT(utp_reasm_add(15400, 16397, 0, 996, &take), UTP_REASM_WAIT);
    CHECK_EQ_INT(take, 996);

    /* "one more segment": any chunk completes the ask, all of it taken */
    CHECK_EQ_INT(utp_reasm_add(100, UTP_REASM_ONE_MORE, 5000, 1400, &take), UTP_REASM_COMPLETE);
    CHECK_EQ_INT(take, 1400);
    /* ... until it passes 64 KiB: given up, shown as data */
    CHECK_EQ_INT(utp_reasm_add(UTP_REASM_MAX_ONE_MORE - 10, UTP_REASM_ONE_MORE, 5000, 11, &take),
                 UTP_REASM_AS_DATA_ONE_MORE);
    CHECK_EQ_INT(utp_reasm_add(UTP_REASM_MAX_ONE_MORE - 10, UTP_REASM_ONE_MORE, 5000, 10, &take),
                 UTP_REASM_COMPLETE);

    /* nothing ever taken as a PDU, past 256 KiB: not a protocol the dissector knows */
    CHECK_EQ_INT(utp_reasm_add(UTP_REASM_UNACCEPTED_MAX, 1024 * 1024, 0, 1400, &take),
                 UTP_REASM_AS_DATA_UNACCEPTED);
    CHECK_EQ_INT(take, 1400);
    /* the same after a PDU was taken: a large message, still waiting */
    CHECK_EQ_INT(utp_reasm_add(UTP_REASM_UNACCEPTED_MAX, 1024 * 1024, 68, 1400, &take), UTP_REASM_WAIT);
    /* the bound counts the bytes taken, not the chunk: a PDU completing
     * exactly at 256 KiB is accepted even with more bytes behind it */
    CHECK_EQ_INT(utp_reasm_add(UTP_REASM_UNACCEPTED_MAX - 100, UTP_REASM_UNACCEPTED_MAX, 0, 1400, &take),
                 UTP_REASM_COMPLETE);
    CHECK_EQ_INT(take, 100);

    /* tails */
    CHECK(!utp_reasm_tail(1400, 0, 0, &consumed, &tail, &need));            /* asked nothing */
    CHECK(!utp_reasm_tail(1400, -1, 10, &consumed, &tail, &need));          /* bad offset */
    CHECK(!utp_reasm_tail(1400, 1400, 10, &consumed, &tail, &need));        /* offset past the data */
    CHECK(utp_reasm_tail(1400, 1387, 16384, &consumed, &tail, &need));      /* a piece header at the end */
    CHECK_EQ_INT(consumed, 1387);
    CHECK_EQ_INT(tail, 13);
    CHECK_EQ_INT(need, 16397);
    CHECK(utp_reasm_tail(1400, 1000, UTP_REASM_ONE_MORE, &consumed, &tail, &need));
    CHECK_EQ_INT(tail, 400);
    CHECK_EQ_INT(need, UTP_REASM_ONE_MORE);
    /* a length prefix past 16 MiB is not reassembled */
    CHECK(!utp_reasm_tail(1400, 0, UTP_REASM_MAX_PDU, &consumed, &tail, &need));
    CHECK(utp_reasm_tail(1400, 0, UTP_REASM_MAX_PDU - 1400, &consumed, &tail, &need));
    CHECK_EQ_INT(need, UTP_REASM_MAX_PDU);
    return check_summary("test-utp-reasm");
}
