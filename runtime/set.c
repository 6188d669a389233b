/*
 * set.c — the built-in set: insertion-ordered hashable keys.
 *
 * Owns: the set type (layout in builtins.h) and rgc_set_*.  The table is
 * hashtab.c's compact scheme with key-only entries; keys are hashed and
 * compared like dict keys (rgc_hash, identity then rgc_equal).  As in
 * dict.c, the set is consistent before any reference is dropped.
 */
#include "hashtab.h"

#define STRIDE sizeof(rgc_set_entry_t)

/* The set check, and a non-NULL arg (named `what` in the report). */
static bool check_args(const void *s, const void *arg, const char *what, const char *fn)
{
    if (!_rgc_expect_type(s, _rgc_t_set, fn))
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

/* ---- registration (the hooks are hashtab.c's, shared with the dict) */

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
        .dealloc = _rgc_htab_dealloc,
        .extra_size = _rgc_htab_extra_size,
        .repr = _rgc_htab_repr,
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
    if (!_rgc_expect_type(s, _rgc_t_set, "rgc_set_len"))
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
