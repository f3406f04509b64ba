/* price_alerts.c: /api/v1/me/price-alerts (create, list, get, update, delete; docs/alerts.md).
 *
 * Thin: parse the body, call alerts/alerts.h, map the result: 201/200/204, a 400 naming the
 * field, 409 at the per-user limit, 404 for an alert that is not the caller's, 503 until the
 * alerts engine is wired. */
#include <stdio.h>

#include "alerts/alerts.h"
#include "api/api_internal.h"
#include "http/problem.h"

/* The engine, or NULL after replying 503. */
static ct_alerts *engine(ct_http_req *req, ct_api_call *call)
{
    ct_alerts *a = atomic_load(&call->app->alerts);
    if (a == NULL)
        ct_http_problem(req, 503, "Service unavailable", "price alerts are not available yet");
    return a;
}

static void reply(ct_http_req *req, ct_status rc, json_t *out, int status,
                  const ct_alerts_field_error *fe)
{
    if (rc == CT_OK) {
        ct_http_reply_json(req, status, out);
        return;
    }
    if (rc == CT_NOT_FOUND) {
        ct_http_problem(req, 404, "Not found", "no such price alert");
        return;
    }
    ct_field_error e = {"", ""};
    if (fe != NULL) {
        snprintf(e.field, sizeof(e.field), "%.39s", fe->field);
        snprintf(e.message, sizeof(e.message), "%s", fe->message);
    }
    if (rc == CT_INVALID && !e.field[0]) {
        ct_http_problem(req, 400, "Bad request", e.message[0] ? e.message : "invalid body");
        return;
    }
    ct__api_field_problem(req, rc, &e);
}

void ct__api_price_alerts_create(ct_http_req *req, ct_api_call *call)
{
    ct_alerts *a = engine(req, call);
    json_t *in = a != NULL ? ct__api_body_object(req) : NULL;
    if (in == NULL)
        return;
    ct_alerts_field_error fe = {"", ""};
    json_t *out = NULL;
    ct_status rc = ct_alerts_create(a, call->store, call->principal.user_id, in, &fe, &out);
    reply(req, rc, out, 201, &fe);
    json_decref(in);
}

void ct__api_price_alerts_list(ct_http_req *req, ct_api_call *call)
{
    ct_alerts *a = engine(req, call);
    if (a == NULL)
        return;
    json_t *out = NULL;
    ct_status rc = ct_alerts_list(a, call->store, call->principal.user_id, &out);
    reply(req, rc, out, 200, NULL);
}

void ct__api_price_alert_get(ct_http_req *req, ct_api_call *call)
{
    ct_alerts *a = engine(req, call);
    if (a == NULL)
        return;
    json_t *out = NULL;
    ct_status rc =
        ct_alerts_get(a, call->store, call->principal.user_id, ct_http_param(req, "id"), &out);
    reply(req, rc, out, 200, NULL);
}

void ct__api_price_alert_update(ct_http_req *req, ct_api_call *call)
{
    ct_alerts *a = engine(req, call);
    json_t *in = a != NULL ? ct__api_body_object(req) : NULL;
    if (in == NULL)
        return;
    ct_alerts_field_error fe = {"", ""};
    json_t *out = NULL;
    ct_status rc = ct_alerts_update(a, call->store, call->principal.user_id,
                                    ct_http_param(req, "id"), in, &fe, &out);
    reply(req, rc, out, 200, &fe);
    json_decref(in);
}

void ct__api_price_alert_delete(ct_http_req *req, ct_api_call *call)
{
    ct_alerts *a = engine(req, call);
    if (a == NULL)
        return;
    ct_status rc =
        ct_alerts_delete(a, call->store, call->principal.user_id, ct_http_param(req, "id"));
    if (rc)
        reply(req, rc, NULL, 0, NULL);
    else
        ct_http_reply(req, 204, NULL, "", 0);
}
