/* store.c: URL dispatch to a driver and the thin public wrappers over its vtable. */
#include "store/store_internal.h"

#include <pthread.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>
#include <time.h>

#include "base/log.h"

/* The last storage fault, process-wide (ct__store_fault, ct_store_fault_recent). */
static pthread_mutex_t fault_mu = PTHREAD_MUTEX_INITIALIZER;
static int64_t fault_at_ms;
static int fault_code = -1;
static int64_t fault_logged_ms;
static char fault_reason[512];

static int64_t mono_ms(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

void ct__store_fault(ct_store *st, int code)
{
    int64_t now = mono_ms();
    int log = 0;
    pthread_mutex_lock(&fault_mu);
    if (code != fault_code || now - fault_logged_ms >= 10000) {
        log = 1;
        fault_logged_ms = now;
    }
    fault_at_ms = now;
    fault_code = code;
    snprintf(fault_reason, sizeof(fault_reason), "%s", st->errmsg);
    pthread_mutex_unlock(&fault_mu);
    if (log)
        ct_log(CT_LOG_ERROR, "store.fault", "engine", st->drv->name, "error", st->errmsg, "effect",
               "writes answer 503 and /readyz fails until the storage recovers", NULL);
}

void ct__store_fault_clear(int code)
{
    pthread_mutex_lock(&fault_mu);
    if (fault_code == code)
        fault_code = -1;
    pthread_mutex_unlock(&fault_mu);
}

int ct_store_fault_recent(int64_t within_ms, char *reason, size_t len)
{
    pthread_mutex_lock(&fault_mu);
    int recent = fault_code >= 0 && mono_ms() - fault_at_ms < within_ms;
    if (recent && reason != NULL && len > 0)
        snprintf(reason, len, "%s", fault_reason);
    pthread_mutex_unlock(&fault_mu);
    return recent;
}

ct_status ct_store_write_probe(ct_store *st)
{
    ct_status rc = ct_store_exec(st, "CREATE TABLE IF NOT EXISTS readiness_probe"
                                     " (id BIGINT PRIMARY KEY, probed_at BIGINT NOT NULL)");
    if (rc)
        return rc;
    rc = ct_store_begin(st);
    if (rc)
        return rc;
    char at[32];
    snprintf(at, sizeof(at), "%lld", (long long)time(NULL));
    const char *params[] = {at};
    rc = ct_store_run(st, "UPDATE readiness_probe SET probed_at = ? WHERE id = 1", 1, params);
    int64_t n = 0;
    if (!rc)
        rc = ct_store_query_int64(st, "SELECT COUNT(*) FROM readiness_probe", &n);
    if (!rc && n == 0)
        rc = ct_store_run(st, "INSERT INTO readiness_probe (id, probed_at) VALUES (1, ?)", 1,
                          params);
    if (!rc)
        rc = ct_store_commit(st);
    if (rc) {
        char keep[sizeof(st->errmsg)];
        snprintf(keep, sizeof(keep), "%s", st->errmsg);
        ct_store_rollback(st);
        snprintf(st->errmsg, sizeof(st->errmsg), "%s", keep);
    }
    return rc;
}

void ct__store_set_error(ct_store *st, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(st->errmsg, sizeof(st->errmsg), fmt, ap);
    va_end(ap);
}

ct_status ct_store_open(const char *url, ct_store **out, char *err, size_t errlen)
{
    if (strncmp(url, "postgres://", 11) == 0 || strncmp(url, "postgresql://", 13) == 0)
        return ct__pg_open(url, out, err, errlen);
    if (strncmp(url, "sqlite:", 7) == 0)
        return ct__sqlite_open(url + 7, out, err, errlen);
    size_t n = strlen(url);
    if (n > 3 && (strcmp(url + n - 3, ".db") == 0 || strcmp(url, ":memory:") == 0))
        return ct__sqlite_open(url, out, err, errlen);
    snprintf(err, errlen, "unknown database URL '%s' (want sqlite:PATH or postgres://...)", url);
    return CT_INVALID;
}

void ct_store_close(ct_store *st)
{
    if (st != NULL)
        st->drv->close(st);
}

const char *ct_store_engine(const ct_store *st)
{
    return st->drv->name;
}

const char *ct_store_errmsg(const ct_store *st)
{
    return st->errmsg;
}

ct_status ct_store_check(ct_store *st)
{
    return st->drv->check(st);
}

ct_status ct_store_exec(ct_store *st, const char *sql)
{
    return st->drv->exec(st, sql);
}

ct_status ct_store_begin(ct_store *st)
{
    return st->drv->begin(st);
}

ct_status ct_store_commit(ct_store *st)
{
    return st->drv->exec(st, "COMMIT");
}

ct_status ct_store_rollback(ct_store *st)
{
    return st->drv->exec(st, "ROLLBACK");
}

ct_status ct_store_prepare(ct_store *st, const char *sql, ct_stmt **out)
{
    return st->drv->prepare(st, sql, out);
}

ct_status ct_stmt_bind_text(ct_stmt *s, int idx, const char *value)
{
    return value ? s->st->drv->bind_text(s, idx, value) : s->st->drv->bind_null(s, idx);
}

ct_status ct_stmt_bind_int64(ct_stmt *s, int idx, int64_t value)
{
    return s->st->drv->bind_int64(s, idx, value);
}

ct_status ct_stmt_bind_double(ct_stmt *s, int idx, double value)
{
    return s->st->drv->bind_double(s, idx, value);
}

ct_status ct_stmt_bind_null(ct_stmt *s, int idx)
{
    return s->st->drv->bind_null(s, idx);
}

ct_status ct_stmt_step(ct_stmt *s)
{
    return s->st->drv->step(s);
}

ct_status ct_stmt_reset(ct_stmt *s)
{
    return s->st->drv->reset(s);
}

void ct_stmt_finalize(ct_stmt *s)
{
    if (s != NULL)
        s->st->drv->finalize(s);
}

int ct_stmt_column_count(ct_stmt *s)
{
    return s->st->drv->column_count(s);
}

int ct_stmt_is_null(ct_stmt *s, int col)
{
    return s->st->drv->is_null(s, col);
}

const char *ct_stmt_text(ct_stmt *s, int col)
{
    return s->st->drv->text(s, col);
}

int64_t ct_stmt_int64(ct_stmt *s, int col)
{
    return s->st->drv->int64(s, col);
}

double ct_stmt_double(ct_stmt *s, int col)
{
    return s->st->drv->dbl(s, col);
}

ct_status ct_store_query_int64(ct_store *st, const char *sql, int64_t *out)
{
    ct_stmt *s = NULL;
    ct_status rc = ct_store_prepare(st, sql, &s);
    if (rc)
        return rc;
    rc = ct_stmt_step(s);
    if (rc == CT_ROW) {
        *out = ct_stmt_int64(s, 0);
        rc = CT_OK;
    } else if (rc == CT_DONE) {
        rc = CT_NOT_FOUND;
    }
    ct_stmt_finalize(s);
    return rc;
}

ct_status ct_store_run(ct_store *st, const char *sql, int nparams, const char *const *params)
{
    ct_stmt *s = NULL;
    ct_status rc = ct_store_prepare(st, sql, &s);
    if (rc)
        return rc;
    for (int i = 0; !rc && i < nparams; i++)
        rc = ct_stmt_bind_text(s, i + 1, params[i]);
    if (!rc)
        rc = ct_stmt_step(s);
    ct_stmt_finalize(s);
    return rc == CT_DONE || rc == CT_ROW ? CT_OK : rc;
}
