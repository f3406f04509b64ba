/* pool.c: a fixed-size connection pool (see store.h). A mutex and a condition variable guard
 * a stack of idle connections; all connections are opened up front so a bad URL fails at
 * start, not under load. Each borrowed connection is checked first (ct_store_check), which is
 * where a lost PostgreSQL connection is revived. */
#include <errno.h>
#include <pthread.h>
#include <time.h>

#include "base/alloc.h"
#include "store/store.h"

struct ct_store_pool {
    pthread_mutex_t lock;
    pthread_cond_t freed;
    ct_store **all;
    ct_store **idle;
    int size, nidle;
};

ct_status ct_store_pool_open(const char *url, int size, ct_store_pool **out, char *err,
                             size_t errlen)
{
    ct_store_pool *p = ct_calloc(1, sizeof(*p));
    if (p == NULL)
        return CT_NOMEM;
    p->all = ct_calloc((size_t)size, sizeof(ct_store *));
    p->idle = ct_calloc((size_t)size, sizeof(ct_store *));
    if (p->all == NULL || p->idle == NULL) {
        ct_store_pool_close(p);
        return CT_NOMEM;
    }
    pthread_mutex_init(&p->lock, NULL);
    pthread_cond_init(&p->freed, NULL);
    for (int i = 0; i < size; i++) {
        ct_status rc = ct_store_open(url, &p->all[i], err, errlen);
        if (rc) {
            ct_store_pool_close(p);
            return rc;
        }
        p->idle[p->nidle++] = p->all[i];
        p->size++;
    }
    *out = p;
    return CT_OK;
}

void ct_store_pool_close(ct_store_pool *p)
{
    if (p == NULL)
        return;
    for (int i = 0; p->all != NULL && i < p->size; i++) /* size counts the opened ones */
        ct_store_close(p->all[i]);
    if (p->all != NULL && p->idle != NULL) {
        pthread_mutex_destroy(&p->lock);
        pthread_cond_destroy(&p->freed);
    }
    ct_free(p->all);
    ct_free(p->idle);
    ct_free(p);
}

ct_status ct_store_pool_acquire(ct_store_pool *p, int wait_ms, ct_store **out)
{
    struct timespec deadline;
    clock_gettime(CLOCK_REALTIME, &deadline);
    deadline.tv_sec += wait_ms / 1000;
    deadline.tv_nsec += (long)(wait_ms % 1000) * 1000000L;
    if (deadline.tv_nsec >= 1000000000L) {
        deadline.tv_sec++;
        deadline.tv_nsec -= 1000000000L;
    }
    pthread_mutex_lock(&p->lock);
    while (p->nidle == 0) {
        if (pthread_cond_timedwait(&p->freed, &p->lock, &deadline) == ETIMEDOUT && p->nidle == 0) {
            pthread_mutex_unlock(&p->lock);
            return CT_AGAIN;
        }
    }
    ct_store *st = p->idle[--p->nidle];
    pthread_mutex_unlock(&p->lock);
    ct_status rc = ct_store_check(st);
    if (rc) {
        ct_store_pool_release(p, st);
        return rc;
    }
    *out = st;
    return CT_OK;
}

void ct_store_pool_release(ct_store_pool *p, ct_store *st)
{
    if (st == NULL)
        return;
    pthread_mutex_lock(&p->lock);
    p->idle[p->nidle++] = st;
    pthread_cond_signal(&p->freed);
    pthread_mutex_unlock(&p->lock);
}
