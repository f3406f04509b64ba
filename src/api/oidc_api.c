/* oidc_api.c: sign-in with an identity provider (OpenID Connect, src/oidc/oidc.h).
 *
 *   GET /api/v1/auth/oidc/{provider}/start     302 to the provider's login, with the flow
 *                                              (state, nonce, PKCE verifier) sealed in an
 *                                              HttpOnly cookie for the callback
 *   GET /api/v1/auth/oidc/{provider}/callback  checks the state against that cookie,
 *                                              exchanges the code, validates the ID token,
 *                                              signs in / links / creates the account
 *                                              (accounts/identities.c), then 302 into the
 *                                              web app
 *
 * Both are browser navigations, so every outcome is a redirect to the web app's sign-in page,
 * never a JSON answer: success carries the new session's refresh token in the URL fragment
 * (/sign-in#oidc_refresh=...&user_id=...&outcome=...), which browsers never send to a server or
 * put in a Referer, and which the web app swaps at once for a fresh pair (the refresh token
 * rotates, so the one in the history is spent); a failure carries a reason the page turns into
 * a message (/sign-in#oidc_error=denied | state | exchange | token | unverified_email |
 * no_email | unavailable). The cookie is SameSite=Lax (it must come back on the provider's
 * top-level redirect), scoped to /api/v1/auth/oidc/, and cleared by the callback. */
#include <stdio.h>
#include <string.h>
#include <time.h>

#include "api/api_internal.h"
#include "oidc/oidc.h"

#define FLOW_COOKIE "ct_oidc_flow"

static void to_sign_in(ct_http_req *req, const char *fragment)
{
    char location[1400];
    snprintf(location, sizeof(location), "/sign-in#%s", fragment);
    ct_http_add_header(req, "Location", location);
    ct_http_add_header(req, "Cache-Control", "no-store");
    ct_http_reply(req, 302, "text/plain", "", 0);
}

static void fail(ct_http_req *req, const char *reason)
{
    char fragment[64];
    snprintf(fragment, sizeof(fragment), "oidc_error=%s", reason);
    to_sign_in(req, fragment);
}

/* The platform's callback URL for `provider`. */
static void callback_url(const ct_api_call *call, const char *provider, char *out, size_t len)
{
    snprintf(out, len, "%s/api/v1/auth/oidc/%s/callback", call->app->accounts->cfg.public_url,
             provider);
}

static void set_flow_cookie(ct_http_req *req, const ct_api_call *call, const char *value,
                            int max_age)
{
    int https = strncmp(call->app->accounts->cfg.public_url, "https:", 6) == 0;
    char cookie[3000];
    snprintf(cookie, sizeof(cookie),
             FLOW_COOKIE "=%s; Path=/api/v1/auth/oidc/; Max-Age=%d; HttpOnly; SameSite=Lax%s",
             value, max_age, https ? "; Secure" : "");
    ct_http_add_header(req, "Set-Cookie", cookie);
}

/* The value of the flow cookie in the Cookie header, into out; 0 when absent. */
static int read_flow_cookie(ct_http_req *req, char *out, size_t len)
{
    const char *h = ct_http_header(req, "Cookie");
    for (const char *p = h; p != NULL && *p;) {
        p += strspn(p, " ;");
        size_t n = strcspn(p, ";");
        if (strncmp(p, FLOW_COOKIE "=", sizeof(FLOW_COOKIE)) == 0) {
            size_t v = n - sizeof(FLOW_COOKIE);
            if (v == 0 || v >= len)
                return 0;
            memcpy(out, p + sizeof(FLOW_COOKIE), v);
            out[v] = '\0';
            return 1;
        }
        p += n;
    }
    return 0;
}

void ct__api_oidc_start(ct_http_req *req, ct_api_call *call)
{
    const char *provider = ct_http_param(req, "provider");
    if (call->app->oidc == NULL || !ct_oidc_known(call->app->oidc, provider)) {
        fail(req, "unavailable");
        return;
    }
    char redirect_uri[512], cookie[2048], url[4096];
    callback_url(call, provider, redirect_uri, sizeof(redirect_uri));
    ct_status rc = ct_oidc_begin(call->app->oidc, provider, redirect_uri, (int64_t)time(NULL),
                                 cookie, sizeof(cookie), url, sizeof(url));
    if (rc) {
        fail(req, "unavailable");
        return;
    }
    set_flow_cookie(req, call, cookie, CT_OIDC_FLOW_TTL);
    ct_http_add_header(req, "Location", url);
    ct_http_add_header(req, "Cache-Control", "no-store");
    ct_http_reply(req, 302, "text/plain", "", 0);
}

static const char *failure_reason(ct_oidc_failure why)
{
    switch (why) {
    case CT_OIDC_BAD_STATE:
        return "state";
    case CT_OIDC_EXCHANGE:
        return "exchange";
    case CT_OIDC_BAD_TOKEN:
        return "token";
    default:
        return "unavailable";
    }
}

/* Signs the identity in and redirects into the web app with the session. */
static void finish(ct_http_req *req, ct_api_call *call, const ct_oidc_identity *id)
{
    ct_accounts_set_user_agent(ct_http_header(req, "User-Agent"));
    ct_external_identity ext = {
        .provider = id->provider,
        .issuer = id->issuer,
        .subject = id->subject,
        .email = id->email[0] ? id->email : NULL,
        .email_verified = id->email_verified,
        .name = id->name[0] ? id->name : NULL,
    };
    ct_session_tokens tokens;
    const char *outcome = "refused";
    ct_status rc = ct_accounts_external_sign_in(call->app->accounts, call->store, &ext,
                                                ct_http_client_ip(req), &tokens, &outcome);
    if (rc == CT_CONFLICT) {
        fail(req, "unverified_email");
        return;
    }
    if (rc) {
        fail(req, rc == CT_INVALID ? "no_email" : "unavailable");
        return;
    }
    char fragment[400];
    snprintf(fragment, sizeof(fragment), "oidc_refresh=%s&user_id=%s&outcome=%s", tokens.refresh,
             tokens.user_id, outcome);
    sodium_memzero(&tokens, sizeof(tokens));
    to_sign_in(req, fragment);
}

void ct__api_oidc_callback(ct_http_req *req, ct_api_call *call)
{
    const char *provider = ct_http_param(req, "provider");
    set_flow_cookie(req, call, "", 0); /* one use, whatever happens */
    if (call->app->oidc == NULL || !ct_oidc_known(call->app->oidc, provider)) {
        fail(req, "unavailable");
        return;
    }
    const char *error = ct_http_query(req, "error");
    if (error != NULL) {
        fail(req, strcmp(error, "access_denied") == 0 ? "denied" : "provider_error");
        return;
    }
    char cookie[2800];
    ct_oidc_identity id;
    ct_oidc_failure why = CT_OIDC_BAD_STATE;
    if (!read_flow_cookie(req, cookie, sizeof(cookie)) ||
        ct_oidc_complete(call->app->oidc, provider, cookie, ct_http_query(req, "state"),
                         ct_http_query(req, "code"), (int64_t)time(NULL), &id, &why) != CT_OK) {
        fail(req, failure_reason(why));
        return;
    }
    finish(req, call, &id);
}
