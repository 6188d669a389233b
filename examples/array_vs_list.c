/*
 * array_vs_list.c — a million numbers, boxed or unboxed.
 *
 * The Python it mirrors:
 *
 *     list_nums = list(range(1000000))          # a million int objects
 *     array_nums = array('i', range(1000000))   # a million int32s
 *     sys.getsizeof(list_nums), sys.getsizeof(array_nums)
 *
 * sys.getsizeof(list) counts the list and its pointer array, not the int
 * objects the pointers lead to, so it understates the list by far.  The
 * heap's own statistics count every block, which is the honest number.
 */
#include <stdio.h>

#include "rgc.h"

#define COUNT 1000000

static rgc_heap_stats_t stats(rgc_heap_t *heap)
{
    rgc_heap_stats_t st = {0};
    rgc_heap_stats(heap, &st);
    return st;
}

static double mib(size_t bytes)
{
    return (double)bytes / (1 << 20);
}

int main(void)
{
    /* One heap per structure, so each heap's totals are that structure. */
    rgc_heap_t *lheap = rgc_heap_new(&(rgc_heap_config_t){.name = "list"});
    rgc_heap_t *aheap = rgc_heap_new(&(rgc_heap_config_t){.name = "array"});
    if (!lheap || !aheap)
        return 1;
    rgc_heap_stats_t l0 = stats(lheap), a0 = stats(aheap);

    void *list = rgc_list_new(lheap, 0);
    if (!list)
        return 1;
    for (int64_t i = 0; i < COUNT; i++) {
        void *n = rgc_int_new(lheap, i);
        if (!n || rgc_list_append(list, n) < 0) /* append increfs... */
            return 1;
        rgc_decref(n); /* ...so the list is the int's only owner */
    }

    void *array = rgc_array_new(aheap, RGC_ARRAY_I32, 0);
    if (!array)
        return 1;
    for (int64_t i = 0; i < COUNT; i++)
        if (rgc_array_append_int(array, i) < 0)
            return 1;

    rgc_heap_stats_t l1 = stats(lheap), a1 = stats(aheap);
    size_t list_total = l1.bytes_in_use - l0.bytes_in_use;
    size_t array_total = a1.bytes_in_use - a0.bytes_in_use;

    printf("  %d numbers 0..%d\n\n", COUNT, COUNT - 1);
    printf("  %-22s %14s %14s %10s\n", "", "rgc_sizeof", "heap in use", "objects");
    printf("  %-22s %8.2f MiB %10.2f MiB %10zu\n", "list of int objects", mib(rgc_sizeof(list)),
           mib(list_total), l1.objects - l0.objects);
    printf("  %-22s %8.2f MiB %10.2f MiB %10zu\n", "array of int32", mib(rgc_sizeof(array)),
           mib(array_total), a1.objects - a0.objects);
    printf("\n  rgc_sizeof(list) is what sys.getsizeof says: the list and its pointers.\n"
           "  The %zu int objects add %.2f MiB more (%zu bytes each, of which 8 are the value).\n",
           l1.objects - l0.objects - 1, mib(list_total - rgc_sizeof(list)),
           rgc_sizeof(rgc_list_get(list, COUNT - 1)));
    printf("  The array stores %zu bytes per number and nothing else: %.1fx smaller.\n",
           rgc_array_itemsize(array), (double)list_total / (double)array_total);
    printf("  Arenas mapped: list heap %zu (+%.1f MiB of large blocks), array heap %zu "
           "(+%.1f MiB)\n", l1.arenas, mib(l1.large_bytes), a1.arenas, mib(a1.large_bytes));

    rgc_decref(list); /* frees a million ints in one call */
    rgc_decref(array);
    printf("  after decref of both: %zu objects live in the list heap (the cached small ints,\n"
           "  immortal by design), %zu in the array heap\n",
           stats(lheap).objects - l0.objects, stats(aheap).objects - a0.objects);
    rgc_heap_destroy(lheap);
    rgc_heap_destroy(aheap);
    return 0;
}
