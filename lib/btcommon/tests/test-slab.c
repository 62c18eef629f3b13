/* Unit tests for slab.c: handles, stable addresses across chunks, zeroed
 * records, taking back the latest, the index's growth and bounds, and an
 * allocator that fails. */
#include <stdlib.h>
#include "check.h"
#include "slab.h"

static int allocs, releases, fail_after = -1;

static void *t_alloc(void *ctx, size_t size)
{
    (void)ctx;
    if (fail_after >= 0 && allocs >= fail_after)
        return NULL;
    allocs++;
    return malloc(size);
}

static void t_release(void *ctx, void *p)
{
    (void)ctx;
    releases++;
    free(p);
}

static const bt_allocator_t ta = { t_alloc, t_release, NULL };

typedef struct { uint32_t a, b; uint8_t c; } rec_t;

int main(void)
{
    bt_slab_t s, k;
    bt_index_t x;
    rec_t *first, *r;
    uint32_t h, i;
    void **to_free;

    bt_slab_init(&s, &ta, sizeof(rec_t), 4);
    CHECK(bt_slab_get(&s, 0) == NULL);
    CHECK(bt_slab_get(&s, 1) == NULL);            /* never handed out */
    h = bt_slab_new(&s);
    CHECK_EQ_INT(h, 1);
    first = (rec_t *)bt_slab_get(&s, h);
    CHECK(first != NULL);
    CHECK_EQ_INT(first->a + first->b + first->c, 0);
    first->a = 7;
    /* 100 records over 25 chunks (the chunk table grows past 16): the first
     * record does not move and every record is its own */
    for (i = 2; i <= 100; i++) {
        h = bt_slab_new(&s);
        CHECK_EQ_INT(h, i);
        r = (rec_t *)bt_slab_get(&s, h);
        CHECK_EQ_INT(r->a, 0);
        r->a = i * 10;
    }
    CHECK(bt_slab_get(&s, 1) == first);
    CHECK_EQ_INT(first->a, 7);
    CHECK_EQ_INT(((rec_t *)bt_slab_get(&s, 57))->a, 570);
    CHECK_EQ_INT(s.nchunks, 25);
    CHECK(bt_slab_get(&s, 101) == NULL);
    /* taking back: only the latest */
    bt_slab_unnew(&s, 57);
    CHECK_EQ_INT(s.used, 100);
    bt_slab_unnew(&s, 100);
    CHECK_EQ_INT(s.used, 99);
    CHECK(bt_slab_get(&s, 100) == NULL);
    h = bt_slab_new(&s);
    CHECK_EQ_INT(h, 100);
    CHECK_EQ_INT(((rec_t *)bt_slab_get(&s, 100))->a, 0);   /* zeroed again */
    /* a failing allocator: no handle, nothing changed */
    fail_after = allocs;
    CHECK_EQ_INT(bt_slab_new(&s), 0);              /* the 25 chunks are full */
    CHECK_EQ_INT(s.used, 100);
    CHECK_EQ_INT(s.nchunks, 25);
    fail_after = -1;

    /* a slab in key order is searched: keys 3, 10, 17, ... (sparse), every
     * one found, nothing between, before or after them */
    bt_slab_init(&k, &ta, sizeof(rec_t), 8);
    CHECK_EQ_INT(bt_slab_find(&k, 3), 0);          /* empty */
    for (i = 0; i < 50; i++)
        ((rec_t *)bt_slab_get(&k, bt_slab_new(&k)))->a = 3 + 7 * i;
    for (i = 0; i < 50; i++) {
        CHECK_EQ_INT(bt_slab_find(&k, 3 + 7 * i), i + 1);
        CHECK_EQ_INT(bt_slab_find(&k, 4 + 7 * i), 0);
    }
    CHECK_EQ_INT(bt_slab_find(&k, 0), 0);
    CHECK_EQ_INT(bt_slab_find(&k, 2), 0);
    CHECK_EQ_INT(bt_slab_find(&k, UINT32_MAX), 0);
    bt_slab_unnew(&k, 50);                         /* key 346 taken back */
    CHECK_EQ_INT(bt_slab_find(&k, 346), 0);
    CHECK_EQ_INT(bt_slab_find(&k, 339), 49);

    bt_index_init(&x, &ta);
    CHECK_EQ_INT(bt_index_get(&x, 0), 0);
    CHECK_EQ_INT(bt_index_get(&x, 5000000), 0);
    CHECK_EQ_INT(bt_index_set(&x, 3, 33), 1);
    CHECK_EQ_INT(x.cap, 1024);
    CHECK_EQ_INT(bt_index_set(&x, 5000, 55), 1);  /* grows by doubling, keeps the rest */
    CHECK_EQ_INT(x.cap, 8192);
    CHECK_EQ_INT(bt_index_get(&x, 3), 33);
    CHECK_EQ_INT(bt_index_get(&x, 5000), 55);
    CHECK_EQ_INT(bt_index_get(&x, 4999), 0);
    CHECK_EQ_INT(bt_index_get(&x, 8192), 0);
    fail_after = allocs;
    CHECK_EQ_INT(bt_index_set(&x, 100000, 1), 0);
    CHECK_EQ_INT(bt_index_get(&x, 5000), 55);
    fail_after = -1;
    CHECK_EQ_INT(bt_index_set(&x, 5000, 0), 1);
    CHECK_EQ_INT(bt_index_get(&x, 5000), 0);

    /* everything allocated is released exactly once: the chunks and tables
     * still held, plus what growth released */
    to_free = s.chunks;
    for (i = 0; i < s.nchunks; i++)
        t_release(NULL, to_free[i]);
    t_release(NULL, s.chunks);
    for (i = 0; i < k.nchunks; i++)
        t_release(NULL, k.chunks[i]);
    t_release(NULL, k.chunks);
    t_release(NULL, x.v);
    CHECK_EQ_INT(allocs, releases);
    return check_summary("test-slab");
}
