/*
 * gcmodule.c — the gc-module API around the collector (gc.c): enable and
 * thresholds, counts and statistics, freeze, the objects of a generation,
 * referrers and referents, callbacks, debug flags and gc.garbage; and the
 * walk over the old generations' members, which live in no list.
 */
#include "builtins.h"

/* ---- walking every tracked object of the old generations */

/* Calls fn(o, arg) on every live object of the heap whose header says it
 * is tracked in generation gen (-1: any tracked object); stops when fn
 * returns non-zero.  Live pool blocks are those below the pool's carve
 * mark whose count is not 0 (free blocks of list pools have count 0), not
 * free in a bitmap pool's map and not in a page given back. */
size_t _rgc_gc_walk_ex(rgc_heap_t *h, int gen, rgc_object_fn fn, void *arg, int *stopped)
{
    size_t n = 0;
    *stopped = 1;
    /* Oldest arena first: allocation order, which is how references tend
     * to point, so a full collection meets roots before what they hold. */
    for (rgc_arena_t *a = _rgc_oldest_arena(h); a; a = a->prev) {
        rgc_pool_t *pools = _rgc_arena_pools(a);
        for (uint32_t i = 0; i < RGC_POOLS_PER_ARENA; i++) {
            rgc_pool_t *p = &pools[i];
            /* (the header pool's state is RGC_POOL_HEADER) */
            if (p->state != RGC_POOL_ACTIVE || p->kind != RGC_KIND_OBJECT)
                continue;
            char *b = p->base, *end = p->base + (size_t)p->bump * p->block_size;
            /* Bitmap pools: free blocks hold anything.  Blocks in pages
             * given back are not read. */
            uint64_t freem = p->freemap; /* 0 in list pools */
            for (uint32_t k = 0; b < end; b += p->block_size, k++) {
                rgc_object_t *o = (rgc_object_t *)b;
                if ((p->holes && _rgc_block_in_hole(p, k)) || o->refcnt == 0 ||
                    (!(o->flags & RGC_OF_TRACKED) && gen != RGC_WALK_ALL) || ((freem >> (k & 63)) & 1))
                    continue;
                if (gen >= 0 && (int)(o->flags & RGC_OF_GEN_MASK) != gen)
                    continue;
                n++;
                if (fn(o, arg))
                    return n;
            }
        }
    }
    for (rgc_large_t *l = h->large.next; l != &h->large; l = l->next) {
        rgc_object_t *o = (rgc_object_t *)(l + 1);
        if (l->kind != RGC_KIND_OBJECT || (!(o->flags & RGC_OF_TRACKED) && gen != RGC_WALK_ALL))
            continue;
        if (gen >= 0 && (int)(o->flags & RGC_OF_GEN_MASK) != gen)
            continue;
        n++;
        if (fn(o, arg))
            return n;
    }
    *stopped = 0;
    return n;
}

size_t _rgc_gc_walk(rgc_heap_t *h, int gen, rgc_object_fn fn, void *arg)
{
    int stopped;
    return _rgc_gc_walk_ex(h, gen, fn, arg, &stopped);
}

size_t rgc_heap_objects(rgc_heap_t *h, rgc_object_fn fn, void *arg)
{
    if (!h || !fn) {
        _rgc_report(RGC_EINVAL, h, NULL, "rgc_heap_objects: NULL argument");
        return 0;
    }
    return _rgc_gc_walk(h, RGC_WALK_ALL, fn, arg);
}

/* ---- the gc module */

void rgc_gc_enable(rgc_heap_t *h)
{
    if (h) {
        h->gc.enabled = 1;
        _rgc_gen0_relimit(h);
    }
}

void rgc_gc_disable(rgc_heap_t *h)
{
    if (h) {
        h->gc.enabled = 0;
        _rgc_gen0_relimit(h);
    }
}

bool rgc_gc_is_enabled(const rgc_heap_t *h)
{
    return h && h->gc.enabled;
}

void rgc_gc_get_count(const rgc_heap_t *h, size_t count[3])
{
    if (!h || !count)
        return;
    count[0] = _rgc_gen_len(h, 0);
    count[1] = h->gc.count[1];
    count[2] = h->gc.count[2];
}

void rgc_gc_get_threshold(const rgc_heap_t *h, size_t threshold[3])
{
    if (!h || !threshold)
        return;
    memcpy(threshold, h->gc.threshold, sizeof h->gc.threshold);
}

void rgc_gc_set_threshold(rgc_heap_t *h, size_t t0, size_t t1, size_t t2)
{
    if (!h)
        return;
    h->gc.threshold[0] = t0;
    h->gc.threshold[1] = t1;
    h->gc.threshold[2] = t2;
    _rgc_gen0_relimit(h);
}

void rgc_gc_get_stats(const rgc_heap_t *h, rgc_gc_gen_stats_t stats[3])
{
    if (h && stats)
        memcpy(stats, h->gc.stats, sizeof h->gc.stats);
}

static int move_to_permanent(rgc_object_t *o, void *arg)
{
    rgc_heap_t *h = arg;
    h->old_count[o->flags & RGC_OF_GEN_MASK]--;
    o->flags = (o->flags & ~(uint32_t)RGC_OF_GEN_MASK) | RGC_GC_PERMANENT;
    h->old_count[RGC_GC_PERMANENT]++;
    return 0;
}

void rgc_gc_freeze(rgc_heap_t *h)
{
    if (!h || h->gc.phase != RGC_GC_IDLE)
        return;
    for (int y = 0; y < RGC_NYOUNG; y++) {
        rgc_genlist_t *gl = &h->gens[y];
        for (size_t i = 0; i < gl->len; i++) {
            rgc_object_t *o = gl->items[i];
            if (o) {
                o->flags = (o->flags & ~(uint32_t)RGC_OF_GEN_MASK) | RGC_GC_PERMANENT;
                o->gc_index = 0;
                h->old_count[RGC_GC_PERMANENT]++;
            }
        }
        gl->len = gl->holes = 0;
    }
    _rgc_gc_walk(h, 2, move_to_permanent, h);
    h->gc.long_lived_total = h->gc.long_lived_pending = 0;
    _rgc_gen0_relimit(h);
}

static int move_to_old(rgc_object_t *o, void *arg)
{
    rgc_heap_t *h = arg;
    o->flags = (o->flags & ~(uint32_t)RGC_OF_GEN_MASK) | 2u;
    h->old_count[RGC_GC_PERMANENT]--;
    h->old_count[2]++;
    return 0;
}

void rgc_gc_unfreeze(rgc_heap_t *h)
{
    if (!h || h->gc.phase != RGC_GC_IDLE)
        return;
    _rgc_gc_walk(h, RGC_GC_PERMANENT, move_to_old, h);
}

size_t rgc_gc_get_freeze_count(const rgc_heap_t *h)
{
    return h ? h->old_count[RGC_GC_PERMANENT] : 0;
}

size_t rgc_gc_get_objects(rgc_heap_t *h, int gen, rgc_object_fn fn, void *arg)
{
    if (!h || !fn || gen < -1 || gen > RGC_GC_PERMANENT)
        return 0;
    size_t n = 0;
    for (int y = 0; y < RGC_NYOUNG; y++) {
        if (gen != -1 && gen != y)
            continue;
        rgc_genlist_t *gl = &h->gens[y];
        for (size_t i = 0; i < gl->len; i++) {
            if (!gl->items[i])
                continue;
            n++;
            if (fn(gl->items[i], arg))
                return n;
        }
    }
    if (gen == -1) {
        int stopped = 0;
        for (int y = 2; y <= RGC_GC_PERMANENT && !stopped; y++)
            n += _rgc_gc_walk_ex(h, y, fn, arg, &stopped);
        return n;
    }
    if (gen >= 2)
        n += _rgc_gc_walk(h, gen, fn, arg);
    return n;
}

typedef struct referrers_ctx {
    const void *target;
    rgc_object_fn fn;
    void *arg;
    size_t found;
    int hit;
} referrers_ctx_t;

static void referrer_visit(rgc_object_t *r, void *arg)
{
    referrers_ctx_t *c = arg;
    if (r == c->target)
        c->hit = 1;
}

static int referrer_check(rgc_object_t *o, void *arg)
{
    referrers_ctx_t *c = arg;
    c->hit = 0;
    rgc_visit_refs(o, referrer_visit, c);
    if (c->hit) {
        c->found++;
        if (c->fn)
            return c->fn(o, c->arg);
    }
    return 0;
}

size_t rgc_gc_get_referrers(rgc_heap_t *h, const void *obj, rgc_object_fn fn, void *arg)
{
    if (!h || !obj)
        return 0;
    referrers_ctx_t c = {obj, fn, arg, 0, 0};
    rgc_gc_get_objects(h, -1, referrer_check, &c);
    return c.found;
}

typedef struct referents_ctx {
    rgc_object_fn fn;
    void *arg;
    size_t n;
} referents_ctx_t;

static void referent_visit(rgc_object_t *r, void *arg)
{
    referents_ctx_t *c = arg;
    c->n++;
    if (c->fn)
        c->fn(r, c->arg);
}

size_t rgc_gc_get_referents(const void *obj, rgc_object_fn fn, void *arg)
{
    referents_ctx_t c = {fn, arg, 0};
    if (obj)
        rgc_visit_refs(obj, referent_visit, &c);
    return c.n;
}

bool rgc_gc_is_finalized(const void *obj)
{
    return obj && (((const rgc_object_t *)obj)->flags & RGC_OF_FINALIZED);
}

int rgc_gc_callback_add(rgc_heap_t *h, rgc_gc_callback_fn fn, void *arg)
{
    if (!h || !fn) {
        _rgc_report(RGC_EINVAL, h, NULL, "rgc_gc_callback_add: NULL heap or function");
        return -1;
    }
    if (h->gc.ncallbacks == RGC_GC_MAX_CALLBACKS) {
        _rgc_report(RGC_EMISUSE, h, NULL, "rgc_gc_callback_add: %d callbacks already", RGC_GC_MAX_CALLBACKS);
        return -1;
    }
    h->gc.callbacks[h->gc.ncallbacks].fn = fn;
    h->gc.callbacks[h->gc.ncallbacks].arg = arg;
    h->gc.ncallbacks++;
    return 0;
}

int rgc_gc_callback_remove(rgc_heap_t *h, rgc_gc_callback_fn fn, void *arg)
{
    if (!h)
        return -1;
    for (size_t i = 0; i < h->gc.ncallbacks; i++) {
        if (h->gc.callbacks[i].fn == fn && h->gc.callbacks[i].arg == arg) {
            memmove(&h->gc.callbacks[i], &h->gc.callbacks[i + 1],
                    (h->gc.ncallbacks - i - 1) * sizeof h->gc.callbacks[0]);
            h->gc.ncallbacks--;
            return 0;
        }
    }
    return -1;
}

void rgc_gc_set_debug(rgc_heap_t *h, unsigned flags)
{
    if (h)
        h->gc.debug = flags;
}

unsigned rgc_gc_get_debug(const rgc_heap_t *h)
{
    return h ? h->gc.debug : 0;
}

void *rgc_gc_garbage(rgc_heap_t *h)
{
    if (!h)
        return NULL;
    if (!h->gc.garbage) {
        h->gc.garbage = rgc_list_new(h, 0);
        if (h->gc.garbage)
            rgc_untrack(h->gc.garbage);
    }
    return h->gc.garbage;
}
