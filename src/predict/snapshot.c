/* snapshot.c: a route's price state from the pricebook (see predict.h, "State").
 *
 * Each dated leg is priced once per cabin: at every airline and agency that sells it, the
 * cheapest open class of the cabin (from the seat word) at that seller's amount for the
 * leg's market, in US dollars through the seller's rate; the leg keeps its cheapest seller,
 * with that seller's top-class amount for the ladder position. A route's legs are then
 * folded into one snapshot (fold_legs). The bulk walk (ct_predict_snapshot_all) prices every
 * leg of the date range into an array, sorts it by route, date and cabin and folds each run;
 * the route lookup scans only the legs of its origins departing around that date. */
#include "predict/predict.h"

#include <stdlib.h>
#include <string.h>

#include "base/alloc.h"

/* One dated leg's price in a cabin. */
typedef struct leg_price {
    uint16_t from, to;
    int32_t day;
    int cabin;
    double usd;      /* cheapest seller's price */
    double ladder;   /* its amount / its top class's amount */
    int lowest_open; /* 1 when the cabin's cheapest class is the one open */
} leg_price;

static int lowest_open_class(uint64_t w, int cabin)
{
    int lo, hi;
    ct_cabin_classes((ct_cabin)cabin, &lo, &hi);
    for (int c = hi; c >= lo; c--) {
        if (ct_seats_of(w, c) > 0)
            return c;
    }
    return -1;
}

/* Dollars per minor unit of each provider's currency (0: unknown, the provider is skipped). */
static void usd_per_minor(const ct_pb_snapshot *s, double out[CT_MAX_PROVIDERS])
{
    for (int p = 0; p < s->nproviders && p < CT_MAX_PROVIDERS; p++) {
        const ct_provider_desc *d = &s->providers[p].desc;
        int c = ct_pb_currency_id(s, d->currency);
        double rate = c >= 0 ? s->usd_rate[c] : 0;
        double unit = 1;
        for (int k = 0; k < d->minor_digits; k++)
            unit *= 10;
        out[p] = rate > 0 && d->kind != CT_PROVIDER_COMBINER ? 1.0 / (rate * unit) : 0;
    }
}

/* Prices leg i in `cabin`: 1 with *out set, 0 when nobody sells a seat of it. */
static int price_leg(const ct_pb_view *v, const double usd[CT_MAX_PROVIDERS], size_t i, int cabin,
                     leg_price *out)
{
    const ct_pb_snapshot *s = v->snap;
    uint32_t market = v->market[i];
    int found = 0;
    for (int p = 0; p < s->nproviders && p < CT_MAX_PROVIDERS; p++) {
        const ct_pb_provider *pv = &s->providers[p];
        if (usd[p] <= 0 || pv->amount == NULL || market >= pv->nmarkets)
            continue;
        uint64_t w = ct_pb_cabin_seats(v, p, i, cabin);
        if (w == CT_SEATS_UNKNOWN)
            continue;
        int cls = lowest_open_class(w, cabin);
        int top, cheapest;
        ct_cabin_classes((ct_cabin)cabin, &top, &cheapest);
        if (cls < 0 || pv->amount[market][cls] < 0 || pv->amount[market][top] <= 0)
            continue;
        double price = pv->amount[market][cls] * usd[p];
        if (!found || price < out->usd) {
            out->usd = price;
            out->ladder = (double)pv->amount[market][cls] / (double)pv->amount[market][top];
            out->lowest_open = cls == cheapest;
            found = 1;
        }
    }
    if (found) {
        const ct_leg *l = &v->tt->legs[i];
        out->from = l->from;
        out->to = l->to;
        out->day = l->local_date;
        out->cabin = cabin;
    }
    return found;
}

/* The snapshot of n priced legs of one route, day and cabin (n >= 1). */
static void fold_legs(const leg_price *a, size_t n, ct_predict_snapshot *out)
{
    size_t best = 0;
    int cheapest_open = 0;
    for (size_t k = 0; k < n; k++) {
        if (a[k].usd < a[best].usd)
            best = k;
        cheapest_open += a[k].lowest_open;
    }
    double second = 0;
    for (size_t k = 0; k < n; k++) {
        if (k != best && (second == 0 || a[k].usd < second))
            second = a[k].usd;
    }
    out->price_usd = a[best].usd;
    out->nflights = (int)n;
    out->ladder = a[best].ladder;
    out->second_ratio = second > 0 && a[best].usd > 0 ? second / a[best].usd : 0;
    out->cheapest_share = (double)cheapest_open / (double)n;
}

ct_status ct_predict_snapshot_route(const ct_pb_view *v, const uint16_t *orig, int norig,
                                    const uint16_t *dest, int ndest, int64_t day, int cabin,
                                    ct_predict_snapshot *out)
{
    if (v == NULL || v->snap == NULL || v->tt == NULL)
        return CT_NOT_FOUND;
    const ct_timetable *tt = v->tt;
    double usd[CT_MAX_PROVIDERS] = {0};
    usd_per_minor(v->snap, usd);
    leg_price legs[CT_PREDICT_MAX_FLIGHTS];
    size_t n = 0;
    /* A local date is at most 14 hours from its UTC day: look a day either side. */
    int32_t t0 = (int32_t)((day - 1) * 1440), t1 = (int32_t)((day + 2) * 1440);
    for (int a = 0; a < norig; a++) {
        if (orig[a] >= tt->nairports)
            continue;
        for (uint32_t i = ct_timetable_first_departure(tt, orig[a], t0);
             i < tt->first[orig[a] + 1] && tt->legs[i].dep < t1 && n < CT_PREDICT_MAX_FLIGHTS;
             i++) {
            const ct_leg *l = &tt->legs[i];
            int to_dest = 0;
            for (int b = 0; b < ndest; b++)
                to_dest |= l->to == dest[b];
            if (to_dest && l->local_date == day && price_leg(v, usd, i, cabin, &legs[n]))
                n++;
        }
    }
    if (n == 0)
        return CT_NOT_FOUND;
    fold_legs(legs, n, out);
    return CT_OK;
}

static int leg_cmp(const void *x, const void *y)
{
    const leg_price *a = x, *b = y;
    if (a->from != b->from)
        return a->from < b->from ? -1 : 1;
    if (a->to != b->to)
        return a->to < b->to ? -1 : 1;
    if (a->day != b->day)
        return a->day < b->day ? -1 : 1;
    return (a->cabin > b->cabin) - (a->cabin < b->cabin);
}

ct_status ct_predict_snapshot_all(const ct_pb_view *v, int64_t day0, int64_t day1,
                                  ct_predict_snapshot_fn fn, void *ctx)
{
    const ct_timetable *tt = v->tt;
    double usd[CT_MAX_PROVIDERS] = {0};
    usd_per_minor(v->snap, usd);
    size_t cap = 1024, n = 0;
    leg_price *a = ct_malloc(cap * sizeof(*a));
    if (a == NULL)
        return CT_NOMEM;
    for (size_t i = 0; i < tt->nlegs; i++) {
        const ct_leg *l = &tt->legs[i];
        if (l->local_date < day0 || l->local_date > day1)
            continue;
        for (int cabin = 0; cabin < CT_NCABINS; cabin++) {
            if (cabin != CT_CABIN_ECONOMY && !ct_leg_has_cabin(l, (ct_cabin)cabin))
                continue;
            if (n == cap) {
                leg_price *bigger = ct_realloc(a, 2 * cap * sizeof(*a));
                if (bigger == NULL) {
                    ct_free(a);
                    return CT_NOMEM;
                }
                a = bigger;
                cap *= 2;
            }
            n += (size_t)price_leg(v, usd, i, cabin, &a[n]);
        }
    }
    qsort(a, n, sizeof(*a), leg_cmp);
    for (size_t i = 0; i < n;) {
        size_t j = i + 1;
        while (j < n && leg_cmp(&a[i], &a[j]) == 0)
            j++;
        ct_predict_snapshot s;
        fold_legs(a + i, j - i, &s);
        fn(ctx, a[i].from, a[i].to, a[i].day, a[i].cabin, &s);
        i = j;
    }
    ct_free(a);
    return CT_OK;
}
