/*
 * snapshot.c — snapshots of a heap's traces (trace.c) and what is read
 * from them: statistics by site, file or traceback, estimates of a
 * sampling heap's live blocks and bytes, and the comparison of two
 * snapshots.  A snapshot copies the live traces and the tracebacks, so it
 * outlives the trace.
 */
#include "internal.h"

#include <math.h>
#include <stdlib.h>

typedef struct snap_trace {
    uint64_t size;
    uint32_t traceback;
} snap_trace_t;

struct rgc_trace_snapshot {
    snap_trace_t *traces;
    size_t ntraces;
    uint8_t *tracebacks; /* a copy: numbers as in the traces */
    size_t ntracebacks, tb_stride;
    size_t bytes;
    uint64_t sample_bytes; /* the trace's, when taken */
};

rgc_trace_snapshot_t *rgc_trace_take_snapshot(rgc_heap_t *h)
{
    if (!_rgc_heap_ok(h, "rgc_trace_take_snapshot"))
        return NULL;
    if (!h->trace) {
        _rgc_report(RGC_EMISUSE, h, NULL, "rgc_trace_take_snapshot: the heap is not tracing");
        return NULL;
    }
    const rgc_trace_t *tr = h->trace;
    rgc_trace_snapshot_t *s = calloc(1, sizeof *s);
    if (s) {
        s->traces = malloc((tr->len + tr->pooled + 1) * sizeof *s->traces);
        s->tracebacks = malloc(tr->tb_len ? tr->tb_len * tr->tb_stride : 1);
    }
    if (!s || !s->traces || !s->tracebacks) {
        rgc_trace_snapshot_free(s);
        _rgc_report(RGC_ENOMEM, h, NULL, "rgc_trace_take_snapshot: no memory");
        return NULL;
    }
    for (uint64_t i = 0; i < tr->arenas_cap; i++) {
        const rgc_trace_arena_t *ta = tr->arenas[i];
        for (uint32_t k = 0; ta && k < RGC_POOLS_PER_ARENA; k++) {
            const rgc_trace_pool_t *tp = ta->pools[k];
            for (uint32_t b = 0; tp && b < tp->nblocks; b++) {
                if (!tp->slots[b].traceback)
                    continue;
                s->traces[s->ntraces].size = tp->slots[b].size;
                s->traces[s->ntraces].traceback = tp->slots[b].traceback;
                s->ntraces++;
                s->bytes += tp->slots[b].size;
            }
        }
    }
    for (uint64_t i = 0; i < tr->cap; i++) {
        const rgc_trace_entry_t *e = &tr->entries[i];
        if (!e->address)
            continue;
        s->traces[s->ntraces].size = e->size;
        s->traces[s->ntraces].traceback = e->traceback;
        s->ntraces++;
        s->bytes += e->size;
    }
    if (tr->tb_len)
        memcpy(s->tracebacks, tr->tracebacks, tr->tb_len * tr->tb_stride);
    s->ntracebacks = tr->tb_len;
    s->tb_stride = tr->tb_stride;
    s->sample_bytes = tr->sample_bytes;
    return s;
}

size_t rgc_trace_snapshot_sample_bytes(const rgc_trace_snapshot_t *s)
{
    return s ? (size_t)s->sample_bytes : 0;
}

/* How many blocks of size bytes one trace of them stands for: 1/p, p the
 * probability that sampling traced such a block (see sample_gap). */
static double weight(const rgc_trace_snapshot_t *s, uint64_t size)
{
    if (!s->sample_bytes)
        return 1.0;
    double p = -expm1(-(double)(size ? size : 1) / (double)s->sample_bytes);
    return p > 0 ? 1.0 / p : 1.0;
}

void rgc_trace_snapshot_free(rgc_trace_snapshot_t *s)
{
    if (!s)
        return;
    free(s->traces);
    free(s->tracebacks);
    free(s);
}

size_t rgc_trace_snapshot_count(const rgc_trace_snapshot_t *s, size_t *bytes)
{
    if (bytes)
        *bytes = s ? s->bytes : 0;
    return s ? s->ntraces : 0;
}

static const rgc_traceback_t *snap_tb(const rgc_trace_snapshot_t *s, uint32_t n)
{
    return (const rgc_traceback_t *)(s->tracebacks + (size_t)(n - 1) * s->tb_stride);
}

static const char *unknown_file = "<unknown>";

/* The group key of one traceback, as a stat (sizes zero). */
static rgc_trace_stat_t key_of(const rgc_traceback_t *tb, rgc_trace_key_t key)
{
    rgc_trace_stat_t st = {0};
    const void *const *frames = (const void *const *)(const void *)tb->frames;
    switch (key) {
    case RGC_TRACE_BY_FILE:
        st.file = tb->site && tb->site->file ? tb->site->file : unknown_file;
        break;
    case RGC_TRACE_BY_SITE:
        st.site = tb->site;
        st.file = tb->site && tb->site->file ? tb->site->file : unknown_file;
        if (!tb->site) {
            st.nframes = tb->nframes ? 1 : 0;
            st.frames = frames;
        }
        break;
    default:
        st.site = tb->site;
        st.file = tb->site && tb->site->file ? tb->site->file : unknown_file;
        st.nframes = tb->nframes;
        st.frames = frames;
        break;
    }
    return st;
}

static int key_cmp(const rgc_trace_stat_t *a, const rgc_trace_stat_t *b, rgc_trace_key_t key)
{
    if (key == RGC_TRACE_BY_FILE) {
        if (a->file == b->file)
            return 0;
        return strcmp(a->file, b->file);
    }
    /* Sites are static constants: the same call site, the same address;
     * two sites on one line (two macros) are told apart, as they should. */
    const rgc_site_t *sa = a->site, *sb = b->site;
    if (sa != sb) {
        if (!sa || !sb)
            return sa ? 1 : -1;
        int c = strcmp(sa->file ? sa->file : "", sb->file ? sb->file : "");
        if (c)
            return c;
        if (sa->line != sb->line)
            return sa->line < sb->line ? -1 : 1;
        return (uintptr_t)sa < (uintptr_t)sb ? -1 : 1;
    }
    if (a->nframes != b->nframes)
        return a->nframes < b->nframes ? -1 : 1;
    for (unsigned i = 0; i < a->nframes; i++)
        if (a->frames[i] != b->frames[i])
            return (uintptr_t)a->frames[i] < (uintptr_t)b->frames[i] ? -1 : 1;
    return 0;
}

static int by_key(const void *x, const void *y, void *key)
{
    return key_cmp(x, y, *(const rgc_trace_key_t *)key);
}

/* The snapshot's groups under key, sorted by key; *n gets their number.
 * The estimates are summed in doubles (est[], per group) and rounded once. */
static rgc_trace_stat_t *group(const rgc_trace_snapshot_t *s, rgc_trace_key_t key, size_t *n)
{
    size_t cap = s->ntraces ? s->ntraces : 1;
    rgc_trace_stat_t *g = malloc(cap * sizeof *g);
    double(*est)[2] = malloc(cap * sizeof *est);
    if (!g || !est) {
        free(g);
        free(est);
        return NULL;
    }
    for (size_t i = 0; i < s->ntraces; i++) {
        g[i] = key_of(snap_tb(s, s->traces[i].traceback), key);
        g[i].size = (size_t)s->traces[i].size;
        g[i].count = 1;
        /* the weight travels with the entry through the sort */
        g[i].estimated_size_diff = (long long)i;
    }
    qsort_r(g, s->ntraces, sizeof *g, by_key, &key);
    size_t m = 0;
    for (size_t i = 0; i < s->ntraces; i++) {
        const snap_trace_t *t = &s->traces[g[i].estimated_size_diff];
        double w = weight(s, t->size);
        if (m && key_cmp(&g[m - 1], &g[i], key) == 0) {
            g[m - 1].size += g[i].size;
            g[m - 1].count += g[i].count;
            est[m - 1][0] += w * (double)t->size;
            est[m - 1][1] += w;
        } else {
            g[m] = g[i];
            est[m][0] = w * (double)t->size;
            est[m][1] = w;
            m++;
        }
    }
    for (size_t i = 0; i < m; i++) {
        g[i].estimated_size = (size_t)llround(est[i][0]);
        g[i].estimated_count = (size_t)llround(est[i][1]);
        g[i].estimated_size_diff = 0;
    }
    free(est);
    *n = m;
    return g;
}

static int by_size(const void *x, const void *y, void *key)
{
    const rgc_trace_stat_t *a = x, *b = y;
    if (a->estimated_size != b->estimated_size)
        return a->estimated_size > b->estimated_size ? -1 : 1;
    if (a->size != b->size)
        return a->size > b->size ? -1 : 1;
    if (a->count != b->count)
        return a->count > b->count ? -1 : 1;
    return key_cmp(a, b, *(const rgc_trace_key_t *)key);
}

static unsigned long long mag(long long v)
{
    return v < 0 ? (unsigned long long)-v : (unsigned long long)v;
}

static int by_growth(const void *x, const void *y, void *key)
{
    const rgc_trace_stat_t *a = x, *b = y;
    if (mag(a->estimated_size_diff) != mag(b->estimated_size_diff))
        return mag(a->estimated_size_diff) > mag(b->estimated_size_diff) ? -1 : 1;
    if (mag(a->size_diff) != mag(b->size_diff))
        return mag(a->size_diff) > mag(b->size_diff) ? -1 : 1;
    return by_size(x, y, key);
}

static int key_valid(rgc_trace_key_t key)
{
    return key == RGC_TRACE_BY_SITE || key == RGC_TRACE_BY_FILE || key == RGC_TRACE_BY_TRACEBACK;
}

long rgc_trace_statistics(const rgc_trace_snapshot_t *s, rgc_trace_key_t key, rgc_trace_stat_t **out)
{
    if (!s || !out || !key_valid(key)) {
        _rgc_report(RGC_EINVAL, s, NULL, "rgc_trace_statistics: NULL snapshot or output, or unknown key %d",
                    (int)key);
        return -1;
    }
    size_t n;
    rgc_trace_stat_t *g = group(s, key, &n);
    if (!g) {
        _rgc_report(RGC_ENOMEM, s, NULL, "rgc_trace_statistics: no memory");
        return -1;
    }
    qsort_r(g, n, sizeof *g, by_size, &key);
    *out = g;
    return (long)n;
}

long rgc_trace_compare(const rgc_trace_snapshot_t *newer, const rgc_trace_snapshot_t *older, rgc_trace_key_t key,
                       rgc_trace_stat_t **out)
{
    if (!newer || !older || !out || !key_valid(key)) {
        _rgc_report(RGC_EINVAL, newer, NULL, "rgc_trace_compare: NULL snapshot or output, or unknown key %d",
                    (int)key);
        return -1;
    }
    size_t na, nb;
    rgc_trace_stat_t *a = group(newer, key, &na), *b = a ? group(older, key, &nb) : NULL;
    rgc_trace_stat_t *m = b ? malloc((na + nb + 1) * sizeof *m) : NULL;
    if (!m) {
        free(a);
        free(b);
        _rgc_report(RGC_ENOMEM, newer, NULL, "rgc_trace_compare: no memory");
        return -1;
    }
    /* Merge the two sorted group lists. */
    size_t i = 0, j = 0, k = 0;
    while (i < na || j < nb) {
        int c = i == na ? 1 : j == nb ? -1 : key_cmp(&a[i], &b[j], key);
        if (c <= 0) {
            m[k] = a[i];
            m[k].size_diff = (long long)a[i].size - (c == 0 ? (long long)b[j].size : 0);
            m[k].count_diff = (long long)a[i].count - (c == 0 ? (long long)b[j].count : 0);
            m[k].estimated_size_diff =
                (long long)a[i].estimated_size - (c == 0 ? (long long)b[j].estimated_size : 0);
            i++;
            j += c == 0;
        } else {
            m[k] = b[j];
            m[k].size = m[k].count = 0;
            m[k].size_diff = -(long long)b[j].size;
            m[k].count_diff = -(long long)b[j].count;
            m[k].estimated_size = m[k].estimated_count = 0;
            m[k].estimated_size_diff = -(long long)b[j].estimated_size;
            j++;
        }
        k++;
    }
    free(a);
    free(b);
    qsort_r(m, k, sizeof *m, by_growth, &key);
    *out = m;
    return (long)k;
}
