/* bench_autocomplete.c: in-process autocomplete latency beside SQL peers, in the same run.
 *
 * Loads the reference data into a fresh SQLite database (and PostgreSQL when CT_BENCH_PG_URL
 * is set), then times, single-threaded and warm, a fixed query mix through
 *   - ct_refdata_autocomplete (the in-memory snapshot the API uses), and
 *   - the way a typical web stack would do it: SQL LIKE prefix queries over the same rows
 *     (lower-cased name/city columns, ORDER BY size, LIMIT 10).
 * Prints p50/p90/p99 per engine and the ratios. Usage: bench_autocomplete DATA_DIR [ROUNDS] */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "refdata/refdata.h"
#include "store/migrate.h"
#include "store/store.h"

static const char *queries[] = {"zur",         "new york",  "lon", "sao", "São Paulo",
                                "JFK",         "frankfurt", "tok", "par", "los angeles",
                                "switzerland", "dubai",     "sin", "ber", "mad"};
#define NQ (sizeof(queries) / sizeof(queries[0]))

static double now_us(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return ts.tv_sec * 1e6 + ts.tv_nsec / 1e3;
}

static int cmp_double(const void *a, const void *b)
{
    double x = *(const double *)a, y = *(const double *)b;
    return (x > y) - (x < y);
}

static void report(const char *name, double *samples, int n, double *p50_out)
{
    qsort(samples, (size_t)n, sizeof(double), cmp_double);
    double p50 = samples[n / 2], p90 = samples[n * 9 / 10], p99 = samples[n * 99 / 100];
    printf("%-34s p50 %9.1f us   p90 %9.1f us   p99 %9.1f us   (%d queries)\n", name, p50, p90, p99,
           n);
    *p50_out = p50;
}

static ct_store *open_imported(const char *url, const char *data_dir)
{
    ct_store *st = NULL;
    char err[512];
    if (ct_store_open(url, &st, err, sizeof(err)) || ct_store_migrate(st, NULL)) {
        fprintf(stderr, "bench: cannot open %s: %s\n", url, err);
        exit(1);
    }
    ct_import_report *r = calloc(1, sizeof(*r));
    if (ct_refdata_import(st, data_dir, r) != CT_OK) {
        fprintf(stderr, "bench: import failed: %s\n", r->errors[0]);
        exit(1);
    }
    free(r);
    /* The peer's lower-cased search columns and indexes, as a web stack would add them. */
    ct_store_exec(st, "ALTER TABLE airports ADD COLUMN lname TEXT;"
                      " ALTER TABLE airports ADD COLUMN lcity TEXT;"
                      " UPDATE airports SET lname = lower(name), lcity = lower(city);"
                      " CREATE INDEX airports_lname ON airports (lname);"
                      " CREATE INDEX airports_lcity ON airports (lcity);");
    return st;
}

static double bench_sql(ct_store *st, const char *name, int rounds)
{
    const char *sql = "SELECT iata, name, city, country FROM airports"
                      " WHERE iata = upper(?) OR lcity LIKE ? OR lname LIKE ? OR lname LIKE ?"
                      " ORDER BY CASE WHEN iata = upper(?) THEN 0 ELSE 1 END,"
                      " CASE size WHEN 'large' THEN 0 ELSE 1 END, name LIMIT 10";
    double *samples = calloc((size_t)rounds * NQ, sizeof(double));
    int n = 0;
    ct_stmt *s = NULL;
    if (ct_store_prepare(st, sql, &s) != CT_OK) {
        fprintf(stderr, "bench: %s\n", ct_store_errmsg(st));
        exit(1);
    }
    for (int r = 0; r < rounds; r++) {
        for (size_t q = 0; q < NQ; q++) {
            char prefix[128], word[128];
            snprintf(prefix, sizeof(prefix), "%s%%", queries[q]);
            snprintf(word, sizeof(word), "%% %s%%", queries[q]);
            for (char *p = prefix; *p; p++)
                *p = (char)(*p >= 'A' && *p <= 'Z' ? *p + 32 : *p);
            double t0 = now_us();
            ct_stmt_reset(s);
            ct_stmt_bind_text(s, 1, queries[q]);
            ct_stmt_bind_text(s, 2, prefix);
            ct_stmt_bind_text(s, 3, prefix);
            ct_stmt_bind_text(s, 4, word);
            ct_stmt_bind_text(s, 5, queries[q]);
            int rows = 0;
            while (ct_stmt_step(s) == CT_ROW)
                rows += ct_stmt_text(s, 0) != NULL;
            samples[n++] = now_us() - t0;
        }
    }
    ct_stmt_finalize(s);
    double p50;
    report(name, samples, n, &p50);
    free(samples);
    return p50;
}

int main(int argc, char **argv)
{
    if (argc < 2) {
        fprintf(stderr, "usage: %s DATA_DIR [ROUNDS]\n", argv[0]);
        return 2;
    }
    int rounds = argc > 2 ? atoi(argv[2]) : 200;
    char url[256];
    snprintf(url, sizeof(url), "sqlite:/tmp/contrail-bench-%d.db", (int)getpid());
    ct_store *st = open_imported(url, argv[1]);
    ct_refdata *rd = NULL;
    if (ct_refdata_load(st, &rd) != CT_OK) {
        fprintf(stderr, "bench: load failed\n");
        return 1;
    }
    double *samples = calloc((size_t)rounds * NQ, sizeof(double));
    int n = 0;
    ct_place places[10];
    for (int r = 0; r < rounds + 5; r++) {
        for (size_t q = 0; q < NQ; q++) {
            int k = 0;
            double t0 = now_us();
            ct_status rc = ct_refdata_autocomplete(rd, queries[q], places, 10, &k);
            double dt = now_us() - t0;
            if (rc)
                return 1;
            if (r >= 5) /* warm-up rounds not counted */
                samples[n++] = dt;
        }
    }
    printf("autocomplete, %zu queries x %d rounds, single thread, warm\n", NQ, rounds);
    double p_mem, p_sqlite, p_pg = 0;
    report("contrail in-memory snapshot", samples, n, &p_mem);
    p_sqlite = bench_sql(st, "SQL LIKE peer, SQLite", rounds);
    const char *pg = getenv("CT_BENCH_PG_URL");
    ct_store *pst = NULL;
    if (pg != NULL && *pg) {
        pst = open_imported(pg, argv[1]);
        p_pg = bench_sql(pst, "SQL LIKE peer, PostgreSQL", rounds);
    }
    printf("ratio p50: SQLite/contrail %.1fx", p_sqlite / p_mem);
    if (p_pg > 0)
        printf(", PostgreSQL/contrail %.1fx", p_pg / p_mem);
    printf("\n");
    free(samples);
    ct_refdata_free(rd);
    ct_store_close(st);
    ct_store_close(pst);
    remove(url + 7);
    return 0;
}
