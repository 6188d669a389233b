/*
 * slots_vs_dict.c — what an object with two attributes really costs.
 *
 * The Python it mirrors:
 *
 *     class PointRegular:                 # attributes live in a __dict__
 *         def __init__(self, x, y): self.x = x; self.y = y
 *     class PointSlots:                   # two fixed fields, no __dict__
 *         __slots__ = ['x', 'y']
 *     points = [PointSlots(i, i) for i in range(100000)]
 *
 * In rgc the first is a class (rgc_class_register: attributes in a dict),
 * the second a fixed-layout type whose two reference fields are declared as
 * data.  Both sides point at the same int objects, made beforehand, so the
 * numbers below are the cost of the points alone.
 */
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>

#include "rgc.h"

#define COUNT 100000

typedef struct point_slots {
    RGC_OBJECT_HEAD;
    rgc_object_t *x;
    rgc_object_t *y;
} point_slots_t;

static const rgc_ref_field_t point_refs[] = {
    {"x", offsetof(point_slots_t, x)},
    {"y", offsetof(point_slots_t, y)},
};

static const rgc_type_spec_t point_spec = {
    .name = "PointSlots",
    .basic_size = sizeof(point_slots_t),
    .ref_fields = point_refs,
    .n_ref_fields = 2,
};

static rgc_heap_stats_t stats(rgc_heap_t *heap)
{
    rgc_heap_stats_t st = {0};
    rgc_heap_stats(heap, &st);
    return st;
}

/* A heap holding COUNT int objects 0..COUNT-1 in ints. */
static rgc_heap_t *heap_with_ints(const char *name, void **ints)
{
    rgc_heap_t *heap = rgc_heap_new(&(rgc_heap_config_t){.name = name});
    for (size_t i = 0; heap && i < COUNT; i++)
        if (!(ints[i] = rgc_int_new(heap, (int64_t)i)))
            return NULL;
    return heap;
}

static void report(const char *name, const rgc_heap_stats_t *before, const rgc_heap_stats_t *after,
                   size_t sizeof_sum)
{
    size_t bytes = after->bytes_in_use - before->bytes_in_use;
    size_t tracked = 0; /* in any generation: collections have promoted most */
    for (int g = 0; g < 4; g++)
        tracked += after->tracked[g] - before->tracked[g];
    printf("    %-13s %5zu bytes  %9zu bytes = %5.1f per point  %7zu\n", name, sizeof_sum, bytes,
           (double)bytes / COUNT, tracked);
}

int main(void)
{
    rgc_type_t *regular = rgc_class_register("PointRegular");
    rgc_type_t *slots = rgc_type_register(&point_spec);
    /* One heap per variant, so each heap's growth is that variant's cost. */
    void **rints = malloc(COUNT * sizeof(void *)), **sints = malloc(COUNT * sizeof(void *));
    void **reg = malloc(COUNT * sizeof(void *)), **slo = malloc(COUNT * sizeof(void *));
    if (!regular || !slots || !rints || !sints || !reg || !slo)
        return 1;
    rgc_heap_t *rheap = heap_with_ints("regular", rints);
    rgc_heap_t *sheap = heap_with_ints("slots", sints);
    if (!rheap || !sheap)
        return 1;

    /* The attribute names are interned on first use: pay that up front so
     * it is not charged to the points. */
    void *warm = rgc_instance_new(rheap, regular);
    if (!warm || rgc_attr_set(warm, "x", rints[0]) < 0 || rgc_attr_set(warm, "y", rints[0]) < 0)
        return 1;
    rgc_decref(warm);

    rgc_heap_stats_t r0 = stats(rheap), s0 = stats(sheap);
    for (size_t i = 0; i < COUNT; i++) {
        reg[i] = rgc_instance_new(rheap, regular);
        if (!reg[i] || rgc_attr_set(reg[i], "x", rints[i]) < 0 ||
            rgc_attr_set(reg[i], "y", rints[i]) < 0)
            return 1;
        point_slots_t *p = rgc_new(sheap, slots);
        if (!p)
            return 1;
        p->x = rgc_newref(sints[i]); /* the object owns what its fields hold */
        p->y = rgc_newref(sints[i]);
        slo[i] = p;
    }
    rgc_heap_stats_t r1 = stats(rheap), s1 = stats(sheap);

    void *r = reg[COUNT - 1];
    size_t reg_obj = rgc_sizeof(r), reg_dict = rgc_sizeof(rgc_instance_dict(r));
    size_t slot_obj = rgc_sizeof(slo[COUNT - 1]);
    printf("  one PointRegular: rgc_sizeof(p) = %zu bytes + rgc_sizeof(p.__dict__) = %zu bytes\n"
           "                    (the dict's object, hash index and entry table)\n",
           reg_obj, reg_dict);
    printf("  one PointSlots:   rgc_sizeof(p) = %zu bytes: header and two fields, no dict\n\n",
           slot_obj);

    printf("  %d points of each kind:\n", COUNT);
    printf("    %-13s %11s  %-33s  %7s\n", "", "rgc_sizeof", "heap growth (bytes in use)",
           "tracked");
    report("PointRegular", &r0, &r1, reg_obj + reg_dict);
    report("PointSlots", &s0, &s1, slot_obj);
    double per_reg = (double)(r1.bytes_in_use - r0.bytes_in_use) / COUNT;
    double per_slot = (double)(s1.bytes_in_use - s0.bytes_in_use) / COUNT;
    printf("  fixed fields save %.0f%% of the memory (%.1f MiB per %d points).\n",
           100.0 * (1.0 - per_slot / per_reg), (per_reg - per_slot) * COUNT / (1 << 20), COUNT);
    printf("  Beyond rgc_sizeof, the heap grows by the collector's member arrays: one\n"
           "  8-byte slot per tracked object (a PointRegular is two: itself and its dict),\n"
           "  grown by doubling.\n");

    for (size_t i = 0; i < COUNT; i++) {
        rgc_decref(reg[i]);
        rgc_decref(slo[i]);
        rgc_decref(rints[i]);
        rgc_decref(sints[i]);
    }
    printf("  after dropping them all: %zu and %zu objects live (cached small ints,\n"
           "  interned names: immortal by design)\n", stats(rheap).objects, stats(sheap).objects);
    free(rints);
    free(sints);
    free(reg);
    free(slo);
    rgc_heap_destroy(rheap);
    rgc_heap_destroy(sheap);
    return 0;
}
