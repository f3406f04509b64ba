/* test_sms_wiring.c: where `serve` sends phone codes (app/sms_wiring.h): --sms-url and its
 * credentials go to accounts at once; without it, the sandbox world's gateway is read from
 * world.json once the world writes it (the thread waits for the file); a world without a
 * gateway, or no world at all, leaves accounts without one. */
#include "ct_test.h"

#include <jansson.h>
#include <stdio.h>
#include <string.h>
#include <time.h>

#include "app/sms_wiring.h"
#include "testsupport.h"

static ct_accounts accounts;
static char tmpdir[256];

static int setup(void **state)
{
    (void)state;
    ts_tempdir(tmpdir, sizeof(tmpdir));
    ct_accounts_config cfg = {.jwt_secret = "wiring-test-secret-0123456789abcdefghijklmn"};
    return ct_accounts_init(&accounts, &cfg) == CT_OK ? 0 : -1;
}

static int teardown(void **state)
{
    (void)state;
    ts_rmtree(tmpdir);
    return 0;
}

static ct_config *config(const char *url)
{
    char *argv[] = {"serve", NULL, NULL, NULL};
    char u[256];
    int argc = 1;
    if (url != NULL) {
        snprintf(u, sizeof(u), "--sms-url=%s", url);
        argv[argc++] = u;
        argv[argc++] = "--sms-account=ACflag";
    }
    ct_config *cfg = NULL;
    char err[256];
    assert_int_equal(ct_config_load(argc, argv, 1, &cfg, err, sizeof(err)), CT_OK);
    return cfg;
}

static void flags_give_the_gateway_at_once(void **state)
{
    (void)state;
    static ct_app_sms w;
    memset(&w, 0, sizeof(w));
    w.accounts = &accounts;
    ct_config *cfg = config("http://127.0.0.1:9999");
    assert_int_equal(ct_app_sms_start(&w, cfg), CT_OK);
    assert_ptr_equal(accounts.cfg.sms, &w.client);
    assert_string_equal(accounts.cfg.sms->url, "http://127.0.0.1:9999");
    assert_string_equal(accounts.cfg.sms->account, "ACflag");
    ct_app_sms_stop(&w);
    ct_config_free(cfg);
    ct_accounts_set_sms(&accounts, NULL);
}

static void the_world_json_gateway_is_read_when_it_appears(void **state)
{
    (void)state;
    static ct_app_sms w;
    memset(&w, 0, sizeof(w));
    w.accounts = &accounts;
    w.wait_for_world = 1;
    snprintf(w.world_json, sizeof(w.world_json), "%s/world.json", tmpdir);
    ct_config *cfg = config(NULL);
    assert_int_equal(ct_app_sms_start(&w, cfg), CT_OK);
    assert_null(__atomic_load_n(&accounts.cfg.sms, __ATOMIC_ACQUIRE)); /* no world yet */
    ts_write_file(tmpdir, "world.json",
                  "{\"sms\": {\"name\": \"sms\", \"url\": \"http://127.0.0.1:4242\","
                  " \"account\": \"ACworld\", \"token\": \"tok\"}}");
    const ct_sms_client *c = NULL;
    for (int i = 0; i < 100 && c == NULL; i++) { /* the thread polls every 100 ms */
        struct timespec ts = {0, 50 * 1000 * 1000};
        nanosleep(&ts, NULL);
        c = __atomic_load_n(&accounts.cfg.sms, __ATOMIC_ACQUIRE);
    }
    assert_non_null(c);
    assert_string_equal(c->url, "http://127.0.0.1:4242");
    assert_string_equal(c->account, "ACworld");
    assert_string_equal(c->token, "tok");
    ct_app_sms_stop(&w);
    ct_config_free(cfg);
    ct_accounts_set_sms(&accounts, NULL);
}

static void no_gateway_without_flags_or_world(void **state)
{
    (void)state;
    static ct_app_sms w;
    memset(&w, 0, sizeof(w));
    w.accounts = &accounts;
    ct_config *cfg = config(NULL);
    assert_int_equal(ct_app_sms_start(&w, cfg), CT_OK);
    assert_null(accounts.cfg.sms);
    ct_app_sms_stop(&w);
    ct_config_free(cfg);
    json_t *doc = json_loads("{\"mail\": {\"url\": \"http://x\"}}", 0, NULL);
    assert_int_equal(ct_app_sms_read_world(doc, &w), 0);
    json_decref(doc);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(flags_give_the_gateway_at_once),
        cmocka_unit_test(the_world_json_gateway_is_read_when_it_appears),
        cmocka_unit_test(no_gateway_without_flags_or_world),
    };
    return cmocka_run_group_tests(tests, setup, teardown);
}
