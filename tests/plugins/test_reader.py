"""The reader against real programs: live, from a core, and on bad input.

tests/plugins/target.c is built three ways into build/plugins-tests/: -O0
-g; -O2 -s (stripped, and run from a copy deleted once its core is taken,
so the core has no program file); and -O0 against librgc.so (the table is
the library's).  Each build is started; it prints on one line what the
runtime reports about its heaps and stops itself.  While it is stopped the
reader reads it (python3 -m rgc --pid, each way of finding the table),
gcore takes a core of it, and it is continued to exit 0; then the reader
reads the core.  Every figure must be exactly the runtime's.

That includes allocation tracing: the main heap traces the second half of
its build (4 frames), and the reader's traced memory, peak, number of
traces, groups by site (rgc_trace_statistics by site, in its order) and the
trace of three blocks (--site, as rgc_trace_get gives them, frames
included) must be the runtime's, live and from the core.  The traces are
in two places, both of which must be read: small blocks' in the slots
beside their pools (two of the blocks), large blocks' among the trace's
entries (the third).  Site names are strings in
the program's read-only data, which a core does not hold: read from the
program's file, they are there for every build, stripped too; where the
program is gone, only their lines are, with one warning.

Bad input goes through the command line too: a core whose table lost its
cookie or claims version 99, a core cut to half its size, a program that
is not an rgc program.  Each must give exit status 1 and exactly one line
on stderr, starting "rgc: ", and no traceback.  A core whose heap has
broken pointers gives one warning per break (a trace's entries and one of
its trace pools among them), and randomly damaged cores never make the
reader fail on its own.

The module's fixture (setUpModule) does the slow part once; the tests
check what it gathered.
"""

import contextlib
import io
import json
import os
import random
import shutil
import signal
import struct
import subprocess
import sys
import tempfile
import time
import unittest

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.dirname(os.path.dirname(HERE))
PLUGINS = os.path.join(ROOT, "plugins")
BUILD = os.path.join(ROOT, "build", "plugins-tests")
sys.path.insert(0, PLUGINS)

from rgc import elf, reader  # noqa: E402
from rgc import table as rgc_table  # noqa: E402
from rgc.errors import TableError, TargetError  # noqa: E402
from rgc.heap import read_runtime  # noqa: E402
from rgc.table import COOKIE, candidate_files, check_table, find_table  # noqa: E402
from rgc.target import CoreTarget, Target  # noqa: E402

BUILDS = {
    "O0": ["-O0", "-g"],
    "O2s": ["-O2", "-s"],
    # The table in a shared librgc rather than in the program.
    "so": ["-O0", "-g"],
}
# The stripped build runs from a copy that is deleted once its core is
# taken: the core then has no file to read, and --exe says where one is.
MOVED = {"O2s"}
METHODS = ("symbol", "section", "scan")
TIMEOUT = 30

# What the module fixture gathered: per build, the program's own report,
# the reader's reports (live and core, per method) and the paths.
RUNS = {}
TMP = None
SETUP_ERROR = None


def run_reader(args, timeout=TIMEOUT):
    env = dict(os.environ, PYTHONPATH=PLUGINS)
    env.pop("RGC_READER_DEBUG", None)
    p = subprocess.run([sys.executable, "-m", "rgc"] + args, cwd=ROOT, env=env, stdout=subprocess.PIPE,
                       stderr=subprocess.PIPE, timeout=timeout)
    return p.returncode, p.stdout.decode("utf-8", "replace"), p.stderr.decode("utf-8", "replace")


def build(name, flags):
    libs = [os.path.join(ROOT, "build", f) for f in ("librgc.a", "librgc.so")]
    if not all(os.path.exists(f) for f in libs):
        subprocess.run(["make", "lib"], cwd=ROOT, check=True, stdout=subprocess.DEVNULL, timeout=300)
    os.makedirs(BUILD, exist_ok=True)
    out = os.path.join(BUILD, "target-" + name)
    if name == "so":
        link = ["-Lbuild", "-Wl,-rpath," + os.path.join(ROOT, "build"), "-lrgc"]
    else:
        link = ["build/librgc.a", "-Wl,--export-dynamic-symbol=rgc_debug_table"]
    cmd = (["cc", "-std=c11"] + flags + ["-Iinclude", "tests/plugins/target.c"] + link
           + ["-lpthread", "-lm", "-o", out])
    p = subprocess.run(cmd, cwd=ROOT, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, timeout=120)
    if p.returncode:
        raise RuntimeError("building %s failed:\n%s" % (out, p.stdout.decode(errors="replace")))
    return out


def process_state(pid):
    with open("/proc/%d/stat" % pid) as f:
        stat = f.read()
    return stat[stat.rindex(")") + 2:].split()[0]


def wait_stopped(proc, timeout=10):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            raise RuntimeError("the target exited (%d) before stopping" % proc.returncode)
        if process_state(proc.pid) == "T":
            return
        time.sleep(0.01)
    raise RuntimeError("the target did not stop")


def reader_json(args):
    rc, out, err = run_reader(args + ["--json", "--sites", "1000"])
    return {"rc": rc, "stderr": err, "report": json.loads(out) if rc == 0 and out else None}


def lookups(args, expected):
    """The reader's --site for each block whose trace the target gave."""
    trace = expected["heaps"][0]["trace"]
    return [reader_json(args + ["--site", "0x%x" % b["address"]]) for b in trace["lookups"]]


def history_address(expected):
    """A block the target freed while its main heap recorded: the last
    free of the main heap's ring (as the runtime reported it)."""
    main = [h for h in expected["heaps"] if h["name"] == "main"][0]
    return [e for e in main["recorder"]["events"] if e[1] == 2][-1][3]  # RGC_EV_FREE


def touching(t, events, addr):
    """[seq, kind, address, size] of the runtime's recorded events (as the
    target printed them) that touch addr: an allocation or free whose
    block holds it, any event at addr."""
    blocks = (t.ev_alloc, t.ev_free)
    return [[e[0], e[1], e[3], e[4]] for e in events
            if e[3] == addr or (e[1] in blocks and e[3] < addr < e[3] + e[4])]


def open_free_gate(pid, report):
    """Writes the free gate of the stopped target open while its runtime
    traces every allocation (so the gate must stay closed), as a debugger that disarmed
    without the gates' rule would (docs/debug-abi.md, "The gates"), reads
    the target again, and puts the gate back: the reader's text then."""
    at, value = report["hooks"]["free_gate_address"], report["hooks"]["free_gate_open"]
    with open("/proc/%d/mem" % pid, "r+b", buffering=0) as mem:
        mem.seek(at)
        old = mem.read(8)
        mem.seek(at)
        mem.write(value.to_bytes(8, "little"))
        try:
            return run_reader(["--pid", str(pid)])
        finally:
            mem.seek(at)
            mem.write(old)


def gather(name, flags):
    exe = build(name, flags)
    run = {"exe": exe, "live": {}, "core": {}}
    if name in MOVED:
        run["ran"] = os.path.join(TMP, "moved-" + os.path.basename(exe))
        shutil.copy2(exe, run["ran"])
    else:
        run["ran"] = exe
    proc = subprocess.Popen([run["ran"]], stdout=subprocess.PIPE, cwd=ROOT)
    try:
        line = proc.stdout.readline()
        if not line:
            raise RuntimeError("the target printed nothing (exit %s)" % proc.wait(timeout=10))
        run["expected"] = json.loads(line)
        wait_stopped(proc)
        for m in METHODS + ("auto",):
            run["live"][m] = reader_json(["--pid", str(proc.pid), "--find", m])
        rc, out, err = run_reader(["--pid", str(proc.pid)])
        run["live_text"] = (rc, out, err)
        run["lookups"] = {"live": lookups(["--pid", str(proc.pid)], run["expected"])}
        run["history"] = {"live": reader_json(["--pid", str(proc.pid), "--history",
                                               "%x" % history_address(run["expected"])])}
        prefix = os.path.join(TMP, "core-" + name)
        g = subprocess.run(["gcore", "-o", prefix, str(proc.pid)], stdout=subprocess.PIPE,
                           stderr=subprocess.STDOUT, timeout=120)
        run["core_path"] = "%s.%d" % (prefix, proc.pid)
        if g.returncode or not os.path.exists(run["core_path"]):
            raise RuntimeError("gcore failed:\n%s" % g.stdout.decode(errors="replace"))
        run["gate_open"] = open_free_gate(proc.pid, run["live"]["auto"]["report"])
        os.kill(proc.pid, signal.SIGCONT)
        run["exit"] = proc.wait(timeout=TIMEOUT)
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.wait()
        proc.stdout.close()
    if name in MOVED:
        os.unlink(run["ran"])
        for m in ("symbol", "section"):
            run["core"]["exe-" + m] = reader_json(["--core", run["core_path"], "--exe", exe, "--find", m])
        run["lookups"]["core-exe"] = lookups(["--core", run["core_path"], "--exe", exe], run["expected"])
    for m in METHODS + ("auto",):
        run["core"][m] = reader_json(["--core", run["core_path"], "--find", m])
    run["lookups"]["core"] = lookups(["--core", run["core_path"]], run["expected"])
    run["history"]["core"] = reader_json(["--core", run["core_path"], "--history",
                                          "%x" % history_address(run["expected"])])
    return run


def setUpModule():
    global TMP, SETUP_ERROR
    TMP = tempfile.mkdtemp(prefix="rgc-reader-tests-")
    try:
        for name, flags in BUILDS.items():
            RUNS[name] = gather(name, flags)
    except Exception as e:  # reported by every test that needs it
        SETUP_ERROR = "%s: %s" % (type(e).__name__, e)


def tearDownModule():
    if TMP:
        shutil.rmtree(TMP, ignore_errors=True)


def needs_runs(test):
    if SETUP_ERROR:
        test.fail("the fixture failed: " + SETUP_ERROR)


def site_rows(trace):
    """The reader's groups by site, as the target prints rgc_trace_statistics's."""
    rows = []
    for g in trace["sites"]:
        s = g["site"]
        rows.append({"file": s["file"] if s else None, "line": s["line"] if s else None,
                     "function": s["function"] if s else None,
                     "first_frame": None if s or g["first_frame"] is None else "0x%x" % g["first_frame"],
                     "size": g["size"], "count": g["count"]})
    return rows


# The one warning of a traced heap read from a core whose program is gone.
NAMES_GONE = "names of allocation sites cannot be read"


class Figures(unittest.TestCase):
    """Compare a reader report with the runtime's own figures."""

    def assert_same_trace(self, got, expected, names=True):
        """names: the sites' file and function names can be read (not from a
        core whose program is gone)."""
        if expected is None:
            self.assertIsNone(got)
            return
        self.assertIsNotNone(got)
        self.assertTrue(got["readable"])
        self.assertTrue(got["complete"])
        for k in ("frame_limit", "current", "peak", "count", "bytes"):
            self.assertEqual(got[k], expected[k], k)
        self.assertEqual(got["sample_bytes"], 0)
        # Both places hold traces, each as many as the trace counts there:
        # small blocks' in pool slots, large blocks' among the entries.
        self.assertGreater(got["from_slots"], 0)
        self.assertGreater(got["from_entries"], 0)
        self.assertEqual((got["from_slots"], got["from_entries"]), (got["pooled"], got["len"]))
        self.assertEqual(got["from_slots"] + got["from_entries"], expected["count"])
        self.assertEqual(got["sites_total"], len(expected["sites"]))
        want = expected["sites"]
        if not names:
            want = [dict(r, file=None, function=None) for r in want]
        self.assertEqual(site_rows(got), want)
        # Grouped by traceback, the traces are all there.
        self.assertEqual(got["tracebacks_total"], len(got["tracebacks"]))
        self.assertEqual(sum(g["size"] for g in got["tracebacks"]), expected["bytes"])
        self.assertEqual(sum(g["count"] for g in got["tracebacks"]), expected["count"])

    def assert_same_heaps(self, got, expected, names=True):
        self.assertEqual(got["warnings"], [])
        by_name = {h["name"]: h for h in got["heaps"]}
        self.assertEqual(sorted(by_name), sorted(h["name"] for h in expected["heaps"]))
        for e in expected["heaps"]:
            h = by_name[e["name"]]
            with self.subTest(heap=e["name"]):
                if names or e["trace"] is None:
                    self.assertEqual(h["warnings"], [])
                else:
                    self.assertEqual(len(h["warnings"]), 1, h["warnings"])
                    self.assertIn(NAMES_GONE, h["warnings"][0])
                    self.assertIn("is not in the core", h["warnings"][0])
                self.assert_same_trace(h["trace"], e["trace"], names)
                if e["trace"] is not None:
                    # A traced large block is a live large block.
                    self.assertLessEqual(h["trace"]["from_entries"], e["large_blocks"])
                self.assertEqual(h["address"], e["address"])
                self.assertEqual(h["arenas"]["count"], e["arenas"])
                self.assertEqual(len(h["arenas"]["addresses"]), e["arenas"])
                self.assertEqual(h["classes"].keys(), e["classes"].keys())
                for c, ec in e["classes"].items():
                    hc = h["classes"][c]
                    self.assertEqual((hc["block_size"], hc["pools"], hc["blocks_used"], hc["blocks_free"]),
                                     (ec["block_size"], ec["pools"], ec["blocks_used"], ec["blocks_free"]),
                                     "class %s" % c)
                self.assertEqual(h["objects"], e["objects"])
                self.assertEqual(h["objects"], e["walked"])
                self.assertEqual(h["objects_by_counts"], e["objects"])
                self.assertEqual(h["types"], e["types"])
                self.assertEqual(h["generations"], e["generations"])
                self.assertEqual(h["tracked"], e["tracked"])
                self.assertEqual(h["large"]["count"], e["large_blocks"])
                self.assertEqual(h["large"]["bytes"], e["large_bytes"])
                self.assertEqual(h["pools"]["pages_released"], e["pages_released"])
                self.assertEqual(h["weak"]["referents"], e["weak"]["referents"])
                self.assertEqual(h["weak"]["weakrefs"], e["weak"]["weakrefs"])
                self.assertEqual(h["gc"]["enabled"], e["gc"]["enabled"])
                self.assertEqual(h["gc"]["threshold"], e["gc"]["threshold"])
                self.assertEqual(h["gc"]["count"], e["gc"]["count"])
                self.assertEqual(h["recorder"]["capacity"], e["recorder"]["capacity"])
                events = [[v["seq"], v["kind"], v["type_id"], v["address"], v["size"], v["site"]]
                          for v in h["recorder"]["events"]]
                self.assertEqual(events, e["recorder"]["events"])

    def check(self, build, where, method, names=True):
        needs_runs(self)
        r = RUNS[build][where][method]
        self.assertEqual(r["rc"], 0, r["stderr"])
        self.assertEqual(r["stderr"], "")
        rep = r["report"]
        if method != "auto":
            self.assertEqual(rep["table"]["method"], method.replace("exe-", ""))
        self.assert_same_heaps(rep, RUNS[build]["expected"], names)
        return rep

    def check_lookups(self, build, where, names=True):
        """The reader's --site of the three blocks the target looked up:
        the runtime's rgc_trace_get, frames included."""
        needs_runs(self)
        expected = RUNS[build]["expected"]["heaps"][0]["trace"]["lookups"]
        got = RUNS[build]["lookups"][where]
        self.assertEqual(len(got), 3)
        # A small block from RGC_NEW and one from a plain call, traced in
        # pool slots; a large block from RGC_MEM_ALLOC, among the entries.
        self.assertIsNotNone(expected[0].get("file"))
        self.assertIsNone(expected[1].get("file"))
        self.assertIsNotNone(expected[2].get("file"))
        self.assertEqual(expected[2]["size"], 3000)
        places = ["pool slots", "pool slots", "entries"]
        for e, r, place in zip(expected, got, places):
            with self.subTest(block="0x%x" % e["address"]):
                self.assertTrue(e["found"])
                self.assertEqual((r["rc"], r["stderr"]), (0, ""))
                b = r["report"]["block"]
                self.assertEqual(b["address"], e["address"])
                self.assertEqual(b["heap"], "main")
                self.assertEqual(b["size"], e["size"])
                self.assertEqual(b["found_in"], place)
                s = b["site"]
                site = (s["file"], s["line"], s["function"]) if s else (None, None, None)
                want = (e["file"], e["line"], e["function"])
                if not names and s:
                    want = (None, e["line"], None)
                self.assertEqual(site, want)
                self.assertGreater(len(e["frames"]), 1)
                self.assertEqual(["0x%x" % f for f in b["frames"]], e["frames"])
                self.assertEqual(len(b["symbols"]), len(b["frames"]))
                warnings = r["report"]["warnings"]
                if names or not s:
                    self.assertEqual(warnings, [])
                else:
                    self.assertEqual(len(warnings), 1, warnings)
                    self.assertIn("the file name of the allocation site at 0x%x" % s["address"], warnings[0])
        return [r["report"]["block"] for r in got]


class TestUnoptimized(Figures):
    """-O0 -g: every way of finding the table, live and from the core."""

    def test_live_by_symbol(self):
        rep = self.check("O0", "live", "symbol")
        self.assertIn("dynamic symbol rgc_debug_table", rep["table"]["source"])

    def test_live_by_section(self):
        rep = self.check("O0", "live", "section")
        self.assertIn("section .rgc_debug", rep["table"]["source"])

    def test_live_by_scan(self):
        self.check("O0", "live", "scan")

    def test_live_auto(self):
        self.assertEqual(self.check("O0", "live", "auto")["table"]["method"], "symbol")

    def test_core_by_scan(self):
        self.check("O0", "core", "scan")

    def test_core_by_symbol(self):
        self.check("O0", "core", "symbol")

    def test_core_by_section(self):
        self.check("O0", "core", "section")

    def test_core_auto(self):
        self.check("O0", "core", "auto")

    def test_all_ways_find_the_same_table(self):
        needs_runs(self)
        addrs = {RUNS["O0"][w][m]["report"]["table"]["address"] for w in ("live", "core") for m in METHODS}
        self.assertEqual(len(addrs), 1)

    def test_program_exits_0_after_the_core(self):
        needs_runs(self)
        self.assertEqual(RUNS["O0"]["exit"], 0)

    def test_the_heap_has_the_hard_cases(self):
        """The target's main heap has what the reader must get right: held
        blocks, a pool counting from its low-water mark, holes, bitmap
        pools, large objects, the recorder, every generation."""
        needs_runs(self)
        rep = RUNS["O0"]["live"]["symbol"]["report"]
        main = [h for h in rep["heaps"] if h["name"] == "main"][0]
        self.assertGreaterEqual(main["pools"]["held_blocks"], 1)
        self.assertGreaterEqual(main["pools"]["low_armed"], 1)
        self.assertGreaterEqual(main["pools"]["pages_released"], 1)
        self.assertGreaterEqual(main["pools"]["bitmap"], 1)
        self.assertGreaterEqual(main["large"]["objects"], 1)
        self.assertGreaterEqual(main["large"]["raw"], 1)
        # A ring of 64 slots, full, with long records (a large block's
        # allocation and free take two slots): fewer events than slots,
        # each as the runtime itself gives them (Figures).
        events = main["recorder"]["events"]
        self.assertEqual(main["recorder"]["capacity"], 64)
        self.assertGreater(main["recorder"]["seq"], 64)
        seqs = [e["seq"] for e in events]
        self.assertIn(2, [b - a for a, b in zip(seqs, seqs[1:])])
        self.assertEqual(seqs[-1], main["recorder"]["seq"])
        self.assertGreater(len(events), 32)
        self.assertLess(len(events), 64)
        kinds = {e["kind_name"] for e in main["recorder"]["events"]}
        self.assertTrue({"alloc", "free", "zero", "gc-start", "gc-end"} <= kinds, kinds)
        # Allocation sites resolve through the program's symbols.
        sited = [e for e in main["recorder"]["events"] if e["kind_name"] == "alloc" and e["site"]]
        self.assertTrue(sited)
        for e in sited:
            self.assertRegex(e["site_symbol"] or "", r"^[A-Za-z_][A-Za-z0-9_.]*\+0x[0-9a-f]+$", e)
        for g in ("0", "1", "2", "3", "untracked"):
            self.assertGreater(main["generations"][g], 0, "generation " + g)
        self.assertGreater(main["weak"]["weakrefs"], main["weak"]["referents"])
        self.assertIn("test.Node", main["types"])
        self.assertIn("Thing", main["types"])

    def test_gates_out_of_rule_are_named(self):
        needs_runs(self)
        rc, out, err = RUNS["O0"]["gate_open"]
        self.assertEqual(rc, 0, err)
        # The target records and traces: its gates are closed (0), and one
        # written open by a debugger that disarmed wrongly is named.
        self.assertRegex(out, r"warning: hook gates at 0x[0-9a-f]+ are 0x8000000 \(free\) and 0x0 "
                              r"\(allocation\), not 0x0 and 0x0 as the hook mask 0x00, type filter 0 "
                              r"and tracing 0x80 require")
        self.assertIn("raw frees and allocations on their fast paths go unreported", out)
        self.assertNotIn("hook gates", RUNS["O0"]["live_text"][1])

    def test_text_output(self):
        needs_runs(self)
        rc, out, err = RUNS["O0"]["live_text"]
        self.assertEqual((rc, err), (0, ""))
        self.assertIn("heap 'main' at 0x", out)
        self.assertIn("heap 'aux' at 0x", out)
        self.assertRegex(out, r"recorder: the last \d+ events, in slots #\d+ to #\d+ \(ring of 64 slots at 0x")


class TestStripped(Figures):
    """-O2 -s: no .symtab, but .dynsym and the section headers remain."""

    def test_stripped_keeps_dynsym_and_sections(self):
        needs_runs(self)
        with elf.ElfFile(RUNS["O2s"]["exe"]) as f:
            self.assertIsNone(f.section(".symtab"))
            self.assertIsNotNone(f.section(".dynsym"))
            self.assertIsNotNone(f.section(".rgc_debug"))
            self.assertIsNotNone(f.dynamic_symbol("rgc_debug_table"))
            self.assertIsNone(f.static_symbol("rgc_debug_table"))

    def test_live_by_scan(self):
        self.check("O2s", "live", "scan")

    def test_live_by_symbol(self):
        self.check("O2s", "live", "symbol")

    def test_live_by_section(self):
        self.check("O2s", "live", "section")

    def test_core_by_scan(self):
        self.check("O2s", "core", "scan", names=False)

    def test_core_auto_scans_when_the_program_is_gone(self):
        self.assertEqual(self.check("O2s", "core", "auto", names=False)["table"]["method"], "scan")

    def test_core_by_symbol_without_the_program(self):
        needs_runs(self)
        r = RUNS["O2s"]["core"]["symbol"]
        self.assertEqual(r["rc"], 1)
        self.assertTrue(r["stderr"].startswith("rgc: no rgc debug table in core "), r["stderr"])
        self.assertIn("cannot open " + RUNS["O2s"]["ran"], r["stderr"])

    def test_core_by_symbol_with_exe(self):
        rep = self.check("O2s", "core", "exe-symbol")
        self.assertIn(RUNS["O2s"]["exe"], rep["table"]["source"])

    def test_core_by_section_with_exe(self):
        self.check("O2s", "core", "exe-section")

    def test_program_exits_0_after_the_core(self):
        needs_runs(self)
        self.assertEqual(RUNS["O2s"]["exit"], 0)


class TestKernelCore(Figures):
    """A core the kernel wrote (not gcore): its text segments have
    p_filesz 0 or one page, and the ranges excluded from dumps (the
    runtime's arena map) are there with p_filesz 0."""

    @classmethod
    def setUpClass(cls):
        cls.skip = None
        if SETUP_ERROR:
            return
        try:
            with open("/proc/sys/kernel/core_pattern") as f:
                pattern = f.read().strip()
        except OSError:
            pattern = "|"
        if pattern.startswith("|") or "/" in pattern:
            cls.skip = "core_pattern %r: the kernel's cores do not land in the working directory" % pattern
            return
        import resource
        work = os.path.join(TMP, "kernel-core")
        os.makedirs(work)

        def unlimited_core():
            resource.setrlimit(resource.RLIMIT_CORE, (resource.RLIM_INFINITY, resource.RLIM_INFINITY))

        proc = subprocess.Popen([RUNS["O0"]["exe"]], stdout=subprocess.PIPE, cwd=work, preexec_fn=unlimited_core)
        try:
            expected = json.loads(proc.stdout.readline())
            wait_stopped(proc)
            os.kill(proc.pid, signal.SIGSEGV)  # delivered before it runs again
            os.kill(proc.pid, signal.SIGCONT)
            proc.wait(timeout=TIMEOUT)
        finally:
            if proc.poll() is None:
                proc.kill()
                proc.wait()
            proc.stdout.close()
        cores = [f for f in os.listdir(work) if f.startswith("core")]
        if len(cores) != 1:
            cls.skip = "the kernel wrote no core file (%s)" % (cores or "none")
            return
        core = os.path.join(work, cores[0])
        RUNS["kernel"] = {"expected": expected, "core_path": core,
                          "core": {m: reader_json(["--core", core, "--find", m]) for m in METHODS}}

    def setUp(self):
        if self.skip:
            self.skipTest(self.skip)

    def test_by_symbol(self):
        self.check("kernel", "core", "symbol")

    def test_by_section(self):
        self.check("kernel", "core", "section")

    def test_by_scan(self):
        self.check("kernel", "core", "scan")


class TestShared(Figures):
    """A program linked with librgc.so: the table is the library's."""

    def test_live_by_symbol(self):
        rep = self.check("so", "live", "symbol")
        self.assertRegex(rep["table"]["source"], r"dynamic symbol rgc_debug_table in .*/librgc\.so")

    def test_live_by_section(self):
        rep = self.check("so", "live", "section")
        self.assertRegex(rep["table"]["source"], r"section \.rgc_debug of .*/librgc\.so")

    def test_live_by_scan(self):
        self.check("so", "live", "scan")

    def test_core_by_symbol(self):
        self.check("so", "core", "symbol")

    def test_core_by_scan(self):
        self.check("so", "core", "scan")


class TestTraces(Figures):
    """Allocation tracing: the trace of a block (--site), the target's
    sites, the text output.  (The figures and the groups by site are
    checked with every report, in assert_same_heaps.)"""

    def test_O0_live_lookups(self):
        for b in self.check_lookups("O0", "live"):
            # .symtab: the first frame is in the function that allocated.
            self.assertTrue(b["symbols"][0].startswith("build_traced+0x"), b["symbols"])

    def test_O0_core_lookups(self):
        for b in self.check_lookups("O0", "core"):
            self.assertTrue(b["symbols"][0].startswith("build_traced+0x"), b["symbols"])

    def test_O2s_live_lookups(self):
        self.check_lookups("O2s", "live")

    def test_O2s_core_lookups_with_exe(self):
        self.check_lookups("O2s", "core-exe")

    def test_O2s_core_lookups_without_the_program(self):
        self.check_lookups("O2s", "core", names=False)

    def test_the_target_traces_macro_sites_and_plain_calls(self):
        needs_runs(self)
        for build in ("O0", "O2s"):
            main, aux = RUNS[build]["expected"]["heaps"]
            self.assertIsNone(aux["trace"])
            sites = main["trace"]["sites"]
            lines = {r["line"] for r in sites if r["function"] == "build_traced"}
            self.assertGreaterEqual(len(lines), 5, sites)
            self.assertTrue(all(r["file"] == "tests/plugins/target.c" for r in sites if r["line"] is not None))
            self.assertTrue(any(r["first_frame"] for r in sites))
            # Traced blocks were freed: the peak is above what is left.
            self.assertGreater(main["trace"]["peak"], main["trace"]["current"])

    def test_text_output(self):
        needs_runs(self)
        rc, out, err = RUNS["O0"]["live_text"]
        self.assertEqual((rc, err), (0, ""))
        trace = RUNS["O0"]["expected"]["heaps"][0]["trace"]
        self.assertIn("  tracing: 4 frames, every allocation; %d bytes traced (at most %d) in %d blocks, "
                      % (trace["current"], trace["peak"], trace["count"]), out)
        self.assertIn("    largest sites (10 of %d):\n" % len(trace["sites"]), out)
        top = trace["sites"][0]
        self.assertIn(": %d bytes in %s" % (top["size"], "1 block" if top["count"] == 1 else
                                            "%d blocks" % top["count"]), out)
        self.assertIn("tests/plugins/target.c:", out)
        self.assertIn("  tracing: off", out)  # the aux heap

    def test_text_site(self):
        needs_runs(self)
        block = RUNS["O0"]["expected"]["heaps"][0]["trace"]["lookups"][0]
        rc, out, err = run_reader(["--core", RUNS["O0"]["core_path"], "--site", "%x" % block["address"]])
        self.assertEqual((rc, err), (0, ""))
        lines = out.splitlines()
        self.assertTrue(lines[0].startswith("0x%x: %d bytes, traced by heap 'main' at 0x"
                                            % (block["address"], block["size"])), lines[0])
        self.assertEqual(lines[1], "  site: tests/plugins/target.c:%d (build_traced)" % block["line"])
        self.assertEqual(lines[2], "  frames, innermost first:")
        self.assertEqual(len(lines), 3 + len(block["frames"]))
        self.assertTrue(lines[3].startswith("    %s build_traced+0x" % block["frames"][0]), lines[3])

    def test_an_address_inside_a_traced_block_finds_the_block(self):
        """--site with a pointer into the bytes of a traced block (a
        field, a string's bytes), small and large: the block's trace, its
        start, and how far in the address is."""
        needs_runs(self)
        for e in RUNS["O0"]["expected"]["heaps"][0]["trace"]["lookups"]:
            inside = e["address"] + e["size"] - 1
            with self.subTest(block="0x%x" % e["address"]):
                rc, out, err = run_reader(["--core", RUNS["O0"]["core_path"], "--site", "%x" % inside, "--json"])
                self.assertEqual((rc, err), (0, ""))
                b = json.loads(out)["block"]
                self.assertEqual((b["address"], b["asked"], b["size"]), (e["address"], inside, e["size"]))
                self.assertEqual(["0x%x" % f for f in b["frames"]], e["frames"])
                rc, out, err = run_reader(["--core", RUNS["O0"]["core_path"], "--site", "%x" % inside])
                self.assertEqual((rc, err), (0, ""))
                self.assertIn("(0x%x is %d bytes into it)" % (inside, e["size"] - 1), out)
                # Just past the bytes asked for is not the block's.
                rc, out, err = run_reader(["--core", RUNS["O0"]["core_path"], "--site",
                                           "%x" % (e["address"] + e["size"]), "--json"])
                if rc == 0:
                    self.assertNotEqual(json.loads(out)["block"]["address"], e["address"])

    def test_not_a_traced_block(self):
        needs_runs(self)
        heap = RUNS["O0"]["expected"]["heaps"][0]["address"]
        for args in ([], ["--json"]):
            rc, out, err = run_reader(["--core", RUNS["O0"]["core_path"], "--site", "0x%x" % heap] + args)
            self.assertEqual((rc, out, err), (1, "", "rgc: 0x%x is not in a traced block\n" % heap))

    def test_site_must_be_an_address(self):
        needs_runs(self)
        rc, out, err = run_reader(["--core", RUNS["O0"]["core_path"], "--site", "heap"])
        self.assertEqual(rc, 2)
        self.assertEqual(len(err.splitlines()), 1, err)
        self.assertIn("not a hex address", err)


class TestIdle(unittest.TestCase):
    """A program stopped before its first use of rgc: its table is there
    but not initialized, and it has no heap."""

    def test_not_started(self):
        needs_runs(self)
        proc = subprocess.Popen([RUNS["O0"]["exe"], "idle"], stdout=subprocess.PIPE, cwd=ROOT)
        try:
            self.assertEqual(json.loads(proc.stdout.readline())["heaps"], [])
            wait_stopped(proc)
            for method in ("auto", "scan"):
                rc, out, err = run_reader(["--pid", str(proc.pid), "--json", "--find", method])
                self.assertEqual((rc, err), (0, ""))
                rep = json.loads(out)
                self.assertEqual(rep["heaps"], [])
                self.assertEqual(len(rep["warnings"]), 1)
                self.assertIn("has not started", rep["warnings"][0])
            os.kill(proc.pid, signal.SIGCONT)
            self.assertEqual(proc.wait(timeout=TIMEOUT), 0)
        finally:
            if proc.poll() is None:
                proc.kill()
                proc.wait()
            proc.stdout.close()


class TestSampled(unittest.TestCase):
    """A heap that samples: the reader's estimates by site are the
    runtime's, and far from the raw samples for the small blocks."""

    def test_estimates_are_the_runtimes(self):
        needs_runs(self)
        proc = subprocess.Popen([RUNS["O0"]["exe"], "sampled"], stdout=subprocess.PIPE, cwd=ROOT)
        try:
            expected = json.loads(proc.stdout.readline())
            wait_stopped(proc)
            rc, out, err = run_reader(["--pid", str(proc.pid), "--json", "--sites", "100"])
            self.assertEqual((rc, err), (0, ""))
            (heap,) = json.loads(out)["heaps"]
            tr = heap["trace"]
            self.assertEqual(tr["sample_bytes"], expected["sample_bytes"])
            rows = [dict(r, estimated_size=g["estimated_size"], estimated_count=g["estimated_count"])
                    for r, g in zip(site_rows(tr), tr["sites"])]
            want = [dict(r, first_frame=None) for r in expected["sites"]]
            self.assertEqual(rows, want)
            # 320000 bytes in 16-byte blocks, as many in 1600-byte ones: the
            # samples hold far more of the large, the estimates about as much.
            by_size = {r["line"]: r for r in want if r["function"] == "run_sampled"}
            small, large = sorted(by_size.values(), key=lambda r: r["line"])
            self.assertGreater(large["size"], 20 * small["size"])
            for r in (small, large):
                self.assertTrue(0.6 * 320000 < r["estimated_size"] < 1.4 * 320000, r)
            rc, text, err = run_reader(["--pid", str(proc.pid)])
            self.assertIn("about one allocation per 1024 bytes", text)
            self.assertRegex(text, r"about \d+ bytes live at the sampled sites, by estimate")
            self.assertRegex(text, r"target\.c:\d+ \(run_sampled\): about \d+ bytes in about \d+ blocks "
                                   r"\(\d+ blocks?, \d+ bytes, sampled\)")
            os.kill(proc.pid, signal.SIGCONT)
            self.assertEqual(proc.wait(timeout=TIMEOUT), 0)
        finally:
            if proc.poll() is None:
                proc.kill()
                proc.wait()
            proc.stdout.close()


class TestBadInput(unittest.TestCase):
    """Bad input: one line on stderr starting "rgc: ", exit status 1."""

    def assert_one_error(self, result, starts):
        rc, out, err = result
        self.assertNotIn("Traceback", err + out)
        self.assertEqual(rc, 1, err)
        lines = err.splitlines()
        self.assertEqual(len(lines), 1, err)
        self.assertTrue(lines[0].startswith("rgc: "), lines[0])
        self.assertTrue(lines[0].startswith("rgc: " + starts), lines[0])
        return lines[0]

    def core_copy(self, name, edit):
        needs_runs(self)
        src = RUNS["O0"]["core_path"]
        dst = os.path.join(TMP, name)
        with open(src, "rb") as f:
            data = bytearray(f.read())
        data = edit(data)
        with open(dst, "wb") as f:
            f.write(data)
        return dst

    @staticmethod
    def cookies(data):
        at = []
        i = data.find(COOKIE)
        while i >= 0:
            at.append(i)
            i = data.find(COOKIE, i + 1)
        return at

    def test_cookie_overwritten_scan(self):
        def edit(data):
            found = self.cookies(data)
            self.assertTrue(found)
            for i in found:
                data[i:i + 8] = b"\0rgcdbg\0"
            return data
        core = self.core_copy("core-nocookie", edit)
        self.assert_one_error(run_reader(["--core", core, "--find", "scan"]),
                              "no rgc debug table in core %s (not an rgc program?)" % core)
        # Where the program's symbol says the table is, the cookie is wrong.
        line = self.assert_one_error(run_reader(["--core", core, "--find", "symbol"]), "wrong cookie at 0x")
        self.assertIn("rgc_debug_table", line)

    def test_unknown_version(self):
        def edit(data):
            for i in self.cookies(data):
                data[i + 8:i + 12] = (99).to_bytes(4, "little")
            return data
        core = self.core_copy("core-v99", edit)
        for method in ("auto", "scan"):
            line = self.assert_one_error(run_reader(["--core", core, "--find", method]),
                                         "unknown debug table version 99 at 0x")
            self.assertTrue(line.endswith(": this reader knows 2"), line)

    def test_truncated_core(self):
        core = self.core_copy("core-half", lambda data: data[:len(data) // 2])
        size = os.path.getsize(core)
        for args in ([], ["--json"], ["--find", "scan"]):
            line = self.assert_one_error(run_reader(["--core", core] + args),
                                         "truncated core: %s ends at byte %d, segment at 0x" % (core, size))
            self.assertRegex(line, r"segment at 0x[0-9a-f]+ needs \d+$")

    def test_not_an_rgc_program(self):
        # The reader is the parent of `sleep` (sh execs it), so it may read
        # the process under Yama's ptrace_scope 1 too.
        script = 'sleep 30 </dev/null >/dev/null 2>&1 & echo $!; sleep 0.2; exec "$0" -m rgc --pid $!'
        env = dict(os.environ, PYTHONPATH=PLUGINS)
        p = subprocess.run(["sh", "-c", script, sys.executable], cwd=ROOT, env=env, stdout=subprocess.PIPE,
                           stderr=subprocess.PIPE, timeout=TIMEOUT)
        out = p.stdout.decode()
        pid = int(out.split()[0])
        try:
            os.kill(pid, signal.SIGKILL)
        except ProcessLookupError:
            pass
        self.assert_one_error((p.returncode, "", p.stderr.decode()),
                              "no rgc debug table in process %d (not an rgc program?)" % pid)
        self.assertEqual(p.stderr.decode().strip(),
                         "rgc: no rgc debug table in process %d (not an rgc program?)" % pid)

    def test_no_such_process(self):
        self.assert_one_error(run_reader(["--pid", "999999999"]), "no process 999999999")

    def test_not_a_core(self):
        needs_runs(self)
        self.assert_one_error(run_reader(["--core", RUNS["O0"]["exe"]]), "%s is not a core file" % RUNS["O0"]["exe"])

    def test_missing_core(self):
        self.assert_one_error(run_reader(["--core", "/nonexistent/core"]), "cannot open /nonexistent/core")


class TestCoreMemory(unittest.TestCase):
    """What a core does not hold: the program's text comes from its file."""

    def text_of(self, build, core):
        exe = RUNS[build]["exe"]
        files = candidate_files(core)
        self.assertTrue(files)
        with elf.ElfFile(exe) as f:
            text = f.section(".text")
            bias = elf.load_bias(f, files[0][1])
            want = f.read_at(text.offset, 256)
        return bias + text.addr, want

    def test_text_read_from_the_program_file(self):
        needs_runs(self)
        core = CoreTarget(RUNS["O0"]["core_path"])
        try:
            addr, want = self.text_of("O0", core)
            self.assertIsNone(core.file_offset(addr))  # not dumped
            self.assertEqual(core.read(addr, len(want)), want)
        finally:
            core.close()

    def test_text_absent_when_the_program_is_gone(self):
        needs_runs(self)
        core = CoreTarget(RUNS["O2s"]["core_path"])
        try:
            addr, _ = self.text_of("O2s", core)
            with self.assertRaises(TargetError) as cm:
                core.read(addr, 16)
            self.assertIn("0x%x is not in the core" % addr, str(cm.exception))
        finally:
            core.close()


class Overlay(Target):
    """A target with some of its bytes replaced (patches: address -> bytes)."""

    def __init__(self, target, patches):
        self.target = target
        self.patches = patches

    def read(self, addr, size):
        data = bytearray(self.target.read(addr, size))
        for at, value in self.patches.items():
            for i, b in enumerate(value):
                if addr <= at + i < addr + size:
                    data[at + i - addr] = b
        return bytes(data)

    def describe(self):
        return self.target.describe()


class TestTableChecks(unittest.TestCase):
    """What check_table refuses, each named in one line."""

    def setUp(self):
        needs_runs(self)
        self.core = CoreTarget(RUNS["O0"]["core_path"])
        self.addCleanup(self.core.close)
        self.t = find_table(self.core, "symbol")

    def entry(self, name):
        return self.t.address + rgc_table.HEADER_SIZE + 8 * rgc_table.ENTRY_NAMES.index(name)

    def check(self, patches):
        return check_table(Overlay(self.core, patches), self.t.address, "test", "patched")

    def refused(self, patches, text):
        with self.assertRaises(TableError) as cm:
            self.check(patches)
        self.assertIn(text, str(cm.exception))
        self.assertIn("0x%x" % self.t.address, str(cm.exception))
        return str(cm.exception)

    def test_a_table_of_a_later_build_is_read_for_the_entries_it_shares(self):
        """Within a version entries are only added at the end: a table
        with more than the reader knows is read for those it knows."""
        self.assertEqual(self.t.size, rgc_table.V2_SIZE)
        t = self.check({self.t.address + 12: struct.pack("<I", rgc_table.V2_SIZE + 64)})
        self.assertEqual(t.size, rgc_table.V2_SIZE + 64)
        self.assertEqual(t.entries, self.t.entries)

    def test_too_small(self):
        """A table that ends before the last entry the reader knows (one of
        version 1's shape, claiming version 2) is refused."""
        size = rgc_table.HEADER_SIZE + 8 * rgc_table.ENTRY_NAMES.index("trace_arenas")
        self.refused({self.t.address + 12: struct.pack("<I", size)},
                     "%d bytes, version 2 needs at least %d" % (size, rgc_table.V2_SIZE))
        self.refused({self.t.address + 12: struct.pack("<I", rgc_table.V2_SIZE - 8)},
                     "%d bytes, version 2 needs at least %d" % (rgc_table.V2_SIZE - 8, rgc_table.V2_SIZE))

    def test_a_recorder_slot_of_another_layout(self):
        msg = self.refused({self.entry("record_lap_shift"): struct.pack("<Q", 60)}, "a recorder slot laid out")
        self.assertIn("lap from bit 60", msg)
        self.refused({self.entry("record_what"): struct.pack("<Q", 4)}, "words at 0 and 4")

    def test_header_fields(self):
        a = self.t.address
        self.refused({a + 16: b"\x04"}, "pointer size 4")
        self.refused({a + 17: b"\x02"}, "byte order 2")
        self.refused({a + 18: struct.pack("<H", 4)}, "entries of 4 bytes")

    def test_field_outside_its_struct(self):
        msg = self.refused({self.entry("sizeof_large"): struct.pack("<Q", 40)}, "field large.kind")
        self.assertIn("lies outside struct large (40 bytes)", msg)

    def test_root_magic(self):
        rt = self.t.runtime_address
        self.refused({rt: b"\0" * 8}, "runtime root at 0x%x" % rt)


@contextlib.contextmanager
def o0_core():
    """The -O0 run's core, its table (found by symbol), its heaps' addresses
    by name and a reader of its u64s."""
    core = CoreTarget(RUNS["O0"]["core_path"])
    try:
        t = find_table(core, "symbol")
        heaps = {h["name"]: h["address"] for h in RUNS["O0"]["expected"]["heaps"]}
        yield core, t, heaps, lambda addr: struct.unpack("<Q", core.read(addr, 8))[0]
    finally:
        core.close()


def main_ring(t, heaps, q):
    """(ring, capacity, slots written) of the main heap's recorder, read
    with q from a core's heaps (o0_core)."""
    rec = heaps["main"] + t.heap_recorder
    return q(rec + t.recorder_events), q(rec + t.recorder_cap), q(rec + t.recorder_seq)


def patched_core(name, patches):
    """A copy of the -O0 core with patches {address: bytes} applied."""
    src = RUNS["O0"]["core_path"]
    core = CoreTarget(src)
    try:
        with open(src, "rb") as f:
            data = bytearray(f.read())
        for addr, value in patches.items():
            off = core.file_offset(addr)
            assert off is not None, hex(addr)
            data[off:off + len(value)] = value
    finally:
        core.close()
    dst = os.path.join(TMP, name)
    with open(dst, "wb") as f:
        f.write(data)
    return dst


def trace_pool_pointer(core, t, trace, block):
    """(where the pointer to small block's trace pool is, the trace pool)
    in a core: its arena among the trace's arenas, its pool by index."""
    q = lambda addr: struct.unpack("<Q", core.read(addr, 8))[0]  # noqa: E731
    arena = block & ~(t.arena_size - 1)
    arenas, cap = q(trace + t.trace_arenas), q(trace + t.trace_arenas_cap)
    for i in range(cap):
        ta = q(arenas + 8 * i)
        if ta and q(ta + t.trace_arena_base) == arena:
            at = ta + t.trace_arena_pools + 8 * ((block - arena) >> t.pool_shift)
            return at, q(at)
    raise AssertionError("no trace arena for 0x%x" % block)


class CorruptTrace:
    """A copy of the -O0 core with one pointer of the main heap's trace
    broken (a test case's patch(table, the trace's address, the core)
    gives where and what to write): one warning naming the address (BAD,
    in the words of WARNING), the rest still read, exit 0.  A mixin of the
    test cases below."""

    BAD = None

    @classmethod
    def setUpClass(cls):
        if SETUP_ERROR:
            return
        core = CoreTarget(RUNS["O0"]["core_path"])
        try:
            t = find_table(core, "symbol")
            main = RUNS["O0"]["expected"]["heaps"][0]["address"]
            trace = struct.unpack("<Q", core.read(main + t.heap_trace, 8))[0]
            at, value = cls.patch(t, trace, core)
        finally:
            core.close()
        cls.core = patched_core("core-%s" % cls.__name__, {at: struct.pack("<Q", value)})
        cls.report = run_reader(["--core", cls.core, "--json"])

    def setUp(self):
        needs_runs(self)

    def expected(self):
        return {h["name"]: h for h in RUNS["O0"]["expected"]["heaps"]}

    def main_heap(self):
        """The reader's report of the main heap, once the one warning and
        the other heaps are checked."""
        rc, out, err = self.report
        self.assertEqual((rc, err), (0, ""))
        rep = json.loads(out)
        warnings = rep["warnings"] + [w for h in rep["heaps"] for w in h["warnings"]]
        self.assertEqual(len(warnings), 1, warnings)
        self.assertIn(self.WARNING % self.BAD, warnings[0])
        expected = self.expected()
        for h in rep["heaps"]:
            e = expected[h["name"]]
            self.assertEqual((h["objects"], h["types"], h["large"]["count"]),
                             (e["objects"], e["types"], e["large_blocks"]))
        main = [h for h in rep["heaps"] if h["name"] == "main"][0]
        trace, want = main["trace"], expected["main"]["trace"]
        self.assertEqual((trace["current"], trace["peak"], trace["frame_limit"]),
                         (want["current"], want["peak"], want["frame_limit"]))
        self.assertFalse(trace["complete"])
        return trace

    def test_text_output(self):
        rc, out, err = run_reader(["--core", self.core])
        self.assertEqual((rc, err), (0, ""))
        self.assertEqual(out.count("warning: "), 1, out)
        self.assertIn(self.WARNING % self.BAD, out)

    def lookup(self, i):
        block = self.expected()["main"]["trace"]["lookups"][i]
        return block, run_reader(["--core", self.core, "--site", "0x%x" % block["address"], "--json"])

    def assert_lookup_says_why(self, i):
        block, (rc, out, err) = self.lookup(i)
        self.assertEqual((rc, out), (1, ""))
        self.assertEqual(len(err.splitlines()), 1, err)
        self.assertTrue(err.startswith("rgc: 0x%x is not in a traced block (not every trace could be read: "
                                       % block["address"]), err)
        self.assertIn(self.WARNING % self.BAD, err)

    def assert_lookup_found(self, i, place):
        block, (rc, out, err) = self.lookup(i)
        self.assertEqual((rc, err), (0, ""))
        got = json.loads(out)["block"]
        self.assertEqual((got["address"], got["size"], got["found_in"]), (block["address"], block["size"], place))
        self.assertEqual(["0x%x" % f for f in got["frames"]], block["frames"])


class TestCorruptTrace(CorruptTrace, unittest.TestCase):
    """The trace lost its entries (the pointer to them broken): the large
    blocks' traces are gone, the small blocks' are still read from their
    pools' slots."""

    BAD = 0x50000
    WARNING = "its entries at 0x%x"

    @classmethod
    def patch(cls, t, trace, core):
        return trace + t.trace_entries, cls.BAD

    def test_one_warning_and_the_rest_is_read(self):
        trace = self.main_heap()
        self.assertEqual(trace["from_entries"], 0)
        self.assertEqual(trace["from_slots"], trace["pooled"])
        self.assertEqual(trace["count"], trace["pooled"])
        self.assertLess(trace["count"], self.expected()["main"]["trace"]["count"])
        self.assertTrue(trace["sites"])

    def test_lookups(self):
        self.assert_lookup_found(0, "pool slots")
        self.assert_lookup_found(1, "pool slots")
        self.assert_lookup_says_why(2)


class TestCorruptTracePool(CorruptTrace, unittest.TestCase):
    """A trace arena's pointer to the trace pool of the first looked-up
    block broken: that pool's traces are gone, the other pools' and the
    entries are still read."""

    BAD = 0x58000
    WARNING = "the trace pool at 0x%x (pool "

    @classmethod
    def patch(cls, t, trace, core):
        blocks = [b["address"] for b in RUNS["O0"]["expected"]["heaps"][0]["trace"]["lookups"]]
        at, pool = trace_pool_pointer(core, t, trace, blocks[0])
        cls.lost = struct.unpack("<I", core.read(pool + t.trace_pool_used, 4))[0]
        # Whether the second block (a plain call's) shares the pool.
        cls.shared = trace_pool_pointer(core, t, trace, blocks[1])[0] == at
        return at, cls.BAD

    def test_one_warning_and_the_rest_is_read(self):
        trace = self.main_heap()
        self.assertGreater(self.lost, 0)
        self.assertEqual(trace["from_entries"], trace["len"])
        self.assertEqual(trace["from_slots"], trace["pooled"] - self.lost)
        self.assertEqual(trace["count"], self.expected()["main"]["trace"]["count"] - self.lost)
        self.assertTrue(trace["sites"])

    def test_lookups(self):
        self.assert_lookup_says_why(0)
        if not self.shared:
            self.assert_lookup_found(1, "pool slots")
        self.assert_lookup_found(2, "entries")


class TestHookOne(unittest.TestCase):
    """The hooks' byte `one`, which the decref compares a dying object's
    count with, found not 1: one warning naming it, the heaps still read."""

    def test_a_byte_one_out_of_rule_is_named(self):
        needs_runs(self)
        with o0_core() as (core, t, heaps, q):
            at = t.runtime_address + t.runtime_hooks + t.hooks_one
            self.assertEqual(core.read(at, 1), b"\x01")
        rc, out, err = run_reader(["--core", patched_core("core-hook-one", {at: b"\x00"}), "--json"])
        self.assertEqual((rc, err), (0, ""))
        rep = json.loads(out)
        self.assertEqual([w for w in rep["warnings"] if "byte `one`" in w],
                         ["hooks at 0x%x: byte `one` at 0x%x is 0, not 1: every object's death and every free "
                          "take the paths that report, for nothing" % (at - t.hooks_one, at)])
        self.assertEqual(len(rep["heaps"]), 2)
        self.assertEqual(rep["hooks"]["one"], 0)
        self.assertNotIn("byte `one`", " ".join(RUNS["O0"]["core"]["symbol"]["report"]["warnings"]))


class TestHeapFlags(unittest.TestCase):
    """A heap whose own flags disagree with its recorder or trace, in a
    core with the flags rewritten: one warning naming the heap and what
    its raw paths would do, the rest still read.  The main heap records
    (its flag cleared: its raw events would go unrecorded); the aux heap
    does not trace (the sampling flag set: its raw allocations would take
    the sampling path for nothing)."""

    @classmethod
    def setUpClass(cls):
        if SETUP_ERROR:
            return
        with o0_core() as (core, t, heaps, q):
            cls.t, cls.heaps = t, heaps
            cls.cap = q(heaps["main"] + t.heap_recorder + t.recorder_cap)
            cls.aux_trace = q(heaps["aux"] + t.heap_trace)
            cls.was = {name: struct.unpack("<I", core.read(heaps[name] + t.heap_flags, 4))[0]
                       for name in ("main", "aux")}

    def setUp(self):
        needs_runs(self)

    def heap_with_flags(self, name, flags):
        """The reader's report of heap `name` in a core where its flags
        are `flags`."""
        at = self.heaps[name] + self.t.heap_flags
        core = patched_core("core-%s-flags-%x" % (name, flags), {at: struct.pack("<I", flags)})
        rc, out, err = run_reader(["--core", core, "--json"])
        self.assertEqual((rc, err), (0, ""))
        return [h for h in json.loads(out)["heaps"] if h["name"] == name][0]

    def test_a_recording_heap_without_its_flag_is_named_and_its_ring_still_read(self):
        self.assertGreater(self.cap, 0)
        self.assertNotEqual(self.was["main"] & self.t.heap_flag_recording, 0)  # the target's recorder set it
        flags = self.was["main"] & ~self.t.heap_flag_recording
        main = self.heap_with_flags("main", flags)
        self.assertEqual(main["warnings"],
                         ["heap 0x%x: flags 0x%x say its recorder is off, its capacity %d says on: "
                          "its raw allocations and frees go unrecorded" % (self.heaps["main"], flags, self.cap)])
        want = [h for h in RUNS["O0"]["core"]["symbol"]["report"]["heaps"] if h["name"] == "main"][0]
        self.assertEqual(main["recorder"]["events"], want["recorder"]["events"])

    def test_a_heap_flagged_as_sampling_without_a_trace_is_named(self):
        self.assertEqual(self.aux_trace, 0)
        flags = self.was["aux"] | self.t.heap_flag_sampling
        aux = self.heap_with_flags("aux", flags)
        self.assertEqual(aux["warnings"],
                         ["heap 0x%x: flags 0x%x say it traces a sample, but it does not trace: its raw "
                          "allocations take the sampling path for nothing" % (self.heaps["aux"], flags)])


class TestHistory(unittest.TestCase):
    """--history ADDR: every recorded event that touches ADDR, oldest
    first, per heap — the same events the runtime's own
    rgc_recorder_events reported at the stop, filtered by the rule (an
    allocation or free whose block holds ADDR, any event at ADDR)."""

    @classmethod
    def setUpClass(cls):
        if SETUP_ERROR:
            return
        with o0_core() as (core, t, heaps, q):
            cls.t = t
        cls.core = RUNS["O0"]["core_path"]
        main = [h for h in RUNS["O0"]["expected"]["heaps"] if h["name"] == "main"][0]
        cls.events = main["recorder"]["events"]  # [seq, kind, type_id, address, size, site]
        cls.main_address = main["address"]

    def setUp(self):
        needs_runs(self)

    def expected(self, addr):
        return touching(self.t, self.events, addr)

    def history(self, addr, *extra):
        rc, out, err = run_reader(["--core", self.core, "--history", "%x" % addr] + list(extra))
        self.assertEqual((rc, err), (0, ""))
        return out

    def main_events(self, addr):
        rep = json.loads(self.history(addr, "--json"))
        self.assertEqual(rep["address"], addr)
        main = [h for h in rep["heaps"] if h["heap"] == "main"][0]
        self.assertEqual(main["heap_address"], self.main_address)
        return [[e["seq"], e["kind"], e["address"], e["size"]] for e in main["events"]]

    def test_a_freed_block_shows_its_allocation_and_its_free_in_order(self):
        frees = [e for e in self.events if e[1] == self.t.ev_free and e[5] == 0 and e[2] == 0]
        self.assertTrue(frees, "the target frees raw blocks while recording")
        addr = frees[-1][3]
        want = self.expected(addr)
        self.assertIn(frees[-1][0], [e[0] for e in want])
        self.assertEqual(self.main_events(addr), want)
        # A pointer inside the block finds the same allocations and frees.
        self.assertEqual(self.main_events(addr + 8), self.expected(addr + 8))
        self.assertTrue(self.expected(addr + 8))

    def test_the_text_lists_the_events_and_says_how_the_block_was_left(self):
        frees = [e for e in self.events if e[1] == self.t.ev_free]
        addr = frees[-1][3]
        want = self.expected(addr)
        out = self.history(addr)
        for seq, kind, address, size in want:
            self.assertRegex(out, r"#%d +\w" % seq)
        last = want[-1]
        if last[1] == self.t.ev_free:
            self.assertIn("last: freed at #%d, not allocated again since" % last[0], out)
        elif last[1] == self.t.ev_alloc:
            self.assertIn("last: allocated at #%d, not freed since" % last[0], out)
        self.assertIn("heap 'aux' at 0x", out)

    def test_an_address_no_event_touches_is_said_so(self):
        self.assertEqual(self.expected(0x1000), [])
        self.assertEqual(self.main_events(0x1000), [])
        self.assertIn("no recorded event touches 0x1000", self.history(0x1000))

    def test_every_build_live_and_from_its_core_gives_the_runtimes_events(self):
        for build, run in RUNS.items():
            addr = history_address(run["expected"])
            main = [h for h in run["expected"]["heaps"] if h["name"] == "main"][0]
            want = touching(self.t, main["recorder"]["events"], addr)
            self.assertTrue(want)
            for where, got in run["history"].items():
                self.assertEqual((got["rc"], got["stderr"]), (0, ""), (build, where))
                h = [h for h in got["report"]["heaps"] if h["heap"] == "main"][0]
                self.assertEqual([[e["seq"], e["kind"], e["address"], e["size"]] for e in h["events"]], want,
                                 (build, where))

    def test_bad_arguments_are_one_line(self):
        rc, out, err = run_reader(["--core", self.core, "--history", "zz"])
        self.assertEqual((rc, out), (2, ""))
        self.assertIn("not a hex address", err)
        self.assertEqual(err.count("\n"), 1)
        rc, out, err = run_reader(["--core", self.core, "--history", "1000", "--site", "1000"])
        self.assertEqual((rc, out), (2, ""))
        self.assertIn("not allowed with argument", err)


class TestStaleRecord(unittest.TestCase):
    """A slot of the recorder's ring whose lap is not its number's (the
    process stopped while overwriting it): one warning naming the slot,
    its event left out, every other event still listed."""

    @classmethod
    def setUpClass(cls):
        if SETUP_ERROR:
            return
        with o0_core() as (core, t, heaps, q):
            cls.t = t
            ring, cap, seq = main_ring(t, heaps, q)
            # The last slot, its lap set back one: what the slot held
            # before the event it is being overwritten with.
            at = ring + ((seq - 1) % cap) * t.sizeof_record + t.record_what
            what = q(at)
        cls.seq, cls.cap = seq, cap
        cls.kind = what >> t.record_kind_shift & 15
        lap = what >> t.record_lap_shift
        cls.old = (lap - 1) & 3
        stale = what & ((1 << t.record_lap_shift) - 1) | cls.old << t.record_lap_shift
        cls.core = patched_core("core-stale-record", {at: struct.pack("<Q", stale)})

    def setUp(self):
        needs_runs(self)

    def test_the_slot_is_named_and_the_ring_still_read(self):
        self.assertEqual(self.t.sizeof_record, 16)
        self.assertGreater(self.seq, self.cap)
        before = RUNS["O0"]["core"]["symbol"]["report"]
        main0 = [h for h in before["heaps"] if h["name"] == "main"][0]
        rc, out, err = run_reader(["--core", self.core, "--json", "--events", str(self.cap)])
        self.assertEqual((rc, err), (0, ""))
        rep = json.loads(out)
        main = [h for h in rep["heaps"] if h["name"] == "main"][0]
        stale = "recorder of heap 0x%x: slot %d holds no event of this lap (lap %d, kind %d)" % (
            main["address"], self.seq, self.old, self.kind)
        events = main["recorder"]["events"]
        last = main0["recorder"]["events"][-1]
        if self.kind == self.t.record_more:
            # The last event was a long record: its first slot is left
            # without its second, a second warning.
            self.assertEqual(last["seq"], self.seq - 1)
            self.assertEqual(sorted(main["warnings"]), sorted([
                stale, "recorder of heap 0x%x: slot %d starts a long record that slot %d does not continue"
                % (main["address"], self.seq - 1, self.seq)]))
        else:
            self.assertEqual(last["seq"], self.seq)
            self.assertEqual(main["warnings"], [stale])
        self.assertNotIn(last["seq"], [e["seq"] for e in events])
        # Every other event of the ring as the unpatched core gives it.
        full = run_reader(["--core", RUNS["O0"]["core_path"], "--json", "--events", str(self.cap)])
        self.assertEqual(full[0], 0, full[2])
        want = [h for h in json.loads(full[1])["heaps"] if h["name"] == "main"][0]["recorder"]["events"]
        self.assertEqual(events, [e for e in want if e["seq"] != last["seq"]])
        self.assertGreater(len(events), self.cap // 2)


class TestLongRecords(unittest.TestCase):
    """A long record's two slots, as the ring's damage can leave them:
    a second slot that the ring's oldest is, with its first overwritten
    (no event, no warning); a first slot whose second is not one, and a
    second slot whose first is not one (each a warning naming the slots,
    the other slot still read)."""

    @classmethod
    def setUpClass(cls):
        if SETUP_ERROR:
            return
        with o0_core() as (core, t, heaps, q):
            cls.t = t
            cls.ring, cls.cap, cls.seq = main_ring(t, heaps, q)
            cls.heap = heaps["main"]
            cls.words = {}
            for s in range(cls.seq - cls.cap + 1, cls.seq + 1):
                at = cls.slot_at(s)
                cls.words[s] = (q(at + t.record_where), q(at + t.record_what))
        rep = RUNS["O0"]["core"]["symbol"]["report"]
        cls.events = [h for h in rep["heaps"] if h["name"] == "main"][0]["recorder"]["events"]

    @classmethod
    def slot_at(cls, s):
        return cls.ring + ((s - 1) % cls.cap) * cls.t.sizeof_record

    def setUp(self):
        needs_runs(self)

    def with_kind(self, s, kind):
        """Slot s's `what` with its kind set to kind, its lap kept."""
        t = self.t
        what = self.words[s][1]
        mask = ((1 << (t.record_lap_shift - t.record_kind_shift)) - 1) << t.record_kind_shift
        return {self.slot_at(s) + t.record_what: struct.pack("<Q", what & ~mask | kind << t.record_kind_shift)}

    def read(self, name, patches):
        core = patched_core(name, patches)
        rc, out, err = run_reader(["--core", core, "--json", "--events", str(self.cap)])
        self.assertEqual((rc, err), (0, ""))
        main = [h for h in json.loads(out)["heaps"] if h["name"] == "main"][0]
        return main["recorder"]["events"], main["warnings"]

    def a_long_record(self):
        """The first slot of a long record that is not the ring's oldest."""
        for a, b in zip(self.events, self.events[1:]):
            if b["seq"] - a["seq"] == 2 and a["seq"] > self.seq - self.cap + 1:
                return a
        self.fail("no long record in the ring")

    def test_the_oldest_slot_a_second_half_is_no_event(self):
        first = self.seq - self.cap + 1
        self.assertEqual(self.events[0]["seq"], first)  # a one-slot event, in the unpatched ring
        events, warnings = self.read("core-oldest-more", self.with_kind(first, self.t.record_more))
        self.assertEqual(warnings, [])
        self.assertEqual(events, self.events[1:])

    def test_a_first_half_without_its_second(self):
        ev = self.a_long_record()
        s = ev["seq"]
        events, warnings = self.read("core-long-alone", self.with_kind(s + 1, self.t.ev_free))
        self.assertEqual(warnings, ["recorder of heap 0x%x: slot %d starts a long record that slot %d does "
                                    "not continue" % (self.heap, s, s + 1)])
        self.assertNotIn(s, [e["seq"] for e in events])
        (alone,) = [e for e in events if e["seq"] == s + 1]
        self.assertEqual(alone["kind_name"], "free")
        self.assertEqual([e for e in events if e["seq"] != s + 1], [e for e in self.events if e["seq"] != s])

    def test_a_second_half_without_its_first(self):
        ev = self.a_long_record()
        s = ev["seq"]
        events, warnings = self.read("core-more-alone", self.with_kind(s, self.t.ev_alloc))
        self.assertEqual(warnings, ["recorder of heap 0x%x: slot %d continues a long record that slot %d does "
                                    "not start" % (self.heap, s + 1, s)])
        (alone,) = [e for e in events if e["seq"] == s]
        self.assertEqual(alone["kind_name"], "alloc")
        self.assertEqual([e for e in events if e["seq"] != s], [e for e in self.events if e["seq"] != s])


class TestGateRule(unittest.TestCase):
    """The gates' rule as the table gives it: a debugger's hook closes a
    raw path's gate only for what a raw block can match (a free; an
    allocation of any type), checked on cores whose hooks were rewritten
    as a debugger would leave them, nothing else listening."""

    @classmethod
    def setUpClass(cls):
        if SETUP_ERROR:
            return
        with o0_core() as (core, t, heaps, q):
            cls.t = t
        cls.cores = {}

    def core_with(self, mask, type_id, free_open, alloc_open):
        t = self.t
        hooks = t.runtime_address + t.runtime_hooks
        gate = lambda is_open, name: struct.pack("<Q", t[name + "_open"] if is_open else 0)  # noqa: E731
        patches = {
            hooks + t.hooks_watching: b"\0", hooks + t.hooks_sampling: b"\0", hooks + t.hooks_tracing: b"\0",
            hooks + t.hooks_mask: bytes([mask]), hooks + t.hooks_type_id: struct.pack("<I", type_id),
            t.runtime_address + t.runtime_free_gate: gate(free_open, "free_gate"),
            t.runtime_address + t.runtime_alloc_gate: gate(alloc_open, "alloc_gate"),
        }
        name = "core-gates-%x-%d-%d%d" % (mask, type_id, free_open, alloc_open)
        rc, out, err = run_reader(["--core", patched_core(name, patches), "--json"])
        self.assertEqual((rc, err), (0, ""))
        return [w for w in json.loads(out)["warnings"] if "hook gates" in w]

    def setUp(self):
        needs_runs(self)

    def test_each_kind_closes_its_own_gate_alone(self):
        t = self.t
        self.assertEqual(t.free_gate_kinds, 1 << t.ev_free)
        self.assertEqual(t.alloc_gate_kinds, 1 << t.ev_alloc)
        bit = lambda kind: 1 << t[kind]  # noqa: E731
        # (mask, type filter, free gate open, allocation gate open): by the rule.
        for case in [(bit("ev_gc_start") | bit("ev_zero"), 0, True, True), (bit("ev_free"), 0, False, True),
                     (bit("ev_alloc"), 0, True, False), (bit("ev_alloc"), 7, True, True), (0, 0, True, True)]:
            self.assertEqual(self.core_with(*case), [], case)
        # Out of it: a free armed with its gate open loses raw frees; an
        # allocation of one type armed with the gate closed costs raw
        # allocations for nothing.
        w = self.core_with(bit("ev_free"), 0, True, True)
        self.assertEqual(len(w), 1, w)
        self.assertIn("go unreported", w[0])
        w = self.core_with(bit("ev_alloc"), 7, True, False)
        self.assertEqual(len(w), 1, w)
        self.assertIn("type filter 7", w[0])
        self.assertIn("for nothing", w[0])


class TestCorruptHeap(unittest.TestCase):
    """A corrupted heap: each broken pointer is one warning naming its
    address, the rest is still read, and the reader exits 0."""

    @classmethod
    def setUpClass(cls):
        if SETUP_ERROR:
            return
        with o0_core() as (core, t, heaps, q):
            cls.t = t
            main, aux = heaps["main"], heaps["aux"]
            aux_arena = q(aux + t.heap_arenas)
            main_arena = q(main + t.heap_arenas)
            base = main_arena & ~(t.arena_size - 1)
            descs = base + ((base >> t.arena_shift) % t.arena_colours) * t.page_size
            hdr = (descs - base) // t.page_size // (t.pool_size // t.page_size)
            for i in range(t.pools_per_arena):
                d = descs + i * t.sizeof_pool
                if i != hdr and core.read(d + t.pool_state, 1)[0] == t.pool_state_active:
                    break
            type1 = q(t.runtime_address + t.runtime_types + 8)
        cls.bad = {
            "large list": (main + t.heap_large + t.large_next, 0x10000),
            "weak table": (main + t.heap_weak, 0xdead0000),
            "recorder": (main + t.heap_recorder + t.recorder_events, 0x20000),
            "arena loop": (aux_arena + t.arena_next, aux_arena),
            "type name": (type1 + t.type_name, 0x30000),
        }
        patches = {at: struct.pack("<Q", v) for at, v in cls.bad.values()}
        cls.pool = d
        patches[d + t.pool_block_size] = struct.pack("<H", 999)
        cls.core = patched_core("core-corrupt", patches)

    def setUp(self):
        needs_runs(self)

    def test_each_break_is_one_warning_naming_the_address(self):
        rc, out, err = run_reader(["--core", self.core, "--json"])
        self.assertEqual((rc, err), (0, ""))
        rep = json.loads(out)
        warnings = rep["warnings"] + [w for h in rep["heaps"] for w in h["warnings"]]
        expect = {
            "large list": "large block header at 0x10000",
            "weak table": "weak reference table at 0xdead0000",
            "recorder": "its events at 0x20000",
            "arena loop": "loops back to 0x%x" % self.bad["arena loop"][1],
            "type name": "0x30000",
        }
        for what, text in expect.items():
            self.assertEqual(len([w for w in warnings if text in w]), 1, "%s: %s" % (what, warnings))
        self.assertEqual(len([w for w in warnings if "pool descriptor at 0x%x" % self.pool in w]), 1, warnings)
        self.assertEqual(len(warnings), len(expect) + 1, warnings)
        # The rest of the heap is still there.
        main = [h for h in rep["heaps"] if h["name"] == "main"][0]
        self.assertGreater(main["objects"], 1000)
        self.assertIn("test.Node", main["types"])

    def test_text_output_names_the_warnings(self):
        rc, out, err = run_reader(["--core", self.core])
        self.assertEqual((rc, err), (0, ""))
        self.assertNotIn("Traceback", out)
        self.assertGreaterEqual(out.count("warning: "), 6)

    def test_random_damage_never_breaks_the_reader(self):
        """Random words of the heaps, their arenas' descriptor pages, the
        recorder's ring and the main heap's trace (with the start of its
        entries and tracebacks, its arenas table, its trace arenas and a
        trace pool of each) overwritten: the reader reports, and searches
        the rings (--history), and never fails on its own."""
        t = self.t
        src = RUNS["O0"]["core_path"]
        rep = RUNS["O0"]["core"]["symbol"]["report"]
        spots = []
        for h in rep["heaps"]:
            spots.append((h["address"], t.sizeof_heap))
            if h["recorder"]["capacity"]:
                spots.append((h["recorder"]["events_address"], h["recorder"]["capacity"] * t.sizeof_record))
            for a in h["arenas"]["addresses"]:
                descs = a + ((a >> t.arena_shift) % t.arena_colours) * t.page_size
                spots.append((descs, t.pools_per_arena * t.sizeof_pool))
        core = CoreTarget(src)
        q = lambda addr: struct.unpack("<Q", core.read(addr, 8))[0]  # noqa: E731
        try:
            for h in rep["heaps"]:
                if h["trace"]:
                    tr = h["trace"]["address"]
                    spots.append((tr, t.sizeof_trace))
                    for field in ("trace_entries", "trace_tracebacks"):
                        spots.append((q(tr + getattr(t, field)), 4096))
                    # The arenas table, the trace arenas and one trace pool
                    # each (its header and first slots).
                    arenas, cap = q(tr + t.trace_arenas), q(tr + t.trace_arenas_cap)
                    spots.append((arenas, 8 * cap))
                    for ta in struct.unpack("<%dQ" % cap, core.read(arenas, 8 * cap)):
                        if not ta:
                            continue
                        spots.append((ta, t.sizeof_trace_arena))
                        pools = struct.unpack("<%dQ" % t.pools_per_arena,
                                              core.read(ta + t.trace_arena_pools, 8 * t.pools_per_arena))
                        tp = next(p for p in pools if p)
                        spots.append((tp, t.sizeof_trace_pool + 64 * t.sizeof_trace_slot))
            offsets = [(core.file_offset(a), n) for a, n in spots]
        finally:
            core.close()
        with open(src, "rb") as f:
            pristine = f.read()
        rng = random.Random(20261122)
        path = os.path.join(TMP, "core-fuzz")
        for round_ in range(25):
            data = bytearray(pristine)
            for _ in range(12):
                off, n = rng.choice(offsets)
                at = off + rng.randrange(0, n // 8) * 8
                old = struct.unpack_from("<Q", data, at)[0]
                new = rng.choice([0, 1, rng.getrandbits(64), old ^ (1 << rng.randrange(64)),
                                  old + rng.choice([-64, -16, 8, 16, 4096]) & (2 ** 64 - 1), old | 0xFFFF])
                struct.pack_into("<Q", data, at, new)
            with open(path, "wb") as f:
                f.write(data)
            freed = "%x" % history_address(RUNS["O0"]["expected"])
            for args in (["--json"], ["--json", "--history", freed], ["--history", freed]):
                out, err = io.StringIO(), io.StringIO()
                with contextlib.redirect_stdout(out), contextlib.redirect_stderr(err):
                    rc = reader.main(["--core", path] + args)
                with self.subTest(round=round_, args=args):
                    self.assertIn(rc, (0, 1))
                    self.assertLessEqual(len(err.getvalue().splitlines()), 1, err.getvalue())
                    self.assertNotIn("internal error", err.getvalue())
                    if rc == 0 and "--json" in args:
                        json.loads(out.getvalue())


if __name__ == "__main__":
    unittest.main()
