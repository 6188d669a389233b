/*
 * target.c — the program the reader's tests read: it builds a varied heap
 * through the public API, prints on one line (JSON) what the runtime itself
 * reports about it, then stops itself (SIGSTOP) so that a test can read it
 * live and take a core file.  When continued it exits 0.
 *
 * The heap exercises what a reader must get right: cached small ints and
 * boxed ones, every built-in type, a class, a type with reference fields, a
 * garbage cycle not yet collected, objects in every generation (0, 1, 2 and
 * the permanent one), weak references (live, and one cleared), raw blocks of
 * several classes, large blocks (raw and objects), partly free pools, pages
 * given back inside pools in use (holes), a pool counting from its low-water
 * mark, a held block, the event recorder, and allocation tracing (4 frames,
 * every allocation) over the second half of the build: blocks from the
 * allocation macros at several sites, from plain calls, and some of them
 * freed, small ones (traced in slots beside their pools) and large ones
 * (traced in the trace's entries).  A second heap, which does not trace, shows that the reader walks
 * the heap list.  With the argument "idle" it stops before it uses rgc at
 * all.
 *
 * Built by tests/plugins/test_reader.py, -O0 -g and -O2 -s:
 *   cc -std=c11 -Iinclude tests/plugins/target.c build/librgc.a \
 *      -Wl,--export-dynamic-symbol=rgc_debug_table -lpthread -lm
 */
#define _GNU_SOURCE
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <unistd.h>

#include <rgc.h>

#define CHECK(x)                                                                  \
    do {                                                                          \
        if (!(x)) {                                                               \
            fprintf(stderr, "target: %s:%d: %s failed\n", __FILE__, __LINE__, #x); \
            exit(2);                                                              \
        }                                                                         \
    } while (0)

/* A user type with two reference fields and a plain one. */
typedef struct node {
    RGC_OBJECT_HEAD;
    rgc_object_t *left;
    rgc_object_t *right;
    int64_t value;
} node_t;

static rgc_type_t *node_type;
static rgc_type_t *thing_class;

static void register_types(void)
{
    static const rgc_ref_field_t fields[] = {
        {"left", offsetof(node_t, left)},
        {"right", offsetof(node_t, right)},
    };
    rgc_type_spec_t spec = {
        .name = "test.Node",
        .basic_size = sizeof(node_t),
        .flags = RGC_TF_WEAKREFABLE,
        .ref_fields = fields,
        .n_ref_fields = 2,
    };
    node_type = rgc_type_register(&spec);
    CHECK(node_type);
    thing_class = rgc_class_register("Thing");
    CHECK(thing_class);
}

/* Appends obj to list and drops the caller's reference. */
static void keep(void *list, void *obj)
{
    CHECK(obj);
    CHECK(rgc_list_append(list, obj) == 0);
    rgc_decref(obj);
}

static void *node_new(rgc_heap_t *h, int64_t value, void *left, void *right)
{
    node_t *n = rgc_new(h, node_type);
    CHECK(n);
    n->value = value;
    n->left = left ? rgc_newref(left) : NULL;
    n->right = right ? rgc_newref(right) : NULL;
    return n;
}

static void *str_of(rgc_heap_t *h, const char *prefix, int i)
{
    char buf[96];
    snprintf(buf, sizeof buf, "%s-%d", prefix, i);
    return rgc_str_from_cstr(h, buf);
}

/* ---- what the runtime reports, gathered before anything is printed */

#define MAX_TYPES 256
#define NLOOKUPS 3 /* blocks whose traces the report gives: see lookup_blocks */

typedef struct report {
    rgc_heap_t *heap;
    rgc_heap_stats_t stats;
    size_t walked;
    size_t per_type[MAX_TYPES];
    size_t per_gen[5]; /* -1 (untracked), 0, 1, 2, 3 */
    size_t referents, weakrefs;
    size_t gc_count[3], gc_threshold[3];
    int gc_enabled;
    size_t rec_capacity, nevents;
    rgc_event_t events[256];
    /* allocation tracing (when the heap traces) */
    int tracing;
    unsigned frame_limit;
    size_t trace_current, trace_peak, trace_count, trace_bytes;
    rgc_trace_snapshot_t *snapshot; /* the statistics point into it */
    rgc_trace_stat_t *sites;        /* by site, from free() */
    long nsites;
    struct lookup {
        const void *block;
        int found;
        rgc_trace_info_t info;
    } lookups[NLOOKUPS];
} report_t;

/* The blocks whose allocation sites the report gives (rgc_trace_get): a
 * small block from an allocation macro and one from a plain call (their
 * traces are in pool slots), and a large block from a macro (among the
 * trace's entries). */
static const void *lookup_blocks[NLOOKUPS];

static int count_object(rgc_object_t *o, void *arg)
{
    report_t *r = arg;
    uint32_t id = rgc_type_id(rgc_typeof(o));
    if (id < MAX_TYPES)
        r->per_type[id]++;
    r->per_gen[rgc_generation(o) + 1]++;
    size_t w = rgc_weakref_count(o);
    if (w) {
        r->referents++;
        r->weakrefs += w;
    }
    return 0;
}

static void gather(report_t *r, rgc_heap_t *h)
{
    memset(r, 0, sizeof *r);
    r->heap = h;
    CHECK(rgc_heap_stats(h, &r->stats) == 0);
    r->walked = rgc_heap_objects(h, count_object, r);
    rgc_gc_get_count(h, r->gc_count);
    rgc_gc_get_threshold(h, r->gc_threshold);
    r->gc_enabled = rgc_gc_is_enabled(h);
    r->rec_capacity = rgc_recorder_capacity(h);
    r->nevents = rgc_recorder_events(h, r->events, sizeof r->events / sizeof r->events[0]);
    r->tracing = rgc_trace_is_tracing(h);
    if (r->tracing) {
        r->frame_limit = rgc_trace_frame_limit(h);
        rgc_trace_get_traced_memory(h, &r->trace_current, &r->trace_peak);
        CHECK((r->snapshot = rgc_trace_take_snapshot(h)) != NULL);
        r->trace_count = rgc_trace_snapshot_count(r->snapshot, &r->trace_bytes);
        CHECK((r->nsites = rgc_trace_statistics(r->snapshot, RGC_TRACE_BY_SITE, &r->sites)) >= 0);
        for (int i = 0; i < NLOOKUPS; i++) {
            r->lookups[i].block = lookup_blocks[i];
            r->lookups[i].found = rgc_trace_get(h, lookup_blocks[i], &r->lookups[i].info) == 0;
        }
    }
}

static void release(report_t *r)
{
    free(r->sites);
    rgc_trace_snapshot_free(r->snapshot);
    r->sites = NULL;
    r->snapshot = NULL;
}

static void print_str(const char *s)
{
    putchar('"');
    for (; *s; s++) {
        if (*s == '"' || *s == '\\')
            printf("\\%c", *s);
        else if ((unsigned char)*s < 0x20)
            printf("\\u%04x", (unsigned char)*s);
        else
            putchar(*s);
    }
    putchar('"');
}

static void print_hex(const void *p)
{
    printf("\"0x%llx\"", (unsigned long long)(uintptr_t)p);
}

/* "file": ..., "line": ..., "function": ... of a site (all null without). */
static void print_site(const rgc_site_t *site)
{
    printf("\"file\": ");
    if (site && site->file)
        print_str(site->file);
    else
        printf("null");
    if (site)
        printf(", \"line\": %u", (unsigned)site->line);
    else
        printf(", \"line\": null");
    printf(", \"function\": ");
    if (site && site->function)
        print_str(site->function);
    else
        printf("null");
}

static void print_trace(const report_t *r)
{
    if (!r->tracing) {
        printf("null");
        return;
    }
    printf("{\"frame_limit\": %u, \"current\": %zu, \"peak\": %zu, \"count\": %zu, \"bytes\": %zu",
           r->frame_limit, r->trace_current, r->trace_peak, r->trace_count, r->trace_bytes);
    printf(", \"sites\": [");
    for (long i = 0; i < r->nsites; i++) {
        const rgc_trace_stat_t *st = &r->sites[i];
        printf("%s{", i ? ", " : "");
        print_site(st->site);
        printf(", \"first_frame\": ");
        if (!st->site && st->nframes)
            print_hex(st->frames[0]);
        else
            printf("null");
        printf(", \"size\": %zu, \"count\": %zu}", st->size, st->count);
    }
    printf("], \"lookups\": [");
    for (int i = 0; i < NLOOKUPS; i++) {
        const struct lookup *l = &r->lookups[i];
        printf("%s{\"address\": %llu, \"found\": %s", i ? ", " : "",
               (unsigned long long)(uintptr_t)l->block, l->found ? "true" : "false");
        if (l->found) {
            printf(", \"size\": %zu, ", l->info.size);
            print_site(l->info.site);
            printf(", \"frames\": [");
            for (unsigned k = 0; k < l->info.nframes; k++) {
                printf("%s", k ? ", " : "");
                print_hex(l->info.frames[k]);
            }
            printf("]");
        }
        printf("}");
    }
    printf("]}");
}

static void print_report(const report_t *r)
{
    const rgc_heap_stats_t *s = &r->stats;
    printf("{\"name\": ");
    print_str(rgc_heap_name(r->heap));
    printf(", \"address\": %llu", (unsigned long long)(uintptr_t)r->heap);
    printf(", \"arenas\": %zu, \"objects\": %zu, \"walked\": %zu", s->arenas, s->objects, r->walked);
    printf(", \"large_blocks\": %zu, \"large_bytes\": %zu, \"pages_released\": %zu", s->large_blocks,
           s->large_bytes, s->pages_released);
    printf(", \"tracked\": [%zu, %zu, %zu, %zu]", s->tracked[0], s->tracked[1], s->tracked[2], s->tracked[3]);
    printf(", \"classes\": {");
    const char *sep = "";
    for (unsigned c = 0; c < RGC_NCLASSES; c++) {
        const rgc_class_stats_t *cs = &s->classes[c];
        if (!cs->pools)
            continue;
        printf("%s\"%u\": {\"block_size\": %u, \"pools\": %zu, \"blocks_used\": %zu, \"blocks_free\": %zu}",
               sep, c, cs->block_size, cs->pools, cs->blocks_used, cs->blocks_free);
        sep = ", ";
    }
    printf("}, \"types\": {");
    sep = "";
    for (uint32_t id = 0; id < MAX_TYPES; id++) {
        if (!r->per_type[id])
            continue;
        printf("%s", sep);
        print_str(rgc_type_name(rgc_type_by_id(id)));
        printf(": %zu", r->per_type[id]);
        sep = ", ";
    }
    printf("}, \"generations\": {\"untracked\": %zu, \"0\": %zu, \"1\": %zu, \"2\": %zu, \"3\": %zu}",
           r->per_gen[0], r->per_gen[1], r->per_gen[2], r->per_gen[3], r->per_gen[4]);
    printf(", \"weak\": {\"referents\": %zu, \"weakrefs\": %zu}", r->referents, r->weakrefs);
    printf(", \"gc\": {\"enabled\": %s, \"threshold\": [%zu, %zu, %zu], \"count\": [%zu, %zu, %zu]}",
           r->gc_enabled ? "true" : "false", r->gc_threshold[0], r->gc_threshold[1], r->gc_threshold[2],
           r->gc_count[0], r->gc_count[1], r->gc_count[2]);
    printf(", \"recorder\": {\"capacity\": %zu, \"events\": [", r->rec_capacity);
    for (size_t i = 0; i < r->nevents; i++) {
        const rgc_event_t *e = &r->events[i];
        printf("%s[%llu, %u, %u, %llu, %llu, %llu]", i ? ", " : "", (unsigned long long)e->seq, e->kind,
               e->type_id, (unsigned long long)e->address, (unsigned long long)e->size,
               (unsigned long long)e->site);
    }
    printf("]}, \"trace\": ");
    print_trace(r);
    printf("}");
}

/* ---- the heap */

/* Blocks from the allocation macros at several sites (each its own file,
 * line and function), from plain calls (their first frame is the site),
 * and some of both freed again.  Sizes keep clear of the classes the rest
 * of build_main counts on (64 and 400 bytes). */
static void build_traced(rgc_heap_t *h, void *keepl)
{
    /* Nodes from one site in a loop, a third of them dead again. */
    for (int i = 0; i < 12; i++) {
        node_t *n = RGC_NEW(h, node_type);
        CHECK(n);
        n->value = 1000 + i;
        if (i % 3 == 0)
            rgc_decref(n);
        else
            keep(keepl, n);
    }
    /* One node from a second site: a lookup. */
    node_t *lone = RGC_NEW(h, node_type);
    CHECK(lone);
    lone->value = 2000;
    lookup_blocks[0] = lone;
    keep(keepl, lone);

    /* Raw blocks from two sites, a third of the first site's freed; a
     * large one (the third lookup). */
    static void *raw[30];
    for (int i = 0; i < 30; i++)
        CHECK((raw[i] = RGC_MEM_ALLOC(h, 40 + (size_t)i % 8)) != NULL);
    for (int i = 0; i < 30; i += 3)
        rgc_mem_free(h, raw[i]);
    static void *raw100[5];
    for (int i = 0; i < 5; i++)
        CHECK((raw100[i] = RGC_MEM_ALLOC(h, 100)) != NULL);
    void *big = RGC_MEM_ALLOC(h, 3000);
    CHECK(big);
    lookup_blocks[2] = big;
    void *gone = RGC_MEM_ALLOC(h, 2500);
    CHECK(gone);
    rgc_mem_free(h, gone);

    /* A variable-size object from its macro. */
    void *t = RGC_NEW_VAR(h, rgc_tuple_type(), 3);
    CHECK(t);
    keep(keepl, t);

    /* Plain calls: no site, the first frame stands for it.  One of the
     * blocks is the second lookup. */
    static void *plain[10];
    for (int i = 0; i < 10; i++)
        CHECK((plain[i] = rgc_mem_alloc(h, 24)) != NULL);
    for (int i = 0; i < 10; i += 4)
        rgc_mem_free(h, plain[i]);
    lookup_blocks[1] = plain[5];
    keep(keepl, node_new(h, 3000, NULL, NULL));
}

static void build_main(rgc_heap_t *h, void **roots)
{
    /* The permanent generation: a dict of floats, frozen. */
    void *frozen = rgc_dict_new(h);
    CHECK(frozen);
    for (int i = 0; i < 5; i++) {
        void *k = str_of(h, "frozen", i), *v = rgc_float_new(h, i * 0.5);
        CHECK(k && v && rgc_dict_set(frozen, k, v) == 0);
        rgc_decref(k);
        rgc_decref(v);
    }
    rgc_gc_freeze(h);
    roots[0] = frozen;

    void *keepl = rgc_list_new(h, 0);
    CHECK(keepl);
    roots[1] = keepl;

    /* Generation 2 after a collection of generation 1: nodes, dicts,
     * tuples, and boxed ints (a long list: its item array is large). */
    void *prev = NULL;
    for (int i = 0; i < 60; i++) {
        void *n = node_new(h, i, prev, NULL);
        keep(keepl, n);
        prev = n;
    }
    for (int i = 0; i < 20; i++) {
        void *d = rgc_dict_new(h);
        CHECK(d);
        void *small = rgc_int_new(h, i); /* from the heap's cache */
        void *big = rgc_int_new(h, 1000000 + i);
        CHECK(small && big && rgc_dict_set_str(d, "x", small) == 0 && rgc_dict_set_str(d, "big", big) == 0);
        rgc_decref(small);
        rgc_decref(big);
        keep(keepl, d);
        void *t = rgc_tuple_pack(h, 2, d, d);
        keep(keepl, t);
    }
    void *ints = rgc_list_new(h, 0);
    CHECK(ints);
    for (int i = 0; i < 3000; i++)
        keep(ints, rgc_int_new(h, (i % 7 == 0) ? i % 200 : 100000 + i));
    keep(keepl, ints);
    CHECK(rgc_gc_collect(h, 1) >= 0);

    /* Generation 1: lists, sets, class instances, bytes, arrays. */
    for (int i = 0; i < 30; i++) {
        void *l = rgc_list_new(h, 4);
        CHECK(l);
        keep(l, str_of(h, "item", i));
        keep(keepl, l);
        void *s = rgc_set_new(h);
        CHECK(s);
        void *k = rgc_int_new(h, 5000 + i);
        CHECK(rgc_set_add(s, k) == 0);
        rgc_decref(k);
        keep(keepl, s);
        void *o = rgc_instance_new(h, thing_class);
        CHECK(o);
        void *v = rgc_float_new(h, i + 0.25);
        CHECK(rgc_attr_set(o, "v", v) == 0);
        rgc_decref(v);
        keep(keepl, o);
        keep(keepl, rgc_bytes_new(h, "abcdefgh", 1 + (size_t)i % 8));
    }
    void *arr = rgc_array_new(h, RGC_ARRAY_F64, 0);
    CHECK(arr);
    for (int i = 0; i < 100; i++)
        CHECK(rgc_array_append_float(arr, i * 1.5) == 0);
    keep(keepl, arr);
    CHECK(rgc_gc_collect(h, 0) >= 0);

    /* Raw blocks of several classes, some freed: pools partly free. */
    static const size_t sizes[] = {8, 24, 48, 100, 200, 300, 500};
    static void *raw[7][200];
    for (int s = 0; s < 7; s++)
        for (int i = 0; i < 200; i++)
            CHECK((raw[s][i] = rgc_mem_alloc(h, sizes[s])) != NULL);
    for (int s = 0; s < 7; s++)
        for (int i = 0; i < 200; i += 3)
            rgc_mem_free(h, raw[s][i]);

    /* Pages given back inside pools in use: 2048 blocks of 80 bytes (204 a
     * pool), all freed but every 204th, then a trim: the pools keep a
     * block or two and give back their other pages. */
    static void *b80[2048];
    for (int i = 0; i < 2048; i++)
        CHECK((b80[i] = rgc_mem_alloc(h, 80)) != NULL);
    for (int i = 0; i < 2048; i++)
        if (i % 204 != 200)
            rgc_mem_free(h, b80[i]);
    rgc_heap_trim(h);

    /* Everything from here on is traced, and in the event recorder. */
    CHECK(rgc_trace_start(h, 4, 0) == 0);
    build_traced(h, keepl);

    CHECK(rgc_recorder_start(h, 64) == 0);

    /* A pool counting from its low-water mark: fill 1000 blocks of 64
     * bytes (256 a pool), give a few of the first pool's back. */
    static void *b64[1000];
    for (int i = 0; i < 1000; i++)
        CHECK((b64[i] = rgc_mem_alloc(h, 64)) != NULL);
    for (int i = 10; i < 16; i++)
        rgc_mem_free(h, b64[i]);

    /* A held block: a free into a full bitmap pool (40 blocks of 400 bytes
     * a pool), with nothing else held in its class (no other allocation of
     * the class follows). */
    static void *b400[100];
    for (int i = 0; i < 100; i++)
        CHECK((b400[i] = rgc_mem_alloc(h, 400)) != NULL);
    rgc_mem_free(h, b400[0]);

    /* Floats and strings in generation 0's containers. */
    void *young = rgc_list_new(h, 0);
    CHECK(young);
    for (int i = 0; i < 40; i++) {
        keep(young, rgc_float_new(h, i / 3.0));
        keep(young, str_of(h, "a somewhat longer string so that it takes a bigger class", i));
    }
    keep(keepl, young);

    /* Weak references: ten nodes with one to three weakrefs each, a
     * weakref whose referent died, and a weak-value dictionary. */
    static void *weak[40];
    int nweak = 0;
    for (int i = 0; i < 10; i++) {
        void *n = node_new(h, 100 + i, NULL, NULL);
        for (int k = 0; k <= i % 3; k++)
            CHECK((weak[nweak++] = rgc_weakref_new(n, NULL, NULL)) != NULL);
        keep(keepl, n);
    }
    void *doomed = node_new(h, -1, NULL, NULL);
    CHECK((weak[nweak++] = rgc_weakref_new(doomed, NULL, NULL)) != NULL);
    rgc_decref(doomed);
    void *wvd = rgc_weakvaluedict_new(h);
    CHECK(wvd);
    for (int i = 0; i < 3; i++) {
        void *k = str_of(h, "wkey", i);
        CHECK(rgc_weakvaluedict_set(wvd, k, rgc_list_get(keepl, (size_t)i)) == 0);
        rgc_decref(k);
    }
    keep(keepl, wvd);
    roots[2] = weak;

    /* Large blocks: a tuple of 100 items (an object), raw blocks. */
    void *big = rgc_tuple_new(h, 100);
    CHECK(big);
    for (size_t i = 0; i < 100; i++)
        CHECK(rgc_tuple_set(big, i, rgc_int_new(h, (int64_t)i * 1000)) == 0);
    keep(keepl, big);
    void *l1 = rgc_mem_alloc(h, 1000), *l2 = rgc_mem_alloc(h, 5000), *l3 = rgc_mem_alloc(h, 200000);
    CHECK(l1 && l2 && l3);
    rgc_mem_free(h, l2);
    roots[3] = l1;
    roots[4] = l3;

    /* The young objects so far move to generation 1; what follows stays
     * in generation 0. */
    CHECK(rgc_gc_collect(h, 0) >= 0);
    void *young2 = rgc_list_new(h, 0);
    CHECK(young2);
    for (int i = 0; i < 5; i++)
        keep(young2, rgc_tuple_pack(h, 1, rgc_list_get(keepl, (size_t)i)));
    keep(keepl, young2);

    /* A garbage cycle the collector has not seen yet. */
    void *a = rgc_instance_new(h, thing_class), *b = rgc_instance_new(h, thing_class);
    CHECK(a && b);
    CHECK(rgc_attr_set(a, "peer", b) == 0 && rgc_attr_set(b, "peer", a) == 0);
    rgc_decref(a);
    rgc_decref(b);
    void *c1 = node_new(h, 1, NULL, NULL), *c2 = node_new(h, 2, c1, NULL);
    ((node_t *)c1)->left = rgc_newref(c2);
    rgc_decref(c1);
    rgc_decref(c2);

    /* A temporary: its count reaches zero and its block is freed. */
    rgc_decref(rgc_float_new(h, 2.5));
}

static void build_aux(rgc_heap_t *h, void **roots)
{
    void *l = rgc_list_new(h, 0);
    CHECK(l);
    for (int i = 0; i < 25; i++)
        keep(l, str_of(h, "aux", i));
    keep(l, rgc_int_new(h, 77777));
    roots[0] = l;
}

/* `target sampled`: one heap that samples (about one allocation per 1 KiB),
 * with two sites holding about the same bytes in small and in large blocks;
 * prints the runtime's statistics by site, estimates included, and stops. */
static int run_sampled(void)
{
    rgc_heap_t *h = rgc_heap_new(&(rgc_heap_config_t){.name = "sampled"});
    CHECK(h && rgc_trace_start(h, 1, 1024) == 0);
    static void *small[20000], *large[200];
    for (int i = 0; i < 20000; i++)
        CHECK((small[i] = RGC_MEM_ALLOC(h, 16)) != NULL);
    for (int i = 0; i < 200; i++)
        CHECK((large[i] = RGC_MEM_ALLOC(h, 1600)) != NULL);
    rgc_trace_snapshot_t *snap = rgc_trace_take_snapshot(h);
    rgc_trace_stat_t *st;
    long n;
    CHECK(snap && (n = rgc_trace_statistics(snap, RGC_TRACE_BY_SITE, &st)) > 0);
    printf("{\"pid\": %d, \"sample_bytes\": %zu, \"sites\": [", (int)getpid(),
           rgc_trace_snapshot_sample_bytes(snap));
    for (long i = 0; i < n; i++) {
        printf("%s{", i ? ", " : "");
        print_site(st[i].site);
        printf(", \"size\": %zu, \"count\": %zu, \"estimated_size\": %zu, \"estimated_count\": %zu}",
               st[i].size, st[i].count, st[i].estimated_size, st[i].estimated_count);
    }
    printf("]}\n");
    fflush(stdout);
    free(st);
    rgc_trace_snapshot_free(snap);
    raise(SIGSTOP);
    rgc_heap_destroy(h);
    return 0;
}

int main(int argc, char **argv)
{
    /* Let the test's reader and gdb read this process under Yama's
     * ptrace_scope 1 as well (they are not its parent). */
    prctl(PR_SET_PTRACER, PR_SET_PTRACER_ANY, 0, 0, 0);
    if (argc > 1 && strcmp(argv[1], "idle") == 0) {
        /* Stopped before its first use of rgc: the table is not
         * initialized and the runtime has no heap. */
        printf("{\"pid\": %d, \"heaps\": []}\n", (int)getpid());
        fflush(stdout);
        raise(SIGSTOP);
        return 0;
    }
    if (argc > 1 && strcmp(argv[1], "sampled") == 0)
        return run_sampled();
    register_types();
    rgc_heap_t *h = rgc_heap_new(&(rgc_heap_config_t){.name = "main"});
    rgc_heap_t *aux = rgc_heap_new(&(rgc_heap_config_t){.name = "aux"});
    CHECK(h && aux);
    void *roots[8] = {0}, *aux_roots[2] = {0};
    build_main(h, roots);
    build_aux(aux, aux_roots);

    static report_t reports[2];
    gather(&reports[0], h);
    gather(&reports[1], aux);
    printf("{\"pid\": %d, \"heaps\": [", (int)getpid());
    print_report(&reports[0]);
    printf(", ");
    print_report(&reports[1]);
    printf("]}\n");
    fflush(stdout);
    release(&reports[0]);
    release(&reports[1]);

    raise(SIGSTOP);
    return 0;
}
