/*
 * builtins.h — the memory layout of the built-in types.  These layouts are
 * what the debug table will describe to tools (an int's value, a string's
 * text, a list's items, a dict's entries), so they change only with it.
 * Each type's behaviour lives in its own file: int.c (int, float), str.c
 * (str, bytes, interning), tuple.c, list.c, dict.c, set.c, array.c,
 * instance.c; builtins.c registers them and holds the generic hash,
 * equality and repr, and the argument type check they share.
 */
#ifndef RGC_BUILTINS_H
#define RGC_BUILTINS_H

#include "internal.h"

typedef struct rgc_int_obj {
    RGC_OBJECT_HEAD;
    int64_t value;
} rgc_int_obj_t;

typedef struct rgc_float_obj {
    RGC_OBJECT_HEAD;
    double value;
} rgc_float_obj_t;

/* str: RGC_TF_VAR with item_size 1; the runtime stores the byte count in
 * nbytes; basic_size counts the terminating NUL. */
typedef struct rgc_str_obj {
    RGC_OBJECT_HEAD;
    size_t nbytes;      /* UTF-8 bytes, without the NUL */
    size_t length;      /* code points */
    uint64_t hash;      /* 0 until computed (a real 0 is stored as 1) */
    char data[];        /* nbytes + NUL */
} rgc_str_obj_t;

/* bytes: RGC_TF_VAR, item_size 1, count at len; basic_size counts a NUL
 * kept after the data (not part of len) so the bytes read as a C string. */
typedef struct rgc_bytes_obj {
    RGC_OBJECT_HEAD;
    size_t len;         /* set by the runtime (nitems) */
    uint64_t hash;      /* 0 until computed */
    uint8_t data[];
} rgc_bytes_obj_t;

/* tuple: items inline (ref array RGC_REFS_INLINE, count at len). */
typedef struct rgc_tuple_obj {
    RGC_OBJECT_HEAD;
    size_t len;
    rgc_object_t *items[];
} rgc_tuple_obj_t;

/* list: items in a raw block of the same heap. */
typedef struct rgc_list_obj {
    RGC_OBJECT_HEAD;
    size_t len;
    size_t cap;
    rgc_object_t **items;
} rgc_list_obj_t;

/* dict: compact and insertion-ordered.  entries[0..nentries) in insertion
 * order, a deleted entry has key == value == NULL; indices[] is the hash
 * table (nindices a power of two) holding entry numbers, -1 empty, -2
 * deleted.  Both arrays are raw blocks of the dict's heap. */
typedef struct rgc_dict_entry {
    uint64_t hash;
    rgc_object_t *key;
    rgc_object_t *value;
} rgc_dict_entry_t;

typedef struct rgc_dict_obj {
    RGC_OBJECT_HEAD;
    size_t used;        /* live entries */
    size_t nentries;    /* entries written, deleted ones included */
    size_t cap;         /* entries that fit before a resize */
    size_t nindices;    /* slots in indices (power of two), 0 when empty */
    int32_t *indices;
    rgc_dict_entry_t *entries;
} rgc_dict_obj_t;

/* set: the same compact scheme with key-only entries. */
typedef struct rgc_set_entry {
    uint64_t hash;
    rgc_object_t *key;
} rgc_set_entry_t;

typedef struct rgc_set_obj {
    RGC_OBJECT_HEAD;
    size_t used;
    size_t nentries;
    size_t cap;
    size_t nindices;
    int32_t *indices;
    rgc_set_entry_t *entries;
} rgc_set_obj_t;

/* array: numbers stored unboxed in a raw block. */
typedef struct rgc_array_obj {
    RGC_OBJECT_HEAD;
    size_t len;
    size_t cap;
    uint32_t kind;      /* rgc_array_kind_t */
    uint32_t itemsize;  /* bytes per element */
    void *data;
} rgc_array_obj_t;

/* instance of a class made by rgc_class_register: attributes in a dict. */
typedef struct rgc_instance_obj {
    RGC_OBJECT_HEAD;
    rgc_object_t *dict; /* NULL until the first attribute is set */
} rgc_instance_obj_t;

/* Registration, one per file; builtins.c calls them once, in this order. */
RGC_HIDDEN void _rgc_register_int(void);      /* int, float */
RGC_HIDDEN void _rgc_register_str(void);      /* str, bytes */
RGC_HIDDEN void _rgc_register_tuple(void);
RGC_HIDDEN void _rgc_register_list(void);
RGC_HIDDEN void _rgc_register_dict(void);
RGC_HIDDEN void _rgc_register_set(void);
RGC_HIDDEN void _rgc_register_array(void);
RGC_HIDDEN void _rgc_register_weakref(void);  /* weakref.c: weakrefs, weak dicts */
/* Registers the built-in types once; safe to call from any accessor. */
RGC_HIDDEN void _rgc_builtins_init(void);

/* True when obj is an object of `type`; otherwise reports RGC_EINVAL
 * naming fn and what obj is, and returns false.  NULL is reported too.
 * The check is inline; only the report is a call. */
RGC_HIDDEN bool _rgc_expect_type_failed(const void *obj, const rgc_type_t *type, const char *fn);
static inline bool _rgc_expect_type(const void *obj, const rgc_type_t *type, const char *fn)
{
    if (RGC_LIKELY(obj && type && ((const rgc_object_t *)obj)->type_id == type->id))
        return true;
    return _rgc_expect_type_failed(obj, type, fn);
}

#endif /* RGC_BUILTINS_H */
