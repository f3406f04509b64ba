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

static const pv_seg_names seg_names = {"airline", "flight_number", "date", "from", "to", 0};

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

static void seg_field(const pv_query *q, pv_attr a, int slice, int seg, char *buf, size_t len)
{
    static const char *attrs[] = {"", "", "airline", "flight_number", "date", "from", "to"};
    int flat = (slice == 1 ? q->nsegs[0] : 0) + seg;
    if (a == PV_ATTR_SLICE || a == PV_ATTR_SEGMENT)
        snprintf(buf, len, "segments[%d]", flat);
    else
        snprintf(buf, len, "segments[%d].%s", flat, attrs[a]);
}

static const char *cabin_name(int cabin)
{
    return cabin == SB_CABIN_BUSINESS ? "business" : "economy";
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
    const char *cabin = pv_get_str(body, "cabin", "", 16, e);
    if (cabin == NULL)
        return CT_INVALID;
    if (strcmp(cabin, "economy") != 0 && strcmp(cabin, "business") != 0) {
        pv_err_set(e, 400, "invalid_field", "cabin", "expected economy or business");
        return CT_INVALID;
    }
    q->cabin = strcmp(cabin, "business") == 0;
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
        if (pv_parse_seg(seg, path, &seg_names, &q->segs[slice][q->nsegs[slice]++], e))
            return CT_INVALID;
    }
    return CT_OK;
}

/* ---- handlers ---- */

static void schedules(pv_call *c)
{
    sb_provider *p = c->p;
    json_t *airlines = json_array();
    for (int k = 0; k < p->nsold; k++) {
        const sb_carrier *cr = &p->w->carriers[p->sold[k]];
        char url[64];
        snprintf(url, sizeof(url), "/api/schedules/%s.ssim", cr->code);
        json_array_append_new(airlines,
                              json_pack("{s:s, s:s, s:o, s:s}", "code", cr->code, "name", cr->name,
                                        "alliance", pv_alliance_json(cr), "ssim_url", url));
    }
    pv_reply(c, 200,
             json_pack("{s:s, s:o, s:f, s:o}", "currency", p->currency, "service_fee_per_passenger",
                       pv_money_real(p, p->fee_minor), "markup_percent", p->markup_bp / 100.0,
                       "airlines", airlines));
}

static void schedule(pv_call *c)
{
    pv_err e;
    const char *file = ct_http_param(c->req, "file");
    char code[8] = "";
    size_t n = strlen(file);
    if (n > 5 && n < 8 && strcmp(file + n - 5, ".ssim") == 0)
        snprintf(code, sizeof(code), "%.*s", (int)(n - 5), file);
    if (pv_ssim(c, code, "file", &c->text, &c->text_len, &e)) {
        pv_fail(c, &e);
        return;
    }
    c->status = 200;
    c->type = "text/plain; charset=us-ascii";
}

static ct_status feed_req(pv_call *c, pv_feed_req *r, pv_err *e)
{
    *r = (pv_feed_req){.f_from = "start_date",
                       .f_to = "end_date",
                       .f_limit = "per_page",
                       .f_page = "page",
                       .f_since = "since"};
    r->page = ct_http_query(c->req, "page");
    r->since = ct_http_query(c->req, "since");
    if (pv_query_date(ct_http_query(c->req, "start_date"), "start_date", &r->from, e) ||
        pv_query_date(ct_http_query(c->req, "end_date"), "end_date", &r->to, e) ||
        pv_query_long(ct_http_query(c->req, "per_page"), "per_page", PV_FEED_MAX_LIMIT, &r->limit,
                      e))
        return CT_INVALID;
    return CT_OK;
}

static void page_body(json_t *body, const pv_feed_out *out)
{
    json_object_set_new(body, "next_page",
                        out->next_page[0] ? json_string(out->next_page) : json_null());
    json_object_set_new(body, "sync_token", json_string(out->cursor));
}

static ct_status fare_rec(void *ctx, const pv_fare_rec *r)
{
    pv_call *c = ctx;
    const sb_world *w = c->p->w;
    json_t *classes = json_array();
    for (int k = 0; k < SB_NCLASSES; k++) {
        char code[2] = {sb_class(k)->letter, '\0'};
        json_array_append_new(classes, json_pack("{s:s, s:s, s:o, s:o}", "code", code, "cabin",
                                                 cabin_name(sb_class(k)->cabin), "one_way",
                                                 pv_money_real(c->p, r->oneway[k]), "return",
                                                 pv_money_real(c->p, r->ret[k])));
    }
    return json_array_append_new(json_object_get(c->json, "fares"),
                                 json_pack("{s:s, s:s, s:s, s:o}", "airline",
                                           w->carriers[r->m->carrier].code, "from",
                                           w->airports[r->m->origin].iata, "to",
                                           w->airports[r->m->dest].iata, "classes", classes))
               ? CT_NOMEM
               : CT_OK;
}

static void fares(pv_call *c)
{
    pv_feed_req r;
    pv_feed_out out;
    pv_err e;
    pv_reply(c, 200, json_pack("{s:s, s:[]}", "currency", c->p->currency, "fares"));
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
    char flight[12], date[11], dep[21], arr[21], avs[24];
    snprintf(flight, sizeof(flight), "%s%d", w->carriers[r->seg.carrier].code,
             w->flights[r->seg.dl.flight].number);
    sb_inv_avs(&r->a, avs, sizeof(avs));
    json_t *x =
        json_pack("{s:s, s:s, s:s, s:s, s:s, s:s, s:s, s:s, s:o, s:o}", "airline",
                  w->carriers[r->seg.carrier].code, "flight", flight, "date",
                  pv_date(r->seg.dep_date, date), "from", w->airports[r->seg.origin].iata, "to",
                  w->airports[r->seg.dest].iata, "departs_at", pv_instant(r->seg.dep_utc, dep),
                  "arrives_at", pv_instant(r->seg.arr_utc, arr), "availability", avs, "economy",
                  lowest(&r->a, SB_CABIN_ECONOMY), "business", lowest(&r->a, SB_CABIN_BUSINESS));
    return json_array_append_new(json_object_get(c->json, "flights"), x) ? CT_NOMEM : CT_OK;
}

static void availability(pv_call *c)
{
    pv_feed_req r;
    pv_feed_out out;
    pv_err e;
    pv_reply(c, 200, json_pack("{s:[]}", "flights"));
    if (feed_req(c, &r, &e) || pv_feed_avail(c, &r, avail_rec, c, &out, &e)) {
        pv_fail(c, &e);
        return;
    }
    page_body(c->json, &out);
}

static void quote(pv_call *c)
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
             json_pack("{s:{s:s, s:s, s:s, s:i, s:s, s:o, s:o, s:o, s:o}}", "quote", "id", o.id,
                       "expires_at", pv_instant(o.expires_at, exp), "currency", p->currency,
                       "passengers", o.pr.it.pax, "cabin", cabin_name(o.pr.it.cabin), "fare",
                       pv_money_real(p, o.pr.fare_pp * o.pr.it.pax), "service_fee",
                       pv_money_real(p, o.pr.fee_pp * o.pr.it.pax), "total",
                       pv_money_real(p, o.pr.total), "segments",
                       segments(p, &o.pr.it, o.pr.cls, o.pr.amount, o.pr.seats)));
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
    pv_order_req r = {.f_offer = "quote_id",
                      .f_pax = "travellers",
                      .pax = pax,
                      .f_idem = "client_reference",
                      .fingerprint = fp};
    const json_t *list = NULL;
    r.offer_id = pv_get_str(body, "quote_id", "", PV_TOKEN_LEN - 1, &e);
    if (r.offer_id != NULL)
        r.idem_key = pv_get_str(body, "client_reference", "", 64, &e);
    if (r.idem_key != NULL)
        list = pv_get_array(body, "travellers", "", 1, SB_INV_MAX_SEATS, &e);
    ct_status rc =
        list ? pv_parse_pax(list, "travellers", "first_name", "last_name", pax, &r.npax, &e)
             : CT_INVALID;
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
        {"GET", "/api/schedules", schedules},
        {"GET", "/api/schedules/{file}", schedule},
        {"GET", "/api/fares", fares},
        {"GET", "/api/availability", availability},
        {"POST", "/api/quotes", quote},
        {"POST", "/api/bookings", booking_create},
        {"GET", "/api/bookings/{id}", pv_h_order_get},
        {"POST", "/api/bookings/{id}/issue", pv_h_order_ticket},
        {"POST", "/api/bookings/{id}/cancel", pv_h_order_cancel},
        {"POST", "/api/bookings/{id}/refund", pv_h_order_refund},
    };
    ct_status rc = CT_OK;
    for (size_t i = 0; !rc && i < sizeof(table) / sizeof(table[0]); i++)
        rc = pv_route(p, r, table[i].method, table[i].pattern, table[i].h);
    return rc;
}

const pv_dialect pv_dialect_voyagio = {"voyagio",    "application/json", 422,
                                       error_body,   seg_field,          routes,
                                       booking_view, "payment_reference"};
