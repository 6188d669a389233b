/*
 * test_heap.c — heaps: many per process, memory given back on destroy, the
 * shared-heap lock, and the checker catching each kind of damage.
 */
#include "testutil.h"

#include <errno.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>

typedef struct cell {
    RGC_OBJECT_HEAD;
    rgc_object_t *ref;
    int64_t v;
} cell_t;

static const rgc_ref_field_t cell_fields[] = {{"ref", offsetof(cell_t, ref)}};

static rgc_type_t *cell_type(void)
{
    static const rgc_type_spec_t spec = {
        .name = "heap.Cell", .basic_size = sizeof(cell_t), .ref_fields = cell_fields, .n_ref_fields = 1};
    return rgc_type_register(&spec);
}

/* True if [p, p + 4096) is mapped. */
static int is_mapped(const void *p)
{
    return msync((void *)((uintptr_t)p & ~(uintptr_t)4095), 4096, MS_ASYNC) == 0 || errno != ENOMEM;
}

/* The VmFlags line of the mapping holding p, from /proc/self/smaps. */
static int vm_flag(const void *p, const char *flag)
{
    FILE *f = fopen("/proc/self/smaps", "r");
    assert_non_null(f);
    char line[512];
    int in = 0, found = -1;
    uintptr_t a = (uintptr_t)p;
    while (fgets(line, sizeof line, f)) {
        unsigned long lo, hi;
        if (sscanf(line, "%lx-%lx ", &lo, &hi) == 2 && strchr(line, '-') < strchr(line, ' ')) {
            in = a >= lo && a < hi;
            continue;
        }
        if (in && strncmp(line, "VmFlags:", 8) == 0) {
            char pat[8];
            snprintf(pat, sizeof pat, " %s", flag);
            found = strstr(line, pat) != NULL;
            break;
        }
    }
    fclose(f);
    return found;
}

/* True if the 4 KiB page at p is resident. */
static int is_resident(const void *p)
{
    unsigned char v = 0;
    assert_int_equal(mincore((void *)((uintptr_t)p & ~(uintptr_t)4095), 4096, &v), 0);
    return v & 1;
}

/* True if the system gives huge pages to regions that ask for them. */
static int thp_usable(void)
{
    FILE *f = fopen("/sys/kernel/mm/transparent_hugepage/enabled", "r");
    char line[128] = "";
    if (!f)
        return 0;
    if (!fgets(line, sizeof line, f))
        line[0] = 0;
    fclose(f);
    return strstr(line, "[always]") || strstr(line, "[madvise]");
}

#ifndef MADV_POPULATE_WRITE
#define MADV_POPULATE_WRITE 23
#endif

/* True if this kernel backs pages on request (Linux 5.14 and later). */
static int populate_supported(void)
{
    void *m = mmap(NULL, 4096, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
    assert_true(m != MAP_FAILED);
    int ok = madvise(m, 4096, MADV_POPULATE_WRITE) == 0;
    munmap(m, 4096);
    return ok;
}

/* Before any heap exists (this test runs first in its process), a free or
 * an allocation with no heap is reported, not a crash. */
static void test_before_any_heap_a_call_without_a_heap_is_reported(void **state)
{
    (void)state;
    record_errors();
    rgc_mem_free(NULL, NULL); /* nothing to free */
    assert_int_equal(recorded.count, 0);
    rgc_mem_free(NULL, (void *)(uintptr_t)0x12340);
    assert_int_equal(recorded.count, 1);
    assert_int_equal(recorded.last_code, RGC_EINVAL);
    assert_non_null(strstr(recorded.last_message, "rgc_mem_free: not a live heap"));
    assert_null(rgc_mem_alloc(NULL, 16));
    assert_int_equal(recorded.count, 2);
    assert_non_null(strstr(recorded.last_message, "rgc_mem_alloc: not a live heap"));
    rgc_set_error_handler(NULL, NULL);
}

/* The default seam backs a pool about to be used only where its region is
 * on small pages: a huge page is backed whole by its first touch, so asking
 * pool by pool would be a system call for nothing. */
static void test_pools_are_populated_only_in_regions_on_small_pages(void **state)
{
    (void)state;
    const rgc_sysmem_t *sm = rgc_sysmem_default();
    void *got[3] = {NULL, NULL, NULL};
    char *first = NULL;
    for (int i = 0; i < 3 && !first; i++) {
        got[i] = sm->map(sm->ctx, RGC_ARENA_SIZE, RGC_ARENA_SIZE);
        assert_non_null(got[i]);
        if (((uintptr_t)got[i] & (2u * RGC_ARENA_SIZE - 1)) == 0)
            first = got[i];
    }
    assert_non_null(first);
    char *pool = first + 2 * RGC_POOL_SIZE;
    int huge = thp_usable(), populate = populate_supported();
    assert_false(is_resident(pool));
    sm->populate(sm->ctx, pool, RGC_POOL_SIZE);
    /* Populated unless the region is on huge pages. */
    assert_int_equal(is_resident(pool), !huge && populate);
    /* After a decommit the region is on small pages: populated. */
    sm->decommit(sm->ctx, first + RGC_POOL_SIZE, RGC_POOL_SIZE);
    char *later = first + 8 * RGC_POOL_SIZE;
    sm->populate(sm->ctx, later, RGC_POOL_SIZE);
    assert_int_equal(is_resident(later), populate);
    assert_int_equal(is_resident(later + RGC_POOL_SIZE - 1), populate);
    for (int i = 0; i < 3; i++)
        if (got[i])
            sm->unmap(sm->ctx, got[i], RGC_ARENA_SIZE);
}

static void test_arenas_are_mapped_in_pairs_on_huge_page_regions(void **state)
{
    (void)state;
    const rgc_sysmem_t *sm = rgc_sysmem_default();
    /* A waiting half from earlier heaps may come first: take arenas until
     * one starts a fresh 2 MiB region; the next one is its other half. */
    void *first = NULL, *extra[2] = {NULL, NULL};
    for (int i = 0; i < 3 && !first; i++) {
        void *p = sm->map(sm->ctx, RGC_ARENA_SIZE, RGC_ARENA_SIZE);
        assert_non_null(p);
        if (((uintptr_t)p & (2u * RGC_ARENA_SIZE - 1)) == 0)
            first = p;
        else
            extra[i] = p;
    }
    assert_non_null(first);
    char *second = sm->map(sm->ctx, RGC_ARENA_SIZE, RGC_ARENA_SIZE);
    assert_ptr_equal(second, (char *)first + RGC_ARENA_SIZE);
    assert_int_equal(vm_flag(first, "hg"), 1); /* advised for huge pages */
    /* A decommitted pool turns the region back to small pages. */
    memset(second, 1, 3 * RGC_POOL_SIZE);
    sm->decommit(sm->ctx, second + RGC_POOL_SIZE, RGC_POOL_SIZE);
    assert_int_equal(vm_flag(first, "nh"), 1);
    assert_int_equal(second[RGC_POOL_SIZE], 0);
    assert_int_equal(second[0], 1);
    sm->unmap(sm->ctx, first, RGC_ARENA_SIZE);
    assert_false(is_mapped(first));
    assert_true(is_mapped(second));
    sm->unmap(sm->ctx, second, RGC_ARENA_SIZE);
    assert_false(is_mapped(second));

    /* Unmapping the only half handed out takes the waiting half with it. */
    void *lone = NULL;
    for (int i = 0; i < 3 && !lone; i++) {
        void *p = sm->map(sm->ctx, RGC_ARENA_SIZE, RGC_ARENA_SIZE);
        if (((uintptr_t)p & (2u * RGC_ARENA_SIZE - 1)) == 0)
            lone = p;
        else
            sm->unmap(sm->ctx, p, RGC_ARENA_SIZE);
    }
    assert_non_null(lone);
    assert_true(is_mapped((char *)lone + RGC_ARENA_SIZE));
    sm->unmap(sm->ctx, lone, RGC_ARENA_SIZE);
    assert_false(is_mapped(lone));
    assert_false(is_mapped((char *)lone + RGC_ARENA_SIZE));
    for (int i = 0; i < 2; i++)
        if (extra[i])
            sm->unmap(sm->ctx, extra[i], RGC_ARENA_SIZE);
}

/* A large block of 4 MiB or more gets a 2 MiB-aligned mapping of its own,
 * advised for huge pages, unmapped when it is freed; smaller ones and a
 * small-pages heap's do not. */
static void test_big_large_blocks_sit_on_huge_pages_of_their_own(void **state)
{
    (void)state;
    rgc_heap_t *h = rgc_heap_new(NULL);
    size_t n = (size_t)5 << 20;
    char *big = rgc_mem_alloc(h, n);
    assert_non_null(big);
    /* The block's small header starts the 2 MiB-aligned mapping. */
    char *start = (char *)((uintptr_t)big & ~(uintptr_t)((2u << 20) - 1));
    assert_true(big - start > 0 && big - start <= 64);
    assert_int_equal(vm_flag(big, "hg"), 1);
    memset(big, 7, n);
    assert_int_equal(rgc_mem_usable_size(h, big), n);
    char *mid = rgc_mem_alloc(h, (size_t)1 << 20);
    assert_non_null(mid);
    assert_int_equal(vm_flag(mid, "hg"), 0);
    rgc_mem_free(h, big);
    assert_false(is_mapped(start));
    rgc_mem_free(h, mid);
    assert_heap_ok(h);
    rgc_heap_destroy(h);

    rgc_heap_config_t cfg = {.flags = RGC_HEAP_SMALL_PAGES, .name = "small pages"};
    h = rgc_heap_new(&cfg);
    big = rgc_mem_alloc(h, n);
    assert_non_null(big);
    assert_int_equal(vm_flag(big, "hg"), 0);
    rgc_mem_free(h, big);
    rgc_heap_destroy(h);
}

static void test_a_small_pages_heap_maps_arenas_one_at_a_time(void **state)
{
    (void)state;
    rgc_heap_config_t cfg = {.flags = RGC_HEAP_SMALL_PAGES, .name = "small pages"};
    rgc_heap_t *h = rgc_heap_new(&cfg);
    assert_non_null(h);
    void *p = rgc_mem_alloc(h, 64);
    assert_non_null(p);
    void *arena = (void *)((uintptr_t)p & ~(uintptr_t)(RGC_ARENA_SIZE - 1));
    assert_int_equal(vm_flag(arena, "hg"), 0);
    rgc_mem_free(h, p);
    assert_heap_ok(h);
    rgc_heap_destroy(h);
    assert_false(is_mapped(arena));
}

static void test_destroying_a_heap_gives_back_all_its_memory(void **state)
{
    (void)state;
    counting_sysmem_t c = {0};
    rgc_sysmem_t sm = counting_sysmem(&c);
    rgc_heap_config_t cfg = {.name = "counted", .sysmem = &sm};
    rgc_heap_t *h = rgc_heap_new(&cfg);
    assert_string_equal(rgc_heap_name(h), "counted");
    for (int i = 0; i < 100000; i++) {
        cell_t *o = rgc_new(h, cell_type()); /* leaked on purpose */
        o->v = i;
        rgc_mem_alloc(h, (size_t)(i % 700));
    }
    assert_true(c.maps > 1);
    assert_true(c.allocs > 1);
    assert_heap_ok(h);
    rgc_heap_destroy(h);
    assert_int_equal(c.maps, c.unmaps);
    assert_int_equal(c.allocs, c.frees);
    assert_int_equal(c.mapped, 0);
    assert_int_equal(c.allocated, 0);
}

static void test_heaps_are_independent(void **state)
{
    (void)state;
    rgc_heap_t *h[8];
    cell_t *o[8];
    for (int i = 0; i < 8; i++) {
        h[i] = rgc_heap_new(NULL);
        o[i] = rgc_new(h[i], cell_type());
        o[i]->v = i;
    }
    for (int i = 0; i < 8; i += 2)
        rgc_heap_destroy(h[i]);
    for (int i = 1; i < 8; i += 2) {
        assert_ptr_equal(rgc_heap_of(o[i]), h[i]);
        assert_int_equal(o[i]->v, i);
        rgc_heap_stats_t s;
        rgc_heap_stats(h[i], &s);
        assert_int_equal(s.objects, 1);
        assert_heap_ok(h[i]);
        rgc_decref(o[i]);
        rgc_heap_destroy(h[i]);
    }
    rgc_heap_destroy(NULL); /* a no-op */
}

typedef struct worker {
    rgc_heap_t *h;
    cell_t *shared;
    int seed;
} worker_t;

static void *work(void *arg)
{
    worker_t *w = arg;
    unsigned seed = (unsigned)w->seed;
    for (int i = 0; i < 20000; i++) {
        rgc_heap_lock(w->h);
        cell_t *o = rgc_new(w->h, cell_type());
        o->ref = rgc_newref(w->shared);
        void *raw = rgc_mem_alloc(w->h, (size_t)(rand_r(&seed) % 600));
        rgc_mem_free(w->h, raw);
        rgc_decref(o);
        rgc_heap_unlock(w->h);
    }
    return NULL;
}

static void test_a_shared_heap_is_safe_under_its_lock(void **state)
{
    (void)state;
    rgc_heap_config_t cfg = {.flags = RGC_HEAP_SHARED, .name = "shared"};
    rgc_heap_t *h = rgc_heap_new(&cfg);
    cell_t *shared = rgc_new(h, cell_type());
    pthread_t t[4];
    worker_t w[4];
    for (int i = 0; i < 4; i++) {
        w[i] = (worker_t){h, shared, i + 1};
        pthread_create(&t[i], NULL, work, &w[i]);
    }
    for (int i = 0; i < 4; i++)
        pthread_join(t[i], NULL);
    assert_int_equal(rgc_refcount(shared), 1);
    rgc_heap_stats_t s;
    rgc_heap_stats(h, &s);
    assert_int_equal(s.objects, 1);
    assert_heap_ok(h);
    rgc_decref(shared);
    rgc_heap_destroy(h);
}

/* Runs the checker, expects it to fail, and returns its address. */
static const void *expect_damage(rgc_heap_t *h, const char *needle)
{
    rgc_check_result_t r;
    assert_int_equal(rgc_heap_check(h, &r), -1);
    assert_int_equal(r.code, RGC_ECORRUPT);
    if (!strstr(r.message, needle))
        fail_msg("checker said '%s', expected it to mention '%s'", r.message, needle);
    return r.address;
}

static void test_the_checker_finds_a_free_list_leaving_its_pool(void **state)
{
    (void)state;
    rgc_heap_t *h = rgc_heap_new(NULL);
    void *keep = rgc_mem_alloc(h, 64);
    void **p = rgc_mem_alloc(h, 64);
    rgc_mem_free(h, p);
    void *saved = p[1];
    static char elsewhere[64];
    p[1] = elsewhere; /* a use-after-free overwrote the link */
    expect_damage(h, "free list");
    p[1] = saved;
    assert_heap_ok(h);
    rgc_mem_free(h, keep);
    rgc_heap_destroy(h);
}

static void test_the_checker_finds_a_write_to_a_freed_block(void **state)
{
    (void)state;
    rgc_heap_t *h = rgc_heap_new(NULL);
    void *keep = rgc_mem_alloc(h, 64);
    uint64_t *p = rgc_mem_alloc(h, 64);
    rgc_mem_free(h, p);
    uint64_t saved = p[0];
    p[0] = 42;
    assert_ptr_equal(expect_damage(h, "written after it was freed"), p);
    p[0] = saved;
    assert_heap_ok(h);
    rgc_mem_free(h, keep);
    rgc_heap_destroy(h);
}

static void test_the_checker_finds_an_object_with_a_bad_type(void **state)
{
    (void)state;
    rgc_heap_t *h = rgc_heap_new(NULL);
    cell_t *o = rgc_new(h, cell_type());
    uint32_t saved = o->ob_base.type_id;
    o->ob_base.type_id = 999999;
    assert_ptr_equal(expect_damage(h, "unknown type id"), o);
    o->ob_base.type_id = saved;
    assert_heap_ok(h);
    rgc_decref(o);
    rgc_heap_destroy(h);
}

static void test_the_checker_finds_a_misfiled_generation_member(void **state)
{
    (void)state;
    rgc_heap_t *h = rgc_heap_new(NULL);
    cell_t *a = rgc_new(h, cell_type());
    cell_t *b = rgc_new(h, cell_type());
    uint32_t saved = a->ob_base.gc_index;
    a->ob_base.gc_index = b->ob_base.gc_index;
    expect_damage(h, "generation");
    a->ob_base.gc_index = saved;
    assert_heap_ok(h);
    rgc_decref(a);
    rgc_decref(b);
    rgc_heap_destroy(h);
}

static void test_the_checker_finds_a_damaged_arena_header(void **state)
{
    (void)state;
    rgc_heap_t *h = rgc_heap_new(NULL);
    void *p = rgc_mem_alloc(h, 16);
    /* The arena's fields: the header pool's descriptor (64 bytes each). */
    uint64_t *arena = (uint64_t *)(arena_header_of(p) + 64u * arena_header_pool_of(p));
    uint64_t saved = arena[0];
    arena[0] = 0;
    assert_ptr_equal(expect_damage(h, "arena header damaged"), arena);
    arena[0] = saved;
    assert_heap_ok(h);
    rgc_mem_free(h, p);
    rgc_heap_destroy(h);
}

static void test_the_checker_finds_a_miscounted_low_water_mark(void **state)
{
    (void)state;
    rgc_heap_t *h = rgc_heap_new(NULL);
    void *p = rgc_mem_alloc(h, 16);
    /* Byte 15 of the arena's fields: its count of pools past their
     * low-water mark (docs/internals/allocator.md, "Sparse arenas"). */
    uint8_t *low = (uint8_t *)(arena_header_of(p) + 64u * arena_header_pool_of(p)) + 15;
    assert_int_equal(*low, 0);
    *low = 3;
    expect_damage(h, "low-water mark");
    *low = 0;
    assert_heap_ok(h);
    rgc_mem_free(h, p);
    rgc_heap_destroy(h);
}

static void test_the_checker_rejects_what_is_not_a_heap(void **state)
{
    (void)state;
    rgc_check_result_t r;
    assert_int_equal(rgc_heap_check(NULL, &r), -1);
    static uint64_t junk[64];
    assert_int_equal(rgc_heap_check((rgc_heap_t *)junk, &r), -1);
    assert_ptr_equal(r.address, junk);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_before_any_heap_a_call_without_a_heap_is_reported), /* first */
        cmocka_unit_test(test_destroying_a_heap_gives_back_all_its_memory),
        cmocka_unit_test(test_arenas_are_mapped_in_pairs_on_huge_page_regions),
        cmocka_unit_test(test_pools_are_populated_only_in_regions_on_small_pages),
        cmocka_unit_test(test_a_small_pages_heap_maps_arenas_one_at_a_time),
        cmocka_unit_test(test_big_large_blocks_sit_on_huge_pages_of_their_own),
        cmocka_unit_test(test_heaps_are_independent),
        cmocka_unit_test(test_a_shared_heap_is_safe_under_its_lock),
        cmocka_unit_test(test_the_checker_finds_a_free_list_leaving_its_pool),
        cmocka_unit_test(test_the_checker_finds_a_write_to_a_freed_block),
        cmocka_unit_test(test_the_checker_finds_an_object_with_a_bad_type),
        cmocka_unit_test(test_the_checker_finds_a_misfiled_generation_member),
        cmocka_unit_test(test_the_checker_finds_a_damaged_arena_header),
        cmocka_unit_test(test_the_checker_finds_a_miscounted_low_water_mark),
        cmocka_unit_test(test_the_checker_rejects_what_is_not_a_heap),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
