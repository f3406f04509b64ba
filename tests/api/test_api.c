/* test_api.c: HTTP integration over real loopback: the server with the real reference data,
 * driven by libcurl. Covers the API contract, problem bodies, middleware, metrics, the
 * OpenAPI document against the route table, static files and graceful stop. */
#define _GNU_SOURCE
#include "ct_test.h"

#include <curl/curl.h>
#include <jansson.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "api/api.h"
#include "base/strbuf.h"
#include "http/http.h"
#include "refdata/refdata.h"
#include "store/store.h"
#include "httpclient.h"
#include "testsupport.h"

static char tmpdir[256];
static ct_app app;
static ct_store *setup_store;
static ct_router *router;
static ct_http_server *server;
static int port;

typedef ts_response response;

/* One request to the server under test, with at most one extra header line. */
static response request(const char *method, const char *path, const char *body,
                        const char *extra_header)
{
    const char *headers[] = {extra_header, NULL};
    return ts_http(method, port, path, body, extra_header ? headers : NULL);
}

static json_t *json_of(const response *r)
{
    return ts_json(r);
}

static int has_header(const response *r, const char *line)
{
    return ts_has_header(r, line);
}

static int setup(void **state)
{
    (void)state;
    curl_global_init(CURL_GLOBAL_DEFAULT);
    ts_tempdir(tmpdir, sizeof(tmpdir));
    char url[512];
    snprintf(url, sizeof(url), "sqlite:%s/api.db", tmpdir);
    setup_store = ts_open_migrated(url);
    ct_import_report *rep = calloc(1, sizeof(*rep));
    if (ct_refdata_import(setup_store, ts_refdata_dir(), rep) != CT_OK)
        fail_msg("import: %s", rep->errors[0]);
    free(rep);
    if (ct_refdata_load(setup_store, &app.refdata) != CT_OK)
        fail_msg("load");
    char err[256];
    if (ct_store_pool_open(url, 4, &app.pool, err, sizeof(err)) != CT_OK)
        fail_msg("pool: %s", err);
    ts_write_file(tmpdir, "web/index.html", "<!doctype html><title>Contrail</title>");
    ts_write_file(tmpdir, "web/assets/app-1234.js", "console.log('hi')");
    ts_write_file(tmpdir, "web/routes.json", "[\"/\", \"/search/results\", \"/account\"]");
    ts_write_file(tmpdir, "secret.txt", "do not serve");
    static char webdir[300];
    snprintf(webdir, sizeof(webdir), "%s/web", tmpdir);
    app.web_dir = webdir;
    router = ct_router_create();
    if (ct_api_register(&app, router) != CT_OK)
        fail_msg("register");
    ct_http_options opt = {.port = 0, .threads = 2, .max_body = 4096};
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
    ct_refdata_free(app.refdata);
    ct_store_pool_close(app.pool);
    ct_store_close(setup_store);
    ts_rmtree(tmpdir);
    curl_global_cleanup();
    return 0;
}

static const char *item_code(json_t *j, size_t i)
{
    return json_string_value(
        json_object_get(json_array_get(json_object_get(j, "items"), i), "code"));
}

static void autocomplete_over_http(void **state)
{
    (void)state;
    response r = request("GET", "/api/v1/airports?q=zur", NULL, NULL);
    assert_int_equal(r.status, 200);
    assert_true(has_header(&r, "Content-Type: application/json"));
    json_t *j = json_of(&r);
    assert_string_equal(item_code(j, 0), "ZRH");
    json_t *zrh = json_array_get(json_object_get(j, "items"), 0);
    assert_string_equal(json_string_value(json_object_get(zrh, "name")), "Zürich Airport");
    assert_string_equal(json_string_value(json_object_get(zrh, "tz")), "Europe/Zurich");
    json_decref(j);
    free(r.body);

    r = request("GET", "/api/v1/airports?q=new%20york&limit=5", NULL, NULL);
    j = json_of(&r);
    assert_string_equal(item_code(j, 0), "NYC");
    json_t *nyc = json_array_get(json_object_get(j, "items"), 0);
    assert_string_equal(json_string_value(json_object_get(nyc, "kind")), "metro");
    assert_int_equal(json_array_size(json_object_get(nyc, "airports")), 3);
    assert_string_equal(item_code(j, 1), "JFK");
    assert_string_equal(item_code(j, 2), "LGA");
    assert_string_equal(item_code(j, 3), "EWR");
    assert_int_equal(json_array_size(json_object_get(j, "items")), 5);
    json_decref(j);
    free(r.body);

    r = request("GET", "/api/v1/airports?q=S%C3%A3o", NULL, NULL); /* "São" */
    j = json_of(&r);
    assert_string_equal(item_code(j, 0), "SAO");
    json_decref(j);
    free(r.body);

    r = request("GET", "/api/v1/airports?q=lon&limit=20", NULL, NULL);
    j = json_of(&r);
    assert_string_equal(item_code(j, 0), "LON");
    assert_true(json_array_size(json_object_get(j, "items")) <= 20);
    json_decref(j);
    free(r.body);
}

static void expect_problem(const char *path, int status, const char *field)
{
    response r = request("GET", path, NULL, NULL);
    assert_int_equal(r.status, status);
    assert_true(has_header(&r, "Content-Type: application/problem+json"));
    json_t *j = json_of(&r);
    assert_int_equal(json_integer_value(json_object_get(j, "status")), status);
    assert_non_null(json_string_value(json_object_get(j, "title")));
    assert_non_null(json_string_value(json_object_get(j, "type")));
    if (field != NULL) {
        json_t *e = json_array_get(json_object_get(j, "errors"), 0);
        assert_string_equal(json_string_value(json_object_get(e, "field")), field);
    }
    json_decref(j);
    free(r.body);
}

static void bad_input_gets_problem_json(void **state)
{
    (void)state;
    expect_problem("/api/v1/airports", 400, "q");
    expect_problem("/api/v1/airports?q=", 400, "q");
    expect_problem("/api/v1/airports?q=%20%20", 400, "q");
    expect_problem("/api/v1/airports?q=%FF%FE", 400, "q");
    expect_problem("/api/v1/airports?q=zur&limit=0", 400, "limit");
    expect_problem("/api/v1/airports?q=zur&limit=21", 400, "limit");
    expect_problem("/api/v1/airports?q=zur&limit=5x", 400, "limit");
    expect_problem(
        "/api/v1/airports?q=aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa"
        "aaaaa",
        400, "q");
    expect_problem("/api/v1/airports/ZZ1", 400, "code");
    expect_problem("/api/v1/airports/QQQ", 404, NULL);
    expect_problem("/api/v1/nothing", 404, NULL);
}

static void airport_by_code(void **state)
{
    (void)state;
    response r = request("GET", "/api/v1/airports/zrh", NULL, NULL);
    assert_int_equal(r.status, 200);
    json_t *j = json_of(&r);
    assert_string_equal(json_string_value(json_object_get(j, "code")), "ZRH");
    assert_string_equal(json_string_value(json_object_get(j, "icao")), "LSZH");
    json_decref(j);
    free(r.body);
    r = request("GET", "/api/v1/airports/LON", NULL, NULL);
    j = json_of(&r);
    assert_string_equal(json_string_value(json_object_get(j, "kind")), "metro");
    assert_true(json_array_size(json_object_get(j, "airports")) >= 5);
    json_decref(j);
    free(r.body);
}

static void middleware_request_id_cors_methods_and_body_cap(void **state)
{
    (void)state;
    response r = request("GET", "/healthz", NULL, "X-Request-Id: trace-abc.123");
    assert_int_equal(r.status, 200);
    assert_true(has_header(&r, "X-Request-Id: trace-abc.123"));
    /* No CORS unless origins are configured; the security headers on every answer. */
    assert_false(has_header(&r, "Access-Control-Allow-Origin"));
    assert_true(has_header(&r, "Content-Security-Policy: default-src 'self'"));
    assert_true(has_header(&r, "X-Frame-Options: DENY"));
    assert_true(has_header(&r, "Referrer-Policy: strict-origin-when-cross-origin"));
    free(r.body);
    r = request("GET", "/healthz", NULL, "X-Request-Id: bad id with spaces");
    assert_false(has_header(&r, "bad id"));
    assert_true(has_header(&r, "X-Request-Id: "));
    free(r.body);
    r = request("POST", "/api/v1/airports", "{}", NULL);
    assert_int_equal(r.status, 405);
    assert_true(has_header(&r, "Allow: GET"));
    free(r.body);
    r = request("OPTIONS", "/api/v1/airports", NULL, "Origin: http://example.test");
    assert_int_equal(r.status, 403); /* an origin not in the (empty) allow-list */
    assert_false(has_header(&r, "Access-Control-Allow-Methods:"));
    free(r.body);
    r = request("OPTIONS", "/api/v1/airports", NULL, NULL);
    assert_int_equal(r.status, 204);
    assert_true(has_header(&r, "Allow: GET"));
    free(r.body);
    r = request("OPTIONS", "/api/v1/no-such-route", NULL, NULL);
    assert_int_equal(r.status, 404);
    free(r.body);
    char *big = malloc(10000);
    memset(big, 'x', 9999);
    big[9999] = '\0';
    r = request("POST", "/api/v1/airports", big, NULL);
    assert_int_equal(r.status, 413);
    free(r.body);
    free(big);
    r = request("HEAD", "/api/v1/airports/ZRH", NULL, NULL);
    assert_int_equal(r.status, 200);
    free(r.body);
}

static void readiness_follows_the_app_state(void **state)
{
    (void)state;
    response r = request("GET", "/readyz", NULL, NULL);
    assert_int_equal(r.status, 200);
    free(r.body);
    atomic_store(&app.ready, 0);
    r = request("GET", "/readyz", NULL, NULL);
    assert_int_equal(r.status, 503);
    free(r.body);
    atomic_store(&app.ready, 1);
}

/* An engine of the test's own, up or down as the test says (app->engines). */
static atomic_int fake_up = 1;

static const char *fake_state(void *ctx)
{
    (void)ctx;
    return atomic_load(&fake_up) ? "up" : "down";
}

/* The state /readyz gives engine `name` ("up"/"down"), or NULL when it names none. */
static const char *engine_state(json_t *doc, const char *name, int *required)
{
    json_t *e = json_object_get(json_object_get(doc, "engines"), name);
    if (e == NULL)
        return NULL;
    *required = json_is_true(json_object_get(e, "required"));
    return json_string_value(json_object_get(e, "state"));
}

static void readiness_names_each_engine(void **state)
{
    (void)state;
    int required = -1;
    response r = request("GET", "/readyz", NULL, NULL);
    assert_int_equal(r.status, 200);
    json_t *j = json_of(&r);
    assert_string_equal(engine_state(j, "database", &required), "up");
    assert_int_equal(required, 1);
    assert_null(engine_state(j, "redis", &required)); /* rate limits in memory: no Redis */
    json_decref(j);
    free(r.body);
    /* a required engine down: 503 naming it, the engines listed in the problem */
    app.engines[0] = (ct_api_engine){.name = "rabbitmq", .required = 1, .state = fake_state};
    app.nengines = 1;
    atomic_store(&fake_up, 0);
    r = request("GET", "/readyz", NULL, NULL);
    assert_int_equal(r.status, 503);
    assert_true(has_header(&r, "application/problem+json"));
    j = json_of(&r);
    assert_non_null(strstr(json_string_value(json_object_get(j, "detail")), "rabbitmq"));
    assert_string_equal(engine_state(j, "rabbitmq", &required), "down");
    assert_string_equal(engine_state(j, "database", &required), "up");
    json_decref(j);
    free(r.body);
    /* back up: ready again */
    atomic_store(&fake_up, 1);
    r = request("GET", "/readyz", NULL, NULL);
    assert_int_equal(r.status, 200);
    j = json_of(&r);
    assert_string_equal(engine_state(j, "rabbitmq", &required), "up");
    json_decref(j);
    free(r.body);
    /* not required and down: still ready, the state named */
    app.engines[0].required = 0;
    atomic_store(&fake_up, 0);
    r = request("GET", "/readyz", NULL, NULL);
    assert_int_equal(r.status, 200);
    j = json_of(&r);
    assert_string_equal(engine_state(j, "rabbitmq", &required), "down");
    assert_int_equal(required, 0);
    json_decref(j);
    free(r.body);
    app.nengines = 0;
    atomic_store(&fake_up, 1);
}

static void metrics_count_requests_per_route(void **state)
{
    (void)state;
    for (int i = 0; i < 3; i++)
        free(request("GET", "/api/v1/airports/JFK", NULL, NULL).body);
    free(request("GET", "/api/v1/airports/QQQ", NULL, NULL).body);
    response r = request("GET", "/metrics", NULL, NULL);
    assert_int_equal(r.status, 200);
    const char *line = "contrail_http_requests_total{method=\"GET\",route=\"/api/v1/airports/"
                       "{code}\",status=\"2xx\"} ";
    const char *p = strstr(r.body, line);
    assert_non_null(p);
    assert_true(atoi(p + strlen(line)) >= 4); /* 3 here + airport_by_code's */
    assert_non_null(strstr(r.body, "route=\"/api/v1/airports/{code}\",status=\"4xx\"} "));
    assert_non_null(strstr(r.body, "contrail_http_request_duration_seconds_bucket{method=\"GET\","
                                   "route=\"/api/v1/airports/{code}\",le=\"+Inf\"}"));
    assert_non_null(strstr(r.body, "# TYPE contrail_http_request_duration_seconds histogram"));
    free(r.body);
}

static void openapi_matches_the_route_table(void **state)
{
    (void)state;
    response r = request("GET", "/api/v1/openapi.json", NULL, NULL);
    assert_int_equal(r.status, 200);
    json_t *doc = json_of(&r);
    json_t *paths = json_object_get(doc, "paths");
    assert_non_null(paths);
    /* Every route is documented... */
    for (size_t i = 0; i < ct_router_count(router); i++) {
        const char *method, *pattern;
        ct_router_route(router, i, &method, &pattern);
        char lower[16];
        size_t k = 0;
        for (; method[k] && k < sizeof(lower) - 1; k++)
            lower[k] = (char)(method[k] | 0x20);
        lower[k] = '\0';
        json_t *op = json_object_get(json_object_get(paths, pattern), lower);
        if (op == NULL)
            fail_msg("route %s %s is missing from openapi.json", method, pattern);
    }
    /* ...and every documented operation is routed. */
    const char *path;
    json_t *item;
    size_t documented = 0;
    json_object_foreach(paths, path, item)
    {
        const char *m;
        json_t *op;
        json_object_foreach(item, m, op)
        {
            documented++;
            int found = 0;
            for (size_t i = 0; i < ct_router_count(router) && !found; i++) {
                const char *method, *pattern;
                ct_router_route(router, i, &method, &pattern);
                found = strcmp(pattern, path) == 0 && strcasecmp(method, m) == 0;
            }
            if (!found)
                fail_msg("openapi.json documents %s %s, which has no route", m, path);
        }
    }
    assert_int_equal(documented, ct_router_count(router));
    json_decref(doc);
    free(r.body);
}

static void static_files_and_spa_fallback(void **state)
{
    (void)state;
    response r = request("GET", "/", NULL, NULL);
    assert_int_equal(r.status, 200);
    assert_true(has_header(&r, "Content-Type: text/html"));
    assert_non_null(strstr(r.body, "<title>Contrail</title>"));
    free(r.body);
    r = request("GET", "/search/results", NULL, NULL); /* client-side route */
    assert_int_equal(r.status, 200);
    assert_non_null(strstr(r.body, "Contrail"));
    free(r.body);
    r = request("GET", "/account/", NULL, NULL); /* a trailing slash is the same route */
    assert_int_equal(r.status, 200);
    free(r.body);
    /* Not one of the app's routes (routes.json): the app, which shows "Page not found", with
     * HTTP 404. */
    r = request("GET", "/no-such-page", NULL, NULL);
    assert_int_equal(r.status, 404);
    assert_true(has_header(&r, "Content-Type: text/html"));
    assert_non_null(strstr(r.body, "<title>Contrail</title>"));
    free(r.body);
    r = request("GET", "/assets/app-1234.js", NULL, NULL);
    assert_int_equal(r.status, 200);
    assert_true(has_header(&r, "Content-Type: text/javascript"));
    assert_true(has_header(&r, "immutable"));
    free(r.body);
    r = request("GET", "/assets/missing.js", NULL, NULL);
    assert_int_equal(r.status, 404);
    free(r.body);
    r = request("GET", "/../secret.txt", NULL, NULL);
    assert_null(strstr(r.body, "do not serve"));
    free(r.body);
    r = request("GET", "/%2e%2e/secret.txt", NULL, NULL);
    assert_null(strstr(r.body, "do not serve"));
    free(r.body);
    r = request("GET", "/.hidden", NULL, NULL);
    assert_int_equal(r.status, 404);
    free(r.body);
}

typedef struct hammer_arg {
    int ok;
} hammer_arg;

static void *hammer(void *p)
{
    hammer_arg *a = p;
    for (int i = 0; i < 50; i++) {
        response r = request("GET", i % 2 ? "/api/v1/airports?q=par" : "/healthz", NULL, NULL);
        a->ok += r.status == 200;
        free(r.body);
    }
    return NULL;
}

static void concurrent_requests(void **state)
{
    (void)state;
    pthread_t t[8];
    hammer_arg args[8] = {0};
    for (int i = 0; i < 8; i++)
        pthread_create(&t[i], NULL, hammer, &args[i]);
    int ok = 0;
    for (int i = 0; i < 8; i++) {
        pthread_join(t[i], NULL);
        ok += args[i].ok;
    }
    assert_int_equal(ok, 400);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(autocomplete_over_http),
        cmocka_unit_test(bad_input_gets_problem_json),
        cmocka_unit_test(airport_by_code),
        cmocka_unit_test(middleware_request_id_cors_methods_and_body_cap),
        cmocka_unit_test(readiness_follows_the_app_state),
        cmocka_unit_test(readiness_names_each_engine),
        cmocka_unit_test(metrics_count_requests_per_route),
        cmocka_unit_test(openapi_matches_the_route_table),
        cmocka_unit_test(static_files_and_spa_fallback),
        cmocka_unit_test(concurrent_requests),
    };
    return cmocka_run_group_tests(tests, setup, teardown);
}
