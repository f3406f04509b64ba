/* bench_alerts.c: price alert evaluation with a million stored alerts.
 *
 * The default sandbox world over DAYS days (default 60) as SSIM through the platform's reader,
 * the synthetic pricebook (tests/support/pricefill.h) over it, and a SQLite store (a file in
 * /tmp) holding N alerts (default 1,000,000) of 50,000 users, written with plain INSERTs:
 * routes between the 400 airports with the most departures, drawn with Zipf-like popularity
 * (route r of 20,000 with weight 1/(r+1): alerts crowd on popular routes as on a real site),
 * departures uniform over the window; 85 % one way on a date, 10 % round trips of 3-14 days,
 * 5 % any day of a month one way; rules half "drop 10 %", half a maximum price; every
 * alert already checked once (a baseline), so none fires but the hot ones below.
 *
 * Then, on one worker thread (the engine's):
 *   1. load: every row into the route index (time, alerts per second, peak RSS);
 *   2. burst: B changed legs (default 2,000, drawn uniformly from the window's legs) queued
 *      at once, as one ingestion sync delivers them, and evaluated: alert re-checks per
 *      second (an alert compared with a freshly searched price), searches per second;
 *   3. latency: S single changes (default 200), each a leg out of the origin of a "hot"
 *      alert (a maximum price above any fare, never notified: it fires on its next check),
 *      from the moment the change is queued to the commit of its price_alert.triggered
 *      outbox row: p50 / p90 / p99.
 * Usage: bench_alerts DATA_DIR [ALERTS] [DAYS] [BURST] [SAMPLES] [ROUTES] [REALISTIC] [WARM]
 * (ROUTES <= 20,000: fewer routes put more alerts on each searched route and date, as on a
 * busier site; REALISTIC = 1: every alert's low is its trip's price now, one cheapest-only
 * search per route and day at set-up, instead of a low no price bound reaches; WARM = 1:
 * ct_alerts_warm before the burst, every one-way slice's price kept as after the first
 * change of each in serve, so that the burst measures the steady state: restricted searches
 * through the changed legs; WARM = 0: the first burst after a start, each slice searched in
 * full once). */
#define _GNU_SOURCE /* nftw */
#include <errno.h>
#include <ftw.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "alerts/alerts.h"
#include "base/timeutil.h"
#include "pricefill.h"
#include "search/search.h"
#include "sandbox/world/sandbox_data.h"
#include "sandbox/world/ssim_write.h"
#include "store/migrate.h"
#include "store/store.h"
#include "timetable/timetable.h"

#define NAIRPORTS 400
#define NROUTES   20000 /* at most; the ROUTES argument may ask for fewer */
#define NUSERS    50000
#define NHOT      1000

static double now_ms(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return ts.tv_sec * 1e3 + ts.tv_nsec / 1e6;
}

static int cmp_double(const void *a, const void *b)
{
    double x = *(const double *)a, y = *(const double *)b;
    return (x > y) - (x < y);
}

/* CPU seconds of the whole process (the worker thread's, as the main thread waits). */
static double cpu_s(void)
{
    struct rusage ru;
    getrusage(RUSAGE_SELF, &ru);
    return (double)ru.ru_utime.tv_sec + ru.ru_utime.tv_usec / 1e6 + (double)ru.ru_stime.tv_sec +
           ru.ru_stime.tv_usec / 1e6;
}

static long rss_mb(void)
{
    struct rusage ru;
    getrusage(RUSAGE_SELF, &ru);
    return ru.ru_maxrss / 1024;
}

static uint64_t rng = 0x9e3779b97f4a7c15ull;
static uint64_t next_rand(void)
{
    rng ^= rng << 13;
    rng ^= rng >> 7;
    rng ^= rng << 17;
    return rng;
}

static int rm_entry(const char *path, const struct stat *st, int flag, struct FTW *ftw)
{
    (void)st;
    (void)flag;
    (void)ftw;
    return remove(path) != 0 ? -1 : 0;
}

static void check(ct_status rc, const char *what)
{
    if (rc != CT_OK) {
        fprintf(stderr, "bench: %s: %s\n", what, ct_status_name(rc));
        exit(1);
    }
}

/* ---- the world ---- */

static int busiest[NAIRPORTS];

static int by_departures(const void *a, const void *b, void *tt)
{
    const ct_timetable *t = tt;
    uint32_t na = t->first[*(const int *)a + 1] - t->first[*(const int *)a];
    uint32_t nb = t->first[*(const int *)b + 1] - t->first[*(const int *)b];
    return (nb > na) - (nb < na);
}

static void pick_airports(const ct_timetable *tt)
{
    int *all = malloc(tt->nairports * sizeof(int));
    for (size_t i = 0; i < tt->nairports; i++)
        all[i] = (int)i;
    qsort_r(all, tt->nairports, sizeof(int), by_departures, (void *)tt);
    memcpy(busiest, all, sizeof(busiest));
    free(all);
}

typedef struct route {
    int from, to;
} route;
static route routes[NROUTES];
static double cumulative[NROUTES];
static int nroutes = NROUTES;

static void pick_routes(void)
{
    double total = 0;
    for (int r = 0; r < nroutes; r++) {
        int a = busiest[next_rand() % NAIRPORTS], b;
        do
            b = busiest[next_rand() % NAIRPORTS];
        while (b == a);
        routes[r] = (route){a, b};
        total += 1.0 / (r + 1);
        cumulative[r] = total;
    }
    for (int r = 0; r < nroutes; r++)
        cumulative[r] /= total;
}

static int draw_route(void)
{
    double u = (double)(next_rand() % 1000000007) / 1000000007.0;
    int lo = 0, hi = nroutes - 1;
    while (lo < hi) {
        int mid = (lo + hi) / 2;
        if (cumulative[mid] < u)
            lo = mid + 1;
        else
            hi = mid;
    }
    return lo;
}

/* ---- the stored alerts ---- */

typedef struct hot {
    int from;
    int64_t day;
} hot;
static hot hots[NHOT];

/* Realistic lows (the 7th argument): each alert's baseline is its trip's price now, by a
 * cheapest-only search per route and day (cached), so the price-bound pruning works as in
 * serve, where the first check records the real price. */
static int realistic;
static int64_t *price_cache; /* [route][reverse][day]: -2 not searched, -1 none */
static const ct_pricebook *cache_pb;

static int64_t route_price(const ct_timetable *tt, int r, int reverse, int64_t day, int64_t today,
                           int days)
{
    if (day < today || day >= today + days)
        return -1;
    int64_t *slot =
        &price_cache[((size_t)r * 2 + (size_t)reverse) * (size_t)days + (size_t)(day - today)];
    if (*slot != -2)
        return *slot;
    uint16_t o = (uint16_t)(reverse ? routes[r].to : routes[r].from);
    uint16_t d = (uint16_t)(reverse ? routes[r].from : routes[r].to);
    ct_pb_view v;
    ct_pricebook_acquire((ct_pricebook *)cache_pb, &v);
    ct_price_ctx pc;
    ct_itinerary best;
    int found = 0;
    *slot = -1;
    if (ct_price_ctx_init(&pc, &v, CT_CABIN_ECONOMY, 1, 1, "EUR") == CT_OK) {
        ct_search_query q = {&o, 1, &d, 1, day, 2, &pc};
        if (ct_search_cheapest(tt, &q, &best, &found) == CT_OK && found &&
            best.price != CT_PRICE_UNKNOWN)
            *slot = best.price;
    }
    ct_pricebook_release((ct_pricebook *)cache_pb, &v);
    return *slot;
}

static void store_alerts(ct_store *st, const ct_timetable *tt, int n, int64_t today, int days)
{
    check(ct_store_begin(st), "begin");
    ct_stmt *s = NULL;
    check(ct_store_prepare(st,
                           "INSERT INTO users (id, email, password_hash, created_at, updated_at)"
                           " VALUES (?, ?, 'x', 0, 0)",
                           &s),
          "prepare users");
    for (int u = 0; u < NUSERS; u++) {
        char id[32], email[48];
        snprintf(id, sizeof(id), "usr_%d", u);
        snprintf(email, sizeof(email), "u%d@example.com", u);
        ct_stmt_bind_text(s, 1, id);
        ct_stmt_bind_text(s, 2, email);
        check(ct_stmt_step(s) == CT_DONE ? CT_OK : CT_ERR, "insert user");
        ct_stmt_reset(s);
    }
    ct_stmt_finalize(s);
    check(ct_store_prepare(
              st,
              "INSERT INTO price_alert (id, user_id, origin, destination, date_mode, depart_day,"
              " return_day, month_day, round_trip, stay_min, stay_max, cabin, passengers,"
              " currency, max_price_minor, drop_percent, channels, baseline_minor,"
              " last_price_minor, last_checked_at, last_notified_at, created_at, updated_at) VALUES"
              " (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, 'economy', 1, 'EUR', ?, ?, 'email,in_app', ?,"
              " ?, 1, ?, 1, 1)",
              &s),
          "prepare alerts");
    for (int i = 0; i < n; i++) {
        char id[32], user[32];
        snprintf(id, sizeof(id), "pa_%024d", i);
        snprintf(user, sizeof(user), "usr_%d", i % NUSERS);
        int ri = draw_route();
        route r = routes[ri];
        int64_t dep = today + 1 + (int64_t)(next_rand() % (uint64_t)(days - 20));
        int64_t ret_day = dep + 3 + (int64_t)(next_rand() % 12);
        int kind = (int)(next_rand() % 100), is_hot = i < NHOT;
        ct_stmt_bind_text(s, 1, id);
        ct_stmt_bind_text(s, 2, user);
        ct_stmt_bind_text(s, 3, ct_refdata_airport_at(tt->rd, (size_t)r.from)->iata);
        ct_stmt_bind_text(s, 4, ct_refdata_airport_at(tt->rd, (size_t)r.to)->iata);
        if (is_hot || kind < 85) {
            ct_stmt_bind_text(s, 5, "exact");
            ct_stmt_bind_int64(s, 6, dep);
            ct_stmt_bind_null(s, 7);
            ct_stmt_bind_null(s, 8);
            ct_stmt_bind_int64(s, 9, 0);
        } else if (kind < 95) {
            ct_stmt_bind_text(s, 5, "exact");
            ct_stmt_bind_int64(s, 6, dep);
            ct_stmt_bind_int64(s, 7, ret_day);
            ct_stmt_bind_null(s, 8);
            ct_stmt_bind_int64(s, 9, 1);
        } else {
            int y, m, d;
            ct_civil_from_days(dep, &y, &m, &d);
            ct_stmt_bind_text(s, 5, "month");
            ct_stmt_bind_null(s, 6);
            ct_stmt_bind_null(s, 7);
            ct_stmt_bind_int64(s, 8, ct_days_from_civil(y, m, 1));
            ct_stmt_bind_int64(s, 9, 0);
        }
        ct_stmt_bind_int64(s, 10, 0);
        ct_stmt_bind_int64(s, 11, 0);
        /* Lows far above any fare: no alert can be pruned by the changed leg's price bound,
         * so every one the index matches is re-priced (the worst case). Only the hot ones
         * may fire: the others were notified "now" and are in their cooldown. */
        if (is_hot) {
            ct_stmt_bind_int64(s, 12, 1000000000000LL);
            ct_stmt_bind_null(s, 13);
            hots[i] = (hot){r.from, dep};
        } else if (kind % 2) {
            ct_stmt_bind_null(s, 12);
            ct_stmt_bind_int64(s, 13, 10);
        } else {
            ct_stmt_bind_int64(s, 12, 100000);
            ct_stmt_bind_null(s, 13);
        }
        int64_t low = 1000000000000LL;
        if (realistic && !is_hot) {
            int64_t out = route_price(tt, ri, 0, dep, today, days);
            int64_t back =
                kind >= 85 && kind < 95 ? route_price(tt, ri, 1, ret_day, today, days) : 0;
            low = out < 0 || back < 0 ? -1 : out + back;
        }
        if (low < 0) {
            ct_stmt_bind_null(s, 14);
            ct_stmt_bind_null(s, 15);
        } else {
            ct_stmt_bind_int64(s, 14, low);
            ct_stmt_bind_int64(s, 15, low);
        }
        if (is_hot)
            ct_stmt_bind_null(s, 16);
        else
            ct_stmt_bind_int64(s, 16, (int64_t)time(NULL) * 1000);
        check(ct_stmt_step(s) == CT_DONE ? CT_OK : CT_ERR, "insert alert");
        ct_stmt_reset(s);
    }
    ct_stmt_finalize(s);
    check(ct_store_commit(st), "commit");
}

/* ---- latency ---- */

static pthread_mutex_t fired_mu = PTHREAD_MUTEX_INITIALIZER;
static pthread_cond_t fired_cv = PTHREAD_COND_INITIALIZER;
static int fired;
static double fired_latency;

static void on_triggered(void *ctx, const char *alert_id, int64_t queued_ms)
{
    (void)ctx;
    (void)alert_id;
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    double t = ts.tv_sec * 1e3 + ts.tv_nsec / 1e6;
    pthread_mutex_lock(&fired_mu);
    if (!fired)
        fired_latency = t - (double)queued_ms;
    fired++;
    pthread_cond_signal(&fired_cv);
    pthread_mutex_unlock(&fired_mu);
}

/* A leg out of `from` on local day `day`, or -1. */
static int64_t leg_from(const ct_timetable *tt, int from, int64_t day)
{
    for (uint32_t i = tt->first[from]; i < tt->first[from + 1]; i++) {
        if (tt->legs[i].local_date == day)
            return i;
    }
    return -1;
}

int main(int argc, char **argv)
{
    if (argc < 2) {
        fprintf(
            stderr,
            "usage: %s DATA_DIR [ALERTS] [DAYS] [BURST] [SAMPLES] [ROUTES] [REALISTIC] [WARM]\n",
            argv[0]);
        return 2;
    }
    int n = argc > 2 ? atoi(argv[2]) : 1000000, days = argc > 3 ? atoi(argv[3]) : 60;
    int burst = argc > 4 ? atoi(argv[4]) : 2000, samples = argc > 5 ? atoi(argv[5]) : 200;
    if (argc > 6 && atoi(argv[6]) > 0 && atoi(argv[6]) < NROUTES)
        nroutes = atoi(argv[6]);
    realistic = argc > 7 && atoi(argv[7]) != 0;
    int warm = argc > 8 && atoi(argv[8]) != 0;
    if (n < NHOT || days < 30) {
        fprintf(stderr, "bench: at least %d alerts and 30 days\n", NHOT);
        return 2;
    }
    int64_t start = (int64_t)(time(NULL) / 86400);
    sb_world_params p = {42, start, SB_WORLD_DEFAULT, argv[1]};
    sb_data data;
    char err[256], dir[128], path[256], url[300];
    if (sb_data_open(&p, &data, err, sizeof(err))) {
        fprintf(stderr, "bench: %s\n", err);
        return 1;
    }
    snprintf(dir, sizeof(dir), "/tmp/contrail-bench-alerts-%d", (int)getpid());
    if (mkdir(dir, 0755) != 0 && errno != EEXIST)
        return 1;
    sb_ssim_stats stats = {0};
    sb_ssim_write_world(data.world, dir, start, &stats);
    static char names[400][200];
    const char *paths[400];
    int np = 0;
    for (int c = 0; c < data.world->ncarriers && np < 400; c++) {
        snprintf(names[np], sizeof(names[np]), "%s/%s.ssim", dir, data.world->carriers[c].code);
        paths[np] = names[np];
        np++;
    }
    ct_timetable *tt = NULL;
    check(ct_timetable_load(data.refdata, paths, (size_t)np, start, start + days - 1, &tt, NULL),
          "timetable");
    ct_pricebook *pb = ts_fill_pricebook(tt);
    printf("world: %zu dated legs over %d days, priced by 4 providers; peak RSS %ld MB\n",
           tt->nlegs, days, rss_mb());

    pick_airports(tt);
    pick_routes();
    if (realistic) {
        size_t cells = (size_t)nroutes * 2 * (size_t)days;
        price_cache = malloc(cells * sizeof(int64_t));
        for (size_t i = 0; i < cells; i++)
            price_cache[i] = -2;
        cache_pb = pb;
    }
    snprintf(path, sizeof(path), "%s/alerts.db", dir);
    snprintf(url, sizeof(url), "sqlite:%s", path);
    ct_store *st = NULL;
    check(ct_store_open(url, &st, err, sizeof(err)), "open store");
    check(ct_store_migrate(st, NULL), "migrate");
    double t0 = now_ms();
    store_alerts(st, tt, n, start, days);
    printf("stored: %d alerts of %d users on %d routes in %.0f ms\n", n, NUSERS, nroutes,
           now_ms() - t0);

    ct_store_pool *pool = NULL;
    check(ct_store_pool_open(url, 3, &pool, err, sizeof(err)), "pool");
    ct_alerts_config cfg = {.pool = pool, .batch_ms = 20, .triggered = on_triggered};
    ct_alerts *a = NULL;
    check(ct_alerts_new(&cfg, &a), "new");
    long rss0 = rss_mb();
    t0 = now_ms();
    check(ct_alerts_load(a, st), "load");
    double load = now_ms() - t0;
    ct_alerts_stats s0, s1;
    ct_alerts_stats_get(a, &s0);
    printf("load: %llu alerts indexed in %.0f ms (%.0f alerts/s); peak RSS %ld MB (+%ld MB)\n",
           (unsigned long long)s0.alerts, load, s0.alerts / (load / 1e3), rss_mb(),
           rss_mb() - rss0);
    check(ct_alerts_attach(a, tt, pb, NULL), "attach");
    if (warm) {
        t0 = now_ms();
        ct_alerts_warm(a);
        ct_alerts_stats_get(a, &s1);
        printf("warm: %llu slices searched in full in %.0f ms; peak RSS %ld MB\n",
               (unsigned long long)(s1.searches - s0.searches), now_ms() - t0, rss_mb());
        s0 = s1;
    }
    check(ct_alerts_start(a), "start");

    /* 2. a burst of changed legs, evaluated as one sync's */
    if (getenv("BENCH_PAUSE") != NULL) { /* a profiler attaches now */
        printf("burst: starting in %s s\n", getenv("BENCH_PAUSE"));
        fflush(stdout);
        sleep((unsigned)atoi(getenv("BENCH_PAUSE")));
    }
    double c0 = cpu_s();
    t0 = now_ms();
    for (int i = 0; i < burst; i++) {
        uint64_t leg = next_rand() % tt->nlegs;
        ct_alerts_leg_changed(a, (uint32_t)leg, CT_CABIN_ECONOMY);
    }
    check(ct_alerts_flush(a, 600000), "flush");
    double took = now_ms() - t0, cpu = cpu_s() - c0;
    ct_alerts_stats_get(a, &s1);
    uint64_t rechecks = s1.rechecks - s0.rechecks, searches = s1.searches - s0.searches;
    uint64_t pruned = s1.pruned - s0.pruned, matched = rechecks + pruned;
    uint64_t restricted = s1.restricted - s0.restricted;
    printf(
        "burst: %d changed legs -> %llu alerts matched by the index, %llu pruned (reachability or "
        "price bound), %llu re-priced by %llu full and %llu restricted searches in %.0f ms: "
        "%.0f alerts decided/s, %.0f re-checks/s, %.0f full searches/s (one worker thread)\n",
        burst, (unsigned long long)matched, (unsigned long long)pruned,
        (unsigned long long)rechecks, (unsigned long long)searches, (unsigned long long)restricted,
        took, (double)matched / (took / 1e3), rechecks / (took / 1e3), searches / (took / 1e3));
    printf("burst CPU: %.2f s of CPU time (the machine is shared): %.0f alerts decided and %.0f "
           "re-checks per CPU second\n",
           cpu, (double)matched / cpu, (double)rechecks / cpu);

    /* 3. latency from a queued change to the committed outbox event */
    double *lat = calloc((size_t)samples, sizeof(double));
    int got = 0;
    for (int i = 0; i < NHOT && got < samples; i++) {
        int64_t leg = leg_from(tt, hots[i].from, hots[i].day);
        if (leg < 0)
            continue;
        pthread_mutex_lock(&fired_mu);
        fired = 0;
        pthread_mutex_unlock(&fired_mu);
        ct_alerts_leg_changed(a, (uint32_t)leg, CT_CABIN_ECONOMY);
        check(ct_alerts_flush(a, 600000), "flush");
        pthread_mutex_lock(&fired_mu);
        if (fired)
            lat[got++] = fired_latency;
        pthread_mutex_unlock(&fired_mu);
    }
    if (got > 0) {
        qsort(lat, (size_t)got, sizeof(double), cmp_double);
        printf("latency (change queued -> price_alert.triggered committed; batch wait 20 ms): "
               "p50 %.1f ms  p90 %.1f ms  p99 %.1f ms  max %.1f ms  (%d triggers)\n",
               lat[got / 2], lat[got * 9 / 10], lat[got * 99 / 100], lat[got - 1], got);
    }
    ct_alerts_stats_get(a, &s1);
    printf("totals: %llu batches, %llu re-checks, %llu searches, %llu triggers\n",
           (unsigned long long)s1.batches, (unsigned long long)s1.rechecks,
           (unsigned long long)s1.searches, (unsigned long long)s1.triggers);
    free(lat);
    free(price_cache);
    ct_alerts_free(a);
    ct_store_pool_close(pool);
    ct_store_close(st);
    ct_pricebook_free(pb);
    ct_timetable_free(tt);
    sb_data_close(&data);
    nftw(dir, rm_entry, 16, FTW_DEPTH | FTW_PHYS);
    return 0;
}
