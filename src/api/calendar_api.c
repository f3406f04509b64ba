/* calendar_api.c: GET /api/v1/calendar (price calendar, or the 7x7 round-trip date grid)
 * and GET /api/v1/explore (cheapest destinations from an origin), per docs/search-api.md.
 * Both need prices; without ingested prices every day and cell is null and explore is
 * empty. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "api/search_common.h"
#include "base/alloc.h"
#include "base/currency.h"
#include "base/timeutil.h"
#include "http/problem.h"
#include "search/calendar.h"

static int place_param(ct_http_req *req, const search_ctx *c, const char *name, uint16_t *out)
{
    int n = search_resolve_place(c->tt, ct_http_query(req, name), out, 8);
    if (n == 0)
        ct_http_problem_field(req, name, "must be a known airport or city code");
    return n;
}

static int date_param(ct_http_req *req, const search_ctx *c, const char *name, int64_t *day)
{
    const char *s = ct_http_query(req, name);
    if (s == NULL || ct_date_parse(s, day) != CT_OK) {
        ct_http_problem_field(req, name, "must be a date, YYYY-MM-DD");
        return 0;
    }
    if (*day < c->tt->from_day - 62 || *day > c->tt->to_day) {
        char why[160];
        search_horizon_text(c, *day, why, sizeof(why));
        ct_http_problem_field(req, name, why);
        return 0;
    }
    return 1;
}

static json_t *cheapest_json(const search_ctx *c, const ct_itinerary *it, int found)
{
    if (!found)
        return json_pack("{s:n, s:n, s:n}", "price", "stops", "duration_minutes");
    return json_pack("{s:o, s:i, s:i}", "price", search_money_json(c, it->price), "stops",
                     it->nlegs - 1, "duration_minutes", it->arr - it->dep);
}

static json_t *grid_json(const search_ctx *c, const ct_search_query *out,
                         const ct_search_query *ret, const ct_grid_cell *cells)
{
    json_t *deps = json_array(), *rets = json_array(), *rows = json_array();
    char date[16];
    for (int k = 0; k < 7; k++) {
        search_format_date(out->date - 3 + k, date);
        json_array_append_new(deps, json_string(date));
        search_format_date(ret->date - 3 + k, date);
        json_array_append_new(rets, json_string(date));
    }
    for (int d = 0; d < 7; d++) {
        json_t *row = json_array();
        for (int r = 0; r < 7; r++) {
            const ct_grid_cell *cell = &cells[d * 7 + r];
            json_array_append_new(
                row, json_pack("{s:o}", "price",
                               cell->found ? search_money_json(c, cell->best.price) : json_null()));
        }
        json_array_append_new(rows, row);
    }
    return json_pack("{s:o, s:o, s:o}", "departures", deps, "returns", rets, "cells", rows);
}

static const char *const CALENDAR_PARAMS[] = {
    "origin", "destination", "start",    "days",    "depart",          "return",   "currency",
    "cabin",  "adults",      "children", "infants", "infants_in_seat", "max_stops"};
static const char *const EXPLORE_PARAMS[] = {
    "origin", "date",     "month",   "region",          "max_price", "currency", "cabin",
    "adults", "children", "infants", "infants_in_seat", "max_stops", "limit",    "per_region"};

void ct__api_calendar(ct_http_req *req, ct_api_call *call)
{
    search_ctx c;
    if (!search_ctx_open(req, call, &c))
        return;
    size_t key_len = 0;
    char *key = search_query_key(req, CALENDAR_PARAMS,
                                 sizeof(CALENDAR_PARAMS) / sizeof(CALENDAR_PARAMS[0]), &key_len);
    if (search_cache_reply(req, call, &c, key, key_len)) {
        search_ctx_close(&c);
        return;
    }
    uint16_t orig[8], dest[8];
    ct_search_query q = {orig, 0, dest, 0, 0, 2, NULL};
    int64_t start = 0, ret_day = 0;
    int days = 30;
    int grid = ct_http_query(req, "return") != NULL;
    if (!search_ctx_from_query(req, &c, 2) ||
        (q.norigins = place_param(req, &c, "origin", orig)) == 0 ||
        (q.ndests = place_param(req, &c, "destination", dest)) == 0)
        goto done;
    for (int i = 0; i < q.norigins; i++) {
        for (int k = 0; k < q.ndests; k++) {
            if (orig[i] == dest[k]) {
                ct_http_problem_field(req, "destination", "must differ from the origin");
                goto done;
            }
        }
    }
    q.max_stops = c.max_stops;
    q.price = c.pb != NULL ? &c.pc : NULL;
    if (grid ? !date_param(req, &c, "depart", &start) || !date_param(req, &c, "return", &ret_day)
             : !date_param(req, &c, "start", &start))
        goto done;
    if (grid && ret_day < start) {
        ct_http_problem_field(req, "return", "must not be before depart");
        goto done;
    }
    days = search_query_int(req, "days", 30, 1, 62);
    if (days < 0) {
        ct_http_problem_field(req, "days", "must be a whole number from 1 to 62");
        goto done;
    }
    const char *orig_code = ct_http_query(req, "origin");
    const char *dest_code = ct_http_query(req, "destination");
    json_t *out = json_pack("{s:s, s:s, s:s, s:s}", "origin", ct_http_query(req, "origin"),
                            "destination", ct_http_query(req, "destination"), "currency",
                            c.currency, "cabin", ct_cabin_name(c.cabin));
    ct_status rc = CT_OK;
    if (grid) {
        ct_grid_cell cells[49];
        ct_search_query back = q;
        back.origins = dest;
        back.norigins = q.ndests;
        back.dests = orig;
        back.ndests = q.norigins;
        back.date = ret_day;
        q.date = start;
        if (q.price != NULL)
            rc = ct_date_grid(c.tt, &q, &back, cells);
        else
            memset(cells, 0, sizeof(cells));
        if (!rc)
            json_object_set_new(out, "grid", grid_json(&c, &q, &back, cells));
        if (!rc)
            json_object_set_new(out, "insight",
                                search_insight_json(&c, c.history, orig_code, dest_code, start,
                                                    CT_PRICE_UNKNOWN,
                                                    "price history covers one-way prices: none "
                                                    "for round trips yet"));
    } else {
        ct_day_price *prices = ct_calloc((size_t)days, sizeof(ct_day_price));
        q.date = start;
        rc = prices == NULL    ? CT_NOMEM
             : q.price != NULL ? ct_calendar(c.tt, &q, days, prices)
                               : CT_OK;
        json_t *arr = json_array();
        for (int d = 0; !rc && d < days; d++) {
            char date[16];
            search_format_date(start + d, date);
            json_t *o = cheapest_json(&c, &prices[d].best, prices[d].found);
            json_object_set_new(o, "date", json_string(date));
            int64_t price = prices[d].found ? prices[d].best.price : CT_PRICE_UNKNOWN;
            search_history_note(&c, c.history, orig_code, dest_code, start + d, price);
            json_object_set_new(
                o, "insight",
                search_insight_json(&c, c.history, orig_code, dest_code, start + d, price, NULL));
            json_array_append_new(arr, o);
        }
        json_object_set_new(out, "days", arr);
        ct_free(prices);
    }
    if (rc) {
        json_decref(out);
        ct_http_problem_status(req, rc, "calendar failed");
    } else {
        search_reply(req, call, &c, key, key_len, out);
    }
done:
    search_ctx_close(&c);
}

/* ---- explore ---- */

static int region_matches(const ct_airport *a, const char *region)
{
    if (region == NULL)
        return 1;
    return (a->continent != NULL && strcasecmp(a->continent, region) == 0) ||
           (a->country != NULL && strcasecmp(a->country, region) == 0);
}

static int by_price(const void *x, const void *y)
{
    const ct_explore_hit *a = x, *b = y;
    if (a->best.price != b->best.price)
        return a->best.price < b->best.price ? -1 : 1;
    return a->airport - b->airport;
}

/* Explores every day of [first, last] and keeps the cheapest per destination. */
static ct_status explore_days(const search_ctx *c, ct_search_query *q, int64_t first, int64_t last,
                              ct_explore_hit **out, size_t *n)
{
    size_t na = c->tt->nairports;
    ct_explore_hit *best = ct_calloc(na ? na : 1, sizeof(ct_explore_hit));
    if (best == NULL)
        return CT_NOMEM;
    for (size_t a = 0; a < na; a++)
        best[a].best.price = CT_PRICE_UNKNOWN;
    ct_status rc = CT_OK;
    for (int64_t d = first; d <= last && !rc; d++) {
        if (d < c->tt->from_day || d > c->tt->to_day)
            continue;
        q->date = d;
        ct_explore_hit *hits = NULL;
        size_t nh = 0;
        rc = ct_explore(c->tt, q, &hits, &nh);
        for (size_t i = 0; !rc && i < nh; i++) {
            if (hits[i].best.price < best[hits[i].airport].best.price)
                best[hits[i].airport] = hits[i];
        }
        ct_free(hits);
    }
    size_t k = 0;
    for (size_t a = 0; a < na; a++) {
        if (best[a].best.price != CT_PRICE_UNKNOWN)
            best[k++] = best[a];
    }
    *out = best;
    *n = k;
    return rc;
}

static json_t *destination_json(const search_ctx *c, const ct_airport *a, const ct_explore_hit *h)
{
    char date[16];
    search_format_date(h->best.legs[0]->local_date, date);
    return json_pack("{s:s, s:s, s:s, s:s, s:s, s:f, s:f, s:o, s:s, s:i, s:i}", "code", a->iata,
                     "name", a->name ? a->name : "", "city", a->city ? a->city : "", "country",
                     a->country ? a->country : "", "continent", a->continent ? a->continent : "",
                     "lat", a->lat, "lon", a->lon, "price", search_money_json(c, h->best.price),
                     "date", date, "stops", h->best.nlegs - 1, "duration_minutes",
                     h->best.arr - h->best.dep);
}

/* The cheapest `per` destinations of each continent (hits sorted by price), continents in
 * the order of their cheapest destination: [{code, name, destinations: [...]}]. */
static json_t *regions_json(const search_ctx *c, const ct_explore_hit *hits, size_t n, int per,
                            int64_t max_price)
{
    static const struct {
        const char *code, *name;
    } continents[] = {{"EU", "Europe"},        {"AS", "Asia"},   {"NA", "North America"},
                      {"SA", "South America"}, {"AF", "Africa"}, {"OC", "Oceania"},
                      {"AN", "Antarctica"}};
    enum { NCONT = sizeof(continents) / sizeof(continents[0]) };
    json_t *lists[NCONT] = {0};
    int count[NCONT] = {0}, order[NCONT], norder = 0;
    for (size_t i = 0; i < n; i++) {
        const ct_airport *a = ct_refdata_airport_at(c->tt->rd, hits[i].airport);
        if (a->continent == NULL || (max_price >= 0 && hits[i].best.price > max_price))
            continue;
        for (int k = 0; k < NCONT; k++) {
            if (strcasecmp(a->continent, continents[k].code) != 0 || count[k] >= per)
                continue;
            if (lists[k] == NULL) {
                lists[k] = json_array();
                order[norder++] = k;
            }
            json_array_append_new(lists[k], destination_json(c, a, &hits[i]));
            count[k]++;
        }
    }
    json_t *out = json_array();
    for (int i = 0; i < norder; i++) {
        int k = order[i];
        json_array_append_new(out, json_pack("{s:s, s:s, s:o}", "code", continents[k].code, "name",
                                             continents[k].name, "destinations", lists[k]));
    }
    return out;
}

void ct__api_explore(ct_http_req *req, ct_api_call *call)
{
    search_ctx c;
    if (!search_ctx_open(req, call, &c))
        return;
    size_t key_len = 0;
    char *key = search_query_key(req, EXPLORE_PARAMS,
                                 sizeof(EXPLORE_PARAMS) / sizeof(EXPLORE_PARAMS[0]), &key_len);
    if (search_cache_reply(req, call, &c, key, key_len)) {
        search_ctx_close(&c);
        return;
    }
    uint16_t orig[8];
    ct_search_query q = {orig, 0, NULL, 0, 0, 1, NULL};
    int64_t first = 0, last = 0;
    const char *month = ct_http_query(req, "month"), *region = ct_http_query(req, "region");
    int limit = search_query_int(req, "limit", 50, 1, 500);
    int per_region = search_query_int(req, "per_region", 10, 0, 100);
    if (!search_ctx_from_query(req, &c, 2) ||
        (q.norigins = place_param(req, &c, "origin", orig)) == 0)
        goto done;
    if (ct_http_query(req, "max_stops") == NULL)
        c.max_stops = 1; /* explore's default: up to one stop (two cost about 40 times more) */
    if (month != NULL) {
        char day1[16];
        snprintf(day1, sizeof(day1), "%.7s-01", month);
        int y, m, d;
        if (strlen(month) != 7 || ct_date_parse(day1, &first) != CT_OK) {
            ct_http_problem_field(req, "month", "must be a month, YYYY-MM");
            goto done;
        }
        ct_civil_from_days(first, &y, &m, &d);
        last = ct_days_from_civil(m == 12 ? y + 1 : y, m == 12 ? 1 : m + 1, 1) - 1;
    } else if (!date_param(req, &c, "date", &first)) {
        goto done;
    } else {
        last = first;
    }
    if (region != NULL && (strlen(region) != 2)) {
        ct_http_problem_field(req, "region",
                              "must be a continent code (AF AN AS EU NA OC SA) or a country code");
        goto done;
    }
    if (limit < 0) {
        ct_http_problem_field(req, "limit", "must be a whole number from 1 to 500");
        goto done;
    }
    if (per_region < 0) {
        ct_http_problem_field(req, "per_region", "must be a whole number from 0 to 100");
        goto done;
    }
    int64_t max_price = -1;
    const char *mp = ct_http_query(req, "max_price");
    if (mp != NULL) {
        char *end = NULL;
        double v = strtod(mp, &end);
        if (*end != '\0' || !(v >= 0) || v > 1e9) {
            ct_http_problem_field(req, "max_price", "must be a non-negative amount");
            goto done;
        }
        max_price = (int64_t)(v * ct_currency_unit(c.pc.minor_digits) + 0.5);
    }
    q.max_stops = c.max_stops;
    q.price = &c.pc;
    ct_explore_hit *hits = NULL;
    size_t n = 0;
    ct_status rc = c.pb != NULL ? explore_days(&c, &q, first, last, &hits, &n) : CT_OK;
    if (rc) {
        ct_free(hits);
        ct_http_problem_status(req, rc, "explore failed");
        goto done;
    }
    if (n > 1)
        qsort(hits, n, sizeof(*hits), by_price);
    json_t *list = json_array();
    int shown = 0;
    for (size_t i = 0; i < n && shown < limit; i++) {
        const ct_airport *a = ct_refdata_airport_at(c.tt->rd, hits[i].airport);
        if (!region_matches(a, region) || (max_price >= 0 && hits[i].best.price > max_price))
            continue;
        json_array_append_new(list, destination_json(&c, a, &hits[i]));
        shown++;
    }
    /* Anywhere: also the cheapest per_region of each continent, so that a worldwide answer is
     * not only the origin's own continent (the cheapest overall are mostly near). */
    json_t *regions =
        region == NULL && per_region > 0 ? regions_json(&c, hits, n, per_region, max_price) : NULL;
    ct_free(hits);
    json_t *out = json_pack("{s:s, s:s, s:o}", "origin", ct_http_query(req, "origin"), "currency",
                            c.currency, "destinations", list);
    if (regions != NULL)
        json_object_set_new(out, "regions", regions);
    if (month != NULL)
        json_object_set_new(out, "month", json_string(month));
    else
        json_object_set_new(out, "date", json_string(ct_http_query(req, "date")));
    search_reply(req, call, &c, key, key_len, out);
done:
    search_ctx_close(&c);
}
