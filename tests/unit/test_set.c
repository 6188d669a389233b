/*
 * test_set.c — the built-in set: add / contains / discard, ownership of
 * keys, equal keys of different objects and types, unhashable keys,
 * insertion order, 50k keys, rgc_sizeof and argument checks.
 */
#include "testutil.h"


static int contains_int(rgc_heap_t *h, const void *s, int64_t v)
{
    void *k = rgc_int_new(h, v);
    int r = rgc_set_contains(s, k);
    rgc_decref(k);
    return r;
}

static void test_add_contains_and_discard(void **state)
{
    (void)state;
    rgc_heap_t *h = rgc_heap_new(NULL);
    size_t before = live_objects(h);
    void *s = rgc_set_new(h);
    void *a = rgc_int_new(h, 1000), *b = rgc_str_from_cstr(h, "b");
    assert_int_equal(rgc_set_add(s, a), 0);
    assert_int_equal(rgc_set_add(s, b), 0);
    assert_int_equal(rgc_set_len(s), 2);
    assert_int_equal(rgc_refcount(a), 2);
    assert_int_equal(rgc_set_contains(s, a), 1);
    assert_int_equal(contains_int(h, s, 1000), 1); /* an equal, distinct int */
    assert_int_equal(contains_int(h, s, 1001), 0);

    /* Adding an equal key keeps the first object and takes no reference. */
    void *a2 = rgc_int_new(h, 1000);
    assert_int_equal(rgc_set_add(s, a2), 0);
    assert_int_equal(rgc_set_len(s), 2);
    assert_int_equal(rgc_refcount(a2), 1);
    size_t pos = 0;
    void *k;
    assert_true(rgc_set_next(s, &pos, &k));
    assert_ptr_equal(k, a);

    /* Discarding by an equal key drops the set's reference to the stored one. */
    assert_int_equal(rgc_set_discard(s, a2), 1);
    assert_int_equal(rgc_refcount(a), 1);
    assert_int_equal(rgc_set_discard(s, a2), 0);
    assert_int_equal(rgc_set_contains(s, a), 0);
    assert_int_equal(rgc_set_len(s), 1);

    rgc_decref(a);
    rgc_decref(a2);
    rgc_decref(b);
    rgc_decref(s);
    assert_int_equal(live_objects(h), before);
    assert_heap_ok(h);
    rgc_heap_destroy(h);
}

static void test_an_int_and_an_equal_float_are_one_member(void **state)
{
    (void)state;
    rgc_heap_t *h = rgc_heap_new(NULL);
    void *s = rgc_set_new(h);
    void *i = rgc_int_new(h, 3), *f = rgc_float_new(h, 3.0), *g = rgc_float_new(h, 3.5);
    assert_int_equal(rgc_set_add(s, i), 0);
    assert_int_equal(rgc_set_add(s, f), 0);
    assert_int_equal(rgc_set_len(s), 1);
    assert_int_equal(rgc_set_contains(s, f), 1);
    assert_int_equal(rgc_set_contains(s, g), 0);
    assert_int_equal(rgc_set_discard(s, f), 1);
    assert_int_equal(rgc_set_len(s), 0);
    rgc_decref(f);
    rgc_decref(g);
    rgc_decref(s);
    assert_heap_ok(h);
    rgc_heap_destroy(h);
}

static void test_an_unhashable_key_is_rejected(void **state)
{
    (void)state;
    rgc_heap_t *h = rgc_heap_new(NULL);
    void *s = rgc_set_new(h), *l = rgc_list_new(h, 0), *other = rgc_set_new(h);
    record_errors();
    assert_int_equal(rgc_set_add(s, l), -1);
    assert_int_equal(recorded.last_code, RGC_EUNHASHABLE);
    assert_string_equal(recorded.last_type, "list");
    assert_int_equal(rgc_set_add(s, other), -1); /* sets are unhashable too */
    assert_string_equal(recorded.last_type, "set");
    assert_int_equal(rgc_set_contains(s, l), -1);
    assert_int_equal(rgc_set_discard(s, l), -1);
    assert_int_equal(recorded.count, 4);
    assert_int_equal(recorded.last_code, RGC_EUNHASHABLE);
    assert_int_equal(rgc_set_len(s), 0);
    assert_int_equal(rgc_refcount(l), 1);
    rgc_set_error_handler(NULL, NULL);
    rgc_decref(l);
    rgc_decref(other);
    rgc_decref(s);
    assert_heap_ok(h);
    rgc_heap_destroy(h);
}

static void test_iteration_keeps_insertion_order_across_discards(void **state)
{
    (void)state;
    rgc_heap_t *h = rgc_heap_new(NULL);
    void *s = rgc_set_new(h);
    for (int64_t v = 1000; v < 1200; v++) {
        void *k = rgc_int_new(h, v);
        assert_int_equal(rgc_set_add(s, k), 0);
        rgc_decref(k);
    }
    for (int64_t v = 1000; v < 1200; v++)
        if (v % 5 != 0) {
            void *k = rgc_int_new(h, v);
            assert_int_equal(rgc_set_discard(s, k), 1);
            rgc_decref(k);
        }
    for (int64_t v = 999; v >= 900; v--) { /* more rebuilds */
        void *k = rgc_int_new(h, v);
        assert_int_equal(rgc_set_add(s, k), 0);
        rgc_decref(k);
    }
    size_t pos = 0, n = 0;
    void *k;
    int64_t want = 1000;
    while (rgc_set_next(s, &pos, &k)) {
        assert_true(rgc_int_value(k) == want);
        want = want >= 1000 ? (want + 5 < 1200 ? want + 5 : 999) : want - 1;
        n++;
    }
    assert_int_equal(n, 40 + 100);
    assert_int_equal(rgc_set_len(s), n);
    rgc_decref(s);
    assert_heap_ok(h);
    rgc_heap_destroy(h);
}

static void test_50k_keys_are_found_and_discarded(void **state)
{
    (void)state;
    enum { N = 50000 };
    rgc_heap_t *h = rgc_heap_new(NULL);
    size_t before = live_objects(h);
    void *s = rgc_set_new(h);
    for (int64_t v = 0; v < N; v++) {
        void *k = rgc_int_new(h, v * 1024 + 1000); /* low bits alike: probing must mix */
        assert_int_equal(rgc_set_add(s, k), 0);
        rgc_decref(k);
    }
    assert_int_equal(rgc_set_len(s), N);
    assert_int_equal(live_objects(h), before + 1 + N);
    for (int64_t v = 0; v < N; v++)
        assert_int_equal(contains_int(h, s, v * 1024 + 1000), 1);
    assert_int_equal(contains_int(h, s, 1001), 0);
    for (int64_t v = 0; v < N; v += 2) {
        void *k = rgc_int_new(h, v * 1024 + 1000);
        assert_int_equal(rgc_set_discard(s, k), 1);
        rgc_decref(k);
    }
    assert_int_equal(rgc_set_len(s), N / 2);
    assert_int_equal(live_objects(h), before + 1 + N / 2);
    for (int64_t v = 0; v < N; v++)
        assert_int_equal(contains_int(h, s, v * 1024 + 1000), v % 2);
    rgc_decref(s);
    assert_int_equal(live_objects(h), before);
    assert_heap_ok(h);
    rgc_heap_destroy(h);
}

static void test_sizeof_counts_the_tables_and_repr_the_length(void **state)
{
    (void)state;
    rgc_heap_t *h = rgc_heap_new(NULL);
    void *s = rgc_set_new(h);
    size_t empty = rgc_sizeof(s);
    assert_int_equal(empty, 64);
    void *k = rgc_int_new(h, 1000);
    assert_int_equal(rgc_set_add(s, k), 0);
    /* 8 int32 index slots (32 bytes) + 5 entries of 16 bytes (80). */
    assert_int_equal(rgc_sizeof(s), empty + 32 + 80);
    char buf[32];
    rgc_repr(s, buf, sizeof buf);
    assert_string_equal(buf, "set[1]");
    assert_true(rgc_is(s, rgc_set_type()));
    assert_true(rgc_is_tracked(s));
    rgc_decref(k);
    rgc_decref(s);
    assert_heap_ok(h);
    rgc_heap_destroy(h);
}

static void test_bad_arguments_are_reported(void **state)
{
    (void)state;
    rgc_heap_t *h = rgc_heap_new(NULL);
    void *s = rgc_set_new(h), *d = rgc_dict_new(h), *k = rgc_int_new(h, 1);
    record_errors();
    assert_int_equal(rgc_set_add(d, k), -1);
    assert_int_equal(recorded.last_code, RGC_EINVAL);
    assert_string_equal(recorded.last_type, "dict");
    assert_int_equal(rgc_set_add(s, NULL), -1);
    assert_int_equal(rgc_set_contains(NULL, k), -1);
    assert_int_equal(rgc_set_discard(s, NULL), -1);
    assert_int_equal(rgc_set_len(d), 0);
    assert_false(rgc_set_next(s, NULL, NULL));
    assert_int_equal(recorded.count, 6);
    assert_int_equal(recorded.last_code, RGC_EINVAL);
    rgc_set_error_handler(NULL, NULL);
    rgc_decref(d);
    rgc_decref(s);
    assert_heap_ok(h);
    rgc_heap_destroy(h);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_add_contains_and_discard),
        cmocka_unit_test(test_an_int_and_an_equal_float_are_one_member),
        cmocka_unit_test(test_an_unhashable_key_is_rejected),
        cmocka_unit_test(test_iteration_keeps_insertion_order_across_discards),
        cmocka_unit_test(test_50k_keys_are_found_and_discarded),
        cmocka_unit_test(test_sizeof_counts_the_tables_and_repr_the_length),
        cmocka_unit_test(test_bad_arguments_are_reported),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
