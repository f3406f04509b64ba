/* test_price_alerts_api.c: /api/v1/me/price-alerts over real HTTP on every engine: signed-in
 * only, 400 problem+json naming the field, 201 with the alert, list, get, patch, delete, 404
 * for another user's alert, 409 at the per-user limit, and a user's erasure taking their
 * alerts (ON DELETE CASCADE). The evaluation is tested in tests/alerts. */
#include "ct_test.h"

#include <curl/curl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "alerts/alerts.h"
#include "api/api.h"
#include "httpclient.h"
#include "testsupport.h"

static char tmpdir[256];
static ct_app app;
static ct_accounts accounts;
static ct_alerts *alerts;
static ct_router *router;
static ct_http_server *server;
static int port;
static int engine; /* 0 = SQLite, 1 = PostgreSQL (when CT_TEST_PG_URL is set) */
static const char *secret = "alerts-test-secret-0123456789abcdefghijklmnop";

static int setup(void **state)
{
    (void)state;
    memset(&app, 0, sizeof(app));
    curl_global_init(CURL_GLOBAL_DEFAULT);
    ts_tempdir(tmpdir, sizeof(tmpdir));
    char urls[2][512], err[256];
    ts_store_urls(tmpdir, urls, 2);
    const char *url = urls[engine];
    ct_store *st = ts_open_migrated(url);
    ct_import_report *rep = calloc(1, sizeof(*rep));
    if (ct_refdata_import(st, ts_refdata_dir(), rep) != CT_OK ||
        ct_refdata_load(st, &app.refdata) != CT_OK)
        fail_msg("reference data");
    free(rep);
    ct_store_close(st);
    if (ct_store_pool_open(url, 4, &app.pool, err, sizeof(err)) != CT_OK)
        fail_msg("pool: %s", err);
    ct_accounts_config cfg = {.jwt_secret = secret};
    if (ct_accounts_init(&accounts, &cfg) != CT_OK)
        fail_msg("accounts");
    app.accounts = &accounts;
    ct_alerts_config acfg = {.pool = app.pool, .refdata = app.refdata, .max_per_user = 2};
    if (ct_alerts_new(&acfg, &alerts) != CT_OK)
        fail_msg("alerts");
    atomic_store(&app.alerts, alerts);
    app.ratelimit = ct_ratelimit_create();
    app.limits = ct_api_default_limits();
    router = ct_router_create();
    if (ct_api_register(&app, router) != CT_OK)
        fail_msg("register");
    ct_http_options opt = {.port = 0, .threads = 2};
    if (ct_http_server_start(&opt, router, &server) != CT_OK)
        fail_msg("start");
    port = ct_http_server_port(server);
    atomic_store(&app.ready, 1);
    return 0;
}

static int teardown(void **state)
{
    (void)state;
    ct_http_server_stop(server);
    ct_router_destroy(router);
    ct_api_free(&app);
    ct_alerts_free(alerts);
    ct_ratelimit_destroy(app.ratelimit);
    ct_refdata_free(app.refdata);
    ct_store_pool_close(app.pool);
    ts_rmtree(tmpdir);
    curl_global_cleanup();
    return 0;
}

static ts_response call(const char *method, const char *path, const char *body, const char *header)
{
    const char *h[] = {header, NULL};
    return ts_http(method, port, path, body, header ? h : NULL);
}

static void sign_up_and_in(const char *email, char bearer[1300])
{
    char body[256];
    snprintf(body, sizeof(body), "{\"email\":\"%s\",\"password\":\"correct horse battery\"}",
             email);
    ts_response r = call("POST", "/api/v1/users", body, NULL);
    assert_int_equal(r.status, 202);
    ts_response_free(&r);
    r = call("POST", "/api/v1/sessions", body, NULL);
    assert_int_equal(r.status, 200);
    json_t *j = ts_json(&r);
    snprintf(bearer, 1300, "Authorization: Bearer %s",
             json_string_value(json_object_get(j, "access_token")));
    json_decref(j);
    ts_response_free(&r);
}

static void day_ahead(int days, char out[16])
{
    time_t t = time(NULL) + (time_t)days * 86400;
    strftime(out, 16, "%Y-%m-%d", gmtime(&t));
}

/* A POST answered 400 whose problem names `field`. */
static void refused(const char *bearer, const char *body, const char *field)
{
    ts_response r = call("POST", "/api/v1/me/price-alerts", body, bearer);
    if (r.status != 400)
        fail_msg("%s: %ld %s", body, r.status, r.body);
    assert_true(ts_has_header(&r, "application/problem+json"));
    json_t *j = ts_json(&r);
    const char *got = json_string_value(
        json_object_get(json_array_get(json_object_get(j, "errors"), 0), "field"));
    if (got == NULL || strcmp(got, field) != 0)
        fail_msg("%s: field %s, want %s (%s)", body, got ? got : "(none)", field, r.body);
    json_decref(j);
    ts_response_free(&r);
}

static void the_routes_validate_and_keep_to_their_owner(void **state)
{
    (void)state;
    char a[1300], b[1300], day[16], past[16], body[512], path[128];
    sign_up_and_in("ada@example.com", a);
    sign_up_and_in("bob@example.com", b);
    day_ahead(30, day);
    day_ahead(-2, past);
    ts_response r = call("GET", "/api/v1/me/price-alerts", NULL, NULL);
    assert_int_equal(r.status, 401);
    ts_response_free(&r);

    snprintf(body, sizeof(body),
             "{\"origin\":\"LON\",\"destination\":\"NYC\",\"dates\":{\"type\":\"exact\","
             "\"departure\":\"%s\"},\"drop_percent\":10}",
             past);
    refused(a, body, "dates.departure");
    refused(a, "{\"origin\":\"LON\",\"destination\":\"XQX\"}", "destination");
    snprintf(body, sizeof(body),
             "{\"origin\":\"LON\",\"destination\":\"NYC\",\"dates\":{\"type\":\"exact\","
             "\"departure\":\"%s\"},\"max_price\":{\"amount_minor\":0}}",
             day);
    refused(a, body, "max_price.amount_minor");

    snprintf(body, sizeof(body),
             "{\"origin\":\"LON\",\"destination\":\"NYC\",\"dates\":{\"type\":\"exact\","
             "\"departure\":\"%s\"},\"max_price\":{\"amount_minor\":45000,\"currency\":\"GBP\"},"
             "\"channels\":[\"email\"]}",
             day);
    r = call("POST", "/api/v1/me/price-alerts", body, a);
    if (r.status != 201)
        fail_msg("create: %ld %s", r.status, r.body);
    json_t *j = ts_json(&r);
    char id[48];
    snprintf(id, sizeof(id), "%s", json_string_value(json_object_get(j, "id")));
    assert_string_equal(json_string_value(json_object_get(j, "currency")), "GBP");
    assert_non_null(strstr(json_string_value(json_object_get(j, "search_url")), "from=LON&to=NYC"));
    json_decref(j);
    ts_response_free(&r);

    snprintf(path, sizeof(path), "/api/v1/me/price-alerts/%s", id);
    r = call("GET", path, NULL, b);
    assert_int_equal(r.status, 404);
    ts_response_free(&r);
    r = call("PATCH", path, "{\"drop_percent\":5}", b);
    assert_int_equal(r.status, 404);
    ts_response_free(&r);
    r = call("DELETE", path, NULL, b);
    assert_int_equal(r.status, 404);
    ts_response_free(&r);
    r = call("GET", "/api/v1/me/price-alerts", NULL, b);
    j = ts_json(&r);
    assert_int_equal(json_integer_value(json_object_get(j, "total")), 0);
    json_decref(j);
    ts_response_free(&r);

    r = call("PATCH", path, "{\"drop_percent\":150}", a);
    assert_int_equal(r.status, 400);
    ts_response_free(&r);
    r = call("PATCH", path, "{\"drop_percent\":15}", a);
    assert_int_equal(r.status, 200);
    j = ts_json(&r);
    assert_int_equal(json_integer_value(json_object_get(j, "drop_percent")), 15);
    assert_null(json_object_get(j, "max_price"));
    json_decref(j);
    ts_response_free(&r);

    r = call("POST", "/api/v1/me/price-alerts", body, a);
    assert_int_equal(r.status, 201);
    ts_response_free(&r);
    r = call("POST", "/api/v1/me/price-alerts", body, a); /* the third of at most 2 */
    assert_int_equal(r.status, 409);
    ts_response_free(&r);
    r = call("GET", "/metrics", NULL, NULL);
    assert_non_null(strstr(r.body, "\ncontrail_alerts_stored 2\n"));
    ts_response_free(&r);
    r = call("GET", "/api/v1/me/price-alerts", NULL, a);
    j = ts_json(&r);
    assert_int_equal(json_integer_value(json_object_get(j, "total")), 2);
    json_decref(j);
    ts_response_free(&r);

    r = call("DELETE", path, NULL, a);
    assert_int_equal(r.status, 204);
    ts_response_free(&r);
    r = call("GET", path, NULL, a);
    assert_int_equal(r.status, 404);
    ts_response_free(&r);

    /* erasure takes the user's alerts with it */
    r = call("DELETE", "/api/v1/me", "{\"password\":\"correct horse battery\"}", a);
    assert_int_equal(r.status, 204);
    ts_response_free(&r);
    ct_store *st = NULL;
    assert_int_equal(ct_store_pool_acquire(app.pool, 1000, &st), CT_OK);
    int64_t left = -1;
    assert_int_equal(ct_store_query_int64(st, "SELECT COUNT(*) FROM price_alert", &left), CT_OK);
    assert_int_equal(left, 0);
    ct_store_pool_release(app.pool, st);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(the_routes_validate_and_keep_to_their_owner),
    };
    const char *pg = getenv("CT_TEST_PG_URL");
    int engines = pg != NULL && *pg ? 2 : 1, failed = 0;
    for (engine = 0; engine < engines; engine++) {
        fprintf(stderr, "== engine: %s\n", engine == 0 ? "sqlite" : "postgres");
        failed += cmocka_run_group_tests(tests, setup, teardown);
    }
    return failed;
}
