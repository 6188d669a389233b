/*
 * rgc_debug.h — the debug ABI: the layout of the table through which a
 * tool reads an rgc heap from target memory alone (a live process or a
 * core file, optimized or stripped), without DWARF and without running code
 * in the target.  The specification, with the rules for finding the table,
 * checking it and walking a heap, is docs/debug-abi.md.
 *
 * The table is one object, `rgc_debug_table`, exported as a dynamic symbol
 * and placed in the ELF section ".rgc_debug".  It begins with a 24-byte
 * header (cookie, version, table size, pointer size, byte order); then come
 * entries of 8 bytes each, in the order of RGC_DEBUG_ENTRIES below:
 *
 *   sizeof_NAME        sizeof a struct a tool reads
 *   NAME_FIELD         the byte offset of a field in that struct
 *   a constant         geometry, magic numbers, flag bits, event kinds
 *   an address         the runtime root, the hook function, ...
 *
 * Versioning: within a version, entries are only ever added at the end
 * (table_size says how many a build has); anything else — an entry
 * removed, moved or given another meaning — bumps RGC_DEBUG_VERSION.  A
 * reader accepts a table whose version it knows and whose table_size is at
 * least the size it needs, and ignores entries past those it knows.
 */
#ifndef RGC_DEBUG_H
#define RGC_DEBUG_H

#include <stdint.h>

#include "rgc.h"

#ifdef __cplusplus
extern "C" {
#endif

/* "\x89rgcDBG\x1a": not text, not a pointer, not zero. */
#define RGC_DEBUG_COOKIE "\x89rgcDBG\x1a"
#define RGC_DEBUG_COOKIE_SIZE 8
#define RGC_DEBUG_VERSION 2u
#define RGC_DEBUG_SECTION ".rgc_debug"
#define RGC_DEBUG_SYMBOL "rgc_debug_table"

/* Bits of the hook mask, the byte a debugger writes (hooks_mask): one per
 * rgc_event_kind_t. */
#define RGC_DEBUG_HOOK_BIT(kind) (1u << (kind))

/*
 * The entries, in table order.  S(name, ctype): sizeof_name; F(name, ctype,
 * entry, member): name_entry, the offset of member in ctype; K(entry,
 * value): a constant; A(entry, address): an address in the target.  The
 * ctype, member and value arguments are the runtime's own (runtime/debug.c
 * expands them); here only the names matter.
 */
#define RGC_DEBUG_ENTRIES(S, F, K, A)                                                      \
    /* the runtime root (one per process) */                                              \
    A(runtime_address, &_rgc_runtime)                                                     \
    S(runtime, rgc_runtime_t)                                                             \
    F(runtime, rgc_runtime_t, magic, magic)                                               \
    F(runtime, rgc_runtime_t, heaps, heaps)                                               \
    F(runtime, rgc_runtime_t, nheaps, nheaps)                                             \
    F(runtime, rgc_runtime_t, arena_map, arena_map)                                       \
    F(runtime, rgc_runtime_t, ntypes, ntypes)                                             \
    F(runtime, rgc_runtime_t, types, types)                                               \
    F(runtime, rgc_runtime_t, hooks, hooks)                                               \
    K(magic_runtime, 0x746f6f7263677200ull)                                               \
    K(max_types, RGC_MAX_TYPES)                                                           \
    /* debugger hooks (embedded in the root) */                                           \
    A(hook_function, (const void *)rgc_debug_hook)                                        \
    A(refcnt_watch_address, &rgc_debug_refcnt_watch)                                      \
    S(hooks, rgc_hooks_t)                                                                 \
    F(hooks, rgc_hooks_t, mask, mask)                                                     \
    F(hooks, rgc_hooks_t, watching, watching)                                             \
    F(hooks, rgc_hooks_t, type_id, type_id)                                               \
    F(hooks, rgc_hooks_t, generation, generation)                                         \
    F(hooks, rgc_hooks_t, address, address)                                               \
    F(hooks, rgc_hooks_t, hits, hits)                                                     \
    F(hooks, rgc_hooks_t, event, event)                                                   \
    F(hooks, rgc_hooks_t, observers, observers)                                           \
    /* heaps */                                                                           \
    S(heap, rgc_heap_t)                                                                   \
    F(heap, rgc_heap_t, magic, magic)                                                     \
    F(heap, rgc_heap_t, usable, usable)                                                   \
    F(heap, rgc_heap_t, flags, flags)                                                     \
    F(heap, rgc_heap_t, held, held)                                                       \
    F(heap, rgc_heap_t, gens, gens)                                                       \
    F(heap, rgc_heap_t, old_count, old_count)                                             \
    F(heap, rgc_heap_t, arenas, arenas)                                                   \
    F(heap, rgc_heap_t, spare, spare)                                                     \
    F(heap, rgc_heap_t, large, large)                                                     \
    F(heap, rgc_heap_t, narenas, narenas)                                                 \
    F(heap, rgc_heap_t, arenas_allocated, arenas_allocated)                               \
    F(heap, rgc_heap_t, arenas_freed, arenas_freed)                                       \
    F(heap, rgc_heap_t, arenas_highwater, arenas_highwater)                               \
    F(heap, rgc_heap_t, nlarge, nlarge)                                                   \
    F(heap, rgc_heap_t, large_bytes, large_bytes)                                         \
    F(heap, rgc_heap_t, dirty_pools, dirty_pools)                                         \
    F(heap, rgc_heap_t, active_pools, active_pools)                                       \
    F(heap, rgc_heap_t, dealloc_pending, dealloc_pending)                                 \
    F(heap, rgc_heap_t, gc, gc)                                                           \
    F(heap, rgc_heap_t, weak, weak)                                                       \
    F(heap, rgc_heap_t, small_ints, small_ints)                                           \
    F(heap, rgc_heap_t, interned, interned)                                               \
    F(heap, rgc_heap_t, recorder, recorder)                                               \
    F(heap, rgc_heap_t, next, next)                                                       \
    F(heap, rgc_heap_t, prev, prev)                                                       \
    F(heap, rgc_heap_t, name, name)                                                       \
    K(heap_name_size, sizeof(((rgc_heap_t *)0)->name))                                    \
    K(magic_heap, RGC_HEAP_MAGIC)                                                         \
    K(heap_flag_fill, RGC_HEAP_FILL)                                                      \
    A(empty_pool_address, &_rgc_empty_pool)                                               \
    /* young generations' member arrays */                                                \
    S(genlist, rgc_genlist_t)                                                             \
    F(genlist, rgc_genlist_t, items, items)                                               \
    F(genlist, rgc_genlist_t, len, len)                                                   \
    F(genlist, rgc_genlist_t, cap, cap)                                                   \
    F(genlist, rgc_genlist_t, holes, holes)                                               \
    /* the collector's state (embedded in the heap) */                                    \
    S(gc, rgc_gc_state_t)                                                                 \
    F(gc, rgc_gc_state_t, enabled, enabled)                                               \
    F(gc, rgc_gc_state_t, phase, phase)                                                   \
    F(gc, rgc_gc_state_t, generation, generation)                                         \
    F(gc, rgc_gc_state_t, debug, debug)                                                   \
    F(gc, rgc_gc_state_t, threshold, threshold)                                           \
    F(gc, rgc_gc_state_t, count, count)                                                   \
    F(gc, rgc_gc_state_t, long_lived_total, long_lived_total)                             \
    F(gc, rgc_gc_state_t, long_lived_pending, long_lived_pending)                         \
    F(gc, rgc_gc_state_t, stats, stats)                                                   \
    F(gc, rgc_gc_state_t, cand, cand)                                                     \
    F(gc, rgc_gc_state_t, ncand, ncand)                                                   \
    F(gc, rgc_gc_state_t, nreach, nreach)                                                 \
    F(gc, rgc_gc_state_t, garbage, garbage)                                               \
    S(gcstats, rgc_gc_gen_stats_t)                                                        \
    F(gcstats, rgc_gc_gen_stats_t, collections, collections)                              \
    F(gcstats, rgc_gc_gen_stats_t, collected, collected)                                  \
    F(gcstats, rgc_gc_gen_stats_t, uncollectable, uncollectable)                          \
    K(ngens, RGC_NGENS)                                                                   \
    K(nyoung, RGC_NYOUNG)                                                                 \
    K(gen_permanent, RGC_GC_PERMANENT)                                                    \
    K(gc_phase_idle, RGC_GC_IDLE)                                                         \
    K(gc_phase_gather, RGC_GC_GATHER)                                                     \
    K(gc_phase_subtract, RGC_GC_SUBTRACT)                                                 \
    K(gc_phase_reach, RGC_GC_REACH)                                                       \
    K(gc_phase_finalize, RGC_GC_FINALIZE)                                                 \
    K(gc_phase_clear, RGC_GC_CLEAR)                                                       \
    /* arenas: their fields overlay the descriptor of their header pool */                \
    S(arena, rgc_arena_t)                                                                 \
    F(arena, rgc_arena_t, magic, magic)                                                   \
    F(arena, rgc_arena_t, nfree, nfree)                                                   \
    F(arena, rgc_arena_t, free_pools, free_pools)                                         \
    F(arena, rgc_arena_t, heap, heap)                                                     \
    F(arena, rgc_arena_t, next, next)                                                     \
    F(arena, rgc_arena_t, prev, prev)                                                     \
    K(magic_arena, RGC_ARENA_MAGIC)                                                       \
    K(arena_size, RGC_ARENA_SIZE)                                                         \
    K(arena_shift, RGC_ARENA_SHIFT)                                                       \
    K(arena_colours, RGC_ARENA_COLOURS)                                                   \
    K(pools_per_arena, RGC_POOLS_PER_ARENA)                                               \
    /* pool descriptors: 64 per arena, in its header page */                              \
    S(pool, rgc_pool_t)                                                                   \
    F(pool, rgc_pool_t, free, free)                                                       \
    F(pool, rgc_pool_t, nused_flags, nused_flags)                                         \
    F(pool, rgc_pool_t, state, state)                                                     \
    F(pool, rgc_pool_t, kind, kind)                                                       \
    F(pool, rgc_pool_t, szidx, szidx)                                                     \
    F(pool, rgc_pool_t, page_bits, page_bits)                                             \
    F(pool, rgc_pool_t, tag, tag)                                                         \
    F(pool, rgc_pool_t, freemap, freemap)                                                 \
    F(pool, rgc_pool_t, block_size, block_size)                                           \
    F(pool, rgc_pool_t, nblocks, nblocks)                                                 \
    F(pool, rgc_pool_t, bump, bump)                                                       \
    F(pool, rgc_pool_t, decommitted, decommitted)                                         \
    F(pool, rgc_pool_t, next, next)                                                       \
    F(pool, rgc_pool_t, prev, prev)                                                       \
    F(pool, rgc_pool_t, base, base)                                                       \
    K(pool_size, RGC_POOL_SIZE)                                                           \
    K(pool_shift, RGC_POOL_SHIFT)                                                         \
    K(page_size, RGC_PAGE_SIZE)                                                           \
    K(page_shift, RGC_PAGE_SHIFT)                                                         \
    K(pool_state_unused, RGC_POOL_UNUSED)                                                 \
    K(pool_state_active, RGC_POOL_ACTIVE)                                                 \
    K(pool_state_header, RGC_POOL_HEADER)                                                 \
    K(pool_nused_mask, 0xFFFFFFu)                                                         \
    K(pool_flags_shift, 24)                                                               \
    K(pool_flag_full, RGC_PF_FULL)                                                        \
    K(pool_flag_fill, RGC_PF_FILL)                                                        \
    K(pool_flag_map, RGC_PF_MAP)                                                          \
    K(pool_flag_holes, RGC_PF_HOLES)                                                      \
    K(pool_holes_mask, 0x0Fu)                                                             \
    K(pool_low_armed_mask, 0x10u)                                                         \
    K(pool_tag_object, RGC_TAG_OBJECT)                                                    \
    K(pool_tag_slow, RGC_TAG_SLOW)                                                        \
    K(kind_object, RGC_KIND_OBJECT)                                                       \
    K(kind_raw, RGC_KIND_RAW)                                                             \
    K(nkinds, RGC_NKINDS)                                                                 \
    K(small_max, RGC_SMALL_MAX)                                                           \
    K(align, RGC_ALIGN)                                                                   \
    K(nclasses, RGC_NCLASSES)                                                             \
    K(map_class, RGC_MAP_CLASS)                                                           \
    K(fill_fresh, RGC_FILL_FRESH)                                                         \
    K(fill_freed, RGC_FILL_FREED)                                                         \
    K(fill_guard, RGC_FILL_GUARD)                                                         \
    K(freed_word, RGC_FREED_WORD)                                                         \
    /* large blocks: a header before the block, in a circular list */                     \
    S(large, rgc_large_t)                                                                 \
    F(large, rgc_large_t, magic, magic)                                                   \
    F(large, rgc_large_t, heap, heap)                                                     \
    F(large, rgc_large_t, next, next)                                                     \
    F(large, rgc_large_t, prev, prev)                                                     \
    F(large, rgc_large_t, size, size)                                                     \
    F(large, rgc_large_t, kind, kind)                                                     \
    K(magic_large, RGC_LARGE_MAGIC)                                                       \
    /* the object header */                                                               \
    S(object, rgc_object_t)                                                               \
    F(object, rgc_object_t, refcnt, refcnt)                                               \
    F(object, rgc_object_t, type_id, type_id)                                             \
    F(object, rgc_object_t, flags, flags)                                                 \
    F(object, rgc_object_t, gc_index, gc_index)                                           \
    K(refcnt_immortal, RGC_REFCNT_IMMORTAL)                                               \
    K(of_gen_mask, RGC_OF_GEN_MASK)                                                       \
    K(of_tracked, RGC_OF_TRACKED)                                                         \
    K(of_finalized, RGC_OF_FINALIZED)                                                     \
    K(of_large, RGC_OF_LARGE)                                                             \
    K(of_immortal, RGC_OF_IMMORTAL)                                                       \
    K(of_interned, RGC_OF_INTERNED)                                                       \
    K(of_teardown, RGC_OF_TEARDOWN)                                                       \
    K(of_weakrefed, RGC_OF_WEAKREFED)                                                     \
    K(of_scratch_mask, RGC_OF_SCRATCH_MASK)                                               \
    /* types and their reference layouts */                                               \
    S(type, rgc_type_t)                                                                   \
    F(type, rgc_type_t, id, id)                                                           \
    F(type, rgc_type_t, flags, flags)                                                     \
    F(type, rgc_type_t, name, name)                                                       \
    F(type, rgc_type_t, basic_size, basic_size)                                           \
    F(type, rgc_type_t, item_size, item_size)                                             \
    F(type, rgc_type_t, nitems_offset, nitems_offset)                                     \
    F(type, rgc_type_t, n_ref_fields, n_ref_fields)                                       \
    F(type, rgc_type_t, n_ref_arrays, n_ref_arrays)                                       \
    F(type, rgc_type_t, is_gc, is_gc)                                                     \
    F(type, rgc_type_t, ref_fields, ref_fields)                                           \
    F(type, rgc_type_t, ref_arrays, ref_arrays)                                           \
    F(type, rgc_type_t, traverse, spec.traverse)                                          \
    F(type, rgc_type_t, finalize, spec.finalize)                                          \
    F(type, rgc_type_t, dealloc, spec.dealloc)                                            \
    K(tf_var, RGC_TF_VAR)                                                                 \
    K(tf_legacy_finalizer, RGC_TF_LEGACY_FINALIZER)                                       \
    K(tf_weakrefable, RGC_TF_WEAKREFABLE)                                                 \
    K(tf_no_gc, RGC_TF_NO_GC)                                                             \
    K(tf_builtin, RGC_TF_BUILTIN)                                                         \
    S(ref_field, rgc_ref_field_t)                                                         \
    F(ref_field, rgc_ref_field_t, name, name)                                             \
    F(ref_field, rgc_ref_field_t, offset, offset)                                         \
    S(ref_array, rgc_ref_array_t)                                                         \
    F(ref_array, rgc_ref_array_t, name, name)                                             \
    F(ref_array, rgc_ref_array_t, ptr_offset, ptr_offset)                                 \
    F(ref_array, rgc_ref_array_t, len_offset, len_offset)                                 \
    F(ref_array, rgc_ref_array_t, stride, stride)                                         \
    F(ref_array, rgc_ref_array_t, ref_offset, ref_offset)                                 \
    K(refs_inline, RGC_REFS_INLINE)                                                       \
    /* weak references: the heap's table by referent, and the objects */                  \
    S(weaktab, struct rgc_weaktab)                                                        \
    F(weaktab, struct rgc_weaktab, slots, slots)                                          \
    F(weaktab, struct rgc_weaktab, cap, cap)                                              \
    F(weaktab, struct rgc_weaktab, len, len)                                              \
    F(weaktab, struct rgc_weaktab, nrefs, nrefs)                                          \
    S(weakslot, rgc_weakslot_t)                                                           \
    F(weakslot, rgc_weakslot_t, referent, referent)                                       \
    F(weakslot, rgc_weakslot_t, head, head)                                               \
    S(weakref, rgc_weakref_obj_t)                                                         \
    F(weakref, rgc_weakref_obj_t, referent, referent)                                     \
    F(weakref, rgc_weakref_obj_t, ctx, ctx)                                               \
    F(weakref, rgc_weakref_obj_t, callback, callback)                                     \
    F(weakref, rgc_weakref_obj_t, prev, prev)                                             \
    F(weakref, rgc_weakref_obj_t, next, next)                                             \
    F(weakref, rgc_weakref_obj_t, hash, hash)                                             \
    F(keyedref, rgc_keyedref_obj_t, key, key)                                             \
    F(weakdict, rgc_weakdict_obj_t, dict, dict)                                           \
    /* the built-in types (found by name in the type table) */                            \
    F(int, rgc_int_obj_t, value, value)                                                   \
    F(float, rgc_float_obj_t, value, value)                                               \
    F(str, rgc_str_obj_t, nbytes, nbytes)                                                 \
    F(str, rgc_str_obj_t, length, length)                                                 \
    F(str, rgc_str_obj_t, hash, hash)                                                     \
    F(str, rgc_str_obj_t, data, data)                                                     \
    F(bytes, rgc_bytes_obj_t, len, len)                                                   \
    F(bytes, rgc_bytes_obj_t, data, data)                                                 \
    F(tuple, rgc_tuple_obj_t, len, len)                                                   \
    F(tuple, rgc_tuple_obj_t, items, items)                                               \
    F(list, rgc_list_obj_t, len, len)                                                     \
    F(list, rgc_list_obj_t, cap, cap)                                                     \
    F(list, rgc_list_obj_t, items, items)                                                 \
    F(dict, rgc_dict_obj_t, used, used)                                                   \
    F(dict, rgc_dict_obj_t, nentries, nentries)                                           \
    F(dict, rgc_dict_obj_t, entries, entries)                                             \
    S(dict_entry, rgc_dict_entry_t)                                                       \
    F(dict_entry, rgc_dict_entry_t, hash, hash)                                           \
    F(dict_entry, rgc_dict_entry_t, key, key)                                             \
    F(dict_entry, rgc_dict_entry_t, value, value)                                         \
    F(set, rgc_set_obj_t, used, used)                                                     \
    F(set, rgc_set_obj_t, nentries, nentries)                                             \
    F(set, rgc_set_obj_t, entries, entries)                                               \
    S(set_entry, rgc_set_entry_t)                                                         \
    F(set_entry, rgc_set_entry_t, hash, hash)                                             \
    F(set_entry, rgc_set_entry_t, key, key)                                               \
    F(array, rgc_array_obj_t, len, len)                                                   \
    F(array, rgc_array_obj_t, kind, kind)                                                 \
    F(array, rgc_array_obj_t, itemsize, itemsize)                                         \
    F(array, rgc_array_obj_t, data, data)                                                 \
    F(instance, rgc_instance_obj_t, dict, dict)                                           \
    K(int_cache_min, (uint64_t)(int64_t)RGC_INT_CACHE_MIN)                                \
    K(int_cache_max, RGC_INT_CACHE_MAX)                                                   \
    /* the event recorder (embedded in the heap) and its records */                       \
    S(recorder, rgc_recorder_t)                                                           \
    F(recorder, rgc_recorder_t, events, events)                                           \
    F(recorder, rgc_recorder_t, cap, cap)                                                 \
    F(recorder, rgc_recorder_t, seq, seq)                                                 \
    S(event, rgc_event_t)                                                                 \
    F(event, rgc_event_t, seq, seq)                                                       \
    F(event, rgc_event_t, kind, kind)                                                     \
    F(event, rgc_event_t, type_id, type_id)                                               \
    F(event, rgc_event_t, address, address)                                               \
    F(event, rgc_event_t, size, size)                                                     \
    F(event, rgc_event_t, site, site)                                                     \
    K(ev_alloc, RGC_EV_ALLOC)                                                             \
    K(ev_free, RGC_EV_FREE)                                                               \
    K(ev_zero, RGC_EV_ZERO)                                                               \
    K(ev_gc_start, RGC_EV_GC_START)                                                       \
    K(ev_gc_end, RGC_EV_GC_END)                                                           \
    K(ev_error, RGC_EV_ERROR)                                                             \
    K(ev_refcnt, RGC_EV_REFCNT)                                                           \
    /* allocation tracing */                                                              \
    F(heap, rgc_heap_t, trace, trace)                                                     \
    S(trace, rgc_trace_t)                                                                 \
    F(trace, rgc_trace_t, nframes, nframes)                                               \
    F(trace, rgc_trace_t, sample_bytes, sample_bytes)                                     \
    F(trace, rgc_trace_t, entries, entries)                                               \
    F(trace, rgc_trace_t, cap, cap)                                                       \
    F(trace, rgc_trace_t, len, len)                                                       \
    F(trace, rgc_trace_t, tracebacks, tracebacks)                                         \
    F(trace, rgc_trace_t, tb_stride, tb_stride)                                           \
    F(trace, rgc_trace_t, tb_len, tb_len)                                                 \
    F(trace, rgc_trace_t, current, current)                                               \
    F(trace, rgc_trace_t, peak, peak)                                                     \
    S(trace_entry, rgc_trace_entry_t)                                                     \
    F(trace_entry, rgc_trace_entry_t, address, address)                                   \
    F(trace_entry, rgc_trace_entry_t, size, size)                                         \
    F(trace_entry, rgc_trace_entry_t, traceback, traceback)                               \
    S(traceback, rgc_traceback_t)                                                         \
    F(traceback, rgc_traceback_t, site, site)                                             \
    F(traceback, rgc_traceback_t, nframes, nframes)                                       \
    F(traceback, rgc_traceback_t, frames, frames)                                         \
    S(site, rgc_site_t)                                                                   \
    F(site, rgc_site_t, file, file)                                                       \
    F(site, rgc_site_t, function, function)                                               \
    F(site, rgc_site_t, line, line)                                                       \
    K(of_traced, RGC_OF_TRACED)                                                           \
    K(trace_max_frames, RGC_TRACE_MAX_FRAMES)                                             \
    /* traces of small blocks, in slots beside their pools */                             \
    F(trace, rgc_trace_t, arenas, arenas)                                                 \
    F(trace, rgc_trace_t, arenas_cap, arenas_cap)                                         \
    F(trace, rgc_trace_t, pooled, pooled)                                                 \
    S(trace_arena, rgc_trace_arena_t)                                                     \
    F(trace_arena, rgc_trace_arena_t, base, base)                                         \
    F(trace_arena, rgc_trace_arena_t, pools, pools)                                       \
    S(trace_pool, rgc_trace_pool_t)                                                       \
    F(trace_pool, rgc_trace_pool_t, base, base)                                           \
    F(trace_pool, rgc_trace_pool_t, block_size, block_size)                               \
    F(trace_pool, rgc_trace_pool_t, nblocks, nblocks)                                     \
    F(trace_pool, rgc_trace_pool_t, used, used)                                           \
    F(trace_pool, rgc_trace_pool_t, slots, slots)                                         \
    S(trace_slot, rgc_trace_slot_t)                                                       \
    F(trace_slot, rgc_trace_slot_t, traceback, traceback)                                 \
    F(trace_slot, rgc_trace_slot_t, size, size)                                           \
    F(trace, rgc_trace_t, arenas_len, arenas_len)                                         \
    F(hooks, rgc_hooks_t, sampling, sampling)                                             \
    F(hooks, rgc_hooks_t, samplers, samplers)                                             \
    K(pool_tag_traced, RGC_TAG_TRACED)                                                    \
    F(runtime, rgc_runtime_t, free_gate, free_gate)                                       \
    F(runtime, rgc_runtime_t, alloc_gate, alloc_gate)                                     \
    K(free_gate_open, RGC_FREE_GATE_OPEN)                                                 \
    K(alloc_gate_open, RGC_ALLOC_GATE_OPEN)                                               \
    /* the recorder's ring: 16-byte slots of two packed words */                          \
    S(record, rgc_record_t)                                                               \
    F(record, rgc_record_t, where, where)                                                 \
    F(record, rgc_record_t, what, what)                                                   \
    K(record_low_bits, RGC_REC_LOW)                                                       \
    K(record_size_bits, RGC_REC_SIZE_BITS)                                                \
    K(record_kind_shift, RGC_REC_KIND_SHIFT)                                              \
    K(record_lap_shift, RGC_REC_LAP_SHIFT)                                                \
    K(record_long, RGC_REC_LONG)                                                          \
    K(record_more, RGC_REC_MORE)                                                          \
    /* the mask bits that close each gate */                                              \
    K(free_gate_kinds, RGC_HOOK_BIT(RGC_EV_FREE))                                         \
    K(alloc_gate_kinds, RGC_HOOK_BIT(RGC_EV_ALLOC))                                       \
    /* the gates' input, and what diverts a recording heap's raw paths    */               \
    /* while the gates stay open                                          */               \
    F(hooks, rgc_hooks_t, tracing, tracing)                                               \
    F(hooks, rgc_hooks_t, tracers, tracers)                                               \
    K(pool_tag_record, RGC_TAG_RECORD)                                                    \
    K(heap_flag_recording, RGC_HEAP_RECORDING)                                            \
    /* what diverts a sampling heap's raw allocations                     */               \
    K(heap_flag_sampling, RGC_HEAP_SAMPLING)                                              \
    /* the hooks' byte that is always 1 (the decref's compare)            */               \
    F(hooks, rgc_hooks_t, one, one)

#define RGC_DEBUG_S_(name, ctype) uint64_t sizeof_##name;
#define RGC_DEBUG_F_(name, ctype, entry, member) uint64_t name##_##entry;
#define RGC_DEBUG_K_(entry, value) uint64_t entry;
#define RGC_DEBUG_A_(entry, address) uint64_t entry;

typedef struct rgc_debug_table {
    uint8_t cookie[RGC_DEBUG_COOKIE_SIZE]; /* RGC_DEBUG_COOKIE */
    uint32_t version;                      /* RGC_DEBUG_VERSION */
    uint32_t table_size;                   /* bytes, header included */
    uint8_t pointer_size;                  /* 8 */
    uint8_t byte_order;                    /* 1 little-endian, 2 big-endian */
    uint16_t entry_size;                   /* 8 */
    uint32_t initialized;                  /* 1 once the runtime root is set up */
    RGC_DEBUG_ENTRIES(RGC_DEBUG_S_, RGC_DEBUG_F_, RGC_DEBUG_K_, RGC_DEBUG_A_)
} rgc_debug_table_t;

#undef RGC_DEBUG_S_
#undef RGC_DEBUG_F_
#undef RGC_DEBUG_K_
#undef RGC_DEBUG_A_

#define RGC_DEBUG_HEADER_SIZE 24u

/* The table of this process. */
RGC_API extern rgc_debug_table_t rgc_debug_table;

#ifdef __cplusplus
}
#endif
#endif /* RGC_DEBUG_H */
