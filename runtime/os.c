/*
 * os.c — the only file that talks to the system about memory.
 *
 * Contract (written once, relied on everywhere): _rgc_os_map returns `size`
 * bytes of zeroed, readable and writable memory aligned to `align` (a power
 * of two, at least the page size), or NULL; _rgc_os_unmap gives back exactly
 * a range _rgc_os_map returned.  The default rgc_sysmem_t seam is built from
 * these plus malloc/free for large blocks; heaps may replace it.
 */
#include "internal.h"

#include <errno.h>
#include <stdlib.h>
#include <sys/mman.h>

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
    static int unsupported;
    if (!unsupported && madvise(p, size, MADV_POPULATE_WRITE) != 0 && errno == EINVAL)
        unsupported = 1;
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

static const rgc_sysmem_t default_sysmem = {
    sys_map, sys_unmap, sys_decommit, sys_alloc, sys_free, NULL, sys_populate,
};

const rgc_sysmem_t *rgc_sysmem_default(void)
{
    return &default_sysmem;
}
