/* oidc.c: providers, discovery, JWKS, the sealed flow and the code exchange (see oidc.h).
 *
 * The provider table is guarded by one mutex; discovery and JWKS are fetched while holding it
 * (rarely: once per provider, and again on an unknown kid), with short time-outs. The flow
 * cookie is base64url(nonce24 || crypto_secretbox(JSON {p, s, n, v, r, e})) with a key made
 * by BLAKE2b (crypto_generichash) from the platform secret, so it is both secret (the PKCE
 * verifier) and tamper-proof. The code exchange is a single POST (never retried: a code is
 * single use) with client_secret_basic. */
#include "oidc/oidc.h"

#include <curl/curl.h>
#include <pthread.h>
#include <sodium.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "base/log.h"
#include "base/strbuf.h"
#include "upstream/upstream.h"

#define KEYS_MAX 8

typedef struct oidc_key {
    char kid[128];
    char *pem; /* owned */
} oidc_key;

typedef struct oidc_provider {
    char name[32], issuer[256], client_id[128], client_secret[128];
    int discovered;
    char authorize_url[512], token_url[512], jwks_url[512];
    oidc_key keys[KEYS_MAX];
    int nkeys;
} oidc_provider;

struct ct_oidc {
    pthread_mutex_t mu;
    unsigned char key[crypto_secretbox_KEYBYTES];
    ct_upstream *up;
    oidc_provider providers[CT_OIDC_PROVIDERS];
    int n;
    char world_json[600];
};

ct_status ct_oidc_new(const char *secret, ct_oidc **out)
{
    *out = NULL;
    if (secret == NULL || strlen(secret) < 32)
        return CT_INVALID;
    if (sodium_init() < 0)
        return CT_ERR;
    ct_oidc *o = calloc(1, sizeof(*o));
    if (o == NULL)
        return CT_NOMEM;
    static const char context[] = "contrail oidc flow cookie v1";
    crypto_generichash(o->key, sizeof(o->key), (const unsigned char *)context, strlen(context),
                       (const unsigned char *)secret,
                       strlen(secret) > crypto_generichash_KEYBYTES_MAX
                           ? crypto_generichash_KEYBYTES_MAX
                           : strlen(secret));
    ct_upstream_config cfg = {.name = "oidc",
                              .timeout_ms = 5000,
                              .connect_timeout_ms = 2000,
                              .max_attempts = 2,
                              .breaker_failures = -1,
                              .body_cap = 1 << 20};
    ct_status rc = ct_upstream_new(&cfg, &o->up);
    if (rc) {
        free(o);
        return rc;
    }
    pthread_mutex_init(&o->mu, NULL);
    *out = o;
    return CT_OK;
}

static void forget_keys(oidc_provider *p)
{
    for (int i = 0; i < p->nkeys; i++)
        free(p->keys[i].pem);
    p->nkeys = 0;
}

void ct_oidc_free(ct_oidc *o)
{
    if (o == NULL)
        return;
    for (int i = 0; i < o->n; i++)
        forget_keys(&o->providers[i]);
    ct_upstream_free(o->up);
    pthread_mutex_destroy(&o->mu);
    sodium_memzero(o->key, sizeof(o->key));
    free(o);
}

static oidc_provider *find_locked(ct_oidc *o, const char *name)
{
    for (int i = 0; i < o->n; i++) {
        if (strcmp(o->providers[i].name, name) == 0)
            return &o->providers[i];
    }
    return NULL;
}

static int name_ok(const char *name)
{
    size_t n = strlen(name);
    return n > 0 && n < 32 && strspn(name, "abcdefghijklmnopqrstuvwxyz0123456789-") == n;
}

static ct_status add_locked(ct_oidc *o, const char *name, const char *issuer, const char *client_id,
                            const char *client_secret)
{
    if (!name_ok(name) || issuer == NULL || client_id == NULL || client_secret == NULL ||
        !client_id[0] || !client_secret[0] || strlen(issuer) >= 256 || strlen(client_id) >= 128 ||
        strlen(client_secret) >= 128 || strncmp(issuer, "http", 4) != 0)
        return CT_INVALID;
    oidc_provider *p = find_locked(o, name);
    if (p == NULL) {
        if (o->n >= CT_OIDC_PROVIDERS)
            return CT_TOO_LARGE;
        p = &o->providers[o->n++];
    }
    forget_keys(p);
    memset(p, 0, sizeof(*p));
    snprintf(p->name, sizeof(p->name), "%s", name);
    snprintf(p->issuer, sizeof(p->issuer), "%s", issuer);
    snprintf(p->client_id, sizeof(p->client_id), "%s", client_id);
    snprintf(p->client_secret, sizeof(p->client_secret), "%s", client_secret);
    return CT_OK;
}

ct_status ct_oidc_add_provider(ct_oidc *o, const char *name, const char *issuer,
                               const char *client_id, const char *client_secret)
{
    pthread_mutex_lock(&o->mu);
    ct_status rc = add_locked(o, name, issuer, client_id, client_secret);
    pthread_mutex_unlock(&o->mu);
    return rc;
}

void ct_oidc_use_world(ct_oidc *o, const char *world_json)
{
    pthread_mutex_lock(&o->mu);
    snprintf(o->world_json, sizeof(o->world_json), "%s", world_json ? world_json : "");
    pthread_mutex_unlock(&o->mu);
}

/* The provider `name`, reading world.json's idp block for "sandbox" when not yet known. */
static oidc_provider *lookup_locked(ct_oidc *o, const char *name)
{
    oidc_provider *p = find_locked(o, name);
    if (p != NULL || strcmp(name, "sandbox") != 0 || !o->world_json[0])
        return p;
    json_t *doc = json_load_file(o->world_json, 0, NULL);
    json_t *idp = json_object_get(doc, "idp");
    if (idp != NULL &&
        add_locked(o, "sandbox", json_string_value(json_object_get(idp, "issuer")),
                   json_string_value(json_object_get(idp, "client_id")),
                   json_string_value(json_object_get(idp, "client_secret"))) == CT_OK)
        p = find_locked(o, name);
    json_decref(doc);
    return p;
}

int ct_oidc_known(ct_oidc *o, const char *name)
{
    pthread_mutex_lock(&o->mu);
    int known = lookup_locked(o, name) != NULL;
    pthread_mutex_unlock(&o->mu);
    return known;
}

json_t *ct_oidc_provider_names(ct_oidc *o)
{
    json_t *names = json_array();
    pthread_mutex_lock(&o->mu);
    lookup_locked(o, "sandbox");
    for (int i = 0; i < o->n; i++)
        json_array_append_new(names, json_string(o->providers[i].name));
    pthread_mutex_unlock(&o->mu);
    return names;
}

/* ---- discovery and keys ---- */

/* GETs a JSON object; NULL (logged) when it cannot be had. */
static json_t *fetch_json(ct_oidc *o, const char *url)
{
    static const char *const headers[] = {"Accept: application/json", NULL};
    ct_upstream_request req = {.url = url, .headers = headers};
    ct_upstream_response rsp;
    ct_status rc = ct_upstream_call_sync(o->up, &req, &rsp);
    json_t *doc = NULL;
    if (rc == CT_OK && rsp.status == 200)
        doc = json_loadb(rsp.body, rsp.body_len, 0, NULL);
    if (!json_is_object(doc)) {
        ct_log(CT_LOG_WARN, "oidc.fetch_failed", "url", url, "error",
               rsp.error[0] ? rsp.error : "not a JSON object", NULL);
        json_decref(doc);
        doc = NULL;
    }
    ct_upstream_response_free(&rsp);
    return doc;
}

static int copy_url(json_t *doc, const char *member, char *out, size_t len)
{
    const char *v = json_string_value(json_object_get(doc, member));
    if (v == NULL || strlen(v) >= len || strncmp(v, "http", 4) != 0)
        return 0;
    memcpy(out, v, strlen(v) + 1);
    return 1;
}

static ct_status discover_locked(ct_oidc *o, oidc_provider *p)
{
    if (p->discovered)
        return CT_OK;
    char url[400];
    snprintf(url, sizeof(url), "%s/.well-known/openid-configuration", p->issuer);
    json_t *doc = fetch_json(o, url);
    const char *issuer = json_string_value(json_object_get(doc, "issuer"));
    int ok = issuer != NULL && strcmp(issuer, p->issuer) == 0 &&
             copy_url(doc, "authorization_endpoint", p->authorize_url, sizeof(p->authorize_url)) &&
             copy_url(doc, "token_endpoint", p->token_url, sizeof(p->token_url)) &&
             copy_url(doc, "jwks_uri", p->jwks_url, sizeof(p->jwks_url));
    json_decref(doc);
    if (!ok) {
        ct_log(CT_LOG_WARN, "oidc.discovery_failed", "provider", p->name, NULL);
        return CT_UNAVAILABLE;
    }
    p->discovered = 1;
    return CT_OK;
}

static ct_status load_keys_locked(ct_oidc *o, oidc_provider *p)
{
    json_t *doc = fetch_json(o, p->jwks_url);
    if (doc == NULL)
        return CT_UNAVAILABLE;
    forget_keys(p);
    size_t i;
    json_t *jwk;
    json_array_foreach(json_object_get(doc, "keys"), i, jwk)
    {
        const char *kid = json_string_value(json_object_get(jwk, "kid"));
        const char *use = json_string_value(json_object_get(jwk, "use"));
        char *pem = NULL;
        if (p->nkeys >= KEYS_MAX || (use != NULL && strcmp(use, "sig") != 0) ||
            ct_oidc_jwk_to_pem(jwk, &pem) != CT_OK)
            continue;
        oidc_key *k = &p->keys[p->nkeys++];
        snprintf(k->kid, sizeof(k->kid), "%s", kid ? kid : "");
        k->pem = pem;
    }
    json_decref(doc);
    return CT_OK;
}

/* The PEM of the key `kid` (NULL or "": the only key), copied (caller frees); NULL when
 * unknown even after reloading the JWKS. */
static char *key_for(ct_oidc *o, oidc_provider *p, const char *kid, char *kid_out, size_t len)
{
    for (int pass = 0; pass < 2; pass++) {
        if ((pass == 1 || p->nkeys == 0) && load_keys_locked(o, p) != CT_OK)
            return NULL;
        for (int i = 0; i < p->nkeys; i++) {
            int match = kid != NULL && kid[0] ? strcmp(p->keys[i].kid, kid) == 0 : p->nkeys == 1;
            if (match) {
                snprintf(kid_out, len, "%s", p->keys[i].kid);
                return strdup(p->keys[i].pem);
            }
        }
    }
    return NULL;
}

/* ---- the flow cookie ---- */

static void random_b64(char out[48])
{
    unsigned char raw[32];
    randombytes_buf(raw, sizeof(raw));
    sodium_bin2base64(out, 48, raw, sizeof(raw), sodium_base64_VARIANT_URLSAFE_NO_PADDING);
}

static ct_status seal(const ct_oidc *o, const json_t *flow, char *out, size_t len)
{
    char *text = json_dumps(flow, JSON_COMPACT);
    if (text == NULL)
        return CT_NOMEM;
    size_t n = strlen(text), total = crypto_secretbox_NONCEBYTES + crypto_secretbox_MACBYTES + n;
    unsigned char *box = malloc(total);
    ct_status rc = CT_NOMEM;
    if (box != NULL) {
        randombytes_buf(box, crypto_secretbox_NONCEBYTES);
        crypto_secretbox_easy(box + crypto_secretbox_NONCEBYTES, (const unsigned char *)text, n,
                              box, o->key);
        rc = sodium_base64_ENCODED_LEN(total, sodium_base64_VARIANT_URLSAFE_NO_PADDING) <= len
                 ? CT_OK
                 : CT_TOO_LARGE;
        if (!rc)
            sodium_bin2base64(out, len, box, total, sodium_base64_VARIANT_URLSAFE_NO_PADDING);
    }
    free(box);
    free(text);
    return rc;
}

/* The flow in a cookie value, NULL when it does not open. */
static json_t *unseal(const ct_oidc *o, const char *cookie)
{
    unsigned char box[2048], plain[2048];
    size_t n = 0, clen = strlen(cookie);
    if (clen > 2700 || sodium_base642bin(box, sizeof(box), cookie, clen, NULL, &n, NULL,
                                         sodium_base64_VARIANT_URLSAFE_NO_PADDING) != 0)
        return NULL;
    if (n < crypto_secretbox_NONCEBYTES + crypto_secretbox_MACBYTES)
        return NULL;
    size_t mlen = n - crypto_secretbox_NONCEBYTES - crypto_secretbox_MACBYTES;
    if (crypto_secretbox_open_easy(plain, box + crypto_secretbox_NONCEBYTES,
                                   n - crypto_secretbox_NONCEBYTES, box, o->key) != 0)
        return NULL;
    return json_loadb((const char *)plain, mlen, 0, NULL);
}

/* ---- begin and complete ---- */

static void url_arg(ct_strbuf *url, const char *name, const char *value)
{
    char *enc = curl_easy_escape(NULL, value, 0);
    ct_strbuf_printf(url, "%c%s=%s", strchr(ct_strbuf_str(url), '?') ? '&' : '?', name,
                     enc ? enc : "");
    curl_free(enc);
}

ct_status ct_oidc_begin(ct_oidc *o, const char *name, const char *redirect_uri, int64_t now,
                        char *cookie, size_t cookie_len, char *url, size_t url_len)
{
    char authorize[512], client_id[128];
    pthread_mutex_lock(&o->mu);
    oidc_provider *p = lookup_locked(o, name);
    ct_status rc = p == NULL ? CT_NOT_FOUND : discover_locked(o, p);
    if (!rc) {
        snprintf(authorize, sizeof(authorize), "%s", p->authorize_url);
        snprintf(client_id, sizeof(client_id), "%s", p->client_id);
    }
    pthread_mutex_unlock(&o->mu);
    if (rc)
        return rc;
    char state[48], nonce[48], verifier[48], challenge[48];
    random_b64(state);
    random_b64(nonce);
    random_b64(verifier);
    unsigned char digest[crypto_hash_sha256_BYTES];
    crypto_hash_sha256(digest, (const unsigned char *)verifier, strlen(verifier));
    sodium_bin2base64(challenge, sizeof(challenge), digest, sizeof(digest),
                      sodium_base64_VARIANT_URLSAFE_NO_PADDING);
    json_t *flow =
        json_pack("{s:s, s:s, s:s, s:s, s:s, s:I}", "p", name, "s", state, "n", nonce, "v",
                  verifier, "r", redirect_uri, "e", (json_int_t)now + CT_OIDC_FLOW_TTL);
    rc = flow ? seal(o, flow, cookie, cookie_len) : CT_NOMEM;
    json_decref(flow);
    if (rc)
        return rc;
    ct_strbuf b;
    ct_strbuf_init(&b, 8192);
    ct_strbuf_puts(&b, authorize);
    url_arg(&b, "response_type", "code");
    url_arg(&b, "client_id", client_id);
    url_arg(&b, "redirect_uri", redirect_uri);
    url_arg(&b, "scope", "openid email profile");
    url_arg(&b, "state", state);
    url_arg(&b, "nonce", nonce);
    url_arg(&b, "code_challenge", challenge);
    url_arg(&b, "code_challenge_method", "S256");
    rc = b.len < url_len ? CT_OK : CT_TOO_LARGE;
    if (!rc)
        memcpy(url, ct_strbuf_str(&b), b.len + 1);
    ct_strbuf_free(&b);
    return rc;
}

/* POSTs the code to the token endpoint; the id_token (malloc'd) or NULL with *why set. */
static char *exchange(ct_oidc *o, const char *token_url, const char *client_id,
                      const char *client_secret, const char *code, const char *verifier,
                      const char *redirect_uri, ct_oidc_failure *why)
{
    char basic_raw[300], basic[420], auth[460];
    snprintf(basic_raw, sizeof(basic_raw), "%s:%s", client_id, client_secret);
    sodium_bin2base64(basic, sizeof(basic), (const unsigned char *)basic_raw, strlen(basic_raw),
                      sodium_base64_VARIANT_ORIGINAL);
    snprintf(auth, sizeof(auth), "Authorization: Basic %s", basic);
    const char *headers[] = {auth, "Content-Type: application/x-www-form-urlencoded",
                             "Accept: application/json", NULL};
    ct_strbuf body;
    ct_strbuf_init(&body, 8192);
    ct_strbuf_puts(&body, "?grant_type=authorization_code"); /* the '?' is dropped below */
    url_arg(&body, "code", code);
    url_arg(&body, "redirect_uri", redirect_uri);
    url_arg(&body, "code_verifier", verifier);
    ct_upstream_request req = {.method = "POST",
                               .url = token_url,
                               .headers = headers,
                               .body = ct_strbuf_str(&body) + 1,
                               .body_len = body.len - 1,
                               .max_attempts = 1};
    ct_upstream_response rsp;
    ct_status rc = ct_upstream_call_sync(o->up, &req, &rsp);
    ct_strbuf_free(&body);
    char *id_token = NULL;
    json_t *doc = rc == CT_OK ? json_loadb(rsp.body, rsp.body_len, 0, NULL) : NULL;
    if (rc != CT_OK || rsp.status >= 500 || doc == NULL) {
        *why = CT_OIDC_UNAVAILABLE;
    } else if (rsp.status != 200) {
        *why = CT_OIDC_EXCHANGE;
        ct_log(CT_LOG_WARN, "oidc.exchange_refused", "error",
               json_string_value(json_object_get(doc, "error")), NULL);
    } else {
        const char *t = json_string_value(json_object_get(doc, "id_token"));
        id_token = t ? strdup(t) : NULL;
        *why = id_token ? CT_OIDC_OK : CT_OIDC_BAD_TOKEN;
    }
    json_decref(doc);
    ct_upstream_response_free(&rsp);
    return id_token;
}

/* The kid in a token's header, into out ("" when none). */
static void header_kid(const char *token, char *out, size_t len)
{
    out[0] = '\0';
    size_t n = strcspn(token, ".");
    unsigned char raw[1024];
    size_t got = 0;
    if (token[n] != '.' || sodium_base642bin(raw, sizeof(raw) - 1, token, n, NULL, &got, NULL,
                                             sodium_base64_VARIANT_URLSAFE_NO_PADDING) != 0)
        return;
    json_t *h = json_loadb((const char *)raw, got, 0, NULL);
    const char *kid = json_string_value(json_object_get(h, "kid"));
    if (kid != NULL)
        snprintf(out, len, "%s", kid);
    json_decref(h);
}

static int same(const char *a, const char *b)
{
    size_t n = strlen(a);
    return n == strlen(b) && sodium_memcmp(a, b, n) == 0;
}

/* Opens the cookie and checks it against name, state and the clock; the flow or NULL. */
static json_t *open_flow(ct_oidc *o, const char *name, const char *cookie, const char *state,
                         int64_t now)
{
    json_t *flow = cookie ? unseal(o, cookie) : NULL;
    const char *p = json_string_value(json_object_get(flow, "p"));
    const char *s = json_string_value(json_object_get(flow, "s"));
    json_int_t e = json_integer_value(json_object_get(flow, "e"));
    if (p == NULL || s == NULL || strcmp(p, name) != 0 || state == NULL || !same(s, state) ||
        e <= now || !json_is_string(json_object_get(flow, "v")) ||
        !json_is_string(json_object_get(flow, "n")) ||
        !json_is_string(json_object_get(flow, "r"))) {
        json_decref(flow);
        return NULL;
    }
    return flow;
}

ct_status ct_oidc_complete(ct_oidc *o, const char *name, const char *cookie, const char *state,
                           const char *code, int64_t now, ct_oidc_identity *id,
                           ct_oidc_failure *why)
{
    *why = CT_OIDC_BAD_STATE;
    json_t *flow = open_flow(o, name, cookie, state, now);
    if (flow == NULL || code == NULL || !code[0] || strlen(code) > 512) {
        json_decref(flow);
        return CT_INVALID;
    }
    char token_url[512], client_id[128], secret[128], issuer[256];
    pthread_mutex_lock(&o->mu);
    oidc_provider *p = lookup_locked(o, name);
    ct_status rc = p == NULL ? CT_NOT_FOUND : discover_locked(o, p);
    if (!rc) {
        snprintf(token_url, sizeof(token_url), "%s", p->token_url);
        snprintf(client_id, sizeof(client_id), "%s", p->client_id);
        snprintf(secret, sizeof(secret), "%s", p->client_secret);
        snprintf(issuer, sizeof(issuer), "%s", p->issuer);
    }
    pthread_mutex_unlock(&o->mu);
    char *token = NULL, *pem = NULL;
    if (rc) {
        *why = CT_OIDC_UNAVAILABLE;
    } else {
        token = exchange(o, token_url, client_id, secret, code,
                         json_string_value(json_object_get(flow, "v")),
                         json_string_value(json_object_get(flow, "r")), why);
        rc = token ? CT_OK : CT_INVALID;
    }
    char kid[128] = "", used_kid[128] = "", err[160] = "";
    if (!rc) {
        header_kid(token, kid, sizeof(kid));
        pthread_mutex_lock(&o->mu);
        pem = key_for(o, p, kid, used_kid, sizeof(used_kid));
        pthread_mutex_unlock(&o->mu);
        if (pem == NULL)
            snprintf(err, sizeof(err), "no key of the provider has this kid");
        else
            rc = ct_oidc_check_id_token(token, used_kid, pem, issuer, client_id,
                                        json_string_value(json_object_get(flow, "n")), now, id, err,
                                        sizeof(err));
        if (rc || pem == NULL) {
            *why = CT_OIDC_BAD_TOKEN;
            rc = CT_INVALID;
            ct_log(CT_LOG_WARN, "oidc.id_token_refused", "provider", name, "reason", err, NULL);
        } else {
            snprintf(id->provider, sizeof(id->provider), "%s", name);
            *why = CT_OIDC_OK;
        }
    }
    free(pem);
    free(token);
    json_decref(flow);
    sodium_memzero(secret, sizeof(secret));
    return rc;
}
