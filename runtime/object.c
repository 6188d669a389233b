/*
 * object.c — objects: allocation, reference counts, destruction, reference
 * layouts, and membership in the collector's generations.
 *
 * Destruction order when a count reaches zero: the finalizer (once per
 * object; it may resurrect), removal from its generation, then every
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
    return _rgc_pool_of(o)->heap;
}

rgc_heap_t *rgc_heap_of(const void *obj)
{
    return obj ? heap_of(obj) : NULL;
}

/* ---- generations: arrays of members; gc_index is the slot */

/* Adds o to generation gen.  Returns 0, or -1 when the array cannot grow. */
int _rgc_gen_add(rgc_heap_t *h, rgc_object_t *o, int gen)
{
    rgc_genlist_t *g = &h->gens[gen];
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
    }
    o->gc_index = (uint32_t)g->len;
    g->items[g->len++] = o;
    o->flags = (o->flags & ~(uint32_t)RGC_OF_GEN_MASK) | (uint32_t)gen | RGC_OF_TRACKED;
    return 0;
}

/* Removes a tracked object from its generation (swap with the last). */
void _rgc_gen_remove(rgc_heap_t *h, rgc_object_t *o)
{
    rgc_genlist_t *g = &h->gens[o->flags & RGC_OF_GEN_MASK];
    rgc_object_t *last = g->items[--g->len];
    g->items[o->gc_index] = last;
    last->gc_index = o->gc_index;
    o->flags &= ~(uint32_t)RGC_OF_TRACKED;
}

/* ---- allocation */

void *_rgc_object_alloc(rgc_heap_t *h, rgc_type_t *t, size_t size)
{
    rgc_object_t *o = _rgc_block_alloc(h, RGC_KIND_OBJECT, size);
    if (RGC_UNLIKELY(!o))
        return NULL;
    uint64_t *w = (uint64_t *)o;
    size_t nwords = (size + 7) / 8;
    for (size_t i = 2; i < nwords; i++)
        w[i] = 0;
    o->refcnt = 1;
    o->type_id = t->id;
    o->flags = size > RGC_SMALL_MAX ? RGC_OF_LARGE : 0;
    o->gc_index = 0;
    if (t->is_gc && RGC_UNLIKELY(_rgc_gen_add(h, o, 0) < 0)) {
        _rgc_object_free_block(o);
        return NULL;
    }
    h->objects++;
    return o;
}

void *rgc_new(rgc_heap_t *h, rgc_type_t *t)
{
    if (RGC_UNLIKELY(!h || !t || (t->flags & RGC_TF_VAR))) {
        _rgc_report(RGC_EINVAL, t, t ? t->name : NULL,
                    !h || !t ? "rgc_new: NULL heap or type" : "rgc_new: variable-size type needs rgc_new_var");
        return NULL;
    }
    return _rgc_object_alloc(h, t, t->basic_size);
}

void *rgc_new_var(rgc_heap_t *h, rgc_type_t *t, size_t nitems)
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
    rgc_object_t *o = _rgc_object_alloc(h, t, t->basic_size + nitems * t->item_size);
    if (o)
        *(size_t *)((char *)o + t->nitems_offset) = nitems;
    return o;
}

/* Returns the block of a dead object to its pool or the large list. */
void _rgc_object_free_block(rgc_object_t *o)
{
    o->refcnt = 0;
    if (o->flags & RGC_OF_LARGE) {
        rgc_large_t *l = _rgc_large_of(o);
        _rgc_large_free(l->heap, l);
        return;
    }
    _rgc_block_free(_rgc_pool_of(o), o);
}

/* ---- reference layouts */

/* Calls fn(slot) for every reference slot of o's layout. */
#define FOR_EACH_SLOT(o, t, slot, body)                                                        \
    do {                                                                                       \
        char *base_ = (char *)(o);                                                             \
        for (uint32_t i_ = 0; i_ < (t)->n_ref_fields; i_++) {                                  \
            rgc_object_t **slot = (rgc_object_t **)(base_ + (t)->ref_fields[i_].offset);       \
            body;                                                                              \
        }                                                                                      \
        for (uint32_t i_ = 0; i_ < (t)->n_ref_arrays; i_++) {                                  \
            const rgc_ref_array_t *a_ = &(t)->ref_arrays[i_];                                  \
            char *el_ = a_->ptr_offset == RGC_REFS_INLINE ? base_ + (t)->basic_size            \
                                                          : *(char **)(base_ + a_->ptr_offset); \
            size_t n_ = *(size_t *)(base_ + a_->len_offset);                                   \
            if (!el_)                                                                          \
                continue;                                                                      \
            for (size_t j_ = 0; j_ < n_; j_++) {                                               \
                rgc_object_t **slot = (rgc_object_t **)(el_ + j_ * a_->stride + a_->ref_offset); \
                body;                                                                          \
            }                                                                                  \
        }                                                                                      \
    } while (0)

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
    FOR_EACH_SLOT(o, t, slot, {
        if (*slot)
            visit(*slot, arg);
    });
}

/* Sets every reference of the layout to NULL and drops it. */
static void clear_refs(rgc_object_t *o, rgc_type_t *t)
{
    FOR_EACH_SLOT(o, t, slot, {
        rgc_object_t *ref = *slot;
        if (ref) {
            *slot = NULL;
            rgc_decref(ref);
        }
    });
}

/* ---- destruction */

static void teardown(rgc_heap_t *h, rgc_object_t *o)
{
    rgc_type_t *t = _rgc_type(o);
    if (!t->spec.traverse)
        clear_refs(o, t);
    if (t->spec.dealloc)
        t->spec.dealloc(o);
    h->objects--;
    _rgc_object_free_block(o);
}

/* Destroys an object whose count reached zero (refcnt is 0 on entry). */
static void destroy(rgc_object_t *o)
{
    rgc_heap_t *h = heap_of(o);
    rgc_type_t *t = _rgc_type(o);
    if (t->spec.finalize && !(o->flags & RGC_OF_FINALIZED)) {
        o->flags |= RGC_OF_FINALIZED;
        o->refcnt = 1; /* alive while its finalizer runs */
        t->spec.finalize(o);
        if (--o->refcnt != 0)
            return; /* resurrected */
    }
    if (o->flags & RGC_OF_TRACKED)
        _rgc_gen_remove(h, o);
    if (h->dealloc_depth >= RGC_DEALLOC_DEPTH_MAX) {
        /* Queue it; the header's bytes 8-15 become the link. */
        memcpy(&o->flags, &h->dealloc_pending, sizeof(rgc_object_t *));
        h->dealloc_pending = o;
        return;
    }
    h->dealloc_depth++;
    teardown(h, o);
    if (h->dealloc_depth == 1) {
        while (h->dealloc_pending) {
            rgc_object_t *q = h->dealloc_pending;
            memcpy(&h->dealloc_pending, &q->flags, sizeof(rgc_object_t *));
            q->flags = _rgc_in_arena(q) ? 0 : RGC_OF_LARGE;
            q->gc_index = 0;
            teardown(h, q);
        }
    }
    h->dealloc_depth--;
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
                _rgc_block_is_free(pool, o);
    }
    if (freed)
        _rgc_report(RGC_EFREED, o, tn, "decref of a freed object");
    else
        _rgc_report(RGC_EREFCNT, o, tn, "decref of an object whose count is already zero");
}

void _rgc_decref_slow(rgc_object_t *o)
{
    uint32_t r = o->refcnt;
    if (r == RGC_REFCNT_IMMORTAL)
        return;
    if (RGC_UNLIKELY(r == 0)) {
        bad_decref(o);
        return;
    }
    o->refcnt = 0;
    destroy(o);
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
    return h->gens[gen].len;
}
