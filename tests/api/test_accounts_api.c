/* test_accounts_api.c: the account routes over real HTTP: registration and sign-in answers,
 * Bearer tokens (valid, missing, forged, revoked by sign-out, password change, demotion and
 * erasure), refresh reuse, brute-force throttling (per account and address, then 100 an hour
 * per address; the password change too), rate limits per IP and per API key, API-key access
 * rules and scopes, caps and pages of travellers and keys, admin routes, and the sweep that
 * calls every id-taking route with another user's ids. */
#include "ct_test.h"

#include <curl/curl.h>
#include <jwt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "alerts/alerts.h"
#include "api/api.h"
#include "api/api_internal.h"
#include "httpclient.h"
#include "testsupport.h"

static char tmpdir[256];
static ct_app app;
static ct_accounts accounts;
static ct_alerts *alerts;
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
    ct_alerts_config acfg = {.pool = app.pool, .refdata = app.refdata};
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
    atomic_store(&app.alerts, NULL);
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
    if (r.status != 202)
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
    /* A registered address answers exactly like a new one. */
    ts_response fresh =
        call("POST", "/api/v1/users",
             "{\"email\":\"ann.new@example.com\",\"password\":\"another one 123\"}", NULL);
    r = call("POST", "/api/v1/users",
             "{\"email\":\"ANN@example.com\",\"password\":\"another one 123\"}", NULL);
    assert_int_equal(r.status, 202);
    assert_int_equal(fresh.status, 202);
    assert_string_equal(r.body, fresh.body);
    ts_response_free(&r);
    ts_response_free(&fresh);
    /* Malformed, mistyped and missing fields name the field. */
    r = call("POST", "/api/v1/users",
             "{\"email\":\"ann3@example.com\",\"password\":\"another one 123\",\"name\":42}", NULL);
    assert_int_equal(r.status, 400);
    assert_non_null(strstr(r.body, "\"field\":\"name\""));
    ts_response_free(&r);
    r = call("POST", "/api/v1/users", "{\"email\":[\"a@b.c\"],\"password\":\"another one 123\"}",
             NULL);
    assert_int_equal(r.status, 400);
    assert_non_null(strstr(r.body, "\"field\":\"email\""));
    ts_response_free(&r);
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
    r = call("PUT", "/api/v1/me", "{\"currency\":\"ABC\"}", s.bearer); /* not ISO 4217 */
    assert_int_equal(r.status, 400);
    assert_non_null(strstr(r.body, "\"field\":\"currency\""));
    ts_response_free(&r);
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
    /* The family's access tokens died with it; the reuse shows in the user's security log. */
    assert_int_equal(status_of("GET", "/api/v1/me", NULL, s.bearer), 401);
    r = call("POST", "/api/v1/sessions",
             "{\"email\":\"ben@example.com\",\"password\":\"correct horse battery\"}", NULL);
    j = ts_json(&r);
    snprintf(s.bearer, sizeof(s.bearer), "Authorization: Bearer %s",
             json_string_value(json_object_get(j, "access_token")));
    json_decref(j);
    ts_response_free(&r);
    r = call("GET", "/api/v1/me/security-events", NULL, s.bearer);
    assert_int_equal(r.status, 200);
    assert_non_null(strstr(r.body, "refresh_reuse"));
    ts_response_free(&r);
    assert_int_equal(status_of("POST", "/api/v1/sessions/revoke", next, NULL), 204);
}

#define CHROME_LINUX                                                                               \
    "Mozilla/5.0 (X11; Linux x86_64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/131.0.0.0 "     \
    "Safari/537.36"

/* The security log records each event's address and User-Agent and answers them with a
 * readable device. */
static void security_events_name_device_and_address(void **state)
{
    (void)state;
    const char *body = "{\"email\":\"dev@example.com\",\"password\":\"correct horse battery\"}";
    assert_int_equal(status_of("POST", "/api/v1/users", body, NULL), 202);
    ts_response r = call("POST", "/api/v1/sessions", body, "User-Agent: " CHROME_LINUX);
    assert_int_equal(r.status, 200);
    json_t *j = ts_json(&r);
    char bearer[1300];
    snprintf(bearer, sizeof(bearer), "Authorization: Bearer %s",
             json_string_value(json_object_get(j, "access_token")));
    json_decref(j);
    ts_response_free(&r);
    r = call("GET", "/api/v1/me/security-events", NULL, bearer);
    assert_int_equal(r.status, 200);
    j = ts_json(&r);
    json_t *items = json_object_get(j, "items"), *signin = NULL, *registered = NULL, *e;
    size_t i;
    json_array_foreach(items, i, e)
    {
        const char *kind = json_string_value(json_object_get(e, "kind"));
        if (strcmp(kind, "signin") == 0)
            signin = e;
        else if (strcmp(kind, "registered") == 0)
            registered = e;
    }
    assert_non_null(signin);
    assert_string_equal(json_string_value(json_object_get(signin, "ip")), "127.0.0.1");
    assert_string_equal(json_string_value(json_object_get(signin, "device")), "Chrome on Linux");
    assert_string_equal(json_string_value(json_object_get(signin, "user_agent")), CHROME_LINUX);
    /* Without a User-Agent: the address, no device. */
    assert_non_null(registered);
    assert_string_equal(json_string_value(json_object_get(registered, "ip")), "127.0.0.1");
    assert_true(json_is_null(json_object_get(registered, "device")));
    assert_true(json_is_null(json_object_get(registered, "user_agent")));
    json_decref(j);
    ts_response_free(&r);
}

static void brute_force_is_throttled(void **state)
{
    (void)state;
    session s;
    app.limits.ip_per_minute = 0; /* the sign-in throttle is under test, not the rate limit */
    sign_up_and_in("cat@example.com", &s);
    const char *wrong = "{\"email\":\"cat@example.com\",\"password\":\"not the password\"}";
    const char *right = "{\"email\":\"cat@example.com\",\"password\":\"correct horse battery\"}";
    const char *other_ip = "X-Forwarded-For: 203.0.113.7"; /* ignored: the socket address counts */
    /* One account from one address: five free failures, then Retry-After, even for the
     * right password. */
    for (int i = 0; i < 5; i++)
        assert_int_equal(status_of("POST", "/api/v1/sessions", wrong, other_ip), 401);
    ts_response r = call("POST", "/api/v1/sessions", right, NULL);
    assert_int_equal(r.status, 429);
    assert_true(ts_has_header(&r, "Retry-After: "));
    assert_true(ts_has_header(&r, "Content-Type: application/problem+json"));
    ts_response_free(&r);
    r = call("POST", "/api/v1/sessions",
             "{\"email\":\"nobody@example.com\",\"password\":\"not the password\"}", NULL);
    assert_int_equal(r.status, 401); /* unknown e-mail: the same answer */
    assert_non_null(strstr(r.body, "e-mail or password is not correct"));
    ts_response_free(&r);
    /* Across accounts from this address: 100 an hour, then every account waits. */
    ct_store *st = NULL;
    int64_t before = 0;
    assert_int_equal(ct_store_pool_acquire(app.pool, 1000, &st), CT_OK);
    assert_int_equal(ct_store_query_int64(st,
                                          "SELECT COUNT(*) FROM security_events WHERE kind IN"
                                          " ('signin_failed', 'password_change_failed',"
                                          " 'delete_failed') AND ip = '127.0.0.1'",
                                          &before),
                     CT_OK);
    ct_store_pool_release(app.pool, st);
    assert_true(before < 40);
    for (int i = 0; i < 100 - before; i++) {
        char body[128];
        snprintf(body, sizeof(body), "{\"email\":\"x%d@example.com\",\"password\":\"guess\"}", i);
        assert_int_equal(status_of("POST", "/api/v1/sessions", body, NULL), 401);
    }
    ct__accounts_clock_offset = 1000; /* the per-pair delay is over, the hour is not */
    r = call("POST", "/api/v1/sessions", right, NULL);
    assert_int_equal(r.status, 429);
    assert_true(ts_has_header(&r, "Retry-After: "));
    ts_response_free(&r);
    ct__accounts_clock_offset = 3601; /* an hour later */
    assert_int_equal(status_of("POST", "/api/v1/sessions", right, NULL), 200);
    ct__accounts_clock_offset = 0;
    app.limits = ct_api_default_limits();
}

/* PUT /me/password is throttled like a sign-in: a stolen token is no password oracle. */
static void password_change_is_throttled(void **state)
{
    (void)state;
    session s;
    app.limits.ip_per_minute = 0;
    sign_up_and_in("pat@example.com", &s);
    const char *wrong =
        "{\"current_password\":\"a wrong guess\",\"new_password\":\"brand new one 1\"}";
    int refused = 0, throttled = 0;
    for (int i = 0; i < 8; i++) {
        ts_response r = call("PUT", "/api/v1/me/password", wrong, s.bearer);
        refused += r.status == 400;
        if (r.status == 429) {
            throttled++;
            assert_true(ts_has_header(&r, "Retry-After: "));
        }
        ts_response_free(&r);
    }
    assert_int_equal(refused, 5);
    assert_int_equal(throttled, 3);
    app.limits = ct_api_default_limits();
}

/* Access tokens die at once on sign-out, password change, demotion and erasure. */
static void access_tokens_are_revoked(void **state)
{
    (void)state;
    session s, t;
    sign_up_and_in("rev@example.com", &s);
    /* Sign-out of one session ends its access token, not the other session's. */
    ts_response r =
        call("POST", "/api/v1/sessions",
             "{\"email\":\"rev@example.com\",\"password\":\"correct horse battery\"}", NULL);
    json_t *j = ts_json(&r);
    snprintf(t.bearer, sizeof(t.bearer), "Authorization: Bearer %s",
             json_string_value(json_object_get(j, "access_token")));
    json_decref(j);
    ts_response_free(&r);
    char body[200];
    snprintf(body, sizeof(body), "{\"refresh_token\":\"%s\"}", s.refresh);
    assert_int_equal(status_of("GET", "/api/v1/me", NULL, s.bearer), 200);
    assert_int_equal(status_of("POST", "/api/v1/sessions/revoke", body, NULL), 204);
    r = call("GET", "/api/v1/me", NULL, s.bearer);
    assert_int_equal(r.status, 401);
    assert_true(ts_has_header(&r, "WWW-Authenticate: Bearer"));
    ts_response_free(&r);
    assert_int_equal(status_of("GET", "/api/v1/me", NULL, t.bearer), 200);
    /* A password change ends every access token. */
    assert_int_equal(
        status_of("PUT", "/api/v1/me/password",
                  "{\"current_password\":\"correct horse battery\",\"new_password\":\"another "
                  "passphrase\"}",
                  t.bearer),
        204);
    assert_int_equal(status_of("GET", "/api/v1/me", NULL, t.bearer), 401);
    /* A demoted admin loses admin rights at once. */
    session adm;
    sign_up_and_in("boss@example.com", &adm);
    ct_store *st = NULL;
    assert_int_equal(ct_store_pool_acquire(app.pool, 1000, &st), CT_OK);
    assert_int_equal(ct_accounts_set_role(st, adm.user_id, "admin"), CT_OK);
    ct_store_pool_release(app.pool, st);
    r = call("POST", "/api/v1/sessions",
             "{\"email\":\"boss@example.com\",\"password\":\"correct horse battery\"}", NULL);
    j = ts_json(&r);
    snprintf(adm.bearer, sizeof(adm.bearer), "Authorization: Bearer %s",
             json_string_value(json_object_get(j, "access_token")));
    json_decref(j);
    ts_response_free(&r);
    char path[128];
    snprintf(path, sizeof(path), "/api/v1/admin/users/%s", adm.user_id);
    assert_int_equal(status_of("GET", path, NULL, adm.bearer), 200);
    assert_int_equal(ct_store_pool_acquire(app.pool, 1000, &st), CT_OK);
    assert_int_equal(ct_accounts_set_role(st, adm.user_id, "user"), CT_OK);
    ct_store_pool_release(app.pool, st);
    snprintf(path, sizeof(path), "/api/v1/admin/users/%s/role", s.user_id);
    assert_int_equal(status_of("PUT", path, "{\"role\":\"admin\"}", adm.bearer), 401);
}

/* Travellers and API keys: capped per user, listed in pages. */
static void caps_and_pages(void **state)
{
    (void)state;
    session s;
    sign_up_and_in("pages@example.com", &s);
    for (int i = 0; i < 3; i++)
        assert_int_equal(status_of("POST", "/api/v1/me/travellers",
                                   "{\"given_name\":\"Pia\",\"family_name\":\"Page\","
                                   "\"birth_date\":\"1980-02-02\"}",
                                   s.bearer),
                         201);
    ts_response r = call("GET", "/api/v1/me/travellers?limit=2&offset=1", NULL, s.bearer);
    assert_int_equal(r.status, 200);
    json_t *j = ts_json(&r);
    assert_int_equal(json_array_size(json_object_get(j, "items")), 2);
    assert_int_equal(json_integer_value(json_object_get(j, "total")), 3);
    assert_int_equal(json_integer_value(json_object_get(j, "offset")), 1);
    json_decref(j);
    ts_response_free(&r);
    r = call("GET", "/api/v1/me/travellers?limit=0", NULL, s.bearer);
    assert_int_equal(r.status, 400);
    assert_non_null(strstr(r.body, "\"field\":\"limit\""));
    ts_response_free(&r);
    r = call("GET", "/api/v1/me/api-keys?offset=-1", NULL, s.bearer);
    assert_int_equal(r.status, 400);
    assert_non_null(strstr(r.body, "\"field\":\"offset\""));
    ts_response_free(&r);
    /* A bidi override in a name names the field. */
    r = call(
        "POST", "/api/v1/me/travellers",
        "{\"given_name\":\"Pia\\u202e\",\"family_name\":\"Page\",\"birth_date\":\"1980-02-02\"}",
        s.bearer);
    assert_int_equal(r.status, 400);
    assert_non_null(strstr(r.body, "\"field\":\"given_name\""));
    ts_response_free(&r);
    for (int i = 0; i < CT_APIKEYS_MAX; i++)
        assert_int_equal(status_of("POST", "/api/v1/me/api-keys",
                                   "{\"name\":\"k\",\"scopes\":[\"prices\"]}", s.bearer),
                         201);
    r = call("POST", "/api/v1/me/api-keys", "{\"name\":\"k\",\"scopes\":[\"prices\"]}", s.bearer);
    assert_int_equal(r.status, 409);
    assert_true(ts_has_header(&r, "Content-Type: application/problem+json"));
    assert_non_null(strstr(r.body, "api_keys"));
    ts_response_free(&r);
    r = call("GET", "/api/v1/me/api-keys?limit=5", NULL, s.bearer);
    j = ts_json(&r);
    assert_int_equal(json_array_size(json_object_get(j, "items")), 5);
    assert_int_equal(json_integer_value(json_object_get(j, "total")), CT_APIKEYS_MAX);
    json_decref(j);
    ts_response_free(&r);
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
    /* Scopes: a prices-only key cannot search; a search key can. */
    r = call("POST", "/api/v1/me/api-keys", "{\"name\":\"p\",\"scopes\":[\"prices\"]}", s.bearer);
    assert_int_equal(r.status, 201);
    j = ts_json(&r);
    char pkey[160];
    snprintf(pkey, sizeof(pkey), "X-API-Key: %s", json_string_value(json_object_get(j, "key")));
    json_decref(j);
    ts_response_free(&r);
    r = call("POST", "/api/v1/searches", "{}", pkey);
    assert_int_equal(r.status, 403);
    assert_non_null(strstr(r.body, "scope"));
    ts_response_free(&r);
    assert_int_not_equal(status_of("GET", "/api/v1/calendar", NULL, pkey), 403);
    assert_int_not_equal(status_of("POST", "/api/v1/searches", "{}", key), 403);
    /* Its own limit: 10 a minute with a burst of 10, the 11th is refused. */
    for (int i = 0; i < 7; i++)
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

/* Each route's API-key scopes are the operation's x-api-key-scopes in openapi.json. */
static void openapi_documents_key_scopes(void **state)
{
    (void)state;
    ts_response r = call("GET", "/api/v1/openapi.json", NULL, NULL);
    assert_int_equal(r.status, 200);
    json_t *doc = ts_json(&r);
    ts_response_free(&r);
    int scoped = 0;
    for (size_t i = 0; i < ct_router_count(router); i++) {
        const ct_api_route *route = &app.routes[i];
        char method[8];
        size_t n = strlen(route->method);
        for (size_t k = 0; k <= n && k < sizeof(method); k++)
            method[k] = (char)(k < n ? route->method[k] + ('a' - 'A') : '\0');
        json_t *op =
            json_object_get(json_object_get(json_object_get(doc, "paths"), route->pattern), method);
        assert_non_null(op);
        json_t *sc = json_object_get(op, "x-api-key-scopes");
        char joined[64] = "";
        size_t k;
        json_t *v;
        json_array_foreach(sc, k, v)
        {
            if (joined[0])
                strcat(joined, " ");
            strncat(joined, json_string_value(v), sizeof(joined) - strlen(joined) - 2);
        }
        if (route->scopes == NULL ? sc != NULL : strcmp(joined, route->scopes) != 0)
            fail_msg("%s %s: route scopes \"%s\", openapi \"%s\"", route->method, route->pattern,
                     route->scopes ? route->scopes : "", joined);
        scoped += route->scopes != NULL;
    }
    assert_true(scoped >= 3);
    json_decref(doc);
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
    char alert_body[256], day[16];
    time_t later = time(NULL) + 30 * 86400;
    strftime(day, sizeof(day), "%Y-%m-%d", gmtime(&later));
    snprintf(alert_body, sizeof(alert_body),
             "{\"origin\":\"ZRH\",\"destination\":\"LHR\",\"dates\":{\"type\":\"exact\","
             "\"departure\":\"%s\"},\"drop_percent\":10}",
             day);
    r = call("POST", "/api/v1/me/price-alerts", alert_body, a.bearer);
    assert_int_equal(r.status, 201);
    j = ts_json(&r);
    char alert[48];
    snprintf(alert, sizeof(alert), "%s", json_string_value(json_object_get(j, "id")));
    json_decref(j);
    ts_response_free(&r);
    const char *body = "{\"given_name\":\"X\",\"family_name\":\"Y\",\"birth_date\":\"1980-01-01\","
                       "\"role\":\"admin\",\"drop_percent\":20}";
    int swept = 0;
    for (size_t i = 0; i < ct_router_count(router); i++) {
        const char *method, *pattern;
        ct_router_route(router, i, &method, &pattern);
        const char *brace = strstr(pattern, "{id}");
        if (brace == NULL)
            continue;
        /* This app has no booking (its routes answer 503 to everyone); the orders of other
         * users are swept in tests/api/test_orders_api.c, where booking runs. */
        if (app.booking == NULL && strncmp(pattern, "/api/v1/orders/", 15) == 0)
            continue;
        const char *id = strstr(pattern, "travellers")     ? traveller
                         : strstr(pattern, "api-keys")     ? key
                         : strstr(pattern, "price-alerts") ? alert
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
    snprintf(path, sizeof(path), "/api/v1/me/price-alerts/%s", alert);
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
    /* The token is still well-formed, but the account is gone: 401 on every route. */
    assert_int_equal(status_of("GET", "/api/v1/me", NULL, s.bearer), 401);
    assert_int_equal(status_of("POST", "/api/v1/me/travellers",
                               "{\"given_name\":\"Gone\",\"family_name\":\"Away\",\"birth_date\":"
                               "\"1980-02-02\"}",
                               s.bearer),
                     401);
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
        cmocka_unit_test(openapi_documents_key_scopes),
        cmocka_unit_test(id_sweep_never_crosses_users),
        cmocka_unit_test(admin_routes),
        cmocka_unit_test(export_and_delete),
        cmocka_unit_test(access_tokens_are_revoked),
        cmocka_unit_test(caps_and_pages),
        cmocka_unit_test(password_change_is_throttled),
        cmocka_unit_test(security_events_name_device_and_address),
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
