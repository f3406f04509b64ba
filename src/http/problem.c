/* problem.c: builds problem+json bodies (see problem.h). */
#include "http/problem.h"

#include <ctype.h>
#include <string.h>

#include "base/alloc.h"
#include "base/json.h"

static const char *problem_slug(int status)
{
    switch (status) {
    case 400:
        return "invalid-request";
    case 401:
        return "unauthorized";
    case 403:
        return "forbidden";
    case 404:
        return "not-found";
    case 405:
        return "method-not-allowed";
    case 409:
        return "conflict";
    case 413:
        return "payload-too-large";
    case 414:
        return "uri-too-long";
    case 415:
        return "unsupported-media-type";
    case 431:
        return "headers-too-large";
    case 429:
        return "too-many-requests";
    case 503:
        return "unavailable";
    default:
        return status >= 500 ? "internal-error" : "client-error";
    }
}

static json_t *problem_body(ct_http_req *req, int status, const char *title, const char *detail)
{
    json_t *body = json_object();
    if (body == NULL)
        return NULL;
    char type[96];
    snprintf(type, sizeof(type), "https://contrail.dev/problems/%s", problem_slug(status));
    json_object_set_new(body, "type", json_string(type));
    json_object_set_new(body, "title", json_string(title));
    json_object_set_new(body, "status", json_integer(status));
    if (detail != NULL)
        json_object_set_new(body, "detail", json_string(detail));
    json_object_set_new(body, "instance", json_string(ct_http_path(req)));
    json_object_set_new(body, "request_id", json_string(ct_http_request_id(req)));
    return body;
}

static void reply_problem(ct_http_req *req, int status, json_t *body)
{
    if (body == NULL) {
        static const char fallback[] = "{\"title\":\"Internal error\",\"status\":500}";
        ct_http_reply(req, 500, "application/problem+json", fallback, sizeof(fallback) - 1);
        return;
    }
    char *text = NULL;
    ct_status rc = ct_json_dumps(body, JSON_COMPACT | JSON_PRESERVE_ORDER, &text);
    json_decref(body);
    if (rc) {
        reply_problem(req, status, NULL);
        return;
    }
    ct_http_reply(req, status, "application/problem+json", text, strlen(text));
    ct_free(text);
}

void ct_http_problem(ct_http_req *req, int status, const char *title, const char *detail)
{
    reply_problem(req, status, problem_body(req, status, title, detail));
}

void ct_http_problem_ext(ct_http_req *req, int status, const char *title, const char *detail,
                         json_t *members)
{
    json_t *body = problem_body(req, status, title, detail);
    if (body != NULL && members != NULL)
        json_object_update(body, members);
    json_decref(members);
    reply_problem(req, status, body);
}

void ct_http_problem_field(ct_http_req *req, const char *field, const char *message)
{
    char detail[512];
    snprintf(detail, sizeof(detail), "%s: %s", field, message);
    json_t *body = problem_body(req, 400, "Invalid parameter", detail);
    if (body != NULL) {
        json_t *err = json_pack("{s:s, s:s}", "field", field, "message", message);
        json_t *errors = json_array();
        json_array_append_new(errors, err);
        json_object_set_new(body, "errors", errors);
    }
    reply_problem(req, 400, body);
}

int ct_http_status_for(ct_status rc)
{
    switch (rc) {
    case CT_OK:
    case CT_ROW:
    case CT_DONE:
        return 200;
    case CT_INVALID:
        return 400;
    case CT_NOT_FOUND:
        return 404;
    case CT_CONFLICT:
        return 409;
    case CT_TOO_LARGE:
        return 413;
    case CT_AGAIN:
    case CT_UNAVAILABLE:
        return 503;
    case CT_ERR:
    case CT_NOMEM:
    case CT_IO:
        return 500;
    }
    return 500;
}

void ct_http_problem_status(ct_http_req *req, ct_status rc, const char *detail)
{
    int status = ct_http_status_for(rc);
    const char *title;
    switch (status) {
    case 400:
        title = "Invalid request";
        break;
    case 404:
        title = "Not found";
        break;
    case 409:
        title = "Conflict";
        break;
    case 413:
        title = "Payload too large";
        break;
    case 503:
        title = "Service unavailable";
        break;
    default:
        title = "Internal error";
        break;
    }
    ct_http_problem(req, status, title, detail);
}
