/* pg.c: the PostgreSQL driver (libpq).
 *
 * Statements are kept as text with `?` rewritten to `$1..$n` (outside quotes) and run with
 * PQexecParams in text format when first stepped; the whole result is then iterated in
 * memory. Parameters are bound as text (integers and doubles are formatted exactly), which
 * lets the server infer types from the SQL as it does for any text-protocol client.
 * ct_store_begin uses plain BEGIN (READ COMMITTED); callers needing more say so in SQL. */
#include "store/store_internal.h"

#include <libpq-fe.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "base/alloc.h"
#include "base/strbuf.h"

#define PG_MAX_PARAMS 64

typedef struct pg_store {
    ct_store base;
    PGconn *conn;
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
    PGresult *res = PQexec(conn_of(st), sql);
    ExecStatusType t = PQresultStatus(res);
    ct_status rc = CT_OK;
    if (t != PGRES_COMMAND_OK && t != PGRES_TUPLES_OK) {
        set_pg_error(st, res);
        rc = status_of(res);
    }
    PQclear(res);
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
    if (!s->executed) {
        s->res = PQexecParams(conn_of(base->st), s->sql, s->nparams, NULL,
                              (const char *const *)s->values, NULL, NULL, 0);
        s->executed = 1;
        ExecStatusType t = PQresultStatus(s->res);
        if (t != PGRES_COMMAND_OK && t != PGRES_TUPLES_OK) {
            set_pg_error(base->st, s->res);
            return status_of(s->res);
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
