/*
 * test_str.c — str and bytes: text round trips, lengths in code points,
 * UTF-8 validation, hashing and equality, interning, reprs and sizes.
 */
#include "testutil.h"



static void test_str_round_trips_its_text_with_a_terminating_nul(void **state)
{
    (void)state;
    rgc_heap_t *h = rgc_heap_new(NULL);
    void *s = rgc_str_from_cstr(h, "hello");
    assert_true(rgc_is(s, rgc_str_type()));
    assert_string_equal(rgc_str_data(s), "hello");
    assert_int_equal(rgc_str_nbytes(s), 5);
    assert_int_equal(rgc_str_length(s), 5);

    /* rgc_str_new copies exactly nbytes and terminates them. */
    void *t = rgc_str_new(h, "hello world", 5);
    assert_string_equal(rgc_str_data(t), "hello");
    assert_ptr_not_equal(rgc_str_data(t), rgc_str_data(s));

    void *empty = rgc_str_new(h, NULL, 0);
    assert_non_null(empty);
    assert_string_equal(rgc_str_data(empty), "");
    assert_int_equal(rgc_str_length(empty), 0);
    rgc_decref(s);
    rgc_decref(t);
    rgc_decref(empty);
    assert_heap_ok(h);
    rgc_heap_destroy(h);
}

static void test_str_length_counts_code_points_of_multibyte_text(void **state)
{
    (void)state;
    rgc_heap_t *h = rgc_heap_new(NULL);
    const struct {
        const char *text;
        size_t nbytes, length;
    } cases[] = {
        {"h\xc3\xa9llo w\xc3\xb6rld", 13, 11},            /* héllo wörld */
        {"\xe6\x97\xa5\xe6\x9c\xac\xe8\xaa\x9e", 9, 3},   /* 日本語 */
        {"\xf0\x9f\x98\x80", 4, 1},                        /* U+1F600 */
        {"abcdefghij\xe2\x82\xac", 13, 11},                /* ASCII run, then € */
        {"\xe2\x82\xac" "abcdefghijklmnop\xe2\x82\xac", 22, 18},
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        void *s = rgc_str_from_cstr(h, cases[i].text);
        assert_non_null(s);
        assert_int_equal(rgc_str_nbytes(s), cases[i].nbytes);
        assert_int_equal(rgc_str_length(s), cases[i].length);
        rgc_decref(s);
    }
    assert_heap_ok(h);
    rgc_heap_destroy(h);
}

static void test_edge_code_points_and_embedded_nul_are_valid(void **state)
{
    (void)state;
    rgc_heap_t *h = rgc_heap_new(NULL);
    const char *valid[] = {
        "\xc2\x80",         /* U+0080, the first two-byte form */
        "\xe0\xa0\x80",     /* U+0800 */
        "\xed\x9f\xbf",     /* U+D7FF, just below the surrogates */
        "\xee\x80\x80",     /* U+E000, just above them */
        "\xef\xbf\xbf",     /* U+FFFF */
        "\xf0\x90\x80\x80", /* U+10000 */
        "\xf4\x8f\xbf\xbf", /* U+10FFFF, the last code point */
    };
    for (size_t i = 0; i < sizeof valid / sizeof valid[0]; i++) {
        void *s = rgc_str_from_cstr(h, valid[i]);
        assert_non_null(s);
        assert_int_equal(rgc_str_length(s), 1);
        rgc_decref(s);
    }
    void *nul = rgc_str_new(h, "a\0b", 3);
    assert_non_null(nul);
    assert_int_equal(rgc_str_nbytes(nul), 3);
    assert_int_equal(rgc_str_length(nul), 3);
    assert_memory_equal(rgc_str_data(nul), "a\0b", 4);
    rgc_decref(nul);
    assert_heap_ok(h);
    rgc_heap_destroy(h);
}

static void test_invalid_utf8_is_rejected_with_einval(void **state)
{
    (void)state;
    rgc_heap_t *h = rgc_heap_new(NULL);
    record_errors();
    const char *invalid[] = {
        "\xff",                  /* never in UTF-8 */
        "\x80",                  /* a lone continuation byte */
        "\xc0\x80",              /* overlong NUL */
        "\xc1\xbf",              /* overlong '\x7f' */
        "\xe0\x80\x80",          /* overlong three-byte form */
        "\xf0\x80\x80\x80",      /* overlong four-byte form */
        "\xed\xa0\x80",          /* U+D800, a surrogate */
        "\xed\xbf\xbf",          /* U+DFFF */
        "\xf4\x90\x80\x80",      /* U+110000 */
        "\xf5\x80\x80\x80",      /* beyond any code point */
        "\xe6\x97",              /* truncated at the end */
        "abcdefgh\xc3(",         /* bad continuation after an ASCII run */
        "\xe6\x97\xa5\xe6\x9c",  /* the second character truncated */
    };
    size_t before = live_objects(h);
    for (size_t i = 0; i < sizeof invalid / sizeof invalid[0]; i++) {
        recorded.count = 0;
        assert_null(rgc_str_from_cstr(h, invalid[i]));
        assert_int_equal(recorded.count, 1);
        assert_int_equal(recorded.last_code, RGC_EINVAL);
        assert_int_equal(rgc_last_error(), RGC_EINVAL);
    }
    assert_int_equal(live_objects(h), before);
    rgc_set_error_handler(NULL, NULL);
    assert_heap_ok(h);
    rgc_heap_destroy(h);
}

static void test_equal_text_is_equal_and_hashes_alike(void **state)
{
    (void)state;
    rgc_heap_t *h = rgc_heap_new(NULL);
    void *a = rgc_str_from_cstr(h, "some key"), *b = rgc_str_new(h, "some key!", 8);
    void *c = rgc_str_from_cstr(h, "some kex");
    assert_ptr_not_equal(a, b);
    assert_int_equal(rgc_equal(a, b), 1);
    assert_true(hash_of(a) == hash_of(b));
    assert_true(hash_of(a) == hash_of(a)); /* cached: same answer again */
    assert_int_equal(rgc_equal(a, c), 0);
    assert_true(hash_of(a) != hash_of(c));

    /* A prefix is not equal, and str never equals bytes of the same text. */
    void *prefix = rgc_str_new(h, "some key", 7), *raw = rgc_bytes_new(h, "some key", 8);
    assert_int_equal(rgc_equal(a, prefix), 0);
    assert_int_equal(rgc_equal(a, raw), 0);
    assert_int_equal(rgc_equal(raw, a), 0);
    void *objs[] = {a, b, c, prefix, raw};
    for (size_t i = 0; i < 5; i++)
        rgc_decref(objs[i]);
    assert_heap_ok(h);
    rgc_heap_destroy(h);
}

static void test_similar_strings_hash_to_distinct_values(void **state)
{
    (void)state;
    rgc_heap_t *h = rgc_heap_new(NULL);
    enum { N = 1000 };
    static uint64_t hashes[N];
    char text[32];
    for (int i = 0; i < N; i++) {
        snprintf(text, sizeof text, "key%d", i);
        void *s = rgc_str_from_cstr(h, text);
        hashes[i] = hash_of(s);
        rgc_decref(s);
    }
    for (int i = 0; i < N; i++)
        for (int j = i + 1; j < N; j++)
            assert_true(hashes[i] != hashes[j]);
    /* "", "\0" and "\0\0" differ only in length. */
    void *e0 = rgc_str_new(h, "", 0), *e1 = rgc_str_new(h, "\0", 1);
    void *e2 = rgc_str_new(h, "\0\0", 2);
    assert_true(hash_of(e0) != hash_of(e1));
    assert_true(hash_of(e1) != hash_of(e2));
    assert_int_equal(rgc_equal(e1, e2), 0);
    rgc_decref(e0);
    rgc_decref(e1);
    rgc_decref(e2);
    assert_heap_ok(h);
    rgc_heap_destroy(h);
}

static void test_interning_gives_one_immortal_string_per_text(void **state)
{
    (void)state;
    rgc_heap_t *h = rgc_heap_new(NULL);
    void *a = rgc_str_intern(h, "name");
    void *b = rgc_str_intern(h, "name");
    assert_non_null(a);
    assert_ptr_equal(a, b);
    assert_true(rgc_str_is_interned(a));
    assert_true(rgc_is_immortal(a));
    assert_string_equal(rgc_str_data(a), "name");
    for (int i = 0; i < 100; i++)
        rgc_decref(a);
    assert_ptr_equal(rgc_str_intern(h, "name"), a);

    /* An ordinary string of the same text is equal but not the same. */
    void *plain = rgc_str_from_cstr(h, "name");
    assert_false(rgc_str_is_interned(plain));
    assert_ptr_not_equal(plain, a);
    assert_int_equal(rgc_equal(plain, a), 1);
    assert_true(hash_of(plain) == hash_of(a));
    rgc_decref(plain);

    void *other = rgc_str_intern(h, "other");
    assert_ptr_not_equal(other, a);
    assert_int_equal(rgc_equal(other, a), 0);
    void *multi = rgc_str_intern(h, "gr\xc3\xbc\xc3\x9f");
    assert_int_equal(rgc_str_length(multi), 4);
    assert_ptr_equal(rgc_str_intern(h, "gr\xc3\xbc\xc3\x9f"), multi);
    assert_heap_ok(h);
    rgc_heap_destroy(h);
}

static void test_interned_strings_belong_to_their_heap(void **state)
{
    (void)state;
    rgc_heap_t *h = rgc_heap_new(NULL), *g = rgc_heap_new(NULL);
    void *a = rgc_str_intern(h, "shared"), *b = rgc_str_intern(g, "shared");
    assert_ptr_not_equal(a, b);
    assert_ptr_equal(rgc_heap_of(a), h);
    assert_ptr_equal(rgc_heap_of(b), g);
    assert_int_equal(rgc_equal(a, b), 1);
    assert_heap_ok(h);
    assert_heap_ok(g);
    rgc_heap_destroy(g);
    rgc_heap_destroy(h);
}

static void test_interning_invalid_utf8_is_rejected_with_einval(void **state)
{
    (void)state;
    rgc_heap_t *h = rgc_heap_new(NULL);
    record_errors();
    assert_null(rgc_str_intern(h, "bad\xff"));
    assert_int_equal(recorded.last_code, RGC_EINVAL);
    assert_null(rgc_str_intern(h, NULL));
    assert_null(rgc_str_intern(NULL, "x"));
    assert_int_equal(recorded.count, 3);
    rgc_set_error_handler(NULL, NULL);
    assert_heap_ok(h);
    rgc_heap_destroy(h);
}

enum { NINTERN = 700 };

/* Interns NINTERN distinct strings (every 100th longer than a small block,
 * so large blocks are needed too); returns how many were interned before
 * the first failure. */
static int intern_many(rgc_heap_t *h)
{
    static char text[1200];
    for (int i = 0; i < NINTERN; i++) {
        int n = snprintf(text, sizeof text, "name-%d", i);
        if (i % 100 == 0) {
            memset(text + n, 'x', 1000);
            text[n + 1000] = '\0';
        }
        void *s = rgc_str_intern(h, text);
        void *again = s ? rgc_str_intern(h, text) : NULL; /* looks up with a temporary */
        if (!again)
            return i;
        if (!rgc_str_is_interned(s) || again != s)
            fail_msg("string %d was not interned uniquely", i);
    }
    return NINTERN;
}

static void test_interning_survives_every_allocation_failure(void **state)
{
    (void)state;
    record_errors();
    counting_sysmem_t probe = {0};
    rgc_sysmem_t sm = counting_sysmem(&probe);
    rgc_heap_config_t cfg = {.name = "intern", .sysmem = &sm};
    rgc_heap_t *h = rgc_heap_new(&cfg);
    assert_int_equal(intern_many(h), NINTERN);
    rgc_heap_destroy(h);
    long total = probe.calls;
    assert_true(total > 5);
    for (long n = 2; n <= total; n++) {
        counting_sysmem_t c = {.fail_at = n};
        sm = counting_sysmem(&c);
        h = rgc_heap_new(&cfg);
        assert_non_null(h);
        recorded.count = 0;
        assert_true(intern_many(h) < NINTERN);
        assert_int_equal(recorded.last_code, RGC_ENOMEM);
        assert_heap_ok(h);
        /* The failure is gone: everything interns, each string once, and
         * nothing is left over from the failed attempt. */
        assert_int_equal(intern_many(h), NINTERN);
        assert_int_equal(live_objects(h), NINTERN + 1); /* the strings and their table */
        assert_heap_ok(h);
        rgc_heap_destroy(h);
        assert_int_equal(c.mapped + c.allocated, 0);
    }
    rgc_set_error_handler(NULL, NULL);
}

static void test_bytes_keep_embedded_nuls(void **state)
{
    (void)state;
    rgc_heap_t *h = rgc_heap_new(NULL);
    const uint8_t raw[] = {'a', 0, 'b', 0, 0xff};
    void *b = rgc_bytes_new(h, raw, sizeof raw);
    assert_true(rgc_is(b, rgc_bytes_type()));
    assert_int_equal(rgc_bytes_len(b), 5);
    assert_memory_equal(rgc_bytes_data(b), raw, sizeof raw);
    assert_ptr_not_equal(rgc_bytes_data(b), raw);
    assert_int_equal(rgc_bytes_data(b)[5], 0); /* a NUL follows, outside the length */

    void *same = rgc_bytes_new(h, raw, sizeof raw), *shorter = rgc_bytes_new(h, raw, 4);
    assert_int_equal(rgc_equal(b, same), 1);
    assert_true(hash_of(b) == hash_of(same));
    assert_int_equal(rgc_equal(b, shorter), 0);

    void *empty = rgc_bytes_new(h, NULL, 0);
    assert_int_equal(rgc_bytes_len(empty), 0);
    rgc_decref(b);
    rgc_decref(same);
    rgc_decref(shorter);
    rgc_decref(empty);
    assert_heap_ok(h);
    rgc_heap_destroy(h);
}

static void expect_repr(void *o, const char *want)
{
    char buf[64];
    rgc_repr(o, buf, sizeof buf);
    assert_string_equal(buf, want);
    rgc_decref(o);
}

static void test_reprs_are_quoted_and_escaped_like_python(void **state)
{
    (void)state;
    rgc_heap_t *h = rgc_heap_new(NULL);
    expect_repr(rgc_str_from_cstr(h, "abc"), "'abc'");
    expect_repr(rgc_str_from_cstr(h, "it's"), "\"it's\"");
    expect_repr(rgc_str_from_cstr(h, "'\""), "'\\'\"'");
    expect_repr(rgc_str_from_cstr(h, "tab\there\n"), "'tab\\there\\n'");
    expect_repr(rgc_str_from_cstr(h, "back\\slash"), "'back\\\\slash'");
    expect_repr(rgc_str_new(h, "\0\x1f\x7f", 3), "'\\x00\\x1f\\x7f'");
    expect_repr(rgc_str_from_cstr(h, "caf\xc3\xa9"), "'caf\xc3\xa9'");
    expect_repr(rgc_str_from_cstr(h, "\xc2\x85"), "'\\x85'"); /* a C1 control */
    expect_repr(rgc_bytes_new(h, "a\0\xff'", 4), "b\"a\\x00\\xff'\"");
    expect_repr(rgc_bytes_new(h, "", 0), "b''");

    /* Exactly fitting text is whole; longer text ends in "...'". */
    char buf[8];
    void *s = rgc_str_from_cstr(h, "abcde");
    rgc_repr(s, buf, sizeof buf);
    assert_string_equal(buf, "'abcde'");
    rgc_decref(s);
    s = rgc_str_from_cstr(h, "abcdef");
    rgc_repr(s, buf, sizeof buf);
    assert_string_equal(buf, "'ab...'");
    rgc_decref(s);
    /* A multi-byte character is never cut. */
    s = rgc_str_from_cstr(h, "a\xe2\x82\xac\xe2\x82\xac");
    rgc_repr(s, buf, sizeof buf);
    assert_string_equal(buf, "'a...'");
    rgc_decref(s);
    assert_heap_ok(h);
    rgc_heap_destroy(h);
}

static void test_sizes_follow_the_16_byte_size_classes(void **state)
{
    (void)state;
    rgc_heap_t *h = rgc_heap_new(NULL);
    /* str: 40 bytes of fixed part + text + NUL. */
    void *s0 = rgc_str_from_cstr(h, ""), *s7 = rgc_str_from_cstr(h, "1234567");
    void *s8 = rgc_str_from_cstr(h, "12345678");
    assert_int_equal(rgc_sizeof(s0), 48);
    assert_int_equal(rgc_sizeof(s7), 48);
    assert_int_equal(rgc_sizeof(s8), 64);
    /* bytes: 32 bytes of fixed part + data + NUL. */
    void *b15 = rgc_bytes_new(h, "123456789012345", 15);
    void *b16 = rgc_bytes_new(h, "1234567890123456", 16);
    assert_int_equal(rgc_sizeof(b15), 48);
    assert_int_equal(rgc_sizeof(b16), 64);
    assert_false(rgc_is_tracked(s0));
    assert_false(rgc_is_tracked(b15));
    void *objs[] = {s0, s7, s8, b15, b16};
    for (size_t i = 0; i < 5; i++)
        rgc_decref(objs[i]);
    assert_heap_ok(h);
    rgc_heap_destroy(h);
}

static void test_large_strings_live_in_large_blocks(void **state)
{
    (void)state;
    rgc_heap_t *h = rgc_heap_new(NULL);
    enum { N = 3000 };
    static char text[N * 2 + 1];
    for (int i = 0; i < N; i++)
        memcpy(text + 2 * i, "\xc3\xa9", 2); /* é */
    size_t before = live_objects(h);
    void *s = rgc_str_new(h, text, 2 * N);
    assert_int_equal(rgc_str_length(s), N);
    assert_int_equal(rgc_str_nbytes(s), 2 * N);
    assert_true(rgc_sizeof(s) >= 40 + 2 * N + 1);
    void *t = rgc_str_new(h, text, 2 * N);
    assert_int_equal(rgc_equal(s, t), 1);
    assert_true(hash_of(s) == hash_of(t));
    rgc_decref(s);
    rgc_decref(t);
    assert_int_equal(live_objects(h), before);
    assert_heap_ok(h);
    rgc_heap_destroy(h);
}

static void test_null_and_wrong_types_are_rejected_with_einval(void **state)
{
    (void)state;
    rgc_heap_t *h = rgc_heap_new(NULL);
    record_errors();
    void *s = rgc_str_from_cstr(h, "x"), *b = rgc_bytes_new(h, "x", 1);
    assert_null(rgc_str_new(NULL, "x", 1));
    assert_null(rgc_str_new(h, NULL, 3));
    assert_null(rgc_str_from_cstr(h, NULL));
    assert_null(rgc_bytes_new(h, NULL, 2));
    assert_int_equal(recorded.count, 4);
    assert_int_equal(recorded.last_code, RGC_EINVAL);

    assert_null(rgc_str_data(b));
    assert_string_equal(recorded.last_type, "bytes");
    assert_int_equal(rgc_str_length(b), 0);
    assert_int_equal(rgc_str_nbytes(NULL), 0);
    assert_false(rgc_str_is_interned(b));
    assert_null(rgc_bytes_data(s));
    assert_string_equal(recorded.last_type, "str");
    assert_int_equal(rgc_bytes_len(s), 0);
    assert_int_equal(recorded.count, 10);
    assert_int_equal(recorded.last_code, RGC_EINVAL);
    rgc_set_error_handler(NULL, NULL);
    rgc_decref(s);
    rgc_decref(b);
    assert_heap_ok(h);
    rgc_heap_destroy(h);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_str_round_trips_its_text_with_a_terminating_nul),
        cmocka_unit_test(test_str_length_counts_code_points_of_multibyte_text),
        cmocka_unit_test(test_edge_code_points_and_embedded_nul_are_valid),
        cmocka_unit_test(test_invalid_utf8_is_rejected_with_einval),
        cmocka_unit_test(test_equal_text_is_equal_and_hashes_alike),
        cmocka_unit_test(test_similar_strings_hash_to_distinct_values),
        cmocka_unit_test(test_interning_gives_one_immortal_string_per_text),
        cmocka_unit_test(test_interned_strings_belong_to_their_heap),
        cmocka_unit_test(test_interning_invalid_utf8_is_rejected_with_einval),
        cmocka_unit_test(test_interning_survives_every_allocation_failure),
        cmocka_unit_test(test_bytes_keep_embedded_nuls),
        cmocka_unit_test(test_reprs_are_quoted_and_escaped_like_python),
        cmocka_unit_test(test_sizes_follow_the_16_byte_size_classes),
        cmocka_unit_test(test_large_strings_live_in_large_blocks),
        cmocka_unit_test(test_null_and_wrong_types_are_rejected_with_einval),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
