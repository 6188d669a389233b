/*
 * test_type.c — the type table: registration from a spec, lookups, and the
 * rejection of layouts that do not fit their objects.
 */
#include "testutil.h"

typedef struct pair {
    RGC_OBJECT_HEAD;
    rgc_object_t *first;
    rgc_object_t *second;
    size_t n;
    rgc_object_t **more;
} pair_t;

static const rgc_ref_field_t pair_fields[] = {
    {"first", offsetof(pair_t, first)},
    {"second", offsetof(pair_t, second)},
};
static const rgc_ref_array_t pair_arrays[] = {{"more", offsetof(pair_t, more), offsetof(pair_t, n), 0, 0}};

static rgc_type_spec_t pair_spec(const char *name)
{
    rgc_type_spec_t s = {
        .name = name,
        .basic_size = sizeof(pair_t),
        .ref_fields = pair_fields,
        .n_ref_fields = 2,
        .ref_arrays = pair_arrays,
        .n_ref_arrays = 1,
    };
    return s;
}

static void test_a_registered_type_is_found_by_name_and_id(void **state)
{
    (void)state;
    rgc_type_spec_t s = pair_spec("types.Pair");
    rgc_type_t *t = rgc_type_register(&s);
    assert_non_null(t);
    assert_ptr_equal(rgc_type_by_name("types.Pair"), t);
    assert_ptr_equal(rgc_type_by_id(rgc_type_id(t)), t);
    assert_string_equal(rgc_type_name(t), "types.Pair");
    assert_int_equal(rgc_type_basic_size(t), sizeof(pair_t));
    assert_true(rgc_type_is_gc(t));
    assert_null(rgc_type_by_id(0));
    assert_null(rgc_type_by_id(rgc_type_count() + 1));
    assert_null(rgc_type_by_name("types.NoSuchType"));
}

static void test_the_spec_is_copied_not_borrowed(void **state)
{
    (void)state;
    char name[32] = "types.Copied";
    rgc_type_spec_t s = pair_spec(name);
    rgc_type_t *t = rgc_type_register(&s);
    memset(name, 'x', sizeof name - 1);
    assert_string_equal(rgc_type_name(t), "types.Copied");
}

static void test_registering_the_same_spec_twice_returns_the_same_type(void **state)
{
    (void)state;
    rgc_type_spec_t s = pair_spec("types.Twice");
    rgc_type_t *a = rgc_type_register(&s);
    uint32_t n = rgc_type_count();
    rgc_type_t *b = rgc_type_register(&s);
    assert_ptr_equal(a, b);
    assert_int_equal(rgc_type_count(), n);
}

static void test_a_taken_name_with_another_layout_is_rejected(void **state)
{
    (void)state;
    record_errors();
    rgc_type_spec_t s = pair_spec("types.Taken");
    assert_non_null(rgc_type_register(&s));
    s.n_ref_fields = 1;
    assert_null(rgc_type_register(&s));
    assert_int_equal(recorded.last_code, RGC_EINVAL);
    assert_string_equal(recorded.last_type, "types.Taken");
    rgc_set_error_handler(NULL, NULL);
}

static void test_layouts_outside_the_object_are_rejected(void **state)
{
    (void)state;
    record_errors();
    static const rgc_ref_field_t outside[] = {{"x", sizeof(pair_t)}};
    static const rgc_ref_field_t in_header[] = {{"x", 8}};
    static const rgc_ref_field_t misaligned[] = {{"x", 20}};
    static const rgc_ref_array_t bad_len[] = {{"a", offsetof(pair_t, more), sizeof(pair_t), 0, 0}};
    static const rgc_ref_array_t bad_stride[] = {{"a", offsetof(pair_t, more), offsetof(pair_t, n), 12, 8}};
    static const rgc_ref_array_t inline_fixed[] = {{"a", RGC_REFS_INLINE, offsetof(pair_t, n), 0, 0}};
    rgc_type_spec_t cases[8];
    for (int i = 0; i < 8; i++)
        cases[i] = (rgc_type_spec_t){.name = "types.Bad", .basic_size = sizeof(pair_t)};
    cases[0].ref_fields = outside, cases[0].n_ref_fields = 1;
    cases[1].ref_fields = in_header, cases[1].n_ref_fields = 1;
    cases[2].ref_fields = misaligned, cases[2].n_ref_fields = 1;
    cases[3].ref_arrays = bad_len, cases[3].n_ref_arrays = 1;
    cases[4].ref_arrays = bad_stride, cases[4].n_ref_arrays = 1;
    cases[5].ref_arrays = inline_fixed, cases[5].n_ref_arrays = 1;
    cases[6].basic_size = 8;                  /* smaller than the header */
    cases[7].flags = RGC_TF_VAR;              /* no item size */
    for (int i = 0; i < 8; i++) {
        recorded.count = 0;
        assert_null(rgc_type_register(&cases[i]));
        assert_int_equal(recorded.count, 1);
        assert_int_equal(recorded.last_code, RGC_EINVAL);
    }
    assert_null(rgc_type_register(NULL));
    rgc_type_spec_t unnamed = {.basic_size = 32};
    assert_null(rgc_type_register(&unnamed));
    assert_null(rgc_type_by_name("types.Bad"));
    rgc_set_error_handler(NULL, NULL);
}

static void test_types_without_references_are_not_collected(void **state)
{
    (void)state;
    rgc_type_spec_t plain = {.name = "types.Plain", .basic_size = 32};
    rgc_type_t *t = rgc_type_register(&plain);
    assert_false(rgc_type_is_gc(t));
    rgc_type_spec_t nogc = pair_spec("types.NoGC");
    nogc.flags = RGC_TF_NO_GC;
    assert_false(rgc_type_is_gc(rgc_type_register(&nogc)));
    rgc_heap_t *h = rgc_heap_new(NULL);
    void *o = rgc_new(h, t);
    assert_false(rgc_is_tracked(o));
    assert_true(rgc_is(o, t));
    rgc_decref(o);
    assert_heap_ok(h);
    rgc_heap_destroy(h);
}

static void test_new_rejects_a_mismatched_constructor(void **state)
{
    (void)state;
    record_errors();
    rgc_heap_t *h = rgc_heap_new(NULL);
    rgc_type_spec_t plain = {.name = "types.Fixed", .basic_size = 32};
    rgc_type_t *t = rgc_type_register(&plain);
    assert_null(rgc_new_var(h, t, 3));
    assert_int_equal(recorded.last_code, RGC_EINVAL);
    assert_null(rgc_new(NULL, t));
    assert_null(rgc_new(h, NULL));
    assert_int_equal(recorded.count, 3);
    assert_heap_ok(h);
    rgc_set_error_handler(NULL, NULL);
    rgc_heap_destroy(h);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_a_registered_type_is_found_by_name_and_id),
        cmocka_unit_test(test_the_spec_is_copied_not_borrowed),
        cmocka_unit_test(test_registering_the_same_spec_twice_returns_the_same_type),
        cmocka_unit_test(test_a_taken_name_with_another_layout_is_rejected),
        cmocka_unit_test(test_layouts_outside_the_object_are_rejected),
        cmocka_unit_test(test_types_without_references_are_not_collected),
        cmocka_unit_test(test_new_rejects_a_mismatched_constructor),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
