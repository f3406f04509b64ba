/* webhooks_internal.h: the service's state and helpers shared by the webhooks/ files only. */
#ifndef CT_WEBHOOKS_INTERNAL_H
#define CT_WEBHOOKS_INTERNAL_H

#include <pthread.h>
#include <stdatomic.h>

#include "upstream/upstream.h"
#include "webhooks/webhooks.h"

#define WH_MAX_WORKERS 16
#define WH_ROTATION_MS (24LL * 3600 * 1000) /* the previous secret signs this long */
#define WH_FAILING_MS  (5LL * 24 * 3600 * 1000)

struct ct_webhooks {
    ct_store_pool *pool; /* borrowed */
    ct_webhooks_config cfg;
    ct_upstream *up;
    pthread_mutex_t mu;
    pthread_cond_t cv;
    int kicks; /* under mu: wake-ups not yet seen */
    atomic_int stop;
    int nthreads;
    pthread_t threads[WH_MAX_WORKERS];
};

/* Milliseconds since 1970 (UTC). */
int64_t ct__wh_now_ms(void);

/* prefix + 24 random hex digits into out (len >= strlen(prefix) + 25). */
void ct__wh_new_id(const char *prefix, char *out, size_t len);

/* ISO 8601 UTC of a millisecond instant into out (len >= 32). */
const char *ct__wh_iso(int64_t ms, char *out, size_t len);

/* The delivery worker's thread body (deliver.c). */
void *ct__wh_worker(void *arg);

#endif
