/* test_outbox.c: the transactional outbox (events/outbox.h) on SQLite and, with
 * CT_TEST_PG_URL, on PostgreSQL (a fresh schema per engine and test): an event added in a
 * rolled-back transaction is never delivered; committed ones reach each subscriber whose
 * pattern matches, in order per aggregate, exactly once, and the bus; a failing subscriber is
 * retried with back-off and holds back later events of its aggregate only, not other
 * aggregates nor other subscribers; a relay that dies between a delivery and its marking
 * delivers again after the restart, and ct_outbox_consume_once keeps the effect single; on
 * PostgreSQL two relays at once deliver every event once per subscriber, in order. */
#define _GNU_SOURCE
#include "ct_test.h"

#include <jansson.h>
#include <pthread.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "events/bus.h"
#include "base/trace.h"
#include "events/outbox.h"
#include "store/store.h"
#include "testsupport.h"

#define MAX_LOG 4096

typedef struct entry {
    char sub[16], agg[32], id[40], type[32];
    int64_t seq;
    int ok, relay;
} entry;

/* Everything handlers saw, in order, under one mutex. */
static struct {
    pthread_mutex_t mu;
    entry e[MAX_LOG];
    int n;
} logbook = {.mu = PTHREAD_MUTEX_INITIALIZER};

typedef struct handler_ctx {
    const char *tag;
    int relay;
    int fail_agg_times; /* fail the event (fail_agg, fail_seq) this many times */
    const char *fail_agg;
    int64_t fail_seq;
    int sleep_us;
    ct_store_pool *pool; /* effect: consume_once + a row in `effects` */
    const char *abandon_tag;
    ct_outbox **relay_of; /* to abandon on the first call */
} handler_ctx;

static void log_reset(void)
{
    pthread_mutex_lock(&logbook.mu);
    logbook.n = 0;
    pthread_mutex_unlock(&logbook.mu);
}

static ct_status effect(handler_ctx *c, const char *id)
{
    ct_store *st = NULL;
    ct_status rc = ct_store_pool_acquire(c->pool, 5000, &st);
    if (rc)
        return rc;
    rc = ct_store_begin(st);
    if (rc == CT_OK) {
        rc = ct_outbox_consume_once(st, "effects", id);
        if (rc == CT_OK) {
            const char *p[] = {id};
            rc = ct_store_run(st, "INSERT INTO effects (event_id) VALUES (?)", 1, p);
        } else if (rc == CT_CONFLICT) {
            rc = CT_OK; /* already applied: skip */
        }
        if (rc == CT_OK)
            rc = ct_store_commit(st);
        else
            ct_store_rollback(st);
    }
    ct_store_pool_release(c->pool, st);
    return rc;
}

static ct_status handler(const json_t *ev, void *ctx)
{
    handler_ctx *c = ctx;
    const char *agg = json_string_value(json_object_get(ev, "aggregate_id"));
    int64_t seq = json_integer_value(json_object_get(ev, "seq"));
    const char *id = json_string_value(json_object_get(ev, "id"));
    int ok = 1;
    if (c->sleep_us)
        usleep((useconds_t)c->sleep_us);
    pthread_mutex_lock(&logbook.mu);
    if (c->fail_agg && strcmp(agg, c->fail_agg) == 0 && seq == c->fail_seq &&
        c->fail_agg_times > 0) {
        c->fail_agg_times--;
        ok = 0;
    }
    if (logbook.n < MAX_LOG) {
        entry *e = &logbook.e[logbook.n++];
        snprintf(e->sub, sizeof(e->sub), "%s", c->tag);
        snprintf(e->agg, sizeof(e->agg), "%s", agg);
        snprintf(e->id, sizeof(e->id), "%s", id);
        snprintf(e->type, sizeof(e->type), "%s", json_string_value(json_object_get(ev, "type")));
        e->seq = seq;
        e->ok = ok;
        e->relay = c->relay;
    }
    pthread_mutex_unlock(&logbook.mu);
    if (!ok)
        return CT_UNAVAILABLE;
    if (c->pool && effect(c, id) != CT_OK)
        return CT_ERR;
    if (c->relay_of != NULL) {
        ct_outbox_abandon(*c->relay_of);
        c->relay_of = NULL;
    }
    return CT_OK;
}

/* ---- fixtures ---- */

static char tmpdir[256];

static int setup(void **state)
{
    (void)state;
    ts_tempdir(tmpdir, sizeof(tmpdir));
    return 0;
}

static int teardown(void **state)
{
    (void)state;
    ts_rmtree(tmpdir);
    return 0;
}

static ct_store_pool *open_pool(const char *url)
{
    ct_store *st = ts_open_migrated(url);
    assert_int_equal(ct_store_exec(st, "CREATE TABLE effects (event_id TEXT NOT NULL)"), CT_OK);
    ct_store_close(st);
    ct_store_pool *pool = NULL;
    char err[256];
    if (ct_store_pool_open(url, 4, &pool, err, sizeof(err)) != CT_OK)
        fail_msg("pool %s: %s", url, err);
    return pool;
}

/* Adds one event in its own committed transaction (or rolled back). */
static void add(ct_store_pool *pool, const char *agg, const char *type, int n, int commit)
{
    ct_store *st = NULL;
    assert_int_equal(ct_store_pool_acquire(pool, 5000, &st), CT_OK);
    assert_int_equal(ct_store_begin(st), CT_OK);
    json_t *payload = json_pack("{s:i, s:s}", "n", n, "note", "caf\xc3\xa9");
    char id[40];
    assert_int_equal(ct_outbox_add(st, "order", agg, type, payload, id, sizeof(id)), CT_OK);
    json_decref(payload);
    assert_int_equal(strlen(id), 28);
    assert_true(strncmp(id, "evt_", 4) == 0);
    if (commit)
        assert_int_equal(ct_store_commit(st), CT_OK);
    else
        assert_int_equal(ct_store_rollback(st), CT_OK);
    ct_store_pool_release(pool, st);
}

static int64_t count(ct_store_pool *pool, const char *sql)
{
    ct_store *st = NULL;
    int64_t v = -1;
    assert_int_equal(ct_store_pool_acquire(pool, 5000, &st), CT_OK);
    assert_int_equal(ct_store_query_int64(st, sql, &v), CT_OK);
    ct_store_pool_release(pool, st);
    return v;
}

/* How many log entries of `sub` are for event `id` (successful ones when ok_only). */
static int seen(const char *sub, const char *agg, int64_t seq, int ok_only)
{
    int n = 0;
    for (int i = 0; i < logbook.n; i++)
        if (strcmp(logbook.e[i].sub, sub) == 0 && strcmp(logbook.e[i].agg, agg) == 0 &&
            logbook.e[i].seq == seq && (!ok_only || logbook.e[i].ok))
            n++;
    return n;
}

/* Index of the first successful entry of sub for (agg, seq), -1 if none. */
static int first_ok(const char *sub, const char *agg, int64_t seq)
{
    for (int i = 0; i < logbook.n; i++)
        if (strcmp(logbook.e[i].sub, sub) == 0 && strcmp(logbook.e[i].agg, agg) == 0 &&
            logbook.e[i].seq == seq && logbook.e[i].ok)
            return i;
    return -1;
}

/* Each aggregate's successful entries of `sub` come in seq order 1, 2, ... */
static void assert_in_order(const char *sub)
{
    for (int i = 0; i < logbook.n; i++) {
        if (strcmp(logbook.e[i].sub, sub) != 0 || !logbook.e[i].ok)
            continue;
        for (int k = i + 1; k < logbook.n; k++)
            if (strcmp(logbook.e[k].sub, sub) == 0 && logbook.e[k].ok &&
                strcmp(logbook.e[k].agg, logbook.e[i].agg) == 0 &&
                logbook.e[k].seq <= logbook.e[i].seq)
                fail_msg("%s: %s seq %lld after seq %lld", sub, logbook.e[i].agg,
                         (long long)logbook.e[k].seq, (long long)logbook.e[i].seq);
    }
}

static int bus_count;
static void bus_listener(const char *topic, json_t *event, void *ctx)
{
    (void)ctx;
    if (strncmp(topic, "order.", 6) == 0 && json_is_string(json_object_get(event, "id")))
        __atomic_add_fetch(&bus_count, 1, __ATOMIC_SEQ_CST);
}

/* ---- tests ---- */

/* Tracing: the handler's view of the span it runs in and the event's traceparent. */
static char traced_current[40], traced_event[64];

static ct_status trace_handler(const json_t *ev, void *ctx)
{
    (void)ctx;
    const ct_trace *t = ct_trace_current();
    snprintf(traced_current, sizeof(traced_current), "%s", t ? t->trace_id : "");
    const char *tp = json_string_value(json_object_get(ev, "traceparent"));
    snprintf(traced_event, sizeof(traced_event), "%s", tp ? tp : "");
    return CT_OK;
}

/* An event added while a span is current keeps its traceparent; its delivery runs in a child
 * span of that trace; one added outside a trace has none. */
static void events_carry_the_trace(void **state)
{
    (void)state;
    char urls[2][512];
    int n = ts_store_urls(tmpdir, urls, 2);
    for (int u = 0; u < n; u++) {
        ct_store_pool *pool = open_pool(urls[u]);
        ct_outbox *o = NULL;
        assert_int_equal(ct_outbox_new(pool, NULL, 20, &o), CT_OK);
        assert_int_equal(ct_outbox_subscribe(o, "tracer", "traced.*", trace_handler, NULL), CT_OK);
        assert_int_equal(ct_outbox_start(o), CT_OK);
        ct_trace t;
        ct_trace_start(&t, NULL);
        ct_trace_set_current(&t);
        add(pool, "T", "traced.one", 1, 1);
        ct_trace_set_current(NULL);
        assert_int_equal(ct_outbox_drain(o, 10000), CT_OK);
        assert_string_equal(traced_current, t.trace_id);
        ct_trace got;
        assert_true(ct_trace_parse(traced_event, &got));
        assert_string_equal(got.trace_id, t.trace_id);
        assert_string_equal(got.parent_id, t.span_id);
        add(pool, "U", "traced.two", 2, 1);
        assert_int_equal(ct_outbox_drain(o, 10000), CT_OK);
        assert_string_equal(traced_current, "");
        assert_string_equal(traced_event, "");
        ct_outbox_stop(o);
        ct_store_pool_close(pool);
    }
}

static void rolled_back_never_delivered_committed_in_order(void **state)
{
    (void)state;
    char urls[2][512];
    int n = ts_store_urls(tmpdir, urls, 2);
    for (int u = 0; u < n; u++) {
        log_reset();
        ct_store_pool *pool = open_pool(urls[u]);
        /* Before the relay runs: a rolled-back event, then interleaved aggregates, some in one
         * transaction. */
        add(pool, "A", "order.created", 0, 0);
        for (int i = 1; i <= 10; i++) {
            add(pool, "A", "order.held", i, 1);
            add(pool, "B", i % 2 ? "order.held" : "payment.succeeded", i, 1);
        }
        ct_store *st = NULL;
        assert_int_equal(ct_store_pool_acquire(pool, 5000, &st), CT_OK);
        assert_int_equal(ct_store_begin(st), CT_OK);
        for (int i = 0; i < 3; i++)
            assert_int_equal(ct_outbox_add(st, "order", "C", "order.ticketed", NULL, NULL, 0),
                             CT_OK);
        assert_int_equal(ct_outbox_add(st, "order", "", "order.x", NULL, NULL, 0), CT_INVALID);
        assert_int_equal(ct_store_commit(st), CT_OK);
        ct_store_pool_release(pool, st);
        assert_int_equal(count(pool, "SELECT COUNT(*) FROM outbox"), 23);

        ct_bus *bus = NULL;
        int bus_id = 0;
        bus_count = 0;
        assert_int_equal(ct_bus_new(&bus), CT_OK);
        assert_int_equal(ct_bus_subscribe(bus, "order.*", bus_listener, NULL, &bus_id), CT_OK);
        ct_outbox *o = NULL;
        assert_int_equal(ct_outbox_new(pool, bus, 50, &o), CT_OK);
        handler_ctx all = {.tag = "all"}, orders = {.tag = "orders"};
        assert_int_equal(ct_outbox_subscribe(o, "all", "*", handler, &all), CT_OK);
        assert_int_equal(ct_outbox_subscribe(o, "orders", "order.*", handler, &orders), CT_OK);
        assert_int_equal(ct_outbox_subscribe(o, "all", "x", handler, &all), CT_CONFLICT);
        assert_int_equal(ct_outbox_start(o), CT_OK);
        assert_int_equal(ct_outbox_subscribe(o, "late", "*", handler, &all), CT_INVALID);
        assert_int_equal(ct_outbox_drain(o, 10000), CT_OK);
        /* Events added while it runs, woken by a kick. */
        add(pool, "A", "order.confirmed", 11, 1);
        ct_outbox_kick(o);
        assert_int_equal(ct_outbox_drain(o, 10000), CT_OK);
        usleep(100 * 1000); /* anything extra would show now */
        ct_outbox_stop(o);

        /* The relays are stopped: no lock (a failed assertion must not leave it held). */
        assert_int_equal(seen("all", "A", 0, 0), 0);
        for (int i = 1; i <= 11; i++) { /* A: seq 1..11 (the rolled-back one took none) */
            assert_int_equal(seen("all", "A", i, 0), 1);
            assert_int_equal(seen("orders", "A", i, 0), 1);
        }
        for (int i = 1; i <= 10; i++) {
            assert_int_equal(seen("all", "B", i, 0), 1);
            assert_int_equal(seen("orders", "B", i, 0), i % 2); /* payment.* is not order.* */
        }
        for (int i = 1; i <= 3; i++)
            assert_int_equal(seen("orders", "C", i, 0), 1);
        assert_int_equal(logbook.n, 24 + 19);
        assert_in_order("all");
        assert_in_order("orders");
        assert_int_equal(__atomic_load_n(&bus_count, __ATOMIC_SEQ_CST), 19);
        assert_int_equal(count(pool, "SELECT COUNT(*) FROM outbox_delivery"
                                     " WHERE delivered_at IS NULL"),
                         0);
        ct_bus_unsubscribe(bus, bus_id);
        ct_bus_free(bus);
        ct_store_pool_close(pool);
    }
}

static void failing_subscriber_blocks_its_aggregate_only(void **state)
{
    (void)state;
    char urls[2][512];
    int n = ts_store_urls(tmpdir, urls, 2);
    for (int u = 0; u < n; u++) {
        log_reset();
        ct_store_pool *pool = open_pool(urls[u]);
        for (int i = 1; i <= 3; i++)
            add(pool, "X", "order.held", i, 1);
        for (int i = 1; i <= 2; i++)
            add(pool, "Y", "order.held", i, 1);
        ct_outbox *o = NULL;
        assert_int_equal(ct_outbox_new(pool, NULL, 20, &o), CT_OK);
        ct_outbox_set_retry(o, 30, 200);
        handler_ctx flaky = {.tag = "flaky", .fail_agg = "X", .fail_seq = 2, .fail_agg_times = 3};
        handler_ctx good = {.tag = "good"};
        assert_int_equal(ct_outbox_subscribe(o, "flaky", "order.*", handler, &flaky), CT_OK);
        assert_int_equal(ct_outbox_subscribe(o, "good", "order.*", handler, &good), CT_OK);
        assert_int_equal(ct_outbox_start(o), CT_OK);
        assert_int_equal(ct_outbox_drain(o, 10000), CT_OK);
        ct_outbox_stop(o);

        /* The relays are stopped: no lock (a failed assertion must not leave it held). */
        assert_int_equal(seen("flaky", "X", 2, 0), 4); /* three failures, then delivered */
        assert_int_equal(seen("flaky", "X", 2, 1), 1);
        assert_int_equal(seen("flaky", "X", 1, 0), 1);
        assert_int_equal(seen("flaky", "X", 3, 0), 1);
        int x2 = first_ok("flaky", "X", 2);
        /* X3 waited for X2; Y did not; the other subscriber did not. */
        assert_true(first_ok("flaky", "X", 3) > x2);
        assert_true(first_ok("flaky", "Y", 2) < x2);
        assert_true(first_ok("good", "X", 3) < x2);
        assert_in_order("flaky");
        assert_in_order("good");
        assert_int_equal(count(pool, "SELECT attempts FROM outbox_delivery WHERE"
                                     " subscriber = 'flaky' AND aggregate_id = 'X' AND seq = 2"),
                         4);
        ct_store_pool_close(pool);
    }
}

static void relay_dying_before_marking_redelivers_effect_once(void **state)
{
    (void)state;
    char urls[2][512];
    int n = ts_store_urls(tmpdir, urls, 2);
    for (int u = 0; u < n; u++) {
        log_reset();
        ct_store_pool *pool = open_pool(urls[u]);
        add(pool, "M", "order.confirmed", 1, 1);
        add(pool, "M", "order.cancelled", 2, 1);

        ct_outbox *o1 = NULL;
        assert_int_equal(ct_outbox_new(pool, NULL, 20, &o1), CT_OK);
        handler_ctx mail1 = {.tag = "mail", .pool = pool, .relay_of = &o1};
        assert_int_equal(ct_outbox_subscribe(o1, "mailer", "order.*", handler, &mail1), CT_OK);
        assert_int_equal(ct_outbox_start(o1), CT_OK);
        for (int i = 0; i < 500 && mail1.relay_of != NULL; i++)
            usleep(10 * 1000);
        assert_null(mail1.relay_of); /* the handler ran and abandoned the relay */
        usleep(50 * 1000);
        ct_outbox_stop(o1);
        /* The effect committed, the delivery not marked; the second event never ran. */
        assert_int_equal(count(pool, "SELECT COUNT(*) FROM effects"), 1);
        assert_int_equal(count(pool, "SELECT COUNT(*) FROM outbox_delivery"
                                     " WHERE delivered_at IS NULL"),
                         2);
        assert_int_equal(logbook.n, 1);

        ct_outbox *o2 = NULL;
        assert_int_equal(ct_outbox_new(pool, NULL, 20, &o2), CT_OK);
        handler_ctx mail2 = {.tag = "mail", .pool = pool};
        assert_int_equal(ct_outbox_subscribe(o2, "mailer", "order.*", handler, &mail2), CT_OK);
        assert_int_equal(ct_outbox_start(o2), CT_OK);
        assert_int_equal(ct_outbox_drain(o2, 10000), CT_OK);
        ct_outbox_stop(o2);
        assert_int_equal(seen("mail", "M", 1, 0), 2); /* delivered again ... */
        assert_int_equal(seen("mail", "M", 2, 0), 1);
        assert_int_equal(count(pool, "SELECT COUNT(*) FROM effects"), 2); /* ... applied once */
        assert_int_equal(count(pool, "SELECT COUNT(*) FROM outbox_consumed"), 2);

        /* consume_once directly: a rolled-back record leaves the event free. */
        ct_store *st = NULL;
        assert_int_equal(ct_store_pool_acquire(pool, 5000, &st), CT_OK);
        assert_int_equal(ct_store_begin(st), CT_OK);
        assert_int_equal(ct_outbox_consume_once(st, "c", "evt_1"), CT_OK);
        assert_int_equal(ct_store_rollback(st), CT_OK);
        assert_int_equal(ct_store_begin(st), CT_OK);
        assert_int_equal(ct_outbox_consume_once(st, "c", "evt_1"), CT_OK);
        assert_int_equal(ct_outbox_consume_once(st, "c", "evt_1"), CT_CONFLICT);
        assert_int_equal(ct_outbox_consume_once(st, "other", "evt_1"), CT_OK);
        assert_int_equal(ct_store_commit(st), CT_OK);
        assert_int_equal(ct_outbox_consume_once(st, "c", ""), CT_INVALID);
        ct_store_pool_release(pool, st);
        ct_store_pool_close(pool);
    }
}

static void two_relays_on_postgres(void **state)
{
    (void)state;
    char urls[2][512];
    int n = ts_store_urls(tmpdir, urls, 2);
    if (n < 2)
        skip();
    log_reset();
    ct_store_pool *pool = open_pool(urls[1]);
    char agg[16];
    for (int i = 1; i <= 20; i++)
        for (int a = 0; a < 10; a++) {
            snprintf(agg, sizeof(agg), "G%d", a);
            add(pool, agg, "order.held", i, 1);
        }
    ct_outbox *r1 = NULL, *r2 = NULL;
    handler_ctx h1 = {.tag = "s1", .relay = 1, .sleep_us = 1000};
    handler_ctx h2 = {.tag = "s1", .relay = 2, .sleep_us = 1000};
    handler_ctx k1 = {.tag = "s2", .relay = 1}, k2 = {.tag = "s2", .relay = 2};
    assert_int_equal(ct_outbox_new(pool, NULL, 10, &r1), CT_OK);
    assert_int_equal(ct_outbox_new(pool, NULL, 10, &r2), CT_OK);
    assert_int_equal(ct_outbox_subscribe(r1, "s1", "*", handler, &h1), CT_OK);
    assert_int_equal(ct_outbox_subscribe(r2, "s1", "*", handler, &h2), CT_OK);
    assert_int_equal(ct_outbox_subscribe(r1, "s2", "order.*", handler, &k1), CT_OK);
    assert_int_equal(ct_outbox_subscribe(r2, "s2", "order.*", handler, &k2), CT_OK);
    assert_int_equal(ct_outbox_start(r1), CT_OK);
    assert_int_equal(ct_outbox_start(r2), CT_OK);
    assert_int_equal(ct_outbox_drain(r1, 30000), CT_OK);
    assert_int_equal(ct_outbox_drain(r2, 30000), CT_OK);
    usleep(100 * 1000);
    ct_outbox_stop(r1);
    ct_outbox_stop(r2);
    int by[3] = {0, 0, 0};
    for (int i = 1; i <= 20; i++)
        for (int a = 0; a < 10; a++) {
            snprintf(agg, sizeof(agg), "G%d", a);
            assert_int_equal(seen("s1", agg, i, 0), 1);
            assert_int_equal(seen("s2", agg, i, 0), 1);
        }
    for (int i = 0; i < logbook.n; i++)
        by[logbook.e[i].relay]++;
    assert_int_equal(logbook.n, 400);
    assert_in_order("s1");
    assert_in_order("s2");
    print_message("two relays: %d and %d deliveries\n", by[1], by[2]);
    assert_true(by[1] > 0 && by[2] > 0);
    ct_store_pool_close(pool);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(rolled_back_never_delivered_committed_in_order),
        cmocka_unit_test(events_carry_the_trace),
        cmocka_unit_test(failing_subscriber_blocks_its_aggregate_only),
        cmocka_unit_test(relay_dying_before_marking_redelivers_effect_once),
        cmocka_unit_test(two_relays_on_postgres),
    };
    return cmocka_run_group_tests(tests, setup, teardown);
}
