"""Walking the runtime and its heaps from a checked debug table.

Everything is read through the table's offsets and constants, and follows
the runtime's own rules (docs/internals/allocator.md):

  - an arena's 64 pool descriptors sit in page `colour` of the arena,
    colour = (arena address >> arena_shift) % arena_colours; the one in the
    header pool (colour / pages per pool) holds the arena's own fields;
  - an active pool's blocks in use are nused, plus its low-water mark
    (nblocks / 4) while low_armed; blocks at index >= bump were never
    carved; a block touching a page given back (a hole) is free and is not
    read; in a bitmap pool a set freemap bit is a free block;
  - a held block (heap.held) is counted in use by its pool but is free;
  - a live object is a block of an object pool, not free by the rules
    above, whose count is not 0; and every object of a large block.

A heap's event recorder is read by recorder.py; a heap that traces its
allocations has its traces read by trace.py.

Every list walk is bounded (a set of the nodes seen, a cap on the count);
what cannot be read or does not hold together becomes one warning naming
the address, and the walk goes on with what it can still read.
"""

import struct

from . import recorder as _recorder
from . import trace as _trace
from .errors import RgcError, TargetError
from .symbols import Symbolizer

MAX_HEAPS = 1 << 12
MAX_ARENAS = 1 << 20
MAX_LARGE = 1 << 24
MAX_WEAKTAB = 1 << 22
MAX_WEAKREFS = 1 << 24
MAX_NAME = 256

_U = {1: struct.Struct("<B"), 2: struct.Struct("<H"), 4: struct.Struct("<I"), 8: struct.Struct("<Q")}


def u(buf, off, width=8):
    """An unsigned little-endian integer of buf at off."""
    return _U[width].unpack_from(buf, off)[0]


def s32(buf, off):
    return struct.unpack_from("<i", buf, off)[0]


class Warnings(list):
    """Warnings of one part of the walk, each said once."""

    def add(self, msg):
        msg = " ".join(str(msg).split())
        if msg not in self:
            self.append(msg)


class Memory:
    """Reads of a target, with the helpers the walk uses."""

    def __init__(self, target):
        self.target = target

    def read(self, addr, size):
        if addr == 0:
            raise TargetError("NULL pointer where %d bytes were expected" % size, 0)
        return self.target.read(addr, size)

    def u64(self, addr):
        return u(self.read(addr, 8), 0)

    def u32(self, addr):
        return u(self.read(addr, 4), 0, 4)

    def cbytes(self, addr, limit=MAX_NAME):
        """The bytes of the NUL-terminated string at addr (at most limit of
        them), read in pieces so that a short string near the end of a
        mapping is read."""
        out = b""
        while len(out) < limit:
            # Up to the next 64-byte boundary, so no read crosses a page
            # more than it must.
            n = min(64 - (addr + len(out)) % 64, limit - len(out))
            piece = self.read(addr + len(out), n)
            z = piece.find(b"\0")
            if z >= 0:
                return out + piece[:z]
            out += piece
        return out + b"..."

    def cstring(self, addr, limit=MAX_NAME):
        """The NUL-terminated string at addr, decoded (at most limit bytes,
        then "...")."""
        return self.cbytes(addr, limit).decode("utf-8", "replace")


class Runtime:
    """The runtime root, its types and its heaps, read once (read())."""

    def __init__(self, target, table, max_events=64, max_sites=10):
        self.mem = Memory(target)
        self.t = table
        self.max_events = max_events
        self.max_sites = max_sites
        self.symbolizer = Symbolizer(target)
        self.warnings = Warnings()
        self.types = {}          # id -> name
        self._bad_types = set()

    # ---- the root

    def read(self):
        t = self.t
        rt = t.runtime_address
        out = {"address": rt}
        if not t.initialized:
            self.warnings.add("the rgc runtime has not started yet (the debug table at 0x%x is not "
                              "initialized): no heaps" % t.address)
            out.update(nheaps=0, ntypes=0, hooks=None, heaps=[], types={}, warnings=list(self.warnings))
            return out
        try:
            heaps = self.mem.u64(rt + t.runtime_heaps)
            nheaps = self.mem.u64(rt + t.runtime_nheaps)
            ntypes = self.mem.u32(rt + t.runtime_ntypes)
        except TargetError as e:
            raise RgcError("cannot read the runtime root at 0x%x: %s" % (rt, e)) from None
        out["nheaps"] = nheaps
        out["ntypes"] = ntypes
        self._read_types(ntypes)
        out["hooks"] = self._read_hooks()
        out["heaps"] = self._read_heaps(heaps, nheaps)
        out["types"] = {str(k): v for k, v in sorted(self.types.items())}
        out["warnings"] = list(self.warnings)
        return out

    def _read_types(self, ntypes):
        t = self.t
        if ntypes > t.max_types:
            self.warnings.add("runtime root at 0x%x: %d types, more than the %d the table allows; reading %d"
                              % (t.runtime_address, ntypes, t.max_types, t.max_types))
            ntypes = t.max_types
        if ntypes <= 1:
            return
        at = t.runtime_address + t.runtime_types
        try:
            ptrs = self.mem.read(at, 8 * ntypes)
        except TargetError as e:
            self.warnings.add("type table at 0x%x: %s" % (at, e))
            return
        for i in range(1, ntypes):
            p = u(ptrs, 8 * i)
            if not p:
                continue
            try:
                tb = self.mem.read(p, t.sizeof_type)
                name = self.mem.cstring(u(tb, t.type_name))
                tid = u(tb, t.type_id, 4)
            except TargetError as e:
                self.warnings.add("type %d at 0x%x: %s" % (i, p, e))
                self._bad_types.add(i)  # said once: its objects count as "<type i>"
                continue
            if tid != i:
                self.warnings.add("type %d at 0x%x says its id is %d" % (i, p, tid))
            self.types[i] = name

    def type_name(self, tid, warnings):
        name = self.types.get(tid)
        if name is None:
            name = "<type %d>" % tid
            if tid not in self._bad_types:
                self._bad_types.add(tid)
                warnings.add("objects with type id %d, which names no type" % tid)
        return name

    def _read_hooks(self):
        t = self.t
        at = t.runtime_address + t.runtime_hooks
        try:
            hb = self.mem.read(at, t.sizeof_hooks)
        except TargetError as e:
            self.warnings.add("hooks at 0x%x: %s" % (at, e))
            return None
        hooks = {
            "address": at,
            "mask": u(hb, t.hooks_mask, 1),
            "mask_address": at + t.hooks_mask,
            "watching": u(hb, t.hooks_watching, 1),
            "observers": u(hb, t.hooks_observers, 4),
            "type_id": u(hb, t.hooks_type_id, 4),
            "generation": s32(hb, t.hooks_generation),
            "address_filter": u(hb, t.hooks_address),
            "hits": u(hb, t.hooks_hits),
            "last_event": self.event(hb, t.hooks_event) if u(hb, t.hooks_hits) else None,
            "hook_function": t.hook_function,
        }
        hooks["sampling"] = u(hb, t.hooks_sampling, 1)
        hooks["samplers"] = u(hb, t.hooks_samplers, 4)
        hooks["tracing"] = u(hb, t.hooks_tracing, 1)
        hooks["tracers"] = u(hb, t.hooks_tracers, 4)
        hooks["one"] = u(hb, t.hooks_one, 1)
        if hooks["one"] != 1:
            # The paths compare the word it starts with 1 (the count of an
            # object dying): otherwise they all take the watched paths.
            self.warnings.add("hooks at 0x%x: byte `one` at 0x%x is %d, not 1: every object's death and "
                              "every free take the paths that report, for nothing"
                              % (at, at + t.hooks_one, hooks["one"]))
        self._check_gates(hooks)
        return hooks

    def _check_gates(self, hooks):
        """The gates' rule (docs/debug-abi.md, "The gates"): gates that a
        debugger left out of it leave the raw paths' events unreported, or
        send those paths to the reporting one for nothing; the reader says
        which."""
        t = self.t
        at = t.runtime_address + t.runtime_free_gate
        try:
            free_gate = u(self.mem.read(at, 8), 0)
            alloc_gate = u(self.mem.read(t.runtime_address + t.runtime_alloc_gate, 8), 0)
        except TargetError as e:
            self.warnings.add("hook gates at 0x%x: %s" % (at, e))
            return
        hooks["free_gate"], hooks["alloc_gate"] = free_gate, alloc_gate
        hooks["free_gate_address"], hooks["free_gate_open"] = at, t.free_gate_open
        # The mask bits that close each gate; an allocation's closes it
        # only without a type filter, which raw blocks never match.  What
        # closes them besides the mask: heaps tracing every allocation.
        mask, typed = hooks["mask"], hooks["type_id"] != 0
        closing = hooks["tracing"]
        want_free = 0 if mask & t.free_gate_kinds or closing else t.free_gate_open
        want_alloc = 0 if (mask & t.alloc_gate_kinds and not typed) or closing else t.alloc_gate_open
        if (free_gate, alloc_gate) != (want_free, want_alloc):
            what = ("raw frees and allocations on their fast paths go unreported"
                    if free_gate > want_free or alloc_gate > want_alloc
                    else "raw frees and allocations take the reporting path for nothing")
            self.warnings.add("hook gates at 0x%x are 0x%x (free) and 0x%x (allocation), not 0x%x and 0x%x "
                              "as the hook mask 0x%02x, type filter %d and tracing 0x%02x require "
                              "(a debugger wrote the mask or the gates out of their rule): %s"
                              % (at, free_gate, alloc_gate, want_free, want_alloc, mask, hooks["type_id"],
                                 closing, what))

    def heap_list(self, first, nheaps):
        """(address, bytes) of each heap on the runtime's list."""
        heaps = []
        seen = set()
        h = first
        while h:
            if h in seen:
                self.warnings.add("heap list loops back to 0x%x after %d heaps" % (h, len(heaps)))
                break
            if len(seen) >= MAX_HEAPS:
                self.warnings.add("heap list: more than %d heaps; stopped at 0x%x" % (MAX_HEAPS, h))
                break
            seen.add(h)
            try:
                buf = self.mem.read(h, self.t.sizeof_heap)
            except TargetError as e:
                self.warnings.add("heap list: cannot read the heap at 0x%x: %s" % (h, e))
                break
            if u(buf, self.t.heap_magic) != self.t.magic_heap:
                self.warnings.add("heap list: 0x%x is not a heap (magic 0x%016x, expected 0x%016x)"
                                  % (h, u(buf, self.t.heap_magic), self.t.magic_heap))
                break
            heaps.append((h, buf))
            h = u(buf, self.t.heap_next)
        if len(heaps) != nheaps:
            self.warnings.add("runtime root says %d heaps, its list holds %d" % (nheaps, len(heaps)))
        return heaps

    def _read_heaps(self, first, nheaps):
        return [HeapWalk(self, h, buf).read() for h, buf in self.heap_list(first, nheaps)]

    def _root(self):
        t = self.t
        rt = t.runtime_address
        try:
            return self.mem.u64(rt + t.runtime_heaps), self.mem.u64(rt + t.runtime_nheaps)
        except TargetError as e:
            raise RgcError("cannot read the runtime root at 0x%x: %s" % (rt, e)) from None

    def block_trace(self, block):
        """The allocation site of block, as rgc_trace_get gives it: {"address",
        "size", "site", "frames", "symbols", "found_in", "heap",
        "heap_address"} from the trace of the heap that holds it (in a pool
        slot or among the entries), or None."""
        t = self.t
        if not t.initialized:
            return None
        for h, buf in self.heap_list(*self._root()):
            tr = u(buf, t.heap_trace)
            if not tr:
                continue
            hw = Warnings()
            found = _trace.block_trace(self.mem, t, h, tr, block, hw, self.symbolizer)
            for w in hw:
                self.warnings.add(w)
            if found is not None:
                found["heap"] = _heap_name(t, buf)
                found["heap_address"] = h
                return found
        return None

    def history(self, addr):
        """Each heap's recorded events that touch addr (HeapWalk.history),
        for every heap whose recorder is on."""
        t = self.t
        if not t.initialized:
            return []
        try:
            self._read_types(self.mem.u32(t.runtime_address + t.runtime_ntypes))
        except TargetError as e:
            raise RgcError("cannot read the runtime root at 0x%x: %s" % (t.runtime_address, e)) from None
        return [HeapWalk(self, h, buf).history(addr) for h, buf in self.heap_list(*self._root())]

    def event(self, buf, off):
        """The event (an rgc_event_t, as the hook is given) at buf[off:],
        decoded."""
        t = self.t
        return self.decoded(u(buf, off + t.event_seq), u(buf, off + t.event_kind, 4),
                             u(buf, off + t.event_type_id, 4), u(buf, off + t.event_address),
                             u(buf, off + t.event_size), u(buf, off + t.event_site))

    def decoded(self, seq, kind, tid, address, size, site):
        return {
            "seq": seq,
            "kind": kind,
            "kind_name": self.event_kinds().get(kind, "kind %d" % kind),
            "type_id": tid,
            "type": self.types.get(tid) if tid else None,
            "address": address,
            "size": size,
            "site": site,
            "site_symbol": self.symbolizer.name(site) if site else None,
        }

    def event_kinds(self):
        t = self.t
        return {t.ev_alloc: "alloc", t.ev_free: "free", t.ev_zero: "zero", t.ev_gc_start: "gc-start",
                t.ev_gc_end: "gc-end", t.ev_error: "error", t.ev_refcnt: "refcnt"}


class HeapWalk:
    """One heap: arenas, pools, objects, large blocks, weak references,
    the collector's state and the recorder."""

    def __init__(self, rt, addr, buf):
        self.rt = rt
        self.t = rt.t
        self.mem = rt.mem
        self.addr = addr
        self.buf = buf
        self.warnings = Warnings()
        self.classes = {}
        self.types = {}
        self.gens = {"0": 0, "1": 0, "2": 0, "3": 0, "untracked": 0}
        self.objects = 0
        self.pools = {}          # pool base -> (kind, szidx)
        self.held = {}           # block -> (kind, class)

    def read(self):
        t = self.t
        buf = self.buf
        out = {"address": self.addr, "name": _heap_name(t, buf), "flags": u(buf, t.heap_flags, 4)}
        self._read_held()
        arenas, pool_figures = self._walk_arenas()
        out["arenas"] = {"count": len(arenas), "narenas": u(buf, t.heap_narenas),
                         "addresses": arenas, "spare": u(buf, t.heap_spare),
                         "allocated": u(buf, t.heap_arenas_allocated), "freed": u(buf, t.heap_arenas_freed),
                         "highwater": u(buf, t.heap_arenas_highwater)}
        if len(arenas) != out["arenas"]["narenas"]:
            self.warnings.add("heap at 0x%x: %d arenas in its list, its count says %d"
                              % (self.addr, len(arenas), out["arenas"]["narenas"]))
        counted = pool_figures.pop("object_blocks_used")
        self._apply_held(pool_figures)
        out["pools"] = pool_figures
        out["classes"] = {str(c): v for c, v in sorted(self.classes.items())}
        large = self._walk_large()
        out["large"] = large
        out["objects"] = self.objects
        out["objects_by_counts"] = counted - sum(1 for k, _c in self.held.values() if k == t.kind_object) \
            + large["objects"]
        out["types"] = dict(sorted(self.types.items()))
        out["generations"] = self.gens
        out["gc"] = self._read_gc()
        out["tracked"] = out["gc"].pop("tracked")
        out["weak"] = self._read_weak()
        out["recorder"] = _recorder.read_recorder(self)
        out["trace"] = self._read_trace()
        out["warnings"] = list(self.warnings)
        return out

    # ---- held blocks

    def _read_held(self):
        t = self.t
        for k in range(t.nkinds):
            for c in range(t.nclasses):
                p = u(self.buf, t.heap_held + 8 * (k * t.nclasses + c))
                if p:
                    self.held[p] = (k, c)

    def _apply_held(self, figures):
        """A held block is free though its pool counts it in use."""
        t = self.t
        figures["held_blocks"] = 0
        for p, (k, c) in sorted(self.held.items()):
            pool = self.pools.get(p & ~(t.pool_size - 1))
            if pool is None or pool != (k, c) or c not in self.classes:
                self.warnings.add("held block 0x%x (kind %d, class %d) is in no active pool of its kind "
                                  "and class" % (p, k, c))
                continue
            cs = self.classes[c]
            cs["blocks_used"] -= 1
            cs["blocks_free"] += 1
            cs["held"] += 1
            figures["held_blocks"] += 1

    # ---- arenas and pools

    def _walk_arenas(self):
        t = self.t
        pages_per_pool = t.pool_size // t.page_size
        figures = {"used": 0, "free": 0, "bitmap": 0, "low_armed": 0, "pages_released": 0,
                   "object_blocks_used": 0}
        arenas = []
        seen = set()
        a = u(self.buf, t.heap_arenas)
        while a:
            if a in seen:
                self.warnings.add("heap at 0x%x: its arena list loops back to 0x%x after %d arenas"
                                  % (self.addr, a, len(arenas)))
                break
            if len(seen) >= MAX_ARENAS:
                self.warnings.add("heap at 0x%x: more than %d arenas; stopped at 0x%x" % (self.addr, MAX_ARENAS, a))
                break
            seen.add(a)
            base = a & ~(t.arena_size - 1)
            colour = (base >> t.arena_shift) % t.arena_colours
            descs = base + colour * t.page_size
            hdr = colour // pages_per_pool
            if a != descs + hdr * t.sizeof_pool:
                self.warnings.add("heap at 0x%x: arena list holds 0x%x, not an arena header (the arena at 0x%x "
                                  "has its header at 0x%x)" % (self.addr, a, base, descs + hdr * t.sizeof_pool))
                break
            try:
                dbuf = self.mem.read(descs, t.pools_per_arena * t.sizeof_pool)
            except TargetError as e:
                self.warnings.add("arena at 0x%x: cannot read its pool descriptors: %s" % (base, e))
                break
            ho = hdr * t.sizeof_pool
            magic = u(dbuf, ho + t.arena_magic)
            if magic != t.magic_arena:
                self.warnings.add("arena header at 0x%x: magic 0x%016x, expected 0x%016x" % (a, magic, t.magic_arena))
                break
            owner = u(dbuf, ho + t.arena_heap)
            if owner != self.addr:
                self.warnings.add("arena at 0x%x belongs to heap 0x%x, found in the list of heap 0x%x"
                                  % (base, owner, self.addr))
            arenas.append(base)
            for i in range(t.pools_per_arena):
                if i != hdr:
                    self._pool(base, i, dbuf, i * t.sizeof_pool, descs + i * t.sizeof_pool, figures)
            a = u(dbuf, ho + t.arena_next)
        return arenas, figures

    def _pool(self, arena, i, dbuf, off, daddr, figures):
        t = self.t
        state = u(dbuf, off + t.pool_state, 1)
        if state == t.pool_state_unused:
            figures["free"] += 1
            return
        if state != t.pool_state_active:
            self.warnings.add("pool descriptor at 0x%x: state %d" % (daddr, state))
            return
        kind = u(dbuf, off + t.pool_kind, 1)
        szidx = u(dbuf, off + t.pool_szidx, 1)
        bsize = u(dbuf, off + t.pool_block_size, 2)
        nblocks = u(dbuf, off + t.pool_nblocks, 2)
        bump = u(dbuf, off + t.pool_bump, 2)
        base = u(dbuf, off + t.pool_base)
        word = u(dbuf, off + t.pool_nused_flags, 4)
        bits = u(dbuf, off + t.pool_page_bits, 1)
        freemap = u(dbuf, off + t.pool_freemap)
        nused = word & t.pool_nused_mask
        flags = word >> t.pool_flags_shift
        holes = bits & t.pool_holes_mask
        armed = bool(bits & t.pool_low_armed_mask)
        pool_base = arena + i * t.pool_size
        bad = None
        if kind not in (t.kind_object, t.kind_raw):
            bad = "kind %d" % kind
        elif szidx >= t.nclasses or bsize != t.align * (szidx + 1):
            bad = "class %d with blocks of %d bytes" % (szidx, bsize)
        elif nblocks != t.pool_size // bsize or bump > nblocks:
            bad = "%d blocks, %d carved, for blocks of %d bytes" % (nblocks, bump, bsize)
        elif base != pool_base:
            bad = "first block at 0x%x, its pool is at 0x%x" % (base, pool_base)
        used = nused + (nblocks // 4 if armed else 0)
        if bad is None and used > nblocks:
            bad = "%d blocks in use of %d" % (used, nblocks)
        if bad:
            self.warnings.add("pool descriptor at 0x%x: %s; pool skipped" % (daddr, bad))
            return
        figures["used"] += 1
        figures["bitmap"] += bool(flags & t.pool_flag_map)
        figures["low_armed"] += armed
        figures["pages_released"] += bin(holes).count("1")
        cs = self.classes.get(szidx)
        if cs is None:
            cs = self.classes[szidx] = {"block_size": bsize, "pools": 0, "blocks_used": 0,
                                        "blocks_free": 0, "held": 0}
        cs["pools"] += 1
        cs["blocks_used"] += used
        cs["blocks_free"] += nblocks - used
        self.pools[pool_base] = (kind, szidx)
        if kind == t.kind_object:
            figures["object_blocks_used"] += used
            self._pool_objects(pool_base, bsize, bump, holes, freemap if flags & t.pool_flag_map else 0)

    def _pool_objects(self, base, bsize, bump, holes, freemap):
        """Counts the live objects of an object pool."""
        t = self.t
        pg = t.page_size
        span = bump * bsize
        buf = bytearray(span)
        missing = 0           # bit k: page k could not be read
        for k in range((span + pg - 1) // pg):
            if holes & (1 << k):
                continue
            lo = k * pg
            n = min(pg, span - lo)
            try:
                buf[lo:lo + n] = self.mem.read(base + lo, n)
            except TargetError as e:
                self.warnings.add("pool at 0x%x: cannot read page %d: %s" % (base, k, e))
                missing |= 1 << k
        skip = holes | missing
        o_ref, o_tid, o_flags = t.object_refcnt, t.object_type_id, t.object_flags
        tracked, gen_mask = t.of_tracked, t.of_gen_mask
        held = self.held
        for j in range(bump):
            off = j * bsize
            if skip and skip & ((1 << (off // pg)) | (1 << ((off + bsize - 1) // pg))):
                continue
            if freemap and (freemap >> j) & 1:
                continue
            if not u(buf, off + o_ref, 4):
                continue
            if held and base + off in held:
                continue
            self._count(u(buf, off + o_tid, 4), u(buf, off + o_flags, 4), tracked, gen_mask)

    def _count(self, tid, flags, tracked, gen_mask):
        name = self.rt.type_name(tid, self.warnings)
        self.types[name] = self.types.get(name, 0) + 1
        g = str(flags & gen_mask) if flags & tracked else "untracked"
        self.gens[g] = self.gens.get(g, 0) + 1
        self.objects += 1

    # ---- large blocks

    def _walk_large(self):
        t = self.t
        sentinel = self.addr + t.heap_large
        out = {"count": 0, "bytes": 0, "objects": 0, "raw": 0,
               "nlarge": u(self.buf, t.heap_nlarge), "large_bytes": u(self.buf, t.heap_large_bytes)}
        seen = set()
        broken = True
        l = u(self.buf, t.heap_large + t.large_next)
        while l != sentinel:
            if not l:
                self.warnings.add("heap at 0x%x: the large-block list ends in NULL after %d blocks"
                                  % (self.addr, out["count"]))
                break
            if l in seen:
                self.warnings.add("heap at 0x%x: the large-block list loops back to 0x%x" % (self.addr, l))
                break
            if len(seen) >= MAX_LARGE:
                self.warnings.add("heap at 0x%x: more than %d large blocks; stopped" % (self.addr, MAX_LARGE))
                break
            seen.add(l)
            try:
                lb = self.mem.read(l, t.sizeof_large)
            except TargetError as e:
                self.warnings.add("large block header at 0x%x: %s" % (l, e))
                break
            if u(lb, t.large_magic) != t.magic_large ^ l:
                self.warnings.add("large block header at 0x%x: magic 0x%016x, expected 0x%016x"
                                  % (l, u(lb, t.large_magic), t.magic_large ^ l))
                break
            if u(lb, t.large_heap) != self.addr:
                self.warnings.add("large block at 0x%x belongs to heap 0x%x" % (l, u(lb, t.large_heap)))
            size = u(lb, t.large_size)
            kind = u(lb, t.large_kind, 4)
            out["count"] += 1
            out["bytes"] += size
            if kind == t.kind_object:
                out["objects"] += 1
                obj = l + t.sizeof_large
                try:
                    hb = self.mem.read(obj, t.sizeof_object)
                except TargetError as e:
                    self.warnings.add("large object at 0x%x: %s" % (obj, e))
                else:
                    self._count(u(hb, t.object_type_id, 4), u(hb, t.object_flags, 4), t.of_tracked, t.of_gen_mask)
            else:
                out["raw"] += 1
            l = u(lb, t.large_next)
        else:
            broken = False
        if not broken and (out["count"] != out["nlarge"] or out["bytes"] != out["large_bytes"]):
            self.warnings.add("heap at 0x%x: %d large blocks of %d bytes in its list, its counts say %d of %d"
                              % (self.addr, out["count"], out["bytes"], out["nlarge"], out["large_bytes"]))
        return out

    # ---- the collector

    def _read_gc(self):
        t = self.t
        g = t.heap_gc
        b = self.buf
        phases = {t.gc_phase_idle: "idle", t.gc_phase_gather: "gather", t.gc_phase_subtract: "subtract",
                  t.gc_phase_reach: "reach", t.gc_phase_finalize: "finalize", t.gc_phase_clear: "clear"}
        phase = u(b, g + t.gc_phase, 4)
        tracked = []
        for gen in range(t.ngens):
            if gen < t.nyoung:
                gl = t.heap_gens + gen * t.sizeof_genlist
                tracked.append(u(b, gl + t.genlist_len) - u(b, gl + t.genlist_holes))
            else:
                tracked.append(u(b, t.heap_old_count + 8 * gen))
        count = [u(b, g + t.gc_count + 8 * i) for i in range(3)]
        stats = []
        for i in range(3):
            s = g + t.gc_stats + i * t.sizeof_gcstats
            stats.append({"collections": u(b, s + t.gcstats_collections),
                          "collected": u(b, s + t.gcstats_collected),
                          "uncollectable": u(b, s + t.gcstats_uncollectable)})
        return {
            "enabled": bool(u(b, g + t.gc_enabled, 4)),
            "phase": phases.get(phase, "phase %d" % phase),
            "generation": s32(b, g + t.gc_generation),
            "debug": u(b, g + t.gc_debug, 4),
            "threshold": [u(b, g + t.gc_threshold + 8 * i) for i in range(3)],
            # As rgc_gc_get_count: generation 0's members, then the counts
            # of younger collections.
            "count": [tracked[0], count[1], count[2]],
            "long_lived_total": u(b, g + t.gc_long_lived_total),
            "long_lived_pending": u(b, g + t.gc_long_lived_pending),
            "stats": stats,
            "candidates": u(b, g + t.gc_ncand),
            "garbage": u(b, g + t.gc_garbage),
            "tracked": tracked,
        }

    # ---- weak references

    def _read_weak(self):
        t = self.t
        out = {"referents": 0, "weakrefs": 0, "table": 0, "table_len": 0, "table_nrefs": 0, "linked": 0}
        wt = u(self.buf, t.heap_weak)
        out["table"] = wt
        if not wt:
            return out
        try:
            tb = self.mem.read(wt, t.sizeof_weaktab)
        except TargetError as e:
            self.warnings.add("weak reference table at 0x%x: %s" % (wt, e))
            return out
        slots = u(tb, t.weaktab_slots)
        cap = u(tb, t.weaktab_cap)
        out["table_len"] = u(tb, t.weaktab_len)
        out["table_nrefs"] = nrefs = u(tb, t.weaktab_nrefs)
        if cap == 0:
            return out
        if cap & (cap - 1) or cap > MAX_WEAKTAB:
            self.warnings.add("weak reference table at 0x%x: %d slots, not a power of two up to %d"
                              % (wt, cap, MAX_WEAKTAB))
            return out
        try:
            sb = self.mem.read(slots, cap * t.sizeof_weakslot)
        except TargetError as e:
            self.warnings.add("weak reference table at 0x%x: its slots: %s" % (wt, e))
            return out
        in_table = 0
        for i in range(cap):
            so = i * t.sizeof_weakslot
            referent = u(sb, so + t.weakslot_referent)
            if not referent:
                continue
            in_table += 1
            live = 0
            seen = set()
            w = u(sb, so + t.weakslot_head)
            while w:
                if w in seen or len(seen) > min(nrefs, MAX_WEAKREFS):
                    self.warnings.add("weak references to 0x%x: their list loops (at 0x%x)" % (referent, w))
                    break
                seen.add(w)
                try:
                    wb = self.mem.read(w, max(t.sizeof_weakref, t.sizeof_object))
                except TargetError as e:
                    self.warnings.add("weak reference at 0x%x (to 0x%x): %s" % (w, referent, e))
                    break
                if u(wb, t.weakref_referent) != referent:
                    self.warnings.add("weak reference at 0x%x is on the list of 0x%x but refers to 0x%x"
                                      % (w, referent, u(wb, t.weakref_referent)))
                if u(wb, t.object_refcnt, 4):
                    live += 1
                w = u(wb, t.weakref_next)
            out["linked"] += len(seen)
            if live:
                try:
                    alive = self.mem.u32(referent + t.object_refcnt) != 0
                except TargetError as e:
                    self.warnings.add("weakly referenced object at 0x%x: %s" % (referent, e))
                    alive = False
                if alive:
                    out["referents"] += 1
                    out["weakrefs"] += live
        if in_table != out["table_len"] or out["linked"] != nrefs:
            self.warnings.add("weak reference table at 0x%x: %d referents and %d weakrefs found, it counts "
                              "%d and %d" % (wt, in_table, out["linked"], out["table_len"], nrefs))
        return out

    # ---- the recorder (recorder.py)

    def history(self, addr):
        """Every event of the heap's ring that touches addr (recorder.py),
        with the ring's state, the heap's name and address."""
        out = _recorder.history(self, addr)
        out["heap"] = _heap_name(self.t, self.buf)
        out["heap_address"] = self.addr
        out["warnings"] = list(self.warnings)
        return out

    # ---- allocation tracing

    def _read_trace(self):
        """The heap's traces (trace.py), or None when it does not trace."""
        t = self.t
        tr = u(self.buf, t.heap_trace)
        out = None
        if tr:
            out = _trace.read_trace(self.mem, t, self.addr, tr, self.warnings, self.rt.symbolizer,
                                    self.rt.max_sites)
        if not tr or out.get("readable"):
            # The heap's raw allocations find its sampling trace by this
            # flag: without it, none of them is sampled.
            flags = u(self.buf, t.heap_flags, 4)
            flagged = bool(flags & t.heap_flag_sampling)
            sampling = bool(out and out.get("sample_bytes"))
            if flagged and not sampling:
                self.warnings.add("heap 0x%x: flags 0x%x say it traces a sample, but it %s" % (
                    self.addr, flags,
                    "traces every allocation" if out else "does not trace") +
                    ": its raw allocations take the sampling path for nothing")
            elif sampling and not flagged:
                self.warnings.add("heap 0x%x: its trace samples, but flags 0x%x lack the sampling flag: "
                                  "its raw allocations are never sampled" % (self.addr, flags))
        return out


def _heap_name(t, buf):
    return buf[t.heap_name:t.heap_name + t.heap_name_size].split(b"\0")[0].decode("utf-8", "replace")


def read_runtime(target, table, max_events=64, max_sites=10):
    """Everything the reader reports, as a dict (see reader.py)."""
    return Runtime(target, table, max_events, max_sites).read()


def address_history(target, table, addr):
    """(each heap's recorded events that touch addr, as Runtime.history
    gives them; the warnings of the runtime's reads)."""
    rt = Runtime(target, table)
    return rt.history(addr), list(rt.warnings)


def block_trace(target, table, block):
    """(the trace of block as Runtime.block_trace gives it, or None; the
    warnings of what was read to find it)."""
    rt = Runtime(target, table)
    return rt.block_trace(block), list(rt.warnings)
