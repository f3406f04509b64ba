/* orders.c: the booking endpoints (POST /api/v1/offers, /orders and their reads, payment
 * confirmation, cancellations) over booking/booking.h.
 *
 * Handlers validate what the API owns (the body's shape, the caller, saved traveller ids,
 * the requested currency) and hand the rest to the booking module, whose refusals come back
 * as (status, code, field, detail, Retry-After) and are written here as problem+json. Orders
 * work signed in or as a guest (the route is public; a token, when sent, makes the order the
 * user's). The requested currency of an offer is converted with the pricebook's exchange
 * rates when a pricebook is loaded; without one the offer says so ("requested": null). */
#include <stdio.h>
#include <string.h>

#include "api/api_internal.h"
#include "base/alloc.h"
#include "booking/booking.h"
#include "http/problem.h"

static const char *user_of(const ct_api_call *call)
{
    return call->authenticated && call->principal.key_id[0] == '\0' ? call->principal.user_id
                                                                    : NULL;
}

static void booking_problem(ct_http_req *req, ct_status rc, const ct_booking_error *e)
{
    if (e->http == 0) {
        ct_http_problem_status(req, rc, NULL);
        return;
    }
    json_t *j =
        json_pack("{ss ss si ss ss}", "type", "https://contrail.dev/problems/booking", "title",
                  e->code, "status", e->http, "detail", e->detail, "code", e->code);
    if (e->field[0])
        json_object_set_new(j, "field", json_string(e->field));
    if (json_is_object(e->extra))
        json_object_update(j, e->extra);
    if (e->retry_after_s > 0) {
        char s[16];
        snprintf(s, sizeof(s), "%d", e->retry_after_s);
        ct_http_add_header(req, "Retry-After", s);
    }
    ct_http_add_header(req, "Content-Type", "application/problem+json");
    ct_http_reply_json(req, e->http, j);
}

static int booking_ready(ct_http_req *req, ct_api_call *call)
{
    if (call->app->booking == NULL) {
        ct_http_add_header(req, "Retry-After", "5");
        ct_http_problem(req, 503, "Service unavailable", "booking is not configured");
        return 0;
    }
    return 1;
}

/* The requested currency's amounts through the pricebook's rates, or null. */
static void add_requested(ct_api_call *call, json_t *offer, const char *want)
{
    ct_pricebook *pb = atomic_load(&call->app->pricebook);
    const char *have = json_string_value(json_object_get(offer, "currency"));
    json_t *total = json_object_get(offer, "total");
    json_int_t minor = json_integer_value(json_object_get(total, "amount_minor"));
    if (want == NULL || have == NULL)
        return;
    if (strcmp(want, have) == 0) {
        json_object_set(offer, "total_requested", total);
        return;
    }
    double from = 0, to = 0;
    if (pb != NULL) {
        ct_pb_view v;
        ct_pricebook_acquire(pb, &v);
        int a = ct_pb_currency_id(v.snap, have), b = ct_pb_currency_id(v.snap, want);
        if (a >= 0 && b >= 0) {
            from = v.snap->usd_rate[a];
            to = v.snap->usd_rate[b];
        }
        ct_pricebook_release(pb, &v);
    }
    if (from <= 0 || to <= 0) {
        json_object_set_new(offer, "total_requested", json_null());
        json_object_set_new(
            offer, "total_requested_note",
            json_string("no exchange rate known: amounts in the provider's currency"));
        return;
    }
    int dh = strcmp(have, "JPY") == 0 || strcmp(have, "KRW") == 0 ? 0 : 2;
    int dw = strcmp(want, "JPY") == 0 || strcmp(want, "KRW") == 0 ? 0 : 2;
    double v = (double)minor / (dh ? 100.0 : 1.0) / from * to * (dw ? 100.0 : 1.0);
    json_int_t conv = (json_int_t)(v + 0.5);
    json_object_set_new(
        offer, "total_requested",
        json_pack("{sI ss sb}", "amount_minor", conv, "currency", want, "estimate", 1));
    json_t *sp = json_object_get(offer, "searched_price");
    if (json_is_null(json_object_get(offer, "price_changed")) && sp != NULL &&
        json_string_value(json_object_get(sp, "currency")) != NULL &&
        strcmp(json_string_value(json_object_get(sp, "currency")), want) == 0)
        json_object_set_new(
            offer, "price_changed",
            json_boolean(json_integer_value(json_object_get(sp, "amount_minor")) != conv));
}

/* Separate tickets' "parts": [{"provider", "slices": [i, ...]}] (consecutive slice indices)
 * into r. NULL when absent or well formed, else the bad field's name (static storage). */
static const char *parse_parts(const json_t *in, ct_booking_offer_req *r)
{
    static _Thread_local char field[48];
    const json_t *parts = json_object_get(in, "parts"), *p;
    size_t i;
    if (parts == NULL)
        return NULL;
    if (!json_is_array(parts) || json_array_size(parts) > 6)
        return "parts";
    json_array_foreach(parts, i, p)
    {
        const json_t *sl = json_object_get(p, "slices");
        ct_booking_offer_part *x = &r->parts[i];
        x->provider = json_string_value(json_object_get(p, "provider"));
        const json_t *sp = json_object_get(p, "searched_price"); /* the part's, optional */
        const char *spc = json_string_value(json_object_get(sp, "currency"));
        x->searched_minor = json_integer_value(json_object_get(sp, "amount_minor"));
        snprintf(x->searched_currency, sizeof(x->searched_currency), "%s",
                 spc && strlen(spc) == 3 ? spc : "");
        if (x->provider == NULL) {
            snprintf(field, sizeof(field), "parts[%zu].provider", i);
            return field;
        }
        size_t n = json_array_size(sl);
        x->first_slice = (int)json_integer_value(json_array_get(sl, 0));
        x->last_slice = (int)json_integer_value(json_array_get(sl, n - 1));
        for (size_t k = 0; k < n; k++) {
            if (!json_is_integer(json_array_get(sl, k)) ||
                json_integer_value(json_array_get(sl, k)) != x->first_slice + (json_int_t)k)
                n = 0;
        }
        if (n == 0) {
            snprintf(field, sizeof(field), "parts[%zu].slices", i);
            return field;
        }
    }
    r->nparts = (int)json_array_size(parts);
    return NULL;
}

/* Separate tickets: each part's total in the requested currency, their sum when every part
 * has one (the group's own total is null across currencies), and price_changed when any part
 * changed. */
static void add_requested_parts(ct_api_call *call, json_t *offer, const char *want)
{
    json_t *parts = json_object_get(offer, "parts"), *p;
    size_t i;
    if (!json_is_array(parts) || want == NULL)
        return;
    json_int_t sum = 0;
    int all = 1, changed = 0;
    json_array_foreach(parts, i, p)
    {
        add_requested(call, p, want);
        json_t *t = json_object_get(p, "total_requested");
        const char *c = json_string_value(json_object_get(t, "currency"));
        all &= c != NULL && strcmp(c, want) == 0;
        sum += json_integer_value(json_object_get(t, "amount_minor"));
        changed |= json_is_true(json_object_get(p, "price_changed"));
    }
    if (all && json_is_null(json_object_get(offer, "total")))
        json_object_set_new(
            offer, "total_requested",
            json_pack("{sI ss sb}", "amount_minor", sum, "currency", want, "estimate", 1));
    if (changed)
        json_object_set_new(offer, "price_changed", json_true());
}

void ct__api_offers_create(ct_http_req *req, ct_api_call *call)
{
    if (!booking_ready(req, call))
        return;
    json_t *in = ct__api_body_object(req);
    if (in == NULL)
        return;
    ct_booking_offer_req r;
    memset(&r, 0, sizeof(r));
    r.itinerary_id = json_string_value(json_object_get(in, "itinerary_id"));
    r.provider = json_string_value(json_object_get(in, "provider"));
    json_t *pax = json_object_get(in, "passengers");
    r.passengers = json_is_integer(pax)  ? (int)json_integer_value(pax)
                   : json_is_object(pax) ? (int)json_integer_value(json_object_get(pax, "adults"))
                                         : 1;
    const char *cabin = json_string_value(json_object_get(in, "cabin"));
    const char *currency = json_string_value(json_object_get(in, "currency"));
    r.searched_minor = -1;
    json_t *sp = json_object_get(in, "searched_price");
    if (json_is_object(sp) && json_is_integer(json_object_get(sp, "amount_minor"))) {
        r.searched_minor = json_integer_value(json_object_get(sp, "amount_minor"));
        snprintf(r.searched_currency, sizeof(r.searched_currency), "%s",
                 json_string_value(json_object_get(sp, "currency")) ?: "");
    }
    const char *bad_part = parse_parts(in, &r);
    /* The providers sell adult fares only (docs/sandbox.md: PTC ADT): a child or an infant
     * is refused by name rather than booked as an adult or left out. */
    const char *minors =
        json_integer_value(json_object_get(pax, "children")) > 0  ? "passengers.children"
        : json_integer_value(json_object_get(pax, "infants")) > 0 ? "passengers.infants"
                                                                  : NULL;
    if (minors != NULL)
        ct_http_problem_field(req, minors,
                              "online booking sells adult fares only for now: book children and "
                              "infants with the seller");
    else if (r.itinerary_id == NULL)
        ct_http_problem_field(req, "itinerary_id", "required: the id of a search answer");
    else if (bad_part != NULL)
        ct_http_problem_field(req, bad_part,
                              "parts: [{provider, slices: [first, ..., last]}] from the search "
                              "answer's separate-tickets offer");
    else if (r.provider == NULL)
        ct_http_problem_field(req, "provider", "required: a provider code from the search answer");
    else if (cabin != NULL && ct_bk_cabin_parse(cabin, &r.cabin) != 0)
        ct_http_problem_field(req, "cabin", "economy, premium_economy, business or first");
    else if (currency != NULL && strlen(currency) != 3)
        ct_http_problem_field(req, "currency", "a three-letter currency code");
    else if (r.passengers < 1 || r.passengers > CT_BK_MAX_PAX)
        ct_http_problem_field(req, "passengers", "1 to 9 adults");
    else {
        json_t *out = NULL;
        ct_booking_error e = {0};
        ct_status rc = ct_booking_offer(call->app->booking, call->store, &r, &out, &e);
        if (rc)
            booking_problem(req, rc, &e);
        else {
            add_requested(call, out, currency);
            add_requested_parts(call, out, currency);
            ct_http_reply_json(req, 201, out);
        }
        ct_booking_error_clear(&e);
    }
    json_decref(in);
}

/* Saved traveller ids replaced by their names (a guest cannot use them). NULL after a reply. */
static json_t *resolve_passengers(ct_http_req *req, ct_api_call *call, const json_t *in)
{
    json_t *list = json_object_get(in, "passengers"), *x;
    if (!json_is_array(list)) {
        ct_http_problem_field(req, "passengers", "an array of travellers");
        return NULL;
    }
    json_t *out = json_array();
    size_t i;
    json_array_foreach(list, i, x)
    {
        const char *tid = json_string_value(json_object_get(x, "traveller_id"));
        if (tid == NULL) {
            json_array_append(out, x);
            continue;
        }
        json_t *t = NULL;
        const char *user = user_of(call);
        if (user == NULL || ct_travellers_get(call->store, user, tid, &t) != CT_OK) {
            char f[64];
            snprintf(f, sizeof(f), "passengers[%zu].traveller_id", i);
            ct_http_problem_field(req, f, "no such saved traveller");
            json_decref(out);
            return NULL;
        }
        /* A saved traveller's birth_date and document become the passenger's date_of_birth
         * and document (the same shape: type, number, country, expiry); a document sent with
         * the id (a passport typed at booking) wins over the saved one. */
        json_t *doc = json_object_get(x, "document");
        if (doc == NULL || json_is_null(doc))
            doc = json_object_get(t, "document");
        json_array_append_new(out, json_pack("{sO? sO? sO? sO? sO?}", "given_name",
                                             json_object_get(t, "given_name"), "family_name",
                                             json_object_get(t, "family_name"), "date_of_birth",
                                             json_object_get(t, "birth_date"), "gender",
                                             json_object_get(t, "gender"), "document", doc));
        json_decref(t);
    }
    return out;
}

static void reply_order(ct_http_req *req, int http, json_t *out)
{
    if (http >= 400)
        ct_http_add_header(req, "Content-Type", "application/problem+json");
    if (http == 502 || http == 504)
        ct_http_add_header(req, "Retry-After", "5");
    ct_http_reply_json(req, http, out);
}

void ct__api_orders_create(ct_http_req *req, ct_api_call *call)
{
    if (!booking_ready(req, call))
        return;
    const char *key = ct_http_header(req, "Idempotency-Key");
    if (key == NULL || key[0] == '\0') {
        ct_http_problem_field(req, "Idempotency-Key", "required: a unique key per order attempt");
        return;
    }
    json_t *in = ct__api_body_object(req);
    if (in == NULL)
        return;
    json_t *pax = resolve_passengers(req, call, in);
    if (pax != NULL) {
        ct_booking_order_req r = {user_of(call), key, in, pax};
        int http = 0, replayed = 0;
        json_t *out = NULL;
        ct_booking_error e = {0};
        ct_status rc = ct_booking_order_create(call->app->booking, call->store, &r, &http, &out,
                                               &replayed, &e);
        if (rc)
            booking_problem(req, rc, &e);
        else {
            if (replayed)
                ct_http_add_header(req, "Idempotent-Replayed", "true");
            reply_order(req, http, out);
        }
        ct_booking_error_clear(&e);
        json_decref(pax);
    }
    json_decref(in);
}

void ct__api_orders_list(ct_http_req *req, ct_api_call *call)
{
    if (!booking_ready(req, call))
        return;
    int limit = 20, offset = 0;
    const char *l = ct_http_query(req, "limit"), *o = ct_http_query(req, "offset");
    if (l != NULL && (sscanf(l, "%d", &limit) != 1 || limit < 1 || limit > 100)) {
        ct_http_problem_field(req, "limit", "1 to 100");
        return;
    }
    if (o != NULL && (sscanf(o, "%d", &offset) != 1 || offset < 0)) {
        ct_http_problem_field(req, "offset", "0 or more");
        return;
    }
    json_t *out = NULL;
    ct_status rc = ct_booking_order_list(call->app->booking, call->store, call->principal.user_id,
                                         limit, offset, &out);
    if (rc)
        ct_http_problem_status(req, rc, NULL);
    else
        ct_http_reply_json(req, 200, out);
}

void ct__api_order_get(ct_http_req *req, ct_api_call *call)
{
    if (!booking_ready(req, call))
        return;
    json_t *out = NULL;
    const char *user = user_of(call);
    ct_status rc = user == NULL ? CT_NOT_FOUND /* guests use the lookup */
                                : ct_booking_order_get(call->app->booking, call->store, user,
                                                       ct_http_param(req, "id"), &out);
    if (rc)
        ct_http_problem_status(req, rc, rc == CT_NOT_FOUND ? "no such order" : NULL);
    else
        ct_http_reply_json(req, 200, out);
}

void ct__api_order_lookup(ct_http_req *req, ct_api_call *call)
{
    if (!booking_ready(req, call))
        return;
    /* Throttled per address beyond the route's limits: 10 a minute (guessing references).
     * With Redis it fails closed: N instances each allowing 10 would make guessing N times
     * cheaper, so while Redis is down lookups answer 503 (ratelimit.h). */
    int retry = 0;
    char k[96];
    snprintf(k, sizeof(k), "lookup:%s", ct_http_client_ip(req));
    int got = call->app->ratelimit != NULL
                  ? ct_ratelimit_take_strict(call->app->ratelimit, k, 10, 5, &retry)
                  : 1;
    if (got != 1) {
        char s[16];
        snprintf(s, sizeof(s), "%d", retry);
        ct_http_add_header(req, "Retry-After", s);
        if (got < 0)
            ct_http_problem(req, 503, "Service unavailable",
                            "the lookup throttle's store is unavailable; retry later");
        else
            ct_http_problem(req, 429, "Too many requests", "too many lookups; retry later");
        return;
    }
    const char *ref = ct_http_query(req, "reference"), *ln = ct_http_query(req, "last_name");
    if (ref == NULL || ref[0] == '\0') {
        ct_http_problem_field(req, "reference", "required: the booking reference");
        return;
    }
    if (ln == NULL || ln[0] == '\0') {
        ct_http_problem_field(req, "last_name", "required: the first passenger's last name");
        return;
    }
    json_t *out = NULL;
    ct_status rc = ct_booking_order_lookup(call->app->booking, call->store, ref, ln, &out);
    if (rc)
        ct_http_problem_status(req, rc, rc == CT_NOT_FOUND ? "no such booking" : NULL);
    else
        ct_http_reply_json(req, 200, out);
}

void ct__api_order_payment_confirm(ct_http_req *req, ct_api_call *call)
{
    if (!booking_ready(req, call))
        return;
    json_t *in = json_object();
    size_t blen = 0;
    const char *body = ct_http_body(req, &blen);
    if (body != NULL && blen > 0) {
        json_decref(in);
        if ((in = ct__api_body_object(req)) == NULL)
            return;
    }
    const char *auth = json_string_value(json_object_get(in, "authentication"));
    int pass = auth == NULL || strcmp(auth, "fail") != 0;
    int http = 0;
    json_t *out = NULL;
    ct_booking_error e = {0};
    ct_status rc = ct_booking_payment_confirm(call->app->booking, call->store, user_of(call),
                                              ct_http_param(req, "id"), pass, &http, &out, &e);
    if (rc)
        booking_problem(req, rc, &e);
    else
        reply_order(req, http, out);
    ct_booking_error_clear(&e);
    json_decref(in);
}

void ct__api_order_cancellation_create(ct_http_req *req, ct_api_call *call)
{
    if (!booking_ready(req, call))
        return;
    json_t *out = NULL;
    ct_booking_error e = {0};
    ct_status rc = ct_booking_cancel_quote(call->app->booking, call->store, user_of(call),
                                           ct_http_param(req, "id"), &out, &e);
    if (rc)
        booking_problem(req, rc, &e);
    else
        ct_http_reply_json(req, 201, out);
    ct_booking_error_clear(&e);
}

void ct__api_order_cancellation_confirm(ct_http_req *req, ct_api_call *call)
{
    if (!booking_ready(req, call))
        return;
    json_t *out = NULL;
    ct_booking_error e = {0};
    ct_status rc =
        ct_booking_cancel_confirm(call->app->booking, call->store, user_of(call),
                                  ct_http_param(req, "id"), ct_http_param(req, "cid"), &out, &e);
    if (rc)
        booking_problem(req, rc, &e);
    else
        ct_http_reply_json(req, 200, out);
    ct_booking_error_clear(&e);
}
