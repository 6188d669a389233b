/*
 * weakref.c — weak reference objects and the per-heap table that finds the
 * weakrefs of an object (layouts and invariants in weakref.h).
 *
 * Owns: the weakref and KeyedRef types and their hooks, rgc_weakref_*, the
 * table (heap->weak), and the three hooks that clear weakrefs when their
 * referent dies: by reference count (_rgc_weakrefs_on_dealloc, called by
 * object.c) and in a garbage cycle (_rgc_weakrefs_gc_clear and
 * _rgc_weakrefs_run_callbacks, called by the collector).
 *
 * Nothing here runs embedder code while a list or the table is half
 * changed: a referent's weakrefs are all cleared, and the table updated,
 * before the first callback is called.
 */
#include "weakref.h"

#include "builtins.h"

#include <stdio.h>

rgc_type_t *_rgc_t_weakref, *_rgc_t_keyedref;

#define FIB_MULT 0x9E3779B97F4A7C15ull /* 2^64 / golden ratio */

static inline rgc_weakref_obj_t *as_weakref(const void *o)
{
    return (rgc_weakref_obj_t *)o;
}

/* ---- the table: referent address -> newest weakref */

static inline size_t home_slot(const struct rgc_weaktab *tab, const rgc_object_t *o)
{
    return (size_t)(((uint64_t)(uintptr_t)o * FIB_MULT) >> tab->shift);
}

/* The slot holding o, or SIZE_MAX. */
static size_t tab_find(const struct rgc_weaktab *tab, const rgc_object_t *o)
{
    if (!tab || tab->len == 0)
        return SIZE_MAX;
    size_t mask = tab->cap - 1;
    for (size_t i = home_slot(tab, o);; i = (i + 1) & mask) {
        const rgc_object_t *r = tab->slots[i].referent;
        if (r == o)
            return i;
        if (!r)
            return SIZE_MAX;
    }
}

/* Moves the entries into a fresh array of ncap slots.  0, or -1 (RGC_ENOMEM
 * reported by the allocator; the table unchanged). */
static int tab_resize(rgc_heap_t *h, struct rgc_weaktab *tab, size_t ncap)
{
    rgc_weakslot_t *slots = rgc_mem_calloc(h, ncap * sizeof *slots);
    if (!slots)
        return -1;
    rgc_weakslot_t *old = tab->slots;
    size_t ocap = tab->cap;
    tab->slots = slots;
    tab->cap = ncap;
    tab->shift = 64u - (unsigned)__builtin_ctzll((unsigned long long)ncap);
    for (size_t j = 0; j < ocap; j++) {
        if (!old[j].referent)
            continue;
        size_t i = home_slot(tab, old[j].referent);
        while (slots[i].referent)
            i = (i + 1) & (ncap - 1);
        slots[i] = old[j];
    }
    rgc_mem_free(h, old);
    return 0;
}

/* Makes room for one more referent (load at most 2/3).  0, or -1 with the
 * table unchanged.  Runs no embedder code. */
static int tab_reserve(rgc_heap_t *h, struct rgc_weaktab *tab)
{
    if ((tab->len + 1) * 3 <= tab->cap * 2)
        return 0;
    size_t ncap = tab->cap ? tab->cap * 2 : RGC_WEAKTAB_MIN;
    if (ncap > SIZE_MAX / sizeof(rgc_weakslot_t) / 2) {
        _rgc_report(RGC_ENOMEM, tab, "weakref", "weak reference table cannot grow past %zu slots",
                    tab->cap);
        return -1;
    }
    return tab_resize(h, tab, ncap);
}

/* Adds o -> head; room was reserved. */
static void tab_insert(struct rgc_weaktab *tab, rgc_object_t *o, rgc_weakref_obj_t *head)
{
    size_t mask = tab->cap - 1;
    size_t i = home_slot(tab, o);
    while (tab->slots[i].referent)
        i = (i + 1) & mask;
    tab->slots[i].referent = o;
    tab->slots[i].head = head;
    tab->len++;
}

/* Empties slot i, shifting back the entries after it that would otherwise
 * become unreachable from their home slot.  The array keeps its size (as a
 * dict's does on deletion: shrinking would allocate, and a removal must not
 * fail) until the last referent goes; then it is freed. */
static void tab_remove_at(rgc_heap_t *h, struct rgc_weaktab *tab, size_t i)
{
    size_t mask = tab->cap - 1;
    for (size_t j = (i + 1) & mask;; j = (j + 1) & mask) {
        rgc_object_t *r = tab->slots[j].referent;
        if (!r)
            break;
        /* The entry at j may fill the hole at i unless its home lies
         * cyclically in (i, j]. */
        size_t k = home_slot(tab, r);
        if (((j - k) & mask) >= ((j - i) & mask)) {
            tab->slots[i] = tab->slots[j];
            i = j;
        }
    }
    tab->slots[i].referent = NULL;
    tab->slots[i].head = NULL;
    if (--tab->len == 0) {
        rgc_mem_free(h, tab->slots);
        tab->slots = NULL;
        tab->cap = 0;
        tab->shift = 0;
    }
}

/* h's table, made on first use.  NULL on failure (reported). */
static struct rgc_weaktab *tab_of(rgc_heap_t *h)
{
    if (!h->weak)
        h->weak = rgc_mem_calloc(h, sizeof *h->weak);
    return h->weak;
}

/* ---- lists */

/* Links wr, the newest weakref to o, at the head of o's list.  When o had
 * no weakref yet, room in the table must have been reserved. */
static void link_ref(struct rgc_weaktab *tab, rgc_weakref_obj_t *wr, rgc_object_t *o)
{
    wr->referent = o;
    wr->prev = NULL;
    if (o->flags & RGC_OF_WEAKREFED) {
        rgc_weakslot_t *s = &tab->slots[tab_find(tab, o)];
        wr->next = s->head;
        s->head->prev = wr;
        s->head = wr;
    } else {
        wr->next = NULL;
        tab_insert(tab, o, wr);
        o->flags |= RGC_OF_WEAKREFED;
    }
    tab->nrefs++;
}

/* Unlinks wr from its referent's list and clears it; when it was the last
 * weakref to its referent, the table entry and the flag go too. */
static void unlink_ref(rgc_heap_t *h, struct rgc_weaktab *tab, rgc_weakref_obj_t *wr)
{
    rgc_object_t *o = wr->referent;
    if (wr->prev) {
        wr->prev->next = wr->next;
    } else {
        size_t i = tab_find(tab, o);
        if (wr->next) {
            tab->slots[i].head = wr->next;
        } else {
            tab_remove_at(h, tab, i);
            o->flags &= ~(uint32_t)RGC_OF_WEAKREFED;
        }
    }
    if (wr->next)
        wr->next->prev = wr->prev;
    wr->referent = NULL;
    wr->prev = wr->next = NULL;
    tab->nrefs--;
}

/* Takes o's whole list out of the table and clears o's flag; returns the
 * newest weakref.  The weakrefs still link to one another through next;
 * the caller clears each with clear_taken. */
static rgc_weakref_obj_t *take_list(rgc_heap_t *h, struct rgc_weaktab *tab, rgc_object_t *o)
{
    o->flags &= ~(uint32_t)RGC_OF_WEAKREFED;
    size_t i = tab_find(tab, o);
    if (i == SIZE_MAX)
        return NULL;
    rgc_weakref_obj_t *head = tab->slots[i].head;
    tab_remove_at(h, tab, i);
    return head;
}

/* Clears a weakref of a taken list; returns the next one. */
static rgc_weakref_obj_t *clear_taken(struct rgc_weaktab *tab, rgc_weakref_obj_t *wr)
{
    rgc_weakref_obj_t *next = wr->next;
    wr->referent = NULL;
    wr->prev = wr->next = NULL;
    tab->nrefs--;
    return next;
}

/* True when the running collection found wr to be garbage.  A weakref
 * whose count is zero is being destroyed (its header may hold the
 * destruction queue's link, not flags): it is garbage too. */
static bool is_garbage(const rgc_weakref_obj_t *wr)
{
    uint32_t f = wr->ob_base.flags;
    return wr->ob_base.refcnt == 0 ||
           ((f & RGC_OF_GC_CANDIDATE) && !(f & RGC_OF_GC_REACHABLE));
}

/* Calls wr's callback once: the weakref lets go of the callback and its ctx
 * first (as CPython drops wr_callback), and the ctx is dropped after the
 * call.  The caller holds wr alive. */
static void run_callback(rgc_weakref_obj_t *wr)
{
    rgc_weakref_fn cb = wr->callback;
    rgc_object_t *ctx = wr->ctx;
    wr->callback = NULL;
    wr->ctx = NULL;
    if (cb)
        cb(wr, ctx);
    rgc_xdecref(ctx);
}

/* ---- hooks for object.c and the collector */

void _rgc_weakrefs_on_dealloc(rgc_object_t *o)
{
    rgc_heap_t *h = rgc_heap_of(o);
    struct rgc_weaktab *tab = h->weak;
    if (!tab) {
        o->flags &= ~(uint32_t)RGC_OF_WEAKREFED;
        return;
    }
    /* During a collection the scratch bits tell garbage weakrefs apart. */
    bool collecting = h->gc.phase != RGC_GC_IDLE;
    rgc_weakref_obj_t *pending = NULL, **tail = &pending;
    rgc_weakref_obj_t *wr = take_list(h, tab, o);
    while (wr) {
        rgc_weakref_obj_t *next = clear_taken(tab, wr);
        bool alive = wr->ob_base.refcnt != 0 && !(collecting && is_garbage(wr));
        if (wr->callback && alive) {
            rgc_incref(wr);
            *tail = wr; /* cleared weakrefs are on no list: next is free */
            tail = &wr->next;
        }
        wr = next;
    }
    while (pending) {
        wr = pending;
        pending = wr->next;
        wr->next = NULL;
        run_callback(wr);
        rgc_decref(wr);
    }
}

/* Counts, without changing anything, the weakrefs to the garbage in
 * unreachable[0..n) whose callbacks will have to run. */
static size_t count_callbacks(struct rgc_weaktab *tab, rgc_object_t **unreachable, size_t n)
{
    size_t count = 0;
    for (size_t i = 0; i < n; i++) {
        rgc_object_t *o = unreachable[i];
        if (!(o->flags & RGC_OF_WEAKREFED))
            continue;
        size_t s = tab_find(tab, o);
        for (rgc_weakref_obj_t *wr = s == SIZE_MAX ? NULL : tab->slots[s].head; wr; wr = wr->next)
            if (wr->callback && !is_garbage(wr))
                count++;
    }
    return count;
}

long _rgc_weakrefs_gc_clear(rgc_heap_t *h, rgc_object_t **unreachable, size_t n,
                            rgc_object_t ***callbacks, size_t *ncallbacks)
{
    *callbacks = NULL;
    *ncallbacks = 0;
    struct rgc_weaktab *tab = h->weak;
    if (!tab || tab->nrefs == 0)
        return 0;
    long result = 0;
    rgc_object_t **calls = NULL;
    size_t want = count_callbacks(tab, unreachable, n);
    if (want) {
        calls = rgc_mem_alloc(h, want * sizeof *calls);
        if (!calls)
            result = -1;
    }
    size_t ncalls = 0;
    long cleared = 0;
    for (size_t i = 0; i < n; i++) {
        rgc_object_t *o = unreachable[i];
        if (_rgc_is_weakref(o) && as_weakref(o)->referent) {
            unlink_ref(h, tab, as_weakref(o));
            cleared++;
        }
        if (!(o->flags & RGC_OF_WEAKREFED))
            continue;
        rgc_weakref_obj_t *wr = take_list(h, tab, o);
        while (wr) {
            rgc_weakref_obj_t *next = clear_taken(tab, wr);
            cleared++;
            if (calls && wr->callback && !is_garbage(wr)) {
                rgc_incref(wr);
                calls[ncalls++] = &wr->ob_base;
            }
            wr = next;
        }
    }
    if (calls && ncalls == 0) {
        rgc_mem_free(h, calls);
        calls = NULL;
    }
    *callbacks = calls;
    *ncallbacks = ncalls;
    return result < 0 ? -1 : cleared;
}

void _rgc_weakrefs_run_callbacks(rgc_heap_t *h, rgc_object_t **callbacks, size_t n)
{
    for (size_t i = 0; i < n; i++) {
        rgc_weakref_obj_t *wr = as_weakref(callbacks[i]);
        run_callback(wr);
        rgc_decref(wr);
    }
    rgc_mem_free(h, callbacks);
}

/* ---- type hooks */

/* dealloc: a weakref that dies before its referent leaves the list (the
 * runtime has already dropped ctx, and key for a KeyedRef). */
static void weakref_dealloc(rgc_object_t *o)
{
    rgc_weakref_obj_t *wr = as_weakref(o);
    if (wr->referent) {
        rgc_heap_t *h = rgc_heap_of(wr->referent); /* the weakref's heap too */
        unlink_ref(h, h->weak, wr);
    }
}

/* hash: the referent's, computed once and kept, so a weakref keeps its hash
 * after the referent dies (a dict keyed by it still finds it).  A weakref
 * hashed only after its referent died hashes by identity, which agrees with
 * its equality (dead weakrefs equal only themselves); CPython raises
 * TypeError there instead.  An unhashable referent makes the weakref
 * unhashable (rgc_hash sees the failure). */
static uint64_t weakref_hash(const rgc_object_t *o)
{
    rgc_weakref_obj_t *wr = as_weakref(o);
    if (wr->hash)
        return wr->hash;
    uint64_t hv;
    if (wr->referent) {
        if (rgc_hash(wr->referent, &hv) < 0)
            return 0;
    } else {
        uint64_t a = (uint64_t)(uintptr_t)o;
        hv = (a >> 4) | (a << 60);
    }
    wr->hash = hv ? hv : 1;
    return wr->hash;
}

/* eq: two weakrefs whose referents are both alive are equal when the
 * referents are; otherwise only a weakref equals itself (CPython's rule). */
static int weakref_eq(const rgc_object_t *a, const rgc_object_t *b)
{
    if (!_rgc_is_weakref(b))
        return 0;
    rgc_object_t *ra = as_weakref(a)->referent, *rb = as_weakref(b)->referent;
    if (!ra || !rb)
        return a == b;
    if (ra == rb)
        return 1;
    /* The comparison may run embedder code that drops them. */
    rgc_incref(ra);
    rgc_incref(rb);
    int r = rgc_equal(ra, rb);
    rgc_decref(ra);
    rgc_decref(rb);
    return r;
}

/* repr: CPython's "<weakref at 0x..; to 'T' at 0x..>" or "...; dead>". */
static void weakref_repr(const rgc_object_t *o, char *buf, size_t size)
{
    const rgc_weakref_obj_t *wr = as_weakref(o);
    const char *name = _rgc_type(o)->name;
    if (!wr->referent) {
        snprintf(buf, size, "<%s at %p; dead>", name, (const void *)o);
        return;
    }
    rgc_type_t *t = _rgc_type_checked(wr->referent->type_id);
    snprintf(buf, size, "<%s at %p; to '%s' at %p>", name, (const void *)o, t ? t->name : "?",
             (void *)wr->referent);
}

void _rgc_register_weakref(void)
{
    static const rgc_ref_field_t fields[] = {
        {"ctx", offsetof(rgc_weakref_obj_t, ctx)},
        {"key", offsetof(rgc_keyedref_obj_t, key)},
    };
    rgc_type_spec_t spec = {
        .name = "weakref",
        .basic_size = sizeof(rgc_weakref_obj_t),
        .flags = RGC_TF_BUILTIN,
        .ref_fields = fields,
        .n_ref_fields = 1,
        .dealloc = weakref_dealloc,
        .hash = weakref_hash,
        .eq = weakref_eq,
        .repr = weakref_repr,
    };
    _rgc_t_weakref = _rgc_type_register(&spec);
    spec.name = "weakref.KeyedRef";
    spec.basic_size = sizeof(rgc_keyedref_obj_t);
    spec.n_ref_fields = 2;
    _rgc_t_keyedref = _rgc_type_register(&spec);
    _rgc_register_weakdict();
}

/* ---- public API */

/* True when wr is a weakref object; otherwise reports RGC_EINVAL for fn. */
static bool check_weakref(const void *wr, const char *fn)
{
    if (RGC_LIKELY(_rgc_is_weakref(wr)))
        return true;
    return _rgc_expect_type_failed(wr, _rgc_t_weakref, fn);
}

/* A new weakref object of type t (weakref or KeyedRef) to obj; see
 * rgc_weakref_new.  key is only for a KeyedRef. */
static rgc_object_t *new_ref(rgc_type_t *t, rgc_object_t *obj, rgc_weakref_fn callback,
                             rgc_object_t *ctx, rgc_object_t *key, const char *fn)
{
    if (!t) {
        _rgc_report(RGC_ENOMEM, obj, NULL, "%s: the weakref type could not be registered", fn);
        return NULL;
    }
    if (!obj) {
        _rgc_report(RGC_EINVAL, NULL, NULL, "%s: NULL object", fn);
        return NULL;
    }
    rgc_type_t *ot = _rgc_type_checked(obj->type_id);
    if (!ot) {
        _rgc_report(RGC_EINVAL, obj, NULL, "%s: not an object (type id %u)", fn, obj->type_id);
        return NULL;
    }
    if (!(ot->flags & RGC_TF_WEAKREFABLE)) {
        _rgc_report(RGC_EINVAL, obj, ot->name, "%s: cannot create weak reference to '%s' object",
                    fn, ot->name);
        return NULL;
    }
    if (obj->refcnt == 0) {
        _rgc_report(RGC_EMISUSE, obj, ot->name, "%s: the object is being destroyed", fn);
        return NULL;
    }
    rgc_heap_t *h = rgc_heap_of(obj);
    /* Allocate first: an allocation may run a collection, which may change
     * the table and obj's flag; nothing after it runs embedder code. */
    rgc_weakref_obj_t *wr = rgc_new(h, t);
    if (!wr)
        return NULL;
    wr->ctx = ctx;
    rgc_xincref(ctx);
    wr->callback = callback;
    if (key)
        ((rgc_keyedref_obj_t *)wr)->key = rgc_newref(key);
    struct rgc_weaktab *tab = tab_of(h);
    if (!tab || (!(obj->flags & RGC_OF_WEAKREFED) && tab_reserve(h, tab) < 0)) {
        rgc_decref(wr); /* linked nowhere: its dealloc has nothing to do */
        return NULL;
    }
    link_ref(tab, wr, obj);
    return &wr->ob_base;
}

/*
 * A new weakref to obj (new reference).  NULL with RGC_EINVAL when obj is
 * NULL, no object, or of a type without RGC_TF_WEAKREFABLE; RGC_EMISUSE
 * when obj is being destroyed; RGC_ENOMEM.  ctx_obj (may be NULL) is held
 * until the callback has run or the weakref dies.
 */
void *rgc_weakref_new(void *obj, rgc_weakref_fn callback, void *ctx_obj)
{
    _rgc_builtins_init();
    return new_ref(_rgc_t_weakref, obj, callback, ctx_obj, NULL, "rgc_weakref_new");
}

rgc_object_t *_rgc_keyedref_new(rgc_object_t *obj, rgc_weakref_fn callback, rgc_object_t *ctx,
                                rgc_object_t *key)
{
    return new_ref(_rgc_t_keyedref, obj, callback, ctx, key, "KeyedRef");
}

/* The live referent of wr, or NULL; a referent whose count is zero is
 * dying and no longer handed out. */
static rgc_object_t *live_referent(const void *wr)
{
    rgc_object_t *r = as_weakref(wr)->referent;
    return r && r->refcnt != 0 ? r : NULL;
}

/* The referent as a new reference; NULL once it died, or on a bad argument
 * (RGC_EINVAL). */
void *rgc_weakref_get(const void *weakref)
{
    if (!check_weakref(weakref, "rgc_weakref_get"))
        return NULL;
    rgc_object_t *r = live_referent(weakref);
    rgc_xincref(r);
    return r;
}

/* The referent, borrowed; NULL once it died, or on a bad argument
 * (RGC_EINVAL). */
void *rgc_weakref_peek(const void *weakref)
{
    if (!check_weakref(weakref, "rgc_weakref_peek"))
        return NULL;
    return live_referent(weakref);
}

/* The weakrefs pointing at obj, not counting any being destroyed.  0 for an
 * object nothing refers to weakly, or of a type that cannot be; 0 with
 * RGC_EINVAL for NULL. */
size_t rgc_weakref_count(const void *obj)
{
    if (!obj) {
        _rgc_report(RGC_EINVAL, NULL, NULL, "rgc_weakref_count: NULL object");
        return 0;
    }
    const rgc_object_t *o = obj;
    if (!(o->flags & RGC_OF_WEAKREFED))
        return 0;
    const struct rgc_weaktab *tab = rgc_heap_of(o)->weak;
    size_t i = tab_find(tab, o);
    size_t n = 0;
    for (rgc_weakref_obj_t *wr = i == SIZE_MAX ? NULL : tab->slots[i].head; wr; wr = wr->next)
        if (wr->ob_base.refcnt != 0)
            n++;
    return n;
}

rgc_type_t *rgc_weakref_type(void)
{
    _rgc_builtins_init();
    return _rgc_t_weakref;
}

/* ---- checking */

static int check_fail(rgc_check_result_t *out, const void *addr, const char *msg)
{
    return _rgc_check_fail(out, addr, "%s", msg);
}

bool _rgc_weaktab_has(const rgc_heap_t *h, const rgc_object_t *o)
{
    return tab_find(h->weak, o) != SIZE_MAX;
}

/* Checks one referent's slot i and its list; adds the list's length to
 * *nrefs.  The walk stops after `limit` weakrefs. */
static int check_slot(const struct rgc_weaktab *tab, size_t i, size_t limit, size_t *nrefs,
                      rgc_check_result_t *out)
{
    const rgc_weakslot_t *s = &tab->slots[i];
    const rgc_object_t *o = s->referent;
    size_t mask = tab->cap - 1;
    for (size_t j = home_slot(tab, o); j != i; j = (j + 1) & mask)
        if (!tab->slots[j].referent)
            return check_fail(out, o, "weak table entry unreachable from its home slot");
    rgc_type_t *t = _rgc_type_checked(o->type_id);
    if (o->refcnt == 0 || !t)
        return check_fail(out, o, "weak table names a dead object");
    if (!(t->flags & RGC_TF_WEAKREFABLE))
        return check_fail(out, o, "weak table names an object that is not weak-referenceable");
    if (!(o->flags & RGC_OF_WEAKREFED))
        return check_fail(out, o, "weakly referenced object lacks RGC_OF_WEAKREFED");
    if (!s->head)
        return check_fail(out, o, "weak table entry with an empty list");
    const rgc_weakref_obj_t *prev = NULL;
    for (const rgc_weakref_obj_t *wr = s->head; wr; prev = wr, wr = wr->next) {
        if (++*nrefs > limit)
            return check_fail(out, o, "weakref lists hold more weakrefs than counted, or loop");
        if (!_rgc_is_weakref(&wr->ob_base))
            return check_fail(out, wr, "weakref list holds an object that is not a weakref");
        if (wr->referent != o)
            return check_fail(out, wr, "weakref on another object's list");
        if (wr->prev != prev)
            return check_fail(out, wr, "weakref list has a broken back link");
    }
    return 0;
}

int _rgc_weaktab_check(rgc_heap_t *h, rgc_check_result_t *out)
{
    const struct rgc_weaktab *tab = h->weak;
    if (!tab)
        return 0;
    if (tab->cap == 0) {
        if (tab->slots || tab->len || tab->nrefs || tab->shift)
            return check_fail(out, tab, "empty weak table with entries");
        return 0;
    }
    if ((tab->cap & (tab->cap - 1)) || tab->cap < RGC_WEAKTAB_MIN || !tab->slots ||
        tab->shift != 64u - (unsigned)__builtin_ctzll((unsigned long long)tab->cap))
        return check_fail(out, tab, "weak table geometry is inconsistent");
    if (tab->len * 3 > tab->cap * 2)
        return check_fail(out, tab, "weak table is over its load limit");
    size_t len = 0, nrefs = 0;
    for (size_t i = 0; i < tab->cap; i++) {
        if (!tab->slots[i].referent)
            continue;
        len++;
        if (check_slot(tab, i, tab->nrefs, &nrefs, out) < 0)
            return -1;
    }
    if (len != tab->len)
        return check_fail(out, tab, "weak table counts the wrong number of referents");
    if (nrefs != tab->nrefs)
        return check_fail(out, tab, "weak table counts the wrong number of weakrefs");
    return 0;
}
