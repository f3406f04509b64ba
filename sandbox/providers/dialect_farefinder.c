/* dialect_farefinder.c: "FareFinder", the dollar travel agency's dialect (ota-usd).
 *
 * camelCase members, amounts as integer cents (totalCents: 41250), trips of flights
 * (trips[0].flights[1]), integer flight numbers, cabins COACH and BUSINESS, a flat fares feed
 * with one row per market and booking class, idempotency through the Idempotency-Key header,
 * query parameters cursor / pageSize / fromDate / toDate / changesSince, and errors as
 * {"ok": false, "errors": [{"code", "param", "reason"}]}. Routes under /v2. */
#include <stdio.h>
#include <string.h>

#include "base/alloc.h"
#include "sandbox/providers/provider_internal.h"

static const pv_seg_names seg_names = {"carrier", "flightNumber", "departureDate",
                                       "origin",  "destination",  0};

static json_t *error_body(pv_call *c, const pv_err *e)
{
    (void)c;
    char code[40];
    size_t i = 0;
    for (; e->code[i] && i + 1 < sizeof(code); i++)
        code[i] = (char)(e->code[i] >= 'a' && e->code[i] <= 'z' ? e->code[i] - 32 : e->code[i]);
    code[i] = '\0';
    return json_pack("{s:b, s:[{s:s, s:s?, s:s}]}", "ok", 0, "errors", "code", code, "param",
                     e->field[0] ? e->field : NULL, "reason", e->message);
}

static void seg_field(const pv_query *q, pv_attr a, int slice, int seg, char *buf, size_t len)
{
    (void)q;
    static const char *attrs[] = {
        "", "", "carrier", "flightNumber", "departureDate", "origin", "destination"};
    if (a == PV_ATTR_SLICE)
        snprintf(buf, len, "trips[%d]", slice);
    else if (a == PV_ATTR_SEGMENT)
        snprintf(buf, len, "trips[%d].flights[%d]", slice, seg);
    else
        snprintf(buf, len, "trips[%d].flights[%d].%s", slice, seg, attrs[a]);
}

static const char *cabin_name(int cabin)
{
    return cabin == SB_CABIN_BUSINESS ? "BUSINESS" : "COACH";
}

static json_t *flight(const sb_provider *p, const pv_seg *s)
{
    char date[11], dep[21], arr[21];
    const sb_world *w = p->w;
    return json_pack("{s:s, s:i, s:s, s:s, s:s, s:s, s:s}", "carrier", w->carriers[s->carrier].code,
                     "flightNumber", w->flights[s->dl.flight].number, "departureDate",
                     pv_date(s->dep_date, date), "origin", w->airports[s->origin].iata,
                     "destination", w->airports[s->dest].iata, "departureTime",
                     pv_instant(s->dep_utc, dep), "arrivalTime", pv_instant(s->arr_utc, arr));
}

static json_t *trips(const sb_provider *p, const pv_itin *it, int cls[][PV_MAX_SEGS],
                     int64_t amounts[][PV_MAX_SEGS], int seats[][PV_MAX_SEGS])
{
    json_t *a = json_array();
    for (int s = 0; s < it->nslices; s++) {
        json_t *flights = json_array();
        for (int g = 0; g < it->nsegs[s]; g++) {
            json_t *x = flight(p, &it->segs[s][g]);
            char k[2] = {sb_class(cls[s][g])->letter, '\0'};
            json_object_set_new(x, "bookingClass", json_string(k));
            json_object_set_new(x, "fareCents", json_integer(amounts[s][g]));
            if (seats != NULL)
                json_object_set_new(x, "seatsRemaining", json_integer(seats[s][g]));
            json_array_append_new(flights, x);
        }
        json_array_append_new(a, json_pack("{s:o}", "flights", flights));
    }
    return a;
}

/* ---- parsing ---- */

static ct_status parse_query(const json_t *body, pv_query *q, pv_err *e)
{
    memset(q, 0, sizeof(*q));
    const json_t *tr = pv_get_array(body, "trips", "", 1, PV_MAX_SLICES, e);
    long pax = 0;
    if (tr == NULL || pv_get_int(body, "travelerCount", "", 1, SB_INV_MAX_SEATS, &pax, e))
        return CT_INVALID;
    q->pax = (int)pax;
    const char *cabin = pv_get_str(body, "cabin", "", 16, e);
    if (cabin == NULL)
        return CT_INVALID;
    if (strcmp(cabin, "COACH") != 0 && strcmp(cabin, "BUSINESS") != 0) {
        pv_err_set(e, 400, "invalid_field", "cabin", "expected COACH or BUSINESS");
        return CT_INVALID;
    }
    q->cabin = strcmp(cabin, "BUSINESS") == 0;
    q->nslices = (int)json_array_size(tr);
    for (int s = 0; s < q->nslices; s++) {
        char path[32];
        snprintf(path, sizeof(path), "trips[%d]", s);
        const json_t *fl =
            pv_get_array(json_array_get(tr, (size_t)s), "flights", path, 1, PV_MAX_SEGS, e);
        if (fl == NULL)
            return CT_INVALID;
        q->nsegs[s] = (int)json_array_size(fl);
        for (int g = 0; g < q->nsegs[s]; g++) {
            char sp[64];
            snprintf(sp, sizeof(sp), "%s.flights[%d]", path, g);
            if (pv_parse_seg(json_array_get(fl, (size_t)g), sp, &seg_names, &q->segs[s][g], e))
                return CT_INVALID;
        }
    }
    return CT_OK;
}

/* ---- handlers ---- */

static void catalog(pv_call *c)
{
    sb_provider *p = c->p;
    json_t *carriers = json_array();
    for (int k = 0; k < p->nsold; k++) {
        const sb_carrier *cr = &p->w->carriers[p->sold[k]];
        char url[64];
        snprintf(url, sizeof(url), "/v2/catalog/%s/ssim", cr->code);
        json_array_append_new(carriers,
                              json_pack("{s:s, s:s, s:o, s:s}", "iata", cr->code, "name", cr->name,
                                        "alliance", pv_alliance_json(cr), "ssimPath", url));
    }
    pv_reply(c, 200,
             json_pack("{s:s, s:I, s:i, s:o}", "currency", p->currency, "serviceFeeCents",
                       (json_int_t)p->fee_minor, "markupBasisPoints", p->markup_bp, "carriers",
                       carriers));
}

static void ssim(pv_call *c)
{
    pv_err e;
    if (pv_ssim(c, ct_http_param(c->req, "carrier"), "carrier", &c->text, &c->text_len, &e)) {
        pv_fail(c, &e);
        return;
    }
    c->status = 200;
    c->type = "text/plain; charset=us-ascii";
}

static ct_status feed_req(pv_call *c, pv_feed_req *r, pv_err *e)
{
    *r = (pv_feed_req){.f_from = "fromDate",
                       .f_to = "toDate",
                       .f_limit = "pageSize",
                       .f_page = "cursor",
                       .f_since = "changesSince"};
    r->page = ct_http_query(c->req, "cursor");
    r->since = ct_http_query(c->req, "changesSince");
    if (pv_query_date(ct_http_query(c->req, "fromDate"), "fromDate", &r->from, e) ||
        pv_query_date(ct_http_query(c->req, "toDate"), "toDate", &r->to, e) ||
        pv_query_long(ct_http_query(c->req, "pageSize"), "pageSize", PV_FEED_MAX_LIMIT, &r->limit,
                      e))
        return CT_INVALID;
    return CT_OK;
}

static void page_body(json_t *body, const pv_feed_out *out)
{
    json_object_set_new(
        body, "paging",
        json_pack("{s:o}", "next", out->next_page[0] ? json_string(out->next_page) : json_null()));
    json_object_set_new(body, "syncCursor", json_string(out->cursor));
}

static ct_status fare_rec(void *ctx, const pv_fare_rec *r)
{
    pv_call *c = ctx;
    const sb_world *w = c->p->w;
    json_t *data = json_object_get(c->json, "data");
    for (int k = 0; k < SB_NCLASSES; k++) {
        char code[2] = {sb_class(k)->letter, '\0'};
        if (json_array_append_new(data, json_pack("{s:s, s:s, s:s, s:s, s:s, s:I, s:I}", "carrier",
                                                  w->carriers[r->m->carrier].code, "origin",
                                                  w->airports[r->m->origin].iata, "destination",
                                                  w->airports[r->m->dest].iata, "bookingClass",
                                                  code, "cabin", cabin_name(sb_class(k)->cabin),
                                                  "oneWayCents", (json_int_t)r->oneway[k],
                                                  "roundTripCents", (json_int_t)r->ret[k])))
            return CT_NOMEM;
    }
    return CT_OK;
}

static void fares(pv_call *c)
{
    pv_feed_req r;
    pv_feed_out out;
    pv_err e;
    pv_reply(c, 200, json_pack("{s:s, s:[]}", "currency", c->p->currency, "data"));
    if (feed_req(c, &r, &e) || pv_feed_fares(c, &r, fare_rec, c, &out, &e)) {
        pv_fail(c, &e);
        return;
    }
    page_body(c->json, &out);
}

static json_t *lowest(const sb_leg_avail *a, int cabin)
{
    int k = a->lowest[cabin];
    if (k < 0)
        return json_null();
    char code[2] = {sb_class(k)->letter, '\0'};
    return json_pack("{s:s, s:i}", "bookingClass", code, "seats",
                     a->seats[k] > 9 ? 9 : a->seats[k]);
}

static ct_status avail_rec(void *ctx, const pv_avail_rec *r)
{
    pv_call *c = ctx;
    json_t *x = flight(c->p, &r->seg);
    json_t *seats = json_object();
    for (int k = 0; k < SB_NCLASSES; k++) {
        char code[2] = {sb_class(k)->letter, '\0'};
        json_object_set_new(seats, code, json_integer(r->a.seats[k] > 9 ? 9 : r->a.seats[k]));
    }
    json_object_set_new(x, "seats", seats);
    json_object_set_new(x, "lowest",
                        json_pack("{s:o, s:o}", "COACH", lowest(&r->a, SB_CABIN_ECONOMY),
                                  "BUSINESS", lowest(&r->a, SB_CABIN_BUSINESS)));
    return json_array_append_new(json_object_get(c->json, "data"), x) ? CT_NOMEM : CT_OK;
}

static void availability(pv_call *c)
{
    pv_feed_req r;
    pv_feed_out out;
    pv_err e;
    pv_reply(c, 200, json_pack("{s:[]}", "data"));
    if (feed_req(c, &r, &e) || pv_feed_avail(c, &r, avail_rec, c, &out, &e)) {
        pv_fail(c, &e);
        return;
    }
    page_body(c->json, &out);
}

static void pricing(pv_call *c)
{
    sb_provider *p = c->p;
    pv_query q;
    pv_offer o;
    pv_err e;
    json_t *body = pv_body_json(c, "(body)");
    if (body == NULL)
        return;
    ct_status rc = parse_query(body, &q, &e);
    json_decref(body);
    if (rc || pv_offer_make(p, &q, c->now, &o, &e)) {
        pv_fail(c, &e);
        return;
    }
    char exp[21];
    pv_reply(c, 200,
             json_pack("{s:{s:s, s:s, s:s, s:i, s:s, s:I, s:I, s:I, s:o}}", "pricing", "pricingId",
                       o.id, "validUntil", pv_instant(o.expires_at, exp), "currency", p->currency,
                       "travelerCount", o.pr.it.pax, "cabin", cabin_name(o.pr.it.cabin),
                       "baseFareCents", (json_int_t)(o.pr.fare_pp * o.pr.it.pax), "serviceFeeCents",
                       (json_int_t)(o.pr.fee_pp * o.pr.it.pax), "totalCents",
                       (json_int_t)o.pr.total, "trips",
                       trips(p, &o.pr.it, o.pr.cls, o.pr.amount, o.pr.seats)));
}

static const char *state_name(sb_booking_state s)
{
    static const char *names[] = {"HOLD", "HOLD_EXPIRED", "PURCHASED", "VOIDED", "REFUNDED"};
    return names[s];
}

static json_t *trip_view(pv_call *c, pv_order *o)
{
    sb_provider *p = c->p;
    char exp[21];
    json_t *travelers = json_array(), *tickets = json_array();
    for (int i = 0; i < o->npax; i++) {
        json_array_append_new(travelers, json_pack("{s:s, s:s}", "firstName", o->pax[i].given,
                                                   "lastName", o->pax[i].family));
        if (o->b.state == SB_BOOKING_TICKETED || o->b.state == SB_BOOKING_REFUNDED) {
            char number[14];
            pv_ticket_number(p, o, 0, i, number);
            json_array_append_new(tickets,
                                  json_pack("{s:i, s:s}", "traveler", i, "number", number));
        }
    }
    json_t *t = json_pack(
        "{s:s, s:s, s:s, s:s, s:I, s:I, s:I, s:b, s:o, s:o, s:o}", "tripId", o->b.id, "state",
        state_name(o->b.state), "holdUntil", pv_instant(o->b.expires_at, exp), "currency",
        p->currency, "totalCents", (json_int_t)o->b.amount, "pricedTotalCents",
        (json_int_t)o->b.offer_amount, "serviceFeeCents", (json_int_t)(o->fee_pp * o->b.seats),
        "priceChanged", o->b.amount != o->b.offer_amount, "travelers", travelers, "trips",
        trips(p, &o->it, o->cls, o->amount, NULL), "eTickets", tickets);
    if (o->b.state == SB_BOOKING_REFUNDED)
        json_object_set_new(t, "refundCents", json_integer(o->b.refund_amount));
    return json_pack("{s:o}", "trip", t);
}

static void trip_create(pv_call *c)
{
    pv_err e;
    pv_pax pax[SB_INV_MAX_SEATS];
    pv_order o = {0};
    json_t *body = pv_body_json(c, "(body)");
    if (body == NULL)
        return;
    char fp[65];
    pv_fingerprint(body, fp);
    pv_order_req r = {.f_offer = "pricingId",
                      .f_pax = "travelers",
                      .pax = pax,
                      .idem_key = ct_http_header(c->req, "Idempotency-Key"),
                      .f_idem = "Idempotency-Key",
                      .fingerprint = fp};
    const json_t *list = NULL;
    r.offer_id = pv_get_str(body, "pricingId", "", PV_TOKEN_LEN - 1, &e);
    if (r.offer_id != NULL)
        list = pv_get_array(body, "travelers", "", 1, SB_INV_MAX_SEATS, &e);
    ct_status rc = list ? pv_parse_pax(list, "travelers", "firstName", "lastName", pax, &r.npax, &e)
                        : CT_INVALID;
    if (!rc && r.idem_key != NULL && strlen(r.idem_key) > 64) {
        pv_err_set(&e, 400, "invalid_field", "Idempotency-Key", "at most 64 characters");
        rc = CT_INVALID;
    }
    if (!rc)
        rc = pv_order_create(c, &r, &o, &e);
    json_decref(body);
    pv_order_finish(c, rc, 201, &o, &e);
}

static ct_status routes(sb_provider *p, ct_router *r)
{
    static const struct {
        const char *method, *pattern;
        pv_handler h;
    } table[] = {
        {"GET", "/v2/catalog", catalog},
        {"GET", "/v2/catalog/{carrier}/ssim", ssim},
        {"GET", "/v2/fares", fares},
        {"GET", "/v2/availability", availability},
        {"POST", "/v2/pricing", pricing},
        {"POST", "/v2/trips", trip_create},
        {"GET", "/v2/trips/{id}", pv_h_order_get},
        {"POST", "/v2/trips/{id}/purchase", pv_h_order_ticket},
        {"POST", "/v2/trips/{id}/void", pv_h_order_cancel},
        {"POST", "/v2/trips/{id}/refunds", pv_h_order_refund},
    };
    ct_status rc = CT_OK;
    for (size_t i = 0; !rc && i < sizeof(table) / sizeof(table[0]); i++)
        rc = pv_route(p, r, table[i].method, table[i].pattern, table[i].h);
    return rc;
}

const pv_dialect pv_dialect_farefinder = {"farefinder", "application/json", 400,
                                          error_body,   seg_field,          routes,
                                          trip_view,    "paymentToken"};
