/* bench_search.c: one-way search on the default sandbox world, beside plain SQL.
 *
 * Publishes the default world as SSIM (through the sandbox's writer, as `make run` does),
 * loads a timetable over DAYS days (default 365) through the platform's reader, reports the
 * load time and resident memory, then runs a fixed mix of queries (hub pairs, metro areas,
 * regional airports) single-threaded and warm: p50/p90/p99. The peer, in the same run: the
 * same queries as the self-joins a typical web stack would write (direct, one stop, two
 * stops, connection rules in the join) over the same day's legs in SQLite (and PostgreSQL
 * when CT_BENCH_PG_URL is set), timed until the last row is fetched.
 * Then prices: a synthetic pricebook (tests/support/pricefill.h: four providers, fares per
 * market and class, seats per dated leg) over the same timetable, and the priced searches:
 * one-way Pareto with prices, 30-day price calendar, 7x7 round-trip date grid, explore with
 * up to one and up to two stops (and, with CT_BENCH_EXPLORE_PEER set, its peer: one
 * cheapest-only one-way search to every airport, one round; CT_BENCH_ONLY_EXPLORE set: of the
 * priced searches only explore, for profiling it).
 * Usage: bench_search DATA_DIR [DAYS] [ROUNDS]
 *
 * Live mode, `bench_search DATA_DIR --live DIR [ROUNDS]`: DIR is the work folder of a
 * `contrail serve --sandbox true` run (bench/http.sh leaves one): the timetable cache
 * (DIR/timetable.bin, keyed by DIR/sandbox/ssim/) and the pricebook file the real provider
 * feeds filled (DIR/pricebook.bin). The engine then runs the HTTP benchmark's 45 one-way
 * queries (15 pairs x today + 2, 4, 6) in process, single thread, warm: the same search the
 * server does per request, without HTTP and JSON. */
#define _GNU_SOURCE /* nftw */
#include <dirent.h>
#include <errno.h>
#include <ftw.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "base/timeutil.h"
#include "sandbox/world/sandbox_data.h"
#include "sandbox/world/ssim_write.h"
#include "pricefill.h"
#include "search/calendar.h"
#include "search/trip.h"
#include "search/search.h"
#include "store/store.h"
#include "timetable/timetable.h"

static const char *pairs[][2] = {
    {"LON", "NYC"}, {"FRA", "JFK"}, {"PAR", "TYO"}, {"ZRH", "SIN"}, {"LAX", "SYD"},
    {"ORD", "MIA"}, {"GRU", "LIS"}, {"DXB", "BOM"}, {"HND", "ICN"}, {"MAD", "BCN"},
    {"BSL", "OSL"}, {"YYZ", "MEX"}, {"CPT", "NBO"}, {"DEL", "BKK"}, {"AMS", "SFO"},
};
#define NPAIRS (sizeof(pairs) / sizeof(pairs[0]))

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

static double report(const char *name, double *s, int n)
{
    qsort(s, (size_t)n, sizeof(double), cmp_double);
    printf("%-30s p50 %9.3f ms   p90 %9.3f ms   p99 %9.3f ms   (%d queries)\n", name, s[n / 2],
           s[n * 9 / 10], s[n * 99 / 100], n);
    return s[n / 2];
}

/* Airport indices of a code: a metro area's airports, or the airport. */
static int place(const ct_timetable *tt, const char *code, uint16_t *out)
{
    const ct_metro *m = ct_refdata_metro(tt->rd, code);
    int n = 0;
    if (m != NULL) {
        for (int i = 0; i < m->nairports; i++) {
            int a = ct_timetable_airport(tt, m->airports[i]->iata);
            if (a >= 0)
                out[n++] = (uint16_t)a;
        }
        return n;
    }
    int a = ct_timetable_airport(tt, code);
    if (a >= 0)
        out[n++] = (uint16_t)a;
    return n;
}

static long rss_mb(void)
{
    struct rusage ru;
    getrusage(RUSAGE_SELF, &ru);
    return ru.ru_maxrss / 1024;
}

/* Loads the legs departing in [first-1, last+3] into a `legs` table of the peer, 500 rows per
 * INSERT (integers only, so the values are written into the SQL text). */
static void load_peer(ct_store *st, const ct_timetable *tt, int64_t first, int64_t last)
{
    ct_store_exec(st, "DROP TABLE IF EXISTS legs");
    ct_store_exec(st, "CREATE TABLE legs (id BIGINT PRIMARY KEY, dep_ap INTEGER, arr_ap INTEGER,"
                      " dep BIGINT, arr BIGINT, local_date BIGINT, dep_country INTEGER,"
                      " arr_country INTEGER)");
    ct_store_begin(st);
    int32_t lo = (int32_t)((first - 1) * 1440), hi = (int32_t)((last + 4) * 1440);
    static char sql[500 * 96 + 64];
    size_t used = 0;
    int rows = 0;
    for (size_t i = 0; i <= tt->nlegs; i++) {
        if (i < tt->nlegs) {
            const ct_leg *l = &tt->legs[i];
            if (l->dep < lo || l->dep >= hi)
                continue;
            used +=
                (size_t)snprintf(sql + used, sizeof(sql) - used, "%s(%zu,%d,%d,%d,%d,%d,%d,%d)",
                                 rows ? "," : "INSERT INTO legs VALUES ", i, l->from, l->to, l->dep,
                                 l->arr, l->local_date, tt->country[l->from], tt->country[l->to]);
            rows++;
        }
        if (rows == 500 || (i == tt->nlegs && rows > 0)) {
            if (ct_store_exec(st, sql) != CT_OK) {
                fprintf(stderr, "bench: loading the peer failed: %s\n", ct_store_errmsg(st));
                exit(1);
            }
            used = 0;
            rows = 0;
        }
    }
    ct_store_commit(st);
    ct_store_exec(st, "CREATE INDEX legs_dep ON legs (dep_ap, dep);"
                      " CREATE INDEX legs_arr ON legs (arr_ap, dep); ANALYZE legs");
}

/* The web-stack way: all valid itineraries by self-joins, in SQL. */
static double run_sql(ct_store *st, const char *in_o, const char *in_d, int64_t day, long *rows_out)
{
    char sql[4096];
#define MCT(x, y)                                                                                  \
    "CASE WHEN " x ".dep_country = " x ".arr_country AND " x ".arr_country = " y                   \
    ".arr_country THEN 45 ELSE 60 END"
    const char *m1 = MCT("a", "b"), *m2 = MCT("b", "c");
    snprintf(sql, sizeof(sql),
             "SELECT a.id, CAST(NULL AS BIGINT), CAST(NULL AS BIGINT), a.arr FROM legs a WHERE "
             "a.dep_ap IN (%s) AND"
             " a.local_date = %lld AND a.arr_ap IN (%s)"
             " UNION ALL SELECT a.id, b.id, CAST(NULL AS BIGINT), b.arr FROM legs a JOIN legs b ON "
             "b.dep_ap ="
             " a.arr_ap AND b.dep >= a.arr + %s AND b.dep <= a.arr + 1440 WHERE a.dep_ap IN (%s)"
             " AND a.local_date = %lld AND b.arr_ap IN (%s) AND b.arr_ap <> a.dep_ap"
             " UNION ALL SELECT a.id, b.id, c.id, c.arr FROM legs a JOIN legs b ON b.dep_ap ="
             " a.arr_ap AND b.dep >= a.arr + %s AND b.dep <= a.arr + 1440 JOIN legs c ON"
             " c.dep_ap = b.arr_ap AND c.dep >= b.arr + %s AND c.dep <= b.arr + 1440"
             " WHERE a.dep_ap IN (%s) AND a.local_date = %lld AND c.arr_ap IN (%s)"
             " AND b.arr_ap <> a.dep_ap AND c.arr_ap <> a.dep_ap AND c.arr_ap <> a.arr_ap"
             " AND a.arr_ap NOT IN (%s)",
             in_o, (long long)day, in_d, m1, in_o, (long long)day, in_d, m1, m2, in_o,
             (long long)day, in_d, in_d);
    double t0 = now_ms();
    ct_stmt *s = NULL;
    long rows = 0;
    ct_status rc = ct_store_prepare(st, sql, &s);
    while (!rc && (rc = ct_stmt_step(s)) == CT_ROW) {
        rows++;
        rc = CT_OK;
    }
    ct_stmt_finalize(s);
    if (rc != CT_DONE) {
        fprintf(stderr, "bench: SQL peer failed: %s\n", ct_store_errmsg(st));
        exit(1);
    }
    *rows_out = rows;
    return now_ms() - t0;
}

static void list(const uint16_t *a, int n, char *out, size_t len)
{
    out[0] = '\0';
    for (int i = 0; i < n; i++) {
        size_t used = strlen(out);
        snprintf(out + used, len - used, "%s%d", i ? "," : "", a[i]);
    }
}

/* Runs fn over the pairs `rounds` times (plus a warm-up round) and reports it. */
typedef ct_status (*priced_fn)(const ct_timetable *tt, ct_search_query *q, size_t *out);

static ct_status run_oneway(const ct_timetable *tt, ct_search_query *q, size_t *out)
{
    ct_search_result r;
    ct_status rc = ct_search_oneway(tt, q, &r);
    *out = r.n;
    ct_search_result_free(&r);
    return rc;
}

static ct_status run_calendar(const ct_timetable *tt, ct_search_query *q, size_t *out)
{
    ct_day_price days[30];
    ct_status rc = ct_calendar(tt, q, 30, days);
    *out = 0;
    for (int d = 0; d < 30; d++)
        *out += (size_t)days[d].found;
    return rc;
}

static ct_status run_grid(const ct_timetable *tt, ct_search_query *q, size_t *out)
{
    ct_search_query back = *q;
    back.origins = q->dests;
    back.norigins = q->ndests;
    back.dests = q->origins;
    back.ndests = q->norigins;
    back.date = q->date + 7;
    ct_grid_cell cells[49];
    ct_status rc = ct_date_grid(tt, q, &back, cells);
    *out = 0;
    for (int c = 0; c < 49; c++)
        *out += (size_t)cells[c].found;
    return rc;
}

static ct_status run_roundtrip(const ct_timetable *tt, ct_search_query *q, size_t *out)
{
    ct_search_query s[2] = {*q, *q};
    s[1].origins = q->dests;
    s[1].norigins = q->ndests;
    s[1].dests = q->origins;
    s[1].ndests = q->norigins;
    s[1].date = q->date + 7;
    ct_trip_result r;
    ct_status rc = ct_trip_search(tt, s, 2, &r);
    *out = r.n;
    ct_trip_result_free(&r);
    return rc;
}

static ct_status run_explore(const ct_timetable *tt, ct_search_query *q, size_t *out)
{
    ct_explore_hit *hits = NULL;
    ct_status rc = ct_explore(tt, q, &hits, out);
    free(hits);
    return rc;
}

static ct_status run_explore2(const ct_timetable *tt, ct_search_query *q, size_t *out)
{
    q->max_stops = 2;
    return run_explore(tt, q, out);
}

/* The peer of explore with two stops: one cheapest-only one-way search (<= 2 stops) to
 * every airport with departures, as a caller without explore would run them. */
static ct_status run_cheapest_each(const ct_timetable *tt, ct_search_query *q, size_t *out)
{
    *out = 0;
    for (size_t a = 0; a < tt->nairports; a++) {
        uint16_t z = (uint16_t)a;
        int origin = 0;
        for (int i = 0; i < q->norigins; i++)
            origin |= q->origins[i] == z;
        if (origin || tt->first_arr[a + 1] == tt->first_arr[a])
            continue;
        ct_search_query one = *q;
        one.dests = &z;
        one.ndests = 1;
        one.max_stops = 2;
        ct_itinerary best;
        int found = 0;
        ct_status rc = ct_search_cheapest(tt, &one, &best, &found);
        if (rc)
            return rc;
        *out += (size_t)found;
    }
    return CT_OK;
}

static double time_priced(const char *name, const ct_timetable *tt, const ct_price_ctx *pc,
                          int64_t start, int rounds, priced_fn fn, int explore)
{
    double *samples = calloc(NPAIRS * (size_t)rounds, sizeof(double));
    size_t total = 0;
    int n = 0;
    for (int r = 0; r < rounds + 1; r++) {
        for (size_t k = 0; k < NPAIRS; k++) {
            uint16_t o[8], d[8];
            int no = place(tt, pairs[k][0], o), nd = place(tt, pairs[k][1], d);
            ct_search_query q = {o, no, d, nd, start + 7 + (int64_t)(k % 7), explore ? 1 : 2, pc};
            size_t got = 0;
            double q0 = now_ms();
            if (fn(tt, &q, &got) != CT_OK)
                exit(1);
            double dt = now_ms() - q0;
            if (r > 0) {
                samples[n++] = dt;
                total += got;
            }
        }
    }
    double p50 = report(name, samples, n);
    printf("  %.1f results per query on average\n", (double)total / n);
    free(samples);
    return p50;
}

static void bench_priced(const ct_timetable *tt, int64_t start, int rounds, double unpriced)
{
    double t0 = now_ms();
    ct_pricebook *pb = ts_fill_pricebook(tt);
    printf("pricebook: 4 providers, fares and seats for every dated leg in %.0f ms; peak RSS %ld "
           "MB\n",
           now_ms() - t0, rss_mb());
    ct_pb_view v;
    ct_pricebook_acquire(pb, &v);
    ct_price_ctx pc;
    if (ct_price_ctx_init(&pc, &v, CT_CABIN_ECONOMY, 1, 1, "EUR") != CT_OK)
        exit(1);
    printf("priced (EUR, economy, 1 adult), same pairs, single thread, warm:\n");
    if (getenv("CT_BENCH_ONLY_EXPLORE") == NULL) { /* set: explore alone (profiling it) */
        double p = time_priced("one-way Pareto with prices", tt, &pc, start, rounds, run_oneway, 0);
        printf("  priced / unpriced p50: %.1fx\n", p / unpriced);
        time_priced("round trip (+7 days), exact", tt, &pc, start, rounds > 3 ? 3 : rounds,
                    run_roundtrip, 0);
        time_priced("30-day price calendar", tt, &pc, start, rounds > 3 ? 3 : rounds, run_calendar,
                    0);
        time_priced("7x7 round-trip date grid", tt, &pc, start, rounds > 3 ? 3 : rounds, run_grid,
                    0);
    }
    double e1 =
        time_priced("explore (<=1 stop, all dests)", tt, &pc, start, rounds, run_explore, 1);
    double e2 =
        time_priced("explore (<=2 stops, all dests)", tt, &pc, start, rounds, run_explore2, 1);
    printf("  explore <=2 / <=1 stop p50: %.1fx\n", e2 / e1);
    if (getenv("CT_BENCH_EXPLORE_PEER") != NULL) { /* minutes: one search per airport */
        double each = time_priced("peer: cheapest one-way to each airport (<=2 stops)", tt, &pc,
                                  start, 1, run_cheapest_each, 1);
        printf("  peer / explore <=2 stops p50: %.1fx\n", each / e2);
    }
    ct_pricebook_release(pb, &v);
    ct_pricebook_free(pb);
}

/* ---- live mode: the timetable and the pricebook of a real sandbox run ---- */

/* The measured searches (after the warm-up round) go through here, so that
 * `valgrind --tool=callgrind --collect-atstart=no --toggle-collect=measured_search` counts
 * the instructions of warm searches alone. */
__attribute__((noinline)) static ct_status
measured_search(const ct_timetable *tt, const ct_search_query *q, ct_search_result *r)
{
    return ct_search_oneway(tt, q, r);
}

static int bench_live(const ct_refdata *rd, const char *dir, int rounds)
{
    char ssim_dir[600], cache[600], book[600];
    snprintf(ssim_dir, sizeof(ssim_dir), "%s/sandbox/ssim", dir);
    snprintf(cache, sizeof(cache), "%s/timetable.bin", dir);
    snprintf(book, sizeof(book), "%s/pricebook.bin", dir);
    static char names[400][1000];
    const char *paths[400];
    size_t np = 0;
    DIR *d = opendir(ssim_dir);
    struct dirent *e;
    while (d != NULL && (e = readdir(d)) != NULL && np < 400) { /* serve's order: readdir */
        size_t len = strlen(e->d_name);
        if (len < 6 || strcmp(e->d_name + len - 5, ".ssim") != 0)
            continue;
        snprintf(names[np], sizeof(names[np]), "%s/%s", ssim_dir, e->d_name);
        paths[np] = names[np];
        np++;
    }
    if (d != NULL)
        closedir(d);
    int64_t today = (int64_t)(time(NULL) / 86400);
    ct_timetable *tt = NULL;
    if (ct_timetable_open_cache(rd, paths, np, today, today + 30, cache, &tt) != CT_OK) {
        fprintf(stderr, "bench: no usable timetable cache in %s\n", dir);
        return 1;
    }
    ct_pricebook *pb = NULL;
    int loaded = 0;
    if (ct_pricebook_new(tt, &pb) != CT_OK || ct_pricebook_load(pb, book, &loaded) != CT_OK) {
        fprintf(stderr, "bench: cannot load %s\n", book);
        return 1;
    }
    ct_pb_view v;
    ct_pricebook_acquire(pb, &v);
    ct_price_ctx pc;
    if (ct_price_ctx_init(&pc, &v, CT_CABIN_ECONOMY, 1, 1, "EUR") != CT_OK)
        return 1;
    pc.no_leg_bounds = getenv("CT_BENCH_NO_LEG_BOUNDS") != NULL; /* the per-query bounds */
    printf("live: %zu dated legs, %d providers from %s (EUR, economy, 1 adult)\n", tt->nlegs,
           v.snap->nproviders, book);
    int nq = (int)NPAIRS * 3 * rounds, n = 0;
    double *samples = calloc((size_t)nq, sizeof(double));
    double per_pair[NPAIRS] = {0}, best[NPAIRS][3];
    for (size_t k = 0; k < NPAIRS; k++)
        best[k][0] = best[k][1] = best[k][2] = 1e9;
    size_t results = 0;
    for (int r = 0; r < rounds + 1; r++) {
        for (size_t k = 0; k < NPAIRS; k++) {
            for (int dd = 2; dd <= 6; dd += 2) {
                uint16_t o[8], de[8];
                int no = place(tt, pairs[k][0], o), nd = place(tt, pairs[k][1], de);
                ct_search_query q = {o, no, de, nd, today + dd, 2, &pc};
                ct_search_result res;
                double q0 = now_ms();
                if ((r > 0 ? measured_search(tt, &q, &res) : ct_search_oneway(tt, &q, &res)) !=
                    CT_OK)
                    return 1;
                double dt = now_ms() - q0;
                if (r > 0) {
                    samples[n++] = dt;
                    per_pair[k] += dt;
                    if (dt < best[k][dd / 2 - 1])
                        best[k][dd / 2 - 1] = dt;
                    results += res.n;
                }
                ct_search_result_free(&res);
            }
        }
    }
    report("one-way Pareto, live prices", samples, n);
    double sum = 0;
    for (int i = 0; i < n; i++)
        sum += samples[i];
    double sum_best = 0;
    for (size_t k = 0; k < NPAIRS; k++)
        sum_best += best[k][0] + best[k][1] + best[k][2];
    printf("  mean %.3f ms (of each query's fastest run: %.3f ms), %.1f results per query on "
           "average\n",
           sum / n, sum_best / (3.0 * NPAIRS), (double)results / n);
    for (size_t k = 0; k < NPAIRS; k++)
        printf("  %s-%s %.3f ms\n", pairs[k][0], pairs[k][1], per_pair[k] / (3.0 * rounds));
    free(samples);
    ct_pricebook_release(pb, &v);
    ct_pricebook_free(pb);
    ct_timetable_free(tt);
    return 0;
}

/* nftw callback: removes one entry of the scratch folder (depth first). */
static int remove_entry(const char *path, const struct stat *st, int flag, struct FTW *ftw)
{
    (void)st;
    (void)flag;
    (void)ftw;
    return remove(path) != 0 ? -1 : 0;
}

int main(int argc, char **argv)
{
    if (argc < 2) {
        fprintf(stderr, "usage: %s DATA_DIR [DAYS] [ROUNDS]\n", argv[0]);
        return 2;
    }
    if (argc > 3 && strcmp(argv[2], "--live") == 0) {
        sb_world_params lp = {42, (int64_t)(time(NULL) / 86400), SB_WORLD_DEFAULT, argv[1]};
        sb_data ld;
        char lerr[256];
        if (sb_data_open(&lp, &ld, lerr, sizeof(lerr))) {
            fprintf(stderr, "bench: %s\n", lerr);
            return 1;
        }
        int rc = bench_live(ld.refdata, argv[3], argc > 4 ? atoi(argv[4]) : 5);
        sb_data_close(&ld);
        return rc;
    }
    int days = argc > 2 ? atoi(argv[2]) : 365, rounds = argc > 3 ? atoi(argv[3]) : 20;
    int64_t start;
    ct_date_parse("2026-11-23", &start);
    sb_world_params p = {42, start, SB_WORLD_DEFAULT, argv[1]};
    sb_data data;
    char err[256], dir[128];
    if (sb_data_open(&p, &data, err, sizeof(err))) {
        fprintf(stderr, "bench: %s\n", err);
        return 1;
    }
    snprintf(dir, sizeof(dir), "/tmp/contrail-bench-search-%d", (int)getpid());
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
    long rss0 = rss_mb();
    double t0 = now_ms();
    ct_timetable *tt = NULL;
    if (ct_timetable_load(data.refdata, paths, (size_t)np, start, start + days - 1, &tt, NULL)) {
        fprintf(stderr, "bench: timetable load failed\n");
        return 1;
    }
    double load = now_ms() - t0;
    printf("timetable: %zu dated legs over %d days from %d SSIM files in %.0f ms;"
           " peak RSS %ld MB (%ld MB before loading)\n",
           tt->nlegs, days, np, load, rss_mb(), rss0);
    int nq = (int)NPAIRS * rounds;
    double *samples = calloc((size_t)nq, sizeof(double));
    size_t results = 0;
    int n = 0;
    for (int r = 0; r < rounds + 1; r++) {
        for (size_t k = 0; k < NPAIRS; k++) {
            uint16_t o[8], d[8];
            int no = place(tt, pairs[k][0], o), nd = place(tt, pairs[k][1], d);
            ct_search_query q = {o, no, d, nd, start + 7 + (int64_t)(k % 7), 2, NULL};
            ct_search_result res;
            double q0 = now_ms();
            if (ct_search_oneway(tt, &q, &res) != CT_OK)
                return 1;
            double dt = now_ms() - q0;
            if (r > 0) { /* the first round warms up */
                samples[n++] = dt;
                results += res.n;
            }
            ct_search_result_free(&res);
        }
    }
    printf("one-way Pareto search, <=2 stops, %zu pairs x %d rounds, single thread, warm:\n",
           NPAIRS, rounds);
    double engine = report("contrail engine", samples, n);
    printf("  %.1f non-dominated itineraries per query on average\n", (double)results / n);
    /* Peers: plain SQL over the same legs. */
    /* CT_BENCH_SKIP_SQLITE=1 skips the SQLite peer (minutes on a year) in quick runs. */
    const char *peers[2] = {getenv("CT_BENCH_SKIP_SQLITE") ? NULL : "sqlite::memory:",
                            getenv("CT_BENCH_PG_URL")};
    const char *names_peer[2] = {"SQL self-joins, SQLite", "SQL self-joins, PostgreSQL"};
    for (int e = 0; e < 2; e++) {
        if (peers[e] == NULL || *peers[e] == '\0')
            continue;
        ct_store *st = NULL;
        if (ct_store_open(peers[e], &st, err, sizeof(err)) != CT_OK)
            continue;
        int m = 0;
        long valid_rows = 0;
        load_peer(st, tt, start + 7, start + 13);
        for (size_t k = 0; k < NPAIRS; k++) {
            uint16_t o[8], d[8];
            int no = place(tt, pairs[k][0], o), nd = place(tt, pairs[k][1], d);
            char so[128], sd[128];
            list(o, no, so, sizeof(so));
            list(d, nd, sd, sizeof(sd));
            int64_t day = start + 7 + (int64_t)(k % 7);
            long rows = 0;
            samples[m++] = run_sql(st, so, sd, day, &rows);
            valid_rows += rows;
        }
        double peer = report(names_peer[e], samples, m);
        printf("  %.0f valid itineraries per query returned by SQL (before any Pareto filter)\n",
               (double)valid_rows / m);
        printf("  ratio p50 %s / contrail: %.0fx\n", names_peer[e], peer / engine);
        ct_store_close(st);
    }
    bench_priced(tt, start, rounds, engine);
    free(samples);
    ct_timetable_free(tt);
    sb_data_close(&data);
    if (nftw(dir, remove_entry, 16, FTW_DEPTH | FTW_PHYS) != 0)
        return 1;
    return 0;
}
