/* test_jsonw.c: the streaming JSON writer against jansson.
 *
 * Documents written with the writer must parse with jansson and, dumped by jansson with the
 * flags the API uses, give the same bytes: commas, nesting, empty containers, escapes of
 * quotes, backslashes and control bytes, UTF-8 kept, invalid UTF-8 replaced by U+FFFD,
 * integers to the extremes, reals; a buffer cap and too deep a nesting fail with a status
 * and stop writing. */
#include "ct_test.h"

#include <jansson.h>
#include <stdint.h>
#include <string.h>

#include "base/jsonw.h"
#include "base/strbuf.h"

/* The writer's text parses, and jansson writes the same bytes back. */
static void assert_round_trip(const ct_strbuf *sb)
{
    json_error_t err;
    json_t *doc = json_loadb(sb->data, sb->len, JSON_DECODE_ANY, &err);
    if (doc == NULL)
        fail_msg("not JSON (%s) at %d: %s", err.text, err.position, sb->data);
    char *back = json_dumps(doc, JSON_COMPACT | JSON_PRESERVE_ORDER | JSON_REAL_PRECISION(9) |
                                     JSON_ENCODE_ANY);
    assert_non_null(back);
    assert_string_equal(back, sb->data);
    free(back);
    json_decref(doc);
}

static void documents_equal_jansson(void **state)
{
    (void)state;
    ct_strbuf sb;
    ct_strbuf_init(&sb, 1 << 20);
    ct_jw w;
    ct_jw_init(&w, &sb);
    ct_jw_obj(&w);
    ct_jw_kstr(&w, "plain", "LHR");
    ct_jw_kstr(&w, "escapes", "a\"b\\c\nd\re\tf\x01g\x1fh");
    ct_jw_kstr(&w, "utf8", "S\xc3\xa3o Paulo, \xe6\x9d\xb1\xe4\xba\xac, \xf0\x9f\x9b\xab");
    ct_jw_kint(&w, "zero", 0);
    ct_jw_kint(&w, "min", INT64_MIN + 1);
    ct_jw_kint(&w, "max", INT64_MAX);
    ct_jw_kbool(&w, "yes", 1);
    ct_jw_kbool(&w, "no", 0);
    ct_jw_key(&w, "none");
    ct_jw_null(&w);
    ct_jw_key(&w, "reals");
    ct_jw_arr(&w);
    ct_jw_real(&w, 648.25);
    ct_jw_real(&w, 3.0);
    ct_jw_real(&w, -0.000125);
    ct_jw_real(&w, 1e21);
    ct_jw_real(&w, 2.5e-7);
    ct_jw_arr_end(&w);
    ct_jw_key(&w, "empty");
    ct_jw_obj(&w);
    ct_jw_obj_end(&w);
    ct_jw_key(&w, "nested");
    ct_jw_arr(&w);
    ct_jw_arr(&w);
    ct_jw_arr_end(&w);
    ct_jw_obj(&w);
    ct_jw_kint(&w, "a", 1);
    ct_jw_key(&w, "b");
    ct_jw_arr(&w);
    ct_jw_int(&w, 2);
    ct_jw_str(&w, "3");
    ct_jw_arr_end(&w);
    ct_jw_obj_end(&w);
    ct_jw_raw(&w, "[4]", 3);
    ct_jw_arr_end(&w);
    ct_jw_obj_end(&w);
    assert_int_equal(ct_jw_status(&w), CT_OK);
    assert_round_trip(&sb);
    assert_non_null(strstr(sb.data, "\"escapes\":\"a\\\"b\\\\c\\nd\\re\\tf\\u0001g\\u001Fh\""));
    ct_strbuf_free(&sb);
}

static void invalid_utf8_is_replaced(void **state)
{
    (void)state;
    /* a lone continuation byte, a truncated sequence, an overlong form, a surrogate, 0xff */
    static const char *const bad[] = {"a\x80z", "a\xc3", "a\xc0\xafz", "a\xed\xa0\x80z", "\xff"};
    for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
        ct_strbuf sb;
        ct_strbuf_init(&sb, 1024);
        ct_jw w;
        ct_jw_init(&w, &sb);
        ct_jw_str(&w, bad[i]);
        assert_int_equal(ct_jw_status(&w), CT_OK);
        assert_non_null(strstr(sb.data, "\xef\xbf\xbd"));
        assert_round_trip(&sb);
        ct_strbuf_free(&sb);
    }
}

static void failures_stick(void **state)
{
    (void)state;
    ct_strbuf sb;
    ct_strbuf_init(&sb, 16); /* the cap */
    ct_jw w;
    ct_jw_init(&w, &sb);
    ct_jw_arr(&w);
    for (int i = 0; i < 10; i++)
        ct_jw_str(&w, "abcdef");
    assert_int_equal(ct_jw_status(&w), CT_TOO_LARGE);
    size_t len = sb.len;
    ct_jw_int(&w, 1); /* nothing more is written */
    assert_int_equal(sb.len, len);
    assert_true(sb.len <= 16);
    ct_strbuf_free(&sb);

    ct_strbuf_init(&sb, 1 << 16);
    ct_jw_init(&w, &sb);
    for (int i = 0; i < 40; i++)
        ct_jw_arr(&w);
    assert_int_equal(ct_jw_status(&w), CT_TOO_LARGE); /* deeper than 32 levels */
    ct_strbuf_free(&sb);
}

/* The writer's text for one value equals jansson's dump of the same value. */
static void assert_value_as_jansson(const ct_strbuf *sb, json_t *v)
{
    char *want = json_dumps(v, JSON_COMPACT | JSON_PRESERVE_ORDER | JSON_REAL_PRECISION(9) |
                                   JSON_ENCODE_ANY);
    assert_non_null(want);
    assert_string_equal(sb->data, want);
    free(want);
}

/* Strings of every length up to 40 with one byte to escape (or a UTF-8 sequence) at every
 * position: the writer tests eight bytes at a time, so each word position is covered. */
static void strings_of_every_length(void **state)
{
    (void)state;
    static const char *const odd[] = {"\"", "\\", "\x01", "\x1f", "\n", "\x7f", "\xc3\xa3"};
    char str[64];
    for (size_t len = 0; len <= 40; len++) {
        for (size_t pos = 0; pos <= len; pos++) {
            for (size_t k = 0; k < sizeof(odd) / sizeof(odd[0]); k++) {
                size_t n = 0;
                for (size_t i = 0; i < len; i++)
                    str[n++] = (char)('a' + i % 26);
                if (pos < len) { /* else: plain only */
                    size_t m = strlen(odd[k]);
                    memmove(str + pos + m, str + pos, n - pos);
                    memcpy(str + pos, odd[k], m);
                    n += m;
                }
                str[n] = '\0';
                ct_strbuf sb;
                ct_strbuf_init(&sb, 1024);
                ct_jw w;
                ct_jw_init(&w, &sb);
                ct_jw_str(&w, str);
                assert_int_equal(ct_jw_status(&w), CT_OK);
                json_t *j = json_string(str);
                assert_non_null(j);
                assert_value_as_jansson(&sb, j);
                json_decref(j);
                ct_strbuf_free(&sb);
            }
        }
    }
}

/* Reals as jansson writes them: decimals of two places (the writer's own path), values
 * next to them, and others across the range. */
static void reals_equal_jansson(void **state)
{
    (void)state;
    uint64_t x = 88172645463325252ull; /* xorshift */
    for (int i = 0; i < 20000; i++) {
        x ^= x << 13, x ^= x >> 7, x ^= x << 17;
        double v;
        switch (i % 5) {
        case 0:
            v = (double)(int64_t)(x % 2000000000ull) / 100 - 1e7;
            break; /* -1e7 .. 1e7 */
        case 1:
            v = (double)(int64_t)(x % 100000ull) / 100;
            break;
        case 2:
            v = (double)(int64_t)(x % 100000ull) / 100 + 1e-9;
            break;
        case 3:
            v = (double)(int64_t)(x % 1000ull) / 4 * ((x >> 40) % 2 ? -1 : 1);
            break;
        default:
            v = (double)(x >> 11) / (double)(1ull << 53) * 1e12 - 5e11;
            break;
        }
        static const double edge[] = {0.0,        -0.0,        0.01, -0.01,       0.05,    0.5,
                                      9999999.99, -9999999.99, 1e7,  10000000.01, 1181.25, 870.57};
        if (i < (int)(sizeof(edge) / sizeof(edge[0])))
            v = edge[i];
        ct_strbuf sb;
        ct_strbuf_init(&sb, 1024);
        ct_jw w;
        ct_jw_init(&w, &sb);
        ct_jw_real(&w, v);
        json_t *j = json_real(v);
        assert_value_as_jansson(&sb, j);
        json_decref(j);
        ct_strbuf_free(&sb);
    }
}

/* ct_strbuf_put_html (base/strbuf.h): the five characters HTML gives meaning to become
 * entities, everything else (UTF-8 included) is copied. */
static void html_escaping(void **state)
{
    (void)state;
    ct_strbuf sb;
    ct_strbuf_init(&sb, 256);
    assert_int_equal(ct_strbuf_put_html(&sb, "<a href=\"x\">Tom & Jerry's</a> Zürich"), CT_OK);
    assert_string_equal(ct_strbuf_str(&sb),
                        "&lt;a href=&quot;x&quot;&gt;Tom &amp; Jerry&#39;s&lt;/a&gt; Zürich");
    ct_strbuf_free(&sb);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(documents_equal_jansson), cmocka_unit_test(invalid_utf8_is_replaced),
        cmocka_unit_test(failures_stick),          cmocka_unit_test(strings_of_every_length),
        cmocka_unit_test(reals_equal_jansson),     cmocka_unit_test(html_escaping),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
