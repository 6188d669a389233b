/*
 * alloc.c — the small-block allocator (arenas → pools → blocks), for
 * objects and raw memory alike.
 *
 * Owns: the process-wide arena map, arena and pool life cycles, the per-class
 * usable-pool lists, free lists and free bitmaps, rgc_mem_*.  Large blocks
 * are large.c's.
 * The fast paths are inline in internal.h; everything here is the slow path.
 * Policy (docs/internals/allocator.md): a new pool comes from the arena with
 * the fewest free pools, so nearly empty arenas drain; an arena whose pools
 * are all free goes back to the system unless it is the only such arena (one
 * spare is kept); what stays mapped is given back by pages.c (empty pools
 * past their budget, free pages of pools in use, rgc_heap_trim).
 */
#include "internal.h"

#include <stdlib.h>

#define ARENA_MAP_BYTES ((size_t)1 << (47 - RGC_ARENA_SHIFT)) /* one byte per MiB */

#define R(k) (uint32_t)((((uint64_t)1 << 32) + 16u * (k) + 15u) / (16u * ((k) + 1u)))
const uint32_t _rgc_class_recip[RGC_NCLASSES] = {
    R(0),  R(1),  R(2),  R(3),  R(4),  R(5),  R(6),  R(7),  R(8),  R(9),  R(10),
    R(11), R(12), R(13), R(14), R(15), R(16), R(17), R(18), R(19), R(20), R(21),
    R(22), R(23), R(24), R(25), R(26), R(27), R(28), R(29), R(30), R(31),
};
#undef R
_Static_assert(RGC_NCLASSES == 32 && RGC_POOL_SIZE <= (1u << 14), "see _rgc_class_recip");
_Static_assert(RGC_POOL_SIZE / (RGC_ALIGN * (RGC_MAP_CLASS + 1u)) <= 64 &&
                   RGC_POOL_SIZE / (RGC_ALIGN * RGC_MAP_CLASS) > 64,
               "RGC_MAP_CLASS is the first class whose pools hold at most 64 blocks");

rgc_pool_t _rgc_empty_pool = {.kind = 0xFF, .state = RGC_POOL_UNUSED};

/* ---- the arena map: one byte per 1 MiB of the 47-bit address space,
 * reserved (128 MiB of address space, committed a page per 4 GiB used) and
 * left out of core files: tools find arenas through the heaps. */

static pthread_once_t runtime_once = PTHREAD_ONCE_INIT;
static int runtime_ok;

static void runtime_init_once(void)
{
    _rgc_runtime.arena_map = _rgc_os_reserve(ARENA_MAP_BYTES);
    runtime_ok = _rgc_runtime.arena_map != NULL;
    _rgc_runtime.hooks.generation = -1;
    _rgc_debug_init();
    /* The gates were closed: a free or an allocation before any heap
     * exists takes the slow path, which says the heap is no heap. */
    if (runtime_ok)
        _rgc_gates_update();
}

/* Reserves the arena map on first use.  Returns 0, or -1 without memory. */
int _rgc_runtime_init(void)
{
    pthread_once(&runtime_once, runtime_init_once);
    return runtime_ok ? 0 : -1;
}

static void arena_map_set(void *arena, int on)
{
    uintptr_t i = (uintptr_t)arena >> RGC_ARENA_SHIFT;
    __atomic_store_n(&_rgc_runtime.arena_map[i], (uint8_t)(on ? 1 : 0), __ATOMIC_RELEASE);
}

/* ---- arenas, bucketed by their number of free pools */

static void bucket_insert(rgc_heap_t *h, rgc_arena_t *a)
{
    uint32_t k = a->nfree;
    a->bprev = NULL;
    a->bnext = h->buckets[k];
    if (a->bnext)
        a->bnext->bprev = a;
    h->buckets[k] = a;
    h->bucket_mask |= 1ull << k;
}

static void bucket_remove(rgc_heap_t *h, rgc_arena_t *a)
{
    uint32_t k = a->nfree;
    if (a->bprev)
        a->bprev->bnext = a->bnext;
    else
        h->buckets[k] = a->bnext;
    if (a->bnext)
        a->bnext->bprev = a->bprev;
    if (!h->buckets[k])
        h->bucket_mask &= ~(1ull << k);
    a->bnext = a->bprev = NULL;
}

/* Maps and initializes an arena with all its pools free.  NULL on failure
 * (reported as RGC_ENOMEM). */
static rgc_arena_t *arena_new(rgc_heap_t *h)
{
    void *mem = h->sysmem.map(h->sysmem.ctx, RGC_ARENA_SIZE, RGC_ARENA_SIZE);
    if (!mem) {
        _rgc_report(RGC_ENOMEM, h, NULL, "could not map a %u KiB arena for heap '%s'",
                    RGC_ARENA_SIZE >> 10, h->name);
        return NULL;
    }
    if (((uintptr_t)mem & (RGC_ARENA_SIZE - 1)) != 0) {
        h->sysmem.unmap(h->sysmem.ctx, mem, RGC_ARENA_SIZE);
        _rgc_report(RGC_EMISUSE, mem, NULL, "sysmem map returned memory not aligned to %u bytes",
                    RGC_ARENA_SIZE);
        return NULL;
    }
    rgc_pool_t *pools = _rgc_arena_pools(mem);
    uint32_t hp = _rgc_arena_hdr_pool(mem);
    memset(pools, 0, RGC_POOLS_PER_ARENA * sizeof *pools);
    rgc_arena_t *a = _rgc_arena_of(mem);
    a->magic = RGC_ARENA_MAGIC;
    a->heap = h;
    a->hdr_state = RGC_POOL_HEADER;
    a->hdr_kind = 0xFF;
    /* Link the other pools in address order so allocation moves upward. */
    for (uint32_t i = RGC_POOLS_PER_ARENA; i-- > 0;) {
        if (i == hp)
            continue;
        rgc_pool_t *p = &pools[i];
        p->state = RGC_POOL_UNUSED;
        p->kind = 0xFF;
        p->decommitted = 1; /* fresh pages: not backed yet */
        p->last_kind = 0xFF;
        p->base = (char *)mem + (size_t)i * RGC_POOL_SIZE;
        p->next = a->free_pools;
        a->free_pools = p;
    }
    a->nfree = RGC_ARENA_POOLS;
    a->next = h->arenas;
    if (h->arenas)
        h->arenas->prev = a;
    h->arenas = a;
    arena_map_set(a, 1);
    h->narenas++;
    h->arenas_allocated++;
    if (h->narenas > h->arenas_highwater)
        h->arenas_highwater = h->narenas;
    return a;
}

static void arena_unmap(rgc_heap_t *h, rgc_arena_t *a)
{
    rgc_pool_t *pools = _rgc_arena_pools(a);
    uint32_t hp = _rgc_arena_hdr_pool(a);
    for (uint32_t i = 0; i < RGC_POOLS_PER_ARENA; i++)
        if (i != hp && !pools[i].decommitted)
            h->dirty_pools--;
    if (a->prev)
        a->prev->next = a->next;
    else
        h->arenas = a->next;
    if (a->next)
        a->next->prev = a->prev;
    arena_map_set(a, 0);
    a->magic = 0;
    h->narenas--;
    h->arenas_freed++;
    h->sysmem.unmap(h->sysmem.ctx, _rgc_arena_base(a), RGC_ARENA_SIZE);
}

/* Recomputes the tag the raw free fast path compares against. */
static void pool_retag(rgc_heap_t *h, rgc_pool_t *p)
{
    if (p->state != RGC_POOL_ACTIVE) {
        p->tag = 0;
        return;
    }
    p->tag = (uintptr_t)h | (p->kind == RGC_KIND_RAW ? 0 : RGC_TAG_OBJECT) |
             (p->flags ? RGC_TAG_SLOW : 0) | (p->tag & RGC_TAG_TRACED) |
             (p->kind == RGC_KIND_RAW && (h->flags & RGC_HEAP_RECORDING) ? RGC_TAG_RECORD : 0);
}

/* Every active pool of h retagged: its recorder started or stopped. */
void _rgc_pools_retag(rgc_heap_t *h)
{
    for (rgc_arena_t *a = h->arenas; a; a = a->next) {
        rgc_pool_t *pools = _rgc_arena_pools(a);
        for (uint32_t k = 0; k < RGC_POOLS_PER_ARENA; k++)
            if (pools[k].state == RGC_POOL_ACTIVE)
                pool_retag(h, &pools[k]);
    }
}

/* Takes an unused pool from the fullest arena that has one. */
static rgc_pool_t *pool_take(rgc_heap_t *h)
{
    if (!h->bucket_mask) {
        rgc_arena_t *a = arena_new(h);
        if (!a)
            return NULL;
        bucket_insert(h, a);
    }
    rgc_arena_t *a = h->buckets[__builtin_ctzll(h->bucket_mask)];
    rgc_pool_t *pool = a->free_pools;
    bucket_remove(h, a);
    a->free_pools = pool->next;
    a->nfree--;
    if (a->nfree)
        bucket_insert(h, a);
    if (!pool->decommitted)
        h->dirty_pools--;
    else if (h->sysmem.populate)
        h->sysmem.populate(h->sysmem.ctx, pool->base, RGC_POOL_SIZE);
    pool->decommitted = 0;
    pool->next = pool->prev = NULL;
    h->active_pools++;
    return pool;
}

/* Unmaps a, an arena of h whose pools are all unused. */
void _rgc_arena_drop(rgc_heap_t *h, rgc_arena_t *a)
{
    bucket_remove(h, a);
    arena_unmap(h, a);
}

/* Unmaps every arena of h whose pools are all unused (the spare).
 * Returns the bytes unmapped. */
size_t _rgc_arenas_unmap_spare(rgc_heap_t *h)
{
    size_t bytes = 0;
    for (rgc_arena_t *a = h->buckets[RGC_ARENA_POOLS], *next; a; a = next) {
        next = a->bnext;
        _rgc_arena_drop(h, a);
        bytes += RGC_ARENA_SIZE;
    }
    return bytes;
}

/* True if the first links of an empty pool's free list go one way in
 * address order, as a drain in allocation order or in its reverse leaves
 * them; a drain in random order leaves them scattered (8 links in order by
 * chance: 1 in 181,440).  A link that leaves the pool (a block written to
 * after its free) also says no: the list is not followed further, and the
 * pool is carved anew.  A bitmap pool hands out its lowest block first:
 * always in order. */
static int free_list_in_order(const rgc_pool_t *pool)
{
    const char *end = pool->base + (size_t)pool->nblocks * pool->block_size;
    const char *b = pool->free;
    int way = 0;
    for (int i = 0; b && i < 8; i++) {
        const char *next = ((void *const *)b)[1];
        if (!next)
            break;
        int w = next > b ? 1 : -1;
        if (next < pool->base || next >= end || (way && w != way))
            return 0;
        way = w;
        b = next;
    }
    return 1;
}

/* A pool that reached its low-water mark filled up again, or emptied: no
 * longer one of its arena's low pools (pages.c, "Sparse arenas"). */
static inline void pool_unlow(rgc_pool_t *pool)
{
    if (RGC_UNLIKELY(pool->low_fired)) {
        pool->low_fired = 0;
        _rgc_arena_of(pool->base)->low_pools--;
    }
}

/* Gives an empty pool back to its arena; may return the arena to the OS. */
static void pool_release(rgc_heap_t *h, rgc_pool_t *pool)
{
    rgc_arena_t *a = _rgc_arena_of(pool->base);
    /* Free list, bump and class stay valid, unless pages were given back
     * or the list is scattered: then the pool is carved anew when it is
     * next used, so that allocation goes up through it in address order
     * (a scattered list sends each allocation to a cold line of its own). */
    pool->decommitted = 0;
    pool->last_kind = pool->holes || !free_list_in_order(pool) ? 0xFF : pool->kind;
    pool->holes = 0;
    pool->low_armed = 0;
    pool_unlow(pool);
    pool->state = RGC_POOL_UNUSED;
    pool->kind = 0xFF;
    pool->flags = 0;
    pool->nused = 0;
    pool->prev = NULL;
    pool->tag = 0;
    h->dirty_pools++;
    h->active_pools--;
    h->pools_emptied++;
    if (a->nfree)
        bucket_remove(h, a);
    pool->next = a->free_pools;
    a->free_pools = pool;
    a->nfree++;
    if (a->nfree == RGC_ARENA_POOLS && h->buckets[RGC_ARENA_POOLS] && h->dirty_pools > h->keep_pools) {
        /* Another empty arena is already kept as the spare, and the heap
         * keeps no more empty memory than its configuration asks. */
        arena_unmap(h, a);
        return;
    }
    bucket_insert(h, a);
    _rgc_heap_purge(h);
}

static void pool_init(rgc_heap_t *h, rgc_pool_t *pool, int kind, int c)
{
    /* A pool that emptied keeps its free list while unused: taken again
     * for the same kind and class, it needs no carving. */
    int reuse = pool->last_kind == kind && pool->szidx == c;
    int map = (uint32_t)c >= RGC_MAP_CLASS;
    pool->state = RGC_POOL_ACTIVE;
    pool->kind = (uint8_t)kind;
    pool->szidx = (uint8_t)c;
    pool->nused = 0;
    if (!reuse) {
        pool->block_size = (uint16_t)(RGC_ALIGN * (uint32_t)(c + 1));
        pool->nblocks = (uint16_t)(RGC_POOL_SIZE / pool->block_size);
        pool->bump = 0;
        pool->free = NULL;
        pool->freemap = 0;
        if (map) {
            /* Every block is free at once: nothing to carve, no block
             * touched before it is handed out. */
            pool->bump = pool->nblocks;
            pool->freemap = pool->nblocks == 64 ? ~0ull : (1ull << pool->nblocks) - 1u;
            if (h->flags & RGC_HEAP_FILL)
                memset(pool->base, RGC_FILL_FRESH, (size_t)pool->nblocks * pool->block_size);
        }
    }
    pool->holes = 0;
    pool->low_armed = 0;
    pool->looked = RGC_POOL_NOT_LOOKED; /* also ends last_kind */
    pool->flags = (uint8_t)(((h->flags & RGC_HEAP_FILL) ? RGC_PF_FILL : 0) | (map ? RGC_PF_MAP : 0));
    pool_retag(h, pool);
}

static void usable_push(rgc_heap_t *h, rgc_pool_t *pool)
{
    rgc_pool_t **head = &h->usable[pool->kind][pool->szidx];
    pool->prev = NULL;
    pool->next = *head == &_rgc_empty_pool ? NULL : *head;
    if (pool->next)
        pool->next->prev = pool;
    *head = pool;
}

static void usable_unlink(rgc_heap_t *h, rgc_pool_t *pool)
{
    rgc_pool_t **head = &h->usable[pool->kind][pool->szidx];
    if (pool->prev)
        pool->prev->next = pool->next;
    else
        *head = pool->next ? pool->next : &_rgc_empty_pool;
    if (pool->next)
        pool->next->prev = pool->prev;
    pool->next = pool->prev = NULL;
}

/* Carves the next run of never-used blocks (up to the end of the current
 * page, at least one block) into the free list, so pages are touched only
 * as they are needed. */
static void pool_carve(rgc_pool_t *pool)
{
    uint32_t bs = pool->block_size;
    char *first = pool->base + (size_t)pool->bump * bs;
    char *page_end = (char *)(((uintptr_t)first | 4095u) + 1);
    char *pool_end = pool->base + (size_t)pool->nblocks * bs;
    char *limit = page_end < pool_end ? page_end : pool_end;
    uint32_t n = (uint32_t)((size_t)(limit - first) / bs);
    if (n == 0)
        n = 1; /* the block straddles a page boundary */
    if (pool->flags & RGC_PF_FILL)
        memset(first, RGC_FILL_FRESH, (size_t)n * bs);
    char *p = first;
    for (uint32_t i = 1; i < n; i++, p += bs) {
        ((uint64_t *)p)[0] = RGC_FREED_WORD;
        ((void **)p)[1] = p + bs;
    }
    ((uint64_t *)p)[0] = RGC_FREED_WORD;
    ((void **)p)[1] = pool->free;
    pool->free = first;
    pool->bump = (uint16_t)(pool->bump + n);
}

/* Allocation from a class of bitmap pools: the lowest free block of the
 * first usable pool; a pool whose last block goes leaves the list at once
 * (a full pool has freemap 0). */
__attribute__((noinline)) static rgc_pool_t *map_pool_new(rgc_heap_t *h, int kind, int c)
{
    rgc_pool_t *pool = pool_take(h);
    if (pool) {
        pool_init(h, pool, kind, c);
        usable_push(h, pool);
    }
    return pool;
}

static inline void *map_alloc(rgc_heap_t *h, int kind, int c)
{
    rgc_pool_t **head = &h->usable[kind][c];
    rgc_pool_t *pool = *head;
    uint64_t m = pool->freemap; /* 0 in the empty sentinel */
    if (RGC_UNLIKELY(!m)) {
        if (!(pool = map_pool_new(h, kind, c)))
            return NULL;
        m = pool->freemap;
    }
    uint32_t i = (uint32_t)__builtin_ctzll(m);
    if (RGC_UNLIKELY(pool->holes))
        _rgc_map_unhole(pool, i);
    m &= m - 1u;
    pool->freemap = m;
    pool->nused_flags++;
    if (!m) {
        /* Its last block: the pool (the head) leaves the list.  Its tag
         * has the slow bit already, as every bitmap pool's does. */
        rgc_pool_t *next = pool->next;
        pool->nused_flags |= (uint32_t)RGC_PF_FULL << 24;
        pool->next = NULL;
        if (next) {
            next->prev = NULL;
            *head = next;
        } else {
            *head = &_rgc_empty_pool;
        }
    }
    return pool->base + (size_t)i * pool->block_size;
}

void *_rgc_block_alloc_slow(rgc_heap_t *h, int kind, size_t n)
{
    if (n == 0)
        n = 1;
    if (n > RGC_SMALL_MAX)
        return _rgc_large_alloc(h, kind, n);
    int c = _rgc_size_class(n);
    void *held = h->held[kind][c];
    if (held) {
        h->held[kind][c] = NULL;
        return held;
    }
    if ((uint32_t)c >= RGC_MAP_CLASS)
        return map_alloc(h, kind, c);
    rgc_pool_t **head = &h->usable[kind][c];
    /* The steady state of a full heap: the head pool gave its last block,
     * the free that made it usable having been its only one.  Take full
     * pools off the list until one has a free block. */
    for (rgc_pool_t *pool = *head; !pool->free && pool->bump == pool->nblocks;) {
        if (pool == &_rgc_empty_pool || (pool->flags & RGC_PF_HOLES))
            break;
        rgc_pool_t *next = pool->next;
        pool->nused_flags |= (uint32_t)RGC_PF_FULL << 24;
        pool->tag |= RGC_TAG_SLOW;
        pool_unlow(pool);
        pool->next = NULL;
        if (!next) {
            *head = &_rgc_empty_pool;
            break;
        }
        next->prev = NULL;
        *head = pool = next;
        void **b = pool->free;
        if (b) {
            pool->free = b[1];
            pool->nused_flags++;
            return b;
        }
    }
    for (;;) {
        rgc_pool_t *pool = *head;
        if (pool == &_rgc_empty_pool) {
            pool = pool_take(h);
            if (!pool)
                return NULL;
            pool_init(h, pool, kind, c);
            usable_push(h, pool);
        }
        if (!pool->free && (pool->flags & RGC_PF_HOLES))
            _rgc_pool_unhole(pool);
        if (!pool->free && pool->bump < pool->nblocks)
            pool_carve(pool);
        void **b = pool->free;
        if (b) {
            pool->free = b[1];
            pool->nused++;
            return b;
        }
        /* Full: off the usable list until a block comes back. */
        pool->flags |= RGC_PF_FULL;
        pool_retag(h, pool);
        pool_unlow(pool);
        usable_unlink(h, pool);
    }
}

/* A list pool that was full got a block back: from now on its count runs
 * from its low-water mark, so the free that takes it down to a quarter of
 * its blocks finds the count at 0 and calls _rgc_pool_emptied — the fast
 * paths test nothing more.  Once armed it stays so until the mark, however
 * often it fills again.  Bitmap pools (256-512 bytes) are not armed: an
 * arena of them holds 2,000-4,000 blocks, and what a sparse arena's purge
 * costs (pages.c, "Sparse arenas": 20-40 us, mostly the split of its huge
 * page) came to 10% of a random-order drain of such blocks to none. */
static inline void pool_arm(rgc_pool_t *pool)
{
    uint32_t low = (uint32_t)pool->nblocks / 4u;
    if (!pool->low_armed && pool->nused > low) {
        pool->low_armed = 1;
        pool->nused -= low;
    }
}

/* Pushes a pool that has a free block again onto its class's usable list.
 * If the head gave its last block already (an allocation took the block
 * that the previous such push was for), the head is full: this pool takes
 * its place, instead of stacking one more pool without a free block on the
 * list for a later allocation to walk off.  So only the head of a list can
 * lack a free block (the heap checker holds it to that). */
static inline void usable_push_unfilled(rgc_heap_t *h, rgc_pool_t *pool)
{
    rgc_pool_t **head = &h->usable[pool->kind][pool->szidx];
    rgc_pool_t *old = *head, *next = old;
    if (old == &_rgc_empty_pool) {
        next = NULL;
    } else if (!old->free && old->bump == old->nblocks && !(old->flags & (RGC_PF_HOLES | RGC_PF_MAP))) {
        next = old->next;
        old->nused_flags |= (uint32_t)RGC_PF_FULL << 24;
        old->tag |= RGC_TAG_SLOW;
        pool_unlow(old);
        old->next = NULL;
    }
    pool->prev = NULL;
    pool->next = next;
    if (next)
        next->prev = pool;
    *head = pool;
    h->pools_unfilled++;
}

/* A block back into a full pool (the steady state of a full heap): the
 * pool goes to the head of its class's usable list, where the next
 * allocation of the class takes the block again.  A full pool holds at
 * least 32 blocks, so this free does not empty it. */
static inline void pool_unfull(rgc_heap_t *h, rgc_pool_t *pool, void **b)
{
    b[1] = pool->free;
    pool->free = b;
    pool->nused_flags = pool->nused - 1u; /* flags cleared */
    pool->tag &= ~(uintptr_t)RGC_TAG_SLOW;
    pool_arm(pool);
    usable_push_unfilled(h, pool);
}

/* The rest of the slow frees: fill bytes, a full pool on a filled heap. */
__attribute__((noinline)) static void block_free_general(rgc_pool_t *pool, void *p)
{
    rgc_heap_t *h = _rgc_pool_heap(pool);
    void **b = p;
    if (pool->holes) {
        uint32_t off = (uint32_t)((char *)p - pool->base);
        if (_rgc_block_in_hole(pool, (uint32_t)(((uint64_t)off * _rgc_class_recip[pool->szidx]) >> 32))) {
            _rgc_report(RGC_EFREED, p, NULL, "free of a block in a page given back: freed already");
            return;
        }
    }
    if (pool->flags & RGC_PF_FILL)
        memset((char *)p + 16, RGC_FILL_FREED, pool->block_size - 16);
    b[1] = pool->free;
    pool->free = b;
    pool->nused--;
    if (pool->flags & RGC_PF_FULL) {
        pool->flags &= (uint8_t)~RGC_PF_FULL;
        pool_retag(h, pool);
        pool_arm(pool);
        usable_push_unfilled(h, pool);
    }
    if (pool->nused == 0)
        _rgc_pool_emptied(pool);
}

/* A block back into a bitmap pool (p is one of its blocks, in use): one
 * bit set in the descriptor; the block itself is not touched unless the
 * heap writes fill bytes (then a raw block gets the freed word too, and an
 * object keeps its first word: count 0 and type).  A pool that was full
 * goes to the head of the usable list. */
static inline void map_free_at(rgc_pool_t *pool, void *p, uint32_t i)
{
    if (RGC_UNLIKELY(pool->flags & RGC_PF_FILL)) {
        memset((char *)p + 8, RGC_FILL_FREED, pool->block_size - 8u);
        if (pool->kind == RGC_KIND_RAW)
            *(uint64_t *)p = RGC_FREED_WORD;
    }
    uint64_t m = pool->freemap;
    pool->freemap = m | (1ull << i);
    uint32_t nf = pool->nused_flags - 1u;
    if (!m) {
        /* It was full: to the head of the list, where the next allocation
         * of the class takes this block again.  A full pool holds at
         * least 32 blocks, so this free does not empty it. */
        rgc_heap_t *h = _rgc_pool_heap(pool);
        pool->nused_flags = nf & ~((uint32_t)RGC_PF_FULL << 24);
        usable_push(h, pool);
        h->pools_unfilled++;
        return;
    }
    pool->nused_flags = nf;
    if ((nf & 0xFFFFFFu) == 0)
        _rgc_pool_emptied(pool);
}

/* The block's index in its pool, multiplying by the class's reciprocal
 * (pools being aligned, the offset is p - pool->base). */
static inline uint32_t block_index(const rgc_pool_t *pool, const void *p, uint32_t *off)
{
    *off = (uint32_t)((uintptr_t)p & (RGC_POOL_SIZE - 1u));
    return (uint32_t)(((uint64_t)*off * _rgc_class_recip[pool->szidx]) >> 32);
}

static void map_free(rgc_pool_t *pool, void *p)
{
    uint32_t off;
    map_free_at(pool, p, block_index(pool, p, &off));
}

/*
 * The held block.  A block freed into a full pool, when its class's next
 * allocation would find no free block at hand (a list class whose head
 * pool has none, or a bitmap class), is held for that allocation
 * (h->held[kind][class]), which takes it back without either pool
 * changing lists; the block held before goes back to its pool.  In a full
 * heap's steady state (`churn`: a block freed, one allocated; an
 * interpreter's temporaries) every free meets a full pool and every
 * allocation finds its class's pools full: putting the pool back on its
 * list at the free and taking it off at the allocation touched two or
 * three descriptors each time.  When the head pool has a free block, the
 * pool goes to the head instead, as before, and the freed block is still
 * the next one allocated.
 *
 * The held block stays counted in use by its pool, which stays full: it is
 * on no free list and its bit is clear, and any other block freed into
 * that pool (every such free comes here: the fast paths never free into a
 * full pool) sends it back first.  A raw block keeps the freed word, an
 * object its count of 0, so the collector's walks, which skip dead
 * objects, skip it.  Everything else that asks whether a block is free
 * asks h->held too (mem_owner, the statistics, the checker), and
 * rgc_heap_trim gives the held blocks back first.  Heaps that write fill
 * bytes hold nothing (their pools' flags are never just "full").
 */

/* Gives b back to its pool, which is full (flags FULL, or MAP | FULL). */
static void pool_give_back(rgc_heap_t *h, rgc_pool_t *pool, void *b)
{
    if (pool->flags & RGC_PF_MAP)
        map_free(pool, b);
    else
        pool_unfull(h, pool, b);
}

__attribute__((noinline)) static void block_free_full(rgc_heap_t *h, rgc_pool_t *pool, void *p)
{
    void **held = &h->held[pool->kind][pool->szidx];
    void *old = *held;
    if (RGC_UNLIKELY(old == p)) {
        _rgc_report(RGC_EFREED, p, NULL, "free of a block already freed (held for reuse)");
        return;
    }
    if (old && _rgc_pool_of(old) == pool) {
        /* The held block's pool: both go back, and the pool is not full. */
        *held = NULL;
        pool_give_back(h, pool, old);
        _rgc_block_free(pool, p);
        return;
    }
    if (!(pool->flags & RGC_PF_MAP) && h->usable[pool->kind][pool->szidx]->free) {
        pool_unfull(h, pool, p);
        return;
    }
    *held = p;
    if (old)
        pool_give_back(h, _rgc_pool_of(old), old);
}

void _rgc_heap_release_held(rgc_heap_t *h)
{
    for (int k = 0; k < RGC_NKINDS; k++)
        for (size_t c = 0; c < RGC_NCLASSES; c++) {
            void *p = h->held[k][c];
            h->held[k][c] = NULL;
            if (p)
                pool_give_back(h, _rgc_pool_of(p), p);
        }
}

/* For rgc_heap_trim: a class's only pool, kept while empty so that
 * allocating and freeing one block does not take and release a pool each
 * time (_rgc_pool_emptied), goes back to its arena too; its arena may then
 * be empty and go back to the system.  The held blocks went back first. */
void _rgc_heap_release_lone_pools(rgc_heap_t *h)
{
    for (int k = 0; k < RGC_NKINDS; k++)
        for (size_t c = 0; c < RGC_NCLASSES; c++) {
            rgc_pool_t *pool = h->usable[k][c];
            if (pool != &_rgc_empty_pool && !pool->next && _rgc_pool_used(pool) == 0) {
                usable_unlink(h, pool);
                pool_release(h, pool);
            }
        }
}

void _rgc_block_free_slow(rgc_pool_t *pool, void *p)
{
    uint32_t flags = pool->flags;
    if (RGC_LIKELY(flags == RGC_PF_FULL || flags == (RGC_PF_FULL | RGC_PF_MAP)))
        block_free_full(_rgc_pool_heap(pool), pool, p);
    else if (flags & RGC_PF_MAP)
        map_free(pool, p);
    else
        block_free_general(pool, p);
}

/* A pool on its usable list whose count just reached 0.  Armed, it is at
 * its low-water mark (pool_arm).  Else its last block was just freed (and
 * is on its free list already): back to its arena, unless it is its
 * class's only pool — alloc/free of one block must not map and unmap a
 * pool each time. */
void _rgc_pool_emptied(rgc_pool_t *pool)
{
    rgc_heap_t *h = _rgc_pool_heap(pool);
    if (pool->low_armed) {
        /* Its low-water mark, not its last block: the count becomes the
         * plain count again. */
        pool->low_armed = 0;
        pool->nused = (uint32_t)pool->nblocks / 4u;
        pool->low_fired = 1;
        _rgc_arena_of(pool->base)->low_pools++;
        _rgc_pool_low(h, pool);
        return;
    }
    if (pool->prev == NULL && pool->next == NULL)
        return;
    usable_unlink(h, pool);
    pool_release(h, pool);
}

/* True if p is on the pool's free list, in a page given back or beyond its
 * carved blocks (for a bitmap pool: its bit is set). */
int _rgc_block_is_free(const rgc_pool_t *pool, const void *p)
{
    size_t off = (size_t)((const char *)p - pool->base);
    if (pool->holes && _rgc_block_in_hole(pool, (uint32_t)(off / pool->block_size)))
        return 1;
    if (pool->flags & RGC_PF_MAP)
        return (int)((pool->freemap >> (off / pool->block_size)) & 1u);
    if (off / pool->block_size >= pool->bump)
        return 1;
    uint32_t steps = 0;
    for (void *f = pool->free; f && steps <= pool->nblocks; f = ((void **)f)[1], steps++)
        if (f == p)
            return 1;
    return 0;
}

/* ---- rgc_mem_* */

static void mem_fill_fresh(rgc_heap_t *h, void *p, size_t n)
{
    if (n <= RGC_SMALL_MAX) {
        rgc_pool_t *pool = _rgc_pool_of(p);
        memset(p, RGC_FILL_FRESH, n);
        memset((char *)p + n, RGC_FILL_GUARD, pool->block_size - n);
    }
    (void)h;
}

/* Everything rgc_mem_alloc's fast path does not do: a new pool or arena,
 * a large block, fill bytes. */
__attribute__((noinline)) static void *mem_alloc_slow(rgc_heap_t *h, size_t n)
{
    if (RGC_UNLIKELY(!_rgc_heap_ok(h, "rgc_mem_alloc")))
        return NULL;
    uint64_t *p = _rgc_block_alloc(h, RGC_KIND_RAW, n);
    if (RGC_UNLIKELY(!p))
        return NULL;
    p[0] = 0;
    if (RGC_UNLIKELY(h->flags & RGC_HEAP_FILL) && n)
        mem_fill_fresh(h, p, n);
    return p;
}

/* rgc_mem_alloc's miss with nothing held: a bitmap class's block (no
 * freed marker to clear), else the slow path. */
__attribute__((noinline)) static void *mem_alloc_empty(rgc_heap_t *h, size_t n, size_t c)
{
    if (c >= RGC_MAP_CLASS)
        return map_alloc(h, RGC_KIND_RAW, (int)c);
    return mem_alloc_slow(h, n);
}

/* rgc_mem_alloc's miss, no fill bytes: the block held from a free into a
 * full pool ("The held block"), else the rest.  Calls of their own, so that
 * the fast path computes nothing for them and this one saves nothing. */
__attribute__((noinline)) static void *mem_alloc_miss(rgc_heap_t *h, size_t n, size_t c)
{
    uint64_t *b = h->held[RGC_KIND_RAW][c];
    if (RGC_LIKELY(b != NULL)) {
        h->held[RGC_KIND_RAW][c] = NULL;
        b[0] = 0;
        return b;
    }
    return mem_alloc_empty(h, n, c);
}

/* rgc_mem_alloc while events are reported. */
__attribute__((noinline)) static void *mem_alloc_reported(rgc_heap_t *h, size_t n, const void *pc,
                                                          const rgc_site_t *site)
{
    void *p = mem_alloc_slow(h, n);
    if (p)
        _rgc_event(h, RGC_EV_ALLOC, p, n, 0, pc, site);
    return p;
}

/* rgc_mem_alloc while events are reported: the fast path's case with the
 * record written in place when the recorder is all there is, else the
 * slow path and the whole report. */
__attribute__((noinline)) static void *mem_alloc_watched(rgc_heap_t *h, size_t n, const void *pc,
                                                         const rgc_site_t *site)
{
    size_t c = (n - 1) >> 4;
    if (c < RGC_NCLASSES && h && !(h->flags & RGC_HEAP_FILL)) {
        rgc_pool_t *pool = h->usable[RGC_KIND_RAW][c];
        uint64_t *p = pool->free;
        if (p) {
            pool->free = (void *)p[1];
            pool->nused_flags++;
            p[0] = 0;
            _rgc_record(h, RGC_EV_ALLOC, p, n, 0, pc, site);
            return p;
        }
    }
    return mem_alloc_reported(h, n, pc, site);
}

static void *mem_alloc_other(rgc_heap_t *h, size_t n, const void *pc);

/* mem_alloc_flagged's record of two slots, apart: the flagged path then
 * makes no call it must come back from. */
__attribute__((noinline, cold)) static void *mem_alloc_recorded_long(rgc_heap_t *h, void *b, size_t n,
                                                                     const void *pc)
{
    _rgc_record_long(&h->recorder, RGC_EV_ALLOC, (uintptr_t)b, n, 0, (uintptr_t)pc);
    return b;
}

/* rgc_mem_alloc with the gate open (nothing traces every allocation, no
 * hook wants a raw one) and h filling, recording or sampling.  Unless it
 * fills: a sampled allocation not yet due is counted down, and then the
 * fast path's pop and, when h records, the record — the recorder is all
 * there is to tell of it, nothing is tested again; an allocation due to
 * be traced goes on to the general path. */
__attribute__((noinline)) static void *mem_alloc_flagged(rgc_heap_t *h, size_t n, size_t c, const void *pc)
{
    unsigned f = h->flags;
    if (!(f & RGC_HEAP_FILL)) {
        rgc_pool_t *pool = h->usable[RGC_KIND_RAW][c];
        uint64_t *b = pool->free;
        if (RGC_LIKELY(b != NULL)) {
            /* (Laid out in line, as the record below is: a sampling heap
             * and a recording one each take one branch here.) */
            if (RGC_LIKELY(f & RGC_HEAP_SAMPLING)) {
                /* (No trace: a flag out of its rule, which the checker
                 * reports; the general path copes.) */
                rgc_trace_t *tr = h->trace;
                if (!tr || tr->countdown <= (int64_t)n)
                    return mem_alloc_other(h, n, pc);
                tr->countdown -= (int64_t)n;
            }
            pool->free = (void *)b[1];
            pool->nused_flags++;
            b[0] = 0;
            if (f & RGC_HEAP_RECORDING) {
                if (RGC_UNLIKELY(((uintptr_t)b | (uintptr_t)pc) >> RGC_REC_LOW != 0))
                    return mem_alloc_recorded_long(h, b, n, pc);
                _rgc_record_small(h, RGC_EV_ALLOC, b, n, 0, pc);
            }
            return b;
        }
    }
    return mem_alloc_other(h, n, pc);
}

/* rgc_mem_alloc's fast path: a block of a small class, at hand.  With
 * `plain`, the hook words were tested already and the gate is not read.
 * (The return address taken here is the caller's caller's: GCC's rule for
 * __builtin_return_address in a function inlined into another.) */
static inline __attribute__((always_inline)) void *mem_alloc_fast(rgc_heap_t *h, size_t n, int plain)
{
    /* The class compared with the allocation gate (RGC_NCLASSES, or 0
     * while allocations are reported): one test for a small class and for
     * nothing to report. */
    size_t c = (n - 1) >> 4;
    /* (A NULL heap goes to the slow path, which reports it.  A heap that
     * fills, records or samples (which leave the gate open) leaves by its
     * flags: one test for the three.) */
    if (RGC_LIKELY(c < (plain ? RGC_NCLASSES : RGC_ALLOC_GATE) && (plain || h))) {
        if (RGC_LIKELY(!(h->flags & (plain ? RGC_HEAP_FILL : RGC_HEAP_FILL | RGC_HEAP_OWN_FLAGS)))) {
            rgc_pool_t *pool = h->usable[RGC_KIND_RAW][c];
            uint64_t *b = pool->free;
            if (RGC_LIKELY(b != NULL)) {
                pool->free = (void *)b[1];
                pool->nused_flags++;
                /* Clear the freed marker so a free of a block never
                 * written to is not taken for a double free. */
                b[0] = 0;
                return b;
            }
            return mem_alloc_miss(h, n, c);
        }
        if (!plain)
            return mem_alloc_flagged(h, n, c, __builtin_return_address(0));
    }
    return plain ? mem_alloc_slow(h, n) : mem_alloc_other(h, n, __builtin_return_address(0));
}

/* rgc_mem_alloc's other cases: events to report (or, when a heap samples,
 * a countdown), or the slow path. */
__attribute__((noinline)) static void *mem_alloc_other(rgc_heap_t *h, size_t n, const void *pc)
{
    size_t c = (n - 1) >> 4;
    if (!h || !_rgc_watching_allocs())
        return mem_alloc_slow(h, n);
    /* Nothing of h's listens (the gate closed for another heap), or h
     * samples and this allocation is not to be traced: the fast path. */
    if (_rgc_sample_skip(h, n))
        return mem_alloc_fast(h, n, 1);
    /* The recorder all there is to tell, a block at hand: the fast path's
     * pop and the record, without a call.  The trace all there is: the
     * pop and the trace's own call, the pool given. */
    if (c < RGC_NCLASSES && !(h->flags & RGC_HEAP_FILL)) {
        rgc_pool_t *pool = h->usable[RGC_KIND_RAW][c];
        uint64_t *b = pool->free;
        if (RGC_LIKELY(b != NULL)) {
            int recorder = _rgc_recorder_only(h);
            if (recorder || _rgc_trace_only(h)) {
                pool->free = (void *)b[1];
                pool->nused_flags++;
                b[0] = 0;
                if (recorder)
                    _rgc_record_small(h, RGC_EV_ALLOC, b, n, 0, pc);
                else
                    _rgc_trace_alloc_small(h, h->trace, b, n, pc, pool);
                return b;
            }
        }
    }
    return mem_alloc_watched(h, n, pc, NULL);
}

void *rgc_mem_alloc(rgc_heap_t *h, size_t n)
{
    return mem_alloc_fast(h, n, 0);
}

void *rgc_mem_alloc_at(rgc_heap_t *h, size_t n, const rgc_site_t *site)
{
    if (_rgc_watching_allocs())
        return mem_alloc_watched(h, n, __builtin_return_address(0), site);
    return rgc_mem_alloc(h, n);
}

void *rgc_mem_calloc(rgc_heap_t *h, size_t n)
{
    if (!_rgc_heap_ok(h, "rgc_mem_calloc"))
        return NULL;
    void *p = _rgc_block_alloc(h, RGC_KIND_RAW, n);
    if (p)
        memset(p, 0, n);
    if (p && _rgc_watching_allocs())
        _rgc_event(h, RGC_EV_ALLOC, p, n, 0, __builtin_return_address(0), NULL);
    return p;
}

/* Validates a pointer given to rgc_mem_free/realloc/usable_size.  Returns
 * the pool (small), sets *large (large), or returns NULL with *large NULL
 * after reporting the problem. */
static rgc_pool_t *mem_owner(rgc_heap_t *h, const void *p, rgc_large_t **large, const char *what)
{
    *large = NULL;
    if (_rgc_in_arena(p)) {
        rgc_pool_t *pool = _rgc_pool_of(p);
        rgc_heap_t *owner = _rgc_arena_of(p)->heap;
        if (owner != h) {
            _rgc_report(RGC_EFOREIGN, p, NULL, "%s: block belongs to heap '%s', not '%s'", what,
                        owner ? owner->name : "?", h->name);
            return NULL;
        }
        if (pool->state == RGC_POOL_HEADER) {
            _rgc_report(RGC_EFOREIGN, p, NULL, "%s: points into an arena header, not a block", what);
            return NULL;
        }
        if (pool->state != RGC_POOL_ACTIVE) {
            _rgc_report(RGC_EFREED, p, NULL, "%s: block is in an unused pool", what);
            return NULL;
        }
        if (pool->kind != RGC_KIND_RAW) {
            _rgc_report(RGC_EMISUSE, p, NULL, "%s: an object, not raw memory (use rgc_decref)", what);
            return NULL;
        }
        if (!_rgc_block_start(pool, p)) {
            _rgc_report(RGC_EFOREIGN, p, NULL, "%s: not the start of a %u-byte block", what,
                        pool->block_size);
            return NULL;
        }
        /* A block in a page given back is free and is not read. */
        uint32_t off;
        if (p == h->held[RGC_KIND_RAW][pool->szidx] ||
            (pool->holes && _rgc_block_in_hole(pool, block_index(pool, p, &off))) ||
            (((pool->flags & RGC_PF_MAP) || *(const uint64_t *)p == RGC_FREED_WORD) &&
             _rgc_block_is_free(pool, p))) {
            _rgc_report(RGC_EFREED, p, NULL, "%s: block already freed", what);
            return NULL;
        }
        return pool;
    }
    if (((uintptr_t)p & (RGC_ALIGN - 1)) == 0 && _rgc_large_owned(h, p)) {
        rgc_large_t *l = _rgc_large_of(p);
        if (l->kind != RGC_KIND_RAW) {
            _rgc_report(RGC_EMISUSE, p, NULL, "%s: an object, not raw memory (use rgc_decref)", what);
            return NULL;
        }
        *large = l;
        return NULL;
    }
    _rgc_report(RGC_EFOREIGN, p, NULL, "%s: pointer not allocated by heap '%s' (or already freed)",
                what, h->name);
    return NULL;
}

/* Everything rgc_mem_free's fast path does not do: NULL, large blocks,
 * ownership and double-free checks, pools that fill up or empty, events. */
__attribute__((noinline)) static void mem_free_slow(rgc_heap_t *h, void *p)
{
    if (!p || !_rgc_heap_ok(h, "rgc_mem_free"))
        return;
    rgc_large_t *l;
    rgc_pool_t *pool = mem_owner(h, p, &l, "rgc_mem_free");
    /* (A heap that samples: the block may have a trace, its pool's tag
     * says so, which brought it here.) */
    if ((pool || l) && (_rgc_watching() || h->trace))
        _rgc_event(h, RGC_EV_FREE, p, pool ? pool->block_size : l->size, 0, NULL, NULL);
    if (pool) {
        if (!(pool->flags & RGC_PF_MAP))
            *(uint64_t *)p = RGC_FREED_WORD;
        _rgc_block_free(pool, p);
    } else if (l) {
        _rgc_large_free(h, l);
    }
}

/* A raw block into a full pool: the steady state's case (nothing held, and
 * the class's next allocation would find no free block at hand) without a
 * call; the rest in block_free_full. */
static inline __attribute__((always_inline)) void mem_free_full(rgc_heap_t *h, rgc_pool_t *pool, void *p)
{
    void **held = &h->held[RGC_KIND_RAW][pool->szidx];
    if (!*held && ((pool->flags & RGC_PF_MAP) || !h->usable[RGC_KIND_RAW][pool->szidx]->free)) {
        *held = p;
        return;
    }
    block_free_full(h, pool, p);
}

/* The fast path's free of p into pool, with its block marked freed. */
static inline __attribute__((always_inline)) void mem_free_push(rgc_pool_t *pool, uint64_t *w)
{
    *w = RGC_FREED_WORD;
    w[1] = (uint64_t)(uintptr_t)pool->free;
    pool->free = w;
    if (RGC_UNLIKELY(--pool->nused_flags == 0))
        _rgc_pool_emptied(pool);
}

/* mem_free_next's recorded case: the record, then the fast path's push
 * — a leaf of its own, whose calls (a record of two slots, a pool
 * emptied) are its last acts. */
__attribute__((noinline, cold)) static void mem_free_recorded_long(rgc_heap_t *h, uint64_t *w, rgc_pool_t *pool)
{
    _rgc_record_long(&h->recorder, RGC_EV_FREE, (uintptr_t)w, pool->block_size, 0, 0);
    mem_free_push(pool, w);
}

__attribute__((noinline)) static void mem_free_recorded(rgc_heap_t *h, uint64_t *w, rgc_pool_t *pool)
{
    if (RGC_UNLIKELY((uintptr_t)w >> RGC_REC_LOW != 0)) {
        mem_free_recorded_long(h, w, pool);
        return;
    }
    _rgc_record_small(h, RGC_EV_FREE, w, pool->block_size, 0, NULL);
    mem_free_push(pool, w);
}

/* rgc_mem_free's miss in an arena, the gate open (nothing listens but
 * h's recorder, if on): a block of ours to record; a free into a full pool
 * of ours, raw, not filled, not freed before; a block of a bitmap pool of
 * ours, raw, in use — no need for the full checks; else the slow path. */
__attribute__((noinline)) static void mem_free_next(rgc_heap_t *h, void *p, rgc_pool_t *pool)
{
    uint64_t *w = p;
    /* A raw pool of h, h recording: the gate open, the recorder is all
     * there is to tell (nothing traces every allocation, no hook wants a
     * free, and a sampled trace would have tagged the pool). */
    if (pool->tag == ((uintptr_t)h | RGC_TAG_RECORD) && *w != RGC_FREED_WORD) {
        mem_free_recorded(h, w, pool);
        return;
    }
    if (pool->tag == ((uintptr_t)h | RGC_TAG_SLOW)) {
        uint32_t flags = pool->flags, off;
        if ((flags & ~RGC_PF_FULL) == RGC_PF_MAP) {
            /* A bitmap pool, not filled: the block is not touched.  A set
             * bit is a second free (the slow path says so). */
            uint32_t i = block_index(pool, p, &off);
            if (i * pool->block_size == off && i < pool->nblocks && !((pool->freemap >> i) & 1u)) {
                if (flags & RGC_PF_FULL)
                    mem_free_full(h, pool, p);
                else
                    map_free_at(pool, p, i);
                return;
            }
        } else if (flags == RGC_PF_FULL && *w != RGC_FREED_WORD) {
            /* As on the fast path, p is not checked to start a block
             * (a debug build checked it before coming here). */
            *w = RGC_FREED_WORD;
            mem_free_full(h, pool, p);
            return;
        }
    }
    mem_free_slow(h, p);
}

/* mem_free_gated's reported case: the event told (recorder, trace, hook
 * as asked), then the fast path's free. */
__attribute__((noinline)) static void mem_free_reported(rgc_heap_t *h, uint64_t *w, rgc_pool_t *pool)
{
    if (_rgc_trace_only(h)) {
        _rgc_trace_free_small(h, h->trace, w, pool);
    } else {
        _rgc_record(h, RGC_EV_FREE, w, pool->block_size, 0, NULL, NULL);
    }
    mem_free_push(pool, w);
}

/* rgc_mem_free past its gate: events to report (the gate closed), or a
 * pointer in no arena (NULL, a large block, a foreign one).  While
 * events are reported, the fast path's case is done here and reported:
 * when the recorder is all there is to tell, the record is written here,
 * without a call. */
__attribute__((noinline)) static void mem_free_gated(rgc_heap_t *h, void *p)
{
    uint64_t *w = p;
    /* Something listens (else p is in no arena, or the runtime is not
     * set up and has no arena map yet). */
    if (_rgc_watching() && _rgc_in_arena(p)) {
        rgc_pool_t *pool = _rgc_pool_of(p);
        if ((pool->tag & ~(uintptr_t)(RGC_TAG_TRACED | RGC_TAG_RECORD)) == (uintptr_t)h &&
            *w != RGC_FREED_WORD) {
            if (!_rgc_recorder_only(h)) {
                mem_free_reported(h, w, pool);
                return;
            }
            _rgc_record_small(h, RGC_EV_FREE, p, pool->block_size, 0, NULL);
            mem_free_push(pool, w);
            return;
        }
    }
    mem_free_slow(h, p);
}

void rgc_mem_free(rgc_heap_t *h, void *p)
{
    uintptr_t i = (uintptr_t)p >> RGC_ARENA_SHIFT;
    /* NULL and pointers above the 47-bit space are not in any arena; the
     * gate is that bound (RGC_FREE_GATE_OPEN) while no heap traces every
     * allocation and no hook wants frees, and 0 otherwise: then every
     * free goes past it.  (A recording heap's frees leave below, by their
     * pools' tags.) */
    if (RGC_LIKELY(i < RGC_FREE_GATE && _rgc_runtime.arena_map[i])) {
        /* _rgc_pool_of, reusing the arena index already computed (the
         * empty asm keeps the compiler from masking p again instead). */
        __asm__("" : "+r"(i));
        rgc_pool_t *pool = (rgc_pool_t *)((i << RGC_ARENA_SHIFT) +
                                          (((uintptr_t)p >> (RGC_POOL_SHIFT - 6)) & RGC_POOL_OF_MASK));
        uint64_t *w = p;
#ifdef RGC_DEBUG
        if (pool->state != RGC_POOL_ACTIVE || !_rgc_block_start(pool, p)) {
            mem_free_slow(h, p);
            return;
        }
#endif
        /* One compare for owner, kind, state and flags; a second free of
         * a block takes the slow path.  When the tag matches, flags are
         * clear: the word is nused, and the pool is on its usable list. */
        if (RGC_LIKELY(pool->tag == (uintptr_t)h && *w != RGC_FREED_WORD)) {
            mem_free_push(pool, w);
            return;
        }
        mem_free_next(h, p, pool);
        return;
    }
    mem_free_gated(h, p);
}

size_t rgc_mem_usable_size(rgc_heap_t *h, const void *p)
{
    if (!h || !p)
        return 0;
    rgc_large_t *l;
    rgc_pool_t *pool = mem_owner(h, p, &l, "rgc_mem_usable_size");
    if (pool)
        return pool->block_size;
    return l ? l->size : 0;
}

void *rgc_mem_realloc(rgc_heap_t *h, void *p, size_t n)
{
    /* Reported blocks name realloc's caller, not realloc. */
    void *pc = __builtin_return_address(0);
    if (!_rgc_heap_ok(h, "rgc_mem_realloc"))
        return NULL;
    if (!p)
        return _rgc_watching_allocs() ? mem_alloc_watched(h, n, pc, NULL) : rgc_mem_alloc(h, n);
    rgc_large_t *l;
    rgc_pool_t *pool = mem_owner(h, p, &l, "rgc_mem_realloc");
    size_t old;
    if (pool)
        old = pool->block_size;
    else if (l)
        old = l->size;
    else
        return NULL;
    if ((pool && n != 0 && n <= RGC_SMALL_MAX && _rgc_size_class(n) == pool->szidx) ||
        (l && n <= l->size && n > l->size / 2 && n > RGC_SMALL_MAX)) {
        if (_rgc_watching_allocs()) { /* the block stays: reported as given back and taken again */
            _rgc_event(h, RGC_EV_FREE, p, old, 0, NULL, NULL);
            _rgc_event(h, RGC_EV_ALLOC, p, n, 0, pc, NULL);
        }
        return p;
    }
    void *q = _rgc_watching_allocs() ? mem_alloc_watched(h, n, pc, NULL) : rgc_mem_alloc(h, n);
    if (!q)
        return NULL;
    memcpy(q, p, old < n ? old : n);
    rgc_mem_free(h, p);
    return q;
}

/* Returns every arena and large block of h to the system. */
void _rgc_heap_release_all(rgc_heap_t *h)
{
    while (h->large.next != &h->large) {
        rgc_large_t *l = h->large.next;
        size_t total = RGC_LARGE_HDR + l->size + ((h->flags & RGC_HEAP_FILL) ? RGC_ALIGN : 0);
        l->prev->next = l->next;
        l->next->prev = l->prev;
        l->magic = 0;
        h->sysmem.free(h->sysmem.ctx, l, total);
    }
    if (h->large_set.slots)
        h->sysmem.free(h->sysmem.ctx, h->large_set.slots, h->large_set.cap * sizeof(void *));
    h->large_set.slots = NULL;
    h->large_set.cap = h->large_set.len = h->large_set.used = 0;
    while (h->arenas) {
        rgc_arena_t *a = h->arenas;
        h->arenas = a->next;
        arena_map_set(a, 0);
        a->magic = 0;
        h->sysmem.unmap(h->sysmem.ctx, _rgc_arena_base(a), RGC_ARENA_SIZE);
        h->arenas_freed++;
    }
    h->narenas = 0;
}

int _rgc_pool_free_bits(const rgc_pool_t *pool, uint64_t *bits)
{
    memset(bits, 0, (RGC_POOL_SIZE / RGC_ALIGN / 64) * sizeof *bits);
    if (pool->flags & RGC_PF_MAP) {
        uint64_t all = pool->nblocks == 64 ? ~0ull : (1ull << pool->nblocks) - 1u;
        if (pool->free || (pool->freemap & ~all))
            return -1;
        bits[0] = pool->freemap;
        return __builtin_popcountll(pool->freemap);
    }
    int n = 0;
    for (const char *f = pool->free; f; f = ((void *const *)f)[1]) {
        size_t off = (size_t)(f - pool->base);
        if (f < pool->base || off >= RGC_POOL_SIZE || off % pool->block_size)
            return -1;
        size_t i = off / pool->block_size;
        if (i >= pool->bump || (bits[i / 64] >> (i % 64)) & 1 || _rgc_block_in_hole(pool, (uint32_t)i))
            return -1;
        bits[i / 64] |= 1ull << (i % 64);
        n++;
    }
    for (uint32_t i = 0; pool->holes && i < pool->bump; i++) {
        if (_rgc_block_in_hole(pool, i)) {
            bits[i / 64] |= 1ull << (i % 64);
            n++;
        }
    }
    return n;
}
