/*
 * os.c — the only file that talks to the system about memory.
 *
 * Contract (written once, relied on everywhere): _rgc_os_map returns `size`
 * bytes of zeroed, readable and writable memory aligned to `align` (a power
 * of two, at least the page size), or NULL; _rgc_os_unmap gives back exactly
 * a range _rgc_os_map returned.  The default rgc_sysmem_t seam is built from
 * these plus malloc/free for large blocks (their own huge-page mapping from
 * 4 MiB up); heaps may replace it.
 *
 * Arenas on huge pages.  Arenas are 1 MiB and a huge page is 2 MiB, so the
 * default seam maps arenas two at a time: one 2 MiB-aligned region advised
 * for transparent huge pages, whose first half is handed out at once and
 * whose second half waits (process-wide, one at a time) for the next arena
 * any heap asks for.  On a virtual machine a 4 KiB page fault costs about
 * 1.5 us and a TLB miss a two-level page walk; a 2 MiB page cuts both.
 * Giving an arena back unmaps its half (the kernel splits the huge page);
 * the last half of a region takes the waiting half with it.  A pool
 * decommitted inside a region also marks the region "no huge pages" (once),
 * so the kernel's background collapsing cannot make purged pools resident
 * again.  A pool about to be used is populated in one call only where its
 * region is on small pages.  rgc_sysmem_small_pages() is the same seam
 * without any of this.
 */
#include "internal.h"

#include <errno.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>

#define HUGE_SIZE ((size_t)2 << 20)

void *_rgc_os_map(size_t size, size_t align)
{
    if (size == 0 || (align & (align - 1)) != 0)
        return NULL;
    size_t span = size + (align > 4096 ? align : 0);
    if (span < size)
        return NULL;
    char *p = mmap(NULL, span, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
    if (p == MAP_FAILED)
        return NULL;
    if (align <= 4096)
        return p;
    /* Over-map by `align`, then trim the unaligned head and the tail. */
    uintptr_t start = ((uintptr_t)p + align - 1) & ~(uintptr_t)(align - 1);
    size_t head = start - (uintptr_t)p;
    size_t tail = span - head - size;
    if (head)
        munmap(p, head);
    if (tail)
        munmap((char *)start + size, tail);
    return (void *)start;
}

void _rgc_os_unmap(void *p, size_t size)
{
    if (p)
        munmap(p, size);
}

/* Reserves address space that is committed page by page on first touch
 * and left out of core dumps. */
void *_rgc_os_reserve(size_t size)
{
    void *p = mmap(NULL, size, PROT_READ | PROT_WRITE,
                   MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE, -1, 0);
    if (p == MAP_FAILED)
        return NULL;
    madvise(p, size, MADV_DONTDUMP); /* runtime-only: keep cores small */
    return p;
}

static void *sys_map(void *ctx, size_t size, size_t align)
{
    (void)ctx;
    return _rgc_os_map(size, align);
}

static void sys_unmap(void *ctx, void *p, size_t size)
{
    (void)ctx;
    _rgc_os_unmap(p, size);
}

static void sys_decommit(void *ctx, void *p, size_t size)
{
    (void)ctx;
    madvise(p, size, MADV_DONTNEED);
}

#ifndef MADV_POPULATE_WRITE
#define MADV_POPULATE_WRITE 23 /* Linux 5.14 */
#endif

static void sys_populate(void *ctx, void *p, size_t size)
{
    (void)ctx;
    /* Older kernels answer EINVAL: then the pages fault in on first touch,
     * as they would have anyway, and later calls are skipped. */
    static int unsupported; /* heaps on other threads read it too */
    if (!__atomic_load_n(&unsupported, __ATOMIC_RELAXED) &&
        madvise(p, size, MADV_POPULATE_WRITE) != 0 && errno == EINVAL)
        __atomic_store_n(&unsupported, 1, __ATOMIC_RELAXED);
}

/* ---- arenas in pairs on huge pages */

static pthread_mutex_t half_lock = PTHREAD_MUTEX_INITIALIZER;
static char *half_waiting; /* the unused second half of the newest region */

/* One bit per 2 MiB region of the 47-bit address space (8 MiB reserved,
 * committed as used): set once the region is on small pages — advised
 * "no huge pages" after a decommit, or refused huge pages — so that the
 * advice is given once, and so that only such regions are populated pool
 * by pool (a huge page is backed whole by its first touch). */
#define REGION_BITS ((uintptr_t)1 << (47 - 21))
static uint64_t *small_regions;
static int thp_usable; /* the system gives huge pages to regions that ask */
static pthread_once_t regions_once = PTHREAD_ONCE_INIT;

static void regions_init(void)
{
    small_regions = _rgc_os_reserve(REGION_BITS / 8);
    FILE *f = fopen("/sys/kernel/mm/transparent_hugepage/enabled", "r");
    if (f) {
        char line[128] = "";
        if (fgets(line, sizeof line, f))
            thp_usable = strstr(line, "[always]") != NULL || strstr(line, "[madvise]") != NULL;
        fclose(f);
    }
}

static void region_mark(const void *p, int small)
{
    uintptr_t r = (uintptr_t)p >> 21;
    if (!small_regions || r >= REGION_BITS)
        return;
    uint64_t bit = (uint64_t)1 << (r & 63);
    if (small)
        __atomic_fetch_or(&small_regions[r >> 6], bit, __ATOMIC_RELAXED);
    else
        __atomic_fetch_and(&small_regions[r >> 6], ~bit, __ATOMIC_RELAXED);
}

/* 1 if p's region is marked small, 0 if not, -1 if there is no map. */
static int region_bit(const void *p)
{
    uintptr_t r = (uintptr_t)p >> 21;
    if (!small_regions || r >= REGION_BITS)
        return -1;
    return (int)((__atomic_load_n(&small_regions[r >> 6], __ATOMIC_RELAXED) >> (r & 63)) & 1);
}

static void *huge_map(void *ctx, size_t size, size_t align)
{
    (void)ctx;
    if (size != RGC_ARENA_SIZE || align != RGC_ARENA_SIZE)
        return _rgc_os_map(size, align);
    pthread_mutex_lock(&half_lock);
    char *p = half_waiting;
    if (p) {
        half_waiting = NULL;
    } else if ((p = _rgc_os_map(HUGE_SIZE, HUGE_SIZE)) != NULL) {
        pthread_once(&regions_once, regions_init);
        /* A hint: refused without THP, and then the region is small. */
        region_mark(p, madvise(p, HUGE_SIZE, MADV_HUGEPAGE) != 0);
        half_waiting = p + RGC_ARENA_SIZE;
    }
    pthread_mutex_unlock(&half_lock);
    return p;
}

static void huge_unmap(void *ctx, void *p, size_t size)
{
    (void)ctx;
    if (!p)
        return;
    if (size == RGC_ARENA_SIZE) {
        /* The other half of p's region: if it is the one waiting, it goes
         * too, rather than holding a resident half nobody will get. */
        char *other = (char *)((uintptr_t)p ^ RGC_ARENA_SIZE);
        pthread_mutex_lock(&half_lock);
        if (half_waiting == other) {
            half_waiting = NULL;
            pthread_mutex_unlock(&half_lock);
            munmap((char *)((uintptr_t)p & ~(uintptr_t)(HUGE_SIZE - 1)), HUGE_SIZE);
            return;
        }
        pthread_mutex_unlock(&half_lock);
    }
    munmap(p, size);
}

static void huge_decommit(void *ctx, void *p, size_t size)
{
    (void)ctx;
    madvise(p, size, MADV_DONTNEED);
    /* Keep the kernel from collapsing the region back into a huge page,
     * which would make the purged pools resident again. */
    if (thp_usable && region_bit(p) != 1) {
        char *region = (char *)((uintptr_t)p & ~(uintptr_t)(HUGE_SIZE - 1));
        madvise(region, HUGE_SIZE, MADV_NOHUGEPAGE);
        region_mark(p, 1);
        /* The huge page is split now, but what it backed stays resident:
         * the waiting half, if it is this region's, goes back at once
         * (arena_new writes its header; its pools count as not backed).
         * The rest of each arena's header pool is the arena's own
         * business (pages.c, arena_purge). */
        pthread_mutex_lock(&half_lock);
        if (half_waiting == region + RGC_ARENA_SIZE)
            madvise(half_waiting, RGC_ARENA_SIZE, MADV_DONTNEED);
        pthread_mutex_unlock(&half_lock);
    }
}

/* Backs a pool about to be used, unless its region is on a huge page,
 * which its first touch backs whole. */
static void huge_populate(void *ctx, void *p, size_t size)
{
    if (!thp_usable || region_bit(p) != 0)
        sys_populate(ctx, p, size);
}

static void *sys_alloc(void *ctx, size_t size)
{
    (void)ctx;
    return malloc(size);
}

static void sys_free(void *ctx, void *p, size_t size)
{
    (void)ctx;
    (void)size;
    free(p);
}

/* Blocks of 4 MiB and more (a big heap's generation arrays, large dict
 * tables) get a mapping of their own on huge pages, 2 MiB aligned: a
 * random access into them then costs no TLB miss.  Only the 2 MiB pages
 * actually touched become resident. */
#define HUGE_BLOCK_MIN (2 * HUGE_SIZE)

static size_t page_round(size_t size)
{
    return (size + 4095) & ~(size_t)4095;
}

static void *huge_alloc(void *ctx, size_t size)
{
    if (size < HUGE_BLOCK_MIN)
        return sys_alloc(ctx, size);
    void *p = _rgc_os_map(page_round(size), HUGE_SIZE);
    if (p)
        madvise(p, page_round(size), MADV_HUGEPAGE);
    return p;
}

static void huge_free(void *ctx, void *p, size_t size)
{
    if (size < HUGE_BLOCK_MIN)
        sys_free(ctx, p, size);
    else if (p)
        _rgc_os_unmap(p, page_round(size));
}

static const rgc_sysmem_t default_sysmem = {
    huge_map, huge_unmap, huge_decommit, huge_alloc, huge_free, NULL, huge_populate,
};

static const rgc_sysmem_t small_pages_sysmem = {
    sys_map, sys_unmap, sys_decommit, sys_alloc, sys_free, NULL, sys_populate,
};

const rgc_sysmem_t *rgc_sysmem_default(void)
{
    return &default_sysmem;
}

const rgc_sysmem_t *rgc_sysmem_small_pages(void)
{
    return &small_pages_sysmem;
}
