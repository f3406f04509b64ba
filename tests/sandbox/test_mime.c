/* test_mime.c: the mailbox's message reading: splitting, header unfolding, RFC 2047 words,
 * quoted-printable, base64, the multipart walk, and UTF-8 cleaning, on exact inputs. */
#include "ct_test.h"

#include <string.h>

#include "base/strbuf.h"
#include "sandbox/mail/mime.h"

static ct_strbuf out;

static int before(void **state)
{
    (void)state;
    ct_strbuf_init(&out, 1u << 20);
    return 0;
}

static int after(void **state)
{
    (void)state;
    ct_strbuf_free(&out);
    return 0;
}

static void split_at_the_first_empty_line(void **state)
{
    (void)state;
    const char *m = "A: 1\r\nB: 2\r\n\r\nbody\r\n\r\nmore";
    sb_mime_view v;
    sb_mime_split(m, strlen(m), &v);
    assert_int_equal(v.head_len, 12);
    assert_int_equal(v.body_len, strlen("body\r\n\r\nmore"));
    assert_memory_equal(v.body, "body\r\n\r\nmore", v.body_len);
    const char *lf = "A: 1\n\nx";
    sb_mime_split(lf, strlen(lf), &v);
    assert_int_equal(v.head_len, 5);
    assert_int_equal(v.body_len, 1);
    const char *nobody = "A: 1\r\n";
    sb_mime_split(nobody, strlen(nobody), &v);
    assert_int_equal(v.head_len, 6);
    assert_int_equal(v.body_len, 0);
}

static void headers_unfold_and_match_any_case(void **state)
{
    (void)state;
    const char *m =
        "Subject: a long\r\n  folded\r\n\tsubject \r\nX-Odd : spaced\r\nno colon line\r\n"
        "subject: second\r\n\r\nbody";
    sb_mime_view v;
    sb_mime_split(m, strlen(m), &v);
    assert_int_equal(sb_mime_header(&v, "SUBJECT", &out), CT_OK);
    assert_string_equal(ct_strbuf_str(&out), "a long  folded\tsubject");
    assert_int_equal(sb_mime_header(&v, "x-odd", &out), CT_OK);
    assert_string_equal(ct_strbuf_str(&out), "spaced");
    assert_int_equal(sb_mime_header(&v, "Missing", &out), CT_NOT_FOUND);
}

static void encoded_words(void **state)
{
    (void)state;
    static const struct {
        const char *in, *want;
    } cases[] = {
        {"=?UTF-8?B?WsO8cmljaA==?=", "Z\xc3\xbcrich"},
        {"=?utf-8?q?Z=C3=BCrich_Airport?=", "Z\xc3\xbcrich Airport"},
        {"=?ISO-8859-1?Q?Z=FCrich?=", "Z\xc3\xbcrich"},
        {"Hello =?UTF-8?B?WsO8cmljaA==?= and bye", "Hello Z\xc3\xbcrich and bye"},
        {"=?UTF-8?Q?a?= =?UTF-8?Q?b?=", "ab"}, /* space between words dropped */
        {"=?UTF-8?Q?a?=  plain", "a  plain"},
        {"=?KOI8-R?B?8NLJ18XU?=", "=?KOI8-R?B?8NLJ18XU?="}, /* unknown charset kept */
        {"=?UTF-8?X?abc?=", "=?UTF-8?X?abc?="},
        {"=?UTF-8?B?not base64!?=", "=?UTF-8?B?not base64!?="},
        {"a = b =? c", "a = b =? c"},
        {"=?UTF-8*en?Q?hi?=", "hi"},
    };
    for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
        ct_strbuf_reset(&out);
        assert_int_equal(sb_mime_decode_words(cases[i].in, &out), CT_OK);
        assert_string_equal(ct_strbuf_str(&out), cases[i].want);
    }
}

static void quoted_printable(void **state)
{
    (void)state;
    const char *in = "caf=C3=A9 soft=\r\nbreak, lf soft=\nbreak, pad=  \r\nend, =3D, bad =ZZ, =";
    assert_int_equal(sb_mime_decode_qp(in, strlen(in), &out), CT_OK);
    assert_string_equal(ct_strbuf_str(&out),
                        "caf\xc3\xa9 softbreak, lf softbreak, padend, =, bad =ZZ, ");
}

static void base64(void **state)
{
    (void)state;
    const char *in = "SGVsbG8s\r\nIFfDtnJs\r\nZCE=\r\n";
    assert_int_equal(sb_mime_decode_base64(in, strlen(in), &out), CT_OK);
    assert_string_equal(ct_strbuf_str(&out), "Hello, W\xc3\xb6rld!");
    ct_strbuf_reset(&out);
    assert_int_equal(sb_mime_decode_base64("@@@", 3, &out), CT_INVALID);
    assert_int_equal(out.len, 0);
}

static void multipart_alternative_picks_text_and_html(void **state)
{
    (void)state;
    const char *m = "From: a@b\r\n"
                    "Content-Type: multipart/mixed; boundary=\"outer\"\r\n"
                    "\r\n"
                    "preamble\r\n"
                    "--outer\r\n"
                    "Content-Type: multipart/alternative; boundary=inner\r\n"
                    "\r\n"
                    "--inner\r\n"
                    "Content-Type: text/plain; charset=utf-8\r\n"
                    "Content-Transfer-Encoding: quoted-printable\r\n"
                    "\r\n"
                    "Gr=C3=BCezi =\r\n"
                    "Ada\r\n"
                    "--inner\r\n"
                    "Content-Type: text/html; charset=\"UTF-8\"\r\n"
                    "Content-Transfer-Encoding: base64\r\n"
                    "\r\n"
                    "PHA+R3LDvGV6aTwvcD4=\r\n"
                    "--inner--\r\n"
                    "--outer\r\n"
                    "Content-Type: text/plain\r\n"
                    "Content-Disposition: attachment; filename=x.txt\r\n"
                    "\r\n"
                    "attached\r\n"
                    "--outer--\r\n"
                    "epilogue\r\n";
    ct_strbuf html;
    ct_strbuf_init(&html, 1u << 20);
    int has_text = 0, has_html = 0;
    assert_int_equal(sb_mime_text_bodies(m, strlen(m), &out, &has_text, &html, &has_html), CT_OK);
    assert_true(has_text);
    assert_true(has_html);
    assert_string_equal(ct_strbuf_str(&out), "Gr\xc3\xbc"
                                             "ezi Ada");
    assert_string_equal(ct_strbuf_str(&html), "<p>Gr\xc3\xbc"
                                              "ezi</p>");
    ct_strbuf_free(&html);
}

static void plain_messages_and_latin1(void **state)
{
    (void)state;
    const char *m = "Subject: x\r\n\r\nline 1\r\nline 2\r\n";
    ct_strbuf html;
    ct_strbuf_init(&html, 1u << 20);
    int has_text = 0, has_html = 1;
    assert_int_equal(sb_mime_text_bodies(m, strlen(m), &out, &has_text, &html, &has_html), CT_OK);
    assert_true(has_text);
    assert_false(has_html);
    assert_string_equal(ct_strbuf_str(&out), "line 1\r\nline 2\r\n");
    ct_strbuf_reset(&out);
    const char *l1 = "Content-Type: text/plain; charset=ISO-8859-1\r\n"
                     "Content-Transfer-Encoding: 8bit\r\n\r\nZ\xfcrich";
    assert_int_equal(sb_mime_text_bodies(l1, strlen(l1), &out, &has_text, &html, &has_html), CT_OK);
    assert_string_equal(ct_strbuf_str(&out), "Z\xc3\xbcrich");
    ct_strbuf_reset(&out);
    /* A multipart without its closing delimiter still yields its last part. */
    const char *open = "Content-Type: multipart/alternative; boundary=b\r\n\r\n--b\r\n"
                       "Content-Type: text/html\r\n\r\n<b>x</b>";
    has_html = 0;
    assert_int_equal(sb_mime_text_bodies(open, strlen(open), &out, &has_text, &html, &has_html),
                     CT_OK);
    assert_false(has_text);
    assert_true(has_html);
    assert_string_equal(ct_strbuf_str(&html), "<b>x</b>");
    ct_strbuf_free(&html);
}

static void utf8_cleaning(void **state)
{
    (void)state;
    static const struct {
        const char *in;
        size_t len;
        const char *want;
    } cases[] = {
        {"plain", 5, "plain"},
        {"Z\xc3\xbcrich \xe2\x82\xac \xf0\x9f\x9b\xab", 16,
         "Z\xc3\xbcrich \xe2\x82\xac \xf0\x9f\x9b\xab"},
        {"a\xff"
         "b",
         3,
         "a\xef\xbf\xbd"
         "b"},
        {"\xc3", 1, "\xef\xbf\xbd"},                                 /* truncated */
        {"\xc0\xaf", 2, "\xef\xbf\xbd\xef\xbf\xbd"},                 /* overlong */
        {"\xed\xa0\x80", 3, "\xef\xbf\xbd\xef\xbf\xbd\xef\xbf\xbd"}, /* surrogate */
        {"a\0b", 3,
         "a\xef\xbf\xbd"
         "b"},
    };
    for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
        ct_strbuf_reset(&out);
        assert_int_equal(sb_mime_utf8_clean(cases[i].in, cases[i].len, &out), CT_OK);
        assert_string_equal(ct_strbuf_str(&out), cases[i].want);
    }
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(split_at_the_first_empty_line, before, after),
        cmocka_unit_test_setup_teardown(headers_unfold_and_match_any_case, before, after),
        cmocka_unit_test_setup_teardown(encoded_words, before, after),
        cmocka_unit_test_setup_teardown(quoted_printable, before, after),
        cmocka_unit_test_setup_teardown(base64, before, after),
        cmocka_unit_test_setup_teardown(multipart_alternative_picks_text_and_html, before, after),
        cmocka_unit_test_setup_teardown(plain_messages_and_latin1, before, after),
        cmocka_unit_test_setup_teardown(utf8_cleaning, before, after),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
