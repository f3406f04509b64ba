/* trip.c: slices combined into trips, priced together, filtered and ranked (see trip.h). */
#include "search/trip.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "base/alloc.h"
#include "base/timeutil.h"
#include "base/vec.h"

typedef CT_VEC(ct_trip) trip_vec;

/* One provider's per-passenger price of the whole trip (its minor units), -1 when it does
 * not sell every slice. */
static int64_t provider_trip(const ct_price_ctx *pc, int p, const ct_trip *t)
{
    int64_t sum = 0;
    int all_one_ticket = 1;
    for (int i = 0; i < t->nslices; i++) {
        int one = 0;
        int64_t s = ct_price_slice_provider(pc, p, t->slice[i].legs, t->slice[i].nlegs, &one);
        if (s < 0)
            return -1;
        sum += s;
        all_one_ticket &= one;
    }
    ct_provider_kind kind = pc->view->snap->providers[p].desc.kind;
    if (t->nslices != 2 || !all_one_ticket || kind == CT_PROVIDER_COMBINER)
        return sum;
    /* A return on one ticket: every leg cooperates with every other. */
    const ct_leg *a = t->slice[0].legs[0];
    for (int i = 0; i < 2; i++) {
        for (int k = 0; k < t->slice[i].nlegs; k++) {
            if (ct_price_self_transfer(pc, a, t->slice[i].legs[k]))
                return sum;
        }
    }
    return sum * 90 / 100;
}

static void price_trip(const ct_price_ctx *pc, ct_trip *t)
{
    t->price = CT_PRICE_UNKNOWN;
    for (int p = 0; p < CT_MAX_PROVIDERS; p++)
        t->offer[p] = t->native[p] = -1;
    t->separate = -1;
    if (pc == NULL || pc->view == NULL)
        return;
    for (int i = 0; i < t->nslices; i++) {
        if (t->slice[i].price == CT_PRICE_UNKNOWN)
            return;
    }
    int64_t best = -1;
    for (int p = 0; p < pc->nproviders; p++) {
        int64_t per = provider_trip(pc, p, t);
        if (per < 0)
            continue;
        t->offer[p] = ct_price_total(pc, p, per);
        t->native[p] = ct_price_native_total(pc, p, per);
        if (best < 0 || t->offer[p] < best)
            best = t->offer[p];
    }
    t->separate = -1;
    if (t->nslices > 1) { /* one booking per slice, each at its own cheapest */
        t->separate = 0;
        for (int i = 0; i < t->nslices; i++)
            t->separate += t->slice[i].price;
        if (best < 0 || t->separate < best)
            best = t->separate;
    }
    t->price = best;
}

static void trip_stats(const ct_price_ctx *pc, ct_trip *t)
{
    t->stops = 0;
    t->self_transfers = 0;
    t->minutes = 0;
    for (int i = 0; i < t->nslices; i++) {
        const ct_itinerary *it = &t->slice[i];
        t->stops += it->nlegs - 1;
        t->minutes += it->arr - it->dep;
        for (int k = 1; k < it->nlegs; k++)
            t->self_transfers += ct_price_self_transfer(pc, it->legs[k - 1], it->legs[k]);
    }
}

void ct_trip_price(const ct_price_ctx *pc, ct_trip *t)
{
    price_trip(pc, t);
    trip_stats(pc, t);
}

static int trip_dominates(const ct_trip *a, const ct_trip *b)
{
    int better = 0;
    if (a->stops > b->stops || a->price > b->price)
        return 0;
    for (int i = 0; i < a->nslices; i++) {
        if (a->slice[i].dep < b->slice[i].dep || a->slice[i].arr > b->slice[i].arr)
            return 0;
        better |= a->slice[i].dep > b->slice[i].dep || a->slice[i].arr < b->slice[i].arr;
    }
    return better || a->stops < b->stops || a->price < b->price;
}

static int by_price(const void *x, const void *y)
{
    const ct_trip *a = x, *b = y;
    if (a->price != b->price)
        return a->price < b->price ? -1 : 1;
    return a->stops - b->stops;
}

/* Removes dominated trips: sorted by price, a trip can only be dominated by one before it
 * (or one of equal price, checked both ways). */
static void trip_pareto(trip_vec *v)
{
    if (v->len > 1)
        qsort(v->items, v->len, sizeof(ct_trip), by_price);
    size_t n = 0;
    for (size_t i = 0; i < v->len; i++) {
        int dominated = 0;
        for (size_t j = 0; j < n && !dominated; j++)
            dominated = trip_dominates(&v->items[j], &v->items[i]);
        for (size_t j = i + 1; j < v->len && !dominated && v->items[j].price == v->items[i].price;
             j++)
            dominated = trip_dominates(&v->items[j], &v->items[i]);
        if (!dominated)
            v->items[n++] = v->items[i];
    }
    v->len = n;
}

/* Keeps the `keep` best itineraries of a slice by a one-way "best" score. */
static void cut_slice(ct_search_result *r, size_t keep)
{
    if (r->n <= keep)
        return;
    ct_trip *tmp = ct_malloc(r->n * sizeof(ct_trip));
    if (tmp == NULL) {
        r->n = keep;
        return;
    }
    for (size_t i = 0; i < r->n; i++) {
        memset(&tmp[i], 0, sizeof(ct_trip));
        tmp[i].nslices = 1;
        tmp[i].slice[0] = r->items[i];
        tmp[i].price = r->items[i].price;
        tmp[i].stops = r->items[i].nlegs - 1;
        tmp[i].minutes = r->items[i].arr - r->items[i].dep;
    }
    ct_trip_rank(tmp, r->n, NULL, CT_SORT_BEST);
    for (size_t i = 0; i < keep; i++)
        r->items[i] = tmp[i].slice[0];
    r->n = keep;
    ct_free(tmp);
}

/* Adds every combination of the slices' sets that follows in time, priced with `pc` (the
 * query's full pricing). */
static ct_status combine(const ct_price_ctx *pc, int nslices, ct_search_result *res, trip_vec *out)
{
    size_t idx[CT_TRIP_MAX_SLICES] = {0};
    for (int i = 0; i < nslices; i++) {
        if (res[i].n == 0)
            return CT_OK;
    }
    for (;;) {
        ct_trip t;
        memset(&t, 0, sizeof(t));
        t.nslices = nslices;
        int ok = 1;
        for (int i = 0; i < nslices && ok; i++) {
            t.slice[i] = res[i].items[idx[i]];
            ok = i == 0 || t.slice[i].dep >= t.slice[i - 1].arr + CT_TRIP_MIN_GAP;
        }
        if (ok) {
            price_trip(pc, &t);
            if (t.price != -1) {
                trip_stats(pc, &t);
                if (CT_VEC_PUSH(out, t))
                    return CT_NOMEM;
            }
        }
        int i = nslices - 1;
        while (i >= 0 && ++idx[i] == res[i].n)
            idx[i--] = 0;
        if (i < 0)
            return CT_OK;
    }
}

/* Searches every slice with `search` (a restriction of the query's pricing, or NULL for the
 * query's own), cuts the sets to CT_TRIP_MAX_COMBOS combinations, and combines them. */
static ct_status search_and_combine(const ct_timetable *tt, const ct_search_query *slices,
                                    int nslices, const ct_price_ctx *search, trip_vec *out,
                                    int *truncated)
{
    ct_search_result res[CT_TRIP_MAX_SLICES];
    memset(res, 0, sizeof(res));
    ct_status rc = CT_OK;
    for (int i = 0; i < nslices && !rc; i++) {
        ct_search_query q = slices[i];
        if (search != NULL)
            q.price = search;
        rc = ct_search_oneway(tt, &q, &res[i]);
        /* Found under a restriction: each itinerary's own price is the query's. */
        for (size_t k = 0; !rc && search != NULL && k < res[i].n; k++)
            res[i].items[k].price = ct_price_itinerary(slices[i].price, res[i].items[k].legs,
                                                       res[i].items[k].nlegs, NULL);
    }
    if (!rc) {
        double product = 1;
        for (int i = 0; i < nslices; i++)
            product *= (double)(res[i].n ? res[i].n : 1);
        if (product > CT_TRIP_MAX_COMBOS) {
            size_t keep = (size_t)floor(pow(CT_TRIP_MAX_COMBOS, 1.0 / nslices));
            for (int i = 0; i < nslices; i++)
                cut_slice(&res[i], keep < 1 ? 1 : keep);
            *truncated = 1;
        }
        rc = combine(slices[0].price, nslices, res, out);
    }
    for (int i = 0; i < nslices; i++)
        ct_search_result_free(&res[i]);
    return rc;
}

/* One-ticket groups (trip.h) of provider p's carriers departing the query's origins on its
 * date; returns how many (at most max). */
static int origin_groups(const ct_timetable *tt, const ct_search_query *q, const ct_price_ctx *pc,
                         int p, int *out, int max)
{
    const ct_pb_provider *pr = &pc->view->snap->providers[p];
    int n = 0;
    int32_t from = (int32_t)(q->date * 1440 - 14 * 60),
            to = (int32_t)((q->date + 1) * 1440 + 12 * 60);
    for (int o = 0; o < q->norigins; o++) {
        for (uint32_t i = tt->first[q->origins[o]]; i < tt->first[q->origins[o] + 1]; i++) {
            const ct_leg *l = &tt->legs[i];
            if (l->dep < from || l->dep >= to || l->local_date != q->date || !pr->sells[l->carrier])
                continue;
            int g = ct_price_group(pc, l->carrier), seen = 0;
            for (int k = 0; k < n && !seen; k++)
                seen = out[k] == g;
            if (!seen && n < max)
                out[n++] = g;
        }
    }
    return n;
}

static int same_legs(const ct_trip *a, const ct_trip *b)
{
    for (int i = 0; i < a->nslices; i++) {
        if (a->slice[i].nlegs != b->slice[i].nlegs)
            return 0;
        for (int k = 0; k < a->slice[i].nlegs; k++) {
            if (a->slice[i].legs[k] != b->slice[i].legs[k])
                return 0;
        }
    }
    return 1;
}

static int by_legs(const void *x, const void *y)
{
    const ct_trip *a = x, *b = y;
    for (int i = 0; i < a->nslices; i++) {
        if (a->slice[i].nlegs != b->slice[i].nlegs)
            return a->slice[i].nlegs - b->slice[i].nlegs;
        for (int k = 0; k < a->slice[i].nlegs; k++) {
            if (a->slice[i].legs[k] != b->slice[i].legs[k])
                return a->slice[i].legs[k] < b->slice[i].legs[k] ? -1 : 1;
        }
    }
    return 0;
}

/* The same combination found through several sets counts once. */
static void dedupe(trip_vec *v)
{
    if (v->len < 2)
        return;
    qsort(v->items, v->len, sizeof(ct_trip), by_legs);
    size_t n = 1;
    for (size_t i = 1; i < v->len; i++) {
        if (!same_legs(&v->items[i], &v->items[n - 1]))
            v->items[n++] = v->items[i];
    }
    v->len = n;
}

/* Per provider, its own slice sets (what it sells, at its prices); for two slices and a
 * seller of one-ticket returns, also per one-ticket group present at both origins. */
static ct_status provider_sets(const ct_timetable *tt, const ct_search_query *slices, int nslices,
                               trip_vec *v, int *truncated)
{
    const ct_price_ctx *pc = slices[0].price;
    ct_status rc = CT_OK;
    for (int p = 0; p < pc->nproviders && !rc; p++) {
        if (pc->conv[p] == 0)
            continue;
        ct_price_ctx only = *pc;
        only.only_provider = p;
        rc = search_and_combine(tt, slices, nslices, &only, v, truncated);
        if (rc || nslices != 2 || pc->view->snap->providers[p].desc.kind == CT_PROVIDER_COMBINER)
            continue;
        int g0[64], g1[64];
        int n0 = origin_groups(tt, &slices[0], pc, p, g0, 64);
        int n1 = origin_groups(tt, &slices[1], pc, p, g1, 64);
        for (int a = 0; a < n0 && !rc; a++) {
            for (int b = 0; b < n1 && !rc; b++) {
                if (g0[a] != g1[b])
                    continue;
                only.only_group = g0[a];
                rc = search_and_combine(tt, slices, nslices, &only, v, truncated);
            }
        }
        only.only_group = 0;
    }
    return rc;
}

ct_status ct_trip_search(const ct_timetable *tt, const ct_search_query *slices, int nslices,
                         ct_trip_result *out)
{
    memset(out, 0, sizeof(*out));
    if (nslices < 1 || nslices > CT_TRIP_MAX_SLICES)
        return CT_INVALID;
    trip_vec v = {0};
    const ct_price_ctx *pc = slices[0].price;
    ct_status rc = search_and_combine(tt, slices, nslices, NULL, &v, &out->truncated);
    if (!rc && nslices > 1 && pc != NULL && pc->view != NULL) {
        /* With a schedule-only slice the trip's price is unknown whatever the others cost:
         * the slices' sets by times and stops alone. */
        ct_price_ctx times = *pc;
        times.ignore_price = 1;
        rc = search_and_combine(tt, slices, nslices, &times, &v, &out->truncated);
        if (!rc)
            rc = provider_sets(tt, slices, nslices, &v, &out->truncated);
    }
    if (rc) {
        CT_VEC_FREE(&v);
        return rc;
    }
    if (nslices > 1)
        dedupe(&v);
    trip_pareto(&v);
    out->items = v.items;
    out->n = v.len;
    return CT_OK;
}

int ct_trip_cheapest_pair(const ct_search_result *a, const ct_search_result *b,
                          const ct_price_ctx *pc, ct_trip *best)
{
    int found = 0;
    for (size_t i = 0; i < a->n; i++) {
        if (a->items[i].price == CT_PRICE_UNKNOWN)
            continue;
        for (size_t k = 0; k < b->n; k++) {
            if (b->items[k].price == CT_PRICE_UNKNOWN ||
                b->items[k].dep < a->items[i].arr + CT_TRIP_MIN_GAP)
                continue;
            ct_trip t;
            memset(&t, 0, sizeof(t));
            t.nslices = 2;
            t.slice[0] = a->items[i];
            t.slice[1] = b->items[k];
            /* A trip costs at least 90 % of its slices' own prices (rounding aside). */
            if (found && (double)(a->items[i].price + b->items[k].price) * 0.9 -
                                 6 * (pc->max_conv + 1) * pc->payers >
                             (double)best->price)
                continue;
            price_trip(pc, &t);
            if (t.price >= 0 && t.price != CT_PRICE_UNKNOWN && (!found || t.price < best->price)) {
                trip_stats(pc, &t);
                *best = t;
                found = 1;
            }
        }
    }
    return found;
}

void ct_trip_result_free(ct_trip_result *r)
{
    ct_free(r->items);
    memset(r, 0, sizeof(*r));
}

/* ---- filters ---- */

void ct_trip_filters_init(ct_trip_filters *f)
{
    memset(f, 0, sizeof(*f));
    f->dep_from = f->dep_to = f->arr_from = f->arr_to = -1;
    f->max_price = -1;
}

int ct_trip_local_minute(const ct_timetable *tt, uint16_t airport, int32_t utc_min)
{
    ct_civil c;
    int off = 0;
    if (ct_tz_from_utc(ct_refdata_airport_at(tt->rd, airport)->tz, (ct_utc)utc_min * 60, &c,
                       &off) != CT_OK)
        return ((utc_min % 1440) + 1440) % 1440;
    return c.hour * 60 + c.minute;
}

static int in_window(int minute, int from, int to)
{
    if (from < 0 || to < 0)
        return 1;
    return from <= to ? minute >= from && minute <= to : minute >= from || minute <= to;
}

/* Binary search in an ascending list (the carriers filter: up to thousands of codes). */
static int has_sorted_u16(const uint16_t *set, int n, uint16_t x)
{
    int lo = 0, hi = n;
    while (lo < hi) {
        int mid = lo + (hi - lo) / 2;
        if (set[mid] < x)
            lo = mid + 1;
        else
            hi = mid;
    }
    return lo < n && set[lo] == x;
}

static int has_u16(const uint16_t *set, int n, uint16_t x)
{
    for (int i = 0; i < n; i++) {
        if (set[i] == x)
            return 1;
    }
    return 0;
}

static int leg_allowed(const ct_price_ctx *pc, const ct_leg *l, const ct_trip_filters *f)
{
    if (f->ncarriers > 0 && !has_sorted_u16(f->carriers, f->ncarriers, l->carrier))
        return 0;
    if (f->nalliances > 0) {
        uint8_t al = pc != NULL && pc->view != NULL ? pc->view->snap->alliance[l->carrier] : 0;
        int found = 0;
        for (int i = 0; i < f->nalliances && !found; i++)
            found = al != 0 && f->alliances[i] == al;
        if (!found)
            return 0;
    }
    return 1;
}

static int slice_matches(const ct_timetable *tt, const ct_price_ctx *pc, const ct_itinerary *it,
                         const ct_trip_filters *f)
{
    if (f->stops_mask != 0 && !(f->stops_mask & (1u << (it->nlegs - 1))))
        return 0;
    if (f->max_minutes > 0 && it->arr - it->dep > f->max_minutes)
        return 0;
    for (int k = 0; k < it->nlegs; k++) {
        const ct_leg *l = it->legs[k];
        if (!leg_allowed(pc, l, f))
            return 0;
        if (k == 0)
            continue;
        int wait = l->dep - it->legs[k - 1]->arr;
        if (f->nlayovers > 0 && !has_u16(f->layovers, f->nlayovers, l->from))
            return 0;
        if ((f->min_layover > 0 && wait < f->min_layover) ||
            (f->max_layover > 0 && wait > f->max_layover))
            return 0;
        if (f->no_self_transfer && ct_price_self_transfer(pc, it->legs[k - 1], l))
            return 0;
    }
    if (f->dep_from >= 0 &&
        !in_window(ct_trip_local_minute(tt, it->legs[0]->from, it->dep), f->dep_from, f->dep_to))
        return 0;
    if (f->arr_from >= 0 &&
        !in_window(ct_trip_local_minute(tt, it->legs[it->nlegs - 1]->to, it->arr), f->arr_from,
                   f->arr_to))
        return 0;
    return 1;
}

int ct_trip_matches(const ct_timetable *tt, const ct_price_ctx *pc, const ct_trip *t,
                    const ct_trip_filters *f)
{
    if (f->max_price >= 0 && (t->price == CT_PRICE_UNKNOWN || t->price > f->max_price))
        return 0;
    if (f->max_co2e_g > 0 && t->co2e_g > f->max_co2e_g)
        return 0;
    for (int i = 0; i < t->nslices; i++) {
        if (!slice_matches(tt, pc, &t->slice[i], f))
            return 0;
    }
    return 1;
}

/* ---- ranking ---- */

static int tie_break(const ct_trip *a, const ct_trip *b)
{
    if (a->price != b->price)
        return a->price < b->price ? -1 : 1;
    if (a->minutes != b->minutes)
        return a->minutes < b->minutes ? -1 : 1;
    for (int i = 0; i < a->nslices; i++) {
        const ct_itinerary *x = &a->slice[i], *y = &b->slice[i];
        if (x->dep != y->dep)
            return x->dep < y->dep ? -1 : 1;
        if (x->nlegs != y->nlegs)
            return x->nlegs - y->nlegs;
        for (int k = 0; k < x->nlegs; k++) {
            if (x->legs[k] != y->legs[k])
                return x->legs[k] < y->legs[k] ? -1 : 1;
        }
    }
    return 0;
}

static int cmp_best(const void *x, const void *y)
{
    const ct_trip *a = x, *b = y;
    if (a->score != b->score)
        return a->score < b->score ? -1 : 1;
    return tie_break(a, b);
}

static int cmp_cheapest(const void *x, const void *y)
{
    return tie_break(x, y); /* price first; unknown (INT64_MAX) last */
}

static int cmp_fastest(const void *x, const void *y)
{
    const ct_trip *a = x, *b = y;
    if (a->minutes != b->minutes)
        return a->minutes < b->minutes ? -1 : 1;
    return tie_break(a, b);
}

static int cmp_earliest(const void *x, const void *y)
{
    const ct_trip *a = x, *b = y;
    if (a->slice[0].dep != b->slice[0].dep)
        return a->slice[0].dep < b->slice[0].dep ? -1 : 1;
    return tie_break(a, b);
}

static int cmp_latest(const void *x, const void *y)
{
    const ct_trip *a = x, *b = y;
    if (a->slice[0].dep != b->slice[0].dep)
        return a->slice[0].dep > b->slice[0].dep ? -1 : 1;
    return tie_break(a, b);
}

static int cmp_emissions(const void *x, const void *y)
{
    const ct_trip *a = x, *b = y;
    if (a->co2e_g != b->co2e_g)
        return a->co2e_g < b->co2e_g ? -1 : 1;
    return tie_break(a, b);
}

void ct_trip_rank(ct_trip *items, size_t n, const ct_price_ctx *pc, ct_trip_sort sort)
{
    double unit = pc != NULL ? pow(10, pc->minor_digits) : 100.0, highest = 0;
    for (size_t i = 0; i < n; i++) {
        if (items[i].price != CT_PRICE_UNKNOWN && (double)items[i].price / unit > highest)
            highest = (double)items[i].price / unit;
    }
    for (size_t i = 0; i < n; i++) {
        ct_trip *t = &items[i];
        double price = t->price == CT_PRICE_UNKNOWN ? highest : (double)t->price / unit;
        t->score = price + 0.25 * t->minutes + 50.0 * t->stops + 75.0 * t->self_transfers;
    }
    int (*cmp)(const void *, const void *) = sort == CT_SORT_CHEAPEST    ? cmp_cheapest
                                             : sort == CT_SORT_FASTEST   ? cmp_fastest
                                             : sort == CT_SORT_EARLIEST  ? cmp_earliest
                                             : sort == CT_SORT_LATEST    ? cmp_latest
                                             : sort == CT_SORT_EMISSIONS ? cmp_emissions
                                                                         : cmp_best;
    if (n > 1)
        qsort(items, n, sizeof(ct_trip), cmp);
}
