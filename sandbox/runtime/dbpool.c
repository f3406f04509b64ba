/* dbpool.c: a sandbox server's connection pool: the platform's ct_store_pool (store.h) plus
 * the server's schema, run once on the first connection, and a wait without a deadline (a
 * sandbox server has nothing better to do than wait for its own database). */
#include "sandbox/runtime/dbpool.h"

#include <stdio.h>

#include "base/alloc.h"

#define MAX_POOL 64

struct sb_dbpool {
    ct_store_pool *pool;
};

ct_status sb_dbpool_open(const char *url, int size, const char *schema_sql, sb_dbpool **out,
                         char *err, size_t errlen)
{
    if (size < 1 || size > MAX_POOL) {
        snprintf(err, errlen, "database pool size must be 1-%d", MAX_POOL);
        return CT_INVALID;
    }
    sb_dbpool *p = ct_calloc(1, sizeof(*p));
    if (p == NULL)
        return CT_NOMEM;
    ct_status rc = ct_store_pool_open(url, size, &p->pool, err, errlen);
    if (!rc && schema_sql != NULL) {
        ct_store *st = sb_dbpool_acquire(p);
        rc = ct_store_exec(st, schema_sql);
        if (rc)
            snprintf(err, errlen, "schema: %s", ct_store_errmsg(st));
        sb_dbpool_release(p, st);
    }
    if (rc) {
        sb_dbpool_close(p);
        return rc;
    }
    *out = p;
    return CT_OK;
}

ct_store *sb_dbpool_acquire(sb_dbpool *pool)
{
    ct_store *st = NULL;
    while (ct_store_pool_acquire(pool->pool, 60000, &st) != CT_OK)
        ;
    return st;
}

void sb_dbpool_release(sb_dbpool *pool, ct_store *st)
{
    ct_store_pool_release(pool->pool, st);
}

void sb_dbpool_close(sb_dbpool *pool)
{
    if (pool == NULL)
        return;
    ct_store_pool_close(pool->pool);
    ct_free(pool);
}
