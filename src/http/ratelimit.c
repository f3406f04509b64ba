/* ratelimit.c: token buckets behind one mutex (see ratelimit.h). Buckets live in a string
 * map; when it grows past MAX_BUCKETS (an address-scanning client), the full buckets are the
 * ones that matter least, so the whole table is dropped and starts over. */
#include "http/ratelimit.h"

#include <math.h>
#include <pthread.h>
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

void ct_ratelimit_destroy(ct_ratelimit *rl)
{
    if (rl == NULL)
        return;
    free_buckets(rl->buckets);
    pthread_mutex_destroy(&rl->lock);
    ct_free(rl);
}

int ct_ratelimit_take(ct_ratelimit *rl, const char *key, double per_minute, double burst,
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
