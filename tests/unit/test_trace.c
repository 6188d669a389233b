/*
 * test_trace.c — allocation tracing (runtime/trace.c): traces, sites,
 * traced memory, snapshots, statistics and their comparison, sampling.
 */
#include "testutil.h"

#define RGC_BUILD_CORE 1 /* the hook words and pool tags are checked directly */
#include "../../runtime/internal.h"

typedef struct pair {
    RGC_OBJECT_HEAD;
    rgc_object_t *first, *second;
} pair_t;

static rgc_type_t *pair_type(void)
{
    static rgc_type_t *t;
    static const rgc_ref_field_t f[] = {{"first", offsetof(pair_t, first)}, {"second", offsetof(pair_t, second)}};
    if (!t) {
        rgc_type_spec_t spec = {.name = "test_trace.pair", .basic_size = sizeof(pair_t), .ref_fields = f,
                                .n_ref_fields = 2};
        t = rgc_type_register(&spec);
    }
    return t;
}

/* True when a return address lies in fn's first 4 KiB. */
static bool in_function(const void *pc, const void *fn)
{
    return (uintptr_t)pc > (uintptr_t)fn && (uintptr_t)pc < (uintptr_t)fn + 4096;
}

static void test_tracing_starts_and_stops_and_refuses_bad_limits(void **state)
{
    (void)state;
    rgc_heap_t *h = rgc_heap_new(NULL);
    record_errors();
    assert_false(rgc_trace_is_tracing(h));
    assert_int_equal(rgc_trace_frame_limit(h), 0);
    assert_int_equal(rgc_trace_start(h, 0, 0), -1);
    assert_int_equal(recorded.last_code, RGC_EINVAL);
    assert_int_equal(rgc_trace_start(h, RGC_TRACE_MAX_FRAMES + 1, 0), -1);
    assert_int_equal(rgc_trace_start(NULL, 1, 0), -1);
    assert_null(rgc_trace_take_snapshot(h)); /* not tracing */
    assert_int_equal(recorded.last_code, RGC_EMISUSE);
    assert_int_equal(rgc_trace_start(h, 5, 0), 0);
    assert_true(rgc_trace_is_tracing(h));
    assert_int_equal(rgc_trace_frame_limit(h), 5);
    rgc_trace_stop(h);
    assert_false(rgc_trace_is_tracing(h));
    rgc_set_error_handler(NULL, NULL);
    assert_heap_ok(h);
    rgc_heap_destroy(h);
}

static void test_traced_memory_counts_live_traced_bytes_and_keeps_the_peak(void **state)
{
    (void)state;
    rgc_heap_t *h = rgc_heap_new(NULL);
    void *before = rgc_mem_alloc(h, 100); /* allocated before the start: never traced */
    assert_int_equal(rgc_trace_start(h, 1, 0), 0);
    void *a = rgc_mem_alloc(h, 100), *b = rgc_mem_alloc(h, 3000), *c = rgc_mem_calloc(h, 7);
    size_t cur, peak;
    rgc_trace_get_traced_memory(h, &cur, &peak);
    assert_int_equal(cur, 3107);
    assert_int_equal(peak, 3107);
    rgc_mem_free(h, b);
    rgc_mem_free(h, before);
    rgc_trace_get_traced_memory(h, &cur, &peak);
    assert_int_equal(cur, 107);
    assert_int_equal(peak, 3107);
    rgc_trace_reset_peak(h);
    rgc_trace_get_traced_memory(h, &cur, &peak);
    assert_int_equal(peak, 107);
    /* A reallocation in place is traced again with its new size. */
    a = rgc_mem_realloc(h, a, 110);
    rgc_trace_get_traced_memory(h, &cur, NULL);
    assert_int_equal(cur, 117);
    rgc_trace_clear(h);
    rgc_trace_get_traced_memory(h, &cur, &peak);
    assert_int_equal(cur, 0);
    assert_int_equal(peak, 0);
    rgc_trace_info_t info;
    assert_int_equal(rgc_trace_get(h, a, &info), -1);
    rgc_mem_free(h, a);
    rgc_mem_free(h, c);
    rgc_trace_stop(h);
    assert_heap_ok(h);
    rgc_heap_destroy(h);
}

static void test_the_macros_record_file_line_and_function_and_the_first_frame_is_the_caller(void **state)
{
    (void)state;
    rgc_heap_t *h = rgc_heap_new(NULL);
    assert_int_equal(rgc_trace_start(h, 1, 0), 0);
    unsigned line = __LINE__ + 1;
    void *raw = RGC_MEM_ALLOC(h, 40);
    pair_t *p = RGC_NEW(h, pair_type());
    void *plain = rgc_mem_alloc(h, 40);
    rgc_trace_info_t info;
    assert_int_equal(rgc_trace_get(h, raw, &info), 0);
    assert_int_equal(info.size, 40);
    assert_non_null(info.site);
    assert_string_equal(info.site->file, __FILE__);
    assert_int_equal(info.site->line, line);
    assert_string_equal(info.site->function, __func__);
    assert_int_equal(info.nframes, 1);
    assert_true(in_function(info.frames[0],
                            (const void *)test_the_macros_record_file_line_and_function_and_the_first_frame_is_the_caller));
    assert_int_equal(rgc_trace_get(h, p, &info), 0);
    assert_int_equal(info.size, sizeof(pair_t));
    assert_int_equal(info.site->line, line + 1);
    assert_int_equal(rgc_trace_get(h, plain, &info), 0);
    assert_null(info.site);
    assert_true(in_function(info.frames[0],
                            (const void *)test_the_macros_record_file_line_and_function_and_the_first_frame_is_the_caller));
    /* An object that dies leaves the traces. */
    rgc_decref(p);
    assert_int_equal(rgc_trace_get(h, p, &info), -1);
    rgc_mem_free(h, raw);
    rgc_mem_free(h, plain);
    rgc_trace_stop(h);
    assert_heap_ok(h);
    rgc_heap_destroy(h);
}

__attribute__((noinline)) static void *allocate_for(rgc_heap_t *h, size_t n)
{
    void *p = rgc_mem_alloc(h, n);
    __asm__ volatile("" : : "r"(p) : "memory"); /* not a tail call: a frame of its own */
    return p;
}

static void test_more_frames_reach_the_callers_of_the_caller(void **state)
{
    (void)state;
    rgc_heap_t *h = rgc_heap_new(NULL);
    assert_int_equal(rgc_trace_start(h, 4, 0), 0);
    void *p = allocate_for(h, 64);
    rgc_trace_info_t info;
    assert_int_equal(rgc_trace_get(h, p, &info), 0);
    assert_true(info.nframes >= 2 && info.nframes <= 4);
    assert_true(in_function(info.frames[0], (const void *)allocate_for));
    assert_true(in_function(info.frames[1], (const void *)test_more_frames_reach_the_callers_of_the_caller));
    rgc_mem_free(h, p);
    rgc_trace_stop(h);
    assert_heap_ok(h);
    rgc_heap_destroy(h);
}

/* Three sites: a (10 x 100 bytes), b (3 x 1000), c (50 x 16). */
static void allocate_sites(rgc_heap_t *h, void **keep, unsigned *lines)
{
    size_t k = 0;
    lines[0] = __LINE__ + 2;
    for (int i = 0; i < 10; i++)
        keep[k++] = RGC_MEM_ALLOC(h, 100);
    lines[1] = __LINE__ + 2;
    for (int i = 0; i < 3; i++)
        keep[k++] = RGC_MEM_ALLOC(h, 1000);
    lines[2] = __LINE__ + 2;
    for (int i = 0; i < 50; i++)
        keep[k++] = RGC_MEM_ALLOC(h, 16);
}

static void test_statistics_group_traces_by_site_file_and_traceback_largest_first(void **state)
{
    (void)state;
    rgc_heap_t *h = rgc_heap_new(NULL);
    assert_int_equal(rgc_trace_start(h, 1, 0), 0);
    void *keep[63];
    unsigned lines[3];
    allocate_sites(h, keep, lines);
    rgc_trace_snapshot_t *s = rgc_trace_take_snapshot(h);
    assert_non_null(s);
    size_t bytes;
    assert_int_equal(rgc_trace_snapshot_count(s, &bytes), 63);
    assert_int_equal(bytes, 1000 + 3000 + 800);
    rgc_trace_stat_t *st;
    long n = rgc_trace_statistics(s, RGC_TRACE_BY_SITE, &st);
    assert_int_equal(n, 3);
    assert_int_equal(st[0].size, 3000);
    assert_int_equal(st[0].count, 3);
    assert_int_equal(st[0].site->line, lines[1]);
    assert_int_equal(st[1].size, 1000);
    assert_int_equal(st[1].site->line, lines[0]);
    assert_int_equal(st[2].size, 800);
    assert_int_equal(st[2].count, 50);
    free(st);
    n = rgc_trace_statistics(s, RGC_TRACE_BY_FILE, &st);
    assert_int_equal(n, 1);
    assert_string_equal(st[0].file, __FILE__);
    assert_int_equal(st[0].count, 63);
    free(st);
    n = rgc_trace_statistics(s, RGC_TRACE_BY_TRACEBACK, &st);
    assert_int_equal(n, 3);
    assert_int_equal(st[0].nframes, 1);
    assert_true(in_function(st[0].frames[0], (const void *)allocate_sites));
    free(st);
    record_errors();
    assert_int_equal(rgc_trace_statistics(s, (rgc_trace_key_t)9, &st), -1);
    assert_int_equal(recorded.last_code, RGC_EINVAL);
    rgc_set_error_handler(NULL, NULL);
    rgc_trace_snapshot_free(s);
    for (int i = 0; i < 63; i++)
        rgc_mem_free(h, keep[i]);
    rgc_trace_stop(h);
    assert_heap_ok(h);
    rgc_heap_destroy(h);
}

static void test_comparing_two_snapshots_shows_what_grew_first(void **state)
{
    (void)state;
    rgc_heap_t *h = rgc_heap_new(NULL);
    assert_int_equal(rgc_trace_start(h, 1, 0), 0);
    void *keep[63];
    unsigned lines[3];
    allocate_sites(h, keep, lines);
    rgc_trace_snapshot_t *before = rgc_trace_take_snapshot(h);
    /* A leak grows at a fourth site; site a's blocks are freed. */
    void *leak[200];
    unsigned leak_line = __LINE__ + 2;
    for (int i = 0; i < 200; i++)
        leak[i] = RGC_MEM_ALLOC(h, 48);
    for (int i = 0; i < 10; i++)
        rgc_mem_free(h, keep[i]);
    rgc_trace_snapshot_t *after = rgc_trace_take_snapshot(h);
    rgc_trace_stat_t *st;
    long n = rgc_trace_compare(after, before, RGC_TRACE_BY_SITE, &st);
    assert_int_equal(n, 4);
    assert_int_equal(st[0].site->line, leak_line);
    assert_int_equal(st[0].size_diff, 200 * 48);
    assert_int_equal(st[0].count_diff, 200);
    assert_int_equal(st[1].site->line, lines[0]);
    assert_int_equal(st[1].size, 0);
    assert_int_equal(st[1].size_diff, -1000);
    assert_int_equal(st[1].count_diff, -10);
    for (long i = 2; i < n; i++)
        assert_int_equal(st[i].size_diff, 0);
    free(st);
    rgc_trace_snapshot_free(before);
    rgc_trace_snapshot_free(after);
    for (int i = 10; i < 63; i++)
        rgc_mem_free(h, keep[i]);
    for (int i = 0; i < 200; i++)
        rgc_mem_free(h, leak[i]);
    rgc_trace_stop(h);
    assert_heap_ok(h);
    rgc_heap_destroy(h);
}

/* Frees p[0..n) and requires that no traced byte is left. */
static void free_all_untraced(rgc_heap_t *h, void **p, size_t n)
{
    for (size_t i = 0; i < n; i++)
        rgc_mem_free(h, p[i]);
    size_t cur;
    rgc_trace_get_traced_memory(h, &cur, NULL);
    assert_int_equal(cur, 0);
}

static void test_sampling_traces_about_one_allocation_per_sample_of_bytes(void **state)
{
    (void)state;
    rgc_heap_t *h = rgc_heap_new(NULL);
    assert_int_equal(rgc_trace_start(h, 1, 4096), 0);
    enum { N = 20000 };
    void **p = malloc(N * sizeof *p);
    for (int i = 0; i < N; i++)
        p[i] = rgc_mem_alloc(h, 64);
    rgc_trace_snapshot_t *s = rgc_trace_take_snapshot(h);
    size_t traced = rgc_trace_snapshot_count(s, NULL);
    /* 20000 * 64 / 4096 = 312 expected; the gaps are uniform in 1..8192. */
    assert_true(traced > 200 && traced < 450);
    rgc_trace_snapshot_free(s);
    free_all_untraced(h, p, N);
    free(p);
    rgc_trace_stop(h);
    assert_heap_ok(h);
    rgc_heap_destroy(h);
}

/* Pools emptied of traced 16-byte blocks are taken again for 48-byte
 * blocks: their traces follow the pools' new class. */
static void test_traces_follow_a_pool_taken_again_for_another_size_class(void **state)
{
    (void)state;
    rgc_heap_t *h = rgc_heap_new(NULL);
    assert_int_equal(rgc_trace_start(h, 1, 0), 0);
    enum { N = 5000 };
    void **p = malloc(N * sizeof *p);
    for (int i = 0; i < N; i++)
        p[i] = rgc_mem_alloc(h, 16);
    free_all_untraced(h, p, N);
    for (int i = 0; i < N; i++)
        p[i] = rgc_mem_alloc(h, 40);
    rgc_trace_info_t info;
    for (int i = 0; i < N; i += 97) {
        assert_int_equal(rgc_trace_get(h, p[i], &info), 0);
        assert_int_equal(info.size, 40);
    }
    /* Not the start of a block: no trace. */
    assert_int_equal(rgc_trace_get(h, (char *)p[0] + 16, &info), -1);
    rgc_trace_snapshot_t *s = rgc_trace_take_snapshot(h);
    size_t bytes;
    assert_int_equal(rgc_trace_snapshot_count(s, &bytes), N);
    assert_int_equal(bytes, (size_t)N * 40);
    rgc_trace_snapshot_free(s);
    for (int i = 0; i < N; i++)
        rgc_mem_free(h, p[i]);
    free(p);
    rgc_trace_stop(h);
    assert_heap_ok(h);
    rgc_heap_destroy(h);
}

/* Arenas given back while tracing and mapped again (likely at the same
 * addresses): every free of the new blocks still removes their traces. */
static void test_traces_of_blocks_in_arenas_mapped_again_are_removed_at_their_free(void **state)
{
    (void)state;
    rgc_heap_t *h = rgc_heap_new(NULL);
    assert_int_equal(rgc_trace_start(h, 1, 0), 0);
    enum { N = 100000 };
    void **p = malloc(N * sizeof *p);
    for (int round = 0; round < 3; round++) {
        for (int i = 0; i < N; i++)
            p[i] = rgc_mem_alloc(h, 64);
        size_t cur;
        rgc_trace_get_traced_memory(h, &cur, NULL);
        assert_int_equal(cur, (size_t)N * 64);
        free_all_untraced(h, p, N);
        rgc_trace_snapshot_t *s = rgc_trace_take_snapshot(h);
        assert_int_equal(rgc_trace_snapshot_count(s, NULL), 0);
        rgc_trace_snapshot_free(s);
    }
    rgc_heap_stats_t st;
    assert_int_equal(rgc_heap_stats(h, &st), 0);
    assert_true(st.arenas_freed > 0); /* arenas did go back */
    free(p);
    rgc_trace_stop(h);
    assert_heap_ok(h);
    rgc_heap_destroy(h);
}

static void test_a_heap_that_does_not_trace_is_not_traced_and_destroy_frees_the_traces(void **state)
{
    (void)state;
    counting_sysmem_t cs = {0};
    rgc_sysmem_t sm = counting_sysmem(&cs);
    rgc_heap_config_t cfg = {.sysmem = &sm};
    rgc_heap_t *h = rgc_heap_new(&cfg), *other = rgc_heap_new(NULL);
    assert_int_equal(rgc_trace_start(h, 3, 0), 0);
    void *o = rgc_mem_alloc(other, 32);
    rgc_trace_info_t info;
    assert_int_equal(rgc_trace_get(other, o, &info), -1);
    for (int i = 0; i < 5000; i++)
        rgc_decref(rgc_int_new(h, 1000000 + i)); /* grows and empties the table */
    pair_t *keep = RGC_NEW(h, pair_type());
    assert_int_equal(rgc_trace_get(h, keep, &info), 0);
    rgc_mem_free(other, o);
    assert_heap_ok(h);
    assert_heap_ok(other);
    rgc_heap_destroy(h); /* tracing on, a traced object alive */
    assert_int_equal(cs.allocs, cs.frees);
    assert_int_equal(cs.maps, cs.unmaps);
    rgc_heap_destroy(other);
}

/* The statistics group of the site at `line` of this file, or NULL. */
static const rgc_trace_stat_t *stat_at_line(const rgc_trace_stat_t *st, long n, int line)
{
    for (long i = 0; i < n; i++)
        if (st[i].site && st[i].site->line == (uint32_t)line && strstr(st[i].site->file, "test_trace.c"))
            return &st[i];
    return NULL;
}

/* Two sites hold the same bytes, one in many small blocks, the other in
 * few large ones.  Sampling traces the large ones far more often; the
 * estimates undo that, and every-allocation tracing estimates exactly. */
static void test_sampled_statistics_estimate_each_sites_bytes_without_the_size_bias(void **state)
{
    (void)state;
    enum { NSMALL = 60000, NLARGE = 120, SMALL = 32, LARGE = 16000 };
    void **small = malloc(NSMALL * sizeof *small), **large = malloc(NLARGE * sizeof *large);
    for (size_t sample = 16384;; sample = 0) {
        rgc_heap_t *h = rgc_heap_new(NULL);
        assert_int_equal(rgc_trace_start(h, 1, sample), 0);
        int small_line = __LINE__ + 2;
        for (int i = 0; i < NSMALL; i++)
            small[i] = RGC_MEM_ALLOC(h, SMALL);
        int large_line = __LINE__ + 2;
        for (int i = 0; i < NLARGE; i++)
            large[i] = RGC_MEM_ALLOC(h, LARGE);
        rgc_trace_snapshot_t *snap = rgc_trace_take_snapshot(h);
        assert_int_equal(rgc_trace_snapshot_sample_bytes(snap), sample);
        rgc_trace_stat_t *st;
        long n = rgc_trace_statistics(snap, RGC_TRACE_BY_SITE, &st);
        const rgc_trace_stat_t *a = stat_at_line(st, n, small_line), *b = stat_at_line(st, n, large_line);
        assert_non_null(a);
        assert_non_null(b);
        double bytes = (double)NSMALL * SMALL; /* = NLARGE * LARGE, within 0.1% */
        if (sample) {
            /* about 117 samples of the small blocks and 75 of the large */
            assert_true(b->size > 50 * a->size);
            assert_true(a->estimated_size > 0.6 * bytes && a->estimated_size < 1.4 * bytes);
            assert_true(b->estimated_size > 0.6 * bytes && b->estimated_size < 1.4 * bytes);
            assert_true(a->estimated_count > 0.6 * NSMALL && a->estimated_count < 1.4 * NSMALL);
            assert_true(b->estimated_count > 0.6 * NLARGE && b->estimated_count < 1.4 * NLARGE);
        } else {
            assert_int_equal(a->size, NSMALL * SMALL);
            assert_int_equal(a->estimated_size, a->size);
            assert_int_equal(a->estimated_count, NSMALL);
            assert_int_equal(b->estimated_size, (size_t)NLARGE * LARGE);
            assert_int_equal(b->estimated_count, NLARGE);
        }
        free(st);
        rgc_trace_snapshot_free(snap);
        for (int i = 0; i < NSMALL; i++)
            rgc_mem_free(h, small[i]);
        for (int i = 0; i < NLARGE; i++)
            rgc_mem_free(h, large[i]);
        assert_heap_ok(h);
        rgc_heap_destroy(h);
        if (!sample)
            break;
    }
    free(small);
    free(large);
}

/* Whether p's pool says it holds a traced block (a small block). */
static bool pool_says_traced(const void *p)
{
    return (_rgc_pool_of(p)->tag & RGC_TAG_TRACED) != 0;
}

/* A heap that samples diverts allocations, not frees: the free word stays
 * 0, and the frees of the few traced blocks are caught by their pools'
 * tags (raw), their flags (objects) or the slow path (large blocks). */
static void test_a_sampling_heap_diverts_allocations_only_and_catches_its_traced_frees(void **state)
{
    (void)state;
    rgc_heap_t *h = rgc_heap_new(NULL);
    assert_int_equal(rgc_trace_start(h, 1, 2048), 0);
    assert_int_equal(_rgc_runtime.hooks.any, 1); /* its byte `one` alone */
    assert_true(_rgc_runtime.hooks.allocs >= ((uint64_t)1 << 47));
    assert_true(_rgc_runtime.hooks.allocs_hi >= RGC_NCLASSES);
    enum { N = 6000 };
    void **raw = malloc(N * sizeof *raw), **big = malloc(N / 10 * sizeof *big);
    void **ints = malloc(N * sizeof *ints), **pairs = malloc(N * sizeof *pairs);
    for (int i = 0; i < N; i++) {
        raw[i] = rgc_mem_alloc(h, 48);
        ints[i] = rgc_int_new(h, 1000000 + i);
        pairs[i] = rgc_new(h, pair_type());
        if (i % 10 == 0)
            big[i / 10] = rgc_mem_alloc(h, 3000);
    }
    size_t traced_raw = 0, traced_objects = 0, traced_big = 0, untraced_in_traced_pool = 0;
    size_t ours = 0; /* traced bytes of the blocks above (the runtime's own arrays are traced too) */
    rgc_trace_info_t info;
    for (int i = 0; i < N; i++) {
        if (rgc_trace_get(h, raw[i], &info) == 0) {
            traced_raw++;
            ours += info.size;
            assert_true(pool_says_traced(raw[i]));
        } else if (pool_says_traced(raw[i])) {
            untraced_in_traced_pool++;
        }
        if (rgc_trace_get(h, ints[i], &info) == 0)
            traced_objects++, ours += info.size;
        if (rgc_trace_get(h, pairs[i], &info) == 0)
            traced_objects++, ours += info.size;
        if (i % 10 == 0 && rgc_trace_get(h, big[i / 10], &info) == 0)
            traced_big++, ours += info.size;
    }
    /* About (48 + 32 + 32) * 6000 / 2048 small traces and 600 * 3000 / 2048
     * large ones. */
    assert_true(traced_raw > 40 && traced_objects > 100 && traced_big > 400);
    assert_true(untraced_in_traced_pool > 0); /* their frees take the slow path too */
    assert_heap_ok(h);                        /* tags agree with the traces */
    /* Half of each kind freed: no traced byte of them is left. */
    size_t before, after;
    rgc_trace_get_traced_memory(h, &before, NULL);
    for (int i = 0; i < N; i += 2) {
        rgc_mem_free(h, raw[i]);
        rgc_decref(ints[i]);
        rgc_decref(pairs[i]);
        if (i % 20 == 0)
            rgc_mem_free(h, big[i / 10]);
    }
    rgc_trace_get_traced_memory(h, &after, NULL);
    assert_true(after < before && after > 0);
    assert_heap_ok(h);
    for (int i = 1; i < N; i += 2) {
        rgc_mem_free(h, raw[i]);
        rgc_decref(ints[i]);
        rgc_decref(pairs[i]);
        if (i % 20 == 11)
            rgc_mem_free(h, big[i / 10]);
    }
    rgc_trace_get_traced_memory(h, &after, NULL);
    assert_int_equal(after, before - ours);
    assert_heap_ok(h);
    rgc_trace_stop(h);
    assert_int_equal(_rgc_runtime.hooks.allocs, 0);
    assert_int_equal(_rgc_runtime.hooks.samplers, 0);
    free(raw);
    free(big);
    free(ints);
    free(pairs);
    rgc_heap_destroy(h);
}

/* A chain far deeper than the destruction recurses: the objects queued on
 * the way keep their traces' mark, and their frees remove the traces. */
static void test_a_deep_chain_of_traced_objects_leaves_no_trace_when_it_dies(void **state)
{
    (void)state;
    for (size_t sample = 0; sample <= 512; sample += 512) {
        rgc_heap_t *h = rgc_heap_new(NULL);
        rgc_gc_disable(h);
        assert_int_equal(rgc_trace_start(h, 1, sample), 0);
        pair_t *head = NULL;
        size_t ours = 0; /* the chain's traced bytes (the generation's array is traced too) */
        rgc_trace_info_t info;
        for (int i = 0; i < 20000; i++) {
            pair_t *p = rgc_new(h, pair_type());
            p->first = (rgc_object_t *)head;
            head = p;
            if (rgc_trace_get(h, p, &info) == 0)
                ours += info.size;
        }
        size_t before, after;
        rgc_trace_get_traced_memory(h, &before, NULL);
        assert_true(ours > 0);
        rgc_decref(head);
        rgc_trace_get_traced_memory(h, &after, NULL);
        assert_int_equal(after, before - ours);
        assert_int_equal(live_objects(h), 0);
        assert_heap_ok(h);
        rgc_heap_destroy(h);
    }
}

/* Random allocations and frees of every size class and beyond, raw and
 * objects, under sampling, full tracing, sampling again and sampling with
 * the recorder on: pools fill,
 * empty, give pages and arenas back and change class, and through all of
 * it the pools' tags agree with the traces (the checker holds them to it)
 * and the traced bytes are those of the live blocks still traced. */
static void test_traces_and_pool_tags_agree_through_random_churn(void **state)
{
    (void)state;
    rgc_heap_t *h = rgc_heap_new(NULL);
    enum { LIVE = 4000, STEPS = 60000 };
    void **live = calloc(LIVE, sizeof *live);
    bool *is_obj = calloc(LIVE, sizeof *is_obj);
    uint64_t rng = 12345;
    static const size_t sample[] = {600, 0, 64, 300};
    for (int phase = 0; phase < 4; phase++) {
        assert_int_equal(rgc_trace_start(h, 1, sample[phase]), 0);
        if (phase == 3) /* sampling with the recorder on: every path reports */
            assert_int_equal(rgc_recorder_start(h, 256), 0);
        for (int step = 0; step < STEPS; step++) {
            rng = rng * 6364136223846793005ull + 1442695040888963407ull;
            uint32_t k = (uint32_t)(rng >> 33) % LIVE;
            if (live[k]) {
                if (is_obj[k])
                    rgc_decref(live[k]);
                else
                    rgc_mem_free(h, live[k]);
                live[k] = NULL;
            } else if ((rng >> 20) % 5 == 0) {
                live[k] = rgc_int_new(h, 1000000 + step);
                is_obj[k] = true;
            } else {
                /* mostly small, now and then large */
                size_t n = (rng >> 24) % 16 == 0 ? 600 + (rng >> 40) % 3000 : 1 + (rng >> 40) % 512;
                live[k] = rgc_mem_alloc(h, n);
                is_obj[k] = false;
            }
            if (step % 15000 == 14999)
                assert_heap_ok(h);
        }
        /* The traced bytes are the traced live blocks' sizes. */
        size_t cur, sum = 0;
        rgc_trace_info_t info;
        for (int k = 0; k < LIVE; k++)
            if (live[k] && rgc_trace_get(h, live[k], &info) == 0)
                sum += info.size;
        rgc_trace_get_traced_memory(h, &cur, NULL);
        rgc_trace_snapshot_t *snap = rgc_trace_take_snapshot(h);
        size_t snap_bytes;
        rgc_trace_snapshot_count(snap, &snap_bytes);
        rgc_trace_snapshot_free(snap);
        assert_int_equal(cur, snap_bytes);
        assert_true(sum > 0 && sum <= cur); /* the rest: the runtime's own blocks */
        assert_heap_ok(h);
        rgc_recorder_stop(h);
        rgc_trace_stop(h);
        assert_heap_ok(h); /* no tag keeps RGC_TAG_TRACED once the slots are gone */
    }
    for (int k = 0; k < LIVE; k++)
        if (live[k]) {
            if (is_obj[k])
                rgc_decref(live[k]);
            else
                rgc_mem_free(h, live[k]);
        }
    assert_heap_ok(h);
    free(live);
    free(is_obj);
    rgc_heap_destroy(h);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_tracing_starts_and_stops_and_refuses_bad_limits),
        cmocka_unit_test(test_traced_memory_counts_live_traced_bytes_and_keeps_the_peak),
        cmocka_unit_test(test_the_macros_record_file_line_and_function_and_the_first_frame_is_the_caller),
        cmocka_unit_test(test_more_frames_reach_the_callers_of_the_caller),
        cmocka_unit_test(test_statistics_group_traces_by_site_file_and_traceback_largest_first),
        cmocka_unit_test(test_comparing_two_snapshots_shows_what_grew_first),
        cmocka_unit_test(test_sampling_traces_about_one_allocation_per_sample_of_bytes),
        cmocka_unit_test(test_traces_follow_a_pool_taken_again_for_another_size_class),
        cmocka_unit_test(test_traces_of_blocks_in_arenas_mapped_again_are_removed_at_their_free),
        cmocka_unit_test(test_a_heap_that_does_not_trace_is_not_traced_and_destroy_frees_the_traces),
        cmocka_unit_test(test_a_sampling_heap_diverts_allocations_only_and_catches_its_traced_frees),
        cmocka_unit_test(test_a_deep_chain_of_traced_objects_leaves_no_trace_when_it_dies),
        cmocka_unit_test(test_traces_and_pool_tags_agree_through_random_churn),
        cmocka_unit_test(test_sampled_statistics_estimate_each_sites_bytes_without_the_size_bias),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
