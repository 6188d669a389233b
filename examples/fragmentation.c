/*
 * fragmentation.c — why a process does not give memory back after freeing
 * most of its objects, and when it does.
 *
 * The question behind it ("I deleted 90% of my objects, why is RSS still
 * high?"): memory goes back to the system a whole pool or arena at a time.
 * A pool (16 KiB) is released only when every block in it is free, and an
 * arena (1 MiB) only when every pool in it is.  One survivor per pool pins
 * the pool; so which objects survive matters far more than how many.
 *
 * Both runs below free the same 90% of a million small objects: first
 * chosen at random, then the oldest 90% in allocation order.
 */
#define _POSIX_C_SOURCE 200809L /* sysconf */

#include <stdio.h>
#include <stdlib.h>
#include <unistd.h>

#include "rgc.h"

#define COUNT 1000000
#define KEEP_PERCENT 10

/* Resident set size of this process, from /proc/self/statm (in pages). */
static double rss_mib(void)
{
    unsigned long size = 0, resident = 0;
    FILE *f = fopen("/proc/self/statm", "r");
    if (!f)
        return -1.0;
    if (fscanf(f, "%lu %lu", &size, &resident) != 2)
        resident = 0;
    fclose(f);
    return (double)resident * (double)sysconf(_SC_PAGESIZE) / (1 << 20);
}

static void summary(const char *when, rgc_heap_t *heap)
{
    rgc_heap_stats_t st;
    rgc_heap_stats(heap, &st);
    printf("  %-20s %7zu objects, %4.1f MiB in use, %2zu arenas mapped (%2zu freed), "
           "RSS %4.1f MiB\n", when, st.objects, (double)st.bytes_in_use / (1 << 20), st.arenas,
           st.arenas_freed, rss_mib());
}

/* xorshift64: a fixed sequence, so every run frees the same objects. */
static uint64_t next_random(uint64_t *state)
{
    uint64_t x = *state;
    x ^= x << 13;
    x ^= x >> 7;
    x ^= x << 17;
    return *state = x;
}

/* Fills objs with COUNT ints of values outside the small-int cache, so
 * each is a block of its own. */
static rgc_heap_t *fill(const char *name, void **objs)
{
    rgc_heap_t *heap = rgc_heap_new(&(rgc_heap_config_t){.name = name});
    if (!heap)
        return NULL;
    for (size_t i = 0; i < COUNT; i++)
        if (!(objs[i] = rgc_int_new(heap, 1000 + (int64_t)i)))
            return NULL;
    return heap;
}

int main(void)
{
    void **objs = malloc(COUNT * sizeof *objs); /* touched below: part of the baseline */
    if (!objs)
        return 1;
    for (size_t i = 0; i < COUNT; i++)
        objs[i] = NULL;
    printf("  baseline RSS %.1f MiB (includes the %.1f MiB pointer table this program keeps)\n\n",
           rss_mib(), (double)(COUNT * sizeof *objs) / (1 << 20));

    /* 1. Free 90% at random. */
    rgc_heap_t *heap = fill("random", objs);
    if (!heap)
        return 1;
    summary("1M ints allocated", heap);
    uint64_t seed = 0x9E3779B97F4A7C15ull;
    for (size_t i = 0; i < COUNT; i++) {
        if (next_random(&seed) % 100 >= KEEP_PERCENT) {
            rgc_decref(objs[i]);
            objs[i] = NULL;
        }
    }
    summary("90% freed at random", heap);
    printf("\n");
    rgc_heap_print_stats(heap, stdout);
    printf("\n  -> about %d of every 100 blocks survive in every pool, so no pool is ever\n"
           "     empty: each arena stays mapped and resident, mostly holding free blocks.\n\n",
           KEEP_PERCENT);
    for (size_t i = 0; i < COUNT; i++)
        rgc_xdecref(objs[i]);
    summary("all freed", heap);
    rgc_heap_destroy(heap);
    printf("  heap destroyed: RSS %.1f MiB\n\n", rss_mib());

    /* 2. The same amount, freed in allocation order: the oldest 90%, as a
     * cache evicts or a finished batch job drops its work. */
    heap = fill("in-order", objs);
    if (!heap)
        return 1;
    summary("1M ints allocated", heap);
    size_t drop = COUNT / 100 * (100 - KEEP_PERCENT);
    for (size_t i = 0; i < drop; i++) {
        rgc_decref(objs[i]);
        objs[i] = NULL;
    }
    summary("oldest 90% freed", heap);
    printf("\n  -> the survivors share a few arenas; the emptied arenas went back to the\n"
           "     system (one is kept as a spare for the next allocation burst).\n");

    for (size_t i = drop; i < COUNT; i++)
        rgc_decref(objs[i]);
    rgc_heap_destroy(heap);
    free(objs);
    return 0;
}
