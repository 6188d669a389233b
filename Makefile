# rgc — one entry point: build, test, demo, bench, install.
#   make            librgc.a and librgc.so
#   make check      unit tests (plain, then ASan+UBSan), then the reference
#                   reader's tests (tests/plugins); last line "N passed, N failed"
#   make demo       build and run an example that shows a heap
#   make bench      benchmarks against glibc, mimalloc, jemalloc (QUICK=1: smoke run)
#   make install    PREFIX=/usr/local (DESTDIR honoured)

PREFIX ?= /usr/local
CC ?= cc
SOVERSION := 0
VERSION := 0.1.0

WARN := -std=c11 -Wall -Wextra -Wshadow -Wstrict-prototypes -Wmissing-prototypes
OPT ?= -O2 -g
CPPFLAGS_CORE := -D_GNU_SOURCE -DRGC_BUILD_CORE -Iinclude -Iruntime
CFLAGS_LIB := $(WARN) $(OPT) -fPIC -fvisibility=hidden $(EXTRA_CFLAGS)

SRC := $(sort $(wildcard runtime/*.c))
OBJ := $(SRC:runtime/%.c=build/obj/%.o)
ASAN_OBJ := $(SRC:runtime/%.c=build/asan/%.o)
HDR := include/rgc.h $(wildcard include/rgc_debug.h) $(wildcard runtime/*.h)

TEST_SRC := $(sort $(wildcard tests/unit/test_*.c))
TEST_BIN := $(TEST_SRC:tests/unit/%.c=build/tests/%)
ASAN_TEST_BIN := $(TEST_SRC:tests/unit/%.c=build/tests-asan/%)
TEST_CFLAGS := $(WARN) -O1 -g -D_GNU_SOURCE -DRGC_TESTING -Iinclude -Itests/unit
ASAN_FLAGS := -fsanitize=address,undefined -fno-omit-frame-pointer -fno-sanitize-recover=undefined

# A program linked with librgc.a exports the debug table as a dynamic
# symbol (a shared librgc exports it anyway); rgc.pc says the same.
LDFLAGS_RGC := -Wl,--export-dynamic-symbol=rgc_debug_table

EXAMPLE_SRC := $(sort $(wildcard examples/*.c))
EXAMPLE_BIN := $(EXAMPLE_SRC:examples/%.c=build/examples/%)

.PHONY: all lib check check-install test test-asan demo bench install uninstall clean deps deps-bench deps-demo
all: lib
lib: build/librgc.a build/librgc.so

build/obj/%.o: runtime/%.c $(HDR)
	@mkdir -p $(@D)
	$(CC) $(CPPFLAGS_CORE) $(CFLAGS_LIB) -c $< -o $@

build/asan/%.o: runtime/%.c $(HDR)
	@mkdir -p $(@D)
	$(CC) $(CPPFLAGS_CORE) $(WARN) -O1 -g -DRGC_DEBUG $(ASAN_FLAGS) -c $< -o $@

build/librgc.a: $(OBJ)
	@rm -f $@
	ar rcs $@ $^

build/librgc-asan.a: $(ASAN_OBJ)
	@rm -f $@
	ar rcs $@ $^

build/librgc.so: $(OBJ)
	$(CC) -shared -Wl,-soname,librgc.so.$(SOVERSION) -o $@.$(VERSION) $^ -lpthread -lm
	ln -sf librgc.so.$(VERSION) build/librgc.so.$(SOVERSION)
	ln -sf librgc.so.$(VERSION) $@

build/tests/%: tests/unit/%.c tests/unit/testutil.h build/librgc.a | deps
	@mkdir -p $(@D)
	$(CC) $(TEST_CFLAGS) $< -o $@ build/librgc.a $(LDFLAGS_RGC) -lcmocka -lpthread -lm -ldl

# test_debug runs a program built optimized and stripped, which finds its
# own table by the dynamic symbol and by the section.
build/tests/debug_stripped: tests/unit/debug_stripped.c build/librgc.a include/rgc_debug.h
	@mkdir -p $(@D)
	$(CC) $(WARN) -O2 -s -D_GNU_SOURCE -Iinclude $< -o $@ build/librgc.a $(LDFLAGS_RGC) -lpthread -lm -ldl

build/tests/test_debug build/tests-asan/test_debug: build/tests/debug_stripped

build/tests-asan/%: tests/unit/%.c tests/unit/testutil.h build/librgc-asan.a | deps
	@mkdir -p $(@D)
	$(CC) $(TEST_CFLAGS) -DRGC_DEBUG $(ASAN_FLAGS) $< -o $@ build/librgc-asan.a $(LDFLAGS_RGC) -lcmocka -lpthread -lm -ldl

build/examples/%: examples/%.c build/librgc.a | deps-demo
	@mkdir -p $(@D)
	$(CC) $(WARN) -O0 -g -Iinclude $< -o $@ build/librgc.a $(LDFLAGS_RGC) -lpthread -lm

deps:
	@scripts/deps.sh check

deps-bench:
	@scripts/deps.sh bench

deps-demo:
	@scripts/deps.sh demo

check-install: lib
	@MAKE="$(MAKE)" tests/install/check-install.sh

test: deps $(TEST_BIN)
	@scripts/run-tests.sh plain $(TEST_BIN)

test-asan: deps $(ASAN_TEST_BIN)
	@scripts/run-tests.sh asan $(ASAN_TEST_BIN)

check: deps lib check-install $(TEST_BIN) $(ASAN_TEST_BIN)
	@SUITES=tests/plugins/run.sh scripts/run-tests.sh all $(TEST_BIN) -- $(ASAN_TEST_BIN)

demo: deps-demo $(EXAMPLE_BIN)
	@scripts/demo.sh

-include bench/bench.mk

install: lib
	install -d $(DESTDIR)$(PREFIX)/include $(DESTDIR)$(PREFIX)/lib/pkgconfig
	install -m 644 include/rgc.h $(wildcard include/rgc_debug.h) $(DESTDIR)$(PREFIX)/include/
	install -m 644 build/librgc.a $(DESTDIR)$(PREFIX)/lib/
	install -m 755 build/librgc.so.$(VERSION) $(DESTDIR)$(PREFIX)/lib/
	ln -sf librgc.so.$(VERSION) $(DESTDIR)$(PREFIX)/lib/librgc.so.$(SOVERSION)
	ln -sf librgc.so.$(VERSION) $(DESTDIR)$(PREFIX)/lib/librgc.so
	sed -e 's|@PREFIX@|$(PREFIX)|g' -e 's|@VERSION@|$(VERSION)|g' rgc.pc.in \
	    > $(DESTDIR)$(PREFIX)/lib/pkgconfig/rgc.pc

uninstall:
	rm -f $(DESTDIR)$(PREFIX)/include/rgc.h $(DESTDIR)$(PREFIX)/include/rgc_debug.h
	rm -f $(DESTDIR)$(PREFIX)/lib/librgc.a $(DESTDIR)$(PREFIX)/lib/librgc.so*
	rm -f $(DESTDIR)$(PREFIX)/lib/pkgconfig/rgc.pc

clean:
	rm -rf build
