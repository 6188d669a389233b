/*
 * rgc.h — the embedding API of rgc, a reference-counted object runtime whose
 * heap a debugger can read.
 *
 * Everything an embedder uses is declared here: heaps, the system-memory
 * seam, types and their reference layouts, objects and reference counts, raw
 * memory, statistics, the heap checker, the error hook and the built-in
 * types.  The layout of the debug table lives in rgc_debug.h; the runtime's
 * internals are not visible from this header.
 *
 * Ownership conventions (as in CPython's C API):
 *   - "new reference": the caller owns one reference and must decref it.
 *   - "borrowed":      valid while its container holds it; incref to keep.
 *   - "steals":        the callee takes over the caller's reference.
 * Functions that can fail return NULL or -1 and report the reason to the
 * error handler (see rgc_set_error_handler); they never abort.
 */
#ifndef RGC_H
#define RGC_H

#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#ifdef __cplusplus
extern "C" {
#endif

#if defined(__GNUC__)
#define RGC_API __attribute__((visibility("default")))
#define RGC_LIKELY(x) __builtin_expect(!!(x), 1)
#define RGC_UNLIKELY(x) __builtin_expect(!!(x), 0)
#else
#define RGC_API
#define RGC_LIKELY(x) (x)
#define RGC_UNLIKELY(x) (x)
#endif

#define RGC_VERSION_MAJOR 0
#define RGC_VERSION_MINOR 1

/* ------------------------------------------------------------------------ */
/* Geometry of the small-object allocator (fixed for a build; also exported
 * through the debug table). */

#define RGC_SMALL_MAX 512u             /* largest request served by pools */
#define RGC_ALIGN 16u                  /* size-class granularity/alignment */
#define RGC_NCLASSES (RGC_SMALL_MAX / RGC_ALIGN) /* 32 size classes */
#define RGC_POOL_SHIFT 14u
#define RGC_POOL_SIZE (1u << RGC_POOL_SHIFT)       /* 16 KiB */
#define RGC_ARENA_SHIFT 20u
#define RGC_ARENA_SIZE (1u << RGC_ARENA_SHIFT)     /* 1 MiB */
#define RGC_POOLS_PER_ARENA (RGC_ARENA_SIZE / RGC_POOL_SIZE) /* 64; one holds the arena header */

/* Named fill bytes (written when a heap is created with RGC_HEAP_FILL, and
 * always in debug builds). */
#define RGC_FILL_FRESH 0xCBu /* allocated, not yet written by the embedder */
#define RGC_FILL_FREED 0xDBu /* returned to its pool */
#define RGC_FILL_GUARD 0xFBu /* padding between the request and the block end */

/* ------------------------------------------------------------------------ */
/* Errors */

typedef enum rgc_error {
    RGC_OK = 0,
    RGC_ENOMEM,      /* system memory could not be had */
    RGC_EINVAL,      /* a bad argument (NULL, out of range, wrong type) */
    RGC_EMISUSE,     /* the API used against its contract */
    RGC_EFREED,      /* an object or block used after it was freed */
    RGC_EREFCNT,     /* a reference count would go below zero */
    RGC_EFOREIGN,    /* a pointer this heap does not own */
    RGC_ECORRUPT,    /* a heap invariant does not hold */
    RGC_EUNHASHABLE, /* a key whose type has no hash */
    RGC_EKEY,        /* a key or index that is not there */
} rgc_error_t;

/*
 * Called on every detected error with the address concerned and, where it
 * is known, the name of the object's type (else NULL).  The default handler
 * writes one line to stderr.  The handler must not re-enter the heap that
 * reported the error.
 */
typedef void (*rgc_error_fn)(void *ctx, rgc_error_t code, const void *address,
                             const char *type_name, const char *message);

/* Sets the process-wide error handler; NULL restores the default. */
RGC_API void rgc_set_error_handler(rgc_error_fn fn, void *ctx);
/* A short constant description of an error code. */
RGC_API const char *rgc_strerror(rgc_error_t code);
/* The code of the last error reported on this thread (RGC_OK if none). */
RGC_API rgc_error_t rgc_last_error(void);
RGC_API void rgc_clear_error(void);

/* ------------------------------------------------------------------------ */
/* The system-memory seam: every byte a heap uses comes through these hooks.
 * Tests inject failures here; the debugger learns every mapping from the
 * arenas and large blocks that result. */

typedef struct rgc_sysmem {
    /* Map size bytes (a multiple of the page size) aligned to align (a
     * power of two >= page size); NULL on failure. */
    void *(*map)(void *ctx, size_t size, size_t align);
    /* Unmap memory returned by map. */
    void (*unmap)(void *ctx, void *p, size_t size);
    /* Tell the system a mapped range's contents may be discarded; the
     * range stays mapped and reads as zero afterwards.  May be NULL. */
    void (*decommit)(void *ctx, void *p, size_t size);
    /* Byte allocator for blocks larger than RGC_SMALL_MAX; the result must
     * be 16-byte aligned.  NULL on failure. */
    void *(*alloc)(void *ctx, size_t size);
    void (*free)(void *ctx, void *p, size_t size);
    void *ctx;
    /* Back a mapped range with memory before it is first touched: one call
     * for a whole pool costs a third of the page faults it saves.  A hint:
     * it may do nothing.  May be NULL. */
    void (*populate)(void *ctx, void *p, size_t size);
} rgc_sysmem_t;

/* The default seam: mmap/munmap/madvise and malloc/free.  Arenas are
 * mapped two to a 2 MiB region advised for transparent huge pages (see
 * runtime/os.c); a region where pools were decommitted is advised back to
 * small pages, so purged memory stays out of RSS. */
RGC_API const rgc_sysmem_t *rgc_sysmem_default(void);
/* The same seam with every arena on its own, on 4 KiB pages: for processes
 * that must not use huge pages (RGC_HEAP_SMALL_PAGES selects it). */
RGC_API const rgc_sysmem_t *rgc_sysmem_small_pages(void);

/* ------------------------------------------------------------------------ */
/* Heaps */

typedef struct rgc_heap rgc_heap_t;

enum {
    RGC_HEAP_SHARED = 1u << 0, /* create a lock: see rgc_heap_lock */
    RGC_HEAP_FILL = 1u << 1,   /* write the named fill bytes */
    RGC_HEAP_SMALL_PAGES = 1u << 2, /* no huge pages: rgc_sysmem_small_pages() */
};

typedef struct rgc_heap_config {
    unsigned flags;              /* RGC_HEAP_* */
    const char *name;            /* copied; shown by tools; NULL = "heap" */
    const rgc_sysmem_t *sysmem;  /* NULL = rgc_sysmem_default(); copied */
    /* Bytes of memory the heap holds without using it that it keeps,
     * rather than giving them back to the system: empty pools stay
     * committed and empty arenas mapped up to this much, so that a heap
     * which empties and fills again (a burst of requests, a phase that
     * builds and drops a large structure) neither unmaps nor faults its
     * pages in again.  0 (the default): empty memory goes back at once,
     * but for one spare arena and a small budget of empty pools.  Rounded
     * down to whole pools (RGC_POOL_SIZE); rgc_heap_trim gives it all
     * back whatever this says. */
    size_t keep_unused;
} rgc_heap_config_t;

/* Creates a heap (config NULL = defaults).  NULL when memory cannot be had. */
RGC_API rgc_heap_t *rgc_heap_new(const rgc_heap_config_t *config);
/* Returns every arena and large block of the heap to the system.  Objects
 * still alive are not finalized: their memory simply goes.  NULL is a no-op. */
RGC_API void rgc_heap_destroy(rgc_heap_t *heap);
RGC_API const char *rgc_heap_name(const rgc_heap_t *heap);
/* A heap is used by one thread at a time.  A heap created RGC_HEAP_SHARED
 * has a lock: each thread holds it around its use of the heap (as an
 * interpreter holds its global lock).  On other heaps these are no-ops. */
RGC_API void rgc_heap_lock(rgc_heap_t *heap);
RGC_API void rgc_heap_unlock(rgc_heap_t *heap);

/* ------------------------------------------------------------------------ */
/* Raw memory: non-object bytes (item arrays, tables, string data), from the
 * same pools as objects so a tool sees every live byte. */

/* n bytes, 16-byte aligned; NULL (and RGC_ENOMEM) on failure.  n == 0 gives
 * a unique minimal block. */
RGC_API void *rgc_mem_alloc(rgc_heap_t *heap, size_t n);
/* Like rgc_mem_alloc, zero-filled. */
RGC_API void *rgc_mem_calloc(rgc_heap_t *heap, size_t n);
/* Resizes p (NULL = alloc).  On failure returns NULL and p is untouched. */
RGC_API void *rgc_mem_realloc(rgc_heap_t *heap, void *p, size_t n);
/* Frees p (NULL is a no-op).  A pointer the heap does not own, or one
 * already freed, is reported (RGC_EFOREIGN / RGC_EFREED) and left alone.
 * A pointer into the middle of a live block is reported in debug builds and
 * on RGC_HEAP_FILL heaps; elsewhere rgc_heap_check finds it afterwards. */
RGC_API void rgc_mem_free(rgc_heap_t *heap, void *p);
/* The usable size of the block holding p (its size class or large size). */
RGC_API size_t rgc_mem_usable_size(rgc_heap_t *heap, const void *p);

/* ------------------------------------------------------------------------ */
/* Objects */

/*
 * The object header: 16 bytes, the only per-object bookkeeping.  Every
 * object struct begins with it (RGC_OBJECT_HEAD).  Bits of `flags`:
 *   bits 0-1  generation (0, 1, 2; 3 = permanent/frozen)   RGC_OF_GEN_MASK
 *   bit 2     tracked by the cycle collector               RGC_OF_TRACKED
 *   bit 3     finalizer has run                            RGC_OF_FINALIZED
 *   bit 4     lives in a large block, not a pool           RGC_OF_LARGE
 *   bit 5     immortal by construction (static/cached)     RGC_OF_IMMORTAL
 *   bit 6     interned string                              RGC_OF_INTERNED
 *   bit 7     its type has references, hooks or a           RGC_OF_TEARDOWN
 *             finalizer (clear: destruction just frees the block)
 *   bit 8     weak references point at it                  RGC_OF_WEAKREFED
 *   bit 9     its allocation was traced (it may still be)   RGC_OF_TRACED
 *   bits 12-15 collector scratch, meaningful during a collection only:
 *             candidate (12), reachable (13), set aside by a sweep (14)
 * When a block is freed, refcnt becomes 0 and type_id stays, so a later
 * decref can name the type; bytes 8-15 then hold the pool's free-list link.
 */
typedef struct rgc_object {
    uint32_t refcnt;   /* strong references; RGC_REFCNT_IMMORTAL saturates */
    uint32_t type_id;  /* index of the type in the runtime's type table */
    uint32_t flags;    /* RGC_OF_* bits, see above */
    uint32_t gc_index; /* slot in its generation's member array, if tracked */
} rgc_object_t;

#define RGC_OBJECT_HEAD rgc_object_t ob_base
#define RGC_REFCNT_IMMORTAL UINT32_MAX

enum {
    RGC_OF_GEN_MASK = 0x3u,
    RGC_OF_TRACKED = 1u << 2,
    RGC_OF_FINALIZED = 1u << 3,
    RGC_OF_LARGE = 1u << 4,
    RGC_OF_IMMORTAL = 1u << 5,
    RGC_OF_INTERNED = 1u << 6,
    RGC_OF_TEARDOWN = 1u << 7,
    RGC_OF_WEAKREFED = 1u << 8,
    RGC_OF_TRACED = 1u << 9,
    RGC_OF_GC_CANDIDATE = 1u << 12,
    RGC_OF_GC_REACHABLE = 1u << 13,
    RGC_OF_GC_ASIDE = 1u << 14,
    RGC_OF_SCRATCH_MASK = 0xF000u,
};

/* Called when a decref reaches zero or hits a freed object. */
RGC_API void _rgc_decref_slow(rgc_object_t *o);

/* Code built with RGC_HOOK_REFCOUNTS defined (a debug build of the
 * embedder) reports every count change of the one object a debugger asked
 * about (RGC_EV_REFCNT, see rgc_debug.h): rgc_incref and rgc_decref then
 * compare the object with rgc_debug_refcnt_watch, the address armed by the
 * debugger (0 when none).  Other code pays nothing for it. */
RGC_API extern volatile uintptr_t rgc_debug_refcnt_watch;
RGC_API void rgc_debug_refcnt_changed(void *obj, uint32_t new_count);
#ifdef RGC_HOOK_REFCOUNTS
#define RGC_REFCNT_WATCH_(o, n)                                                   \
    do {                                                                          \
        if (RGC_UNLIKELY((uintptr_t)(o) == rgc_debug_refcnt_watch))               \
            rgc_debug_refcnt_changed((o), (n));                                   \
    } while (0)
#else
#define RGC_REFCNT_WATCH_(o, n) ((void)0)
#endif

/* Adds a strong reference.  Immortal objects are left unchanged. */
static inline void rgc_incref(void *obj)
{
    rgc_object_t *o = (rgc_object_t *)obj;
    uint32_t r = o->refcnt + 1u;
    if (RGC_LIKELY(r != 0))
        o->refcnt = r;
    RGC_REFCNT_WATCH_(o, o->refcnt);
}

/* Drops a strong reference; at zero the object is destroyed at once. */
static inline void rgc_decref(void *obj)
{
    rgc_object_t *o = (rgc_object_t *)obj;
    uint32_t r = o->refcnt;
    /* One compare: r in [2, IMMORTAL) just decrements; 0, 1 and
     * IMMORTAL take the slow path (misuse, destroy, nothing). */
    RGC_REFCNT_WATCH_(o, r == RGC_REFCNT_IMMORTAL ? r : r - 1u);
    if (RGC_LIKELY(r - 2u < RGC_REFCNT_IMMORTAL - 2u))
        o->refcnt = r - 1u;
    else
        _rgc_decref_slow(o);
}

static inline void rgc_xincref(void *obj)
{
    if (obj)
        rgc_incref(obj);
}
static inline void rgc_xdecref(void *obj)
{
    if (obj)
        rgc_decref(obj);
}
/* Returns its argument with a new reference: `x = rgc_newref(y)`. */
static inline void *rgc_newref(void *obj)
{
    rgc_incref(obj);
    return obj;
}

/* The reference count (RGC_REFCNT_IMMORTAL for immortal objects). */
RGC_API uint32_t rgc_refcount(const void *obj);
/* The real size of the object's block, header included, plus the blocks it
 * owns privately (a list's item array, a dict's table): sys.getsizeof. */
RGC_API size_t rgc_sizeof(const void *obj);
/* Makes obj immortal: its count saturates and it is never destroyed. */
RGC_API void rgc_immortalize(void *obj);
RGC_API bool rgc_is_immortal(const void *obj);
/* The heap an object lives in. */
RGC_API rgc_heap_t *rgc_heap_of(const void *obj);

/* ------------------------------------------------------------------------ */
/* Types, with their reference layout as data */

typedef struct rgc_type rgc_type_t;

/* A reference held in a fixed field of the object (or NULL). */
typedef struct rgc_ref_field {
    const char *name;
    uint32_t offset; /* of an rgc_object_t * field */
} rgc_ref_field_t;

/* Items are stored inline after the fixed part (tuple-style). */
#define RGC_REFS_INLINE UINT32_MAX

/*
 * A run of references: `count` elements of `stride` bytes, each holding a
 * reference (or NULL) at `ref_offset` within the element.  The elements
 * start at the address stored in the pointer field at `ptr_offset`, or, with
 * ptr_offset == RGC_REFS_INLINE, at the object's item area (basic_size).
 * The count is the size_t field at `len_offset`.
 */
typedef struct rgc_ref_array {
    const char *name;
    uint32_t ptr_offset; /* pointer field, or RGC_REFS_INLINE */
    uint32_t len_offset; /* size_t element count */
    uint32_t stride;     /* bytes per element; 0 = sizeof(void *) */
    uint32_t ref_offset; /* of the reference inside an element */
} rgc_ref_array_t;

typedef struct rgc_visit_ctx rgc_visit_ctx_t;
/* Called by a traverse hook on each reference the object holds. */
typedef void (*rgc_visit_fn)(rgc_object_t *ref, void *arg);

enum {
    RGC_TF_VAR = 1u << 0,           /* variable size: item_size per item */
    RGC_TF_UNHASHABLE = 1u << 1,    /* cannot be a dict key or set member */
    RGC_TF_LEGACY_FINALIZER = 1u << 2, /* a cycle through it is uncollectable */
    RGC_TF_WEAKREFABLE = 1u << 3,   /* may be the target of weak references */
    RGC_TF_NO_GC = 1u << 4,         /* never tracked, even if it holds refs */
    RGC_TF_BUILTIN = 1u << 5,       /* set by the runtime for its own types */
};

typedef struct rgc_type_spec {
    const char *name;       /* copied; unique in the process */
    size_t basic_size;      /* fixed part, header included */
    size_t item_size;       /* bytes per item for RGC_TF_VAR types */
    uint32_t nitems_offset; /* RGC_TF_VAR: size_t field the runtime sets to
                             * the item count at allocation */
    uint32_t flags;         /* RGC_TF_* */
    const rgc_ref_field_t *ref_fields;
    size_t n_ref_fields;
    const rgc_ref_array_t *ref_arrays;
    size_t n_ref_arrays;
    /* Exotic layouts: visit every reference.  Tools show such objects as
     * opaque.  When set, the layout above is only documentation. */
    void (*traverse)(rgc_object_t *o, rgc_visit_fn visit, void *arg);
    /* Runs once, before destruction (PEP 442); may resurrect the object. */
    void (*finalize)(rgc_object_t *o);
    /* Releases non-object resources; runs after the references in the
     * layout were dropped and set to NULL.  A type with a traverse hook
     * drops its own references here. */
    void (*dealloc)(rgc_object_t *o);
    /* Types with a traverse hook: drops (and forgets) the references the
     * hook visits, to break a cycle.  Without it such objects in a garbage
     * cycle are uncollectable. */
    void (*clear)(rgc_object_t *o);
    /* Bytes of private raw memory the object owns (for rgc_sizeof). */
    size_t (*extra_size)(const rgc_object_t *o);
    /* Hash and equality; without hash, identity is used unless the type is
     * RGC_TF_UNHASHABLE.  eq returns 1, 0, or -1 on error.  Hooks are
     * called through rgc_hash/rgc_equal, and a hash hook may call rgc_hash
     * on the object's parts: an unhashable part makes the whole unhashable. */
    uint64_t (*hash)(const rgc_object_t *o);
    int (*eq)(const rgc_object_t *a, const rgc_object_t *b);
    /* Writes a short human-readable form into buf (used by dumps). */
    void (*repr)(const rgc_object_t *o, char *buf, size_t size);
} rgc_type_spec_t;

/*
 * Registers a type in the process-wide type table.  Registering a name again
 * with an identical spec returns the existing type; a different spec under a
 * taken name, a layout field outside the object, or a basic_size smaller
 * than the header is RGC_EINVAL and returns NULL.
 */
RGC_API rgc_type_t *rgc_type_register(const rgc_type_spec_t *spec);
RGC_API rgc_type_t *rgc_type_by_name(const char *name);
RGC_API rgc_type_t *rgc_type_by_id(uint32_t id);
RGC_API uint32_t rgc_type_count(void);
RGC_API uint32_t rgc_type_id(const rgc_type_t *type);
RGC_API const char *rgc_type_name(const rgc_type_t *type);
RGC_API size_t rgc_type_basic_size(const rgc_type_t *type);
RGC_API bool rgc_type_is_gc(const rgc_type_t *type);
RGC_API rgc_type_t *rgc_typeof(const void *obj);
/* True when obj's type is `type`. */
RGC_API bool rgc_is(const void *obj, const rgc_type_t *type);

/* A new object of a fixed-size type: body zeroed, refcount 1, tracked by
 * the collector when the type holds references.  NULL on failure. */
RGC_API void *rgc_new(rgc_heap_t *heap, rgc_type_t *type);
/* A new object of an RGC_TF_VAR type with nitems items. */
RGC_API void *rgc_new_var(rgc_heap_t *heap, rgc_type_t *type, size_t nitems);

/* Visits every reference obj holds, through its layout or traverse hook. */
RGC_API void rgc_visit_refs(const void *obj, rgc_visit_fn visit, void *arg);

/* Collector membership. */
RGC_API bool rgc_is_tracked(const void *obj);
RGC_API void rgc_track(void *obj);
RGC_API void rgc_untrack(void *obj);
/* The generation of a tracked object (0-2, 3 = permanent), -1 if untracked. */
RGC_API int rgc_generation(const void *obj);
/* Number of tracked objects in generation gen of the heap. */
RGC_API size_t rgc_generation_size(const rgc_heap_t *heap, int gen);

/* ------------------------------------------------------------------------ */
/* The cycle collector: Python's gc module, for C.  Each heap has its own
 * collector; nothing here is process-wide. */

#define RGC_GC_GENERATIONS 3   /* collectable generations: 0, 1, 2 */
#define RGC_GC_PERMANENT 3     /* the frozen objects' generation */

/*
 * Collects generations 0..gen (gen in 0..2).  Returns the number of
 * unreachable objects found (collected plus uncollectable), or -1 when the
 * collection was declined: a collection already running (re-entrant call
 * from a finalizer or callback), or no memory for its temporary arrays
 * (RGC_ENOMEM reported; the heap is untouched).
 */
RGC_API long rgc_gc_collect(rgc_heap_t *heap, int gen);
RGC_API void rgc_gc_enable(rgc_heap_t *heap);
RGC_API void rgc_gc_disable(rgc_heap_t *heap);
RGC_API bool rgc_gc_is_enabled(const rgc_heap_t *heap);
/* gc.get_count(): [0] tracked allocations minus deallocations in
 * generation 0 since its last collection, [1] collections of generation 0
 * since generation 1 was last collected, [2] likewise for generation 1. */
RGC_API void rgc_gc_get_count(const rgc_heap_t *heap, size_t count[3]);
RGC_API void rgc_gc_get_threshold(const rgc_heap_t *heap, size_t threshold[3]);
/* Sets the thresholds (defaults 700, 10, 10).  threshold[0] == 0 disables
 * automatic collection, as in Python.  As there, a generation is collected
 * automatically when its count *exceeds* its threshold (so 11 collections
 * of generation 0 come before one of generation 1 by default), the oldest
 * such generation first; and a full collection also waits until the
 * objects moved to generation 2 since the last one are at least a quarter
 * of those it holds (the young collections go on meanwhile). */
RGC_API void rgc_gc_set_threshold(rgc_heap_t *heap, size_t t0, size_t t1, size_t t2);

typedef struct rgc_gc_gen_stats {
    size_t collections;    /* collections of this generation */
    size_t collected;      /* objects freed by them */
    size_t uncollectable;  /* objects they put in the garbage list */
} rgc_gc_gen_stats_t;
RGC_API void rgc_gc_get_stats(const rgc_heap_t *heap, rgc_gc_gen_stats_t stats[3]);

/* gc.freeze(): every tracked object moves to the permanent generation,
 * which collections ignore; unfreeze moves them back to generation 2. */
RGC_API void rgc_gc_freeze(rgc_heap_t *heap);
RGC_API void rgc_gc_unfreeze(rgc_heap_t *heap);
RGC_API size_t rgc_gc_get_freeze_count(const rgc_heap_t *heap);

/* Calls fn on every tracked object of generation gen (-1: all, including
 * the permanent generation); stops early when fn returns non-zero.
 * Returns the number of objects visited.  fn must not free objects. */
typedef int (*rgc_object_fn)(rgc_object_t *obj, void *arg);
RGC_API size_t rgc_gc_get_objects(rgc_heap_t *heap, int gen, rgc_object_fn fn, void *arg);
/* Calls fn on every live object of the heap, tracked or not (dead objects
 * awaiting destruction and held blocks are not live); stops early when fn
 * returns non-zero.  Returns the number visited.  fn must not free objects. */
RGC_API size_t rgc_heap_objects(rgc_heap_t *heap, rgc_object_fn fn, void *arg);
/* gc.get_referrers(): calls fn on each tracked object that holds a
 * reference to obj.  Returns how many there were. */
RGC_API size_t rgc_gc_get_referrers(rgc_heap_t *heap, const void *obj, rgc_object_fn fn, void *arg);
/* gc.get_referents(): calls fn on each object obj refers to. */
RGC_API size_t rgc_gc_get_referents(const void *obj, rgc_object_fn fn, void *arg);
/* True once the object's finalizer has run (gc.is_finalized). */
RGC_API bool rgc_gc_is_finalized(const void *obj);

/* Collection callbacks (gc.callbacks): called with phase "start" before and
 * "stop" after every collection, automatic or explicit. */
typedef enum rgc_gc_phase { RGC_GC_START, RGC_GC_STOP } rgc_gc_phase_t;
typedef struct rgc_gc_info {
    int generation;        /* oldest generation collected */
    size_t collected;      /* objects freed (stop only) */
    size_t uncollectable;  /* objects moved to the garbage list (stop only) */
    uint64_t duration_ns;  /* wall time of the collection (stop only) */
} rgc_gc_info_t;
typedef void (*rgc_gc_callback_fn)(rgc_heap_t *heap, rgc_gc_phase_t phase, const rgc_gc_info_t *info,
                                   void *arg);
/* Adds a callback; returns 0, or -1 when the list is full (16). */
RGC_API int rgc_gc_callback_add(rgc_heap_t *heap, rgc_gc_callback_fn fn, void *arg);
/* Removes the first registration of (fn, arg); returns 0, or -1 if absent. */
RGC_API int rgc_gc_callback_remove(rgc_heap_t *heap, rgc_gc_callback_fn fn, void *arg);

/* Debug flags (gc.set_debug). */
enum {
    RGC_GC_DEBUG_STATS = 1u << 0,         /* a line on stderr per collection */
    RGC_GC_DEBUG_COLLECTABLE = 1u << 1,   /* a line per collectable object */
    RGC_GC_DEBUG_UNCOLLECTABLE = 1u << 2, /* a line per uncollectable object */
    RGC_GC_DEBUG_SAVEALL = 1u << 5,       /* keep all garbage in the list */
    RGC_GC_DEBUG_LEAK = RGC_GC_DEBUG_COLLECTABLE | RGC_GC_DEBUG_UNCOLLECTABLE | RGC_GC_DEBUG_SAVEALL,
};
RGC_API void rgc_gc_set_debug(rgc_heap_t *heap, unsigned flags);
RGC_API unsigned rgc_gc_get_debug(const rgc_heap_t *heap);
/* gc.garbage: a list of the objects found unreachable but not freed (cycles
 * through a legacy finalizer, or everything with SAVEALL).  Borrowed; the
 * embedder may clear it. NULL only if the list could not be allocated. */
RGC_API void *rgc_gc_garbage(rgc_heap_t *heap);

/* ------------------------------------------------------------------------ */
/* Weak references (weakref module).  Only objects of RGC_TF_WEAKREFABLE
 * types can be referred to weakly. */

/*
 * A new weak reference to obj (a new reference to the weakref object).
 * callback, if not NULL, is called once with the weakref when obj dies,
 * provided the weakref itself is still alive; the weakref holds a strong
 * reference to ctx_obj (may be NULL), passed to the callback.  NULL and
 * RGC_EINVAL for an object whose type is not weak-referenceable.
 */
typedef void (*rgc_weakref_fn)(void *weakref, void *ctx_obj);
RGC_API void *rgc_weakref_new(void *obj, rgc_weakref_fn callback, void *ctx_obj);
/* The referent as a new reference, or NULL once it has died. */
RGC_API void *rgc_weakref_get(const void *weakref);
/* The referent, borrowed, or NULL: valid until the next decref. */
RGC_API void *rgc_weakref_peek(const void *weakref);
/* Weak references currently pointing at obj (weakref.getweakrefcount). */
RGC_API size_t rgc_weakref_count(const void *obj);
RGC_API rgc_type_t *rgc_weakref_type(void);

/* WeakValueDictionary: entries vanish when their value dies. */
RGC_API void *rgc_weakvaluedict_new(rgc_heap_t *heap);
RGC_API int rgc_weakvaluedict_set(void *wd, void *key, void *value);  /* increfs key only */
RGC_API void *rgc_weakvaluedict_get(const void *wd, const void *key); /* new reference or NULL */
RGC_API int rgc_weakvaluedict_del(void *wd, const void *key);
RGC_API size_t rgc_weakvaluedict_len(const void *wd);   /* live entries */
/* WeakKeyDictionary: entries vanish when their key dies. */
RGC_API void *rgc_weakkeydict_new(rgc_heap_t *heap);
RGC_API int rgc_weakkeydict_set(void *wd, void *key, void *value);    /* increfs value only */
RGC_API void *rgc_weakkeydict_get(const void *wd, const void *key);   /* borrowed or NULL */
RGC_API int rgc_weakkeydict_del(void *wd, const void *key);
RGC_API size_t rgc_weakkeydict_len(const void *wd);

/* ------------------------------------------------------------------------ */
/* Statistics (sys._debugmallocstats for rgc) */

typedef struct rgc_class_stats {
    uint32_t block_size;  /* bytes per block in this class */
    size_t pools;         /* pools of this class in use */
    size_t blocks_used;   /* blocks handed out */
    size_t blocks_free;   /* blocks available in those pools */
    size_t bytes_used;    /* blocks_used * block_size */
    size_t bytes_wasted;  /* requested vs block size, for live blocks */
} rgc_class_stats_t;

typedef struct rgc_heap_stats {
    size_t arenas;            /* arenas mapped now */
    size_t arenas_allocated;  /* arenas mapped over the heap's life */
    size_t arenas_freed;      /* arenas returned to the system */
    size_t arenas_highwater;  /* most arenas mapped at once */
    size_t pools_used;        /* pools holding a size class */
    size_t pools_free;        /* empty pools inside mapped arenas */
    size_t pools_dirty;       /* ... of which rgc has not decommitted (in RSS;
                               * on a huge page the others may be too) */
    size_t pages_released;    /* 4 KiB pages inside pools in use given back to
                               * the system, every block on them being free */
    size_t large_blocks;      /* live blocks > RGC_SMALL_MAX */
    size_t large_bytes;       /* their requested bytes */
    size_t objects;           /* live objects (small and large) */
    size_t bytes_mapped;      /* arenas * RGC_ARENA_SIZE + large bytes + each
                               * large block's header (and guard, on a heap
                               * with fill bytes) */
    size_t bytes_in_use;      /* small blocks in use + large bytes */
    size_t tracked[4];        /* tracked objects per generation */
    rgc_class_stats_t classes[RGC_NCLASSES];
} rgc_heap_stats_t;

/* Fills *out.  Returns 0, or -1 on a NULL argument. */
RGC_API int rgc_heap_stats(rgc_heap_t *heap, rgc_heap_stats_t *out);
/* Writes a table of the statistics to f. */
RGC_API void rgc_heap_print_stats(rgc_heap_t *heap, FILE *f);
/*
 * Gives back to the system all the memory the heap can do without now, as
 * malloc_trim does: the empty pool each size class keeps, the spare empty
 * arena and any other arena left empty, every empty pool still committed,
 * and every 4 KiB page of a pool in use whose blocks are all free (a heap
 * whose blocks were all freed keeps no arena after it).  The heap does the
 * same on its own as it frees (its purge keeps a few empty pools
 * committed, so that allocating again costs no page faults); this is for a
 * program that knows it has just shed most of its data.  Returns the bytes unmapped or decommitted.  Pages given back read
 * as zero and are backed again when blocks on them are next handed out.
 */
RGC_API size_t rgc_heap_trim(rgc_heap_t *heap);

/* ------------------------------------------------------------------------ */
/* Events: the event recorder (a flight recorder per heap) and the debugger
 * hook.  The layout of the records and of the hook's state is published in
 * the debug table (rgc_debug.h), so a tool reads them from a core file. */

typedef enum rgc_event_kind {
    RGC_EV_ALLOC = 1,    /* a block or object handed out: address, size, type */
    RGC_EV_FREE = 2,     /* a block or object given back: address, size, type */
    RGC_EV_ZERO = 3,     /* an object's count reached zero: address, type */
    RGC_EV_GC_START = 4, /* a collection starts: size = generation */
    RGC_EV_GC_END = 5,   /* a collection ended: size = objects collected */
    RGC_EV_ERROR = 6,    /* a detected error: address, size = rgc_error_t */
    RGC_EV_REFCNT = 7,   /* a count changed: size = the new count (hook only,
                          * in code built with RGC_HOOK_REFCOUNTS) */
} rgc_event_kind_t;

/* One event, 40 bytes. */
typedef struct rgc_event {
    uint64_t seq;      /* per heap, from 1; 0 marks an empty record */
    uint32_t kind;     /* rgc_event_kind_t */
    uint32_t type_id;  /* the object's type; 0 for raw memory */
    uint64_t address;
    uint64_t size;     /* bytes requested, or as the kind says */
    uint64_t site;     /* a return address in the code that asked */
} rgc_event_t;

/*
 * Starts recording the heap's last `nevents` events in a ring of 16-byte
 * slots (`nevents` rounded up to a power of two, at least 2, at most
 * 2^24); 0 stops and frees the ring.  An event takes one slot, or two when
 * its size passes 1,023 (a large block; a collection that freed that many
 * objects) or an address passes 48 bits.  A running recorder is restarted
 * empty.  Returns 0, or -1 (RGC_ENOMEM, RGC_EINVAL).
 */
RGC_API int rgc_recorder_start(rgc_heap_t *heap, size_t nevents);
RGC_API void rgc_recorder_stop(rgc_heap_t *heap);
/* The ring's capacity in slots (0 when off). */
RGC_API size_t rgc_recorder_capacity(const rgc_heap_t *heap);
/* Copies the last events, oldest first, into out (at most max); returns how
 * many.  An event's number is its first slot's: the numbers say how many
 * slots came before (an event after one of two slots is two higher). */
RGC_API size_t rgc_recorder_events(const rgc_heap_t *heap, rgc_event_t *out, size_t max);

/*
 * The debugger hook: called, with the event, for the events a debugger
 * armed by writing the hook mask and filters of the runtime root (see
 * rgc_debug.h: a debugger stops here with a breakpoint).  Never inlined;
 * when nothing is armed the runtime's paths pay one load and a branch.
 */
RGC_API void rgc_debug_hook(const rgc_event_t *event);

/* ------------------------------------------------------------------------ */
/* Allocation tracing (Python's tracemalloc, for rgc).  While a heap traces,
 * each block it hands out is recorded with its size and where it was asked
 * for: a return address in the caller (the first frame) and up to nframes
 * return addresses in all, plus — through the allocation macros below — the
 * file, line and function of the call.  The traces are plain data that the
 * debug table describes, so a core file carries them (the site strings are
 * the program's constants: a reader takes them from the program file).
 * The first frame is where the rgc function was called: for the objects
 * and blocks the runtime allocates on its own account (a list's items, a
 * built-in constructor's object) that is inside the runtime, and more
 * frames say on whose behalf. */

typedef struct rgc_site {
    const char *file;
    const char *function;
    uint32_t line;
} rgc_site_t;

/* The site of the code where it appears, as a static constant. */
#define RGC_SITE                                                                           \
    (__extension__({                                                                       \
        static const rgc_site_t rgc_site_here_ = {__FILE__, __func__, __LINE__};          \
        &rgc_site_here_;                                                                   \
    }))
/* The allocation macros: rgc_new, rgc_new_var and rgc_mem_alloc that also
 * say where they were called from.  When the heap does not trace they cost
 * what the plain calls cost, and an argument. */
#define RGC_NEW(heap, type) rgc_new_at((heap), (type), RGC_SITE)
#define RGC_NEW_VAR(heap, type, n) rgc_new_var_at((heap), (type), (n), RGC_SITE)
#define RGC_MEM_ALLOC(heap, n) rgc_mem_alloc_at((heap), (n), RGC_SITE)
RGC_API void *rgc_new_at(rgc_heap_t *heap, rgc_type_t *type, const rgc_site_t *site);
RGC_API void *rgc_new_var_at(rgc_heap_t *heap, rgc_type_t *type, size_t nitems, const rgc_site_t *site);
RGC_API void *rgc_mem_alloc_at(rgc_heap_t *heap, size_t n, const rgc_site_t *site);

#define RGC_TRACE_MAX_FRAMES 32u

/* Starts tracing the heap's allocations with up to nframes (1 to
 * RGC_TRACE_MAX_FRAMES) return addresses each; a heap already tracing
 * restarts empty.  sample_bytes 0 traces every allocation; otherwise about
 * one allocation per sample_bytes bytes allocated is traced — a block of s
 * bytes with probability 1 - exp(-s / sample_bytes) — for production use
 * (the statistics' estimated_* fields scale the samples back).  Blocks
 * allocated before the start are not traced.  Returns 0, or -1
 * (RGC_EINVAL, RGC_ENOMEM). */
RGC_API int rgc_trace_start(rgc_heap_t *heap, unsigned nframes, size_t sample_bytes);
/* Stops tracing and forgets every trace. */
RGC_API void rgc_trace_stop(rgc_heap_t *heap);
RGC_API bool rgc_trace_is_tracing(const rgc_heap_t *heap);
/* The frame limit while tracing, else 0. */
RGC_API unsigned rgc_trace_frame_limit(const rgc_heap_t *heap);
/* Bytes of the traced blocks now, and at most since the start (or the
 * last reset). */
RGC_API void rgc_trace_get_traced_memory(const rgc_heap_t *heap, size_t *current, size_t *peak);
RGC_API void rgc_trace_reset_peak(rgc_heap_t *heap);
/* Forgets every trace; tracing goes on. */
RGC_API void rgc_trace_clear(rgc_heap_t *heap);

/* The trace of one block (an object, or raw memory). */
typedef struct rgc_trace_info {
    size_t size;                /* bytes asked for */
    const rgc_site_t *site;     /* from an allocation macro, or NULL */
    unsigned nframes;
    const void *frames[RGC_TRACE_MAX_FRAMES]; /* return addresses, innermost first */
} rgc_trace_info_t;
/* The allocation site of the block at ptr: 0, or -1 when it is not traced. */
RGC_API int rgc_trace_get(const rgc_heap_t *heap, const void *ptr, rgc_trace_info_t *out);

/* Snapshots: every trace at one moment, self-contained. */
typedef struct rgc_trace_snapshot rgc_trace_snapshot_t;
RGC_API rgc_trace_snapshot_t *rgc_trace_take_snapshot(rgc_heap_t *heap);
RGC_API void rgc_trace_snapshot_free(rgc_trace_snapshot_t *snapshot);
/* Traces in the snapshot, and their bytes. */
RGC_API size_t rgc_trace_snapshot_count(const rgc_trace_snapshot_t *snapshot, size_t *bytes);

typedef enum rgc_trace_key {
    RGC_TRACE_BY_SITE = 1,      /* the macro's site, else the first frame */
    RGC_TRACE_BY_FILE = 2,      /* the macro's file, else "<unknown>" */
    RGC_TRACE_BY_TRACEBACK = 3, /* the site and every frame */
} rgc_trace_key_t;

typedef struct rgc_trace_stat {
    const rgc_site_t *site;     /* by site and traceback: the macro's, or NULL */
    const char *file;           /* by file: the file, or "<unknown>" */
    unsigned nframes;           /* by site: at most 1; by file: 0 */
    const void *const *frames;  /* innermost first; owned by the snapshot */
    size_t size, count;         /* traced, in the (newer) snapshot */
    long long size_diff, count_diff; /* rgc_trace_compare: newer - older */
    /* What they stand for in the heap.  A snapshot of a heap that samples
     * holds a block of s bytes with probability p = 1 - exp(-s /
     * sample_bytes); each stands for 1/p blocks like it, so these are
     * unbiased estimates of the live blocks and bytes of the group, where
     * size and count are only the samples (biased towards large blocks).
     * Tracing every allocation, they equal size, count and size_diff. */
    size_t estimated_size, estimated_count;
    long long estimated_size_diff;
} rgc_trace_stat_t;

/* The sampling rate the snapshot was taken with (0: every allocation). */
RGC_API size_t rgc_trace_snapshot_sample_bytes(const rgc_trace_snapshot_t *snapshot);

/* Groups the snapshot's traces by key, largest first (by estimated size,
 * then count).  *out gets an array to release with free(), valid while the
 * snapshot lives.  Returns the number of groups, or -1. */
RGC_API long rgc_trace_statistics(const rgc_trace_snapshot_t *snapshot, rgc_trace_key_t key,
                                  rgc_trace_stat_t **out);
/* The same over two snapshots, with the differences (newer - older),
 * largest growth first (by |estimated_size_diff|, then estimated size).
 * Groups only in the older one are listed with size 0. */
RGC_API long rgc_trace_compare(const rgc_trace_snapshot_t *newer, const rgc_trace_snapshot_t *older,
                               rgc_trace_key_t key, rgc_trace_stat_t **out);

/* ------------------------------------------------------------------------ */
/* The heap checker: every invariant, executable. */

typedef struct rgc_check_result {
    rgc_error_t code;      /* RGC_OK or RGC_ECORRUPT */
    const void *address;   /* where the first violation was found */
    char message[200];     /* what was wrong there */
} rgc_check_result_t;

/*
 * Walks every arena, pool, free list, large block, generation and live
 * object of the heap, its weak references and its recorder's ring (each
 * slot of its lap, a long record's slots together).  Returns 0 when all
 * invariants hold, else -1 with the
 * first violation in *out (out may be NULL).  Does not report to the error
 * handler: the caller decides.
 */
RGC_API int rgc_heap_check(rgc_heap_t *heap, rgc_check_result_t *out);

/* ------------------------------------------------------------------------ */
/* Built-in types.  Each constructor returns a new reference or NULL. */

RGC_API rgc_type_t *rgc_int_type(void);
RGC_API rgc_type_t *rgc_float_type(void);
RGC_API rgc_type_t *rgc_str_type(void);
RGC_API rgc_type_t *rgc_bytes_type(void);
RGC_API rgc_type_t *rgc_tuple_type(void);
RGC_API rgc_type_t *rgc_list_type(void);
RGC_API rgc_type_t *rgc_dict_type(void);
RGC_API rgc_type_t *rgc_set_type(void);
RGC_API rgc_type_t *rgc_array_type(void);

/* Generic hash and equality (any type that provides them). */
RGC_API int rgc_hash(const void *obj, uint64_t *out); /* 0, or -1 unhashable */
RGC_API int rgc_equal(const void *a, const void *b);  /* 1, 0, -1 on error */
/* A short description of obj into buf, from its type's repr hook ("42",
 * "'abc'", "(1, 2)", "list[3]"), else "<Type object at 0x...>". */
RGC_API void rgc_repr(const void *obj, char *buf, size_t size);

/* int: boxed 64-bit; values -5..256 come from a per-heap immortal cache. */
RGC_API void *rgc_int_new(rgc_heap_t *heap, int64_t value);
RGC_API int64_t rgc_int_value(const void *obj);

/* float */
RGC_API void *rgc_float_new(rgc_heap_t *heap, double value);
RGC_API double rgc_float_value(const void *obj);

/* str: immutable UTF-8 (validated), NUL-terminated, hash cached. */
RGC_API void *rgc_str_new(rgc_heap_t *heap, const char *utf8, size_t nbytes);
RGC_API void *rgc_str_from_cstr(rgc_heap_t *heap, const char *s);
RGC_API const char *rgc_str_data(const void *obj);
RGC_API size_t rgc_str_nbytes(const void *obj);
RGC_API size_t rgc_str_length(const void *obj); /* in code points */
/* The heap's interned (immortal, unique) string for s: a borrowed
 * reference valid for the heap's life. */
RGC_API void *rgc_str_intern(rgc_heap_t *heap, const char *s);
RGC_API bool rgc_str_is_interned(const void *obj);

/* bytes */
RGC_API void *rgc_bytes_new(rgc_heap_t *heap, const void *data, size_t n);
RGC_API const uint8_t *rgc_bytes_data(const void *obj);
RGC_API size_t rgc_bytes_len(const void *obj);

/* tuple: fixed length, items inline. */
RGC_API void *rgc_tuple_new(rgc_heap_t *heap, size_t n); /* items NULL */
/* A tuple of n items, each increfed (not stolen). */
RGC_API void *rgc_tuple_pack(rgc_heap_t *heap, size_t n, ...);
RGC_API size_t rgc_tuple_len(const void *t);
RGC_API void *rgc_tuple_get(const void *t, size_t i); /* borrowed */
/* Stores item at i, stealing the reference; for filling a new tuple.  A
 * tuple someone else holds (count > 1) is RGC_EMISUSE, an index out of
 * range RGC_EKEY; on failure the item's reference is dropped all the same. */
RGC_API int rgc_tuple_set(void *t, size_t i, void *item);

/* list */
RGC_API void *rgc_list_new(rgc_heap_t *heap, size_t capacity);
RGC_API size_t rgc_list_len(const void *l);
RGC_API void *rgc_list_get(const void *l, size_t i); /* borrowed */
RGC_API int rgc_list_set(void *l, size_t i, void *item);   /* increfs item */
RGC_API int rgc_list_append(void *l, void *item);         /* increfs item */
RGC_API int rgc_list_insert(void *l, size_t i, void *item); /* increfs item */
/* Removes and returns item i as a new reference (i == SIZE_MAX: last). */
RGC_API void *rgc_list_pop(void *l, size_t i);
RGC_API void rgc_list_clear(void *l);

/* dict: insertion-ordered hash table; keys of any hashable type. */
RGC_API void *rgc_dict_new(rgc_heap_t *heap);
RGC_API size_t rgc_dict_len(const void *d);
RGC_API int rgc_dict_set(void *d, void *key, void *value); /* increfs both */
RGC_API void *rgc_dict_get(const void *d, const void *key); /* borrowed; NULL if absent */
RGC_API int rgc_dict_del(void *d, const void *key); /* 0, or -1 (RGC_EKEY) */
/* String-keyed conveniences (keys are interned). */
RGC_API int rgc_dict_set_str(void *d, const char *key, void *value);
RGC_API void *rgc_dict_get_str(const void *d, const char *key);
/* Iterates in insertion order: start with *pos = 0; borrowed key/value. */
RGC_API bool rgc_dict_next(const void *d, size_t *pos, void **key, void **value);
RGC_API void rgc_dict_clear(void *d);

/* set */
RGC_API void *rgc_set_new(rgc_heap_t *heap);
RGC_API size_t rgc_set_len(const void *s);
RGC_API int rgc_set_add(void *s, void *key);            /* increfs key */
RGC_API int rgc_set_contains(const void *s, const void *key); /* 1, 0, -1 */
RGC_API int rgc_set_discard(void *s, const void *key);  /* 1 removed, 0 absent, -1 */
RGC_API bool rgc_set_next(const void *s, size_t *pos, void **key);

/* array: compact typed numbers, no object per element. */
typedef enum rgc_array_kind {
    RGC_ARRAY_I8, RGC_ARRAY_U8, RGC_ARRAY_I16, RGC_ARRAY_U16,
    RGC_ARRAY_I32, RGC_ARRAY_U32, RGC_ARRAY_I64, RGC_ARRAY_U64,
    RGC_ARRAY_F32, RGC_ARRAY_F64,
} rgc_array_kind_t;
RGC_API void *rgc_array_new(rgc_heap_t *heap, rgc_array_kind_t kind, size_t capacity);
RGC_API size_t rgc_array_len(const void *a);
RGC_API rgc_array_kind_t rgc_array_kind(const void *a);
RGC_API size_t rgc_array_itemsize(const void *a);
RGC_API int rgc_array_append_int(void *a, int64_t v);
RGC_API int rgc_array_append_float(void *a, double v);
RGC_API int rgc_array_get_int(const void *a, size_t i, int64_t *out);
RGC_API int rgc_array_get_float(const void *a, size_t i, double *out);

/* Classes: instances that keep their attributes in a dict (like a Python
 * class without __slots__).  Fixed-layout types (the __slots__ analogue)
 * are declared with rgc_type_register. */
RGC_API rgc_type_t *rgc_class_register(const char *name);
RGC_API void *rgc_instance_new(rgc_heap_t *heap, rgc_type_t *cls);
/* Each of these reports RGC_EINVAL and fails (-1, NULL) when obj is not an
 * instance of such a class — a fixed-layout object has no dict. */
RGC_API int rgc_attr_set(void *obj, const char *name, void *value); /* increfs */
RGC_API void *rgc_attr_get(const void *obj, const char *name);      /* borrowed */
RGC_API void *rgc_instance_dict(const void *obj); /* borrowed; NULL until first set */

#ifdef __cplusplus
}
#endif
#endif /* RGC_H */
