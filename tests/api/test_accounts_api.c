/* test_accounts_api.c: the account routes over real HTTP: registration and sign-in answers,
 * Bearer tokens (valid, missing, forged), refresh reuse, brute-force throttling (100 an
 * hour), rate limits per IP and per API key, API-key access rules, admin routes, and the
 * sweep that calls every id-taking route with another user's ids. */
#include "ct_test.h"

#include <curl/curl.h>
#include <jwt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "api/api.h"
#include "httpclient.h"
#include "testsupport.h"

static char tmpdir[256];
static ct_app app;
static ct_accounts accounts;
static ct_router *router;
static ct_http_server *server;
static int port;
static const char *secret = "api-test-secret-0123456789abcdefghijklmnop";

static int engine; /* 0 = SQLite, 1 = PostgreSQL (when CT_TEST_PG_URL is set) */

static int setup(void **state)
{
    (void)state;
    memset(&app, 0, sizeof(app));
    curl_global_init(CURL_GLOBAL_DEFAULT);
    ts_tempdir(tmpdir, sizeof(tmpdir));
    char urls[2][512], err[256];
    int n = ts_store_urls(tmpdir, urls, 2);
    if (engine >= n)
        fail_msg("engine %d is not configured", engine);
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
    ct_ratelimit_destroy(app.ratelimit);
    ct_refdata_free(app.refdata);
    ct_store_pool_close(app.pool);
    ts_rmtree(tmpdir);
    curl_global_cleanup();
    return 0;
}

/* A request with an optional bearer token or other header line. */
static ts_response call(const char *method, const char *path, const char *body, const char *header)
{
    const char *h[] = {header, NULL};
    return ts_http(method, port, path, body, header ? h : NULL);
}

static long status_of(const char *method, const char *path, const char *body, const char *header)
{
    ts_response r = call(method, path, body, header);
    long s = r.status;
    ts_response_free(&r);
    return s;
}

typedef struct session {
    char bearer[1300];
    char refresh[80];
    char user_id[40];
} session;

static void sign_up_and_in(const char *email, session *s)
{
    char body[256];
    snprintf(body, sizeof(body), "{\"email\":\"%s\",\"password\":\"correct horse battery\"}",
             email);
    ts_response r = call("POST", "/api/v1/users", body, NULL);
    if (r.status != 201)
        fail_msg("register %s: %ld %s", email, r.status, r.body);
    ts_response_free(&r);
    r = call("POST", "/api/v1/sessions", body, NULL);
    assert_int_equal(r.status, 200);
    json_t *j = ts_json(&r);
    snprintf(s->bearer, sizeof(s->bearer), "Authorization: Bearer %s",
             json_string_value(json_object_get(j, "access_token")));
    snprintf(s->refresh, sizeof(s->refresh), "%s",
             json_string_value(json_object_get(j, "refresh_token")));
    snprintf(s->user_id, sizeof(s->user_id), "%s",
             json_string_value(json_object_get(j, "user_id")));
    assert_int_equal(json_integer_value(json_object_get(j, "expires_in")), 900);
    json_decref(j);
    ts_response_free(&r);
}

static void register_and_profile(void **state)
{
    (void)state;
    session s;
    sign_up_and_in("ann@example.com", &s);
    ts_response r = call("GET", "/api/v1/me", NULL, s.bearer);
    assert_int_equal(r.status, 200);
    json_t *me = ts_json(&r);
    assert_string_equal(json_string_value(json_object_get(me, "email")), "ann@example.com");
    assert_false(json_is_true(json_object_get(me, "email_verified")));
    json_decref(me);
    ts_response_free(&r);
    /* Duplicate, malformed and missing fields name the field. */
    assert_int_equal(status_of("POST", "/api/v1/users",
                               "{\"email\":\"ANN@example.com\",\"password\":\"another one 123\"}",
                               NULL),
                     409);
    r = call("POST", "/api/v1/users", "{\"email\":\"ann2@example.com\",\"password\":\"short\"}",
             NULL);
    assert_int_equal(r.status, 400);
    json_t *p = ts_json(&r);
    assert_string_equal(json_string_value(json_object_get(
                            json_array_get(json_object_get(p, "errors"), 0), "field")),
                        "password");
    json_decref(p);
    ts_response_free(&r);
    assert_int_equal(status_of("POST", "/api/v1/users", "{not json", NULL), 400);
    /* Profile update with validation. */
    r = call("PUT", "/api/v1/me",
             "{\"name\":\"Ann\",\"home_airport\":\"ZRH\",\"currency\":\"CHF\",\"cabin\":"
             "\"business\",\"notifications\":{\"email\":false}}",
             s.bearer);
    assert_int_equal(r.status, 200);
    me = ts_json(&r);
    assert_string_equal(json_string_value(json_object_get(me, "home_airport")), "ZRH");
    assert_false(json_is_true(json_object_get(json_object_get(me, "notifications"), "email")));
    json_decref(me);
    ts_response_free(&r);
    assert_int_equal(status_of("PUT", "/api/v1/me", "{\"cabin\":\"cargo\"}", s.bearer), 400);
    r = call("PUT", "/api/v1/me", "{\"home_airport\":\"QQQ\"}", s.bearer);
    assert_int_equal(r.status, 400);
    assert_non_null(strstr(r.body, "home_airport"));
    ts_response_free(&r);
    assert_int_equal(status_of("PUT", "/api/v1/me", "{\"home_airport\":\"LON\"}", s.bearer), 200);
}

static void bearer_tokens(void **state)
{
    (void)state;
    ts_response r = call("GET", "/api/v1/me", NULL, NULL);
    assert_int_equal(r.status, 401);
    assert_true(ts_has_header(&r, "WWW-Authenticate: Bearer"));
    ts_response_free(&r);
    assert_int_equal(status_of("GET", "/api/v1/me", NULL, "Authorization: Bearer abc.def.ghi"),
                     401);
    assert_int_equal(status_of("GET", "/api/v1/me", NULL, "Authorization: Basic Zm9vOmJhcg=="),
                     401);
    /* A token signed with another key, and an expired one, are refused over HTTP too. */
    long now = (long)time(NULL);
    const char *keys[] = {"another-key-0123456789abcdefghijklmnopqr", secret};
    long exps[] = {now + 600, now - 60};
    for (int i = 0; i < 2; i++) {
        jwt_t *j = NULL;
        jwt_new(&j);
        jwt_add_grant(j, "iss", "contrail");
        jwt_add_grant(j, "aud", "contrail-api");
        jwt_add_grant(j, "sub", "usr_0123456789abcdef0123456789abcdef");
        jwt_add_grant(j, "role", "admin");
        jwt_add_grant_int(j, "iat", exps[i] - 600);
        jwt_add_grant_int(j, "nbf", exps[i] - 600);
        jwt_add_grant_int(j, "exp", exps[i]);
        jwt_set_alg(j, JWT_ALG_HS256, (const unsigned char *)keys[i], (int)strlen(keys[i]));
        char *t = jwt_encode_str(j);
        char h[1200];
        snprintf(h, sizeof(h), "Authorization: Bearer %s", t);
        assert_int_equal(status_of("GET", "/api/v1/admin/users/usr_x", NULL, h), 401);
        free(t);
        jwt_free(j);
    }
}

static void refresh_reuse_revokes_family(void **state)
{
    (void)state;
    session s;
    sign_up_and_in("ben@example.com", &s);
    char body[200];
    snprintf(body, sizeof(body), "{\"refresh_token\":\"%s\"}", s.refresh);
    ts_response r = call("POST", "/api/v1/sessions/refresh", body, NULL);
    assert_int_equal(r.status, 200);
    json_t *j = ts_json(&r);
    char next[200];
    snprintf(next, sizeof(next), "{\"refresh_token\":\"%s\"}",
             json_string_value(json_object_get(j, "refresh_token")));
    json_decref(j);
    ts_response_free(&r);
    assert_int_equal(status_of("POST", "/api/v1/sessions/refresh", body, NULL), 401); /* reuse */
    assert_int_equal(status_of("POST", "/api/v1/sessions/refresh", next, NULL), 401);
    /* The reuse shows in the user's security log. */
    r = call("GET", "/api/v1/me/security-events", NULL, s.bearer);
    assert_int_equal(r.status, 200);
    assert_non_null(strstr(r.body, "refresh_reuse"));
    ts_response_free(&r);
    assert_int_equal(status_of("POST", "/api/v1/sessions/revoke", next, NULL), 204);
}

static void brute_force_is_throttled(void **state)
{
    (void)state;
    session s;
    app.limits.ip_per_minute = 0; /* the sign-in throttle is under test, not the rate limit */
    sign_up_and_in("cat@example.com", &s);
    const char *wrong = "{\"email\":\"cat@example.com\",\"password\":\"not the password\"}";
    const char *other_ip = "X-Forwarded-For: 203.0.113.7"; /* ignored: the socket address counts */
    /* Failures earlier tests made from this address count too. */
    ct_store *st = NULL;
    int64_t before = 0;
    assert_int_equal(ct_store_pool_acquire(app.pool, 1000, &st), CT_OK);
    assert_int_equal(ct_store_query_int64(st,
                                          "SELECT COUNT(*) FROM security_events WHERE kind ="
                                          " 'signin_failed' AND ip = '127.0.0.1'",
                                          &before),
                     CT_OK);
    ct_store_pool_release(app.pool, st);
    assert_true(before < 10);
    for (int i = 0; i < 99 - before; i++) /* plus the one below: 100 failures */
        assert_int_equal(status_of("POST", "/api/v1/sessions", wrong, other_ip), 401);
    ts_response r =
        call("POST", "/api/v1/sessions",
             "{\"email\":\"nobody@example.com\",\"password\":\"not the password\"}", NULL);
    assert_int_equal(r.status, 401); /* unknown e-mail: the same answer */
    assert_non_null(strstr(r.body, "e-mail or password is not correct"));
    ts_response_free(&r);
    /* 100 failures from this address within the hour: even the right password waits. */
    r = call("POST", "/api/v1/sessions",
             "{\"email\":\"cat@example.com\",\"password\":\"correct horse battery\"}", NULL);
    assert_int_equal(r.status, 429);
    assert_true(ts_has_header(&r, "Retry-After: "));
    ts_response_free(&r);
    ct__accounts_clock_offset = 3601; /* an hour later */
    assert_int_equal(status_of("POST", "/api/v1/sessions",
                               "{\"email\":\"cat@example.com\",\"password\":\"correct horse "
                               "battery\"}",
                               NULL),
                     200);
    ct__accounts_clock_offset = 0;
    app.limits = ct_api_default_limits();
}

static void api_keys_scopes_and_limits(void **state)
{
    (void)state;
    session s;
    sign_up_and_in("dee@example.com", &s);
    ts_response r =
        call("POST", "/api/v1/me/api-keys",
             "{\"name\":\"feed\",\"scopes\":[\"search\"],\"rate_per_minute\":10}", s.bearer);
    assert_int_equal(r.status, 201);
    json_t *j = ts_json(&r);
    char key[160], kid[48], path[96];
    snprintf(key, sizeof(key), "X-API-Key: %s", json_string_value(json_object_get(j, "key")));
    snprintf(kid, sizeof(kid), "%s", json_string_value(json_object_get(j, "id")));
    json_decref(j);
    ts_response_free(&r);
    /* A key may call public routes, never account routes. */
    assert_int_equal(status_of("GET", "/healthz", NULL, key), 200);
    assert_int_equal(status_of("GET", "/api/v1/me", NULL, key), 403);
    /* Its own limit: 10 a minute with a burst of 10, the 11th is refused. */
    for (int i = 0; i < 8; i++)
        assert_int_equal(status_of("GET", "/healthz", NULL, key), 200);
    r = call("GET", "/healthz", NULL, key);
    assert_int_equal(r.status, 429);
    assert_true(ts_has_header(&r, "Retry-After: "));
    ts_response_free(&r);
    snprintf(path, sizeof(path), "/api/v1/me/api-keys/%s", kid);
    assert_int_equal(status_of("DELETE", path, NULL, s.bearer), 204);
    assert_int_equal(status_of("GET", "/healthz", NULL, key), 401); /* revoked */
    assert_int_equal(status_of("GET", "/healthz", NULL, "X-API-Key: ck_nope_nope"), 401);
}

static void per_ip_rate_limit(void **state)
{
    (void)state;
    ct_ratelimit *saved = app.ratelimit;
    ct_api_limits limits = app.limits;
    app.ratelimit = ct_ratelimit_create();
    app.limits.ip_per_minute = 1; /* refills one token a minute: none during the test */
    app.limits.ip_burst = 3;
    int ok = 0, limited = 0;
    for (int i = 0; i < 5; i++) {
        long st = status_of("GET", "/healthz", NULL, NULL);
        ok += st == 200;
        limited += st == 429;
    }
    ct_ratelimit_destroy(app.ratelimit);
    app.ratelimit = saved;
    app.limits = limits;
    assert_int_equal(ok, 3);
    assert_int_equal(limited, 2);
}

/* Every route with an {id}: another user's ids give 404 (own-scoped) or 403 (admin). */
static void id_sweep_never_crosses_users(void **state)
{
    (void)state;
    session a, b;
    sign_up_and_in("owner@example.com", &a);
    sign_up_and_in("intruder@example.com", &b);
    ts_response r = call("POST", "/api/v1/me/travellers",
                         "{\"given_name\":\"Olive\",\"family_name\":\"Owner\",\"birth_date\":"
                         "\"1980-02-02\"}",
                         a.bearer);
    assert_int_equal(r.status, 201);
    json_t *j = ts_json(&r);
    char traveller[48];
    snprintf(traveller, sizeof(traveller), "%s", json_string_value(json_object_get(j, "id")));
    json_decref(j);
    ts_response_free(&r);
    r = call("POST", "/api/v1/me/api-keys", "{\"name\":\"k\",\"scopes\":[\"search\"]}", a.bearer);
    j = ts_json(&r);
    char key[48];
    snprintf(key, sizeof(key), "%s", json_string_value(json_object_get(j, "id")));
    json_decref(j);
    ts_response_free(&r);
    const char *body = "{\"given_name\":\"X\",\"family_name\":\"Y\",\"birth_date\":\"1980-01-01\","
                       "\"role\":\"admin\"}";
    int swept = 0;
    for (size_t i = 0; i < ct_router_count(router); i++) {
        const char *method, *pattern;
        ct_router_route(router, i, &method, &pattern);
        const char *brace = strstr(pattern, "{id}");
        if (brace == NULL)
            continue;
        const char *id = strstr(pattern, "travellers") ? traveller
                         : strstr(pattern, "api-keys") ? key
                                                       : a.user_id;
        char path[256];
        snprintf(path, sizeof(path), "%.*s%s%s", (int)(brace - pattern), pattern, id, brace + 4);
        long st = status_of(method, path, body, b.bearer);
        if (st != 404 && st != 403)
            fail_msg("%s %s answered %ld to another user", method, path, st);
        swept++;
    }
    assert_true(swept >= 6);
    /* The owner still has both. */
    char path[128];
    snprintf(path, sizeof(path), "/api/v1/me/travellers/%s", traveller);
    assert_int_equal(status_of("GET", path, NULL, a.bearer), 200);
    r = call("GET", "/api/v1/me/api-keys", NULL, a.bearer);
    assert_non_null(strstr(r.body, key));
    assert_null(strstr(r.body, "\"key\""));
    ts_response_free(&r);
}

static void admin_routes(void **state)
{
    (void)state;
    session adm, u;
    sign_up_and_in("root@example.com", &adm);
    sign_up_and_in("user@example.com", &u);
    ct_store *st = NULL;
    assert_int_equal(ct_store_pool_acquire(app.pool, 1000, &st), CT_OK);
    assert_int_equal(ct_accounts_set_role(st, adm.user_id, "admin"), CT_OK);
    ct_store_pool_release(app.pool, st);
    /* The role is in the token: sign in again. */
    ts_response r =
        call("POST", "/api/v1/sessions",
             "{\"email\":\"root@example.com\",\"password\":\"correct horse battery\"}", NULL);
    json_t *j = ts_json(&r);
    char bearer[1300], path[128];
    snprintf(bearer, sizeof(bearer), "Authorization: Bearer %s",
             json_string_value(json_object_get(j, "access_token")));
    json_decref(j);
    ts_response_free(&r);
    snprintf(path, sizeof(path), "/api/v1/admin/users/%s", u.user_id);
    assert_int_equal(status_of("GET", path, NULL, bearer), 200);
    assert_int_equal(status_of("GET", path, NULL, u.bearer), 403);
    assert_int_equal(status_of("GET", "/api/v1/admin/users/usr_missing", NULL, bearer), 404);
    snprintf(path, sizeof(path), "/api/v1/admin/users/%s/role", u.user_id);
    assert_int_equal(status_of("PUT", path, "{\"role\":\"god\"}", bearer), 400);
    assert_int_equal(status_of("PUT", path, "{\"role\":\"admin\"}", bearer), 200);
}

static void export_and_delete(void **state)
{
    (void)state;
    session s;
    sign_up_and_in("gone@example.com", &s);
    ts_response r = call("GET", "/api/v1/me/export", NULL, s.bearer);
    assert_int_equal(r.status, 200);
    assert_true(ts_has_header(&r, "Content-Disposition: attachment"));
    assert_non_null(strstr(r.body, "gone@example.com"));
    ts_response_free(&r);
    assert_int_equal(status_of("DELETE", "/api/v1/me", "{\"password\":\"wrong one\"}", s.bearer),
                     400);
    assert_int_equal(
        status_of("DELETE", "/api/v1/me", "{\"password\":\"correct horse battery\"}", s.bearer),
        204);
    /* The token is still well-formed, but the account is gone. */
    assert_int_equal(status_of("GET", "/api/v1/me", NULL, s.bearer), 404);
    assert_int_equal(status_of("POST", "/api/v1/sessions",
                               "{\"email\":\"gone@example.com\",\"password\":\"correct horse "
                               "battery\"}",
                               NULL),
                     401);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(register_and_profile),
        cmocka_unit_test(bearer_tokens),
        cmocka_unit_test(refresh_reuse_revokes_family),
        cmocka_unit_test(api_keys_scopes_and_limits),
        cmocka_unit_test(per_ip_rate_limit),
        cmocka_unit_test(id_sweep_never_crosses_users),
        cmocka_unit_test(admin_routes),
        cmocka_unit_test(export_and_delete),
        cmocka_unit_test(brute_force_is_throttled), /* last: it throttles this client's IP */
    };
    /* The whole suite once per engine: SQLite, then PostgreSQL when configured. */
    const char *pg = getenv("CT_TEST_PG_URL");
    int engines = pg != NULL && *pg ? 2 : 1, failed = 0;
    for (engine = 0; engine < engines; engine++) {
        fprintf(stderr, "== engine: %s\n", engine == 0 ? "sqlite" : "postgres");
        failed += cmocka_run_group_tests(tests, setup, teardown);
    }
    return failed;
}
