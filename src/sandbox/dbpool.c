/* dbpool.c: a stack of idle connections under a mutex and a condition variable (see
 * dbpool.h). Acquire pops, release pushes and signals; the stack never holds more than the
 * connections opened at start, so it is a fixed array. */
#include "sandbox/dbpool.h"

#include <pthread.h>
#include <stdio.h>

#include "base/alloc.h"

#define MAX_POOL 64

struct sb_dbpool {
    pthread_mutex_t lock;
    pthread_cond_t freed;
    ct_store *all[MAX_POOL];
    ct_store *idle[MAX_POOL];
    int size;
    int nidle;
};

ct_status sb_dbpool_open(const char *url, int size, const char *schema_sql, sb_dbpool **out,
                         char *err, size_t errlen)
{
    if (size < 1 || size > MAX_POOL) {
        snprintf(err, errlen, "database pool size must be 1-%d", MAX_POOL);
        return CT_INVALID;
    }
    sb_dbpool *p = ct_calloc(1, sizeof(*p));
    if (p == NULL) {
        snprintf(err, errlen, "out of memory");
        return CT_NOMEM;
    }
    pthread_mutex_init(&p->lock, NULL);
    pthread_cond_init(&p->freed, NULL);
    ct_status rc = CT_OK;
    for (; p->size < size; p->size++) {
        rc = ct_store_open(url, &p->all[p->size], err, errlen);
        if (rc)
            goto fail;
        p->idle[p->nidle++] = p->all[p->size];
        if (p->size == 0 && schema_sql != NULL) {
            rc = ct_store_exec(p->all[0], schema_sql);
            if (rc) {
                snprintf(err, errlen, "schema: %s", ct_store_errmsg(p->all[0]));
                p->size++;
                goto fail;
            }
        }
    }
    *out = p;
    return CT_OK;
fail:
    sb_dbpool_close(p);
    return rc;
}

ct_store *sb_dbpool_acquire(sb_dbpool *pool)
{
    pthread_mutex_lock(&pool->lock);
    while (pool->nidle == 0)
        pthread_cond_wait(&pool->freed, &pool->lock);
    ct_store *st = pool->idle[--pool->nidle];
    pthread_mutex_unlock(&pool->lock);
    return st;
}

void sb_dbpool_release(sb_dbpool *pool, ct_store *st)
{
    pthread_mutex_lock(&pool->lock);
    pool->idle[pool->nidle++] = st;
    pthread_cond_signal(&pool->freed);
    pthread_mutex_unlock(&pool->lock);
}

void sb_dbpool_close(sb_dbpool *pool)
{
    if (pool == NULL)
        return;
    for (int i = 0; i < pool->size; i++)
        ct_store_close(pool->all[i]);
    pthread_cond_destroy(&pool->freed);
    pthread_mutex_destroy(&pool->lock);
    ct_free(pool);
}
