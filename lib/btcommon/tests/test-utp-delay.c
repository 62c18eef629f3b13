/* Unit tests: LEDBAT base delay over a two-minute window (BEP 29), placeholders
 * and outliers kept out of it. */
#include "check.h"
#include "utp-delay.h"

#include <string.h>

#define S 1000000ull   /* one second in microseconds */

int main(void)
{
    utp_delay_hist_t d;
    memset(&d, 0, sizeof d);
    uint32_t base = 1, q = 1;

    /* no sample / placeholder: never become the base */
    CHECK_EQ_INT(utp_delay_add(&d, 0, 0, &base, &q), UTP_DELAY_NO_SAMPLE);
    CHECK_EQ_INT(utp_delay_add(&d, 0, 0x7fffffffu, &base, &q), UTP_DELAY_IS_PLACEHOLDER);
    CHECK_EQ_INT(base, 1);

    /* real samples near 4.128e9 (clock offset), as in public-ndpi-bittorrent-utp.pcap */
    CHECK_EQ_INT(utp_delay_add(&d, 1 * S, 4128284457u, &base, &q), UTP_DELAY_OK);
    CHECK_EQ_INT(base, 4128284457u);
    CHECK_EQ_INT(q, 0);
    CHECK_EQ_INT(utp_delay_add(&d, 2 * S, 4128278879u, &base, &q), UTP_DELAY_OK);
    CHECK_EQ_INT(base, 4128278879u);
    CHECK_EQ_INT(utp_delay_add(&d, 3 * S, 4128314440u, &base, &q), UTP_DELAY_OK);
    CHECK_EQ_INT(base, 4128278879u);
    CHECK_EQ_INT(q, 4128314440u - 4128278879u);
    /* the placeholder after real samples is still ignored */
    CHECK_EQ_INT(utp_delay_add(&d, 3 * S, 0x7fffffffu, &base, &q), UTP_DELAY_IS_PLACEHOLDER);

    /* a single jump of minutes is an outlier, twice too */
    CHECK_EQ_INT(utp_delay_add(&d, 4 * S, 4128278879u + 300 * (uint32_t)S, &base, &q), UTP_DELAY_OUTLIER);
    CHECK_EQ_INT(utp_delay_add(&d, 4 * S, 4128278879u - 300 * (uint32_t)S, &base, &q), UTP_DELAY_OUTLIER);
    CHECK_EQ_INT(utp_delay_add(&d, 5 * S, 4128280000u, &base, &q), UTP_DELAY_OK);
    CHECK_EQ_INT(base, 4128278879u);

    /* sliding window: after two minutes the old minimum is gone */
    {
        utp_delay_hist_t w;
    memset(&w, 0, sizeof w);
        CHECK_EQ_INT(utp_delay_add(&w, 0, 1000, &base, &q), UTP_DELAY_OK);
        CHECK_EQ_INT(utp_delay_add(&w, 60 * S, 5000, &base, &q), UTP_DELAY_OK);
        CHECK_EQ_INT(base, 1000);
        CHECK_EQ_INT(q, 4000);
        CHECK_EQ_INT(utp_delay_add(&w, 119 * S, 6000, &base, &q), UTP_DELAY_OK);
        CHECK_EQ_INT(base, 1000);
        CHECK_EQ_INT(utp_delay_add(&w, 125 * S, 6000, &base, &q), UTP_DELAY_OK);
        CHECK_EQ_INT(base, 5000);    /* the slot of t=0 has left the window */
        CHECK_EQ_INT(q, 1000);
        CHECK_EQ_INT(utp_delay_add(&w, 185 * S, 7000, &base, &q), UTP_DELAY_OK);
        CHECK_EQ_INT(base, 6000);
        /* a long silence: the window holds only the new sample */
        CHECK_EQ_INT(utp_delay_add(&w, 3600 * S, 9000, &base, &q), UTP_DELAY_OK);
        CHECK_EQ_INT(base, 9000);
        CHECK_EQ_INT(q, 0);
        /* a time going backwards joins the newest slot */
        CHECK_EQ_INT(utp_delay_add(&w, 10 * S, 8000, &base, &q), UTP_DELAY_OK);
        CHECK_EQ_INT(base, 8000);
    }

    /* wraparound: samples either side of 2^32 */
    {
        utp_delay_hist_t w;
    memset(&w, 0, sizeof w);
        CHECK_EQ_INT(utp_delay_add(&w, 0, 0xFFFFFF00u, &base, &q), UTP_DELAY_OK);
        CHECK_EQ_INT(utp_delay_add(&w, S, 0x100u, &base, &q), UTP_DELAY_OK);
        CHECK_EQ_INT(base, 0xFFFFFF00u);
        CHECK_EQ_INT(q, 0x200);
    }

    /* a clock that really moved: three agreeing outliers restart the history */
    {
        utp_delay_hist_t w;
    memset(&w, 0, sizeof w);
        CHECK_EQ_INT(utp_delay_add(&w, 0, 1000, &base, &q), UTP_DELAY_OK);
        CHECK_EQ_INT(utp_delay_add(&w, S, 500000000u, &base, &q), UTP_DELAY_OUTLIER);
        CHECK_EQ_INT(utp_delay_add(&w, 2 * S, 500000100u, &base, &q), UTP_DELAY_OUTLIER);
        CHECK_EQ_INT(utp_delay_add(&w, 3 * S, 500000050u, &base, &q), UTP_DELAY_OK);
        CHECK_EQ_INT(base, 500000050u);
        CHECK_EQ_INT(utp_delay_add(&w, 4 * S, 1000, &base, &q), UTP_DELAY_OUTLIER);
    }

    /* queuing delay is never "negative" (a huge unsigned) over many samples */
    {
        utp_delay_hist_t w;
    memset(&w, 0, sizeof w);
        uint32_t x = 123456789u, bad = 0;
        for (uint64_t t = 0; t < 100000; t++) {
            x = x * 1103515245u + 12345u;
            uint32_t s = 4294000000u + (x >> 12);      /* within ~1 s, across the wrap */
            if (utp_delay_add(&w, t * 10000, s, &base, &q) == UTP_DELAY_OK && q > 2 * S)
                bad++;
        }
        CHECK_EQ_INT(bad, 0);
    }
    return check_summary("utp-delay");
}
