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

static const pv_seg_names seg_names = {
    "MarketingCarrier", "FlightNumber", "DepDate", "Dep", "Arr", 1};

static json_t *error_body(pv_call *c, const pv_err *e)
{
    (void)c;
    char code[40];
    size_t i = 0;
    for (; e->code[i] && i + 1 < sizeof(code); i++)
        code[i] = (char)(e->code[i] >= 'a' && e->code[i] <= 'z' ? e->code[i] - 32 : e->code[i]);
    code[i] = '\0';
    return json_pack("{s:[{s:i, s:s, s:s, s:s}]}", "Errors", "StatusCode", e->status, "Code", code,
                     "DescText", e->message, "TagText", e->field);
}

static void seg_field(const pv_query *q, pv_attr a, int slice, int seg, char *buf, size_t len)
{
    (void)q;
    static const char *attrs[] = {"",    "",   "MarketingCarrier", "FlightNumber", "DepDate",
                                  "Dep", "Arr"};
    if (a == PV_ATTR_SLICE)
        snprintf(buf, len, "PricingQuery.OriginDest[%d]", slice);
    else if (a == PV_ATTR_SEGMENT)
        snprintf(buf, len, "PricingQuery.OriginDest[%d].PaxSegment[%d]", slice, seg);
    else
        snprintf(buf, len, "PricingQuery.OriginDest[%d].PaxSegment[%d].%s", slice, seg, attrs[a]);
}

static const char *cabin_name(int cabin)
{
    return cabin == SB_CABIN_BUSINESS ? "BUSINESS" : "ECONOMY";
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

static ct_status parse_cabin(const json_t *q, const char *path, int *cabin, pv_err *e)
{
    const char *s = pv_get_str(q, "CabinType", path, 16, e);
    if (s == NULL)
        return CT_INVALID;
    if (strcmp(s, "ECONOMY") != 0 && strcmp(s, "BUSINESS") != 0) {
        pv_err_set(e, 400, "invalid_field", "PricingQuery.CabinType",
                   "expected ECONOMY or BUSINESS");
        return CT_INVALID;
    }
    *cabin = strcmp(s, "BUSINESS") == 0;
    return CT_OK;
}

static ct_status parse_pax_types(const json_t *q, int *pax, pv_err *e)
{
    const json_t *list = pv_get_array(q, "PaxList", "PricingQuery", 1, SB_INV_MAX_SEATS, e);
    if (list == NULL)
        return CT_INVALID;
    for (size_t i = 0; i < json_array_size(list); i++) {
        char path[64];
        snprintf(path, sizeof(path), "PricingQuery.PaxList[%zu]", i);
        const char *ptc = pv_get_str(json_array_get(list, i), "PTC", path, 3, e);
        if (ptc == NULL || strcmp(ptc, "ADT") != 0) {
            if (ptc != NULL)
                pv_err_set(e, 400, "invalid_field", "PricingQuery.PaxList.PTC",
                           "only ADT is offered");
            return CT_INVALID;
        }
    }
    *pax = (int)json_array_size(list);
    return CT_OK;
}

static ct_status parse_query(const json_t *body, pv_query *q, pv_err *e)
{
    memset(q, 0, sizeof(*q));
    const json_t *pq = pv_get_object(body, "PricingQuery", "", e);
    if (pq == NULL)
        return CT_INVALID;
    const json_t *ods = pv_get_array(pq, "OriginDest", "PricingQuery", 1, PV_MAX_SLICES, e);
    if (ods == NULL || parse_cabin(pq, "PricingQuery", &q->cabin, e) ||
        parse_pax_types(pq, &q->pax, e))
        return CT_INVALID;
    q->nslices = (int)json_array_size(ods);
    for (int s = 0; s < q->nslices; s++) {
        char path[96];
        snprintf(path, sizeof(path), "PricingQuery.OriginDest[%d]", s);
        const json_t *segs =
            pv_get_array(json_array_get(ods, (size_t)s), "PaxSegment", path, 1, PV_MAX_SEGS, e);
        if (segs == NULL)
            return CT_INVALID;
        q->nsegs[s] = (int)json_array_size(segs);
        for (int g = 0; g < q->nsegs[s]; g++) {
            char sp[128];
            snprintf(sp, sizeof(sp), "%s.PaxSegment[%d]", path, g);
            if (pv_parse_seg(json_array_get(segs, (size_t)g), sp, &seg_names, &q->segs[s][g], e))
                return CT_INVALID;
        }
    }
    return CT_OK;
}

/* ---- handlers ---- */

static void schedules(pv_call *c)
{
    sb_provider *p = c->p;
    json_t *carriers = json_array();
    for (int k = 0; k < p->nsold; k++) {
        const sb_carrier *cr = &p->w->carriers[p->sold[k]];
        char url[64];
        snprintf(url, sizeof(url), "/ndc/v1/schedules/%s", cr->code);
        json_array_append_new(carriers, json_pack("{s:s, s:s, s:o, s:s}", "AirlineDesigCode",
                                                  cr->code, "Name", cr->name, "Alliance",
                                                  pv_alliance_json(cr), "SSIM", url));
    }
    pv_reply(c, 200,
             json_pack("{s:s, s:s, s:o}", "Owner", p->w->carriers[p->main_carrier].code, "CurCode",
                       p->currency, "Carriers", carriers));
}

static void schedule(pv_call *c)
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
    memset(r, 0, sizeof(*r));
    *r = (pv_feed_req){.f_from = "fromDate",
                       .f_to = "toDate",
                       .f_limit = "limit",
                       .f_page = "pageToken",
                       .f_since = "since"};
    r->page = ct_http_query(c->req, "pageToken");
    r->since = ct_http_query(c->req, "since");
    if (pv_query_date(ct_http_query(c->req, "fromDate"), "fromDate", &r->from, e) ||
        pv_query_date(ct_http_query(c->req, "toDate"), "toDate", &r->to, e) ||
        pv_query_long(ct_http_query(c->req, "limit"), "limit", PV_FEED_MAX_LIMIT, &r->limit, e))
        return CT_INVALID;
    return CT_OK;
}

static json_t *page_body(json_t *body, const pv_feed_out *out)
{
    json_object_set_new(body, "NextPageToken",
                        out->next_page[0] ? json_string(out->next_page) : json_null());
    json_object_set_new(body, "Cursor", json_string(out->cursor));
    return body;
}

static ct_status fare_rec(void *ctx, const pv_fare_rec *r)
{
    pv_call *c = ctx;
    const sb_world *w = c->p->w;
    json_t *details = json_array();
    for (int k = 0; k < SB_NCLASSES; k++) {
        char rbd[2] = {sb_class(k)->letter, '\0'}, ow[32], rt[32];
        json_array_append_new(details, json_pack("{s:s, s:s, s:s, s:s}", "RBD", rbd, "CabinType",
                                                 cabin_name(sb_class(k)->cabin), "OneWay",
                                                 pv_money(c->p, r->oneway[k], ow), "Return",
                                                 pv_money(c->p, r->ret[k], rt)));
    }
    return json_array_append_new(json_object_get(c->json, "Fares"),
                                 json_pack("{s:s, s:s, s:s, s:o}", "Owner",
                                           w->carriers[r->m->carrier].code, "Origin",
                                           w->airports[r->m->origin].iata, "Destination",
                                           w->airports[r->m->dest].iata, "FareDetails", details))
               ? CT_NOMEM
               : CT_OK;
}

static void fares(pv_call *c)
{
    pv_feed_req r;
    pv_feed_out out;
    pv_err e;
    pv_reply(c, 200, json_pack("{s:s, s:[]}", "CurCode", c->p->currency, "Fares"));
    if (feed_req(c, &r, &e) || pv_feed_fares(c, &r, fare_rec, c, &out, &e)) {
        pv_fail(c, &e);
        return;
    }
    page_body(c->json, &out);
}

static ct_status avail_rec(void *ctx, const pv_avail_rec *r)
{
    pv_call *c = ctx;
    json_t *x = segment(c->p, &r->seg);
    char avs[24];
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
    return json_array_append_new(json_object_get(c->json, "Legs"), x) ? CT_NOMEM : CT_OK;
}

static void availability(pv_call *c)
{
    pv_feed_req r;
    pv_feed_out out;
    pv_err e;
    pv_reply(c, 200, json_pack("{s:[]}", "Legs"));
    if (feed_req(c, &r, &e) || pv_feed_avail(c, &r, avail_rec, c, &out, &e)) {
        pv_fail(c, &e);
        return;
    }
    page_body(c->json, &out);
}

static void offer(pv_call *c)
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
             json_pack("{s:{s:s, s:s, s:s, s:{s:o}, s:i, s:s, s:o}}", "PricedOffer", "OfferID",
                       o.id, "Owner", p->w->carriers[p->main_carrier].code,
                       "OfferExpirationDateTime", pv_instant(o.expires_at, exp), "TotalPrice",
                       "TotalAmount", amount(p, o.pr.total), "PaxCount", o.pr.it.pax, "CabinType",
                       cabin_name(o.pr.it.cabin), "OfferItems",
                       items(p, &o.pr.it, o.pr.cls, o.pr.amount)));
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

/* Replies with the order (status, or 200 for an idempotent replay) or the error; frees o. */
static void order_create(pv_call *c)
{
    pv_err e;
    pv_pax pax[SB_INV_MAX_SEATS];
    pv_order o = {0};
    json_t *body = pv_body_json(c, "(body)");
    if (body == NULL)
        return;
    char fp[65];
    pv_fingerprint(body, fp);
    pv_order_req r = {.f_offer = "OfferID",
                      .f_pax = "PaxList",
                      .pax = pax,
                      .idem_key = ct_http_header(c->req, "Idempotency-Key"),
                      .f_idem = "Idempotency-Key",
                      .fingerprint = fp};
    const json_t *list = NULL;
    r.offer_id = pv_get_str(body, "OfferID", "", PV_TOKEN_LEN - 1, &e);
    if (r.offer_id != NULL)
        list = pv_get_array(body, "PaxList", "", 1, SB_INV_MAX_SEATS, &e);
    ct_status rc = r.offer_id && list
                       ? pv_parse_pax(list, "PaxList", "GivenName", "Surname", pax, &r.npax, &e)
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
        {"GET", "/ndc/v1/schedules", schedules},
        {"GET", "/ndc/v1/schedules/{carrier}", schedule},
        {"GET", "/ndc/v1/fares", fares},
        {"GET", "/ndc/v1/availability", availability},
        {"POST", "/ndc/v1/offers", offer},
        {"POST", "/ndc/v1/orders", order_create},
        {"GET", "/ndc/v1/orders/{id}", pv_h_order_get},
        {"POST", "/ndc/v1/orders/{id}/ticket", pv_h_order_ticket},
        {"POST", "/ndc/v1/orders/{id}/cancel", pv_h_order_cancel},
        {"POST", "/ndc/v1/orders/{id}/refund", pv_h_order_refund},
    };
    ct_status rc = CT_OK;
    for (size_t i = 0; !rc && i < sizeof(table) / sizeof(table[0]); i++)
        rc = pv_route(p, r, table[i].method, table[i].pattern, table[i].h);
    return rc;
}

const pv_dialect pv_dialect_ndc = {"ndc",  "application/json", 400,         error_body, seg_field,
                                   routes, order_view,         "PaymentRef"};
