/* test_memory.c: arena, strbuf, vec and map, including allocation-failure paths. */
#include "ct_test.h"

#include <stdio.h>
#include <string.h>

#include "base/alloc.h"
#include "base/arena.h"
#include "base/map.h"
#include "base/strbuf.h"
#include "base/vec.h"

static void arena_alloc_aligned_and_capped(void **state)
{
    (void)state;
    ct_arena *a = ct_arena_create(64 * 1024);
    assert_non_null(a);
    for (int i = 0; i < 100; i++) {
        void *p = ct_arena_alloc(a, (size_t)(i * 7 + 1));
        assert_non_null(p);
        assert_int_equal((uintptr_t)p % 16, 0);
        memset(p, 0xab, (size_t)(i * 7 + 1));
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
    assert_int_equal(CT_VEC_PUSH(&v, 1), -1);
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
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
