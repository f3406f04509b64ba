/* ratelimit.c: token buckets behind one mutex (see ratelimit.h), and the choice between them
 * and the Redis backend (ratelimit_redis.c). Buckets live in a string map; when it grows
 * past MAX_BUCKETS (an address-scanning client), the full buckets are the ones that matter
 * least, so the whole table is dropped and starts over. With Redis the buckets are the
 * fallback while Redis is down. */
#include "http/ratelimit.h"

#include "http/http_internal.h"

#include <math.h>
#include <pthread.h>
#include <stdatomic.h>
#include <string.h>
#include <time.h>

#include "base/alloc.h"
#include "base/map.h"

#define MAX_BUCKETS 200000

typedef struct bucket {
    double tokens;
    double updated; /* monotonic seconds */
} bucket;

struct ct_ratelimit {
    pthread_mutex_t lock;
    ct_map *buckets;
    ct_redis_limiter *redis; /* NULL: memory only */
    _Atomic uint64_t fallbacks, refused;
};

static double now_s(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

ct_ratelimit *ct_ratelimit_create(void)
{
    ct_ratelimit *rl = ct_calloc(1, sizeof(*rl));
    if (rl == NULL)
        return NULL;
    rl->buckets = ct_map_create();
    if (rl->buckets == NULL) {
        ct_free(rl);
        return NULL;
    }
    pthread_mutex_init(&rl->lock, NULL);
    return rl;
}

static void free_buckets(ct_map *m)
{
    size_t pos = 0;
    const char *k;
    void *v;
    while (ct_map_next(m, &pos, &k, &v))
        ct_free(v);
    ct_map_destroy(m);
}

ct_status ct_ratelimit_create_redis(const char *url, ct_ratelimit **out, char *err, size_t errlen)
{
    *out = NULL;
    ct_redis_limiter *r = NULL;
    ct_status rc = ct__redis_limiter_open(url, &r, err, errlen);
    if (rc)
        return rc;
    ct_ratelimit *rl = ct_ratelimit_create();
    if (rl == NULL) {
        ct__redis_limiter_close(r);
        return CT_NOMEM;
    }
    rl->redis = r;
    *out = rl;
    return CT_OK;
}

void ct_ratelimit_destroy(ct_ratelimit *rl)
{
    if (rl == NULL)
        return;
    ct__redis_limiter_close(rl->redis);
    free_buckets(rl->buckets);
    pthread_mutex_destroy(&rl->lock);
    ct_free(rl);
}

static int take_local(ct_ratelimit *rl, const char *key, double per_minute, double burst,
                      int *retry_after_s)
{
    double now = now_s(), rate = per_minute / 60.0;
    int allowed = 1;
    pthread_mutex_lock(&rl->lock);
    bucket *b = ct_map_get(rl->buckets, key);
    if (b == NULL) {
        if (ct_map_len(rl->buckets) >= MAX_BUCKETS) {
            ct_map *fresh = ct_map_create();
            if (fresh != NULL) {
                free_buckets(rl->buckets);
                rl->buckets = fresh;
            }
        }
        b = ct_malloc(sizeof(*b));
        if (b == NULL || ct_map_put(rl->buckets, key, b) != CT_OK) {
            ct_free(b);
            pthread_mutex_unlock(&rl->lock);
            return 1;
        }
        b->tokens = burst;
        b->updated = now;
    }
    b->tokens = fmin(burst, b->tokens + (now - b->updated) * rate);
    b->updated = now;
    if (b->tokens >= 1.0) {
        b->tokens -= 1.0;
    } else {
        allowed = 0;
        double wait = rate > 0 ? (1.0 - b->tokens) / rate : 3600.0;
        *retry_after_s = (int)ceil(wait) < 1 ? 1 : (int)ceil(wait);
    }
    pthread_mutex_unlock(&rl->lock);
    return allowed;
}

/* Redis's answer (1, 0) or -1 when it has none; limits that never refill stay local. */
static int take_redis(ct_ratelimit *rl, const char *key, double per_minute, double burst,
                      int *retry_after_s)
{
    if (rl->redis == NULL || per_minute <= 0)
        return -1;
    return ct__redis_limiter_take(rl->redis, key, per_minute, burst, retry_after_s);
}

int ct_ratelimit_take(ct_ratelimit *rl, const char *key, double per_minute, double burst,
                      int *retry_after_s)
{
    if (rl->redis != NULL && per_minute > 0) {
        int got = take_redis(rl, key, per_minute, burst, retry_after_s);
        if (got >= 0)
            return got;
        atomic_fetch_add(&rl->fallbacks, 1);
    }
    return take_local(rl, key, per_minute, burst, retry_after_s);
}

int ct_ratelimit_take_strict(ct_ratelimit *rl, const char *key, double per_minute, double burst,
                             int *retry_after_s)
{
    if (rl->redis == NULL || per_minute <= 0)
        return take_local(rl, key, per_minute, burst, retry_after_s);
    int got = take_redis(rl, key, per_minute, burst, retry_after_s);
    if (got < 0) {
        atomic_fetch_add(&rl->refused, 1);
        *retry_after_s = 1;
    }
    return got;
}

void ct_ratelimit_stats_get(ct_ratelimit *rl, ct_ratelimit_stats *out)
{
    memset(out, 0, sizeof(*out));
    out->backend = rl->redis != NULL ? "redis" : "memory";
    out->fallbacks = atomic_load(&rl->fallbacks);
    out->refused = atomic_load(&rl->refused);
    if (rl->redis != NULL)
        ct__redis_limiter_stats(rl->redis, &out->redis_calls, &out->redis_errors, &out->redis_up);
}
