/*
 * test_tuple.c — tuples: packing and the references items gain and lose,
 * filling with rgc_tuple_set, hashing and equality from the items (and the
 * generic identity fallbacks they rely on), reprs, sizes and misuse.
 */
#include "testutil.h"



/* A user type with no hooks at all: identity hash, identity equality. */
typedef struct probe {
    RGC_OBJECT_HEAD;
    int64_t tag;
} probe_t;

static int probes_freed;

static void probe_dealloc(rgc_object_t *o)
{
    (void)o;
    probes_freed++;
}

static rgc_type_t *probe_type(void)
{
    static const rgc_type_spec_t spec = {
        .name = "test.Probe",
        .basic_size = sizeof(probe_t),
        .dealloc = probe_dealloc,
    };
    return rgc_type_register(&spec);
}

static rgc_type_t *unhashable_type(void)
{
    static const rgc_type_spec_t spec = {
        .name = "test.Unhashable",
        .basic_size = sizeof(probe_t),
        .flags = RGC_TF_UNHASHABLE,
    };
    return rgc_type_register(&spec);
}

/* Equality that always fails, as a comparison of exotic values might. */
static int failing_eq(const rgc_object_t *a, const rgc_object_t *b)
{
    (void)a;
    (void)b;
    return -1;
}

static rgc_type_t *failing_type(void)
{
    static const rgc_type_spec_t spec = {
        .name = "test.FailingEq",
        .basic_size = sizeof(probe_t),
        .eq = failing_eq,
    };
    return rgc_type_register(&spec);
}

static void test_packed_items_come_back_in_order(void **state)
{
    (void)state;
    rgc_heap_t *h = rgc_heap_new(NULL);
    void *a = rgc_int_new(h, 1000), *b = rgc_str_from_cstr(h, "b"), *c = rgc_float_new(h, 2.5);
    void *t = rgc_tuple_pack(h, 3, a, b, c);
    assert_true(rgc_is(t, rgc_tuple_type()));
    assert_int_equal(rgc_tuple_len(t), 3);
    assert_ptr_equal(rgc_tuple_get(t, 0), a);
    assert_ptr_equal(rgc_tuple_get(t, 1), b);
    assert_ptr_equal(rgc_tuple_get(t, 2), c);

    void *empty = rgc_tuple_pack(h, 0);
    assert_int_equal(rgc_tuple_len(empty), 0);
    void *blank = rgc_tuple_new(h, 2);
    assert_null(rgc_tuple_get(blank, 0));
    assert_null(rgc_tuple_get(blank, 1));
    void *objs[] = {t, a, b, c, empty, blank};
    for (size_t i = 0; i < 6; i++)
        rgc_decref(objs[i]);
    assert_heap_ok(h);
    rgc_heap_destroy(h);
}

static void test_an_item_gains_a_reference_per_slot_and_loses_it_when_the_tuple_dies(void **state)
{
    (void)state;
    rgc_heap_t *h = rgc_heap_new(NULL);
    size_t before = live_objects(h);
    void *x = rgc_int_new(h, 5000);
    assert_int_equal(rgc_refcount(x), 1);
    void *one = rgc_tuple_pack(h, 1, x);
    assert_int_equal(rgc_refcount(x), 2);
    void *two = rgc_tuple_pack(h, 2, x, x);
    assert_int_equal(rgc_refcount(x), 4);
    rgc_decref(two);
    assert_int_equal(rgc_refcount(x), 2);
    rgc_decref(one);
    assert_int_equal(rgc_refcount(x), 1);
    rgc_decref(x);
    assert_int_equal(live_objects(h), before);
    assert_heap_ok(h);
    rgc_heap_destroy(h);
}

static void test_set_steals_the_item_and_drops_the_one_it_replaces(void **state)
{
    (void)state;
    rgc_heap_t *h = rgc_heap_new(NULL);
    rgc_type_t *pt = probe_type();
    probes_freed = 0;
    void *t = rgc_tuple_new(h, 2);
    void *p = rgc_new(h, pt), *q = rgc_new(h, pt);
    assert_int_equal(rgc_tuple_set(t, 0, p), 0);
    assert_int_equal(rgc_refcount(p), 1); /* the tuple's reference now */
    assert_ptr_equal(rgc_tuple_get(t, 0), p);
    assert_int_equal(rgc_tuple_set(t, 0, q), 0);
    assert_int_equal(probes_freed, 1); /* p went with its last reference */
    assert_ptr_equal(rgc_tuple_get(t, 0), q);
    assert_int_equal(rgc_tuple_set(t, 0, NULL), 0);
    assert_int_equal(probes_freed, 2);
    rgc_decref(t);
    assert_heap_ok(h);
    rgc_heap_destroy(h);
}

static void test_set_refuses_a_shared_tuple_and_still_takes_the_reference(void **state)
{
    (void)state;
    rgc_heap_t *h = rgc_heap_new(NULL);
    record_errors();
    void *t = rgc_tuple_new(h, 1);
    void *x = rgc_int_new(h, 5000);
    rgc_incref(t);
    rgc_incref(x); /* the reference the failing call will consume */
    assert_int_equal(rgc_tuple_set(t, 0, x), -1);
    assert_int_equal(recorded.last_code, RGC_EMISUSE);
    assert_int_equal(rgc_refcount(x), 1);
    assert_null(rgc_tuple_get(t, 0));
    rgc_decref(t);
    rgc_decref(t);
    rgc_decref(x);
    rgc_set_error_handler(NULL, NULL);
    assert_heap_ok(h);
    rgc_heap_destroy(h);
}

static void test_an_index_out_of_range_is_ekey(void **state)
{
    (void)state;
    rgc_heap_t *h = rgc_heap_new(NULL);
    record_errors();
    void *t = rgc_tuple_new(h, 2);
    assert_null(rgc_tuple_get(t, 2));
    assert_int_equal(recorded.last_code, RGC_EKEY);
    void *x = rgc_int_new(h, 5000);
    rgc_incref(x);
    recorded.last_code = RGC_OK;
    assert_int_equal(rgc_tuple_set(t, SIZE_MAX, x), -1);
    assert_int_equal(recorded.last_code, RGC_EKEY);
    assert_int_equal(rgc_refcount(x), 1);
    assert_int_equal(recorded.count, 2);
    rgc_decref(x);
    rgc_decref(t);
    rgc_set_error_handler(NULL, NULL);
    assert_heap_ok(h);
    rgc_heap_destroy(h);
}

static void test_pack_with_a_null_item_fails_and_keeps_nothing(void **state)
{
    (void)state;
    rgc_heap_t *h = rgc_heap_new(NULL);
    record_errors();
    void *x = rgc_int_new(h, 5000);
    size_t before = live_objects(h);
    assert_null(rgc_tuple_pack(h, 3, x, x, NULL));
    assert_int_equal(recorded.last_code, RGC_EINVAL);
    assert_int_equal(rgc_refcount(x), 1);
    assert_int_equal(live_objects(h), before);
    assert_null(rgc_tuple_pack(NULL, 1, x));
    assert_null(rgc_tuple_new(NULL, 1));
    assert_int_equal(recorded.count, 3);
    rgc_decref(x);
    rgc_set_error_handler(NULL, NULL);
    assert_heap_ok(h);
    rgc_heap_destroy(h);
}

static void test_equal_tuples_hash_alike(void **state)
{
    (void)state;
    rgc_heap_t *h = rgc_heap_new(NULL);
    void *i1 = rgc_int_new(h, 1), *f1 = rgc_float_new(h, 1.0);
    void *i2 = rgc_int_new(h, 2000), *f2 = rgc_float_new(h, 2000.0);
    void *s = rgc_str_from_cstr(h, "a"), *s2 = rgc_str_from_cstr(h, "a");
    void *a = rgc_tuple_pack(h, 3, i1, s, f2);
    void *b = rgc_tuple_pack(h, 3, f1, s2, i2); /* (1.0, 'a', 2000) == (1, 'a', 2000.0) */
    assert_int_equal(rgc_equal(a, b), 1);
    assert_int_equal(rgc_equal(b, a), 1);
    assert_true(hash_of(a) == hash_of(b));

    void *na = rgc_tuple_pack(h, 2, a, i1), *nb = rgc_tuple_pack(h, 2, b, f1);
    assert_int_equal(rgc_equal(na, nb), 1);
    assert_true(hash_of(na) == hash_of(nb));

    void *e1 = rgc_tuple_new(h, 0), *e2 = rgc_tuple_new(h, 0);
    assert_int_equal(rgc_equal(e1, e2), 1);
    assert_true(hash_of(e1) == hash_of(e2));
    void *objs[] = {na, nb, a, b, i1, f1, i2, f2, s, s2, e1, e2};
    for (size_t i = 0; i < sizeof objs / sizeof objs[0]; i++)
        rgc_decref(objs[i]);
    assert_heap_ok(h);
    rgc_heap_destroy(h);
}

static void test_tuples_differ_by_order_length_and_type(void **state)
{
    (void)state;
    rgc_heap_t *h = rgc_heap_new(NULL);
    void *x = rgc_int_new(h, 1), *y = rgc_int_new(h, 2);
    void *xy = rgc_tuple_pack(h, 2, x, y), *yx = rgc_tuple_pack(h, 2, y, x);
    void *xx = rgc_tuple_pack(h, 2, x, x), *yy = rgc_tuple_pack(h, 2, y, y);
    void *only_x = rgc_tuple_pack(h, 1, x), *xyx = rgc_tuple_pack(h, 3, x, y, x);
    assert_int_equal(rgc_equal(xy, yx), 0);
    assert_true(hash_of(xy) != hash_of(yx));
    assert_true(hash_of(xx) != hash_of(yy));
    assert_int_equal(rgc_equal(xy, only_x), 0);
    assert_int_equal(rgc_equal(xy, xyx), 0);
    assert_true(hash_of(only_x) != hash_of(x));
    assert_int_equal(rgc_equal(only_x, x), 0);
    assert_int_equal(rgc_equal(x, only_x), 0);
    void *objs[] = {xy, yx, xx, yy, only_x, xyx};
    for (size_t i = 0; i < sizeof objs / sizeof objs[0]; i++)
        rgc_decref(objs[i]);
    assert_heap_ok(h);
    rgc_heap_destroy(h);
}

static void test_a_tuple_holding_an_unhashable_item_is_unhashable(void **state)
{
    (void)state;
    rgc_heap_t *h = rgc_heap_new(NULL);
    record_errors();
    void *u = rgc_new(h, unhashable_type()), *x = rgc_int_new(h, 7);
    void *t = rgc_tuple_pack(h, 2, x, u);
    void *outer = rgc_tuple_pack(h, 2, x, t);
    uint64_t v = 0;
    assert_int_equal(rgc_hash(u, &v), -1);
    assert_int_equal(recorded.last_code, RGC_EUNHASHABLE);
    recorded.count = 0;
    assert_int_equal(rgc_hash(t, &v), -1);
    assert_int_equal(recorded.count, 1);
    assert_int_equal(recorded.last_code, RGC_EUNHASHABLE);
    assert_string_equal(recorded.last_type, "test.Unhashable");
    assert_ptr_equal(recorded.last_address, u);
    assert_int_equal(rgc_hash(outer, &v), -1);
    assert_int_equal(recorded.count, 2);

    /* The failure does not stick: a hashable tuple hashes afterwards. */
    void *fine = rgc_tuple_pack(h, 1, x);
    assert_int_equal(rgc_hash(fine, &v), 0);
    rgc_decref(fine);
    rgc_decref(outer);
    rgc_decref(t);
    rgc_decref(u);
    rgc_set_error_handler(NULL, NULL);
    assert_heap_ok(h);
    rgc_heap_destroy(h);
}

static void test_tuples_work_as_dict_keys_unless_an_item_is_unhashable(void **state)
{
    (void)state;
    rgc_heap_t *h = rgc_heap_new(NULL);
    record_errors();
    void *d = rgc_dict_new(h), *one = rgc_int_new(h, 1), *a = rgc_str_from_cstr(h, "a");
    void *fone = rgc_float_new(h, 1.0), *v = rgc_str_from_cstr(h, "v");
    void *key = rgc_tuple_pack(h, 2, one, a), *probe = rgc_tuple_pack(h, 2, fone, a);
    assert_int_equal(rgc_dict_set(d, key, v), 0);
    assert_ptr_equal(rgc_dict_get(d, probe), v);

    void *l = rgc_list_new(h, 0);
    void *bad = rgc_tuple_pack(h, 2, one, l);
    assert_int_equal(rgc_dict_set(d, bad, v), -1);
    assert_int_equal(recorded.last_code, RGC_EUNHASHABLE);
    assert_string_equal(recorded.last_type, "list");
    assert_int_equal(rgc_dict_len(d), 1);
    void *objs[] = {d, a, fone, v, key, probe, l, bad};
    for (size_t i = 0; i < sizeof objs / sizeof objs[0]; i++)
        rgc_decref(objs[i]);
    rgc_set_error_handler(NULL, NULL);
    assert_heap_ok(h);
    rgc_heap_destroy(h);
}

static void test_items_without_hooks_compare_and_hash_by_identity(void **state)
{
    (void)state;
    rgc_heap_t *h = rgc_heap_new(NULL);
    rgc_type_t *pt = probe_type();
    probe_t *p = rgc_new(h, pt), *q = rgc_new(h, pt);
    p->tag = q->tag = 1; /* same contents, still different objects */
    assert_int_equal(rgc_equal(p, q), 0);
    assert_int_equal(rgc_equal(p, p), 1);
    assert_true(hash_of(p) == hash_of(p));
    assert_true(hash_of(p) != hash_of(q));
    void *tp = rgc_tuple_pack(h, 1, p), *tp2 = rgc_tuple_pack(h, 1, p);
    void *tq = rgc_tuple_pack(h, 1, q);
    assert_int_equal(rgc_equal(tp, tp2), 1);
    assert_true(hash_of(tp) == hash_of(tp2));
    assert_int_equal(rgc_equal(tp, tq), 0);

    char buf[64], want[64];
    rgc_repr(p, buf, sizeof buf);
    snprintf(want, sizeof want, "<test.Probe object at %p>", (void *)p);
    assert_string_equal(buf, want);
    void *objs[] = {tp, tp2, tq, p, q};
    for (size_t i = 0; i < sizeof objs / sizeof objs[0]; i++)
        rgc_decref(objs[i]);
    assert_heap_ok(h);
    rgc_heap_destroy(h);
}

static void test_a_failing_item_comparison_fails_the_tuple_comparison(void **state)
{
    (void)state;
    rgc_heap_t *h = rgc_heap_new(NULL);
    rgc_type_t *ft = failing_type();
    void *a = rgc_new(h, ft), *b = rgc_new(h, ft), *x = rgc_int_new(h, 1);
    void *ta = rgc_tuple_pack(h, 2, x, a), *tb = rgc_tuple_pack(h, 2, x, b);
    void *same = rgc_tuple_pack(h, 2, x, a);
    assert_int_equal(rgc_equal(ta, tb), -1);
    assert_int_equal(rgc_equal(ta, same), 1); /* identical items need no comparison */
    void *objs[] = {ta, tb, same, a, b};
    for (size_t i = 0; i < sizeof objs / sizeof objs[0]; i++)
        rgc_decref(objs[i]);
    assert_heap_ok(h);
    rgc_heap_destroy(h);
}

static void test_tuple_reprs_read_like_python(void **state)
{
    (void)state;
    rgc_heap_t *h = rgc_heap_new(NULL);
    void *one = rgc_int_new(h, 1), *two = rgc_int_new(h, 2), *s = rgc_str_from_cstr(h, "a");
    void *f = rgc_float_new(h, 2.5);
    void *pair = rgc_tuple_pack(h, 2, one, two), *single = rgc_tuple_pack(h, 1, one);
    void *empty = rgc_tuple_new(h, 0), *blank = rgc_tuple_new(h, 1);
    void *nested = rgc_tuple_pack(h, 3, one, s, rgc_tuple_pack(h, 2, f, empty));
    rgc_decref(rgc_tuple_get(nested, 2)); /* the inner tuple now lives in nested only */
    char buf[64];
    rgc_repr(pair, buf, sizeof buf);
    assert_string_equal(buf, "(1, 2)");
    rgc_repr(single, buf, sizeof buf);
    assert_string_equal(buf, "(1,)");
    rgc_repr(empty, buf, sizeof buf);
    assert_string_equal(buf, "()");
    rgc_repr(blank, buf, sizeof buf);
    assert_string_equal(buf, "(NULL,)");
    rgc_repr(nested, buf, sizeof buf);
    assert_string_equal(buf, "(1, 'a', (2.5, ()))");

    /* Too long for the buffer: the end says so. */
    char small[12];
    rgc_repr(nested, small, sizeof small);
    assert_string_equal(small, "(1, 'a'...)");
    assert_int_equal(strlen(small), sizeof small - 1);
    char tiny[8];
    rgc_repr(pair, tiny, sizeof tiny);
    assert_string_equal(tiny, "(1, 2)");
    rgc_repr(nested, tiny, sizeof tiny);
    assert_string_equal(tiny, "(1,...)");
    void *objs[] = {pair, single, empty, blank, nested, s, f};
    for (size_t i = 0; i < sizeof objs / sizeof objs[0]; i++)
        rgc_decref(objs[i]);
    assert_heap_ok(h);
    rgc_heap_destroy(h);
}

static void test_tuples_are_tracked_and_sized_by_their_items(void **state)
{
    (void)state;
    rgc_heap_t *h = rgc_heap_new(NULL);
    void *t0 = rgc_tuple_new(h, 0), *t1 = rgc_tuple_new(h, 1), *t2 = rgc_tuple_new(h, 2);
    void *t5 = rgc_tuple_new(h, 5);
    assert_true(rgc_is_tracked(t0));
    assert_int_equal(rgc_generation(t2), 0);
    assert_true(rgc_type_is_gc(rgc_tuple_type()));
    /* 24 bytes of fixed part + 8 per item, in 16-byte classes. */
    assert_int_equal(rgc_sizeof(t0), 32);
    assert_int_equal(rgc_sizeof(t1), 32);
    assert_int_equal(rgc_sizeof(t2), 48);
    assert_int_equal(rgc_sizeof(t5), 64);
    rgc_decref(t0);
    rgc_decref(t1);
    rgc_decref(t2);
    rgc_decref(t5);
    assert_heap_ok(h);
    rgc_heap_destroy(h);
}

static void test_a_large_tuple_holds_and_releases_every_item(void **state)
{
    (void)state;
    rgc_heap_t *h = rgc_heap_new(NULL);
    size_t before = live_objects(h);
    enum { N = 200 };
    void *a = rgc_tuple_new(h, N), *b = rgc_tuple_new(h, N);
    for (size_t i = 0; i < N; i++) {
        assert_int_equal(rgc_tuple_set(a, i, rgc_int_new(h, 1000 + (int64_t)i)), 0);
        assert_int_equal(rgc_tuple_set(b, i, rgc_float_new(h, 1000.0 + (double)i)), 0);
    }
    assert_int_equal(live_objects(h), before + 2 + 2 * N);
    assert_int_equal(rgc_equal(a, b), 1);
    assert_true(hash_of(a) == hash_of(b));
    assert_true(rgc_sizeof(a) >= 24 + N * sizeof(void *));
    assert_heap_ok(h);
    rgc_decref(a);
    rgc_decref(b);
    assert_int_equal(live_objects(h), before);
    assert_heap_ok(h);
    rgc_heap_destroy(h);
}

static void test_non_tuples_are_rejected_with_einval(void **state)
{
    (void)state;
    rgc_heap_t *h = rgc_heap_new(NULL);
    record_errors();
    void *x = rgc_int_new(h, 5000), *item = rgc_int_new(h, 6000);
    assert_int_equal(rgc_tuple_len(x), 0);
    assert_int_equal(recorded.last_code, RGC_EINVAL);
    assert_string_equal(recorded.last_type, "int");
    assert_null(rgc_tuple_get(NULL, 0));
    size_t before = live_objects(h);
    assert_int_equal(rgc_tuple_set(x, 0, item), -1); /* item is consumed all the same */
    assert_int_equal(live_objects(h), before - 1);
    assert_int_equal(recorded.count, 3);
    assert_int_equal(recorded.last_code, RGC_EINVAL);
    rgc_decref(x);
    rgc_set_error_handler(NULL, NULL);
    assert_heap_ok(h);
    rgc_heap_destroy(h);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_packed_items_come_back_in_order),
        cmocka_unit_test(test_an_item_gains_a_reference_per_slot_and_loses_it_when_the_tuple_dies),
        cmocka_unit_test(test_set_steals_the_item_and_drops_the_one_it_replaces),
        cmocka_unit_test(test_set_refuses_a_shared_tuple_and_still_takes_the_reference),
        cmocka_unit_test(test_an_index_out_of_range_is_ekey),
        cmocka_unit_test(test_pack_with_a_null_item_fails_and_keeps_nothing),
        cmocka_unit_test(test_equal_tuples_hash_alike),
        cmocka_unit_test(test_tuples_differ_by_order_length_and_type),
        cmocka_unit_test(test_a_tuple_holding_an_unhashable_item_is_unhashable),
        cmocka_unit_test(test_tuples_work_as_dict_keys_unless_an_item_is_unhashable),
        cmocka_unit_test(test_items_without_hooks_compare_and_hash_by_identity),
        cmocka_unit_test(test_a_failing_item_comparison_fails_the_tuple_comparison),
        cmocka_unit_test(test_tuple_reprs_read_like_python),
        cmocka_unit_test(test_tuples_are_tracked_and_sized_by_their_items),
        cmocka_unit_test(test_a_large_tuple_holds_and_releases_every_item),
        cmocka_unit_test(test_non_tuples_are_rejected_with_einval),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
