/* test_store_backup.c: store/backup.h on SQLite and, with CT_TEST_PG_URL, PostgreSQL.
 *
 * A migrated database gets rows in every table (each table's columns are read from the
 * catalogue and filled by type, with quotes, newlines, non-ASCII text and NULLs; foreign keys
 * off while filling), is backed up and restored into a fresh database, and every table is
 * compared row by row (tables listed from sqlite_master / information_schema, rows in the
 * order of all their columns). On PostgreSQL both the whole-database path (a fresh database's
 * public schema) and the schema path (the tests' search_path URL) are covered. Also: a SQLite
 * backup taken while another connection writes in a loop is consistent (the ledger's rows sum
 * to zero and their count is the tally row's); restoring into a non-empty database is refused
 * and leaves it as it was; a damaged backup (truncated, garbage, bytes flipped in the data)
 * gives CT_INVALID or an error naming the file and leaves the target as it was. */
#include "ct_test.h"

#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "base/strbuf.h"
#include "store/backup.h"
#include "store/migrate.h"
#include "store/store.h"
#include "testsupport.h"

static char tmpdir[256];
static char urls[2][512];
static int nurls;

static int setup(void **state)
{
    (void)state;
    ts_tempdir(tmpdir, sizeof(tmpdir));
    nurls = ts_store_urls(tmpdir, urls, 2);
    return 0;
}

static int teardown(void **state)
{
    (void)state;
    ts_rmtree(tmpdir);
    return 0;
}

static int is_pg(const char *url)
{
    return strncmp(url, "postgres", 8) == 0;
}

static ct_store *open_store(const char *url)
{
    ct_store *st = NULL;
    char err[512];
    if (ct_store_open(url, &st, err, sizeof(err)) != CT_OK)
        fail_msg("open %s: %s", url, err);
    return st;
}

/* The tables of the database (its schema on PostgreSQL), sorted; n names in out. */
static int list_tables(ct_store *st, char out[][128], int max)
{
    const char *sql = strcmp(ct_store_engine(st), "sqlite") == 0
                          ? "SELECT name FROM sqlite_master WHERE type = 'table'"
                            " AND name NOT LIKE 'sqlite_%' ORDER BY name"
                          : "SELECT table_name FROM information_schema.tables"
                            " WHERE table_schema = current_schema() AND table_type = 'BASE TABLE'"
                            " ORDER BY table_name";
    ct_stmt *s = NULL;
    assert_int_equal(ct_store_prepare(st, sql, &s), CT_OK);
    int n = 0;
    while (ct_stmt_step(s) == CT_ROW && n < max)
        snprintf(out[n++], 128, "%s", ct_stmt_text(s, 0));
    ct_stmt_finalize(s);
    return n;
}

/* One column: its name, whether it takes integers, doubles or text, and NULL. */
typedef struct column {
    char name[128];
    char kind; /* 'i', 'd', 't' */
    int nullable;
} column;

static int list_columns(ct_store *st, const char *table, column *out, int max)
{
    char sql[512];
    int sqlite = strcmp(ct_store_engine(st), "sqlite") == 0;
    if (sqlite)
        snprintf(sql, sizeof(sql),
                 "SELECT name, upper(type), \"notnull\" = 0 AND pk = 0 FROM pragma_table_info('%s')"
                 " ORDER BY cid",
                 table);
    else
        snprintf(sql, sizeof(sql),
                 "SELECT column_name, upper(data_type), CASE WHEN is_nullable = 'YES' THEN 1"
                 " ELSE 0 END FROM information_schema.columns WHERE table_schema ="
                 " current_schema() AND table_name = '%s' ORDER BY ordinal_position",
                 table);
    ct_stmt *s = NULL;
    assert_int_equal(ct_store_prepare(st, sql, &s), CT_OK);
    int n = 0;
    while (ct_stmt_step(s) == CT_ROW && n < max) {
        column *c = &out[n++];
        snprintf(c->name, sizeof(c->name), "%s", ct_stmt_text(s, 0));
        const char *type = ct_stmt_text(s, 1);
        c->kind = strstr(type, "INT")                              ? 'i'
                  : strstr(type, "DOUBLE") || strstr(type, "REAL") ? 'd'
                                                                   : 't';
        c->nullable = (int)ct_stmt_int64(s, 2);
    }
    ct_stmt_finalize(s);
    return n;
}

/* Three rows in every table, each column filled by its type with the row's value (row 2
 * leaves nullable columns NULL): every foreign key finds the row of the same number in its
 * table, so the restore's constraint checks pass; foreign keys are off only for the order of
 * the inserts. */
static void fill_every_table(ct_store *st)
{
    int sqlite = strcmp(ct_store_engine(st), "sqlite") == 0;
    assert_int_equal(ct_store_exec(st, sqlite ? "PRAGMA foreign_keys=OFF"
                                              : "SET session_replication_role = replica"),
                     CT_OK);
    char tables[64][128];
    int nt = list_tables(st, tables, 64);
    assert_true(nt > 20);
    for (int t = 0; t < nt; t++) {
        column cols[64];
        int nc = list_columns(st, tables[t], cols, 64);
        for (int row = 0; row < 3; row++) {
            ct_strbuf sql;
            ct_strbuf_init(&sql, 1 << 20);
            ct_strbuf_printf(&sql, "INSERT INTO %s VALUES (", tables[t]);
            for (int c = 0; c < nc; c++) {
                const char *sep = c ? ", " : "";
                if (row == 2 && cols[c].nullable)
                    ct_strbuf_printf(&sql, "%sNULL", sep);
                else if (cols[c].kind == 'i')
                    ct_strbuf_printf(&sql, "%s%d", sep, 900000 + row);
                else if (cols[c].kind == 'd')
                    ct_strbuf_printf(&sql, "%s%d.25", sep, row);
                else
                    ct_strbuf_printf(&sql, "%s'it''s #%d\n\xc3\xa9\xe2\x82\xac'", sep, row);
            }
            ct_strbuf_puts(&sql, ")");
            if (ct_store_exec(st, ct_strbuf_str(&sql)) != CT_OK)
                fail_msg("%s: %s", ct_strbuf_str(&sql), ct_store_errmsg(st));
            ct_strbuf_free(&sql);
        }
    }
}

/* Every table with its rows as text, in a fixed order: what two databases compare by. */
static void dump_database(const char *url, ct_strbuf *out)
{
    ct_store *st = open_store(url);
    char tables[64][128];
    int nt = list_tables(st, tables, 64);
    for (int t = 0; t < nt; t++) {
        column cols[64];
        int nc = list_columns(st, tables[t], cols, 64);
        ct_strbuf sql;
        ct_strbuf_init(&sql, 1 << 16);
        ct_strbuf_printf(&sql, "SELECT * FROM %s ORDER BY ", tables[t]);
        for (int c = 0; c < nc; c++)
            ct_strbuf_printf(&sql, "%s%d", c ? ", " : "", c + 1);
        ct_stmt *s = NULL;
        assert_int_equal(ct_store_prepare(st, ct_strbuf_str(&sql), &s), CT_OK);
        ct_strbuf_printf(out, "== %s\n", tables[t]);
        while (ct_stmt_step(s) == CT_ROW) {
            for (int c = 0; c < nc; c++) {
                const char *v = ct_stmt_text(s, c);
                ct_strbuf_printf(out, "%s%s", c ? " | " : "", v ? v : "<NULL>");
            }
            ct_strbuf_putc(out, '\n');
        }
        ct_stmt_finalize(s);
        ct_strbuf_free(&sql);
    }
    ct_store_close(st);
}

static void assert_same_databases(const char *a, const char *b)
{
    ct_strbuf da, db;
    ct_strbuf_init(&da, (size_t)64 << 20);
    ct_strbuf_init(&db, (size_t)64 << 20);
    dump_database(a, &da);
    dump_database(b, &db);
    if (strcmp(ct_strbuf_str(&da), ct_strbuf_str(&db)) != 0)
        fail_msg("%s and %s differ:\n--- %s\n--- %s", a, b, ct_strbuf_str(&da), ct_strbuf_str(&db));
    ct_strbuf_free(&da);
    ct_strbuf_free(&db);
}

/* A migrated database with rows in every table. */
static void make_full_database(const char *url)
{
    ct_store *st = ts_open_migrated(url);
    fill_every_table(st);
    ct_store_close(st);
}

/* A new, empty database on the test server: its URL (the same options as `like`). */
static void pg_fresh_database(const char *like, char *out, size_t len)
{
    static int counter;
    char name[64];
    snprintf(name, sizeof(name), "bk_%d_%d", (int)getpid(), ++counter);
    const char *base = getenv("CT_TEST_PG_URL");
    const char *scheme = base ? strstr(base, "://") : NULL;
    if (scheme == NULL)
        fail_msg("CT_TEST_PG_URL is not a postgres:// URL");
    ct_store *st = open_store(base);
    char sql[128];
    snprintf(sql, sizeof(sql), "CREATE DATABASE %s", name);
    assert_int_equal(ct_store_exec(st, sql), CT_OK);
    ct_store_close(st);
    /* postgres://user@host:port/DB?options: DB replaced, `like`'s options kept. */
    const char *host = scheme + 3;
    const char *slash = strchr(host, '/');
    const char *query = strchr(like, '?');
    int prefix = slash ? (int)(slash - base) : (int)strlen(base);
    snprintf(out, len, "%.*s/%s%s", prefix, base, name, query ? query : "");
}

/* The target for a restore of `source`: a fresh file or database. */
static void fresh_target(const char *source, char *out, size_t len)
{
    static int counter;
    if (is_pg(source))
        pg_fresh_database(source, out, len);
    else
        snprintf(out, len, "sqlite:%s/restored-%d.db", tmpdir, ++counter);
}

static void roundtrip(const char *source)
{
    char backup[400], target[512], err[2048];
    snprintf(backup, sizeof(backup), "%s/full.backup", tmpdir);
    make_full_database(source);
    if (ct_store_backup(source, backup, err, sizeof(err)) != CT_OK)
        fail_msg("backup %s: %s", source, err);
    fresh_target(source, target, sizeof(target));
    if (ct_store_restore(target, backup, 0, err, sizeof(err)) != CT_OK)
        fail_msg("restore into %s: %s", target, err);
    assert_same_databases(source, target);
    /* The restored database is usable: migrations find nothing to do. */
    ct_store *st = open_store(target);
    int applied = -1;
    assert_int_equal(ct_store_migrate(st, &applied), CT_OK);
    assert_int_equal(applied, 0);
    ct_store_close(st);
}

static void backup_restores_every_table(void **state)
{
    (void)state;
    for (int e = 0; e < nurls; e++)
        roundtrip(urls[e]); /* sqlite file; postgres: the tests' schema (search_path) */
    if (nurls > 1) {        /* postgres: a whole database (its public schema) */
        char whole[512];
        pg_fresh_database("", whole, sizeof(whole));
        roundtrip(whole);
    }
}

static void restore_into_non_empty_refused(void **state)
{
    (void)state;
    for (int e = 0; e < nurls; e++) {
        char backup[400], err[2048], source[sizeof(urls[0])], target[512];
        snprintf(backup, sizeof(backup), "%s/refuse.backup", tmpdir);
        /* PostgreSQL: whole databases (a fresh one's public schema has room for `mine`). */
        if (is_pg(urls[e]))
            pg_fresh_database("", source, sizeof(source));
        else
            memcpy(source, urls[e], sizeof(source)); /* the same size: no truncation */
        make_full_database(source);
        assert_int_equal(ct_store_backup(source, backup, err, sizeof(err)), CT_OK);
        /* A target with one table of its own: refused, untouched. */
        fresh_target(source, target, sizeof(target));
        ct_store *st = open_store(target);
        assert_int_equal(ct_store_exec(st, "CREATE TABLE mine (x TEXT);"
                                           " INSERT INTO mine VALUES ('kept')"),
                         CT_OK);
        ct_store_close(st);
        ct_strbuf before, after;
        ct_strbuf_init(&before, 1 << 20);
        ct_strbuf_init(&after, 1 << 20);
        dump_database(target, &before);
        assert_int_equal(ct_store_restore(target, backup, 0, err, sizeof(err)), CT_CONFLICT);
        assert_non_null(strstr(err, "--force"));
        dump_database(target, &after);
        assert_string_equal(ct_strbuf_str(&before), ct_strbuf_str(&after));
        /* With --force the backup's tables are restored (the extra table may stay). */
        if (ct_store_restore(target, backup, 1, err, sizeof(err)) != CT_OK)
            fail_msg("restore --force: %s", err);
        st = open_store(target);
        int64_t n = 0;
        assert_int_equal(ct_store_query_int64(st, "SELECT count(*) FROM outbox", &n), CT_OK);
        assert_int_equal(n, 3);
        ct_store_close(st);
        ct_strbuf_free(&before);
        ct_strbuf_free(&after);
    }
}

/* Writes a damaged copy of `src` to `dst`: truncated (how 0), its first 4 KiB garbage (1), or
 * bytes flipped in its last quarter (2). */
static void damage(const char *src, const char *dst, int how)
{
    FILE *in = fopen(src, "rb");
    assert_non_null(in);
    static char buf[8 << 20];
    size_t n = fread(buf, 1, sizeof(buf), in);
    fclose(in);
    if (how == 0)
        n /= 2;
    else if (how == 1)
        memset(buf, 'x', n > 4096 ? 4096 : n);
    else
        for (size_t i = n - n / 4; i < n - 16; i += 7)
            buf[i] = (char)~buf[i];
    FILE *out = fopen(dst, "wb");
    assert_non_null(out);
    assert_int_equal(fwrite(buf, 1, n, out), n);
    fclose(out);
}

static void damaged_backup_refused(void **state)
{
    (void)state;
    for (int e = 0; e < nurls; e++) {
        char backup[400], bad[400], err[2048], target[512];
        snprintf(backup, sizeof(backup), "%s/good.backup", tmpdir);
        snprintf(bad, sizeof(bad), "%s/bad.backup", tmpdir);
        make_full_database(urls[e]);
        assert_int_equal(ct_store_backup(urls[e], backup, err, sizeof(err)), CT_OK);
        fresh_target(urls[e], target, sizeof(target));
        assert_int_equal(ct_store_restore(target, backup, 0, err, sizeof(err)), CT_OK);
        ct_strbuf before;
        ct_strbuf_init(&before, 1 << 24);
        dump_database(target, &before);
        for (int how = 0; how < 3; how++) {
            damage(backup, bad, how);
            ct_status rc = ct_store_restore(target, bad, 1, err, sizeof(err));
            if (rc == CT_OK)
                fail_msg("damage %d of %s restored", how, urls[e]);
            assert_non_null(strstr(err, "bad.backup") ? err : strstr(err, "failed"));
            ct_strbuf after;
            ct_strbuf_init(&after, 1 << 24);
            dump_database(target, &after);
            assert_string_equal(ct_strbuf_str(&before), ct_strbuf_str(&after));
            ct_strbuf_free(&after);
        }
        ct_strbuf_free(&before);
        /* No file at all, and a fresh target stays empty after a damaged file. */
        snprintf(bad, sizeof(bad), "%s/missing.backup", tmpdir);
        assert_int_equal(ct_store_restore(target, bad, 1, err, sizeof(err)), CT_NOT_FOUND);
    }
}

/* ---- SQLite: a backup while another connection writes ---- */

typedef struct writer {
    const char *url;
    volatile int stop;
    volatile long commits;
} writer;

/* Each transaction adds +k and -k to the ledger and 2 to the tally. */
static void *write_loop(void *arg)
{
    writer *w = arg;
    ct_store *st = open_store(w->url);
    for (long k = 1; !w->stop; k++) {
        char sql[256];
        snprintf(sql, sizeof(sql),
                 "INSERT INTO ledger (amount, pad) VALUES (%ld, randomblob(200));"
                 " INSERT INTO ledger (amount, pad) VALUES (%ld, randomblob(200));"
                 " UPDATE tally SET n = n + 2",
                 k, -k);
        if (ct_store_begin(st) != CT_OK || ct_store_exec(st, sql) != CT_OK ||
            ct_store_commit(st) != CT_OK) {
            ct_store_rollback(st);
            continue;
        }
        w->commits++;
    }
    ct_store_close(st);
    return NULL;
}

static void sqlite_backup_while_writing_is_consistent(void **state)
{
    (void)state;
    char url[512], backup[400], copy[512], err[2048];
    snprintf(url, sizeof(url), "sqlite:%s/busy.db", tmpdir);
    ct_store *st = ts_open_migrated(url);
    assert_int_equal(ct_store_exec(st, "CREATE TABLE ledger (id INTEGER PRIMARY KEY,"
                                       " amount BIGINT NOT NULL, pad BLOB);"
                                       " CREATE TABLE tally (n BIGINT NOT NULL);"
                                       " INSERT INTO tally VALUES (0)"),
                     CT_OK);
    /* Some megabytes, so a copy takes long enough for writes to land during it. */
    assert_int_equal(ct_store_exec(st, "BEGIN; WITH RECURSIVE r(i) AS (SELECT 1 UNION ALL"
                                       " SELECT i + 1 FROM r WHERE i < 20000)"
                                       " INSERT INTO ledger (amount, pad) SELECT 0,"
                                       " randomblob(400) FROM r;"
                                       " UPDATE tally SET n = 20000; COMMIT"),
                     CT_OK);
    ct_store_close(st);
    writer w = {.url = url};
    pthread_t th;
    assert_int_equal(pthread_create(&th, NULL, write_loop, &w), 0);
    while (w.commits < 20)
        usleep(1000);
    long first = w.commits;
    for (int i = 0; i < 5; i++) {
        snprintf(backup, sizeof(backup), "%s/busy-%d.backup", tmpdir, i);
        if (ct_store_backup(url, backup, err, sizeof(err)) != CT_OK)
            fail_msg("backup while writing: %s", err);
    }
    long last = w.commits;
    w.stop = 1;
    pthread_join(th, NULL);
    print_message("writer: %ld commits during 5 backups\n", last - first);
    assert_true(last > first); /* the writer went on while the copies were taken */
    for (int i = 0; i < 5; i++) {
        snprintf(copy, sizeof(copy), "sqlite:%s/busy-%d.backup", tmpdir, i);
        /* Opened as a database of its own (the .backup name is not .db: sqlite: URL). */
        ct_store *c = open_store(copy);
        int64_t sum = -1, count = -1, tally = -2;
        assert_int_equal(
            ct_store_query_int64(c, "SELECT COALESCE(SUM(amount), 0) FROM ledger", &sum), CT_OK);
        assert_int_equal(ct_store_query_int64(c, "SELECT count(*) FROM ledger", &count), CT_OK);
        assert_int_equal(ct_store_query_int64(c, "SELECT n FROM tally", &tally), CT_OK);
        ct_stmt *s = NULL;
        assert_int_equal(ct_store_prepare(c, "PRAGMA integrity_check", &s), CT_OK);
        assert_int_equal(ct_stmt_step(s), CT_ROW);
        assert_string_equal(ct_stmt_text(s, 0), "ok");
        ct_stmt_finalize(s);
        ct_store_close(c);
        assert_int_equal(sum, 0);
        assert_int_equal(count, tally);
        assert_true(count >= 20000 + 2 * first);
    }
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(backup_restores_every_table, setup, teardown),
        cmocka_unit_test_setup_teardown(restore_into_non_empty_refused, setup, teardown),
        cmocka_unit_test_setup_teardown(damaged_backup_refused, setup, teardown),
        cmocka_unit_test_setup_teardown(sqlite_backup_while_writing_is_consistent, setup, teardown),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
