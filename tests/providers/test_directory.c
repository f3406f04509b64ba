/* test_directory.c: the partner directory of src/providers/directory.h.
 *
 * A directory document with good and unusable entries -> the good ones with their dialect,
 * kind and display name (stated, or the dialect's kind when not stated; a trailing slash
 * trimmed), the bad ones skipped and counted (no URL, a URL that is not HTTP, an unknown
 * dialect, a duplicate name); names shown to travellers are the brand when stated, else a
 * generic label by kind, never the internal code. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <cmocka.h>

#include "providers/directory.h"

static const char *const DOC =
    "{\"providers\": ["
    " {\"name\":\"gw-lh\",\"url\":\"http://127.0.0.1:4100/\",\"dialect\":\"ndc\","
    "  \"display_name\":\"Lufthansa\"},"
    " {\"name\":\"agency-x\",\"url\":\"https://x.example\",\"dialect\":\"voyagio\","
    "  \"kind\":\"agency\",\"display_name\":\"Xpedia\"},"
    " {\"name\":\"ota-usd\",\"url\":\"http://127.0.0.1:4102\"},"
    " {\"name\":\"nourl\",\"dialect\":\"ndc\"},"
    " {\"name\":\"ftp\",\"url\":\"ftp://x\",\"dialect\":\"ndc\"},"
    " {\"name\":\"klingon\",\"url\":\"http://x\",\"dialect\":\"klingon\"},"
    " {\"name\":\"agency-x\",\"url\":\"http://dup\",\"dialect\":\"voyagio\"},"
    " {\"name\":\"mixer\",\"url\":\"http://m\",\"dialect\":\"hopscotch\"}"
    "]}";

static void good_entries_are_read_and_bad_ones_skipped(void **state)
{
    (void)state;
    json_error_t e;
    json_t *doc = json_loads(DOC, 0, &e);
    assert_non_null(doc);
    ct_partner_directory d;
    ct_partner_directory_read(doc, &d);
    json_decref(doc);
    assert_int_equal(d.n, 4);
    assert_int_equal(d.skipped, 4);
    const ct_partner *lh = ct_partner_find(&d, "gw-lh");
    assert_non_null(lh);
    assert_string_equal(lh->base_url, "http://127.0.0.1:4100");
    assert_int_equal(lh->dialect, CT_DIALECT_NDC);
    assert_int_equal(lh->kind, CT_PROVIDERS_AIRLINE);
    assert_string_equal(lh->display_name, "Lufthansa");
    const ct_partner *x = ct_partner_find(&d, "agency-x");
    assert_string_equal(x->base_url, "https://x.example"); /* the first of two, not the dup */
    assert_int_equal(x->dialect, CT_DIALECT_VOYAGIO);
    /* No dialect stated: the sandbox's naming convention. */
    const ct_partner *usd = ct_partner_find(&d, "ota-usd");
    assert_non_null(usd);
    assert_int_equal(usd->dialect, CT_DIALECT_FAREFINDER);
    assert_int_equal(usd->kind, CT_PROVIDERS_AGENCY);
    assert_string_equal(usd->display_name, "");
    assert_int_equal(ct_partner_find(&d, "mixer")->kind, CT_PROVIDERS_COMBINER);
    assert_null(ct_partner_find(&d, "nourl"));
    assert_null(ct_partner_find(&d, "klingon"));
    assert_null(ct_partner_find(NULL, "gw-lh"));

    /* Names shown: the brand, else a label by kind; never the code. */
    assert_string_equal(ct_partner_display_name(&d, "gw-lh", "airline"), "Lufthansa");
    assert_string_equal(ct_partner_display_name(&d, "ota-usd", "agency"), "Travel agency");
    assert_string_equal(ct_partner_display_name(&d, "ota-usd", NULL), "Travel agency");
    assert_string_equal(ct_partner_display_name(&d, "mixer", NULL), "Self-transfer combiner");
    assert_string_equal(ct_partner_display_name(NULL, "gw-9", "airline"), "Airline (direct)");
    assert_string_equal(ct_partner_display_name(NULL, NULL, "separate"), "Separate tickets");
    assert_string_equal(ct_partner_display_name(NULL, "zz", NULL), "Another seller");
}

static void a_document_without_providers_is_empty(void **state)
{
    (void)state;
    json_t *doc = json_loads("{\"providers\": 7}", 0, NULL);
    ct_partner_directory d;
    d.n = 3;
    ct_partner_directory_read(doc, &d);
    assert_int_equal(d.n, 0);
    json_decref(doc);
    ct_partner_directory_read(NULL, &d);
    assert_int_equal(d.n, 0);
    assert_int_equal(ct_providers_dialect_kind(CT_DIALECT_HOPSCOTCH), CT_PROVIDERS_COMBINER);
    assert_string_equal(ct_providers_kind_name(CT_PROVIDERS_AIRLINE), "airline");
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(good_entries_are_read_and_bad_ones_skipped),
        cmocka_unit_test(a_document_without_providers_is_empty),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
