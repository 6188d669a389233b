/*
 * builtins.c — registration of the built-in types (once per process, in the
 * order builtins.h lists them) and the three protocols every object answers
 * whatever its type: rgc_hash, rgc_equal and rgc_repr; also the argument
 * type check the built-in types' functions share.  Each built-in type's
 * behaviour lives in its own file (see builtins.h).
 */
#include "builtins.h"

#include <stdio.h>

rgc_type_t *_rgc_t_int, *_rgc_t_float, *_rgc_t_str, *_rgc_t_bytes, *_rgc_t_tuple, *_rgc_t_list,
    *_rgc_t_dict, *_rgc_t_set, *_rgc_t_array;

static pthread_once_t builtins_once = PTHREAD_ONCE_INIT;

static void register_all(void)
{
    _rgc_register_int();
    _rgc_register_str();
    _rgc_register_tuple();
    _rgc_register_list();
    _rgc_register_dict();
    _rgc_register_set();
    _rgc_register_array();
    _rgc_register_weakref();
}

/* Registers every built-in type exactly once, whichever thread asks first.
 * A registration that fails leaves its _rgc_t_* global NULL for good; the
 * constructors of that type then fail with RGC_ENOMEM. */
void _rgc_builtins_init(void)
{
    pthread_once(&builtins_once, register_all);
}

/* The type of obj, or NULL (reported as RGC_EINVAL for fn) when its header
 * names no registered type: not an object, or a corrupted one. */
static rgc_type_t *type_or_report(const void *obj, const char *fn)
{
    rgc_type_t *t = _rgc_type_checked(((const rgc_object_t *)obj)->type_id);
    if (!t)
        _rgc_report(RGC_EINVAL, obj, NULL, "%s: not an object (type id %u)", fn,
                    ((const rgc_object_t *)obj)->type_id);
    return t;
}

/* ---- argument type checks */

/* The article for a type name in a message: "an int", "a str". */
static const char *article(const char *name)
{
    return name[0] && strchr("aeiouAEIOU", name[0]) ? "an" : "a";
}

bool _rgc_expect_type_failed(const void *obj, const rgc_type_t *type, const char *fn)
{
    const rgc_object_t *o = obj;
    if (o && type && o->type_id == type->id)
        return true;
    /* type is NULL only when its registration failed: nothing can be one. */
    const char *want = type ? type->name : "unregistered type";
    if (!o) {
        _rgc_report(RGC_EINVAL, NULL, NULL, "%s: NULL instead of %s %s", fn, article(want), want);
        return false;
    }
    rgc_type_t *t = _rgc_type_checked(o->type_id);
    const char *name = t ? t->name : "non-object";
    _rgc_report(RGC_EINVAL, obj, t ? t->name : NULL, "%s: %s %s, not %s %s", fn, article(name),
                name, article(want), want);
    return false;
}

/* ---- hashing */

/*
 * Hash hooks cannot return an error, yet a container is unhashable when one
 * of its items is.  Every failing rgc_hash therefore raises this flag, and
 * rgc_hash lowers it before running a hook and reads it afterwards: when a
 * hook asked rgc_hash for an item's hash and that failed, the container's
 * hash fails too, with the item's error already reported.
 */
static _Thread_local bool hash_failed;

/* The hash of an object without a hash hook: its address, rotated so that
 * the 16-byte alignment does not leave the low bits always zero. */
static uint64_t identity_hash(const void *obj)
{
    uint64_t a = (uint64_t)(uintptr_t)obj;
    return (a >> 4) | (a << 60);
}

/*
 * Stores obj's hash in *out and returns 0.  Returns -1 (and raises the
 * failure flag above) when obj or out is NULL or obj is no object
 * (RGC_EINVAL), when obj's type is RGC_TF_UNHASHABLE (RGC_EUNHASHABLE), or
 * when the type's hook hashed a part of obj that was unhashable.
 */
int rgc_hash(const void *obj, uint64_t *out)
{
    if (!obj || !out) {
        _rgc_report(RGC_EINVAL, obj, NULL, "rgc_hash: %s is NULL", obj ? "out" : "the object");
        hash_failed = true;
        return -1;
    }
    const rgc_object_t *o = obj;
    rgc_type_t *t = type_or_report(obj, "rgc_hash");
    if (!t) {
        hash_failed = true;
        return -1;
    }
    if (t->flags & RGC_TF_UNHASHABLE) {
        _rgc_report(RGC_EUNHASHABLE, obj, t->name, "rgc_hash: objects of type '%s' are unhashable",
                    t->name);
        hash_failed = true;
        return -1;
    }
    if (!t->spec.hash) {
        *out = identity_hash(obj);
        return 0;
    }
    bool outer_failed = hash_failed;
    hash_failed = false;
    uint64_t h = t->spec.hash(o);
    bool failed = hash_failed;
    hash_failed = outer_failed || failed;
    if (failed)
        return -1;
    *out = h;
    return 0;
}

/* ---- equality */

/*
 * 1 when a and b are equal, 0 when not, -1 on error (a NULL argument is
 * RGC_EINVAL, as is an a that is no object; a hook may fail too).  The
 * same object always equals itself; otherwise a's type decides through its
 * eq hook, and a type without one compares by identity.
 */
int rgc_equal(const void *a, const void *b)
{
    if (!a || !b) {
        _rgc_report(RGC_EINVAL, a ? a : b, NULL, "rgc_equal: an argument is NULL");
        return -1;
    }
    if (a == b)
        return 1;
    rgc_type_t *t = type_or_report(a, "rgc_equal");
    if (!t)
        return -1;
    if (!t->spec.eq)
        return 0;
    return t->spec.eq(a, b);
}

/* ---- repr */

/*
 * Writes a short description of obj into buf (always NUL-terminated when
 * size > 0): the type's repr hook, else "<TypeName object at 0x...>".  A
 * NULL obj is reported (RGC_EINVAL) and described as "<NULL>"; a NULL buf
 * with a non-zero size is reported and nothing is written.
 */
void rgc_repr(const void *obj, char *buf, size_t size)
{
    if (!buf || size == 0) {
        if (size != 0)
            _rgc_report(RGC_EINVAL, obj, NULL, "rgc_repr: buf is NULL");
        return;
    }
    if (!obj) {
        _rgc_report(RGC_EINVAL, NULL, NULL, "rgc_repr: the object is NULL");
        snprintf(buf, size, "<NULL>");
        return;
    }
    rgc_type_t *t = type_or_report(obj, "rgc_repr");
    buf[0] = '\0';
    if (!t) {
        snprintf(buf, size, "<not an object at %p>", obj);
        return;
    }
    if (t->spec.repr)
        t->spec.repr(obj, buf, size);
    else
        snprintf(buf, size, "<%s object at %p>", t->name, obj);
    buf[size - 1] = '\0';
}
