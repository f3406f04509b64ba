/* dialect.c: what the provider dialects share, driven by each dialect's table.
 *
 * The four dialects (dialect_*.c) differ mostly in names: their routes, query parameters,
 * page tokens, feed arrays, listed carriers' members, cabin names, segment members and
 * order request members are table entries (pv_dialect in provider_internal.h), and the
 * handlers here read them: the listing's carriers, a carrier's SSIM, both feeds, offers (the
 * dialect parses the request and renders the offer) and order creation. What really differs
 * stays in the dialect as a function: error bodies, the listing's other members, offer and
 * booking documents and the feeds' records. A JSON member order here is the order the
 * dialects always wrote, so the bytes on the wire are those of the dialect files before. */
#include <stdio.h>
#include <string.h>

#include "base/alloc.h"
#include "sandbox/providers/provider_internal.h"

/* ---- names ---- */

void pv_upper(const char *s, char out[40])
{
    size_t i = 0;
    for (; s[i] && i + 1 < 40; i++)
        out[i] = (char)(s[i] >= 'a' && s[i] <= 'z' ? s[i] - 32 : s[i]);
    out[i] = '\0';
}

void pv_seg_field(const pv_dialect *d, const pv_query *q, pv_attr a, int slice, int seg, char *buf,
                  size_t len)
{
    const char *attrs[] = {
        "", "", d->seg.carrier, d->seg.number, d->seg.date, d->seg.origin, d->seg.dest};
    if (d->itin.slices == NULL) { /* one flat list: slices and segments are its entries */
        int flat = (slice == 1 ? q->nsegs[0] : 0) + seg;
        if (a == PV_ATTR_SLICE || a == PV_ATTR_SEGMENT)
            snprintf(buf, len, "%s[%d]", d->itin.segs, flat);
        else
            snprintf(buf, len, "%s[%d].%s", d->itin.segs, flat, attrs[a]);
    } else if (a == PV_ATTR_SLICE) {
        snprintf(buf, len, "%s[%d]", d->itin.slices, slice);
    } else if (a == PV_ATTR_SEGMENT) {
        snprintf(buf, len, "%s[%d].%s[%d]", d->itin.slices, slice, d->itin.segs, seg);
    } else {
        snprintf(buf, len, "%s[%d].%s[%d].%s", d->itin.slices, slice, d->itin.segs, seg, attrs[a]);
    }
}

/* ---- request parsing ---- */

ct_status pv_parse_cabin(const pv_dialect *d, const json_t *obj, const char *member,
                         const char *path, int *cabin, pv_err *e)
{
    const char *s = pv_get_str(obj, member, path, 16, e);
    if (s == NULL)
        return CT_INVALID;
    for (int c = 0; c < SB_NCABINS; c++) {
        if (strcmp(s, d->cabins[c]) == 0) {
            *cabin = c;
            return CT_OK;
        }
    }
    char field[96];
    snprintf(field, sizeof(field), "%s%s%s", path, path[0] ? "." : "", member);
    pv_err_set(e, 400, "invalid_field", field, "expected %s, %s, %s or %s",
               d->cabins[SB_CABIN_ECONOMY], d->cabins[SB_CABIN_PREMIUM],
               d->cabins[SB_CABIN_BUSINESS], d->cabins[SB_CABIN_FIRST]);
    return CT_INVALID;
}

ct_status pv_parse_slices(const pv_dialect *d, const json_t *slices, pv_query *q, pv_err *e)
{
    q->nslices = (int)json_array_size(slices);
    for (int s = 0; s < q->nslices; s++) {
        char sp[96];
        snprintf(sp, sizeof(sp), "%s[%d]", d->itin.slices, s);
        const json_t *segs =
            pv_get_array(json_array_get(slices, (size_t)s), d->itin.segs, sp, 1, PV_MAX_SEGS, e);
        if (segs == NULL)
            return CT_INVALID;
        q->nsegs[s] = (int)json_array_size(segs);
        for (int g = 0; g < q->nsegs[s]; g++) {
            char gp[128];
            snprintf(gp, sizeof(gp), "%s.%s[%d]", sp, d->itin.segs, g);
            if (pv_parse_seg(json_array_get(segs, (size_t)g), gp, &d->seg, &q->segs[s][g], e))
                return CT_INVALID;
        }
    }
    return CT_OK;
}

/* ---- handlers ---- */

static void listing(pv_call *c)
{
    sb_provider *p = c->p;
    const pv_dialect *d = p->dialect;
    json_t *carriers = json_array();
    for (int k = 0; k < p->nsold; k++) {
        const sb_carrier *cr = &p->w->carriers[p->sold[k]];
        char url[64];
        snprintf(url, sizeof(url), "%s/%s%s", d->route[PV_R_LISTING], cr->code, d->ssim.url_suffix);
        json_array_append_new(carriers, json_pack("{s:s, s:s, s:o, s:s}", d->carrier.code, cr->code,
                                                  d->carrier.name, cr->name, d->carrier.alliance,
                                                  pv_alliance_json(cr), d->carrier.ssim, url));
    }
    pv_reply(c, 200, d->listing(c, carriers));
}

static void ssim(pv_call *c)
{
    const pv_dialect *d = c->p->dialect;
    const char *v = ct_http_param(c->req, d->ssim.param);
    char code[8] = "";
    pv_err e;
    if (d->ssim.file_suffix != NULL) { /* "US.ssim" */
        size_t n = strlen(v), k = strlen(d->ssim.file_suffix);
        if (n > k && n < k + 3 && strcmp(v + n - k, d->ssim.file_suffix) == 0)
            snprintf(code, sizeof(code), "%.*s", (int)(n - k), v);
        v = code;
    }
    if (pv_ssim(c, v, d->ssim.param, &c->text, &c->text_len, &e)) {
        pv_fail(c, &e);
        return;
    }
    c->status = 200;
    c->type = "text/plain; charset=us-ascii";
}

static ct_status feed_req(pv_call *c, pv_feed_req *r, pv_err *e)
{
    const pv_dialect *d = c->p->dialect;
    *r = (pv_feed_req){.f_from = d->query.from,
                       .f_to = d->query.to,
                       .f_limit = d->query.limit,
                       .f_page = d->query.page,
                       .f_since = d->query.since};
    r->page = ct_http_query(c->req, d->query.page);
    r->since = ct_http_query(c->req, d->query.since);
    if (pv_query_date(ct_http_query(c->req, d->query.from), d->query.from, &r->from, e) ||
        pv_query_date(ct_http_query(c->req, d->query.to), d->query.to, &r->to, e) ||
        pv_query_long(ct_http_query(c->req, d->query.limit), d->query.limit, PV_FEED_MAX_LIMIT,
                      &r->limit, e))
        return CT_INVALID;
    return CT_OK;
}

static void page_body(const pv_dialect *d, json_t *body, const pv_feed_out *out)
{
    json_t *next = out->next_page[0] ? json_string(out->next_page) : json_null();
    if (d->paging.holder != NULL)
        json_object_set_new(body, d->paging.holder, json_pack("{s:o}", d->paging.next, next));
    else
        json_object_set_new(body, d->paging.next, next);
    json_object_set_new(body, d->paging.cursor, json_string(out->cursor));
}

static ct_status fare_rec(void *ctx, const pv_fare_rec *r)
{
    pv_call *c = ctx;
    const pv_dialect *d = c->p->dialect;
    return d->fare_rec(c, json_object_get(c->json, d->feed.fares), r);
}

static void fares(pv_call *c)
{
    const pv_dialect *d = c->p->dialect;
    pv_feed_req r;
    pv_feed_out out;
    pv_err e;
    pv_reply(c, 200, json_pack("{s:s, s:[]}", d->feed.currency, c->p->currency, d->feed.fares));
    if (feed_req(c, &r, &e) || pv_feed_fares(c, &r, fare_rec, c, &out, &e)) {
        pv_fail(c, &e);
        return;
    }
    page_body(d, c->json, &out);
}

static ct_status avail_rec(void *ctx, const pv_avail_rec *r)
{
    pv_call *c = ctx;
    const pv_dialect *d = c->p->dialect;
    return json_array_append_new(json_object_get(c->json, d->feed.avail), d->avail_rec(c, r))
               ? CT_NOMEM
               : CT_OK;
}

static void availability(pv_call *c)
{
    const pv_dialect *d = c->p->dialect;
    pv_feed_req r;
    pv_feed_out out;
    pv_err e;
    pv_reply(c, 200, json_pack("{s:[]}", d->feed.avail));
    if (feed_req(c, &r, &e) || pv_feed_avail(c, &r, avail_rec, c, &out, &e)) {
        pv_fail(c, &e);
        return;
    }
    page_body(d, c->json, &out);
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
    ct_status rc = p->dialect->parse_query(body, &q, &e);
    json_decref(body);
    if (rc || pv_offer_make(p, &q, c->now, &o, &e)) {
        pv_fail(c, &e);
        return;
    }
    pv_reply(c, 200, p->dialect->offer_view(c, &o));
}

/* Replies with the order (201, or 200 for an idempotent replay) or the error. */
static void order_create(pv_call *c)
{
    const pv_dialect *d = c->p->dialect;
    pv_err e;
    pv_pax pax[PV_MAX_PAX];
    pv_order o = {0};
    json_t *body = pv_body_json(c, "(body)");
    if (body == NULL)
        return;
    char fp[65];
    pv_fingerprint(body, fp);
    pv_order_req r = {.f_offer = d->order.offer,
                      .f_pax = d->order.pax,
                      .pax = pax,
                      .idem_key =
                          d->order.idem_in_body ? NULL : ct_http_header(c->req, d->order.idem),
                      .f_idem = d->order.idem,
                      .fingerprint = fp};
    const json_t *list = NULL;
    r.offer_id = pv_get_str(body, d->order.offer, "", PV_TOKEN_LEN - 1, &e);
    int ok = r.offer_id != NULL;
    if (ok && d->order.idem_in_body) {
        r.idem_key = pv_get_str(body, d->order.idem, "", 64, &e);
        ok = r.idem_key != NULL;
    }
    if (ok)
        list = pv_get_array(body, d->order.pax, "", 1, PV_MAX_PAX, &e);
    ct_status rc =
        list ? pv_parse_pax(list, d->order.pax, d->order.given, d->order.family, pax, &r.npax, &e)
             : CT_INVALID;
    if (!rc && !d->order.idem_in_body && r.idem_key != NULL && strlen(r.idem_key) > 64) {
        pv_err_set(&e, 400, "invalid_field", d->order.idem, "at most 64 characters");
        rc = CT_INVALID;
    }
    if (!rc)
        rc = pv_order_create(c, &r, &o, &e);
    json_decref(body);
    pv_order_finish(c, rc, 201, &o, &e);
}

ct_status pv_dialect_routes(sb_provider *p, ct_router *r)
{
    static const struct {
        const char *method;
        pv_handler h;
    } slots[PV_NROUTES] = {
        [PV_R_LISTING] = {"GET", listing},
        [PV_R_SSIM] = {"GET", ssim},
        [PV_R_FARES] = {"GET", fares},
        [PV_R_AVAIL] = {"GET", availability},
        [PV_R_OFFER] = {"POST", offer},
        [PV_R_ORDERS] = {"POST", order_create},
        [PV_R_ORDER] = {"GET", pv_h_order_get},
        [PV_R_TICKET] = {"POST", pv_h_order_ticket},
        [PV_R_CANCEL] = {"POST", pv_h_order_cancel},
        [PV_R_REFUND] = {"POST", pv_h_order_refund},
    };
    ct_status rc = CT_OK;
    for (int i = 0; !rc && i < PV_NROUTES; i++)
        rc = pv_route(p, r, slots[i].method, p->dialect->route[i], slots[i].h);
    return rc;
}
