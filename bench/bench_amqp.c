/* bench_amqp.c: domain events per second through RabbitMQ (broker/broker.h, `serve --amqp`)
 * against the in-process relay measured in the same run, on a real rabbitmq-server started
 * here (tests/support/rabbitserver.h: its own ports, epmd and directory).
 *
 *   in process: N events added to the outbox (one transaction each) while the relay runs,
 *               the relay delivering each to one subscriber whose effect is the consumers'
 *               pattern (ct_outbox_consume_once + a row, one transaction);
 *   rabbitmq:   the same with the broker as the relay's transport: publish with mandatory,
 *               wait for the publisher confirm, mark; the subscriber's queue consumed by its
 *               thread, the effect, the ack.
 * Each reports events/s (first add to last effect) and the add-to-effect latency percentiles
 * (p50/p90/p99), on SQLite and, with CT_BENCH_PG_URL, PostgreSQL (fresh schemas).
 *
 * Usage: bench_amqp [N] (default 2000). */
#define _GNU_SOURCE
#include "ct_test.h"

#include <jansson.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "broker/broker.h"
#include "events/outbox.h"
#include "rabbitserver.h"
#include "store/migrate.h"
#include "store/store.h"

#define MAX_N 20000

static ts_rabbit rabbit;

static int64_t now_us(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_REALTIME, &ts);
    return (int64_t)ts.tv_sec * 1000000 + ts.tv_nsec / 1000;
}

typedef struct sink {
    ct_store_pool *pool;
    pthread_mutex_t mu;
    int64_t lat_us[MAX_N];
    int n;
    int64_t last_us;
} sink;

static ct_status on_event(const json_t *ev, void *ctx)
{
    sink *s = ctx;
    const char *id = json_string_value(json_object_get(ev, "id"));
    int64_t added = json_integer_value(json_object_get(json_object_get(ev, "payload"), "at_us"));
    ct_store *st = NULL;
    ct_status rc = ct_store_pool_acquire(s->pool, 5000, &st);
    if (rc)
        return rc;
    rc = ct_store_begin(st);
    int fresh = 0;
    if (rc == CT_OK) {
        rc = ct_outbox_consume_once(st, "bench", id);
        if (rc == CT_OK) {
            const char *p[] = {id};
            rc = ct_store_run(st, "INSERT INTO effects (event_id) VALUES (?)", 1, p);
            fresh = rc == CT_OK;
        } else if (rc == CT_CONFLICT) {
            rc = CT_OK;
        }
        if (rc == CT_OK)
            rc = ct_store_commit(st);
        else
            ct_store_rollback(st);
    }
    ct_store_pool_release(s->pool, st);
    if (rc == CT_OK && fresh) {
        int64_t t = now_us();
        pthread_mutex_lock(&s->mu);
        if (s->n < MAX_N)
            s->lat_us[s->n++] = t - added;
        s->last_us = t;
        pthread_mutex_unlock(&s->mu);
    }
    return rc;
}

static int cmp64(const void *a, const void *b)
{
    int64_t x = *(const int64_t *)a, y = *(const int64_t *)b;
    return (x > y) - (x < y);
}

static ct_store_pool *open_pool(const char *url)
{
    char err[512];
    ct_store *st = NULL;
    int applied = 0;
    if (ct_store_open(url, &st, err, sizeof(err)) != CT_OK || ct_store_migrate(st, &applied) ||
        ct_store_exec(st, "CREATE TABLE effects (event_id TEXT NOT NULL)") != CT_OK) {
        fprintf(stderr, "bench_amqp: %s: %s\n", url, st ? ct_store_errmsg(st) : err);
        exit(1);
    }
    ct_store_close(st);
    ct_store_pool *pool = NULL;
    if (ct_store_pool_open(url, 6, &pool, err, sizeof(err)) != CT_OK) {
        fprintf(stderr, "bench_amqp: pool: %s\n", err);
        exit(1);
    }
    return pool;
}

/* One run: N events through the relay (with the broker when prefix != NULL). */
static void run(const char *engine, const char *url, const char *prefix, int n)
{
    static sink s;
    memset(&s, 0, sizeof(s));
    pthread_mutex_init(&s.mu, NULL);
    s.pool = open_pool(url);
    ct_outbox *o = NULL;
    ct_broker *b = NULL;
    if (ct_outbox_new(s.pool, NULL, 20, &o) != CT_OK)
        exit(1);
    ct_outbox_set_retry(o, 20, 500);
    if (prefix != NULL) {
        ct_broker_config bc = {.url = rabbit.url, .prefix = prefix};
        char err[256] = "";
        if (ct_broker_new(&bc, &b) != CT_OK || ct_broker_check(b, err, sizeof(err)) != CT_OK) {
            fprintf(stderr, "bench_amqp: broker: %s\n", err);
            exit(1);
        }
        ct_outbox_transport t = ct_broker_transport(b);
        ct_outbox_set_transport(o, &t);
    }
    if (ct_outbox_subscribe(o, "bench", "order.*", on_event, &s) != CT_OK ||
        ct_outbox_start(o) != CT_OK)
        exit(1);
    int64_t t0 = now_us();
    for (int i = 0; i < n; i++) {
        ct_store *st = NULL;
        char agg[16];
        snprintf(agg, sizeof(agg), "o%d", i % 16);
        if (ct_store_pool_acquire(s.pool, 5000, &st) || ct_store_begin(st))
            exit(1);
        json_t *p = json_pack("{s:I}", "at_us", (json_int_t)now_us());
        if (ct_outbox_add(st, "order", agg, "order.confirmed", p, NULL, 0) != CT_OK ||
            ct_store_commit(st) != CT_OK)
            exit(1);
        json_decref(p);
        ct_store_pool_release(s.pool, st);
        ct_outbox_kick(o);
    }
    for (int waited = 0; waited < 600000; waited += 10) {
        pthread_mutex_lock(&s.mu);
        int done = s.n;
        pthread_mutex_unlock(&s.mu);
        if (done >= n)
            break;
        usleep(10000);
    }
    ct_outbox_stop(o);
    ct_broker_free(b);
    if (s.n < n) {
        fprintf(stderr, "bench_amqp: %s %s: only %d of %d applied\n", engine,
                prefix ? "rabbitmq" : "in process", s.n, n);
        exit(1);
    }
    qsort(s.lat_us, (size_t)s.n, sizeof(s.lat_us[0]), cmp64);
    double secs = (double)(s.last_us - t0) / 1e6;
    printf("| %s | %s | %d | %.0f | %.1f | %.1f | %.1f |\n", engine,
           prefix ? "RabbitMQ (confirm, quorum queue, ack)" : "in process (relay)", n, n / secs,
           s.lat_us[s.n / 2] / 1000.0, s.lat_us[s.n * 9 / 10] / 1000.0,
           s.lat_us[s.n * 99 / 100] / 1000.0);
    fflush(stdout);
    ct_store_pool_close(s.pool);
}

int main(int argc, char **argv)
{
    int n = argc > 1 ? atoi(argv[1]) : 2000;
    if (n < 100 || n > MAX_N) {
        fprintf(stderr, "usage: bench_amqp [N] (100..%d)\n", MAX_N);
        return 2;
    }
    if (!ts_rabbit_available())
        return 1;
    char dir[] = "/tmp/ct-bench-amqp-XXXXXX";
    if (mkdtemp(dir) == NULL)
        return 1;
    ts_rabbit_start(&rabbit);
    printf("| engine | path | events | events/s | p50 ms | p90 ms | p99 ms |\n");
    printf("| --- | --- | ---: | ---: | ---: | ---: | ---: |\n");
    char url[600];
    snprintf(url, sizeof(url), "sqlite:%s/in.db", dir);
    run("SQLite", url, NULL, n);
    snprintf(url, sizeof(url), "sqlite:%s/amqp.db", dir);
    run("SQLite", url, "bench-sqlite", n);
    const char *pg = getenv("CT_BENCH_PG_URL");
    if (pg != NULL && pg[0]) {
        /* Fresh databases: a schema each (search_path in the URL's options). */
        const char *names[] = {"bench_amqp_in", "bench_amqp_mq"};
        for (int k = 0; k < 2; k++) {
            char err[512];
            ct_store *st = NULL;
            char sql[200];
            if (ct_store_open(pg, &st, err, sizeof(err)) != CT_OK) {
                fprintf(stderr, "bench_amqp: %s\n", err);
                return 1;
            }
            snprintf(sql, sizeof(sql), "DROP SCHEMA IF EXISTS %s CASCADE; CREATE SCHEMA %s",
                     names[k], names[k]);
            ct_store_exec(st, sql);
            ct_store_close(st);
            snprintf(url, sizeof(url), "%s%soptions=-csearch_path%%3D%s", pg,
                     strchr(pg, '?') ? "&" : "?", names[k]);
            run("PostgreSQL", url, k ? "bench-pg" : NULL, n);
        }
    }
    ts_rabbit_stop(&rabbit);
    char cmd[100];
    snprintf(cmd, sizeof(cmd), "rm -rf '%s'", dir);
    return system(cmd) == 0 ? 0 : 1;
}
