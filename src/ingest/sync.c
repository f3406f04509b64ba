/* sync.c: the sync driver: every provider at once over libcurl's multi interface.
 *
 * A sync runs one job per provider, each a sequence of requests with at most one in
 * flight (a page's token comes from the page before it), all jobs' requests multiplexed in
 * one curl multi handle and one thread, which also parses and applies each page as it
 * completes (so pricebook batches never interleave). A job's stages:
 *
 *   descriptor -> rates -> fares pages -> availability windows, each window's pages
 *
 * Full pass (until one succeeded): fares without a cursor; availability in windows of
 * chunk_days flight dates, the window holding `today` first, later ones next, earlier ones
 * last; the cursor kept is the first window's (the oldest instant). Incremental pass:
 * fares and availability (over the whole horizon, one window) from the kept cursors. New
 * cursors are kept only when the whole pass succeeded, so a failed pass is repeated.
 *
 * A request that fails in transport, times out, answers 5xx or 429, or whose body is not a
 * usable document is sent again after backoff_ms x 2^(attempt-1) (capped), up to
 * max_attempts; then the provider's job gives up for this sync. A 4xx is not retried: an
 * availability window the provider refuses (400/422: partly outside its horizon) is fetched
 * again day by day, the refused days skipped, and later incremental passes ask only for the
 * dates it accepted; any other 4xx ends the job. */
#define _GNU_SOURCE
#include <curl/curl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "base/alloc.h"
#include "base/log.h"
#include "base/strbuf.h"
#include "base/timeutil.h"
#include "ingest/ingest_internal.h"

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
    int attempt;
    int64_t retry_at; /* ms (monotonic) */
    CURL *easy;
    ct_strbuf body;
    char errbuf[CURL_ERROR_SIZE];
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
    pthread_mutex_destroy(&ing->sync_mu);
    pthread_mutex_destroy(&ing->stats_mu);
    pthread_mutex_destroy(&ing->wake_mu);
    pthread_cond_destroy(&ing->wake);
    ct_free(ing);
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
    ct_strbuf_init(&j->body, BODY_CAP);
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
    j->attempt = 0;
    j->retry_at = 0;
}

/* ---- requests ---- */

static size_t on_body(char *ptr, size_t size, size_t n, void *ud)
{
    job *j = ud;
    return ct_strbuf_append(&j->body, ptr, size * n) == CT_OK ? size * n : 0;
}

static ct_status send_request(ct_ingest *ing, CURLM *multi, job *j)
{
    char path[2048];
    int64_t a = 0, b = 0;
    ct_ingest_feed feed = j->st == ST_DESC    ? CT_FEED_DESCRIPTOR
                          : j->st == ST_RATES ? CT_FEED_RATES
                          : j->st == ST_FARES ? CT_FEED_FARES
                                              : CT_FEED_AVAIL;
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
    ct_strbuf_reset(&j->body);
    j->easy = curl_easy_init();
    if (j->easy == NULL)
        return CT_NOMEM;
    j->errbuf[0] = '\0';
    curl_easy_setopt(j->easy, CURLOPT_URL, j->url);
    curl_easy_setopt(j->easy, CURLOPT_WRITEFUNCTION, on_body);
    curl_easy_setopt(j->easy, CURLOPT_WRITEDATA, j);
    curl_easy_setopt(j->easy, CURLOPT_PRIVATE, j);
    curl_easy_setopt(j->easy, CURLOPT_TIMEOUT_MS, (long)ing->cfg.timeout_ms);
    curl_easy_setopt(j->easy, CURLOPT_CONNECTTIMEOUT_MS, 5000L);
    curl_easy_setopt(j->easy, CURLOPT_NOSIGNAL, 1L);
    curl_easy_setopt(j->easy, CURLOPT_ERRORBUFFER, j->errbuf);
    curl_easy_setopt(j->easy, CURLOPT_ACCEPT_ENCODING, "");
    curl_easy_setopt(j->easy, CURLOPT_USERAGENT, "contrail-ingest/1");
    if (curl_multi_add_handle(multi, j->easy) != CURLM_OK) {
        curl_easy_cleanup(j->easy);
        j->easy = NULL;
        return CT_ERR;
    }
    count(ing, &j->p->st.requests, 1);
    return CT_OK;
}

static void finish_handle(CURLM *multi, job *j)
{
    if (j->easy != NULL) {
        curl_multi_remove_handle(multi, j->easy);
        curl_easy_cleanup(j->easy);
        j->easy = NULL;
    }
}

static void retry_or_fail(ct_ingest *ing, job *j, const char *why)
{
    j->attempt++;
    char n[16];
    snprintf(n, sizeof(n), "%d", j->attempt);
    if (j->attempt >= ing->cfg.max_attempts) {
        ct_log(CT_LOG_ERROR, "ingest.gave_up", "provider", j->p->cfg.name, "attempts", n, "reason",
               why, NULL);
        j->st = ST_FAILED;
        return;
    }
    int64_t delay = ing->cfg.backoff_ms;
    for (int k = 1; k < j->attempt && delay < ing->cfg.backoff_max_ms; k++)
        delay *= 2;
    if (delay > ing->cfg.backoff_max_ms)
        delay = ing->cfg.backoff_max_ms;
    j->retry_at = mono_ms() + delay;
    ct_log(CT_LOG_INFO, "ingest.retry", "provider", j->p->cfg.name, "attempt", n, "reason", why,
           NULL);
    count(ing, &j->p->st.retries, 1);
}

/* Moves the job past a finished page (or window, or stage). */
static void advance(const ct_ingest *ing, job *j, const ct_ingest_page *page)
{
    j->attempt = 0;
    j->retry_at = 0;
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

static void on_done(ct_ingest *ing, CURLM *multi, job *j, CURLcode cc)
{
    long status = 0;
    curl_easy_getinfo(j->easy, CURLINFO_RESPONSE_CODE, &status);
    finish_handle(multi, j);
    char why[300];
    if (cc != CURLE_OK) {
        snprintf(why, sizeof(why), "%s", j->errbuf[0] ? j->errbuf : curl_easy_strerror(cc));
        retry_or_fail(ing, j, why);
        return;
    }
    if (status >= 500 || status == 429 || status == 408) {
        snprintf(why, sizeof(why), "HTTP %ld", status);
        retry_or_fail(ing, j, why);
        return;
    }
    ct_ingest_feed feed = j->st == ST_DESC    ? CT_FEED_DESCRIPTOR
                          : j->st == ST_RATES ? CT_FEED_RATES
                          : j->st == ST_FARES ? CT_FEED_FARES
                                              : CT_FEED_AVAIL;
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
                j->attempt = 0;
                return;
            }
            ct_log(CT_LOG_INFO, "ingest.window_refused", "provider", j->p->cfg.name, "status", st,
                   "url", j->url, "body", ct_strbuf_str(&j->body), NULL);
            if (j->day == 0)
                j->day = a; /* a one-day window: done with it below */
            advance(ing, j, NULL);
            return;
        }
        if (j->incremental && (feed == CT_FEED_FARES || feed == CT_FEED_AVAIL) && status >= 400 &&
            status < 500) {
            ct_log(CT_LOG_WARN, "ingest.cursor_refused", "provider", j->p->cfg.name, "feed",
                   ct_ingest_feed_name(feed), "status", st, "body", ct_strbuf_str(&j->body), NULL);
            job_restart_full(ing, j);
            return;
        }
        ct_log(CT_LOG_ERROR, "ingest.refused", "provider", j->p->cfg.name, "feed",
               ct_ingest_feed_name(feed), "status", st, "url", j->url, "body",
               ct_strbuf_str(&j->body), NULL);
        j->st = ST_FAILED;
        return;
    }
    ct_ingest_page page;
    char err[256];
    int digits = j->p->id >= 0 ? j->p->desc.minor_digits : 2;
    ct_status rc = ct_ingest_parse(j->p->cfg.dialect, feed, ct_strbuf_str(&j->body), j->body.len,
                                   digits, &page, err, sizeof(err));
    if (rc == CT_INVALID) {
        snprintf(why, sizeof(why), "unusable %s page: %s", ct_ingest_feed_name(feed), err);
        retry_or_fail(ing, j, why);
        return;
    }
    if (rc == CT_OK)
        rc = ct__apply(ing, j->p, &page, ++j->pageno);
    if (rc) {
        ct_log(CT_LOG_ERROR, "ingest.apply_failed", "provider", j->p->cfg.name, "feed",
               ct_ingest_feed_name(feed), "error", ct_status_name(rc), NULL);
        ct_ingest_page_clear(&page);
        j->st = ST_FAILED;
        return;
    }
    advance(ing, j, &page);
    ct_ingest_page_clear(&page);
}

/* ---- one sync ---- */

static ct_status run_sync(ct_ingest *ing)
{
    int64_t t0 = mono_ms();
    job *jobs = ct_calloc((size_t)ing->nprov + 1, sizeof(job));
    CURLM *multi = curl_multi_init();
    if (jobs == NULL || multi == NULL) {
        ct_free(jobs);
        if (multi != NULL)
            curl_multi_cleanup(multi);
        return CT_NOMEM;
    }
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
        int64_t now = mono_ms(), wait = 100;
        for (int i = 0; i < ing->nprov; i++) {
            job *j = &jobs[i];
            if (j->st == ST_DONE || j->st == ST_FAILED)
                continue;
            active++;
            if (j->easy != NULL)
                continue;
            if (j->retry_at > now) {
                wait = j->retry_at - now < wait ? j->retry_at - now : wait;
                continue;
            }
            if (send_request(ing, multi, j) != CT_OK)
                retry_or_fail(ing, j, "could not start a request");
        }
        if (active == 0)
            break;
        int running = 0;
        curl_multi_perform(multi, &running);
        CURLMsg *m;
        int left, finished = 0;
        while ((m = curl_multi_info_read(multi, &left)) != NULL) {
            if (m->msg != CURLMSG_DONE)
                continue;
            job *j = NULL;
            curl_easy_getinfo(m->easy_handle, CURLINFO_PRIVATE, (char **)&j);
            on_done(ing, multi, j, m->data.result);
            finished++;
        }
        /* A finished request lets its job send the next one at once; otherwise wait for
         * socket activity, a retry's time or 100 ms (to notice a stop). */
        if (finished == 0)
            curl_multi_poll(multi, NULL, 0, (int)(wait > 0 ? wait : 1), NULL);
    }
    int64_t end = ct_utc_now();
    double secs = (double)(mono_ms() - t0) / 1000.0;
    for (int i = 0; i < ing->nprov; i++) {
        job *j = &jobs[i];
        finish_handle(multi, j);
        ct_strbuf_free(&j->body);
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
    curl_multi_cleanup(multi);
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
