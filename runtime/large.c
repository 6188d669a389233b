/*
 * large.c — blocks larger than RGC_SMALL_MAX: memory from the heap's byte
 * allocator behind a 48-byte header that links the block into its heap's
 * list (so a tool sees every live allocation), and a pointer set per heap
 * that answers "is this one of our large blocks?" without touching freed
 * memory.
 */
#include "internal.h"

/* ---- large blocks: recorded in a list (for tools) and a pointer set (for
 * exact ownership checks that never touch freed memory) */

static size_t ptr_hash(const void *p, size_t mask)
{
    uint64_t x = (uint64_t)(uintptr_t)p >> 4;
    x *= 0x9E3779B97F4A7C15ull;
    return (size_t)(x >> 20) & mask;
}

#define TOMBSTONE ((void *)1)

static int large_set_grow(rgc_heap_t *h)
{
    size_t ncap = h->large_set.cap ? h->large_set.cap * 2 : 64;
    while (ncap / 2 < h->large_set.len + 1)
        ncap *= 2;
    void **slots = h->sysmem.alloc(h->sysmem.ctx, ncap * sizeof(void *));
    if (!slots)
        return -1;
    memset(slots, 0, ncap * sizeof(void *));
    for (size_t i = 0; i < h->large_set.cap; i++) {
        void *q = h->large_set.slots[i];
        if (q && q != TOMBSTONE) {
            size_t j = ptr_hash(q, ncap - 1);
            while (slots[j])
                j = (j + 1) & (ncap - 1);
            slots[j] = q;
        }
    }
    if (h->large_set.slots)
        h->sysmem.free(h->sysmem.ctx, h->large_set.slots, h->large_set.cap * sizeof(void *));
    h->large_set.slots = slots;
    h->large_set.cap = ncap;
    h->large_set.used = h->large_set.len;
    return 0;
}

static void **large_set_find(const rgc_heap_t *h, const void *p)
{
    if (!h->large_set.cap)
        return NULL;
    size_t mask = h->large_set.cap - 1;
    for (size_t j = ptr_hash(p, mask), n = 0; n < h->large_set.cap; j = (j + 1) & mask, n++) {
        void *q = h->large_set.slots[j];
        if (q == p)
            return &h->large_set.slots[j];
        if (!q)
            return NULL;
    }
    return NULL;
}

/* True if p is the start of a live large block of h. */
int _rgc_large_owned(const rgc_heap_t *h, const void *p)
{
    return large_set_find(h, p) != NULL;
}

void *_rgc_large_alloc(rgc_heap_t *h, int kind, size_t n)
{
    size_t total = RGC_LARGE_HDR + n + ((h->flags & RGC_HEAP_FILL) ? RGC_ALIGN : 0);
    if (total < n) {
        _rgc_report(RGC_ENOMEM, h, NULL, "request of %zu bytes overflows", n);
        return NULL;
    }
    if ((h->large_set.used + 1) * 2 > h->large_set.cap && large_set_grow(h) < 0) {
        _rgc_report(RGC_ENOMEM, h, NULL, "could not grow the large-block set of heap '%s'", h->name);
        return NULL;
    }
    rgc_large_t *l = h->sysmem.alloc(h->sysmem.ctx, total);
    if (!l) {
        _rgc_report(RGC_ENOMEM, h, NULL, "could not allocate a large block of %zu bytes", n);
        return NULL;
    }
    l->magic = RGC_LARGE_MAGIC ^ (uintptr_t)l;
    l->heap = h;
    l->size = n;
    l->kind = (uint32_t)kind;
    l->reserved = 0;
    l->next = h->large.next;
    l->prev = &h->large;
    l->next->prev = l;
    h->large.next = l;
    h->nlarge++;
    h->large_bytes += n;
    void *p = l + 1;
    size_t j = ptr_hash(p, h->large_set.cap - 1);
    while (h->large_set.slots[j] && h->large_set.slots[j] != TOMBSTONE)
        j = (j + 1) & (h->large_set.cap - 1);
    if (!h->large_set.slots[j])
        h->large_set.used++;
    h->large_set.slots[j] = p;
    h->large_set.len++;
    if (h->flags & RGC_HEAP_FILL) {
        memset(p, RGC_FILL_FRESH, n);
        memset((char *)p + n, RGC_FILL_GUARD, RGC_ALIGN);
    }
    return p;
}

rgc_large_t *_rgc_large_of(const void *p)
{
    return (rgc_large_t *)p - 1;
}

/* Frees a large block already known to be live in h. */
void _rgc_large_free(rgc_heap_t *h, rgc_large_t *l)
{
    void *p = l + 1;
    void **slot = large_set_find(h, p);
    if (slot) {
        *slot = TOMBSTONE;
        h->large_set.len--;
    }
    size_t total = RGC_LARGE_HDR + l->size + ((h->flags & RGC_HEAP_FILL) ? RGC_ALIGN : 0);
    if (h->flags & RGC_HEAP_FILL) {
        const uint8_t *g = (const uint8_t *)p + l->size;
        for (unsigned i = 0; i < RGC_ALIGN; i++)
            if (g[i] != RGC_FILL_GUARD) {
                _rgc_report(RGC_ECORRUPT, g + i, NULL,
                            "write past the end of a %zu-byte block at %p", l->size, p);
                break;
            }
    }
    l->prev->next = l->next;
    l->next->prev = l->prev;
    l->magic = 0;
    h->nlarge--;
    h->large_bytes -= l->size;
    h->sysmem.free(h->sysmem.ctx, l, total);
}
