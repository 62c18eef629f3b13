/* utp-sentq.c
 * Ring buffer of unacknowledged uTP packets (BEP 29), see utp-sentq.h.
 */
#include <string.h>

#include "utp-sentq.h"

void utp_sentq_init(utp_sentq_t *q, const bt_allocator_t *a)
{
    memset(q, 0, sizeof *q);
    q->a = *a;
}

void utp_sentq_destroy(utp_sentq_t *q)
{
    if (q->buf)
        q->a.release(q->a.ctx, q->buf);
    q->buf = NULL;
    q->cap = q->head = q->count = 0;
    q->bytes = 0;
}

static utp_sent_t *at(const utp_sentq_t *q, uint32_t i)
{
    return &q->buf[(q->head + i) & (q->cap - 1)];
}

static bool grow(utp_sentq_t *q)
{
    uint32_t ncap = q->cap ? q->cap * 2 : 4;   /* small: most connections have few packets in flight */
    utp_sent_t *nbuf = q->a.alloc(q->a.ctx, (size_t)ncap * sizeof *nbuf);
    if (!nbuf)
        return false;
    for (uint32_t i = 0; i < q->count; i++)
        nbuf[i] = *at(q, i);
    if (q->buf)
        q->a.release(q->a.ctx, q->buf);
    q->buf = nbuf;
    q->cap = ncap;
    q->head = 0;
    return true;
}

static void drop_front(utp_sentq_t *q)
{
    utp_sent_t *e = at(q, 0);
    if (!e->sacked)
        q->bytes -= e->len;
    q->head = (q->head + 1) & (q->cap - 1);
    q->count--;
}

bool utp_sentq_push(utp_sentq_t *q, const utp_sent_t *e)
{
    if (q->count && e->seq <= at(q, q->count - 1)->seq)
        return false;
    if (q->count == UTP_SENTQ_MAX)
        drop_front(q);
    if (q->count == q->cap && !grow(q))
        return false;
    *at(q, q->count) = *e;
    q->count++;
    if (!e->sacked)
        q->bytes += e->len;
    return true;
}

bool utp_sentq_insert(utp_sentq_t *q, const utp_sent_t *e)
{
    uint32_t lo = 0, hi = q->count;

    if (!q->count || e->seq > at(q, q->count - 1)->seq)
        return utp_sentq_push(q, e);
    while (lo < hi) {               /* first entry with seq >= e->seq */
        uint32_t mid = lo + (hi - lo) / 2;
        if (at(q, mid)->seq < e->seq)
            lo = mid + 1;
        else
            hi = mid;
    }
    if (at(q, lo)->seq == e->seq)
        return false;
    if (q->count == UTP_SENTQ_MAX)
        return false;               /* full: keep what is there */
    if (q->count == q->cap && !grow(q))
        return false;
    for (uint32_t i = q->count; i > lo; i--)
        *at(q, i) = *at(q, i - 1);
    *at(q, lo) = *e;
    q->count++;
    if (!e->sacked)
        q->bytes += e->len;
    return true;
}

uint32_t utp_sentq_ack(utp_sentq_t *q, uint64_t ack, utp_sent_t *last)
{
    uint32_t n = 0;
    while (q->count && at(q, 0)->seq <= ack) {
        if (last)
            *last = *at(q, 0);
        drop_front(q);
        n++;
    }
    return n;
}

utp_sent_t *utp_sentq_find(utp_sentq_t *q, uint64_t seq)
{
    uint32_t lo = 0, hi = q->count;
    while (lo < hi) {
        uint32_t mid = lo + (hi - lo) / 2;
        utp_sent_t *e = at(q, mid);
        if (e->seq == seq)
            return e;
        if (e->seq < seq)
            lo = mid + 1;
        else
            hi = mid;
    }
    return NULL;
}

bool utp_sentq_sack(utp_sentq_t *q, uint64_t seq)
{
    utp_sent_t *e = utp_sentq_find(q, seq);
    if (!e || e->sacked)
        return false;
    e->sacked = true;
    q->bytes -= e->len;
    return true;
}

void utp_sentq_replace(utp_sentq_t *q, utp_sent_t *e, uint32_t frame, uint32_t len, uint32_t sig)
{
    if (!e->sacked)
        q->bytes = q->bytes - e->len + len;
    e->frame = e->last_frame = frame;
    e->len = len;
    e->sig = sig;
    e->retransmitted = false;
}

static inline uint64_t rotl64(uint64_t x, unsigned r) { return x << r | x >> (64 - r); }

/* FNV-1a-like over 32-byte blocks, then 8-byte words, then the tail bytes
 * (it runs over every DATA payload on the first pass).  A block's four
 * words are first combined so that each word alone changes the result
 * (every step is a bijection in that word: add, xor, rotate), then folded
 * in with one multiply: any change confined to one word of a block (a
 * flipped bit, say) always changes the block's value.  Each step folds the
 * high half back so that every byte reaches the 32 bits returned.  Words
 * are read in host order: signatures are only compared with each other
 * within one run. */
uint32_t utp_packet_sig(uint8_t type, const uint8_t *payload, size_t len)
{
    const uint64_t prime = 1099511628211ull;
    uint64_t h = 14695981039346656037ull;
    size_t i = 0;

    h = (h ^ type) * prime;
    h = (h ^ (uint64_t)len) * prime;
    for (; i + 32 <= len; i += 32) {
        uint64_t w[4];
        memcpy(w, payload + i, sizeof w);
        h = (h ^ (((w[0] + rotl64(w[1], 21)) ^ rotl64(w[2], 42)) + w[3])) * prime;
        h ^= h >> 32;
    }
    for (; i + 8 <= len; i += 8) {
        uint64_t w;
        memcpy(&w, payload + i, 8);
        h = (h ^ w) * prime;
        h ^= h >> 32;
    }
    for (; i < len; i++)
        h = (h ^ payload[i]) * prime;
    /* a multiply only carries a change upwards: mix the top bits down */
    h ^= h >> 33;
    h *= 0xff51afd7ed558ccdull;
    h ^= h >> 33;
    return (uint32_t)h;
}
