/* bench_insight.c: what the price insight adds to a search answer, in process.
 *
 * Fills route_price of a fresh SQLite database with ROUTES routes x 60 observations spread
 * over the days-before-departure buckets, rebuilds the distributions (timed: serve does it
 * every 5 minutes in the background), then times single-threaded and warm what a search
 * does per answer: ct_history_note (the noted price) + ct_history_insight (one lookup under
 * the read lock) + building and writing the answer's insight object with jansson (as
 * api/search_common.c does). Prints each step's mean and p99 per call.
 * Usage: bench_insight [ROUTES] [CALLS] (defaults 15000, at most 17576, and 200000). */
#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "history/history.h"
#include "store/migrate.h"
#include "store/store.h"

#define DAY 86400

static int64_t fixed_now(void)
{
    return 1800000000;
}

static double now_ns(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return ts.tv_sec * 1e9 + ts.tv_nsec;
}

static int cmp_double(const void *a, const void *b)
{
    double x = *(const double *)a, y = *(const double *)b;
    return (x > y) - (x < y);
}

static void report(const char *name, double *s, int n)
{
    double sum = 0;
    for (int i = 0; i < n; i++)
        sum += s[i];
    qsort(s, (size_t)n, sizeof(double), cmp_double);
    printf("%-44s mean %7.0f ns   p50 %7.0f ns   p99 %7.0f ns\n", name, sum / n, s[n / 2],
           s[(long)n * 99 / 100]);
}

static void code_of(int i, char out[4])
{
    out[0] = (char)('A' + i % 26);
    out[1] = (char)('A' + (i / 26) % 26);
    out[2] = (char)('A' + (i / 676) % 26);
    out[3] = '\0';
}

static int fill(ct_store *st, int routes)
{
    ct_stmt *s = NULL;
    if (ct_store_begin(st) ||
        ct_store_prepare(st,
                         "INSERT INTO route_price (origin, destination, departure_day, cabin,"
                         " currency, span, observed_at, price_minor)"
                         " VALUES (?, ?, ?, 'economy', 'USD', 3600, ?, ?)",
                         &s))
        return 1;
    int64_t today = fixed_now() / DAY;
    for (int r = 0; r < routes; r++) {
        char o[4], d[4];
        code_of(r, o);
        code_of(r * 7 + 1, d);
        for (int k = 0; k < 60; k++) {
            int64_t dep = today + 1 + k % 90, before = k % 75;
            ct_stmt_reset(s);
            ct_stmt_bind_text(s, 1, o);
            ct_stmt_bind_text(s, 2, d);
            ct_stmt_bind_int64(s, 3, dep);
            ct_stmt_bind_int64(s, 4, (dep - before) * DAY + k * 60);
            ct_stmt_bind_int64(s, 5, 20000 + (r * 131 + k * 977) % 60000);
            if (ct_stmt_step(s) != CT_DONE)
                return 1;
        }
    }
    ct_stmt_finalize(s);
    return ct_store_commit(st) != CT_OK;
}

static double rate(void *ctx, const char *from, const char *to)
{
    (void)ctx;
    return strcmp(from, to) == 0 ? 1.0 : strcmp(to, "EUR") == 0 ? 0.92 : 1 / 0.92;
}

int main(int argc, char **argv)
{
    int routes = argc > 1 ? atoi(argv[1]) : 15000, calls = argc > 2 ? atoi(argv[2]) : 200000;
    routes = routes < 1 ? 1 : routes > 17576 ? 17576 : routes; /* distinct 3-letter codes */
    char path[] = "/tmp/bench-insight-XXXXXX";
    int fd = mkstemp(path);
    if (fd < 0)
        return 1;
    char url[64];
    snprintf(url, sizeof(url), "sqlite:%s", path);
    ct_store *st = NULL;
    char err[256];
    int applied = 0;
    if (ct_store_open(url, &st, err, sizeof(err)) || ct_store_migrate(st, &applied) ||
        fill(st, routes)) {
        fprintf(stderr, "bench_insight: cannot fill the store\n");
        return 1;
    }
    ct_history_options o = {.now = fixed_now, .max_pending = (size_t)calls + 1};
    ct_history *h = NULL;
    ct_history_new(&o, &h);
    double t0 = now_ns();
    size_t n = 0;
    ct_history_refresh(h, st, rate, NULL, &n);
    printf("refresh: %zu routes, %d observations in %.0f ms\n", n, routes * 60,
           (now_ns() - t0) / 1e6);
    double *a = malloc(sizeof(double) * (size_t)calls), *b = malloc(sizeof(double) * (size_t)calls),
           *c = malloc(sizeof(double) * (size_t)calls);
    int64_t today = fixed_now() / DAY, levels = 0;
    for (int i = 0; i < calls; i++) {
        char org[4], dst[4];
        code_of(i % routes, org);
        code_of((i % routes) * 7 + 1, dst);
        int64_t dep = today + 1 + i % 90, price = 20000 + (i * 37) % 60000;
        double s0 = now_ns();
        ct_history_note(h, org, dst, dep, "economy", "EUR", price);
        double s1 = now_ns();
        ct_insight in;
        ct_history_insight(h, org, dst, "economy", dep, price, "EUR", rate, NULL, &in);
        double s2 = now_ns();
        json_t *basis =
            json_pack("{s:i, s:i, s:s, s:[i,i], s:i, s:i, s:I, s:s}", "sample_size", in.sample,
                      "days_before_departure", in.days_before, "bucket",
                      ct_history_bucket_name(in.bucket), "percentiles", 25, 75, "window_days", 365,
                      "min_sample", 8, "compared_minor", (json_int_t)price, "per", "passenger");
        json_t *obj =
            json_pack("{s:s?, s:I, s:I, s:s, s:o}", "level", ct_insight_level_name(in.level),
                      "typical_low_minor", (json_int_t)in.typical_low, "typical_high_minor",
                      (json_int_t)in.typical_high, "currency", "EUR", "basis", basis);
        char *text = json_dumps(obj, JSON_COMPACT | JSON_PRESERVE_ORDER);
        double s3 = now_ns();
        levels += in.level != CT_INSIGHT_NONE;
        free(text);
        json_decref(obj);
        a[i] = s1 - s0;
        b[i] = s2 - s1;
        c[i] = s3 - s2;
    }
    printf("%d calls over %d routes, %lld with a level\n", calls, routes, (long long)levels);
    report("ct_history_note", a, calls);
    report("ct_history_insight (lookup + band)", b, calls);
    report("insight JSON (jansson build + dump)", c, calls);
    free(a);
    free(b);
    free(c);
    ct_history_free(h);
    ct_store_close(st);
    remove(path);
    return 0;
}
