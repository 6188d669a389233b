"""The debug table: its version 2 layout, finding it in a target, checking it.

The table (include/rgc_debug.h) is a 24-byte header followed by 8-byte
entries in a fixed order.  This reader holds its own list of the version 2
entries, in that order, with what it knows of each field (its struct and
its width); it does not trust the header to describe itself beyond the
header's fixed fields.  tests/plugins/test_table_names.py holds the list
to the header's X-macro.

The table is found three ways (find_table):

  symbol   the dynamic symbol rgc_debug_table of the main executable or of
           a mapped librgc*.so, plus that file's load bias
  section  the .rgc_debug section of the same files
  scan     the 8-byte cookie, 8-byte aligned, in the target's memory
           (stripped programs, cores whose files are gone)
"""

import os
import struct

from . import elf
from .errors import ElfError, NoTableError, TableError, TargetError

COOKIE = b"\x89rgcDBG\x1a"
VERSION = 2
HEADER_SIZE = 24
SYMBOL = "rgc_debug_table"
SECTION = ".rgc_debug"

_HEADER = struct.Struct("<8sIIBBHI")

# Field widths that depend on other entries.
def _types_width(t):
    return 8 * t.max_types


def _small_ints_width(t):
    return 8 * (t.int_cache_max - t.signed("int_cache_min") + 1)


def _per_class_width(t):
    return 8 * t.nkinds * t.nclasses


# The version 2 entries in table order: (name, kind, struct, width).
#   kind "S": sizeof_<struct>       "F": a field's offset in struct
#   kind "K": a constant            "A": an address in the target
# width: bytes the reader reads at that offset -- a number, the name of
# another entry (its value), or a function of the table.
ENTRIES = [
    # the runtime root
    ("runtime_address", "A", None, None),
    ("sizeof_runtime", "S", "runtime", None),
    ("runtime_magic", "F", "runtime", 8),
    ("runtime_heaps", "F", "runtime", 8),
    ("runtime_nheaps", "F", "runtime", 8),
    ("runtime_arena_map", "F", "runtime", 8),
    ("runtime_ntypes", "F", "runtime", 4),
    ("runtime_types", "F", "runtime", _types_width),
    ("runtime_hooks", "F", "runtime", "sizeof_hooks"),
    ("magic_runtime", "K", None, None),
    ("max_types", "K", None, None),
    # debugger hooks
    ("hook_function", "A", None, None),
    ("refcnt_watch_address", "A", None, None),
    ("sizeof_hooks", "S", "hooks", None),
    ("hooks_mask", "F", "hooks", 1),
    ("hooks_watching", "F", "hooks", 1),
    ("hooks_type_id", "F", "hooks", 4),
    ("hooks_generation", "F", "hooks", 4),
    ("hooks_address", "F", "hooks", 8),
    ("hooks_hits", "F", "hooks", 8),
    ("hooks_event", "F", "hooks", "sizeof_event"),
    ("hooks_observers", "F", "hooks", 4),
    # heaps
    ("sizeof_heap", "S", "heap", None),
    ("heap_magic", "F", "heap", 8),
    ("heap_usable", "F", "heap", _per_class_width),
    ("heap_flags", "F", "heap", 4),
    ("heap_held", "F", "heap", _per_class_width),
    ("heap_gens", "F", "heap", lambda t: t.sizeof_genlist * t.nyoung),
    ("heap_old_count", "F", "heap", lambda t: 8 * t.ngens),
    ("heap_arenas", "F", "heap", 8),
    ("heap_spare", "F", "heap", 8),
    ("heap_large", "F", "heap", "sizeof_large"),
    ("heap_narenas", "F", "heap", 8),
    ("heap_arenas_allocated", "F", "heap", 8),
    ("heap_arenas_freed", "F", "heap", 8),
    ("heap_arenas_highwater", "F", "heap", 8),
    ("heap_nlarge", "F", "heap", 8),
    ("heap_large_bytes", "F", "heap", 8),
    ("heap_dirty_pools", "F", "heap", 8),
    ("heap_active_pools", "F", "heap", 8),
    ("heap_dealloc_pending", "F", "heap", 8),
    ("heap_gc", "F", "heap", "sizeof_gc"),
    ("heap_weak", "F", "heap", 8),
    ("heap_small_ints", "F", "heap", _small_ints_width),
    ("heap_interned", "F", "heap", 8),
    ("heap_recorder", "F", "heap", "sizeof_recorder"),
    ("heap_next", "F", "heap", 8),
    ("heap_prev", "F", "heap", 8),
    ("heap_name", "F", "heap", "heap_name_size"),
    ("heap_name_size", "K", None, None),
    ("magic_heap", "K", None, None),
    ("heap_flag_fill", "K", None, None),
    ("empty_pool_address", "A", None, None),
    # young generations' member arrays
    ("sizeof_genlist", "S", "genlist", None),
    ("genlist_items", "F", "genlist", 8),
    ("genlist_len", "F", "genlist", 8),
    ("genlist_cap", "F", "genlist", 8),
    ("genlist_holes", "F", "genlist", 8),
    # the collector's state
    ("sizeof_gc", "S", "gc", None),
    ("gc_enabled", "F", "gc", 4),
    ("gc_phase", "F", "gc", 4),
    ("gc_generation", "F", "gc", 4),
    ("gc_debug", "F", "gc", 4),
    ("gc_threshold", "F", "gc", 24),
    ("gc_count", "F", "gc", 24),
    ("gc_long_lived_total", "F", "gc", 8),
    ("gc_long_lived_pending", "F", "gc", 8),
    ("gc_stats", "F", "gc", lambda t: 3 * t.sizeof_gcstats),
    ("gc_cand", "F", "gc", 8),
    ("gc_ncand", "F", "gc", 8),
    ("gc_nreach", "F", "gc", 8),
    ("gc_garbage", "F", "gc", 8),
    ("sizeof_gcstats", "S", "gcstats", None),
    ("gcstats_collections", "F", "gcstats", 8),
    ("gcstats_collected", "F", "gcstats", 8),
    ("gcstats_uncollectable", "F", "gcstats", 8),
    ("ngens", "K", None, None),
    ("nyoung", "K", None, None),
    ("gen_permanent", "K", None, None),
    ("gc_phase_idle", "K", None, None),
    ("gc_phase_gather", "K", None, None),
    ("gc_phase_subtract", "K", None, None),
    ("gc_phase_reach", "K", None, None),
    ("gc_phase_finalize", "K", None, None),
    ("gc_phase_clear", "K", None, None),
    # arenas (their fields overlay the header pool's descriptor)
    ("sizeof_arena", "S", "arena", None),
    ("arena_magic", "F", "arena", 8),
    ("arena_nfree", "F", "arena", 4),
    ("arena_free_pools", "F", "arena", 8),
    ("arena_heap", "F", "arena", 8),
    ("arena_next", "F", "arena", 8),
    ("arena_prev", "F", "arena", 8),
    ("magic_arena", "K", None, None),
    ("arena_size", "K", None, None),
    ("arena_shift", "K", None, None),
    ("arena_colours", "K", None, None),
    ("pools_per_arena", "K", None, None),
    # pool descriptors
    ("sizeof_pool", "S", "pool", None),
    ("pool_free", "F", "pool", 8),
    ("pool_nused_flags", "F", "pool", 4),
    ("pool_state", "F", "pool", 1),
    ("pool_kind", "F", "pool", 1),
    ("pool_szidx", "F", "pool", 1),
    ("pool_page_bits", "F", "pool", 1),
    ("pool_tag", "F", "pool", 8),
    ("pool_freemap", "F", "pool", 8),
    ("pool_block_size", "F", "pool", 2),
    ("pool_nblocks", "F", "pool", 2),
    ("pool_bump", "F", "pool", 2),
    ("pool_decommitted", "F", "pool", 1),
    ("pool_next", "F", "pool", 8),
    ("pool_prev", "F", "pool", 8),
    ("pool_base", "F", "pool", 8),
    ("pool_size", "K", None, None),
    ("pool_shift", "K", None, None),
    ("page_size", "K", None, None),
    ("page_shift", "K", None, None),
    ("pool_state_unused", "K", None, None),
    ("pool_state_active", "K", None, None),
    ("pool_state_header", "K", None, None),
    ("pool_nused_mask", "K", None, None),
    ("pool_flags_shift", "K", None, None),
    ("pool_flag_full", "K", None, None),
    ("pool_flag_fill", "K", None, None),
    ("pool_flag_map", "K", None, None),
    ("pool_flag_holes", "K", None, None),
    ("pool_holes_mask", "K", None, None),
    ("pool_low_armed_mask", "K", None, None),
    ("pool_tag_object", "K", None, None),
    ("pool_tag_slow", "K", None, None),
    ("kind_object", "K", None, None),
    ("kind_raw", "K", None, None),
    ("nkinds", "K", None, None),
    ("small_max", "K", None, None),
    ("align", "K", None, None),
    ("nclasses", "K", None, None),
    ("map_class", "K", None, None),
    ("fill_fresh", "K", None, None),
    ("fill_freed", "K", None, None),
    ("fill_guard", "K", None, None),
    ("freed_word", "K", None, None),
    # large blocks
    ("sizeof_large", "S", "large", None),
    ("large_magic", "F", "large", 8),
    ("large_heap", "F", "large", 8),
    ("large_next", "F", "large", 8),
    ("large_prev", "F", "large", 8),
    ("large_size", "F", "large", 8),
    ("large_kind", "F", "large", 4),
    ("magic_large", "K", None, None),
    # the object header
    ("sizeof_object", "S", "object", None),
    ("object_refcnt", "F", "object", 4),
    ("object_type_id", "F", "object", 4),
    ("object_flags", "F", "object", 4),
    ("object_gc_index", "F", "object", 4),
    ("refcnt_immortal", "K", None, None),
    ("of_gen_mask", "K", None, None),
    ("of_tracked", "K", None, None),
    ("of_finalized", "K", None, None),
    ("of_large", "K", None, None),
    ("of_immortal", "K", None, None),
    ("of_interned", "K", None, None),
    ("of_teardown", "K", None, None),
    ("of_weakrefed", "K", None, None),
    ("of_scratch_mask", "K", None, None),
    # types
    ("sizeof_type", "S", "type", None),
    ("type_id", "F", "type", 4),
    ("type_flags", "F", "type", 4),
    ("type_name", "F", "type", 8),
    ("type_basic_size", "F", "type", 8),
    ("type_item_size", "F", "type", 8),
    ("type_nitems_offset", "F", "type", 4),
    ("type_n_ref_fields", "F", "type", 4),
    ("type_n_ref_arrays", "F", "type", 4),
    ("type_is_gc", "F", "type", 4),
    ("type_ref_fields", "F", "type", 8),
    ("type_ref_arrays", "F", "type", 8),
    ("type_traverse", "F", "type", 8),
    ("type_finalize", "F", "type", 8),
    ("type_dealloc", "F", "type", 8),
    ("tf_var", "K", None, None),
    ("tf_legacy_finalizer", "K", None, None),
    ("tf_weakrefable", "K", None, None),
    ("tf_no_gc", "K", None, None),
    ("tf_builtin", "K", None, None),
    ("sizeof_ref_field", "S", "ref_field", None),
    ("ref_field_name", "F", "ref_field", 8),
    ("ref_field_offset", "F", "ref_field", 4),
    ("sizeof_ref_array", "S", "ref_array", None),
    ("ref_array_name", "F", "ref_array", 8),
    ("ref_array_ptr_offset", "F", "ref_array", 4),
    ("ref_array_len_offset", "F", "ref_array", 4),
    ("ref_array_stride", "F", "ref_array", 4),
    ("ref_array_ref_offset", "F", "ref_array", 4),
    ("refs_inline", "K", None, None),
    # weak references
    ("sizeof_weaktab", "S", "weaktab", None),
    ("weaktab_slots", "F", "weaktab", 8),
    ("weaktab_cap", "F", "weaktab", 8),
    ("weaktab_len", "F", "weaktab", 8),
    ("weaktab_nrefs", "F", "weaktab", 8),
    ("sizeof_weakslot", "S", "weakslot", None),
    ("weakslot_referent", "F", "weakslot", 8),
    ("weakslot_head", "F", "weakslot", 8),
    ("sizeof_weakref", "S", "weakref", None),
    ("weakref_referent", "F", "weakref", 8),
    ("weakref_ctx", "F", "weakref", 8),
    ("weakref_callback", "F", "weakref", 8),
    ("weakref_prev", "F", "weakref", 8),
    ("weakref_next", "F", "weakref", 8),
    ("weakref_hash", "F", "weakref", 8),
    ("keyedref_key", "F", "keyedref", 8),
    ("weakdict_dict", "F", "weakdict", 8),
    # the built-in types (no sizeof: their size is the type's basic_size)
    ("int_value", "F", "int", 8),
    ("float_value", "F", "float", 8),
    ("str_nbytes", "F", "str", 8),
    ("str_length", "F", "str", 8),
    ("str_hash", "F", "str", 8),
    ("str_data", "F", "str", 0),
    ("bytes_len", "F", "bytes", 8),
    ("bytes_data", "F", "bytes", 0),
    ("tuple_len", "F", "tuple", 8),
    ("tuple_items", "F", "tuple", 0),
    ("list_len", "F", "list", 8),
    ("list_cap", "F", "list", 8),
    ("list_items", "F", "list", 8),
    ("dict_used", "F", "dict", 8),
    ("dict_nentries", "F", "dict", 8),
    ("dict_entries", "F", "dict", 8),
    ("sizeof_dict_entry", "S", "dict_entry", None),
    ("dict_entry_hash", "F", "dict_entry", 8),
    ("dict_entry_key", "F", "dict_entry", 8),
    ("dict_entry_value", "F", "dict_entry", 8),
    ("set_used", "F", "set", 8),
    ("set_nentries", "F", "set", 8),
    ("set_entries", "F", "set", 8),
    ("sizeof_set_entry", "S", "set_entry", None),
    ("set_entry_hash", "F", "set_entry", 8),
    ("set_entry_key", "F", "set_entry", 8),
    ("array_len", "F", "array", 8),
    ("array_kind", "F", "array", 4),
    ("array_itemsize", "F", "array", 4),
    ("array_data", "F", "array", 8),
    ("instance_dict", "F", "instance", 8),
    ("int_cache_min", "K", None, None),
    ("int_cache_max", "K", None, None),
    # the event recorder and its records
    ("sizeof_recorder", "S", "recorder", None),
    ("recorder_events", "F", "recorder", 8),
    ("recorder_cap", "F", "recorder", 8),
    ("recorder_seq", "F", "recorder", 8),
    ("sizeof_event", "S", "event", None),
    ("event_seq", "F", "event", 8),
    ("event_kind", "F", "event", 4),
    ("event_type_id", "F", "event", 4),
    ("event_address", "F", "event", 8),
    ("event_size", "F", "event", 8),
    ("event_site", "F", "event", 8),
    ("ev_alloc", "K", None, None),
    ("ev_free", "K", None, None),
    ("ev_zero", "K", None, None),
    ("ev_gc_start", "K", None, None),
    ("ev_gc_end", "K", None, None),
    ("ev_error", "K", None, None),
    ("ev_refcnt", "K", None, None),
    # allocation tracing (read when the table has them: see NEEDED)
    ("heap_trace", "F", "heap", 8),
    ("sizeof_trace", "S", "trace", None),
    ("trace_nframes", "F", "trace", 4),
    ("trace_sample_bytes", "F", "trace", 8),
    ("trace_entries", "F", "trace", 8),
    ("trace_cap", "F", "trace", 8),
    ("trace_len", "F", "trace", 8),
    ("trace_tracebacks", "F", "trace", 8),
    ("trace_tb_stride", "F", "trace", 8),
    ("trace_tb_len", "F", "trace", 8),
    ("trace_current", "F", "trace", 8),
    ("trace_peak", "F", "trace", 8),
    ("sizeof_trace_entry", "S", "trace_entry", None),
    ("trace_entry_address", "F", "trace_entry", 8),
    ("trace_entry_size", "F", "trace_entry", 8),
    ("trace_entry_traceback", "F", "trace_entry", 4),
    ("sizeof_traceback", "S", "traceback", None),
    ("traceback_site", "F", "traceback", 8),
    ("traceback_nframes", "F", "traceback", 4),
    ("traceback_frames", "F", "traceback", 0),
    ("sizeof_site", "S", "site", None),
    ("site_file", "F", "site", 8),
    ("site_function", "F", "site", 8),
    ("site_line", "F", "site", 4),
    ("of_traced", "K", None, None),
    ("trace_max_frames", "K", None, None),
    # traces of small blocks, in slots beside their pools
    ("trace_arenas", "F", "trace", 8),
    ("trace_arenas_cap", "F", "trace", 8),
    ("trace_pooled", "F", "trace", 8),
    ("sizeof_trace_arena", "S", "trace_arena", None),
    ("trace_arena_base", "F", "trace_arena", 8),
    ("trace_arena_pools", "F", "trace_arena", lambda t: 8 * t.pools_per_arena),
    ("sizeof_trace_pool", "S", "trace_pool", None),
    ("trace_pool_base", "F", "trace_pool", 8),
    ("trace_pool_block_size", "F", "trace_pool", 2),
    ("trace_pool_nblocks", "F", "trace_pool", 2),
    ("trace_pool_used", "F", "trace_pool", 4),
    ("trace_pool_slots", "F", "trace_pool", 0),
    ("sizeof_trace_slot", "S", "trace_slot", None),
    ("trace_slot_traceback", "F", "trace_slot", 4),
    ("trace_slot_size", "F", "trace_slot", 4),
    ("trace_arenas_len", "F", "trace", 8),
    ("hooks_sampling", "F", "hooks", 1),
    ("hooks_samplers", "F", "hooks", 4),
    ("pool_tag_traced", "K", None, None),
    ("runtime_free_gate", "F", "runtime", 8),
    ("runtime_alloc_gate", "F", "runtime", 8),
    ("free_gate_open", "K", None, None),
    ("alloc_gate_open", "K", None, None),
    # the recorder's ring: 16-byte slots of two packed words
    ("sizeof_record", "S", "record", None),
    ("record_where", "F", "record", 8),
    ("record_what", "F", "record", 8),
    ("record_low_bits", "K", None, None),
    ("record_size_bits", "K", None, None),
    ("record_kind_shift", "K", None, None),
    ("record_lap_shift", "K", None, None),
    ("record_long", "K", None, None),
    ("record_more", "K", None, None),
    # the mask bits that close each gate
    ("free_gate_kinds", "K", None, None),
    ("alloc_gate_kinds", "K", None, None),
    # the gates' input, and what diverts a recording heap's raw paths
    # while the gates stay open
    ("hooks_tracing", "F", "hooks", 1),
    ("hooks_tracers", "F", "hooks", 4),
    ("pool_tag_record", "K", None, None),
    ("heap_flag_recording", "K", None, None),
    # what diverts a sampling heap's raw allocations
    ("heap_flag_sampling", "K", None, None),
    # the hooks' byte that is always 1 (the decref's compare)
    ("hooks_one", "F", "hooks", 1),
]

ENTRY_NAMES = [e[0] for e in ENTRIES]

# A table of version 2 has every entry of this list (version 2 began
# with all of them); one of a later build may have more, added at the end,
# which the reader ignores.
NEEDED = len(ENTRIES)
V2_SIZE = HEADER_SIZE + 8 * NEEDED

# Limits past which a constant means a table that is not what it claims.
_PLAUSIBLE = {
    "max_types": 1 << 24, "nkinds": 16, "nclasses": 256, "ngens": 16, "nyoung": 16,
    "pools_per_arena": 4096, "arena_colours": 4096, "heap_name_size": 4096,
    "sizeof_pool": 4096, "sizeof_heap": 1 << 24, "sizeof_event": 4096,
    "sizeof_trace": 4096, "sizeof_trace_entry": 4096, "sizeof_traceback": 4096, "sizeof_site": 4096,
    "sizeof_trace_arena": 8 + 8 * 4096, "sizeof_trace_pool": 4096, "sizeof_trace_slot": 4096,
    "sizeof_record": 4096,
}


class DebugTable:
    """A checked debug table: entries by name, as attributes or items.

    address, version, size (table_size), method ("symbol", "section",
    "scan" or the host's), source (where it was found) and entries (name ->
    value) describe it.
    """

    def __init__(self, address, version, size, initialized, entries, method, source):
        self.address = address
        self.version = version
        self.size = size
        self.initialized = initialized
        self.entries = entries
        self.method = method
        self.source = source

    def __getattr__(self, name):
        entries = self.__dict__.get("entries")
        if entries is not None and name in entries:
            return entries[name]
        raise AttributeError(name)

    def __getitem__(self, name):
        return self.entries[name]

    def __contains__(self, name):
        return name in self.entries

    def signed(self, name):
        v = self.entries[name]
        return v - (1 << 64) if v >= 1 << 63 else v

    def describe(self):
        return "debug table v%d at 0x%x (%s)" % (self.version, self.address, self.source)


def field_width(table, width):
    if width is None:
        return 0
    if isinstance(width, int):
        return width
    if isinstance(width, str):
        return table[width]
    return width(table)


def check_table(target, address, method, source):
    """Reads and checks the table at address; a DebugTable or TableError."""
    where = "at 0x%x (%s)" % (address, source)
    try:
        head = target.read(address, HEADER_SIZE)
    except TargetError as e:
        raise TableError("cannot read the debug table %s: %s" % (where, e)) from None
    cookie, version, size, psize, order, esize, initialized = _HEADER.unpack(head)
    if cookie != COOKIE:
        raise TableError("wrong cookie at 0x%x (%s): %s, expected %s (not an rgc debug table)"
                         % (address, source, cookie.hex(" "), COOKIE.hex(" ")))
    if version != VERSION:
        raise TableError("unknown debug table version %d at 0x%x: this reader knows %d"
                         % (version, address, VERSION))
    if psize != 8:
        raise TableError("debug table %s: pointer size %d, this reader reads 8" % (where, psize))
    if order != 1:
        raise TableError("debug table %s: byte order %d, this reader reads 1 (little-endian)" % (where, order))
    if esize != 8:
        raise TableError("debug table %s: entries of %d bytes, this reader reads 8" % (where, esize))
    if size < V2_SIZE:
        raise TableError("debug table %s: %d bytes, version 2 needs at least %d" % (where, size, V2_SIZE))
    known = len(ENTRIES)
    try:
        raw = target.read(address + HEADER_SIZE, 8 * known)
    except TargetError as e:
        raise TableError("cannot read the debug table %s: %s" % (where, e)) from None
    values = struct.unpack("<%dQ" % known, raw)
    entries = dict(zip(ENTRY_NAMES, values))
    table = DebugTable(address, version, size, initialized, entries, method, source)
    _check_constants(table, where)
    _check_fields(table, where)
    if initialized:
        # Before the runtime set up its root, the root is empty (all zero).
        _check_root(target, table, where)
    return table


def _check_constants(t, where):
    for name, limit in _PLAUSIBLE.items():
        if not 0 < t[name] <= limit:
            raise TableError("debug table %s: %s is %d, not a plausible value" % (where, name, t[name]))
    for size, shift in (("arena_size", "arena_shift"), ("pool_size", "pool_shift"), ("page_size", "page_shift")):
        if t[shift] >= 64 or t[size] != 1 << t[shift]:
            raise TableError("debug table %s: %s %d is not 1 << %s (%d)" % (where, size, t[size], shift, t[shift]))
    if t.pools_per_arena * t.pool_size != t.arena_size or t.pool_size % t.page_size:
        raise TableError("debug table %s: %d pools of %d bytes do not make an arena of %d"
                         % (where, t.pools_per_arena, t.pool_size, t.arena_size))
    if t.sizeof_pool * t.pools_per_arena > t.page_size:
        raise TableError("debug table %s: %d pool descriptors of %d bytes do not fit the header page"
                         % (where, t.pools_per_arena, t.sizeof_pool))
    if t.align * t.nclasses != t.small_max:
        raise TableError("debug table %s: %d classes of %d bytes do not reach small_max %d"
                         % (where, t.nclasses, t.align, t.small_max))
    if t.sizeof_object > t.align:
        raise TableError("debug table %s: an object header of %d bytes does not fit the smallest block (%d)"
                         % (where, t.sizeof_object, t.align))
    if t.sizeof_arena > t.sizeof_pool:
        raise TableError("debug table %s: the arena (%d bytes) does not fit a pool descriptor (%d)"
                         % (where, t.sizeof_arena, t.sizeof_pool))
    if t.signed("int_cache_min") > t.int_cache_max:
        raise TableError("debug table %s: int cache %d..%d" % (where, t.signed("int_cache_min"), t.int_cache_max))
    # The ring's slots: two 8-byte words; `where` and `what` each hold an
    # address in their low bits, `what` the size, the kind and a 2-bit
    # lap above it, in that order.
    low, kind_shift, lap_shift = t.record_low_bits, t.record_kind_shift, t.record_lap_shift
    if (abs(t.record_where - t.record_what) < 8 or not 32 <= low < kind_shift < lap_shift
            or lap_shift != 62 or t.record_size_bits != kind_shift - low
            or not t.record_more < t.record_long < 1 << (lap_shift - kind_shift)):
        raise TableError("debug table %s: a recorder slot laid out as words at %d and %d, %d address bits, "
                         "%d size bits, kind from bit %d, lap from bit %d, long and more records %d and %d: "
                         "not a layout of version 2"
                         % (where, t.record_where, t.record_what, low, t.record_size_bits, kind_shift, lap_shift,
                            t.record_long, t.record_more))


def _check_fields(t, where):
    sizes = {e[2]: t[e[0]] for e in ENTRIES if e[1] == "S" and e[0] in t}
    for name, kind, struct_name, width in ENTRIES:
        if kind != "F" or struct_name not in sizes or name not in t:
            continue
        w = field_width(t, width)
        off = t[name]
        field = name[len(struct_name) + 1:]
        if off + w > sizes[struct_name]:
            raise TableError("debug table %s: field %s.%s (offset %d, %d bytes) lies outside struct %s (%d bytes)"
                             % (where, struct_name, field, off, w, struct_name, sizes[struct_name]))


def _check_root(target, t, where):
    try:
        magic = struct.unpack("<Q", target.read(t.runtime_address + t.runtime_magic, 8))[0]
    except TargetError as e:
        raise TableError("runtime root at 0x%x (from the debug table %s) cannot be read: %s"
                         % (t.runtime_address, where, e)) from None
    if magic != t.magic_runtime:
        raise TableError("runtime root at 0x%x (from the debug table %s): magic 0x%016x, expected 0x%016x"
                         % (t.runtime_address, where, magic, t.magic_runtime))


# ---- finding it

def candidate_files(target):
    """[(path, [(start, end, file offset)])]: the files whose symbol or
    section may give the table -- the main executable, then every mapped
    librgc* -- with where each is mapped."""
    maps = {}
    order = []
    for r in target.regions():
        if not r.path or r.path.startswith("["):
            continue
        if r.path not in maps:
            maps[r.path] = []
            order.append(r.path)
        maps[r.path].append((r.start, r.end, r.offset))
    exe = target.executable()
    out = []
    if exe:
        if exe in maps:
            out.append((exe, maps[exe]))
        else:
            # The target knows the program's path but not its mappings by
            # that name (a path given for a core, a moved file).
            real = os.path.realpath(exe)
            for p in order:
                if os.path.realpath(p) == real:
                    out.append((exe, maps[p]))
                    break
    for p in order:
        if p != exe and os.path.basename(p).startswith("librgc"):
            out.append((p, maps[p]))
    return out


def _from_files(target, method):
    """The addresses the mapped files' symbol or section give for the
    table: ([(address, source)], [why a file gave none])."""
    found = []
    notes = []
    for path, mappings in candidate_files(target):
        try:
            with elf.ElfFile(path) as f:
                if method == "symbol":
                    value = f.dynamic_symbol(SYMBOL)
                    kind = "dynamic symbol"
                    if value is None:
                        value = f.static_symbol(SYMBOL)
                        kind = "symbol"
                    if value is None:
                        notes.append("no symbol %s in %s" % (SYMBOL, path))
                        continue
                    what = "%s %s in %s" % (kind, SYMBOL, path)
                else:
                    sec = f.section(SECTION)
                    if sec is None:
                        notes.append("no section %s in %s" % (SECTION, path))
                        continue
                    value = sec.addr
                    what = "section %s of %s" % (SECTION, path)
                # An ET_EXEC file is loaded at its own addresses.
                bias = 0 if f.type == elf.ET_EXEC else elf.load_bias(f, mappings)
                if bias is None:
                    notes.append("%s: cannot tell where it is loaded" % path)
                    continue
                found.append(((value + bias) % (1 << 64), what))
        except (ElfError, OSError) as e:
            notes.append(str(e))
    return found, notes


def _scan(target, chunk=1 << 20):
    """Addresses of the cookie (8-byte aligned) in the target's memory:
    written file mappings first (a program's data), then the rest."""
    ranges = target.scan_ranges()

    def rank(item):
        r = item[2]
        writable = "w" in r.perms
        filed = bool(r.path) and not r.path.startswith("[")
        return (0 if writable and filed else 1 if writable else 2)

    for start, end, _r in sorted(ranges, key=rank):
        pos = start
        while pos < end:
            n = min(chunk, end - pos)
            try:
                data = target.read(pos, n)
            except TargetError:
                # Unreadable (a mapping that went away, a page a core does
                # not hold): the table is not there.
                pos += n
                continue
            i = data.find(COOKIE)
            while i >= 0:
                if (pos + i) % 8 == 0:
                    yield pos + i
                i = data.find(COOKIE, i + 1)
            # A cookie across the chunk's end is found by the next chunk.
            pos += n if pos + n >= end else n - (len(COOKIE) - 1)


METHODS = ("symbol", "section", "scan")


def find_table(target, method="auto"):
    """The target's debug table, found by method ("symbol", "section",
    "scan", or "auto": each in turn).  Raises NoTableError when nothing
    was found, or the first TableError of a table found but unusable."""
    methods = METHODS if method == "auto" else (method,)
    errors = []
    notes = []
    idle = []  # tables of a runtime not started yet: used if nothing better
    for m in methods:
        if m == "scan":
            for addr in _scan(target):
                try:
                    t = check_table(target, addr, "scan", "found by scanning for its cookie")
                except TableError as e:
                    errors.append(e)
                    continue
                if t.initialized:
                    return t
                idle.append(t)
            notes.append("no cookie in its memory")
            continue
        candidates = []
        host = target.symbol(SYMBOL) if m == "symbol" else None
        if host is not None:
            candidates.append((host, "symbol %s" % SYMBOL))
        found, why = _from_files(target, m)
        candidates += found
        notes += why
        seen = set()
        for addr, source in candidates:
            if addr in seen:
                continue
            seen.add(addr)
            try:
                t = check_table(target, addr, m, source)
            except TableError as e:
                errors.append(e)
                continue
            if t.initialized:
                return t
            idle.append(t)
    if idle:
        return idle[0]
    if errors:
        raise errors[0]
    msg = "no rgc debug table in %s (not an rgc program?)" % target.describe()
    if method != "auto" and notes:
        msg += ": " + "; ".join(notes)
    raise NoTableError(msg)
