/* api.h: the /api/v1 handlers and the system endpoints, over the application context.
 *
 * Handlers are thin: validate parameters (400 problem naming the field), call a module, map
 * the result to JSON. They read shared state only through ct_app, whose members say who
 * owns them and how threads may use them. */
#ifndef CT_API_API_H
#define CT_API_API_H

#include <pthread.h>
#include <stdatomic.h>

#include "http/http.h"
#include "refdata/refdata.h"
#include "store/store.h"

typedef struct ct_app {
    ct_store *store; /* owned by the caller; use only under store_lock */
    pthread_mutex_t store_lock;
    ct_refdata *refdata; /* immutable snapshot, read by any thread without locks */
    ct_router *router;   /* the router the routes were added to (for /metrics) */
    const char *web_dir; /* built web app, served for non-API GETs; may be NULL */
    atomic_int ready;    /* 1 once serving; 0 while starting or shutting down */
    const char *version;
} ct_app;

/* The OpenAPI 3.1 document (src/api/openapi.json), embedded by the build. */
extern const char ct_openapi_json[];

/* Adds every route to `router`, with `app` as context (borrowed; must outlive the router),
 * and the static web app as the fallback when app->web_dir is set. */
ct_status ct_api_register(ct_app *app, ct_router *router);

#endif
