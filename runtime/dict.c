/*
 * dict.c — the built-in dict: an insertion-ordered map from hashable keys
 * to references.
 *
 * Owns: the dict type (layout in builtins.h) and rgc_dict_*.  Probing,
 * growth and compaction are hashtab.c's; this file decides what happens to
 * references.  Keys are hashed with rgc_hash and compared with rgc_equal
 * (identity first), so an int key and an equal float key are the same key.
 *
 * Reference discipline: every change is completed (entry stored or
 * unlinked, counts updated) before a reference is dropped, because a decref
 * can run deallocations that reach this dict again.
 */
#include "hashtab.h"

#define STRIDE sizeof(rgc_dict_entry_t)

static bool check_arg(const void *d, const void *arg, const char *what, const char *fn)
{
    if (RGC_LIKELY(arg != NULL))
        return true;
    _rgc_report(RGC_EINVAL, d, "dict", "%s: NULL %s", fn, what);
    return false;
}

static rgc_dict_entry_t *entry_at(const rgc_htab_t *t, size_t ix)
{
    return _rgc_htab_entry(t, STRIDE, ix);
}

/* Stores value under key (hash precomputed): replaces the value of an equal
 * key (keeping the old key object) or appends a new entry.  0, or -1
 * (comparison failed, or RGC_ENOMEM with the dict unchanged). */
static int store(rgc_object_t *d, rgc_object_t *key, uint64_t hash, rgc_object_t *value)
{
    rgc_htab_t *t = _rgc_htab_of(d);
    size_t ix, slot;
    int found = _rgc_htab_find(t, STRIDE, key, hash, &ix, &slot);
    if (found < 0)
        return -1;
    if (found) {
        rgc_dict_entry_t *e = entry_at(t, ix);
        rgc_object_t *old = e->value;
        rgc_incref(value);
        e->value = value;
        rgc_decref(old); /* last: may reach this dict */
        return 0;
    }
    if (_rgc_htab_reserve(t, STRIDE, rgc_heap_of(d), d, "dict") < 0)
        return -1;
    rgc_dict_entry_t *e = _rgc_htab_append(t, STRIDE, hash);
    rgc_incref(key);
    rgc_incref(value);
    e->key = key;
    e->value = value;
    return 0;
}

/* ---- registration (the hooks are hashtab.c's, shared with the set) */

void _rgc_register_dict(void)
{
    static const rgc_ref_array_t arrays[] = {
        {"keys", offsetof(rgc_dict_obj_t, entries), offsetof(rgc_dict_obj_t, nentries),
         sizeof(rgc_dict_entry_t), offsetof(rgc_dict_entry_t, key)},
        {"values", offsetof(rgc_dict_obj_t, entries), offsetof(rgc_dict_obj_t, nentries),
         sizeof(rgc_dict_entry_t), offsetof(rgc_dict_entry_t, value)},
    };
    rgc_type_spec_t spec = {
        .name = "dict",
        .basic_size = sizeof(rgc_dict_obj_t),
        .flags = RGC_TF_UNHASHABLE,
        .ref_arrays = arrays,
        .n_ref_arrays = 2,
        .dealloc = _rgc_htab_dealloc,
        .extra_size = _rgc_htab_extra_size,
        .repr = _rgc_htab_repr,
    };
    _rgc_t_dict = _rgc_type_register(&spec);
}

/* ---- public API */

rgc_type_t *rgc_dict_type(void)
{
    _rgc_builtins_init();
    return _rgc_t_dict;
}

/* A new empty dict; its tables are allocated on the first insertion.  New
 * reference, or NULL. */
void *rgc_dict_new(rgc_heap_t *heap)
{
    _rgc_builtins_init();
    return rgc_new(heap, _rgc_t_dict);
}

size_t rgc_dict_len(const void *d)
{
    if (!_rgc_expect_type(d, _rgc_t_dict, "rgc_dict_len"))
        return 0;
    return _rgc_htab_of(d)->used;
}

/* Maps key to value, increfing both (an existing equal key is kept and only
 * its value replaced; the old value is dropped after the new one is
 * stored).  0, or -1: RGC_EINVAL, RGC_EUNHASHABLE, RGC_ENOMEM (dict
 * unchanged), or an error from a key comparison. */
int rgc_dict_set(void *d, void *key, void *value)
{
    if (!_rgc_expect_type(d, _rgc_t_dict, "rgc_dict_set") ||
        !check_arg(d, key, "key", "rgc_dict_set") ||
        !check_arg(d, value, "value", "rgc_dict_set"))
        return -1;
    uint64_t hash;
    if (rgc_hash(key, &hash) < 0)
        return -1;
    return store(d, key, hash, value);
}

/* The value for key, borrowed; NULL when absent (not reported) or on error
 * (RGC_EINVAL, RGC_EUNHASHABLE, a failed comparison: reported). */
void *rgc_dict_get(const void *d, const void *key)
{
    if (!_rgc_expect_type(d, _rgc_t_dict, "rgc_dict_get") ||
        !check_arg(d, key, "key", "rgc_dict_get"))
        return NULL;
    uint64_t hash;
    if (rgc_hash(key, &hash) < 0)
        return NULL;
    const rgc_htab_t *t = _rgc_htab_of(d);
    size_t ix, slot;
    if (_rgc_htab_find(t, STRIDE, key, hash, &ix, &slot) != 1)
        return NULL;
    return entry_at(t, ix)->value;
}

/* Removes key and its value.  0, or -1: RGC_EKEY when absent, RGC_EINVAL,
 * RGC_EUNHASHABLE, or a failed comparison. */
int rgc_dict_del(void *d, const void *key)
{
    if (!_rgc_expect_type(d, _rgc_t_dict, "rgc_dict_del") ||
        !check_arg(d, key, "key", "rgc_dict_del"))
        return -1;
    uint64_t hash;
    if (rgc_hash(key, &hash) < 0)
        return -1;
    rgc_htab_t *t = _rgc_htab_of(d);
    size_t ix, slot;
    int found = _rgc_htab_find(t, STRIDE, key, hash, &ix, &slot);
    if (found <= 0) {
        if (found == 0)
            _rgc_report(RGC_EKEY, d, "dict", "rgc_dict_del: key not in dict");
        return -1;
    }
    rgc_dict_entry_t *e = entry_at(t, ix);
    rgc_object_t *old_key = e->key;
    rgc_object_t *old_value = e->value;
    e->key = NULL;
    e->value = NULL;
    _rgc_htab_unlink(t, slot);
    rgc_decref(old_key);
    rgc_decref(old_value);
    return 0;
}

/* rgc_dict_set with the heap's interned string for key. */
int rgc_dict_set_str(void *d, const char *key, void *value)
{
    if (!_rgc_expect_type(d, _rgc_t_dict, "rgc_dict_set_str") ||
        !check_arg(d, key, "key", "rgc_dict_set_str"))
        return -1;
    void *k = rgc_str_intern(rgc_heap_of(d), key);
    if (!k)
        return -1;
    return rgc_dict_set(d, k, value);
}

/* rgc_dict_get with a string key.  A miss interns nothing: the lookup uses
 * a temporary string, which equals the interned key of a hit. */
void *rgc_dict_get_str(const void *d, const char *key)
{
    if (!_rgc_expect_type(d, _rgc_t_dict, "rgc_dict_get_str") ||
        !check_arg(d, key, "key", "rgc_dict_get_str"))
        return NULL;
    if (_rgc_htab_of(d)->used == 0)
        return NULL;
    void *k = rgc_str_from_cstr(rgc_heap_of(d), key);
    if (!k)
        return NULL;
    void *value = rgc_dict_get(d, k);
    rgc_decref(k);
    return value;
}

/* Steps through live entries in insertion order.  *pos starts at 0; key and
 * value (each may be NULL) receive borrowed references.  False at the end,
 * or on a bad argument (reported).  Changing the dict while iterating is
 * safe but may skip or repeat entries once it is rebuilt. */
bool rgc_dict_next(const void *d, size_t *pos, void **key, void **value)
{
    if (!_rgc_expect_type(d, _rgc_t_dict, "rgc_dict_next") ||
        !check_arg(d, pos, "pos", "rgc_dict_next"))
        return false;
    const rgc_dict_entry_t *e = _rgc_htab_next(_rgc_htab_of(d), STRIDE, pos);
    if (!e)
        return false;
    if (key)
        *key = e->key;
    if (value)
        *value = e->value;
    return true;
}

/* Removes every entry and frees the tables.  The dict is already empty when
 * the first reference is dropped; after that it may even be freed (when
 * one of its values held its last reference), so it is not touched again. */
void rgc_dict_clear(void *d)
{
    if (!_rgc_expect_type(d, _rgc_t_dict, "rgc_dict_clear"))
        return;
    rgc_heap_t *heap = rgc_heap_of(d);
    rgc_htab_t old;
    _rgc_htab_detach(_rgc_htab_of(d), &old);
    for (size_t ix = 0; ix < old.nentries; ix++) {
        rgc_dict_entry_t *e = entry_at(&old, ix);
        if (e->key) {
            rgc_decref(e->key);
            rgc_decref(e->value);
        }
    }
    _rgc_htab_free(&old, heap);
}
