/* price_history.c: GET /api/v1/price-history (docs/search-api.md, "Price history").
 *
 * For a route (airport or metro codes, as the search endpoints take them, kept as asked),
 * a departure date, a cabin and a currency: the cheapest price as observed over time for
 * that date (history/history.h's buckets: hours, then days after 30 days), the price by
 * departure date over [from, to] (default: the history's today and the 59 days after it),
 * and the insight for the date's latest observed price. Every stored price is converted to
 * the asked currency with the pricebook's rates, as the search answers are. Reads the
 * database (an offloaded route); the timetable validates the codes. */
#include <ctype.h>
#include <stdio.h>
#include <string.h>
#include <strings.h>

#include "api/search_common.h"
#include "base/alloc.h"
#include "base/json.h"
#include "base/timeutil.h"
#include "http/problem.h"

#define DAY 86400

typedef struct ph_query {
    const char *origin, *destination;
    int64_t day, from, to;
} ph_query;

static int place_ok(ct_http_req *req, const search_ctx *c, const char *name, const char **out)
{
    uint16_t idx[8];
    *out = ct_http_query(req, name);
    if (search_resolve_place(c->tt, *out, idx, 8) > 0)
        return 1;
    ct_http_problem_field(req, name, "must be a known airport or city code");
    return 0;
}

static int day_param(ct_http_req *req, const char *name, int required, int64_t def, int64_t *out)
{
    const char *s = ct_http_query(req, name);
    if (s == NULL && !required) {
        *out = def;
        return 1;
    }
    if (s == NULL || ct_date_parse(s, out) != CT_OK) {
        ct_http_problem_field(req, name, "must be a date, YYYY-MM-DD");
        return 0;
    }
    return 1;
}

/* Reads and checks the parameters; replies 400 naming the field and returns 0 on a bad one. */
static int parse_query(ct_http_req *req, search_ctx *c, ct_history *h, ph_query *q)
{
    if (!search_ctx_from_query(req, c, 2) || !place_ok(req, c, "origin", &q->origin) ||
        !place_ok(req, c, "destination", &q->destination))
        return 0;
    if (strcasecmp(q->origin, q->destination) == 0) {
        ct_http_problem_field(req, "destination", "must differ from the origin");
        return 0;
    }
    int64_t today = ct_history_now(h) / DAY;
    if (!day_param(req, "departure_date", 1, 0, &q->day) ||
        !day_param(req, "from", 0, today, &q->from) ||
        !day_param(req, "to", 0, q->from + 59, &q->to))
        return 0;
    if (q->to < q->from) {
        ct_http_problem_field(req, "to", "must not be before from");
        return 0;
    }
    if (q->to - q->from > 365) {
        ct_http_problem_field(req, "to", "must be at most 366 days after from");
        return 0;
    }
    return 1;
}

static json_t *time_json(int64_t t)
{
    char buf[40];
    return json_string(ct_utc_format((ct_utc)t, buf, sizeof(buf)));
}

static json_t *series_json(const search_ctx *c, const ct_history_point *p, size_t n)
{
    json_t *a = json_array();
    for (size_t i = 0; i < n; i++) {
        json_array_append_new(a, json_pack("{s:o, s:s, s:o}", "observed_at",
                                           time_json(p[i].observed_at), "span",
                                           p[i].span == DAY ? "day" : "hour", "price",
                                           search_money_json(c, p[i].price_minor)));
    }
    return a;
}

static json_t *days_json(const search_ctx *c, const ph_query *q, const ct_history_day *d, size_t n)
{
    char from[16], to[16];
    search_format_date(q->from, from);
    search_format_date(q->to, to);
    json_t *a = json_array();
    for (size_t i = 0; i < n; i++) {
        char date[16];
        search_format_date(d[i].departure_day, date);
        json_array_append_new(a, json_pack("{s:s, s:o, s:o, s:o}", "date", date, "price",
                                           search_money_json(c, d[i].price_minor), "lowest",
                                           search_money_json(c, d[i].lowest_minor), "observed_at",
                                           time_json(d[i].observed_at)));
    }
    return json_pack("{s:s, s:s, s:o}", "from", from, "to", to, "days", a);
}

static void answer(ct_http_req *req, ct_api_call *call, search_ctx *c, ct_history *h,
                   const ph_query *q)
{
    const char *cabin = ct_cabin_name(c->cabin);
    ct_history_point *pts = NULL;
    ct_history_day *days = NULL;
    size_t npts = 0, ndays = 0;
    ct_status rc = ct_history_series(call->store, q->origin, q->destination, q->day, cabin,
                                     c->currency, search_rate, c, &pts, &npts);
    if (!rc)
        rc = ct_history_by_day(call->store, q->origin, q->destination, cabin, q->from, q->to,
                               c->currency, search_rate, c, &days, &ndays);
    if (rc) {
        ct_http_problem_status(req, rc, "cannot read the price history");
        goto done;
    }
    char date[16], upper_o[4], upper_d[4];
    search_format_date(q->day, date);
    for (int i = 0; i < 4; i++) {
        upper_o[i] = (char)toupper((unsigned char)q->origin[i]);
        upper_d[i] = (char)toupper((unsigned char)q->destination[i]);
    }
    int64_t latest = npts > 0 ? pts[npts - 1].price_minor : CT_PRICE_UNKNOWN;
    json_t *insight = c->pb == NULL || npts > 0
                          ? search_insight_json(c, h, upper_o, upper_d, q->day, latest, NULL)
                          : search_insight_json(c, h, upper_o, upper_d, q->day, latest,
                                                "no price observed for this date yet");
    json_t *out = json_pack("{s:s, s:s, s:s, s:s, s:s, s:o, s:o, s:o}", "origin", upper_o,
                            "destination", upper_d, "departure_date", date, "cabin", cabin,
                            "currency", c->currency, "history", series_json(c, pts, npts),
                            "by_departure_date", days_json(c, q, days, ndays), "insight", insight);
    char *text = NULL;
    if (out != NULL && ct_json_dumps(out, JSON_COMPACT | JSON_PRESERVE_ORDER, &text) == CT_OK)
        ct_http_reply(req, 200, "application/json", text, strlen(text));
    else
        ct_http_problem(req, 500, "Internal error", "could not serialise the response");
    ct_free(text);
    json_decref(out);
done:
    ct_free(pts);
    ct_free(days);
}

void ct__api_price_history(ct_http_req *req, ct_api_call *call)
{
    ct_history *h = call->app->history;
    search_ctx c;
    if (h == NULL) {
        ct_http_problem(req, 503, "Service unavailable", "price history is off on this server");
        return;
    }
    if (!search_ctx_open(req, call, &c))
        return;
    ph_query q;
    memset(&q, 0, sizeof(q));
    if (parse_query(req, &c, h, &q))
        answer(req, call, &c, h, &q);
    search_ctx_close(&c);
}
