/* server.c: the libmicrohttpd front end: request lifecycle, middleware and responses.
 *
 * Lifecycle of one request (MHD calls the access handler several times):
 *   0. request line parsed (URI log callback): allocate the ct_http_req and its arena, and
 *      note where the raw target lies in libmicrohttpd's buffer;
 *   1. first call (head complete): take the method, path and request id, refuse a bad head
 *      (NUL in the request line, Content-Length framing, sizes, Content-Type; answered at
 *      once, the connection closed), start the body deadline;
 *   2. body calls: append to the capped body buffer (over the cap: remember, discard);
 *   3. last call: route; a cheap handler runs here and its response is queued; an offloaded
 *      one goes to the worker pool with the connection suspended, and the call after
 *      MHD_resume_connection queues what the worker left;
 *   4. completion callback: access log, metrics, free the request (and its arena); the next
 *      head's deadline starts.
 * Threading: MHD's epoll thread pool; a request is parsed and answered on one thread, and
 * runs on a worker thread in between when its route is offloaded (the connection is then
 * suspended, so no MHD thread touches it meanwhile). Connection deadlines: guard.c.
 *
 * The NUL check relies on libmicrohttpd (0.9.75) parsing the request line in place: method,
 * target and version are consecutive in its buffer, each ended by a NUL where the space was.
 * A NUL byte inside the line ends one of them early, which shows as a gap between them
 * (tests/http/test_server_guard.c keeps this honest). */
#define _GNU_SOURCE
#include "http/http_internal.h"
#include "http/problem.h"

#include <arpa/inet.h>
#include <ctype.h>
#include <microhttpd.h>
#include <netinet/in.h>
#include <sodium.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <errno.h>
#include <strings.h>
#include <time.h>
#include <unistd.h>

#include "base/alloc.h"
#include "base/json.h"
#include "base/log.h"
#include "base/trace.h"
#include "base/strbuf.h"

#define MAX_TARGET       8192  /* request target bytes, else 414 */
#define MAX_HEAD         32768 /* request line + headers, else 431 */
#define CONN_MEMORY      65536 /* libmicrohttpd's memory per connection */
#define MAX_CORS_ORIGINS 16
#define CORS_HEADERS                                                                               \
    "Authorization, Content-Type, Idempotency-Key, X-API-Key, X-Request-Id, traceparent"

#define MAX_EXTRA_HEADERS 8

struct ct_http_server {
    struct MHD_Daemon *daemon;
    ct_router *router;
    ct_http_options opt;
    int port;
    ct_http_guard *guard;
    ct_http_pool *pool;
    char *origins[MAX_CORS_ORIGINS]; /* the CORS allow-list, owned */
    ct_proxies *proxies;             /* trusted proxies, owned (empty: none) */
    int norigins;
    char hsts[48];
};

struct ct_http_req {
    ct_http_server *server;
    struct MHD_Connection *conn;
    ct_arena *arena;
    const char *method;
    const char *path;
    char request_id[40];
    ct_trace trace; /* this request's span (base/trace.h) */
    char client_ip[48];
    struct timespec started;
    const char *raw_target; /* in libmicrohttpd's buffer, from the URI log callback */
    size_t raw_target_len;
    int head_done;         /* the first access-handler call happened */
    _Atomic int offloaded; /* 1 = on the worker pool, 2 = its response is ready */
    ct_http_conn *gconn;   /* the connection's deadline record, may be NULL */
    ct_strbuf body;
    int body_too_large;
    ct_route *route;
    ct_http_param_kv params[CT_HTTP_MAX_PARAMS];
    int nparams;
    /* response */
    struct MHD_Response *response;
    int status;
    const char *hdr_name[MAX_EXTRA_HEADERS];
    const char *hdr_value[MAX_EXTRA_HEADERS];
    int nhdr;
};

/* ---- accessors ---- */

const char *ct_http_method(const ct_http_req *req)
{
    return req->method;
}

const char *ct_http_path(const ct_http_req *req)
{
    return req->path;
}

const char *ct_http_request_id(const ct_http_req *req)
{
    return req->request_id;
}

ct_arena *ct_http_arena(ct_http_req *req)
{
    return req->arena;
}

const char *ct_http_query(ct_http_req *req, const char *name)
{
    return MHD_lookup_connection_value(req->conn, MHD_GET_ARGUMENT_KIND, name);
}

const char *ct_http_header(ct_http_req *req, const char *name)
{
    return MHD_lookup_connection_value(req->conn, MHD_HEADER_KIND, name);
}

const char *ct_http_param(const ct_http_req *req, const char *name)
{
    for (int i = 0; i < req->nparams; i++) {
        if (strcmp(req->params[i].name, name) == 0)
            return req->params[i].value;
    }
    return NULL;
}

#define MAX_XFF_LINES 8

typedef struct xff_lines {
    const char *v[MAX_XFF_LINES];
    int n;
} xff_lines;

static enum MHD_Result collect_xff(void *cls, enum MHD_ValueKind kind, const char *key,
                                   const char *value)
{
    (void)kind;
    xff_lines *x = cls;
    if (key != NULL && value != NULL && strcasecmp(key, "X-Forwarded-For") == 0 &&
        x->n < MAX_XFF_LINES)
        x->v[x->n++] = value;
    return MHD_YES;
}

/* The connection's peer address as text into `out`; "unknown" when not available. */
static void peer_address(struct MHD_Connection *conn, char *out, size_t len)
{
    const union MHD_ConnectionInfo *info =
        MHD_get_connection_info(conn, MHD_CONNECTION_INFO_CLIENT_ADDRESS);
    const struct sockaddr *sa = info ? info->client_addr : NULL;
    const char *ok = NULL;
    if (sa != NULL && sa->sa_family == AF_INET)
        ok = inet_ntop(AF_INET, &((const struct sockaddr_in *)sa)->sin_addr, out, (socklen_t)len);
    else if (sa != NULL && sa->sa_family == AF_INET6)
        ok =
            inet_ntop(AF_INET6, &((const struct sockaddr_in6 *)sa)->sin6_addr, out, (socklen_t)len);
    if (ok == NULL)
        snprintf(out, len, "unknown");
}

/* The peer, or behind a trusted proxy the client X-Forwarded-For names (proxies.c). Computed
 * once per request; every user of the address (rate limits, sign-in throttle, security log,
 * access log) reads it here. */
const char *ct_http_client_ip(ct_http_req *req)
{
    if (req->client_ip[0])
        return req->client_ip;
    char peer[INET6_ADDRSTRLEN];
    peer_address(req->conn, peer, sizeof(peer));
    const ct_proxies *proxies = req->server->proxies;
    if (ct__proxies_count(proxies) == 0 || !ct__proxies_trusted(proxies, peer)) {
        snprintf(req->client_ip, sizeof(req->client_ip), "%s", peer);
        return req->client_ip;
    }
    xff_lines x = {.n = 0};
    MHD_get_connection_values(req->conn, MHD_HEADER_KIND, collect_xff, &x);
    ct__proxies_client(proxies, peer, x.v, x.n, req->client_ip, sizeof(req->client_ip));
    return req->client_ip;
}

const char *ct_http_body(const ct_http_req *req, size_t *len_out)
{
    if (len_out != NULL)
        *len_out = req->body.len;
    return ct_strbuf_str(&req->body);
}

/* ---- responses ---- */

static void set_response(ct_http_req *req, int status, struct MHD_Response *resp,
                         const char *content_type)
{
    if (req->response != NULL)
        MHD_destroy_response(req->response);
    req->response = resp;
    req->status = status;
    if (resp != NULL && content_type != NULL)
        MHD_add_response_header(resp, MHD_HTTP_HEADER_CONTENT_TYPE, content_type);
}

void ct_http_reply(ct_http_req *req, int status, const char *content_type, const char *body,
                   size_t len)
{
    struct MHD_Response *resp =
        MHD_create_response_from_buffer(len, (void *)body, MHD_RESPMEM_MUST_COPY);
    set_response(req, status, resp, content_type);
}

void ct_http_reply_json(ct_http_req *req, int status, json_t *body)
{
    char *text = NULL;
    ct_status rc =
        ct_json_dumps(body, JSON_COMPACT | JSON_PRESERVE_ORDER | JSON_REAL_PRECISION(9), &text);
    json_decref(body);
    if (rc) {
        ct_http_problem(req, 500, "Internal error", "could not serialise the response");
        return;
    }
    struct MHD_Response *resp =
        MHD_create_response_from_buffer_with_free_callback(strlen(text), text, ct_free);
    if (resp == NULL)
        ct_free(text);
    set_response(req, status, resp, "application/json");
}

void ct_http_reply_fd(ct_http_req *req, int status, const char *content_type, int fd, size_t size)
{
    struct MHD_Response *resp = MHD_create_response_from_fd(size, fd);
    if (resp == NULL)
        close(fd);
    set_response(req, status, resp, content_type);
}

void ct_http_add_header(ct_http_req *req, const char *name, const char *value)
{
    if (req->nhdr == MAX_EXTRA_HEADERS)
        return;
    req->hdr_name[req->nhdr] = ct_arena_strdup(req->arena, name);
    req->hdr_value[req->nhdr] = ct_arena_strdup(req->arena, value);
    if (req->hdr_name[req->nhdr] && req->hdr_value[req->nhdr])
        req->nhdr++;
}

/* ---- middleware ---- */

/* Accepts the client's X-Request-Id when it is 1-36 characters of [A-Za-z0-9._-]. */
static void take_request_id(ct_http_req *req)
{
    const char *id = ct_http_header(req, "X-Request-Id");
    size_t n = id ? strlen(id) : 0;
    int ok = n > 0 && n <= 36;
    for (size_t i = 0; ok && i < n; i++) {
        unsigned char c = (unsigned char)id[i];
        ok = isalnum(c) || c == '.' || c == '_' || c == '-';
    }
    if (ok) {
        memcpy(req->request_id, id, n + 1);
        return;
    }
    unsigned char raw[12];
    randombytes_buf(raw, sizeof(raw));
    sodium_bin2hex(req->request_id, sizeof(req->request_id), raw, sizeof(raw));
}

static const char *allowed_origin(ct_http_req *req)
{
    const char *origin = ct_http_header(req, "Origin");
    for (int i = 0; origin != NULL && i < req->server->norigins; i++) {
        if (strcmp(origin, req->server->origins[i]) == 0)
            return origin;
    }
    return NULL;
}

/* OPTIONS on a path some route has: 204 with Allow (no Origin), 403 for an origin not in the
 * allow-list, else the preflight answer (Access-Control-Allow-Origin is added by queue()). */
static void answer_options(ct_http_req *req, const char *allow)
{
    if (ct_http_header(req, "Origin") != NULL && allowed_origin(req) == NULL) {
        ct_http_problem(req, 403, "Forbidden", "this origin may not call the API cross-origin");
        return;
    }
    ct_http_reply(req, 204, NULL, "", 0);
    ct_http_add_header(req, "Allow", allow);
    if (allowed_origin(req) != NULL) {
        ct_http_add_header(req, "Access-Control-Allow-Methods", allow);
        ct_http_add_header(req, "Access-Control-Allow-Headers", CORS_HEADERS);
        ct_http_add_header(req, "Access-Control-Max-Age", "600");
    }
}

/* Finds the route; answers at once what needs no handler (413, preflight, 404, 405). */
static void route(ct_http_req *req)
{
    ct_router *r = req->server->router;
    if (req->body_too_large) {
        req->route = &r->unmatched_route;
        char detail[96];
        snprintf(detail, sizeof(detail), "request body exceeds %zu bytes",
                 req->server->opt.max_body);
        ct_http_problem(req, 413, "Payload too large", detail);
        return;
    }
    int path_matched = 0;
    char allow[128];
    req->route = ct__router_match(r, req->arena, req->method, req->path, req->params, &req->nparams,
                                  &path_matched, allow, sizeof(allow));
    if (req->route == NULL && strcmp(req->method, "OPTIONS") == 0) {
        req->route = &r->unmatched_route;
        if (path_matched)
            answer_options(req, allow);
        else
            ct_http_problem(req, 404, "Not found", "no route for this path");
        return;
    }
    if (req->route == NULL && path_matched) {
        req->route = &r->unmatched_route;
        ct_http_problem(req, 405, "Method not allowed", NULL);
        ct_http_add_header(req, "Allow", allow);
        return;
    }
    if (req->route == NULL && r->fallback != NULL &&
        (strcmp(req->method, "GET") == 0 || strcmp(req->method, "HEAD") == 0) &&
        strncmp(req->path, "/api/", 5) != 0) {
        req->route = &r->fallback_route;
    } else if (req->route == NULL) {
        req->route = &r->unmatched_route;
        ct_http_problem(req, 404, "Not found", "no route for this path");
    }
}

/* Runs the route's handler (any thread) as the request's span; a handler that set no
 * response gets a 500. */
static void run_handler(ct_http_req *req)
{
    ct_router *r = req->server->router;
    ct_trace_set_current(&req->trace);
    if (req->route == &r->fallback_route)
        r->fallback(req, r->fallback_ctx);
    else
        req->route->handler(req, req->route->ctx);
    if (req->response == NULL)
        ct_http_problem(req, 500, "Internal error", "the handler produced no response");
    ct_trace_set_current(NULL);
}

/* ---- the worker pool ---- */

static void suspend_for_worker(void *arg)
{
    ct_http_req *req = arg;
    atomic_store(&req->offloaded, 1);
    MHD_suspend_connection(req->conn);
}

static void run_offloaded(void *arg)
{
    ct_http_req *req = arg;
    run_handler(req);
    atomic_store(&req->offloaded, 2);
    MHD_resume_connection(req->conn);
}

static void answer_busy(ct_http_req *req)
{
    ct_http_problem(req, 503, "Service unavailable", "the server is busy; retry shortly");
    ct_http_add_header(req, "Retry-After", "1");
}

static enum MHD_Result queue(ct_http_req *req)
{
    if (req->response == NULL) {
        ct_http_reply(req, 500, "text/plain", "out of memory", 13);
        if (req->response == NULL)
            return MHD_NO;
    }
    struct MHD_Response *resp = req->response;
    const ct_http_server *s = req->server;
    MHD_add_response_header(resp, "X-Request-Id", req->request_id);
    char tp[CT_TRACEPARENT_LEN + 1];
    ct_trace_format(&req->trace, tp, sizeof(tp));
    MHD_add_response_header(resp, "traceparent", tp);
    if (s->norigins > 0) {
        const char *origin = allowed_origin(req);
        if (origin != NULL) {
            MHD_add_response_header(resp, "Access-Control-Allow-Origin", origin);
            MHD_add_response_header(resp, "Access-Control-Expose-Headers",
                                    "X-Request-Id, Retry-After, Location, traceparent");
        }
        MHD_add_response_header(resp, "Vary", "Origin");
    }
    if (s->opt.csp[0])
        MHD_add_response_header(resp, "Content-Security-Policy", s->opt.csp);
    MHD_add_response_header(resp, "X-Frame-Options", "DENY");
    MHD_add_response_header(resp, "Referrer-Policy", "strict-origin-when-cross-origin");
    MHD_add_response_header(resp, "X-Content-Type-Options", "nosniff");
    if (s->hsts[0])
        MHD_add_response_header(resp, "Strict-Transport-Security", s->hsts);
    for (int i = 0; i < req->nhdr; i++)
        MHD_add_response_header(resp, req->hdr_name[i], req->hdr_value[i]);
    enum MHD_Result ret = MHD_queue_response(req->conn, (unsigned)req->status, resp);
    MHD_destroy_response(resp);
    req->response = NULL;
    return ret;
}

/* ---- MHD callbacks ---- */

static ct_http_req *request_alloc(ct_http_server *s, struct MHD_Connection *conn)
{
    ct_http_req *req = ct_calloc(1, sizeof(*req));
    if (req == NULL)
        return NULL;
    req->arena = ct_arena_create(64u << 20);
    if (req->arena == NULL) {
        ct_free(req);
        return NULL;
    }
    req->server = s;
    req->conn = conn;
    clock_gettime(CLOCK_MONOTONIC, &req->started);
    ct_strbuf_init(&req->body, s->opt.max_body);
    return req;
}

static void request_free(ct_http_req *req)
{
    if (req->response != NULL)
        MHD_destroy_response(req->response);
    ct_strbuf_free(&req->body);
    ct_arena_destroy(req->arena);
    ct_free(req);
}

/* URI log callback: the request line is parsed, the headers are not yet. */
static void *on_request_line(void *cls, const char *uri, struct MHD_Connection *conn)
{
    ct_http_req *req = request_alloc(cls, conn);
    if (req != NULL) {
        req->raw_target = uri;
        req->raw_target_len = strlen(uri);
    }
    return req;
}

/* 1 when a NUL byte cut the method, the target or the version short (see the top). */
static int request_line_has_nul(const ct_http_req *req, const char *method, const char *version)
{
    if (req->raw_target == NULL || version == NULL)
        return 0;
    const char *p = method + strlen(method) + 1; /* after the NUL that was the first space */
    if (p > req->raw_target)
        return 1;
    for (; p < req->raw_target; p++) {
        if (*p != ' ')
            return 1;
    }
    return req->raw_target + req->raw_target_len + 1 != version;
}

typedef struct framing {
    int content_lengths, bad_length, transfer_encoding;
    unsigned long long length;
} framing;

static enum MHD_Result count_framing(void *cls, enum MHD_ValueKind kind, const char *key,
                                     const char *value)
{
    (void)kind;
    framing *f = cls;
    if (strcasecmp(key, "Content-Length") == 0) {
        f->content_lengths++;
        size_t n = strlen(value);
        if (n == 0 || n > 18 || strspn(value, "0123456789") != n)
            f->bad_length = 1;
        else
            f->length = strtoull(value, NULL, 10);
    } else if (strcasecmp(key, "Transfer-Encoding") == 0) {
        f->transfer_encoding = 1;
    }
    return MHD_YES;
}

/* application/json or application/SOMETHING+json, with any parameters (charset). */
static int is_json_type(const char *type)
{
    if (type == NULL)
        return 0;
    type += strspn(type, " \t");
    size_t n = strcspn(type, ";");
    while (n > 0 && (type[n - 1] == ' ' || type[n - 1] == '\t'))
        n--;
    if (n == 16 && strncasecmp(type, "application/json", 16) == 0)
        return 1;
    return n > 17 && strncasecmp(type, "application/", 12) == 0 &&
           memchr(type + 12, '/', n - 12) == NULL && strncasecmp(type + n - 5, "+json", 5) == 0;
}

/* A form body on the one path that takes them (ct_http_options.form_path). */
static int is_form_body(const ct_http_server *s, const ct_http_req *req, const char *type)
{
    if (s->opt.form_path == NULL || type == NULL || strcmp(req->path, s->opt.form_path) != 0)
        return 0;
    type += strspn(type, " \t");
    return strncasecmp(type, "application/x-www-form-urlencoded", 33) == 0 ||
           strncasecmp(type, "multipart/form-data", 19) == 0;
}

static void refuse_head(ct_http_req *req, int status, const char *title, const char *detail)
{
    req->route = &req->server->router->unmatched_route;
    ct_http_problem(req, status, title, detail);
    ct_http_add_header(req, "Connection", "close");
}

/* The checks of a complete head, before the body is read. 1 when a refusal was set. */
static int check_head(ct_http_req *req, const char *method, const char *version)
{
    ct_http_server *s = req->server;
    if (request_line_has_nul(req, method, version)) {
        refuse_head(req, 400, "Bad request", "a NUL byte in the request line");
        return 1;
    }
    size_t target = req->raw_target ? req->raw_target_len : strlen(req->path);
    if (target > MAX_TARGET) {
        refuse_head(req, 414, "URI too long", "the request target exceeds 8192 bytes");
        return 1;
    }
    const union MHD_ConnectionInfo *hs =
        MHD_get_connection_info(req->conn, MHD_CONNECTION_INFO_REQUEST_HEADER_SIZE);
    if (hs != NULL && hs->header_size > MAX_HEAD) {
        refuse_head(req, 431, "Request header fields too large",
                    "the request head exceeds 32768 bytes");
        return 1;
    }
    framing f = {0};
    MHD_get_connection_values(req->conn, MHD_HEADER_KIND, count_framing, &f);
    if (f.content_lengths > 1 || f.bad_length || (f.content_lengths && f.transfer_encoding)) {
        refuse_head(req, 400, "Bad request",
                    f.content_lengths > 1 ? "more than one Content-Length"
                    : f.bad_length        ? "Content-Length is not a decimal number"
                                          : "both Content-Length and Transfer-Encoding");
        return 1;
    }
    if (f.length > s->opt.max_body) {
        req->body_too_large = 1;
        route(req); /* the 413 */
        return 1;
    }
    if (!s->opt.any_body_type && (f.length > 0 || f.transfer_encoding) &&
        !is_json_type(ct_http_header(req, "Content-Type")) &&
        !is_form_body(s, req, ct_http_header(req, "Content-Type"))) {
        refuse_head(req, 415, "Unsupported media type",
                    "send the request body as application/json");
        return 1;
    }
    return 0;
}

/* The first access-handler call: the head is complete. MHD_NO when out of memory. */
static enum MHD_Result begin_request(ct_http_req *req, const char *url, const char *method,
                                     const char *version)
{
    req->head_done = 1;
    req->method = ct_arena_strdup(req->arena, method);
    req->path = ct_arena_strdup(req->arena, url);
    if (req->method == NULL || req->path == NULL)
        return MHD_NO;
    take_request_id(req);
    ct_trace_start(&req->trace, ct_http_header(req, "traceparent"));
    const union MHD_ConnectionInfo *ci =
        MHD_get_connection_info(req->conn, MHD_CONNECTION_INFO_SOCKET_CONTEXT);
    req->gconn = ci != NULL ? ci->socket_context : NULL;
    if (check_head(req, method, version))
        return queue(req);
    ct__guard_deadline(req->gconn, req->server->opt.body_timeout_ms);
    return MHD_YES;
}

static enum MHD_Result on_request(void *cls, struct MHD_Connection *conn, const char *url,
                                  const char *method, const char *version, const char *upload_data,
                                  size_t *upload_data_size, void **con_cls)
{
    ct_http_server *s = cls;
    ct_http_req *req = *con_cls;
    if (req == NULL) { /* the URI log callback could not allocate */
        req = request_alloc(s, conn);
        if (req == NULL)
            return MHD_NO;
        *con_cls = req;
    }
    if (!req->head_done)
        return begin_request(req, url, method, version);
    if (*upload_data_size != 0) {
        if (!req->body_too_large &&
            ct_strbuf_append(&req->body, upload_data, *upload_data_size) != CT_OK)
            req->body_too_large = 1;
        *upload_data_size = 0;
        return MHD_YES;
    }
    if (atomic_load(&req->offloaded) == 2) /* resumed: the worker's response */
        return queue(req);
    ct__guard_deadline(req->gconn, 0);
    route(req);
    if (req->response == NULL && req->route->offload) {
        if (ct__pool_submit(s->pool, run_offloaded, req, suspend_for_worker, req) == CT_OK)
            return MHD_YES;
        answer_busy(req);
    } else if (req->response == NULL) {
        run_handler(req);
    }
    return queue(req);
}

/* Connection notifications: the deadline record of every open connection. */
static void on_connection(void *cls, struct MHD_Connection *conn, void **socket_context,
                          enum MHD_ConnectionNotificationCode code)
{
    ct_http_server *s = cls;
    if (code == MHD_CONNECTION_NOTIFY_STARTED) {
        const union MHD_ConnectionInfo *ci =
            MHD_get_connection_info(conn, MHD_CONNECTION_INFO_CONNECTION_FD);
        *socket_context =
            ci != NULL ? ct__guard_add(s->guard, ci->connect_fd, s->opt.header_timeout_ms) : NULL;
    } else {
        ct__guard_remove(s->guard, *socket_context);
        *socket_context = NULL;
    }
}

static uint64_t elapsed_us(const struct timespec *start)
{
    struct timespec now;
    clock_gettime(CLOCK_MONOTONIC, &now);
    return (uint64_t)(now.tv_sec - start->tv_sec) * 1000000u +
           (uint64_t)((now.tv_nsec - start->tv_nsec) / 1000);
}

static void on_completed(void *cls, struct MHD_Connection *conn, void **con_cls,
                         enum MHD_RequestTerminationCode toe)
{
    (void)conn;
    ct_http_server *s = cls;
    ct_http_req *req = *con_cls;
    if (req == NULL)
        return;
    if (req->method == NULL) /* refused by libmicrohttpd before the head was complete */
        req->method = req->path = "";
    uint64_t us = elapsed_us(&req->started);
    int status = req->status ? req->status : 499;
    if (req->route != NULL)
        ct__route_stats_record(&req->route->stats, status, us);
    if (s->opt.access_log) {
        char st[8], dur[24];
        snprintf(st, sizeof(st), "%d", status);
        snprintf(dur, sizeof(dur), "%.3f", (double)us / 1000.0);
        if (req->trace.trace_id[0])
            ct_trace_set_current(&req->trace); /* the access line carries the trace id */
        ct_log(CT_LOG_INFO, "http.access", "request_id", req->request_id, "method", req->method,
               "path", req->path, "client_ip", ct_http_client_ip(req), "route",
               req->route ? req->route->pattern : "", "status", st, "ms", dur, "completed",
               toe == MHD_REQUEST_TERMINATED_COMPLETED_OK ? "ok" : "aborted", NULL);
        ct_trace_set_current(NULL);
    }
    if (req->trace.trace_id[0] && ct_trace_sink_on()) { /* the request's span, for OTLP */
        ct_trace_span span = {.ctx = req->trace, .kind = 2, .http_status = status};
        span.end_ns = ct_trace_now_ns();
        span.start_ns = span.end_ns - (int64_t)us * 1000;
        span.error = status >= 500;
        snprintf(span.name, sizeof(span.name), "%s %s", req->method,
                 req->route ? req->route->pattern : "(no route)");
        ct_trace_report(&span);
    }
    /* The next request's head must arrive within the header time-out from now. */
    ct__guard_deadline(req->gconn, s->opt.header_timeout_ms);
    request_free(req);
    *con_cls = NULL;
}

static void mhd_log(void *cls, const char *fmt, va_list ap) __attribute__((format(printf, 2, 0)));

static void mhd_log(void *cls, const char *fmt, va_list ap)
{
    (void)cls;
    char msg[512];
    vsnprintf(msg, sizeof(msg), fmt, ap);
    size_t n = strlen(msg);
    while (n > 0 && msg[n - 1] == '\n')
        msg[--n] = '\0';
    /* What every refused or hung-up client causes is no warning: under a flood it would
     * be thousands of lines a second. */
    int noise = strstr(msg, "connection limit") != NULL || strstr(msg, "connection closure") ||
                strstr(msg, "Connection reset") || strstr(msg, "Closing connection");
    ct_log(noise ? CT_LOG_DEBUG : CT_LOG_WARN, "http.mhd", "message", msg, NULL);
}

/* Frees what start made besides the daemon (the allow-list, the pool, the guard). */
static void server_free(ct_http_server *s)
{
    ct__pool_stop(s->pool);
    ct__guard_stop(s->guard);
    for (int i = 0; i < s->norigins; i++)
        ct_free(s->origins[i]);
    ct__proxies_free(s->proxies);
    ct_free(s);
}

/* Splits opt.cors_origins at commas (spaces trimmed) into s->origins. */
static ct_status parse_origins(ct_http_server *s)
{
    const char *p = s->opt.cors_origins ? s->opt.cors_origins : "";
    while (*p) {
        p += strspn(p, " ,");
        size_t n = strcspn(p, ",");
        size_t len = n;
        while (len > 0 && p[len - 1] == ' ')
            len--;
        if (len > 0) {
            if (s->norigins == MAX_CORS_ORIGINS)
                return CT_INVALID;
            s->origins[s->norigins] = ct_malloc(len + 1);
            if (s->origins[s->norigins] == NULL)
                return CT_NOMEM;
            memcpy(s->origins[s->norigins], p, len);
            s->origins[s->norigins++][len] = '\0';
        }
        p += n;
    }
    return CT_OK;
}

/* SO_REUSEPORT only when asked: without it (MHD's default, SO_REUSEADDR alone) binding a
 * port another live server holds fails. */
static struct MHD_OptionItem share_port[] = {
    {MHD_OPTION_LISTENING_ADDRESS_REUSE, 1, NULL},
    {MHD_OPTION_END, 0, NULL},
};
static struct MHD_OptionItem own_port[] = {{MHD_OPTION_END, 0, NULL}};

/* Refuses a port a live server listens on, with a message saying so (MHD only says it
 * failed). A server that shares (SO_REUSEPORT on both sides) is let through. */
static ct_status port_free(const struct sockaddr_in *addr, int reuse_port)
{
    if (addr->sin_port == 0)
        return CT_OK;
    int fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
    if (fd < 0)
        return CT_IO;
    int one = 1;
    setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one));
    if (reuse_port)
        setsockopt(fd, SOL_SOCKET, SO_REUSEPORT, &one, sizeof(one));
    int bound = bind(fd, (const struct sockaddr *)addr, sizeof(*addr));
    int e = errno;
    close(fd);
    if (bound == 0)
        return CT_OK;
    char port[16];
    snprintf(port, sizeof(port), "%u", (unsigned)ntohs(addr->sin_port));
    ct_log(CT_LOG_ERROR, "http.start", "port", port, "error",
           e == EADDRINUSE ? "the port is in use by another server (reuse_port shares it)"
                           : strerror(e),
           NULL);
    return e == EADDRINUSE ? CT_CONFLICT : CT_IO;
}

ct_status ct_http_server_start(const ct_http_options *opt, ct_router *router, ct_http_server **out)
{
    if (sodium_init() < 0)
        return CT_ERR;
    ct_http_server *s = ct_calloc(1, sizeof(*s));
    if (s == NULL)
        return CT_NOMEM;
    s->router = router;
    s->opt = *opt;
    if (s->opt.host == NULL)
        s->opt.host = "127.0.0.1";
    if (s->opt.threads <= 0)
        s->opt.threads = 2;
    if (s->opt.max_body == 0)
        s->opt.max_body = 1u << 20;
    if (s->opt.per_ip_connections == 0)
        s->opt.per_ip_connections = 256;
    if (s->opt.header_timeout_ms <= 0)
        s->opt.header_timeout_ms = 10000;
    if (s->opt.body_timeout_ms <= 0)
        s->opt.body_timeout_ms = 30000;
    if (s->opt.csp == NULL)
        s->opt.csp = CT_HTTP_DEFAULT_CSP;
    if (s->opt.workers <= 0)
        s->opt.workers = 4;
    if (s->opt.queue <= 0)
        s->opt.queue = 64;
    if (s->opt.hsts_max_age > 0)
        snprintf(s->hsts, sizeof(s->hsts), "max-age=%ld", s->opt.hsts_max_age);
    ct_status rc = parse_origins(s);
    if (rc) {
        ct_log(CT_LOG_ERROR, "http.start", "error", "bad CORS origin list", NULL);
        server_free(s);
        return rc;
    }
    rc = ct__proxies_parse(s->opt.trusted_proxies, &s->proxies);
    if (rc) {
        ct_log(CT_LOG_ERROR, "http.start", "error", "bad trusted proxy list (addresses, CIDRs)",
               NULL);
        server_free(s);
        return rc;
    }

    struct sockaddr_in addr;
    memset(&addr, 0, sizeof(addr));
    addr.sin_family = AF_INET;
    addr.sin_port = htons((uint16_t)opt->port);
    if (inet_pton(AF_INET, s->opt.host, &addr.sin_addr) != 1) {
        ct_log(CT_LOG_ERROR, "http.start", "error", "host must be an IPv4 address", "host",
               s->opt.host, NULL);
        server_free(s);
        return CT_INVALID;
    }
    rc = port_free(&addr, s->opt.reuse_port);
    if (rc) {
        server_free(s);
        return rc;
    }
    s->guard = ct__guard_start();
    s->pool = ct__pool_start(s->opt.workers, s->opt.queue);
    if (s->guard == NULL || s->pool == NULL) {
        server_free(s);
        return CT_NOMEM;
    }
    unsigned flags =
        MHD_USE_EPOLL_INTERNAL_THREAD | MHD_USE_ERROR_LOG | MHD_USE_ITC | MHD_ALLOW_SUSPEND_RESUME;
    unsigned per_ip = s->opt.per_ip_connections > 0 ? (unsigned)s->opt.per_ip_connections : 0;
    s->daemon = MHD_start_daemon(
        flags, (uint16_t)opt->port, NULL, NULL, on_request, s, MHD_OPTION_EXTERNAL_LOGGER, mhd_log,
        NULL, MHD_OPTION_SOCK_ADDR, &addr, MHD_OPTION_THREAD_POOL_SIZE, (unsigned)s->opt.threads,
        MHD_OPTION_NOTIFY_COMPLETED, on_completed, s, MHD_OPTION_NOTIFY_CONNECTION, on_connection,
        s, MHD_OPTION_URI_LOG_CALLBACK, on_request_line, s, MHD_OPTION_CONNECTION_TIMEOUT,
        (unsigned)60, MHD_OPTION_CONNECTION_LIMIT, (unsigned)4096,
        MHD_OPTION_PER_IP_CONNECTION_LIMIT, per_ip, MHD_OPTION_CONNECTION_MEMORY_LIMIT,
        (size_t)CONN_MEMORY, MHD_OPTION_ARRAY, s->opt.reuse_port ? share_port : own_port,
        MHD_OPTION_END);
    if (s->daemon == NULL) {
        server_free(s);
        return CT_IO;
    }
    const union MHD_DaemonInfo *info = MHD_get_daemon_info(s->daemon, MHD_DAEMON_INFO_BIND_PORT);
    s->port = info ? info->port : opt->port;
    *out = s;
    return CT_OK;
}

int ct_http_server_port(const ct_http_server *s)
{
    return s->port;
}

uint64_t ct_http_server_deadline_closes(const ct_http_server *s)
{
    return ct__guard_closed(s->guard);
}

/* Graceful stop: stop accepting first (quiesce), give open connections up to three seconds
 * to finish what they are doing, then run what is left on the worker pool (resuming its
 * connections), stop the threads and the deadline sweep. */
void ct_http_server_stop(ct_http_server *s)
{
    if (s == NULL)
        return;
    /* The listening socket is closed only after the daemon stopped: its workers take it out
     * of their epoll sets on their own after quiescing, and one that finds it closed already
     * (EBADF) aborts the process ("Failed to remove listen FD from epoll set"). */
    MHD_socket fd = MHD_quiesce_daemon(s->daemon);
    for (int i = 0; i < 300; i++) {
        const union MHD_DaemonInfo *info =
            MHD_get_daemon_info(s->daemon, MHD_DAEMON_INFO_CURRENT_CONNECTIONS);
        if (info == NULL || info->num_connections == 0)
            break;
        struct timespec ts = {0, 10 * 1000 * 1000};
        nanosleep(&ts, NULL);
    }
    ct__pool_stop(s->pool);
    s->pool = NULL;
    MHD_stop_daemon(s->daemon);
    if (fd != MHD_INVALID_SOCKET)
        close(fd);
    server_free(s);
}
