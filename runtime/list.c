/*
 * list.c — the built-in list: a growable array of references.
 *
 * Owns: the list type (layout in builtins.h), its item block and growth
 * policy, and rgc_list_*.  The items live in one raw block of the list's
 * heap; items[0..len) are references (never NULL through this API), the
 * rest of the block is spare capacity that nothing reads.
 *
 * Growth: to hold `need` items the block gets need + need/8 + (3 or 6)
 * slots, rounded up to an even count (size classes are 16 bytes, so the odd
 * slot would be wasted).  The 1/8 over-allocation keeps appends amortized
 * O(1) while wasting at most ~12% of a large list; the constant keeps small
 * lists from reallocating at every append.  A pop that leaves a list under a
 * quarter full shrinks the block back to the same formula.
 *
 * Reference discipline: the list is made consistent before any reference
 * is dropped, because a decref can run arbitrary deallocation (and, later,
 * finalizers) that may look at or modify this very list.
 */
#include "builtins.h"

#include <stdio.h>

#define ITEM_SIZE sizeof(rgc_object_t *)
#define MAX_ITEMS (SIZE_MAX / ITEM_SIZE / 2) /* leaves room for the growth slack */
#define SHRINK_MIN_CAP 16u                   /* never shrink blocks this small */

static bool check_item(const void *l, const void *item, const char *fn)
{
    if (RGC_LIKELY(item != NULL))
        return true;
    _rgc_report(RGC_EINVAL, l, "list", "%s: NULL item", fn);
    return false;
}

static void report_index(const rgc_list_obj_t *l, size_t i, const char *fn)
{
    _rgc_report(RGC_EKEY, l, "list", "%s: index %zu out of range (length %zu)", fn, i, l->len);
}

/* Slots to allocate for `need` items (see the growth note at the top). */
static size_t grown_cap(size_t need)
{
    size_t cap = need + (need >> 3) + (need < 9 ? 3u : 6u);
    return (cap + 1) & ~(size_t)1;
}

/* Replaces the item block by one of exactly cap slots.  0, or -1 (reported
 * by the allocator) with the list unchanged. */
static int resize(rgc_list_obj_t *l, size_t cap)
{
    rgc_object_t **items = rgc_mem_realloc(rgc_heap_of(l), l->items, cap * ITEM_SIZE);
    if (!items)
        return -1;
    l->items = items;
    l->cap = cap;
    return 0;
}

/* Makes room for `extra` more items.  0, or -1 with the list unchanged. */
static int reserve(rgc_list_obj_t *l, size_t extra)
{
    if (RGC_LIKELY(l->cap - l->len >= extra))
        return 0;
    if (l->len > MAX_ITEMS - extra) {
        _rgc_report(RGC_ENOMEM, l, "list", "a list cannot hold %zu + %zu items", l->len, extra);
        return -1;
    }
    return resize(l, grown_cap(l->len + extra));
}

/* Gives back most of a block that became mostly empty.  Shrinking is an
 * optimization: if memory for the smaller block cannot be had, the list
 * keeps its block (the allocator will have reported RGC_ENOMEM). */
static void maybe_shrink(rgc_list_obj_t *l)
{
    if (l->cap > SHRINK_MIN_CAP && l->len < l->cap / 4)
        (void)resize(l, grown_cap(l->len));
}

/* ---- type hooks */

/* The runtime has already dropped and NULLed items[0..len). */
static void list_dealloc(rgc_object_t *o)
{
    rgc_list_obj_t *l = (rgc_list_obj_t *)o;
    rgc_mem_free(rgc_heap_of(o), l->items);
    l->items = NULL;
    l->cap = l->len = 0;
}

static size_t list_extra_size(const rgc_object_t *o)
{
    const rgc_list_obj_t *l = (const rgc_list_obj_t *)o;
    return l->items ? rgc_mem_usable_size(rgc_heap_of(o), l->items) : 0;
}

static void list_repr(const rgc_object_t *o, char *buf, size_t size)
{
    snprintf(buf, size, "list[%zu]", ((const rgc_list_obj_t *)o)->len);
}

void _rgc_register_list(void)
{
    static const rgc_ref_array_t items[] = {
        {"items", offsetof(rgc_list_obj_t, items), offsetof(rgc_list_obj_t, len), 0, 0},
    };
    rgc_type_spec_t spec = {
        .name = "list",
        .basic_size = sizeof(rgc_list_obj_t),
        .flags = RGC_TF_UNHASHABLE,
        .ref_arrays = items,
        .n_ref_arrays = 1,
        .dealloc = list_dealloc,
        .extra_size = list_extra_size,
        .repr = list_repr,
    };
    _rgc_t_list = _rgc_type_register(&spec);
}

/* ---- public API */

rgc_type_t *rgc_list_type(void)
{
    _rgc_builtins_init();
    return _rgc_t_list;
}

/* A new empty list with room for `capacity` items before its first
 * reallocation.  New reference, or NULL (RGC_EINVAL, RGC_ENOMEM). */
void *rgc_list_new(rgc_heap_t *heap, size_t capacity)
{
    _rgc_builtins_init();
    if (capacity > MAX_ITEMS) {
        _rgc_report(RGC_ENOMEM, heap, "list", "rgc_list_new: capacity %zu is too large", capacity);
        return NULL;
    }
    rgc_list_obj_t *l = rgc_new(heap, _rgc_t_list);
    if (!l)
        return NULL;
    if (capacity && resize(l, capacity) < 0) {
        rgc_decref(l);
        return NULL;
    }
    return l;
}

size_t rgc_list_len(const void *l)
{
    if (!_rgc_expect_type(l, _rgc_t_list, "rgc_list_len"))
        return 0;
    return ((const rgc_list_obj_t *)l)->len;
}

/* Item i, borrowed; NULL and RGC_EKEY when i >= len. */
void *rgc_list_get(const void *lp, size_t i)
{
    if (!_rgc_expect_type(lp, _rgc_t_list, "rgc_list_get"))
        return NULL;
    const rgc_list_obj_t *l = lp;
    if (RGC_UNLIKELY(i >= l->len)) {
        report_index(l, i, "rgc_list_get");
        return NULL;
    }
    return l->items[i];
}

/* Stores item at i (incref), then drops the item it replaces.  0, or -1
 * (RGC_EINVAL, RGC_EKEY for i >= len). */
int rgc_list_set(void *lp, size_t i, void *item)
{
    if (!_rgc_expect_type(lp, _rgc_t_list, "rgc_list_set") || !check_item(lp, item, "rgc_list_set"))
        return -1;
    rgc_list_obj_t *l = lp;
    if (RGC_UNLIKELY(i >= l->len)) {
        report_index(l, i, "rgc_list_set");
        return -1;
    }
    rgc_object_t *old = l->items[i];
    rgc_incref(item);
    l->items[i] = item;
    rgc_xdecref(old);
    return 0;
}

/* Appends item (incref).  0, or -1 (RGC_EINVAL, RGC_ENOMEM: list unchanged). */
int rgc_list_append(void *lp, void *item)
{
    if (!_rgc_expect_type(lp, _rgc_t_list, "rgc_list_append") ||
        !check_item(lp, item, "rgc_list_append"))
        return -1;
    rgc_list_obj_t *l = lp;
    if (reserve(l, 1) < 0)
        return -1;
    rgc_incref(item);
    l->items[l->len++] = item;
    return 0;
}

/* Inserts item (incref) before index i; i == len appends.  0, or -1
 * (RGC_EINVAL, RGC_EKEY for i > len, RGC_ENOMEM: list unchanged). */
int rgc_list_insert(void *lp, size_t i, void *item)
{
    if (!_rgc_expect_type(lp, _rgc_t_list, "rgc_list_insert") ||
        !check_item(lp, item, "rgc_list_insert"))
        return -1;
    rgc_list_obj_t *l = lp;
    if (RGC_UNLIKELY(i > l->len)) {
        report_index(l, i, "rgc_list_insert");
        return -1;
    }
    if (reserve(l, 1) < 0)
        return -1;
    memmove(&l->items[i + 1], &l->items[i], (l->len - i) * ITEM_SIZE);
    rgc_incref(item);
    l->items[i] = item;
    l->len++;
    return 0;
}

/* Removes item i (SIZE_MAX: the last) and hands the list's reference to the
 * caller.  New reference, or NULL (RGC_EINVAL, RGC_EKEY: out of range or
 * empty). */
void *rgc_list_pop(void *lp, size_t i)
{
    if (!_rgc_expect_type(lp, _rgc_t_list, "rgc_list_pop"))
        return NULL;
    rgc_list_obj_t *l = lp;
    if (i == SIZE_MAX && l->len > 0)
        i = l->len - 1;
    if (RGC_UNLIKELY(i >= l->len)) {
        report_index(l, i, "rgc_list_pop");
        return NULL;
    }
    rgc_object_t *item = l->items[i];
    l->len--;
    memmove(&l->items[i], &l->items[i + 1], (l->len - i) * ITEM_SIZE);
    l->items[l->len] = NULL;
    maybe_shrink(l);
    return item;
}

/* Empties the list and frees its item block.  The list is already empty
 * when the first item is dropped, so deallocations it triggers see (and
 * may refill) an empty list. */
void rgc_list_clear(void *lp)
{
    if (!_rgc_expect_type(lp, _rgc_t_list, "rgc_list_clear"))
        return;
    rgc_list_obj_t *l = lp;
    rgc_heap_t *heap = rgc_heap_of(l);
    rgc_object_t **items = l->items;
    size_t n = l->len;
    l->items = NULL;
    l->len = l->cap = 0;
    /* From here on `l` may be freed (an item may hold its last reference). */
    for (size_t i = 0; i < n; i++)
        rgc_xdecref(items[i]);
    rgc_mem_free(heap, items);
}
