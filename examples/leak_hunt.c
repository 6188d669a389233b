/*
 * leak_hunt.c — a service whose memory grows, read from outside.
 *
 * The Python it mirrors:
 *
 *     import tracemalloc
 *     tracemalloc.start()
 *     _cache = {}
 *     def handle(request_id):
 *         body = b"x" * 200                 # per-request scratch, freed
 *         key = f"req-{request_id}"
 *         _cache[key] = (request_id,) * 8   # "memoized": never evicted
 *     for i in range(20000):
 *         handle(i)
 *     snapshot = tracemalloc.take_snapshot()
 *     for stat in snapshot.statistics("lineno")[:3]:
 *         print(stat)
 *
 * Here the allocations go through RGC_NEW_VAR / RGC_MEM_ALLOC, which record
 * the file, line and function of each call while the heap traces; the heap
 * also records its last events.  The program prints what the runtime itself
 * reports, then stops (SIGSTOP): `make demo` reads it from outside with the
 * reference reader (`python3 -m rgc --pid PID`, PYTHONPATH=plugins), which
 * finds the same sites in the process's memory alone — no debugger, no
 * symbols needed — and lets it go on.
 */
#define _GNU_SOURCE
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <unistd.h>

#include "rgc.h"

static rgc_heap_t *heap;
static void *cache; /* dict: "req-N" -> tuple, never evicted: the leak */

static void handle(int64_t request_id)
{
    /* Per-request scratch, freed at the end of the request. */
    char *body = RGC_MEM_ALLOC(heap, 200);
    memset(body, 'x', 200);

    char name[32];
    snprintf(name, sizeof name, "req-%lld", (long long)request_id);
    void *key = rgc_str_from_cstr(heap, name);
    void *value = RGC_NEW_VAR(heap, rgc_tuple_type(), 8);
    void *n = rgc_int_new(heap, request_id);
    for (size_t i = 0; i < 8; i++)
        rgc_tuple_set(value, i, rgc_newref(n)); /* steals the new reference */
    rgc_decref(n);
    rgc_dict_set(cache, key, value); /* the cache keeps both */
    rgc_decref(key);
    rgc_decref(value);

    rgc_mem_free(heap, body);
}

int main(void)
{
    /* Let a reader that is not our parent read us under Yama's
     * ptrace_scope 1 (make demo runs it beside us). */
    prctl(PR_SET_PTRACER, PR_SET_PTRACER_ANY, 0, 0, 0);

    heap = rgc_heap_new(&(rgc_heap_config_t){.name = "service"});
    if (!heap)
        return 1;
    rgc_trace_start(heap, 1, 0); /* tracemalloc.start() */
    rgc_recorder_start(heap, 256);
    cache = rgc_dict_new(heap);
    if (!cache)
        return 1;

    for (int64_t i = 0; i < 20000; i++)
        handle(i);

    /* What the runtime says about itself: the top sites. */
    size_t current, peak;
    rgc_trace_get_traced_memory(heap, &current, &peak);
    printf("traced memory: %zu bytes now, %zu at most\n", current, peak);
    rgc_trace_snapshot_t *snap = rgc_trace_take_snapshot(heap);
    rgc_trace_stat_t *stats;
    long n = rgc_trace_statistics(snap, RGC_TRACE_BY_SITE, &stats);
    printf("top allocation sites (by size):\n");
    for (long i = 0; i < n && i < 4; i++) {
        if (stats[i].site)
            printf("  %s:%u (%s): %zu bytes in %zu blocks\n", stats[i].site->file, stats[i].site->line,
                   stats[i].site->function, stats[i].size, stats[i].count);
        else
            printf("  %p (no site): %zu bytes in %zu blocks\n", stats[i].frames ? stats[i].frames[0] : NULL,
                   stats[i].size, stats[i].count);
    }
    free(stats);
    rgc_trace_snapshot_free(snap);

    printf("stopping (pid %ld): read me from outside\n", (long)getpid());
    fflush(stdout);
    raise(SIGSTOP);

    rgc_decref(cache);
    rgc_heap_destroy(heap);
    return 0;
}
