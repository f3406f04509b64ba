/* test_idp.c: the sandbox identity provider's own rules, over real HTTP (libcurl): discovery
 * and JWKS, what /authorize refuses (an unknown client or an unregistered redirect URI get an
 * error page and no redirect; a missing state, nonce or challenge, the "plain" method, another
 * response type or a scope without openid are sent back as errors), cancelling, a wrong
 * password, and /token (client authentication both ways, the PKCE verifier, the redirect URI,
 * a code spent by its first presentation, the ID token's claims) and /userinfo. The key pair
 * is kept: a restart on the same key file publishes the same key. */
#include "ct_test.h"

#include <curl/curl.h>
#include <jansson.h>
#include <sodium.h>
#include <stdio.h>
#include <string.h>

#include "httpclient.h"
#include "sandbox/idp/idp.h"
#include "testsupport.h"

#define REDIRECT "http://127.0.0.1:9/cb"
/* RFC 7636 appendix B. */
#define VERIFIER  "dBjftJeZ4CVP-mB92K27uhbUJU1p1r_wW1gFWFOEjXk"
#define CHALLENGE "E9Melhoa2OwvFrEMTJguCHaoeK1t8URWbuGJSstw-cM"

static char tmpdir[256], key[300];
static sb_idp *idp;

static void start(void)
{
    char err[256];
    sb_idp_options o = {.http = {.port = 0, .threads = 2},
                        .key_file = key,
                        .redirect_uris = "http://127.0.0.1:9/other," REDIRECT};
    if (sb_idp_start(&o, &idp, err, sizeof(err)) != CT_OK)
        fail_msg("idp: %s", err);
}

static int setup(void **state)
{
    (void)state;
    curl_global_init(CURL_GLOBAL_DEFAULT);
    ts_tempdir(tmpdir, sizeof(tmpdir));
    snprintf(key, sizeof(key), "%s/keys/idp.pem", tmpdir);
    start();
    return 0;
}

static int teardown(void **state)
{
    (void)state;
    sb_idp_stop(idp);
    ts_rmtree(tmpdir);
    curl_global_cleanup();
    return 0;
}

/* A request to the provider (a form body goes as it is: the provider reads any type); the
 * Location header, when any, into loc. */
static ts_response req(const char *method, const char *path, const char *form, const char *auth,
                       char *loc, size_t loclen)
{
    char url[600];
    snprintf(url, sizeof(url), "%s%s", sb_idp_issuer(idp), path);
    const char *h[] = {auth, NULL};
    ts_response r = ts_http_url(method, url, form, auth ? h : NULL);
    if (loc != NULL) {
        loc[0] = '\0';
        const char *l = strstr(r.headers, "Location: ");
        if (l != NULL)
            snprintf(loc, loclen, "%.*s", (int)strcspn(l + 10, "\r\n"), l + 10);
    }
    return r;
}

static const char base_query[] = "client_id=contrail-web&redirect_uri=" REDIRECT
                                 "&response_type=code&scope=openid%20email&state=s-1&nonce=n-1"
                                 "&code_challenge=" CHALLENGE "&code_challenge_method=S256";

/* Logs in as alice through the form; the code from the redirect into code. */
static void authorize(const char *email, const char *password, char code[64])
{
    char form[1024], loc[1024];
    snprintf(form, sizeof(form), "%s&email=%s&password=%s&action=allow", base_query, email,
             password);
    ts_response r = req("POST", "/authorize", form, NULL, loc, sizeof(loc));
    assert_int_equal(r.status, 302);
    ts_response_free(&r);
    assert_true(strncmp(loc, REDIRECT "?code=", strlen(REDIRECT "?code=")) == 0);
    assert_non_null(strstr(loc, "&state=s-1"));
    const char *c = loc + strlen(REDIRECT "?code=");
    snprintf(code, 64, "%.*s", (int)strcspn(c, "&"), c);
}

static long token_status(const char *code, const char *verifier, const char *redirect,
                         const char *auth, const char *extra, json_t **body)
{
    char form[1024];
    snprintf(form, sizeof(form),
             "grant_type=authorization_code&code=%s&redirect_uri=%s&code_verifier=%s%s", code,
             redirect, verifier, extra ? extra : "");
    ts_response r = req("POST", "/token", form, auth, NULL, 0);
    long s = r.status;
    if (body != NULL)
        *body = json_loads(r.body, 0, NULL);
    ts_response_free(&r);
    return s;
}

/* "Authorization: Basic base64(contrail-web:sandbox-idp-secret)" */
#define BASIC "Authorization: Basic Y29udHJhaWwtd2ViOnNhbmRib3gtaWRwLXNlY3JldA=="

static void discovery_and_keys(void **state)
{
    (void)state;
    ts_response r = req("GET", "/.well-known/openid-configuration", NULL, NULL, NULL, 0);
    assert_int_equal(r.status, 200);
    json_t *d = ts_json(&r);
    assert_string_equal(json_string_value(json_object_get(d, "issuer")), sb_idp_issuer(idp));
    assert_string_equal(json_string_value(json_array_get(
                            json_object_get(d, "code_challenge_methods_supported"), 0)),
                        "S256");
    assert_int_equal(json_array_size(json_object_get(d, "id_token_signing_alg_values_supported")),
                     1);
    json_decref(d);
    ts_response_free(&r);
    r = req("GET", "/jwks.json", NULL, NULL, NULL, 0);
    json_t *jwks = ts_json(&r);
    json_t *k = json_array_get(json_object_get(jwks, "keys"), 0);
    char kid[64];
    snprintf(kid, sizeof(kid), "%s", json_string_value(json_object_get(k, "kid")));
    assert_string_equal(json_string_value(json_object_get(k, "kty")), "RSA");
    assert_true(strlen(json_string_value(json_object_get(k, "n"))) >= 342); /* 2048 bits */
    json_decref(jwks);
    ts_response_free(&r);
    /* Restarted on the same file: the same key. */
    sb_idp_stop(idp);
    start();
    r = req("GET", "/jwks.json", NULL, NULL, NULL, 0);
    assert_non_null(strstr(r.body, kid));
    ts_response_free(&r);
}

static void authorize_checks_the_request(void **state)
{
    (void)state;
    char path[1200], loc[1024];
    /* The page, listing the test users. */
    snprintf(path, sizeof(path), "/authorize?%s", base_query);
    ts_response r = req("GET", path, NULL, NULL, loc, sizeof(loc));
    assert_int_equal(r.status, 200);
    assert_non_null(strstr(r.body, "eve@idp.test"));
    assert_non_null(strstr(r.body, "name=\"code_challenge\" value=\"" CHALLENGE "\""));
    ts_response_free(&r);
    /* Never a redirect to an unknown client or an unregistered URI (not even a prefix). */
    static const char *const pages[] = {
        "/authorize?client_id=other&redirect_uri=" REDIRECT "&response_type=code&scope=openid"
        "&state=s&nonce=n&code_challenge=" CHALLENGE "&code_challenge_method=S256",
        "/authorize?client_id=contrail-web&redirect_uri=http://127.0.0.1:9/cb/x&response_type=code"
        "&scope=openid&state=s&nonce=n&code_challenge=" CHALLENGE "&code_challenge_method=S256",
        "/authorize?client_id=contrail-web&redirect_uri=http://evil.example/cb&response_type=code"
        "&scope=openid&state=s&nonce=n&code_challenge=" CHALLENGE "&code_challenge_method=S256",
    };
    for (size_t i = 0; i < sizeof(pages) / sizeof(pages[0]); i++) {
        r = req("GET", pages[i], NULL, NULL, loc, sizeof(loc));
        assert_int_equal(r.status, 400);
        assert_string_equal(loc, "");
        ts_response_free(&r);
    }
    /* The rest goes back to the client as an error, with the state. */
    static const char *const bad[][2] = {
        {"response_type=token", "unsupported_response_type"},
        {"scope=email", "invalid_request"},
        {"state=", "invalid_request"},
        {"nonce=", "invalid_request"},
        {"code_challenge=", "invalid_request"},
        {"code_challenge_method=plain", "invalid_request"},
    };
    for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
        char q[1024];
        snprintf(q, sizeof(q), "%s", base_query);
        /* Replace the parameter named in bad[i][0] by its bad value. */
        char name[40];
        snprintf(name, sizeof(name), "%.*s", (int)strcspn(bad[i][0], "="), bad[i][0]);
        char *p = strstr(q, name), *end = p ? p + strcspn(p, "&") : NULL;
        assert_non_null(p);
        char rebuilt[1200];
        snprintf(rebuilt, sizeof(rebuilt), "/authorize?%.*s%s%s", (int)(p - q), q, bad[i][0], end);
        r = req("GET", rebuilt, NULL, NULL, loc, sizeof(loc));
        assert_int_equal(r.status, 302);
        char want[128];
        snprintf(want, sizeof(want), "error=%s", bad[i][1]);
        assert_true(strncmp(loc, REDIRECT "?", strlen(REDIRECT "?")) == 0);
        assert_non_null(strstr(loc, want));
        if (strcmp(name, "state") != 0)
            assert_non_null(strstr(loc, "state=s-1"));
        ts_response_free(&r);
    }
    /* Cancel, and a wrong password (the page again). */
    char form[1200];
    snprintf(form, sizeof(form), "%s&action=deny", base_query);
    r = req("POST", "/authorize", form, NULL, loc, sizeof(loc));
    assert_int_equal(r.status, 302);
    assert_non_null(strstr(loc, "error=access_denied"));
    assert_non_null(strstr(loc, "state=s-1"));
    ts_response_free(&r);
    snprintf(form, sizeof(form), "%s&email=alice%%40idp.test&password=nope&action=allow",
             base_query);
    r = req("POST", "/authorize", form, NULL, loc, sizeof(loc));
    assert_int_equal(r.status, 401);
    assert_string_equal(loc, "");
    assert_non_null(strstr(r.body, "Wrong e-mail or password"));
    ts_response_free(&r);
}

static void token_checks_client_verifier_and_code(void **state)
{
    (void)state;
    char code[64];
    json_t *body = NULL;
    /* A wrong verifier spends the code: the right one afterwards is refused too. */
    authorize("alice%40idp.test", "alice-pass", code);
    assert_int_equal(token_status(code, "A" VERIFIER, REDIRECT, BASIC, NULL, NULL), 400);
    assert_int_equal(token_status(code, VERIFIER, REDIRECT, BASIC, NULL, NULL), 400);
    /* Another registered redirect URI than the authorization's. */
    authorize("alice%40idp.test", "alice-pass", code);
    assert_int_equal(token_status(code, VERIFIER, "http://127.0.0.1:9/other", BASIC, NULL, NULL),
                     400);
    /* Client authentication: a wrong secret, none, then client_secret_post. */
    authorize("alice%40idp.test", "alice-pass", code);
    assert_int_equal(token_status(code, VERIFIER, REDIRECT,
                                  "Authorization: Basic Y29udHJhaWwtd2ViOndyb25n", NULL, NULL),
                     401);
    assert_int_equal(token_status(code, VERIFIER, REDIRECT, NULL, NULL, NULL), 401);
    assert_int_equal(token_status(code, VERIFIER, REDIRECT, NULL,
                                  "&client_id=contrail-web&client_secret=sandbox-idp-secret",
                                  &body),
                     200);
    const char *id_token = json_string_value(json_object_get(body, "id_token"));
    assert_non_null(id_token);
    /* The ID token's claims (the payload, base64url). */
    const char *p = strchr(id_token, '.') + 1;
    size_t n = strcspn(p, ".");
    char b64[2048], claims[2048];
    snprintf(b64, sizeof(b64), "%.*s", (int)n, p);
    size_t got = 0;
    assert_int_equal(sodium_base642bin((unsigned char *)claims, sizeof(claims) - 1, b64, n, NULL,
                                       &got, NULL, sodium_base64_VARIANT_URLSAFE_NO_PADDING),
                     0);
    claims[got] = '\0';
    json_t *c = json_loads(claims, 0, NULL);
    assert_string_equal(json_string_value(json_object_get(c, "iss")), sb_idp_issuer(idp));
    assert_string_equal(json_string_value(json_object_get(c, "aud")), "contrail-web");
    assert_string_equal(json_string_value(json_object_get(c, "nonce")), "n-1");
    assert_string_equal(json_string_value(json_object_get(c, "email")), "alice@idp.test");
    assert_true(json_is_true(json_object_get(c, "email_verified")));
    assert_true(json_integer_value(json_object_get(c, "exp")) >
                json_integer_value(json_object_get(c, "iat")));
    json_decref(c);
    /* Used once: again is refused. */
    assert_int_equal(token_status(code, VERIFIER, REDIRECT, BASIC, NULL, NULL), 400);
    /* /userinfo with the access token. */
    char bearer[200];
    snprintf(bearer, sizeof(bearer), "Authorization: Bearer %s",
             json_string_value(json_object_get(body, "access_token")));
    ts_response r = req("GET", "/userinfo", NULL, bearer, NULL, 0);
    assert_int_equal(r.status, 200);
    assert_non_null(strstr(r.body, "idp-user-alice"));
    ts_response_free(&r);
    r = req("GET", "/userinfo", NULL, "Authorization: Bearer nope", NULL, 0);
    assert_int_equal(r.status, 401);
    ts_response_free(&r);
    json_decref(body);
    /* The unverified user's tokens say so. */
    authorize("eve%40idp.test", "eve-pass", code);
    assert_int_equal(token_status(code, VERIFIER, REDIRECT, BASIC, NULL, &body), 200);
    json_decref(body);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(discovery_and_keys),
        cmocka_unit_test(authorize_checks_the_request),
        cmocka_unit_test(token_checks_client_verifier_and_code),
    };
    return cmocka_run_group_tests(tests, setup, teardown);
}
