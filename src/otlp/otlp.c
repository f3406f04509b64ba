/* otlp.c: the OTLP/HTTP JSON span exporter (see otlp.h).
 *
 * The queue is a ring of spans; producers (request threads) only copy a span in under the
 * mutex and signal when a batch is full. The thread takes up to `batch` spans out, builds
 * the JSON with jansson, POSTs it with a libcurl easy handle of its own and, on a retryable
 * failure, keeps the encoded batch (pending) for the next round, in front of new spans. */
#include "otlp/otlp.h"

#include <curl/curl.h>
#include <jansson.h>
#include <pthread.h>
#include <stdio.h>
#include <string.h>
#include <time.h>

#include "base/alloc.h"
#include "base/json.h"
#include "base/log.h"

#define MAX_TRIES 3

struct ct_otlp {
    ct_otlp_config cfg;
    char url[1024], service[128], instance[128];
    pthread_mutex_t mu;
    pthread_cond_t cv;
    ct_trace_span *ring;
    size_t head, count; /* the oldest span, spans queued */
    int stop;
    pthread_t thread;
    ct_otlp_stats st;
    CURL *curl;
    char *pending; /* an encoded batch to send again */
    size_t pending_spans;
    int pending_tries;
};

static json_t *kv(const char *key, const char *value)
{
    return json_pack("{s:s, s:{s:s}}", "key", key, "value", "stringValue", value);
}

static json_t *kv_int(const char *key, long long value)
{
    char v[32];
    snprintf(v, sizeof(v), "%lld", value);
    return json_pack("{s:s, s:{s:s}}", "key", key, "value", "intValue", v);
}

static json_t *span_json(const ct_trace_span *sp)
{
    char start[32], end[32];
    snprintf(start, sizeof(start), "%lld", (long long)sp->start_ns);
    snprintf(end, sizeof(end), "%lld", (long long)sp->end_ns);
    json_t *attrs = json_array();
    if (sp->http_status > 0)
        json_array_append_new(attrs, kv_int("http.response.status_code", sp->http_status));
    json_t *j = json_pack("{s:s, s:s, s:s, s:i, s:s, s:s, s:o, s:{s:i}}", "traceId",
                          sp->ctx.trace_id, "spanId", sp->ctx.span_id, "name", sp->name, "kind",
                          sp->kind, "startTimeUnixNano", start, "endTimeUnixNano", end,
                          "attributes", attrs, "status", "code", sp->error ? 2 : 1);
    if (j != NULL && sp->ctx.parent_id[0])
        json_object_set_new(j, "parentSpanId", json_string(sp->ctx.parent_id));
    return j;
}

/* One ExportTraceServiceRequest of n spans (caller frees with ct_free), or NULL. */
static char *encode(ct_otlp *o, const ct_trace_span *spans, size_t n)
{
    json_t *list = json_array();
    for (size_t i = 0; i < n; i++)
        json_array_append_new(list, span_json(&spans[i]));
    json_t *res = json_array();
    json_array_append_new(res, kv("service.name", o->service));
    if (o->instance[0])
        json_array_append_new(res, kv("service.instance.id", o->instance));
    json_t *doc =
        json_pack("{s:[{s:{s:o}, s:[{s:{s:s}, s:o}]}]}", "resourceSpans", "resource", "attributes",
                  res, "scopeSpans", "scope", "name", "contrail", "spans", list);
    char *text = NULL;
    if (doc == NULL || ct_json_dumps(doc, JSON_COMPACT, &text) != CT_OK)
        text = NULL;
    json_decref(doc);
    return text;
}

static size_t discard(char *p, size_t size, size_t n, void *ud)
{
    (void)p;
    (void)ud;
    return size * n;
}

/* POSTs body: 2xx -> 1; retryable failure (transport, 429, 5xx) -> 0; refused -> -1. */
static int post(ct_otlp *o, const char *body)
{
    struct curl_slist *h = curl_slist_append(NULL, "Content-Type: application/json");
    curl_easy_reset(o->curl);
    curl_easy_setopt(o->curl, CURLOPT_URL, o->url);
    curl_easy_setopt(o->curl, CURLOPT_POSTFIELDS, body);
    curl_easy_setopt(o->curl, CURLOPT_HTTPHEADER, h);
    curl_easy_setopt(o->curl, CURLOPT_TIMEOUT_MS, 2000L);
    curl_easy_setopt(o->curl, CURLOPT_NOSIGNAL, 1L);
    curl_easy_setopt(o->curl, CURLOPT_WRITEFUNCTION, discard);
    CURLcode cc = curl_easy_perform(o->curl);
    long status = 0;
    curl_easy_getinfo(o->curl, CURLINFO_RESPONSE_CODE, &status);
    curl_slist_free_all(h);
    if (cc == CURLE_OK && status >= 200 && status < 300)
        return 1;
    return cc != CURLE_OK || status == 429 || status >= 500 ? 0 : -1;
}

/* Sends the pending batch; on success or give-up it is freed. */
static void send_pending(ct_otlp *o)
{
    int r = post(o, o->pending);
    pthread_mutex_lock(&o->mu);
    o->st.requests++;
    if (r == 1) {
        o->st.exported += o->pending_spans;
    } else {
        o->st.failures++;
        if (r == 0 && ++o->pending_tries < MAX_TRIES) {
            pthread_mutex_unlock(&o->mu);
            return; /* again next round */
        }
        o->st.dropped += o->pending_spans;
    }
    pthread_mutex_unlock(&o->mu);
    if (r != 1)
        ct_log(CT_LOG_WARN, "otlp.dropped", "endpoint", o->url, "reason",
               r == 0 ? "collector unavailable" : "refused", NULL);
    ct_free(o->pending);
    o->pending = NULL;
}

/* Takes up to a batch out of the ring into the pending batch (the mutex held). */
static void take_batch(ct_otlp *o, ct_trace_span *buf)
{
    size_t n = o->count < (size_t)o->cfg.batch ? o->count : (size_t)o->cfg.batch;
    for (size_t i = 0; i < n; i++)
        buf[i] = o->ring[(o->head + i) % (size_t)o->cfg.queue];
    o->head = (o->head + n) % (size_t)o->cfg.queue;
    o->count -= n;
    pthread_mutex_unlock(&o->mu);
    o->pending = n ? encode(o, buf, n) : NULL;
    o->pending_spans = n;
    o->pending_tries = 0;
    pthread_mutex_lock(&o->mu);
    if (n && o->pending == NULL)
        o->st.dropped += n; /* out of memory */
}

static void *run(void *arg)
{
    ct_otlp *o = arg;
    ct_trace_span *buf = ct_malloc((size_t)o->cfg.batch * sizeof(*buf));
    pthread_mutex_lock(&o->mu);
    for (;;) {
        if (o->pending == NULL && o->count < (size_t)o->cfg.batch && !o->stop) {
            struct timespec until;
            clock_gettime(CLOCK_REALTIME, &until);
            until.tv_sec += o->cfg.interval_ms / 1000;
            until.tv_nsec += (long)(o->cfg.interval_ms % 1000) * 1000000L;
            if (until.tv_nsec >= 1000000000L) {
                until.tv_sec++;
                until.tv_nsec -= 1000000000L;
            }
            pthread_cond_timedwait(&o->cv, &o->mu, &until);
        }
        int stopping = o->stop;
        if (o->pending == NULL && buf != NULL && o->count > 0)
            take_batch(o, buf);
        pthread_mutex_unlock(&o->mu);
        if (o->pending != NULL)
            send_pending(o);
        pthread_mutex_lock(&o->mu);
        if (stopping && (o->count == 0 || buf == NULL)) {
            if (o->pending != NULL) { /* a last try failed: given up */
                o->st.dropped += o->pending_spans;
                ct_free(o->pending);
                o->pending = NULL;
            }
            break;
        }
    }
    pthread_mutex_unlock(&o->mu);
    ct_free(buf);
    return NULL;
}

void ct_otlp_sink(void *ctx, const ct_trace_span *span)
{
    ct_otlp *o = ctx;
    pthread_mutex_lock(&o->mu);
    if (o->count == (size_t)o->cfg.queue) {
        o->st.dropped++;
    } else {
        o->ring[(o->head + o->count) % (size_t)o->cfg.queue] = *span;
        o->count++;
        o->st.queued++;
        if (o->count == (size_t)o->cfg.batch)
            pthread_cond_signal(&o->cv);
    }
    pthread_mutex_unlock(&o->mu);
}

ct_status ct_otlp_start(const ct_otlp_config *cfg, ct_otlp **out)
{
    if (cfg->endpoint == NULL ||
        (strncmp(cfg->endpoint, "http://", 7) != 0 && strncmp(cfg->endpoint, "https://", 8) != 0))
        return CT_INVALID;
    ct_otlp *o = ct_calloc(1, sizeof(*o));
    if (o == NULL)
        return CT_NOMEM;
    o->cfg = *cfg;
    o->cfg.queue = cfg->queue > 0 ? cfg->queue : 2048;
    o->cfg.batch = cfg->batch > 0 ? cfg->batch : 256;
    if (o->cfg.batch > o->cfg.queue)
        o->cfg.batch = o->cfg.queue;
    o->cfg.interval_ms = cfg->interval_ms > 0 ? cfg->interval_ms : 1000;
    size_t n = strlen(cfg->endpoint);
    while (n > 0 && cfg->endpoint[n - 1] == '/')
        n--;
    snprintf(o->url, sizeof(o->url), "%.*s/v1/traces", (int)n, cfg->endpoint);
    snprintf(o->service, sizeof(o->service), "%s",
             cfg->service_name ? cfg->service_name : "contrail");
    snprintf(o->instance, sizeof(o->instance), "%s", cfg->instance_id ? cfg->instance_id : "");
    o->cfg.endpoint = o->url;
    o->cfg.service_name = o->service;
    o->cfg.instance_id = o->instance;
    o->ring = ct_calloc((size_t)o->cfg.queue, sizeof(*o->ring));
    o->curl = curl_easy_init();
    pthread_mutex_init(&o->mu, NULL);
    pthread_cond_init(&o->cv, NULL);
    ct_status rc = o->ring == NULL || o->curl == NULL ? CT_NOMEM : CT_OK;
    if (!rc && pthread_create(&o->thread, NULL, run, o) != 0)
        rc = CT_ERR;
    if (rc) {
        curl_easy_cleanup(o->curl);
        ct_free(o->ring);
        pthread_mutex_destroy(&o->mu);
        pthread_cond_destroy(&o->cv);
        ct_free(o);
        return rc;
    }
    *out = o;
    return CT_OK;
}

void ct_otlp_stop(ct_otlp *o)
{
    if (o == NULL)
        return;
    pthread_mutex_lock(&o->mu);
    o->stop = 1;
    pthread_cond_signal(&o->cv);
    pthread_mutex_unlock(&o->mu);
    pthread_join(o->thread, NULL);
    curl_easy_cleanup(o->curl);
    ct_free(o->ring);
    pthread_mutex_destroy(&o->mu);
    pthread_cond_destroy(&o->cv);
    ct_free(o);
}

void ct_otlp_stats_get(ct_otlp *o, ct_otlp_stats *out)
{
    pthread_mutex_lock(&o->mu);
    *out = o->st;
    pthread_mutex_unlock(&o->mu);
}
