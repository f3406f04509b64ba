/* system.c: liveness, readiness, metrics and the OpenAPI document.
 *
 * /healthz answers 200 while the process serves at all. /readyz answers 200 only when the
 * app is ready (started, not shutting down), the reference data is loaded and the database
 * answers a query and takes a write (ct_store_write_probe), and no storage fault was seen in
 * the last 10 s (ct_store_fault_recent: a write that failed on a full disk fails readiness
 * even when the probe's small write found room); otherwise 503 with the failing check named.
 * Its 200 answer states the schedules' window, "schedules": {first_date, last_date} (null
 * before any are loaded): the web app's date pickers end there. Both answers (the 503 too, as
 * a problem member) name the engines the instance uses, "engines": {name: {state, required,
 * kind, detail}}: the database (required; kind sqlite or postgres; detail says what failed),
 * Redis with --redis (not required: the rate limits fall back, docs/cluster.md; its state as
 * of the last rate-limit call, which this request made too), and each engine of
 * app->engines (RabbitMQ with --amqp, not required: events wait in the outbox while it is
 * away); a required one that is not "up" fails readiness. */
#include <stddef.h>
#include <stdio.h>
#include <string.h>
#include <time.h>

#include "alerts/alerts.h"
#include "booking/booking.h"
#include "notify/sms.h"
#include "api/api_internal.h"
#include "base/alloc.h"
#include "base/strbuf.h"
#include "base/timeutil.h"
#include "ingest/ingest.h"
#include "upstream/upstream.h"
#include "webhooks/webhooks.h"
#include "api/search_cache.h"
#include "http/problem.h"

void ct__api_healthz(ct_http_req *req, ct_api_call *call)
{
    (void)call;
    ct_http_reply_json(req, 200, json_pack("{s:s}", "status", "ok"));
}

/* The database's checks: it answers, takes a write, and no storage fault in the last 10 s.
 * NULL when up, else why (in why). */
static const char *database_down(ct_api_call *call, char *why, size_t len)
{
    int64_t one = 0;
    char fault[512];
    ct_status rc = ct_store_query_int64(call->store, "SELECT 1", &one);
    if (rc || one != 1)
        snprintf(why, len, "database does not answer: %s", ct_store_errmsg(call->store));
    else if (ct_store_write_probe(call->store) != CT_OK)
        snprintf(why, len, "database does not take writes: %s", ct_store_errmsg(call->store));
    else if (ct_store_fault_recent(10000, fault, sizeof(fault)))
        snprintf(why, len, "storage fault in the last 10 s: %s", fault);
    else
        return NULL;
    return why;
}

/* Redis (the rate limits' backend with --redis) into engines, as of the last rate-limit call
 * (every request makes one, this one included). Not required. */
static void redis_state(ct_app *app, json_t *engines)
{
    if (app->ratelimit == NULL)
        return;
    ct_ratelimit_stats st;
    ct_ratelimit_stats_get(app->ratelimit, &st);
    if (strcmp(st.backend, "redis") != 0)
        return;
    json_t *e = json_pack("{s:s, s:b, s:s}", "state", st.redis_up == 1 ? "up" : "down", "required",
                          0, "kind", "redis");
    if (e != NULL && st.redis_up != 1)
        json_object_set_new(e, "detail",
                            json_string("the last rate-limit call failed: limits are local"));
    json_object_set_new(engines, "redis", e);
}

void ct__api_readyz(ct_http_req *req, ct_api_call *call)
{
    ct_app *app = call->app;
    const char *failed = NULL;
    if (!atomic_load(&app->ready))
        failed = "not accepting traffic (starting or shutting down)";
    else if (app->refdata == NULL)
        failed = "reference data not loaded";
    char why[600];
    json_t *engines = json_object();
    if (call->store != NULL) {
        const char *down = database_down(call, why, sizeof(why));
        json_t *db = json_pack("{s:s, s:b, s:s}", "state", down ? "down" : "up", "required", 1,
                               "kind", ct_store_engine(call->store));
        if (db != NULL && down != NULL)
            json_object_set_new(db, "detail", json_string(down));
        json_object_set_new(engines, "database", db);
        failed = failed != NULL ? failed : down;
    }
    redis_state(app, engines);
    for (int i = 0; i < app->nengines; i++) {
        const ct_api_engine *e = &app->engines[i];
        const char *state = e->state(e->ctx);
        json_object_set_new(engines, e->name,
                            json_pack("{s:s, s:b}", "state", state, "required", e->required));
        if (failed == NULL && e->required && strcmp(state, "up") != 0) {
            snprintf(why, sizeof(why), "%s is %s", e->name, state);
            failed = why;
        }
    }
    if (failed != NULL) {
        ct_http_problem_ext(req, 503, "Not ready", failed, json_pack("{s:o}", "engines", engines));
        return;
    }
    /* The schedules' window: the web app's date pickers end there. */
    const ct_timetable *tt = atomic_load(&app->timetable);
    json_t *schedules = json_null();
    if (tt != NULL && tt->nlegs > 0) {
        char first[16], last[16];
        ct_date_format(tt->from_day, first, sizeof(first));
        ct_date_format(tt->to_day, last, sizeof(last));
        schedules = json_pack("{s:s, s:s}", "first_date", first, "last_date", last);
    }
    ct_http_reply_json(req, 200,
                       json_pack("{s:s, s:s, s:i, s:o, s:o}", "status", "ready", "database",
                                 call->store ? ct_store_engine(call->store) : "none", "airports",
                                 (int)ct_refdata_airport_count(app->refdata), "schedules",
                                 schedules, "engines", engines));
}

/* Price alerts (alerts/alerts.h): the alerts indexed and the evaluation's counters. */
static void alerts_metrics(ct_app *app, ct_strbuf *out)
{
    ct_alerts *a = atomic_load(&app->alerts);
    if (a == NULL)
        return;
    ct_alerts_stats st;
    ct_alerts_stats_get(a, &st);
    ct_strbuf_printf(
        out,
        "# HELP contrail_alerts_stored Price alerts in the route index.\n"
        "# TYPE contrail_alerts_stored gauge\n"
        "contrail_alerts_stored %llu\n"
        "# HELP contrail_alerts_changes_total Cheaper legs evaluated, and dearer ones ignored.\n"
        "# TYPE contrail_alerts_changes_total counter\n"
        "contrail_alerts_changes_total{kind=\"cheaper\"} %llu\n"
        "contrail_alerts_changes_total{kind=\"dearer\"} %llu\n"
        "contrail_alerts_changes_total{kind=\"dropped\"} %llu\n"
        "# HELP contrail_alerts_rechecks_total Alerts compared with a fresh price, or pruned.\n"
        "# TYPE contrail_alerts_rechecks_total counter\n"
        "contrail_alerts_rechecks_total{result=\"repriced\"} %llu\n"
        "contrail_alerts_rechecks_total{result=\"pruned\"} %llu\n"
        "# HELP contrail_alerts_searches_total Full cheapest-only searches of the evaluation.\n"
        "# TYPE contrail_alerts_searches_total counter\n"
        "contrail_alerts_searches_total %llu\n"
        "# HELP contrail_alerts_restricted_searches_total Searches through one dropped leg.\n"
        "# TYPE contrail_alerts_restricted_searches_total counter\n"
        "contrail_alerts_restricted_searches_total %llu\n"
        "# HELP contrail_alerts_triggered_total price_alert.triggered events written.\n"
        "# TYPE contrail_alerts_triggered_total counter\n"
        "contrail_alerts_triggered_total %llu\n",
        (unsigned long long)st.alerts, (unsigned long long)st.legs, (unsigned long long)st.rises,
        (unsigned long long)st.dropped, (unsigned long long)st.rechecks,
        (unsigned long long)st.pruned, (unsigned long long)st.searches,
        (unsigned long long)st.restricted, (unsigned long long)st.triggers);
}

/* The rate limiter's backend and, with Redis, its calls, failures and fallbacks. */
static void ratelimit_metrics(ct_ratelimit *rl, ct_strbuf *out)
{
    ct_ratelimit_stats st;
    ct_ratelimit_stats_get(rl, &st);
    ct_strbuf_printf(out,
                     "# HELP contrail_ratelimit_redis_up 1 while the last rate-limit call reached "
                     "Redis (-1: limits in memory).\n"
                     "# TYPE contrail_ratelimit_redis_up gauge\n"
                     "contrail_ratelimit_redis_up %d\n"
                     "# HELP contrail_ratelimit_redis_total Rate-limit calls to Redis by result.\n"
                     "# TYPE contrail_ratelimit_redis_total counter\n"
                     "contrail_ratelimit_redis_total{result=\"answered\"} %llu\n"
                     "contrail_ratelimit_redis_total{result=\"error\"} %llu\n"
                     "# HELP contrail_ratelimit_redis_down_total Decisions taken without Redis: "
                     "local bucket (fail open) or refused (fail closed).\n"
                     "# TYPE contrail_ratelimit_redis_down_total counter\n"
                     "contrail_ratelimit_redis_down_total{mode=\"local\"} %llu\n"
                     "contrail_ratelimit_redis_down_total{mode=\"refused\"} %llu\n",
                     strcmp(st.backend, "redis") == 0 ? st.redis_up : -1,
                     (unsigned long long)st.redis_calls, (unsigned long long)st.redis_errors,
                     (unsigned long long)st.fallbacks, (unsigned long long)st.refused);
}

/* Feed ingestion and pricebook gauges and counters, appended
 * to the HTTP metrics. */
static void ingest_metrics(ct_app *app, ct_strbuf *out)
{
    ct_ingest *ing = atomic_load(&app->ingest);
    ct_pricebook *pb = atomic_load(&app->pricebook);
    if (pb != NULL)
        ct_strbuf_printf(out,
                         "# HELP contrail_pricebook_seat_bytes Memory of the seat tables.\n"
                         "# TYPE contrail_pricebook_seat_bytes gauge\n"
                         "contrail_pricebook_seat_bytes %zu\n",
                         ct_pricebook_seat_bytes(pb));
    if (app->search_cache != NULL) {
        uint64_t hits, misses;
        ct_search_cache_stats(app->search_cache, &hits, &misses);
        ct_strbuf_printf(out,
                         "# HELP contrail_search_cache_total Search answers from the cache.\n"
                         "# TYPE contrail_search_cache_total counter\n"
                         "contrail_search_cache_total{result=\"hit\"} %llu\n"
                         "contrail_search_cache_total{result=\"miss\"} %llu\n",
                         (unsigned long long)hits, (unsigned long long)misses);
    }
    if (app->ratelimit != NULL)
        ratelimit_metrics(app->ratelimit, out);
    if (ing == NULL)
        return;
    ct_ingest_stats st[CT_MAX_PROVIDERS];
    int n = ct_ingest_stats_get(ing, st, CT_MAX_PROVIDERS);
    static const struct {
        const char *name, *type, *help;
        size_t offset;
    } series[] = {
        {"contrail_ingest_fare_records_total", "counter", "Fare records applied.",
         offsetof(ct_ingest_stats, fares_applied)},
        {"contrail_ingest_seat_records_total", "counter", "Availability records applied.",
         offsetof(ct_ingest_stats, seats_applied)},
        {"contrail_ingest_rejected_total", "counter", "Feed records rejected by validation.",
         offsetof(ct_ingest_stats, rejected)},
        {"contrail_ingest_requests_total", "counter", "Feed requests sent (retries included).",
         offsetof(ct_ingest_stats, requests)},
        {"contrail_ingest_retries_total", "counter", "Feed requests retried.",
         offsetof(ct_ingest_stats, retries)},
        {"contrail_ingest_failures_total", "counter", "Provider syncs given up.",
         offsetof(ct_ingest_stats, failures)},
    };
    for (size_t k = 0; k < sizeof(series) / sizeof(series[0]); k++) {
        ct_strbuf_printf(out, "# HELP %s %s\n# TYPE %s %s\n", series[k].name, series[k].help,
                         series[k].name, series[k].type);
        for (int i = 0; i < n; i++) {
            uint64_t v;
            memcpy(&v, (const char *)&st[i] + series[k].offset, sizeof(v));
            ct_strbuf_printf(out, "%s{provider=\"%s\"} %llu\n", series[k].name, st[i].name,
                             (unsigned long long)v);
        }
    }
    ct_strbuf_printf(out, "# HELP contrail_ingest_last_sync_seconds Unix time of the last "
                          "successful sync.\n# TYPE contrail_ingest_last_sync_seconds gauge\n");
    for (int i = 0; i < n; i++)
        ct_strbuf_printf(out, "contrail_ingest_last_sync_seconds{provider=\"%s\"} %lld\n",
                         st[i].name, (long long)st[i].last_sync);
}

/* Every partner client's circuit breakers and request counters in one block per family:
 * the feeds, the providers' offers and orders, the card processor, webhook endpoints, SMS. */
static void upstream_metrics(ct_app *app, ct_strbuf *out)
{
    ct_ingest *ing = atomic_load(&app->ingest);
    ct_booking *bk = atomic_load(&app->booking);
    ct_payments *pay = bk != NULL ? ct_booking_payments(bk) : NULL;
    ct_upstream *ups[] = {
        ing != NULL ? ct_ingest_upstream(ing) : NULL,
        bk != NULL ? ct_booking_upstream(bk) : NULL,
        pay != NULL ? ct_payments_upstream(pay) : NULL,
        app->webhooks != NULL ? ct_webhooks_upstream(app->webhooks) : NULL,
        ct_sms_upstream(),
    };
    (void)ct_upstream_metrics_write_all(ups, (int)(sizeof(ups) / sizeof(ups[0])), out);
}

/* The outbox's backlog (events/outbox.h): deliveries not yet made and the age of the oldest
 * (deployed alert: outbox lag, deploy/prometheus/alerts.yml). Two indexed queries on a
 * borrowed connection; nothing is written when the database does not answer in 100 ms. */
static void outbox_metrics(ct_app *app, ct_strbuf *out)
{
    ct_store *st = NULL;
    if (app->pool == NULL || ct_store_pool_acquire(app->pool, 100, &st) != CT_OK)
        return;
    int64_t pending = 0, oldest = 0;
    if (ct_store_query_int64(st, "SELECT COUNT(*) FROM outbox_delivery WHERE delivered_at IS NULL",
                             &pending) == CT_OK &&
        ct_store_query_int64(st,
                             "SELECT COALESCE(MIN(created_at), 0) FROM (SELECT created_at FROM"
                             " outbox_delivery WHERE delivered_at IS NULL UNION ALL SELECT"
                             " created_at FROM outbox WHERE fanned_out = 0) AS waiting",
                             &oldest) == CT_OK) {
        struct timespec ts;
        clock_gettime(CLOCK_REALTIME, &ts);
        int64_t now_ms = (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
        double age = oldest > 0 && now_ms > oldest ? (double)(now_ms - oldest) / 1000.0 : 0.0;
        ct_strbuf_printf(
            out,
            "# HELP contrail_outbox_pending_deliveries Outbox deliveries not made yet.\n"
            "# TYPE contrail_outbox_pending_deliveries gauge\n"
            "contrail_outbox_pending_deliveries %lld\n"
            "# HELP contrail_outbox_oldest_pending_seconds Age of the oldest event not"
            " yet delivered to every subscriber, 0 = none.\n"
            "# TYPE contrail_outbox_oldest_pending_seconds gauge\n"
            "contrail_outbox_oldest_pending_seconds %.3f\n",
            (long long)pending, age);
    }
    ct_store_pool_release(app->pool, st);
}

/* The engines' own counters (app->engines). */
static void engine_metrics(ct_app *app, ct_strbuf *out)
{
    char buf[2048];
    for (int i = 0; i < app->nengines; i++) {
        const ct_api_engine *e = &app->engines[i];
        if (e->metrics != NULL && e->metrics(e->ctx, buf, sizeof(buf)) > 0)
            (void)ct_strbuf_puts(out, buf);
    }
}

void ct__api_metrics(ct_http_req *req, ct_api_call *call)
{
    ct_app *app = call->app;
    char *text = ct_http_metrics_text(app->router);
    ct_strbuf out;
    ct_strbuf_init(&out, 1 << 20);
    if (text == NULL || ct_strbuf_puts(&out, text) != CT_OK) {
        ct_free(text);
        ct_strbuf_free(&out);
        ct_http_problem(req, 500, "Internal error", "out of memory");
        return;
    }
    ct_free(text);
    ingest_metrics(app, &out);
    alerts_metrics(app, &out);
    upstream_metrics(app, &out);
    outbox_metrics(app, &out);
    engine_metrics(app, &out);
    if (app->metrics_extra != NULL)
        app->metrics_extra(app->metrics_extra_ctx, &out);
    ct_http_reply(req, 200, "text/plain; version=0.0.4; charset=utf-8", ct_strbuf_str(&out),
                  out.len);
    ct_strbuf_free(&out);
}

void ct__api_openapi(ct_http_req *req, ct_api_call *call)
{
    (void)call;
    ct_http_reply(req, 200, "application/json", ct_openapi_json, strlen(ct_openapi_json));
}
