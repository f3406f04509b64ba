/* deliver.c: the fan-out subscriber and the delivery workers (see webhooks.h).
 *
 * Fan-out (the outbox relay's thread): a sendable event's owner is looked up (the order's
 * user_id, or payload.user_id), then in one transaction one webhook_deliveries row is added
 * per enabled endpoint of that user whose event types match (exact, "prefix.*" or "*"),
 * INSERT ... ON CONFLICT DO NOTHING on (event_id, endpoint_id): the relay delivers at least
 * once, the rows exist once.
 *
 * A worker loops: claim up to `batch` due rows of enabled endpoints (one short transaction:
 * SELECT ... FOR UPDATE OF d SKIP LOCKED on PostgreSQL, BEGIN IMMEDIATE on SQLite; each row's
 * lease_until set to now + time-out + 5 s, so no other worker or process takes it while it is
 * in flight), send each one (no transaction open), then record the attempt and the outcome in
 * one transaction. Idle, it waits on a condition variable for a kick or poll_ms. A process
 * that dies mid-send leaves the lease, which expires, and the row is sent again: a receiver
 * sees a message at least once and deduplicates by webhook-id. */
#include <stdio.h>
#include <string.h>
#include <time.h>

#include "base/alloc.h"
#include "base/json.h"
#include "base/log.h"
#include "webhooks/webhooks_internal.h"

/* ---- the service ---- */

ct_status ct_webhooks_new(ct_store_pool *pool, const ct_webhooks_config *cfg, ct_webhooks **out)
{
    ct_webhooks *w = ct_calloc(1, sizeof(*w));
    if (w == NULL)
        return CT_NOMEM;
    w->pool = pool;
    if (cfg != NULL)
        w->cfg = *cfg;
    if (w->cfg.retry_scale <= 0)
        w->cfg.retry_scale = 1;
    if (w->cfg.timeout_ms <= 0)
        w->cfg.timeout_ms = 10000;
    if (w->cfg.workers <= 0)
        w->cfg.workers = 2;
    if (w->cfg.workers > WH_MAX_WORKERS)
        w->cfg.workers = WH_MAX_WORKERS;
    if (w->cfg.poll_ms <= 0)
        w->cfg.poll_ms = 100;
    if (w->cfg.batch <= 0)
        w->cfg.batch = 16;
    /* One attempt per call (the schedule is ours) and no breaker (an endpoint's failures
     * must not fail another's attempts fast). */
    ct_upstream_config uc = {
        .name = "webhooks",
        .user_agent = "contrail-webhooks/1",
        .max_attempts = 1,
        .timeout_ms = w->cfg.timeout_ms,
        .connect_timeout_ms = w->cfg.timeout_ms < 5000 ? w->cfg.timeout_ms : 5000,
        .breaker_failures = -1,
        .body_cap = 64 * 1024,
    };
    ct_status rc = ct_upstream_new(&uc, &w->up);
    if (rc) {
        ct_free(w);
        return rc;
    }
    pthread_mutex_init(&w->mu, NULL);
    pthread_cond_init(&w->cv, NULL);
    *out = w;
    return CT_OK;
}

ct_status ct_webhooks_start(ct_webhooks *w)
{
    if (w->nthreads > 0)
        return CT_INVALID;
    for (int i = 0; i < w->cfg.workers; i++) {
        if (pthread_create(&w->threads[i], NULL, ct__wh_worker, w) != 0)
            return CT_ERR;
        w->nthreads++;
    }
    return CT_OK;
}

void ct_webhooks_kick(ct_webhooks *w)
{
    if (w == NULL)
        return;
    pthread_mutex_lock(&w->mu);
    w->kicks++;
    pthread_cond_broadcast(&w->cv);
    pthread_mutex_unlock(&w->mu);
}

void ct_webhooks_free(ct_webhooks *w)
{
    if (w == NULL)
        return;
    atomic_store(&w->stop, 1);
    ct_webhooks_kick(w);
    for (int i = 0; i < w->nthreads; i++)
        pthread_join(w->threads[i], NULL);
    ct_upstream_free(w->up);
    pthread_cond_destroy(&w->cv);
    pthread_mutex_destroy(&w->mu);
    ct_free(w);
}

ct_upstream *ct_webhooks_upstream(ct_webhooks *w)
{
    return w->up;
}

/* ---- fan-out ---- */

static int sendable(const char *type)
{
    return type != NULL &&
           (strcmp(type, "order.confirmed") == 0 || strcmp(type, "order.cancelled") == 0 ||
            strcmp(type, "price_alert.triggered") == 0 || strncmp(type, "trip.", 5) == 0);
}

/* 1 when the space-separated patterns hold one matching `type`. */
static int subscribed(const char *patterns, const char *type)
{
    char buf[512];
    snprintf(buf, sizeof(buf), "%s", patterns ? patterns : "");
    char *save = NULL;
    for (char *p = strtok_r(buf, " ", &save); p != NULL; p = strtok_r(NULL, " ", &save)) {
        size_t n = strlen(p);
        if (strcmp(p, "*") == 0 || strcmp(p, type) == 0 ||
            (n >= 2 && p[n - 1] == '*' && p[n - 2] == '.' && strncmp(p, type, n - 1) == 0))
            return 1;
    }
    return 0;
}

/* The event's owning user into out ("" when none: a guest's order, no user_id). */
static ct_status event_owner(ct_store *st, const json_t *event, char *out, size_t len)
{
    out[0] = '\0';
    const json_t *payload = json_object_get(event, "payload");
    const char *aggregate = json_string_value(json_object_get(event, "aggregate"));
    if (aggregate == NULL || strcmp(aggregate, "order") != 0) {
        const char *u = json_string_value(json_object_get(payload, "user_id"));
        snprintf(out, len, "%s", u ? u : "");
        return CT_OK;
    }
    ct_stmt *s = NULL;
    ct_status rc = ct_store_prepare(st, "SELECT user_id FROM orders WHERE id = ?", &s);
    if (rc)
        return rc;
    ct_stmt_bind_text(s, 1, json_string_value(json_object_get(event, "aggregate_id")));
    rc = ct_stmt_step(s);
    if (rc == CT_ROW && !ct_stmt_is_null(s, 0))
        snprintf(out, len, "%s", ct_stmt_text(s, 0));
    ct_stmt_finalize(s);
    return rc == CT_ROW || rc == CT_DONE ? CT_OK : rc;
}

/* The user's enabled endpoints subscribed to `type` into ids (at most max); their count. */
static int matching_endpoints(ct_store *st, const char *user_id, const char *type, char ids[][40],
                              int max, ct_status *rc)
{
    ct_stmt *s = NULL;
    int n = 0;
    *rc = ct_store_prepare(st,
                           "SELECT id, event_types FROM webhook_endpoints"
                           " WHERE user_id = ? AND status = 'enabled' ORDER BY id",
                           &s);
    if (*rc)
        return 0;
    ct_stmt_bind_text(s, 1, user_id);
    ct_status step;
    while ((step = ct_stmt_step(s)) == CT_ROW) {
        if (n < max && subscribed(ct_stmt_text(s, 1), type))
            snprintf(ids[n++], 40, "%s", ct_stmt_text(s, 0));
    }
    ct_stmt_finalize(s);
    *rc = step == CT_DONE ? CT_OK : step;
    return n;
}

/* The Standard Webhooks body of an outbox event: {"type","timestamp","data"}. */
static ct_status event_body(const json_t *event, char **out)
{
    json_t *payload = json_object_get(event, "payload");
    json_t *data = payload ? json_incref(payload) : json_object();
    json_t *b = json_pack("{ss sO so}", "type", json_string_value(json_object_get(event, "type")),
                          "timestamp", json_object_get(event, "created_at"), "data", data);
    if (b == NULL)
        return CT_NOMEM;
    ct_status rc = ct_json_dumps(b, JSON_COMPACT | JSON_PRESERVE_ORDER, out);
    json_decref(b);
    return rc;
}

/* Adds the event's delivery rows in one transaction; *added counts new rows. */
static ct_status fan_out(ct_store *st, const json_t *event, const char *user_id, int *added)
{
    const char *type = json_string_value(json_object_get(event, "type"));
    const char *event_id = json_string_value(json_object_get(event, "id"));
    char ids[CT_WEBHOOKS_MAX_ENDPOINTS][40], msg[48], now_s[24];
    char *body = NULL;
    ct_status rc = ct_store_begin(st);
    if (rc)
        return rc;
    int n = matching_endpoints(st, user_id, type, ids, CT_WEBHOOKS_MAX_ENDPOINTS, &rc);
    if (!rc && n > 0)
        rc = event_body(event, &body);
    snprintf(msg, sizeof(msg), "msg_%s",
             strncmp(event_id, "evt_", 4) == 0 ? event_id + 4 : event_id);
    snprintf(now_s, sizeof(now_s), "%lld", (long long)ct__wh_now_ms());
    for (int i = 0; !rc && i < n; i++) {
        char did[40];
        ct__wh_new_id("whd_", did, sizeof(did));
        ct_stmt *s = NULL;
        rc = ct_store_prepare(st,
                              "INSERT INTO webhook_deliveries (id, endpoint_id, event_id,"
                              " message_id, event_type, payload, status, next_attempt_at,"
                              " created_at) VALUES (?, ?, ?, ?, ?, ?, 'pending', ?, ?)"
                              " ON CONFLICT (event_id, endpoint_id) DO NOTHING RETURNING id",
                              &s);
        if (rc)
            break;
        const char *v[] = {did, ids[i], event_id, msg, type, body, now_s, now_s};
        for (int k = 0; k < 8; k++)
            ct_stmt_bind_text(s, k + 1, v[k]);
        ct_status step = ct_stmt_step(s);
        if (step == CT_ROW)
            (*added)++;
        else if (step != CT_DONE)
            rc = step;
        ct_stmt_finalize(s);
    }
    ct_free(body);
    if (!rc)
        return ct_store_commit(st);
    ct_store_rollback(st);
    return rc;
}

static ct_status on_event(const json_t *event, void *ctx)
{
    ct_webhooks *w = ctx;
    const char *type = json_string_value(json_object_get(event, "type"));
    if (!sendable(type) || json_string_value(json_object_get(event, "id")) == NULL)
        return CT_OK;
    ct_store *st = NULL;
    ct_status rc = ct_store_pool_acquire(w->pool, 5000, &st);
    if (rc)
        return rc;
    char user[64];
    int added = 0;
    rc = event_owner(st, event, user, sizeof(user));
    if (!rc && user[0])
        rc = fan_out(st, event, user, &added);
    ct_store_pool_release(w->pool, st);
    if (added > 0)
        ct_webhooks_kick(w);
    return rc;
}

ct_status ct_webhooks_subscribe(ct_webhooks *w, ct_outbox *o)
{
    return ct_outbox_subscribe(o, "webhooks", "*", on_event, w);
}

/* ---- the workers ---- */

typedef struct job {
    char id[40], endpoint_id[40], message_id[48];
    char url[2048];
    char secret[96], previous[96];
    int64_t previous_until;
    int round, attempts;
    char *payload; /* owned */
} job;

static void copy_col(ct_stmt *s, int col, char *out, size_t len)
{
    const char *t = ct_stmt_text(s, col);
    snprintf(out, len, "%s", t ? t : "");
}

/* Claims up to max due rows into jobs; returns how many (0 on any failure: retried later). */
static int claim(ct_webhooks *w, ct_store *st, job *jobs, int max)
{
    int pg = strcmp(ct_store_engine(st), "postgres") == 0;
    int64_t now = ct__wh_now_ms();
    int n = 0;
    ct_stmt *s = NULL;
    if (ct_store_begin(st) != CT_OK)
        return 0;
    ct_status rc = ct_store_prepare(
        st,
        pg ? "SELECT d.id, d.endpoint_id, d.message_id, d.payload, d.round_attempts, d.attempts,"
             " e.url, e.secret, e.previous_secret, e.previous_secret_until"
             " FROM webhook_deliveries d JOIN webhook_endpoints e ON e.id = d.endpoint_id"
             " WHERE d.status = 'pending' AND d.next_attempt_at <= ? AND d.lease_until <= ?"
             " AND e.status = 'enabled' ORDER BY d.next_attempt_at LIMIT ?"
             " FOR UPDATE OF d SKIP LOCKED"
           : "SELECT d.id, d.endpoint_id, d.message_id, d.payload, d.round_attempts, d.attempts,"
             " e.url, e.secret, e.previous_secret, e.previous_secret_until"
             " FROM webhook_deliveries d JOIN webhook_endpoints e ON e.id = d.endpoint_id"
             " WHERE d.status = 'pending' AND d.next_attempt_at <= ? AND d.lease_until <= ?"
             " AND e.status = 'enabled' ORDER BY d.next_attempt_at LIMIT ?",
        &s);
    if (!rc) {
        ct_stmt_bind_int64(s, 1, now);
        ct_stmt_bind_int64(s, 2, now);
        ct_stmt_bind_int64(s, 3, max);
        while (n < max && (rc = ct_stmt_step(s)) == CT_ROW) {
            job *j = &jobs[n];
            memset(j, 0, sizeof(*j));
            copy_col(s, 0, j->id, sizeof(j->id));
            copy_col(s, 1, j->endpoint_id, sizeof(j->endpoint_id));
            copy_col(s, 2, j->message_id, sizeof(j->message_id));
            j->payload = ct_strdup(ct_stmt_text(s, 3) ? ct_stmt_text(s, 3) : "");
            j->round = (int)ct_stmt_int64(s, 4);
            j->attempts = (int)ct_stmt_int64(s, 5);
            copy_col(s, 6, j->url, sizeof(j->url));
            copy_col(s, 7, j->secret, sizeof(j->secret));
            copy_col(s, 8, j->previous, sizeof(j->previous));
            j->previous_until = ct_stmt_is_null(s, 9) ? 0 : ct_stmt_int64(s, 9);
            if (j->payload != NULL)
                n++;
        }
        rc = rc == CT_ROW || rc == CT_DONE ? CT_OK : rc;
        ct_stmt_finalize(s);
    }
    char lease[24];
    int64_t until = now + (int64_t)w->cfg.timeout_ms + 5000;
    snprintf(lease, sizeof(lease), "%lld", (long long)until);
    for (int i = 0; !rc && i < n; i++) {
        const char *p[] = {lease, jobs[i].id};
        rc = ct_store_run(st, "UPDATE webhook_deliveries SET lease_until = ? WHERE id = ?", 2, p);
    }
    if (!rc)
        rc = ct_store_commit(st);
    if (rc) {
        ct_store_rollback(st);
        for (int i = 0; i < n; i++)
            ct_free(jobs[i].payload);
        return 0;
    }
    return n;
}

/* The webhook-signature value: the current secret's, then the previous one's while valid. */
static ct_status signature_header(const job *j, int64_t ts, int64_t now, char *out, size_t len)
{
    char a[96], b[96];
    size_t body_len = strlen(j->payload);
    ct_status rc =
        ct_webhooks_sign(j->secret, j->message_id, ts, j->payload, body_len, a, sizeof(a));
    if (rc)
        return rc;
    if (j->previous[0] && j->previous_until > now &&
        ct_webhooks_sign(j->previous, j->message_id, ts, j->payload, body_len, b, sizeof(b)) ==
            CT_OK)
        snprintf(out, len, "webhook-signature: %s %s", a, b);
    else
        snprintf(out, len, "webhook-signature: %s", a);
    return CT_OK;
}

/* An attempt's outcome, as recorded. */
typedef struct outcome {
    int64_t started, duration;
    long http_status; /* 0: none */
    int64_t retry_after_ms;
    char error[256];
} outcome;

static void send_one(ct_webhooks *w, const job *j, outcome *o)
{
    memset(o, 0, sizeof(*o));
    o->retry_after_ms = -1;
    o->started = ct__wh_now_ms();
    char why[160];
    if (!ct_webhooks_url_allowed(j->url, w->cfg.allow_loopback, why, sizeof(why))) {
        snprintf(o->error, sizeof(o->error), "url refused: %s", why);
        return;
    }
    char id_h[96], ts_h[64], sig_h[256];
    int64_t ts = o->started / 1000;
    snprintf(id_h, sizeof(id_h), "webhook-id: %s", j->message_id);
    snprintf(ts_h, sizeof(ts_h), "webhook-timestamp: %lld", (long long)ts);
    if (signature_header(j, ts, o->started, sig_h, sizeof(sig_h)) != CT_OK) {
        snprintf(o->error, sizeof(o->error), "the endpoint's secret is unusable");
        return;
    }
    const char *headers[] = {"Content-Type: application/json", id_h, ts_h, sig_h, NULL};
    ct_upstream_request req = {
        .partner = "webhooks",
        .method = "POST",
        .url = j->url,
        .headers = headers,
        .body = j->payload,
        .body_len = strlen(j->payload),
        .timeout_ms = w->cfg.timeout_ms,
        .max_attempts = 1,
    };
    ct_upstream_response rsp;
    ct_upstream_call_sync(w->up, &req, &rsp);
    o->duration = ct__wh_now_ms() - o->started;
    if (rsp.rc == CT_OK) {
        o->http_status = rsp.status;
        o->retry_after_ms = rsp.retry_after_ms;
        if (rsp.status < 200 || rsp.status > 299)
            snprintf(o->error, sizeof(o->error), "HTTP %ld", rsp.status);
    } else
        snprintf(o->error, sizeof(o->error), "%s",
                 rsp.error[0] ? rsp.error : ct_status_name(rsp.rc));
    ct_upstream_response_free(&rsp);
}

static ct_status run_i64(ct_store *st, const char *sql, int n, const int64_t *v, const char *id)
{
    ct_stmt *s = NULL;
    ct_status rc = ct_store_prepare(st, sql, &s);
    if (rc)
        return rc;
    for (int i = 0; i < n; i++)
        ct_stmt_bind_int64(s, i + 1, v[i]);
    ct_stmt_bind_text(s, n + 1, id);
    rc = ct_stmt_step(s);
    ct_stmt_finalize(s);
    return rc == CT_DONE || rc == CT_ROW ? CT_OK : rc;
}

static ct_status disable_endpoint(ct_store *st, const char *endpoint_id, const char *reason,
                                  int64_t now)
{
    char now_s[24];
    snprintf(now_s, sizeof(now_s), "%lld", (long long)now);
    const char *p[] = {reason, now_s, endpoint_id};
    ct_log(CT_LOG_WARN, "webhooks.disabled", "endpoint", endpoint_id, "reason", reason, NULL);
    return ct_store_run(st,
                        "UPDATE webhook_endpoints SET status = 'disabled', disabled_reason = ?,"
                        " updated_at = ? WHERE id = ? AND status = 'enabled'",
                        3, p);
}

static ct_status insert_attempt(ct_store *st, const job *j, const outcome *o)
{
    ct_stmt *s = NULL;
    ct_status rc = ct_store_prepare(st,
                                    "INSERT INTO webhook_attempts (delivery_id, attempt,"
                                    " started_at, duration_ms, http_status, error)"
                                    " VALUES (?, ?, ?, ?, ?, ?)",
                                    &s);
    if (rc)
        return rc;
    ct_stmt_bind_text(s, 1, j->id);
    ct_stmt_bind_int64(s, 2, j->attempts + 1);
    ct_stmt_bind_int64(s, 3, o->started);
    ct_stmt_bind_int64(s, 4, o->duration);
    if (o->http_status > 0)
        ct_stmt_bind_int64(s, 5, o->http_status);
    else
        ct_stmt_bind_null(s, 5);
    ct_stmt_bind_text(s, 6, o->error[0] ? o->error : NULL);
    rc = ct_stmt_step(s);
    ct_stmt_finalize(s);
    return rc == CT_DONE ? CT_OK : rc;
}

/* A failure: the next attempt on the schedule (or Retry-After), or the endpoint disabled. */
static ct_status record_failure(ct_webhooks *w, ct_store *st, const job *j, const outcome *o,
                                int64_t now)
{
    double scale = w->cfg.retry_scale;
    int64_t delay = ct_webhooks_retry_delay_ms(j->round + 1, scale);
    int64_t fs[] = {o->started};
    ct_status rc = run_i64(st,
                           "UPDATE webhook_endpoints SET failing_since = COALESCE(failing_since, ?)"
                           " WHERE id = ?",
                           1, fs, j->endpoint_id);
    if (!rc && o->http_status == 410)
        rc = disable_endpoint(st, j->endpoint_id, "gone", now);
    else if (!rc && delay < 0)
        rc = disable_endpoint(st, j->endpoint_id, "retries_exhausted", now);
    int final = o->http_status == 410 || delay < 0;
    if (!rc && !final) {
        int64_t limit = now - (int64_t)((double)WH_FAILING_MS * scale);
        ct_stmt *s = NULL;
        rc = ct_store_prepare(
            st, "SELECT 1 FROM webhook_endpoints WHERE id = ? AND failing_since <= ?", &s);
        if (!rc) {
            ct_stmt_bind_text(s, 1, j->endpoint_id);
            ct_stmt_bind_int64(s, 2, limit);
            ct_status step = ct_stmt_step(s);
            ct_stmt_finalize(s);
            if (step == CT_ROW)
                rc = disable_endpoint(st, j->endpoint_id, "failing", now);
            else if (step != CT_DONE)
                rc = step;
        }
    }
    if (o->retry_after_ms > delay && !final)
        delay = o->retry_after_ms > 86400000 ? 86400000 : o->retry_after_ms;
    int64_t v[] = {final ? 1 : 0, now + (delay > 0 ? delay : 0), o->http_status};
    if (!rc)
        rc = run_i64(st,
                     "UPDATE webhook_deliveries SET"
                     " status = CASE WHEN ? = 1 THEN 'failed' ELSE 'pending' END,"
                     " attempts = attempts + 1, round_attempts = round_attempts + 1,"
                     " next_attempt_at = ?, lease_until = 0, last_status = NULLIF(?, 0)"
                     " WHERE id = ?",
                     3, v, j->id);
    const char *p[] = {o->error, j->id};
    if (!rc)
        rc = ct_store_run(st, "UPDATE webhook_deliveries SET last_error = ? WHERE id = ?", 2, p);
    return rc;
}

static ct_status record(ct_webhooks *w, ct_store *st, const job *j, const outcome *o)
{
    int64_t now = ct__wh_now_ms();
    ct_status rc = ct_store_begin(st);
    if (rc)
        return rc;
    rc = insert_attempt(st, j, o);
    if (!rc && o->http_status >= 200 && o->http_status <= 299) {
        int64_t v[] = {o->http_status, now};
        rc = run_i64(st,
                     "UPDATE webhook_deliveries SET status = 'delivered', attempts = attempts + 1,"
                     " round_attempts = round_attempts + 1, lease_until = 0, last_status = ?,"
                     " last_error = NULL, delivered_at = ? WHERE id = ?",
                     2, v, j->id);
        if (!rc)
            rc = run_i64(st, "UPDATE webhook_endpoints SET failing_since = NULL WHERE id = ?", 0,
                         NULL, j->endpoint_id);
    } else if (!rc)
        rc = record_failure(w, st, j, o, now);
    if (!rc)
        return ct_store_commit(st);
    ct_store_rollback(st);
    return rc;
}

/* One pass: claim, send, record. Returns the number of rows handled. */
static int pass(ct_webhooks *w, job *jobs)
{
    ct_store *st = NULL;
    if (ct_store_pool_acquire(w->pool, 1000, &st) != CT_OK)
        return 0;
    int n = claim(w, st, jobs, w->cfg.batch);
    ct_store_pool_release(w->pool, st);
    for (int i = 0; i < n; i++) {
        outcome o;
        send_one(w, &jobs[i], &o);
        if (ct_store_pool_acquire(w->pool, 5000, &st) == CT_OK) {
            ct_status rc = record(w, st, &jobs[i], &o);
            ct_store_pool_release(w->pool, st);
            if (rc)
                ct_log(CT_LOG_ERROR, "webhooks.record", "delivery", jobs[i].id, "error",
                       ct_status_name(rc), NULL);
        } /* not recorded: the lease expires and the row is sent again */
        ct_free(jobs[i].payload);
    }
    return n;
}

void *ct__wh_worker(void *arg)
{
    ct_webhooks *w = arg;
    job *jobs = ct_calloc((size_t)w->cfg.batch, sizeof(job));
    if (jobs == NULL)
        return NULL;
    while (!atomic_load(&w->stop)) {
        if (pass(w, jobs) > 0)
            continue;
        pthread_mutex_lock(&w->mu);
        if (w->kicks == 0 && !atomic_load(&w->stop)) {
            struct timespec until;
            clock_gettime(CLOCK_REALTIME, &until);
            until.tv_nsec += (long)(w->cfg.poll_ms % 1000) * 1000000L;
            until.tv_sec += w->cfg.poll_ms / 1000 + until.tv_nsec / 1000000000L;
            until.tv_nsec %= 1000000000L;
            pthread_cond_timedwait(&w->cv, &w->mu, &until);
        }
        w->kicks = 0;
        pthread_mutex_unlock(&w->mu);
    }
    ct_free(jobs);
    return NULL;
}
