/* search_common.c: parameters, price context and JSON shared by the search endpoints (see
 * search_common.h). */
#include "api/search_common.h"

#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "api/search_cache.h"
#include "base/alloc.h"
#include "base/json.h"
#include "base/timeutil.h"
#include "http/problem.h"

int search_ctx_open(ct_http_req *req, ct_api_call *call, search_ctx *c)
{
    memset(c, 0, sizeof(*c));
    c->adults = 1;
    c->cabin = CT_CABIN_ECONOMY;
    snprintf(c->currency, sizeof(c->currency), "EUR");
    c->max_stops = 2;
    c->tt = atomic_load(&call->app->timetable);
    if (c->tt == NULL) {
        ct_http_problem(req, 503, "Service unavailable", "no schedules are loaded yet");
        ct_http_add_header(req, "Retry-After", "2");
        return 0;
    }
    c->partners = atomic_load(&call->app->partners);

    c->pb = atomic_load(&call->app->pricebook);
    if (c->pb != NULL && ct_pricebook_timetable(c->pb) != c->tt)
        c->pb = NULL; /* prices of another timetable: schedule-only until they catch up */
    /* The generation is read before the view: an answer is never stamped newer than it is.
     * Answers carry the insight too: the history's distributions count as well. */
    uint64_t gen = c->pb != NULL ? ct_pricebook_generation(c->pb) : 0;
    c->history = call->app->history;
    if (c->history != NULL)
        gen ^= ct_history_generation(c->history) * 0xd6e8feb86659fd93ULL;
    c->stamp = ((uint64_t)(uintptr_t)c->tt * 0x9e3779b97f4a7c15ULL) ^
               ((uint64_t)(uintptr_t)c->pb * 0xbf58476d1ce4e5b9ULL) ^
               ((uint64_t)(uintptr_t)c->partners * 0x94d049bb133111ebULL) ^ gen;
    if (c->pb != NULL)
        ct_pricebook_acquire(c->pb, &c->view);
    return 1;
}

void search_ctx_close(search_ctx *c)
{
    if (c->pb != NULL)
        ct_pricebook_release(c->pb, &c->view);
    c->pb = NULL;
}

static int field_error(ct_http_req *req, const char *prefix, const char *name, const char *msg)
{
    char field[64];
    snprintf(field, sizeof(field), "%s%s", prefix, name);
    ct_http_problem_field(req, field, msg);
    return 0;
}

int search_ctx_validate(ct_http_req *req, search_ctx *c, const char *prefix)
{
    if (c->adults < 1 || c->adults > 9)
        return field_error(req, prefix, "adults", "must be 1 to 9");
    if (c->children < 0 || c->children > 8)
        return field_error(req, prefix, "children", "must be 0 to 8");
    if (c->infants < 0 || c->infants > c->adults)
        return field_error(req, prefix, "infants", "must be 0 to the number of adults");
    if (c->seat_infants < 0 || c->seat_infants > 8)
        return field_error(req, prefix, "infants_in_seat", "must be 0 to 8");
    if (c->adults + c->children > 9)
        return field_error(req, prefix, "children", "adults and children take at most 9 seats");
    if (c->adults + c->children + c->seat_infants > 9)
        return field_error(req, prefix, "infants_in_seat",
                           "adults, children and infants in a seat take at most 9 seats");
    if (c->infants + c->seat_infants > 2 * c->adults)
        return field_error(req, prefix, "infants_in_seat",
                           "at most two infants per adult (one on the lap, one in a seat)");
    if (c->max_stops < 0 || c->max_stops > 2)
        return field_error(req, "", "max_stops", "must be 0, 1 or 2");
    for (int i = 0; i < 3; i++) {
        if (!isupper((unsigned char)c->currency[i]) || c->currency[3] != '\0')
            return field_error(req, "", "currency", "must be an ISO 4217 code such as EUR");
    }
    /* Lap infants take no seat and pay the infant fare; an infant in a seat pays the child
     * fare (search.h "Passenger types"). */
    int seats = c->adults + c->children + c->seat_infants;
    ct_status rc = ct_price_ctx_init(&c->pc, c->pb != NULL ? &c->view : NULL, c->cabin, seats,
                                     seats, c->currency);
    if (rc != CT_OK)
        return field_error(req, "", "currency", "has no exchange rate from the providers");
    ct_price_ctx_set_pax(&c->pc, c->adults, c->children, c->seat_infants, c->infants);
    return 1;
}

int search_query_int(ct_http_req *req, const char *name, int def, int lo, int hi)
{
    const char *s = ct_http_query(req, name);
    if (s == NULL || *s == '\0')
        return def;
    char *end = NULL;
    long v = strtol(s, &end, 10);
    if (*end != '\0' || v < lo || v > hi)
        return -1;
    return (int)v;
}

static void day_words(int64_t day, char *out, size_t len)
{
    static const char *const months[] = {"Jan", "Feb", "Mar", "Apr", "May", "Jun",
                                         "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"};
    int y, m, d;
    ct_civil_from_days(day, &y, &m, &d);
    snprintf(out, len, "%d %s %d", d, months[(m - 1) % 12], y);
}

void search_horizon_text(const search_ctx *c, int64_t day, char *out, size_t len)
{
    char from[24], to[24];
    day_words(c->tt->from_day, from, sizeof(from));
    day_words(c->tt->to_day, to, sizeof(to));
    if (day > c->tt->to_day)
        snprintf(out, len, "we have schedules up to %s: choose a date until then", to);
    else
        snprintf(out, len, "we have schedules from %s to %s: choose a date between them", from, to);
}

int search_ctx_from_query(ct_http_req *req, search_ctx *c, int max_stops_limit)
{
    const char *cur = ct_http_query(req, "currency");
    if (cur != NULL) {
        if (strlen(cur) != 3)
            return field_error(req, "", "currency", "must be an ISO 4217 code such as EUR");
        snprintf(c->currency, sizeof(c->currency), "%s", cur);
    }
    const char *cabin = ct_http_query(req, "cabin");
    c->cabin = CT_CABIN_ECONOMY;
    if (cabin != NULL && ct_cabin_parse(cabin, &c->cabin) != 0)
        return field_error(req, "", "cabin", "must be economy, premium_economy, business or first");
    static const char *const names[] = {"adults", "children", "infants", "infants_in_seat"};
    int *dst[] = {&c->adults, &c->children, &c->infants, &c->seat_infants};
    int defs[] = {1, 0, 0, 0};
    for (int i = 0; i < 4; i++) {
        *dst[i] = search_query_int(req, names[i], defs[i], 0, 9);
        if (*dst[i] < 0)
            return field_error(req, "", names[i], "must be a whole number from 0 to 9");
    }
    c->max_stops = search_query_int(req, "max_stops", max_stops_limit, 0, max_stops_limit);
    if (c->max_stops < 0) {
        char msg[48];
        snprintf(msg, sizeof(msg), "must be a whole number from 0 to %d", max_stops_limit);
        return field_error(req, "", "max_stops", msg);
    }
    return search_ctx_validate(req, c, "");
}

int search_resolve_place(const ct_timetable *tt, const char *code, uint16_t *out, int max)
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

int search_cache_reply(ct_http_req *req, ct_api_call *call, const search_ctx *c, const char *key,
                       size_t key_len)
{
    ct_search_cache *cache = call->app->search_cache;
    char *body = NULL;
    size_t len = 0;
    if (cache == NULL || key == NULL ||
        !ct_search_cache_get(cache, key, key_len, c->stamp, ct_http_arena(req), &body, &len))
        return 0;
    ct_http_add_header(req, "X-Cache", "hit");
    ct_http_reply(req, 200, "application/json", body, len);
    return 1;
}

void search_reply_text(ct_http_req *req, ct_api_call *call, const search_ctx *c, const char *key,
                       size_t key_len, const char *text, size_t len)
{
    ct_search_cache *cache = call->app->search_cache;
    if (cache != NULL && key != NULL) {
        ct_search_cache_put(cache, key, key_len, c->stamp, text, len);
        ct_http_add_header(req, "X-Cache", "miss");
    }
    ct_http_reply(req, 200, "application/json", text, len);
}

void search_reply(ct_http_req *req, ct_api_call *call, const search_ctx *c, const char *key,
                  size_t key_len, json_t *body)
{
    char *text = NULL;
    ct_status rc =
        ct_json_dumps(body, JSON_COMPACT | JSON_PRESERVE_ORDER | JSON_REAL_PRECISION(9), &text);
    json_decref(body);
    if (rc) {
        ct_http_problem(req, 500, "Internal error", "could not serialise the response");
        return;
    }
    search_reply_text(req, call, c, key, key_len, text, strlen(text));
    ct_free(text);
}

char *search_query_key(ct_http_req *req, const char *const *names, size_t n, size_t *len)
{
    size_t cap = strlen(ct_http_path(req)) + 2, used = 0;
    for (size_t i = 0; i < n; i++) {
        const char *v = ct_http_query(req, names[i]);
        cap += strlen(names[i]) + (v ? strlen(v) : 0) + 2;
    }
    char *k = ct_arena_alloc(ct_http_arena(req), cap);
    if (k == NULL)
        return NULL;
    used = (size_t)snprintf(k, cap, "%s?", ct_http_path(req));
    for (size_t i = 0; i < n; i++) {
        const char *v = ct_http_query(req, names[i]);
        used += (size_t)snprintf(k + used, cap - used, "%s=%s%c", names[i], v ? v : "",
                                 v ? '&' : '!'); /* absent and empty differ */
    }
    *len = used;
    return k;
}

void search_format_date(int64_t day, char out[16])
{
    ct_date_format(day, out, 16);
}

/* "123.45" (or "12345" for a currency without minor units). */
static void format_amount(int64_t minor, int digits, char out[40])
{
    /* Digit by digit (an answer writes a few hundred amounts; snprintf cost more than the
     * rest of writing them). */
    char tmp[32], *p = tmp + sizeof(tmp);
    uint64_t u = minor < 0 ? (uint64_t)0 - (uint64_t)minor : (uint64_t)minor;
    for (int i = 0; i < digits; i++, u /= 10)
        *--p = (char)('0' + u % 10);
    if (digits > 0)
        *--p = '.';
    do {
        *--p = (char)('0' + u % 10);
        u /= 10;
    } while (u);
    if (minor < 0)
        *--p = '-';
    size_t n = (size_t)(tmp + sizeof(tmp) - p);
    memcpy(out, p, n);
    out[n] = '\0';
}

json_t *search_money_json(const search_ctx *c, int64_t minor)
{
    if (minor < 0 || minor == CT_PRICE_UNKNOWN)
        return json_null();
    char amount[40];
    format_amount(minor, c->pc.minor_digits, amount);
    return json_pack("{s:s, s:I, s:s}", "amount", amount, "amount_minor", (json_int_t)minor,
                     "currency", c->currency);
}

void search_money_in_w(ct_jw *w, int64_t minor, const char *currency, int digits)
{
    char amount[40];
    format_amount(minor, digits, amount);
    ct_jw_obj(w);
    ct_jw_kstr(w, "amount", amount);
    ct_jw_kint(w, "amount_minor", minor);
    ct_jw_kstr(w, "currency", currency);
    ct_jw_obj_end(w);
}

void search_money_w(ct_jw *w, const search_ctx *c, int64_t minor)
{
    if (minor < 0 || minor == CT_PRICE_UNKNOWN)
        ct_jw_null(w);
    else
        search_money_in_w(w, minor, c->currency, c->pc.minor_digits);
}

const char *search_airline_name(const ct_refdata *rd, const char *code)
{
    size_t lo = 0, hi = ct_refdata_airline_count(rd);
    while (lo < hi) { /* airlines are sorted by IATA code */
        size_t mid = lo + (hi - lo) / 2;
        if (strncmp(ct_refdata_airline_at(rd, mid)->iata, code, 2) < 0)
            lo = mid + 1;
        else
            hi = mid;
    }
    const char *name = NULL;
    for (; lo < ct_refdata_airline_count(rd); lo++) {
        const ct_airline *a = ct_refdata_airline_at(rd, lo);
        if (strncmp(a->iata, code, 2) != 0)
            break;
        if (name == NULL || a->active)
            name = a->name;
        if (a->active)
            break;
    }
    return name != NULL ? name : code;
}

static void time_w(ct_jw *w, const ct_timetable *tt, uint16_t airport, int32_t utc_min,
                   const char *local_key, const char *utc_key)
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
    ct_jw_kstr(w, local_key, local);
    ct_jw_kstr(w, utc_key, utc);
}

static void leg_w(ct_jw *w, const ct_timetable *tt, const ct_leg *l)
{
    char date[16];
    search_format_date(l->local_date, date);
    const char *code = tt->carriers[l->carrier];
    ct_jw_obj(w);
    ct_jw_kstr(w, "carrier", code);
    ct_jw_kstr(w, "carrier_name", search_airline_name(tt->rd, code));
    ct_jw_kint(w, "flight_number", l->number);
    ct_jw_kstr(w, "departure_date", date);
    ct_jw_kstr(w, "origin", ct_refdata_airport_at(tt->rd, l->from)->iata);
    ct_jw_kstr(w, "destination", ct_refdata_airport_at(tt->rd, l->to)->iata);
    ct_jw_kint(w, "duration_minutes", l->arr - l->dep);
    time_w(w, tt, l->from, l->dep, "departure_local", "departure_utc");
    time_w(w, tt, l->to, l->arr, "arrival_local", "arrival_utc");
    ct_jw_obj_end(w);
}

void search_itinerary_w(ct_jw *w, const search_ctx *c, const ct_itinerary *it)
{
    const ct_timetable *tt = c->tt;
    ct_jw_obj(w);
    ct_jw_kstr(w, "origin", ct_refdata_airport_at(tt->rd, it->legs[0]->from)->iata);
    ct_jw_kstr(w, "destination", ct_refdata_airport_at(tt->rd, it->legs[it->nlegs - 1]->to)->iata);
    ct_jw_kint(w, "duration_minutes", it->arr - it->dep);
    ct_jw_kint(w, "stops", it->nlegs - 1);
    ct_jw_key(w, "legs");
    ct_jw_arr(w);
    for (int i = 0; i < it->nlegs; i++)
        leg_w(w, tt, it->legs[i]);
    ct_jw_arr_end(w);
    ct_jw_key(w, "layovers");
    ct_jw_arr(w);
    for (int i = 1; i < it->nlegs; i++) {
        const ct_leg *a = it->legs[i - 1], *b = it->legs[i];
        ct_jw_obj(w);
        ct_jw_kstr(w, "airport", ct_refdata_airport_at(tt->rd, b->from)->iata);
        ct_jw_kint(w, "minutes", b->dep - a->arr);
        ct_jw_kbool(w, "self_transfer",
                    ct_price_self_transfer(c->pb != NULL ? &c->pc : NULL, a, b));
        ct_jw_obj_end(w);
    }
    ct_jw_arr_end(w);
    time_w(w, tt, it->legs[0]->from, it->dep, "departure_local", "departure_utc");
    time_w(w, tt, it->legs[it->nlegs - 1]->to, it->arr, "arrival_local", "arrival_utc");
    ct_jw_obj_end(w);
}

/* Appends s (NUL-terminated) at out + *len when it fits. */
static void id_put(char *out, size_t cap, size_t *len, const char *s, size_t n)
{
    if (*len + n < cap) {
        memcpy(out + *len, s, n);
        *len += n;
    }
}

void search_itinerary_id(const ct_timetable *tt, const ct_itinerary *const *slices, int n,
                         char *out, size_t cap)
{
    if (cap == 0)
        return;
    size_t len = 0;
    id_put(out, cap, &len, "i", 1);
    for (int s = 0; s < n; s++) {
        for (int i = 0; i < slices[s]->nlegs; i++) {
            const ct_leg *l = slices[s]->legs[i];
            char date[16], num[12];
            search_format_date(l->local_date, date);
            int k = (int)sizeof(num);
            unsigned v = l->number;
            do {
                num[--k] = (char)('0' + v % 10);
                v /= 10;
            } while (v);
            const char *code = tt->carriers[l->carrier];
            id_put(out, cap, &len, s > 0 && i == 0 ? "~" : "_", 1); /* "~" starts a slice */
            id_put(out, cap, &len, code, strlen(code));
            id_put(out, cap, &len, num + k, sizeof(num) - (size_t)k);
            id_put(out, cap, &len, "-", 1);
            id_put(out, cap, &len, date, 4);
            id_put(out, cap, &len, date + 5, 2);
            id_put(out, cap, &len, date + 8, 2);
            id_put(out, cap, &len, "-", 1);
            id_put(out, cap, &len, ct_refdata_airport_at(tt->rd, l->from)->iata, 3);
            id_put(out, cap, &len, ct_refdata_airport_at(tt->rd, l->to)->iata, 3);
        }
    }
    out[len] = '\0';
}

/* ---- price history and insight ---- */

double search_rate(void *ctx, const char *from, const char *to)
{
    const search_ctx *c = ctx;
    return ct_price_minor_factor(c->pb != NULL ? c->view.snap : NULL, from, to);
}

static const char *cabin_name(ct_cabin cabin)
{
    return ct_cabin_name(cabin);
}

void search_history_note(const search_ctx *c, ct_history *h, const char *origin,
                         const char *destination, int64_t day, int64_t price_minor)
{
    if (h == NULL || c->pb == NULL || c->adults != 1 || c->children != 0 || c->infants != 0 ||
        c->max_stops != 2 || price_minor == CT_PRICE_UNKNOWN || price_minor <= 0)
        return;
    ct_history_note(h, origin, destination, day, cabin_name(c->cabin), c->currency, price_minor);
}

/* The "basis": what the band was computed from. */
static json_t *basis_json(const ct_history *h, const ct_insight *in, int64_t compared)
{
    json_t *b = json_object();
    json_object_set_new(b, "sample_size", json_integer(in->sample));
    json_object_set_new(b, "days_before_departure", json_integer(in->days_before));
    json_object_set_new(b, "bucket", json_string(ct_history_bucket_name(in->bucket)));
    json_object_set_new(b, "percentiles", json_pack("[i,i]", 25, 75));
    json_object_set_new(b, "window_days", json_integer(ct_history_options_of(h)->window_days));
    json_object_set_new(b, "min_sample", json_integer(ct_history_options_of(h)->min_sample));
    json_object_set_new(b, "compared_minor", compared >= 0 ? json_integer(compared) : json_null());
    json_object_set_new(b, "per", json_string("passenger"));
    return b;
}

json_t *search_insight_json(const search_ctx *c, ct_history *h, const char *origin,
                            const char *destination, int64_t day, int64_t price_minor,
                            const char *why_none)
{
    if (c->pb == NULL)
        return json_null();
    /* Per adult: history records one adult's price; children and infants count by their
     * share of the fare (ct_price_ctx.fare_weight). */
    double weight = c->pc.fare_weight >= 1 ? c->pc.fare_weight : 1;
    int64_t per = price_minor != CT_PRICE_UNKNOWN && price_minor > 0
                      ? (int64_t)((double)price_minor / weight + 0.5)
                      : -1;
    ct_insight in;
    memset(&in, 0, sizeof(in));
    in.bucket = -1;
    if (why_none == NULL && h == NULL)
        why_none = "price history is off on this server";
    if (why_none == NULL && per < 0)
        why_none = "no priced itinerary to compare";
    if (why_none == NULL)
        ct_history_insight(h, origin, destination, cabin_name(c->cabin), day, per, c->currency,
                           search_rate, (void *)c, &in);
    json_t *o = json_object();
    const char *level = why_none == NULL ? ct_insight_level_name(in.level) : NULL;
    json_object_set_new(o, "level", level != NULL ? json_string(level) : json_null());
    json_object_set_new(o, "typical_low_minor",
                        level != NULL ? json_integer(in.typical_low) : json_null());
    json_object_set_new(o, "typical_high_minor",
                        level != NULL ? json_integer(in.typical_high) : json_null());
    json_object_set_new(o, "currency", json_string(c->currency));
    if (level == NULL)
        json_object_set_new(o, "reason", json_string(why_none != NULL ? why_none : in.reason));
    json_object_set_new(o, "basis",
                        h != NULL && why_none == NULL ? basis_json(h, &in, per) : json_null());
    return o;
}

void search_insight_w(ct_jw *w, const search_ctx *c, ct_history *h, const char *origin,
                      const char *destination, int64_t day, int64_t price_minor,
                      const char *why_none)
{
    json_t *o = search_insight_json(c, h, origin, destination, day, price_minor, why_none);
    char *text = NULL;
    if (o != NULL && ct_json_dumps(o, JSON_COMPACT | JSON_PRESERVE_ORDER, &text) == CT_OK) {
        ct_jw_raw(w, text, strlen(text));
        ct_free(text);
    } else {
        ct_jw_null(w);
    }
    json_decref(o);
}
