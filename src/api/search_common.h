/* search_common.h: what the search endpoints share (searches.c, calendar_api.c): the loaded
 * timetable and a pricebook view held for one request, parameter validation that names the
 * field, the price context, and the JSON of money, legs and itineraries. Private to api/. */
#ifndef CT_API_SEARCH_COMMON_H
#define CT_API_SEARCH_COMMON_H

#include <jansson.h>

#include "base/jsonw.h"

#include "api/api_internal.h"
#include "history/history.h"
#include "search/trip.h"

typedef struct search_ctx {
    const ct_timetable *tt;
    ct_pricebook *pb; /* NULL: schedule-only */
    ct_pb_view view;
    ct_price_ctx pc;
    int adults, children, infants; /* infants: on a lap */
    int seat_infants;              /* infants with a seat of their own */
    ct_cabin cabin;
    char currency[4];
    int max_stops;
    uint64_t stamp; /* what answers depend on: timetable, pricebook, its generation */
    const struct ct_partner_directory *partners; /* names shown for providers; may be NULL */
    int64_t typical_co2e_g;     /* searches: the answer's median emissions per passenger */
    struct ct_history *history; /* the app's; may be NULL */
} search_ctx;

/* Takes the timetable and a pricebook view; replies 503 with Retry-After and returns 0 when
 * no schedules are loaded yet. */
int search_ctx_open(ct_http_req *req, ct_api_call *call, search_ctx *c);
void search_ctx_close(search_ctx *c);

/* Checks passengers, cabin, currency (and max_stops when allowed) already stored in c, then
 * prepares c->pc; replies 400 naming the field and returns 0 on a bad value. `prefix` is
 * prepended to passenger field names ("passengers." for JSON bodies, "" for queries). */
int search_ctx_validate(ct_http_req *req, search_ctx *c, const char *prefix);

/* Reads the optional query parameters every GET search endpoint takes (currency, cabin,
 * adults, children, infants, max_stops) into c; replies 400 and returns 0 when malformed. */
int search_ctx_from_query(ct_http_req *req, search_ctx *c, int max_stops_limit);

/* A traveller's sentence for a date outside the loaded schedules ("we have schedules up to
 * 2 Dec 2027"), for the problem's detail. */
void search_horizon_text(const search_ctx *c, int64_t day, char *out, size_t len);

/* Airport indices of an airport or metro code; 0 when unknown. */
int search_resolve_place(const ct_timetable *tt, const char *code, uint16_t *out, int max);

/* Parses a small non-negative integer query parameter; def when absent; -1 when malformed
 * or out of [lo, hi]. */
int search_query_int(ct_http_req *req, const char *name, int def, int lo, int hi);

/* JSON pieces. The price context may be schedule-only (money then null). The jansson
 * versions serve the calendar and explore answers; the searches answer, the hot one, is
 * written with the streaming writer (base/jsonw.h). */
json_t *search_money_json(const search_ctx *c, int64_t minor);
void search_money_w(ct_jw *w, const search_ctx *c, int64_t minor);
void search_money_in_w(ct_jw *w, int64_t minor, const char *currency, int digits);
void search_itinerary_w(ct_jw *w, const search_ctx *c, const ct_itinerary *it);
const char *search_airline_name(const ct_refdata *rd, const char *code);
/* A stable, readable id of the legs: "i_" + per leg CC123-YYYYMMDD-FROMTO, joined by "_"
 * within a slice and by "~" between slices (what booking decodes). */
void search_itinerary_id(const ct_timetable *tt, const ct_itinerary *const *slices, int n,
                         char *out, size_t cap);
/* The answer cache (search_cache.h): replies with the cached answer of `key` and returns 1,
 * or returns 0 (no cache, or a miss). */
int search_cache_reply(ct_http_req *req, ct_api_call *call, const search_ctx *c, const char *key,
                       size_t key_len);
/* Replies 200 with `body` (stolen) and keeps it in the cache under `key`. */
void search_reply(ct_http_req *req, ct_api_call *call, const search_ctx *c, const char *key,
                  size_t key_len, json_t *body);
/* The same with an answer already serialised (text of len bytes, borrowed). */
void search_reply_text(ct_http_req *req, ct_api_call *call, const search_ctx *c, const char *key,
                       size_t key_len, const char *text, size_t len);
/* The cache key of a GET: the path and the values of the named parameters, in the request's
 * arena (it lives as long as the request). NULL when the arena is out of room. */
char *search_query_key(ct_http_req *req, const char *const *names, size_t n, size_t *len);

/* ---- price history and insight (history/history.h) ---- */

/* ct_history_rate_fn over the request's pricebook view (ctx: the search_ctx); without prices
 * only a currency to itself converts. */
double search_rate(void *ctx, const char *from, const char *to);

/* Notes the cheapest price an answer computed for a route (the codes as asked) and day, when
 * the request is one that history keeps: priced, one adult and nobody else, every stop count
 * allowed. No-op without a history. */
void search_history_note(const search_ctx *c, ct_history *h, const char *origin,
                         const char *destination, int64_t day, int64_t price_minor);

/* The answers' "insight" object for the cheapest price `price_minor` of the request (for
 * its passengers: compared per passenger, adults and children), or with level null and a
 * reason: `why_none` when not NULL (e.g. a round trip), no history, no price, too few
 * observations. NULL for a schedule-only answer (JSON null). */
json_t *search_insight_json(const search_ctx *c, ct_history *h, const char *origin,
                            const char *destination, int64_t day, int64_t price_minor,
                            const char *why_none);
/* The same into the streaming writer. */
void search_insight_w(ct_jw *w, const search_ctx *c, ct_history *h, const char *origin,
                      const char *destination, int64_t day, int64_t price_minor,
                      const char *why_none);

/* "YYYY-MM-DD" of a day number. */
void search_format_date(int64_t day, char out[16]);

#endif
