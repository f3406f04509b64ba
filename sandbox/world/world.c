/* world.c: the deterministic airline-world generator (see world.h), its airports, carriers
 * and aircraft; network.c makes the routes and schedule.c the flights.
 *
 * Steps, each a pure function of the facts, the seed and what came before:
 *   1. airports: every reference airport (or a fixed subset for the small world), with a
 *      demand weight: its real passenger traffic where facts.c ranks it, else an estimate
 *      from its size (lognormal noise from the seed); long-haul and leisure flags from facts;
 *   2. carriers: the airlines of facts.c whose main hub is in the world, with their real
 *      hubs, bases, home country, alliance and business model;
 *   3. routes (network.c) and 4. schedules (schedule.c).
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
#include "sandbox/world/facts.h"
#include "sandbox/world/world_internal.h"

#define DEFAULT_TARGET_LEGS 56000.0
#define SMALL_TARGET_LEGS   420.0
#define HORIZON_DAYS        365
#define SMALL_MIN_MPAX      20.0 /* the small world keeps the bigger carriers only */

/* ---- aircraft ---- */

/* Seats in the sandbox's two-cabin layouts; ranges and cruise speeds as the manufacturers
 * publish them (rounded; typical payload). */
static const sb_aircraft aircraft_types[] = {
    /* first, business, premium economy, economy seats; range km; cruise km/h */
    {"AT7", "ATR 72-600", 0, 0, 0, 70, 1500, 510},
    {"DH4", "De Havilland Dash 8-400", 0, 0, 0, 78, 2000, 660},
    {"E75", "Embraer 175", 0, 12, 0, 64, 3700, 820},
    {"CR9", "Bombardier CRJ900", 0, 12, 0, 64, 2900, 830},
    {"73H", "Boeing 737-800", 0, 16, 0, 150, 5400, 840},
    {"32N", "Airbus A320neo", 0, 12, 0, 156, 6300, 830},
    {"7M8", "Boeing 737 MAX 8", 0, 16, 0, 156, 6500, 840},
    {"32Q", "Airbus A321neo", 0, 16, 0, 180, 7400, 830},
    {"333", "Airbus A330-300", 0, 30, 21, 239, 11700, 870},
    {"789", "Boeing 787-9", 0, 30, 28, 232, 14000, 900},
    {"77W", "Boeing 777-300ER", 8, 42, 40, 260, 13600, 905},
    {"359", "Airbus A350-900", 6, 36, 24, 254, 15000, 900},
    {"359", "Airbus A350-900ULR", 0, 42, 24, 96, 18000, 905},
};
enum {
    AC_AT7,
    AC_DH4,
    AC_E75,
    AC_CR9,
    AC_73H,
    AC_32N,
    AC_7M8,
    AC_32Q,
    AC_333,
    AC_789,
    AC_77W,
    AC_359,
    AC_ULR
};

const sb_aircraft *sb_aircraft_types(int *count)
{
    *count = (int)(sizeof(aircraft_types) / sizeof(aircraft_types[0]));
    return aircraft_types;
}

int sb_aircraft_widebody(int aircraft)
{
    return aircraft >= AC_333;
}

/* Stage length first (the type must reach, long-haul flown by wide-bodies except a low-cost
 * carrier's A321neo), then demand: turboprops and regional jets on thin short routes, the
 * bigger narrow-bodies on dense ones, the 777 on dense long-haul. A carrier flies one
 * narrow-body family (Airbus or Boeing, from its code). */
int sb_aircraft_for(const sb_world *w, int c, double km, double daily)
{
    const sb_carrier *cr = &w->carriers[c];
    int boeing =
        (sb_hash3(w->seed, (uint64_t)(unsigned char)cr->code[0] * 256u + (unsigned char)cr->code[1],
                  11) &
         1) != 0;
    if (km > ULTRA_LONG_KM)
        return AC_ULR;
    if (km > 11500)
        return daily >= 2 ? AC_359 : AC_789;
    if (km > LONGHAUL_KM) {
        if (cr->model == SB_LOW_COST || (km < 6500 && daily < 1.5))
            return AC_32Q;
        if (daily >= 3 && km > 6000)
            return AC_77W;
        return km < 9000 && !boeing ? AC_333 : AC_789;
    }
    if (cr->model != SB_LOW_COST && km < 600 && daily < 5)
        return boeing ? AC_DH4 : AC_AT7;
    if (cr->model != SB_LOW_COST && km < 1500 && daily < 3)
        return boeing ? AC_E75 : AC_CR9;
    if (daily >= 10 || (km > 3000 && !boeing))
        return AC_32Q;
    return boeing ? (cr->model == SB_LOW_COST ? AC_73H : AC_7M8) : AC_32N;
}

int sb_aircraft_for_cabins(const sb_world *w, int c, int aircraft)
{
    (void)w;
    (void)c;
    return aircraft == AC_DH4 ? AC_E75 : aircraft == AC_AT7 ? AC_CR9 : aircraft;
}

/* ---- randomness ---- */

static uint64_t mix(uint64_t z)
{
    z += 0x9e3779b97f4a7c15ull;
    z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ull;
    z = (z ^ (z >> 27)) * 0x94d049bb133111ebull;
    return z ^ (z >> 31);
}

uint64_t sb_hash3(uint64_t seed, uint64_t a, uint64_t b)
{
    return mix(mix(seed ^ mix(a)) ^ b);
}

double sb_unit(uint64_t h)
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

int sb_block_minutes(double km, int aircraft)
{
    double cruise = aircraft_types[aircraft].cruise_kmh;
    double minutes = 30.0 + km / cruise * 60.0 * 1.05;
    return (int)(ceil(minutes / 5.0) * 5.0);
}

/* ---- generation state ---- */

int sb_gen_airport(const gen *g, const char *iata)
{
    if (iata == NULL)
        return -1;
    intptr_t at = (intptr_t)ct_map_get(g->airport_index, iata);
    return at > 0 ? (int)at - 1 : -1;
}

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

/* Passengers a year in millions: the ranked figure of facts.c, else an estimate (large
 * airports about 4 million, medium ones about 0.4, lognormal around that). */
static void set_weight(const gen *g, sb_airport *x)
{
    for (size_t i = 0; i < sb_airport_facts_len; i++) {
        if (strcmp(sb_airport_facts[i].iata, x->iata) == 0) {
            x->weight = sb_airport_facts[i].mpax;
            x->ranked = 1;
            break;
        }
    }
    if (!x->ranked) {
        double noise = exp(0.6 * (sb_unit(sb_hash3(g->seed, code_key(x->iata), 1)) * 2 - 1));
        x->weight = (x->large ? 4.0 : 0.4) * noise;
    }
    x->longhaul =
        (x->ranked && x->weight >= 15.0) || sb_fact_in_list(sb_longhaul_airports, x->iata) >= 0;
    x->leisure = sb_fact_in_list(sb_leisure_airports, x->iata) >= 0;
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
        snprintf(x->continent, sizeof(x->continent), "%s", a->continent ? a->continent : "");
        snprintf(x->metro, sizeof(x->metro), "%s", a->metro ? a->metro : "");
        set_weight(g, x);
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
        if (ct_map_put(g->airport_index, x->iata, (void *)(intptr_t)(w->nairports + 1)))
            return CT_NOMEM;
        w->nairports++;
    }
    return CT_OK;
}

/* ---- step 2: carriers ---- */

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

static void add_list(const gen *g, const char *const *codes, int max, int *out, int *n,
                     const int *also, int nalso)
{
    for (int k = 0; k < max && codes[k] != NULL; k++) {
        int a = sb_gen_airport(g, codes[k]), dup = 0;
        for (int q = 0; q < *n; q++)
            dup |= out[q] == a;
        for (int q = 0; q < nalso; q++)
            dup |= also[q] == a;
        if (a >= 0 && !dup)
            out[(*n)++] = a;
    }
}

/* One carrier per fact whose main hub is in the world (the small world keeps the big ones). */
static ct_status add_carriers(gen *g)
{
    sb_world *w = g->w;
    w->carriers = ct_calloc(sb_airline_facts_len + 1, sizeof(sb_carrier));
    if (w->carriers == NULL)
        return CT_NOMEM;
    for (size_t i = 0; i < sb_airline_facts_len; i++) {
        const sb_airline_fact *f = &sb_airline_facts[i];
        if (sb_gen_airport(g, f->hubs[0]) < 0)
            continue;
        if (w->size == SB_WORLD_SMALL && f->mpax < SMALL_MIN_MPAX)
            continue;
        sb_carrier *cr = &w->carriers[w->ncarriers];
        memset(cr, 0, sizeof(*cr));
        snprintf(cr->code, sizeof(cr->code), "%s", f->code);
        cr->name = keep_string(w, f->name);
        if (cr->name == NULL)
            return CT_NOMEM;
        snprintf(cr->country, sizeof(cr->country), "%s", f->country);
        snprintf(cr->currency, sizeof(cr->currency), "%s", currency_of(f->country));
        cr->alliance = (sb_alliance)f->alliance;
        cr->model = f->model == SB_MODEL_LOW_COST ? SB_LOW_COST : SB_NETWORK;
        cr->mpax = f->mpax;
        add_list(g, f->hubs, SB_FACT_MAX_HUBS, cr->hubs, &cr->nhubs, NULL, 0);
        add_list(g, f->bases, SB_FACT_MAX_BASES, cr->bases, &cr->nbases, cr->hubs, cr->nhubs);
        w->ncarriers++;
    }
    return CT_OK;
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

ct_status sb_world_generate(const ct_refdata *rd, uint64_t seed, int64_t start_day,
                            sb_world_size size, sb_world **out)
{
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
    g.airport_index = ct_map_create();
    g.route_index = ct_map_create();
    ct_status rc = g.airport_index && g.route_index ? add_airports(&g) : CT_NOMEM;
    if (!rc)
        rc = add_carriers(&g);
    if (!rc) {
        g.served = ct_calloc((size_t)w->nairports + 1, sizeof(int));
        rc = g.served ? sb_build_network(&g) : CT_NOMEM;
    }
    if (!rc)
        rc = sb_build_schedules(&g);
    ct_free(g.served);
    ct_map_destroy(g.route_index);
    ct_map_destroy(g.airport_index);
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
