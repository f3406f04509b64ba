/* test_store_outage.c: what a database outage does to connections, on real engines.
 *
 * PostgreSQL: a throwaway cluster of this test's own (scripts/pg-cluster.sh) is restarted,
 * crashed (SIGKILL) and resumed under an open pool; every borrowed connection must be usable
 * again as soon as the server is, without restarting anything, a down server must fail fast
 * (CT_UNAVAILABLE) rather than hang, and a transaction cut by the outage must fail, not be
 * replayed. SQLite: a database file deleted or replaced under an open connection is refused
 * (CT_UNAVAILABLE), never written to; on a real full disk (a
 * small tmpfs of the test's own, mounted when the test may mount: root with CAP_SYS_ADMIN,
 * else skipped) writes fail with CT_UNAVAILABLE, the fault is recorded for /readyz, the write
 * probe fails, and nothing is half-written; once space is back, writes succeed again; a
 * database on a read-only file system is refused at open with a message naming it.
 * The PostgreSQL cases are skipped without a PostgreSQL server installed unless
 * CT_TEST_REQUIRE_PG=1. */
#include "ct_test.h"

#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mount.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "store/store.h"
#include "testsupport.h"

static char pgdir[64];
static char pgurl[512];

static int64_t now_ms(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

static int setup(void **state)
{
    (void)state;
    snprintf(pgdir, sizeof(pgdir), "/tmp/contrail-outage.XXXXXX");
    if (mkdtemp(pgdir) == NULL || ts_pg_cluster(pgdir, "start", pgurl, sizeof(pgurl)) != 0 ||
        strncmp(pgurl, "postgres://", 11) != 0) {
        pgurl[0] = '\0';
        const char *req = getenv("CT_TEST_REQUIRE_PG");
        if (req != NULL && strcmp(req, "1") == 0) {
            fprintf(stderr, "could not start a PostgreSQL cluster\n");
            return -1;
        }
        rmdir(pgdir);
    }
    return 0;
}

static int teardown(void **state)
{
    (void)state;
    if (pgurl[0] != '\0')
        ts_pg_cluster(pgdir, "stop", NULL, 0);
    return 0;
}

/* Borrows a connection and runs SELECT 1 on it. */
static ct_status select_one(ct_store_pool *pool)
{
    ct_store *st = NULL;
    ct_status rc = ct_store_pool_acquire(pool, 1000, &st);
    if (rc)
        return rc;
    int64_t one = 0;
    rc = ct_store_query_int64(st, "SELECT 1", &one);
    ct_store_pool_release(pool, st);
    return rc ? rc : one == 1 ? CT_OK : CT_ERR;
}

static void postgres_restart_is_invisible_to_the_next_requests(void **state)
{
    (void)state;
    if (pgurl[0] == '\0')
        skip();
    char err[512];
    ct_store_pool *pool = NULL;
    assert_int_equal(ct_store_pool_open(pgurl, 3, &pool, err, sizeof(err)), CT_OK);
    for (int i = 0; i < 3; i++)
        assert_int_equal(select_one(pool), CT_OK);
    assert_int_equal(ts_pg_cluster(pgdir, "restart", NULL, 0), 0);
    /* Every pooled connection was closed by the server: each borrow must notice and revive
     * its connection, so not one request fails. */
    for (int i = 0; i < 9; i++)
        assert_int_equal(select_one(pool), CT_OK);
    ct_store_pool_close(pool);
}

static void postgres_statement_on_a_lost_connection(void **state)
{
    (void)state;
    if (pgurl[0] == '\0')
        skip();
    char err[512];
    ct_store *st = NULL;
    assert_int_equal(ct_store_open(pgurl, &st, err, sizeof(err)), CT_OK);
    assert_int_equal(ct_store_exec(st, "CREATE TABLE IF NOT EXISTS outage (n BIGINT)"), CT_OK);
    assert_int_equal(ct_store_exec(st, "DELETE FROM outage"), CT_OK);

    /* Without a check in between: a SELECT is sent again on a fresh connection. */
    assert_int_equal(ts_pg_cluster(pgdir, "restart", NULL, 0), 0);
    int64_t n = -1;
    assert_int_equal(ct_store_query_int64(st, "SELECT COUNT(*) FROM outage", &n), CT_OK);
    assert_int_equal(n, 0);

    /* BEGIN too (nothing ran yet). */
    assert_int_equal(ts_pg_cluster(pgdir, "restart", NULL, 0), 0);
    assert_int_equal(ct_store_begin(st), CT_OK);
    assert_int_equal(ct_store_run(st, "INSERT INTO outage VALUES (1)", 0, NULL), CT_OK);
    assert_int_equal(ct_store_commit(st), CT_OK);

    /* A transaction cut by the outage fails and is never replayed half-way. */
    assert_int_equal(ct_store_begin(st), CT_OK);
    assert_int_equal(ct_store_run(st, "INSERT INTO outage VALUES (2)", 0, NULL), CT_OK);
    assert_int_equal(ts_pg_cluster(pgdir, "restart", NULL, 0), 0);
    assert_int_equal(ct_store_run(st, "INSERT INTO outage VALUES (3)", 0, NULL), CT_UNAVAILABLE);
    assert_int_equal(ct_store_rollback(st), CT_OK);
    /* And the connection serves the next transaction. */
    assert_int_equal(ct_store_check(st), CT_OK);
    assert_int_equal(ct_store_query_int64(st, "SELECT COUNT(*) FROM outage", &n), CT_OK);
    assert_int_equal(n, 1);
    /* An INSERT outside a transaction is not sent twice either: it fails. */
    assert_int_equal(ts_pg_cluster(pgdir, "restart", NULL, 0), 0);
    assert_int_equal(ct_store_run(st, "INSERT INTO outage VALUES (4)", 0, NULL), CT_UNAVAILABLE);
    assert_int_equal(ct_store_check(st), CT_OK);
    assert_int_equal(ct_store_query_int64(st, "SELECT COUNT(*) FROM outage", &n), CT_OK);
    assert_int_equal(n, 1);
    ct_store_close(st);
}

static void postgres_crash_fails_fast_then_recovers(void **state)
{
    (void)state;
    if (pgurl[0] == '\0')
        skip();
    char err[512];
    ct_store_pool *pool = NULL;
    assert_int_equal(ct_store_pool_open(pgurl, 2, &pool, err, sizeof(err)), CT_OK);
    assert_int_equal(select_one(pool), CT_OK);
    assert_int_equal(ts_pg_cluster(pgdir, "crash", NULL, 0), 0);
    /* Down: every borrow answers at once (a connection attempt refused, or the backoff). */
    int64_t t0 = now_ms();
    for (int i = 0; i < 50; i++)
        assert_int_equal(select_one(pool), CT_UNAVAILABLE);
    int64_t down_ms = now_ms() - t0;
    assert_true(down_ms < 2000);
    assert_int_equal(ts_pg_cluster(pgdir, "resume", NULL, 0), 0);
    int64_t t1 = now_ms();
    ct_status rc;
    while ((rc = select_one(pool)) != CT_OK && now_ms() - t1 < 15000)
        usleep(20000);
    assert_int_equal(rc, CT_OK);
    int64_t back_ms = now_ms() - t1;
    /* Backoff is capped at 5 s, so the pool is back within one interval of the server. */
    assert_true(back_ms < 6000);
    assert_int_equal(select_one(pool), CT_OK);
    fprintf(stderr, "outage: 50 borrows while down took %lld ms; back %lld ms after resume\n",
            (long long)down_ms, (long long)back_ms);
    ct_store_pool_close(pool);
}

static void sqlite_file_deleted_or_replaced_is_refused(void **state)
{
    (void)state;
    char dir[256], path[512], url[600], moved[600];
    ts_tempdir(dir, sizeof(dir));
    snprintf(path, sizeof(path), "%s/app.db", dir);
    snprintf(url, sizeof(url), "sqlite:%s", path);
    char err[512];
    ct_store_pool *pool = NULL;
    assert_int_equal(ct_store_pool_open(url, 1, &pool, err, sizeof(err)), CT_OK);
    ct_store *st = NULL;
    assert_int_equal(ct_store_pool_acquire(pool, 1000, &st), CT_OK);
    assert_int_equal(ct_store_exec(st, "CREATE TABLE t (n BIGINT)"), CT_OK);
    ct_store_pool_release(pool, st);

    /* Replaced (moved away, another file in its place). */
    snprintf(moved, sizeof(moved), "%s/app.db.old", dir);
    assert_int_equal(rename(path, moved), 0);
    ts_write_file(dir, "app.db", "");
    assert_int_equal(ct_store_pool_acquire(pool, 1000, &st), CT_UNAVAILABLE);
    /* Deleted. */
    assert_int_equal(unlink(path), 0);
    assert_int_equal(ct_store_pool_acquire(pool, 1000, &st), CT_UNAVAILABLE);
    /* Put back: the same file again, usable. */
    assert_int_equal(rename(moved, path), 0);
    assert_int_equal(ct_store_pool_acquire(pool, 1000, &st), CT_OK);
    assert_int_equal(ct_store_run(st, "INSERT INTO t VALUES (1)", 0, NULL), CT_OK);
    ct_store_pool_release(pool, st);
    ct_store_pool_close(pool);
    ts_rmtree(dir);
}

/* Fills the file system holding dir until a write fails; returns the filler's path. */
static void fill_disk(const char *dir, char *filler, size_t len)
{
    snprintf(filler, len, "%s/filler", dir);
    int fd = open(filler, O_WRONLY | O_CREAT | O_TRUNC, 0600);
    assert_true(fd >= 0);
    static char block[65536];
    while (write(fd, block, sizeof(block)) > 0)
        ;
    while (write(fd, block, 512) > 0)
        ;
    close(fd);
}

static void sqlite_full_disk_and_read_only_file_system(void **state)
{
    (void)state;
    char dir[64];
    snprintf(dir, sizeof(dir), "/tmp/contrail-disk.XXXXXX");
    assert_non_null(mkdtemp(dir));
    if (mount("tmpfs", dir, "tmpfs", 0, "size=2m") != 0) {
        rmdir(dir);
        skip(); /* not allowed to mount here */
    }
    char url[128], filler[128], reason[512];
    snprintf(url, sizeof(url), "sqlite:%s/app.db", dir);
    char err[512];
    ct_store *st = NULL;
    assert_int_equal(ct_store_open(url, &st, err, sizeof(err)), CT_OK);
    assert_int_equal(ct_store_exec(st, "CREATE TABLE t (n BIGINT, pad TEXT)"), CT_OK);
    assert_int_equal(ct_store_write_probe(st), CT_OK);

    fill_disk(dir, filler, sizeof(filler));
    /* Transactions big enough to need new pages: each fails whole. */
    ct_status rc = CT_OK;
    for (int i = 0; i < 50 && rc == CT_OK; i++) {
        assert_int_equal(ct_store_begin(st), CT_OK);
        rc = ct_store_run(st,
                          "INSERT INTO t SELECT value, printf('%.2000c', 'x') FROM"
                          " (WITH RECURSIVE c(value) AS (SELECT 1 UNION ALL SELECT value+1"
                          " FROM c WHERE value < 200) SELECT value FROM c)",
                          0, NULL);
        if (rc == CT_OK)
            rc = ct_store_commit(st);
        if (rc != CT_OK)
            ct_store_rollback(st);
    }
    assert_int_equal(rc, CT_UNAVAILABLE);
    assert_true(ct_store_fault_recent(5000, reason, sizeof(reason)));
    assert_non_null(strstr(reason, "sqlite"));
    int64_t before = -1, after = -1;
    assert_int_equal(ct_store_query_int64(st, "SELECT COUNT(*) FROM t", &before), CT_OK);
    assert_int_equal(before % 200, 0); /* whole transactions only */

    /* Space back: writes go through again. */
    assert_int_equal(unlink(filler), 0);
    assert_int_equal(ct_store_run(st, "INSERT INTO t VALUES (1, 'back')", 0, NULL), CT_OK);
    assert_int_equal(ct_store_query_int64(st, "SELECT COUNT(*) FROM t", &after), CT_OK);
    assert_int_equal(after, before + 1);

    /* A read-only file system (remounted so while no file is open for writing, as an
     * operator's remount would be): a WAL database cannot be opened there at all (its
     * shared-memory file cannot be made), which must be a clear error at start. */
    ct_store_close(st);
    assert_int_equal(mount("tmpfs", dir, "tmpfs", MS_REMOUNT | MS_RDONLY, "size=2m"), 0);
    err[0] = '\0';
    st = NULL;
    assert_int_not_equal(ct_store_open(url, &st, err, sizeof(err)), CT_OK);
    assert_null(st);
    assert_non_null(strstr(err, "app.db"));
    assert_int_equal(mount("tmpfs", dir, "tmpfs", MS_REMOUNT, "size=2m"), 0);
    assert_int_equal(ct_store_open(url, &st, err, sizeof(err)), CT_OK);
    assert_int_equal(ct_store_write_probe(st), CT_OK);
    assert_int_equal(ct_store_query_int64(st, "SELECT COUNT(*) FROM t", &after), CT_OK);
    assert_int_equal(after, before + 1);
    ct_store_close(st);
    assert_int_equal(umount2(dir, MNT_DETACH), 0);
    rmdir(dir);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(postgres_restart_is_invisible_to_the_next_requests),
        cmocka_unit_test(postgres_statement_on_a_lost_connection),
        cmocka_unit_test(postgres_crash_fails_fast_then_recovers),
        cmocka_unit_test(sqlite_file_deleted_or_replaced_is_refused),
        cmocka_unit_test(sqlite_full_disk_and_read_only_file_system),
    };
    return cmocka_run_group_tests(tests, setup, teardown);
}
