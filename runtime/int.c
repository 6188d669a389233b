/*
 * int.c — the int type (a boxed int64_t; each heap keeps the values -5..256
 * as immortal objects in heap->small_ints, created on first use) and the
 * float type (a boxed double).
 *
 * The two compare and hash across types as Python's numbers do: an int and
 * a float of the same value are equal and hash alike (1 == 1.0), so either
 * finds the other as a dict key.  A float is "the same value" as an int when
 * it is integral and inside the int64 range; every other float (fractions,
 * huge magnitudes, infinities, NaN) equals no int.
 */
#include "builtins.h"

#include <inttypes.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>

/* ---- numeric identity across int and float */

/* Spreads every bit of x over the whole word (a bijection, so distinct
 * ints never collide). */
static uint64_t scramble(uint64_t x)
{
    x ^= x >> 31;
    x *= 0x7fb5d329728ea185ull;
    x ^= x >> 27;
    x *= 0x81dadef4bc2dd44dull;
    x ^= x >> 33;
    return x;
}

/* True, with the value in *out, when f equals some int64_t exactly. */
static bool float_as_int(double f, int64_t *out)
{
    /* -2^63 is exact as a double and 2^63 is the first value outside; NaN
     * fails both comparisons. */
    if (!(f >= -9223372036854775808.0 && f < 9223372036854775808.0) || f != trunc(f))
        return false;
    *out = (int64_t)f;
    return true;
}

static uint64_t int_hash_value(int64_t v)
{
    return scramble((uint64_t)v);
}

static uint64_t float_hash_value(double f)
{
    int64_t i;
    if (float_as_int(f, &i))
        return int_hash_value(i); /* also folds -0.0 into 0 */
    uint64_t bits;
    memcpy(&bits, &f, sizeof bits);
    return scramble(bits ^ 0x5bd1e9955bd1e995ull);
}

/* ---- hooks */

static uint64_t int_hash(const rgc_object_t *o)
{
    return int_hash_value(((const rgc_int_obj_t *)o)->value);
}

static uint64_t float_hash(const rgc_object_t *o)
{
    return float_hash_value(((const rgc_float_obj_t *)o)->value);
}

static int int_eq(const rgc_object_t *a, const rgc_object_t *b)
{
    int64_t v = ((const rgc_int_obj_t *)a)->value, w;
    if (rgc_is(b, _rgc_t_int))
        return v == ((const rgc_int_obj_t *)b)->value;
    if (rgc_is(b, _rgc_t_float))
        return float_as_int(((const rgc_float_obj_t *)b)->value, &w) && v == w;
    return 0;
}

static int float_eq(const rgc_object_t *a, const rgc_object_t *b)
{
    double f = ((const rgc_float_obj_t *)a)->value;
    int64_t v;
    if (rgc_is(b, _rgc_t_float))
        return f == ((const rgc_float_obj_t *)b)->value;
    if (rgc_is(b, _rgc_t_int))
        return float_as_int(f, &v) && v == ((const rgc_int_obj_t *)b)->value;
    return 0;
}

static void int_repr(const rgc_object_t *o, char *buf, size_t size)
{
    snprintf(buf, size, "%" PRId64, ((const rgc_int_obj_t *)o)->value);
}

/*
 * Python's float repr: the fewest significant digits that read back as the
 * same double; positional between 1e-4 and 1e16 (always with a fractional
 * part, "2.0"), scientific outside ("1e+16", "1.5e-07").
 */
static void float_repr(const rgc_object_t *o, char *buf, size_t size)
{
    double v = ((const rgc_float_obj_t *)o)->value;
    if (isnan(v) || isinf(v)) {
        snprintf(buf, size, "%s", isnan(v) ? "nan" : v < 0 ? "-inf" : "inf");
        return;
    }
    char sci[32], out[64];
    int digits = 1;
    for (;; digits++) {
        snprintf(sci, sizeof sci, "%.*e", digits - 1, v);
        if (digits == 17 || strtod(sci, NULL) == v)
            break;
    }
    int exp10 = atoi(strchr(sci, 'e') + 1);
    if (exp10 < -4 || exp10 >= 16) {
        snprintf(buf, size, "%s", sci);
        return;
    }
    int decimals = digits - 1 - exp10;
    if (decimals > 0)
        snprintf(out, sizeof out, "%.*f", decimals, v);
    else
        snprintf(out, sizeof out, "%.0f.0", v);
    snprintf(buf, size, "%s", out);
}

/* ---- registration */

static const rgc_type_spec_t int_spec = {
    .name = "int",
    .basic_size = sizeof(rgc_int_obj_t),
    .flags = RGC_TF_BUILTIN,
    .hash = int_hash,
    .eq = int_eq,
    .repr = int_repr,
};

static const rgc_type_spec_t float_spec = {
    .name = "float",
    .basic_size = sizeof(rgc_float_obj_t),
    .flags = RGC_TF_BUILTIN,
    .hash = float_hash,
    .eq = float_eq,
    .repr = float_repr,
};

void _rgc_register_int(void)
{
    _rgc_t_int = _rgc_type_register(&int_spec);
    _rgc_t_float = _rgc_type_register(&float_spec);
}

rgc_type_t *rgc_int_type(void)
{
    _rgc_builtins_init();
    return _rgc_t_int;
}

rgc_type_t *rgc_float_type(void)
{
    _rgc_builtins_init();
    return _rgc_t_float;
}

/* ---- int */

/* The registered type, or NULL (reported) when heap is NULL or the type
 * could not be registered. */
static rgc_type_t *ready(rgc_heap_t *heap, rgc_type_t **type, const char *fn)
{
    if (!heap) {
        _rgc_report(RGC_EINVAL, NULL, NULL, "%s: heap is NULL", fn);
        return NULL;
    }
    _rgc_builtins_init();
    if (!*type)
        _rgc_report(RGC_ENOMEM, heap, NULL, "%s: the built-in types could not be registered", fn);
    return *type;
}

/*
 * A new reference to an int of the given value, or NULL (heap NULL:
 * RGC_EINVAL; no memory: RGC_ENOMEM).  Values in -5..256 always give the
 * heap's one immortal object for that value, made on first request.
 */
void *rgc_int_new(rgc_heap_t *heap, int64_t value)
{
    rgc_type_t *t = ready(heap, &_rgc_t_int, "rgc_int_new");
    if (!t)
        return NULL;
    bool small = value >= RGC_INT_CACHE_MIN && value <= RGC_INT_CACHE_MAX;
    rgc_object_t **slot = small ? &heap->small_ints[value - RGC_INT_CACHE_MIN] : NULL;
    if (slot && *slot)
        return *slot;
    rgc_int_obj_t *o = rgc_new(heap, t);
    if (!o)
        return NULL;
    o->value = value;
    if (slot) {
        o->ob_base.flags |= RGC_OF_IMMORTAL;
        o->ob_base.refcnt = RGC_REFCNT_IMMORTAL;
        *slot = &o->ob_base;
    }
    return o;
}

/* The value of an int; 0 (and RGC_EINVAL) when obj is NULL or no int. */
int64_t rgc_int_value(const void *obj)
{
    if (!_rgc_expect_type(obj, _rgc_t_int, "rgc_int_value"))
        return 0;
    return ((const rgc_int_obj_t *)obj)->value;
}

/* ---- float */

/* A new reference to a float, or NULL (heap NULL: RGC_EINVAL; no memory:
 * RGC_ENOMEM). */
void *rgc_float_new(rgc_heap_t *heap, double value)
{
    rgc_type_t *t = ready(heap, &_rgc_t_float, "rgc_float_new");
    if (!t)
        return NULL;
    rgc_float_obj_t *o = rgc_new(heap, t);
    if (o)
        o->value = value;
    return o;
}

/* The value of a float; 0.0 (and RGC_EINVAL) when obj is NULL or no float. */
double rgc_float_value(const void *obj)
{
    if (!_rgc_expect_type(obj, _rgc_t_float, "rgc_float_value"))
        return 0.0;
    return ((const rgc_float_obj_t *)obj)->value;
}
