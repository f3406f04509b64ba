/* pg.c: the PostgreSQL driver (libpq).
 *
 * Statements are kept as text with `?` rewritten to `$1..$n` (outside quotes) and run with
 * PQexecParams in text format when first stepped; the whole result is then iterated in
 * memory. Parameters are bound as text (integers and doubles are formatted exactly), which
 * lets the server infer types from the SQL as it does for any text-protocol client.
 * ct_store_begin uses plain BEGIN (READ COMMITTED); callers needing more say so in SQL.
 *
 * Lost connections (a restarted or crashed server, a network cut): ct_store_check reads what
 * the server sent meanwhile without blocking (PQconsumeInput), so a connection the server
 * closed is seen as lost before a request uses it, and revives it with PQreset at most once
 * per backoff interval. A statement that finds the connection lost is sent again once on a
 * revived connection only where that cannot apply anything twice: BEGIN, and a SELECT
 * outside a transaction (store.h, ct_store_check). */
#include "store/store_internal.h"

#include <libpq-fe.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>

#include "base/alloc.h"
#include "base/log.h"
#include "base/strbuf.h"

#define PG_MAX_PARAMS 64

#define PG_BACKOFF_FIRST_MS 50
#define PG_BACKOFF_MAX_MS   5000
/* For this long after a loss is noticed, every borrow tries to reconnect (a refused attempt
 * costs well under a millisecond): a restart (fast shutdown, start) takes about a second, and
 * a background borrower that tried during it must not leave the connection in a backoff that
 * fails the first request after the server accepts again. The backoff starts after it. */
#define PG_FAST_RETRY_MS 3000

typedef struct pg_store {
    ct_store base;
    PGconn *conn;
    int in_tx;              /* between a successful BEGIN and COMMIT/ROLLBACK */
    int lost;               /* the connection was lost and not yet revived */
    int64_t lost_at_ms;     /* when it was found lost (monotonic) */
    int64_t next_revive_ms; /* no reconnection attempt before this (monotonic) */
    int backoff_ms;
} pg_store;

typedef struct pg_stmt {
    ct_stmt base;
    char *sql;
    int nparams;
    char *values[PG_MAX_PARAMS];
    PGresult *res;
    int row; /* current row, -1 before the first step */
    int executed;
} pg_stmt;

static PGconn *conn_of(ct_store *st)
{
    return ((pg_store *)st)->conn;
}

static int64_t mono_ms(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

/* The connection is gone (libpq says so after any failed exchange). */
static int conn_lost(pg_store *ps)
{
    return PQstatus(ps->conn) == CONNECTION_BAD;
}

static void note_lost(pg_store *ps)
{
    if (ps->lost)
        return;
    ps->lost = 1;
    ps->in_tx = 0; /* the server rolls an open transaction back */
    ps->lost_at_ms = mono_ms();
    ps->next_revive_ms = 0; /* the first attempt at once */
    ps->backoff_ms = PG_BACKOFF_FIRST_MS;
    ct__store_set_error(&ps->base, "postgres: connection lost: %s", PQerrorMessage(ps->conn));
    /* Not a storage fault by itself: the next borrow reconnects at once, and only a failed
     * reconnect (revive) marks one. Marking it here let a connection that noticed a server
     * restart late fail /readyz for 10 s although the database answered again. */
    char msg[256];
    snprintf(msg, sizeof(msg), "%s", PQerrorMessage(ps->conn));
    msg[strcspn(msg, "\n")] = '\0';
    ct_log(CT_LOG_ERROR, "store.connection_lost", "engine", "postgres", "error", msg, "action",
           "reconnecting with backoff", NULL);
}

/* Re-establishes a lost connection, at most once per backoff interval. */
static ct_status revive(pg_store *ps)
{
    int64_t now = mono_ms();
    if (now < ps->next_revive_ms && now - ps->lost_at_ms >= PG_FAST_RETRY_MS) {
        ct__store_set_error(&ps->base, "postgres: database unreachable (reconnecting)");
        return CT_UNAVAILABLE;
    }
    PQreset(ps->conn);
    if (PQstatus(ps->conn) != CONNECTION_OK) {
        ct__store_set_error(&ps->base, "postgres: database unreachable: %s",
                            PQerrorMessage(ps->conn));
        size_t n = strlen(ps->base.errmsg);
        while (n > 0 && ps->base.errmsg[n - 1] == '\n')
            ps->base.errmsg[--n] = '\0';
        ct__store_fault(&ps->base, CONNECTION_BAD);
        ps->next_revive_ms = now + ps->backoff_ms;
        if (now - ps->lost_at_ms >= PG_FAST_RETRY_MS)
            ps->backoff_ms =
                ps->backoff_ms * 2 > PG_BACKOFF_MAX_MS ? PG_BACKOFF_MAX_MS : ps->backoff_ms * 2;
        return CT_UNAVAILABLE;
    }
    PQclear(PQexec(ps->conn, "SET client_min_messages = warning"));
    char ms[32];
    snprintf(ms, sizeof(ms), "%lld", (long long)(now - ps->lost_at_ms));
    ct_log(CT_LOG_INFO, "store.reconnected", "engine", "postgres", "outage_ms", ms, NULL);
    ct__store_fault_clear(CONNECTION_BAD);
    ps->lost = 0;
    ps->in_tx = 0;
    return CT_OK;
}

/* An idle connection has nothing to read unless the server is going away: it then sends a
 * FATAL notice and closes its end, which may take two reads to see. */
static int idle_conn_closed(pg_store *ps)
{
    for (int i = 0; i < 4; i++) {
        struct pollfd pfd = {.fd = PQsocket(ps->conn), .events = POLLIN};
        if (pfd.fd < 0)
            return 1;
        if (poll(&pfd, 1, 0) <= 0)
            return 0;
        if (PQconsumeInput(ps->conn) == 0 || conn_lost(ps))
            return 1;
    }
    return 0;
}

static ct_status pg_check(ct_store *st)
{
    pg_store *ps = (pg_store *)st;
    if (!ps->lost && (conn_lost(ps) || idle_conn_closed(ps)))
        note_lost(ps);
    return ps->lost ? revive(ps) : CT_OK;
}

/* After a failed exchange: was it the connection, and may the statement go again? */
static int retry_after_loss(pg_store *ps, int safe)
{
    if (!conn_lost(ps))
        return 0;
    int was_in_tx = ps->in_tx;
    note_lost(ps);
    if (!safe || was_in_tx)
        return 0;
    ps->next_revive_ms = 0;
    return revive(ps) == CT_OK;
}

/* A statement that can be sent again on a fresh connection: a SELECT (no data-modifying
 * CTE can start with SELECT). */
static int read_only(const char *sql)
{
    while (*sql == ' ' || *sql == '\n' || *sql == '\t' || *sql == '(')
        sql++;
    return strncasecmp(sql, "SELECT", 6) == 0;
}

static void set_pg_error(ct_store *st, const PGresult *res)
{
    const char *msg = res ? PQresultErrorMessage(res) : PQerrorMessage(conn_of(st));
    ct__store_set_error(st, "postgres: %s", msg && *msg ? msg : "unknown error");
    size_t n = strlen(st->errmsg);
    while (n > 0 && st->errmsg[n - 1] == '\n')
        st->errmsg[--n] = '\0';
}

/* Maps a failed result's SQLSTATE class to a status. */
static ct_status status_of(const PGresult *res)
{
    const char *state = res ? PQresultErrorField(res, PG_DIAG_SQLSTATE) : NULL;
    if (state == NULL)
        return CT_UNAVAILABLE;
    if (strncmp(state, "23", 2) == 0)
        return CT_CONFLICT; /* integrity constraint violation */
    if (strcmp(state, "40001") == 0 || strcmp(state, "40P01") == 0)
        return CT_AGAIN; /* serialization failure, deadlock */
    if (strncmp(state, "08", 2) == 0)
        return CT_UNAVAILABLE;
    return CT_ERR;
}

static void pg_close(ct_store *st)
{
    PQfinish(conn_of(st));
    ct_free(st);
}

static ct_status pg_exec(ct_store *st, const char *sql)
{
    pg_store *ps = (pg_store *)st;
    int begin = strcmp(sql, "BEGIN") == 0;
    int rollback = strcmp(sql, "ROLLBACK") == 0;
    int end = rollback || strcmp(sql, "COMMIT") == 0;
    if (ps->lost && rollback) {
        ps->in_tx = 0;
        return CT_OK; /* the server rolled the transaction back with the connection */
    }
    if (ps->lost && (end || revive(ps) != CT_OK)) {
        ps->in_tx = 0;
        return CT_UNAVAILABLE;
    }
    PGresult *res = PQexec(ps->conn, sql);
    ExecStatusType t = PQresultStatus(res);
    ct_status rc = CT_OK;
    if (t != PGRES_COMMAND_OK && t != PGRES_TUPLES_OK) {
        set_pg_error(st, res);
        rc = status_of(res);
        if (conn_lost(ps)) {
            rc = CT_UNAVAILABLE;
            if (rollback) {
                note_lost(ps);
                rc = CT_OK; /* the server rolled the transaction back with the connection */
            } else if (retry_after_loss(ps, begin)) {
                PQclear(res);
                res = PQexec(ps->conn, sql);
                t = PQresultStatus(res);
                rc = t == PGRES_COMMAND_OK ? CT_OK : CT_UNAVAILABLE;
                if (rc)
                    set_pg_error(st, res);
            }
        }
    }
    PQclear(res);
    if (begin && rc == CT_OK)
        ps->in_tx = 1;
    if (end)
        ps->in_tx = 0;
    return rc;
}

static ct_status pg_begin(ct_store *st)
{
    return pg_exec(st, "BEGIN");
}

/* Rewrites `?` placeholders to $n, leaving quoted strings and identifiers alone. */
static char *rewrite_placeholders(const char *sql, int *nparams)
{
    ct_strbuf sb;
    ct_strbuf_init(&sb, 1u << 20);
    int n = 0;
    char quote = 0;
    for (const char *p = sql; *p; p++) {
        ct_status rc;
        if (quote) {
            if (*p == quote)
                quote = 0;
            rc = ct_strbuf_putc(&sb, *p);
        } else if (*p == '\'' || *p == '"') {
            quote = *p;
            rc = ct_strbuf_putc(&sb, *p);
        } else if (*p == '?') {
            rc = ct_strbuf_printf(&sb, "$%d", ++n);
        } else {
            rc = ct_strbuf_putc(&sb, *p);
        }
        if (rc) {
            ct_strbuf_free(&sb);
            return NULL;
        }
    }
    *nparams = n;
    return ct_strbuf_take(&sb);
}

static ct_status pg_prepare(ct_store *st, const char *sql, ct_stmt **out)
{
    pg_stmt *s = ct_calloc(1, sizeof(*s));
    if (s == NULL)
        return CT_NOMEM;
    s->base.st = st;
    s->row = -1;
    s->sql = rewrite_placeholders(sql, &s->nparams);
    if (s->sql == NULL) {
        ct_free(s);
        return CT_NOMEM;
    }
    if (s->nparams > PG_MAX_PARAMS) {
        ct__store_set_error(st, "postgres: too many parameters (%d)", s->nparams);
        ct_free(s->sql);
        ct_free(s);
        return CT_INVALID;
    }
    *out = &s->base;
    return CT_OK;
}

static ct_status set_param(ct_stmt *base, int idx, char *value)
{
    pg_stmt *s = (pg_stmt *)base;
    if (idx < 1 || idx > s->nparams) {
        ct_free(value);
        ct__store_set_error(base->st, "postgres: bind index %d out of range", idx);
        return CT_INVALID;
    }
    ct_free(s->values[idx - 1]);
    s->values[idx - 1] = value;
    return CT_OK;
}

static ct_status pg_bind_text(ct_stmt *s, int idx, const char *v)
{
    char *copy = ct_strdup(v);
    return copy ? set_param(s, idx, copy) : CT_NOMEM;
}

static ct_status pg_bind_int64(ct_stmt *s, int idx, int64_t v)
{
    char buf[32];
    snprintf(buf, sizeof(buf), "%lld", (long long)v);
    return pg_bind_text(s, idx, buf);
}

static ct_status pg_bind_double(ct_stmt *s, int idx, double v)
{
    char buf[40];
    snprintf(buf, sizeof(buf), "%.17g", v);
    return pg_bind_text(s, idx, buf);
}

static ct_status pg_bind_null(ct_stmt *s, int idx)
{
    return set_param(s, idx, NULL);
}

static ct_status pg_step(ct_stmt *base)
{
    pg_stmt *s = (pg_stmt *)base;
    pg_store *ps = (pg_store *)base->st;
    if (!s->executed) {
        if (ps->lost && (ps->in_tx || revive(ps) != CT_OK))
            return CT_UNAVAILABLE;
        s->executed = 1;
        for (int attempt = 0;; attempt++) {
            s->res = PQexecParams(ps->conn, s->sql, s->nparams, NULL,
                                  (const char *const *)s->values, NULL, NULL, 0);
            ExecStatusType t = PQresultStatus(s->res);
            if (t == PGRES_COMMAND_OK || t == PGRES_TUPLES_OK)
                break;
            set_pg_error(base->st, s->res);
            ct_status rc = status_of(s->res);
            if (!conn_lost(ps))
                return rc;
            if (attempt > 0 || !retry_after_loss(ps, read_only(s->sql)))
                return CT_UNAVAILABLE;
            PQclear(s->res);
            s->res = NULL;
        }
    }
    if (PQresultStatus(s->res) != PGRES_TUPLES_OK)
        return CT_DONE;
    s->row++;
    return s->row < PQntuples(s->res) ? CT_ROW : CT_DONE;
}

static ct_status pg_reset(ct_stmt *base)
{
    pg_stmt *s = (pg_stmt *)base;
    PQclear(s->res);
    s->res = NULL;
    s->executed = 0;
    s->row = -1;
    for (int i = 0; i < s->nparams; i++) {
        ct_free(s->values[i]);
        s->values[i] = NULL;
    }
    return CT_OK;
}

static void pg_finalize(ct_stmt *base)
{
    pg_stmt *s = (pg_stmt *)base;
    pg_reset(base);
    ct_free(s->sql);
    ct_free(s);
}

static int pg_column_count(ct_stmt *base)
{
    pg_stmt *s = (pg_stmt *)base;
    return s->res ? PQnfields(s->res) : 0;
}

static int pg_is_null(ct_stmt *base, int col)
{
    pg_stmt *s = (pg_stmt *)base;
    return PQgetisnull(s->res, s->row, col);
}

static const char *pg_col_text(ct_stmt *base, int col)
{
    pg_stmt *s = (pg_stmt *)base;
    if (PQgetisnull(s->res, s->row, col))
        return NULL;
    return PQgetvalue(s->res, s->row, col);
}

static int64_t pg_col_int64(ct_stmt *base, int col)
{
    const char *v = pg_col_text(base, col);
    if (v == NULL)
        return 0;
    if (v[0] == 't' || v[0] == 'f') /* booleans */
        return v[0] == 't';
    return strtoll(v, NULL, 10);
}

static double pg_col_double(ct_stmt *base, int col)
{
    const char *v = pg_col_text(base, col);
    return v ? strtod(v, NULL) : 0.0;
}

static const ct_store_driver pg_driver = {
    .name = "postgres",
    .close = pg_close,
    .exec = pg_exec,
    .begin = pg_begin,
    .prepare = pg_prepare,
    .bind_text = pg_bind_text,
    .bind_int64 = pg_bind_int64,
    .bind_double = pg_bind_double,
    .bind_null = pg_bind_null,
    .step = pg_step,
    .reset = pg_reset,
    .finalize = pg_finalize,
    .column_count = pg_column_count,
    .is_null = pg_is_null,
    .text = pg_col_text,
    .int64 = pg_col_int64,
    .dbl = pg_col_double,
    .check = pg_check,
};

ct_status ct__pg_open(const char *url, ct_store **out, char *err, size_t errlen)
{
    pg_store *st = ct_calloc(1, sizeof(*st));
    if (st == NULL)
        return CT_NOMEM;
    st->base.drv = &pg_driver;
    st->conn = PQconnectdb(url);
    if (st->conn == NULL || PQstatus(st->conn) != CONNECTION_OK) {
        const char *msg = st->conn ? PQerrorMessage(st->conn) : "out of memory";
        snprintf(err, errlen, "postgres: cannot connect: %s", msg);
        size_t n = strlen(err);
        while (n > 0 && err[n - 1] == '\n')
            err[--n] = '\0';
        PQfinish(st->conn);
        ct_free(st);
        return CT_UNAVAILABLE;
    }
    PGresult *res = PQexec(st->conn, "SET client_min_messages = warning");
    PQclear(res);
    *out = &st->base;
    return CT_OK;
}
