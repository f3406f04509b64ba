/* world.c: the deterministic airline-world generator (see world.h).
 *
 * Steps, each a pure function of the seed and what came before:
 *   1. airports: every reference airport (or a fixed subset for the small world), with a
 *      demand weight (large airports heavier, lognormal noise from the seed);
 *   2. carriers: real airlines of each country, more for countries with more demand; each
 *      gets hubs (its country's heaviest airports), an alliance (the biggest carriers are
 *      spread over three groups) and a fare currency;
 *   3. routes: per hub, a gravity model (weight x weight / distance^0.8) picks spokes within
 *      the longest aircraft range; then every unserved airport is tied to the nearest hub;
 *      then "global hubs" (the heaviest main hubs) are joined pairwise and every large
 *      airport to its two nearest global hubs, which makes every large airport reachable
 *      from every other within two stops;
 *   4. frequencies: demand scaled so the day's legs reach the size's target; thin routes fly
 *      some days of the week; winter and summer differ per route;
 *   5. schedules: hub departures sit in connection banks (arrivals before a bank, departures
 *      after it), block time = taxi + great-circle distance / cruise speed, some thin pairs
 *      of spokes become two-leg flights.
 *
 * Randomness is splitmix64 over (seed, entity) so any entity's draw does not depend on how
 * many draws came before it: a generator we must write by hand because its sequence is part
 * of the world's definition (libsodium's deterministic stream would also do, but ties the
 * world to a buffer layout). */
#include "sandbox/world/world.h"

#include <math.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "base/alloc.h"
#include "base/map.h"
#include "base/timeutil.h"
#include "base/vec.h"

#define DEFAULT_TARGET_LEGS 56000.0
#define SMALL_TARGET_LEGS   420.0
#define HORIZON_DAYS        365
#define GLOBAL_HUBS         14
#define MIN_ROUTE_KM        150.0

/* ---- aircraft ---- */

static const sb_aircraft aircraft_types[] = {
    {"AT7", "ATR 72-600", 0, 70, 1500, 510},
    {"E75", "Embraer 175", 12, 64, 3700, 820},
    {"32N", "Airbus A320neo", 12, 156, 6300, 830},
    {"7M8", "Boeing 737 MAX 8", 16, 156, 6500, 830},
    {"789", "Boeing 787-9", 30, 260, 14000, 900},
    {"359", "Airbus A350-900", 40, 280, 15000, 900},
    {"351", "Airbus A350-1000 ULR", 42, 250, 18000, 905},
};
#define AIRCRAFT_ULR 6

const sb_aircraft *sb_aircraft_types(int *count)
{
    *count = (int)(sizeof(aircraft_types) / sizeof(aircraft_types[0]));
    return aircraft_types;
}

static int aircraft_for(double km, double daily, uint64_t h)
{
    if (km < 700 && daily < 4)
        return 0;
    if (km < 2200 && daily < 2)
        return 1;
    if (km < 5500)
        return (h & 1) ? 2 : 3;
    if (km < 13000)
        return (h & 1) ? 4 : 5;
    return AIRCRAFT_ULR;
}

/* ---- randomness ---- */

static uint64_t mix(uint64_t z)
{
    z += 0x9e3779b97f4a7c15ull;
    z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ull;
    z = (z ^ (z >> 27)) * 0x94d049bb133111ebull;
    return z ^ (z >> 31);
}

static uint64_t hash3(uint64_t seed, uint64_t a, uint64_t b)
{
    return mix(mix(seed ^ mix(a)) ^ b);
}

static double unit(uint64_t h)
{
    return (double)(h >> 11) * (1.0 / 9007199254740992.0);
}

static uint64_t code_key(const char *s)
{
    uint64_t k = 0;
    for (; *s; s++)
        k = k * 131 + (unsigned char)*s;
    return k;
}

/* ---- geometry ---- */

double sb_distance_km(const sb_world *w, int a, int b)
{
    const double rad = M_PI / 180.0;
    const sb_airport *x = &w->airports[a], *y = &w->airports[b];
    double dlat = (y->lat - x->lat) * rad, dlon = (y->lon - x->lon) * rad;
    double s = sin(dlat / 2) * sin(dlat / 2) +
               cos(x->lat * rad) * cos(y->lat * rad) * sin(dlon / 2) * sin(dlon / 2);
    return 2 * 6371.0 * asin(fmin(1.0, sqrt(s)));
}

static int block_minutes(double km, int aircraft)
{
    double cruise = aircraft_types[aircraft].cruise_kmh;
    double minutes = 30.0 + km / cruise * 60.0 * 1.05;
    return (int)(ceil(minutes / 5.0) * 5.0);
}

/* ---- generation state ---- */

typedef struct route {
    int carrier;
    int a, b;      /* a is the hub end (departure of the "outbound" direction) */
    int via;       /* -1, or an intermediate stop: flights go a -> via -> b */
    double demand; /* relative daily frequency before scaling */
    int global;    /* 1 when it must fly at least daily (connectivity guarantee) */
} route;

typedef struct gen {
    sb_world *w;
    const ct_refdata *rd;
    uint64_t seed;
    CT_VEC(route) routes;
    CT_VEC(sb_flight) flights;
    int *served;         /* per airport: number of routes touching it */
    ct_map *route_index; /* "carrier:lo:hi" -> 1 + index in routes */
    double target_legs;
} gen;

static char *keep_string(sb_world *w, const char *s)
{
    char *copy = ct_strdup(s ? s : "");
    if (copy == NULL)
        return NULL;
    char **strings = ct_realloc(w->strings, (size_t)(w->nstrings + 1) * sizeof(char *));
    if (strings == NULL) {
        ct_free(copy);
        return NULL;
    }
    w->strings = strings;
    w->strings[w->nstrings++] = copy;
    return copy;
}

/* ---- step 1: airports ---- */

static int small_world_country(const char *c)
{
    static const char *countries[] = {"CH", "DE", "GB", "FR", "US", "JP", "AU"};
    for (size_t i = 0; i < sizeof(countries) / sizeof(countries[0]); i++) {
        if (strcmp(c, countries[i]) == 0)
            return 1;
    }
    return 0;
}

static int in_small_world(const ct_airport *a)
{
    if (!small_world_country(a->country))
        return 0;
    if (a->size == CT_AIRPORT_LARGE)
        return strcmp(a->country, "US") != 0 || a->metro != NULL || !strcmp(a->iata, "LAX") ||
               !strcmp(a->iata, "SFO") || !strcmp(a->iata, "ATL") || !strcmp(a->iata, "DEN") ||
               !strcmp(a->iata, "HNL") || !strcmp(a->iata, "MIA");
    return strcmp(a->country, "CH") == 0; /* a few medium airports: BSL, BRN, LUG ... */
}

/* The index of zone `tz` in w->zones, or -1 when absent (a lookup, not an error). */
static int find_zone(sb_world *w, const char *tz)
{
    for (int i = 0; i < w->nzones; i++) {
        if (strcmp(w->zones[i].name, tz) == 0)
            return i;
    }
    return -1;
}

static ct_status add_airports(gen *g)
{
    sb_world *w = g->w;
    size_t n = ct_refdata_airport_count(g->rd);
    w->airports = ct_calloc(n, sizeof(sb_airport));
    w->zones = ct_calloc(n, sizeof(sb_zone));
    if (w->airports == NULL || w->zones == NULL)
        return CT_NOMEM;
    for (size_t i = 0; i < n; i++) {
        const ct_airport *a = ct_refdata_airport_at(g->rd, i);
        if (w->size == SB_WORLD_SMALL && !in_small_world(a))
            continue;
        sb_airport *x = &w->airports[w->nairports];
        memcpy(x->iata, a->iata, sizeof(x->iata));
        memcpy(x->country, a->country, 2);
        x->lat = a->lat;
        x->lon = a->lon;
        x->large = a->size == CT_AIRPORT_LARGE;
        double noise = exp(0.7 * (unit(hash3(g->seed, code_key(a->iata), 1)) * 2 - 1) * 1.7);
        x->weight = (x->large ? 9.0 : 1.0) * noise;
        x->zone = find_zone(w, a->tz);
        if (x->zone < 0) {
            const char *tz = keep_string(w, a->tz);
            if (tz == NULL)
                return CT_NOMEM;
            x->zone = w->nzones;
            ct_status rc = sb_zone_build(&w->zones[w->nzones], tz, w->start_day - 3,
                                         w->start_day + w->horizon_days + 3);
            if (rc)
                return rc;
            w->nzones++;
        }
        x->tz = w->zones[x->zone].name;
        w->nairports++;
    }
    return CT_OK;
}

/* ---- step 2: carriers ---- */

typedef struct country_info {
    char code[3];
    double weight;
    int *airports; /* sorted by weight, heaviest first */
    int n;
} country_info;

static const sb_airport *cmp_base;

static int by_weight_desc(const void *x, const void *y)
{
    const sb_airport *a = &cmp_base[*(const int *)x], *b = &cmp_base[*(const int *)y];
    if (a->weight != b->weight)
        return a->weight < b->weight ? 1 : -1;
    return strcmp(a->iata, b->iata);
}

static int country_cmp(const void *x, const void *y)
{
    const country_info *a = x, *b = y;
    if (a->weight != b->weight)
        return a->weight < b->weight ? 1 : -1;
    return strcmp(a->code, b->code);
}

static ct_status build_countries(gen *g, country_info **out, int *nout)
{
    sb_world *w = g->w;
    country_info *c = ct_calloc((size_t)w->nairports + 1, sizeof(*c));
    int *all = ct_malloc(((size_t)w->nairports + 1) * sizeof(int));
    if (c == NULL || all == NULL) {
        ct_free(c);
        ct_free(all);
        return CT_NOMEM;
    }
    for (int i = 0; i < w->nairports; i++)
        all[i] = i;
    cmp_base = w->airports;
    qsort(all, (size_t)w->nairports, sizeof(int), by_weight_desc);
    int n = 0;
    for (int k = 0; k < w->nairports; k++) {
        const sb_airport *a = &w->airports[all[k]];
        int j = 0;
        while (j < n && strcmp(c[j].code, a->country) != 0)
            j++;
        if (j == n) {
            memcpy(c[n].code, a->country, 3);
            c[n].airports = ct_malloc((size_t)w->nairports * sizeof(int));
            if (c[n].airports == NULL)
                break;
            n++;
        }
        c[j].airports[c[j].n++] = all[k];
        c[j].weight += a->weight;
    }
    ct_free(all);
    qsort(c, (size_t)n, sizeof(*c), country_cmp);
    *out = c;
    *nout = n;
    return CT_OK;
}

static int airline_usable(const ct_airline *al)
{
    static const char *bad[] = {"cargo",   "Cargo",   "CARGO",     "Charter",
                                "charter", "Private", "Air Force", "Helicopter",
                                "Unknown", "Virtual", "Freight"};
    if (!al->active || al->country[0] == '\0' || al->iata[0] == '\0' || al->icao[0] == '\0')
        return 0;
    for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
        if (strstr(al->name, bad[i]) != NULL)
            return 0;
    }
    return 1;
}

static int carriers_for_country(double weight, sb_world_size size)
{
    if (size == SB_WORLD_SMALL)
        return weight > 150 ? 2 : 1;
    if (weight > 1500)
        return 12;
    if (weight > 600)
        return 7;
    if (weight > 250)
        return 5;
    if (weight > 100)
        return 3;
    if (weight > 30)
        return 2;
    return 1;
}

/* The currency a carrier files fares in: its country's, for the countries the sandbox's
 * exchange-rate table knows, else USD. */
static const char *currency_of(const char *country)
{
    static const struct {
        const char *country, *currency;
    } table[] = {{"CH", "CHF"}, {"GB", "GBP"}, {"US", "USD"}, {"JP", "JPY"}, {"AU", "AUD"},
                 {"CA", "CAD"}, {"CN", "CNY"}, {"IN", "INR"}, {"BR", "BRL"}, {"SE", "SEK"},
                 {"NO", "NOK"}, {"DK", "DKK"}, {"AE", "AED"}, {"SG", "SGD"}, {"KR", "KRW"},
                 {"DE", "EUR"}, {"FR", "EUR"}, {"ES", "EUR"}, {"IT", "EUR"}, {"NL", "EUR"},
                 {"AT", "EUR"}, {"BE", "EUR"}, {"IE", "EUR"}, {"PT", "EUR"}, {"FI", "EUR"},
                 {"GR", "EUR"}, {"MX", "MXN"}, {"TR", "TRY"}, {"ZA", "ZAR"}, {"NZ", "NZD"},
                 {"QA", "QAR"}, {"SA", "SAR"}, {"KW", "KWD"}, {"BH", "BHD"}, {"OM", "OMR"},
                 {"JO", "JOD"}, {"TN", "TND"}};
    for (size_t i = 0; i < sizeof(table) / sizeof(table[0]); i++) {
        if (strcmp(table[i].country, country) == 0)
            return table[i].currency;
    }
    return "USD";
}

static int code_taken(const sb_world *w, const char *code)
{
    for (int i = 0; i < w->ncarriers; i++) {
        if (strcmp(w->carriers[i].code, code) == 0)
            return 1;
    }
    return 0;
}

typedef struct candidate {
    const ct_airline *al;
    uint64_t order;
} candidate;

static int candidate_cmp(const void *x, const void *y)
{
    const candidate *a = x, *b = y;
    return a->order < b->order ? -1 : a->order > b->order;
}

static ct_status add_carriers_of(gen *g, const country_info *c, candidate *cand, int ncand)
{
    sb_world *w = g->w;
    int want = carriers_for_country(c->weight, w->size);
    int made = 0;
    for (int k = 0; k < ncand && made < want; k++) {
        const ct_airline *al = cand[k].al;
        if (strcmp(al->country, c->code) != 0 || code_taken(w, al->iata))
            continue;
        sb_carrier *cr = &w->carriers[w->ncarriers];
        memset(cr, 0, sizeof(*cr));
        memcpy(cr->code, al->iata, 3);
        cr->name = keep_string(w, al->name);
        if (cr->name == NULL)
            return CT_NOMEM;
        memcpy(cr->country, c->code, 3);
        snprintf(cr->currency, sizeof(cr->currency), "%s", currency_of(c->code));
        /* Hubs: the main carrier takes the heaviest airports, the next ones share them and
         * add their own further down the list. */
        int nh = made == 0 ? 3 : 1 + (made < 3);
        for (int h = 0; h < nh && h < c->n && cr->nhubs < SB_MAX_HUBS; h++) {
            int idx = made == 0 ? h : (h == 0 ? made % (c->n < 3 ? c->n : 3) : (made + 2 + h));
            if (idx >= c->n)
                continue;
            if (h > 0 && w->airports[c->airports[idx]].weight < 3.0)
                continue; /* a secondary hub needs real demand */
            int dup = 0;
            for (int q = 0; q < cr->nhubs; q++)
                dup |= cr->hubs[q] == c->airports[idx];
            if (!dup)
                cr->hubs[cr->nhubs++] = c->airports[idx];
        }
        w->ncarriers++;
        made++;
    }
    return CT_OK;
}

static ct_status add_carriers(gen *g, country_info *countries, int ncountries)
{
    sb_world *w = g->w;
    size_t nal = ct_refdata_airline_count(g->rd);
    candidate *cand = ct_malloc((nal + 1) * sizeof(*cand));
    w->carriers = ct_calloc((size_t)ncountries * 12 + 1, sizeof(sb_carrier));
    if (cand == NULL || w->carriers == NULL) {
        ct_free(cand);
        return CT_NOMEM;
    }
    int ncand = 0;
    for (size_t i = 0; i < nal; i++) {
        const ct_airline *al = ct_refdata_airline_at(g->rd, i);
        if (airline_usable(al))
            cand[ncand++] = (candidate){al, hash3(g->seed, code_key(al->iata), 2)};
    }
    qsort(cand, (size_t)ncand, sizeof(*cand), candidate_cmp);
    ct_status rc = CT_OK;
    for (int i = 0; !rc && i < ncountries; i++)
        rc = add_carriers_of(g, &countries[i], cand, ncand);
    ct_free(cand);
    /* Alliances: the carriers of the heaviest countries (main carriers first) are dealt to
     * three groups in turn; about a third of all carriers belong to one. */
    int in_alliance = w->ncarriers / 3 > 45 ? 45 : w->ncarriers / 3 + 1;
    for (int i = 0, dealt = 0; i < w->ncarriers && dealt < in_alliance; i++) {
        w->carriers[i].alliance = (sb_alliance)(1 + dealt % 3);
        dealt++;
    }
    return rc;
}

/* ---- step 3: routes ---- */

static ct_status add_route(gen *g, int carrier, int a, int b, int via, double demand, int global)
{
    char key[48];
    snprintf(key, sizeof(key), "%d:%d:%d", carrier, a < b ? a : b, a < b ? b : a);
    intptr_t at = (intptr_t)ct_map_get(g->route_index, key);
    if (at > 0) {
        route *r = &g->routes.items[at - 1];
        if (demand > r->demand)
            r->demand = demand;
        r->global |= global;
        return CT_OK;
    }
    route r = {carrier, a, b, via, demand, global};
    if (CT_VEC_PUSH(&g->routes, r))
        return CT_NOMEM;
    if (ct_map_put(g->route_index, key, (void *)(intptr_t)g->routes.len))
        return CT_NOMEM;
    g->served[a]++;
    g->served[b]++;
    if (via >= 0)
        g->served[via]++;
    return CT_OK;
}

typedef struct scored {
    int airport;
    double score;
} scored;

static int scored_desc(const void *x, const void *y)
{
    const scored *a = x, *b = y;
    if (a->score != b->score)
        return a->score < b->score ? 1 : -1;
    return a->airport - b->airport;
}

static double max_range_km(void)
{
    return aircraft_types[AIRCRAFT_ULR].range_km;
}

/* Gravity-model spokes of one hub. */
static ct_status add_hub_routes(gen *g, int carrier, int hub, int main_hub, scored *buf)
{
    sb_world *w = g->w;
    const sb_carrier *cr = &w->carriers[carrier];
    const sb_airport *h = &w->airports[hub];
    int n = 0;
    for (int s = 0; s < w->nairports; s++) {
        double km = sb_distance_km(w, hub, s);
        if (s == hub || km < MIN_ROUTE_KM || km > max_range_km())
            continue;
        const sb_airport *x = &w->airports[s];
        int domestic = strcmp(x->country, cr->country) == 0;
        double score = h->weight * x->weight / pow(km + 300.0, 0.8);
        if (!domestic)
            score *= km > 4000 ? (x->large ? 0.6 : 0.05) : 0.35;
        score *= 0.6 + 0.8 * unit(hash3(g->seed, (uint64_t)carrier * 100003u + (uint64_t)hub,
                                        (uint64_t)s));
        buf[n++] = (scored){s, score};
    }
    qsort(buf, (size_t)n, sizeof(*buf), scored_desc);
    int want = (int)(h->weight * (main_hub ? 9.0 : 4.0));
    if (w->size == SB_WORLD_SMALL)
        want = main_hub ? 14 : 6;
    if (want > 260)
        want = 260;
    if (want < 4)
        want = 4;
    ct_status rc = CT_OK;
    for (int i = 0; !rc && i < n && i < want; i++)
        rc = add_route(g, carrier, hub, buf[i].airport, -1, buf[i].score, 0);
    return rc;
}

/* Ties every airport without a route to the nearest hub (own country first). */
static ct_status cover_unserved(gen *g)
{
    sb_world *w = g->w;
    ct_status rc = CT_OK;
    for (int s = 0; !rc && s < w->nairports; s++) {
        if (g->served[s])
            continue;
        int best_c = -1, best_h = -1;
        double best = 1e18;
        for (int c = 0; c < w->ncarriers; c++) {
            for (int k = 0; k < w->carriers[c].nhubs; k++) {
                int hub = w->carriers[c].hubs[k];
                double km = sb_distance_km(w, hub, s);
                if (strcmp(w->carriers[c].country, w->airports[s].country) != 0)
                    km += 2500; /* prefer a domestic link */
                if (hub != s && km < best && sb_distance_km(w, hub, s) >= 50.0) {
                    best = km;
                    best_c = c;
                    best_h = hub;
                }
            }
        }
        if (best_c >= 0)
            rc = add_route(g, best_c, best_h, s, -1, 0.0, 0);
    }
    return rc;
}

/* Global hubs joined pairwise; every large airport joined to its two nearest global hubs. */
static ct_status add_global_network(gen *g)
{
    sb_world *w = g->w;
    int hubs[GLOBAL_HUBS], owner[GLOBAL_HUBS], nh = 0;
    /* Main hubs by weight, one per country. */
    for (int pass = 0; pass < w->ncarriers && nh < GLOBAL_HUBS; pass++) {
        int best = -1;
        for (int c = 0; c < w->ncarriers; c++) {
            int hub = w->carriers[c].hubs[0];
            int dup = 0;
            for (int k = 0; k < nh; k++)
                dup |= strcmp(w->airports[hubs[k]].country, w->airports[hub].country) == 0;
            if (!dup && w->carriers[c].nhubs > 0 &&
                (best < 0 ||
                 w->airports[hub].weight > w->airports[w->carriers[best].hubs[0]].weight))
                best = c;
        }
        if (best < 0)
            break;
        hubs[nh] = w->carriers[best].hubs[0];
        owner[nh++] = best;
    }
    ct_status rc = CT_OK;
    for (int i = 0; !rc && i < nh; i++)
        for (int j = i + 1; !rc && j < nh; j++)
            rc = add_route(g, owner[i], hubs[i], hubs[j], -1, 1.0, 1);
    for (int s = 0; !rc && s < w->nairports; s++) {
        if (!w->airports[s].large)
            continue;
        int first = -1;
        for (int pick = 0; !rc && pick < 2; pick++) {
            int best = -1;
            for (int k = 0; k < nh; k++) {
                if (k == first || hubs[k] == s)
                    continue;
                if (best < 0 || sb_distance_km(w, s, hubs[k]) < sb_distance_km(w, s, hubs[best]))
                    best = k;
            }
            if (best >= 0 && sb_distance_km(w, s, hubs[best]) >= 50.0)
                rc = add_route(g, owner[best], hubs[best], s, -1, 0.5, 1);
            first = best;
        }
    }
    return rc;
}

/* Thin spokes that lie beyond another thin spoke of the same hub become two-leg flights. */
static void make_multileg(gen *g)
{
    sb_world *w = g->w;
    for (size_t i = 0; i < g->routes.len; i++) {
        route *r = &g->routes.items[i];
        if (r->global || r->via >= 0 || unit(hash3(g->seed, i, 3)) > 0.25)
            continue;
        /* A hub's routes were added together: look only at the neighbourhood. */
        size_t lo = i > 300 ? i - 300 : 0, hi = i + 300 < g->routes.len ? i + 300 : g->routes.len;
        for (size_t j = lo; j < hi; j++) {
            route *q = &g->routes.items[j];
            if (j == i || q->carrier != r->carrier || q->a != r->a || q->global || q->via >= 0)
                continue;
            double d_ab = sb_distance_km(w, r->a, r->b), d_aq = sb_distance_km(w, q->a, q->b);
            double d_qb = sb_distance_km(w, q->b, r->b);
            if (d_aq < d_ab && d_qb < 450.0 && d_qb >= MIN_ROUTE_KM && d_aq + d_qb < d_ab * 1.25 &&
                r->demand < q->demand) {
                r->via = q->b; /* r now flies hub -> q.b -> r.b */
                break;
            }
        }
    }
}

/* ---- step 4 and 5: frequencies and schedules ---- */

typedef struct season {
    int64_t first, last; /* inclusive days */
    int summer;
} season;

/* Last Sunday of a month. */
static int64_t last_sunday(int year, int month)
{
    int64_t d = ct_days_from_civil(year, month + 1 > 12 ? 1 : month + 1, 1) - 1;
    if (month == 12)
        d = ct_days_from_civil(year + 1, 1, 1) - 1;
    while (ct_weekday(d) != 7)
        d--;
    return d;
}

/* IATA seasons: summer from the last Sunday of March to the Saturday before the last Sunday
 * of October; winter the rest. Clipped to the horizon. */
static int build_seasons(const sb_world *w, season *out)
{
    int64_t end = w->start_day + w->horizon_days - 1;
    int y, m, d;
    ct_civil_from_days(w->start_day, &y, &m, &d);
    int64_t marks[10];
    int nm = 0;
    for (int year = y - 1; year <= y + 2; year++) {
        marks[nm++] = last_sunday(year, 3);
        marks[nm++] = last_sunday(year, 10);
    }
    int n = 0;
    for (int i = 0; i + 1 < nm; i++) {
        int64_t first = marks[i], last = marks[i + 1] - 1;
        if (last < w->start_day || first > end)
            continue;
        out[n].first = first < w->start_day ? w->start_day : first;
        out[n].last = last > end ? end : last;
        out[n].summer = i % 2 == 0;
        n++;
    }
    return n;
}

/* Hub bank times, local minutes after midnight. */
static int bank_time(uint64_t seed, int hub, int slot, int nslots)
{
    int spread = 15 * 60; /* banks from about 06:30 to 21:30 */
    int jitter = (int)(unit(hash3(seed, (uint64_t)hub, 4)) * 40.0);
    return 6 * 60 + 30 + jitter + slot * spread / (nslots > 1 ? nslots - 1 : 1);
}

static uint8_t days_mask(double weekly, uint64_t h)
{
    int n = (int)lround(weekly);
    if (n >= 7)
        return 0x7f;
    if (n < 1)
        n = 1;
    uint8_t mask = 0;
    int start = (int)(h % 7), step = n >= 4 ? 1 : 2;
    for (int k = 0, d = start; k < n; k++, d = (d + step) % 7) {
        while (mask & (1u << d))
            d = (d + 1) % 7;
        mask |= (uint8_t)(1u << d);
    }
    return mask;
}

static int local_min_of(const sb_world *w, int airport, int64_t utc)
{
    const sb_zone *z = &w->zones[w->airports[airport].zone];
    int64_t local = utc + sb_zone_offset_at(z, utc);
    int64_t m = (local / 60) % 1440;
    return (int)(m < 0 ? m + 1440 : m);
}

static ct_status emit_flight(gen *g, int carrier, int number, const season *s, uint8_t mask,
                             const int *stops, int nstops, int dep_local_min, int aircraft)
{
    sb_world *w = g->w;
    sb_flight f;
    memset(&f, 0, sizeof(f));
    f.carrier = carrier;
    f.number = number;
    f.aircraft = aircraft;
    f.dow_mask = mask;
    f.first_day = s->first;
    f.last_day = s->last;
    /* Tighten the period to its first and last operating days. */
    while (f.first_day <= f.last_day && !(mask & (1u << (ct_weekday(f.first_day) - 1))))
        f.first_day++;
    while (f.last_day >= f.first_day && !(mask & (1u << (ct_weekday(f.last_day) - 1))))
        f.last_day--;
    if (f.first_day > f.last_day)
        return CT_OK;
    f.nlegs = nstops - 1;
    /* Reference date for local times of later legs: the period's first day. */
    int64_t dep_utc = sb_zone_to_utc(&w->zones[w->airports[stops[0]].zone],
                                     f.first_day * 86400 + dep_local_min * 60);
    for (int l = 0; l < f.nlegs; l++) {
        sb_leg *leg = &f.legs[l];
        leg->origin = stops[l];
        leg->dest = stops[l + 1];
        leg->block_min = block_minutes(sb_distance_km(w, stops[l], stops[l + 1]), aircraft);
        const sb_zone *z = &w->zones[w->airports[stops[l]].zone];
        int64_t local = dep_utc + sb_zone_offset_at(z, dep_utc);
        int64_t local_day = local >= 0 ? local / 86400 : -((-local + 86399) / 86400);
        leg->dep_local_min = (int)((local - local_day * 86400) / 60);
        leg->dep_day_offset = (int)(local_day - f.first_day);
        dep_utc += (int64_t)leg->block_min * 60 + 45 * 60; /* 45 min on the ground */
    }
    return CT_VEC_PUSH(&g->flights, f) ? CT_NOMEM : CT_OK;
}

/* Schedules every route of carrier c for every season. */
static ct_status schedule_carrier(gen *g, int c, const season *seasons, int nseasons, double scale)
{
    sb_world *w = g->w;
    int number = 1;
    ct_status rc = CT_OK;
    for (size_t i = 0; !rc && i < g->routes.len; i++) {
        const route *r = &g->routes.items[i];
        if (r->carrier != c)
            continue;
        uint64_t h = hash3(g->seed, (uint64_t)c * 7919u + i, 5);
        double daily = r->demand * scale;
        if (r->global && daily < 1.0)
            daily = 1.0;
        if (daily < 3.0 / 7.0)
            daily = 3.0 / 7.0;
        if (daily > 14.0)
            daily = 14.0;
        int stops_out[3] = {r->a, r->via, r->b}, stops_back[3] = {r->b, r->via, r->a};
        int nstops = r->via >= 0 ? 3 : 2;
        if (nstops == 2) {
            stops_out[1] = r->b;
            stops_back[1] = r->a;
        }
        double km = sb_distance_km(w, r->a, r->b);
        int aircraft = aircraft_for(km, daily, h);
        int slots = daily >= 1.0 ? (int)lround(daily) : 1;
        for (int k = 0; !rc && k < slots && number < 9990; k++) {
            int out_no = number++, back_no = number++;
            int bank = bank_time(g->seed, r->a, (int)((k * 5 + (int)(h % 5)) % 6), 6);
            for (int si = 0; !rc && si < nseasons; si++) {
                double season_factor = seasons[si].summer ? 1.0 + 0.3 * unit(hash3(g->seed, i, 6))
                                                          : 1.0 - 0.25 * unit(hash3(g->seed, i, 7));
                double weekly = daily >= 1.0 ? 7.0 : daily * 7.0 * season_factor;
                if (daily >= 1.0 && k == slots - 1 && season_factor < 0.85 && slots > 1)
                    weekly = 5.0; /* the last frequency of the day thins out in winter */
                uint8_t mask = days_mask(weekly, h + (uint64_t)k);
                /* Outbound leaves the hub after the bank; the return reaches it before. */
                int out_dep = (bank + 40) % 1440;
                rc = emit_flight(g, c, out_no, &seasons[si], mask, stops_out, nstops, out_dep,
                                 aircraft);
                int64_t ref_utc = sb_zone_to_utc(&w->zones[w->airports[r->a].zone],
                                                 seasons[si].first * 86400 + bank * 60);
                int total_block = 0;
                for (int l = 0; l + 1 < nstops; l++)
                    total_block +=
                        block_minutes(sb_distance_km(w, stops_back[l], stops_back[l + 1]),
                                      aircraft) +
                        (l > 0 ? 45 : 0);
                int back_dep = local_min_of(w, r->b, ref_utc - (int64_t)(total_block + 20) * 60);
                if (!rc)
                    rc = emit_flight(g, c, back_no, &seasons[si], mask, stops_back, nstops,
                                     back_dep, aircraft);
            }
        }
    }
    return rc;
}

static double daily_legs_estimate(const gen *g, double scale)
{
    double legs = 0;
    for (size_t i = 0; i < g->routes.len; i++) {
        const route *r = &g->routes.items[i];
        double daily = r->demand * scale;
        if (r->global && daily < 1.0)
            daily = 1.0;
        if (daily < 3.0 / 7.0)
            daily = 3.0 / 7.0;
        if (daily > 14.0)
            daily = 14.0;
        if (daily >= 1.0)
            daily = (double)lround(daily);
        legs += 2.0 * daily * (r->via >= 0 ? 2 : 1);
    }
    return legs;
}

/* Finds the demand scale whose schedule reaches the target number of daily legs. */
static double solve_scale(const gen *g)
{
    double lo = 1e-6, hi = 1e6;
    for (int i = 0; i < 80; i++) {
        double mid = sqrt(lo * hi);
        if (daily_legs_estimate(g, mid) < g->target_legs)
            lo = mid;
        else
            hi = mid;
    }
    return hi;
}

/* ---- public ---- */

void sb_world_free(sb_world *w)
{
    if (w == NULL)
        return;
    for (int i = 0; i < w->nstrings; i++)
        ct_free(w->strings[i]);
    ct_free(w->strings);
    ct_free(w->airports);
    ct_free(w->carriers);
    ct_free(w->flights);
    ct_free(w->zones);
    ct_free(w);
}

static ct_status generate_routes(gen *g, country_info *countries)
{
    sb_world *w = g->w;
    (void)countries;
    scored *buf = ct_malloc(((size_t)w->nairports + 1) * sizeof(scored));
    if (buf == NULL)
        return CT_NOMEM;
    ct_status rc = CT_OK;
    for (int c = 0; !rc && c < w->ncarriers; c++)
        for (int k = 0; !rc && k < w->carriers[c].nhubs; k++)
            rc = add_hub_routes(g, c, w->carriers[c].hubs[k], k == 0, buf);
    ct_free(buf);
    if (!rc)
        rc = add_global_network(g);
    if (!rc)
        rc = cover_unserved(g);
    if (!rc)
        make_multileg(g);
    return rc;
}

ct_status sb_world_generate(const ct_refdata *rd, uint64_t seed, int64_t start_day,
                            sb_world_size size, sb_world **out)
{
    ct_status rc = CT_NOMEM;
    country_info *countries = NULL;
    int ncountries = 0;
    gen g = {0};
    sb_world *w = ct_calloc(1, sizeof(*w));
    if (w == NULL)
        return CT_NOMEM;
    w->seed = seed;
    w->start_day = start_day;
    w->horizon_days = HORIZON_DAYS;
    w->size = size;
    g.w = w;
    g.rd = rd;
    g.seed = seed;
    g.target_legs = size == SB_WORLD_SMALL ? SMALL_TARGET_LEGS : DEFAULT_TARGET_LEGS;
    rc = add_airports(&g);
    if (!rc)
        rc = build_countries(&g, &countries, &ncountries);
    if (!rc)
        rc = add_carriers(&g, countries, ncountries);
    if (!rc) {
        g.served = ct_calloc((size_t)w->nairports + 1, sizeof(int));
        g.route_index = ct_map_create();
        rc = g.served && g.route_index ? generate_routes(&g, countries) : CT_NOMEM;
    }
    if (!rc) {
        season seasons[8];
        int nseasons = build_seasons(w, seasons);
        double scale = solve_scale(&g);
        for (int c = 0; !rc && c < w->ncarriers; c++) {
            w->carriers[c].first_flight = (int)g.flights.len;
            rc = schedule_carrier(&g, c, seasons, nseasons, scale);
            w->carriers[c].nflights = (int)g.flights.len - w->carriers[c].first_flight;
        }
    }
    for (int i = 0; i < ncountries; i++)
        ct_free(countries[i].airports);
    ct_free(countries);
    ct_free(g.served);
    ct_map_destroy(g.route_index);
    CT_VEC_FREE(&g.routes);
    if (rc) {
        CT_VEC_FREE(&g.flights);
        sb_world_free(w);
        return rc;
    }
    w->flights = g.flights.items;
    w->nflights = (int)g.flights.len;
    *out = w;
    return CT_OK;
}

int sb_flight_operates(const sb_flight *f, int64_t day)
{
    return day >= f->first_day && day <= f->last_day &&
           (f->dow_mask & (1u << (ct_weekday(day) - 1)));
}

ct_status sb_leg_times(const sb_world *w, const sb_flight *f, int leg, int64_t day,
                       int64_t *dep_utc, int64_t *arr_utc)
{
    if (leg < 0 || leg >= f->nlegs)
        return CT_INVALID;
    const sb_leg *l = &f->legs[leg];
    const sb_zone *z = &w->zones[w->airports[l->origin].zone];
    int64_t local = (day + l->dep_day_offset) * 86400 + (int64_t)l->dep_local_min * 60;
    *dep_utc = sb_zone_to_utc(z, local);
    *arr_utc = *dep_utc + (int64_t)l->block_min * 60;
    return CT_OK;
}

long sb_world_legs_on(const sb_world *w, int64_t day)
{
    long n = 0;
    for (int i = 0; i < w->nflights; i++) {
        if (sb_flight_operates(&w->flights[i], day))
            n += w->flights[i].nlegs;
    }
    return n;
}
