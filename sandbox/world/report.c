/* report.c: the realism report (see report.h).
 *
 * One pass over the first week's operating legs counts departures per airport and per
 * carrier and airport, flights per directed airport pair, legs by stage length and by
 * wide-body; the targets are then read off those counts. */
#include "sandbox/world/report.h"

#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "base/alloc.h"
#include "sandbox/world/facts.h"

#define WEEK 7

typedef struct counts {
    long *departures; /* per airport, over the week */
    long *by_carrier; /* [carrier * nairports + airport] */
    long *pair;       /* [a * nairports + b]: flights a -> b over the week */
    long legs, over_4000, widebody, over_16000;
    int pairs_over_13000;
    double longest_km;
} counts;

static int airport_of(const sb_world *w, const char *iata)
{
    for (int i = 0; i < w->nairports; i++) {
        if (strcmp(w->airports[i].iata, iata) == 0)
            return i;
    }
    return -1;
}

static ct_status count_week(const sb_world *w, counts *c)
{
    size_t n = (size_t)w->nairports;
    memset(c, 0, sizeof(*c));
    c->departures = ct_calloc(n + 1, sizeof(long));
    c->by_carrier = ct_calloc(((size_t)w->ncarriers + 1) * n, sizeof(long));
    c->pair = ct_calloc(n * n + 1, sizeof(long));
    if (c->departures == NULL || c->by_carrier == NULL || c->pair == NULL)
        return CT_NOMEM;
    for (int i = 0; i < w->nflights; i++) {
        const sb_flight *f = &w->flights[i];
        for (int64_t d = w->start_day; d < w->start_day + WEEK; d++) {
            if (!sb_flight_operates(f, d))
                continue;
            for (int l = 0; l < f->nlegs; l++) {
                const sb_leg *leg = &f->legs[l];
                double km = sb_distance_km(w, leg->origin, leg->dest);
                c->departures[leg->origin]++;
                c->by_carrier[(size_t)f->carrier * n + (size_t)leg->origin]++;
                c->pair[(size_t)leg->origin * n + (size_t)leg->dest]++;
                c->legs++;
                c->over_4000 += km > 4000.0;
                c->over_16000 += km > 16000.0;
                c->widebody += sb_aircraft_widebody(leg->aircraft);
                if (km > c->longest_km)
                    c->longest_km = km;
            }
        }
    }
    for (int a = 0; a < w->nairports; a++)
        for (int b = a + 1; b < w->nairports; b++) {
            if ((c->pair[(size_t)a * n + (size_t)b] || c->pair[(size_t)b * n + (size_t)a]) &&
                sb_distance_km(w, a, b) > 13000.0)
                c->pairs_over_13000++;
        }
    return CT_OK;
}

static void counts_free(counts *c)
{
    ct_free(c->departures);
    ct_free(c->by_carrier);
    ct_free(c->pair);
}

static void verdict(FILE *out, sb_report *rep, int applies, int ok, const char *fmt, ...)
    __attribute__((format(printf, 5, 6)));

static void verdict(FILE *out, sb_report *rep, int applies, int ok, const char *fmt, ...)
{
    fputs(!applies ? "n/a   " : ok ? "PASS  " : "FAIL  ", out);
    va_list ap;
    va_start(ap, fmt);
    /* A false positive of clang 14's valist checker (va_start is just above). */
    vfprintf(out, fmt, ap); // NOLINT(clang-analyzer-valist.Uninitialized)
    va_end(ap);
    fputc('\n', out);
    if (applies) {
        rep->checked++;
        rep->failed += !ok;
    }
}

static const sb_world *sort_world;
static const long *sort_counts;

static int by_count_desc(const void *x, const void *y)
{
    int a = *(const int *)x, b = *(const int *)y;
    if (sort_counts[a] != sort_counts[b])
        return sort_counts[a] < sort_counts[b] ? 1 : -1;
    return strcmp(sort_world->airports[a].iata, sort_world->airports[b].iata);
}

static int by_traffic_desc(const void *x, const void *y)
{
    const sb_airport *a = &sort_world->airports[*(const int *)x],
                     *b = &sort_world->airports[*(const int *)y];
    if (a->weight != b->weight)
        return a->weight < b->weight ? 1 : -1;
    return strcmp(a->iata, b->iata);
}

/* Of the N busiest airports by real traffic (N = 30, or the ranked ones of a smaller world),
 * how many are among the world's N busiest by departures: at least 25 of 30. */
static ct_status check_airports(const sb_world *w, const counts *c, FILE *out, sb_report *rep)
{
    int *ranked = ct_malloc(((size_t)w->nairports + 1) * sizeof(int));
    int *busy = ct_malloc(((size_t)w->nairports + 1) * sizeof(int));
    if (ranked == NULL || busy == NULL) {
        ct_free(ranked);
        ct_free(busy);
        return CT_NOMEM;
    }
    int nr = 0;
    for (int i = 0; i < w->nairports; i++) {
        busy[i] = i;
        if (w->airports[i].ranked)
            ranked[nr++] = i;
    }
    sort_world = w;
    sort_counts = c->departures;
    qsort(ranked, (size_t)nr, sizeof(int), by_traffic_desc);
    qsort(busy, (size_t)w->nairports, sizeof(int), by_count_desc);
    int n = nr < 30 ? nr : 30, hits = 0;
    for (int i = 0; i < n; i++)
        for (int k = 0; k < n; k++)
            hits += ranked[i] == busy[k];
    int need = (int)ceil(n * 25.0 / 30.0);
    verdict(out, rep, w->size == SB_WORLD_DEFAULT, hits >= need,
            "busiest airports: %d of the %d busiest by passengers are among the world's %d "
            "busiest by departures (target >= %d)",
            hits, n, n, need);
    fprintf(out, "      busiest by departures:");
    for (int k = 0; k < n && k < 10; k++)
        fprintf(out, " %s %ld/day", w->airports[busy[k]].iata, c->departures[busy[k]] / WEEK);
    fprintf(out, "\n      not among them:");
    for (int i = 0; i < n; i++) {
        int in = 0;
        for (int k = 0; k < n; k++)
            in |= ranked[i] == busy[k];
        if (!in)
            fprintf(out, " %s %ld/day", w->airports[ranked[i]].iata,
                    c->departures[ranked[i]] / WEEK);
    }
    fprintf(out, "\n      in their place:");
    for (int k = 0; k < n; k++) {
        int in = 0;
        for (int i = 0; i < n; i++)
            in |= ranked[i] == busy[k];
        if (!in)
            fprintf(out, " %s %ld/day", w->airports[busy[k]].iata, c->departures[busy[k]] / WEEK);
    }
    fputc('\n', out);
    ct_free(ranked);
    ct_free(busy);
    return CT_OK;
}

static int by_mpax_desc(const void *x, const void *y)
{
    const sb_carrier *a = &sort_world->carriers[*(const int *)x],
                     *b = &sort_world->carriers[*(const int *)y];
    if (a->mpax != b->mpax)
        return a->mpax < b->mpax ? 1 : -1;
    return strcmp(a->code, b->code);
}

/* The 20 largest airlines (passengers) have their main hub or largest base as their busiest
 * airport. */
static ct_status check_airlines(const sb_world *w, const counts *c, FILE *out, sb_report *rep)
{
    int *order = ct_malloc(((size_t)w->ncarriers + 1) * sizeof(int));
    if (order == NULL)
        return CT_NOMEM;
    for (int i = 0; i < w->ncarriers; i++)
        order[i] = i;
    sort_world = w;
    qsort(order, (size_t)w->ncarriers, sizeof(int), by_mpax_desc);
    int n = w->ncarriers < 20 ? w->ncarriers : 20, ok = 0;
    char wrong[512] = "";
    size_t used = 0;
    for (int k = 0; k < n; k++) {
        const sb_carrier *cr = &w->carriers[order[k]];
        const long *dep = &c->by_carrier[(size_t)order[k] * (size_t)w->nairports];
        int best = 0;
        for (int a = 1; a < w->nairports; a++)
            best = dep[a] > dep[best] ? a : best;
        if (best == cr->hubs[0])
            ok++;
        else if (used + 16 < sizeof(wrong))
            used += (size_t)snprintf(wrong + used, sizeof(wrong) - used, " %s:%s(not %s)", cr->code,
                                     w->airports[best].iata, w->airports[cr->hubs[0]].iata);
    }
    verdict(out, rep, 1, ok == n,
            "largest airlines: %d of the %d largest fly most from their main hub (target %d)%s", ok,
            n, n, wrong);
    ct_free(order);
    return CT_OK;
}

static long flights_between(const sb_world *w, const counts *c, int a, int b)
{
    return c->pair[(size_t)a * (size_t)w->nairports + (size_t)b];
}

static int by_daily_desc(const void *x, const void *y)
{
    const sb_route_fact *a = &sb_route_facts[*(const int *)x],
                        *b = &sb_route_facts[*(const int *)y];
    if (a->daily != b->daily)
        return a->daily < b->daily ? 1 : -1;
    return *(const int *)x - *(const int *)y;
}

/* Flights a day in the thinner direction between two sets of airports. */
static double daily_each_way(const sb_world *w, const counts *c, const char *const *xs,
                             const char *const *ys)
{
    long there = 0, back = 0;
    for (int i = 0; xs[i] != NULL; i++)
        for (int k = 0; ys[k] != NULL; k++) {
            int a = airport_of(w, xs[i]), b = airport_of(w, ys[k]);
            if (a >= 0 && b >= 0) {
                there += flights_between(w, c, a, b);
                back += flights_between(w, c, b, a);
            }
        }
    return (double)(there < back ? there : back) / WEEK;
}

static ct_status check_routes(const sb_world *w, const counts *c, FILE *out, sb_report *rep)
{
    int *order = ct_malloc((sb_route_facts_len + 1) * sizeof(int));
    if (order == NULL)
        return CT_NOMEM;
    int n = 0;
    for (size_t i = 0; i < sb_route_facts_len; i++) {
        if (airport_of(w, sb_route_facts[i].a) >= 0 && airport_of(w, sb_route_facts[i].b) >= 0)
            order[n++] = (int)i;
    }
    qsort(order, (size_t)n, sizeof(int), by_daily_desc);
    if (n > 200)
        n = 200;
    int exist = 0, daily = 0;
    char missing[400] = "";
    size_t used = 0;
    for (int k = 0; k < n; k++) {
        const sb_route_fact *f = &sb_route_facts[order[k]];
        int a = airport_of(w, f->a), b = airport_of(w, f->b);
        long there = flights_between(w, c, a, b), back = flights_between(w, c, b, a);
        if (there > 0 && back > 0)
            exist++;
        else if (used + 10 < sizeof(missing))
            used += (size_t)snprintf(missing + used, sizeof(missing) - used, " %s-%s", f->a, f->b);
        daily += there >= WEEK && back >= WEEK;
    }
    verdict(
        out, rep, n > 0, exist * 10 >= n * 9,
        "busiest routes: %d of the %d busiest (in this world) flown nonstop (target >= 90 %%)%s",
        exist, n, missing);
    verdict(out, rep, n > 0, daily * 4 >= n * 3,
            "busiest routes: %d of the %d flown daily or more each way (target >= 75 %%)", daily,
            n);
    ct_free(order);
    int real = w->size == SB_WORLD_DEFAULT;
    static const char *const lhr[] = {"LHR", NULL}, *const jfk[] = {"JFK", NULL};
    static const char *const lon[] = {"LHR", "LGW", "STN", "LTN", "LCY", "SEN", NULL};
    static const char *const nyc[] = {"JFK", "EWR", "LGA", NULL};
    static const char *const syd[] = {"SYD", NULL}, *const mel[] = {"MEL", NULL};
    static const char *const gmp[] = {"GMP", NULL}, *const cju[] = {"CJU", NULL};
    double f1 = daily_each_way(w, c, lhr, jfk), f2 = daily_each_way(w, c, lon, nyc);
    double f3 = daily_each_way(w, c, syd, mel), f4 = daily_each_way(w, c, gmp, cju);
    verdict(out, rep, real, f1 >= 15, "Heathrow-JFK: %.1f flights a day each way (target >= 15)",
            f1);
    verdict(out, rep, real, f2 >= 20, "London-New York: %.1f flights a day each way (target >= 20)",
            f2);
    verdict(out, rep, real, f3 >= 30,
            "Sydney-Melbourne: %.1f flights a day each way (target >= 30)", f3);
    verdict(out, rep, real, f4 >= 30, "Gimpo-Jeju: %.1f flights a day each way (target >= 30)", f4);
    return CT_OK;
}

static void check_stages(const sb_world *w, const counts *c, FILE *out, sb_report *rep)
{
    double share = c->legs ? 100.0 * (double)c->over_4000 / (double)c->legs : 0.0;
    double wide = c->legs ? 100.0 * (double)c->widebody / (double)c->legs : 0.0;
    verdict(out, rep, w->size == SB_WORLD_DEFAULT, share <= 12.0,
            "legs over 4,000 km: %.1f %% of %ld (target <= 12 %%)", share, c->legs);
    verdict(out, rep, 1, c->over_16000 == 0,
            "longest leg: %.0f km, %ld legs over 16,000 km (target 0)", c->longest_km,
            c->over_16000);
    verdict(out, rep, 1, c->pairs_over_13000 <= 20,
            "airport pairs over 13,000 km: %d (target <= 20)", c->pairs_over_13000);
    verdict(out, rep, 1, wide <= 15.0, "wide-body legs: %.1f %% (target <= 15 %%)", wide);
}

/* The thinnest day of the horizon has at least 50,000 legs (default world). */
static void check_scale(const sb_world *w, FILE *out, sb_report *rep)
{
    if (w->size != SB_WORLD_DEFAULT) {
        verdict(out, rep, 0, 1,
                "legs a day: %ld on the first day (target >= 50,000: default "
                "world only)",
                sb_world_legs_on(w, w->start_day));
        return;
    }
    long min = -1;
    for (int d = 0; d < w->horizon_days; d++) {
        long legs = sb_world_legs_on(w, w->start_day + d);
        if (min < 0 || legs < min)
            min = legs;
    }
    verdict(out, rep, 1, min >= 50000,
            "legs a day: %ld on the thinnest day of %d (target >= 50,000)", min, w->horizon_days);
}

ct_status sb_world_report(const sb_world *w, FILE *out, sb_report *rep)
{
    memset(rep, 0, sizeof(*rep));
    counts c;
    ct_status rc = count_week(w, &c);
    if (!rc)
        rc = check_airports(w, &c, out, rep);
    if (!rc)
        rc = check_airlines(w, &c, out, rep);
    if (!rc)
        rc = check_routes(w, &c, out, rep);
    if (!rc) {
        check_stages(w, &c, out, rep);
        check_scale(w, out, rep);
        fprintf(out, "%d of %d targets met\n", rep->checked - rep->failed, rep->checked);
    }
    counts_free(&c);
    return rc;
}
