/* problem.h: RFC 9457 problem+json responses, and the one mapping from ct_status to HTTP.
 *
 * Body shape: {"type": "https://contrail.dev/problems/<slug>", "title": ..., "status": N,
 * "detail": ..., "instance": <request path>, "request_id": ...,
 * "errors": [{"field": "q", "message": ...}]}  (errors only for invalid input). */
#ifndef CT_HTTP_PROBLEM_H
#define CT_HTTP_PROBLEM_H

#include <jansson.h>

#include "base/status.h"
#include "http/http.h"

/* Replies with a problem of the given HTTP status. `detail` may be NULL. */
void ct_http_problem(ct_http_req *req, int status, const char *title, const char *detail);

/* The same with extension members (RFC 9457 section 3.2): each member of the object
 * `members` (stolen; may be NULL) is added to the body, e.g. /readyz's "engines". */
void ct_http_problem_ext(ct_http_req *req, int status, const char *title, const char *detail,
                         json_t *members);

/* Replies 400 "Invalid parameter" naming `field` with `message`. */
void ct_http_problem_field(ct_http_req *req, const char *field, const char *message);

/* The HTTP status for a ct_status (CT_INVALID -> 400, CT_NOT_FOUND -> 404, ...). */
int ct_http_status_for(ct_status rc);

/* Replies with the problem for `rc`. */
void ct_http_problem_status(ct_http_req *req, ct_status rc, const char *detail);

#endif
