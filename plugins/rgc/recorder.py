"""The event recorder of a heap, read from its ring (docs/debug-abi.md,
"The event recorder"): its state, its last events, and the events that
touch one address (what `--history` prints).

The ring is read RING_CHUNK bytes at a time, records filtered on their raw
bytes before they are decoded; a ring that cannot be read is one warning
naming its address, and what was read before still counts.
"""

import struct

from .errors import TargetError

MAX_RING = 1 << 24
RING_CHUNK = 1 << 20  # bytes of a ring read at once

_U = {1: struct.Struct("<B"), 4: struct.Struct("<I"), 8: struct.Struct("<Q")}


def _u(buf, off, width=8):
    return _U[width].unpack_from(buf, off)[0]


def read_recorder(walk, limit=None, keep=None):
    """The recorder of the heap `walk` (a heap.HeapWalk) reads: its state
    and its last events, at most `limit` (by default the reader's
    --events); with `keep`, only the records for which keep(buf, off) is
    true among them."""
    t = walk.t
    r = t.heap_recorder
    events = _u(walk.buf, r + t.recorder_events)
    cap = _u(walk.buf, r + t.recorder_cap)
    seq = _u(walk.buf, r + t.recorder_seq)
    out = {"events_address": events, "capacity": cap, "seq": seq, "events": []}
    if "heap_flag_recording" in t:
        # The heap's raw paths find its recorder by this flag (and its raw
        # pools' tags): without it, raw events go unrecorded.
        flags = _u(walk.buf, t.heap_flags, 4)
        if bool(flags & t.heap_flag_recording) != bool(cap):
            walk.warnings.add("heap 0x%x: flags 0x%x say its recorder is %s, its capacity %d says %s: %s"
                              % (walk.addr, flags, "on" if flags & t.heap_flag_recording else "off", cap,
                                 "on" if cap else "off",
                                 "its raw allocations and frees go unrecorded" if cap
                                 else "its raw allocations take the recording path for nothing"))
    if not cap or not events:
        return out
    if cap & (cap - 1) or cap > MAX_RING:
        walk.warnings.add("recorder of heap 0x%x: capacity %d, not a power of two up to %d"
                          % (walk.addr, cap, MAX_RING))
        return out
    n = min(seq, cap, walk.rt.max_events if limit is None else limit)
    out["events"] = list(_ring_events(walk, events, cap, seq, n, keep))
    return out


def _ring_events(walk, events, cap, seq, n, keep=None):
    """The ring's last n events, oldest first, decoded (those keep passes,
    when given).  The records are rgc_record_t, or in a table without them
    (an earlier build of version 1) whole events."""
    t, rt = walk.t, walk.rt
    records = "sizeof_record" in t
    es = t.sizeof_record if records else t.sizeof_event
    s = seq - n + 1
    while s <= seq:
        idx = (s - 1) & (cap - 1)
        count = min(seq - s + 1, cap - idx, max(1, RING_CHUNK // es))
        try:
            buf = walk.mem.read(events + idx * es, count * es)
        except TargetError as e:
            # (One line for the ring: the rest of it is most likely as
            # unreadable.)
            walk.warnings.add("recorder of heap 0x%x: its events at 0x%x: %s" % (walk.addr, events, e))
            return
        for k in range(count):
            if keep is not None and not keep(buf, k * es):
                continue
            ev = rt.record(buf, k * es, s + k) if records else rt.event(buf, k * es)
            if ev["seq"] != s + k:
                walk.warnings.add("recorder of heap 0x%x: the record for event %d holds event %d"
                                  % (walk.addr, s + k, ev["seq"]))
            yield ev
        s += count


def history(walk, addr):
    """Every event of the heap's whole ring that touches addr — an
    allocation or free whose block [address, address + size) holds it, any
    event at addr itself — oldest first, with the ring's state."""
    t = walk.t
    if "sizeof_record" in t:
        ko, kw, ao, so = t.record_kind, 1, t.record_address, t.record_size
    else:
        ko, kw, ao, so = t.event_kind, 4, t.event_address, t.event_size
    blocks = (t.ev_alloc, t.ev_free)

    def keep(buf, off):
        a = _u(buf, off + ao)
        if a == addr:
            return True
        return _u(buf, off + ko, kw) in blocks and a < addr < a + _u(buf, off + so)

    return read_recorder(walk, limit=MAX_RING, keep=keep)
