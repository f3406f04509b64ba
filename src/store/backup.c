/* backup.c: `contrail backup` / `contrail restore` for SQLite and PostgreSQL (see backup.h).
 *
 * SQLite: sqlite3_backup_step(-1) copies every page inside one read transaction of the
 * source (in WAL mode writers go on meanwhile; the copy is the state when it began) into
 * FILE.tmp, which is switched to a rollback journal, synced and renamed to FILE. Restore
 * checks the file (PRAGMA quick_check, a schema_migrations table) and copies it into the
 * target with the same API, which writes the target in one transaction.
 * PostgreSQL: the URL is parsed by libpq (PQconninfoParse) and given to pg_dump / pg_restore
 * as a keyword=value string without the password, which goes in PGPASSWORD. The tools are
 * the server's major version's (/usr/lib/postgresql/N/bin, Debian's layout; else PATH), as
 * pg_dump refuses a server newer than itself. Restore lists the archive first (a damaged one
 * fails there), then runs pg_restore --single-transaction --exit-on-error. */
#define _GNU_SOURCE
#include "store/backup.h"

#include <errno.h>
#include <fcntl.h>
#include <libpq-fe.h>
#include <spawn.h>
#include <sqlite3.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include "base/alloc.h"
#include "base/strbuf.h"
#include "store/store.h"

extern char **environ;

/* ---- SQLite ---- */

/* The file of an embedded database URL, or NULL when `url` is not one. */
static const char *sqlite_path(const char *url)
{
    if (strncmp(url, "sqlite:", 7) == 0)
        return url + 7;
    size_t n = strlen(url);
    if (n > 3 && strcmp(url + n - 3, ".db") == 0)
        return url;
    return NULL;
}

static ct_status sq_fail(sqlite3 *db, const char *what, const char *path, char *err, size_t errlen)
{
    snprintf(err, errlen, "%s %s: %s", what, path, db ? sqlite3_errmsg(db) : "out of memory");
    return CT_IO;
}

/* Copies every page of src's main database into dst's, retrying while a writer holds a lock
 * that blocks the copy (a checkpoint, a rollback-journal writer). */
static ct_status sq_copy(sqlite3 *dst, sqlite3 *src, char *err, size_t errlen)
{
    sqlite3_backup *b = sqlite3_backup_init(dst, "main", src, "main");
    if (b == NULL) {
        snprintf(err, errlen, "cannot start the copy: %s", sqlite3_errmsg(dst));
        return CT_IO;
    }
    int rc;
    for (int tries = 0; (rc = sqlite3_backup_step(b, -1)) != SQLITE_DONE; tries++) {
        if ((rc != SQLITE_BUSY && rc != SQLITE_LOCKED) || tries >= 200)
            break;
        sqlite3_sleep(50);
    }
    sqlite3_backup_finish(b);
    if (rc != SQLITE_DONE) {
        snprintf(err, errlen, "copy failed: %s", sqlite3_errstr(rc));
        return rc == SQLITE_CORRUPT || rc == SQLITE_NOTADB ? CT_INVALID : CT_IO;
    }
    return CT_OK;
}

static ct_status sq_open(const char *path, int flags, sqlite3 **out, char *err, size_t errlen)
{
    if (sqlite3_open_v2(path, out, flags, NULL) != SQLITE_OK)
        return sq_fail(*out, "cannot open", path, err, errlen);
    sqlite3_busy_timeout(*out, 10000);
    return CT_OK;
}

/* Syncs a finished file to disk before it is renamed into place. */
static ct_status sync_file(const char *path, char *err, size_t errlen)
{
    int fd = open(path, O_RDONLY | O_CLOEXEC);
    if (fd < 0 || fsync(fd) != 0) {
        snprintf(err, errlen, "cannot sync %s: %s", path, strerror(errno));
        if (fd >= 0)
            close(fd);
        return CT_IO;
    }
    close(fd);
    return CT_OK;
}

static ct_status sq_backup(const char *path, const char *out_path, char *err, size_t errlen)
{
    char tmp[4096];
    if (snprintf(tmp, sizeof(tmp), "%s.tmp", out_path) >= (int)sizeof(tmp)) {
        snprintf(err, errlen, "--out: the file name is too long");
        return CT_INVALID;
    }
    sqlite3 *src = NULL, *dst = NULL;
    unlink(tmp);
    ct_status rc = sq_open(path, SQLITE_OPEN_READWRITE, &src, err, errlen);
    if (rc == CT_OK)
        rc = sq_open(tmp, SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE, &dst, err, errlen);
    if (rc == CT_OK)
        rc = sq_copy(dst, src, err, errlen);
    /* The copy carries the source's WAL flag: a backup is one self-contained file. */
    if (rc == CT_OK && sqlite3_exec(dst, "PRAGMA journal_mode=DELETE", NULL, NULL, NULL))
        rc = sq_fail(dst, "cannot finish", tmp, err, errlen);
    sqlite3_close(dst);
    dst = NULL;
    if (rc == CT_OK)
        rc = sync_file(tmp, err, errlen);
    if (rc == CT_OK && rename(tmp, out_path) != 0) {
        snprintf(err, errlen, "cannot rename %s to %s: %s", tmp, out_path, strerror(errno));
        rc = CT_IO;
    }
    if (rc != CT_OK)
        unlink(tmp);
    sqlite3_close(src);
    return rc;
}

/* Reads one integer or the first column's text of a query's first row. */
static int sq_query_int(sqlite3 *db, const char *sql, long long *out)
{
    sqlite3_stmt *s = NULL;
    int rc = sqlite3_prepare_v2(db, sql, -1, &s, NULL);
    if (rc == SQLITE_OK) {
        rc = sqlite3_step(s);
        if (rc == SQLITE_ROW) {
            *out = sqlite3_column_int64(s, 0);
            rc = SQLITE_OK;
        }
    }
    sqlite3_finalize(s);
    return rc;
}

/* A backup is a sound SQLite file with a Contrail schema. */
static ct_status sq_check_backup(sqlite3 *db, const char *path, char *err, size_t errlen)
{
    sqlite3_stmt *s = NULL;
    int rc = sqlite3_prepare_v2(db, "PRAGMA quick_check", -1, &s, NULL);
    if (rc == SQLITE_OK)
        rc = sqlite3_step(s);
    int ok = rc == SQLITE_ROW && strcmp((const char *)sqlite3_column_text(s, 0), "ok") == 0;
    if (!ok)
        snprintf(err, errlen, "%s is damaged or not a SQLite backup: %s", path,
                 rc == SQLITE_ROW ? (const char *)sqlite3_column_text(s, 0) : sqlite3_errmsg(db));
    sqlite3_finalize(s);
    if (!ok)
        return CT_INVALID;
    long long n = 0;
    if (sq_query_int(db,
                     "SELECT count(*) FROM sqlite_master WHERE type = 'table'"
                     " AND name = 'schema_migrations'",
                     &n) != SQLITE_OK ||
        n != 1) {
        snprintf(err, errlen, "%s is not a Contrail backup (no schema_migrations table)", path);
        return CT_INVALID;
    }
    return CT_OK;
}

/* After a restore the server's identity marker (store.h) names the restored database. */
static ct_status sq_update_identity(const char *url, char *err, size_t errlen)
{
    char marker[4096];
    if (!ct_store_identity_marker(url, marker, sizeof(marker)) || access(marker, F_OK) != 0)
        return CT_OK;
    ct_store *st = NULL;
    ct_status rc = ct_store_open(url, &st, err, errlen);
    if (rc == CT_OK)
        rc = ct_store_identity_check(st, marker, 1, err, errlen);
    ct_store_close(st);
    return rc;
}

static ct_status sq_restore(const char *url, const char *path, const char *in_path, int force,
                            char *err, size_t errlen)
{
    sqlite3 *src = NULL, *dst = NULL;
    ct_status rc = sq_open(in_path, SQLITE_OPEN_READONLY, &src, err, errlen);
    if (rc == CT_OK)
        rc = sq_check_backup(src, in_path, err, errlen);
    if (rc == CT_OK)
        rc = sq_open(path, SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE, &dst, err, errlen);
    long long tables = 0;
    if (rc == CT_OK && sq_query_int(dst,
                                    "SELECT count(*) FROM sqlite_master WHERE type = 'table'"
                                    " AND name NOT LIKE 'sqlite_%'",
                                    &tables) != SQLITE_OK)
        rc = sq_fail(dst, "cannot read", path, err, errlen);
    if (rc == CT_OK && tables > 0 && !force) {
        snprintf(err, errlen,
                 "%s already holds %lld tables: restore into an empty database, or pass --force"
                 " to replace it",
                 path, tables);
        rc = CT_CONFLICT;
    }
    if (rc == CT_OK)
        rc = sq_copy(dst, src, err, errlen);
    sqlite3_close(dst);
    sqlite3_close(src);
    if (rc == CT_OK)
        rc = sq_update_identity(url, err, errlen);
    return rc;
}

/* ---- PostgreSQL ---- */

/* How to reach one server: a libpq keyword=value string without the password, the password
 * (or NULL), and the schema the URL selects. */
typedef struct pg_target {
    ct_strbuf conninfo;
    char *password;
    char schema[128];
    int major; /* the server's major version */
} pg_target;

static void pg_target_free(pg_target *t)
{
    ct_strbuf_free(&t->conninfo);
    ct_free(t->password);
}

/* Appends ` key='value'` with libpq's quoting (backslash before ' and \). */
static ct_status put_conn_value(ct_strbuf *sb, const char *key, const char *val)
{
    ct_status rc = ct_strbuf_printf(sb, "%s%s='", ct_strbuf_str(sb)[0] ? " " : "", key);
    for (const char *p = val; rc == CT_OK && *p; p++) {
        if (*p == '\'' || *p == '\\')
            rc = ct_strbuf_putc(sb, '\\');
        if (rc == CT_OK)
            rc = ct_strbuf_putc(sb, *p);
    }
    return rc == CT_OK ? ct_strbuf_putc(sb, '\'') : rc;
}

/* The first schema of the session's search_path ("$user" and an empty path mean public). */
static void pg_read_schema(PGconn *c, char *out, size_t len)
{
    snprintf(out, len, "public");
    PGresult *r = PQexec(c, "SELECT btrim(split_part(current_setting('search_path'), ',', 1))");
    if (PQresultStatus(r) == PGRES_TUPLES_OK && PQntuples(r) == 1) {
        const char *v = PQgetvalue(r, 0, 0);
        size_t n = strlen(v);
        if (n >= 2 && v[0] == '"' && v[n - 1] == '"') {
            v++;
            n -= 2;
        }
        if (n > 0 && n < len && strncmp(v, "$user", n) != 0)
            snprintf(out, len, "%.*s", (int)n, v);
    }
    PQclear(r);
}

static ct_status pg_target_open(const char *url, pg_target *t, PGconn **conn, char *err,
                                size_t errlen)
{
    memset(t, 0, sizeof(*t));
    ct_strbuf_init(&t->conninfo, 64 * 1024);
    char *perr = NULL;
    PQconninfoOption *opts = PQconninfoParse(url, &perr);
    if (opts == NULL) {
        snprintf(err, errlen, "--db: %s", perr ? perr : "out of memory");
        PQfreemem(perr);
        return CT_INVALID;
    }
    ct_status rc = CT_OK;
    for (PQconninfoOption *o = opts; rc == CT_OK && o->keyword != NULL; o++) {
        if (o->val == NULL || o->val[0] == '\0')
            continue;
        if (strcmp(o->keyword, "password") == 0) {
            t->password = ct_strdup(o->val);
            rc = t->password ? CT_OK : CT_NOMEM;
        } else
            rc = put_conn_value(&t->conninfo, o->keyword, o->val);
    }
    PQconninfoFree(opts);
    if (rc) {
        snprintf(err, errlen, "out of memory");
        return rc;
    }
    *conn = PQconnectdb(url);
    if (PQstatus(*conn) != CONNECTION_OK) {
        snprintf(err, errlen, "cannot connect to the database: %s", PQerrorMessage(*conn));
        return CT_UNAVAILABLE;
    }
    t->major = PQserverVersion(*conn) / 10000;
    pg_read_schema(*conn, t->schema, sizeof(t->schema));
    return CT_OK;
}

/* The tool of the server's major version where Debian keeps it, else the one on PATH. */
static void pg_tool(const pg_target *t, const char *name, char *out, size_t len)
{
    snprintf(out, len, "/usr/lib/postgresql/%d/bin/%s", t->major, name);
    if (access(out, X_OK) != 0)
        snprintf(out, len, "%s", name);
}

/* The environment for the tools: ours with PGPASSWORD set to the URL's password (or left as
 * it is when the URL has none). An array of borrowed strings, freed with ct_free. */
static char **tool_env(const char *password_var)
{
    size_t n = 0;
    while (environ[n] != NULL)
        n++;
    char **env = ct_calloc(n + 2, sizeof(*env));
    if (env == NULL)
        return NULL;
    size_t k = 0;
    for (size_t i = 0; i < n; i++)
        if (password_var == NULL || strncmp(environ[i], "PGPASSWORD=", 11) != 0)
            env[k++] = environ[i];
    if (password_var != NULL)
        env[k++] = (char *)password_var;
    return env;
}

/* Runs argv (stdout to /dev/null); CT_OK when it exits 0, else its stderr's end in err. */
static ct_status run_tool(char *const argv[], const pg_target *t, char *err, size_t errlen)
{
    ct_strbuf pw;
    ct_strbuf_init(&pw, 64 * 1024);
    if (t->password != NULL && ct_strbuf_printf(&pw, "PGPASSWORD=%s", t->password))
        return CT_NOMEM;
    char **env = tool_env(t->password ? ct_strbuf_str(&pw) : NULL);
    int fds[2] = {-1, -1};
    posix_spawn_file_actions_t fa;
    posix_spawn_file_actions_init(&fa);
    ct_status rc = env != NULL && pipe2(fds, O_CLOEXEC) == 0 ? CT_OK : CT_IO;
    pid_t pid = -1;
    if (rc == CT_OK) {
        posix_spawn_file_actions_addopen(&fa, 1, "/dev/null", O_WRONLY, 0);
        posix_spawn_file_actions_adddup2(&fa, fds[1], 2);
        int e = posix_spawnp(&pid, argv[0], &fa, NULL, argv, env);
        if (e != 0) {
            snprintf(err, errlen, "cannot run %s: %s (install the postgresql client tools)",
                     argv[0], strerror(e));
            rc = CT_UNAVAILABLE;
        }
    }
    if (fds[1] >= 0)
        close(fds[1]);
    char msg[2048] = "";
    size_t used = 0;
    ssize_t got;
    while (fds[0] >= 0 && (got = read(fds[0], msg + used, sizeof(msg) - 1 - used)) > 0) {
        used += (size_t)got;
        if (used == sizeof(msg) - 1) { /* keep the end: the error comes last */
            memmove(msg, msg + used / 2, used - used / 2);
            used -= used / 2;
        }
    }
    msg[used] = '\0';
    if (fds[0] >= 0)
        close(fds[0]);
    int status = 0;
    if (pid > 0 &&
        (waitpid(pid, &status, 0) != pid || !WIFEXITED(status) || WEXITSTATUS(status) != 0)) {
        while (used > 0 && (msg[used - 1] == '\n' || msg[used - 1] == ' '))
            msg[--used] = '\0';
        snprintf(err, errlen, "%s failed: %s", argv[0], msg[0] ? msg : "no message");
        rc = CT_ERR;
    }
    posix_spawn_file_actions_destroy(&fa);
    ct_free(env);
    ct_strbuf_free(&pw);
    return rc;
}

static ct_status pg_backup(const char *url, const char *out_path, char *err, size_t errlen)
{
    pg_target t;
    PGconn *c = NULL;
    ct_status rc = pg_target_open(url, &t, &c, err, errlen);
    PQfinish(c);
    char tool[256], file[4200], schema[200], dbname[66000], tmp[4096] = "";
    if (rc == CT_OK && snprintf(tmp, sizeof(tmp), "%s.tmp", out_path) >= (int)sizeof(tmp)) {
        snprintf(err, errlen, "--out: the file name is too long");
        tmp[0] = '\0';
        rc = CT_INVALID;
    }
    if (rc == CT_OK) {
        pg_tool(&t, "pg_dump", tool, sizeof(tool));
        snprintf(file, sizeof(file), "--file=%s", tmp);
        snprintf(schema, sizeof(schema), "--schema=%s", t.schema);
        snprintf(dbname, sizeof(dbname), "--dbname=%s", ct_strbuf_str(&t.conninfo));
        int whole = strcmp(t.schema, "public") == 0;
        char *argv[] = {tool,   "--format=custom",     "--no-owner", "--no-privileges", file,
                        dbname, whole ? NULL : schema, NULL};
        unlink(tmp);
        rc = run_tool(argv, &t, err, errlen);
    }
    if (rc == CT_OK)
        rc = sync_file(tmp, err, errlen);
    if (rc == CT_OK && rename(tmp, out_path) != 0) {
        snprintf(err, errlen, "cannot rename %s to %s: %s", tmp, out_path, strerror(errno));
        rc = CT_IO;
    }
    if (rc != CT_OK && tmp[0] != '\0')
        unlink(tmp);
    pg_target_free(&t);
    return rc;
}

/* How many tables the target schema holds, or -1 when it cannot be read. */
static long long pg_count_tables(PGconn *c, const char *schema)
{
    const char *params[1] = {schema};
    PGresult *r = PQexecParams(c,
                               "SELECT count(*) FROM information_schema.tables"
                               " WHERE table_schema = $1 AND table_type = 'BASE TABLE'",
                               1, NULL, params, NULL, NULL, 0);
    long long n = PQresultStatus(r) == PGRES_TUPLES_OK ? atoll(PQgetvalue(r, 0, 0)) : -1;
    PQclear(r);
    return n;
}

static ct_status pg_restore(const char *url, const char *in_path, int force, char *err,
                            size_t errlen)
{
    pg_target t;
    PGconn *c = NULL;
    ct_status rc = pg_target_open(url, &t, &c, err, errlen);
    char tool[256], dbname[66000];
    if (rc == CT_OK) {
        pg_tool(&t, "pg_restore", tool, sizeof(tool));
        char *argv[] = {tool, "--list", (char *)in_path, NULL};
        if (run_tool(argv, &t, err, errlen) != CT_OK) {
            char why[1024];
            snprintf(why, sizeof(why), "%s", err);
            snprintf(err, errlen, "%s is damaged or not a pg_dump archive (%s)", in_path, why);
            rc = CT_INVALID;
        }
    }
    long long tables = rc == CT_OK ? pg_count_tables(c, t.schema) : 0;
    if (rc == CT_OK && tables < 0) {
        snprintf(err, errlen, "cannot read the target's tables: %s", PQerrorMessage(c));
        rc = CT_UNAVAILABLE;
    }
    if (rc == CT_OK && tables > 0 && !force) {
        snprintf(err, errlen,
                 "schema %s already holds %lld tables: restore into an empty database, or pass"
                 " --force to replace them",
                 t.schema, tables);
        rc = CT_CONFLICT;
    }
    PQfinish(c);
    if (rc == CT_OK) {
        snprintf(dbname, sizeof(dbname), "--dbname=%s", ct_strbuf_str(&t.conninfo));
        char *argv[] = {tool,
                        "--single-transaction",
                        "--exit-on-error",
                        "--no-owner",
                        "--no-privileges",
                        dbname,
                        (char *)in_path,
                        force ? "--clean" : NULL,
                        "--if-exists",
                        NULL};
        rc = run_tool(argv, &t, err, errlen);
    }
    pg_target_free(&t);
    return rc;
}

/* ---- the interface ---- */

static int is_postgres(const char *url)
{
    return strncmp(url, "postgres://", 11) == 0 || strncmp(url, "postgresql://", 13) == 0;
}

ct_status ct_store_backup(const char *url, const char *out_path, char *err, size_t errlen)
{
    err[0] = '\0';
    if (is_postgres(url))
        return pg_backup(url, out_path, err, errlen);
    const char *path = sqlite_path(url);
    if (path == NULL || strcmp(path, ":memory:") == 0) {
        snprintf(err, errlen, "--db: want sqlite:PATH or postgres://..., not '%s'", url);
        return CT_INVALID;
    }
    if (access(path, F_OK) != 0) {
        snprintf(err, errlen, "no database at %s", path);
        return CT_NOT_FOUND;
    }
    return sq_backup(path, out_path, err, errlen);
}

ct_status ct_store_restore(const char *url, const char *in_path, int force, char *err,
                           size_t errlen)
{
    err[0] = '\0';
    if (access(in_path, R_OK) != 0) {
        snprintf(err, errlen, "cannot read %s: %s", in_path, strerror(errno));
        return CT_NOT_FOUND;
    }
    if (is_postgres(url))
        return pg_restore(url, in_path, force, err, errlen);
    const char *path = sqlite_path(url);
    if (path == NULL || strcmp(path, ":memory:") == 0) {
        snprintf(err, errlen, "--db: want sqlite:PATH or postgres://..., not '%s'", url);
        return CT_INVALID;
    }
    return sq_restore(url, path, in_path, force, err, errlen);
}
