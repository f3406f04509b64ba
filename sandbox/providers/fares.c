/* fares.c: filed fares, exchange rates and the through-fare rule (see fares.h).
 *
 * Markets are found once per world: every leg of every flight pattern contributes its
 * (carrier, origin, dest); the list is sorted and de-duplicated, and a second sorted list of
 * (unordered airport pair, carrier) counts the competitors of each pair. Fares themselves are
 * computed on demand from the market (a few multiplications), so nothing per class is
 * stored. */
#include "sandbox/providers/fares.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "base/alloc.h"
#include "base/currency.h"
#include "sandbox/runtime/rng.h"

/* ---- classes ---- */

static const sb_class_info classes[SB_NCLASSES] = {
    {'Y', SB_CABIN_ECONOMY, 100, 100},  {'B', SB_CABIN_ECONOMY, 80, 100},
    {'M', SB_CABIN_ECONOMY, 62, 70},    {'H', SB_CABIN_ECONOMY, 48, 70},
    {'Q', SB_CABIN_ECONOMY, 36, 70},    {'V', SB_CABIN_ECONOMY, 26, 70},
    {'J', SB_CABIN_BUSINESS, 320, 100}, {'C', SB_CABIN_BUSINESS, 230, 70},
    {'W', SB_CABIN_PREMIUM, 165, 100},  {'E', SB_CABIN_PREMIUM, 130, 70},
    {'F', SB_CABIN_FIRST, 520, 100},    {'A', SB_CABIN_FIRST, 420, 70},
};

const sb_class_info *sb_class(int cls)
{
    return &classes[cls];
}

int sb_class_parse(char letter)
{
    for (int i = 0; i < SB_NCLASSES; i++) {
        if (classes[i].letter == letter)
            return i;
    }
    return -1;
}

void sb_cabin_classes(int cabin, int *first, int *count)
{
    static const int first_class[SB_NCABINS] = {0, 6, 8, 10}, classes_in[SB_NCABINS] = {6, 2, 2, 2};
    int c = cabin >= 0 && cabin < SB_NCABINS ? cabin : SB_CABIN_ECONOMY;
    *first = first_class[c];
    *count = classes_in[c];
}

const char *sb_cabin_name(int cabin)
{
    static const char *names[SB_NCABINS] = {"economy", "business", "premium_economy", "first"};
    return cabin >= 0 && cabin < SB_NCABINS ? names[cabin] : "economy";
}

int sb_cabin_parse(const char *name)
{
    for (int c = 0; c < SB_NCABINS; c++) {
        if (strcmp(sb_cabin_name(c), name) == 0)
            return c;
    }
    return -1;
}

/* ---- currencies ---- */

static const struct {
    const char *code;
    double base; /* units per USD */
    int pegged;
} currencies[] = {
    {"USD", 1.0, 1},    {"EUR", 0.92, 0},   {"GBP", 0.79, 0},   {"CHF", 0.88, 0},
    {"JPY", 150.0, 0},  {"AUD", 1.52, 0},   {"CAD", 1.37, 0},   {"CNY", 7.20, 0},
    {"INR", 83.5, 0},   {"BRL", 5.00, 0},   {"SEK", 10.5, 0},   {"NOK", 10.7, 0},
    {"DKK", 6.87, 0},   {"AED", 3.6725, 1}, {"SGD", 1.35, 0},   {"KRW", 1350.0, 0},
    {"MXN", 17.1, 0},   {"TRY", 32.0, 0},   {"ZAR", 18.5, 0},   {"NZD", 1.65, 0},
    {"QAR", 3.64, 1},   {"SAR", 3.75, 1},   {"KWD", 0.3075, 0}, {"BHD", 0.376, 1},
    {"OMR", 0.3845, 1}, {"JOD", 0.709, 1},  {"TND", 3.12, 0},
};
#define NCURRENCIES ((int)(sizeof(currencies) / sizeof(currencies[0])))

/* Index of a currency in the table, or -1 when unknown (a lookup, not an error). */
static int currency_index(const char *code)
{
    for (int i = 0; i < NCURRENCIES; i++) {
        if (strcmp(currencies[i].code, code) == 0)
            return i;
    }
    return -1;
}

int sb_currency_exponent(const char *code)
{
    return currency_index(code) < 0 ? -1 : ct_currency_digits(code);
}

double sb_fx_base_rate(const char *code)
{
    int i = currency_index(code);
    return i < 0 ? 0.0 : currencies[i].base;
}

double sb_fx_rate(uint64_t seed, const char *code, int64_t day)
{
    int i = currency_index(code);
    if (i < 0)
        return 0.0;
    if (currencies[i].pegged)
        return currencies[i].base;
    uint64_t key = sb_code_key(code);
    double phase1 = 2 * M_PI * sb_unit(sb_hash(seed, key, 101));
    double phase2 = 2 * M_PI * sb_unit(sb_hash(seed, key, 102));
    double wiggle = sb_unit(sb_hash(seed, key * 7919u + (uint64_t)day, 103)) - 0.5;
    double d = (double)day;
    double drift = 0.025 * sin(2 * M_PI * d / 173.0 + phase1) +
                   0.012 * sin(2 * M_PI * d / 41.0 + phase2) + 0.004 * wiggle;
    return currencies[i].base * exp(drift);
}

int sb_fx_count(void)
{
    return NCURRENCIES;
}

const char *sb_fx_code(int i)
{
    return currencies[i].code;
}

static double pow10i(int e)
{
    return ct_currency_unit(e);
}

int64_t sb_fx_convert(int64_t minor, const char *from, double rate_from, const char *to,
                      double rate_to)
{
    int ef = sb_currency_exponent(from), et = sb_currency_exponent(to);
    if (ef < 0 || et < 0 || rate_from <= 0 || rate_to <= 0)
        return -1;
    if (strcmp(from, to) == 0)
        return minor;
    double units = (double)minor / pow10i(ef) / rate_from * rate_to;
    return (int64_t)llround(units * pow10i(et));
}

char *sb_money_format(int64_t minor, const char *currency, char *buf, int len)
{
    return ct_currency_format(minor, ct_currency_digits(currency), buf, (size_t)len);
}

/* ---- markets ---- */

struct sb_fares {
    const sb_world *w;
    sb_market *markets; /* sorted by carrier, origin, dest */
    int nmarkets;
    int *first; /* per carrier: index of its first market; first[ncarriers] = nmarkets */
};

typedef struct pair_carrier {
    int lo, hi, carrier;
} pair_carrier;

static int market_cmp(const void *x, const void *y)
{
    const sb_market *a = x, *b = y;
    if (a->carrier != b->carrier)
        return a->carrier < b->carrier ? -1 : 1;
    if (a->origin != b->origin)
        return a->origin < b->origin ? -1 : 1;
    return (a->dest > b->dest) - (a->dest < b->dest);
}

static int pair_cmp(const void *x, const void *y)
{
    const pair_carrier *a = x, *b = y;
    if (a->lo != b->lo)
        return a->lo < b->lo ? -1 : 1;
    if (a->hi != b->hi)
        return a->hi < b->hi ? -1 : 1;
    return (a->carrier > b->carrier) - (a->carrier < b->carrier);
}

/* Number of distinct carriers on the unordered pair (lo, hi) in the sorted unique list. */
static int competitors_of(const pair_carrier *pairs, int n, int lo, int hi)
{
    int a = 0, b = n;
    while (a < b) {
        int mid = (a + b) / 2;
        if (pairs[mid].lo < lo || (pairs[mid].lo == lo && pairs[mid].hi < hi))
            a = mid + 1;
        else
            b = mid;
    }
    int count = 0;
    while (a + count < n && pairs[a + count].lo == lo && pairs[a + count].hi == hi)
        count++;
    return count;
}

static int count_legs(const sb_world *w)
{
    int n = 0;
    for (int i = 0; i < w->nflights; i++)
        n += w->flights[i].nlegs;
    return n;
}

/* Sorts and removes duplicates; returns the new length. */
static int unique_markets(sb_market *m, int n)
{
    qsort(m, (size_t)n, sizeof(*m), market_cmp);
    int k = 0;
    for (int i = 0; i < n; i++) {
        if (k == 0 || market_cmp(&m[k - 1], &m[i]) != 0)
            m[k++] = m[i];
    }
    return k;
}

static int unique_pairs(pair_carrier *p, int n)
{
    qsort(p, (size_t)n, sizeof(*p), pair_cmp);
    int k = 0;
    for (int i = 0; i < n; i++) {
        if (k == 0 || pair_cmp(&p[k - 1], &p[i]) != 0)
            p[k++] = p[i];
    }
    return k;
}

ct_status sb_fares_build(const sb_world *w, sb_fares **out)
{
    ct_status rc = CT_NOMEM;
    int nlegs = count_legs(w);
    pair_carrier *pairs = ct_malloc(((size_t)nlegs + 1) * sizeof(*pairs));
    sb_fares *f = ct_calloc(1, sizeof(*f));
    if (f == NULL || pairs == NULL)
        goto cleanup;
    f->w = w;
    f->markets = ct_malloc(((size_t)nlegs + 1) * sizeof(sb_market));
    f->first = ct_calloc((size_t)w->ncarriers + 1, sizeof(int));
    if (f->markets == NULL || f->first == NULL)
        goto cleanup;
    int n = 0;
    for (int i = 0; i < w->nflights; i++) {
        const sb_flight *fl = &w->flights[i];
        for (int l = 0; l < fl->nlegs; l++) {
            int a = fl->legs[l].origin, b = fl->legs[l].dest;
            f->markets[n] = (sb_market){fl->carrier, a, b, 0, 0.0};
            pairs[n] = (pair_carrier){a < b ? a : b, a < b ? b : a, fl->carrier};
            n++;
        }
    }
    f->nmarkets = unique_markets(f->markets, n);
    int npairs = unique_pairs(pairs, n);
    for (int i = 0; i < f->nmarkets; i++) {
        sb_market *m = &f->markets[i];
        int lo = m->origin < m->dest ? m->origin : m->dest;
        int hi = m->origin < m->dest ? m->dest : m->origin;
        m->competitors = competitors_of(pairs, npairs, lo, hi);
        m->km = sb_distance_km(w, m->origin, m->dest);
    }
    for (int c = 0, i = 0; c <= w->ncarriers; c++) {
        while (i < f->nmarkets && f->markets[i].carrier < c)
            i++;
        f->first[c] = i;
    }
    *out = f;
    f = NULL;
    rc = CT_OK;
cleanup:
    ct_free(pairs);
    sb_fares_free(f);
    return rc;
}

void sb_fares_free(sb_fares *f)
{
    if (f == NULL)
        return;
    ct_free(f->markets);
    ct_free(f->first);
    ct_free(f);
}

const sb_market *sb_fares_markets(const sb_fares *f, int c, int *n)
{
    *n = f->first[c + 1] - f->first[c];
    return *n ? &f->markets[f->first[c]] : NULL;
}

const sb_market *sb_fares_find(const sb_fares *f, int c, int origin, int dest)
{
    sb_market key = {c, origin, dest, 0, 0.0};
    return bsearch(&key, f->markets, (size_t)f->nmarkets, sizeof(sb_market), market_cmp);
}

static double competition_factor(int competitors)
{
    static const double factor[] = {1.20, 1.20, 1.05, 0.95, 0.88};
    return factor[competitors > 4 ? 4 : competitors];
}

void sb_market_fares(const sb_fares *f, const sb_market *m, int64_t out[SB_NCLASSES])
{
    const sb_world *w = f->w;
    const sb_carrier *c = &w->carriers[m->carrier];
    int lo = m->origin < m->dest ? m->origin : m->dest;
    int hi = m->origin < m->dest ? m->dest : m->origin;
    uint64_t key = sb_code_key(w->airports[lo].iata) * 100003u + sb_code_key(w->airports[hi].iata);
    double carrier_factor = 0.92 + 0.16 * sb_unit(sb_hash(w->seed, sb_code_key(c->code), key));
    double y_usd =
        (70.0 + 0.28 * pow(m->km, 0.93)) * competition_factor(m->competitors) * carrier_factor;
    double rate = sb_fx_base_rate(c->currency);
    double scale = pow10i(sb_currency_exponent(c->currency));
    double y_units = y_usd * (rate > 0 ? rate : 1.0);
    for (int k = 0; k < SB_NCLASSES; k++) {
        int64_t units = (int64_t)llround(y_units * classes[k].pct_of_y / 100.0);
        /* Keep the ladder strict within a cabin even where rounding would tie. */
        if (k != 0 && classes[k].cabin == classes[k - 1].cabin &&
            units >= out[k - 1] / (int64_t)scale)
            units = out[k - 1] / (int64_t)scale - 1;
        if (units < 1)
            units = 1;
        out[k] = units * (int64_t)scale;
    }
}

int64_t sb_fare_return(int64_t oneway)
{
    return 2 * oneway * SB_RETURN_PCT / 100;
}

/* ---- the itinerary rule ---- */

int sb_carriers_cooperate(const sb_world *w, int a, int b)
{
    if (a == b)
        return 1;
    sb_alliance x = w->carriers[a].alliance, y = w->carriers[b].alliance;
    return x != SB_ALLIANCE_NONE && x == y;
}

int64_t sb_fare_through(const int64_t *amounts, int n)
{
    int64_t sum = 0;
    for (int i = 0; i < n; i++)
        sum += amounts[i];
    return n <= 1 ? sum : sum * SB_THROUGH_PCT / 100;
}

/* Price of one slice: tickets are the maximal runs of cooperating consecutive legs. */
static int64_t slice_price(const sb_world *w, const sb_fare_leg *legs, int n, int *all_coop)
{
    int64_t total = 0, run[SB_FARE_MAX_SLICE_LEGS];
    int nrun = 0;
    for (int i = 0; i < n && i < SB_FARE_MAX_SLICE_LEGS; i++) {
        if (nrun > 0 && !sb_carriers_cooperate(w, legs[i - 1].carrier, legs[i].carrier)) {
            total += sb_fare_through(run, nrun);
            nrun = 0;
            *all_coop = 0;
        }
        run[nrun++] = legs[i].amount;
    }
    return total + sb_fare_through(run, nrun);
}

int64_t sb_fare_itinerary(const sb_world *w, const sb_fare_leg *legs, const int *slice_len,
                          int nslices, int one_ticket)
{
    int64_t slice[2] = {0, 0};
    int all_coop = 1, at = 0;
    for (int s = 0; s < nslices && s < 2; s++) {
        slice[s] = slice_price(w, legs + at, slice_len[s], &all_coop);
        at += slice_len[s];
    }
    for (int i = 1; i < at; i++)
        all_coop &= sb_carriers_cooperate(w, legs[0].carrier, legs[i].carrier);
    if (nslices == 2 && one_ticket && all_coop)
        return (slice[0] + slice[1]) * SB_RETURN_PCT / 100;
    return slice[0] + slice[1];
}

int sb_fare_refund_pct(const int *cls, int n)
{
    int pct = 100;
    for (int i = 0; i < n; i++) {
        if (classes[cls[i]].refund_pct < pct)
            pct = classes[cls[i]].refund_pct;
    }
    return pct;
}
