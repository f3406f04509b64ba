/* sqlite.c: the SQLite driver (embedded default).
 *
 * Opened with WAL journaling, synchronous=NORMAL (durable across process crashes, which is
 * what WAL guarantees; a power cut may lose the last transactions), foreign keys on, and a
 * 5 s busy timeout. ct_store_begin issues BEGIN IMMEDIATE so a writer takes the write lock up
 * front instead of failing later on a read-to-write upgrade. */
#include "store/store_internal.h"

#include <sqlite3.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>

#include "base/alloc.h"

typedef struct sqlite_store {
    ct_store base;
    sqlite3 *db;
    char path[1024]; /* "" for an in-memory database */
    dev_t dev;       /* the file opened, to notice it deleted or replaced (sq_check) */
    ino_t ino;
} sqlite_store;

typedef struct sqlite_stmt {
    ct_stmt base;
    sqlite3_stmt *stmt;
} sqlite_stmt;

static sqlite3 *db_of(ct_store *st)
{
    return ((sqlite_store *)st)->db;
}

static ct_status map_rc(ct_store *st, int rc)
{
    switch (rc) {
    case SQLITE_OK:
        return CT_OK;
    case SQLITE_ROW:
        return CT_ROW;
    case SQLITE_DONE:
        return CT_DONE;
    default:
        break;
    }
    ct__store_set_error(st, "sqlite: %s", sqlite3_errmsg(db_of(st)));
    switch (rc & 0xff) {
    case SQLITE_BUSY:
    case SQLITE_LOCKED:
        return CT_AGAIN;
    case SQLITE_CONSTRAINT:
        return CT_CONFLICT;
    case SQLITE_NOMEM:
        return CT_NOMEM;
    case SQLITE_IOERR:
    case SQLITE_FULL:
    case SQLITE_READONLY:
    case SQLITE_CANTOPEN:
    case SQLITE_CORRUPT:
    case SQLITE_NOTADB:
        /* The storage, not the request: a full disk, a read-only or vanished file. */
        ct__store_fault(st, rc & 0xff);
        return CT_UNAVAILABLE;
    default:
        return CT_ERR;
    }
}

static void sq_close(ct_store *st)
{
    sqlite3_close_v2(db_of(st));
    ct_free(st);
}

/* The database file must still be the one opened: a file deleted or replaced while the
 * server runs would otherwise take writes that no later start sees. */
static ct_status sq_check(ct_store *st)
{
    sqlite_store *ss = (sqlite_store *)st;
    struct stat now;
    if (ss->path[0] == '\0')
        return CT_OK;
    if (stat(ss->path, &now) != 0) {
        ct__store_set_error(st, "sqlite: the database file %s is gone", ss->path);
        return CT_UNAVAILABLE;
    }
    if (now.st_dev != ss->dev || now.st_ino != ss->ino) {
        ct__store_set_error(st, "sqlite: the database file %s was replaced", ss->path);
        return CT_UNAVAILABLE;
    }
    return CT_OK;
}

static ct_status sq_exec(ct_store *st, const char *sql)
{
    return map_rc(st, sqlite3_exec(db_of(st), sql, NULL, NULL, NULL));
}

static ct_status sq_begin(ct_store *st)
{
    return sq_exec(st, "BEGIN IMMEDIATE");
}

static ct_status sq_prepare(ct_store *st, const char *sql, ct_stmt **out)
{
    sqlite_stmt *s = ct_calloc(1, sizeof(*s));
    if (s == NULL)
        return CT_NOMEM;
    s->base.st = st;
    int rc = sqlite3_prepare_v2(db_of(st), sql, -1, &s->stmt, NULL);
    if (rc != SQLITE_OK) {
        ct_free(s);
        return map_rc(st, rc);
    }
    *out = &s->base;
    return CT_OK;
}

#define SQ(s) (((sqlite_stmt *)(s))->stmt)

static ct_status sq_bind_text(ct_stmt *s, int idx, const char *v)
{
    return map_rc(s->st, sqlite3_bind_text(SQ(s), idx, v, -1, SQLITE_TRANSIENT));
}

static ct_status sq_bind_int64(ct_stmt *s, int idx, int64_t v)
{
    return map_rc(s->st, sqlite3_bind_int64(SQ(s), idx, v));
}

static ct_status sq_bind_double(ct_stmt *s, int idx, double v)
{
    return map_rc(s->st, sqlite3_bind_double(SQ(s), idx, v));
}

static ct_status sq_bind_null(ct_stmt *s, int idx)
{
    return map_rc(s->st, sqlite3_bind_null(SQ(s), idx));
}

static ct_status sq_step(ct_stmt *s)
{
    return map_rc(s->st, sqlite3_step(SQ(s)));
}

static ct_status sq_reset(ct_stmt *s)
{
    sqlite3_reset(SQ(s));
    return map_rc(s->st, sqlite3_clear_bindings(SQ(s)));
}

static void sq_finalize(ct_stmt *s)
{
    sqlite3_finalize(SQ(s));
    ct_free(s);
}

static int sq_column_count(ct_stmt *s)
{
    return sqlite3_column_count(SQ(s));
}

static int sq_is_null(ct_stmt *s, int col)
{
    return sqlite3_column_type(SQ(s), col) == SQLITE_NULL;
}

static const char *sq_text(ct_stmt *s, int col)
{
    return (const char *)sqlite3_column_text(SQ(s), col);
}

static int64_t sq_int64(ct_stmt *s, int col)
{
    return sqlite3_column_int64(SQ(s), col);
}

static double sq_double(ct_stmt *s, int col)
{
    return sqlite3_column_double(SQ(s), col);
}

static const ct_store_driver sqlite_driver = {
    .name = "sqlite",
    .close = sq_close,
    .exec = sq_exec,
    .begin = sq_begin,
    .prepare = sq_prepare,
    .bind_text = sq_bind_text,
    .bind_int64 = sq_bind_int64,
    .bind_double = sq_bind_double,
    .bind_null = sq_bind_null,
    .step = sq_step,
    .reset = sq_reset,
    .finalize = sq_finalize,
    .column_count = sq_column_count,
    .is_null = sq_is_null,
    .text = sq_text,
    .int64 = sq_int64,
    .dbl = sq_double,
    .check = sq_check,
};

ct_status ct__sqlite_open(const char *path, ct_store **out, char *err, size_t errlen)
{
    sqlite_store *st = ct_calloc(1, sizeof(*st));
    if (st == NULL)
        return CT_NOMEM;
    st->base.drv = &sqlite_driver;
    int flags = SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE | SQLITE_OPEN_NOMUTEX;
    int rc = sqlite3_open_v2(path, &st->db, flags, NULL);
    if (rc != SQLITE_OK) {
        snprintf(err, errlen, "sqlite: cannot open %s: %s", path,
                 st->db ? sqlite3_errmsg(st->db) : "out of memory");
        sqlite3_close_v2(st->db);
        ct_free(st);
        return CT_IO;
    }
    sqlite3_busy_timeout(st->db, 5000);
    rc = sqlite3_exec(st->db,
                      "PRAGMA journal_mode=WAL; PRAGMA synchronous=NORMAL;"
                      " PRAGMA foreign_keys=ON;",
                      NULL, NULL, NULL);
    if (rc != SQLITE_OK) {
        snprintf(err, errlen, "sqlite: %s: %s", path, sqlite3_errmsg(st->db));
        sqlite3_close_v2(st->db);
        ct_free(st);
        return CT_IO;
    }
    const char *file = sqlite3_db_filename(st->db, "main");
    struct stat sb;
    if (file != NULL && file[0] != '\0' && strlen(file) < sizeof(st->path) &&
        stat(file, &sb) == 0) {
        snprintf(st->path, sizeof(st->path), "%s", file);
        st->dev = sb.st_dev;
        st->ino = sb.st_ino;
    }
    *out = &st->base;
    return CT_OK;
}
