/*
 * internal.h — structures and helpers shared by the runtime's files; not
 * part of any contract.  The design essay is docs/internals/allocator.md.
 *
 * Memory layers (top to bottom):
 *
 *   runtime root (one per process: types, heaps, arena map)
 *     └─ heap ── usable pools per (kind, size class)  ── large blocks (list)
 *          └─ arena (1 MiB, 1 MiB-aligned; one of its first 8 pools holds
 *               the arena header: the descriptors of all 64 pools)
 *               └─ pool (16 KiB of one size class and one kind)
 *                    └─ block (16..512 bytes): an object or raw bytes
 *
 * Invariant: the pool descriptor of any small block p is
 *   (rgc_pool_t *)(base + colour * 4096) + ((p >> POOL_SHIFT) & 63),
 * base = p & ~(ARENA_SIZE-1), colour = (p >> ARENA_SHIFT) & 31.
 */
#ifndef RGC_INTERNAL_H
#define RGC_INTERNAL_H

#ifndef RGC_BUILD_CORE
#error "runtime/internal.h is private to the rgc runtime"
#endif

#include "rgc.h"

#include <pthread.h>
#include <string.h>

#define RGC_HIDDEN __attribute__((visibility("hidden")))

/* Free blocks: word 0 is RGC_FREED_WORD for raw blocks (refcnt 0 and the
 * type id kept for objects); word 1 links to the next free block. */
#define RGC_FREED_WORD 0xDBDBDBDB00000000ull
#define RGC_ARENA_MAGIC 0x6172656e61726763ull /* "cgranera" */
#define RGC_HEAP_MAGIC 0x7061656863677200ull
#define RGC_LARGE_MAGIC 0x656772616c636772ull

enum { RGC_KIND_OBJECT = 0, RGC_KIND_RAW = 1, RGC_NKINDS = 2 };

/* Pool flags: any set bit sends a free to the slow path. */
enum {
    RGC_PF_FULL = 1u << 0,    /* no free or fresh block: off the usable list */
    RGC_PF_FILL = 1u << 1,    /* heap writes fill bytes */
    RGC_PF_MAP = 1u << 2,     /* free blocks are the bits of freemap, not a
                               * list: the pool's class is RGC_MAP_CLASS or
                               * larger */
    RGC_PF_HOLES = 1u << 3,   /* a list pool with pages given back (holes):
                               * its frees check that the block is not in one */
};

/* Pages of a pool in use whose blocks are all free can be given back to the
 * system (runtime/pages.c): 4 KiB each, four to a pool. */
#define RGC_PAGE_SIZE 4096u
#define RGC_PAGE_SHIFT 12
#define RGC_POOL_PAGES (RGC_POOL_SIZE / RGC_PAGE_SIZE)

/* Size classes from this one up (256 bytes and more: at most 64 blocks a
 * pool) keep their free blocks as a bitmap in the pool descriptor, so a
 * free does not touch the block: at these sizes a block is its own cache
 * lines, and writing a link into it is what a free would cost. */
#define RGC_MAP_CLASS 15u

/* Pool state for tools and the checker. */
enum {
    RGC_POOL_UNUSED = 0,      /* in the arena's free-pool list */
    RGC_POOL_ACTIVE = 1,      /* holds blocks of one size class */
    RGC_POOL_HEADER = 2,      /* the header pool: the arena header itself */
};

typedef struct rgc_pool rgc_pool_t;
typedef struct rgc_arena rgc_arena_t;
typedef struct rgc_large rgc_large_t;

struct rgc_pool {
    void *free;             /* first free block; link at block + 8 */
    union {
        struct {
            uint32_t nused : 24; /* blocks handed out */
            uint32_t flags : 8;  /* RGC_PF_* */
        };
        /* Both as one word, for the fast paths: nused never carries into
         * flags, so ++/-- on the word move nused alone, and "flags clear"
         * is one compare (see _rgc_block_free). */
        uint32_t nused_flags;
    };
    uint8_t state;          /* RGC_POOL_* */
    uint8_t kind;           /* RGC_KIND_*, 0xFF when not active */
    uint8_t szidx;          /* size class index (block = 16 * (szidx+1)) */
    union {
        struct {
            uint8_t holes : 4;      /* active pool: bit k set = its page k was
                                     * given back; every block touching it is
                                     * free (in a list pool, off the free
                                     * list).  Else 0. */
            uint8_t low_armed : 1;  /* active pool: nused counts from its
                                     * low-water mark (nblocks / 4), so that
                                     * the free that takes it there finds the
                                     * count at 0, like the last free (see
                                     * _rgc_pool_used).  Set when a full pool
                                     * gets a block back, cleared at the
                                     * mark.  Else 0. */
            uint8_t low_fired : 1;  /* active list pool: reached its mark
                                     * since it was last flagged full;
                                     * counted in its arena's low_pools.
                                     * Else 0. */
            uint8_t traced : 1;     /* the heap's trace made slots for
                                     * this pool (trace.c): a free of one
                                     * of its blocks may have a trace to
                                     * remove.  Cleared when the trace
                                     * lets the slots go. */
            uint8_t holes_spare : 1;
        };
        uint8_t page_bits;          /* the four above as one byte (the debug
                                     * table gives its offset and masks) */
    };
    uintptr_t tag;          /* heap | RGC_TAG_OBJECT | RGC_TAG_SLOW while active,
                             * else 0: the raw free fast path's one compare */
    uint64_t freemap;       /* RGC_PF_MAP pools: bit i set = block i free;
                             * else 0.  The owner is the arena's heap. */
    uint16_t block_size;    /* bytes per block */
    uint16_t nblocks;       /* blocks that fit in the pool */
    uint16_t bump;          /* blocks ever carved (the rest is untouched) */
    union {
        struct {            /* unused pools */
            uint8_t decommitted; /* 1 while its pages are not backed */
            uint8_t last_kind;   /* kind it last held, its free list, bump
                                  * and class still valid; else 0xFF */
        };
        uint16_t looked;    /* active pools: RGC_LOOKED_* (pages.c) */
    };
    rgc_pool_t *next;       /* usable list of its class, or arena free list */
    rgc_pool_t *prev;       /* usable list of its class */
    char *base;             /* first byte of the pool's blocks */
};

/* The blocks an active pool has handed out: its count, plus its
 * low-water mark while the count runs from it. */
static inline uint32_t _rgc_pool_used(const rgc_pool_t *p)
{
    return p->nused + (p->low_armed ? (uint32_t)p->nblocks / 4u : 0u);
}

/* An active pool's `looked`: its count at the last purge that looked at
 * it, | RGC_LOOKED_SEARCHED once searched for free pages at that count
 * (pages.c). */
#define RGC_LOOKED_SEARCHED 0x8000u
#define RGC_POOL_NOT_LOOKED 0x7FFFu /* a count no pool has */

/* rgc_type's new_class beyond the size classes. */
enum { RGC_NEW_TRACKED = 64, RGC_NEW_SLOW = 0xFFFFFFFFu };

/* A raw pool's tag is its heap (16-byte aligned: the byte allocator's
 * rule, rgc_sysmem_t.alloc).  RGC_TAG_TRACED: some block of the pool
 * has a trace (trace.c), so that its free, taking the slow path, removes
 * it while the free gate is open (a heap that samples).  RGC_TAG_RECORD:
 * a raw pool of a heap whose event recorder is on, so that its frees
 * leave the fast path to be recorded while the free gate is open (a
 * recorder does not close the gates: see rgc_hooks_t). */
enum { RGC_TAG_OBJECT = 1, RGC_TAG_SLOW = 2, RGC_TAG_TRACED = 4, RGC_TAG_RECORD = 8, RGC_TAG_BITS = 15 };

/*
 * The arena header: one 4 KiB page holding the 64 pool descriptors
 * (descriptor i at byte i * 64).  It sits at page `colour` of the arena,
 * colour = arena number (address >> 20) mod 32, so within the first 8
 * pools: were every header at the same offset of its 1 MiB-aligned arena,
 * all descriptors would fall into the same 64 sets of a cache indexed by
 * address bits 6-16, and a heap of more than a few dozen arenas would miss
 * on them at every free.  The pool holding the header page (the header
 * pool, colour / 4) is never used for blocks; its descriptor holds the
 * arena's own fields below.  Where those overlay a pool's flags, state,
 * kind and tag they read as "the header, not a pool", so a pointer into
 * the header pool is never taken for a block.
 */
#define RGC_ARENA_COLOURS 32u

struct rgc_arena {
    uint64_t magic;          /* RGC_ARENA_MAGIC              (pool.free) */
    uint32_t nfree;          /* unused pools   (pool.nused; pool.flags: 0) */
    uint8_t hdr_state;       /* RGC_POOL_HEADER              (pool.state) */
    uint8_t hdr_kind;        /* 0xFF                         (pool.kind) */
    uint8_t shed;            /* the header pool's other pages and the
                              * pools never used given back
                              * (pages.c, arena_shed)        (pool.szidx) */
    uint8_t low_pools;       /* its pools with low_fired     (pool.holes) */
    rgc_pool_t *free_pools;  /* unused pools, singly linked  (pool.tag: even) */
    rgc_heap_t *heap;        /* owner                        (pool.freemap) */
    rgc_arena_t *next;       /* all arenas of the heap, newest first */
    rgc_arena_t *prev;
    rgc_arena_t *bnext;      /* bucket list by number of free pools */
    rgc_arena_t *bprev;
};

#define RGC_ARENA_POOLS (RGC_POOLS_PER_ARENA - 1u) /* usable pools per arena */

/* Precedes every block larger than RGC_SMALL_MAX; 48 bytes keeps the block
 * 16-byte aligned. */
struct rgc_large {
    uint64_t magic;          /* RGC_LARGE_MAGIC ^ (uintptr_t)this */
    rgc_heap_t *heap;        /* owner */
    rgc_large_t *next;       /* circular list headed in the heap */
    rgc_large_t *prev;
    size_t size;             /* usable bytes after the header */
    uint32_t kind;           /* RGC_KIND_* */
    uint32_t reserved;
};
#define RGC_LARGE_HDR sizeof(rgc_large_t)

/* The members of a young generation (0 or 1), as an array of object
 * pointers; each member's gc_index is its slot here.  Untracking empties
 * the slot (one store, no other object touched); the holes are squeezed
 * out when the array fills.  The young
 * generations are bounded by the collector's thresholds, so this costs
 * nothing per long-lived object: members of generation 2 and of the
 * permanent generation are known by their header bits alone (a full
 * collection walks the pools), and only counted. */
typedef struct rgc_genlist {
    rgc_object_t **items;    /* raw block of the heap; NULL = a hole */
    size_t len;              /* slots written, holes included */
    size_t cap;
    size_t holes;            /* slots emptied by untracking; squeezed out
                              * when the array fills */
    size_t limit;            /* generation 0: the length at which the next
                              * allocation takes the slow path (array full,
                              * or threshold 0 reached); else cap */
} rgc_genlist_t;

#define RGC_NGENS 4  /* 0, 1, 2 and permanent */
#define RGC_NYOUNG 2 /* generations with member arrays */
/* The collector's state, all in the heap so a debugger stopped anywhere,
 * even in the middle of a collection, can read it. */
enum {
    RGC_GC_IDLE = 0,        /* no collection running */
    RGC_GC_GATHER = 1,      /* listing the candidates */
    RGC_GC_SUBTRACT = 2,    /* subtracting internal references */
    RGC_GC_REACH = 3,       /* propagating reachability */
    RGC_GC_FINALIZE = 4,    /* weak references, finalizers, resurrection */
    RGC_GC_CLEAR = 5,       /* breaking and freeing the garbage */
};

#define RGC_GC_MAX_CALLBACKS 16

typedef struct rgc_gc_state {
    uint32_t enabled;              /* automatic collection on */
    uint32_t phase;                /* RGC_GC_* */
    int32_t generation;            /* being collected, -1 when idle */
    uint32_t debug;                /* RGC_GC_DEBUG_* */
    size_t threshold[3];
    size_t count[3];               /* [1], [2]: collections of the younger
                                    * generation since this one's last */
    size_t long_lived_total;       /* in generation 2 after the last full */
    size_t long_lived_pending;     /* promoted to generation 2 since */
    rgc_gc_gen_stats_t stats[3];
    rgc_object_t **cand;           /* candidates of the running collection */
    size_t ncand;                  /* how many */
    size_t nreach;                 /* cand[0..nreach) known reachable */
    rgc_object_t *garbage;         /* list object (gc.garbage), or NULL */
    size_t ncallbacks;
    struct {
        rgc_gc_callback_fn fn;
        void *arg;
    } callbacks[RGC_GC_MAX_CALLBACKS];
} rgc_gc_state_t;

struct rgc_weaktab; /* weakref.h: weak references by referent */

/* One slot of the event recorder's ring: 16 bytes, two words, the second
 * stored last (a release store: a plain one, after the first).  Slot s
 * (numbered from 1, the recorder's `seq` the last one written) is at
 * events[(s - 1) & (cap - 1)], and its lap is ((s - 1) / cap) mod 4.
 *
 *   where = address (its low 48 bits) | type_id << 48
 *   what  = site (its low 48 bits) | size << 48 (10 bits) | kind << 58
 *           (4 bits) | lap << 62 (2 bits)
 *
 * An event whose address or site does not fit in 48 bits, or whose size
 * does not in 10 (a large block, a collection that freed 1,024 objects or
 * more), takes two slots, s and s + 1, a long record: slot s has kind
 * RGC_REC_LONG, the event's kind in the size bits, the address whole in
 * `where` and the size's low 48 bits in `what`; slot s + 1 has kind
 * RGC_REC_MORE, the site whole in `where`, and the size's high 16 bits |
 * type_id << 16 in `what`.  A slot whose lap is not its number's holds an
 * earlier event, or none (kind 0: never written), or is being written. */
typedef struct rgc_record {
    uint64_t where;
    uint64_t what;
} rgc_record_t;
#define RGC_REC_LOW 48       /* bits of address and site in a slot */
#define RGC_REC_SIZE_BITS 10 /* the size's bits, from bit 48 of `what` */
#define RGC_REC_KIND_SHIFT 58
#define RGC_REC_LAP_SHIFT 62
#define RGC_REC_LONG 15u /* the kind of a long record's first slot */
#define RGC_REC_MORE 14u /* and of its second */

/* The event recorder of a heap (debug.c): a ring of `cap` slots (a power
 * of two) holding the last events, one slot each, or two (rgc_record_t). */
typedef struct rgc_recorder {
    rgc_record_t *events;    /* `cap` slots; NULL: off */
    uint64_t cap;            /* 0 when off */
    uint64_t seq;            /* slots written so far (the last one's number) */
} rgc_recorder_t;

/* A heap's flags of its own, beside the RGC_HEAP_* of its configuration:
 * its event recorder is on (debug.c, rgc_recorder_start); it traces a
 * sample of its allocations (trace.c, rgc_trace_start).  The raw
 * allocation fast path tests them with RGC_HEAP_FILL, in the same
 * instruction. */
#define RGC_HEAP_RECORDING 0x80u
#define RGC_HEAP_SAMPLING 0x40u
#define RGC_HEAP_OWN_FLAGS (RGC_HEAP_RECORDING | RGC_HEAP_SAMPLING)

/* Debugger hooks (debug.c).  A debugger arms them by writing `mask` (bit k
 * for rgc_event_kind_t k) and the filters, then the gates of the runtime
 * root (rgc_runtime_t: free_gate, alloc_gate) by their rule: free_gate 0
 * while `tracing` or the mask's RGC_EV_FREE bit is set, alloc_gate 0
 * while `tracing` or the mask's RGC_EV_ALLOC bit with `type_id` 0 is,
 * their open values otherwise (a hook armed for an object's type, its
 * count or the collector leaves the raw paths alone) — the runtime
 * applies the same rule whenever it changes `tracing`
 * (_rgc_gates_update).  `watching` is the
 * runtime's own flag (RGC_WATCH_ON) while some heap records events or
 * traces every allocation, `tracing` while some heap traces every
 * allocation, `sampling` while some heap traces a sample.  The object
 * paths test two overlapping words of the first bytes:
 *   any     bytes 0-7 (watching, mask): what decrefs and slow frees test;
 *   allocs  bytes 1-8 (watching, mask, sampling): what allocations test.
 * Each is zero when nothing is to be reported, and otherwise at least
 * 2^47, above every user-space address — so that rgc_new's test of its
 * heap against `allocs` also catches a NULL heap.  The raw paths compare
 * with the gates instead, which a recorder or a sampling trace leaves
 * open: a recording heap's raw allocations leave their fast path by its
 * flags (RGC_HEAP_RECORDING), its raw frees by their pools' tags
 * (RGC_TAG_RECORD); a sampling heap's raw allocations by its flags too
 * (RGC_HEAP_SAMPLING), so that one heap's recorder or sample costs the
 * others' raw paths nothing.  A sampled block's free is caught without the gates
 * too: by its pool's tag (RGC_TAG_TRACED) or its object's flags
 * (RGC_OF_TRACED).  (A gate closed while only a recorder listens is
 * still right, only slower: the paths past a closed gate report
 * everything.) */
#define RGC_HOOK_BIT(kind) (1u << (kind))
#define RGC_FREE_GATE_OPEN ((uint64_t)1 << (47 - RGC_ARENA_SHIFT)) /* arena indices below it */
#define RGC_ALLOC_GATE_OPEN ((uint64_t)RGC_NCLASSES)
#define RGC_WATCH_ON 0x80u
typedef struct rgc_hooks {
    union {
        struct {
            uint8_t one;         /* always 1: `any` is 1 while nothing
                                  * listens, the count of an object dying
                                  * (_rgc_decref_slow compares the two) */
            uint8_t zero[5];     /* always 0 */
            uint8_t watching;    /* bit 55 of `any`, bit 47 of `allocs` */
            uint8_t mask;        /* bits 56-63 of `any`, 48-55 of `allocs` */
            uint8_t sampling;    /* bits 56-63 of `allocs` */
            uint8_t zero2[7];    /* always 0 */
        };
        uint64_t any;
        struct __attribute__((packed)) {
            uint8_t skip1;
            uint64_t allocs;
        };
        struct __attribute__((packed)) {
            uint8_t skip5[5];
            uint32_t allocs_hi;  /* bytes 5-8: 0, or 2^15 and more */
        };
    };
    uint32_t type_id;            /* RGC_EV_ALLOC: only this type; 0 any */
    int32_t generation;          /* RGC_EV_GC_START: only this generation; -1 any */
    uint64_t address;            /* RGC_EV_FREE, RGC_EV_ZERO, RGC_EV_REFCNT:
                                  * only this address; 0 any */
    uint64_t hits;               /* calls of rgc_debug_hook so far */
    rgc_event_t event;           /* the event of the last call */
    uint32_t observers;          /* heaps with a recorder or tracing on */
    uint32_t samplers;           /* heaps tracing a sample, and nothing else */
    uint32_t tracers;            /* heaps tracing every allocation */
    uint8_t tracing;             /* RGC_WATCH_ON while `tracers`: the gates' input */
} rgc_hooks_t;
_Static_assert(__BYTE_ORDER__ == __ORDER_LITTLE_ENDIAN__, "rgc_hooks_t.any: mask and watching are its top bytes");

#define RGC_INT_CACHE_MIN (-5)
#define RGC_INT_CACHE_MAX 256

struct rgc_heap {
    uint64_t magic;                            /* RGC_HEAP_MAGIC */
    /* Hot: the allocation fast path reads only this row. */
    rgc_pool_t *usable[RGC_NKINDS][RGC_NCLASSES]; /* head of usable pools, or the
                                                 * empty sentinel */
    unsigned flags;                            /* RGC_HEAP_*, and RGC_HEAP_RECORDING */
    void *held[RGC_NKINDS][RGC_NCLASSES];      /* a block freed into a full
                                                * pool, kept for the class's
                                                * next allocation; counted in
                                                * use by its pool (alloc.c,
                                                * "The held block"), or NULL */
    rgc_genlist_t gens[RGC_NYOUNG];            /* young tracked objects */
    size_t old_count[RGC_NGENS];               /* members of generations 2, 3 */
    rgc_arena_t *arenas;                       /* all arenas, newest first */
    rgc_arena_t *buckets[RGC_POOLS_PER_ARENA]; /* arenas by free pools, 1..63 */
    uint64_t bucket_mask;                      /* bit k: buckets[k] non-empty */
    rgc_arena_t *spare;                        /* one empty arena kept mapped */
    rgc_large_t large;                         /* sentinel of the large list */
    struct {
        void **slots;                          /* open addressing; 1 = tombstone */
        size_t cap, len, used;                 /* used counts tombstones too */
    } large_set;                               /* live large blocks, for ownership */
    size_t dirty_pools;                        /* empty pools still committed */
    size_t keep_pools;                         /* dirty_pools kept whatever the
                                                * purge's budget (config's
                                                * keep_unused) */
    size_t pools_unfilled, pools_emptied;      /* full -> partly free, -> empty */
    size_t purge_unfilled, purge_emptied;      /* the two at the last purge */
    size_t active_pools;                       /* pools holding a size class */
    /* Statistics. */
    size_t narenas, arenas_allocated, arenas_freed, arenas_highwater;
    size_t nlarge, large_bytes;
    /* Deferred destruction (bounded recursion of decref chains). */
    unsigned dealloc_depth;
    rgc_object_t *dealloc_pending;             /* linked through bytes 8-15 */
    rgc_gc_state_t gc;                         /* the cycle collector */
    struct rgc_weaktab *weak;                  /* NULL until a weakref exists */
    /* Built-in state. */
    rgc_object_t *small_ints[RGC_INT_CACHE_MAX - RGC_INT_CACHE_MIN + 1];
    rgc_object_t *interned;                    /* dict str -> same str */
    rgc_sysmem_t sysmem;
    rgc_recorder_t recorder;                   /* the event ring (debug.c) */
    struct rgc_trace *trace;                   /* allocation tracing (trace.c),
                                                * NULL when off */
    pthread_mutex_t lock;                      /* used when RGC_HEAP_SHARED */
    rgc_heap_t *next;                          /* runtime's heap list */
    rgc_heap_t *prev;
    char name[48];
};

/* A registered type: the spec, copied and checked. */
struct rgc_type {
    uint32_t id;
    uint32_t flags;                    /* RGC_TF_* */
    char *name;
    size_t basic_size;
    size_t item_size;
    uint32_t nitems_offset;
    uint32_t n_ref_fields;
    uint32_t n_ref_arrays;
    uint32_t is_gc;                    /* holds references: tracked */
    /* Precomputed for the object fast paths. */
    uint64_t hdr0;                     /* first header word of a new object */
    uint64_t hdr1;                     /* second word, when not tracked
                                        * (must follow hdr0: copied as one) */
    uint32_t szidx;                    /* size class of basic_size, or
                                        * RGC_NCLASSES when not a fixed small object */
    uint32_t new_class;                /* rgc_new's one dispatch: szidx when
                                        * untracked, szidx + RGC_NEW_TRACKED
                                        * when tracked, RGC_NEW_SLOW otherwise */
    uint32_t nwords;                   /* 8-byte words in basic_size */
    uint32_t plain;                    /* no references, hooks or finalizer */
    uint32_t fields_only;              /* references in fields only, no hooks */
    uint32_t fields_destroy;           /* fields_only, at most 64 of them: the
                                        * destruction fast path applies */
    /* What a count going to zero runs for a small object that has no weak
     * references (object.c, _rgc_destroy_for): for fields_destroy types a
     * version for their number of fields, else the general destruction. */
    void (*destroy)(rgc_object_t *o, rgc_type_t *t, uint32_t flags);
    rgc_ref_field_t *ref_fields;       /* names copied */
    uint32_t *ref_offsets;             /* the field offsets alone, for fast walks */
    rgc_ref_array_t *ref_arrays;
    rgc_type_spec_t spec;              /* hooks (pointers into the above) */
};

#define RGC_MAX_TYPES (1u << 16)

/* All process-wide state: one root the debug table points at. */
typedef struct rgc_runtime {
    uint64_t magic;
    pthread_mutex_t lock;            /* heap list and type table */
    rgc_heap_t *heaps;               /* all live heaps */
    size_t nheaps;
    uint8_t *arena_map;              /* 1 byte per 1 MiB: nonzero = an arena */
    /* The gates (see rgc_hooks_t): what the raw free's bound check on the
     * arena index and the raw allocation's on the size class compare
     * against — RGC_FREE_GATE_OPEN and RGC_ALLOC_GATE_OPEN when nothing is
     * to be reported, 0 otherwise, so that every such call leaves its fast
     * path at no instruction.  In arena_map's cache line, as the hooks. */
    uint64_t free_gate;
    uint64_t alloc_gate;
    rgc_hooks_t hooks;
    uint32_t ntypes;                 /* ids in use: 1..ntypes-1 */
    rgc_type_t *types[RGC_MAX_TYPES]; /* by id; entries never move */
    rgc_error_fn error_fn;
    void *error_ctx;
} rgc_runtime_t;

RGC_HIDDEN extern rgc_runtime_t _rgc_runtime;
RGC_HIDDEN extern rgc_pool_t _rgc_empty_pool;

/* ---- os.c */
RGC_HIDDEN void *_rgc_os_map(size_t size, size_t align);
RGC_HIDDEN void _rgc_os_unmap(void *p, size_t size);
RGC_HIDDEN void *_rgc_os_reserve(size_t size);

/* ---- error.c */
RGC_HIDDEN void _rgc_report(rgc_error_t code, const void *addr, const char *type_name,
                            const char *fmt, ...) __attribute__((format(printf, 4, 5)));

/* ---- alloc.c */
RGC_HIDDEN int _rgc_runtime_init(void);
RGC_HIDDEN void *_rgc_block_alloc_slow(rgc_heap_t *h, int kind, size_t n);
RGC_HIDDEN void _rgc_block_free_slow(rgc_pool_t *pool, void *p);
/* Called when a pool's count reaches 0: emptied, or at its low-water
 * mark if armed. */
RGC_HIDDEN void _rgc_pool_emptied(rgc_pool_t *pool);
RGC_HIDDEN void _rgc_heap_release_all(rgc_heap_t *h);
/* Recomputes the tags of h's active pools (its recorder started or
 * stopped: RGC_TAG_RECORD). */
RGC_HIDDEN void _rgc_pools_retag(rgc_heap_t *h);
RGC_HIDDEN int _rgc_block_is_free(const rgc_pool_t *pool, const void *p);
/* Marks the free blocks of an active pool in bits (1 bit per block, at
 * least 1024 bits), those in given-back pages included.  Returns the number
 * of free blocks, or -1 if the free list leaves the pool, is misaligned,
 * loops or runs into a given-back page. */
RGC_HIDDEN int _rgc_pool_free_bits(const rgc_pool_t *pool, uint64_t *bits);
/* Unmaps h's arenas whose pools are all unused; returns the bytes. */
RGC_HIDDEN size_t _rgc_arenas_unmap_spare(rgc_heap_t *h);
RGC_HIDDEN void _rgc_arena_drop(rgc_heap_t *h, rgc_arena_t *a);
RGC_HIDDEN void _rgc_heap_release_lone_pools(rgc_heap_t *h);
/* Gives the held raw blocks (h->held) back to their pools. */
RGC_HIDDEN void _rgc_heap_release_held(rgc_heap_t *h);

/* ---- pages.c */
/* The purge, after a pool emptied: keeps the committed empty pools within
 * twice their budget, and gives back free pages of pools in use while the
 * heap sheds memory in allocation order. */
RGC_HIDDEN void _rgc_heap_purge(rgc_heap_t *h);
/* A pool that was full fell to a quarter of its blocks: if its arena holds
 * less than a quarter of what its pools could, the arena sheds what it
 * keeps resident without using it (pages.c, "Sparse arenas"). */
RGC_HIDDEN void _rgc_pool_low(rgc_heap_t *h, rgc_pool_t *pool);
/* A list pool whose free list ran dry: its blocks in given-back pages go
 * back on the free list (their pages are backed again as they are written). */
RGC_HIDDEN void _rgc_pool_unhole(rgc_pool_t *pool);
/* A bitmap pool's block i is being handed out: the pages it touches are no
 * longer holes (on a filled heap they get fresh fill bytes). */
RGC_HIDDEN void _rgc_map_unhole(rgc_pool_t *pool, uint32_t i);

/* ---- large.c */
RGC_HIDDEN void *_rgc_large_alloc(rgc_heap_t *h, int kind, size_t n);
RGC_HIDDEN void _rgc_large_free(rgc_heap_t *h, rgc_large_t *l);
RGC_HIDDEN rgc_large_t *_rgc_large_of(const void *p);
RGC_HIDDEN int _rgc_large_owned(const rgc_heap_t *h, const void *p);

static inline int _rgc_size_class(size_t n)
{
    return (int)((n - 1) >> 4); /* n in 1..512 -> 0..31 */
}

/* ceil(2^32 / block size) per size class: for an offset below 2^14,
 * (off * recip) >> 32 is exactly off / block size, without a division. */
RGC_HIDDEN extern const uint32_t _rgc_class_recip[RGC_NCLASSES];

static inline int _rgc_in_arena(const void *p)
{
    uintptr_t i = (uintptr_t)p >> RGC_ARENA_SHIFT;
    return i < ((uintptr_t)1 << (47 - RGC_ARENA_SHIFT)) && _rgc_runtime.arena_map[i];
}

/* The first byte of the arena holding p (any address inside it). */
static inline char *_rgc_arena_base(const void *p)
{
    return (char *)((uintptr_t)p & ~(uintptr_t)(RGC_ARENA_SIZE - 1));
}

/* The page of the arena holding p where its header sits. */
static inline uint32_t _rgc_arena_colour(const void *p)
{
    return (uint32_t)((uintptr_t)p >> RGC_ARENA_SHIFT) & (RGC_ARENA_COLOURS - 1);
}

/* The pool holding the header page: never used for blocks. */
static inline uint32_t _rgc_arena_hdr_pool(const void *p)
{
    return _rgc_arena_colour(p) / RGC_POOL_PAGES;
}

/* The descriptors of the arena holding p: pools[i] describes pool i. */
static inline rgc_pool_t *_rgc_arena_pools(const void *p)
{
    return (rgc_pool_t *)(_rgc_arena_base(p) + ((size_t)_rgc_arena_colour(p) << RGC_PAGE_SHIFT));
}

/* The arena's own fields, from any address inside it. */
static inline rgc_arena_t *_rgc_arena_of(const void *p)
{
    return (rgc_arena_t *)(_rgc_arena_pools(p) + _rgc_arena_hdr_pool(p));
}

_Static_assert(sizeof(rgc_pool_t) == 64, "pool descriptors are 64 bytes: see _rgc_pool_of");
_Static_assert(sizeof(rgc_arena_t) == 64, "the arena's fields overlay one descriptor");
_Static_assert(RGC_ARENA_SHIFT - (RGC_POOL_SHIFT - 6) == RGC_PAGE_SHIFT,
               "_rgc_pool_of: the colour lands on the page bits");
_Static_assert(RGC_ARENA_COLOURS * RGC_PAGE_SIZE <= RGC_ARENA_SIZE / 2,
               "the header pool is among the first half's pools");

/* The owner of an active pool, from the tag the free fast path compares
 * (the same cache line as the pool's counts).  Any pool: its arena's heap. */
static inline rgc_heap_t *_rgc_pool_heap(const rgc_pool_t *pool)
{
    return (rgc_heap_t *)(pool->tag & ~(uintptr_t)RGC_TAG_BITS);
}

/* One shift and one mask: bits 14-19 of p (the pool) become bits 6-11
 * (descriptor i at byte i * 64) and bits 20-24 (the arena's colour) become
 * bits 12-16 (the header's page). */
#define RGC_POOL_OF_MASK ((((uintptr_t)RGC_ARENA_COLOURS << RGC_PAGE_SHIFT) - 1) & ~(uintptr_t)63)

static inline rgc_pool_t *_rgc_pool_of(const void *p)
{
    uintptr_t u = (uintptr_t)p;
    return (rgc_pool_t *)(_rgc_arena_base(p) + ((u >> (RGC_POOL_SHIFT - 6)) & RGC_POOL_OF_MASK));
}

/* True if p (inside an active pool) is the start of one of its blocks. */
static inline int _rgc_block_start(const rgc_pool_t *pool, const void *p)
{
    uint32_t off = (uint32_t)((const char *)p - pool->base);
    uint32_t i = (uint32_t)(((uint64_t)off * _rgc_class_recip[pool->szidx]) >> 32);
    return i * pool->block_size == off && i < pool->nblocks;
}

/* The pages of its pool (bit k: page k) that block i touches. */
static inline unsigned _rgc_block_pages(const rgc_pool_t *pool, uint32_t i)
{
    uint32_t off = i * pool->block_size;
    return (1u << (off >> RGC_PAGE_SHIFT)) | (1u << ((off + pool->block_size - 1u) >> RGC_PAGE_SHIFT));
}

/* True if block i of pool touches a page given back (the block is free and
 * must not be read: the page reads as zero, or is absent from a core). */
static inline int _rgc_block_in_hole(const rgc_pool_t *pool, uint32_t i)
{
    return (pool->holes & _rgc_block_pages(pool, i)) != 0;
}

/* The allocation fast path: pop the first free block of the class's
 * current pool; everything else is the slow path. */
static inline void *_rgc_block_alloc(rgc_heap_t *h, int kind, size_t n)
{
    size_t c = (n - 1) >> 4;
    if (RGC_LIKELY(c < RGC_NCLASSES)) {
        rgc_pool_t *pool = h->usable[kind][c];
        void **b = (void **)pool->free;
        if (RGC_LIKELY(b != NULL)) {
            pool->free = b[1];
            pool->nused_flags++;
            return b;
        }
    }
    return _rgc_block_alloc_slow(h, kind, n);
}

/* The free fast path for a small block known to belong to pool. */
static inline void _rgc_block_free(rgc_pool_t *pool, void *p)
{
    void **b = (void **)p;
    /* Slow when flags are set (full pool, fill bytes). */
    if (RGC_UNLIKELY(pool->nused_flags >= (1u << 24))) {
        _rgc_block_free_slow(pool, p);
        return;
    }
    b[1] = pool->free;
    pool->free = b;
    if (RGC_UNLIKELY(--pool->nused_flags == 0))
        _rgc_pool_emptied(pool);
}

/* ---- object.c */
/* The destroy function of a type being registered (its layout is set). */
void (*_rgc_destroy_for(const rgc_type_t *t))(rgc_object_t *, rgc_type_t *, uint32_t);
/*
 * Runs body with `slot` (rgc_object_t **) bound to every reference slot of
 * o's layout: the fields, then every element of every reference array.
 * NULL slots included; types with a traverse hook are the caller's case.
 */
#define RGC_FOR_EACH_REF_SLOT(o, t, slot, body)                                                 \
    do {                                                                                       \
        char *base_ = (char *)(o);                                                             \
        for (const uint32_t *off_ = (t)->ref_offsets, *end_ = off_ + (t)->n_ref_fields;        \
             off_ < end_; off_++) {                                                            \
            rgc_object_t **slot = (rgc_object_t **)(base_ + *off_);                            \
            body;                                                                              \
        }                                                                                      \
        for (uint32_t i_ = 0; i_ < (t)->n_ref_arrays; i_++) {                                  \
            const rgc_ref_array_t *a_ = &(t)->ref_arrays[i_];                                  \
            char *el_ = a_->ptr_offset == RGC_REFS_INLINE ? base_ + (t)->basic_size            \
                                                          : *(char **)(base_ + a_->ptr_offset); \
            size_t n_ = *(size_t *)(base_ + a_->len_offset);                                   \
            if (!el_)                                                                          \
                continue;                                                                      \
            el_ += a_->ref_offset;                                                             \
            for (size_t j_ = 0; j_ < n_; j_++, el_ += a_->stride) {                            \
                rgc_object_t **slot = (rgc_object_t **)el_;                                    \
                body;                                                                          \
            }                                                                                  \
        }                                                                                      \
    } while (0)
/* Sets every reference of o's layout to NULL and drops it. */
static inline void _rgc_clear_layout(rgc_object_t *o, rgc_type_t *t)
{
    RGC_FOR_EACH_REF_SLOT(o, t, slot, {
        rgc_object_t *ref = *slot;
        if (ref) {
            *slot = NULL;
            rgc_decref(ref);
        }
    });
}
RGC_HIDDEN void *_rgc_object_alloc(rgc_heap_t *h, rgc_type_t *t, size_t size);
RGC_HIDDEN void _rgc_object_free_block(rgc_object_t *o);
RGC_HIDDEN void _rgc_object_free_cleared(rgc_object_t *o);
RGC_HIDDEN int _rgc_gen_add(rgc_heap_t *h, rgc_object_t *o, int gen);
RGC_HIDDEN void _rgc_gen_remove(rgc_heap_t *h, rgc_object_t *o);
/* Squeezes the holes out of young generation gen's array. */
RGC_HIDDEN void _rgc_gen_squeeze(rgc_heap_t *h, int gen);
/* Shrinks young generation gen's array when it is far too large. */
RGC_HIDDEN void _rgc_gen_trim(rgc_heap_t *h, int gen);
/* Tracked objects in generation gen of h. */
static inline size_t _rgc_gen_len(const rgc_heap_t *h, int gen)
{
    return gen < RGC_NYOUNG ? h->gens[gen].len - h->gens[gen].holes : h->old_count[gen];
}
RGC_HIDDEN size_t _rgc_block_size_of(const void *p);

/* ---- gc.c */
RGC_HIDDEN void _rgc_gc_init(rgc_heap_t *h);
/* Runs the automatic collection due when generation 0 passed threshold 0. */
RGC_HIDDEN void _rgc_gc_auto(rgc_heap_t *h);
/* gcmodule.c: calls fn on each tracked object of generation gen (-1: any)
 * found in the pools and large blocks, oldest arena first; stops when fn
 * returns non-zero (then *stopped is 1).  Returns how many it visited. */
RGC_HIDDEN size_t _rgc_gc_walk_ex(rgc_heap_t *h, int gen, rgc_object_fn fn, void *arg, int *stopped);
RGC_HIDDEN size_t _rgc_gc_walk(rgc_heap_t *h, int gen, rgc_object_fn fn, void *arg);
#define RGC_WALK_ALL (-2) /* _rgc_gc_walk's gen: every live object, tracked or not */

/* The heap's first arena (the list is newest first); NULL if none. */
static inline rgc_arena_t *_rgc_oldest_arena(const rgc_heap_t *h)
{
    rgc_arena_t *a = h->arenas;
    while (a && a->next)
        a = a->next;
    return a;
}
/* Recomputes generation 0's slow-path length: min(cap, threshold0 + holes)
 * while automatic collection is on, else cap. */
static inline void _rgc_gen0_relimit(rgc_heap_t *h)
{
    rgc_genlist_t *g = &h->gens[0];
    size_t trigger = h->gc.enabled && h->gc.threshold[0] ? h->gc.threshold[0] + g->holes : SIZE_MAX;
    g->limit = trigger < g->cap ? trigger : g->cap;
}

/* ---- heap.c */
/* True for a live heap; otherwise reports RGC_EINVAL naming fn. */
RGC_HIDDEN int _rgc_heap_ok(const rgc_heap_t *h, const char *fn);
/* The heap checker's report of a violation (check.c): RGC_ECORRUPT, addr
 * and the message in *out (when not NULL); returns -1. */
RGC_HIDDEN int _rgc_check_fail(rgc_check_result_t *out, const void *addr, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

/* ---- debug.c, trace.c: events, the recorder and allocation tracing */
#include "events.h"

/* ---- weakref.c */
RGC_HIDDEN void _rgc_weakrefs_on_dealloc(rgc_object_t *o);

/* ---- type.c */
static inline rgc_type_t *_rgc_type(const rgc_object_t *o)
{
    return _rgc_runtime.types[o->type_id];
}
RGC_HIDDEN rgc_type_t *_rgc_type_checked(uint32_t id);
RGC_HIDDEN rgc_type_t *_rgc_type_register(const rgc_type_spec_t *spec);
RGC_HIDDEN void _rgc_types_builtin_init(void);

/* ---- builtins (int.c, str.c, ...; see builtins.h) */
RGC_HIDDEN extern rgc_type_t *_rgc_t_int, *_rgc_t_float, *_rgc_t_str, *_rgc_t_bytes,
    *_rgc_t_tuple, *_rgc_t_list, *_rgc_t_dict, *_rgc_t_set, *_rgc_t_array;

#endif /* RGC_INTERNAL_H */
