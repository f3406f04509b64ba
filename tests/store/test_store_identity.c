/* test_store_identity.c: an embedded database's identity against the server's marker
 * (store/identity.c): the same database passes, a database lost (recreated empty) or another
 * one in its place is refused unless allowed, a damaged marker is an error, PostgreSQL URLs
 * have no marker. */
#include "ct_test.h"

#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "store/store.h"
#include "testsupport.h"

static ct_status open_and_check(const char *url, int allow_new, char *err, size_t len)
{
    char marker[600];
    assert_int_equal(ct_store_identity_marker(url, marker, sizeof(marker)), 1);
    ct_store *st = NULL;
    char oerr[512];
    assert_int_equal(ct_store_open(url, &st, oerr, sizeof(oerr)), CT_OK);
    ct_status rc = ct_store_identity_check(st, marker, allow_new, err, len);
    ct_store_close(st);
    return rc;
}

static void remove_db(const char *path)
{
    char side[600];
    unlink(path);
    snprintf(side, sizeof(side), "%s-wal", path);
    unlink(side);
    snprintf(side, sizeof(side), "%s-shm", path);
    unlink(side);
}

static void lost_or_replaced_databases_are_refused(void **state)
{
    (void)state;
    char dir[256], path[400], url[420], other[400], other_url[420], err[512];
    ts_tempdir(dir, sizeof(dir));
    snprintf(path, sizeof(path), "%s/app.db", dir);
    snprintf(url, sizeof(url), "sqlite:%s", path);
    snprintf(other, sizeof(other), "%s/other.db", dir);
    snprintf(other_url, sizeof(other_url), "sqlite:%s", other);

    /* First start: marker written; later starts on the same file pass. */
    assert_int_equal(open_and_check(url, 0, err, sizeof(err)), CT_OK);
    assert_int_equal(open_and_check(url, 0, err, sizeof(err)), CT_OK);

    /* The file lost: a new empty database is refused, the marker kept. */
    remove_db(path);
    assert_int_equal(open_and_check(url, 0, err, sizeof(err)), CT_CONFLICT);
    assert_non_null(strstr(err, "the database is new"));
    assert_non_null(strstr(err, "--allow-new-database"));
    assert_int_equal(open_and_check(url, 0, err, sizeof(err)), CT_CONFLICT);
    /* Allowed: the new one becomes the one served. */
    assert_int_equal(open_and_check(url, 1, err, sizeof(err)), CT_OK);
    assert_int_equal(open_and_check(url, 0, err, sizeof(err)), CT_OK);

    /* Another database (with an identity of its own) moved into its place. */
    char other_marker[600];
    assert_int_equal(ct_store_identity_marker(other_url, other_marker, sizeof(other_marker)), 1);
    assert_int_equal(open_and_check(other_url, 0, err, sizeof(err)), CT_OK);
    remove_db(path);
    assert_int_equal(rename(other, path), 0);
    assert_int_equal(open_and_check(url, 0, err, sizeof(err)), CT_CONFLICT);
    assert_non_null(strstr(err, "another database"));

    /* A damaged marker is an error, not a pass. */
    char marker[600];
    assert_int_equal(ct_store_identity_marker(url, marker, sizeof(marker)), 1);
    ts_write_file(dir, "app.db.identity", "not an id\n");
    assert_int_equal(open_and_check(url, 0, err, sizeof(err)), CT_IO);
    ts_rmtree(dir);
}

static void only_embedded_databases_have_a_marker(void **state)
{
    (void)state;
    char m[600];
    assert_int_equal(ct_store_identity_marker("postgres://u@h/db", m, sizeof(m)), 0);
    assert_int_equal(ct_store_identity_marker("sqlite::memory:", m, sizeof(m)), 0);
    assert_int_equal(ct_store_identity_marker("sqlite:var/contrail.db", m, sizeof(m)), 1);
    assert_string_equal(m, "var/contrail.db.identity");
    assert_int_equal(ct_store_identity_marker("/srv/x.db", m, sizeof(m)), 1);
    assert_string_equal(m, "/srv/x.db.identity");
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(lost_or_replaced_databases_are_refused),
        cmocka_unit_test(only_embedded_databases_have_a_marker),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
