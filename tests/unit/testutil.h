/*
 * testutil.h — shared by the cmocka unit tests: the heap checker as an
 * assertion, and an error handler that records what the runtime reported.
 */
#ifndef RGC_TESTUTIL_H
#define RGC_TESTUTIL_H

#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "rgc.h"

/* Fails the test with the checker's message unless every invariant holds. */
#define assert_heap_ok(h)                                                                   \
    do {                                                                                    \
        rgc_check_result_t r_;                                                              \
        if (rgc_heap_check((h), &r_) != 0)                                                  \
            fail_msg("heap check failed at %p: %s", r_.address, r_.message);                \
    } while (0)

/* Live objects of the heap, from its statistics. */
static inline size_t live_objects(rgc_heap_t *h)
{
    rgc_heap_stats_t st;
    assert_int_equal(rgc_heap_stats(h, &st), 0);
    return st.objects;
}

/* obj's hash; fails the test if obj is unhashable. */
static inline uint64_t hash_of(const void *obj)
{
    uint64_t v = 0;
    assert_int_equal(rgc_hash(obj, &v), 0);
    return v;
}

/* Errors the runtime reported since the last reset. */
typedef struct recorded_errors {
    int count;
    rgc_error_t last_code;
    const void *last_address;
    char last_type[64];
    char last_message[256];
} recorded_errors_t;

static recorded_errors_t recorded;

static inline void record_error(void *ctx, rgc_error_t code, const void *address, const char *type_name,
                         const char *message)
{
    (void)ctx;
    recorded.count++;
    recorded.last_code = code;
    recorded.last_address = address;
    snprintf(recorded.last_type, sizeof recorded.last_type, "%s", type_name ? type_name : "");
    snprintf(recorded.last_message, sizeof recorded.last_message, "%s", message);
}

/* Routes runtime errors into `recorded` instead of stderr. */
static inline void record_errors(void)
{
    memset(&recorded, 0, sizeof recorded);
    rgc_set_error_handler(record_error, NULL);
}


/*
 * A system-memory seam that counts what a heap maps and allocates, and can
 * fail the Nth call (fail_at, 1-based; 0 = never).  After rgc_heap_destroy
 * every counter pair must balance.
 */
typedef struct counting_sysmem {
    long calls;      /* map + alloc calls so far */
    long fail_at;    /* call number that fails, 0 = none */
    long failures;   /* calls refused */
    long maps, unmaps, allocs, frees, populates;
    size_t populated;         /* bytes asked to be prefaulted */
    size_t mapped, allocated; /* bytes outstanding */
} counting_sysmem_t;

static inline void *counting_map(void *ctx, size_t size, size_t align)
{
    counting_sysmem_t *c = ctx;
    if (++c->calls == c->fail_at) {
        c->failures++;
        return NULL;
    }
    void *p = rgc_sysmem_default()->map(NULL, size, align);
    if (p) {
        c->maps++;
        c->mapped += size;
    }
    return p;
}

static inline void counting_unmap(void *ctx, void *p, size_t size)
{
    counting_sysmem_t *c = ctx;
    c->unmaps++;
    c->mapped -= size;
    rgc_sysmem_default()->unmap(NULL, p, size);
}

static inline void counting_decommit(void *ctx, void *p, size_t size)
{
    (void)ctx;
    rgc_sysmem_default()->decommit(NULL, p, size);
}

static inline void counting_populate(void *ctx, void *p, size_t size)
{
    counting_sysmem_t *c = ctx;
    c->populates++;
    c->populated += size;
    rgc_sysmem_default()->populate(NULL, p, size);
}

static inline void *counting_alloc(void *ctx, size_t size)
{
    counting_sysmem_t *c = ctx;
    if (++c->calls == c->fail_at) {
        c->failures++;
        return NULL;
    }
    void *p = rgc_sysmem_default()->alloc(NULL, size);
    if (p) {
        c->allocs++;
        c->allocated += size;
    }
    return p;
}

static inline void counting_free(void *ctx, void *p, size_t size)
{
    counting_sysmem_t *c = ctx;
    c->frees++;
    c->allocated -= size;
    rgc_sysmem_default()->free(NULL, p, size);
}

/* A seam over counter c. */
static inline rgc_sysmem_t counting_sysmem(counting_sysmem_t *c)
{
    rgc_sysmem_t s = {counting_map, counting_unmap, counting_decommit, counting_alloc, counting_free, c,
                      counting_populate};
    return s;
}

/* The arena holding p, and its header page: page (arena number mod 32) of
 * the arena (docs/internals/allocator.md, "The arena header"). */
static inline char *arena_base_of(const void *p)
{
    return (char *)((uintptr_t)p & ~(uintptr_t)(RGC_ARENA_SIZE - 1));
}

static inline char *arena_header_of(const void *p)
{
    return arena_base_of(p) + (((uintptr_t)p >> RGC_ARENA_SHIFT) & 31u) * 4096u;
}

/* The header pool's index in its arena (the pool holding the header page). */
static inline unsigned arena_header_pool_of(const void *p)
{
    return (unsigned)(((uintptr_t)p >> RGC_ARENA_SHIFT) & 31u) / 4u;
}

/* xorshift64: the same sequence on every run. */
static inline uint64_t next_random(uint64_t *x)
{
    *x ^= *x << 13;
    *x ^= *x >> 7;
    *x ^= *x << 17;
    return *x;
}

/* 0..n-1 in a shuffled order, the same for the same seed (malloc'd). */
static inline size_t *shuffled_order(size_t n, uint64_t seed)
{
    size_t *order = malloc(n * sizeof *order);
    assert_non_null(order);
    for (size_t i = 0; i < n; i++)
        order[i] = i;
    for (size_t i = n - 1; i > 0; i--) {
        size_t j = next_random(&seed) % (i + 1), t = order[i];
        order[i] = order[j];
        order[j] = t;
    }
    return order;
}

/* Frees the n raw blocks of p (NULL ones included) and p, checking the
 * heap before and after, and destroys the heap. */
static inline void free_all_and_end(rgc_heap_t *h, void **p, size_t n)
{
    assert_heap_ok(h);
    for (size_t i = 0; i < n; i++)
        rgc_mem_free(h, p[i]);
    assert_heap_ok(h);
    free(p);
    rgc_heap_destroy(h);
}

#endif /* RGC_TESTUTIL_H */
