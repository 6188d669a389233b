/*
 * test_array.c — the built-in array: the range of every kind, integer and
 * float round trips, conversions that are refused, growth, and the memory it
 * saves against a list of int objects (measured with rgc_sizeof).
 */
#include "testutil.h"

#include <math.h>


typedef struct kind_case {
    rgc_array_kind_t kind;
    size_t itemsize;
    int64_t min, max;   /* the extreme values that fit */
    bool below, above; /* min - 1 / max + 1 exist as int64 and must be refused */
} kind_case_t;

static const kind_case_t int_kinds[] = {
    {RGC_ARRAY_I8, 1, INT8_MIN, INT8_MAX, true, true},
    {RGC_ARRAY_U8, 1, 0, UINT8_MAX, true, true},
    {RGC_ARRAY_I16, 2, INT16_MIN, INT16_MAX, true, true},
    {RGC_ARRAY_U16, 2, 0, UINT16_MAX, true, true},
    {RGC_ARRAY_I32, 4, INT32_MIN, INT32_MAX, true, true},
    {RGC_ARRAY_U32, 4, 0, UINT32_MAX, true, true},
    {RGC_ARRAY_I64, 8, INT64_MIN, INT64_MAX, false, false},
    {RGC_ARRAY_U64, 8, 0, INT64_MAX, true, false},
};

static void test_each_integer_kind_accepts_exactly_its_range(void **state)
{
    (void)state;
    rgc_heap_t *h = rgc_heap_new(NULL);
    record_errors();
    for (size_t c = 0; c < sizeof int_kinds / sizeof int_kinds[0]; c++) {
        const kind_case_t *k = &int_kinds[c];
        void *a = rgc_array_new(h, k->kind, 0);
        assert_non_null(a);
        assert_int_equal(rgc_array_kind(a), k->kind);
        assert_int_equal(rgc_array_itemsize(a), k->itemsize);
        assert_int_equal(rgc_array_append_int(a, k->min), 0);
        assert_int_equal(rgc_array_append_int(a, k->max), 0);
        assert_int_equal(rgc_array_append_int(a, 0), 0);
        int errors = recorded.count;
        if (k->below) {
            assert_int_equal(rgc_array_append_int(a, k->min - 1), -1);
            assert_int_equal(recorded.last_code, RGC_EINVAL);
        }
        if (k->above) {
            assert_int_equal(rgc_array_append_int(a, k->max + 1), -1);
            assert_int_equal(recorded.last_code, RGC_EINVAL);
        }
        assert_int_equal(recorded.count, errors + k->below + k->above);
        assert_int_equal(rgc_array_len(a), 3);
        int64_t v;
        assert_int_equal(rgc_array_get_int(a, 0, &v), 0);
        assert_true(v == k->min);
        assert_int_equal(rgc_array_get_int(a, 1, &v), 0);
        assert_true(v == k->max);
        double d;
        assert_int_equal(rgc_array_get_float(a, 1, &d), 0);
        assert_true(d == (double)k->max);
        rgc_decref(a);
    }
    rgc_set_error_handler(NULL, NULL);
    assert_heap_ok(h);
    rgc_heap_destroy(h);
}

static void test_float_kinds_store_floats_and_ints(void **state)
{
    (void)state;
    rgc_heap_t *h = rgc_heap_new(NULL);
    void *f32 = rgc_array_new(h, RGC_ARRAY_F32, 4), *f64 = rgc_array_new(h, RGC_ARRAY_F64, 0);
    assert_int_equal(rgc_array_itemsize(f32), 4);
    assert_int_equal(rgc_array_itemsize(f64), 8);
    assert_int_equal(rgc_array_append_float(f32, 0.1), 0);
    assert_int_equal(rgc_array_append_float(f64, 0.1), 0);
    assert_int_equal(rgc_array_append_int(f64, -7), 0);
    assert_int_equal(rgc_array_append_float(f64, INFINITY), 0);
    double d;
    assert_int_equal(rgc_array_get_float(f32, 0, &d), 0);
    assert_true(d == (double)0.1f); /* rounded to single precision */
    assert_true(d != 0.1);
    assert_int_equal(rgc_array_get_float(f64, 0, &d), 0);
    assert_true(d == 0.1);
    assert_int_equal(rgc_array_get_float(f64, 1, &d), 0);
    assert_true(d == -7.0);
    assert_int_equal(rgc_array_get_float(f64, 2, &d), 0);
    assert_true(isinf(d));
    assert_int_equal(rgc_array_len(f64), 3);
    rgc_decref(f32);
    rgc_decref(f64);
    assert_heap_ok(h);
    rgc_heap_destroy(h);
}

static void test_refused_conversions_and_indices_change_nothing(void **state)
{
    (void)state;
    rgc_heap_t *h = rgc_heap_new(NULL);
    void *ints = rgc_array_new(h, RGC_ARRAY_I32, 0), *floats = rgc_array_new(h, RGC_ARRAY_F64, 0);
    assert_int_equal(rgc_array_append_int(ints, 5), 0);
    assert_int_equal(rgc_array_append_float(floats, 1.5), 0);
    record_errors();
    int64_t v = 123;
    double d = 4.5;
    assert_int_equal(rgc_array_append_float(ints, 1.5), -1); /* a float into ints */
    assert_int_equal(recorded.last_code, RGC_EINVAL);
    assert_int_equal(rgc_array_get_int(floats, 0, &v), -1); /* ints out of floats */
    assert_int_equal(recorded.last_code, RGC_EINVAL);
    assert_true(v == 123);
    assert_int_equal(rgc_array_get_int(ints, 1, &v), -1);
    assert_int_equal(recorded.last_code, RGC_EKEY);
    assert_int_equal(rgc_array_get_float(floats, 1, &d), -1);
    assert_int_equal(recorded.last_code, RGC_EKEY);
    assert_true(d == 4.5);
    assert_int_equal(rgc_array_get_int(ints, 0, NULL), -1);
    assert_null(rgc_array_new(h, (rgc_array_kind_t)42, 0));
    void *l = rgc_list_new(h, 0);
    assert_int_equal(rgc_array_append_int(l, 1), -1);
    assert_string_equal(recorded.last_type, "list");
    assert_int_equal(rgc_array_len(NULL), 0);
    assert_int_equal(recorded.count, 8);
    assert_int_equal(recorded.last_code, RGC_EINVAL);
    assert_int_equal(rgc_array_len(ints), 1);
    assert_int_equal(rgc_array_len(floats), 1);
    rgc_set_error_handler(NULL, NULL);
    rgc_decref(l);
    rgc_decref(ints);
    rgc_decref(floats);
    assert_heap_ok(h);
    rgc_heap_destroy(h);
}

static void test_an_array_grows_to_100k_and_holds_no_references(void **state)
{
    (void)state;
    enum { N = 100000 };
    rgc_heap_t *h = rgc_heap_new(NULL);
    size_t before = live_objects(h);
    void *a = rgc_array_new(h, RGC_ARRAY_I64, 0);
    for (int64_t i = 0; i < N; i++)
        assert_int_equal(rgc_array_append_int(a, i * i), 0);
    assert_int_equal(rgc_array_len(a), N);
    for (int64_t i = 0; i < N; i += 1009) {
        int64_t v;
        assert_int_equal(rgc_array_get_int(a, (size_t)i, &v), 0);
        assert_true(v == i * i);
    }
    size_t data = rgc_sizeof(a) - rgc_type_basic_size(rgc_array_type());
    assert_true(data >= N * 8 && data <= N * 8 * 9 / 8 + 256);
    assert_int_equal(live_objects(h), before + 1); /* no object per element */
    assert_false(rgc_is_tracked(a));
    assert_false(rgc_type_is_gc(rgc_array_type()));
    char buf[32];
    rgc_repr(a, buf, sizeof buf);
    assert_string_equal(buf, "array i64[100000]");
    rgc_decref(a);
    assert_int_equal(live_objects(h), before);
    assert_heap_ok(h);
    rgc_heap_destroy(h);
}

/* array('i', range(1000)) versus [1000 distinct ints], sys.getsizeof-style
 * but counting the int objects the list keeps alive. */
static void test_an_int32_array_is_far_smaller_than_a_list_of_ints(void **state)
{
    (void)state;
    enum { N = 1000 };
    rgc_heap_t *h = rgc_heap_new(NULL);
    void *list = rgc_list_new(h, 0);
    void *arr = rgc_array_new(h, RGC_ARRAY_I32, 0);
    size_t ints = 0;
    for (int64_t i = 0; i < N; i++) {
        void *v = rgc_int_new(h, 1000 + i); /* outside the small-int cache */
        ints += rgc_sizeof(v);
        assert_int_equal(rgc_list_append(list, v), 0);
        rgc_decref(v);
        assert_int_equal(rgc_array_append_int(arr, 1000 + i), 0);
    }
    size_t list_total = rgc_sizeof(list) + ints;
    size_t array_total = rgc_sizeof(arr);
    print_message("1000 ints: list %zu bytes (block + item array %zu, int objects %zu); "
                  "int32 array %zu bytes: %.1fx smaller\n",
                  list_total, rgc_sizeof(list), ints, array_total,
                  (double)list_total / (double)array_total);
    assert_true(ints >= N * 24);
    assert_true(array_total >= N * 4);
    assert_true(array_total * 5 <= list_total);
    rgc_decref(list);
    rgc_decref(arr);
    assert_heap_ok(h);
    rgc_heap_destroy(h);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_each_integer_kind_accepts_exactly_its_range),
        cmocka_unit_test(test_float_kinds_store_floats_and_ints),
        cmocka_unit_test(test_refused_conversions_and_indices_change_nothing),
        cmocka_unit_test(test_an_array_grows_to_100k_and_holds_no_references),
        cmocka_unit_test(test_an_int32_array_is_far_smaller_than_a_list_of_ints),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
