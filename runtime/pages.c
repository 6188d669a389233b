/*
 * pages.c — giving memory back while arenas stay mapped: empty pools past
 * their budget (the purge), free pages of pools in use, rgc_heap_trim.
 *
 * Owns: the empty-pool budget, pool holes (the `holes` bits of a pool
 * descriptor), rgc_heap_trim.  Arenas themselves are mapped and unmapped
 * by alloc.c.
 *
 * Empty pools.  An empty pool stays committed, so that allocating again
 * costs no page faults, up to a budget that grows with the pools in use;
 * past twice the budget the purge decommits the empty pools of the
 * emptiest arenas, a run of neighbours per call, down to the budget.
 *
 * Pages of pools in use.  A pool that still holds a few live blocks keeps
 * its 16 KiB resident although most of it may be free: after a program
 * frees most of what it allocated in order, the pools at the edges of
 * what survives are such pools.  A 4 KiB page of a pool whose every block
 * (every block that touches it, for blocks that straddle two pages) is
 * free can go back to the system while the pool stays in use.  Its bit in
 * `holes` says so.
 *
 * In a list pool the blocks touching a hole are taken off the free list
 * (their links would read as zero); they come back when the free list runs
 * dry (_rgc_pool_unhole), the pages being backed again as they are written.
 * A list pool with holes has RGC_PF_HOLES, so its frees take the slow path,
 * which rejects a block in a hole as a second free without reading it.  In
 * a bitmap pool nothing changes but the bits: its free blocks are never
 * read, and an allocation in a hole clears the hole's bit.
 *
 * When: the purge, while the heap sheds memory in allocation order — since
 * the previous purge, at least a quarter as many full pools became partly
 * free as pools emptied — keeps a smaller budget and looks at the pools in
 * use of every arena it purges, searching a pool only once it has
 * settled: same count of blocks in use as at the previous look, not
 * searched at that count before.  The search reads the first word of each
 * block in address order and stops at a page's first live block; only a
 * page that looks free costs a walk of the free list.  In a drain in
 * random order, pools are not becoming partly free any more by the time
 * they empty, and a pool that still holds a few blocks will soon be empty
 * and decommitted whole: searching them would cost the frees more than it
 * gives back.  rgc_heap_trim searches every pool.
 */
#include "internal.h"

#include <unistd.h>

#define RGC_POOL_PAGES_ALL ((1u << RGC_POOL_PAGES) - 1u)

/* 1 if the system's page is RGC_PAGE_SIZE (else pages are never given
 * back inside a pool); -1 until the first search asks. */
static int page_size_ok = -1;

static int pages_ok(void)
{
    int ok = __atomic_load_n(&page_size_ok, __ATOMIC_RELAXED);
    if (ok < 0) {
        ok = sysconf(_SC_PAGESIZE) == RGC_PAGE_SIZE;
        __atomic_store_n(&page_size_ok, ok, __ATOMIC_RELAXED);
    }
    return ok;
}

/* The blocks of pool touching page k: first..last. */
static void page_blocks(const rgc_pool_t *pool, unsigned k, uint32_t *first, uint32_t *last)
{
    uint64_t recip = _rgc_class_recip[pool->szidx];
    uint32_t l = (uint32_t)(((uint64_t)((k + 1u) * RGC_PAGE_SIZE - 1u) * recip) >> 32);
    *first = (uint32_t)(((uint64_t)(k * RGC_PAGE_SIZE) * recip) >> 32);
    *last = l < pool->nblocks ? l : pool->nblocks - 1u;
}

/* The pages of pool whose every block is free (in bits) or never carved. */
static unsigned free_pages(const rgc_pool_t *pool, const uint64_t *bits)
{
    unsigned pages = 0;
    for (unsigned k = 0; k < RGC_POOL_PAGES; k++) {
        uint32_t j, last;
        page_blocks(pool, k, &j, &last);
        while (j <= last && (j >= pool->bump || ((bits[j / 64] >> (j % 64)) & 1)))
            j++;
        if (j > last)
            pages |= 1u << k;
    }
    return pages;
}

/* The pages of a list pool (not yet holes) whose blocks all read as free:
 * first word the freed word (raw) or a count of 0 (objects), or never
 * carved.  A scan in address order that stops at the first live block of
 * each page: cheap where pages are in use, which is most of the time.  A
 * live raw block may hold the freed word, so the free list confirms. */
static unsigned pages_look_free(const rgc_pool_t *pool)
{
    unsigned pages = 0;
    int raw = pool->kind == RGC_KIND_RAW;
    for (unsigned k = 0; k < RGC_POOL_PAGES; k++) {
        if ((pool->holes >> k) & 1)
            continue;
        uint32_t j, last;
        page_blocks(pool, k, &j, &last);
        for (; j <= last && j < pool->bump; j++) {
            if (_rgc_block_in_hole(pool, j))
                continue; /* free, and not to be read */
            uint64_t w = *(const uint64_t *)(pool->base + (size_t)j * pool->block_size);
            if (raw ? w != RGC_FREED_WORD : (uint32_t)w != 0)
                break;
        }
        if (j > last || j >= pool->bump)
            pages |= 1u << k;
    }
    return pages;
}

/* Takes the blocks touching the pages in `pages` off a list pool's free
 * list. */
static void unlink_pages(rgc_pool_t *pool, unsigned pages)
{
    void **link = &pool->free;
    while (*link) {
        char *b = *link;
        uint32_t i = (uint32_t)(((uint64_t)(uint32_t)(b - pool->base) * _rgc_class_recip[pool->szidx]) >> 32);
        if (_rgc_block_pages(pool, i) & pages)
            *link = ((void **)b)[1];
        else
            link = &((void **)b)[1];
    }
}

/* Gives back the pages of an active pool whose blocks are all free; unless
 * force, only once its count of blocks in use is the same as at the
 * previous call, and not twice at one count; never while a collection
 * runs.  Returns the pages given back. */
static unsigned pool_punch(rgc_heap_t *h, rgc_pool_t *pool, int force)
{
    /* Not while a collection runs: it holds pointers to blocks it frees
     * as it goes, and a page given back reads as zero. */
    if (pool->state != RGC_POOL_ACTIVE || (pool->flags & RGC_PF_FULL) || !h->sysmem.decommit ||
        h->gc.phase != RGC_GC_IDLE || !pages_ok())
        return 0;
    /* Only a pool that has settled: its count the same as at the previous
     * purge that looked at it, and not searched at this count yet. */
    uint16_t used = (uint16_t)_rgc_pool_used(pool);
    if (!force && pool->looked != used) {
        if (pool->looked != (used | RGC_LOOKED_SEARCHED))
            pool->looked = used;
        return 0;
    }
    pool->looked = used | RGC_LOOKED_SEARCHED;
    if ((uint32_t)pool->nblocks - used < RGC_PAGE_SIZE / pool->block_size)
        return 0;
    int map = (pool->flags & RGC_PF_MAP) != 0;
    unsigned fresh = map ? RGC_POOL_PAGES_ALL : pages_look_free(pool);
    if (!fresh)
        return 0;
    uint64_t bits[RGC_POOL_SIZE / RGC_ALIGN / 64];
    if (_rgc_pool_free_bits(pool, bits) < 0)
        return 0; /* corrupt: the checker says where */
    fresh &= free_pages(pool, bits) & ~(unsigned)pool->holes;
    if (!fresh)
        return 0;
    if (!map) {
        unlink_pages(pool, fresh);
        pool->flags |= RGC_PF_HOLES;
        pool->tag |= RGC_TAG_SLOW;
    }
    pool->holes |= (uint8_t)fresh;
    /* One call per run of neighbouring pages. */
    for (unsigned k = 0; k < RGC_POOL_PAGES;) {
        if (!((fresh >> k) & 1)) {
            k++;
            continue;
        }
        unsigned j = k;
        while (j < RGC_POOL_PAGES && ((fresh >> j) & 1))
            j++;
        h->sysmem.decommit(h->sysmem.ctx, pool->base + (size_t)k * RGC_PAGE_SIZE,
                           (size_t)(j - k) * RGC_PAGE_SIZE);
        k = j;
    }
    return (unsigned)__builtin_popcount(fresh);
}

void _rgc_pool_unhole(rgc_pool_t *pool)
{
    uint32_t bs = pool->block_size;
    int fill = (pool->flags & RGC_PF_FILL) != 0;
    uint64_t word0 = pool->kind == RGC_KIND_RAW ? RGC_FREED_WORD : 0; /* objects: count 0 */
    void *head = pool->free;
    for (uint32_t j = pool->bump; j-- > 0;) {
        if (!_rgc_block_in_hole(pool, j))
            continue;
        char *b = pool->base + (size_t)j * bs;
        if (fill)
            memset(b + 16, RGC_FILL_FREED, bs - 16u);
        ((uint64_t *)b)[0] = word0;
        ((void **)b)[1] = head;
        head = b;
    }
    pool->free = head;
    pool->holes = 0;
    pool->flags &= (uint8_t)~RGC_PF_HOLES;
    if (!pool->flags)
        pool->tag &= ~(uintptr_t)RGC_TAG_SLOW;
    /* The pages just came back: not searched again at this count. */
    pool->looked = (uint16_t)(_rgc_pool_used(pool) | RGC_LOOKED_SEARCHED);
}

void _rgc_map_unhole(rgc_pool_t *pool, uint32_t i)
{
    unsigned pages = _rgc_block_pages(pool, i) & pool->holes;
    pool->holes &= (uint8_t)~pages;
    if (!(pool->flags & RGC_PF_FILL))
        return;
    /* The page reads as zero: its free blocks get fill bytes again. */
    for (unsigned k = 0; k < RGC_POOL_PAGES; k++)
        if ((pages >> k) & 1)
            memset(pool->base + (size_t)k * RGC_PAGE_SIZE, RGC_FILL_FRESH, RGC_PAGE_SIZE);
}

/* ---- the purge and the trim */

#define RGC_DIRTY_POOLS_MIN 64u  /* empty pools a heap may keep committed: 1 MiB */
#define RGC_DIRTY_SHARE 4u       /* ... or 1/4 of the pools of its arenas, if more */
/* While it sheds memory in allocation order: 512 KiB, or 1/64 of its pools
 * in use. */
#define RGC_DIRTY_POOLS_MIN_ORDERED 32u
#define RGC_DIRTY_SHARE_ORDERED 64u

/* What an arena on a huge page keeps resident without using it: the
 * header pool around the header page, and the pools never used (their
 * `decommitted` says "not backed yet", which on a huge page is not so).
 * Given back once, before the arena's first decommit splits the huge page
 * or as that decommit. */
static void arena_shed(rgc_heap_t *h, rgc_arena_t *a)
{
    rgc_pool_t *pools = _rgc_arena_pools(a);
    a->shed = 1;
    char *first = _rgc_arena_base(a) + (size_t)_rgc_arena_hdr_pool(a) * RGC_POOL_SIZE;
    char *hdr = (char *)pools, *end = first + RGC_POOL_SIZE;
    if (hdr > first)
        h->sysmem.decommit(h->sysmem.ctx, first, (size_t)(hdr - first));
    if (hdr + RGC_PAGE_SIZE < end)
        h->sysmem.decommit(h->sysmem.ctx, hdr + RGC_PAGE_SIZE, (size_t)(end - hdr - RGC_PAGE_SIZE));
    for (uint32_t i = 0; i < RGC_POOLS_PER_ARENA;) {
        uint32_t j = i;
        while (j < RGC_POOLS_PER_ARENA && pools[j].state == RGC_POOL_UNUSED && pools[j].decommitted)
            j++;
        if (j > i)
            h->sysmem.decommit(h->sysmem.ctx, pools[i].base, (size_t)(j - i) * RGC_POOL_SIZE);
        i = j + 1;
    }
}

/* Decommits the committed unused pools of an arena, one call per run of
 * unused neighbours, and gives back the free pages of its pools in use (pages.c:
 * pages 1 searches every pool, 0 the pools that settled, -1 none).
 * Returns the bytes given back. */
static size_t arena_purge(rgc_heap_t *h, rgc_arena_t *a, int pages)
{
    size_t bytes = 0;
    uint32_t i = 0;
    rgc_pool_t *pools = _rgc_arena_pools(a);
    if (!a->shed)
        arena_shed(h, a);
    while (i < RGC_POOLS_PER_ARENA) {
        rgc_pool_t *p = &pools[i];
        if (p->state == RGC_POOL_ACTIVE && pages >= 0)
            bytes += (size_t)pool_punch(h, p, pages) * RGC_PAGE_SIZE;
        if (p->state != RGC_POOL_UNUSED || p->decommitted) {
            i++;
            continue;
        }
        /* The run: the unused pools from here on, those given back before
         * included (asking again costs the system a walk of absent
         * pages, not a page), up to the last one still committed.  One
         * call for the run however its pools emptied: in a drain in random
         * order they empty one by one between pools already given back. */
        uint32_t j = i, end = i, n = 0;
        while (j < RGC_POOLS_PER_ARENA && pools[j].state == RGC_POOL_UNUSED) {
            if (!pools[j].decommitted) {
                pools[j].decommitted = 1;
                pools[j].last_kind = 0xFF; /* the pages will read as zero */
                n++;
                end = j + 1;
            }
            j++;
        }
        h->sysmem.decommit(h->sysmem.ctx, p->base, (size_t)(end - i) * RGC_POOL_SIZE);
        h->dirty_pools -= n;
        bytes += (size_t)n * RGC_POOL_SIZE;
        i = j;
    }
    return bytes;
}

/* Keeps the committed empty pools within twice their budget: past it,
 * purges the emptiest arenas first down to the budget.
 *
 * While the heap sheds memory in allocation order — since the last purge,
 * full pools became partly free at least a quarter as often as pools
 * emptied — what it frees is not about to be allocated again: the budget is
 * small (1/64 of the pools in use), and the pages of the pools in use that
 * settled are searched (pages.c).
 *
 * A drain in random order keeps up to a quarter of its arenas' pools: there
 * the pools empty in a burst at the end, in arenas that are themselves
 * about to empty and be unmapped whole, and decommitting each pool on its
 * own first cost one madvise per pool emptied — most of the time of such a
 * drain at 256-512 bytes.  The budget follows the arenas still mapped, so
 * it shrinks as they go. */
void _rgc_heap_purge(rgc_heap_t *h)
{
    int ordered = (h->pools_unfilled - h->purge_unfilled) * 4 >= h->pools_emptied - h->purge_emptied;
    size_t budget = ordered ? h->active_pools / RGC_DIRTY_SHARE_ORDERED
                            : h->narenas * RGC_ARENA_POOLS / RGC_DIRTY_SHARE;
    size_t least = ordered ? RGC_DIRTY_POOLS_MIN_ORDERED : RGC_DIRTY_POOLS_MIN;
    if (budget < least)
        budget = least;
    if (h->dirty_pools <= 2 * budget || h->dirty_pools <= h->keep_pools || !h->sysmem.decommit)
        return;
    if (budget < h->keep_pools)
        budget = h->keep_pools; /* what the configuration keeps stays */
    h->purge_unfilled = h->pools_unfilled;
    h->purge_emptied = h->pools_emptied;
    for (int k = RGC_ARENA_POOLS; k >= 1 && h->dirty_pools > budget; k--)
        for (rgc_arena_t *a = h->buckets[k], *next; a && h->dirty_pools > budget; a = next) {
            next = a->bnext;
            /* Empty arenas kept (keep_unused) go whole, but for a spare. */
            if (k == RGC_ARENA_POOLS && next)
                _rgc_arena_drop(h, a);
            else
                arena_purge(h, a, ordered ? 0 : -1);
        }
}

/* Sparse arenas.  After a program frees most of what it allocated in
 * random order, no pool empties and no page of a pool is free: what the
 * arena keeps resident without using it is what its huge page backed —
 * the header pool around its header page and the pools never used (in
 * the newest arena, most of them).  That is 12 KiB to 1 MiB per arena, up
 * to 1.5% of such a heap's resident memory.  A list pool that was full
 * and falls to a quarter of its blocks says so (alloc.c, pool_arm: its
 * free paths test nothing more for it); if its arena then holds less than a
 * quarter of what its pools in use could hold, the arena gives all of that
 * back (arena_shed; the huge page is split: a quarter full, the arena's
 * resident memory is worth more than its TLB entries).  An arena shed
 * already, or purged (which sheds first), has nothing of the kind left. */
void _rgc_pool_low(rgc_heap_t *h, rgc_pool_t *pool)
{
    rgc_arena_t *a = _rgc_arena_of(pool->base);
    if (a->shed || !h->sysmem.decommit)
        return;
    /* Not worth a look at its descriptors until half its pools in use
     * are low (a pool that never filled never says it). */
    uint32_t active = RGC_ARENA_POOLS - a->nfree;
    if (2u * a->low_pools < active)
        return;
    /* Sparse: its pools in use hold less than a quarter of what they
     * could.  (Counting the arena's unused pools too would take for
     * sparse an arena draining in allocation order, whose pools in use
     * are full: that one empties soon, its pools within the purge's
     * budget.)  The sum stops as soon as it is a quarter. */
    const rgc_pool_t *pools = _rgc_arena_pools(a);
    size_t used = 0, quarter = (size_t)active * RGC_POOL_SIZE / 4;
    for (uint32_t i = 0; i < RGC_POOLS_PER_ARENA; i++)
        if (pools[i].state == RGC_POOL_ACTIVE &&
            (used += (size_t)_rgc_pool_used(&pools[i]) * pools[i].block_size) >= quarter)
            return;
    arena_shed(h, a);
}

size_t rgc_heap_trim(rgc_heap_t *h)
{
    if (!h) {
        _rgc_report(RGC_EINVAL, NULL, NULL, "rgc_heap_trim: NULL heap");
        return 0;
    }
    /* The held blocks go back to their pools, the empty pools each class
     * keeps to their arenas, and the empty arenas: nothing in them is in
     * use. */
    _rgc_heap_release_held(h);
    size_t narenas = h->narenas;
    _rgc_heap_release_lone_pools(h);
    size_t bytes = (narenas - h->narenas) * (size_t)RGC_ARENA_SIZE + _rgc_arenas_unmap_spare(h);
    if (h->sysmem.decommit)
        for (rgc_arena_t *a = h->arenas; a; a = a->next)
            bytes += arena_purge(h, a, 1);
    return bytes;
}
