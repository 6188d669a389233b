/*
 * weak_cache.c — a cache that does not keep its values alive, and the
 * collector's generations at work.
 *
 * The Python it mirrors:
 *
 *     class ExpensiveObject:
 *         def __init__(self, value): self.value = value
 *     obj = ExpensiveObject(42)
 *     r = weakref.ref(obj)
 *     r() is obj; r().value == 42
 *     del obj
 *     r() is None
 *
 *     cache = weakref.WeakValueDictionary()
 *     def expensive_computation(key):
 *         result = ExpensiveObject(key * 1000)
 *         cache[key] = result
 *         return result
 *
 *     gc.get_threshold()  # (700, 10, 10)
 *     gc.get_count()
 */
#include <stdio.h>

#include <rgc.h>

static rgc_heap_t *heap;
static rgc_type_t *expensive;

/* ExpensiveObject(value): an instance of a class, attributes in a dict. */
static void *expensive_new(int64_t value)
{
    void *o = rgc_instance_new(heap, expensive);
    void *v = rgc_int_new(heap, value);
    if (!o || !v || rgc_attr_set(o, "value", v) < 0)
        return NULL;
    rgc_decref(v);
    return o;
}

static void *expensive_computation(void *cache, int64_t key)
{
    void *result = expensive_new(key * 1000);
    void *k = rgc_int_new(heap, key);
    if (!result || !k || rgc_weakvaluedict_set(cache, k, result) < 0)
        return NULL;
    rgc_decref(k);
    return result;
}

static void on_death(void *weakref, void *ctx)
{
    (void)weakref;
    (void)ctx;
    printf("  %-36s (a weakref callback ran: its referent died)\n", "");
}

int main(void)
{
    heap = rgc_heap_new(&(rgc_heap_config_t){.name = "weak-demo"});
    expensive = rgc_class_register("ExpensiveObject");
    if (!heap || !expensive)
        return 1;

    void *obj = expensive_new(42);
    void *r = obj ? rgc_weakref_new(obj, on_death, NULL) : NULL;
    if (!r)
        return 1;
    printf("  %-36s r() is obj: %s, r().value = %lld, weakrefs to obj: %zu\n", "obj = ExpensiveObject(42)",
           rgc_weakref_peek(r) == obj ? "True" : "False",
           (long long)rgc_int_value(rgc_attr_get(rgc_weakref_peek(r), "value")), rgc_weakref_count(obj));
    rgc_decref(obj); /* del obj */
    printf("  %-36s r() is None: %s\n", "del obj", rgc_weakref_peek(r) == NULL ? "True" : "False");
    rgc_decref(r);

    void *cache = rgc_weakvaluedict_new(heap);
    if (!cache)
        return 1;
    void *kept = expensive_computation(cache, 1);
    void *dropped = expensive_computation(cache, 2);
    if (!kept || !dropped)
        return 1;
    printf("  %-36s len(cache) = %zu\n", "cache 1 and 2", rgc_weakvaluedict_len(cache));
    rgc_decref(dropped); /* nobody but the cache refers to it: it goes */
    printf("  %-36s len(cache) = %zu (the entry left with its value)\n", "drop the result for 2",
           rgc_weakvaluedict_len(cache));

    size_t t[3], c[3];
    rgc_gc_get_threshold(heap, t);
    rgc_gc_get_count(heap, c);
    printf("  %-36s (%zu, %zu, %zu)\n", "gc.get_threshold()", t[0], t[1], t[2]);
    printf("  %-36s (%zu, %zu, %zu)\n", "gc.get_count()", c[0], c[1], c[2]);
    for (int i = 0; i < 2000; i++) { /* 2000 short-lived instances */
        void *tmp = expensive_new(i);
        rgc_xdecref(tmp);
    }
    void *survivors = rgc_list_new(heap, 0);
    for (int i = 0; survivors && i < 1500; i++) { /* 1500 that stay */
        void *keep = expensive_new(i);
        rgc_list_append(survivors, keep);
        rgc_xdecref(keep);
    }
    rgc_gc_gen_stats_t st[3];
    rgc_gc_get_stats(heap, st);
    rgc_gc_get_count(heap, c);
    printf("  %-36s %zu collections of generation 0, %zu of 1, %zu of 2\n", "3500 allocations later",
           st[0].collections, st[1].collections, st[2].collections);
    printf("  %-36s tracked: %zu young, %zu in generation 1, %zu in generation 2\n", "",
           rgc_generation_size(heap, 0), rgc_generation_size(heap, 1), rgc_generation_size(heap, 2));
    printf("  %-36s the list of survivors is in generation %d\n", "", rgc_generation(survivors));

    rgc_xdecref(survivors);
    rgc_decref(kept);
    rgc_decref(cache);
    rgc_check_result_t check;
    printf("  heap check: %s\n", rgc_heap_check(heap, &check) == 0 ? "ok" : check.message);
    rgc_heap_destroy(heap);
    return 0;
}
