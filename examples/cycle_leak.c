/*
 * cycle_leak.c — two objects that keep each other alive.
 *
 * The Python it mirrors:
 *
 *     class Node:
 *         def __init__(self, name):
 *             self.name = name
 *             self.other = None
 *     a = Node("A"); b = Node("B")
 *     a.other = b; b.other = a      # cycle: a -> b -> a
 *     del a, b                      # each still has a count of 1
 *
 * Reference counting alone can never free them: each count is held by the
 * other.  gc.collect() -- rgc_gc_collect -- finds such islands.  A cycle
 * through a type with a legacy finalizer (a __del__) is uncollectable: it
 * lands in gc.garbage, and breaking one edge by hand is the fix.  The Node
 * type declares its references as data (fields "name" and "other"), which
 * is what lets the collector -- or a debugger -- follow them without any
 * code from us.
 */
#include <stddef.h>
#include <stdio.h>

#include "rgc.h"

typedef struct node {
    RGC_OBJECT_HEAD;
    rgc_object_t *name;  /* a str */
    rgc_object_t *other; /* another Node, or NULL */
} node_t;

static const rgc_ref_field_t node_refs[] = {
    {"name", offsetof(node_t, name)},
    {"other", offsetof(node_t, other)},
};

static const rgc_type_spec_t node_spec = {
    .name = "Node",
    .basic_size = sizeof(node_t),
    .ref_fields = node_refs,
    .n_ref_fields = 2,
};

static rgc_heap_stats_t baseline;

/* Live and tracked objects beyond those the heap held before the demo. */
static void show_heap(const char *when, rgc_heap_t *heap)
{
    rgc_heap_stats_t st;
    if (rgc_heap_stats(heap, &st) < 0)
        return;
    size_t tracked = st.tracked[0] + st.tracked[1] + st.tracked[2];
    size_t tracked0 = baseline.tracked[0] + baseline.tracked[1] + baseline.tracked[2];
    /* the garbage list, once made, is one more live object */
    printf("  %-34s live objects: %zu, tracked by the collector: %zu\n", when,
           st.objects - baseline.objects, tracked - tracked0);
}

static node_t *node_new(rgc_heap_t *heap, rgc_type_t *type, const char *name)
{
    node_t *n = rgc_new(heap, type);
    if (n)
        n->name = rgc_str_from_cstr(heap, name); /* new reference, owned by n */
    return n;
}

int main(void)
{
    rgc_type_t *node_type = rgc_type_register(&node_spec);
    rgc_heap_t *heap = rgc_heap_new(&(rgc_heap_config_t){.name = "cycle-demo"});
    if (!node_type || !heap || rgc_heap_stats(heap, &baseline) < 0)
        return 1;

    node_t *a = node_new(heap, node_type, "A");
    node_t *b = node_new(heap, node_type, "B");
    if (!a || !b || !a->name || !b->name)
        return 1;
    show_heap("a = Node('A'); b = Node('B')", heap);
    printf("  %-34s (2 Nodes of %zu bytes, their names of %zu and %zu bytes)\n", "",
           rgc_sizeof(a), rgc_sizeof(a->name), rgc_sizeof(b->name));

    a->other = rgc_newref(b); /* a.other = b */
    b->other = rgc_newref(a); /* b.other = a */
    printf("  %-34s refcount(a) = %u, refcount(b) = %u\n", "a.other = b; b.other = a",
           rgc_refcount(a), rgc_refcount(b));

    /* Keep the addresses to look at, as a debugger would; we no longer own
     * a reference to either node. */
    node_t *seen_a = a, *seen_b = b;
    rgc_decref(a);
    rgc_decref(b);
    a = b = NULL;
    printf("  %-34s refcount(A) = %u, refcount(B) = %u\n", "del a, b", rgc_refcount(seen_a),
           rgc_refcount(seen_b));
    show_heap("after del a, b", heap);
    printf("  -> unreachable from the program, yet alive: each count is the other's\n"
           "     reference.  Both Nodes sit in generation %d, where the collector\n"
           "     finds the island.\n",
           rgc_generation(seen_a));

    long found = rgc_gc_collect(heap, 2); /* gc.collect() */
    printf("  %-34s found %ld unreachable objects\n", "gc.collect()", found);
    show_heap("after gc.collect()", heap);

    /* The same cycle through a type with a legacy finalizer (a __del__ the
     * collector may not run in a cycle): uncollectable, kept in gc.garbage. */
    rgc_type_spec_t leaky_spec = node_spec;
    leaky_spec.name = "Leaky";
    leaky_spec.flags = RGC_TF_LEGACY_FINALIZER;
    rgc_type_t *leaky = rgc_type_register(&leaky_spec);
    node_t *c = node_new(heap, leaky, "C"), *d = node_new(heap, leaky, "D");
    if (!c || !d)
        return 1;
    c->other = rgc_newref(d);
    d->other = rgc_newref(c);
    rgc_decref(c);
    rgc_decref(d);
    found = rgc_gc_collect(heap, 2);
    printf("  %-34s found %ld, gc.garbage holds %zu: uncollectable\n", "Leaky cycle, gc.collect()", found,
           rgc_list_len(rgc_gc_garbage(heap)));
    /* The fix: break one edge by hand; the whole island then goes by count. */
    rgc_object_t *edge = c->other;
    c->other = NULL;
    rgc_decref(edge);
    rgc_list_clear(rgc_gc_garbage(heap));
    show_heap("c.other = None; gc.garbage.clear()", heap);
    printf("  %-34s (the one left is the gc.garbage list itself)\n", "");

    rgc_check_result_t check;
    printf("  heap check: %s\n", rgc_heap_check(heap, &check) == 0 ? "ok" : check.message);
    rgc_heap_destroy(heap);
    return 0;
}
