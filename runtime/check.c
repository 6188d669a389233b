/*
 * check.c — the heap checker: every invariant of arenas, pools, free lists,
 * large blocks, generations and live objects, verified by walking them.
 * Every walk is bounded, so a corrupted heap yields a message, not a hang.
 * The first violation is returned with its address.
 */
#include "weakref.h"

#include <stdarg.h>

typedef struct checker {
    rgc_heap_t *h;
    rgc_check_result_t *out;
    size_t objects;
    size_t old[RGC_NGENS];  /* members of the old generations found */
} checker_t;

static int check_vfail(rgc_check_result_t *out, const void *addr, const char *fmt, va_list ap)
    __attribute__((format(printf, 3, 0)));

static int check_vfail(rgc_check_result_t *out, const void *addr, const char *fmt, va_list ap)
{
    if (out) {
        out->code = RGC_ECORRUPT;
        out->address = addr;
        vsnprintf(out->message, sizeof out->message, fmt, ap);
    }
    return -1;
}

int _rgc_check_fail(rgc_check_result_t *out, const void *addr, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    check_vfail(out, addr, fmt, ap);
    va_end(ap);
    return -1;
}

static int fail(checker_t *c, const void *addr, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

static int fail(checker_t *c, const void *addr, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    check_vfail(c->out, addr, fmt, ap);
    va_end(ap);
    return -1;
}

/* Checks one live object's header against its type and generation. */
static int check_object(checker_t *c, const rgc_object_t *o, size_t block)
{
    if (o->refcnt == 0)
        return fail(c, o, "live object with reference count 0");
    if ((o->flags & RGC_OF_SCRATCH_MASK) && c->h->gc.phase == RGC_GC_IDLE)
        return fail(c, o, "collector scratch flags 0x%x left set outside a collection",
                    o->flags & RGC_OF_SCRATCH_MASK);
    rgc_type_t *t = _rgc_type_checked(o->type_id);
    if (!t)
        return fail(c, o, "live object with unknown type id %u", o->type_id);
    size_t need = t->basic_size;
    if (t->flags & RGC_TF_VAR)
        need += *(const size_t *)((const char *)o + t->nitems_offset) * t->item_size;
    if (need > block)
        return fail(c, o, "%s object of %zu bytes in a %zu-byte block", t->name, need, block);
    if (o->flags & RGC_OF_TRACKED) {
        unsigned gen = o->flags & RGC_OF_GEN_MASK;
        if (gen < RGC_NYOUNG) {
            const rgc_genlist_t *g = &c->h->gens[gen];
            if (o->gc_index >= g->len || g->items[o->gc_index] != o)
                return fail(c, o, "tracked %s object missing from generation %u", t->name, gen);
        } else {
            c->old[gen]++;
            if (o->gc_index != 0)
                return fail(c, o, "%s object in generation %u has slot %u (old generations have none)", t->name,
                            gen, o->gc_index);
        }
        if (!t->is_gc)
            return fail(c, o, "%s object tracked, but its type holds no references", t->name);
    }
    if ((o->flags & RGC_OF_WEAKREFED) && !_rgc_weaktab_has(c->h, o))
        return fail(c, o, "%s object flagged weakly referenced is not in the weak table", t->name);
    c->objects++;
    return 0;
}

static int check_pool(checker_t *c, rgc_arena_t *a, uint32_t i, size_t *active_per_class)
{
    rgc_pool_t *p = &_rgc_arena_pools(a)[i];
    rgc_heap_t *h = c->h;
    if (p->base != _rgc_arena_base(a) + (size_t)i * RGC_POOL_SIZE)
        return fail(c, p, "pool %u of arena %p has base %p", i, (void *)a, (void *)p->base);
    if (p->state == RGC_POOL_UNUSED) {
        if (p->holes)
            return fail(c, p, "unused pool %u of arena %p has pages marked given back (%#x)", i,
                        (void *)a, p->holes);
        if (p->low_armed || p->low_fired)
            return fail(c, p, "unused pool %u of arena %p has low-water marks set", i, (void *)a);
        return p->tag == 0 ? 0 : fail(c, p, "unused pool %u of arena %p has tag %#lx", i, (void *)a,
                                      (unsigned long)p->tag);
    }
    if (p->state != RGC_POOL_ACTIVE)
        return fail(c, p, "pool %u of arena %p has state %u", i, (void *)a, p->state);
    if (p->kind >= RGC_NKINDS || p->szidx >= RGC_NCLASSES)
        return fail(c, p->base, "pool with kind %u and class %u", p->kind, p->szidx);
    if (p->block_size != RGC_ALIGN * (p->szidx + 1u) || p->nblocks != RGC_POOL_SIZE / p->block_size)
        return fail(c, p->base, "pool geometry %u x %u does not match class %u", p->block_size,
                    p->nblocks, p->szidx);
    if (p->bump > p->nblocks)
        return fail(c, p->base, "pool carved %u of %u blocks", p->bump, p->nblocks);
    uintptr_t tag = (uintptr_t)h | (p->kind == RGC_KIND_OBJECT ? RGC_TAG_OBJECT : 0) |
                    (p->flags ? RGC_TAG_SLOW : 0) | (_rgc_trace_pool_used(h, p) ? RGC_TAG_TRACED : 0) |
                    (p->kind == RGC_KIND_RAW && (h->flags & RGC_HEAP_RECORDING) ? RGC_TAG_RECORD : 0);
    if (p->tag != tag)
        return fail(c, p->base, "pool tag %#lx, expected %#lx (heap, kind, flags, traces, recorder)",
                    (unsigned long)p->tag,
                    (unsigned long)tag);
    int map = (p->flags & RGC_PF_MAP) != 0;
    if (map != (p->szidx >= RGC_MAP_CLASS) || (map && p->bump != p->nblocks) || (!map && p->freemap))
        return fail(c, p->base, "pool of class %u %s a free bitmap (flags %#x, map %#llx)", p->szidx,
                    map ? "wrongly has" : "lacks", p->flags, (unsigned long long)p->freemap);
    /* Pages given back: a list pool says so in its flags (its frees must
     * check them); a bitmap pool needs no flag; a full pool has none. */
    if (p->holes >> RGC_POOL_PAGES || (!map && !p->holes != !(p->flags & RGC_PF_HOLES)) ||
        (map && (p->flags & RGC_PF_HOLES)) || (p->holes && (p->flags & RGC_PF_FULL)))
        return fail(c, p->base, "pool's given-back pages %#x do not match its flags %#x", p->holes,
                    p->flags);
    uint64_t bits[RGC_POOL_SIZE / RGC_ALIGN / 64];
    int nfree = _rgc_pool_free_bits(p, bits);
    if (nfree < 0)
        return fail(c, p->base, "free list of pool leaves the pool, is misaligned, loops or runs "
                                "into a page given back");
    if (_rgc_pool_used(p) + (uint32_t)nfree != p->bump)
        return fail(c, p->base, "pool counts %u used + %d free, but %u blocks carved", _rgc_pool_used(p),
                    nfree, p->bump);
    if (p->low_armed && p->nused == 0)
        return fail(c, p->base, "pool passed its low-water mark (%u blocks used) without noticing",
                    _rgc_pool_used(p));
    /* A pool can be exhausted before an allocation notices and takes it
     * off the usable list; a pool flagged full must really be full. */
    int full = p->free == NULL && p->bump == p->nblocks && (!map || p->freemap == 0);
    if ((p->flags & RGC_PF_FULL) && !full)
        return fail(c, p->base, "pool flagged full still has free blocks");
    /* A bitmap pool leaves its list as its last block goes. */
    if (map && full && !(p->flags & RGC_PF_FULL))
        return fail(c, p->base, "bitmap pool without a free block is not flagged full");
    if (!(p->flags & RGC_PF_FULL))
        active_per_class[p->kind * RGC_NCLASSES + p->szidx]++;
    for (uint32_t b = 0; b < p->bump; b++) {
        const char *blk = p->base + (size_t)b * p->block_size;
        int is_free = (bits[b / 64] >> (b % 64)) & 1;
        if (_rgc_block_in_hole(p, b)) {
            /* Its page reads as zero: nothing to check but that it is free. */
            if (!is_free)
                return fail(c, blk, "block in use in a page given back");
        } else if (is_free && map) {
            /* Untouched by the free unless the heap writes fill bytes. */
            uint64_t w1 = ((const uint64_t *)blk)[1];
            if ((p->flags & RGC_PF_FILL) && w1 != 0x0101010101010101ull * RGC_FILL_FREED &&
                w1 != 0x0101010101010101ull * RGC_FILL_FRESH)
                return fail(c, blk, "free block was written after it was freed");
        } else if (is_free) {
            const rgc_object_t *o = (const rgc_object_t *)blk;
            if (p->kind == RGC_KIND_RAW ? *(const uint64_t *)blk != RGC_FREED_WORD : o->refcnt != 0)
                return fail(c, blk, "free block was written after it was freed");
        } else if (p->kind == RGC_KIND_OBJECT && blk != c->h->held[RGC_KIND_OBJECT][p->szidx]) {
            const rgc_object_t *o = (const rgc_object_t *)blk;
            if (o->flags & RGC_OF_LARGE)
                return fail(c, blk, "pooled object flagged large");
            if (check_object(c, o, p->block_size) < 0)
                return -1;
        }
    }
    return 0;
}

static int check_arenas(checker_t *c)
{
    rgc_heap_t *h = c->h;
    size_t active_per_class[RGC_NKINDS * RGC_NCLASSES] = {0};
    size_t n = 0, dirty = 0, active = 0;
    rgc_arena_t *prev = NULL;
    for (rgc_arena_t *a = h->arenas; a; prev = a, a = a->next) {
        if (++n > h->narenas)
            return fail(c, a, "arena list longer than the %zu arenas counted", h->narenas);
        if (a != _rgc_arena_of(a))
            return fail(c, a, "arena header not where the arena's colour puts it");
        if (a->magic != RGC_ARENA_MAGIC || a->heap != h || a->hdr_state != RGC_POOL_HEADER ||
            a->hdr_kind != 0xFF || ((uintptr_t)a->free_pools & 1))
            return fail(c, a, "arena header damaged (magic, heap or header marks)");
        if (a->prev != prev)
            return fail(c, a, "arena list back link broken");
        if (!_rgc_in_arena(a))
            return fail(c, a, "arena missing from the arena map");
        uint32_t unused = 0, listed = 0, low = 0, hp = _rgc_arena_hdr_pool(a);
        rgc_pool_t *pools = _rgc_arena_pools(a);
        for (uint32_t i = 0; i < RGC_POOLS_PER_ARENA; i++) {
            if (i == hp)
                continue;
            low += pools[i].low_fired;
            if (pools[i].state == RGC_POOL_UNUSED) {
                unused++;
                if (!pools[i].decommitted)
                    dirty++;
            } else {
                active++;
            }
            if (check_pool(c, a, i, active_per_class) < 0)
                return -1;
        }
        for (rgc_pool_t *p = a->free_pools; p; p = p->next) {
            if (++listed > unused || p->state != RGC_POOL_UNUSED || _rgc_arena_of(p->base) != a)
                return fail(c, a, "free-pool list of arena holds a pool in use or of another arena");
        }
        if (unused != a->nfree || listed != a->nfree)
            return fail(c, a, "arena counts %u free pools, %u unused, %u listed", a->nfree, unused, listed);
        if (low != a->low_pools)
            return fail(c, a, "arena counts %u pools past their low-water mark, found %u", a->low_pools, low);
        if (a->nfree) {
            rgc_arena_t *b = h->buckets[a->nfree];
            size_t steps = 0;
            while (b && b != a && ++steps <= h->narenas)
                b = b->bnext;
            if (b != a)
                return fail(c, a, "arena with %u free pools missing from its bucket", a->nfree);
        }
    }
    if (n != h->narenas)
        return fail(c, h, "heap counts %zu arenas, list has %zu", h->narenas, n);
    if (active != h->active_pools)
        return fail(c, h, "heap counts %zu pools in use, found %zu", h->active_pools, active);
    if (dirty != h->dirty_pools)
        return fail(c, h, "heap counts %zu committed empty pools, found %zu", h->dirty_pools, dirty);
    for (int k = 0; k < RGC_NKINDS; k++)
        for (unsigned cl = 0; cl < RGC_NCLASSES; cl++) {
            size_t len = 0;
            rgc_pool_t *prevp = NULL;
            for (rgc_pool_t *p = h->usable[k][cl]; p != &_rgc_empty_pool && p; prevp = p, p = p->next) {
                if (++len > active_per_class[k * RGC_NCLASSES + cl])
                    return fail(c, p->base, "usable list of class %u holds a pool it should not", cl);
                if (p->state != RGC_POOL_ACTIVE || p->kind != k || p->szidx != cl || p->prev != prevp)
                    return fail(c, p->base, "usable list of class %u is damaged", cl);
                /* Only the head can have given its last block: a free into
                 * a full pool takes the place of such a head. */
                if (prevp && !p->free && !p->freemap && p->bump == p->nblocks && !(p->flags & RGC_PF_HOLES))
                    return fail(c, p->base, "pool without a free block behind the head of the usable "
                                            "list of class %u", cl);
            }
            if (len != active_per_class[k * RGC_NCLASSES + cl])
                return fail(c, h, "class %u has %zu pools with room, %zu on its usable list", cl,
                            active_per_class[k * RGC_NCLASSES + cl], len);
        }
    return 0;
}

static int check_large(checker_t *c)
{
    rgc_heap_t *h = c->h;
    size_t n = 0, bytes = 0;
    rgc_large_t *prev = &h->large;
    for (rgc_large_t *l = h->large.next; l != &h->large; prev = l, l = l->next) {
        if (++n > h->nlarge)
            return fail(c, l, "large list longer than the %zu blocks counted", h->nlarge);
        if (l->magic != (RGC_LARGE_MAGIC ^ (uintptr_t)l) || l->heap != h || l->prev != prev)
            return fail(c, l + 1, "large block header damaged");
        if (!_rgc_large_owned(h, l + 1))
            return fail(c, l + 1, "large block missing from the ownership set");
        bytes += l->size;
        if (l->kind == RGC_KIND_OBJECT) {
            const rgc_object_t *o = (const rgc_object_t *)(l + 1);
            if (!(o->flags & RGC_OF_LARGE))
                return fail(c, o, "large object not flagged large");
            if (check_object(c, o, l->size) < 0)
                return -1;
        }
    }
    if (n != h->nlarge || bytes != h->large_bytes)
        return fail(c, h, "heap counts %zu large blocks / %zu bytes, found %zu / %zu", h->nlarge,
                    h->large_bytes, n, bytes);
    if (h->large_set.len != n)
        return fail(c, h, "ownership set holds %zu blocks, list %zu", h->large_set.len, n);
    return 0;
}

static int check_generations(checker_t *c)
{
    for (int g = 0; g < RGC_NYOUNG; g++) {
        const rgc_genlist_t *gl = &c->h->gens[g];
        if (gl->len > gl->cap || gl->holes > gl->len)
            return fail(c, gl, "generation %d holds %zu of %zu with %zu holes", g, gl->len, gl->cap,
                        gl->holes);
        size_t holes = 0;
        for (size_t i = 0; i < gl->len; i++) {
            const rgc_object_t *o = gl->items[i];
            if (!o) {
                holes++;
                continue;
            }
            if (o->refcnt == 0 || !(o->flags & RGC_OF_TRACKED) || (int)(o->flags & RGC_OF_GEN_MASK) != g ||
                o->gc_index != i)
                return fail(c, o, "generation %d slot %zu holds a dead or misfiled object", g, i);
        }
        if (holes != gl->holes)
            return fail(c, gl, "generation %d counts %zu holes, found %zu", g, gl->holes, holes);
    }
    return 0;
}

/* Each held block (alloc.c, "The held block"): a block of its kind and
 * class, in an active pool of this heap flagged full, neither free there
 * nor in a page given back; a raw block of a list pool keeps the freed
 * word, an object its count of 0. */
static int check_held(checker_t *c)
{
    rgc_heap_t *h = c->h;
    for (unsigned kind = 0; kind < RGC_NKINDS; kind++)
        for (unsigned k = 0; k < RGC_NCLASSES; k++) {
            const void *p = h->held[kind][k];
            if (!p)
                continue;
            if (!_rgc_in_arena(p) || _rgc_arena_of(p)->heap != h)
                return fail(c, p, "block held for class %u is not in an arena of the heap", k);
            const rgc_pool_t *pool = _rgc_pool_of(p);
            uint32_t off = (uint32_t)((uintptr_t)p & (RGC_POOL_SIZE - 1u));
            if (pool->state != RGC_POOL_ACTIVE || pool->kind != kind || pool->szidx != k ||
                off % pool->block_size != 0 || off / pool->block_size >= pool->bump)
                return fail(c, p, "block held for class %u is not a block of that kind and class", k);
            if (_rgc_block_is_free(pool, p))
                return fail(c, p, "block held for class %u is free in its pool as well", k);
            if (!(pool->flags & RGC_PF_FULL))
                return fail(c, p, "block held for class %u is in a pool not flagged full", k);
            if (kind == RGC_KIND_OBJECT ? ((const rgc_object_t *)p)->refcnt != 0
                                        : !(pool->flags & RGC_PF_MAP) && *(const uint64_t *)p != RGC_FREED_WORD)
                return fail(c, p, "block held for class %u was written after it was freed", k);
        }
    return 0;
}

int rgc_heap_check(rgc_heap_t *h, rgc_check_result_t *out)
{
    checker_t c = {h, out, 0, {0}};
    if (out) {
        out->code = RGC_OK;
        out->address = NULL;
        out->message[0] = '\0';
    }
    if (!h || h->magic != RGC_HEAP_MAGIC)
        return fail(&c, h, "not a live heap");
    if (h->dealloc_pending)
        return fail(&c, h->dealloc_pending, "destruction queue not drained");
    if (!_rgc_gates_agree())
        return fail(&c, &_rgc_runtime.free_gate,
                    "hook gates %#lx (free), %#lx (allocation) disagree with the hook words %#lx, %#lx: "
                    "a debugger wrote the mask or the gates out of their rule",
                    (unsigned long)_rgc_runtime.free_gate, (unsigned long)_rgc_runtime.alloc_gate,
                    (unsigned long)_rgc_runtime.hooks.any, (unsigned long)_rgc_runtime.hooks.allocs);
    if (!(h->flags & RGC_HEAP_RECORDING) != !(h->recorder.cap && RGC_HEAP_RECORDING_ON))
        return fail(&c, h, "heap flags %#x say the recorder is %s, its capacity %lu says %s", h->flags,
                    (h->flags & RGC_HEAP_RECORDING) ? "on" : "off", (unsigned long)h->recorder.cap,
                    h->recorder.cap ? "on" : "off");
    if (_rgc_recorder_check(h, out) < 0)
        return -1;
    if (!(h->flags & RGC_HEAP_SAMPLING) != !(h->trace && h->trace->sample_bytes && RGC_HEAP_SAMPLING_ON))
        return fail(&c, h, "heap flags %#x say a sample is %s, the trace says %s", h->flags,
                    (h->flags & RGC_HEAP_SAMPLING) ? "traced" : "not traced",
                    h->trace && h->trace->sample_bytes ? "it is" : "it is not");
    if (check_generations(&c) < 0 || check_arenas(&c) < 0 || check_held(&c) < 0 || check_large(&c) < 0 ||
        _rgc_weaktab_check(h, out) < 0)
        return -1;
    for (int g = RGC_NYOUNG; g < RGC_NGENS; g++)
        if (c.old[g] != h->old_count[g])
            return fail(&c, h, "heap counts %zu objects in generation %d, found %zu", h->old_count[g], g,
                        c.old[g]);
    return 0;
}
