/* network.c: the route network of the generated world (see world_internal.h).
 *
 * In order, each step adding to g->routes (one route per carrier and airport pair):
 *   1. the busiest routes of facts.c, shared by the carriers with a hub or base at either end
 *      (by size, the main hub counting most), each with its real daily frequency;
 *   2. gravity-model spokes: from every hub of a network carrier and every base of a low-cost
 *      carrier, to the airports scoring highest on traffic x traffic / distance^1.1, weighted
 *      for country pairs (domestic, same continent, intercontinental) and leisure flows;
 *      low-cost carriers only within narrow-body range; more spokes for bigger carriers;
 *   3. the global network: the intercontinental hubs of facts.c joined pairwise (within
 *      13,000 km) and every large airport to its two nearest ones, which makes every large
 *      airport reachable from every other within two stops;
 *   4. every airport still unserved tied to the nearest hub or base allowed to fly there;
 *   5. some thin spokes beyond another spoke of the same hub become two-leg flights.
 * Every nonstop obeys sb_route_allowed: no cabotage outside the EU's single market (a carrier
 * flies from or to its home country, or inside the single market when it is from there), the
 * LaGuardia and Washington National perimeter rules, long-haul (over 4,000 km between
 * continents, or over 6,000 km) only between airports that have it, nothing over 13,000 km but the
 * ultra-long-haul pairs really flown, nothing beyond the longest range. */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "base/alloc.h"
#include "sandbox/world/facts.h"
#include "sandbox/world/world_internal.h"

#define GRAVITY_EXPONENT 1.1
#define MAX_SPOKES       230
#define NARROW_MAX_KM    6000.0 /* continental flights a narrow-body flies from any airport */

static int ultra_long_pair(const gen *g, int a, int b)
{
    for (size_t i = 0; i < sb_ultra_long_facts_len; i++) {
        int x = sb_gen_airport(g, sb_ultra_long_facts[i].a),
            y = sb_gen_airport(g, sb_ultra_long_facts[i].b);
        if ((x == a && y == b) || (x == b && y == a))
            return 1;
    }
    return 0;
}

static int perimeter_ok(const sb_world *w, int a, int b, double km)
{
    const sb_airport *x = &w->airports[a], *y = &w->airports[b];
    double limit = sb_fact_perimeter_km(x->iata);
    if (limit > 0 &&
        (km > limit || (strcmp(y->country, "US") != 0 && strcmp(y->country, "CA") != 0)) &&
        !sb_fact_perimeter_exempt(x->iata, y->iata))
        return 0;
    return 1;
}

int sb_route_allowed(const gen *g, int c, int a, int b)
{
    const sb_world *w = g->w;
    const sb_carrier *cr = &w->carriers[c];
    const char *ca = w->airports[a].country, *cb = w->airports[b].country;
    if (a == b || (w->airports[a].metro[0] != '\0' &&
                   strcmp(w->airports[a].metro, w->airports[b].metro) == 0))
        return 0; /* no flight within one city (Stansted-Heathrow) */
    if (strcmp(ca, cr->country) != 0 && strcmp(cb, cr->country) != 0 &&
        !(sb_fact_single_market(cr->country) && sb_fact_single_market(ca) &&
          sb_fact_single_market(cb)))
        return 0; /* cabotage or a fifth freedom: not granted */
    double km = sb_distance_km(w, a, b);
    if (km < MIN_ROUTE_KM * 0.5 || !perimeter_ok(w, a, b, km) || !perimeter_ok(w, b, a, km))
        return 0;
    if (km > LONGHAUL_KM &&
        (km > NARROW_MAX_KM || strcmp(w->airports[a].continent, w->airports[b].continent) != 0) &&
        (!w->airports[a].longhaul || !w->airports[b].longhaul))
        return 0; /* intercontinental or wide-body long-haul: only where airports have it */
    if (cr->model == SB_LOW_COST && km > LCC_MAX_KM)
        return 0;
    if (km > ULTRA_LONG_KM && !ultra_long_pair(g, a, b))
        return 0;
    int n;
    const sb_aircraft *types = sb_aircraft_types(&n);
    return km <= types[n - 1].range_km;
}

static ct_status add_route(gen *g, int carrier, int a, int b, int via, double demand, double fixed,
                           int global)
{
    char key[48];
    snprintf(key, sizeof(key), "%d:%d:%d", carrier, a < b ? a : b, a < b ? b : a);
    intptr_t at = (intptr_t)ct_map_get(g->route_index, key);
    if (at > 0) {
        route *r = &g->routes.items[at - 1];
        if (demand > r->demand)
            r->demand = demand;
        r->fixed += fixed;
        r->global |= global;
        return CT_OK;
    }
    route r = {carrier, a, b, via, demand, fixed, global};
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

/* How much of an airport a carrier holds: 1 at its main hub, 0.6 at another hub, 0.4 at a
 * base, 0 elsewhere. */
static double presence(const sb_carrier *cr, int airport)
{
    for (int k = 0; k < cr->nhubs; k++) {
        if (cr->hubs[k] == airport)
            return k == 0 ? 1.0 : 0.6;
    }
    for (int k = 0; k < cr->nbases; k++) {
        if (cr->bases[k] == airport)
            return 0.4;
    }
    return 0.0;
}

/* ---- 1: the busiest routes ---- */

typedef struct share {
    int carrier;
    double weight;
    int hub_end; /* the airport where it is based */
} share;

static int share_desc(const void *x, const void *y)
{
    const share *a = x, *b = y;
    if (a->weight != b->weight)
        return a->weight < b->weight ? 1 : -1;
    return a->carrier - b->carrier;
}

/* The fraction of the facts' frequencies the world flies: all of it in the default world,
 * less in the small one so the trunks keep to about a third of its legs. */
static double trunk_factor(const gen *g)
{
    double legs = 0;
    for (size_t i = 0; i < sb_route_facts_len; i++) {
        if (sb_gen_airport(g, sb_route_facts[i].a) >= 0 &&
            sb_gen_airport(g, sb_route_facts[i].b) >= 0)
            legs += 2.0 * sb_route_facts[i].daily;
    }
    double cap = g->target_legs * 0.3;
    return legs > cap ? cap / legs : 1.0;
}

static ct_status add_trunk(gen *g, const sb_route_fact *f, double factor, share *buf)
{
    const sb_world *w = g->w;
    int a = sb_gen_airport(g, f->a), b = sb_gen_airport(g, f->b);
    if (a < 0 || b < 0)
        return CT_OK;
    int n = 0;
    for (int c = 0; c < w->ncarriers; c++) {
        const sb_carrier *cr = &w->carriers[c];
        double pa = presence(cr, a), pb = presence(cr, b);
        if ((pa > 0 || pb > 0) && sb_route_allowed(g, c, a, b))
            buf[n++] = (share){c, cr->mpax * (pa > pb ? pa : pb), pa >= pb ? a : b};
    }
    if (n == 0) { /* no one based there: the home carriers of either end */
        for (int c = 0; c < w->ncarriers; c++) {
            const sb_carrier *cr = &w->carriers[c];
            if ((!strcmp(cr->country, w->airports[a].country) ||
                 !strcmp(cr->country, w->airports[b].country)) &&
                sb_route_allowed(g, c, a, b))
                buf[n++] = (share){c, cr->mpax * 0.2,
                                   !strcmp(cr->country, w->airports[a].country) ? a : b};
        }
    }
    qsort(buf, (size_t)n, sizeof(*buf), share_desc);
    if (n > 5)
        n = 5;
    double total = 0;
    for (int k = 0; k < n; k++)
        total += buf[k].weight;
    double daily = f->daily * factor;
    ct_status rc = CT_OK;
    for (int k = 0; !rc && k < n; k++) {
        double part = daily * buf[k].weight / total;
        if (k > 0 && part < 0.5)
            break;
        if (part < 1.0)
            part = 1.0;
        int other = buf[k].hub_end == a ? b : a;
        rc = add_route(g, buf[k].carrier, buf[k].hub_end, other, -1, 0.0, part, 0);
    }
    return rc;
}

static ct_status add_trunks(gen *g)
{
    share *buf = ct_calloc((size_t)g->w->ncarriers + 1, sizeof(share));
    if (buf == NULL)
        return CT_NOMEM;
    double factor = trunk_factor(g);
    ct_status rc = CT_OK;
    for (size_t i = 0; !rc && i < sb_route_facts_len; i++)
        rc = add_trunk(g, &sb_route_facts[i], factor, buf);
    ct_free(buf);
    return rc;
}

/* ---- 2: gravity spokes ---- */

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

/* The gravity model's demand between a carrier's station `from` and airport `to`. */
static double gravity(const gen *g, int c, int from, int to, double km)
{
    const sb_world *w = g->w;
    const sb_airport *h = &w->airports[from], *x = &w->airports[to];
    double score = h->weight * x->weight / pow(km + 250.0, GRAVITY_EXPONENT);
    if (km < 500.0)
        score *= pow(km / 500.0, 1.5); /* short hops lose to rail and road */
    if (strcmp(h->country, x->country) == 0)
        score *= 2.5; /* domestic markets are the densest */
    else if (strcmp(h->continent, x->continent) == 0)
        score *= 1.0;
    else
        score *= 0.45;
    if (x->leisure && strcmp(h->country, x->country) != 0)
        score *= w->carriers[c].model == SB_LOW_COST ? 2.5 : 1.6;
    return score * (0.7 + 0.6 * sb_unit(sb_hash3(g->seed, (uint64_t)c * 100003u + (uint64_t)from,
                                                 (uint64_t)to)));
}

static int spokes_wanted(const gen *g, const sb_carrier *cr, double role)
{
    if (g->w->size == SB_WORLD_SMALL)
        return role >= 1.0 ? 8 : 3;
    int want = (int)(6 + 5.0 * sqrt(cr->mpax) * role);
    return want > MAX_SPOKES ? MAX_SPOKES : want;
}

/* A station's demand counts by its role: the main hub fully, other hubs and bases less, so
 * a carrier flies most from its main hub even where a base is a bigger airport. */
static ct_status add_spokes(gen *g, int c, int hub, double role, scored *buf)
{
    sb_world *w = g->w;
    int n = 0;
    for (int s = 0; s < w->nairports; s++) {
        double km = sb_distance_km(w, hub, s);
        if (s == hub || km < MIN_ROUTE_KM || !sb_route_allowed(g, c, hub, s))
            continue;
        buf[n++] = (scored){s, gravity(g, c, hub, s, km) * role * role};
    }
    qsort(buf, (size_t)n, sizeof(*buf), scored_desc);
    int want = spokes_wanted(g, &w->carriers[c], role);
    ct_status rc = CT_OK;
    for (int i = 0; !rc && i < n && i < want; i++)
        rc = add_route(g, c, hub, buf[i].airport, -1, buf[i].score, 0.0, 0);
    return rc;
}

static ct_status add_gravity(gen *g)
{
    sb_world *w = g->w;
    scored *buf = ct_malloc(((size_t)w->nairports + 1) * sizeof(scored));
    if (buf == NULL)
        return CT_NOMEM;
    ct_status rc = CT_OK;
    for (int c = 0; !rc && c < w->ncarriers; c++) {
        const sb_carrier *cr = &w->carriers[c];
        for (int k = 0; !rc && k < cr->nhubs; k++)
            rc = add_spokes(g, c, cr->hubs[k], k == 0 ? 1.0 : 0.55, buf);
        for (int k = 0; !rc && k < cr->nbases; k++)
            rc = add_spokes(g, c, cr->bases[k], cr->model == SB_LOW_COST ? 0.35 : 0.2, buf);
    }
    ct_free(buf);
    return rc;
}

/* ---- 3: the global network ---- */

/* The biggest network carrier whose main hub is `airport`, or -1. */
static int hub_owner(const sb_world *w, int airport)
{
    int best = -1;
    for (int c = 0; c < w->ncarriers; c++) {
        const sb_carrier *cr = &w->carriers[c];
        if (cr->model == SB_NETWORK && cr->hubs[0] == airport &&
            (best < 0 || cr->mpax > w->carriers[best].mpax))
            best = c;
    }
    return best;
}

/* 1 when hubs i and j are the closest pair of hubs between their two continents. */
static int closest_across(const sb_world *w, const int *hubs, int nh, int i, int j)
{
    const char *ci = w->airports[hubs[i]].continent, *cj = w->airports[hubs[j]].continent;
    double km = sb_distance_km(w, hubs[i], hubs[j]);
    for (int k = 0; k < nh; k++)
        for (int l = 0; l < nh; l++) {
            if (!strcmp(w->airports[hubs[k]].continent, ci) &&
                !strcmp(w->airports[hubs[l]].continent, cj) &&
                sb_distance_km(w, hubs[k], hubs[l]) < km)
                return 0;
        }
    return 1;
}

/* The small world joins its hubs pairwise only within a continent, and each pair of
 * continents by its closest hubs, so long-haul keeps its real share of a world that small. */
static int join_hubs(const gen *g, const int *hubs, const int *owner, int nh, int i, int j)
{
    const sb_world *w = g->w;
    if (!sb_route_allowed(g, owner[i], hubs[i], hubs[j]))
        return 0;
    if (w->size != SB_WORLD_SMALL ||
        !strcmp(w->airports[hubs[i]].continent, w->airports[hubs[j]].continent))
        return 1;
    return closest_across(w, hubs, nh, i, j);
}

static ct_status add_global_network(gen *g)
{
    sb_world *w = g->w;
    int hubs[64], owner[64], nh = 0;
    for (int i = 0; sb_global_hubs[i] != NULL && nh < 64; i++) {
        int a = sb_gen_airport(g, sb_global_hubs[i]);
        int c = a >= 0 ? hub_owner(w, a) : -1;
        if (c >= 0) {
            hubs[nh] = a;
            owner[nh++] = c;
        }
    }
    ct_status rc = CT_OK;
    for (int i = 0; !rc && i < nh; i++)
        for (int j = i + 1; !rc && j < nh; j++) {
            if (join_hubs(g, hubs, owner, nh, i, j))
                rc = add_route(g, owner[i], hubs[i], hubs[j], -1, 0.0, 0.0, 1);
        }
    for (int s = 0; !rc && s < w->nairports; s++) {
        if (!w->airports[s].large)
            continue;
        int first = -1;
        for (int pick = 0; !rc && pick < 2; pick++) {
            int best = -1;
            for (int k = 0; k < nh; k++) {
                if (k == first || hubs[k] == s || sb_distance_km(w, s, hubs[k]) < 50.0 ||
                    !sb_route_allowed(g, owner[k], hubs[k], s))
                    continue;
                if (best < 0 || sb_distance_km(w, s, hubs[k]) < sb_distance_km(w, s, hubs[best]))
                    best = k;
            }
            if (best >= 0)
                rc = add_route(g, owner[best], hubs[best], s, -1, 0.0, 0.0, 1);
            first = best;
        }
    }
    return rc;
}

/* ---- 4: coverage ---- */

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
            const sb_carrier *cr = &w->carriers[c];
            for (int k = 0; k < cr->nhubs + cr->nbases; k++) {
                int hub = k < cr->nhubs ? cr->hubs[k] : cr->bases[k - cr->nhubs];
                double km = sb_distance_km(w, hub, s);
                if (strcmp(cr->country, w->airports[s].country) != 0)
                    km += 2500; /* prefer a domestic link */
                if (km < best && sb_distance_km(w, hub, s) >= 50.0 &&
                    sb_route_allowed(g, c, hub, s)) {
                    best = km;
                    best_c = c;
                    best_h = hub;
                }
            }
        }
        if (best_c >= 0)
            rc = add_route(g, best_c, best_h, s, -1, 0.0, 0.0, 0);
    }
    return rc;
}

/* ---- 5: multi-leg flights ---- */

static void make_multileg(gen *g)
{
    sb_world *w = g->w;
    for (size_t i = 0; i < g->routes.len; i++) {
        route *r = &g->routes.items[i];
        if (r->global || r->fixed > 0 || r->via >= 0 || sb_unit(sb_hash3(g->seed, i, 3)) > 0.25)
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
                r->demand < q->demand && sb_route_allowed(g, r->carrier, q->b, r->b)) {
                r->via = q->b; /* r now flies hub -> q.b -> r.b */
                g->served[q->b]++;
                break;
            }
        }
    }
}

ct_status sb_build_network(gen *g)
{
    ct_status rc = add_trunks(g);
    if (!rc)
        rc = add_gravity(g);
    if (!rc)
        rc = add_global_network(g);
    if (!rc)
        rc = cover_unserved(g);
    if (!rc)
        make_multileg(g);
    return rc;
}
