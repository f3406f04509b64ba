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
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "api/search_common.h"
#include "base/timeutil.h"
#include "http/problem.h"

#define MAX_LIST 32

typedef struct slice_query {
    uint16_t orig[8], dest[8];
    const char *origin, *destination, *date;
} slice_query;

typedef struct request {
    slice_query sq[CT_TRIP_MAX_SLICES];
    ct_search_query q[CT_TRIP_MAX_SLICES];
    size_t nslices;
    ct_trip_filters filters;
    uint16_t carriers[MAX_LIST], layovers[MAX_LIST * 8];
    uint8_t alliances[MAX_LIST];
    ct_trip_sort sort;
    const char *sort_name;
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
    if (q->date < c->tt->from_day || q->date > c->tt->to_day)
        return slice_problem(req, i, "date", "is outside the loaded schedules");
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

/* "HH:MM" -> minutes of the day, or -1. */
static int parse_hhmm(const char *s)
{
    if (s == NULL || strlen(s) != 5 || s[2] != ':' || !isdigit((unsigned char)s[0]) ||
        !isdigit((unsigned char)s[1]) || !isdigit((unsigned char)s[3]) ||
        !isdigit((unsigned char)s[4]))
        return -1;
    int h = (s[0] - '0') * 10 + s[1] - '0', m = (s[3] - '0') * 10 + s[4] - '0';
    return h < 24 && m < 60 ? h * 60 + m : -1;
}

static int parse_window(ct_http_req *req, json_t *w, const char *name, int *from, int *to)
{
    char field[64];
    if (w == NULL)
        return 1;
    *from = parse_hhmm(json_string_value(json_object_get(w, "from")));
    *to = parse_hhmm(json_string_value(json_object_get(w, "to")));
    if (*from < 0 || *to < 0) {
        snprintf(field, sizeof(field), "filters.%s.%s", name, *from < 0 ? "from" : "to");
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

static int parse_lists(ct_http_req *req, const search_ctx *c, json_t *f, request *r)
{
    ct_trip_filters *fl = &r->filters;
    json_t *v;
    size_t i;
    json_t *carriers = json_object_get(f, "carriers");
    if (carriers != NULL && (!json_is_array(carriers) || json_array_size(carriers) > MAX_LIST))
        return list_problem(req, "carriers", "must be a list of up to 32 airline codes");
    json_array_foreach(carriers, i, v)
    {
        if (!json_is_string(v) || strlen(json_string_value(v)) != 2)
            return list_problem(req, "carriers", "must be a list of two-character airline codes");
        int k = carrier_index(c->tt, json_string_value(v));
        r->carriers[fl->ncarriers] = (uint16_t)(k < 0 ? UINT16_MAX : k); /* unknown: no match */
        fl->ncarriers++;
    }
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
                                        "max_price"};
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
        double unit = c->pc.minor_digits == 0 ? 1 : 100;
        fl->max_price = (int64_t)(json_number_value(mp) * unit + 0.5);
    }
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
        !get_int(req, in, "max_stops", "max_stops", 0, 2, &c->max_stops) ||
        !get_int(req, in, "offset", "offset", 0, 100000, &r->offset) ||
        !get_int(req, in, "limit", "limit", 1, 100, &r->limit))
        return 0;
    json_t *cabin = json_object_get(in, "cabin");
    const char *cn = json_string_value(cabin);
    if (cabin != NULL && (cn == NULL || (strcmp(cn, "economy") && strcmp(cn, "business")))) {
        ct_http_problem_field(req, "cabin", "must be economy or business");
        return 0;
    }
    c->cabin = cn != NULL && strcmp(cn, "business") == 0 ? CT_CABIN_BUSINESS : CT_CABIN_ECONOMY;
    json_t *cur = json_object_get(in, "currency");
    if (cur != NULL) {
        const char *s = json_string_value(cur);
        if (s == NULL || strlen(s) != 3) {
            ct_http_problem_field(req, "currency", "must be an ISO 4217 code such as EUR");
            return 0;
        }
        snprintf(c->currency, sizeof(c->currency), "%s", s);
    }
    static const char *const sorts[] = {"best", "cheapest", "fastest", "earliest", "latest"};
    json_t *sort = json_object_get(in, "sort");
    r->sort = CT_SORT_BEST;
    r->sort_name = "best";
    if (sort != NULL) {
        int found = -1;
        for (int i = 0; i < 5 && json_is_string(sort); i++) {
            if (strcmp(json_string_value(sort), sorts[i]) == 0)
                found = i;
        }
        if (found < 0) {
            ct_http_problem_field(req, "sort",
                                  "must be best, cheapest, fastest, earliest or latest");
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

static json_t *offers_json(const search_ctx *c, const ct_trip *t)
{
    json_t *offers = json_array();
    if (c->pb == NULL)
        return offers;
    const ct_pb_snapshot *s = c->view.snap;
    static const char *const kinds[] = {"airline", "agency", "combiner"};
    for (int p = 0; p < s->nproviders; p++) {
        if (t->offer[p] < 0)
            continue;
        const ct_provider_desc *d = &s->providers[p].desc;
        json_array_append_new(offers,
                              json_pack("{s:s, s:s, s:o, s:o, s:b}", "provider", d->name, "kind",
                                        kinds[d->kind], "price", search_money_json(c, t->offer[p]),
                                        "original",
                                        search_money_in(t->native[p], d->currency, d->minor_digits),
                                        "self_transfer", d->kind == CT_PROVIDER_COMBINER));
    }
    if (t->separate >= 0 && t->separate <= t->price)
        json_array_append_new(
            offers, json_pack("{s:s, s:s, s:o, s:o, s:b}", "provider", "separate-tickets", "kind",
                              "separate", "price", search_money_json(c, t->separate), "original",
                              search_money_json(c, t->separate), "self_transfer", 0));
    return offers;
}

static json_t *trip_json(const search_ctx *c, const ct_trip *t)
{
    json_t *slices = json_array(), *carriers = json_array();
    const ct_itinerary *parts[CT_TRIP_MAX_SLICES];
    for (int i = 0; i < t->nslices; i++) {
        parts[i] = &t->slice[i];
        json_array_append_new(slices, search_itinerary_json(c, &t->slice[i]));
        for (int k = 0; k < t->slice[i].nlegs; k++) {
            const char *code = c->tt->carriers[t->slice[i].legs[k]->carrier];
            size_t j;
            json_t *v;
            int seen = 0;
            json_array_foreach(carriers, j, v) seen |= strcmp(json_string_value(v), code) == 0;
            if (!seen)
                json_array_append_new(carriers, json_string(code));
        }
    }
    char id[512];
    search_itinerary_id(c->tt, parts, t->nslices, id, sizeof(id));
    return json_pack("{s:s, s:o, s:f, s:i, s:i, s:b, s:o, s:o, s:o}", "id", id, "price",
                     search_money_json(c, t->price), "score", t->score, "duration_minutes",
                     t->minutes, "stops", t->stops, "self_transfer", t->self_transfers > 0,
                     "carriers", carriers, "slices", slices, "offers", offers_json(c, t));
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

static json_t *facets_json(const search_ctx *c, const ct_trip_result *res)
{
    enum { CAP = 256 };
    facet carriers[CAP], stops[3], airports[CAP], alliances[CAP];
    int nc = 0, ns = 0, na = 0, nal = 0;
    int64_t pmin = CT_PRICE_UNKNOWN, pmax = -1;
    int dmin = 0, dmax = 0;
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
    }
    json_t *jc = json_array(), *js = json_array(), *ja = json_array();
    for (int i = 0; i < nc; i++) {
        const char *code = c->tt->carriers[carriers[i].key];
        uint8_t al = c->pb != NULL ? c->view.snap->alliance[carriers[i].key] : 0;
        const char *an = ct_pricebook_alliance_name(al);
        json_array_append_new(jc, json_pack("{s:s, s:s, s:o, s:i, s:o}", "code", code, "name",
                                            search_airline_name(c->tt->rd, code), "alliance",
                                            an ? json_string(an) : json_null(), "count",
                                            carriers[i].count, "min_price",
                                            search_money_json(c, carriers[i].min_price)));
    }
    for (int s = 0; s <= 2; s++) {
        for (int i = 0; i < ns; i++) {
            if (stops[i].key == s)
                json_array_append_new(js, json_pack("{s:i, s:i, s:o}", "stops", s, "count",
                                                    stops[i].count, "min_price",
                                                    search_money_json(c, stops[i].min_price)));
        }
    }
    for (int i = 0; i < na; i++)
        json_array_append_new(
            ja, json_pack("{s:s, s:i}", "code",
                          ct_refdata_airport_at(c->tt->rd, (size_t)airports[i].key)->iata, "count",
                          airports[i].count));
    json_t *jal = json_array();
    for (int i = 0; i < nal; i++) {
        const char *code = ct_pricebook_alliance_name(alliances[i].key);
        json_array_append_new(jal,
                              json_pack("{s:s, s:s, s:i, s:o}", "code", code, "name",
                                        alliance_display(code), "count", alliances[i].count,
                                        "min_price", search_money_json(c, alliances[i].min_price)));
    }
    json_t *range = pmax < 0 ? json_null()
                             : json_pack("{s:o, s:o}", "min", search_money_json(c, pmin), "max",
                                         search_money_json(c, pmax));
    return json_pack("{s:o, s:o, s:o, s:o, s:o, s:{s:i, s:i}}", "carriers", jc, "alliances", jal,
                     "stops", js, "layover_airports", ja, "price_range", range, "duration_range",
                     "min", dmin, "max", dmax);
}

static json_t *answer_json(const search_ctx *c, const request *r, ct_trip_result *res)
{
    ct_trip_rank(res->items, res->n, c->pb != NULL ? &c->pc : NULL, r->sort);
    json_t *page = json_array();
    size_t total = 0;
    for (size_t i = 0; i < res->n; i++) {
        if (!ct_trip_matches(c->tt, c->pb != NULL ? &c->pc : NULL, &res->items[i], &r->filters))
            continue;
        if (total >= (size_t)r->offset && total < (size_t)r->offset + (size_t)r->limit)
            json_array_append_new(page, trip_json(c, &res->items[i]));
        total++;
    }
    json_t *slices = json_array();
    for (size_t i = 0; i < r->nslices; i++)
        json_array_append_new(slices,
                              json_pack("{s:s, s:s, s:s}", "origin", r->sq[i].origin, "destination",
                                        r->sq[i].destination, "date", r->sq[i].date));
    return json_pack("{s:s, s:b, s:{s:i, s:i, s:i}, s:s, s:s, s:i, s:i, s:I, s:I, s:b, s:o, "
                     "s:o, s:o}",
                     "currency", c->currency, "priced", c->pb != NULL, "passengers", "adults",
                     c->adults, "children", c->children, "infants", c->infants, "cabin",
                     c->cabin == CT_CABIN_BUSINESS ? "business" : "economy", "sort", r->sort_name,
                     "offset", r->offset, "limit", r->limit, "total", (json_int_t)total,
                     "unfiltered_total", (json_int_t)res->n, "truncated", res->truncated, "slices",
                     slices, "itineraries", page, "facets", facets_json(c, res));
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
    search_reply(req, call, &c, key, key_len, answer_json(&c, &r, &res));
done:
    ct_trip_result_free(&res);
    search_ctx_close(&c);
    json_decref(in); /* the slice strings point into it until the reply is built */
}
