/* dialect_voyagio.c: "Voyagio", the euro travel agency's dialect (ota-eur).
 *
 * snake_case members, amounts as JSON numbers in euros (412.5), one flat list of segments
 * each tagged with its slice (0 outbound, 1 return), integer flight numbers, a
 * client_reference in the booking body as the idempotency key (required), query parameters
 * page / per_page / start_date / end_date / since, and errors as {"error": {"code",
 * "message", "field"}} with 422 for invalid input. Routes under /api. */
#include <stdio.h>
#include <string.h>

#include "base/alloc.h"
#include "sandbox/providers/provider_internal.h"

static json_t *error_body(pv_call *c, const pv_err *e)
{
    (void)c;
    const char *code = strcmp(e->code, "invalid_field") == 0          ? "validation_failed"
                       : strcmp(e->code, "offer_expired") == 0        ? "quote_expired"
                       : strcmp(e->code, "idempotency_conflict") == 0 ? "duplicate_reference"
                                                                      : e->code;
    return json_pack("{s:{s:s, s:s, s:s?}}", "error", "code", code, "message", e->message, "field",
                     e->field[0] ? e->field : NULL);
}

static const char *cabin_name(int cabin)
{
    return pv_dialect_voyagio.cabins[cabin >= 0 && cabin < SB_NCABINS ? cabin : SB_CABIN_ECONOMY];
}

static json_t *segment(const sb_provider *p, const pv_seg *s, int slice)
{
    char date[11], dep[21], arr[21];
    const sb_world *w = p->w;
    return json_pack("{s:i, s:s, s:i, s:s, s:s, s:s, s:s, s:s}", "slice", slice, "airline",
                     w->carriers[s->carrier].code, "flight_number", w->flights[s->dl.flight].number,
                     "date", pv_date(s->dep_date, date), "from", w->airports[s->origin].iata, "to",
                     w->airports[s->dest].iata, "departs_at", pv_instant(s->dep_utc, dep),
                     "arrives_at", pv_instant(s->arr_utc, arr));
}

static json_t *segments(const sb_provider *p, const pv_itin *it, int cls[][PV_MAX_SEGS],
                        int64_t amounts[][PV_MAX_SEGS], int seats[][PV_MAX_SEGS])
{
    json_t *a = json_array();
    for (int s = 0; s < it->nslices; s++) {
        for (int g = 0; g < it->nsegs[s]; g++) {
            json_t *x = segment(p, &it->segs[s][g], s);
            char k[2] = {sb_class(cls[s][g])->letter, '\0'};
            json_object_set_new(x, "class", json_string(k));
            json_object_set_new(x, "price", pv_money_real(p, amounts[s][g]));
            if (seats != NULL)
                json_object_set_new(x, "seats_left", json_integer(seats[s][g]));
            json_array_append_new(a, x);
        }
    }
    return a;
}

/* ---- parsing ---- */

static ct_status parse_query(const json_t *body, pv_query *q, pv_err *e)
{
    memset(q, 0, sizeof(*q));
    const json_t *segs = pv_get_array(body, "segments", "", 1, PV_MAX_SLICES * PV_MAX_SEGS, e);
    long pax = 0;
    if (segs == NULL || pv_get_int(body, "passengers", "", 1, SB_INV_MAX_SEATS, &pax, e))
        return CT_INVALID;
    q->pax = (int)pax;
    if (pv_get_pax_mix(body, "", "children", "infants_in_seat", "lap_infants", q, e))
        return CT_INVALID;
    if (pv_parse_cabin(&pv_dialect_voyagio, body, "cabin", "", &q->cabin, e))
        return CT_INVALID;
    for (size_t i = 0; i < json_array_size(segs); i++) {
        char path[32];
        snprintf(path, sizeof(path), "segments[%zu]", i);
        const json_t *seg = json_array_get(segs, i);
        long slice = 0;
        if (!json_is_object(seg) || pv_get_int(seg, "slice", path, 0, 1, &slice, e)) {
            if (!json_is_object(seg))
                pv_err_set(e, 400, "invalid_field", path, "expected an object");
            return CT_INVALID;
        }
        if (slice < q->nslices - 1 || (slice == 1 && q->nslices == 0) ||
            q->nsegs[slice] == PV_MAX_SEGS) {
            pv_err_set(e, 400, "invalid_field", path,
                       "segments go in order: up to 4 of slice 0, then up to 4 of slice 1");
            return CT_INVALID;
        }
        q->nslices = (int)slice + 1;
        if (pv_parse_seg(seg, path, &pv_dialect_voyagio.seg, &q->segs[slice][q->nsegs[slice]++], e))
            return CT_INVALID;
    }
    return CT_OK;
}

/* ---- handlers ---- */

static json_t *listing(pv_call *c, json_t *airlines)
{
    sb_provider *p = c->p;
    return json_pack("{s:s, s:o, s:f, s:o}", "currency", p->currency, "service_fee_per_passenger",
                     pv_money_real(p, p->fee_minor), "markup_percent", p->markup_bp / 100.0,
                     "airlines", airlines);
}

static ct_status fare_rec(pv_call *c, json_t *arr, const pv_fare_rec *r)
{
    const sb_world *w = c->p->w;
    json_t *classes = json_array();
    for (int k = 0; k < SB_NCLASSES; k++) {
        char code[2] = {sb_class(k)->letter, '\0'};
        json_array_append_new(classes, json_pack("{s:s, s:s, s:o, s:o}", "code", code, "cabin",
                                                 cabin_name(sb_class(k)->cabin), "one_way",
                                                 pv_money_real(c->p, r->oneway[k]), "return",
                                                 pv_money_real(c->p, r->ret[k])));
    }
    return json_array_append_new(arr, json_pack("{s:s, s:s, s:s, s:o}", "airline",
                                                w->carriers[r->m->carrier].code, "from",
                                                w->airports[r->m->origin].iata, "to",
                                                w->airports[r->m->dest].iata, "classes", classes))
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
    char flight[12], date[11], dep[21], arr[21], avs[32];
    snprintf(flight, sizeof(flight), "%s%d", w->carriers[r->seg.carrier].code,
             w->flights[r->seg.dl.flight].number);
    sb_inv_avs(&r->a, avs, sizeof(avs));
    return json_pack("{s:s, s:s, s:s, s:s, s:s, s:s, s:s, s:s, s:o, s:o, s:o, s:o}", "airline",
                     w->carriers[r->seg.carrier].code, "flight", flight, "date",
                     pv_date(r->seg.dep_date, date), "from", w->airports[r->seg.origin].iata, "to",
                     w->airports[r->seg.dest].iata, "departs_at", pv_instant(r->seg.dep_utc, dep),
                     "arrives_at", pv_instant(r->seg.arr_utc, arr), "availability", avs, "economy",
                     lowest(&r->a, SB_CABIN_ECONOMY), "premium_economy",
                     lowest(&r->a, SB_CABIN_PREMIUM), "business", lowest(&r->a, SB_CABIN_BUSINESS),
                     "first", lowest(&r->a, SB_CABIN_FIRST));
}

static json_t *offer_view(pv_call *c, pv_offer *o)
{
    sb_provider *p = c->p;
    char exp[21];
    return json_pack("{s:{s:s, s:s, s:s, s:i, s:s, s:o, s:o, s:o, s:o}}", "quote", "id", o->id,
                     "expires_at", pv_instant(o->expires_at, exp), "currency", p->currency,
                     "passengers", o->pr.it.pax, "cabin", cabin_name(o->pr.it.cabin), "fare",
                     pv_money_real(p, pv_fares_total(&o->pr.it, o->pr.fare_pp)), "service_fee",
                     pv_money_real(p, o->pr.fee_pp * (o->pr.it.pax + o->pr.it.lap)), "total",
                     pv_money_real(p, o->pr.total), "segments",
                     segments(p, &o->pr.it, o->pr.cls, o->pr.amount, o->pr.seats));
}

static const char *status_name(sb_booking_state s)
{
    static const char *names[] = {"on_hold", "expired", "issued", "cancelled", "refunded"};
    return names[s];
}

static json_t *booking_view(pv_call *c, pv_order *o)
{
    sb_provider *p = c->p;
    char exp[21];
    json_t *travellers = json_array(), *tickets = json_array();
    for (int i = 0; i < o->npax; i++) {
        json_array_append_new(travellers, json_pack("{s:s, s:s}", "first_name", o->pax[i].given,
                                                    "last_name", o->pax[i].family));
        if (o->b.state == SB_BOOKING_TICKETED || o->b.state == SB_BOOKING_REFUNDED) {
            char number[14];
            pv_ticket_number(p, o, 0, i, number);
            json_array_append_new(tickets,
                                  json_pack("{s:i, s:s}", "traveller", i, "number", number));
        }
    }
    json_t *b = json_pack("{s:s, s:s, s:s, s:s, s:o, s:o, s:o, s:b, s:o, s:o, s:o}", "reference",
                          o->b.id, "status", status_name(o->b.state), "hold_expires_at",
                          pv_instant(o->b.expires_at, exp), "currency", p->currency, "total",
                          pv_money_real(p, o->b.amount), "quoted_total",
                          pv_money_real(p, o->b.offer_amount), "service_fee",
                          pv_money_real(p, o->fee_pp * o->b.seats), "price_changed",
                          o->b.amount != o->b.offer_amount, "travellers", travellers, "segments",
                          segments(p, &o->it, o->cls, o->amount, NULL), "tickets", tickets);
    if (o->b.state == SB_BOOKING_REFUNDED)
        json_object_set_new(b, "refund",
                            json_pack("{s:o}", "amount", pv_money_real(p, o->b.refund_amount)));
    return json_pack("{s:o}", "booking", b);
}

const pv_dialect pv_dialect_voyagio = {
    .id = "voyagio",
    .error_type = "application/json",
    .invalid_status = 422,
    .route = {"/api/schedules", "/api/schedules/{file}", "/api/fares", "/api/availability",
              "/api/quotes", "/api/bookings", "/api/bookings/{id}", "/api/bookings/{id}/issue",
              "/api/bookings/{id}/cancel", "/api/bookings/{id}/refund"},
    .ssim = {"file", ".ssim", ".ssim"},
    .query = {"start_date", "end_date", "per_page", "page", "since"},
    .paging = {NULL, "next_page", "sync_token"},
    .feed = {"currency", "fares", "flights"},
    .carrier = {"code", "name", "alliance", "ssim_url"},
    .cabins = {"economy", "business", "premium_economy", "first"},
    .seg = {"airline", "flight_number", "date", "from", "to", 0},
    .itin = {NULL, "segments"},
    .order = {"quote_id", "travellers", "first_name", "last_name", "client_reference", 1},
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
