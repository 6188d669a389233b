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
 * other.  CPython's gc.collect() finds such islands; rgc's cycle collector
 * is not part of this build yet, so here the cycle stays until it is broken
 * by hand.  The Node type declares its references as data (fields "name"
 * and "other"), which is what lets a collector -- or a debugger -- follow
 * them without any code from us.
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
    printf("  %-34s live objects: %zu, tracked by the collector: %zu\n", when,
           st.objects - baseline.objects, st.tracked[0] - baseline.tracked[0]);
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
           "     reference.  Both Nodes sit in generation %d, where a cycle collector\n"
           "     will find the island and free it; until then it leaks.\n",
           rgc_generation(seen_a));

    /* The fix without a collector: break one edge of the cycle.  Dropping
     * A's reference to B frees B, whose teardown drops its reference to A,
     * which frees A -- the whole island goes in one decref. */
    rgc_object_t *edge = seen_a->other;
    seen_a->other = NULL; /* a.other = None */
    rgc_decref(edge);
    show_heap("after a.other = None", heap);

    rgc_check_result_t check;
    printf("  heap check: %s\n", rgc_heap_check(heap, &check) == 0 ? "ok" : check.message);
    rgc_heap_destroy(heap);
    return 0;
}
