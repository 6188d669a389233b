/*
 * instance.c — classes whose instances keep their attributes in a dict,
 * like a Python class without __slots__.
 *
 * Owns: rgc_class_register, rgc_instance_new and the attribute functions.
 * An instance is a header and one reference, `__dict__`, to a dict created
 * at the first rgc_attr_set; attribute names are the heap's interned
 * strings.  The dict is an object of its own, so rgc_sizeof(instance) does
 * not count it (as sys.getsizeof does not count __dict__).  Fixed-layout
 * objects, the __slots__ analogue, are plain rgc_type_register types.
 *
 * A type is a class when its repr hook is instance_repr: only
 * rgc_class_register installs it, which makes it a cheap, unforgeable mark.
 */
#include "builtins.h"

#include <stdio.h>

static const char *type_name_of(const void *obj)
{
    rgc_type_t *t = obj ? rgc_typeof(obj) : NULL;
    return t ? rgc_type_name(t) : NULL;
}

static void instance_repr(const rgc_object_t *o, char *buf, size_t size)
{
    const rgc_instance_obj_t *inst = (const rgc_instance_obj_t *)o;
    size_t n = inst->dict ? rgc_dict_len(inst->dict) : 0;
    snprintf(buf, size, "%s instance (%zu attribute%s)", _rgc_type(o)->name, n, n == 1 ? "" : "s");
}

static bool is_class(const rgc_type_t *t)
{
    return t && t->spec.repr == instance_repr;
}

/* True when obj is an instance of a class; otherwise reports RGC_EINVAL on
 * behalf of fn. */
static bool check_instance(const void *obj, const char *fn)
{
    if (RGC_LIKELY(obj && is_class(rgc_typeof(obj))))
        return true;
    _rgc_report(RGC_EINVAL, obj, type_name_of(obj), "%s: %s", fn,
                obj ? "not an instance of a class made by rgc_class_register" : "NULL object");
    return false;
}

/*
 * Registers the class `name` (or returns it when it already exists).  NULL
 * on a NULL or empty name, or when `name` is taken by a type that is not
 * such a class (RGC_EINVAL).
 */
rgc_type_t *rgc_class_register(const char *name)
{
    /* The built-in types first, so that a class cannot take one's name. */
    _rgc_builtins_init();
    if (!name || !*name) {
        _rgc_report(RGC_EINVAL, name, NULL, "rgc_class_register: %s class name",
                    name ? "empty" : "NULL");
        return NULL;
    }
    static const rgc_ref_field_t fields[] = {
        {"__dict__", offsetof(rgc_instance_obj_t, dict)},
    };
    rgc_type_spec_t spec = {
        .name = name,
        .basic_size = sizeof(rgc_instance_obj_t),
        .flags = RGC_TF_WEAKREFABLE,
        .ref_fields = fields,
        .n_ref_fields = 1,
        .repr = instance_repr,
    };
    return rgc_type_register(&spec);
}

/* A new instance of cls with no attributes.  New reference, or NULL
 * (RGC_EINVAL when cls is not a class, RGC_ENOMEM). */
void *rgc_instance_new(rgc_heap_t *heap, rgc_type_t *cls)
{
    if (!is_class(cls)) {
        _rgc_report(RGC_EINVAL, cls, cls ? rgc_type_name(cls) : NULL,
                    "rgc_instance_new: not a class made by rgc_class_register");
        return NULL;
    }
    return rgc_new(heap, cls);
}

/* Sets attribute name to value (incref; the value it replaces is dropped),
 * creating the instance's dict on first use.  0, or -1 (RGC_EINVAL,
 * RGC_ENOMEM: the instance unchanged). */
int rgc_attr_set(void *obj, const char *name, void *value)
{
    if (!check_instance(obj, "rgc_attr_set"))
        return -1;
    if (!name || !value) {
        _rgc_report(RGC_EINVAL, obj, type_name_of(obj), "rgc_attr_set: NULL %s",
                    name ? "value" : "name");
        return -1;
    }
    rgc_instance_obj_t *inst = obj;
    rgc_object_t *created = NULL;
    if (!inst->dict) {
        created = rgc_dict_new(rgc_heap_of(obj));
        if (!created)
            return -1;
        inst->dict = created;
    }
    if (rgc_dict_set_str(inst->dict, name, value) < 0) {
        if (created) {
            inst->dict = NULL;
            rgc_decref(created);
        }
        return -1;
    }
    return 0;
}

/* The value of attribute name, borrowed.  A missing attribute is NULL
 * without a report (like getattr with a default), so probing is cheap and
 * quiet; a bad argument is NULL with RGC_EINVAL. */
void *rgc_attr_get(const void *obj, const char *name)
{
    if (!check_instance(obj, "rgc_attr_get"))
        return NULL;
    if (!name) {
        _rgc_report(RGC_EINVAL, obj, type_name_of(obj), "rgc_attr_get: NULL name");
        return NULL;
    }
    const rgc_instance_obj_t *inst = obj;
    return inst->dict ? rgc_dict_get_str(inst->dict, name) : NULL;
}

/* The instance's attribute dict, borrowed; NULL before the first
 * rgc_attr_set (or after a reported bad argument). */
void *rgc_instance_dict(const void *obj)
{
    if (!check_instance(obj, "rgc_instance_dict"))
        return NULL;
    return ((const rgc_instance_obj_t *)obj)->dict;
}
