"""The command line: read an rgc heap from a live process or a core file.

    python3 -m rgc --pid PID [--json] [--find auto|symbol|section|scan]
    python3 -m rgc --core FILE [--exe PATH] [--json] [--find ...]
    python3 -m rgc --pid PID|--core FILE --site ADDR [--json]
    python3 -m rgc --pid PID|--core FILE --history ADDR [--json]

(with PYTHONPATH=plugins from the source tree).  Prints, per heap: its
arenas, per size class its pools and blocks used and free, its objects by
type and by generation, its large blocks, its weak references, the
collector's state, the recorder's last events and, when the heap traces
its allocations, its traced memory and its largest allocation sites (by
size, as rgc_trace_statistics by site).  --json prints the same as one
JSON document.  --site ADDR prints the trace of the block at ADDR (hex),
or of the one whose bytes hold it: its size, its site and its frames; an
address in no traced block is an error.
--history ADDR prints every event of every heap's recorder that touches
ADDR (hex) — an allocation or free of a block that holds it, any event at
ADDR itself — oldest first: in a core, the free before a use after free.

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
from .heap import address_history, block_trace, read_runtime
from .table import METHODS, find_table
from .target import CoreTarget, ProcessTarget


def _table_report(target, table):
    return {
        "target": target.describe(),
        "table": {"address": table.address, "version": table.version, "size": table.size,
                  "method": table.method, "source": table.source},
    }


def read_target(target, method="auto", max_events=64, max_sites=10):
    """The report of a target, as a dict: its table, runtime and heaps."""
    table = find_table(target, method)
    report = _table_report(target, table)
    rt = read_runtime(target, table, max_events, max_sites)
    report["runtime"] = {"address": rt["address"], "nheaps": rt["nheaps"], "ntypes": rt["ntypes"]}
    report["hooks"] = rt["hooks"]
    report["types"] = rt["types"]
    report["heaps"] = rt["heaps"]
    report["warnings"] = rt["warnings"]
    return report


def read_block(target, block, method="auto"):
    """The report of one block's trace: its table, the block (as
    rgc_trace_get gives it, with the heap that traced it) and the warnings
    of the reads.  RgcError when the block is not traced."""
    table = find_table(target, method)
    report = _table_report(target, table)
    found, warnings = block_trace(target, table, block)
    if found is None:
        msg = "0x%x is not in a traced block" % block
        if warnings:
            msg += " (not every trace could be read: %s)" % warnings[0]
        raise RgcError(msg)
    report["block"] = found
    report["warnings"] = warnings
    return report


def read_history(target, addr, method="auto"):
    """The report of what the recorders saw of addr: its table, and per
    heap the ring's state and the events that touch addr."""
    table = find_table(target, method)
    report = _table_report(target, table)
    heaps, warnings = address_history(target, table, addr)
    report["address"] = addr
    report["heaps"] = heaps
    report["warnings"] = warnings
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
        add("  recorder: the last %d events, in slots #%d to #%d (ring of %d slots at 0x%x)"
            % (len(rec["events"]), max(rec["seq"] - rec["capacity"], 0) + 1, rec["seq"], rec["capacity"],
               rec["events_address"]))
        for e in rec["events"]:
            add("    #%-6d %-8s 0x%-14x %s" % (e["seq"], e["kind_name"], e["address"], _event_text(e)))
    else:
        add("  recorder: off")
    _format_trace(h.get("trace"), add)
    for w in h["warnings"]:
        add("  warning: %s" % w)


def _site_text(site, frame, symbol):
    """Where a group or a block was allocated: file:line (function), or
    its first frame (and the function it is in)."""
    if site:
        where = "%s:%s" % (site["file"] if site["file"] is not None else "<file unreadable>",
                           site["line"] if site["line"] is not None else "?")
        if site["function"]:
            where += " (%s)" % site["function"]
        return where
    if frame is None:
        return "<no frames>"
    return "0x%x%s" % (frame, " (%s)" % symbol if symbol else "")


def _format_trace(tr, add):
    if tr is None:
        add("  tracing: off")
        return
    if not tr["readable"]:
        add("  tracing: on, its trace at 0x%x cannot be read" % tr["address"])
        return
    how = ("every allocation" if not tr["sample_bytes"]
           else "about one allocation per %d bytes" % tr["sample_bytes"])
    # The trace's own figures: its traces may not all have been read.
    counted = tr["len"] + (tr["pooled"] or 0)
    add("  tracing: %s, %s; %d bytes traced (at most %d) in %s, %s"
        % (_plural(tr["frame_limit"], "frame"), how, tr["current"], tr["peak"],
           _plural(tr["count"] if tr["complete"] else counted, "block"), _plural(tr["tb_len"], "traceback")))
    if tr["sample_bytes"] and tr["complete"]:
        add("    about %d bytes live at the sampled sites, by estimate (each sample of s bytes stands for "
            "1 / (1 - exp(-s / %d)) blocks like it)" % (tr["estimated_bytes"], tr["sample_bytes"]))
    if tr["sites"]:
        add("    largest sites (%d of %d):" % (len(tr["sites"]), tr["sites_total"]))
        for g in tr["sites"]:
            where = _site_text(g["site"], g["first_frame"], g["symbol"])
            if tr["sample_bytes"]:
                add("      %s: about %d bytes in about %s (%s, %d bytes, sampled)"
                    % (where, g["estimated_size"], _plural(g["estimated_count"], "block"),
                       _plural(g["count"], "block"), g["size"]))
            else:
                add("      %s: %d bytes in %s" % (where, g["size"], _plural(g["count"], "block")))


def format_block(report):
    """The text of a --site report."""
    lines = []
    add = lines.append
    b = report["block"]
    add("0x%x: %d bytes, traced by heap '%s' at 0x%x" % (b["address"], b["size"], b["heap"], b["heap_address"]))
    if b.get("asked", b["address"]) != b["address"]:
        add("  (0x%x is %d bytes into it)" % (b["asked"], b["asked"] - b["address"]))
    if b["site"]:
        add("  site: %s" % _site_text(b["site"], None, None))
    else:
        add("  site: none (a plain call: the first frame is where it was asked for)")
    add("  frames, innermost first:")
    for f, sym in zip(b["frames"], b["symbols"]):
        add("    0x%x%s" % (f, " " + sym if sym else ""))
    for w in report["warnings"]:
        add("warning: %s" % w)
    return "\n".join(lines) + "\n"


def format_history(report):
    """The text of a --history report."""
    lines = []
    add = lines.append
    addr = report["address"]
    found = 0
    # Sequence numbers are per heap: how the block was left is said only
    # when one heap's ring alone touches it (an arena given back can hold
    # another heap's blocks later).
    alone = sum(1 for h in report["heaps"] if h["events"]) == 1
    for h in report["heaps"]:
        name = "heap '%s' at 0x%x" % (h["heap"], h["heap_address"])
        cap, seq = h["capacity"], h["seq"]
        if not cap:
            add("%s: no recorder" % name)
            continue
        first = max(seq - cap, 0) + 1
        held = "slots #%d to #%d" % (first, seq) if seq else "no event yet"
        add("%s: recorder of %d slots, holding %s; %s" % (name, cap, held,
                                                      _plural(len(h["events"]), "touches 0x%x" % addr,
                                                              "touch 0x%x" % addr)))
        for e in h["events"]:
            add("  #%-6d %-8s 0x%x  %s" % (e["seq"], e["kind_name"], e["address"], _event_text(e)))
        if h["events"] and alone:
            last = h["events"][-1]
            if last["kind_name"] == "free":
                add("  last: freed at #%d, not allocated again since (a use after it is a use after free)"
                    % last["seq"])
            elif last["kind_name"] == "alloc":
                add("  last: allocated at #%d, not freed since" % last["seq"])
        found += len(h["events"])
        for w in h["warnings"]:
            add("  warning: %s" % w)
    if not any(h["capacity"] for h in report["heaps"]):
        add("no heap records events (rgc_recorder_start): nothing to search")
    elif not found:
        add("no recorded event touches 0x%x" % addr)
    elif not alone:
        add("events of several heaps touch 0x%x: their numbers are each heap's own" % addr)
    for w in report["warnings"]:
        add("warning: %s" % w)
    return "\n".join(lines) + "\n"


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
        sym = e.get("site_symbol")
        text += " (site 0x%x%s)" % (e["site"], " " + sym if sym else "")
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
    p.add_argument("--sites", type=int, default=10, metavar="N",
                   help="show at most the N largest traced allocation sites (and tracebacks) per heap "
                        "(default 10)")
    what = p.add_mutually_exclusive_group()
    what.add_argument("--site", type=_address, metavar="ADDR",
                      help="print the trace of the block at or holding ADDR (hex): its size, site and frames")
    what.add_argument("--history", type=_address, metavar="ADDR",
                      help="print every recorded event that touches ADDR (hex), oldest first")
    return p


def _address(text):
    try:
        v = int(text, 16)
    except ValueError:
        raise argparse.ArgumentTypeError("not a hex address: %r" % text) from None
    if not 0 < v < 1 << 64:
        raise argparse.ArgumentTypeError("not an address: %r" % text)
    return v


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
    if args.sites < 0:
        raise _UsageError("--sites must be 0 or more")
    target = open_target(args.pid, args.core, args.exe)
    try:
        truncation = getattr(target, "truncation", None)
        try:
            if args.site is not None:
                report = read_block(target, args.site, args.find)
            elif args.history is not None:
                report = read_history(target, args.history, args.find)
            else:
                report = read_target(target, args.find, args.events, args.sites)
        except RgcError:
            if truncation:
                # What is missing is most likely why it failed.
                raise RgcError(truncation) from None
            raise
        if args.json:
            if truncation:
                report["truncated"] = truncation
            sys.stdout.write(json.dumps(report, indent=1, sort_keys=False) + "\n")
        elif args.site is not None:
            sys.stdout.write(format_block(report))
        elif args.history is not None:
            sys.stdout.write(format_history(report))
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
