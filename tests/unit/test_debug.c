/*
 * test_debug.c — the debug table, the debugger hook and the event recorder
 * (runtime/debug.c): what a tool reads and arms in target memory.
 */
#define RGC_HOOK_REFCOUNTS 1 /* this file's increfs and decrefs report to the hook */

#include "testutil.h"

#include <dlfcn.h>
#include <elf.h>
#include <link.h>

#include "rgc_debug.h"

/* The runtime's own structures, to hold the table to the compiler's view of
 * them (the library was compiled on its own, with other flags). */
#define RGC_BUILD_CORE 1
#include "../../runtime/builtins.h"
#include "../../runtime/weakref.h"

static const rgc_debug_table_t *table(void)
{
    return &rgc_debug_table;
}

/* Reads a value of the target through the table, as a tool would. */
static uint64_t rd64(uint64_t addr)
{
    uint64_t v;
    memcpy(&v, (const void *)(uintptr_t)addr, sizeof v);
    return v;
}
static uint32_t rd32(uint64_t addr)
{
    uint32_t v;
    memcpy(&v, (const void *)(uintptr_t)addr, sizeof v);
    return v;
}
static uint16_t rd16(uint64_t addr)
{
    uint16_t v;
    memcpy(&v, (const void *)(uintptr_t)addr, sizeof v);
    return v;
}
static uint8_t rd8(uint64_t addr)
{
    return *(const uint8_t *)(uintptr_t)addr;
}

static void test_the_table_begins_with_its_cookie_version_and_this_builds_sizes(void **state)
{
    (void)state;
    rgc_heap_t *h = rgc_heap_new(NULL);
    const rgc_debug_table_t *t = table();
    assert_memory_equal(t->cookie, RGC_DEBUG_COOKIE, RGC_DEBUG_COOKIE_SIZE);
    assert_int_equal(t->version, RGC_DEBUG_VERSION);
    assert_int_equal(t->table_size, sizeof(rgc_debug_table_t));
    assert_int_equal(t->pointer_size, sizeof(void *));
    assert_int_equal(t->byte_order, 1);
    assert_int_equal(t->entry_size, 8);
    assert_int_equal(t->initialized, 1);
    /* Entries follow the header, 8 bytes each, nothing else in between. */
    assert_int_equal(offsetof(rgc_debug_table_t, runtime_address), RGC_DEBUG_HEADER_SIZE);
    assert_int_equal((sizeof(rgc_debug_table_t) - RGC_DEBUG_HEADER_SIZE) % 8, 0);
    assert_int_equal(t->runtime_address, (uint64_t)(uintptr_t)&_rgc_runtime);
    assert_int_equal(rd64(t->runtime_address + t->runtime_magic), t->magic_runtime);
    assert_heap_ok(h);
    rgc_heap_destroy(h);
}

/* One assertion per entry, expanded from the same list as the table. */
static void test_every_entry_holds_the_size_offset_or_constant_the_compiler_gives(void **state)
{
    (void)state;
    rgc_heap_t *h = rgc_heap_new(NULL);
    const rgc_debug_table_t *t = table();
    size_t n = 0;
#define S_(name, ctype)                                                                      \
    assert_int_equal(t->sizeof_##name, sizeof(ctype));                                       \
    n++;
#define F_(name, ctype, entry, member)                                                       \
    assert_int_equal(t->name##_##entry, offsetof(ctype, member));                            \
    n++;
#define K_(entry, value)                                                                     \
    assert_int_equal(t->entry, (uint64_t)(value));                                           \
    n++;
#define A_(entry, address)                                                                   \
    assert_int_equal(t->entry, (uint64_t)(uintptr_t)(address));                              \
    n++;
    RGC_DEBUG_ENTRIES(S_, F_, K_, A_)
#undef S_
#undef F_
#undef K_
#undef A_
    assert_int_equal(n, (sizeof(rgc_debug_table_t) - RGC_DEBUG_HEADER_SIZE) / 8);
    /* The bit fields the table gives by mask, seen through the byte. */
    rgc_pool_t p;
    memset(&p, 0, sizeof p);
    p.holes = 0xA;
    p.low_armed = 1;
    assert_int_equal(p.page_bits & t->pool_holes_mask, 0xA);
    assert_int_equal(p.page_bits & t->pool_low_armed_mask, t->pool_low_armed_mask);
    p.nused = 77;
    p.flags = RGC_PF_MAP;
    assert_int_equal(p.nused_flags & t->pool_nused_mask, 77);
    assert_int_equal(p.nused_flags >> t->pool_flags_shift, t->pool_flag_map);
    assert_heap_ok(h);
    rgc_heap_destroy(h);
}

/* The main program's load bias and the address of its section `name`, from
 * its own ELF file. */
static int find_section(const char *name, uint64_t *addr)
{
    FILE *f = fopen("/proc/self/exe", "rb");
    if (!f)
        return -1;
    Elf64_Ehdr eh;
    int ok = fread(&eh, sizeof eh, 1, f) == 1 && eh.e_shentsize == sizeof(Elf64_Shdr);
    Elf64_Shdr *sh = ok ? calloc(eh.e_shnum, sizeof *sh) : NULL;
    ok = sh && fseek(f, (long)eh.e_shoff, SEEK_SET) == 0 && fread(sh, sizeof *sh, eh.e_shnum, f) == eh.e_shnum;
    char *names = ok ? malloc(sh[eh.e_shstrndx].sh_size) : NULL;
    ok = names && fseek(f, (long)sh[eh.e_shstrndx].sh_offset, SEEK_SET) == 0 &&
         fread(names, 1, sh[eh.e_shstrndx].sh_size, f) == sh[eh.e_shstrndx].sh_size;
    int found = -1;
    for (unsigned i = 0; ok && i < eh.e_shnum; i++)
        if (strcmp(names + sh[i].sh_name, name) == 0) {
            *addr = sh[i].sh_addr;
            found = 0;
        }
    free(names);
    free(sh);
    fclose(f);
    return found;
}

static int main_bias(struct dl_phdr_info *info, size_t size, void *arg)
{
    (void)size;
    *(uint64_t *)arg = info->dlpi_addr;
    return 1; /* the first object is the program */
}

static void test_the_table_is_a_dynamic_symbol_and_a_section_of_its_own(void **state)
{
    (void)state;
    void *sym = dlsym(RTLD_DEFAULT, RGC_DEBUG_SYMBOL);
    assert_ptr_equal(sym, &rgc_debug_table);
    uint64_t sec = 0, bias = 0;
    assert_int_equal(find_section(RGC_DEBUG_SECTION, &sec), 0);
    dl_iterate_phdr(main_bias, &bias);
    assert_int_equal(sec + bias, (uint64_t)(uintptr_t)&rgc_debug_table);
}

/* A program built -O2 -s finds its table both ways (debug_stripped.c). */
static void test_a_stripped_optimized_program_finds_its_table_by_symbol_and_by_section(void **state)
{
    (void)state;
    FILE *p = popen("build/tests/debug_stripped 2>&1", "r");
    assert_non_null(p);
    char line[256] = "";
    char *got = fgets(line, sizeof line, p);
    int rc = pclose(p);
    assert_non_null(got);
    if (rc != 0)
        fail_msg("build/tests/debug_stripped: %s", line);
    void *sym = NULL, *sec = NULL, *tab = NULL;
    assert_int_equal(sscanf(line, "symbol=%p section=%p table=%p", &sym, &sec, &tab), 3);
    assert_ptr_equal(sym, tab);
    assert_ptr_equal(sec, tab);
}

/* Follows the table's rules from a block to its pool descriptor and heap,
 * and counts the class's blocks in use as a tool would. */
static void test_the_table_alone_leads_from_a_block_to_its_pool_and_heap(void **state)
{
    (void)state;
    const rgc_debug_table_t *t = table();
    rgc_heap_t *h = rgc_heap_new(NULL);
    void *blocks[500];
    for (int i = 0; i < 500; i++)
        blocks[i] = rgc_mem_alloc(h, 40); /* class 2: 48 bytes */
    for (int i = 0; i < 500; i += 3)
        rgc_mem_free(h, blocks[i]);
    uint64_t p = (uint64_t)(uintptr_t)blocks[1];
    uint64_t arena = p & ~(t->arena_size - 1);
    uint64_t colour = (p >> t->arena_shift) % t->arena_colours;
    uint64_t pools = arena + colour * t->page_size;
    uint64_t pool = pools + ((p - arena) >> t->pool_shift) * t->sizeof_pool;
    uint64_t hdr = pools + (colour / (t->pool_size / t->page_size)) * t->sizeof_pool;
    assert_int_equal(rd64(hdr + t->arena_magic), t->magic_arena);
    assert_int_equal(rd64(hdr + t->arena_heap), (uint64_t)(uintptr_t)h);
    assert_int_equal(rd8(pool + t->pool_state), t->pool_state_active);
    assert_int_equal(rd8(pool + t->pool_kind), t->kind_raw);
    assert_int_equal(rd16(pool + t->pool_block_size), 48);
    /* Blocks in use in class 2, over the heap's arenas, as the statistics
     * count them. */
    uint64_t used = 0;
    for (uint64_t a = rd64((uint64_t)(uintptr_t)h + t->heap_arenas); a; a = rd64(a + t->arena_next)) {
        uint64_t col = (a >> t->arena_shift) % t->arena_colours;
        uint64_t base = (a & ~(t->arena_size - 1)) + col * t->page_size;
        for (uint64_t i = 0; i < t->pools_per_arena; i++) {
            uint64_t d = base + i * t->sizeof_pool;
            if (rd8(d + t->pool_state) != t->pool_state_active || rd8(d + t->pool_szidx) != 2)
                continue;
            uint32_t w = rd32(d + t->pool_nused_flags);
            used += (w & t->pool_nused_mask) +
                    ((rd8(d + t->pool_page_bits) & t->pool_low_armed_mask) ? rd16(d + t->pool_nblocks) / 4 : 0);
        }
    }
    for (uint64_t k = 0; k < t->nkinds; k++)
        used -= rd64((uint64_t)(uintptr_t)h + t->heap_held + (k * t->nclasses + 2) * 8) != 0;
    rgc_heap_stats_t st;
    assert_int_equal(rgc_heap_stats(h, &st), 0);
    assert_int_equal(used, st.classes[2].blocks_used);
    assert_int_equal(used, 500 - 167);
    assert_heap_ok(h);
    rgc_heap_destroy(h);
}

/* ---- the recorder */

static void test_the_recorder_keeps_the_last_events_oldest_first_with_their_numbers(void **state)
{
    (void)state;
    rgc_heap_t *h = rgc_heap_new(NULL);
    assert_int_equal(rgc_recorder_capacity(h), 0);
    assert_int_equal(rgc_recorder_start(h, 6), 0); /* rounded up to 8 */
    assert_int_equal(rgc_recorder_capacity(h), 8);
    void *p[10];
    for (int i = 0; i < 10; i++)
        p[i] = rgc_mem_alloc(h, (size_t)(16 + i));
    for (int i = 0; i < 10; i++)
        rgc_mem_free(h, p[i]);
    rgc_event_t ev[16];
    size_t n = rgc_recorder_events(h, ev, 16);
    assert_int_equal(n, 8);
    for (size_t i = 0; i < n; i++) {
        assert_int_equal(ev[i].seq, 13 + i); /* 20 events; the last 8 */
        assert_int_equal(ev[i].kind, RGC_EV_FREE);
        assert_ptr_equal((void *)(uintptr_t)ev[i].address, p[2 + i]);
        assert_int_equal(ev[i].type_id, 0);
    }
    /* Fewer asked: the last ones. */
    assert_int_equal(rgc_recorder_events(h, ev, 2), 2);
    assert_int_equal(ev[0].seq, 19);
    assert_int_equal(ev[1].seq, 20);
    assert_heap_ok(h);
    rgc_heap_destroy(h);
}

static void test_allocations_record_the_size_asked_and_a_site_in_the_caller(void **state)
{
    (void)state;
    rgc_heap_t *h = rgc_heap_new(NULL);
    assert_int_equal(rgc_recorder_start(h, 16), 0);
    void *raw = rgc_mem_alloc(h, 100);
    void *big = rgc_mem_alloc(h, 5000);
    void *i = rgc_int_new(h, 1 << 20);
    rgc_event_t ev[16];
    size_t n = rgc_recorder_events(h, ev, 16);
    assert_int_equal(n, 3);
    assert_int_equal(ev[0].kind, RGC_EV_ALLOC);
    assert_int_equal(ev[0].size, 100);
    assert_ptr_equal((void *)(uintptr_t)ev[0].address, raw);
    assert_int_equal(ev[1].size, 5000);
    assert_ptr_equal((void *)(uintptr_t)ev[1].address, big);
    assert_int_equal(ev[2].type_id, rgc_type_id(rgc_int_type()));
    assert_ptr_equal((void *)(uintptr_t)ev[2].address, i);
    /* rgc_mem_alloc's site is a return address in this function. */
    uint64_t fn = (uint64_t)(uintptr_t)test_allocations_record_the_size_asked_and_a_site_in_the_caller;
    assert_true(ev[0].site > fn && ev[0].site < fn + 4096);
    rgc_decref(i);
    rgc_mem_free(h, raw);
    rgc_mem_free(h, big);
    assert_heap_ok(h);
    rgc_heap_destroy(h);
}

/* One slot of the ring decoded through the table alone, as a tool does
 * (docs/debug-abi.md, "The event recorder"): its kind field, 0 when its
 * lap is not that of slot number s. */
typedef struct slot {
    uint64_t where, what, kind, size_bits, low;
} slot_t;

static slot_t slot_read(uint64_t ring, uint64_t cap, uint64_t s)
{
    const rgc_debug_table_t *t = table();
    uint64_t r = ring + ((s - 1) & (cap - 1)) * t->sizeof_record;
    slot_t x = {.where = rd64(r + t->record_where), .what = rd64(r + t->record_what)};
    uint64_t lap = ((s - 1) / cap) & 3;
    uint64_t kind_bits = t->record_lap_shift - t->record_kind_shift;
    x.kind = x.what >> t->record_lap_shift == lap ? x.what >> t->record_kind_shift & ((1u << kind_bits) - 1) : 0;
    x.size_bits = x.what >> t->record_low_bits & ((1u << t->record_size_bits) - 1);
    x.low = x.what & (((uint64_t)1 << t->record_low_bits) - 1);
    return x;
}

/* What a tool reads of the ring: 16-byte slots, none across a cache line,
 * each with its lap — the events rgc_recorder_events gives, field for
 * field; a large block's allocation and free take two slots each. */
static void test_the_rings_slots_read_through_the_table_are_the_events(void **state)
{
    (void)state;
    rgc_heap_t *h = rgc_heap_new(NULL);
    const rgc_debug_table_t *t = table();
    const uint64_t low = ((uint64_t)1 << t->record_low_bits) - 1;
    assert_int_equal(rgc_recorder_start(h, 16), 0);
    void *raw[7], *big = NULL;
    for (int i = 0; i < 7; i++) {
        if (i == 4)
            big = rgc_mem_alloc(h, 70000);
        raw[i] = rgc_mem_alloc(h, (size_t)(24 + 8 * i));
    }
    void *o = rgc_int_new(h, 1 << 20);
    rgc_decref(o);
    for (int i = 0; i < 7; i++)
        rgc_mem_free(h, raw[i]);
    rgc_mem_free(h, big);
    rgc_event_t ev[16];
    /* 4 + 1 + 3 + 3 + 7 + 1 events in 21 slots: the last 16 slots hold
     * the second slot of the large block's allocation, whose first was
     * overwritten, then the last 14 events whole. */
    assert_int_equal(rgc_recorder_events(h, ev, 16), 14);
    uint64_t rec = (uint64_t)(uintptr_t)h + t->heap_recorder;
    uint64_t ring = rd64(rec + t->recorder_events), cap = rd64(rec + t->recorder_cap);
    uint64_t seq = rd64(rec + t->recorder_seq);
    assert_int_equal(t->sizeof_record, 16);
    assert_int_equal(ring % 16, 0);
    assert_int_equal(cap, 16);
    assert_int_equal(seq, 7 + 3 + 2 + 7 + 2);
    uint64_t s = seq - cap + 1;
    assert_int_equal(slot_read(ring, cap, s).kind, t->record_more); /* the orphan */
    s++;
    for (int i = 0; i < 14; i++) {
        slot_t x = slot_read(ring, cap, s);
        assert_int_equal(ev[i].seq, s);
        if (x.kind == t->record_long) {
            slot_t y = slot_read(ring, cap, s + 1);
            assert_int_equal(y.kind, t->record_more);
            assert_int_equal(x.size_bits, ev[i].kind);
            assert_int_equal(x.where, ev[i].address);
            assert_int_equal(x.low | (y.what & 0xFFFF) << t->record_low_bits, ev[i].size);
            assert_int_equal(y.what >> 16 & 0xFFFF, ev[i].type_id);
            assert_int_equal(y.where, ev[i].site);
            s += 2;
        } else {
            assert_int_equal(x.kind, ev[i].kind);
            assert_int_equal(x.where & low, ev[i].address);
            assert_int_equal(x.where >> t->record_low_bits, ev[i].type_id);
            assert_int_equal(x.size_bits, ev[i].size);
            assert_int_equal(x.low, ev[i].site);
            s += 1;
        }
    }
    assert_int_equal(s, seq + 1);
    /* Three raw allocations, the int's alloc, zero and free (its type),
     * the raw frees, then the large block's free in two slots. */
    assert_ptr_equal((void *)(uintptr_t)ev[0].address, raw[4]);
    assert_int_equal(ev[0].size, 24 + 8 * 4);
    assert_int_equal(ev[3].kind, RGC_EV_ALLOC);
    assert_int_equal(ev[3].type_id, rgc_type_id(rgc_int_type()));
    assert_int_equal(ev[4].kind, RGC_EV_ZERO);
    assert_int_equal(ev[5].kind, RGC_EV_FREE);
    assert_int_equal(ev[5].size, 32);
    assert_int_equal(ev[12].kind, RGC_EV_FREE);
    assert_ptr_equal((void *)(uintptr_t)ev[12].address, raw[6]);
    assert_int_equal(ev[12].size, 80);
    assert_int_equal(ev[13].kind, RGC_EV_FREE);
    assert_ptr_equal((void *)(uintptr_t)ev[13].address, big);
    assert_int_equal(ev[13].seq, seq - 1);
    assert_true(ev[13].size >= 70000);
    /* A slot of an earlier lap is no event: the last slot set back one
     * lap, as a core taken while it was being written would show it, drops
     * the large free (its first slot alone is left) and nothing else. */
    rgc_record_t *last = &h->recorder.events[(seq - 1) & (cap - 1)];
    uint64_t what = last->what;
    last->what = what ^ (uint64_t)1 << t->record_lap_shift;
    rgc_event_t ev2[16];
    assert_int_equal(rgc_recorder_events(h, ev2, 16), 13);
    assert_memory_equal(ev2, ev, 13 * sizeof *ev);
    last->what = what;
    /* Rings of every size are 16-byte aligned, whatever the byte
     * allocator's arena. */
    for (size_t n = 1; n <= ((size_t)1 << 16); n <<= 3) {
        assert_int_equal(rgc_recorder_start(h, n), 0);
        assert_int_equal(rd64(rec + t->recorder_events) % 16, 0);
        assert_true(rgc_recorder_capacity(h) >= 2);
    }
    rgc_recorder_stop(h);
    assert_heap_ok(h);
    rgc_heap_destroy(h);
}

/* The heap checker holds the ring to its rules: a slot of another lap, a
 * kind no slot has, the two slots of a long record apart are each the
 * first violation, named with the slot's address; the oldest slot may be
 * the second of a long record whose first was overwritten. */
static void expect_ring_damage(rgc_heap_t *h, uint64_t s, uint64_t what, uint64_t named, const char *text)
{
    rgc_record_t *e = &h->recorder.events[(s - 1) & (h->recorder.cap - 1)];
    uint64_t was = e->what;
    e->what = what;
    rgc_check_result_t r;
    assert_int_equal(rgc_heap_check(h, &r), -1);
    assert_int_equal(r.code, RGC_ECORRUPT);
    assert_ptr_equal(r.address, &h->recorder.events[(named - 1) & (h->recorder.cap - 1)]);
    assert_non_null(strstr(r.message, text));
    e->what = was;
    assert_heap_ok(h);
}

static void test_the_heap_checker_holds_the_rings_slots_to_their_rules(void **state)
{
    (void)state;
    const rgc_debug_table_t *t = table();
    rgc_heap_t *h = rgc_heap_new(NULL);
    assert_int_equal(rgc_recorder_start(h, 8), 0);
    for (int i = 0; i < 5; i++)
        rgc_mem_free(h, rgc_mem_alloc(h, 48));
    void *big = rgc_mem_alloc(h, 3000); /* slots 11 and 12 */
    rgc_mem_free(h, rgc_mem_alloc(h, 48));
    assert_int_equal(h->recorder.seq, 14);
    assert_heap_ok(h);
    const uint64_t kind_mask = (uint64_t)15 << t->record_kind_shift;
    rgc_record_t *ev = h->recorder.events;
    uint64_t w13 = ev[12 & 7].what, w11 = ev[10 & 7].what, w12 = ev[11 & 7].what;
    /* Slot 13 set back a lap (lap 1 is slot 13's: (13 - 1) / 8). */
    expect_ring_damage(h, 13, w13 & ~((uint64_t)3 << t->record_lap_shift), 13, "slot 13 holds lap 0");
    expect_ring_damage(h, 13, (w13 & ~kind_mask) | (uint64_t)9 << t->record_kind_shift, 13,
                       "slot 13 has kind 9, which no event has");
    expect_ring_damage(h, 12, (w12 & ~kind_mask) | (uint64_t)RGC_EV_ALLOC << t->record_kind_shift, 12,
                       "slot 12 does not continue the long record of slot 11");
    expect_ring_damage(h, 11, (w11 & ~kind_mask) | (uint64_t)RGC_EV_ALLOC << t->record_kind_shift, 12,
                       "slot 12 continues a long record slot 11 does not start");
    /* Four more slots: the oldest, slot 12, is the long record's second,
     * its first overwritten — no violation. */
    rgc_mem_free(h, rgc_mem_alloc(h, 48));
    rgc_mem_free(h, rgc_mem_alloc(h, 48));
    rgc_mem_free(h, big);
    assert_int_equal(h->recorder.seq, 20);
    assert_int_equal(ev[11 & 7].what >> t->record_kind_shift & 15, t->record_more);
    assert_heap_ok(h);
    rgc_recorder_stop(h);
    rgc_heap_destroy(h);
}

typedef struct node {
    RGC_OBJECT_HEAD;
    rgc_object_t *a, *b;
} node_t;

static rgc_type_t *node_type(void)
{
    static rgc_type_t *t;
    static const rgc_ref_field_t f[] = {{"a", offsetof(node_t, a)}, {"b", offsetof(node_t, b)}};
    if (!t) {
        rgc_type_spec_t spec = {.name = "test_debug.node", .basic_size = sizeof(node_t), .ref_fields = f,
                                .n_ref_fields = 2};
        t = rgc_type_register(&spec);
    }
    return t;
}

static void test_an_object_dying_by_its_count_is_recorded_as_zero_then_free_children_included(void **state)
{
    (void)state;
    rgc_heap_t *h = rgc_heap_new(NULL);
    node_t *parent = rgc_new(h, node_type());
    node_t *child = rgc_new(h, node_type());
    parent->a = (rgc_object_t *)child; /* steals */
    assert_int_equal(rgc_recorder_start(h, 64), 0);
    rgc_decref(parent);
    rgc_event_t ev[64];
    size_t n = rgc_recorder_events(h, ev, 64);
    assert_int_equal(n, 4);
    uint32_t id = rgc_type_id(node_type());
    uint32_t kinds[4] = {RGC_EV_ZERO, RGC_EV_ZERO, RGC_EV_FREE, RGC_EV_FREE};
    void *addrs[4] = {parent, child, child, parent};
    for (size_t i = 0; i < n; i++) {
        assert_int_equal(ev[i].kind, kinds[i]);
        assert_int_equal(ev[i].type_id, id);
        assert_ptr_equal((void *)(uintptr_t)ev[i].address, addrs[i]);
    }
    assert_int_equal(ev[2].size, sizeof(node_t) <= 32 ? 32 : 48);
    assert_int_equal(live_objects(h), 0);
    assert_heap_ok(h);
    rgc_heap_destroy(h);
}

static void test_collections_and_errors_are_recorded_too(void **state)
{
    (void)state;
    rgc_heap_t *h = rgc_heap_new(NULL);
    record_errors();
    node_t *a = rgc_new(h, node_type()), *b = rgc_new(h, node_type());
    a->a = (rgc_object_t *)b; /* our reference to b is now a's */
    b->a = rgc_newref(a);     /* a cycle */
    assert_int_equal(rgc_recorder_start(h, 64), 0);
    rgc_decref(a);
    assert_int_equal(rgc_gc_collect(h, 1), 2);
    void *p = rgc_mem_alloc(h, 32);
    rgc_mem_free(h, p);
    rgc_mem_free(h, p); /* a double free: reported and recorded */
    rgc_event_t ev[64];
    size_t n = rgc_recorder_events(h, ev, 64);
    assert_true(n >= 4);
    assert_int_equal(ev[0].kind, RGC_EV_GC_START);
    assert_int_equal(ev[0].size, 1);
    size_t end = 0, err = 0, zeros = 0;
    for (size_t i = 0; i < n; i++) {
        if (ev[i].kind == RGC_EV_GC_END) {
            end = i;
            assert_int_equal(ev[i].size, 2);
        }
        if (ev[i].kind == RGC_EV_ZERO && end == 0)
            zeros++;
        if (ev[i].kind == RGC_EV_ERROR)
            err = i;
    }
    assert_int_equal(zeros, 2); /* the collector drops its hold on each */
    assert_true(end > 0 && err > end);
    assert_int_equal(ev[err].size, RGC_EFREED);
    assert_ptr_equal((void *)(uintptr_t)ev[err].address, p);
    assert_int_equal(recorded.last_code, RGC_EFREED);
    rgc_set_error_handler(NULL, NULL);
    assert_heap_ok(h);
    rgc_heap_destroy(h);
}

static void test_the_recorder_refuses_a_bad_capacity_and_zero_turns_it_off(void **state)
{
    (void)state;
    rgc_heap_t *h = rgc_heap_new(NULL);
    record_errors();
    assert_int_equal(rgc_recorder_start(h, (size_t)1 << 30), -1);
    assert_int_equal(recorded.last_code, RGC_EINVAL);
    assert_int_equal(rgc_recorder_start(NULL, 8), -1);
    assert_int_equal(rgc_recorder_capacity(h), 0);
    assert_int_equal(rgc_recorder_start(h, 8), 0);
    rgc_decref(rgc_int_new(h, 1000));
    assert_int_equal(rgc_recorder_events(h, NULL, 0), 0);
    rgc_event_t ev[8];
    assert_int_equal(rgc_recorder_events(h, ev, 8), 3); /* alloc, zero, free */
    assert_int_equal(rgc_recorder_start(h, 0), 0);
    assert_int_equal(rgc_recorder_capacity(h), 0);
    assert_int_equal(rgc_recorder_events(h, ev, 8), 0);
    assert_int_equal(table()->runtime_address, (uint64_t)(uintptr_t)&_rgc_runtime);
    assert_int_equal(_rgc_runtime.hooks.watching, 0);
    assert_int_equal(_rgc_runtime.hooks.observers, 0);
    /* A heap with a recorder never sees another heap's events. */
    rgc_heap_t *other = rgc_heap_new(NULL);
    assert_int_equal(rgc_recorder_start(h, 8), 0);
    rgc_decref(rgc_int_new(other, 1000));
    assert_int_equal(rgc_recorder_events(h, ev, 8), 0);
    rgc_recorder_stop(h);
    rgc_set_error_handler(NULL, NULL);
    assert_heap_ok(h);
    assert_heap_ok(other);
    rgc_heap_destroy(other);
    rgc_heap_destroy(h);
}

/* ---- the hook, armed by writing the root as a debugger does */

typedef struct armed {
    uint64_t hooks; /* the hook state's address */
} armed_t;

static armed_t arm(uint8_t mask, uint32_t type_id, int32_t gen, const void *address)
{
    const rgc_debug_table_t *t = table();
    armed_t a = {t->runtime_address + t->runtime_hooks};
    memcpy((void *)(uintptr_t)(a.hooks + t->hooks_type_id), &type_id, 4);
    memcpy((void *)(uintptr_t)(a.hooks + t->hooks_generation), &gen, 4);
    uint64_t addr = (uint64_t)(uintptr_t)address;
    memcpy((void *)(uintptr_t)(a.hooks + t->hooks_address), &addr, 8);
    memcpy((void *)(uintptr_t)(a.hooks + t->hooks_mask), &mask, 1);
    /* Then the gates, by their rule (docs/debug-abi.md). */
    uint8_t tracing = rd8(a.hooks + t->hooks_tracing);
    uint64_t root = t->runtime_address;
    int raw_allocs = (mask & RGC_DEBUG_HOOK_BIT(RGC_EV_ALLOC)) && type_id == 0;
    uint64_t free_gate = tracing || (mask & RGC_DEBUG_HOOK_BIT(RGC_EV_FREE)) ? 0 : t->free_gate_open;
    uint64_t alloc_gate = tracing || raw_allocs ? 0 : t->alloc_gate_open;
    memcpy((void *)(uintptr_t)(root + t->runtime_free_gate), &free_gate, 8);
    memcpy((void *)(uintptr_t)(root + t->runtime_alloc_gate), &alloc_gate, 8);
    return a;
}

static uint64_t hits(armed_t a)
{
    return rd64(a.hooks + table()->hooks_hits);
}

static rgc_event_t last_event(armed_t a)
{
    rgc_event_t e;
    memcpy(&e, (const void *)(uintptr_t)(a.hooks + table()->hooks_event), sizeof e);
    return e;
}

static void test_a_hook_armed_for_one_types_allocations_fires_for_that_type_alone(void **state)
{
    (void)state;
    rgc_heap_t *h = rgc_heap_new(NULL);
    uint32_t id = rgc_type_id(node_type());
    armed_t a = arm(RGC_DEBUG_HOOK_BIT(RGC_EV_ALLOC), id, -1, NULL);
    uint64_t before = hits(a);
    void *i = rgc_int_new(h, 123456);
    void *r = rgc_mem_alloc(h, 64);
    assert_int_equal(hits(a), before);
    node_t *n = rgc_new(h, node_type());
    assert_int_equal(hits(a), before + 1);
    rgc_event_t e = last_event(a);
    assert_int_equal(e.kind, RGC_EV_ALLOC);
    assert_int_equal(e.type_id, id);
    assert_ptr_equal((void *)(uintptr_t)e.address, n);
    arm(0, 0, -1, NULL);
    rgc_decref(n);
    rgc_decref(i);
    rgc_mem_free(h, r);
    assert_int_equal(hits(a), before + 1);
    assert_heap_ok(h);
    rgc_heap_destroy(h);
}

static void test_a_hook_armed_for_one_address_fires_on_its_free_and_its_count_reaching_zero(void **state)
{
    (void)state;
    rgc_heap_t *h = rgc_heap_new(NULL);
    void *keep = rgc_mem_alloc(h, 48), *gone = rgc_mem_alloc(h, 48);
    void *obj = rgc_int_new(h, 99999), *other = rgc_int_new(h, 88888);
    armed_t a = arm(RGC_DEBUG_HOOK_BIT(RGC_EV_FREE), 0, -1, gone);
    uint64_t before = hits(a);
    rgc_mem_free(h, keep);
    assert_int_equal(hits(a), before);
    rgc_mem_free(h, gone);
    assert_int_equal(hits(a), before + 1);
    assert_ptr_equal((void *)(uintptr_t)last_event(a).address, gone);
    arm(RGC_DEBUG_HOOK_BIT(RGC_EV_ZERO), 0, -1, obj);
    rgc_decref(other);
    assert_int_equal(hits(a), before + 1);
    rgc_decref(obj);
    assert_int_equal(hits(a), before + 2);
    assert_int_equal(last_event(a).kind, RGC_EV_ZERO);
    assert_int_equal(last_event(a).type_id, rgc_type_id(rgc_int_type()));
    arm(0, 0, -1, NULL);
    assert_heap_ok(h);
    rgc_heap_destroy(h);
}

static void test_a_hook_armed_for_collections_of_one_generation_fires_at_its_start_and_end(void **state)
{
    (void)state;
    rgc_heap_t *h = rgc_heap_new(NULL);
    armed_t a = arm(RGC_DEBUG_HOOK_BIT(RGC_EV_GC_START), 0, 2, NULL);
    uint64_t before = hits(a);
    rgc_gc_collect(h, 0);
    rgc_gc_collect(h, 1);
    assert_int_equal(hits(a), before);
    rgc_gc_collect(h, 2);
    assert_int_equal(hits(a), before + 1);
    assert_int_equal(last_event(a).size, 2);
    arm(RGC_DEBUG_HOOK_BIT(RGC_EV_GC_END), 0, -1, NULL);
    rgc_gc_collect(h, 0);
    assert_int_equal(hits(a), before + 2);
    assert_int_equal(last_event(a).kind, RGC_EV_GC_END);
    arm(0, 0, -1, NULL);
    assert_heap_ok(h);
    rgc_heap_destroy(h);
}

static void test_count_changes_of_the_watched_object_reach_the_hook_in_code_built_for_it(void **state)
{
    (void)state;
    rgc_heap_t *h = rgc_heap_new(NULL);
    void *o = rgc_int_new(h, 4242), *p = rgc_int_new(h, 4343);
    armed_t a = arm(RGC_DEBUG_HOOK_BIT(RGC_EV_REFCNT), 0, -1, o);
    rgc_debug_refcnt_watch = (uintptr_t)o;
    uint64_t before = hits(a);
    rgc_incref(p);
    rgc_decref(p);
    assert_int_equal(hits(a), before);
    rgc_incref(o);
    assert_int_equal(hits(a), before + 1);
    assert_int_equal(last_event(a).size, 2);
    rgc_decref(o);
    assert_int_equal(hits(a), before + 2);
    assert_int_equal(last_event(a).size, 1);
    rgc_debug_refcnt_watch = 0;
    arm(0, 0, -1, NULL);
    rgc_decref(o);
    rgc_decref(p);
    assert_int_equal(hits(a), before + 2);
    assert_heap_ok(h);
    rgc_heap_destroy(h);
}

static void test_hooks_armed_for_nothing_leave_every_path_as_it_was(void **state)
{
    (void)state;
    rgc_heap_t *h = rgc_heap_new(NULL);
    armed_t a = arm(0, 0, -1, NULL);
    uint64_t before = hits(a);
    for (int i = 0; i < 1000; i++) {
        void *o = rgc_int_new(h, 1000 + i);
        void *r = rgc_mem_alloc(h, (size_t)(1 + i % 600));
        rgc_mem_free(h, r);
        rgc_decref(o);
    }
    rgc_gc_collect(h, 2);
    assert_int_equal(hits(a), before);
    assert_int_equal(_rgc_runtime.hooks.any, 1); /* its byte `one` alone */
    assert_int_equal(_rgc_runtime.free_gate, table()->free_gate_open);
    assert_int_equal(_rgc_runtime.alloc_gate, table()->alloc_gate_open);
    assert_heap_ok(h);
    rgc_heap_destroy(h);
}

/* A raw path's gate closes only for what a raw block can match: a free
 * (of any address) closes the free gate, an allocation of any type the
 * allocation gate; a type's allocations, a count reaching zero or the
 * collector leave both open — and the events armed still reach the hook. */
static void test_a_hook_closes_only_the_gates_of_the_raw_events_it_can_match(void **state)
{
    (void)state;
    const rgc_debug_table_t *t = table();
    rgc_heap_t *h = rgc_heap_new(NULL);
    static const struct {
        rgc_event_kind_t kind;
        uint32_t type_id;
        int free_closed, alloc_closed;
    } cases[] = {
        {RGC_EV_FREE, 0, 1, 0},     {RGC_EV_ALLOC, 0, 0, 1},  {RGC_EV_ALLOC, 1, 0, 0},
        {RGC_EV_ZERO, 0, 0, 0},     {RGC_EV_GC_START, 0, 0, 0}, {RGC_EV_GC_END, 0, 0, 0},
        {RGC_EV_ERROR, 0, 0, 0},    {RGC_EV_REFCNT, 0, 0, 0},
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        uint32_t type_id = cases[i].type_id ? rgc_type_id(node_type()) : 0;
        armed_t a = arm((uint8_t)RGC_DEBUG_HOOK_BIT(cases[i].kind), type_id, -1, NULL);
        assert_int_equal(_rgc_runtime.free_gate, cases[i].free_closed ? 0 : t->free_gate_open);
        assert_int_equal(_rgc_runtime.alloc_gate, cases[i].alloc_closed ? 0 : t->alloc_gate_open);
        assert_heap_ok(h); /* by the rule: the checker agrees */
        /* The raw events of an armed kind reach the hook; the others do
         * not, and the gates left open lose nothing. */
        uint64_t before = hits(a);
        void *r = rgc_mem_alloc(h, 40);
        rgc_mem_free(h, r);
        uint64_t raw = (cases[i].kind == RGC_EV_ALLOC && !type_id) + (cases[i].kind == RGC_EV_FREE);
        assert_int_equal(hits(a), before + raw);
        /* The node's allocation matches the type filter (the one case with
         * a type); a node dying counts for ZERO and FREE. */
        node_t *n = rgc_new(h, node_type());
        rgc_decref(n);
        uint64_t obj = (cases[i].kind == RGC_EV_ALLOC) + (cases[i].kind == RGC_EV_FREE) +
                       (cases[i].kind == RGC_EV_ZERO);
        assert_int_equal(hits(a), before + raw + obj);
        rgc_gc_collect(h, 0);
        uint64_t gc = cases[i].kind == RGC_EV_GC_START || cases[i].kind == RGC_EV_GC_END;
        assert_int_equal(hits(a), before + raw + obj + gc);
    }
    arm(0, 0, -1, NULL);
    assert_int_equal(_rgc_runtime.free_gate, t->free_gate_open);
    assert_int_equal(_rgc_runtime.alloc_gate, t->alloc_gate_open);
    /* A type filter written after the mask changes the rule: the
     * allocation gate left closed for every type is out of it. */
    arm(RGC_DEBUG_HOOK_BIT(RGC_EV_ALLOC), 0, -1, NULL);
    uint32_t id = rgc_type_id(node_type());
    memcpy((void *)(uintptr_t)(t->runtime_address + t->runtime_hooks + t->hooks_type_id), &id, 4);
    rgc_check_result_t r;
    assert_int_not_equal(rgc_heap_check(h, &r), 0);
    assert_non_null(strstr(r.message, "out of their rule"));
    arm(0, 0, -1, NULL);
    assert_heap_ok(h);
    rgc_heap_destroy(h);
}

/* A recorder, a trace and a debugger's hook at once: the ring has every
 * event, the trace every live block, the hook its one free. */
static void test_a_recorder_a_trace_and_a_hook_together_each_see_what_they_asked(void **state)
{
    (void)state;
    rgc_heap_t *h = rgc_heap_new(NULL);
    assert_int_equal(rgc_recorder_start(h, 64), 0);
    assert_int_equal(rgc_trace_start(h, 1, 0), 0);
    void *b[8];
    for (int i = 0; i < 8; i++)
        b[i] = rgc_mem_alloc(h, 64);
    armed_t a = arm(RGC_DEBUG_HOOK_BIT(RGC_EV_FREE), 0, -1, b[3]);
    uint64_t before = hits(a);
    for (int i = 0; i < 4; i++)
        rgc_mem_free(h, b[i]);
    assert_int_equal(hits(a), before + 1);
    assert_ptr_equal((void *)(uintptr_t)last_event(a).address, b[3]);
    arm(0, 0, -1, NULL);
    rgc_event_t ev[64];
    assert_int_equal(rgc_recorder_events(h, ev, 64), 12);
    for (int i = 0; i < 4; i++) {
        assert_int_equal(ev[8 + i].kind, RGC_EV_FREE);
        assert_ptr_equal((void *)(uintptr_t)ev[8 + i].address, b[i]);
    }
    size_t current = 0;
    rgc_trace_get_traced_memory(h, &current, NULL);
    assert_int_equal(current, 4 * 64);
    rgc_trace_info_t info;
    assert_int_equal(rgc_trace_get(h, b[0], &info), -1);
    assert_int_equal(rgc_trace_get(h, b[4], &info), 0);
    assert_int_equal(info.size, 64);
    for (int i = 4; i < 8; i++)
        rgc_mem_free(h, b[i]);
    rgc_trace_get_traced_memory(h, &current, NULL);
    assert_int_equal(current, 0);
    rgc_trace_stop(h);
    rgc_recorder_stop(h);
    assert_heap_ok(h);
    rgc_heap_destroy(h);
}

/* The gates follow the runtime's own listeners — a trace of every
 * allocation closes them, a recorder or a sampling trace does not — and a debugger that writes the mask but not the
 * gates is what the heap checker reports. */
static void test_the_gates_close_while_a_trace_or_hook_listens_and_the_checker_names_a_mask_without_them(
    void **state)
{
    (void)state;
    const rgc_debug_table_t *t = table();
    rgc_heap_t *h = rgc_heap_new(NULL);
    assert_int_equal(rgc_trace_start(h, 1, 0), 0); /* every allocation */
    assert_int_equal(_rgc_runtime.free_gate, 0);
    assert_int_equal(_rgc_runtime.alloc_gate, 0);
    assert_int_equal(rd8(t->runtime_address + t->runtime_hooks + t->hooks_tracing), 0x80);
    assert_int_equal(rd32(t->runtime_address + t->runtime_hooks + t->hooks_tracers), 1);
    assert_int_equal(rgc_recorder_start(h, 64), 0); /* and a recorder: closed still */
    assert_int_equal(_rgc_runtime.free_gate, 0);
    assert_heap_ok(h);
    rgc_trace_stop(h);
    assert_int_equal(rd8(t->runtime_address + t->runtime_hooks + t->hooks_tracing), 0);
    assert_int_equal(_rgc_runtime.free_gate, t->free_gate_open); /* the recorder alone */
    assert_int_equal(_rgc_runtime.alloc_gate, t->alloc_gate_open);
    assert_int_not_equal(rd8(t->runtime_address + t->runtime_hooks + t->hooks_watching), 0);
    rgc_recorder_stop(h);
    assert_int_equal(rgc_trace_start(h, 1, 4096), 0); /* sampling: by the heap's flags */
    assert_int_equal(_rgc_runtime.free_gate, t->free_gate_open);
    assert_int_equal(_rgc_runtime.alloc_gate, t->alloc_gate_open);
    assert_int_not_equal(rd32((uint64_t)(uintptr_t)h + t->heap_flags) & t->heap_flag_sampling, 0);
    assert_int_not_equal(rd8(t->runtime_address + t->runtime_hooks + t->hooks_sampling), 0);
    assert_heap_ok(h);
    rgc_trace_stop(h);
    assert_int_equal(rd32((uint64_t)(uintptr_t)h + t->heap_flags) & t->heap_flag_sampling, 0);
    assert_int_equal(_rgc_runtime.free_gate, t->free_gate_open);
    assert_int_equal(_rgc_runtime.alloc_gate, t->alloc_gate_open);
    assert_heap_ok(h);
    uint8_t mask = RGC_DEBUG_HOOK_BIT(RGC_EV_FREE);
    memcpy((void *)(uintptr_t)(t->runtime_address + t->runtime_hooks + t->hooks_mask), &mask, 1);
    rgc_check_result_t r;
    assert_int_not_equal(rgc_heap_check(h, &r), 0);
    assert_ptr_equal(r.address, (void *)(uintptr_t)(t->runtime_address + t->runtime_free_gate));
    assert_non_null(strstr(r.message, "wrote the mask or the gates out of their rule"));
    arm(mask, 0, -1, NULL); /* the mask again, and the gates by their rule */
    assert_heap_ok(h);
    arm(0, 0, -1, NULL);
    assert_heap_ok(h);
    rgc_heap_destroy(h);
}

/* ---- a recorder and the raw paths */

/* The raw events a test expects in a recorder's ring, in order. */
typedef struct expect {
    rgc_event_t ev[4096];
    size_t n;
    uint64_t slots; /* the ring's slots the events take */
} expect_t;

/* The ring's slots an event of `size` bytes takes: two for a size past
 * the slot's 10 bits (a long record), else one. */
static uint64_t slots_for(uint64_t size)
{
    return size != UINT64_MAX && size >> table()->record_size_bits ? 2 : 1;
}

static void ex_add(expect_t *x, uint32_t kind, const void *p, uint64_t size)
{
    x->ev[x->n++] = (rgc_event_t){.seq = x->slots + 1, .kind = kind, .address = (uint64_t)(uintptr_t)p,
                                  .size = size};
    x->slots += slots_for(size);
}

static void *ex_alloc(expect_t *x, rgc_heap_t *h, size_t n)
{
    void *p = rgc_mem_alloc(h, n);
    assert_non_null(p);
    ex_add(x, RGC_EV_ALLOC, p, n);
    return p;
}

static void ex_free(expect_t *x, rgc_heap_t *h, void *p)
{
    size_t size = rgc_mem_usable_size(h, p);
    rgc_mem_free(h, p);
    ex_add(x, RGC_EV_FREE, p, size);
}

/* The ring holds exactly the expected events, numbered from `first`
 * (a long record takes two numbers). */
static void assert_ring_is(const rgc_heap_t *h, const expect_t *x, uint64_t first)
{
    static rgc_event_t got[4096];
    assert_int_equal(rgc_recorder_events(h, got, 4096), x->n);
    for (size_t i = 0; i < x->n; i++) {
        assert_int_equal(got[i].seq, first - 1 + x->ev[i].seq);
        assert_int_equal(got[i].kind, x->ev[i].kind);
        assert_int_equal(got[i].address, x->ev[i].address);
        assert_int_equal(got[i].size, x->ev[i].size);
    }
}

static int raw_pool_tagged(const void *p)
{
    return (_rgc_pool_of(p)->tag & table()->pool_tag_record) != 0;
}

/* A recorder leaves the gates open: its heap's raw allocations leave the
 * fast path by the heap's flags, its raw frees by their pools' tags, in
 * every case (pools made before and after it started, pools filling up and
 * emptying, large blocks, calloc and realloc), while another heap's raw
 * paths stay as they were and its events stay out of the ring. */
static void test_a_recorder_takes_its_own_heaps_raw_blocks_off_the_fast_paths_and_no_other_heaps(void **state)
{
    (void)state;
    const rgc_debug_table_t *t = table();
    rgc_heap_t *h = rgc_heap_new(NULL), *other = rgc_heap_new(NULL);
    static expect_t x;
    x.n = 0;
    x.slots = 0;
    void *before = rgc_mem_alloc(h, 64), *obj = rgc_int_new(h, 1000);
    void *theirs = rgc_mem_alloc(other, 64);
    assert_int_equal(rgc_recorder_start(h, 4096), 0);
    assert_int_equal(_rgc_runtime.free_gate, t->free_gate_open);
    assert_int_equal(_rgc_runtime.alloc_gate, t->alloc_gate_open);
    assert_int_not_equal(rd32((uint64_t)(uintptr_t)h + t->heap_flags) & t->heap_flag_recording, 0);
    assert_int_equal(rd32((uint64_t)(uintptr_t)other + t->heap_flags) & t->heap_flag_recording, 0);
    assert_true(raw_pool_tagged(before));  /* a pool made before the start */
    assert_false(raw_pool_tagged(obj));    /* objects: by the hook words */
    assert_false(raw_pool_tagged(theirs)); /* another heap's */
    assert_heap_ok(h);

    /* 700 blocks of 64 bytes fill three pools (256 a pool) and start a
     * fourth; every third is freed, then the rest: frees into full pools,
     * pools emptying. */
    static void *b[700];
    for (int i = 0; i < 700; i++)
        b[i] = ex_alloc(&x, h, i % 2 ? 64 : 60);
    assert_true(raw_pool_tagged(b[699])); /* a pool made after */
    for (int i = 0; i < 700; i += 3)
        ex_free(&x, h, b[i]);
    void *o1 = rgc_mem_alloc(other, 64); /* another heap's, in between */
    for (int i = 0; i < 700; i++)
        if (i % 3)
            ex_free(&x, h, b[i]);
    ex_free(&x, h, before);
    void *big = ex_alloc(&x, h, 5000); /* a large block */
    ex_free(&x, h, big);
    void *c = rgc_mem_calloc(h, 100);
    ex_add(&x, RGC_EV_ALLOC, c, 100);
    ex_free(&x, h, c);
    rgc_mem_free(other, o1);
    rgc_mem_free(other, theirs);
    assert_int_equal(_rgc_runtime.free_gate, t->free_gate_open);
    assert_int_equal(_rgc_runtime.alloc_gate, t->alloc_gate_open);
    assert_int_equal(x.n, 2 * 700 + 1 + 2 + 2);
    assert_ring_is(h, &x, 1);
    assert_heap_ok(h);
    assert_heap_ok(other);

    /* Stopped: the flag and the tags go, and nothing more is recorded. */
    void *kept = rgc_mem_alloc(h, 64);
    rgc_recorder_stop(h);
    assert_int_equal(rd32((uint64_t)(uintptr_t)h + t->heap_flags) & t->heap_flag_recording, 0);
    assert_false(raw_pool_tagged(kept));
    rgc_mem_free(h, kept);
    assert_int_equal(rgc_recorder_events(h, x.ev, 4096), 0);
    rgc_decref(obj);
    assert_heap_ok(h);
    rgc_heap_destroy(other);
    rgc_heap_destroy(h);
}

/* A heap that writes fill bytes, or whose raw frees a debugger's hook
 * wants (the gates closed then), takes the reporting paths: the recorder
 * sees each event once there too, and the hook its own. */
static void test_a_recording_heap_that_fills_or_has_a_hook_armed_records_each_event_once(void **state)
{
    (void)state;
    rgc_heap_config_t cfg = {.flags = RGC_HEAP_FILL};
    rgc_heap_t *h = rgc_heap_new(&cfg);
    static expect_t x;
    x.n = 0;
    x.slots = 0;
    assert_int_equal(rgc_recorder_start(h, 4096), 0);
    static void *b[300];
    for (int i = 0; i < 300; i++)
        b[i] = ex_alloc(&x, h, 48);
    for (int i = 299; i >= 0; i--)
        ex_free(&x, h, b[i]);
    assert_ring_is(h, &x, 1);
    assert_heap_ok(h);
    rgc_heap_destroy(h);

    h = rgc_heap_new(NULL);
    x.n = 0;
    x.slots = 0;
    assert_int_equal(rgc_recorder_start(h, 4096), 0);
    for (int i = 0; i < 300; i++)
        b[i] = ex_alloc(&x, h, 48);
    armed_t a = arm(RGC_DEBUG_HOOK_BIT(RGC_EV_FREE) | RGC_DEBUG_HOOK_BIT(RGC_EV_ALLOC), 0, -1, b[7]);
    assert_int_equal(_rgc_runtime.free_gate, 0);
    assert_int_equal(_rgc_runtime.alloc_gate, 0);
    uint64_t before = hits(a);
    void *more = ex_alloc(&x, h, 48);
    assert_int_equal(hits(a), before + 1); /* an allocation: no address filter */
    for (int i = 0; i < 300; i++)
        ex_free(&x, h, b[i]);
    assert_int_equal(hits(a), before + 2); /* b[7]'s free */
    arm(0, 0, -1, NULL);
    assert_int_equal(_rgc_runtime.free_gate, table()->free_gate_open);
    ex_free(&x, h, more);
    assert_ring_is(h, &x, 1);
    rgc_recorder_stop(h);
    assert_heap_ok(h);
    rgc_heap_destroy(h);
}

/* The heap checker holds the flag and the tags to the recorder. */
static void test_the_checker_names_a_heap_whose_own_flags_or_pool_tags_disagree_with_its_recorder_or_trace(
    void **state)
{
    (void)state;
    rgc_heap_t *h = rgc_heap_new(NULL);
    void *p = rgc_mem_alloc(h, 64);
    assert_int_equal(rgc_recorder_start(h, 16), 0);
    rgc_check_result_t r;
    h->flags &= ~(unsigned)RGC_HEAP_RECORDING;
    assert_int_not_equal(rgc_heap_check(h, &r), 0);
    assert_ptr_equal(r.address, h);
    assert_non_null(strstr(r.message, "recorder is off"));
    h->flags |= RGC_HEAP_RECORDING;
    assert_heap_ok(h);
    _rgc_pool_of(p)->tag &= ~(uintptr_t)RGC_TAG_RECORD;
    assert_int_not_equal(rgc_heap_check(h, &r), 0);
    assert_non_null(strstr(r.message, "pool tag"));
    _rgc_pool_of(p)->tag |= RGC_TAG_RECORD;
    assert_heap_ok(h);
    rgc_recorder_stop(h);
    /* The sampling flag, held to the trace the same way. */
    h->flags |= RGC_HEAP_SAMPLING;
    assert_int_not_equal(rgc_heap_check(h, &r), 0);
    assert_ptr_equal(r.address, h);
    assert_non_null(strstr(r.message, "the trace says it is not"));
    void *q = rgc_mem_alloc(h, 32); /* the flag without a trace: allocations still work */
    assert_non_null(q);
    rgc_mem_free(h, q);
    h->flags &= ~(unsigned)RGC_HEAP_SAMPLING;
    assert_int_equal(rgc_trace_start(h, 1, 4096), 0);
    assert_heap_ok(h);
    h->flags &= ~(unsigned)RGC_HEAP_SAMPLING;
    assert_int_not_equal(rgc_heap_check(h, &r), 0);
    assert_non_null(strstr(r.message, "say a sample is not traced"));
    h->flags |= RGC_HEAP_SAMPLING;
    rgc_trace_stop(h);
    rgc_mem_free(h, p);
    assert_heap_ok(h);
    rgc_heap_destroy(h);
}

/* ---- everything at once, at random */

#define MIX_LIVE 600
#define MIX_RING 8192
#define MIX_EXPECT 20000

typedef struct mix_side {
    rgc_heap_t *h;
    int rec;                  /* recorder on */
    int trace;                /* 0 off, 1 every allocation, 2 sampled */
    void *blk[MIX_LIVE];
    size_t size[MIX_LIVE];    /* bytes asked; 0: an int object */
    int traced[MIX_LIVE];     /* 1 traced, 0 not, -1 unknown (sampled) */
    size_t n;
    rgc_event_t ev[MIX_EXPECT]; /* the events since the recorder started */
    size_t nev;
    uint64_t slots;             /* the ring's slots they take */
} mix_side_t;

static uint64_t mix_rng;
static uint64_t mix_next(void)
{
    mix_rng ^= mix_rng << 13;
    mix_rng ^= mix_rng >> 7;
    mix_rng ^= mix_rng << 17;
    return mix_rng;
}

static void mix_expect(mix_side_t *s, uint32_t kind, const void *p, uint64_t size)
{
    if (s->rec && s->nev < MIX_EXPECT) {
        s->ev[s->nev++] = (rgc_event_t){.seq = s->slots + 1, .kind = kind, .address = (uint64_t)(uintptr_t)p,
                                        .size = size};
        s->slots += slots_for(size);
    }
}

/* The ring holds the last of the expected events, those whose first slot
 * it still has, numbered as they came (sizes compared for raw blocks;
 * objects' by kind and address). */
static void mix_check_ring(const mix_side_t *s)
{
    static rgc_event_t got[MIX_RING];
    uint64_t first = s->slots > MIX_RING ? s->slots - MIX_RING + 1 : 1;
    size_t k = 0;
    while (k < s->nev && s->ev[k].seq < first)
        k++;
    size_t want = s->nev - k;
    assert_int_equal(rgc_recorder_events(s->h, got, MIX_RING), want);
    for (size_t i = 0; i < want; i++) {
        const rgc_event_t *e = &s->ev[k + i];
        assert_int_equal(got[i].seq, e->seq);
        assert_int_equal(got[i].kind, e->kind);
        assert_int_equal(got[i].address, e->address);
        if (e->size != UINT64_MAX)
            assert_int_equal(got[i].size, e->size);
    }
}

static void mix_check_traces(const mix_side_t *s)
{
    for (size_t i = 0; i < s->n; i++) {
        if (s->size[i] == 0 || s->traced[i] < 0)
            continue;
        rgc_trace_info_t info;
        int rc = rgc_trace_get(s->h, s->blk[i], &info);
        assert_int_equal(rc, s->traced[i] ? 0 : -1);
        if (rc == 0)
            assert_int_equal(info.size, s->size[i]);
    }
}

static void mix_checkpoint(mix_side_t *sides)
{
    for (int k = 0; k < 2; k++) {
        if (sides[k].rec)
            mix_check_ring(&sides[k]);
        mix_check_traces(&sides[k]);
        assert_heap_ok(sides[k].h);
    }
}

/* Two heaps, raw blocks of every size class and large ones, objects, and
 * at random: each heap's recorder started and stopped, its tracing (every
 * allocation, or a sample) started and stopped, a debugger's hook armed
 * for every allocation and disarmed — the gates opening and closing, the
 * recording heap's flag and tags coming and going, pools made and given
 * back meanwhile.  Each recording heap's ring holds exactly its events,
 * each once; each traced block has its trace and no other has; the hook
 * is called once per allocation while armed; both heaps pass the checker
 * throughout. */
static void test_recorders_traces_and_hooks_started_and_stopped_at_random_see_exactly_their_events(void **state)
{
    (void)state;
    static char never_freed;
    static mix_side_t sides[2];
    for (uint64_t seed = 1; seed <= 3; seed++) {
        mix_rng = 0x9E3779B97F4A7C15ull * seed;
        memset(sides, 0, sizeof sides);
        sides[0].h = rgc_heap_new(NULL);
        sides[1].h = rgc_heap_new(NULL);
        int armed = 0;
        armed_t a = arm(0, 0, -1, NULL);
        uint64_t hits_expected = 0, hits_base = hits(a);
        for (int step = 0; step < 4000; step++) {
            mix_side_t *s = &sides[mix_next() & 1];
            unsigned r = (unsigned)(mix_next() % 100);
            if (r < 40 && s->n < MIX_LIVE) {
                unsigned q = (unsigned)(mix_next() % 100);
                size_t size = q < 70 ? 1 + mix_next() % 128 : q < 95 ? 129 + mix_next() % 384 : 513 + mix_next() % 6000;
                void *p = rgc_mem_alloc(s->h, size);
                assert_non_null(p);
                s->blk[s->n] = p;
                s->size[s->n] = size;
                s->traced[s->n] = s->trace == 1 ? 1 : s->trace == 2 ? -1 : 0;
                s->n++;
                mix_expect(s, RGC_EV_ALLOC, p, size);
                hits_expected += armed;
            } else if (r < 48 && s->n < MIX_LIVE) {
                void *o = rgc_int_new(s->h, 1000000 + step);
                assert_non_null(o);
                s->blk[s->n] = o;
                s->size[s->n] = 0;
                s->traced[s->n] = -1;
                s->n++;
                mix_expect(s, RGC_EV_ALLOC, o, UINT64_MAX);
                hits_expected += armed;
            } else if (r < 78 && s->n > 0) {
                size_t i = (size_t)(mix_next() % s->n);
                void *p = s->blk[i];
                if (s->size[i]) {
                    size_t block = rgc_mem_usable_size(s->h, p);
                    rgc_mem_free(s->h, p);
                    mix_expect(s, RGC_EV_FREE, p, block);
                } else {
                    rgc_decref(p);
                    mix_expect(s, RGC_EV_ZERO, p, UINT64_MAX);
                    mix_expect(s, RGC_EV_FREE, p, UINT64_MAX);
                }
                s->n--;
                s->blk[i] = s->blk[s->n];
                s->size[i] = s->size[s->n];
                s->traced[i] = s->traced[s->n];
            } else if (r < 82 || (s->rec && s->nev > MIX_EXPECT - 8)) {
                if (s->rec) {
                    mix_check_ring(s);
                    rgc_recorder_stop(s->h);
                    s->rec = 0;
                } else {
                    assert_int_equal(rgc_recorder_start(s->h, MIX_RING), 0);
                    s->rec = 1;
                    s->nev = 0;
                    s->slots = 0;
                }
            } else if (r < 86) {
                if (s->trace) {
                    mix_check_traces(s);
                    rgc_trace_stop(s->h);
                    s->trace = 0;
                    for (size_t i = 0; i < s->n; i++)
                        s->traced[i] = 0;
                } else {
                    s->trace = mix_next() & 1 ? 1 : 2;
                    assert_int_equal(rgc_trace_start(s->h, 1, s->trace == 2 ? 4096 : 0), 0);
                }
            } else if (r < 89) {
                assert_int_equal(hits(a) - hits_base, hits_expected);
                armed = !armed;
                a = arm(armed ? RGC_DEBUG_HOOK_BIT(RGC_EV_ALLOC) | RGC_DEBUG_HOOK_BIT(RGC_EV_FREE) : 0, 0, -1,
                        &never_freed);
                hits_base = hits(a);
                hits_expected = 0;
            } else if (r < 91) {
                mix_checkpoint(sides);
            }
            if (step % 50 == 0) {
                assert_heap_ok(sides[0].h);
                assert_heap_ok(sides[1].h);
            }
        }
        assert_int_equal(hits(a) - hits_base, hits_expected);
        arm(0, 0, -1, NULL);
        mix_checkpoint(sides);
        for (int k = 0; k < 2; k++) {
            mix_side_t *s = &sides[k];
            while (s->n > 0) {
                s->n--;
                if (s->size[s->n])
                    rgc_mem_free(s->h, s->blk[s->n]);
                else
                    rgc_decref(s->blk[s->n]);
            }
            assert_heap_ok(s->h);
            rgc_heap_destroy(s->h);
        }
    }
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_the_table_begins_with_its_cookie_version_and_this_builds_sizes),
        cmocka_unit_test(test_every_entry_holds_the_size_offset_or_constant_the_compiler_gives),
        cmocka_unit_test(test_the_table_is_a_dynamic_symbol_and_a_section_of_its_own),
        cmocka_unit_test(test_a_stripped_optimized_program_finds_its_table_by_symbol_and_by_section),
        cmocka_unit_test(test_the_table_alone_leads_from_a_block_to_its_pool_and_heap),
        cmocka_unit_test(test_the_recorder_keeps_the_last_events_oldest_first_with_their_numbers),
        cmocka_unit_test(test_allocations_record_the_size_asked_and_a_site_in_the_caller),
        cmocka_unit_test(test_the_rings_slots_read_through_the_table_are_the_events),
        cmocka_unit_test(test_the_heap_checker_holds_the_rings_slots_to_their_rules),
        cmocka_unit_test(test_an_object_dying_by_its_count_is_recorded_as_zero_then_free_children_included),
        cmocka_unit_test(test_collections_and_errors_are_recorded_too),
        cmocka_unit_test(test_the_recorder_refuses_a_bad_capacity_and_zero_turns_it_off),
        cmocka_unit_test(test_a_hook_armed_for_one_types_allocations_fires_for_that_type_alone),
        cmocka_unit_test(test_a_hook_armed_for_one_address_fires_on_its_free_and_its_count_reaching_zero),
        cmocka_unit_test(test_a_hook_armed_for_collections_of_one_generation_fires_at_its_start_and_end),
        cmocka_unit_test(test_count_changes_of_the_watched_object_reach_the_hook_in_code_built_for_it),
        cmocka_unit_test(test_hooks_armed_for_nothing_leave_every_path_as_it_was),
        cmocka_unit_test(test_a_hook_closes_only_the_gates_of_the_raw_events_it_can_match),
        cmocka_unit_test(test_a_recorder_a_trace_and_a_hook_together_each_see_what_they_asked),
        cmocka_unit_test(test_the_gates_close_while_a_trace_or_hook_listens_and_the_checker_names_a_mask_without_them),
        cmocka_unit_test(test_a_recorder_takes_its_own_heaps_raw_blocks_off_the_fast_paths_and_no_other_heaps),
        cmocka_unit_test(test_a_recording_heap_that_fills_or_has_a_hook_armed_records_each_event_once),
        cmocka_unit_test(test_the_checker_names_a_heap_whose_own_flags_or_pool_tags_disagree_with_its_recorder_or_trace),
        cmocka_unit_test(test_recorders_traces_and_hooks_started_and_stopped_at_random_see_exactly_their_events),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
