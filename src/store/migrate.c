/* migrate.c: applies the embedded migrations (see migrate.h).
 *
 * A migration is applied when its own version is missing from schema_migrations, not when it
 * is above the highest applied one: branches developed side by side land their migrations in
 * any order, and a database that already has 0014 must still get a 0011 merged after it. */
#include "store/migrate.h"

#include <stdio.h>
#include <string.h>

#include "base/log.h"

#define MIGRATION_LOCK_KEY 7305210931LL /* arbitrary, fixed: Contrail's migration lock */

static ct_status ensure_table(ct_store *st)
{
    return ct_store_exec(st, "CREATE TABLE IF NOT EXISTS schema_migrations ("
                             " version BIGINT PRIMARY KEY, name TEXT NOT NULL,"
                             " applied_at TEXT NOT NULL)");
}

ct_status ct_store_schema_version(ct_store *st, int *version_out)
{
    ct_status rc = ensure_table(st);
    if (rc)
        return rc;
    int64_t v = 0;
    rc = ct_store_query_int64(st, "SELECT COALESCE(MAX(version), 0) FROM schema_migrations", &v);
    if (rc)
        return rc;
    *version_out = (int)v;
    return CT_OK;
}

/* *applied = 1 when `version` is recorded in schema_migrations. */
static ct_status is_applied(ct_store *st, int version, int *applied)
{
    ct_stmt *s = NULL;
    ct_status rc = ct_store_prepare(st, "SELECT 1 FROM schema_migrations WHERE version = ?", &s);
    if (rc)
        return rc;
    ct_stmt_bind_int64(s, 1, version);
    rc = ct_stmt_step(s);
    ct_stmt_finalize(s);
    if (rc == CT_ROW || rc == CT_DONE) {
        *applied = rc == CT_ROW;
        return CT_OK;
    }
    return rc;
}

/* Applies m in one transaction; *done_now = 1 when it ran (0: another instance had). */
static ct_status apply_one(ct_store *st, const ct_migration *m, int *done_now)
{
    *done_now = 0;
    ct_status rc = ct_store_begin(st);
    if (rc)
        return rc;
    /* Re-check inside the transaction: another instance may have applied it meanwhile. */
    int already = 0;
    rc = is_applied(st, m->version, &already);
    if (rc || already)
        goto done;
    *done_now = 1;
    rc = ct_store_exec(st, m->sql);
    if (rc)
        goto done;
    ct_stmt *ins = NULL;
    rc = ct_store_prepare(st,
                          "INSERT INTO schema_migrations (version, name, applied_at)"
                          " VALUES (?, ?, CAST(CURRENT_TIMESTAMP AS TEXT))",
                          &ins);
    if (rc)
        goto done;
    ct_stmt_bind_int64(ins, 1, m->version);
    ct_stmt_bind_text(ins, 2, m->name);
    rc = ct_stmt_step(ins);
    ct_stmt_finalize(ins);
    if (rc == CT_DONE)
        rc = CT_OK;
done:
    if (rc) {
        char msg[600];
        snprintf(msg, sizeof(msg), "%s", ct_store_errmsg(st));
        ct_store_rollback(st);
        ct_log(CT_LOG_ERROR, "store.migrate", "migration", m->name, "error", msg, NULL);
        return rc;
    }
    return ct_store_commit(st);
}

ct_status ct_store_migrate(ct_store *st, int *applied_out)
{
    int is_pg = strcmp(ct_store_engine(st), "postgres") == 0;
    ct_status rc = CT_OK;
    int applied = 0;
    if (is_pg) {
        char sql[96];
        snprintf(sql, sizeof(sql), "SELECT pg_advisory_lock(%lld)", MIGRATION_LOCK_KEY);
        rc = ct_store_exec(st, sql);
        if (rc)
            return rc;
    }
    rc = ensure_table(st);
    for (int i = 0; !rc && i < ct_migrations_count; i++) {
        int already = 0, done_now = 0;
        rc = is_applied(st, ct_migrations[i].version, &already);
        if (rc || already)
            continue;
        rc = apply_one(st, &ct_migrations[i], &done_now);
        if (!rc && done_now) {
            applied++;
            ct_log(CT_LOG_INFO, "store.migrate", "applied", ct_migrations[i].name, "engine",
                   ct_store_engine(st), NULL);
        }
    }
    if (is_pg) {
        char sql[96];
        snprintf(sql, sizeof(sql), "SELECT pg_advisory_unlock(%lld)", MIGRATION_LOCK_KEY);
        ct_store_exec(st, sql);
    }
    if (applied_out != NULL)
        *applied_out = applied;
    return rc;
}
