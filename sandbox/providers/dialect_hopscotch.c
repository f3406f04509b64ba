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

static const pv_seg_names seg_names = {"carrier", "number", "date", "origin", "destination", 0};

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

static void seg_field(const pv_query *q, pv_attr a, int slice, int seg, char *buf, size_t len)
{
    (void)q;
    static const char *attrs[] = {"", "", "carrier", "number", "date", "origin", "destination"};
    if (a == PV_ATTR_SLICE)
        snprintf(buf, len, "slices[%d]", slice);
    else if (a == PV_ATTR_SEGMENT)
        snprintf(buf, len, "slices[%d].legs[%d]", slice, seg);
    else
        snprintf(buf, len, "slices[%d].legs[%d].%s", slice, seg, attrs[a]);
}

static const char *cabin_name(int cabin)
{
    return cabin == SB_CABIN_BUSINESS ? "business" : "economy";
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
    const char *cabin = pv_get_str(body, "cabin", "", 16, e);
    if (cabin == NULL)
        return CT_INVALID;
    if (strcmp(cabin, "economy") != 0 && strcmp(cabin, "business") != 0) {
        pv_err_set(e, 400, "invalid_field", "cabin", "expected economy or business");
        return CT_INVALID;
    }
    q->cabin = strcmp(cabin, "business") == 0;
    q->nslices = (int)json_array_size(sl);
    for (int s = 0; s < q->nslices; s++) {
        char path[32];
        snprintf(path, sizeof(path), "slices[%d]", s);
        const json_t *legs =
            pv_get_array(json_array_get(sl, (size_t)s), "legs", path, 1, PV_MAX_SEGS, e);
        if (legs == NULL)
            return CT_INVALID;
        q->nsegs[s] = (int)json_array_size(legs);
        for (int g = 0; g < q->nsegs[s]; g++) {
            char lp[64];
            snprintf(lp, sizeof(lp), "%s.legs[%d]", path, g);
            if (pv_parse_seg(json_array_get(legs, (size_t)g), lp, &seg_names, &q->segs[s][g], e))
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
        snprintf(url, sizeof(url), "/v1/schedules/%s", cr->code);
        json_array_append_new(carriers,
                              json_pack("{s:s, s:s, s:o, s:s}", "code", cr->code, "name", cr->name,
                                        "alliance", pv_alliance_json(cr), "ssim", url));
    }
    pv_reply(c, 200,
             json_pack("{s:s, s:o, s:i, s:o}", "currency", p->currency, "fee_per_passenger",
                       money(p, p->fee_minor), "min_self_transfer_minutes", PV_SELF_TRANSFER_MCT,
                       "carriers", carriers));
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
    *r = (pv_feed_req){.f_from = "from",
                       .f_to = "to",
                       .f_limit = "limit",
                       .f_page = "page_token",
                       .f_since = "since"};
    r->page = ct_http_query(c->req, "page_token");
    r->since = ct_http_query(c->req, "since");
    if (pv_query_date(ct_http_query(c->req, "from"), "from", &r->from, e) ||
        pv_query_date(ct_http_query(c->req, "to"), "to", &r->to, e) ||
        pv_query_long(ct_http_query(c->req, "limit"), "limit", PV_FEED_MAX_LIMIT, &r->limit, e))
        return CT_INVALID;
    return CT_OK;
}

static void page_body(json_t *body, const pv_feed_out *out)
{
    json_object_set_new(body, "next_page_token",
                        out->next_page[0] ? json_string(out->next_page) : json_null());
    json_object_set_new(body, "cursor", json_string(out->cursor));
}

static ct_status fare_rec(void *ctx, const pv_fare_rec *r)
{
    pv_call *c = ctx;
    const sb_world *w = c->p->w;
    json_t *f = json_object();
    for (int k = 0; k < SB_NCLASSES; k++) {
        char code[2] = {sb_class(k)->letter, '\0'};
        json_object_set_new(f, code,
                            json_pack("{s:o, s:o}", "one_way", money(c->p, r->oneway[k]), "return",
                                      money(c->p, r->ret[k])));
    }
    return json_array_append_new(json_object_get(c->json, "items"),
                                 json_pack("{s:s, s:s, s:s, s:o}", "carrier",
                                           w->carriers[r->m->carrier].code, "origin",
                                           w->airports[r->m->origin].iata, "destination",
                                           w->airports[r->m->dest].iata, "fares", f))
               ? CT_NOMEM
               : CT_OK;
}

static void fares(pv_call *c)
{
    pv_feed_req r;
    pv_feed_out out;
    pv_err e;
    pv_reply(c, 200, json_pack("{s:s, s:[]}", "currency", c->p->currency, "items"));
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
    return json_pack("{s:s, s:i}", "class", code, "seats", a->seats[k] > 9 ? 9 : a->seats[k]);
}

static ct_status avail_rec(void *ctx, const pv_avail_rec *r)
{
    pv_call *c = ctx;
    const sb_world *w = c->p->w;
    char date[11], dep[21], arr[21], avs[24];
    sb_inv_avs(&r->a, avs, sizeof(avs));
    json_t *x = json_pack(
        "{s:s, s:i, s:s, s:s, s:s, s:s, s:s, s:s, s:{s:o, s:o}}", "carrier",
        w->carriers[r->seg.carrier].code, "number", w->flights[r->seg.dl.flight].number, "date",
        pv_date(r->seg.dep_date, date), "origin", w->airports[r->seg.origin].iata, "destination",
        w->airports[r->seg.dest].iata, "departure", pv_instant(r->seg.dep_utc, dep), "arrival",
        pv_instant(r->seg.arr_utc, arr), "availability", avs, "cabins", "economy",
        lowest(&r->a, SB_CABIN_ECONOMY), "business", lowest(&r->a, SB_CABIN_BUSINESS));
    return json_array_append_new(json_object_get(c->json, "items"), x) ? CT_NOMEM : CT_OK;
}

static void availability(pv_call *c)
{
    pv_feed_req r;
    pv_feed_out out;
    pv_err e;
    pv_reply(c, 200, json_pack("{s:[]}", "items"));
    if (feed_req(c, &r, &e) || pv_feed_avail(c, &r, avail_rec, c, &out, &e)) {
        pv_fail(c, &e);
        return;
    }
    page_body(c->json, &out);
}

static void price(pv_call *c)
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
    json_t *x =
        json_pack("{s:s, s:s, s:s, s:i, s:s, s:o, s:o, s:o}", "price_id", o.id, "expires_at",
                  pv_instant(o.expires_at, exp), "currency", p->currency, "passengers", o.pr.it.pax,
                  "cabin", cabin_name(o.pr.it.cabin), "fare_per_passenger", money(p, o.pr.fare_pp),
                  "fee_per_passenger", money(p, o.pr.fee_pp), "total", money(p, o.pr.total));
    itinerary(p, x, &o.pr.it, o.pr.cls, o.pr.amount, o.pr.seats);
    pv_reply(c, 200, x);
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

static void booking_create(pv_call *c)
{
    pv_err e;
    pv_pax pax[SB_INV_MAX_SEATS];
    pv_order o = {0};
    json_t *body = pv_body_json(c, "(body)");
    if (body == NULL)
        return;
    char fp[65];
    pv_fingerprint(body, fp);
    pv_order_req r = {.f_offer = "price_id",
                      .f_pax = "passengers",
                      .pax = pax,
                      .idem_key = ct_http_header(c->req, "Idempotency-Key"),
                      .f_idem = "Idempotency-Key",
                      .fingerprint = fp};
    const json_t *list = NULL;
    r.offer_id = pv_get_str(body, "price_id", "", PV_TOKEN_LEN - 1, &e);
    if (r.offer_id != NULL)
        list = pv_get_array(body, "passengers", "", 1, SB_INV_MAX_SEATS, &e);
    ct_status rc =
        list ? pv_parse_pax(list, "passengers", "given_name", "family_name", pax, &r.npax, &e)
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
        {"GET", "/v1/schedules", schedules},
        {"GET", "/v1/schedules/{carrier}", schedule},
        {"GET", "/v1/fares", fares},
        {"GET", "/v1/availability", availability},
        {"POST", "/v1/itineraries/price", price},
        {"POST", "/v1/bookings", booking_create},
        {"GET", "/v1/bookings/{id}", pv_h_order_get},
        {"POST", "/v1/bookings/{id}/ticket", pv_h_order_ticket},
        {"POST", "/v1/bookings/{id}/cancel", pv_h_order_cancel},
        {"POST", "/v1/bookings/{id}/refund", pv_h_order_refund},
    };
    ct_status rc = CT_OK;
    for (size_t i = 0; !rc && i < sizeof(table) / sizeof(table[0]); i++)
        rc = pv_route(p, r, table[i].method, table[i].pattern, table[i].h);
    return rc;
}

const pv_dialect pv_dialect_hopscotch = {
    "hopscotch",  "application/problem+json", 400, error_body, seg_field, routes,
    booking_view, "payment_reference"};
