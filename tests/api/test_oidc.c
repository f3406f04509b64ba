/* test_oidc.c: sign-in with an identity provider, over real HTTP against the real sandbox
 * identity provider (sandbox/idp, started in this process on a loopback port), on SQLite and
 * PostgreSQL. The browser is played by libcurl with a cookie engine: start at the platform,
 * follow to the provider's login page, submit its form (the hidden fields read from the page),
 * bring the code back to the platform's callback, read where it sends the browser.
 *
 * Proves: a new account (e-mail verified, identity linked, signed in, security log, export);
 * a second sign-in finds the identity; linking to an existing password account with the same
 * verified e-mail; refusal to link when the provider has not verified the e-mail; the user
 * cancelling at the provider; a replayed code; a wrong or missing state; an ID token signed
 * with a key not in the JWKS; erasure removing the identity. And the ID token checks on
 * tokens built here: another key, alg none, HS256 keyed with the public key (algorithm
 * confusion), wrong iss / aud / nonce, expired. */
#include "ct_test.h"

#include <curl/curl.h>
#include <jwt.h>
#include <openssl/evp.h>
#include <openssl/pem.h>
#include <openssl/rsa.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "api/api.h"
#include "httpclient.h"
#include "oidc/oidc.h"
#include "sandbox/idp/idp.h"
#include "testsupport.h"

static char tmpdir[256], public_url[64];
static ct_app app;
static ct_accounts accounts;
static ct_router *router;
static ct_http_server *server;
static sb_idp *idp;
static int port;
static const char *secret = "oidc-test-secret-0123456789abcdefghijklmnop";
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
    ct_store_close(ts_open_migrated(urls[engine]));
    if (ct_store_pool_open(urls[engine], 4, &app.pool, err, sizeof(err)) != CT_OK)
        fail_msg("pool: %s", err);
    ct_accounts_config cfg = {.jwt_secret = secret, .public_url = public_url};
    if (ct_accounts_init(&accounts, &cfg) != CT_OK)
        fail_msg("accounts");
    app.accounts = &accounts;
    if (ct_oidc_new(secret, &app.oidc) != CT_OK)
        fail_msg("oidc");
    router = ct_router_create();
    if (ct_api_register(&app, router) != CT_OK)
        fail_msg("register");
    ct_http_options opt = {.port = 0, .threads = 2};
    if (ct_http_server_start(&opt, router, &server) != CT_OK)
        fail_msg("start");
    port = ct_http_server_port(server);
    snprintf(public_url, sizeof(public_url), "http://127.0.0.1:%d", port);
    /* The provider knows the platform's callback; the platform knows the provider. */
    char key[300], callback[200];
    snprintf(key, sizeof(key), "%s/idp-key.pem", tmpdir);
    snprintf(callback, sizeof(callback), "%s/api/v1/auth/oidc/sandbox/callback", public_url);
    sb_idp_options io = {
        .http = {.port = 0, .threads = 2}, .key_file = key, .redirect_uris = callback};
    if (sb_idp_start(&io, &idp, err, sizeof(err)) != CT_OK)
        fail_msg("idp: %s", err);
    if (ct_oidc_add_provider(app.oidc, "sandbox", sb_idp_issuer(idp), SB_IDP_DEFAULT_CLIENT_ID,
                             SB_IDP_DEFAULT_CLIENT_SECRET) != CT_OK)
        fail_msg("provider");
    atomic_store(&app.ready, 1);
    return 0;
}

static int teardown(void **state)
{
    (void)state;
    sb_idp_stop(idp);
    ct_http_server_stop(server);
    ct_router_destroy(router);
    ct_api_free(&app);
    ct_oidc_free(app.oidc);
    ct_store_pool_close(app.pool);
    ts_rmtree(tmpdir);
    curl_global_cleanup();
    return 0;
}

/* ---- the browser ---- */

typedef struct browser {
    CURL *curl;
    char location[4096];
    char body[65536];
    size_t body_len;
    long status;
} browser;

static size_t on_body(char *data, size_t size, size_t n, void *ctx)
{
    browser *b = ctx;
    size_t len = size * n, room = sizeof(b->body) - 1 - b->body_len;
    size_t take = len < room ? len : room;
    memcpy(b->body + b->body_len, data, take);
    b->body_len += take;
    b->body[b->body_len] = '\0';
    return len;
}

static void browser_open(browser *b)
{
    memset(b, 0, sizeof(*b));
    b->curl = curl_easy_init();
    curl_easy_setopt(b->curl, CURLOPT_COOKIEFILE, ""); /* the cookie engine, in memory */
    curl_easy_setopt(b->curl, CURLOPT_WRITEFUNCTION, on_body);
    curl_easy_setopt(b->curl, CURLOPT_WRITEDATA, b);
    curl_easy_setopt(b->curl, CURLOPT_USERAGENT, "Mozilla/5.0 (X11; Linux x86_64) Chrome/120");
}

static void browser_close(browser *b)
{
    curl_easy_cleanup(b->curl);
}

/* One request (no redirect followed): status, body and Location into b. */
static void go(browser *b, const char *url, const char *form)
{
    b->body_len = 0;
    b->body[0] = '\0';
    b->location[0] = '\0';
    curl_easy_setopt(b->curl, CURLOPT_URL, url);
    if (form != NULL)
        curl_easy_setopt(b->curl, CURLOPT_POSTFIELDS, form);
    else
        curl_easy_setopt(b->curl, CURLOPT_HTTPGET, 1L);
    CURLcode rc = curl_easy_perform(b->curl);
    if (rc != CURLE_OK)
        fail_msg("%s: %s", url, curl_easy_strerror(rc));
    curl_easy_getinfo(b->curl, CURLINFO_RESPONSE_CODE, &b->status);
    char *loc = NULL;
    curl_easy_getinfo(b->curl, CURLINFO_REDIRECT_URL, &loc);
    if (loc != NULL)
        snprintf(b->location, sizeof(b->location), "%s", loc);
}

/* The login form's fields as a form body: every hidden input of the page, then the user's. */
static void form_from_page(const browser *b, const char *email, const char *password,
                           const char *action, char *out, size_t len)
{
    size_t used = 0;
    out[0] = '\0';
    for (const char *p = strstr(b->body, "type=\"hidden\""); p != NULL;
         p = strstr(p + 1, "type=\"hidden\"")) {
        const char *name = strstr(p, "name=\"") + 6, *value = strstr(p, "value=\"") + 7;
        char n[64], v[1024];
        snprintf(n, sizeof(n), "%.*s", (int)strcspn(name, "\""), name);
        snprintf(v, sizeof(v), "%.*s", (int)strcspn(value, "\""), value);
        char *enc = curl_easy_escape(NULL, v, 0); /* the values hold no HTML entities */
        used += (size_t)snprintf(out + used, len - used, "%s=%s&", n, enc);
        curl_free(enc);
    }
    char *e = curl_easy_escape(NULL, email, 0), *pw = curl_easy_escape(NULL, password, 0);
    snprintf(out + used, len - used, "email=%s&password=%s&action=%s", e, pw, action);
    curl_free(e);
    curl_free(pw);
}

typedef struct flow {
    char fragment[1024]; /* where the platform sent the browser, after "/sign-in#" */
    char callback[4096]; /* the callback URL the provider redirected to */
    char cookie[2800];   /* the flow cookie the platform set at start */
} flow;

/* The value of the platform's flow cookie in the browser's jar. */
static void flow_cookie(browser *b, char *out, size_t len)
{
    struct curl_slist *list = NULL;
    out[0] = '\0';
    curl_easy_getinfo(b->curl, CURLINFO_COOKIELIST, &list);
    for (struct curl_slist *c = list; c != NULL; c = c->next) {
        const char *tab = strrchr(c->data, '\t');
        if (strstr(c->data, "\tct_oidc_flow\t") != NULL && tab != NULL)
            snprintf(out, len, "%s", tab + 1);
    }
    curl_slist_free_all(list);
}

/* A whole sign-in as `email` at the provider (action "allow" or "deny"). */
static void sign_in_at_idp(const char *email, const char *password, const char *action, flow *f)
{
    memset(f, 0, sizeof(*f));
    browser b;
    browser_open(&b);
    char url[4200];
    snprintf(url, sizeof(url), "%s/api/v1/auth/oidc/sandbox/start", public_url);
    go(&b, url, NULL);
    assert_int_equal(b.status, 302);
    assert_non_null(strstr(b.location, "/authorize?"));
    flow_cookie(&b, f->cookie, sizeof(f->cookie));
    assert_true(strlen(f->cookie) > 40);
    snprintf(url, sizeof(url), "%s", b.location);
    go(&b, url, NULL); /* the provider's login page */
    assert_int_equal(b.status, 200);
    assert_non_null(strstr(b.body, "alice@idp.test"));
    char form[8192], authorize[300];
    form_from_page(&b, email, password, action, form, sizeof(form));
    snprintf(authorize, sizeof(authorize), "%s/authorize", sb_idp_issuer(idp));
    go(&b, authorize, form);
    assert_int_equal(b.status, 302);
    assert_true(strncmp(b.location, public_url, strlen(public_url)) == 0);
    snprintf(f->callback, sizeof(f->callback), "%s", b.location);
    go(&b, f->callback, NULL);
    assert_int_equal(b.status, 302);
    const char *hash = strstr(b.location, "/sign-in#");
    assert_non_null(hash);
    snprintf(f->fragment, sizeof(f->fragment), "%s", hash + 9);
    browser_close(&b);
}

/* The value of `name` in the fragment ("" when absent). */
static void frag(const flow *f, const char *name, char *out, size_t len)
{
    out[0] = '\0';
    size_t n = strlen(name);
    for (const char *p = f->fragment; p != NULL; p = strchr(p, '&') ? strchr(p, '&') + 1 : NULL) {
        if (strncmp(p, name, n) == 0 && p[n] == '=') {
            snprintf(out, len, "%.*s", (int)strcspn(p + n + 1, "&"), p + n + 1);
            return;
        }
    }
}

/* The callback URL fetched again by a browser holding `cookie` (or none). */
static void replay(const char *callback, const char *cookie, char *fragment, size_t len)
{
    browser b;
    browser_open(&b);
    if (cookie != NULL) {
        char c[3000];
        snprintf(c, sizeof(c), "ct_oidc_flow=%s", cookie);
        curl_easy_setopt(b.curl, CURLOPT_COOKIE, c);
    }
    go(&b, callback, NULL);
    assert_int_equal(b.status, 302);
    const char *hash = strstr(b.location, "/sign-in#");
    assert_non_null(hash);
    snprintf(fragment, len, "%s", hash + 9);
    browser_close(&b);
}

/* The session of a successful flow: the refresh token swapped for an access token. */
static void bearer_of(const flow *f, char *bearer, size_t len)
{
    char refresh[100], body[200];
    frag(f, "oidc_refresh", refresh, sizeof(refresh));
    assert_true(strlen(refresh) > 20);
    snprintf(body, sizeof(body), "{\"refresh_token\":\"%s\"}", refresh);
    ts_response r = ts_http("POST", port, "/api/v1/sessions/refresh", body, NULL);
    assert_int_equal(r.status, 200);
    json_t *j = ts_json(&r);
    snprintf(bearer, len, "Authorization: Bearer %s",
             json_string_value(json_object_get(j, "access_token")));
    json_decref(j);
    ts_response_free(&r);
}

static json_t *get_json(const char *path, const char *bearer)
{
    const char *h[] = {bearer, NULL};
    ts_response r = ts_http("GET", port, path, NULL, h);
    assert_int_equal(r.status, 200);
    json_t *j = ts_json(&r);
    ts_response_free(&r);
    return j;
}

static void register_password_account(const char *email, char user_id[40])
{
    char body[200];
    snprintf(body, sizeof(body), "{\"email\":\"%s\",\"password\":\"correct horse battery\"}",
             email);
    ts_response r = ts_http("POST", port, "/api/v1/users", body, NULL);
    assert_int_equal(r.status, 202);
    ts_response_free(&r);
    r = ts_http("POST", port, "/api/v1/sessions", body, NULL);
    assert_int_equal(r.status, 200);
    json_t *j = ts_json(&r);
    snprintf(user_id, 40, "%s", json_string_value(json_object_get(j, "user_id")));
    json_decref(j);
    ts_response_free(&r);
}

/* ---- the flows ---- */

static void new_account_then_same_identity(void **state)
{
    (void)state;
    flow f;
    sign_in_at_idp("alice@idp.test", "alice-pass", "allow", &f);
    char outcome[32], user_id[40], bearer[1400];
    frag(&f, "outcome", outcome, sizeof(outcome));
    frag(&f, "user_id", user_id, sizeof(user_id));
    assert_string_equal(outcome, "created");
    bearer_of(&f, bearer, sizeof(bearer));
    json_t *me = get_json("/api/v1/me", bearer);
    assert_string_equal(json_string_value(json_object_get(me, "email")), "alice@idp.test");
    assert_true(json_is_true(json_object_get(me, "email_verified")));
    assert_string_equal(json_string_value(json_object_get(me, "id")), user_id);
    assert_true(json_is_false(json_object_get(me, "has_password")));
    json_decref(me);
    /* The security log records the sign-in through the provider. */
    json_t *ev = get_json("/api/v1/me/security-events", bearer);
    char *text = json_dumps(ev, 0);
    assert_non_null(strstr(text, "\"oidc:sandbox\""));
    free(text);
    json_decref(ev);
    /* The GDPR export names the identity. */
    json_t *ex = get_json("/api/v1/me/export", bearer);
    json_t *ids = json_object_get(ex, "identities");
    assert_int_equal(json_array_size(ids), 1);
    assert_string_equal(json_string_value(json_object_get(json_array_get(ids, 0), "subject")),
                        "idp-user-alice");
    assert_string_equal(json_string_value(json_object_get(json_array_get(ids, 0), "issuer")),
                        sb_idp_issuer(idp));
    json_decref(ex);
    /* No password works for an account made this way. */
    ts_response r = ts_http("POST", port, "/api/v1/sessions",
                            "{\"email\":\"alice@idp.test\",\"password\":\"!external\"}", NULL);
    assert_int_equal(r.status, 401);
    ts_response_free(&r);
    /* Again: the identity is found, the same account signs in. */
    flow again;
    sign_in_at_idp("alice@idp.test", "alice-pass", "allow", &again);
    char outcome2[32], user_id2[40];
    frag(&again, "outcome", outcome2, sizeof(outcome2));
    frag(&again, "user_id", user_id2, sizeof(user_id2));
    assert_string_equal(outcome2, "signin");
    assert_string_equal(user_id2, user_id);
    /* Erasure of an account with no password: a sign-in older than ten minutes is refused with
     * what to do (nothing erased); a fresh sign-in with the provider erases it. */
    char fresh[1400];
    bearer_of(&again, fresh, sizeof(fresh));
    ct_store *st = NULL;
    assert_int_equal(ct_store_pool_acquire(app.pool, 2000, &st), CT_OK);
    assert_int_equal(ct_store_run(st,
                                  "UPDATE refresh_tokens SET created_at = created_at - 601"
                                  " WHERE user_id = ?",
                                  1, (const char *const[]){user_id}),
                     CT_OK);
    ct_store_pool_release(app.pool, st);
    const char *old_h[] = {fresh, NULL};
    r = ts_http("DELETE", port, "/api/v1/me", "{}", old_h);
    assert_int_equal(r.status, 400);
    assert_non_null(strstr(r.body, "\"password\""));
    assert_non_null(strstr(r.body, "sign in again"));
    ts_response_free(&r);
    json_decref(get_json("/api/v1/me", fresh)); /* still there */
    flow third;
    sign_in_at_idp("alice@idp.test", "alice-pass", "allow", &third);
    bearer_of(&third, fresh, sizeof(fresh));
    const char *new_h[] = {fresh, NULL};
    r = ts_http("DELETE", port, "/api/v1/me", "{}", new_h);
    assert_int_equal(r.status, 204);
    ts_response_free(&r);
    flow after;
    sign_in_at_idp("alice@idp.test", "alice-pass", "allow", &after);
    frag(&after, "outcome", outcome2, sizeof(outcome2));
    frag(&after, "user_id", user_id2, sizeof(user_id2));
    assert_string_equal(outcome2, "created");
    assert_string_not_equal(user_id2, user_id);
}

static void links_to_verified_email_then_erasure_removes_it(void **state)
{
    (void)state;
    char existing[40];
    register_password_account("bob@idp.test", existing);
    flow f;
    sign_in_at_idp("bob@idp.test", "bob-pass", "allow", &f);
    char outcome[32], user_id[40], bearer[1400];
    frag(&f, "outcome", outcome, sizeof(outcome));
    frag(&f, "user_id", user_id, sizeof(user_id));
    assert_string_equal(outcome, "linked");
    assert_string_equal(user_id, existing);
    bearer_of(&f, bearer, sizeof(bearer));
    json_t *me = get_json("/api/v1/me", bearer);
    assert_true(json_is_true(json_object_get(me, "email_verified"))); /* the provider vouched */
    assert_true(json_is_true(json_object_get(me, "has_password")));
    json_decref(me);
    /* Erasure takes the identity with the account: the next sign-in makes a new one. */
    const char *h[] = {bearer, NULL};
    ts_response r =
        ts_http("DELETE", port, "/api/v1/me", "{\"password\":\"correct horse battery\"}", h);
    assert_int_equal(r.status, 204);
    ts_response_free(&r);
    flow after;
    sign_in_at_idp("bob@idp.test", "bob-pass", "allow", &after);
    frag(&after, "outcome", outcome, sizeof(outcome));
    frag(&after, "user_id", user_id, sizeof(user_id));
    assert_string_equal(outcome, "created");
    assert_string_not_equal(user_id, existing);
}

static void never_links_an_unverified_email(void **state)
{
    (void)state;
    char existing[40];
    register_password_account("eve@idp.test", existing);
    flow f;
    sign_in_at_idp("eve@idp.test", "eve-pass", "allow", &f);
    char error[40], refresh[80];
    frag(&f, "oidc_error", error, sizeof(error));
    frag(&f, "oidc_refresh", refresh, sizeof(refresh));
    assert_string_equal(error, "unverified_email");
    assert_string_equal(refresh, "");
    /* Nothing was linked, and the owner's log says someone tried. */
    ct_store *st = NULL;
    assert_int_equal(ct_store_pool_acquire(app.pool, 2000, &st), CT_OK);
    json_t *ids = NULL, *events = NULL;
    assert_int_equal(ct_accounts_identities(st, existing, &ids), CT_OK);
    assert_int_equal(json_array_size(ids), 0);
    assert_int_equal(ct_security_list(st, existing, 50, &events), CT_OK);
    char *text = json_dumps(events, 0);
    assert_non_null(strstr(text, "identity_link_refused"));
    free(text);
    json_decref(ids);
    json_decref(events);
    ct_store_pool_release(app.pool, st);
}

static void cancel_at_the_provider(void **state)
{
    (void)state;
    flow f;
    sign_in_at_idp("alice@idp.test", "", "deny", &f);
    char error[40];
    frag(&f, "oidc_error", error, sizeof(error));
    assert_string_equal(error, "denied");
}

static void replayed_code_and_bad_state_are_refused(void **state)
{
    (void)state;
    flow f;
    sign_in_at_idp("alice@idp.test", "alice-pass", "allow", &f);
    char error[40] = "", fragment[1024];
    frag(&f, "oidc_error", error, sizeof(error));
    assert_string_equal(error, "");
    /* The same code again, even with the flow cookie kept: the provider refuses it. */
    replay(f.callback, f.cookie, fragment, sizeof(fragment));
    assert_string_equal(fragment, "oidc_error=exchange");
    /* Without the cookie (another browser: login CSRF), or with a changed state. */
    replay(f.callback, NULL, fragment, sizeof(fragment));
    assert_string_equal(fragment, "oidc_error=state");
    char changed[4200];
    snprintf(changed, sizeof(changed), "%s", f.callback);
    char *st = strstr(changed, "state=");
    assert_non_null(st);
    st[6] = st[6] == 'A' ? 'B' : 'A';
    replay(changed, f.cookie, fragment, sizeof(fragment));
    assert_string_equal(fragment, "oidc_error=state");
    /* A tampered cookie does not open. */
    char tampered[2800];
    snprintf(tampered, sizeof(tampered), "%s", f.cookie);
    tampered[30] = tampered[30] == 'x' ? 'y' : 'x';
    replay(f.callback, tampered, fragment, sizeof(fragment));
    assert_string_equal(fragment, "oidc_error=state");
}

static void token_signed_with_another_key_is_refused(void **state)
{
    (void)state;
    flow f;
    sign_in_at_idp("mallory@idp.test", "mallory-pass", "allow", &f);
    char error[40];
    frag(&f, "oidc_error", error, sizeof(error));
    assert_string_equal(error, "token");
}

static void unknown_provider_goes_back_to_sign_in(void **state)
{
    (void)state;
    ts_response r = ts_http("GET", port, "/api/v1/auth/oidc/nowhere/start", NULL, NULL);
    assert_int_equal(r.status, 302);
    assert_true(ts_has_header(&r, "Location: /sign-in#oidc_error=unavailable"));
    ts_response_free(&r);
}

/* ---- ID tokens built here ---- */

typedef struct keypair {
    char *private_pem, *public_pem;
} keypair;

static char *bio_text(BIO *bio)
{
    char *data = NULL;
    long len = BIO_get_mem_data(bio, &data);
    char *out = malloc((size_t)len + 1);
    memcpy(out, data, (size_t)len);
    out[len] = '\0';
    BIO_free(bio);
    return out;
}

static keypair make_key(void)
{
    EVP_PKEY *pkey = EVP_RSA_gen(2048);
    assert_non_null(pkey);
    BIO *priv = BIO_new(BIO_s_mem()), *pub = BIO_new(BIO_s_mem());
    PEM_write_bio_PrivateKey(priv, pkey, NULL, NULL, 0, NULL, NULL);
    PEM_write_bio_PUBKEY(pub, pkey);
    EVP_PKEY_free(pkey);
    keypair k = {bio_text(priv), bio_text(pub)};
    return k;
}

/* A token with the usual claims, signed with alg and key (none: no key). */
static char *make_token(jwt_alg_t alg, const char *key, const char *iss, const char *aud,
                        const char *nonce, long iat, long exp)
{
    jwt_t *jwt = NULL;
    assert_int_equal(jwt_new(&jwt), 0);
    jwt_add_grant(jwt, "iss", iss);
    jwt_add_grant(jwt, "aud", aud);
    jwt_add_grant(jwt, "sub", "someone");
    jwt_add_grant(jwt, "nonce", nonce);
    jwt_add_grant(jwt, "email", "someone@idp.test");
    jwt_add_grant_bool(jwt, "email_verified", 1);
    jwt_add_grant_int(jwt, "iat", iat);
    jwt_add_grant_int(jwt, "exp", exp);
    jwt_add_header(jwt, "kid", "k1");
    assert_int_equal(jwt_set_alg(jwt, alg, (const unsigned char *)key, key ? (int)strlen(key) : 0),
                     0);
    char *t = jwt_encode_str(jwt);
    jwt_free(jwt);
    assert_non_null(t);
    return t;
}

static ct_status check(const char *token, const char *pem)
{
    ct_oidc_identity id;
    char err[160];
    return ct_oidc_check_id_token(token, "k1", pem, "https://idp.example", "client-1", "n-1",
                                  (int64_t)time(NULL), &id, err, sizeof(err));
}

static void id_token_checks(void **state)
{
    (void)state;
    keypair good = make_key(), other = make_key();
    long now = (long)time(NULL);
    const char *iss = "https://idp.example", *aud = "client-1", *nonce = "n-1";
    char *t = make_token(JWT_ALG_RS256, good.private_pem, iss, aud, nonce, now, now + 300);
    assert_int_equal(check(t, good.public_pem), CT_OK);       /* the control */
    assert_int_equal(check(t, other.public_pem), CT_INVALID); /* another key signed it */
    /* A byte of the signature changed. */
    char *last = strrchr(t, '.') + 5;
    *last = *last == 'A' ? 'B' : 'A';
    assert_int_equal(check(t, good.public_pem), CT_INVALID);
    free(t);
    t = make_token(JWT_ALG_NONE, NULL, iss, aud, nonce, now, now + 300);
    assert_int_equal(check(t, good.public_pem), CT_INVALID);
    free(t);
    /* Algorithm confusion: HS256 keyed with the (public) PEM text. */
    t = make_token(JWT_ALG_HS256, good.public_pem, iss, aud, nonce, now, now + 300);
    assert_int_equal(check(t, good.public_pem), CT_INVALID);
    free(t);
    t = make_token(JWT_ALG_RS256, good.private_pem, "https://evil.example", aud, nonce, now,
                   now + 300);
    assert_int_equal(check(t, good.public_pem), CT_INVALID);
    free(t);
    t = make_token(JWT_ALG_RS256, good.private_pem, iss, "client-2", nonce, now, now + 300);
    assert_int_equal(check(t, good.public_pem), CT_INVALID);
    free(t);
    t = make_token(JWT_ALG_RS256, good.private_pem, iss, aud, "n-2", now, now + 300);
    assert_int_equal(check(t, good.public_pem), CT_INVALID);
    free(t);
    t = make_token(JWT_ALG_RS256, good.private_pem, iss, aud, nonce, now - 400, now - 100);
    assert_int_equal(check(t, good.public_pem), CT_INVALID);
    free(t);
    /* No key at all: never accepted unverified. */
    t = make_token(JWT_ALG_RS256, good.private_pem, iss, aud, nonce, now, now + 300);
    assert_int_equal(check(t, ""), CT_INVALID);
    free(t);
    free(good.private_pem);
    free(good.public_pem);
    free(other.private_pem);
    free(other.public_pem);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(new_account_then_same_identity),
        cmocka_unit_test(links_to_verified_email_then_erasure_removes_it),
        cmocka_unit_test(never_links_an_unverified_email),
        cmocka_unit_test(cancel_at_the_provider),
        cmocka_unit_test(replayed_code_and_bad_state_are_refused),
        cmocka_unit_test(token_signed_with_another_key_is_refused),
        cmocka_unit_test(unknown_provider_goes_back_to_sign_in),
        cmocka_unit_test(id_token_checks),
    };
    const char *pg = getenv("CT_TEST_PG_URL");
    int engines = pg != NULL && *pg ? 2 : 1, failed = 0;
    for (engine = 0; engine < engines; engine++) {
        fprintf(stderr, "== engine: %s\n", engine == 0 ? "sqlite" : "postgres");
        failed += cmocka_run_group_tests(tests, setup, teardown);
    }
    return failed;
}
