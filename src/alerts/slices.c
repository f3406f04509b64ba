/* slices.c: the one-way slices' cheapest prices and one-way sets, kept between batches and
 * followed incrementally (alerts.h).
 *
 * A slice is (origin place, destination place, local date, cabin, passengers, currency):
 * what a one-way alert's date is priced by. Its record keeps the cheapest price and the
 * dated legs of the itinerary that carried it. A record is valid while every change since
 * its last full search was seen:
 *   - a drop on leg L can only lower the itineraries through L, so the new cheapest is the
 *     lower of the record's and the cheapest through L (ct_search_cheapest_via, bounded by
 *     the record's price: typically a few dozen candidates instead of a whole search);
 *   - a rise on L can only raise the itineraries through L: when L carries the record's
 *     cheapest, the record becomes invalid (re-searched in full when next needed: the
 *     deferred full re-search), else nothing changes.
 * A set record (a round trip's half) keeps the slice's non-dominated one-way set instead
 * (ct_search_oneway). After a drop on L only the itineraries through L changed (cheaper);
 * one not through L that something dominated is still dominated (by the same itinerary,
 * cheaper now if it flies L), so the new set is the non-dominated ones of the old members
 * not through L and every itinerary through L (ct_search_oneway_via), ties kept, as the
 * search keeps them. A rise on a leg of any member voids it.
 * Drops are noted while the batch collects (ct__slices_note_drop: pending on the record, at
 * most SLICE_PENDING per batch, more invalidate it) and applied when the slice is priced or
 * at the end of the batch, so a record follows every drop its alerts' index keys see, also
 * for alerts the price bound pruned. A leg in the middle of a two-stop itinerary A -> B
 * reaches no alert's index key: the engine finds the first legs that can precede it (into A,
 * within the connection window) and hands each one's (origin airport, date) here
 * (ct__slices_middle): the records of that origin and date (an index by origin airport and
 * date) whose destination has a leg from B are re-priced through the leg at once, and the
 * engine re-checks the alerts of those whose price fell. What no event reports (a price first
 * seen, an exchange rate) is bounded by a time to live: older records are re-searched in
 * full. Rises find their records through an index by leg
 * (entries are added when a record's cheapest changes and checked when a rise comes, so old
 * ones are harmless). Owned by the worker thread; no locking. When the table reaches
 * SLICE_CAP records it is emptied (every slice then searched in full once more). */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "alerts/alerts_internal.h"
#include "base/alloc.h"

#define SLICE_PENDING 4
#define SLICE_CAP     (1u << 22)

typedef struct slice {
    char from[4], to[4], currency[4];
    int32_t day;
    uint8_t cabin, passengers, valid, nlegs, npend;
    uint8_t untracked; /* not in the origin index (no memory): never trusted */
    uint8_t set;       /* a set record */
    uint32_t legs[CT_SEARCH_MAX_LEGS];
    uint32_t pend[SLICE_PENDING];
    uint64_t batch; /* the batch its pending drops belong to */
    int64_t price;  /* ALERT_NONE: nothing priced */
    int64_t searched_ms;
    ct_search_result items; /* set records: the one-way set */
} slice;

struct ct__slices {
    ct_map *ids; /* key -> id + 1 */
    slice *v;
    size_t n, cap;
    ct__index *by_leg;    /* (leg, cabin) -> ids whose cheapest flew it when set */
    ct__index *by_origin; /* (origin airport, day) -> ids */
    uint32_t *touched;    /* ids with pending drops this batch */
    size_t ntouched, touched_cap;
    uint64_t batch;
};

ct__slices *ct__slices_new(void)
{
    ct__slices *s = ct_calloc(1, sizeof(*s));
    if (s == NULL)
        return NULL;
    s->ids = ct_map_create();
    s->by_leg = ct__index_new();
    s->by_origin = ct__index_new();
    if (s->ids == NULL || s->by_leg == NULL || s->by_origin == NULL) {
        ct__slices_free(s);
        return NULL;
    }
    return s;
}

void ct__slices_free(ct__slices *s)
{
    if (s == NULL)
        return;
    ct_map_destroy(s->ids);
    ct__index_free(s->by_leg);
    ct__index_free(s->by_origin);
    for (size_t i = 0; i < s->n; i++)
        ct_search_result_free(&s->v[i].items);
    ct_free(s->v);
    ct_free(s->touched);
    ct_free(s);
}

size_t ct__slices_count(const ct__slices *s)
{
    return s->n;
}

/* The map key of a slice: kind, codes, day, cabin, passengers and currency, built without
 * printf (one per matched alert and day in a batch). */
static void slice_key(const char *from, const char *to, int32_t day, const ct__alert *al, int set,
                      char out[64])
{
    static const char hex[] = "0123456789abcdef";
    size_t n = 0;
    out[n++] = set ? 'S' : 'C';
    for (const char *p = from; *p != '\0' && n < 5; p++)
        out[n++] = *p;
    out[n++] = '-';
    for (const char *p = to; *p != '\0' && n < 10; p++)
        out[n++] = *p;
    uint32_t d = (uint32_t)day;
    for (int i = 7; i >= 0; i--)
        out[n++] = hex[d >> (i * 4) & 15];
    out[n++] = hex[al->cabin & 15];
    out[n++] = hex[al->passengers >> 4 & 15];
    out[n++] = hex[al->passengers & 15];
    for (int i = 0; i < 3 && al->currency[i] != '\0'; i++)
        out[n++] = al->currency[i];
    out[n] = '\0';
}

static uint64_t leg_key(uint32_t leg, int cabin)
{
    return 1ull << 63 | (uint64_t)leg << 1 | (uint64_t)(cabin & 1);
}

static uint64_t origin_key(uint16_t airport, int32_t day)
{
    return 1ull << 63 | (uint64_t)airport << 32 | (uint32_t)day;
}

/* Empties the table (at SLICE_CAP). */
static void reset(ct__slices *s)
{
    ct_map *ids = ct_map_create();
    ct__index *ix = ct__index_new(), *io = ct__index_new();
    if (ids == NULL || ix == NULL || io == NULL) {
        ct_map_destroy(ids);
        ct__index_free(ix);
        ct__index_free(io);
        return;
    }
    ct_map_destroy(s->ids);
    ct__index_free(s->by_leg);
    ct__index_free(s->by_origin);
    s->ids = ids;
    s->by_leg = ix;
    s->by_origin = io;
    for (size_t i = 0; i < s->n; i++)
        ct_search_result_free(&s->v[i].items);
    s->n = 0;
}

void ct__slices_begin(ct__slices *s)
{
    s->batch++;
    s->ntouched = 0;
    if (s->n >= SLICE_CAP)
        reset(s);
}

/* The record of slice from -> to on `day` with al's cabin, passengers and currency (a set
 * record when set); created (invalid, indexed by its origin airports) when tt is not NULL,
 * else NULL when absent. */
static slice *find(ct__slices *s, const ct__alert *al, const char *from, const char *to,
                   int32_t day, int set, const ct_timetable *tt)
{
    char key[64];
    slice_key(from, to, day, al, set, key);
    uintptr_t v = (uintptr_t)ct_map_get(s->ids, key);
    if (v != 0)
        return &s->v[v - 1];
    if (tt == NULL)
        return NULL;
    if (s->n == s->cap) {
        size_t ncap = s->cap ? s->cap * 2 : 4096;
        slice *nv = ct_realloc(s->v, ncap * sizeof(*nv));
        if (nv == NULL)
            return NULL;
        s->v = nv;
        s->cap = ncap;
    }
    if (ct_map_put(s->ids, key, (void *)(uintptr_t)(s->n + 1)) != CT_OK)
        return NULL;
    slice *r = &s->v[s->n++];
    memset(r, 0, sizeof(*r));
    memcpy(r->from, from, 4);
    memcpy(r->to, to, 4);
    r->set = (uint8_t)set;
    memcpy(r->currency, al->currency, 4);
    r->day = day;
    r->cabin = al->cabin;
    r->passengers = al->passengers;
    r->price = ALERT_NONE;
    uint16_t o[CT__MAX_PLACES];
    int no = ct__alerts_resolve_place(tt, r->from, o);
    for (int i = 0; i < no; i++) {
        if (ct__index_add(s->by_origin, origin_key(o[i], day), (uint32_t)(r - s->v)))
            r->untracked = 1; /* a middle leg could miss it */
    }
    return r;
}

void ct__slices_note_drop(ct__slices *s, const ct__alert *al, const char *from, const char *to,
                          int32_t day, int set, uint32_t leg)
{
    slice *r = find(s, al, from, to, day, set, NULL);
    if (r == NULL || !r->valid)
        return; /* searched in full when needed */
    if (r->batch != s->batch) {
        r->batch = s->batch;
        r->npend = 0;
    }
    for (int i = 0; i < r->npend; i++) {
        if (r->pend[i] == leg)
            return;
    }
    if (r->npend == SLICE_PENDING) {
        r->valid = 0; /* too many at once: one full search is cheaper */
        return;
    }
    if (r->npend == 0) {
        if (s->ntouched == s->touched_cap) {
            size_t ncap = s->touched_cap ? s->touched_cap * 2 : 1024;
            uint32_t *nt = ct_realloc(s->touched, ncap * sizeof(uint32_t));
            if (nt == NULL) {
                r->valid = 0;
                return;
            }
            s->touched = nt;
            s->touched_cap = ncap;
        }
        s->touched[s->ntouched++] = (uint32_t)(r - s->v);
    }
    r->pend[r->npend++] = leg;
}

void ct__slices_note_rise(ct__slices *s, const ct_timetable *tt, uint32_t leg, int cabin)
{
    uint64_t key = leg_key(leg, cabin);
    size_t n;
    const uint32_t *ids;
    while ((ids = ct__index_get(s->by_leg, key, &n)) != NULL && n > 0) {
        uint32_t id = ids[n - 1];
        ct__index_remove(s->by_leg, key, id);
        slice *r = id < s->n ? &s->v[id] : NULL;
        if (r == NULL || !r->valid || r->cabin != (cabin & 1))
            continue;
        for (int i = 0; !r->set && i < r->nlegs; i++) {
            if (r->legs[i] == leg)
                r->valid = 0;
        }
        for (size_t i = 0; r->set && r->valid && i < r->items.n; i++) {
            for (int k = 0; k < r->items.items[i].nlegs; k++) {
                if (r->items.items[i].legs[k] == &tt->legs[leg])
                    r->valid = 0;
            }
        }
    }
}

/* A new cheapest for r: its legs indexed for the rises. */
static void set_best(ct__slices *s, slice *r, const ct_timetable *tt, const ct_itinerary *it)
{
    uint32_t old[CT_SEARCH_MAX_LEGS];
    int nold = r->nlegs;
    memcpy(old, r->legs, sizeof(old));
    r->price = it->price;
    r->nlegs = (uint8_t)it->nlegs;
    for (int i = 0; i < it->nlegs; i++) {
        r->legs[i] = (uint32_t)(it->legs[i] - tt->legs);
        int indexed = 0;
        for (int k = 0; k < nold; k++)
            indexed |= old[k] == r->legs[i];
        if (!indexed &&
            ct__index_add(s->by_leg, leg_key(r->legs[i], r->cabin), (uint32_t)(r - s->v)))
            r->valid = 0; /* a rise could not find it */
    }
}

static int query_of(const ct__slice_env *env, const slice *r, uint16_t *o, uint16_t *d,
                    ct_search_query *q)
{
    const ct_timetable *tt = env->tt;
    int no = ct__alerts_resolve_place(tt, r->from, o), nd = ct__alerts_resolve_place(tt, r->to, d);
    const ct_price_ctx *pc = env->pc_for(env->ctx, r->cabin, r->passengers, r->currency);
    if (no == 0 || nd == 0 || pc == NULL || r->day < tt->from_day || r->day > tt->to_day)
        return 0;
    *q = (ct_search_query){o, no, d, nd, r->day, 2, pc};
    return 1;
}

/* Every leg of the set's members in the rise index (duplicates are harmless). */
static void index_set(ct__slices *s, slice *r, const ct_timetable *tt, size_t from)
{
    for (size_t i = from; i < r->items.n; i++) {
        const ct_itinerary *it = &r->items.items[i];
        for (int k = 0; k < it->nlegs; k++) {
            uint32_t leg = (uint32_t)(it->legs[k] - tt->legs);
            if (ct__index_add(s->by_leg, leg_key(leg, r->cabin), (uint32_t)(r - s->v)))
                r->valid = 0;
        }
    }
}

static int flies(const ct_itinerary *it, const ct_leg *l)
{
    for (int k = 0; k < it->nlegs; k++) {
        if (it->legs[k] == l)
            return 1;
    }
    return 0;
}

static int by_time(const void *x, const void *y)
{
    const ct_itinerary *a = x, *b = y;
    if (a->dep != b->dep)
        return a->dep < b->dep ? -1 : 1;
    if (a->arr != b->arr)
        return a->arr < b->arr ? -1 : 1;
    if (a->nlegs != b->nlegs)
        return a->nlegs < b->nlegs ? -1 : 1;
    if (a->price != b->price)
        return a->price < b->price ? -1 : 1;
    for (int k = 0; k < a->nlegs; k++) {
        if (a->legs[k] != b->legs[k])
            return a->legs[k] < b->legs[k] ? -1 : 1;
    }
    return 0;
}

/* A drop on leg `leg` applied to a set record: its members not through the leg and every
 * itinerary through it, the dominated ones removed. 1 when an itinerary through the leg is
 * in the new set (an alert may have a new low), 0 when not, -1 on failure (r voided). */
static int apply_set(ct__slices *s, const ct__slice_env *env, slice *r, const ct_search_query *q,
                     uint32_t leg)
{
    const ct_leg *l = &env->tt->legs[leg];
    ct_search_result via;
    (*env->restricted)++;
    if (ct_search_oneway_via(env->tt, q, leg, &via) != CT_OK) {
        r->valid = 0;
        return -1;
    }
    size_t n = 0, cap = r->items.n + via.n;
    ct_itinerary *all = ct_malloc((cap ? cap : 1) * sizeof(*all));
    if (all == NULL) {
        ct_search_result_free(&via);
        r->valid = 0;
        return -1;
    }
    for (size_t i = 0; i < r->items.n; i++) {
        if (!flies(&r->items.items[i], l))
            all[n++] = r->items.items[i];
    }
    size_t kept_old = n;
    for (size_t i = 0; i < via.n; i++)
        all[n++] = via.items[i];
    ct_search_result_free(&via);
    uint8_t *out = ct_calloc(n ? n : 1, 1);
    if (out == NULL) {
        ct_free(all);
        r->valid = 0;
        return -1;
    }
    /* the old members did not dominate each other: only pairs with a new one to test */
    for (size_t i = kept_old; i < n; i++) {
        for (size_t j = 0; j < n; j++) {
            if (j == i || out[j])
                continue;
            if (!out[i] && ct_itinerary_dominates(&all[j], &all[i]))
                out[i] = 1;
            else if (ct_itinerary_dominates(&all[i], &all[j]))
                out[j] = 1;
        }
    }
    size_t m = 0, fresh = 0;
    for (size_t i = 0; i < n; i++) {
        if (out[i])
            continue;
        fresh += i >= kept_old;
        all[m++] = all[i];
    }
    ct_free(out);
    /* the new members last, so that only they are indexed for the rises */
    size_t old_n = m - fresh;
    ct_free(r->items.items);
    r->items.items = all;
    r->items.n = m;
    index_set(s, r, env->tt, old_n);
    qsort(all, m, sizeof(*all), by_time);
    return fresh > 0;
}

/* Applies r's pending drops (restricted searches). 1 when r may have a new low. */
static int apply(ct__slices *s, const ct__slice_env *env, slice *r)
{
    if (r->batch != s->batch || r->npend == 0)
        return 0;
    int n = r->npend, lower = 0;
    r->npend = 0;
    if (!r->valid)
        return 0;
    uint16_t o[CT__MAX_PLACES], d[CT__MAX_PLACES];
    ct_search_query q;
    if (!query_of(env, r, o, d, &q)) {
        r->valid = 0;
        return 0;
    }
    for (int i = 0; i < n && r->valid; i++) {
        if (r->set) {
            lower |= apply_set(s, env, r, &q, r->pend[i]) > 0;
            continue;
        }
        ct_itinerary it;
        int found = 0;
        (*env->restricted)++;
        if (ct_search_cheapest_via(env->tt, &q, r->pend[i],
                                   r->price == ALERT_NONE ? INT64_MAX : r->price, &it,
                                   &found) != CT_OK) {
            r->valid = 0;
            return 0;
        }
        if (found)
            set_best(s, r, env->tt, &it);
        lower |= found;
    }
    return lower;
}

/* r ready for use: pending drops applied, or searched in full when missing, void or older
 * than the time to live. 0 when it cannot be priced (no rate, outside the timetable). */
static int ready(ct__slices *s, const ct__slice_env *env, slice *r)
{
    apply(s, env, r);
    if (r->valid && !r->untracked && env->now_ms - r->searched_ms <= env->ttl_ms)
        return 1;
    uint16_t o[CT__MAX_PLACES], d[CT__MAX_PLACES];
    ct_search_query q;
    r->valid = 0;
    r->price = ALERT_NONE;
    r->nlegs = 0;
    ct_search_result_free(&r->items);
    if (!query_of(env, r, o, d, &q))
        return 0;
    (*env->searches)++;
    if (r->set) {
        if (ct_search_oneway(env->tt, &q, &r->items) != CT_OK)
            return 0;
        r->valid = 1;
        r->searched_ms = env->now_ms;
        index_set(s, r, env->tt, 0);
        return 1;
    }
    ct_itinerary it;
    int found = 0;
    if (ct_search_cheapest(env->tt, &q, &it, &found) != CT_OK)
        return 0;
    r->valid = 1;
    r->searched_ms = env->now_ms;
    if (found && it.price != CT_PRICE_UNKNOWN)
        set_best(s, r, env->tt, &it);
    return 1; /* right now even when set_best could not keep it valid */
}

int64_t ct__slices_price(ct__slices *s, const ct__slice_env *env, const ct__alert *al, int32_t day)
{
    slice *r = find(s, al, al->origin, al->destination, day, 0, env->tt);
    return r != NULL && ready(s, env, r) ? r->price : ALERT_NONE;
}

int ct__slices_set(ct__slices *s, const ct__slice_env *env, const ct__alert *al, const char *from,
                   const char *to, int32_t day, ct_search_result *out)
{
    slice *r = find(s, al, from, to, day, 1, env->tt);
    if (r == NULL || !ready(s, env, r))
        return 0;
    *out = r->items;
    return 1;
}

/* 1 when no itinerary with leg m in the middle can cost less than r's kept cheapest: the
 * search's lower bound (search.h: payers x (0.85 x the legs' bounds + the lowest fee), less
 * the rounding slack) of m and the cheapest leg from m's arrival into a destination within
 * the connection window already reaches it (the first leg's bound is left out: >= 0). The
 * leg as first or last leg is the index's business (ct__slices_note_drop). */
static int middle_hopeless(const ct__slice_env *env, const slice *r, const ct_search_query *q,
                           const ct_leg *m)
{
    if (r->set || r->price == ALERT_NONE)
        return 0;
    const ct_price_ctx *pc = q->price;
    double third = INFINITY;
    for (int k = 0; k < q->ndests; k++) {
        const ct_arrival_routes *ar = ct_timetable_arrival_routes(env->tt, q->dests[k]);
        if (ar == NULL)
            return 0;
        for (uint32_t i = 0; i < ar->nroutes; i++) {
            if (ar->from[i] != m->to)
                continue;
            const uint16_t *days = ar->day_first + (size_t)i * (ar->ndays + 1);
            int32_t t0 = m->arr + CT_SEARCH_MCT_DOMESTIC, t1 = m->arr + CT_SEARCH_MAX_CONNECT;
            for (uint32_t j = ar->lo[i] + days[ct_arrival_day(env->tt, ar, t0)]; j < ar->lo[i + 1];
                 j++) {
                const ct_leg *l3 = &env->tt->legs[env->tt->by_arr[j]];
                if (l3->dep > t1)
                    break;
                double b = l3->dep >= t0 ? ct_price_leg_bound(pc, l3) : INFINITY;
                third = b < third ? b : third;
            }
        }
    }
    double slack = (double)pc->payers * (CT_SEARCH_MAX_LEGS + 1) * (pc->max_conv + 1) + 2;
    double lb =
        (double)pc->payers * (0.85 * (ct_price_leg_bound(pc, m) + third) + (double)pc->min_fee) -
        slack;
    return lb >= (double)r->price; /* INFINITY: nothing flies on */
}

void ct__slices_middle(ct__slices *s, const ct__slice_env *env, uint16_t origin, int32_t day,
                       uint32_t leg, int cabin, const uint64_t *reached,
                       void (*dropped)(void *ctx, const ct__slice_info *info), void *ctx)
{
    size_t n;
    const uint32_t *ids = ct__index_get(s->by_origin, origin_key(origin, day), &n);
    for (size_t i = 0; i < n; i++) {
        slice *r = &s->v[ids[i]];
        if (!r->valid || r->cabin != (cabin & 1))
            continue;
        uint16_t d[CT__MAX_PLACES];
        int nd = ct__alerts_resolve_place(env->tt, r->to, d), near = 0;
        for (int k = 0; k < nd && !near; k++)
            near = (int)(reached[d[k] / 64] >> (d[k] % 64) & 1);
        if (!near)
            continue; /* the leg's end has no leg into the destination */
        if (r->batch != s->batch) {
            r->batch = s->batch;
            r->npend = 0;
        }
        for (int k = 0; k < r->npend; k++) {
            if (r->pend[k] == leg)
                goto next; /* applied with the pending ones */
        }
        apply(s, env, r); /* first what is pending: then only this leg */
        uint16_t qo[CT__MAX_PLACES], qd[CT__MAX_PLACES];
        ct_search_query q;
        if (r->valid && query_of(env, r, qo, qd, &q) &&
            middle_hopeless(env, r, &q, &env->tt->legs[leg]))
            continue;
        r->batch = s->batch;
        r->npend = 1;
        r->pend[0] = leg;
        if (apply(s, env, r) > 0) {
            ct__slice_info info = {r->from,  r->to,         r->currency, r->day,
                                   r->cabin, r->passengers, r->set};
            dropped(ctx, &info);
        }
    next:;
    }
}

void ct__slices_finish(ct__slices *s, const ct__slice_env *env)
{
    for (size_t i = 0; i < s->ntouched; i++)
        apply(s, env, &s->v[s->touched[i]]);
    s->ntouched = 0;
}
