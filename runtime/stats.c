/*
 * stats.c — allocator statistics per size class and per heap, as a struct
 * and as a text table in the spirit of sys._debugmallocstats().
 */
#include "internal.h"

/* Bytes a live object really needs (header, fixed part and items). */
static size_t object_need(const rgc_object_t *o)
{
    rgc_type_t *t = _rgc_type_checked(o->type_id);
    if (!t)
        return 0;
    size_t need = t->basic_size;
    if (t->flags & RGC_TF_VAR)
        need += *(const size_t *)((const char *)o + t->nitems_offset) * t->item_size;
    return need;
}

/* Adds one active pool's figures to its class. */
static void pool_stats(const rgc_pool_t *p, rgc_class_stats_t *cs)
{
    cs->pools++;
    uint32_t used = _rgc_pool_used(p);
    cs->blocks_used += used;
    cs->blocks_free += p->nblocks - used;
    cs->bytes_used += (size_t)used * p->block_size;
    /* The tail of the pool that no block fits in. */
    cs->bytes_wasted += RGC_POOL_SIZE - (size_t)p->nblocks * p->block_size;
    if (p->kind != RGC_KIND_OBJECT)
        return;
    uint64_t bits[RGC_POOL_SIZE / RGC_ALIGN / 64];
    if (_rgc_pool_free_bits(p, bits) < 0)
        return;
    for (uint32_t b = 0; b < p->bump; b++) {
        if ((bits[b / 64] >> (b % 64)) & 1)
            continue;
        size_t need = object_need((const rgc_object_t *)(p->base + (size_t)b * p->block_size));
        if (need && need < p->block_size)
            cs->bytes_wasted += p->block_size - need;
    }
}

int rgc_heap_stats(rgc_heap_t *h, rgc_heap_stats_t *out)
{
    if (!h || !out) {
        _rgc_report(RGC_EINVAL, h, NULL, "rgc_heap_stats: NULL argument");
        return -1;
    }
    memset(out, 0, sizeof *out);
    for (unsigned c = 0; c < RGC_NCLASSES; c++)
        out->classes[c].block_size = RGC_ALIGN * (c + 1);
    size_t small_in_use = 0;
    for (rgc_arena_t *a = h->arenas; a; a = a->next) {
        const rgc_pool_t *pools = _rgc_arena_pools(a);
        for (uint32_t i = 0; i < RGC_POOLS_PER_ARENA; i++) {
            const rgc_pool_t *p = &pools[i];
            if (p->state == RGC_POOL_HEADER)
                continue;
            if (p->state != RGC_POOL_ACTIVE) {
                out->pools_free++;
                out->pools_dirty += !p->decommitted;
                continue;
            }
            out->pools_used++;
            out->pages_released += (size_t)__builtin_popcount(p->holes);
            if (p->kind == RGC_KIND_OBJECT)
                out->objects += _rgc_pool_used(p);
            pool_stats(p, &out->classes[p->szidx]);
            small_in_use += (size_t)_rgc_pool_used(p) * p->block_size;
        }
    }
    /* A held block is free, though its pool counts it in use. */
    for (int k = 0; k < RGC_NKINDS; k++)
        for (unsigned c = 0; c < RGC_NCLASSES; c++)
            if (h->held[k][c]) {
                rgc_class_stats_t *cs = &out->classes[c];
                cs->blocks_used--;
                cs->blocks_free++;
                cs->bytes_used -= cs->block_size;
                small_in_use -= cs->block_size;
                out->objects -= k == RGC_KIND_OBJECT;
            }
    out->arenas = h->narenas;
    out->arenas_allocated = h->arenas_allocated;
    out->arenas_freed = h->arenas_freed;
    out->arenas_highwater = h->arenas_highwater;
    out->large_blocks = h->nlarge;
    out->large_bytes = h->large_bytes;
    for (const rgc_large_t *l = h->large.next; l != &h->large; l = l->next)
        out->objects += l->kind == RGC_KIND_OBJECT;
    /* What the heap asked of the system: arenas, and each large block with
     * its header and, on a heap with fill bytes, its guard. */
    size_t large_extra = RGC_LARGE_HDR + ((h->flags & RGC_HEAP_FILL) ? RGC_ALIGN : 0);
    out->bytes_mapped = h->narenas * (size_t)RGC_ARENA_SIZE + h->large_bytes + h->nlarge * large_extra;
    out->bytes_in_use = small_in_use + h->large_bytes;
    for (int g = 0; g < RGC_NGENS; g++)
        out->tracked[g] = _rgc_gen_len(h, g);
    return 0;
}

void rgc_heap_print_stats(rgc_heap_t *h, FILE *f)
{
    rgc_heap_stats_t s;
    if (!f || rgc_heap_stats(h, &s) < 0)
        return;
    fprintf(f, "rgc heap '%s': small-block allocator statistics\n", h->name);
    fprintf(f, "%5s %6s %6s %12s %12s %12s %12s\n", "class", "size", "pools", "blocks used",
            "blocks free", "bytes used", "bytes wasted");
    size_t tu = 0, tf = 0, tb = 0, tw = 0;
    for (unsigned c = 0; c < RGC_NCLASSES; c++) {
        const rgc_class_stats_t *cs = &s.classes[c];
        if (!cs->pools)
            continue;
        fprintf(f, "%5u %6u %6zu %12zu %12zu %12zu %12zu\n", c, cs->block_size, cs->pools,
                cs->blocks_used, cs->blocks_free, cs->bytes_used, cs->bytes_wasted);
        tu += cs->blocks_used;
        tf += cs->blocks_free;
        tb += cs->bytes_used;
        tw += cs->bytes_wasted;
    }
    fprintf(f, "%5s %6s %6zu %12zu %12zu %12zu %12zu\n", "total", "", s.pools_used, tu, tf, tb, tw);
    fprintf(f, "arenas: %zu mapped (%zu allocated, %zu freed, high-water %zu), %zu pools free (%zu committed)\n",
            s.arenas, s.arenas_allocated, s.arenas_freed, s.arenas_highwater, s.pools_free, s.pools_dirty);
    fprintf(f, "pages given back inside pools in use: %zu (%zu KiB)\n", s.pages_released,
            s.pages_released * (RGC_PAGE_SIZE / 1024));
    fprintf(f, "large blocks: %zu holding %zu bytes\n", s.large_blocks, s.large_bytes);
    fprintf(f, "objects: %zu live; tracked by generation: %zu %zu %zu (permanent %zu)\n", s.objects,
            s.tracked[0], s.tracked[1], s.tracked[2], s.tracked[3]);
    fprintf(f, "bytes: %zu in use, %zu mapped\n", s.bytes_in_use, s.bytes_mapped);
}
