/*
 * gc.c — the cycle collector: three generations plus a permanent one,
 * automatic collection by thresholds, PEP 442 finalizers, uncollectable
 * legacy-finalizer cycles, and the API of Python's gc module.
 *
 * Membership: generations 0 and 1 are arrays of members (object.c); the
 * members of generations 2 and 3 are known by their header bits and found
 * by walking the pools.  A collection of generation N:
 *
 *   gather    every tracked object of generations <= N goes into one
 *             candidate array and is flagged CANDIDATE (and untracked for
 *             the time of the collection); gc_index counts the references
 *             it receives from candidates, following the same reference
 *             layouts a debugger reads (or the type's traverse hook) — for
 *             a full collection in the same walk over the pools;
 *   reach     a candidate with more references than that is held from
 *             outside: it and everything it reaches survive and move up a
 *             generation (a scan with an explicit stack);
 *   finalize  the rest is garbage, held by the collector: cycles through a
 *             legacy finalizer go to the garbage list, weak references to
 *             garbage are cleared (callbacks only for weakrefs that are not
 *             garbage themselves), finalizers run once, and what they
 *             resurrected is found by the same count-and-reach pass;
 *   clear     references of the garbage are dropped, then the collector's
 *             holds, which frees it.
 *
 * The phase, the generation and the candidate array live in the heap's gc
 * state, so a debugger stopped in the middle of a collection can tell.
 */
#include "builtins.h"
#include "weakref.h"

#include <time.h>

#define CAND RGC_OF_GC_CANDIDATE
#define PREFETCH_AHEAD 16 /* candidates: headers are fetched this far ahead */
#define REACH RGC_OF_GC_REACHABLE
#define ASIDE RGC_OF_GC_ASIDE

static uint64_t now_ns(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (uint64_t)ts.tv_sec * 1000000000u + (uint64_t)ts.tv_nsec;
}

void _rgc_gc_init(rgc_heap_t *h)
{
    rgc_gc_state_t *g = &h->gc;
    g->enabled = 1;
    g->generation = -1;
    g->threshold[0] = 700;
    g->threshold[1] = 10;
    g->threshold[2] = 10;
    _rgc_gen0_relimit(h);
}

/* ---- references, for the collector's passes */

/* Calls body with `ref` bound to each non-NULL reference of o; types with a
 * traverse hook go through visit_fn/visit_arg. */
#define EACH_REF(o, t, ref, visit_fn, visit_arg, body)                                          \
    do {                                                                                       \
        if ((t)->spec.traverse) {                                                              \
            (t)->spec.traverse((o), (visit_fn), (visit_arg));                                  \
            break;                                                                             \
        }                                                                                      \
        RGC_FOR_EACH_REF_SLOT(o, t, slot_, {                                                   \
            rgc_object_t *ref = *slot_;                                                        \
            if (ref) {                                                                         \
                body;                                                                          \
            }                                                                                  \
        });                                                                                    \
    } while (0)

/* EACH_REF with a fast path for the usual type, whose references are all
 * in fields: no hook check, no array loop. */
#define EACH_REF_FAST(o, t, ref, visit_fn, visit_arg, body)                                     \
    do {                                                                                       \
        if (RGC_LIKELY((t)->fields_only)) {                                                    \
            char *fbase_ = (char *)(o);                                                        \
            for (const uint32_t *foff_ = (t)->ref_offsets, *fend_ = foff_ + (t)->n_ref_fields; \
                 foff_ < fend_; foff_++) {                                                     \
                rgc_object_t *ref = *(rgc_object_t **)(fbase_ + *foff_);                       \
                if (ref) {                                                                     \
                    body;                                                                      \
                }                                                                              \
            }                                                                                  \
        } else {                                                                               \
            EACH_REF(o, t, ref, visit_fn, visit_arg, body);                                    \
        }                                                                                      \
    } while (0)

/* EACH_REF_FAST for small bodies, with the usual one to four fields
 * unrolled (visited last first): no loop control per field. */
#define EACH_REF_UNROLLED(o, t, ref, visit_fn, visit_arg, body)                                 \
    do {                                                                                       \
        if (RGC_LIKELY((t)->fields_only && (t)->n_ref_fields <= 4)) {                          \
            char *ubase_ = (char *)(o);                                                        \
            const uint32_t *uoff_ = (t)->ref_offsets;                                          \
            rgc_object_t *ref;                                                                 \
            switch ((t)->n_ref_fields) {                                                       \
            case 4:                                                                            \
                if ((ref = *(rgc_object_t **)(ubase_ + uoff_[3])) != NULL) {                   \
                    body;                                                                      \
                }                                                                              \
                /* fall through */                                                             \
            case 3:                                                                            \
                if ((ref = *(rgc_object_t **)(ubase_ + uoff_[2])) != NULL) {                   \
                    body;                                                                      \
                }                                                                              \
                /* fall through */                                                             \
            case 2:                                                                            \
                if ((ref = *(rgc_object_t **)(ubase_ + uoff_[1])) != NULL) {                   \
                    body;                                                                      \
                }                                                                              \
                /* fall through */                                                             \
            case 1:                                                                            \
                if ((ref = *(rgc_object_t **)(ubase_ + uoff_[0])) != NULL) {                   \
                    body;                                                                      \
                }                                                                              \
                /* fall through */                                                             \
            default:                                                                           \
                break;                                                                         \
            }                                                                                  \
        } else {                                                                               \
            EACH_REF_FAST(o, t, ref, visit_fn, visit_arg, body);                               \
        }                                                                                      \
    } while (0)

/* ---- reachability: a scan with an explicit stack (as deep as the
 * candidates at most; allocated with them) */

typedef struct sweep {
    rgc_heap_t *h;
    rgc_object_t **stack;
    size_t top;
    size_t reached;      /* objects act was applied to ... */
    size_t aside_reached;/* ... of which set aside before */
    void (*act)(struct sweep *, rgc_object_t *);
    int target; /* generation for survivors */
} sweep_t;

typedef void (*act_fn)(sweep_t *, rgc_object_t *);
static void act_survive(sweep_t *s, rgc_object_t *o);
static void act_keep(sweep_t *s, rgc_object_t *o);
static void act_resurrect(sweep_t *s, rgc_object_t *o);

/* Marks r reached (act clears its CANDIDATE flag) and pushes it. */
static inline __attribute__((always_inline)) void reach_one(sweep_t *s, rgc_object_t *r, act_fn act)
{
    if (!(r->flags & CAND))
        return;
    s->aside_reached += (r->flags & ASIDE) != 0;
    act(s, r);
    s->reached++;
    s->stack[s->top++] = r;
}

static void reach_visit(rgc_object_t *r, void *arg)
{
    sweep_t *s = arg;
    if (r)
        reach_one(s, r, s->act);
}

/*
 * Within cand[0..n) (all flagged CANDIDATE), applies act to every object
 * is_root selects and to everything reachable from those through
 * candidates; act must clear the CANDIDATE flag.  The objects left are
 * compacted to the front; returns how many.  Inlined at each use so that
 * act and is_root are direct calls.
 */
static inline __attribute__((always_inline)) size_t sweep_reachable_ex(sweep_t *s, rgc_object_t **cand, size_t n,
                                                                      int (*is_root)(const rgc_object_t *),
                                                                      act_fn act, int compact)
{
    /* The counters live in locals: the sweep's own writes (a survivor's
     * generation count) could otherwise alias them. */
    rgc_object_t **stack = s->stack;
    size_t top = 0, reached = 0, aside_reached = 0, w = 0;
    /* Prefetching pays only when the candidates do not fit the caches. */
    size_t pf_end = n > 4096 ? n - PREFETCH_AHEAD : 0;
    s->act = act;
#define REACH_ONE(r)                                                                           \
    do {                                                                                       \
        rgc_object_t *r_ = (r);                                                                \
        if (r_->flags & CAND) {                                                                \
            aside_reached += (r_->flags & ASIDE) != 0;                                         \
            act(s, r_);                                                                        \
            reached++;                                                                         \
            stack[top++] = r_;                                                                 \
        }                                                                                      \
    } while (0)
    /* Once every object is reached or set aside, the rest need no look. */
    for (size_t i = 0; i < n && reached + w - aside_reached < n; i++) {
        rgc_object_t *o = cand[i];
        if (i < pf_end)
            __builtin_prefetch(cand[i + PREFETCH_AHEAD], 1);
        if (!(o->flags & CAND))
            continue; /* reached from an earlier root */
        if (!is_root(o)) {
            o->flags |= ASIDE;
            cand[w++] = o; /* for now */
            continue;
        }
    /* Reaches r and, when its references are all in fields, scans them at
     * once, while r is in the cache (pushing what they reach): a popped
     * object's own children are not pushed and popped again later. */
#define REACH_SCAN(r)                                                                          \
    do {                                                                                       \
        rgc_object_t *q_ = (r);                                                                \
        if (q_->flags & CAND) {                                                                \
            aside_reached += (q_->flags & ASIDE) != 0;                                         \
            act(s, q_);                                                                        \
            reached++;                                                                         \
            rgc_type_t *qt_ = _rgc_type(q_);                                                   \
            if (RGC_LIKELY(qt_->fields_only)) {                                                \
                char *qb_ = (char *)q_;                                                        \
                for (uint32_t qi_ = 0; qi_ < qt_->n_ref_fields; qi_++) {                       \
                    rgc_object_t *g_ = *(rgc_object_t **)(qb_ + qt_->ref_offsets[qi_]);        \
                    if (g_)                                                                    \
                        REACH_ONE(g_);                                                         \
                }                                                                              \
            } else {                                                                           \
                stack[top++] = q_;                                                             \
            }                                                                                  \
        }                                                                                      \
    } while (0)
        REACH_ONE(o);
        while (top) {
            rgc_object_t *x = stack[--top];
            rgc_type_t *t = _rgc_type(x);
            if (RGC_LIKELY(t->fields_only)) {
                EACH_REF_FAST(x, t, r, reach_visit, s, REACH_SCAN(r));
                continue;
            }
            if (!t->spec.traverse) {
                /* The general layout: fields and reference arrays. */
                RGC_FOR_EACH_REF_SLOT(x, t, slot_, {
                    if (*slot_)
                        REACH_SCAN(*slot_);
                });
                continue;
            }
            /* A traverse hook, through reach_visit, which works on the
             * counters in s. */
            s->top = top;
            s->reached = reached;
            s->aside_reached = aside_reached;
            EACH_REF(x, t, r, reach_visit, s, reach_one(s, r, act));
            top = s->top;
            reached = s->reached;
            aside_reached = s->aside_reached;
        }
    }
#undef REACH_SCAN
#undef REACH_ONE
    s->reached = reached;
    s->aside_reached = aside_reached;
    if (aside_reached == w)
        return 0; /* everything set aside was reached later: no pass */
    if (!compact)
        return w; /* the caller filters cand[0..w) itself */
    size_t u = 0;
    pf_end = w > 4096 ? w - PREFETCH_AHEAD : 0;
    for (size_t i = 0; i < w; i++) {
        if (i < pf_end)
            __builtin_prefetch(cand[i + PREFETCH_AHEAD], 1);
        rgc_object_t *o = cand[i];
        if (o->flags & CAND) {
            o->flags &= ~(uint32_t)ASIDE;
            cand[u++] = o;
        }
    }
    return u;
}

#define sweep_reachable(s, cand, n, is_root, act) sweep_reachable_ex(s, cand, n, is_root, act, 1)

/* Held from outside: more references than the candidates account for. */
static int held_from_outside(const rgc_object_t *o)
{
    return o->refcnt > o->gc_index;
}

/* ---- gathering and counting internal references
 *
 * gc_index of a candidate counts the references it receives from other
 * candidates; the object is held from outside when its reference count is
 * larger.  Old-generation objects always have gc_index 0, so a full
 * collection can count while it walks the pools, in one pass: a target is
 * a candidate if it was gathered already (CANDIDATE) or is a tracked
 * generation-2 object the walk has yet to reach. */

typedef struct gather_ctx {
    rgc_object_t **cand;
    size_t n;
    size_t cap;
    int full;
} gather_ctx_t;

static inline int is_candidate(const gather_ctx_t *g, const rgc_object_t *r)
{
    uint32_t f = r->flags;
    return (f & CAND) || (g->full && (f & (RGC_OF_TRACKED | RGC_OF_GEN_MASK)) == (RGC_OF_TRACKED | 2u));
}

static inline void count_one(const gather_ctx_t *g, rgc_object_t *r)
{
    if (is_candidate(g, r))
        r->gc_index++;
}

static void count_visit(rgc_object_t *r, void *arg)
{
    if (r)
        count_one(arg, r);
}

/* Counts o's references to candidates. */
static inline void count_refs(gather_ctx_t *g, rgc_object_t *o)
{
    rgc_type_t *t = _rgc_type(o);
    EACH_REF_UNROLLED(o, t, r, count_visit, g, count_one(g, r));
}

static inline void gather_old(gather_ctx_t *g, rgc_object_t *o)
{
    if (g->n == g->cap)
        return; /* cannot happen: counted before */
    o->flags = (o->flags & ~(uint32_t)RGC_OF_TRACKED) | CAND; /* gc_index: counted already */
    g->cand[g->n++] = o;
    count_refs(g, o);
}

/* Gathers generation 2 in one walk over the pools (oldest arena first),
 * counting as it goes: walk_tracked, specialised. */
static void gather_gen2(rgc_heap_t *h, gather_ctx_t *g)
{
    const uint32_t want = RGC_OF_TRACKED | 2u;
    for (rgc_arena_t *a = _rgc_oldest_arena(h); a; a = a->prev) {
        rgc_pool_t *pools = _rgc_arena_pools(a);
        for (uint32_t i = 0; i < RGC_POOLS_PER_ARENA; i++) {
            rgc_pool_t *p = &pools[i];
            /* (the header pool's state is RGC_POOL_HEADER) */
            if (p->state != RGC_POOL_ACTIVE || p->kind != RGC_KIND_OBJECT)
                continue;
            size_t bs = p->block_size;
            char *b = p->base, *end = p->base + (size_t)p->bump * bs;
            /* Free blocks of a bitmap pool may hold anything: skipped by
             * their bit.  Blocks in pages given back are not read. */
            uint64_t freem = p->freemap; /* 0 in list pools */
            unsigned holes = p->holes;
            for (uint32_t k = 0; b < end; b += bs, k++) {
                rgc_object_t *o = (rgc_object_t *)b;
                if (RGC_UNLIKELY(holes) && _rgc_block_in_hole(p, k))
                    continue;
                if ((o->flags & (RGC_OF_TRACKED | RGC_OF_GEN_MASK)) == want && o->refcnt != 0 &&
                    !((freem >> (k & 63)) & 1))
                    gather_old(g, o);
            }
        }
    }
    for (rgc_large_t *l = h->large.next; l != &h->large; l = l->next) {
        rgc_object_t *o = (rgc_object_t *)(l + 1);
        if (l->kind == RGC_KIND_OBJECT && (o->flags & (RGC_OF_TRACKED | RGC_OF_GEN_MASK)) == want)
            gather_old(g, o);
    }
}

/* Moves every member of generations 0..gen into cand, untracked and
 * flagged, and counts the references among them; the generations are left
 * empty. */
static void gather(rgc_heap_t *h, int gen, gather_ctx_t *g)
{
    for (int y = 0; y <= gen && y < RGC_NYOUNG; y++) {
        rgc_genlist_t *gl = &h->gens[y];
        for (size_t i = 0; i < gl->len; i++) {
            rgc_object_t *o = gl->items[i];
            if (i + PREFETCH_AHEAD < gl->len && gl->items[i + PREFETCH_AHEAD])
                __builtin_prefetch(gl->items[i + PREFETCH_AHEAD], 1);
            if (o) {
                o->flags = (o->flags & ~(uint32_t)RGC_OF_TRACKED) | CAND;
                o->gc_index = 0;
                g->cand[g->n++] = o;
            }
        }
        gl->len = 0;
        gl->holes = 0;
    }
    size_t young = g->n;
    g->full = gen == 2;
    if (gen == 2 && h->old_count[2]) {
        gather_gen2(h, g);
        h->old_count[2] = 0;
    }
    for (size_t i = 0; i < young; i++) {
        if (i + PREFETCH_AHEAD < young)
            __builtin_prefetch(g->cand[i + PREFETCH_AHEAD], 0);
        count_refs(g, g->cand[i]);
    }
    _rgc_gen0_relimit(h);
}

/* Tracks a candidate again, in generation gen, clearing the scratch
 * flags.  The young arrays were reserved before the collection began;
 * should a finalizer's allocations have used the reserve up, the object
 * goes to generation 2, which needs no memory. */
static inline void retrack(rgc_heap_t *h, rgc_object_t *o, int gen)
{
    uint32_t f = o->flags & ~(uint32_t)(RGC_OF_SCRATCH_MASK | RGC_OF_GEN_MASK);
    if (gen < RGC_NYOUNG) {
        rgc_genlist_t *g = &h->gens[gen];
        if (RGC_LIKELY(g->len < g->cap)) {
            o->flags = f | (uint32_t)gen | RGC_OF_TRACKED;
            o->gc_index = (uint32_t)g->len;
            g->items[g->len++] = o;
            if (gen == 0)
                _rgc_gen0_relimit(h);
            return;
        }
        gen = 2;
    }
    o->flags = f | (uint32_t)gen | RGC_OF_TRACKED;
    o->gc_index = 0;
    h->old_count[gen]++;
}

static inline void act_survive(sweep_t *s, rgc_object_t *o)
{
    retrack(s->h, o, s->target);
}

/* Garbage kept (uncollectable, or SAVEALL): into gc.garbage, tracked in
 * generation 2, the collector's hold dropped. */
static int to_garbage(rgc_heap_t *h, rgc_object_t *o);
static void debug_line(rgc_heap_t *h, const char *what, const rgc_object_t *o);

static void act_keep(sweep_t *s, rgc_object_t *o)
{
    rgc_heap_t *h = s->h;
    if (h->gc.debug & (RGC_GC_DEBUG_UNCOLLECTABLE | RGC_GC_DEBUG_SAVEALL))
        debug_line(h, (h->gc.debug & RGC_GC_DEBUG_SAVEALL) ? "saved" : "uncollectable", o);
    to_garbage(h, o); /* without memory it simply stays alive, in generation 2 */
    retrack(h, o, 2);
    rgc_decref(o);
}

/* Resurrected by a finalizer: lives on in generation 2. */
static void act_resurrect(sweep_t *s, rgc_object_t *o)
{
    retrack(s->h, o, 2);
    rgc_decref(o);
}

/* ---- generation 0: counting by slot, no candidate array
 *
 * A collection of generation 0 alone needs no gathering pass: its members
 * are known by their header (tracked, generation 0) and each one's slot in
 * the generation's array indexes a counter.  One pass counts the references
 * between members into those counters; a second scans the array, moves
 * every member held from outside (and all it reaches) to generation 1 at
 * once, and sets the others aside as candidates for the garbage.
 */

typedef struct young_ctx {
    rgc_heap_t *h;
    uint32_t *counts;         /* by generation-0 slot */
    rgc_object_t **stack;
    size_t top;
    size_t pending;           /* members whose count does not exceed their
                               * internal references, not reached yet */
} young_ctx_t;

static inline int young_member(const rgc_object_t *r)
{
    return (r->flags & (RGC_OF_TRACKED | RGC_OF_GEN_MASK)) == RGC_OF_TRACKED;
}

/* Counts a reference to r; r becomes pending when its count reaches its
 * reference count (a live tracked object's is at least 1). */
static inline void young_count_one(young_ctx_t *c, rgc_object_t *r)
{
    if (young_member(r))
        c->pending += ++c->counts[r->gc_index] == r->refcnt;
}

static void young_count_visit(rgc_object_t *r, void *arg)
{
    if (r)
        young_count_one(arg, r);
}

/* Moves r to generation 1 if it is a member or was set aside, and pushes
 * it so that what it holds is reached too. */
static inline void young_reach_one(young_ctx_t *c, rgc_object_t *r)
{
    if (young_member(r)) {
        c->pending -= r->refcnt <= c->counts[r->gc_index];
        retrack(c->h, r, 1);
        c->stack[c->top++] = r;
    } else if (r->flags & CAND) {
        c->pending--;
        retrack(c->h, r, 1);
        c->stack[c->top++] = r;
    }
}

static void young_reach_visit(rgc_object_t *r, void *arg)
{
    if (r)
        young_reach_one(arg, r);
}

/*
 * Sorts generation 0 into survivors (moved to generation 1 as they are
 * found) and candidates for the garbage, which are untracked, flagged
 * CANDIDATE|ASIDE and listed in cand[0..return).  counts has one zeroed
 * counter per slot; stack room for every member.
 */
static size_t young_sweep(rgc_heap_t *h, uint32_t *counts, rgc_object_t **stack, rgc_object_t **cand)
{
    rgc_genlist_t *g0 = &h->gens[0];
    rgc_object_t **items = g0->items;
    size_t len = g0->len;
    young_ctx_t c = {h, counts, stack, 0, 0};
    for (size_t i = 0; i < len; i++) {
        rgc_object_t *o = items[i];
        if (!o)
            continue;
        rgc_type_t *t = _rgc_type(o);
        EACH_REF_UNROLLED(o, t, r, young_count_visit, &c, young_count_one(&c, r));
    }
    /* Only members whose count does not exceed their internal references
     * need reaching; once every one of them is reached, the members left
     * are all held from outside and survive without a traversal.  In the
     * usual generation 0, where young objects are held by old ones, that
     * is from the start: then all move up in one tight loop (collect
     * reserved the room). */
    rgc_genlist_t *g1 = &h->gens[1];
    if (c.pending == 0 && g1->cap - g1->len >= len - g0->holes) {
        rgc_object_t **to = g1->items;
        size_t k = g1->len;
        const uint32_t keep = ~(uint32_t)(RGC_OF_SCRATCH_MASK | RGC_OF_GEN_MASK);
        for (size_t i = 0; i < len; i++) {
            rgc_object_t *o = items[i];
            if (!o)
                continue;
            o->flags = (o->flags & keep) | 1u | RGC_OF_TRACKED;
            o->gc_index = (uint32_t)k;
            to[k++] = o;
        }
        g1->len = k;
        g0->len = 0;
        g0->holes = 0;
        _rgc_gen0_relimit(h);
        return 0;
    }
    size_t w = 0;
    for (size_t i = 0; i < len; i++) {
        rgc_object_t *o = items[i];
        if (!o || !young_member(o) || o->gc_index != i)
            continue; /* a hole, or moved already */
        if (c.pending == 0) {
            retrack(h, o, 1);
            continue;
        }
        if (o->refcnt <= counts[i]) {
            o->flags = (o->flags & ~(uint32_t)RGC_OF_TRACKED) | CAND | ASIDE;
            cand[w++] = o; /* for now */
            continue;
        }
        young_reach_one(&c, o);
        while (c.top) {
            rgc_object_t *x = c.stack[--c.top];
            rgc_type_t *t = _rgc_type(x);
            EACH_REF_FAST(x, t, r, young_reach_visit, &c, young_reach_one(&c, r));
        }
    }
    g0->len = 0;
    g0->holes = 0;
    _rgc_gen0_relimit(h);
    return w;
}

/* ---- the collection */

static int legacy_root(const rgc_object_t *o)
{
    rgc_type_t *t = _rgc_type(o);
    return (t->flags & RGC_TF_LEGACY_FINALIZER) || (t->spec.traverse && !t->spec.clear);
}

static int all_root(const rgc_object_t *o)
{
    (void)o;
    return 1;
}

static void call_callbacks(rgc_heap_t *h, rgc_gc_phase_t phase, const rgc_gc_info_t *info)
{
    for (size_t i = 0; i < h->gc.ncallbacks; i++)
        h->gc.callbacks[i].fn(h, phase, info, h->gc.callbacks[i].arg);
}

/* Appends o to gc.garbage; 0, or -1 without memory. */
static int to_garbage(rgc_heap_t *h, rgc_object_t *o)
{
    if (!h->gc.garbage) {
        h->gc.garbage = rgc_list_new(h, 0);
        if (!h->gc.garbage)
            return -1;
        rgc_untrack(h->gc.garbage);
    }
    return rgc_list_append(h->gc.garbage, o);
}

static void debug_line(rgc_heap_t *h, const char *what, const rgc_object_t *o)
{
    char buf[96];
    rgc_repr(o, buf, sizeof buf);
    fprintf(stderr, "rgc gc: %s %p %s %s\n", what, (const void *)o, _rgc_type(o)->name, buf);
    (void)h;
}

/* Collects generations 0..gen.  See the file comment for the phases. */
static long collect(rgc_heap_t *h, int gen)
{
    rgc_gc_state_t *gs = &h->gc;
    uint64_t t_start = now_ns();
    rgc_gc_info_t info = {gen, 0, 0, 0};
    gs->phase = RGC_GC_GATHER;
    gs->generation = gen;
    if (_rgc_watching())
        _rgc_event(h, RGC_EV_GC_START, h, (uint64_t)gen, 0, NULL, NULL);
    call_callbacks(h, RGC_GC_START, &info);

    /* Reserve everything the collection needs before touching anything:
     * the candidates, a stack as deep, and (generation 0 alone) a counter
     * per slot of its array. */
    size_t n = 0;
    for (int y = 0; y <= gen && y < RGC_NYOUNG; y++)
        n += _rgc_gen_len(h, y);
    if (gen == 2)
        n += h->old_count[2];
    size_t slots = gen == 0 ? h->gens[0].len : 0;
    int target = gen < 2 ? gen + 1 : 2;
    rgc_object_t **cand = NULL;
    int ok = 1;
    if (n) {
        cand = rgc_mem_alloc(h, 2 * n * sizeof *cand + slots * sizeof(uint32_t));
        ok = cand != NULL;
    }
    if (ok && target < RGC_NYOUNG) {
        /* Room for every candidate in the generation survivors go to. */
        rgc_genlist_t *tl = &h->gens[target];
        if (tl->len + n > tl->cap && tl->holes >= n)
            _rgc_gen_squeeze(h, target); /* only when that makes the room */
        size_t need = tl->len + n;
        if (need > tl->cap) {
            size_t ncap = tl->cap ? tl->cap : 64;
            while (ncap < need)
                ncap *= 2;
            rgc_object_t **items = rgc_mem_realloc(h, tl->items, ncap * sizeof *items);
            ok = items != NULL;
            if (ok) {
                tl->items = items;
                tl->cap = ncap;
                tl->limit = ncap;
            }
        }
    }
    if (!ok) {
        rgc_mem_free(h, cand);
        _rgc_report(RGC_ENOMEM, h, NULL, "collection of generation %d declined: no memory for %zu candidates",
                    gen, n);
        info.duration_ns = now_ns() - t_start;
        if (_rgc_watching())
            _rgc_event(h, RGC_EV_GC_END, h, 0, 0, NULL, NULL);
        call_callbacks(h, RGC_GC_STOP, &info); /* still "running": no nested collection */
        gs->phase = RGC_GC_IDLE;
        gs->generation = -1;
        return -1;
    }
    size_t ncand = n, w;
    sweep_t sw = {.h = h, .stack = cand + n, .target = target};
    gs->phase = RGC_GC_SUBTRACT; /* gathering counts as it goes */
    if (gen == 0) {
        /* What is held from outside, and all it reaches, moves to
         * generation 1 as it is found; cand[0..w) is set aside. */
        gs->phase = RGC_GC_REACH;
        if (n) {
            uint32_t *counts = (uint32_t *)(cand + 2 * n);
            memset(counts, 0, slots * sizeof *counts);
            w = young_sweep(h, counts, cand + n, cand);
        } else {
            w = 0; /* nothing but holes */
            h->gens[0].len = h->gens[0].holes = 0;
            _rgc_gen0_relimit(h);
        }
        gs->cand = cand;
        gs->ncand = w;
    } else {
        gather_ctx_t g = {cand, 0, n, 0};
        gather(h, gen, &g);
        n = ncand = g.n;
        gs->cand = cand;
        gs->ncand = n;
        gs->nreach = 0;
        /* What is held from outside, and all it reaches, survives and
         * moves up a generation; cand[0..w) is set aside. */
        gs->phase = RGC_GC_REACH;
        w = sweep_reachable_ex(&sw, cand, n, held_from_outside, act_survive, 0);
    }

    /* What was set aside and never reached is the garbage: held from here
     * on.  Note what its types need. */
    gs->phase = RGC_GC_FINALIZE;
    int any_finalizer = 0, any_legacy = 0, any_hook = 0;
    size_t u = 0;
    for (size_t i = 0; i < w; i++) {
        rgc_object_t *o = cand[i];
        if (i + PREFETCH_AHEAD < w)
            __builtin_prefetch(cand[i + PREFETCH_AHEAD], 1);
        if (!(o->flags & CAND))
            continue; /* reached after it was set aside */
        o->flags &= ~(uint32_t)ASIDE;
        cand[u++] = o;
        rgc_type_t *t = _rgc_type(o);
        o->refcnt++; /* never immortal: immortal objects are held */
        any_finalizer |= t->spec.finalize != NULL && !(o->flags & RGC_OF_FINALIZED);
        any_legacy |= legacy_root(o);
        any_hook |= t->spec.dealloc != NULL || t->spec.traverse != NULL;
    }
    gs->ncand = u;
    if (target == 2 && gen == 1)
        gs->long_lived_pending += n - u;

    /* Cycles through legacy finalizers (and opaque objects that cannot be
     * cleared), with all they reach, are uncollectable; with SAVEALL,
     * everything is kept. */
    size_t uncollectable = 0;
    if (any_legacy || (gs->debug & RGC_GC_DEBUG_SAVEALL)) {
        size_t left = (gs->debug & RGC_GC_DEBUG_SAVEALL) ? sweep_reachable(&sw, cand, u, all_root, act_keep)
                                                          : sweep_reachable(&sw, cand, u, legacy_root, act_keep);
        uncollectable = u - left;
        u = left;
        gs->ncand = u;
    }
    n = u;
    size_t lo = 0;
    /* Weak references to the garbage are cleared before anything of it is
     * torn down; callbacks only for weakrefs that are not garbage. */
    if (h->weak && lo < n) {
        rgc_object_t **cbs = NULL;
        size_t ncbs = 0;
        if (_rgc_weakrefs_gc_clear(h, cand + lo, n - lo, &cbs, &ncbs) >= 0 && cbs)
            _rgc_weakrefs_run_callbacks(h, cbs, ncbs);
    }

    /* Finalizers, once per object (PEP 442). */
    int finalized = 0;
    for (size_t i = lo; any_finalizer && i < n; i++) {
        rgc_object_t *o = cand[i];
        rgc_type_t *t = _rgc_type(o);
        if (t->spec.finalize && !(o->flags & RGC_OF_FINALIZED)) {
            o->flags |= RGC_OF_FINALIZED;
            t->spec.finalize(o);
            finalized = 1;
        }
    }

    /* Resurrection: what a finalizer made reachable again survives, with
     * everything it reaches. */
    if (finalized) {
        gather_ctx_t rc = {cand, u, u, 0};
        for (size_t i = 0; i < u; i++)
            cand[i]->gc_index = 1; /* the collector's hold */
        for (size_t i = 0; i < u; i++)
            count_refs(&rc, cand[i]);
        u = sweep_reachable(&sw, cand, u, held_from_outside, act_resurrect);
        gs->ncand = u;
    }
    n = u;

    /* Break the garbage's references, then let it go.  When no code of the
     * embedder can run meanwhile (no finalizer ran, no dealloc or clear
     * hook), the garbage holds the only references to itself: each object
     * is cleared and let go in one pass, and dies with its last reference. */
    gs->phase = RGC_GC_CLEAR;
    size_t collected = 0;
    if (!finalized && !any_hook && !(gs->debug & RGC_GC_DEBUG_COLLECTABLE)) {
        for (size_t i = lo; i < n; i++) {
            rgc_object_t *o = cand[i];
            if (i + PREFETCH_AHEAD < n)
                __builtin_prefetch(cand[i + PREFETCH_AHEAD], 1);
            _rgc_clear_layout(o, _rgc_type(o));
            if (o->refcnt == 1)
                _rgc_object_free_cleared(o);
            else
                o->refcnt--; /* a later object of the garbage holds it */
        }
        collected = n - lo;
        lo = n;
    }
    for (size_t i = lo; i < n; i++) {
        rgc_object_t *o = cand[i];
        rgc_type_t *t = _rgc_type(o);
        if (i + PREFETCH_AHEAD < n)
            __builtin_prefetch(cand[i + PREFETCH_AHEAD], 1);
        if (gs->debug & RGC_GC_DEBUG_COLLECTABLE)
            debug_line(h, "collectable", o);
        if (t->spec.traverse)
            t->spec.clear(o);
        else
            _rgc_clear_layout(o, t);
    }
    for (size_t i = lo; i < n; i++) {
        rgc_object_t *o = cand[i];
        if (i + PREFETCH_AHEAD < n)
            __builtin_prefetch(cand[i + PREFETCH_AHEAD], 1);
        if (o->refcnt == 1) {
            collected++;
            _rgc_object_free_cleared(o);
        } else {
            /* Held by something the clearing could not see: it lives on. */
            retrack(h, o, 2);
            rgc_decref(o);
        }
    }

    gs->cand = NULL;
    gs->ncand = gs->nreach = 0;
    rgc_mem_free(h, cand);
    for (int y = 0; y <= gen && y < RGC_NYOUNG; y++)
        _rgc_gen_trim(h, y);

    /* Bookkeeping, as Python's gc does it. */
    gs->stats[gen].collections++;
    gs->stats[gen].collected += collected;
    gs->stats[gen].uncollectable += uncollectable;
    if (gen + 1 < RGC_GC_GENERATIONS)
        gs->count[gen + 1]++;
    for (int y = 1; y <= gen; y++)
        gs->count[y] = 0;
    if (gen == 2) {
        gs->long_lived_pending = 0;
        gs->long_lived_total = h->old_count[2];
    }
    info.collected = collected;
    info.uncollectable = uncollectable;
    info.duration_ns = now_ns() - t_start;
    if (gs->debug & RGC_GC_DEBUG_STATS)
        fprintf(stderr, "rgc gc: heap '%s' generation %d: %zu candidates, %zu collected, %zu uncollectable, %.3f ms\n",
                h->name, gen, ncand, collected, uncollectable, (double)info.duration_ns / 1e6);
    if (_rgc_watching())
        _rgc_event(h, RGC_EV_GC_END, h, collected, 0, NULL, NULL);
    call_callbacks(h, RGC_GC_STOP, &info); /* still "running": no nested collection */
    gs->phase = RGC_GC_IDLE;
    gs->generation = -1;
    return (long)(collected + uncollectable);
}

/* Called when generation 0 passed its threshold: collects the oldest
 * generation whose count passed its own, as Python's gc does (a full
 * collection only when the objects waiting to become long-lived exceed a
 * quarter of the long-lived ones). */
void _rgc_gc_auto(rgc_heap_t *h)
{
    rgc_gc_state_t *gs = &h->gc;
    if (!gs->enabled || gs->phase != RGC_GC_IDLE || gs->threshold[0] == 0)
        return;
    for (int gen = 2; gen >= 0; gen--) {
        /* Generation 0 counts the allocation under way too. */
        size_t count = gen == 0 ? _rgc_gen_len(h, 0) + 1 : gs->count[gen];
        if (count <= gs->threshold[gen])
            continue;
        if (gen == 2 && gs->long_lived_pending < gs->long_lived_total / 4)
            continue;
        collect(h, gen);
        return;
    }
}

/* ---- the gc module */

long rgc_gc_collect(rgc_heap_t *h, int gen)
{
    if (!h || gen < 0 || gen > 2) {
        _rgc_report(RGC_EINVAL, h, NULL, "rgc_gc_collect: generation %d is not 0, 1 or 2", gen);
        return -1;
    }
    if (h->gc.phase != RGC_GC_IDLE) {
        _rgc_report(RGC_EMISUSE, h, NULL, "rgc_gc_collect: a collection is already running");
        return -1;
    }
    return collect(h, gen);
}
