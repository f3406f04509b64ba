/* api.h: the /api/v1 handlers and the system endpoints, over the application context.
 *
 * Handlers are thin: validate parameters (400 problem naming the field), call a module, map
 * the result to JSON. Every route goes through one dispatcher (routes.c) that applies, in
 * order: authentication (Bearer JWT or API key), the route's access level (public, user,
 * admin; 401/403), token-bucket rate limits per IP, per user and per API key (429 with
 * Retry-After), and borrows a database connection from the pool for handlers that need
 * one. Handlers read shared state only through ct_app, whose members say who owns them. */
#ifndef CT_API_API_H
#define CT_API_API_H

#include <stdatomic.h>

#include "accounts/accounts.h"
#include "http/http.h"
#include "http/ratelimit.h"
#include "refdata/refdata.h"
#include "store/store.h"
#include "fares/pricebook.h"
#include "timetable/timetable.h"

typedef struct ct_api_limits {
    double ip_per_minute, ip_burst;     /* 0 disables the per-IP limit */
    double user_per_minute, user_burst; /* per signed-in user */
} ct_api_limits;

typedef struct ct_api_route ct_api_route;
struct ct_strbuf;

/* An engine beside the database that /readyz names with its state and /metrics asks (cluster
 * mode: RabbitMQ). `state` answers "up" when the engine is usable, any other word when not
 * (any thread); a required engine that is not "up" makes /readyz answer 503. */
typedef struct ct_api_engine {
    const char *name; /* "rabbitmq" */
    int required;
    const char *(*state)(void *ctx);
    size_t (*metrics)(void *ctx, char *out, size_t cap); /* Prometheus text; may be NULL */
    void *ctx;
} ct_api_engine;

#define CT_API_MAX_ENGINES 4

typedef struct ct_app {
    ct_store_pool *pool;     /* owned by the caller; connections borrowed per request */
    ct_refdata *refdata;     /* immutable snapshot, read by any thread without locks */
    ct_accounts *accounts;   /* owned by the caller; read-only after init */
    ct_ratelimit *ratelimit; /* owned by the caller; thread-safe */
    ct_api_limits limits;
    ct_router *router;   /* the router the routes were added to (for /metrics) */
    const char *web_dir; /* built web app, served for non-API GETs; may be NULL */
    atomic_int ready;    /* 1 once serving; 0 while starting or shutting down */
    const char *version;
    ct_api_route *routes; /* owned: freed by ct_api_free */
    /* The timetable searches read; set once when schedules are loaded (NULL until then),
     * immutable afterwards, owned by the caller. */
    _Atomic(const ct_timetable *) timetable;
    /* Provider prices over that timetable (fares/pricebook.h); NULL while none are ingested
     * (searches are then schedule-only). Set once, owned by the caller. */
    _Atomic(ct_pricebook *) pricebook;
    /* Answers of the search endpoints (api/search_cache.h); NULL: no cache. Owned by the
     * caller. */
    struct ct_search_cache *search_cache;
    /* The feed ingestion filling it (statistics for /metrics); NULL when none. */
    _Atomic(struct ct_ingest *) ingest;
    /* Offers and orders (booking/booking.h); NULL: the booking routes answer 503. Owned by
     * the caller; `serve` publishes it once the sandbox world's providers are known. */
    _Atomic(struct ct_booking *) booking;
    /* The partner directory (providers/directory.h): the names travellers see for the
     * providers of search answers; NULL until known (generic names by kind). Set once,
     * owned by the caller. */
    _Atomic(const struct ct_partner_directory *) partners;
    /* Route price history and the insight's distributions (history/history.h); NULL: none
     * (answers' insight says so, /price-history answers 503). Set before the routes are
     * registered, owned by the caller. */
    struct ct_history *history;
    /* Buy or wait (predict/predict.h): the price model every priced search answer asks, or
     * NULL (the answers' "prediction" is then null). Set before ct_api_register, owned by the
     * caller; its answers are cached per route, date and cabin in `predictions` (owned by
     * the api: made by ct_api_register when a model is set, freed by ct_api_free). */
    struct ct_predict_model *price_model;
    struct ct_api_predictions *predictions;
    /* Sign-in with identity providers (oidc/oidc.h); NULL: the /auth/oidc routes send the
     * browser back to the sign-in page with "unavailable". Owned by the caller. */
    struct ct_oidc *oidc;
    /* Price alerts (alerts/alerts.h); NULL: their routes answer 503. Set once by `serve`,
     * owned by the caller. */
    _Atomic(struct ct_alerts *) alerts;
    /* The notification hub (notify/hub.h): its unsubscribe tokens for /api/v1/unsubscribe;
     * NULL: that route answers 503. Set before serving, owned by the caller. */
    struct ct_notify_hub *notify;
    /* Webhooks (webhooks/webhooks.h): its delivery workers are kicked by the routes and its
     * flags (loopback endpoints) read; NULL: the routes still work, endpoints on loopback are
     * refused and nothing is sent. Set before the routes serve, owned by the caller. */
    struct ct_webhooks *webhooks;
    /* Engines /readyz names (ct_api_engine); set before serving, owned by the caller. */
    ct_api_engine engines[CT_API_MAX_ENGINES];
    int nengines;
    /* Extra /metrics lines (Prometheus text appended to `out`), e.g. cluster mode's
     * (app/cluster.h); NULL: none. Set before serving; called from request threads. */
    void (*metrics_extra)(void *ctx, struct ct_strbuf *out);
    void *metrics_extra_ctx;
} ct_app;

/* The OpenAPI 3.1 document (src/api/openapi.json), embedded by the build. */
extern const char ct_openapi_json[];

/* Default limits: 1200 requests a minute per IP (burst 200), 600 per user (burst 120). */
ct_api_limits ct_api_default_limits(void);

/* Adds every route to `router`, with `app` as context (borrowed; must outlive the router),
 * and the static web app as the fallback when app->web_dir is set. */
ct_status ct_api_register(ct_app *app, ct_router *router);

/* Frees what ct_api_register allocated. */
void ct_api_free(ct_app *app);

#endif
