/* via.c: the restricted cheapest-only search: the cheapest priced itinerary of a query that
 * flies one given dated leg (search.h ct_search_cheapest_via).
 *
 * Why: when one leg's price drops, a new low of a (route, date) must use that leg; pricing
 * only the itineraries through it is a few dozen candidates instead of the whole slice.
 *
 * How: the leg L = A -> B can only be the first, the middle or the last leg of an
 * itinerary. Each position is enumerated directly from the timetable's indexes, with the
 * connection windows of search.h (minimum connection time, at most 24 hours):
 *   - first (A an origin, L on the query's date): L alone when B is a destination; L + a
 *     leg from B into a destination (the arrival routes of each destination, looked up by
 *     departure airport through a per-thread mark array); L + a leg from B + a leg into a
 *     destination from where that one lands;
 *   - last (B a destination): a first leg from an origin into A; a first leg from an origin
 *     into X + a leg X -> A (the first legs of the date grouped by where they land);
 *   - middle: a first leg from an origin into A, L, a leg from B into a destination.
 * Every candidate is checked by the rules of ct_search_valid (no airport twice, cabin on the
 * aircraft, connection times) and priced exactly (ct_price_itinerary); the lowest price
 * wins, the shortest among equal ones, as in ct_search_cheapest. Before pricing, a
 * candidate is skipped when its lower bound (search.h: 0.85 x the legs' bounds + the lowest
 * fee, x payers, less the rounding slack) is not below the best so far or the caller's
 * ceiling. The mark arrays are kept per thread (like the search's arrays). The same
 * enumeration collects every valid itinerary through the leg, priced or schedule-only
 * (ct_search_oneway_via), for the alerts' kept one-way sets. */
#include <math.h>
#include <pthread.h>
#include <string.h>

#include "base/alloc.h"
#include "base/vec.h"
#include "search/search.h"

typedef struct via_ws {
    int32_t *mark; /* per airport: route index + 1 into the destination being scanned, 0 */
    int32_t *head; /* per airport: first of the first legs landing there + 1, 0: none */
    size_t n;
    const ct_leg **l1s; /* the query's first legs (grown) */
    int32_t *next;      /* per first leg: the next landing at the same airport + 1 */
    size_t l1_cap;
} via_ws;

static pthread_key_t ws_key;
static pthread_once_t ws_once = PTHREAD_ONCE_INIT;

static void ws_free(void *p)
{
    via_ws *w = p;
    if (w == NULL)
        return;
    ct_free(w->mark);
    ct_free(w->head);
    ct_free(w->l1s);
    ct_free(w->next);
    ct_free(w);
}

static void ws_key_make(void)
{
    (void)pthread_key_create(&ws_key, ws_free);
}

static via_ws *ws_get(size_t nairports)
{
    pthread_once(&ws_once, ws_key_make);
    via_ws *w = pthread_getspecific(ws_key);
    if (w != NULL && w->n >= nairports)
        return w;
    ws_free(w);
    (void)pthread_setspecific(ws_key, NULL);
    w = ct_calloc(1, sizeof(*w));
    if (w == NULL)
        return NULL;
    w->n = nairports;
    w->mark = ct_calloc(nairports + 1, sizeof(int32_t));
    w->head = ct_calloc(nairports + 1, sizeof(int32_t));
    if (w->mark == NULL || w->head == NULL || pthread_setspecific(ws_key, w) != 0) {
        ws_free(w);
        return NULL;
    }
    return w;
}

typedef struct via_state {
    const ct_timetable *tt;
    const ct_search_query *q;
    const ct_price_ctx *pc;
    const ct_leg *via;
    via_ws *w;
    int64_t ceiling; /* only prices below it count */
    int64_t slack;
    ct_itinerary *best;
    int found;
    /* collect mode (ct_search_oneway_via): every valid itinerary, priced or schedule-only */
    CT_VEC(ct_itinerary) all;
    int collect;
    ct_status rc;
} via_state;

static int contains(const uint16_t *set, int n, uint16_t a)
{
    for (int i = 0; i < n; i++) {
        if (set[i] == a)
            return 1;
    }
    return 0;
}

/* The rules of ct_search_valid on a sequence of legs, without the price. */
static int valid(const via_state *s, const ct_leg *const *legs, int n)
{
    const ct_search_query *q = s->q;
    if (n > q->max_stops + 1 || !contains(q->origins, q->norigins, legs[0]->from) ||
        legs[0]->local_date != q->date || !contains(q->dests, q->ndests, legs[n - 1]->to))
        return 0;
    uint16_t seen[CT_SEARCH_MAX_LEGS + 1];
    seen[0] = legs[0]->from;
    for (int i = 0; i < n; i++) {
        const ct_leg *l = legs[i];
        if (!ct_leg_has_cabin(l, s->pc->cabin))
            return 0;
        if (i > 0) {
            const ct_leg *p = legs[i - 1];
            if (l->from != p->to || l->dep < p->arr + ct_search_mct(s->tt, p, l) ||
                l->dep > p->arr + CT_SEARCH_MAX_CONNECT)
                return 0;
        }
        for (int k = 0; k <= i; k++) {
            if (seen[k] == l->to)
                return 0;
        }
        seen[i + 1] = l->to;
    }
    return 1;
}

/* A candidate: kept when valid, priced and better than the best so far. */
static void candidate(via_state *s, const ct_leg *l1, const ct_leg *l2, const ct_leg *l3)
{
    const ct_leg *legs[3] = {l1, l2, l3};
    int n = l3 != NULL ? 3 : l2 != NULL ? 2 : 1;
    if (!valid(s, legs, n))
        return;
    if (s->collect) {
        int64_t p = ct_price_itinerary(s->pc, legs, n, NULL);
        ct_itinerary it = {n, {l1, l2, l3}, l1->dep, legs[n - 1]->arr, p};
        if (p >= 0 && !s->rc && CT_VEC_PUSH(&s->all, it))
            s->rc = CT_NOMEM;
        return;
    }
    int64_t limit = s->found ? s->best->price : s->ceiling;
    if (n > 1) {
        double sum = 0;
        for (int i = 0; i < n; i++)
            sum += ct_price_leg_bound(s->pc, legs[i]);
        double lb =
            (double)s->pc->payers * (0.85 * sum + (double)s->pc->min_fee) - (double)s->slack;
        if (lb > (double)limit) /* INFINITY: a leg nobody sells */
            return;
    }
    int64_t p = ct_price_itinerary(s->pc, legs, n, NULL);
    if (p < 0 || p == CT_PRICE_UNKNOWN || p > limit || (!s->found && p >= s->ceiling))
        return;
    int32_t dur = legs[n - 1]->arr - legs[0]->dep;
    if (s->found && p == s->best->price && dur >= s->best->arr - s->best->dep)
        return;
    ct_itinerary it = {n, {l1, l2, l3}, l1->dep, legs[n - 1]->arr, p};
    *s->best = it;
    s->found = 1;
}

/* Calls fn for each leg of route `i` of r (into r's airport) departing in [t0, t1]. */
typedef void (*leg_fn)(via_state *s, const ct_leg *l, const void *arg);

static void scan_route(via_state *s, const ct_arrival_routes *r, uint32_t i, int32_t t0, int32_t t1,
                       leg_fn fn, const void *arg)
{
    const ct_timetable *tt = s->tt;
    const uint16_t *days = r->day_first + (size_t)i * (r->ndays + 1);
    uint32_t end = r->lo[i + 1];
    for (uint32_t j = r->lo[i] + days[ct_arrival_day(tt, r, t0)]; j < end; j++) {
        const ct_leg *l = &tt->legs[tt->by_arr[j]];
        if (l->dep > t1)
            break;
        if (l->dep >= t0)
            fn(s, l, arg);
    }
}

/* The route of r from airport `from`, or -1. */
static int64_t route_from(const ct_arrival_routes *r, uint16_t from)
{
    for (uint32_t i = 0; i < r->nroutes; i++) {
        if (r->from[i] == from)
            return i;
    }
    return -1;
}

/* ---- L first ---- */

static void first_then_last(via_state *s, const ct_leg *l2, const void *arg)
{
    (void)arg;
    candidate(s, s->via, l2, NULL);
}

typedef struct pair_arg {
    const ct_leg *a, *b;
} pair_arg;

static void first_mid_last(via_state *s, const ct_leg *l3, const void *arg)
{
    const pair_arg *p = arg;
    candidate(s, p->a, p->b, l3);
}

/* Marks the routes of r by departure airport (mark = route + 1); unmark with clear = 1. */
static void mark_routes(via_state *s, const ct_arrival_routes *r, int clear)
{
    for (uint32_t i = 0; i < r->nroutes; i++)
        s->w->mark[r->from[i]] = clear ? 0 : (int32_t)i + 1;
}

static void via_first(via_state *s)
{
    const ct_timetable *tt = s->tt;
    const ct_leg *L = s->via;
    if (!contains(s->q->origins, s->q->norigins, L->from) || L->local_date != s->q->date)
        return;
    if (contains(s->q->dests, s->q->ndests, L->to))
        candidate(s, L, NULL, NULL);
    if (s->q->max_stops < 1)
        return;
    int32_t t0 = L->arr + CT_SEARCH_MCT_DOMESTIC, t1 = L->arr + CT_SEARCH_MAX_CONNECT;
    for (int d = 0; d < s->q->ndests; d++) {
        const ct_arrival_routes *r = ct_timetable_arrival_routes(tt, s->q->dests[d]);
        if (r == NULL)
            continue;
        int64_t direct = route_from(r, L->to);
        if (direct >= 0)
            scan_route(s, r, (uint32_t)direct, t0, t1, first_then_last, NULL);
        if (s->q->max_stops < 2)
            continue;
        mark_routes(s, r, 0);
        uint32_t end = tt->first[L->to + 1];
        for (uint32_t i = ct_timetable_first_departure(tt, L->to, t0);
             i < end && tt->legs[i].dep <= t1; i++) {
            const ct_leg *l2 = &tt->legs[i];
            int32_t m = s->w->mark[l2->to];
            if (m == 0 || l2->to == L->from)
                continue;
            pair_arg p = {L, l2};
            scan_route(s, r, (uint32_t)(m - 1), l2->arr + CT_SEARCH_MCT_DOMESTIC,
                       l2->arr + CT_SEARCH_MAX_CONNECT, first_mid_last, &p);
        }
        mark_routes(s, r, 1);
    }
}

/* ---- L middle or last ---- */

/* The first legs of the query's date that land at `to` (any airport when to < 0), each
 * in w->l1s, linked per landing airport from w->head. Returns how many; -1 on no memory. */
static int64_t gather_first(via_state *s)
{
    const ct_timetable *tt = s->tt;
    via_ws *w = s->w;
    int32_t from = (int32_t)(s->q->date * 1440 - 14 * 60);
    int32_t to = (int32_t)((s->q->date + 1) * 1440 + 12 * 60);
    size_t n = 0;
    for (int o = 0; o < s->q->norigins; o++) {
        uint16_t a = s->q->origins[o];
        uint32_t end = tt->first[a + 1];
        for (uint32_t i = ct_timetable_first_departure(tt, a, from);
             i < end && tt->legs[i].dep < to; i++) {
            const ct_leg *l = &tt->legs[i];
            if (l->local_date != s->q->date)
                continue;
            if (n == w->l1_cap) {
                size_t ncap = w->l1_cap ? w->l1_cap * 2 : 256;
                const ct_leg **nl = ct_realloc(w->l1s, ncap * sizeof(const ct_leg *));
                int32_t *nn = nl != NULL ? ct_realloc(w->next, ncap * sizeof(*nn)) : NULL;
                if (nl != NULL)
                    w->l1s = nl;
                if (nn == NULL)
                    return -1;
                w->next = nn;
                w->l1_cap = ncap;
            }
            w->l1s[n] = l;
            w->next[n] = w->head[l->to];
            w->head[l->to] = (int32_t)n + 1;
            n++;
        }
    }
    return (int64_t)n;
}

static void clear_first(via_state *s, size_t n)
{
    for (size_t i = 0; i < n; i++)
        s->w->head[s->w->l1s[i]->to] = 0;
}

static void mid_last(via_state *s, const ct_leg *l3, const void *arg)
{
    const ct_leg *const *l1 = arg;
    candidate(s, *l1, s->via, l3);
}

/* l2 = X -> A before L: every first leg landing at X with it and L. */
static void two_before(via_state *s, const ct_leg *l2, const void *arg)
{
    (void)arg;
    for (int32_t k = s->w->head[l2->from]; k != 0; k = s->w->next[k - 1])
        candidate(s, s->w->l1s[k - 1], l2, s->via);
}

/* l1 = a first leg into A: L after it (last of two), or L then a leg into a destination. */
static void second_after(via_state *s, const ct_leg *l1, const void *arg)
{
    (void)arg;
    const ct_leg *L = s->via;
    if (l1->local_date != s->q->date)
        return;
    if (contains(s->q->dests, s->q->ndests, L->to))
        candidate(s, l1, L, NULL);
    for (int d = 0; s->q->max_stops >= 2 && d < s->q->ndests; d++) {
        const ct_arrival_routes *r = ct_timetable_arrival_routes(s->tt, s->q->dests[d]);
        int64_t i = r != NULL ? route_from(r, L->to) : -1;
        if (i >= 0)
            scan_route(s, r, (uint32_t)i, L->arr + CT_SEARCH_MCT_DOMESTIC,
                       L->arr + CT_SEARCH_MAX_CONNECT, mid_last, &l1);
    }
}

static void via_later(via_state *s)
{
    const ct_timetable *tt = s->tt;
    const ct_leg *L = s->via;
    int last = contains(s->q->dests, s->q->ndests, L->to);
    if (s->q->max_stops < 1 || (!last && s->q->max_stops < 2))
        return;
    /* L second: after a first leg from an origin into A (L last of two, or the middle of
     * three), from A's arrival routes. */
    const ct_arrival_routes *ra = ct_timetable_arrival_routes(tt, L->from);
    int32_t t0 = (int32_t)(s->q->date * 1440 - 14 * 60);
    for (int o = 0; ra != NULL && o < s->q->norigins; o++) {
        int64_t i = route_from(ra, s->q->origins[o]);
        if (i >= 0)
            scan_route(s, ra, (uint32_t)i, t0, L->dep - CT_SEARCH_MCT_DOMESTIC, second_after, NULL);
    }
    /* L third: a first leg landing at X, then X -> A. */
    if (!last || s->q->max_stops < 2 || ra == NULL)
        return;
    int64_t n = gather_first(s);
    if (n < 0)
        return;
    for (uint32_t i = 0; i < ra->nroutes; i++) {
        if (s->w->head[ra->from[i]] != 0)
            scan_route(s, ra, i, t0, L->dep - CT_SEARCH_MCT_DOMESTIC, two_before, NULL);
    }
    clear_first(s, (size_t)n);
}

/* The checks and the state both entry points share; CT_OK with *s ready, or with
 * s->pc == NULL when nothing is priced. */
static ct_status begin(const ct_timetable *tt, const ct_search_query *q, uint32_t leg, via_state *s)
{
    if (q->norigins < 1 || q->ndests < 1 || q->max_stops < 0 || q->max_stops > 2 ||
        leg >= tt->nlegs)
        return CT_INVALID;
    for (int i = 0; i < q->norigins; i++) {
        if (q->origins[i] >= tt->nairports || contains(q->dests, q->ndests, q->origins[i]))
            return CT_INVALID;
    }
    s->tt = tt;
    s->q = q;
    s->via = &tt->legs[leg];
    if (q->price == NULL || q->price->view == NULL || q->price->ignore_price)
        return CT_OK; /* nothing is priced */
    s->w = ws_get(tt->nairports);
    if (s->w == NULL)
        return CT_NOMEM;
    s->pc = q->price;
    s->slack = (int64_t)(s->pc->payers * (CT_SEARCH_MAX_LEGS + 1) * (s->pc->max_conv + 1)) + 2;
    return CT_OK;
}

ct_status ct_search_cheapest_via(const ct_timetable *tt, const ct_search_query *q, uint32_t leg,
                                 int64_t ceiling, ct_itinerary *best, int *found)
{
    *found = 0;
    via_state s = {.ceiling = ceiling, .best = best};
    ct_status rc = begin(tt, q, leg, &s);
    if (rc || s.pc == NULL)
        return rc;
    via_first(&s);
    via_later(&s);
    *found = s.found;
    return CT_OK;
}

ct_status ct_search_oneway_via(const ct_timetable *tt, const ct_search_query *q, uint32_t leg,
                               ct_search_result *out)
{
    memset(out, 0, sizeof(*out));
    via_state s = {.collect = 1};
    ct_status rc = begin(tt, q, leg, &s);
    if (rc || s.pc == NULL)
        return rc;
    via_first(&s);
    via_later(&s);
    if (s.rc) {
        CT_VEC_FREE(&s.all);
        return s.rc;
    }
    out->items = s.all.items;
    out->n = s.all.len;
    out->candidates = s.all.len;
    return CT_OK;
}
