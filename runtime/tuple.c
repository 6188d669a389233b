/*
 * tuple.c — the tuple type: a fixed number of references stored inline
 * after the header (one ref array, RGC_REFS_INLINE, counted by `len`), so
 * the collector and the debugger follow its items from the layout alone and
 * the runtime drops them when the tuple dies.
 *
 * A tuple is filled once, while its creator holds the only reference
 * (rgc_tuple_set refuses a shared tuple, so a tuple already used as a dict
 * key cannot change its hash); after that it is a value: it hashes from its
 * items and equals another tuple with equal items in the same order.
 */
#include "builtins.h"

#include <stdarg.h>
#include <stdio.h>

/* ---- hooks */

/*
 * Combines the item hashes in order (each step a bijection of the state for
 * a fixed item hash, so tuples differing in one item differ in hash).  An
 * unhashable item makes the whole tuple unhashable: rgc_hash reported it
 * and, having seen the failure, makes our caller's rgc_hash fail as well.
 * A slot not filled yet hashes as a fixed value.
 */
static uint64_t tuple_hash(const rgc_object_t *o)
{
    const rgc_tuple_obj_t *t = (const rgc_tuple_obj_t *)o;
    uint64_t h = 0x452821e638d01377ull ^ (uint64_t)t->len;
    for (size_t i = 0; i < t->len; i++) {
        uint64_t item = 0x13198a2e03707344ull;
        if (t->items[i] && rgc_hash(t->items[i], &item) != 0)
            return 0;
        h = (h ^ item) * 0x9fb21c651e98df25ull;
        h = (h << 27) | (h >> 37);
    }
    h ^= h >> 31;
    h *= 0xd6e8feb86659fd93ull;
    h ^= h >> 32;
    return h;
}

/* Item-wise rgc_equal; -1 when comparing a pair of items fails. */
static int tuple_eq(const rgc_object_t *a, const rgc_object_t *b)
{
    if (a == b)
        return 1;
    if (!rgc_is(b, _rgc_t_tuple))
        return 0;
    const rgc_tuple_obj_t *x = (const rgc_tuple_obj_t *)a, *y = (const rgc_tuple_obj_t *)b;
    if (x->len != y->len)
        return 0;
    for (size_t i = 0; i < x->len; i++) {
        if (x->items[i] == y->items[i])
            continue;
        if (!x->items[i] || !y->items[i])
            return 0;
        int r = rgc_equal(x->items[i], y->items[i]);
        if (r != 1)
            return r;
    }
    return 1;
}

/* Appends s to buf[*pos..]; false when it did not fit whole. */
static bool append(char *buf, size_t size, size_t *pos, const char *s)
{
    size_t n = strlen(s);
    bool whole = *pos + n < size;
    if (!whole)
        n = *pos + 1 < size ? size - 1 - *pos : 0;
    memcpy(buf + *pos, s, n);
    *pos += n;
    buf[*pos] = '\0';
    return whole;
}

/* "(1, 'a')", "(1,)", "()"; items by rgc_repr.  When it does not fit, the
 * end of buf reads "...)". */
static void tuple_repr(const rgc_object_t *o, char *buf, size_t size)
{
    const rgc_tuple_obj_t *t = (const rgc_tuple_obj_t *)o;
    size_t pos = 0;
    bool cut = !append(buf, size, &pos, "(");
    for (size_t i = 0; i < t->len && !cut; i++) {
        if (i > 0 && !append(buf, size, &pos, ", ")) {
            cut = true;
            break;
        }
        if (t->items[i])
            rgc_repr(t->items[i], buf + pos, size - pos);
        else
            append(buf, size, &pos, "NULL");
        pos += strlen(buf + pos);
        cut = pos + 1 >= size; /* full, and ")" is still to come */
    }
    if (!cut && t->len == 1)
        cut = !append(buf, size, &pos, ",");
    if (!cut)
        cut = !append(buf, size, &pos, ")");
    if (cut && size >= 5) {
        size_t p = pos < size - 5 ? pos : size - 5;
        while (p > 0 && ((uint8_t)buf[p] & 0xC0) == 0x80)
            p--; /* do not split a UTF-8 character */
        memcpy(buf + p, "...)", 5);
    }
}

/* ---- registration */

static const rgc_ref_array_t tuple_refs[] = {
    {
        .name = "items",
        .ptr_offset = RGC_REFS_INLINE,
        .len_offset = offsetof(rgc_tuple_obj_t, len),
        .stride = sizeof(rgc_object_t *),
        .ref_offset = 0,
    },
};

static const rgc_type_spec_t tuple_spec = {
    .name = "tuple",
    .basic_size = offsetof(rgc_tuple_obj_t, items),
    .item_size = sizeof(rgc_object_t *),
    .nitems_offset = offsetof(rgc_tuple_obj_t, len),
    .flags = RGC_TF_VAR | RGC_TF_BUILTIN,
    .ref_arrays = tuple_refs,
    .n_ref_arrays = 1,
    .hash = tuple_hash,
    .eq = tuple_eq,
    .repr = tuple_repr,
};

void _rgc_register_tuple(void)
{
    _rgc_t_tuple = _rgc_type_register(&tuple_spec);
}

rgc_type_t *rgc_tuple_type(void)
{
    _rgc_builtins_init();
    return _rgc_t_tuple;
}

/* ---- API */

/* A new tuple of n items, all NULL until rgc_tuple_set fills them.  NULL
 * when heap is NULL (RGC_EINVAL) or without memory (RGC_ENOMEM). */
void *rgc_tuple_new(rgc_heap_t *heap, size_t n)
{
    if (!heap) {
        _rgc_report(RGC_EINVAL, NULL, NULL, "rgc_tuple_new: heap is NULL");
        return NULL;
    }
    _rgc_builtins_init();
    if (!_rgc_t_tuple) {
        _rgc_report(RGC_ENOMEM, heap, NULL,
                    "rgc_tuple_new: the built-in types could not be registered");
        return NULL;
    }
    if (n > (SIZE_MAX / 2) / sizeof(rgc_object_t *)) {
        _rgc_report(RGC_ENOMEM, heap, NULL, "rgc_tuple_new: %zu items is too many", n);
        return NULL;
    }
    return rgc_new_var(heap, _rgc_t_tuple, n);
}

/*
 * A new tuple of the n object pointers that follow, each increfed.  NULL
 * when an item is NULL (RGC_EINVAL; nothing is kept) or without memory.
 */
void *rgc_tuple_pack(rgc_heap_t *heap, size_t n, ...)
{
    rgc_tuple_obj_t *t = rgc_tuple_new(heap, n);
    if (!t)
        return NULL;
    va_list ap;
    va_start(ap, n);
    for (size_t i = 0; i < n; i++) {
        rgc_object_t *item = va_arg(ap, rgc_object_t *);
        if (!item) {
            va_end(ap);
            _rgc_report(RGC_EINVAL, t, "tuple", "rgc_tuple_pack: item %zu of %zu is NULL", i, n);
            rgc_decref(t); /* drops the items taken so far */
            return NULL;
        }
        rgc_incref(item);
        t->items[i] = item;
    }
    va_end(ap);
    return t;
}

/* The number of items; 0 (and RGC_EINVAL) if t is no tuple. */
size_t rgc_tuple_len(const void *t)
{
    if (!_rgc_expect_type(t, _rgc_t_tuple, "rgc_tuple_len"))
        return 0;
    return ((const rgc_tuple_obj_t *)t)->len;
}

/* Item i, borrowed (NULL for a slot not filled yet).  NULL with RGC_EINVAL
 * if t is no tuple, RGC_EKEY if i is out of range. */
void *rgc_tuple_get(const void *t, size_t i)
{
    if (!_rgc_expect_type(t, _rgc_t_tuple, "rgc_tuple_get"))
        return NULL;
    const rgc_tuple_obj_t *tp = t;
    if (i >= tp->len) {
        _rgc_report(RGC_EKEY, t, "tuple", "rgc_tuple_get: index %zu out of range (len %zu)", i,
                    tp->len);
        return NULL;
    }
    return tp->items[i];
}

/*
 * Stores item (NULL allowed) at i, stealing the caller's reference, and
 * drops the item that was there.  Only for filling a tuple its caller holds
 * the sole reference to.  Returns 0, or -1 — t no tuple (RGC_EINVAL), i out
 * of range (RGC_EKEY), t shared (RGC_EMISUSE) — and then the stolen
 * reference is dropped all the same, so the caller never has to.
 */
int rgc_tuple_set(void *t, size_t i, void *item)
{
    if (!_rgc_expect_type(t, _rgc_t_tuple, "rgc_tuple_set")) {
        rgc_xdecref(item);
        return -1;
    }
    rgc_tuple_obj_t *tp = t;
    if (i >= tp->len) {
        _rgc_report(RGC_EKEY, t, "tuple", "rgc_tuple_set: index %zu out of range (len %zu)", i,
                    tp->len);
        rgc_xdecref(item);
        return -1;
    }
    if (tp->ob_base.refcnt != 1) {
        _rgc_report(RGC_EMISUSE, t, "tuple",
                    "rgc_tuple_set: the tuple is shared (refcount %u); only a new tuple is filled",
                    (unsigned)tp->ob_base.refcnt);
        rgc_xdecref(item);
        return -1;
    }
    rgc_object_t *old = tp->items[i];
    tp->items[i] = item;
    rgc_xdecref(old);
    return 0;
}
