/* orders.c: orders, their saga and the request idempotency of POST /orders (booking.h).
 *
 * An order row moves pending -> held -> (requires_action ->) authorized -> ticketed ->
 * confirmed, or to failed after compensation. Each move is bk_transition: one transaction
 * that updates the row only if it is still in the status it was read in (so two drivers of
 * one order cannot both move it) and appends its outbox event. The calls to the outside
 * (provider hold, payment authorisation, ticket, capture) happen between transitions with
 * keys derived from the order and the step, so repeating a step after a crash or a retry
 * gets the same effect once. When an outcome is unknown (a provider or the processor did not
 * answer) the order stays where it is and the recovery worker (cancel.c) resolves it.
 *
 * Request keys: the first request with a (caller, key) inserts its row and the order in one
 * transaction; a concurrent or later one with the same key finds the row: another body is
 * CT_CONFLICT, the same body waits for the stored answer and replays it. */
#include <ctype.h>
#include <stdio.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <sodium.h>

#include "base/alloc.h"
#include "base/json.h"
#include "base/log.h"
#include "base/timeutil.h"
#include "booking/booking_internal.h"
#include "refdata/refdata.h"
#include "events/outbox.h"

static const char *final_states[] = {"confirmed", "failed", "cancelled", NULL};

static int is_final(const char *status)
{
    for (int i = 0; final_states[i]; i++)
        if (strcmp(status, final_states[i]) == 0)
            return 1;
    return 0;
}

int bk_is_group(const bk_order *o)
{
    return strcmp(o->provider, CT_BOOKING_SEPARATE) == 0;
}

/* ---- rows ---- */

#define ORDER_COLS                                                                                 \
    "id, user_id, offer_id, provider, status, reason, provider_order_id, hold_until,"              \
    " currency, total_minor, payment_id, tickets, passengers, last_name, contact_email,"           \
    " contact_phone, refund_minor, created_at, updated_at, parent_id, part"

static void cp(char *dst, size_t len, const char *src)
{
    snprintf(dst, len, "%s", src ? src : "");
}

static json_t *load_json(const char *text, int array)
{
    json_t *j = NULL;
    if (text == NULL || ct_json_loadb(text, strlen(text), 0, &j, NULL) != CT_OK)
        j = array ? json_array() : json_object();
    return j;
}

static void read_order(ct_stmt *s, bk_order *o)
{
    memset(o, 0, sizeof(*o));
    cp(o->id, sizeof(o->id), ct_stmt_text(s, 0));
    o->has_user = !ct_stmt_is_null(s, 1);
    cp(o->user_id, sizeof(o->user_id), ct_stmt_text(s, 1));
    cp(o->offer_id, sizeof(o->offer_id), ct_stmt_text(s, 2));
    cp(o->provider, sizeof(o->provider), ct_stmt_text(s, 3));
    cp(o->status, sizeof(o->status), ct_stmt_text(s, 4));
    cp(o->reason, sizeof(o->reason), ct_stmt_text(s, 5));
    cp(o->porder, sizeof(o->porder), ct_stmt_text(s, 6));
    o->hold_until = ct_stmt_int64(s, 7);
    cp(o->currency, sizeof(o->currency), ct_stmt_text(s, 8));
    o->total_minor = ct_stmt_int64(s, 9);
    cp(o->payment_id, sizeof(o->payment_id), ct_stmt_text(s, 10));
    o->tickets = load_json(ct_stmt_text(s, 11), 1);
    o->passengers = load_json(ct_stmt_text(s, 12), 1);
    cp(o->last_name, sizeof(o->last_name), ct_stmt_text(s, 13));
    cp(o->email, sizeof(o->email), ct_stmt_text(s, 14));
    cp(o->phone, sizeof(o->phone), ct_stmt_text(s, 15));
    o->refund_minor = ct_stmt_int64(s, 16);
    o->created_at = ct_stmt_int64(s, 17);
    o->updated_at = ct_stmt_int64(s, 18);
    cp(o->parent_id, sizeof(o->parent_id), ct_stmt_text(s, 19));
    o->part = ct_stmt_is_null(s, 20) ? -1 : (int)ct_stmt_int64(s, 20);
}

ct_status bk_order_load(ct_store *st, const char *id, bk_order *out)
{
    memset(out, 0, sizeof(*out));
    ct_stmt *s = NULL;
    ct_status rc = ct_store_prepare(st, "SELECT " ORDER_COLS " FROM orders WHERE id = ?", &s);
    if (rc)
        return rc;
    ct_stmt_bind_text(s, 1, id);
    rc = ct_stmt_step(s);
    if (rc == CT_ROW) {
        read_order(s, out);
        rc = CT_OK;
    } else if (rc == CT_DONE) {
        rc = CT_NOT_FOUND;
    }
    ct_stmt_finalize(s);
    return rc;
}

void bk_order_free(bk_order *o)
{
    json_decref(o->passengers);
    json_decref(o->tickets);
    o->passengers = o->tickets = NULL;
}

static ct_status event(ct_store *st, const bk_order *o, const char *type)
{
    json_t *payload =
        json_pack("{ss ss ss sI ss}", "order_id", o->id, "status", o->status, "reason", o->reason,
                  "total_minor", (json_int_t)o->total_minor, "currency", o->currency);
    char evid[64];
    ct_status rc = ct_outbox_add(st, "order", o->id, type, payload, evid, sizeof(evid));
    json_decref(payload);
    return rc;
}

ct_status bk_transition(ct_booking *b, ct_store *st, bk_order *o, const char *status,
                        const char *ev)
{
    char *tickets = NULL;
    ct_stmt *s = NULL;
    char old[24];
    snprintf(old, sizeof(old), "%s", o->status);
    ct_status rc = ct_json_dumps(o->tickets ? o->tickets : json_array(), JSON_COMPACT, &tickets);
    if (rc)
        return rc;
    rc = ct_store_begin(st);
    if (rc)
        goto cleanup;
    rc = ct_store_prepare(st,
                          "UPDATE orders SET status = ?, reason = ?, provider_order_id = ?,"
                          " hold_until = ?, total_minor = ?, payment_id = ?, tickets = ?,"
                          " refund_minor = ?, updated_at = ? WHERE id = ? AND status = ?"
                          " RETURNING id",
                          &s);
    if (rc)
        goto rollback;
    int64_t now = bk_now(b);
    ct_stmt_bind_text(s, 1, status);
    ct_stmt_bind_text(s, 2, o->reason[0] ? o->reason : NULL);
    ct_stmt_bind_text(s, 3, o->porder[0] ? o->porder : NULL);
    ct_stmt_bind_int64(s, 4, o->hold_until);
    ct_stmt_bind_int64(s, 5, o->total_minor);
    ct_stmt_bind_text(s, 6, o->payment_id[0] ? o->payment_id : NULL);
    ct_stmt_bind_text(s, 7, tickets);
    ct_stmt_bind_int64(s, 8, o->refund_minor);
    ct_stmt_bind_int64(s, 9, now);
    ct_stmt_bind_text(s, 10, o->id);
    ct_stmt_bind_text(s, 11, old);
    rc = ct_stmt_step(s);
    int moved = rc == CT_ROW;
    if (moved)
        rc = ct_stmt_step(s);
    ct_stmt_finalize(s);
    if (rc != CT_DONE) {
        rc = CT_UNAVAILABLE;
        goto rollback;
    }
    if (!moved) {
        rc = CT_CONFLICT;
        goto rollback;
    }
    snprintf(o->status, sizeof(o->status), "%s", status);
    o->updated_at = now;
    if (ev != NULL && (rc = event(st, o, ev)) != CT_OK)
        goto rollback;
    if (strcmp(status, "confirmed") == 0 && (rc = event(st, o, "order.confirmed")) != CT_OK)
        goto rollback;
    if (strcmp(status, "cancelled") == 0 && (ev == NULL || strcmp(ev, "order.cancelled") != 0) &&
        (rc = event(st, o, "order.cancelled")) != CT_OK)
        goto rollback;
    rc = ct_store_commit(st);
    if (rc)
        goto rollback;
    ct_log(CT_LOG_INFO, "booking.order", "order", o->id, "from", old, "to", status, "reason",
           o->reason, NULL);
    goto cleanup;
rollback:
    ct_store_rollback(st);
    snprintf(o->status, sizeof(o->status), "%s", old);
cleanup:
    ct_free(tickets);
    return rc;
}

json_t *bk_order_json(ct_booking *b, ct_store *st, const bk_order *o)
{
    const ct_booking_provider *p = bk_provider(b, o->provider);
    char name[64] = "", created[32], updated[32];
    if (p != NULL)
        bk_display_name(b, p, name, sizeof(name));
    else if (bk_is_group(o))
        snprintf(name, sizeof(name), "Separate tickets");
    bk_iso(o->created_at, created, sizeof(created));
    bk_iso(o->updated_at, updated, sizeof(updated));
    json_t *pax = json_array(), *x;
    size_t i;
    json_array_foreach(o->passengers, i, x)
    {
        json_array_append_new(pax,
                              json_pack("{sO? sO?}", "given_name", json_object_get(x, "given_name"),
                                        "family_name", json_object_get(x, "family_name")));
    }
    json_t *j =
        json_pack("{ss ss s{ss ss} so so s{so? so?} sO ss ss ss}", "id", o->id, "status", o->status,
                  "provider", "code", o->provider, "name", name, "total",
                  bk_money(o->total_minor, o->currency), "passengers", pax, "contact", "email",
                  json_string(o->email), "phone", o->phone[0] ? json_string(o->phone) : NULL,
                  "tickets", o->tickets ? o->tickets : json_array(), "offer_id", o->offer_id,
                  "created_at", created, "updated_at", updated);
    json_object_set_new(j, "booking_reference",
                        o->porder[0] ? json_string(o->porder) : json_null());
    json_object_set_new(j, "reason", o->reason[0] ? json_string(o->reason) : json_null());
    json_object_set_new(j, "guest", json_boolean(!o->has_user));
    if (o->hold_until > 0 && !is_final(o->status)) {
        char h[32];
        bk_iso(o->hold_until, h, sizeof(h));
        json_object_set_new(j, "hold_until", json_string(h));
    }
    if (strcmp(o->status, "requires_action") == 0) {
        char url[128];
        snprintf(url, sizeof(url), "/api/v1/orders/%s/payment/confirm", o->id);
        json_object_set_new(
            j, "next_action",
            json_pack("{ss ss ss}", "type", "confirm_payment", "method", "POST", "url", url));
    }
    if (strcmp(o->status, "cancelled") == 0)
        json_object_set_new(j, "refunded", bk_money(o->refund_minor, o->currency));
    bk_offer_row of;
    if (st != NULL && bk_offer_load(st, o->offer_id, &of) == CT_OK) {
        json_object_set(j, "slices", json_object_get(of.body, "slices"));
        json_object_set(j, "conditions", json_object_get(of.body, "conditions"));
        bk_offer_row_free(&of);
    }
    if (o->parent_id[0]) /* a part of separate tickets: the group is the traveller's order */
        json_object_set_new(j, "parent_order_id", json_string(o->parent_id));
    if (bk_is_group(o) && st != NULL)
        bk_group_json(b, st, o, j);
    return j;
}

/* ---- validation ---- */

static int luhn_ok(const char *n)
{
    size_t len = strlen(n);
    if (len < 12 || len > 19)
        return 0;
    int sum = 0, alt = 0;
    for (size_t i = len; i-- > 0;) {
        if (!isdigit((unsigned char)n[i]))
            return 0;
        int d = n[i] - '0';
        if (alt && (d *= 2) > 9)
            d -= 9;
        sum += d;
        alt = !alt;
    }
    return sum % 10 == 0;
}

static int name_ok(const char *s)
{
    if (s == NULL || s[0] == '\0' || strlen(s) >= 64)
        return 0;
    for (const unsigned char *p = (const unsigned char *)s; *p; p++)
        if (*p < 0x20 || *p == 0x7f)
            return 0;
    return 1;
}

/* What the document rule needs to know of an offer. */
typedef struct bk_trip {
    int international; /* a leg joins airports of two countries */
    int64_t last_day;  /* the last leg's departure date (days since 1970) */
    int64_t today;
} bk_trip;

/* The offer's legs against the airports' countries (refdata; none: no rule). */
static void trip_of(const ct_booking *b, const json_t *offer, bk_trip *t)
{
    memset(t, 0, sizeof(*t));
    t->today = bk_now(b) / 86400;
    const json_t *slice, *leg;
    size_t i, k;
    json_array_foreach(json_object_get(offer, "slices"), i, slice)
    {
        json_array_foreach(json_object_get(slice, "legs"), k, leg)
        {
            int64_t day;
            if (ct_date_parse(json_string_value(json_object_get(leg, "date")), &day) == CT_OK &&
                day > t->last_day)
                t->last_day = day;
            const char *from = json_string_value(json_object_get(leg, "from"));
            const char *to = json_string_value(json_object_get(leg, "to"));
            const ct_airport *a =
                b->cfg.refdata && from ? ct_refdata_airport(b->cfg.refdata, from) : NULL;
            const ct_airport *z =
                b->cfg.refdata && to ? ct_refdata_airport(b->cfg.refdata, to) : NULL;
            if (a != NULL && z != NULL && a->country != NULL && z->country != NULL &&
                strcmp(a->country, z->country) != 0)
                t->international = 1;
        }
    }
}

static int document_number_ok(const char *s)
{
    size_t n = s != NULL ? strlen(s) : 0;
    if (n < 5 || n > 20)
        return 0;
    for (size_t i = 0; i < n; i++)
        if (!isupper((unsigned char)s[i]) && !isdigit((unsigned char)s[i]))
            return 0;
    return 1;
}

/* passengers[i].document: {type passport|id_card, number, country (ISO alpha-2), expiry}, as
 * saved travellers have it. Required on an international trip (the offer says
 * passport_required), where it must be a passport; optional otherwise. When given it must be
 * valid through the last flight's date. */
static ct_status validate_document(const json_t *x, size_t i, const bk_trip *trip,
                                   ct_booking_error *e)
{
    char f[64];
    const json_t *doc = json_object_get(x, "document");
    if ((doc == NULL || json_is_null(doc)) && trip->international) {
        snprintf(f, sizeof(f), "passengers[%zu].document", i);
        bk_err(e, 400, "invalid", f, "an international trip needs each passenger's passport");
        return CT_INVALID;
    }
    if (doc == NULL || json_is_null(doc))
        return CT_OK;
    const char *type = json_string_value(json_object_get(doc, "type"));
    const char *number = json_string_value(json_object_get(doc, "number"));
    const char *country = json_string_value(json_object_get(doc, "country"));
    int64_t expiry = 0;
    const char *bad = NULL, *why = NULL;
    if (!json_is_object(doc))
        bad = "", why = "an object {type, number, country, expiry}";
    else if (type == NULL || (strcmp(type, "passport") != 0 && strcmp(type, "id_card") != 0))
        bad = ".type", why = "passport or id_card";
    else if (trip->international && strcmp(type, "passport") != 0)
        bad = ".type", why = "an international trip needs a passport";
    else if (!document_number_ok(number))
        bad = ".number", why = "5 to 20 capital letters and digits";
    else if (country == NULL || strlen(country) != 2 || !isupper((unsigned char)country[0]) ||
             !isupper((unsigned char)country[1]))
        bad = ".country", why = "the issuing country's ISO 3166-1 alpha-2 code";
    else if (ct_date_parse(json_string_value(json_object_get(doc, "expiry")), &expiry) != CT_OK)
        bad = ".expiry", why = "a date YYYY-MM-DD";
    else if (expiry < trip->last_day || expiry < trip->today)
        bad = ".expiry", why = "the document expires before the last flight";
    if (bad == NULL)
        return CT_OK;
    snprintf(f, sizeof(f), "passengers[%zu].document%s", i, bad);
    bk_err(e, 400, "invalid", f, why);
    return CT_INVALID;
}

/* Reads and checks the body; e names the first bad field. */
static ct_status validate(const json_t *body, const json_t *pax, int npax_offer,
                          const bk_trip *trip, ct_pay_card *card, int64_t *exp_minor, char *exp_cur,
                          ct_booking_error *e)
{
    char f[64];
    if (!json_is_array(pax) || (int)json_array_size(pax) != npax_offer) {
        snprintf(f, sizeof(f), "the offer is for %d passenger(s)", npax_offer);
        bk_err(e, 400, "invalid", "passengers", f);
        return CT_INVALID;
    }
    size_t i;
    json_t *x;
    json_array_foreach(pax, i, x)
    {
        if (!name_ok(json_string_value(json_object_get(x, "given_name")))) {
            snprintf(f, sizeof(f), "passengers[%zu].given_name", i);
            bk_err(e, 400, "invalid", f, "a name of 1 to 63 characters is required");
            return CT_INVALID;
        }
        if (!name_ok(json_string_value(json_object_get(x, "family_name")))) {
            snprintf(f, sizeof(f), "passengers[%zu].family_name", i);
            bk_err(e, 400, "invalid", f, "a name of 1 to 63 characters is required");
            return CT_INVALID;
        }
        json_t *dob = json_object_get(x, "date_of_birth");
        int64_t day = 0;
        if (dob != NULL && !json_is_null(dob) &&
            (ct_date_parse(json_string_value(dob), &day) != CT_OK || day < -25567 ||
             day > trip->today)) {
            snprintf(f, sizeof(f), "passengers[%zu].date_of_birth", i);
            bk_err(e, 400, "invalid", f, "a date YYYY-MM-DD between 1900-01-01 and today");
            return CT_INVALID;
        }
        if (validate_document(x, i, trip, e) != CT_OK)
            return CT_INVALID;
    }
    json_t *contact = json_object_get(body, "contact");
    const char *email = json_string_value(json_object_get(contact, "email"));
    if (email == NULL || strchr(email, '@') == NULL || strlen(email) > 254) {
        bk_err(e, 400, "invalid", "contact.email", "an e-mail address is required");
        return CT_INVALID;
    }
    json_t *c = json_object_get(body, "card");
    const char *num = json_string_value(json_object_get(c, "number"));
    const char *cvc = json_string_value(json_object_get(c, "cvc"));
    if (!json_is_object(c)) {
        bk_err(e, 400, "invalid", "card", "a card is required");
        return CT_INVALID;
    }
    if (num == NULL || !luhn_ok(num)) {
        bk_err(e, 400, "invalid", "card.number", "12 to 19 digits that pass the Luhn check");
        return CT_INVALID;
    }
    json_int_t m = json_integer_value(json_object_get(c, "exp_month"));
    json_int_t y = json_integer_value(json_object_get(c, "exp_year"));
    if (m < 1 || m > 12) {
        bk_err(e, 400, "invalid", "card.exp_month", "a month 1-12");
        return CT_INVALID;
    }
    if (y < 2000 || y > 2099) {
        bk_err(e, 400, "invalid", "card.exp_year", "a year 2000-2099");
        return CT_INVALID;
    }
    if (cvc == NULL || strlen(cvc) < 3 || strlen(cvc) > 4) {
        bk_err(e, 400, "invalid", "card.cvc", "3 or 4 digits");
        return CT_INVALID;
    }
    memset(card, 0, sizeof(*card));
    snprintf(card->number, sizeof(card->number), "%s", num);
    snprintf(card->cvc, sizeof(card->cvc), "%s", cvc);
    card->exp_month = (int)m;
    card->exp_year = (int)y;
    if (json_is_array(json_object_get(body, "expected_totals"))) {
        *exp_minor = -1; /* separate tickets, one total per part: read by group_expected */
        exp_cur[0] = '\0';
        return CT_OK;
    }
    json_t *et = json_object_get(body, "expected_total");
    json_t *am = json_object_get(et, "amount_minor");
    const char *cur = json_string_value(json_object_get(et, "currency"));
    if (!json_is_integer(am) || json_integer_value(am) < 0) {
        bk_err(e, 400, "invalid", "expected_total.amount_minor", "the total shown, minor units");
        return CT_INVALID;
    }
    if (cur == NULL || strlen(cur) != 3) {
        bk_err(e, 400, "invalid", "expected_total.currency", "a currency code");
        return CT_INVALID;
    }
    *exp_minor = json_integer_value(am);
    snprintf(exp_cur, 4, "%s", cur);
    return CT_OK;
}

/* ---- the saga ---- */

void bk_problem(int http, const char *code, const char *detail, const bk_order *o, ct_booking *b,
                ct_store *st, json_t **out)
{
    json_t *j = json_pack("{ss ss si ss ss}", "type", "https://contrail.dev/problems/booking",
                          "title", code, "status", http, "detail", detail, "code", code);
    if (o != NULL)
        json_object_set_new(j, "order", bk_order_json(b, st, o));
    *out = j;
}

/* One provider operation on o's provider order into *po. */
ct_status bk_provider_op(ct_booking *b, const bk_order *o, ct_bk_order_op op, const char *payref,
                         const char *step, ct_bk_order *po, ct_bk_error *perr,
                         ct_upstream_response *rsp)
{
    const ct_booking_provider *p = bk_provider(b, o->provider);
    memset(rsp, 0, sizeof(*rsp));
    memset(perr, 0, sizeof(*perr));
    if (p == NULL)
        return CT_NOT_FOUND;
    ct_bk_request rq = {0};
    ct_status rc = ct_bk_order_op_request(p->dialect, op, o->porder, payref, &rq);
    if (rc)
        return rc;
    char key[80];
    snprintf(key, sizeof(key), "%s:%s", o->id, step);
    bk_send(b, p, &rq, key, rsp);
    ct_bk_request_free(&rq);
    if (rsp->rc != CT_OK)
        return CT_UNAVAILABLE;
    return ct_bk_order_parse(p->dialect, (int)rsp->status, rsp->body, rsp->body_len, po, perr);
}

static void release_hold(ct_booking *b, bk_order *o)
{
    if (o->porder[0] == '\0')
        return;
    ct_bk_order po;
    ct_bk_error perr;
    ct_upstream_response rsp;
    ct_status rc = bk_provider_op(b, o, CT_BK_OP_CANCEL, NULL, "cancel", &po, &perr, &rsp);
    if (rc && perr.kind != CT_BK_ERR_WRONG_STATE && perr.kind != CT_BK_ERR_HOLD_EXPIRED)
        ct_log(CT_LOG_WARN, "booking.release_failed", "order", o->id, "code", perr.code, NULL);
    ct_upstream_response_free(&rsp);
}

static void void_payment(ct_booking *b, bk_order *o)
{
    if (o->payment_id[0] == '\0' || b->cfg.payments == NULL)
        return;
    char key[80], err[256];
    snprintf(key, sizeof(key), "%s:void", o->id);
    ct_payment pay;
    ct_status rc = ct_payments_cancel(b->cfg.payments, o->payment_id, key, &pay, err, sizeof(err));
    if (rc == CT_CONFLICT) { /* captured already: refund it */
        snprintf(key, sizeof(key), "%s:refund-all", o->id);
        rc = ct_payments_refund(b->cfg.payments, o->payment_id, key, 0, &pay, err, sizeof(err));
    }
    if (rc)
        ct_log(CT_LOG_WARN, "booking.void_failed", "order", o->id, "error", err, NULL);
}

void bk_compensate(ct_booking *b, ct_store *st, bk_order *o, const char *reason)
{
    void_payment(b, o);
    release_hold(b, o);
    snprintf(o->reason, sizeof(o->reason), "%s", reason);
    const char *ev = strncmp(reason, "card", 4) == 0 || strcmp(reason, "insufficient_funds") == 0 ||
                             strcmp(reason, "expired_card") == 0 ||
                             strcmp(reason, "processing_error") == 0 ||
                             strcmp(reason, "authentication_failed") == 0
                         ? "payment.failed"
                         : "order.failed";
    bk_transition(b, st, o, "failed", ev);
}

static void pax_of(const bk_order *o, ct_bk_pax *pax, int *n)
{
    *n = 0;
    size_t i;
    json_t *x;
    json_array_foreach(o->passengers, i, x)
    {
        if (*n >= CT_BK_MAX_PAX)
            break;
        ct_bk_pax *p = &pax[(*n)++];
        memset(p, 0, sizeof(*p));
        cp(p->given, sizeof(p->given), json_string_value(json_object_get(x, "given_name")));
        cp(p->family, sizeof(p->family), json_string_value(json_object_get(x, "family_name")));
        snprintf(p->ptc, sizeof(p->ptc), "ADT");
    }
}

/* The hold. Returns 1 when the saga goes on. */
int bk_step_hold(ct_booking *b, ct_store *st, bk_order *o, int64_t expected, int *http,
                 json_t **out)
{
    bk_offer_row of;
    const ct_booking_provider *p = bk_provider(b, o->provider);
    if (p == NULL || bk_offer_load(st, o->offer_id, &of) != CT_OK) {
        bk_compensate(b, st, o, "provider_error");
        *http = 502;
        bk_problem(502, "provider_error", "the provider is not configured", o, b, st, out);
        return 0;
    }
    ct_bk_pax pax[CT_BK_MAX_PAX];
    int npax;
    pax_of(o, pax, &npax);
    ct_bk_request rq = {0};
    char key[80];
    snprintf(key, sizeof(key), "%s:hold", o->id);
    ct_upstream_response rsp;
    memset(&rsp, 0, sizeof(rsp));
    ct_bk_order po;
    ct_bk_error perr;
    memset(&perr, 0, sizeof(perr));
    int go = 0;
    ct_status rc =
        ct_bk_order_create_request(p->dialect, of.provider_offer_id, pax, npax, key, &rq);
    if (rc == CT_OK)
        bk_send(b, p, &rq, key, &rsp);
    if (rc == CT_OK && rsp.rc != CT_OK) {
        ct_booking_error e = {0};
        bk_provider_error(rsp.rc, &rsp, NULL, &e);
        *http = e.http; /* unknown: the recovery worker resolves the pending order */
        bk_problem(e.http, "provider_error", e.detail, o, b, st, out);
        goto cleanup;
    }
    if (rc == CT_OK)
        rc = ct_bk_order_parse(p->dialect, (int)rsp.status, rsp.body, rsp.body_len, &po, &perr);
    if (rc) {
        ct_booking_error e = {0};
        bk_provider_error(rc, &rsp, &perr, &e);
        const char *reason = perr.kind == CT_BK_ERR_SOLD_OUT  ? "sold_out"
                             : perr.kind == CT_BK_ERR_EXPIRED ? "offer_expired"
                                                              : "provider_error";
        bk_compensate(b, st, o, reason);
        *http = e.http == 404 ? 502 : e.http;
        bk_problem(*http, reason, e.detail, o, b, st, out);
        goto cleanup;
    }
    snprintf(o->porder, sizeof(o->porder), "%s", po.id);
    o->hold_until = po.hold_until;
    if (po.total_minor != expected || strcmp(po.currency, o->currency) != 0) {
        int64_t was = o->total_minor;
        o->total_minor = po.total_minor;
        snprintf(o->currency, sizeof(o->currency), "%s", po.currency);
        bk_compensate(b, st, o, "price_changed");
        *http = 409;
        bk_problem(409, "price_changed",
                   "the provider's price differs from expected_total; nothing was charged: confirm "
                   "the new price with a new request",
                   o, b, st, out);
        json_object_set_new(*out, "new_price", bk_money(po.total_minor, po.currency));
        json_object_set_new(*out, "expected_total", bk_money(expected, o->currency));
        (void)was;
        goto cleanup;
    }
    o->total_minor = po.total_minor;
    if (bk_transition(b, st, o, "held", "order.held") == CT_OK)
        go = 1;
    else {
        *http = 503;
        bk_problem(503, "unavailable", "the order could not be saved; it will be resumed", o, b, st,
                   out);
    }
cleanup:
    ct_bk_request_free(&rq);
    ct_upstream_response_free(&rsp);
    bk_offer_row_free(&of);
    return go;
}

/* Applies a payment's outcome to a held (or requires_action) order. */
int bk_apply_payment(ct_booking *b, ct_store *st, bk_order *o, const ct_payment *pay, int *http,
                     json_t **out)
{
    snprintf(o->payment_id, sizeof(o->payment_id), "%s", pay->id);
    switch (pay->status) {
    case CT_PAY_AUTHORIZED:
    case CT_PAY_SUCCEEDED:
        if (bk_transition(b, st, o, "authorized", "payment.authorized") == CT_OK)
            return 1;
        *http = 503;
        bk_problem(503, "unavailable", "the order could not be saved; it will be resumed", o, b, st,
                   out);
        return 0;
    case CT_PAY_REQUIRES_ACTION:
        if (strcmp(o->status, "requires_action") != 0)
            bk_transition(b, st, o, "requires_action", "payment.requires_action");
        *http = 202;
        *out = bk_order_json(b, st, o);
        return 0;
    default: {
        char reason[48];
        snprintf(reason, sizeof(reason), "%s",
                 pay->failure_code[0] ? pay->failure_code : "payment_failed");
        o->payment_id[0] = '\0'; /* nothing to void; the processor keeps it by reference */
        bk_compensate(b, st, o, reason);
        *http = 402;
        bk_problem(402, reason, pay->failure_message[0] ? pay->failure_message : "payment failed",
                   o, b, st, out);
        return 0;
    }
    }
}

int bk_step_pay(ct_booking *b, ct_store *st, bk_order *o, const ct_pay_card *card, int *http,
                json_t **out)
{
    if (card == NULL || b->cfg.payments == NULL) {
        bk_compensate(b, st, o, card == NULL ? "interrupted" : "payments_unavailable");
        *http = 502;
        bk_problem(502, o->reason, "the payment could not be made", o, b, st, out);
        return 0;
    }
    char key[80], desc[120], err[256] = "";
    snprintf(key, sizeof(key), "%s:pay", o->id);
    snprintf(desc, sizeof(desc), "Contrail order %s", o->id);
    ct_payment pay;
    memset(&pay, 0, sizeof(pay));
    ct_status rc = ct_payments_create(b->cfg.payments, key, o->total_minor, o->currency, card, 1,
                                      o->id, desc, &pay, err, sizeof(err));
    if (rc == CT_UNAVAILABLE) { /* unknown: recovery reads the payment back */
        *http = 502;
        bk_problem(502, "payment_unavailable",
                   "the payment processor did not answer; the order will "
                   "be resolved",
                   o, b, st, out);
        return 0;
    }
    if (rc) {
        bk_compensate(b, st, o, rc == CT_INVALID ? "payment_invalid" : "payment_error");
        *http = rc == CT_INVALID ? 400 : 502;
        bk_problem(*http, o->reason, err, o, b, st, out);
        return 0;
    }
    return bk_apply_payment(b, st, o, &pay, http, out);
}

int bk_step_ticket(ct_booking *b, ct_store *st, bk_order *o, int *http, json_t **out)
{
    ct_bk_order po;
    ct_bk_error perr;
    ct_upstream_response rsp;
    if (o->hold_until > 0 && bk_now(b) >= o->hold_until) {
        bk_compensate(b, st, o, "hold_expired");
        *http = 409;
        bk_problem(409, "hold_expired", "the seats were released before payment completed", o, b,
                   st, out);
        return 0;
    }
    ct_status rc = bk_provider_op(b, o, CT_BK_OP_TICKET, o->payment_id, "ticket", &po, &perr, &rsp);
    int go = 0;
    if (rc != CT_OK && rsp.rc == CT_OK && perr.kind == CT_BK_ERR_PROVIDER) {
        /* An unreadable or failed answer: the ticket may exist all the same (a fault after
         * the effect); the provider's order says, so a ticket is never left unpaid. */
        ct_bk_order back;
        if (bk_read_provider(b, o, &back) && back.status == CT_BK_TICKETED) {
            po = back;
            rc = CT_OK;
        }
    }
    if (rc == CT_UNAVAILABLE && rsp.rc != CT_OK) {
        *http = 502;
        bk_problem(502, "provider_error", "the provider did not answer; the order will be resolved",
                   o, b, st, out);
    } else if (rc || po.status != CT_BK_TICKETED) {
        const char *reason = perr.kind == CT_BK_ERR_HOLD_EXPIRED || po.status == CT_BK_EXPIRED
                                 ? "hold_expired"
                                 : "provider_error";
        bk_compensate(b, st, o, reason);
        *http = strcmp(reason, "hold_expired") == 0 ? 409 : 502;
        bk_problem(*http, reason, "the provider could not ticket the order; nothing was charged", o,
                   b, st, out);
    } else {
        json_decref(o->tickets);
        o->tickets = json_array();
        for (int i = 0; i < po.ntickets; i++)
            json_array_append_new(o->tickets, json_string(po.tickets[i]));
        if (bk_transition(b, st, o, "ticketed", "order.ticketed") == CT_OK)
            go = 1;
    }
    ct_upstream_response_free(&rsp);
    return go;
}

void bk_step_capture(ct_booking *b, ct_store *st, bk_order *o, int *http, json_t **out)
{
    char key[80], err[256] = "";
    snprintf(key, sizeof(key), "%s:capture", o->id);
    ct_payment pay;
    ct_status rc = ct_payments_capture(b->cfg.payments, o->payment_id, key, &pay, err, sizeof(err));
    if (rc == CT_CONFLICT &&
        ct_payments_get(b->cfg.payments, o->payment_id, &pay, err, sizeof(err)) == CT_OK &&
        pay.status == CT_PAY_SUCCEEDED)
        rc = CT_OK; /* captured before (a repeated step) */
    if (rc == CT_OK && pay.status == CT_PAY_SUCCEEDED &&
        bk_transition(b, st, o, "confirmed", "payment.succeeded") == CT_OK) {
        *http = 201;
        *out = bk_order_json(b, st, o);
        return;
    }
    /* Ticketed, not yet captured: the recovery worker captures it. */
    *http = 202;
    *out = bk_order_json(b, st, o);
}

void bk_drive(ct_booking *b, ct_store *st, bk_order *o, const ct_pay_card *card, int *http,
              json_t **out)
{
    *out = NULL;
    *http = 500;
    if (bk_is_group(o)) {
        bk_group_drive(b, st, o, card, http, out);
        return;
    }
    if (strcmp(o->status, "pending") == 0) {
        int64_t expected = o->total_minor;
        if (!bk_step_hold(b, st, o, expected, http, out))
            return;
    }
    if (strcmp(o->status, "held") == 0 && !bk_step_pay(b, st, o, card, http, out))
        return;
    if (strcmp(o->status, "requires_action") == 0) {
        *http = 202;
        *out = bk_order_json(b, st, o);
        return;
    }
    if (strcmp(o->status, "authorized") == 0 && !bk_step_ticket(b, st, o, http, out))
        return;
    if (strcmp(o->status, "ticketed") == 0) {
        bk_step_capture(b, st, o, http, out);
        return;
    }
    *http = strcmp(o->status, "failed") == 0 ? 409 : 200;
    *out = bk_order_json(b, st, o);
}

/* ---- POST /orders ---- */

static void digest(const json_t *body, char *out /* 65 */)
{
    char *text = json_dumps(body, JSON_COMPACT | JSON_SORT_KEYS);
    unsigned char h[32];
    crypto_generichash(h, sizeof(h), (const unsigned char *)(text ? text : ""),
                       text ? strlen(text) : 0, NULL, 0);
    free(text);
    sodium_bin2hex(out, 65, h, sizeof(h));
}

/* The stored answer of (scope, key) or, when none was stored, the order's current one. */
static ct_status read_key(ct_store *st, const char *scope, const char *key, char *hash,
                          char *order_id, int *http, char **response)
{
    ct_stmt *s = NULL;
    *http = 0;
    *response = NULL;
    ct_status rc = ct_store_prepare(st,
                                    "SELECT request_hash, order_id, http_status, response FROM"
                                    " idempotency_keys WHERE scope = ? AND key = ?",
                                    &s);
    if (rc)
        return rc;
    ct_stmt_bind_text(s, 1, scope);
    ct_stmt_bind_text(s, 2, key);
    rc = ct_stmt_step(s);
    if (rc == CT_ROW) {
        cp(hash, 65, ct_stmt_text(s, 0));
        cp(order_id, 32, ct_stmt_text(s, 1));
        if (!ct_stmt_is_null(s, 2)) {
            *http = (int)ct_stmt_int64(s, 2);
            *response = ct_strdup(ct_stmt_text(s, 3) ? ct_stmt_text(s, 3) : "{}");
        }
        rc = CT_OK;
    } else if (rc == CT_DONE) {
        rc = CT_NOT_FOUND;
    }
    ct_stmt_finalize(s);
    return rc;
}

/* Inserts order o (pending) with its order.created event, in the caller's transaction. */
static ct_status insert_order(ct_store *st, bk_order *o, const char *pax, int64_t now)
{
    ct_stmt *s = NULL;
    ct_status rc = ct_store_prepare(
        st,
        "INSERT INTO orders (id, user_id, offer_id, provider, status,"
        " currency, total_minor, passengers, last_name, contact_email,"
        " contact_phone, hold_until, refund_minor, created_at, updated_at, parent_id, part)"
        " VALUES (?,?,?,?,'pending',?,?,?,?,?,?,0,0,?,?,?,?)",
        &s);
    if (rc)
        return rc;
    ct_stmt_bind_text(s, 1, o->id);
    ct_stmt_bind_text(s, 2, o->has_user ? o->user_id : NULL);
    ct_stmt_bind_text(s, 3, o->offer_id);
    ct_stmt_bind_text(s, 4, o->provider);
    ct_stmt_bind_text(s, 5, o->currency);
    ct_stmt_bind_int64(s, 6, o->total_minor);
    ct_stmt_bind_text(s, 7, pax);
    ct_stmt_bind_text(s, 8, o->last_name);
    ct_stmt_bind_text(s, 9, o->email);
    ct_stmt_bind_text(s, 10, o->phone[0] ? o->phone : NULL);
    ct_stmt_bind_int64(s, 11, now);
    ct_stmt_bind_int64(s, 12, now);
    ct_stmt_bind_text(s, 13, o->parent_id[0] ? o->parent_id : NULL);
    if (o->parent_id[0])
        ct_stmt_bind_int64(s, 14, o->part);
    else
        ct_stmt_bind_null(s, 14);
    rc = ct_stmt_step(s);
    ct_stmt_finalize(s);
    if (rc != CT_DONE)
        return CT_UNAVAILABLE;
    snprintf(o->status, sizeof(o->status), "pending");
    o->created_at = o->updated_at = now;
    return event(st, o, "order.created");
}

/* Inserts the key and the pending order (and a group's parts) in one transaction.
 * CT_CONFLICT: the key exists. */
static ct_status start_order(ct_booking *b, ct_store *st, const char *scope, const char *key,
                             const char *hash, bk_order *o, bk_order *parts, int nparts)
{
    char *pax = NULL;
    ct_stmt *s = NULL;
    ct_status rc = ct_json_dumps(o->passengers, JSON_COMPACT, &pax);
    if (rc)
        return rc;
    int64_t now = bk_now(b);
    rc = ct_store_begin(st);
    if (rc)
        goto cleanup;
    const char *del[] = {scope, key, NULL};
    char old[32];
    snprintf(old, sizeof(old), "%lld", (long long)(now - CT_BOOKING_KEY_TTL_S));
    del[2] = old;
    rc = ct_store_run(st,
                      "DELETE FROM idempotency_keys WHERE scope = ? AND key = ? AND"
                      " created_at < CAST(? AS BIGINT)",
                      3, del);
    if (rc)
        goto rollback;
    rc = ct_store_prepare(st,
                          "INSERT INTO idempotency_keys (scope, key, request_hash, order_id,"
                          " created_at) VALUES (?,?,?,?,?) ON CONFLICT DO NOTHING RETURNING key",
                          &s);
    if (rc)
        goto rollback;
    ct_stmt_bind_text(s, 1, scope);
    ct_stmt_bind_text(s, 2, key);
    ct_stmt_bind_text(s, 3, hash);
    ct_stmt_bind_text(s, 4, o->id);
    ct_stmt_bind_int64(s, 5, now);
    rc = ct_stmt_step(s);
    int inserted = rc == CT_ROW;
    if (inserted)
        rc = ct_stmt_step(s);
    ct_stmt_finalize(s);
    s = NULL;
    if (rc != CT_DONE) {
        rc = CT_UNAVAILABLE;
        goto rollback;
    }
    if (!inserted) {
        rc = CT_CONFLICT;
        goto rollback;
    }
    rc = insert_order(st, o, pax, now);
    for (int i = 0; rc == CT_OK && i < nparts; i++)
        rc = insert_order(st, &parts[i], pax, now);
    if (rc)
        goto rollback;
    rc = ct_store_commit(st);
    if (rc)
        goto rollback;
    goto cleanup;
rollback:
    ct_store_rollback(st);
cleanup:
    ct_free(pax);
    return rc;
}

static void store_answer(ct_store *st, const char *scope, const char *key, int http,
                         const json_t *answer)
{
    char *text = NULL;
    if (ct_json_dumps(answer, JSON_COMPACT, &text) != CT_OK)
        return;
    char hs[16];
    snprintf(hs, sizeof(hs), "%d", http);
    const char *p[] = {hs, text, scope, key};
    ct_store_run(st,
                 "UPDATE idempotency_keys SET http_status = CAST(? AS INTEGER), response = ?"
                 " WHERE scope = ? AND key = ?",
                 4, p);
    ct_free(text);
}

/* The answer for (scope, key) when its first request ended without storing one (its
 * process was killed): once the order is settled (confirmed, failed or cancelled, by the
 * recovery worker) and untouched for 2 s (a request still running stores its own answer right
 * after its last step), the order's current state, as bk_drive answers it, stored for the next
 * replay. 1 with *http and *out set; 0 while the order is not settled. */
static int settled_answer(ct_booking *b, ct_store *st, const char *scope, const char *key,
                          const char *order_id, int *http, json_t **out)
{
    bk_order o;
    if (order_id[0] == '\0' || bk_order_load(st, order_id, &o) != CT_OK)
        return 0;
    int confirmed = strcmp(o.status, "confirmed") == 0, failed = strcmp(o.status, "failed") == 0;
    int settled = (confirmed || failed || strcmp(o.status, "cancelled") == 0) &&
                  bk_now(b) - o.updated_at >= 2;
    if (settled) {
        *http = confirmed ? 201 : failed ? 409 : 200;
        *out = bk_order_json(b, st, &o);
        if (*out != NULL)
            store_answer(st, scope, key, *http, *out);
    }
    bk_order_free(&o);
    return settled && *out != NULL;
}

/* A separate-tickets order's parts from its offer's parts (the body's "parts"[i].id), each
 * expecting its own total: expected_totals[i] when given (one per part, in its currency),
 * else expected_total, which must then be the sum of the parts' current totals (one
 * currency). CT_INVALID / CT_CONFLICT (price changed: e 409 with the new total) / CT_NOT_FOUND. */
static ct_status group_parts_expected(ct_store *st, const bk_offer_row *of, const json_t *body,
                                      int64_t expected, const char *exp_cur, bk_order *parts,
                                      int *nparts, ct_booking_error *e)
{
    const json_t *list = json_object_get(of->body, "parts");
    const json_t *each = json_object_get(body, "expected_totals");
    int n = (int)json_array_size(list);
    *nparts = 0;
    if (n < 2 || n > BK_MAX_PARTS) {
        bk_err(e, 404, "unknown_offer", "offer_id", "the offer has no parts");
        return CT_NOT_FOUND;
    }
    if (each != NULL && (int)json_array_size(each) != n) {
        char d[96];
        snprintf(d, sizeof(d), "one total per part: the offer has %d parts", n);
        bk_err(e, 400, "invalid", "expected_totals", d);
        return CT_INVALID;
    }
    if (each == NULL && strcmp(of->currency, "XXX") == 0) {
        bk_err(e, 400, "invalid", "expected_totals",
               "the parts are sold in different currencies: give each part's total");
        return CT_INVALID;
    }
    int64_t sum = 0;
    for (int i = 0; i < n; i++) {
        bk_offer_row po;
        const char *id = json_string_value(json_object_get(json_array_get(list, i), "id"));
        if (id == NULL || bk_offer_load(st, id, &po) != CT_OK) {
            bk_err(e, 404, "unknown_offer", "offer_id", "a part of the offer is missing");
            return CT_NOT_FOUND;
        }
        bk_order *k = &parts[i];
        memset(k, 0, sizeof(*k));
        cp(k->offer_id, sizeof(k->offer_id), po.id);
        cp(k->provider, sizeof(k->provider), po.provider);
        cp(k->currency, sizeof(k->currency), po.currency);
        k->part = i;
        k->total_minor = po.total_minor;
        sum += po.total_minor;
        bk_offer_row_free(&po);
        *nparts = i + 1;
        if (each == NULL)
            continue;
        const json_t *x = json_array_get(each, i);
        const json_t *am = json_object_get(x, "amount_minor");
        const char *cur = json_string_value(json_object_get(x, "currency"));
        char f[48];
        if (!json_is_integer(am) || json_integer_value(am) < 0) {
            snprintf(f, sizeof(f), "expected_totals[%d].amount_minor", i);
            bk_err(e, 400, "invalid", f, "the part's total shown, minor units");
            return CT_INVALID;
        }
        if (cur == NULL || strcmp(cur, k->currency) != 0) {
            snprintf(f, sizeof(f), "expected_totals[%d].currency", i);
            bk_err(e, 400, "invalid", f, "the part's currency (its provider's) is expected");
            return CT_INVALID;
        }
        k->total_minor = json_integer_value(am);
    }
    if (each == NULL && (strcmp(exp_cur, of->currency) != 0 || expected != sum)) {
        if (strcmp(exp_cur, of->currency) != 0) {
            bk_err(e, 400, "invalid", "expected_total.currency",
                   "the offer's currency (its providers') is expected");
            return CT_INVALID;
        }
        bk_err(e, 409, "price_changed", "expected_total",
               "the offer's total differs from expected_total; nothing was charged: confirm the "
               "new price with a new request");
        e->extra = json_pack("{so}", "new_price", bk_money(sum, of->currency));
        return CT_CONFLICT;
    }
    return CT_OK;
}

static void lower_into(char *dst, size_t len, const char *src)
{
    size_t i = 0;
    for (; src && src[i] && i + 1 < len; i++)
        dst[i] = (char)tolower((unsigned char)src[i]);
    dst[i] = '\0';
}

ct_status ct_booking_order_create(ct_booking *b, ct_store *st, const ct_booking_order_req *r,
                                  int *http, json_t **out, int *replayed, ct_booking_error *e)
{
    *out = NULL;
    *replayed = 0;
    *http = 0;
    const char *key = r->idempotency_key;
    if (key == NULL || key[0] == '\0' || strlen(key) > 255) {
        bk_err(e, 400, "idempotency_key_required", "Idempotency-Key",
               "send an Idempotency-Key header of 1 to 255 characters");
        return CT_INVALID;
    }
    for (const unsigned char *p = (const unsigned char *)key; *p; p++) {
        if (*p < 0x21 || *p > 0x7e) {
            bk_err(e, 400, "idempotency_key_invalid", "Idempotency-Key",
                   "printable ASCII characters only");
            return CT_INVALID;
        }
    }
    const char *offer_id = json_string_value(json_object_get(r->body, "offer_id"));
    if (offer_id == NULL) {
        bk_err(e, 400, "invalid", "offer_id", "the id of an offer (POST /api/v1/offers)");
        return CT_INVALID;
    }
    bk_offer_row of;
    ct_status rc = bk_offer_load(st, offer_id, &of);
    if (rc == CT_NOT_FOUND) {
        bk_err(e, 404, "unknown_offer", "offer_id", "no such offer");
        return rc;
    }
    if (rc)
        return rc;
    bk_order o, parts[BK_MAX_PARTS];
    int nparts = 0;
    memset(&o, 0, sizeof(o));
    ct_pay_card card;
    int64_t expected = 0;
    char exp_cur[4];
    const json_t *pax = r->passengers ? r->passengers : json_object_get(r->body, "passengers");
    bk_trip trip;
    trip_of(b, of.body, &trip);
    rc = validate(r->body, pax, of.passengers, &trip, &card, &expected, exp_cur, e);
    if (rc)
        goto cleanup;
    int group = strcmp(of.provider, CT_BOOKING_SEPARATE) == 0;
    if (group) {
        rc = group_parts_expected(st, &of, r->body, expected, exp_cur, parts, &nparts, e);
        if (rc)
            goto cleanup;
    } else if (exp_cur[0] == '\0' || strcmp(exp_cur, of.currency) != 0) {
        bk_err(e, 400, "invalid", exp_cur[0] ? "expected_total.currency" : "expected_total",
               "the offer's total in its currency (the provider's) is expected");
        rc = CT_INVALID;
        goto cleanup;
    }
    char scope[96], hash[65], have[65] = "", order_id[32] = "";
    snprintf(scope, sizeof(scope), "%s%s", r->user_id ? "user:" : "guest",
             r->user_id ? r->user_id : "");
    digest(r->body, hash);
    /* A replay first: a stored answer outlives the offer's expiry. */
    char *stored = NULL;
    int shttp = 0;
    rc = read_key(st, scope, key, have, order_id, &shttp, &stored);
    if (rc == CT_OK)
        goto existing;
    if (bk_now(b) >= of.expires_at) {
        bk_err(e, 410, "offer_expired", "offer_id",
               "the offer is no longer available; search again");
        rc = CT_CONFLICT;
        goto cleanup;
    }
    bk_new_id("ord_", o.id, sizeof(o.id));
    o.has_user = r->user_id != NULL;
    cp(o.user_id, sizeof(o.user_id), r->user_id);
    cp(o.offer_id, sizeof(o.offer_id), of.id);
    cp(o.provider, sizeof(o.provider), of.provider);
    cp(o.currency, sizeof(o.currency), of.currency);
    o.total_minor = expected;
    o.passengers = json_deep_copy(pax);
    o.tickets = json_array();
    lower_into(o.last_name, sizeof(o.last_name),
               json_string_value(json_object_get(json_array_get(pax, 0), "family_name")));
    json_t *contact = json_object_get(r->body, "contact");
    cp(o.email, sizeof(o.email), json_string_value(json_object_get(contact, "email")));
    cp(o.phone, sizeof(o.phone), json_string_value(json_object_get(contact, "phone")));
    if (group) {
        o.total_minor = 0;
        for (int i = 0; i < nparts; i++) {
            bk_order *k = &parts[i];
            bk_new_id("ord_", k->id, sizeof(k->id));
            k->has_user = o.has_user;
            cp(k->user_id, sizeof(k->user_id), o.user_id);
            cp(k->parent_id, sizeof(k->parent_id), o.id);
            cp(k->last_name, sizeof(k->last_name), o.last_name);
            cp(k->email, sizeof(k->email), o.email);
            cp(k->phone, sizeof(k->phone), o.phone);
            k->passengers = json_deep_copy(pax);
            k->tickets = json_array();
            if (strcmp(o.currency, "XXX") != 0)
                o.total_minor += k->total_minor;
        }
    }
    rc = start_order(b, st, scope, key, hash, &o, parts, nparts);
    if (rc == CT_CONFLICT) {
        rc = read_key(st, scope, key, have, order_id, &shttp, &stored);
        if (rc == CT_OK)
            goto existing;
    }
    if (rc)
        goto cleanup;
    bk_drive(b, st, &o, &card, http, out);
    store_answer(st, scope, key, *http, *out);
    goto cleanup;
existing:
    if (strcmp(have, hash) != 0) {
        ct_free(stored);
        bk_err(e, 409, "idempotency_key_reused", "Idempotency-Key",
               "this key was used with another request body");
        rc = CT_CONFLICT;
        goto cleanup;
    }
    /* The first request is running: wait for its answer (up to 30 s). Or it is not: its
     * instance died (kill -9 behind a balancer) and the recovery worker finished the order,
     * whose state is then the answer (checked every second). */
    for (int i = 0; stored == NULL && i < 600; i++) {
        if (i % 20 == 19 && settled_answer(b, st, scope, key, order_id, http, out)) {
            *replayed = 1;
            rc = CT_OK;
            goto cleanup;
        }
        usleep(50 * 1000);
        if (read_key(st, scope, key, have, order_id, &shttp, &stored) != CT_OK)
            break;
    }
    if (stored == NULL) {
        bk_err(e, 409, "request_in_progress", "Idempotency-Key",
               "a request with this key is still running; retry later");
        e->retry_after_s = 2;
        rc = CT_CONFLICT;
        goto cleanup;
    }
    rc = ct_json_loadb(stored, strlen(stored), 0, out, NULL);
    ct_free(stored);
    if (rc == CT_OK) {
        *http = shttp;
        *replayed = 1;
    }
cleanup:
    for (int i = 0; i < nparts; i++)
        bk_order_free(&parts[i]);
    bk_order_free(&o);
    bk_offer_row_free(&of);
    return rc;
}

/* ---- reads ---- */

static int visible(const bk_order *o, const char *user_id)
{
    if (user_id == NULL)
        return !o->has_user;
    return o->has_user && strcmp(o->user_id, user_id) == 0;
}

/* A ticketed or confirmed order's status as the provider has it now. */
static void refresh(ct_booking *b, ct_store *st, bk_order *o)
{
    if (strcmp(o->status, "confirmed") != 0 || o->porder[0] == '\0' || bk_is_group(o))
        return;
    ct_bk_order po;
    ct_bk_error perr;
    ct_upstream_response rsp;
    if (bk_provider_op(b, o, CT_BK_OP_READ, NULL, "read", &po, &perr, &rsp) == CT_OK &&
        (po.status == CT_BK_CANCELLED || po.status == CT_BK_REFUNDED)) {
        snprintf(o->reason, sizeof(o->reason), "cancelled_by_provider");
        o->refund_minor = po.refund_minor;
        bk_transition(b, st, o, "cancelled", "order.cancelled");
    }
    ct_upstream_response_free(&rsp);
}

ct_status ct_booking_order_get(ct_booking *b, ct_store *st, const char *user_id, const char *id,
                               json_t **out)
{
    bk_order o;
    ct_status rc = bk_order_load(st, id, &o);
    if (rc)
        return rc;
    if (!visible(&o, user_id)) {
        bk_order_free(&o);
        return CT_NOT_FOUND;
    }
    refresh(b, st, &o);
    *out = bk_order_json(b, st, &o);
    bk_order_free(&o);
    return CT_OK;
}

ct_status ct_booking_order_read(ct_booking *b, ct_store *st, const char *id, json_t **out)
{
    bk_order o;
    ct_status rc = bk_order_load(st, id, &o);
    if (rc)
        return rc;
    *out = bk_order_json(b, st, &o);
    bk_order_free(&o);
    return *out != NULL ? CT_OK : CT_NOMEM;
}

ct_status ct_booking_order_list(ct_booking *b, ct_store *st, const char *user_id, int limit,
                                int offset, json_t **out)
{
    int64_t total = 0;
    ct_stmt *s = NULL;
    ct_status rc = ct_store_prepare(
        st, "SELECT COUNT(*) FROM orders WHERE user_id = ? AND parent_id IS NULL", &s);
    if (rc)
        return rc;
    ct_stmt_bind_text(s, 1, user_id);
    if (ct_stmt_step(s) == CT_ROW)
        total = ct_stmt_int64(s, 0);
    ct_stmt_finalize(s);
    rc = ct_store_prepare(
        st,
        "SELECT " ORDER_COLS " FROM orders WHERE user_id = ?"
        " AND parent_id IS NULL ORDER BY created_at DESC, id DESC LIMIT ? OFFSET ?",
        &s);
    if (rc)
        return rc;
    ct_stmt_bind_text(s, 1, user_id);
    ct_stmt_bind_int64(s, 2, limit);
    ct_stmt_bind_int64(s, 3, offset);
    json_t *list = json_array();
    bk_order rows[100];
    int n = 0;
    while (n < 100 && (rc = ct_stmt_step(s)) == CT_ROW)
        read_order(s, &rows[n++]);
    ct_stmt_finalize(s);
    for (int i = 0; i < n; i++) {
        json_array_append_new(list, bk_order_json(b, st, &rows[i]));
        bk_order_free(&rows[i]);
    }
    if (rc != CT_ROW && rc != CT_DONE) { /* the read failed: no partial page */
        json_decref(list);
        return rc;
    }
    *out = json_pack("{so sI si si}", "orders", list, "total", (json_int_t)total, "limit", limit,
                     "offset", offset);
    return CT_OK;
}

ct_status ct_booking_order_lookup(ct_booking *b, ct_store *st, const char *reference,
                                  const char *last_name, json_t **out)
{
    char ln[64];
    lower_into(ln, sizeof(ln), last_name);
    char ref[64]; /* separate tickets show "AAAAAA + BBBBBB": any one of them finds the order */
    snprintf(ref, sizeof(ref), "%s", reference ? reference : "");
    ref[strcspn(ref, " +")] = '\0';
    ct_stmt *s = NULL;
    ct_status rc = ct_store_prepare(st,
                                    "SELECT " ORDER_COLS " FROM orders WHERE provider_order_id = ?"
                                    " AND last_name = ? ORDER BY created_at DESC LIMIT 1",
                                    &s);
    if (rc)
        return rc;
    ct_stmt_bind_text(s, 1, ref);
    ct_stmt_bind_text(s, 2, ln);
    bk_order o;
    rc = ct_stmt_step(s);
    if (rc == CT_ROW) {
        read_order(s, &o);
        ct_stmt_finalize(s);
        if (o.parent_id[0]) { /* one ticket of separate tickets: the whole order */
            char gid[32];
            snprintf(gid, sizeof(gid), "%s", o.parent_id);
            bk_order_free(&o);
            if ((rc = bk_order_load(st, gid, &o)) != CT_OK)
                return rc;
        }
        refresh(b, st, &o);
        *out = bk_order_json(b, st, &o);
        bk_order_free(&o);
        return CT_OK;
    }
    ct_stmt_finalize(s);
    return rc == CT_DONE ? CT_NOT_FOUND : rc;
}

ct_status ct_booking_payment_confirm(ct_booking *b, ct_store *st, const char *user_id,
                                     const char *order_id, int authentication_pass, int *http,
                                     json_t **out, ct_booking_error *e)
{
    bk_order o;
    ct_status rc = bk_order_load(st, order_id, &o);
    if (rc)
        return rc;
    if (!visible(&o, user_id)) {
        bk_order_free(&o);
        return CT_NOT_FOUND;
    }
    if (strcmp(o.status, "requires_action") != 0) {
        bk_err(e, 409, "wrong_state", "", "the order's payment needs no confirmation");
        bk_order_free(&o);
        return CT_CONFLICT;
    }
    if (bk_is_group(&o)) {
        bk_group_confirm(b, st, &o, authentication_pass, http, out);
        bk_order_free(&o);
        return CT_OK;
    }
    if (o.hold_until > 0 && bk_now(b) >= o.hold_until) {
        bk_compensate(b, st, &o, "hold_expired");
        *http = 409;
        bk_problem(409, "hold_expired", "the seats were released before the payment was confirmed",
                   &o, b, st, out);
        bk_order_free(&o);
        return CT_OK;
    }
    char key[80], err[256] = "";
    snprintf(key, sizeof(key), "%s:confirm", o.id);
    ct_payment pay;
    memset(&pay, 0, sizeof(pay));
    rc = ct_payments_confirm(b->cfg.payments, o.payment_id, key, authentication_pass, &pay, err,
                             sizeof(err));
    if (rc) {
        bk_err(e, 502, "payment_unavailable", "", err);
        e->retry_after_s = 5;
        bk_order_free(&o);
        return CT_UNAVAILABLE;
    }
    if (bk_apply_payment(b, st, &o, &pay, http, out))
        bk_drive(b, st, &o, NULL, http, out);
    bk_order_free(&o);
    return CT_OK;
}
