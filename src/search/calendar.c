/* calendar.c: price calendars, date grids and explore (see calendar.h). */
#include "search/calendar.h"

#include <math.h>
#include <string.h>

#include "base/alloc.h"
#include "search/search_internal.h"

ct_status ct_calendar(const ct_timetable *tt, const ct_search_query *q, int ndays,
                      ct_day_price *out)
{
    if (q->price == NULL || ndays < 1)
        return CT_INVALID;
    for (int d = 0; d < ndays; d++) {
        ct_search_query day = *q;
        day.date = q->date + d;
        memset(&out[d], 0, sizeof(out[d]));
        if (day.date < tt->from_day || day.date > tt->to_day)
            continue;
        ct_status rc = ct_search_cheapest(tt, &day, &out[d].best, &out[d].found);
        if (rc)
            return rc;
    }
    return CT_OK;
}

ct_status ct_date_grid(const ct_timetable *tt, const ct_search_query *out,
                       const ct_search_query *ret, ct_grid_cell cells[49])
{
    ct_search_result a[7], b[7];
    memset(a, 0, sizeof(a));
    memset(b, 0, sizeof(b));
    memset(cells, 0, 49 * sizeof(ct_grid_cell));
    ct_status rc = CT_OK;
    for (int k = 0; k < 7 && !rc; k++) {
        ct_search_query qa = *out, qb = *ret;
        qa.date = out->date - 3 + k;
        qb.date = ret->date - 3 + k;
        if (qa.date >= tt->from_day && qa.date <= tt->to_day)
            rc = ct_search_oneway(tt, &qa, &a[k]);
        if (!rc && qb.date >= tt->from_day && qb.date <= tt->to_day)
            rc = ct_search_oneway(tt, &qb, &b[k]);
    }
    for (int d = 0; d < 7 && !rc; d++) {
        for (int r = 0; r < 7; r++) {
            if (ret->date - 3 + r < out->date - 3 + d)
                continue;
            cells[d * 7 + r].found =
                ct_trip_cheapest_pair(&a[d], &b[r], out->price, &cells[d * 7 + r].best);
        }
    }
    for (int k = 0; k < 7; k++) {
        ct_search_result_free(&a[k]);
        ct_search_result_free(&b[k]);
    }
    return rc;
}

/* ---- explore ---- */

typedef struct explore_state {
    const ct_timetable *tt;
    const ct_search_query *q;
    const ct_price_ctx *pc;
    ct_itinerary *best; /* per airport; price CT_PRICE_UNKNOWN = none */
    uint8_t *is_origin;
    ct_bound_cache cache;
    int64_t slack;
} explore_state;

static void offer(explore_state *s, const ct_leg *const *legs, int n)
{
    uint16_t to = legs[n - 1]->to;
    for (int i = 0; i < n; i++) {
        if (s->pc->cabin == CT_CABIN_BUSINESS ? legs[i]->seats_j == 0 : legs[i]->seats_y == 0)
            return;
    }
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

static void explore_from(explore_state *s, const ct_leg *l1)
{
    const ct_timetable *tt = s->tt;
    double b1 = ct_bound_cached(&s->cache, s->pc, tt, l1);
    if (b1 == INFINITY)
        return;
    if (!s->is_origin[l1->to])
        offer(s, &l1, 1);
    if (s->q->max_stops < 1)
        return;
    uint16_t x = l1->to;
    for (uint32_t i = ct_timetable_first_departure(tt, x, l1->arr + CT_SEARCH_MCT_DOMESTIC);
         i < tt->first[x + 1]; i++) {
        const ct_leg *l2 = &tt->legs[i];
        if (l2->dep > l1->arr + CT_SEARCH_MAX_CONNECT)
            break;
        if (s->is_origin[l2->to] || l2->dep < l1->arr + ct_search_mct(tt, l1, l2))
            continue;
        int64_t best = s->best[l2->to].price;
        if (best != CT_PRICE_UNKNOWN) {
            double b2 = ct_bound_cached(&s->cache, s->pc, tt, l2);
            double lb =
                s->pc->payers * ((b1 + b2) * 0.85 + (double)s->pc->min_fee) - (double)s->slack;
            if (lb > (double)best)
                continue;
        }
        const ct_leg *legs[2] = {l1, l2};
        offer(s, legs, 2);
    }
}

ct_status ct_explore(const ct_timetable *tt, const ct_search_query *q, ct_explore_hit **hits,
                     size_t *nhits)
{
    *hits = NULL;
    *nhits = 0;
    if (q->price == NULL || q->price->view == NULL || q->norigins < 1)
        return CT_INVALID;
    explore_state s = {tt, q, q->price, NULL, NULL, {0}, 0};
    ct_status rc = CT_NOMEM;
    s.slack = (int64_t)(s.pc->payers * 3 * (s.pc->max_conv + 1)) + 2;
    s.best = ct_malloc(tt->nairports * sizeof(ct_itinerary));
    s.is_origin = ct_calloc(tt->nairports ? tt->nairports : 1, 1);
    if (s.best == NULL || s.is_origin == NULL)
        goto cleanup;
    for (size_t a = 0; a < tt->nairports; a++)
        s.best[a].price = CT_PRICE_UNKNOWN;
    for (int i = 0; i < q->norigins; i++)
        s.is_origin[q->origins[i]] = 1;
    int32_t from = (int32_t)(q->date * 1440 - 14 * 60),
            to = (int32_t)((q->date + 1) * 1440 + 12 * 60);
    for (int o = 0; o < q->norigins; o++) {
        uint16_t a = q->origins[o];
        for (uint32_t i = tt->first[a]; i < tt->first[a + 1] && tt->legs[i].dep < to; i++) {
            if (tt->legs[i].dep >= from && tt->legs[i].local_date == q->date)
                explore_from(&s, &tt->legs[i]);
        }
    }
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
    ct_free(s.best);
    ct_free(s.is_origin);
    ct_bound_cache_free(&s.cache);
    return rc;
}
