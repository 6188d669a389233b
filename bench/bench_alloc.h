/*
 * bench_alloc.h — the one seam between the benchmark programs and the
 * allocator under test.  Each benchmark binary is built from the same source
 * once per allocator, selected at compile time:
 *
 *   -DBENCH_ALLOC_GLIBC     malloc/free of the C library
 *   -DBENCH_ALLOC_JEMALLOC  malloc/free, with -ljemalloc replacing them
 *   -DBENCH_ALLOC_MIMALLOC  mi_malloc/mi_free (malloc itself stays glibc's)
 *   -DBENCH_ALLOC_RGC       rgc_mem_alloc/rgc_mem_free on one rgc heap
 *
 * Separate processes are the robust way to hold the anchors side by side:
 * Debian's jemalloc exports unprefixed malloc, so it cannot share a process
 * with glibc's.  Every entry point is a real call into the allocator, as in
 * an embedder; nothing is inlined across the library boundary.
 */
#ifndef BENCH_ALLOC_H
#define BENCH_ALLOC_H

#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>

#if defined(BENCH_ALLOC_RGC)
#include "rgc.h"
#define BENCH_ALLOC_NAME "rgc"
#elif defined(BENCH_ALLOC_MIMALLOC)
#include <mimalloc.h>
#define BENCH_ALLOC_NAME "mimalloc"
#elif defined(BENCH_ALLOC_JEMALLOC)
#include <jemalloc/jemalloc.h>
#define BENCH_ALLOC_NAME "jemalloc"
#elif defined(BENCH_ALLOC_GLIBC)
#include <gnu/libc-version.h>
#include <malloc.h>
#define BENCH_ALLOC_NAME "glibc"
#else
#error "define one of BENCH_ALLOC_GLIBC, _JEMALLOC, _MIMALLOC, _RGC"
#endif

#if defined(BENCH_ALLOC_RGC)
static rgc_heap_t *bench_heap; /* the one heap every allocation comes from */
#endif

/* Prepares the allocator; exits with a message if it cannot. */
static inline void bench_alloc_init(void)
{
#if defined(BENCH_ALLOC_RGC)
    /* RGC_BENCH_SMALL_PAGES=1 measures the heap without huge pages;
     * RGC_BENCH_KEEP_MIB=N a heap that keeps N MiB of empty memory
     * (keep_unused) instead of giving it back.  Neither is set by
     * bench/run.py: the tables measure the default heap. */
    const char *sp = getenv("RGC_BENCH_SMALL_PAGES");
    const char *keep = getenv("RGC_BENCH_KEEP_MIB");
    rgc_heap_config_t cfg = {.flags = sp && *sp == '1' ? RGC_HEAP_SMALL_PAGES : 0,
                             .keep_unused = keep ? (size_t)strtoull(keep, NULL, 10) << 20 : 0};
    bench_heap = rgc_heap_new(&cfg);
    if (!bench_heap) {
        fprintf(stderr, "bench: rgc_heap_new failed\n");
        exit(2);
    }
#endif
}

/* n bytes; exits on failure so a timing loop never measures an error path. */
static inline void *bench_malloc(size_t n)
{
#if defined(BENCH_ALLOC_RGC)
    void *p = rgc_mem_alloc(bench_heap, n);
#elif defined(BENCH_ALLOC_MIMALLOC)
    void *p = mi_malloc(n);
#else
    void *p = malloc(n);
#endif
    if (__builtin_expect(p == NULL, 0)) {
        fprintf(stderr, "bench: %s could not allocate %zu bytes\n", BENCH_ALLOC_NAME, n);
        exit(2);
    }
    return p;
}

static inline void bench_free(void *p)
{
#if defined(BENCH_ALLOC_RGC)
    rgc_mem_free(bench_heap, p);
#elif defined(BENCH_ALLOC_MIMALLOC)
    mi_free(p);
#else
    free(p);
#endif
}

/* The usable size of the block at p, as the allocator reports it. */
static inline size_t bench_usable_size(void *p)
{
#if defined(BENCH_ALLOC_RGC)
    return rgc_mem_usable_size(bench_heap, p);
#elif defined(BENCH_ALLOC_MIMALLOC)
    return mi_usable_size(p);
#else
    return malloc_usable_size(p);
#endif
}

/*
 * Bytes a block really occupies beyond its usable size.  Only glibc has
 * such a header: the 8-byte size field of its malloc_chunk precedes every
 * block (the usable size already counts the next chunk's prev_size word).
 */
#if defined(BENCH_ALLOC_GLIBC)
#define BENCH_BLOCK_HEADER sizeof(size_t)
#else
#define BENCH_BLOCK_HEADER 0u
#endif

/* A short version string of the allocator, into buf. */
static inline void bench_alloc_version(char *buf, size_t size)
{
#if defined(BENCH_ALLOC_RGC)
    snprintf(buf, size, "%d.%d", RGC_VERSION_MAJOR, RGC_VERSION_MINOR);
#elif defined(BENCH_ALLOC_MIMALLOC)
    int v = mi_version();
    snprintf(buf, size, "%d.%d.%d", v / 100, (v / 10) % 10, v % 10);
#elif defined(BENCH_ALLOC_JEMALLOC)
    const char *v = "?";
    size_t len = sizeof v;
    if (mallctl("version", &v, &len, NULL, 0) != 0)
        v = "?";
    snprintf(buf, size, "%.*s", 40, v);
#else
    snprintf(buf, size, "%s", gnu_get_libc_version());
#endif
}

#endif /* BENCH_ALLOC_H */
