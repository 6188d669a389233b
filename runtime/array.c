/*
 * array.c — the built-in array: numbers of one kind stored unboxed.
 *
 * Owns: the array type (layout in builtins.h), the element kinds and their
 * ranges, and rgc_array_*.  The elements live in one raw block of the
 * array's heap, itemsize bytes each; an array holds no references, so the
 * collector never tracks it.  Growth follows the list's policy: room for
 * need + need/8 + (3 or 6) elements.
 *
 * Conversions: an integer may be appended to any kind (it must fit an
 * integer kind exactly; a float kind stores the nearest value); a float may
 * be appended only to a float kind.  rgc_array_get_float reads any kind;
 * rgc_array_get_int reads integer kinds only.
 */
#include "builtins.h"

#include <stdio.h>

#define NKINDS (RGC_ARRAY_F64 + 1)

typedef struct kind_info {
    const char *name; /* for repr and reports */
    uint32_t itemsize; /* bytes per element */
    bool is_float;
    int64_t min, max; /* accepted by rgc_array_append_int (integer kinds) */
} kind_info_t;

static const kind_info_t kinds[NKINDS] = {
    [RGC_ARRAY_I8] = {"i8", 1, false, INT8_MIN, INT8_MAX},
    [RGC_ARRAY_U8] = {"u8", 1, false, 0, UINT8_MAX},
    [RGC_ARRAY_I16] = {"i16", 2, false, INT16_MIN, INT16_MAX},
    [RGC_ARRAY_U16] = {"u16", 2, false, 0, UINT16_MAX},
    [RGC_ARRAY_I32] = {"i32", 4, false, INT32_MIN, INT32_MAX},
    [RGC_ARRAY_U32] = {"u32", 4, false, 0, UINT32_MAX},
    [RGC_ARRAY_I64] = {"i64", 8, false, INT64_MIN, INT64_MAX},
    [RGC_ARRAY_U64] = {"u64", 8, false, 0, INT64_MAX}, /* an int64_t can carry no more */
    [RGC_ARRAY_F32] = {"f32", 4, true, INT64_MIN, INT64_MAX},
    [RGC_ARRAY_F64] = {"f64", 8, true, INT64_MIN, INT64_MAX},
};

/* The array check, plus a valid index i and a non-NULL out. */
static bool check_read(const void *a, size_t i, const void *out, const char *fn)
{
    if (!_rgc_expect_type(a, _rgc_t_array, fn))
        return false;
    const rgc_array_obj_t *arr = a;
    if (RGC_UNLIKELY(!out)) {
        _rgc_report(RGC_EINVAL, a, "array", "%s: NULL out", fn);
        return false;
    }
    if (RGC_UNLIKELY(i >= arr->len)) {
        _rgc_report(RGC_EKEY, a, "array", "%s: index %zu out of range (length %zu)", fn, i,
                    arr->len);
        return false;
    }
    return true;
}

static size_t grown_cap(size_t need)
{
    return need + (need >> 3) + (need < 9 ? 3u : 6u);
}

/* Replaces the data block by one of exactly cap elements.  0, or -1 with
 * the array unchanged (reported). */
static int resize(rgc_array_obj_t *a, size_t cap)
{
    if (cap > SIZE_MAX / 2 / a->itemsize) {
        _rgc_report(RGC_ENOMEM, a, "array", "an array of %zu %s elements is too large", cap,
                    kinds[a->kind].name);
        return -1;
    }
    void *data = rgc_mem_realloc(rgc_heap_of(a), a->data, cap * a->itemsize);
    if (!data)
        return -1;
    a->data = data;
    a->cap = cap;
    return 0;
}

/* The address of a new last element (len already counts it), or NULL with
 * the array unchanged. */
static void *push(rgc_array_obj_t *a)
{
    if (a->len == a->cap && resize(a, grown_cap(a->len + 1)) < 0)
        return NULL;
    return (char *)a->data + a->len++ * a->itemsize;
}

/* ---- type hooks */

static void array_dealloc(rgc_object_t *o)
{
    rgc_array_obj_t *a = (rgc_array_obj_t *)o;
    rgc_mem_free(rgc_heap_of(o), a->data);
    a->data = NULL;
    a->len = a->cap = 0;
}

static size_t array_extra_size(const rgc_object_t *o)
{
    const rgc_array_obj_t *a = (const rgc_array_obj_t *)o;
    return a->data ? rgc_mem_usable_size(rgc_heap_of(o), a->data) : 0;
}

static void array_repr(const rgc_object_t *o, char *buf, size_t size)
{
    const rgc_array_obj_t *a = (const rgc_array_obj_t *)o;
    snprintf(buf, size, "array %s[%zu]", a->kind < NKINDS ? kinds[a->kind].name : "?", a->len);
}

void _rgc_register_array(void)
{
    rgc_type_spec_t spec = {
        .name = "array",
        .basic_size = sizeof(rgc_array_obj_t),
        .flags = RGC_TF_UNHASHABLE,
        .dealloc = array_dealloc,
        .extra_size = array_extra_size,
        .repr = array_repr,
    };
    _rgc_t_array = _rgc_type_register(&spec);
}

/* ---- public API */

rgc_type_t *rgc_array_type(void)
{
    _rgc_builtins_init();
    return _rgc_t_array;
}

/* A new empty array of kind with room for capacity elements.  New
 * reference, or NULL (RGC_EINVAL for an unknown kind, RGC_ENOMEM). */
void *rgc_array_new(rgc_heap_t *heap, rgc_array_kind_t kind, size_t capacity)
{
    _rgc_builtins_init();
    if ((unsigned)kind >= NKINDS) {
        _rgc_report(RGC_EINVAL, heap, "array", "rgc_array_new: unknown kind %d", (int)kind);
        return NULL;
    }
    rgc_array_obj_t *a = rgc_new(heap, _rgc_t_array);
    if (!a)
        return NULL;
    a->kind = (uint32_t)kind;
    a->itemsize = kinds[kind].itemsize;
    if (capacity && resize(a, capacity) < 0) {
        rgc_decref(a);
        return NULL;
    }
    return a;
}

size_t rgc_array_len(const void *a)
{
    if (!_rgc_expect_type(a, _rgc_t_array, "rgc_array_len"))
        return 0;
    return ((const rgc_array_obj_t *)a)->len;
}

/* The kind of a (RGC_ARRAY_I8 after a reported bad argument). */
rgc_array_kind_t rgc_array_kind(const void *a)
{
    if (!_rgc_expect_type(a, _rgc_t_array, "rgc_array_kind"))
        return RGC_ARRAY_I8;
    return (rgc_array_kind_t)((const rgc_array_obj_t *)a)->kind;
}

/* Bytes per element (0 after a reported bad argument). */
size_t rgc_array_itemsize(const void *a)
{
    if (!_rgc_expect_type(a, _rgc_t_array, "rgc_array_itemsize"))
        return 0;
    return ((const rgc_array_obj_t *)a)->itemsize;
}

/* Appends v.  0, or -1: RGC_EINVAL (not an array, or v outside an integer
 * kind's range), RGC_ENOMEM (array unchanged). */
int rgc_array_append_int(void *ap, int64_t v)
{
    if (!_rgc_expect_type(ap, _rgc_t_array, "rgc_array_append_int"))
        return -1;
    rgc_array_obj_t *a = ap;
    const kind_info_t *k = &kinds[a->kind];
    if (v < k->min || v > k->max) {
        _rgc_report(RGC_EINVAL, a, "array",
                    "rgc_array_append_int: %lld does not fit an array of %s",
                    (long long)v, k->name);
        return -1;
    }
    void *p = push(a);
    if (!p)
        return -1;
    switch ((rgc_array_kind_t)a->kind) {
    case RGC_ARRAY_I8: *(int8_t *)p = (int8_t)v; break;
    case RGC_ARRAY_U8: *(uint8_t *)p = (uint8_t)v; break;
    case RGC_ARRAY_I16: *(int16_t *)p = (int16_t)v; break;
    case RGC_ARRAY_U16: *(uint16_t *)p = (uint16_t)v; break;
    case RGC_ARRAY_I32: *(int32_t *)p = (int32_t)v; break;
    case RGC_ARRAY_U32: *(uint32_t *)p = (uint32_t)v; break;
    case RGC_ARRAY_I64: *(int64_t *)p = v; break;
    case RGC_ARRAY_U64: *(uint64_t *)p = (uint64_t)v; break;
    case RGC_ARRAY_F32: *(float *)p = (float)v; break;
    case RGC_ARRAY_F64: *(double *)p = (double)v; break;
    }
    return 0;
}

/* Appends v to a float array.  0, or -1: RGC_EINVAL (not an array, or an
 * integer kind), RGC_ENOMEM (array unchanged). */
int rgc_array_append_float(void *ap, double v)
{
    if (!_rgc_expect_type(ap, _rgc_t_array, "rgc_array_append_float"))
        return -1;
    rgc_array_obj_t *a = ap;
    if (!kinds[a->kind].is_float) {
        _rgc_report(RGC_EINVAL, a, "array",
                    "rgc_array_append_float: a float into an array of %s", kinds[a->kind].name);
        return -1;
    }
    void *p = push(a);
    if (!p)
        return -1;
    if (a->kind == RGC_ARRAY_F32)
        *(float *)p = (float)v;
    else
        *(double *)p = v;
    return 0;
}

/* Element i of an integer array into *out.  0, or -1: RGC_EINVAL (bad
 * argument or a float kind), RGC_EKEY (i out of range). */
int rgc_array_get_int(const void *ap, size_t i, int64_t *out)
{
    if (!check_read(ap, i, out, "rgc_array_get_int"))
        return -1;
    const rgc_array_obj_t *a = ap;
    const void *p = (const char *)a->data + i * a->itemsize;
    switch ((rgc_array_kind_t)a->kind) {
    case RGC_ARRAY_I8: *out = *(const int8_t *)p; return 0;
    case RGC_ARRAY_U8: *out = *(const uint8_t *)p; return 0;
    case RGC_ARRAY_I16: *out = *(const int16_t *)p; return 0;
    case RGC_ARRAY_U16: *out = *(const uint16_t *)p; return 0;
    case RGC_ARRAY_I32: *out = *(const int32_t *)p; return 0;
    case RGC_ARRAY_U32: *out = *(const uint32_t *)p; return 0;
    case RGC_ARRAY_I64: *out = *(const int64_t *)p; return 0;
    case RGC_ARRAY_U64: *out = (int64_t)*(const uint64_t *)p; return 0; /* stored <= INT64_MAX */
    case RGC_ARRAY_F32:
    case RGC_ARRAY_F64: break;
    }
    _rgc_report(RGC_EINVAL, a, "array", "rgc_array_get_int: an array of %s holds floats",
                kinds[a->kind].name);
    return -1;
}

/* Element i of any array, converted to double, into *out.  0, or -1
 * (RGC_EINVAL, RGC_EKEY). */
int rgc_array_get_float(const void *ap, size_t i, double *out)
{
    if (!check_read(ap, i, out, "rgc_array_get_float"))
        return -1;
    const rgc_array_obj_t *a = ap;
    const void *p = (const char *)a->data + i * a->itemsize;
    switch ((rgc_array_kind_t)a->kind) {
    case RGC_ARRAY_I8: *out = *(const int8_t *)p; break;
    case RGC_ARRAY_U8: *out = *(const uint8_t *)p; break;
    case RGC_ARRAY_I16: *out = *(const int16_t *)p; break;
    case RGC_ARRAY_U16: *out = *(const uint16_t *)p; break;
    case RGC_ARRAY_I32: *out = *(const int32_t *)p; break;
    case RGC_ARRAY_U32: *out = *(const uint32_t *)p; break;
    case RGC_ARRAY_I64: *out = (double)*(const int64_t *)p; break;
    case RGC_ARRAY_U64: *out = (double)*(const uint64_t *)p; break;
    case RGC_ARRAY_F32: *out = *(const float *)p; break;
    case RGC_ARRAY_F64: *out = *(const double *)p; break;
    }
    return 0;
}
