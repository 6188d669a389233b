#!/usr/bin/env python3
"""gc_bench.py — CPython's cycle collector on the graph shapes of gcbench.c.

Same arguments, same JSON line on stdout, so bench/run.py can run it beside
build/bench/gcbench-rgc:

  cycles   N                     N objects in N/2 garbage 2-cycles, one gc.collect()
  live     N REPEATS             N live objects held in a list: the first
                                 gc.collect() (young to old), then REPEATS more
  ring     N                     one garbage ring of N objects, one gc.collect()
  young    N_OLD N_YOUNG ITERS [EVERY]
                                 N_OLD objects in generation 2; ITERS times:
                                 drop the previous young objects, make N_YOUNG
                                 new ones (held in an old list), time gc.collect(0);
                                 with EVERY > 0, also gc.collect(1) (untimed)
                                 after every EVERY of them

Every object is an instance of a class with __slots__ = ('a', 'b') — two
reference fields, no __dict__, no __weakref__ — the analogue of rgc's
two-field type.  Automatic collection is disabled before any graph is built.
The interpreter's own objects (modules, functions, ...) are collected and
then frozen (gc.freeze) first, so that no collection timed here also walks
them: the collector sees the benchmark's graph only, as rgc's does.  Each
collection's result is checked against the garbage the shape has.

Standard library only; time.perf_counter_ns around the collection call.
"""

import gc
import json
import platform
import statistics
import sys
import sysconfig
import time


class Node:
    __slots__ = ("a", "b")

    def __init__(self):
        self.a = None
        self.b = None


def info():
    # How the interpreter was built, as far as sysconfig tells (a
    # distribution's PGO/LTO build does not always show in CONFIG_ARGS).
    return {
        "impl": "cpython",
        "version": platform.python_version(),
        "executable": sys.executable,
        "build": " ".join(platform.python_build()),
        "compiler": platform.python_compiler(),
        "opt": sysconfig.get_config_var("OPT"),
        "config_args": sysconfig.get_config_var("CONFIG_ARGS"),
        "object_bytes": sys.getsizeof(Node()),  # with the 16-byte GC head
    }


def timed_collect(gen, expect):
    collect = gc.collect
    t0 = time.perf_counter_ns()
    found = collect(gen)
    t1 = time.perf_counter_ns()
    if found != expect:
        sys.exit("gc_bench: gc.collect(%d) found %d unreachable objects, expected %d"
                 % (gen, found, expect))
    return t1 - t0


def bench_cycles(n):
    pairs = n // 2
    n = 2 * pairs
    for _ in range(pairs):
        x = Node()
        y = Node()
        x.a = y
        y.a = x
    x = y = None
    t = timed_collect(2, n)
    return {"n": n, "metrics": {"ns_per_object": t / n, "total_ms": t / 1e6}}


def bench_live(n, repeats):
    keep = [Node() for _ in range(n)]
    first = timed_collect(2, 0) / n
    old = [timed_collect(2, 0) / n for _ in range(repeats)]
    metrics = {"first_ns_per_object": first}
    if old:
        metrics["old_ns_per_object"] = min(old)
    del keep
    return {"n": n, "repeats": repeats, "metrics": metrics, "old_samples": old}


def bench_ring(n):
    first = prev = Node()
    for _ in range(n - 1):
        o = Node()
        prev.a = o
        prev = o
    prev.a = first
    first = prev = o = None
    t = timed_collect(2, n)
    return {"n": n, "metrics": {"ns_per_object": t / n, "total_ms": t / 1e6}}


def bench_young(n_old, n_young, iters, every=0):
    old = [Node() for _ in range(n_old)]
    young = []
    append = young.append
    clear = young.clear
    timed_collect(2, 0)  # everything so far, the young list included, is old now
    gen2 = len(gc.get_objects(2))
    t = []
    for _ in range(iters):
        clear()  # the previous young objects die
        for _ in range(n_young):
            append(Node())
        count0 = gc.get_count()[0]
        if count0 < n_young:
            sys.exit("gc_bench: generation 0 count %d, expected >= %d" % (count0, n_young))
        t.append(timed_collect(0, 0) / 1e3)
        if every and len(t) % every == 0:
            timed_collect(1, 0)
    tenth = max(iters // 10, 1)
    del old
    return {"n_old": n_old, "n_young": n_young, "iters": iters, "every": every, "gen2": gen2,
            "metrics": {"us_per_collection": statistics.median(t), "us_min": min(t),
                        "us_first_tenth": sum(t[:tenth]) / tenth,
                        "us_last_tenth": sum(t[-tenth:]) / tenth}}


BENCHES = {"cycles": (bench_cycles, 1, 1), "live": (bench_live, 2, 2), "ring": (bench_ring, 1, 1),
           "young": (bench_young, 3, 4)}


def main():
    if len(sys.argv) < 2 or sys.argv[1] not in BENCHES:
        sys.exit("usage: gc_bench.py cycles|live|ring|young ARGS...")
    fn, least, most = BENCHES[sys.argv[1]]
    args = [int(a) for a in sys.argv[2:2 + most]]
    if len(args) < least:
        sys.exit("gc_bench.py %s: %d arguments needed" % (sys.argv[1], least))
    gc.disable()
    gc.collect()
    gc.freeze()  # the interpreter's own objects: out of every timed collection
    out = {"bench": sys.argv[1]}
    out.update(info())
    out.update(fn(*args))
    out["gc_stats"] = gc.get_stats()
    print(json.dumps(out))


if __name__ == "__main__":
    main()
