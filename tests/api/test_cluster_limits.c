/* test_cluster_limits.c: the API's rate limits and sign-in throttle with two instances behind
 * a load balancer, over real HTTP: two API servers (each its own ct_app and Redis limiter,
 * as two `serve --redis` processes) share one redis-server the test starts and one
 * database, and trust 127.0.0.1 as their balancer. The per-IP limit holds in total across
 * both and keys on the X-Forwarded-For client, not on the balancer's address: 429 with
 * Retry-After for that client, other clients unaffected; 100 failed sign-ins from one client
 * block that client only; /metrics shows the Redis backend. */
#include "ct_test.h"

#include <curl/curl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "api/api.h"
#include "httpclient.h"
#include "redisserver.h"
#include "testsupport.h"

#define INSTANCES 2

static char tmpdir[256];
static ts_redis redis;
static int have_redis;
static ct_accounts accounts;
static ct_refdata *refdata;
static ct_store_pool *pool;
static ct_app apps[INSTANCES];
static ct_router *routers[INSTANCES];
static ct_http_server *servers[INSTANCES];
static int ports[INSTANCES];

static int setup(void **state)
{
    (void)state;
    have_redis = ts_redis_available();
    if (!have_redis)
        return 0;
    ts_redis_start(&redis);
    curl_global_init(CURL_GLOBAL_DEFAULT);
    ts_tempdir(tmpdir, sizeof(tmpdir));
    char urls[2][512], err[256];
    ts_store_urls(tmpdir, urls, 2);
    ct_store *st = ts_open_migrated(urls[0]);
    ct_import_report *rep = calloc(1, sizeof(*rep));
    if (ct_refdata_import(st, ts_refdata_dir(), rep) != CT_OK ||
        ct_refdata_load(st, &refdata) != CT_OK)
        fail_msg("reference data");
    free(rep);
    ct_store_close(st);
    if (ct_store_pool_open(urls[0], 8, &pool, err, sizeof(err)) != CT_OK)
        fail_msg("pool: %s", err);
    ct_accounts_config cfg = {.jwt_secret = "cluster-test-secret-0123456789abcdefghijkl"};
    if (ct_accounts_init(&accounts, &cfg) != CT_OK)
        fail_msg("accounts");
    for (int i = 0; i < INSTANCES; i++) {
        ct_app *app = &apps[i];
        memset(app, 0, sizeof(*app));
        app->pool = pool;
        app->refdata = refdata;
        app->accounts = &accounts;
        app->limits = ct_api_default_limits();
        if (ct_ratelimit_create_redis(redis.url, &app->ratelimit, err, sizeof(err)) != CT_OK)
            fail_msg("limiter: %s", err);
        routers[i] = ct_router_create();
        if (ct_api_register(app, routers[i]) != CT_OK)
            fail_msg("register");
        ct_http_options opt = {.threads = 2, .trusted_proxies = "127.0.0.1"};
        if (ct_http_server_start(&opt, routers[i], &servers[i]) != CT_OK)
            fail_msg("start");
        ports[i] = ct_http_server_port(servers[i]);
        atomic_store(&app->ready, 1);
    }
    return 0;
}

static int teardown(void **state)
{
    (void)state;
    if (!have_redis)
        return 0;
    for (int i = 0; i < INSTANCES; i++) {
        ct_http_server_stop(servers[i]);
        ct_router_destroy(routers[i]);
        ct_api_free(&apps[i]);
        ct_ratelimit_destroy(apps[i].ratelimit);
    }
    ct_refdata_free(refdata);
    ct_store_pool_close(pool);
    ts_rmtree(tmpdir);
    curl_global_cleanup();
    ts_redis_stop(&redis);
    return 0;
}

/* A request to instance i as the balancer would send it for `client`. */
static ts_response via(int i, const char *method, const char *path, const char *body,
                       const char *client)
{
    char xff[96];
    snprintf(xff, sizeof(xff), "X-Forwarded-For: %s", client);
    const char *h[] = {xff, NULL};
    return ts_http(method, ports[i], path, body, h);
}

/* Redis's state in instance 0's /readyz (200 required): "up" or "down" (static storage). */
static const char *readyz_redis(void)
{
    static char state[16];
    ts_response r = via(0, "GET", "/readyz", NULL, "203.0.113.23");
    assert_int_equal(r.status, 200);
    json_t *j = ts_json(&r);
    json_t *e = json_object_get(json_object_get(j, "engines"), "redis");
    assert_non_null(e);
    assert_true(json_is_false(json_object_get(e, "required")));
    snprintf(state, sizeof(state), "%s", json_string_value(json_object_get(e, "state")));
    json_decref(j);
    ts_response_free(&r);
    return state;
}

static void ip_limit_holds_across_instances(void **state)
{
    (void)state;
    if (!have_redis)
        skip();
    for (int i = 0; i < INSTANCES; i++) {
        apps[i].limits.ip_per_minute = 1; /* one token a minute: none back during the test */
        apps[i].limits.ip_burst = 3;
    }
    int ok = 0, limited = 0;
    for (int n = 0; n < 8; n++) {
        /* The client wrote its own X-Forwarded-For; the balancer appended the real one. */
        ts_response r = via(n % INSTANCES, "GET", "/healthz", NULL, "10.9.9.9, 203.0.113.20");
        ok += r.status == 200;
        if (r.status == 429) {
            limited++;
            assert_true(ts_has_header(&r, "Retry-After: "));
            const char *ra = strstr(r.headers, "Retry-After: ");
            int secs = atoi(ra + strlen("Retry-After: "));
            assert_true(secs >= 1 && secs <= 60);
        }
        ts_response_free(&r);
    }
    assert_int_equal(ok, 3); /* in total, not 3 per instance */
    assert_int_equal(limited, 5);
    /* Another client behind the same balancer is not limited. */
    for (int i = 0; i < INSTANCES; i++) {
        ts_response r = via(i, "GET", "/healthz", NULL, "203.0.113.21");
        assert_int_equal(r.status, 200);
        ts_response_free(&r);
    }
    ts_response r = via(0, "GET", "/metrics", NULL, "203.0.113.22");
    assert_int_equal(r.status, 200);
    assert_non_null(strstr(r.body, "contrail_ratelimit_redis_up 1"));
    assert_non_null(strstr(r.body, "contrail_ratelimit_redis_down_total{mode=\"local\"} 0"));
    ts_response_free(&r);

    for (int i = 0; i < INSTANCES; i++)
        apps[i].limits = ct_api_default_limits();
    /* /readyz names Redis (up, not required), and stays ready while Redis is down */
    assert_string_equal(readyz_redis(), "up");
    ts_redis_kill(&redis);
    assert_string_equal(readyz_redis(), "down"); /* its own rate-limit call failed */
    ts_redis_resume(&redis);
    struct timespec pause = {0, 600 * 1000000L}; /* the limiter's 500 ms back-off */
    nanosleep(&pause, NULL);
    assert_string_equal(readyz_redis(), "up");
}

static void signin_throttle_keys_on_the_client(void **state)
{
    (void)state;
    if (!have_redis)
        skip();
    for (int i = 0; i < INSTANCES; i++)
        apps[i].limits.ip_per_minute = 0; /* the throttle is under test */
    const char *right = "{\"email\":\"kim@example.com\",\"password\":\"correct horse battery\"}";
    ts_response r = via(0, "POST", "/api/v1/users", right, "198.51.100.1");
    assert_int_equal(r.status, 202);
    ts_response_free(&r);
    /* 100 failures from one client, through both instances, on other accounts. */
    for (int n = 0; n < 100; n++) {
        char body[128];
        snprintf(body, sizeof(body), "{\"email\":\"g%d@example.com\",\"password\":\"guess\"}", n);
        r = via(n % INSTANCES, "POST", "/api/v1/sessions", body, "198.51.100.66");
        assert_int_equal(r.status, 401);
        ts_response_free(&r);
    }
    /* That client waits, on either instance, even with the right password. */
    r = via(1, "POST", "/api/v1/sessions", right, "198.51.100.66");
    assert_int_equal(r.status, 429);
    assert_true(ts_has_header(&r, "Retry-After: "));
    ts_response_free(&r);
    /* Everyone else behind the balancer signs in. */
    r = via(0, "POST", "/api/v1/sessions", right, "198.51.100.67");
    assert_int_equal(r.status, 200);
    ts_response_free(&r);
    for (int i = 0; i < INSTANCES; i++)
        apps[i].limits = ct_api_default_limits();
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(ip_limit_holds_across_instances),
        cmocka_unit_test(signin_throttle_keys_on_the_client),
    };
    return cmocka_run_group_tests(tests, setup, teardown);
}
