/*
 * events.h — private to the runtime, included by internal.h: what the
 * runtime's paths test to report events (the hook words and gates of
 * debug.c), the event recorder's in-place record, and allocation tracing's
 * structures (trace.c) with the tests that keep untraced work off the
 * trace.  Design: docs/internals/events.md.
 */
#ifndef RGC_EVENTS_H
#define RGC_EVENTS_H

#ifndef RGC_INTERNAL_H
#error "runtime/events.h is included by runtime/internal.h"
#endif
#if defined(__SSE2__)
#include <emmintrin.h>
#endif

/* ---- debug.c */
/* The hook words and gates the runtime's paths test (see rgc_hooks_t).  A
 * build with RGC_NO_EVENTS reads constants instead (nothing to report, the
 * gates open, and a recorder or a sample sets no heap flag or pool tag): no event is
 * ever reported, which is what the benchmarks compare the real paths
 * with. */
/* `any` while nothing listens: its byte `one`. */
#define RGC_HOOKS_IDLE ((uint64_t)1)
#ifdef RGC_NO_EVENTS
#define RGC_HOOKS_ANY RGC_HOOKS_IDLE
#define RGC_HOOKS_ALLOCS ((uint64_t)0)
#define RGC_FREE_GATE RGC_FREE_GATE_OPEN
#define RGC_ALLOC_GATE RGC_ALLOC_GATE_OPEN
#define RGC_HEAP_RECORDING_ON 0u /* a recorder diverts nothing */
#define RGC_HEAP_SAMPLING_ON 0u  /* nor a sampling trace */
#else
#define RGC_HOOKS_ANY (_rgc_runtime.hooks.any)
#define RGC_HOOKS_ALLOCS (_rgc_runtime.hooks.allocs)
#define RGC_FREE_GATE (_rgc_runtime.free_gate)
#define RGC_ALLOC_GATE (_rgc_runtime.alloc_gate)
#define RGC_HEAP_RECORDING_ON RGC_HEAP_RECORDING /* what a recorder sets */
#define RGC_HEAP_SAMPLING_ON RGC_HEAP_SAMPLING   /* what a sampling trace sets */
#endif
/* True when every event must be reported: a recorder is on, a heap traces
 * every allocation, or a debugger armed a hook.  One load and a branch on
 * the runtime's paths. */
static inline int _rgc_watching(void)
{
    return RGC_UNLIKELY(RGC_HOOKS_ANY != RGC_HOOKS_IDLE);
}
/* True when allocations must be reported: the above, or a heap samples. */
static inline int _rgc_watching_allocs(void)
{
    return RGC_UNLIKELY(RGC_HOOKS_ALLOCS != 0);
}
/* Records the event in h's ring (h may be NULL) and calls the hook when
 * armed for it. */
RGC_HIDDEN void _rgc_event(rgc_heap_t *h, uint32_t kind, const void *addr, uint64_t size,
                           uint32_t type_id, const void *pc, const rgc_site_t *site);
/* Heaps that record or trace (observers), and heaps that only sample
 * (samplers): the runtime's part of the hook words. */
RGC_HIDDEN void _rgc_observers_add(int delta);
RGC_HIDDEN void _rgc_samplers_add(int delta);
/* Heaps that trace every allocation (observers too): what closes the gates. */
RGC_HIDDEN void _rgc_tracers_add(int delta);
/* Sets the gates by their rule from the hook words (see rgc_hooks_t). */
RGC_HIDDEN void _rgc_gates_update(void);
/* True when the gates follow their rule (the heap checker asks). */
RGC_HIDDEN int _rgc_gates_agree(void);

/* ---- trace.c: allocation tracing */
typedef struct rgc_trace_entry {
    uint64_t address;          /* the block; 0 marks an empty slot */
    uint64_t size;             /* bytes asked for */
    uint32_t traceback;        /* its traceback's number (from 1) */
    uint32_t reserved;
} rgc_trace_entry_t;

/* A traceback: tb_stride bytes in the trace's array, numbered from 1. */
typedef struct rgc_traceback {
    const rgc_site_t *site;    /* from an allocation macro, or NULL */
    uint32_t nframes;
    uint32_t hash;
    uint64_t frames[];         /* nframes return addresses, innermost first */
} rgc_traceback_t;

/* The traces of a pool's blocks, beside it: slot i is block i's
 * (traceback 0: not traced).  Found from a block's address through its
 * arena's rgc_trace_arena_t, as its descriptor is found, without hashing. */
typedef struct rgc_trace_slot {
    uint32_t traceback;        /* its traceback's number, 0 when untraced */
    uint32_t size;             /* bytes asked for */
} rgc_trace_slot_t;

typedef struct rgc_trace_pool {
    uint64_t base;             /* the pool's first block when made */
    uint16_t block_size;       /* its blocks' size then */
    uint16_t nblocks;          /* slots */
    uint32_t used;             /* slots holding a trace */
    rgc_trace_slot_t slots[];
} rgc_trace_pool_t;

typedef struct rgc_trace_arena {
    uint64_t base;             /* the arena */
    rgc_trace_pool_t *pools[RGC_POOLS_PER_ARENA]; /* by pool index, or NULL */
} rgc_trace_arena_t;

typedef struct rgc_trace {
    uint32_t nframes;          /* the frame limit */
    uint32_t reserved;
    uint64_t sample_bytes;     /* 0: every allocation is traced */
    int64_t countdown;         /* sampling: bytes before the next trace */
    uint64_t rng;
    rgc_trace_entry_t *entries;/* live traced large blocks: open addressing
                                * by address, linear probing, cap a power
                                * of 2 (small blocks' traces are in their
                                * pools' slots) */
    uint64_t cap, len;         /* len: entries in use */
    uint8_t *tracebacks;       /* tb_len tracebacks of tb_stride bytes */
    uint64_t tb_stride, tb_len, tb_cap;
    uint32_t *tb_index;        /* open addressing: traceback numbers, 0 empty */
    uint64_t tb_index_cap;
    uint64_t current, peak;    /* traced bytes */
    uint64_t last_pc;          /* the last one-frame traceback, for reuse */
    const rgc_site_t *last_site;
    uint32_t last_tb;
    uint32_t reserved2;
    rgc_trace_arena_t **arenas;/* arenas with traced pools: open addressing
                                * by arena number, cap a power of 2 */
    uint64_t arenas_cap, arenas_len;
    uint64_t pooled;           /* traces in pool slots (all: len + pooled) */
    rgc_trace_arena_t *last_arena; /* the arena last looked up */
    /* The pool whose slots were last used (trace.c, "the last pool"): the
     * next block of it finds its slot without the arena's table.  Cleared
     * when those slots go or are made anew. */
    rgc_trace_pool_t *last_tp;
    uint64_t last_tp_base;     /* its first block */
    uint32_t last_tp_span;     /* nblocks * block_size */
    uint32_t last_tp_recip;    /* _rgc_class_recip of its class */
    uint32_t last_tp_class;    /* its class */
    uint32_t reserved3;
} rgc_trace_t;
RGC_HIDDEN void _rgc_trace_event(rgc_heap_t *h, uint32_t kind, const void *addr, uint64_t size,
                                 const void *pc, const rgc_site_t *site);
RGC_HIDDEN void _rgc_trace_free_all(rgc_heap_t *h);
/* A block's free told to h's trace tr: its trace, if it has one, removed;
 * the same for a small block whose pool the caller has (the descriptor). */
RGC_HIDDEN __attribute__((noinline)) void _rgc_trace_free(rgc_heap_t *h, rgc_trace_t *tr, const void *addr);
RGC_HIDDEN __attribute__((noinline)) void _rgc_trace_free_small(rgc_heap_t *h, rgc_trace_t *tr,
                                                                const void *addr, rgc_pool_t *pool);
/* A small block just taken from pool told to h's trace tr, by a call
 * without a site (six arguments, the first five trace_alloc's). */
RGC_HIDDEN __attribute__((noinline, nonnull(1, 2, 3, 6))) void
_rgc_trace_alloc_small(rgc_heap_t *h, rgc_trace_t *tr, void *addr, uint64_t size, const void *pc,
                       rgc_pool_t *pool);
RGC_HIDDEN uint32_t _rgc_trace_pool_used(const rgc_heap_t *h, const rgc_pool_t *pool);

/* True when h's recorder is all there is to tell of an event on h: the
 * allocation paths then write the record themselves (_rgc_record_write),
 * without a call. */
static inline int _rgc_recorder_only(const rgc_heap_t *h)
{
    return h->recorder.cap != 0 && !h->trace && !_rgc_runtime.hooks.mask;
}
/* h's recorder told of an event that does not fit one slot (debug.c). */
RGC_HIDDEN __attribute__((noinline)) uint64_t _rgc_record_long(rgc_recorder_t *r, uint32_t kind, uint64_t addr,
                                                               uint64_t size, uint32_t type_id, uint64_t site);
/* The event written into h's ring (rgc_record_t), its size known to fit
 * a slot's 10 bits (a small block's, or an object's from a pool: at most
 * RGC_SMALL_MAX); returns its number. */
static inline uint64_t _rgc_record_small(rgc_heap_t *h, uint32_t kind, const void *addr, uint64_t size,
                                         uint32_t type_id, const void *pc)
{
    rgc_recorder_t *r = &h->recorder;
    uint64_t a = (uint64_t)(uintptr_t)addr, p = (uint64_t)(uintptr_t)pc;
    if (RGC_UNLIKELY((a | p) >> RGC_REC_LOW != 0))
        return _rgc_record_long(r, kind, a, size, type_id, p);
    uint64_t i = r->seq++;
    rgc_record_t *e = &r->events[i & (r->cap - 1)];
    uint64_t where = a | (uint64_t)type_id << RGC_REC_LOW;
    uint64_t lap = (i >> __builtin_ctzll(r->cap)) & 3u;
    uint64_t what = p | size << RGC_REC_LOW | (uint64_t)kind << RGC_REC_KIND_SHIFT | lap << RGC_REC_LAP_SHIFT;
    /* The slot whole in one 16-byte store where there is one (a core,
     * taken between instructions, has all of it or none); else `what`,
     * with the kind and the lap, last: a slot whose lap is its number's
     * is whole, in a core taken at any instruction. */
#if defined(__SSE2__)
    _mm_storeu_si128((__m128i *)(void *)e, _mm_set_epi64x((long long)what, (long long)where));
#else
    e->where = where;
    __atomic_store_n(&e->what, what, __ATOMIC_RELEASE);
#endif
    return i + 1;
}
/* The same for any event: one that does not fit a slot takes two. */
static inline uint64_t _rgc_record_write(rgc_heap_t *h, uint32_t kind, const void *addr, uint64_t size,
                                         uint32_t type_id, const void *pc)
{
    if (RGC_UNLIKELY(size >> RGC_REC_SIZE_BITS != 0))
        return _rgc_record_long(&h->recorder, kind, (uint64_t)(uintptr_t)addr, size, type_id,
                                (uint64_t)(uintptr_t)pc);
    return _rgc_record_small(h, kind, addr, size, type_id, pc);
}
/* True when h's tracing is all there is to tell (no recorder, no hook). */
static inline int _rgc_trace_only(const rgc_heap_t *h)
{
    return h->trace && !h->recorder.cap && !_rgc_runtime.hooks.mask;
}
static inline __attribute__((always_inline)) void _rgc_record(rgc_heap_t *h, uint32_t kind, const void *addr,
                                                              uint64_t size, uint32_t type_id,
                                                              const void *pc, const rgc_site_t *site)
{
    if (RGC_LIKELY(_rgc_recorder_only(h))) {
        _rgc_record_write(h, kind, addr, size, type_id, pc);
    } else if (_rgc_trace_only(h)) {
        /* Sampling: an allocation before the next sample only counts
         * down, and a free while no small block is traced has nothing to
         * remove — neither needs the call. */
        rgc_trace_t *tr = h->trace;
        if (tr->sample_bytes && kind == RGC_EV_ALLOC && tr->countdown > (int64_t)size) {
            tr->countdown -= (int64_t)size;
            return;
        }
        if (kind == RGC_EV_FREE) {
            if ((tr->pooled || tr->len) && !(_rgc_in_arena(addr) && !_rgc_pool_of(addr)->traced))
                _rgc_trace_free(h, tr, addr);
            return;
        }
        if (kind == RGC_EV_ALLOC) /* the others mean nothing to a trace */
            _rgc_trace_event(h, kind, addr, size, pc, site);
    } else if (!h->recorder.cap && !h->trace) {
        /* Nothing of h's listens: a debugger's hook may, or another heap's
         * observer set the word.  The hook's filter first, in line (kinds
         * here: allocations, frees, counts reaching zero). */
        const rgc_hooks_t *k = &_rgc_runtime.hooks;
        if ((k->mask & RGC_HOOK_BIT(kind)) &&
            (kind == RGC_EV_ALLOC ? !k->type_id || k->type_id == type_id
                                  : !k->address || k->address == (uint64_t)(uintptr_t)addr))
            _rgc_event(h, kind, addr, size, type_id, pc, site);
    } else {
        _rgc_event(h, kind, addr, size, type_id, pc, site);
    }
}
/* True when nothing of h's listens to this allocation of n bytes — no
 * recorder, no hook armed, and no trace, or a sampling trace for which it
 * is not due (it is counted down) — so that the caller allocates as its
 * fast path would.  What listens to other heaps does not matter. */
static inline int _rgc_sample_skip(rgc_heap_t *h, uint64_t n)
{
    if (h->recorder.cap || _rgc_runtime.hooks.mask)
        return 0;
    rgc_trace_t *tr = h->trace;
    if (!tr)
        return 1;
    if (tr->sample_bytes && tr->countdown > (int64_t)n) {
        tr->countdown -= (int64_t)n;
        return 1;
    }
    return 0;
}
RGC_HIDDEN void _rgc_recorder_free(rgc_heap_t *h);
/* The heap checker's part for h's recorder: every slot the ring holds of
 * its own lap and of a kind a slot has, the two slots of each long record
 * together.  0, or -1 with the first violation in out (if not NULL). */
RGC_HIDDEN int _rgc_recorder_check(const rgc_heap_t *h, rgc_check_result_t *out);
/* Marks the table initialized (its page then belongs to the process). */
RGC_HIDDEN void _rgc_debug_init(void);

#endif /* RGC_EVENTS_H */
