#!/usr/bin/env bash
# check-install.sh — what an embedder gets is what we meant to ship.
#
#   1. build/librgc.so exports only the API: rgc_* and _rgc_decref_slow
#      (the out-of-line half of the inline rgc_decref).  Anything else
#      leaking out is an internal symbol an embedder could come to rely on.
#   2. `make install PREFIX=<tmp>` lays out headers, libraries and rgc.pc.
#   3. A small program built only from `pkg-config --cflags --libs rgc`
#      links against the installed shared library and runs, with every
#      symbol resolved at load time (LD_BIND_NOW), so a missing dependency
#      of the library fails here rather than in an embedder's process.
#
# Run from the top of the tree after `make lib`.  Uses $MAKE when make
# passes it, and leaves nothing behind.
set -euo pipefail

cd "$(dirname "$0")/../.."
make_cmd=${MAKE:-make}
cc=${CC:-cc}

fail() {
    echo "FAIL install: $*" >&2
    exit 1
}

for tool in nm readelf pkg-config "$cc"; do
    command -v "$tool" >/dev/null 2>&1 || fail "needs $tool"
done
[[ -e build/librgc.so ]] || fail "build/librgc.so is missing (run 'make lib' first)"

# ---- 1. the exported symbols
unexpected=$(nm -D --defined-only build/librgc.so |
    awk 'NF >= 3 { print $3 }' |
    grep -Ev '^(rgc_[A-Za-z0-9_]+|_rgc_decref_slow)(@.*)?$' || true)
if [[ -n $unexpected ]]; then
    fail "build/librgc.so exports symbols outside the API: $(echo "$unexpected" | tr '\n' ' ')"
fi
nexported=$(nm -D --defined-only build/librgc.so | awk 'NF >= 3' | wc -l)
[[ $nexported -gt 0 ]] || fail "build/librgc.so exports nothing"

# ---- 2. install into a scratch prefix
prefix=$(mktemp -d "${TMPDIR:-/tmp}/rgc-inst.XXXXXX")
trap 'rm -rf "$prefix"' EXIT
log=$prefix/make-install.log
if ! "$make_cmd" --no-print-directory -s install PREFIX="$prefix/usr" >"$log" 2>&1; then
    cat "$log" >&2
    fail "make install PREFIX=$prefix/usr failed"
fi
for f in include/rgc.h lib/librgc.a lib/librgc.so lib/pkgconfig/rgc.pc; do
    [[ -e $prefix/usr/$f ]] || fail "make install did not create $f"
done

# ---- 3. build and run an embedder through pkg-config
export PKG_CONFIG_PATH=$prefix/usr/lib/pkgconfig
want_version=$(sed -n 's/^VERSION := *//p' Makefile)
got_version=$(pkg-config --modversion rgc) || fail "pkg-config cannot read rgc.pc"
[[ $got_version == "$want_version" ]] ||
    fail "rgc.pc says version $got_version, the Makefile $want_version"
read -r -a flags <<<"$(pkg-config --cflags --libs rgc)"

src=$prefix/embed.c
cat >"$src" <<'EOF'
/* An embedder: a type with one reference field, an object, its count. */
#include <stddef.h>
#include <stdio.h>
#include <rgc.h>

typedef struct pair { RGC_OBJECT_HEAD; rgc_object_t *next; } pair_t;

int main(void)
{
    static const rgc_ref_field_t refs[] = {{"next", offsetof(pair_t, next)}};
    static const rgc_type_spec_t spec = {
        .name = "Pair", .basic_size = sizeof(pair_t), .ref_fields = refs, .n_ref_fields = 1};
    rgc_type_t *t = rgc_type_register(&spec);
    rgc_heap_t *h = rgc_heap_new(NULL);
    if (!t || !h)
        return 1;
    pair_t *a = rgc_new(h, t), *b = rgc_new(h, t);
    if (!a || !b)
        return 1;
    a->next = (rgc_object_t *)b; /* steals our reference to b */
    rgc_incref(a);
    unsigned counted = rgc_refcount(a);
    rgc_decref(a);
    rgc_heap_stats_t st;
    if (rgc_heap_stats(h, &st) != 0 || st.objects < 2)
        return 1;
    size_t live = st.objects;
    rgc_decref(a); /* frees a, then b through the field */
    rgc_heap_stats(h, &st);
    printf("refcount %u, objects %zu -> %zu, check %d\n", counted, live, st.objects,
           rgc_heap_check(h, NULL));
    rgc_heap_destroy(h);
    return 0;
}
EOF
bin=$prefix/embed
"$cc" -std=c11 -Wall -Wextra -Werror "$src" -o "$bin" "${flags[@]}" ||
    fail "cannot build a program with: $cc $(pkg-config --cflags --libs rgc)"

# It must really use the shared library, not some other copy.
needed=$(LC_ALL=C readelf -d "$bin" 2>/dev/null | sed -n 's/.*NEEDED.*\[\(librgc[^]]*\)\].*/\1/p')
[[ $needed == librgc.so.* ]] || fail "the program does not link librgc.so (NEEDED: ${needed:-none})"

out=$(LD_LIBRARY_PATH=$prefix/usr/lib LD_BIND_NOW=1 "$bin" 2>&1) ||
    fail "the program failed to run against $prefix/usr/lib/$needed: $out"
[[ $out == "refcount 2, objects "*" check 0" ]] || fail "unexpected output: $out"
objs_before=${out#*objects }
objs_before=${objs_before%% ->*}
objs_after=${out#*-> }
objs_after=${objs_after%%,*}
[[ $((objs_before - objs_after)) -eq 2 ]] ||
    fail "decref did not free both objects: $out"

echo "PASS install: $nexported exported symbols, all rgc_*; pkg-config rgc $got_version; embedder linked to $needed and ran"
