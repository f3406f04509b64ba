/* cluster.c: the cluster coordinator of `serve` (see cluster.h).
 *
 * One thread, one loop every interval: take a pooled connection, then as a follower replay
 * the stream's new rows (16 at most per round) and, once caught up, try the lease; as the
 * leaseholder renew the lease when a third of its time has passed and write the journal to
 * the stream. A journal chunk taken for a row that could not be written (a database error)
 * is kept in `pending` and written first next time, so nothing taken is lost while the lease
 * holds. Rows are base64 text (libsodium), since the store binds text only. */
#include "app/cluster.h"

#include <pthread.h>
#include <sodium.h>
#include <stdatomic.h>
#include <stdio.h>
#include <string.h>
#include <time.h>

#include "base/alloc.h"
#include "base/log.h"
#include "base/strbuf.h"
#include "store/lease.h"

struct ct_app_cluster {
    ct_app_cluster_config cfg;
    ct_pricebook *pb;
    ct_ingest *ing;
    pthread_t thread;
    int running;
    atomic_int stop;
    pthread_mutex_t mu; /* st */
    ct_app_cluster_stats st;
    /* the thread's own */
    int64_t renewed_ms; /* monotonic ms of the last successful renewal (or acquisition) */
    uint8_t *pending;   /* a taken journal chunk not yet written */
    size_t pending_len, pending_records;
    int pending_dump; /* it begins a dump */
};

static int64_t mono_ms(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

static void sleep_ms(int ms)
{
    struct timespec ts = {ms / 1000, (long)(ms % 1000) * 1000000L};
    nanosleep(&ts, NULL);
}

ct_status ct_app_cluster_new(const ct_app_cluster_config *cfg, ct_app_cluster **out)
{
    ct_app_cluster *c = ct_calloc(1, sizeof(*c));
    if (c == NULL)
        return CT_NOMEM;
    c->cfg = *cfg;
    if (c->cfg.ttl_ms <= 0)
        c->cfg.ttl_ms = 10000;
    if (c->cfg.interval_ms <= 0)
        c->cfg.interval_ms = 500;
    pthread_mutex_init(&c->mu, NULL);
    ct_lease_holder_id(c->st.holder, sizeof(c->st.holder));
    *out = c;
    return CT_OK;
}

void ct_app_cluster_stats_get(ct_app_cluster *c, ct_app_cluster_stats *out)
{
    pthread_mutex_lock(&c->mu);
    *out = c->st;
    pthread_mutex_unlock(&c->mu);
}

static void count_error(ct_app_cluster *c, const char *what, ct_store *st)
{
    pthread_mutex_lock(&c->mu);
    int first = c->st.errors++ == 0;
    pthread_mutex_unlock(&c->mu);
    ct_log(first ? CT_LOG_WARN : CT_LOG_DEBUG, "cluster.db_error", "what", what, "error",
           st != NULL ? ct_store_errmsg(st) : "no connection", NULL);
}

/* ---- following: replaying the stream ---- */

/* The base64 text of a stream row back to bytes; caller frees. */
static ct_status decode(const char *text, uint8_t **out, size_t *len)
{
    size_t n = strlen(text), cap = n / 4 * 3 + 3;
    uint8_t *b = ct_malloc(cap);
    if (b == NULL)
        return CT_NOMEM;
    if (sodium_base642bin(b, cap, text, n, NULL, len, NULL, sodium_base64_VARIANT_ORIGINAL) != 0) {
        ct_free(b);
        return CT_INVALID;
    }
    *out = b;
    return CT_OK;
}

/* Where a fresh instance starts: just before the latest dump (0: from the first row). */
static ct_status start_seq(ct_store *st, int64_t *seq)
{
    int64_t v = 0;
    ct_status rc = ct_store_query_int64(
        st, "SELECT COALESCE(MAX(seq), 1) - 1 FROM price_stream WHERE kind = 'dump'", &v);
    if (!rc)
        *seq = v;
    return rc;
}

/* Replays up to `max` rows after applied_seq. *more = 1 when there may be more. */
static ct_status replay(ct_app_cluster *c, ct_store *st, int max, int *more)
{
    *more = 0;
    ct_stmt *s = NULL;
    int64_t from = c->st.applied_seq;
    ct_status rc = ct_store_prepare(
        st, "SELECT seq, body FROM price_stream WHERE seq > ? ORDER BY seq LIMIT ?", &s);
    if (!rc)
        rc = ct_stmt_bind_int64(s, 1, from);
    if (!rc)
        rc = ct_stmt_bind_int64(s, 2, max);
    int n = 0;
    while (!rc && (rc = ct_stmt_step(s)) == CT_ROW) {
        int64_t seq = ct_stmt_int64(s, 0);
        uint8_t *data = NULL;
        size_t len = 0, records = 0, unknown = 0;
        rc = decode(ct_stmt_text(s, 1) ? ct_stmt_text(s, 1) : "", &data, &len);
        if (!rc)
            rc = ct_pricebook_journal_apply(c->pb, data, len, &records, &unknown);
        ct_free(data);
        if (rc == CT_INVALID) { /* a row this build cannot read: skipped, said once */
            char q[32];
            snprintf(q, sizeof(q), "%lld", (long long)seq);
            ct_log(CT_LOG_ERROR, "cluster.stream_refused", "seq", q, NULL);
            rc = CT_OK;
        }
        if (rc)
            break;
        n++;
        pthread_mutex_lock(&c->mu);
        c->st.applied_seq = seq;
        c->st.rows_applied++;
        c->st.records_applied += records;
        pthread_mutex_unlock(&c->mu);
    }
    ct_stmt_finalize(s);
    if (rc == CT_DONE)
        rc = CT_OK;
    *more = n == max;
    return rc;
}

/* ---- leading: writing the stream ---- */

/* Writes `data` as row applied_seq + 1 in one transaction fenced by the token.
 * CT_CONFLICT when the lease is no longer ours. */
static ct_status write_row(ct_app_cluster *c, ct_store *st, const uint8_t *data, size_t len,
                           size_t records, int dump)
{
    size_t tlen = sodium_base64_encoded_len(len, sodium_base64_VARIANT_ORIGINAL);
    char *text = ct_malloc(tlen);
    if (text == NULL)
        return CT_NOMEM;
    sodium_bin2base64(text, tlen, data, len, sodium_base64_VARIANT_ORIGINAL);
    int64_t seq = c->st.applied_seq + 1;
    ct_stmt *s = NULL;
    ct_status rc = ct_store_begin(st);
    if (rc)
        goto done;
    rc = ct_lease_fence(st, CT_APP_CLUSTER_LEASE, c->st.token);
    if (!rc)
        rc = ct_store_prepare(
            st,
            "INSERT INTO price_stream (seq, token, kind, created_at, records, body)"
            " VALUES (?, ?, ?, ?, ?, ?)",
            &s);
    if (!rc &&
        ((rc = ct_stmt_bind_int64(s, 1, seq)) || (rc = ct_stmt_bind_int64(s, 2, c->st.token)) ||
         (rc = ct_stmt_bind_text(s, 3, dump ? "dump" : "change")) ||
         (rc = ct_stmt_bind_int64(s, 4, (int64_t)time(NULL) * 1000)) ||
         (rc = ct_stmt_bind_int64(s, 5, (int64_t)records)) || (rc = ct_stmt_bind_text(s, 6, text))))
        goto done;
    if (!rc) {
        rc = ct_stmt_step(s);
        rc = rc == CT_DONE || rc == CT_ROW ? CT_OK : rc;
    }
    ct_stmt_finalize(s);
    s = NULL;
    if (!rc)
        rc = ct_store_commit(st);
done:
    ct_stmt_finalize(s);
    if (rc)
        ct_store_rollback(st);
    ct_free(text);
    if (!rc) {
        pthread_mutex_lock(&c->mu);
        c->st.applied_seq = seq;
        c->st.rows_written++;
        c->st.records_written += records;
        pthread_mutex_unlock(&c->mu);
    }
    return rc;
}

/* Writes the pending chunk, then the journal, row by row. */
static ct_status flush(ct_app_cluster *c, ct_store *st)
{
    for (;;) {
        if (c->pending == NULL) {
            ct_status trc = ct_pricebook_journal_take(c->pb, CT_APP_CLUSTER_ROW_BYTES, &c->pending,
                                                      &c->pending_len, &c->pending_records);
            if (trc == CT_NOT_FOUND)
                return CT_OK;
            if (trc == CT_ERR) /* lost at the cap: a dump repairs the followers */
                ct_log(CT_LOG_ERROR, "cluster.journal_lost", NULL);
            if (trc != CT_OK && trc != CT_ERR)
                return trc;
            if (trc == CT_ERR && ct_pricebook_journal_dump(c->pb) != CT_OK)
                ct_log(CT_LOG_ERROR, "cluster.dump_failed", NULL);
        }
        ct_status rc =
            write_row(c, st, c->pending, c->pending_len, c->pending_records, c->pending_dump);
        if (rc)
            return rc;
        ct_free(c->pending);
        c->pending = NULL;
        c->pending_dump = 0;
    }
}

static void drop_pending(ct_app_cluster *c)
{
    ct_free(c->pending);
    c->pending = NULL;
    c->pending_dump = 0;
}

/* Leader -> follower: ingestion stopped, the journal off. */
static void step_down(ct_app_cluster *c, const char *why)
{
    ct_ingest_stop(c->ing);
    ct_pricebook_journal_stop(c->pb);
    drop_pending(c);
    pthread_mutex_lock(&c->mu);
    c->st.leader = 0;
    c->st.losses++;
    pthread_mutex_unlock(&c->mu);
    char tok[32];
    snprintf(tok, sizeof(tok), "%lld", (long long)c->st.token);
    ct_log(CT_LOG_WARN, "cluster.lease_lost", "reason", why, "token", tok, NULL);
}

/* Follower -> leader, with the lease just taken: the stream replayed to its end, the
 * journal on with a dump at its start, ingestion started. */
static ct_status take_over(ct_app_cluster *c, ct_store *st, int64_t token)
{
    int more = 1;
    ct_status rc = CT_OK;
    while (!rc && more)
        rc = replay(c, st, 64, &more);
    int64_t last = 0;
    if (!rc)
        rc = ct_store_query_int64(st, "SELECT COALESCE(MAX(seq), 0) FROM price_stream", &last);
    if (!rc && last != c->st.applied_seq)
        rc = CT_CONFLICT; /* a row we could not read: leave the lease */
    if (!rc)
        rc = ct_pricebook_journal_start(c->pb, CT_APP_CLUSTER_JOURNAL_CAP);
    if (!rc)
        rc = ct_pricebook_journal_dump(c->pb);
    if (!rc) { /* the dump's first chunk is marked: a fresh follower starts there */
        rc = ct_pricebook_journal_take(c->pb, CT_APP_CLUSTER_ROW_BYTES, &c->pending,
                                       &c->pending_len, &c->pending_records);
        c->pending_dump = rc == CT_OK;
        rc = rc == CT_NOT_FOUND ? CT_OK : rc;
    }
    pthread_mutex_lock(&c->mu);
    c->st.token = token;
    pthread_mutex_unlock(&c->mu);
    if (!rc)
        rc = ct_ingest_start(c->ing);
    if (rc) {
        ct_pricebook_journal_stop(c->pb);
        drop_pending(c);
        ct_lease_release(st, CT_APP_CLUSTER_LEASE, token);
        return rc;
    }
    c->renewed_ms = mono_ms();
    pthread_mutex_lock(&c->mu);
    c->st.leader = 1;
    c->st.acquisitions++;
    pthread_mutex_unlock(&c->mu);
    char tok[32], seq[32];
    snprintf(tok, sizeof(tok), "%lld", (long long)token);
    snprintf(seq, sizeof(seq), "%lld", (long long)c->st.applied_seq);
    ct_log(CT_LOG_INFO, "cluster.leader", "holder", c->st.holder, "token", tok, "stream_seq", seq,
           NULL);
    return CT_OK;
}

static void follow_round(ct_app_cluster *c, ct_store *st)
{
    int more = 0;
    ct_status rc = replay(c, st, 16, &more);
    if (rc) {
        count_error(c, "replay", st);
        return;
    }
    if (more)
        return; /* catch up first */
    int64_t token = 0;
    rc = ct_lease_acquire(st, CT_APP_CLUSTER_LEASE, c->st.holder, c->cfg.ttl_ms, &token);
    if (rc == CT_OK && take_over(c, st, token) != CT_OK)
        count_error(c, "take over", st);
    else if (rc != CT_OK && rc != CT_CONFLICT)
        count_error(c, "acquire", st);
}

static void lead_round(ct_app_cluster *c, ct_store *st)
{
    int64_t now = mono_ms();
    if (st != NULL && now - c->renewed_ms >= c->cfg.ttl_ms / 3) {
        ct_status rc =
            ct_lease_renew(st, CT_APP_CLUSTER_LEASE, c->st.holder, c->st.token, c->cfg.ttl_ms);
        if (rc == CT_CONFLICT) {
            step_down(c, "taken over");
            return;
        }
        if (rc)
            count_error(c, "renew", st);
        else
            c->renewed_ms = now;
    }
    if (now - c->renewed_ms >= c->cfg.ttl_ms) { /* it may have expired: we cannot know */
        step_down(c, "renewal failing");
        return;
    }
    if (st == NULL)
        return;
    ct_status rc = flush(c, st);
    if (rc == CT_CONFLICT)
        step_down(c, "fenced");
    else if (rc)
        count_error(c, "stream write", st);
}

static void *run(void *arg)
{
    ct_app_cluster *c = arg;
    ct_store *st = NULL;
    if (ct_store_pool_acquire(c->cfg.pool, 5000, &st) == CT_OK) {
        int64_t seq = 0;
        if (start_seq(st, &seq) == CT_OK) {
            pthread_mutex_lock(&c->mu);
            c->st.applied_seq = seq;
            pthread_mutex_unlock(&c->mu);
        }
        ct_store_pool_release(c->cfg.pool, st);
    }
    while (!atomic_load(&c->stop)) {
        st = NULL;
        if (ct_store_pool_acquire(c->cfg.pool, c->cfg.interval_ms, &st) != CT_OK)
            st = NULL;
        if (c->st.leader)
            lead_round(c, st);
        else if (st != NULL)
            follow_round(c, st);
        if (st != NULL)
            ct_store_pool_release(c->cfg.pool, st);
        for (int waited = 0; waited < c->cfg.interval_ms && !atomic_load(&c->stop); waited += 50)
            sleep_ms(50);
    }
    if (c->st.leader) { /* hand over: the last changes written, the lease given up */
        ct_ingest_stop(c->ing);
        st = NULL;
        if (ct_store_pool_acquire(c->cfg.pool, 2000, &st) == CT_OK) {
            if (flush(c, st) != CT_OK)
                count_error(c, "last stream write", st);
            ct_lease_release(st, CT_APP_CLUSTER_LEASE, c->st.token);
            ct_store_pool_release(c->cfg.pool, st);
        }
        ct_pricebook_journal_stop(c->pb);
        drop_pending(c);
        pthread_mutex_lock(&c->mu);
        c->st.leader = 0;
        pthread_mutex_unlock(&c->mu);
        ct_log(CT_LOG_INFO, "cluster.lease_released", NULL);
    }
    return NULL;
}

ct_status ct_app_cluster_start(ct_app_cluster *c, ct_pricebook *pb, ct_ingest *ing)
{
    if (c->running)
        return CT_CONFLICT;
    c->pb = pb;
    c->ing = ing;
    atomic_store(&c->stop, 0);
    if (pthread_create(&c->thread, NULL, run, c) != 0)
        return CT_ERR;
    c->running = 1;
    pthread_mutex_lock(&c->mu);
    c->st.attached = 1;
    pthread_mutex_unlock(&c->mu);
    return CT_OK;
}

void ct_app_cluster_stop(ct_app_cluster *c)
{
    if (c == NULL || !c->running)
        return;
    atomic_store(&c->stop, 1);
    pthread_join(c->thread, NULL);
    c->running = 0;
    pthread_mutex_lock(&c->mu);
    c->st.attached = 0;
    pthread_mutex_unlock(&c->mu);
}

void ct_app_cluster_free(ct_app_cluster *c)
{
    if (c == NULL)
        return;
    ct_app_cluster_stop(c);
    drop_pending(c);
    pthread_mutex_destroy(&c->mu);
    ct_free(c);
}

void ct_app_cluster_metrics(void *ctx, struct ct_strbuf *out)
{
    ct_app_cluster_stats st;
    ct_app_cluster_stats_get(ctx, &st);
    ct_strbuf_printf(
        out,
        "# HELP contrail_cluster_leader 1 while this instance holds the ingestion lease.\n"
        "# TYPE contrail_cluster_leader gauge\n"
        "contrail_cluster_leader %d\n"
        "# HELP contrail_cluster_stream_seq The last price stream row replayed or written.\n"
        "# TYPE contrail_cluster_stream_seq gauge\n"
        "contrail_cluster_stream_seq %lld\n"
        "# HELP contrail_cluster_stream_rows_total Price stream rows by direction.\n"
        "# TYPE contrail_cluster_stream_rows_total counter\n"
        "contrail_cluster_stream_rows_total{direction=\"applied\"} %llu\n"
        "contrail_cluster_stream_rows_total{direction=\"written\"} %llu\n"
        "# HELP contrail_cluster_stream_records_total Pricebook records in them.\n"
        "# TYPE contrail_cluster_stream_records_total counter\n"
        "contrail_cluster_stream_records_total{direction=\"applied\"} %llu\n"
        "contrail_cluster_stream_records_total{direction=\"written\"} %llu\n"
        "# HELP contrail_cluster_lease_changes_total Ingestion lease taken and lost.\n"
        "# TYPE contrail_cluster_lease_changes_total counter\n"
        "contrail_cluster_lease_changes_total{change=\"acquired\"} %llu\n"
        "contrail_cluster_lease_changes_total{change=\"lost\"} %llu\n"
        "# HELP contrail_cluster_errors_total Database errors of the cluster coordinator.\n"
        "# TYPE contrail_cluster_errors_total counter\n"
        "contrail_cluster_errors_total %llu\n",
        st.leader, (long long)st.applied_seq, (unsigned long long)st.rows_applied,
        (unsigned long long)st.rows_written, (unsigned long long)st.records_applied,
        (unsigned long long)st.records_written, (unsigned long long)st.acquisitions,
        (unsigned long long)st.losses, (unsigned long long)st.errors);
}
