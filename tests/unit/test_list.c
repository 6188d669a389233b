/*
 * test_list.c — the built-in list: reference counts (the seed's a = [1, 2,
 * 3] walk-through), ownership of set/append/insert/pop, index errors,
 * growth to 100k items, rgc_sizeof, and failed growth that leaves the list
 * untouched.
 */
#include "testutil.h"

#include <stdbool.h>


/* A list of the given (uncached, so distinct) int values, each owned only
 * by the list. */
static void *list_of_ints(rgc_heap_t *h, const int64_t *values, size_t n)
{
    void *l = rgc_list_new(h, 0);
    assert_non_null(l);
    for (size_t i = 0; i < n; i++) {
        void *v = rgc_int_new(h, values[i]);
        assert_non_null(v);
        assert_int_equal(rgc_list_append(l, v), 0);
        rgc_decref(v);
    }
    return l;
}

static void assert_values(const void *l, const int64_t *want, size_t n)
{
    assert_int_equal(rgc_list_len(l), n);
    for (size_t i = 0; i < n; i++)
        assert_true(rgc_int_value(rgc_list_get(l, i)) == want[i]);
}

/* a = [1, 2, 3]; b = a; c = [a]; del b; c.pop() — in C terms. */
static void test_refcounts_follow_the_python_walkthrough(void **state)
{
    (void)state;
    rgc_heap_t *h = rgc_heap_new(NULL);
    void *small[3];
    for (int i = 0; i < 3; i++)
        small[i] = rgc_int_new(h, i + 1); /* the heap's immortal 1, 2, 3 */
    size_t before = live_objects(h);
    void *a = rgc_list_new(h, 0);
    for (int i = 0; i < 3; i++)
        assert_int_equal(rgc_list_append(a, small[i]), 0);
    assert_int_equal(rgc_refcount(a), 1);

    void *b = rgc_newref(a);
    assert_int_equal(rgc_refcount(a), 2);

    void *c = rgc_list_new(h, 0);
    assert_int_equal(rgc_list_append(c, a), 0);
    assert_int_equal(rgc_refcount(a), 3);

    rgc_decref(b);
    assert_int_equal(rgc_refcount(a), 2);

    void *popped = rgc_list_pop(c, SIZE_MAX);
    assert_ptr_equal(popped, a);
    assert_int_equal(rgc_refcount(a), 2); /* the list's reference is now ours */
    rgc_decref(popped);
    assert_int_equal(rgc_refcount(a), 1);
    assert_int_equal(rgc_list_len(c), 0);

    rgc_decref(c);
    rgc_decref(a);
    assert_int_equal(live_objects(h), before);
    assert_heap_ok(h);
    rgc_heap_destroy(h);
}

static void test_pop_hands_over_the_lists_reference(void **state)
{
    (void)state;
    rgc_heap_t *h = rgc_heap_new(NULL);
    size_t before = live_objects(h);
    void *l = rgc_list_new(h, 0);
    void *item = rgc_int_new(h, 1000);
    assert_int_equal(rgc_list_append(l, item), 0);
    assert_int_equal(rgc_refcount(item), 2);
    rgc_decref(item);
    assert_int_equal(rgc_refcount(item), 1); /* only the list holds it */

    void *p = rgc_list_pop(l, 0);
    assert_ptr_equal(p, item);
    assert_int_equal(rgc_refcount(p), 1);
    assert_int_equal(rgc_list_len(l), 0);
    assert_int_equal(live_objects(h), before + 2);
    rgc_decref(p); /* the last reference: the int goes */
    assert_int_equal(live_objects(h), before + 1);

    rgc_decref(l);
    assert_int_equal(live_objects(h), before);
    assert_heap_ok(h);
    rgc_heap_destroy(h);
}

static void test_pop_takes_from_the_end_or_the_middle(void **state)
{
    (void)state;
    rgc_heap_t *h = rgc_heap_new(NULL);
    const int64_t v[] = {1000, 1001, 1002, 1003, 1004};
    void *l = list_of_ints(h, v, 5);

    void *last = rgc_list_pop(l, SIZE_MAX);
    assert_true(rgc_int_value(last) == 1004);
    void *mid = rgc_list_pop(l, 1);
    assert_true(rgc_int_value(mid) == 1001);
    const int64_t left[] = {1000, 1002, 1003};
    assert_values(l, left, 3);

    rgc_decref(last);
    rgc_decref(mid);
    rgc_decref(l);
    assert_heap_ok(h);
    rgc_heap_destroy(h);
}

static void test_insert_shifts_items_and_accepts_the_end(void **state)
{
    (void)state;
    rgc_heap_t *h = rgc_heap_new(NULL);
    const int64_t v[] = {1001, 1003};
    void *l = list_of_ints(h, v, 2);
    void *x0 = rgc_int_new(h, 1000), *x2 = rgc_int_new(h, 1002), *x4 = rgc_int_new(h, 1004);
    assert_int_equal(rgc_list_insert(l, 0, x0), 0);
    assert_int_equal(rgc_list_insert(l, 2, x2), 0);
    assert_int_equal(rgc_list_insert(l, 4, x4), 0); /* i == len appends */
    const int64_t want[] = {1000, 1001, 1002, 1003, 1004};
    assert_values(l, want, 5);
    assert_int_equal(rgc_refcount(x2), 2);
    rgc_decref(x0);
    rgc_decref(x2);
    rgc_decref(x4);
    rgc_decref(l);
    assert_heap_ok(h);
    rgc_heap_destroy(h);
}

static void test_set_stores_the_new_item_and_drops_the_old(void **state)
{
    (void)state;
    rgc_heap_t *h = rgc_heap_new(NULL);
    size_t before = live_objects(h);
    void *l = rgc_list_new(h, 0);
    void *old = rgc_int_new(h, 5000), *new = rgc_int_new(h, 6000);
    assert_int_equal(rgc_list_append(l, old), 0);
    assert_int_equal(rgc_refcount(old), 2);

    assert_int_equal(rgc_list_set(l, 0, new), 0);
    assert_ptr_equal(rgc_list_get(l, 0), new);
    assert_int_equal(rgc_refcount(new), 2);
    assert_int_equal(rgc_refcount(old), 1);

    /* Setting the item already there keeps it alive throughout. */
    rgc_decref(new);
    assert_int_equal(rgc_list_set(l, 0, new), 0);
    assert_int_equal(rgc_refcount(new), 1);
    assert_true(rgc_int_value(rgc_list_get(l, 0)) == 6000);

    rgc_decref(old);
    rgc_decref(l);
    assert_int_equal(live_objects(h), before);
    assert_heap_ok(h);
    rgc_heap_destroy(h);
}

static void test_an_index_out_of_range_is_a_key_error(void **state)
{
    (void)state;
    rgc_heap_t *h = rgc_heap_new(NULL);
    const int64_t v[] = {1000, 1001, 1002};
    void *l = list_of_ints(h, v, 3);
    void *x = rgc_int_new(h, 7);
    record_errors();

    assert_null(rgc_list_get(l, 3));
    assert_int_equal(recorded.last_code, RGC_EKEY);
    assert_int_equal(rgc_list_set(l, 3, x), -1);
    assert_int_equal(rgc_list_insert(l, 4, x), -1);
    assert_null(rgc_list_pop(l, 3));
    assert_int_equal(recorded.count, 4);
    assert_int_equal(recorded.last_code, RGC_EKEY);
    assert_string_equal(recorded.last_type, "list");
    assert_values(l, v, 3);

    void *empty = rgc_list_new(h, 0);
    assert_null(rgc_list_pop(empty, SIZE_MAX));
    assert_int_equal(recorded.count, 5);
    assert_int_equal(recorded.last_code, RGC_EKEY);

    rgc_set_error_handler(NULL, NULL);
    rgc_decref(empty);
    rgc_decref(l);
    assert_heap_ok(h);
    rgc_heap_destroy(h);
}

static void test_bad_arguments_are_reported_and_change_nothing(void **state)
{
    (void)state;
    rgc_heap_t *h = rgc_heap_new(NULL);
    void *l = rgc_list_new(h, 0);
    void *notalist = rgc_int_new(h, 1000);
    record_errors();

    assert_int_equal(rgc_list_append(NULL, notalist), -1);
    assert_int_equal(recorded.last_code, RGC_EINVAL);
    assert_int_equal(rgc_list_append(notalist, notalist), -1);
    assert_int_equal(recorded.last_code, RGC_EINVAL);
    assert_string_equal(recorded.last_type, "int");
    assert_int_equal(rgc_list_append(l, NULL), -1);
    assert_int_equal(rgc_list_insert(l, 0, NULL), -1);
    assert_int_equal(rgc_list_len(notalist), 0);
    assert_null(rgc_list_get(notalist, 0));
    assert_null(rgc_list_pop(NULL, 0));
    rgc_list_clear(notalist);
    assert_int_equal(recorded.count, 8);
    assert_int_equal(recorded.last_code, RGC_EINVAL);
    assert_int_equal(rgc_list_len(l), 0);
    assert_int_equal(rgc_refcount(notalist), 1);

    rgc_set_error_handler(NULL, NULL);
    rgc_decref(notalist);
    rgc_decref(l);
    assert_heap_ok(h);
    rgc_heap_destroy(h);
}

static void test_a_list_grows_to_100k_items_with_bounded_slack(void **state)
{
    (void)state;
    enum { N = 100000 };
    rgc_heap_t *h = rgc_heap_new(NULL);
    size_t before = live_objects(h);
    void *l = rgc_list_new(h, 0);
    size_t empty_size = rgc_sizeof(l);
    size_t grew = 0, last_size = empty_size;
    for (int64_t i = 0; i < N; i++) {
        void *v = rgc_int_new(h, 1000 + i);
        assert_int_equal(rgc_list_append(l, v), 0);
        rgc_decref(v);
        size_t s = rgc_sizeof(l);
        if (s != last_size)
            grew++;
        last_size = s;
    }
    assert_int_equal(rgc_list_len(l), N);
    assert_int_equal(live_objects(h), before + 1 + N);
    for (size_t i = 0; i < N; i += 997)
        assert_true(rgc_int_value(rgc_list_get(l, i)) == 1000 + (int64_t)i);
    assert_true(rgc_int_value(rgc_list_get(l, N - 1)) == 1000 + N - 1);

    /* Amortized growth: few reallocations, at most ~1/8 slack (plus the
     * large-block header). */
    size_t items = rgc_sizeof(l) - empty_size;
    print_message("100k items: %zu reallocations, item block %zu bytes (%.3f x the items)\n",
                  grew, items, (double)items / (N * sizeof(void *)));
    assert_true(items >= N * sizeof(void *));
    assert_true(items <= N * sizeof(void *) * 9 / 8 + 256);
    assert_true(grew < 120);

    /* Popping most items gives memory back. */
    for (int i = 0; i < N - 10; i++)
        rgc_decref(rgc_list_pop(l, SIZE_MAX));
    assert_int_equal(rgc_list_len(l), 10);
    assert_true(rgc_sizeof(l) - empty_size < 1024);

    rgc_list_clear(l);
    assert_int_equal(rgc_list_len(l), 0);
    assert_int_equal(rgc_sizeof(l), empty_size);
    assert_int_equal(live_objects(h), before + 1);
    rgc_decref(l);
    assert_int_equal(live_objects(h), before);
    assert_heap_ok(h);
    rgc_heap_destroy(h);
}

static void test_sizeof_counts_the_item_block(void **state)
{
    (void)state;
    rgc_heap_t *h = rgc_heap_new(NULL);
    void *empty = rgc_list_new(h, 0);
    void *sized = rgc_list_new(h, 100);
    size_t block = rgc_sizeof(empty);
    assert_true(block >= 40 && block <= 48); /* header + len + cap + items */
    assert_true(rgc_sizeof(sized) >= block + 100 * sizeof(void *));
    assert_int_equal(rgc_list_len(sized), 0);
    rgc_decref(empty);
    rgc_decref(sized);
    assert_heap_ok(h);
    rgc_heap_destroy(h);
}

static void test_freeing_a_list_drops_every_item(void **state)
{
    (void)state;
    rgc_heap_t *h = rgc_heap_new(NULL);
    size_t before = live_objects(h);
    const int64_t v[] = {1000, 2000, 3000, 4000, 5000, 6000, 7000, 8000, 9000, 10000};
    void *inner = list_of_ints(h, v, 10);
    void *outer = rgc_list_new(h, 0);
    assert_int_equal(rgc_list_append(outer, inner), 0);
    rgc_decref(inner);
    assert_int_equal(live_objects(h), before + 12);
    rgc_decref(outer);
    assert_int_equal(live_objects(h), before);
    assert_heap_ok(h);
    rgc_heap_destroy(h);
}

/* Each container's dealloc runs from the runtime's queue once destruction
 * nests deeply; a chain this long would overflow the stack otherwise. */
static void test_a_chain_of_100k_nested_lists_and_dicts_is_freed(void **state)
{
    (void)state;
    enum { N = 100000 };
    rgc_heap_t *h = rgc_heap_new(NULL);
    void *key = rgc_str_intern(h, "next");
    size_t before = live_objects(h);
    void *head = rgc_list_new(h, 0);
    for (int i = 0; i < N; i++) {
        void *outer = i % 2 ? rgc_list_new(h, 1) : rgc_dict_new(h);
        int r = i % 2 ? rgc_list_append(outer, head) : rgc_dict_set(outer, key, head);
        assert_int_equal(r, 0);
        rgc_decref(head);
        head = outer;
    }
    assert_int_equal(live_objects(h), before + N + 1);
    rgc_decref(head);
    assert_int_equal(live_objects(h), before);
    assert_heap_ok(h);
    rgc_heap_destroy(h);
}

static void test_clearing_a_self_cycle_frees_the_list_mid_clear(void **state)
{
    (void)state;
    rgc_heap_t *h = rgc_heap_new(NULL);
    size_t before = live_objects(h);
    void *l = rgc_list_new(h, 0);
    assert_int_equal(rgc_list_append(l, l), 0);
    assert_int_equal(rgc_refcount(l), 2);
    rgc_decref(l);
    /* Unreachable from C but alive: the leak the collector will fix. */
    assert_int_equal(rgc_refcount(l), 1);
    assert_int_equal(live_objects(h), before + 1);
    assert_heap_ok(h);
    /* Breaking it by hand: the list's last reference is its own item. */
    rgc_list_clear(l);
    assert_int_equal(live_objects(h), before);
    assert_heap_ok(h);
    rgc_heap_destroy(h);
}

static void test_a_list_is_tracked_and_unhashable(void **state)
{
    (void)state;
    rgc_heap_t *h = rgc_heap_new(NULL);
    void *l = rgc_list_new(h, 0);
    assert_true(rgc_is(l, rgc_list_type()));
    assert_true(rgc_is_tracked(l));
    record_errors();
    uint64_t hv;
    assert_int_equal(rgc_hash(l, &hv), -1);
    assert_int_equal(recorded.last_code, RGC_EUNHASHABLE);
    rgc_set_error_handler(NULL, NULL);
    rgc_decref(l);
    assert_heap_ok(h);
    rgc_heap_destroy(h);
}

static void test_repr_shows_the_length(void **state)
{
    (void)state;
    rgc_heap_t *h = rgc_heap_new(NULL);
    const int64_t v[] = {1, 2, 3};
    void *l = list_of_ints(h, v, 3);
    char buf[32];
    rgc_repr(l, buf, sizeof buf);
    assert_string_equal(buf, "list[3]");
    rgc_decref(l);
    assert_heap_ok(h);
    rgc_heap_destroy(h);
}

/* ---- failed growth */

typedef struct failing_sysmem {
    bool fail_alloc; /* fail every large-block allocation while set */
    int failures;
} failing_sysmem_t;

static void *fs_map(void *ctx, size_t size, size_t align)
{
    (void)ctx;
    const rgc_sysmem_t *d = rgc_sysmem_default();
    return d->map(d->ctx, size, align);
}

static void fs_unmap(void *ctx, void *p, size_t size)
{
    (void)ctx;
    const rgc_sysmem_t *d = rgc_sysmem_default();
    d->unmap(d->ctx, p, size);
}

static void fs_decommit(void *ctx, void *p, size_t size)
{
    (void)ctx;
    const rgc_sysmem_t *d = rgc_sysmem_default();
    if (d->decommit)
        d->decommit(d->ctx, p, size);
}

static void *fs_alloc(void *ctx, size_t size)
{
    failing_sysmem_t *f = ctx;
    if (f->fail_alloc) {
        f->failures++;
        return NULL;
    }
    const rgc_sysmem_t *d = rgc_sysmem_default();
    return d->alloc(d->ctx, size);
}

static void fs_free(void *ctx, void *p, size_t size)
{
    (void)ctx;
    const rgc_sysmem_t *d = rgc_sysmem_default();
    d->free(d->ctx, p, size);
}

static void test_failed_growth_leaves_the_list_unchanged(void **state)
{
    (void)state;
    failing_sysmem_t f = {0};
    rgc_sysmem_t sm = {fs_map, fs_unmap, fs_decommit, fs_alloc, fs_free, &f, NULL};
    rgc_heap_config_t cfg = {.name = "failing", .sysmem = &sm};
    rgc_heap_t *h = rgc_heap_new(&cfg);
    assert_non_null(h);
    /* 64 slots fill a 512-byte small block; the 65th item needs a large
     * block, which comes from sysmem.alloc. */
    void *l = rgc_list_new(h, 64);
    int64_t v[64];
    for (int i = 0; i < 64; i++) {
        v[i] = 1000 + i;
        void *x = rgc_int_new(h, v[i]);
        assert_int_equal(rgc_list_append(l, x), 0);
        rgc_decref(x);
    }
    size_t size = rgc_sizeof(l);
    void *extra = rgc_int_new(h, 99999);

    record_errors();
    f.fail_alloc = true;
    assert_int_equal(rgc_list_append(l, extra), -1);
    assert_int_equal(rgc_list_insert(l, 0, extra), -1);
    f.fail_alloc = false;
    assert_true(f.failures >= 2);
    assert_int_equal(recorded.last_code, RGC_ENOMEM);
    assert_int_equal(rgc_refcount(extra), 1);
    assert_int_equal(rgc_sizeof(l), size);
    assert_values(l, v, 64);
    assert_heap_ok(h);

    assert_int_equal(rgc_list_append(l, extra), 0);
    assert_int_equal(rgc_list_len(l), 65);
    rgc_set_error_handler(NULL, NULL);
    rgc_decref(extra);
    rgc_decref(l);
    assert_heap_ok(h);
    rgc_heap_destroy(h);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_refcounts_follow_the_python_walkthrough),
        cmocka_unit_test(test_pop_hands_over_the_lists_reference),
        cmocka_unit_test(test_pop_takes_from_the_end_or_the_middle),
        cmocka_unit_test(test_insert_shifts_items_and_accepts_the_end),
        cmocka_unit_test(test_set_stores_the_new_item_and_drops_the_old),
        cmocka_unit_test(test_an_index_out_of_range_is_a_key_error),
        cmocka_unit_test(test_bad_arguments_are_reported_and_change_nothing),
        cmocka_unit_test(test_a_list_grows_to_100k_items_with_bounded_slack),
        cmocka_unit_test(test_sizeof_counts_the_item_block),
        cmocka_unit_test(test_freeing_a_list_drops_every_item),
        cmocka_unit_test(test_a_chain_of_100k_nested_lists_and_dicts_is_freed),
        cmocka_unit_test(test_clearing_a_self_cycle_frees_the_list_mid_clear),
        cmocka_unit_test(test_a_list_is_tracked_and_unhashable),
        cmocka_unit_test(test_repr_shows_the_length),
        cmocka_unit_test(test_failed_growth_leaves_the_list_unchanged),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
