/* outbox.c: the transactional outbox and its relay (see outbox.h).
 *
 * Tables (migration 0005_outbox.sql): `outbox` holds the events, each with a per-aggregate
 * sequence number `seq` (MAX + 1 in the adding transaction, unique per aggregate) and a
 * `fanned_out` flag; `outbox_delivery` one row per (event, subscriber) with the aggregate,
 * seq and created_at copied for the order check, delivered_at (NULL while pending), attempts
 * and next_attempt_at; `outbox_consumed` the consumers' (consumer, event_id) records.
 *
 * One relay pass:
 *   1. fan-out, one short transaction: up to FANOUT_BATCH events with fanned_out = 0, oldest
 *      first (FOR UPDATE SKIP LOCKED on PostgreSQL), get a delivery row per matching
 *      subscriber (INSERT ... ON CONFLICT DO NOTHING) and fanned_out = 1;
 *   2. per subscriber: up to DELIVERY_BATCH pending rows due now, oldest first (on
 *      PostgreSQL inside a transaction, claimed FOR UPDATE OF d SKIP LOCKED, committed after
 *      the batch; on SQLite without one). For each row, one statement checks that no earlier
 *      event of its aggregate is undelivered to this subscriber or not yet fanned out
 *      (committed state, one snapshot); blocked aggregates are skipped for the rest of the
 *      pass. Then the handler runs and the row is marked delivered, or its attempts and
 *      next_attempt_at are raised.
 * The thread sleeps poll_ms on a condition variable between passes that did nothing, and
 * wakes on ct_outbox_kick or stop. */
#define _GNU_SOURCE
#include "events/outbox.h"

#include <pthread.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <sys/random.h>
#include <time.h>
#include <unistd.h>

#include "base/alloc.h"
#include "base/json.h"
#include "base/log.h"
#include "base/trace.h"
#include "base/timeutil.h"

#define OUTBOX_MAX_SUBS 64
#define FANOUT_BATCH    200
#define DELIVERY_BATCH  CT_OUTBOX_BATCH_MAX
#define NAME_MAX_LEN    64

typedef struct sub {
    char name[NAME_MAX_LEN];
    char pattern[NAME_MAX_LEN];
    ct_outbox_handler fn;
    void *ctx;
    int remote; /* delivered by the transport: no new delivery rows for it */
} sub;

struct ct_outbox {
    ct_store_pool *pool;
    ct_bus *bus;
    int poll_ms, retry_base_ms, retry_max_ms;
    sub subs[OUTBOX_MAX_SUBS];
    int nsubs;
    pthread_t thread;
    int started;
    pthread_mutex_t mu;
    pthread_cond_t cv;
    int stop, kicked;
    int abandon;                   /* atomic: set by ct_outbox_abandon */
    ct_outbox_transport transport; /* publish == NULL: none */
};

/* A claimed delivery row with its event. */
typedef struct row {
    char *event_id, *aggregate, *aggregate_id, *type, *payload;
    char *traceparent; /* NULL: the event was added outside a trace */
    int64_t seq, created_at, attempts;
} row;

static int64_t now_ms(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_REALTIME, &ts);
    return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

static int is_pg(ct_store *st)
{
    return strcmp(ct_store_engine(st), "postgres") == 0;
}

/* Topic match as in bus.h: "*", "prefix.*" or exact. */
static int matches(const char *pattern, const char *type)
{
    size_t n = strlen(pattern);
    if (strcmp(pattern, "*") == 0)
        return 1;
    if (n >= 2 && pattern[n - 2] == '.' && pattern[n - 1] == '*')
        return strncmp(pattern, type, n - 1) == 0;
    return strcmp(pattern, type) == 0;
}

/* ---- adding and consuming (callers' transactions) ---- */

ct_status ct_outbox_add(ct_store *st, const char *aggregate, const char *aggregate_id,
                        const char *type, const json_t *payload, char *event_id, size_t len)
{
    ct_status rc;
    ct_stmt *s = NULL;
    char *text = NULL, id[32], seqbuf[24], atbuf[24];
    unsigned char raw[12];
    int64_t seq = 0;
    if (aggregate == NULL || aggregate_id == NULL || type == NULL || !aggregate[0] ||
        !aggregate_id[0] || !type[0] || (payload != NULL && !json_is_object(payload)))
        return CT_INVALID;
    if (getrandom(raw, sizeof(raw), 0) != (ssize_t)sizeof(raw))
        return CT_IO;
    snprintf(id, sizeof(id), "evt_");
    for (size_t i = 0; i < sizeof(raw); i++)
        snprintf(id + 4 + 2 * i, 3, "%02x", raw[i]);
    if (payload == NULL)
        text = ct_strdup("{}");
    else if (ct_json_dumps(payload, JSON_COMPACT, &text) != CT_OK)
        text = NULL;
    if (text == NULL)
        return CT_NOMEM;
    rc = ct_store_prepare(st,
                          "SELECT COALESCE(MAX(seq), 0) FROM outbox"
                          " WHERE aggregate = ? AND aggregate_id = ?",
                          &s);
    if (rc)
        goto cleanup;
    if ((rc = ct_stmt_bind_text(s, 1, aggregate)) || (rc = ct_stmt_bind_text(s, 2, aggregate_id)))
        goto cleanup;
    rc = ct_stmt_step(s);
    if (rc != CT_ROW) {
        rc = rc == CT_DONE ? CT_ERR : rc;
        goto cleanup;
    }
    seq = ct_stmt_int64(s, 0) + 1;
    ct_stmt_finalize(s);
    s = NULL;
    snprintf(seqbuf, sizeof(seqbuf), "%lld", (long long)seq);
    snprintf(atbuf, sizeof(atbuf), "%lld", (long long)now_ms());
    /* The adding span's traceparent (base/trace.h), so that the delivery joins its trace. */
    char tp[CT_TRACEPARENT_LEN + 1] = "";
    if (ct_trace_current() != NULL)
        ct_trace_format(ct_trace_current(), tp, sizeof(tp));
    const char *params[] = {id,   aggregate, aggregate_id, seqbuf,
                            type, text,      atbuf,        tp[0] ? tp : NULL};
    rc = ct_store_run(st,
                      "INSERT INTO outbox (id, aggregate, aggregate_id, seq, type, payload,"
                      " created_at, traceparent) VALUES (?, ?, ?, CAST(? AS BIGINT), ?, ?,"
                      " CAST(? AS BIGINT), ?)",
                      8, params);
    if (rc)
        goto cleanup;
    if (event_id != NULL && len > 0)
        snprintf(event_id, len, "%s", id);
cleanup:
    ct_stmt_finalize(s);
    ct_free(text);
    return rc;
}

ct_status ct_outbox_consume_once(ct_store *st, const char *consumer, const char *event_id)
{
    ct_stmt *s = NULL;
    ct_status rc;
    if (consumer == NULL || event_id == NULL || !consumer[0] || !event_id[0])
        return CT_INVALID;
    rc = ct_store_prepare(st,
                          "INSERT INTO outbox_consumed (consumer, event_id, consumed_at)"
                          " VALUES (?, ?, ?) ON CONFLICT DO NOTHING RETURNING event_id",
                          &s);
    if (rc)
        return rc;
    if ((rc = ct_stmt_bind_text(s, 1, consumer)) || (rc = ct_stmt_bind_text(s, 2, event_id)) ||
        (rc = ct_stmt_bind_int64(s, 3, now_ms())))
        goto cleanup;
    rc = ct_stmt_step(s);
    if (rc == CT_ROW)
        rc = CT_OK;
    else if (rc == CT_DONE)
        rc = CT_CONFLICT;
cleanup:
    ct_stmt_finalize(s);
    return rc;
}

/* ---- the relay ---- */

ct_status ct_outbox_new(ct_store_pool *pool, ct_bus *bus, int poll_ms, ct_outbox **out)
{
    *out = NULL;
    if (pool == NULL)
        return CT_INVALID;
    ct_outbox *o = ct_calloc(1, sizeof(*o));
    if (o == NULL)
        return CT_NOMEM;
    o->pool = pool;
    o->bus = bus;
    o->poll_ms = poll_ms > 0 ? poll_ms : 500;
    o->retry_base_ms = 200;
    o->retry_max_ms = 60000;
    pthread_mutex_init(&o->mu, NULL);
    pthread_condattr_t ca;
    pthread_condattr_init(&ca);
    pthread_condattr_setclock(&ca, CLOCK_MONOTONIC);
    pthread_cond_init(&o->cv, &ca);
    pthread_condattr_destroy(&ca);
    *out = o;
    return CT_OK;
}

static ct_status add_sub(ct_outbox *o, const char *name, const char *pattern, ct_outbox_handler fn,
                         void *ctx)
{
    if (o->started || name == NULL || pattern == NULL || fn == NULL || !name[0] || !pattern[0] ||
        strlen(name) >= NAME_MAX_LEN || strlen(pattern) >= NAME_MAX_LEN)
        return CT_INVALID;
    for (int i = 0; i < o->nsubs; i++)
        if (strcmp(o->subs[i].name, name) == 0)
            return CT_CONFLICT;
    if (o->nsubs >= OUTBOX_MAX_SUBS)
        return CT_TOO_LARGE;
    sub *s = &o->subs[o->nsubs++];
    snprintf(s->name, sizeof(s->name), "%s", name);
    snprintf(s->pattern, sizeof(s->pattern), "%s", pattern);
    s->fn = fn;
    s->ctx = ctx;
    return CT_OK;
}

ct_status ct_outbox_subscribe(ct_outbox *o, const char *name, const char *pattern,
                              ct_outbox_handler fn, void *ctx)
{
    if (name != NULL && strcmp(name, "bus") == 0 && o->bus != NULL)
        return CT_CONFLICT;
    return add_sub(o, name, pattern, fn, ctx);
}

void ct_outbox_set_retry(ct_outbox *o, int base_ms, int max_ms)
{
    if (base_ms > 0)
        o->retry_base_ms = base_ms;
    if (max_ms > 0)
        o->retry_max_ms = max_ms;
}

/* The bus as a subscriber: publishes the event under its type. */
static ct_status bus_handler(const json_t *event, void *ctx)
{
    ct_bus *bus = ctx;
    const char *type = json_string_value(json_object_get(event, "type"));
    ct_bus_publish(bus, type ? type : "", json_deep_copy(event));
    return CT_OK;
}

static void free_rows(row *rows, int n)
{
    for (int i = 0; i < n; i++) {
        ct_free(rows[i].event_id);
        ct_free(rows[i].aggregate);
        ct_free(rows[i].aggregate_id);
        ct_free(rows[i].type);
        ct_free(rows[i].payload);
        ct_free(rows[i].traceparent);
    }
}

static char *dup_col(ct_stmt *s, int col)
{
    const char *t = ct_stmt_text(s, col);
    return ct_strdup(t ? t : "");
}

/* Step 1 of a pass: delivery rows for new events. *did += events fanned out. */
static ct_status fan_out(ct_outbox *o, ct_store *st, int *did)
{
    ct_stmt *s = NULL, *ins = NULL;
    row rows[FANOUT_BATCH];
    int n = 0, in_tx = 0;
    ct_status rc = ct_store_begin(st);
    if (rc)
        return rc;
    in_tx = 1;
    rc = ct_store_prepare(st,
                          is_pg(st) ? "SELECT id, aggregate, aggregate_id, seq, type, created_at"
                                      " FROM outbox WHERE fanned_out = 0 ORDER BY created_at, seq"
                                      " LIMIT 200 FOR UPDATE SKIP LOCKED"
                                    : "SELECT id, aggregate, aggregate_id, seq, type, created_at"
                                      " FROM outbox WHERE fanned_out = 0 ORDER BY created_at, seq"
                                      " LIMIT 200",
                          &s);
    if (rc)
        goto cleanup;
    while (n < FANOUT_BATCH && (rc = ct_stmt_step(s)) == CT_ROW) {
        row *r = &rows[n++];
        memset(r, 0, sizeof(*r));
        r->event_id = dup_col(s, 0);
        r->aggregate = dup_col(s, 1);
        r->aggregate_id = dup_col(s, 2);
        r->seq = ct_stmt_int64(s, 3);
        r->type = dup_col(s, 4);
        r->created_at = ct_stmt_int64(s, 5);
        if (!r->event_id || !r->aggregate || !r->aggregate_id || !r->type) {
            rc = CT_NOMEM;
            goto cleanup;
        }
    }
    if (rc != CT_DONE && rc != CT_ROW)
        goto cleanup;
    ct_stmt_finalize(s);
    s = NULL;
    if (n == 0) {
        rc = CT_OK;
        goto cleanup;
    }
    rc = ct_store_prepare(st,
                          "INSERT INTO outbox_delivery (event_id, subscriber, aggregate,"
                          " aggregate_id, seq, created_at) VALUES (?, ?, ?, ?, ?, ?)"
                          " ON CONFLICT DO NOTHING",
                          &ins);
    if (rc)
        goto cleanup;
    for (int i = 0; i < n; i++) {
        for (int k = 0; k < o->nsubs; k++) {
            if (o->subs[k].remote || !matches(o->subs[k].pattern, rows[i].type))
                continue;
            if ((rc = ct_stmt_bind_text(ins, 1, rows[i].event_id)) ||
                (rc = ct_stmt_bind_text(ins, 2, o->subs[k].name)) ||
                (rc = ct_stmt_bind_text(ins, 3, rows[i].aggregate)) ||
                (rc = ct_stmt_bind_text(ins, 4, rows[i].aggregate_id)) ||
                (rc = ct_stmt_bind_int64(ins, 5, rows[i].seq)) ||
                (rc = ct_stmt_bind_int64(ins, 6, rows[i].created_at)))
                goto cleanup;
            rc = ct_stmt_step(ins);
            if (rc != CT_DONE)
                goto cleanup;
            if ((rc = ct_stmt_reset(ins)))
                goto cleanup;
        }
        const char *params[] = {rows[i].event_id};
        rc = ct_store_run(st, "UPDATE outbox SET fanned_out = 1 WHERE id = ?", 1, params);
        if (rc)
            goto cleanup;
    }
    ct_stmt_finalize(ins);
    ins = NULL;
    rc = ct_store_commit(st);
    in_tx = 0;
    if (rc == CT_OK)
        *did += n;
cleanup:
    ct_stmt_finalize(s);
    ct_stmt_finalize(ins);
    if (in_tx)
        ct_store_rollback(st);
    free_rows(rows, n);
    return rc;
}

/* 1 when an earlier event of r's aggregate is not delivered to `subscriber` yet or not fanned
 * out; one statement, so one snapshot of committed state (and this transaction's writes). */
static ct_status blocked(ct_store *st, const char *subscriber, const row *r, int *out)
{
    ct_stmt *s = NULL;
    ct_status rc = ct_store_prepare(
        st,
        "SELECT CASE WHEN EXISTS (SELECT 1 FROM outbox_delivery WHERE subscriber = ?"
        "  AND aggregate = ? AND aggregate_id = ? AND seq < ? AND delivered_at IS NULL)"
        " OR EXISTS (SELECT 1 FROM outbox WHERE aggregate = ? AND aggregate_id = ?"
        "  AND seq < ? AND fanned_out = 0) THEN 1 ELSE 0 END",
        &s);
    if (rc)
        return rc;
    if ((rc = ct_stmt_bind_text(s, 1, subscriber)) ||
        (rc = ct_stmt_bind_text(s, 2, r->aggregate)) ||
        (rc = ct_stmt_bind_text(s, 3, r->aggregate_id)) ||
        (rc = ct_stmt_bind_int64(s, 4, r->seq)) || (rc = ct_stmt_bind_text(s, 5, r->aggregate)) ||
        (rc = ct_stmt_bind_text(s, 6, r->aggregate_id)) || (rc = ct_stmt_bind_int64(s, 7, r->seq)))
        goto cleanup;
    rc = ct_stmt_step(s);
    if (rc == CT_ROW) {
        *out = ct_stmt_int64(s, 0) != 0;
        rc = CT_OK;
    } else if (rc == CT_DONE) {
        rc = CT_ERR;
    }
cleanup:
    ct_stmt_finalize(s);
    return rc;
}

static json_t *event_json(const row *r)
{
    char at[32];
    json_t *payload = NULL;
    if (ct_json_loadb(r->payload, strlen(r->payload), 0, &payload, NULL) != CT_OK)
        payload = json_null();
    ct_utc_format((ct_utc)(r->created_at / 1000), at, sizeof(at));
    return json_pack("{s:s, s:s, s:s, s:s, s:I, s:o, s:s, s:s?}", "id", r->event_id, "type",
                     r->type, "aggregate", r->aggregate, "aggregate_id", r->aggregate_id, "seq",
                     (json_int_t)r->seq, "payload", payload, "created_at", at, "traceparent",
                     r->traceparent);
}

static int64_t retry_delay(const ct_outbox *o, int64_t attempts)
{
    int64_t d = o->retry_base_ms;
    for (int64_t i = 1; i < attempts && d < o->retry_max_ms; i++)
        d *= 2;
    return d < o->retry_max_ms ? d : o->retry_max_ms;
}

static ct_status mark(ct_store *st, const sub *sb, const row *r, ct_status hrc, const ct_outbox *o)
{
    ct_stmt *s = NULL;
    ct_status rc;
    int64_t now = now_ms();
    if (hrc == CT_OK) {
        rc =
            ct_store_prepare(st,
                             "UPDATE outbox_delivery SET delivered_at = ?, attempts = attempts + 1,"
                             " last_error = NULL WHERE event_id = ? AND subscriber = ?",
                             &s);
        if (rc)
            return rc;
        if ((rc = ct_stmt_bind_int64(s, 1, now)) || (rc = ct_stmt_bind_text(s, 2, r->event_id)) ||
            (rc = ct_stmt_bind_text(s, 3, sb->name)))
            goto cleanup;
    } else {
        rc = ct_store_prepare(st,
                              "UPDATE outbox_delivery SET attempts = attempts + 1,"
                              " next_attempt_at = ?, last_error = ?"
                              " WHERE event_id = ? AND subscriber = ?",
                              &s);
        if (rc)
            return rc;
        if ((rc = ct_stmt_bind_int64(s, 1, now + retry_delay(o, r->attempts + 1))) ||
            (rc = ct_stmt_bind_text(s, 2, ct_status_name(hrc))) ||
            (rc = ct_stmt_bind_text(s, 3, r->event_id)) || (rc = ct_stmt_bind_text(s, 4, sb->name)))
            goto cleanup;
    }
    rc = ct_stmt_step(s);
    rc = rc == CT_DONE ? CT_OK : rc;
cleanup:
    ct_stmt_finalize(s);
    return rc;
}

static int abandoned(ct_outbox *o)
{
    return __atomic_load_n(&o->abandon, __ATOMIC_ACQUIRE);
}

static ct_status transport_handler(const json_t *event, void *ctx);

/* Step 2 for the transport's subscriber with publish_batch: the rows not held back are
 * published together, then each is marked with its own result. A failed row holds back the
 * later rows of its aggregate in the next passes, but not the ones already in this batch (the
 * broker took them): the order of one aggregate's events is kept while publishing succeeds. */
static ct_status deliver_batch(ct_outbox *o, ct_store *st, const sub *sb, row *rows, int n,
                               int *did)
{
    const json_t *evs[DELIVERY_BATCH];
    char tps[DELIVERY_BATCH][CT_TRACEPARENT_LEN + 1];
    const char *tpp[DELIVERY_BATCH];
    ct_status results[DELIVERY_BATCH];
    int idx[DELIVERY_BATCH], m = 0;
    ct_status rc = CT_OK;
    for (int i = 0; i < n; i++) {
        int skip = 0;
        for (int k = 0; k < i && !skip; k++) /* an aggregate blocked earlier in this pass */
            skip = rows[k].seq < 0 && strcmp(rows[k].aggregate, rows[i].aggregate) == 0 &&
                   strcmp(rows[k].aggregate_id, rows[i].aggregate_id) == 0;
        if (!skip && (rc = blocked(st, sb->name, &rows[i], &skip)))
            goto cleanup;
        if (skip) {
            rows[i].seq = -1;
            continue;
        }
        json_t *ev = event_json(&rows[i]);
        if (ev == NULL) {
            rc = CT_NOMEM;
            goto cleanup;
        }
        ct_trace span; /* a child span of the one that added the event */
        tpp[m] = NULL;
        if (rows[i].traceparent != NULL && ct_trace_parse(rows[i].traceparent, &span)) {
            ct_trace_start(&span, rows[i].traceparent);
            ct_trace_format(&span, tps[m], sizeof(tps[m]));
            tpp[m] = tps[m];
        }
        evs[m] = ev;
        idx[m++] = i;
    }
    if (m > 0)
        o->transport.publish_batch(o->transport.ctx, evs, tpp, m, results);
    if (abandoned(o)) {
        rc = CT_AGAIN; /* as if the process died here: nothing is marked */
        goto cleanup;
    }
    for (int j = 0; j < m; j++) {
        row *r = &rows[idx[j]];
        if (results[j] != CT_OK)
            ct_log(CT_LOG_WARN, "outbox.delivery_failed", "subscriber", sb->name, "event_id",
                   r->event_id, "type", r->type, "status", ct_status_name(results[j]), NULL);
        if ((rc = mark(st, sb, r, results[j], o)))
            goto cleanup;
        (*did)++;
    }
cleanup:
    for (int j = 0; j < m; j++)
        json_decref((json_t *)evs[j]);
    return rc;
}

/* Step 2 of a pass for one subscriber. *did += rows handled (delivered or failed). */
static ct_status deliver(ct_outbox *o, ct_store *st, const sub *sb, int *did)
{
    ct_stmt *s = NULL;
    row rows[DELIVERY_BATCH];
    int n = 0, in_tx = 0, pg = is_pg(st);
    ct_status rc = CT_OK;
    if (pg) {
        rc = ct_store_begin(st);
        if (rc)
            return rc;
        in_tx = 1;
    }
    rc = ct_store_prepare(
        st,
        pg ? "SELECT d.event_id, o.aggregate, o.aggregate_id, o.seq, o.type, o.payload,"
             " o.created_at, d.attempts, o.traceparent FROM outbox_delivery d"
             " JOIN outbox o ON o.id = d.event_id"
             " WHERE d.subscriber = ? AND d.delivered_at IS NULL AND d.next_attempt_at <= ?"
             " ORDER BY d.created_at, d.seq LIMIT 32 FOR UPDATE OF d SKIP LOCKED"
           : "SELECT d.event_id, o.aggregate, o.aggregate_id, o.seq, o.type, o.payload,"
             " o.created_at, d.attempts, o.traceparent FROM outbox_delivery d"
             " JOIN outbox o ON o.id = d.event_id"
             " WHERE d.subscriber = ? AND d.delivered_at IS NULL AND d.next_attempt_at <= ?"
             " ORDER BY d.created_at, d.seq LIMIT 32",
        &s);
    if (rc)
        goto cleanup;
    if ((rc = ct_stmt_bind_text(s, 1, sb->name)) || (rc = ct_stmt_bind_int64(s, 2, now_ms())))
        goto cleanup;
    while (n < DELIVERY_BATCH && (rc = ct_stmt_step(s)) == CT_ROW) {
        row *r = &rows[n++];
        memset(r, 0, sizeof(*r));
        r->event_id = dup_col(s, 0);
        r->aggregate = dup_col(s, 1);
        r->aggregate_id = dup_col(s, 2);
        r->seq = ct_stmt_int64(s, 3);
        r->type = dup_col(s, 4);
        r->payload = dup_col(s, 5);
        r->created_at = ct_stmt_int64(s, 6);
        r->attempts = ct_stmt_int64(s, 7);
        r->traceparent = ct_stmt_is_null(s, 8) ? NULL : dup_col(s, 8);
        if (!r->event_id || !r->aggregate || !r->aggregate_id || !r->type || !r->payload) {
            rc = CT_NOMEM;
            goto cleanup;
        }
    }
    if (rc != CT_DONE && rc != CT_ROW)
        goto cleanup;
    rc = CT_OK;
    ct_stmt_finalize(s);
    s = NULL;
    if (sb->fn == transport_handler && o->transport.publish_batch != NULL) {
        if ((rc = deliver_batch(o, st, sb, rows, n, did)))
            goto cleanup;
        goto commit;
    }
    for (int i = 0; i < n; i++) {
        int skip = 0;
        for (int k = 0; k < i && !skip; k++) /* an aggregate blocked earlier in this pass */
            skip = rows[k].seq < 0 && strcmp(rows[k].aggregate, rows[i].aggregate) == 0 &&
                   strcmp(rows[k].aggregate_id, rows[i].aggregate_id) == 0;
        if (!skip && (rc = blocked(st, sb->name, &rows[i], &skip)))
            goto cleanup;
        if (skip) {
            rows[i].seq = -1;
            continue;
        }
        json_t *ev = event_json(&rows[i]);
        if (ev == NULL) {
            rc = CT_NOMEM;
            goto cleanup;
        }
        /* The delivery is a child span of the span that added the event. */
        ct_trace span;
        int traced = rows[i].traceparent != NULL && ct_trace_parse(rows[i].traceparent, &span);
        if (traced) {
            ct_trace_start(&span, rows[i].traceparent);
            ct_trace_set_current(&span);
        }
        ct_status hrc = sb->fn(ev, sb->ctx);
        if (traced)
            ct_trace_set_current(NULL);
        json_decref(ev);
        if (abandoned(o)) {
            rc = CT_AGAIN; /* as if the process died here: nothing more is marked */
            goto cleanup;
        }
        if (hrc != CT_OK) {
            ct_log(CT_LOG_WARN, "outbox.delivery_failed", "subscriber", sb->name, "event_id",
                   rows[i].event_id, "type", rows[i].type, "status", ct_status_name(hrc), NULL);
            rows[i].seq = -1; /* later events of its aggregate wait */
        }
        if ((rc = mark(st, sb, &rows[i], hrc, o)))
            goto cleanup;
        (*did)++;
    }
commit:
    if (in_tx) {
        in_tx = 0;
        rc = ct_store_commit(st);
    }
cleanup:
    ct_stmt_finalize(s);
    if (in_tx)
        ct_store_rollback(st);
    free_rows(rows, n);
    return rc;
}

/* One pass; returns the work done (0: idle), -1 on a store error. */
static int pass(ct_outbox *o)
{
    ct_store *st = NULL;
    int did = 0;
    ct_status rc = ct_store_pool_acquire(o->pool, 1000, &st);
    if (rc)
        return -1;
    rc = fan_out(o, st, &did);
    for (int k = 0; rc == CT_OK && k < o->nsubs && !abandoned(o); k++)
        rc = deliver(o, st, &o->subs[k], &did);
    if (rc && !abandoned(o))
        ct_log(CT_LOG_WARN, "outbox.pass_failed", "status", ct_status_name(rc), "error",
               ct_store_errmsg(st), NULL);
    ct_store_pool_release(o->pool, st);
    return rc ? -1 : did;
}

static void *relay_main(void *arg)
{
    ct_outbox *o = arg;
    for (;;) {
        pthread_mutex_lock(&o->mu);
        int stop = o->stop;
        o->kicked = 0;
        pthread_mutex_unlock(&o->mu);
        if (stop || abandoned(o))
            break;
        int did = pass(o);
        if (abandoned(o))
            break;
        if (did > 0)
            continue;
        struct timespec until;
        clock_gettime(CLOCK_MONOTONIC, &until);
        until.tv_sec += o->poll_ms / 1000;
        until.tv_nsec += (long)(o->poll_ms % 1000) * 1000000L;
        if (until.tv_nsec >= 1000000000L) {
            until.tv_sec++;
            until.tv_nsec -= 1000000000L;
        }
        pthread_mutex_lock(&o->mu);
        while (!o->stop && !o->kicked)
            if (pthread_cond_timedwait(&o->cv, &o->mu, &until) != 0)
                break;
        pthread_mutex_unlock(&o->mu);
    }
    return NULL;
}

ct_status ct_outbox_set_transport(ct_outbox *o, const ct_outbox_transport *t)
{
    if (o->started || t == NULL || t->publish == NULL || t->consume == NULL || t->stop == NULL)
        return CT_INVALID;
    o->transport = *t;
    return CT_OK;
}

/* The transport as the relay's one subscriber of new events. */
static ct_status transport_handler(const json_t *event, void *ctx)
{
    ct_outbox *o = ctx;
    return o->transport.publish(o->transport.ctx, event);
}

/* With a transport: every subscriber so far goes to the broker, and "amqp" publishes. */
static ct_status hand_to_transport(ct_outbox *o)
{
    ct_status rc = CT_OK;
    for (int k = 0; k < o->nsubs && rc == CT_OK; k++) {
        sub *s = &o->subs[k];
        rc = o->transport.consume(o->transport.ctx, s->name, s->pattern, s->fn, s->ctx);
        s->remote = 1;
    }
    if (rc == CT_OK)
        rc = add_sub(o, "amqp", "*", transport_handler, o);
    return rc;
}

ct_status ct_outbox_start(ct_outbox *o)
{
    if (o->started)
        return CT_INVALID;
    if (o->bus != NULL) {
        ct_status rc = add_sub(o, "bus", "*", bus_handler, o->bus);
        if (rc)
            return rc;
    }
    if (o->transport.publish != NULL) {
        ct_status rc = hand_to_transport(o);
        if (rc) {
            o->transport.stop(o->transport.ctx);
            return rc;
        }
    }
    o->started = 1;
    if (pthread_create(&o->thread, NULL, relay_main, o) != 0) {
        o->started = 0;
        return CT_ERR;
    }
    return CT_OK;
}

void ct_outbox_kick(ct_outbox *o)
{
    pthread_mutex_lock(&o->mu);
    o->kicked = 1;
    pthread_cond_broadcast(&o->cv);
    pthread_mutex_unlock(&o->mu);
}

void ct_outbox_abandon(ct_outbox *o)
{
    __atomic_store_n(&o->abandon, 1, __ATOMIC_RELEASE);
    ct_outbox_kick(o);
}

/* Rows still waiting: events not fanned out plus undelivered rows of o's subscribers. */
static ct_status pending(ct_outbox *o, int64_t *out)
{
    ct_store *st = NULL;
    ct_stmt *s = NULL;
    ct_status rc = ct_store_pool_acquire(o->pool, 1000, &st);
    if (rc)
        return rc;
    rc = ct_store_query_int64(st, "SELECT COUNT(*) FROM outbox WHERE fanned_out = 0", out);
    if (rc)
        goto cleanup;
    rc = ct_store_prepare(st,
                          "SELECT COUNT(*) FROM outbox_delivery WHERE subscriber = ?"
                          " AND delivered_at IS NULL",
                          &s);
    for (int k = 0; rc == CT_OK && k < o->nsubs; k++) {
        if ((rc = ct_stmt_bind_text(s, 1, o->subs[k].name)))
            break;
        rc = ct_stmt_step(s);
        if (rc != CT_ROW) {
            rc = rc == CT_DONE ? CT_ERR : rc;
            break;
        }
        *out += ct_stmt_int64(s, 0);
        rc = ct_stmt_reset(s);
    }
cleanup:
    ct_stmt_finalize(s);
    ct_store_pool_release(o->pool, st);
    return rc;
}

ct_status ct_outbox_drain(ct_outbox *o, int timeout_ms)
{
    int64_t until = now_ms() + timeout_ms;
    for (;;) {
        int64_t n = 0;
        ct_status rc = pending(o, &n);
        if (rc)
            return rc;
        if (n == 0)
            return CT_OK;
        if (now_ms() >= until)
            return CT_AGAIN;
        ct_outbox_kick(o);
        usleep(5000);
    }
}

void ct_outbox_stop(ct_outbox *o)
{
    if (o == NULL)
        return;
    if (o->transport.publish != NULL)
        o->transport.stop(o->transport.ctx); /* its handlers end before what they use */
    if (o->started) {
        pthread_mutex_lock(&o->mu);
        o->stop = 1;
        pthread_cond_broadcast(&o->cv);
        pthread_mutex_unlock(&o->mu);
        pthread_join(o->thread, NULL);
    }
    pthread_cond_destroy(&o->cv);
    pthread_mutex_destroy(&o->mu);
    ct_free(o);
}

ct_status ct_outbox_forget(ct_store *st, const char *event_id)
{
    if (st == NULL || event_id == NULL || !event_id[0])
        return CT_INVALID;
    const char *p[] = {event_id};
    return ct_store_run(st, "UPDATE outbox SET payload = '{}' WHERE id = ?", 1, p);
}
