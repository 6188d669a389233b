/*
 * test_dict.c — the built-in dict: insertion order across deletions and
 * rebuilds, 100k int keys, str / tuple / mixed int-float keys, unhashable
 * keys, ownership of keys and values, a dict-to-dict cycle broken by hand,
 * key comparisons that mutate the dict, and failed growth.
 */
#include "testutil.h"

#include <stdbool.h>


/* d[key] = value for fresh (uncached) ints, dropping the caller's refs. */
static void set_int(rgc_heap_t *h, void *d, int64_t key, int64_t value)
{
    void *k = rgc_int_new(h, key), *v = rgc_int_new(h, value);
    assert_int_equal(rgc_dict_set(d, k, v), 0);
    rgc_decref(k);
    rgc_decref(v);
}

/* d[key] as a C integer, or -1 when absent. */
static int64_t get_int(rgc_heap_t *h, const void *d, int64_t key)
{
    void *k = rgc_int_new(h, key);
    void *v = rgc_dict_get(d, k);
    rgc_decref(k);
    return v ? rgc_int_value(v) : -1;
}

static void del_int(rgc_heap_t *h, void *d, int64_t key)
{
    void *k = rgc_int_new(h, key);
    assert_int_equal(rgc_dict_del(d, k), 0);
    rgc_decref(k);
}

/* The dict's int keys in iteration order into out; returns how many. */
static size_t keys_in_order(const void *d, int64_t *out, size_t max)
{
    size_t pos = 0, n = 0;
    void *k, *v;
    while (rgc_dict_next(d, &pos, &k, &v)) {
        assert_true(n < max);
        assert_non_null(v);
        out[n++] = rgc_int_value(k);
    }
    return n;
}

static void test_insertion_order_survives_deletes_and_rebuilds(void **state)
{
    (void)state;
    rgc_heap_t *h = rgc_heap_new(NULL);
    void *d = rgc_dict_new(h);
    for (int64_t k = 1000; k < 1050; k++)
        set_int(h, d, k, k * 10);
    for (int64_t k = 1000; k < 1050; k += 2)
        del_int(h, d, k);
    for (int64_t k = 1050; k < 1300; k++) /* forces several rebuilds */
        set_int(h, d, k, k * 10);
    set_int(h, d, 1001, 7); /* replacing a value keeps the key's place */

    int64_t got[300];
    size_t n = keys_in_order(d, got, 300);
    assert_int_equal(n, 25 + 250);
    assert_int_equal(rgc_dict_len(d), n);
    size_t i = 0;
    for (int64_t k = 1001; k < 1050; k += 2)
        assert_true(got[i++] == k);
    for (int64_t k = 1050; k < 1300; k++)
        assert_true(got[i++] == k);
    assert_true(get_int(h, d, 1001) == 7);
    assert_true(get_int(h, d, 1003) == 10030);
    assert_true(get_int(h, d, 1000) == -1);

    rgc_decref(d);
    assert_heap_ok(h);
    rgc_heap_destroy(h);
}

static void test_100k_int_keys_are_found_and_deleted(void **state)
{
    (void)state;
    enum { N = 100000 };
    rgc_heap_t *h = rgc_heap_new(NULL);
    size_t before = live_objects(h);
    void *d = rgc_dict_new(h);
    for (int64_t k = 0; k < N; k++)
        set_int(h, d, k * 7 + 1000, k + 1000); /* uncached values: one object each */
    assert_int_equal(rgc_dict_len(d), N);
    for (int64_t k = 0; k < N; k++)
        assert_true(get_int(h, d, k * 7 + 1000) == k + 1000);
    assert_true(get_int(h, d, 1001) == -1);

    for (int64_t k = 0; k < N; k += 3)
        del_int(h, d, k * 7 + 1000);
    size_t left = N - (N + 2) / 3;
    assert_int_equal(rgc_dict_len(d), left);
    for (int64_t k = 0; k < N; k++)
        assert_true(get_int(h, d, k * 7 + 1000) == (k % 3 == 0 ? -1 : k + 1000));
    /* The keys and values of the deleted entries are gone. */
    assert_int_equal(live_objects(h), before + 1 + 2 * left);

    size_t bytes = rgc_sizeof(d);
    print_message("dict of %zu int keys: rgc_sizeof %zu bytes (%.1f per entry)\n", left, bytes,
                  (double)bytes / (double)left);
    assert_true(bytes >= left * 24 + left * 4); /* entries + indices at least */

    rgc_decref(d);
    assert_int_equal(live_objects(h), before);
    assert_heap_ok(h);
    rgc_heap_destroy(h);
}

static void test_str_keys_are_interned_and_found_by_equal_strings(void **state)
{
    (void)state;
    rgc_heap_t *h = rgc_heap_new(NULL);
    void *d = rgc_dict_new(h);
    void *one = rgc_int_new(h, 1), *two = rgc_int_new(h, 2);
    assert_int_equal(rgc_dict_set_str(d, "alpha", one), 0);
    assert_int_equal(rgc_dict_set_str(d, "beta", two), 0);
    assert_ptr_equal(rgc_dict_get_str(d, "alpha"), one);
    assert_ptr_equal(rgc_dict_get_str(d, "beta"), two);

    /* The stored key is the heap's interned string. */
    size_t pos = 0;
    void *k;
    assert_true(rgc_dict_next(d, &pos, &k, NULL));
    assert_true(rgc_str_is_interned(k));
    assert_ptr_equal(k, rgc_str_intern(h, "alpha"));

    /* A separately built, equal string finds the entry. */
    void *s = rgc_str_from_cstr(h, "beta");
    assert_false(rgc_str_is_interned(s));
    assert_ptr_equal(rgc_dict_get(d, s), two);

    /* A miss interns nothing and leaves no temporary behind. */
    size_t live = live_objects(h);
    assert_null(rgc_dict_get_str(d, "gamma"));
    assert_int_equal(live_objects(h), live);

    /* Setting through a non-interned equal key replaces, keeping the key. */
    assert_int_equal(rgc_dict_set(d, s, one), 0);
    assert_int_equal(rgc_dict_len(d), 2);
    assert_ptr_equal(rgc_dict_get_str(d, "beta"), one);
    assert_int_equal(rgc_refcount(s), 1);

    rgc_decref(s);
    rgc_decref(d);
    assert_heap_ok(h);
    rgc_heap_destroy(h);
}

static void test_tuple_keys_compare_by_value(void **state)
{
    (void)state;
    rgc_heap_t *h = rgc_heap_new(NULL);
    void *d = rgc_dict_new(h);
    void *x = rgc_int_new(h, 1000), *name = rgc_str_from_cstr(h, "a");
    void *key = rgc_tuple_pack(h, 2, x, name);
    void *val = rgc_float_new(h, 2.5);
    assert_int_equal(rgc_dict_set(d, key, val), 0);
    assert_int_equal(rgc_refcount(key), 2);

    void *x2 = rgc_int_new(h, 1000), *name2 = rgc_str_from_cstr(h, "a");
    void *same = rgc_tuple_pack(h, 2, x2, name2);
    void *other = rgc_tuple_pack(h, 2, name2, x2);
    assert_ptr_not_equal(same, key);
    assert_ptr_equal(rgc_dict_get(d, same), val);
    assert_null(rgc_dict_get(d, other));

    /* A tuple holding an unhashable item is itself unhashable. */
    void *l = rgc_list_new(h, 0);
    void *bad = rgc_tuple_pack(h, 1, l);
    record_errors();
    assert_int_equal(rgc_dict_set(d, bad, val), -1);
    assert_int_equal(recorded.last_code, RGC_EUNHASHABLE);
    rgc_set_error_handler(NULL, NULL);

    void *objs[] = {x, name, key, val, x2, name2, same, other, l, bad};
    for (size_t i = 0; i < sizeof objs / sizeof objs[0]; i++)
        rgc_decref(objs[i]);
    assert_int_equal(rgc_dict_len(d), 1);
    rgc_decref(d);
    assert_heap_ok(h);
    rgc_heap_destroy(h);
}

static void test_an_int_key_and_an_equal_float_are_one_key(void **state)
{
    (void)state;
    rgc_heap_t *h = rgc_heap_new(NULL);
    void *d = rgc_dict_new(h);
    void *one = rgc_int_new(h, 1), *one_f = rgc_float_new(h, 1.0);
    void *a = rgc_str_from_cstr(h, "int"), *b = rgc_str_from_cstr(h, "float");
    assert_int_equal(rgc_dict_set(d, one, a), 0);
    assert_ptr_equal(rgc_dict_get(d, one_f), a); /* d[1] then d[1.0] */

    assert_int_equal(rgc_dict_set(d, one_f, b), 0);
    assert_int_equal(rgc_dict_len(d), 1);
    size_t pos = 0;
    void *k, *v;
    assert_true(rgc_dict_next(d, &pos, &k, &v));
    assert_ptr_equal(k, one); /* the first key stays */
    assert_ptr_equal(v, b);
    assert_int_equal(rgc_refcount(one_f), 1);

    /* Large values unify too; 0.5 matches no int. */
    void *big = rgc_int_new(h, 1 << 30), *big_f = rgc_float_new(h, (double)(1 << 30));
    void *half = rgc_float_new(h, 0.5);
    assert_int_equal(rgc_dict_set(d, big_f, a), 0);
    assert_ptr_equal(rgc_dict_get(d, big), a);
    assert_null(rgc_dict_get(d, half));

    void *objs[] = {one, one_f, a, b, big, big_f, half, d};
    for (size_t i = 0; i < sizeof objs / sizeof objs[0]; i++)
        rgc_decref(objs[i]);
    assert_heap_ok(h);
    rgc_heap_destroy(h);
}

static void test_an_unhashable_key_is_rejected(void **state)
{
    (void)state;
    rgc_heap_t *h = rgc_heap_new(NULL);
    void *d = rgc_dict_new(h);
    void *l = rgc_list_new(h, 0), *other = rgc_dict_new(h), *v = rgc_int_new(h, 1000);
    record_errors();

    assert_int_equal(rgc_dict_set(d, l, v), -1);
    assert_int_equal(recorded.last_code, RGC_EUNHASHABLE);
    assert_string_equal(recorded.last_type, "list");
    assert_int_equal(rgc_dict_set(d, other, v), -1);
    assert_string_equal(recorded.last_type, "dict");
    assert_null(rgc_dict_get(d, l));
    assert_int_equal(rgc_dict_del(d, l), -1);
    assert_int_equal(recorded.count, 4);
    assert_int_equal(recorded.last_code, RGC_EUNHASHABLE);

    assert_int_equal(rgc_dict_len(d), 0);
    assert_int_equal(rgc_refcount(l), 1);
    assert_int_equal(rgc_refcount(v), 1);
    rgc_set_error_handler(NULL, NULL);
    rgc_decref(l);
    rgc_decref(other);
    rgc_decref(v);
    rgc_decref(d);
    assert_heap_ok(h);
    rgc_heap_destroy(h);
}

static void test_keys_and_values_are_owned_by_the_dict(void **state)
{
    (void)state;
    rgc_heap_t *h = rgc_heap_new(NULL);
    size_t before = live_objects(h);
    void *d = rgc_dict_new(h);
    void *k = rgc_int_new(h, 1000), *v1 = rgc_int_new(h, 2000), *v2 = rgc_int_new(h, 3000);
    assert_int_equal(rgc_dict_set(d, k, v1), 0);
    assert_int_equal(rgc_refcount(k), 2);
    assert_int_equal(rgc_refcount(v1), 2);

    assert_int_equal(rgc_dict_set(d, k, v2), 0); /* replace: the old value is dropped */
    assert_int_equal(rgc_refcount(v1), 1);
    assert_int_equal(rgc_refcount(v2), 2);
    assert_int_equal(rgc_refcount(k), 2);

    /* Replacing a value with itself when the dict holds its last reference. */
    rgc_decref(v2);
    assert_int_equal(rgc_dict_set(d, k, v2), 0);
    assert_int_equal(rgc_refcount(v2), 1);

    assert_int_equal(rgc_dict_del(d, k), 0); /* drops key and value: v2 goes */
    assert_int_equal(rgc_refcount(k), 1);
    assert_int_equal(live_objects(h), before + 3);

    record_errors();
    assert_int_equal(rgc_dict_del(d, k), -1);
    assert_int_equal(recorded.last_code, RGC_EKEY);
    rgc_set_error_handler(NULL, NULL);

    rgc_decref(k);
    rgc_decref(v1);
    rgc_decref(d);
    assert_int_equal(live_objects(h), before);
    assert_heap_ok(h);
    rgc_heap_destroy(h);
}

static void test_clear_drops_everything_and_frees_the_tables(void **state)
{
    (void)state;
    rgc_heap_t *h = rgc_heap_new(NULL);
    size_t before = live_objects(h);
    void *d = rgc_dict_new(h);
    size_t empty = rgc_sizeof(d);
    for (int64_t k = 1000; k < 1100; k++)
        set_int(h, d, k, k);
    assert_true(rgc_sizeof(d) > empty + 100 * 24);
    rgc_dict_clear(d);
    assert_int_equal(rgc_dict_len(d), 0);
    assert_int_equal(rgc_sizeof(d), empty);
    assert_int_equal(live_objects(h), before + 1);
    size_t pos = 0;
    assert_false(rgc_dict_next(d, &pos, NULL, NULL));
    set_int(h, d, 5000, 5005); /* usable again */
    assert_true(get_int(h, d, 5000) == 5005);
    rgc_decref(d);
    assert_int_equal(live_objects(h), before);
    assert_heap_ok(h);
    rgc_heap_destroy(h);
}

static void test_sizeof_counts_both_tables(void **state)
{
    (void)state;
    rgc_heap_t *h = rgc_heap_new(NULL);
    void *d = rgc_dict_new(h);
    size_t empty = rgc_sizeof(d);
    assert_int_equal(empty, 64); /* header + six words, no tables yet */
    set_int(h, d, 1000, 1);
    /* 8 int32 index slots (32 bytes) + 5 entries of 24 bytes (120 -> 128). */
    assert_int_equal(rgc_sizeof(d), empty + 32 + 128);
    char buf[32];
    rgc_repr(d, buf, sizeof buf);
    assert_string_equal(buf, "dict[1]");
    assert_true(rgc_is_tracked(d));
    rgc_decref(d);
    assert_heap_ok(h);
    rgc_heap_destroy(h);
}

static void test_a_dict_to_dict_cycle_builds_and_is_broken_by_hand(void **state)
{
    (void)state;
    rgc_heap_t *h = rgc_heap_new(NULL);
    rgc_str_intern(h, "a"); /* interned keys live as long as the heap */
    rgc_str_intern(h, "b");
    size_t before = live_objects(h);

    void *a = rgc_dict_new(h), *b = rgc_dict_new(h);
    assert_int_equal(rgc_dict_set_str(a, "b", b), 0); /* a["b"] = b */
    assert_int_equal(rgc_dict_set_str(b, "a", a), 0); /* b["a"] = a */
    assert_int_equal(rgc_refcount(a), 2);
    assert_int_equal(rgc_refcount(b), 2);
    assert_ptr_equal(rgc_dict_get_str(rgc_dict_get_str(a, "b"), "a"), a);

    rgc_decref(a);
    rgc_decref(b);
    /* Unreachable but alive: what the cycle collector will reclaim. */
    assert_int_equal(rgc_refcount(a), 1);
    assert_int_equal(rgc_refcount(b), 1);
    assert_int_equal(live_objects(h), before + 2);
    assert_heap_ok(h);

    /* Breaking the cycle by hand frees both, a while it is being cleared. */
    rgc_dict_clear(a);
    assert_int_equal(live_objects(h), before);
    assert_heap_ok(h);
    rgc_heap_destroy(h);
}

static void test_bad_arguments_are_reported(void **state)
{
    (void)state;
    rgc_heap_t *h = rgc_heap_new(NULL);
    void *d = rgc_dict_new(h), *l = rgc_list_new(h, 0), *v = rgc_int_new(h, 1);
    record_errors();
    assert_int_equal(rgc_dict_set(l, v, v), -1);
    assert_int_equal(recorded.last_code, RGC_EINVAL);
    assert_string_equal(recorded.last_type, "list");
    assert_int_equal(rgc_dict_set(d, NULL, v), -1);
    assert_int_equal(rgc_dict_set(d, v, NULL), -1);
    assert_null(rgc_dict_get(NULL, v));
    assert_int_equal(rgc_dict_len(l), 0);
    assert_int_equal(rgc_dict_set_str(d, NULL, v), -1);
    assert_null(rgc_dict_get_str(d, NULL));
    assert_false(rgc_dict_next(d, NULL, NULL, NULL));
    rgc_dict_clear(l);
    assert_int_equal(recorded.count, 9);
    assert_int_equal(recorded.last_code, RGC_EINVAL);
    assert_int_equal(rgc_dict_len(d), 0);
    rgc_set_error_handler(NULL, NULL);
    rgc_decref(l);
    rgc_decref(d);
    assert_heap_ok(h);
    rgc_heap_destroy(h);
}

/* ---- keys whose eq hook mutates the dict being searched */

typedef struct evil_key {
    RGC_OBJECT_HEAD;
    int64_t id;
} evil_key_t;

static void *evil_dict;     /* the dict the hook mutates */
static void *evil_reinsert; /* key the hook re-inserts after clearing, or NULL */
static void *evil_filler;   /* inserted before it every other time */
static int evil_calls;

static uint64_t evil_hash(const rgc_object_t *o)
{
    (void)o;
    return 42; /* every evil key collides */
}

static int evil_eq(const rgc_object_t *a, const rgc_object_t *b)
{
    evil_calls++;
    rgc_dict_clear(evil_dict);
    if (evil_reinsert) {
        /* Alternating layouts: rebuilding the same one could reuse the
         * same blocks and look unchanged, which would be a valid table. */
        if (evil_calls % 2)
            rgc_dict_set(evil_dict, evil_filler, evil_filler);
        rgc_dict_set(evil_dict, evil_reinsert, evil_reinsert);
    }
    return ((const evil_key_t *)a)->id == ((const evil_key_t *)b)->id;
}

static rgc_type_t *evil_type(void)
{
    static const rgc_type_spec_t spec = {
        .name = "test_dict.EvilKey",
        .basic_size = sizeof(evil_key_t),
        .hash = evil_hash,
        .eq = evil_eq,
    };
    return rgc_type_register(&spec);
}

static void *evil_new(rgc_heap_t *h, int64_t id)
{
    evil_key_t *k = rgc_new(h, evil_type());
    assert_non_null(k);
    k->id = id;
    return k;
}

static void test_a_key_comparison_that_clears_the_dict_restarts_the_lookup(void **state)
{
    (void)state;
    rgc_heap_t *h = rgc_heap_new(NULL);
    size_t before = live_objects(h);
    void *d = rgc_dict_new(h);
    void *k1 = evil_new(h, 1), *k2 = evil_new(h, 2);
    evil_dict = d;
    evil_reinsert = NULL;
    evil_calls = 0;
    assert_int_equal(rgc_dict_set(d, k1, k1), 0);
    /* Comparing k1 with k2 clears d; the restarted probe finds d empty. */
    assert_int_equal(rgc_dict_set(d, k2, k2), 0);
    assert_int_equal(evil_calls, 1);
    assert_int_equal(rgc_dict_len(d), 1);
    assert_ptr_equal(rgc_dict_get(d, k2), k2);
    assert_int_equal(rgc_refcount(k1), 1);
    assert_heap_ok(h);

    rgc_decref(k1);
    rgc_decref(k2);
    rgc_decref(d);
    assert_int_equal(live_objects(h), before);
    assert_heap_ok(h);
    rgc_heap_destroy(h);
}

static void test_a_comparison_that_always_mutates_ends_in_an_error(void **state)
{
    (void)state;
    rgc_heap_t *h = rgc_heap_new(NULL);
    size_t before = live_objects(h);
    void *d = rgc_dict_new(h);
    void *k1 = evil_new(h, 1), *k2 = evil_new(h, 2);
    evil_dict = d;
    evil_reinsert = NULL;
    assert_int_equal(rgc_dict_set(d, k1, k1), 0);
    evil_filler = rgc_int_new(h, 1000);
    evil_reinsert = k1; /* every comparison rebuilds d around k1 */
    evil_calls = 0;
    record_errors();
    assert_null(rgc_dict_get(d, k2));
    assert_int_equal(recorded.last_code, RGC_EMISUSE);
    assert_true(evil_calls >= 2 && evil_calls <= 64); /* bounded, not endless */
    rgc_set_error_handler(NULL, NULL);
    evil_reinsert = NULL;
    assert_ptr_equal(rgc_dict_get(d, k1), k1);
    assert_heap_ok(h);

    rgc_decref(evil_filler);
    rgc_decref(k1);
    rgc_decref(k2);
    rgc_decref(d);
    assert_int_equal(live_objects(h), before);
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
    return rgc_sysmem_default()->map(rgc_sysmem_default()->ctx, size, align);
}

static void fs_unmap(void *ctx, void *p, size_t size)
{
    (void)ctx;
    rgc_sysmem_default()->unmap(rgc_sysmem_default()->ctx, p, size);
}

static void *fs_alloc(void *ctx, size_t size)
{
    failing_sysmem_t *f = ctx;
    if (f->fail_alloc) {
        f->failures++;
        return NULL;
    }
    return rgc_sysmem_default()->alloc(rgc_sysmem_default()->ctx, size);
}

static void fs_free(void *ctx, void *p, size_t size)
{
    (void)ctx;
    rgc_sysmem_default()->free(rgc_sysmem_default()->ctx, p, size);
}

static void test_a_failed_rebuild_leaves_the_dict_unchanged(void **state)
{
    (void)state;
    failing_sysmem_t f = {0};
    rgc_sysmem_t sm = {fs_map, fs_unmap, NULL, fs_alloc, fs_free, &f, NULL};
    rgc_heap_config_t cfg = {.name = "failing", .sysmem = &sm};
    rgc_heap_t *h = rgc_heap_new(&cfg);
    assert_non_null(h);
    void *d = rgc_dict_new(h);
    /* 21 entries fill a 32-slot table (504 bytes of entries, a small
     * block); the 22nd needs 42 entries: a large block from sysmem.alloc. */
    for (int64_t k = 1000; k < 1021; k++)
        set_int(h, d, k, k + 1);
    size_t size = rgc_sizeof(d);
    void *k = rgc_int_new(h, 5000);

    record_errors();
    f.fail_alloc = true;
    assert_int_equal(rgc_dict_set(d, k, k), -1);
    f.fail_alloc = false;
    assert_true(f.failures >= 1);
    assert_int_equal(recorded.last_code, RGC_ENOMEM);
    assert_int_equal(rgc_refcount(k), 1);
    assert_int_equal(rgc_dict_len(d), 21);
    assert_int_equal(rgc_sizeof(d), size);
    int64_t got[32];
    assert_int_equal(keys_in_order(d, got, 32), 21);
    for (int64_t i = 0; i < 21; i++) {
        assert_true(got[i] == 1000 + i);
        assert_true(get_int(h, d, 1000 + i) == 1001 + i);
    }
    assert_heap_ok(h);

    assert_int_equal(rgc_dict_set(d, k, k), 0);
    assert_int_equal(rgc_dict_len(d), 22);
    rgc_set_error_handler(NULL, NULL);
    rgc_decref(k);
    rgc_decref(d);
    assert_heap_ok(h);
    rgc_heap_destroy(h);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_insertion_order_survives_deletes_and_rebuilds),
        cmocka_unit_test(test_100k_int_keys_are_found_and_deleted),
        cmocka_unit_test(test_str_keys_are_interned_and_found_by_equal_strings),
        cmocka_unit_test(test_tuple_keys_compare_by_value),
        cmocka_unit_test(test_an_int_key_and_an_equal_float_are_one_key),
        cmocka_unit_test(test_an_unhashable_key_is_rejected),
        cmocka_unit_test(test_keys_and_values_are_owned_by_the_dict),
        cmocka_unit_test(test_clear_drops_everything_and_frees_the_tables),
        cmocka_unit_test(test_sizeof_counts_both_tables),
        cmocka_unit_test(test_a_dict_to_dict_cycle_builds_and_is_broken_by_hand),
        cmocka_unit_test(test_bad_arguments_are_reported),
        cmocka_unit_test(test_a_key_comparison_that_clears_the_dict_restarts_the_lookup),
        cmocka_unit_test(test_a_comparison_that_always_mutates_ends_in_an_error),
        cmocka_unit_test(test_a_failed_rebuild_leaves_the_dict_unchanged),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
