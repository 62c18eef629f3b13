/* slab.c
 * Fixed-size records by 32-bit handle, and a dense 32-bit index by frame
 * number (slab.h): the per-frame stores of the uTP analysis and of the
 * peer wire's PDU records.  Not tied to
 * any BEP.
 */
#include <string.h>
#include "slab.h"

void bt_slab_init(bt_slab_t *s, const bt_allocator_t *a, size_t size, uint32_t per_chunk)
{
    memset(s, 0, sizeof *s);
    s->a = *a;
    s->size = size;
    s->per_chunk = per_chunk ? per_chunk : 1;
}

/* Room for one more chunk pointer: the table doubles (from 16), a copy the
 * size of the table, so adding a chunk is amortised O(1). */
static int slab_grow_table(bt_slab_t *s)
{
    uint32_t cap = s->cap ? s->cap * 2 : 16;
    void **t;

    if (cap < s->cap)
        return 0;
    t = (void **)s->a.alloc(s->a.ctx, (size_t)cap * sizeof *t);
    if (!t)
        return 0;
    if (s->nchunks)
        memcpy(t, s->chunks, (size_t)s->nchunks * sizeof *t);
    if (s->chunks)
        s->a.release(s->a.ctx, s->chunks);
    s->chunks = t;
    s->cap = cap;
    return 1;
}

uint32_t bt_slab_new(bt_slab_t *s)
{
    uint32_t rank = s->used, c = rank / s->per_chunk;

    if (rank == UINT32_MAX - 1)
        return 0;
    if (c == s->nchunks) {
        void *chunk;
        if (s->nchunks == s->cap && !slab_grow_table(s))
            return 0;
        chunk = s->a.alloc(s->a.ctx, s->size * s->per_chunk);
        if (!chunk)
            return 0;
        memset(chunk, 0, s->size * s->per_chunk);
        s->chunks[s->nchunks++] = chunk;
    }
    s->used++;
    return rank + 1;
}

void *bt_slab_get(const bt_slab_t *s, uint32_t h)
{
    uint32_t rank;

    if (h == 0 || h > s->used)
        return NULL;
    rank = h - 1;
    return (unsigned char *)s->chunks[rank / s->per_chunk] + (size_t)(rank % s->per_chunk) * s->size;
}

void bt_slab_unnew(bt_slab_t *s, uint32_t h)
{
    if (h == 0 || h != s->used)
        return;
    memset(bt_slab_get(s, h), 0, s->size);
    s->used--;
}

static uint32_t slab_key(const bt_slab_t *s, uint32_t h)
{
    uint32_t key;
    memcpy(&key, bt_slab_get(s, h), sizeof key);
    return key;
}

uint32_t bt_slab_find(const bt_slab_t *s, uint32_t key)
{
    uint32_t lo = 1, hi = s->used;     /* the handles still in question */

    if (s->size < sizeof(uint32_t))
        return 0;
    while (lo <= hi) {
        uint32_t mid = lo + (hi - lo) / 2, k = slab_key(s, mid);
        if (k == key)
            return mid;
        if (k < key)
            lo = mid + 1;
        else
            hi = mid - 1;              /* mid >= 1: hi never wraps below 0 */
    }
    return 0;
}

void bt_index_init(bt_index_t *x, const bt_allocator_t *a)
{
    memset(x, 0, sizeof *x);
    x->a = *a;
}

int bt_index_set(bt_index_t *x, uint32_t key, uint32_t value)
{
    if (key >= x->cap) {
        /* doubling from 1024 up to the key: at most twice the highest frame
         * number's 4 bytes, with amortised O(1) growth */
        uint64_t cap = x->cap ? x->cap : 1024;
        uint32_t *v;
        while (cap <= key)
            cap *= 2;
        if (cap > UINT32_MAX)
            cap = UINT32_MAX;
        if (key >= cap)
            return 0;
        v = (uint32_t *)x->a.alloc(x->a.ctx, (size_t)cap * sizeof *v);
        if (!v)
            return 0;
        if (x->cap)
            memcpy(v, x->v, (size_t)x->cap * sizeof *v);
        memset(v + x->cap, 0, (size_t)(cap - x->cap) * sizeof *v);
        if (x->v)
            x->a.release(x->a.ctx, x->v);
        x->v = v;
        x->cap = (uint32_t)cap;
    }
    x->v[key] = value;
    return 1;
}

uint32_t bt_index_get(const bt_index_t *x, uint32_t key)
{
    return key < x->cap ? x->v[key] : 0;
}
