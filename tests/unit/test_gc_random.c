/*
 * test_gc_random.c — the cycle collector against an independent oracle on
 * random object graphs.
 *
 * Each seed builds a graph of nodes (three reference fields; some with a
 * finalizer, some whose finalizer resurrects the node into a global) and
 * lists, with self-edges and duplicate edges, holds external references in
 * a C array (the roots), runs collections of random generations while
 * everything is still rooted, then drops a random subset of the roots.  A
 * model of the heap, kept by this file alone, predicts what reference
 * counting frees at once; then, for a collection of generation g, which
 * objects are candidates (their generation before the collection), which of
 * those are unreachable (a BFS from the roots, the resurrection globals and
 * every older object), which finalizers run, what resurrection keeps
 * (everything the resurrected reach), and what dies in the cascade.  After
 * each step the heap must agree exactly: every freed node reported by its
 * dealloc hook once, every live object with its fields, items and
 * reference count intact, finalizer calls per node, the collector's return
 * value and statistics, generations, live object count, and the heap
 * checker.  Finally everything is dropped and one collection must free the
 * rest, each finalizer having run exactly once over the node's life.
 *
 * A failure names the seed and the phase; with RGC_GC_RANDOM_DUMP=1 in the
 * environment it also prints the seed's graph as the model sees it.
 */
#include "testutil.h"

#include <stdlib.h>

#define RANDOM_GC_SEEDS 2000       /* per test; two tests: about 3 s under ASan */
#define RANDOM_GC_MAX_OBJECTS 200  /* nodes and lists per graph */
#define NODE_REFS 3                /* reference fields per node */
#define LIST_MAX_ITEMS 6           /* references per list */
#define MAX_EDGES (NODE_REFS > LIST_MAX_ITEMS ? NODE_REFS : LIST_MAX_ITEMS)
#define MAX_ROOTS (RANDOM_GC_MAX_OBJECTS * 2)
#define NODE_MAGIC 0x4e4f4445u     /* "NODE": a node's body is intact */

typedef struct rnode {
    RGC_OBJECT_HEAD;
    rgc_object_t *ref[NODE_REFS];
    uint32_t id;    /* index in the model */
    uint32_t magic; /* NODE_MAGIC while alive */
} rnode_t;

enum { K_NODE, K_FIN, K_PHOENIX, K_LIST };
static const char *const kind_name[] = {"Node", "FinNode", "Phoenix", "list"};

/* The oracle: what the heap should look like.  Edges never change after
 * the graph is built, so hooks can compare an object with its model. */
typedef struct model {
    unsigned seed;
    const char *phase;
    int n;
    int kind[RANDOM_GC_MAX_OBJECTS];
    void *obj[RANDOM_GC_MAX_OBJECTS];        /* valid while alive */
    int edges[RANDOM_GC_MAX_OBJECTS][MAX_EDGES]; /* node: per field, -1 = NULL */
    int nedges[RANDOM_GC_MAX_OBJECTS];
    int roots[MAX_ROOTS];                    /* object held by each root */
    bool root_held[MAX_ROOTS];
    int nroots;
    bool global[RANDOM_GC_MAX_OBJECTS];      /* resurrected into a global */
    bool alive[RANDOM_GC_MAX_OBJECTS];
    bool finalized[RANDOM_GC_MAX_OBJECTS];
    int fin_expected[RANDOM_GC_MAX_OBJECTS];
    uint32_t cnt[RANDOM_GC_MAX_OBJECTS];     /* expected reference count */
    bool resurrect;                          /* Phoenix finalizers resurrect */
    size_t base_objects;                     /* live objects of an empty heap */
} model_t;

static model_t M;

/* What the hooks observed, by node id. */
static struct {
    int freed[RANDOM_GC_MAX_OBJECTS];
    int fin_calls[RANDOM_GC_MAX_OBJECTS];
    rgc_object_t *global[RANDOM_GC_MAX_OBJECTS];
    int fin_bad;      /* a finalizer found its node altered */
    int dealloc_bad;  /* a dealloc hook found references left or a bad id */
    char first_bad[160];
} obs;

/* What the seeds exercised, summed over a test: it must be everything the
 * test claims to cover. */
static struct {
    long collected;          /* objects the collector freed */
    long cascaded;           /* objects freed by counts after a collection */
    long resurrected[3];     /* by the generation collected */
    long kept_by_resurrected; /* unreachable objects a resurrected one kept */
    long young_with_garbage; /* collections of generation 0 or 1 that found some */
} coverage;

/* What the collection callback observed. */
static struct {
    int stops;
    int build_phase;      /* every collection should find nothing */
    int build_found;      /* ... but one did */
    rgc_gc_info_t last;
} cb;

static void dump_model(void);

/* On failure: the seed, the phase, what differs; with RGC_GC_RANDOM_DUMP
 * set in the environment, the model's graph too. */
#define CHECK(cond, ...)                                                                  \
    do {                                                                                  \
        if (!(cond)) {                                                                    \
            char m_[256];                                                                 \
            snprintf(m_, sizeof m_, __VA_ARGS__);                                         \
            if (getenv("RGC_GC_RANDOM_DUMP"))                                             \
                dump_model();                                                             \
            fail_msg("seed %u, %s: %s", M.seed, M.phase, m_);                             \
        }                                                                                 \
    } while (0)

/* ------------------------------------------------------------------------ */
/* Deterministic randomness (xorshift64*) */

static uint64_t rng;

static void rng_seed(unsigned seed)
{
    rng = 0x9E3779B97F4A7C15ull * (seed + 1u);
    if (!rng)
        rng = 1;
}

static uint32_t rnd(uint32_t n)
{
    rng ^= rng >> 12;
    rng ^= rng << 25;
    rng ^= rng >> 27;
    return (uint32_t)(((rng * 0x2545F4914F6CDD1Dull) >> 32) % n);
}

/* ------------------------------------------------------------------------ */
/* Types and hooks */

static void note_bad(int *counter, const char *what, uint32_t id)
{
    if (!(*counter)++ && !obs.first_bad[0])
        snprintf(obs.first_bad, sizeof obs.first_bad, "%s (node %u)", what, id);
}

/* A finalizer must see its node exactly as the model built it. */
static void check_intact(const rnode_t *nd)
{
    if (nd->magic != NODE_MAGIC || nd->id >= (uint32_t)M.n) {
        note_bad(&obs.fin_bad, "finalizer on a node with a bad id or magic", nd->id);
        return;
    }
    for (int k = 0; k < NODE_REFS; k++) {
        int t = M.edges[nd->id][k];
        if (nd->ref[k] != (t >= 0 ? M.obj[t] : NULL))
            note_bad(&obs.fin_bad, "finalizer found a field changed", nd->id);
    }
}

static void fin_finalize(rgc_object_t *o)
{
    rnode_t *nd = (rnode_t *)o;
    check_intact(nd);
    if (nd->id < RANDOM_GC_MAX_OBJECTS)
        obs.fin_calls[nd->id]++;
}

static void phoenix_finalize(rgc_object_t *o)
{
    rnode_t *nd = (rnode_t *)o;
    check_intact(nd);
    if (nd->id >= RANDOM_GC_MAX_OBJECTS)
        return;
    obs.fin_calls[nd->id]++;
    if (M.resurrect && !obs.global[nd->id])
        obs.global[nd->id] = rgc_newref(o);
}

static void node_dealloc(rgc_object_t *o)
{
    rnode_t *nd = (rnode_t *)o;
    if (nd->magic != NODE_MAGIC || nd->id >= RANDOM_GC_MAX_OBJECTS) {
        note_bad(&obs.dealloc_bad, "dealloc of a node with a bad id or magic", nd->id);
        return;
    }
    for (int k = 0; k < NODE_REFS; k++)
        if (nd->ref[k])
            note_bad(&obs.dealloc_bad, "dealloc found a reference not yet dropped", nd->id);
    obs.freed[nd->id]++;
    nd->magic = 0;
}

static const rgc_ref_field_t rnode_fields[] = {
    {"ref0", offsetof(rnode_t, ref[0])},
    {"ref1", offsetof(rnode_t, ref[1])},
    {"ref2", offsetof(rnode_t, ref[2])},
};

static rgc_type_t *type_of_kind(int kind)
{
    static const rgc_type_spec_t node = {
        .name = "test_gc_random.Node",
        .basic_size = sizeof(rnode_t),
        .ref_fields = rnode_fields,
        .n_ref_fields = NODE_REFS,
        .dealloc = node_dealloc,
    };
    static const rgc_type_spec_t fin = {
        .name = "test_gc_random.FinNode",
        .basic_size = sizeof(rnode_t),
        .ref_fields = rnode_fields,
        .n_ref_fields = NODE_REFS,
        .finalize = fin_finalize,
        .dealloc = node_dealloc,
    };
    static const rgc_type_spec_t phoenix = {
        .name = "test_gc_random.Phoenix",
        .basic_size = sizeof(rnode_t),
        .ref_fields = rnode_fields,
        .n_ref_fields = NODE_REFS,
        .finalize = phoenix_finalize,
        .dealloc = node_dealloc,
    };
    switch (kind) {
    case K_FIN:
        return rgc_type_register(&fin);
    case K_PHOENIX:
        return rgc_type_register(&phoenix);
    default:
        return rgc_type_register(&node);
    }
}

static void on_collection(rgc_heap_t *h, rgc_gc_phase_t phase, const rgc_gc_info_t *info, void *arg)
{
    (void)h;
    (void)arg;
    if (phase != RGC_GC_STOP)
        return;
    cb.stops++;
    cb.last = *info;
    if (cb.build_phase && (info->collected || info->uncollectable))
        cb.build_found++;
}

/* ------------------------------------------------------------------------ */
/* The model */

static bool is_node(int i)
{
    return M.kind[i] != K_LIST;
}

static bool has_finalizer(int i)
{
    return M.kind[i] == K_FIN || M.kind[i] == K_PHOENIX;
}

/* Calls body with `t` bound to each target of i's references. */
#define FOR_EACH_EDGE(i, t, body)                                                         \
    do {                                                                                  \
        for (int e_ = 0; e_ < M.nedges[i]; e_++) {                                        \
            int t = M.edges[i][e_];                                                       \
            if (t >= 0) {                                                                 \
                body;                                                                     \
            }                                                                             \
        }                                                                                 \
    } while (0)

/* The expected counts: roots, globals and the edges of live objects. */
static void recount(void)
{
    memset(M.cnt, 0, sizeof M.cnt);
    for (int j = 0; j < M.nroots; j++)
        if (M.root_held[j])
            M.cnt[M.roots[j]]++;
    for (int i = 0; i < M.n; i++) {
        if (M.global[i])
            M.cnt[i]++;
        if (M.alive[i])
            FOR_EACH_EDGE(i, t, M.cnt[t]++);
    }
}

/* Object i's count reached zero: reference counting destroys it (its
 * finalizer first, which may resurrect it), then its targets in turn. */
static void model_die(int first)
{
    static int stack[RANDOM_GC_MAX_OBJECTS * (MAX_EDGES + 2)];
    int sp = 0;
    stack[sp++] = first;
    while (sp) {
        int i = stack[--sp];
        if (has_finalizer(i) && !M.finalized[i]) {
            M.finalized[i] = true;
            M.fin_expected[i]++;
            if (M.kind[i] == K_PHOENIX && M.resurrect) {
                M.global[i] = true;
                M.cnt[i] = 1;
                continue;
            }
        }
        M.alive[i] = false;
        FOR_EACH_EDGE(i, t, {
            if (--M.cnt[t] == 0)
                stack[sp++] = t;
        });
    }
}

/* Every live object whose count is zero dies (after the collector freed
 * its referrers: the cascade into objects it did not examine). */
static void model_cascade(void)
{
    recount();
    for (int i = 0; i < M.n; i++)
        if (M.alive[i] && M.cnt[i] == 0)
            model_die(i);
}

/* One line per object: kind, state, held roots, edges. */
static void dump_model(void)
{
    fprintf(stderr, "seed %u: %d objects, resurrection %s\n", M.seed, M.n, M.resurrect ? "on" : "off");
    for (int i = 0; i < M.n; i++) {
        int held = 0;
        for (int j = 0; j < M.nroots; j++)
            held += M.root_held[j] && M.roots[j] == i;
        fprintf(stderr, "  %3d %-7s %-5s gen %2d cnt %u roots %d%s%s ->", i, kind_name[M.kind[i]],
                M.alive[i] ? "alive" : "dead", M.alive[i] ? rgc_generation(M.obj[i]) : -9, M.cnt[i], held,
                M.global[i] ? " global" : "", M.finalized[i] ? " finalized" : "");
        for (int e = 0; e < M.nedges[i]; e++)
            fprintf(stderr, " %d", M.edges[i][e]);
        fprintf(stderr, "\n");
    }
}


/* The heap agrees with the model, object by object. */
static void verify(rgc_heap_t *h)
{
    CHECK(obs.fin_bad == 0, "%d finalizer(s) saw a node altered; first: %s", obs.fin_bad, obs.first_bad);
    CHECK(obs.dealloc_bad == 0, "%d bad dealloc(s); first: %s", obs.dealloc_bad, obs.first_bad);
    size_t alive = 0;
    for (int i = 0; i < M.n; i++) {
        if (is_node(i)) {
            CHECK(obs.freed[i] == (M.alive[i] ? 0 : 1), "%s %d: expected %s, dealloc hook ran %d time(s)",
                  kind_name[M.kind[i]], i, M.alive[i] ? "alive" : "freed once", obs.freed[i]);
            CHECK(obs.fin_calls[i] == M.fin_expected[i], "%s %d: expected %d finalizer call(s), got %d",
                  kind_name[M.kind[i]], i, M.fin_expected[i], obs.fin_calls[i]);
            CHECK((obs.global[i] != NULL) == M.global[i], "%s %d: expected %s global reference",
                  kind_name[M.kind[i]], i, M.global[i] ? "a" : "no");
        }
        if (!M.alive[i])
            continue;
        alive++;
        void *o = M.obj[i];
        CHECK(rgc_refcount(o) == M.cnt[i], "%s %d: expected refcount %u, got %u", kind_name[M.kind[i]], i,
              M.cnt[i], rgc_refcount(o));
        CHECK(rgc_is_tracked(o), "%s %d: live but untracked", kind_name[M.kind[i]], i);
        CHECK(!(((rgc_object_t *)o)->flags & RGC_OF_SCRATCH_MASK), "%s %d: collector scratch bits 0x%x left set",
              kind_name[M.kind[i]], i, ((rgc_object_t *)o)->flags & RGC_OF_SCRATCH_MASK);
        if (is_node(i)) {
            rnode_t *nd = o;
            CHECK(nd->magic == NODE_MAGIC && nd->id == (uint32_t)i, "node %d: body overwritten", i);
            for (int k = 0; k < NODE_REFS; k++) {
                int t = M.edges[i][k];
                CHECK(nd->ref[k] == (t >= 0 ? M.obj[t] : NULL), "node %d: field %d should point to %d", i, k, t);
            }
        } else {
            CHECK(rgc_list_len(o) == (size_t)M.nedges[i], "list %d: expected %d items, got %zu", i,
                  M.nedges[i], rgc_list_len(o));
            for (int e = 0; e < M.nedges[i] && (size_t)e < rgc_list_len(o); e++)
                CHECK(rgc_list_get(o, (size_t)e) == M.obj[M.edges[i][e]], "list %d: item %d should be %d", i, e,
                      M.edges[i][e]);
        }
    }
    CHECK(live_objects(h) == M.base_objects + alive, "expected %zu live objects, the heap has %zu",
          M.base_objects + alive, live_objects(h) - M.base_objects);
    rgc_check_result_t r;
    CHECK(rgc_heap_check(h, &r) == 0, "heap check failed at %p: %s", r.address, r.message);
}

/* ------------------------------------------------------------------------ */
/* Building and dropping */

static void add_edge(int src, int tgt)
{
    if (M.kind[src] == K_LIST) {
        if (M.nedges[src] >= LIST_MAX_ITEMS)
            return;
        CHECK(rgc_list_append(M.obj[src], M.obj[tgt]) == 0, "append to list %d failed", src);
        M.edges[src][M.nedges[src]++] = tgt;
        return;
    }
    int k = (int)rnd(NODE_REFS);
    rnode_t *s = M.obj[src];
    rgc_object_t *old = s->ref[k];
    s->ref[k] = rgc_newref(M.obj[tgt]);
    M.edges[src][k] = tgt;
    rgc_xdecref(old); /* everything is still rooted: frees nothing */
}

/* Shapes of graph: uniform edges make one giant component, wholly live or
 * wholly garbage; clusters make many small cycles, some garbage, some live,
 * some hanging off others; sparse graphs are mostly chains and trees. */
enum { SHAPE_UNIFORM, SHAPE_CLUSTERS, SHAPE_SPARSE };

static struct {
    int shape;
    int cluster; /* objects per cluster */
} gen_params;

/* A random object among 0..limit-1, near `near` in a clustered graph. */
static int pick(int near, int limit)
{
    if (gen_params.shape == SHAPE_CLUSTERS && rnd(100) < 85) {
        int lo = near / gen_params.cluster * gen_params.cluster;
        int hi = lo + gen_params.cluster < limit ? lo + gen_params.cluster : limit;
        return lo + (int)rnd((uint32_t)(hi - lo));
    }
    return (int)rnd((uint32_t)limit);
}

static void build(rgc_heap_t *h)
{
    M.phase = "building";
    cb.build_phase = 1;
    int n = 1 + (int)rnd(RANDOM_GC_MAX_OBJECTS);
    gen_params.shape = (int)rnd(3);
    gen_params.cluster = 1 + (int)rnd(12);
    int pct_list = (int)rnd(35);
    int pct_fin = (int)rnd(35);
    int pct_phoenix = M.resurrect ? 1 + (int)rnd(20) : 0;
    int edges_per_object = gen_params.shape == SHAPE_SPARSE ? 1 : 1 + (int)rnd(4);
    /* Collections while building spread the objects over the generations;
     * some graphs have none and stay young. */
    uint32_t collect_every = rnd(4) == 0 ? 0 : 4 + rnd(40);
    for (int i = 0; i < n; i++) {
        int r = (int)rnd(100);
        int kind = r < pct_list                          ? K_LIST
                   : r < pct_list + pct_fin               ? K_FIN
                   : r < pct_list + pct_fin + pct_phoenix ? K_PHOENIX
                                                          : K_NODE;
        M.kind[i] = kind;
        M.alive[i] = true;
        M.n = i + 1;
        if (kind == K_LIST) {
            M.obj[i] = rgc_list_new(h, rnd(3));
            M.nedges[i] = 0;
        } else {
            rnode_t *nd = rgc_new(h, type_of_kind(kind));
            CHECK(nd != NULL, "allocation of object %d failed", i);
            nd->id = (uint32_t)i;
            nd->magic = NODE_MAGIC;
            M.obj[i] = nd;
            M.nedges[i] = NODE_REFS;
            for (int k = 0; k < NODE_REFS; k++)
                M.edges[i][k] = -1;
        }
        CHECK(M.obj[i] != NULL, "allocation of object %d failed", i);
        M.roots[M.nroots] = i;
        M.root_held[M.nroots++] = true;
        int ne = (int)rnd((uint32_t)(2 * edges_per_object + 1));
        for (int e = 0; e < ne; e++) {
            int src = pick(i, i + 1);
            add_edge(src, pick(src, i + 1));
        }
        if (collect_every && rnd(collect_every) == 0) {
            int g = (int)rnd(3);
            long got = rgc_gc_collect(h, g);
            CHECK(got == 0, "collection of generation %d with everything rooted returned %ld", g, got);
        }
    }
    int extra_edges = gen_params.shape == SHAPE_SPARSE ? (int)rnd((uint32_t)(n / 4 + 1))
                                                       : (int)rnd((uint32_t)(2 * n + 1));
    for (int e = 0; e < extra_edges; e++) {
        int src = (int)rnd((uint32_t)n);
        add_edge(src, pick(src, n));
    }
    int extra_roots = (int)rnd((uint32_t)(n / 2 + 1));
    for (int e = 0; e < extra_roots && M.nroots < MAX_ROOTS; e++) {
        int j = (int)rnd((uint32_t)n);
        rgc_incref(M.obj[j]);
        M.roots[M.nroots] = j;
        M.root_held[M.nroots++] = true;
    }
    cb.build_phase = 0;
    CHECK(cb.build_found == 0, "an automatic collection found garbage while everything was rooted");
    recount();
    verify(h);
}

static void drop_root(int j)
{
    int i = M.roots[j];
    M.root_held[j] = false;
    rgc_decref(M.obj[i]);
    if (--M.cnt[i] == 0)
        model_die(i);
}

/* Drops about pct percent of the roots, in random order. */
static void drop_roots(rgc_heap_t *h, int pct)
{
    M.phase = "dropping roots";
    static int order[MAX_ROOTS];
    for (int j = 0; j < M.nroots; j++)
        order[j] = j;
    for (int j = M.nroots - 1; j > 0; j--) {
        int k = (int)rnd((uint32_t)j + 1);
        int t = order[j];
        order[j] = order[k];
        order[k] = t;
    }
    for (int j = 0; j < M.nroots; j++)
        if (M.root_held[order[j]] && (int)rnd(100) < pct)
            drop_root(order[j]);
    verify(h);
}

/* ------------------------------------------------------------------------ */
/* One collection, predicted then checked */

static void collect_and_check(rgc_heap_t *h, int g, const char *phase)
{
    M.phase = phase;
    static bool cand[RANDOM_GC_MAX_OBJECTS], reach[RANDOM_GC_MAX_OBJECTS], survive[RANDOM_GC_MAX_OBJECTS];
    static int gen_before[RANDOM_GC_MAX_OBJECTS], queue[RANDOM_GC_MAX_OBJECTS];
    int held[RANDOM_GC_MAX_OBJECTS] = {0};
    for (int j = 0; j < M.nroots; j++)
        if (M.root_held[j])
            held[M.roots[j]]++;

    /* Candidates: live objects of generations 0..g. */
    for (int i = 0; i < M.n; i++) {
        cand[i] = reach[i] = survive[i] = false;
        if (!M.alive[i])
            continue;
        gen_before[i] = rgc_generation(M.obj[i]);
        CHECK(gen_before[i] >= 0 && gen_before[i] <= 2, "%s %d: generation %d", kind_name[M.kind[i]], i,
              gen_before[i]);
        cand[i] = gen_before[i] <= g;
    }

    /* Reachable: from the roots, the globals, and every object the
     * collection does not examine. */
    int qh = 0, qt = 0;
    for (int i = 0; i < M.n; i++)
        if (M.alive[i] && (held[i] || M.global[i] || !cand[i])) {
            reach[i] = true;
            queue[qt++] = i;
        }
    while (qh < qt) {
        int i = queue[qh++];
        FOR_EACH_EDGE(i, t, {
            if (!reach[t]) {
                reach[t] = true;
                queue[qt++] = t;
            }
        });
    }

    /* Finalizers of the unreachable run once; resurrection keeps whatever
     * the resurrected reach. */
    qh = qt = 0;
    for (int i = 0; i < M.n; i++) {
        if (!cand[i] || reach[i] || !has_finalizer(i) || M.finalized[i])
            continue;
        M.finalized[i] = true;
        M.fin_expected[i]++;
        if (M.kind[i] == K_PHOENIX && M.resurrect) {
            M.global[i] = true;
            survive[i] = true;
            queue[qt++] = i;
        }
    }
    coverage.resurrected[g] += qt;
    coverage.kept_by_resurrected -= qt;
    while (qh < qt) {
        int i = queue[qh++];
        FOR_EACH_EDGE(i, t, {
            if (cand[t] && !reach[t] && !survive[t]) {
                survive[t] = true;
                queue[qt++] = t;
            }
        });
    }
    coverage.kept_by_resurrected += qt;
    long expect = 0;
    for (int i = 0; i < M.n; i++)
        if (cand[i] && !reach[i] && !survive[i]) {
            M.alive[i] = false;
            expect++;
        }
    int alive_before_cascade = 0, alive_after_cascade = 0;
    for (int i = 0; i < M.n; i++)
        alive_before_cascade += M.alive[i];
    model_cascade();
    for (int i = 0; i < M.n; i++)
        alive_after_cascade += M.alive[i];
    coverage.collected += expect;
    coverage.cascaded += alive_before_cascade - alive_after_cascade;
    if (g < 2 && expect > 0)
        coverage.young_with_garbage++;

    rgc_gc_gen_stats_t before[3], after[3];
    rgc_gc_get_stats(h, before);
    int stops = cb.stops;
    long got = rgc_gc_collect(h, g);
    CHECK(got == expect, "collection of generation %d returned %ld, the oracle expects %ld", g, got, expect);
    rgc_gc_get_stats(h, after);
    CHECK(after[g].collections == before[g].collections + 1, "stats: collections of generation %d", g);
    CHECK(after[g].collected == before[g].collected + (size_t)expect, "stats: collected %zu, expected %zu more",
          after[g].collected - before[g].collected, (size_t)expect);
    CHECK(after[g].uncollectable == before[g].uncollectable, "stats: uncollectable grew");
    CHECK(cb.stops == stops + 1, "callback saw %d collections", cb.stops - stops);
    CHECK(cb.last.generation == g && cb.last.collected == (size_t)expect && cb.last.uncollectable == 0,
          "stop info: generation %d collected %zu uncollectable %zu", cb.last.generation, cb.last.collected,
          cb.last.uncollectable);
    verify(h);

    /* Survivors of the examined generations moved up one; what a
     * finalizer resurrected may go there or straight to the oldest (CPython
     * moves it up one; the contract leaves it open). */
    int up = g < 2 ? g + 1 : 2;
    for (int i = 0; i < M.n; i++) {
        if (!M.alive[i])
            continue;
        int gen = rgc_generation(M.obj[i]);
        int want = cand[i] ? up : gen_before[i];
        if (survive[i] && gen == 2)
            want = 2;
        CHECK(gen == want, "%s %d: generation %d -> %d, expected %d", kind_name[M.kind[i]], i, gen_before[i], gen,
              want);
    }
}

/* Drops every root and global, then one full collection frees the rest. */
static void teardown(rgc_heap_t *h)
{
    M.phase = "teardown";
    M.resurrect = false;
    for (int j = 0; j < M.nroots; j++)
        if (M.root_held[j])
            drop_root(j);
    for (int i = 0; i < M.n; i++) {
        if (!obs.global[i])
            continue;
        rgc_object_t *o = obs.global[i];
        obs.global[i] = NULL;
        M.global[i] = false;
        rgc_decref(o);
        if (--M.cnt[i] == 0)
            model_die(i);
    }
    verify(h);
    collect_and_check(h, 2, "final collection");
    for (int i = 0; i < M.n; i++) {
        CHECK(!M.alive[i], "%s %d outlived the final collection in the model", kind_name[M.kind[i]], i);
        if (has_finalizer(i))
            CHECK(obs.fin_calls[i] == 1, "%s %d: finalizer ran %d times over its life", kind_name[M.kind[i]], i,
                  obs.fin_calls[i]);
    }
    CHECK(live_objects(h) == M.base_objects, "%zu objects left", live_objects(h) - M.base_objects);
}

static void run_seed(unsigned seed, bool resurrect)
{
    memset(&M, 0, sizeof M);
    memset(&obs, 0, sizeof obs);
    memset(&cb, 0, sizeof cb);
    M.seed = seed;
    M.resurrect = resurrect;
    M.phase = "setup";
    rng_seed(seed * 2u + (resurrect ? 1u : 0u));

    rgc_heap_t *h = rgc_heap_new(NULL);
    assert_non_null(h);
    M.base_objects = live_objects(h);
    assert_int_equal(rgc_gc_callback_add(h, on_collection, NULL), 0);
    switch (rnd(3)) {
    case 0:
        rgc_gc_disable(h);
        break;
    case 1:
        break; /* defaults: a graph this small never reaches 700 */
    default:
        rgc_gc_set_threshold(h, 3 + rnd(30), 1 + rnd(5), 1 + rnd(5));
        break;
    }

    build(h);
    drop_roots(h, 30 + (int)rnd(71));
    collect_and_check(h, (int)rnd(3), "first collection");
    collect_and_check(h, (int)rnd(3), "second collection");
    collect_and_check(h, 2, "full collection");
    teardown(h);

    assert_int_equal(rgc_gc_callback_remove(h, on_collection, NULL), 0);
    assert_heap_ok(h);
    rgc_heap_destroy(h);
}

static void print_coverage(void)
{
    print_message("%d seeds: %ld collected, %ld freed in cascades, %ld young collections with garbage, "
                  "%ld/%ld/%ld resurrected in collections of generation 0/1/2, keeping %ld more\n",
                  RANDOM_GC_SEEDS, coverage.collected, coverage.cascaded, coverage.young_with_garbage,
                  coverage.resurrected[0], coverage.resurrected[1], coverage.resurrected[2],
                  coverage.kept_by_resurrected);
}

static void test_random_graphs_lose_exactly_their_unreachable_objects(void **state)
{
    (void)state;
    memset(&coverage, 0, sizeof coverage);
    for (unsigned seed = 0; seed < RANDOM_GC_SEEDS; seed++)
        run_seed(seed, false);
    print_coverage();
    assert_true(coverage.collected > 0);
    assert_true(coverage.cascaded > 0);
    assert_true(coverage.young_with_garbage > 0);
}

static void test_random_graphs_keep_what_resurrecting_finalizers_reach(void **state)
{
    (void)state;
    memset(&coverage, 0, sizeof coverage);
    for (unsigned seed = 0; seed < RANDOM_GC_SEEDS; seed++)
        run_seed(seed, true);
    print_coverage();
    for (int g = 0; g < 3; g++)
        assert_true(coverage.resurrected[g] > 0);
    assert_true(coverage.kept_by_resurrected > 0);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_random_graphs_lose_exactly_their_unreachable_objects),
        cmocka_unit_test(test_random_graphs_keep_what_resurrecting_finalizers_reach),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
