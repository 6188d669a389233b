/*
 * bench.c — one allocation pattern per invocation, timed, printed as one
 * JSON line on stdout.  Built once per allocator (see bench_alloc.h); the
 * driver bench/run.py runs the builds interleaved and keeps the figures.
 *
 *   fresh    SIZE N ROUNDS          alloc N, free them LIFO
 *   random   SIZE N ROUNDS SEED     alloc N, free them in a shuffled order
 *   churn    SIZE LIVE OPS SEED     replace random live blocks, one by one
 *   object   int|node lifo|random N ROUNDS SEED [bare]
 *                                   rgc_new + rgc_decref; the anchors do the
 *                                   same work on malloc and free (a header
 *                                   with the type and a count, the count
 *                                   dropped, the block freed at zero), or
 *                                   with `bare` only malloc + free of the
 *                                   same request size
 *   object-churn int|node LIVE OPS SEED
 *                                   churn of objects: rgc_decref of a random
 *                                   live one, rgc_new of its replacement
 *                                   (anchors: the churn pattern at the same
 *                                   request size); run by hand, not part of
 *                                   bench/run.py's tables
 *   events   raw|object|pair|alloc N ROUNDS SEED [MODES]
 *                                   rgc only: ns per alloc+free with the
 *                                   event recorder and allocation tracing
 *                                   off, and on in each of their modes,
 *                                   taking turns round by round in the same
 *                                   process
 *   overhead N                      bytes per 16-byte-payload object
 *   rss      random|runs 48|mix N SEED
 *                                   RSS after freeing 90% of N small blocks
 *
 * Round 1 of a pattern runs on memory the process has never used ("cold":
 * the first-touch page faults are part of it); later rounds reuse what the
 * allocator kept ("warm").  Every allocated block has its first word
 * written, as any real program would, so no allocator is spared the touch.
 */
#include "bench_alloc.h"

#include <inttypes.h>
#include <math.h>
#include <stdbool.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

/* ---- utilities */

static uint64_t rng_state;

/* splitmix64: fast, seedable, good enough to shuffle. */
static inline uint64_t rng_next(void)
{
    uint64_t z = (rng_state += 0x9E3779B97F4A7C15ull);
    z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9ull;
    z = (z ^ (z >> 27)) * 0x94D049BB133111EBull;
    return z ^ (z >> 31);
}

/* Uniform in [0, n) without a division. */
static inline size_t rng_below(size_t n)
{
    return (size_t)(((unsigned __int128)rng_next() * n) >> 64);
}

static double now_ns(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec * 1e9 + (double)ts.tv_nsec;
}

/* Resident set size of this process in bytes, from /proc/self/statm. */
static size_t rss_bytes(void)
{
    FILE *f = fopen("/proc/self/statm", "r");
    unsigned long size = 0, resident = 0;
    if (!f)
        return 0;
    if (fscanf(f, "%lu %lu", &size, &resident) != 2)
        resident = 0;
    fclose(f);
    return (size_t)resident * (size_t)sysconf(_SC_PAGESIZE);
}

static void *xcalloc(size_t n, size_t size)
{
    /* The benchmark's own arrays come from the system allocator in every
     * build (for the jemalloc build that is jemalloc, which is fine: they
     * are allocated once, before any timing). */
    void *p = calloc(n, size);
    if (!p) {
        fprintf(stderr, "bench: out of memory for %zu x %zu bytes\n", n, size);
        exit(2);
    }
    /* Touch every page now, not inside a measurement.  Volatile: the
     * compiler knows calloc's memory is zero and would drop a memset. */
    for (size_t off = 0; off < n * size; off += 4096)
        ((volatile char *)p)[off] = 0;
    return p;
}

static uint32_t *shuffled_indices(size_t n)
{
    uint32_t *order = xcalloc(n, sizeof *order);
    for (size_t i = 0; i < n; i++)
        order[i] = (uint32_t)i;
    for (size_t i = n - 1; i > 0; i--) {
        size_t j = rng_below(i + 1);
        uint32_t t = order[i];
        order[i] = order[j];
        order[j] = t;
    }
    return order;
}

static void reshuffle(uint32_t *order, size_t n)
{
    for (size_t i = n - 1; i > 0; i--) {
        size_t j = rng_below(i + 1);
        uint32_t t = order[i];
        order[i] = order[j];
        order[j] = t;
    }
}

static size_t arg_size(const char *s)
{
    char *end;
    unsigned long long v = strtoull(s, &end, 10);
    if (*end != '\0') {
        fprintf(stderr, "bench: not a number: %s\n", s);
        exit(2);
    }
    return (size_t)v;
}

static void print_header(const char *bench)
{
    char version[64];
    bench_alloc_version(version, sizeof version);
    printf("{\"allocator\": \"%s\", \"version\": \"%s\", \"bench\": \"%s\"", BENCH_ALLOC_NAME,
           version, bench);
}

/* ---- fresh and random: alloc N, then free all (LIFO or shuffled) */

static void **slots;

static void alloc_run(size_t size, size_t n)
{
    for (size_t i = 0; i < n; i++) {
        uint64_t *p = bench_malloc(size);
        p[0] = i;
        slots[i] = p;
    }
}

static void free_lifo(size_t n)
{
    for (size_t i = n; i-- > 0;)
        bench_free(slots[i]);
}

static void free_order(const uint32_t *order, size_t n)
{
    for (size_t i = 0; i < n; i++)
        bench_free(slots[order[i]]);
}

static int bench_alloc_free(bool random, int argc, char **argv)
{
    if (argc < (random ? 4 : 3)) {
        fprintf(stderr, "usage: %s SIZE N ROUNDS%s\n", random ? "random" : "fresh",
                random ? " SEED" : "");
        return 2;
    }
    size_t size = arg_size(argv[0]), n = arg_size(argv[1]), rounds = arg_size(argv[2]);
    rng_state = random ? arg_size(argv[3]) : 1;
    slots = xcalloc(n, sizeof *slots);
    uint32_t *order = random ? shuffled_indices(n) : NULL;
    double alloc_cold = 0, free_cold = 0, alloc_warm = INFINITY, free_warm = INFINITY;
    for (size_t r = 0; r < rounds; r++) {
        if (random && r > 0)
            reshuffle(order, n);
        double t0 = now_ns();
        alloc_run(size, n);
        double t1 = now_ns();
        if (random)
            free_order(order, n);
        else
            free_lifo(n);
        double t2 = now_ns();
        double a = (t1 - t0) / (double)n, f = (t2 - t1) / (double)n;
        if (r == 0) {
            alloc_cold = a;
            free_cold = f;
        } else {
            alloc_warm = fmin(alloc_warm, a);
            free_warm = fmin(free_warm, f);
        }
    }
    print_header(random ? "random" : "fresh");
    printf(", \"size\": %zu, \"n\": %zu, \"rounds\": %zu, \"metrics\": {"
           "\"alloc_cold\": %.3f, \"free_cold\": %.3f",
           size, n, rounds, alloc_cold, free_cold);
    if (rounds > 1)
        printf(", \"alloc_warm\": %.3f, \"free_warm\": %.3f", alloc_warm, free_warm);
    printf("}");
#if defined(BENCH_ALLOC_RGC)
    /* How often the heap went back to the system for its arenas. */
    rgc_heap_stats_t st;
    rgc_heap_stats(bench_heap, &st);
    printf(", \"stats\": {\"arenas_allocated\": %zu, \"arenas_freed\": %zu, "
           "\"arenas_highwater\": %zu}",
           st.arenas_allocated, st.arenas_freed, st.arenas_highwater);
#endif
    printf("}\n");
    return 0;
}

/* ---- churn: a steady live set, one random block replaced at a time */

/* One replacement of churn: slot i's block gets its refcount drop and is
 * freed; a new block of `size` bytes, its first word written, takes its
 * place. */
static inline void churn_replace(size_t i, size_t size, size_t k)
{
    uint64_t *old = slots[i];
    old[0] -= 1; /* the refcount drop that leads to the free */
    bench_free(old);
    uint64_t *p = bench_malloc(size);
    p[0] = k;
    slots[i] = p;
}

static int bench_churn(int argc, char **argv)
{
    if (argc < 4) {
        fprintf(stderr, "usage: churn SIZE LIVE OPS SEED\n");
        return 2;
    }
    size_t size = arg_size(argv[0]), live = arg_size(argv[1]), ops = arg_size(argv[2]);
    rng_state = arg_size(argv[3]);
    slots = xcalloc(live, sizeof *slots);
    alloc_run(size, live);
    /* A first, untimed pass of ops/2 scatters the free lists the way a
     * long-running program has them; the second pass is the measurement. */
    double per_op = 0;
    for (int pass = 0; pass < 2; pass++) {
        size_t count = pass == 0 ? ops / 2 : ops;
        double t0 = now_ns();
        for (size_t k = 0; k < count; k++)
            churn_replace(rng_below(live), size, k);
        double t1 = now_ns();
        per_op = (t1 - t0) / (double)count;
    }
    print_header("churn");
    printf(", \"size\": %zu, \"n\": %zu, \"ops\": %zu, \"metrics\": {\"replace\": %.3f}}\n", size,
           live, ops, per_op);
    return 0;
}

/* ---- objects: rgc_new + rgc_decref against the same object work on malloc
 * + free (or, `bare`, malloc + free alone) */

#if defined(BENCH_ALLOC_RGC)
typedef struct bench_int {
    RGC_OBJECT_HEAD;
    int64_t value;
} bench_int_t;

typedef struct bench_node {
    RGC_OBJECT_HEAD;
    rgc_object_t *a, *b, *c;
} bench_node_t;

typedef struct bench_pair {
    RGC_OBJECT_HEAD;
    rgc_object_t *first, *second; /* 16 bytes of payload, tracked */
} bench_pair_t;

static rgc_type_t *bench_type(const char *name)
{
    static const rgc_ref_field_t node_fields[] = {
        {"a", offsetof(bench_node_t, a)},
        {"b", offsetof(bench_node_t, b)},
        {"c", offsetof(bench_node_t, c)},
    };
    static const rgc_ref_field_t pair_fields[] = {
        {"first", offsetof(bench_pair_t, first)},
        {"second", offsetof(bench_pair_t, second)},
    };
    rgc_type_spec_t spec = {.name = name};
    if (strcmp(name, "bench.int") == 0) {
        spec.basic_size = sizeof(bench_int_t);
    } else if (strcmp(name, "bench.node") == 0) {
        spec.basic_size = sizeof(bench_node_t);
        spec.ref_fields = node_fields;
        spec.n_ref_fields = 3;
    } else {
        spec.basic_size = sizeof(bench_pair_t);
        spec.ref_fields = pair_fields;
        spec.n_ref_fields = 2;
    }
    rgc_type_t *t = rgc_type_register(&spec);
    if (!t) {
        fprintf(stderr, "bench: could not register %s\n", name);
        exit(2);
    }
    return t;
}
#endif

/* The request size of each object kind: header + fields, as rgc_new gets. */
static size_t object_size(const char *kind)
{
    /* 16-byte header + one int64; 16-byte header + three references. */
    return strcmp(kind, "int") == 0 ? 16 + 8 : 16 + 3 * 8;
}

#if !defined(BENCH_ALLOC_RGC)
/*
 * The anchors' objects: what an object runtime built on malloc and free
 * does where rgc_new and rgc_decref do.  A new object is a block with a
 * 16-byte header, its type and its count (1), and a zeroed body.  A decref
 * drops the count in place; at zero the type's dealloc, out of line as
 * rgc's destruction is, drops the references the body holds (a node's
 * three; NULL here, as in rgc's runs) and frees the block.  No collector:
 * rgc's `node` also joins and leaves generation 0, which no anchor pays.
 */
typedef struct anchor_type {
    size_t nrefs; /* references at the start of the body */
} anchor_type_t;

typedef struct anchor_obj {
    const anchor_type_t *type;
    uint64_t refcnt;
    void *body[];
} anchor_obj_t;

static const anchor_type_t anchor_int = {0}, anchor_node = {3};

static void anchor_decref(anchor_obj_t *o);

static __attribute__((noinline)) void anchor_dealloc(anchor_obj_t *o)
{
    for (size_t k = 0; k < o->type->nrefs; k++)
        if (o->body[k])
            anchor_decref(o->body[k]);
    bench_free(o);
}

static inline void anchor_decref(anchor_obj_t *o)
{
    if (--o->refcnt == 0)
        anchor_dealloc(o);
}

static inline anchor_obj_t *anchor_new(const anchor_type_t *t, size_t nwords)
{
    anchor_obj_t *o = bench_malloc(sizeof *o + nwords * sizeof(void *));
    if (!o)
        return NULL;
    o->type = t;
    o->refcnt = 1;
    /* Word by word (a loop here became `rep stosb`, slower than rgc's
     * stores for a few words): the kinds have one and three. */
    switch (nwords) {
    case 3:
        o->body[2] = NULL;
        /* fall through */
    case 2:
        o->body[1] = NULL;
        /* fall through */
    case 1:
        o->body[0] = NULL;
        break;
    default:
        memset(o->body, 0, nwords * sizeof(void *));
    }
    return o;
}
#endif

static int bench_object(int argc, char **argv)
{
    if (argc < 5 || (argc > 5 && strcmp(argv[5], "bare") != 0)) {
        fprintf(stderr, "usage: object int|node lifo|random N ROUNDS SEED [bare]\n");
        return 2;
    }
    const char *kind = argv[0];
    bool random = strcmp(argv[1], "random") == 0;
    size_t n = arg_size(argv[2]), rounds = arg_size(argv[3]);
    rng_state = arg_size(argv[4]);
    size_t size = object_size(kind);
    /* rgc has no bare mode: its runs are the same either way. */
    bool bare = argc > 5;
#if defined(BENCH_ALLOC_RGC)
    (void)bare;
#endif
    slots = xcalloc(n, sizeof *slots);
    uint32_t *order = random ? shuffled_indices(n) : NULL;
#if defined(BENCH_ALLOC_RGC)
    rgc_type_t *type = bench_type(strcmp(kind, "int") == 0 ? "bench.int" : "bench.node");
    /* This measures allocation and reference counting; what automatic
     * collection adds is measured by gcbench (the young collections). */
    rgc_gc_disable(bench_heap);
    if (rgc_type_basic_size(type) != size) {
        fprintf(stderr, "bench: unexpected basic size %zu\n", rgc_type_basic_size(type));
        return 2;
    }
    /* The int's value is written like the anchors' first word; a node's
     * body is only its references, which rgc_new has set to NULL. */
    bool write_value = strcmp(kind, "int") == 0;
#endif
    double new_cold = 0, del_cold = 0, new_warm = INFINITY, del_warm = INFINITY;
    for (size_t r = 0; r < rounds; r++) {
        if (random && r > 0)
            reshuffle(order, n);
        double t0 = now_ns();
#if defined(BENCH_ALLOC_RGC)
        for (size_t i = 0; i < n; i++) {
            bench_int_t *o = rgc_new(bench_heap, type);
            if (!o) {
                fprintf(stderr, "bench: rgc_new failed\n");
                return 2;
            }
            if (write_value)
                o->value = (int64_t)i;
            slots[i] = o;
        }
#else
        if (bare) {
            alloc_run(size, n);
        } else {
            const anchor_type_t *t = strcmp(kind, "int") == 0 ? &anchor_int : &anchor_node;
            size_t nwords = (size - sizeof(anchor_obj_t)) / sizeof(void *);
            for (size_t i = 0; i < n; i++) {
                anchor_obj_t *o = anchor_new(t, nwords);
                if (!o) {
                    fprintf(stderr, "bench: malloc failed\n");
                    return 2;
                }
                if (t == &anchor_int)
                    o->body[0] = (void *)(uintptr_t)i; /* the int's value */
                slots[i] = o;
            }
        }
#endif
        double t1 = now_ns();
#if defined(BENCH_ALLOC_RGC)
        if (random)
            for (size_t i = 0; i < n; i++)
                rgc_decref(slots[order[i]]);
        else
            for (size_t i = n; i-- > 0;)
                rgc_decref(slots[i]);
#else
        if (bare && random)
            free_order(order, n);
        else if (bare)
            free_lifo(n);
        else if (random)
            for (size_t i = 0; i < n; i++)
                anchor_decref(slots[order[i]]);
        else
            for (size_t i = n; i-- > 0;)
                anchor_decref(slots[i]);
#endif
        double t2 = now_ns();
        double a = (t1 - t0) / (double)n, f = (t2 - t1) / (double)n;
        if (r == 0) {
            new_cold = a;
            del_cold = f;
        } else {
            new_warm = fmin(new_warm, a);
            del_warm = fmin(del_warm, f);
        }
    }
    print_header("object");
    printf(", \"kind\": \"%s\", \"order\": \"%s\", \"size\": %zu, \"n\": %zu, \"rounds\": %zu, "
           "\"anchor_work\": \"%s\", \"metrics\": {\"new_cold\": %.3f, \"decref_cold\": %.3f",
           kind, random ? "random" : "lifo", size, n, rounds,
#if defined(BENCH_ALLOC_RGC)
           "-",
#else
           bare ? "bare" : "object",
#endif
           new_cold, del_cold);
    if (rounds > 1)
        printf(", \"new_warm\": %.3f, \"decref_warm\": %.3f", new_warm, del_warm);
    printf("}}\n");
    return 0;
}

/* ---- object-churn: an interpreter's temporaries over a steady live set */

static int bench_object_churn(int argc, char **argv)
{
    if (argc < 4) {
        fprintf(stderr, "usage: object-churn int|node LIVE OPS SEED\n");
        return 2;
    }
    const char *kind = argv[0];
    size_t live = arg_size(argv[1]), ops = arg_size(argv[2]);
    rng_state = arg_size(argv[3]);
    size_t size = object_size(kind);
    slots = xcalloc(live, sizeof *slots);
#if defined(BENCH_ALLOC_RGC)
    rgc_type_t *type = bench_type(strcmp(kind, "int") == 0 ? "bench.int" : "bench.node");
    rgc_gc_disable(bench_heap); /* as in `object` */
    for (size_t i = 0; i < live; i++)
        if (!(slots[i] = rgc_new(bench_heap, type)))
            return 2;
#else
    alloc_run(size, live);
#endif
    double per_op = 0;
    for (int pass = 0; pass < 2; pass++) { /* untimed first pass, as in churn */
        size_t count = pass == 0 ? ops / 2 : ops;
        double t0 = now_ns();
        for (size_t k = 0; k < count; k++) {
            size_t i = rng_below(live);
#if defined(BENCH_ALLOC_RGC)
            rgc_decref(slots[i]);
            bench_int_t *o = rgc_new(bench_heap, type);
            if (!o)
                return 2;
            slots[i] = o;
#else
            churn_replace(i, size, k);
#endif
        }
        per_op = (now_ns() - t0) / (double)count;
    }
    print_header("object-churn");
    printf(", \"kind\": \"%s\", \"size\": %zu, \"n\": %zu, \"ops\": %zu, \"metrics\": {\"replace\": %.3f}}\n",
           kind, size, live, ops, per_op);
    return 0;
}

/* ---- events: what the event recorder and allocation tracing cost */

#if defined(BENCH_ALLOC_RGC)
#include "rgc_debug.h"

#define EVENTS_RAW_SIZE 64
#define EVENTS_RING 4096
/* The sampled mode: about one allocation in this many bytes is traced. */
#define EVENTS_SAMPLE_BYTES ((size_t)512 << 10)
/* Every pass runs this many calls below bench_events, so that the
 * 16-frame mode has 16 return addresses to take, as it would in a program
 * of some depth (bench's own stack is six or so frames deep). */
#define EVENTS_DEPTH 16
/* The sampled mode's check allocates at least this many bytes: some
 * dozens of traces are expected, whatever N. */
#define EVENTS_CHECK_BYTES (64 * EVENTS_SAMPLE_BYTES)
/* The passes that are not measured but would take long: the 16-frame
 * mode's warm-up and the checks of the modes that trace everything run
 * over at most this many blocks. */
#define EVENTS_SHORT ((size_t)10000)

enum events_pattern { EV_RAW, EV_OBJECT, EV_PAIR, EV_ALLOC, EV_RANDOM };

/* EV_RANDOM: 16-byte blocks freed in this order (made once for the run's
 * N; a shorter pass skips the indices it did not allocate). */
static uint32_t *events_order;
static size_t events_order_n;

/* What a pass runs with.  Each mode is started before the clock and
 * stopped after it, and runs two passes in between: the first from the
 * start, the second (the mode's figure) as a program that has been running
 * a while sees it.  The recorder's ring is allocated and zeroed at the
 * start; the tracer's tables are made as the traces accumulate, so the
 * first pass also times their growth from empty (what starting the tracer
 * costs), the second runs with them grown.  The 16-frame mode runs one pass
 * only: its unwinding, microseconds an allocation, dwarfs the growth. */
enum events_mode { MODE_OFF, MODE_RECORDER, MODE_HOOK, MODE_OTHERS, MODE_TRACE1, MODE_SAMPLED, MODE_TRACE16, N_MODES };
static const char *const mode_names[N_MODES] = {"off", "recorder", "hook", "others", "trace1", "sampled", "trace16"};

/* MODE_OTHERS: another heap records and traces a sample while the
 * measured one does neither (what one heap's listeners cost the others:
 * nothing on the raw paths, which they divert by their own heap's flags
 * and tags; the object paths see them in the hook words).  Whether the
 * gates stayed open while it ran is its proof. */
static rgc_heap_t *events_other;
static bool events_others_gates_open = true;

/* MODE_HOOK: a debugger's hook armed for the free of one address that is
 * never freed (a static of this file), written through the debug table as
 * a debugger writes it.  Its calls must stay 0. */
static char events_never_freed;
static unsigned char *events_hooks(void)
{
    return (unsigned char *)(uintptr_t)(rgc_debug_table.runtime_address + rgc_debug_table.runtime_hooks);
}
static void events_hook_arm(uint8_t mask)
{
    unsigned char *k = events_hooks();
    uint64_t addr = (uint64_t)(uintptr_t)&events_never_freed;
    memcpy(k + rgc_debug_table.hooks_address, &addr, sizeof addr);
    memcpy(k + rgc_debug_table.hooks_mask, &mask, 1);
    /* Then the gates, by their rule (docs/debug-abi.md): nothing else
     * listens in this mode, and no type filter is set. */
    unsigned char *root = (unsigned char *)(uintptr_t)rgc_debug_table.runtime_address;
    uint64_t free_gate = mask & rgc_debug_table.free_gate_kinds ? 0 : rgc_debug_table.free_gate_open;
    uint64_t alloc_gate = mask & rgc_debug_table.alloc_gate_kinds ? 0 : rgc_debug_table.alloc_gate_open;
    memcpy(root + rgc_debug_table.runtime_free_gate, &free_gate, sizeof free_gate);
    memcpy(root + rgc_debug_table.runtime_alloc_gate, &alloc_gate, sizeof alloc_gate);
}
static uint64_t events_hook_hits(void)
{
    uint64_t n;
    memcpy(&n, events_hooks() + rgc_debug_table.hooks_hits, sizeof n);
    return n;
}

/* What the untimed check pass of a tracing mode found. */
typedef struct events_check {
    uint64_t ops, traced;
    unsigned frames; /* the most frames of one trace */
} events_check_t;

/* Per mode, over the run. */
typedef struct events_figures {
    bool on;           /* the mode is measured in this run */
    double best;       /* ns per alloc+free, the fastest second pass (trace16: pass) */
    double first;      /* the same of the first passes */
    size_t passes;     /* timed passes, first and second */
    uint64_t events;   /* recorder: events recorded by the timed passes */
    uint64_t peak;     /* tracing: the highest peak of traced bytes of a pass */
    events_check_t check;
} events_figures_t;

static inline void events_look_up(const void *p, events_check_t *chk)
{
    if (!chk)
        return;
    chk->ops++;
    rgc_trace_info_t info;
    if (rgc_trace_get(bench_heap, p, &info) == 0) {
        chk->traced++;
        if (info.nframes > chk->frames)
            chk->frames = info.nframes;
    }
}

/* One pass of the pattern over n blocks or objects.  With chk (the check
 * pass, never timed) each block is looked up in the traces as soon as it
 * is allocated; without, the lookups compile away. */
static inline __attribute__((always_inline)) void events_body(enum events_pattern pattern, size_t n,
                                                              rgc_type_t *type, events_check_t *chk)
{
    switch (pattern) {
    case EV_RAW:
    case EV_ALLOC:
        for (size_t i = 0; i < n; i++) {
            uint64_t *p = bench_malloc(EVENTS_RAW_SIZE);
            p[0] = i;
            slots[i] = p;
            events_look_up(p, chk);
        }
        free_lifo(n);
        break;
    case EV_OBJECT:
        for (size_t i = 0; i < n; i++) {
            bench_int_t *o = rgc_new(bench_heap, type);
            if (!o) {
                fprintf(stderr, "bench: rgc_new failed\n");
                exit(2);
            }
            o->value = (int64_t)i;
            slots[i] = o;
            events_look_up(o, chk);
        }
        for (size_t i = n; i-- > 0;)
            rgc_decref(slots[i]);
        break;
    case EV_PAIR:
        for (size_t i = 0; i < n; i++) {
            uint64_t *p = bench_malloc(EVENTS_RAW_SIZE);
            p[0] = i;
            events_look_up(p, chk);
            bench_free(p);
        }
        break;
    case EV_RANDOM:
        for (size_t i = 0; i < n; i++) {
            uint64_t *p = bench_malloc(16);
            p[0] = i;
            slots[i] = p;
            events_look_up(p, chk);
        }
        for (size_t i = 0; i < events_order_n; i++)
            if (events_order[i] < n)
                bench_free(slots[events_order[i]]);
        break;
    }
}

/* The timed pass: ns per alloc+free. */
/* Calls of events_pass: what a count of its instructions (callgrind's
 * --toggle-collect=events_pass) is divided by, with N. */
static uint64_t events_pass_calls;

static __attribute__((noinline)) double events_pass(enum events_pattern pattern, size_t n,
                                                    rgc_type_t *type)
{
    events_pass_calls++;
    double t0 = now_ns();
    events_body(pattern, n, type, NULL);
    return (now_ns() - t0) / (double)n;
}

static __attribute__((noinline)) void events_check_pass(enum events_pattern pattern, size_t n,
                                                        rgc_type_t *type, events_check_t *chk)
{
    events_body(pattern, n, type, chk);
}

/* Runs the timed pass (chk NULL) or the check pass depth calls further
 * down the stack; the clock is read at the bottom only. */
static __attribute__((noinline)) double events_deep(unsigned depth, enum events_pattern pattern,
                                                    size_t n, rgc_type_t *type, events_check_t *chk)
{
    double t = 0;
    if (depth > 0)
        t = events_deep(depth - 1, pattern, n, type, chk);
    else if (chk)
        events_check_pass(pattern, n, type, chk);
    else
        t = events_pass(pattern, n, type);
    __asm__ volatile("" ::: "memory"); /* not a tail call: every level keeps its frame */
    return t;
}

static void events_mode_start(enum events_mode mode)
{
    int rc = 0;
    switch (mode) {
    case MODE_OFF:
    case N_MODES:
        break;
    case MODE_RECORDER:
        rc = rgc_recorder_start(bench_heap, EVENTS_RING);
        break;
    case MODE_HOOK:
        events_hook_arm(RGC_DEBUG_HOOK_BIT(RGC_EV_FREE));
        break;
    case MODE_OTHERS: {
        if (!events_other && !(events_other = rgc_heap_new(NULL)))
            rc = -1;
        else if ((rc = rgc_recorder_start(events_other, EVENTS_RING)) == 0)
            rc = rgc_trace_start(events_other, 1, EVENTS_SAMPLE_BYTES);
        const unsigned char *root = (const unsigned char *)(uintptr_t)rgc_debug_table.runtime_address;
        uint64_t free_gate, alloc_gate;
        memcpy(&free_gate, root + rgc_debug_table.runtime_free_gate, sizeof free_gate);
        memcpy(&alloc_gate, root + rgc_debug_table.runtime_alloc_gate, sizeof alloc_gate);
        if (free_gate != rgc_debug_table.free_gate_open || alloc_gate != rgc_debug_table.alloc_gate_open)
            events_others_gates_open = false;
        break;
    }
    case MODE_TRACE1:
        rc = rgc_trace_start(bench_heap, 1, 0);
        break;
    case MODE_SAMPLED:
        rc = rgc_trace_start(bench_heap, 1, EVENTS_SAMPLE_BYTES);
        break;
    case MODE_TRACE16:
        rc = rgc_trace_start(bench_heap, 16, 0);
        break;
    }
    if (rc != 0) {
        fprintf(stderr, "bench: events: could not start %s\n", mode_names[mode]);
        exit(2);
    }
}

/* Takes what the mode saw of the pass (events recorded, the peak of
 * traced bytes: 0 in a build without events), then stops it. */
static void events_mode_stop(enum events_mode mode, events_figures_t *fig)
{
    if (mode == MODE_RECORDER) {
        rgc_event_t last;
        fig->events += rgc_recorder_events(bench_heap, &last, 1) ? last.seq : 0;
        rgc_recorder_stop(bench_heap);
    } else if (mode == MODE_HOOK) {
        events_hook_arm(0);
    } else if (mode == MODE_OTHERS) {
        rgc_trace_stop(events_other);
        rgc_recorder_stop(events_other);
    } else if (mode != MODE_OFF) {
        size_t peak = 0;
        rgc_trace_get_traced_memory(bench_heap, NULL, &peak);
        if (peak > fig->peak)
            fig->peak = peak;
        rgc_trace_stop(bench_heap);
    }
}

/* MODES: a comma-separated subset of mode_names, or "all". */
static int events_parse_modes(const char *arg, bool on[N_MODES])
{
    if (strcmp(arg, "all") == 0) {
        for (int m = 0; m < N_MODES; m++)
            on[m] = true;
        return 0;
    }
    for (const char *s = arg; *s;) {
        size_t len = strcspn(s, ",");
        int m = 0;
        while (m < N_MODES && !(strlen(mode_names[m]) == len && strncmp(s, mode_names[m], len) == 0))
            m++;
        if (m == N_MODES) {
            fprintf(stderr, "bench: events: unknown mode %.*s\n", (int)len, s);
            return -1;
        }
        on[m] = true;
        s += len + (s[len] == ',');
    }
    return 0;
}
#endif

static int bench_events(int argc, char **argv)
{
    if (argc < 4) {
        fprintf(stderr, "usage: events raw|object|pair|alloc|random N ROUNDS SEED [MODES]\n"
                        "  MODES: all (default) or a comma-separated subset of "
                        "off,recorder,hook,others,trace1,sampled,trace16\n");
        return 2;
    }
#if defined(BENCH_ALLOC_RGC)
    const char *name = argv[0];
    enum events_pattern pattern;
    if (strcmp(name, "raw") == 0)
        pattern = EV_RAW;
    else if (strcmp(name, "object") == 0)
        pattern = EV_OBJECT;
    else if (strcmp(name, "pair") == 0)
        pattern = EV_PAIR;
    else if (strcmp(name, "alloc") == 0)
        pattern = EV_ALLOC;
    else if (strcmp(name, "random") == 0)
        pattern = EV_RANDOM;
    else {
        fprintf(stderr, "bench: events: unknown pattern %s\n", name);
        return 2;
    }
    size_t n = arg_size(argv[1]), rounds = arg_size(argv[2]);
    uint64_t seed = arg_size(argv[3]);
    if (n == 0 || rounds == 0) {
        fprintf(stderr, "bench: events: N and ROUNDS must be positive\n");
        return 2;
    }
    events_figures_t fig[N_MODES] = {{0}};
    bool on[N_MODES] = {0};
    if (events_parse_modes(argc > 4 ? argv[4] : "all", on) < 0)
        return 2;
    enum events_mode modes[N_MODES];
    size_t nmodes = 0;
    for (int m = 0; m < N_MODES; m++)
        if (on[m]) {
            modes[nmodes++] = (enum events_mode)m;
            fig[m].on = true;
            fig[m].best = fig[m].first = INFINITY;
        }
    slots = xcalloc(n, sizeof *slots);
    if (pattern == EV_RANDOM) {
        rng_state = seed | 1;
        events_order = shuffled_indices(n);
        events_order_n = n;
    }
    rgc_type_t *type = bench_type("bench.int");
    rgc_gc_disable(bench_heap); /* as in `object` */
    size_t size = pattern == EV_OBJECT ? rgc_type_basic_size(type) : pattern == EV_RANDOM ? 16 : EVENTS_RAW_SIZE;
    /* An untimed pass with everything off, then one in each mode: all of
     * them measure warm memory (the first touch of the heap's pages is
     * `fresh`'s subject, not this), the tracer's tables have been as large
     * once, and the unwinder the 16-frame mode calls is loaded (for which
     * a short pass is enough: its passes take a thousand times as long). */
    events_deep(EVENTS_DEPTH, pattern, n, type, NULL);
    for (size_t k = 0; k < nmodes; k++) {
        events_figures_t scratch = {0};
        events_mode_start(modes[k]);
        events_deep(EVENTS_DEPTH, pattern, modes[k] == MODE_TRACE16 && n > EVENTS_SHORT ? EVENTS_SHORT : n,
                    type, NULL);
        events_mode_stop(modes[k], &scratch);
    }
    /* The modes take turns within each round.  Round r starts with mode
     * r + SEED (mod the count) and goes forward, and the next as many rounds
     * go backward: every mode is measured in every place of the order and
     * after either neighbour, so that drift of the machine during the run
     * falls on all alike. */
    for (size_t r = 0; r < rounds; r++) {
        size_t start = (size_t)((r + seed) % nmodes);
        bool backward = (((r + seed) / nmodes) & 1) != 0;
        for (size_t k = 0; k < nmodes; k++) {
            enum events_mode m = modes[backward ? (start + nmodes - k) % nmodes : (start + k) % nmodes];
            events_mode_start(m);
            double t = events_deep(EVENTS_DEPTH, pattern, n, type, NULL), t2 = t;
            if (m != MODE_TRACE16)
                t2 = events_deep(EVENTS_DEPTH, pattern, n, type, NULL);
            events_mode_stop(m, &fig[m]);
            fig[m].first = fmin(fig[m].first, t);
            fig[m].best = fmin(fig[m].best, t2);
            fig[m].passes += m != MODE_TRACE16 ? 2 : 1;
        }
    }
    /* The proof that each tracing mode traced: a check pass, untimed, that
     * looks every block up in the traces as soon as it is allocated (over
     * at most EVENTS_SHORT blocks; the sampled mode's, over all N, repeated
     * up to EVENTS_CHECK_BYTES, for enough samples to compare with the
     * rate).  The timed passes' peaks of traced bytes say the same of N. */
    for (size_t k = 0; k < nmodes; k++) {
        enum events_mode m = modes[k];
        if (m == MODE_OFF || m == MODE_RECORDER || m == MODE_HOOK || m == MODE_OTHERS)
            continue;
        events_figures_t scratch = {0};
        events_mode_start(m);
        if (m == MODE_SAMPLED)
            do
                events_deep(EVENTS_DEPTH, pattern, n, type, &fig[m].check);
            while (fig[m].check.ops * size < EVENTS_CHECK_BYTES);
        else
            events_deep(EVENTS_DEPTH, pattern, n > EVENTS_SHORT ? EVENTS_SHORT : n, type, &fig[m].check);
        events_mode_stop(m, &scratch);
    }
    print_header("events");
    printf(", \"pattern\": \"%s\", \"size\": %zu, \"n\": %zu, \"rounds\": %zu, \"modes\": [",
           name, size, n, rounds);
    for (size_t k = 0; k < nmodes; k++)
        printf("%s\"%s\"", k ? ", " : "", mode_names[modes[k]]);
    printf("], \"metrics\": {");
    for (size_t k = 0; k < nmodes; k++)
        printf("%s\"%s_ns\": %.3f", k ? ", " : "", mode_names[modes[k]], fig[modes[k]].best);
    for (size_t k = 0; k < nmodes; k++)
        if (modes[k] != MODE_TRACE16)
            printf(", \"%s_first_ns\": %.3f", mode_names[modes[k]], fig[modes[k]].first);
    printf("}, \"stats\": {\"recorder_capacity\": %u, \"sample_bytes\": %zu, \"depth\": %d, "
           "\"pass_calls\": %" PRIu64,
           EVENTS_RING, EVENTS_SAMPLE_BYTES, EVENTS_DEPTH, events_pass_calls);
    if (on[MODE_RECORDER]) {
        const events_figures_t *f = &fig[MODE_RECORDER];
        printf(", \"events_per_op\": %.3f", (double)f->events / ((double)n * (double)f->passes));
    }
    if (on[MODE_HOOK])
        printf(", \"hook\": {\"mask\": %u, \"calls\": %" PRIu64 "}", RGC_DEBUG_HOOK_BIT(RGC_EV_FREE),
               events_hook_hits());
    if (on[MODE_OTHERS])
        printf(", \"others\": {\"gates_open\": %s}", events_others_gates_open ? "true" : "false");
    for (int m = MODE_TRACE1; m < N_MODES; m++) {
        const events_figures_t *f = &fig[m];
        if (!f->on)
            continue;
        printf(", \"%s\": {\"traced_per_op\": %.6f, \"checked_ops\": %" PRIu64 ", \"traced\": %" PRIu64
               ", \"frames\": %u, \"peak_bytes\": %" PRIu64,
               mode_names[m], f->check.ops ? (double)f->check.traced / (double)f->check.ops : 0.0,
               f->check.ops, f->check.traced, f->check.frames, f->peak);
        if (m == MODE_SAMPLED)
            printf(", \"expected_per_op\": %.6f", (double)size / (double)EVENTS_SAMPLE_BYTES);
        printf("}");
    }
    printf("}}\n");
    return 0;
#else
    (void)argv;
    fprintf(stderr, "bench: events: rgc builds only\n");
    return 2;
#endif
}

/* ---- per-object overhead for a 16-byte payload */

static int bench_overhead(int argc, char **argv)
{
    if (argc < 1) {
        fprintf(stderr, "usage: overhead N\n");
        return 2;
    }
    size_t n = arg_size(argv[0]);
    const size_t payload = 16;
    slots = xcalloc(n, sizeof *slots);
    size_t rss0 = rss_bytes();
    print_header("overhead");
#if defined(BENCH_ALLOC_RGC)
    rgc_type_t *type = bench_type("bench.pair");
    for (size_t i = 0; i < n; i++) {
        bench_pair_t *o = rgc_new(bench_heap, type);
        if (!o) {
            fprintf(stderr, "bench: rgc_new failed\n");
            return 2;
        }
        slots[i] = o;
    }
    size_t rss1 = rss_bytes();
    rgc_heap_stats_t st;
    rgc_heap_stats(bench_heap, &st);
    double per_object = st.objects ? (double)st.bytes_in_use / (double)st.objects : 0;
    /* The marginal cost of a long-lived object: n objects, all moved to
     * the oldest generation, then n more.  What the heap keeps whatever
     * its size (the generation-0 array) cancels out. */
    bench_pair_t **more = xcalloc(n, sizeof *more);
    rgc_gc_collect(bench_heap, 2);
    rgc_heap_stats_t m1, m2;
    rgc_heap_stats(bench_heap, &m1);
    for (size_t i = 0; i < n; i++)
        if (!(more[i] = rgc_new(bench_heap, type))) {
            fprintf(stderr, "bench: rgc_new failed\n");
            return 2;
        }
    rgc_gc_collect(bench_heap, 2);
    rgc_heap_stats(bench_heap, &m2);
    double marginal = (double)(m2.bytes_in_use - m1.bytes_in_use) / (double)n;
    for (size_t i = 0; i < n; i++)
        rgc_decref(more[i]);
    free(more);
    double per_block = 0;
    int c = (int)((sizeof(bench_pair_t) - 1) / RGC_ALIGN);
    if (st.classes[c].blocks_used)
        per_block = (double)st.classes[c].bytes_used / (double)st.classes[c].blocks_used;
    printf(", \"n\": %zu, \"payload\": %zu, \"metrics\": {"
           "\"bytes_per_object\": %.3f, \"overhead\": %.3f, \"block_bytes\": %.3f, "
           "\"rss_per_object\": %.3f, \"rss_overhead\": %.3f, "
           "\"marginal_bytes_per_object\": %.3f, \"marginal_overhead\": %.3f}, "
           "\"stats\": {\"objects\": %zu, \"bytes_in_use\": %zu, \"bytes_mapped\": %zu, "
           "\"tracked_gen0\": %zu, \"tracked_total\": %zu, \"large_bytes\": %zu}}\n",
           n, payload, per_object, per_object - (double)payload, per_block,
           (double)(rss1 - rss0) / (double)n, (double)(rss1 - rss0) / (double)n - (double)payload,
           marginal, marginal - (double)payload,
           st.objects, st.bytes_in_use, st.bytes_mapped, st.tracked[0],
           st.tracked[0] + st.tracked[1] + st.tracked[2] + st.tracked[3], st.large_bytes);
    for (size_t i = 0; i < n; i++)
        rgc_decref(slots[i]);
#else
    for (size_t i = 0; i < n; i++) {
        uint64_t *p = bench_malloc(payload);
        p[0] = i;
        slots[i] = p;
    }
    size_t rss1 = rss_bytes();
    double usable = 0;
    for (size_t i = 0; i < n; i++)
        usable += (double)bench_usable_size(slots[i]);
    usable /= (double)n;
    double footprint = usable + (double)BENCH_BLOCK_HEADER;
    printf(", \"n\": %zu, \"payload\": %zu, \"metrics\": {"
           "\"bytes_per_object\": %.3f, \"overhead\": %.3f, \"usable_size\": %.3f, "
           "\"rss_per_object\": %.3f, \"rss_overhead\": %.3f}}\n",
           n, payload, footprint, footprint - (double)payload,
           usable, (double)(rss1 - rss0) / (double)n,
           (double)(rss1 - rss0) / (double)n - (double)payload);
    free_lifo(n);
#endif
    return 0;
}

/* ---- RSS after freeing 90% */

static int bench_rss(int argc, char **argv)
{
    if (argc < 4) {
        fprintf(stderr, "usage: rss random|runs 48|mix N SEED\n");
        return 2;
    }
    bool runs = strcmp(argv[0], "runs") == 0;
    bool mix = strcmp(argv[1], "mix") == 0;
    size_t n = arg_size(argv[2]);
    rng_state = arg_size(argv[3]);
    const size_t run_len = 4096; /* "runs": keep every 10th run of 4096 */
    slots = xcalloc(n, sizeof *slots);
    uint8_t *sizes = xcalloc(n, 1);
    bool *keep = xcalloc(n, sizeof *keep);
    for (size_t i = 0; i < n; i++)
        sizes[i] = (uint8_t)(mix ? 16 + rng_below(128 - 16 + 1) : 48);
    uint32_t *order = NULL;
    if (runs) {
        for (size_t i = 0; i < n; i++)
            keep[i] = (i / run_len) % 10 == 9;
    } else {
        order = shuffled_indices(n);
        for (size_t k = n - n / 10; k < n; k++)
            keep[order[k]] = true;
    }
    size_t rss0 = rss_bytes();
    size_t total_payload = 0;
    for (size_t i = 0; i < n; i++) {
        uint64_t *p = bench_malloc(sizes[i]);
        p[0] = i;
        slots[i] = p;
        total_payload += sizes[i];
    }
    size_t rss_full = rss_bytes() - rss0;
    size_t live = 0, nlive = 0;
    if (runs) {
        for (size_t i = 0; i < n; i++)
            if (!keep[i])
                bench_free(slots[i]);
    } else {
        for (size_t k = 0; k < n; k++)
            if (!keep[order[k]])
                bench_free(slots[order[k]]);
    }
    for (size_t i = 0; i < n; i++)
        if (keep[i]) {
            live += sizes[i];
            nlive++;
        }
    size_t rss_after = rss_bytes() - rss0;
    print_header("rss");
    printf(", \"pattern\": \"%s\", \"sizes\": \"%s\", \"n\": %zu, \"metrics\": {"
           "\"rss_full\": %zu, \"rss_after\": %zu, \"live_payload\": %zu, \"live_objects\": %zu, "
           "\"total_payload\": %zu}",
           runs ? "runs" : "random", mix ? "mix" : "48", n, rss_full, rss_after, live, nlive,
           total_payload);
#if defined(BENCH_ALLOC_RGC)
    rgc_heap_stats_t st;
    rgc_heap_stats(bench_heap, &st);
    printf(", \"stats\": {\"arenas\": %zu, \"bytes_mapped\": %zu, \"bytes_in_use\": %zu, "
           "\"pools_used\": %zu, \"pools_free\": %zu}",
           st.arenas, st.bytes_mapped, st.bytes_in_use, st.pools_used, st.pools_free);
#endif
    printf("}\n");
    return 0;
}

int main(int argc, char **argv)
{
    if (argc < 2) {
        fprintf(stderr, "usage: %s fresh|random|churn|object|object-churn|events|overhead|rss ARGS...\n", argv[0]);
        return 2;
    }
    bench_alloc_init();
    const char *b = argv[1];
    argc -= 2;
    argv += 2;
    if (strcmp(b, "fresh") == 0)
        return bench_alloc_free(false, argc, argv);
    if (strcmp(b, "random") == 0)
        return bench_alloc_free(true, argc, argv);
    if (strcmp(b, "churn") == 0)
        return bench_churn(argc, argv);
    if (strcmp(b, "object") == 0)
        return bench_object(argc, argv);
    if (strcmp(b, "object-churn") == 0)
        return bench_object_churn(argc, argv);
    if (strcmp(b, "events") == 0)
        return bench_events(argc, argv);
    if (strcmp(b, "overhead") == 0)
        return bench_overhead(argc, argv);
    if (strcmp(b, "rss") == 0)
        return bench_rss(argc, argv);
    fprintf(stderr, "bench: unknown benchmark %s\n", b);
    return 2;
}
