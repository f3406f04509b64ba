/* http_fuzz.c: libFuzzer driver for the HTTP layer (http/http.h) as a client reaches it: the
 * request line's path and query string (decoded by libmicrohttpd), the router's literal and
 * `{param}` segments, 404/405 with Allow, CORS preflights, the request id taken from
 * X-Request-Id, and the static file fallback with its path checks.
 *
 * A real server (ct_http_server_start on a loopback port) runs a few routes shaped like the
 * API's and serves a folder of static files; a file beside that folder holds a secret. Input:
 * one byte choosing the method, then the request target up to the first newline, then
 * header lines. Each input is one request on its own connection. Checks: a status line with
 * a code the layer produces (never 500: every handler answers), the secret never in an
 * answer (no path escapes the static root), the request id a handler sees is a token of
 * at most 39 printable characters, a route's parameters are non-empty and free of '/'.
 * A broken promise traps. */
#define _GNU_SOURCE
#include <ctype.h>
#include <string.h>
#include <sys/stat.h>

#include "fuzz_http.h"
#include "http/http.h"

#define SECRET "SECRET-6f1d0c"

static int port;

static void echo(ct_http_req *req, void *ctx)
{
    const char *const *params = ctx;
    const char *id = ct_http_request_id(req);
    size_t n = strlen(id);
    for (size_t i = 0; i < n; i++) {
        if (!isgraph((unsigned char)id[i]))
            __builtin_trap();
    }
    if (n == 0 || n > 39)
        __builtin_trap();
    char out[4096] = "";
    size_t len = 0;
    for (int i = 0; params != NULL && params[i] != NULL; i++) {
        const char *v = ct_http_param(req, params[i]);
        if (v == NULL || v[0] == '\0' || strchr(v, '/') != NULL)
            __builtin_trap();
        len += (size_t)snprintf(out + len, sizeof(out) - len, "%s=%.200s\n", params[i], v);
    }
    static const char *const queries[] = {"q", "limit", "origin", "date", "", NULL};
    for (int i = 0; queries[i] != NULL && len < sizeof(out) - 300; i++) {
        const char *v = ct_http_query(req, queries[i]);
        if (v != NULL)
            len += (size_t)snprintf(out + len, sizeof(out) - len, "?%s=%.200s\n", queries[i], v);
    }
    size_t blen;
    (void)ct_http_body(req, &blen);
    (void)ct_http_header(req, "Authorization");
    (void)ct_http_client_ip(req);
    ct_http_reply(req, 200, "text/plain", out, strlen(out));
}

int LLVMFuzzerInitialize(int *argc, char ***argv)
{
    (void)argc;
    (void)argv;
    static char root[300];
    char path[400];
    const char *dir = fz_tempdir("http");
    snprintf(path, sizeof(path), "%s/secret.txt", dir);
    fz_write_file(path, SECRET, strlen(SECRET));
    snprintf(root, sizeof(root), "%s/www", dir);
    mkdir(root, 0700);
    snprintf(path, sizeof(path), "%s/assets", root);
    mkdir(path, 0700);
    snprintf(path, sizeof(path), "%s/index.html", root);
    fz_write_file(path, "<html>app</html>", 16);
    snprintf(path, sizeof(path), "%s/assets/app-1234.js", root);
    fz_write_file(path, "console.log(1)", 14);
    static const char *const code[] = {"code", NULL}, *const two[] = {"x", "y", NULL},
                             *const id[] = {"id", NULL};
    ct_router *r = ct_router_create();
    if (r == NULL || ct_router_add(r, "GET", "/api/v1/airports", echo, NULL) ||
        ct_router_add(r, "GET", "/api/v1/airports/{code}", echo, (void *)code) ||
        ct_router_add(r, "POST", "/api/v1/searches", echo, NULL) ||
        ct_router_add(r, "GET", "/a/{x}/b/{y}", echo, (void *)two) ||
        ct_router_add(r, "PUT", "/api/v1/me/travellers/{id}", echo, (void *)id) ||
        ct_router_add(r, "DELETE", "/api/v1/me/travellers/{id}", echo, (void *)id))
        abort();
    ct_router_set_fallback(r, ct_http_serve_static, root);
    ct_http_options opt = {.port = 0, .threads = 2, .max_body = 4096};
    ct_http_server *s = NULL;
    if (ct_http_server_start(&opt, r, &s) != CT_OK)
        abort();
    port = ct_http_server_port(s);
    return 0; /* the server runs until the process exits */
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    static const char *const methods[] = {"GET",     "POST", "PUT",   "DELETE",
                                          "OPTIONS", "HEAD", "PATCH", "GET"};
    if (size < 1)
        return 0;
    const char *target = (const char *)data + 1;
    size_t tlen = size - 1;
    const char *nl = memchr(target, '\n', tlen);
    size_t line = nl != NULL ? (size_t)(nl - target) : tlen;
    size_t cap = 2 * size + 256;
    char *req = malloc(cap);
    int n = snprintf(req, cap, "%s %.*s HTTP/1.1\r\nHost: fuzz\r\nConnection: close\r\n",
                     methods[data[0] & 7], (int)line, target);
    /* Header lines, each ended by CRLF; no empty line (it would end the header) and no
     * obsolete folding (libmicrohttpd 0.9.75 then waits for its 60 s connection timeout on
     * a half-closed connection instead of answering: not this layer's code). */
    for (const char *p = nl; p != NULL && p < target + tlen;) {
        const char *b = p + 1, *e = memchr(b, '\n', (size_t)(target + tlen - b));
        size_t l = (size_t)((e != NULL ? e : target + tlen) - b);
        while (l > 0 && b[l - 1] == '\r')
            l--;
        while (l > 0 && (*b == ' ' || *b == '\t')) {
            b++;
            l--;
        }
        if (l > 0) {
            memcpy(req + n, b, l);
            n += (int)l;
            memcpy(req + n, "\r\n", 2);
            n += 2;
        }
        p = e;
    }
    memcpy(req + n, "\r\n", 2);
    n += 2;
    fz_answer a;
    fz_http(port, req, (size_t)n, &a);
    free(req);
    if (a.len > 0 && (a.status < 100 || a.status == 500 || a.status > 599))
        __builtin_trap();
    if (strstr(a.text, SECRET) != NULL && memmem(data, size, SECRET, strlen(SECRET)) == NULL)
        __builtin_trap(); /* a path escaped the static root (not an echo of the request) */
    free(a.text);
    return 0;
}
