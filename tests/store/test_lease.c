/* test_lease.c: named leases with fencing tokens (store/lease.h) on SQLite and, with
 * CT_TEST_PG_URL, PostgreSQL, through separate connections as separate instances would use.
 *
 * One holder at a time: a second acquirer is refused while the lease lasts, renewals keep it,
 * an expired lease goes to the next acquirer with a higher token, after which the old
 * holder's renewal and its fence fail and the new one's pass; a release frees it at once;
 * holder ids differ between calls. PostgreSQL: a fenced transaction in progress holds a
 * takeover back until it commits (the fence's share lock), so no write of an old holder can
 * commit after a new holder got its token. */
#include "ct_test.h"

#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <string.h>
#include <time.h>

#include "store/lease.h"
#include "store/store.h"
#include "testsupport.h"

static char dir[256];
static char urls[2][512];
static int nurls;

static int setup(void **state)
{
    (void)state;
    ts_tempdir(dir, sizeof(dir));
    nurls = ts_store_urls(dir, urls, 2);
    return 0;
}

static int teardown(void **state)
{
    (void)state;
    ts_rmtree(dir);
    return 0;
}

static void sleep_ms(int ms)
{
    struct timespec ts = {ms / 1000, (long)(ms % 1000) * 1000000L};
    nanosleep(&ts, NULL);
}

static ct_store *open_store(const char *url)
{
    ct_store *st = NULL;
    char err[256];
    if (ct_store_open(url, &st, err, sizeof(err)) != CT_OK)
        fail_msg("open %s: %s", url, err);
    return st;
}

static void one_holder_at_a_time(const char *url)
{
    ct_store *setup_st = ts_open_migrated(url);
    ct_store_close(setup_st);
    ct_store *a = open_store(url), *b = open_store(url);
    char ha[128], hb[128], who[128];
    ct_lease_holder_id(ha, sizeof(ha));
    ct_lease_holder_id(hb, sizeof(hb));
    assert_string_not_equal(ha, hb);
    int64_t ta = 0, tb = 0, tok = 0, left = 0;
    assert_int_equal(ct_lease_read(a, "ingest", who, sizeof(who), &tok, &left), CT_NOT_FOUND);
    assert_int_equal(ct_lease_acquire(a, "ingest", ha, 400, &ta), CT_OK);
    assert_int_equal(ta, 1);
    assert_int_equal(ct_lease_acquire(b, "ingest", hb, 400, &tb), CT_CONFLICT);
    assert_int_equal(ct_lease_acquire(a, "ingest", ha, 400, &tb), CT_CONFLICT); /* even A */
    assert_int_equal(ct_lease_read(b, "ingest", who, sizeof(who), &tok, &left), CT_OK);
    assert_string_equal(who, ha);
    assert_int_equal(tok, 1);
    assert_true(left > 0 && left <= 400);
    /* renewals keep it past its first expiry */
    for (int i = 0; i < 4; i++) {
        sleep_ms(200);
        assert_int_equal(ct_lease_renew(a, "ingest", ha, ta, 400), CT_OK);
        assert_int_equal(ct_lease_acquire(b, "ingest", hb, 400, &tb), CT_CONFLICT);
    }
    /* a wrong token or holder does not renew */
    assert_int_equal(ct_lease_renew(b, "ingest", hb, ta, 400), CT_CONFLICT);
    assert_int_equal(ct_lease_renew(b, "ingest", ha, ta + 1, 400), CT_CONFLICT);
    /* A stops renewing: B takes over with a higher token; A is fenced out */
    sleep_ms(500);
    assert_int_equal(ct_lease_acquire(b, "ingest", hb, 400, &tb), CT_OK);
    assert_int_equal(tb, 2);
    assert_int_equal(ct_lease_renew(a, "ingest", ha, ta, 400), CT_CONFLICT);
    assert_int_equal(ct_store_begin(a), CT_OK);
    assert_int_equal(ct_lease_fence(a, "ingest", ta), CT_CONFLICT);
    ct_store_rollback(a);
    assert_int_equal(ct_store_begin(b), CT_OK);
    assert_int_equal(ct_lease_fence(b, "ingest", tb), CT_OK);
    assert_int_equal(ct_store_commit(b), CT_OK);
    /* an expired lease nobody took is renewed by its holder (its token is still current) */
    sleep_ms(500);
    assert_int_equal(ct_lease_renew(b, "ingest", hb, tb, 400), CT_OK);
    assert_int_equal(ct_lease_acquire(a, "ingest", ha, 400, &ta), CT_CONFLICT);
    /* released: free at once, and the token goes on rising */
    assert_int_equal(ct_lease_release(a, "ingest", tb - 1), CT_OK); /* not A's to release */
    assert_int_equal(ct_lease_acquire(a, "ingest", ha, 400, &ta), CT_CONFLICT);
    assert_int_equal(ct_lease_release(b, "ingest", tb), CT_OK);
    assert_int_equal(ct_lease_acquire(a, "ingest", ha, 400, &ta), CT_OK);
    assert_int_equal(ta, 3);
    /* another lease name is another lease */
    assert_int_equal(ct_lease_acquire(b, "other", hb, 400, &tb), CT_OK);
    assert_int_equal(tb, 1);
    ct_store_close(a);
    ct_store_close(b);
}

static void test_one_holder_at_a_time(void **state)
{
    (void)state;
    for (int i = 0; i < nurls; i++)
        one_holder_at_a_time(urls[i]);
}

typedef struct taker {
    const char *url;
    atomic_int *committed;
    int seen_committed;
    ct_status rc;
    int64_t token;
} taker;

static void *take(void *arg)
{
    taker *t = arg;
    ct_store *st = open_store(t->url);
    char h[128];
    ct_lease_holder_id(h, sizeof(h));
    t->rc = ct_lease_acquire(st, "fenced", h, 1000, &t->token);
    t->seen_committed = atomic_load(t->committed);
    ct_store_close(st);
    return NULL;
}

static void test_fence_holds_a_takeover_back(void **state)
{
    (void)state;
    if (nurls < 2 || strncmp(urls[1], "postgres", 8) != 0) {
        skip();
        return;
    }
    const char *url = urls[1];
    ct_store *a = open_store(url);
    char h[128];
    ct_lease_holder_id(h, sizeof(h));
    int64_t ta = 0;
    assert_int_equal(ct_lease_acquire(a, "fenced", h, 200, &ta), CT_OK);
    sleep_ms(300); /* expired: anyone may take it, but A's fenced write is in progress */
    assert_int_equal(ct_store_begin(a), CT_OK);
    assert_int_equal(ct_lease_fence(a, "fenced", ta), CT_OK);
    atomic_int committed = 0;
    taker t = {.url = url, .committed = &committed};
    pthread_t th;
    assert_int_equal(pthread_create(&th, NULL, take, &t), 0);
    sleep_ms(500); /* the taker waits on A's share lock */
    atomic_store(&committed, 1);
    assert_int_equal(ct_store_commit(a), CT_OK);
    pthread_join(th, NULL);
    assert_int_equal(t.rc, CT_OK);
    assert_int_equal(t.token, ta + 1);
    assert_int_equal(t.seen_committed, 1); /* it got the lease only after A's commit */
    /* and A's next fenced transaction fails */
    assert_int_equal(ct_store_begin(a), CT_OK);
    assert_int_equal(ct_lease_fence(a, "fenced", ta), CT_CONFLICT);
    ct_store_rollback(a);
    ct_store_close(a);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_one_holder_at_a_time),
        cmocka_unit_test(test_fence_holds_a_takeover_back),
    };
    return cmocka_run_group_tests(tests, setup, teardown);
}
