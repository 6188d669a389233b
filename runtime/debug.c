/*
 * debug.c — what a debugger reads and arms: the debug table (rgc_debug.h,
 * specified in docs/debug-abi.md), the debugger hook, and the event
 * recorder, each heap's ring of its last events.
 */
#include "builtins.h"
#include "rgc_debug.h"
#include "weakref.h"

#include <stddef.h>

/* ---- the table */

#define S_(name, ctype) .sizeof_##name = sizeof(ctype),
#define F_(name, ctype, entry, member) .name##_##entry = offsetof(ctype, member),
#define K_(entry, value) .entry = (uint64_t)(value),
#define A_(entry, address) .entry = (uint64_t)(uintptr_t)(address),

/* Writable, so that the runtime's first write (`initialized`) makes the
 * page the process's own: a core file then carries it even when the table
 * needed no relocation. */
__attribute__((section(".rgc_debug"), used, aligned(64))) RGC_API rgc_debug_table_t rgc_debug_table = {
    .cookie = RGC_DEBUG_COOKIE,
    .version = RGC_DEBUG_VERSION,
    .table_size = sizeof(rgc_debug_table_t),
    .pointer_size = sizeof(void *),
#if __BYTE_ORDER__ == __ORDER_LITTLE_ENDIAN__
    .byte_order = 1,
#else
    .byte_order = 2,
#endif
    .entry_size = sizeof(uint64_t),
    RGC_DEBUG_ENTRIES(S_, F_, K_, A_)
};

#undef S_
#undef F_
#undef K_
#undef A_

_Static_assert(offsetof(rgc_debug_table_t, runtime_address) == RGC_DEBUG_HEADER_SIZE,
               "entries start after the 24-byte header");
_Static_assert(sizeof(rgc_event_t) == 40, "rgc_event_t is 40 bytes (rgc.h)");
_Static_assert(RGC_DEBUG_HOOK_BIT(RGC_EV_FREE) == RGC_HOOK_BIT(RGC_EV_FREE), "one hook bit rule");
_Static_assert(offsetof(rgc_runtime_t, arena_map) / 64 == (offsetof(rgc_runtime_t, hooks) + 15) / 64 &&
                   offsetof(rgc_runtime_t, free_gate) / 64 == offsetof(rgc_runtime_t, arena_map) / 64,
               "arena_map, the gates and the hook words share a cache line");
_Static_assert(offsetof(rgc_hooks_t, watching) == 6 && offsetof(rgc_hooks_t, mask) == 7 &&
                   offsetof(rgc_hooks_t, sampling) == 8 && offsetof(rgc_hooks_t, allocs) == 1 &&
                   offsetof(rgc_hooks_t, allocs_hi) == 5 && offsetof(rgc_hooks_t, type_id) == 16,
               "the hook words (internal.h, rgc_hooks_t)");

void _rgc_debug_init(void)
{
    *(volatile uint32_t *)&rgc_debug_table.initialized = 1;
}

/* ---- the hook */

volatile uintptr_t rgc_debug_refcnt_watch;

__attribute__((noinline)) void rgc_debug_hook(const rgc_event_t *event)
{
    /* A debugger's breakpoint lands here; the call must stay a call. */
    __asm__ volatile("" : : "r"(event) : "memory");
}

static int hook_wants(const rgc_hooks_t *k, const rgc_event_t *e)
{
    if (!(k->mask & RGC_HOOK_BIT(e->kind)))
        return 0;
    switch (e->kind) {
    case RGC_EV_ALLOC:
        return k->type_id == 0 || k->type_id == e->type_id;
    case RGC_EV_FREE:
    case RGC_EV_ZERO:
    case RGC_EV_REFCNT:
        return k->address == 0 || k->address == e->address;
    case RGC_EV_GC_START:
        return k->generation < 0 || (uint64_t)k->generation == e->size;
    case RGC_EV_GC_END:
        return 1; /* the generation is the one its start named */
    default:
        return 1;
    }
}

static void hook_call(const rgc_event_t *e)
{
    rgc_hooks_t *k = &_rgc_runtime.hooks;
    if (!hook_wants(k, e))
        return;
    k->event = *e;
    k->hits++;
    rgc_debug_hook(&k->event);
}

void rgc_debug_refcnt_changed(void *obj, uint32_t new_count)
{
    const rgc_object_t *o = obj;
    rgc_event_t e = {.kind = RGC_EV_REFCNT, .type_id = o ? o->type_id : 0,
                     .address = (uint64_t)(uintptr_t)obj, .size = new_count,
                     .site = (uint64_t)(uintptr_t)__builtin_return_address(0)};
    hook_call(&e);
}

/* ---- events */

void _rgc_event(rgc_heap_t *h, uint32_t kind, const void *addr, uint64_t size, uint32_t type_id,
                const void *pc, const rgc_site_t *site)
{
    rgc_event_t e = {.kind = kind, .type_id = type_id, .address = (uint64_t)(uintptr_t)addr,
                     .size = size, .site = (uint64_t)(uintptr_t)pc};
    if (h && h->trace)
        _rgc_trace_event(h, kind, addr, size, pc, site);
    if (h && h->recorder.cap)
        e.seq = _rgc_record_write(h, kind, addr, size, type_id, pc);
    if (RGC_UNLIKELY(_rgc_runtime.hooks.mask != 0))
        hook_call(&e);
}

/* The gates' rule (rgc_hooks_t): a raw path's gate closes while its
 * events are all to be traced (`tracing`) or a debugger armed what a raw
 * block can match: a free (of any address), an allocation of any type (a
 * type filter matches objects only).  Other kinds leave both open; so do
 * a recorder and a sampling trace, which divert their own heap's raw
 * paths (RGC_HEAP_RECORDING, RGC_TAG_RECORD; RGC_HEAP_SAMPLING). */
static void gates_by_rule(const rgc_hooks_t *k, uint64_t *free_gate, uint64_t *alloc_gate)
{
    uint8_t mask = __atomic_load_n(&k->mask, __ATOMIC_RELAXED);
    uint8_t tracing = __atomic_load_n(&k->tracing, __ATOMIC_RELAXED);
    uint32_t type_id = __atomic_load_n(&k->type_id, __ATOMIC_RELAXED);
    int raw_allocs = (mask & RGC_HOOK_BIT(RGC_EV_ALLOC)) && type_id == 0;
    *free_gate = tracing || (mask & RGC_HOOK_BIT(RGC_EV_FREE)) ? 0 : RGC_FREE_GATE_OPEN;
    *alloc_gate = tracing || raw_allocs ? 0 : RGC_ALLOC_GATE_OPEN;
}

void _rgc_gates_update(void)
{
    uint64_t free_gate, alloc_gate;
    gates_by_rule(&_rgc_runtime.hooks, &free_gate, &alloc_gate);
    __atomic_store_n(&_rgc_runtime.free_gate, free_gate, __ATOMIC_RELAXED);
    __atomic_store_n(&_rgc_runtime.alloc_gate, alloc_gate, __ATOMIC_RELAXED);
}

int _rgc_gates_agree(void)
{
    uint64_t free_gate, alloc_gate;
    gates_by_rule(&_rgc_runtime.hooks, &free_gate, &alloc_gate);
    return _rgc_runtime.free_gate == free_gate && _rgc_runtime.alloc_gate == alloc_gate;
}

/* Heaps that observe or sample, their byte of the hook words and the
 * gates change together, under the runtime's lock: heaps on other threads
 * may start and stop at once. */
static void listeners_add(uint32_t *count, uint8_t *flag, int delta)
{
    pthread_mutex_lock(&_rgc_runtime.lock);
    *count += (uint32_t)delta;
    __atomic_store_n(flag, *count ? RGC_WATCH_ON : 0, __ATOMIC_RELAXED);
    _rgc_gates_update();
    pthread_mutex_unlock(&_rgc_runtime.lock);
}

void _rgc_observers_add(int delta)
{
    listeners_add(&_rgc_runtime.hooks.observers, &_rgc_runtime.hooks.watching, delta);
}

void _rgc_samplers_add(int delta)
{
    listeners_add(&_rgc_runtime.hooks.samplers, &_rgc_runtime.hooks.sampling, delta);
}

void _rgc_tracers_add(int delta)
{
    listeners_add(&_rgc_runtime.hooks.tracers, &_rgc_runtime.hooks.tracing, delta);
}

/* ---- the recorder */

#define RECORDER_MAX ((size_t)1 << 24)

/* Slot i (from 0) of r's ring, written: `where`, then `what` with the
 * kind and the lap. */
static void slot_put(rgc_recorder_t *r, uint64_t i, uint64_t where, uint64_t what, uint64_t kind)
{
    rgc_record_t *e = &r->events[i & (r->cap - 1)];
    e->where = where;
    uint64_t lap = (i >> __builtin_ctzll(r->cap)) & 3u;
    __atomic_store_n(&e->what, what | kind << RGC_REC_KIND_SHIFT | lap << RGC_REC_LAP_SHIFT, __ATOMIC_RELEASE);
}

uint64_t _rgc_record_long(rgc_recorder_t *r, uint32_t kind, uint64_t addr, uint64_t size, uint32_t type_id,
                          uint64_t site)
{
    const uint64_t low = ((uint64_t)1 << RGC_REC_LOW) - 1;
    uint64_t i = r->seq;
    slot_put(r, i, addr, (size & low) | (uint64_t)kind << RGC_REC_LOW, RGC_REC_LONG);
    slot_put(r, i + 1, site, size >> RGC_REC_LOW | (uint64_t)type_id << 16, RGC_REC_MORE);
    r->seq = i + 2;
    return i + 1;
}

void _rgc_recorder_free(rgc_heap_t *h)
{
    rgc_recorder_t *r = &h->recorder;
    if (!r->events)
        return;
    h->sysmem.free(h->sysmem.ctx, r->events, r->cap * sizeof(rgc_record_t));
    r->events = NULL;
    r->cap = 0;
    r->seq = 0;
    h->flags &= ~RGC_HEAP_RECORDING;
    _rgc_pools_retag(h);
    _rgc_observers_add(-1);
}

int rgc_recorder_start(rgc_heap_t *h, size_t nevents)
{
    if (!_rgc_heap_ok(h, "rgc_recorder_start"))
        return -1;
    if (nevents > RECORDER_MAX) {
        _rgc_report(RGC_EINVAL, h, NULL, "rgc_recorder_start: %zu events is more than %zu", nevents,
                    RECORDER_MAX);
        return -1;
    }
    _rgc_recorder_free(h);
    if (nevents == 0)
        return 0;
    size_t cap = 2; /* room for a long record */
    while (cap < nevents)
        cap <<= 1;
    /* 16-byte aligned, from the heap's byte allocator: no slot across a
     * cache line. */
    rgc_record_t *ev = h->sysmem.alloc(h->sysmem.ctx, cap * sizeof(rgc_record_t));
    if (!ev) {
        _rgc_report(RGC_ENOMEM, h, NULL, "rgc_recorder_start: no memory for %zu events", cap);
        return -1;
    }
    memset(ev, 0, cap * sizeof *ev);
    h->recorder.events = ev;
    h->recorder.cap = cap;
    h->recorder.seq = 0;
    /* The object paths see the recorder by the hook words (`watching`),
     * the raw paths by h's flags and its raw pools' tags: the gates stay
     * open, and other heaps' raw paths fast. */
    h->flags |= RGC_HEAP_RECORDING_ON;
    _rgc_pools_retag(h);
    _rgc_observers_add(1);
    return 0;
}

void rgc_recorder_stop(rgc_heap_t *h)
{
    if (_rgc_heap_ok(h, "rgc_recorder_stop"))
        _rgc_recorder_free(h);
}

size_t rgc_recorder_capacity(const rgc_heap_t *h)
{
    return h && h->magic == RGC_HEAP_MAGIC ? (size_t)h->recorder.cap : 0;
}

/* Slot s (from 1) of r's ring: its `where` and `what`, and its kind when
 * its lap is its number's (0 otherwise: an earlier event's, or none). */
static uint64_t slot_get(const rgc_recorder_t *r, uint64_t s, uint64_t *where, uint64_t *what)
{
    const rgc_record_t *e = &r->events[(s - 1) & (r->cap - 1)];
    *where = e->where;
    *what = e->what;
    uint64_t lap = ((s - 1) >> __builtin_ctzll(r->cap)) & 3u;
    if (*what >> RGC_REC_LAP_SHIFT != lap)
        return 0;
    return *what >> RGC_REC_KIND_SHIFT & 15u;
}

int _rgc_recorder_check(const rgc_heap_t *h, rgc_check_result_t *out)
{
    const rgc_recorder_t *r = &h->recorder;
    if (!r->events)
        return r->cap || r->seq ? _rgc_check_fail(out, r, "recorder without a ring has capacity %lu, "
                                                          "%lu slots written",
                                                  (unsigned long)r->cap, (unsigned long)r->seq)
                                : 0;
    if (r->cap < 2 || (r->cap & (r->cap - 1)))
        return _rgc_check_fail(out, r, "recorder capacity %lu is not a power of two from 2",
                               (unsigned long)r->cap);
    uint64_t first = r->seq > r->cap ? r->seq - r->cap + 1 : 1;
    int after_long = 0;
    for (uint64_t s = first; s <= r->seq; s++) {
        uint64_t where, what;
        uint64_t kind = slot_get(r, s, &where, &what);
        const void *at = &r->events[(s - 1) & (r->cap - 1)];
        if (kind == 0)
            return _rgc_check_fail(out, at, "recorder slot %lu holds lap %lu, kind %lu: "
                                            "not the event it should",
                                   (unsigned long)s, (unsigned long)(what >> RGC_REC_LAP_SHIFT),
                                   (unsigned long)(what >> RGC_REC_KIND_SHIFT & 15u));
        if (kind == RGC_REC_MORE) {
            if (!after_long && s != first)
                return _rgc_check_fail(out, at, "recorder slot %lu continues a long record "
                                                "slot %lu does not start",
                                       (unsigned long)s, (unsigned long)(s - 1));
        } else if (after_long) {
            return _rgc_check_fail(out, at, "recorder slot %lu does not continue the long record of slot %lu",
                                   (unsigned long)s, (unsigned long)(s - 1));
        } else if (kind > RGC_EV_ERROR && kind != RGC_REC_LONG) {
            return _rgc_check_fail(out, at, "recorder slot %lu has kind %lu, which no event has",
                                   (unsigned long)s, (unsigned long)kind);
        }
        after_long = kind == RGC_REC_LONG;
    }
    if (after_long)
        return _rgc_check_fail(out, &r->events[(r->seq - 1) & (r->cap - 1)],
                               "recorder slot %lu starts a long record that no slot continues",
                               (unsigned long)r->seq);
    return 0;
}

size_t rgc_recorder_events(const rgc_heap_t *h, rgc_event_t *out, size_t max)
{
    if (!_rgc_heap_ok(h, "rgc_recorder_events") || (!out && max))
        return 0;
    const rgc_recorder_t *r = &h->recorder;
    const uint64_t low = ((uint64_t)1 << RGC_REC_LOW) - 1;
    uint64_t first = r->seq > r->cap ? r->seq - r->cap + 1 : 1;
    /* From the last slot back, into the end of out. */
    size_t n = 0;
    for (uint64_t s = r->seq; s >= first && n < max; s--) {
        uint64_t where, what, w0, w1;
        uint64_t kind = slot_get(r, s, &where, &what);
        rgc_event_t ev;
        if (kind == RGC_REC_MORE) {
            if (s == first || slot_get(r, s - 1, &w0, &w1) != RGC_REC_LONG)
                continue; /* its first slot overwritten */
            s--;
            ev = (rgc_event_t){.seq = s, .kind = (uint32_t)(w1 >> RGC_REC_LOW & 1023u),
                               .type_id = (uint32_t)(what >> 16 & 0xFFFFu), .address = w0,
                               .size = (w1 & low) | (what & 0xFFFFu) << RGC_REC_LOW, .site = where};
        } else if (kind == 0 || kind == RGC_REC_LONG) {
            continue; /* none, or a long record being written */
        } else {
            ev = (rgc_event_t){.seq = s, .kind = (uint32_t)kind, .type_id = (uint32_t)(where >> RGC_REC_LOW),
                               .address = where & low, .size = what >> RGC_REC_LOW & 1023u, .site = what & low};
        }
        out[max - ++n] = ev;
    }
    if (n && n < max)
        memmove(out, out + (max - n), n * sizeof *out);
    return n;
}
