/* search.c: the one-way engine (see search.h for the semantics and the algorithm). */
#include "search/search.h"

#include <math.h>
#include <pthread.h>
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
 * price strictly descending (so arrivals are distinct), so "the cheapest arriving no later
 * than t" is one search. */
typedef struct stair_point {
    int32_t arr;
    int64_t price;
} stair_point;
typedef CT_VEC(stair_point) stair;

/* A leg into a destination, as the loops over them read it (copied from the timetable so
 * that they touch one compact array, not legs spread over the year). */
typedef struct into_leg {
    int32_t dep, arr;
    double bound;
    uint32_t leg; /* index into tt->legs */
    uint16_t from, to, carrier;
} into_leg;

/* A middle leg X -> Y of two-stop itineraries with the best any completion through it can
 * do, whatever the first leg: the earliest arrival at a destination on a third leg that can
 * follow it, and its own bound plus the lowest bound of those third legs (rounded down). */
typedef struct mid_leg {
    int32_t dep;
    int32_t ea;
    float rest;
    uint32_t leg;     /* index into tt->legs */
    uint16_t to;      /* the leg's arrival airport and carrier, copied so that the loop */
    uint16_t carrier; /* over middle legs reads no leg it then rejects */
} mid_leg;

/* Per airport: the window first legs arrive in, and its middle legs (built on first use). */
typedef struct airport_state {
    int32_t arr_lo, arr_hi; /* earliest and latest first-leg arrival here */
    int32_t mid_first;      /* offset into mids, -1: not built */
    int32_t mid_n;
    int32_t ea_first; /* offset into ea_*: its legs into a destination by departure; -1 */
    int32_t ea_len;
    int32_t ea_hours; /* offset into ea_hour: EA_HOURS entries, or -1 */
} airport_state;

/* ea_at's hour index: per airport with legs into a destination, the position of its first
 * such leg departing at or after each hour from the index window's start (a binary search
 * per middle leg cost more than the rest of its test). */
#define EA_HOURS      (6 * 24)
#define STAIR_BUCKET  16 /* minutes; the buckets cover the hour index's window */
#define STAIR_BUCKETS (EA_HOURS * 60 / STAIR_BUCKET + 1)

typedef CT_VEC(into_range) into_vec;
typedef CT_VEC(mid_leg) mid_vec;
typedef CT_VEC(int32_t) i32_vec;
typedef CT_VEC(float) f32_vec;
typedef CT_VEC(double) f64_vec;
typedef CT_VEC(uint16_t) u16_vec;
typedef CT_VEC(into_leg) into_leg_vec;
typedef CT_VEC(uint32_t) u32_vec;

typedef struct search_state {
    const ct_timetable *tt;
    const ct_search_query *q;
    const ct_price_ctx *pc; /* NULL: schedule-only */
    uint8_t *is_dest;
    int32_t *into_head; /* per airport: first into_range, or -1 (no leg into a destination) */
    airport_state *ap;
    /* Per airport y with legs into a destination, by departure: the earliest arrival and
     * the lowest bound of those departing at or after each (suffix minima). */
    i32_vec ea_dep, ea_arr;
    f64_vec ea_bound;
    u16_vec ea_hour;
    into_leg_vec ylegs; /* the legs themselves, at the same offsets as ea_dep */
    u16_vec touched;    /* airports whose ap / into_head entries this search changed */
    int32_t hour0;      /* UTC minute the hour index starts at */
    /* Per airport x, its middle legs by departure, with suffix minima of ea and rest. */
    mid_vec mids;
    i32_vec mid_ea;
    f32_vec mid_rest;
    into_vec into;
    u32_vec cand;                             /* mids_build's candidates (leg indices) */
    u32_vec mid_cand;                         /* two_stop's (positions in mids) */
    into_leg_vec merge_tmp;                   /* ea_build's merge buffer */
    stair found_by_stops[CT_SEARCH_MAX_LEGS]; /* itineraries found with at most s stops */
    /* The two-stop staircase by time: entry b is the lowest price found arriving by
     * hour0 + b x STAIR_BUCKET (INT64_MAX: none), so that most tests of pruned() against
     * it take two reads instead of a search. */
    int64_t stair2_at[STAIR_BUCKETS];
    itin_vec found;
    int64_t slack;               /* what floors and conversion can take off a bound */
    int unpriced;                /* no bounds: schedule-only, or prices ignored */
    int restricted;              /* one provider or one-ticket group (ct_price_ctx) */
    double bound_mul, bound_add; /* bound_of: fare weight x wsum + payers x fee - slack */
    ct_bound_cache bounds;       /* leg facts met by this query (exact prices; slow-path bounds) */
    int fast;                    /* leg bounds from the pricebook's table (pricebook.h) */
    const uint16_t *bound_table; /* fast and unrestricted: the cabin's table, else NULL */
    double cents_factor;         /* the table's US cents to the query's minor units */
    int cheapest;                /* cheapest-only mode: prune by price alone */
    int64_t best_price;          /* in that mode, the cheapest found so far */
} search_state;

int ct_search_mct(const ct_timetable *tt, const ct_leg *in, const ct_leg *out)
{
    uint16_t c = tt->country[in->to];
    return tt->country[in->from] == c && tt->country[out->to] == c ? CT_SEARCH_MCT_DOMESTIC
                                                                   : CT_SEARCH_MCT_INTL;
}

/* ct_search_mct for the connections out of in->to, in two steps: the country both ends of
 * `in` share (-1: none), then the time for a next leg arriving at `to`. */
static inline int domestic_country(const ct_timetable *tt, const ct_leg *in)
{
    return tt->country[in->from] == tt->country[in->to] ? (int)tt->country[in->to] : -1;
}

static inline int mct_to(const ct_timetable *tt, int domestic, uint16_t to)
{
    return tt->country[to] == domestic ? CT_SEARCH_MCT_DOMESTIC : CT_SEARCH_MCT_INTL;
}

int ct_itinerary_dominates(const ct_itinerary *a, const ct_itinerary *b)
{
    if (a->dep < b->dep || a->arr > b->arr || a->nlegs > b->nlegs || a->price > b->price)
        return 0;
    return a->dep > b->dep || a->arr < b->arr || a->nlegs < b->nlegs || a->price < b->price;
}

/* The last point of a non-empty staircase with arrival <= t, or its first point when none
 * is (the caller compares). Branch-free halving (a conditional move per step): the loops
 * test points whose outcome is unpredictable, so this beats the usual lo/hi search. */
static inline const stair_point *stair_floor(const stair *st, int32_t t)
{
    size_t n = st->len;
    const stair_point *base = st->items;
    while (n > 1) {
        size_t half = n / 2;
        base = base[half].arr <= t ? base + half : base;
        n -= half;
    }
    return base;
}

/* Last index in the staircase with arrival <= t, or -1. */
static ptrdiff_t stair_last(const stair *st, int32_t t)
{
    if (st->len == 0)
        return -1;
    const stair_point *p = stair_floor(st, t);
    return p->arr <= t ? p - st->items : -1;
}

/* 1 when something found departs no earlier (all found so far do), arrives no later than
 * `arr`, costs no more than `price`, and is strictly better in arrival or price: then every
 * itinerary bounded below by (arr, price) is dominated. */
static inline int stair_dominated(const stair *st, int32_t arr, int64_t price)
{
    /* Arrivals rise and prices fall strictly: the last point arriving no later is the
     * cheapest of those; any earlier point is dearer. */
    if (st->len == 0)
        return 0;
    const stair_point *p = stair_floor(st, arr); /* then no branch on the outcome */
    return (p->arr <= arr) & ((p->price < price) | ((p->price == price) & (p->arr < arr)));
}

static ct_status stair_insert(stair *st, int32_t arr, int64_t price)
{
    ptrdiff_t i = stair_last(st, arr);
    if (i >= 0 && st->items[i].price <= price)
        return CT_OK; /* an existing point is at least as good */
    size_t at = (size_t)(i + 1), end = at;
    if (i >= 0 && st->items[i].arr == arr)
        at = end = (size_t)i; /* the same arrival, dearer: replaced (arrivals stay distinct) */
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
static inline int pruned(const search_state *s, int level, int32_t arr, int64_t price)
{
    if (price == CT_PRICE_UNKNOWN && s->restricted)
        return 1; /* restricted: only what that provider sells counts */
    if (s->cheapest)
        return price == CT_PRICE_UNKNOWN || price > s->best_price;
    int64_t d = (int64_t)arr - s->hour0;
    if (level == 2 && (uint64_t)d < (uint64_t)(STAIR_BUCKETS - 1) * STAIR_BUCKET) {
        /* The cheapest arriving by the bucket's start and by the next one's: dearer than
         * the first is dominated, cheaper than the second cannot be; else the search. */
        const int64_t *at = &s->stair2_at[(size_t)d / STAIR_BUCKET];
        /* Undecided: at[1] <= price <= at[0], as one unsigned compare (prices are >= 0,
         * the entries fall with time) so that the compiler keeps a single, predictable
         * branch; two would follow the unpredictable outcome. */
        if ((uint64_t)(price - at[1]) > (uint64_t)(at[0] - at[1]))
            return price > at[0];
    }
    return stair_dominated(&s->found_by_stops[level], arr, price);
}

/* Keeps stair2_at true after (arr, price) joined the two-stop staircase: the cheapest by
 * any time from arr on is now at most price (the entries fall with time, so the first one
 * already as cheap ends the walk). */
static void stair2_lower(search_state *s, int32_t arr, int64_t price)
{
    int64_t d = (int64_t)arr - s->hour0;
    size_t b = d <= 0 ? 0 : (size_t)((d + STAIR_BUCKET - 1) / STAIR_BUCKET);
    for (; b < STAIR_BUCKETS && s->stair2_at[b] > price; b++)
        s->stair2_at[b] = price;
}

/* The earliest arrival from which pruned(s, level, arr, price) holds for this price
 * (INT32_MAX: none, INT32_MIN: every arrival): a loop over candidates of one price bound
 * compares arrivals with it instead of searching the staircase each time. */
static int32_t prune_cut(const search_state *s, int level, int64_t price)
{
    if (price == CT_PRICE_UNKNOWN && s->restricted)
        return INT32_MIN;
    if (s->cheapest)
        return price == CT_PRICE_UNKNOWN || price > s->best_price ? INT32_MIN : INT32_MAX;
    const stair *st = &s->found_by_stops[level];
    /* Prices fall strictly along the staircase: the first point no dearer than `price` by
     * binary search; a cheaper one prunes from its arrival on, an equal one from the next
     * minute (ties are kept). */
    size_t lo = 0, n = st->len;
    if (n > 0) { /* branch-free halving, as stair_last */
        const stair_point *base = st->items;
        while (n > 1) {
            size_t half = n / 2;
            base = base[half].price > price ? base + half : base;
            n -= half;
        }
        lo = (size_t)(base - st->items) + (base->price > price);
    }
    if (lo >= st->len)
        return INT32_MAX;
    const stair_point *pt = &st->items[lo];
    if (pt->price < price)
        return pt->arr;
    return pt->arr < INT32_MAX ? pt->arr + 1 : INT32_MAX;
}

/* A lower bound of the price of any itinerary whose legs include these (the others cost at
 * least nothing), for all passengers: fare weight x wsum + payers x the lowest fee - slack
 * (children's and lap infants' shares of the fare, ct_price_ctx_set_pax), where wsum
 * sums the legs' lowest amounts weighted 0.85 for a leg that may share a ticket of two legs
 * or more with a neighbour (through fares lower a ticket's sum by at most 15 %) and 1 for
 * one that cannot (its neighbours' carriers do not cooperate with its own). */
static inline int64_t bound_of(const search_state *s, double wsum)
{
    if (s->unpriced)
        return CT_PRICE_UNKNOWN;
    /* No branch on the value (an unsold leg's INFINITY is unpredictable): clamped into
     * range before the conversion, then selected. */
    double b = s->bound_mul * wsum + s->bound_add;
    b = b > 0 ? b : 0;
    b = b < 9e18 ? b : 0;
    int64_t v = (int64_t)b;
    return wsum < INFINITY ? v : CT_PRICE_UNKNOWN;
}

/* The lowest per-passenger amount any provider the query allows asks for a leg, converted
 * (INFINITY: none). From the pricebook's table on the fast path (a lower bound of the exact
 * one, valid while the sequence check holds), else from the leg's facts. */
static double leg_bound_any(search_state *s, const ct_leg *l)
{
    const ct_price_ctx *pc = s->pc;
    if (pc == NULL)
        return INFINITY;
    if (!s->fast)
        return ct_bound_cached(&s->bounds, pc, s->tt, l);
    const ct_pb_snapshot *snap = pc->view->snap;
    if (pc->only_provider >= 0 && !snap->providers[pc->only_provider].sells[l->carrier])
        return INFINITY;
    if (pc->only_group != 0 && ct_price_group(pc, l->carrier) != pc->only_group)
        return INFINITY;
    uint16_t c = ct_pb_leg_bound(pc->view, pc->cabin, (size_t)(l - s->tt->legs));
    return c == CT_PB_BOUND_NONE ? INFINITY : ct_pb_bound_decode(c) * pc->cents_factor;
}

/* leg_bound_any, inlined for the common case (the table, no restriction to one provider or
 * group): the loops call it for every leg they test. */
static inline double leg_bound(search_state *s, const ct_leg *l)
{
    if (s->bound_table == NULL)
        return leg_bound_any(s, l);
    uint16_t c = __atomic_load_n(&s->bound_table[l - s->tt->legs], __ATOMIC_RELAXED);
    return c == CT_PB_BOUND_NONE ? INFINITY : ct_pb_bound_decode(c) * s->cents_factor;
}

/* 1 when legs of carriers a, b may be one ticket (same carrier, or one alliance). */
static inline int coop_carriers(const search_state *s, uint16_t a, uint16_t b)
{
    if (s->pc == NULL)
        return a == b;
    const uint8_t *al = s->pc->view->snap->alliance; /* no branch on the carriers */
    return (a == b) | ((al[a] != 0) & (al[a] == al[b]));
}

static int coop(const search_state *s, const ct_leg *a, const ct_leg *b)
{
    return coop_carriers(s, a->carrier, b->carrier);
}

/* 1 when a leg can carry the query's passengers as far as the schedule tells: the cabin
 * exists on the aircraft (seat availability itself comes from the pricebook). */
static inline int cabin_ok(const search_state *s, const ct_leg *l)
{
    if (s->pc == NULL)
        return 1;
    return ct_leg_has_cabin(l, s->pc->cabin);
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
            if (!ct_leg_has_cabin(l, q->price->cabin))
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
    stair2_lower(s, it.arr, price);
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

/* build_into for destination d without its route index (no memory for it): each run of
 * d's arrival slice found by binary search. */
static ct_status build_into_slow(search_state *s, uint16_t d, int32_t lo_t, int32_t hi_t)
{
    const ct_timetable *tt = s->tt;
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
            if (CT_VEC_PUSH(&s->into, r) || (r.next < 0 && CT_VEC_PUSH(&s->touched, y)))
                return CT_NOMEM;
            s->into_head[y] = (int32_t)(s->into.len - 1);
        }
        p = run_end;
    }
    return CT_OK;
}

/* The per-query index of legs into a destination, by departure airport: for every
 * destination airport, its runs of legs from one airport (ct_arrival_routes), clipped to the
 * days second and third legs can depart in. */
static ct_status build_into(search_state *s)
{
    const ct_timetable *tt = s->tt;
    int32_t lo_t = (int32_t)(s->q->date * 1440 - 14 * 60),
            hi_t = (int32_t)((s->q->date + 7) * 1440);
    for (int k = 0; k < s->q->ndests; k++) {
        uint16_t d = s->q->dests[k];
        const ct_arrival_routes *r = ct_timetable_arrival_routes(tt, d);
        if (r == NULL)
            return build_into_slow(s, d, lo_t, hi_t);
        uint32_t day_lo = ct_arrival_day(tt, r, lo_t), day_hi = ct_arrival_day(tt, r, hi_t) + 1;
        if (day_hi > r->ndays)
            day_hi = r->ndays;
        for (uint32_t i = 0; i < r->nroutes; i++) {
            const uint16_t *days = r->day_first + (size_t)i * (r->ndays + 1);
            uint32_t a = r->lo[i] + days[day_lo], b = r->lo[i] + days[day_hi];
            if (a >= b)
                continue;
            into_range range = {a, b, s->into_head[r->from[i]]};
            if (CT_VEC_PUSH(&s->into, range) ||
                (range.next < 0 && CT_VEC_PUSH(&s->touched, r->from[i])))
                return CT_NOMEM;
            s->into_head[r->from[i]] = (int32_t)(s->into.len - 1);
        }
    }
    return CT_OK;
}

static int cmp_into_leg(const void *x, const void *y)
{
    const into_leg *a = x, *b = y;
    if (a->dep != b->dep)
        return a->dep < b->dep ? -1 : 1;
    return (a->arr > b->arr) - (a->arr < b->arr);
}

/* Orders v[0..n), made of sorted runs (one per destination airport, in into_head's chain
 * order), by cmp_into_leg: each run merged into what precedes it, stably (as the sort it
 * replaces: the cheapest-only mode keeps the first of equal candidates). */
static ct_status merge_runs(search_state *s, into_leg *v, size_t n)
{
    if (CT_VEC_RESERVE(&s->merge_tmp, n))
        return CT_NOMEM;
    into_leg *tmp = s->merge_tmp.items;
    size_t done = 0; /* v[0..done) is ordered */
    while (done < n) {
        size_t end = done + 1; /* the next run: up to its first step down */
        while (end < n && cmp_into_leg(&v[end - 1], &v[end]) <= 0)
            end++;
        size_t a = 0, b = done, o = 0;
        memcpy(tmp, v, done * sizeof(*v));
        while (a < done && b < end)
            v[o++] = cmp_into_leg(&v[b], &tmp[a]) < 0 ? v[b++] : tmp[a++];
        while (a < done)
            v[o++] = tmp[a++];
        done = end;
    }
    return CT_OK;
}

/* Builds airport y's legs into a destination by departure with suffix minima of arrival and
 * bound (ea_*). CT_NOMEM leaves it unbuilt. */
static ct_status ea_build(search_state *s, uint16_t y)
{
    size_t n = 0, at = s->ylegs.len;
    for (int32_t r = s->into_head[y]; r >= 0; r = s->into.items[r].next)
        n += s->into.items[r].hi - s->into.items[r].lo;
    if (CT_VEC_RESERVE(&s->ea_dep, at + n) || CT_VEC_RESERVE(&s->ea_arr, at + n) ||
        CT_VEC_RESERVE(&s->ea_bound, at + n) || CT_VEC_RESERVE(&s->ylegs, at + n))
        return CT_NOMEM;
    if (CT_VEC_PUSH(&s->touched, y))
        return CT_NOMEM;
    into_leg *v = s->ylegs.items + at;
    size_t k = 0, runs = 0;
    const ct_timetable *tt = s->tt;
    for (int32_t r = s->into_head[y]; r >= 0; r = s->into.items[r].next, runs++) {
        uint32_t lo = s->into.items[r].lo, hi = s->into.items[r].hi;
        for (uint32_t i = lo; i < hi; i++, k++) {
            uint32_t li = tt->by_arr[i];
            const ct_leg *l = &tt->legs[li];
            v[k] = (into_leg){l->dep, l->arr, leg_bound(s, l), li, l->from, l->to, l->carrier};
        }
    }
    if (runs > 1 && merge_runs(s, v, n) != CT_OK) /* several destination airports */
        return CT_NOMEM;
    int32_t best = INT32_MAX;
    double cheapest = INFINITY;
    for (size_t i = n; i-- > 0;) {
        best = v[i].arr < best ? v[i].arr : best;
        cheapest = v[i].bound < cheapest ? v[i].bound : cheapest;
        s->ea_dep.items[at + i] = v[i].dep;
        s->ea_arr.items[at + i] = best;
        s->ea_bound.items[at + i] = cheapest;
    }
    s->ea_dep.len = s->ea_arr.len = s->ea_bound.len = s->ylegs.len = at + n;
    s->ap[y].ea_first = (int32_t)at;
    s->ap[y].ea_len = (int32_t)n;
    s->ap[y].ea_hours = -1;
    size_t h0 = s->ea_hour.len;
    if (n <= UINT16_MAX && CT_VEC_RESERVE(&s->ea_hour, h0 + EA_HOURS) == 0) {
        /* Entry h counts the legs departing before hour h starts: the legs counted by hour
         * (before the window: slot 0; after it: none), then summed; no branch per leg. */
        uint16_t count[EA_HOURS + 1] = {0};
        for (size_t i = 0; i < n; i++) {
            int64_t d = (int64_t)v[i].dep - s->hour0;
            int64_t slot = d < 0 ? 0 : d / 60 + 1; /* counts from hour slot on */
            count[slot < EA_HOURS ? slot : EA_HOURS]++;
        }
        uint16_t *hour = s->ea_hour.items + h0, sum = 0;
        for (int h = 0; h < EA_HOURS; h++) {
            sum = (uint16_t)(sum + count[h]);
            hour[h] = sum;
        }
        s->ea_hour.len = h0 + EA_HOURS;
        s->ap[y].ea_hours = (int32_t)h0;
    }
    return CT_OK;
}

/* The first of dep[0..n) (ascending) at or after t, by branch-free halving (as stair_last). */
static inline size_t first_dep_at(const int32_t *dep, size_t n, int32_t t)
{
    if (n == 0)
        return 0;
    const int32_t *base = dep;
    while (n > 1) {
        size_t half = n / 2;
        base = base[half] < t ? base + half : base;
        n -= half;
    }
    return (size_t)(base - dep) + (*base < t);
}

/* Position (from 0, relative to y's ea_first) of y's first leg into a destination departing
 * at or after t; y's arrays must be built. */
static inline size_t ea_index(const search_state *s, uint16_t y, int32_t t)
{
    const airport_state *a = &s->ap[y];
    size_t lo = 0, hi = (size_t)a->ea_len;
    int64_t d = (int64_t)t - s->hour0;
    if (a->ea_hours >= 0 && (uint64_t)d < (uint64_t)EA_HOURS * 60) { /* d < 0 wraps past */
        uint32_t h = (uint32_t)d / 60u;
        const uint16_t *hour = s->ea_hour.items + a->ea_hours;
        lo = hour[h]; /* first at or after the hour: a few steps from t */
        const int32_t *dep = s->ea_dep.items + a->ea_first;
        while (lo < hi && dep[lo] < t)
            lo++;
        return lo;
    }
    return first_dep_at(s->ea_dep.items + a->ea_first, hi, t);
}

static void ea_at(search_state *s, uint16_t y, int32_t t, int32_t *ea, double *cheapest)
{
    if (s->ap[y].ea_first < 0 && ea_build(s, y) != CT_OK) {
        *ea = t;
        *cheapest = 0;
        return;
    }
    size_t lo = ea_index(s, y, t), n = (size_t)s->ap[y].ea_len;
    *ea = lo < n ? s->ea_arr.items[s->ap[y].ea_first + lo] : INT32_MAX;
    *cheapest = lo < n ? s->ea_bound.items[s->ap[y].ea_first + lo] : INFINITY;
}

/* The largest float <= v (v >= 0 or INFINITY): one step down when the conversion rounded
 * up (a positive float's bits step by one unit). */
static float float_down(double v)
{
    float f = (float)v;
    uint32_t u;
    memcpy(&u, &f, sizeof(u));
    u -= (double)f > v; /* rounded up about half the time: no branch */
    memcpy(&f, &u, sizeof(f));
    return f;
}

/* Builds airport x's middle legs: its departures that a first leg arriving there can take
 * (within the connection window of the first legs' arrivals), on an aircraft with the
 * cabin, to an airport with a third leg after them; then the suffix minima. */
static ct_status mids_build(search_state *s, uint16_t x)
{
    const ct_timetable *tt = s->tt;
    airport_state *a = &s->ap[x];
    int32_t from = a->arr_lo + CT_SEARCH_MCT_DOMESTIC, to = a->arr_hi + CT_SEARCH_MAX_CONNECT;
    uint32_t i0 = ct_timetable_first_departure(tt, x, from);
    uint32_t i1 = ct_timetable_first_departure(tt, x, to + 1);
    /* Two passes without a branch on what each leg holds (half the legs pass the first test,
     * a third the second: branches on them mispredicted more than the tests cost). First
     * the legs to an airport with legs into a destination. */
    if (CT_VEC_RESERVE(&s->cand, i1 > i0 ? i1 - i0 : 1))
        return CT_NOMEM;
    uint32_t *cand = s->cand.items;
    size_t k = 0;
    for (uint32_t i = i0; i < i1; i++) {
        cand[k] = i;
        k += s->into_head[tt->legs[i].to] >= 0;
    }
    /* Then those on an aircraft with the cabin that a third leg can follow, unless pruned
     * now with a free first leg: then pruned for every first leg to come (the staircases
     * only grow). */
    size_t at = s->mids.len, n = 0;
    if (CT_VEC_RESERVE(&s->mids, at + (k > 0 ? k : 1))) /* never NULL: items + at below */
        return CT_NOMEM;
    mid_leg *out = s->mids.items + at;
    for (size_t j = 0; j < k; j++) {
        const ct_leg *l2 = &tt->legs[cand[j]];
        int32_t ea;
        double third;
        ea_at(s, l2->to, l2->arr + CT_SEARCH_MCT_DOMESTIC, &ea, &third);
        float rest = float_down(leg_bound(s, l2) + third);
        out[n] = (mid_leg){l2->dep, ea, rest, cand[j], l2->to, l2->carrier};
        n += (size_t)((ea != INT32_MAX) & cabin_ok(s, l2) &
                      !pruned(s, 2, ea, bound_of(s, 0.85 * (double)rest)));
    }
    s->mids.len = at + n;
    if (CT_VEC_RESERVE(&s->mid_ea, at + n) || CT_VEC_RESERVE(&s->mid_rest, at + n))
        return CT_NOMEM;
    int32_t ea = INT32_MAX;
    float rest = INFINITY;
    for (size_t i = at + n; i-- > at;) {
        ea = s->mids.items[i].ea < ea ? s->mids.items[i].ea : ea;
        rest = s->mids.items[i].rest < rest ? s->mids.items[i].rest : rest;
        s->mid_ea.items[i] = ea;
        s->mid_rest.items[i] = rest;
    }
    s->mid_ea.len = s->mid_rest.len = at + n;
    a->mid_first = (int32_t)at;
    a->mid_n = (int32_t)n;
    return CT_OK;
}

/* The legs into a destination that can follow `in` at in->to: v[first .. n) while
 * departing by `limit` (24 hours after it arrives), and in's country for mct_to. */
typedef struct connecting {
    const into_leg *v;
    size_t first, n;
    int32_t limit;
    int domestic;
} connecting;

static ct_status connecting_legs(search_state *s, const ct_leg *in, connecting *c)
{
    uint16_t y = in->to;
    if (s->ap[y].ea_first < 0 && ea_build(s, y) != CT_OK)
        return CT_NOMEM;
    c->v = s->ylegs.items + s->ap[y].ea_first;
    c->n = (size_t)s->ap[y].ea_len;
    c->first = ea_index(s, y, in->arr + CT_SEARCH_MCT_DOMESTIC);
    c->limit = in->arr + CT_SEARCH_MAX_CONNECT;
    c->domestic = domestic_country(s->tt, in);
    return CT_OK;
}

/* Two-stop completions of l1, l2: legs from Y = l2->to into a destination, through the
 * index. b1, b2 are l1's and l2's lowest amounts. */
static ct_status third_legs(search_state *s, const ct_leg *l1, const ct_leg *l2, double b1,
                            double b2, float rest)
{
    const ct_timetable *tt = s->tt;
    connecting c;
    if (connecting_legs(s, l2, &c) != CT_OK)
        return CT_NOMEM;
    int c12 = coop(s, l1, l2);
    double w1 = c12 ? 0.85 * b1 : b1;
    int64_t partial = bound_of(s, w1 + 0.85 * (double)rest); /* every third leg: at least */
    int32_t cut = prune_cut(s, 2, partial);                  /* arrivals from here on are pruned */
    for (size_t i = c.first; i < c.n && c.v[i].dep <= c.limit; i++) {
        const into_leg *l3 = &c.v[i];
        if (l3->arr >= cut || l3->to == l1->from || l3->to == l2->from ||
            l3->dep < l2->arr + mct_to(tt, c.domestic, l3->to))
            continue;
        if (s->pc != NULL) {
            int c23 = coop_carriers(s, l2->carrier, l3->carrier);
            double w = w1 + (c12 || c23 ? 0.85 : 1) * b2 + (c23 ? 0.85 : 1) * l3->bound;
            if (pruned(s, 2, l3->arr, bound_of(s, w)))
                continue;
        }
        const ct_leg *legs[3] = {l1, l2, &tt->legs[l3->leg]};
        ct_status rc = keep(s, legs, 3);
        if (rc)
            return rc;
        cut = prune_cut(s, 2, partial); /* what was kept may prune more */
    }
    return CT_OK;
}

/* One-stop itineraries starting with l1 (lowest amount b1): the legs from its arrival
 * airport into a destination. */
static ct_status one_stop(search_state *s, const ct_leg *l1, double b1)
{
    const ct_timetable *tt = s->tt;
    connecting c;
    if (s->into_head[l1->to] < 0)
        return CT_OK;
    if (connecting_legs(s, l1, &c) != CT_OK)
        return CT_NOMEM;
    for (size_t i = c.first; i < c.n && c.v[i].dep <= c.limit; i++) {
        const into_leg *l2 = &c.v[i];
        if (l2->to == l1->from || l2->dep < l1->arr + mct_to(tt, c.domestic, l2->to))
            continue;
        double w = (coop_carriers(s, l1->carrier, l2->carrier) ? 0.85 : 1) * (b1 + l2->bound);
        if (pruned(s, 1, l2->arr, bound_of(s, w)))
            continue;
        const ct_leg *legs[2] = {l1, &tt->legs[l2->leg]};
        ct_status rc = keep(s, legs, 2);
        if (rc)
            return rc;
    }
    return CT_OK;
}

/* Two-stop itineraries starting with l1 (lowest amount b1), over the middle legs of its
 * arrival airport: all of them are skipped when the best any can do (the suffix minima) is
 * pruned; else each is tested with its own bounds before its third legs are scanned. A
 * destination airport may be passed through: a through fare can make the longer itinerary
 * cheaper; the bounds prune it whenever it cannot be. */
static ct_status two_stop(search_state *s, const ct_leg *l1, double b1)
{
    const ct_timetable *tt = s->tt;
    airport_state *a = &s->ap[l1->to];
    if (a->mid_first < 0 && mids_build(s, l1->to) != CT_OK)
        return CT_NOMEM;
    const mid_leg *m = s->mids.items + a->mid_first;
    size_t n = (size_t)a->mid_n, lo = 0;
    int32_t t = l1->arr + CT_SEARCH_MCT_DOMESTIC, limit = l1->arr + CT_SEARCH_MAX_CONNECT;
    if (n > 0) { /* branch-free halving, as stair_last */
        const mid_leg *base = m;
        for (size_t k = n; k > 1;) {
            size_t half = k / 2;
            base = base[half].dep < t ? base + half : base;
            k -= half;
        }
        lo = (size_t)(base - m) + (base->dep < t);
    }
    if (lo >= n)
        return CT_OK;
    int64_t floor_price = bound_of(s, 0.85 * (b1 + s->mid_rest.items[a->mid_first + lo]));
    if (pruned(s, 2, s->mid_ea.items[a->mid_first + lo], floor_price))
        return CT_OK;
    int32_t cut = prune_cut(s, 2, floor_price); /* an ea from here on is pruned */
    int domestic = domestic_country(tt, l1);
    /* Two passes, as mids_build: the middle legs that can follow l1 and are not pruned by
     * the cut, without a branch on each (the outcomes are unpredictable); then their own
     * bounds and their third legs. */
    if (CT_VEC_RESERVE(&s->mid_cand, n - lo))
        return CT_NOMEM;
    uint32_t *cand = s->mid_cand.items;
    size_t k = 0;
    for (size_t i = lo; i < n && m[i].dep <= limit; i++) {
        cand[k] = (uint32_t)i;
        k += (size_t)((m[i].ea < cut) & (m[i].to != l1->from) &
                      (m[i].dep >= l1->arr + mct_to(tt, domestic, m[i].to)));
    }
    size_t kept = s->found.len;
    for (size_t j = 0; j < k; j++) {
        const mid_leg *mi = &m[cand[j]];
        double w1 = coop_carriers(s, l1->carrier, mi->carrier) ? 0.85 * b1 : b1;
        if (mi->ea >= cut || pruned(s, 2, mi->ea, bound_of(s, w1 + 0.85 * (double)mi->rest)))
            continue; /* (the cut may have moved since the first pass) */
        const ct_leg *l2 = &tt->legs[mi->leg];
        ct_status rc = third_legs(s, l1, l2, b1, leg_bound(s, l2), mi->rest);
        if (rc)
            return rc;
        if (s->found.len != kept) {
            cut = prune_cut(s, 2, floor_price);
            kept = s->found.len;
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

/* Orders legs[0..n), ascending by departure (one airport's, as the timetable keeps them),
 * as by_dep_desc does, without its sort: reversed, then each run of one departure time
 * back to ascending addresses. */
static void reverse_by_dep(const ct_leg **legs, size_t n)
{
    for (size_t i = 0, j = n; i + 1 < j; i++, j--) {
        const ct_leg *t = legs[i];
        legs[i] = legs[j - 1];
        legs[j - 1] = t;
    }
    for (size_t i = 0; i < n;) {
        size_t e = i + 1;
        while (e < n && legs[e]->dep == legs[i]->dep)
            e++;
        for (size_t a = i, b = e; a + 1 < b; a++, b--) {
            const ct_leg *t = legs[a];
            legs[a] = legs[b - 1];
            legs[b - 1] = t;
        }
        i = e;
    }
}

/* The first legs: departures from an origin on the local date, latest first. */
static ct_status first_legs(search_state *s, leg_ptr_vec *out)
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
    if (s->q->norigins == 1)
        reverse_by_dep(out->items, out->len); /* one airport's legs come by departure */
    else if (out->len > 1)
        /* NOLINTNEXTLINE(bugprone-sizeof-expression): the items are pointers to legs. */
        qsort(out->items, out->len, sizeof(out->items[0]), by_dep_desc);
    for (size_t i = 0; i < out->len; i++) {
        airport_state *a = &s->ap[out->items[i]->to];
        if (a->arr_lo == INT32_MAX && CT_VEC_PUSH(&s->touched, out->items[i]->to))
            return CT_NOMEM;
        a->arr_lo = out->items[i]->arr < a->arr_lo ? out->items[i]->arr : a->arr_lo;
        a->arr_hi = out->items[i]->arr > a->arr_hi ? out->items[i]->arr : a->arr_hi;
    }
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

/* ---- per-thread workspace ----
 *
 * A search's arrays (per airport, and the vectors it grows) are kept by its thread for the
 * next search instead of being allocated, grown and freed every time: that cost more than
 * a tenth of a search. A workspace is freed when its thread exits (pthread key destructor);
 * all live ones are also listed in a global list, so that memory checkers see them as
 * reachable. */
typedef struct search_ws {
    size_t nairports;
    uint8_t *is_dest;
    int32_t *into_head;
    airport_state *ap;
    into_vec into;
    mid_vec mids;
    i32_vec mid_ea;
    f32_vec mid_rest;
    i32_vec ea_dep, ea_arr;
    f64_vec ea_bound;
    u16_vec ea_hour;
    into_leg_vec ylegs;
    u16_vec touched;
    u32_vec cand, mid_cand;
    into_leg_vec merge_tmp;
    stair stairs[CT_SEARCH_MAX_LEGS];
    leg_ptr_vec l1s;
    struct search_ws *prev, *next;
} search_ws;

static pthread_key_t ws_key;
static pthread_once_t ws_once = PTHREAD_ONCE_INIT;
static pthread_mutex_t ws_mu = PTHREAD_MUTEX_INITIALIZER;
static search_ws *ws_all;

static void ws_free(void *p)
{
    search_ws *w = p;
    if (w == NULL)
        return;
    pthread_mutex_lock(&ws_mu);
    if (w->prev != NULL)
        w->prev->next = w->next;
    else
        ws_all = w->next;
    if (w->next != NULL)
        w->next->prev = w->prev;
    pthread_mutex_unlock(&ws_mu);
    ct_free(w->is_dest);
    ct_free(w->into_head);
    ct_free(w->ap);
    CT_VEC_FREE(&w->into);
    CT_VEC_FREE(&w->mids);
    CT_VEC_FREE(&w->mid_ea);
    CT_VEC_FREE(&w->mid_rest);
    CT_VEC_FREE(&w->ea_dep);
    CT_VEC_FREE(&w->ea_arr);
    CT_VEC_FREE(&w->ea_bound);
    CT_VEC_FREE(&w->ea_hour);
    CT_VEC_FREE(&w->ylegs);
    CT_VEC_FREE(&w->touched);
    CT_VEC_FREE(&w->cand);
    CT_VEC_FREE(&w->mid_cand);
    CT_VEC_FREE(&w->merge_tmp);
    for (int k = 0; k < CT_SEARCH_MAX_LEGS; k++)
        CT_VEC_FREE(&w->stairs[k]);
    CT_VEC_FREE(&w->l1s);
    ct_free(w);
}

static void ws_key_make(void)
{
    pthread_key_create(&ws_key, ws_free);
}

#define AIRPORT_PRISTINE ((airport_state){INT32_MAX, INT32_MIN, -1, 0, -1, 0, -1})

/* This thread's workspace with per-airport arrays for n airports; NULL without memory. */
static search_ws *ws_get(size_t n)
{
    pthread_once(&ws_once, ws_key_make);
    search_ws *w = pthread_getspecific(ws_key);
    if (w == NULL) {
        w = ct_calloc(1, sizeof(*w));
        if (w == NULL || pthread_setspecific(ws_key, w) != 0) {
            ct_free(w);
            return NULL;
        }
        pthread_mutex_lock(&ws_mu);
        w->next = ws_all;
        if (ws_all != NULL)
            ws_all->prev = w;
        ws_all = w;
        pthread_mutex_unlock(&ws_mu);
    }
    if (w->nairports < n) {
        ct_free(w->is_dest);
        ct_free(w->into_head);
        ct_free(w->ap);
        w->is_dest = ct_malloc(n);
        w->into_head = ct_malloc(n * sizeof(int32_t));
        w->ap = ct_malloc(n * sizeof(airport_state));
        w->nairports = w->is_dest && w->into_head && w->ap ? n : 0;
        if (w->nairports == 0)
            return NULL;
        /* Pristine; each search puts back what it changed (ws_give). */
        memset(w->is_dest, 0, n);
        memset(w->into_head, 0xff, n * sizeof(int32_t)); /* -1: none */
        for (size_t a = 0; a < n; a++)
            w->ap[a] = AIRPORT_PRISTINE;
    }
    return w;
}

#define WS_TAKE(s, w, f)                                                                           \
    do {                                                                                           \
        (s)->f = (w)->f;                                                                           \
        (s)->f.len = 0;                                                                            \
    } while (0)
#define WS_GIVE(s, w, f) ((w)->f = (s)->f)

/* Binds the workspace's arrays to a search (emptied). */
static void ws_take(search_state *s, search_ws *w, leg_ptr_vec *l1s)
{
    s->is_dest = w->is_dest;
    s->into_head = w->into_head;
    s->ap = w->ap;
    WS_TAKE(s, w, into);
    WS_TAKE(s, w, mids);
    WS_TAKE(s, w, mid_ea);
    WS_TAKE(s, w, mid_rest);
    WS_TAKE(s, w, ea_dep);
    WS_TAKE(s, w, ea_arr);
    WS_TAKE(s, w, ea_bound);
    WS_TAKE(s, w, ea_hour);
    WS_TAKE(s, w, ylegs);
    WS_TAKE(s, w, touched);
    WS_TAKE(s, w, cand);
    WS_TAKE(s, w, mid_cand);
    WS_TAKE(s, w, merge_tmp);
    for (int k = 0; k < CT_SEARCH_MAX_LEGS; k++) {
        s->found_by_stops[k] = w->stairs[k];
        s->found_by_stops[k].len = 0;
    }
    *l1s = w->l1s;
    l1s->len = 0;
}

/* Hands the (maybe grown) arrays back to the workspace, the per-airport ones as pristine
 * as they were taken (only what the search touched is reset). */
static void ws_give(search_state *s, search_ws *w, leg_ptr_vec *l1s)
{
    for (size_t i = 0; i < s->touched.len; i++) {
        uint16_t a = s->touched.items[i];
        s->ap[a] = AIRPORT_PRISTINE;
        s->into_head[a] = -1;
    }
    for (int i = 0; i < s->q->ndests; i++)
        s->is_dest[s->q->dests[i]] = 0;
    WS_GIVE(s, w, touched);
    WS_GIVE(s, w, cand);
    WS_GIVE(s, w, mid_cand);
    WS_GIVE(s, w, merge_tmp);
    WS_GIVE(s, w, into);
    WS_GIVE(s, w, mids);
    WS_GIVE(s, w, mid_ea);
    WS_GIVE(s, w, mid_rest);
    WS_GIVE(s, w, ea_dep);
    WS_GIVE(s, w, ea_arr);
    WS_GIVE(s, w, ea_bound);
    WS_GIVE(s, w, ea_hour);
    WS_GIVE(s, w, ylegs);
    for (int k = 0; k < CT_SEARCH_MAX_LEGS; k++)
        w->stairs[k] = s->found_by_stops[k];
    w->l1s = *l1s;
    ct_bound_cache_free(&s->bounds);
    CT_VEC_FREE(&s->found);
}

/* One search; fast: leg bounds from the pricebook's table. */
static ct_status run_once(const ct_timetable *tt, const ct_search_query *q, int cheapest, int fast,
                          ct_search_result *out)
{
    search_state s = {.tt = tt,
                      .q = q,
                      .pc = q->price,
                      .cheapest = cheapest,
                      .best_price = INT64_MAX,
                      .fast = fast};
    if (s.pc != NULL && s.pc->view == NULL)
        s.pc = NULL;
    if (s.pc != NULL) /* floors: one minor unit per ticket and passenger type; conversion: half */
        s.slack = (int64_t)(s.pc->payers * (CT_SEARCH_MAX_LEGS + 2) * (s.pc->max_conv + 1)) + 2;
    s.unpriced = s.pc == NULL || s.pc->ignore_price;
    s.restricted = s.pc != NULL && (s.pc->only_provider >= 0 || s.pc->only_group != 0);
    if (s.pc != NULL) {
        s.bound_mul = s.pc->fare_weight;
        s.bound_add = (double)s.pc->payers * (double)s.pc->min_fee - (double)s.slack;
    }
    if (fast && s.pc != NULL && s.pc->only_provider < 0 && s.pc->only_group == 0) {
        s.bound_table = s.pc->view->leg_bound[s.pc->cabin];
        s.cents_factor = s.pc->cents_factor;
    }
    leg_ptr_vec l1s = {0};
    search_ws *w = ws_get(tt->nairports);
    if (w == NULL)
        return CT_NOMEM;
    ws_take(&s, w, &l1s);
    ct_status rc = CT_OK;
    for (int i = 0; i < q->ndests; i++)
        s.is_dest[q->dests[i]] = 1;
    s.hour0 = (int32_t)(q->date * 1440 - 24 * 60);
    for (size_t b = 0; b < STAIR_BUCKETS; b++)
        s.stair2_at[b] = INT64_MAX;
    if (q->max_stops >= 1 && build_into(&s) != CT_OK)
        goto cleanup;
    rc = first_legs(&s, &l1s);
    for (size_t i = 0; !rc && i < l1s.len; i++) {
        const ct_leg *l1 = l1s.items[i];
        double b1 = leg_bound(&s, l1);
        if (s.is_dest[l1->to])
            rc = keep(&s, &l1, 1);
        if (rc || q->max_stops < 1 || pruned(&s, 1, l1->arr, bound_of(&s, 0.85 * b1)))
            continue;
        rc = one_stop(&s, l1, b1);
        if (!rc && q->max_stops >= 2)
            rc = two_stop(&s, l1, b1);
    }
    if (!rc) {
        out->candidates = s.found.len;
        pareto_filter(&s.found);
        out->items = s.found.items;
        out->n = s.found.len;
        s.found.items = NULL;
    }
cleanup:
    ws_give(&s, w, &l1s);
    return rc;
}

/* Validates the query, then searches with the pricebook's leg bounds when they can be used
 * and hold for the whole search (pricebook.h: the sequence check); else, or when a writer
 * changed prices meanwhile, with the per-query bounds. Both give the same answer. */
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
    const ct_price_ctx *pc = q->price;
    uint64_t token = 0;
    if (pc != NULL && pc->view != NULL && pc->leg_bounds && !pc->no_leg_bounds)
        token = ct_pb_bounds_begin(pc->view);
    if (token != 0) {
        ct_status rc = run_once(tt, q, cheapest, 1, out);
        if (rc || ct_pb_bounds_check(pc->view, token))
            return rc;
        ct_search_result_free(out); /* a writer changed prices meanwhile */
    }
    return run_once(tt, q, cheapest, 0, out);
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
