/* btalloc.h
 * The allocator the library's growing structures are given (the uTP send
 * queue, the sequence analysis, the record slabs): the plugins pass one
 * that allocates in Wireshark's file scope, the unit tests one over
 * malloc.  Not tied to any BEP.
 */
#ifndef BTCOMMON_BTALLOC_H
#define BTCOMMON_BTALLOC_H

#include <stddef.h>

typedef struct {
    void *(*alloc)(void *ctx, size_t size);    /* NULL on failure */
    void  (*release)(void *ctx, void *ptr);
    void  *ctx;
} bt_allocator_t;

#endif
