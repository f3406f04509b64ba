/* airports.c: GET /api/v1/airports?q=&limit= (autocomplete) and GET /api/v1/airports/{code}. */
#include <ctype.h>
#include <stdlib.h>
#include <string.h>

#include "api/api_internal.h"
#include "base/text.h"
#include "http/problem.h"

#define AUTOCOMPLETE_DEFAULT_LIMIT 10
#define AUTOCOMPLETE_MAX_LIMIT     20

static json_t *airport_json(const ct_airport *a)
{
    json_t *o =
        json_pack("{s:s, s:s, s:s, s:s?, s:s, s:s, s:s, s:s, s:f, s:f}", "code", a->iata, "kind",
                  "airport", "name", a->name, "city", a->city, "country", a->country,
                  "country_name", a->country_name, "tz", a->tz, "size",
                  a->size == CT_AIRPORT_LARGE ? "large" : "medium", "lat", a->lat, "lon", a->lon);
    if (o == NULL)
        return NULL;
    if (a->icao[0])
        json_object_set_new(o, "icao", json_string(a->icao));
    if (a->metro != NULL)
        json_object_set_new(o, "metro", json_string(a->metro));
    return o;
}

static json_t *metro_json(const ct_metro *m)
{
    json_t *codes = json_array();
    for (int i = 0; i < m->nairports; i++)
        json_array_append_new(codes, json_string(m->airports[i]->iata));
    return json_pack("{s:s, s:s, s:s, s:s, s:s, s:s, s:o}", "code", m->code, "kind", "metro",
                     "name", m->name, "city", m->name, "country", m->country, "country_name",
                     m->country_name, "airports", codes);
}

/* Parses the optional `limit` parameter; 0 after replying 400. */
static int parse_limit(ct_http_req *req)
{
    const char *s = ct_http_query(req, "limit");
    if (s == NULL)
        return AUTOCOMPLETE_DEFAULT_LIMIT;
    char *end;
    long v = strtol(s, &end, 10);
    if (*s == '\0' || *end != '\0' || v < 1 || v > AUTOCOMPLETE_MAX_LIMIT) {
        ct_http_problem_field(req, "limit", "must be an integer from 1 to 20");
        return 0;
    }
    return (int)v;
}

void ct__api_airports_search(ct_http_req *req, ct_api_call *call)
{
    ct_app *app = call->app;
    const char *q = ct_http_query(req, "q");
    if (q == NULL) {
        ct_http_problem_field(req, "q", "is required");
        return;
    }
    size_t qlen = strlen(q);
    if (!ct_utf8_valid(q, qlen)) {
        ct_http_problem_field(req, "q", "must be valid UTF-8");
        return;
    }
    while (qlen > 0 && isspace((unsigned char)*q)) {
        q++;
        qlen--;
    }
    if (qlen == 0 || qlen > 64) {
        ct_http_problem_field(req, "q", "must be 1 to 64 characters");
        return;
    }
    int limit = parse_limit(req);
    if (limit == 0)
        return;
    ct_place places[AUTOCOMPLETE_MAX_LIMIT];
    int n = 0;
    ct_status rc = ct_refdata_autocomplete(app->refdata, q, places, limit, &n);
    if (rc) {
        if (rc == CT_INVALID || rc == CT_TOO_LARGE)
            ct_http_problem_field(req, "q", "cannot be searched (malformed text)");
        else
            ct_http_problem_status(req, rc, "autocomplete failed");
        return;
    }
    json_t *items = json_array();
    for (int i = 0; i < n; i++) {
        json_t *item =
            places[i].airport ? airport_json(places[i].airport) : metro_json(places[i].metro);
        json_array_append_new(items, item);
    }
    ct_http_reply_json(req, 200, json_pack("{s:s, s:o}", "query", q, "items", items));
    ct_http_add_header(req, "Cache-Control", "public, max-age=3600");
}

void ct__api_airport_get(ct_http_req *req, ct_api_call *call)
{
    ct_app *app = call->app;
    const char *code = ct_http_param(req, "code");
    char upper[4];
    size_t n = strlen(code);
    int ok = n == 3;
    for (size_t i = 0; ok && i < n; i++) {
        ok = isalpha((unsigned char)code[i]);
        upper[i] = (char)toupper((unsigned char)code[i]);
    }
    if (!ok) {
        ct_http_problem_field(req, "code", "must be a three-letter IATA airport or city code");
        return;
    }
    upper[3] = '\0';
    const ct_airport *a = ct_refdata_airport(app->refdata, upper);
    if (a != NULL) {
        ct_http_reply_json(req, 200, airport_json(a));
        return;
    }
    const ct_metro *m = ct_refdata_metro(app->refdata, upper);
    if (m != NULL) {
        ct_http_reply_json(req, 200, metro_json(m));
        return;
    }
    ct_http_problem(req, 404, "Not found", "no airport or metropolitan area has this code");
}
