"""Allocation tracing: a heap's traces, read from the target.

The layout is docs/debug-abi.md, "Allocation tracing".  `heap_trace` points
to the heap's trace (NULL when it does not trace): the frame limit, the
sampling rate, traced bytes now and at most, an open-addressing table of
`cap` entries (a live traced block each: address, size, traceback number;
address 0 marks an empty slot) and `tb_len` tracebacks of `tb_stride`
bytes, numbered from 1 (site, nframes, frames).  A site is the rgc_site_t
of an allocation macro: file and function (strings in the program's
memory) and line.

What the reader makes of it, as the runtime's rgc_trace_statistics does:
the live traces grouped by site (the macro's site, else the first frame)
and by traceback (the site and every frame), largest first by size, then
count, then the group itself in the runtime's order; and the trace of one
block (rgc_trace_get), found among the entries.

Every count is bounded before it is used (the table whose entries are
read whole, the traceback numbers, the frames of a traceback); what does
not hold together is one warning naming the address, and the rest is read.
Problems that repeat per traceback or per site (a tracebacks array that
cannot be read, site names a core does not hold because the program's
read-only data was not dumped) are one warning each, with a count and
the first of them.
"""

import struct

from .errors import TargetError

MAX_ENTRIES = 1 << 25        # slots of the entry table (24 bytes each)
MAX_TRACEBACKS = 1 << 24
MAX_FRAMES = 256             # the runtime's limit is 32 (RGC_TRACE_MAX_FRAMES)
MAX_SITE_STRING = 4096
CHUNK = 1 << 20

_U32 = struct.Struct("<I")
_U64 = struct.Struct("<Q")


def _u(buf, off, width=8):
    return (_U64 if width == 8 else _U32).unpack_from(buf, off)[0]


class Trace:
    """The trace of one heap, read on demand and remembered.

    warnings: the heap's warnings (each said once).
    """

    def __init__(self, mem, table, heap, address, warnings):
        self.mem = mem
        self.t = table
        self.heap = heap
        self.address = address
        self.warnings = warnings
        self.where = "trace of heap 0x%x at 0x%x" % (heap, address)
        self.header = None
        self.entries = None          # [(address, size, traceback number)]
        self.complete = False        # every entry could be read
        self._tbs = {}               # number -> (site, frames) or None
        self._tb_usable = None       # the array's geometry holds together
        self._chunk = (None, b"")    # (index, bytes): the tracebacks' chunk last read
        self._sites = {}             # address -> (site dict, file bytes)
        self._problems = {}          # kind -> [count, the first one]

    # ---- warnings

    _SUMMARY = {
        "traceback": "%d tracebacks cannot be read",
        "frames": "%d tracebacks have more frames than fit",
        "site": "%d allocation sites cannot be read",
        "name": "%d names of allocation sites cannot be read",
    }

    def _problem(self, kind, msg):
        p = self._problems.setdefault(kind, [0, msg])
        p[0] += 1

    def flush(self):
        """The repeated problems, one warning per kind."""
        for kind, (count, first) in sorted(self._problems.items()):
            if count == 1:
                self.warnings.add("%s: %s" % (self.where, first))
            else:
                self.warnings.add("%s: %s (the first: %s)" % (self.where, self._SUMMARY[kind] % count, first))
        self._problems.clear()

    # ---- the trace itself

    def read_header(self):
        """The trace's own fields; None (and a warning) when unreadable."""
        if self.header is not None:
            return self.header
        t = self.t
        try:
            b = self.mem.read(self.address, t.sizeof_trace)
        except TargetError as e:
            self.warnings.add("%s: %s" % (self.where, e))
            return None
        h = {
            "address": self.address,
            "frame_limit": _u(b, t.trace_nframes, 4),
            "sample_bytes": _u(b, t.trace_sample_bytes),
            "current": _u(b, t.trace_current),
            "peak": _u(b, t.trace_peak),
            "len": _u(b, t.trace_len),
            "cap": _u(b, t.trace_cap),
            "tb_len": _u(b, t.trace_tb_len),
            "entries_address": _u(b, t.trace_entries),
            "tracebacks_address": _u(b, t.trace_tracebacks),
            "tb_stride": _u(b, t.trace_tb_stride),
        }
        if not 1 <= h["frame_limit"] <= MAX_FRAMES:
            self.warnings.add("%s: a frame limit of %d" % (self.where, h["frame_limit"]))
        if h["peak"] < h["current"]:
            self.warnings.add("%s: %d bytes traced, more than its peak of %d"
                              % (self.where, h["current"], h["peak"]))
        self.header = h
        return h

    def frame_limit(self):
        return min(max(self.header["frame_limit"], 1), MAX_FRAMES)

    def read_entries(self):
        """The live traced blocks, [(address, size, traceback number)] in
        table order; [] when they cannot be read (with a warning)."""
        if self.entries is not None:
            return self.entries
        self.entries = []
        h = self.read_header()
        if h is None:
            return self.entries
        t = self.t
        cap, length, base = h["cap"], h["len"], h["entries_address"]
        if cap > MAX_ENTRIES:
            self.warnings.add("%s: %d entry slots at 0x%x, more than %d; not read"
                              % (self.where, cap, base, MAX_ENTRIES))
            return self.entries
        es = t.sizeof_trace_entry
        ea, ez, et = t.trace_entry_address, t.trace_entry_size, t.trace_entry_traceback
        per = max(1, CHUNK // es)
        out = self.entries
        for first in range(0, cap, per):
            n = min(per, cap - first)
            at = base + first * es
            try:
                buf = self.mem.read(at, n * es)
            except TargetError as e:
                self.warnings.add("%s: its entries at 0x%x (%d slots): %s" % (self.where, base, cap, e))
                return out
            for off in range(0, n * es, es):
                a = _u(buf, off + ea)
                if a:
                    out.append((a, _u(buf, off + ez), _u(buf, off + et, 4)))
        self.complete = True
        total = sum(e[1] for e in out)
        if len(out) != length or total != h["current"]:
            self.warnings.add("%s: its entries at 0x%x hold %d traces of %d bytes, it counts %d of %d"
                              % (self.where, base, len(out), total, length, h["current"]))
        return out

    # ---- tracebacks

    def _traceback_bytes(self, n):
        """The tb_stride bytes of traceback n (from 1 to tb_len), read in
        chunks of the array (one kept: groups() asks in number order)."""
        h = self.header
        stride = h["tb_stride"]
        off = (n - 1) * stride
        ci = off // CHUNK
        if self._chunk[0] == ci:
            chunk = self._chunk[1]
        else:
            lo = ci * CHUNK
            hi = min(lo + CHUNK, h["tb_len"] * stride)
            try:
                chunk = self.mem.read(h["tracebacks_address"] + lo, hi - lo)
            except TargetError:
                chunk = b""  # read tracebacks one by one in this chunk
            self._chunk = (ci, chunk)
        rel = off - ci * CHUNK
        if rel + stride <= len(chunk):
            return chunk[rel:rel + stride]
        return self.mem.read(h["tracebacks_address"] + off, stride)

    def traceback(self, n):
        """(site address, frames) of traceback n, or None (warned once)."""
        if n in self._tbs:
            return self._tbs[n]
        self._tbs[n] = None
        h = self.header
        t = self.t
        stride = h["tb_stride"]
        if self._tb_usable is None:
            self._tb_usable = (t.traceback_frames <= stride <= t.traceback_frames + 8 * MAX_FRAMES
                               and h["tb_len"] <= MAX_TRACEBACKS)
            if not self._tb_usable:
                self.warnings.add("%s: %d tracebacks of %d bytes at 0x%x; not read"
                                  % (self.where, h["tb_len"], stride, h["tracebacks_address"]))
        if not self._tb_usable or not 1 <= n <= h["tb_len"]:
            return None  # the caller names the entry
        at = h["tracebacks_address"] + (n - 1) * stride
        try:
            b = self._traceback_bytes(n)
        except TargetError as e:
            self._problem("traceback", "traceback %d at 0x%x: %s" % (n, at, e))
            return None
        nframes = _u(b, t.traceback_nframes, 4)
        room = (stride - t.traceback_frames) // 8
        if nframes > min(room, self.frame_limit()):
            self._problem("frames", "traceback %d at 0x%x has %d frames, at most %d fit"
                          % (n, at, nframes, min(room, self.frame_limit())))
            nframes = min(room, self.frame_limit())
        frames = struct.unpack_from("<%dQ" % nframes, b, t.traceback_frames)
        tb = (_u(b, t.traceback_site), tuple(frames))
        self._tbs[n] = tb
        return tb

    # ---- sites

    def site(self, addr):
        """The site at addr: {"address", "file", "line", "function"} (None
        for what cannot be read, warned once), and its file's bytes for
        ordering."""
        known = self._sites.get(addr)
        if known is not None:
            return known
        t = self.t
        s = {"address": addr, "file": None, "line": None, "function": None}
        raw = b""
        try:
            b = self.mem.read(addr, t.sizeof_site)
        except TargetError as e:
            self._problem("site", "the allocation site at 0x%x: %s" % (addr, e))
        else:
            s["line"] = _u(b, t.site_line, 4)
            for key in ("file", "function"):
                p = _u(b, getattr(t, "site_" + key))
                if not p:
                    continue
                try:
                    data = self.mem.cbytes(p, MAX_SITE_STRING)
                except TargetError as e:
                    self._problem("name", "the %s name of the allocation site at 0x%x: %s" % (key, addr, e))
                    continue
                s[key] = data.decode("utf-8", "replace")
                if key == "file":
                    raw = data
        self._sites[addr] = (s, raw)
        return self._sites[addr]

    # ---- grouping

    def _order(self, site, frames):
        """The runtime's order of groups of equal size and count: no site
        first (by frames), then sites by file, line and address."""
        if not site:
            return (0, len(frames), frames)
        s, raw = self.site(site)
        return (1, raw, s["line"] or 0, site, len(frames), frames)

    def groups(self, by_site):
        """The live traces grouped by site (by_site) or by traceback:
        [(order, key, size, count)] largest first."""
        entries = self.read_entries()
        for n in sorted({e[2] for e in entries}):
            self.traceback(n)
        acc = {}
        bad = []
        for a, size, n in entries:
            tb = self.traceback(n)
            if tb is None:
                # (A traceback that cannot be read is said by traceback().)
                if self._tb_usable and not 1 <= n <= self.header["tb_len"]:
                    bad.append((a, n))
                continue
            site, frames = tb
            if by_site:
                key = (site, () if site else frames[:1])
            else:
                key = (site, frames)
            g = acc.get(key)
            if g is None:
                acc[key] = [size, 1]
            else:
                g[0] += size
                g[1] += 1
        if bad:
            a, n = bad[0]
            what = "traced block 0x%x names traceback %d of %d" % (a, n, self.header["tb_len"])
            if len(bad) > 1:
                what = "%d traced blocks name no traceback (the first: %s)" % (len(bad), what)
            self.warnings.add("%s: %s" % (self.where, what))
        out = [(self._order(site, frames), (site, frames), size, count)
               for (site, frames), (size, count) in acc.items()]
        out.sort(key=lambda g: (-g[2], -g[3], g[0]))
        return out

    def find(self, block):
        """The trace of block: (size, site address, frames), or None."""
        for a, size, n in self.read_entries():
            if a == block:
                tb = self.traceback(n)
                if tb is None:
                    if self._tb_usable and not 1 <= n <= self.header["tb_len"]:
                        self.warnings.add("%s: the traced block 0x%x names traceback %d of %d"
                                          % (self.where, a, n, self.header["tb_len"]))
                    return size, None, ()
                return size, tb[0], tb[1]
        return None


def site_dict(trace, site):
    return dict(trace.site(site)[0]) if site else None


def read_trace(mem, table, heap, address, warnings, symbolizer, top):
    """The report of one heap's trace (heap_trace not NULL): its figures,
    and its largest top groups by site and by traceback."""
    tr = Trace(mem, table, heap, address, warnings)
    h = tr.read_header()
    if h is None:
        return {"address": address, "readable": False}
    entries = tr.read_entries()
    out = {
        "address": address,
        "readable": True,
        "frame_limit": h["frame_limit"],
        "sample_bytes": h["sample_bytes"],
        "current": h["current"],
        "peak": h["peak"],
        "len": h["len"],
        "cap": h["cap"],
        "tb_len": h["tb_len"],
        "count": len(entries),
        "bytes": sum(e[1] for e in entries),
        "complete": tr.complete,
    }
    by_site = tr.groups(True)
    out["sites_total"] = len(by_site)
    out["sites"] = []
    for _o, (site, frames), size, count in by_site[:top]:
        first = frames[0] if frames else None
        out["sites"].append({
            "site": site_dict(tr, site),
            "first_frame": first,
            "symbol": symbolizer.name(first) if first is not None else None,
            "size": size,
            "count": count,
        })
    by_tb = tr.groups(False)
    out["tracebacks_total"] = len(by_tb)
    out["tracebacks"] = [{"site": site_dict(tr, site), "frames": list(frames),
                          "symbols": [symbolizer.name(f) for f in frames], "size": size, "count": count}
                         for _o, (site, frames), size, count in by_tb[:top]]
    tr.flush()
    return out


def block_trace(mem, table, heap, address, block, warnings, symbolizer):
    """The trace of block in one heap's trace, or None."""
    tr = Trace(mem, table, heap, address, warnings)
    if tr.read_header() is None:
        return None
    found = tr.find(block)
    if found is None:
        tr.flush()
        return None
    size, site, frames = found
    out = {"address": block, "size": size, "site": site_dict(tr, site), "frames": list(frames),
           "symbols": [symbolizer.name(f) for f in frames]}
    tr.flush()
    return out
