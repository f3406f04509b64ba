/* metrics.c: per-route request counters and latency histograms in Prometheus text format.
 *
 * Recording is lock-free (relaxed atomics); a scrape reads each counter once, so a scrape
 * racing with requests may see a histogram whose buckets and count differ by the requests in
 * flight, which Prometheus tolerates. */
#include "http/http_internal.h"

#include "base/alloc.h"
#include "base/strbuf.h"

const double ct__http_buckets[CT_HTTP_NBUCKETS] = {0.0001, 0.00025, 0.0005, 0.001, 0.0025, 0.005,
                                                   0.01,   0.025,   0.05,   0.1,   0.5,    1.0};

void ct__route_stats_record(ct_route_stats *stats, int status, uint64_t elapsed_us)
{
    int cls = status / 100;
    if (cls < 0 || cls > 5)
        cls = 5;
    atomic_fetch_add_explicit(&stats->by_class[cls], 1, memory_order_relaxed);
    double secs = (double)elapsed_us / 1e6;
    int b = 0;
    while (b < CT_HTTP_NBUCKETS && secs > ct__http_buckets[b])
        b++;
    atomic_fetch_add_explicit(&stats->buckets[b], 1, memory_order_relaxed);
    atomic_fetch_add_explicit(&stats->sum_us, elapsed_us, memory_order_relaxed);
    atomic_fetch_add_explicit(&stats->count, 1, memory_order_relaxed);
}

static ct_status write_route(ct_strbuf *sb, const ct_route *route, int pass)
{
    const ct_route_stats *st = &route->stats;
    ct_status rc = CT_OK;
    if (pass == 0) {
        for (int cls = 1; cls <= 5 && !rc; cls++) {
            uint64_t n = atomic_load_explicit(&st->by_class[cls], memory_order_relaxed);
            if (n)
                rc = ct_strbuf_printf(sb,
                                      "contrail_http_requests_total{method=\"%s\",route=\"%s\","
                                      "status=\"%dxx\"} %llu\n",
                                      route->method, route->pattern, cls, (unsigned long long)n);
        }
        return rc;
    }
    uint64_t count = atomic_load_explicit(&st->count, memory_order_relaxed);
    if (count == 0)
        return CT_OK;
    uint64_t cum = 0;
    for (int b = 0; b <= CT_HTTP_NBUCKETS && !rc; b++) {
        cum += atomic_load_explicit(&st->buckets[b], memory_order_relaxed);
        char le[32];
        if (b == CT_HTTP_NBUCKETS)
            snprintf(le, sizeof(le), "+Inf");
        else
            snprintf(le, sizeof(le), "%g", ct__http_buckets[b]);
        rc = ct_strbuf_printf(sb,
                              "contrail_http_request_duration_seconds_bucket{method=\"%s\","
                              "route=\"%s\",le=\"%s\"} %llu\n",
                              route->method, route->pattern, le, (unsigned long long)cum);
    }
    if (!rc)
        rc = ct_strbuf_printf(
            sb,
            "contrail_http_request_duration_seconds_sum{method=\"%s\",route=\"%s\"} %.6f\n"
            "contrail_http_request_duration_seconds_count{method=\"%s\",route=\"%s\"} %llu\n",
            route->method, route->pattern,
            (double)atomic_load_explicit(&st->sum_us, memory_order_relaxed) / 1e6, route->method,
            route->pattern, (unsigned long long)cum);
    return rc;
}

char *ct_http_metrics_text(const ct_router *r)
{
    ct_strbuf sb;
    ct_strbuf_init(&sb, 16u << 20);
    static const char *heads[2] = {
        "# HELP contrail_http_requests_total HTTP requests by route and status class.\n"
        "# TYPE contrail_http_requests_total counter\n",
        "# HELP contrail_http_request_duration_seconds HTTP request latency by route.\n"
        "# TYPE contrail_http_request_duration_seconds histogram\n"};
    ct_status rc = CT_OK;
    for (int pass = 0; pass < 2 && !rc; pass++) {
        rc = ct_strbuf_puts(&sb, heads[pass]);
        for (size_t i = 0; i < r->nroutes && !rc; i++)
            rc = write_route(&sb, &r->routes[i], pass);
        if (!rc)
            rc = write_route(&sb, &r->fallback_route, pass);
        if (!rc)
            rc = write_route(&sb, &r->unmatched_route, pass);
    }
    if (rc) {
        ct_strbuf_free(&sb);
        return NULL;
    }
    return ct_strbuf_take(&sb);
}
