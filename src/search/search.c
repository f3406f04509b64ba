/* search.c: the one-way engine (see search.h for the semantics and the algorithm). */
#include "search/search.h"

#include <math.h>
#include <stddef.h>
#include <stdlib.h>
#include <string.h>

#include "base/alloc.h"
#include "base/vec.h"
#include "search/search_internal.h"

typedef CT_VEC(ct_itinerary) itin_vec;
typedef CT_VEC(const ct_leg *) leg_ptr_vec;

/* Legs from one airport into one destination airport departing in the query's window:
 * by_arr[lo..hi), sorted by departure; `next` chains the ranges of one airport. */
typedef struct into_range {
    uint32_t lo, hi;
    int32_t next;
} into_range;

/* A staircase of (arrival, price) points found with at most s stops: arrival ascending,
 * price strictly descending, so "the cheapest arriving no later than t" is one search. */
typedef struct stair_point {
    int32_t arr;
    int64_t price;
} stair_point;
typedef CT_VEC(stair_point) stair;

typedef struct search_state {
    const ct_timetable *tt;
    const ct_search_query *q;
    const ct_price_ctx *pc; /* NULL: schedule-only */
    uint8_t *is_dest;
    int32_t *into_head; /* per airport: first into_range, or -1 (no leg into a destination) */
    double *into_min;   /* per airport: lowest leg bound into a destination; NaN: not yet */
    /* Per airport y, built on first use: its legs into a destination by departure, with the
     * earliest arrival of those departing at or after each (earliest_arrival_from). */
    int32_t *ea_first; /* per airport: offset into ea, -1 not built */
    int32_t *ea_len;
    CT_VEC(int32_t) ea_dep, ea_arr;
    CT_VEC(into_range) into;
    stair found_by_stops[CT_SEARCH_MAX_LEGS]; /* itineraries found with at most s stops */
    itin_vec found;
    int64_t slack;         /* what floors and conversion can take off a bound */
    ct_bound_cache bounds; /* leg bounds met by this query */
    int cheapest;          /* cheapest-only mode: prune by price alone */
    int64_t best_price;    /* in that mode, the cheapest found so far */
} search_state;

int ct_search_mct(const ct_timetable *tt, const ct_leg *in, const ct_leg *out)
{
    uint16_t c = tt->country[in->to];
    return tt->country[in->from] == c && tt->country[out->to] == c ? CT_SEARCH_MCT_DOMESTIC
                                                                   : CT_SEARCH_MCT_INTL;
}

int ct_itinerary_dominates(const ct_itinerary *a, const ct_itinerary *b)
{
    if (a->dep < b->dep || a->arr > b->arr || a->nlegs > b->nlegs || a->price > b->price)
        return 0;
    return a->dep > b->dep || a->arr < b->arr || a->nlegs < b->nlegs || a->price < b->price;
}

/* Last index in the staircase with arrival <= t (strict: < t), or -1. */
static ptrdiff_t stair_last(const stair *st, int32_t t, int strict)
{
    ptrdiff_t lo = 0, hi = (ptrdiff_t)st->len;
    while (lo < hi) {
        ptrdiff_t mid = lo + (hi - lo) / 2;
        if (strict ? st->items[mid].arr < t : st->items[mid].arr <= t)
            lo = mid + 1;
        else
            hi = mid;
    }
    return lo - 1;
}

/* 1 when something found departs no earlier (all found so far do), arrives no later than
 * `arr`, costs no more than `price`, and is strictly better in arrival or price: then every
 * itinerary bounded below by (arr, price) is dominated. */
static int stair_dominated(const stair *st, int32_t arr, int64_t price)
{
    ptrdiff_t i = stair_last(st, arr, 0);
    if (i >= 0 && st->items[i].price < price)
        return 1;
    i = stair_last(st, arr, 1);
    return i >= 0 && st->items[i].price <= price;
}

static ct_status stair_insert(stair *st, int32_t arr, int64_t price)
{
    ptrdiff_t i = stair_last(st, arr, 0);
    if (i >= 0 && st->items[i].price <= price)
        return CT_OK; /* an existing point is at least as good */
    size_t at = (size_t)(i + 1), end = at;
    while (end < st->len && st->items[end].price >= price)
        end++; /* points it makes redundant */
    if (end == at) {
        stair_point pt = {arr, price};
        if (CT_VEC_PUSH(st, pt))
            return CT_NOMEM;
        memmove(&st->items[at + 1], &st->items[at], (st->len - 1 - at) * sizeof(stair_point));
        st->items[at] = pt;
        return CT_OK;
    }
    st->items[at].arr = arr;
    st->items[at].price = price;
    memmove(&st->items[at + 1], &st->items[end], (st->len - end) * sizeof(stair_point));
    st->len -= end - at - 1;
    return CT_OK;
}

/* 1 when every itinerary bounded below by (arr, price) with at least level+1 legs can be
 * dropped: dominated by something found (or, cheapest-only, dearer than the best found). */
static int pruned(const search_state *s, int level, int32_t arr, int64_t price)
{
    if (price == CT_PRICE_UNKNOWN && s->pc != NULL &&
        (s->pc->only_provider >= 0 || s->pc->only_group != 0))
        return 1; /* restricted: only what that provider sells counts */
    if (s->cheapest)
        return price == CT_PRICE_UNKNOWN || price > s->best_price;
    return stair_dominated(&s->found_by_stops[level], arr, price);
}

/* The earliest arrival from which pruned(s, level, arr, price) holds for this price
 * (INT32_MAX: none, INT32_MIN: every arrival): a loop over candidates of one price bound
 * compares arrivals with it instead of searching the staircase each time. */
static int32_t prune_cut(const search_state *s, int level, int64_t price)
{
    if (price == CT_PRICE_UNKNOWN && s->pc != NULL &&
        (s->pc->only_provider >= 0 || s->pc->only_group != 0))
        return INT32_MIN;
    if (s->cheapest)
        return price == CT_PRICE_UNKNOWN || price > s->best_price ? INT32_MIN : INT32_MAX;
    const stair *st = &s->found_by_stops[level];
    /* Prices fall strictly along the staircase: the first point cheaper than `price`, and
     * the first no dearer, by binary search. */
    size_t lo = 0, hi = st->len;
    while (lo < hi) {
        size_t mid = lo + (hi - lo) / 2;
        if (st->items[mid].price < price)
            hi = mid;
        else
            lo = mid + 1;
    }
    int32_t cut = lo < st->len ? st->items[lo].arr : INT32_MAX;
    lo = 0;
    hi = st->len;
    while (lo < hi) {
        size_t mid = lo + (hi - lo) / 2;
        if (st->items[mid].price <= price)
            hi = mid;
        else
            lo = mid + 1;
    }
    if (lo < st->len && st->items[lo].arr < INT32_MAX && st->items[lo].arr + 1 < cut)
        cut = st->items[lo].arr + 1;
    return cut;
}

/* A lower bound of the price of any itinerary whose legs include these (the others cost at
 * least nothing): payers x (0.85 x the legs' lowest amounts + the lowest fee) - slack. */
static int64_t price_bound(const search_state *s, const double *leg_bounds, int n)
{
    if (s->pc == NULL || s->pc->ignore_price)
        return CT_PRICE_UNKNOWN;
    double sum = 0;
    for (int i = 0; i < n; i++) {
        if (leg_bounds[i] == INFINITY)
            return CT_PRICE_UNKNOWN;
        sum += leg_bounds[i];
    }
    double b = s->pc->payers * (sum * 0.85 + (double)s->pc->min_fee) - (double)s->slack;
    return b <= 0 ? 0 : (int64_t)b;
}

/* 1 when a leg can carry the query's passengers as far as the schedule tells: the cabin
 * exists on the aircraft (seat availability itself comes from the pricebook). */
static int cabin_ok(const search_state *s, const ct_leg *l)
{
    if (s->pc == NULL)
        return 1;
    return s->pc->cabin == CT_CABIN_BUSINESS ? l->seats_j > 0 : l->seats_y > 0;
}

static int contains(const uint16_t *set, int n, uint16_t a)
{
    for (int i = 0; i < n; i++) {
        if (set[i] == a)
            return 1;
    }
    return 0;
}

int ct_search_valid(const ct_timetable *tt, const ct_search_query *q, const ct_itinerary *it)
{
    if (it->nlegs < 1 || it->nlegs > q->max_stops + 1)
        return 0;
    const ct_leg *first = it->legs[0], *last = it->legs[it->nlegs - 1];
    if (!contains(q->origins, q->norigins, first->from) || first->local_date != q->date ||
        !contains(q->dests, q->ndests, last->to))
        return 0;
    if (it->dep != first->dep || it->arr != last->arr)
        return 0;
    if (q->price != NULL) {
        for (int i = 0; i < it->nlegs; i++) {
            const ct_leg *l = it->legs[i];
            if (q->price->cabin == CT_CABIN_BUSINESS ? l->seats_j == 0 : l->seats_y == 0)
                return 0;
        }
        if (ct_price_itinerary(q->price, it->legs, it->nlegs, NULL) != it->price)
            return 0; /* not sold (-1), or a price that is not the itinerary's */
    } else if (it->price != CT_PRICE_UNKNOWN) {
        return 0;
    }
    uint16_t seen[CT_SEARCH_MAX_LEGS + 1];
    seen[0] = first->from;
    for (int i = 0; i < it->nlegs; i++) {
        const ct_leg *l = it->legs[i];
        if (i > 0) {
            const ct_leg *p = it->legs[i - 1];
            if (l->from != p->to || l->dep < p->arr + ct_search_mct(tt, p, l) ||
                l->dep > p->arr + CT_SEARCH_MAX_CONNECT)
                return 0;
        }
        for (int k = 0; k <= i; k++) {
            if (seen[k] == l->to)
                return 0; /* an airport visited twice */
        }
        seen[i + 1] = l->to;
    }
    return 1;
}

/* A complete candidate: priced exactly, kept unless something found dominates it. */
static ct_status keep(search_state *s, const ct_leg *const *legs, int n)
{
    for (int i = 0; i < n; i++) {
        if (!cabin_ok(s, legs[i]))
            return CT_OK;
    }
    int64_t price = ct_price_itinerary_cached(&s->bounds, s->pc, s->tt, legs, n);
    if (price < 0)
        return CT_OK; /* no provider sells it */
    if (s->pc != NULL && s->pc->ignore_price)
        price = CT_PRICE_UNKNOWN;
    ct_itinerary it = {n, {NULL, NULL, NULL}, legs[0]->dep, legs[n - 1]->arr, price};
    for (int i = 0; i < n; i++)
        it.legs[i] = legs[i];
    if (s->cheapest) { /* one itinerary: the cheapest, then the shortest */
        if (price == CT_PRICE_UNKNOWN || price > s->best_price)
            return CT_OK;
        if (s->found.len == 1 && price == s->best_price &&
            it.arr - it.dep >= s->found.items[0].arr - s->found.items[0].dep)
            return CT_OK;
        s->best_price = price;
        s->found.len = 0;
        return CT_VEC_PUSH(&s->found, it) ? CT_NOMEM : CT_OK;
    }
    if (stair_dominated(&s->found_by_stops[n - 1], it.arr, price))
        return CT_OK;
    for (int k = n - 1; k < CT_SEARCH_MAX_LEGS; k++) {
        if (stair_insert(&s->found_by_stops[k], it.arr, price))
            return CT_NOMEM;
    }
    return CT_VEC_PUSH(&s->found, it) ? CT_NOMEM : CT_OK;
}

/* First position in by_arr[lo..hi) whose leg departs at or after t. */
static uint32_t lower_bound_arr(const ct_timetable *tt, uint32_t lo, uint32_t hi, int32_t t)
{
    while (lo < hi) {
        uint32_t mid = lo + (hi - lo) / 2;
        if (tt->legs[tt->by_arr[mid]].dep < t)
            lo = mid + 1;
        else
            hi = mid;
    }
    return lo;
}

/* The per-query index of legs into a destination, by departure airport: for every
 * destination airport, its arrival slice (sorted by departure airport, then time) is cut into
 * one run per departure airport, clipped to the window third legs can depart in. */
static ct_status build_into(search_state *s)
{
    const ct_timetable *tt = s->tt;
    int32_t lo_t = (int32_t)(s->q->date * 1440 - 14 * 60),
            hi_t = (int32_t)((s->q->date + 7) * 1440);
    for (int k = 0; k < s->q->ndests; k++) {
        uint16_t d = s->q->dests[k];
        uint32_t p = tt->first_arr[d], end = tt->first_arr[d + 1];
        while (p < end) {
            uint16_t y = tt->legs[tt->by_arr[p]].from;
            uint32_t lo = p, hi = end; /* end of y's run: first position with from > y */
            while (lo < hi) {
                uint32_t mid = lo + (hi - lo) / 2;
                if (tt->legs[tt->by_arr[mid]].from <= y)
                    lo = mid + 1;
                else
                    hi = mid;
            }
            uint32_t run_end = lo;
            uint32_t a = lower_bound_arr(tt, p, run_end, lo_t);
            uint32_t b = lower_bound_arr(tt, a, run_end, hi_t);
            if (a < b) {
                into_range r = {a, b, s->into_head[y]};
                if (CT_VEC_PUSH(&s->into, r))
                    return CT_NOMEM;
                s->into_head[y] = (int32_t)(s->into.len - 1);
            }
            p = run_end;
        }
    }
    return CT_OK;
}

/* The lowest bound of the legs from airport y into a destination (any time in the index's
 * window): what any third leg from y costs at least. Computed on first use. */
static double into_min_bound(search_state *s, uint16_t y)
{
    if (s->into_min == NULL)
        return 0;
    if (!isnan(s->into_min[y]))
        return s->into_min[y];
    double best = INFINITY;
    for (int32_t r = s->into_head[y]; r >= 0; r = s->into.items[r].next) {
        for (uint32_t i = s->into.items[r].lo; i < s->into.items[r].hi; i++) {
            double b = ct_bound_cached(&s->bounds, s->pc, s->tt, &s->tt->legs[s->tt->by_arr[i]]);
            best = b < best ? b : best;
        }
    }
    s->into_min[y] = best;
    return best;
}

static int cmp_dep_arr(const void *x, const void *y)
{
    const int32_t *a = x, *b = y;
    return a[0] != b[0] ? (a[0] < b[0] ? -1 : 1) : (a[1] > b[1]) - (a[1] < b[1]);
}

/* The earliest arrival at a destination on a leg from airport y departing at or after t
 * (INT32_MAX: none): a lower bound of any two-stop itinerary's arrival through y. */
static int32_t earliest_arrival_from(search_state *s, uint16_t y, int32_t t)
{
    if (s->ea_first == NULL)
        return t;
    if (s->ea_first[y] < 0) {
        size_t n = 0;
        for (int32_t r = s->into_head[y]; r >= 0; r = s->into.items[r].next)
            n += s->into.items[r].hi - s->into.items[r].lo;
        int32_t(*pairs)[2] = ct_malloc((n ? n : 1) * sizeof(*pairs));
        if (pairs == NULL)
            return t; /* no memory: a weaker bound, still true */
        size_t k = 0;
        for (int32_t r = s->into_head[y]; r >= 0; r = s->into.items[r].next) {
            for (uint32_t i = s->into.items[r].lo; i < s->into.items[r].hi; i++, k++) {
                pairs[k][0] = s->tt->legs[s->tt->by_arr[i]].dep;
                pairs[k][1] = s->tt->legs[s->tt->by_arr[i]].arr;
            }
        }
        if (n > 1)
            qsort(pairs, n, sizeof(*pairs), cmp_dep_arr);
        size_t at = s->ea_dep.len;
        int ok = CT_VEC_RESERVE(&s->ea_dep, at + n) == 0 && CT_VEC_RESERVE(&s->ea_arr, at + n) == 0;
        if (!ok) {
            ct_free(pairs);
            return t;
        }
        int32_t best = INT32_MAX;
        for (size_t i = n; i-- > 0;) { /* suffix minimum of the arrivals */
            best = pairs[i][1] < best ? pairs[i][1] : best;
            s->ea_dep.items[at + i] = pairs[i][0];
            s->ea_arr.items[at + i] = best;
        }
        s->ea_dep.len = s->ea_arr.len = at + n;
        s->ea_first[y] = (int32_t)at;
        s->ea_len[y] = (int32_t)n;
        ct_free(pairs);
    }
    const int32_t *dep = s->ea_dep.items + s->ea_first[y];
    size_t lo = 0, hi = (size_t)s->ea_len[y];
    while (lo < hi) {
        size_t mid = lo + (hi - lo) / 2;
        if (dep[mid] < t)
            lo = mid + 1;
        else
            hi = mid;
    }
    return lo < (size_t)s->ea_len[y] ? s->ea_arr.items[s->ea_first[y] + lo] : INT32_MAX;
}

/* Two-stop completions: legs from Y = l2->to into a destination, through the index.
 * bounds[0..1] are l1's and l2's lowest amounts. */
static ct_status third_legs(search_state *s, const ct_leg *l1, const ct_leg *l2, double *bounds)
{
    const ct_timetable *tt = s->tt;
    bounds[2] = into_min_bound(s, l2->to); /* every third leg costs at least this */
    int64_t partial = price_bound(s, bounds, 3);
    int32_t cut = prune_cut(s, 2, partial); /* arrivals from here on are pruned */
    for (int32_t r = s->into_head[l2->to]; r >= 0; r = s->into.items[r].next) {
        const into_range *range = &s->into.items[r];
        uint32_t i = lower_bound_arr(tt, range->lo, range->hi, l2->arr + CT_SEARCH_MCT_DOMESTIC);
        for (; i < range->hi; i++) {
            const ct_leg *l3 = &tt->legs[tt->by_arr[i]];
            if (l3->dep > l2->arr + CT_SEARCH_MAX_CONNECT)
                break;
            if (l3->arr >= cut || l3->to == l1->from || l3->to == l2->from ||
                l3->dep < l2->arr + ct_search_mct(tt, l2, l3))
                continue;
            if (s->pc != NULL) {
                bounds[2] = ct_bound_cached(&s->bounds, s->pc, tt, l3);
                if (pruned(s, 2, l3->arr, price_bound(s, bounds, 3)))
                    continue;
            }
            const ct_leg *legs[3] = {l1, l2, l3};
            ct_status rc = keep(s, legs, 3);
            if (rc)
                return rc;
            cut = prune_cut(s, 2, partial); /* what was kept may prune more */
        }
    }
    return CT_OK;
}

/* One- and two-stop itineraries starting with l1 (whose lowest amount is bounds[0]). A
 * destination airport may be passed through: a through fare can make the longer itinerary
 * cheaper; the bounds prune it whenever it cannot be. */
static ct_status connections(search_state *s, const ct_leg *l1, double *bounds)
{
    const ct_timetable *tt = s->tt;
    uint16_t x = l1->to;
    int64_t b1 = price_bound(s, bounds, 1);
    /* Arrivals from which one- and two-stop continuations are pruned (recomputed when
     * something is kept): a comparison per connection instead of a staircase search. */
    int32_t cut1 = prune_cut(s, 1, b1), cut2 = prune_cut(s, 2, b1);
    uint32_t end = tt->first[x + 1];
    for (uint32_t i = ct_timetable_first_departure(tt, x, l1->arr + CT_SEARCH_MCT_DOMESTIC);
         i < end; i++) {
        const ct_leg *l2 = &tt->legs[i];
        if (l2->dep > l1->arr + CT_SEARCH_MAX_CONNECT)
            break;
        int as_dest = s->is_dest[l2->to],
            onward = s->q->max_stops >= 2 && s->into_head[l2->to] >= 0;
        if ((!as_dest || l2->arr >= cut1) && (!onward || l2->arr >= cut2))
            continue;
        if (l2->to == l1->from || l2->dep < l1->arr + ct_search_mct(tt, l1, l2))
            continue;
        ct_status rc = CT_OK;
        size_t kept = s->found.len;
        if (s->pc != NULL)
            bounds[1] = ct_bound_cached(&s->bounds, s->pc, tt, l2);
        int64_t b2 = price_bound(s, bounds, 2);
        if (as_dest && !pruned(s, 1, l2->arr, b2)) {
            const ct_leg *legs[2] = {l1, l2};
            rc = keep(s, legs, 2);
        }
        if (!rc && onward && !pruned(s, 2, l2->arr, b2)) {
            /* Bound the completions: no earlier than the first arrival from there, no
             * cheaper than the cheapest third leg. */
            int32_t ea = earliest_arrival_from(s, l2->to, l2->arr + CT_SEARCH_MCT_DOMESTIC);
            bounds[2] = into_min_bound(s, l2->to);
            if (ea != INT32_MAX && !pruned(s, 2, ea, price_bound(s, bounds, 3)))
                rc = third_legs(s, l1, l2, bounds);
        }
        if (rc)
            return rc;
        if (s->found.len != kept) {
            cut1 = prune_cut(s, 1, b1);
            cut2 = prune_cut(s, 2, b1);
        }
    }
    return CT_OK;
}

static int by_dep_desc(const void *x, const void *y)
{
    const ct_leg *a = *(const ct_leg *const *)x, *b = *(const ct_leg *const *)y;
    if (a->dep != b->dep)
        return a->dep > b->dep ? -1 : 1;
    return a < b ? -1 : a > b;
}

/* The first legs: departures from an origin on the local date, latest first. */
static ct_status first_legs(const search_state *s, leg_ptr_vec *out)
{
    const ct_timetable *tt = s->tt;
    /* Local date D spans UTC D-14h .. D+1+12h at the extremes of the world's offsets. */
    int32_t from = (int32_t)(s->q->date * 1440 - 14 * 60);
    int32_t to = (int32_t)((s->q->date + 1) * 1440 + 12 * 60);
    for (int o = 0; o < s->q->norigins; o++) {
        uint16_t a = s->q->origins[o];
        uint32_t end = tt->first[a + 1];
        for (uint32_t i = ct_timetable_first_departure(tt, a, from);
             i < end && tt->legs[i].dep < to; i++) {
            if (tt->legs[i].local_date == s->q->date && CT_VEC_PUSH(out, &tt->legs[i]))
                return CT_NOMEM;
        }
    }
    if (out->len > 1)
        qsort(out->items, out->len, sizeof(out->items[0]), by_dep_desc);
    return CT_OK;
}

static int itin_order(const void *x, const void *y)
{
    const ct_itinerary *a = x, *b = y;
    if (a->dep != b->dep)
        return a->dep < b->dep ? -1 : 1;
    if (a->arr != b->arr)
        return a->arr < b->arr ? -1 : 1;
    if (a->nlegs != b->nlegs)
        return a->nlegs - b->nlegs;
    if (a->price != b->price)
        return a->price < b->price ? -1 : 1;
    for (int i = 0; i < a->nlegs; i++) {
        if (a->legs[i] != b->legs[i])
            return a->legs[i] < b->legs[i] ? -1 : 1;
    }
    return 0;
}

/* Removes dominated itineraries (exact; n is small after pruning). */
static void pareto_filter(itin_vec *v)
{
    size_t n = 0;
    for (size_t i = 0; i < v->len; i++) {
        int dominated = 0;
        for (size_t j = 0; j < v->len && !dominated; j++)
            dominated = j != i && ct_itinerary_dominates(&v->items[j], &v->items[i]);
        if (!dominated)
            v->items[n++] = v->items[i];
    }
    v->len = n;
    if (v->len > 1)
        qsort(v->items, v->len, sizeof(ct_itinerary), itin_order);
}

static ct_status run(const ct_timetable *tt, const ct_search_query *q, int cheapest,
                     ct_search_result *out)
{
    memset(out, 0, sizeof(*out));
    if (q->norigins < 1 || q->ndests < 1 || q->max_stops < 0 || q->max_stops > 2)
        return CT_INVALID;
    for (int i = 0; i < q->norigins; i++) {
        if (q->origins[i] >= tt->nairports || contains(q->dests, q->ndests, q->origins[i]))
            return CT_INVALID;
    }
    for (int i = 0; i < q->ndests; i++) {
        if (q->dests[i] >= tt->nairports)
            return CT_INVALID;
    }
    search_state s = {
        .tt = tt, .q = q, .pc = q->price, .cheapest = cheapest, .best_price = INT64_MAX};
    if (s.pc != NULL && s.pc->view == NULL)
        s.pc = NULL;
    if (s.pc != NULL) /* floors: one minor unit per ticket; conversion: half a unit */
        s.slack = (int64_t)(s.pc->payers * (CT_SEARCH_MAX_LEGS + 1) * (s.pc->max_conv + 1)) + 2;
    leg_ptr_vec l1s = {0};
    ct_status rc = CT_NOMEM;
    s.is_dest = ct_calloc(tt->nairports, 1);
    s.into_head = ct_malloc(tt->nairports * sizeof(int32_t));
    if (s.is_dest == NULL || s.into_head == NULL)
        goto cleanup;
    for (int i = 0; i < q->ndests; i++)
        s.is_dest[q->dests[i]] = 1;
    memset(s.into_head, 0xff, tt->nairports * sizeof(int32_t)); /* -1: none */
    if (q->max_stops >= 2) {
        s.ea_first = ct_malloc(tt->nairports * sizeof(int32_t));
        s.ea_len = ct_calloc(tt->nairports, sizeof(int32_t));
        if (s.ea_first == NULL || s.ea_len == NULL)
            goto cleanup;
        memset(s.ea_first, 0xff, tt->nairports * sizeof(int32_t)); /* -1: not built */
    }
    if (s.pc != NULL && q->max_stops >= 2) {
        s.into_min = ct_malloc(tt->nairports * sizeof(double));
        if (s.into_min == NULL)
            goto cleanup;
        for (size_t a = 0; a < tt->nairports; a++)
            s.into_min[a] = NAN;
    }
    if (q->max_stops >= 2 && build_into(&s) != CT_OK)
        goto cleanup;
    rc = first_legs(&s, &l1s);
    for (size_t i = 0; !rc && i < l1s.len; i++) {
        const ct_leg *l1 = l1s.items[i];
        double bounds[CT_SEARCH_MAX_LEGS] = {INFINITY, INFINITY, INFINITY};
        if (s.pc != NULL)
            bounds[0] = ct_price_leg_bound(s.pc, l1);
        if (s.is_dest[l1->to])
            rc = keep(&s, &l1, 1);
        if (!rc && q->max_stops >= 1 && !pruned(&s, 1, l1->arr, price_bound(&s, bounds, 1)))
            rc = connections(&s, l1, bounds);
    }
    if (!rc) {
        out->candidates = s.found.len;
        pareto_filter(&s.found);
        out->items = s.found.items;
        out->n = s.found.len;
        s.found.items = NULL;
    }
cleanup:
    ct_bound_cache_free(&s.bounds);
    for (int k = 0; k < CT_SEARCH_MAX_LEGS; k++)
        CT_VEC_FREE(&s.found_by_stops[k]);
    CT_VEC_FREE(&s.found);
    CT_VEC_FREE(&s.into);
    CT_VEC_FREE(&l1s);
    ct_free(s.into_head);
    ct_free(s.into_min);
    ct_free(s.ea_first);
    ct_free(s.ea_len);
    CT_VEC_FREE(&s.ea_dep);
    CT_VEC_FREE(&s.ea_arr);
    ct_free(s.is_dest);
    return rc;
}

ct_status ct_search_oneway(const ct_timetable *tt, const ct_search_query *q, ct_search_result *out)
{
    return run(tt, q, 0, out);
}

ct_status ct_search_cheapest(const ct_timetable *tt, const ct_search_query *q, ct_itinerary *best,
                             int *found)
{
    *found = 0;
    if (q->price == NULL || q->price->view == NULL)
        return CT_OK; /* schedule-only: nothing is priced */
    ct_search_result r;
    ct_status rc = run(tt, q, 1, &r);
    if (rc == CT_OK && r.n == 1) {
        *best = r.items[0];
        *found = 1;
    }
    ct_search_result_free(&r);
    return rc;
}

void ct_search_result_free(ct_search_result *r)
{
    ct_free(r->items);
    memset(r, 0, sizeof(*r));
}
