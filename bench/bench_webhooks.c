/* bench_webhooks.c: webhook deliveries per second to a local receiver (loopback, libmicrohttpd,
 * a thread per connection: tests/support/receiver.h), against a peer measured in the same run.
 *
 *   peer:      the same signed POSTs sent straight through the upstream client by W threads
 *              (no database): what the network path costs;
 *   events:    N trip.price_drop events added to the outbox in one transaction each, then the
 *              whole path: relay -> fan-out (one delivery row per event) -> W delivery workers
 *              (claim with a lease, sign, POST, record the attempt), until the receiver has
 *              all N; on SQLite, and on PostgreSQL when CT_BENCH_PG_URL is set;
 *   rows:      N delivery rows made first (test pings), then the W workers alone.
 *
 * Usage: bench_webhooks [N] (default 2000; at most 4000, the receiver's log; a fresh receiver
 * per run). */
#include <curl/curl.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "events/outbox.h"
#include "receiver.h"
#include "store/migrate.h"
#include "upstream/upstream.h"
#include "webhooks/webhooks.h"

static rc_receiver *rcv;

static double now_s(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

typedef struct peer_arg {
    ct_upstream *up;
    const char *url;
    int n;
} peer_arg;

static void *peer_thread(void *p)
{
    peer_arg *a = p;
    const char *body = "{\"type\":\"trip.price_drop\",\"timestamp\":\"2026-12-04T00:00:00Z\","
                       "\"data\":{\"user_id\":\"usr_bench\",\"price_minor\":4200}}";
    const char *secret = "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw";
    for (int i = 0; i < a->n; i++) {
        char sig[128], sig_h[160], id_h[64], ts_h[64];
        long ts = (long)time(NULL);
        snprintf(id_h, sizeof(id_h), "webhook-id: msg_peer%d_%lx", i,
                 (unsigned long)pthread_self());
        ct_webhooks_sign(secret, id_h + 12, ts, body, strlen(body), sig, sizeof(sig));
        snprintf(sig_h, sizeof(sig_h), "webhook-signature: %s", sig);
        snprintf(ts_h, sizeof(ts_h), "webhook-timestamp: %ld", ts);
        const char *h[] = {"Content-Type: application/json", id_h, ts_h, sig_h, NULL};
        ct_upstream_request req = {.partner = "bench",
                                   .method = "POST",
                                   .url = a->url,
                                   .headers = h,
                                   .body = body,
                                   .body_len = strlen(body),
                                   .max_attempts = 1};
        ct_upstream_response rsp;
        ct_upstream_call_sync(a->up, &req, &rsp);
        ct_upstream_response_free(&rsp);
    }
    return NULL;
}

static double run_peer(int n, int workers)
{
    ct_upstream *up = NULL;
    ct_upstream_config uc = {.name = "bench", .max_attempts = 1, .breaker_failures = -1};
    if (ct_upstream_new(&uc, &up) != CT_OK)
        return 0;
    char url[128], path[64];
    snprintf(path, sizeof(path), "/ok/peer-%d", workers);
    snprintf(url, sizeof(url), "http://127.0.0.1:%d%s", rc_port(rcv), path);
    pthread_t t[16];
    peer_arg a[16];
    double t0 = now_s();
    for (int i = 0; i < workers; i++) {
        a[i] = (peer_arg){up, url, n / workers};
        pthread_create(&t[i], NULL, peer_thread, &a[i]);
    }
    for (int i = 0; i < workers; i++)
        pthread_join(t[i], NULL);
    double dt = now_s() - t0;
    ct_upstream_free(up);
    int sent = n / workers * workers;
    return (double)sent / dt;
}

/* The pipeline on `url` with `workers`; deliveries per second, 0 on failure. direct: the
 * delivery rows are made first by ct_webhooks_ping (no outbox, no fan-out): the workers alone. */
static double run_pipeline(const char *url, int n, int workers, const char *tag, int direct)
{
    char err[256];
    ct_store *st = NULL;
    ct_store_pool *pool = NULL;
    ct_outbox *ob = NULL;
    ct_webhooks *wh = NULL;
    double rate = 0;
    int applied = 0;
    json_t *out = NULL;
    if (ct_store_open(url, &st, err, sizeof(err)) != CT_OK ||
        ct_store_migrate(st, &applied) != CT_OK) {
        fprintf(stderr, "bench: %s %s\n", err, st ? ct_store_errmsg(st) : "");
        goto cleanup;
    }
    if (ct_store_pool_open(url, workers + 4, &pool, err, sizeof(err)) != CT_OK ||
        ct_outbox_new(pool, NULL, 10, &ob) != CT_OK)
        goto cleanup;
    ct_webhooks_config cfg = {.allow_loopback = 1, .workers = workers, .poll_ms = 10, .batch = 16};
    if (ct_webhooks_new(pool, &cfg, &wh) != CT_OK || ct_webhooks_subscribe(wh, ob) != CT_OK)
        goto cleanup;
    char path[64], body[200];
    snprintf(path, sizeof(path), "/ok/pipe-%s-%d-%d", tag, workers, direct);
    snprintf(body, sizeof(body), "{\"url\":\"http://127.0.0.1:%d%s\",\"event_types\":[\"trip.*\"]}",
             rc_port(rcv), path);
    json_t *in = json_loads(body, 0, NULL);
    ct_webhooks_field_error fe;
    char user[48];
    snprintf(user, sizeof(user), "usr_bench_%s_%d_%d", tag, workers, direct);
    ct_status rc = ct_webhooks_create(wh, st, user, in, &fe, &out);
    json_decref(in);
    if (rc)
        goto cleanup;
    const char *endpoint = json_string_value(json_object_get(out, "id"));
    for (int i = 0; direct && i < n; i++) {
        json_t *d = NULL;
        if (ct_webhooks_ping(wh, st, user, endpoint, &d) != CT_OK)
            goto cleanup;
        json_decref(d);
    }
    /* The events first (the relay not started), then everything runs at once. */
    for (int i = 0; !direct && i < n; i++) {
        json_t *p = json_pack("{ss si}", "user_id", user, "price_minor", 4200 + i);
        char agg[32];
        snprintf(agg, sizeof(agg), "trip_%d", i);
        ct_store_begin(st);
        ct_outbox_add(st, "trip", agg, "trip.price_drop", p, NULL, 0);
        ct_store_commit(st);
        json_decref(p);
    }
    double t0 = now_s();
    if (ct_outbox_start(ob) != CT_OK || ct_webhooks_start(wh) != CT_OK)
        goto cleanup;
    if (!rc_wait(rcv, path, n, 300000)) {
        fprintf(stderr, "bench: only %d of %d delivered\n", rc_count(rcv, path), n);
        goto cleanup;
    }
    rate = (double)n / (now_s() - t0);
cleanup:
    json_decref(out);
    ct_outbox_stop(ob);
    ct_webhooks_free(wh);
    ct_store_pool_close(pool);
    ct_store_close(st);
    return rate;
}

int main(int argc, char **argv)
{
    int n = argc > 1 ? atoi(argv[1]) : 2000;
    if (n < 16 || n > 4000)
        n = 2000;
    curl_global_init(CURL_GLOBAL_DEFAULT);
    char tmpl[] = "/tmp/bench-webhooks.XXXXXX";
    const char *dir = mkdtemp(tmpl);
    const char *pg = getenv("CT_BENCH_PG_URL");
    int worker_counts[] = {1, 2, 4};
    printf("%d deliveries to a local receiver (loopback), per worker count W; deliveries/s\n", n);
    printf("%-3s %9s %14s %14s %14s %14s\n", "W", "peer", "sqlite events", "sqlite rows",
           "pg events", "pg rows");
    for (size_t i = 0; i < sizeof(worker_counts) / sizeof(*worker_counts); i++) {
        int w = worker_counts[i];
        double r[5] = {0, 0, 0, 0, 0};
        for (int k = 0; k < 5; k++) {
            if (k >= 3 && pg == NULL)
                break;
            char url[300];
            snprintf(url, sizeof(url), "sqlite:%s/bench-%d-%d.db", dir ? dir : "/tmp", w, k);
            /* A fresh receiver per run: its log holds RC_MAX_HITS requests. */
            rcv = rc_start();
            if (rcv == NULL)
                continue;
            r[k] = k == 0   ? run_peer(n, w)
                   : k <= 2 ? run_pipeline(url, n, w, "sqlite", k == 2)
                            : run_pipeline(pg, n, w, "pg", k == 4);
            rc_stop(rcv);
        }
        printf("%-3d %9.0f %14.0f %14.0f %14.0f %14.0f\n", w, r[0], r[1], r[2], r[3], r[4]);
        fflush(stdout);
    }
    return 0;
}
