/* schedule.c: frequencies and flight patterns of the generated world (see
 * world_internal.h).
 *
 * A route's flights a day in each direction are the facts' frequency for the busiest routes
 * plus its gravity demand times one scale, solved so the day's legs reach the size's target
 * (thin routes fly some days of the week, caps by stage length: a long-haul spoke flies at
 * most a few times a day); winter and summer differ per route. At a network carrier's hub,
 * departures sit in connection banks (arrivals before a bank, departures after it); dense
 * routes and low-cost carriers spread their departures over the day instead. Block time =
 * taxi + great-circle distance / cruise speed, and each leg's aircraft is chosen for that
 * leg's stage length and demand (a multi-leg flight may change type at its stop). */
#include <math.h>
#include <string.h>

#include "base/alloc.h"
#include "base/timeutil.h"
#include "sandbox/world/world_internal.h"

#define GROUND_MIN     45 /* minutes on the ground at an intermediate stop */
#define BALANCE_ROUNDS 4

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
    int jitter = (int)(sb_unit(sb_hash3(seed, (uint64_t)hub, 4)) * 40.0);
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

/* Daily flights each way for a route at demand scale `scale`. */
static double route_daily(const gen *g, const route *r, double scale)
{
    double km = sb_distance_km(g->w, r->a, r->b);
    double cap = km < 1500 ? 16.0 : km < LONGHAUL_KM ? 10.0 : km < 9000 ? 3.0 : 1.5;
    double daily = r->demand * scale;
    if (daily > cap)
        daily = cap;
    if (r->global && daily < 1.0)
        daily = 1.0;
    if (daily < 3.0 / 7.0)
        daily = 3.0 / 7.0;
    if (r->fixed > 0)
        daily = r->fixed; /* the facts' frequency, whatever the gravity model says */
    return daily;
}

static ct_status emit_flight(gen *g, int carrier, int number, const season *s, uint8_t mask,
                             const int *stops, int nstops, int dep_local_min, const int *aircraft)
{
    sb_world *w = g->w;
    sb_flight f;
    memset(&f, 0, sizeof(f));
    f.carrier = carrier;
    f.number = number;
    f.aircraft = aircraft[0];
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
        leg->aircraft = aircraft[l];
        leg->block_min = sb_block_minutes(sb_distance_km(w, stops[l], stops[l + 1]), aircraft[l]);
        const sb_zone *z = &w->zones[w->airports[stops[l]].zone];
        int64_t local = dep_utc + sb_zone_offset_at(z, dep_utc);
        int64_t local_day = local >= 0 ? local / 86400 : -((-local + 86399) / 86400);
        leg->dep_local_min = (int)((local - local_day * 86400) / 60);
        leg->dep_day_offset = (int)(local_day - f.first_day);
        dep_utc += (int64_t)leg->block_min * 60 + GROUND_MIN * 60;
    }
    return CT_VEC_PUSH(&g->flights, f) ? CT_NOMEM : CT_OK;
}

/* Departure time from the hub end of slot k of `slots`: in banks at a network carrier's hub
 * when the route flies a few times a day, else spread evenly from 06:00 to 22:00. */
static int slot_time(const gen *g, const route *r, int k, int slots, uint64_t h)
{
    if (g->w->carriers[r->carrier].model == SB_NETWORK && slots <= 6)
        return bank_time(g->seed, r->a, (int)((k * 5 + (int)(h % 5)) % 6), 6);
    int jitter = (int)(h % 25);
    return 6 * 60 + jitter + k * (16 * 60) / slots;
}

static ct_status schedule_route(gen *g, size_t i, const season *seasons, int nseasons, double scale,
                                int *number)
{
    sb_world *w = g->w;
    const route *r = &g->routes.items[i];
    int c = r->carrier;
    uint64_t h = sb_hash3(g->seed, (uint64_t)c * 7919u + i, 5);
    double daily = route_daily(g, r, scale);
    int stops_out[3] = {r->a, r->via, r->b}, stops_back[3] = {r->b, r->via, r->a};
    int nstops = r->via >= 0 ? 3 : 2;
    if (nstops == 2) {
        stops_out[1] = r->b;
        stops_back[1] = r->a;
    }
    int ac_out[2], ac_back[2];
    for (int l = 0; l + 1 < nstops; l++) {
        ac_out[l] = sb_aircraft_for(w, c, sb_distance_km(w, stops_out[l], stops_out[l + 1]), daily);
        ac_back[nstops - 2 - l] = ac_out[l];
    }
    if (nstops == 3) { /* one cabin layout per flight: no turboprop leg under a business cabin */
        int n;
        const sb_aircraft *types = sb_aircraft_types(&n);
        for (int l = 0; l < 2; l++) {
            if (types[ac_out[l]].seats_business == 0 && types[ac_out[1 - l]].seats_business > 0)
                ac_out[l] = sb_aircraft_for_cabins(w, c, ac_out[l]);
        }
        ac_back[0] = ac_out[1];
        ac_back[1] = ac_out[0];
    }
    int slots = daily >= 1.0 ? (int)lround(daily) : 1;
    ct_status rc = CT_OK;
    for (int k = 0; !rc && k < slots && *number < 9990; k++) {
        int out_no = (*number)++, back_no = (*number)++;
        int bank = slot_time(g, r, k, slots, h);
        for (int si = 0; !rc && si < nseasons; si++) {
            double season_factor = seasons[si].summer
                                       ? 1.0 + 0.3 * sb_unit(sb_hash3(g->seed, i, 6))
                                       : 1.0 - 0.25 * sb_unit(sb_hash3(g->seed, i, 7));
            double weekly = daily >= 1.0 ? 7.0 : daily * 7.0 * season_factor;
            if (daily >= 1.0 && k == slots - 1 && season_factor < 0.85 && slots > 1)
                weekly = 5.0; /* the last frequency of the day thins out in winter */
            uint8_t mask = days_mask(weekly, h + (uint64_t)k);
            /* Outbound leaves the hub after the bank; the return reaches it before. */
            int out_dep = (bank + 40) % 1440;
            rc = emit_flight(g, c, out_no, &seasons[si], mask, stops_out, nstops, out_dep, ac_out);
            int64_t ref_utc = sb_zone_to_utc(&w->zones[w->airports[r->a].zone],
                                             seasons[si].first * 86400 + bank * 60);
            int total_block = 0;
            for (int l = 0; l + 1 < nstops; l++)
                total_block += sb_block_minutes(sb_distance_km(w, stops_back[l], stops_back[l + 1]),
                                                ac_back[l]) +
                               (l > 0 ? GROUND_MIN : 0);
            int back_dep = local_min_of(w, r->b, ref_utc - (int64_t)(total_block + 20) * 60);
            if (!rc)
                rc = emit_flight(g, c, back_no, &seasons[si], mask, stops_back, nstops, back_dep,
                                 ac_back);
        }
    }
    return rc;
}

static double daily_legs_estimate(const gen *g, double scale)
{
    double legs = 0;
    for (size_t i = 0; i < g->routes.len; i++) {
        const route *r = &g->routes.items[i];
        double daily = route_daily(g, r, scale);
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

/* Balances the gravity model against the airports' real traffic (a doubly constrained
 * gravity model, by iterative proportional fitting): the departures each ranked airport would
 * get are compared with its share of the ranked airports' passengers, and the demand of every
 * gravity route is multiplied by the square roots of its two ends' ratios (bounded), a few
 * rounds. International hubs without a domestic market (Dubai, Singapore) get their real
 * weight this way. CT_NOMEM. */
static ct_status balance_demand(gen *g)
{
    sb_world *w = g->w;
    double *dep = ct_calloc((size_t)w->nairports + 1, sizeof(double));
    double *factor = ct_calloc((size_t)w->nairports + 1, sizeof(double));
    if (dep == NULL || factor == NULL) {
        ct_free(dep);
        ct_free(factor);
        return CT_NOMEM;
    }
    for (int round = 0; round < BALANCE_ROUNDS; round++) {
        double scale = solve_scale(g);
        memset(dep, 0, (size_t)w->nairports * sizeof(double));
        for (size_t i = 0; i < g->routes.len; i++) {
            const route *r = &g->routes.items[i];
            double daily = route_daily(g, r, scale);
            dep[r->a] += daily;
            dep[r->b] += daily;
        }
        double sum_dep = 0, sum_pax = 0;
        for (int a = 0; a < w->nairports; a++) {
            if (w->airports[a].ranked) {
                sum_dep += dep[a];
                sum_pax += w->airports[a].weight;
            }
        }
        for (int a = 0; a < w->nairports; a++) {
            factor[a] = 1.0;
            if (w->airports[a].ranked && dep[a] > 0 && sum_pax > 0) {
                double ratio = (w->airports[a].weight / sum_pax * sum_dep) / dep[a];
                factor[a] = sqrt(fmin(3.0, fmax(0.5, ratio)));
            }
        }
        for (size_t i = 0; i < g->routes.len; i++) {
            route *r = &g->routes.items[i];
            r->demand *= factor[r->a] * factor[r->b];
        }
    }
    ct_free(dep);
    ct_free(factor);
    return CT_OK;
}

ct_status sb_build_schedules(gen *g)
{
    sb_world *w = g->w;
    season seasons[8];
    int nseasons = build_seasons(w, seasons);
    ct_status rc = balance_demand(g);
    if (rc)
        return rc;
    double scale = solve_scale(g);
    for (int c = 0; !rc && c < w->ncarriers; c++) {
        w->carriers[c].first_flight = (int)g->flights.len;
        int number = 1;
        for (size_t i = 0; !rc && i < g->routes.len; i++) {
            if (g->routes.items[i].carrier == c)
                rc = schedule_route(g, i, seasons, nseasons, scale, &number);
        }
        w->carriers[c].nflights = (int)g->flights.len - w->carriers[c].first_flight;
    }
    return rc;
}
