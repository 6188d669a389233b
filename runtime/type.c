/*
 * type.c — the process-wide type table: registration from a spec (checked
 * and copied), lookup by id and by name.  Id 0 is never used, so a zeroed
 * header names no type.  Entries are written once, before ntypes is
 * published, so readers need no lock.
 */
#include "builtins.h"

#include <stdlib.h>

static char *dup_str(const char *s)
{
    size_t n = strlen(s) + 1;
    char *d = malloc(n);
    if (d)
        memcpy(d, s, n);
    return d;
}

rgc_type_t *_rgc_type_checked(uint32_t id)
{
    uint32_t n = __atomic_load_n(&_rgc_runtime.ntypes, __ATOMIC_ACQUIRE);
    if (id == 0 || id >= n)
        return NULL;
    return _rgc_runtime.types[id];
}

/* Checks that every offset of the layout lies inside the object.  Returns
 * NULL or a description of the first problem. */
static const char *check_spec(const rgc_type_spec_t *s)
{
    if (!s->name || !*s->name)
        return "type needs a name";
    if (s->basic_size < sizeof(rgc_object_t) || s->basic_size > (1u << 30))
        return "basic_size must hold the 16-byte header";
    if (s->flags & RGC_TF_VAR) {
        if (s->item_size == 0)
            return "a variable-size type needs item_size";
        if (s->nitems_offset < sizeof(rgc_object_t) || s->nitems_offset + sizeof(size_t) > s->basic_size)
            return "nitems_offset lies outside the fixed part";
    }
    if ((s->n_ref_fields && !s->ref_fields) || (s->n_ref_arrays && !s->ref_arrays))
        return "reference layout count without an array";
    for (size_t i = 0; i < s->n_ref_fields; i++) {
        uint32_t off = s->ref_fields[i].offset;
        if (off < sizeof(rgc_object_t) || off + sizeof(void *) > s->basic_size || off % sizeof(void *))
            return "a reference field lies outside the object or is misaligned";
    }
    for (size_t i = 0; i < s->n_ref_arrays; i++) {
        const rgc_ref_array_t *a = &s->ref_arrays[i];
        uint32_t stride = a->stride ? a->stride : (uint32_t)sizeof(void *);
        if (a->ptr_offset == RGC_REFS_INLINE) {
            if (!(s->flags & RGC_TF_VAR) || s->item_size != stride)
                return "inline references need a variable-size type whose item is one element";
        } else if (a->ptr_offset < sizeof(rgc_object_t) || a->ptr_offset + sizeof(void *) > s->basic_size) {
            return "a reference array pointer lies outside the object";
        }
        if (a->len_offset < sizeof(rgc_object_t) || a->len_offset + sizeof(size_t) > s->basic_size)
            return "a reference array length lies outside the object";
        if (a->ref_offset + sizeof(void *) > stride || stride % sizeof(void *) || a->ref_offset % sizeof(void *))
            return "a reference array element is misaligned or too small";
    }
    return NULL;
}

static int same_spec(const rgc_type_t *t, const rgc_type_spec_t *s)
{
    if (t->basic_size != s->basic_size || t->item_size != s->item_size ||
        t->nitems_offset != s->nitems_offset || t->n_ref_fields != s->n_ref_fields ||
        t->n_ref_arrays != s->n_ref_arrays || (t->flags & ~(uint32_t)RGC_TF_BUILTIN) != (s->flags & ~(uint32_t)RGC_TF_BUILTIN) ||
        t->spec.traverse != s->traverse || t->spec.finalize != s->finalize || t->spec.dealloc != s->dealloc)
        return 0;
    for (size_t i = 0; i < s->n_ref_fields; i++)
        if (t->ref_fields[i].offset != s->ref_fields[i].offset)
            return 0;
    for (size_t i = 0; i < s->n_ref_arrays; i++) {
        const rgc_ref_array_t *a = &t->ref_arrays[i], *b = &s->ref_arrays[i];
        uint32_t bstride = b->stride ? b->stride : (uint32_t)sizeof(void *);
        if (a->ptr_offset != b->ptr_offset || a->len_offset != b->len_offset || a->stride != bstride ||
            a->ref_offset != b->ref_offset)
            return 0;
    }
    return 1;
}

static rgc_type_t *find_by_name(const char *name)
{
    uint32_t n = __atomic_load_n(&_rgc_runtime.ntypes, __ATOMIC_ACQUIRE);
    for (uint32_t id = n; id-- > 1;) {
        rgc_type_t *t = _rgc_runtime.types[id];
        if (strcmp(t->name, name) == 0)
            return t;
    }
    return NULL;
}

static void free_type(rgc_type_t *t)
{
    if (!t)
        return;
    for (uint32_t i = 0; t->ref_fields && i < t->n_ref_fields; i++)
        free((char *)t->ref_fields[i].name);
    for (uint32_t i = 0; t->ref_arrays && i < t->n_ref_arrays; i++)
        free((char *)t->ref_arrays[i].name);
    free(t->ref_fields);
    free(t->ref_offsets);
    free(t->ref_arrays);
    free(t->name);
    free(t);
}

/* Copies the spec, names included.  NULL without memory. */
static rgc_type_t *copy_spec(const rgc_type_spec_t *s)
{
    rgc_type_t *t = calloc(1, sizeof *t);
    if (!t)
        return NULL;
    t->spec = *s;
    t->name = dup_str(s->name);
    t->flags = s->flags;
    t->basic_size = s->basic_size;
    t->item_size = s->item_size;
    t->nitems_offset = s->nitems_offset;
    t->n_ref_fields = (uint32_t)s->n_ref_fields;
    t->n_ref_arrays = (uint32_t)s->n_ref_arrays;
    int ok = t->name != NULL;
    if (ok && s->n_ref_fields) {
        t->ref_fields = calloc(s->n_ref_fields, sizeof *t->ref_fields);
        t->ref_offsets = calloc(s->n_ref_fields, sizeof *t->ref_offsets);
        ok = t->ref_fields != NULL && t->ref_offsets != NULL;
        for (size_t i = 0; ok && i < s->n_ref_fields; i++) {
            t->ref_fields[i].offset = s->ref_fields[i].offset;
            t->ref_offsets[i] = s->ref_fields[i].offset;
            t->ref_fields[i].name = dup_str(s->ref_fields[i].name ? s->ref_fields[i].name : "?");
            ok = t->ref_fields[i].name != NULL;
        }
    }
    if (ok && s->n_ref_arrays) {
        t->ref_arrays = calloc(s->n_ref_arrays, sizeof *t->ref_arrays);
        ok = t->ref_arrays != NULL;
        for (size_t i = 0; ok && i < s->n_ref_arrays; i++) {
            t->ref_arrays[i] = s->ref_arrays[i];
            if (!t->ref_arrays[i].stride)
                t->ref_arrays[i].stride = sizeof(void *);
            t->ref_arrays[i].name = dup_str(s->ref_arrays[i].name ? s->ref_arrays[i].name : "?");
            ok = t->ref_arrays[i].name != NULL;
        }
    }
    if (!ok) {
        free_type(t);
        return NULL;
    }
    t->spec.name = t->name;
    t->spec.ref_fields = t->ref_fields;
    t->spec.ref_arrays = t->ref_arrays;
    t->is_gc = (s->n_ref_fields || s->n_ref_arrays || s->traverse) && !(s->flags & RGC_TF_NO_GC);
    return t;
}

/* Registers a type; the built-in types come through here directly while
 * they are being set up. */
rgc_type_t *_rgc_type_register(const rgc_type_spec_t *spec)
{
    if (!spec) {
        _rgc_report(RGC_EINVAL, NULL, NULL, "rgc_type_register: NULL spec");
        return NULL;
    }
    const char *why = check_spec(spec);
    if (why) {
        _rgc_report(RGC_EINVAL, spec, spec->name, "rgc_type_register: %s", why);
        return NULL;
    }
    pthread_mutex_lock(&_rgc_runtime.lock);
    rgc_type_t *t = find_by_name(spec->name);
    if (t) {
        int same = same_spec(t, spec);
        pthread_mutex_unlock(&_rgc_runtime.lock);
        if (same)
            return t;
        _rgc_report(RGC_EINVAL, spec, spec->name,
                    "rgc_type_register: name already registered with another layout");
        return NULL;
    }
    uint32_t id = _rgc_runtime.ntypes ? _rgc_runtime.ntypes : 1;
    if (id >= RGC_MAX_TYPES) {
        pthread_mutex_unlock(&_rgc_runtime.lock);
        _rgc_report(RGC_EINVAL, spec, spec->name, "rgc_type_register: type table full (%u types)",
                    RGC_MAX_TYPES);
        return NULL;
    }
    t = copy_spec(spec);
    if (!t) {
        pthread_mutex_unlock(&_rgc_runtime.lock);
        _rgc_report(RGC_ENOMEM, spec, spec->name, "rgc_type_register: out of memory");
        return NULL;
    }
    t->id = id;
    t->hdr0 = 1u | ((uint64_t)id << 32); /* refcnt 1, type id */
    /* Objects take at least a 32-byte block: a header and one chunk. */
    t->szidx = (t->flags & RGC_TF_VAR) || t->basic_size > RGC_SMALL_MAX
                   ? RGC_NCLASSES
                   : (uint32_t)_rgc_size_class(t->basic_size < 32 ? 32 : t->basic_size);
    t->nwords = (uint32_t)((t->basic_size + 7) / 8);
    t->plain = !t->n_ref_fields && !t->n_ref_arrays && !t->spec.traverse && !t->spec.finalize &&
               !t->spec.dealloc;
    t->hdr1 = t->plain ? 0 : RGC_OF_TEARDOWN;
    t->new_class = t->szidx >= RGC_NCLASSES ? RGC_NEW_SLOW
                   : t->is_gc               ? t->szidx + RGC_NEW_TRACKED
                                            : t->szidx;
    t->fields_only = !t->n_ref_arrays && !t->spec.traverse && !t->spec.finalize && !t->spec.dealloc;
    t->fields_destroy = t->fields_only && t->n_ref_fields <= 64;
    t->destroy = _rgc_destroy_for(t);
    _rgc_runtime.types[id] = t;
    __atomic_store_n(&_rgc_runtime.ntypes, id + 1, __ATOMIC_RELEASE);
    pthread_mutex_unlock(&_rgc_runtime.lock);
    return t;
}

/* The built-in types are registered first, so no user type can take
 * their names. */
rgc_type_t *rgc_type_register(const rgc_type_spec_t *spec)
{
    _rgc_builtins_init();
    return _rgc_type_register(spec);
}

rgc_type_t *rgc_type_by_name(const char *name)
{
    if (!name)
        return NULL;
    pthread_mutex_lock(&_rgc_runtime.lock);
    rgc_type_t *t = find_by_name(name);
    pthread_mutex_unlock(&_rgc_runtime.lock);
    return t;
}

rgc_type_t *rgc_type_by_id(uint32_t id)
{
    return _rgc_type_checked(id);
}

uint32_t rgc_type_count(void)
{
    uint32_t n = __atomic_load_n(&_rgc_runtime.ntypes, __ATOMIC_ACQUIRE);
    return n ? n - 1 : 0;
}

uint32_t rgc_type_id(const rgc_type_t *t)
{
    return t ? t->id : 0;
}

const char *rgc_type_name(const rgc_type_t *t)
{
    return t ? t->name : NULL;
}

size_t rgc_type_basic_size(const rgc_type_t *t)
{
    return t ? t->basic_size : 0;
}

bool rgc_type_is_gc(const rgc_type_t *t)
{
    return t && t->is_gc;
}

rgc_type_t *rgc_typeof(const void *obj)
{
    return obj ? _rgc_type_checked(((const rgc_object_t *)obj)->type_id) : NULL;
}

bool rgc_is(const void *obj, const rgc_type_t *type)
{
    return obj && type && ((const rgc_object_t *)obj)->type_id == type->id;
}
