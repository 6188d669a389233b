/*
 * test_object.c — objects: reference counts, immediate destruction through
 * the reference layout, finalizers, immortality, misuse reports, sizes and
 * membership in the collector's generations.
 */
#include "testutil.h"

#include <stdlib.h>

typedef struct node {
    RGC_OBJECT_HEAD;
    rgc_object_t *next;
    int64_t value;
} node_t;

static const rgc_ref_field_t node_fields[] = {{"next", offsetof(node_t, next)}};

static rgc_type_t *node_type(void)
{
    static const rgc_type_spec_t spec = {
        .name = "test.Node",
        .basic_size = sizeof(node_t),
        .ref_fields = node_fields,
        .n_ref_fields = 1,
    };
    return rgc_type_register(&spec);
}

/* A plain payload type: no references, never tracked. */
typedef struct point {
    RGC_OBJECT_HEAD;
    double x, y;
} point_t;

static rgc_type_t *point_type(void)
{
    static const rgc_type_spec_t spec = {.name = "test.Point", .basic_size = sizeof(point_t)};
    return rgc_type_register(&spec);
}

/* A bag: references in a separately allocated array (pointer + length). */
typedef struct bag {
    RGC_OBJECT_HEAD;
    size_t len;
    rgc_object_t **items;
} bag_t;

static int bag_deallocs;
static int bag_saw_null_items;

static void bag_dealloc(rgc_object_t *o)
{
    bag_t *b = (bag_t *)o;
    bag_deallocs++;
    bag_saw_null_items = 1;
    for (size_t i = 0; i < b->len; i++)
        if (b->items[i])
            bag_saw_null_items = 0;
    rgc_mem_free(rgc_heap_of(o), b->items);
}

static const rgc_ref_array_t bag_arrays[] = {
    {"items", offsetof(bag_t, items), offsetof(bag_t, len), 0, 0},
};

static rgc_type_t *bag_type(void)
{
    static const rgc_type_spec_t spec = {
        .name = "test.Bag",
        .basic_size = sizeof(bag_t),
        .ref_arrays = bag_arrays,
        .n_ref_arrays = 1,
        .dealloc = bag_dealloc,
    };
    return rgc_type_register(&spec);
}

/* A vector: references inline after the fixed part (tuple-style). */
typedef struct vec {
    RGC_OBJECT_HEAD;
    size_t n;
    rgc_object_t *items[];
} vec_t;

static const rgc_ref_array_t vec_arrays[] = {{"items", RGC_REFS_INLINE, offsetof(vec_t, n), 0, 0}};

static rgc_type_t *vec_type(void)
{
    static const rgc_type_spec_t spec = {
        .name = "test.Vec",
        .basic_size = sizeof(vec_t),
        .item_size = sizeof(void *),
        .nitems_offset = offsetof(vec_t, n),
        .flags = RGC_TF_VAR,
        .ref_arrays = vec_arrays,
        .n_ref_arrays = 1,
    };
    return rgc_type_register(&spec);
}

/* A phoenix: its finalizer stores it in a global, resurrecting it. */
static int phoenix_finalized;
static rgc_object_t *phoenix_saved;

static void phoenix_finalize(rgc_object_t *o)
{
    phoenix_finalized++;
    if (phoenix_finalized == 1)
        phoenix_saved = rgc_newref(o);
}

static rgc_type_t *phoenix_type(void)
{
    static const rgc_type_spec_t spec = {
        .name = "test.Phoenix",
        .basic_size = sizeof(point_t),
        .finalize = phoenix_finalize,
    };
    return rgc_type_register(&spec);
}


static void test_new_object_has_refcount_one_and_a_zeroed_body(void **state)
{
    (void)state;
    rgc_heap_t *h = rgc_heap_new(NULL);
    node_t *n = rgc_new(h, node_type());
    assert_non_null(n);
    assert_int_equal(rgc_refcount(n), 1);
    assert_null(n->next);
    assert_int_equal(n->value, 0);
    assert_ptr_equal(rgc_typeof(n), node_type());
    assert_ptr_equal(rgc_heap_of(n), h);
    rgc_decref(n);
    assert_heap_ok(h);
    rgc_heap_destroy(h);
}

static void test_refcount_follows_every_reference(void **state)
{
    (void)state;
    rgc_heap_t *h = rgc_heap_new(NULL);
    point_t *a = rgc_new(h, point_type()); /* a = [] */
    point_t *b = rgc_newref(a);            /* b = a */
    point_t *c = rgc_newref(a);            /* c = a */
    assert_int_equal(rgc_refcount(a), 3);
    rgc_decref(b); /* del b */
    assert_int_equal(rgc_refcount(a), 2);
    rgc_decref(c); /* del c */
    assert_int_equal(rgc_refcount(a), 1);
    assert_int_equal(live_objects(h), 1);
    rgc_decref(a);
    assert_int_equal(live_objects(h), 0);
    assert_heap_ok(h);
    rgc_heap_destroy(h);
}

static void test_decref_to_zero_frees_the_block_at_once(void **state)
{
    (void)state;
    rgc_heap_t *h = rgc_heap_new(NULL);
    point_t *keep = rgc_new(h, point_type());
    point_t *p = rgc_new(h, point_type());
    rgc_decref(p);
    point_t *q = rgc_new(h, point_type());
    assert_ptr_equal(p, q); /* the very same block, reused */
    rgc_decref(q);
    rgc_decref(keep);
    assert_heap_ok(h);
    rgc_heap_destroy(h);
}

static void test_destruction_drops_references_held_in_fields(void **state)
{
    (void)state;
    rgc_heap_t *h = rgc_heap_new(NULL);
    node_t *child = rgc_new(h, node_type());
    node_t *parent = rgc_new(h, node_type());
    parent->next = rgc_newref(child);
    assert_int_equal(rgc_refcount(child), 2);
    rgc_decref(parent);
    assert_int_equal(rgc_refcount(child), 1);
    assert_int_equal(live_objects(h), 1);
    rgc_decref(child);
    assert_int_equal(live_objects(h), 0);
    assert_heap_ok(h);
    rgc_heap_destroy(h);
}

/* Objects of 1 to 6 reference fields (the destruction unrolls up to four,
 * and reads fields that follow the header in order without their offsets):
 * on destruction each referent loses exactly the references held, those
 * whose count reaches zero die with the object, NULL fields and an
 * immortal referent are left alone.  Each width is also registered with
 * its fields listed last to first, which takes the offsets' path. */
typedef struct wide {
    RGC_OBJECT_HEAD;
    rgc_object_t *f[6];
} wide_t;

static rgc_type_t *wide_type(int n, int reversed)
{
    static const char *names[2][7] = {
        {"", "test.Wide1", "test.Wide2", "test.Wide3", "test.Wide4", "test.Wide5", "test.Wide6"},
        {"", "test.Rwide1", "test.Rwide2", "test.Rwide3", "test.Rwide4", "test.Rwide5", "test.Rwide6"}};
    rgc_ref_field_t fields[6];
    for (int i = 0; i < n; i++) {
        int k = reversed ? n - 1 - i : i;
        fields[i] = (rgc_ref_field_t){"f", offsetof(wide_t, f) + (size_t)k * sizeof(rgc_object_t *)};
    }
    rgc_type_spec_t spec = {.name = names[reversed][n],
                            .basic_size = sizeof(rgc_object_t) + (size_t)n * sizeof(void *),
                            .ref_fields = fields,
                            .n_ref_fields = (uint32_t)n};
    return rgc_type_register(&spec);
}

static void test_destruction_of_one_to_six_fields_drops_each_referent_once(void **state)
{
    (void)state;
    rgc_heap_t *h = rgc_heap_new(NULL);
    point_t *immortal = rgc_new(h, point_type());
    rgc_immortalize(immortal);
    for (int v = 0; v < 14; v++) {
        int n = v % 7, reversed = v / 7;
        if (n == 0)
            continue;
        rgc_type_t *t = wide_type(n, reversed);
        assert_non_null(t);
        wide_t *o = rgc_new(h, t);
        point_t *kept[6] = {NULL};
        size_t before = live_objects(h);
        int dies = 0, survives = 0;
        for (int i = 0; i < n; i++) {
            switch ((i + n + reversed) % 4) {
            case 0: /* dies with o */
                o->f[i] = rgc_new(h, point_type());
                dies++;
                break;
            case 1: /* survives, one reference fewer */
                kept[i] = rgc_new(h, point_type());
                o->f[i] = rgc_newref(kept[i]);
                survives++;
                break;
            case 2:
                o->f[i] = rgc_newref(immortal);
                break;
            default:
                break; /* NULL */
            }
        }
        assert_int_equal(live_objects(h), before + (size_t)(dies + survives));
        rgc_decref(o);
        assert_int_equal(live_objects(h), before - 1 + (size_t)survives);
        for (int i = 0; i < n; i++)
            if (kept[i]) {
                assert_int_equal(rgc_refcount(kept[i]), 1);
                rgc_decref(kept[i]);
            }
        assert_int_equal(live_objects(h), before - 1);
        assert_true(rgc_is_immortal(immortal));
        assert_heap_ok(h);
    }
    rgc_heap_destroy(h);
}

static void test_destruction_drops_references_in_arrays_before_dealloc(void **state)
{
    (void)state;
    rgc_heap_t *h = rgc_heap_new(NULL);
    bag_deallocs = 0;
    bag_t *bag = rgc_new(h, bag_type());
    bag->items = rgc_mem_calloc(h, 5 * sizeof(rgc_object_t *));
    bag->len = 5;
    point_t *p = rgc_new(h, point_type());
    for (int i = 0; i < 4; i++)
        bag->items[i] = rgc_newref(p); /* items[4] stays NULL */
    assert_int_equal(rgc_refcount(p), 5);
    rgc_decref(bag);
    assert_int_equal(bag_deallocs, 1);
    assert_true(bag_saw_null_items);
    assert_int_equal(rgc_refcount(p), 1);
    rgc_decref(p);
    assert_heap_ok(h);
    rgc_heap_destroy(h);
}

static void test_inline_items_are_dropped_and_large_objects_work(void **state)
{
    (void)state;
    rgc_heap_t *h = rgc_heap_new(NULL);
    point_t *p = rgc_new(h, point_type());
    vec_t *small = rgc_new_var(h, vec_type(), 3);
    vec_t *large = rgc_new_var(h, vec_type(), 1000); /* 8 KiB: a large block */
    assert_int_equal(small->n, 3);
    assert_int_equal(large->n, 1000);
    assert_ptr_equal(rgc_heap_of(large), h);
    for (size_t i = 0; i < 1000; i++)
        large->items[i] = rgc_newref(p);
    small->items[1] = rgc_newref(p);
    assert_int_equal(rgc_refcount(p), 1002);
    assert_int_equal(rgc_sizeof(large), sizeof(vec_t) + 1000 * sizeof(void *) + 48);
    assert_heap_ok(h);
    rgc_decref(large);
    rgc_decref(small);
    assert_int_equal(rgc_refcount(p), 1);
    rgc_decref(p);
    rgc_heap_stats_t s;
    rgc_heap_stats(h, &s);
    assert_int_equal(s.large_blocks, 0);
    assert_int_equal(s.objects, 0);
    assert_heap_ok(h);
    rgc_heap_destroy(h);
}

static void test_finalizer_runs_once_and_may_resurrect(void **state)
{
    (void)state;
    rgc_heap_t *h = rgc_heap_new(NULL);
    phoenix_finalized = 0;
    phoenix_saved = NULL;
    void *o = rgc_new(h, phoenix_type());
    rgc_decref(o);
    assert_int_equal(phoenix_finalized, 1);
    assert_ptr_equal(phoenix_saved, o); /* resurrected, still alive */
    assert_int_equal(rgc_refcount(o), 1);
    assert_int_equal(live_objects(h), 1);
    assert_heap_ok(h);
    rgc_decref(phoenix_saved); /* second death: no second finalizer */
    assert_int_equal(phoenix_finalized, 1);
    assert_int_equal(live_objects(h), 0);
    assert_heap_ok(h);
    rgc_heap_destroy(h);
}

static void test_immortal_objects_are_never_destroyed(void **state)
{
    (void)state;
    rgc_heap_t *h = rgc_heap_new(NULL);
    point_t *p = rgc_new(h, point_type());
    rgc_immortalize(p);
    assert_true(rgc_is_immortal(p));
    for (int i = 0; i < 1000; i++)
        rgc_decref(p);
    rgc_incref(p);
    assert_int_equal(rgc_refcount(p), RGC_REFCNT_IMMORTAL);
    assert_int_equal(live_objects(h), 1);
    assert_heap_ok(h);
    rgc_heap_destroy(h);
}

static void test_refcount_saturates_instead_of_wrapping(void **state)
{
    (void)state;
    rgc_heap_t *h = rgc_heap_new(NULL);
    point_t *p = rgc_new(h, point_type());
    p->ob_base.refcnt = RGC_REFCNT_IMMORTAL - 1;
    rgc_incref(p);
    rgc_incref(p);
    assert_int_equal(rgc_refcount(p), RGC_REFCNT_IMMORTAL);
    rgc_decref(p);
    assert_int_equal(rgc_refcount(p), RGC_REFCNT_IMMORTAL);
    assert_heap_ok(h);
    rgc_heap_destroy(h);
}

static void test_decref_of_a_freed_object_is_reported_with_its_type(void **state)
{
    (void)state;
    rgc_heap_t *h = rgc_heap_new(NULL);
    record_errors();
    point_t *keep = rgc_new(h, point_type());
    point_t *p = rgc_new(h, point_type());
    rgc_decref(p);
    rgc_decref(p); /* one decref too many */
    assert_int_equal(recorded.count, 1);
    assert_int_equal(recorded.last_code, RGC_EFREED);
    assert_ptr_equal(recorded.last_address, p);
    assert_string_equal(recorded.last_type, "test.Point");
    assert_heap_ok(h);
    rgc_decref(keep);
    rgc_set_error_handler(NULL, NULL);
    assert_heap_ok(h);
    rgc_heap_destroy(h);
}

static int count_one(rgc_object_t *o, void *arg)
{
    (void)o;
    (void)arg;
    return 0;
}

/*
 * Objects of type t filling two pools: the first is flagged full, the
 * second is the head with no free block, so an object dying in the first
 * is held for the next rgc_new of its class (alloc.c, "The held block").
 * Held, it counts as dead everywhere: the statistics, the collector's
 * walks, the checker; a decref of it is reported; the next rgc_new gets
 * its block as a new object.  For tracked nodes, its reference was
 * dropped as it died.
 */
static void held_object_case(rgc_type_t *t, int tracked)
{
    rgc_heap_t *h = rgc_heap_new(NULL);
    point_t *leaf = rgc_new(h, point_type()); /* the first of the two pools */
    enum { N = 2 * (RGC_POOL_SIZE / 32) - 1 };
    rgc_object_t **o = malloc(N * sizeof *o);
    for (int i = 0; i < N; i++) {
        assert_non_null(o[i] = rgc_new(h, t));
        assert_int_equal(rgc_sizeof(o[i]), 32);
        if (tracked)
            ((node_t *)o[i])->next = rgc_newref(leaf);
    }
    assert_int_equal(live_objects(h), N + 1);
    rgc_heap_stats_t st;
    rgc_heap_stats(h, &st);
    assert_int_equal(st.classes[1].pools, 2);
    rgc_object_t *x = o[5];
    rgc_decref(x);
    assert_int_equal(live_objects(h), N);
    if (tracked)
        assert_int_equal(rgc_refcount(leaf), N);
    assert_heap_ok(h);
    assert_int_equal(rgc_gc_collect(h, 2), 0);
    assert_int_equal(rgc_gc_get_objects(h, -1, count_one, NULL), tracked ? N - 1 : 0);
    assert_int_equal(live_objects(h), N);
    assert_heap_ok(h);

    record_errors();
    rgc_decref(x);
    assert_int_equal(recorded.count, 1);
    assert_int_equal(recorded.last_code, RGC_EFREED);
    assert_ptr_equal(recorded.last_address, x);
    rgc_set_error_handler(NULL, NULL);
    assert_heap_ok(h);

    /* Handed out again as a new object. */
    o[5] = rgc_new(h, t);
    assert_ptr_equal(o[5], x);
    assert_int_equal(rgc_refcount(x), 1);
    if (tracked) {
        assert_null(((node_t *)x)->next);
        /* The others went to generation 2 with the collection. */
        assert_int_equal(rgc_gc_get_objects(h, 0, count_one, NULL), 1);
        assert_int_equal(rgc_gc_get_objects(h, -1, count_one, NULL), N);
    }
    assert_int_equal(live_objects(h), N + 1);
    assert_heap_ok(h);

    /* Two dying in the first pool: the second sends the held one back. */
    rgc_decref(o[3]);
    rgc_decref(o[4]);
    assert_int_equal(live_objects(h), N - 1);
    assert_heap_ok(h);
    rgc_object_t *u = rgc_new(h, t), *v = rgc_new(h, t);
    assert_true((u == o[3] && v == o[4]) || (u == o[4] && v == o[3]));
    o[3] = u;
    o[4] = v;
    assert_heap_ok(h);
    for (int i = 0; i < N; i++)
        rgc_decref(o[i]);
    assert_int_equal(rgc_refcount(leaf), 1);
    rgc_decref(leaf);
    assert_heap_ok(h);
    free(o);
    rgc_heap_destroy(h);
}

static void test_an_object_dying_in_a_full_pool_is_held_for_the_next_new(void **state)
{
    (void)state;
    held_object_case(point_type(), 0);
    held_object_case(node_type(), 1);
}

static void test_a_count_driven_below_zero_is_reported(void **state)
{
    (void)state;
    rgc_heap_t *h = rgc_heap_new(NULL);
    record_errors();
    point_t *p = rgc_new(h, point_type());
    p->ob_base.refcnt = 0; /* a stray write that bypassed the API */
    rgc_decref(p);
    assert_int_equal(recorded.last_code, RGC_EREFCNT);
    assert_string_equal(recorded.last_type, "test.Point");
    rgc_check_result_t r;
    assert_int_equal(rgc_heap_check(h, &r), -1);
    assert_ptr_equal(r.address, p);
    p->ob_base.refcnt = 1;
    rgc_decref(p);
    rgc_set_error_handler(NULL, NULL);
    assert_heap_ok(h);
    rgc_heap_destroy(h);
}

static void test_a_million_node_chain_is_freed_without_deep_recursion(void **state)
{
    (void)state;
    rgc_heap_t *h = rgc_heap_new(NULL);
    node_t *head = NULL;
    for (int i = 0; i < 1000000; i++) {
        node_t *n = rgc_new(h, node_type());
        n->next = (rgc_object_t *)head; /* steals the previous head */
        head = n;
    }
    assert_int_equal(live_objects(h), 1000000);
    rgc_decref(head);
    assert_int_equal(live_objects(h), 0);
    assert_int_equal(rgc_generation_size(h, 0), 0);
    assert_heap_ok(h);
    rgc_heap_destroy(h);
}

/* Past the depth limit a dying node is queued: the references it dropped
 * in place must not be dropped again when the queue is drained. */
static void test_a_deep_chain_drops_every_other_reference_exactly_once(void **state)
{
    (void)state;
    rgc_heap_t *h = rgc_heap_new(NULL);
    rgc_type_t *t = wide_type(3, 0); /* f0: next (dies), f1: survivor, f2: immortal */
    point_t *survivor = rgc_new(h, point_type());
    point_t *immortal = rgc_new(h, point_type());
    rgc_immortalize(immortal);
    enum { N = 1000 }; /* far deeper than the depth limit */
    wide_t *head = NULL;
    for (int i = 0; i < N; i++) {
        wide_t *n = rgc_new(h, t);
        n->f[0] = (rgc_object_t *)head;
        n->f[1] = rgc_newref(survivor);
        n->f[2] = (rgc_object_t *)immortal;
        head = n;
    }
    assert_int_equal(rgc_refcount(survivor), N + 1);
    size_t before = live_objects(h);
    rgc_decref(head);
    assert_int_equal(live_objects(h), before - N);
    assert_int_equal(rgc_refcount(survivor), 1);
    assert_true(rgc_is_immortal(immortal));
    assert_int_equal(rgc_generation_size(h, 0), 0);
    assert_heap_ok(h);
    rgc_decref(survivor);
    assert_heap_ok(h);
    rgc_heap_destroy(h);
}

static void test_sizeof_reports_the_real_block_header_included(void **state)
{
    (void)state;
    rgc_heap_t *h = rgc_heap_new(NULL);
    point_t *p = rgc_new(h, point_type()); /* 16 + 16 = 32 bytes */
    node_t *n = rgc_new(h, node_type());   /* 16 + 16 = 32 bytes */
    vec_t *v = rgc_new_var(h, vec_type(), 3); /* 16 + 8 + 24 = 48 */
    vec_t *w = rgc_new_var(h, vec_type(), 4); /* 56 -> 64 */
    assert_int_equal(rgc_sizeof(p), 32);
    assert_int_equal(rgc_sizeof(n), 32);
    assert_int_equal(rgc_sizeof(v), 48);
    assert_int_equal(rgc_sizeof(w), 64);
    rgc_decref(p);
    rgc_decref(n);
    rgc_decref(v);
    rgc_decref(w);
    assert_heap_ok(h);
    rgc_heap_destroy(h);
}

static void test_objects_with_references_are_tracked_in_generation_zero(void **state)
{
    (void)state;
    rgc_heap_t *h = rgc_heap_new(NULL);
    node_t *n[10];
    for (int i = 0; i < 10; i++)
        n[i] = rgc_new(h, node_type());
    point_t *p = rgc_new(h, point_type());
    assert_false(rgc_is_tracked(p));
    assert_int_equal(rgc_generation(p), -1);
    assert_true(rgc_is_tracked(n[3]));
    assert_int_equal(rgc_generation(n[3]), 0);
    assert_int_equal(rgc_generation_size(h, 0), 10);
    rgc_untrack(n[3]);
    assert_false(rgc_is_tracked(n[3]));
    assert_int_equal(rgc_generation_size(h, 0), 9);
    assert_heap_ok(h);
    rgc_track(n[3]);
    assert_int_equal(rgc_generation_size(h, 0), 10);
    record_errors();
    rgc_track(p);
    assert_int_equal(recorded.last_code, RGC_EMISUSE);
    rgc_set_error_handler(NULL, NULL);
    for (int i = 0; i < 10; i += 2)
        rgc_decref(n[i]);
    assert_int_equal(rgc_generation_size(h, 0), 5);
    assert_heap_ok(h);
    for (int i = 1; i < 10; i += 2)
        rgc_decref(n[i]);
    rgc_decref(p);
    assert_int_equal(rgc_generation_size(h, 0), 0);
    assert_heap_ok(h);
    rgc_heap_destroy(h);
}

static void count_ref(rgc_object_t *ref, void *arg)
{
    (void)ref;
    (*(int *)arg)++;
}

static void test_visit_refs_follows_the_declared_layout(void **state)
{
    (void)state;
    rgc_heap_t *h = rgc_heap_new(NULL);
    point_t *p = rgc_new(h, point_type());
    vec_t *v = rgc_new_var(h, vec_type(), 5);
    v->items[0] = rgc_newref(p);
    v->items[4] = rgc_newref(p);
    node_t *n = rgc_new(h, node_type());
    n->next = rgc_newref(v);
    int count = 0;
    rgc_visit_refs(v, count_ref, &count);
    assert_int_equal(count, 2);
    count = 0;
    rgc_visit_refs(n, count_ref, &count);
    assert_int_equal(count, 1);
    rgc_decref(n);
    rgc_decref(v);
    rgc_decref(p);
    assert_heap_ok(h);
    rgc_heap_destroy(h);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_new_object_has_refcount_one_and_a_zeroed_body),
        cmocka_unit_test(test_refcount_follows_every_reference),
        cmocka_unit_test(test_decref_to_zero_frees_the_block_at_once),
        cmocka_unit_test(test_destruction_drops_references_held_in_fields),
        cmocka_unit_test(test_destruction_of_one_to_six_fields_drops_each_referent_once),
        cmocka_unit_test(test_destruction_drops_references_in_arrays_before_dealloc),
        cmocka_unit_test(test_inline_items_are_dropped_and_large_objects_work),
        cmocka_unit_test(test_finalizer_runs_once_and_may_resurrect),
        cmocka_unit_test(test_immortal_objects_are_never_destroyed),
        cmocka_unit_test(test_refcount_saturates_instead_of_wrapping),
        cmocka_unit_test(test_decref_of_a_freed_object_is_reported_with_its_type),
        cmocka_unit_test(test_an_object_dying_in_a_full_pool_is_held_for_the_next_new),
        cmocka_unit_test(test_a_count_driven_below_zero_is_reported),
        cmocka_unit_test(test_a_million_node_chain_is_freed_without_deep_recursion),
        cmocka_unit_test(test_a_deep_chain_drops_every_other_reference_exactly_once),
        cmocka_unit_test(test_sizeof_reports_the_real_block_header_included),
        cmocka_unit_test(test_objects_with_references_are_tracked_in_generation_zero),
        cmocka_unit_test(test_visit_refs_follows_the_declared_layout),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
