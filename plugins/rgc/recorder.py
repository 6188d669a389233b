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
    --events); with `keep`, only the events for which keep(kind, address,
    size) is true among them."""
    t = walk.t
    r = t.heap_recorder
    events = _u(walk.buf, r + t.recorder_events)
    cap = _u(walk.buf, r + t.recorder_cap)
    seq = _u(walk.buf, r + t.recorder_seq)
    out = {"events_address": events, "capacity": cap, "seq": seq, "events": []}
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
    if cap & (cap - 1) or cap < 2 or cap > MAX_RING:
        walk.warnings.add("recorder of heap 0x%x: capacity %d, not a power of two from 2 to %d"
                          % (walk.addr, cap, MAX_RING))
        return out
    n = walk.rt.max_events if limit is None else limit
    got = []
    for ev in _ring_events(walk, events, cap, seq, keep):
        if len(got) >= n:
            break
        got.append(ev)
    got.reverse()
    out["events"] = [walk.rt.decoded(*ev) for ev in got]
    return out


def _slots_back(walk, events, cap, seq):
    """The ring's slots from the last back to the oldest it holds, as
    (number, where, what), read RING_CHUNK bytes at a time."""
    t = walk.t
    es = t.sizeof_record
    wo, ho = t.record_where, t.record_what
    lo, hi = sorted((wo, ho))
    layout = struct.Struct("<%dxQ%dxQ%dx" % (lo, hi - lo - 8, es - hi - 8))
    first = seq - cap + 1 if seq > cap else 1
    s = seq
    while s >= first:
        idx = (s - 1) & (cap - 1)
        count = min(s - first + 1, idx + 1, max(1, RING_CHUNK // es))
        start = idx - count + 1
        try:
            buf = walk.mem.read(events + start * es, count * es)
        except TargetError as e:
            # (One line for the ring: the rest of it is most likely as
            # unreadable.)
            walk.warnings.add("recorder of heap 0x%x: its events at 0x%x: %s" % (walk.addr, events, e))
            return
        slots = list(layout.iter_unpack(buf))
        for k in range(count - 1, -1, -1):
            a, b = slots[k]
            yield (s - (count - 1 - k),) + ((a, b) if wo < ho else (b, a))
        s -= count


def _ring_events(walk, events, cap, seq, keep=None):
    """The ring's events from the last back, as (seq, kind, type_id,
    address, size, site) (those keep passes, when given), an event's
    number that of its first slot.  A slot whose lap is not its number's,
    or that a long record's other slot does not match, is one warning and
    no event."""
    t = walk.t
    low = (1 << t.record_low_bits) - 1
    size_mask = (1 << t.record_size_bits) - 1
    kind_mask = (1 << (t.record_lap_shift - t.record_kind_shift)) - 1
    lap_shift = cap.bit_length() - 1
    wrapped = seq > cap
    more = None  # a long record's second slot, waiting for its first

    def bad(s, why):
        walk.warnings.add("recorder of heap 0x%x: slot %d %s" % (walk.addr, s, why))

    for s, where, what in _slots_back(walk, events, cap, seq):
        lap = what >> t.record_lap_shift
        kind = what >> t.record_kind_shift & kind_mask
        if lap != ((s - 1) >> lap_shift) & 3:
            # Of an earlier lap of the ring, or never written: the event
            # the slot should hold is lost.
            bad(s, "holds no event of this lap (lap %d, kind %d)" % (lap, kind))
            more = None
            continue
        if more is not None:
            ms, mwhere, mwhat = more
            more = None
            if kind == t.record_long:
                ev = (s, what >> t.record_low_bits & size_mask, mwhat >> 16 & 0xFFFF, where,
                      (what & low) | (mwhat & 0xFFFF) << t.record_low_bits, mwhere)
                if keep is None or keep(ev[1], ev[3], ev[4]):
                    yield ev
                continue
            bad(ms, "continues a long record that slot %d does not start" % s)
        if kind == t.record_more:
            more = (s, where, what)
        elif kind == t.record_long:
            bad(s, "starts a long record that slot %d does not continue" % (s + 1))
        else:
            ev = (s, kind, where >> t.record_low_bits, where & low, what >> t.record_low_bits & size_mask,
                  what & low)
            if keep is None or keep(ev[1], ev[3], ev[4]):
                yield ev
    if more is not None and not wrapped:
        bad(more[0], "continues a long record that no slot starts")


def history(walk, addr):
    """Every event of the heap's whole ring that touches addr — an
    allocation or free whose block [address, address + size) holds it, any
    event at addr itself — oldest first, with the ring's state."""
    t = walk.t
    blocks = (t.ev_alloc, t.ev_free)

    def keep(kind, a, size):
        return a == addr or (kind in blocks and a < addr < a + size)

    return read_recorder(walk, limit=MAX_RING, keep=keep)
