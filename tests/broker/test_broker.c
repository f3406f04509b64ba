/* test_broker.c: the outbox over RabbitMQ (broker/broker.h) against a real rabbitmq-server
 * started once for the whole binary (tests/support/rabbitserver.h: its own ports, epmd and
 * directory), on SQLite and, with CT_TEST_PG_URL, PostgreSQL. Each test uses its own
 * exchange and queue prefix, so they do not see each other's messages.
 *
 *   - publish and consume: events reach the subscribers whose pattern matches (exact and
 *     "prefix.*"), each effect once, none for events nobody subscribed to; the handler runs in
 *     a span of the trace that added the event (traceparent in the AMQP headers);
 *   - RabbitMQ restarted while a producer adds events and a consumer applies them: every event
 *     applied, none twice (the consumer deduplicates with ct_outbox_consume_once), the state
 *     "down" while it is away and "up" after. Quick mode: the broker application restarted in
 *     its node (rabbitmqctl stop_app/start_app); CT_TEST_AMQP_FULL=1 also stops the whole
 *     node (the Erlang VM exits) and starts it again (tens of seconds);
 *   - a message that fails every delivery is dead-lettered after the delivery limit (exactly
 *     that many handler calls), listed with the queue it died in, and once the handler works
 *     replayed to that queue only: applied once, the dead letters empty; unknown ids refused;
 *     the dead-letter gauge of /metrics; a body that is not an event dead-lettered at once
 *     (reason "rejected"). */
#define _GNU_SOURCE
#include "ct_test.h"

#include <jansson.h>
#include <pthread.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include <amqp.h>
#include <amqp_tcp_socket.h>

#include "base/trace.h"
#include "broker/broker.h"
#include "events/outbox.h"
#include "rabbitserver.h"
#include "store/store.h"
#include "testsupport.h"

static ts_rabbit rabbit;
static int have_rabbit;
static char tmpdir[256];

static int setup(void **state)
{
    (void)state;
    ts_tempdir(tmpdir, sizeof(tmpdir));
    have_rabbit = ts_rabbit_available();
    if (have_rabbit)
        ts_rabbit_start(&rabbit);
    return 0;
}

static int teardown(void **state)
{
    (void)state;
    if (have_rabbit)
        ts_rabbit_stop(&rabbit);
    ts_rmtree(tmpdir);
    return 0;
}

static void sleep_ms(int ms)
{
    struct timespec ts = {ms / 1000, (long)(ms % 1000) * 1000000L};
    nanosleep(&ts, NULL);
}

/* ---- a consumer with an effect ---- */

typedef struct sink {
    ct_store_pool *pool;
    const char *consumer; /* consume_once name */
    pthread_mutex_t mu;
    int calls;            /* handler calls */
    int poison_calls;     /* calls for events whose payload has "poison" */
    int heal;             /* 0: poison events fail */
    int traced, untraced; /* calls with a current span of the adding trace / without */
    char trace_id[33];    /* the adding trace */
    int sleep_ms;
} sink;

static ct_status apply(sink *s, const char *id)
{
    ct_store *st = NULL;
    ct_status rc = ct_store_pool_acquire(s->pool, 5000, &st);
    if (rc)
        return rc;
    rc = ct_store_begin(st);
    if (rc == CT_OK) {
        rc = ct_outbox_consume_once(st, s->consumer, id);
        if (rc == CT_OK) {
            const char *p[] = {s->consumer, id};
            rc = ct_store_run(st, "INSERT INTO effects (consumer, event_id) VALUES (?, ?)", 2, p);
        } else if (rc == CT_CONFLICT) {
            rc = CT_OK; /* applied before: skip */
        }
        if (rc == CT_OK)
            rc = ct_store_commit(st);
        else
            ct_store_rollback(st);
    }
    ct_store_pool_release(s->pool, st);
    return rc;
}

static ct_status on_event(const json_t *ev, void *ctx)
{
    sink *s = ctx;
    const char *id = json_string_value(json_object_get(ev, "id"));
    int poison = json_is_true(json_object_get(json_object_get(ev, "payload"), "poison"));
    const ct_trace *cur = ct_trace_current();
    pthread_mutex_lock(&s->mu);
    s->calls++;
    if (cur != NULL && s->trace_id[0] && strcmp(cur->trace_id, s->trace_id) == 0)
        s->traced++;
    else
        s->untraced++;
    int fail = poison && !s->heal;
    if (poison)
        s->poison_calls++;
    pthread_mutex_unlock(&s->mu);
    if (s->sleep_ms)
        sleep_ms(s->sleep_ms);
    if (fail)
        return CT_UNAVAILABLE;
    return apply(s, id);
}

static void sink_init(sink *s, ct_store_pool *pool, const char *consumer)
{
    memset(s, 0, sizeof(*s));
    s->pool = pool;
    s->consumer = consumer;
    pthread_mutex_init(&s->mu, NULL);
}

static int sink_get(sink *s, const int *field)
{
    pthread_mutex_lock(&s->mu);
    int v = *field;
    pthread_mutex_unlock(&s->mu);
    return v;
}

/* ---- fixtures ---- */

static ct_store_pool *open_pool(const char *url)
{
    ct_store *st = ts_open_migrated(url);
    assert_int_equal(ct_store_exec(st, "CREATE TABLE effects (consumer TEXT NOT NULL,"
                                       " event_id TEXT NOT NULL)"),
                     CT_OK);
    ct_store_close(st);
    ct_store_pool *pool = NULL;
    char err[256];
    if (ct_store_pool_open(url, 6, &pool, err, sizeof(err)) != CT_OK)
        fail_msg("pool %s: %s", url, err);
    return pool;
}

static ct_broker *open_broker(const char *prefix, int delivery_limit)
{
    ct_broker_config bc = {.url = rabbit.url,
                           .prefix = prefix,
                           .delivery_limit = delivery_limit,
                           .retry_base_ms = 20,
                           .retry_max_ms = 200,
                           .confirm_timeout_ms = 3000};
    ct_broker *b = NULL;
    assert_int_equal(ct_broker_new(&bc, &b), CT_OK);
    char err[256] = "";
    if (ct_broker_check(b, err, sizeof(err)) != CT_OK)
        fail_msg("broker check: %s", err);
    return b;
}

static ct_outbox *open_relay(ct_store_pool *pool, ct_broker *b)
{
    ct_outbox *o = NULL;
    assert_int_equal(ct_outbox_new(pool, NULL, 20, &o), CT_OK);
    ct_outbox_set_retry(o, 20, 300);
    ct_outbox_transport t = ct_broker_transport(b);
    assert_int_equal(ct_outbox_set_transport(o, &t), CT_OK);
    return o;
}

/* Adds one event (payload {"n": n} or {"poison": true}) in its own transaction; its id into
 * id (may be NULL). */
static void add(ct_store_pool *pool, const char *agg, const char *type, int n, int poison, char *id,
                size_t len)
{
    ct_store *st = NULL;
    assert_int_equal(ct_store_pool_acquire(pool, 5000, &st), CT_OK);
    assert_int_equal(ct_store_begin(st), CT_OK);
    json_t *payload = poison ? json_pack("{s:b}", "poison", 1) : json_pack("{s:i}", "n", n);
    assert_int_equal(ct_outbox_add(st, "order", agg, type, payload, id, len), CT_OK);
    json_decref(payload);
    assert_int_equal(ct_store_commit(st), CT_OK);
    ct_store_pool_release(pool, st);
}

static int64_t query(ct_store_pool *pool, const char *sql)
{
    ct_store *st = NULL;
    int64_t v = -1;
    assert_int_equal(ct_store_pool_acquire(pool, 5000, &st), CT_OK);
    assert_int_equal(ct_store_query_int64(st, sql, &v), CT_OK);
    ct_store_pool_release(pool, st);
    return v;
}

/* Waits up to timeout_ms until `sql` answers `want`; the last answer. */
static int64_t wait_for(ct_store_pool *pool, const char *sql, int64_t want, int timeout_ms)
{
    int64_t v = -1;
    for (int waited = 0; waited <= timeout_ms; waited += 50) {
        v = query(pool, sql);
        if (v == want)
            break;
        sleep_ms(50);
    }
    return v;
}

/* Fresh databases (a folder of their own for SQLite, a new schema for PostgreSQL). */
static int engines(char urls[][512], const char *tag)
{
    char dir[300];
    snprintf(dir, sizeof(dir), "%s/%s", tmpdir, tag);
    assert_int_equal(mkdir(dir, 0700), 0);
    return ts_store_urls(dir, urls, 2);
}

/* ---- tests ---- */

static void test_publish_consume(void **state)
{
    (void)state;
    if (!have_rabbit)
        skip();
    char urls[2][512];
    int n = engines(urls, "pc");
    for (int e = 0; e < n; e++) {
        ct_store_pool *pool = open_pool(urls[e]);
        char prefix[32];
        snprintf(prefix, sizeof(prefix), "pc%d", e);
        ct_broker *b = open_broker(prefix, 5);
        assert_string_equal(ct_broker_state(b), "idle");
        ct_outbox *o = open_relay(pool, b);
        sink orders, payments;
        sink_init(&orders, pool, "orders");
        sink_init(&payments, pool, "payments");
        assert_int_equal(ct_outbox_subscribe(o, "orders", "order.*", on_event, &orders), CT_OK);
        assert_int_equal(
            ct_outbox_subscribe(o, "payments", "payment.captured", on_event, &payments), CT_OK);
        assert_int_equal(ct_outbox_start(o), CT_OK);

        /* Events added inside a request's span. */
        ct_trace span;
        ct_trace_start(&span, NULL);
        snprintf(orders.trace_id, sizeof(orders.trace_id), "%s", span.trace_id);
        snprintf(payments.trace_id, sizeof(payments.trace_id), "%s", span.trace_id);
        ct_trace_set_current(&span);
        for (int i = 0; i < 20; i++) {
            char agg[16];
            snprintf(agg, sizeof(agg), "o%d", i % 4);
            add(pool, agg, i % 2 ? "order.confirmed" : "order.cancelled", i, 0, NULL, 0);
        }
        for (int i = 0; i < 5; i++)
            add(pool, "p", "payment.captured", i, 0, NULL, 0);
        for (int i = 0; i < 3; i++)
            add(pool, "x", "payment.refunded", i, 0, NULL, 0); /* nobody's */
        ct_trace_set_current(NULL);
        ct_outbox_kick(o);

        assert_int_equal(
            wait_for(pool, "SELECT COUNT(*) FROM effects WHERE consumer = 'orders'", 20, 30000),
            20);
        assert_int_equal(
            wait_for(pool, "SELECT COUNT(*) FROM effects WHERE consumer = 'payments'", 5, 30000),
            5);
        assert_int_equal(ct_outbox_drain(o, 10000), CT_OK);
        sleep_ms(300); /* nothing more arrives */
        assert_int_equal(query(pool, "SELECT COUNT(*) FROM effects"), 25);
        assert_int_equal(query(pool, "SELECT COUNT(DISTINCT event_id) FROM effects"), 25);
        /* Only the relay's "amqp" rows: the subscribers got no delivery rows of their own. */
        assert_int_equal(query(pool, "SELECT COUNT(*) FROM outbox_delivery WHERE subscriber <>"
                                     " 'amqp'"),
                         0);
        assert_int_equal(query(pool, "SELECT COUNT(*) FROM outbox_delivery WHERE subscriber ="
                                     " 'amqp' AND delivered_at IS NOT NULL"),
                         28);
        assert_int_equal(sink_get(&orders, &orders.calls), 20);
        assert_int_equal(sink_get(&orders, &orders.traced), 20);
        assert_int_equal(sink_get(&payments, &payments.traced), 5);
        assert_string_equal(ct_broker_state(b), "up");
        ct_outbox_stop(o);
        ct_broker_free(b);
        ct_store_pool_close(pool);
    }
}

typedef struct producer {
    ct_store_pool *pool;
    ct_outbox *relay;
    int n, every_ms;
} producer;

static void *produce(void *arg)
{
    producer *p = arg;
    for (int i = 0; i < p->n; i++) {
        char agg[16];
        snprintf(agg, sizeof(agg), "o%d", i % 7);
        add(p->pool, agg, "order.confirmed", i, 0, NULL, 0);
        ct_outbox_kick(p->relay);
        sleep_ms(p->every_ms);
    }
    return NULL;
}

/* Restarts RabbitMQ while `total` events are added and applied; checks all once. */
static void restart_under_load(const char *url, const char *prefix, int full)
{
    ct_store_pool *pool = open_pool(url);
    ct_broker *b = open_broker(prefix, 10);
    ct_outbox *o = open_relay(pool, b);
    sink s;
    sink_init(&s, pool, "load");
    s.sleep_ms = 2;
    assert_int_equal(ct_outbox_subscribe(o, "load", "order.*", on_event, &s), CT_OK);
    assert_int_equal(ct_outbox_start(o), CT_OK);
    producer p = {.pool = pool, .relay = o, .n = 300, .every_ms = 10};
    pthread_t t;
    assert_int_equal(pthread_create(&t, NULL, produce, &p), 0);
    /* Let some be applied, then take the broker away mid-stream. */
    for (int i = 0; i < 200 && query(pool, "SELECT COUNT(*) FROM effects") < 40; i++)
        sleep_ms(50);
    assert_true(query(pool, "SELECT COUNT(*) FROM effects") >= 40);
    int before = (int)query(pool, "SELECT COUNT(*) FROM effects");
    if (full) {
        ts_rabbit_restart_node(&rabbit); /* waits for the node to answer again */
    } else {
        assert_int_equal(ts_rabbit_ctl(&rabbit, "stop_app", NULL), 0);
        sleep_ms(1500);
        assert_string_equal(ct_broker_state(b), "down");
        assert_int_equal(ts_rabbit_ctl(&rabbit, "start_app", NULL), 0);
    }
    assert_true(before < 300); /* the restart happened under load */
    pthread_join(t, NULL);
    ct_outbox_kick(o);
    assert_int_equal(wait_for(pool, "SELECT COUNT(*) FROM effects", 300, 90000), 300);
    assert_int_equal(ct_outbox_drain(o, 30000), CT_OK);
    sleep_ms(500);
    assert_int_equal(query(pool, "SELECT COUNT(*) FROM effects"), 300);
    assert_int_equal(query(pool, "SELECT COUNT(DISTINCT event_id) FROM effects"), 300);
    assert_int_equal(query(pool, "SELECT COUNT(*) FROM outbox"), 300);
    assert_true(sink_get(&s, &s.calls) >= 300);
    for (int i = 0; i < 100 && strcmp(ct_broker_state(b), "up") != 0; i++)
        sleep_ms(50);
    assert_string_equal(ct_broker_state(b), "up");
    print_message("restart (%s): %d handler calls for 300 events, %d applied before it\n",
                  full ? "node stopped and started" : "stop_app/start_app", sink_get(&s, &s.calls),
                  before);
    ct_outbox_stop(o);
    ct_broker_free(b);
    ct_store_pool_close(pool);
}

static void test_restart_under_load(void **state)
{
    (void)state;
    if (!have_rabbit)
        skip();
    char urls[2][512], again[2][512];
    int n = engines(urls, "ra");
    int full = ts_rabbit_full() && engines(again, "rk") == n;
    for (int e = 0; e < n; e++) {
        char prefix[32];
        snprintf(prefix, sizeof(prefix), "ra%d", e);
        restart_under_load(urls[e], prefix, 0);
        if (full) {
            snprintf(prefix, sizeof(prefix), "rk%d", e);
            restart_under_load(again[e], prefix, 1);
        }
    }
}

static int dead_count(ct_broker *b, json_t **list)
{
    char err[256] = "";
    *list = NULL;
    if (ct_broker_dead_list(b, 100, list, err, sizeof(err)) != CT_OK)
        fail_msg("dead list: %s", err);
    return (int)json_array_size(*list);
}

/* A message straight into `queue` (the default exchange), as a foreign publisher might. */
static void publish_raw(const char *queue, const char *body)
{
    amqp_connection_state_t c = amqp_new_connection();
    amqp_socket_t *sock = amqp_tcp_socket_new(c);
    assert_int_equal(amqp_socket_open(sock, "127.0.0.1", rabbit.port), AMQP_STATUS_OK);
    amqp_rpc_reply_t r = amqp_login(c, "/", 0, 131072, 0, AMQP_SASL_METHOD_PLAIN, "guest", "guest");
    assert_int_equal(r.reply_type, AMQP_RESPONSE_NORMAL);
    amqp_channel_open(c, 1);
    assert_int_equal(amqp_get_rpc_reply(c).reply_type, AMQP_RESPONSE_NORMAL);
    assert_int_equal(amqp_basic_publish(c, 1, amqp_cstring_bytes(""), amqp_cstring_bytes(queue), 0,
                                        0, NULL, amqp_cstring_bytes(body)),
                     AMQP_STATUS_OK);
    amqp_connection_close(c, AMQP_REPLY_SUCCESS);
    amqp_destroy_connection(c);
}

static void test_dead_letter_replay(void **state)
{
    (void)state;
    if (!have_rabbit)
        skip();
    char urls[2][512];
    int n = engines(urls, "dl");
    for (int e = 0; e < n; e++) {
        ct_store_pool *pool = open_pool(urls[e]);
        char prefix[32], queue[48];
        snprintf(prefix, sizeof(prefix), "dl%d", e);
        snprintf(queue, sizeof(queue), "%s.flaky", prefix);
        ct_broker *b = open_broker(prefix, 3);
        ct_outbox *o = open_relay(pool, b);
        sink s, other;
        sink_init(&s, pool, "flaky");
        sink_init(&other, pool, "other");
        other.heal = 1; /* only "flaky" fails the poison event */
        assert_int_equal(ct_outbox_subscribe(o, "flaky", "*", on_event, &s), CT_OK);
        assert_int_equal(ct_outbox_subscribe(o, "other", "order.*", on_event, &other), CT_OK);
        assert_int_equal(ct_outbox_start(o), CT_OK);
        char poison[40];
        add(pool, "a", "order.confirmed", 0, 1, poison, sizeof(poison));
        for (int i = 0; i < 5; i++)
            add(pool, "b", "order.confirmed", i, 0, NULL, 0);
        ct_outbox_kick(o);
        assert_int_equal(
            wait_for(pool, "SELECT COUNT(*) FROM effects WHERE consumer = 'flaky'", 5, 30000), 5);
        /* "other" applies the poison event too: it is only "flaky" that fails. */
        assert_int_equal(
            wait_for(pool, "SELECT COUNT(*) FROM effects WHERE consumer = 'other'", 6, 30000), 6);

        /* The gauge (read at most every 5 s) before any listing holds the message. */
        char metrics[2048] = "";
        for (int i = 0; i < 30 && strstr(metrics, "\ncontrail_amqp_dead_letters 1\n") == NULL;
             i++) {
            if (i > 0)
                sleep_ms(500);
            assert_true(ct_broker_metrics(b, metrics, sizeof(metrics)) > 0);
        }
        assert_non_null(strstr(metrics, "\ncontrail_amqp_dead_letters 1\n"));
        json_t *list = NULL;
        int dead = 0;
        for (int i = 0; i < 200 && (dead = dead_count(b, &list)) == 0; i++) {
            json_decref(list);
            list = NULL;
            sleep_ms(100);
        }
        assert_int_equal(dead, 1);
        json_t *d = json_array_get(list, 0);
        assert_string_equal(json_string_value(json_object_get(d, "event_id")), poison);
        assert_string_equal(json_string_value(json_object_get(d, "queue")), queue);
        assert_string_equal(json_string_value(json_object_get(d, "type")), "order.confirmed");
        assert_string_equal(json_string_value(json_object_get(json_object_get(d, "event"), "id")),
                            poison);
        json_decref(list);
        assert_int_equal(sink_get(&s, &s.poison_calls), 3); /* the delivery limit */
        /* Listing left it there. */
        assert_int_equal(dead_count(b, &list), 1);
        json_decref(list);

        char err[256] = "";
        int replayed = -1;
        assert_int_equal(
            ct_broker_dead_replay(b, "evt_000000000000000000000000", &replayed, err, sizeof(err)),
            CT_NOT_FOUND);
        assert_int_equal(replayed, 0);
        pthread_mutex_lock(&s.mu);
        s.heal = 1;
        pthread_mutex_unlock(&s.mu);
        assert_int_equal(ct_broker_dead_replay(b, poison, &replayed, err, sizeof(err)), CT_OK);
        assert_int_equal(replayed, 1);
        assert_int_equal(
            wait_for(pool, "SELECT COUNT(*) FROM effects WHERE consumer = 'flaky'", 6, 30000), 6);
        assert_int_equal(dead_count(b, &list), 0);
        json_decref(list);
        sleep_ms(300);
        /* A body that is not an event is dead-lettered at once (rejected, not retried). */
        publish_raw(queue, "not json");
        for (int i = 0; i < 200 && (dead = dead_count(b, &list)) == 0; i++) {
            json_decref(list);
            list = NULL;
            sleep_ms(100);
        }
        assert_int_equal(dead, 1);
        d = json_array_get(list, 0);
        assert_string_equal(json_string_value(json_object_get(d, "queue")), queue);
        assert_string_equal(json_string_value(json_object_get(d, "reason")), "rejected");
        assert_string_equal(json_string_value(json_object_get(d, "event")), "not json");
        json_decref(list);
        /* Replayed to flaky's queue only: other did not see it again. */
        assert_int_equal(sink_get(&other, &other.calls), 6);
        assert_int_equal(sink_get(&s, &s.poison_calls), 4);
        assert_int_equal(query(pool, "SELECT COUNT(*) FROM effects"), 12);
        ct_outbox_stop(o);
        ct_broker_free(b);
        ct_store_pool_close(pool);
    }
}

/* ---- every instance ---- */

typedef struct seen {
    pthread_mutex_t mu;
    char ids[64][32];
    int n, calls, fail_first; /* fail_first: the first call fails (retried) */
} seen;

static ct_status on_every(const json_t *ev, void *ctx)
{
    seen *s = ctx;
    const char *id = json_string_value(json_object_get(ev, "id"));
    pthread_mutex_lock(&s->mu);
    int call = s->calls++;
    int known = 0;
    for (int i = 0; i < s->n && !known; i++)
        known = strcmp(s->ids[i], id) == 0;
    ct_status rc = CT_OK;
    if (call == 0 && s->fail_first)
        rc = CT_UNAVAILABLE;
    else if (!known && s->n < 64)
        snprintf(s->ids[s->n++], sizeof(s->ids[0]), "%s", id);
    pthread_mutex_unlock(&s->mu);
    return rc;
}

static int seen_get(seen *s, const int *field)
{
    pthread_mutex_lock(&s->mu);
    int n = *field;
    pthread_mutex_unlock(&s->mu);
    return n;
}

/* Two instances (two brokers on one RabbitMQ, one relay): an event published once reaches
 * the every-instance consumer of each, while the durable subscriber both instances consume
 * handles it once in all. */
static void test_every_instance(void **state)
{
    (void)state;
    if (!have_rabbit)
        skip();
    char urls[2][512];
    engines(urls, "ei");
    ct_store_pool *pool = open_pool(urls[0]);
    ct_broker *a = open_broker("ei", 5), *b = open_broker("ei", 5);
    ct_outbox *o = open_relay(pool, a);
    sink mail;
    sink_init(&mail, pool, "mail");
    assert_int_equal(ct_outbox_subscribe(o, "mail", "order.*", on_event, &mail), CT_OK);
    assert_int_equal(ct_outbox_start(o), CT_OK);
    ct_outbox_transport tb = ct_broker_transport(b); /* instance b's outbox start */
    assert_int_equal(tb.consume(tb.ctx, "mail", "order.*", on_event, &mail), CT_OK);
    seen sa, sb;
    memset(&sa, 0, sizeof(sa));
    memset(&sb, 0, sizeof(sb));
    pthread_mutex_init(&sa.mu, NULL);
    pthread_mutex_init(&sb.mu, NULL);
    sb.fail_first = 1;
    assert_int_equal(ct_broker_every_instance(a, "trips", "order.confirmed", on_every, &sa), CT_OK);
    assert_int_equal(ct_broker_every_instance(b, "trips", "order.confirmed", on_every, &sb), CT_OK);
    assert_int_equal(ct_broker_every_instance(b, "x", "order.confirmed", NULL, NULL), CT_INVALID);

    for (int i = 0; i < 10; i++) {
        char agg[16];
        snprintf(agg, sizeof(agg), "o%d", i);
        add(pool, agg, "order.confirmed", i, 0, NULL, 0);
        add(pool, agg, "order.cancelled", i, 0, NULL, 0); /* not the pattern */
    }
    ct_outbox_kick(o);
    assert_int_equal(
        wait_for(pool, "SELECT COUNT(*) FROM effects WHERE consumer = 'mail'", 20, 30000), 20);
    for (int waited = 0; waited < 10000 && (seen_get(&sa, &sa.n) < 10 || seen_get(&sb, &sb.n) < 10);
         waited += 50)
        sleep_ms(50);
    sleep_ms(300); /* nothing more arrives */
    assert_int_equal(seen_get(&sa, &sa.n), 10);
    assert_int_equal(seen_get(&sb, &sb.n), 10);
    assert_int_equal(seen_get(&sa, &sa.calls), 10); /* each event once on each instance */
    assert_int_equal(seen_get(&sb, &sb.calls), 11); /* and the failed one again */
    assert_int_equal(query(pool, "SELECT COUNT(DISTINCT event_id) FROM effects"), 20);
    assert_int_equal(query(pool, "SELECT COUNT(*) FROM effects"), 20);
    ct_outbox_stop(o);
    ct_broker_free(a);
    ct_broker_free(b);
    ct_store_pool_close(pool);
}

static void test_bad_urls(void **state)
{
    (void)state;
    ct_broker *b = NULL;
    ct_broker_config bc = {.url = "http://127.0.0.1/"};
    assert_int_equal(ct_broker_new(&bc, &b), CT_INVALID);
    bc.url = "amqp://[bad";
    assert_int_equal(ct_broker_new(&bc, &b), CT_INVALID);
    bc.url = NULL;
    assert_int_equal(ct_broker_new(&bc, &b), CT_INVALID);
    /* A port nobody listens on: the check says why, the state is not "up". */
    bc.url = "amqp://guest:guest@127.0.0.1:1/";
    assert_int_equal(ct_broker_new(&bc, &b), CT_OK);
    char err[256] = "";
    assert_int_equal(ct_broker_check(b, err, sizeof(err)), CT_UNAVAILABLE);
    assert_non_null(strstr(err, "127.0.0.1:1"));
    ct_broker_free(b);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_bad_urls),           cmocka_unit_test(test_publish_consume),
        cmocka_unit_test(test_every_instance),     cmocka_unit_test(test_dead_letter_replay),
        cmocka_unit_test(test_restart_under_load),
    };
    return cmocka_run_group_tests(tests, setup, teardown);
}
