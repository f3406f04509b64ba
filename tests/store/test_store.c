/* test_store.c: the store interface on every engine (SQLite, and PostgreSQL when configured):
 * migrations, binding and reading every type, NULLs, transactions, constraint errors. */
#include "ct_test.h"

#include <stdio.h>
#include <string.h>

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

static void migrations_apply_once(void **state)
{
    (void)state;
    for (int e = 0; e < nurls; e++) {
        ct_store *st = NULL;
        char err[512];
        assert_int_equal(ct_store_open(urls[e], &st, err, sizeof(err)), CT_OK);
        int applied = -1, version = -1;
        assert_int_equal(ct_store_migrate(st, &applied), CT_OK);
        assert_int_equal(applied, ct_migrations_count);
        assert_int_equal(ct_store_schema_version(st, &version), CT_OK);
        assert_int_equal(version, ct_migrations[ct_migrations_count - 1].version);
        assert_int_equal(ct_store_migrate(st, &applied), CT_OK);
        assert_int_equal(applied, 0);
        int64_t n = -1;
        assert_int_equal(ct_store_query_int64(st, "SELECT COUNT(*) FROM airports", &n), CT_OK);
        assert_int_equal(n, 0);
        ct_store_close(st);
    }
}

/* A migration merged after a higher one was applied (branches landing in any order) is still
 * applied: the highest version recorded first, then every other one must run. */
static void migrations_below_the_highest_applied_still_run(void **state)
{
    (void)state;
    char fresh[2][512];
    int nfresh = ts_store_urls(tmpdir, fresh, 2); /* a new file and a new schema */
    for (int e = 0; e < nfresh; e++) {
        ct_store *st = NULL;
        char err[512];
        assert_int_equal(ct_store_open(fresh[e], &st, err, sizeof(err)), CT_OK);
        int version = -1, applied = -1;
        assert_int_equal(ct_store_schema_version(st, &version), CT_OK); /* makes the table */
        const ct_migration *last = &ct_migrations[ct_migrations_count - 1];
        char sql[256];
        snprintf(sql, sizeof(sql),
                 "INSERT INTO schema_migrations (version, name, applied_at)"
                 " VALUES (%d, '%s', 'x')",
                 last->version, last->name);
        assert_int_equal(ct_store_exec(st, sql), CT_OK);
        assert_int_equal(ct_store_migrate(st, &applied), CT_OK);
        assert_int_equal(applied, ct_migrations_count - 1);
        int64_t n = -1;
        assert_int_equal(ct_store_query_int64(st, "SELECT COUNT(*) FROM schema_migrations", &n),
                         CT_OK);
        assert_int_equal(n, ct_migrations_count);
        ct_store_close(st);
    }
}

static void bind_step_and_read_every_type(void **state)
{
    (void)state;
    for (int e = 0; e < nurls; e++) {
        ct_store *st = ts_open_migrated(urls[e]);
        assert_int_equal(ct_store_exec(st, "CREATE TABLE t (id BIGINT PRIMARY KEY, name TEXT,"
                                           " x DOUBLE PRECISION, note TEXT)"),
                         CT_OK);
        ct_stmt *ins = NULL;
        assert_int_equal(ct_store_prepare(st, "INSERT INTO t VALUES (?, ?, ?, ?)", &ins), CT_OK);
        for (int i = 0; i < 50; i++) {
            char name[32];
            snprintf(name, sizeof(name), "Zürich '%d' ?", i);
            assert_int_equal(ct_stmt_reset(ins), CT_OK);
            assert_int_equal(ct_stmt_bind_int64(ins, 1, 5000000000LL + i), CT_OK);
            assert_int_equal(ct_stmt_bind_text(ins, 2, name), CT_OK);
            assert_int_equal(ct_stmt_bind_double(ins, 3, i / 3.0), CT_OK);
            assert_int_equal(ct_stmt_bind_text(ins, 4, i % 2 ? NULL : "even"), CT_OK);
            assert_int_equal(ct_stmt_step(ins), CT_DONE);
        }
        ct_stmt_finalize(ins);
        ct_stmt *sel = NULL;
        /* The '?' inside the literal must not become a parameter. */
        assert_int_equal(ct_store_prepare(st,
                                          "SELECT id, name, x, note FROM t WHERE id >= ?"
                                          " AND name <> 'what?' ORDER BY id",
                                          &sel),
                         CT_OK);
        assert_int_equal(ct_stmt_bind_int64(sel, 1, 5000000040LL), CT_OK);
        int rows = 0;
        ct_status rc;
        while ((rc = ct_stmt_step(sel)) == CT_ROW) {
            int i = 40 + rows;
            assert_int_equal(ct_stmt_column_count(sel), 4);
            assert_int_equal(ct_stmt_int64(sel, 0), 5000000000LL + i);
            char name[32];
            snprintf(name, sizeof(name), "Zürich '%d' ?", i);
            assert_string_equal(ct_stmt_text(sel, 1), name);
            assert_true(ct_stmt_double(sel, 2) - i / 3.0 < 1e-12);
            assert_int_equal(ct_stmt_is_null(sel, 3), i % 2);
            if (i % 2)
                assert_null(ct_stmt_text(sel, 3));
            rows++;
        }
        assert_int_equal(rc, CT_DONE);
        assert_int_equal(rows, 10);
        ct_stmt_finalize(sel);
        ct_store_close(st);
    }
}

static void transactions_commit_and_roll_back(void **state)
{
    (void)state;
    for (int e = 0; e < nurls; e++) {
        ct_store *st = ts_open_migrated(urls[e]);
        assert_int_equal(ct_store_exec(st, "CREATE TABLE k (code TEXT PRIMARY KEY)"), CT_OK);
        assert_int_equal(ct_store_begin(st), CT_OK);
        assert_int_equal(ct_store_exec(st, "INSERT INTO k VALUES ('A')"), CT_OK);
        assert_int_equal(ct_store_rollback(st), CT_OK);
        int64_t n = -1;
        assert_int_equal(ct_store_query_int64(st, "SELECT COUNT(*) FROM k", &n), CT_OK);
        assert_int_equal(n, 0);
        assert_int_equal(ct_store_begin(st), CT_OK);
        assert_int_equal(ct_store_exec(st, "INSERT INTO k VALUES ('A')"), CT_OK);
        assert_int_equal(ct_store_commit(st), CT_OK);
        /* A duplicate key is a conflict, with the engine's message kept. */
        assert_int_equal(ct_store_exec(st, "INSERT INTO k VALUES ('A')"), CT_CONFLICT);
        assert_true(strlen(ct_store_errmsg(st)) > 0);
        assert_int_equal(ct_store_query_int64(st, "SELECT COUNT(*) FROM k", &n), CT_OK);
        assert_int_equal(n, 1);
        /* Syntax errors are errors, not crashes. */
        ct_stmt *bad = NULL;
        ct_status rc = ct_store_prepare(st, "SELEC nothing", &bad);
        if (rc == CT_OK) { /* postgres reports at execution */
            assert_int_not_equal(ct_stmt_step(bad), CT_ROW);
            ct_stmt_finalize(bad);
        }
        assert_int_equal(ct_store_query_int64(st, "SELECT COUNT(*) FROM k WHERE code = 'Z'", &n),
                         CT_OK);
        assert_int_equal(n, 0);
        ct_store_close(st);
    }
}

static void bad_urls_fail_with_a_message(void **state)
{
    (void)state;
    ct_store *st = NULL;
    char err[512] = "";
    assert_int_equal(ct_store_open("mysql://x", &st, err, sizeof(err)), CT_INVALID);
    assert_non_null(strstr(err, "unknown database URL"));
    assert_int_equal(ct_store_open("sqlite:/nonexistent-dir/x/y.db", &st, err, sizeof(err)), CT_IO);
    assert_int_equal(ct_store_open("postgres://nobody@127.0.0.1:1/none?connect_timeout=2", &st, err,
                                   sizeof(err)),
                     CT_UNAVAILABLE);
    assert_non_null(strstr(err, "postgres"));
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(migrations_apply_once),
        cmocka_unit_test(migrations_below_the_highest_applied_still_run),
        cmocka_unit_test(bind_step_and_read_every_type),
        cmocka_unit_test(transactions_commit_and_roll_back),
        cmocka_unit_test(bad_urls_fail_with_a_message),
    };
    return cmocka_run_group_tests(tests, setup, teardown);
}
