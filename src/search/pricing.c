/* pricing.c: an itinerary's price from the pricebook, per provider (see search.h).
 *
 * The rule is the one providers publish (docs/sandbox.md "The itinerary rule"): each leg is
 * sold in the cheapest class of the cabin with seats for every passenger; consecutive legs of
 * cooperating carriers (same carrier, or one alliance) form a ticket, costing the sum of its
 * legs' amounts, floor(sum x 85 / 100) when it has two legs or more; airlines and agencies
 * sell only one-ticket slices, the combiner only slices with a self-transfer (at least its
 * minimum minutes there); a provider's total is adults x price + children x floor(price x
 * 75 / 100) + lap infants x floor(price x 10 / 100) + passengers x fee, converted to the
 * requested currency through units per USD and rounded half up to its minor unit (ISO 4217
 * digits, base/currency.h). */
#include <math.h>
#include <stdio.h>
#include <string.h>

#include "base/alloc.h"
#include "base/currency.h"
#include "search/search.h"
#include "search/search_internal.h"

int ct_currency_minor_digits(const char *code)
{
    return ct_currency_digits(code);
}

ct_status ct_price_ctx_init(ct_price_ctx *c, const ct_pb_view *v, ct_cabin cabin, int seats,
                            int payers, const char *currency)
{
    memset(c, 0, sizeof(*c));
    c->view = v;
    c->cabin = cabin;
    c->seats = seats;
    c->payers = payers;
    c->adults = payers;
    c->fare_weight = payers;
    ct_cabin_classes(cabin, &c->class_lo, &c->class_hi);
    snprintf(c->currency, sizeof(c->currency), "%s", currency);
    c->only_provider = -1;
    c->minor_digits = ct_currency_minor_digits(currency);
    if (v == NULL)
        return CT_OK;
    const ct_pb_snapshot *s = v->snap;
    int t = ct_pb_currency_id(s, currency);
    double target = t >= 0 ? s->usd_rate[t] : 0;
    c->nproviders = s->nproviders;
    c->min_fee = INT64_MAX;
    int usable = 0;
    for (int p = 0; p < s->nproviders; p++) {
        const ct_provider_desc *d = &s->providers[p].desc;
        int pc = ct_pb_currency_id(s, d->currency);
        double rate = pc >= 0 ? s->usd_rate[pc] : 0;
        if (strncmp(d->currency, currency, 3) == 0)
            c->conv[p] = 1.0;
        else if (target > 0 && rate > 0)
            c->conv[p] = target / rate * pow(10, c->minor_digits - d->minor_digits);
        else
            continue; /* no rate: this provider's prices cannot be shown in this currency */
        usable++;
        if (c->conv[p] > c->max_conv)
            c->max_conv = c->conv[p];
        double fee = (double)d->fee_minor * c->conv[p];
        if ((int64_t)fee < c->min_fee)
            c->min_fee = (int64_t)fee;
    }
    if (c->min_fee == INT64_MAX)
        c->min_fee = 0;
    /* The leg bounds cover exactly the providers with a rate: usable when all have one. */
    c->leg_bounds = target > 0 && v->leg_bound[cabin] != NULL; /* none for the rarer cabins */
    for (int p = 0; p < s->nproviders; p++) {
        int pc = ct_pb_currency_id(s, s->providers[p].desc.currency);
        if (pc < 0 || !(s->usd_rate[pc] > 0))
            c->leg_bounds = 0;
    }
    c->cents_factor = target / 100 * pow(10, c->minor_digits) * (1 - 1e-9);
    return usable == 0 && s->nproviders > 0 && t < 0 ? CT_INVALID : CT_OK;
}

double ct_price_minor_factor(const ct_pb_snapshot *s, const char *from, const char *to)
{
    if (from == NULL || to == NULL)
        return 0;
    if (strcmp(from, to) == 0)
        return 1.0;
    int a = s != NULL ? ct_pb_currency_id(s, from) : -1;
    int b = s != NULL ? ct_pb_currency_id(s, to) : -1;
    if (a < 0 || b < 0 || !(s->usd_rate[a] > 0) || !(s->usd_rate[b] > 0))
        return 0;
    return s->usd_rate[b] / s->usd_rate[a] *
           pow(10, ct_currency_minor_digits(to) - ct_currency_minor_digits(from));
}

/* Per-passenger amount of provider p for a leg, in its minor units; -1 when it does not
 * sell it (carrier not sold, no feed data, no class with enough seats, no fare filed). */
static int64_t leg_amount(const ct_price_ctx *c, int p, const ct_leg *l, size_t i)
{
    const ct_pb_view *v = c->view;
    const ct_pb_provider *pr = &v->snap->providers[p];
    if (c->conv[p] == 0 || !pr->sells[l->carrier] || pr->amount == NULL)
        return -1;
    uint64_t w = ct_pb_cabin_seats(v, p, i, c->cabin);
    if (w == CT_SEATS_UNKNOWN)
        return -1;
    const int32_t *a = pr->amount[v->market[i]];
    for (int k = c->class_hi; k >= c->class_lo; k--) {
        if (ct_seats_of(w, k) >= c->seats && a[k] >= 0)
            return a[k];
    }
    return -1;
}

int ct_price_leg_known(const ct_price_ctx *c, const ct_leg *l)
{
    if (c == NULL || c->view == NULL)
        return 0;
    size_t i = (size_t)(l - c->view->tt->legs);
    for (int p = 0; p < c->nproviders; p++) {
        if (c->view->snap->providers[p].sells[l->carrier] &&
            ct_pb_seats(c->view, p, i) != CT_SEATS_UNKNOWN)
            return 1;
    }
    return 0;
}

int ct_price_group(const ct_price_ctx *c, uint16_t carrier)
{
    if (c == NULL || c->view == NULL)
        return 0;
    uint8_t a = c->view->snap->alliance[carrier];
    return a != 0 ? a : 256 + carrier;
}

static int provider_allowed(const ct_price_ctx *c, int p)
{
    return c->only_provider < 0 || c->only_provider == p;
}

double ct_price_leg_bound(const ct_price_ctx *c, const ct_leg *l)
{
    if (c == NULL || c->view == NULL)
        return INFINITY;
    if (c->only_group != 0 && ct_price_group(c, l->carrier) != c->only_group)
        return INFINITY;
    size_t i = (size_t)(l - c->view->tt->legs);
    double best = INFINITY;
    for (int p = 0; p < c->nproviders; p++) {
        if (!provider_allowed(c, p))
            continue;
        int64_t a = leg_amount(c, p, l, i);
        if (a >= 0 && (double)a * c->conv[p] < best)
            best = (double)a * c->conv[p];
    }
    return best;
}

static int cooperate(const ct_pb_snapshot *s, uint16_t a, uint16_t b)
{
    return a == b || (s->alliance[a] != 0 && s->alliance[a] == s->alliance[b]);
}

int ct_price_self_transfer(const ct_price_ctx *c, const ct_leg *a, const ct_leg *b)
{
    return c != NULL && c->view != NULL && !cooperate(c->view->snap, a->carrier, b->carrier);
}

/* Provider p's per-passenger price of a slice whose legs' amounts at p are a[0..n). */
static int64_t slice_price(const ct_price_ctx *c, int p, const ct_leg *const *legs, int n,
                           const int64_t *a, int *one_ticket)
{
    const ct_pb_snapshot *s = c->view->snap;
    const ct_provider_desc *d = &s->providers[p].desc;
    int64_t total = 0, run = 0;
    int run_len = 0, changes = 0;
    for (int i = 0; i < n; i++) {
        if (a[i] < 0)
            return -1;
        if (i > 0 && !cooperate(s, legs[i - 1]->carrier, legs[i]->carrier)) {
            int min = d->min_self_transfer_min > 0 ? d->min_self_transfer_min : CT_MCT_SELF_XFER;
            if (d->kind != CT_PROVIDER_COMBINER || legs[i]->dep - legs[i - 1]->arr < min)
                return -1;
            total += run_len >= 2 ? run * 85 / 100 : run;
            run = 0;
            run_len = 0;
            changes++;
        }
        run += a[i];
        run_len++;
    }
    if (d->kind == CT_PROVIDER_COMBINER && changes == 0)
        return -1;
    total += run_len >= 2 ? run * 85 / 100 : run;
    if (one_ticket != NULL)
        *one_ticket = changes == 0;
    return total;
}

int64_t ct_price_slice_provider(const ct_price_ctx *c, int p, const ct_leg *const *legs, int n,
                                int *one_ticket)
{
    int64_t a[CT_SEARCH_MAX_LEGS * 2];
    if (n > (int)(sizeof(a) / sizeof(a[0])))
        return -1;
    for (int i = 0; i < n; i++)
        a[i] = leg_amount(c, p, legs[i], (size_t)(legs[i] - c->view->tt->legs));
    return slice_price(c, p, legs, n, a, one_ticket);
}

void ct_price_ctx_set_pax(ct_price_ctx *c, int adults, int children, int seat_infants,
                          int lap_infants)
{
    c->adults = adults;
    c->children = children + seat_infants;
    c->lap_infants = lap_infants;
    c->seats = adults + children + seat_infants;
    c->payers = c->seats + lap_infants;
    c->fare_weight =
        adults + c->children * (CT_CHILD_PCT / 100.0) + lap_infants * (CT_INFANT_PCT / 100.0);
}

int64_t ct_price_native_total(const ct_price_ctx *c, int p, int64_t per_adult)
{
    const ct_provider_desc *d = &c->view->snap->providers[p].desc;
    int64_t fares = c->adults * per_adult + c->children * (per_adult * CT_CHILD_PCT / 100) +
                    c->lap_infants * (per_adult * CT_INFANT_PCT / 100);
    return fares + (int64_t)c->payers * d->fee_minor;
}

int64_t ct_price_total(const ct_price_ctx *c, int p, int64_t per_adult)
{
    double v = (double)ct_price_native_total(c, p, per_adult) * c->conv[p];
    return (int64_t)floor(v + 0.5);
}

/* Everything a query needs of one leg: each provider's amount, the bound, whether any
 * provider knows it. */
static void leg_facts(const ct_price_ctx *c, const ct_leg *l, ct_leg_facts *f)
{
    const ct_pb_view *v = c->view;
    size_t i = (size_t)(l - v->tt->legs);
    f->known = 0;
    f->bound = INFINITY;
    int in_group = c->only_group == 0 || ct_price_group(c, l->carrier) == c->only_group;
    const int32_t *row = NULL;
    for (int p = 0; p < CT_MAX_PROVIDERS; p++) {
        f->amount[p] = -1;
        if (p >= c->nproviders)
            continue;
        const ct_pb_provider *pr = &v->snap->providers[p];
        if (!pr->sells[l->carrier])
            continue;
        uint64_t w = ct_pb_cabin_seats(v, p, i, c->cabin); /* "known" and the amount */
        if (w == CT_SEATS_UNKNOWN)
            continue;
        f->known = 1;
        if (!provider_allowed(c, p) || c->conv[p] == 0 || pr->amount == NULL)
            continue;
        row = pr->amount[v->market[i]];
        for (int k = c->class_hi; k >= c->class_lo; k--) {
            if (ct_seats_of(w, k) >= c->seats && row[k] >= 0) {
                f->amount[p] = row[k];
                break;
            }
        }
        if (f->amount[p] >= 0 && in_group && (double)f->amount[p] * c->conv[p] < f->bound)
            f->bound = (double)f->amount[p] * c->conv[p];
    }
}

/* The itinerary's price from its legs' facts (see ct_price_itinerary). */
static int64_t itinerary_price(const ct_price_ctx *c, const ct_leg *const *legs, int n,
                               const ct_leg_facts *const *f, int64_t per_provider[CT_MAX_PROVIDERS])
{
    int restricted = c->only_provider >= 0 || c->only_group != 0;
    for (int i = 0; i < n; i++) {
        if (!f[i]->known)
            return restricted ? -1 : CT_PRICE_UNKNOWN; /* schedule-only: any carriers connect */
        if (c->only_group != 0 && ct_price_group(c, legs[i]->carrier) != c->only_group)
            return -1;
    }
    int64_t best = -1;
    for (int p = 0; p < c->nproviders; p++) {
        if (!provider_allowed(c, p))
            continue;
        int64_t a[CT_SEARCH_MAX_LEGS];
        for (int i = 0; i < n; i++)
            a[i] = f[i]->amount[p];
        int one = 0;
        int64_t s = slice_price(c, p, legs, n, a, &one);
        if (s < 0 || (c->only_group != 0 && !one))
            continue;
        int64_t t = ct_price_total(c, p, s);
        if (per_provider != NULL)
            per_provider[p] = t;
        if (best < 0 || t < best)
            best = t;
    }
    return best; /* -1: every leg is known, yet nobody sells the whole: not a valid itinerary */
}

int64_t ct_price_itinerary(const ct_price_ctx *c, const ct_leg *const *legs, int n,
                           int64_t per_provider[CT_MAX_PROVIDERS])
{
    if (per_provider != NULL) {
        for (int p = 0; p < CT_MAX_PROVIDERS; p++)
            per_provider[p] = -1;
    }
    if (c == NULL || c->view == NULL)
        return CT_PRICE_UNKNOWN;
    if (n < 1 || n > CT_SEARCH_MAX_LEGS)
        return -1;
    ct_leg_facts facts[CT_SEARCH_MAX_LEGS];
    const ct_leg_facts *f[CT_SEARCH_MAX_LEGS];
    for (int i = 0; i < n; i++) {
        leg_facts(c, legs[i], &facts[i]);
        f[i] = &facts[i];
    }
    return itinerary_price(c, legs, n, f, per_provider);
}

int64_t ct_price_itinerary_cached(ct_bound_cache *cache, const ct_price_ctx *c,
                                  const ct_timetable *tt, const ct_leg *const *legs, int n)
{
    if (c == NULL || c->view == NULL)
        return CT_PRICE_UNKNOWN;
    const ct_leg_facts *f[CT_SEARCH_MAX_LEGS];
    /* A lookup may grow the cache and move its entries: the first pass inserts every leg,
     * the second takes the pointers once no further growth can happen (a growth, if any,
     * happens on its first lookup). Keeping the first pass's pointers read freed memory
     * when the third leg's insertion grew the table (ASan, bench_search on the default
     * world). */
    for (int i = 0; i < n; i++)
        (void)ct_leg_facts_cached(cache, c, tt, legs[i]);
    for (int i = 0; i < n; i++)
        f[i] = ct_leg_facts_cached(cache, c, tt, legs[i]);
    return itinerary_price(c, legs, n, f, NULL);
}

/* ---- per-query cache of leg bounds (search_internal.h) ---- */

const ct_leg_facts *ct_leg_facts_cached(ct_bound_cache *c, const ct_price_ctx *pc,
                                        const ct_timetable *tt, const ct_leg *l)
{
    uint32_t key = (uint32_t)(l - tt->legs) + 1;
    if (c->len * 2 >= c->cap) {
        size_t cap = c->cap ? c->cap * 2 : 4096;
        uint32_t *k = ct_calloc(cap, sizeof(uint32_t));
        ct_leg_facts *v = ct_malloc(cap * sizeof(ct_leg_facts));
        if (k == NULL || v == NULL) {
            ct_free(k);
            ct_free(v);
            leg_facts(pc, l, &c->spare); /* no room: still correct, not cached */
            return &c->spare;
        }
        for (size_t i = 0; i < c->cap; i++) {
            if (c->keys[i] == 0)
                continue;
            size_t j = (c->keys[i] * 2654435761u) & (cap - 1);
            while (k[j] != 0)
                j = (j + 1) & (cap - 1);
            k[j] = c->keys[i];
            v[j] = c->vals[i];
        }
        ct_free(c->keys);
        ct_free(c->vals);
        c->keys = k;
        c->vals = v;
        c->cap = cap;
    }
    size_t j = (key * 2654435761u) & (c->cap - 1);
    while (c->keys[j] != 0) {
        if (c->keys[j] == key)
            return &c->vals[j];
        j = (j + 1) & (c->cap - 1);
    }
    c->keys[j] = key;
    leg_facts(pc, l, &c->vals[j]);
    c->len++;
    return &c->vals[j];
}

double ct_bound_cached(ct_bound_cache *c, const ct_price_ctx *pc, const ct_timetable *tt,
                       const ct_leg *l)
{
    return ct_leg_facts_cached(c, pc, tt, l)->bound;
}

void ct_bound_cache_free(ct_bound_cache *c)
{
    ct_free(c->keys);
    ct_free(c->vals);
    memset(c, 0, sizeof(*c));
}
