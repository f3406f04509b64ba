/* dialect_hopscotch.c: "Hopscotch", the self-transfer combiner's dialect (combiner).
 *
 * snake_case members, amounts as decimal strings in pounds ("123.45"), slices of legs
 * (slices[0].legs[1]), integer flight numbers ("number"), separate tickets listed per
 * carrier group with their own amounts, the self-transfer points with their connection
 * times, a protection guarantee, idempotency through the Idempotency-Key header, query
 * parameters page_token / limit / from / to / since, and errors as RFC 9457 problem+json
 * with an "errors" list naming each field. Routes under /v1. */
#include <stdio.h>
#include <string.h>

#include "base/alloc.h"
#include "sandbox/providers/provider_internal.h"

static json_t *error_body(pv_call *c, const pv_err *e)
{
    char type[96];
    snprintf(type, sizeof(type), "https://hopscotch.sandbox/problems/%s", e->code);
    json_t *body = json_pack("{s:s, s:s, s:i, s:s, s:s, s:s}", "type", type, "title", e->code,
                             "status", e->status, "detail", e->message, "instance",
                             ct_http_path(c->req), "request_id", ct_http_request_id(c->req));
    if (body != NULL && e->field[0])
        json_object_set_new(body, "errors",
                            json_pack("[{s:s, s:s}]", "field", e->field, "message", e->message));
    return body;
}

static const char *cabin_name(int cabin)
{
    return pv_dialect_hopscotch.cabins[cabin >= 0 && cabin < SB_NCABINS ? cabin : SB_CABIN_ECONOMY];
}

static json_t *money(const sb_provider *p, int64_t minor)
{
    char buf[32];
    return json_string(pv_money(p, minor, buf));
}

static json_t *leg(const sb_provider *p, const pv_seg *s, int cls, int64_t amount, int seats)
{
    char date[11], dep[21], arr[21], k[2] = {sb_class(cls)->letter, '\0'};
    const sb_world *w = p->w;
    json_t *x =
        json_pack("{s:s, s:i, s:s, s:s, s:s, s:s, s:s, s:s, s:o}", "carrier",
                  w->carriers[s->carrier].code, "number", w->flights[s->dl.flight].number, "date",
                  pv_date(s->dep_date, date), "origin", w->airports[s->origin].iata, "destination",
                  w->airports[s->dest].iata, "departure", pv_instant(s->dep_utc, dep), "arrival",
                  pv_instant(s->arr_utc, arr), "class", k, "amount", money(p, amount));
    if (seats >= 0)
        json_object_set_new(x, "seats_left", json_integer(seats));
    return x;
}

/* Slices of legs, the separate tickets (runs of cooperating legs, with their through
 * amounts) and the self-transfer points, added to `obj`. */
static void itinerary(const sb_provider *p, json_t *obj, const pv_itin *it, int cls[][PV_MAX_SEGS],
                      int64_t amounts[][PV_MAX_SEGS], int seats[][PV_MAX_SEGS])
{
    const sb_world *w = p->w;
    json_t *slices = json_array(), *tickets = json_array(), *transfers = json_array();
    for (int s = 0; s < it->nslices; s++) {
        json_t *legs = json_array(), *run = NULL;
        int64_t run_amounts[PV_MAX_SEGS];
        int nrun = 0;
        for (int g = 0; g < it->nsegs[s]; g++) {
            const pv_seg *sg = &it->segs[s][g];
            json_array_append_new(legs,
                                  leg(p, sg, cls[s][g], amounts[s][g], seats ? seats[s][g] : -1));
            int split = g > 0 && !sb_carriers_cooperate(w, it->segs[s][g - 1].carrier, sg->carrier);
            if (split) {
                const pv_seg *prev = &it->segs[s][g - 1];
                json_array_append_new(transfers,
                                      json_pack("{s:s, s:I}", "airport",
                                                w->airports[sg->origin].iata, "connection_minutes",
                                                (json_int_t)((sg->dep_utc - prev->arr_utc) / 60)));
            }
            if (g == 0 || split) {
                if (run != NULL)
                    json_object_set_new(run, "amount",
                                        money(p, sb_fare_through(run_amounts, nrun)));
                run = json_pack("{s:s, s:i, s:[]}", "carrier", w->carriers[sg->carrier].code,
                                "slice", s, "legs");
                json_array_append_new(tickets, run);
                nrun = 0;
            }
            json_array_append_new(json_object_get(run, "legs"), json_integer(g));
            run_amounts[nrun++] = amounts[s][g];
        }
        json_object_set_new(run, "amount", money(p, sb_fare_through(run_amounts, nrun)));
        json_array_append_new(slices, json_pack("{s:o}", "legs", legs));
    }
    json_object_set_new(obj, "slices", slices);
    json_object_set_new(obj, "tickets", tickets);
    json_object_set_new(obj, "self_transfers", transfers);
    json_object_set_new(obj, "protection",
                        json_pack("{s:b, s:i, s:s}", "guaranteed", 1, "min_connection_minutes",
                                  PV_SELF_TRANSFER_MCT, "covers",
                                  "a missed self-transfer: rebooking on the next available "
                                  "flight or a refund of the unused tickets"));
}

/* ---- parsing ---- */

static ct_status parse_query(const json_t *body, pv_query *q, pv_err *e)
{
    memset(q, 0, sizeof(*q));
    const json_t *sl = pv_get_array(body, "slices", "", 1, PV_MAX_SLICES, e);
    long pax = 0;
    if (sl == NULL || pv_get_int(body, "passengers", "", 1, SB_INV_MAX_SEATS, &pax, e))
        return CT_INVALID;
    q->pax = (int)pax;
    if (pv_get_pax_mix(body, "", "children", "infants_in_seat", "lap_infants", q, e))
        return CT_INVALID;
    if (pv_parse_cabin(&pv_dialect_hopscotch, body, "cabin", "", &q->cabin, e))
        return CT_INVALID;
    return pv_parse_slices(&pv_dialect_hopscotch, sl, q, e);
}

/* ---- handlers ---- */

static json_t *listing(pv_call *c, json_t *carriers)
{
    sb_provider *p = c->p;
    return json_pack("{s:s, s:o, s:i, s:o}", "currency", p->currency, "fee_per_passenger",
                     money(p, p->fee_minor), "min_self_transfer_minutes", PV_SELF_TRANSFER_MCT,
                     "carriers", carriers);
}

static ct_status fare_rec(pv_call *c, json_t *arr, const pv_fare_rec *r)
{
    const sb_world *w = c->p->w;
    json_t *f = json_object();
    for (int k = 0; k < SB_NCLASSES; k++) {
        char code[2] = {sb_class(k)->letter, '\0'};
        json_object_set_new(f, code,
                            json_pack("{s:o, s:o}", "one_way", money(c->p, r->oneway[k]), "return",
                                      money(c->p, r->ret[k])));
    }
    return json_array_append_new(arr, json_pack("{s:s, s:s, s:s, s:o}", "carrier",
                                                w->carriers[r->m->carrier].code, "origin",
                                                w->airports[r->m->origin].iata, "destination",
                                                w->airports[r->m->dest].iata, "fares", f))
               ? CT_NOMEM
               : CT_OK;
}

static json_t *lowest(const sb_leg_avail *a, int cabin)
{
    int k = a->lowest[cabin];
    if (k < 0)
        return json_null();
    char code[2] = {sb_class(k)->letter, '\0'};
    return json_pack("{s:s, s:i}", "class", code, "seats", a->seats[k] > 9 ? 9 : a->seats[k]);
}

static json_t *avail_rec(pv_call *c, const pv_avail_rec *r)
{
    const sb_world *w = c->p->w;
    char date[11], dep[21], arr[21], avs[32];
    sb_inv_avs(&r->a, avs, sizeof(avs));
    json_t *x = json_pack(
        "{s:s, s:i, s:s, s:s, s:s, s:s, s:s, s:s, s:{s:o, s:o, s:o, s:o}}", "carrier",
        w->carriers[r->seg.carrier].code, "number", w->flights[r->seg.dl.flight].number, "date",
        pv_date(r->seg.dep_date, date), "origin", w->airports[r->seg.origin].iata, "destination",
        w->airports[r->seg.dest].iata, "departure", pv_instant(r->seg.dep_utc, dep), "arrival",
        pv_instant(r->seg.arr_utc, arr), "availability", avs, "cabins", "economy",
        lowest(&r->a, SB_CABIN_ECONOMY), "premium_economy", lowest(&r->a, SB_CABIN_PREMIUM),
        "business", lowest(&r->a, SB_CABIN_BUSINESS), "first", lowest(&r->a, SB_CABIN_FIRST));
    return x;
}

static json_t *offer_view(pv_call *c, pv_offer *o)
{
    sb_provider *p = c->p;
    char exp[21];
    json_t *x = json_pack("{s:s, s:s, s:s, s:i, s:s, s:o, s:o, s:o}", "price_id", o->id,
                          "expires_at", pv_instant(o->expires_at, exp), "currency", p->currency,
                          "passengers", o->pr.it.pax, "cabin", cabin_name(o->pr.it.cabin),
                          "fare_per_passenger", money(p, o->pr.fare_pp), "fee_per_passenger",
                          money(p, o->pr.fee_pp), "total", money(p, o->pr.total));
    itinerary(p, x, &o->pr.it, o->pr.cls, o->pr.amount, o->pr.seats);
    return x;
}

static json_t *booking_view(pv_call *c, pv_order *o)
{
    sb_provider *p = c->p;
    char exp[21];
    json_t *pax = json_array(), *numbers = json_array();
    int ntickets = pv_ticket_count(p, &o->it);
    for (int i = 0; i < o->npax; i++) {
        json_array_append_new(pax, json_pack("{s:s, s:s}", "given_name", o->pax[i].given,
                                             "family_name", o->pax[i].family));
        for (int t = 0; t < ntickets; t++) {
            if (o->b.state != SB_BOOKING_TICKETED && o->b.state != SB_BOOKING_REFUNDED)
                break;
            char number[14];
            pv_ticket_number(p, o, t, i, number);
            json_array_append_new(numbers, json_pack("{s:i, s:i, s:s}", "passenger", i, "ticket", t,
                                                     "number", number));
        }
    }
    json_t *b = json_pack("{s:s, s:s, s:s, s:s, s:o, s:o, s:b, s:o, s:o}", "id", o->b.id, "status",
                          sb_booking_state_name(o->b.state), "hold_expires_at",
                          pv_instant(o->b.expires_at, exp), "currency", p->currency, "total",
                          money(p, o->b.amount), "priced_total", money(p, o->b.offer_amount),
                          "price_changed", o->b.amount != o->b.offer_amount, "passengers", pax,
                          "ticket_numbers", numbers);
    itinerary(p, b, &o->it, o->cls, o->amount, NULL);
    if (o->b.state == SB_BOOKING_REFUNDED)
        json_object_set_new(b, "refund",
                            json_pack("{s:o}", "amount", money(p, o->b.refund_amount)));
    return json_pack("{s:o}", "booking", b);
}

const pv_dialect pv_dialect_hopscotch = {
    .id = "hopscotch",
    .error_type = "application/problem+json",
    .invalid_status = 400,
    .route = {"/v1/schedules", "/v1/schedules/{carrier}", "/v1/fares", "/v1/availability",
              "/v1/itineraries/price", "/v1/bookings", "/v1/bookings/{id}",
              "/v1/bookings/{id}/ticket", "/v1/bookings/{id}/cancel", "/v1/bookings/{id}/refund"},
    .ssim = {"carrier", NULL, ""},
    .query = {"from", "to", "limit", "page_token", "since"},
    .paging = {NULL, "next_page_token", "cursor"},
    .feed = {"currency", "items", "items"},
    .carrier = {"code", "name", "alliance", "ssim"},
    .cabins = {"economy", "business", "premium_economy", "first"},
    .seg = {"carrier", "number", "date", "origin", "destination", 0},
    .itin = {"slices", "legs"},
    .order = {"price_id", "passengers", "given_name", "family_name", "Idempotency-Key", 0},
    .ticket_field = "payment_reference",
    .error_body = error_body,
    .listing = listing,
    .parse_query = parse_query,
    .offer_view = offer_view,
    .order_view = booking_view,
    .fare_rec = fare_rec,
    .avail_rec = avail_rec,
    .routes = pv_dialect_routes,
};
