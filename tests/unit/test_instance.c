/*
 * test_instance.c — classes whose instances keep attributes in a dict:
 * registration, attributes and their ownership, the lazily made __dict__,
 * a self-cycle broken by hand, and the memory a fixed layout (the
 * __slots__ analogue) saves, measured with rgc_sizeof.
 */
#include "testutil.h"


static void test_registering_a_class_twice_gives_the_same_type(void **state)
{
    (void)state;
    rgc_type_t *a = rgc_class_register("test_instance.Node");
    assert_non_null(a);
    assert_ptr_equal(rgc_class_register("test_instance.Node"), a);
    assert_string_equal(rgc_type_name(a), "test_instance.Node");
    assert_true(rgc_type_is_gc(a));
    rgc_type_t *b = rgc_class_register("test_instance.Other");
    assert_non_null(b);
    assert_ptr_not_equal(a, b);

    record_errors();
    assert_null(rgc_class_register(NULL));
    assert_null(rgc_class_register(""));
    assert_null(rgc_class_register("int")); /* taken by another layout */
    assert_int_equal(recorded.count, 3);
    assert_int_equal(recorded.last_code, RGC_EINVAL);
    rgc_heap_t *h = rgc_heap_new(NULL);
    assert_null(rgc_instance_new(h, rgc_int_type())); /* not a class */
    assert_int_equal(recorded.count, 4);
    rgc_set_error_handler(NULL, NULL);
    assert_heap_ok(h);
    rgc_heap_destroy(h);
}

static void test_attributes_are_set_and_read_through_a_lazy_dict(void **state)
{
    (void)state;
    rgc_heap_t *h = rgc_heap_new(NULL);
    void *name_x = rgc_str_intern(h, "x"); /* interned names live as long as the heap */
    rgc_str_intern(h, "y");
    size_t before = live_objects(h);
    void *p = rgc_instance_new(h, rgc_class_register("test_instance.Point"));
    assert_non_null(p);
    assert_true(rgc_is_tracked(p));
    assert_null(rgc_instance_dict(p));
    assert_int_equal(live_objects(h), before + 1);

    void *x = rgc_int_new(h, 1000), *y = rgc_int_new(h, 2000);
    assert_int_equal(rgc_attr_set(p, "x", x), 0);
    assert_int_equal(rgc_attr_set(p, "y", y), 0);
    void *d = rgc_instance_dict(p);
    assert_non_null(d);
    assert_true(rgc_is(d, rgc_dict_type()));
    assert_int_equal(rgc_refcount(d), 1);
    assert_int_equal(rgc_dict_len(d), 2);
    assert_ptr_equal(rgc_attr_get(p, "x"), x);
    assert_ptr_equal(rgc_attr_get(p, "y"), y);
    assert_int_equal(rgc_refcount(x), 2);

    /* The attribute names are the heap's interned strings. */
    size_t pos = 0;
    void *k;
    assert_true(rgc_dict_next(d, &pos, &k, NULL));
    assert_ptr_equal(k, name_x);

    char buf[64];
    rgc_repr(p, buf, sizeof buf);
    assert_string_equal(buf, "test_instance.Point instance (2 attributes)");

    /* Replacing an attribute drops the old value. */
    assert_int_equal(rgc_attr_set(p, "x", y), 0);
    assert_int_equal(rgc_refcount(x), 1);
    assert_int_equal(rgc_refcount(y), 3);

    rgc_decref(x);
    rgc_decref(y);
    rgc_decref(p); /* takes its dict and the value with it */
    assert_int_equal(live_objects(h), before);
    assert_heap_ok(h);
    rgc_heap_destroy(h);
}

static void test_a_missing_attribute_is_null_without_a_report(void **state)
{
    (void)state;
    rgc_heap_t *h = rgc_heap_new(NULL);
    void *p = rgc_instance_new(h, rgc_class_register("test_instance.Point"));
    record_errors();
    assert_null(rgc_attr_get(p, "nope")); /* no dict yet */
    assert_int_equal(rgc_attr_set(p, "x", p), 0);
    assert_null(rgc_attr_get(p, "nope")); /* a dict without it */
    assert_int_equal(recorded.count, 0);
    /* Bad arguments, in contrast, are reported. */
    void *l = rgc_list_new(h, 0);
    assert_null(rgc_attr_get(l, "x"));
    assert_int_equal(recorded.last_code, RGC_EINVAL);
    assert_string_equal(recorded.last_type, "list");
    assert_int_equal(rgc_attr_set(l, "x", p), -1);
    assert_int_equal(rgc_attr_set(p, NULL, p), -1);
    assert_int_equal(rgc_attr_set(p, "x", NULL), -1);
    assert_null(rgc_attr_get(p, NULL));
    assert_null(rgc_instance_dict(NULL));
    assert_int_equal(recorded.count, 6);
    assert_int_equal(recorded.last_code, RGC_EINVAL);
    rgc_set_error_handler(NULL, NULL);

    /* p.x = p: a self-cycle; breaking it by hand frees p. */
    size_t live = live_objects(h);
    rgc_decref(p);
    assert_int_equal(live_objects(h), live);
    assert_int_equal(rgc_refcount(p), 1);
    rgc_dict_clear(rgc_instance_dict(p));
    assert_int_equal(live_objects(h), live - 2); /* p and its dict */
    rgc_decref(l);
    assert_heap_ok(h);
    rgc_heap_destroy(h);
}

/* The __slots__ analogue: a type with two reference fields. */
typedef struct point_slots {
    RGC_OBJECT_HEAD;
    rgc_object_t *x;
    rgc_object_t *y;
} point_slots_t;

static rgc_type_t *point_slots_type(void)
{
    static const rgc_ref_field_t fields[] = {
        {"x", offsetof(point_slots_t, x)},
        {"y", offsetof(point_slots_t, y)},
    };
    static const rgc_type_spec_t spec = {
        .name = "test_instance.PointSlots",
        .basic_size = sizeof(point_slots_t),
        .ref_fields = fields,
        .n_ref_fields = 2,
    };
    return rgc_type_register(&spec);
}

static void test_a_fixed_layout_is_far_smaller_than_an_instance_with_a_dict(void **state)
{
    (void)state;
    rgc_heap_t *h = rgc_heap_new(NULL);
    void *one = rgc_int_new(h, 1), *two = rgc_int_new(h, 2);

    void *regular = rgc_instance_new(h, rgc_class_register("test_instance.PointRegular"));
    assert_int_equal(rgc_attr_set(regular, "x", one), 0);
    assert_int_equal(rgc_attr_set(regular, "y", two), 0);
    size_t inst = rgc_sizeof(regular);
    size_t dict = rgc_sizeof(rgc_instance_dict(regular)); /* block + index + entries */
    size_t regular_total = inst + dict;

    point_slots_t *slotted = rgc_new(h, point_slots_type());
    assert_non_null(slotted);
    slotted->x = rgc_newref(one);
    slotted->y = rgc_newref(two);
    size_t slotted_total = rgc_sizeof(slotted);

    print_message("Point(x, y): with a dict %zu bytes (instance %zu + dict and tables %zu); "
                  "fixed layout %zu bytes: %.1fx smaller\n",
                  regular_total, inst, dict, slotted_total,
                  (double)regular_total / (double)slotted_total);
    assert_int_equal(slotted_total, 32);
    assert_true(dict > 64); /* the dict's tables are counted */
    assert_true(slotted_total * 2 <= regular_total);

    rgc_decref(regular);
    rgc_decref(slotted);
    assert_heap_ok(h);
    rgc_heap_destroy(h);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_registering_a_class_twice_gives_the_same_type),
        cmocka_unit_test(test_attributes_are_set_and_read_through_a_lazy_dict),
        cmocka_unit_test(test_a_missing_attribute_is_null_without_a_report),
        cmocka_unit_test(test_a_fixed_layout_is_far_smaller_than_an_instance_with_a_dict),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
