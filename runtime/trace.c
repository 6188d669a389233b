/*
 * trace.c — allocation tracing, Python's tracemalloc for rgc: per live
 * traced block its size and traceback; current and peak traced bytes.
 * Snapshots and their statistics are in snapshot.c.
 *
 * Tracing rides on the event paths (debug.c): a heap that traces counts as
 * an observer, so its allocations and frees leave the fast paths and reach
 * _rgc_event, which hands them here.  The traces live in memory from the
 * heap's byte allocator, never in its pools (tracing must not change what
 * it measures), as plain arrays the debug table describes:
 *
 *   pool slots  the traces of a pool's blocks, one 8-byte slot per block,
 *               beside the pool: found from a block's address through
 *               its arena's table of pools (arenas: open addressing by
 *               arena number), as the block's descriptor is found — no
 *               hashing per block, and slots in address order;
 *   entries     the live traced large blocks, open addressing by address
 *               with linear probing (a removal shifts the run back: no
 *               tombstones), at most half full;
 *   tracebacks  every distinct (site, frames) seen, numbered from 1, each
 *               tb_stride bytes; an entry names its traceback's number.
 *
 * A traceback with one frame (the common setting) is found again without
 * hashing while the same call site keeps allocating (last_pc).
 */
#include "internal.h"

#include <execinfo.h>
#include <math.h>
#include <stdlib.h>

#define ENTRIES_MIN 1024u
#define TB_MIN 256u

static void *sys_alloc(rgc_heap_t *h, size_t n)
{
    void *p = h->sysmem.alloc(h->sysmem.ctx, n);
    if (p)
        memset(p, 0, n);
    return p;
}

static void sys_free(rgc_heap_t *h, void *p, size_t n)
{
    if (p)
        h->sysmem.free(h->sysmem.ctx, p, n);
}

static uint64_t mix(uint64_t x)
{
    x ^= x >> 33;
    x *= 0xff51afd7ed558ccdull;
    x ^= x >> 33;
    x *= 0xc4ceb9fe1a85ec53ull;
    return x ^ (x >> 33);
}

static rgc_traceback_t *tb_at(const rgc_trace_t *tr, uint32_t n)
{
    return (rgc_traceback_t *)(tr->tracebacks + (uint64_t)(n - 1) * tr->tb_stride);
}

/* ---- the live entries */

/* A mixed hash: runs stay short at any block size and in any order of
 * frees.  (Slots in address order — consecutive blocks in consecutive
 * slots — made runs of allocation sweep the table, but a pool of 16-byte
 * blocks became one long run that every insertion and removal walked.) */
static uint64_t slot_of(uint64_t addr, uint64_t cap)
{
    return mix(addr) & (cap - 1);
}

static int entries_grow(rgc_heap_t *h, rgc_trace_t *tr)
{
    uint64_t ncap = tr->cap ? tr->cap * 2 : ENTRIES_MIN;
    rgc_trace_entry_t *ne = sys_alloc(h, ncap * sizeof *ne);
    if (!ne)
        return -1;
    for (uint64_t i = 0; i < tr->cap; i++) {
        rgc_trace_entry_t *e = &tr->entries[i];
        if (!e->address)
            continue;
        uint64_t j = slot_of(e->address, ncap);
        while (ne[j].address)
            j = (j + 1) & (ncap - 1);
        ne[j] = *e;
    }
    sys_free(h, tr->entries, tr->cap * sizeof *tr->entries);
    tr->entries = ne;
    tr->cap = ncap;
    return 0;
}

static rgc_trace_entry_t *entry_find(const rgc_trace_t *tr, uint64_t addr)
{
    if (!tr->cap)
        return NULL;
    for (uint64_t j = slot_of(addr, tr->cap);; j = (j + 1) & (tr->cap - 1)) {
        rgc_trace_entry_t *e = &tr->entries[j];
        if (e->address == addr)
            return e;
        if (!e->address)
            return NULL;
    }
}

/* Removes the entry at slot j, shifting back the run behind it. */
static void entry_remove(rgc_trace_t *tr, uint64_t j)
{
    uint64_t mask = tr->cap - 1;
    for (uint64_t k = (j + 1) & mask; tr->entries[k].address; k = (k + 1) & mask) {
        uint64_t home = slot_of(tr->entries[k].address, tr->cap);
        /* k's entry may move to j when j lies on its way from home to k. */
        if (((k - home) & mask) >= ((k - j) & mask)) {
            tr->entries[j] = tr->entries[k];
            j = k;
        }
    }
    memset(&tr->entries[j], 0, sizeof tr->entries[j]);
    tr->len--;
}

/* ---- pool slots */

static uint64_t arena_slot(uint64_t base, uint64_t cap)
{
    return mix(base >> RGC_ARENA_SHIFT) & (cap - 1);
}

static rgc_trace_arena_t *arena_probe(rgc_trace_t *tr, uint64_t base)
{
    rgc_trace_arena_t *ta;
    if (!tr->arenas_cap)
        return NULL;
    for (uint64_t j = arena_slot(base, tr->arenas_cap);; j = (j + 1) & (tr->arenas_cap - 1)) {
        ta = tr->arenas[j];
        if (!ta || ta->base == base) {
            if (ta)
                tr->last_arena = ta;
            return ta;
        }
    }
}

static inline rgc_trace_arena_t *arena_find(rgc_trace_t *tr, uint64_t base)
{
    rgc_trace_arena_t *ta = tr->last_arena; /* most blocks are the last one's neighbours */
    if (RGC_LIKELY(ta && ta->base == base))
        return ta;
    return arena_probe(tr, base);
}

static int arenas_grow(rgc_heap_t *h, rgc_trace_t *tr)
{
    uint64_t ncap = tr->arenas_cap ? tr->arenas_cap * 2 : 16;
    rgc_trace_arena_t **na = sys_alloc(h, ncap * sizeof *na);
    if (!na)
        return -1;
    for (uint64_t i = 0; i < tr->arenas_cap; i++) {
        rgc_trace_arena_t *ta = tr->arenas[i];
        if (!ta)
            continue;
        uint64_t j = arena_slot(ta->base, ncap);
        while (na[j])
            j = (j + 1) & (ncap - 1);
        na[j] = ta;
    }
    sys_free(h, tr->arenas, tr->arenas_cap * sizeof *tr->arenas);
    tr->arenas = na;
    tr->arenas_cap = ncap;
    return 0;
}

__attribute__((noinline)) static rgc_trace_arena_t *arena_add(rgc_heap_t *h, rgc_trace_t *tr, uint64_t base)
{
    rgc_trace_arena_t *ta = arena_probe(tr, base);
    if (ta)
        return ta;
    if ((tr->arenas_len + 1) * 2 > tr->arenas_cap && arenas_grow(h, tr) < 0)
        return NULL;
    ta = sys_alloc(h, sizeof *ta);
    if (!ta)
        return NULL;
    ta->base = base;
    uint64_t j = arena_slot(base, tr->arenas_cap);
    while (tr->arenas[j])
        j = (j + 1) & (tr->arenas_cap - 1);
    tr->arenas[j] = ta;
    tr->arenas_len++;
    tr->last_arena = ta;
    return ta;
}

static inline rgc_trace_arena_t *arena_get(rgc_heap_t *h, rgc_trace_t *tr, uint64_t base)
{
    rgc_trace_arena_t *ta = arena_find(tr, base);
    return RGC_LIKELY(ta != NULL) ? ta : arena_add(h, tr, base);
}

static size_t pool_bytes(uint32_t nblocks)
{
    return sizeof(rgc_trace_pool_t) + (size_t)nblocks * sizeof(rgc_trace_slot_t);
}

/* The slot of small block p (a block of an active pool), or NULL when its
 * pool has no slots (for_alloc 0), or they cannot be had.  A pool taken
 * for another size class since its slots were made gets new ones (its
 * traced blocks were all freed before it could change: no trace lost). */
/* A pool's slots made, or made again for its new size class. */
__attribute__((noinline)) static rgc_trace_pool_t *pool_slots_make(rgc_heap_t *h, rgc_trace_pool_t **tpp,
                                                                   rgc_pool_t *pool)
{
    rgc_trace_pool_t *tp = *tpp;
    if (tp) {
        if (h->trace->last_tp == tp)
            h->trace->last_tp = NULL;
        sys_free(h, tp, pool_bytes(tp->nblocks));
    }
    *tpp = tp = sys_alloc(h, pool_bytes(pool->nblocks));
    if (!tp)
        return NULL;
    tp->base = (uint64_t)(uintptr_t)pool->base;
    tp->block_size = pool->block_size;
    tp->nblocks = pool->nblocks;
    pool->traced = 1;
    return tp;
}

static inline __attribute__((always_inline)) rgc_trace_slot_t *slot_of_block(rgc_heap_t *h, rgc_trace_t *tr,
                                                                             const void *p, int for_alloc,
                                                                             rgc_trace_pool_t **pool_out)
{
    uint64_t a = (uint64_t)(uintptr_t)p, base = a & ~(uint64_t)(RGC_ARENA_SIZE - 1);
    rgc_trace_arena_t *ta = for_alloc ? arena_get(h, tr, base) : arena_find(tr, base);
    if (!ta)
        return NULL;
    rgc_pool_t *pool = _rgc_pool_of(p);
    rgc_trace_pool_t **tpp = &ta->pools[(a - base) >> RGC_POOL_SHIFT];
    rgc_trace_pool_t *tp = *tpp;
    if (RGC_UNLIKELY(!tp || tp->block_size != pool->block_size || tp->base != (uint64_t)(uintptr_t)pool->base)) {
        if (!for_alloc || (tp && tp->used))
            return NULL;
        tp = pool_slots_make(h, tpp, pool);
        if (!tp)
            return NULL;
    }
    if (for_alloc)
        pool->traced = 1; /* (an arena given back and mapped again: a new descriptor) */
    uint32_t off = (uint32_t)(a - tp->base);
    uint32_t i = (uint32_t)(((uint64_t)off * _rgc_class_recip[pool->szidx]) >> 32);
    *pool_out = tp;
    if (i >= tp->nblocks)
        return NULL;
    tr->last_tp = tp;
    tr->last_tp_base = tp->base;
    tr->last_tp_span = (uint32_t)tp->nblocks * tp->block_size;
    tr->last_tp_recip = _rgc_class_recip[pool->szidx];
    tr->last_tp_class = pool->szidx;
    return &tp->slots[i];
}

/* The slot of small block a (pool: its descriptor) when a lies in the last
 * pool and that pool still has the class and slots it had; else NULL.  A
 * pool given back and taken again keeps its slots while its class is the
 * same (its descriptor then says `traced` again only once the slow path
 * has seen it: an arena mapped anew has fresh descriptors). */
static inline __attribute__((always_inline)) rgc_trace_slot_t *last_pool_slot(const rgc_trace_t *tr, uint64_t a,
                                                                              const rgc_pool_t *pool)
{
    uint64_t off = a - tr->last_tp_base;
    if (off >= tr->last_tp_span || !tr->last_tp || pool->szidx != tr->last_tp_class || !pool->traced ||
        (uint64_t)(uintptr_t)pool->base != tr->last_tp_base)
        return NULL;
    return &tr->last_tp->slots[(off * tr->last_tp_recip) >> 32];
}

/* How many of an active pool's blocks have a trace (the heap checker
 * holds the pool's RGC_TAG_TRACED to it). */
uint32_t _rgc_trace_pool_used(const rgc_heap_t *h, const rgc_pool_t *pool)
{
    rgc_trace_t *tr = h->trace;
    if (!tr || !tr->arenas_len)
        return 0;
    uint64_t a = (uint64_t)(uintptr_t)pool->base, base = a & ~(uint64_t)(RGC_ARENA_SIZE - 1);
    const rgc_trace_arena_t *ta = arena_probe(tr, base);
    const rgc_trace_pool_t *tp = ta ? ta->pools[(a - base) >> RGC_POOL_SHIFT] : NULL;
    if (!tp || tp->base != a || tp->block_size != pool->block_size)
        return 0;
    return tp->used;
}

/* ---- tracebacks */

static uint32_t tb_hash(const rgc_site_t *site, const uint64_t *frames, uint32_t n)
{
    uint64_t x = mix((uint64_t)(uintptr_t)site + n);
    for (uint32_t i = 0; i < n; i++)
        x = mix(x ^ frames[i]);
    return (uint32_t)x | 1u;
}

static int tb_index_grow(rgc_heap_t *h, rgc_trace_t *tr)
{
    uint64_t ncap = tr->tb_index_cap ? tr->tb_index_cap * 2 : TB_MIN * 2;
    uint32_t *ni = sys_alloc(h, ncap * sizeof *ni);
    if (!ni)
        return -1;
    for (uint32_t n = 1; n <= tr->tb_len; n++) {
        uint64_t j = tb_at(tr, n)->hash & (ncap - 1);
        while (ni[j])
            j = (j + 1) & (ncap - 1);
        ni[j] = n;
    }
    sys_free(h, tr->tb_index, tr->tb_index_cap * sizeof *tr->tb_index);
    tr->tb_index = ni;
    tr->tb_index_cap = ncap;
    return 0;
}

/* The number of the traceback (site, frames), added if new; 0 without
 * memory. */
static uint32_t tb_intern(rgc_heap_t *h, rgc_trace_t *tr, const rgc_site_t *site, const uint64_t *frames,
                          uint32_t n)
{
    uint32_t hash = tb_hash(site, frames, n);
    if (tr->tb_index_cap) {
        for (uint64_t j = hash & (tr->tb_index_cap - 1);; j = (j + 1) & (tr->tb_index_cap - 1)) {
            uint32_t id = tr->tb_index[j];
            if (!id)
                break;
            rgc_traceback_t *tb = tb_at(tr, id);
            if (tb->hash == hash && tb->site == site && tb->nframes == n &&
                memcmp(tb->frames, frames, n * sizeof *frames) == 0)
                return id;
        }
    }
    if (tr->tb_len == tr->tb_cap) {
        uint64_t ncap = tr->tb_cap ? tr->tb_cap * 2 : TB_MIN;
        uint8_t *nt = sys_alloc(h, ncap * tr->tb_stride);
        if (!nt)
            return 0;
        if (tr->tb_len)
            memcpy(nt, tr->tracebacks, tr->tb_len * tr->tb_stride);
        sys_free(h, tr->tracebacks, tr->tb_cap * tr->tb_stride);
        tr->tracebacks = nt;
        tr->tb_cap = ncap;
    }
    if ((tr->tb_len + 1) * 2 > tr->tb_index_cap && tb_index_grow(h, tr) < 0)
        return 0;
    uint32_t id = (uint32_t)++tr->tb_len;
    rgc_traceback_t *tb = tb_at(tr, id);
    tb->site = site;
    tb->nframes = n;
    tb->hash = hash;
    memcpy(tb->frames, frames, n * sizeof *frames);
    uint64_t j = hash & (tr->tb_index_cap - 1);
    while (tr->tb_index[j])
        j = (j + 1) & (tr->tb_index_cap - 1);
    tr->tb_index[j] = id;
    return id;
}

/* The frames of the allocation that returns to pc: pc itself, then the
 * return addresses above it on the stack. */
static uint32_t capture(const rgc_trace_t *tr, const void *pc, uint64_t *frames)
{
    frames[0] = (uint64_t)(uintptr_t)pc;
    if (tr->nframes == 1 || !pc)
        return 1;
    /* The runtime's own frames come first: a few more than asked for. */
    void *buf[RGC_TRACE_MAX_FRAMES + 12];
    int got = backtrace(buf, (int)tr->nframes + 12);
    uint32_t n = 1;
    for (int i = 0; i < got; i++) {
        if (buf[i] != pc)
            continue;
        for (int k = i + 1; k < got && n < tr->nframes; k++)
            frames[n++] = (uint64_t)(uintptr_t)buf[k];
        break;
    }
    return n;
}

/* ---- events */

/* A gap between samples, in bytes: exponential with mean sample_bytes.
 * The countdown is memoryless, so a block of s bytes is traced with
 * probability 1 - exp(-s / sample_bytes) whatever came before it — what
 * the statistics' estimates divide by. */
static int64_t sample_gap(rgc_trace_t *tr)
{
    tr->rng ^= tr->rng << 13;
    tr->rng ^= tr->rng >> 7;
    tr->rng ^= tr->rng << 17;
    double u = (double)((tr->rng >> 11) + 1) * 0x1.0p-53; /* (0, 1] */
    double gap = -log(u) * (double)tr->sample_bytes;
    return gap < 1.0 ? 1 : gap > 0x1.0p62 ? INT64_C(1) << 62 : (int64_t)gap;
}

static int sampled(rgc_trace_t *tr, uint64_t size)
{
    tr->countdown -= (int64_t)size;
    if (tr->countdown > 0)
        return 0;
    /* A fresh gap from here, not from where the countdown went below 0:
     * a large block does not leave a debt that would trace the blocks
     * after it. */
    tr->countdown = sample_gap(tr);
    return 1;
}

__attribute__((noinline)) static void trace_alloc(rgc_heap_t *h, rgc_trace_t *tr, const void *addr,
                                                  uint64_t size, const void *pc, const rgc_site_t *site)
{
    if (tr->sample_bytes && !sampled(tr, size))
        return;
    uint32_t tb;
    if (tr->last_tb && tr->last_pc == (uint64_t)(uintptr_t)pc && tr->last_site == site) {
        tb = tr->last_tb;
    } else {
        uint64_t frames[RGC_TRACE_MAX_FRAMES];
        uint32_t n = capture(tr, pc, frames);
        tb = tb_intern(h, tr, site, frames, n);
        if (!tb)
            return; /* no memory: this block goes untraced */
        /* One frame: the next allocation from the same call site reuses
         * it (with more, the callers' frames may differ). */
        tr->last_tb = tr->nframes == 1 ? tb : 0;
        tr->last_pc = (uint64_t)(uintptr_t)pc;
        tr->last_site = site;
    }
    if (_rgc_in_arena(addr)) {
        rgc_trace_pool_t *tp;
        rgc_trace_slot_t *sl = slot_of_block(h, tr, addr, 1, &tp);
        if (!sl)
            return; /* no memory: this block goes untraced */
        if (sl->traceback) {
            tr->current -= sl->size; /* a block traced twice: freed unseen */
        } else {
            tr->pooled++;
            if (tp->used++ == 0)
                _rgc_pool_of(addr)->tag |= RGC_TAG_TRACED; /* its frees leave the fast path */
        }
        sl->traceback = tb;
        sl->size = (uint32_t)size;
        if (_rgc_pool_of(addr)->kind == RGC_KIND_OBJECT)
            ((rgc_object_t *)(uintptr_t)addr)->flags |= RGC_OF_TRACED;
        tr->current += size;
        if (tr->current > tr->peak)
            tr->peak = tr->current;
        return;
    }
    if ((tr->len + 1) * 2 > tr->cap && entries_grow(h, tr) < 0)
        return;
    uint64_t a = (uint64_t)(uintptr_t)addr;
    uint64_t j = slot_of(a, tr->cap);
    while (tr->entries[j].address && tr->entries[j].address != a)
        j = (j + 1) & (tr->cap - 1);
    rgc_trace_entry_t *e = &tr->entries[j];
    if (e->address) {
        tr->current -= e->size; /* a block traced twice: freed unseen */
    } else {
        tr->len++;
    }
    e->address = a;
    e->size = size;
    e->traceback = tb;
    tr->current += size;
    if (tr->current > tr->peak)
        tr->peak = tr->current;
}

/* The common traced allocation, without a call: everything traced, one
 * frame and the same call site as the last allocation (its traceback
 * reused), a small block of the last pool (last_pool_slot).  Returns 0,
 * having changed nothing, when any of that is not so: trace_alloc then
 * does it all, and its lookup makes the block's pool the last pool. */
static inline __attribute__((always_inline)) int trace_alloc_quick(rgc_trace_t *tr, const void *addr,
                                                                   uint64_t size, const void *pc,
                                                                   const rgc_site_t *site, rgc_pool_t *pool)
{
    if (tr->last_pc != (uint64_t)(uintptr_t)pc || tr->last_site != site || !tr->last_tb || tr->sample_bytes)
        return 0;
    if (!pool) {
        if (!_rgc_in_arena(addr))
            return 0;
        pool = _rgc_pool_of(addr);
    }
    rgc_trace_slot_t *sl = last_pool_slot(tr, (uint64_t)(uintptr_t)addr, pool);
    if (!sl || sl->traceback)
        return 0;
    sl->traceback = tr->last_tb;
    sl->size = (uint32_t)size;
    tr->pooled++;
    if (tr->last_tp->used++ == 0)
        pool->tag |= RGC_TAG_TRACED;
    if (pool->kind == RGC_KIND_OBJECT)
        ((rgc_object_t *)(uintptr_t)addr)->flags |= RGC_OF_TRACED;
    tr->current += size;
    if (tr->current > tr->peak)
        tr->peak = tr->current;
    return 1;
}

void _rgc_trace_alloc_small(rgc_heap_t *h, rgc_trace_t *tr, void *addr, uint64_t size, const void *pc,
                            rgc_pool_t *pool)
{
    if (!trace_alloc_quick(tr, addr, size, pc, NULL, pool))
        trace_alloc(h, tr, addr, size, pc, NULL);
}

/* A traced small block freed (pool: its descriptor): its trace removed. */
void _rgc_trace_free_small(rgc_heap_t *h, rgc_trace_t *tr, const void *addr, rgc_pool_t *pool)
{
    /* A pool without slots has no trace to remove; an object never traced
     * says so in its header. */
    if (!tr->pooled || !pool->traced ||
        (pool->kind == RGC_KIND_OBJECT && !(((const rgc_object_t *)addr)->flags & RGC_OF_TRACED)))
        return;
    rgc_trace_pool_t *tp = tr->last_tp;
    rgc_trace_slot_t *sl = last_pool_slot(tr, (uint64_t)(uintptr_t)addr, pool);
    if (!sl)
        sl = slot_of_block(h, tr, addr, 0, &tp);
    if (sl && sl->traceback) {
        tr->current -= sl->size;
        sl->traceback = 0;
        sl->size = 0;
        tr->pooled--;
        if (--tp->used == 0)
            pool->tag &= ~(uintptr_t)RGC_TAG_TRACED;
    }
}

/* A traced block freed: its trace removed. */
void _rgc_trace_free(rgc_heap_t *h, rgc_trace_t *tr, const void *addr)
{
    if (_rgc_in_arena(addr)) {
        _rgc_trace_free_small(h, tr, addr, _rgc_pool_of(addr));
    } else if (tr->len) {
        rgc_trace_entry_t *e = entry_find(tr, (uint64_t)(uintptr_t)addr);
        if (e) {
            tr->current -= e->size;
            entry_remove(tr, (uint64_t)(e - tr->entries));
        }
    }
}

void _rgc_trace_event(rgc_heap_t *h, uint32_t kind, const void *addr, uint64_t size, const void *pc,
                      const rgc_site_t *site)
{
    rgc_trace_t *tr = h->trace;
    if (kind == RGC_EV_ALLOC) {
        if (!trace_alloc_quick(tr, addr, size, pc, site, NULL))
            trace_alloc(h, tr, addr, size, pc, site);
    } else if (kind == RGC_EV_FREE) {
        _rgc_trace_free(h, tr, addr);
    }
}

/* ---- the API */

static void trace_release(rgc_heap_t *h, rgc_trace_t *tr)
{
    for (uint64_t i = 0; i < tr->arenas_cap; i++) {
        rgc_trace_arena_t *ta = tr->arenas[i];
        if (!ta)
            continue;
        for (uint32_t k = 0; k < RGC_POOLS_PER_ARENA; k++) {
            if (!ta->pools[k])
                continue;
            sys_free(h, ta->pools[k], pool_bytes(ta->pools[k]->nblocks));
            /* The arena may be gone (given back while no slot was in use),
             * or be another heap's now. */
            const void *a = (const void *)(uintptr_t)ta->base;
            if (_rgc_in_arena(a) && _rgc_arena_of(a)->heap == h) {
                _rgc_arena_pools(a)[k].traced = 0;
                _rgc_arena_pools(a)[k].tag &= ~(uintptr_t)RGC_TAG_TRACED;
            }
        }
        sys_free(h, ta, sizeof *ta);
    }
    sys_free(h, tr->arenas, tr->arenas_cap * sizeof *tr->arenas);
    tr->arenas = NULL;
    tr->last_arena = NULL;
    tr->last_tp = NULL;
    tr->arenas_cap = tr->arenas_len = tr->pooled = 0;
    sys_free(h, tr->entries, tr->cap * sizeof *tr->entries);
    sys_free(h, tr->tracebacks, tr->tb_cap * tr->tb_stride);
    sys_free(h, tr->tb_index, tr->tb_index_cap * sizeof *tr->tb_index);
    tr->entries = NULL;
    tr->tracebacks = NULL;
    tr->tb_index = NULL;
    tr->cap = tr->len = tr->tb_len = tr->tb_cap = tr->tb_index_cap = 0;
    tr->current = tr->peak = 0;
    tr->last_tb = 0;
    tr->last_pc = 0;
    tr->last_site = NULL;
}

void _rgc_trace_free_all(rgc_heap_t *h)
{
    rgc_trace_t *tr = h->trace;
    if (!tr)
        return;
    h->trace = NULL;
    trace_release(h, tr);
    if (tr->sample_bytes) {
        h->flags &= ~RGC_HEAP_SAMPLING;
        _rgc_samplers_add(-1);
    } else {
        _rgc_observers_add(-1);
        _rgc_tracers_add(-1);
    }
    sys_free(h, tr, sizeof *tr);
}

int rgc_trace_start(rgc_heap_t *h, unsigned nframes, size_t sample_bytes)
{
    if (!_rgc_heap_ok(h, "rgc_trace_start"))
        return -1;
    if (nframes < 1 || nframes > RGC_TRACE_MAX_FRAMES) {
        _rgc_report(RGC_EINVAL, h, NULL, "rgc_trace_start: %u frames (1 to %u)", nframes, RGC_TRACE_MAX_FRAMES);
        return -1;
    }
    if (sample_bytes > ((uint64_t)1 << 40)) {
        _rgc_report(RGC_EINVAL, h, NULL, "rgc_trace_start: a sample every %zu bytes is too sparse", sample_bytes);
        return -1;
    }
    _rgc_trace_free_all(h);
    rgc_trace_t *tr = sys_alloc(h, sizeof *tr);
    if (!tr) {
        _rgc_report(RGC_ENOMEM, h, NULL, "rgc_trace_start: no memory");
        return -1;
    }
    tr->nframes = nframes;
    tr->tb_stride = sizeof(rgc_traceback_t) + nframes * sizeof(uint64_t);
    tr->sample_bytes = sample_bytes;
    static uint64_t starts;
    tr->rng = mix((uint64_t)(uintptr_t)h ^ mix(__atomic_add_fetch(&starts, 1, __ATOMIC_RELAXED)) ^
                  (uint64_t)(uintptr_t)&nframes) | 1;
    tr->countdown = sample_bytes ? sample_gap(tr) : 0;
    h->trace = tr;
    /* Sampling diverts allocations only: a sampled block's free is caught
     * by its pool's tag or its object's flags (internal.h, rgc_hooks_t). */
    if (sample_bytes) {
        /* The raw allocations see the sample by the heap's flags (the
         * allocation gate stays open), the objects' by the hook words. */
        h->flags |= RGC_HEAP_SAMPLING_ON;
        _rgc_samplers_add(1);
    } else {
        _rgc_observers_add(1);
        _rgc_tracers_add(1);
    }
    return 0;
}

void rgc_trace_stop(rgc_heap_t *h)
{
    if (_rgc_heap_ok(h, "rgc_trace_stop"))
        _rgc_trace_free_all(h);
}

bool rgc_trace_is_tracing(const rgc_heap_t *h)
{
    return h && h->magic == RGC_HEAP_MAGIC && h->trace;
}

unsigned rgc_trace_frame_limit(const rgc_heap_t *h)
{
    return rgc_trace_is_tracing(h) ? h->trace->nframes : 0;
}

void rgc_trace_get_traced_memory(const rgc_heap_t *h, size_t *current, size_t *peak)
{
    const rgc_trace_t *tr = rgc_trace_is_tracing(h) ? h->trace : NULL;
    if (current)
        *current = tr ? (size_t)tr->current : 0;
    if (peak)
        *peak = tr ? (size_t)tr->peak : 0;
}

void rgc_trace_reset_peak(rgc_heap_t *h)
{
    if (rgc_trace_is_tracing(h))
        h->trace->peak = h->trace->current;
}

void rgc_trace_clear(rgc_heap_t *h)
{
    if (rgc_trace_is_tracing(h))
        trace_release(h, h->trace);
}

int rgc_trace_get(const rgc_heap_t *h, const void *ptr, rgc_trace_info_t *out)
{
    if (!rgc_trace_is_tracing(h) || !ptr || !out)
        return -1;
    const rgc_trace_t *tr = h->trace;
    uint32_t number;
    size_t size;
    if (_rgc_in_arena(ptr)) {
        const rgc_pool_t *pool = _rgc_pool_of(ptr);
        if (pool->state != RGC_POOL_ACTIVE || !_rgc_block_start(pool, ptr))
            return -1;
        rgc_trace_pool_t *tp;
        const rgc_trace_slot_t *sl = slot_of_block((rgc_heap_t *)h, (rgc_trace_t *)tr, ptr, 0, &tp);
        if (!sl || !sl->traceback)
            return -1;
        number = sl->traceback;
        size = sl->size;
    } else {
        const rgc_trace_entry_t *e = entry_find(tr, (uint64_t)(uintptr_t)ptr);
        if (!e)
            return -1;
        number = e->traceback;
        size = (size_t)e->size;
    }
    const rgc_traceback_t *tb = tb_at(tr, number);
    memset(out, 0, sizeof *out);
    out->size = size;
    out->site = tb->site;
    out->nframes = tb->nframes;
    for (uint32_t i = 0; i < tb->nframes; i++)
        out->frames[i] = (const void *)(uintptr_t)tb->frames[i];
    return 0;
}
