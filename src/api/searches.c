/* searches.c: POST /api/v1/searches (the contract is docs/search-api.md).
 *
 * The request's slices (1 to 6: one way, round trip, multi-city) are searched with the
 * engine and combined into trips priced together (search/trip.h); the non-dominated trips
 * are then filtered and ranked by the request and a page of them is returned with facets of
 * the whole set. Every itinerary names its legs (carrier, flight number, local departure
 * date, airports, local and UTC times) so any client can check it against the schedule, and
 * carries every provider's price converted to the requested currency. Without ingested
 * prices the search is schedule-only: prices are null and only times and stops decide. */
#include <ctype.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "api/prediction.h"
#include "api/search_common.h"
#include "base/currency.h"
#include "base/timeutil.h"
#include "http/problem.h"
#include "providers/directory.h"
#include "search/emissions.h"

#define MAX_LIST     32
#define MAX_CARRIERS 2048 /* a filter lists the ticked airlines, whatever their number */

typedef struct slice_query {
    uint16_t orig[8], dest[8];
    const char *origin, *destination, *date;
} slice_query;

typedef struct request {
    slice_query sq[CT_TRIP_MAX_SLICES];
    ct_search_query q[CT_TRIP_MAX_SLICES];
    size_t nslices;
    ct_trip_filters filters;
    uint16_t carriers[MAX_CARRIERS], layovers[MAX_LIST * 8];
    uint8_t alliances[MAX_LIST];
    ct_trip_sort sort;
    const char *sort_name;
    int lower_emissions; /* filters.emissions = "lower" */
    int offset, limit;
} request;

static int slice_problem(ct_http_req *req, size_t i, const char *field, const char *message)
{
    char name[48];
    snprintf(name, sizeof(name), "slices[%zu].%s", i, field);
    ct_http_problem_field(req, name, message);
    return 0;
}

/* Validates one slice; on failure replies 400 naming the field and returns 0. */
static int parse_slice(ct_http_req *req, const search_ctx *c, json_t *s, size_t i, request *r)
{
    slice_query *sq = &r->sq[i];
    ct_search_query *q = &r->q[i];
    if (!json_is_object(s))
        return slice_problem(req, i, "origin", "each slice must be an object");
    sq->origin = json_string_value(json_object_get(s, "origin"));
    sq->destination = json_string_value(json_object_get(s, "destination"));
    sq->date = json_string_value(json_object_get(s, "date"));
    q->origins = sq->orig;
    q->dests = sq->dest;
    q->max_stops = c->max_stops;
    q->price = c->pb != NULL ? &c->pc : NULL;
    q->norigins = search_resolve_place(c->tt, sq->origin, sq->orig, 8);
    q->ndests = search_resolve_place(c->tt, sq->destination, sq->dest, 8);
    if (q->norigins == 0)
        return slice_problem(req, i, "origin", "must be a known airport or city code");
    if (q->ndests == 0)
        return slice_problem(req, i, "destination", "must be a known airport or city code");
    for (int a = 0; a < q->norigins; a++) {
        for (int b = 0; b < q->ndests; b++) {
            if (sq->orig[a] == sq->dest[b])
                return slice_problem(req, i, "destination", "must differ from the origin");
        }
    }
    if (sq->date == NULL || ct_date_parse(sq->date, &q->date) != CT_OK)
        return slice_problem(req, i, "date", "must be a date, YYYY-MM-DD");
    if (q->date < c->tt->from_day || q->date > c->tt->to_day) {
        char why[160];
        search_horizon_text(c, q->date, why, sizeof(why));
        return slice_problem(req, i, "date", why);
    }
    return 1;
}

static int get_int(ct_http_req *req, json_t *o, const char *key, const char *field, int lo, int hi,
                   int *out)
{
    json_t *v = json_object_get(o, key);
    if (v == NULL)
        return 1;
    if (!json_is_integer(v) || json_integer_value(v) < lo || json_integer_value(v) > hi) {
        char msg[64];
        snprintf(msg, sizeof(msg), "must be a whole number from %d to %d", lo, hi);
        ct_http_problem_field(req, field, msg);
        return 0;
    }
    *out = (int)json_integer_value(v);
    return 1;
}

/* "HH:MM" -> minutes of the day (OUT: *minutes); CT_INVALID for anything else. */
static ct_status parse_hhmm(const char *s, int *minutes)
{
    if (s == NULL || strlen(s) != 5 || s[2] != ':' || !isdigit((unsigned char)s[0]) ||
        !isdigit((unsigned char)s[1]) || !isdigit((unsigned char)s[3]) ||
        !isdigit((unsigned char)s[4]))
        return CT_INVALID;
    int h = (s[0] - '0') * 10 + s[1] - '0', m = (s[3] - '0') * 10 + s[4] - '0';
    if (h >= 24 || m >= 60)
        return CT_INVALID;
    *minutes = h * 60 + m;
    return CT_OK;
}

static int parse_window(ct_http_req *req, json_t *w, const char *name, int *from, int *to)
{
    char field[64];
    if (w == NULL)
        return 1;
    int bad_from = parse_hhmm(json_string_value(json_object_get(w, "from")), from) != CT_OK;
    int bad_to = !bad_from && parse_hhmm(json_string_value(json_object_get(w, "to")), to) != CT_OK;
    if (bad_from || bad_to) {
        snprintf(field, sizeof(field), "filters.%s.%s", name, bad_from ? "from" : "to");
        ct_http_problem_field(req, field, "must be a local time, HH:MM");
        return 0;
    }
    return 1;
}

static int list_problem(ct_http_req *req, const char *name, const char *msg)
{
    char field[64];
    snprintf(field, sizeof(field), "filters.%s", name);
    ct_http_problem_field(req, field, msg);
    return 0;
}

static int carrier_index(const ct_timetable *tt, const char *code)
{
    for (size_t i = 0; code != NULL && i < tt->ncarriers; i++) {
        if (strcasecmp(tt->carriers[i], code) == 0)
            return (int)i;
    }
    return -1;
}

static int cmp_u16(const void *a, const void *b)
{
    return (int)*(const uint16_t *)a - (int)*(const uint16_t *)b;
}

static int parse_lists(ct_http_req *req, const search_ctx *c, json_t *f, request *r)
{
    ct_trip_filters *fl = &r->filters;
    json_t *v;
    size_t i;
    json_t *carriers = json_object_get(f, "carriers");
    if (carriers != NULL && (!json_is_array(carriers) || json_array_size(carriers) > MAX_CARRIERS))
        return list_problem(req, "carriers", "must be a list of up to 2048 airline codes");
    json_array_foreach(carriers, i, v)
    {
        if (!json_is_string(v) || strlen(json_string_value(v)) != 2)
            return list_problem(req, "carriers", "must be a list of two-character airline codes");
        int k = carrier_index(c->tt, json_string_value(v));
        r->carriers[fl->ncarriers] = (uint16_t)(k < 0 ? UINT16_MAX : k); /* unknown: no match */
        fl->ncarriers++;
    }
    qsort(r->carriers, (size_t)fl->ncarriers, sizeof(r->carriers[0]), cmp_u16); /* bsearch */
    fl->carriers = r->carriers;
    json_t *alliances = json_object_get(f, "alliances");
    if (alliances != NULL && (!json_is_array(alliances) || json_array_size(alliances) > MAX_LIST))
        return list_problem(req, "alliances", "must be a list of up to 32 alliance names");
    json_array_foreach(alliances, i, v)
    {
        if (!json_is_string(v))
            return list_problem(req, "alliances", "must be a list of alliance names");
        r->alliances[fl->nalliances++] = (uint8_t)ct_pricebook_alliance_id(json_string_value(v));
    }
    fl->alliances = r->alliances;
    json_t *lay = json_object_get(f, "layover_airports");
    if (lay != NULL && (!json_is_array(lay) || json_array_size(lay) > MAX_LIST))
        return list_problem(req, "layover_airports", "must be a list of up to 32 airport codes");
    json_array_foreach(lay, i, v)
    {
        int n = search_resolve_place(c->tt, json_string_value(v), &r->layovers[fl->nlayovers], 8);
        if (n == 0)
            return list_problem(req, "layover_airports", "must list known airport or city codes");
        fl->nlayovers += n;
    }
    fl->layovers = r->layovers;
    json_t *stops = json_object_get(f, "stops");
    if (stops != NULL && !json_is_array(stops))
        return list_problem(req, "stops", "must be a list of 0, 1 or 2");
    json_array_foreach(stops, i, v)
    {
        if (!json_is_integer(v) || json_integer_value(v) < 0 || json_integer_value(v) > 2)
            return list_problem(req, "stops", "must be a list of 0, 1 or 2");
        fl->stops_mask |= 1u << json_integer_value(v);
    }
    return 1;
}

static int parse_filters(ct_http_req *req, const search_ctx *c, json_t *f, request *r)
{
    ct_trip_filters *fl = &r->filters;
    ct_trip_filters_init(fl);
    if (f == NULL)
        return 1;
    if (!json_is_object(f)) {
        ct_http_problem_field(req, "filters", "must be an object");
        return 0;
    }
    static const char *const known[] = {"stops",
                                        "carriers",
                                        "alliances",
                                        "departure_window",
                                        "arrival_window",
                                        "max_duration_minutes",
                                        "layover_airports",
                                        "min_layover_minutes",
                                        "max_layover_minutes",
                                        "no_self_transfer",
                                        "max_price",
                                        "emissions"};
    const char *key;
    json_t *v;
    json_object_foreach(f, key, v)
    {
        int ok = 0;
        for (size_t k = 0; k < sizeof(known) / sizeof(known[0]) && !ok; k++)
            ok = strcmp(key, known[k]) == 0;
        if (!ok)
            return list_problem(req, key, "is not a known filter");
    }
    if (!parse_lists(req, c, f, r) ||
        !parse_window(req, json_object_get(f, "departure_window"), "departure_window",
                      &fl->dep_from, &fl->dep_to) ||
        !parse_window(req, json_object_get(f, "arrival_window"), "arrival_window", &fl->arr_from,
                      &fl->arr_to) ||
        !get_int(req, f, "max_duration_minutes", "filters.max_duration_minutes", 1, 10000,
                 &fl->max_minutes) ||
        !get_int(req, f, "min_layover_minutes", "filters.min_layover_minutes", 0, 1440,
                 &fl->min_layover) ||
        !get_int(req, f, "max_layover_minutes", "filters.max_layover_minutes", 0, 1440,
                 &fl->max_layover))
        return 0;
    json_t *nst = json_object_get(f, "no_self_transfer");
    if (nst != NULL && !json_is_boolean(nst))
        return list_problem(req, "no_self_transfer", "must be true or false");
    fl->no_self_transfer = json_is_true(nst);
    json_t *mp = json_object_get(f, "max_price");
    if (mp != NULL) {
        if (!json_is_number(mp) || json_number_value(mp) < 0 || json_number_value(mp) > 1e9)
            return list_problem(req, "max_price", "must be a non-negative amount");
        double unit = ct_currency_unit(c->pc.minor_digits);
        fl->max_price = (int64_t)(json_number_value(mp) * unit + 0.5);
    }
    json_t *em = json_object_get(f, "emissions");
    if (em != NULL && (!json_is_string(em) || strcmp(json_string_value(em), "lower") != 0))
        return list_problem(req, "emissions",
                            "must be \"lower\" (10 % or more below the route's typical)");
    r->lower_emissions = em != NULL;
    return 1;
}

static int parse_options(ct_http_req *req, json_t *in, search_ctx *c, request *r)
{
    json_t *pax = json_object_get(in, "passengers");
    if (pax != NULL && !json_is_object(pax)) {
        ct_http_problem_field(req, "passengers", "must be an object");
        return 0;
    }
    if (!get_int(req, pax, "adults", "passengers.adults", 1, 9, &c->adults) ||
        !get_int(req, pax, "children", "passengers.children", 0, 8, &c->children) ||
        !get_int(req, pax, "infants", "passengers.infants", 0, 9, &c->infants) ||
        !get_int(req, pax, "infants_in_seat", "passengers.infants_in_seat", 0, 8,
                 &c->seat_infants) ||
        !get_int(req, in, "max_stops", "max_stops", 0, 2, &c->max_stops) ||
        !get_int(req, in, "offset", "offset", 0, 100000, &r->offset) ||
        !get_int(req, in, "limit", "limit", 1, 100, &r->limit))
        return 0;
    json_t *cabin = json_object_get(in, "cabin");
    const char *cn = json_string_value(cabin);
    c->cabin = CT_CABIN_ECONOMY;
    if (cabin != NULL && (cn == NULL || ct_cabin_parse(cn, &c->cabin) != 0)) {
        ct_http_problem_field(req, "cabin", "must be economy, premium_economy, business or first");
        return 0;
    }
    json_t *cur = json_object_get(in, "currency");
    if (cur != NULL) {
        const char *s = json_string_value(cur);
        if (s == NULL || strlen(s) != 3) {
            ct_http_problem_field(req, "currency", "must be an ISO 4217 code such as EUR");
            return 0;
        }
        snprintf(c->currency, sizeof(c->currency), "%s", s);
    }
    static const char *const sorts[] = {"best",     "cheapest", "fastest",
                                        "earliest", "latest",   "lowest_emissions"};
    json_t *sort = json_object_get(in, "sort");
    r->sort = CT_SORT_BEST;
    r->sort_name = "best";
    if (sort != NULL) {
        int found = -1;
        for (int i = 0; i < 6 && json_is_string(sort); i++) {
            if (strcmp(json_string_value(sort), sorts[i]) == 0)
                found = i;
        }
        if (found < 0) {
            ct_http_problem_field(req, "sort",
                                  "must be best, cheapest, fastest, earliest, latest or "
                                  "lowest_emissions");
            return 0;
        }
        r->sort = (ct_trip_sort)found;
        r->sort_name = sorts[found];
    }
    return search_ctx_validate(req, c, "passengers.");
}

/* Validates the whole request; on failure replies 400 naming the field and returns 0. */
static int parse_request(ct_http_req *req, json_t *in, search_ctx *c, request *r)
{
    r->limit = 20;
    if (!parse_options(req, in, c, r))
        return 0;
    json_t *slices = json_object_get(in, "slices");
    if (!json_is_array(slices) || json_array_size(slices) == 0 ||
        json_array_size(slices) > CT_TRIP_MAX_SLICES) {
        ct_http_problem_field(req, "slices", "must be an array of 1 to 6 slices");
        return 0;
    }
    r->nslices = json_array_size(slices);
    for (size_t i = 0; i < r->nslices; i++) {
        if (!parse_slice(req, c, json_array_get(slices, i), i, r))
            return 0;
        if (i > 0 && r->q[i].date < r->q[i - 1].date)
            return slice_problem(req, i, "date", "must not be before the previous slice's date");
    }
    return parse_filters(req, c, json_object_get(in, "filters"), r);
}

/* ---- the answer ---- */

/* Separate tickets' parts: each slice with the provider that sells it cheapest (what POST
 * /api/v1/offers takes back as "parts"). */
static void separate_parts_w(ct_jw *w, const search_ctx *c, const ct_trip *t)
{
    static const char *const kinds[] = {"airline", "agency", "combiner"};
    const ct_pb_snapshot *s = c->view.snap;
    ct_jw_key(w, "parts");
    ct_jw_arr(w);
    for (int i = 0; i < t->nslices; i++) {
        int64_t per[CT_MAX_PROVIDERS];
        const ct_itinerary *it = &t->slice[i];
        ct_price_itinerary(&c->pc, it->legs, it->nlegs, per);
        int best = -1;
        for (int p = 0; p < s->nproviders; p++)
            if (per[p] >= 0 && (best < 0 || per[p] < per[best]))
                best = p;
        if (best < 0)
            continue;
        const ct_provider_desc *d = &s->providers[best].desc;
        int64_t native = ct_price_slice_provider(&c->pc, best, it->legs, it->nlegs, NULL);
        ct_jw_obj(w);
        ct_jw_kstr(w, "provider", d->name);
        ct_jw_kstr(w, "provider_name",
                   ct_partner_display_name(c->partners, d->name, kinds[d->kind]));
        ct_jw_key(w, "slices");
        ct_jw_arr(w);
        ct_jw_int(w, i);
        ct_jw_arr_end(w);
        ct_jw_key(w, "price");
        search_money_w(w, c, per[best]);
        ct_jw_key(w, "original");
        search_money_in_w(w, ct_price_native_total(&c->pc, best, native), d->currency,
                          d->minor_digits);
        ct_jw_obj_end(w);
    }
    ct_jw_arr_end(w);
}

static void offers_w(ct_jw *w, const search_ctx *c, const ct_trip *t)
{
    ct_jw_arr(w);
    if (c->pb != NULL) {
        const ct_pb_snapshot *s = c->view.snap;
        static const char *const kinds[] = {"airline", "agency", "combiner"};
        for (int p = 0; p < s->nproviders; p++) {
            if (t->offer[p] < 0)
                continue;
            const ct_provider_desc *d = &s->providers[p].desc;
            ct_jw_obj(w);
            ct_jw_kstr(w, "provider", d->name);
            ct_jw_kstr(w, "provider_name",
                       ct_partner_display_name(c->partners, d->name, kinds[d->kind]));
            ct_jw_kstr(w, "kind", kinds[d->kind]);
            ct_jw_key(w, "price");
            search_money_w(w, c, t->offer[p]);
            ct_jw_key(w, "original");
            search_money_in_w(w, t->native[p], d->currency, d->minor_digits);
            ct_jw_kbool(w, "self_transfer", d->kind == CT_PROVIDER_COMBINER);
            ct_jw_obj_end(w);
        }
        if (t->separate >= 0 && t->separate <= t->price) {
            ct_jw_obj(w);
            ct_jw_kstr(w, "provider", "separate-tickets");
            ct_jw_kstr(w, "provider_name", ct_partner_display_name(NULL, NULL, "separate"));
            ct_jw_kstr(w, "kind", "separate");
            ct_jw_key(w, "price");
            search_money_w(w, c, t->separate);
            ct_jw_key(w, "original");
            search_money_w(w, c, t->separate);
            ct_jw_kbool(w, "self_transfer", 0);
            separate_parts_w(w, c, t);
            ct_jw_obj_end(w);
        }
    }
    ct_jw_arr_end(w);
}

/* "emissions": {co2e_kg, typical_kg, percent_vs_typical, label} per passenger. */
static void emissions_w(ct_jw *w, const search_ctx *c, const ct_trip *t)
{
    ct_jw_key(w, "emissions");
    if (t->co2e_g <= 0) {
        ct_jw_null(w);
        return;
    }
    ct_jw_obj(w);
    ct_jw_kint(w, "co2e_kg", (t->co2e_g + 500) / 1000);
    ct_jw_kint(w, "typical_kg", (c->typical_co2e_g + 500) / 1000);
    ct_jw_kint(w, "percent_vs_typical",
               c->typical_co2e_g > 0
                   ? (int64_t)llround(100.0 * (double)(t->co2e_g - c->typical_co2e_g) /
                                      (double)c->typical_co2e_g)
                   : 0);
    ct_jw_kstr(w, "label", ct_co2e_label(t->co2e_g, c->typical_co2e_g));
    ct_jw_obj_end(w);
}

static void trip_w(ct_jw *w, const search_ctx *c, const ct_trip *t)
{
    const ct_itinerary *parts[CT_TRIP_MAX_SLICES];
    uint16_t carriers[CT_TRIP_MAX_SLICES * CT_SEARCH_MAX_LEGS];
    int ncarriers = 0;
    for (int i = 0; i < t->nslices; i++) {
        parts[i] = &t->slice[i];
        for (int k = 0; k < t->slice[i].nlegs; k++) {
            uint16_t code = t->slice[i].legs[k]->carrier;
            int seen = 0;
            for (int j = 0; j < ncarriers && !seen; j++)
                seen = strcmp(c->tt->carriers[carriers[j]], c->tt->carriers[code]) == 0;
            if (!seen)
                carriers[ncarriers++] = code;
        }
    }
    char id[512];
    search_itinerary_id(c->tt, parts, t->nslices, id, sizeof(id));
    ct_jw_obj(w);
    ct_jw_kstr(w, "id", id);
    ct_jw_key(w, "price");
    search_money_w(w, c, t->price);
    ct_jw_key(w, "score");
    ct_jw_real(w, t->score);
    ct_jw_kint(w, "duration_minutes", t->minutes);
    ct_jw_kint(w, "stops", t->stops);
    ct_jw_kbool(w, "self_transfer", t->self_transfers > 0);
    emissions_w(w, c, t);
    ct_jw_key(w, "carriers");
    ct_jw_arr(w);
    for (int j = 0; j < ncarriers; j++)
        ct_jw_str(w, c->tt->carriers[carriers[j]]);
    ct_jw_arr_end(w);
    ct_jw_key(w, "slices");
    ct_jw_arr(w);
    for (int i = 0; i < t->nslices; i++)
        search_itinerary_w(w, c, &t->slice[i]);
    ct_jw_arr_end(w);
    ct_jw_key(w, "offers");
    offers_w(w, c, t);
    ct_jw_obj_end(w);
}

typedef struct facet {
    int key; /* carrier index, stops, or airport index */
    int count;
    int64_t min_price;
} facet;

static void facet_add(facet *f, int *n, int cap, int key, int64_t price)
{
    for (int i = 0; i < *n; i++) {
        if (f[i].key == key) {
            f[i].count++;
            if (price < f[i].min_price)
                f[i].min_price = price;
            return;
        }
    }
    if (*n < cap)
        f[(*n)++] = (facet){key, 1, price};
}

/* The alliance every leg of the trip belongs to, or 0. */
static int trip_alliance(const search_ctx *c, const ct_trip *t)
{
    if (c->pb == NULL)
        return 0;
    int al = -1;
    for (int s = 0; s < t->nslices; s++) {
        for (int k = 0; k < t->slice[s].nlegs; k++) {
            int a = c->view.snap->alliance[t->slice[s].legs[k]->carrier];
            if (a == 0 || (al > 0 && a != al))
                return 0;
            al = a;
        }
    }
    return al < 0 ? 0 : al;
}

static const char *alliance_display(const char *code)
{
    static const char *const names[][2] = {{"star", "Star Alliance"},
                                           {"sky", "SkyTeam"},
                                           {"skyteam", "SkyTeam"},
                                           {"oneworld", "oneworld"}};
    for (size_t i = 0; code != NULL && i < sizeof(names) / sizeof(names[0]); i++) {
        if (strcmp(code, names[i][0]) == 0)
            return names[i][1];
    }
    return code != NULL ? code : "";
}

/* A facet value's count and cheapest price, closing its object. */
static void facet_tail_w(ct_jw *w, const search_ctx *c, const facet *f)
{
    ct_jw_kint(w, "count", f->count);
    ct_jw_key(w, "min_price");
    search_money_w(w, c, f->min_price);
    ct_jw_obj_end(w);
}

static void facets_w(ct_jw *w, const search_ctx *c, const ct_trip_result *res)
{
    enum { CAP = 256 };
    facet carriers[CAP], stops[3], airports[CAP], alliances[CAP];
    int nc = 0, ns = 0, na = 0, nal = 0;
    int64_t pmin = CT_PRICE_UNKNOWN, pmax = -1;
    int dmin = 0, dmax = 0;
    int32_t smin[CT_TRIP_MAX_SLICES] = {0}, smax[CT_TRIP_MAX_SLICES] = {0}; /* per slice */
    int nslices = res->n > 0 ? res->items[0].nslices : 0;
    for (size_t i = 0; i < res->n; i++) {
        const ct_trip *t = &res->items[i];
        int most = 0;
        for (int s = 0; s < t->nslices; s++) {
            const ct_itinerary *it = &t->slice[s];
            most = it->nlegs - 1 > most ? it->nlegs - 1 : most;
            for (int k = 0; k < it->nlegs; k++) {
                facet_add(carriers, &nc, CAP, it->legs[k]->carrier, t->price);
                if (k > 0)
                    facet_add(airports, &na, CAP, it->legs[k]->from, t->price);
            }
        }
        facet_add(stops, &ns, 3, most, t->price);
        int al = trip_alliance(c, t);
        if (al > 0)
            facet_add(alliances, &nal, CAP, al, t->price);
        if (t->price != CT_PRICE_UNKNOWN) {
            pmin = t->price < pmin ? t->price : pmin;
            pmax = t->price > pmax ? t->price : pmax;
        }
        dmin = i == 0 || t->minutes < dmin ? t->minutes : dmin;
        dmax = t->minutes > dmax ? t->minutes : dmax;
        for (int s = 0; s < t->nslices && s < CT_TRIP_MAX_SLICES; s++) {
            int32_t m = t->slice[s].arr - t->slice[s].dep;
            smin[s] = i == 0 || m < smin[s] ? m : smin[s];
            smax[s] = m > smax[s] ? m : smax[s];
        }
    }
    ct_jw_obj(w);
    ct_jw_key(w, "carriers");
    ct_jw_arr(w);
    for (int i = 0; i < nc; i++) {
        const char *code = c->tt->carriers[carriers[i].key];
        uint8_t al = c->pb != NULL ? c->view.snap->alliance[carriers[i].key] : 0;
        const char *an = ct_pricebook_alliance_name(al);
        ct_jw_obj(w);
        ct_jw_kstr(w, "code", code);
        ct_jw_kstr(w, "name", search_airline_name(c->tt->rd, code));
        ct_jw_key(w, "alliance");
        if (an != NULL)
            ct_jw_str(w, an);
        else
            ct_jw_null(w);
        facet_tail_w(w, c, &carriers[i]);
    }
    ct_jw_arr_end(w);
    ct_jw_key(w, "alliances");
    ct_jw_arr(w);
    for (int i = 0; i < nal; i++) {
        const char *code = ct_pricebook_alliance_name(alliances[i].key);
        ct_jw_obj(w);
        ct_jw_kstr(w, "code", code);
        ct_jw_kstr(w, "name", alliance_display(code));
        facet_tail_w(w, c, &alliances[i]);
    }
    ct_jw_arr_end(w);
    ct_jw_key(w, "stops");
    ct_jw_arr(w);
    for (int s = 0; s <= 2; s++) {
        for (int i = 0; i < ns; i++) {
            if (stops[i].key != s)
                continue;
            ct_jw_obj(w);
            ct_jw_kint(w, "stops", s);
            facet_tail_w(w, c, &stops[i]);
        }
    }
    ct_jw_arr_end(w);
    ct_jw_key(w, "layover_airports");
    ct_jw_arr(w);
    for (int i = 0; i < na; i++) {
        const ct_airport *ap = ct_refdata_airport_at(c->tt->rd, (size_t)airports[i].key);
        ct_jw_obj(w);
        ct_jw_kstr(w, "code", ap->iata);
        ct_jw_kstr(w, "name", ap->name ? ap->name : ap->iata); /* readable, no lookup per code */
        ct_jw_kstr(w, "city", ap->city ? ap->city : "");
        ct_jw_kint(w, "count", airports[i].count);
        ct_jw_obj_end(w);
    }
    ct_jw_arr_end(w);
    ct_jw_key(w, "price_range");
    if (pmax < 0) {
        ct_jw_null(w);
    } else {
        ct_jw_obj(w);
        ct_jw_key(w, "min");
        search_money_w(w, c, pmin);
        ct_jw_key(w, "max");
        search_money_w(w, c, pmax);
        ct_jw_obj_end(w);
    }
    ct_jw_key(w, "duration_range");
    ct_jw_obj(w);
    ct_jw_kint(w, "min", dmin);
    ct_jw_kint(w, "max", dmax);
    ct_jw_obj_end(w);
    /* Each slice's own range: the "maximum duration (each flight)" filter's choices. */
    ct_jw_key(w, "slice_duration_ranges");
    ct_jw_arr(w);
    for (int s = 0; s < nslices; s++) {
        ct_jw_obj(w);
        ct_jw_kint(w, "min", smin[s]);
        ct_jw_kint(w, "max", smax[s]);
        ct_jw_obj_end(w);
    }
    ct_jw_arr_end(w);
    ct_jw_obj_end(w);
}

/* The cheapest priced trip of the whole set (filters do not change a route's price). */
static int64_t cheapest_price(const ct_trip_result *res)
{
    int64_t best = CT_PRICE_UNKNOWN;
    for (size_t i = 0; i < res->n; i++) {
        if (res->items[i].price != CT_PRICE_UNKNOWN && res->items[i].price < best)
            best = res->items[i].price;
    }
    return best;
}

/* History keeps one-way prices: a one-way answer's cheapest is noted and compared; trips of
 * several slices get no level (their prices are not one-way prices). */
static void insight_w(ct_jw *w, const search_ctx *c, const request *r, const ct_trip_result *res)
{
    int64_t best = cheapest_price(res);
    if (r->nslices == 1) {
        search_history_note(c, c->history, r->sq[0].origin, r->sq[0].destination, r->q[0].date,
                            best);
        search_insight_w(w, c, c->history, r->sq[0].origin, r->sq[0].destination, r->q[0].date,
                         best, NULL);
    } else {
        search_insight_w(w, c, c->history, r->sq[0].origin, r->sq[0].destination, r->q[0].date,
                         best,
                         "price history covers one-way prices: none for trips of "
                         "several flights yet");
    }
}

static void answer_w(ct_jw *w, ct_arena *arena, ct_app *app, const search_ctx *c, const request *r,
                     ct_trip_result *res)
{
    const ct_price_ctx *pc = c->pb != NULL ? &c->pc : NULL;
    ct_trip_rank(res->items, res->n, pc, r->sort);
    ct_jw_obj(w);
    ct_jw_kstr(w, "currency", c->currency);
    ct_jw_kbool(w, "priced", c->pb != NULL);
    ct_jw_key(w, "passengers");
    ct_jw_obj(w);
    ct_jw_kint(w, "adults", c->adults);
    ct_jw_kint(w, "children", c->children);
    ct_jw_kint(w, "infants", c->infants);
    ct_jw_kint(w, "infants_in_seat", c->seat_infants);
    ct_jw_obj_end(w);
    ct_jw_kstr(w, "cabin", ct_cabin_name(c->cabin));
    ct_jw_kstr(w, "sort", r->sort_name);
    ct_jw_kint(w, "offset", r->offset);
    ct_jw_kint(w, "limit", r->limit);
    /* Each trip tested against the filters once: the total, then the page (the marks in the
     * request's arena; without room, the page tests again). */
    uint8_t *match = ct_arena_alloc(arena, res->n ? res->n : 1);
    size_t total = 0;
    for (size_t i = 0; i < res->n; i++) {
        int m = ct_trip_matches(c->tt, pc, &res->items[i], &r->filters);
        if (match != NULL)
            match[i] = (uint8_t)m;
        total += (size_t)m;
    }
    ct_jw_kint(w, "total", (int64_t)total);
    ct_jw_kint(w, "unfiltered_total", (int64_t)res->n);
    ct_jw_kbool(w, "truncated", res->truncated);
    ct_jw_key(w, "slices");
    ct_jw_arr(w);
    for (size_t i = 0; i < r->nslices; i++) {
        ct_jw_obj(w);
        ct_jw_kstr(w, "origin", r->sq[i].origin);
        ct_jw_kstr(w, "destination", r->sq[i].destination);
        ct_jw_kstr(w, "date", r->sq[i].date);
        ct_jw_obj_end(w);
    }
    ct_jw_arr_end(w);
    ct_jw_key(w, "itineraries");
    ct_jw_arr(w);
    size_t seen = 0;
    for (size_t i = 0; i < res->n && seen < (size_t)r->offset + (size_t)r->limit; i++) {
        if (match != NULL ? !match[i] : !ct_trip_matches(c->tt, pc, &res->items[i], &r->filters))
            continue;
        if (seen >= (size_t)r->offset)
            trip_w(w, c, &res->items[i]);
        seen++;
    }
    ct_jw_arr_end(w);
    ct__api_prediction_w(w, app, c, &r->q[0], cheapest_price(res));
    ct_jw_key(w, "facets");
    facets_w(w, c, res);
    ct_jw_key(w, "insight");
    insight_w(w, c, r, res);
    ct_jw_obj_end(w);
}

void ct__api_searches(ct_http_req *req, ct_api_call *call)
{
    search_ctx c;
    if (!search_ctx_open(req, call, &c))
        return;
    size_t key_len = 0;
    const char *key = ct_http_body(req, &key_len); /* the same request, the same answer */
    if (search_cache_reply(req, call, &c, key, key_len)) {
        search_ctx_close(&c);
        return;
    }
    json_t *in = ct__api_body_object(req);
    if (in == NULL) {
        search_ctx_close(&c);
        return;
    }
    request r;
    memset(&r, 0, sizeof(r));
    ct_trip_result res = {0};
    if (!parse_request(req, in, &c, &r))
        goto done;
    ct_status rc = ct_trip_search(c.tt, r.q, (int)r.nslices, &res);
    if (rc) {
        ct_http_problem_status(req, rc, "search failed");
        goto done;
    }
    /* Emissions (search/emissions.h): per trip, and the route's typical in this answer (the
     * median of the unfiltered set) for the labels and the "lower" filter. */
    ct_trips_set_co2e(c.tt, res.items, res.n, c.cabin);
    c.typical_co2e_g = ct_trips_typical_co2e(res.items, res.n);
    if (r.lower_emissions)
        r.filters.max_co2e_g = c.typical_co2e_g * 9 / 10 > 0 ? c.typical_co2e_g * 9 / 10 : 1;
    ct_strbuf sb;
    ct_strbuf_init(&sb, (size_t)64 << 20);
    ct_strbuf_reserve(&sb, (size_t)64 << 10); /* a page of 20 is about 40 KB */
    ct_jw w;
    ct_jw_init(&w, &sb);
    answer_w(&w, ct_http_arena(req), call->app, &c, &r, &res);
    if (ct_jw_status(&w) != CT_OK)
        ct_http_problem(req, 500, "Internal error", "could not serialise the response");
    else
        search_reply_text(req, call, &c, key, key_len, sb.data, sb.len);
    ct_strbuf_free(&sb);
done:
    ct_trip_result_free(&res);
    search_ctx_close(&c);
    json_decref(in); /* the slice strings point into it until the reply is built */
}
