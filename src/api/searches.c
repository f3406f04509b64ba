/* searches.c: POST /api/v1/searches over the in-memory timetable (schedule-only).
 *
 * Request: {"slices": [{"origin": "LON", "destination": "NYC", "date": "2026-12-01"}, ...],
 *           "max_stops": 2}
 * 1 to 6 slices (one way, round trip, multi-city), dates in order; origin/destination are
 * airport or metro-area codes; date is the local departure date. Without prices the slices
 * are independent, so each gets its own non-dominated set ("slices"[i].itineraries);
 * "itineraries" repeats the first slice's for one-way clients.
 * Each itinerary names its legs (carrier, flight number, local departure date, airports,
 * local and UTC times) so any client can check it against the schedule. Prices come with the
 * fares work; until then every itinerary is unpriced ("priced": false) and the ranking is the
 * engine's (departure, then arrival). */
#include <ctype.h>
#include <stdio.h>
#include <string.h>

#include "api/api_internal.h"
#include "base/timeutil.h"
#include "http/problem.h"
#include "search/search.h"

/* Airport indices of a code (a metro area's airports, or one airport); 0 when unknown. */
static int resolve_place(const ct_timetable *tt, const char *code, uint16_t *out, int max)
{
    char upper[4];
    if (code == NULL || strlen(code) != 3)
        return 0;
    for (int i = 0; i < 3; i++)
        upper[i] = (char)toupper((unsigned char)code[i]);
    upper[3] = '\0';
    const ct_metro *m = ct_refdata_metro(tt->rd, upper);
    int n = 0;
    if (m != NULL) {
        for (int i = 0; i < m->nairports && n < max; i++) {
            int a = ct_timetable_airport(tt, m->airports[i]->iata);
            if (a >= 0)
                out[n++] = (uint16_t)a;
        }
        return n;
    }
    int a = ct_timetable_airport(tt, upper);
    if (a >= 0)
        out[n++] = (uint16_t)a;
    return n;
}

static json_t *time_json(const ct_timetable *tt, uint16_t airport, int32_t utc_min,
                         const char *local_key, const char *utc_key, json_t *o)
{
    const ct_airport *a = ct_refdata_airport_at(tt->rd, airport);
    ct_civil c;
    int off = 0;
    char local[40], utc[32];
    if (ct_tz_from_utc(a->tz, (ct_utc)utc_min * 60, &c, &off) == CT_OK)
        ct_civil_format(&c, off, local, sizeof(local));
    else
        snprintf(local, sizeof(local), "unknown");
    ct_utc_format((ct_utc)utc_min * 60, utc, sizeof(utc));
    json_object_set_new(o, local_key, json_string(local));
    json_object_set_new(o, utc_key, json_string(utc));
    return o;
}

static json_t *leg_json(const ct_timetable *tt, const ct_leg *l)
{
    int y, m, d;
    ct_civil_from_days(l->local_date, &y, &m, &d);
    char date[16];
    snprintf(date, sizeof(date), "%04d-%02d-%02d", y, m, d);
    json_t *o = json_pack("{s:s, s:i, s:s, s:s, s:s}", "carrier", tt->carriers[l->carrier],
                          "flight_number", l->number, "departure_date", date, "origin",
                          ct_refdata_airport_at(tt->rd, l->from)->iata, "destination",
                          ct_refdata_airport_at(tt->rd, l->to)->iata);
    time_json(tt, l->from, l->dep, "departure_local", "departure_utc", o);
    time_json(tt, l->to, l->arr, "arrival_local", "arrival_utc", o);
    return o;
}

static json_t *itinerary_json(const ct_timetable *tt, const ct_itinerary *it)
{
    json_t *legs = json_array();
    for (int i = 0; i < it->nlegs; i++)
        json_array_append_new(legs, leg_json(tt, it->legs[i]));
    return json_pack("{s:i, s:i, s:b, s:o}", "stops", it->nlegs - 1, "duration_minutes",
                     it->arr - it->dep, "priced", 0, "legs", legs);
}

#define MAX_SLICES 6

typedef struct slice_query {
    ct_search_query q;
    uint16_t orig[8], dest[8];
    const char *origin, *destination, *date;
} slice_query;

static void slice_problem(ct_http_req *req, size_t i, const char *field, const char *message)
{
    char name[48];
    snprintf(name, sizeof(name), "slices[%zu].%s", i, field);
    ct_http_problem_field(req, name, message);
}

/* Validates one slice into sq; on failure replies 400 naming the field and returns 0. */
static int parse_slice(ct_http_req *req, const ct_timetable *tt, json_t *s, size_t i, int max_stops,
                       slice_query *sq)
{
    sq->origin = json_string_value(json_object_get(s, "origin"));
    sq->destination = json_string_value(json_object_get(s, "destination"));
    sq->date = json_string_value(json_object_get(s, "date"));
    ct_search_query *q = &sq->q;
    q->origins = sq->orig;
    q->dests = sq->dest;
    q->max_stops = max_stops;
    q->norigins = resolve_place(tt, sq->origin, sq->orig, 8);
    q->ndests = resolve_place(tt, sq->destination, sq->dest, 8);
    if (q->norigins == 0) {
        slice_problem(req, i, "origin", "must be a known airport or city code");
        return 0;
    }
    if (q->ndests == 0) {
        slice_problem(req, i, "destination", "must be a known airport or city code");
        return 0;
    }
    for (int a = 0; a < q->norigins; a++) {
        for (int b = 0; b < q->ndests; b++) {
            if (sq->orig[a] == sq->dest[b]) {
                slice_problem(req, i, "destination", "must differ from the origin");
                return 0;
            }
        }
    }
    if (sq->date == NULL || ct_date_parse(sq->date, &q->date) != CT_OK) {
        slice_problem(req, i, "date", "must be a date, YYYY-MM-DD");
        return 0;
    }
    if (q->date < tt->from_day || q->date > tt->to_day) {
        slice_problem(req, i, "date", "is outside the loaded schedules");
        return 0;
    }
    return 1;
}

/* Validates the request (1 to 6 slices, dates in order, max_stops); on failure replies 400
 * naming the field and returns 0. */
static int parse_request(ct_http_req *req, const ct_timetable *tt, json_t *in, slice_query *sq,
                         size_t *nslices)
{
    json_t *slices = json_object_get(in, "slices");
    if (!json_is_array(slices) || json_array_size(slices) == 0 ||
        json_array_size(slices) > MAX_SLICES) {
        ct_http_problem_field(req, "slices", "must be an array of 1 to 6 slices");
        return 0;
    }
    json_t *ms = json_object_get(in, "max_stops");
    int max_stops = 2;
    if (ms != NULL) {
        if (!json_is_integer(ms) || json_integer_value(ms) < 0 || json_integer_value(ms) > 2) {
            ct_http_problem_field(req, "max_stops", "must be 0, 1 or 2");
            return 0;
        }
        max_stops = (int)json_integer_value(ms);
    }
    *nslices = json_array_size(slices);
    for (size_t i = 0; i < *nslices; i++) {
        if (!parse_slice(req, tt, json_array_get(slices, i), i, max_stops, &sq[i]))
            return 0;
        if (i > 0 && sq[i].q.date < sq[i - 1].q.date) {
            slice_problem(req, i, "date", "must not be before the previous slice's date");
            return 0;
        }
    }
    return 1;
}

void ct__api_searches(ct_http_req *req, ct_api_call *call)
{
    const ct_timetable *tt = atomic_load(&call->app->timetable);
    json_t *in = ct__api_body_object(req);
    if (in == NULL)
        return;
    if (tt == NULL) {
        json_decref(in);
        ct_http_problem(req, 503, "Service unavailable", "no schedules are loaded yet");
        ct_http_add_header(req, "Retry-After", "2");
        return;
    }
    slice_query sq[MAX_SLICES];
    size_t nslices = 0;
    if (!parse_request(req, tt, in, sq, &nslices)) {
        json_decref(in);
        return;
    }
    /* Unpriced, slices are independent: each gets its own non-dominated set. */
    json_t *out_slices = json_array(), *first = NULL;
    ct_status rc = CT_OK;
    for (size_t i = 0; !rc && i < nslices; i++) {
        ct_search_result r;
        rc = ct_search_oneway(tt, &sq[i].q, &r);
        if (rc)
            break;
        json_t *items = json_array();
        for (size_t k = 0; k < r.n; k++)
            json_array_append_new(items, itinerary_json(tt, &r.items[k]));
        ct_search_result_free(&r);
        if (i == 0)
            first = json_incref(items);
        json_array_append_new(out_slices, json_pack("{s:s, s:s, s:s, s:o}", "origin", sq[i].origin,
                                                    "destination", sq[i].destination, "date",
                                                    sq[i].date, "itineraries", items));
    }
    json_decref(in); /* the slice strings above point into it */
    if (rc) {
        json_decref(out_slices);
        json_decref(first);
        ct_http_problem_status(req, rc, "search failed");
        return;
    }
    ct_http_reply_json(
        req, 200,
        json_pack("{s:o, s:o, s:b}", "itineraries", first, "slices", out_slices, "priced", 0));
}
