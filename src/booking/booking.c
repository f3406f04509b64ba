/* booking.c: the booking handle, the calls to providers, itinerary ids and live offers.
 *
 * A provider call is a request built by providers/booking.h (method, path, body, where the
 * idempotency key goes) sent with upstream/'s blocking call under the handle's deadline;
 * requests without a key (offers) are sent once, keyed ones are retried with the same key.
 * An offer is stored (table offers) with the provider's offer id and expiry next to its
 * normalised JSON, so an order can be made from our id alone and the answer repeated. */
#include <ctype.h>
#include <stdio.h>
#include <string.h>
#include <time.h>

#include <sodium.h>

#include "base/alloc.h"
#include "base/currency.h"
#include "base/json.h"
#include "base/log.h"
#include "booking/booking_internal.h"
#include "providers/directory.h"
#include "refdata/refdata.h"

/* ---- small helpers ---- */

int64_t bk_now(const ct_booking *b)
{
    return (int64_t)time(NULL) + b->cfg.clock_offset_s;
}

void bk_new_id(const char *prefix, char *out, size_t len)
{
    unsigned char r[12];
    randombytes_buf(r, sizeof(r));
    char hex[25];
    sodium_bin2hex(hex, sizeof(hex), r, sizeof(r));
    snprintf(out, len, "%s%s", prefix, hex);
}

void bk_iso(int64_t t, char *out, size_t len)
{
    time_t tt = (time_t)t;
    struct tm tm;
    gmtime_r(&tt, &tm);
    strftime(out, len, "%Y-%m-%dT%H:%M:%SZ", &tm);
}

void bk_err(ct_booking_error *e, int http, const char *code, const char *field, const char *detail)
{
    if (e == NULL)
        return;
    e->http = http;
    snprintf(e->code, sizeof(e->code), "%s", code);
    snprintf(e->field, sizeof(e->field), "%s", field ? field : "");
    snprintf(e->detail, sizeof(e->detail), "%s", detail ? detail : "");
}

void ct_booking_error_clear(ct_booking_error *e)
{
    if (e == NULL)
        return;
    json_decref(e->extra);
    memset(e, 0, sizeof(*e));
}

json_t *bk_money(int64_t minor, const char *currency)
{
    char text[40];
    ct_currency_format(minor, ct_currency_digits(currency), text, sizeof(text));
    return json_pack("{sI ss ss}", "amount_minor", (json_int_t)minor, "currency", currency,
                     "amount", text);
}

const ct_booking_provider *bk_provider(const ct_booking *b, const char *name)
{
    if (name == NULL)
        return NULL;
    for (int i = 0; i < b->cfg.nproviders; i++) {
        if (strcmp(b->cfg.providers[i].name, name) == 0)
            return &b->cfg.providers[i];
    }
    return NULL;
}

/* ---- the handle ---- */

ct_status ct_booking_new(const ct_booking_config *cfg, ct_booking **out)
{
    *out = NULL;
    ct_booking *b = ct_calloc(1, sizeof(*b));
    if (b == NULL)
        return CT_NOMEM;
    b->cfg = *cfg;
    if (b->cfg.deadline_ms <= 0)
        b->cfg.deadline_ms = 15000;
    if (b->cfg.recovery_every_s <= 0)
        b->cfg.recovery_every_s = 30;
    if (b->cfg.recovery_min_age_s <= 0)
        b->cfg.recovery_min_age_s = 60;
    pthread_mutex_init(&b->names_mu, NULL);
    pthread_mutex_init(&b->stop_mu, NULL);
    pthread_cond_init(&b->stop_cv, NULL);
    ct_upstream_config uc = {0};
    uc.name = "booking";
    uc.max_attempts = 3;
    uc.backoff_ms = 50;
    uc.backoff_max_ms = 1000;
    uc.timeout_ms = 10000;
    ct_status rc = ct_upstream_new(&uc, &b->up);
    if (rc) {
        ct_booking_free(b);
        return rc;
    }
    *out = b;
    return CT_OK;
}

void ct_booking_free(ct_booking *b)
{
    if (b == NULL)
        return;
    if (b->recovery_running) {
        pthread_mutex_lock(&b->stop_mu);
        b->stopping = 1;
        pthread_cond_broadcast(&b->stop_cv);
        pthread_mutex_unlock(&b->stop_mu);
        pthread_join(b->recovery, NULL);
    }
    ct_upstream_free(b->up);
    pthread_mutex_destroy(&b->names_mu);
    pthread_mutex_destroy(&b->stop_mu);
    pthread_cond_destroy(&b->stop_cv);
    ct_free(b);
}

void ct_booking_set_clock_offset(ct_booking *b, int64_t seconds)
{
    b->cfg.clock_offset_s = seconds;
}

ct_upstream *ct_booking_upstream(ct_booking *b)
{
    return b->up;
}

ct_payments *ct_booking_payments(ct_booking *b)
{
    return b->cfg.payments;
}

/* ---- provider calls ---- */

ct_status bk_send(ct_booking *b, const ct_booking_provider *p, const ct_bk_request *rq,
                  const char *key, ct_upstream_response *rsp)
{
    char url[900];
    snprintf(url, sizeof(url), "%s%s", p->base_url, rq->path);
    const char *headers[] = {"Content-Type: application/json", "Accept: application/json", NULL};
    ct_upstream_request req = {0};
    req.partner = p->name;
    req.method = rq->method;
    req.url = url;
    req.headers = headers;
    req.body = rq->body;
    req.body_len = rq->body ? strlen(rq->body) : 0;
    req.idempotency_key = key; /* Voyagio also has it in the body; the header is harmless */
    req.deadline_ms = b->cfg.deadline_ms;
    return ct_upstream_call_sync(b->up, &req, rsp);
}

void bk_provider_error(ct_status rc, const ct_upstream_response *rsp, const ct_bk_error *perr,
                       ct_booking_error *e)
{
    char d[256];
    if (rsp != NULL && rsp->rc != CT_OK) {
        int timeout = rsp->rc == CT_AGAIN;
        snprintf(d, sizeof(d), "the provider %s; try again shortly",
                 timeout ? "did not answer in time" : "could not be reached");
        bk_err(e, timeout ? 504 : 502, "provider_error", "", d);
        e->retry_after_s = 5;
        return;
    }
    if (perr == NULL) {
        bk_err(e, 502, "provider_error", "", "the provider failed");
        e->retry_after_s = 5;
        return;
    }
    switch (perr->kind) {
    case CT_BK_ERR_SOLD_OUT:
        bk_err(e, 409, "sold_out", "", "no seats left on this itinerary for every passenger");
        return;
    case CT_BK_ERR_EXPIRED:
        bk_err(e, 410, "offer_expired", "offer_id",
               "the offer is no longer available; search again");
        return;
    case CT_BK_ERR_HOLD_EXPIRED:
        bk_err(e, 409, "hold_expired", "", "the provider released the seats before payment");
        return;
    case CT_BK_ERR_NOT_FOUND:
        bk_err(e, 404, "not_found", "", perr->message);
        return;
    case CT_BK_ERR_INVALID:
        bk_err(e, 404, "itinerary_not_available", "itinerary_id", perr->message);
        return;
    default:
        snprintf(d, sizeof(d), "the provider failed (%s)", perr->code);
        bk_err(e, 502, "provider_error", "", d);
        e->retry_after_s = 5;
        (void)rc;
        return;
    }
}

/* An NDC gateway's brand: its owner carrier's name from GET /ndc/v1/schedules. */
static void ask_owner_name(ct_booking *b, const ct_booking_provider *p, char *out, size_t len)
{
    ct_bk_request rq = {0};
    rq.method = "GET";
    snprintf(rq.path, sizeof(rq.path), "/ndc/v1/schedules");
    ct_upstream_response rsp;
    memset(&rsp, 0, sizeof(rsp));
    if (bk_send(b, p, &rq, NULL, &rsp) == CT_OK && rsp.status == 200) {
        json_t *doc = NULL;
        if (ct_json_loadb(rsp.body, rsp.body_len, 0, &doc, NULL) == CT_OK) {
            const char *owner = json_string_value(json_object_get(doc, "Owner"));
            json_t *c;
            size_t i;
            json_array_foreach(json_object_get(doc, "Carriers"), i, c)
            {
                const char *code = json_string_value(json_object_get(c, "AirlineDesigCode"));
                const char *nm = json_string_value(json_object_get(c, "Name"));
                if (owner && code && nm && strcmp(owner, code) == 0)
                    snprintf(out, len, "%s", nm);
            }
            json_decref(doc);
        }
    }
    ct_upstream_response_free(&rsp);
}

void bk_display_name(ct_booking *b, const ct_booking_provider *p, char *out, size_t len)
{
    pthread_mutex_lock(&b->names_mu);
    char have[64];
    snprintf(have, sizeof(have), "%s", p->display_name);
    pthread_mutex_unlock(&b->names_mu);
    if (have[0]) {
        snprintf(out, len, "%s", have);
        return;
    }
    char asked[64] = "";
    if (p->dialect == CT_DIALECT_NDC) /* the directory did not say: an airline says its name */
        ask_owner_name(b, p, asked, sizeof(asked));
    if (asked[0] == '\0') { /* never the internal name */
        snprintf(out, len, "%s",
                 ct_partner_display_name(NULL, NULL,
                                         ct_providers_kind_name(ct_providers_dialect_kind(
                                             (ct_providers_dialect)p->dialect))));
        return;
    }
    pthread_mutex_lock(&b->names_mu);
    ct_booking_provider *w = (ct_booking_provider *)p; /* the handle's own copy */
    snprintf(w->display_name, sizeof(w->display_name), "%s", asked);
    pthread_mutex_unlock(&b->names_mu);
    snprintf(out, len, "%s", asked);
}

/* ---- itinerary ids ---- */

/* One leg "CC123-YYYYMMDD-FROMTO" of [s, e). */
static int decode_leg(const char *s, const char *e, ct_bk_leg *l)
{
    size_t n = (size_t)(e - s);
    const char *d1 = memchr(s, '-', n);
    if (d1 == NULL || d1 - s < 3 || d1 - s > 6)
        return 0;
    if (!isalnum((unsigned char)s[0]) || !isalnum((unsigned char)s[1]))
        return 0;
    l->carrier[0] = s[0];
    l->carrier[1] = s[1];
    l->carrier[2] = '\0';
    int num = 0;
    for (const char *p = s + 2; p < d1; p++) {
        if (!isdigit((unsigned char)*p))
            return 0;
        num = num * 10 + (*p - '0');
    }
    if (num < 1 || num > 9999)
        return 0;
    l->number = num;
    if (e - d1 != 1 + 8 + 1 + 6 || d1[9] != '-')
        return 0;
    int y = 0, m = 0, d = 0;
    for (int i = 1; i <= 8; i++) {
        if (!isdigit((unsigned char)d1[i]))
            return 0;
    }
    y = (d1[1] - '0') * 1000 + (d1[2] - '0') * 100 + (d1[3] - '0') * 10 + (d1[4] - '0');
    m = (d1[5] - '0') * 10 + (d1[6] - '0');
    d = (d1[7] - '0') * 10 + (d1[8] - '0');
    if (m < 1 || m > 12 || d < 1 || d > 31 || y < 1970)
        return 0;
    struct tm tm = {0};
    tm.tm_year = y - 1900;
    tm.tm_mon = m - 1;
    tm.tm_mday = d;
    time_t t = timegm(&tm);
    struct tm back;
    gmtime_r(&t, &back);
    if (back.tm_mday != d)
        return 0;
    l->dep_date = (int32_t)(t / 86400);
    for (int i = 0; i < 6; i++) {
        if (!isupper((unsigned char)d1[10 + i]))
            return 0;
    }
    memcpy(l->from, d1 + 10, 3);
    l->from[3] = '\0';
    memcpy(l->to, d1 + 13, 3);
    l->to[3] = '\0';
    return 1;
}

ct_status ct_booking_itinerary_decode(const char *id, ct_bk_leg *legs, int max, int *nlegs)
{
    *nlegs = 0;
    if (id == NULL || strncmp(id, "i_", 2) != 0)
        return CT_INVALID;
    const char *p = id + 2;
    int slice = 0, n = 0;
    while (*p) {
        const char *e = p;
        while (*e && *e != '_' && *e != '~')
            e++;
        if (n >= max || n >= CT_BK_MAX_LEGS)
            return CT_INVALID;
        ct_bk_leg *l = &legs[n];
        memset(l, 0, sizeof(*l));
        l->amount_minor = -1;
        if (!decode_leg(p, e, l))
            return CT_INVALID;
        l->slice = slice;
        n++;
        if (*e == '\0')
            break;
        if (*e == '~')
            slice++;
        p = e + 1;
        if (*p == '\0')
            return CT_INVALID;
    }
    if (n == 0)
        return CT_INVALID;
    *nlegs = n;
    return CT_OK;
}

/* ---- offers ---- */

/* The sandbox's refund rule (docs/sandbox.md "The class ladder"): Y, B, J, W and F refund
 * 100 % of the fare after ticketing, every other class 70 %; an order refunds its least
 * refundable class's share; service fees are never refunded. */
static int refund_pct(const ct_bk_leg *legs, int n)
{
    int pct = 100;
    for (int i = 0; i < n; i++) {
        char c = legs[i].rbd[0];
        int p = (c == 'Y' || c == 'B' || c == 'J' || c == 'W' || c == 'F') ? 100 : 70;
        if (p < pct)
            pct = p;
    }
    return pct;
}

int bk_legs_international(const ct_booking *b, const ct_bk_leg *legs, int n)
{
    for (int i = 0; b->cfg.refdata != NULL && i < n; i++) {
        const ct_airport *a = ct_refdata_airport(b->cfg.refdata, legs[i].from);
        const ct_airport *z = ct_refdata_airport(b->cfg.refdata, legs[i].to);
        if (a != NULL && z != NULL && a->country != NULL && z->country != NULL &&
            strcmp(a->country, z->country) != 0)
            return 1;
    }
    return 0;
}

static json_t *offer_json(ct_booking *b, const ct_booking_provider *p, const char *id,
                          const ct_bk_offer *o, const ct_booking_offer_req *r)
{
    char name[64], iso[32];
    bk_display_name(b, p, name, sizeof(name));
    bk_iso(o->expires_at, iso, sizeof(iso));
    json_t *slices = json_array();
    int nslices = 0;
    for (int i = 0; i < o->nlegs; i++)
        if (o->legs[i].slice + 1 > nslices)
            nslices = o->legs[i].slice + 1;
    for (int s = 0; s < nslices; s++) {
        json_t *legs = json_array();
        for (int i = 0; i < o->nlegs; i++) {
            const ct_bk_leg *l = &o->legs[i];
            if (l->slice != s)
                continue;
            char dep[32], arr[32], date[16], rbd[2] = {l->rbd[0], 0};
            bk_iso(l->dep_utc, dep, sizeof(dep));
            bk_iso(l->arr_utc, arr, sizeof(arr));
            bk_iso((int64_t)l->dep_date * 86400, date, sizeof(date));
            date[10] = '\0';
            json_t *lj =
                json_pack("{ss si ss ss ss ss ss ss}", "carrier", l->carrier, "flight_number",
                          l->number, "date", date, "from", l->from, "to", l->to, "departs_at", dep,
                          "arrives_at", arr, "booking_class", rbd);
            if (l->amount_minor >= 0)
                json_object_set_new(lj, "unit_price", bk_money(l->amount_minor, o->currency));
            json_array_append_new(legs, lj);
        }
        json_array_append_new(slices, json_pack("{so}", "legs", legs));
    }
    int pct = refund_pct(o->legs, o->nlegs);
    char rule[200];
    snprintf(rule, sizeof(rule),
             "%d %% of the fare is refunded after ticketing; service fees are not refunded", pct);
    int64_t fee_pp = o->pax > 0 ? o->fee_minor / o->pax : 0;
    json_t *per =
        json_pack("[{ss si so so}]", "type", "adult", "count", o->pax, "amount",
                  bk_money(o->pax > 0 ? o->total_minor / o->pax : o->total_minor, o->currency),
                  "fee", bk_money(fee_pp, o->currency));
    json_t *j = json_pack("{ss s{ss ss} ss ss so so so si ss so s{sb si ss sn} sb}", "id", id,
                          "provider", "code", p->name, "name", name, "expires_at", iso, "currency",
                          o->currency, "total", bk_money(o->total_minor, o->currency), "fees",
                          bk_money(o->fee_minor, o->currency), "per_passenger", per, "passengers",
                          o->pax, "cabin", ct_bk_cabin_name(o->cabin), "slices", slices,
                          "conditions", "refundable", 1, "refund_percent", pct, "refund_rule", rule,
                          "changes", "self_transfer", o->self_transfer ? 1 : 0);
    /* What the passenger form must ask (orders.c refuses an international order without). */
    json_object_set_new(j, "passport_required",
                        json_boolean(bk_legs_international(b, o->legs, o->nlegs)));
    if (r->searched_minor >= 0 && r->searched_currency[0]) {
        json_object_set_new(j, "searched_price", bk_money(r->searched_minor, r->searched_currency));
        if (strcmp(r->searched_currency, o->currency) == 0)
            json_object_set_new(j, "price_changed",
                                json_boolean(r->searched_minor != o->total_minor));
        else
            json_object_set_new(j, "price_changed", json_null()); /* the API converts */
    } else {
        json_object_set_new(j, "searched_price", json_null());
        json_object_set_new(j, "price_changed", json_false());
    }
    return j;
}

ct_status ct_booking_offer(ct_booking *b, ct_store *st, const ct_booking_offer_req *r, json_t **out,
                           ct_booking_error *e)
{
    *out = NULL;
    ct_bk_leg legs[CT_BK_MAX_LEGS];
    int nlegs = 0;
    ct_bk_request rq = {0};
    ct_upstream_response rsp;
    memset(&rsp, 0, sizeof(rsp));
    ct_bk_offer *o = NULL;
    json_t *j = NULL;
    ct_status rc;
    if (ct_booking_itinerary_decode(r->itinerary_id, legs, CT_BK_MAX_LEGS, &nlegs) != CT_OK) {
        bk_err(e, 404, "unknown_itinerary", "itinerary_id",
               "no such itinerary (use an id from a search answer)");
        return CT_NOT_FOUND;
    }
    if (r->provider != NULL && strcmp(r->provider, CT_BOOKING_SEPARATE) == 0)
        return bk_group_offer(b, st, r, out, e);
    const ct_booking_provider *p = bk_provider(b, r->provider);
    if (p == NULL) {
        bk_err(e, 404, "unknown_provider", "provider", "no such provider");
        return CT_NOT_FOUND;
    }
    if (r->passengers < 1 || r->passengers > CT_BK_MAX_PAX) {
        bk_err(e, 400, "invalid", "passengers", "from 1 to 9 passengers");
        return CT_INVALID;
    }
    o = ct_calloc(1, sizeof(*o));
    if (o == NULL)
        return CT_NOMEM;
    rc = ct_bk_offer_request(p->dialect, legs, nlegs, r->passengers, r->cabin, &rq);
    if (rc) {
        bk_err(e, 404, "unknown_itinerary", "itinerary_id", "the itinerary cannot be offered");
        rc = CT_NOT_FOUND;
        goto cleanup;
    }
    bk_send(b, p, &rq, NULL, &rsp);
    ct_bk_error perr;
    memset(&perr, 0, sizeof(perr));
    if (rsp.rc != CT_OK) {
        bk_provider_error(rsp.rc, &rsp, NULL, e);
        rc = CT_UNAVAILABLE;
        goto cleanup;
    }
    rc = ct_bk_offer_parse(p->dialect, (int)rsp.status, rsp.body, rsp.body_len, o, &perr);
    if (rc) {
        bk_provider_error(rc, &rsp, &perr, e);
        rc = e->http == 409   ? CT_CONFLICT
             : e->http == 404 ? CT_NOT_FOUND
             : e->http == 410 ? CT_CONFLICT
                              : CT_UNAVAILABLE;
        ct_log(CT_LOG_INFO, "booking.offer_refused", "provider", p->name, "code", perr.code,
               "message", perr.message, NULL);
        goto cleanup;
    }
    char id[32];
    bk_new_id("off_", id, sizeof(id));
    j = offer_json(b, p, id, o, r);
    bk_offer_row row = {.expires_at = o->expires_at,
                        .total_minor = o->total_minor,
                        .fee_minor = o->fee_minor,
                        .passengers = o->pax};
    snprintf(row.id, sizeof(row.id), "%s", id);
    snprintf(row.provider, sizeof(row.provider), "%s", p->name);
    snprintf(row.provider_offer_id, sizeof(row.provider_offer_id), "%s", o->id);
    snprintf(row.currency, sizeof(row.currency), "%s", o->currency);
    row.body = j;
    rc = bk_offer_store(b, st, &row, r);
    if (rc) {
        bk_err(e, 503, "database", "", "the offer could not be stored");
        goto cleanup;
    }
    rc = CT_OK;
    *out = j;
    j = NULL;
cleanup:
    json_decref(j);
    ct_free(o);
    ct_bk_request_free(&rq);
    ct_upstream_response_free(&rsp);
    return rc;
}

ct_status bk_offer_store(ct_booking *b, ct_store *st, const bk_offer_row *o,
                         const ct_booking_offer_req *r)
{
    char *text = NULL;
    ct_stmt *s = NULL;
    ct_status rc = ct_json_dumps(o->body, JSON_COMPACT, &text);
    if (rc)
        return rc;
    rc = ct_store_prepare(st,
                          "INSERT INTO offers (id, provider, provider_offer_id, itinerary_id,"
                          " expires_at, currency, total_minor, fee_minor, passengers,"
                          " searched_minor, searched_currency, body, created_at)"
                          " VALUES (?,?,?,?,?,?,?,?,?,?,?,?,?)",
                          &s);
    if (rc)
        goto cleanup;
    ct_stmt_bind_text(s, 1, o->id);
    ct_stmt_bind_text(s, 2, o->provider);
    ct_stmt_bind_text(s, 3, o->provider_offer_id);
    ct_stmt_bind_text(s, 4, r->itinerary_id);
    ct_stmt_bind_int64(s, 5, o->expires_at);
    ct_stmt_bind_text(s, 6, o->currency);
    ct_stmt_bind_int64(s, 7, o->total_minor);
    ct_stmt_bind_int64(s, 8, o->fee_minor);
    ct_stmt_bind_int64(s, 9, o->passengers);
    if (r->searched_minor >= 0) {
        ct_stmt_bind_int64(s, 10, r->searched_minor);
        ct_stmt_bind_text(s, 11, r->searched_currency);
    } else {
        ct_stmt_bind_null(s, 10);
        ct_stmt_bind_null(s, 11);
    }
    ct_stmt_bind_text(s, 12, text);
    ct_stmt_bind_int64(s, 13, bk_now(b));
    rc = ct_stmt_step(s);
    ct_stmt_finalize(s);
    rc = rc == CT_DONE ? CT_OK : CT_UNAVAILABLE;
cleanup:
    ct_free(text);
    return rc;
}

ct_status bk_offer_load(ct_store *st, const char *id, bk_offer_row *out)
{
    memset(out, 0, sizeof(*out));
    ct_stmt *s = NULL;
    ct_status rc = ct_store_prepare(st,
                                    "SELECT id, provider, provider_offer_id, currency, expires_at,"
                                    " total_minor, fee_minor, passengers, body FROM offers"
                                    " WHERE id = ?",
                                    &s);
    if (rc)
        return rc;
    ct_stmt_bind_text(s, 1, id);
    rc = ct_stmt_step(s);
    if (rc == CT_ROW) {
        snprintf(out->id, sizeof(out->id), "%s", ct_stmt_text(s, 0));
        snprintf(out->provider, sizeof(out->provider), "%s", ct_stmt_text(s, 1));
        snprintf(out->provider_offer_id, sizeof(out->provider_offer_id), "%s", ct_stmt_text(s, 2));
        snprintf(out->currency, sizeof(out->currency), "%s", ct_stmt_text(s, 3));
        out->expires_at = ct_stmt_int64(s, 4);
        out->total_minor = ct_stmt_int64(s, 5);
        out->fee_minor = ct_stmt_int64(s, 6);
        out->passengers = (int)ct_stmt_int64(s, 7);
        const char *body = ct_stmt_text(s, 8);
        if (ct_json_loadb(body, strlen(body), 0, &out->body, NULL) != CT_OK)
            out->body = json_object();
        rc = CT_OK;
    } else if (rc == CT_DONE) {
        rc = CT_NOT_FOUND;
    }
    ct_stmt_finalize(s);
    return rc;
}

void bk_offer_row_free(bk_offer_row *o)
{
    json_decref(o->body);
    o->body = NULL;
}

ct_status ct_booking_offer_get(ct_booking *b, ct_store *st, const char *id, json_t **out)
{
    bk_offer_row o;
    ct_status rc = bk_offer_load(st, id, &o);
    if (rc)
        return rc;
    json_object_set_new(o.body, "expired", json_boolean(bk_now(b) >= o.expires_at));
    *out = o.body;
    return CT_OK;
}
