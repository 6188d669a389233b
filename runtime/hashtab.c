/*
 * hashtab.c — probing, rebuilding and iterating the compact hash table that
 * dict.c and set.c share (see hashtab.h for the layout).
 *
 * Owns: the probe sequence, the load factor and growth policy, the
 * re-check that keeps a lookup sound when a key's eq hook mutates the table,
 * and the dealloc, extra_size and repr hooks of both containers.
 * It never touches reference counts except to hold a key alive across its
 * own comparison: the containers own their references.
 *
 * Probe sequence: slot = hash & mask, then slot = 5*slot + 1 + perturb with
 * perturb = hash shifted right 5 bits more at each step.  The perturbation
 * folds the high bits of the hash in early (integer hashes often differ only
 * there); once it reaches zero, slot -> 5*slot+1 (mod 2^k) visits every slot,
 * so a probe always ends on an empty slot.
 *
 * Load: at most 2/3 of the index slots ever hold an entry number (deleted
 * slots included, since entries are append-only between rebuilds).  A full
 * entries array triggers a rebuild sized for 1.5x the live entries, which
 * doubles a growing table and shrinks one that is mostly deleted entries.
 */
#include "hashtab.h"

#include <stddef.h>
#include <stdio.h>

/* The view must match both container layouts field for field. */
_Static_assert(offsetof(rgc_dict_obj_t, used) == sizeof(rgc_object_t), "dict view");
_Static_assert(offsetof(rgc_dict_obj_t, nentries) ==
                   sizeof(rgc_object_t) + offsetof(rgc_htab_t, nentries), "dict view");
_Static_assert(offsetof(rgc_dict_obj_t, cap) == sizeof(rgc_object_t) + offsetof(rgc_htab_t, cap),
               "dict view");
_Static_assert(offsetof(rgc_dict_obj_t, nindices) ==
                   sizeof(rgc_object_t) + offsetof(rgc_htab_t, nindices), "dict view");
_Static_assert(offsetof(rgc_dict_obj_t, indices) ==
                   sizeof(rgc_object_t) + offsetof(rgc_htab_t, indices), "dict view");
_Static_assert(offsetof(rgc_dict_obj_t, entries) ==
                   sizeof(rgc_object_t) + offsetof(rgc_htab_t, entries), "dict view");
_Static_assert(offsetof(rgc_set_obj_t, used) == sizeof(rgc_object_t), "set view");
_Static_assert(offsetof(rgc_set_obj_t, nentries) ==
                   sizeof(rgc_object_t) + offsetof(rgc_htab_t, nentries), "set view");
_Static_assert(offsetof(rgc_set_obj_t, cap) == sizeof(rgc_object_t) + offsetof(rgc_htab_t, cap),
               "set view");
_Static_assert(offsetof(rgc_set_obj_t, nindices) ==
                   sizeof(rgc_object_t) + offsetof(rgc_htab_t, nindices), "set view");
_Static_assert(offsetof(rgc_set_obj_t, indices) ==
                   sizeof(rgc_object_t) + offsetof(rgc_htab_t, indices), "set view");
_Static_assert(offsetof(rgc_set_obj_t, entries) ==
                   sizeof(rgc_object_t) + offsetof(rgc_htab_t, entries), "set view");
_Static_assert(offsetof(rgc_dict_entry_t, hash) == 0 && offsetof(rgc_set_entry_t, hash) == 0,
               "entry hash first");
_Static_assert(offsetof(rgc_dict_entry_t, key) == HT_KEY_OFFSET &&
                   offsetof(rgc_set_entry_t, key) == HT_KEY_OFFSET,
               "entry key at HT_KEY_OFFSET");

#define PERTURB_SHIFT 5
#define MAX_INDICES ((size_t)1 << 31) /* entry numbers must fit an int32 */
#define MAX_RESTARTS 16               /* lookups restarted by mutating eq hooks */

enum { PROBE_RESTART = 2 }; /* beside 1 found, 0 absent, -1 error */

/* Entries that fit in a table of n index slots. */
static size_t usable(size_t n)
{
    return n / 3 * 2 + (n % 3) * 2 / 3;
}

/* The first empty slot on hash's probe sequence (one always exists). */
static size_t empty_slot(const int32_t *indices, size_t mask, uint64_t hash)
{
    size_t i = (size_t)hash & mask;
    uint64_t perturb = hash;
    while (indices[i] != HT_EMPTY) {
        perturb >>= PERTURB_SHIFT;
        i = (i * 5 + 1 + (size_t)perturb) & mask;
    }
    return i;
}

/* One pass of _rgc_htab_find; PROBE_RESTART when an eq hook changed the
 * part of the table the pass depended on. */
static int probe(const rgc_htab_t *t, size_t stride, const rgc_object_t *key, uint64_t hash,
                 size_t *ix_out, size_t *slot_out)
{
    if (t->nindices == 0)
        return 0;
    int32_t *indices = t->indices;
    void *entries = t->entries;
    size_t nindices = t->nindices;
    size_t mask = nindices - 1;
    size_t i = (size_t)hash & mask;
    uint64_t perturb = hash;
    for (;;) {
        int32_t ix = indices[i];
        if (ix == HT_EMPTY)
            return 0;
        if (ix >= 0) {
            void *e = _rgc_htab_entry(t, stride, (size_t)ix);
            rgc_object_t *k = _rgc_htab_entry_key(e);
            if (k == key)
                goto found;
            if (_rgc_htab_entry_hash(e) == hash && k) {
                rgc_incref(k); /* the eq hook may drop the table's reference */
                int eq = rgc_equal(k, key);
                rgc_decref(k);
                if (eq < 0)
                    return -1;
                /* Everything this pass relied on must still hold; the
                 * pointers are compared before anything is read through
                 * them. */
                if (t->indices != indices || t->entries != entries || t->nindices != nindices ||
                    indices[i] != ix || (size_t)ix >= t->nentries || _rgc_htab_entry_key(e) != k)
                    return PROBE_RESTART;
                if (eq)
                    goto found;
            }
        }
        perturb >>= PERTURB_SHIFT;
        i = (i * 5 + 1 + (size_t)perturb) & mask;
    }
found:
    *ix_out = (size_t)indices[i];
    *slot_out = i;
    return 1;
}

int _rgc_htab_find(const rgc_htab_t *t, size_t stride, const rgc_object_t *key, uint64_t hash,
                   size_t *ix, size_t *slot)
{
    for (int pass = 0; pass < MAX_RESTARTS; pass++) {
        int r = probe(t, stride, key, hash, ix, slot);
        if (r != PROBE_RESTART)
            return r;
    }
    _rgc_report(RGC_EMISUSE, key, NULL,
                "lookup abandoned: key comparisons mutated the table %d times in a row",
                MAX_RESTARTS);
    return -1;
}

/* Replaces t's blocks with fresh ones sized for its live entries plus
 * growth, copying the live entries in order.  0, or -1 with t unchanged. */
static int rebuild(rgc_htab_t *t, size_t stride, rgc_heap_t *h, const void *owner,
                   const char *type_name)
{
    size_t want = t->used + t->used / 2 + 1;
    size_t n = HT_MIN_INDICES;
    while (usable(n) < want) {
        if (n >= MAX_INDICES) {
            _rgc_report(RGC_ENOMEM, owner, type_name, "table cannot grow past %zu entries",
                        usable(MAX_INDICES));
            return -1;
        }
        n <<= 1;
    }
    size_t cap = usable(n);
    int32_t *indices = rgc_mem_alloc(h, n * sizeof *indices);
    void *entries = indices ? rgc_mem_alloc(h, cap * stride) : NULL;
    if (!entries) {
        rgc_mem_free(h, indices);
        return -1;
    }
    memset(indices, 0xFF, n * sizeof *indices); /* all HT_EMPTY (-1) */
    size_t mask = n - 1;
    size_t live = 0;
    for (size_t ix = 0; ix < t->nentries; ix++) {
        const void *e = _rgc_htab_entry(t, stride, ix);
        if (!_rgc_htab_entry_key(e))
            continue;
        memcpy((char *)entries + live * stride, e, stride);
        indices[empty_slot(indices, mask, _rgc_htab_entry_hash(e))] = (int32_t)live;
        live++;
    }
    rgc_mem_free(h, t->indices);
    rgc_mem_free(h, t->entries);
    t->indices = indices;
    t->entries = entries;
    t->nindices = n;
    t->cap = cap;
    t->nentries = live;
    return 0;
}

int _rgc_htab_reserve(rgc_htab_t *t, size_t stride, rgc_heap_t *h, const void *owner,
                      const char *type_name)
{
    if (RGC_LIKELY(t->nentries < t->cap))
        return 0;
    return rebuild(t, stride, h, owner, type_name);
}

void *_rgc_htab_append(rgc_htab_t *t, size_t stride, uint64_t hash)
{
    size_t ix = t->nentries;
    void *e = _rgc_htab_entry(t, stride, ix);
    memset(e, 0, stride);
    *(uint64_t *)e = hash;
    t->indices[empty_slot(t->indices, t->nindices - 1, hash)] = (int32_t)ix;
    t->nentries = ix + 1;
    t->used++;
    return e;
}

void _rgc_htab_unlink(rgc_htab_t *t, size_t slot)
{
    t->indices[slot] = HT_DELETED;
    t->used--;
}

void *_rgc_htab_next(const rgc_htab_t *t, size_t stride, size_t *pos)
{
    for (size_t ix = *pos; ix < t->nentries; ix++) {
        void *e = _rgc_htab_entry(t, stride, ix);
        if (_rgc_htab_entry_key(e)) {
            *pos = ix + 1;
            return e;
        }
    }
    *pos = t->nentries;
    return NULL;
}

void _rgc_htab_detach(rgc_htab_t *t, rgc_htab_t *out)
{
    *out = *t;
    memset(t, 0, sizeof *t);
}

void _rgc_htab_free(rgc_htab_t *t, rgc_heap_t *h)
{
    rgc_mem_free(h, t->indices);
    rgc_mem_free(h, t->entries);
    t->indices = NULL;
    t->entries = NULL;
}

/* ---- type hooks */

void _rgc_htab_dealloc(rgc_object_t *o)
{
    rgc_htab_t *t = _rgc_htab_of(o);
    _rgc_htab_free(t, rgc_heap_of(o));
    t->used = t->nentries = t->cap = t->nindices = 0;
}

size_t _rgc_htab_extra_size(const rgc_object_t *o)
{
    const rgc_htab_t *t = _rgc_htab_of(o);
    rgc_heap_t *h = rgc_heap_of(o);
    size_t n = 0;
    if (t->indices)
        n += rgc_mem_usable_size(h, t->indices);
    if (t->entries)
        n += rgc_mem_usable_size(h, t->entries);
    return n;
}

void _rgc_htab_repr(const rgc_object_t *o, char *buf, size_t size)
{
    snprintf(buf, size, "%s[%zu]", _rgc_type(o)->name, _rgc_htab_of(o)->used);
}
