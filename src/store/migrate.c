/* migrate.c: applies the embedded migrations (see migrate.h). */
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

static ct_status apply_one(ct_store *st, const ct_migration *m)
{
    ct_status rc = ct_store_begin(st);
    if (rc)
        return rc;
    /* Re-check inside the transaction: another instance may have applied it meanwhile. */
    int current = 0;
    rc = ct_store_schema_version(st, &current);
    if (rc || current >= m->version)
        goto done;
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
    int current = 0;
    if (!rc)
        rc = ct_store_schema_version(st, &current);
    for (int i = 0; !rc && i < ct_migrations_count; i++) {
        if (ct_migrations[i].version <= current)
            continue;
        rc = apply_one(st, &ct_migrations[i]);
        if (!rc) {
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
