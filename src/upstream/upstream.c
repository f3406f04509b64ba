/* upstream.c: the request driver: attempts over libcurl's multi interface, retries with
 * full-jitter back-off, deadlines, and the completion callbacks.
 *
 * A driver is one curl multi handle and a doubly linked list of calls. The client's
 * asynchronous queue is one driver (ct_upstream_submit / ct_upstream_perform); each blocking
 * ct_upstream_call_sync makes a private driver on its own stack and drives it until its one
 * call finishes, so blocking calls never touch the async queue and may run in any thread.
 *
 * A call is always in one of three states:
 *   waiting  (easy == NULL, !finished): its next attempt starts at `due` (0 at submission);
 *   running  (easy != NULL): an attempt is in the multi handle;
 *   finished: its answer is in `rsp`; the callback runs at the end of this perform step,
 *             after which the call is freed.
 * Starting an attempt asks the partner's breaker first (fail fast when open), and caps the
 * attempt's time-out by what is left of the deadline. When an attempt ends, its outcome is
 * reported to the breaker and, if it failed and the request is idempotent with attempts and
 * time left, the call goes back to waiting with `due` = now + back-off; a back-off that would
 * end past the deadline ends the call instead, with the last attempt's answer. */
#define _GNU_SOURCE
#include <curl/curl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>
#include <unistd.h>

#include "base/alloc.h"
#include "base/log.h"
#include "base/trace.h"
#include "upstream/upstream_internal.h"

#define HEADERS_CAP ((size_t)64 << 10)

struct ct__driver {
    CURLM *multi;
    ct_upstream_call *head;
    uint64_t rng;
};

struct ct_upstream_call {
    ct_upstream_call *prev, *next;
    ct_upstream *up;
    ct__partner *partner; /* NULL: the partner table was full (fails at its first attempt) */
    char *method, *url, *body;
    size_t body_len;
    struct curl_slist *hdrs;
    int idempotent, max_attempts, timeout_ms;
    int64_t start, deadline, due; /* ms (monotonic); deadline 0: none */
    int attempt;                  /* attempts started */
    int probe;                    /* the running attempt holds the half-open probe */
    int finished;
    int over_cap;    /* the running attempt's body passed body_cap */
    int cut;         /* the running attempt's time-out is what was left of the deadline */
    ct_trace span;   /* the call's client span (span.trace_id "" without a caller's trace) */
    int64_t span_ns; /* its start (Unix ns) */
    CURL *easy;
    ct_strbuf rbody, rhead;
    char errbuf[CURL_ERROR_SIZE];
    ct_upstream_check check;
    void *check_ctx;
    const int *final_statuses;
    ct_upstream_done done;
    void *ctx;
    ct_upstream_response rsp;
};

int64_t ct__upstream_now_ms(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

static uint64_t next_rand(uint64_t *s) /* splitmix64 */
{
    uint64_t z = (*s += 0x9E3779B97F4A7C15ull);
    z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9ull;
    z = (z ^ (z >> 27)) * 0x94D049BB133111EBull;
    return z ^ (z >> 31);
}

/* ---- drivers ---- */

static ct_status driver_init(ct_upstream *up, ct__driver *d)
{
    memset(d, 0, sizeof(*d));
    d->multi = curl_multi_init();
    if (d->multi == NULL)
        return CT_NOMEM;
    pthread_mutex_lock(&up->mu);
    d->rng = next_rand(&up->seed);
    pthread_mutex_unlock(&up->mu);
    return CT_OK;
}

static void call_free(ct__driver *d, ct_upstream_call *c)
{
    if (c->easy != NULL) {
        curl_multi_remove_handle(d->multi, c->easy);
        curl_easy_cleanup(c->easy);
        c->easy = NULL;
        if (c->partner != NULL)
            ct__breaker_release(c->up, c->partner, c->probe);
    }
    if (c->prev != NULL)
        c->prev->next = c->next;
    else if (d->head == c)
        d->head = c->next;
    if (c->next != NULL)
        c->next->prev = c->prev;
    curl_slist_free_all(c->hdrs);
    ct_strbuf_free(&c->rbody);
    ct_strbuf_free(&c->rhead);
    ct_free(c->method);
    ct_free(c->url);
    ct_free(c->body);
    ct_free(c);
}

static void driver_free(ct__driver *d)
{
    while (d->head != NULL)
        call_free(d, d->head);
    if (d->multi != NULL)
        curl_multi_cleanup(d->multi);
    d->multi = NULL;
}

/* ---- lifetime ---- */

ct_status ct_upstream_new(const ct_upstream_config *cfg, ct_upstream **out)
{
    ct_status rc = CT_NOMEM;
    ct_upstream *up = ct_calloc(1, sizeof(*up));
    if (up == NULL)
        return CT_NOMEM;
    if (cfg != NULL)
        up->cfg = *cfg;
    ct_upstream_config *c = &up->cfg;
    snprintf(up->name, sizeof(up->name), "%s", c->name ? c->name : "upstream");
    snprintf(up->user_agent, sizeof(up->user_agent), "%s",
             c->user_agent ? c->user_agent : "contrail/1");
    c->name = up->name;
    c->user_agent = up->user_agent;
    c->max_attempts = c->max_attempts > 0 ? c->max_attempts : 4;
    c->backoff_ms = c->backoff_ms > 0 ? c->backoff_ms : 100;
    c->backoff_max_ms = c->backoff_max_ms > 0 ? c->backoff_max_ms : 5000;
    c->timeout_ms = c->timeout_ms > 0 ? c->timeout_ms : 15000;
    c->connect_timeout_ms = c->connect_timeout_ms > 0 ? c->connect_timeout_ms : 5000;
    c->retry_after_max_ms = c->retry_after_max_ms > 0 ? c->retry_after_max_ms : 60000;
    c->breaker_failures = c->breaker_failures != 0 ? c->breaker_failures : 5;
    c->breaker_cooldown_ms = c->breaker_cooldown_ms > 0 ? c->breaker_cooldown_ms : 30000;
    c->body_cap = c->body_cap > 0 ? c->body_cap : (size_t)16 << 20;
    up->seed = c->seed ? c->seed
                       : (uint64_t)ct__upstream_now_ms() * 0x9E3779B97F4A7C15ull ^
                             (uint64_t)getpid() ^ (uint64_t)(uintptr_t)up;
    pthread_mutex_init(&up->mu, NULL);
    up->async = ct_calloc(1, sizeof(*up->async));
    if (up->async == NULL)
        goto cleanup;
    rc = driver_init(up, up->async);
    if (rc)
        goto cleanup;
    *out = up;
    return CT_OK;
cleanup:
    ct_free(up->async);
    pthread_mutex_destroy(&up->mu);
    ct_free(up);
    return rc;
}

void ct_upstream_free(ct_upstream *up)
{
    if (up == NULL)
        return;
    driver_free(up->async);
    ct_free(up->async);
    pthread_mutex_destroy(&up->mu);
    ct_free(up);
}

/* ---- submitting ---- */

static int has_key_header(const char *const *headers)
{
    for (size_t i = 0; headers != NULL && headers[i] != NULL; i++)
        if (strncasecmp(headers[i], "Idempotency-Key:", 16) == 0)
            return 1;
    return 0;
}

static int idempotent_method(const char *m)
{
    static const char *const ok[] = {"GET", "HEAD", "PUT", "DELETE", "OPTIONS", "TRACE"};
    for (size_t i = 0; i < sizeof(ok) / sizeof(ok[0]); i++)
        if (strcasecmp(m, ok[i]) == 0)
            return 1;
    return 0;
}

/* The URL's scheme://host:port, the default partner name. */
static void origin_of(const char *url, char *out, size_t len)
{
    const char *p = strstr(url, "://");
    const char *end = p != NULL ? p + 3 : url;
    end += strcspn(end, "/?#");
    size_t n = (size_t)(end - url);
    if (n >= len)
        n = len - 1;
    memcpy(out, url, n);
    out[n] = '\0';
}

static ct_status call_new(ct_upstream *up, const ct_upstream_request *req, ct_upstream_done done,
                          void *ctx, ct_upstream_call **out)
{
    if (req == NULL || req->url == NULL || req->url[0] == '\0' || done == NULL)
        return CT_INVALID;
    ct_upstream_call *c = ct_calloc(1, sizeof(*c));
    if (c == NULL)
        return CT_NOMEM;
    c->up = up;
    ct_strbuf_init(&c->rbody, up->cfg.body_cap);
    ct_strbuf_init(&c->rhead, HEADERS_CAP);
    const char *method = req->method != NULL ? req->method : "GET";
    c->method = ct_strdup(method);
    c->url = ct_strdup(req->url);
    if (c->method == NULL || c->url == NULL)
        goto oom;
    if (req->body != NULL) {
        c->body = ct_malloc(req->body_len + 1);
        if (c->body == NULL)
            goto oom;
        memcpy(c->body, req->body, req->body_len);
        c->body[req->body_len] = '\0';
        c->body_len = req->body_len;
    }
    for (size_t i = 0; req->headers != NULL && req->headers[i] != NULL; i++) {
        struct curl_slist *s = curl_slist_append(c->hdrs, req->headers[i]);
        if (s == NULL)
            goto oom;
        c->hdrs = s;
    }
    if (req->idempotency_key != NULL) {
        char line[512];
        snprintf(line, sizeof(line), "Idempotency-Key: %s", req->idempotency_key);
        struct curl_slist *s = curl_slist_append(c->hdrs, line);
        if (s == NULL)
            goto oom;
        c->hdrs = s;
    }
    const ct_trace *trace = ct_trace_current();
    if (trace != NULL) { /* the caller's trace continues at the partner (base/trace.h) */
        ct_trace child;
        char line[96], tp[CT_TRACEPARENT_LEN + 1];
        ct_trace_child(trace, &child);
        c->span = child; /* reported when the call finishes (OTLP) */
        c->span_ns = ct_trace_now_ns();
        ct_trace_format(&child, tp, sizeof(tp));
        snprintf(line, sizeof(line), "traceparent: %s", tp);
        struct curl_slist *s = curl_slist_append(c->hdrs, line);
        if (s == NULL)
            goto oom;
        c->hdrs = s;
    }
    if (c->body != NULL || !idempotent_method(method)) {
        struct curl_slist *s = curl_slist_append(c->hdrs, "Expect:"); /* no 100-continue wait */
        if (s == NULL)
            goto oom;
        c->hdrs = s;
    }
    c->idempotent =
        idempotent_method(method) || req->idempotency_key != NULL || has_key_header(req->headers);
    c->max_attempts = req->max_attempts > 0 ? req->max_attempts : up->cfg.max_attempts;
    c->timeout_ms = req->timeout_ms > 0 ? req->timeout_ms : up->cfg.timeout_ms;
    c->start = ct__upstream_now_ms();
    c->deadline = req->deadline_ms > 0 ? c->start + req->deadline_ms : 0;
    char partner[64];
    if (req->partner != NULL)
        snprintf(partner, sizeof(partner), "%s", req->partner);
    else
        origin_of(req->url, partner, sizeof(partner));
    c->partner = ct__partner_get(up, partner);
    c->check = req->check;
    c->check_ctx = req->check_ctx;
    c->final_statuses = req->final_statuses;
    c->done = done;
    c->ctx = ctx;
    c->rsp.retry_after_ms = -1;
    *out = c;
    return CT_OK;
oom:
    curl_slist_free_all(c->hdrs);
    ct_strbuf_free(&c->rbody);
    ct_strbuf_free(&c->rhead);
    ct_free(c->method);
    ct_free(c->url);
    ct_free(c->body);
    ct_free(c);
    return CT_NOMEM;
}

static void link_call(ct__driver *d, ct_upstream_call *c)
{
    c->prev = NULL;
    c->next = d->head;
    if (d->head != NULL)
        d->head->prev = c;
    d->head = c;
}

ct_status ct_upstream_submit(ct_upstream *up, const ct_upstream_request *req, ct_upstream_done done,
                             void *ctx, ct_upstream_call **out)
{
    ct_upstream_call *c = NULL;
    ct_status rc = call_new(up, req, done, ctx, &c);
    if (rc)
        return rc;
    link_call(up->async, c);
    if (out != NULL)
        *out = c;
    return CT_OK;
}

void ct_upstream_cancel(ct_upstream *up, ct_upstream_call *call)
{
    if (call != NULL)
        call_free(up->async, call);
}

/* ---- attempts ---- */

static size_t on_body(char *ptr, size_t size, size_t n, void *ud)
{
    ct_upstream_call *c = ud;
    if (ct_strbuf_append(&c->rbody, ptr, size * n) == CT_OK)
        return size * n;
    c->over_cap = c->rbody.len + size * n > c->rbody.cap;
    return 0;
}

static size_t on_header(char *ptr, size_t size, size_t n, void *ud)
{
    ct_upstream_call *c = ud;
    if (size * n >= 5 && memcmp(ptr, "HTTP/", 5) == 0)
        ct_strbuf_reset(&c->rhead); /* a new response (after a 1xx): its headers only */
    (void)ct_strbuf_append(&c->rhead, ptr, size * n); /* over the cap: the rest is dropped */
    return size * n;
}

/* The call's client span, to the trace sink: "METHOD partner", every attempt included. */
static void report_span(const ct_upstream_call *c)
{
    if (!c->span.trace_id[0] || !ct_trace_sink_on())
        return;
    ct_trace_span span = {.ctx = c->span, .kind = 3, .start_ns = c->span_ns};
    span.end_ns = ct_trace_now_ns();
    span.http_status = (int)c->rsp.status;
    span.error = c->rsp.rc != CT_OK || c->rsp.status >= 500;
    snprintf(span.name, sizeof(span.name), "%s %s", c->method,
             c->partner ? c->partner->name : "partner");
    ct_trace_report(&span);
}

static void finish(ct_upstream_call *c, ct_status rc, const char *why)
{
    c->finished = 1;
    c->rsp.rc = rc;
    if (why != NULL) { /* truncated to fit */
        size_t n = strnlen(why, sizeof(c->rsp.error) - 1);
        memcpy(c->rsp.error, why, n);
        c->rsp.error[n] = '\0';
    }
}

/* Starts the call's next attempt, or finishes it (deadline passed, breaker open, no memory). */
static void start_attempt(ct__driver *d, ct_upstream_call *c, int64_t now)
{
    char why[sizeof(c->rsp.error) + 128];
    if (c->partner == NULL) {
        finish(c, CT_TOO_LARGE, "too many partners for one client");
        return;
    }
    int64_t timeout = c->timeout_ms;
    if (c->deadline > 0) {
        if (now >= c->deadline) {
            snprintf(why, sizeof(why), "deadline exceeded after %d attempts", c->attempt);
            finish(c, CT_AGAIN, why);
            return;
        }
        c->cut = c->deadline - now <= timeout;
        if (c->cut)
            timeout = c->deadline - now;
    }
    if (!ct__breaker_admit(c->up, c->partner, now, c->attempt > 0, &c->probe)) {
        if (c->attempt > 0)
            snprintf(why, sizeof(why), "circuit open for %s (after %d attempts: %.150s)",
                     c->partner->name, c->attempt, c->rsp.error);
        else
            snprintf(why, sizeof(why), "circuit open for %s", c->partner->name);
        finish(c, CT_UNAVAILABLE, why);
        return;
    }
    c->attempt++;
    ct_strbuf_reset(&c->rbody);
    ct_strbuf_reset(&c->rhead);
    c->errbuf[0] = '\0';
    c->over_cap = 0;
    CURL *e = curl_easy_init();
    if (e == NULL)
        goto nomem;
    curl_easy_setopt(e, CURLOPT_URL, c->url);
    curl_easy_setopt(e, CURLOPT_WRITEFUNCTION, on_body);
    curl_easy_setopt(e, CURLOPT_WRITEDATA, c);
    curl_easy_setopt(e, CURLOPT_HEADERFUNCTION, on_header);
    curl_easy_setopt(e, CURLOPT_HEADERDATA, c);
    curl_easy_setopt(e, CURLOPT_PRIVATE, c);
    curl_easy_setopt(e, CURLOPT_TIMEOUT_MS, (long)(timeout > 0 ? timeout : 1));
    curl_easy_setopt(e, CURLOPT_CONNECTTIMEOUT_MS, (long)c->up->cfg.connect_timeout_ms);
    curl_easy_setopt(e, CURLOPT_NOSIGNAL, 1L);
    curl_easy_setopt(e, CURLOPT_ERRORBUFFER, c->errbuf);
    curl_easy_setopt(e, CURLOPT_ACCEPT_ENCODING, "");
    curl_easy_setopt(e, CURLOPT_USERAGENT, c->up->user_agent);
    if (c->hdrs != NULL)
        curl_easy_setopt(e, CURLOPT_HTTPHEADER, c->hdrs);
    if (strcasecmp(c->method, "HEAD") == 0) {
        curl_easy_setopt(e, CURLOPT_NOBODY, 1L);
    } else if (c->body != NULL || strcasecmp(c->method, "GET") != 0) {
        curl_easy_setopt(e, CURLOPT_POSTFIELDSIZE_LARGE, (curl_off_t)c->body_len);
        curl_easy_setopt(e, CURLOPT_POSTFIELDS, c->body != NULL ? c->body : "");
        if (strcasecmp(c->method, "POST") != 0)
            curl_easy_setopt(e, CURLOPT_CUSTOMREQUEST, c->method);
    }
    if (curl_multi_add_handle(d->multi, e) != CURLM_OK) {
        curl_easy_cleanup(e);
        goto nomem;
    }
    c->easy = e;
    return;
nomem:
    ct__breaker_release(c->up, c->partner, c->probe);
    c->probe = 0;
    finish(c, CT_NOMEM, "could not start a request");
}

/* The delay before retry number `n` (1 = the first retry): full jitter over the capped
 * exponential, or the partner's Retry-After when that is longer. */
static int64_t backoff(ct__driver *d, const ct_upstream_call *c, int n)
{
    const ct_upstream_config *cfg = &c->up->cfg;
    int64_t cap = cfg->backoff_ms;
    for (int k = 1; k < n && cap < cfg->backoff_max_ms; k++)
        cap *= 2;
    if (cap > cfg->backoff_max_ms)
        cap = cfg->backoff_max_ms;
    int64_t delay = (int64_t)(next_rand(&d->rng) % (uint64_t)(cap + 1));
    if (c->rsp.retry_after_ms > delay)
        delay = c->rsp.retry_after_ms < cfg->retry_after_max_ms ? c->rsp.retry_after_ms
                                                                : cfg->retry_after_max_ms;
    return delay;
}

/* An attempt ended with curl's `cc`: classify, report to the breaker, retry or finish. */
/* A status the caller said is the partner's final answer (ct_upstream_request). */
static int is_final(const ct_upstream_call *c, long status)
{
    for (const int *s = c->final_statuses; s != NULL && *s != 0; s++) {
        if (*s == status)
            return 1;
    }
    return 0;
}

static void attempt_done(ct__driver *d, ct_upstream_call *c, CURLcode cc)
{
    long status = 0;
    curl_off_t retry_after = 0;
    curl_easy_getinfo(c->easy, CURLINFO_RESPONSE_CODE, &status);
    curl_easy_getinfo(c->easy, CURLINFO_RETRY_AFTER, &retry_after);
    curl_multi_remove_handle(d->multi, c->easy);
    curl_easy_cleanup(c->easy);
    c->easy = NULL;
    int64_t now = ct__upstream_now_ms();
    ct_upstream_response *r = &c->rsp;
    r->status = status;
    r->body = ct_strbuf_str(&c->rbody);
    r->body_len = c->rbody.len;
    r->headers = ct_strbuf_str(&c->rhead);
    r->attempts = c->attempt;
    r->retry_after_ms = retry_after > 0 ? (int64_t)retry_after * 1000 : -1;
    r->error[0] = '\0';
    ct_status rc = CT_OK;
    int failed = 0;
    if (cc == CURLE_WRITE_ERROR && c->over_cap) {
        rc = CT_TOO_LARGE; /* the partner answered: not a breaker failure, not retried */
        snprintf(r->error, sizeof(r->error), "response body over %zu bytes", c->rbody.cap);
    } else if (cc != CURLE_OK) {
        rc = cc == CURLE_OPERATION_TIMEDOUT ? CT_AGAIN : CT_IO;
        failed = 1;
        snprintf(r->error, sizeof(r->error), "%s",
                 c->errbuf[0] ? c->errbuf : curl_easy_strerror(cc));
    } else if ((status >= 500 || status == 429 || status == 408) && !is_final(c, status)) {
        failed = 1;
        snprintf(r->error, sizeof(r->error), "HTTP %ld", status);
    } else if (status >= 200 && status < 300 && c->check != NULL) {
        char why[200] = "";
        if (c->check(c->check_ctx, r, why, sizeof(why)) != 0) {
            rc = CT_ERR;
            failed = 1;
            snprintf(r->error, sizeof(r->error), "%s", why[0] ? why : "unusable answer");
        }
    }
    /* An attempt cut at the deadline that timed out has used the deadline up, even when
     * curl's clock (started a moment after ours) ends it a millisecond before it. */
    int deadline_over = c->deadline > 0 && rc == CT_AGAIN && (now >= c->deadline || c->cut);
    if (deadline_over)
        snprintf(r->error, sizeof(r->error), "deadline exceeded after %d attempts", c->attempt);
    ct__breaker_report(c->up, c->partner, failed, c->probe, now);
    c->probe = 0;
    if (!failed || !c->idempotent || c->attempt >= c->max_attempts || deadline_over) {
        finish(c, rc, NULL);
        return;
    }
    int64_t delay = backoff(d, c, c->attempt);
    if (c->deadline > 0 && now + delay >= c->deadline) {
        char why[sizeof(r->error)];
        snprintf(why, sizeof(why), "%.200s; no time for a retry before the deadline", r->error);
        finish(c, rc, why);
        return;
    }
    c->due = now + delay;
    char n[16], ms[24];
    snprintf(n, sizeof(n), "%d", c->attempt + 1);
    snprintf(ms, sizeof(ms), "%lld", (long long)delay);
    ct_log(CT_LOG_INFO, "upstream.retry", "client", c->up->name, "partner", c->partner->name,
           "attempt", n, "delay_ms", ms, "reason", r->error, NULL);
}

/* Starts due attempts, moves the transfers, handles ended attempts. Returns the earliest
 * `due` of the waiting calls (INT64_MAX when none). */
static int64_t step(ct__driver *d)
{
    int64_t now = ct__upstream_now_ms(), next = INT64_MAX;
    for (ct_upstream_call *c = d->head; c != NULL; c = c->next) {
        if (c->finished || c->easy != NULL)
            continue;
        if (c->due <= now)
            start_attempt(d, c, now);
    }
    int running = 0;
    curl_multi_perform(d->multi, &running);
    CURLMsg *m;
    int left;
    while ((m = curl_multi_info_read(d->multi, &left)) != NULL) {
        if (m->msg != CURLMSG_DONE)
            continue;
        ct_upstream_call *c = NULL;
        curl_easy_getinfo(m->easy_handle, CURLINFO_PRIVATE, (char **)&c);
        attempt_done(d, c, m->data.result);
    }
    for (ct_upstream_call *c = d->head; c != NULL; c = c->next)
        if (!c->finished && c->easy == NULL && c->due < next)
            next = c->due;
    return next;
}

/* Calls the callbacks of finished calls and frees them. Returns how many. */
static int deliver(ct__driver *d)
{
    ct_upstream_call *done = NULL;
    for (ct_upstream_call *c = d->head, *nx; c != NULL; c = nx) {
        nx = c->next;
        if (!c->finished)
            continue;
        if (c->prev != NULL) /* unlink, then keep on a private list */
            c->prev->next = c->next;
        else
            d->head = c->next;
        if (c->next != NULL)
            c->next->prev = c->prev;
        c->prev = NULL;
        c->next = done;
        done = c;
    }
    int n = 0;
    while (done != NULL) {
        ct_upstream_call *c = done;
        done = c->next;
        c->next = NULL;
        c->rsp.body = ct_strbuf_str(&c->rbody);
        c->rsp.body_len = c->rbody.len;
        c->rsp.headers = ct_strbuf_str(&c->rhead);
        c->rsp.elapsed_ms = ct__upstream_now_ms() - c->start;
        report_span(c);
        c->done(c->ctx, &c->rsp);
        call_free(d, c); /* unlinked: only its own memory */
        n++;
    }
    return n;
}

static int pending(const ct__driver *d)
{
    int n = 0;
    for (const ct_upstream_call *c = d->head; c != NULL; c = c->next)
        n++;
    return n;
}

/* One step; when nothing finished, a wait for the network (or the next retry's time, or
 * curl's own timers) and another step. */
static int perform(ct__driver *d, int wait_ms)
{
    int64_t next = step(d), now = ct__upstream_now_ms();
    if (deliver(d) > 0 || d->head == NULL)
        return pending(d);
    int64_t wait = wait_ms;
    if (next != INT64_MAX && next - now < wait)
        wait = next - now;
    if (wait > 0)
        curl_multi_poll(d->multi, NULL, 0, (int)wait, NULL);
    step(d);
    deliver(d);
    return pending(d);
}

int ct_upstream_perform(ct_upstream *up, int wait_ms)
{
    return perform(up->async, wait_ms);
}

/* ---- blocking ---- */

typedef struct sync_slot {
    ct_upstream_response *out;
    ct_status rc;
    int done;
} sync_slot;

static void on_sync_done(void *ctx, const ct_upstream_response *rsp)
{
    sync_slot *s = ctx;
    ct_upstream_response *o = s->out;
    *o = *rsp;
    o->own_body = ct_strndup(rsp->body, rsp->body_len);
    o->own_headers = ct_strdup(rsp->headers);
    if (o->own_body == NULL || o->own_headers == NULL) {
        ct_free(o->own_body);
        ct_free(o->own_headers);
        o->own_body = o->own_headers = NULL;
        o->rc = CT_NOMEM;
        snprintf(o->error, sizeof(o->error), "out of memory copying the answer");
    }
    o->body = o->own_body != NULL ? o->own_body : "";
    o->body_len = o->own_body != NULL ? rsp->body_len : 0;
    o->headers = o->own_headers != NULL ? o->own_headers : "";
    s->done = 1;
}

ct_status ct_upstream_call_sync(ct_upstream *up, const ct_upstream_request *req,
                                ct_upstream_response *rsp)
{
    memset(rsp, 0, sizeof(*rsp));
    rsp->body = rsp->headers = "";
    rsp->retry_after_ms = -1;
    ct__driver d;
    ct_status rc = driver_init(up, &d);
    if (rc) {
        rsp->rc = rc;
        return rc;
    }
    sync_slot slot = {rsp, CT_OK, 0};
    ct_upstream_call *c = NULL;
    rc = call_new(up, req, on_sync_done, &slot, &c);
    if (rc)
        goto cleanup;
    link_call(&d, c);
    while (!slot.done)
        perform(&d, 1000);
    rc = rsp->rc;
cleanup:
    driver_free(&d);
    rsp->rc = rc;
    return rc;
}

void ct_upstream_response_free(ct_upstream_response *rsp)
{
    if (rsp == NULL)
        return;
    ct_free(rsp->own_body);
    ct_free(rsp->own_headers);
    rsp->own_body = rsp->own_headers = NULL;
    rsp->body = rsp->headers = "";
    rsp->body_len = 0;
}

int ct_upstream_response_header(const ct_upstream_response *rsp, const char *name, char *out,
                                size_t len)
{
    size_t n = strlen(name);
    for (const char *p = rsp->headers; p != NULL && *p;) {
        const char *eol = strchr(p, '\n');
        size_t line = eol != NULL ? (size_t)(eol - p) : strlen(p);
        if (line > n && strncasecmp(p, name, n) == 0 && p[n] == ':') {
            const char *v = p + n + 1, *end = p + line;
            while (v < end && (*v == ' ' || *v == '\t'))
                v++;
            while (end > v && (end[-1] == '\r' || end[-1] == ' ' || end[-1] == '\t'))
                end--;
            size_t k = (size_t)(end - v) < len - 1 ? (size_t)(end - v) : len - 1;
            memcpy(out, v, k);
            out[k] = '\0';
            return 1;
        }
        p = eol != NULL ? eol + 1 : NULL;
    }
    if (len > 0)
        out[0] = '\0';
    return 0;
}
