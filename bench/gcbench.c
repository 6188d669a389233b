/*
 * gcbench.c — rgc's cycle collector, one graph shape per invocation, timed,
 * printed as one JSON line on stdout.  bench/gc_bench.py builds the same
 * shapes in CPython with the same arguments; bench/run.py runs the two side
 * by side.
 *
 *   cycles   N                      N objects in N/2 garbage 2-cycles, one
 *                                   full collection
 *   live     N REPEATS              N live objects held in a list: the first
 *                                   full collection (young to old), then
 *                                   REPEATS more (all old)
 *   ring     N                      one garbage ring of N objects (i -> i+1,
 *                                   last -> first), one full collection
 *   young    N_OLD N_YOUNG ITERS [EVERY]
 *                                   a heap of N_OLD objects in generation 2;
 *                                   ITERS times: drop the previous young
 *                                   objects, make N_YOUNG new ones (held in
 *                                   an old list), time rgc_gc_collect(h, 0);
 *                                   with EVERY > 0, also collect generation
 *                                   1 (untimed) after every EVERY of them,
 *                                   as automatic collection would (10)
 *   overhead N                      bytes per object of a 16-byte-payload
 *                                   tracked object once in generation 2
 *
 * Every object is of one registered type: the 16-byte header and two
 * reference fields (a 32-byte block), the analogue of a Python class with
 * __slots__ = ('a', 'b').  Automatic collection is disabled before any
 * graph is built; only the collection calls are timed.  Each collection's
 * result is checked against the number of garbage objects the shape has,
 * so a collector that finds too little cannot look fast.
 */
#include "rgc.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

typedef struct gc_node {
    RGC_OBJECT_HEAD;
    rgc_object_t *a, *b;
} gc_node_t;

static rgc_heap_t *heap;
static rgc_type_t *node_type;

static double now_ns(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec * 1e9 + (double)ts.tv_nsec;
}

static size_t arg_size(const char *s)
{
    char *end;
    unsigned long long v = strtoull(s, &end, 10);
    if (*end != '\0') {
        fprintf(stderr, "gcbench: not a number: %s\n", s);
        exit(2);
    }
    return (size_t)v;
}

static void *xcalloc(size_t n, size_t size)
{
    void *p = calloc(n, size);
    if (!p) {
        fprintf(stderr, "gcbench: out of memory for %zu x %zu bytes\n", n, size);
        exit(2);
    }
    for (size_t off = 0; off < n * size; off += 4096)
        ((volatile char *)p)[off] = 0;
    return p;
}

static void setup(void)
{
    heap = rgc_heap_new(NULL);
    if (!heap) {
        fprintf(stderr, "gcbench: rgc_heap_new failed\n");
        exit(2);
    }
    rgc_gc_disable(heap);
    static const rgc_ref_field_t fields[] = {
        {"a", offsetof(gc_node_t, a)},
        {"b", offsetof(gc_node_t, b)},
    };
    rgc_type_spec_t spec = {
        .name = "bench.gcnode",
        .basic_size = sizeof(gc_node_t),
        .ref_fields = fields,
        .n_ref_fields = 2,
    };
    node_type = rgc_type_register(&spec);
    if (!node_type) {
        fprintf(stderr, "gcbench: could not register bench.gcnode\n");
        exit(2);
    }
}

static gc_node_t *new_node(void)
{
    gc_node_t *o = rgc_new(heap, node_type);
    if (!o) {
        fprintf(stderr, "gcbench: rgc_new failed\n");
        exit(2);
    }
    return o;
}

/* A timed full collection that must find `expect` unreachable objects. */
static double timed_collect(int gen, long expect)
{
    double t0 = now_ns();
    long found = rgc_gc_collect(heap, gen);
    double t1 = now_ns();
    if (found != expect) {
        fprintf(stderr, "gcbench: collection of generation %d found %ld unreachable objects, expected %ld\n",
                gen, found, expect);
        exit(3);
    }
    return t1 - t0;
}

static void print_header(const char *bench)
{
    printf("{\"impl\": \"rgc\", \"version\": \"%d.%d\", \"bench\": \"%s\"", RGC_VERSION_MAJOR,
           RGC_VERSION_MINOR, bench);
}

static void print_stats(void)
{
    rgc_heap_stats_t st;
    rgc_heap_stats(heap, &st);
    printf(", \"stats\": {\"objects\": %zu, \"bytes_in_use\": %zu, \"bytes_mapped\": %zu, "
           "\"tracked\": [%zu, %zu, %zu, %zu]}",
           st.objects, st.bytes_in_use, st.bytes_mapped, st.tracked[0], st.tracked[1], st.tracked[2],
           st.tracked[3]);
}

/* ---- garbage 2-cycles */

static int bench_cycles(int argc, char **argv)
{
    if (argc < 1) {
        fprintf(stderr, "usage: cycles N\n");
        return 2;
    }
    size_t pairs = arg_size(argv[0]) / 2, n = 2 * pairs;
    for (size_t i = 0; i < pairs; i++) {
        gc_node_t *x = new_node(), *y = new_node();
        x->a = rgc_newref(y);
        y->a = rgc_newref(x);
        rgc_decref(x);
        rgc_decref(y);
    }
    double t = timed_collect(2, (long)n);
    print_header("cycles");
    printf(", \"n\": %zu, \"metrics\": {\"ns_per_object\": %.3f, \"total_ms\": %.3f}", n, t / (double)n,
           t / 1e6);
    print_stats();
    printf("}\n");
    return 0;
}

/* ---- live objects held in a list */

static int bench_live(int argc, char **argv)
{
    if (argc < 2) {
        fprintf(stderr, "usage: live N REPEATS\n");
        return 2;
    }
    size_t n = arg_size(argv[0]), repeats = arg_size(argv[1]);
    void *keep = rgc_list_new(heap, n);
    if (!keep) {
        fprintf(stderr, "gcbench: rgc_list_new failed\n");
        return 2;
    }
    for (size_t i = 0; i < n; i++) {
        gc_node_t *o = new_node();
        if (rgc_list_append(keep, o) < 0) {
            fprintf(stderr, "gcbench: rgc_list_append failed\n");
            return 2;
        }
        rgc_decref(o);
    }
    double first = timed_collect(2, 0) / (double)n;
    double *old = xcalloc(repeats ? repeats : 1, sizeof *old);
    double best = INFINITY;
    for (size_t r = 0; r < repeats; r++) {
        old[r] = timed_collect(2, 0) / (double)n;
        best = fmin(best, old[r]);
    }
    print_header("live");
    printf(", \"n\": %zu, \"repeats\": %zu, \"metrics\": {\"first_ns_per_object\": %.3f", n, repeats, first);
    if (repeats)
        printf(", \"old_ns_per_object\": %.3f", best);
    printf("}, \"old_samples\": [");
    for (size_t r = 0; r < repeats; r++)
        printf("%s%.3f", r ? ", " : "", old[r]);
    printf("]");
    print_stats();
    printf("}\n");
    rgc_decref(keep);
    return 0;
}

/* ---- one garbage ring */

static int bench_ring(int argc, char **argv)
{
    if (argc < 1) {
        fprintf(stderr, "usage: ring N\n");
        return 2;
    }
    size_t n = arg_size(argv[0]);
    if (n < 2) {
        fprintf(stderr, "gcbench: a ring needs 2 objects\n");
        return 2;
    }
    gc_node_t *first = new_node(), *prev = first;
    for (size_t i = 1; i < n; i++) {
        gc_node_t *o = new_node();
        prev->a = (rgc_object_t *)o; /* steals the new reference */
        prev = o;
    }
    prev->a = rgc_newref(first); /* the ring holds first; so do we */
    rgc_decref(first);           /* ... no longer: all garbage */
    double t = timed_collect(2, (long)n);
    print_header("ring");
    printf(", \"n\": %zu, \"metrics\": {\"ns_per_object\": %.3f, \"total_ms\": %.3f}", n, t / (double)n,
           t / 1e6);
    print_stats();
    printf("}\n");
    return 0;
}

/* ---- generation 0 in a heap of old objects */

static int cmp_double(const void *a, const void *b)
{
    double x = *(const double *)a, y = *(const double *)b;
    return (x > y) - (x < y);
}

static int bench_young(int argc, char **argv)
{
    if (argc < 3) {
        fprintf(stderr, "usage: young N_OLD N_YOUNG ITERS [EVERY]\n");
        return 2;
    }
    size_t n_old = arg_size(argv[0]), n_young = arg_size(argv[1]), iters = arg_size(argv[2]);
    size_t every = argc > 3 ? arg_size(argv[3]) : 0;
    if (iters == 0) {
        fprintf(stderr, "gcbench: young needs ITERS >= 1\n");
        return 2;
    }
    void *old = rgc_list_new(heap, n_old), *young = rgc_list_new(heap, n_young);
    if (!old || !young) {
        fprintf(stderr, "gcbench: rgc_list_new failed\n");
        return 2;
    }
    for (size_t i = 0; i < n_old; i++) {
        gc_node_t *o = new_node();
        if (rgc_list_append(old, o) < 0)
            return 2;
        rgc_decref(o);
    }
    /* Everything so far, the young list included, goes to generation 2. */
    timed_collect(2, 0);
    size_t in_gen2 = rgc_generation_size(heap, 2);
    double *t = xcalloc(iters, sizeof *t);
    for (size_t k = 0; k < iters; k++) {
        rgc_list_clear(young); /* the previous young objects die */
        for (size_t i = 0; i < n_young; i++) {
            gc_node_t *o = new_node();
            if (rgc_list_append(young, o) < 0)
                return 2;
            rgc_decref(o);
        }
        if (rgc_generation_size(heap, 0) != n_young) {
            fprintf(stderr, "gcbench: generation 0 holds %zu objects, expected %zu\n",
                    rgc_generation_size(heap, 0), n_young);
            return 3;
        }
        t[k] = timed_collect(0, 0) / 1e3;
        if (every && (k + 1) % every == 0)
            timed_collect(1, 0);
    }
    /* How the cost moves over the run: the first and the last tenth. */
    size_t tenth = iters / 10 ? iters / 10 : 1;
    double head = 0, tail = 0;
    for (size_t k = 0; k < tenth; k++) {
        head += t[k];
        tail += t[iters - 1 - k];
    }
    head /= (double)tenth;
    tail /= (double)tenth;
    double *sorted = xcalloc(iters, sizeof *sorted);
    memcpy(sorted, t, iters * sizeof *t);
    qsort(sorted, iters, sizeof *sorted, cmp_double);
    double median = iters % 2 ? sorted[iters / 2] : (sorted[iters / 2 - 1] + sorted[iters / 2]) / 2;
    print_header("young");
    printf(", \"n_old\": %zu, \"n_young\": %zu, \"iters\": %zu, \"every\": %zu, \"metrics\": {\"us_per_collection\": %.3f, "
           "\"us_min\": %.3f, \"us_first_tenth\": %.3f, \"us_last_tenth\": %.3f}, \"gen2\": %zu",
           n_old, n_young, iters, every, median, sorted[0], head, tail, in_gen2);
    print_stats();
    printf("}\n");
    return 0;
}

/* ---- per-object bytes of a long-lived tracked object */

static int bench_overhead(int argc, char **argv)
{
    if (argc < 1) {
        fprintf(stderr, "usage: overhead N\n");
        return 2;
    }
    size_t n = arg_size(argv[0]);
    const size_t payload = 16; /* the two reference fields */
    gc_node_t **slots = xcalloc(2 * n, sizeof *slots);
    for (size_t i = 0; i < n; i++)
        slots[i] = new_node();
    rgc_heap_stats_t st0;
    rgc_heap_stats(heap, &st0);
    timed_collect(1, 0);
    timed_collect(1, 0);
    rgc_heap_stats_t st;
    rgc_heap_stats(heap, &st);
    if (st.tracked[2] != n) {
        fprintf(stderr, "gcbench: %zu objects in generation 2, expected %zu\n", st.tracked[2], n);
        return 3;
    }
    /* The marginal cost: n more objects, also moved to generation 2.  What
     * the heap keeps whatever its size (the generation-0 array) cancels. */
    for (size_t i = n; i < 2 * n; i++)
        slots[i] = new_node();
    timed_collect(1, 0);
    timed_collect(1, 0);
    rgc_heap_stats_t st2;
    rgc_heap_stats(heap, &st2);
    double marginal = (double)(st2.bytes_in_use - st.bytes_in_use) / (double)n;
    double young = st0.objects ? (double)st0.bytes_in_use / (double)st0.objects : 0;
    double per = st.objects ? (double)st.bytes_in_use / (double)st.objects : 0;
    int c = (int)((sizeof(gc_node_t) - 1) / RGC_ALIGN);
    double block = st.classes[c].blocks_used ? (double)st.classes[c].bytes_used / (double)st.classes[c].blocks_used
                                             : 0;
    print_header("overhead");
    printf(", \"n\": %zu, \"payload\": %zu, \"metrics\": {\"bytes_per_object\": %.3f, \"overhead\": %.3f, "
           "\"block_bytes\": %.3f, \"young_bytes_per_object\": %.3f, \"young_overhead\": %.3f, "
           "\"marginal_bytes_per_object\": %.3f, \"marginal_overhead\": %.3f}",
           n, payload, per, per - (double)payload, block, young, young - (double)payload, marginal,
           marginal - (double)payload);
    printf(", \"stats_young\": {\"objects\": %zu, \"bytes_in_use\": %zu, \"tracked\": [%zu, %zu, %zu, %zu]}",
           st0.objects, st0.bytes_in_use, st0.tracked[0], st0.tracked[1], st0.tracked[2], st0.tracked[3]);
    print_stats();
    printf("}\n");
    for (size_t i = 0; i < 2 * n; i++)
        rgc_decref(slots[i]);
    return 0;
}

int main(int argc, char **argv)
{
    if (argc < 2) {
        fprintf(stderr, "usage: %s cycles|live|ring|young|overhead ARGS...\n", argv[0]);
        return 2;
    }
    setup();
    const char *b = argv[1];
    argc -= 2;
    argv += 2;
    if (strcmp(b, "cycles") == 0)
        return bench_cycles(argc, argv);
    if (strcmp(b, "live") == 0)
        return bench_live(argc, argv);
    if (strcmp(b, "ring") == 0)
        return bench_ring(argc, argv);
    if (strcmp(b, "young") == 0)
        return bench_young(argc, argv);
    if (strcmp(b, "overhead") == 0)
        return bench_overhead(argc, argv);
    fprintf(stderr, "gcbench: unknown benchmark %s\n", b);
    return 2;
}
