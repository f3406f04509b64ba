/* test_memory.c: arena, strbuf, vec and map, including allocation-failure paths, and jansson
 * under the same fault injection (ct_test.h installs the wrapper as its allocator). */
#include "ct_test.h"

#include <jansson.h>
#include <stdio.h>
#include <string.h>

#include "base/alloc.h"
#include "base/arena.h"
#include "base/json.h"
#include "base/map.h"
#include "base/strbuf.h"
#include "base/vec.h"

static void arena_alloc_aligned_and_capped(void **state)
{
    (void)state;
    ct_arena *a = ct_arena_create(64 * 1024);
    assert_non_null(a);
    for (int i = 0; i < 100; i++) {
        void *p = ct_arena_alloc(a, (size_t)i * 7 + 1);
        assert_non_null(p);
        assert_int_equal((uintptr_t)p % 16, 0);
        memset(p, 0xab, (size_t)i * 7 + 1);
    }
    char *big = ct_arena_alloc(a, 10000); /* own block */
    assert_non_null(big);
    memset(big, 1, 10000);
    assert_null(ct_arena_alloc(a, 100 * 1024)); /* over the cap */
    char *s = ct_arena_printf(a, "%s-%d", "LHR", 42);
    assert_string_equal(s, "LHR-42");
    assert_string_equal(ct_arena_strndup(a, "ZRHX", 3), "ZRH");
    assert_true(ct_arena_used(a) > 10000);
    ct_arena_destroy(a);
}

static void arena_calloc_overflow(void **state)
{
    (void)state;
    ct_arena *a = ct_arena_create(0);
    assert_null(ct_arena_calloc(a, SIZE_MAX / 2, 4));
    int *z = ct_arena_calloc(a, 10, sizeof(int));
    for (int i = 0; i < 10; i++)
        assert_int_equal(z[i], 0);
    ct_arena_destroy(a);
}

static void strbuf_caps_and_keeps_content(void **state)
{
    (void)state;
    ct_strbuf sb;
    ct_strbuf_init(&sb, 10);
    assert_int_equal(ct_strbuf_puts(&sb, "hello"), CT_OK);
    assert_int_equal(ct_strbuf_printf(&sb, "%d", 1234), CT_OK);
    assert_string_equal(ct_strbuf_str(&sb), "hello1234");
    assert_int_equal(ct_strbuf_puts(&sb, "xy"), CT_TOO_LARGE);
    assert_string_equal(ct_strbuf_str(&sb), "hello1234");
    assert_int_equal(ct_strbuf_putc(&sb, '!'), CT_OK);
    assert_int_equal(ct_strbuf_putc(&sb, '!'), CT_TOO_LARGE);
    char *taken = ct_strbuf_take(&sb);
    assert_string_equal(taken, "hello1234!");
    assert_string_equal(ct_strbuf_str(&sb), "");
    ct_free(taken);
    ct_strbuf_free(&sb);
}

static void strbuf_out_of_memory(void **state)
{
    (void)state;
    ct_strbuf sb;
    ct_strbuf_init(&sb, 1 << 20);
    ct_alloc_fail_after(0);
    assert_int_equal(ct_strbuf_puts(&sb, "abc"), CT_NOMEM);
    ct_alloc_fail_after(-1);
    assert_int_equal(ct_strbuf_puts(&sb, "abc"), CT_OK);
    ct_strbuf_free(&sb);
}

static void vec_push_and_fail(void **state)
{
    (void)state;
    CT_VEC(int) v = {0};
    for (int i = 0; i < 1000; i++)
        assert_int_equal(CT_VEC_PUSH(&v, i), 0);
    assert_int_equal(v.len, 1000);
    assert_int_equal(v.items[999], 999);
    size_t cap = v.cap;
    while (v.len < cap)
        CT_VEC_PUSH(&v, 0);
    ct_alloc_fail_after(0);
    assert_int_equal(CT_VEC_PUSH(&v, 1), CT_NOMEM);
    ct_alloc_fail_after(-1);
    assert_int_equal(v.len, cap);
    CT_VEC_FREE(&v);
}

static void map_put_get_grow_iterate(void **state)
{
    (void)state;
    ct_map *m = ct_map_create();
    static int values[5000];
    char key[16];
    for (int i = 0; i < 5000; i++) {
        snprintf(key, sizeof(key), "k%d", i);
        values[i] = i;
        assert_int_equal(ct_map_put(m, key, &values[i]), CT_OK);
    }
    assert_int_equal(ct_map_len(m), 5000);
    assert_ptr_equal(ct_map_get(m, "k4321"), &values[4321]);
    assert_null(ct_map_get(m, "k5000"));
    assert_int_equal(ct_map_put(m, "k1", &values[2]), CT_OK); /* replace */
    assert_ptr_equal(ct_map_get(m, "k1"), &values[2]);
    assert_int_equal(ct_map_len(m), 5000);
    size_t pos = 0, seen = 0;
    const char *k;
    void *v;
    while (ct_map_next(m, &pos, &k, &v))
        seen++;
    assert_int_equal(seen, 5000);
    ct_map_destroy(m);
}

static void map_fails_cleanly_on_every_allocation(void **state)
{
    (void)state;
    /* Fail the n-th allocation for each n; the map must stay consistent every time. */
    for (long n = 0; n < 40; n++) {
        ct_map *m = ct_map_create();
        if (m == NULL)
            continue;
        ct_alloc_fail_after(n);
        char key[16];
        int ok = 0;
        for (int i = 0; i < 30; i++) {
            snprintf(key, sizeof(key), "x%d", i);
            if (ct_map_put(m, key, (void *)(intptr_t)(i + 1)) == CT_OK)
                ok++;
        }
        ct_alloc_fail_after(-1);
        size_t found = 0;
        for (int i = 0; i < 30; i++) {
            snprintf(key, sizeof(key), "x%d", i);
            void *v = ct_map_get(m, key);
            if (v != NULL) {
                assert_int_equal((intptr_t)v, i + 1);
                found++;
            }
        }
        assert_int_equal(found, (size_t)ok);
        assert_int_equal(ct_map_len(m), (size_t)ok);
        ct_map_destroy(m);
    }
}

/* A document with every kind of value, long strings and escapes: many allocations. */
static const char JSON_DOC[] =
    "{\"slices\":[{\"origin\":\"ZRH\",\"destination\":\"JFK\",\"date\":\"2027-03-01\"},"
    "{\"origin\":\"JFK\",\"destination\":\"ZRH\",\"date\":\"2027-03-15\"}],"
    "\"passengers\":{\"adults\":2,\"children\":1,\"infants\":0},\"cabin\":\"first\","
    "\"currency\":\"CHF\",\"max_price\":1234.5,\"direct\":false,\"note\":null,"
    "\"name\":\"Z\\u00fcrich \\u2708 a string long enough to make the lexer grow its buffer "
    "more than once, more than once, more than once\",\"carriers\":[\"LX\",\"UA\",\"AC\"],"
    "\"nested\":{\"a\":{\"b\":{\"c\":[1,[2,[3,{\"d\":true}]]]}}}}";

static void json_loads_fails_cleanly_on_every_allocation(void **state)
{
    (void)state;
    json_error_t err;
    json_t *want = json_loads(JSON_DOC, 0, &err);
    assert_non_null(want);
    /* Fail the k-th allocation for each k until the document needs fewer than k. Raw
     * jansson never crashes or leaks (the ASan build checks), but does not always fail: a
     * lost byte can come back as a wrong document (json.h). Every failure and every wrong
     * document shows as this thread's failed allocation, which ct_json_loadb relies on. */
    long k = 0, wrong = 0;
    for (; k < 100000; k++) {
        unsigned long before = ct_alloc_failed_here();
        ct_alloc_fail_after(k);
        json_t *got = json_loads(JSON_DOC, 0, &err);
        ct_alloc_fail_after(-1);
        int failed = ct_alloc_failed_here() != before;
        if (got != NULL && !failed) {
            assert_true(json_equal(got, want));
            json_decref(got);
            break;
        }
        assert_true(failed);
        wrong += got != NULL;
        json_decref(got);
    }
    assert_true(k >= 20); /* failing at k = 0 proves jansson allocates through the wrapper */
    assert_true(k < 100000);
    print_message("json_loads: %ld allocations, %ld wrong documents under a failure\n", k, wrong);
    /* ct_json_loadb: CT_NOMEM and no document for every k, then the whole document. */
    for (long n = 0;; n++) {
        json_t *got = (json_t *)1;
        ct_alloc_fail_after(n);
        ct_status rc = ct_json_loadb(JSON_DOC, strlen(JSON_DOC), 0, &got, &err);
        ct_alloc_fail_after(-1);
        if (rc == CT_OK) {
            assert_int_equal(n, k);
            assert_true(json_equal(got, want));
            json_decref(got);
            break;
        }
        assert_int_equal(rc, CT_NOMEM);
        assert_null(got);
        assert_string_equal(err.text, "out of memory");
        assert_int_equal(json_error_code(&err), json_error_out_of_memory);
    }
    json_t *bad = (json_t *)1;
    assert_int_equal(ct_json_loadb("{\"a\":", 5, 0, &bad, &err), CT_INVALID);
    assert_null(bad);
    assert_true(err.text[0] != '\0');
    /* And back out: raw json_dumps can return a text with bytes missing (invalid JSON) when
     * an allocation fails; ct_json_dumps never does. */
    char *full = json_dumps(want, JSON_COMPACT | JSON_PRESERVE_ORDER);
    assert_non_null(full);
    for (long n = 0;; n++) {
        char *text = (char *)1;
        ct_alloc_fail_after(n);
        ct_status rc = ct_json_dumps(want, JSON_COMPACT | JSON_PRESERVE_ORDER, &text);
        ct_alloc_fail_after(-1);
        if (rc == CT_OK) {
            assert_true(n >= 5);
            assert_string_equal(text, full);
            ct_free(text);
            break;
        }
        assert_int_equal(rc, CT_NOMEM);
        assert_null(text);
    }
    ct_free(full);
    json_decref(want);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(arena_alloc_aligned_and_capped),
        cmocka_unit_test(arena_calloc_overflow),
        cmocka_unit_test(strbuf_caps_and_keeps_content),
        cmocka_unit_test(strbuf_out_of_memory),
        cmocka_unit_test(vec_push_and_fail),
        cmocka_unit_test(map_put_get_grow_iterate),
        cmocka_unit_test(map_fails_cleanly_on_every_allocation),
        cmocka_unit_test(json_loads_fails_cleanly_on_every_allocation),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
