# bench/bench.mk — `make bench` (QUICK=1: a smoke run of a few seconds).
# Included by the top-level Makefile.  Builds the benchmark programs once per
# allocator from the same source (bench/bench_alloc.h is the seam) and runs
# them side by side with bench/run.py, which writes bench/out/*.json.
# The collector benchmarks (bench/gcbench.c against CPython running
# bench/gc_bench.py) run in the same `make bench`.
# What each benchmark measures: docs/performance.md.

PYTHON ?= python3
BENCH_ALLOCATORS := glibc mimalloc jemalloc rgc
BENCH_BUILD := build/bench
BENCH_CFLAGS := $(WARN) -O2 -g -D_GNU_SOURCE -Iinclude -fno-builtin-malloc -fno-builtin-free
BENCH_HDR := bench/bench_alloc.h include/rgc.h

# Per allocator: the selecting macro, what to link, what to rebuild on.
BENCH_DEF_glibc := -DBENCH_ALLOC_GLIBC
BENCH_DEF_mimalloc := -DBENCH_ALLOC_MIMALLOC
BENCH_DEF_jemalloc := -DBENCH_ALLOC_JEMALLOC
BENCH_DEF_rgc := -DBENCH_ALLOC_RGC
BENCH_LIBS_mimalloc := -lmimalloc
BENCH_LIBS_jemalloc := -ljemalloc
BENCH_LIBS_rgc := build/librgc.a -lpthread
BENCH_NEEDS_rgc := build/librgc.a

BENCH_BINS := $(foreach a,$(BENCH_ALLOCATORS),$(BENCH_BUILD)/bench-$(a) $(BENCH_BUILD)/icount-$(a)) \
	$(BENCH_BUILD)/gcbench-rgc $(BENCH_BUILD)/bench-rgc-noevents

define BENCH_RULES
$(BENCH_BUILD)/bench-$(1): bench/bench.c $(BENCH_HDR) $(BENCH_NEEDS_$(1)) | deps-bench
	@mkdir -p $$(@D)
	$$(CC) $$(BENCH_CFLAGS) $(BENCH_DEF_$(1)) $$< -o $$@ $(BENCH_LIBS_$(1)) -lm

$(BENCH_BUILD)/icount-$(1): bench/icount.c $(BENCH_HDR) $(BENCH_NEEDS_$(1)) | deps-bench
	@mkdir -p $$(@D)
	$$(CC) $$(BENCH_CFLAGS) $(BENCH_DEF_$(1)) $$< -o $$@ $(BENCH_LIBS_$(1)) -lm
endef
$(foreach a,$(BENCH_ALLOCATORS),$(eval $(call BENCH_RULES,$(a))))

# A second copy of the runtime with -DRGC_NO_EVENTS, compiled exactly like
# build/obj otherwise: its paths test no hook word at all.  bench-rgc-noevents
# is bench-rgc linked with it; the `events` benchmark holds the two side by
# side (what the hook test costs with nothing armed), and measures the event
# recorder and allocation tracing on against off within bench-rgc.
BENCH_NOEV_OBJ := $(SRC:runtime/%.c=$(BENCH_BUILD)/noevents/%.o)

$(BENCH_BUILD)/noevents/%.o: runtime/%.c $(HDR)
	@mkdir -p $(@D)
	$(CC) $(CPPFLAGS_CORE) $(CFLAGS_LIB) -DRGC_NO_EVENTS -c $< -o $@

$(BENCH_BUILD)/librgc-noevents.a: $(BENCH_NOEV_OBJ)
	@rm -f $@
	ar rcs $@ $^

$(BENCH_BUILD)/bench-rgc-noevents: bench/bench.c $(BENCH_HDR) $(BENCH_BUILD)/librgc-noevents.a | deps-bench
	@mkdir -p $(@D)
	$(CC) $(BENCH_CFLAGS) $(BENCH_DEF_rgc) $< -o $@ $(BENCH_BUILD)/librgc-noevents.a -lpthread -lm

# The collector benchmark is rgc's alone; its anchor is CPython's gc, run by
# bench/gc_bench.py under python3 on the same graph shapes.
$(BENCH_BUILD)/gcbench-rgc: bench/gcbench.c include/rgc.h build/librgc.a | deps-bench
	@mkdir -p $(@D)
	$(CC) $(BENCH_CFLAGS) $< -o $@ build/librgc.a -lpthread -lm

.PHONY: bench bench-build
bench-build: deps-bench lib $(BENCH_BINS)

bench: deps-bench lib $(BENCH_BINS)
	$(PYTHON) bench/run.py --bin $(BENCH_BUILD) --out bench/out $(if $(filter-out 0,$(QUICK)),--quick)
