/* sync.c: the sync driver: every provider at once through the upstream client.
 *
 * A sync runs one job per provider, each a sequence of requests with at most one in
 * flight (a page's token comes from the page before it), all jobs' requests driven by the
 * driver's upstream client (upstream/upstream.h, asynchronous calls) in one thread, which
 * also parses and applies each page as it completes (so pricebook batches never
 * interleave). A job's stages:
 *
 *   descriptor -> rates -> fares pages -> availability windows, each window's pages
 *
 * Full pass (until one succeeded): fares without a cursor; availability in windows of
 * chunk_days flight dates, the window holding `today` first, later ones next, earlier ones
 * last; the cursor kept is the first window's (the oldest instant). Incremental pass:
 * fares and availability (over the whole horizon, one window) from the kept cursors. New
 * cursors are kept only when the whole pass succeeded, so a failed pass is repeated.
 *
 * Every feed call is a GET, so the upstream client retries it: one that fails in transport,
 * times out, answers 408, 429 or 5xx, or whose body is not a usable document (the parse runs
 * as the call's check, so the page parsed there is the one applied) is sent again after a
 * full-jitter back-off under backoff_ms x 2^(attempt-1) (capped), up to max_attempts; then
 * the provider's job gives up for this sync. Each provider is a partner with its circuit
 * breaker, opened by breaker_failures failed attempts in a row (by default max_attempts: it
 * opens when a call gives up), so while a provider is down later syncs fail it fast until
 * the cool-down lets a probe through. A 4xx is not retried: an
 * availability window the provider refuses (400/422: partly outside its horizon) is fetched
 * again day by day, the refused days skipped, and later incremental passes ask only for the
 * dates it accepted; any other 4xx ends the job. */
#define _GNU_SOURCE
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "base/alloc.h"
#include "base/log.h"
#include "base/strbuf.h"
#include "base/timeutil.h"
#include "ingest/ingest_internal.h"
#include "upstream/upstream.h"

#define BODY_CAP ((size_t)256 << 20) /* a 5000-leg page is a few MB */

typedef enum stage { ST_DESC, ST_RATES, ST_FARES, ST_AVAIL, ST_DONE, ST_FAILED } stage;

typedef struct job {
    ct__prov *p;
    stage st;
    int incremental;
    char token[512];
    char fares_cursor[512], avail_cursor[512]; /* of this pass */
    int pageno;
    int chunk, nchunks;
    int64_t from, to, first;  /* horizon, and the first window's start */
    int64_t day;              /* > 0: the refused window is being fetched day by day */
    int64_t req_from, req_to; /* flight dates of the availability request in flight */
    int64_t ok_from, ok_to;   /* the dates the provider accepted in this pass (0: none) */
    ct_ingest *ing;
    ct_upstream_call *call; /* the request in flight; NULL: none */
    ct_ingest_feed feed;    /* of the request in flight */
    ct_ingest_page page;    /* parsed by the last 200 answer's check */
    ct_status parsed;       /* its parse status (CT_OK or CT_NOMEM; CT_INVALID was retried) */
    int have_page;
    char url[2400]; /* of the request in flight (for logs) */
} job;

static int64_t mono_ms(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

/* ---- lifetime ---- */

ct_status ct_ingest_new(ct_pricebook *pb, const ct_ingest_config *cfg, ct_ingest **out)
{
    if (pb == NULL || cfg == NULL || cfg->nproviders < 0 || cfg->nproviders > CT_MAX_PROVIDERS)
        return CT_INVALID;
    ct_ingest *ing = ct_calloc(1, sizeof(*ing));
    if (ing == NULL)
        return CT_NOMEM;
    ing->pb = pb;
    ing->cfg = *cfg;
    ct_ingest_config *c = &ing->cfg;
    const ct_timetable *tt = ct_pricebook_timetable(pb);
    if (c->from_day == 0 && c->to_day == 0) {
        c->from_day = tt->from_day;
        c->to_day = tt->to_day;
    }
    c->chunk_days = c->chunk_days > 0 ? c->chunk_days : 7;
    c->page_size = c->page_size > 0 && c->page_size <= 5000 ? c->page_size : 5000;
    c->interval_s = c->interval_s > 0 ? c->interval_s : 60;
    c->timeout_ms = c->timeout_ms > 0 ? c->timeout_ms : 15000;
    c->max_attempts = c->max_attempts > 0 ? c->max_attempts : 8;
    c->backoff_ms = c->backoff_ms > 0 ? c->backoff_ms : 100;
    c->backoff_max_ms = c->backoff_max_ms > 0 ? c->backoff_max_ms : 5000;
    ing->nprov = c->nproviders;
    for (int i = 0; i < ing->nprov; i++) {
        ct__prov *p = &ing->prov[i];
        p->cfg = c->providers[i];
        p->id = -1;
        memcpy(p->st.name, c->providers[i].name, sizeof(p->st.name));
        p->st.name[sizeof(p->st.name) - 1] = '\0';
        p->st.id = -1;
    }
    c->breaker_failures = c->breaker_failures != 0 ? c->breaker_failures : c->max_attempts;
    c->breaker_cooldown_ms = c->breaker_cooldown_ms > 0 ? c->breaker_cooldown_ms : 30000;
    ct_upstream_config uc = {.name = "ingest",
                             .user_agent = "contrail-ingest/1",
                             .max_attempts = c->max_attempts,
                             .backoff_ms = c->backoff_ms,
                             .backoff_max_ms = c->backoff_max_ms,
                             .timeout_ms = c->timeout_ms,
                             .connect_timeout_ms = 5000,
                             .breaker_failures = c->breaker_failures,
                             .breaker_cooldown_ms = c->breaker_cooldown_ms,
                             .body_cap = BODY_CAP};
    ct_status rc = ct_upstream_new(&uc, &ing->up);
    if (rc) {
        ct_free(ing);
        return rc;
    }
    pthread_mutex_init(&ing->sync_mu, NULL);
    pthread_mutex_init(&ing->stats_mu, NULL);
    pthread_mutex_init(&ing->wake_mu, NULL);
    pthread_cond_init(&ing->wake, NULL);
    *out = ing;
    return CT_OK;
}

void ct_ingest_free(ct_ingest *ing)
{
    if (ing == NULL)
        return;
    ct_ingest_stop(ing);
    ct_upstream_free(ing->up);
    pthread_mutex_destroy(&ing->sync_mu);
    pthread_mutex_destroy(&ing->stats_mu);
    pthread_mutex_destroy(&ing->wake_mu);
    pthread_cond_destroy(&ing->wake);
    ct_free(ing);
}

ct_upstream *ct_ingest_upstream(ct_ingest *ing)
{
    return ing->up;
}

int ct_ingest_stats_get(ct_ingest *ing, ct_ingest_stats *out, int max)
{
    pthread_mutex_lock(&ing->stats_mu);
    int n = ing->nprov < max ? ing->nprov : max;
    for (int i = 0; i < n; i++)
        out[i] = ing->prov[i].st;
    pthread_mutex_unlock(&ing->stats_mu);
    return n;
}

static void count(ct_ingest *ing, uint64_t *field, uint64_t n)
{
    pthread_mutex_lock(&ing->stats_mu);
    *field += n;
    pthread_mutex_unlock(&ing->stats_mu);
}

/* ---- windows ---- */

/* The horizon [from, to] in windows of chunk_days, the one holding `first` being window 0,
 * then the later ones, then the earlier ones nearest first. */
static void window(const ct_ingest *ing, const job *j, int k, int64_t *a, int64_t *b)
{
    int64_t n = ing->cfg.chunk_days;
    int64_t ahead = (j->to - j->first) / n + 1; /* windows from `first` on */
    int64_t start;
    if (k < ahead)
        start = j->first + k * n;
    else
        start = j->first - (k - ahead + 1) * n;
    *a = start < j->from ? j->from : start;
    *b = start + n - 1 > j->to ? j->to : start + n - 1;
    if (k >= ahead && *b >= j->first)
        *b = j->first - 1;
}

static void job_start(ct_ingest *ing, job *j, ct__prov *p)
{
    memset(j, 0, sizeof(*j));
    j->ing = ing;
    j->p = p;
    j->st = ST_DESC;
    j->incremental = p->fares_cursor[0] && p->avail_cursor[0];
    j->from = ing->cfg.from_day;
    j->to = ing->cfg.to_day;
    int64_t today = ing->cfg.today ? ing->cfg.today : ct_utc_now() / 86400;
    j->first = today < j->from ? j->from : today > j->to ? j->to : today;
    int64_t n = ing->cfg.chunk_days;
    j->nchunks = (int)((j->to - j->first) / n + 1 + (j->first - j->from + n - 1) / n);
    if (j->incremental)
        j->nchunks = 1;
}

/* The provider refused its cursor (e.g. one saved before a restart that the provider no
 * longer accepts): forget the cursors and go on with a full pass of both feeds. */
static void job_restart_full(ct_ingest *ing, job *j)
{
    pthread_mutex_lock(&ing->stats_mu);
    j->p->fares_cursor[0] = '\0';
    j->p->avail_cursor[0] = '\0';
    j->p->avail_from = j->p->avail_to = 0;
    j->p->st.refused_cursors++;
    pthread_mutex_unlock(&ing->stats_mu);
    int64_t n = ing->cfg.chunk_days;
    j->incremental = 0;
    j->nchunks = (int)((j->to - j->first) / n + 1 + (j->first - j->from + n - 1) / n);
    j->st = ST_FARES;
    j->token[0] = j->fares_cursor[0] = j->avail_cursor[0] = '\0';
    j->pageno = j->chunk = 0;
    j->day = j->ok_from = j->ok_to = 0;
}

/* ---- requests ---- */

static ct_ingest_feed feed_of(stage st)
{
    return st == ST_DESC    ? CT_FEED_DESCRIPTOR
           : st == ST_RATES ? CT_FEED_RATES
           : st == ST_FARES ? CT_FEED_FARES
                            : CT_FEED_AVAIL;
}

static void drop_page(job *j)
{
    if (j->have_page)
        ct_ingest_page_clear(&j->page);
    j->have_page = 0;
}

/* The upstream check of a 200 answer: parses it in the provider's dialect. An unusable
 * document is refused (the call retries it); the page is kept for on_done. */
static int check_page(void *ctx, const ct_upstream_response *rsp, char *why, size_t whylen)
{
    job *j = ctx;
    if (rsp->status != 200)
        return 0;
    drop_page(j);
    char err[256];
    int digits = j->p->id >= 0 ? j->p->desc.minor_digits : 2;
    ct_status rc = ct_ingest_parse(j->p->cfg.dialect, j->feed, rsp->body, rsp->body_len, digits,
                                   &j->page, err, sizeof(err));
    if (rc == CT_INVALID) {
        snprintf(why, whylen, "unusable %s page: %s", ct_ingest_feed_name(j->feed), err);
        return 1;
    }
    j->parsed = rc;
    j->have_page = 1;
    return 0;
}

static void on_done(void *ctx, const ct_upstream_response *rsp);

static ct_status send_request(ct_ingest *ing, job *j)
{
    char path[2048];
    int64_t a = 0, b = 0;
    ct_ingest_feed feed = feed_of(j->st);
    if (feed == CT_FEED_AVAIL) {
        if (j->incremental) {
            a = j->p->avail_from ? j->p->avail_from : j->from;
            b = j->p->avail_to ? j->p->avail_to : j->to;
        } else {
            window(ing, j, j->chunk, &a, &b);
        }
        if (j->day > 0)
            a = b = j->day;
        j->req_from = a;
        j->req_to = b;
    }
    const char *since = !j->incremental         ? ""
                        : feed == CT_FEED_FARES ? j->p->fares_cursor
                                                : j->p->avail_cursor;
    ct__request_path(j->p->cfg.dialect, feed, ing->cfg.page_size, j->token, since, a, b, path,
                     sizeof(path));
    snprintf(j->url, sizeof(j->url), "%s%s", j->p->cfg.base_url, path);
    j->feed = feed;
    drop_page(j);
    ct_upstream_request req = {.partner = j->p->cfg.name,
                               .method = "GET",
                               .url = j->url,
                               .check = check_page,
                               .check_ctx = j};
    return ct_upstream_submit(ing->up, &req, on_done, j, &j->call);
}

/* A call that gave up (its retries ran out, or the provider's breaker is open). */
static void give_up(job *j, const ct_upstream_response *rsp, const char *why)
{
    char n[16];
    snprintf(n, sizeof(n), "%d", rsp->attempts);
    ct_log(CT_LOG_ERROR, "ingest.gave_up", "provider", j->p->cfg.name, "attempts", n, "reason", why,
           NULL);
    j->st = ST_FAILED;
}

/* Moves the job past a finished page (or window, or stage). */
static void advance(const ct_ingest *ing, job *j, const ct_ingest_page *page)
{
    switch (j->st) {
    case ST_DESC:
        j->st = ST_RATES;
        j->pageno = 0;
        return;
    case ST_RATES:
        j->st = ST_FARES;
        j->pageno = 0;
        return;
    case ST_FARES:
        if (page != NULL && !j->fares_cursor[0])
            snprintf(j->fares_cursor, sizeof(j->fares_cursor), "%s", page->cursor);
        if (page != NULL && page->next[0]) {
            snprintf(j->token, sizeof(j->token), "%s", page->next);
            return;
        }
        j->token[0] = '\0';
        j->st = ST_AVAIL;
        j->chunk = 0;
        j->pageno = 0;
        return;
    case ST_AVAIL:
        if (page != NULL && (j->ok_from == 0 || j->req_from < j->ok_from))
            j->ok_from = j->req_from;
        if (page != NULL && j->req_to > j->ok_to)
            j->ok_to = j->req_to;
        if (page != NULL && !j->avail_cursor[0])
            snprintf(j->avail_cursor, sizeof(j->avail_cursor), "%s", page->cursor);
        if (page != NULL && page->next[0]) {
            snprintf(j->token, sizeof(j->token), "%s", page->next);
            return;
        }
        j->token[0] = '\0';
        if (j->day > 0) { /* a refused window, day by day */
            int64_t a, b;
            window(ing, j, j->chunk, &a, &b);
            if (++j->day <= b)
                return;
            j->day = 0;
        }
        if (++j->chunk < j->nchunks)
            return;
        j->st = ST_DONE;
        return;
    case ST_DONE:
    case ST_FAILED:
        return;
    }
}

/* A feed call finished (from inside ct_upstream_perform): move the job on. */
static void on_done(void *ctx, const ct_upstream_response *rsp)
{
    job *j = ctx;
    ct_ingest *ing = j->ing;
    j->call = NULL;
    count(ing, &j->p->st.requests, (uint64_t)rsp->attempts);
    count(ing, &j->p->st.retries, rsp->attempts > 1 ? (uint64_t)(rsp->attempts - 1) : 0);
    long status = rsp->status;
    char why[300];
    if (rsp->rc != CT_OK) {
        give_up(j, rsp, rsp->error[0] ? rsp->error : ct_status_name(rsp->rc));
        return;
    }
    if (status >= 500 || status == 429 || status == 408) {
        snprintf(why, sizeof(why), "HTTP %ld", status);
        give_up(j, rsp, why);
        return;
    }
    ct_ingest_feed feed = j->feed;
    if (status != 200) {
        char st[24];
        snprintf(st, sizeof(st), "%ld", status);
        /* A window the provider refuses (400, or Voyagio's 422) lies partly outside its
         * horizon: fetch it day by day, skipping the days it refuses. */
        if (feed == CT_FEED_AVAIL && (status == 400 || status == 422) && !j->incremental &&
            !j->token[0]) {
            int64_t a, b;
            window(ing, j, j->chunk, &a, &b);
            if (j->day == 0 && b > a) {
                j->day = a;
                return;
            }
            ct_log(CT_LOG_INFO, "ingest.window_refused", "provider", j->p->cfg.name, "status", st,
                   "url", j->url, "body", rsp->body, NULL);
            if (j->day == 0)
                j->day = a; /* a one-day window: done with it below */
            advance(ing, j, NULL);
            return;
        }
        if (j->incremental && (feed == CT_FEED_FARES || feed == CT_FEED_AVAIL) && status >= 400 &&
            status < 500) {
            ct_log(CT_LOG_WARN, "ingest.cursor_refused", "provider", j->p->cfg.name, "feed",
                   ct_ingest_feed_name(feed), "status", st, "body", rsp->body, NULL);
            job_restart_full(ing, j);
            return;
        }
        ct_log(CT_LOG_ERROR, "ingest.refused", "provider", j->p->cfg.name, "feed",
               ct_ingest_feed_name(feed), "status", st, "url", j->url, "body", rsp->body, NULL);
        j->st = ST_FAILED;
        return;
    }
    ct_status rc = j->have_page ? j->parsed : CT_ERR;
    if (rc == CT_OK)
        rc = ct__apply(ing, j->p, &j->page, ++j->pageno);
    if (rc) {
        ct_log(CT_LOG_ERROR, "ingest.apply_failed", "provider", j->p->cfg.name, "feed",
               ct_ingest_feed_name(feed), "error", ct_status_name(rc), NULL);
        drop_page(j);
        j->st = ST_FAILED;
        return;
    }
    advance(ing, j, &j->page);
    drop_page(j);
}

/* ---- one sync ---- */

static ct_status run_sync(ct_ingest *ing)
{
    int64_t t0 = mono_ms();
    job *jobs = ct_calloc((size_t)ing->nprov + 1, sizeof(job));
    if (jobs == NULL)
        return CT_NOMEM;
    uint64_t before = 0, after = 0;
    pthread_mutex_lock(&ing->stats_mu);
    for (int i = 0; i < ing->nprov; i++) {
        job_start(ing, &jobs[i], &ing->prov[i]);
        before += ing->prov[i].st.fares_applied + ing->prov[i].st.seats_applied;
    }
    pthread_mutex_unlock(&ing->stats_mu);
    ct_status result = CT_OK;
    for (;;) {
        if (atomic_load(&ing->stop)) {
            result = CT_AGAIN;
            break;
        }
        int active = 0;
        for (int i = 0; i < ing->nprov; i++) {
            job *j = &jobs[i];
            if (j->st == ST_DONE || j->st == ST_FAILED || j->call != NULL) {
                active += j->call != NULL;
                continue;
            }
            ct_status rc = send_request(ing, j);
            if (rc) {
                ct_log(CT_LOG_ERROR, "ingest.gave_up", "provider", j->p->cfg.name, "reason",
                       "could not start a request", "error", ct_status_name(rc), NULL);
                j->st = ST_FAILED;
                continue;
            }
            active++;
        }
        if (active == 0)
            break;
        /* Returns as soon as a call finished (its job then sends the next request at once),
         * else after network activity, a retry's time or 100 ms (to notice a stop). */
        ct_upstream_perform(ing->up, 100);
    }
    int64_t end = ct_utc_now();
    double secs = (double)(mono_ms() - t0) / 1000.0;
    for (int i = 0; i < ing->nprov; i++) {
        job *j = &jobs[i];
        if (j->call != NULL) /* cut short by a stop: abandoned, nothing half-applied */
            ct_upstream_cancel(ing->up, j->call);
        j->call = NULL;
        drop_page(j);
        ct__prov *p = j->p;
        pthread_mutex_lock(&ing->stats_mu);
        if (j->st == ST_DONE) {
            /* The pass is complete: its cursors become the provider's. */
            snprintf(p->fares_cursor, sizeof(p->fares_cursor), "%s", j->fares_cursor);
            snprintf(p->avail_cursor, sizeof(p->avail_cursor), "%s", j->avail_cursor);
            p->st.last_sync = end;
            if (!j->incremental) {
                p->st.last_full = end;
                p->st.full_syncs++;
                p->avail_from = j->ok_from; /* incremental passes ask for these dates */
                p->avail_to = j->ok_to;
            }
            p->st.full_done = 1;
        } else {
            p->st.failures++;
            if (result == CT_OK)
                result = CT_ERR;
        }
        p->st.last_seconds = secs;
        pthread_mutex_unlock(&ing->stats_mu);
    }
    int ok = 0, full = 0;
    pthread_mutex_lock(&ing->stats_mu);
    for (int i = 0; i < ing->nprov; i++) {
        after += ing->prov[i].st.fares_applied + ing->prov[i].st.seats_applied;
        ok += jobs[i].st == ST_DONE;
        full += !jobs[i].incremental;
    }
    pthread_mutex_unlock(&ing->stats_mu);
    if (result != CT_AGAIN) {
        char a[32], b[16], c[24], d[32];
        snprintf(a, sizeof(a), "%d/%d", ok, ing->nprov);
        snprintf(b, sizeof(b), "%d", full);
        snprintf(c, sizeof(c), "%llu", (unsigned long long)(after - before));
        snprintf(d, sizeof(d), "%.3f", secs);
        ct_log(CT_LOG_INFO, "ingest.synced", "providers_ok", a, "full", b, "records", c, "seconds",
               d, NULL);
    }
    ct_free(jobs);
    return result;
}

ct_status ct_ingest_sync_once(ct_ingest *ing)
{
    pthread_mutex_lock(&ing->sync_mu);
    ct_status rc = run_sync(ing);
    pthread_mutex_unlock(&ing->sync_mu);
    return rc;
}

/* ---- the background thread ---- */

static void *loop(void *arg)
{
    ct_ingest *ing = arg;
    while (!atomic_load(&ing->stop)) {
        ct_status rc = ct_ingest_sync_once(ing);
        if (rc && rc != CT_AGAIN)
            ct_log(CT_LOG_WARN, "ingest.sync_incomplete", "error", ct_status_name(rc), NULL);
        if (rc != CT_AGAIN && ing->cfg.on_sync != NULL)
            ing->cfg.on_sync(ing->cfg.on_sync_ctx, ing, rc);
        pthread_mutex_lock(&ing->wake_mu);
        struct timespec until;
        clock_gettime(CLOCK_REALTIME, &until);
        until.tv_sec += ing->cfg.interval_s;
        while (!atomic_load(&ing->stop) &&
               pthread_cond_timedwait(&ing->wake, &ing->wake_mu, &until) == 0) {
        }
        pthread_mutex_unlock(&ing->wake_mu);
    }
    return NULL;
}

ct_status ct_ingest_start(ct_ingest *ing)
{
    if (ing->running)
        return CT_CONFLICT;
    atomic_store(&ing->stop, 0);
    if (pthread_create(&ing->thread, NULL, loop, ing) != 0)
        return CT_ERR;
    ing->running = 1;
    return CT_OK;
}

void ct_ingest_stop(ct_ingest *ing)
{
    if (ing == NULL || !ing->running)
        return;
    pthread_mutex_lock(&ing->wake_mu);
    atomic_store(&ing->stop, 1);
    pthread_cond_broadcast(&ing->wake);
    pthread_mutex_unlock(&ing->wake_mu);
    pthread_join(ing->thread, NULL);
    ing->running = 0;
    atomic_store(&ing->stop, 0); /* ct_ingest_sync_once works again */
}
