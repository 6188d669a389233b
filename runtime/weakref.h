/*
 * weakref.h — weak references: the layouts of the weakref objects and of the
 * weak dictionaries, the per-heap table that finds the weakrefs of an
 * object, and the hooks through which object.c and the collector clear them.
 *
 * Objects carry no weakref field.  An object some weakref points at has
 * RGC_OF_WEAKREFED set, and its heap's table (heap->weak, made on the first
 * weakref) maps its address to the newest of its weakrefs; the others follow
 * through next, newest first.  The referent pointer of a weakref is not a
 * reference: it is not in the layout and counts nothing.
 *
 * Invariants (checked by _rgc_weaktab_check):
 *   - an object has RGC_OF_WEAKREFED iff the table has an entry for it, and
 *     then its list is non-empty;
 *   - every weakref on o's list has referent == o; a weakref whose referent
 *     is NULL (cleared: its referent died) is on no list, and stays so;
 *   - the head of a list has prev == NULL.
 *
 * Clearing follows CPython: when a referent dies every weakref to it is
 * cleared first, then the callbacks of those that are still alive run,
 * newest weakref first.  A callback runs only while its weakref is alive: a
 * weakref whose count reached zero (one being destroyed, or queued for
 * destruction, whose header then holds the queue link) is cleared quietly,
 * and so is one the collector found to be garbage.  A callback gets the
 * weakref and its ctx, and the weakref lets go of both once it has run.
 */
#ifndef RGC_WEAKREF_H
#define RGC_WEAKREF_H

#include "internal.h"

/* ---- layouts (what the debug table will describe to tools) */

/* A weak reference: the object rgc_weakref_new returns. */
typedef struct rgc_weakref_obj {
    RGC_OBJECT_HEAD;
    rgc_object_t *referent;        /* not counted; NULL once it died */
    rgc_object_t *ctx;             /* counted (ref field "ctx"); the callback's
                                    * second argument; dropped once it has run */
    rgc_weakref_fn callback;       /* NULL: none, or already called */
    struct rgc_weakref_obj *prev;  /* newer weakref to the same referent; NULL
                                    * at the head of the list */
    struct rgc_weakref_obj *next;  /* older weakref to the same referent */
    uint64_t hash;                 /* the referent's hash, once computed; 0
                                    * until then (a real 0 is stored as 1) */
} rgc_weakref_obj_t;

/* A weakref that also holds a key (CPython's KeyedRef): the value side of a
 * WeakValueDictionary entry, so that its callback can find the entry. */
typedef struct rgc_keyedref_obj {
    rgc_weakref_obj_t ref;         /* a weakref in every respect */
    rgc_object_t *key;             /* counted (ref field "key") */
} rgc_keyedref_obj_t;

/* WeakValueDictionary and WeakKeyDictionary share this layout.  dict maps
 * key -> KeyedRef(value, key) for the first, weakref(key) -> value for the
 * second.  Every weakref in dict has selfref as its ctx: a weakref to the
 * wrapper, which lets a callback find the wrapper without keeping it
 * alive. */
typedef struct rgc_weakdict_obj {
    RGC_OBJECT_HEAD;
    rgc_object_t *dict;            /* a dict object (ref field "dict") */
    rgc_object_t *selfref;         /* weakref to this object (ref field "selfref") */
} rgc_weakdict_obj_t;

/* ---- the per-heap table: referent address -> newest weakref */

typedef struct rgc_weakslot {
    rgc_object_t *referent;        /* NULL: an empty slot */
    rgc_weakref_obj_t *head;       /* newest weakref to it */
} rgc_weakslot_t;

/* Linear probing from the Fibonacci hash of the address, deletion by
 * shifting the following run back (no tombstones).  Made with rgc_mem_alloc
 * of its heap, like its slot array; both simply go with the heap. */
struct rgc_weaktab {
    rgc_weakslot_t *slots;         /* cap slots, a raw block; NULL while cap == 0 */
    size_t cap;                    /* 0 (no referent) or a power of two >=
                                    * RGC_WEAKTAB_MIN; never shrinks while
                                    * a referent remains */
    size_t len;                    /* referents in the table */
    size_t nrefs;                  /* weakrefs on all lists together */
    unsigned shift;                /* 64 - log2(cap): slot = hash >> shift;
                                    * 0 while cap == 0 */
};

#define RGC_WEAKTAB_MIN 16u

/* ---- types (registered with the built-ins) */

RGC_HIDDEN extern rgc_type_t *_rgc_t_weakref, *_rgc_t_keyedref;

/* True when o is a weakref object (a plain weakref or a KeyedRef). */
static inline bool _rgc_is_weakref(const rgc_object_t *o)
{
    return o && _rgc_t_weakref &&
           (o->type_id == _rgc_t_weakref->id || (_rgc_t_keyedref && o->type_id == _rgc_t_keyedref->id));
}

/* Registers weakref, KeyedRef and the two weak dictionary types (called by
 * _rgc_register_weakref, which builtins.c calls once). */
RGC_HIDDEN void _rgc_register_weakdict(void);

/*
 * A KeyedRef to obj holding key (counted) and ctx (counted): a new
 * reference, or NULL (RGC_EINVAL: obj not weak-referenceable; RGC_ENOMEM).
 */
RGC_HIDDEN rgc_object_t *_rgc_keyedref_new(rgc_object_t *obj, rgc_weakref_fn callback,
                                           rgc_object_t *ctx, rgc_object_t *key);

/*
 * Makes *probe a lookup key for dicts keyed by weakrefs: it hashes as obj
 * (whose hash the caller computed) and equals every live weakref to obj,
 * without allocating or touching obj's list.  It is an immortal weakref
 * object on the caller's stack, linked nowhere: it may be passed to lookups
 * (rgc_dict_get, rgc_dict_del) but never stored, returned or kept beyond
 * the call.
 */
static inline void _rgc_weakref_probe(rgc_weakref_obj_t *probe, rgc_object_t *obj, uint64_t hash)
{
    memset(probe, 0, sizeof *probe);
    probe->ob_base.refcnt = RGC_REFCNT_IMMORTAL;
    probe->ob_base.type_id = _rgc_t_weakref->id;
    probe->ob_base.flags = RGC_OF_IMMORTAL;
    probe->referent = obj;
    probe->hash = hash ? hash : 1;
}

/* ---- hooks for object.c and the collector */

/*
 * o (RGC_OF_WEAKREFED set) is dying by reference count: its finalizer has
 * run, its count is 0, its references are intact, it is untracked (a
 * callback may start a collection, which must not take o for a candidate)
 * and it has not been queued (queueing overwrites its flags).  Clears
 * every weakref to o and the flag, then calls the callbacks of those still
 * alive, newest weakref first, each weakref held alive across its call.
 * Cannot fail.
 */
RGC_HIDDEN void _rgc_weakrefs_on_dealloc(rgc_object_t *o);

/*
 * For the collector, before any garbage is finalized or torn down.
 * unreachable[0..n) are the garbage (candidate, not reachable, held alive by
 * the collector).  Clears every weakref to one of them, and every weakref
 * that is one of them (its callback could otherwise run during teardown and
 * see torn-down objects: CPython's rule), running no callback.  The cleared
 * weakrefs that have a callback and are not garbage are increfed and put in
 * a new array (*callbacks, a raw block of h, *ncallbacks long; NULL and 0
 * when there are none) for _rgc_weakrefs_run_callbacks.  Returns the number
 * of weakrefs cleared, or -1 when the array could not be allocated
 * (RGC_ENOMEM reported): everything is cleared all the same and no
 * callback is collected.
 */
RGC_HIDDEN long _rgc_weakrefs_gc_clear(rgc_heap_t *h, rgc_object_t **unreachable, size_t n,
                                       rgc_object_t ***callbacks, size_t *ncallbacks);

/*
 * Calls the callback of each weakref in callbacks[0..n) (in order), drops
 * the reference _rgc_weakrefs_gc_clear took on it, and frees the array
 * (NULL with n == 0 is fine).  Callbacks may run any code.
 */
RGC_HIDDEN void _rgc_weakrefs_run_callbacks(rgc_heap_t *h, rgc_object_t **callbacks, size_t n);

/*
 * The heap checker's part for weak references: the table and the
 * invariants above.  Returns 0, or -1 with the first violation in *out (out
 * may be NULL).  Every walk is bounded.
 */
RGC_HIDDEN int _rgc_weaktab_check(rgc_heap_t *h, rgc_check_result_t *out);

/* True when h's table has an entry for o: what RGC_OF_WEAKREFED on a live
 * object promises (for the checker's walk over the objects). */
RGC_HIDDEN bool _rgc_weaktab_has(const rgc_heap_t *h, const rgc_object_t *o);

#endif /* RGC_WEAKREF_H */
