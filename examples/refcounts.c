/*
 * refcounts.c — reference counting, step by step.
 *
 * The Python it mirrors:
 *
 *     a = []              # one reference: the name a
 *     b = a               # two
 *     c = [a]             # three: the list c holds one
 *     del b               # two
 *     c.pop()             # one
 *     del a               # zero: the list is freed on the spot
 *
 * Python's sys.getrefcount(a) prints one more than these counts because
 * its own argument is a temporary reference; rgc_refcount takes none.
 * In C every reference is explicit: rgc_incref is "b = a", rgc_decref is
 * "del b", and a function that returns a "new reference" hands one to us.
 */
#include <stdio.h>

#include "rgc.h"

static void show(const char *python, const void *a)
{
    uint32_t n = rgc_refcount(a);
    printf("  %-14s refcount(a) = %u   (sys.getrefcount(a) would print %u)\n", python, n, n + 1);
}

static size_t live_objects(rgc_heap_t *heap)
{
    rgc_heap_stats_t st;
    return rgc_heap_stats(heap, &st) == 0 ? st.objects : 0;
}

/* Prints errors the runtime detects instead of the default stderr line, so
 * the demo's output stays in order. */
static void print_error(void *ctx, rgc_error_t code, const void *address, const char *type_name,
                        const char *message)
{
    (void)ctx;
    printf("  runtime reported %s at %p (%s): %s\n", rgc_strerror(code), address,
           type_name ? type_name : "?", message);
}

int main(void)
{
    rgc_heap_t *heap = rgc_heap_new(NULL);
    if (!heap)
        return 1;
    size_t baseline = live_objects(heap);

    void *a = rgc_list_new(heap, 0); /* new reference: ours, like the name a */
    if (!a)
        return 1;
    show("a = []", a);

    void *b = rgc_newref(a); /* a second owner of the same list */
    show("b = a", a);

    void *c = rgc_list_new(heap, 1);
    if (!c || rgc_list_append(c, a) < 0) /* the list increfs what it stores */
        return 1;
    show("c = [a]", a);

    rgc_decref(b);
    b = NULL;
    show("del b", a);

    /* pop hands us the list's reference; Python drops it at once because
     * nothing names the result, so we do the same. */
    void *popped = rgc_list_pop(c, SIZE_MAX);
    rgc_decref(popped);
    show("c.pop()", a);

    printf("  live objects: %zu (the lists a and c)\n", live_objects(heap) - baseline);
    rgc_decref(a); /* del a: the count reaches zero and the list is freed now */
    printf("  %-14s live objects: %zu -- freed immediately, no collector involved\n", "del a",
           live_objects(heap) - baseline);

    /* Small ints are shared and immortal, as in CPython: counting them
     * would only cost writes to memory every thread shares. */
    void *one = rgc_int_new(heap, 1);
    printf("\n  rgc_int_new(1) returns the cached object %p, immortal: %s (count saturated at %u)\n",
           one, rgc_is_immortal(one) ? "yes" : "no", rgc_refcount(one));
    rgc_decref(one); /* harmless on an immortal */

    /* The classic bug: one decref too many.  The block went back to its
     * pool, so the runtime sees a count of zero and says so instead of
     * corrupting the pool's free list. */
    printf("\n  a bug: decref the freed list a once more\n");
    rgc_set_error_handler(print_error, NULL);
    rgc_decref(a);
    rgc_set_error_handler(NULL, NULL);

    rgc_decref(c);
    rgc_heap_destroy(heap);
    return 0;
}
