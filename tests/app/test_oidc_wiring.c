/* test_oidc_wiring.c: which identity providers `serve` signs in with (app/serve.h,
 * ct_app_oidc_open): the --oidc-* flags give one at once, incomplete ones are refused; with
 * --sandbox-world the provider "sandbox" is read from world.json when first asked for, so a
 * world that starts after serve is found; without either there is none. */
#include "ct_test.h"

#include <curl/curl.h>
#include <stdio.h>
#include <string.h>

#include "app/serve.h"
#include "oidc/oidc.h"
#include "testsupport.h"

static const char *secret = "wiring-test-secret-0123456789abcdefghijklmn";
static char tmpdir[256];

static int setup(void **state)
{
    (void)state;
    curl_global_init(CURL_GLOBAL_DEFAULT);
    ts_tempdir(tmpdir, sizeof(tmpdir));
    return 0;
}

static int teardown(void **state)
{
    (void)state;
    ts_rmtree(tmpdir);
    curl_global_cleanup();
    return 0;
}

/* A serve configuration of the given flags (NULL-terminated). */
static ct_config *config(const char *const *flags)
{
    char *argv[8] = {"serve"};
    int argc = 1;
    for (; flags[argc - 1] != NULL && argc < 7; argc++)
        argv[argc] = (char *)flags[argc - 1];
    ct_config *cfg = NULL;
    char err[256];
    assert_int_equal(ct_config_load(argc, argv, 1, &cfg, err, sizeof(err)), CT_OK);
    return cfg;
}

static void flags_give_a_provider(void **state)
{
    (void)state;
    const char *flags[] = {"--oidc-provider=corp", "--oidc-issuer=https://id.example.com",
                           "--oidc-client-id=web", "--oidc-client-secret=s3cret", NULL};
    ct_config *cfg = config(flags);
    ct_app app;
    memset(&app, 0, sizeof(app));
    assert_int_equal(ct_app_oidc_open(cfg, secret, 0, &app), CT_OK);
    assert_true(ct_oidc_known(app.oidc, "corp"));
    assert_false(ct_oidc_known(app.oidc, "sandbox"));
    ct_oidc_free(app.oidc);
    ct_config_free(cfg);
}

static void incomplete_flags_are_refused(void **state)
{
    (void)state;
    const char *no_secret[] = {"--oidc-issuer=https://id.example.com", "--oidc-client-id=web",
                               NULL};
    const char *not_a_url[] = {"--oidc-issuer=id.example.com", "--oidc-client-id=web",
                               "--oidc-client-secret=s", NULL};
    const char *bad_name[] = {"--oidc-provider=Corp ID", "--oidc-issuer=https://id.example.com",
                              "--oidc-client-id=web", "--oidc-client-secret=s", NULL};
    const char *const *cases[] = {no_secret, not_a_url, bad_name};
    for (size_t i = 0; i < 3; i++) {
        ct_config *cfg = config(cases[i]);
        ct_app app;
        memset(&app, 0, sizeof(app));
        assert_int_equal(ct_app_oidc_open(cfg, secret, 0, &app), CT_INVALID);
        ct_oidc_free(app.oidc);
        ct_config_free(cfg);
    }
}

static void the_world_provider_is_read_when_it_appears(void **state)
{
    (void)state;
    char flag[300];
    snprintf(flag, sizeof(flag), "--sandbox-world=%s", tmpdir);
    const char *flags[] = {flag, NULL};
    ct_config *cfg = config(flags);
    ct_app app;
    memset(&app, 0, sizeof(app));
    assert_int_equal(ct_app_oidc_open(cfg, secret, 0, &app), CT_OK);
    assert_false(ct_oidc_known(app.oidc, "sandbox")); /* no world yet */
    ts_write_file(tmpdir, "world.json",
                  "{\"idp\": {\"name\": \"idp\", \"url\": \"http://127.0.0.1:4343\", \"issuer\":"
                  " \"http://127.0.0.1:4343\", \"client_id\": \"contrail-web\","
                  " \"client_secret\": \"sandbox-idp-secret\"}}");
    assert_true(ct_oidc_known(app.oidc, "sandbox"));
    json_t *names = ct_oidc_provider_names(app.oidc);
    assert_int_equal(json_array_size(names), 1);
    json_decref(names);
    ct_oidc_free(app.oidc);
    ct_config_free(cfg);
}

static void no_flags_no_world_no_provider(void **state)
{
    (void)state;
    const char *flags[] = {NULL};
    ct_config *cfg = config(flags);
    ct_app app;
    memset(&app, 0, sizeof(app));
    ts_write_file(tmpdir, "world.json", "{\"idp\": {\"issuer\": \"http://127.0.0.1:4343\"}}");
    assert_int_equal(ct_app_oidc_open(cfg, secret, 0, &app), CT_OK);
    assert_false(ct_oidc_known(app.oidc, "sandbox"));
    ct_oidc_free(app.oidc);
    ct_config_free(cfg);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(flags_give_a_provider, setup, teardown),
        cmocka_unit_test_setup_teardown(incomplete_flags_are_refused, setup, teardown),
        cmocka_unit_test_setup_teardown(the_world_provider_is_read_when_it_appears, setup,
                                        teardown),
        cmocka_unit_test_setup_teardown(no_flags_no_world_no_provider, setup, teardown),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
