/* ratelimit.h: rate limits, in process memory (the embedded default) or shared by every
 * instance in Redis (cluster mode, `serve --redis`).
 *
 * In memory: a token bucket per key ("ip:203.0.113.9", "user:usr_..", "key:key_..") holds up
 * to `burst` tokens and refills at `per_minute / 60` tokens a second. Taking from an empty
 * bucket fails and says how many seconds until a token is back (the Retry-After value).
 * Thread-safe (one mutex; a take is a map lookup and a few float operations).
 *
 * In Redis: the same limit as GCRA in one Lua script (http/ratelimit_redis.c), atomic across
 * instances, so the configured limit holds in total however many instances share the Redis:
 * a burst of `burst` requests, then one every 60 / per_minute seconds; keys expire once
 * their bucket would be full again. When Redis cannot answer (down, slow past 250 ms, an
 * error) each limit fails the way its caller chose:
 *   - ct_ratelimit_take falls back to this instance's own in-memory bucket (fail open to a
 *     local limit): the service keeps answering, and the limit still holds per instance, so
 *     at most N times the total with N instances while Redis is away;
 *   - ct_ratelimit_take_strict answers -1 (fail closed) for limits whose point is lost if
 *     they are N times laxer (the booking lookup's guess throttle): the caller refuses.
 * Each failure is logged (once when Redis goes away, once when it is back) and counted
 * (ct_ratelimit_stats, on /metrics). A failed connection is dropped and the first call
 * after a 500 ms retry gap connects again, so limits are shared again within about half a
 * second of Redis's return. */
#ifndef CT_HTTP_RATELIMIT_H
#define CT_HTTP_RATELIMIT_H

#include <stddef.h>
#include <stdint.h>

#include "base/status.h"

typedef struct ct_ratelimit ct_ratelimit;

/* In memory. NULL on OOM. */
ct_ratelimit *ct_ratelimit_create(void);
/* In Redis at `url` (redis://HOST[:PORT][/DB]); does not connect yet (the first take does).
 * CT_INVALID with `err` on a bad URL. */
ct_status ct_ratelimit_create_redis(const char *url, ct_ratelimit **out, char *err, size_t errlen);
void ct_ratelimit_destroy(ct_ratelimit *rl);

/* Takes one token from `key`'s bucket. Returns 1 when allowed; 0 when limited, with
 * *retry_after_s set (at least 1). On OOM the request is allowed (fail open: a rate limiter
 * must not take the service down); Redis down: this instance's bucket decides (above). */
int ct_ratelimit_take(ct_ratelimit *rl, const char *key, double per_minute, double burst,
                      int *retry_after_s);
/* The same, but -1 when the Redis backend cannot answer (fail closed). In memory it is
 * ct_ratelimit_take. */
int ct_ratelimit_take_strict(ct_ratelimit *rl, const char *key, double per_minute, double burst,
                             int *retry_after_s);

typedef struct ct_ratelimit_stats {
    const char *backend;  /* "memory" or "redis" */
    uint64_t redis_calls; /* answered by Redis */
    uint64_t redis_errors;
    uint64_t fallbacks; /* Redis down: answered by the local bucket */
    uint64_t refused;   /* Redis down: a strict limit refused */
    int redis_up;       /* 1 while the last call reached Redis */
} ct_ratelimit_stats;
void ct_ratelimit_stats_get(ct_ratelimit *rl, ct_ratelimit_stats *out);

#endif
