/* webhooks_api.c: /api/v1/me/webhooks (docs/webhooks.md): the caller's webhook endpoints, their
 * delivery log, replay, secret rotation, re-enabling and a test ping. Thin: parse, call
 * webhooks/, map statuses. A signed-in user (JWT) or an API key with the "webhooks" scope
 * acts for its user (CT_API_OWNER): every call is scoped to that user, so another user's ids
 * answer 404. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "api/api_internal.h"
#include "http/problem.h"
#include "webhooks/webhooks.h"

static void reply(ct_http_req *req, ct_status rc, json_t *out, int status,
                  const ct_webhooks_field_error *wfe)
{
    if (rc == CT_OK) {
        ct_http_reply_json(req, status, out);
        return;
    }
    if (rc == CT_NOT_FOUND) {
        ct_http_problem(req, 404, "Not found", "no such webhook endpoint or delivery");
        return;
    }
    if (rc == CT_CONFLICT && (wfe == NULL || !wfe->field[0])) {
        ct_http_problem(req, 409, "Conflict", "the endpoint is disabled: enable it first");
        return;
    }
    ct_field_error fe = {"", ""};
    if (wfe != NULL) {
        snprintf(fe.field, sizeof(fe.field), "%s", wfe->field);
        snprintf(fe.message, sizeof(fe.message), "%s", wfe->message);
    }
    ct__api_field_problem(req, rc, &fe);
}

static struct ct_webhooks *service(ct_api_call *call)
{
    return call->app->webhooks;
}

void ct__api_webhooks_create(ct_http_req *req, ct_api_call *call)
{
    json_t *in = ct__api_body_object(req);
    if (in == NULL)
        return;
    ct_webhooks_field_error fe = {"", ""};
    json_t *out = NULL;
    ct_status rc =
        ct_webhooks_create(service(call), call->store, call->principal.user_id, in, &fe, &out);
    reply(req, rc, out, 201, &fe);
    json_decref(in);
}

void ct__api_webhooks_list(ct_http_req *req, ct_api_call *call)
{
    json_t *out = NULL;
    ct_status rc = ct_webhooks_list(call->store, call->principal.user_id, &out);
    reply(req, rc, out, 200, NULL);
}

void ct__api_webhook_get(ct_http_req *req, ct_api_call *call)
{
    json_t *out = NULL;
    ct_status rc =
        ct_webhooks_get(call->store, call->principal.user_id, ct_http_param(req, "id"), &out);
    reply(req, rc, out, 200, NULL);
}

void ct__api_webhook_delete(ct_http_req *req, ct_api_call *call)
{
    ct_status rc =
        ct_webhooks_delete(call->store, call->principal.user_id, ct_http_param(req, "id"));
    if (rc)
        reply(req, rc, NULL, 0, NULL);
    else
        ct_http_reply(req, 204, NULL, "", 0);
}

void ct__api_webhook_deliveries(ct_http_req *req, ct_api_call *call)
{
    const char *limit_s = ct_http_query(req, "limit");
    long limit = 20;
    if (limit_s != NULL) {
        char *end = NULL;
        limit = strtol(limit_s, &end, 10);
        if (end == limit_s || *end != '\0' || limit < 1 || limit > 100) {
            ct_http_problem_field(req, "limit", "must be an integer from 1 to 100");
            return;
        }
    }
    json_t *out = NULL;
    ct_status rc = ct_webhooks_deliveries(call->store, call->principal.user_id,
                                          ct_http_param(req, "id"), (int)limit, &out);
    reply(req, rc, out, 200, NULL);
}

void ct__api_webhook_replay(ct_http_req *req, ct_api_call *call)
{
    json_t *out = NULL;
    ct_status rc =
        ct_webhooks_replay(service(call), call->store, call->principal.user_id,
                           ct_http_param(req, "id"), ct_http_param(req, "delivery_id"), &out);
    reply(req, rc, out, 202, NULL);
}

void ct__api_webhook_rotate(ct_http_req *req, ct_api_call *call)
{
    json_t *out = NULL;
    ct_status rc =
        ct_webhooks_rotate(call->store, call->principal.user_id, ct_http_param(req, "id"), &out);
    reply(req, rc, out, 200, NULL);
}

void ct__api_webhook_enable(ct_http_req *req, ct_api_call *call)
{
    json_t *out = NULL;
    ct_status rc = ct_webhooks_enable(service(call), call->store, call->principal.user_id,
                                      ct_http_param(req, "id"), &out);
    reply(req, rc, out, 200, NULL);
}

void ct__api_webhook_ping(ct_http_req *req, ct_api_call *call)
{
    json_t *out = NULL;
    ct_status rc = ct_webhooks_ping(service(call), call->store, call->principal.user_id,
                                    ct_http_param(req, "id"), &out);
    reply(req, rc, out, 202, NULL);
}
