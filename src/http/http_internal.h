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
    int offload; /* 1 = runs on the worker pool (ct_router_add_offload) */
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

/* ---- connection deadlines (guard.c) ----
 * Every open connection is in a registry with an absolute deadline (monotonic ms, 0 = none);
 * a sweep thread shuts down (shutdown(2), never close: the descriptor stays libmicrohttpd's)
 * every connection past its deadline, and libmicrohttpd then closes it as a client hang-up.
 * Entries are added and removed by the connection notifications, under the registry mutex
 * that the sweep holds too, so it never touches a descriptor after it was closed. */
typedef struct ct_http_guard ct_http_guard;
typedef struct ct_http_conn ct_http_conn;

/* Starts the sweep thread (period 100 ms). NULL on failure. */
ct_http_guard *ct__guard_start(void);
/* Stops and joins the sweep, frees what is left in the registry. NULL is a no-op. */
void ct__guard_stop(ct_http_guard *g);
/* Registers an accepted connection (fd) with deadline now + ms. NULL on OOM (then the
 * connection simply has no deadline). */
ct_http_conn *ct__guard_add(ct_http_guard *g, int fd, int ms);
/* Unregisters and frees it (before libmicrohttpd closes the descriptor). NULL is a no-op. */
void ct__guard_remove(ct_http_guard *g, ct_http_conn *c);
/* Sets the deadline to now + ms, or none for ms <= 0. Any thread; NULL is a no-op. */
void ct__guard_deadline(ct_http_conn *c, int ms);
/* Connections shut down for a missed deadline so far. */
uint64_t ct__guard_closed(const ct_http_guard *g);

/* ---- the worker pool of offloaded routes (offload.c) ----
 * A bounded FIFO of jobs and N threads that run them. */
typedef struct ct_http_pool ct_http_pool;
typedef void (*ct_http_job_fn)(void *arg);

/* Starts `workers` threads with room for `queue` waiting jobs. NULL on failure. */
ct_http_pool *ct__pool_start(int workers, int queue);
/* Queues fn(arg). `before`, when not NULL, is called under the queue's lock once the job is
 * sure to be accepted (the server suspends the connection there, so a worker can never
 * resume it first). CT_AGAIN when the queue is full (nothing called). */
ct_status ct__pool_submit(ct_http_pool *p, ct_http_job_fn fn, void *arg, void (*before)(void *),
                          void *before_arg);
/* Runs what is queued, then stops and joins the threads and frees the pool. NULL: no-op. */
void ct__pool_stop(ct_http_pool *p);

/* ---- trusted proxies (proxies.c) ---- */
typedef struct ct_proxies ct_proxies;
/* A comma-separated list of addresses and CIDR networks, IPv4 and IPv6 ("127.0.0.1,
 * 10.0.0.0/8, ::1"); NULL or "" is the empty set. CT_INVALID on a malformed entry. */
ct_status ct__proxies_parse(const char *list, ct_proxies **out);
void ct__proxies_free(ct_proxies *p);
int ct__proxies_count(const ct_proxies *p);
/* 1 when `addr` (text) is one of the set's addresses or inside one of its networks. */
int ct__proxies_trusted(const ct_proxies *p, const char *addr);
/* The client's address into `out` (canonical text): `peer` when it is not trusted; else the
 * right-most address of the X-Forwarded-For lines `xff` (in the order received) that is not
 * itself trusted. */
void ct__proxies_client(const ct_proxies *p, const char *peer, const char *const *xff, int nxff,
                        char *out, size_t outlen);

/* ---- the Redis rate limiter (ratelimit_redis.c) ---- */
typedef struct ct_redis_limiter ct_redis_limiter;
/* Parses redis://HOST[:PORT][/DB] (no connection yet). CT_INVALID with `err` on a bad URL. */
ct_status ct__redis_limiter_open(const char *url, ct_redis_limiter **out, char *err, size_t errlen);
void ct__redis_limiter_close(ct_redis_limiter *r);
/* One GCRA step for `key` in Redis: 1 allowed, 0 limited (*retry_after_s set), -1 when Redis
 * could not answer (unreachable, an error, or within the retry gap after a failure). */
int ct__redis_limiter_take(ct_redis_limiter *r, const char *key, double per_minute, double burst,
                           int *retry_after_s);
/* Answers from Redis, failed calls, and 1 while the last call reached Redis. */
void ct__redis_limiter_stats(ct_redis_limiter *r, uint64_t *answered, uint64_t *errors, int *up);

#endif
