/* utp-delay.c
 * LEDBAT base delay over a sliding two-minute window (BEP 29); see
 * utp-delay.h.  Samples are compared the short way round the 32-bit circle
 * (the clock offset they include makes them wrap); every accepted sample is
 * within UTP_DELAY_JUMP_US of the base, so all the window's values lie on one
 * small arc and the minimum is well defined.
 */
#include "utp-delay.h"

#include <string.h>

/* a < b the short way round */
static bool lt(uint32_t a, uint32_t b)
{
    return a != b && (uint32_t)(b - a) < 0x80000000u;
}

/* |a - b| the short way round */
static uint32_t dist(uint32_t a, uint32_t b)
{
    uint32_t d = a - b;
    return d < 0x80000000u ? d : (uint32_t)(0u - d);
}

/* The lowest sample of the slots still inside the window ending at `cur`. */
static bool window_min(const utp_delay_hist_t *d, uint32_t cur, uint32_t *out)
{
    bool any = false;
    for (unsigned i = 0; i < UTP_DELAY_SLOTS; i++) {
        uint32_t s = d->slot[i];
        if (!s || s > cur || cur - s >= UTP_DELAY_SLOTS)
            continue;
        if (!any || lt(d->min[i], *out))
            *out = d->min[i];
        any = true;
    }
    return any;
}

utp_delay_status_t utp_delay_add(utp_delay_hist_t *d, uint64_t now_us, uint32_t sample,
                                 uint32_t *base, uint32_t *queuing)
{
    uint64_t n = now_us / UTP_DELAY_SLOT_US + 1;
    uint32_t cur = (uint32_t)(n > UINT32_MAX ? UINT32_MAX : n);
    unsigned i;
    uint32_t b;

    if (sample == 0)
        return UTP_DELAY_NO_SAMPLE;
    if (sample == UTP_DELAY_PLACEHOLDER)
        return UTP_DELAY_IS_PLACEHOLDER;

    /* a time earlier than the newest slot joins the newest slot */
    for (i = 0; i < UTP_DELAY_SLOTS; i++)
        if (d->slot[i] > cur)
            cur = d->slot[i];

    if (window_min(d, cur, &b) && dist(sample, b) > UTP_DELAY_JUMP_US) {
        if (d->cand_count && dist(sample, d->cand) <= UTP_DELAY_JUMP_US)
            d->cand_count++;
        else {
            d->cand = sample;
            d->cand_count = 1;
        }
        if (d->cand_count < UTP_DELAY_RESYNC)
            return UTP_DELAY_OUTLIER;
        /* the clock moved for good: forget the old samples */
        memset(d->slot, 0, sizeof d->slot);
    }
    d->cand_count = 0;

    i = cur % UTP_DELAY_SLOTS;
    if (d->slot[i] != cur) {
        d->slot[i] = cur;
        d->min[i] = sample;
    } else if (lt(sample, d->min[i])) {
        d->min[i] = sample;
    }
    window_min(d, cur, &b);
    *base = b;
    *queuing = sample - b;     /* b <= sample the short way: never negative */
    return UTP_DELAY_OK;
}
