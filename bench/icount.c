/*
 * icount.c — a tiny driver for counting instructions under callgrind:
 *
 *   valgrind --tool=callgrind --callgrind-out-file=F ./icount-X PAIRS K
 *
 * Each phase runs after a warm-up of the same shape, between
 * CALLGRIND_ZERO_STATS and CALLGRIND_DUMP_STATS_AT(phase), so every dump
 * holds one phase.  Each measured phase has an "empty" twin doing the same
 * loop, array traffic and block write without the allocator calls; the
 * driver subtracts it and divides by the operations.
 *
 * A ballast of live blocks of each measured kind is held throughout.
 *
 *   pair        PAIRS x (alloc 64, write, free): the fast path, both ways
 *   alloc/free  K allocs of 64 bytes, then K frees (LIFO), steady state
 *   obj-pair    PAIRS x (rgc_new + rgc_decref) of a 24-byte untracked
 *               type; anchors: malloc(24) + free
 *   node-pair   the same with a 40-byte type holding 3 references (tracked
 *               by the collector); anchors: malloc(40) + free
 *   obj-new/obj-decref, node-new/node-decref: K then K, steady state
 *
 * Built without valgrind's headers, the program only runs the phases.
 */
#include "bench_alloc.h"

#include <string.h>

#if defined(__has_include)
#if __has_include(<valgrind/callgrind.h>)
#include <valgrind/callgrind.h>
#define HAVE_CALLGRIND 1
#endif
#endif
#ifndef HAVE_CALLGRIND
#define CALLGRIND_ZERO_STATS
#define CALLGRIND_DUMP_STATS_AT(name) ((void)(name))
#endif

#define NOINLINE __attribute__((noinline))
#define RAW_SIZE 64
#define BALLAST 1000 /* live blocks of each kind held throughout */

static void **slots;
static uint64_t scratch[2 * RAW_SIZE]; /* what the empty twins write to */

/* Costs no instruction; keeps the compiler from folding the empty loops. */
#define OPAQUE(x) __asm__ volatile("" : "+r"(x) : : "memory")

#if defined(BENCH_ALLOC_RGC)
typedef struct ic_int {
    RGC_OBJECT_HEAD;
    int64_t value;
} ic_int_t;

typedef struct ic_node {
    RGC_OBJECT_HEAD;
    rgc_object_t *a, *b, *c;
} ic_node_t;

static rgc_type_t *int_type, *node_type;

static void register_types(void)
{
    static const rgc_ref_field_t fields[] = {
        {"a", offsetof(ic_node_t, a)},
        {"b", offsetof(ic_node_t, b)},
        {"c", offsetof(ic_node_t, c)},
    };
    rgc_type_spec_t is = {.name = "icount.int", .basic_size = sizeof(ic_int_t)};
    rgc_type_spec_t ns = {.name = "icount.node",
                          .basic_size = sizeof(ic_node_t),
                          .ref_fields = fields,
                          .n_ref_fields = 3};
    int_type = rgc_type_register(&is);
    node_type = rgc_type_register(&ns);
    /* Allocation and reference counting only: the young collections that
     * automatic collection adds are measured by gcbench. */
    rgc_gc_disable(bench_heap);
    if (!int_type || !node_type) {
        fprintf(stderr, "icount: could not register the types\n");
        exit(2);
    }
}

/* An object of the kind: rgc_new for rgc. */
static inline void *obj_new(int node)
{
    void *o = rgc_new(bench_heap, node ? node_type : int_type);
    if (__builtin_expect(o == NULL, 0)) {
        fprintf(stderr, "icount: rgc_new failed\n");
        exit(2);
    }
    return o;
}

static inline void obj_del(void *o)
{
    rgc_decref(o);
}
#else
static void register_types(void)
{
}

/* The anchors' equivalent: a block of the object's request size. */
static inline void *obj_new(int node)
{
    return bench_malloc(node ? 16 + 3 * 8 : 16 + 8);
}

static inline void obj_del(void *o)
{
    bench_free(o);
}
#endif

/* ---- raw blocks */

static NOINLINE void raw_pairs(size_t n)
{
    for (size_t i = 0; i < n; i++) {
        uint64_t *p = bench_malloc(RAW_SIZE);
        p[0] = i; /* the first word, as any user of the block writes */
        bench_free(p);
    }
}

static NOINLINE void raw_pairs_empty(size_t n)
{
    uint64_t *p = scratch;
    for (size_t i = 0; i < n; i++) {
        OPAQUE(p);
        p[0] = i;
    }
}

static NOINLINE void raw_allocs(size_t k)
{
    for (size_t i = 0; i < k; i++) {
        uint64_t *p = bench_malloc(RAW_SIZE);
        p[0] = i;
        slots[i] = p;
    }
}

static NOINLINE void raw_allocs_empty(size_t k)
{
    uint64_t *p = scratch;
    for (size_t i = 0; i < k; i++) {
        OPAQUE(p);
        p[0] = i;
        slots[i] = p;
    }
}

static NOINLINE void raw_frees(size_t k)
{
    for (size_t i = k; i-- > 0;)
        bench_free(slots[i]);
}

static NOINLINE void raw_frees_empty(size_t k)
{
    for (size_t i = k; i-- > 0;) {
        void *p = slots[i];
        OPAQUE(p);
    }
}

/* ---- objects
 *
 * The int's loops write its value (the first body word, o[2]) as the raw
 * loops write p[0]; a node's body is only references, so its loops write the same
 * word of scratch instead: every loop does exactly one store per object.
 */

static inline __attribute__((always_inline)) void obj_touch(int node, uint64_t *o, size_t i)
{
    uint64_t *w = o;
    if (node) {
        w = scratch;
        OPAQUE(w);
    }
    w[2] = i;
}

static inline __attribute__((always_inline)) void obj_pairs(int node, size_t n)
{
    for (size_t i = 0; i < n; i++) {
        uint64_t *o = obj_new(node);
        obj_touch(node, o, i);
        obj_del(o);
    }
}

static inline __attribute__((always_inline)) void obj_news(int node, size_t k)
{
    for (size_t i = 0; i < k; i++) {
        uint64_t *o = obj_new(node);
        obj_touch(node, o, i);
        slots[i] = o;
    }
}

static NOINLINE void int_pairs(size_t n)
{
    obj_pairs(0, n);
}

static NOINLINE void node_pairs(size_t n)
{
    obj_pairs(1, n);
}

static NOINLINE void int_news(size_t k)
{
    obj_news(0, k);
}

static NOINLINE void node_news(size_t k)
{
    obj_news(1, k);
}

static NOINLINE void obj_dels(size_t k)
{
    for (size_t i = k; i-- > 0;)
        obj_del(slots[i]);
}

int main(int argc, char **argv)
{
    size_t pairs = argc > 1 ? strtoull(argv[1], NULL, 10) : 100000;
    size_t k = argc > 2 ? strtoull(argv[2], NULL, 10) : 10000;
    if (pairs == 0 || k == 0) {
        fprintf(stderr, "usage: %s [PAIRS [K]]\n", argv[0]);
        return 2;
    }
    bench_alloc_init();
    register_types();
    slots = calloc(k, sizeof *slots);
    if (!slots)
        return 2;
    /* Ballast: live blocks of every measured size, so that no measured
     * free empties its pool or page — an empty-pool release (rgc) or page
     * retirement (mimalloc) on every free would measure a corner case, not
     * the fast path. */
    static void *ballast[3][BALLAST];
    for (int i = 0; i < BALLAST; i++) {
        ballast[0][i] = bench_malloc(RAW_SIZE);
        ballast[1][i] = obj_new(0);
        ballast[2][i] = obj_new(1);
    }

    /* Raw: warm up with the very shape that is measured. */
    raw_pairs(pairs);
    CALLGRIND_ZERO_STATS;
    raw_pairs(pairs);
    CALLGRIND_DUMP_STATS_AT("pair");
    raw_pairs_empty(pairs);
    CALLGRIND_DUMP_STATS_AT("pair-empty");

    for (int w = 0; w < 3; w++) {
        raw_allocs(k);
        raw_frees(k);
    }
    CALLGRIND_ZERO_STATS;
    raw_allocs(k);
    CALLGRIND_DUMP_STATS_AT("alloc");
    raw_frees(k);
    CALLGRIND_DUMP_STATS_AT("free");
    raw_allocs_empty(k);
    CALLGRIND_DUMP_STATS_AT("alloc-empty");
    raw_frees_empty(k);
    CALLGRIND_DUMP_STATS_AT("free-empty");

    /* Objects: the untracked int, then the tracked node. */
    static const char *const names[2][3] = {
        {"obj-pair", "obj-new", "obj-decref"},
        {"node-pair", "node-new", "node-decref"},
    };
    for (int node = 0; node < 2; node++) {
        void (*pairs_fn)(size_t) = node ? node_pairs : int_pairs;
        void (*news_fn)(size_t) = node ? node_news : int_news;
        pairs_fn(pairs);
        CALLGRIND_ZERO_STATS;
        pairs_fn(pairs);
        CALLGRIND_DUMP_STATS_AT(names[node][0]);
        for (int w = 0; w < 3; w++) {
            news_fn(k);
            obj_dels(k);
        }
        CALLGRIND_ZERO_STATS;
        news_fn(k);
        CALLGRIND_DUMP_STATS_AT(names[node][1]);
        obj_dels(k);
        CALLGRIND_DUMP_STATS_AT(names[node][2]);
    }
    /* The object phases' empty twins are the raw ones: same loop shape. */
    for (int i = 0; i < BALLAST; i++) {
        bench_free(ballast[0][i]);
        obj_del(ballast[1][i]);
        obj_del(ballast[2][i]);
    }
    free(slots);
    printf("icount %s: pairs=%zu k=%zu\n", BENCH_ALLOC_NAME, pairs, k);
    return 0;
}
