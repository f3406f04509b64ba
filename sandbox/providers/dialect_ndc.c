/* dialect_ndc.c: the airline gateways' dialect (airline-1, airline-2), NDC-flavoured JSON.
 *
 * PascalCase members after IATA NDC (PricedOffer, OfferID, PaxList, RBD, CurCode,
 * OrderID, TicketDocs), amounts as decimal strings {"Amount": "412.00", "CurCode": "CHF"},
 * flight numbers as digit strings, lowerCamel query parameters, idempotency through the
 * Idempotency-Key header, and errors as {"Errors": [{"StatusCode", "Code", "DescText",
 * "TagText"}]} where TagText is the path of the offending member. Routes under /ndc/v1. */
#include <stdio.h>
#include <string.h>

#include "base/alloc.h"
#include "sandbox/providers/provider_internal.h"

static json_t *error_body(pv_call *c, const pv_err *e)
{
    (void)c;
    char code[40];
    pv_upper(e->code, code);
    return json_pack("{s:[{s:i, s:s, s:s, s:s}]}", "Errors", "StatusCode", e->status, "Code", code,
                     "DescText", e->message, "TagText", e->field);
}

static const char *cabin_name(int cabin)
{
    return pv_dialect_ndc.cabins[cabin >= 0 && cabin < SB_NCABINS ? cabin : SB_CABIN_ECONOMY];
}

static json_t *amount(const sb_provider *p, int64_t minor)
{
    char buf[32];
    return json_pack("{s:s, s:s}", "Amount", pv_money(p, minor, buf), "CurCode", p->currency);
}

/* A segment's identity and times. */
static json_t *segment(const sb_provider *p, const pv_seg *s)
{
    char date[11], dep[21], arr[21], number[8];
    const sb_world *w = p->w;
    snprintf(number, sizeof(number), "%04d", w->flights[s->dl.flight].number);
    return json_pack("{s:s, s:s, s:s, s:s, s:s, s:s, s:s}", "MarketingCarrier",
                     w->carriers[s->carrier].code, "FlightNumber", number, "DepDate",
                     pv_date(s->dep_date, date), "Dep", w->airports[s->origin].iata, "Arr",
                     w->airports[s->dest].iata, "DepDateTime", pv_instant(s->dep_utc, dep),
                     "ArrDateTime", pv_instant(s->arr_utc, arr));
}

static json_t *items(const sb_provider *p, const pv_itin *it, int cls[][PV_MAX_SEGS],
                     int64_t amounts[][PV_MAX_SEGS])
{
    json_t *a = json_array();
    for (int s = 0; s < it->nslices; s++) {
        for (int g = 0; g < it->nsegs[s]; g++) {
            json_t *x = segment(p, &it->segs[s][g]);
            char rbd[2] = {sb_class(cls[s][g])->letter, '\0'};
            json_object_set_new(x, "OriginDestRef", json_integer(s));
            json_object_set_new(x, "RBD", json_string(rbd));
            json_object_set_new(x, "CabinType", json_string(cabin_name(it->cabin)));
            json_object_set_new(x, "UnitPrice", amount(p, amounts[s][g]));
            json_array_append_new(a, x);
        }
    }
    return a;
}

/* ---- parsing ---- */

/* PaxList PTCs: ADT adult, CHD child, INS infant in a seat (child fare), INF lap infant. */
static ct_status parse_pax_types(const json_t *q, pv_query *out, pv_err *e)
{
    const json_t *list = pv_get_array(q, "PaxList", "PricingQuery", 1, 2 * SB_INV_MAX_SEATS, e);
    if (list == NULL)
        return CT_INVALID;
    long n[4] = {0, 0, 0, 0};
    static const char *const ptcs[4] = {"ADT", "CHD", "INS", "INF"};
    for (size_t i = 0; i < json_array_size(list); i++) {
        char path[64];
        snprintf(path, sizeof(path), "PricingQuery.PaxList[%zu]", i);
        const char *ptc = pv_get_str(json_array_get(list, i), "PTC", path, 3, e);
        if (ptc == NULL)
            return CT_INVALID;
        int k = 0;
        while (k < 4 && strcmp(ptc, ptcs[k]) != 0)
            k++;
        if (k == 4) {
            pv_err_set(e, 400, "invalid_field", "PricingQuery.PaxList.PTC",
                       "expected ADT, CHD, INS or INF");
            return CT_INVALID;
        }
        n[k]++;
    }
    return pv_set_pax(out, n[0], n[1], n[2], n[3], "PricingQuery.PaxList", e);
}

static ct_status parse_query(const json_t *body, pv_query *q, pv_err *e)
{
    memset(q, 0, sizeof(*q));
    const json_t *pq = pv_get_object(body, "PricingQuery", "", e);
    if (pq == NULL)
        return CT_INVALID;
    const json_t *ods = pv_get_array(pq, "OriginDest", "PricingQuery", 1, PV_MAX_SLICES, e);
    if (ods == NULL ||
        pv_parse_cabin(&pv_dialect_ndc, pq, "CabinType", "PricingQuery", &q->cabin, e) ||
        parse_pax_types(pq, q, e))
        return CT_INVALID;
    return pv_parse_slices(&pv_dialect_ndc, ods, q, e);
}

/* ---- handlers ---- */

static json_t *listing(pv_call *c, json_t *carriers)
{
    sb_provider *p = c->p;
    return json_pack("{s:s, s:s, s:o}", "Owner", p->w->carriers[p->main_carrier].code, "CurCode",
                     p->currency, "Carriers", carriers);
}

static ct_status fare_rec(pv_call *c, json_t *arr, const pv_fare_rec *r)
{
    const sb_world *w = c->p->w;
    json_t *details = json_array();
    for (int k = 0; k < SB_NCLASSES; k++) {
        char rbd[2] = {sb_class(k)->letter, '\0'}, ow[32], rt[32];
        json_array_append_new(details, json_pack("{s:s, s:s, s:s, s:s}", "RBD", rbd, "CabinType",
                                                 cabin_name(sb_class(k)->cabin), "OneWay",
                                                 pv_money(c->p, r->oneway[k], ow), "Return",
                                                 pv_money(c->p, r->ret[k], rt)));
    }
    return json_array_append_new(
               arr, json_pack("{s:s, s:s, s:s, s:o}", "Owner", w->carriers[r->m->carrier].code,
                              "Origin", w->airports[r->m->origin].iata, "Destination",
                              w->airports[r->m->dest].iata, "FareDetails", details))
               ? CT_NOMEM
               : CT_OK;
}

static json_t *avail_rec(pv_call *c, const pv_avail_rec *r)
{
    json_t *x = segment(c->p, &r->seg);
    char avs[32];
    sb_inv_avs(&r->a, avs, sizeof(avs));
    json_object_set_new(x, "AvailabilityText", json_string(avs));
    json_t *cabins = json_array();
    for (int cabin = 0; cabin < SB_NCABINS; cabin++) {
        if (r->a.capacity[cabin] == 0)
            continue;
        int k = r->a.lowest[cabin];
        char rbd[2] = {k >= 0 ? sb_class(k)->letter : '\0', '\0'};
        json_array_append_new(
            cabins, json_pack("{s:s, s:o, s:i}", "CabinType", cabin_name(cabin), "LowestRBD",
                              k >= 0 ? json_string(rbd) : json_null(), "SeatsLeft",
                              k >= 0 ? (r->a.seats[k] > 9 ? 9 : r->a.seats[k]) : 0));
    }
    json_object_set_new(x, "Cabins", cabins);
    return x;
}

static json_t *offer_view(pv_call *c, pv_offer *o)
{
    sb_provider *p = c->p;
    char exp[21];
    return json_pack("{s:{s:s, s:s, s:s, s:{s:o}, s:i, s:s, s:o}}", "PricedOffer", "OfferID", o->id,
                     "Owner", p->w->carriers[p->main_carrier].code, "OfferExpirationDateTime",
                     pv_instant(o->expires_at, exp), "TotalPrice", "TotalAmount",
                     amount(p, o->pr.total), "PaxCount", o->pr.it.pax, "CabinType",
                     cabin_name(o->pr.it.cabin), "OfferItems",
                     items(p, &o->pr.it, o->pr.cls, o->pr.amount));
}

static const char *status_code(sb_booking_state s)
{
    static const char *codes[] = {"HELD", "EXPIRED", "TICKETED", "CANCELLED", "REFUNDED"};
    return codes[s];
}

static json_t *order_view(pv_call *c, pv_order *o)
{
    sb_provider *p = c->p;
    char exp[21];
    json_t *pax = json_array(), *docs = json_array();
    for (int i = 0; i < o->npax; i++) {
        char id[16];
        snprintf(id, sizeof(id), "PAX%d", i + 1);
        json_array_append_new(pax,
                              json_pack("{s:s, s:s, s:s, s:s}", "PaxID", id, "PTC", "ADT",
                                        "GivenName", o->pax[i].given, "Surname", o->pax[i].family));
        if (o->b.state == SB_BOOKING_TICKETED || o->b.state == SB_BOOKING_REFUNDED) {
            char number[14];
            pv_ticket_number(p, o, 0, i, number);
            json_array_append_new(docs,
                                  json_pack("{s:s, s:s}", "PaxRefID", id, "TicketNumber", number));
        }
    }
    json_t *order = json_pack(
        "{s:s, s:s, s:s, s:s, s:{s:o}, s:{s:o}, s:b, s:o, s:o, s:o}", "OrderID", o->b.id,
        "OwnerCode", p->w->carriers[p->main_carrier].code, "StatusCode", status_code(o->b.state),
        "PaymentTimeLimitDateTime", pv_instant(o->b.expires_at, exp), "TotalPrice", "TotalAmount",
        amount(p, o->b.amount), "OfferPrice", "TotalAmount", amount(p, o->b.offer_amount),
        "PriceChanged", o->b.amount != o->b.offer_amount, "PaxList", pax, "OrderItems",
        items(p, &o->it, o->cls, o->amount), "TicketDocs", docs);
    if (o->b.state == SB_BOOKING_REFUNDED)
        json_object_set_new(order, "Refund",
                            json_pack("{s:o}", "Amount", amount(p, o->b.refund_amount)));
    return json_pack("{s:o}", "Order", order);
}

const pv_dialect pv_dialect_ndc = {
    .id = "ndc",
    .error_type = "application/json",
    .invalid_status = 400,
    .route = {"/ndc/v1/schedules", "/ndc/v1/schedules/{carrier}", "/ndc/v1/fares",
              "/ndc/v1/availability", "/ndc/v1/offers", "/ndc/v1/orders", "/ndc/v1/orders/{id}",
              "/ndc/v1/orders/{id}/ticket", "/ndc/v1/orders/{id}/cancel",
              "/ndc/v1/orders/{id}/refund"},
    .ssim = {"carrier", NULL, ""},
    .query = {"fromDate", "toDate", "limit", "pageToken", "since"},
    .paging = {NULL, "NextPageToken", "Cursor"},
    .feed = {"CurCode", "Fares", "Legs"},
    .carrier = {"AirlineDesigCode", "Name", "Alliance", "SSIM"},
    .cabins = {"ECONOMY", "BUSINESS", "PREMIUM_ECONOMY", "FIRST"},
    .seg = {"MarketingCarrier", "FlightNumber", "DepDate", "Dep", "Arr", 1},
    .itin = {"PricingQuery.OriginDest", "PaxSegment"},
    .order = {"OfferID", "PaxList", "GivenName", "Surname", "Idempotency-Key", 0},
    .ticket_field = "PaymentRef",
    .error_body = error_body,
    .listing = listing,
    .parse_query = parse_query,
    .offer_view = offer_view,
    .order_view = order_view,
    .fare_rec = fare_rec,
    .avail_rec = avail_rec,
    .routes = pv_dialect_routes,
};
