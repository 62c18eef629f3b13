/* heapcount.c
 * A malloc counter for scripts/bench (not part of any plugin): preloaded into
 * tshark, it adds up the usable size of every live heap block (what malloc
 * really set aside, rounding included) and at exit writes the peak and the
 * final figure, in bytes, to the file named by HEAPCOUNT_OUT.  Run with
 * WIRESHARK_DEBUG_WMEM_OVERRIDE=simple, every wmem allocation is its own
 * malloc (plus an entry in the simple allocator's hash table, counted too),
 * so the difference between two configurations is what one of them keeps.
 */
#define _GNU_SOURCE
#include <malloc.h>
#include <stdio.h>
#include <stdlib.h>

extern void *__libc_malloc(size_t);
extern void *__libc_calloc(size_t, size_t);
extern void *__libc_realloc(void *, size_t);
extern void *__libc_memalign(size_t, size_t);
extern void __libc_free(void *);

static size_t live, peak;

static void *
count(void *p)
{
    if (p) {
        live += malloc_usable_size(p);
        if (live > peak)
            peak = live;
    }
    return p;
}

void *malloc(size_t n) { return count(__libc_malloc(n)); }
void *calloc(size_t a, size_t b) { return count(__libc_calloc(a, b)); }
void *memalign(size_t al, size_t n) { return count(__libc_memalign(al, n)); }
void *aligned_alloc(size_t al, size_t n) { return count(__libc_memalign(al, n)); }
void *valloc(size_t n) { return count(__libc_memalign(4096, n)); }

int
posix_memalign(void **out, size_t al, size_t n)
{
    void *p = count(__libc_memalign(al, n));
    if (!p)
        return 12;   /* ENOMEM */
    *out = p;
    return 0;
}

void
free(void *p)
{
    if (p)
        live -= malloc_usable_size(p);
    __libc_free(p);
}

void *
realloc(void *p, size_t n)
{
    size_t old = p ? malloc_usable_size(p) : 0;
    void *q = __libc_realloc(p, n);
    if (q || !n) {
        live -= old;
        count(q);
    }
    return q;
}

__attribute__((destructor)) static void
report(void)
{
    const char *out = getenv("HEAPCOUNT_OUT");
    FILE *f;
    if (!out || !(f = fopen(out, "w")))
        return;
    fprintf(f, "%zu %zu\n", peak, live);
    fclose(f);
}
