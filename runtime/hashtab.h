/*
 * hashtab.h — the compact, insertion-ordered hash table shared by dict.c and
 * set.c (layouts in builtins.h).
 *
 * A table is an append-only array of entries, in insertion order, plus an
 * index of int32 entry numbers (HT_EMPTY, HT_DELETED or 0..nentries-1)
 * probed by hash.  Both are raw blocks of the container's heap.  An entry
 * is `stride` bytes: the 64-bit hash at offset 0, the key at offset 8, then
 * whatever the container keeps (a dict's value).  A deleted entry keeps its
 * place with key (and value) NULL until the next rebuild compacts it away,
 * which is what keeps iteration in insertion order across deletions.
 *
 * All C code reads and writes the six table fields of a dict or set through
 * the rgc_htab_t view below (never through rgc_dict_obj_t / rgc_set_obj_t
 * members), so one access path exists for the compiler's alias analysis;
 * the static assertions in hashtab.c pin the view to both layouts.
 */
#ifndef RGC_HASHTAB_H
#define RGC_HASHTAB_H

#include "builtins.h"

#define HT_EMPTY (-1)   /* index slot never used since the last rebuild */
#define HT_DELETED (-2) /* index slot whose entry was deleted */
#define HT_MIN_INDICES 8u
#define HT_KEY_OFFSET 8u /* of the key in every entry */

/* The table fields of rgc_dict_obj_t and rgc_set_obj_t, which share them
 * in this order right after the object header. */
typedef struct rgc_htab {
    size_t used;      /* live entries */
    size_t nentries;  /* entries written, deleted ones included */
    size_t cap;       /* entries that fit before a rebuild (2/3 of nindices) */
    size_t nindices;  /* slots in indices: 0 (no blocks yet) or a power of two */
    int32_t *indices; /* entry numbers, HT_EMPTY or HT_DELETED */
    void *entries;    /* cap entries of `stride` bytes */
} rgc_htab_t;

/* The table of a dict or set object (o must be one of them). */
static inline rgc_htab_t *_rgc_htab_of(const void *o)
{
    return (rgc_htab_t *)(void *)((char *)o + sizeof(rgc_object_t));
}

static inline void *_rgc_htab_entry(const rgc_htab_t *t, size_t stride, size_t ix)
{
    return (char *)t->entries + ix * stride;
}

static inline uint64_t _rgc_htab_entry_hash(const void *e)
{
    return *(const uint64_t *)e;
}

static inline rgc_object_t *_rgc_htab_entry_key(const void *e)
{
    return *(rgc_object_t *const *)(const void *)((const char *)e + HT_KEY_OFFSET);
}

/*
 * Looks key (whose hash is `hash`) up in t.  Returns 1 when found, with the
 * entry number in *ix and its index slot in *slot; 0 when absent; -1 when a
 * key comparison failed (already reported by rgc_equal) or the table kept
 * changing under comparisons (RGC_EMISUSE).  Identity is tried before
 * equality.  Equality may run embedder code that mutates the table: the
 * probe then restarts, so the answer always describes the current table.
 */
RGC_HIDDEN int _rgc_htab_find(const rgc_htab_t *t, size_t stride, const rgc_object_t *key,
                              uint64_t hash, size_t *ix, size_t *slot);

/*
 * Makes room for one more entry, rebuilding (growing, or compacting away
 * deleted entries) when the entries array is full.  Runs no embedder code.
 * Returns 0, or -1 when memory cannot be had (reported; t unchanged).
 */
RGC_HIDDEN int _rgc_htab_reserve(rgc_htab_t *t, size_t stride, rgc_heap_t *h, const void *owner,
                                 const char *type_name);

/*
 * Appends an entry for a key known to be absent and indexes it; the caller
 * must have called _rgc_htab_reserve since the last change.  Returns the
 * zero-filled entry with its hash set: the caller stores key (and value).
 */
RGC_HIDDEN void *_rgc_htab_append(rgc_htab_t *t, size_t stride, uint64_t hash);

/* Marks the index slot of a deleted entry; the caller NULLs the entry's
 * references and drops them after the table is consistent again. */
RGC_HIDDEN void _rgc_htab_unlink(rgc_htab_t *t, size_t slot);

/*
 * Iterates live entries in insertion order from *pos (start at 0).  Returns
 * the next live entry and advances *pos past it, or NULL at the end.
 */
RGC_HIDDEN void *_rgc_htab_next(const rgc_htab_t *t, size_t stride, size_t *pos);

/* Moves the table out of t into *out, leaving t empty (for clear and
 * dealloc: the caller drops the detached references, then frees it). */
RGC_HIDDEN void _rgc_htab_detach(rgc_htab_t *t, rgc_htab_t *out);

/* Frees the blocks of a (detached or dying) table. */
RGC_HIDDEN void _rgc_htab_free(rgc_htab_t *t, rgc_heap_t *h);

/* ---- type hooks dict and set share (o is a dict or a set) */

/* dealloc: frees the table (the runtime has already dropped and NULLed
 * every reference in it) and leaves it empty. */
RGC_HIDDEN void _rgc_htab_dealloc(rgc_object_t *o);

/* extra_size: bytes of the table's two blocks (their usable sizes), for
 * rgc_sizeof. */
RGC_HIDDEN size_t _rgc_htab_extra_size(const rgc_object_t *o);

/* repr: the type name and the live entries, "dict[3]", "set[0]". */
RGC_HIDDEN void _rgc_htab_repr(const rgc_object_t *o, char *buf, size_t size);

#endif /* RGC_HASHTAB_H */
