/*
 * test_alloc.c — the small-block allocator and the large-block path:
 * classes, reuse, ownership checks, arena policy, fill bytes, statistics.
 */
#include "testutil.h"

#include <stdlib.h>

#define ARENA_OF(p) ((uintptr_t)(p) & ~(uintptr_t)(RGC_ARENA_SIZE - 1))

static void test_small_blocks_are_aligned_and_distinct(void **state)
{
    (void)state;
    rgc_heap_t *h = rgc_heap_new(NULL);
    assert_non_null(h);
    void *p[64];
    for (int i = 0; i < 64; i++) {
        p[i] = rgc_mem_alloc(h, (size_t)(i * 8 + 1));
        assert_non_null(p[i]);
        assert_int_equal((uintptr_t)p[i] % 16, 0);
        memset(p[i], i, (size_t)(i * 8 + 1));
    }
    for (int i = 0; i < 64; i++)
        for (int j = 0; j < i * 8 + 1; j++)
            assert_int_equal(((unsigned char *)p[i])[j], i);
    for (int i = 0; i < 64; i++)
        rgc_mem_free(h, p[i]);
    assert_heap_ok(h);
    rgc_heap_destroy(h);
}

static void test_requests_round_up_to_their_16_byte_class(void **state)
{
    (void)state;
    rgc_heap_t *h = rgc_heap_new(NULL);
    size_t sizes[] = {1, 16, 17, 100, 500, 512};
    size_t want[] = {16, 16, 32, 112, 512, 512};
    for (size_t i = 0; i < sizeof sizes / sizeof *sizes; i++) {
        void *p = rgc_mem_alloc(h, sizes[i]);
        assert_int_equal(rgc_mem_usable_size(h, p), want[i]);
        rgc_mem_free(h, p);
    }
    void *big = rgc_mem_alloc(h, 513);
    assert_int_equal(rgc_mem_usable_size(h, big), 513);
    rgc_mem_free(h, big);
    assert_heap_ok(h);
    rgc_heap_destroy(h);
}

static void test_freed_block_returns_to_its_pool(void **state)
{
    (void)state;
    rgc_heap_t *h = rgc_heap_new(NULL);
    void *keep = rgc_mem_alloc(h, 48);
    void *a = rgc_mem_alloc(h, 48);
    rgc_mem_free(h, a);
    void *b = rgc_mem_alloc(h, 48);
    assert_ptr_equal(a, b);
    assert_true((uintptr_t)a / RGC_POOL_SIZE == (uintptr_t)keep / RGC_POOL_SIZE);
    rgc_mem_free(h, b);
    rgc_mem_free(h, keep);
    assert_heap_ok(h);
    rgc_heap_destroy(h);
}

static void test_zero_byte_request_gives_a_unique_block(void **state)
{
    (void)state;
    rgc_heap_t *h = rgc_heap_new(NULL);
    void *a = rgc_mem_alloc(h, 0), *b = rgc_mem_alloc(h, 0);
    assert_non_null(a);
    assert_non_null(b);
    assert_ptr_not_equal(a, b);
    rgc_mem_free(h, a);
    rgc_mem_free(h, b);
    assert_heap_ok(h);
    rgc_heap_destroy(h);
}

static void test_large_blocks_are_recorded_and_freed(void **state)
{
    (void)state;
    rgc_heap_t *h = rgc_heap_new(NULL);
    rgc_heap_stats_t s;
    void *p[10];
    for (int i = 0; i < 10; i++) {
        p[i] = rgc_mem_alloc(h, 1000 + (size_t)i * 10000);
        assert_non_null(p[i]);
        assert_int_equal((uintptr_t)p[i] % 16, 0);
        memset(p[i], 0xAB, 1000 + (size_t)i * 10000);
    }
    rgc_heap_stats(h, &s);
    assert_int_equal(s.large_blocks, 10);
    assert_int_equal(s.large_bytes, 10 * 1000 + 45 * 10000);
    assert_heap_ok(h);
    for (int i = 0; i < 10; i++)
        rgc_mem_free(h, p[i]);
    rgc_heap_stats(h, &s);
    assert_int_equal(s.large_blocks, 0);
    assert_int_equal(s.large_bytes, 0);
    assert_heap_ok(h);
    rgc_heap_destroy(h);
}

/* bytes_mapped counts what the heap holds from the system: a large block
 * adds exactly what the seam allocated for it (header and, on a heap with
 * fill bytes, the guard after it included), and gives it back on free. */
static void test_mapped_bytes_count_each_large_block_as_the_system_holds_it(void **state)
{
    (void)state;
    for (int fill = 0; fill < 2; fill++) {
        counting_sysmem_t c = {0};
        rgc_sysmem_t sm = counting_sysmem(&c);
        rgc_heap_config_t cfg = {.flags = fill ? RGC_HEAP_FILL : 0u, .sysmem = &sm};
        rgc_heap_t *h = rgc_heap_new(&cfg);
        assert_non_null(h);
        void *first = rgc_mem_alloc(h, 4096); /* the heap's set of large blocks is made here */
        rgc_heap_stats_t s0, s1, s2;
        rgc_heap_stats(h, &s0);
        size_t allocated0 = c.allocated;
        void *p = rgc_mem_alloc(h, 10000);
        assert_non_null(p);
        rgc_heap_stats(h, &s1);
        assert_true(c.allocated - allocated0 >= 10000 + (fill ? RGC_ALIGN : 0u));
        assert_int_equal(s1.bytes_mapped - s0.bytes_mapped, c.allocated - allocated0);
        rgc_mem_free(h, p);
        rgc_heap_stats(h, &s2);
        assert_int_equal(s2.bytes_mapped, s0.bytes_mapped);
        assert_int_equal(c.allocated, allocated0);
        rgc_mem_free(h, first);
        assert_heap_ok(h);
        rgc_heap_destroy(h);
        assert_int_equal(c.allocated, 0);
        assert_int_equal(c.mapped, 0);
    }
}

static void test_double_free_is_reported_and_leaves_the_heap_intact(void **state)
{
    (void)state;
    rgc_heap_t *h = rgc_heap_new(NULL);
    record_errors();
    void *keep = rgc_mem_alloc(h, 32);
    void *p = rgc_mem_alloc(h, 32);
    rgc_mem_free(h, p);
    rgc_mem_free(h, p);
    assert_int_equal(recorded.count, 1);
    assert_int_equal(recorded.last_code, RGC_EFREED);
    assert_ptr_equal(recorded.last_address, p);
    void *big = rgc_mem_alloc(h, 4096);
    rgc_mem_free(h, big);
    rgc_mem_free(h, big);
    assert_int_equal(recorded.count, 2);
    assert_int_equal(recorded.last_code, RGC_EFOREIGN);
    assert_heap_ok(h);
    /* The free list was not damaged: two allocations give two blocks. */
    void *a = rgc_mem_alloc(h, 32), *b = rgc_mem_alloc(h, 32);
    assert_ptr_not_equal(a, b);
    rgc_mem_free(h, a);
    rgc_mem_free(h, b);
    rgc_mem_free(h, keep);
    assert_heap_ok(h);
    rgc_set_error_handler(NULL, NULL);
    rgc_heap_destroy(h);
}

/* Raw memory asked of no heap, once heaps exist (the fast paths run): one
 * report each, nothing allocated, nothing touched — with nothing
 * listening, and while a heap records events or samples. */
static void test_raw_memory_asked_of_no_heap_is_reported_while_heaps_live(void **state)
{
    (void)state;
    rgc_heap_t *h = rgc_heap_new(NULL);
    void *p = rgc_mem_alloc(h, 48);
    assert_non_null(p);
    record_errors();
    size_t count = 0;
    for (int mode = 0; mode < 3; mode++) {
        if (mode == 1)
            assert_int_equal(rgc_recorder_start(h, 16), 0);
        if (mode == 2) {
            rgc_recorder_stop(h);
            assert_int_equal(rgc_trace_start(h, 1, 4096), 0);
        }
        assert_null(rgc_mem_alloc(NULL, 16));
        assert_null(rgc_mem_alloc(NULL, 100000));
        assert_null(RGC_MEM_ALLOC(NULL, 16));
        assert_null(rgc_mem_calloc(NULL, 16));
        assert_null(rgc_mem_realloc(NULL, NULL, 16));
        assert_null(rgc_mem_realloc(NULL, p, 16));
        count += 6;
        assert_int_equal(recorded.count, count);
        assert_int_equal(recorded.last_code, RGC_EINVAL);
        assert_non_null(strstr(recorded.last_message, "not a live heap"));
    }
    rgc_trace_stop(h);
    /* p was left alone. */
    assert_int_equal(rgc_mem_usable_size(h, p), 48);
    rgc_mem_free(h, p);
    rgc_set_error_handler(NULL, NULL);
    assert_heap_ok(h);
    rgc_heap_destroy(h);
}

static void test_user_data_that_looks_freed_is_still_freed(void **state)
{
    (void)state;
    rgc_heap_t *h = rgc_heap_new(NULL);
    record_errors();
    uint64_t *keep = rgc_mem_alloc(h, 16);
    uint64_t *p = rgc_mem_alloc(h, 16);
    p[0] = 0xDBDBDBDB00000000ull; /* the freed marker, written as data */
    rgc_mem_free(h, p);
    assert_int_equal(recorded.count, 0);
    rgc_mem_free(h, keep);
    assert_heap_ok(h);
    rgc_set_error_handler(NULL, NULL);
    rgc_heap_destroy(h);
}

static void test_foreign_pointers_are_reported_not_freed(void **state)
{
    (void)state;
    rgc_heap_t *h = rgc_heap_new(NULL);
    rgc_heap_t *other = rgc_heap_new(NULL);
    record_errors();
    char *m = malloc(64);
    rgc_mem_free(h, m + 16);
    assert_int_equal(recorded.last_code, RGC_EFOREIGN);
    free(m);
    int local;
    rgc_mem_free(h, &local);
    assert_int_equal(recorded.last_code, RGC_EFOREIGN);
    char *p = rgc_mem_alloc(h, 64);
    rgc_mem_free(other, p);
    assert_int_equal(recorded.last_code, RGC_EFOREIGN);
    char *header = arena_header_of(p) + 256;
    rgc_mem_free(h, header); /* inside the arena header page */
    assert_int_equal(recorded.last_code, RGC_EFOREIGN);
    assert_ptr_equal(recorded.last_address, header);
    assert_int_equal(recorded.count, 4);
    rgc_mem_free(h, p);
    assert_int_equal(recorded.count, 4);
    assert_heap_ok(h);
    assert_heap_ok(other);
    rgc_set_error_handler(NULL, NULL);
    rgc_heap_destroy(other);
    rgc_heap_destroy(h);
}

/* The release fast path checks owner, kind, state and a second free, not
 * that p starts a block: a heap with fill bytes (always so in debug builds)
 * checks everything, and the heap checker finds an interior pointer that a
 * plain heap took onto its free list. */
static void test_interior_pointers_are_reported_when_checked(void **state)
{
    (void)state;
    rgc_heap_config_t cfg = {.flags = RGC_HEAP_FILL, .name = "filled"};
    rgc_heap_t *h = rgc_heap_new(&cfg);
    record_errors();
    char *keep = rgc_mem_alloc(h, 64);
    char *p = rgc_mem_alloc(h, 64);
    rgc_mem_free(h, p + 16);
    assert_int_equal(recorded.last_code, RGC_EFOREIGN);
    assert_ptr_equal(recorded.last_address, p + 16);
    assert_int_equal(recorded.count, 1);
    rgc_mem_free(h, p);
    rgc_mem_free(h, keep);
    assert_int_equal(recorded.count, 1);
    assert_heap_ok(h);
    rgc_heap_destroy(h);

    rgc_heap_t *plain = rgc_heap_new(NULL);
    keep = rgc_mem_alloc(plain, 64);
    p = rgc_mem_alloc(plain, 64);
    rgc_mem_free(plain, p + 16);
    if (recorded.count == 2) {
        /* A debug build checks on the fast path too: nothing was taken. */
        assert_int_equal(recorded.last_code, RGC_EFOREIGN);
        assert_ptr_equal(recorded.last_address, p + 16);
        assert_heap_ok(plain);
    } else {
        assert_int_equal(recorded.count, 1);
        rgc_check_result_t r;
        assert_int_not_equal(rgc_heap_check(plain, &r), 0);
        char *pool_start = (char *)((uintptr_t)p & ~(uintptr_t)(RGC_POOL_SIZE - 1));
        assert_ptr_equal(r.address, pool_start);
    }
    rgc_set_error_handler(NULL, NULL);
    rgc_heap_destroy(plain);
}

static void test_realloc_keeps_contents_across_classes_and_sizes(void **state)
{
    (void)state;
    rgc_heap_t *h = rgc_heap_new(NULL);
    unsigned char *p = rgc_mem_alloc(h, 10);
    for (int i = 0; i < 10; i++)
        p[i] = (unsigned char)i;
    size_t sizes[] = {12, 100, 600, 5000, 300, 8};
    for (size_t k = 0; k < sizeof sizes / sizeof *sizes; k++) {
        p = rgc_mem_realloc(h, p, sizes[k]);
        assert_non_null(p);
        for (int i = 0; i < 8; i++)
            assert_int_equal(p[i], i);
        assert_true(rgc_mem_usable_size(h, p) >= sizes[k]);
    }
    rgc_mem_free(h, p);
    assert_heap_ok(h);
    rgc_heap_destroy(h);
}

static void test_empty_arenas_return_to_the_os_keeping_one_spare(void **state)
{
    (void)state;
    rgc_heap_t *h = rgc_heap_new(NULL);
    enum { N = 200000 }; /* 200k x 64 bytes: about 13 arenas */
    void **p = malloc(N * sizeof *p);
    for (int i = 0; i < N; i++)
        p[i] = rgc_mem_alloc(h, 64);
    rgc_heap_stats_t s;
    rgc_heap_stats(h, &s);
    assert_true(s.arenas >= 12);
    size_t peak = s.arenas;
    for (int i = 0; i < N; i++)
        rgc_mem_free(h, p[i]);
    rgc_heap_stats(h, &s);
    /* Left: the arena holding the class's one kept pool, and one spare. */
    assert_true(s.arenas <= 2);
    assert_true(s.pools_used <= 1);
    assert_int_equal(s.arenas_freed, peak - s.arenas);
    assert_int_equal(s.arenas_highwater, peak);
    assert_heap_ok(h);
    free(p);
    rgc_heap_destroy(h);
}

/* A heap configured to keep its empty memory (keep_unused) maps no arena
 * anew when it fills again, keeps no more than it was told, and gives it
 * all back on rgc_heap_trim. */
static void test_a_heap_keeps_as_much_empty_memory_as_configured(void **state)
{
    (void)state;
    enum { N = 200000 }; /* 200k x 64 bytes: about 13 arenas */
    const size_t keep = (size_t)8 << 20;
    rgc_heap_config_t cfg = {.name = "keeping", .keep_unused = keep};
    rgc_heap_t *h = rgc_heap_new(&cfg);
    void **p = malloc(N * sizeof *p);
    for (int i = 0; i < N; i++)
        p[i] = rgc_mem_alloc(h, 64);
    rgc_heap_stats_t s;
    rgc_heap_stats(h, &s);
    size_t peak = s.arenas;
    assert_true(peak >= 12);
    for (int i = 0; i < N; i++)
        rgc_mem_free(h, p[i]);
    rgc_heap_stats(h, &s);
    /* Kept: 8 MiB of empty pools, committed, in arenas still mapped (and
     * the spare arena besides); the rest went back. */
    size_t kept_pools = keep / RGC_POOL_SIZE;
    if (s.pools_dirty < kept_pools - RGC_POOLS_PER_ARENA || s.pools_dirty > kept_pools + RGC_POOLS_PER_ARENA)
        fail_msg("%zu empty pools committed, asked to keep %zu", s.pools_dirty, kept_pools);
    if (s.arenas < keep / RGC_ARENA_SIZE || s.arenas >= peak)
        fail_msg("%zu arenas mapped of %zu, %zu pools committed", s.arenas, peak, s.pools_dirty);
    assert_heap_ok(h);
    /* Filling again takes the kept arenas first: only what was given back
     * is mapped anew. */
    size_t allocated = s.arenas_allocated, kept_arenas = s.arenas;
    for (int i = 0; i < N; i++)
        p[i] = rgc_mem_alloc(h, 64);
    rgc_heap_stats(h, &s);
    assert_int_equal(s.arenas, peak);
    assert_int_equal(s.arenas_allocated - allocated, peak - kept_arenas);
    for (int i = 0; i < N; i++)
        rgc_mem_free(h, p[i]);
    /* rgc_heap_trim gives everything back, kept or not. */
    assert_true(rgc_heap_trim(h) >= keep);
    rgc_heap_stats(h, &s);
    assert_int_equal(s.arenas, 0);
    assert_int_equal(s.pools_dirty, 0);
    assert_heap_ok(h);
    free(p);
    rgc_heap_destroy(h);
}

static void test_new_pools_come_from_the_fullest_arena(void **state)
{
    (void)state;
    rgc_heap_t *h = rgc_heap_new(NULL);
    /* Two full arenas of 16-byte blocks: 63 pools x 1024 blocks each. */
    enum { PER_ARENA = 63 * 1024, N = 2 * PER_ARENA };
    void **p = malloc(N * sizeof *p);
    for (int i = 0; i < N; i++)
        p[i] = rgc_mem_alloc(h, 16);
    uintptr_t a0 = ARENA_OF(p[0]), a1 = ARENA_OF(p[N - 1]);
    assert_true(a0 != a1);
    /* Empty 20 pools of the first arena and 5 of the second (from pool 8
     * up: the header pool is one of pools 0-7). */
    int freed0 = 0, freed1 = 0;
    for (int i = 0; i < N; i++) {
        uintptr_t a = ARENA_OF(p[i]);
        size_t pool = ((uintptr_t)p[i] - a) / RGC_POOL_SIZE;
        if ((a == a0 && pool >= 8 && pool < 28) || (a == a1 && pool >= 8 && pool < 13)) {
            rgc_mem_free(h, p[i]);
            p[i] = NULL;
            if (a == a0)
                freed0++;
            else
                freed1++;
        }
    }
    assert_int_equal(freed0, 20 * 1024);
    assert_int_equal(freed1, 5 * 1024);
    /* A new class needs a pool: it must come from the fuller second arena. */
    void *q = rgc_mem_alloc(h, 256);
    assert_true(ARENA_OF(q) == a1);
    rgc_mem_free(h, q);
    for (int i = 0; i < N; i++)
        rgc_mem_free(h, p[i]);
    assert_heap_ok(h);
    free(p);
    rgc_heap_destroy(h);
}

/* Each arena's header sits at page (arena number mod 32), so that the
 * descriptors of different arenas do not share cache sets; the pool
 * holding that page is the only one not used for blocks, pool 0 included. */
static void test_arena_headers_sit_at_a_page_chosen_by_the_arena_number(void **state)
{
    (void)state;
    rgc_heap_t *h = rgc_heap_new(NULL);
    /* Three full arenas of 512-byte blocks: 63 pools x 32 blocks each. */
    enum { PER_ARENA = 63 * 32, N = 3 * PER_ARENA };
    void **p = malloc(N * sizeof *p);
    for (int i = 0; i < N; i++)
        assert_non_null(p[i] = rgc_mem_alloc(h, 512));
    char *bases[3];
    uint64_t used[3] = {0}; /* bit k: pool k holds one of the blocks */
    int narenas = 0;
    for (int i = 0; i < N; i++) {
        char *base = arena_base_of(p[i]);
        int k = 0;
        while (k < narenas && bases[k] != base)
            k++;
        assert_true(k < 3);
        if (k == narenas)
            bases[narenas++] = base;
        used[k] |= 1ull << (((char *)p[i] - base) / RGC_POOL_SIZE);
    }
    assert_int_equal(narenas, 3);
    record_errors();
    for (int k = 0; k < 3; k++) {
        unsigned hp = arena_header_pool_of(bases[k]);
        /* Every pool but the header pool holds blocks. */
        assert_true(used[k] == ~(1ull << hp));
        /* The arena's fields overlay the header pool's descriptor. */
        uint64_t magic;
        memcpy(&magic, arena_header_of(bases[k]) + 64u * hp, sizeof magic);
        assert_true(magic == 0x6172656e61726763ull); /* "cgranera" */
        /* Neither the header page nor the rest of its pool is a block. */
        char *inside[2] = {arena_header_of(bases[k]) + 64u * 5, bases[k] + hp * RGC_POOL_SIZE + 48};
        if (inside[1] >= arena_header_of(bases[k]) && inside[1] < arena_header_of(bases[k]) + 4096)
            inside[1] += 4096; /* the header page comes first in its pool */
        for (int j = 0; j < 2; j++) {
            int before = recorded.count;
            rgc_mem_free(h, inside[j]);
            assert_int_equal(recorded.count, before + 1);
            assert_int_equal(recorded.last_code, RGC_EFOREIGN);
            assert_ptr_equal(recorded.last_address, inside[j]);
        }
    }
    rgc_set_error_handler(NULL, NULL);
    free_all_and_end(h, (void **)p, N);
}

static void test_random_allocation_and_free_keep_every_invariant(void **state)
{
    (void)state;
    rgc_heap_t *h = rgc_heap_new(NULL);
    enum { SLOTS = 4096, OPS = 200000 };
    unsigned char **p = calloc(SLOTS, sizeof *p);
    size_t *n = calloc(SLOTS, sizeof *n);
    srand(12345);
    for (int op = 0; op < OPS; op++) {
        int i = rand() % SLOTS;
        if (p[i]) {
            for (size_t j = 0; j < n[i]; j++)
                assert_int_equal(p[i][j], (unsigned char)(i + j));
            rgc_mem_free(h, p[i]);
            p[i] = NULL;
        } else {
            n[i] = rand() % 8 == 0 ? (size_t)(rand() % 4000) : (size_t)(rand() % 512);
            p[i] = rgc_mem_alloc(h, n[i]);
            assert_non_null(p[i]);
            for (size_t j = 0; j < n[i]; j++)
                p[i][j] = (unsigned char)(i + j);
        }
        if (op % 50000 == 0)
            assert_heap_ok(h);
    }
    for (int i = 0; i < SLOTS; i++)
        rgc_mem_free(h, p[i]);
    assert_heap_ok(h);
    rgc_heap_stats_t s;
    rgc_heap_stats(h, &s);
    assert_int_equal(s.bytes_in_use, 0);
    free(p);
    free(n);
    rgc_heap_destroy(h);
}

/* The bytes after a pool's last block (16 of them for 48-byte blocks) are
 * not a block, although their offset is a multiple of the block size. */
static void test_the_tail_of_a_pool_past_its_last_block_is_not_a_block(void **state)
{
    (void)state;
    rgc_heap_config_t cfg = {.flags = RGC_HEAP_FILL, .name = "filled"};
    rgc_heap_t *h = rgc_heap_new(&cfg);
    record_errors();
    char *p = rgc_mem_alloc(h, 48);
    char *pool_start = (char *)((uintptr_t)p & ~(uintptr_t)(RGC_POOL_SIZE - 1));
    char *tail = pool_start + (RGC_POOL_SIZE / 48) * 48;
    assert_true(tail + 48 > pool_start + RGC_POOL_SIZE);
    rgc_mem_free(h, tail);
    assert_int_equal(recorded.count, 1);
    assert_int_equal(recorded.last_code, RGC_EFOREIGN);
    assert_ptr_equal(recorded.last_address, tail);
    rgc_mem_free(h, p);
    assert_int_equal(recorded.count, 1);
    assert_heap_ok(h);
    rgc_set_error_handler(NULL, NULL);
    rgc_heap_destroy(h);
}

/* A heap whose pools are all full: each free puts its pool back on the
 * usable list, and the next allocation of the class takes that very block
 * and puts the pool off the list again; a free into a pool still on the
 * list stays there.  Raw blocks and objects alike. */
/* Steady replacement in a heap whose pools are all full, for raw blocks of
 * raw_size bytes and objects of type box. */
static void full_pools_cycle(size_t raw_size, rgc_type_t *box)
{
    assert_non_null(box);
    rgc_heap_t *h = rgc_heap_new(NULL);
    enum { N = 20000, OPS = 60000 };
    void **raw = calloc(N, sizeof *raw);
    rgc_object_t **obj = calloc(N, sizeof *obj);
    for (int i = 0; i < N; i++) {
        raw[i] = rgc_mem_alloc(h, raw_size);
        obj[i] = rgc_new(h, box);
        assert_non_null(raw[i]);
        assert_non_null(obj[i]);
    }
    rgc_heap_stats_t s0, s1;
    rgc_heap_stats(h, &s0);
    srand(777);
    for (int op = 0; op < OPS; op++) {
        int i = rand() % N, j = rand() % N;
        void *old = raw[i];
        rgc_mem_free(h, old);
        raw[i] = rgc_mem_alloc(h, raw_size);
        assert_ptr_equal(raw[i], old);
        if (op % 3 == 0) { /* two frees, then two allocations */
            void *a = raw[j];
            rgc_object_t *b = obj[j];
            rgc_mem_free(h, a);
            rgc_decref(b);
            raw[j] = rgc_mem_alloc(h, raw_size);
            obj[j] = rgc_new(h, box);
            assert_ptr_equal(raw[j], a);
            assert_ptr_equal(obj[j], b);
        } else {
            rgc_object_t *o = obj[j];
            rgc_decref(o);
            obj[j] = rgc_new(h, box);
            assert_ptr_equal(obj[j], o);
        }
        if (op % 20000 == 0)
            assert_heap_ok(h);
    }
    assert_heap_ok(h);
    rgc_heap_stats(h, &s1);
    assert_int_equal(s1.bytes_in_use, s0.bytes_in_use);
    assert_int_equal(s1.arenas, s0.arenas);
    for (int i = 0; i < N; i++) {
        rgc_mem_free(h, raw[i]);
        rgc_decref(obj[i]);
    }
    assert_heap_ok(h);
    rgc_heap_stats(h, &s1);
    assert_int_equal(s1.bytes_in_use, 0);
    free(raw);
    free(obj);
    rgc_heap_destroy(h);
}

static void test_blocks_freed_into_full_pools_are_allocated_next(void **state)
{
    (void)state;
    static const rgc_type_spec_t box_spec = {.name = "alloc.Box", .basic_size = 24};
    static const rgc_type_spec_t big_spec = {.name = "alloc.BigBox", .basic_size = 288};
    /* Free lists (64 and 32 bytes) and free bitmaps (320 and 288). */
    full_pools_cycle(64, rgc_type_register(&box_spec));
    full_pools_cycle(320, rgc_type_register(&big_spec));
}

/* Two pools of `size`-byte blocks allocated full: the first is flagged
 * full, the second is the head with no free block, so a block of the
 * first freed now is held for the next allocation (the pools stay as
 * they are).  Returns the heap; *b gets the 2 x per-pool blocks. */
static rgc_heap_t *two_full_pools(size_t size, void ***b, unsigned *n)
{
    rgc_heap_t *h = rgc_heap_new(NULL);
    *n = 2 * (RGC_POOL_SIZE / (unsigned)size);
    *b = calloc(*n, sizeof **b);
    for (unsigned i = 0; i < *n; i++)
        assert_non_null((*b)[i] = rgc_mem_alloc(h, size));
    return h;
}

static size_t class_used(rgc_heap_t *h, size_t size)
{
    rgc_heap_stats_t s;
    rgc_heap_stats(h, &s);
    return s.classes[size / 16 - 1].blocks_used;
}

/*
 * The held block counts as free; a second free, a size query or a realloc
 * of it is reported; a write to it is found by the checker; it is handed
 * out once.  Another block freed into its pool, by the quick free or the
 * checked one, sends it back there first.  A trim gives it back.
 */
static void held_block_case(size_t size)
{
    void **b;
    unsigned n;
    rgc_heap_t *h = two_full_pools(size, &b, &n);
    void *x = b[7];
    rgc_mem_free(h, x);
    assert_int_equal(class_used(h, size), n - 1);
    rgc_heap_stats_t s;
    rgc_heap_stats(h, &s);
    assert_int_equal(s.classes[size / 16 - 1].blocks_free, 1);
    assert_int_equal(s.bytes_in_use, (size_t)(n - 1) * size);
    assert_heap_ok(h);
    record_errors();
    rgc_mem_free(h, x);
    assert_int_equal(recorded.count, 1);
    assert_int_equal(recorded.last_code, RGC_EFREED);
    assert_ptr_equal(recorded.last_address, x);
    assert_int_equal(rgc_mem_usable_size(h, x), 0);
    assert_int_equal(recorded.count, 2);
    assert_null(rgc_mem_realloc(h, x, size / 2));
    assert_int_equal(recorded.count, 3);
    rgc_set_error_handler(NULL, NULL);
    assert_heap_ok(h);
    if (size < 256) {
        /* List pools: the held block keeps the freed word. */
        uint64_t saved = *(uint64_t *)x;
        *(uint64_t *)x = 42;
        rgc_check_result_t r;
        assert_int_equal(rgc_heap_check(h, &r), -1);
        assert_ptr_equal(r.address, x);
        if (!strstr(r.message, "written after it was freed"))
            fail_msg("checker said '%s'", r.message);
        *(uint64_t *)x = saved;
        assert_heap_ok(h);
    }
    b[7] = rgc_mem_alloc(h, size);
    assert_ptr_equal(b[7], x);
    void *y = rgc_mem_alloc(h, size);
    assert_ptr_not_equal(y, x);
    rgc_mem_free(h, y);
    free_all_and_end(h, b, n);

    /* Everything freed, the first block held: nothing stays held, and the
     * class keeps at most its one empty pool. */
    h = two_full_pools(size, &b, &n);
    for (unsigned i = 0; i < n; i++)
        rgc_mem_free(h, b[i]);
    assert_heap_ok(h);
    rgc_heap_stats(h, &s);
    assert_int_equal(s.classes[size / 16 - 1].blocks_used, 0);
    assert_true(s.classes[size / 16 - 1].pools <= 1);
    free(b);
    rgc_heap_destroy(h);

    /* Two blocks freed into the first pool: the second sends the held one
     * back; both are free there, and handed out again. */
    h = two_full_pools(size, &b, &n);
    rgc_mem_free(h, b[3]);
    rgc_mem_free(h, b[4]);
    assert_int_equal(class_used(h, size), n - 2);
    assert_heap_ok(h);
    void *u = rgc_mem_alloc(h, size), *v = rgc_mem_alloc(h, size);
    assert_true((u == b[3] && v == b[4]) || (u == b[4] && v == b[3]));
    free_all_and_end(h, b, n);

    if (size < 256) {
        /* The same through the checked free: a block whose data looks
         * freed takes the slow path, which sends the held one back. */
        h = two_full_pools(size, &b, &n);
        rgc_mem_free(h, b[5]);
        *(uint64_t *)b[6] = 0xDBDBDBDB00000000ull; /* the freed marker, as data */
        rgc_mem_free(h, b[6]);
        assert_int_equal(class_used(h, size), n - 2);
        assert_heap_ok(h);
        u = rgc_mem_alloc(h, size);
        v = rgc_mem_alloc(h, size);
        assert_true((u == b[5] && v == b[6]) || (u == b[6] && v == b[5]));
        free_all_and_end(h, b, n);
    }

    /* A trim gives the held block back to its pool. */
    h = two_full_pools(size, &b, &n);
    rgc_mem_free(h, b[9]);
    b[9] = NULL;
    rgc_heap_trim(h);
    assert_int_equal(class_used(h, size), n - 1);
    assert_heap_ok(h);
    free_all_and_end(h, b, n);
}

static void test_a_block_freed_into_a_full_pool_is_held_for_the_next_allocation(void **state)
{
    (void)state;
    held_block_case(64);  /* free lists */
    held_block_case(512); /* free bitmaps */
}

static void test_blocks_of_256_bytes_and_more_are_freed_without_being_touched(void **state)
{
    (void)state;
    rgc_heap_t *h = rgc_heap_new(NULL);
    record_errors();
    static const size_t sizes[] = {256, 300, 512};
    for (size_t k = 0; k < sizeof sizes / sizeof *sizes; k++) {
        size_t n = sizes[k];
        void *keep = rgc_mem_alloc(h, n);
        unsigned char *p = rgc_mem_alloc(h, n);
        assert_non_null(keep);
        assert_non_null(p);
        memset(p, 0x5A, n);
        rgc_mem_free(h, p);
#ifdef RGC_DEBUG
        /* Debug builds fill: the freed marker, then freed fill bytes. */
        assert_int_equal(*(uint64_t *)p, 0xDBDBDBDB00000000ull);
        for (size_t i = 8; i < n; i++)
            assert_int_equal(p[i], RGC_FILL_FREED);
#else
        /* The pool's bitmap took the free: the block reads as it was. */
        for (size_t i = 0; i < n; i++)
            assert_int_equal(p[i], 0x5A);
#endif
        assert_heap_ok(h);
        /* A second free is still caught, and names the block. */
        rgc_mem_free(h, p);
        assert_int_equal(recorded.count, (int)k + 1);
        assert_int_equal(recorded.last_code, RGC_EFREED);
        assert_ptr_equal(recorded.last_address, p);
        assert_heap_ok(h);
        /* ... and did no harm: the block comes back once. */
        void *a = rgc_mem_alloc(h, n), *b = rgc_mem_alloc(h, n);
        assert_ptr_equal(a, p);
        assert_ptr_not_equal(b, p);
        rgc_mem_free(h, a);
        rgc_mem_free(h, b);
        rgc_mem_free(h, keep);
        assert_heap_ok(h);
    }
    /* Below 256 bytes a free writes the freed marker into the block. */
    uint64_t *keep = rgc_mem_alloc(h, 240), *q = rgc_mem_alloc(h, 240);
    q[0] = 0x5A5A5A5A5A5A5A5Aull;
    rgc_mem_free(h, q);
    assert_int_equal(q[0], 0xDBDBDBDB00000000ull);
    rgc_mem_free(h, keep);
    assert_heap_ok(h);
    rgc_set_error_handler(NULL, NULL);
    rgc_heap_destroy(h);
}

static int count_object(rgc_object_t *o, void *arg)
{
    (void)o;
    ++*(size_t *)arg;
    return 0;
}

/* A pool that held small raw blocks, taken again for 320-byte objects:
 * whatever the old blocks left where the new ones lie must not be taken
 * for tracked objects by the collector or by the object walk. */
/* A pool emptied in random order leaves its free list scattered; taken
 * again for its class, it is carved anew, so allocation goes up through it
 * in address order instead of following the scattered links. */
static void test_a_pool_emptied_in_random_order_is_carved_anew_when_reused(void **state)
{
    (void)state;
    enum { SIZE = 64, PER_POOL = RGC_POOL_SIZE / SIZE, N = 3 * PER_POOL };
    rgc_heap_t *h = rgc_heap_new(NULL);
    char **b = malloc(N * sizeof *b);
    assert_non_null(b);
    for (int i = 0; i < N; i++)
        b[i] = rgc_mem_alloc(h, SIZE);
    /* Three full pools, A (b[0]'s), B and C. */
    uintptr_t pool_a = (uintptr_t)b[0] & ~(uintptr_t)(RGC_POOL_SIZE - 1);
    for (int i = 0; i < PER_POOL; i++)
        assert_int_equal((uintptr_t)b[i] & ~(uintptr_t)(RGC_POOL_SIZE - 1), pool_a);
    /* C gets one block back (so A is not its class's only usable pool),
     * then A's blocks go in a shuffled order and A empties. */
    rgc_mem_free(h, b[N - 1]);
    size_t *order = shuffled_order(PER_POOL, 12345);
    for (int i = 0; i < PER_POOL; i++)
        rgc_mem_free(h, b[order[i]]);
    free(order);
    assert_heap_ok(h);
    /* C's block first, then A's, from its first block up. */
    assert_ptr_equal(rgc_mem_alloc(h, SIZE), b[N - 1]);
    for (int i = 0; i < PER_POOL; i++) {
        b[i] = rgc_mem_alloc(h, SIZE);
        assert_ptr_equal(b[i], (char *)pool_a + (size_t)i * SIZE);
    }
    free_all_and_end(h, (void **)b, N);
}

/* A write into a freed block (a use after free) can break its pool's free
 * list.  When the pool empties, the list's first links are looked at before
 * it is kept for the pool's next use; a link out of the pool is not
 * followed, and the pool is carved anew. */
static void test_a_free_list_broken_by_a_write_after_free_is_not_kept(void **state)
{
    (void)state;
    enum { SIZE = 64, PER_POOL = RGC_POOL_SIZE / SIZE, N = 2 * PER_POOL + 1 };
    rgc_heap_t *h = rgc_heap_new(NULL);
    char **b = malloc(N * sizeof *b);
    assert_non_null(b);
    for (int i = 0; i < N; i++)
        b[i] = rgc_mem_alloc(h, SIZE);
    /* Pools A (b[0]'s) and B full; C, with one block, heads the list. */
    char *pool_a = (char *)((uintptr_t)b[0] & ~(uintptr_t)(RGC_POOL_SIZE - 1));
    for (int i = PER_POOL - 2; i >= 0; i--)
        rgc_mem_free(h, b[i]);
    ((void **)b[0])[1] = (void *)(uintptr_t)0x1000; /* the write after free */
    rgc_mem_free(h, b[PER_POOL - 1]); /* A empties: its list is looked at */
    for (int i = 0; i < PER_POOL; i++)
        b[i] = NULL;
    /* C fills up, then A is carved anew from its first block. */
    for (int i = 0; i < PER_POOL - 1; i++)
        b[i] = rgc_mem_alloc(h, SIZE);
    char *first = rgc_mem_alloc(h, SIZE);
    assert_ptr_equal(first, pool_a);
    assert_heap_ok(h);
    rgc_mem_free(h, first);
    free_all_and_end(h, (void **)b, N);
}

static void test_stale_bytes_in_a_reused_pool_are_not_taken_for_objects(void **state)
{
    (void)state;
    static const rgc_ref_field_t ref = {.name = "ref", .offset = 16};
    static const rgc_type_spec_t s256 = {.name = "alloc.Big256", .basic_size = 256,
                                         .ref_fields = &ref, .n_ref_fields = 1};
    static const rgc_type_spec_t s320 = {.name = "alloc.Big320", .basic_size = 320,
                                         .ref_fields = &ref, .n_ref_fields = 1};
    rgc_type_t *t256 = rgc_type_register(&s256), *t320 = rgc_type_register(&s320);
    assert_non_null(t256);
    assert_non_null(t320);
    rgc_heap_t *h = rgc_heap_new(NULL);
    rgc_object_t *probe = rgc_new(h, t256);
    assert_non_null(probe);
    /* Two pools and a bit of 48-byte raw blocks; the first pool's blocks
     * get, wherever a 320-byte block will start, a header that reads as a
     * live, tracked object of generation 2. */
    enum { PER_POOL = RGC_POOL_SIZE / 48, N = 2 * PER_POOL + 10 };
    char *raw[N];
    for (int i = 0; i < N; i++)
        raw[i] = rgc_mem_alloc(h, 48);
    uintptr_t pool = (uintptr_t)raw[0] & ~(uintptr_t)(RGC_POOL_SIZE - 1);
    int faked = 0;
    for (size_t off = 320; off + 320 <= RGC_POOL_SIZE; off += 320) {
        if (off % 48 == 0)
            continue; /* a block start: the free overwrites it */
        rgc_object_t fake = {.refcnt = 1, .type_id = probe->type_id,
                             .flags = RGC_OF_TRACKED | 2u, .gc_index = 0};
        memcpy((char *)pool + off, &fake, sizeof fake);
        faked++;
    }
    assert_true(faked > 30);
    int in_first = 0;
    for (int i = 0; i < N; i++)
        if (((uintptr_t)raw[i] & ~(uintptr_t)(RGC_POOL_SIZE - 1)) == pool) {
            rgc_mem_free(h, raw[i]);
            raw[i] = NULL;
            in_first++;
        }
    assert_int_equal(in_first, PER_POOL);
    rgc_object_t *obj = rgc_new(h, t320);
    assert_non_null(obj);
    assert_int_equal((uintptr_t)obj & ~(uintptr_t)(RGC_POOL_SIZE - 1), pool);
    assert_heap_ok(h);
    for (int round = 0; round < 3; round++) {
        assert_int_equal(rgc_gc_collect(h, 2), 0);
        size_t seen = 0;
        rgc_gc_get_objects(h, -1, count_object, &seen);
        assert_int_equal(seen, 2);
        assert_heap_ok(h);
    }
    rgc_heap_stats_t st;
    rgc_heap_stats(h, &st);
    assert_int_equal(st.classes[319 / 16].blocks_used, 1);
    assert_int_equal(st.tracked[2], 2);
    rgc_decref(obj);
    rgc_decref(probe);
    for (int i = 0; i < N; i++)
        rgc_mem_free(h, raw[i]);
    assert_heap_ok(h);
    rgc_heap_destroy(h);
}

static void test_fill_bytes_mark_fresh_freed_and_guard_memory(void **state)
{
    (void)state;
    rgc_heap_config_t cfg = {.flags = RGC_HEAP_FILL, .name = "filled"};
    rgc_heap_t *h = rgc_heap_new(&cfg);
    void *keep = rgc_mem_alloc(h, 40);
    unsigned char *p = rgc_mem_alloc(h, 40);
    for (int i = 0; i < 40; i++)
        assert_int_equal(p[i], RGC_FILL_FRESH);
    for (int i = 40; i < 48; i++)
        assert_int_equal(p[i], RGC_FILL_GUARD);
    rgc_mem_free(h, p);
    for (int i = 16; i < 48; i++)
        assert_int_equal(p[i], RGC_FILL_FREED);
    assert_heap_ok(h);
    /* A write past a large block's end is caught when it is freed. */
    record_errors();
    unsigned char *big = rgc_mem_alloc(h, 1000);
    big[1000] = 0;
    rgc_mem_free(h, big);
    assert_int_equal(recorded.last_code, RGC_ECORRUPT);
    rgc_set_error_handler(NULL, NULL);
    rgc_mem_free(h, keep);
    assert_heap_ok(h);
    rgc_heap_destroy(h);
}

static void test_statistics_count_blocks_per_class(void **state)
{
    (void)state;
    rgc_heap_t *h = rgc_heap_new(NULL);
    void *p[100];
    for (int i = 0; i < 100; i++)
        p[i] = rgc_mem_alloc(h, 100); /* class 6: 112 bytes */
    rgc_heap_stats_t s;
    rgc_heap_stats(h, &s);
    assert_int_equal(s.classes[6].block_size, 112);
    assert_int_equal(s.classes[6].blocks_used, 100);
    assert_int_equal(s.classes[6].pools, 1);
    assert_int_equal(s.classes[6].blocks_free, RGC_POOL_SIZE / 112 - 100);
    assert_int_equal(s.classes[6].bytes_used, 100 * 112);
    assert_int_equal(s.arenas, 1);
    assert_int_equal(s.bytes_in_use, 100 * 112);
    char buf[4096];
    FILE *f = fmemopen(buf, sizeof buf, "w");
    rgc_heap_print_stats(h, f);
    fclose(f);
    assert_non_null(strstr(buf, "112"));
    assert_non_null(strstr(buf, "arenas: 1 mapped"));
    for (int i = 0; i < 100; i++)
        rgc_mem_free(h, p[i]);
    assert_heap_ok(h);
    rgc_heap_destroy(h);
}

static size_t decommits;

static void counting_decommit_only(void *ctx, void *p, size_t size)
{
    (void)ctx;
    decommits++;
    rgc_sysmem_default()->decommit(NULL, p, size);
}

static void test_empty_pools_beyond_their_budget_are_decommitted(void **state)
{
    (void)state;
    rgc_sysmem_t sm = *rgc_sysmem_default();
    sm.decommit = counting_decommit_only;
    rgc_heap_config_t cfg = {.name = "purged", .sysmem = &sm};
    rgc_heap_t *h = rgc_heap_new(&cfg);
    enum { N = 1 << 20, RUN = 4096 }; /* 1M x 48 bytes, in runs of 4096 */
    void **p = malloc(N * sizeof *p);
    for (int i = 0; i < N; i++)
        p[i] = rgc_mem_alloc(h, 48);
    decommits = 0;
    /* Keep every tenth run: whole pools empty in every arena. */
    for (int i = 0; i < N; i++)
        if ((i / RUN) % 10 != 0) {
            rgc_mem_free(h, p[i]);
            p[i] = NULL;
        }
    rgc_heap_stats_t s;
    rgc_heap_stats(h, &s);
    assert_true(decommits > 0);
    size_t budget = s.pools_used / 16 > 64 ? s.pools_used / 16 : 64;
    if (s.pools_dirty > 2 * budget)
        fail_msg("%zu empty pools still committed, budget %zu", s.pools_dirty, budget);
    /* Decommitted pools read as zero: reusing them must carve afresh. */
    for (int i = 0; i < N; i++)
        if (!p[i]) {
            p[i] = rgc_mem_alloc(h, 48);
            memset(p[i], 0x5A, 48);
        }
    free_all_and_end(h, (void **)p, N);
}

static void test_pools_are_backed_once_when_taken_and_again_after_a_decommit(void **state)
{
    (void)state;
    counting_sysmem_t c = {0};
    rgc_sysmem_t sm = counting_sysmem(&c);
    rgc_heap_config_t cfg = {.name = "populated", .sysmem = &sm};
    rgc_heap_t *h = rgc_heap_new(&cfg);
    /* One pool's worth of 64-byte blocks, then one more block: two pools. */
    enum { PER_POOL = RGC_POOL_SIZE / 64 };
    void *p[PER_POOL + 1];
    for (int i = 0; i < PER_POOL + 1; i++)
        p[i] = rgc_mem_alloc(h, 64);
    assert_int_equal(c.populates, 2);
    assert_int_equal(c.populated, 2 * RGC_POOL_SIZE);
    /* The second pool empties and is taken again while still committed:
     * its pages are resident, so nothing is asked of the system. */
    rgc_mem_free(h, p[PER_POOL]);
    p[PER_POOL] = rgc_mem_alloc(h, 64);
    assert_int_equal(c.populates, 2);
    assert_heap_ok(h);
    for (int i = 0; i < PER_POOL + 1; i++)
        rgc_mem_free(h, p[i]);
    rgc_heap_destroy(h);
    assert_int_equal(c.maps, c.unmaps);

    /* Pools purged past the budget are backed again when next taken. */
    c = (counting_sysmem_t){0};
    h = rgc_heap_new(&cfg);
    enum { N = 1 << 18 };
    void **q = malloc(N * sizeof *q);
    for (int i = 0; i < N; i++)
        q[i] = rgc_mem_alloc(h, 64);
    long first = c.populates;
    assert_int_equal(first, (N + PER_POOL - 1) / PER_POOL);
    for (int i = 0; i < N; i++)
        if ((i / 4096) % 10 != 0) {
            rgc_mem_free(h, q[i]);
            q[i] = NULL;
        }
    rgc_heap_stats_t s;
    rgc_heap_stats(h, &s);
    size_t purged = s.pools_free - s.pools_dirty;
    assert_true(purged > 0);
    for (int i = 0; i < N; i++)
        if (!q[i])
            q[i] = rgc_mem_alloc(h, 64);
    assert_true(c.populates > first);
    assert_heap_ok(h);
    for (int i = 0; i < N; i++)
        rgc_mem_free(h, q[i]);
    free(q);
    rgc_heap_destroy(h);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_small_blocks_are_aligned_and_distinct),
        cmocka_unit_test(test_requests_round_up_to_their_16_byte_class),
        cmocka_unit_test(test_freed_block_returns_to_its_pool),
        cmocka_unit_test(test_zero_byte_request_gives_a_unique_block),
        cmocka_unit_test(test_large_blocks_are_recorded_and_freed),
        cmocka_unit_test(test_mapped_bytes_count_each_large_block_as_the_system_holds_it),
        cmocka_unit_test(test_double_free_is_reported_and_leaves_the_heap_intact),
        cmocka_unit_test(test_raw_memory_asked_of_no_heap_is_reported_while_heaps_live),
        cmocka_unit_test(test_user_data_that_looks_freed_is_still_freed),
        cmocka_unit_test(test_foreign_pointers_are_reported_not_freed),
        cmocka_unit_test(test_interior_pointers_are_reported_when_checked),
        cmocka_unit_test(test_realloc_keeps_contents_across_classes_and_sizes),
        cmocka_unit_test(test_empty_arenas_return_to_the_os_keeping_one_spare),
        cmocka_unit_test(test_a_heap_keeps_as_much_empty_memory_as_configured),
        cmocka_unit_test(test_new_pools_come_from_the_fullest_arena),
        cmocka_unit_test(test_arena_headers_sit_at_a_page_chosen_by_the_arena_number),
        cmocka_unit_test(test_empty_pools_beyond_their_budget_are_decommitted),
        cmocka_unit_test(test_pools_are_backed_once_when_taken_and_again_after_a_decommit),
        cmocka_unit_test(test_random_allocation_and_free_keep_every_invariant),
        cmocka_unit_test(test_the_tail_of_a_pool_past_its_last_block_is_not_a_block),
        cmocka_unit_test(test_blocks_freed_into_full_pools_are_allocated_next),
        cmocka_unit_test(test_a_block_freed_into_a_full_pool_is_held_for_the_next_allocation),
        cmocka_unit_test(test_blocks_of_256_bytes_and_more_are_freed_without_being_touched),
        cmocka_unit_test(test_a_pool_emptied_in_random_order_is_carved_anew_when_reused),
        cmocka_unit_test(test_a_free_list_broken_by_a_write_after_free_is_not_kept),
        cmocka_unit_test(test_stale_bytes_in_a_reused_pool_are_not_taken_for_objects),
        cmocka_unit_test(test_fill_bytes_mark_fresh_freed_and_guard_memory),
        cmocka_unit_test(test_statistics_count_blocks_per_class),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
