"""Allocation tracing: a heap's traces, read from the target.

The layout is docs/debug-abi.md, "Allocation tracing".  `heap_trace` points
to the heap's trace (NULL when it does not trace): the frame limit, the
sampling rate, traced bytes now and at most, `tb_len` tracebacks of
`tb_stride` bytes, numbered from 1 (site, nframes, frames), and the live
traces (size and traceback number of a block) in two places:

  pool slots  small blocks: `arenas` is a table of `arenas_cap` pointers to
              trace arenas (an arena's address and, by pool index, its
              pools' trace pools); a trace pool has one slot per block of
              its pool (`base + i * block_size`), traceback 0 when the
              block is not traced; `pooled` counts them;
  entries     large blocks: an open-addressing table of `cap` entries
              (address, size, traceback number; address 0 is an empty
              slot), `len` of them in use.

A site is the rgc_site_t of an allocation macro: file and function
(strings in the program's memory) and line.

What the reader makes of it, as the runtime's rgc_trace_statistics does:
the live traces grouped by site (the macro's site, else the first frame)
and by traceback (the site and every frame), largest first by size, then
count, then the group itself in the runtime's order; and the trace of one
block (rgc_trace_get): a small block's slot through its arena and pool, a
large block among the entries.

Every count is bounded before it is used (the arenas table and the entry
table, read whole; a trace pool's blocks and their size; the traceback
numbers, the frames of a traceback), and every pointer is followed once;
what does not hold together is one warning naming the address, and the
rest is read.  The trace's own counts are checked against what was found
(`used` per trace pool, `pooled`, `len`, `current`) where every part
involved was read and held together: one break is one warning.  Problems
that repeat (trace arenas or trace pools that cannot be read, a tracebacks
array that cannot be read, site names a core does not hold because the
program's read-only data was not dumped) are one warning per kind, with a
count and the first of them.
"""

import math
import struct

from .errors import TargetError

MAX_ENTRIES = 1 << 25        # slots of the entry table (24 bytes each)
MAX_TRACE_ARENAS = 1 << 21   # slots of the arenas table: at most half full,
                             # and heap.py reads up to 1 << 20 arenas
MAX_TRACEBACKS = 1 << 24
MAX_FRAMES = 256             # the runtime's limit is 32 (RGC_TRACE_MAX_FRAMES)
MAX_SITE_STRING = 4096
CHUNK = 1 << 20

_U16 = struct.Struct("<H")
_U32 = struct.Struct("<I")
_U64 = struct.Struct("<Q")


def _u(buf, off, width=8):
    return (_U64 if width == 8 else _U32).unpack_from(buf, off)[0]


def _plural(n, word):
    return "%d %s%s" % (n, word, "" if n == 1 else "s")


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
        self.entries = None          # large blocks: [(address, size, traceback number)]
        self.entries_complete = False
        self.slots = None            # small blocks, the same
        self.slots_complete = False  # every trace arena and trace pool could be read
        self.slots_consistent = True # and each held together
        self.complete = False        # every trace could be read
        self.traces = None           # both
        self._arena_ptrs = None      # the arenas table's pointers, or False (unreadable)
        self._arenas = {}            # trace arena address -> (base, pool pointers) or None
        self._pools = {}             # (trace pool, arena, index) -> its traces (list) or None
        self._tbs = {}               # number -> (site, frames) or None
        self._tb_usable = None       # the array's geometry holds together
        self._chunk = (None, b"")    # (index, bytes): the tracebacks' chunk last read
        self._sites = {}             # address -> (site dict, file bytes)
        self._problems = {}          # kind -> [count, the first one]

    # ---- warnings

    _SUMMARY = {
        "arena": "%d trace arenas cannot be read",
        "pool": "%d trace pools cannot be read",
        "pool_check": "%d trace pools do not hold together",
        "named": "%d trace arenas are named more than once",
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
            "pooled": None,
            "arenas_address": 0,
            "arenas_cap": 0,
        }
        h["pooled"] = _u(b, t.trace_pooled)
        h["arenas_address"] = _u(b, t.trace_arenas)
        h["arenas_cap"] = _u(b, t.trace_arenas_cap)
        if not 1 <= h["frame_limit"] <= MAX_FRAMES:
            self.warnings.add("%s: a frame limit of %d" % (self.where, h["frame_limit"]))
        if h["peak"] < h["current"]:
            self.warnings.add("%s: %d bytes traced, more than its peak of %d"
                              % (self.where, h["current"], h["peak"]))
        self.header = h
        return h

    def frame_limit(self):
        return min(max(self.header["frame_limit"], 1), MAX_FRAMES)

    def read_traces(self):
        """Every live trace, [(address, size, traceback number)]: the pool
        slots' then the entries'.  The trace's counts are checked here."""
        if self.traces is not None:
            return self.traces
        slots = self.read_slots()
        entries = self.read_entries()
        h = self.header
        self.complete = self.slots_complete and self.entries_complete
        if h is not None and self.complete and self.slots_consistent:
            total = sum(e[1] for e in slots) + sum(e[1] for e in entries)
            if total != h["current"]:
                self.warnings.add("%s: its traces are of %d bytes (%d in pool slots, %d in entries), "
                                  "it counts %d" % (self.where, total, len(slots), len(entries), h["current"]))
        self.traces = slots + entries
        return self.traces

    def read_entries(self):
        """The live traced large blocks (every traced block for a runtime
        without pool slots), [(address, size, traceback number)] in table
        order; [] when they cannot be read (with a warning)."""
        if self.entries is not None:
            return self.entries
        self.entries = []
        h = self.read_header()
        if h is None:
            return self.entries
        t = self.t
        cap, length, base = h["cap"], h["len"], h["entries_address"]
        if cap > MAX_ENTRIES or cap & (cap - 1):
            self.warnings.add("%s: %d entry slots at 0x%x, not 0 or a power of 2 up to %d; not read"
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
        self.entries_complete = True
        if len(out) != length:
            self.warnings.add("%s: its entries at 0x%x hold %d traces, it counts %d"
                              % (self.where, base, len(out), length))
        return out

    # ---- pool slots

    def _arena_pointers(self):
        """The non-NULL pointers of the arenas table, in table order; None
        when it cannot be read (warned once)."""
        if self._arena_ptrs is not None:
            return self._arena_ptrs or None
        self._arena_ptrs = False
        h = self.read_header()
        if h is None:
            return None
        cap, base = h["arenas_cap"], h["arenas_address"]
        if cap > MAX_TRACE_ARENAS or cap & (cap - 1):
            self.warnings.add("%s: an arenas table of %d slots at 0x%x, not 0 or a power of 2 up to %d; "
                              "not read" % (self.where, cap, base, MAX_TRACE_ARENAS))
            return None
        out = []
        per = CHUNK // 8
        for first in range(0, cap, per):
            n = min(per, cap - first)
            try:
                buf = self.mem.read(base + 8 * first, 8 * n)
            except TargetError as e:
                self.warnings.add("%s: its arenas table at 0x%x (%d slots): %s" % (self.where, base, cap, e))
                return None
            out.extend(p for p in struct.unpack("<%dQ" % n, buf) if p)
        self._arena_ptrs = out
        return out

    def _arena(self, ta):
        """(arena address, [pool pointers by index]) of the trace arena at
        ta; None when it cannot be read or is not one (warned)."""
        if ta in self._arenas:
            return self._arenas[ta]
        self._arenas[ta] = None
        t = self.t
        try:
            b = self.mem.read(ta, t.sizeof_trace_arena)
        except TargetError as e:
            self._problem("arena", "the trace arena at 0x%x: %s" % (ta, e))
            return None
        base = _u(b, t.trace_arena_base)
        if not base or base & (t.arena_size - 1):
            self._problem("arena", "the trace arena at 0x%x: 0x%x is not an arena's address" % (ta, base))
            return None
        pools = struct.unpack_from("<%dQ" % t.pools_per_arena, b, t.trace_arena_pools)
        self._arenas[ta] = (base, pools)
        return self._arenas[ta]

    def _pool(self, tp, arena, k):
        """The traces in the slots of the trace pool at tp, pool k of the
        arena at arena: [(block, size, traceback number)]; None when it
        cannot be read or its geometry does not hold together (warned).
        Its count (`used`) and its pool's descriptor are checked."""
        # (A trace pool holds together as pool k of one arena only: a
        # pointer named by the wrong pool is not read, the right one is.)
        key = (tp, arena, k)
        if key in self._pools:
            return self._pools[key]
        self._pools[key] = None
        t = self.t
        what = "the trace pool at 0x%x (pool %d of the arena at 0x%x)" % (tp, k, arena)
        try:
            b = self.mem.read(tp, t.sizeof_trace_pool)
        except TargetError as e:
            self._problem("pool", "%s: %s" % (what, e))
            return None
        base = _u(b, t.trace_pool_base)
        bs = _U16.unpack_from(b, t.trace_pool_block_size)[0]
        nb = _U16.unpack_from(b, t.trace_pool_nblocks)[0]
        used = _u(b, t.trace_pool_used, 4)
        lo = arena + k * t.pool_size
        if not (t.align <= bs <= t.small_max and bs % t.align == 0 and 1 <= nb and nb * bs <= t.pool_size
                and lo <= base and base + nb * bs <= lo + t.pool_size and used <= nb):
            self._problem("pool", "%s: %d slots for blocks of %d bytes from 0x%x, %d in use; not read"
                          % (what, nb, bs, base, used))
            return None
        ss = t.sizeof_trace_slot
        try:
            buf = self.mem.read(tp + t.trace_pool_slots, nb * ss)
        except TargetError as e:
            self._problem("pool", "%s: its %d slots: %s" % (what, nb, e))
            return None
        st, sz = t.trace_slot_traceback, t.trace_slot_size
        out = []
        oversized = None
        for i in range(nb):
            n = _u(buf, i * ss + st, 4)
            if n:
                size = _u(buf, i * ss + sz, 4)
                out.append((base + i * bs, size, n))
                if size > bs and oversized is None:
                    oversized = (i, size)
        self._pools[key] = out
        problems = []
        if len(out) != used:
            problems.append("%d of its slots hold a trace, it counts %d" % (len(out), used))
        if oversized:
            problems.append("slot %d holds a trace of %d bytes, in a block of %d" % (oversized[0], oversized[1], bs))
        if out:
            # Slots made for a pool as it was: its traces are gone by the
            # time the pool is given up or changes class.
            d = self._descriptor(arena, k)
            if d is not None and (d[0] == t.pool_state_unused or d[1] != base or d[2] != bs):
                problems.append("%s for blocks of %d bytes from 0x%x, its pool's descriptor at 0x%x %s"
                                % (_plural(len(out), "trace"), bs, base, d[3],
                                   "says blocks of %d bytes from 0x%x" % (d[2], d[1])
                                   if d[0] == t.pool_state_active else "is not of a pool in use"))
        if problems:
            self.slots_consistent = False
            self._problem("pool_check", "%s: %s" % (what, "; ".join(problems)))
        return out

    def _descriptor(self, arena, k):
        """(state, base, block size, address) of the descriptor of pool k of
        the arena at arena, unused or active; None when it cannot be read
        or is not what a pool's descriptor can be (the heap's walk says
        so: one break, one warning)."""
        t = self.t
        colour = (arena >> t.arena_shift) % t.arena_colours
        at = arena + colour * t.page_size + k * t.sizeof_pool
        try:
            b = self.mem.read(at, t.sizeof_pool)
        except TargetError:
            return None
        state, base, bs = b[t.pool_state], _u(b, t.pool_base), _U16.unpack_from(b, t.pool_block_size)[0]
        if state == t.pool_state_active and not (b[t.pool_kind] in (t.kind_object, t.kind_raw)
                                                 and bs == t.align * (b[t.pool_szidx] + 1) <= t.small_max
                                                 and base == arena + k * t.pool_size):
            return None
        if state not in (t.pool_state_unused, t.pool_state_active):
            return None
        return state, base, bs, at

    def read_slots(self):
        """The live traced small blocks, [(address, size, traceback
        number)] by trace arena and pool."""
        if self.slots is not None:
            return self.slots
        self.slots = []
        h = self.read_header()
        ptrs = self._arena_pointers() if h is not None else None
        if ptrs is None:
            return self.slots
        complete = True
        arenas_seen = set()
        bases = {}
        for ta in ptrs:
            if ta in arenas_seen:
                self._problem("named", "the trace arena at 0x%x is in its arenas table more than once" % ta)
                continue
            arenas_seen.add(ta)
            a = self._arena(ta)
            if a is None:
                complete = False
                continue
            base, pools = a
            if base in bases:
                self._problem("named", "the trace arenas at 0x%x and 0x%x are both of the arena at 0x%x"
                              % (bases[base], ta, base))
                continue
            bases[base] = ta
            for k, tp in enumerate(pools):
                if not tp:
                    continue
                found = self._pool(tp, base, k)
                if found is None:
                    complete = False
                else:
                    self.slots.extend(found)
        self.slots_complete = complete
        if complete and self.slots_consistent and len(self.slots) != h["pooled"]:
            self.warnings.add("%s: its pool slots hold %d traces, it counts %d"
                              % (self.where, len(self.slots), h["pooled"]))
        return self.slots

    def _find_in_slots(self, block):
        """(start, size, traceback number) of the small block that holds
        the address `block` (its start, or inside the bytes asked for)
        from its slot, or None: its arena among the trace arenas, its pool
        by index, its slot among the pool's."""
        t = self.t
        arena = block & ~(t.arena_size - 1)
        for ta in self._arena_pointers() or ():
            a = self._arena(ta)
            if a is not None and a[0] == arena:
                break
        else:
            return None
        k = (block - arena) >> t.pool_shift
        tp = a[1][k]
        found = self._pool(tp, arena, k) if tp else None
        for addr, size, n in found or ():
            if addr <= block < addr + max(size, 1):
                return addr, size, n
        return None

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

    def weight(self, size):
        """How many blocks of size bytes one trace stands for: 1/p, p the
        probability that sampling traced such a block (1 - exp(-size /
        sample_bytes): the runtime's gaps are exponential); 1 when every
        allocation is traced."""
        m = self.header["sample_bytes"]
        if not m:
            return 1.0
        p = -math.expm1(-max(size, 1) / m)
        return 1.0 / p if p > 0 else 1.0

    def groups(self, by_site):
        """The live traces grouped by site (by_site) or by traceback:
        [(order, key, size, count, estimated size, estimated count)],
        largest estimate first, as the runtime's statistics order them."""
        traces = self.read_traces()
        for n in sorted({e[2] for e in traces}):
            self.traceback(n)
        acc = {}
        bad = []
        for a, size, n in traces:
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
            w = self.weight(size)
            g = acc.get(key)
            if g is None:
                acc[key] = [size, 1, w * size, w]
            else:
                g[0] += size
                g[1] += 1
                g[2] += w * size
                g[3] += w
        if bad:
            a, n = bad[0]
            what = "traced block 0x%x names traceback %d of %d" % (a, n, self.header["tb_len"])
            if len(bad) > 1:
                what = "%d traced blocks name no traceback (the first: %s)" % (len(bad), what)
            self.warnings.add("%s: %s" % (self.where, what))
        # Rounded half away from zero, as the runtime's llround().
        out = [(self._order(site, frames), (site, frames), size, count,
                int(math.floor(esize + 0.5)), int(math.floor(ecount + 0.5)))
               for (site, frames), (size, count, esize, ecount) in acc.items()]
        out.sort(key=lambda g: (-g[4], -g[2], -g[3], g[0]))
        return out

    def find(self, block):
        """The trace of the block that holds the address `block` (its
        start, or inside the bytes asked for): (its start, size, site
        address, frames, where it was found: "pool slots" or "entries"),
        or None.  A small block's slot is looked up first, then the
        entries (a large block may lie where an arena the trace still
        knows was given back)."""
        found = self._find_in_slots(block)
        where = "pool slots"
        if found is None:
            where = "entries"
            found = next(((a, size, n) for a, size, n in self.read_entries() if a <= block < a + max(size, 1)),
                         None)
        if found is None:
            return None
        start, size, n = found
        tb = self.traceback(n)
        if tb is None:
            if self._tb_usable and not 1 <= n <= self.header["tb_len"]:
                self.warnings.add("%s: the traced block 0x%x names traceback %d of %d"
                                  % (self.where, start, n, self.header["tb_len"]))
            return start, size, None, (), where
        return start, size, tb[0], tb[1], where


def site_dict(trace, site):
    return dict(trace.site(site)[0]) if site else None


def read_trace(mem, table, heap, address, warnings, symbolizer, top):
    """The report of one heap's trace (heap_trace not NULL): its figures,
    and its largest top groups by site and by traceback."""
    tr = Trace(mem, table, heap, address, warnings)
    h = tr.read_header()
    if h is None:
        return {"address": address, "readable": False}
    traces = tr.read_traces()
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
        "pooled": h["pooled"],
        "count": len(traces),
        "bytes": sum(e[1] for e in traces),
        "from_slots": len(tr.slots),
        "from_entries": len(tr.entries),
        "complete": tr.complete,
    }
    by_site = tr.groups(True)
    out["sites_total"] = len(by_site)
    out["sites"] = []
    out["estimated_bytes"] = sum(g[4] for g in by_site)
    for _o, (site, frames), size, count, esize, ecount in by_site[:top]:
        first = frames[0] if frames else None
        out["sites"].append({
            "site": site_dict(tr, site),
            "first_frame": first,
            "symbol": symbolizer.name(first) if first is not None else None,
            "size": size,
            "count": count,
            "estimated_size": esize,
            "estimated_count": ecount,
        })
    by_tb = tr.groups(False)
    out["tracebacks_total"] = len(by_tb)
    out["tracebacks"] = [{"site": site_dict(tr, site), "frames": list(frames),
                          "symbols": [symbolizer.name(f) for f in frames], "size": size, "count": count,
                          "estimated_size": esize, "estimated_count": ecount}
                         for _o, (site, frames), size, count, esize, ecount in by_tb[:top]]
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
    start, size, site, frames, where = found
    out = {"address": start, "size": size, "site": site_dict(tr, site), "frames": list(frames),
           "symbols": [symbolizer.name(f) for f in frames], "found_in": where, "asked": block}
    tr.flush()
    return out
