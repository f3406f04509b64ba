/* bench_cache.c: the search answer cache kept per instance (api/search_cache.h) against one
 * shared in Redis, measured in the same run on this machine (issue 17: "measure both, keep the
 * faster one").
 *
 * Both hold the same answers: ANSWERS bodies of 16-43 KB (the sizes of real
 * POST /api/v1/searches answers on the default world, docs/BENCHMARKS.md) under keys like the
 * API's. Measured:
 *   1. a hit: ct_search_cache_get into a request arena, against GET of the same key from a
 *      redis-server this bench starts (hiredis, one connection, loopback), percentiles of
 *      LOOKUPS random lookups each;
 *   2. misses of a workload: REQUESTS requests over QUERIES distinct queries (Zipf s = 1),
 *      spread round-robin over INSTANCES instances, with every answer invalidated at a price
 *      change every CHANGE_EVERY requests (the pricebook's generation: both caches must drop
 *      everything then, the shared one by a cluster-wide stamp such as the price stream's
 *      seq): a per-instance cache misses a query once per instance after each change, a
 *      shared one once.
 * Then the expected cost per request, hits x hit time + misses x search time, with the search
 * time given on the command line (default 17.8 ms: the uncached p50 of bench/http.sh in
 * docs/BENCHMARKS.md); it states which is faster for that workload.
 *
 * Usage: bench_cache [SEARCH_MS [CHANGE_EVERY]] */
#include <hiredis/hiredis.h>
#include <math.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <cmocka.h>

#include "api/search_cache.h"
#include "base/arena.h"
#include "redisserver.h"

#define ANSWERS   1000
#define LOOKUPS   20000
#define QUERIES   5000
#define REQUESTS  200000
#define INSTANCES 3
static int CHANGE_EVERY = 2000; /* argv[2] */

static double now_us(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec * 1e6 + (double)ts.tv_nsec / 1e3;
}

static int cmp_double(const void *a, const void *b)
{
    double x = *(const double *)a, y = *(const double *)b;
    return x < y ? -1 : x > y;
}

static void report(const char *what, double *us, int n)
{
    qsort(us, (size_t)n, sizeof(*us), cmp_double);
    printf("%-34s p50 %8.1f us  p90 %8.1f us  p99 %8.1f us\n", what, us[n / 2], us[n * 9 / 10],
           us[n * 99 / 100]);
}

static uint64_t rng = 88172645463325252ULL;
static uint64_t next(void)
{
    rng ^= rng << 13;
    rng ^= rng >> 7;
    rng ^= rng << 17;
    return rng;
}

static char keys[ANSWERS][200];
static char *bodies[ANSWERS];
static size_t lens[ANSWERS];

static void make_answers(void)
{
    for (int i = 0; i < ANSWERS; i++) {
        snprintf(keys[i], sizeof(keys[i]),
                 "POST /api/v1/searches {\"slices\":[{\"origin\":\"A%03d\",\"destination\":"
                 "\"B%03d\",\"date\":\"2027-01-%02d\"}],\"currency\":\"EUR\"}",
                 i, i * 7 % 1000, 1 + i % 28);
        lens[i] = 16000 + next() % 27000;
        bodies[i] = malloc(lens[i] + 1);
        for (size_t k = 0; k < lens[i]; k++)
            bodies[i][k] = (char)('a' + next() % 26);
        bodies[i][lens[i]] = '\0';
    }
}

/* Zipf(1) over n by inverse transform on precomputed weights. */
static double *zipf_cdf(int n)
{
    double *c = malloc(sizeof(double) * (size_t)n), sum = 0;
    for (int i = 0; i < n; i++)
        sum += 1.0 / (i + 1);
    double acc = 0;
    for (int i = 0; i < n; i++) {
        acc += 1.0 / (i + 1) / sum;
        c[i] = acc;
    }
    return c;
}

static int zipf_draw(const double *cdf, int n)
{
    double u = (double)(next() >> 11) / 9007199254740992.0;
    int lo = 0, hi = n - 1;
    while (lo < hi) {
        int mid = (lo + hi) / 2;
        if (cdf[mid] < u)
            lo = mid + 1;
        else
            hi = mid;
    }
    return lo;
}

/* Misses of the workload with `caches` independent caches (1: shared). */
static long workload_misses(int caches, const double *cdf)
{
    /* seen[c][q] = the change epoch at which cache c last stored q, + 1 */
    int *seen = calloc((size_t)caches * QUERIES, sizeof(int));
    long misses = 0;
    for (int r = 0; r < REQUESTS; r++) {
        int epoch = r / CHANGE_EVERY + 1, q = zipf_draw(cdf, QUERIES), c = r % INSTANCES % caches;
        int *s = &seen[(size_t)c * QUERIES + (size_t)q];
        if (*s != epoch) {
            misses++;
            *s = epoch;
        }
    }
    free(seen);
    return misses;
}

static void run(double search_ms)
{
    make_answers();
    ct_search_cache *cache = NULL;
    if (ct_search_cache_new(1 << 16, &cache) /* every answer its own slot */ != CT_OK)
        exit(1);
    for (int i = 0; i < ANSWERS; i++)
        ct_search_cache_put(cache, keys[i], strlen(keys[i]), 7, bodies[i], lens[i]);
    ts_redis redis;
    ts_redis_start(&redis);
    redisContext *rc = redisConnect("127.0.0.1", redis.port);
    if (rc == NULL || rc->err) {
        fprintf(stderr, "bench_cache: cannot connect to redis\n");
        exit(1);
    }
    for (int i = 0; i < ANSWERS; i++) {
        redisReply *r = redisCommand(rc, "SET %b %b", keys[i], strlen(keys[i]), bodies[i], lens[i]);
        freeReplyObject(r);
    }
    /* the direct-mapped cache keeps one answer per slot: lookups use the keys it kept */
    int kept[ANSWERS], nkept = 0;
    for (int i = 0; i < ANSWERS; i++) {
        ct_arena *a = ct_arena_create(1 << 20);
        char *body = NULL;
        size_t len = 0;
        if (ct_search_cache_get(cache, keys[i], strlen(keys[i]), 7, a, &body, &len))
            kept[nkept++] = i;
        ct_arena_destroy(a);
    }
    double *local = malloc(sizeof(double) * LOOKUPS), *shared = malloc(sizeof(double) * LOOKUPS);
    long bad = 0;
    /* interleaved, so both see the same machine load */
    for (int n = 0; n < LOOKUPS; n++) {
        int i = kept[next() % (uint64_t)nkept];
        ct_arena *a = ct_arena_create(1 << 20);
        char *body = NULL;
        size_t len = 0;
        double t0 = now_us();
        int hit = ct_search_cache_get(cache, keys[i], strlen(keys[i]), 7, a, &body, &len);
        local[n] = now_us() - t0;
        bad += !hit || len != lens[i];
        ct_arena_destroy(a);
        t0 = now_us();
        redisReply *r = redisCommand(rc, "GET %b", keys[i], strlen(keys[i]));
        shared[n] = now_us() - t0;
        bad += r == NULL || r->type != REDIS_REPLY_STRING || r->len != lens[i];
        freeReplyObject(r);
    }
    if (bad) {
        fprintf(stderr, "bench_cache: %ld lookups did not return the answer\n", bad);
        exit(1);
    }
    printf("answers: %d of 16-43 KB (%d kept by the direct-mapped cache); %d lookups each, "
           "interleaved\n",
           ANSWERS, nkept, LOOKUPS);
    report("hit, per-instance cache", local, LOOKUPS);
    double local_p50 = local[LOOKUPS / 2];
    report("hit, shared cache (Redis GET)", shared, LOOKUPS);
    double shared_p50 = shared[LOOKUPS / 2];
    printf("hit ratio of medians: Redis %.1fx the per-instance cache\n", shared_p50 / local_p50);

    double *cdf = zipf_cdf(QUERIES);
    long m_local = workload_misses(INSTANCES, cdf), m_shared = workload_misses(1, cdf);
    printf("workload: %d requests, %d queries (Zipf 1), %d instances round-robin, a price change "
           "every %d requests\n",
           REQUESTS, QUERIES, INSTANCES, CHANGE_EVERY);
    printf("misses: per-instance %ld (%.1f %%), shared %ld (%.1f %%)\n", m_local,
           100.0 * (double)m_local / REQUESTS, m_shared, 100.0 * (double)m_shared / REQUESTS);
    double cost_local =
               ((double)(REQUESTS - m_local) * local_p50 + (double)m_local * search_ms * 1e3) /
               REQUESTS,
           cost_shared =
               ((double)(REQUESTS - m_shared) * shared_p50 + (double)m_shared * search_ms * 1e3) /
               REQUESTS;
    printf("expected time per request (search %.1f ms): per-instance %.0f us, shared %.0f us: %s "
           "is faster by %.2fx\n",
           search_ms, cost_local, cost_shared, cost_local < cost_shared ? "per-instance" : "shared",
           cost_local < cost_shared ? cost_shared / cost_local : cost_local / cost_shared);
    free(cdf);
    free(local);
    free(shared);
    redisFree(rc);
    ts_redis_stop(&redis);
    ct_search_cache_free(cache);
    for (int i = 0; i < ANSWERS; i++)
        free(bodies[i]);
}

static double g_search_ms = 17.8;

static void bench(void **state)
{
    (void)state;
    run(g_search_ms);
}

int main(int argc, char **argv)
{
    if (argc > 1)
        g_search_ms = atof(argv[1]);
    if (argc > 2 && atoi(argv[2]) > 0)
        CHANGE_EVERY = atoi(argv[2]);
    const struct CMUnitTest tests[] = {cmocka_unit_test(bench)};
    return cmocka_run_group_tests(tests, NULL, NULL);
}
