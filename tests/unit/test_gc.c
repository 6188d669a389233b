/*
 * test_gc.c — the cycle collector, through Python's gc module as rgc.h
 * mirrors it: every cycle the seed articles build (two nodes, a self
 * reference, two dicts, instances, __del__ in a cycle), PEP 442 finalizers
 * and resurrection, legacy finalizers and the garbage list, counts and
 * thresholds, generations and promotion, stats, freeze, the object and
 * referrer queries, callbacks, debug flags, re-entry, running out of
 * memory, and cycles through every built-in container.
 *
 * Each test makes its own heap and ends with the heap checker.  Tests that
 * count collections or depend on generation contents disable automatic
 * collection first, unless automatic collection is what they test.
 */
#include "testutil.h"

/* ------------------------------------------------------------------------ */
/* Types */

/* One layout for every node kind: two references, a name, and an id the
 * finalizers use to count calls per object. */
typedef struct gnode {
    RGC_OBJECT_HEAD;
    rgc_object_t *other;
    rgc_object_t *extra;
    rgc_object_t *name;
    int64_t id;
} gnode_t;

static const rgc_ref_field_t gnode_fields[] = {
    {"other", offsetof(gnode_t, other)},
    {"extra", offsetof(gnode_t, extra)},
    {"name", offsetof(gnode_t, name)},
};

#define MAX_IDS 64

/* Everything the hooks observe; reset_observations() clears it. */
static struct {
    int fin_calls[MAX_IDS];      /* FinNode finalizer calls by id */
    int fin_saw_cleared;         /* a FinNode finalizer found `other` NULL */
    int fin_reenter;             /* FinNode finalizers call rgc_gc_collect */
    long fin_reenter_result;     /* what that call returned */
    int fin_reenter_calls;
    int legacy_calls;            /* Legacy finalizer calls */
    int phoenix_calls;           /* Phoenix finalizer calls */
    rgc_object_t *phoenix_saved; /* the global a Phoenix resurrects into */
    int opaque_clears, opaque_deallocs;
    int nest_calls;              /* Nest finalizer calls */
    int nest_extra;              /* tracked objects a Nest finalizer allocates */
    rgc_object_t *nest_saved;    /* the new list a Nest finalizer hides in */
    int breaker_calls;           /* Breaker finalizer calls */
    int handoff_calls;           /* Handoff finalizer calls */
    gnode_t *keeper;             /* the live node a Handoff gives itself to */
    char events[64];             /* S start, F finalizer, T stop */
    size_t nevents;
} seen;

static void reset_observations(void)
{
    memset(&seen, 0, sizeof seen);
}

static void log_event(char c)
{
    if (seen.nevents + 1 < sizeof seen.events)
        seen.events[seen.nevents++] = c;
}

/* A plain node: no hooks. */
static rgc_type_t *node_type(void)
{
    static const rgc_type_spec_t spec = {
        .name = "test_gc.Node",
        .basic_size = sizeof(gnode_t),
        .ref_fields = gnode_fields,
        .n_ref_fields = 3,
    };
    return rgc_type_register(&spec);
}

/* A node with a PEP 442 finalizer (the seed's Leaky with __del__). */
static void fin_finalize(rgc_object_t *o)
{
    gnode_t *n = (gnode_t *)o;
    if (n->id >= 0 && n->id < MAX_IDS)
        seen.fin_calls[n->id]++;
    if (!n->other)
        seen.fin_saw_cleared++;
    log_event('F');
    if (seen.fin_reenter) {
        seen.fin_reenter_calls++;
        seen.fin_reenter_result = rgc_gc_collect(rgc_heap_of(o), 2);
    }
}

static rgc_type_t *fin_type(void)
{
    static const rgc_type_spec_t spec = {
        .name = "test_gc.FinNode",
        .basic_size = sizeof(gnode_t),
        .ref_fields = gnode_fields,
        .n_ref_fields = 3,
        .finalize = fin_finalize,
    };
    return rgc_type_register(&spec);
}

/* A node whose finalizer stores it in a global: resurrection. */
static void phoenix_finalize(rgc_object_t *o)
{
    seen.phoenix_calls++;
    if (!seen.phoenix_saved)
        seen.phoenix_saved = rgc_newref(o);
}

static rgc_type_t *phoenix_type(void)
{
    static const rgc_type_spec_t spec = {
        .name = "test_gc.Phoenix",
        .basic_size = sizeof(gnode_t),
        .ref_fields = gnode_fields,
        .n_ref_fields = 3,
        .finalize = phoenix_finalize,
    };
    return rgc_type_register(&spec);
}

/* A node with a legacy finalizer (tp_del): a cycle through it is
 * uncollectable. */
static void legacy_finalize(rgc_object_t *o)
{
    (void)o;
    seen.legacy_calls++;
}

static rgc_type_t *legacy_type(void)
{
    static const rgc_type_spec_t spec = {
        .name = "test_gc.Legacy",
        .basic_size = sizeof(gnode_t),
        .flags = RGC_TF_LEGACY_FINALIZER,
        .ref_fields = gnode_fields,
        .n_ref_fields = 3,
        .finalize = legacy_finalize,
    };
    return rgc_type_register(&spec);
}

/* A finalizer that resurrects its object into a container it allocates,
 * with nest_extra more tracked objects: allocation during a collection. */
static rgc_type_t *node_type(void);

static void nest_finalize(rgc_object_t *o)
{
    rgc_heap_t *h = rgc_heap_of(o);
    seen.nest_calls++;
    void *l = rgc_list_new(h, 0);
    if (!l)
        return;
    rgc_list_append(l, o);
    for (int i = 0; i < seen.nest_extra; i++) {
        void *n = rgc_new(h, node_type());
        if (n) {
            rgc_list_append(l, n);
            rgc_decref(n);
        }
    }
    seen.nest_saved = l;
}

static rgc_type_t *nest_type(void)
{
    static const rgc_type_spec_t spec = {
        .name = "test_gc.Nest",
        .basic_size = sizeof(gnode_t),
        .ref_fields = gnode_fields,
        .n_ref_fields = 3,
        .finalize = nest_finalize,
    };
    return rgc_type_register(&spec);
}

/* A finalizer that breaks its own cycle by dropping `other`. */
static void breaker_finalize(rgc_object_t *o)
{
    gnode_t *n = (gnode_t *)o;
    seen.breaker_calls++;
    rgc_object_t *old = n->other;
    n->other = NULL;
    rgc_xdecref(old);
}

static rgc_type_t *breaker_type(void)
{
    static const rgc_type_spec_t spec = {
        .name = "test_gc.Breaker",
        .basic_size = sizeof(gnode_t),
        .ref_fields = gnode_fields,
        .n_ref_fields = 3,
        .finalize = breaker_finalize,
    };
    return rgc_type_register(&spec);
}

/* A finalizer that gives its object to a live node: resurrection through
 * an object the collection already found reachable. */
static void handoff_finalize(rgc_object_t *o)
{
    seen.handoff_calls++;
    if (seen.keeper) {
        rgc_object_t *old = seen.keeper->other;
        seen.keeper->other = rgc_newref(o);
        rgc_xdecref(old);
    }
}

static rgc_type_t *handoff_type(void)
{
    static const rgc_type_spec_t spec = {
        .name = "test_gc.Handoff",
        .basic_size = sizeof(gnode_t),
        .ref_fields = gnode_fields,
        .n_ref_fields = 3,
        .finalize = handoff_finalize,
    };
    return rgc_type_register(&spec);
}

/* The seed's Leak: `self.ref = self`. */
typedef struct leak {
    RGC_OBJECT_HEAD;
    rgc_object_t *ref;
} leak_t;

static const rgc_ref_field_t leak_fields[] = {{"ref", offsetof(leak_t, ref)}};

static rgc_type_t *leak_type(void)
{
    static const rgc_type_spec_t spec = {
        .name = "test_gc.Leak",
        .basic_size = sizeof(leak_t),
        .ref_fields = leak_fields,
        .n_ref_fields = 1,
    };
    return rgc_type_register(&spec);
}

/* An opaque object: its one reference is visible only to its traverse
 * hook; with the clear hook the collector can break a cycle through it. */
typedef struct opaque {
    RGC_OBJECT_HEAD;
    rgc_object_t *hidden;
} opaque_t;

static void opaque_traverse(rgc_object_t *o, rgc_visit_fn visit, void *arg)
{
    opaque_t *p = (opaque_t *)o;
    if (p->hidden)
        visit(p->hidden, arg);
}

static void opaque_clear(rgc_object_t *o)
{
    opaque_t *p = (opaque_t *)o;
    rgc_object_t *ref = p->hidden;
    seen.opaque_clears++;
    p->hidden = NULL;
    rgc_xdecref(ref);
}

static void opaque_dealloc(rgc_object_t *o)
{
    opaque_t *p = (opaque_t *)o;
    rgc_object_t *ref = p->hidden;
    seen.opaque_deallocs++;
    p->hidden = NULL;
    rgc_xdecref(ref);
}

static rgc_type_t *opaque_type(void)
{
    static const rgc_type_spec_t spec = {
        .name = "test_gc.Opaque",
        .basic_size = sizeof(opaque_t),
        .traverse = opaque_traverse,
        .dealloc = opaque_dealloc,
        .clear = opaque_clear,
    };
    return rgc_type_register(&spec);
}

static rgc_type_t *opaque_noclear_type(void)
{
    static const rgc_type_spec_t spec = {
        .name = "test_gc.OpaqueNoClear",
        .basic_size = sizeof(opaque_t),
        .traverse = opaque_traverse,
        .dealloc = opaque_dealloc,
    };
    return rgc_type_register(&spec);
}

/* ------------------------------------------------------------------------ */
/* Helpers */


static size_t tracked_total(rgc_heap_t *h)
{
    size_t n = 0;
    for (int g = 0; g <= RGC_GC_PERMANENT; g++)
        n += rgc_generation_size(h, g);
    return n;
}

static gnode_t *new_node(rgc_heap_t *h, rgc_type_t *t, int64_t id)
{
    gnode_t *n = rgc_new(h, t);
    assert_non_null(n);
    n->id = id;
    return n;
}

/* n->field = target, as a new reference (the old value is dropped). */
static void link_to(rgc_object_t **field, void *target)
{
    rgc_object_t *old = *field;
    *field = rgc_newref(target);
    rgc_xdecref(old);
}

/* Drops a field's reference by hand: how a cycle is broken in C. */
static void unlink_field(rgc_object_t **field)
{
    rgc_object_t *old = *field;
    *field = NULL;
    rgc_xdecref(old);
}

static bool list_contains(const void *list, const void *obj)
{
    for (size_t i = 0; i < rgc_list_len(list); i++)
        if (rgc_list_get(list, i) == obj)
            return true;
    return false;
}

static long collect(rgc_heap_t *h, int gen)
{
    return rgc_gc_collect(h, gen);
}

/* Collects what rgc_gc_get_objects / referrers / referents report. */
typedef struct found {
    rgc_object_t *items[256];
    size_t n;          /* calls of the function */
    size_t stop_after; /* return non-zero at this call (0 = never) */
} found_t;

static int remember(rgc_object_t *o, void *arg)
{
    found_t *f = arg;
    if (f->n < sizeof f->items / sizeof f->items[0])
        f->items[f->n] = o;
    f->n++;
    return f->stop_after && f->n >= f->stop_after;
}

static bool found_has(const found_t *f, const void *obj)
{
    for (size_t i = 0; i < f->n && i < sizeof f->items / sizeof f->items[0]; i++)
        if (f->items[i] == obj)
            return true;
    return false;
}

/* A callback that logs every collection. */
typedef struct gc_log {
    int starts, stops;
    int gens[512];           /* generation of each stop, in order */
    rgc_gc_info_t start_info;
    rgc_gc_info_t stop_info; /* of the last stop */
    int reenter;             /* call rgc_gc_collect from the callback */
    int reentering;          /* ... once: a collector that accepts the call
                              * must not recurse without end */
    long reenter_result[2];  /* from start, from stop */
} gc_log_t;

static void log_collection(rgc_heap_t *h, rgc_gc_phase_t phase, const rgc_gc_info_t *info, void *arg)
{
    gc_log_t *log = arg;
    if (phase == RGC_GC_START) {
        log->starts++;
        log->start_info = *info;
        log_event('S');
    } else {
        if (log->stops < (int)(sizeof log->gens / sizeof log->gens[0]))
            log->gens[log->stops] = info->generation;
        log->stops++;
        log->stop_info = *info;
        log_event('T');
    }
    if (log->reenter && !log->reentering) {
        log->reentering = 1;
        log->reenter_result[phase == RGC_GC_START ? 0 : 1] = rgc_gc_collect(h, 2);
        log->reentering = 0;
    }
}

/* Builds a <-> b of type t (ids 0 and 1) and drops the external
 * references: a garbage cycle.  Returns a and b through out (borrowed). */
static void make_garbage_pair(rgc_heap_t *h, rgc_type_t *t, gnode_t **a_out, gnode_t **b_out)
{
    gnode_t *a = new_node(h, t, 0);
    gnode_t *b = new_node(h, t, 1);
    link_to(&a->other, b);
    link_to(&b->other, a);
    rgc_decref(a);
    rgc_decref(b);
    if (a_out)
        *a_out = a;
    if (b_out)
        *b_out = b;
}

/* ------------------------------------------------------------------------ */
/* Seed scenarios */

static void test_a_new_heap_has_default_thresholds_and_empty_generations(void **state)
{
    (void)state;
    rgc_heap_t *h = rgc_heap_new(NULL);
    size_t t[3], c[3];
    rgc_gc_get_threshold(h, t);
    assert_int_equal(t[0], 700);
    assert_int_equal(t[1], 10);
    assert_int_equal(t[2], 10);
    rgc_gc_get_count(h, c);
    assert_int_equal(c[0], 0);
    assert_int_equal(c[1], 0);
    assert_int_equal(c[2], 0);
    assert_true(rgc_gc_is_enabled(h));
    assert_int_equal(rgc_gc_get_debug(h), 0);
    assert_int_equal(rgc_gc_get_freeze_count(h), 0);
    rgc_gc_gen_stats_t st[3];
    rgc_gc_get_stats(h, st);
    for (int g = 0; g < 3; g++) {
        assert_int_equal(st[g].collections, 0);
        assert_int_equal(st[g].collected, 0);
        assert_int_equal(st[g].uncollectable, 0);
    }
    assert_int_equal(collect(h, 2), 0); /* nothing to find */
    assert_heap_ok(h);
    rgc_heap_destroy(h);
}

/*
 * class Node: name, other
 * a = Node("A"); b = Node("B"); a.other = b; b.other = a
 * del a, b           -> both still exist
 * gc.collect()       -> 2
 */
static void test_two_nodes_in_a_cycle_survive_their_names_until_collected(void **state)
{
    (void)state;
    rgc_heap_t *h = rgc_heap_new(NULL);
    size_t base = live_objects(h);
    gnode_t *a = new_node(h, node_type(), 0);
    gnode_t *b = new_node(h, node_type(), 1);
    a->name = rgc_str_from_cstr(h, "A");
    b->name = rgc_str_from_cstr(h, "B");
    link_to(&a->other, b);
    link_to(&b->other, a);
    rgc_decref(a); /* del a, b */
    rgc_decref(b);
    /* Objects still exist: each has count 1, from the other. */
    assert_int_equal(live_objects(h), base + 4);
    assert_int_equal(rgc_refcount(a), 1);
    assert_int_equal(rgc_refcount(b), 1);
    assert_string_equal(rgc_str_data(a->name), "A");
    assert_heap_ok(h);

    assert_int_equal(collect(h, 2), 2); /* the two nodes; their names are untracked */
    assert_int_equal(live_objects(h), base);
    assert_int_equal(tracked_total(h), 0);
    assert_int_equal(collect(h, 2), 0); /* nothing left to find */
    assert_heap_ok(h);
    rgc_heap_destroy(h);
}

/* class Leak: self.ref = self; leak = Leak(); del leak */
static void test_an_object_referring_to_itself_is_collected_alone(void **state)
{
    (void)state;
    rgc_heap_t *h = rgc_heap_new(NULL);
    size_t base = live_objects(h);
    leak_t *leak = rgc_new(h, leak_type());
    leak->ref = rgc_newref(leak);
    rgc_decref(leak);
    assert_int_equal(live_objects(h), base + 1);
    assert_int_equal(rgc_refcount(leak), 1);
    assert_int_equal(collect(h, 0), 1);
    assert_int_equal(live_objects(h), base);
    assert_heap_ok(h);
    rgc_heap_destroy(h);
}

/* The fix: class NoLeak: self.ref = None — freed by its count alone. */
static void test_an_object_without_a_cycle_needs_no_collection(void **state)
{
    (void)state;
    rgc_heap_t *h = rgc_heap_new(NULL);
    size_t base = live_objects(h);
    leak_t *no_leak = rgc_new(h, leak_type());
    rgc_decref(no_leak);
    assert_int_equal(live_objects(h), base);
    assert_int_equal(collect(h, 2), 0);
    assert_heap_ok(h);
    rgc_heap_destroy(h);
}

/* a = {}; b = {}; a["b"] = b; b["a"] = a; del a, b */
static void test_two_dicts_holding_each_other_are_collected(void **state)
{
    (void)state;
    rgc_heap_t *h = rgc_heap_new(NULL);
    rgc_str_intern(h, "a"); /* the keys: interned, immortal */
    rgc_str_intern(h, "b");
    size_t base = live_objects(h);
    void *a = rgc_dict_new(h);
    void *b = rgc_dict_new(h);
    assert_int_equal(rgc_dict_set_str(a, "b", b), 0);
    assert_int_equal(rgc_dict_set_str(b, "a", a), 0);
    rgc_decref(a);
    rgc_decref(b);
    assert_int_equal(live_objects(h), base + 2);
    assert_ptr_equal(rgc_dict_get_str(a, "b"), b);
    assert_int_equal(collect(h, 2), 2);
    assert_int_equal(live_objects(h), base);
    assert_true(rgc_str_is_interned(rgc_str_intern(h, "a")));
    assert_heap_ok(h);
    rgc_heap_destroy(h);
}

/* The Node example with real class instances: each has a __dict__. */
static void test_a_cycle_of_class_instances_is_collected_with_their_dicts(void **state)
{
    (void)state;
    rgc_heap_t *h = rgc_heap_new(NULL);
    rgc_type_t *cls = rgc_class_register("test_gc.SeedNode");
    assert_non_null(cls);
    rgc_str_intern(h, "name");
    rgc_str_intern(h, "other");
    size_t base = live_objects(h);
    void *a = rgc_instance_new(h, cls);
    void *b = rgc_instance_new(h, cls);
    void *na = rgc_str_from_cstr(h, "A");
    void *nb = rgc_str_from_cstr(h, "B");
    assert_int_equal(rgc_attr_set(a, "name", na), 0);
    assert_int_equal(rgc_attr_set(b, "name", nb), 0);
    rgc_decref(na);
    rgc_decref(nb);
    assert_int_equal(rgc_attr_set(a, "other", b), 0);
    assert_int_equal(rgc_attr_set(b, "other", a), 0);
    rgc_decref(a); /* del a, b */
    rgc_decref(b);
    assert_int_equal(live_objects(h), base + 6); /* 2 instances, 2 dicts, 2 names */
    assert_ptr_equal(rgc_attr_get(a, "other"), b);
    assert_string_equal(rgc_str_data(rgc_attr_get(b, "name")), "B");

    assert_int_equal(collect(h, 2), 4); /* instances and dicts: strs are untracked */
    assert_int_equal(live_objects(h), base);
    assert_heap_ok(h);
    rgc_heap_destroy(h);
}

/*
 * class Leaky: def __del__(self): print("Cleaning up")
 * a = Leaky(); b = Leaky(a); a.other = b
 * Since PEP 442 such a cycle is collected and each __del__ runs once,
 * before anything in the cycle is cleared.
 */
static void test_finalizers_in_a_cycle_run_once_before_anything_is_cleared(void **state)
{
    (void)state;
    rgc_heap_t *h = rgc_heap_new(NULL);
    reset_observations();
    size_t base = live_objects(h);
    gnode_t *a = new_node(h, fin_type(), 0);
    gnode_t *b = new_node(h, fin_type(), 1);
    link_to(&b->other, a); /* b = Leaky(a) */
    link_to(&a->other, b); /* a.other = b */
    rgc_decref(a);
    rgc_decref(b);
    assert_int_equal(seen.fin_calls[0], 0);
    assert_int_equal(collect(h, 2), 2);
    assert_int_equal(seen.fin_calls[0], 1);
    assert_int_equal(seen.fin_calls[1], 1);
    assert_int_equal(seen.fin_saw_cleared, 0);
    assert_int_equal(live_objects(h), base);
    rgc_gc_gen_stats_t st[3];
    rgc_gc_get_stats(h, st);
    assert_int_equal(st[2].collected, 2);
    assert_int_equal(st[2].uncollectable, 0);
    assert_int_equal(collect(h, 2), 0);
    assert_int_equal(seen.fin_calls[0], 1);
    assert_heap_ok(h);
    rgc_heap_destroy(h);
}

/*
 * A finalizer that stores its object in a global resurrects it and,
 * through it, the rest of its cycle.  The finalizer never runs again: the
 * next collection after the global is dropped frees both silently.
 */
static void test_a_finalizer_that_resurrects_keeps_its_cycle_alive_and_never_runs_again(void **state)
{
    (void)state;
    rgc_heap_t *h = rgc_heap_new(NULL);
    rgc_gc_disable(h);
    reset_observations();
    size_t base = live_objects(h);
    gnode_t *a = new_node(h, phoenix_type(), 0);
    gnode_t *b = new_node(h, node_type(), 1);
    link_to(&a->other, b);
    link_to(&b->other, a);
    rgc_decref(a);
    rgc_decref(b);

    long r = collect(h, 2);
    assert_true(r >= 0);
    assert_int_equal(seen.phoenix_calls, 1);
    assert_ptr_equal(seen.phoenix_saved, a);
    assert_int_equal(live_objects(h), base + 2); /* nothing freed */
    rgc_gc_gen_stats_t st[3];
    rgc_gc_get_stats(h, st);
    assert_int_equal(st[2].collected, 0);
    assert_int_equal(st[2].uncollectable, 0);
    /* Intact and usable. */
    assert_ptr_equal(a->other, b);
    assert_ptr_equal(b->other, a);
    assert_int_equal(a->id, 0);
    assert_int_equal(b->id, 1);
    assert_int_equal(rgc_refcount(a), 2); /* b and the global */
    assert_int_equal(rgc_refcount(b), 1);
    assert_true(rgc_gc_is_finalized(a));
    assert_true(rgc_is_tracked(a));
    assert_true(rgc_is_tracked(b));
    a->name = rgc_str_from_cstr(h, "reborn");
    assert_string_equal(rgc_str_data(a->name), "reborn");
    assert_heap_ok(h);

    /* Still reachable from the global: a second collection finds nothing. */
    assert_int_equal(collect(h, 2), 0);
    assert_int_equal(seen.phoenix_calls, 1);

    /* Drop the global: garbage again, freed without a second finalizer. */
    rgc_object_t *saved = seen.phoenix_saved;
    seen.phoenix_saved = NULL;
    rgc_decref(saved);
    assert_int_equal(live_objects(h), base + 3);
    assert_int_equal(collect(h, 2), 2);
    assert_int_equal(seen.phoenix_calls, 1);
    assert_null(seen.phoenix_saved);
    assert_int_equal(live_objects(h), base);
    assert_heap_ok(h);
    rgc_heap_destroy(h);
}

/*
 * Before PEP 442, a cycle through an object with __del__ could not be
 * collected: gc.collect() counts it, puts it in gc.garbage, frees nothing.
 */
static void test_a_cycle_through_a_legacy_finalizer_is_uncollectable_and_lands_in_garbage(void **state)
{
    (void)state;
    rgc_heap_t *h = rgc_heap_new(NULL);
    rgc_gc_disable(h);
    reset_observations();
    void *garbage = rgc_gc_garbage(h); /* made before counting, if made lazily */
    assert_non_null(garbage);
    assert_true(rgc_is(garbage, rgc_list_type()));
    assert_int_equal(rgc_list_len(garbage), 0);
    size_t base = live_objects(h);
    gnode_t *a, *b;
    make_garbage_pair(h, legacy_type(), &a, &b);
    size_t objects_before = live_objects(h);

    assert_int_equal(collect(h, 2), 2);
    assert_int_equal(seen.legacy_calls, 0); /* never run by the collector */
    assert_int_equal(live_objects(h), objects_before);
    assert_int_equal(rgc_list_len(garbage), 2);
    assert_true(list_contains(garbage, a));
    assert_true(list_contains(garbage, b));
    assert_ptr_equal(a->other, b); /* nothing was cleared */
    assert_ptr_equal(b->other, a);
    assert_int_equal(rgc_refcount(a), 2); /* b and the garbage list */
    rgc_gc_gen_stats_t st[3];
    rgc_gc_get_stats(h, st);
    assert_int_equal(st[2].uncollectable, 2);
    assert_int_equal(st[2].collected, 0);
    assert_heap_ok(h);

    /* While the garbage list holds them they are reachable. */
    assert_int_equal(collect(h, 2), 0);
    assert_int_equal(rgc_list_len(garbage), 2);
    /* Clean up by hand (see the next test for what clearing does). */
    rgc_list_clear(garbage);
    unlink_field(&a->other);
    assert_int_equal(live_objects(h), base);
    assert_int_equal(seen.legacy_calls, 2); /* refcount destruction runs them */
    assert_heap_ok(h);
    rgc_heap_destroy(h);
}

static void test_clearing_the_garbage_list_by_hand_breaks_nothing(void **state)
{
    (void)state;
    rgc_heap_t *h = rgc_heap_new(NULL);
    rgc_gc_disable(h);
    reset_observations();
    void *garbage = rgc_gc_garbage(h);
    assert_non_null(garbage);
    size_t base = live_objects(h);
    gnode_t *a, *b;
    make_garbage_pair(h, legacy_type(), &a, &b);
    size_t objects = live_objects(h);
    assert_int_equal(collect(h, 2), 2);
    assert_int_equal(rgc_list_len(garbage), 2);

    rgc_list_clear(garbage); /* del gc.garbage[:] */
    assert_int_equal(rgc_list_len(garbage), 0);
    assert_ptr_equal(rgc_gc_garbage(h), garbage);
    /* The cycle itself still holds them: alive, intact, no finalizer. */
    assert_int_equal(live_objects(h), objects);
    assert_int_equal(rgc_refcount(a), 1);
    assert_int_equal(rgc_refcount(b), 1);
    assert_ptr_equal(a->other, b);
    assert_int_equal(seen.legacy_calls, 0);
    assert_heap_ok(h);

    /* Found again by the next collection, and listed again. */
    assert_int_equal(collect(h, 2), 2);
    assert_int_equal(rgc_list_len(garbage), 2);
    assert_true(list_contains(garbage, a));
    assert_true(list_contains(garbage, b));
    assert_heap_ok(h);

    rgc_list_clear(garbage);
    unlink_field(&b->other); /* break the cycle by hand: a dies, then b */
    assert_int_equal(live_objects(h), base);
    assert_int_equal(collect(h, 2), 0);
    assert_heap_ok(h);
    rgc_heap_destroy(h);
}

/*
 * Objects reachable from an uncollectable cycle are uncollectable too
 * (CPython's move_legacy_finalizer_reachable): they are counted, kept
 * intact, and their own finalizers do not run.
 */
static void test_objects_reachable_from_an_uncollectable_cycle_are_kept_intact(void **state)
{
    (void)state;
    rgc_heap_t *h = rgc_heap_new(NULL);
    rgc_gc_disable(h);
    reset_observations();
    void *garbage = rgc_gc_garbage(h);
    size_t base = live_objects(h);
    gnode_t *a, *b;
    make_garbage_pair(h, legacy_type(), &a, &b);
    gnode_t *c = new_node(h, fin_type(), 2); /* a PEP 442 finalizer */
    void *d = rgc_list_new(h, 0);
    assert_int_equal(rgc_list_append(d, c), 0);
    link_to(&c->other, d);                   /* c <-> d: a cycle of its own */
    link_to(&a->extra, c);                   /* hanging off the legacy cycle */
    rgc_decref(c);
    rgc_decref(d);
    size_t objects = live_objects(h);
    assert_int_equal(objects, base + 4);

    assert_int_equal(collect(h, 2), 4);
    assert_int_equal(live_objects(h), objects);
    assert_int_equal(seen.fin_calls[2], 0);
    assert_int_equal(seen.legacy_calls, 0);
    assert_ptr_equal(a->extra, c);
    assert_ptr_equal(c->other, d);
    assert_int_equal(rgc_list_len(d), 1);
    assert_ptr_equal(rgc_list_get(d, 0), c);
    rgc_gc_gen_stats_t st[3];
    rgc_gc_get_stats(h, st);
    assert_int_equal(st[2].uncollectable, 4);
    assert_int_equal(st[2].collected, 0);
    assert_ptr_equal(rgc_gc_garbage(h), garbage);
    /* The legacy objects are listed; CPython lists only those, a runtime
     * may list the ones they keep alive as well. */
    assert_true(list_contains(garbage, a));
    assert_true(list_contains(garbage, b));
    size_t listed = rgc_list_len(garbage);
    assert_true(listed == 2 || listed == 4);
    if (listed == 4) {
        assert_true(list_contains(garbage, c));
        assert_true(list_contains(garbage, d));
    }
    assert_heap_ok(h);

    rgc_list_clear(garbage);
    unlink_field(&a->extra); /* c <-> d is now ordinary garbage */
    assert_int_equal(collect(h, 2), 2 + 2);
    /* a <-> b again uncollectable, c and d freed with c's finalizer. */
    assert_int_equal(seen.fin_calls[2], 1);
    assert_int_equal(live_objects(h), base + 2);
    rgc_list_clear(garbage);
    unlink_field(&a->other);
    assert_int_equal(live_objects(h), base);
    assert_heap_ok(h);
    rgc_heap_destroy(h);
}

/* ------------------------------------------------------------------------ */
/* Counts, thresholds, generations */

static void test_count_zero_follows_tracked_allocations_and_deallocations(void **state)
{
    (void)state;
    rgc_heap_t *h = rgc_heap_new(NULL);
    rgc_gc_disable(h);
    size_t c0[3], c[3];
    rgc_gc_get_count(h, c0);
    gnode_t *n[50];
    for (int i = 0; i < 50; i++)
        n[i] = new_node(h, node_type(), i);
    rgc_gc_get_count(h, c);
    assert_int_equal(c[0], c0[0] + 50);
    for (int i = 0; i < 5; i++)
        rgc_decref(n[i]);
    rgc_gc_get_count(h, c);
    assert_int_equal(c[0], c0[0] + 45);
    /* Untracked allocations do not count. */
    void *s = rgc_str_from_cstr(h, "not tracked");
    void *big = rgc_int_new(h, 1 << 20);
    rgc_gc_get_count(h, c);
    assert_int_equal(c[0], c0[0] + 45);
    rgc_decref(s);
    rgc_decref(big);
    /* A collection of generation 0 resets it and counts in [1]. */
    assert_int_equal(collect(h, 0), 0);
    rgc_gc_get_count(h, c);
    assert_int_equal(c[0], 0);
    assert_int_equal(c[1], c0[1] + 1);
    assert_int_equal(collect(h, 0), 0);
    rgc_gc_get_count(h, c);
    assert_int_equal(c[1], c0[1] + 2);
    /* A collection of generation 1 resets [1] and counts in [2]. */
    assert_int_equal(collect(h, 1), 0);
    rgc_gc_get_count(h, c);
    assert_int_equal(c[0], 0);
    assert_int_equal(c[1], 0);
    assert_int_equal(c[2], c0[2] + 1);
    /* A full collection resets them all. */
    assert_int_equal(collect(h, 2), 0);
    rgc_gc_get_count(h, c);
    assert_int_equal(c[0], 0);
    assert_int_equal(c[1], 0);
    assert_int_equal(c[2], 0);
    for (int i = 5; i < 50; i++)
        rgc_decref(n[i]);
    assert_heap_ok(h);
    rgc_heap_destroy(h);
}

static void test_thresholds_can_be_set_and_read_back(void **state)
{
    (void)state;
    rgc_heap_t *h = rgc_heap_new(NULL);
    rgc_gc_set_threshold(h, 123, 4, 5);
    size_t t[3];
    rgc_gc_get_threshold(h, t);
    assert_int_equal(t[0], 123);
    assert_int_equal(t[1], 4);
    assert_int_equal(t[2], 5);
    rgc_gc_set_threshold(h, 700, 10, 10);
    rgc_gc_get_threshold(h, t);
    assert_int_equal(t[0], 700);
    assert_int_equal(t[1], 10);
    assert_int_equal(t[2], 10);
    assert_heap_ok(h);
    rgc_heap_destroy(h);
}

/* 700 tracked allocations leave count[0] at the threshold; the 701st
 * exceeds it and runs exactly one collection of generation 0. */
static void test_exceeding_threshold_zero_runs_exactly_one_young_collection(void **state)
{
    (void)state;
    rgc_heap_t *h = rgc_heap_new(NULL);
    gc_log_t log = {0};
    assert_int_equal(rgc_gc_callback_add(h, log_collection, &log), 0);
    static gnode_t *n[701];
    for (int i = 0; i < 700; i++)
        n[i] = new_node(h, node_type(), i);
    assert_int_equal(log.stops, 0);
    size_t c[3];
    rgc_gc_get_count(h, c);
    assert_int_equal(c[0], 700);
    n[700] = new_node(h, node_type(), 700);
    assert_int_equal(log.starts, 1);
    assert_int_equal(log.stops, 1);
    assert_int_equal(log.gens[0], 0);
    assert_int_equal(log.stop_info.collected, 0);
    rgc_gc_get_count(h, c);
    assert_true(c[0] <= 1); /* the new object may be counted after the collection */
    assert_int_equal(c[1], 1);
    /* The survivors moved up to generation 1. */
    assert_int_equal(rgc_generation(n[0]), 1);
    assert_int_equal(rgc_generation(n[699]), 1);
    rgc_gc_gen_stats_t st[3];
    rgc_gc_get_stats(h, st);
    assert_int_equal(st[0].collections, 1);
    assert_int_equal(st[1].collections, 0);
    for (int i = 0; i < 701; i++)
        rgc_decref(n[i]);
    assert_int_equal(log.stops, 1);
    rgc_gc_callback_remove(h, log_collection, &log);
    assert_heap_ok(h);
    rgc_heap_destroy(h);
}

/* An automatic collection finds real garbage, not only survivors. */
static void test_an_automatic_collection_frees_garbage_cycles(void **state)
{
    (void)state;
    rgc_heap_t *h = rgc_heap_new(NULL);
    gc_log_t log = {0};
    rgc_gc_set_threshold(h, 100, 10, 10);
    assert_int_equal(rgc_gc_callback_add(h, log_collection, &log), 0);
    size_t base = live_objects(h);
    for (int i = 0; i < 50; i++) /* 100 tracked objects, all garbage */
        make_garbage_pair(h, node_type(), NULL, NULL);
    assert_int_equal(log.stops, 0);
    gnode_t *trigger = new_node(h, node_type(), 0);
    assert_int_equal(log.stops, 1);
    assert_int_equal(log.gens[0], 0);
    assert_int_equal(log.stop_info.collected, 100);
    assert_int_equal(live_objects(h), base + 1);
    rgc_decref(trigger);
    assert_int_equal(live_objects(h), base);
    rgc_gc_callback_remove(h, log_collection, &log);
    assert_heap_ok(h);
    rgc_heap_destroy(h);
}

/*
 * threshold (4, 3, big): every 5th tracked allocation runs a collection;
 * count[1] grows by one per young collection, and once it exceeds 3 the
 * next automatic collection takes generation 1 (Python: the oldest
 * generation whose count exceeds its threshold; a runtime counting "reaches"
 * instead of "exceeds" collects it one collection earlier).
 */
static void test_generation_one_is_collected_after_threshold_one_young_collections(void **state)
{
    (void)state;
    rgc_heap_t *h = rgc_heap_new(NULL);
    gc_log_t log = {0};
    rgc_gc_set_threshold(h, 4, 3, 1000);
    assert_int_equal(rgc_gc_callback_add(h, log_collection, &log), 0);
    static gnode_t *n[200];
    int made = 0, first_gen1 = -1;
    size_t count1_seen[16] = {0};
    while (made < 200 && first_gen1 < 0) {
        int before = log.stops;
        n[made] = new_node(h, node_type(), made);
        made++;
        if (log.stops != before) {
            assert_int_equal(log.stops, before + 1);
            size_t c[3];
            rgc_gc_get_count(h, c);
            if (log.gens[before] == 1) {
                first_gen1 = before;
                assert_int_equal(c[1], 0);
                assert_int_equal(c[2], 1);
            } else {
                assert_int_equal(log.gens[before], 0);
                if (before < 16)
                    count1_seen[before] = c[1];
            }
        }
    }
    assert_true(first_gen1 == 3 || first_gen1 == 4);
    for (int i = 0; i < first_gen1; i++)
        assert_int_equal(count1_seen[i], (size_t)i + 1);
    /* The first survivors went 0 -> 1 -> 2. */
    assert_int_equal(rgc_generation(n[0]), 2);
    for (int i = 0; i < made; i++)
        rgc_decref(n[i]);
    rgc_gc_callback_remove(h, log_collection, &log);
    assert_heap_ok(h);
    rgc_heap_destroy(h);
}

static void test_survivors_move_up_one_generation_per_collection(void **state)
{
    (void)state;
    rgc_heap_t *h = rgc_heap_new(NULL);
    rgc_gc_disable(h);
    gnode_t *a = new_node(h, node_type(), 0);
    assert_int_equal(rgc_generation(a), 0);
    assert_int_equal(collect(h, 0), 0);
    assert_int_equal(rgc_generation(a), 1);
    assert_int_equal(rgc_generation_size(h, 1), 1);
    assert_int_equal(collect(h, 0), 0); /* generation 1 is not collected */
    assert_int_equal(rgc_generation(a), 1);
    assert_int_equal(collect(h, 1), 0);
    assert_int_equal(rgc_generation(a), 2);
    assert_int_equal(collect(h, 2), 0);
    assert_int_equal(rgc_generation(a), 2); /* the oldest stays */
    /* Collecting generation 1 takes generation 0 with it: a young
     * survivor lands in generation 2 directly. */
    gnode_t *b = new_node(h, node_type(), 1);
    assert_int_equal(collect(h, 1), 0);
    assert_int_equal(rgc_generation(b), 2);
    assert_int_equal(rgc_generation_size(h, 0), 0);
    assert_int_equal(rgc_generation_size(h, 1), 0);
    assert_int_equal(rgc_generation_size(h, 2), 2);
    rgc_decref(a);
    rgc_decref(b);
    assert_int_equal(rgc_generation_size(h, 2), 0);
    assert_heap_ok(h);
    rgc_heap_destroy(h);
}

/* A young collection leaves garbage in older generations alone. */
static void test_a_young_collection_ignores_garbage_in_older_generations(void **state)
{
    (void)state;
    rgc_heap_t *h = rgc_heap_new(NULL);
    rgc_gc_disable(h);
    size_t base = live_objects(h);
    gnode_t *a = new_node(h, node_type(), 0);
    gnode_t *b = new_node(h, node_type(), 1);
    link_to(&a->other, b);
    link_to(&b->other, a);
    assert_int_equal(collect(h, 0), 0); /* still held: promoted to 1 */
    assert_int_equal(rgc_generation(a), 1);
    rgc_decref(a);
    rgc_decref(b);
    assert_int_equal(collect(h, 0), 0);
    assert_int_equal(live_objects(h), base + 2);
    assert_ptr_equal(a->other, b);
    assert_int_equal(collect(h, 1), 2);
    assert_int_equal(live_objects(h), base);
    assert_heap_ok(h);
    rgc_heap_destroy(h);
}

/* An old object holding a young cycle keeps it alive in a young
 * collection: its reference counts as coming from outside. */
static void test_an_old_object_keeps_a_young_cycle_alive(void **state)
{
    (void)state;
    rgc_heap_t *h = rgc_heap_new(NULL);
    rgc_gc_disable(h);
    size_t base = live_objects(h);
    gnode_t *old = new_node(h, node_type(), 0);
    assert_int_equal(collect(h, 1), 0);
    assert_int_equal(rgc_generation(old), 2);
    gnode_t *x = new_node(h, node_type(), 1);
    gnode_t *y = new_node(h, node_type(), 2);
    link_to(&x->other, y);
    link_to(&y->other, x);
    link_to(&old->extra, x);
    rgc_decref(x);
    rgc_decref(y);
    assert_int_equal(collect(h, 0), 0);
    assert_int_equal(collect(h, 1), 0);
    assert_int_equal(live_objects(h), base + 3);
    assert_ptr_equal(old->extra, x);
    assert_ptr_equal(x->other, y);
    assert_ptr_equal(y->other, x);
    assert_int_equal(rgc_refcount(x), 2);
    assert_int_equal(rgc_refcount(y), 1);
    /* Cut the old object's reference: the cycle is garbage. */
    unlink_field(&old->extra);
    assert_int_equal(collect(h, 2), 2);
    assert_int_equal(live_objects(h), base + 1);
    rgc_decref(old);
    assert_heap_ok(h);
    rgc_heap_destroy(h);
}

static void test_disable_stops_automatic_collection_and_enable_resumes_it(void **state)
{
    (void)state;
    rgc_heap_t *h = rgc_heap_new(NULL);
    gc_log_t log = {0};
    assert_int_equal(rgc_gc_callback_add(h, log_collection, &log), 0);
    assert_true(rgc_gc_is_enabled(h));
    rgc_gc_disable(h);
    assert_false(rgc_gc_is_enabled(h));
    static gnode_t *n[802];
    for (int i = 0; i < 800; i++)
        n[i] = new_node(h, node_type(), i);
    assert_int_equal(log.stops, 0);
    size_t c[3];
    rgc_gc_get_count(h, c);
    assert_int_equal(c[0], 800);
    /* An explicit collection still runs while disabled. */
    assert_int_equal(collect(h, 0), 0);
    assert_int_equal(log.stops, 1);
    for (int i = 0; i < 800; i++)
        rgc_decref(n[i]);
    for (int i = 0; i < 800; i++)
        n[i] = new_node(h, node_type(), i);
    assert_int_equal(log.stops, 1);
    rgc_gc_enable(h);
    assert_true(rgc_gc_is_enabled(h));
    /* count[0] is already past 700: the next tracked allocation collects. */
    n[800] = new_node(h, node_type(), 800);
    assert_int_equal(log.stops, 2);
    assert_int_equal(log.gens[1], 0);
    n[801] = new_node(h, node_type(), 801);
    assert_int_equal(log.stops, 2);
    for (int i = 0; i < 802; i++)
        rgc_decref(n[i]);
    rgc_gc_callback_remove(h, log_collection, &log);
    assert_heap_ok(h);
    rgc_heap_destroy(h);
}

static void test_threshold_zero_disables_automatic_collection(void **state)
{
    (void)state;
    rgc_heap_t *h = rgc_heap_new(NULL);
    gc_log_t log = {0};
    assert_int_equal(rgc_gc_callback_add(h, log_collection, &log), 0);
    rgc_gc_set_threshold(h, 0, 10, 10);
    assert_true(rgc_gc_is_enabled(h));
    size_t base = live_objects(h);
    for (int i = 0; i < 1000; i++) /* 2000 tracked objects of garbage */
        make_garbage_pair(h, node_type(), NULL, NULL);
    assert_int_equal(log.stops, 0);
    assert_int_equal(live_objects(h), base + 2000);
    /* Explicit collection is unaffected. */
    assert_int_equal(collect(h, 2), 2000);
    assert_int_equal(log.stops, 1);
    /* A threshold again: collection resumes once it is exceeded. */
    rgc_gc_set_threshold(h, 10, 10, 10);
    for (int i = 0; i < 6; i++)
        make_garbage_pair(h, node_type(), NULL, NULL);
    assert_int_equal(log.stops, 2);
    assert_int_equal(log.stop_info.collected, 10);
    assert_int_equal(collect(h, 2), 2);
    assert_int_equal(live_objects(h), base);
    rgc_gc_callback_remove(h, log_collection, &log);
    assert_heap_ok(h);
    rgc_heap_destroy(h);
}

static void test_stats_count_collections_collected_and_uncollectable_per_generation(void **state)
{
    (void)state;
    rgc_heap_t *h = rgc_heap_new(NULL);
    rgc_gc_disable(h);
    reset_observations();
    rgc_gc_garbage(h);
    size_t base = live_objects(h);
    rgc_gc_gen_stats_t st[3];

    make_garbage_pair(h, node_type(), NULL, NULL);
    assert_int_equal(collect(h, 0), 2);
    rgc_gc_get_stats(h, st);
    assert_int_equal(st[0].collections, 1);
    assert_int_equal(st[0].collected, 2);
    assert_int_equal(st[0].uncollectable, 0);
    assert_int_equal(st[1].collections, 0);
    assert_int_equal(st[2].collections, 0);

    gnode_t *a, *b;
    make_garbage_pair(h, legacy_type(), &a, &b);
    leak_t *leak = rgc_new(h, leak_type());
    leak->ref = rgc_newref(leak);
    rgc_decref(leak);
    assert_int_equal(collect(h, 1), 3);
    rgc_gc_get_stats(h, st);
    assert_int_equal(st[0].collections, 1);
    assert_int_equal(st[0].collected, 2);
    assert_int_equal(st[1].collections, 1);
    assert_int_equal(st[1].collected, 1);
    assert_int_equal(st[1].uncollectable, 2);
    assert_int_equal(st[2].collections, 0);

    assert_int_equal(collect(h, 2), 0); /* the garbage list holds a and b */
    assert_int_equal(collect(h, 2), 0);
    rgc_gc_get_stats(h, st);
    assert_int_equal(st[2].collections, 2);
    assert_int_equal(st[2].collected, 0);
    assert_int_equal(st[2].uncollectable, 0);
    assert_int_equal(st[1].uncollectable, 2);

    rgc_list_clear(rgc_gc_garbage(h));
    unlink_field(&a->other);
    assert_int_equal(live_objects(h), base);
    assert_heap_ok(h);
    rgc_heap_destroy(h);
}

/* ------------------------------------------------------------------------ */
/* freeze, queries */

static void test_frozen_garbage_is_ignored_until_unfrozen(void **state)
{
    (void)state;
    rgc_heap_t *h = rgc_heap_new(NULL);
    rgc_gc_disable(h);
    size_t base = live_objects(h);
    gnode_t *keep = new_node(h, node_type(), 9);
    gnode_t *a, *b;
    make_garbage_pair(h, node_type(), &a, &b);
    size_t tracked = tracked_total(h);
    assert_int_equal(tracked, 3); /* a new heap tracks nothing of its own */

    rgc_gc_freeze(h);
    assert_int_equal(rgc_gc_get_freeze_count(h), tracked);
    assert_int_equal(rgc_generation(a), RGC_GC_PERMANENT);
    assert_int_equal(rgc_generation(keep), RGC_GC_PERMANENT);
    assert_int_equal(rgc_generation_size(h, RGC_GC_PERMANENT), tracked);
    for (int g = 0; g < RGC_GC_GENERATIONS; g++)
        assert_int_equal(rgc_generation_size(h, g), 0);
    assert_heap_ok(h);

    assert_int_equal(collect(h, 2), 0);
    assert_int_equal(live_objects(h), base + 3);
    assert_ptr_equal(a->other, b);

    /* New garbage is still collected around the frozen objects. */
    make_garbage_pair(h, node_type(), NULL, NULL);
    assert_int_equal(collect(h, 0), 2);
    assert_int_equal(rgc_gc_get_freeze_count(h), tracked);

    rgc_gc_unfreeze(h);
    assert_int_equal(rgc_gc_get_freeze_count(h), 0);
    assert_int_equal(rgc_generation(a), 2);
    assert_int_equal(rgc_generation(keep), 2);
    assert_int_equal(rgc_generation_size(h, 2), tracked);
    assert_heap_ok(h);
    assert_int_equal(collect(h, 1), 0); /* generation 2 not included */
    assert_int_equal(collect(h, 2), 2);
    assert_int_equal(live_objects(h), base + 1);
    rgc_decref(keep);
    assert_heap_ok(h);
    rgc_heap_destroy(h);
}

static void test_freeing_a_frozen_object_updates_the_freeze_count(void **state)
{
    (void)state;
    rgc_heap_t *h = rgc_heap_new(NULL);
    gnode_t *a = new_node(h, node_type(), 0);
    gnode_t *b = new_node(h, node_type(), 1);
    rgc_gc_freeze(h);
    assert_int_equal(rgc_gc_get_freeze_count(h), 2);
    rgc_decref(a);
    assert_int_equal(rgc_gc_get_freeze_count(h), 1);
    assert_heap_ok(h);
    rgc_gc_unfreeze(h);
    assert_int_equal(rgc_generation(b), 2);
    rgc_decref(b);
    assert_int_equal(tracked_total(h), 0);
    assert_heap_ok(h);
    rgc_heap_destroy(h);
}

static void test_get_objects_lists_each_generation_and_stops_early(void **state)
{
    (void)state;
    rgc_heap_t *h = rgc_heap_new(NULL);
    rgc_gc_disable(h);
    gnode_t *a = new_node(h, node_type(), 0);
    gnode_t *b = new_node(h, node_type(), 1);
    assert_int_equal(collect(h, 1), 0); /* a, b -> 2 */
    gnode_t *c = new_node(h, node_type(), 2);
    assert_int_equal(collect(h, 0), 0); /* c -> 1 */
    gnode_t *d = new_node(h, node_type(), 3);
    void *plain = rgc_str_from_cstr(h, "untracked");

    found_t f = {0};
    assert_int_equal(rgc_gc_get_objects(h, 0, remember, &f), 1);
    assert_int_equal(f.n, 1);
    assert_ptr_equal(f.items[0], d);
    memset(&f, 0, sizeof f);
    assert_int_equal(rgc_gc_get_objects(h, 1, remember, &f), 1);
    assert_ptr_equal(f.items[0], c);
    memset(&f, 0, sizeof f);
    assert_int_equal(rgc_gc_get_objects(h, 2, remember, &f), 2);
    assert_true(found_has(&f, a));
    assert_true(found_has(&f, b));
    memset(&f, 0, sizeof f);
    assert_int_equal(rgc_gc_get_objects(h, -1, remember, &f), 4);
    assert_int_equal(f.n, 4);
    assert_true(found_has(&f, a) && found_has(&f, b) && found_has(&f, c) && found_has(&f, d));
    assert_false(found_has(&f, plain));

    /* Frozen objects: only in -1 (and generation 3). */
    rgc_gc_freeze(h);
    gnode_t *e = new_node(h, node_type(), 4);
    memset(&f, 0, sizeof f);
    assert_int_equal(rgc_gc_get_objects(h, 2, remember, &f), 0);
    memset(&f, 0, sizeof f);
    assert_int_equal(rgc_gc_get_objects(h, 0, remember, &f), 1);
    assert_ptr_equal(f.items[0], e);
    memset(&f, 0, sizeof f);
    assert_int_equal(rgc_gc_get_objects(h, -1, remember, &f), 5);
    assert_true(found_has(&f, a) && found_has(&f, e));

    /* Early stop: the function's non-zero return ends the walk. */
    memset(&f, 0, sizeof f);
    f.stop_after = 2;
    assert_int_equal(rgc_gc_get_objects(h, -1, remember, &f), 2);
    assert_int_equal(f.n, 2);
    memset(&f, 0, sizeof f);
    f.stop_after = 1;
    assert_int_equal(rgc_gc_get_objects(h, 0, remember, &f), 1);
    assert_int_equal(f.n, 1);

    rgc_gc_unfreeze(h);
    rgc_decref(a);
    rgc_decref(b);
    rgc_decref(c);
    rgc_decref(d);
    rgc_decref(e);
    rgc_decref(plain);
    memset(&f, 0, sizeof f);
    assert_int_equal(rgc_gc_get_objects(h, -1, remember, &f), 0);
    assert_int_equal(f.n, 0);
    assert_heap_ok(h);
    rgc_heap_destroy(h);
}

static void test_get_referrers_and_referents_follow_the_graph(void **state)
{
    (void)state;
    rgc_heap_t *h = rgc_heap_new(NULL);
    rgc_gc_disable(h);
    gnode_t *t = new_node(h, node_type(), 0);
    gnode_t *a = new_node(h, node_type(), 1);
    gnode_t *b = new_node(h, node_type(), 2);
    gnode_t *bystander = new_node(h, node_type(), 3);
    void *l = rgc_list_new(h, 0);
    link_to(&a->other, t);
    link_to(&b->extra, t);
    assert_int_equal(rgc_list_append(l, t), 0);
    assert_int_equal(rgc_list_append(l, t), 0); /* twice: still one referrer */
    link_to(&t->other, a);
    link_to(&bystander->other, a);
    assert_int_equal(collect(h, 0), 0); /* referrers in more than one generation */
    void *d = rgc_dict_new(h);          /* and one in generation 0 */
    assert_int_equal(rgc_dict_set_str(d, "k", t), 0);

    found_t f = {0};
    assert_int_equal(rgc_gc_get_referrers(h, t, remember, &f), 4);
    assert_int_equal(f.n, 4);
    assert_true(found_has(&f, a));
    assert_true(found_has(&f, b));
    assert_true(found_has(&f, l));
    assert_true(found_has(&f, d));
    assert_false(found_has(&f, t));
    assert_false(found_has(&f, bystander));

    memset(&f, 0, sizeof f);
    assert_int_equal(rgc_gc_get_referrers(h, bystander, remember, &f), 0);
    memset(&f, 0, sizeof f);
    assert_int_equal(rgc_gc_get_referrers(h, a, remember, &f), 2);
    assert_true(found_has(&f, t) && found_has(&f, bystander));

    memset(&f, 0, sizeof f);
    assert_int_equal(rgc_gc_get_referents(t, remember, &f), 1);
    assert_ptr_equal(f.items[0], a);
    memset(&f, 0, sizeof f);
    assert_int_equal(rgc_gc_get_referents(bystander, remember, &f), 1);
    assert_ptr_equal(f.items[0], a);
    memset(&f, 0, sizeof f);
    assert_int_equal(rgc_gc_get_referents(d, remember, &f), 2); /* key and value */
    assert_true(found_has(&f, t));
    assert_true(found_has(&f, rgc_str_intern(h, "k")));
    gnode_t *lonely = new_node(h, node_type(), 4);
    memset(&f, 0, sizeof f);
    assert_int_equal(rgc_gc_get_referents(lonely, remember, &f), 0);
    assert_int_equal(f.n, 0);

    /* An opaque object's references come from its traverse hook. */
    opaque_t *o = rgc_new(h, opaque_type());
    o->hidden = rgc_newref(lonely);
    memset(&f, 0, sizeof f);
    assert_int_equal(rgc_gc_get_referents(o, remember, &f), 1);
    assert_ptr_equal(f.items[0], lonely);
    memset(&f, 0, sizeof f);
    assert_int_equal(rgc_gc_get_referrers(h, lonely, remember, &f), 1);
    assert_ptr_equal(f.items[0], o);

    rgc_decref(o);
    rgc_decref(lonely);
    rgc_decref(d);
    rgc_decref(l);
    rgc_decref(bystander);
    rgc_decref(b);
    rgc_decref(a);
    unlink_field(&t->other);
    rgc_decref(t);
    assert_int_equal(tracked_total(h), 0);
    assert_heap_ok(h);
    rgc_heap_destroy(h);
}

static void test_is_finalized_turns_true_once_the_finalizer_ran(void **state)
{
    (void)state;
    rgc_heap_t *h = rgc_heap_new(NULL);
    rgc_gc_disable(h);
    reset_observations();
    gnode_t *plain = new_node(h, node_type(), 0);
    gnode_t *p = new_node(h, phoenix_type(), 1);
    link_to(&p->other, p);
    assert_false(rgc_gc_is_finalized(plain));
    assert_false(rgc_gc_is_finalized(p));
    rgc_decref(p);
    assert_false(rgc_gc_is_finalized(p)); /* the cycle keeps it, unfinalized */
    assert_true(collect(h, 2) >= 0);
    assert_int_equal(seen.phoenix_calls, 1);
    assert_ptr_equal(seen.phoenix_saved, p);
    assert_true(rgc_gc_is_finalized(p));
    assert_false(rgc_gc_is_finalized(plain));
    assert_int_equal(collect(h, 2), 0);
    assert_true(rgc_gc_is_finalized(p));

    rgc_object_t *saved = seen.phoenix_saved;
    seen.phoenix_saved = NULL;
    rgc_decref(saved);
    assert_int_equal(collect(h, 2), 1);
    assert_int_equal(seen.phoenix_calls, 1);
    rgc_decref(plain);
    assert_int_equal(tracked_total(h), 0);
    assert_heap_ok(h);
    rgc_heap_destroy(h);
}

/* ------------------------------------------------------------------------ */
/* Callbacks and debug flags */

static void test_callbacks_see_start_and_stop_around_each_collection(void **state)
{
    (void)state;
    rgc_heap_t *h = rgc_heap_new(NULL);
    rgc_gc_disable(h);
    reset_observations();
    rgc_gc_garbage(h);
    size_t base = live_objects(h);
    gc_log_t log = {0};
    assert_int_equal(rgc_gc_callback_add(h, log_collection, &log), 0);

    make_garbage_pair(h, fin_type(), NULL, NULL);
    assert_int_equal(collect(h, 2), 2);
    assert_string_equal(seen.events, "SFFT"); /* finalizers run inside */
    assert_int_equal(log.starts, 1);
    assert_int_equal(log.stops, 1);
    assert_int_equal(log.start_info.generation, 2);
    assert_int_equal(log.stop_info.generation, 2);
    assert_int_equal(log.stop_info.collected, 2);
    assert_int_equal(log.stop_info.uncollectable, 0);

    /* A bigger collection has a measurable, plausible duration. */
    gnode_t *first = new_node(h, node_type(), 0), *prev = first;
    for (int i = 1; i < 5000; i++) {
        gnode_t *n = new_node(h, node_type(), i);
        prev->other = (rgc_object_t *)n; /* steals n */
        prev = n;
    }
    link_to(&prev->other, first);
    rgc_decref(first);
    assert_int_equal(collect(h, 1), 5000);
    assert_int_equal(log.stops, 2);
    assert_int_equal(log.start_info.generation, 1);
    assert_int_equal(log.stop_info.generation, 1);
    assert_int_equal(log.stop_info.collected, 5000);
    assert_true(log.stop_info.duration_ns > 0);
    assert_true(log.stop_info.duration_ns < 10ull * 1000 * 1000 * 1000);

    /* An uncollectable cycle is reported as such. */
    gnode_t *a, *b;
    make_garbage_pair(h, legacy_type(), &a, &b);
    assert_int_equal(collect(h, 0), 2);
    assert_int_equal(log.stops, 3);
    assert_int_equal(log.stop_info.generation, 0);
    assert_int_equal(log.stop_info.collected, 0);
    assert_int_equal(log.stop_info.uncollectable, 2);

    assert_int_equal(rgc_gc_callback_remove(h, log_collection, &log), 0);
    assert_int_equal(collect(h, 2), 0);
    assert_int_equal(log.starts, 3);
    assert_int_equal(log.stops, 3);
    rgc_list_clear(rgc_gc_garbage(h));
    unlink_field(&a->other);
    assert_int_equal(live_objects(h), base);
    assert_heap_ok(h);
    rgc_heap_destroy(h);
}

static void test_callbacks_are_removed_by_registration_and_the_list_holds_sixteen(void **state)
{
    (void)state;
    rgc_heap_t *h = rgc_heap_new(NULL);
    rgc_gc_disable(h);
    gc_log_t logs[17];
    memset(logs, 0, sizeof logs);
    for (int i = 0; i < 16; i++)
        assert_int_equal(rgc_gc_callback_add(h, log_collection, &logs[i]), 0);
    record_errors();
    assert_int_equal(rgc_gc_callback_add(h, log_collection, &logs[16]), -1);
    rgc_set_error_handler(NULL, NULL);
    assert_int_equal(collect(h, 0), 0);
    for (int i = 0; i < 16; i++) {
        assert_int_equal(logs[i].starts, 1);
        assert_int_equal(logs[i].stops, 1);
    }
    assert_int_equal(logs[16].stops, 0);

    /* Remove one: it stops being called, a slot frees up. */
    assert_int_equal(rgc_gc_callback_remove(h, log_collection, &logs[3]), 0);
    assert_int_equal(rgc_gc_callback_remove(h, log_collection, &logs[3]), -1);
    assert_int_equal(rgc_gc_callback_remove(h, log_collection, &logs[16]), -1);
    assert_int_equal(rgc_gc_callback_add(h, log_collection, &logs[16]), 0);
    assert_int_equal(collect(h, 0), 0);
    assert_int_equal(logs[3].stops, 1);
    assert_int_equal(logs[16].stops, 1);
    assert_int_equal(logs[0].stops, 2);
    for (int i = 0; i < 17; i++)
        if (i != 3)
            assert_int_equal(rgc_gc_callback_remove(h, log_collection, &logs[i]), 0);

    /* The same registration twice: called twice, removed one at a time. */
    gc_log_t twice = {0};
    assert_int_equal(rgc_gc_callback_add(h, log_collection, &twice), 0);
    assert_int_equal(rgc_gc_callback_add(h, log_collection, &twice), 0);
    assert_int_equal(collect(h, 0), 0);
    assert_int_equal(twice.stops, 2);
    assert_int_equal(rgc_gc_callback_remove(h, log_collection, &twice), 0);
    assert_int_equal(collect(h, 0), 0);
    assert_int_equal(twice.stops, 3);
    assert_int_equal(rgc_gc_callback_remove(h, log_collection, &twice), 0);
    assert_int_equal(rgc_gc_callback_remove(h, log_collection, &twice), -1);
    assert_int_equal(collect(h, 0), 0);
    assert_int_equal(twice.stops, 3);
    assert_heap_ok(h);
    rgc_heap_destroy(h);
}

static void test_saveall_keeps_collected_cycles_in_garbage_instead_of_freeing_them(void **state)
{
    (void)state;
    rgc_heap_t *h = rgc_heap_new(NULL);
    rgc_gc_disable(h);
    void *garbage = rgc_gc_garbage(h);
    assert_non_null(garbage);
    size_t base = live_objects(h);
    rgc_gc_set_debug(h, RGC_GC_DEBUG_SAVEALL);
    assert_int_equal(rgc_gc_get_debug(h), RGC_GC_DEBUG_SAVEALL);
    gnode_t *a, *b;
    make_garbage_pair(h, node_type(), &a, &b);
    size_t objects = live_objects(h);

    assert_int_equal(collect(h, 2), 2);
    assert_int_equal(live_objects(h), objects);
    assert_int_equal(rgc_list_len(garbage), 2);
    assert_true(list_contains(garbage, a));
    assert_true(list_contains(garbage, b));
    assert_ptr_equal(a->other, b); /* kept whole, not cleared */
    assert_ptr_equal(b->other, a);
    assert_int_equal(rgc_refcount(a), 2);
    assert_heap_ok(h);

    /* Without SAVEALL, once out of the list, they are collected. */
    rgc_gc_set_debug(h, 0);
    assert_int_equal(rgc_gc_get_debug(h), 0);
    assert_int_equal(collect(h, 2), 0);
    rgc_list_clear(garbage);
    assert_int_equal(collect(h, 2), 2);
    assert_int_equal(objects, base + 2);
    assert_int_equal(live_objects(h), base);
    assert_int_equal(rgc_list_len(garbage), 0);
    assert_heap_ok(h);
    rgc_heap_destroy(h);
}

static void test_debug_flags_are_kept_and_their_output_does_not_disturb_collection(void **state)
{
    (void)state;
    rgc_heap_t *h = rgc_heap_new(NULL);
    rgc_gc_disable(h);
    reset_observations();
    rgc_gc_garbage(h);
    size_t base = live_objects(h);
    unsigned flags = RGC_GC_DEBUG_STATS | RGC_GC_DEBUG_COLLECTABLE | RGC_GC_DEBUG_UNCOLLECTABLE;
    rgc_gc_set_debug(h, flags);
    assert_int_equal(rgc_gc_get_debug(h), flags);
    make_garbage_pair(h, node_type(), NULL, NULL);
    gnode_t *a, *b;
    make_garbage_pair(h, legacy_type(), &a, &b);
    assert_int_equal(collect(h, 2), 4);
    assert_int_equal(live_objects(h), base + 2);
    assert_int_equal(rgc_list_len(rgc_gc_garbage(h)), 2);
    assert_heap_ok(h);
    rgc_gc_set_debug(h, RGC_GC_DEBUG_LEAK);
    assert_int_equal(rgc_gc_get_debug(h), RGC_GC_DEBUG_LEAK);
    rgc_gc_set_debug(h, 0);
    rgc_list_clear(rgc_gc_garbage(h));
    unlink_field(&a->other);
    assert_int_equal(live_objects(h), base);
    assert_heap_ok(h);
    rgc_heap_destroy(h);
}

/* ------------------------------------------------------------------------ */
/* Re-entry and failure */

static void test_a_collection_started_from_a_finalizer_is_declined(void **state)
{
    (void)state;
    rgc_heap_t *h = rgc_heap_new(NULL);
    rgc_gc_disable(h);
    reset_observations();
    size_t base = live_objects(h);
    make_garbage_pair(h, fin_type(), NULL, NULL);
    make_garbage_pair(h, node_type(), NULL, NULL);
    seen.fin_reenter = 1;
    seen.fin_reenter_result = 12345;
    record_errors(); /* the declined calls may be reported as misuse */
    assert_int_equal(collect(h, 2), 4);
    rgc_set_error_handler(NULL, NULL);
    assert_int_equal(seen.fin_reenter_calls, 2);
    assert_int_equal(seen.fin_reenter_result, -1);
    assert_int_equal(live_objects(h), base);
    assert_heap_ok(h);
    seen.fin_reenter = 0;
    /* The collector is idle again afterwards. */
    make_garbage_pair(h, node_type(), NULL, NULL);
    assert_int_equal(collect(h, 2), 2);
    assert_int_equal(live_objects(h), base);
    assert_heap_ok(h);
    rgc_heap_destroy(h);
}

static void test_a_collection_started_from_a_callback_is_declined(void **state)
{
    (void)state;
    rgc_heap_t *h = rgc_heap_new(NULL);
    rgc_gc_disable(h);
    size_t base = live_objects(h);
    gc_log_t log = {.reenter = 1, .reenter_result = {12345, 12345}};
    assert_int_equal(rgc_gc_callback_add(h, log_collection, &log), 0);
    make_garbage_pair(h, node_type(), NULL, NULL);
    record_errors();
    assert_int_equal(collect(h, 2), 2);
    rgc_set_error_handler(NULL, NULL);
    assert_int_equal(log.reenter_result[0], -1); /* from "start" */
    assert_int_equal(log.reenter_result[1], -1); /* from "stop" */
    assert_int_equal(log.starts, 1);             /* the nested calls made no collection */
    assert_int_equal(log.stops, 1);
    assert_int_equal(live_objects(h), base);
    assert_heap_ok(h);
    assert_int_equal(rgc_gc_callback_remove(h, log_collection, &log), 0);
    make_garbage_pair(h, node_type(), NULL, NULL);
    assert_int_equal(collect(h, 2), 2);
    assert_heap_ok(h);
    rgc_heap_destroy(h);
}

/*
 * The system refuses memory during a collection: the collection is
 * declined (-1, RGC_ENOMEM), nothing is freed or moved, and a later
 * collection succeeds.  Every failure point up to the first success is
 * tried.
 */
static void test_a_collection_without_memory_is_declined_and_can_be_retried(void **state)
{
    (void)state;
    counting_sysmem_t c = {0};
    rgc_sysmem_t sm = counting_sysmem(&c);
    rgc_heap_config_t cfg = {.sysmem = &sm};
    rgc_heap_t *h = rgc_heap_new(&cfg);
    assert_non_null(h);
    rgc_gc_disable(h);
    enum { RING = 3000 };
    gnode_t *first = new_node(h, node_type(), 0), *prev = first;
    for (int i = 1; i < RING; i++) {
        gnode_t *n = new_node(h, node_type(), i);
        prev->other = (rgc_object_t *)n;
        prev = n;
    }
    link_to(&prev->other, first);
    rgc_decref(first);
    size_t objects = live_objects(h);
    size_t count_before[3];
    rgc_gc_get_count(h, count_before);
    rgc_gc_gen_stats_t st_before[3];
    rgc_gc_get_stats(h, st_before);

    int declined = 0;
    long r = -1;
    for (long k = 1; k <= 64; k++) {
        record_errors();
        long failures = c.failures;
        c.fail_at = c.calls + k;
        r = collect(h, 2);
        c.fail_at = 0;
        rgc_set_error_handler(NULL, NULL);
        if (r != -1)
            break;
        declined++;
        assert_true(c.failures > failures);
        assert_true(recorded.count >= 1);
        assert_int_equal(recorded.last_code, RGC_ENOMEM);
        assert_int_equal(live_objects(h), objects);
        assert_int_equal(rgc_generation(first), 0);
        assert_int_equal(rgc_generation(prev), 0);
        assert_int_equal(rgc_refcount(first), 1);
        assert_ptr_equal(prev->other, first);
        size_t count[3];
        rgc_gc_get_count(h, count);
        assert_int_equal(count[0], count_before[0]);
        assert_heap_ok(h);
    }
    assert_true(declined >= 1); /* the first system call of the collection failed it */
    assert_int_equal(r, RING);
    assert_int_equal(live_objects(h), objects - RING);
    rgc_gc_gen_stats_t st[3];
    rgc_gc_get_stats(h, st);
    assert_int_equal(st[2].collections, st_before[2].collections + 1);
    assert_int_equal(st[2].collected, RING);
    assert_heap_ok(h);
    rgc_heap_destroy(h);
    assert_int_equal(c.maps, c.unmaps);
    assert_int_equal(c.allocs, c.frees);
    assert_int_equal(c.mapped, 0);
    assert_int_equal(c.allocated, 0);
}

/* ------------------------------------------------------------------------ */
/* Cycles through every container */

static void test_a_list_containing_itself_is_collected(void **state)
{
    (void)state;
    rgc_heap_t *h = rgc_heap_new(NULL);
    size_t base = live_objects(h);
    void *l = rgc_list_new(h, 0); /* l = []; l.append(l) */
    assert_int_equal(rgc_list_append(l, l), 0);
    void *n = rgc_int_new(h, 100000);
    assert_int_equal(rgc_list_append(l, n), 0);
    rgc_decref(n);
    rgc_decref(l);
    assert_int_equal(live_objects(h), base + 2);
    assert_int_equal(collect(h, 2), 1);
    assert_int_equal(live_objects(h), base);
    assert_heap_ok(h);
    rgc_heap_destroy(h);
}

static void test_a_tuple_and_a_list_holding_each_other_are_collected(void **state)
{
    (void)state;
    rgc_heap_t *h = rgc_heap_new(NULL);
    size_t base = live_objects(h);
    void *lst = rgc_list_new(h, 0);
    void *t = rgc_tuple_new(h, 1); /* t = (lst,); lst.append(t) */
    assert_int_equal(rgc_tuple_set(t, 0, rgc_newref(lst)), 0);
    assert_int_equal(rgc_list_append(lst, t), 0);
    rgc_decref(t);
    rgc_decref(lst);
    assert_int_equal(live_objects(h), base + 2);
    assert_int_equal(collect(h, 2), 2);
    assert_int_equal(live_objects(h), base);
    assert_heap_ok(h);
    rgc_heap_destroy(h);
}

/* s = set(); o = C(); s.add(o); o.s = s */
static void test_a_set_holding_an_instance_that_holds_the_set_is_collected(void **state)
{
    (void)state;
    rgc_heap_t *h = rgc_heap_new(NULL);
    rgc_str_intern(h, "s");
    size_t base = live_objects(h);
    rgc_type_t *cls = rgc_class_register("test_gc.Member");
    void *s = rgc_set_new(h);
    void *o = rgc_instance_new(h, cls);
    assert_int_equal(rgc_set_add(s, o), 0);
    assert_int_equal(rgc_attr_set(o, "s", s), 0);
    rgc_decref(s);
    rgc_decref(o);
    assert_int_equal(live_objects(h), base + 3); /* set, instance, its dict */
    assert_int_equal(rgc_set_contains(s, o), 1);
    assert_int_equal(collect(h, 2), 3);
    assert_int_equal(live_objects(h), base);
    assert_heap_ok(h);
    rgc_heap_destroy(h);
}

/* list -> dict -> tuple -> instance -> set -> Node -> list */
static void test_a_ring_through_every_container_type_is_collected(void **state)
{
    (void)state;
    rgc_heap_t *h = rgc_heap_new(NULL);
    rgc_gc_disable(h);
    rgc_str_intern(h, "t");
    rgc_str_intern(h, "s");
    size_t base = live_objects(h);
    void *l = rgc_list_new(h, 0);
    void *d = rgc_dict_new(h);
    void *i = rgc_instance_new(h, rgc_class_register("test_gc.Ring"));
    void *t = rgc_tuple_pack(h, 1, i);
    void *s = rgc_set_new(h);
    gnode_t *n = new_node(h, node_type(), 0);
    void *arr = rgc_array_new(h, RGC_ARRAY_I32, 4); /* untracked passenger */
    assert_int_equal(rgc_array_append_int(arr, 7), 0);
    assert_int_equal(rgc_list_append(l, d), 0);
    assert_int_equal(rgc_list_append(l, arr), 0);
    assert_int_equal(rgc_dict_set_str(d, "t", t), 0);
    assert_int_equal(rgc_attr_set(i, "s", s), 0);
    assert_int_equal(rgc_set_add(s, n), 0);
    link_to(&n->other, l);
    void *all[] = {l, d, i, t, s, n, arr};
    for (size_t k = 0; k < sizeof all / sizeof all[0]; k++)
        rgc_decref(all[k]);
    assert_int_equal(live_objects(h), base + 8); /* 7 and the instance's dict */
    /* Two steps: a young collection sees them all in generation 0. */
    assert_int_equal(collect(h, 0), 7);
    assert_int_equal(live_objects(h), base);
    assert_heap_ok(h);
    rgc_heap_destroy(h);
}

static void test_a_cycle_through_opaque_objects_is_broken_with_their_clear_hook(void **state)
{
    (void)state;
    rgc_heap_t *h = rgc_heap_new(NULL);
    rgc_gc_disable(h);
    reset_observations();
    size_t base = live_objects(h);
    opaque_t *a = rgc_new(h, opaque_type());
    opaque_t *b = rgc_new(h, opaque_type());
    gnode_t *n = new_node(h, node_type(), 0);
    a->hidden = rgc_newref(b);
    b->hidden = rgc_newref(n);
    link_to(&n->other, a); /* a -> b -> n -> a */
    rgc_decref(a);
    rgc_decref(b);
    rgc_decref(n);
    assert_int_equal(collect(h, 2), 3);
    assert_true(seen.opaque_clears >= 1);
    assert_int_equal(seen.opaque_deallocs, 2);
    assert_int_equal(live_objects(h), base);
    assert_heap_ok(h);
    rgc_heap_destroy(h);
}

/*
 * Nothing can break a cycle through an opaque object without a clear hook
 * (rgc.h: "such objects in a garbage cycle are uncollectable"): the
 * collector keeps it whole in the garbage list, layout objects in the
 * cycle included, rather than free part of it.
 */
static void test_a_cycle_through_an_object_without_a_clear_hook_is_uncollectable(void **state)
{
    (void)state;
    rgc_heap_t *h = rgc_heap_new(NULL);
    rgc_gc_disable(h);
    reset_observations();
    void *garbage = rgc_gc_garbage(h);
    assert_non_null(garbage);
    size_t base = live_objects(h);
    opaque_t *a = rgc_new(h, opaque_noclear_type());
    opaque_t *b = rgc_new(h, opaque_noclear_type());
    a->hidden = rgc_newref(b);
    b->hidden = rgc_newref(a);
    rgc_decref(a);
    rgc_decref(b);
    opaque_t *o = rgc_new(h, opaque_noclear_type()); /* mixed with a layout node */
    gnode_t *n = new_node(h, node_type(), 0);
    o->hidden = rgc_newref(n);
    link_to(&n->other, o);
    rgc_decref(o);
    rgc_decref(n);

    assert_int_equal(collect(h, 2), 4);
    assert_int_equal(seen.opaque_deallocs, 0);
    assert_int_equal(live_objects(h), base + 4);
    assert_ptr_equal(a->hidden, b);
    assert_ptr_equal(b->hidden, a);
    assert_ptr_equal(o->hidden, n);
    assert_ptr_equal(n->other, o);
    assert_true(list_contains(garbage, a));
    assert_true(list_contains(garbage, b));
    assert_true(list_contains(garbage, o));
    rgc_gc_gen_stats_t st[3];
    rgc_gc_get_stats(h, st);
    assert_int_equal(st[2].uncollectable, 4);
    assert_int_equal(st[2].collected, 0);
    assert_heap_ok(h);
    assert_int_equal(collect(h, 2), 0); /* held by the garbage list now */
    assert_heap_ok(h);

    /* Break them by hand. */
    rgc_list_clear(garbage);
    assert_int_equal(rgc_refcount(a), 1);
    rgc_object_t *ref = a->hidden;
    a->hidden = NULL;
    rgc_decref(ref);
    unlink_field(&n->other);
    assert_int_equal(seen.opaque_deallocs, 3);
    assert_int_equal(live_objects(h), base);
    assert_heap_ok(h);
    rgc_heap_destroy(h);
}

/*
 * The order of the candidates must not matter.  Here a (held only by b)
 * is set aside, then reached from b; c is held from outside and d is a
 * garbage self-cycle after them.  A collection must still look at c and d:
 * c survives tracked in generation 1, d is collected.
 */
static void test_candidates_after_one_reached_late_are_still_examined(void **state)
{
    (void)state;
    rgc_heap_t *h = rgc_heap_new(NULL);
    rgc_gc_disable(h);
    size_t base = live_objects(h);
    gnode_t *a = new_node(h, node_type(), 0);
    gnode_t *b = new_node(h, node_type(), 1);
    b->other = (rgc_object_t *)a; /* steals a */
    gnode_t *c = new_node(h, node_type(), 2);
    gnode_t *d = new_node(h, node_type(), 3);
    d->other = (rgc_object_t *)d; /* steals d: garbage */
    assert_int_equal(collect(h, 0), 1);
    assert_int_equal(live_objects(h), base + 3);
    gnode_t *live[] = {a, b, c};
    for (size_t i = 0; i < 3; i++) {
        assert_int_equal(rgc_generation(live[i]), 1);
        assert_int_equal(live[i]->ob_base.flags & RGC_OF_SCRATCH_MASK, 0);
    }
    assert_int_equal(rgc_generation_size(h, 1), 3);
    assert_heap_ok(h);
    rgc_decref(b);
    rgc_decref(c);
    assert_int_equal(live_objects(h), base);
    assert_heap_ok(h);
    rgc_heap_destroy(h);
}

/* Once every member that looked unreachable has been reached, the members
 * left are moved without a traversal: what they hold must still be right.
 * Here a (set aside, then reached from b) is the only such member; c, e
 * and the young f that e holds come after it. */
static void test_members_after_the_last_one_reached_survive_with_their_referents(void **state)
{
    (void)state;
    rgc_heap_t *h = rgc_heap_new(NULL);
    rgc_gc_disable(h);
    size_t base = live_objects(h);
    gnode_t *a = new_node(h, node_type(), 0);
    gnode_t *b = new_node(h, node_type(), 1);
    b->other = (rgc_object_t *)a; /* steals a */
    gnode_t *c = new_node(h, node_type(), 2);
    gnode_t *e = new_node(h, node_type(), 3);
    gnode_t *f = new_node(h, node_type(), 4);
    e->other = (rgc_object_t *)f;
    rgc_incref(f); /* f held by e and from outside: not "unreachable" */
    assert_int_equal(collect(h, 0), 0);
    gnode_t *live[] = {a, b, c, e, f};
    for (size_t i = 0; i < 5; i++) {
        assert_int_equal(rgc_generation(live[i]), 1);
        assert_int_equal(live[i]->ob_base.flags & RGC_OF_SCRATCH_MASK, 0);
    }
    assert_int_equal(rgc_generation_size(h, 1), 5);
    assert_int_equal(rgc_generation_size(h, 0), 0);
    assert_heap_ok(h);
    /* And a second collection of generation 1 agrees. */
    rgc_decref(f);
    assert_int_equal(collect(h, 1), 0);
    assert_int_equal(rgc_generation_size(h, 2), 5);
    rgc_decref(b);
    rgc_decref(c);
    rgc_decref(e);
    assert_int_equal(live_objects(h), base);
    assert_heap_ok(h);
    rgc_heap_destroy(h);
}

/* A finalizer may allocate (here a list to hide in, and 1000 tracked
 * nodes past threshold 0): no collection starts inside the running one,
 * the next allocation afterwards starts one. */
static void test_a_finalizer_may_allocate_and_resurrect_into_a_new_container(void **state)
{
    (void)state;
    rgc_heap_t *h = rgc_heap_new(NULL);
    reset_observations();
    seen.nest_extra = 1000;
    gc_log_t log = {0};
    assert_int_equal(rgc_gc_callback_add(h, log_collection, &log), 0);
    size_t base = live_objects(h);
    gnode_t *a = new_node(h, nest_type(), 0);
    gnode_t *b = new_node(h, node_type(), 1);
    link_to(&a->other, b);
    link_to(&b->other, a);
    rgc_decref(a);
    rgc_decref(b);

    assert_int_equal(collect(h, 2), 0); /* resurrected: neither freed nor uncollectable */
    assert_int_equal(log.stops, 1);
    assert_int_equal(seen.nest_calls, 1);
    assert_non_null(seen.nest_saved);
    assert_int_equal(rgc_list_len(seen.nest_saved), 1001);
    assert_ptr_equal(rgc_list_get(seen.nest_saved, 0), a);
    assert_ptr_equal(a->other, b);
    assert_ptr_equal(b->other, a);
    assert_true(rgc_is_tracked(a) && rgc_is_tracked(b));
    assert_int_equal(live_objects(h), base + 2 + 1 + 1000);
    assert_heap_ok(h);
    gnode_t *more = new_node(h, node_type(), 9); /* generation 0 is past 700 */
    assert_int_equal(log.stops, 2);
    rgc_decref(more);

    rgc_object_t *saved = seen.nest_saved;
    seen.nest_saved = NULL;
    rgc_decref(saved); /* the 1000 nodes go at once; a <-> b is garbage again */
    assert_int_equal(live_objects(h), base + 2);
    assert_int_equal(collect(h, 2), 2);
    assert_int_equal(seen.nest_calls, 1);
    assert_int_equal(live_objects(h), base);
    rgc_gc_callback_remove(h, log_collection, &log);
    assert_heap_ok(h);
    rgc_heap_destroy(h);
}

static void test_a_finalizer_that_breaks_its_own_cycle_leaves_nothing_behind(void **state)
{
    (void)state;
    rgc_heap_t *h = rgc_heap_new(NULL);
    rgc_gc_disable(h);
    reset_observations();
    size_t base = live_objects(h);
    make_garbage_pair(h, breaker_type(), NULL, NULL);
    gnode_t *x = new_node(h, breaker_type(), 2);
    gnode_t *y = new_node(h, node_type(), 3);
    link_to(&x->other, y);
    link_to(&y->other, x);
    rgc_decref(x);
    rgc_decref(y);
    assert_int_equal(collect(h, 2), 4);
    assert_int_equal(seen.breaker_calls, 3);
    assert_int_equal(live_objects(h), base);
    assert_heap_ok(h);
    rgc_heap_destroy(h);
}

static void test_a_finalizer_may_hand_its_object_to_a_live_one(void **state)
{
    (void)state;
    rgc_heap_t *h = rgc_heap_new(NULL);
    rgc_gc_disable(h);
    reset_observations();
    size_t base = live_objects(h);
    seen.keeper = new_node(h, node_type(), 9);
    gnode_t *a, *b;
    make_garbage_pair(h, handoff_type(), &a, &b);
    assert_int_equal(collect(h, 2), 0);
    assert_int_equal(seen.handoff_calls, 2);
    assert_true(seen.keeper->other == (rgc_object_t *)a || seen.keeper->other == (rgc_object_t *)b);
    assert_int_equal(live_objects(h), base + 3);
    assert_ptr_equal(a->other, b);
    assert_ptr_equal(b->other, a);
    assert_true(rgc_is_tracked(a) && rgc_is_tracked(b));
    assert_heap_ok(h);
    unlink_field(&seen.keeper->other);
    assert_int_equal(collect(h, 2), 2);
    assert_int_equal(seen.handoff_calls, 2);
    assert_int_equal(live_objects(h), base + 1);
    rgc_decref(seen.keeper);
    seen.keeper = NULL;
    assert_heap_ok(h);
    rgc_heap_destroy(h);
}

/* A large object (a tuple of 100 items: its own block outside the pools)
 * in an old cycle is found by a full collection. */
static void test_a_large_object_in_an_old_cycle_is_found_by_a_full_collection(void **state)
{
    (void)state;
    rgc_heap_t *h = rgc_heap_new(NULL);
    rgc_gc_disable(h);
    size_t base = live_objects(h);
    void *l = rgc_list_new(h, 0);
    void *t = rgc_tuple_new(h, 100);
    assert_non_null(t);
    assert_true(rgc_sizeof(t) > RGC_SMALL_MAX);
    assert_int_equal(rgc_tuple_set(t, 7, rgc_newref(l)), 0);
    assert_int_equal(rgc_list_append(l, t), 0);
    assert_int_equal(collect(h, 1), 0); /* both held: to generation 2 */
    assert_int_equal(rgc_generation(t), 2);
    assert_int_equal(rgc_generation(l), 2);
    found_t f = {0};
    assert_int_equal(rgc_gc_get_objects(h, 2, remember, &f), 2);
    assert_true(found_has(&f, t));
    rgc_decref(t);
    rgc_decref(l);
    assert_int_equal(collect(h, 1), 0);
    assert_int_equal(collect(h, 2), 2);
    assert_int_equal(live_objects(h), base);
    rgc_heap_stats_t st;
    rgc_heap_stats(h, &st);
    assert_int_equal(st.large_blocks, 0);
    assert_heap_ok(h);
    rgc_heap_destroy(h);
}

/* A walk over every generation stops for good at the first non-zero
 * return, wherever it happens: here in generation 2, before the frozen. */
static void test_get_objects_stops_early_in_an_old_generation(void **state)
{
    (void)state;
    rgc_heap_t *h = rgc_heap_new(NULL);
    rgc_gc_disable(h);
    gnode_t *frozen[3];
    for (int i = 0; i < 3; i++)
        frozen[i] = new_node(h, node_type(), i);
    rgc_gc_freeze(h);
    gnode_t *old[3];
    for (int i = 0; i < 3; i++)
        old[i] = new_node(h, node_type(), 3 + i);
    assert_int_equal(collect(h, 1), 0);
    assert_int_equal(rgc_generation_size(h, 2), 3);
    found_t f = {0};
    assert_int_equal(rgc_gc_get_objects(h, -1, remember, &f), 6);
    memset(&f, 0, sizeof f);
    f.stop_after = 1;
    assert_int_equal(rgc_gc_get_objects(h, -1, remember, &f), 1);
    assert_int_equal(f.n, 1);
    assert_int_equal(rgc_generation(f.items[0]), 2); /* generation 2 comes before 3 */
    memset(&f, 0, sizeof f);
    f.stop_after = 4;
    assert_int_equal(rgc_gc_get_objects(h, -1, remember, &f), 4);
    assert_int_equal(f.n, 4);
    rgc_gc_unfreeze(h);
    for (int i = 0; i < 3; i++) {
        rgc_decref(frozen[i]);
        rgc_decref(old[i]);
    }
    assert_heap_ok(h);
    rgc_heap_destroy(h);
}

/* A long ring and a deep chain hanging off it: no recursion limits. */
static void test_a_ring_of_two_hundred_thousand_nodes_is_collected(void **state)
{
    (void)state;
    rgc_heap_t *h = rgc_heap_new(NULL);
    rgc_gc_disable(h);
    size_t base = live_objects(h);
    enum { RING = 200000, CHAIN = 100000 };
    gnode_t *first = new_node(h, node_type(), 0), *prev = first;
    for (int i = 1; i < RING; i++) {
        gnode_t *n = new_node(h, node_type(), i);
        prev->other = (rgc_object_t *)n;
        prev = n;
    }
    link_to(&prev->other, first);
    gnode_t *head = NULL;
    for (int i = 0; i < CHAIN; i++) {
        gnode_t *n = new_node(h, node_type(), i);
        n->other = (rgc_object_t *)head; /* steals the previous head */
        head = n;
    }
    first->extra = (rgc_object_t *)head; /* steals the chain */
    rgc_decref(first);
    assert_int_equal(live_objects(h), base + RING + CHAIN);
    assert_int_equal(collect(h, 0), RING + CHAIN);
    assert_int_equal(live_objects(h), base);
    assert_heap_ok(h);
    rgc_heap_destroy(h);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_a_new_heap_has_default_thresholds_and_empty_generations),
        cmocka_unit_test(test_two_nodes_in_a_cycle_survive_their_names_until_collected),
        cmocka_unit_test(test_an_object_referring_to_itself_is_collected_alone),
        cmocka_unit_test(test_an_object_without_a_cycle_needs_no_collection),
        cmocka_unit_test(test_two_dicts_holding_each_other_are_collected),
        cmocka_unit_test(test_a_cycle_of_class_instances_is_collected_with_their_dicts),
        cmocka_unit_test(test_finalizers_in_a_cycle_run_once_before_anything_is_cleared),
        cmocka_unit_test(test_a_finalizer_that_resurrects_keeps_its_cycle_alive_and_never_runs_again),
        cmocka_unit_test(test_a_cycle_through_a_legacy_finalizer_is_uncollectable_and_lands_in_garbage),
        cmocka_unit_test(test_clearing_the_garbage_list_by_hand_breaks_nothing),
        cmocka_unit_test(test_objects_reachable_from_an_uncollectable_cycle_are_kept_intact),
        cmocka_unit_test(test_count_zero_follows_tracked_allocations_and_deallocations),
        cmocka_unit_test(test_thresholds_can_be_set_and_read_back),
        cmocka_unit_test(test_exceeding_threshold_zero_runs_exactly_one_young_collection),
        cmocka_unit_test(test_an_automatic_collection_frees_garbage_cycles),
        cmocka_unit_test(test_generation_one_is_collected_after_threshold_one_young_collections),
        cmocka_unit_test(test_survivors_move_up_one_generation_per_collection),
        cmocka_unit_test(test_a_young_collection_ignores_garbage_in_older_generations),
        cmocka_unit_test(test_an_old_object_keeps_a_young_cycle_alive),
        cmocka_unit_test(test_disable_stops_automatic_collection_and_enable_resumes_it),
        cmocka_unit_test(test_threshold_zero_disables_automatic_collection),
        cmocka_unit_test(test_stats_count_collections_collected_and_uncollectable_per_generation),
        cmocka_unit_test(test_frozen_garbage_is_ignored_until_unfrozen),
        cmocka_unit_test(test_freeing_a_frozen_object_updates_the_freeze_count),
        cmocka_unit_test(test_get_objects_lists_each_generation_and_stops_early),
        cmocka_unit_test(test_get_referrers_and_referents_follow_the_graph),
        cmocka_unit_test(test_is_finalized_turns_true_once_the_finalizer_ran),
        cmocka_unit_test(test_callbacks_see_start_and_stop_around_each_collection),
        cmocka_unit_test(test_callbacks_are_removed_by_registration_and_the_list_holds_sixteen),
        cmocka_unit_test(test_saveall_keeps_collected_cycles_in_garbage_instead_of_freeing_them),
        cmocka_unit_test(test_debug_flags_are_kept_and_their_output_does_not_disturb_collection),
        cmocka_unit_test(test_a_collection_started_from_a_finalizer_is_declined),
        cmocka_unit_test(test_a_collection_started_from_a_callback_is_declined),
        cmocka_unit_test(test_a_collection_without_memory_is_declined_and_can_be_retried),
        cmocka_unit_test(test_a_list_containing_itself_is_collected),
        cmocka_unit_test(test_a_tuple_and_a_list_holding_each_other_are_collected),
        cmocka_unit_test(test_a_set_holding_an_instance_that_holds_the_set_is_collected),
        cmocka_unit_test(test_a_ring_through_every_container_type_is_collected),
        cmocka_unit_test(test_a_cycle_through_opaque_objects_is_broken_with_their_clear_hook),
        cmocka_unit_test(test_a_cycle_through_an_object_without_a_clear_hook_is_uncollectable),
        cmocka_unit_test(test_candidates_after_one_reached_late_are_still_examined),
        cmocka_unit_test(test_members_after_the_last_one_reached_survive_with_their_referents),
        cmocka_unit_test(test_a_finalizer_may_allocate_and_resurrect_into_a_new_container),
        cmocka_unit_test(test_a_finalizer_that_breaks_its_own_cycle_leaves_nothing_behind),
        cmocka_unit_test(test_a_finalizer_may_hand_its_object_to_a_live_one),
        cmocka_unit_test(test_a_large_object_in_an_old_cycle_is_found_by_a_full_collection),
        cmocka_unit_test(test_get_objects_stops_early_in_an_old_generation),
        cmocka_unit_test(test_a_ring_of_two_hundred_thousand_nodes_is_collected),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
