/* routes.c: the route table and the dispatcher every route goes through (see api.h).
 * Every route here must be in openapi.json and vice versa (tests/api/test_api.c checks). */
#include <stdio.h>
#include <string.h>
#include <strings.h>

#include "api/api_internal.h"
#include "base/alloc.h"
#include "http/problem.h"

static const ct_api_route table[] = {
    {"GET", "/healthz", ct__api_healthz, CT_API_PUBLIC, 0, NULL, NULL},
    {"GET", "/readyz", ct__api_readyz, CT_API_PUBLIC, 1, NULL, NULL},
    {"GET", "/metrics", ct__api_metrics, CT_API_PUBLIC, 0, NULL, NULL},
    {"GET", "/api/v1/openapi.json", ct__api_openapi, CT_API_PUBLIC, 0, NULL, NULL},
    {"GET", "/api/v1/airports", ct__api_airports_search, CT_API_PUBLIC, 0, NULL, NULL},
    {"GET", "/api/v1/airports/{code}", ct__api_airport_get, CT_API_PUBLIC, 0, NULL, NULL},
    {"POST", "/api/v1/searches", ct__api_searches, CT_API_PUBLIC, 0, NULL, "search"},
    {"GET", "/api/v1/calendar", ct__api_calendar, CT_API_PUBLIC, 0, NULL, "search prices"},
    {"GET", "/api/v1/explore", ct__api_explore, CT_API_PUBLIC, 0, NULL, "search prices"},
    {"GET", "/api/v1/price-history", ct__api_price_history, CT_API_PUBLIC, 1, NULL,
     "search prices"},
    {"POST", "/api/v1/users", ct__api_register_user, CT_API_PUBLIC, 1, NULL, NULL},
    {"POST", "/api/v1/users/verify-email", ct__api_verify_email, CT_API_PUBLIC, 1, NULL, NULL},
    {"POST", "/api/v1/sessions", ct__api_sign_in, CT_API_PUBLIC, 1, NULL, NULL},
    {"POST", "/api/v1/sessions/refresh", ct__api_refresh, CT_API_PUBLIC, 1, NULL, NULL},
    {"POST", "/api/v1/sessions/revoke", ct__api_sign_out, CT_API_PUBLIC, 1, NULL, NULL},
    {"POST", "/api/v1/password-resets", ct__api_reset_request, CT_API_PUBLIC, 1, NULL, NULL},
    {"POST", "/api/v1/password-resets/confirm", ct__api_reset_confirm, CT_API_PUBLIC, 1, NULL,
     NULL},
    /* Browser navigations (302s); offloaded: they call the identity provider. */
    {"GET", "/api/v1/auth/oidc/{provider}/start", ct__api_oidc_start, CT_API_PUBLIC, 1, NULL, NULL},
    {"GET", "/api/v1/auth/oidc/{provider}/callback", ct__api_oidc_callback, CT_API_PUBLIC, 1, NULL,
     NULL},
    {"GET", "/api/v1/me", ct__api_me_get, CT_API_USER, 1, NULL, NULL},
    {"PUT", "/api/v1/me", ct__api_me_update, CT_API_USER, 1, NULL, NULL},
    {"DELETE", "/api/v1/me", ct__api_me_delete, CT_API_USER, 1, NULL, NULL},
    {"PUT", "/api/v1/me/password", ct__api_me_password, CT_API_USER, 1, NULL, NULL},
    {"GET", "/api/v1/me/export", ct__api_me_export, CT_API_USER, 1, NULL, NULL},
    {"POST", "/api/v1/me/verify-email", ct__api_me_resend_verification, CT_API_USER, 1, NULL, NULL},
    {"GET", "/api/v1/me/security-events", ct__api_me_events, CT_API_USER, 1, NULL, NULL},
    {"PUT", "/api/v1/me/phone", ct__api_me_phone_put, CT_API_USER, 1, NULL, NULL},
    {"DELETE", "/api/v1/me/phone", ct__api_me_phone_delete, CT_API_USER, 1, NULL, NULL},
    {"POST", "/api/v1/me/phone/verify", ct__api_me_phone_verify, CT_API_USER, 1, NULL, NULL},
    {"GET", "/api/v1/me/travellers", ct__api_travellers_list, CT_API_USER, 1, NULL, NULL},
    {"POST", "/api/v1/me/travellers", ct__api_travellers_create, CT_API_USER, 1, NULL, NULL},
    {"GET", "/api/v1/me/travellers/{id}", ct__api_traveller_get, CT_API_USER, 1, NULL, NULL},
    {"PUT", "/api/v1/me/travellers/{id}", ct__api_traveller_update, CT_API_USER, 1, NULL, NULL},
    {"DELETE", "/api/v1/me/travellers/{id}", ct__api_traveller_delete, CT_API_USER, 1, NULL, NULL},
    {"GET", "/api/v1/me/price-alerts", ct__api_price_alerts_list, CT_API_USER, 1, NULL, NULL},
    {"POST", "/api/v1/me/price-alerts", ct__api_price_alerts_create, CT_API_USER, 1, NULL, NULL},
    {"GET", "/api/v1/me/price-alerts/{id}", ct__api_price_alert_get, CT_API_USER, 1, NULL, NULL},
    {"PATCH", "/api/v1/me/price-alerts/{id}", ct__api_price_alert_update, CT_API_USER, 1, NULL,
     NULL},
    {"DELETE", "/api/v1/me/price-alerts/{id}", ct__api_price_alert_delete, CT_API_USER, 1, NULL,
     NULL},
    {"GET", "/api/v1/me/api-keys", ct__api_keys_list, CT_API_USER, 1, NULL, NULL},
    {"POST", "/api/v1/me/api-keys", ct__api_keys_create, CT_API_USER, 1, NULL, NULL},
    {"DELETE", "/api/v1/me/api-keys/{id}", ct__api_key_revoke, CT_API_USER, 1, NULL, NULL},
    {"GET", "/api/v1/admin/users/{id}", ct__api_admin_user_get, CT_API_ADMIN, 1, NULL, NULL},
    {"PUT", "/api/v1/admin/users/{id}/role", ct__api_admin_user_role, CT_API_ADMIN, 1, NULL, NULL},
    {"POST", "/api/v1/offers", ct__api_offers_create, CT_API_PUBLIC, 1, NULL, "offers"},
    {"POST", "/api/v1/orders", ct__api_orders_create, CT_API_PUBLIC, 1, NULL, "bookings"},
    {"GET", "/api/v1/orders", ct__api_orders_list, CT_API_USER, 1, NULL, NULL},
    {"GET", "/api/v1/orders/lookup", ct__api_order_lookup, CT_API_PUBLIC, 1, NULL, "bookings"},
    {"GET", "/api/v1/orders/{id}", ct__api_order_get, CT_API_PUBLIC, 1, NULL, "bookings"},
    {"POST", "/api/v1/orders/{id}/payment/confirm", ct__api_order_payment_confirm, CT_API_PUBLIC, 1,
     NULL, "bookings"},
    {"POST", "/api/v1/orders/{id}/cancellations", ct__api_order_cancellation_create, CT_API_PUBLIC,
     1, NULL, "bookings"},
    {"POST", "/api/v1/orders/{id}/cancellations/{cid}/confirm", ct__api_order_cancellation_confirm,
     CT_API_PUBLIC, 1, NULL, "bookings"},
    {"GET", "/api/v1/me/notifications", ct__api_notifications_list, CT_API_USER, 1, NULL, NULL},
    {"POST", "/api/v1/me/notifications/read-all", ct__api_notifications_read_all, CT_API_USER, 1,
     NULL, NULL},
    {"POST", "/api/v1/me/notifications/{id}/read", ct__api_notification_read, CT_API_USER, 1, NULL,
     NULL},
    {"GET", "/api/v1/me/notification-preferences", ct__api_notification_prefs_get, CT_API_USER, 1,
     NULL, NULL},
    {"PUT", "/api/v1/me/notification-preferences", ct__api_notification_prefs_put, CT_API_USER, 1,
     NULL, NULL},
    {"GET", "/api/v1/unsubscribe", ct__api_unsubscribe_get, CT_API_PUBLIC, 1, NULL, NULL},
    {"POST", "/api/v1/unsubscribe", ct__api_unsubscribe_post, CT_API_PUBLIC, 1, NULL, NULL},
    {"GET", "/api/v1/me/webhooks", ct__api_webhooks_list, CT_API_OWNER, 1, NULL, "webhooks"},
    {"POST", "/api/v1/me/webhooks", ct__api_webhooks_create, CT_API_OWNER, 1, NULL, "webhooks"},
    {"GET", "/api/v1/me/webhooks/{id}", ct__api_webhook_get, CT_API_OWNER, 1, NULL, "webhooks"},
    {"DELETE", "/api/v1/me/webhooks/{id}", ct__api_webhook_delete, CT_API_OWNER, 1, NULL,
     "webhooks"},
    {"GET", "/api/v1/me/webhooks/{id}/deliveries", ct__api_webhook_deliveries, CT_API_OWNER, 1,
     NULL, "webhooks"},
    {"POST", "/api/v1/me/webhooks/{id}/deliveries/{delivery_id}/replay", ct__api_webhook_replay,
     CT_API_OWNER, 1, NULL, "webhooks"},
    {"POST", "/api/v1/me/webhooks/{id}/rotate-secret", ct__api_webhook_rotate, CT_API_OWNER, 1,
     NULL, "webhooks"},
    {"POST", "/api/v1/me/webhooks/{id}/enable", ct__api_webhook_enable, CT_API_OWNER, 1, NULL,
     "webhooks"},
    {"POST", "/api/v1/me/webhooks/{id}/test", ct__api_webhook_ping, CT_API_OWNER, 1, NULL,
     "webhooks"},
};

#define NROUTES (sizeof(table) / sizeof(table[0]))

ct_api_limits ct_api_default_limits(void)
{
    return (ct_api_limits){1200, 200, 600, 120};
}

/* 401 with an RFC 6750 challenge; `invalid` says a credential was sent but refused. */
static void unauthorized(ct_http_req *req, const char *detail, int invalid)
{
    ct_http_problem(req, 401, "Unauthorized", detail);
    ct_http_add_header(req, "WWW-Authenticate",
                       invalid ? "Bearer realm=\"contrail\", error=\"invalid_token\""
                               : "Bearer realm=\"contrail\"");
}

static void too_many(ct_http_req *req, int retry_after)
{
    char s[16];
    snprintf(s, sizeof(s), "%d", retry_after);
    ct_http_problem(req, 429, "Too many requests", "rate limit exceeded; retry later");
    ct_http_add_header(req, "Retry-After", s);
}

/* Borrows the call's store connection once; 0 after replying 503. */
static int borrow_store(ct_http_req *req, ct_api_call *call, ct_store **st)
{
    if (*st != NULL)
        return 1;
    if (call->app->pool == NULL || ct_store_pool_acquire(call->app->pool, 2000, st) != CT_OK) {
        ct_http_problem(req, 503, "Service unavailable", "database busy");
        return 0;
    }
    return 1;
}

/* Authenticates from Authorization (Bearer JWT, or ApiKey) or X-API-Key. Returns 0 after
 * replying 401 for a credential that was sent but is not valid. A JWT is also checked
 * against the user row and its session (revoked at once by sign-out, a password change or
 * reset, a role change, erasure), and the role is the user's current one. */
static int authenticate(ct_http_req *req, ct_api_call *call, ct_store **key_store)
{
    const char *auth = ct_http_header(req, "Authorization");
    const char *key = ct_http_header(req, "X-API-Key");
    if (auth != NULL && strncasecmp(auth, "Bearer ", 7) == 0) {
        if (call->app->accounts == NULL ||
            ct_accounts_verify_access(call->app->accounts, auth + 7, &call->principal) != CT_OK) {
            unauthorized(req, "the access token is invalid or expired", 1);
            return 0;
        }
        if (!borrow_store(req, call, key_store))
            return 0;
        ct_status rc = ct_accounts_check_session(*key_store, &call->principal);
        if (rc == CT_INVALID) {
            unauthorized(req, "the access token was revoked", 1);
            return 0;
        }
        if (rc) {
            ct_http_problem_status(req, rc, NULL);
            return 0;
        }
        call->authenticated = 1;
        return 1;
    }
    if (auth != NULL && strncasecmp(auth, "ApiKey ", 7) == 0)
        key = auth + 7;
    else if (auth != NULL) {
        unauthorized(req, "unsupported authorization scheme (use Bearer or ApiKey)", 1);
        return 0;
    }
    if (key == NULL)
        return 1;
    if (!borrow_store(req, call, key_store))
        return 0;
    if (ct_apikeys_authenticate(*key_store, key, &call->principal) != CT_OK) {
        unauthorized(req, "the API key is invalid or revoked", 1);
        return 0;
    }
    call->authenticated = 1;
    return 1;
}

/* Applies the per-IP, per-user and per-key buckets. Returns 0 after replying 429. */
static int within_limits(ct_http_req *req, ct_api_call *call)
{
    ct_app *app = call->app;
    if (app->ratelimit == NULL)
        return 1;
    char key[96];
    int retry = 0;
    if (app->limits.ip_per_minute > 0) {
        snprintf(key, sizeof(key), "ip:%s", ct_http_client_ip(req));
        if (!ct_ratelimit_take(app->ratelimit, key, app->limits.ip_per_minute, app->limits.ip_burst,
                               &retry)) {
            too_many(req, retry);
            return 0;
        }
    }
    if (call->authenticated && call->principal.key_id[0]) {
        double rate = call->principal.rate_per_minute;
        snprintf(key, sizeof(key), "key:%s", call->principal.key_id);
        if (!ct_ratelimit_take(app->ratelimit, key, rate, rate / 6 < 10 ? 10 : rate / 6, &retry)) {
            too_many(req, retry);
            return 0;
        }
    } else if (call->authenticated && app->limits.user_per_minute > 0) {
        snprintf(key, sizeof(key), "user:%s", call->principal.user_id);
        if (!ct_ratelimit_take(app->ratelimit, key, app->limits.user_per_minute,
                               app->limits.user_burst, &retry)) {
            too_many(req, retry);
            return 0;
        }
    }
    return 1;
}

/* 1 when an API key holds one of the route's scopes (or the route needs none). */
static int key_scoped(const ct_api_route *route, const ct_principal *p)
{
    if (route->scopes == NULL)
        return 1;
    char want[64];
    snprintf(want, sizeof(want), "%s", route->scopes);
    char *save = NULL;
    for (char *s = strtok_r(want, " ", &save); s != NULL; s = strtok_r(NULL, " ", &save)) {
        if (ct_apikeys_has_scope(p->scopes, s))
            return 1;
    }
    return 0;
}

static int access_allowed(ct_http_req *req, const ct_api_route *route, ct_api_call *call)
{
    if (call->authenticated && call->principal.key_id[0] && !key_scoped(route, &call->principal)) {
        char detail[128];
        snprintf(detail, sizeof(detail), "this API key lacks the scope this route needs (%s)",
                 route->scopes);
        ct_http_problem(req, 403, "Forbidden", detail);
        return 0;
    }
    if (route->access == CT_API_PUBLIC)
        return 1;
    if (!call->authenticated) {
        unauthorized(req, "sign in first", 0);
        return 0;
    }
    if (route->access == CT_API_OWNER) /* a key's scope was checked above */
        return 1;
    if (call->principal.key_id[0]) {
        ct_http_problem(req, 403, "Forbidden", "API keys cannot use account routes");
        return 0;
    }
    if (route->access == CT_API_ADMIN && strcmp(call->principal.role, "admin") != 0) {
        ct_http_problem(req, 403, "Forbidden", "administrators only");
        return 0;
    }
    return 1;
}

static void dispatch(ct_http_req *req, void *ctx)
{
    const ct_api_route *route = ctx;
    ct_api_call call;
    memset(&call, 0, sizeof(call));
    call.app = route->app;
    ct_store *st = NULL;
    if (authenticate(req, &call, &st) && within_limits(req, &call) &&
        access_allowed(req, route, &call)) {
        ct_status acquired = CT_OK;
        if (route->needs_store && st == NULL && call.app->pool != NULL)
            acquired = ct_store_pool_acquire(call.app->pool, 2000, &st);
        if (acquired != CT_OK) {
            ct_http_add_header(req, "Retry-After", "1");
            ct_http_problem(req, 503, "Service unavailable",
                            acquired == CT_AGAIN ? "database busy" : "database unavailable");
        } else if (route->needs_store && call.app->pool == NULL) {
            ct_http_problem(req, 503, "Service unavailable", "no database");
        } else {
            call.store = st;
            route->handler(req, &call);
            if (route->access != CT_API_PUBLIC) /* personal data: never cached */
                ct_http_add_header(req, "Cache-Control", "no-store");
        }
    }
    if (st != NULL)
        ct_store_pool_release(call.app->pool, st);
}

ct_status ct_api_register(ct_app *app, ct_router *router)
{
    app->router = router;
    app->routes = ct_calloc(NROUTES, sizeof(ct_api_route));
    if (app->routes == NULL)
        return CT_NOMEM;
    for (size_t i = 0; i < NROUTES; i++) {
        app->routes[i] = table[i];
        app->routes[i].app = app;
        /* Routes that use the database (writes, argon2 sign-ins) run on the server's
         * worker pool, off the threads that answer cheap requests (http.h). */
        ct_status rc = (table[i].needs_store ? ct_router_add_offload : ct_router_add)(
            router, table[i].method, table[i].pattern, dispatch, &app->routes[i]);
        if (rc)
            return rc;
    }
    if (app->web_dir != NULL)
        ct_router_set_fallback(router, ct_http_serve_static, (void *)app->web_dir);
    if (app->price_model != NULL && app->predictions == NULL)
        return ct__api_predictions_new(&app->predictions);
    return CT_OK;
}

void ct_api_free(ct_app *app)
{
    ct_free(app->routes);
    app->routes = NULL;
    ct__api_predictions_free(app->predictions);
    app->predictions = NULL;
}
