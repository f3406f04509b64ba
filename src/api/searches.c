/* searches.c: POST /api/v1/searches over the in-memory timetable (schedule-only, one way).
 *
 * Request: {"slices": [{"origin": "LON", "destination": "NYC", "date": "2026-12-01"}],
 *           "max_stops": 2}
 * origin/destination are airport or metro-area codes; date is the local departure date.
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

/* Validates the request; on failure replies 400 naming the field and returns 0. */
static int parse_request(ct_http_req *req, const ct_timetable *tt, json_t *in, ct_search_query *q,
                         uint16_t *orig, uint16_t *dest)
{
    json_t *slices = json_object_get(in, "slices");
    if (!json_is_array(slices) || json_array_size(slices) == 0) {
        ct_http_problem_field(req, "slices", "must be a non-empty array of slices");
        return 0;
    }
    if (json_array_size(slices) > 1) {
        ct_http_problem_field(req, "slices", "only one-way searches (one slice) are served yet");
        return 0;
    }
    json_t *s = json_array_get(slices, 0);
    const char *o = json_string_value(json_object_get(s, "origin"));
    const char *d = json_string_value(json_object_get(s, "destination"));
    const char *date = json_string_value(json_object_get(s, "date"));
    q->origins = orig;
    q->dests = dest;
    q->norigins = resolve_place(tt, o, orig, 8);
    q->ndests = resolve_place(tt, d, dest, 8);
    if (q->norigins == 0) {
        ct_http_problem_field(req, "slices[0].origin", "must be a known airport or city code");
        return 0;
    }
    if (q->ndests == 0) {
        ct_http_problem_field(req, "slices[0].destination", "must be a known airport or city code");
        return 0;
    }
    for (int i = 0; i < q->norigins; i++) {
        for (int k = 0; k < q->ndests; k++) {
            if (orig[i] == dest[k]) {
                ct_http_problem_field(req, "slices[0].destination", "must differ from the origin");
                return 0;
            }
        }
    }
    if (date == NULL || ct_date_parse(date, &q->date) != CT_OK) {
        ct_http_problem_field(req, "slices[0].date", "must be a date, YYYY-MM-DD");
        return 0;
    }
    if (q->date < tt->from_day || q->date > tt->to_day) {
        ct_http_problem_field(req, "slices[0].date", "is outside the loaded schedules");
        return 0;
    }
    json_t *ms = json_object_get(in, "max_stops");
    q->max_stops = 2;
    if (ms != NULL) {
        if (!json_is_integer(ms) || json_integer_value(ms) < 0 || json_integer_value(ms) > 2) {
            ct_http_problem_field(req, "max_stops", "must be 0, 1 or 2");
            return 0;
        }
        q->max_stops = (int)json_integer_value(ms);
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
    uint16_t orig[8], dest[8];
    ct_search_query q;
    if (!parse_request(req, tt, in, &q, orig, dest)) {
        json_decref(in);
        return;
    }
    json_decref(in);
    ct_search_result r;
    ct_status rc = ct_search_oneway(tt, &q, &r);
    if (rc) {
        ct_http_problem_status(req, rc, "search failed");
        return;
    }
    json_t *items = json_array();
    for (size_t i = 0; i < r.n; i++)
        json_array_append_new(items, itinerary_json(tt, &r.items[i]));
    ct_search_result_free(&r);
    ct_http_reply_json(req, 200, json_pack("{s:o, s:b}", "itineraries", items, "priced", 0));
}
