/* explore.c: the cheapest priced itinerary from an origin on a day to every airport, with
 * up to two stops (see calendar.h "Explore").
 *
 * One pass over the origin's first legs and their second legs (within the connection
 * window) prices nonstop and one-stop candidates whose lower bound (search.h) does not lose
 * to the destination's best so far, and, for two stops, keeps every two-leg partial
 * itinerary by the airport it reaches. Each such airport's partials are sorted by arrival,
 * with a segment tree of their bounds (the lowest in any range of arrivals). Its third legs
 * then each see a window of partials they may follow (arrived 24 h to 45 minutes before);
 * a sliding-window minimum gives the best bound any of them can do, and those that cannot
 * beat the destination's best so far are dropped. The others are candidates, taken per
 * destination cheapest bound first (so that the first exact prices prune the rest); each
 * enumerates its window's partials cheapest first through the tree and prices them exactly
 * until the bound loses. Only the final test of a candidate reads the exact rules (the
 * connection's own minimum time, no airport twice, the providers' itinerary rule).
 *
 * The bounds: each leg's lowest amount, 85 % of it where it may share a ticket with a
 * neighbour (through fares) and all of it where it cannot, plus the lowest fee. Each partial
 * also carries the providers that may still sell what starts with it (those with an amount
 * for its first leg and selling its second leg's carrier; only combiners, given the minutes,
 * across a self-transfer; pricing.c's rule), so that its first leg's bound and the fee are
 * those of these providers alone, and a third leg nobody of them can sell with it is never
 * priced. (Without the sellers, four pricings in ten were of itineraries nobody sells.)
 * Second legs' bounds come from the pricebook's table while its sequence check holds (as the
 * one-way engine's); when a writer changed prices meanwhile, the explore runs again on
 * bounds from each leg's facts. The arrays are allocated per call (nothing is shared
 * between threads). */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "base/alloc.h"
#include "base/vec.h"
#include "search/calendar.h"
#include "search/search_internal.h"

/* A two-leg partial itinerary l1, l2 reaching airport y at arr; w = the legs' lowest
 * per-passenger amounts, weighted as a bound whatever the third leg (weighted_pair);
 * sellers: the providers that may still sell an itinerary starting with it (a bit each). */
typedef struct partial {
    int32_t arr;
    uint32_t l1, l2;
    uint16_t y;
    uint16_t sellers;
    double w;
} partial;

/* A third leg with the partials it may follow (by_y[lo..hi), of airport y) and the lowest
 * price any of them can give it. */
typedef struct candidate {
    double lb;
    uint32_t l3, lo, hi;
    uint16_t z, y;
} candidate;

/* A range of a segment tree's leaves (absolute positions in by_y) and its cheapest. */
typedef struct range {
    uint32_t lo, hi, min;
} range;

typedef CT_VEC(partial) partial_vec;
typedef CT_VEC(candidate) candidate_vec;
typedef CT_VEC(range) range_vec;
typedef CT_VEC(uint32_t) u32_vec;

typedef struct explore_state {
    const ct_timetable *tt;
    const ct_search_query *q;
    const ct_price_ctx *pc;
    ct_itinerary *best; /* per airport; price CT_PRICE_UNKNOWN = none */
    uint8_t *is_origin;
    ct_bound_cache cache;
    double slack;
    const uint16_t *bound_table; /* the pricebook's leg bounds, or NULL: the leg facts */
    /* Who may sell what (necessary conditions of the itinerary rule, pricing.c): per
     * carrier the providers selling it (with a rate), the combiners, and each combiner's
     * minimum minutes at a self-transfer. */
    uint16_t *sold_by;
    uint16_t combiners;
    int xfer_min[CT_MAX_PROVIDERS];
    double fee_over[CT_MAX_PROVIDERS]; /* each one's fee per passenger, converted, less min_fee */
    partial_vec parts;                 /* as found, then (by_y) by airport and arrival */
    partial *by_y;
    uint32_t *y_first; /* nairports + 1 offsets into by_y */
    uint32_t *tree;    /* per airport at 2 x y_first: a segment tree of positions */
    u32_vec window;    /* the sliding minimum's deque */
    candidate_vec cands;
    range_vec heap;
} explore_state;

static int cabin_ok(const explore_state *s, const ct_leg *l)
{
    return ct_leg_has_cabin(l, s->pc->cabin);
}

/* The lowest per-passenger amount any provider asks for the leg, converted; INFINITY when
 * none (then no itinerary through it is priced). */
static double leg_bound(explore_state *s, const ct_leg *l)
{
    if (s->bound_table == NULL)
        return ct_bound_cached(&s->cache, s->pc, s->tt, l);
    uint16_t c = __atomic_load_n(&s->bound_table[l - s->tt->legs], __ATOMIC_RELAXED);
    return c == CT_PB_BOUND_NONE ? INFINITY : ct_pb_bound_decode(c) * s->pc->cents_factor;
}

/* A lower bound of the price of an itinerary whose legs' lowest amounts sum to w (every leg
 * at most 15 % off through a through fare, the passengers' fare weight, the lowest fee, less
 * what rounding can take). */
static double lower_bound(const explore_state *s, double w)
{
    return s->pc->fare_weight * w + s->pc->payers * (double)s->pc->min_fee - s->slack;
}

/* 1 when legs of carriers a, b may be one ticket (same carrier, or one alliance). */
static int coop(const explore_state *s, const ct_leg *a, const ct_leg *b)
{
    const uint8_t *al = s->pc->view->snap->alliance;
    return a->carrier == b->carrier || (al[a->carrier] != 0 && al[a->carrier] == al[b->carrier]);
}

/* Who may sell, per carrier (see explore_state); CT_NOMEM without memory. */
static ct_status sellers_init(explore_state *s)
{
    const ct_pb_snapshot *snap = s->pc->view->snap;
    size_t nc = s->tt->ncarriers;
    s->sold_by = ct_calloc(nc ? nc : 1, sizeof(uint16_t));
    if (s->sold_by == NULL)
        return CT_NOMEM;
    for (int p = 0; p < snap->nproviders && p < CT_MAX_PROVIDERS; p++) {
        const ct_pb_provider *pr = &snap->providers[p];
        if (s->pc->conv[p] == 0 || pr->amount == NULL)
            continue; /* its legs have no amount (pricing.c leg_amount) */
        s->fee_over[p] = (double)pr->desc.fee_minor * s->pc->conv[p] - (double)s->pc->min_fee;
        for (size_t c = 0; c < nc; c++)
            s->sold_by[c] |= (uint16_t)(pr->sells[c] ? 1u << p : 0);
        if (pr->desc.kind == CT_PROVIDER_COMBINER) {
            s->combiners |= (uint16_t)(1u << p);
            s->xfer_min[p] = pr->desc.min_self_transfer_min > 0 ? pr->desc.min_self_transfer_min
                                                                : CT_MCT_SELF_XFER;
        }
    }
    return CT_OK;
}

/* The providers with an amount for leg l (its facts: seats for the passengers in a class
 * of the cabin, a fare filed), a bit each; amount[] gets each one's (-1: none). */
static uint16_t leg_sellers(explore_state *s, const ct_leg *l, int32_t amount[CT_MAX_PROVIDERS])
{
    const ct_leg_facts *f = ct_leg_facts_cached(&s->cache, s->pc, s->tt, l);
    uint16_t m = 0;
    memset(amount, 0xff, CT_MAX_PROVIDERS * sizeof(int32_t)); /* -1 */
    for (int p = 0; p < s->pc->nproviders && p < CT_MAX_PROVIDERS; p++) {
        amount[p] = f->amount[p];
        m |= (uint16_t)(amount[p] >= 0 ? 1u << p : 0);
    }
    return m;
}

/* The lowest converted amount among the providers of m (INFINITY: none): a bound of the
 * leg in whatever only they can sell, tighter than the any-provider one. */
static double cheapest_amount(const explore_state *s, const int32_t *amount, uint16_t m)
{
    double lo = INFINITY;
    for (unsigned b = m; b != 0; b &= b - 1) { /* the providers of m (a bit each) */
        int p = __builtin_ctz(b);
        double v = (double)amount[p] * s->pc->conv[p];
        lo = amount[p] >= 0 && v < lo ? v : lo;
    }
    return lo;
}

/* What the cheapest fee among the providers of m adds to the lowest fee (per passenger,
 * converted): the price of what only they can sell is at least that much higher. */
static double fee_over(const explore_state *s, uint16_t m)
{
    double lo = INFINITY;
    for (unsigned b = m; b != 0; b &= b - 1) {
        int p = __builtin_ctz(b);
        lo = s->fee_over[p] < lo ? s->fee_over[p] : lo;
    }
    return lo == INFINITY || lo < 0 ? 0 : lo;
}

/* The combiners that sell a self-transfer of `gap` minutes. */
static uint16_t self_transfer_sellers(const explore_state *s, int32_t gap)
{
    uint16_t m = 0;
    for (unsigned b = s->combiners; b != 0; b &= b - 1) {
        int p = __builtin_ctz(b);
        m |= (uint16_t)(gap >= s->xfer_min[p] ? 1u << p : 0);
    }
    return m;
}

/* The providers that may sell an itinerary whose legs start with a, b (c: they cooperate;
 * first: the providers with an amount for a): those selling b's carrier too; only
 * combiners, with the minutes to change, when they do not cooperate. */
static uint16_t pair_sellers(const explore_state *s, uint16_t first, const ct_leg *a,
                             const ct_leg *b, int c)
{
    uint16_t m = first & s->sold_by[b->carrier];
    return c ? m : m & self_transfer_sellers(s, b->dep - a->arr);
}

/* The weighted sum of a two-leg prefix's lowest amounts that bounds every itinerary
 * starting with it: a leg costs at least 85 % of its amount when it may share a ticket of two
 * legs or more (through fares), all of it when neither neighbour cooperates with it. The
 * first leg is alone when the second does not cooperate with it; the second may still share
 * a ticket with a third. */
static double weighted_pair(const explore_state *s, const ct_leg *l1, const ct_leg *l2, double b1,
                            double b2)
{
    return coop(s, l1, l2) ? 0.85 * (b1 + b2) : b1 + 0.85 * b2;
}

/* 1 when no itinerary to `to` whose weighted amounts sum to w can beat its best so far
 * (ties are kept: the shorter of equal prices wins). */
static int loses(const explore_state *s, uint16_t to, double w)
{
    int64_t best = s->best[to].price;
    return best != CT_PRICE_UNKNOWN && lower_bound(s, w) > (double)best;
}

/* Prices a complete itinerary exactly and keeps it when it beats its destination's best. */
static void offer(explore_state *s, const ct_leg *const *legs, int n)
{
    uint16_t to = legs[n - 1]->to;
    int64_t price = ct_price_itinerary_cached(&s->cache, s->pc, s->tt, legs, n);
    if (price < 0 || price == CT_PRICE_UNKNOWN)
        return;
    ct_itinerary *b = &s->best[to];
    int32_t dur = legs[n - 1]->arr - legs[0]->dep;
    if (price < b->price || (price == b->price && dur < b->arr - b->dep)) {
        memset(b, 0, sizeof(*b));
        b->nlegs = n;
        for (int i = 0; i < n; i++)
            b->legs[i] = legs[i];
        b->dep = legs[0]->dep;
        b->arr = legs[n - 1]->arr;
        b->price = price;
    }
}

/* The itineraries starting with l1: itself, its one-stop ones, and (max_stops 2) its
 * two-leg partials. */
static ct_status explore_from(explore_state *s, const ct_leg *l1)
{
    const ct_timetable *tt = s->tt;
    double b1 = leg_bound(s, l1);
    if (b1 == INFINITY || !cabin_ok(s, l1))
        return CT_OK;
    int32_t a1[CT_MAX_PROVIDERS];
    uint16_t first = leg_sellers(s, l1, a1);
    if (first == 0)
        return CT_OK; /* nobody has a price for it */
    if (!s->is_origin[l1->to])
        offer(s, &l1, 1);
    if (s->q->max_stops < 1)
        return CT_OK;
    uint16_t x = l1->to;
    for (uint32_t i = ct_timetable_first_departure(tt, x, l1->arr + CT_SEARCH_MCT_DOMESTIC);
         i < tt->first[x + 1]; i++) {
        const ct_leg *l2 = &tt->legs[i];
        if (l2->dep > l1->arr + CT_SEARCH_MAX_CONNECT)
            break;
        if (l2->to == l1->from || l2->dep < l1->arr + ct_search_mct(tt, l1, l2) || !cabin_ok(s, l2))
            continue;
        double b2 = leg_bound(s, l2);
        if (b2 == INFINITY)
            continue;
        int c12 = coop(s, l1, l2);
        uint16_t sellers = pair_sellers(s, first, l1, l2, c12);
        if (sellers == 0)
            continue; /* nobody can sell what starts with l1, l2 */
        uint16_t whole = c12 ? sellers & (uint16_t)~s->combiners : sellers; /* no change */
        if (whole != 0 && !s->is_origin[l2->to] &&
            !loses(s, l2->to,
                   (c12 ? 0.85 : 1) * (cheapest_amount(s, a1, whole) + b2) + fee_over(s, whole))) {
            const ct_leg *legs[2] = {l1, l2};
            offer(s, legs, 2);
        }
        if (s->q->max_stops >= 2) {
            partial p = {
                l2->arr,
                (uint32_t)(l1 - tt->legs),
                i,
                l2->to,
                sellers,
                weighted_pair(s, l1, l2, cheapest_amount(s, a1, sellers), b2) + fee_over(s, sellers)};
            if (CT_VEC_PUSH(&s->parts, p))
                return CT_NOMEM;
        }
    }
    return CT_OK;
}

/* The cheaper of two partials' positions (UINT32_MAX: none). */
static uint32_t cheaper(const explore_state *s, uint32_t a, uint32_t b)
{
    if (a == UINT32_MAX)
        return b;
    if (b == UINT32_MAX)
        return a;
    return s->by_y[b].w < s->by_y[a].w ? b : a;
}

/* Orders the partials by arrival (a counting sort by minute: they arrive within a few days)
 * into `out`; CT_NOMEM without memory for the counts. */
static ct_status sort_by_arrival(const partial *in, size_t n, partial *out)
{
    int32_t lo = INT32_MAX, hi = INT32_MIN;
    for (size_t i = 0; i < n; i++) {
        lo = in[i].arr < lo ? in[i].arr : lo;
        hi = in[i].arr > hi ? in[i].arr : hi;
    }
    size_t span = n ? (size_t)((int64_t)hi - lo) + 2 : 1;
    uint32_t *at = ct_calloc(span, sizeof(uint32_t));
    if (at == NULL)
        return CT_NOMEM;
    for (size_t i = 0; i < n; i++)
        at[in[i].arr - lo + 1]++;
    for (size_t k = 1; k < span; k++)
        at[k] += at[k - 1];
    for (size_t i = 0; i < n; i++)
        out[at[in[i].arr - lo]++] = in[i];
    ct_free(at);
    return CT_OK;
}

/* Groups the partials by airport, each group by arrival (two counting sorts: by arrival,
 * then stably by airport), and builds each group's segment tree: for a group of n at offset
 * g, tree[2g + n + i] = g + i, and every inner node the cheaper of its two children. */
static ct_status group_partials(explore_state *s)
{
    size_t na = s->tt->nairports, n = s->parts.len;
    s->y_first = ct_calloc(na + 1, sizeof(uint32_t));
    s->by_y = ct_malloc((n ? n : 1) * sizeof(partial));
    s->tree = ct_malloc((n ? 2 * n : 1) * sizeof(uint32_t));
    partial *by_arr = ct_malloc((n ? n : 1) * sizeof(partial));
    if (s->y_first == NULL || s->by_y == NULL || s->tree == NULL || by_arr == NULL ||
        sort_by_arrival(s->parts.items, n, by_arr) != CT_OK) {
        ct_free(by_arr);
        return CT_NOMEM;
    }
    for (size_t i = 0; i < n; i++)
        s->y_first[by_arr[i].y + 1]++;
    for (size_t a = 0; a < na; a++)
        s->y_first[a + 1] += s->y_first[a];
    for (size_t i = 0; i < n; i++) /* y_first[y] walks to the group's end, then back */
        s->by_y[s->y_first[by_arr[i].y]++] = by_arr[i];
    ct_free(by_arr);
    for (size_t a = na; a > 0; a--)
        s->y_first[a] = s->y_first[a - 1];
    s->y_first[0] = 0;
    for (size_t a = 0; a < na; a++) {
        uint32_t g = s->y_first[a], m = s->y_first[a + 1] - g;
        if (m == 0)
            continue;
        uint32_t *t = s->tree + 2 * (size_t)g;
        for (uint32_t i = 0; i < m; i++)
            t[m + i] = g + i;
        for (uint32_t i = m - 1; i >= 1; i--)
            t[i] = cheaper(s, t[2 * i], t[2 * i + 1]);
    }
    return CT_OK;
}

/* The cheapest partial in by_y[lo..hi) of airport y's group (UINT32_MAX when empty). */
static uint32_t cheapest_in(const explore_state *s, uint16_t y, uint32_t lo, uint32_t hi)
{
    uint32_t g = s->y_first[y], m = s->y_first[y + 1] - g;
    const uint32_t *t = s->tree + 2 * (size_t)g;
    uint32_t best = UINT32_MAX;
    for (uint32_t l = lo - g + m, r = hi - g + m; l < r; l >>= 1, r >>= 1) {
        if (l & 1)
            best = cheaper(s, best, t[l++]);
        if (r & 1)
            best = cheaper(s, best, t[--r]);
    }
    return best;
}

/* Airport y's third legs: each with the window of partials it may follow; those whose best
 * can beat their destination's best so far become candidates. */
static ct_status third_legs_of(explore_state *s, uint16_t y)
{
    const ct_timetable *tt = s->tt;
    uint32_t g = s->y_first[y], end = s->y_first[y + 1];
    if (g == end)
        return CT_OK;
    const partial *p = s->by_y;
    if (CT_VEC_RESERVE(&s->window, end - g))
        return CT_NOMEM;
    uint32_t *dq = s->window.items, head = 0, tail = 0; /* positions, w rising */
    uint32_t lo = g, hi = g;
    int32_t last = p[end - 1].arr + CT_SEARCH_MAX_CONNECT;
    for (uint32_t i = ct_timetable_first_departure(tt, y, p[g].arr + CT_SEARCH_MCT_DOMESTIC);
         i < tt->first[y + 1] && tt->legs[i].dep <= last; i++) {
        const ct_leg *l3 = &tt->legs[i];
        while (hi < end && p[hi].arr + CT_SEARCH_MCT_DOMESTIC <= l3->dep) {
            while (tail > head && p[dq[tail - 1]].w >= p[hi].w)
                tail--;
            dq[tail++] = hi++;
        }
        while (lo < hi && p[lo].arr + CT_SEARCH_MAX_CONNECT < l3->dep)
            lo++;
        while (head < tail && dq[head] < lo)
            head++;
        if (head == tail || s->is_origin[l3->to] || !cabin_ok(s, l3))
            continue;
        double b3 = leg_bound(s, l3);
        double w = p[dq[head]].w + 0.85 * b3;
        if (b3 == INFINITY || loses(s, l3->to, w))
            continue;
        candidate c = {lower_bound(s, w), i, lo, hi, l3->to, y};
        if (CT_VEC_PUSH(&s->cands, c))
            return CT_NOMEM;
    }
    return CT_OK;
}

/* Pushes [lo, hi) with its cheapest onto the heap (by the partials' w, a binary heap). */
static ct_status heap_push(explore_state *s, uint16_t y, uint32_t lo, uint32_t hi)
{
    if (lo >= hi)
        return CT_OK;
    range r = {lo, hi, cheapest_in(s, y, lo, hi)};
    if (CT_VEC_PUSH(&s->heap, r))
        return CT_NOMEM;
    range *h = s->heap.items;
    for (size_t i = s->heap.len - 1; i > 0;) {
        size_t up = (i - 1) / 2;
        if (s->by_y[h[up].min].w <= s->by_y[h[i].min].w)
            break;
        range t = h[up];
        h[up] = h[i];
        h[i] = t;
        i = up;
    }
    return CT_OK;
}

static range heap_pop(explore_state *s)
{
    range *h = s->heap.items, top = h[0];
    h[0] = h[--s->heap.len];
    for (size_t i = 0;;) {
        size_t l = 2 * i + 1, r = l + 1, m = i;
        if (l < s->heap.len && s->by_y[h[l].min].w < s->by_y[h[m].min].w)
            m = l;
        if (r < s->heap.len && s->by_y[h[r].min].w < s->by_y[h[m].min].w)
            m = r;
        if (m == i)
            break;
        range t = h[m];
        h[m] = h[i];
        h[i] = t;
        i = m;
    }
    return top;
}

/* The providers that may sell the partial p completed by legs[2] (third: the providers
 * with an amount for it): those of p that have one; a combiner when some change is a
 * self-transfer (with the minutes), else an airline or agency. */
static uint16_t whole_sellers(const explore_state *s, const partial *p, uint16_t third,
                              const ct_leg *const *legs)
{
    uint16_t m = p->sellers & third;
    if (!coop(s, legs[1], legs[2]))
        return m & self_transfer_sellers(s, legs[2]->dep - legs[1]->arr);
    if (coop(s, legs[0], legs[1]))
        m &= (uint16_t)~s->combiners; /* one ticket: no combiner */
    return m;
}

/* The bound of l1, l2, l3 with every leg weighted by its own neighbours: the prefix's
 * weighted sum w (weighted_pair) corrected for a second leg alone on its ticket, plus the
 * third leg's amount (85 % when it may share the second's ticket). */
static double exact_weights(explore_state *s, const ct_leg *const *legs, double w, double b3)
{
    int c12 = coop(s, legs[0], legs[1]), c23 = coop(s, legs[1], legs[2]);
    if (!c12 && !c23)
        w += 0.15 * leg_bound(s, legs[1]);
    return w + (c23 ? 0.85 : 1) * b3;
}

/* A candidate's partials, cheapest first, each tested against the exact rules and priced,
 * until their bound loses to the destination's best. */
static ct_status try_candidate(explore_state *s, const candidate *c)
{
    const ct_timetable *tt = s->tt;
    const ct_leg *l3 = &tt->legs[c->l3];
    int32_t a3[CT_MAX_PROVIDERS];
    uint16_t third = leg_sellers(s, l3, a3);
    if (third == 0)
        return CT_OK; /* nobody has a price for it */
    double b3 = cheapest_amount(s, a3, third);
    s->heap.len = 0;
    ct_status rc = heap_push(s, c->y, c->lo, c->hi);
    while (!rc && s->heap.len > 0) {
        range r = heap_pop(s);
        const partial *p = &s->by_y[r.min];
        if (loses(s, c->z, p->w + 0.85 * b3))
            break; /* every partial left costs at least as much */
        const ct_leg *legs[3] = {&tt->legs[p->l1], &tt->legs[p->l2], l3};
        uint16_t m = 0;
        if (l3->to != legs[1]->from && l3->dep >= p->arr + ct_search_mct(tt, legs[1], l3) &&
            (m = whole_sellers(s, p, third, legs)) != 0 &&
            !loses(s, c->z,
                   exact_weights(s, legs, p->w, cheapest_amount(s, a3, m)) + fee_over(s, m) -
                       fee_over(s, p->sellers)))
            offer(s, legs, 3);
        rc = heap_push(s, c->y, r.lo, r.min);
        if (!rc)
            rc = heap_push(s, c->y, r.min + 1, r.hi);
    }
    return rc;
}

static int by_bound(const void *x, const void *y)
{
    const candidate *a = x, *b = y;
    return (a->lb > b->lb) - (a->lb < b->lb);
}

/* Orders the candidates by destination (a counting sort), each destination's by bound. */
static ct_status sort_candidates(explore_state *s)
{
    size_t na = s->tt->nairports, n = s->cands.len;
    uint32_t *at = ct_calloc(na + 1, sizeof(uint32_t));
    candidate *out = ct_malloc((n ? n : 1) * sizeof(candidate));
    if (at == NULL || out == NULL) {
        ct_free(at);
        ct_free(out);
        return CT_NOMEM;
    }
    for (size_t i = 0; i < n; i++)
        at[s->cands.items[i].z + 1]++;
    for (size_t a = 0; a < na; a++)
        at[a + 1] += at[a];
    for (size_t i = 0; i < n; i++)
        out[at[s->cands.items[i].z]++] = s->cands.items[i];
    for (size_t a = 0, g = 0; a < na; g = at[a], a++) { /* at[a]: the end of a's run */
        if (at[a] - g > 1)
            qsort(out + g, at[a] - g, sizeof(candidate), by_bound);
    }
    ct_free(at);
    ct_free(s->cands.items);
    s->cands.items = out;
    s->cands.cap = n ? n : 1;
    return CT_OK;
}

/* The two-stop itineraries, from the partials found. */
static ct_status two_stops(explore_state *s)
{
    ct_status rc = group_partials(s);
    for (size_t y = 0; !rc && y < s->tt->nairports; y++)
        rc = third_legs_of(s, (uint16_t)y);
    if (rc)
        return rc;
    rc = sort_candidates(s);
    for (size_t i = 0; !rc && i < s->cands.len; i++) {
        const candidate *c = &s->cands.items[i];
        int64_t best = s->best[c->z].price;
        if (best == CT_PRICE_UNKNOWN || c->lb <= (double)best)
            rc = try_candidate(s, c);
    }
    return rc;
}

static void state_free(explore_state *s)
{
    ct_free(s->best);
    ct_free(s->is_origin);
    ct_free(s->sold_by);
    ct_free(s->by_y);
    ct_free(s->y_first);
    ct_free(s->tree);
    CT_VEC_FREE(&s->parts);
    CT_VEC_FREE(&s->window);
    CT_VEC_FREE(&s->cands);
    CT_VEC_FREE(&s->heap);
    ct_bound_cache_free(&s->cache);
}

/* One explore; table: leg bounds from the pricebook's table. */
static ct_status explore_once(const ct_timetable *tt, const ct_search_query *q, int table,
                              ct_explore_hit **hits, size_t *nhits)
{
    explore_state s = {.tt = tt, .q = q, .pc = q->price};
    ct_status rc = CT_NOMEM;
    /* Floors: one minor unit per ticket and passenger type; conversion: half (as search.c). */
    s.slack = (double)(int64_t)(s.pc->payers * (CT_SEARCH_MAX_LEGS + 2) * (s.pc->max_conv + 1)) + 2;
    if (table)
        s.bound_table = s.pc->view->leg_bound[s.pc->cabin];
    s.best = ct_malloc(tt->nairports * sizeof(ct_itinerary));
    s.is_origin = ct_calloc(tt->nairports ? tt->nairports : 1, 1);
    if (s.best == NULL || s.is_origin == NULL || sellers_init(&s) != CT_OK)
        goto cleanup;
    for (size_t a = 0; a < tt->nairports; a++)
        s.best[a].price = CT_PRICE_UNKNOWN;
    for (int i = 0; i < q->norigins; i++)
        s.is_origin[q->origins[i]] = 1;
    /* Local date D spans UTC D-14h .. D+1+12h at the extremes of the world's offsets. */
    int32_t from = (int32_t)(q->date * 1440 - 14 * 60),
            to = (int32_t)((q->date + 1) * 1440 + 12 * 60);
    rc = CT_OK;
    for (int o = 0; !rc && o < q->norigins; o++) {
        uint16_t a = q->origins[o];
        for (uint32_t i = ct_timetable_first_departure(tt, a, from);
             !rc && i < tt->first[a + 1] && tt->legs[i].dep < to; i++) {
            if (tt->legs[i].local_date == q->date)
                rc = explore_from(&s, &tt->legs[i]);
        }
    }
    if (!rc && q->max_stops >= 2)
        rc = two_stops(&s);
    if (rc)
        goto cleanup;
    rc = CT_NOMEM;
    size_t n = 0;
    for (size_t a = 0; a < tt->nairports; a++)
        n += s.best[a].price != CT_PRICE_UNKNOWN;
    *hits = ct_malloc((n ? n : 1) * sizeof(ct_explore_hit));
    if (*hits == NULL)
        goto cleanup;
    for (size_t a = 0; a < tt->nairports; a++) {
        if (s.best[a].price != CT_PRICE_UNKNOWN) {
            (*hits)[*nhits].airport = (uint16_t)a;
            (*hits)[*nhits].best = s.best[a];
            (*nhits)++;
        }
    }
    rc = CT_OK;
cleanup:
    state_free(&s);
    return rc;
}

ct_status ct_explore(const ct_timetable *tt, const ct_search_query *q, ct_explore_hit **hits,
                     size_t *nhits)
{
    *hits = NULL;
    *nhits = 0;
    const ct_price_ctx *pc = q->price;
    if (pc == NULL || pc->view == NULL || q->norigins < 1 || q->max_stops < 0 || q->max_stops > 2)
        return CT_INVALID;
    for (int i = 0; i < q->norigins; i++) {
        if (q->origins[i] >= tt->nairports)
            return CT_INVALID;
    }
    uint64_t token = 0;
    if (pc->leg_bounds && !pc->no_leg_bounds && pc->only_provider < 0 && pc->only_group == 0)
        token = ct_pb_bounds_begin(pc->view);
    if (token != 0) {
        ct_status rc = explore_once(tt, q, 1, hits, nhits);
        if (rc || ct_pb_bounds_check(pc->view, token))
            return rc;
        ct_free(*hits); /* a writer changed prices meanwhile */
        *hits = NULL;
        *nhits = 0;
    }
    return explore_once(tt, q, 0, hits, nhits);
}
