/* search.c: the one-way engine (see search.h for the semantics and the algorithm). */
#include "search/search.h"

#include <stdlib.h>
#include <string.h>

#include "base/alloc.h"
#include "base/vec.h"

typedef CT_VEC(ct_itinerary) itin_vec;
typedef CT_VEC(const ct_leg *) leg_ptr_vec;

/* Legs from one airport into one destination airport departing in the query's window:
 * by_arr[lo..hi), sorted by departure; `next` chains the ranges of one airport. */
typedef struct into_range {
    uint32_t lo, hi;
    int32_t next;
} into_range;

typedef struct search_state {
    const ct_timetable *tt;
    const ct_search_query *q;
    uint8_t *is_dest;
    int32_t *into_head; /* per airport: first into_range, or -1 (no leg into a destination) */
    CT_VEC(into_range) into;
    int32_t best[CT_SEARCH_MAX_LEGS]; /* earliest arrival with at most s stops */
    itin_vec found;
} search_state;

int ct_search_mct(const ct_timetable *tt, const ct_leg *in, const ct_leg *out)
{
    uint16_t c = tt->country[in->to];
    return tt->country[in->from] == c && tt->country[out->to] == c ? CT_SEARCH_MCT_DOMESTIC
                                                                   : CT_SEARCH_MCT_INTL;
}

int ct_itinerary_dominates(const ct_itinerary *a, const ct_itinerary *b)
{
    if (a->dep < b->dep || a->arr > b->arr || a->nlegs > b->nlegs)
        return 0;
    return a->dep > b->dep || a->arr < b->arr || a->nlegs < b->nlegs;
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

/* First index in airport a's slice departing at or after t. */
static uint32_t lower_bound_dep(const ct_timetable *tt, uint16_t a, int32_t t)
{
    uint32_t lo = tt->first[a], hi = tt->first[a + 1];
    while (lo < hi) {
        uint32_t mid = lo + (hi - lo) / 2;
        if (tt->legs[mid].dep < t)
            lo = mid + 1;
        else
            hi = mid;
    }
    return lo;
}

static ct_status keep(search_state *s, const ct_leg *const *legs, int n)
{
    ct_itinerary it = {n, {NULL, NULL, NULL}, legs[0]->dep, legs[n - 1]->arr};
    for (int i = 0; i < n; i++)
        it.legs[i] = legs[i];
    for (int k = n - 1; k < CT_SEARCH_MAX_LEGS; k++) {
        if (it.arr < s->best[k])
            s->best[k] = it.arr;
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

/* Two-stop completions: legs from Y = l2->to into a destination, through the index. */
static ct_status third_legs(search_state *s, const ct_leg *l1, const ct_leg *l2)
{
    const ct_timetable *tt = s->tt;
    for (int32_t r = s->into_head[l2->to]; r >= 0; r = s->into.items[r].next) {
        const into_range *range = &s->into.items[r];
        uint32_t i = lower_bound_arr(tt, range->lo, range->hi, l2->arr + CT_SEARCH_MCT_DOMESTIC);
        for (; i < range->hi; i++) {
            const ct_leg *l3 = &tt->legs[tt->by_arr[i]];
            if (l3->dep > l2->arr + CT_SEARCH_MAX_CONNECT)
                break;
            if (l3->to == l1->from || l3->arr > s->best[2] ||
                l3->dep < l2->arr + ct_search_mct(tt, l2, l3))
                continue;
            const ct_leg *legs[3] = {l1, l2, l3};
            ct_status rc = keep(s, legs, 3);
            if (rc)
                return rc;
        }
    }
    return CT_OK;
}

/* One- and two-stop itineraries starting with l1. */
static ct_status connections(search_state *s, const ct_leg *l1)
{
    const ct_timetable *tt = s->tt;
    uint16_t x = l1->to;
    if (s->is_dest[x])
        return CT_OK; /* continuing past a destination is always dominated */
    uint32_t end = tt->first[x + 1];
    for (uint32_t i = lower_bound_dep(tt, x, l1->arr + CT_SEARCH_MCT_DOMESTIC); i < end; i++) {
        const ct_leg *l2 = &tt->legs[i];
        if (l2->dep > l1->arr + CT_SEARCH_MAX_CONNECT)
            break;
        if (l2->to == l1->from || l2->dep < l1->arr + ct_search_mct(tt, l1, l2))
            continue;
        ct_status rc = CT_OK;
        if (s->is_dest[l2->to]) {
            if (l2->arr <= s->best[1]) {
                const ct_leg *legs[2] = {l1, l2};
                rc = keep(s, legs, 2);
            }
        } else if (s->q->max_stops >= 2 && l2->arr < s->best[2] && s->into_head[l2->to] >= 0) {
            rc = third_legs(s, l1, l2);
        }
        if (rc)
            return rc;
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
        for (uint32_t i = lower_bound_dep(tt, a, from); i < end && tt->legs[i].dep < to; i++) {
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

ct_status ct_search_oneway(const ct_timetable *tt, const ct_search_query *q, ct_search_result *out)
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
    search_state s = {tt, q, NULL, NULL, {0}, {INT32_MAX, INT32_MAX, INT32_MAX}, {0}};
    leg_ptr_vec l1s = {0};
    ct_status rc = CT_NOMEM;
    s.is_dest = ct_calloc(tt->nairports, 1);
    s.into_head = ct_malloc(tt->nairports * sizeof(int32_t));
    if (s.is_dest == NULL || s.into_head == NULL)
        goto cleanup;
    for (int i = 0; i < q->ndests; i++)
        s.is_dest[q->dests[i]] = 1;
    memset(s.into_head, 0xff, tt->nairports * sizeof(int32_t)); /* -1: none */
    if (q->max_stops >= 2 && build_into(&s) != CT_OK)
        goto cleanup;
    rc = first_legs(&s, &l1s);
    for (size_t i = 0; !rc && i < l1s.len; i++) {
        const ct_leg *l1 = l1s.items[i];
        if (s.is_dest[l1->to]) {
            if (l1->arr <= s.best[0])
                rc = keep(&s, &l1, 1);
        } else if (q->max_stops >= 1 && l1->arr < s.best[1]) {
            rc = connections(&s, l1);
        }
    }
    if (!rc) {
        out->candidates = s.found.len;
        pareto_filter(&s.found);
        out->items = s.found.items;
        out->n = s.found.len;
        s.found.items = NULL;
    }
cleanup:
    CT_VEC_FREE(&s.found);
    CT_VEC_FREE(&s.into);
    CT_VEC_FREE(&l1s);
    ct_free(s.into_head);
    ct_free(s.is_dest);
    return rc;
}

void ct_search_result_free(ct_search_result *r)
{
    ct_free(r->items);
    memset(r, 0, sizeof(*r));
}
