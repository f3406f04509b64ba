/* test_upstream.c: the partner HTTP client against a real server over loopback.
 *
 * The server is the project's own (http/http.h) with one route, /r/{name}: each name is a
 * scripted partner (`script` below) that answers its first `fail_first` hits with
 * `fail_status` (and a Retry-After when set), optionally after a delay, and then 200 "good".
 * Every hit is recorded on the server side (time, Idempotency-Key), so the tests count what
 * really reached the partner: retries and their spacing, keys, fail-fast while a breaker is
 * open, the one half-open probe. */
#define _GNU_SOURCE
#include "ct_test.h"

#include <curl/curl.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <string.h>
#include <time.h>

#include "base/strbuf.h"
#include "http/http.h"
#include "base/trace.h"
#include "upstream/upstream.h"

#define MAX_HITS 64

typedef struct script {
    const char *name;
    int fail_first;          /* hits answered with fail_status */
    int fail_status;         /* 200 with body "bad": an unusable answer */
    const char *retry_after; /* on failures; NULL: none */
    int delay_ms;            /* before every answer */
    pthread_mutex_t mu;
    int hits;
    int64_t at[MAX_HITS]; /* ms (monotonic) of each hit */
    char key[MAX_HITS][64];
    char method[MAX_HITS][8];
    char traceparent[MAX_HITS][64];
} script;

static script scripts[] = {
    {.name = "flaky"}, {.name = "post"}, {.name = "slow"}, {.name = "limited"}, {.name = "down"},
    {.name = "bad"},   {.name = "a"},    {.name = "b"},    {.name = "c"},
};
#define NSCRIPTS (sizeof(scripts) / sizeof(scripts[0]))

static ct_router *router;
static ct_http_server *server;
static int port;
/* Three more servers on the same routes: partners on separate hosts for the concurrency test
 * (one server may take several connections on one thread and answer them in turn). */
static ct_http_server *more[3];
static int more_port[3];

static int64_t now_ms(void)
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

static script *find(const char *name)
{
    for (size_t i = 0; i < NSCRIPTS; i++)
        if (strcmp(scripts[i].name, name) == 0)
            return &scripts[i];
    return NULL;
}

static void reset(script *s, int fail_first, int fail_status, const char *retry_after, int delay_ms)
{
    pthread_mutex_lock(&s->mu);
    s->fail_first = fail_first;
    s->fail_status = fail_status;
    s->retry_after = retry_after;
    s->delay_ms = delay_ms;
    s->hits = 0;
    pthread_mutex_unlock(&s->mu);
}

static int hits(script *s)
{
    pthread_mutex_lock(&s->mu);
    int n = s->hits;
    pthread_mutex_unlock(&s->mu);
    return n;
}

static void on_route(ct_http_req *req, void *ctx)
{
    (void)ctx;
    script *s = find(ct_http_param(req, "name"));
    if (s == NULL) {
        ct_http_reply(req, 404, "text/plain", "no such script", 14);
        return;
    }
    pthread_mutex_lock(&s->mu);
    int n = s->hits < MAX_HITS ? s->hits : MAX_HITS - 1;
    s->at[n] = now_ms();
    const char *key = ct_http_header(req, "Idempotency-Key");
    snprintf(s->key[n], sizeof(s->key[n]), "%s", key ? key : "");
    snprintf(s->method[n], sizeof(s->method[n]), "%s", ct_http_method(req));
    const char *tp = ct_http_header(req, "traceparent");
    snprintf(s->traceparent[n], sizeof(s->traceparent[n]), "%s", tp ? tp : "");
    int fail = ++s->hits <= s->fail_first;
    int status = s->fail_status, delay = s->delay_ms;
    const char *retry_after = s->retry_after;
    pthread_mutex_unlock(&s->mu);
    if (delay > 0)
        sleep_ms(delay);
    if (!fail) {
        ct_http_reply(req, 200, "text/plain", "good", 4);
        return;
    }
    if (retry_after != NULL)
        ct_http_add_header(req, "Retry-After", retry_after);
    ct_http_reply(req, status, "text/plain", "bad", 3);
}

static int setup(void **state)
{
    (void)state;
    curl_global_init(CURL_GLOBAL_DEFAULT);
    for (size_t i = 0; i < NSCRIPTS; i++)
        pthread_mutex_init(&scripts[i].mu, NULL);
    router = ct_router_create();
    assert_non_null(router);
    static const char *const methods[] = {"GET", "POST", "PUT", "DELETE"};
    for (size_t i = 0; i < 4; i++)
        assert_int_equal(ct_router_add(router, methods[i], "/r/{name}", on_route, NULL), CT_OK);
    ct_http_options o = {.threads = 8, .any_body_type = 1}; /* the scripts take any body */
    assert_int_equal(ct_http_server_start(&o, router, &server), CT_OK);
    port = ct_http_server_port(server);
    for (int i = 0; i < 3; i++) {
        assert_int_equal(ct_http_server_start(&o, router, &more[i]), CT_OK);
        more_port[i] = ct_http_server_port(more[i]);
    }
    return 0;
}

static int teardown(void **state)
{
    (void)state;
    ct_http_server_stop(server);
    for (int i = 0; i < 3; i++)
        ct_http_server_stop(more[i]);
    ct_router_destroy(router);
    curl_global_cleanup();
    return 0;
}

static void url_of(const char *name, char *out, size_t len)
{
    snprintf(out, len, "http://127.0.0.1:%d/r/%s", port, name);
}

static ct_upstream *client(int max_attempts, int backoff_ms, int backoff_max_ms, int breaker)
{
    ct_upstream_config c = {.name = "test",
                            .max_attempts = max_attempts,
                            .backoff_ms = backoff_ms,
                            .backoff_max_ms = backoff_max_ms,
                            .breaker_failures = breaker,
                            .breaker_cooldown_ms = 300,
                            .seed = 7};
    ct_upstream *up = NULL;
    assert_int_equal(ct_upstream_new(&c, &up), CT_OK);
    return up;
}

/* A GET failing with 503 three times is retried until it succeeds, each wait within the
 * full-jitter bound (base 40 ms doubled, capped at 100 ms) plus scheduling slack (generous:
 * a loaded 2-core machine delays threads by hundreds of milliseconds; the waits' spread is
 * checked below without a clock). */
static void idempotent_get_is_retried_until_success(void **state)
{
    (void)state;
    script *s = find("flaky");
    reset(s, 3, 503, NULL, 0);
    ct_upstream *up = client(5, 40, 100, -1);
    char url[128];
    url_of("flaky", url, sizeof(url));
    ct_upstream_request req = {.url = url, .partner = "flaky"};
    ct_upstream_response rsp;
    assert_int_equal(ct_upstream_call_sync(up, &req, &rsp), CT_OK);
    assert_int_equal(rsp.status, 200);
    assert_string_equal(rsp.body, "good");
    assert_int_equal(rsp.attempts, 4);
    assert_int_equal(hits(s), 4);
    static const int64_t bound[] = {40, 80, 100};
    for (int i = 1; i < 4; i++) {
        int64_t gap = s->at[i] - s->at[i - 1];
        fprintf(stderr, "retry %d after %lld ms (bound %lld)\n", i, (long long)gap,
                (long long)bound[i - 1]);
        assert_true(gap <= bound[i - 1] + 1000);
    }
    ct_upstream_response_free(&rsp);
    ct_upstream_stats st[4];
    assert_int_equal(ct_upstream_stats_get(up, st, 4), 1);
    assert_string_equal(st[0].partner, "flaky");
    assert_int_equal(st[0].attempts, 4);
    assert_int_equal(st[0].retries, 3);
    assert_int_equal(st[0].failures, 3);
    /* Out of attempts: the last 503 is the answer. */
    reset(s, 10, 503, NULL, 0);
    req.max_attempts = 2;
    assert_int_equal(ct_upstream_call_sync(up, &req, &rsp), CT_OK);
    assert_int_equal(rsp.status, 503);
    assert_int_equal(rsp.attempts, 2);
    assert_int_equal(hits(s), 2);
    ct_upstream_response_free(&rsp);
    /* A 4xx is an answer, not retried. */
    reset(s, 10, 404, NULL, 0);
    req.max_attempts = 0;
    assert_int_equal(ct_upstream_call_sync(up, &req, &rsp), CT_OK);
    assert_int_equal(rsp.status, 404);
    assert_int_equal(hits(s), 1);
    ct_upstream_response_free(&rsp);
    ct_upstream_free(up);
}

/* Tracing (base/trace.h): a call made while a span is current sends a child span's
 * traceparent of the same trace; the partner (a ct_http server) answers with its own span of
 * that trace; without a current span nothing is sent. */
static void calls_carry_the_trace(void **state)
{
    (void)state;
    script *s = find("a");
    reset(s, 0, 200, NULL, 0);
    ct_upstream *up = client(1, 10, 10, -1);
    char url[128];
    url_of("a", url, sizeof(url));
    ct_upstream_request req = {.url = url, .partner = "a"};
    ct_upstream_response rsp;
    ct_trace t, got;
    ct_trace_start(&t, NULL);
    ct_trace_set_current(&t);
    assert_int_equal(ct_upstream_call_sync(up, &req, &rsp), CT_OK);
    ct_trace_set_current(NULL);
    assert_int_equal(rsp.status, 200);
    assert_true(ct_trace_parse(s->traceparent[0], &got));
    assert_string_equal(got.trace_id, t.trace_id);
    assert_string_not_equal(got.parent_id, t.span_id); /* a child span of the caller's */
    char want[64];
    snprintf(want, sizeof(want), "traceparent: 00-%s-", t.trace_id);
    if (strcasestr(rsp.headers, want) == NULL)
        fail_msg("the partner did not answer in the trace: %s", rsp.headers);
    ct_upstream_response_free(&rsp);
    assert_int_equal(ct_upstream_call_sync(up, &req, &rsp), CT_OK);
    assert_string_equal(s->traceparent[1], "");
    ct_upstream_response_free(&rsp);
    ct_upstream_free(up);
}

/* Full jitter: over many retries the waits spread over [0, cap], not all at the cap. */
static void backoff_is_jittered(void **state)
{
    (void)state;
    script *s = find("flaky");
    reset(s, 12, 503, NULL, 0);
    ct_upstream *up = client(13, 60, 60, -1);
    char url[128];
    url_of("flaky", url, sizeof(url));
    ct_upstream_request req = {.url = url};
    ct_upstream_response rsp;
    assert_int_equal(ct_upstream_call_sync(up, &req, &rsp), CT_OK);
    assert_int_equal(rsp.status, 200);
    int below_half = 0;
    for (int i = 1; i < 13; i++) {
        int64_t gap = s->at[i] - s->at[i - 1];
        assert_true(gap <= 60 + 1000); /* scheduling slack on a loaded machine */
        below_half += gap < 30;
    }
    fprintf(stderr, "%d of 12 waits under half the cap\n", below_half);
    assert_true(below_half >= 2 && below_half <= 10);
    ct_upstream_response_free(&rsp);
    ct_upstream_free(up);
}

/* A POST without a key is sent once, whatever happens; with a key it is retried, with the
 * same key on every attempt. */
static void post_is_retried_only_with_an_idempotency_key(void **state)
{
    (void)state;
    script *s = find("post");
    ct_upstream *up = client(5, 5, 20, -1);
    char url[128];
    url_of("post", url, sizeof(url));
    ct_upstream_request req = {.url = url, .method = "POST", .body = "{}", .body_len = 2};
    ct_upstream_response rsp;
    reset(s, 3, 503, NULL, 0);
    assert_int_equal(ct_upstream_call_sync(up, &req, &rsp), CT_OK);
    assert_int_equal(rsp.status, 503);
    assert_int_equal(rsp.attempts, 1);
    assert_int_equal(hits(s), 1);
    ct_upstream_response_free(&rsp);
    /* A transport error (nothing listens): not retried either. */
    ct_upstream_request dead = req;
    dead.url = "http://127.0.0.1:1/r/post";
    assert_int_equal(ct_upstream_call_sync(up, &dead, &rsp), CT_IO);
    assert_int_equal(rsp.attempts, 1);
    ct_upstream_response_free(&rsp);
    /* With a key. */
    reset(s, 3, 503, NULL, 0);
    req.idempotency_key = "order-42-payment";
    assert_int_equal(ct_upstream_call_sync(up, &req, &rsp), CT_OK);
    assert_int_equal(rsp.status, 200);
    assert_int_equal(rsp.attempts, 4);
    assert_int_equal(hits(s), 4);
    for (int i = 0; i < 4; i++) {
        assert_string_equal(s->key[i], "order-42-payment");
        assert_string_equal(s->method[i], "POST");
    }
    ct_upstream_response_free(&rsp);
    /* The key as a header line does the same. */
    reset(s, 1, 500, NULL, 0);
    const char *headers[] = {"Content-Type: application/json", "Idempotency-Key: k-7", NULL};
    req.idempotency_key = NULL;
    req.headers = headers;
    assert_int_equal(ct_upstream_call_sync(up, &req, &rsp), CT_OK);
    assert_int_equal(rsp.status, 200);
    assert_int_equal(hits(s), 2);
    assert_string_equal(s->key[0], "k-7");
    assert_string_equal(s->key[1], "k-7");
    ct_upstream_response_free(&rsp);
    ct_upstream_free(up);
}

/* A 429's Retry-After is waited even when the back-off is shorter; one that would pass the
 * deadline ends the call at once with the 429. */
static void retry_after_is_honoured_within_the_deadline(void **state)
{
    (void)state;
    script *s = find("limited");
    ct_upstream *up = client(3, 1, 1, -1);
    char url[128];
    url_of("limited", url, sizeof(url));
    ct_upstream_request req = {.url = url};
    ct_upstream_response rsp;
    reset(s, 1, 429, "1", 0);
    assert_int_equal(ct_upstream_call_sync(up, &req, &rsp), CT_OK);
    assert_int_equal(rsp.status, 200);
    assert_int_equal(hits(s), 2);
    int64_t gap = s->at[1] - s->at[0];
    fprintf(stderr, "Retry-After: 1 -> retried after %lld ms\n", (long long)gap);
    assert_true(gap >= 950 && gap < 1500);
    ct_upstream_response_free(&rsp);
    reset(s, 1, 429, "1", 0);
    req.deadline_ms = 400;
    int64_t t0 = now_ms();
    assert_int_equal(ct_upstream_call_sync(up, &req, &rsp), CT_OK);
    assert_int_equal(rsp.status, 429);
    assert_int_equal(rsp.retry_after_ms, 1000);
    char v[16];
    assert_int_equal(ct_upstream_response_header(&rsp, "retry-after", v, sizeof(v)), 1);
    assert_string_equal(v, "1");
    assert_int_equal(ct_upstream_response_header(&rsp, "X-Nothing", v, sizeof(v)), 0);
    assert_true(now_ms() - t0 < 300);
    assert_int_equal(hits(s), 1);
    ct_upstream_response_free(&rsp);
    ct_upstream_free(up);
}

/* A slow partner: the call ends within its deadline (plus slack) whatever the attempts'
 * time-outs, having tried more than once. */
static void deadline_is_respected(void **state)
{
    (void)state;
    script *s = find("slow");
    reset(s, 0, 0, NULL, 1200);
    ct_upstream *up = client(10, 5, 20, -1);
    char url[128];
    url_of("slow", url, sizeof(url));
    ct_upstream_request req = {.url = url, .deadline_ms = 700, .timeout_ms = 250};
    ct_upstream_response rsp;
    int64_t t0 = now_ms();
    assert_int_equal(ct_upstream_call_sync(up, &req, &rsp), CT_AGAIN);
    int64_t took = now_ms() - t0;
    fprintf(stderr, "deadline 700 ms: gave up after %lld ms, %d attempts (%s)\n", (long long)took,
            rsp.attempts, rsp.error);
    assert_true(took >= 650 && took <= 700 + 150);
    assert_true(rsp.attempts >= 2);
    assert_int_equal(rsp.status, 0);
    ct_upstream_response_free(&rsp);
    /* One attempt whose own time-out is longer than the deadline: cut at the deadline. */
    req.timeout_ms = 5000;
    req.deadline_ms = 300;
    t0 = now_ms();
    assert_int_equal(ct_upstream_call_sync(up, &req, &rsp), CT_AGAIN);
    took = now_ms() - t0;
    assert_true(took >= 280 && took <= 300 + 150);
    assert_int_equal(rsp.attempts, 1);
    ct_upstream_response_free(&rsp);
    ct_upstream_free(up);
    sleep_ms(1300); /* let the server's handlers finish */
}

typedef struct outcome {
    int calls;
    ct_status rc;
    long status;
    int attempts;
} outcome;

static void on_done(void *ctx, const ct_upstream_response *rsp)
{
    outcome *o = ctx;
    o->calls++;
    o->rc = rsp->rc;
    o->status = rsp->status;
    o->attempts = rsp->attempts;
}

static int metrics_has(ct_upstream *up, const char *line)
{
    ct_strbuf sb;
    ct_strbuf_init(&sb, 1 << 16);
    assert_int_equal(ct_upstream_metrics_write(up, &sb), CT_OK);
    int found = strstr(ct_strbuf_str(&sb), line) != NULL;
    if (!found)
        fprintf(stderr, "metrics lack \"%s\":\n%s", line, ct_strbuf_str(&sb));
    ct_strbuf_free(&sb);
    return found;
}

/* Several clients in one exposition (/metrics shows the feeds', the providers', the
 * processor's, the webhooks' and the SMS clients): each family's HELP and TYPE exactly once,
 * its rows together under them, every client's rows present. Prometheus refuses a family
 * written twice. */
static void several_clients_share_one_block_per_family(void **state)
{
    (void)state;
    script *s = find("flaky");
    ct_upstream_config other = {.name = "other", .max_attempts = 1, .seed = 7};
    ct_upstream *ups[3] = {client(1, 1, 1, -1), NULL, NULL};
    assert_int_equal(ct_upstream_new(&other, &ups[2]), CT_OK);
    char url[128];
    url_of("flaky", url, sizeof(url));
    ct_upstream_request req = {.url = url, .partner = "flaky"};
    ct_upstream_response rsp;
    for (int i = 0; i < 3; i += 2) {
        reset(s, 0, 503, NULL, 0);
        assert_int_equal(ct_upstream_call_sync(ups[i], &req, &rsp), CT_OK);
        ct_upstream_response_free(&rsp);
    }
    ct_strbuf sb;
    ct_strbuf_init(&sb, 1 << 16);
    assert_int_equal(ct_upstream_metrics_write_all(ups, 3, &sb), CT_OK);
    const char *text = ct_strbuf_str(&sb);
    char family[96] = "";
    int families = 0;
    for (const char *line = text; *line;) {
        const char *end = strchr(line, '\n');
        size_t n = end ? (size_t)(end - line) : strlen(line);
        char l[512];
        snprintf(l, sizeof(l), "%.*s", (int)n, line);
        if (strncmp(l, "# TYPE ", 7) == 0) {
            char name[96];
            assert_int_equal(sscanf(l + 7, "%95s", name), 1);
            char needle[128];
            snprintf(needle, sizeof(needle), "# TYPE %s ", name);
            assert_ptr_equal(strstr(text, needle), line); /* the only TYPE of the family */
            snprintf(needle, sizeof(needle), "# HELP %s ", name);
            const char *help = strstr(text, needle);
            assert_non_null(help);
            assert_null(strstr(help + 1, needle));
            snprintf(family, sizeof(family), "%s", name);
            families++;
        } else if (l[0] != '#' && l[0] != '\0') {
            /* a row belongs to the family whose block it is in */
            assert_int_equal(strncmp(l, family, strlen(family)), 0);
            assert_true(l[strlen(family)] == '{');
        }
        line += n + (end != NULL);
    }
    assert_int_equal(families, 7);
    assert_non_null(
        strstr(text, "contrail_upstream_attempts_total{client=\"test\",partner=\"flaky\"} 1"));
    assert_non_null(
        strstr(text, "contrail_upstream_attempts_total{client=\"other\",partner=\"flaky\"} 1"));
    ct_strbuf_free(&sb);
    ct_upstream_free(ups[0]);
    ct_upstream_free(ups[2]);
}

/* The breaker: three failures open it; open fails fast (nothing reaches the server); after
 * the cool-down exactly one probe goes through while the others fail fast; a failed probe
 * opens it again, a successful one closes it; the states show in the metrics text. */
static void breaker_opens_fails_fast_and_probes(void **state)
{
    (void)state;
    script *s = find("down");
    reset(s, 1000, 503, NULL, 0);
    ct_upstream *up = client(1, 5, 5, 3);
    char url[128];
    url_of("down", url, sizeof(url));
    ct_upstream_request req = {.url = url, .partner = "down"};
    ct_upstream_response rsp;
    for (int i = 0; i < 3; i++) {
        assert_int_equal(ct_upstream_breaker_state(up, "down"), CT_BREAKER_CLOSED);
        assert_int_equal(ct_upstream_call_sync(up, &req, &rsp), CT_OK);
        assert_int_equal(rsp.status, 503);
        ct_upstream_response_free(&rsp);
    }
    assert_int_equal(ct_upstream_breaker_state(up, "down"), CT_BREAKER_OPEN);
    assert_true(
        metrics_has(up, "contrail_upstream_breaker_state{client=\"test\",partner=\"down\"} 1"));
    /* Open: fails fast, the server sees nothing. */
    int64_t t0 = now_ms();
    for (int i = 0; i < 5; i++) {
        assert_int_equal(ct_upstream_call_sync(up, &req, &rsp), CT_UNAVAILABLE);
        assert_int_equal(rsp.attempts, 0);
        assert_int_equal(rsp.status, 0);
        assert_non_null(strstr(rsp.error, "circuit open"));
        ct_upstream_response_free(&rsp);
    }
    assert_true(now_ms() - t0 < 100);
    assert_int_equal(hits(s), 3);
    /* Half-open after the cool-down: of three requests at once, one probe reaches the server
     * (slowly, so the others ask while it is out), and it fails. */
    sleep_ms(350);
    reset(s, 1000, 503, NULL, 200);
    outcome o[3] = {{0}};
    for (int i = 0; i < 3; i++)
        assert_int_equal(ct_upstream_submit(up, &req, on_done, &o[i], NULL), CT_OK);
    ct_upstream_perform(up, 50);
    assert_int_equal(ct_upstream_breaker_state(up, "down"), CT_BREAKER_HALF_OPEN);
    assert_true(
        metrics_has(up, "contrail_upstream_breaker_state{client=\"test\",partner=\"down\"} 2"));
    while (ct_upstream_perform(up, 100) > 0) {
    }
    int probes = 0, fast = 0;
    for (int i = 0; i < 3; i++) {
        assert_int_equal(o[i].calls, 1);
        probes += o[i].rc == CT_OK && o[i].status == 503 && o[i].attempts == 1;
        fast += o[i].rc == CT_UNAVAILABLE && o[i].attempts == 0;
    }
    assert_int_equal(probes, 1);
    assert_int_equal(fast, 2);
    assert_int_equal(hits(s), 1);
    assert_int_equal(ct_upstream_breaker_state(up, "down"), CT_BREAKER_OPEN);
    assert_int_equal(ct_upstream_call_sync(up, &req, &rsp), CT_UNAVAILABLE); /* cool-down again */
    ct_upstream_response_free(&rsp);
    /* The partner is back: after the cool-down the probe succeeds and closes the breaker. */
    sleep_ms(350);
    reset(s, 0, 503, NULL, 0);
    assert_int_equal(ct_upstream_call_sync(up, &req, &rsp), CT_OK);
    assert_int_equal(rsp.status, 200);
    ct_upstream_response_free(&rsp);
    assert_int_equal(ct_upstream_breaker_state(up, "down"), CT_BREAKER_CLOSED);
    assert_int_equal(ct_upstream_call_sync(up, &req, &rsp), CT_OK);
    ct_upstream_response_free(&rsp);
    assert_int_equal(hits(s), 2);
    ct_upstream_stats st[2];
    assert_int_equal(ct_upstream_stats_get(up, st, 2), 1);
    assert_int_equal(st[0].opened, 2);
    assert_int_equal(st[0].rejected, 5 + 2 + 1);
    assert_int_equal(st[0].attempts, 3 + 1 + 2);
    assert_true(
        metrics_has(up, "contrail_upstream_breaker_state{client=\"test\",partner=\"down\"} 0"));
    assert_true(metrics_has(
        up, "contrail_upstream_breaker_opened_total{client=\"test\",partner=\"down\"} 2"));
    assert_true(
        metrics_has(up, "contrail_upstream_rejected_total{client=\"test\",partner=\"down\"} 8"));
    assert_true(metrics_has(up, "# TYPE contrail_upstream_attempts_total counter"));
    ct_upstream_free(up);
}

/* A 4xx is a success for the breaker (the partner answered); so a failure run broken by one
 * resets the count. */
static void breaker_counts_only_consecutive_failures(void **state)
{
    (void)state;
    script *s = find("down");
    ct_upstream *up = client(1, 5, 5, 3);
    char url[128];
    url_of("down", url, sizeof(url));
    ct_upstream_request req = {.url = url, .partner = "down"};
    ct_upstream_response rsp;
    for (int round = 0; round < 3; round++) {
        reset(s, 2, 503, NULL, 0);
        for (int i = 0; i < 3; i++) {
            assert_int_equal(ct_upstream_call_sync(up, &req, &rsp), CT_OK);
            ct_upstream_response_free(&rsp);
        }
        reset(s, 1, 404, NULL, 0);
        assert_int_equal(ct_upstream_call_sync(up, &req, &rsp), CT_OK);
        assert_int_equal(rsp.status, 404);
        ct_upstream_response_free(&rsp);
    }
    assert_int_equal(ct_upstream_breaker_state(up, "down"), CT_BREAKER_CLOSED);
    ct_upstream_free(up);
}

static int check_good(void *ctx, const ct_upstream_response *rsp, char *why, size_t len)
{
    (void)ctx;
    if (strcmp(rsp->body, "good") == 0)
        return 0;
    snprintf(why, len, "body is \"%s\"", rsp->body);
    return 1;
}

/* A 2xx the caller's check refuses is a failure: retried, and CT_ERR once out of attempts. */
static void unusable_answers_are_retried(void **state)
{
    (void)state;
    script *s = find("bad");
    ct_upstream *up = client(4, 5, 20, -1);
    char url[128];
    url_of("bad", url, sizeof(url));
    ct_upstream_request req = {.url = url, .check = check_good};
    ct_upstream_response rsp;
    reset(s, 2, 200, NULL, 0);
    assert_int_equal(ct_upstream_call_sync(up, &req, &rsp), CT_OK);
    assert_string_equal(rsp.body, "good");
    assert_int_equal(rsp.attempts, 3);
    ct_upstream_response_free(&rsp);
    reset(s, 10, 200, NULL, 0);
    assert_int_equal(ct_upstream_call_sync(up, &req, &rsp), CT_ERR);
    assert_int_equal(rsp.attempts, 4);
    assert_string_equal(rsp.error, "body is \"bad\"");
    ct_upstream_response_free(&rsp);
    ct_upstream_free(up);
}

/* Asynchronous: three slow partners in flight at once in one thread (together in about one
 * delay, not three), each callback called once; a cancelled request never calls back. */
static void async_requests_run_concurrently(void **state)
{
    (void)state;
    const char *names[] = {"a", "b", "c"};
    ct_upstream *up = client(3, 5, 20, -1);
    outcome o[4] = {{0}};
    char url[3][128];
    int64_t t0 = now_ms();
    for (int i = 0; i < 3; i++) {
        reset(find(names[i]), 0, 502, NULL, 300);
        snprintf(url[i], sizeof(url[i]), "http://127.0.0.1:%d/r/%s", more_port[i], names[i]);
        ct_upstream_request req = {.url = url[i], .partner = names[i]};
        assert_int_equal(ct_upstream_submit(up, &req, on_done, &o[i], NULL), CT_OK);
    }
    ct_upstream_call *gone;
    ct_upstream_request req = {.url = url[0], .partner = "a"};
    assert_int_equal(ct_upstream_submit(up, &req, on_done, &o[3], &gone), CT_OK);
    ct_upstream_perform(up, 10);
    ct_upstream_cancel(up, gone);
    while (ct_upstream_perform(up, 100) > 0) {
    }
    int64_t took = now_ms() - t0;
    fprintf(stderr, "three partners of 300 ms: %lld ms\n", (long long)took);
    for (int i = 0; i < 3; i++) {
        assert_int_equal(o[i].calls, 1);
        assert_int_equal(o[i].status, 200);
    }
    assert_int_equal(o[3].calls, 0);
    assert_true(took < 800); /* one after the other: 900 and more */
    ct_upstream_stats st[4];
    assert_int_equal(ct_upstream_stats_get(up, st, 4), 3);
    ct_upstream_free(up);
    ct_upstream_free(NULL);
    sleep_ms(350); /* the cancelled request's handler */
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(idempotent_get_is_retried_until_success),
        cmocka_unit_test(backoff_is_jittered),
        cmocka_unit_test(calls_carry_the_trace),
        cmocka_unit_test(post_is_retried_only_with_an_idempotency_key),
        cmocka_unit_test(retry_after_is_honoured_within_the_deadline),
        cmocka_unit_test(deadline_is_respected),
        cmocka_unit_test(breaker_opens_fails_fast_and_probes),
        cmocka_unit_test(breaker_counts_only_consecutive_failures),
        cmocka_unit_test(unusable_answers_are_retried),
        cmocka_unit_test(async_requests_run_concurrently),
        cmocka_unit_test(several_clients_share_one_block_per_family),
    };
    return cmocka_run_group_tests(tests, setup, teardown);
}
