/*
 * set.c — the built-in set: insertion-ordered hashable keys.
 *
 * Owns: the set type (layout in builtins.h) and rgc_set_*.  The table is
 * hashtab.c's compact scheme with key-only entries; keys are hashed and
 * compared like dict keys (rgc_hash, identity then rgc_equal).  As in
 * dict.c, the set is consistent before any reference is dropped.
 */
#include "hashtab.h"

#include <stdio.h>

#define STRIDE sizeof(rgc_set_entry_t)

static const char *type_name_of(const void *obj)
{
    rgc_type_t *t = obj ? rgc_typeof(obj) : NULL;
    return t ? rgc_type_name(t) : NULL;
}

/* True when s is a set; otherwise reports RGC_EINVAL on behalf of fn. */
static bool check_set(const void *s, const char *fn)
{
    const rgc_object_t *o = s;
    if (RGC_LIKELY(o && _rgc_t_set && o->type_id == _rgc_t_set->id))
        return true;
    _rgc_report(RGC_EINVAL, s, type_name_of(s), "%s: %s", fn, s ? "not a set" : "NULL set");
    return false;
}

/* check_set, and a non-NULL arg (named `what` in the report). */
static bool check_args(const void *s, const void *arg, const char *what, const char *fn)
{
    if (!check_set(s, fn))
        return false;
    if (RGC_LIKELY(arg != NULL))
        return true;
    _rgc_report(RGC_EINVAL, s, "set", "%s: NULL %s", fn, what);
    return false;
}

/* Looks key up: 1 found (entry number and slot set), 0 absent, -1 error
 * (unhashable key or failed comparison, reported).  *hash receives the
 * key's hash. */
static int find(const void *s, const void *key, uint64_t *hash, size_t *ix, size_t *slot)
{
    if (rgc_hash(key, hash) < 0)
        return -1;
    return _rgc_htab_find(_rgc_htab_of(s), STRIDE, key, *hash, ix, slot);
}

/* ---- type hooks */

/* The runtime has already dropped and NULLed every key. */
static void set_dealloc(rgc_object_t *o)
{
    rgc_htab_t *t = _rgc_htab_of(o);
    _rgc_htab_free(t, rgc_heap_of(o));
    t->used = t->nentries = t->cap = t->nindices = 0;
}

static size_t set_extra_size(const rgc_object_t *o)
{
    return _rgc_htab_bytes(_rgc_htab_of(o), rgc_heap_of(o));
}

static void set_repr(const rgc_object_t *o, char *buf, size_t size)
{
    snprintf(buf, size, "set[%zu]", _rgc_htab_of(o)->used);
}

void _rgc_register_set(void)
{
    static const rgc_ref_array_t keys[] = {
        {"keys", offsetof(rgc_set_obj_t, entries), offsetof(rgc_set_obj_t, nentries),
         sizeof(rgc_set_entry_t), offsetof(rgc_set_entry_t, key)},
    };
    rgc_type_spec_t spec = {
        .name = "set",
        .basic_size = sizeof(rgc_set_obj_t),
        .flags = RGC_TF_UNHASHABLE,
        .ref_arrays = keys,
        .n_ref_arrays = 1,
        .dealloc = set_dealloc,
        .extra_size = set_extra_size,
        .repr = set_repr,
    };
    _rgc_t_set = _rgc_type_register(&spec);
}

/* ---- public API */

rgc_type_t *rgc_set_type(void)
{
    _rgc_builtins_init();
    return _rgc_t_set;
}

/* A new empty set; its tables come with the first key.  New reference, or
 * NULL. */
void *rgc_set_new(rgc_heap_t *heap)
{
    _rgc_builtins_init();
    return rgc_new(heap, _rgc_t_set);
}

size_t rgc_set_len(const void *s)
{
    if (!check_set(s, "rgc_set_len"))
        return 0;
    return _rgc_htab_of(s)->used;
}

/* Adds key (incref) unless an equal key is present.  0, or -1: RGC_EINVAL,
 * RGC_EUNHASHABLE, RGC_ENOMEM (set unchanged), or a failed comparison. */
int rgc_set_add(void *s, void *key)
{
    if (!check_args(s, key, "key", "rgc_set_add"))
        return -1;
    uint64_t hash;
    size_t ix, slot;
    int found = find(s, key, &hash, &ix, &slot);
    if (found != 0)
        return found < 0 ? -1 : 0;
    rgc_htab_t *t = _rgc_htab_of(s);
    if (_rgc_htab_reserve(t, STRIDE, rgc_heap_of(s), s, "set") < 0)
        return -1;
    rgc_set_entry_t *e = _rgc_htab_append(t, STRIDE, hash);
    rgc_incref(key);
    e->key = key;
    return 0;
}

/* 1 when an equal key is in the set, 0 when not, -1 on error (reported). */
int rgc_set_contains(const void *s, const void *key)
{
    if (!check_args(s, key, "key", "rgc_set_contains"))
        return -1;
    uint64_t hash;
    size_t ix, slot;
    return find(s, key, &hash, &ix, &slot);
}

/* Removes the key equal to key: 1 removed, 0 absent (not an error), -1 on
 * error (reported). */
int rgc_set_discard(void *s, const void *key)
{
    if (!check_args(s, key, "key", "rgc_set_discard"))
        return -1;
    uint64_t hash;
    size_t ix, slot;
    int found = find(s, key, &hash, &ix, &slot);
    if (found <= 0)
        return found;
    rgc_htab_t *t = _rgc_htab_of(s);
    rgc_set_entry_t *e = _rgc_htab_entry(t, STRIDE, ix);
    rgc_object_t *old = e->key;
    e->key = NULL;
    _rgc_htab_unlink(t, slot);
    rgc_decref(old);
    return 1;
}

/* Steps through the keys in insertion order (*pos starts at 0; key may be
 * NULL; borrowed).  False at the end or on a bad argument (reported). */
bool rgc_set_next(const void *s, size_t *pos, void **key)
{
    if (!check_args(s, pos, "pos", "rgc_set_next"))
        return false;
    const rgc_set_entry_t *e = _rgc_htab_next(_rgc_htab_of(s), STRIDE, pos);
    if (!e)
        return false;
    if (key)
        *key = e->key;
    return true;
}
