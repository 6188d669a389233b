/*
 * str.c — the str type (immutable, validated UTF-8, NUL-terminated, its
 * length in code points counted once at creation, its hash computed on
 * first use and cached), the per-heap table of interned strings, and the
 * bytes type (immutable raw bytes, hash cached likewise).
 *
 * Interned strings are immortal and unique per heap: heap->interned is a
 * dict mapping each to itself, made on first use, immortal and untracked
 * (it holds only immortal strings, so the collector has nothing to find).
 * A str never equals a bytes object, even with the same bytes.
 */
#include "builtins.h"

#include <stdio.h>

/* ---- hashing */

/*
 * A 64-bit hash of n bytes.  The length seeds the state; each 8-byte word
 * (the tail zero-padded) is xored in, multiplied by an odd constant and
 * xor-shifted, which is a bijection of the state for a fixed word, so two
 * inputs of equal length that differ in one word never collide.  A final
 * avalanche makes every input bit reach every output bit.
 */
static uint64_t hash_bytes(const uint8_t *p, size_t n)
{
    const uint64_t k = 0x9fb21c651e98df25ull;
    uint64_t h = 0x243f6a8885a308d3ull ^ ((uint64_t)n * 0x9e3779b97f4a7c15ull);
    uint64_t w;
    for (; n >= 8; p += 8, n -= 8) {
        memcpy(&w, p, 8);
        h = (h ^ w) * k;
        h ^= h >> 29;
    }
    w = 0;
    memcpy(&w, p, n);
    h = (h ^ w) * k;
    h ^= h >> 32;
    h *= 0xd6e8feb86659fd93ull;
    h ^= h >> 32;
    return h ? h : 1; /* 0 means "not computed yet" in the object */
}

/* ---- UTF-8 */

/*
 * Checks that s[0..n) is well-formed UTF-8: shortest forms only, no
 * surrogates (U+D800..U+DFFF), nothing above U+10FFFF; U+0000 is allowed.
 * Returns true with the number of code points in *length, or false with the
 * offset of the first byte that is wrong in *bad.
 */
static bool utf8_scan(const uint8_t *s, size_t n, size_t *length, size_t *bad)
{
    size_t i = 0, count = 0;
    while (i < n) {
        uint64_t word;
        if (n - i >= 8 && (memcpy(&word, s + i, 8), (word & 0x8080808080808080ull) == 0)) {
            i += 8; /* eight ASCII bytes */
            count += 8;
            continue;
        }
        uint8_t c = s[i];
        if (c < 0x80) {
            i++;
            count++;
            continue;
        }
        /* Bytes after the lead and the range of the first of them. */
        size_t more;
        uint8_t lo = 0x80, hi = 0xBF;
        if (c >= 0xC2 && c <= 0xDF) {
            more = 1;
        } else if (c >= 0xE0 && c <= 0xEF) {
            more = 2;
            if (c == 0xE0)
                lo = 0xA0; /* shorter forms are overlong */
            if (c == 0xED)
                hi = 0x9F; /* ED A0..BF would be a surrogate */
        } else if (c >= 0xF0 && c <= 0xF4) {
            more = 3;
            if (c == 0xF0)
                lo = 0x90; /* overlong */
            if (c == 0xF4)
                hi = 0x8F; /* above U+10FFFF */
        } else {
            goto fail; /* a continuation byte, C0/C1 (overlong) or F5..FF */
        }
        if (n - i - 1 < more || s[i + 1] < lo || s[i + 1] > hi)
            goto fail;
        for (size_t k = 2; k <= more; k++)
            if ((s[i + k] & 0xC0) != 0x80)
                goto fail;
        i += more + 1;
        count++;
    }
    *length = count;
    return true;
fail:
    *bad = i;
    return false;
}

/* ---- repr: quoted text, escaped, shortened with "..." to fit */

/* The escaped form of the character at s[*i] into piece; advances *i and
 * returns the piece's length.  In text (str) mode a valid multi-byte
 * character is copied whole; in bytes mode every byte >= 0x80 is escaped. */
static size_t repr_piece(const uint8_t *s, size_t n, size_t *i, char quote, bool text,
                         char piece[8])
{
    static const char hex[] = "0123456789abcdef";
    uint8_t c = s[*i];
    size_t len = 1;
    if (c == (uint8_t)quote || c == '\\') {
        piece[0] = '\\';
        piece[1] = (char)c;
        len = 2;
    } else if (c == '\n' || c == '\r' || c == '\t') {
        piece[0] = '\\';
        piece[1] = c == '\n' ? 'n' : c == '\r' ? 'r' : 't';
        len = 2;
    } else if (text && c == 0xC2 && *i + 1 < n && s[*i + 1] < 0xA0) {
        c = s[++*i]; /* a C1 control character, U+0080..U+009F */
        goto escape;
    } else if (c < 0x20 || c == 0x7F || (c >= 0x80 && !text)) {
        goto escape;
    } else if (c >= 0x80) {
        len = c < 0xE0 ? 2 : c < 0xF0 ? 3 : 4;
        if (len > n - *i)
            len = n - *i;
        memcpy(piece, s + *i, len);
        *i += len;
        return len;
    } else {
        piece[0] = (char)c;
    }
    ++*i;
    return len;
escape:
    piece[0] = '\\';
    piece[1] = 'x';
    piece[2] = hex[c >> 4];
    piece[3] = hex[c & 15];
    ++*i;
    return 4;
}

/* Appends n bytes to buf[*pos..] as far as they fit before the NUL. */
static void append(char *buf, size_t size, size_t *pos, const char *s, size_t n)
{
    if (*pos + 1 >= size)
        return;
    if (n > size - 1 - *pos)
        n = size - 1 - *pos;
    memcpy(buf + *pos, s, n);
    *pos += n;
}

/*
 * Writes prefix + quoted s into buf as Python's repr would ('it''s' becomes
 * "it's").  When the whole form does not fit, as much as fits is written
 * with "..." before the closing quote.
 */
static void quote_text(const char *prefix, const uint8_t *s, size_t n, bool text, char *buf,
                       size_t size)
{
    char q = memchr(s, '\'', n) && !memchr(s, '"', n) ? '"' : '\'';
    char piece[8];
    size_t total = strlen(prefix) + 2;
    for (size_t i = 0; i < n && total < size;)
        total += repr_piece(s, n, &i, q, text, piece);
    bool fits = total < size;
    size_t pos = 0;
    append(buf, size, &pos, prefix, strlen(prefix));
    append(buf, size, &pos, &q, 1);
    for (size_t i = 0; i < n;) {
        size_t len = repr_piece(s, n, &i, q, text, piece);
        if (!fits && pos + len + 4 >= size)
            break; /* keep room for "..." and the quote */
        append(buf, size, &pos, piece, len);
    }
    if (!fits)
        append(buf, size, &pos, "...", 3);
    append(buf, size, &pos, &q, 1);
    buf[pos] = '\0';
}

/* ---- str hooks */

static uint64_t str_hash(const rgc_object_t *o)
{
    rgc_str_obj_t *s = (rgc_str_obj_t *)o; /* the cache is not part of the value */
    if (!s->hash)
        s->hash = hash_bytes((const uint8_t *)s->data, s->nbytes);
    return s->hash;
}

static int str_eq(const rgc_object_t *a, const rgc_object_t *b)
{
    if (a == b)
        return 1;
    if (!rgc_is(b, _rgc_t_str))
        return 0;
    const rgc_str_obj_t *x = (const rgc_str_obj_t *)a, *y = (const rgc_str_obj_t *)b;
    if (x->nbytes != y->nbytes || (x->hash && y->hash && x->hash != y->hash))
        return 0;
    return memcmp(x->data, y->data, x->nbytes) == 0;
}

static void str_repr(const rgc_object_t *o, char *buf, size_t size)
{
    const rgc_str_obj_t *s = (const rgc_str_obj_t *)o;
    quote_text("", (const uint8_t *)s->data, s->nbytes, true, buf, size);
}

/* ---- bytes hooks */

static uint64_t bytes_hash(const rgc_object_t *o)
{
    rgc_bytes_obj_t *b = (rgc_bytes_obj_t *)o;
    if (!b->hash)
        b->hash = hash_bytes(b->data, b->len);
    return b->hash;
}

static int bytes_eq(const rgc_object_t *a, const rgc_object_t *b)
{
    if (!rgc_is(b, _rgc_t_bytes))
        return 0;
    const rgc_bytes_obj_t *x = (const rgc_bytes_obj_t *)a, *y = (const rgc_bytes_obj_t *)b;
    if (x->len != y->len || (x->hash && y->hash && x->hash != y->hash))
        return 0;
    return memcmp(x->data, y->data, x->len) == 0;
}

static void bytes_repr(const rgc_object_t *o, char *buf, size_t size)
{
    const rgc_bytes_obj_t *b = (const rgc_bytes_obj_t *)o;
    quote_text("b", b->data, b->len, false, buf, size);
}

/* ---- registration */

static const rgc_type_spec_t str_spec = {
    .name = "str",
    .basic_size = offsetof(rgc_str_obj_t, data) + 1, /* the NUL */
    .item_size = 1,
    .nitems_offset = offsetof(rgc_str_obj_t, nbytes),
    .flags = RGC_TF_VAR | RGC_TF_BUILTIN,
    .hash = str_hash,
    .eq = str_eq,
    .repr = str_repr,
};

/* bytes carry a NUL after the data too, as a convenience for C callers. */
static const rgc_type_spec_t bytes_spec = {
    .name = "bytes",
    .basic_size = offsetof(rgc_bytes_obj_t, data) + 1,
    .item_size = 1,
    .nitems_offset = offsetof(rgc_bytes_obj_t, len),
    .flags = RGC_TF_VAR | RGC_TF_BUILTIN,
    .hash = bytes_hash,
    .eq = bytes_eq,
    .repr = bytes_repr,
};

void _rgc_register_str(void)
{
    _rgc_t_str = _rgc_type_register(&str_spec);
    _rgc_t_bytes = _rgc_type_register(&bytes_spec);
}

rgc_type_t *rgc_str_type(void)
{
    _rgc_builtins_init();
    return _rgc_t_str;
}

rgc_type_t *rgc_bytes_type(void)
{
    _rgc_builtins_init();
    return _rgc_t_bytes;
}

/* ---- str */

/* The registered type, or NULL (reported) when the arguments are unusable
 * (RGC_EINVAL) or the type could not be registered (RGC_ENOMEM). */
static rgc_type_t *ready(rgc_heap_t *heap, rgc_type_t **type, const void *data, size_t n,
                         const char *fn)
{
    if (!heap || (!data && n != 0)) {
        _rgc_report(RGC_EINVAL, NULL, NULL, "%s: %s is NULL", fn, heap ? "the data" : "heap");
        return NULL;
    }
    _rgc_builtins_init();
    if (!*type) {
        _rgc_report(RGC_ENOMEM, heap, NULL, "%s: the built-in types could not be registered", fn);
        return NULL;
    }
    if (n > SIZE_MAX / 2) {
        _rgc_report(RGC_ENOMEM, heap, NULL, "%s: %zu bytes is too large", fn, n);
        return NULL;
    }
    return *type;
}

/*
 * A new str holding a copy of utf8[0..nbytes) (utf8 may be NULL when nbytes
 * is 0).  NULL when heap is NULL or the text is not valid UTF-8
 * (RGC_EINVAL, reported at the first bad byte), or without memory.
 */
void *rgc_str_new(rgc_heap_t *heap, const char *utf8, size_t nbytes)
{
    rgc_type_t *t = ready(heap, &_rgc_t_str, utf8, nbytes, "rgc_str_new");
    if (!t)
        return NULL;
    size_t length = 0, bad = 0;
    if (!utf8_scan((const uint8_t *)utf8, nbytes, &length, &bad)) {
        _rgc_report(RGC_EINVAL, utf8 + bad, "str",
                    "rgc_str_new: invalid UTF-8 at byte %zu of %zu (0x%02x)", bad, nbytes,
                    (unsigned)(uint8_t)utf8[bad]);
        return NULL;
    }
    rgc_str_obj_t *s = rgc_new_var(heap, t, nbytes);
    if (!s)
        return NULL;
    if (nbytes)
        memcpy(s->data, utf8, nbytes);
    s->data[nbytes] = '\0';
    s->length = length;
    return s;
}

/* rgc_str_new of a NUL-terminated string; NULL s is RGC_EINVAL. */
void *rgc_str_from_cstr(rgc_heap_t *heap, const char *s)
{
    if (!s) {
        _rgc_report(RGC_EINVAL, NULL, NULL, "rgc_str_from_cstr: s is NULL");
        return NULL;
    }
    return rgc_str_new(heap, s, strlen(s));
}

/* The NUL-terminated text of a str (borrowed); NULL if obj is no str. */
const char *rgc_str_data(const void *obj)
{
    if (!_rgc_expect_type(obj, _rgc_t_str, "rgc_str_data"))
        return NULL;
    return ((const rgc_str_obj_t *)obj)->data;
}

/* The size of a str's text in bytes; 0 if obj is no str. */
size_t rgc_str_nbytes(const void *obj)
{
    if (!_rgc_expect_type(obj, _rgc_t_str, "rgc_str_nbytes"))
        return 0;
    return ((const rgc_str_obj_t *)obj)->nbytes;
}

/* The length of a str in code points; 0 if obj is no str. */
size_t rgc_str_length(const void *obj)
{
    if (!_rgc_expect_type(obj, _rgc_t_str, "rgc_str_length"))
        return 0;
    return ((const rgc_str_obj_t *)obj)->length;
}

/* ---- interning */

/* The heap's table of interned strings, made on first use; NULL without
 * memory. */
static rgc_object_t *intern_table(rgc_heap_t *heap)
{
    if (!heap->interned) {
        rgc_object_t *d = rgc_dict_new(heap);
        if (!d)
            return NULL;
        rgc_immortalize(d);
        rgc_untrack(d);
        heap->interned = d;
    }
    return heap->interned;
}

/*
 * The heap's interned str equal to s: the same object for the same text for
 * the heap's whole life, immortal, flagged RGC_OF_INTERNED.  A borrowed
 * reference (decref is harmless: it is immortal).  NULL when heap or s is
 * NULL, s is not valid UTF-8 (RGC_EINVAL), or without memory.
 */
void *rgc_str_intern(rgc_heap_t *heap, const char *s)
{
    if (!heap || !s) {
        _rgc_report(RGC_EINVAL, NULL, NULL, "rgc_str_intern: %s is NULL", heap ? "s" : "heap");
        return NULL;
    }
    rgc_str_obj_t *fresh = rgc_str_from_cstr(heap, s);
    if (!fresh)
        return NULL;
    rgc_object_t *table = intern_table(heap);
    if (!table) {
        rgc_decref(fresh);
        return NULL;
    }
    void *found = rgc_dict_get(table, fresh);
    if (found || rgc_dict_set(table, fresh, fresh) != 0) {
        rgc_decref(fresh);
        return found;
    }
    rgc_immortalize(fresh);
    fresh->ob_base.flags |= RGC_OF_INTERNED;
    return fresh;
}

/* True when obj is an interned str; false (and RGC_EINVAL) if it is no str. */
bool rgc_str_is_interned(const void *obj)
{
    if (!_rgc_expect_type(obj, _rgc_t_str, "rgc_str_is_interned"))
        return false;
    return (((const rgc_object_t *)obj)->flags & RGC_OF_INTERNED) != 0;
}

/* ---- bytes */

/* A new bytes object holding a copy of data[0..n) (data may be NULL when n
 * is 0), followed by a NUL not counted in its length.  NULL when heap is
 * NULL (RGC_EINVAL) or without memory. */
void *rgc_bytes_new(rgc_heap_t *heap, const void *data, size_t n)
{
    rgc_type_t *t = ready(heap, &_rgc_t_bytes, data, n, "rgc_bytes_new");
    if (!t)
        return NULL;
    rgc_bytes_obj_t *b = rgc_new_var(heap, t, n);
    if (!b)
        return NULL;
    if (n)
        memcpy(b->data, data, n);
    b->data[n] = 0;
    return b;
}

/* The bytes of a bytes object (borrowed); NULL if obj is no bytes. */
const uint8_t *rgc_bytes_data(const void *obj)
{
    if (!_rgc_expect_type(obj, _rgc_t_bytes, "rgc_bytes_data"))
        return NULL;
    return ((const rgc_bytes_obj_t *)obj)->data;
}

/* The number of bytes; 0 if obj is no bytes. */
size_t rgc_bytes_len(const void *obj)
{
    if (!_rgc_expect_type(obj, _rgc_t_bytes, "rgc_bytes_len"))
        return 0;
    return ((const rgc_bytes_obj_t *)obj)->len;
}
