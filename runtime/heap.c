/*
 * heap.c — the runtime root and heap life cycle: creation, destruction, the
 * optional lock, and the list of heaps the debug table will point at.
 */
#include "builtins.h"

#include <stdlib.h>

/* Cache-line aligned: see rgc_runtime_t.hooks. */
__attribute__((aligned(64))) rgc_runtime_t _rgc_runtime = {
    .magic = 0x746f6f7263677200ull, /* "\0rgcroot" */
    .lock = PTHREAD_MUTEX_INITIALIZER,
    .hooks = {.one = 1},
    /* free_gate and alloc_gate: 0 (closed) until the runtime is set up */
};

rgc_heap_t *rgc_heap_new(const rgc_heap_config_t *config)
{
    if (_rgc_runtime_init() < 0) {
        _rgc_report(RGC_ENOMEM, NULL, NULL, "could not reserve the arena map");
        return NULL;
    }
    _rgc_builtins_init();
    const rgc_sysmem_t *sm = config && config->sysmem                        ? config->sysmem
                             : config && (config->flags & RGC_HEAP_SMALL_PAGES) ? rgc_sysmem_small_pages()
                                                                                : rgc_sysmem_default();
    if (!sm->map || !sm->unmap || !sm->alloc || !sm->free) {
        _rgc_report(RGC_EINVAL, sm, NULL, "rgc_heap_new: sysmem needs map, unmap, alloc and free");
        return NULL;
    }
    rgc_heap_t *h = sm->alloc(sm->ctx, sizeof *h);
    if (!h) {
        _rgc_report(RGC_ENOMEM, NULL, NULL, "could not allocate a heap");
        return NULL;
    }
    memset(h, 0, sizeof *h);
    h->magic = RGC_HEAP_MAGIC;
    h->flags = config ? config->flags & ~RGC_HEAP_OWN_FLAGS : 0;
#ifdef RGC_DEBUG
    h->flags |= RGC_HEAP_FILL;
#endif
    for (int k = 0; k < RGC_NKINDS; k++)
        for (unsigned c = 0; c < RGC_NCLASSES; c++)
            h->usable[k][c] = &_rgc_empty_pool;
    h->large.next = h->large.prev = &h->large;
    h->sysmem = *sm;
    h->keep_pools = config ? config->keep_unused / RGC_POOL_SIZE : 0;
    snprintf(h->name, sizeof h->name, "%s", config && config->name ? config->name : "heap");
    if (h->flags & RGC_HEAP_SHARED)
        pthread_mutex_init(&h->lock, NULL);
    _rgc_gc_init(h);
    pthread_mutex_lock(&_rgc_runtime.lock);
    h->next = _rgc_runtime.heaps;
    if (h->next)
        h->next->prev = h;
    _rgc_runtime.heaps = h;
    _rgc_runtime.nheaps++;
    pthread_mutex_unlock(&_rgc_runtime.lock);
    return h;
}

void rgc_heap_destroy(rgc_heap_t *h)
{
    if (!h)
        return;
    if (h->magic != RGC_HEAP_MAGIC) {
        _rgc_report(RGC_EINVAL, h, NULL, "rgc_heap_destroy: not a live heap");
        return;
    }
    pthread_mutex_lock(&_rgc_runtime.lock);
    if (h->prev)
        h->prev->next = h->next;
    else
        _rgc_runtime.heaps = h->next;
    if (h->next)
        h->next->prev = h->prev;
    _rgc_runtime.nheaps--;
    pthread_mutex_unlock(&_rgc_runtime.lock);
    _rgc_recorder_free(h);
    _rgc_trace_free_all(h);
    _rgc_heap_release_all(h);
    if (h->flags & RGC_HEAP_SHARED)
        pthread_mutex_destroy(&h->lock);
    h->magic = 0;
    rgc_sysmem_t sm = h->sysmem;
    sm.free(sm.ctx, h, sizeof *h);
}

int _rgc_heap_ok(const rgc_heap_t *h, const char *fn)
{
    if (h && h->magic == RGC_HEAP_MAGIC)
        return 1;
    _rgc_report(RGC_EINVAL, h, NULL, "%s: not a live heap", fn);
    return 0;
}

const char *rgc_heap_name(const rgc_heap_t *h)
{
    return h ? h->name : NULL;
}

void rgc_heap_lock(rgc_heap_t *h)
{
    if (h && (h->flags & RGC_HEAP_SHARED))
        pthread_mutex_lock(&h->lock);
}

void rgc_heap_unlock(rgc_heap_t *h)
{
    if (h && (h->flags & RGC_HEAP_SHARED))
        pthread_mutex_unlock(&h->lock);
}
