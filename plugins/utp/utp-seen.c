/* utp-seen.c
 * uTP (BEP 29) sequence analysis: which recent sequence numbers one side of
 * a connection has sent (to tell retransmissions from out-of-order first
 * sightings), as a bitmap sized to the span of numbers the side used.
 */
#include <string.h>

#include "utp-int.h"
#include "ws-compat.h"

/* The seen-bitmap remembers the last 2^16 sequence numbers of a side: no
 * sender can have more distinct packets in flight with 16-bit numbers. */
#define UTP_SEEN_BITS 65536u

/* The bitmap covers the numbers from seen_lo to highest, at most the last
 * UTP_SEEN_BITS of them, as a ring of seen_cap bits (a power of two) that
 * grows with that span: a connection that sent a handful of packets costs 8
 * bytes, not 8 KiB (100,000 SYNs cost 1.2 GB when every SYN allocated the
 * whole map).  It grows at most log2(65536 / 64) = 10 times per side. */
#define UTP_SEEN_MIN_BITS 64u

gboolean
utp_seen_get(const utp_flow_t *f, guint64 seq)
{
    guint32 i;
    if (seq > f->highest)
        return FALSE;
    if (seq + UTP_SEEN_BITS <= f->highest)
        return TRUE;                /* too old to tell: assume seen */
    if (!f->seen || seq < f->seen_lo)
        return FALSE;
    i = (guint32)(seq & (f->seen_cap - 1));
    return (f->seen[i / 8] >> (i % 8)) & 1;
}

/* Makes room for the numbers lo..hi (hi >= highest), keeping what is known. */
static void
utp_seen_room(utp_flow_t *f, guint64 lo, guint64 hi)
{
    guint64 span;
    guint32 cap;
    guint8 *bits;

    if (hi - lo + 1 > UTP_SEEN_BITS)
        lo = hi - UTP_SEEN_BITS + 1;
    span = hi - lo + 1;
    if (f->seen && span <= f->seen_cap)
        return;
    cap = f->seen ? f->seen_cap : UTP_SEEN_MIN_BITS;
    while (cap < span)
        cap *= 2;
    bits = (guint8 *)wmem_alloc0(wmem_file_scope(), cap / 8);
    if (f->seen) {
        for (guint64 s = MAX(lo, f->seen_lo); s <= f->highest; s++) {
            guint32 o = (guint32)(s & (f->seen_cap - 1)), n = (guint32)(s & (cap - 1));
            if ((f->seen[o / 8] >> (o % 8)) & 1)
                bits[n / 8] |= (guint8)(1u << (n % 8));
        }
        wmem_free(wmem_file_scope(), f->seen);
    }
    f->seen = bits;
    f->seen_cap = cap;
}

void
utp_seen_set(utp_flow_t *f, guint64 seq, gboolean v)
{
    guint32 i;
    if (!f->seen || seq < f->seen_lo) {
        /* a first number, or one below the lowest tracked (out of order) */
        utp_seen_room(f, seq, MAX(seq, f->highest));
        if (!f->seen_lo || seq < f->seen_lo)
            f->seen_lo = seq;
    }
    i = (guint32)(seq & (f->seen_cap - 1));
    if (v)
        f->seen[i / 8] |= (guint8)(1u << (i % 8));
    else
        f->seen[i / 8] &= (guint8)~(1u << (i % 8));
}

/* A new highest sequence number: forget what the ring said about the slots
 * it now reuses.  Whole bytes are cleared at once, so a hostile jump of 2^15
 * numbers costs a 4 KiB memset, not 2^15 steps. */
void
utp_seen_advance(utp_flow_t *f, guint64 new_highest)
{
    guint64 from = f->highest + 1;

    utp_seen_room(f, f->seen_lo, new_highest);
    if (new_highest - f->seen_lo + 1 > UTP_SEEN_BITS)
        f->seen_lo = new_highest - UTP_SEEN_BITS + 1;
    if (new_highest - f->highest > f->seen_cap)
        from = new_highest - f->seen_cap + 1;
    while (from < new_highest) {
        guint32 i = (guint32)(from & (f->seen_cap - 1));
        if (i % 8 == 0 && new_highest - from >= 8) {
            /* whole bytes up to the end of the ring or of the range */
            guint32 bytes = (guint32)MIN((new_highest - from) / 8, (guint64)(f->seen_cap - i) / 8);
            memset(f->seen + i / 8, 0, bytes);
            from += (guint64)bytes * 8;
        } else {
            utp_seen_set(f, from, FALSE);
            from++;
        }
    }
    f->highest = new_highest;
    utp_seen_set(f, new_highest, TRUE);
}

/* A packet of this side claimed after the fact (utp-midstream.c): its
 * number counts as seen, without the per-packet analysis. */
void
utp_flow_note_seq(utp_flow_t *f, guint64 s)
{
    if (!f->any_seq) {
        f->any_seq = TRUE;
        f->highest = s;
        utp_seen_set(f, s, TRUE);
    } else if (s > f->highest) {
        utp_seen_advance(f, s);
    } else {
        utp_seen_set(f, s, TRUE);
    }
}

