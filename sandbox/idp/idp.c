/* idp.c: the sandbox identity provider's HTTP endpoints and the `idp` subcommand (see idp.h).
 *
 * An authorization request travels in the query of GET /authorize and then in the hidden
 * fields of the login form; POST /authorize checks it again from scratch, so nothing is kept
 * before the user answers. A granted request becomes a code: a slot in a fixed ring (the
 * oldest is overwritten) holding the client, redirect URI, nonce, PKCE challenge, user and
 * expiry, under one mutex. /token claims the slot once (used is set under the lock) and
 * checks, in order: client authentication, grant type, the code (known, unused, unexpired,
 * the same client and redirect URI), the verifier (BASE64URL(SHA-256(verifier)) equals the
 * challenge); then signs the ID token (idp_keys.c). Form bodies are decoded with libcurl's
 * curl_easy_unescape. */
#define _GNU_SOURCE
#include "sandbox/idp/idp.h"

#include <curl/curl.h>
#include <jansson.h>
#include <pthread.h>
#include <sodium.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "base/log.h"
#include "base/strbuf.h"
#include "http/problem.h"
#include "sandbox/idp/idp_internal.h"
#include "sandbox/runtime/daemon.h"

const ct_flag sb_idp_flags[] = {
    {"key_file", CT_FLAG_PATH, SB_IDP_DEFAULT_KEY_FILE,
     "the RSA key pair (PEM), made when missing"},
    {"issuer", CT_FLAG_STRING, NULL, "the issuer URL (default http://HOST:PORT)"},
    {"client_id", CT_FLAG_STRING, SB_IDP_DEFAULT_CLIENT_ID, "the registered client's id"},
    {"client_secret", CT_FLAG_STRING, SB_IDP_DEFAULT_CLIENT_SECRET, "its secret"},
    {"redirect_uris", CT_FLAG_STRING, SB_IDP_DEFAULT_REDIRECT_URIS,
     "comma-separated redirect URIs of the client (exact match)"},
    {NULL, 0, NULL, NULL},
};

#define NSLOTS    256
#define FIELD_MAX 512

typedef struct idp_user {
    const char *email, *password, *sub, *name;
    int verified; /* email_verified */
    int forged;   /* ID tokens signed with a key not in the JWKS */
} idp_user;

static const idp_user users[] = {
    {"alice@idp.test", "alice-pass", "idp-user-alice", "Alice Example", 1, 0},
    {"bob@idp.test", "bob-pass", "idp-user-bob", "Bob Example", 1, 0},
    {"eve@idp.test", "eve-pass", "idp-user-eve", "Eve Unverified", 0, 0},
    {"mallory@idp.test", "mallory-pass", "idp-user-mallory", "Mallory Forger", 1, 1},
};
#define NUSERS (sizeof(users) / sizeof(users[0]))

typedef struct idp_code {
    char code[48];
    char redirect_uri[FIELD_MAX];
    char nonce[FIELD_MAX];
    char challenge[64];
    const idp_user *user;
    int64_t expires;
    int used;
} idp_code;

typedef struct idp_token {
    char token[48];
    const idp_user *user;
    int64_t expires;
} idp_token;

struct sb_idp {
    char issuer[256], client_id[128], client_secret[128], redirect_uris[2048];
    sb_idp_key key, rogue;
    pthread_mutex_t mu;
    idp_code codes[NSLOTS];
    idp_token tokens[NSLOTS];
    unsigned next_code, next_token;
    ct_router *router;
    ct_http_server *http;
};

/* The fields of an authorization request. */
typedef struct authz {
    char client_id[128], redirect_uri[FIELD_MAX], response_type[32], scope[256];
    char state[FIELD_MAX], nonce[FIELD_MAX], challenge[64], method[16];
} authz;

static int64_t now_s(void)
{
    return (int64_t)time(NULL);
}

static void random_token(char out[48])
{
    unsigned char raw[24];
    randombytes_buf(raw, sizeof(raw));
    sodium_bin2base64(out, 48, raw, sizeof(raw), sodium_base64_VARIANT_URLSAFE_NO_PADDING);
}

/* ---- forms and URLs ---- */

/* The decoded value of `name` in an application/x-www-form-urlencoded text; 0 when absent
 * or too long. */
static int form_get(const char *form, const char *name, char *out, size_t len)
{
    size_t nlen = strlen(name);
    for (const char *p = form; p != NULL && *p; p = strchr(p, '&') ? strchr(p, '&') + 1 : NULL) {
        if (strncmp(p, name, nlen) != 0 || p[nlen] != '=')
            continue;
        const char *v = p + nlen + 1;
        size_t vlen = strcspn(v, "&");
        char raw[2048];
        if (vlen >= sizeof(raw))
            return 0;
        memcpy(raw, v, vlen);
        raw[vlen] = '\0';
        for (char *c = raw; *c; c++)
            *c = *c == '+' ? ' ' : *c;
        int outlen = 0;
        char *dec = curl_easy_unescape(NULL, raw, (int)vlen, &outlen);
        int ok = dec != NULL && (size_t)outlen < len && memchr(dec, '\0', (size_t)outlen) == NULL;
        if (ok)
            memcpy(out, dec, (size_t)outlen + 1);
        curl_free(dec);
        return ok;
    }
    return 0;
}

/* A request parameter from the query (GET) or the form body (POST). */
static void param(ct_http_req *req, const char *name, char *out, size_t len)
{
    out[0] = '\0';
    if (strcmp(ct_http_method(req), "POST") == 0) {
        if (!form_get(ct_http_body(req, NULL), name, out, len))
            out[0] = '\0';
        return;
    }
    const char *v = ct_http_query(req, name);
    if (v != NULL && strlen(v) < len)
        memcpy(out, v, strlen(v) + 1);
}

/* Appends "&name=value" (or "?" first) with the value percent-encoded. */
static void url_arg(ct_strbuf *url, const char *name, const char *value)
{
    char *enc = curl_easy_escape(NULL, value, 0);
    ct_strbuf_printf(url, "%c%s=%s", strchr(ct_strbuf_str(url), '?') ? '&' : '?', name,
                     enc ? enc : "");
    curl_free(enc);
}

static void redirect(ct_http_req *req, const char *location)
{
    ct_http_add_header(req, "Location", location);
    ct_http_add_header(req, "Cache-Control", "no-store");
    ct_http_reply(req, 302, "text/plain", "", 0);
}

static void reply_html(ct_http_req *req, int status, ct_strbuf *page)
{
    ct_http_add_header(req, "Cache-Control", "no-store");
    ct_http_reply(req, status, "text/html; charset=utf-8", ct_strbuf_str(page), page->len);
    ct_strbuf_free(page);
}

static void page_start(ct_strbuf *p, const char *title)
{
    ct_strbuf_init(p, 1 << 20);
    ct_strbuf_printf(p,
                     "<!doctype html><html lang=\"en\"><head><meta charset=\"utf-8\">"
                     "<meta name=\"viewport\" content=\"width=device-width\">"
                     "<title>%s</title><style>body{font-family:sans-serif;max-width:32rem;"
                     "margin:2rem auto;padding:0 1rem}label{display:block;margin:.5rem 0}"
                     "input{display:block;width:100%%;padding:.4rem}button{margin:.8rem .4rem 0 0;"
                     "padding:.5rem 1rem}table{border-collapse:collapse;margin:1rem 0}"
                     "td,th{border:1px solid #ccc;padding:.2rem .5rem;text-align:left}"
                     ".error{color:#a00}</style></head><body><h1>%s</h1>",
                     title, title);
}

static void error_page(ct_http_req *req, const char *message)
{
    ct_strbuf p;
    page_start(&p, "Sandbox ID: request refused");
    ct_strbuf_printf(&p, "<p class=\"error\">");
    (void)ct_strbuf_put_html(&p, message);
    ct_strbuf_printf(&p, "</p></body></html>");
    reply_html(req, 400, &p);
}

/* ---- the authorization request ---- */

static void read_authz(ct_http_req *req, authz *a)
{
    param(req, "client_id", a->client_id, sizeof(a->client_id));
    param(req, "redirect_uri", a->redirect_uri, sizeof(a->redirect_uri));
    param(req, "response_type", a->response_type, sizeof(a->response_type));
    param(req, "scope", a->scope, sizeof(a->scope));
    param(req, "state", a->state, sizeof(a->state));
    param(req, "nonce", a->nonce, sizeof(a->nonce));
    param(req, "code_challenge", a->challenge, sizeof(a->challenge));
    param(req, "code_challenge_method", a->method, sizeof(a->method));
}

/* 1 when `uri` is one of the comma-separated registered URIs, compared exactly. */
static int registered_uri(const sb_idp *p, const char *uri)
{
    size_t n = strlen(uri);
    for (const char *s = p->redirect_uris; *s;) {
        size_t len = strcspn(s, ",");
        if (len == n && n > 0 && strncmp(s, uri, n) == 0)
            return 1;
        s += len;
        if (*s == ',')
            s++;
    }
    return 0;
}

static int scope_has_openid(const char *scope)
{
    char copy[256];
    snprintf(copy, sizeof(copy), "%s", scope);
    char *save = NULL;
    for (char *w = strtok_r(copy, " ", &save); w != NULL; w = strtok_r(NULL, " ", &save)) {
        if (strcmp(w, "openid") == 0)
            return 1;
    }
    return 0;
}

/* Redirects to the client with error (and the state when there is one). */
static void error_redirect(ct_http_req *req, const authz *a, const char *error, const char *desc)
{
    ct_strbuf url;
    ct_strbuf_init(&url, 8192);
    ct_strbuf_append(&url, a->redirect_uri, strlen(a->redirect_uri));
    url_arg(&url, "error", error);
    if (desc != NULL)
        url_arg(&url, "error_description", desc);
    if (a->state[0])
        url_arg(&url, "state", a->state);
    redirect(req, ct_strbuf_str(&url));
    ct_strbuf_free(&url);
}

/* Checks the request; 0 after answering (an error page or an error redirect). */
static int authz_valid(ct_http_req *req, const sb_idp *p, const authz *a)
{
    if (strcmp(a->client_id, p->client_id) != 0) {
        error_page(req, "Unknown client_id.");
        return 0;
    }
    if (!registered_uri(p, a->redirect_uri)) {
        error_page(req, "redirect_uri is not registered for this client.");
        return 0;
    }
    const char *bad = NULL;
    if (strcmp(a->response_type, "code") != 0)
        bad = "response_type must be code";
    else if (!scope_has_openid(a->scope))
        bad = "scope must contain openid";
    else if (!a->state[0])
        bad = "state is required";
    else if (!a->nonce[0])
        bad = "nonce is required";
    else if (strlen(a->challenge) != 43)
        bad = "code_challenge is required (BASE64URL of a SHA-256)";
    else if (strcmp(a->method, "S256") != 0)
        bad = "code_challenge_method must be S256";
    if (bad != NULL) {
        error_redirect(req, a,
                       strcmp(a->response_type, "code") ? "unsupported_response_type"
                                                        : "invalid_request",
                       bad);
        return 0;
    }
    return 1;
}

static void hidden(ct_strbuf *p, const char *name, const char *value)
{
    ct_strbuf_printf(p, "<input type=\"hidden\" name=\"%s\" value=\"", name);
    (void)ct_strbuf_put_html(p, value);
    ct_strbuf_printf(p, "\">");
}

static void login_page(ct_http_req *req, const authz *a, const char *message)
{
    ct_strbuf p;
    page_start(&p, "Sign in to Sandbox ID");
    if (message != NULL) {
        ct_strbuf_printf(&p, "<p class=\"error\" role=\"alert\">");
        (void)ct_strbuf_put_html(&p, message);
        ct_strbuf_printf(&p, "</p>");
    }
    ct_strbuf_printf(&p, "<p>Test users of the sandbox identity provider:</p><table><tr><th>"
                         "E-mail</th><th>Password</th><th>Note</th></tr>");
    for (size_t i = 0; i < NUSERS; i++)
        ct_strbuf_printf(&p, "<tr><td>%s</td><td>%s</td><td>%s</td></tr>", users[i].email,
                         users[i].password,
                         users[i].forged      ? "ID token signed with an unknown key"
                         : !users[i].verified ? "e-mail not verified"
                                              : "");
    ct_strbuf_printf(&p, "</table><form method=\"post\" action=\"/authorize\">");
    hidden(&p, "client_id", a->client_id);
    hidden(&p, "redirect_uri", a->redirect_uri);
    hidden(&p, "response_type", a->response_type);
    hidden(&p, "scope", a->scope);
    hidden(&p, "state", a->state);
    hidden(&p, "nonce", a->nonce);
    hidden(&p, "code_challenge", a->challenge);
    hidden(&p, "code_challenge_method", a->method);
    ct_strbuf_printf(&p,
                     "<label>E-mail<input name=\"email\" type=\"email\" autocomplete=\"username\">"
                     "</label><label>Password<input name=\"password\" type=\"password\" "
                     "autocomplete=\"current-password\"></label>"
                     "<button type=\"submit\" name=\"action\" value=\"allow\">Sign in</button>"
                     "<button type=\"submit\" name=\"action\" value=\"deny\">Cancel</button>"
                     "</form></body></html>");
    reply_html(req, message ? 401 : 200, &p);
}

static void on_authorize_get(ct_http_req *req, void *ctx)
{
    authz a;
    read_authz(req, &a);
    if (authz_valid(req, ctx, &a))
        login_page(req, &a, NULL);
}

static const idp_user *find_user(const char *email, const char *password)
{
    for (size_t i = 0; i < NUSERS; i++) {
        if (strcasecmp(users[i].email, email) == 0 && strcmp(users[i].password, password) == 0)
            return &users[i];
    }
    return NULL;
}

static void on_authorize_post(ct_http_req *req, void *ctx)
{
    sb_idp *p = ctx;
    authz a;
    read_authz(req, &a);
    if (!authz_valid(req, p, &a))
        return;
    char action[16], email[256], password[256];
    param(req, "action", action, sizeof(action));
    param(req, "email", email, sizeof(email));
    param(req, "password", password, sizeof(password));
    if (strcmp(action, "allow") != 0) {
        error_redirect(req, &a, "access_denied", "the user declined");
        return;
    }
    const idp_user *u = find_user(email, password);
    if (u == NULL) {
        login_page(req, &a, "Wrong e-mail or password.");
        return;
    }
    pthread_mutex_lock(&p->mu);
    idp_code *c = &p->codes[p->next_code++ % NSLOTS];
    memset(c, 0, sizeof(*c));
    random_token(c->code);
    snprintf(c->redirect_uri, sizeof(c->redirect_uri), "%s", a.redirect_uri);
    snprintf(c->nonce, sizeof(c->nonce), "%s", a.nonce);
    snprintf(c->challenge, sizeof(c->challenge), "%s", a.challenge);
    c->user = u;
    c->expires = now_s() + SB_IDP_CODE_TTL;
    char code[48];
    memcpy(code, c->code, sizeof(code));
    pthread_mutex_unlock(&p->mu);
    ct_log(CT_LOG_INFO, "idp.authorized", "user", u->email, NULL);
    ct_strbuf url;
    ct_strbuf_init(&url, 8192);
    ct_strbuf_append(&url, a.redirect_uri, strlen(a.redirect_uri));
    url_arg(&url, "code", code);
    url_arg(&url, "state", a.state);
    redirect(req, ct_strbuf_str(&url));
    ct_strbuf_free(&url);
}

/* ---- the token endpoint ---- */

static void oauth_error(ct_http_req *req, int status, const char *error, const char *desc)
{
    ct_http_add_header(req, "Cache-Control", "no-store");
    if (status == 401)
        ct_http_add_header(req, "WWW-Authenticate", "Basic realm=\"sandbox-idp\"");
    ct_http_reply_json(req, status,
                       json_pack("{s:s, s:s}", "error", error, "error_description", desc));
}

/* Constant-time comparison of two strings. */
static int same_secret(const char *a, const char *b)
{
    size_t n = strlen(a);
    return n == strlen(b) && sodium_memcmp(a, b, n) == 0;
}

/* 1 when the request authenticates the registered client (Basic, or client_id and
 * client_secret in the form). */
static int client_authenticated(ct_http_req *req, const sb_idp *p)
{
    const char *auth = ct_http_header(req, "Authorization");
    char id[128] = "", secret[128] = "";
    if (auth != NULL && strncasecmp(auth, "Basic ", 6) == 0) {
        char raw[300];
        size_t len = 0;
        if (sodium_base642bin((unsigned char *)raw, sizeof(raw) - 1, auth + 6, strlen(auth + 6),
                              NULL, &len, NULL, sodium_base64_VARIANT_ORIGINAL) != 0)
            return 0;
        raw[len] = '\0';
        char *colon = strchr(raw, ':');
        if (colon == NULL || (size_t)(colon - raw) >= sizeof(id) || strlen(colon + 1) >= 128)
            return 0;
        *colon = '\0';
        memcpy(id, raw, strlen(raw) + 1);
        memcpy(secret, colon + 1, strlen(colon + 1) + 1);
    } else {
        param(req, "client_id", id, sizeof(id));
        param(req, "client_secret", secret, sizeof(secret));
    }
    return strcmp(id, p->client_id) == 0 && same_secret(secret, p->client_secret);
}

/* 1 when BASE64URL(SHA-256(verifier)) is the challenge (RFC 7636 4.6). */
static int pkce_matches(const char *verifier, const char *challenge)
{
    size_t n = strlen(verifier);
    if (n < 43 || n > 128 ||
        strspn(verifier, "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz"
                         "0123456789-._~") != n)
        return 0;
    unsigned char digest[crypto_hash_sha256_BYTES];
    crypto_hash_sha256(digest, (const unsigned char *)verifier, n);
    char b64[64];
    sodium_bin2base64(b64, sizeof(b64), digest, sizeof(digest),
                      sodium_base64_VARIANT_URLSAFE_NO_PADDING);
    return same_secret(b64, challenge);
}

/* Claims the code (once): copies its slot to *out. 0 when unknown, used or expired. */
static int claim_code(sb_idp *p, const char *code, idp_code *out)
{
    int ok = 0;
    pthread_mutex_lock(&p->mu);
    for (size_t i = 0; i < NSLOTS; i++) {
        idp_code *c = &p->codes[i];
        if (c->user == NULL || !same_secret(c->code, code))
            continue;
        ok = !c->used && c->expires > now_s();
        c->used = 1;
        *out = *c;
        break;
    }
    pthread_mutex_unlock(&p->mu);
    return ok;
}

static char *id_token(sb_idp *p, const idp_code *c, int64_t now)
{
    const idp_user *u = c->user;
    json_t *claims =
        json_pack("{s:s, s:s, s:s, s:I, s:I, s:I, s:s, s:s, s:b, s:s}", "iss", p->issuer, "sub",
                  u->sub, "aud", p->client_id, "iat", (json_int_t)now, "exp",
                  (json_int_t)now + SB_IDP_TOKEN_TTL, "auth_time", (json_int_t)now, "nonce",
                  c->nonce, "email", u->email, "email_verified", u->verified, "name", u->name);
    char *token = claims ? sb__idp_key_sign(u->forged ? &p->rogue : &p->key, claims) : NULL;
    json_decref(claims);
    return token;
}

static void on_token(ct_http_req *req, void *ctx)
{
    sb_idp *p = ctx;
    if (!client_authenticated(req, p)) {
        oauth_error(req, 401, "invalid_client", "client authentication failed");
        return;
    }
    char grant[64], code[64], uri[FIELD_MAX], verifier[160];
    param(req, "grant_type", grant, sizeof(grant));
    param(req, "code", code, sizeof(code));
    param(req, "redirect_uri", uri, sizeof(uri));
    param(req, "code_verifier", verifier, sizeof(verifier));
    if (strcmp(grant, "authorization_code") != 0) {
        oauth_error(req, 400, "unsupported_grant_type", "only authorization_code");
        return;
    }
    idp_code c;
    if (!code[0] || !claim_code(p, code, &c)) {
        oauth_error(req, 400, "invalid_grant", "the code is unknown, used or expired");
        return;
    }
    if (strcmp(uri, c.redirect_uri) != 0) {
        oauth_error(req, 400, "invalid_grant", "redirect_uri differs from the authorization's");
        return;
    }
    if (!pkce_matches(verifier, c.challenge)) {
        oauth_error(req, 400, "invalid_grant", "code_verifier does not match the challenge");
        return;
    }
    int64_t now = now_s();
    char *token = id_token(p, &c, now);
    if (token == NULL) {
        oauth_error(req, 500, "server_error", "cannot sign the ID token");
        return;
    }
    char access[48];
    pthread_mutex_lock(&p->mu);
    idp_token *t = &p->tokens[p->next_token++ % NSLOTS];
    random_token(t->token);
    t->user = c.user;
    t->expires = now + SB_IDP_TOKEN_TTL;
    memcpy(access, t->token, sizeof(access));
    pthread_mutex_unlock(&p->mu);
    ct_http_add_header(req, "Cache-Control", "no-store");
    ct_http_reply_json(req, 200,
                       json_pack("{s:s, s:s, s:i, s:s, s:s}", "access_token", access, "token_type",
                                 "Bearer", "expires_in", SB_IDP_TOKEN_TTL, "id_token", token,
                                 "scope", "openid email profile"));
    free(token);
}

/* ---- discovery, keys, userinfo ---- */

static void on_discovery(ct_http_req *req, void *ctx)
{
    const sb_idp *p = ctx;
    char a[300], t[300], u[300], j[300];
    snprintf(a, sizeof(a), "%s/authorize", p->issuer);
    snprintf(t, sizeof(t), "%s/token", p->issuer);
    snprintf(u, sizeof(u), "%s/userinfo", p->issuer);
    snprintf(j, sizeof(j), "%s/jwks.json", p->issuer);
    json_t *doc = json_pack(
        "{s:s, s:s, s:s, s:s, s:s, s:[s], s:[s], s:[s], s:[s,s,s], s:[s,s], s:[s], s:[s],"
        " s:[s,s,s,s,s,s,s,s,s,s]}",
        "issuer", p->issuer, "authorization_endpoint", a, "token_endpoint", t, "userinfo_endpoint",
        u, "jwks_uri", j, "response_types_supported", "code", "subject_types_supported", "public",
        "id_token_signing_alg_values_supported", "RS256", "scopes_supported", "openid", "email",
        "profile", "token_endpoint_auth_methods_supported", "client_secret_basic",
        "client_secret_post", "code_challenge_methods_supported", "S256", "grant_types_supported",
        "authorization_code", "claims_supported", "iss", "sub", "aud", "exp", "iat", "auth_time",
        "nonce", "email", "email_verified", "name");
    ct_http_reply_json(req, 200, doc);
}

static void on_jwks(ct_http_req *req, void *ctx)
{
    const sb_idp *p = ctx;
    ct_http_reply_json(req, 200, json_pack("{s:[o]}", "keys", sb__idp_key_jwk(&p->key)));
}

static void on_userinfo(ct_http_req *req, void *ctx)
{
    sb_idp *p = ctx;
    const char *auth = ct_http_header(req, "Authorization");
    const idp_user *u = NULL;
    if (auth != NULL && strncasecmp(auth, "Bearer ", 7) == 0) {
        pthread_mutex_lock(&p->mu);
        for (size_t i = 0; i < NSLOTS && u == NULL; i++) {
            if (p->tokens[i].user != NULL && same_secret(p->tokens[i].token, auth + 7) &&
                p->tokens[i].expires > now_s())
                u = p->tokens[i].user;
        }
        pthread_mutex_unlock(&p->mu);
    }
    if (u == NULL) {
        ct_http_add_header(req, "WWW-Authenticate", "Bearer error=\"invalid_token\"");
        ct_http_problem(req, 401, "Unauthorized", "the access token is invalid or expired");
        return;
    }
    ct_http_reply_json(req, 200,
                       json_pack("{s:s, s:s, s:b, s:s}", "sub", u->sub, "email", u->email,
                                 "email_verified", u->verified, "name", u->name));
}

static void on_healthz(ct_http_req *req, void *ctx)
{
    (void)ctx;
    ct_http_reply_json(req, 200, json_pack("{s:s}", "status", "ok"));
}

/* ---- lifecycle ---- */

static ct_status add_routes(sb_idp *p)
{
    p->router = ct_router_create();
    if (p->router == NULL)
        return CT_NOMEM;
    ct_status rc =
        ct_router_add(p->router, "GET", "/.well-known/openid-configuration", on_discovery, p);
    if (!rc)
        rc = ct_router_add(p->router, "GET", "/jwks.json", on_jwks, p);
    if (!rc)
        rc = ct_router_add(p->router, "GET", "/authorize", on_authorize_get, p);
    if (!rc)
        rc = ct_router_add(p->router, "POST", "/authorize", on_authorize_post, p);
    if (!rc)
        rc = ct_router_add(p->router, "POST", "/token", on_token, p);
    if (!rc)
        rc = ct_router_add(p->router, "GET", "/userinfo", on_userinfo, p);
    if (!rc)
        rc = ct_router_add(p->router, "GET", "/healthz", on_healthz, p);
    return rc;
}

ct_status sb_idp_start(const sb_idp_options *opt, sb_idp **out, char *err, size_t errlen)
{
    *out = NULL;
    if (sodium_init() < 0)
        return CT_ERR;
    sb_idp *p = calloc(1, sizeof(*p));
    if (p == NULL)
        return CT_NOMEM;
    pthread_mutex_init(&p->mu, NULL);
    snprintf(p->client_id, sizeof(p->client_id), "%s",
             opt->client_id ? opt->client_id : SB_IDP_DEFAULT_CLIENT_ID);
    snprintf(p->client_secret, sizeof(p->client_secret), "%s",
             opt->client_secret ? opt->client_secret : SB_IDP_DEFAULT_CLIENT_SECRET);
    snprintf(p->redirect_uris, sizeof(p->redirect_uris), "%s",
             opt->redirect_uris ? opt->redirect_uris : SB_IDP_DEFAULT_REDIRECT_URIS);
    const char *key_file = opt->key_file ? opt->key_file : SB_IDP_DEFAULT_KEY_FILE;
    ct_status rc = sb_daemon_make_parent_dir(key_file);
    if (rc)
        snprintf(err, errlen, "cannot create the folder of %s", key_file);
    if (!rc)
        rc = sb__idp_key_load_or_create(key_file, &p->key, err, errlen);
    if (!rc && (rc = sb__idp_key_generate(&p->rogue)) != CT_OK)
        snprintf(err, errlen, "cannot generate a key");
    if (!rc) /* the forger claims the real key's id: only the signature can tell */
        memcpy(p->rogue.kid, p->key.kid, sizeof(p->rogue.kid));
    if (!rc && (rc = add_routes(p)) != CT_OK)
        snprintf(err, errlen, "cannot add the routes");
    if (!rc) {
        ct_http_options http = opt->http;
        http.any_body_type = 1; /* /authorize and /token take HTML form bodies */
        /* The login page's own inline style; no form-action (the form's answer redirects to
         * the client, which form-action would block). */
        http.csp = "default-src 'none'; style-src 'unsafe-inline'; frame-ancestors 'none'";
        rc = ct_http_server_start(&http, p->router, &p->http);
        if (rc)
            snprintf(err, errlen, "cannot listen on port %d (%s)", http.port, ct_status_name(rc));
    }
    if (rc) {
        sb_idp_stop(p);
        return rc;
    }
    if (opt->issuer != NULL)
        snprintf(p->issuer, sizeof(p->issuer), "%s", opt->issuer);
    else
        snprintf(p->issuer, sizeof(p->issuer), "http://%s:%d",
                 opt->http.host ? opt->http.host : "127.0.0.1", ct_http_server_port(p->http));
    *out = p;
    return CT_OK;
}

int sb_idp_port(const sb_idp *p)
{
    return ct_http_server_port(p->http);
}

const char *sb_idp_issuer(const sb_idp *p)
{
    return p->issuer;
}

void sb_idp_stop(sb_idp *p)
{
    if (p == NULL)
        return;
    if (p->http != NULL)
        ct_http_server_stop(p->http);
    ct_router_destroy(p->router);
    sb__idp_key_free(&p->key);
    sb__idp_key_free(&p->rogue);
    pthread_mutex_destroy(&p->mu);
    free(p);
}

int sb_idp_main(const ct_config *cfg)
{
    char err[512];
    sb_idp_options opt = {0};
    if (sb_daemon_http_options(cfg, SB_IDP_DEFAULT_PORT, 2, &opt.http, err, sizeof(err))) {
        fprintf(stderr, "contrail-sandbox: %s\n", err);
        return 2;
    }
    opt.key_file = ct_config_get(cfg, "key_file", SB_IDP_DEFAULT_KEY_FILE);
    opt.issuer = ct_config_get(cfg, "issuer", NULL);
    opt.client_id = ct_config_get(cfg, "client_id", SB_IDP_DEFAULT_CLIENT_ID);
    opt.client_secret = ct_config_get(cfg, "client_secret", SB_IDP_DEFAULT_CLIENT_SECRET);
    opt.redirect_uris = ct_config_get(cfg, "redirect_uris", SB_IDP_DEFAULT_REDIRECT_URIS);
    sigset_t stop;
    sb_daemon_block_stop_signals(&stop);
    curl_global_init(CURL_GLOBAL_DEFAULT);
    sb_idp *p = NULL;
    ct_status rc = sb_idp_start(&opt, &p, err, sizeof(err));
    if (rc) {
        fprintf(stderr, "contrail-sandbox: idp: %s\n", err);
        return 1;
    }
    const char *port_file = ct_config_get(cfg, "port_file", NULL);
    if (port_file != NULL && sb_daemon_write_port_file(port_file, sb_idp_port(p)) != CT_OK)
        fprintf(stderr, "contrail-sandbox: cannot write %s\n", port_file);
    ct_log(CT_LOG_INFO, "idp.ready", "issuer", sb_idp_issuer(p), NULL);
    printf("Sandbox identity provider at %s  (Ctrl-C stops it)\n", sb_idp_issuer(p));
    fflush(stdout);
    ct_log(CT_LOG_INFO, "idp.stopping", "signal", sb_daemon_wait_stop(&stop), NULL);
    sb_idp_stop(p);
    curl_global_cleanup();
    ct_log(CT_LOG_INFO, "idp.stopped", NULL);
    return 0;
}
