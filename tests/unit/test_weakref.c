/*
 * test_weakref.c — weak references and the weak dictionaries: following a
 * referent until it dies, callbacks (once, newest first, only while the
 * weakref lives, free to allocate), counting, hashing, the weak-value cache
 * and the weak-key dictionary, deep destruction chains, failing memory,
 * and what the cycle collector does to weakrefs into garbage.
 */
#include "testutil.h"

#include <stdlib.h>

/* The weak-reference part of the heap checker (runtime/weakref.h), linked
 * from librgc.a: the table, the lists and the RGC_OF_WEAKREFED flags. */
int _rgc_weaktab_check(rgc_heap_t *h, rgc_check_result_t *out);

#define assert_weak_ok(h)                                                                   \
    do {                                                                                    \
        rgc_check_result_t w_;                                                              \
        if (_rgc_weaktab_check((h), &w_) != 0)                                              \
            fail_msg("weak table check failed at %p: %s", w_.address, w_.message);          \
    } while (0)

/* ---- fixtures */

static rgc_type_t *expensive_class(void)
{
    return rgc_class_register("test_weakref.ExpensiveObject");
}

/* ExpensiveObject(value): a class instance (weak-referenceable). */
static void *expensive_new(rgc_heap_t *h, int64_t value)
{
    void *obj = rgc_instance_new(h, expensive_class());
    assert_non_null(obj);
    void *v = rgc_int_new(h, value);
    assert_int_equal(rgc_attr_set(obj, "value", v), 0);
    rgc_decref(v);
    return obj;
}

static void set_attr(void *obj, const char *name, void *value)
{
    assert_int_equal(rgc_attr_set(obj, name, value), 0);
}

/* A hashable, weak-referenceable value type without references (so its
 * objects are plain and untracked): names equal by id. */
typedef struct name_obj {
    RGC_OBJECT_HEAD;
    int64_t id;
} name_obj_t;

static uint64_t name_hash(const rgc_object_t *o)
{
    return (uint64_t)((const name_obj_t *)o)->id * 0x9E3779B97F4A7C15ull;
}

static int name_eq(const rgc_object_t *a, const rgc_object_t *b)
{
    return rgc_typeof(a) == rgc_typeof(b) && ((const name_obj_t *)a)->id == ((const name_obj_t *)b)->id;
}

static rgc_type_t *name_type(void)
{
    static const rgc_type_spec_t spec = {
        .name = "test_weakref.Name",
        .basic_size = sizeof(name_obj_t),
        .flags = RGC_TF_WEAKREFABLE,
        .hash = name_hash,
        .eq = name_eq,
    };
    return rgc_type_register(&spec);
}

static void *name_new(rgc_heap_t *h, int64_t id)
{
    name_obj_t *n = rgc_new(h, name_type());
    assert_non_null(n);
    n->id = id;
    return n;
}


/* The live objects of h once the immortal ones a test will make anyway
 * (attribute names, small ints) exist: what must be left at the end. */
static size_t baseline(rgc_heap_t *h)
{
    static const char *const names[] = {"value", "peer", "weak", "w", "t", "next", "owner"};
    for (size_t i = 0; i < sizeof names / sizeof names[0]; i++)
        assert_non_null(rgc_str_intern(h, names[i]));
    for (int v = -5; v <= 256; v++)
        assert_non_null(rgc_int_new(h, v)); /* the heap's cached, immortal ints */
    return live_objects(h);
}

static bool weakrefed(const void *obj)
{
    return (((const rgc_object_t *)obj)->flags & RGC_OF_WEAKREFED) != 0;
}

/* What the callbacks saw, in order. */
enum { MAX_CALLS = 64 };
static struct {
    int count;
    void *weakref[MAX_CALLS];
    void *ctx[MAX_CALLS];
    bool referent_gone[MAX_CALLS]; /* peek gave NULL inside the callback */
} calls;

static void reset_calls(void)
{
    memset(&calls, 0, sizeof calls);
}

static void record_call(void *weakref, void *ctx)
{
    if (calls.count < MAX_CALLS) {
        calls.weakref[calls.count] = weakref;
        calls.ctx[calls.count] = ctx;
        calls.referent_gone[calls.count] = rgc_weakref_peek(weakref) == NULL;
    }
    calls.count++;
}

static void count_call(void *weakref, void *ctx)
{
    (void)weakref;
    (void)ctx;
    calls.count++;
}

/* ---- following a referent */

/*
 * obj = ExpensiveObject(42); r = weakref.ref(obj)
 * r() is obj  -> True
 * del obj
 * r() is None -> True
 */
static void test_a_weak_reference_follows_its_referent_until_it_dies(void **state)
{
    (void)state;
    rgc_heap_t *h = rgc_heap_new(NULL);
    void *obj = expensive_new(h, 42);
    void *r = rgc_weakref_new(obj, NULL, NULL);
    assert_non_null(r);
    assert_true(rgc_is(r, rgc_weakref_type()));
    assert_int_equal(rgc_refcount(obj), 1); /* a weakref counts nothing */

    void *got = rgc_weakref_get(r);
    assert_ptr_equal(got, obj);
    assert_int_equal(rgc_refcount(obj), 2); /* get gives a new reference */
    assert_int_equal(rgc_int_value(rgc_attr_get(got, "value")), 42);
    rgc_decref(got);
    assert_ptr_equal(rgc_weakref_peek(r), obj);

    rgc_decref(obj); /* del obj */
    assert_null(rgc_weakref_get(r));
    assert_null(rgc_weakref_peek(r));
    assert_weak_ok(h);
    rgc_decref(r);
    assert_heap_ok(h);
    rgc_heap_destroy(h);
}

static void test_a_dead_weak_reference_yields_null(void **state)
{
    (void)state;
    rgc_heap_t *h = rgc_heap_new(NULL);
    size_t base = baseline(h);
    void *obj = name_new(h, 1);
    void *r = rgc_weakref_new(obj, NULL, NULL);
    char buf[128];
    rgc_repr(r, buf, sizeof buf);
    assert_non_null(strstr(buf, "; to 'test_weakref.Name' at "));

    rgc_decref(obj); /* a plain object: freed on the fast path's detour */
    assert_int_equal(live_objects(h), base + 1);
    assert_null(rgc_weakref_get(r));
    assert_null(rgc_weakref_peek(r));
    assert_null(rgc_weakref_get(r)); /* and stays dead */
    rgc_repr(r, buf, sizeof buf);
    assert_non_null(strstr(buf, "; dead>"));
    assert_weak_ok(h);
    rgc_decref(r);
    assert_int_equal(live_objects(h), base);
    assert_heap_ok(h);
    rgc_heap_destroy(h);
}

/* ---- callbacks */

static void test_the_callback_runs_once_with_its_weakref_and_ctx_when_the_referent_dies(void **state)
{
    (void)state;
    reset_calls();
    rgc_heap_t *h = rgc_heap_new(NULL);
    void *obj = expensive_new(h, 7);
    void *ctx = rgc_str_from_cstr(h, "context");
    void *r = rgc_weakref_new(obj, record_call, ctx);
    assert_int_equal(rgc_refcount(ctx), 2); /* the weakref holds its ctx */
    assert_int_equal(calls.count, 0);

    rgc_decref(obj);
    assert_int_equal(calls.count, 1);
    assert_ptr_equal(calls.weakref[0], r);
    assert_ptr_equal(calls.ctx[0], ctx);
    assert_true(calls.referent_gone[0]); /* cleared before its callback */
    assert_int_equal(rgc_refcount(ctx), 1); /* let go once the callback ran */
    assert_int_equal(rgc_refcount(r), 1);

    rgc_decref(r); /* dying later calls nothing again */
    assert_int_equal(calls.count, 1);
    rgc_decref(ctx);
    assert_weak_ok(h);
    assert_heap_ok(h);
    rgc_heap_destroy(h);
}

static void test_callbacks_run_newest_first_after_every_weakref_was_cleared(void **state)
{
    (void)state;
    reset_calls();
    rgc_heap_t *h = rgc_heap_new(NULL);
    void *obj = expensive_new(h, 1);
    void *r1 = rgc_weakref_new(obj, record_call, NULL);
    void *r2 = rgc_weakref_new(obj, NULL, NULL); /* no callback */
    void *r3 = rgc_weakref_new(obj, record_call, NULL);
    void *r4 = rgc_weakref_new(obj, record_call, NULL);

    rgc_decref(obj);
    assert_int_equal(calls.count, 3);
    /* CPython's order: the newest weakref's callback first. */
    assert_ptr_equal(calls.weakref[0], r4);
    assert_ptr_equal(calls.weakref[1], r3);
    assert_ptr_equal(calls.weakref[2], r1);
    for (int i = 0; i < 3; i++)
        assert_true(calls.referent_gone[i]);
    assert_null(rgc_weakref_peek(r2));

    rgc_decref(r1);
    rgc_decref(r2);
    rgc_decref(r3);
    rgc_decref(r4);
    assert_weak_ok(h);
    assert_heap_ok(h);
    rgc_heap_destroy(h);
}

static void test_no_callback_runs_when_the_weakref_died_first(void **state)
{
    (void)state;
    reset_calls();
    rgc_heap_t *h = rgc_heap_new(NULL);
    void *obj = expensive_new(h, 1);
    void *ctx = rgc_str_from_cstr(h, "ctx");
    void *kept = rgc_weakref_new(obj, record_call, NULL);
    void *r = rgc_weakref_new(obj, record_call, ctx);
    assert_int_equal(rgc_weakref_count(obj), 2);

    rgc_decref(r); /* the weakref dies first: it leaves obj's list */
    assert_int_equal(rgc_refcount(ctx), 1);
    assert_int_equal(rgc_weakref_count(obj), 1);
    assert_weak_ok(h);

    rgc_decref(obj);
    assert_int_equal(calls.count, 1); /* only the live weakref's */
    assert_ptr_equal(calls.weakref[0], kept);
    rgc_decref(kept);
    rgc_decref(ctx);
    assert_weak_ok(h);
    assert_heap_ok(h);
    rgc_heap_destroy(h);
}

static void test_weakref_count_counts_the_weakrefs_to_an_object(void **state)
{
    (void)state;
    rgc_heap_t *h = rgc_heap_new(NULL);
    void *obj = expensive_new(h, 1);
    void *other = expensive_new(h, 2);
    assert_int_equal(rgc_weakref_count(obj), 0);
    assert_false(weakrefed(obj));

    void *r[5];
    for (int i = 0; i < 5; i++)
        r[i] = rgc_weakref_new(obj, NULL, NULL);
    void *ro = rgc_weakref_new(other, NULL, NULL);
    assert_int_equal(rgc_weakref_count(obj), 5);
    assert_int_equal(rgc_weakref_count(other), 1);
    assert_true(weakrefed(obj));

    /* Dropping from the middle, the head and the tail of the list. */
    rgc_decref(r[2]);
    rgc_decref(r[4]);
    rgc_decref(r[0]);
    assert_int_equal(rgc_weakref_count(obj), 2);
    assert_weak_ok(h);
    rgc_decref(r[1]);
    rgc_decref(r[3]);
    assert_int_equal(rgc_weakref_count(obj), 0);
    assert_false(weakrefed(obj)); /* the flag goes with the last weakref */
    assert_int_equal(rgc_weakref_count(other), 1);

    /* An object that cannot be referred to weakly has none. */
    void *n = rgc_int_new(h, 100000);
    assert_int_equal(rgc_weakref_count(n), 0);
    rgc_decref(n);

    rgc_decref(obj);
    rgc_decref(other);
    assert_int_equal(rgc_weakref_count(ro), 0);
    rgc_decref(ro);
    assert_weak_ok(h);
    assert_heap_ok(h);
    rgc_heap_destroy(h);
}

/* A callback that makes objects and weakrefs, some to live objects, some
 * dropped at once, and keeps the last in the ctx list. */
static rgc_heap_t *callback_heap;

static void allocating_call(void *weakref, void *ctx)
{
    (void)weakref;
    calls.count++;
    rgc_heap_t *h = callback_heap;
    for (int i = 0; i < 20; i++) {
        void *fresh = expensive_new(h, 1000 + i);
        void *wf = rgc_weakref_new(fresh, record_call, NULL);
        void *wl = rgc_weakref_new(rgc_list_get(ctx, 0), count_call, NULL); /* a live object */
        assert_non_null(wf);
        assert_non_null(wl);
        rgc_list_append(ctx, wl);
        rgc_decref(wl);
        if (i % 2)
            rgc_list_append(ctx, fresh); /* keep it alive */
        rgc_decref(fresh);                 /* else it dies here: wf's callback */
        rgc_decref(wf);
    }
}

static void test_a_callback_may_create_weakrefs_and_objects(void **state)
{
    (void)state;
    reset_calls();
    rgc_heap_t *h = rgc_heap_new(NULL);
    callback_heap = h;
    void *survivor = expensive_new(h, 0);
    void *keep = rgc_list_new(h, 0);
    rgc_list_append(keep, survivor);
    void *obj = expensive_new(h, 1);
    void *r = rgc_weakref_new(obj, allocating_call, keep);

    rgc_decref(obj);
    /* allocating_call itself, then the ten fresh objects that died with
     * their weakref still alive. */
    assert_int_equal(calls.count, 1 + 10);
    assert_int_equal(rgc_weakref_count(survivor), 20);
    assert_int_equal(rgc_list_len(keep), 1 + 20 + 10);
    assert_weak_ok(h);
    assert_heap_ok(h);

    reset_calls();
    rgc_decref(survivor);
    rgc_decref(r);
    rgc_decref(keep); /* the survivor dies with its 20 weakrefs alive */
    assert_int_equal(calls.count, 20);
    assert_weak_ok(h);
    assert_heap_ok(h);
    rgc_heap_destroy(h);
}

/* Drops the reference the test gave it: the weakref lives on until the
 * callback returns. */
static void dropping_call(void *weakref, void *ctx)
{
    (void)ctx;
    calls.count++;
    assert_int_equal(rgc_refcount(weakref), 2);
    rgc_decref(weakref);
    assert_null(rgc_weakref_peek(weakref)); /* still readable */
}

static void test_a_callback_may_drop_the_last_reference_to_its_own_weakref(void **state)
{
    (void)state;
    reset_calls();
    rgc_heap_t *h = rgc_heap_new(NULL);
    size_t base = baseline(h);
    void *obj = expensive_new(h, 1);
    rgc_weakref_new(obj, dropping_call, NULL); /* owned by the callback */
    rgc_decref(obj);
    assert_int_equal(calls.count, 1);
    assert_int_equal(live_objects(h), base);
    assert_weak_ok(h);
    assert_heap_ok(h);
    rgc_heap_destroy(h);
}

static void test_only_weak_referenceable_objects_can_be_referred_to_weakly(void **state)
{
    (void)state;
    rgc_heap_t *h = rgc_heap_new(NULL);
    record_errors();
    void *n = rgc_int_new(h, 100000);
    assert_null(rgc_weakref_new(n, NULL, NULL));
    assert_int_equal(recorded.count, 1);
    assert_int_equal(recorded.last_code, RGC_EINVAL);
    assert_ptr_equal(recorded.last_address, n);
    assert_string_equal(recorded.last_type, "int");
    assert_non_null(strstr(recorded.last_message, "cannot create weak reference to 'int' object"));

    assert_null(rgc_weakref_new(NULL, NULL, NULL));
    assert_int_equal(recorded.last_code, RGC_EINVAL);

    void *obj = expensive_new(h, 1);
    void *r = rgc_weakref_new(obj, NULL, NULL);
    assert_null(rgc_weakref_new(r, NULL, NULL)); /* weakrefs are not weak-referenceable */
    assert_int_equal(recorded.last_code, RGC_EINVAL);

    /* The accessors want a weakref. */
    recorded.count = 0;
    assert_null(rgc_weakref_get(obj));
    assert_null(rgc_weakref_peek(n));
    assert_null(rgc_weakref_peek(NULL));
    assert_int_equal(rgc_weakref_count(NULL), 0);
    assert_int_equal(recorded.count, 4);
    assert_int_equal(recorded.last_code, RGC_EINVAL);
    rgc_set_error_handler(NULL, NULL);

    assert_false(weakrefed(n));
    rgc_decref(n);
    rgc_decref(r);
    rgc_decref(obj);
    assert_weak_ok(h);
    assert_heap_ok(h);
    rgc_heap_destroy(h);
}

static void test_a_weakref_hashes_and_compares_like_its_referent(void **state)
{
    (void)state;
    rgc_heap_t *h = rgc_heap_new(NULL);
    void *a = name_new(h, 7), *b = name_new(h, 7), *c = name_new(h, 8);
    void *ra = rgc_weakref_new(a, NULL, NULL);
    void *ra2 = rgc_weakref_new(a, NULL, NULL);
    void *rb = rgc_weakref_new(b, NULL, NULL);
    void *rc = rgc_weakref_new(c, NULL, NULL);
    uint64_t ha, hra, hrb;
    assert_int_equal(rgc_hash(a, &ha), 0);
    assert_int_equal(rgc_hash(ra, &hra), 0);
    assert_int_equal(rgc_hash(rb, &hrb), 0);
    assert_true(ha == hra && hra == hrb);
    assert_int_equal(rgc_equal(ra, ra2), 1); /* same referent */
    assert_int_equal(rgc_equal(ra, rb), 1);  /* equal referents */
    assert_int_equal(rgc_equal(ra, rc), 0);
    assert_int_equal(rgc_equal(ra, a), 0);   /* a weakref is not its referent */

    rgc_decref(a); /* ra and ra2 die: they keep their hash, equal only themselves */
    uint64_t again;
    assert_int_equal(rgc_hash(ra, &again), 0);
    assert_true(again == hra);
    assert_int_equal(rgc_equal(ra, rb), 0);
    assert_int_equal(rgc_equal(ra, ra2), 0);
    assert_int_equal(rgc_equal(ra, ra), 1);
    assert_int_equal(rgc_hash(ra2, &again), 0); /* hashed only once dead */

    /* A weakref to an unhashable object is unhashable. */
    static const rgc_type_spec_t unhashable_spec = {
        .name = "test_weakref.Unhashable",
        .basic_size = sizeof(name_obj_t),
        .flags = RGC_TF_WEAKREFABLE | RGC_TF_UNHASHABLE,
    };
    void *u = rgc_new(h, rgc_type_register(&unhashable_spec));
    void *ru = rgc_weakref_new(u, NULL, NULL);
    assert_non_null(ru);
    record_errors();
    assert_int_equal(rgc_hash(ru, &again), -1);
    assert_int_equal(recorded.last_code, RGC_EUNHASHABLE);
    assert_ptr_equal(recorded.last_address, u);
    rgc_set_error_handler(NULL, NULL);
    rgc_decref(ru);
    rgc_decref(u);

    rgc_decref(b);
    rgc_decref(c);
    rgc_decref(ra);
    rgc_decref(ra2);
    rgc_decref(rb);
    rgc_decref(rc);
    assert_weak_ok(h);
    assert_heap_ok(h);
    rgc_heap_destroy(h);
}

static void test_many_referents_grow_and_shrink_the_weak_table(void **state)
{
    (void)state;
    enum { N = 5000 };
    reset_calls();
    rgc_heap_t *h = rgc_heap_new(NULL);
    size_t base = baseline(h);
    void **objs = calloc(N, sizeof *objs);
    void **refs = calloc(3 * N, sizeof *refs);
    assert_non_null(objs);
    assert_non_null(refs);
    for (int i = 0; i < N; i++) {
        objs[i] = name_new(h, i);
        for (int k = 0; k <= i % 3; k++)
            refs[3 * i + k] = rgc_weakref_new(objs[i], count_call, NULL);
    }
    assert_weak_ok(h);
    /* Referents die in a scrambled order; every third weakref goes first. */
    srand(12345);
    for (int i = N - 1; i > 0; i--) {
        int j = rand() % (i + 1);
        void *t = objs[i];
        objs[i] = objs[j];
        objs[j] = t;
    }
    for (int i = 0; i < 3 * N; i += 3) {
        rgc_xdecref(refs[i]);
        refs[i] = NULL;
    }
    assert_weak_ok(h);
    for (int i = 0; i < N; i++) {
        rgc_decref(objs[i]);
        if (i % 1000 == 0)
            assert_weak_ok(h);
    }
    /* Object i had 1 + i % 3 weakrefs, the first of them dropped. */
    int expected = 0;
    for (int i = 0; i < N; i++)
        expected += i % 3;
    assert_int_equal(calls.count, expected);
    for (int i = 0; i < 3 * N; i++)
        rgc_xdecref(refs[i]);
    assert_int_equal(live_objects(h), base);
    free(objs);
    free(refs);
    assert_weak_ok(h);
    assert_heap_ok(h);
    rgc_heap_destroy(h);
}

/*
 * A chain long enough that its destruction is queued: node i holds
 * (in this order) a weakref to target i, target i, and node i+1.  When a
 * node's dict lets go, the weakref dies first (queued, deep in the chain)
 * and its target right after: a queued weakref must be cleared without its
 * callback, while the test's own weakref to each target still gets one.
 */
static void test_weakrefs_in_a_deep_destruction_chain_are_handled_in_order(void **state)
{
    (void)state;
    enum { N = 600 };
    reset_calls();
    rgc_heap_t *h = rgc_heap_new(NULL);
    size_t base = baseline(h);
    void *outside[N];
    void *head = NULL;
    for (int i = N - 1; i >= 0; i--) {
        void *node = rgc_instance_new(h, expensive_class());
        void *target = name_new(h, i);
        void *inner = rgc_weakref_new(target, record_call, NULL);
        outside[i] = rgc_weakref_new(target, count_call, NULL);
        set_attr(node, "w", inner);
        set_attr(node, "t", target);
        if (head)
            set_attr(node, "next", head);
        rgc_decref(inner);
        rgc_decref(target);
        rgc_xdecref(head);
        head = node;
    }
    assert_weak_ok(h);
    rgc_decref(head);
    assert_int_equal(calls.count, N); /* count_call only; record_call never */
    for (int i = 0; i < N; i++) {
        assert_null(rgc_weakref_peek(outside[i]));
        rgc_decref(outside[i]);
    }
    assert_int_equal(live_objects(h), base);
    assert_weak_ok(h);
    assert_heap_ok(h);
    rgc_heap_destroy(h);
}

/* ---- WeakValueDictionary */

/*
 * cache = WeakValueDictionary()
 * value = ExpensiveObject(42); cache["answer"] = value
 * cache["answer"] is value; len(cache) == 1
 * del value
 * "answer" in cache -> False; len(cache) == 0
 */
static void test_the_weak_value_cache_forgets_a_value_when_it_dies(void **state)
{
    (void)state;
    rgc_heap_t *h = rgc_heap_new(NULL);
    size_t base = baseline(h);
    void *cache = rgc_weakvaluedict_new(h);
    assert_non_null(cache);
    void *key = rgc_str_from_cstr(h, "answer");
    void *value = expensive_new(h, 42);
    void *other_key = rgc_str_from_cstr(h, "other");
    void *other = expensive_new(h, 43);

    assert_int_equal(rgc_weakvaluedict_set(cache, key, value), 0);
    assert_int_equal(rgc_weakvaluedict_set(cache, other_key, other), 0);
    assert_int_equal(rgc_refcount(value), 1); /* held weakly */
    assert_int_equal(rgc_weakref_count(value), 1);
    assert_int_equal(rgc_weakvaluedict_len(cache), 2);
    void *got = rgc_weakvaluedict_get(cache, key);
    assert_ptr_equal(got, value);
    assert_int_equal(rgc_refcount(value), 2); /* a new reference */
    rgc_decref(got);

    rgc_decref(value); /* del value */
    assert_int_equal(rgc_weakvaluedict_len(cache), 1);
    assert_null(rgc_weakvaluedict_get(cache, key));
    assert_int_equal(rgc_refcount(key), 1); /* the entry let go of its key */
    got = rgc_weakvaluedict_get(cache, other_key);
    assert_ptr_equal(got, other);
    rgc_decref(got);

    char buf[64];
    rgc_repr(cache, buf, sizeof buf);
    assert_string_equal(buf, "WeakValueDictionary[1]");

    rgc_decref(other);
    assert_int_equal(rgc_weakvaluedict_len(cache), 0);
    rgc_decref(key);
    rgc_decref(other_key);
    rgc_decref(cache);
    assert_int_equal(live_objects(h), base);
    assert_weak_ok(h);
    assert_heap_ok(h);
    rgc_heap_destroy(h);
}

static void test_the_weak_value_dictionary_replaces_and_deletes_entries(void **state)
{
    (void)state;
    rgc_heap_t *h = rgc_heap_new(NULL);
    void *wd = rgc_weakvaluedict_new(h);
    void *k = rgc_int_new(h, 5000);
    void *k_equal = rgc_int_new(h, 5000); /* another object, the same key */
    void *v1 = expensive_new(h, 1), *v2 = expensive_new(h, 2);

    assert_int_equal(rgc_weakvaluedict_set(wd, k, v1), 0);
    assert_int_equal(rgc_weakvaluedict_set(wd, k_equal, v2), 0); /* replaces */
    assert_int_equal(rgc_weakvaluedict_len(wd), 1);
    assert_int_equal(rgc_weakref_count(v1), 0); /* its weakref went with the entry */
    assert_int_equal(rgc_weakref_count(v2), 1);
    void *got = rgc_weakvaluedict_get(wd, k);
    assert_ptr_equal(got, v2);
    rgc_decref(got);

    rgc_decref(v1); /* the replaced value's death changes nothing */
    assert_int_equal(rgc_weakvaluedict_len(wd), 1);

    assert_int_equal(rgc_weakvaluedict_del(wd, k), 0);
    assert_int_equal(rgc_weakvaluedict_len(wd), 0);
    assert_int_equal(rgc_weakref_count(v2), 0);
    assert_int_equal(rgc_refcount(k), 1);
    assert_int_equal(rgc_refcount(k_equal), 1);

    record_errors();
    assert_int_equal(rgc_weakvaluedict_del(wd, k), -1);
    assert_int_equal(recorded.last_code, RGC_EKEY);
    rgc_set_error_handler(NULL, NULL);

    rgc_decref(v2);
    rgc_decref(k);
    rgc_decref(k_equal);
    rgc_decref(wd);
    assert_weak_ok(h);
    assert_heap_ok(h);
    rgc_heap_destroy(h);
}

static void test_a_weak_dictionary_dropped_first_leaves_its_values_alone(void **state)
{
    (void)state;
    reset_calls();
    rgc_heap_t *h = rgc_heap_new(NULL);
    size_t base = baseline(h);
    void *wvd = rgc_weakvaluedict_new(h);
    void *wkd = rgc_weakkeydict_new(h);
    void *objs[10];
    for (int i = 0; i < 10; i++) {
        objs[i] = expensive_new(h, i);
        void *k = rgc_int_new(h, 1000 + i);
        assert_int_equal(rgc_weakvaluedict_set(wvd, k, objs[i]), 0);
        assert_int_equal(rgc_weakkeydict_set(wkd, objs[i], k), 0);
        rgc_decref(k);
        assert_int_equal(rgc_weakref_count(objs[i]), 2);
    }
    /* The dictionaries can themselves be referred to weakly. */
    void *r = rgc_weakref_new(wvd, record_call, NULL);
    rgc_decref(wvd);
    rgc_decref(wkd);
    assert_int_equal(calls.count, 1);
    assert_null(rgc_weakref_peek(r));
    rgc_decref(r);
    for (int i = 0; i < 10; i++) {
        assert_int_equal(rgc_weakref_count(objs[i]), 0);
        assert_int_equal(rgc_refcount(objs[i]), 1);
        rgc_decref(objs[i]);
    }
    assert_int_equal(live_objects(h), base);
    assert_weak_ok(h);
    assert_heap_ok(h);
    rgc_heap_destroy(h);
}

static void test_weak_dictionaries_reject_bad_arguments(void **state)
{
    (void)state;
    rgc_heap_t *h = rgc_heap_new(NULL);
    void *wvd = rgc_weakvaluedict_new(h);
    void *wkd = rgc_weakkeydict_new(h);
    void *n = rgc_int_new(h, 100000);
    void *list = rgc_list_new(h, 0);
    void *obj = expensive_new(h, 1);
    record_errors();

    assert_int_equal(rgc_weakvaluedict_set(wvd, n, n), -1); /* value not weak-referenceable */
    assert_int_equal(recorded.last_code, RGC_EINVAL);
    assert_int_equal(rgc_weakvaluedict_set(wvd, list, obj), -1); /* key unhashable */
    assert_int_equal(recorded.last_code, RGC_EUNHASHABLE);
    assert_int_equal(rgc_weakref_count(obj), 0); /* nothing left behind */
    assert_int_equal(rgc_refcount(list), 1);
    assert_int_equal(rgc_weakvaluedict_set(wvd, NULL, obj), -1);
    assert_int_equal(recorded.last_code, RGC_EINVAL);
    assert_null(rgc_weakvaluedict_get(wkd, n)); /* the wrong kind */
    assert_int_equal(recorded.last_code, RGC_EINVAL);
    assert_int_equal(rgc_weakvaluedict_len(list), 0);
    assert_int_equal(recorded.last_code, RGC_EINVAL);

    assert_int_equal(rgc_weakkeydict_set(wkd, n, obj), -1); /* key not weak-referenceable */
    assert_int_equal(recorded.last_code, RGC_EINVAL);
    assert_null(rgc_weakkeydict_get(wkd, n));
    assert_int_equal(recorded.last_code, RGC_EINVAL);
    assert_int_equal(rgc_weakkeydict_del(wkd, obj), -1);
    assert_int_equal(recorded.last_code, RGC_EKEY);
    assert_int_equal(rgc_weakkeydict_set(wkd, obj, NULL), -1);
    assert_int_equal(recorded.last_code, RGC_EINVAL);
    assert_null(rgc_weakvaluedict_new(NULL));
    assert_int_equal(recorded.last_code, RGC_EINVAL);
    assert_int_equal(rgc_weakkeydict_len(wvd), 0);
    assert_int_equal(recorded.last_code, RGC_EINVAL);
    rgc_set_error_handler(NULL, NULL);

    assert_int_equal(rgc_weakvaluedict_len(wvd), 0);
    assert_int_equal(rgc_weakkeydict_len(wkd), 0);
    rgc_decref(obj);
    rgc_decref(list);
    rgc_decref(n);
    rgc_decref(wvd);
    rgc_decref(wkd);
    assert_weak_ok(h);
    assert_heap_ok(h);
    rgc_heap_destroy(h);
}

/* ---- WeakKeyDictionary */

/*
 * d = WeakKeyDictionary(); k = ExpensiveObject(1); d[k] = "payload"
 * d[k] == "payload"; del k  ->  len(d) == 0, the payload released
 */
static void test_the_weak_key_dictionary_forgets_an_entry_when_its_key_dies(void **state)
{
    (void)state;
    rgc_heap_t *h = rgc_heap_new(NULL);
    size_t base = baseline(h);
    void *d = rgc_weakkeydict_new(h);
    void *k1 = expensive_new(h, 1), *k2 = expensive_new(h, 2);
    void *payload = rgc_str_from_cstr(h, "payload");
    void *other = rgc_str_from_cstr(h, "other");

    assert_int_equal(rgc_weakkeydict_set(d, k1, payload), 0);
    assert_int_equal(rgc_weakkeydict_set(d, k2, other), 0);
    assert_int_equal(rgc_refcount(k1), 1);       /* held weakly */
    assert_int_equal(rgc_refcount(payload), 2);  /* held strongly */
    assert_int_equal(rgc_weakkeydict_len(d), 2);
    assert_ptr_equal(rgc_weakkeydict_get(d, k1), payload);
    assert_ptr_equal(rgc_weakkeydict_get(d, k2), other);

    /* Setting the same key again replaces the value, not the entry. */
    assert_int_equal(rgc_weakkeydict_set(d, k1, other), 0);
    assert_int_equal(rgc_weakkeydict_len(d), 2);
    assert_int_equal(rgc_weakref_count(k1), 1);
    assert_int_equal(rgc_refcount(payload), 1);
    assert_int_equal(rgc_weakkeydict_set(d, k1, payload), 0);

    rgc_decref(k1); /* del k */
    assert_int_equal(rgc_weakkeydict_len(d), 1);
    assert_int_equal(rgc_refcount(payload), 1);
    assert_ptr_equal(rgc_weakkeydict_get(d, k2), other);

    assert_int_equal(rgc_weakkeydict_del(d, k2), 0);
    assert_int_equal(rgc_weakkeydict_len(d), 0);
    assert_int_equal(rgc_weakref_count(k2), 0);
    assert_int_equal(rgc_refcount(other), 1);
    assert_null(rgc_weakkeydict_get(d, k2));

    char buf[64];
    rgc_repr(d, buf, sizeof buf);
    assert_string_equal(buf, "WeakKeyDictionary[0]");

    rgc_decref(k2);
    rgc_decref(payload);
    rgc_decref(other);
    rgc_decref(d);
    assert_int_equal(live_objects(h), base);
    assert_weak_ok(h);
    assert_heap_ok(h);
    rgc_heap_destroy(h);
}

static void test_weak_key_dictionary_keys_are_found_by_equality(void **state)
{
    (void)state;
    rgc_heap_t *h = rgc_heap_new(NULL);
    void *d = rgc_weakkeydict_new(h);
    void *a = name_new(h, 7), *a_twin = name_new(h, 7), *b = name_new(h, 8);
    void *va = rgc_str_from_cstr(h, "seven"), *vb = rgc_str_from_cstr(h, "eight");

    assert_int_equal(rgc_weakkeydict_set(d, a, va), 0);
    assert_int_equal(rgc_weakkeydict_set(d, b, vb), 0);
    assert_ptr_equal(rgc_weakkeydict_get(d, a_twin), va); /* an equal key finds it */
    assert_int_equal(rgc_weakkeydict_set(d, a_twin, vb), 0); /* and replaces its value */
    assert_int_equal(rgc_weakkeydict_len(d), 2);
    assert_int_equal(rgc_weakref_count(a_twin), 0); /* the entry keeps a's weakref */
    assert_ptr_equal(rgc_weakkeydict_get(d, a), vb);

    /* The entry belongs to a: a_twin's death leaves it, a's removes it. */
    rgc_decref(a_twin);
    assert_int_equal(rgc_weakkeydict_len(d), 2);
    rgc_decref(a);
    assert_int_equal(rgc_weakkeydict_len(d), 1);
    void *a_again = name_new(h, 7);
    assert_null(rgc_weakkeydict_get(d, a_again));
    assert_ptr_equal(rgc_weakkeydict_get(d, b), vb);

    rgc_decref(a_again);
    rgc_decref(b);
    assert_int_equal(rgc_weakkeydict_len(d), 0);
    rgc_decref(va);
    rgc_decref(vb);
    rgc_decref(d);
    assert_weak_ok(h);
    assert_heap_ok(h);
    rgc_heap_destroy(h);
}

/* ---- failing memory */

enum { FAULT_N = 120 };

/* Weakrefs, a weak-value and a weak-key dictionary over FAULT_N objects;
 * stops at the first failure after dropping everything.  0 if it ran to
 * the end. */
static int fault_scenario(rgc_heap_t *h)
{
    int rc = -1;
    void *objs[FAULT_N] = {0}, *refs[FAULT_N] = {0};
    void *wvd = rgc_weakvaluedict_new(h);
    void *wkd = wvd ? rgc_weakkeydict_new(h) : NULL;
    if (!wkd)
        goto out;
    for (int i = 0; i < FAULT_N; i++) {
        objs[i] = rgc_new(h, name_type());
        if (!objs[i])
            goto out;
        ((name_obj_t *)objs[i])->id = i;
        refs[i] = rgc_weakref_new(objs[i], count_call, wvd);
        void *n = refs[i] ? rgc_int_new(h, 1000 + i) : NULL;
        int r = n ? rgc_weakvaluedict_set(wvd, n, objs[i]) : -1;
        if (r == 0)
            r = rgc_weakkeydict_set(wkd, objs[i], n);
        rgc_xdecref(n);
        if (r < 0)
            goto out;
    }
    rc = 0;
out:
    for (int i = 0; i < FAULT_N; i++) {
        rgc_xdecref(objs[i]);
        rgc_xdecref(refs[i]);
    }
    if (wkd && (rgc_weakvaluedict_len(wvd) != 0 || rgc_weakkeydict_len(wkd) != 0))
        rc = -2; /* an entry outlived its referent */
    rgc_xdecref(wvd);
    rgc_xdecref(wkd);
    return rc;
}

static void test_running_out_of_memory_leaves_weak_references_consistent(void **state)
{
    (void)state;
    record_errors();
    counting_sysmem_t probe = {0};
    rgc_sysmem_t sm = counting_sysmem(&probe);
    rgc_heap_config_t cfg = {.name = "weak-fault", .sysmem = &sm};
    rgc_heap_t *h = rgc_heap_new(&cfg);
    assert_int_equal(fault_scenario(h), 0);
    assert_weak_ok(h);
    assert_heap_ok(h);
    rgc_heap_destroy(h);
    long total = probe.calls;
    assert_true(total > 3);
    assert_int_equal(recorded.count, 0);
    for (long n = 1; n <= total; n++) {
        counting_sysmem_t c = {.fail_at = n};
        sm = counting_sysmem(&c);
        h = rgc_heap_new(&cfg);
        if (h) {
            assert_int_equal(fault_scenario(h), -1);
            assert_weak_ok(h);
            assert_heap_ok(h);
            rgc_heap_stats_t s;
            rgc_heap_stats(h, &s);
            if (s.objects != 0)
                fail_msg("failing call %ld left %zu objects alive", n, s.objects);
            rgc_heap_destroy(h);
        }
        assert_int_equal(c.failures, 1);
        assert_int_equal(recorded.last_code, RGC_ENOMEM);
        assert_int_equal(c.allocs, c.frees);
        assert_int_equal(c.maps, c.unmaps);
    }
    rgc_set_error_handler(NULL, NULL);
}

/* ---- the cycle collector */

/* a.peer = b; b.peer = a: a garbage cycle once the names are dropped. */
static void make_cycle(void *a, void *b)
{
    set_attr(a, "peer", b);
    set_attr(b, "peer", a);
}

static void test_a_collection_clears_a_weakref_into_a_garbage_cycle_and_runs_its_callback(void **state)
{
    (void)state;
    reset_calls();
    rgc_heap_t *h = rgc_heap_new(NULL);
    size_t base = baseline(h);
    void *a = expensive_new(h, 1), *b = expensive_new(h, 2);
    make_cycle(a, b);
    void *ctx = rgc_str_from_cstr(h, "ctx");
    void *r = rgc_weakref_new(a, record_call, ctx);
    rgc_decref(a);
    rgc_decref(b);
    assert_ptr_equal(rgc_weakref_peek(r), a); /* the cycle keeps it alive */
    assert_int_equal(calls.count, 0);

    assert_true(rgc_gc_collect(h, 2) >= 2);
    assert_null(rgc_weakref_peek(r));
    assert_int_equal(calls.count, 1);
    assert_ptr_equal(calls.weakref[0], r);
    assert_ptr_equal(calls.ctx[0], ctx);
    assert_true(calls.referent_gone[0]);
    assert_int_equal(rgc_refcount(ctx), 1);
    assert_int_equal(live_objects(h), base + 2); /* r and ctx */

    rgc_decref(r);
    rgc_decref(ctx);
    assert_int_equal(calls.count, 1);
    assert_weak_ok(h);
    assert_heap_ok(h);
    rgc_heap_destroy(h);
}

static void test_no_callback_runs_for_a_weakref_that_is_garbage_itself(void **state)
{
    (void)state;
    reset_calls();
    rgc_heap_t *h = rgc_heap_new(NULL);
    size_t base = baseline(h);
    void *a = expensive_new(h, 1), *b = expensive_new(h, 2);
    make_cycle(a, b);
    void *r = rgc_weakref_new(b, record_call, NULL);
    set_attr(a, "weak", r); /* only the garbage holds the weakref */
    rgc_decref(r);
    rgc_decref(a);
    rgc_decref(b);

    assert_true(rgc_gc_collect(h, 2) >= 3);
    assert_int_equal(calls.count, 0);
    assert_int_equal(live_objects(h), base);
    assert_weak_ok(h);
    assert_heap_ok(h);
    rgc_heap_destroy(h);
}

static void test_a_garbage_weakref_to_a_live_object_is_cleared_without_its_callback(void **state)
{
    (void)state;
    reset_calls();
    rgc_heap_t *h = rgc_heap_new(NULL);
    size_t base = baseline(h);
    void *live = expensive_new(h, 0);
    void *a = expensive_new(h, 1), *b = expensive_new(h, 2);
    make_cycle(a, b);
    void *r = rgc_weakref_new(live, record_call, NULL);
    set_attr(a, "weak", r);
    rgc_decref(r);
    rgc_decref(a);
    rgc_decref(b);
    assert_int_equal(rgc_weakref_count(live), 1);

    assert_true(rgc_gc_collect(h, 2) >= 3);
    assert_int_equal(rgc_weakref_count(live), 0);
    assert_false(weakrefed(live));
    rgc_decref(live);
    assert_int_equal(calls.count, 0);
    assert_int_equal(live_objects(h), base);
    assert_weak_ok(h);
    assert_heap_ok(h);
    rgc_heap_destroy(h);
}

static void test_a_weak_value_in_a_garbage_cycle_leaves_the_cache_when_collected(void **state)
{
    (void)state;
    rgc_heap_t *h = rgc_heap_new(NULL);
    void *cache = rgc_weakvaluedict_new(h);
    void *key = rgc_str_from_cstr(h, "cyclic");
    void *a = expensive_new(h, 1), *b = expensive_new(h, 2);
    make_cycle(a, b);
    assert_int_equal(rgc_weakvaluedict_set(cache, key, a), 0);
    rgc_decref(a);
    rgc_decref(b);
    assert_int_equal(rgc_weakvaluedict_len(cache), 1);

    assert_true(rgc_gc_collect(h, 2) >= 2);
    assert_int_equal(rgc_weakvaluedict_len(cache), 0);
    assert_null(rgc_weakvaluedict_get(cache, key));
    assert_int_equal(rgc_refcount(key), 1);
    rgc_decref(key);
    rgc_decref(cache);
    assert_weak_ok(h);
    assert_heap_ok(h);
    rgc_heap_destroy(h);
}

static void test_a_weak_dictionary_in_a_garbage_cycle_is_collected(void **state)
{
    (void)state;
    reset_calls();
    rgc_heap_t *h = rgc_heap_new(NULL);
    size_t base = baseline(h);
    void *key = expensive_new(h, 1);
    void *d = rgc_weakkeydict_new(h);
    void *value = expensive_new(h, 2);
    set_attr(value, "owner", d); /* d -> its dict -> value -> d */
    assert_int_equal(rgc_weakkeydict_set(d, key, value), 0);
    rgc_decref(value);
    void *r = rgc_weakref_new(d, record_call, NULL);
    rgc_decref(d);
    assert_int_equal(rgc_weakref_count(key), 1);

    assert_true(rgc_gc_collect(h, 2) >= 4);
    assert_int_equal(calls.count, 1); /* r is alive: its callback ran */
    assert_null(rgc_weakref_peek(r));
    assert_int_equal(rgc_weakref_count(key), 0);
    rgc_decref(r);
    rgc_decref(key);
    assert_int_equal(calls.count, 1);
    assert_int_equal(live_objects(h), base);
    assert_weak_ok(h);
    assert_heap_ok(h);
    rgc_heap_destroy(h);
}

/* A fields-only node (no hooks): garbage made of these is cleared and
 * freed by the collector in one pass. */
typedef struct pair_node {
    RGC_OBJECT_HEAD;
    rgc_object_t *other;
    rgc_object_t *extra;
} pair_node_t;

static rgc_type_t *pair_node_type(void)
{
    static const rgc_ref_field_t fields[] = {
        {"other", offsetof(pair_node_t, other)},
        {"extra", offsetof(pair_node_t, extra)},
    };
    static const rgc_type_spec_t spec = {
        .name = "test_weakref.PairNode",
        .basic_size = sizeof(pair_node_t),
        .ref_fields = fields,
        .n_ref_fields = 2,
    };
    return rgc_type_register(&spec);
}

/* The garbage holds the only reference to an untracked object (not a
 * candidate, so not cleared up front) that a live weakref points at: the
 * object dies while the garbage is torn down, and the weakref's callback
 * runs then, once. */
static void test_a_live_weakref_to_an_object_freed_with_a_garbage_cycle_gets_its_callback(void **state)
{
    (void)state;
    reset_calls();
    rgc_heap_t *h = rgc_heap_new(NULL);
    size_t base = baseline(h);
    pair_node_t *a = rgc_new(h, pair_node_type()), *b = rgc_new(h, pair_node_type());
    a->other = rgc_newref(b);
    b->other = rgc_newref(a);
    a->extra = name_new(h, 1); /* untracked: only a holds it */
    void *r = rgc_weakref_new(a->extra, record_call, NULL);
    rgc_decref(a);
    rgc_decref(b);

    assert_int_equal(rgc_gc_collect(h, 2), 2);
    assert_int_equal(calls.count, 1);
    assert_ptr_equal(calls.weakref[0], r);
    assert_true(calls.referent_gone[0]);
    assert_null(rgc_weakref_peek(r));
    rgc_decref(r);
    assert_int_equal(live_objects(h), base);
    assert_weak_ok(h);
    assert_heap_ok(h);
    rgc_heap_destroy(h);
}

/* A node with a finalizer that makes a weakref to the node it points at. */
typedef struct fin_node {
    RGC_OBJECT_HEAD;
    rgc_object_t *other;
} fin_node_t;

static void *late_ref;

static void make_late_ref(rgc_object_t *o)
{
    late_ref = rgc_weakref_new(((fin_node_t *)o)->other, record_call, NULL);
}

static rgc_type_t *fin_node_type(void)
{
    static const rgc_ref_field_t fields[] = {{"other", offsetof(fin_node_t, other)}};
    static const rgc_type_spec_t spec = {
        .name = "test_weakref.FinNode",
        .basic_size = sizeof(fin_node_t),
        .ref_fields = fields,
        .n_ref_fields = 1,
        .finalize = make_late_ref,
    };
    return rgc_type_register(&spec);
}

/* The finalizer runs after the collector cleared the weakrefs to its
 * garbage, and makes a new one to a garbage object: that one must be
 * cleared (and its callback run: it is alive) when the object is freed. */
static void test_a_weakref_made_by_a_finalizer_during_a_collection_is_cleared(void **state)
{
    (void)state;
    reset_calls();
    rgc_heap_t *h = rgc_heap_new(NULL);
    size_t base = baseline(h);
    fin_node_t *a = rgc_new(h, fin_node_type());
    void *b = expensive_new(h, 2);
    a->other = rgc_newref(b);
    set_attr(b, "peer", a);
    rgc_decref(a);
    rgc_decref(b);

    late_ref = NULL;
    assert_true(rgc_gc_collect(h, 2) >= 2);
    assert_non_null(late_ref);
    assert_null(rgc_weakref_peek(late_ref));
    assert_int_equal(calls.count, 1);
    assert_ptr_equal(calls.weakref[0], late_ref);
    assert_weak_ok(h);
    rgc_decref(late_ref);
    assert_int_equal(live_objects(h), base);
    assert_heap_ok(h);
    rgc_heap_destroy(h);
}

/* A callback that runs a full collection while the referent is being
 * destroyed by reference count. */
static long collected_in_callback;

static void collecting_call(void *weakref, void *ctx)
{
    (void)weakref;
    (void)ctx;
    calls.count++;
    collected_in_callback = rgc_gc_collect(callback_heap, 2);
}

static void test_a_collection_run_by_a_callback_leaves_the_dying_referent_alone(void **state)
{
    (void)state;
    reset_calls();
    rgc_heap_t *h = rgc_heap_new(NULL);
    callback_heap = h;
    size_t base = baseline(h);
    void *obj = expensive_new(h, 1); /* tracked, in generation 0 */
    void *r = rgc_weakref_new(obj, collecting_call, NULL);
    rgc_decref(obj);
    assert_int_equal(calls.count, 1);
    assert_int_equal(collected_in_callback, 0); /* nothing there is garbage */
    rgc_decref(r);
    assert_int_equal(live_objects(h), base);
    assert_weak_ok(h);
    assert_heap_ok(h);
    rgc_heap_destroy(h);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_a_weak_reference_follows_its_referent_until_it_dies),
        cmocka_unit_test(test_a_dead_weak_reference_yields_null),
        cmocka_unit_test(test_the_callback_runs_once_with_its_weakref_and_ctx_when_the_referent_dies),
        cmocka_unit_test(test_callbacks_run_newest_first_after_every_weakref_was_cleared),
        cmocka_unit_test(test_no_callback_runs_when_the_weakref_died_first),
        cmocka_unit_test(test_weakref_count_counts_the_weakrefs_to_an_object),
        cmocka_unit_test(test_a_callback_may_create_weakrefs_and_objects),
        cmocka_unit_test(test_a_callback_may_drop_the_last_reference_to_its_own_weakref),
        cmocka_unit_test(test_only_weak_referenceable_objects_can_be_referred_to_weakly),
        cmocka_unit_test(test_a_weakref_hashes_and_compares_like_its_referent),
        cmocka_unit_test(test_many_referents_grow_and_shrink_the_weak_table),
        cmocka_unit_test(test_weakrefs_in_a_deep_destruction_chain_are_handled_in_order),
        cmocka_unit_test(test_the_weak_value_cache_forgets_a_value_when_it_dies),
        cmocka_unit_test(test_the_weak_value_dictionary_replaces_and_deletes_entries),
        cmocka_unit_test(test_a_weak_dictionary_dropped_first_leaves_its_values_alone),
        cmocka_unit_test(test_weak_dictionaries_reject_bad_arguments),
        cmocka_unit_test(test_the_weak_key_dictionary_forgets_an_entry_when_its_key_dies),
        cmocka_unit_test(test_weak_key_dictionary_keys_are_found_by_equality),
        cmocka_unit_test(test_running_out_of_memory_leaves_weak_references_consistent),
        cmocka_unit_test(test_a_collection_clears_a_weakref_into_a_garbage_cycle_and_runs_its_callback),
        cmocka_unit_test(test_no_callback_runs_for_a_weakref_that_is_garbage_itself),
        cmocka_unit_test(test_a_garbage_weakref_to_a_live_object_is_cleared_without_its_callback),
        cmocka_unit_test(test_a_weak_value_in_a_garbage_cycle_leaves_the_cache_when_collected),
        cmocka_unit_test(test_a_weak_dictionary_in_a_garbage_cycle_is_collected),
        cmocka_unit_test(test_a_live_weakref_to_an_object_freed_with_a_garbage_cycle_gets_its_callback),
        cmocka_unit_test(test_a_weakref_made_by_a_finalizer_during_a_collection_is_cleared),
        cmocka_unit_test(test_a_collection_run_by_a_callback_leaves_the_dying_referent_alone),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
