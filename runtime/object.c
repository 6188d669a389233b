/*
 * object.c — objects: allocation, reference counts, destruction, reference
 * layouts, and membership in the collector's generations.
 *
 * Destruction order when a count reaches zero: the finalizer (once per
 * object; it may resurrect), removal from its generation, weak references
 * cleared and their callbacks run, then every
 * reference of the layout is set to NULL and dropped, then the type's
 * dealloc hook, then the block goes back to its pool.  Chains of
 * destruction deeper than RGC_DEALLOC_DEPTH_MAX are queued and drained by
 * the outermost destruction, so freeing a million-node linked list never
 * overflows the C stack.  A queued object is dead: bytes 8-15 of its header
 * hold the queue link.
 */
#include "internal.h"

#define RGC_DEALLOC_DEPTH_MAX 64u

static inline rgc_heap_t *heap_of(const rgc_object_t *o)
{
    if (RGC_UNLIKELY(o->flags & RGC_OF_LARGE))
        return _rgc_large_of(o)->heap;
    return _rgc_pool_heap(_rgc_pool_of(o));
}

rgc_heap_t *rgc_heap_of(const void *obj)
{
    return obj ? heap_of(obj) : NULL;
}

/* ---- generations: arrays of members for the young ones (gc_index is
 * the slot), header bits and a count for the old ones */

/* Squeezes the holes out of a young generation's array, renumbering the
 * members' slots. */
static void squeeze(rgc_genlist_t *g)
{
    size_t j = 0;
    for (size_t i = 0; i < g->len; i++) {
        rgc_object_t *m = g->items[i];
        if (m) {
            m->gc_index = (uint32_t)j;
            g->items[j++] = m;
        }
    }
    g->len = j;
    g->holes = 0;
    g->limit = g->cap; /* the caller relimits generation 0 */
}

void _rgc_gen_squeeze(rgc_heap_t *h, int gen)
{
    squeeze(&h->gens[gen]);
    if (gen == 0)
        _rgc_gen0_relimit(h);
}

/* Gives back most of a young generation's array when it is far larger
 * than its members need: after a collection empties a generation, its
 * array must not keep a slot per object that once passed through.
 * Generation 0 keeps room for threshold 0, which it will need again. */
void _rgc_gen_trim(rgc_heap_t *h, int gen)
{
    rgc_genlist_t *g = &h->gens[gen];
    if (g->holes)
        squeeze(g);
    size_t keep = 64;
    if (gen == 0 && h->gc.threshold[0] < (size_t)1 << 24)
        while (keep <= h->gc.threshold[0])
            keep *= 2;
    while (keep < 2 * g->len)
        keep *= 2;
    if (g->cap > 2 * keep) {
        rgc_object_t **items = rgc_mem_realloc(h, g->items, keep * sizeof *items);
        if (items) { /* else it simply stays larger */
            g->items = items;
            g->cap = keep;
        }
    }
    g->limit = g->cap;
    if (gen == 0)
        _rgc_gen0_relimit(h);
}

/* Adds o to generation gen.  Returns 0, or -1 when the array cannot grow. */
int _rgc_gen_add(rgc_heap_t *h, rgc_object_t *o, int gen)
{
    if (gen >= RGC_NYOUNG) {
        h->old_count[gen]++;
        o->gc_index = 0;
    } else {
        rgc_genlist_t *g = &h->gens[gen];
        if (gen == 0 && g->len - g->holes >= h->gc.threshold[0] && h->gc.threshold[0] && h->gc.enabled &&
            h->gc.phase == RGC_GC_IDLE) {
            /* Allocations minus deallocations passed threshold 0. */
            _rgc_gc_auto(h);
        }
        if (g->len == g->cap && g->holes >= g->len / 4)
            squeeze(g);
        if (RGC_UNLIKELY(g->len == g->cap)) {
            size_t ncap = g->cap ? g->cap * 2 : 64;
            if (ncap > UINT32_MAX) {
                _rgc_report(RGC_ENOMEM, o, NULL, "generation %d is full", gen);
                return -1;
            }
            rgc_object_t **items = rgc_mem_realloc(h, g->items, ncap * sizeof *items);
            if (!items)
                return -1;
            g->items = items;
            g->cap = ncap;
            g->limit = ncap;
        }
        o->gc_index = (uint32_t)g->len;
        g->items[g->len++] = o;
        if (gen == 0)
            _rgc_gen0_relimit(h);
    }
    o->flags = (o->flags & ~(uint32_t)RGC_OF_GEN_MASK) | (uint32_t)gen | RGC_OF_TRACKED;
    return 0;
}

/* Removes a tracked object from its generation: a young one leaves a hole
 * (or shortens the array when it was the last member). */
static inline void gen_remove(rgc_heap_t *h, rgc_object_t *o)
{
    unsigned gen = o->flags & RGC_OF_GEN_MASK;
    if (gen < RGC_NYOUNG) {
        rgc_genlist_t *g = &h->gens[gen];
        if (o->gc_index + 1 == g->len) {
            g->len--;
        } else {
            g->items[o->gc_index] = NULL;
            g->holes++;
            if (g->limit < g->cap)
                g->limit++; /* a hole moves generation 0's trigger along */
        }
    } else {
        h->old_count[gen]--;
    }
    o->flags &= ~(uint32_t)RGC_OF_TRACKED;
}

void _rgc_gen_remove(rgc_heap_t *h, rgc_object_t *o)
{
    gen_remove(h, o);
}

/* ---- allocation */

/* Zeroes a new small object's block after its header: `chunks` 16-byte
 * chunks, at least one (objects take at least 32-byte blocks).  Objects
 * are a few words long, so the first chunk is written inline. */
static inline void zero_body(uint64_t *w, uint32_t chunks)
{
    w[2] = 0;
    w[3] = 0;
    if (chunks > 1) {
        w[4] = 0;
        w[5] = 0;
        if (chunks > 2) {
            w[6] = 0;
            w[7] = 0;
            if (chunks > 3)
                memset(w + 8, 0, (size_t)(chunks - 3) * 16);
        }
    }
}

/* Allocates and initializes an object of `size` bytes: any size, any type.
 * NULL on failure (already reported).  site: where the caller asked, for
 * the allocation event. */
static void *object_alloc(rgc_heap_t *h, rgc_type_t *t, size_t size, const void *pc, const rgc_site_t *site)
{
    size_t asked = size;
    if (size < 2 * RGC_ALIGN)
        size = 2 * RGC_ALIGN; /* every object block has a body chunk */
    uint64_t *w = _rgc_block_alloc(h, RGC_KIND_OBJECT, size);
    if (RGC_UNLIKELY(!w))
        return NULL;
    rgc_object_t *o = (rgc_object_t *)w;
    if (size > RGC_SMALL_MAX)
        memset(w + 2, 0, size - sizeof *o);
    else
        zero_body(w, (uint32_t)_rgc_size_class(size));
    w[0] = t->hdr0;
    w[1] = 0;
    o->flags = (uint32_t)t->hdr1 | (size > RGC_SMALL_MAX ? RGC_OF_LARGE : 0);
    if (t->is_gc && RGC_UNLIKELY(_rgc_gen_add(h, o, 0) < 0)) {
        _rgc_object_free_block(o);
        return NULL;
    }
    if (_rgc_watching_allocs())
        _rgc_event(h, RGC_EV_ALLOC, o, asked, t->id, pc, site);
    return o;
}

void *_rgc_object_alloc(rgc_heap_t *h, rgc_type_t *t, size_t size)
{
    return object_alloc(h, t, size, __builtin_return_address(0), NULL);
}

static void *new_slow(rgc_heap_t *h, rgc_type_t *t)
{
    if (!h || !t || (t->flags & RGC_TF_VAR)) {
        _rgc_report(RGC_EINVAL, t, t ? t->name : NULL,
                    !h || !t ? "rgc_new: NULL heap or type" : "rgc_new: variable-size type needs rgc_new_var");
        return NULL;
    }
    return _rgc_object_alloc(h, t, t->basic_size);
}

/* rgc_new's miss, its class's head pool having no free block: the block
 * held from a free into a full pool (alloc.c, "The held block"), made the
 * new object as the fast path makes one, else the slow path.  A call of
 * its own, so that the fast path computes nothing for it. */
__attribute__((noinline)) static void *new_miss(rgc_heap_t *h, rgc_type_t *t)
{
    uint32_t c = t->new_class;
    int tracked = c >= RGC_NEW_TRACKED;
    c -= tracked ? RGC_NEW_TRACKED : 0;
    uint64_t *w = h->held[RGC_KIND_OBJECT][c];
    if (!w)
        return new_slow(h, t);
    h->held[RGC_KIND_OBJECT][c] = NULL;
    zero_body(w, c);
    if (!tracked) {
        memcpy(w, &t->hdr0, 16);
        return w;
    }
    rgc_genlist_t *g = &h->gens[0];
    size_t len = g->len; /* below g->limit: rgc_new checked */
    w[0] = t->hdr0;
    w[1] = RGC_OF_TRACKED | RGC_OF_TEARDOWN | ((uint64_t)len << 32);
    g->items[len] = (rgc_object_t *)w;
    g->len = len + 1;
    return w;
}

/* The fast path: a fixed-size small object from the class's current pool,
 * joining generation 0 when its type holds references.  On a miss: the
 * held block or the slow path, or NULL when `watched` (the caller takes
 * the general path then). */
/* new_fast's tracked half: the object joins generation 0. */
static inline __attribute__((always_inline)) void *new_tracked_fast(rgc_heap_t *h, rgc_type_t *t, uint32_t c,
                                                                    int watched)
{
    c -= RGC_NEW_TRACKED;
    if (RGC_LIKELY(c < RGC_NCLASSES)) {
        rgc_pool_t *pool = h->usable[RGC_KIND_OBJECT][c];
        uint64_t *w = pool->free;
        rgc_genlist_t *g = &h->gens[0];
        size_t len = g->len;
        if (RGC_UNLIKELY(len >= g->limit || (watched && !w)))
            return watched ? NULL : new_slow(h, t);
        if (RGC_UNLIKELY(!w))
            return new_miss(h, t);
        pool->free = (void *)w[1];
        pool->nused_flags++;
        zero_body(w, c);
        w[0] = t->hdr0;
        /* flags = generation 0 | tracked (a tracked type has references,
         * so needs teardown); gc_index = slot */
        w[1] = RGC_OF_TRACKED | RGC_OF_TEARDOWN | ((uint64_t)len << 32);
        g->items[len] = (rgc_object_t *)w;
        g->len = len + 1;
        return w;
    }
    return watched ? NULL : new_slow(h, t);
}

/* rgc_new's tracked case, a call of its own (a tail call): the untracked
 * fast path then keeps the heap in its register. */
__attribute__((noinline)) static void *new_tracked(rgc_heap_t *h, rgc_type_t *t, uint32_t c)
{
    return new_tracked_fast(h, t, c, 0);
}

static inline __attribute__((always_inline)) void *new_fast(rgc_heap_t *h, rgc_type_t *t, int watched)
{
    uint32_t c = t->new_class;
    if (RGC_LIKELY(c < RGC_NCLASSES)) {
        rgc_pool_t *pool = h->usable[RGC_KIND_OBJECT][c];
        uint64_t *w = pool->free;
        if (RGC_UNLIKELY(!w))
            return watched ? NULL : new_miss(h, t);
        pool->free = (void *)w[1];
        pool->nused_flags++;
        zero_body(w, c);
        memcpy(w, &t->hdr0, 16); /* hdr0 and hdr1: one 16-byte move */
        return w;
    }
    return watched ? new_tracked_fast(h, t, c, 1) : new_tracked(h, t, c);
}

/* rgc_new with a NULL heap, or while events are reported: the fast path
 * when it has a block at hand, else the general path; the allocation is
 * reported with the caller's return address. */
__attribute__((noinline)) static void *new_watched(rgc_heap_t *h, rgc_type_t *t, void *pc,
                                                   const rgc_site_t *site)
{
    if (!h || !t || (t->flags & RGC_TF_VAR))
        return new_slow(h, t);
    /* Nothing of h's listens (another heap's recorder or trace set the
     * word), or h samples and this one is not to be traced. */
    if (_rgc_sample_skip(h, t->basic_size))
        return new_fast(h, t, 0);
    void *o = new_fast(h, t, 1);
    if (o) {
        /* (A block of a pool: the trace alone is given its pool, when
         * there is no site to note.) */
        if (_rgc_recorder_only(h))
            _rgc_record_small(h, RGC_EV_ALLOC, o, t->basic_size, t->id, pc);
        else if (!site && _rgc_trace_only(h))
            _rgc_trace_alloc_small(h, h->trace, o, t->basic_size, pc, _rgc_pool_of(o));
        else
            _rgc_record(h, RGC_EV_ALLOC, o, t->basic_size, t->id, pc, site);
        return o;
    }
    return object_alloc(h, t, t->basic_size, pc, site);
}

void *rgc_new(rgc_heap_t *h, rgc_type_t *t)
{
    /* A NULL heap, or events to report (see rgc_hooks_t): one compare. */
    if (RGC_UNLIKELY((uintptr_t)h <= RGC_HOOKS_ALLOCS || !t))
        return new_watched(h, t, __builtin_return_address(0), NULL);
    return new_fast(h, t, 0);
}

static void *new_var(rgc_heap_t *h, rgc_type_t *t, size_t nitems, const void *pc, const rgc_site_t *site)
{
    if (!h || !t || !(t->flags & RGC_TF_VAR)) {
        _rgc_report(RGC_EINVAL, t, t ? t->name : NULL,
                    !h || !t ? "rgc_new_var: NULL heap or type" : "rgc_new_var: fixed-size type");
        return NULL;
    }
    if (nitems > (SIZE_MAX - t->basic_size) / t->item_size) {
        _rgc_report(RGC_ENOMEM, t, t->name, "rgc_new_var: %zu items overflow the size", nitems);
        return NULL;
    }
    rgc_object_t *o = object_alloc(h, t, t->basic_size + nitems * t->item_size, pc, site);
    if (o)
        *(size_t *)((char *)o + t->nitems_offset) = nitems;
    return o;
}

void *rgc_new_var(rgc_heap_t *h, rgc_type_t *t, size_t nitems)
{
    return new_var(h, t, nitems, __builtin_return_address(0), NULL);
}

void *rgc_new_var_at(rgc_heap_t *h, rgc_type_t *t, size_t nitems, const rgc_site_t *site)
{
    return new_var(h, t, nitems, __builtin_return_address(0), site);
}

/* rgc_new with the caller's site: the fast path unless events are
 * reported. */
void *rgc_new_at(rgc_heap_t *h, rgc_type_t *t, const rgc_site_t *site)
{
    if (RGC_UNLIKELY((uintptr_t)h <= RGC_HOOKS_ALLOCS))
        return new_watched(h, t, __builtin_return_address(0), site);
    return rgc_new(h, t);
}

/* Returns the block of a dead object to its pool or the large list. */
void _rgc_object_free_block(rgc_object_t *o)
{
    o->refcnt = 0;
    if (_rgc_watching() || (o->flags & RGC_OF_TRACED))
        _rgc_event(heap_of(o), RGC_EV_FREE, o, _rgc_block_size_of(o), o->type_id, NULL, NULL);
    if (o->flags & RGC_OF_LARGE) {
        rgc_large_t *l = _rgc_large_of(o);
        _rgc_large_free(l->heap, l);
        return;
    }
    _rgc_block_free(_rgc_pool_of(o), o);
}

/* ---- reference layouts */

void rgc_visit_refs(const void *obj, rgc_visit_fn visit, void *arg)
{
    if (!obj || !visit)
        return;
    rgc_object_t *o = (rgc_object_t *)obj;
    rgc_type_t *t = _rgc_type_checked(o->type_id);
    if (!t) {
        _rgc_report(RGC_EINVAL, o, NULL, "rgc_visit_refs: not an object (type id %u)", o->type_id);
        return;
    }
    if (t->spec.traverse) {
        t->spec.traverse(o, visit, arg);
        return;
    }
    RGC_FOR_EACH_REF_SLOT(o, t, slot, {
        if (*slot)
            visit(*slot, arg);
    });
}

/* ---- destruction */

/* Drops the references, runs the dealloc hook, frees the block. */
static void teardown(rgc_object_t *o, rgc_type_t *t)
{
    if (!t->spec.traverse)
        _rgc_clear_layout(o, t);
    if (t->spec.dealloc)
        t->spec.dealloc(o);
    _rgc_object_free_block(o);
}

/* Queues a dying object for drain(): the header's bytes 8-15 become the
 * link, its bit 0 whether the object was traced (so that its free still
 * removes the trace). */
static void queue_push(rgc_heap_t *h, rgc_object_t *o)
{
    uintptr_t link = (uintptr_t)h->dealloc_pending | ((o->flags & RGC_OF_TRACED) ? 1u : 0u);
    memcpy(&o->flags, &link, sizeof link);
    h->dealloc_pending = o;
}

/* Tears down the queued objects; depth is held at 1 meanwhile so that
 * their own children queue behind them instead of recursing. */
static void drain(rgc_heap_t *h)
{
    h->dealloc_depth = 1;
    while (h->dealloc_pending) {
        rgc_object_t *q = h->dealloc_pending;
        uintptr_t link;
        memcpy(&link, &q->flags, sizeof link);
        h->dealloc_pending = (rgc_object_t *)(link & ~(uintptr_t)1);
        q->flags = (_rgc_in_arena(q) ? 0 : RGC_OF_LARGE) | ((link & 1u) ? RGC_OF_TRACED : 0);
        q->gc_index = 0;
        teardown(q, _rgc_type(q));
    }
    h->dealloc_depth = 0;
}

/* Destroys an object whose count reached zero (refcnt is 0 on entry). */
static void destroy(rgc_object_t *o, rgc_type_t *t, rgc_heap_t *h)
{
    if (t->spec.finalize && !(o->flags & RGC_OF_FINALIZED)) {
        o->flags |= RGC_OF_FINALIZED;
        o->refcnt = 1; /* alive while its finalizer runs */
        t->spec.finalize(o);
        if (--o->refcnt != 0)
            return; /* resurrected */
    }
    /* Untracked before any callback runs: a collection started by one
     * must not take the dying object for a candidate. */
    if (o->flags & RGC_OF_TRACKED)
        gen_remove(h, o);
    if (o->flags & RGC_OF_WEAKREFED)
        _rgc_weakrefs_on_dealloc(o); /* clears them, then runs callbacks */
    if (h->dealloc_depth >= RGC_DEALLOC_DEPTH_MAX) {
        queue_push(h, o);
        return;
    }
    h->dealloc_depth++;
    teardown(o, t);
    if (--h->dealloc_depth == 0 && RGC_UNLIKELY(h->dealloc_pending != NULL))
        drain(h);
}

/* Reports a decref that found a count of zero: the block is either free
 * (a use after free) or an object whose count was driven below zero. */
static void bad_decref(rgc_object_t *o)
{
    rgc_type_t *t = _rgc_type_checked(o->type_id);
    const char *tn = t ? t->name : NULL;
    int freed = 1;
    if (!(o->flags & RGC_OF_LARGE) && _rgc_in_arena(o)) {
        rgc_pool_t *pool = _rgc_pool_of(o);
        freed = pool->state != RGC_POOL_ACTIVE || pool->kind != RGC_KIND_OBJECT ||
                _rgc_block_is_free(pool, o) || _rgc_pool_heap(pool)->held[RGC_KIND_OBJECT][pool->szidx] == o;
    }
    if (freed)
        _rgc_report(RGC_EFREED, o, tn, "decref of a freed object");
    else
        _rgc_report(RGC_EREFCNT, o, tn, "decref of an object whose count is already zero");
}

/* A decref that found a count other than 1 on the slow path. */
__attribute__((noinline)) static void decref_odd(rgc_object_t *o)
{
    if (o->refcnt == 0)
        bad_decref(o);
    /* else immortal: nothing to do */
}

/* destroy_fields_n's second half, when some referents must die too: drops
 * the references still in their slots (the `dying` bits, by field index)
 * one level deeper, then frees o's block.  Too deep already, o is queued
 * instead, holding only the references not yet dropped: the others were
 * dropped in place, so their slots are cleared first.  Depth and queue
 * work as in destroy(). */
__attribute__((noinline)) static void destroy_children(rgc_object_t *o, rgc_type_t *t, uint64_t dying)
{
    rgc_pool_t *pool = _rgc_pool_of(o);
    rgc_heap_t *h = _rgc_pool_heap(pool);
    char *base = (char *)o;
    o->flags &= ~(uint32_t)RGC_OF_TRACKED; /* code runs before the block is freed */
    if (RGC_UNLIKELY(h->dealloc_depth >= RGC_DEALLOC_DEPTH_MAX)) {
        for (uint32_t i = 0; i < t->n_ref_fields; i++)
            if (!(dying >> i & 1))
                *(rgc_object_t **)(base + t->ref_offsets[i]) = NULL;
        queue_push(h, o);
        return;
    }
    h->dealloc_depth++;
    do {
        unsigned i = (unsigned)__builtin_ctzll(dying);
        dying &= dying - 1;
        rgc_object_t **slot = (rgc_object_t **)(base + t->ref_offsets[i]);
        rgc_object_t *ref = *slot;
        *slot = NULL;
        rgc_decref(ref);
    } while (dying);
    _rgc_block_free(pool, o);
    if (--h->dealloc_depth == 0 && RGC_UNLIKELY(h->dealloc_pending != NULL))
        drain(h);
}

/* Destroys a small object whose type holds at most 64 reference fields and
 * nothing else (no arrays, hooks or finalizer): the usual container node;
 * f is its flags, n its number of fields (a constant in the versions for
 * up to four fields, so the drops are unrolled), contig set when field i
 * is word 2 + i of the object (the references follow the header, in
 * order: no offsets to load).  The common case, where no
 * referent dies with it, calls nothing: it leaves its generation, each
 * referent loses a reference in place, and the block is freed, its slots
 * and flags left as they are (the free overwrites the flags; no code runs
 * in between). */
static inline __attribute__((always_inline)) void destroy_fields_n(rgc_object_t *o, rgc_type_t *t, uint32_t f,
                                                                   uint32_t n, int contig)
{
    rgc_pool_t *pool = _rgc_pool_of(o);
    if (f & RGC_OF_TRACKED) {
        rgc_heap_t *h = _rgc_pool_heap(pool);
        unsigned gen = f & RGC_OF_GEN_MASK;
        if (RGC_LIKELY(gen < RGC_NYOUNG)) {
            /* gen_remove, without clearing the flag */
            rgc_genlist_t *g = &h->gens[gen];
            uint32_t i = o->gc_index;
            if (i + 1 == g->len) {
                g->len = i;
            } else {
                g->items[i] = NULL;
                g->holes++;
                if (g->limit < g->cap)
                    g->limit++;
            }
        } else {
            h->old_count[gen]--;
        }
    }
    char *base = (char *)o;
    const uint32_t *off = t->ref_offsets;
    uint64_t dying = 0;
    /* Field i's referent loses a reference, or is noted when it dies with
     * o: count 1 (dies) or 0 (misuse). */
#pragma GCC unroll 4
    for (uint32_t i = 0; i < n; i++) {
        rgc_object_t *ref = contig ? ((rgc_object_t **)o)[2 + i] : *(rgc_object_t **)(base + off[i]);
        if (ref) {
            uint32_t r = ref->refcnt;
            if (RGC_LIKELY(r - 2u < RGC_REFCNT_IMMORTAL - 2u))
                ref->refcnt = r - 1u;
            else if (r != RGC_REFCNT_IMMORTAL)
                dying |= (uint64_t)1 << i;
        }
    }
    if (RGC_UNLIKELY(dying)) {
        destroy_children(o, t, dying);
        return;
    }
    _rgc_block_free(pool, o);
}

#define DESTROY_FIELDS(n)                                                                          \
    static void destroy_fields_##n(rgc_object_t *o, rgc_type_t *t, uint32_t f)                     \
    {                                                                                              \
        destroy_fields_n(o, t, f, n, 0);                                                           \
    }                                                                                              \
    static void destroy_contig_##n(rgc_object_t *o, rgc_type_t *t, uint32_t f)                     \
    {                                                                                              \
        destroy_fields_n(o, t, f, n, 1);                                                           \
    }
DESTROY_FIELDS(1)
DESTROY_FIELDS(2)
DESTROY_FIELDS(3)
DESTROY_FIELDS(4)
#undef DESTROY_FIELDS

static void destroy_fields_any(rgc_object_t *o, rgc_type_t *t, uint32_t f)
{
    destroy_fields_n(o, t, f, t->n_ref_fields, 0);
}

/* Any object: the general destruction (f unused). */
__attribute__((noinline)) static void destroy_any(rgc_object_t *o, rgc_type_t *t, uint32_t f)
{
    (void)f;
    destroy(o, t, heap_of(o));
}

void (*_rgc_destroy_for(const rgc_type_t *t))(rgc_object_t *, rgc_type_t *, uint32_t)
{
    /* No fields and no hooks is a plain type, which never gets here. */
    static void (*const by_fields[])(rgc_object_t *, rgc_type_t *, uint32_t) = {
        destroy_fields_any, destroy_fields_1, destroy_fields_2, destroy_fields_3, destroy_fields_4,
    };
    static void (*const by_contig[])(rgc_object_t *, rgc_type_t *, uint32_t) = {
        destroy_fields_any, destroy_contig_1, destroy_contig_2, destroy_contig_3, destroy_contig_4,
    };
    if (!t->fields_destroy)
        return destroy_any;
    int contig = t->n_ref_fields < sizeof by_contig / sizeof *by_contig;
    for (uint32_t i = 0; i < t->n_ref_fields && contig; i++)
        contig = t->ref_offsets[i] == sizeof(rgc_object_t) + i * sizeof(rgc_object_t *);
    if (contig && t->n_ref_fields > 0)
        return by_contig[t->n_ref_fields];
    return t->n_ref_fields < sizeof by_fields / sizeof *by_fields ? by_fields[t->n_ref_fields]
                                                                   : destroy_fields_any;
}

/* Count 1 going to 0, nothing to report of it: the destruction.  The
 * common case, a plain small object (no references, hooks or finalizer:
 * no RGC_OF_TEARDOWN), without a call and without looking at its type. */
static inline __attribute__((always_inline)) void decref_destroy(rgc_object_t *o)
{
    o->refcnt = 0;
    uint32_t f = o->flags;
    /* A traced object (a heap that samples) takes the general destruction,
     * whose free removes its trace. */
    if (RGC_LIKELY(!(f & (RGC_OF_TEARDOWN | RGC_OF_LARGE | RGC_OF_TRACKED | RGC_OF_WEAKREFED | RGC_OF_TRACED)))) {
        _rgc_block_free(_rgc_pool_of(o), o);
        return;
    }
    rgc_type_t *t = _rgc_type(o);
    if (RGC_LIKELY(!(f & (RGC_OF_LARGE | RGC_OF_WEAKREFED | RGC_OF_TRACED))))
        t->destroy(o, t, f);
    else
        destroy_any(o, t, f);
}

/* Count 1 going to 0 while events are reported: the event, then the
 * general destruction, whose free of the block is reported too. */
__attribute__((noinline)) static void decref_watched(rgc_object_t *o, const void *pc)
{
    rgc_heap_t *h = heap_of(o);
    /* Nothing of h's listens and no hook is armed: another heap's
     * recorder or trace set the word. */
    if (!h->recorder.cap && !h->trace && !_rgc_runtime.hooks.mask) {
        decref_destroy(o);
        return;
    }
    uint32_t id = o->type_id, f = o->flags;
    if (!(f & (RGC_OF_TEARDOWN | RGC_OF_LARGE | RGC_OF_TRACKED | RGC_OF_WEAKREFED | RGC_OF_TRACED)) &&
        _rgc_trace_only(h)) {
        /* Untraced, and the trace is all that listens: nothing to tell. */
        o->refcnt = 0;
        _rgc_block_free(_rgc_pool_of(o), o);
        return;
    }
    f &= ~(uint32_t)RGC_OF_TRACED;
    if (!(f & (RGC_OF_TEARDOWN | RGC_OF_LARGE | RGC_OF_TRACKED | RGC_OF_WEAKREFED))) {
        /* A plain small object: both reports, then the free.  The
         * recorder alone writes both records at once; the trace alone has
         * nothing to do with the count, and is given the pool. */
        rgc_pool_t *pool = _rgc_pool_of(o);
        if (_rgc_recorder_only(h)) {
            _rgc_record_small(h, RGC_EV_ZERO, o, 0, id, pc);
            _rgc_record_small(h, RGC_EV_FREE, o, pool->block_size, id, NULL);
        } else if (_rgc_trace_only(h)) {
            _rgc_trace_free_small(h, h->trace, o, pool);
        } else {
            _rgc_record(h, RGC_EV_ZERO, o, 0, id, pc, NULL);
            _rgc_record(h, RGC_EV_FREE, o, pool->block_size, id, NULL, NULL);
        }
        o->refcnt = 0;
        _rgc_block_free(pool, o);
        return;
    }
    _rgc_event(h, RGC_EV_ZERO, o, 0, id, pc, NULL);
    o->refcnt = 0;
    destroy_any(o, _rgc_type(o), f);
}

/* Count 1 going to 0. */
void _rgc_decref_slow(rgc_object_t *o)
{
    /* One compare for both rare cases: `any` is 1 while nothing listens,
     * so a count other than 1 (a misuse, an immortal object) or anything
     * listening leaves here. */
    if (RGC_UNLIKELY((uint64_t)o->refcnt != RGC_HOOKS_ANY)) {
        if (o->refcnt != 1)
            decref_odd(o);
        else
            decref_watched(o, __builtin_return_address(0));
        return;
    }
    decref_destroy(o);
}

/* Frees an object the collector has finished with: count 1 (its hold),
 * finalizer run or absent, weak references cleared, untracked, and its
 * layout's references already dropped.  A plain small block goes straight
 * back to its pool; anything else takes the ordinary destruction. */
void _rgc_object_free_cleared(rgc_object_t *o)
{
    rgc_type_t *t = _rgc_type(o);
    /* A finalizer may have made new weak references to it meanwhile. */
    if (!(o->flags & (RGC_OF_LARGE | RGC_OF_WEAKREFED | RGC_OF_TRACED)) && t->fields_only && !_rgc_watching()) {
        o->refcnt = 0;
        _rgc_block_free(_rgc_pool_of(o), o);
        return;
    }
    o->flags &= ~(uint32_t)RGC_OF_SCRATCH_MASK;
    rgc_decref(o);
}

/* ---- queries */

uint32_t rgc_refcount(const void *obj)
{
    return obj ? ((const rgc_object_t *)obj)->refcnt : 0;
}

/* The size of the block holding an object: its size class, or for a large
 * object its bytes plus the large-block header. */
size_t _rgc_block_size_of(const void *p)
{
    const rgc_object_t *o = p;
    if (o->flags & RGC_OF_LARGE)
        return _rgc_large_of(o)->size + RGC_LARGE_HDR;
    return _rgc_pool_of(o)->block_size;
}

size_t rgc_sizeof(const void *obj)
{
    if (!obj)
        return 0;
    const rgc_object_t *o = obj;
    rgc_type_t *t = _rgc_type_checked(o->type_id);
    if (!t) {
        _rgc_report(RGC_EINVAL, o, NULL, "rgc_sizeof: not an object (type id %u)", o->type_id);
        return 0;
    }
    size_t n = _rgc_block_size_of(o);
    if (t->spec.extra_size)
        n += t->spec.extra_size(o);
    return n;
}

void rgc_immortalize(void *obj)
{
    if (!obj)
        return;
    rgc_object_t *o = obj;
    o->refcnt = RGC_REFCNT_IMMORTAL;
    o->flags |= RGC_OF_IMMORTAL;
}

bool rgc_is_immortal(const void *obj)
{
    return obj && ((const rgc_object_t *)obj)->refcnt == RGC_REFCNT_IMMORTAL;
}

bool rgc_is_tracked(const void *obj)
{
    return obj && (((const rgc_object_t *)obj)->flags & RGC_OF_TRACKED);
}

void rgc_track(void *obj)
{
    rgc_object_t *o = obj;
    if (!o || (o->flags & RGC_OF_TRACKED))
        return;
    rgc_type_t *t = _rgc_type_checked(o->type_id);
    if (!t || !t->is_gc) {
        _rgc_report(RGC_EMISUSE, o, t ? t->name : NULL, "rgc_track: type holds no references");
        return;
    }
    _rgc_gen_add(heap_of(o), o, 0);
}

void rgc_untrack(void *obj)
{
    rgc_object_t *o = obj;
    if (o && (o->flags & RGC_OF_TRACKED))
        _rgc_gen_remove(heap_of(o), o);
}

int rgc_generation(const void *obj)
{
    const rgc_object_t *o = obj;
    if (!o || !(o->flags & RGC_OF_TRACKED))
        return -1;
    return (int)(o->flags & RGC_OF_GEN_MASK);
}

size_t rgc_generation_size(const rgc_heap_t *h, int gen)
{
    if (!h || gen < 0 || gen >= RGC_NGENS)
        return 0;
    return _rgc_gen_len(h, gen);
}
