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

static json_t *error_body(pv_call *c, const pv_err *e)
{
    (void)c;
    char code[40];
    pv_upper(e->code, code);
    return json_pack("{s:b, s:[{s:s, s:s?, s:s}]}", "ok", 0, "errors", "code", code, "param",
                     e->field[0] ? e->field : NULL, "reason", e->message);
}

static const char *cabin_name(int cabin)
{
    return pv_dialect_farefinder
        .cabins[cabin >= 0 && cabin < SB_NCABINS ? cabin : SB_CABIN_ECONOMY];
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
    if (pv_get_pax_mix(body, "", "childCount", "infantInSeatCount", "lapInfantCount", q, e))
        return CT_INVALID;
    if (pv_parse_cabin(&pv_dialect_farefinder, body, "cabin", "", &q->cabin, e))
        return CT_INVALID;
    return pv_parse_slices(&pv_dialect_farefinder, tr, q, e);
}

/* ---- handlers ---- */

static json_t *listing(pv_call *c, json_t *carriers)
{
    sb_provider *p = c->p;
    return json_pack("{s:s, s:I, s:i, s:o}", "currency", p->currency, "serviceFeeCents",
                     (json_int_t)p->fee_minor, "markupBasisPoints", p->markup_bp, "carriers",
                     carriers);
}

static ct_status fare_rec(pv_call *c, json_t *data, const pv_fare_rec *r)
{
    const sb_world *w = c->p->w;
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

static json_t *lowest(const sb_leg_avail *a, int cabin)
{
    int k = a->lowest[cabin];
    if (k < 0)
        return json_null();
    char code[2] = {sb_class(k)->letter, '\0'};
    return json_pack("{s:s, s:i}", "bookingClass", code, "seats",
                     a->seats[k] > 9 ? 9 : a->seats[k]);
}

static json_t *avail_rec(pv_call *c, const pv_avail_rec *r)
{
    json_t *x = flight(c->p, &r->seg);
    json_t *seats = json_object();
    for (int k = 0; k < SB_NCLASSES; k++) {
        char code[2] = {sb_class(k)->letter, '\0'};
        json_object_set_new(seats, code, json_integer(r->a.seats[k] > 9 ? 9 : r->a.seats[k]));
    }
    json_object_set_new(x, "seats", seats);
    json_t *low = json_object();
    for (int cabin = 0; cabin < SB_NCABINS; cabin++)
        json_object_set_new(low, cabin_name(cabin), lowest(&r->a, cabin));
    json_object_set_new(x, "lowest", low);
    return x;
}

static json_t *offer_view(pv_call *c, pv_offer *o)
{
    sb_provider *p = c->p;
    char exp[21];
    return json_pack("{s:{s:s, s:s, s:s, s:i, s:s, s:I, s:I, s:I, s:o}}", "pricing", "pricingId",
                     o->id, "validUntil", pv_instant(o->expires_at, exp), "currency", p->currency,
                     "travelerCount", o->pr.it.pax, "cabin", cabin_name(o->pr.it.cabin),
                     "baseFareCents", (json_int_t)pv_fares_total(&o->pr.it, o->pr.fare_pp),
                     "serviceFeeCents", (json_int_t)o->pr.fee_pp * (o->pr.it.pax + o->pr.it.lap),
                     "totalCents", (json_int_t)o->pr.total, "trips",
                     trips(p, &o->pr.it, o->pr.cls, o->pr.amount, o->pr.seats));
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
        (json_int_t)o->b.offer_amount, "serviceFeeCents", (json_int_t)o->fee_pp * o->b.seats,
        "priceChanged", o->b.amount != o->b.offer_amount, "travelers", travelers, "trips",
        trips(p, &o->it, o->cls, o->amount, NULL), "eTickets", tickets);
    if (o->b.state == SB_BOOKING_REFUNDED)
        json_object_set_new(t, "refundCents", json_integer(o->b.refund_amount));
    return json_pack("{s:o}", "trip", t);
}

const pv_dialect pv_dialect_farefinder = {
    .id = "farefinder",
    .error_type = "application/json",
    .invalid_status = 400,
    .route = {"/v2/catalog", "/v2/catalog/{carrier}/ssim", "/v2/fares", "/v2/availability",
              "/v2/pricing", "/v2/trips", "/v2/trips/{id}", "/v2/trips/{id}/purchase",
              "/v2/trips/{id}/void", "/v2/trips/{id}/refunds"},
    .ssim = {"carrier", NULL, "/ssim"},
    .query = {"fromDate", "toDate", "pageSize", "cursor", "changesSince"},
    .paging = {"paging", "next", "syncCursor"},
    .feed = {"currency", "data", "data"},
    .carrier = {"iata", "name", "alliance", "ssimPath"},
    .cabins = {"COACH", "BUSINESS", "PREMIUM_COACH", "FIRST"},
    .seg = {"carrier", "flightNumber", "departureDate", "origin", "destination", 0},
    .itin = {"trips", "flights"},
    .order = {"pricingId", "travelers", "firstName", "lastName", "Idempotency-Key", 0},
    .ticket_field = "paymentToken",
    .error_body = error_body,
    .listing = listing,
    .parse_query = parse_query,
    .offer_view = offer_view,
    .order_view = trip_view,
    .fare_rec = fare_rec,
    .avail_rec = avail_rec,
    .routes = pv_dialect_routes,
};
