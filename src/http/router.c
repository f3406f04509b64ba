/* router.c: method + path routing with `{param}` segments.
 *
 * Matching walks the route array in order and compares segment by segment; the table is
 * small (tens of routes), so a linear scan costs less than a request's header parsing. A path
 * with an empty segment, a "." or ".." segment never matches a parameter. */
#include "http/http_internal.h"

#include <string.h>

#include "base/alloc.h"

ct_router *ct_router_create(void)
{
    ct_router *r = ct_calloc(1, sizeof(*r));
    if (r == NULL)
        return NULL;
    r->fallback_route.pattern = "(static)";
    r->fallback_route.method = "GET";
    r->unmatched_route.pattern = "(unmatched)";
    r->unmatched_route.method = "*";
    return r;
}

void ct_router_destroy(ct_router *r)
{
    if (r == NULL)
        return;
    ct_free(r->routes);
    ct_free(r);
}

ct_status ct_router_add(ct_router *r, const char *method, const char *pattern,
                        ct_http_handler handler, void *ctx)
{
    if (pattern[0] != '/' || handler == NULL)
        return CT_INVALID;
    if (r->nroutes == r->cap) {
        size_t cap = r->cap ? r->cap * 2 : 16;
        ct_route *routes = ct_realloc(r->routes, cap * sizeof(*routes));
        if (routes == NULL)
            return CT_NOMEM;
        r->routes = routes;
        r->cap = cap;
    }
    ct_route *route = &r->routes[r->nroutes++];
    memset(route, 0, sizeof(*route));
    route->method = method;
    route->pattern = pattern;
    route->handler = handler;
    route->ctx = ctx;
    return CT_OK;
}

ct_status ct_router_add_offload(ct_router *r, const char *method, const char *pattern,
                                ct_http_handler handler, void *ctx)
{
    ct_status rc = ct_router_add(r, method, pattern, handler, ctx);
    if (rc == CT_OK)
        r->routes[r->nroutes - 1].offload = 1;
    return rc;
}

void ct_router_set_fallback(ct_router *r, ct_http_handler handler, void *ctx)
{
    r->fallback = handler;
    r->fallback_ctx = ctx;
}

size_t ct_router_count(const ct_router *r)
{
    return r->nroutes;
}

void ct_router_route(const ct_router *r, size_t i, const char **method, const char **pattern)
{
    *method = r->routes[i].method;
    *pattern = r->routes[i].pattern;
}

/* Matches one pattern against a path; captures params into the arena. 1 on match. */
static int match_pattern(const char *pattern, const char *path, ct_arena *arena,
                         ct_http_param_kv *params, int *nparams)
{
    int n = 0;
    const char *p = pattern, *s = path;
    while (*p && *s) {
        if (*p != '/' || *s != '/')
            return 0;
        p++;
        s++;
        const char *pend = strchr(p, '/');
        const char *send = strchr(s, '/');
        size_t plen = pend ? (size_t)(pend - p) : strlen(p);
        size_t slen = send ? (size_t)(send - s) : strlen(s);
        if (plen >= 2 && p[0] == '{' && p[plen - 1] == '}') {
            if (slen == 0 || (slen == 1 && s[0] == '.') || (slen == 2 && !strncmp(s, "..", 2)))
                return 0;
            if (n == CT_HTTP_MAX_PARAMS)
                return 0;
            params[n].name = ct_arena_strndup(arena, p + 1, plen - 2);
            params[n].value = ct_arena_strndup(arena, s, slen);
            if (params[n].name == NULL || params[n].value == NULL)
                return 0;
            n++;
        } else if (plen != slen || strncmp(p, s, plen) != 0) {
            return 0;
        }
        p += plen;
        s += slen;
    }
    if (*p != '\0' || *s != '\0')
        return 0;
    *nparams = n;
    return 1;
}

ct_route *ct__router_match(ct_router *r, ct_arena *arena, const char *method, const char *path,
                           ct_http_param_kv *params, int *nparams, int *path_matched, char *allow,
                           size_t allow_len)
{
    *path_matched = 0;
    allow[0] = '\0';
    int is_head = strcmp(method, "HEAD") == 0;
    for (size_t i = 0; i < r->nroutes; i++) {
        ct_route *route = &r->routes[i];
        int n = 0;
        if (!match_pattern(route->pattern, path, arena, params, &n))
            continue;
        if (strcmp(route->method, method) == 0 || (is_head && strcmp(route->method, "GET") == 0)) {
            *nparams = n;
            return route;
        }
        *path_matched = 1;
        size_t used = strlen(allow);
        if (!strstr(allow, route->method) && used + strlen(route->method) + 3 < allow_len)
            snprintf(allow + used, allow_len - used, "%s%s", used ? ", " : "", route->method);
    }
    return NULL;
}
