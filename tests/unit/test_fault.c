/*
 * test_fault.c — failure injection through the system-memory seam: for
 * every N, a full scenario whose Nth map/alloc fails must see NULL or -1
 * where it allocates, report RGC_ENOMEM, keep a heap that passes the
 * checker, and give every byte back when the heap is destroyed.
 */
#include "testutil.h"

typedef struct cell {
    RGC_OBJECT_HEAD;
    rgc_object_t *ref;
    int64_t v;
} cell_t;

static const rgc_ref_field_t cell_fields[] = {{"ref", offsetof(cell_t, ref)}};

static rgc_type_t *cell_type(void)
{
    static const rgc_type_spec_t spec = {
        .name = "fault.Cell", .basic_size = sizeof(cell_t), .ref_fields = cell_fields, .n_ref_fields = 1};
    return rgc_type_register(&spec);
}

enum { NRAW = 300 };

/* Builds and tears down a mixed heap; stops at the first failure, after
 * dropping everything it made.  Returns 0 if it ran to the end. */
static int scenario(rgc_heap_t *h)
{
    int rc = -1;
    void *raw[NRAW] = {0};
    void *list = NULL, *dict = NULL, *tuple = NULL, *big = NULL;
    list = rgc_list_new(h, 0);
    if (!list)
        goto out;
    for (int i = 0; i < 3000; i++) {
        void *n = rgc_int_new(h, 1000 + i);
        if (!n)
            goto out;
        int r = rgc_list_append(list, n);
        rgc_decref(n);
        if (r < 0)
            goto out;
    }
    dict = rgc_dict_new(h);
    if (!dict)
        goto out;
    for (int i = 0; i < 400; i++) {
        char key[32];
        snprintf(key, sizeof key, "key-%d", i);
        void *k = rgc_str_from_cstr(h, key);
        cell_t *c = k ? rgc_new(h, cell_type()) : NULL;
        if (c)
            c->ref = rgc_newref(list);
        int r = c ? rgc_dict_set(dict, k, c) : -1;
        rgc_xdecref(k);
        rgc_xdecref(c);
        if (r < 0)
            goto out;
    }
    for (int i = 0; i < NRAW; i++) {
        raw[i] = rgc_mem_alloc(h, (size_t)(i * 37) % 2000);
        if (!raw[i])
            goto out;
    }
    for (int i = 0; i < NRAW; i += 2) {
        rgc_mem_free(h, raw[i]);
        raw[i] = NULL;
    }
    tuple = rgc_tuple_pack(h, 3, list, dict, list);
    if (!tuple)
        goto out;
    big = rgc_tuple_new(h, 5000); /* a large object */
    if (!big)
        goto out;
    rc = 0;
out:
    for (int i = 0; i < NRAW; i++)
        rgc_mem_free(h, raw[i]);
    rgc_xdecref(big);
    rgc_xdecref(tuple);
    rgc_xdecref(dict);
    rgc_xdecref(list);
    return rc;
}

static void test_every_failing_system_call_leaves_a_consistent_heap(void **state)
{
    (void)state;
    record_errors();
    counting_sysmem_t probe = {0};
    rgc_sysmem_t sm = counting_sysmem(&probe);
    rgc_heap_config_t cfg = {.name = "fault", .sysmem = &sm};
    rgc_heap_t *h = rgc_heap_new(&cfg);
    assert_int_equal(scenario(h), 0);
    assert_heap_ok(h);
    rgc_heap_destroy(h);
    long total = probe.calls;
    assert_true(total > 10);
    assert_int_equal(recorded.count, 0);
    print_message("scenario makes %ld system-memory calls; failing each in turn\n", total);
    for (long n = 1; n <= total; n++) {
        counting_sysmem_t c = {.fail_at = n};
        sm = counting_sysmem(&c);
        recorded.count = 0;
        h = rgc_heap_new(&cfg);
        if (h) {
            assert_int_equal(scenario(h), -1);
            assert_heap_ok(h);
            rgc_heap_stats_t s;
            rgc_heap_stats(h, &s);
            if (s.objects != 0)
                fail_msg("failing call %ld left %zu objects alive", n, s.objects);
            rgc_heap_destroy(h);
        }
        assert_int_equal(c.failures, 1);
        assert_int_equal(recorded.last_code, RGC_ENOMEM);
        assert_int_equal(c.maps, c.unmaps);
        assert_int_equal(c.allocs, c.frees);
        assert_int_equal(c.mapped, 0);
        assert_int_equal(c.allocated, 0);
    }
    rgc_set_error_handler(NULL, NULL);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_every_failing_system_call_leaves_a_consistent_heap),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
