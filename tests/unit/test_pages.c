/*
 * test_pages.c — free pages of pools in use given back to the system
 * (runtime/pages.c): by rgc_heap_trim and, while the heap sheds memory in
 * allocation order, by the heap's own purge; blocks in such pages, which
 * read as zero, are never taken for live data, are rejected when freed
 * again, and come back when the pool needs them.
 *
 * Each test makes its own heap and ends with the heap checker.
 */
#include "testutil.h"

#include <stdlib.h>
#include <sys/mman.h>

#define PAGE 4096u

/* A seam that records every decommit call. */
static struct {
    int n;
    uintptr_t start[4096];
    size_t size[4096];
} decommits;

static void recording_decommit(void *ctx, void *p, size_t size)
{
    (void)ctx;
    if (decommits.n < 4096) {
        decommits.start[decommits.n] = (uintptr_t)p;
        decommits.size[decommits.n] = size;
        decommits.n++;
    }
    rgc_sysmem_default()->decommit(NULL, p, size);
}

static rgc_heap_t *recording_heap(unsigned flags)
{
    static rgc_sysmem_t sm;
    sm = *rgc_sysmem_default();
    sm.decommit = recording_decommit;
    rgc_heap_config_t cfg = {.flags = flags, .name = "pages", .sysmem = &sm};
    memset(&decommits, 0, sizeof decommits);
    rgc_heap_t *h = rgc_heap_new(&cfg);
    assert_non_null(h);
    return h;
}

/* True if [start, start + size) was decommitted by one recorded call. */
static int was_decommitted(uintptr_t start, size_t size)
{
    for (int i = 0; i < decommits.n; i++)
        if (decommits.start[i] == start && decommits.size[i] == size)
            return 1;
    return 0;
}

/* How many of the pages [start, start + len) are mapped in: a page given
 * back is not, until something reads or writes it. */
static int resident_pages(uintptr_t start, size_t len)
{
    unsigned char v[RGC_POOL_SIZE / PAGE];
    assert_true(len <= sizeof v * PAGE);
    assert_int_equal(mincore((void *)start, len, v), 0);
    int n = 0;
    for (size_t i = 0; i < len / PAGE; i++)
        n += v[i] & 1;
    return n;
}

static size_t pages_released(rgc_heap_t *h)
{
    rgc_heap_stats_t s;
    assert_int_equal(rgc_heap_stats(h, &s), 0);
    return s.pages_released;
}

static uintptr_t pool_of(const void *p)
{
    return (uintptr_t)p & ~(uintptr_t)(RGC_POOL_SIZE - 1);
}

/*
 * One pool of raw blocks of `size` bytes, blocks 0..keep-1 kept (and
 * written), the rest freed; rgc_heap_trim must give back exactly the pages
 * `pages` (bit k: page k of the pool), in one call per run of pages; the
 * kept blocks keep their bytes; allocating the pool full again hands out
 * every freed block exactly once.
 */
static void trim_one_pool(unsigned flags, size_t size, unsigned keep, unsigned pages)
{
    rgc_heap_t *h = recording_heap(flags);
    unsigned nblocks = RGC_POOL_SIZE / (unsigned)size;
    char **b = calloc(nblocks + 1, sizeof *b);
    for (unsigned i = 0; i < nblocks; i++) {
        b[i] = rgc_mem_alloc(h, size);
        assert_non_null(b[i]);
        assert_int_equal(pool_of(b[i]), pool_of(b[0]));
        memset(b[i], (int)(i & 0x7F) + 1, size);
    }
    for (unsigned i = keep; i < nblocks; i++)
        rgc_mem_free(h, b[i]);
    assert_int_equal(pages_released(h), 0);

    size_t bytes = rgc_heap_trim(h);
    unsigned expected = (unsigned)__builtin_popcount(pages);
    assert_int_equal(pages_released(h), expected);
    assert_true(bytes >= expected * PAGE);
    uintptr_t pool = pool_of(b[0]);
    for (unsigned k = 0; k < RGC_POOL_SIZE / PAGE;) {
        if (!((pages >> k) & 1)) {
            k++;
            continue;
        }
        unsigned j = k;
        while (j < RGC_POOL_SIZE / PAGE && ((pages >> j) & 1))
            j++;
        if (!was_decommitted(pool + k * PAGE, (j - k) * PAGE))
            fail_msg("pages %u..%u of the pool at %#lx were not given back in one call", k, j - 1,
                     (unsigned long)pool);
        k = j;
    }
    /* A second trim finds nothing more in this pool. */
    int before = decommits.n;
    rgc_heap_trim(h);
    for (int i = before; i < decommits.n; i++)
        assert_true(decommits.start[i] + decommits.size[i] <= pool || decommits.start[i] >= pool + RGC_POOL_SIZE);
    for (unsigned i = 0; i < keep; i++)
        for (size_t k = 0; k < size; k++)
            if ((unsigned char)b[i][k] != (i & 0x7F) + 1)
                fail_msg("kept block %u lost byte %zu to the trim", i, k);
    assert_heap_ok(h);
    /* Neither the checker nor the statistics read the pages given back. */
    rgc_heap_stats_t s;
    rgc_heap_stats(h, &s);
    for (unsigned k = 0; k < RGC_POOL_SIZE / PAGE; k++)
        if (((pages >> k) & 1) && resident_pages(pool + k * PAGE, PAGE))
            fail_msg("page %u of the pool was read after it was given back", k);

    /* The pool fills up again: each freed block exactly once, then a new
     * pool.  Half way, the blocks still free — some of them in pages that
     * came back — hold fill bytes on a filled heap. */
    char *taken = calloc(nblocks, 1);
    for (unsigned i = 0; i < keep; i++)
        taken[i] = 1;
    for (unsigned i = keep; i < nblocks; i++) {
        char *p = rgc_mem_alloc(h, size);
        assert_int_equal(pool_of(p), pool);
        size_t idx = (size_t)((uintptr_t)p - pool) / size;
        if (taken[idx])
            fail_msg("block %zu handed out twice", idx);
        taken[idx] = 1;
        memset(p, 0x33, size);
        b[i] = p;
        if (i != keep + (nblocks - keep) / 2)
            continue;
        assert_heap_ok(h);
        /* A free block touching a page still given back reads as zero
         * there: only the others are looked at (mincore first: reading
         * maps a page in). */
        unsigned char in[RGC_POOL_SIZE / PAGE];
        assert_int_equal(mincore((void *)pool, RGC_POOL_SIZE, in), 0);
        for (size_t j = 0; (flags & RGC_HEAP_FILL) && j < nblocks; j++) {
            const unsigned char *q = (const unsigned char *)(pool + j * size);
            if (!(in[j * size / PAGE] & in[((j + 1) * size - 1) / PAGE] & 1))
                continue;
            for (size_t k = 16; !taken[j] && k < size; k++)
                if (q[k] != RGC_FILL_FREED && q[k] != RGC_FILL_FRESH)
                    fail_msg("free block %zu has byte %#x at %zu, not a fill byte", j, q[k], k);
        }
    }
    free(taken);
    assert_int_equal(pages_released(h), 0);
    b[nblocks] = rgc_mem_alloc(h, size);
    assert_true(pool_of(b[nblocks]) != pool);
    free_all_and_end(h, (void **)b, nblocks + 1u);
}

static void test_trim_gives_back_the_free_pages_of_a_pool_in_use(void **state)
{
    (void)state;
    /* 64 bytes: 64 blocks a page; the first 10 keep page 0. */
    trim_one_pool(0, 64, 10, 0xE);
    /* 48 bytes: block 85 straddles pages 0 and 1.  Kept, it keeps page 1;
     * freed, page 1 goes too. */
    trim_one_pool(0, 48, 86, 0xC);
    trim_one_pool(0, 48, 85, 0xE);
}

static void test_trim_gives_back_the_free_pages_of_bitmap_pools(void **state)
{
    (void)state;
    /* 320 bytes: 51 blocks; block 12 straddles pages 0 and 1, so keeping
     * blocks 0-5 leaves pages 1-3 free; keeping 0-12, pages 2-3 (block 25
     * straddles pages 1 and 2: page 2 goes only if it is free too). */
    trim_one_pool(0, 320, 6, 0xE);
    trim_one_pool(0, 320, 13, 0xC);
    /* 512 bytes: 8 blocks a page, none straddling. */
    trim_one_pool(0, 512, 9, 0xC);
}

static void test_filled_heaps_give_back_pages_and_refill_them(void **state)
{
    (void)state;
    /* Blocks in pages that come back get their fill bytes again: the
     * checker verifies the free blocks of a filled heap byte by byte. */
    trim_one_pool(RGC_HEAP_FILL, 64, 10, 0xE);
    trim_one_pool(RGC_HEAP_FILL, 48, 85, 0xE);
    trim_one_pool(RGC_HEAP_FILL, 320, 6, 0xE);
}

enum { ONE_POOL = RGC_POOL_SIZE / 64 };

/* A pool of 64-byte blocks of which the first 10 stay (page 0): the
 * array holds the freed ones too, for the test to free them again. */
static void **one_pool_keeping_ten(rgc_heap_t *h)
{
    void **b = malloc(ONE_POOL * sizeof *b);
    for (int i = 0; i < ONE_POOL; i++)
        b[i] = rgc_mem_alloc(h, 64);
    for (int i = 10; i < ONE_POOL; i++)
        rgc_mem_free(h, b[i]);
    return b;
}

static void test_a_block_in_a_page_given_back_is_reported_when_freed_again(void **state)
{
    (void)state;
    rgc_heap_t *h = recording_heap(0);
    void **b = one_pool_keeping_ten(h);
    rgc_heap_trim(h);
    assert_int_equal(pages_released(h), 3);
    record_errors();
    rgc_mem_free(h, b[200]);
    assert_int_equal(recorded.count, 1);
    assert_int_equal(recorded.last_code, RGC_EFREED);
    assert_ptr_equal(recorded.last_address, b[200]);
    assert_int_equal(rgc_mem_usable_size(h, b[100]), 0);
    assert_int_equal(recorded.count, 2);
    assert_int_equal(recorded.last_code, RGC_EFREED);
    rgc_set_error_handler(NULL, NULL);
    /* Nothing changed: the page is still given back, the counts hold. */
    assert_int_equal(pages_released(h), 3);
    assert_heap_ok(h);
    /* A block still in use in the same pool frees normally. */
    rgc_mem_free(h, b[3]);
    b[3] = NULL;
    assert_heap_ok(h);
    free_all_and_end(h, b, 10);
}

/* Objects: two reference fields, a 32-byte block (128 a page). */
typedef struct pnode {
    RGC_OBJECT_HEAD;
    rgc_object_t *a;
    rgc_object_t *b;
} pnode_t;

static rgc_type_t *pnode_type(void)
{
    static const rgc_ref_field_t fields[] = {{"a", offsetof(pnode_t, a)}, {"b", offsetof(pnode_t, b)}};
    static const rgc_type_spec_t spec = {
        .name = "test_pages.Node", .basic_size = sizeof(pnode_t), .ref_fields = fields, .n_ref_fields = 2};
    rgc_type_t *t = rgc_type_by_name(spec.name);
    return t ? t : rgc_type_register(&spec);
}

static int count_object(rgc_object_t *o, void *arg)
{
    (void)o;
    (*(size_t *)arg)++;
    return 0;
}

static size_t tracked_objects(rgc_heap_t *h)
{
    size_t n = 0;
    rgc_gc_get_objects(h, -1, count_object, &n);
    return n;
}

static void test_the_collector_never_reads_a_page_given_back(void **state)
{
    (void)state;
    rgc_heap_t *h = recording_heap(0);
    rgc_gc_disable(h);
    rgc_type_t *t = pnode_type();
    enum { N = RGC_POOL_SIZE / 32, KEEP = 100 };
    pnode_t *o[N];
    for (int i = 0; i < N; i++) {
        o[i] = rgc_new(h, t);
        assert_int_equal(pool_of(o[i]), pool_of(o[0]));
    }
    /* Objects 0 and 1: a garbage cycle once dropped; 2..99 stay live. */
    rgc_incref(o[1]);
    o[0]->a = (rgc_object_t *)o[1];
    rgc_incref(o[0]);
    o[1]->a = (rgc_object_t *)o[0];
    rgc_decref(o[0]);
    rgc_decref(o[1]);
    for (int i = KEEP; i < N; i++)
        rgc_decref(o[i]);
    rgc_heap_trim(h);
    /* (The heap's other pools, such as the one of generation 0's array,
     * may give back pages too.) */
    uintptr_t pool = pool_of(o[2]);
    assert_true(was_decommitted(pool + PAGE, 3 * PAGE));
    size_t released = pages_released(h);
    assert_true(released >= 3);
    assert_int_equal(tracked_objects(h), KEEP);
    assert_int_equal(rgc_gc_collect(h, 2), 2);
    assert_int_equal(tracked_objects(h), KEEP - 2);
    assert_heap_ok(h);
    /* The walks of the collections, of the object query and of the
     * checker read none of the three pages. */
    assert_int_equal(resident_pages(pool + PAGE, 3 * PAGE), 0);
    /* New objects take the free blocks of page 0, then those of the pages
     * given back; the pool ends full. */
    for (int i = 0; i < N - (KEEP - 2); i++) {
        pnode_t *n = rgc_new(h, t);
        assert_int_equal(pool_of(n), pool);
        o[i < 2 ? i : KEEP + i - 2] = n;
    }
    assert_int_equal(pages_released(h), released - 3);
    assert_int_equal(tracked_objects(h), N);
    assert_int_equal(rgc_gc_collect(h, 2), 0);
    assert_heap_ok(h);
    for (int i = 0; i < N; i++)
        rgc_decref(o[i]);
    assert_int_equal(tracked_objects(h), 0);
    assert_heap_ok(h);
    rgc_heap_destroy(h);
}

/* A node whose finalizer trims its heap, in the middle of a collection. */
static rgc_heap_t *trimmed_heap;
static size_t pages_seen_in_finalizer;

static void trimming_finalizer(rgc_object_t *o)
{
    (void)o;
    rgc_heap_trim(trimmed_heap);
    pages_seen_in_finalizer = pages_released(trimmed_heap);
}

static void test_no_page_is_given_back_while_a_collection_runs(void **state)
{
    (void)state;
    rgc_heap_t *h = recording_heap(0);
    rgc_gc_disable(h);
    void **b = one_pool_keeping_ten(h);
    static const rgc_ref_field_t fields[] = {{"a", offsetof(pnode_t, a)}, {"b", offsetof(pnode_t, b)}};
    static const rgc_type_spec_t spec = {.name = "test_pages.TrimmingNode",
                                         .basic_size = sizeof(pnode_t),
                                         .ref_fields = fields,
                                         .n_ref_fields = 2,
                                         .finalize = trimming_finalizer};
    rgc_type_t *t = rgc_type_by_name(spec.name);
    t = t ? t : rgc_type_register(&spec);
    pnode_t *x = rgc_new(h, t), *y = rgc_new(h, t);
    x->a = (rgc_object_t *)y;
    y->a = (rgc_object_t *)x; /* each holds the other: our references go */
    trimmed_heap = h;
    pages_seen_in_finalizer = 99;
    assert_int_equal(rgc_gc_collect(h, 2), 2);
    /* The finalizers ran inside the collection: their trims gave back no
     * page of a pool in use.  Afterwards, the pool's three free pages go. */
    assert_int_equal(pages_seen_in_finalizer, 0);
    rgc_heap_trim(h);
    assert_true(pages_released(h) >= 3);
    free_all_and_end(h, b, 10);
}

/* N blocks of 16-128 bytes (seeded), then every run of 4096 freed but
 * every tenth: whole pools empty, and the pools at the edges of each kept
 * run are left partly free. */
enum { DRAIN_N = 1 << 20, DRAIN_RUN = 4096 };

static void **drain_alloc(rgc_heap_t *h)
{
    void **p = malloc(DRAIN_N * sizeof *p);
    uint64_t x = 88172645463325252ull;
    for (size_t i = 0; i < DRAIN_N; i++) {
        p[i] = rgc_mem_alloc(h, 16 + next_random(&x) % 113);
        assert_non_null(p[i]);
        *(size_t *)p[i] = i;
    }
    return p;
}

static void test_an_allocation_order_drain_gives_back_pages_on_its_own(void **state)
{
    (void)state;
    rgc_heap_t *h = recording_heap(0);
    void **p = drain_alloc(h);
    for (size_t i = 0; i < DRAIN_N; i++)
        if ((i / DRAIN_RUN) % 10 != 9) {
            rgc_mem_free(h, p[i]);
            p[i] = NULL;
        }
    size_t own = pages_released(h);
    assert_heap_ok(h);
    /* Most of what a trim finds, the heap found by itself (what it leaves
     * is in the pools that settled after its last purge). */
    rgc_heap_trim(h);
    size_t all = pages_released(h);
    if (own == 0 || own * 2 < all)
        fail_msg("the drain gave back %zu pages on its own, a trim found %zu", own, all);
    for (size_t i = 0; i < DRAIN_N; i++)
        if (p[i] && *(size_t *)p[i] != i)
            fail_msg("block %zu lost its contents", i);
    /* Allocating again reuses the pages given back. */
    for (size_t i = 0; i < DRAIN_N; i++)
        if (!p[i])
            p[i] = rgc_mem_alloc(h, 16 + i % 113);
    assert_true(pages_released(h) < all);
    free_all_and_end(h, p, DRAIN_N);
}

static void test_a_drain_in_random_order_does_not_search_pools_in_use(void **state)
{
    (void)state;
    rgc_heap_t *h = recording_heap(0);
    void **p = drain_alloc(h);
    /* A seeded shuffle; free 90%. */
    size_t *order = shuffled_order(DRAIN_N, 2463534242ull);
    for (size_t k = 0; k < DRAIN_N - DRAIN_N / 10; k++) {
        rgc_mem_free(h, p[order[k]]);
        p[order[k]] = NULL;
    }
    /* Whole pools emptied and were purged, but no pool in use was
     * searched: there, pools that still hold blocks soon empty too. */
    rgc_heap_stats_t s;
    rgc_heap_stats(h, &s);
    assert_true(s.pools_free > s.pools_dirty);
    assert_int_equal(s.pages_released, 0);
    free(order);
    free_all_and_end(h, p, DRAIN_N);
}

/* A drain in random order empties pools in a burst at its end, in arenas
 * about to be unmapped whole: the heap keeps up to a quarter of its arenas'
 * pools empty and committed rather than give each back on its own, and
 * the arenas go back whole when they empty. */
static void test_a_drain_in_random_order_gives_back_arenas_whole(void **state)
{
    (void)state;
    rgc_heap_t *h = recording_heap(0);
    enum { N = 40 * 63 * 32 }; /* 512-byte blocks: 40 full arenas */
    void **p = malloc(N * sizeof *p);
    for (size_t i = 0; i < N; i++)
        assert_non_null(p[i] = rgc_mem_alloc(h, 512));
    size_t *order = shuffled_order(N, 88172645463325252ull);
    decommits.n = 0;
    size_t k = 0;
    for (; k < N - N / 32; k++) { /* 97% */
        rgc_mem_free(h, p[order[k]]);
        p[order[k]] = NULL;
    }
    rgc_heap_stats_t s;
    rgc_heap_stats(h, &s);
    assert_int_equal(s.arenas, 40);
    assert_true(s.pools_free > 400); /* about 0.97^32 of 2,520 */
    size_t budget = s.arenas * 63 / 4 > 64 ? s.arenas * 63 / 4 : 64;
    if (s.pools_dirty > 2 * budget)
        fail_msg("%zu empty pools committed, budget %zu", s.pools_dirty, budget);
    /* Not one call per pool emptied. */
    if ((size_t)decommits.n * 4 > s.pools_free)
        fail_msg("%d decommit calls for %zu empty pools", decommits.n, s.pools_free);
    assert_heap_ok(h);
    for (; k < N; k++) {
        rgc_mem_free(h, p[order[k]]);
        p[order[k]] = NULL;
    }
    /* Left: the class's last pool (kept while empty), its arena and the
     * spare arena. */
    rgc_heap_stats(h, &s);
    assert_true(s.pools_used <= 1);
    assert_true(s.arenas <= 2);
    assert_true(s.pools_dirty <= 2 * 63);
    rgc_heap_trim(h);
    rgc_heap_stats(h, &s);
    assert_true(s.arenas <= 1);
    assert_int_equal(s.pools_dirty, 0);
    free(order);
    free_all_and_end(h, p, N);
}

/* True if every page of [start, start + len) lies in a recorded decommit. */
static int decommitted_whole(uintptr_t start, size_t len)
{
    for (uintptr_t pg = start; pg < start + len; pg += PAGE) {
        int in = 0;
        for (int i = 0; i < decommits.n && !in; i++)
            in = decommits.start[i] <= pg && pg + PAGE <= decommits.start[i] + decommits.size[i];
        if (!in)
            return 0;
    }
    return 1;
}

/* True if no recorded decommit touches [start, start + len). */
static int decommitted_none(uintptr_t start, size_t len)
{
    for (int i = 0; i < decommits.n; i++)
        if (decommits.start[i] < start + len && start < decommits.start[i] + decommits.size[i])
            return 0;
    return 1;
}

enum { SPARSE_PER_POOL = RGC_POOL_SIZE / 48, SPARSE_PER_ARENA = (RGC_POOLS_PER_ARENA - 1) * SPARSE_PER_POOL };

/*
 * 48-byte blocks filling three arenas and 17 pools of a fourth, a random
 * 90% freed: no pool empties and no page of a pool is free, but each
 * arena is a tenth full.  Each gives back the pages of its header pool
 * but the header page, and the fourth its 46 pools never used — on a huge
 * page all of it was resident.  Nothing live is lost, and the counts of
 * the pools (which run from their low-water marks) stay exact.
 */
static void test_arenas_left_a_tenth_full_give_back_what_they_never_used(void **state)
{
    (void)state;
    rgc_heap_t *h = recording_heap(0);
    enum { N = 3 * SPARSE_PER_ARENA + 17 * SPARSE_PER_POOL };
    void **p = malloc(N * sizeof *p);
    char *arena[4] = {NULL};
    uint64_t pools_used[4] = {0};
    int narenas = 0;
    for (size_t i = 0; i < N; i++) {
        assert_non_null(p[i] = rgc_mem_alloc(h, 48));
        *(size_t *)p[i] = i;
        char *base = arena_base_of(p[i]);
        int a = 0;
        while (a < narenas && arena[a] != base)
            a++;
        if (a == narenas) {
            assert_true(narenas < 4);
            arena[narenas++] = base;
        }
        pools_used[a] |= 1ull << (((uintptr_t)p[i] - (uintptr_t)base) / RGC_POOL_SIZE);
    }
    assert_int_equal(narenas, 4);
    size_t *order = shuffled_order(N, 0x9E3779B97F4A7C15ull);
    decommits.n = 0;
    for (size_t k = 0; k < N - N / 10; k++) {
        rgc_mem_free(h, p[order[k]]);
        p[order[k]] = NULL;
    }
    rgc_heap_stats_t s;
    rgc_heap_stats(h, &s);
    assert_int_equal(s.arenas, 4);
    assert_int_equal(s.pages_released, 0);
    assert_int_equal(s.classes[48 / 16 - 1].blocks_used, N / 10);
    for (int a = 0; a < narenas; a++) {
        uintptr_t hdr = (uintptr_t)arena_header_of(arena[a]);
        uintptr_t hpool = (uintptr_t)arena[a] + arena_header_pool_of(arena[a]) * RGC_POOL_SIZE;
        if (!decommitted_whole(hpool, hdr - hpool) ||
            !decommitted_whole(hdr + PAGE, hpool + RGC_POOL_SIZE - hdr - PAGE))
            fail_msg("arena %p kept the pages of its header pool", (void *)arena[a]);
        assert_true(decommitted_none(hdr, PAGE));
        assert_int_equal(resident_pages(hpool, RGC_POOL_SIZE), 1);
        for (unsigned i = 0; i < RGC_POOLS_PER_ARENA; i++) {
            uintptr_t pool = (uintptr_t)arena[a] + i * RGC_POOL_SIZE;
            if ((pools_used[a] >> i) & 1) {
                assert_true(decommitted_none(pool, RGC_POOL_SIZE));
            } else if (i != arena_header_pool_of(arena[a])) {
                if (!decommitted_whole(pool, RGC_POOL_SIZE))
                    fail_msg("pool %u of arena %p, never used, was not given back", i, (void *)arena[a]);
                assert_int_equal(resident_pages(pool, RGC_POOL_SIZE), 0);
            }
        }
    }
    for (size_t i = 0; i < N; i++)
        if (p[i] && *(size_t *)p[i] != i)
            fail_msg("block %zu lost its contents", i);
    free(order);
    free_all_and_end(h, p, N);
}

/* An arena whose pools in use hold more than a quarter of what they could
 * keeps its huge page, however many of its pools fell to a quarter. */
static void test_an_arena_more_than_a_quarter_full_gives_back_nothing(void **state)
{
    (void)state;
    rgc_heap_t *h = recording_heap(0);
    enum { N = 2 * SPARSE_PER_ARENA };
    void **p = malloc(N * sizeof *p);
    for (size_t i = 0; i < N; i++)
        assert_non_null(p[i] = rgc_mem_alloc(h, 48));
    /* 90% of the blocks of 40 of the first arena's 63 pools, at random:
     * (40 x 0.1 + 23) / 63 of it stays in use. */
    char *first = arena_base_of(p[0]);
    size_t n = 0;
    void **victims = malloc(N * sizeof *victims);
    for (size_t i = 0; i < N; i++)
        if (arena_base_of(p[i]) == first && i < 40 * SPARSE_PER_POOL && i % 10 != 0) {
            victims[n++] = p[i];
            p[i] = NULL;
        }
    size_t *order = shuffled_order(n, 88172645463325252ull);
    decommits.n = 0;
    for (size_t k = 0; k < n; k++)
        rgc_mem_free(h, victims[order[k]]);
    if (decommits.n != 0)
        fail_msg("%d decommit calls, first at %#lx", decommits.n, (unsigned long)decommits.start[0]);
    free(order);
    free(victims);
    free_all_and_end(h, p, N);
}

/* Bitmap pools (256-512 bytes) do not count toward an arena's sparseness:
 * a drain of such blocks to nothing, in random order, would pay the split
 * of every arena's huge page first.  A random 90% of them freed gives
 * nothing back: too few pools empty for the purge's budget. */
static void test_bitmap_pools_do_not_make_an_arena_sparse(void **state)
{
    (void)state;
    rgc_heap_t *h = recording_heap(0);
    enum { N = 3 * 63 * 32 };
    void **p = malloc(N * sizeof *p);
    for (size_t i = 0; i < N; i++)
        assert_non_null(p[i] = rgc_mem_alloc(h, 512));
    size_t *order = shuffled_order(N, 2463534242ull);
    decommits.n = 0;
    for (size_t k = 0; k < N - N / 10; k++) {
        rgc_mem_free(h, p[order[k]]);
        p[order[k]] = NULL;
    }
    assert_int_equal(decommits.n, 0);
    free(order);
    free_all_and_end(h, p, N);
}

/*
 * A long random life: a live set that fills its pools, churned, drained at
 * random to a tenth (arenas turn sparse and are shed), refilled, trimmed
 * now and then — raw blocks of list and bitmap classes and objects, held
 * blocks and low-water marks all along.  Every live block keeps its bytes,
 * the statistics count exactly what is live, and the checker passes after
 * every phase.
 */
enum { LIFE_RAW = 150000, LIFE_OBJ = 60000 };

typedef struct life_node {
    RGC_OBJECT_HEAD;
    rgc_object_t *next;
    uint64_t tag;
} life_node_t;

static rgc_type_t *life_node_type(void)
{
    static const rgc_ref_field_t fields[] = {{"next", offsetof(life_node_t, next)}};
    static const rgc_type_spec_t spec = {
        .name = "pages.LifeNode", .basic_size = sizeof(life_node_t), .ref_fields = fields, .n_ref_fields = 1};
    return rgc_type_register(&spec);
}

static const size_t life_sizes[] = {16, 48, 64, 112, 256, 512};

static void life_fill(rgc_heap_t *h, uint64_t **raw, size_t *size, life_node_t **obj, uint64_t *seed)
{
    for (size_t i = 0; i < LIFE_RAW; i++)
        if (!raw[i]) {
            size[i] = life_sizes[next_random(seed) % 6];
            assert_non_null(raw[i] = rgc_mem_alloc(h, size[i]));
            raw[i][0] = i;
            raw[i][size[i] / 8 - 1] = ~(uint64_t)i;
        }
    for (size_t i = 0; i < LIFE_OBJ; i++)
        if (!obj[i]) {
            assert_non_null(obj[i] = rgc_new(h, life_node_type()));
            obj[i]->tag = i;
            /* A reference to an older live node, now and then. */
            size_t j = (size_t)(next_random(seed) % LIFE_OBJ);
            if (j % 4 == 0 && obj[j] && j != i)
                obj[i]->next = rgc_newref(obj[j]);
        }
}

static void life_free_raw(rgc_heap_t *h, uint64_t **raw, size_t *size, size_t i)
{
    if (raw[i][0] != i || raw[i][size[i] / 8 - 1] != ~(uint64_t)i)
        fail_msg("raw block %zu lost its bytes", i);
    rgc_mem_free(h, raw[i]);
    raw[i] = NULL;
}

static int compare_ptrs(const void *a, const void *b)
{
    uintptr_t x = (uintptr_t) * (const void *const *)a, y = (uintptr_t) * (const void *const *)b;
    return x < y ? -1 : x > y;
}

static void life_check(rgc_heap_t *h, uint64_t **raw, size_t *size, life_node_t **obj)
{
    assert_heap_ok(h);
    size_t bytes = 0;
    for (size_t i = 0; i < LIFE_RAW; i++)
        if (raw[i]) {
            if (raw[i][0] != i || raw[i][size[i] / 8 - 1] != ~(uint64_t)i)
                fail_msg("raw block %zu lost its bytes", i);
            bytes += size[i];
        }
    /* The live nodes: the array's, and those their `next` chains keep
     * (a node dropped from the array lives on while another refers to it). */
    size_t cap = 4 * LIFE_OBJ, objects = 0;
    const void **seen = malloc(cap * sizeof *seen);
    for (size_t i = 0; i < LIFE_OBJ; i++)
        if (obj[i]) {
            assert_int_equal(obj[i]->tag, i);
            for (const life_node_t *n = obj[i]; n; n = (const life_node_t *)n->next) {
                assert_true(objects < cap);
                seen[objects++] = n;
            }
        }
    qsort(seen, objects, sizeof *seen, compare_ptrs);
    size_t unique = 0;
    for (size_t k = 0; k < objects; k++)
        unique += k == 0 || seen[k] != seen[k - 1];
    free(seen);
    bytes += unique * 32;
    rgc_heap_stats_t s;
    rgc_heap_stats(h, &s);
    /* The heap's bytes in use are ours plus the collector's generation
     * arrays (a slot per tracked node at most: under 1 MiB here). */
    assert_int_equal(s.objects, unique);
    if (s.bytes_in_use < bytes || s.bytes_in_use > bytes + ((size_t)1 << 20))
        fail_msg("%zu bytes in use for %zu bytes of live blocks", s.bytes_in_use, bytes);
}

static void test_a_long_random_life_keeps_every_invariant(void **state)
{
    (void)state;
    rgc_heap_t *h = recording_heap(0);
    uint64_t seed = 0x2545F4914F6CDD1Dull;
    uint64_t **raw = calloc(LIFE_RAW, sizeof *raw);
    size_t *size = calloc(LIFE_RAW, sizeof *size);
    life_node_t **obj = calloc(LIFE_OBJ, sizeof *obj);
    for (int round = 0; round < 3; round++) {
        life_fill(h, raw, size, obj, &seed);
        life_check(h, raw, size, obj);
        /* Churn: one dies, one is born, over the full live set. */
        for (int k = 0; k < 200000; k++) {
            size_t i = (size_t)(next_random(&seed) % LIFE_RAW);
            life_free_raw(h, raw, size, i);
            assert_non_null(raw[i] = rgc_mem_alloc(h, size[i]));
            raw[i][0] = i;
            raw[i][size[i] / 8 - 1] = ~(uint64_t)i;
            size_t j = (size_t)(next_random(&seed) % LIFE_OBJ);
            rgc_decref(obj[j]);
            assert_non_null(obj[j] = rgc_new(h, life_node_type()));
            obj[j]->tag = j;
        }
        life_check(h, raw, size, obj);
        /* Drain a random 90%. */
        size_t *order = shuffled_order(LIFE_RAW, seed + (uint64_t)round);
        for (size_t k = 0; k < LIFE_RAW - LIFE_RAW / 10; k++)
            life_free_raw(h, raw, size, order[k]);
        free(order);
        order = shuffled_order(LIFE_OBJ, seed ^ (uint64_t)round);
        for (size_t k = 0; k < LIFE_OBJ - LIFE_OBJ / 10; k++) {
            rgc_decref(obj[order[k]]);
            obj[order[k]] = NULL;
        }
        free(order);
        rgc_gc_collect(h, round == 1 ? 2 : 0);
        life_check(h, raw, size, obj);
        if (round == 0) {
            /* Arenas a tenth full were shed: the pages of some header
             * pool went back, before any trim. */
            int shed = 0;
            for (int k = 0; k < decommits.n && !shed; k++) {
                const char *a = arena_base_of((const void *)decommits.start[k]);
                shed = (decommits.start[k] - (uintptr_t)a) / RGC_POOL_SIZE == arena_header_pool_of(a);
            }
            assert_true(shed);
        }
        if (round != 1) {
            rgc_heap_trim(h);
            life_check(h, raw, size, obj);
        }
    }
    for (size_t i = 0; i < LIFE_RAW; i++)
        if (raw[i])
            life_free_raw(h, raw, size, i);
    for (size_t i = 0; i < LIFE_OBJ; i++) {
        rgc_xdecref(obj[i]);
        obj[i] = NULL;
    }
    life_check(h, raw, size, obj);
    free(raw);
    free(size);
    free(obj);
    rgc_heap_destroy(h);
}

static void test_trim_returns_the_spare_arena_and_every_empty_pool(void **state)
{
    (void)state;
    rgc_heap_t *h = recording_heap(0);
    enum { N = 1 << 16 }; /* 4 MiB of 64-byte blocks: several arenas */
    void **p = malloc(N * sizeof *p);
    for (int i = 0; i < N; i++)
        p[i] = rgc_mem_alloc(h, 64);
    /* Free the second half: its arenas empty (one stays as the spare);
     * free a few pools of the first half too. */
    for (int i = N / 2; i < N; i++) {
        rgc_mem_free(h, p[i]);
        p[i] = NULL;
    }
    for (int i = 0; i < 4 * 256; i++) {
        rgc_mem_free(h, p[i]);
        p[i] = NULL;
    }
    rgc_heap_stats_t before, after;
    rgc_heap_stats(h, &before);
    assert_true(before.pools_dirty > 0);
    size_t bytes = rgc_heap_trim(h);
    rgc_heap_stats(h, &after);
    assert_int_equal(after.pools_dirty, 0);
    assert_true(after.arenas < before.arenas);
    assert_true(bytes >= (before.arenas - after.arenas) * RGC_ARENA_SIZE);
    free_all_and_end(h, p, N);
}

/* A heap whose every block was freed keeps, for each class it used, one
 * empty pool (so that one block allocated and freed again and again does
 * not take and give back a pool each time), and the spare arena.  Trim
 * gives back those pools' arenas too: no arena stays mapped, and the bytes
 * returned count every arena.  The heap then allocates as before. */
static void test_trim_of_an_emptied_heap_leaves_nothing_mapped(void **state)
{
    (void)state;
    rgc_heap_t *h = rgc_heap_new(NULL);
    enum { N = 1 << 15 };
    void **p = malloc(N * sizeof *p);
    rgc_type_t *t = rgc_class_register("test.TrimmedClass");
    assert_non_null(t);
    for (int round = 0; round < 2; round++) {
        for (int i = 0; i < N; i++) {
            /* raw blocks of list and bitmap classes, and objects */
            p[i] = i % 3 == 2 ? rgc_instance_new(h, t) : rgc_mem_alloc(h, (size_t)(16 + (i % 32) * 16));
            assert_non_null(p[i]);
        }
        for (int i = 0; i < N; i++) {
            if (i % 3 == 2)
                rgc_decref(p[i]);
            else
                rgc_mem_free(h, p[i]);
        }
        rgc_heap_stats_t before, after;
        rgc_heap_stats(h, &before);
        assert_true(before.arenas > 0);
        assert_true(before.pools_used > 0);
        size_t bytes = rgc_heap_trim(h);
        rgc_heap_stats(h, &after);
        assert_int_equal(after.arenas, 0);
        assert_int_equal(after.pools_used, 0);
        assert_int_equal(after.objects, 0);
        /* What stays is the collector's arrays of generation members,
         * large blocks of the heap's own. */
        assert_int_equal(after.bytes_in_use, after.large_bytes);
        assert_true(after.bytes_mapped <= after.large_bytes + after.large_blocks * 64);
        assert_true(bytes >= before.arenas * (size_t)RGC_ARENA_SIZE);
        assert_heap_ok(h);
    }
    free(p);
    rgc_heap_destroy(h);
}

static void test_trim_without_a_decommit_hook_gives_back_no_pages(void **state)
{
    (void)state;
    rgc_sysmem_t sm = *rgc_sysmem_default();
    sm.decommit = NULL;
    rgc_heap_config_t cfg = {.name = "no-decommit", .sysmem = &sm};
    rgc_heap_t *h = rgc_heap_new(&cfg);
    void **b = one_pool_keeping_ten(h);
    rgc_heap_trim(h);
    assert_int_equal(pages_released(h), 0);
    free_all_and_end(h, b, 10);
}

static void test_trim_of_no_heap_is_reported(void **state)
{
    (void)state;
    record_errors();
    assert_int_equal(rgc_heap_trim(NULL), 0);
    assert_int_equal(recorded.count, 1);
    assert_int_equal(recorded.last_code, RGC_EINVAL);
    rgc_set_error_handler(NULL, NULL);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_trim_gives_back_the_free_pages_of_a_pool_in_use),
        cmocka_unit_test(test_trim_gives_back_the_free_pages_of_bitmap_pools),
        cmocka_unit_test(test_filled_heaps_give_back_pages_and_refill_them),
        cmocka_unit_test(test_a_block_in_a_page_given_back_is_reported_when_freed_again),
        cmocka_unit_test(test_the_collector_never_reads_a_page_given_back),
        cmocka_unit_test(test_no_page_is_given_back_while_a_collection_runs),
        cmocka_unit_test(test_an_allocation_order_drain_gives_back_pages_on_its_own),
        cmocka_unit_test(test_a_drain_in_random_order_does_not_search_pools_in_use),
        cmocka_unit_test(test_a_drain_in_random_order_gives_back_arenas_whole),
        cmocka_unit_test(test_arenas_left_a_tenth_full_give_back_what_they_never_used),
        cmocka_unit_test(test_an_arena_more_than_a_quarter_full_gives_back_nothing),
        cmocka_unit_test(test_bitmap_pools_do_not_make_an_arena_sparse),
        cmocka_unit_test(test_a_long_random_life_keeps_every_invariant),
        cmocka_unit_test(test_trim_returns_the_spare_arena_and_every_empty_pool),
        cmocka_unit_test(test_trim_of_an_emptied_heap_leaves_nothing_mapped),
        cmocka_unit_test(test_trim_without_a_decommit_hook_gives_back_no_pages),
        cmocka_unit_test(test_trim_of_no_heap_is_reported),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
