/* lease.c: named leases with fencing tokens over the store (see lease.h).
 *
 * Every call reads the row first under a row lock (PostgreSQL: SELECT ... FOR UPDATE; SQLite:
 * the write transaction, BEGIN IMMEDIATE, excludes every other writer), decides in C, then
 * writes it, so the decision and the write see one state. "Now" is the database's clock,
 * written into the SQL as an expression (NOW_PG / NOW_SQLITE) so that one instance's clock
 * running ahead cannot steal a lease. */
#include "store/lease.h"

#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#define NOW_PG     "CAST(EXTRACT(EPOCH FROM clock_timestamp()) * 1000 AS BIGINT)"
#define NOW_SQLITE "CAST((julianday('now') - 2440587.5) * 86400000.0 AS INTEGER)"

static int is_pg(const ct_store *st)
{
    return strcmp(ct_store_engine(st), "postgres") == 0;
}

void ct_lease_holder_id(char *out, size_t len)
{
    char host[64] = "host";
    gethostname(host, sizeof(host) - 1);
    host[sizeof(host) - 1] = '\0';
    unsigned rnd = 0;
    int fd = open("/dev/urandom", O_RDONLY | O_CLOEXEC);
    if (fd >= 0) {
        if (read(fd, &rnd, sizeof(rnd)) != (ssize_t)sizeof(rnd))
            rnd = 0;
        close(fd);
    }
    snprintf(out, len, "%s:%ld:%08x", host, (long)getpid(), rnd);
}

/* The row of lease `name` inside the current transaction, locked: token, holder, ms left.
 * CT_NOT_FOUND when there is none. */
static ct_status read_locked(ct_store *st, const char *name, const char *lock, int64_t *token,
                             char *holder, size_t hlen, int64_t *left)
{
    char sql[400];
    snprintf(sql, sizeof(sql),
             "SELECT token, holder, expires_at - %s FROM cluster_lease WHERE name = ?%s",
             is_pg(st) ? NOW_PG : NOW_SQLITE, is_pg(st) ? lock : "");
    ct_stmt *s = NULL;
    ct_status rc = ct_store_prepare(st, sql, &s);
    if (!rc)
        rc = ct_stmt_bind_text(s, 1, name);
    if (!rc)
        rc = ct_stmt_step(s);
    if (rc == CT_ROW) {
        *token = ct_stmt_int64(s, 0);
        if (holder != NULL)
            snprintf(holder, hlen, "%s", ct_stmt_text(s, 1) ? ct_stmt_text(s, 1) : "");
        *left = ct_stmt_int64(s, 2);
        rc = CT_OK;
    } else if (rc == CT_DONE) {
        rc = CT_NOT_FOUND;
    }
    ct_stmt_finalize(s);
    return rc;
}

/* Runs UPDATE/INSERT `tmpl` with every "@NOW" replaced by the engine's clock expression and
 * the text parameters. */
static ct_status run_now(ct_store *st, const char *tmpl, int n, const char *const *params)
{
    char sql[600];
    const char *now = is_pg(st) ? NOW_PG : NOW_SQLITE;
    size_t o = 0, nl = strlen(now);
    for (const char *p = tmpl; *p && o + nl + 1 < sizeof(sql);) {
        if (strncmp(p, "@NOW", 4) == 0) {
            memcpy(sql + o, now, nl);
            o += nl;
            p += 4;
        } else {
            sql[o++] = *p++;
        }
    }
    sql[o] = '\0';
    return ct_store_run(st, sql, n, params);
}

ct_status ct_lease_acquire(ct_store *st, const char *name, const char *holder, int64_t ttl_ms,
                           int64_t *token)
{
    char ttl[32], next[32];
    snprintf(ttl, sizeof(ttl), "%lld", (long long)ttl_ms);
    ct_status rc = ct_store_begin(st);
    if (rc)
        return rc;
    const char *ins[] = {name};
    rc = ct_store_run(st,
                      "INSERT INTO cluster_lease (name, holder, token, expires_at, acquired_at)"
                      " VALUES (?, '', 0, 0, 0) ON CONFLICT (name) DO NOTHING",
                      1, ins);
    int64_t cur = 0, left = 0;
    if (!rc)
        rc = read_locked(st, name, " FOR UPDATE", &cur, NULL, 0, &left);
    if (!rc && left > 0)
        rc = CT_CONFLICT;
    if (!rc) {
        long long following = (long long)cur + 1;
        snprintf(next, sizeof(next), "%lld", following);
        const char *p[] = {holder, next, ttl, name};
        rc = run_now(st,
                     "UPDATE cluster_lease SET holder = ?, token = CAST(? AS BIGINT),"
                     " expires_at = @NOW + CAST(? AS BIGINT), acquired_at = @NOW WHERE name = ?",
                     4, p);
    }
    if (!rc)
        rc = ct_store_commit(st);
    else
        ct_store_rollback(st);
    if (!rc)
        *token = cur + 1;
    return rc;
}

ct_status ct_lease_renew(ct_store *st, const char *name, const char *holder, int64_t token,
                         int64_t ttl_ms)
{
    char ttl[32], who[256];
    snprintf(ttl, sizeof(ttl), "%lld", (long long)ttl_ms);
    ct_status rc = ct_store_begin(st);
    if (rc)
        return rc;
    int64_t cur = 0, left = 0;
    rc = read_locked(st, name, " FOR UPDATE", &cur, who, sizeof(who), &left);
    if (rc == CT_NOT_FOUND || (!rc && (cur != token || strcmp(who, holder) != 0)))
        rc = CT_CONFLICT;
    if (!rc) {
        const char *p[] = {ttl, name};
        rc = run_now(st,
                     "UPDATE cluster_lease SET expires_at = @NOW + CAST(? AS BIGINT)"
                     " WHERE name = ?",
                     2, p);
    }
    if (!rc)
        rc = ct_store_commit(st);
    else
        ct_store_rollback(st);
    return rc;
}

ct_status ct_lease_release(ct_store *st, const char *name, int64_t token)
{
    char tok[32];
    snprintf(tok, sizeof(tok), "%lld", (long long)token);
    const char *p[] = {name, tok};
    return ct_store_run(st,
                        "UPDATE cluster_lease SET expires_at = 0"
                        " WHERE name = ? AND token = CAST(? AS BIGINT)",
                        2, p);
}

ct_status ct_lease_fence(ct_store *st, const char *name, int64_t token)
{
    int64_t cur = 0, left = 0;
    ct_status rc = read_locked(st, name, " FOR SHARE", &cur, NULL, 0, &left);
    if (rc == CT_NOT_FOUND || (!rc && cur != token))
        rc = CT_CONFLICT;
    return rc;
}

ct_status ct_lease_read(ct_store *st, const char *name, char *holder, size_t len, int64_t *token,
                        int64_t *left_ms)
{
    int64_t tok = 0, left = 0;
    ct_status rc = read_locked(st, name, "", &tok, holder, len, &left);
    if (!rc && tok == 0)
        rc = CT_NOT_FOUND;
    if (!rc) {
        *token = tok;
        *left_ms = left;
    }
    return rc;
}
