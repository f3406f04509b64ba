/* test_text_config_log.c: search folding, UTF-8 checks, layered configuration, log levels. */
#include "ct_test.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "base/config.h"
#include "base/log.h"
#include "base/text.h"
#include "testsupport.h"

static void fold(const char *in, const char *want)
{
    char out[256];
    assert_int_equal(ct_text_fold(in, out, sizeof(out)), CT_OK);
    assert_string_equal(out, want);
}

static void folding_ignores_case_accents_and_script(void **state)
{
    (void)state;
    fold("Zürich Airport", "zurich airport");
    fold("São Paulo/Guarulhos", "sao paulo guarulhos");
    fold("  Île-de-France ", "ile de france");
    fold("Chicago O'Hare", "chicago ohare");
    fold("MÜNCHEN", "munchen");
    fold("Москва", "moskva");
    fold("Ørland", "orland");
    fold("...", "");
    char small[4];
    assert_int_equal(ct_text_fold("abcdef", small, sizeof(small)), CT_TOO_LARGE);
    assert_int_equal(ct_text_fold("bad \xff byte", small, sizeof(small)), CT_INVALID);
}

static void utf8_validation(void **state)
{
    (void)state;
    assert_true(ct_utf8_valid("Zürich", strlen("Zürich")));
    assert_true(ct_utf8_valid("\xf0\x9f\x9b\xab", 4)); /* airplane emoji */
    assert_false(ct_utf8_valid("\xc0\xaf", 2));        /* overlong */
    assert_false(ct_utf8_valid("\xed\xa0\x80", 3));    /* surrogate */
    assert_false(ct_utf8_valid("\xe2\x82", 2));        /* truncated */
    assert_false(ct_utf8_valid("a\0b", 3));
}

static void config_precedence_flags_env_file(void **state)
{
    (void)state;
    char dir[256];
    ts_tempdir(dir, sizeof(dir));
    ts_write_file(dir, "c.conf", "# comment\nport = 9000\nhost=10.0.0.1\nweb_dir = /srv\n");
    char path[300];
    snprintf(path, sizeof(path), "%s/c.conf", dir);
    setenv("CONTRAIL_HOST", "127.0.0.2", 1);
    char *argv[] = {"contrail",    "serve",       "--config", path,
                    "--port=7000", "--log-level", "warn",     "extra"};
    ct_config *cfg = NULL;
    char err[256];
    assert_int_equal(ct_config_load(8, argv, 1, &cfg, err, sizeof(err)), CT_OK);
    assert_string_equal(ct_config_get(cfg, "port", NULL), "7000");      /* flag */
    assert_string_equal(ct_config_get(cfg, "host", NULL), "127.0.0.2"); /* env over file */
    assert_string_equal(ct_config_get(cfg, "web_dir", NULL), "/srv");   /* file */
    assert_string_equal(ct_config_get(cfg, "log_level", NULL), "warn"); /* dash -> underscore */
    assert_string_equal(ct_config_get(cfg, "missing", "dflt"), "dflt");
    assert_int_equal(ct_config_npositional(cfg), 2);
    assert_string_equal(ct_config_positional(cfg, 1), "extra");
    long n = 0;
    assert_int_equal(ct_config_get_int(cfg, "port", 1, 0, 65535, &n, err, sizeof(err)), CT_OK);
    assert_int_equal(n, 7000);
    assert_int_equal(ct_config_get_int(cfg, "web_dir", 1, 0, 10, &n, err, sizeof(err)), CT_INVALID);
    assert_non_null(strstr(err, "web_dir"));
    ct_config_free(cfg);
    unsetenv("CONTRAIL_HOST");

    ts_write_file(dir, "bad.conf", "port = 1\n  oops no equals\n");
    snprintf(path, sizeof(path), "%s/bad.conf", dir);
    char *argv2[] = {"contrail", "serve", "--config", path};
    assert_int_equal(ct_config_load(4, argv2, 1, &cfg, err, sizeof(err)), CT_INVALID);
    assert_non_null(strstr(err, "bad.conf:2:3"));
    ts_rmtree(dir);
}

static void log_levels(void **state)
{
    (void)state;
    ct_log_level lvl = CT_LOG_OFF;
    assert_int_equal(ct_log_level_parse("warn", &lvl), CT_OK);
    assert_int_equal(lvl, CT_LOG_WARN);
    assert_int_equal(ct_log_level_parse("loud", &lvl), CT_INVALID);
    assert_int_equal(lvl, CT_LOG_WARN);
    /* Capture stderr to check the line is one JSON object with our fields. */
    char dir[256], path[300];
    ts_tempdir(dir, sizeof(dir));
    snprintf(path, sizeof(path), "%s/log", dir);
    fflush(stderr);
    int saved = dup(2);
    FILE *f = freopen(path, "w", stderr);
    assert_non_null(f);
    ct_log_set_level(CT_LOG_INFO);
    ct_log(CT_LOG_DEBUG, "hidden", NULL);
    ct_log(CT_LOG_INFO, "test.event", "quote", "a\"b", "event", "evt_1", NULL);
    fflush(stderr);
    dup2(saved, 2);
    close(saved);
    FILE *in = fopen(path, "r");
    char line[512] = "";
    assert_non_null(fgets(line, sizeof(line), in));
    fclose(in);
    assert_non_null(strstr(line, "\"event\":\"test.event\""));
    assert_non_null(strstr(line, "\"quote\":\"a\\\"b\""));
    assert_non_null(strstr(line, "\"field_event\":\"evt_1\"")); /* the name stays */
    assert_null(strstr(line, "hidden"));
    ts_rmtree(dir);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(folding_ignores_case_accents_and_script),
        cmocka_unit_test(utf8_validation),
        cmocka_unit_test(config_precedence_flags_env_file),
        cmocka_unit_test(log_levels),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
