/* rangeset.c
 * A bounded set of byte ranges; see rangeset.h.
 */
#include "rangeset.h"

#include <string.h>

void bt_rangeset_init(bt_rangeset_t *s)
{
    s->n = 0;
}

int bt_rangeset_add(bt_rangeset_t *s, uint64_t lo, uint64_t hi)
{
    uint32_t first, last, i;
    uint64_t nlo = lo, nhi = hi;

    if (lo >= hi)
        return 1;
    /* first: the first range that ends at or after lo (touching merges) */
    for (first = 0; first < s->n && s->r[first].hi < lo; first++)
        ;
    /* last: one past the last range that starts at or before hi */
    for (last = first; last < s->n && s->r[last].lo <= hi; last++)
        ;
    if (first == last) {            /* nothing to merge: insert */
        if (s->n >= BT_RANGESET_MAX)
            return 0;
        memmove(&s->r[first + 1], &s->r[first], (s->n - first) * sizeof(s->r[0]));
        s->r[first].lo = lo;
        s->r[first].hi = hi;
        s->n++;
        return 1;
    }
    if (s->r[first].lo < nlo)
        nlo = s->r[first].lo;
    if (s->r[last - 1].hi > nhi)
        nhi = s->r[last - 1].hi;
    s->r[first].lo = nlo;
    s->r[first].hi = nhi;
    for (i = last; i < s->n; i++)
        s->r[first + 1 + (i - last)] = s->r[i];
    s->n -= last - first - 1;
    return 1;
}

int bt_rangeset_covers(const bt_rangeset_t *s, uint64_t lo, uint64_t hi)
{
    uint32_t i;
    if (lo >= hi)
        return 1;
    for (i = 0; i < s->n; i++) {
        if (s->r[i].lo <= lo && hi <= s->r[i].hi)
            return 1;
    }
    return 0;
}

uint64_t bt_rangeset_bytes(const bt_rangeset_t *s)
{
    uint64_t t = 0;
    uint32_t i;
    for (i = 0; i < s->n; i++)
        t += s->r[i].hi - s->r[i].lo;
    return t;
}
