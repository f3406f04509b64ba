/* pv_core.c: what every provider does, whatever its dialect: resolve and validate an
 * itinerary, price it, sign offers, and run orders through the shared inventory (see
 * provider_internal.h for the model).
 *
 * Pricing: each leg is sold in the cheapest class of the requested cabin that has seats for
 * every passenger (inventory.h), at the provider's amount for the leg's market and class
 * (pv_leg_amount: an airline converts partners' fares at base rates, an agency converts at
 * the day's rate and applies its markup and negotiated discount, the combiner converts at
 * the day's rate); the legs are combined by the itinerary rule of fares.h; a service fee per
 * passenger is added.
 *
 * Offers are stateless: the offer id carries the itinerary, classes, amounts and expiry,
 * signed with a key derived from the world and the provider name (libsodium crypto_auth),
 * so any process of the same provider accepts it and nobody can forge a cheaper one. At
 * order time the classes are chosen again inside the booking transaction, so an order can
 * come out at another price than its offer (the order says so). */
#include <math.h>
#include <sodium.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "base/alloc.h"
#include "base/currency.h"
#include "base/timeutil.h"
#include "sandbox/providers/provider_internal.h"
#include "sandbox/runtime/rng.h"

/* ---- formatting ---- */

char *pv_date(int64_t day, char buf[11])
{
    int y, m, d;
    ct_civil_from_days(day, &y, &m, &d);
    unsigned yy = (unsigned)y % 10000u, mm = (unsigned)m % 100u, dd = (unsigned)d % 100u;
    snprintf(buf, 11, "%04u-%02u-%02u", yy, mm, dd);
    return buf;
}

char *pv_instant(int64_t t, char buf[21])
{
    return ct_utc_format(t, buf, 21);
}

char *pv_money(const sb_provider *p, int64_t minor, char buf[32])
{
    return sb_money_format(minor, p->currency, buf, 32);
}

json_t *pv_money_real(const sb_provider *p, int64_t minor)
{
    return json_real((double)minor / ct_currency_unit(ct_currency_digits(p->currency)));
}

json_t *pv_alliance_json(const sb_carrier *cr)
{
    switch (cr->alliance) {
    case SB_ALLIANCE_STAR:
        return json_string("star");
    case SB_ALLIANCE_SKY:
        return json_string("sky");
    case SB_ALLIANCE_ONEWORLD:
        return json_string("oneworld");
    case SB_ALLIANCE_NONE:
        break;
    }
    return json_null();
}

void pv_seg_of(const sb_provider *p, const sb_dated_leg *dl, pv_seg *out)
{
    const sb_flight *f = &p->w->flights[dl->flight];
    const sb_leg *l = &f->legs[dl->leg];
    out->dl = *dl;
    out->carrier = f->carrier;
    out->origin = l->origin;
    out->dest = l->dest;
    out->dep_date = dl->day + l->dep_day_offset;
    sb_leg_times(p->w, f, dl->leg, dl->day, &out->dep_utc, &out->arr_utc);
}

/* ---- resolution ---- */

static void seg_error(sb_provider *p, const pv_query *q, pv_err *e, int status, const char *code,
                      pv_attr a, int slice, int seg, const char *fmt, ...)
    __attribute__((format(printf, 9, 10)));

static void seg_error(sb_provider *p, const pv_query *q, pv_err *e, int status, const char *code,
                      pv_attr a, int slice, int seg, const char *fmt, ...)
{
    char field[128];
    pv_seg_field(p->dialect, q, a, slice, seg, field, sizeof(field));
    pv_err_set(e, status, code, field, "%s", "");
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(e->message, sizeof(e->message), fmt, ap);
    va_end(ap);
}

/* Finds the dated leg a segment names: carrier, number, local departure date and airports. */
static int find_leg(const sb_world *w, int c, long number, int64_t date, int o, int d,
                    sb_dated_leg *out)
{
    const sb_carrier *cr = &w->carriers[c];
    for (int i = cr->first_flight; i < cr->first_flight + cr->nflights; i++) {
        const sb_flight *f = &w->flights[i];
        if (f->number != number)
            continue;
        for (int l = 0; l < f->nlegs; l++) {
            int64_t day = date - f->legs[l].dep_day_offset;
            if (f->legs[l].origin == o && f->legs[l].dest == d && sb_flight_operates(f, day)) {
                *out = (sb_dated_leg){i, l, day};
                return 1;
            }
        }
    }
    return 0;
}

static ct_status resolve_seg(sb_provider *p, const pv_query *q, int s, int g, int64_t now,
                             pv_seg *out, pv_err *e)
{
    const pv_seg_in *in = &q->segs[s][g];
    int c = pv_carrier(p, in->carrier);
    int o = pv_airport(p, in->origin), d = pv_airport(p, in->dest);
    sb_dated_leg dl;
    char date[11];
    if (c < 0 || !p->sells[c]) {
        seg_error(p, q, e, 400, "invalid_field", PV_ATTR_CARRIER, s, g,
                  c < 0 ? "unknown airline %s" : "%s is not sold by %s", in->carrier, p->name);
        return CT_INVALID;
    }
    if (o < 0 || d < 0) {
        seg_error(p, q, e, 400, "invalid_field", o < 0 ? PV_ATTR_ORIGIN : PV_ATTR_DEST, s, g,
                  "no scheduled service at %s", o < 0 ? in->origin : in->dest);
        return CT_INVALID;
    }
    if (!find_leg(p->w, c, in->number, in->date, o, d, &dl)) {
        seg_error(p, q, e, 400, "invalid_field", PV_ATTR_NUMBER, s, g,
                  "%s%ld does not fly %s-%s on %s", in->carrier, in->number, in->origin, in->dest,
                  pv_date(in->date, date));
        return CT_INVALID;
    }
    pv_seg_of(p, &dl, out);
    if (out->dep_utc - now < SB_INV_CUTOFF_SEC) {
        seg_error(p, q, e, 400, "invalid_field", PV_ATTR_DATE, s, g,
                  "%s%ld on %s has departed or closed (sales stop 60 minutes before departure)",
                  in->carrier, in->number, pv_date(in->date, date));
        return CT_INVALID;
    }
    return CT_OK;
}

static int domestic(const sb_world *w, int a, int b, int c)
{
    return strcmp(w->airports[a].country, w->airports[b].country) == 0 &&
           strcmp(w->airports[b].country, w->airports[c].country) == 0;
}

/* Checks the connection from segment g-1 to g of slice s. */
static ct_status check_connection(sb_provider *p, const pv_query *q, const pv_itin *it, int s,
                                  int g, int *self_transfers, pv_err *e)
{
    const sb_world *w = p->w;
    const pv_seg *a = &it->segs[s][g - 1], *b = &it->segs[s][g];
    if (b->origin != a->dest) {
        seg_error(p, q, e, 400, "invalid_field", PV_ATTR_ORIGIN, s, g,
                  "must be %s, where the previous segment arrives", w->airports[a->dest].iata);
        return CT_INVALID;
    }
    int coop = sb_carriers_cooperate(w, a->carrier, b->carrier);
    if (!coop && p->kind != PV_COMBINER) {
        seg_error(p, q, e, 400, "invalid_field", PV_ATTR_CARRIER, s, g,
                  "%s does not sell connections from %s to %s (separate tickets: see the"
                  " self-transfer combiner)",
                  p->name, w->carriers[a->carrier].code, w->carriers[b->carrier].code);
        return CT_INVALID;
    }
    *self_transfers += !coop;
    int mct = !coop                                      ? PV_SELF_TRANSFER_MCT
              : domestic(w, a->origin, a->dest, b->dest) ? PV_DOMESTIC_MCT
                                                         : PV_INTL_MCT;
    int64_t gap = (b->dep_utc - a->arr_utc) / 60;
    if (gap < mct || gap > PV_MAX_CONNECTION) {
        seg_error(p, q, e, 400, "invalid_field", PV_ATTR_DATE, s, g,
                  "connection at %s of %lld minutes is outside %d minutes to 24 hours%s",
                  w->airports[a->dest].iata, (long long)gap, mct, coop ? "" : " (self-transfer)");
        return CT_INVALID;
    }
    for (int k = 0; k < g; k++) {
        if (it->segs[s][k].origin == b->dest) {
            seg_error(p, q, e, 400, "invalid_field", PV_ATTR_DEST, s, g, "visits %s twice",
                      w->airports[b->dest].iata);
            return CT_INVALID;
        }
    }
    return CT_OK;
}

static ct_status check_slices(sb_provider *p, const pv_query *q, const pv_itin *it, pv_err *e)
{
    for (int s = 0; s < it->nslices; s++) {
        int self_transfers = 0;
        for (int g = 1; g < it->nsegs[s]; g++) {
            ct_status rc = check_connection(p, q, it, s, g, &self_transfers, e);
            if (rc)
                return rc;
        }
        if (p->kind == PV_COMBINER && self_transfers == 0) {
            seg_error(p, q, e, 400, "invalid_field", PV_ATTR_SLICE, s, 0,
                      "no self-transfer: every slice must change between carriers that do not"
                      " cooperate (book through fares with an airline or agency)");
            return CT_INVALID;
        }
    }
    if (it->nslices == 2) {
        const pv_seg *last = &it->segs[0][it->nsegs[0] - 1];
        if (it->segs[1][0].dep_utc < last->arr_utc) {
            seg_error(p, q, e, 400, "invalid_field", PV_ATTR_DATE, 1, 0,
                      "the return departs before the outbound arrives");
            return CT_INVALID;
        }
    }
    return CT_OK;
}

ct_status pv_resolve(sb_provider *p, const pv_query *q, int64_t now, pv_itin *it, pv_err *e)
{
    memset(it, 0, sizeof(*it));
    it->nslices = q->nslices;
    it->pax = q->pax;
    it->children = q->children;
    it->lap = q->lap;
    it->cabin = q->cabin;
    for (int s = 0; s < q->nslices; s++) {
        it->nsegs[s] = q->nsegs[s];
        for (int g = 0; g < q->nsegs[s]; g++) {
            ct_status rc = resolve_seg(p, q, s, g, now, &it->segs[s][g], e);
            if (rc)
                return rc;
        }
    }
    return check_slices(p, q, it, e);
}

/* ---- pricing ---- */

int pv_discount_bp(const sb_provider *p, int c)
{
    if (p->kind != PV_OTA)
        return 0;
    uint64_t h =
        sb_hash(p->w->seed, sb_code_key(p->w->carriers[c].code), sb_code_key(p->name) ^ 0xd15c0u);
    return h % 4 == 0 ? p->discount_bp : 0;
}

int64_t pv_market_time(const sb_provider *p, const sb_dated_leg *dl, int64_t now, int live)
{
    if (live || p->stale_sec <= 0)
        return now;
    uint64_t h = sb_hash(p->w->seed, (uint64_t)dl->flight * 4u + (uint64_t)dl->leg,
                         (uint64_t)dl->day ^ sb_code_key(p->name));
    int64_t phase = (int64_t)(h % (uint64_t)p->stale_sec);
    int64_t since = (now - phase) % p->stale_sec;
    return now - (since < 0 ? since + p->stale_sec : since);
}

int64_t pv_leg_amount(const sb_provider *p, int c, const sb_market *m, int cls, int64_t t)
{
    int64_t fares[SB_NCLASSES];
    sb_market_fares(p->fares, m, fares);
    const char *from = p->w->carriers[c].currency;
    if (p->kind == PV_AIRLINE)
        return sb_fx_convert(fares[cls], from, sb_fx_base_rate(from), p->currency,
                             sb_fx_base_rate(p->currency));
    int64_t day = t >= 0 ? t / 86400 : -((-t + 86399) / 86400);
    int64_t amount = sb_fx_convert(fares[cls], from, sb_fx_rate(p->w->seed, from, day), p->currency,
                                   sb_fx_rate(p->w->seed, p->currency, day));
    if (p->kind == PV_OTA)
        amount = (int64_t)llround((double)amount * (10000.0 + p->markup_bp) / 10000.0 *
                                  (10000.0 - pv_discount_bp(p, c)) / 10000.0);
    return amount;
}

int64_t pv_return_amount(const sb_provider *p, int64_t oneway)
{
    return p->kind == PV_COMBINER ? 2 * oneway : sb_fare_return(oneway);
}

/* Amounts and totals for classes already chosen (out->it and out->cls set). */
static void price_classes(const sb_provider *p, int64_t now, pv_priced *out)
{
    sb_fare_leg legs[PV_MAX_SLICES * PV_MAX_SEGS];
    int n = 0;
    const pv_itin *it = &out->it;
    for (int s = 0; s < it->nslices; s++) {
        for (int g = 0; g < it->nsegs[s]; g++) {
            const pv_seg *sg = &it->segs[s][g];
            const sb_market *m = sb_fares_find(p->fares, sg->carrier, sg->origin, sg->dest);
            out->amount[s][g] = m ? pv_leg_amount(p, sg->carrier, m, out->cls[s][g], now) : 0;
            legs[n++] = (sb_fare_leg){sg->carrier, out->amount[s][g]};
        }
    }
    out->fare_pp = sb_fare_itinerary(p->w, legs, it->nsegs, it->nslices, p->kind != PV_COMBINER);
    out->fee_pp = p->fee_minor;
    out->total = pv_fares_total(it, out->fare_pp) + (int64_t)(it->pax + it->lap) * out->fee_pp;
}

int64_t pv_fares_total(const pv_itin *it, int64_t fare_pp)
{
    int adults = it->pax - it->children;
    return (int64_t)adults * fare_pp + (int64_t)it->children * (fare_pp * PV_CHILD_PCT / 100) +
           (int64_t)it->lap * (fare_pp * PV_INFANT_PCT / 100);
}

ct_status pv_price(sb_provider *p, const pv_query *q, const pv_itin *it, int64_t now, int live,
                   pv_priced *out, pv_err *e)
{
    memset(out, 0, sizeof(*out));
    out->it = *it;
    for (int s = 0; s < it->nslices; s++) {
        for (int g = 0; g < it->nsegs[s]; g++) {
            const sb_dated_leg *dl = &it->segs[s][g].dl;
            int booked[SB_NCABINS];
            sb_leg_avail a;
            ct_status rc = sb_inventory_booked(p->inv, dl, now, booked);
            if (!rc)
                rc = sb_inv_state(p->w, dl, booked, pv_market_time(p, dl, now, live), now, &a);
            if (rc) {
                pv_err_set(e, 500, "internal", "", "inventory: %s", ct_status_name(rc));
                return rc;
            }
            int cls = sb_inv_pick(&a, it->cabin, it->pax);
            if (cls < 0) {
                seg_error(p, q, e, 409, "sold_out", PV_ATTR_SEGMENT, s, g,
                          "no %s seats for %d passenger(s) on this flight",
                          sb_cabin_name(it->cabin), it->pax);
                return CT_CONFLICT;
            }
            out->cls[s][g] = cls;
            out->seats[s][g] = a.seats[cls] > 9 ? 9 : a.seats[cls];
        }
    }
    price_classes(p, now, out);
    return CT_OK;
}

/* ---- offers ---- */

static void encode_offer(const sb_provider *p, const pv_priced *pr, int64_t expires, char *out,
                         size_t len)
{
    char payload[600];
    int at = snprintf(payload, sizeof(payload), "v2;%d;%d;%d;%d;%d;%d;%d;%lld;%lld", pr->it.nslices,
                      pr->it.nsegs[0], pr->it.nsegs[1], pr->it.pax, pr->it.children, pr->it.lap,
                      pr->it.cabin, (long long)expires, (long long)pr->total);
    for (int s = 0; s < pr->it.nslices; s++) {
        for (int g = 0; g < pr->it.nsegs[s]; g++) {
            const sb_dated_leg *dl = &pr->it.segs[s][g].dl;
            at += snprintf(payload + at, sizeof(payload) - (size_t)at, ";%d,%d,%lld,%d", dl->flight,
                           dl->leg, (long long)dl->day, pr->cls[s][g]);
        }
    }
    unsigned char mac[crypto_auth_BYTES];
    crypto_auth(mac, (const unsigned char *)payload, (unsigned long long)at, p->key);
    sodium_bin2base64(out, len, (const unsigned char *)payload, (size_t)at,
                      sodium_base64_VARIANT_URLSAFE_NO_PADDING);
    size_t used = strlen(out);
    out[used++] = '.';
    sodium_bin2base64(out + used, len - used, mac, sizeof(mac),
                      sodium_base64_VARIANT_URLSAFE_NO_PADDING);
}

ct_status pv_offer_make(sb_provider *p, const pv_query *q, int64_t now, pv_offer *out, pv_err *e)
{
    pv_itin it;
    ct_status rc = pv_resolve(p, q, now, &it, e);
    if (!rc)
        rc = pv_price(p, q, &it, now, 0, &out->pr, e);
    if (rc)
        return rc;
    out->expires_at = now + p->offer_sec;
    encode_offer(p, &out->pr, out->expires_at, out->id, sizeof(out->id));
    return CT_OK;
}

/* Parses a verified payload back into an offer; 0 when it does not describe one. */
static int parse_offer(sb_provider *p, char *payload, pv_offer *o)
{
    pv_itin *it = &o->pr.it;
    long long expires, total;
    int used = 0;
    if (sscanf(payload, "v2;%d;%d;%d;%d;%d;%d;%d;%lld;%lld%n", &it->nslices, &it->nsegs[0],
               &it->nsegs[1], &it->pax, &it->children, &it->lap, &it->cabin, &expires, &total,
               &used) != 9)
        return 0;
    if (it->nslices < 1 || it->nslices > PV_MAX_SLICES || it->children < 0 ||
        it->children >= it->pax || it->lap < 0 || it->lap > it->pax - it->children)
        return 0;
    o->expires_at = expires;
    o->pr.total = total;
    const char *at = payload + used;
    for (int s = 0; s < it->nslices; s++) {
        for (int g = 0; g < it->nsegs[s] && g < PV_MAX_SEGS; g++) {
            sb_dated_leg dl;
            long long day;
            int n = 0;
            if (sscanf(at, ";%d,%d,%lld,%d%n", &dl.flight, &dl.leg, &day, &o->pr.cls[s][g], &n) !=
                    4 ||
                dl.flight < 0 || dl.flight >= p->w->nflights)
                return 0;
            dl.day = day;
            at += n;
            pv_seg_of(p, &dl, &it->segs[s][g]);
        }
    }
    return 1;
}

/* Verifies and decodes an offer id. */
static ct_status decode_offer(sb_provider *p, const char *token, const char *field, pv_offer *o,
                              pv_err *e)
{
    memset(o, 0, sizeof(*o));
    char payload[600];
    unsigned char mac[crypto_auth_BYTES];
    size_t plen = 0, mlen = 0;
    const char *dot = strchr(token, '.');
    int ok = dot != NULL &&
             sodium_base642bin((unsigned char *)payload, sizeof(payload) - 1, token,
                               (size_t)(dot - token), NULL, &plen, NULL,
                               sodium_base64_VARIANT_URLSAFE_NO_PADDING) == 0 &&
             sodium_base642bin(mac, sizeof(mac), dot + 1, strlen(dot + 1), NULL, &mlen, NULL,
                               sodium_base64_VARIANT_URLSAFE_NO_PADDING) == 0 &&
             mlen == sizeof(mac) &&
             crypto_auth_verify(mac, (const unsigned char *)payload, plen, p->key) == 0;
    if (ok) {
        payload[plen] = '\0';
        ok = parse_offer(p, payload, o);
    }
    if (!ok) {
        pv_err_set(e, 400, "invalid_field", field, "not an offer of %s", p->name);
        return CT_INVALID;
    }
    snprintf(o->id, sizeof(o->id), "%s", token);
    return CT_OK;
}

/* ---- orders ---- */

void pv_order_clear(pv_order *o)
{
    sb_booking_clear(&o->b);
    memset(o, 0, sizeof(*o));
}

/* Rebuilds the order view from a stored booking and its document. */
static ct_status order_from_booking(const sb_provider *p, pv_order *o)
{
    json_t *doc = o->b.doc ? json_loads(o->b.doc, 0, NULL) : NULL;
    if (doc == NULL)
        return CT_ERR;
    pv_itin *it = &o->it;
    it->nslices = (int)json_array_size(json_object_get(doc, "slices"));
    it->pax = o->b.seats;
    it->children = (int)json_integer_value(json_object_get(doc, "children"));
    it->lap = (int)json_integer_value(json_object_get(doc, "lap_infants"));
    it->cabin = o->b.nsegs ? o->b.segs[0].cabin : 0;
    json_t *amounts = json_object_get(doc, "amounts");
    for (int s = 0, k = 0; s < it->nslices && s < PV_MAX_SLICES; s++) {
        it->nsegs[s] = (int)json_integer_value(json_array_get(json_object_get(doc, "slices"), s));
        for (int g = 0; g < it->nsegs[s] && g < PV_MAX_SEGS && k < o->b.nsegs; g++, k++) {
            pv_seg_of(p, &o->b.segs[k].dl, &it->segs[s][g]);
            o->cls[s][g] = o->b.segs[k].cls;
            o->amount[s][g] = json_integer_value(json_array_get(amounts, (size_t)k));
        }
    }
    o->fare_pp = json_integer_value(json_object_get(doc, "fare_pp"));
    o->fee_pp = json_integer_value(json_object_get(doc, "fee_pp"));
    o->price_change_pct = (int)json_integer_value(json_object_get(doc, "price_change_pct"));
    json_t *pax = json_object_get(doc, "pax");
    for (size_t i = 0; i < json_array_size(pax) && i < PV_MAX_PAX; i++) {
        json_t *x = json_array_get(pax, i);
        snprintf(o->pax[i].given, sizeof(o->pax[i].given), "%s",
                 json_string_value(json_object_get(x, "given")) ?: "");
        snprintf(o->pax[i].family, sizeof(o->pax[i].family), "%s",
                 json_string_value(json_object_get(x, "family")) ?: "");
        o->npax = (int)i + 1;
    }
    json_decref(doc);
    return CT_OK;
}

typedef struct book_ctx {
    sb_provider *p;
    const pv_offer *offer;
    const pv_order_req *r;
    int price_change_pct;
    int64_t now;
} book_ctx;

/* sb_price_fn: the order's price for the classes the inventory chose, and its document. */
static ct_status book_price(void *ctx, const sb_booking_seg *segs, int nsegs, int64_t *amount,
                            char **doc)
{
    book_ctx *b = ctx;
    pv_priced pr;
    memset(&pr, 0, sizeof(pr));
    pr.it = b->offer->pr.it;
    json_t *amounts = json_array(), *pax = json_array();
    for (int s = 0, k = 0; s < pr.it.nslices; s++) {
        for (int g = 0; g < pr.it.nsegs[s] && k < nsegs; g++, k++)
            pr.cls[s][g] = segs[k].cls;
    }
    price_classes(b->p, b->now, &pr);
    for (int s = 0; s < pr.it.nslices; s++) {
        for (int g = 0; g < pr.it.nsegs[s]; g++)
            json_array_append_new(amounts, json_integer(pr.amount[s][g]));
    }
    for (int i = 0; i < b->r->npax; i++)
        json_array_append_new(pax, json_pack("{s:s, s:s}", "given", b->r->pax[i].given, "family",
                                             b->r->pax[i].family));
    *amount = pr.total * (100 + b->price_change_pct) / 100;
    json_t *d =
        json_pack("{s:[i,i], s:o, s:o, s:I, s:I, s:i}", "slices", pr.it.nsegs[0], pr.it.nsegs[1],
                  "amounts", amounts, "pax", pax, "fare_pp", (json_int_t)pr.fare_pp, "fee_pp",
                  (json_int_t)pr.fee_pp, "price_change_pct", b->price_change_pct);
    if (d != NULL) {
        json_object_set_new(d, "children", json_integer(pr.it.children));
        json_object_set_new(d, "lap_infants", json_integer(pr.it.lap));
    }
    if (d != NULL && pr.it.nslices == 1)
        json_array_remove(json_object_get(d, "slices"), 1);
    *doc = d ? json_dumps(d, JSON_COMPACT) : NULL;
    json_decref(d);
    return *doc ? CT_OK : CT_NOMEM;
}

/* Maps the outcome of sb_inventory_book / find_key to the order or an error. */
static ct_status book_outcome(pv_call *c, const pv_order_req *r, sb_book_outcome oc, pv_order *out,
                              pv_err *e)
{
    if (oc == SB_BOOK_SOLD_OUT) {
        pv_err_set(e, 409, "sold_out", "", "the seats of this offer are no longer available");
        return CT_CONFLICT;
    }
    if (oc == SB_BOOK_KEY_REUSED) {
        pv_err_set(e, 409, "idempotency_conflict", r->f_idem,
                   "this key was used for a different request");
        return CT_CONFLICT;
    }
    out->replayed = oc == SB_BOOK_REPLAYED;
    if (order_from_booking(c->p, out)) {
        pv_err_set(e, 500, "internal", "", "stored order is unreadable");
        return CT_ERR;
    }
    return CT_OK;
}

ct_status pv_order_create(pv_call *c, const pv_order_req *r, pv_order *out, pv_err *e)
{
    sb_provider *p = c->p;
    pv_offer offer;
    sb_book_outcome oc;
    ct_status rc;
    /* A known key answers first: the same request gets its order back even after the offer
     * expired, another request with the key is refused whatever it contains. */
    if (r->idem_key != NULL) {
        rc = sb_inventory_find_key(p->inv, p->name, r->idem_key, r->fingerprint, c->now, &oc,
                                   &out->b);
        if (rc == CT_OK)
            return book_outcome(c, r, oc, out, e);
        if (rc != CT_NOT_FOUND) {
            pv_err_set(e, 500, "internal", "", "inventory: %s", ct_status_name(rc));
            return rc;
        }
    }
    rc = decode_offer(p, r->offer_id, r->f_offer, &offer, e);
    if (rc)
        return rc;
    if (r->npax != offer.pr.it.pax + offer.pr.it.lap) {
        pv_err_set(e, 400, "invalid_field", r->f_pax, "expected %d traveller(s), as offered",
                   offer.pr.it.pax + offer.pr.it.lap);
        return CT_INVALID;
    }
    if (offer.expires_at <= c->now) {
        pv_err_set(e, 410, "offer_expired", r->f_offer, "the offer expired; ask for a new one");
        return CT_CONFLICT;
    }
    if (sb_fault_hits(&c->faults, c->n, SB_FAULT_SOLD_OUT)) {
        pv_err_set(e, 409, "sold_out", "", "the seats of this offer are no longer available");
        return CT_CONFLICT;
    }
    sb_booking_seg segs[SB_INV_MAX_SEGS];
    int n = 0;
    for (int s = 0; s < offer.pr.it.nslices; s++) {
        for (int g = 0; g < offer.pr.it.nsegs[s]; g++)
            segs[n++] = (sb_booking_seg){offer.pr.it.segs[s][g].dl, offer.pr.it.cabin, -1};
    }
    book_ctx bc = {p, &offer, r, 0, c->now};
    if (sb_fault_hits(&c->faults, c->n, SB_FAULT_PRICE_CHANGE))
        bc.price_change_pct = sb_fault_price_pct(&c->faults, c->n);
    sb_book_req req = {p->name,     r->idem_key,     r->fingerprint, segs,
                       n,           offer.pr.it.pax, c->now,         c->now + p->hold_sec,
                       p->currency, offer.pr.total,  book_price,     &bc};
    rc = sb_inventory_book(p->inv, &req, &oc, &out->b);
    if (rc) {
        pv_err_set(e, 500, "internal", "", "inventory: %s", ct_status_name(rc));
        return rc;
    }
    return book_outcome(c, r, oc, out, e);
}

static ct_status not_found(ct_status rc, const char *id, pv_err *e)
{
    if (rc == CT_NOT_FOUND)
        pv_err_set(e, 404, "not_found", "", "no order %s", id);
    else
        pv_err_set(e, 500, "internal", "", "inventory: %s", ct_status_name(rc));
    return rc;
}

ct_status pv_order_get(pv_call *c, const char *id, pv_order *out, pv_err *e)
{
    ct_status rc = sb_inventory_get(c->p->inv, c->p->name, id, c->now, &out->b);
    if (rc)
        return not_found(rc, id, e);
    if (order_from_booking(c->p, out)) {
        pv_err_set(e, 500, "internal", "", "stored order is unreadable");
        return CT_ERR;
    }
    return CT_OK;
}

/* Common tail of ticket, cancel and refund: the outcome as the order or an error. */
static ct_status op_outcome(pv_call *c, sb_op_outcome oc, const char *what, const char *f_payment,
                            pv_order *out, pv_err *e)
{
    if (oc == SB_OP_MISMATCH) {
        pv_err_set(e, 409, "payment_mismatch", f_payment,
                   "the order was ticketed with another payment reference");
        return CT_CONFLICT;
    }
    if (oc == SB_OP_WRONG_STATE && out->b.state == SB_BOOKING_EXPIRED) {
        char t[21];
        pv_err_set(e, 409, "hold_expired", "", "the hold expired at %s; the seats are released",
                   pv_instant(out->b.expires_at, t));
        return CT_CONFLICT;
    }
    if (oc == SB_OP_WRONG_STATE) {
        pv_err_set(e, 409, "wrong_state", "", "cannot %s an order that is %s", what,
                   sb_booking_state_name(out->b.state));
        return CT_CONFLICT;
    }
    if (order_from_booking(c->p, out)) {
        pv_err_set(e, 500, "internal", "", "stored order is unreadable");
        return CT_ERR;
    }
    return CT_OK;
}

ct_status pv_order_ticket(pv_call *c, const char *id, const char *payment_ref,
                          const char *f_payment, pv_order *out, pv_err *e)
{
    sb_op_outcome oc;
    ct_status rc =
        sb_inventory_ticket(c->p->inv, c->p->name, id, payment_ref, c->now, &oc, &out->b);
    return rc ? not_found(rc, id, e) : op_outcome(c, oc, "ticket", f_payment, out, e);
}

ct_status pv_order_cancel(pv_call *c, const char *id, pv_order *out, pv_err *e)
{
    sb_op_outcome oc;
    ct_status rc = sb_inventory_cancel(c->p->inv, c->p->name, id, c->now, &oc, &out->b);
    return rc ? not_found(rc, id, e) : op_outcome(c, oc, "cancel", "", out, e);
}

ct_status pv_order_refund(pv_call *c, const char *id, pv_order *out, pv_err *e)
{
    ct_status rc = pv_order_get(c, id, out, e);
    if (rc)
        return rc;
    int cls[SB_INV_MAX_SEGS];
    for (int i = 0; i < out->b.nsegs; i++)
        cls[i] = out->b.segs[i].cls;
    int64_t fare = out->b.amount - out->fee_pp * out->b.seats; /* fees are not refunded */
    int64_t refund = fare * sb_fare_refund_pct(cls, out->b.nsegs) / 100;
    sb_op_outcome oc;
    pv_order_clear(out);
    rc = sb_inventory_refund(c->p->inv, c->p->name, id, c->now, refund, &oc, &out->b);
    return rc ? not_found(rc, id, e) : op_outcome(c, oc, "refund", "", out, e);
}

/* ---- tickets ---- */

/* Ticket groups of an itinerary: 1 for one-ticket sellers; for the combiner, the runs of
 * cooperating legs of each slice. Writes the first segment's carrier of each group. */
static int ticket_groups(const sb_provider *p, const pv_itin *it, int *carriers, int max)
{
    if (p->kind != PV_COMBINER) {
        carriers[0] = it->segs[0][0].carrier;
        return 1;
    }
    int n = 0;
    for (int s = 0; s < it->nslices; s++) {
        for (int g = 0; g < it->nsegs[s] && n < max; g++) {
            if (g == 0 ||
                !sb_carriers_cooperate(p->w, it->segs[s][g - 1].carrier, it->segs[s][g].carrier))
                carriers[n++] = it->segs[s][g].carrier;
        }
    }
    return n;
}

int pv_ticket_count(const sb_provider *p, const pv_itin *it)
{
    int carriers[PV_MAX_SLICES * PV_MAX_SEGS];
    return ticket_groups(p, it, carriers, PV_MAX_SLICES * PV_MAX_SEGS);
}

void pv_ticket_number(const sb_provider *p, const pv_order *o, int ticket, int pax, char out[14])
{
    int carriers[PV_MAX_SLICES * PV_MAX_SEGS];
    int n = ticket_groups(p, &o->it, carriers, PV_MAX_SLICES * PV_MAX_SEGS);
    /* No group (no segment) numbers from the first segment's carrier, as one-ticket sellers. */
    int c = n > 0 ? carriers[ticket < n ? ticket : 0] : o->it.segs[0][0].carrier;
    unsigned prefix = 100u + (unsigned)(sb_code_key(p->w->carriers[c].code) % 900u);
    uint64_t serial =
        sb_hash(sb_code_key(o->b.id), (uint64_t)ticket, (uint64_t)pax) % 10000000000ull;
    snprintf(out, 14, "%03u%010llu", prefix, (unsigned long long)serial);
}
