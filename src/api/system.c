/* system.c: liveness, readiness, metrics and the OpenAPI document.
 *
 * /healthz answers 200 while the process serves at all. /readyz answers 200 only when the
 * app is ready (started, not shutting down), the reference data is loaded and the database
 * answers a query; otherwise 503 with the failing check named. */
#include <string.h>

#include "api/api_internal.h"
#include "base/alloc.h"
#include "http/problem.h"

void ct__api_healthz(ct_http_req *req, ct_api_call *call)
{
    (void)call;
    ct_http_reply_json(req, 200, json_pack("{s:s}", "status", "ok"));
}

void ct__api_readyz(ct_http_req *req, ct_api_call *call)
{
    ct_app *app = call->app;
    const char *failed = NULL;
    if (!atomic_load(&app->ready))
        failed = "not accepting traffic (starting or shutting down)";
    else if (app->refdata == NULL)
        failed = "reference data not loaded";
    else if (call->store != NULL) {
        int64_t one = 0;
        ct_status rc = ct_store_query_int64(call->store, "SELECT 1", &one);
        if (rc || one != 1)
            failed = "database does not answer";
    }
    if (failed != NULL) {
        ct_http_problem(req, 503, "Not ready", failed);
        return;
    }
    ct_http_reply_json(req, 200,
                       json_pack("{s:s, s:s, s:i}", "status", "ready", "database",
                                 call->store ? ct_store_engine(call->store) : "none", "airports",
                                 (int)ct_refdata_airport_count(app->refdata)));
}

void ct__api_metrics(ct_http_req *req, ct_api_call *call)
{
    ct_app *app = call->app;
    char *text = ct_http_metrics_text(app->router);
    if (text == NULL) {
        ct_http_problem(req, 500, "Internal error", "out of memory");
        return;
    }
    ct_http_reply(req, 200, "text/plain; version=0.0.4; charset=utf-8", text, strlen(text));
    ct_free(text);
}

void ct__api_openapi(ct_http_req *req, ct_api_call *call)
{
    (void)call;
    ct_http_reply(req, 200, "application/json", ct_openapi_json, strlen(ct_openapi_json));
}
