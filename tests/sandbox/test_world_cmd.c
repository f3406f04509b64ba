/* test_world_cmd.c: `contrail-sandbox world` runs every service of the small world, publishes
 * their endpoints, brings a killed service back on the same port, and stops them all. */
#include "ct_test.h"

#include <curl/curl.h>
#include <jansson.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "httpclient.h"
#include "testsupport.h"

static void sleep_ms(long ms)
{
    struct timespec ts = {ms / 1000, (ms % 1000) * 1000000L};
    nanosleep(&ts, NULL);
}

static long health(const char *url)
{
    char u[256];
    snprintf(u, sizeof(u), "%s/healthz", url);
    ts_response r = ts_http_url("GET", u, NULL, NULL);
    long s = r.status;
    ts_response_free(&r);
    return s;
}

static int pid_of_port_owner(const char *dir, const char *name)
{
    /* The service's pid: the child whose command line names it (from /proc). */
    char cmd[512];
    snprintf(cmd, sizeof(cmd), "pgrep -f -- '--name=%s.*--dir=%s' | head -n 1", name, dir);
    FILE *p = popen(cmd, "r");
    int pid = 0;
    if (p != NULL) {
        if (fscanf(p, "%d", &pid) != 1)
            pid = 0;
        pclose(p);
    }
    return pid;
}

static void world_runs_restarts_and_stops(void **state)
{
    (void)state;
    curl_global_init(CURL_GLOBAL_DEFAULT);
    char dir[256], log[300], json[300], dirflag[300], refdata[1100];
    ts_tempdir(dir, sizeof(dir));
    snprintf(log, sizeof(log), "%s/world.log", dir);
    snprintf(json, sizeof(json), "%s/world.json", dir);
    snprintf(dirflag, sizeof(dirflag), "--dir=%s", dir);
    snprintf(refdata, sizeof(refdata), "--refdata-dir=%s", ts_refdata_dir());
    char *argv[] = {(char *)ts_sandbox_bin(),
                    "world",
                    "--size=small",
                    "--start=2026-11-23",
                    dirflag,
                    refdata,
                    "--smtp-port=0",
                    "--log-level=warn",
                    NULL};
    int pid = ts_spawn(argv, log);
    json_t *doc = NULL;
    for (int i = 0; i < 600 && doc == NULL; i++) { /* 60 s */
        sleep_ms(100);
        doc = json_load_file(json, 0, NULL);
    }
    if (doc == NULL)
        fail_msg("world.json did not appear; see %s", log);
    json_t *providers = json_object_get(doc, "providers");
    assert_int_equal(json_array_size(providers), 5);
    const char *urls[10];
    int n = 0;
    urls[n++] = json_string_value(json_object_get(json_object_get(doc, "payments"), "url"));
    urls[n++] = json_string_value(json_object_get(json_object_get(doc, "mail"), "url"));
    /* The SMS gateway, with the credentials the platform reads from here. */
    json_t *sms = json_object_get(doc, "sms");
    urls[n++] = json_string_value(json_object_get(sms, "url"));
    assert_non_null(urls[n - 1]);
    assert_non_null(json_string_value(json_object_get(sms, "account")));
    assert_non_null(json_string_value(json_object_get(sms, "token")));
    /* The identity provider: its issuer serves the discovery document, with the key pair
     * kept in the world's folder. */
    json_t *idp = json_object_get(doc, "idp");
    const char *issuer = json_string_value(json_object_get(idp, "issuer"));
    assert_non_null(issuer);
    assert_string_equal(json_string_value(json_object_get(idp, "client_id")), "contrail-web");
    assert_non_null(json_string_value(json_object_get(idp, "client_secret")));
    char discovery[300], key[400];
    snprintf(discovery, sizeof(discovery), "%s/.well-known/openid-configuration", issuer);
    ts_response disc = ts_http_url("GET", discovery, NULL, NULL);
    assert_int_equal(disc.status, 200);
    assert_non_null(strstr(disc.body, "\"jwks_uri\""));
    ts_response_free(&disc);
    urls[n++] = issuer;
    snprintf(key, sizeof(key), "%s/idp-key.pem", dir);
    assert_int_equal(access(key, R_OK), 0);
    size_t i;
    json_t *p;
    json_array_foreach(providers, i, p) urls[n++] = json_string_value(json_object_get(p, "url"));
    for (int k = 0; k < n; k++)
        assert_int_equal(health(urls[k]), 200);
    /* SSIM files were published. */
    char ssim[400];
    snprintf(ssim, sizeof(ssim), "%s/ssim", dir);
    assert_string_equal(json_string_value(json_object_get(doc, "ssim_dir")), ssim);
    /* Kill a provider outright: it comes back on the same URL. */
    int victim = pid_of_port_owner(dir, "ota-eur");
    assert_true(victim > 0);
    kill(victim, SIGKILL);
    const char *ota = NULL;
    json_array_foreach(providers, i, p)
    {
        if (strcmp(json_string_value(json_object_get(p, "name")), "ota-eur") == 0)
            ota = json_string_value(json_object_get(p, "url"));
    }
    assert_non_null(ota);
    long st = -1;
    for (int k = 0; k < 150 && st != 200; k++) { /* 15 s: back-off 1 s + world load */
        sleep_ms(100);
        st = health(ota);
    }
    assert_int_equal(st, 200);
    assert_int_not_equal(pid_of_port_owner(dir, "ota-eur"), victim);
    /* Stop: every service goes, and world.json with them. */
    assert_int_equal(ts_stop_child(pid, SIGTERM, 20000), 0);
    for (int k = 0; k < n; k++)
        assert_int_equal(health(urls[k]), -1);
    assert_int_not_equal(access(json, F_OK), 0);
    json_decref(doc);
    ts_rmtree(dir);
    curl_global_cleanup();
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(world_runs_restarts_and_stops),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
