/* http.h: Contrail's HTTP server interface (requests, responses, routes, server lifecycle).
 *
 * The server runs libmicrohttpd with an epoll thread pool and keep-alive. Every request gets
 * an arena (ct_http_arena, capped at 64 MiB) that lives until the response has been sent: the
 * server keeps the request's method, path, headers and path parameters in it, and handlers
 * put their per-request scratch there (the search endpoints' cache keys, cached answers and
 * filter marks). What a library or an engine allocates (jansson trees and texts, search
 * results, string builders) stays on the heap and is freed by the handler before it returns.
 * A handler is called once, with the whole (capped) body, and must set a
 * response with one of the ct_http_reply* or ct_http_problem* functions; a handler that sets
 * none produces a 500 problem.
 *
 * Hardening, before any handler runs (raw-socket tests in tests/http/test_server_guard.c):
 * at most `per_ip_connections` open connections per client address (more are closed at
 * accept); a request head must arrive whole within `header_timeout_ms` of the connection's
 * accept (or, kept alive, of the previous response's end) and its body within
 * `body_timeout_ms` of the head, else the connection is shut down (a sweep thread: total
 * time, not idle time, so a header line every few seconds does not keep it open); a NUL
 * byte in the request line, a repeated or non-numeric Content-Length, or Content-Length with
 * Transfer-Encoding get 400 and the connection closed (RFC 9112 §6.3, nothing after it is
 * parsed as another request); a target over 8 KiB gets 414 and a head over 32 KiB 431 as
 * problem+json (over the 64 KiB a connection may hold, libmicrohttpd answers them itself in
 * HTML); a body whose Content-Type is not application/json or application/WHATEVER+json
 * (parameters such as charset allowed) gets 415 unless `any_body_type` is set (or the path is
 * `form_path` and the body a form).
 *
 * Middleware applied to every request, in order: request id (X-Request-Id: the client's when
 * it is a sane token, else a fresh random one; echoed in the response and in logs), body-size
 * cap (413), CORS (only for the origins of `cors_origins`: Access-Control-Allow-Origin echoed
 * with Vary: Origin; a preflight OPTIONS is answered 204 for a real route and an allowed
 * origin, 403 for another origin, 404 for a path no route has), routing (404 / 405 problem),
 * the handler, then on completion the access log line and the per-route metrics
 * (http/metrics.h). Every response carries the security headers: Content-Security-Policy
 * (`csp`, default CT_HTTP_DEFAULT_CSP, fitting the web app: its own scripts and styles,
 * data: images, no framing), X-Frame-Options: DENY, Referrer-Policy:
 * strict-origin-when-cross-origin, X-Content-Type-Options: nosniff, and with
 * `hsts_max_age` > 0 Strict-Transport-Security.
 *
 * Slow routes (ct_router_add_offload: password hashing, database writes) do not run on the
 * threads that parse requests: the connection is suspended (MHD_suspend_connection), the
 * request goes on a bounded queue served by `workers` threads, and the connection is resumed
 * with the response; a full queue answers 503 with Retry-After: 1 at once. So /healthz,
 * searches and static files keep answering while every worker hashes a password. */
#ifndef CT_HTTP_HTTP_H
#define CT_HTTP_HTTP_H

#include <jansson.h>
#include <stddef.h>
#include <stdint.h>

#include "base/arena.h"
#include "base/status.h"

typedef struct ct_http_req ct_http_req;
typedef struct ct_http_server ct_http_server;
typedef struct ct_router ct_router;

typedef void (*ct_http_handler)(ct_http_req *req, void *ctx);

/* ---- request accessors (valid until the response is sent) ---- */
const char *ct_http_method(const ct_http_req *req);
const char *ct_http_path(const ct_http_req *req);
const char *ct_http_request_id(const ct_http_req *req);
ct_arena *ct_http_arena(ct_http_req *req);
/* Decoded query argument, or NULL when absent. */
const char *ct_http_query(ct_http_req *req, const char *name);
/* Request header (case-insensitive name), or NULL. */
const char *ct_http_header(ct_http_req *req, const char *name);
/* Path parameter captured by a `{name}` route segment, or NULL. */
const char *ct_http_param(const ct_http_req *req, const char *name);
/* The client's IP address as text ("127.0.0.1", "::1"); "unknown" when not available.
 * When the peer is one of the options' `trusted_proxies`, the right-most address of
 * X-Forwarded-For that is not itself a trusted proxy (what the client wrote left of it is
 * ignored); otherwise the peer, whatever X-Forwarded-For says. */
const char *ct_http_client_ip(ct_http_req *req);
/* Request body (NUL-terminated, may be empty). */
const char *ct_http_body(const ct_http_req *req, size_t *len_out);

/* ---- responses ---- */
/* Copies `len` bytes as the response body. */
void ct_http_reply(ct_http_req *req, int status, const char *content_type, const char *body,
                   size_t len);
/* Serialises `body` (the reference is stolen) as application/json. */
void ct_http_reply_json(ct_http_req *req, int status, json_t *body);
/* Adds a response header (both strings copied). */
void ct_http_add_header(ct_http_req *req, const char *name, const char *value);
/* Sends a file from disk (the server owns the descriptor from here). */
void ct_http_reply_fd(ct_http_req *req, int status, const char *content_type, int fd, size_t size);

/* ---- routes ---- */
/* Creates an empty router. NULL on OOM. */
ct_router *ct_router_create(void);
void ct_router_destroy(ct_router *r);
/* Adds a route. `pattern` segments are literal or `{name}`; e.g. "/api/v1/airports/{code}".
 * `pattern` must outlive the router (string literals do). CT_NOMEM/CT_INVALID on failure. */
ct_status ct_router_add(ct_router *r, const char *method, const char *pattern,
                        ct_http_handler handler, void *ctx);
/* The same, for a route whose handler may block (argon2, database writes): it runs on the
 * server's worker pool instead of the threads that parse requests (see above). */
ct_status ct_router_add_offload(ct_router *r, const char *method, const char *pattern,
                                ct_http_handler handler, void *ctx);
/* Fallback for GET/HEAD requests no route matches (the web app's static files). */
void ct_router_set_fallback(ct_router *r, ct_http_handler handler, void *ctx);
/* Number of routes, and the method/pattern of route i (for the OpenAPI consistency test). */
size_t ct_router_count(const ct_router *r);
void ct_router_route(const ct_router *r, size_t i, const char **method, const char **pattern);

/* Static files (the web app): a fallback handler whose ctx is the root directory (a string
 * that must outlive the router). Serves the file named by the path, "index.html" for "/" and
 * for paths without a file (so client-side routes load the app), 404 when the app is not
 * built. Files under /assets/ are content-hashed by the build and cached for a year. */
void ct_http_serve_static(ct_http_req *req, void *root_dir);

/* ---- server ---- */
/* The Content-Security-Policy sent by default: the web app loads only its own scripts,
 * styles and fonts, images from itself and data: URLs, talks only to its own origin, and may
 * not be framed. */
#define CT_HTTP_DEFAULT_CSP                                                                        \
    "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; "              \
    "font-src 'self'; connect-src 'self'; object-src 'none'; base-uri 'none'; "                    \
    "form-action 'self'; frame-ancestors 'none'"

typedef struct ct_http_options {
    const char *host; /* bind address, default "127.0.0.1" */
    int port;         /* 0 = ephemeral (see ct_http_server_port) */
    int threads;      /* threads parsing requests (epoll pool), default 2 */
    size_t max_body;  /* request body cap in bytes, default 1 MiB */
    /* Comma-separated origins allowed cross-origin ("https://a.example,https://b.example");
     * NULL or "" = none: no CORS headers at all (the web app is same-origin). */
    const char *cors_origins;
    int access_log;         /* 1 = one JSON line per request */
    int per_ip_connections; /* open connections per client address, default 256; <0 = no cap */
    int header_timeout_ms;  /* the whole request head, default 10000 */
    int body_timeout_ms;    /* the whole body after the head, default 30000 */
    long hsts_max_age;      /* > 0: Strict-Transport-Security: max-age=N (TLS deployments) */
    const char *csp;        /* Content-Security-Policy, default CT_HTTP_DEFAULT_CSP; "" = none */
    int workers;            /* worker threads for offloaded routes, default 4 */
    int queue;              /* offloaded requests waiting at most, default 64 (then 503) */
    int any_body_type;      /* 1 = accept bodies of any Content-Type (default: JSON only) */
    /* One path whose bodies may also be forms (application/x-www-form-urlencoded or
     * multipart/form-data): RFC 8058's one-click unsubscribe POST. NULL: none. */
    const char *form_path;
    /* 1 = share the port with other servers that ask the same (SO_REUSEPORT: the kernel
     * splits connections between them). Default 0: a port another server listens on is
     * refused (CT_CONFLICT), so a second server cannot silently take half the traffic. */
    int reuse_port;
    /* The load balancers in front (comma-separated addresses and CIDRs, IPv4 and IPv6:
     * "127.0.0.1,10.0.0.0/8,fd00::/8"); NULL or "" = none: X-Forwarded-For is never read.
     * A malformed entry makes the start fail with CT_INVALID. */
    const char *trusted_proxies;
} ct_http_options;

/* Starts serving `router` (borrowed; must outlive the server). *out on success. */
ct_status ct_http_server_start(const ct_http_options *opt, ct_router *router, ct_http_server **out);
/* The bound port. */
int ct_http_server_port(const ct_http_server *s);
/* Connections shut down so far because a head or body missed its deadline. */
uint64_t ct_http_server_deadline_closes(const ct_http_server *s);
/* Stops accepting, lets in-flight requests finish, joins the threads, frees the server. */
void ct_http_server_stop(ct_http_server *s);

/* Prometheus text for every route's counters and latency histograms, into a malloc'd
 * string the caller frees with ct_free. NULL on OOM. */
char *ct_http_metrics_text(const ct_router *r);

#endif
