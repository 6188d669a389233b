#!/usr/bin/env python3
"""run.py — runs rgc and the anchor allocators side by side, in one run.

Every benchmark program is built once per allocator (build/bench/bench-X,
build/bench/icount-X).  This driver runs them interleaved — for each
repetition, every benchmark configuration, with the allocators in a rotating
order — so that the machine's noise falls on all of them alike.  It keeps
the minimum and the median of the repetitions, prints a table with the ratio
rgc / fastest anchor, and writes every figure, rgc's and the anchors', to
one JSON file per benchmark under the output directory.

The collector benchmarks (part "gc") run build/bench/gcbench-rgc beside
bench/gc_bench.py under CPython — the python3 on PATH, and /usr/bin/python3
too when that is another interpreter — on the same graph shapes, in the
same interleaved way; their anchor is the faster CPython.

The event benchmarks (part "events") run build/bench/bench-rgc beside
build/bench/bench-rgc-noevents, the same program on a runtime built with
RGC_NO_EVENTS (its paths test no hook word): the costs of the event recorder
and of allocation tracing (one frame, sampled, 16 frames) are each mode on /
off within bench-rgc, the cost of the hook test with nothing armed is
bench-rgc off / bench-rgc-noevents off.

Standard library only.  See docs/performance.md.
"""

import argparse
import datetime
import glob
import json
import os
import platform
import re
import shutil
import statistics
import subprocess
import sys
import tempfile
import time

ALLOCATORS = ["rgc", "glibc", "mimalloc", "jemalloc"]
ANCHORS = ["glibc", "mimalloc", "jemalloc"]
SIZES = [16, 64, 256, 512]
MIB = 1 << 20

# Scale of each mode: full (default) and --quick.  The event benchmarks'
# patterns raw, object and pair keep their live set small (ev_n blocks: 640 KB
# raw, 240 KB of objects), in the caches, so that what they compare is the
# paths' cost, not the memory's; their rounds are short (tens to hundreds of
# microseconds) and many, for a clean minimum.  Pattern alloc is at the scale
# of the allocation benchmark (fresh: 64 MB a round), in fewer rounds.  The
# 16-frame tracing mode takes microseconds an allocation (the unwinder), so it
# runs apart, beside its own "off", in a few rounds (ev16_rounds; alloc's:
# ev_alloc16_rounds of ev_alloc16_n blocks, in the first ev_alloc16_reps
# repetitions only).
SCALE = {
    "full": dict(reps=5, n=1_000_000, rounds=2, live=1_000_000, ops=2_000_000,
                 obj_n=1_000_000, overhead_n=1_000_000, rss_n=4 << 20,
                 ic_pairs=100_000, ic_k=10_000,
                 gc_reps=5, gc_n=1_000_000, gc_repeats=3, gc_old=1_000_000,
                 gc_young=700, gc_iters=2000,
                 ev_reps=5, ev_n=10_000, ev_pair_n=20_000, ev_rounds=250, ev16_rounds=3,
                 ev_alloc_n=1_000_000, ev_alloc_rounds=5, ev_alloc16_n=200_000,
                 ev_alloc16_reps=1, ev_alloc16_rounds=1),
    "quick": dict(reps=2, n=100_000, rounds=2, live=100_000, ops=200_000,
                  obj_n=100_000, overhead_n=100_000, rss_n=400_000,
                  ic_pairs=5_000, ic_k=1_000,
                  gc_reps=2, gc_n=100_000, gc_repeats=2, gc_old=100_000,
                  gc_young=700, gc_iters=200,
                  ev_reps=2, ev_n=1_000, ev_pair_n=2_000, ev_rounds=10, ev16_rounds=2,
                  ev_alloc_n=100_000, ev_alloc_rounds=2, ev_alloc16_n=20_000,
                  ev_alloc16_reps=1, ev_alloc16_rounds=1),
}

# The event benchmarks: bench-rgc's `events` in both builds of the runtime.
# (pattern, what one operation is); the targets are ratios of minimums.
EVENT_BUILDS = ["rgc", "rgc-noevents"]
EVENT_PATTERNS = [
    ("raw", "rgc_mem_alloc 64 B, N live, freed LIFO: alloc+free"),
    ("object", "rgc_new of an untracked 24-byte int, N live, rgc_decref LIFO: new+decref"),
    ("pair", "rgc_mem_alloc 64 B then rgc_mem_free at once, N times: alloc+free"),
    ("alloc", "rgc_mem_alloc 64 B, N live (the allocation benchmark's scale), freed LIFO: "
              "alloc+free"),
    ("random", "rgc_mem_alloc 16 B, N live (the allocation benchmark's scale), freed in "
               "random order: alloc+free"),
]
# Each pattern runs twice per build and repetition: the main run takes the
# modes but the 16-frame one in turns, the trace16 run that one beside "off".
EVENT_RUNS = [("main", "off,recorder,hook,others,trace1,sampled"), ("trace16", "off,trace16")]
# The checks: (name, label, (build, metric) / (build, metric)).  Within a run
# each mode runs two passes after its start; a mode's figure is the second
# (the tracer's tables grown), X_first_ns the first (trace1's: their growth
# from empty too).  trace16 runs one pass, against its own run's off.
# trace16 and trace1_first have no target: they are reported (CPython's
# tracemalloc costs 13x with 25 frames); so is hook, a debugger's hook armed
# for the free of an address never freed (the target "hooks armed for
# nothing" is the hook test with nothing armed: the row "hooks").
EVENT_CHECKS = [
    ("recorder", "recorder on / off", ("rgc", "recorder_ns"), ("rgc", "off_ns")),
    ("hook", "hook armed, never hit / off", ("rgc", "hook_ns"), ("rgc", "off_ns")),
    ("others", "another heap records and samples / off", ("rgc", "others_ns"), ("rgc", "off_ns")),
    ("trace1", "trace 1 frame / off", ("rgc", "trace1_ns"), ("rgc", "off_ns")),
    ("trace1_first", "trace 1 frame from start / off", ("rgc", "trace1_first_ns"), ("rgc", "off_first_ns")),
    ("sampled", "trace sampled / off", ("rgc", "sampled_ns"), ("rgc", "off_ns")),
    ("trace16", "trace 16 frames / off", ("rgc", "trace16_ns"), ("rgc", "trace16_off_ns")),
    ("hooks", "rgc off / noevents off", ("rgc", "off_ns"), ("rgc-noevents", "off_ns")),
]
EVENT_TARGETS = {"recorder": 1.15, "hook": None, "others": None, "trace1": 1.5, "trace1_first": None, "sampled": 1.1,
                 "trace16": None, "hooks": 1.02}
EVENT_SAMPLE_BYTES = 512 << 10  # bench.c's sampled mode
# The hook test counted: `events PATTERN N ROUNDS 1 off` under callgrind in
# both builds, instructions inside events_pass per operation (deterministic:
# what the timed row cannot separate from the machine's noise and the two
# binaries' layout).
EVENT_IC_PATTERNS = ["raw", "pair", "object"]
EVENT_IC_N, EVENT_IC_ROUNDS = 10000, 10


# The collector benchmarks: gcbench-rgc and gc_bench.py take the same
# arguments.  (key, shape, args, [(metric, unit, target or None, label)]).
GC_SCRIPT = os.path.join(os.path.dirname(os.path.abspath(__file__)), "gc_bench.py")


def gc_configs(s):
    young = "gen 0: %d young + %d old" % (s["gc_young"], s["gc_old"])
    return [
        ("cycles", "cycles", [s["gc_n"]],
         [("ns_per_object", "ns/object", 16, "garbage 2-cycles, full collection")]),
        ("live", "live", [s["gc_n"], s["gc_repeats"]],
         [("first_ns_per_object", "ns/object", 9, "live objects, first full collection (young to old)"),
          ("old_ns_per_object", "ns/object", 9, "live objects, full collection again (all old)")]),
        ("ring", "ring", [s["gc_n"]],
         [("ns_per_object", "ns/object", None, "garbage ring, full collection")]),
        ("young", "young", [s["gc_old"], s["gc_young"], s["gc_iters"]],
         [("us_per_collection", "us/collection", 4, young + ": median"),
          ("us_min", "us/collection", None, "gen 0: fastest of the run"),
          ("us_first_tenth", "us/collection", None, "gen 0: mean of the first tenth"),
          ("us_last_tenth", "us/collection", None, "gen 0: mean of the last tenth")]),
        # The same, with generation 1 collected (untimed) after every 10,
        # as automatic collection with the default thresholds would.
        ("young_gen1", "young", [s["gc_old"], s["gc_young"], s["gc_iters"], 10],
         [("us_per_collection", "us/collection", 4,
           young + ", gen 1 collected every 10: median")]),
    ]


def pythons():
    """The CPython interpreters to hold rgc's collector against, by label:
    python3 on PATH, and /usr/bin/python3 when that is another one."""
    found = {}
    seen = set()
    for label, path in (("cpython", shutil.which("python3")), ("cpython-usr", "/usr/bin/python3")):
        if not path or not os.access(path, os.X_OK):
            continue
        try:
            exe = subprocess.run([path, "-c", "import sys; print(sys.executable)"],
                                 capture_output=True, text=True, timeout=30).stdout.strip()
        except (OSError, subprocess.TimeoutExpired):
            continue
        real = os.path.realpath(exe or path)
        if real in seen:
            continue
        seen.add(real)
        found[label] = path
    return found

# Which metrics each timing benchmark reports, and what they mean.
TIMING = {
    "fresh": ("alloc N blocks, free them LIFO", ["alloc_cold", "free_cold", "alloc_warm", "free_warm"]),
    "random": ("alloc N blocks, free them in a shuffled order",
               ["alloc_cold", "free_cold", "alloc_warm", "free_warm"]),
    "churn": ("replace a random one of LIVE blocks: touch, free, alloc", ["replace"]),
    "object": ("rgc_new + rgc_decref (anchors: the same object work on malloc + free: a "
               "header with the type and a count, the count dropped, the block freed at zero)",
               ["new_cold", "decref_cold", "new_warm", "decref_warm", "pair_cold", "pair_warm"]),
    "object-bare": ("reference, no target: rgc's `object` runs against the anchors' bare "
                    "malloc + free of the same request size",
                    ["new_cold", "decref_cold", "new_warm", "decref_warm", "pair_cold", "pair_warm"]),
}
# Benchmarks shown for reference: no target, not counted among the rows.
REFERENCE = {"object-bare"}


def run_json(cmd, timeout=300):
    """Runs one benchmark process; returns its JSON line or an error dict."""
    try:
        p = subprocess.run(cmd, capture_output=True, text=True, timeout=timeout)
    except subprocess.TimeoutExpired:
        return {"error": "timeout after %ds" % timeout}
    if p.returncode != 0:
        msg = (p.stderr.strip().splitlines() or ["exit %d" % p.returncode])[-1]
        return {"error": "exit %d: %s" % (p.returncode, msg)}
    for line in reversed(p.stdout.splitlines()):
        if line.startswith("{"):
            try:
                return json.loads(line)
            except ValueError:
                break
    return {"error": "no JSON in output"}


def machine_info(quick):
    cpu = "?"
    try:
        with open("/proc/cpuinfo") as f:
            for line in f:
                if line.startswith("model name"):
                    cpu = line.split(":", 1)[1].strip()
                    break
    except OSError:
        pass
    distro = "?"
    try:
        with open("/etc/os-release") as f:
            for line in f:
                if line.startswith("PRETTY_NAME="):
                    distro = line.split("=", 1)[1].strip().strip('"')
    except OSError:
        pass
    cc = os.environ.get("CC", "cc")
    try:
        ccv = subprocess.run([cc, "--version"], capture_output=True, text=True).stdout.splitlines()[0]
    except (OSError, IndexError):
        ccv = "?"
    # The source measured: read-only git plumbing (nothing is written).
    commit, modified = "?", None
    try:
        top = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
        p = subprocess.run(["git", "-C", top, "rev-parse", "HEAD"], capture_output=True, text=True)
        if p.returncode == 0:
            commit = p.stdout.strip()
            d = subprocess.run(["git", "-C", top, "diff-index", "--quiet", "HEAD", "--",
                                "runtime", "include"], capture_output=True)
            modified = d.returncode != 0
    except OSError:
        pass
    return {
        "commit": commit,
        "runtime_modified": modified,  # runtime/ or include/ differ from the commit
        "date": datetime.datetime.now().astimezone().isoformat(timespec="seconds"),
        "host": platform.node(),
        "cpu": cpu,
        "cpus": os.cpu_count(),
        "kernel": platform.release(),
        "os": distro,
        "compiler": ccv,
        "mode": "quick" if quick else "full",
    }


def summarize(samples):
    vals = [s for s in samples if s is not None]
    if not vals:
        return None
    return {"min": min(vals), "median": statistics.median(vals), "samples": vals}


class Runner:
    def __init__(self, bindir, quick):
        self.bindir = bindir
        self.scale = SCALE["quick" if quick else "full"]
        self.versions = {}
        self.errors = []

    def binary(self, kind, alloc):
        return os.path.join(self.bindir, "%s-%s" % (kind, alloc))

    def configs(self):
        """All timing configurations: (benchmark, key, args-without-seed)."""
        s = self.scale
        out = []
        for size in SIZES:
            out.append(("fresh", {"size": size}, ["fresh", size, s["n"], s["rounds"]]))
        for size in SIZES:
            out.append(("random", {"size": size}, ["random", size, s["n"], s["rounds"], "SEED"]))
        for size in SIZES:
            out.append(("churn", {"size": size}, ["churn", size, s["live"], s["ops"], "SEED"]))
        for kind in ("int", "node"):
            for order in ("lifo", "random"):
                out.append(("object", {"kind": kind, "order": order},
                            ["object", kind, order, s["obj_n"], s["rounds"], "SEED"]))
        # The anchors bare (rgc has no bare mode: its column is its
        # `object` runs of the same repetitions).
        for kind in ("int", "node"):
            for order in ("lifo", "random"):
                out.append(("object-bare", {"kind": kind, "order": order},
                            ["object", kind, order, s["obj_n"], s["rounds"], "SEED", "bare"]))
        return out

    def run_timing(self):
        """Runs every timing configuration reps times, interleaved."""
        configs = self.configs()
        results = {i: {a: [] for a in ALLOCATORS} for i in range(len(configs))}
        rgc_stats = {}  # heap statistics rgc printed, last repetition
        reps = self.scale["reps"]
        for rep in range(reps):
            seed = 1000 + rep  # the same shuffles for every allocator
            for i, (bench, key, args) in enumerate(configs):
                k = (rep + i) % len(ALLOCATORS)
                for alloc in ALLOCATORS[k:] + ALLOCATORS[:k]:
                    if bench == "object-bare" and alloc == "rgc":
                        same = configs.index(("object", key, args[:-1]))
                        if len(results[same]["rgc"]) > len(results[i]["rgc"]):
                            results[i]["rgc"].append(results[same]["rgc"][-1])
                        continue
                    argv = [self.binary("bench", alloc)] + [
                        str(seed) if a == "SEED" else str(a) for a in args]
                    r = run_json(argv)
                    if "error" in r:
                        self.errors.append("%s %s %s: %s" % (alloc, bench, key, r["error"]))
                        continue
                    self.versions[alloc] = r.get("version", "?")
                    m = r["metrics"]
                    if bench in ("object", "object-bare"):
                        m["pair_cold"] = m["new_cold"] + m["decref_cold"]
                        if "new_warm" in m:
                            m["pair_warm"] = m["new_warm"] + m["decref_warm"]
                    results[i][alloc].append(m)
                    if "stats" in r:
                        rgc_stats[i] = r["stats"]
            print("  repetition %d/%d done" % (rep + 1, reps), file=sys.stderr)
        per_bench = {}
        for i, (bench, key, args) in enumerate(configs):
            n = args[2] if not bench.startswith("object") else args[3]
            for metric in TIMING[bench][1]:
                row = dict(key)
                row.update({"metric": metric, "unit": "ns/op", "n": n, "allocators": {}})
                for alloc in ALLOCATORS:
                    row["allocators"][alloc] = summarize(
                        [m.get(metric) for m in results[i][alloc]])
                if all(v is None for v in row["allocators"].values()):
                    continue
                add_ratio(row)
                if i in rgc_stats:
                    row["rgc_stats"] = rgc_stats[i]
                per_bench.setdefault(bench, []).append(row)
        return per_bench

    def run_overhead(self):
        rows = {}
        for alloc in ALLOCATORS:
            r = run_json([self.binary("bench", alloc), "overhead", str(self.scale["overhead_n"])])
            if "error" in r:
                self.errors.append("%s overhead: %s" % (alloc, r["error"]))
                continue
            r["unit"] = "bytes/object"
            rows[alloc] = r
        return rows

    def run_rss(self):
        rows = []
        for pattern in ("random", "runs"):
            for sizes in ("48", "mix"):
                row = {"pattern": pattern, "sizes": sizes, "unit": "bytes", "allocators": {}}
                for alloc in ALLOCATORS:
                    r = run_json([self.binary("bench", alloc), "rss", pattern, sizes,
                                  str(self.scale["rss_n"]), "7"])
                    if "error" in r:
                        self.errors.append("%s rss %s %s: %s" % (alloc, pattern, sizes, r["error"]))
                        continue
                    m = r["metrics"]
                    m["rss_per_live"] = m["rss_after"] / m["live_payload"]
                    m["rss_per_live_plus_2mib"] = m["rss_after"] / (m["live_payload"] + 2 * MIB)
                    if "stats" in r:
                        m["stats"] = r["stats"]
                    row["allocators"][alloc] = m
                    row["n"] = r["n"]
                rows.append(row)
        return rows

    def run_gc(self):
        """The collector: rgc beside CPython, same shapes, interleaved."""
        s = self.scale
        impls = {"rgc": [self.binary("gcbench", "rgc")]}
        for label, path in pythons().items():
            impls[label] = [path, GC_SCRIPT]
        names = list(impls)
        configs = gc_configs(s)
        samples = {c[0]: {a: [] for a in names} for c in configs}
        about = {}
        for rep in range(s["gc_reps"]):
            for i, (key, shape, args, _) in enumerate(configs):
                k = (rep + i) % len(names)
                for impl in names[k:] + names[:k]:
                    r = run_json(impls[impl] + [shape] + [str(a) for a in args])
                    if "error" in r:
                        self.errors.append("%s gc %s: %s" % (impl, key, r["error"]))
                        continue
                    samples[key][impl].append(r)
                    if impl != "rgc" and impl not in about:
                        about[impl] = {k2: r.get(k2) for k2 in (
                            "version", "executable", "build", "compiler", "opt",
                            "config_args", "object_bytes")}
                    self.versions["gc-" + impl] = r.get("version", "?")
            print("  gc repetition %d/%d done" % (rep + 1, s["gc_reps"]), file=sys.stderr)
        rows = []
        for key, shape, args, metrics in configs:
            for metric, unit, target, label in metrics:
                row = {"shape": key, "metric": metric, "label": label,
                       "unit": unit, "args": args, "target": target, "impls": {}}
                for impl in names:
                    row["impls"][impl] = summarize(
                        [r["metrics"].get(metric) for r in samples[key][impl]])
                last = samples[key]["rgc"][-1] if samples[key]["rgc"] else None
                if last and "stats" in last:
                    row["rgc_stats"] = last["stats"]
                anchors = [(v["min"], a) for a, v in row["impls"].items() if a != "rgc" and v]
                rgc = row["impls"].get("rgc")
                if anchors and rgc:
                    best, name = min(anchors)
                    row["best_cpython"] = name
                    row["ratio_rgc_to_cpython"] = rgc["min"] / best if best > 0 else None
                    med = min(row["impls"][a]["median"] for _, a in anchors)
                    row["ratio_rgc_to_cpython_median"] = rgc["median"] / med if med > 0 else None
                rows.append(row)
        # Bytes per long-lived tracked object (deterministic: one run).
        ov = run_json([self.binary("gcbench", "rgc"), "overhead", str(s["overhead_n"])])
        if "error" in ov:
            self.errors.append("rgc gc overhead: %s" % ov["error"])
            ov = None
        else:
            ov["unit"] = "bytes/object"
        return {"results": rows, "overhead": ov, "cpython": about, "impls": names}

    def event_plan(self, pattern):
        """(run, n, rounds, repetitions) of each run of the pattern."""
        s = self.scale
        if pattern in ("alloc", "random"):
            return [("main", s["ev_alloc_n"], s["ev_alloc_rounds"], s["ev_reps"]),
                    ("trace16", s["ev_alloc16_n"], s["ev_alloc16_rounds"], s["ev_alloc16_reps"])]
        n = s["ev_pair_n"] if pattern == "pair" else s["ev_n"]
        return [("main", n, s["ev_rounds"], s["ev_reps"]),
                ("trace16", n, s["ev16_rounds"], s["ev_reps"])]

    def run_events(self):
        """What the event recorder, allocation tracing and the hook test
        cost: `events` in bench-rgc and bench-rgc-noevents, runs interleaved,
        the builds' order alternating.  Within one run the benchmark itself
        has its modes take turns round by round; each run reports each
        mode's minimum."""
        s = self.scale
        modes = dict(EVENT_RUNS)
        samples = {(p, run): {b: [] for b in EVENT_BUILDS}
                   for p, _ in EVENT_PATTERNS for run, _ in EVENT_RUNS}
        for rep in range(s["ev_reps"]):
            seed = 1000 + rep
            i = 0
            for pattern, _ in EVENT_PATTERNS:
                for run, n, rounds, reps in self.event_plan(pattern):
                    if rep >= reps:
                        continue
                    k = (rep + i) % len(EVENT_BUILDS)
                    i += 1
                    for build in EVENT_BUILDS[k:] + EVENT_BUILDS[:k]:
                        r = run_json([self.binary("bench", build), "events", pattern, str(n),
                                      str(rounds), str(seed), modes[run]], timeout=600)
                        if "error" in r:
                            self.errors.append("%s events %s %s: %s" % (build, pattern, run,
                                                                         r["error"]))
                            continue
                        self.versions[build] = r.get("version", "?")
                        samples[(pattern, run)][build].append(r)
            print("  events repetition %d/%d done" % (rep + 1, s["ev_reps"]), file=sys.stderr)
        rows = []
        for pattern, what in EVENT_PATTERNS:
            plan = {run: (n, rounds, reps) for run, n, rounds, reps in self.event_plan(pattern)}
            row = {"pattern": pattern, "what": what, "unit": "ns/op", "n": plan["main"][0],
                   "size": None, "runs": {}, "builds": {}}
            for run, mode_list in EVENT_RUNS:
                n, rounds, reps = plan[run]
                row["runs"][run] = {"modes": mode_list.split(","), "n": n, "rounds": rounds,
                                    "repetitions": reps}
            for build in EVENT_BUILDS:
                main = samples[(pattern, "main")][build]
                t16 = samples[(pattern, "trace16")][build]
                fig = {m + suffix: summarize([r["metrics"].get(m + suffix) for r in main])
                       for m in ("off", "recorder", "hook", "others", "trace1", "sampled")
                       for suffix in ("_ns", "_first_ns")}
                fig["trace16_ns"] = summarize([r["metrics"].get("trace16_ns") for r in t16])
                fig["trace16_off_ns"] = summarize([r["metrics"].get("off_ns") for r in t16])
                # The same run's on / off: what drifts between runs cancels.
                per_run = {}
                for name, _, (_, num), (_, den) in EVENT_CHECKS:
                    if name == "hooks":
                        continue
                    runs, num = (t16, "trace16_ns") if name == "trace16" else (main, num)
                    den = "off_ns" if name == "trace16" else den
                    per_run[name] = summarize(
                        [r["metrics"][num] / r["metrics"][den] for r in runs
                         if r["metrics"].get(den) and r["metrics"].get(num)])
                fig["ratio_per_run"] = per_run
                # What proves each mode ran (in bench-rgc-noevents: nothing
                # is recorded or traced, and these say so).
                stats = {}
                for runs in (main, t16):
                    if runs:
                        stats.update(runs[-1].get("stats", {}))
                        row["size"] = runs[-1].get("size")
                fig["stats"] = stats
                row["builds"][build] = fig
                # A build without events that recorded or traced is no
                # baseline: the hook test's row would compare nothing.
                if build == "rgc-noevents" and (stats.get("events_per_op") or any(
                        stats.get(m, {}).get("traced") for m in ("trace1", "sampled", "trace16"))):
                    self.errors.append("events %s: the RGC_NO_EVENTS build recorded or traced (%s)"
                                       % (pattern, stats))
            row.update(event_ratios(row["builds"]))
            rows.append(row)
        return rows

    def run_events_icount(self):
        """The hook test counted instead of timed: instructions per
        operation of `events PATTERN` with nothing listening, in both
        builds, under callgrind (counting inside events_pass alone)."""
        valgrind = shutil.which("valgrind")
        if not valgrind:
            return {"skipped": "valgrind not found"}
        n, rounds = EVENT_IC_N, EVENT_IC_ROUNDS
        out = {"unit": "instructions/op", "n": n, "rounds": rounds, "patterns": {}}
        for pattern in EVENT_IC_PATTERNS:
            fig = {}
            for build in EVENT_BUILDS:
                cmd = [valgrind, "--tool=callgrind", "--callgrind-out-file=/dev/null",
                       "--toggle-collect=events_pass", self.binary("bench", build), "events", pattern,
                       str(n), str(rounds), "1", "off"]
                p = subprocess.run(cmd, capture_output=True, text=True, timeout=600)
                m = re.search(r"Collected : (\d+)", p.stderr)
                try:
                    calls = json.loads(p.stdout)["stats"]["pass_calls"]
                except (ValueError, KeyError, TypeError):
                    calls = None
                if p.returncode != 0 or not m or not calls:
                    self.errors.append("%s events %s under callgrind: exit %d: %s" % (
                        build, pattern, p.returncode, (p.stderr.strip().splitlines() or ["?"])[-1]))
                    continue
                fig[build] = int(m.group(1)) / (calls * n)
            ratio = (fig["rgc"] / fig["rgc-noevents"]
                     if fig.get("rgc") and fig.get("rgc-noevents") else None)
            out["patterns"][pattern] = {"builds": fig, "ratio": ratio,
                                        "target": EVENT_TARGETS["hooks"],
                                        "ok": ratio <= EVENT_TARGETS["hooks"] if ratio else None}
        return out

    def run_icount(self):
        """Instruction counts under callgrind, or None without valgrind."""
        valgrind = shutil.which("valgrind")
        if not valgrind:
            return {"skipped": "valgrind not found"}
        out = {"unit": "instructions/op", "pairs": self.scale["ic_pairs"],
               "k": self.scale["ic_k"], "allocators": {}}
        tmp = tempfile.mkdtemp(prefix="rgc-icount-")
        try:
            for alloc in ALLOCATORS:
                prefix = os.path.join(tmp, "cg." + alloc)
                cmd = [valgrind, "--tool=callgrind", "--callgrind-out-file=" + prefix,
                       self.binary("icount", alloc), str(out["pairs"]), str(out["k"])]
                p = subprocess.run(cmd, capture_output=True, text=True, timeout=300)
                if p.returncode != 0:
                    self.errors.append("%s icount: exit %d: %s" % (
                        alloc, p.returncode, (p.stderr.strip().splitlines() or ["?"])[-1]))
                    continue
                dumps = read_dumps(prefix)
                out["allocators"][alloc] = icount_figures(dumps, out["pairs"], out["k"])
                if alloc == "rgc":
                    out["rgc_functions"] = {
                        phase: annotate(path) for phase, (ir, path) in dumps.items()
                        if phase in ("pair", "alloc", "free", "obj-pair", "node-pair",
                                     "node-new", "node-decref")}
        finally:
            shutil.rmtree(tmp, ignore_errors=True)
        return out


def event_ratios(builds):
    """Each mode on / off in bench-rgc (trace16 against its own run's off);
    hooks = bench-rgc off / bench-rgc-noevents off.  By minimum (the
    verdict) and by median."""
    def fig(build, metric, stat):
        f = builds.get(build, {}).get(metric)
        return f[stat] if f else None

    out = {}
    for name, _, num, den in EVENT_CHECKS:
        for stat, suffix in (("min", ""), ("median", "_median")):
            a, b = fig(*num, stat), fig(*den, stat)
            out["ratio_" + name + suffix] = a / b if a is not None and b else None
        ratio, target = out["ratio_" + name], EVENT_TARGETS[name]
        out[name + "_target"] = target
        out[name + "_ok"] = ratio <= target if ratio is not None and target is not None else None
    return out


def add_ratio(row):
    """Adds best_anchor and ratio_rgc_to_best (by minimum) to a timing row."""
    al = row["allocators"]
    anchors = [(al[a]["min"], a) for a in ANCHORS if al.get(a)]
    if not anchors or not al.get("rgc"):
        row["best_anchor"] = None
        row["ratio_rgc_to_best"] = None
        return
    best, name = min(anchors)
    row["best_anchor"] = name
    row["ratio_rgc_to_best"] = al["rgc"]["min"] / best if best > 0 else None
    med_best = min(al[a]["median"] for a in ANCHORS if al.get(a))
    row["ratio_rgc_to_best_median"] = al["rgc"]["median"] / med_best if med_best > 0 else None


def read_dumps(prefix):
    """{phase: (Ir, path)} from the callgrind dumps named by client requests."""
    dumps = {}
    for path in glob.glob(prefix + "*"):
        phase, total = None, None
        with open(path) as f:
            for line in f:
                if line.startswith("desc: Trigger: Client Request: "):
                    phase = line.split(":", 3)[3].strip()
                elif line.startswith("summary:"):
                    total = int(line.split()[1])  # the dump's total Ir
        if phase and total is not None:
            dumps[phase] = (total, path)
    return dumps


def icount_figures(dumps, pairs, k):
    """Instructions per operation, each phase minus its empty twin."""
    def ir(name):
        return dumps[name][0] if name in dumps else None

    def per(name, empty, ops):
        a, b = ir(name), ir(empty)
        if a is None or b is None:
            return None
        return (a - b) / ops

    return {
        "alloc_free_pair": per("pair", "pair-empty", pairs),
        "alloc": per("alloc", "alloc-empty", k),
        "free": per("free", "free-empty", k),
        "object_pair": per("obj-pair", "pair-empty", pairs),
        "object_new": per("obj-new", "alloc-empty", k),
        "object_decref": per("obj-decref", "free-empty", k),
        "tracked_pair": per("node-pair", "pair-empty", pairs),
        "tracked_new": per("node-new", "alloc-empty", k),
        "tracked_decref": per("node-decref", "free-empty", k),
    }


def annotate(path, top=8):
    """The top functions of one callgrind dump by self cost (Ir).

    Parsed here rather than with callgrind_annotate, whose self costs come
    out attributed to __libc_start_main for dumps taken by client request.
    A cost line right after a calls= line is a call's inclusive cost and
    belongs to the callee, not to the current function.
    """
    names, self_ir = {}, {}
    current, after_call = None, False
    with open(path) as f:
        for line in f:
            if line.startswith("fn="):
                m = re.match(r"fn=\((\d+)\)(?: (.*))?", line.rstrip("\n"))
                if m:
                    if m.group(2):
                        names[m.group(1)] = m.group(2)
                    current = names.get(m.group(1), m.group(1))
                else:
                    current = line[3:].strip()
                after_call = False
            elif line.startswith("cfn="):
                m = re.match(r"cfn=\((\d+)\)(?: (.*))?", line.rstrip("\n"))
                if m and m.group(2):
                    names[m.group(1)] = m.group(2)
            elif line.startswith("calls="):
                after_call = True
            elif line[:1] in "0123456789+-*" and current is not None:
                fields = line.split()
                if after_call:
                    after_call = False
                elif len(fields) >= 2:
                    self_ir[current] = self_ir.get(current, 0) + int(fields[-1])
    ranked = sorted(self_ir.items(), key=lambda kv: -kv[1])[:top]
    return [{"function": fn, "ir": ir} for fn, ir in ranked if ir > 0]


# ---- printing

def fmt_ns(v):
    if v is None:
        return "-"
    return "%.2f" % v if v < 10 else "%.1f" % v


def timing_table(per_bench):
    head = ["bench", "metric", "size", "rgc min", "rgc med", "glibc", "mimalloc", "jemalloc",
            "best", "rgc/best", "target"]
    lines = [head]
    for bench in ("fresh", "random", "churn", "object", "object-bare"):
        for row in per_bench.get(bench, []):
            al = row["allocators"]
            size = str(row.get("size", "")) if not bench.startswith("object") else "%s/%s" % (
                row["kind"], row["order"])
            ratio = row.get("ratio_rgc_to_best")
            lines.append([
                bench, row["metric"], size,
                fmt_ns(al["rgc"]["min"]) if al.get("rgc") else "ERR",
                fmt_ns(al["rgc"]["median"]) if al.get("rgc") else "ERR",
                *[fmt_ns(al[a]["min"]) if al.get(a) else "ERR" for a in ANCHORS],
                row.get("best_anchor") or "-",
                "%.2f" % ratio if ratio is not None else "-",
                "ref" if bench in REFERENCE else
                ("ok" if ratio <= 1.0 else "MISS") if ratio is not None else "-",
            ])
    return lines


def overhead_table(rows):
    lines = [["allocator", "bytes/object", "overhead", "RSS bytes/object", "RSS overhead",
              "marginal overhead", "target"]]
    for alloc in ALLOCATORS:
        r = rows.get(alloc)
        if not r:
            lines.append([alloc, "ERR", "", "", "", "", ""])
            continue
        m = r["metrics"]
        # The target is per object: judged on the marginal cost of one more
        # long-lived object (rgc), which leaves out what a heap keeps anyway.
        marginal = m.get("marginal_overhead")
        target = ("ok" if marginal is not None and marginal <= 16 else "MISS") if alloc == "rgc" else ""
        lines.append([alloc, "%.1f" % m["bytes_per_object"], "%.1f" % m["overhead"],
                      "%.1f" % m["rss_per_object"], "%.1f" % m["rss_overhead"],
                      "%.3f" % marginal if marginal is not None else "", target])
    return lines


def rss_table(rows):
    lines = [["pattern", "sizes", "allocator", "RSS full MiB", "RSS after MiB", "live MiB",
              "RSS/live", "RSS/(live+2MiB)", "target"]]
    for row in rows:
        al = row["allocators"]
        anchors = [al[a]["rss_after"] for a in ANCHORS if a in al]
        for alloc in ALLOCATORS:
            m = al.get(alloc)
            if not m:
                lines.append([row["pattern"], row["sizes"], alloc, "ERR", "", "", "", "", ""])
                continue
            target = ""
            if alloc == "rgc":
                if row["pattern"] == "random" and anchors:
                    target = "ok" if m["rss_after"] <= min(anchors) else "MISS"
                elif row["pattern"] == "runs":
                    limit = 1.3 * m["live_payload"] + 2 * MIB
                    target = "ok" if m["rss_after"] <= limit else "MISS"
            lines.append([row["pattern"], row["sizes"], alloc, "%.1f" % (m["rss_full"] / MIB),
                          "%.1f" % (m["rss_after"] / MIB), "%.1f" % (m["live_payload"] / MIB),
                          "%.2f" % m["rss_per_live"], "%.2f" % m["rss_per_live_plus_2mib"], target])
    return lines


ICOUNT_ROWS = [
    ("alloc_free_pair", "alloc+free pair, 64 B", 60),
    ("alloc", "alloc 64 B (K then K)", 30),
    ("free", "free 64 B (K then K)", 30),
    ("object_pair", "object new+decref pair", 60),
    ("object_new", "object new (K then K)", None),
    ("object_decref", "object decref (K then K)", None),
    ("tracked_pair", "tracked new+decref pair", 60),
    ("tracked_new", "tracked new (K then K)", None),
    ("tracked_decref", "tracked decref (K then K)", None),
]


def icount_table(ic):
    if "skipped" in ic:
        return [["callgrind skipped: " + ic["skipped"]]]
    lines = [["operation", "rgc", "glibc", "mimalloc", "jemalloc", "target", ""]]
    al = ic["allocators"]
    for key, label, target in ICOUNT_ROWS:
        vals = [al.get(a, {}).get(key) for a in ALLOCATORS]
        rgc = vals[0]
        verdict = ""
        if target is not None and rgc is not None:
            verdict = "ok" if rgc <= target else "MISS"
        lines.append([label] + ["%.1f" % v if v is not None else "-" for v in vals] +
                     ["<= %d" % target if target else "", verdict])
    return lines


def gc_table(gc):
    names = gc["impls"]
    head = ["shape", "what", "unit", "rgc min", "rgc med"] + \
        ["%s %s" % (n, gc["cpython"].get(n, {}).get("version") or "?") for n in names if n != "rgc"] + \
        ["rgc/CPython", "target", ""]
    lines = [head]
    for row in gc["results"]:
        im = row["impls"]
        rgc = im.get("rgc")
        ratio = row.get("ratio_rgc_to_cpython")
        target = row.get("target")
        verdict = ""
        if target is not None and rgc:
            verdict = "ok" if rgc["min"] <= target else "MISS"
        lines.append([row["shape"], row["label"], row["unit"],
                      fmt_ns(rgc["min"]) if rgc else "ERR",
                      fmt_ns(rgc["median"]) if rgc else "ERR"] +
                     [fmt_ns(im[n]["min"]) if im.get(n) else "ERR" for n in names if n != "rgc"] +
                     ["%.2f" % ratio if ratio is not None else "-",
                      "<= %g" % target if target is not None else "", verdict])
    return lines


def gc_overhead_table(gc):
    lines = [["object", "bytes/object", "overhead", "marginal overhead", "block",
              "young bytes/object", "target", ""]]
    ov = gc.get("overhead")
    if not ov:
        return lines + [["rgc", "ERR", "", "", "", "", "", ""]]
    m = ov["metrics"]
    marginal = m.get("marginal_overhead")
    lines.append(["rgc, generation 2", "%.1f" % m["bytes_per_object"], "%.1f" % m["overhead"],
                  "%.3f" % marginal if marginal is not None else "",
                  "%.0f" % m["block_bytes"], "%.1f" % m["young_bytes_per_object"], "<= 16",
                  "ok" if marginal is not None and marginal <= 16 else "MISS"])
    for name, about in gc.get("cpython", {}).items():
        if about.get("object_bytes"):
            b = about["object_bytes"]
            lines.append(["%s %s (sys.getsizeof)" % (name, about.get("version")), "%d" % b,
                          "%d" % (b - ov["payload"]), "", "", "", "", ""])
    return lines


def event_proof(name, builds):
    """What shows the mode ran: events recorded, blocks traced and their
    frames (from bench-rgc's check passes); for hooks, that the noevents
    build recorded and traced nothing."""
    def trace_proof(st):
        if not st:
            return "-"
        return "%.3f traced/op, %d fr" % (st.get("traced_per_op", 0), st.get("frames", 0))

    st = builds.get("rgc", {}).get("stats", {})
    if name == "recorder":
        e = st.get("events_per_op")
        return "%.2f events/op" % e if e is not None else "-"
    if name == "hook":
        k = st.get("hook")
        return "mask 0x%02x, %d calls" % (k["mask"], k["calls"]) if k else "-"
    if name == "others":
        o = st.get("others")
        return "-" if not o else "gates open" if o.get("gates_open") else "gates closed"
    if name == "sampled":
        t = st.get("sampled")
        if not t:
            return "-"
        return "%.2g traced/op (%.2g expected)" % (t.get("traced_per_op", 0),
                                                   t.get("expected_per_op", 0))
    if name in ("trace1", "trace16"):
        return trace_proof(st.get(name))
    if name == "trace1_first":
        return ""
    ne = builds.get("rgc-noevents", {}).get("stats", {})
    if not ne:
        return "-"
    traced = sum(ne.get(m, {}).get("traced", 0) for m in ("trace1", "sampled", "trace16"))
    return "noevents: %.2f events/op, %d traced" % (ne.get("events_per_op", 0), traced)


def events_table(rows):
    lines = [["pattern", "check", "n", "on", "off", "ratio", "ratio med", "target", "",
              "what ran"]]
    for row in rows:
        b = row["builds"]

        def cell(build, metric):
            f = b.get(build, {}).get(metric)
            return fmt_ns(f["min"]) if f else "ERR"

        first = True
        for name, label, num, den in EVENT_CHECKS:
            ratio, med = row.get("ratio_" + name), row.get("ratio_%s_median" % name)
            ok, target = row.get(name + "_ok"), row.get(name + "_target")
            n16 = row["runs"]["trace16"]["n"]
            if name == "trace16" and n16 != row["n"]:
                label += " (n %d)" % n16
            lines.append([row["pattern"] if first else "", label, str(row["n"]) if first else "",
                          cell(*num), cell(*den),
                          "%.3f" % ratio if ratio is not None else "-",
                          "%.3f" % med if med is not None else "-",
                          "<= %.2f" % target if target is not None else "report",
                          "-" if ok is None else ("ok" if ok else "MISS"),
                          event_proof(name, b)])
            first = False
    return lines


def events_icount_table(ic):
    if ic.get("skipped"):
        return [["callgrind skipped: " + ic["skipped"]]]
    lines = [["pattern", "rgc", "rgc-noevents", "ratio", "target", ""]]
    for pattern, row in ic["patterns"].items():
        b = row["builds"]
        lines.append([pattern] + ["%.1f" % b[k] if b.get(k) else "ERR" for k in EVENT_BUILDS] +
                     ["%.3f" % row["ratio"] if row["ratio"] else "-", "<= %.2f" % row["target"],
                      "-" if row["ok"] is None else ("ok" if row["ok"] else "MISS")])
    return lines


def render(lines, markdown=False):
    if markdown:
        out = ["| " + " | ".join(lines[0]) + " |", "|" + "---|" * len(lines[0])]
        out += ["| " + " | ".join(r) + " |" for r in lines[1:]]
        return "\n".join(out)
    widths = [max(len(r[i]) for r in lines if i < len(r)) for i in range(len(lines[0]))]
    return "\n".join("  ".join(c.rjust(w) if j >= 2 else c.ljust(w)
                               for j, (c, w) in enumerate(zip(r, widths))).rstrip()
                     for r in lines)


def main():
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--bin", default="build/bench", help="directory of the benchmark builds")
    ap.add_argument("--out", default="bench/out", help="where the JSON files go")
    ap.add_argument("--quick", action="store_true", help="a smoke run of a few seconds")
    ap.add_argument("--reps", type=int, help="repetitions of each timing configuration")
    ap.add_argument("--only", help="comma-separated subset: timing,overhead,rss,icount,gc,events")
    args = ap.parse_args()

    runner = Runner(args.bin, args.quick)
    if args.reps:
        runner.scale["reps"] = args.reps
    only = set(args.only.split(",")) if args.only else {"timing", "overhead", "rss", "icount", "gc",
                                                        "events"}
    needed = [runner.binary(kind, alloc) for alloc in ALLOCATORS for kind in ("bench", "icount")]
    if "gc" in only:
        needed.append(runner.binary("gcbench", "rgc"))
    if "events" in only:
        needed.append(runner.binary("bench", "rgc-noevents"))
    for path in needed:
        if not os.access(path, os.X_OK):
            sys.exit("run.py: %s missing; build with `make bench`" % path)
    os.makedirs(args.out, exist_ok=True)
    info = machine_info(args.quick)
    info["scale"] = runner.scale
    started = time.time()

    def write(name, description, payload):
        doc = {"benchmark": name, "description": description, "run": info,
               "versions": runner.versions}
        doc.update(payload)
        with open(os.path.join(args.out, name + ".json"), "w") as f:
            json.dump(doc, f, indent=1)
            f.write("\n")

    sections = []
    if "timing" in only:
        print("timing: %d repetitions, interleaved ..." % runner.scale["reps"], file=sys.stderr)
        per_bench = runner.run_timing()
        for bench, rows in per_bench.items():
            write(bench, TIMING[bench][0], {"unit": "ns/op", "results": rows})
        sections.append(("Time per operation, ns (min of %d runs; ratio = rgc min / fastest "
                         "anchor min)" % runner.scale["reps"], timing_table(per_bench)))
    if "overhead" in only:
        print("overhead ...", file=sys.stderr)
        ov = runner.run_overhead()
        write("overhead", "bytes per object of a 16-byte payload (rgc: tracked object)",
              {"unit": "bytes/object", "results": ov})
        sections.append(("Per-object overhead, 16-byte payload", overhead_table(ov)))
    if "rss" in only:
        print("rss ...", file=sys.stderr)
        rss = runner.run_rss()
        write("rss", "RSS after freeing 90% of N small blocks", {"unit": "bytes", "results": rss})
        sections.append(("RSS after freeing 90%% of %d blocks" % runner.scale["rss_n"],
                         rss_table(rss)))
    if "icount" in only:
        print("callgrind ...", file=sys.stderr)
        ic = runner.run_icount()
        write("icount", "instructions per operation under callgrind (steady state)", ic)
        sections.append(("Instructions per operation (callgrind, minus an empty loop)",
                         icount_table(ic)))

    if "gc" in only:
        print("gc: %d repetitions, interleaved with CPython ..." % runner.scale["gc_reps"],
              file=sys.stderr)
        gc = runner.run_gc()
        write("gc", "the cycle collector against CPython's gc, same graph shapes", dict(
            unit="see each row", python=gc["cpython"], results=gc["results"],
            overhead=gc["overhead"]))
        sections.append(("Collector: rgc against CPython's gc (min of %d runs; ratio = rgc min / "
                         "fastest CPython min)" % runner.scale["gc_reps"], gc_table(gc)))
        sections.append(("Collector: bytes per long-lived tracked object, 16-byte payload",
                         gc_overhead_table(gc)))

    if "events" in only:
        print("events: %d repetitions, interleaved with the RGC_NO_EVENTS build ..."
              % runner.scale["ev_reps"], file=sys.stderr)
        ev = runner.run_events()
        write("events", "what events cost the allocation paths: the event recorder and "
              "allocation tracing (1 frame, sampled, 16 frames) on against off (bench-rgc), "
              "and the hook test with nothing armed against a runtime built with "
              "RGC_NO_EVENTS (bench-rgc-noevents)",
              {"unit": "ns/op", "ring": 4096, "sample_bytes": EVENT_SAMPLE_BYTES,
               "targets": EVENT_TARGETS, "results": ev})
        sc = runner.scale
        sections.append(("Events: ns per alloc+free, min of %d runs, each the min of its rounds "
                         "(%d; alloc: %d; trace16: %d, alloc's %d in %d run); on / off in "
                         "bench-rgc, hooks = rgc off / rgc-noevents off; sampled: one "
                         "allocation per %d KiB"
                         % (sc["ev_reps"], sc["ev_rounds"], sc["ev_alloc_rounds"],
                            sc["ev16_rounds"], sc["ev_alloc16_rounds"], sc["ev_alloc16_reps"],
                            EVENT_SAMPLE_BYTES >> 10),
                         events_table(ev)))
        print("events under callgrind ...", file=sys.stderr)
        evic = runner.run_events_icount()
        write("events-icount", "the hook test counted: instructions per operation inside "
              "events_pass with nothing listening, bench-rgc against bench-rgc-noevents", evic)
        sections.append(("Events: the hook test counted (callgrind, instructions per operation, "
                         "nothing listening; events PATTERN %d %d 1 off)" % (EVENT_IC_N, EVENT_IC_ROUNDS),
                         events_icount_table(evic)))

    info["elapsed_s"] = round(time.time() - started, 1)
    header = "rgc benchmarks — %s, %s, %s CPUs, %s (%s mode, %.0f s), commit %s%s" % (
        info["date"], info["cpu"], info["cpus"], info["os"], info["mode"], info["elapsed_s"],
        info["commit"][:10], " + modified runtime" if info["runtime_modified"] else "")
    versions = ", ".join("%s %s" % (a, runner.versions.get(a, "?")) for a in ALLOCATORS)
    if "gc" in only:
        versions += "; " + ", ".join(
            "%s %s (%s)" % (name, about.get("version"), about.get("executable"))
            for name, about in gc["cpython"].items())
    text = [header, versions, ""]
    md = ["_" + header + "; " + versions + "_", ""]
    for title, lines in sections:
        text += [title, render(lines), ""]
        md += ["#### " + title, "", render(lines, markdown=True), ""]
    if runner.errors:
        text += ["ERRORS:"] + ["  " + e for e in runner.errors]
        md += ["Errors:", ""] + ["- " + e for e in runner.errors]
    print("\n".join(text))
    with open(os.path.join(args.out, "summary.txt"), "w") as f:
        f.write("\n".join(text) + "\n")
    with open(os.path.join(args.out, "summary.md"), "w") as f:
        f.write("\n".join(md) + "\n")
    return 1 if runner.errors else 0


if __name__ == "__main__":
    sys.exit(main())
