/* server.c: the libmicrohttpd front end: request lifecycle, middleware and responses.
 *
 * Lifecycle of one request (MHD calls the access handler several times):
 *   1. first call: allocate the ct_http_req and its arena, take the request id, check the
 *      declared Content-Length against the cap;
 *   2. body calls: append to the capped body buffer (over the cap: remember, discard);
 *   3. last call: run middleware and the handler, queue the response;
 *   4. completion callback: access log, metrics, free the request (and its arena).
 * Threading: MHD's epoll thread pool; a request stays on one thread from start to finish. */
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
#include <time.h>
#include <unistd.h>

#include "base/alloc.h"
#include "base/json.h"
#include "base/log.h"
#include "base/strbuf.h"

#define MAX_EXTRA_HEADERS 8

struct ct_http_server {
    struct MHD_Daemon *daemon;
    ct_router *router;
    ct_http_options opt;
    int port;
};

struct ct_http_req {
    ct_http_server *server;
    struct MHD_Connection *conn;
    ct_arena *arena;
    const char *method;
    const char *path;
    char request_id[40];
    char client_ip[48];
    struct timespec started;
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

const char *ct_http_client_ip(ct_http_req *req)
{
    if (req->client_ip[0])
        return req->client_ip;
    const union MHD_ConnectionInfo *info =
        MHD_get_connection_info(req->conn, MHD_CONNECTION_INFO_CLIENT_ADDRESS);
    const struct sockaddr *sa = info ? info->client_addr : NULL;
    const char *ok = NULL;
    if (sa != NULL && sa->sa_family == AF_INET)
        ok = inet_ntop(AF_INET, &((const struct sockaddr_in *)sa)->sin_addr, req->client_ip,
                       sizeof(req->client_ip));
    else if (sa != NULL && sa->sa_family == AF_INET6)
        ok = inet_ntop(AF_INET6, &((const struct sockaddr_in6 *)sa)->sin6_addr, req->client_ip,
                       sizeof(req->client_ip));
    if (ok == NULL)
        snprintf(req->client_ip, sizeof(req->client_ip), "unknown");
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

static void answer_preflight(ct_http_req *req)
{
    ct_http_reply(req, 204, NULL, "", 0);
    ct_http_add_header(req, "Access-Control-Allow-Methods", "GET, POST, PUT, PATCH, DELETE");
    ct_http_add_header(req, "Access-Control-Allow-Headers",
                       "Authorization, Content-Type, Idempotency-Key, X-Request-Id");
    ct_http_add_header(req, "Access-Control-Max-Age", "600");
}

static void dispatch(ct_http_req *req)
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
        answer_preflight(req);
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
        r->fallback(req, r->fallback_ctx);
    } else if (req->route == NULL) {
        req->route = &r->unmatched_route;
        ct_http_problem(req, 404, "Not found", "no route for this path");
        return;
    } else {
        req->route->handler(req, req->route->ctx);
    }
    if (req->response == NULL)
        ct_http_problem(req, 500, "Internal error", "the handler produced no response");
}

static enum MHD_Result queue(ct_http_req *req)
{
    if (req->response == NULL) {
        ct_http_reply(req, 500, "text/plain", "out of memory", 13);
        if (req->response == NULL)
            return MHD_NO;
    }
    struct MHD_Response *resp = req->response;
    MHD_add_response_header(resp, "X-Request-Id", req->request_id);
    MHD_add_response_header(resp, "Access-Control-Allow-Origin", req->server->opt.cors_origin);
    MHD_add_response_header(resp, "Access-Control-Expose-Headers",
                            "X-Request-Id, Retry-After, Location");
    MHD_add_response_header(resp, "X-Content-Type-Options", "nosniff");
    for (int i = 0; i < req->nhdr; i++)
        MHD_add_response_header(resp, req->hdr_name[i], req->hdr_value[i]);
    enum MHD_Result ret = MHD_queue_response(req->conn, (unsigned)req->status, resp);
    MHD_destroy_response(resp);
    req->response = NULL;
    return ret;
}

/* ---- MHD callbacks ---- */

static ct_http_req *request_new(ct_http_server *s, struct MHD_Connection *conn, const char *url,
                                const char *method)
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
    req->method = ct_arena_strdup(req->arena, method);
    req->path = ct_arena_strdup(req->arena, url);
    clock_gettime(CLOCK_MONOTONIC, &req->started);
    ct_strbuf_init(&req->body, s->opt.max_body);
    take_request_id(req);
    if (req->method == NULL || req->path == NULL) {
        ct_arena_destroy(req->arena);
        ct_free(req);
        return NULL;
    }
    const char *clen = MHD_lookup_connection_value(conn, MHD_HEADER_KIND, "Content-Length");
    if (clen != NULL && strtoull(clen, NULL, 10) > s->opt.max_body)
        req->body_too_large = 1;
    return req;
}

static enum MHD_Result on_request(void *cls, struct MHD_Connection *conn, const char *url,
                                  const char *method, const char *version, const char *upload_data,
                                  size_t *upload_data_size, void **con_cls)
{
    (void)version;
    ct_http_server *s = cls;
    ct_http_req *req = *con_cls;
    if (req == NULL) {
        req = request_new(s, conn, url, method);
        if (req == NULL)
            return MHD_NO;
        *con_cls = req;
        /* Reject an oversized declared body before reading it. */
        if (req->body_too_large) {
            dispatch(req);
            return queue(req);
        }
        return MHD_YES;
    }
    if (*upload_data_size != 0) {
        if (!req->body_too_large &&
            ct_strbuf_append(&req->body, upload_data, *upload_data_size) != CT_OK)
            req->body_too_large = 1;
        *upload_data_size = 0;
        return MHD_YES;
    }
    dispatch(req);
    return queue(req);
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
    uint64_t us = elapsed_us(&req->started);
    int status = req->status ? req->status : 499;
    if (req->route != NULL)
        ct__route_stats_record(&req->route->stats, status, us);
    if (s->opt.access_log) {
        char st[8], dur[24];
        snprintf(st, sizeof(st), "%d", status);
        snprintf(dur, sizeof(dur), "%.3f", (double)us / 1000.0);
        ct_log(CT_LOG_INFO, "http.access", "request_id", req->request_id, "method", req->method,
               "path", req->path, "route", req->route ? req->route->pattern : "", "status", st,
               "ms", dur, "completed",
               toe == MHD_REQUEST_TERMINATED_COMPLETED_OK ? "ok" : "aborted", NULL);
    }
    if (req->response != NULL)
        MHD_destroy_response(req->response);
    ct_strbuf_free(&req->body);
    ct_arena_destroy(req->arena);
    ct_free(req);
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
    ct_log(CT_LOG_WARN, "http.mhd", "message", msg, NULL);
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
    if (s->opt.cors_origin == NULL)
        s->opt.cors_origin = "*";

    struct sockaddr_in addr;
    memset(&addr, 0, sizeof(addr));
    addr.sin_family = AF_INET;
    addr.sin_port = htons((uint16_t)opt->port);
    if (inet_pton(AF_INET, s->opt.host, &addr.sin_addr) != 1) {
        ct_log(CT_LOG_ERROR, "http.start", "error", "host must be an IPv4 address", "host",
               s->opt.host, NULL);
        ct_free(s);
        return CT_INVALID;
    }
    unsigned flags = MHD_USE_EPOLL_INTERNAL_THREAD | MHD_USE_ERROR_LOG | MHD_USE_ITC;
    s->daemon = MHD_start_daemon(
        flags, (uint16_t)opt->port, NULL, NULL, on_request, s, MHD_OPTION_EXTERNAL_LOGGER, mhd_log,
        NULL, MHD_OPTION_SOCK_ADDR, &addr, MHD_OPTION_THREAD_POOL_SIZE, (unsigned)s->opt.threads,
        MHD_OPTION_NOTIFY_COMPLETED, on_completed, s, MHD_OPTION_CONNECTION_TIMEOUT, (unsigned)60,
        MHD_OPTION_CONNECTION_LIMIT, (unsigned)4096, MHD_OPTION_LISTENING_ADDRESS_REUSE,
        (unsigned)1, MHD_OPTION_EXTERNAL_LOGGER, mhd_log, NULL, MHD_OPTION_END);
    if (s->daemon == NULL) {
        ct_free(s);
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

/* Graceful stop: close the listening socket first, give open connections up to three seconds
 * to finish what they are doing, then stop the threads. */
void ct_http_server_stop(ct_http_server *s)
{
    if (s == NULL)
        return;
    MHD_socket fd = MHD_quiesce_daemon(s->daemon);
    if (fd != MHD_INVALID_SOCKET)
        close(fd);
    for (int i = 0; i < 300; i++) {
        const union MHD_DaemonInfo *info =
            MHD_get_daemon_info(s->daemon, MHD_DAEMON_INFO_CURRENT_CONNECTIONS);
        if (info == NULL || info->num_connections == 0)
            break;
        struct timespec ts = {0, 10 * 1000 * 1000};
        nanosleep(&ts, NULL);
    }
    MHD_stop_daemon(s->daemon);
    ct_free(s);
}
