/*
 * weakdict.c — WeakValueDictionary and WeakKeyDictionary, built on the dict
 * (layout rgc_weakdict_obj_t in weakref.h).
 *
 * Owns: the two wrapper types and rgc_weakvaluedict_* / rgc_weakkeydict_*.
 *
 * Each wrapper holds a dict and a weakref to itself, `selfref`.  In a
 * WeakValueDictionary the dict maps key -> KeyedRef(value) holding the key;
 * in a WeakKeyDictionary it maps weakref(key) -> value, the weakref hashing
 * as the key did at insertion and comparing by its key while both live.
 * Every weakref in the dict has a callback whose ctx is selfref, so no
 * strong reference leads from an entry back to the wrapper and dropping
 * the wrapper frees everything by reference counting alone.
 *
 * Entries go eagerly, not lazily: when a value (or key) dies, its weakref's
 * callback runs at once (from the referent's destruction, or from the
 * collector right after it clears the weakrefs to garbage) and removes the
 * entry, finding it through the KeyedRef's key or, for a weak key, through
 * the weakref's kept hash and identity.  So len() is the dict's own count
 * and a lookup never sees a dead entry.  The one window is inside a
 * collection, between its clearing of weakrefs and its running of their
 * callbacks: a lookup there treats an entry whose weakref is cleared as
 * absent.  When the wrapper itself has died, selfref is cleared and the
 * callbacks do nothing.
 */
#include "hashtab.h"
#include "weakref.h"

#define STRIDE sizeof(rgc_dict_entry_t)

static rgc_type_t *t_valuedict, *t_keydict;

/* ---- entries of the wrapped dict, reached through the shared table code
 * so that a callback removes exactly the entry of its own weakref */

/* Finds key (whose hash is hash) in dict d: 1 with the entry and its index
 * slot, 0 when absent, -1 when a comparison failed (reported). */
static int find_entry(rgc_object_t *d, const rgc_object_t *key, uint64_t hash,
                      rgc_dict_entry_t **entry, size_t *slot)
{
    rgc_htab_t *t = _rgc_htab_of(d);
    size_t ix;
    int found = _rgc_htab_find(t, STRIDE, key, hash, &ix, slot);
    if (found == 1)
        *entry = _rgc_htab_entry(t, STRIDE, ix);
    return found;
}

/* Removes a found entry of d; the references go only once the table is
 * consistent again, since dropping them may run any code. */
static void remove_entry(rgc_object_t *d, rgc_dict_entry_t *e, size_t slot)
{
    rgc_object_t *key = e->key, *value = e->value;
    e->key = NULL;
    e->value = NULL;
    _rgc_htab_unlink(_rgc_htab_of(d), slot);
    rgc_decref(key);
    rgc_decref(value);
}

/* ---- callbacks */

/* A value of a WeakValueDictionary died: remove its entry if it still maps
 * the KeyedRef's key to this KeyedRef (a later set may have replaced it). */
static void value_died(void *weakref, void *selfref)
{
    rgc_weakdict_obj_t *wd = rgc_weakref_peek(selfref);
    if (!wd)
        return; /* the dictionary died first */
    rgc_keyedref_obj_t *kr = weakref;
    uint64_t hash;
    if (rgc_hash(kr->key, &hash) < 0)
        return;
    rgc_incref(wd); /* key comparisons may run code that drops it */
    rgc_dict_entry_t *e = NULL;
    size_t slot = 0;
    if (find_entry(wd->dict, kr->key, hash, &e, &slot) == 1 && e->value == &kr->ref.ob_base)
        remove_entry(wd->dict, e, slot);
    rgc_decref(wd);
}

/* A key of a WeakKeyDictionary died: remove the entry keyed by its
 * weakref, found by identity under the hash the weakref kept. */
static void key_died(void *weakref, void *selfref)
{
    rgc_weakdict_obj_t *wd = rgc_weakref_peek(selfref);
    if (!wd)
        return;
    uint64_t hash;
    if (rgc_hash(weakref, &hash) < 0)
        return;
    rgc_incref(wd);
    rgc_dict_entry_t *e = NULL;
    size_t slot = 0;
    if (find_entry(wd->dict, weakref, hash, &e, &slot) == 1 && e->key == weakref)
        remove_entry(wd->dict, e, slot);
    rgc_decref(wd);
}

/* ---- registration */

static void weakdict_repr(const rgc_object_t *o, char *buf, size_t size)
{
    const rgc_weakdict_obj_t *wd = (const rgc_weakdict_obj_t *)o;
    const char *name = _rgc_type(o)->name;
    const char *dot = strrchr(name, '.');
    snprintf(buf, size, "%s[%zu]", dot ? dot + 1 : name, wd->dict ? rgc_dict_len(wd->dict) : 0);
}

void _rgc_register_weakdict(void)
{
    static const rgc_ref_field_t fields[] = {
        {"dict", offsetof(rgc_weakdict_obj_t, dict)},
        {"selfref", offsetof(rgc_weakdict_obj_t, selfref)},
    };
    rgc_type_spec_t spec = {
        .name = "weakref.WeakValueDictionary",
        .basic_size = sizeof(rgc_weakdict_obj_t),
        .flags = RGC_TF_WEAKREFABLE | RGC_TF_UNHASHABLE | RGC_TF_BUILTIN,
        .ref_fields = fields,
        .n_ref_fields = 2,
        .repr = weakdict_repr,
    };
    t_valuedict = _rgc_type_register(&spec);
    spec.name = "weakref.WeakKeyDictionary";
    t_keydict = _rgc_type_register(&spec);
}

/* ---- shared */

/* A new empty wrapper of type t: its dict and its selfref made.  New
 * reference, or NULL (RGC_EINVAL for a NULL heap, RGC_ENOMEM). */
static void *weakdict_new(rgc_heap_t *heap, rgc_type_t *t, const char *fn)
{
    if (!heap) {
        _rgc_report(RGC_EINVAL, NULL, NULL, "%s: NULL heap", fn);
        return NULL;
    }
    if (!t) {
        _rgc_report(RGC_ENOMEM, NULL, NULL, "%s: the type could not be registered", fn);
        return NULL;
    }
    rgc_weakdict_obj_t *wd = rgc_new(heap, t);
    if (!wd)
        return NULL;
    wd->dict = rgc_dict_new(heap);
    if (wd->dict)
        wd->selfref = rgc_weakref_new(wd, NULL, NULL);
    if (!wd->selfref) {
        rgc_decref(wd);
        return NULL;
    }
    return wd;
}

static bool check_arg(const void *wd, const void *arg, const char *what, const char *fn)
{
    if (RGC_LIKELY(arg != NULL))
        return true;
    _rgc_report(RGC_EINVAL, wd, NULL, "%s: NULL %s", fn, what);
    return false;
}

/* Computes key's hash for a lookup by weak key.  The key must be of a
 * weak-referenceable type (else RGC_EINVAL, as Python's TypeError) and
 * hashable.  0, or -1 (reported). */
static int weak_key_hash(const void *wd, const void *key, uint64_t *hash, const char *fn)
{
    if (!check_arg(wd, key, "key", fn))
        return -1;
    rgc_type_t *kt = rgc_typeof(key);
    if (!kt || !(kt->flags & RGC_TF_WEAKREFABLE)) {
        _rgc_report(RGC_EINVAL, key, kt ? rgc_type_name(kt) : NULL,
                    "%s: cannot create weak reference to '%s' object", fn,
                    kt ? rgc_type_name(kt) : "non-object");
        return -1;
    }
    return rgc_hash(key, hash);
}

/* ---- WeakValueDictionary */

void *rgc_weakvaluedict_new(rgc_heap_t *heap)
{
    _rgc_builtins_init();
    return weakdict_new(heap, t_valuedict, "rgc_weakvaluedict_new");
}

/*
 * Maps key to a weak reference to value: key is increfed (twice: by the
 * dict and by the KeyedRef that finds the entry, as in CPython), value is
 * not.  0, or -1: RGC_EINVAL (bad argument, value not weak-referenceable),
 * RGC_EUNHASHABLE, RGC_ENOMEM, a failed key comparison.
 */
int rgc_weakvaluedict_set(void *wd, void *key, void *value)
{
    if (!_rgc_expect_type(wd, t_valuedict, "rgc_weakvaluedict_set") ||
        !check_arg(wd, key, "key", "rgc_weakvaluedict_set") ||
        !check_arg(wd, value, "value", "rgc_weakvaluedict_set"))
        return -1;
    rgc_weakdict_obj_t *w = wd;
    rgc_object_t *kr = _rgc_keyedref_new(value, value_died, w->selfref, key);
    if (!kr)
        return -1;
    int r = rgc_dict_set(w->dict, key, kr);
    rgc_decref(kr); /* the dict's now, or gone (and unlinked) on failure */
    return r;
}

/* The value for key as a new reference; NULL when absent (not reported) or
 * on a bad argument or failed comparison (reported). */
void *rgc_weakvaluedict_get(const void *wd, const void *key)
{
    if (!_rgc_expect_type(wd, t_valuedict, "rgc_weakvaluedict_get") ||
        !check_arg(wd, key, "key", "rgc_weakvaluedict_get"))
        return NULL;
    void *kr = rgc_dict_get(((const rgc_weakdict_obj_t *)wd)->dict, key);
    return kr ? rgc_weakref_get(kr) : NULL;
}

/* Removes key.  0, or -1: RGC_EKEY when absent (or its value has died),
 * RGC_EINVAL, RGC_EUNHASHABLE, a failed comparison. */
int rgc_weakvaluedict_del(void *wd, const void *key)
{
    if (!_rgc_expect_type(wd, t_valuedict, "rgc_weakvaluedict_del") ||
        !check_arg(wd, key, "key", "rgc_weakvaluedict_del"))
        return -1;
    rgc_object_t *d = ((rgc_weakdict_obj_t *)wd)->dict;
    uint64_t hash;
    if (rgc_hash(key, &hash) < 0)
        return -1;
    rgc_dict_entry_t *e = NULL;
    size_t slot = 0;
    int found = find_entry(d, key, hash, &e, &slot);
    if (found < 0)
        return -1;
    bool alive = found && rgc_weakref_peek(e->value);
    if (found)
        remove_entry(d, e, slot);
    if (!alive) {
        _rgc_report(RGC_EKEY, wd, "weakref.WeakValueDictionary",
                    "rgc_weakvaluedict_del: key not in the dictionary");
        return -1;
    }
    return 0;
}

/* Live entries (0 with RGC_EINVAL for a bad argument). */
size_t rgc_weakvaluedict_len(const void *wd)
{
    if (!_rgc_expect_type(wd, t_valuedict, "rgc_weakvaluedict_len"))
        return 0;
    return rgc_dict_len(((const rgc_weakdict_obj_t *)wd)->dict);
}

/* ---- WeakKeyDictionary */

void *rgc_weakkeydict_new(rgc_heap_t *heap)
{
    _rgc_builtins_init();
    return weakdict_new(heap, t_keydict, "rgc_weakkeydict_new");
}

/*
 * Maps a weak reference to key to value (increfed; key is not).  A key
 * equal to one already present replaces that entry's value.  0, or -1:
 * RGC_EINVAL (bad argument, key not weak-referenceable), RGC_EUNHASHABLE,
 * RGC_ENOMEM, a failed key comparison.
 */
int rgc_weakkeydict_set(void *wd, void *key, void *value)
{
    if (!_rgc_expect_type(wd, t_keydict, "rgc_weakkeydict_set") ||
        !check_arg(wd, key, "key", "rgc_weakkeydict_set") ||
        !check_arg(wd, value, "value", "rgc_weakkeydict_set"))
        return -1;
    rgc_weakdict_obj_t *w = wd;
    void *wr = rgc_weakref_new(key, key_died, w->selfref);
    if (!wr)
        return -1;
    /* Hashing wr hashes key and keeps the result in wr.  An equal key
     * already there keeps its own weakref; this one then just dies. */
    int r = rgc_dict_set(w->dict, wr, value);
    rgc_decref(wr);
    return r;
}

/* The value for key, borrowed; NULL when absent (not reported) or on a bad
 * argument (key not weak-referenceable: RGC_EINVAL) or failed comparison. */
void *rgc_weakkeydict_get(const void *wd, const void *key)
{
    uint64_t hash;
    if (!_rgc_expect_type(wd, t_keydict, "rgc_weakkeydict_get") ||
        weak_key_hash(wd, key, &hash, "rgc_weakkeydict_get") < 0)
        return NULL;
    rgc_weakref_obj_t probe;
    _rgc_weakref_probe(&probe, (rgc_object_t *)key, hash);
    rgc_dict_entry_t *e = NULL;
    size_t slot = 0;
    if (find_entry(((const rgc_weakdict_obj_t *)wd)->dict, &probe.ob_base, hash, &e, &slot) != 1)
        return NULL;
    return e->value;
}

/* Removes key.  0, or -1: RGC_EKEY when absent, RGC_EINVAL,
 * RGC_EUNHASHABLE, a failed comparison. */
int rgc_weakkeydict_del(void *wd, const void *key)
{
    uint64_t hash;
    if (!_rgc_expect_type(wd, t_keydict, "rgc_weakkeydict_del") ||
        weak_key_hash(wd, key, &hash, "rgc_weakkeydict_del") < 0)
        return -1;
    rgc_object_t *d = ((rgc_weakdict_obj_t *)wd)->dict;
    rgc_weakref_obj_t probe;
    _rgc_weakref_probe(&probe, (rgc_object_t *)key, hash);
    rgc_dict_entry_t *e = NULL;
    size_t slot = 0;
    int found = find_entry(d, &probe.ob_base, hash, &e, &slot);
    if (found < 0)
        return -1;
    if (!found) {
        _rgc_report(RGC_EKEY, wd, "weakref.WeakKeyDictionary",
                    "rgc_weakkeydict_del: key not in the dictionary");
        return -1;
    }
    remove_entry(d, e, slot);
    return 0;
}

size_t rgc_weakkeydict_len(const void *wd)
{
    if (!_rgc_expect_type(wd, t_keydict, "rgc_weakkeydict_len"))
        return 0;
    return rgc_dict_len(((const rgc_weakdict_obj_t *)wd)->dict);
}
