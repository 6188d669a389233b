"""The command line: read an rgc heap from a live process or a core file.

    python3 -m rgc --pid PID [--json] [--find auto|symbol|section|scan]
    python3 -m rgc --core FILE [--exe PATH] [--json] [--find ...]

(with PYTHONPATH=plugins from the source tree).  Prints, per heap: its
arenas, per size class its pools and blocks used and free, its objects by
type and by generation, its large blocks, its weak references, the
collector's state and the recorder's last events.  --json prints the same
as one JSON document.

Errors (no table, a table that cannot be used, a truncated core, memory
that cannot be read) are one line on stderr starting "rgc: ", and exit
status 1.  What a walk finds broken in the heap does not stop it: it is
reported as a warning in the output and the walk goes on.
"""

import argparse
import json
import os
import sys

from .errors import RgcError
from .heap import read_runtime
from .table import METHODS, find_table
from .target import CoreTarget, ProcessTarget


def read_target(target, method="auto", max_events=64):
    """The report of a target, as a dict: its table, runtime and heaps."""
    table = find_table(target, method)
    report = {
        "target": target.describe(),
        "table": {"address": table.address, "version": table.version, "size": table.size,
                  "method": table.method, "source": table.source},
    }
    rt = read_runtime(target, table, max_events)
    report["runtime"] = {"address": rt["address"], "nheaps": rt["nheaps"], "ntypes": rt["ntypes"]}
    report["hooks"] = rt["hooks"]
    report["types"] = rt["types"]
    report["heaps"] = rt["heaps"]
    report["warnings"] = rt["warnings"]
    return report


# ---- text

def _plural(n, word, plural=None):
    return "%d %s" % (n, word if n == 1 else (plural or word + "s"))


def format_text(report):
    lines = []
    add = lines.append
    tb = report["table"]
    add("%s: rgc debug table v%d at 0x%x (%s, by %s)"
        % (report["target"], tb["version"], tb["address"], tb["source"], tb["method"]))
    rt = report["runtime"]
    add("runtime root at 0x%x: %s, %s" % (rt["address"], _plural(len(report["heaps"]), "heap"),
                                         _plural(max(rt["ntypes"] - 1, 0), "type")))
    hk = report.get("hooks")
    if hk and (hk["mask"] or hk["hits"]):
        add("debugger hooks: mask 0x%02x, %d calls so far" % (hk["mask"], hk["hits"]))
    for w in report["warnings"]:
        add("warning: %s" % w)
    for h in report["heaps"]:
        add("")
        _format_heap(h, add)
    return "\n".join(lines) + "\n"


def _format_heap(h, add):
    ar = h["arenas"]
    add("heap '%s' at 0x%x" % (h["name"], h["address"]))
    shown = ", ".join("0x%x" % a for a in ar["addresses"][:8])
    if len(ar["addresses"]) > 8:
        shown += ", ..."
    add("  arenas: %d%s (%d allocated over its life, %d freed, at most %d)"
        % (ar["count"], " (%s)" % shown if shown else "", ar["allocated"], ar["freed"], ar["highwater"]))
    if h["classes"]:
        add("  %5s %6s %6s %12s %12s %5s" % ("class", "size", "pools", "blocks used", "blocks free", "held"))
        tp = tu = tf = th = 0
        for c, cs in h["classes"].items():
            add("  %5s %6d %6d %12d %12d %5d" % (c, cs["block_size"], cs["pools"], cs["blocks_used"],
                                                 cs["blocks_free"], cs["held"]))
            tp += cs["pools"]
            tu += cs["blocks_used"]
            tf += cs["blocks_free"]
            th += cs["held"]
        add("  %5s %6s %6d %12d %12d %5d" % ("total", "", tp, tu, tf, th))
    p = h["pools"]
    add("  pools: %d in use (%d with a free bitmap, %d counting from their low-water mark), %d free; "
        "%s given back inside pools in use"
        % (p["used"], p["bitmap"], p["low_armed"], p["free"], _plural(p["pages_released"], "page")))
    add("  objects: %d live" % h["objects"])
    if h["types"]:
        by = sorted(h["types"].items(), key=lambda kv: (-kv[1], kv[0]))
        add("    by type: " + ", ".join("%s %d" % kv for kv in by))
    g = h["generations"]
    add("    by generation: 0: %d, 1: %d, 2: %d, permanent: %d, untracked: %d"
        % (g["0"], g["1"], g["2"], g["3"], g["untracked"]))
    lg = h["large"]
    add("  large blocks: %d holding %d bytes (%s, %d raw)"
        % (lg["count"], lg["bytes"], _plural(lg["objects"], "object"), lg["raw"]))
    wk = h["weak"]
    add("  weak references: %s, %s" % (_plural(wk["referents"], "referent"), _plural(wk["weakrefs"], "weakref")))
    gc = h["gc"]
    add("  collector: %s, %s%s; thresholds %s; counts %s; collections %s"
        % ("enabled" if gc["enabled"] else "disabled", gc["phase"],
           " (generation %d)" % gc["generation"] if gc["generation"] >= 0 else "",
           " ".join(map(str, gc["threshold"])), " ".join(map(str, gc["count"])),
           " ".join(str(s["collections"]) for s in gc["stats"])))
    add("    tracked by generation: %s" % " ".join(map(str, h["tracked"])))
    rec = h["recorder"]
    if rec["capacity"]:
        add("  recorder: the last %d of %d events (ring of %d at 0x%x)"
            % (len(rec["events"]), rec["seq"], rec["capacity"], rec["events_address"]))
        for e in rec["events"]:
            add("    #%-6d %-8s 0x%-14x %s" % (e["seq"], e["kind_name"], e["address"], _event_text(e)))
    else:
        add("  recorder: off")
    for w in h["warnings"]:
        add("  warning: %s" % w)


def _event_text(e):
    kind = e["kind_name"]
    what = e["type"] or ("type %d" % e["type_id"] if e["type_id"] else "raw")
    if kind in ("alloc", "free"):
        text = "%d bytes, %s" % (e["size"], what)
    elif kind in ("zero", "refcnt"):
        text = what + (", count %d" % e["size"] if kind == "refcnt" else "")
    elif kind == "gc-start":
        text = "generation %d" % e["size"]
    elif kind == "gc-end":
        text = "%d collected" % e["size"]
    elif kind == "error":
        text = "error %d" % e["size"]
    else:
        text = "size %d, %s" % (e["size"], what)
    if e["site"]:
        text += " (site 0x%x)" % e["site"]
    return text


# ---- the command

class _Parser(argparse.ArgumentParser):
    def error(self, message):
        raise _UsageError(message)


class _UsageError(Exception):
    pass


def _parser():
    p = _Parser(prog="python3 -m rgc", description="Read the rgc heaps of a live process or a core file.")
    src = p.add_mutually_exclusive_group(required=True)
    src.add_argument("--pid", type=int, help="a live process (needs ptrace permission)")
    src.add_argument("--core", metavar="FILE", help="a core file (ELF64 little-endian)")
    p.add_argument("--exe", metavar="PATH", help="the core's executable, when not where the core says")
    p.add_argument("--json", action="store_true", help="print one JSON document")
    p.add_argument("--find", choices=("auto",) + METHODS, default="auto",
                   help="how to find the debug table (default: auto, each in turn)")
    p.add_argument("--events", type=int, default=64, metavar="N",
                   help="show at most the last N recorded events (default 64)")
    return p


def open_target(pid=None, core=None, exe=None):
    if pid is not None:
        return ProcessTarget(pid)
    return CoreTarget(core, exe=exe)


def run(argv):
    args = _parser().parse_args(argv)
    if args.exe and args.core is None:
        raise _UsageError("--exe goes with --core")
    if args.events < 0:
        raise _UsageError("--events must be 0 or more")
    target = open_target(args.pid, args.core, args.exe)
    try:
        truncation = getattr(target, "truncation", None)
        try:
            report = read_target(target, args.find, args.events)
        except RgcError:
            if truncation:
                # What is missing is most likely why it failed.
                raise RgcError(truncation) from None
            raise
        if args.json:
            if truncation:
                report["truncated"] = truncation
            sys.stdout.write(json.dumps(report, indent=1, sort_keys=False) + "\n")
        else:
            sys.stdout.write(format_text(report))
        sys.stdout.flush()
        if truncation:
            raise RgcError(truncation)
    finally:
        target.close()
    return 0


def _fail(message):
    sys.stderr.write("rgc: %s\n" % " ".join(str(message).split()))
    sys.stderr.flush()


def main(argv=None):
    """Runs the command; returns its exit status.  No traceback ever
    reaches the user (RGC_READER_DEBUG=1 lets internal errors through)."""
    try:
        return run(sys.argv[1:] if argv is None else argv)
    except _UsageError as e:
        _fail("%s (see --help)" % e)
        return 2
    except RgcError as e:
        _fail(e)
        return 1
    except KeyboardInterrupt:
        _fail("interrupted")
        return 130
    except BrokenPipeError:
        # The reader of our output went away; nothing more to say.
        try:
            sys.stdout = open(os.devnull, "w")
        except OSError:
            pass
        return 1
    except Exception as e:  # a bug of the reader, or a heap it did not foresee
        if os.environ.get("RGC_READER_DEBUG"):
            raise
        _fail("internal error: %s: %s" % (type(e).__name__, e))
        return 1
