/*
 * test_int.c — int and float: values, the per-heap immortal cache of small
 * ints, Python's cross-type equality and hashing of numbers, reprs, sizes
 * and argument checks.
 */
#include "testutil.h"

#include <math.h>



static void test_int_values_round_trip(void **state)
{
    (void)state;
    rgc_heap_t *h = rgc_heap_new(NULL);
    const int64_t values[] = {0, -1, 1, -5, 256, -6, 257, 1000000, INT64_MIN, INT64_MAX};
    for (size_t i = 0; i < sizeof values / sizeof values[0]; i++) {
        void *o = rgc_int_new(h, values[i]);
        assert_non_null(o);
        assert_true(rgc_is(o, rgc_int_type()));
        assert_true(rgc_int_value(o) == values[i]);
        rgc_decref(o);
    }
    assert_heap_ok(h);
    rgc_heap_destroy(h);
}

static void test_small_ints_are_shared_and_immortal(void **state)
{
    (void)state;
    rgc_heap_t *h = rgc_heap_new(NULL);
    void *a = rgc_int_new(h, 7);
    void *b = rgc_int_new(h, 7);
    assert_ptr_equal(a, b);
    assert_true(rgc_is_immortal(a));
    assert_int_equal(rgc_refcount(a), RGC_REFCNT_IMMORTAL);
    for (int i = 0; i < 1000; i++)
        rgc_decref(a);
    assert_int_equal(rgc_refcount(a), RGC_REFCNT_IMMORTAL);
    assert_int_equal(rgc_int_value(a), 7);
    assert_ptr_equal(rgc_int_new(h, 7), a);

    /* Both ends of the cache are shared; one past either end is not. */
    assert_ptr_equal(rgc_int_new(h, -5), rgc_int_new(h, -5));
    assert_ptr_equal(rgc_int_new(h, 256), rgc_int_new(h, 256));
    void *c = rgc_int_new(h, 257), *d = rgc_int_new(h, 257);
    void *e = rgc_int_new(h, -6), *f = rgc_int_new(h, -6);
    assert_ptr_not_equal(c, d);
    assert_ptr_not_equal(e, f);
    assert_int_equal(rgc_refcount(c), 1);
    assert_false(rgc_is_immortal(e));
    rgc_decref(c);
    rgc_decref(d);
    rgc_decref(e);
    rgc_decref(f);
    assert_heap_ok(h);
    rgc_heap_destroy(h);
}

static void test_small_ints_are_made_on_first_use_once_per_heap(void **state)
{
    (void)state;
    rgc_heap_t *h = rgc_heap_new(NULL);
    rgc_heap_t *g = rgc_heap_new(NULL);
    size_t before = live_objects(h);
    void *a = rgc_int_new(h, 42);
    assert_int_equal(live_objects(h), before + 1);
    rgc_int_new(h, 42);
    rgc_decref(a);
    assert_int_equal(live_objects(h), before + 1);

    void *other = rgc_int_new(g, 42);
    assert_ptr_not_equal(other, a);
    assert_ptr_equal(rgc_heap_of(other), g);
    assert_ptr_equal(rgc_heap_of(a), h);
    assert_heap_ok(h);
    assert_heap_ok(g);
    rgc_heap_destroy(g);
    rgc_heap_destroy(h);
}

static void test_big_ints_die_with_their_last_reference(void **state)
{
    (void)state;
    rgc_heap_t *h = rgc_heap_new(NULL);
    size_t before = live_objects(h);
    void *o = rgc_int_new(h, 123456789);
    assert_int_equal(live_objects(h), before + 1);
    rgc_incref(o);
    rgc_decref(o);
    assert_int_equal(live_objects(h), before + 1);
    rgc_decref(o);
    assert_int_equal(live_objects(h), before);
    assert_heap_ok(h);
    rgc_heap_destroy(h);
}

static void test_float_values_round_trip(void **state)
{
    (void)state;
    rgc_heap_t *h = rgc_heap_new(NULL);
    const double values[] = {0.0, 3.5, -2.25, 1e300, -1e-300, 0.1};
    for (size_t i = 0; i < sizeof values / sizeof values[0]; i++) {
        void *o = rgc_float_new(h, values[i]);
        assert_true(rgc_is(o, rgc_float_type()));
        assert_true(rgc_float_value(o) == values[i]);
        rgc_decref(o);
    }
    void *nz = rgc_float_new(h, -0.0), *inf = rgc_float_new(h, INFINITY);
    void *nan = rgc_float_new(h, NAN);
    assert_true(signbit(rgc_float_value(nz)));
    assert_true(isinf(rgc_float_value(inf)));
    assert_true(isnan(rgc_float_value(nan)));
    rgc_decref(nz);
    rgc_decref(inf);
    rgc_decref(nan);
    assert_heap_ok(h);
    rgc_heap_destroy(h);
}

static void test_int_and_float_of_equal_value_are_equal_and_hash_alike(void **state)
{
    (void)state;
    rgc_heap_t *h = rgc_heap_new(NULL);
    const int64_t ints[] = {1, 0, -7, 1000, -123456789, INT64_MIN, (int64_t)1 << 53};
    for (size_t k = 0; k < sizeof ints / sizeof ints[0]; k++) {
        void *i = rgc_int_new(h, ints[k]);
        void *f = rgc_float_new(h, (double)ints[k]);
        assert_int_equal(rgc_equal(i, f), 1);
        assert_int_equal(rgc_equal(f, i), 1);
        assert_true(hash_of(i) == hash_of(f));
        rgc_decref(i);
        rgc_decref(f);
    }
    /* -0.0 is 0 as well. */
    void *zero = rgc_int_new(h, 0), *nz = rgc_float_new(h, -0.0);
    assert_int_equal(rgc_equal(zero, nz), 1);
    assert_true(hash_of(zero) == hash_of(nz));
    rgc_decref(nz);
    assert_heap_ok(h);
    rgc_heap_destroy(h);
}

static void test_an_int_key_and_a_float_key_of_equal_value_are_the_same_dict_key(void **state)
{
    (void)state;
    rgc_heap_t *h = rgc_heap_new(NULL);
    void *d = rgc_dict_new(h);
    void *k_int = rgc_int_new(h, 1000), *k_float = rgc_float_new(h, 1000.0);
    void *half = rgc_float_new(h, 1000.5), *v1 = rgc_str_from_cstr(h, "first");
    void *v2 = rgc_str_from_cstr(h, "second");
    assert_int_equal(rgc_dict_set(d, k_int, v1), 0);
    assert_ptr_equal(rgc_dict_get(d, k_float), v1);
    assert_null(rgc_dict_get(d, half));
    assert_int_equal(rgc_dict_set(d, k_float, v2), 0); /* replaces the value, keeps the key */
    assert_int_equal(rgc_dict_len(d), 1);
    assert_ptr_equal(rgc_dict_get(d, k_int), v2);
    void *key = NULL, *value = NULL;
    size_t pos = 0;
    assert_true(rgc_dict_next(d, &pos, &key, &value));
    assert_ptr_equal(key, k_int);
    void *objs[] = {d, k_int, k_float, half, v1, v2};
    for (size_t i = 0; i < sizeof objs / sizeof objs[0]; i++)
        rgc_decref(objs[i]);
    assert_heap_ok(h);
    rgc_heap_destroy(h);
}

static void test_floats_without_an_exact_int_value_equal_no_int(void **state)
{
    (void)state;
    rgc_heap_t *h = rgc_heap_new(NULL);
    void *one = rgc_int_new(h, 1), *one_and_half = rgc_float_new(h, 1.5);
    assert_int_equal(rgc_equal(one, one_and_half), 0);
    assert_int_equal(rgc_equal(one_and_half, one), 0);

    /* INT64_MAX rounds to 2^63 as a double, which is no int64 value. */
    void *max = rgc_int_new(h, INT64_MAX), *two63 = rgc_float_new(h, 9223372036854775808.0);
    assert_int_equal(rgc_equal(max, two63), 0);
    assert_int_equal(rgc_equal(two63, max), 0);

    void *nan1 = rgc_float_new(h, NAN), *nan2 = rgc_float_new(h, NAN);
    assert_int_equal(rgc_equal(nan1, nan2), 0);
    assert_int_equal(rgc_equal(nan1, nan1), 1); /* identity first, as in containers */

    void *f = rgc_float_new(h, 2.5), *g = rgc_float_new(h, 2.5);
    assert_int_equal(rgc_equal(f, g), 1);
    assert_true(hash_of(f) == hash_of(g));

    void *objs[] = {one_and_half, max, two63, nan1, nan2, f, g};
    for (size_t i = 0; i < sizeof objs / sizeof objs[0]; i++)
        rgc_decref(objs[i]);
    assert_heap_ok(h);
    rgc_heap_destroy(h);
}

static void test_distinct_ints_hash_to_distinct_values(void **state)
{
    (void)state;
    rgc_heap_t *h = rgc_heap_new(NULL);
    enum { N = 2000 };
    static uint64_t hashes[N];
    for (int i = 0; i < N; i++) {
        void *o = rgc_int_new(h, (int64_t)i - N / 2);
        hashes[i] = hash_of(o);
        rgc_decref(o);
    }
    for (int i = 0; i < N; i++)
        for (int j = i + 1; j < N; j++)
            assert_true(hashes[i] != hashes[j]);
    /* Low bits vary too, so a power-of-two table spreads them. */
    unsigned seen = 0;
    for (int i = 0; i < 64; i++)
        seen |= 1u << (hashes[i] & 31);
    assert_true(__builtin_popcount(seen) > 16);
    assert_heap_ok(h);
    rgc_heap_destroy(h);
}

static void expect_repr(void *o, const char *want)
{
    char buf[64];
    rgc_repr(o, buf, sizeof buf);
    assert_string_equal(buf, want);
    rgc_decref(o);
}

static void test_number_reprs_read_like_python(void **state)
{
    (void)state;
    rgc_heap_t *h = rgc_heap_new(NULL);
    expect_repr(rgc_int_new(h, 42), "42");
    expect_repr(rgc_int_new(h, -5), "-5");
    expect_repr(rgc_int_new(h, INT64_MIN), "-9223372036854775808");
    expect_repr(rgc_float_new(h, 3.5), "3.5");
    expect_repr(rgc_float_new(h, 0.1), "0.1");
    expect_repr(rgc_float_new(h, 2.0), "2.0");
    expect_repr(rgc_float_new(h, -0.0), "-0.0");
    expect_repr(rgc_float_new(h, 0.0001), "0.0001");
    expect_repr(rgc_float_new(h, 0.00001), "1e-05");
    expect_repr(rgc_float_new(h, 1e15), "1000000000000000.0");
    expect_repr(rgc_float_new(h, 1e16), "1e+16");
    expect_repr(rgc_float_new(h, 1.5e300), "1.5e+300");
    expect_repr(rgc_float_new(h, 1.0 / 3.0), "0.3333333333333333");
    expect_repr(rgc_float_new(h, INFINITY), "inf");
    expect_repr(rgc_float_new(h, -INFINITY), "-inf");
    expect_repr(rgc_float_new(h, NAN), "nan");

    char small[4];
    void *o = rgc_int_new(h, 123456);
    rgc_repr(o, small, sizeof small);
    assert_string_equal(small, "123");
    rgc_decref(o);
    assert_heap_ok(h);
    rgc_heap_destroy(h);
}

static void test_int_and_float_fill_one_32_byte_block(void **state)
{
    (void)state;
    rgc_heap_t *h = rgc_heap_new(NULL);
    void *i = rgc_int_new(h, 1000), *f = rgc_float_new(h, 1.0);
    assert_int_equal(rgc_sizeof(i), 32); /* 16-byte header + 8, in the 32-byte class */
    assert_int_equal(rgc_sizeof(f), 32);
    assert_int_equal(rgc_sizeof(rgc_int_new(h, 1)), 32);
    assert_false(rgc_is_tracked(i));
    assert_false(rgc_type_is_gc(rgc_int_type()));
    assert_string_equal(rgc_type_name(rgc_typeof(i)), "int");
    assert_string_equal(rgc_type_name(rgc_typeof(f)), "float");
    rgc_decref(i);
    rgc_decref(f);
    assert_heap_ok(h);
    rgc_heap_destroy(h);
}

static void test_null_and_wrong_types_are_rejected_with_einval(void **state)
{
    (void)state;
    rgc_heap_t *h = rgc_heap_new(NULL);
    record_errors();
    void *i = rgc_int_new(h, 1000), *f = rgc_float_new(h, 1.0);

    assert_int_equal(rgc_int_value(NULL), 0);
    assert_int_equal(recorded.last_code, RGC_EINVAL);
    assert_int_equal(rgc_int_value(f), 0);
    assert_int_equal(recorded.last_code, RGC_EINVAL);
    assert_string_equal(recorded.last_type, "float");
    assert_true(rgc_float_value(i) == 0.0);
    assert_string_equal(recorded.last_type, "int");
    assert_null(rgc_int_new(NULL, 1));
    assert_null(rgc_float_new(NULL, 1.0));
    assert_int_equal(recorded.count, 5);
    assert_int_equal(recorded.last_code, RGC_EINVAL);

    uint64_t v;
    assert_int_equal(rgc_hash(NULL, &v), -1);
    assert_int_equal(rgc_hash(i, NULL), -1);
    assert_int_equal(rgc_equal(i, NULL), -1);
    assert_int_equal(recorded.count, 8);
    assert_int_equal(recorded.last_code, RGC_EINVAL);

    /* A header that names no type is not an object. */
    rgc_object_t fake = {.refcnt = 1, .type_id = 0};
    char buf[64];
    assert_int_equal(rgc_hash(&fake, &v), -1);
    assert_int_equal(rgc_equal(&fake, i), -1);
    rgc_repr(&fake, buf, sizeof buf);
    assert_memory_equal(buf, "<not an object at ", 18);
    assert_int_equal(recorded.count, 11);
    assert_int_equal(recorded.last_code, RGC_EINVAL);

    rgc_set_error_handler(NULL, NULL);
    rgc_decref(i);
    rgc_decref(f);
    assert_heap_ok(h);
    rgc_heap_destroy(h);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_int_values_round_trip),
        cmocka_unit_test(test_small_ints_are_shared_and_immortal),
        cmocka_unit_test(test_small_ints_are_made_on_first_use_once_per_heap),
        cmocka_unit_test(test_big_ints_die_with_their_last_reference),
        cmocka_unit_test(test_float_values_round_trip),
        cmocka_unit_test(test_int_and_float_of_equal_value_are_equal_and_hash_alike),
        cmocka_unit_test(test_an_int_key_and_a_float_key_of_equal_value_are_the_same_dict_key),
        cmocka_unit_test(test_floats_without_an_exact_int_value_equal_no_int),
        cmocka_unit_test(test_distinct_ints_hash_to_distinct_values),
        cmocka_unit_test(test_number_reprs_read_like_python),
        cmocka_unit_test(test_int_and_float_fill_one_32_byte_block),
        cmocka_unit_test(test_null_and_wrong_types_are_rejected_with_einval),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
