/* http_internal.h: shared between server.c, router.c and metrics.c only; not an interface.
 *
 * Route table layout: a flat array of routes, matched in order. Every route carries its own
 * metrics (atomic counters and a fixed-bucket latency histogram), as do two pseudo-routes:
 * the static fallback and "unmatched" (404/405 and preflights). */
#ifndef CT_HTTP_INTERNAL_H
#define CT_HTTP_INTERNAL_H

#include <stdatomic.h>
#include <stdint.h>

#include "http/http.h"

#define CT_HTTP_MAX_PARAMS   8
#define CT_HTTP_NBUCKETS     12
#define CT_HTTP_MAX_SEGMENTS 16

/* Upper bounds of the latency histogram buckets, in seconds (+Inf is implicit). */
extern const double ct__http_buckets[CT_HTTP_NBUCKETS];

typedef struct ct_route_stats {
    atomic_uint_fast64_t by_class[6]; /* responses by status class: index status/100 */
    atomic_uint_fast64_t buckets[CT_HTTP_NBUCKETS + 1];
    atomic_uint_fast64_t sum_us;
    atomic_uint_fast64_t count;
} ct_route_stats;

typedef struct ct_route {
    const char *method;
    const char *pattern;
    ct_http_handler handler;
    void *ctx;
    ct_route_stats stats;
} ct_route;

struct ct_router {
    ct_route *routes;
    size_t nroutes;
    size_t cap;
    ct_http_handler fallback;
    void *fallback_ctx;
    ct_route fallback_route;  /* stats for the fallback, pattern "(static)" */
    ct_route unmatched_route; /* stats for 404/405/OPTIONS, pattern "(unmatched)" */
};

typedef struct ct_http_param_kv {
    const char *name;
    const char *value;
} ct_http_param_kv;

/* Finds the route for method+path. Returns it and fills params (arena copies), or NULL with
 * *path_matched = 1 when some route has the path but not the method (-> 405, allow lists the
 * methods, comma separated, written into `allow`). */
ct_route *ct__router_match(ct_router *r, ct_arena *arena, const char *method, const char *path,
                           ct_http_param_kv *params, int *nparams, int *path_matched, char *allow,
                           size_t allow_len);

/* Records one finished request in `stats`. */
void ct__route_stats_record(ct_route_stats *stats, int status, uint64_t elapsed_us);

#endif
