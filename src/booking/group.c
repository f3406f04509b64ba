/* group.c: separate tickets: one order made of several providers' orders (booking.h).
 *
 * A search answer's "separate-tickets" offer books each slice (or run of slices) with the
 * provider that sells it cheapest. bk_group_offer asks every part's provider for its live
 * offer (the ordinary path, each stored as an offer of its own) and stores the group's offer
 * (provider CT_BOOKING_SEPARATE, the parts' offers in its body; currency "XXX", ISO 4217's
 * "no currency", when the parts are sold in different ones).
 *
 * An order of that offer is a group row plus one ordinary order row per part (parent_id, part),
 * all inserted in one transaction. The group is driven in lockstep so that no part goes
 * further than the others can follow:
 *
 *   every part held -> every part's payment authorised -> every part ticketed -> every part
 *   captured (the group moves pending -> held -> authorized -> ticketed -> confirmed with them)
 *
 * Each part runs the ordinary steps with its own keys (`<part>:hold`, `<part>:pay`, ...) and its
 * own payment in its provider's currency. When a part fails, every other part is undone:
 * a hold released, an authorisation voided, a ticket refunded at its provider (the card is
 * never captured before every ticket exists, so the traveller pays nothing); the parts end
 * failed with reason `separate_ticket_failed`, the group failed with the failing part's reason,
 * and the group's JSON lists each part with what happened to it. Recovery (cancel.c) settles
 * each part as an ordinary order, then completes the group or undoes it. */
#include <stdio.h>
#include <string.h>

#include "base/alloc.h"
#include "base/json.h"
#include "base/log.h"
#include "base/timeutil.h"
#include "booking/booking_internal.h"

#define UNDONE "separate_ticket_failed"

/* ---- the offer ---- */

/* The id of slices first..last of itinerary id `id` ("i_" + slices joined by '~'). */
static int sub_itinerary(const char *id, int first, int last, char *out, size_t len)
{
    const char *p = id + 2;
    size_t n = (size_t)snprintf(out, len, "i_");
    for (int slice = 0; *p && slice <= last; slice++) {
        const char *e = strchr(p, '~');
        size_t w = e ? (size_t)(e - p) : strlen(p);
        if (slice >= first) {
            if (n + w + 2 >= len)
                return 0;
            if (slice > first)
                out[n++] = '~';
            memcpy(out + n, p, w);
            n += w;
            out[n] = '\0';
        }
        p = e ? e + 1 : p + w;
        if (e == NULL && slice < last)
            return 0;
    }
    return n > 2;
}

static int count_slices(const char *id)
{
    int n = 1;
    for (const char *p = id; *p; p++)
        n += *p == '~';
    return n;
}

/* The parts cover slices 0..nslices-1 in order, each once; else e names the bad part. */
static ct_status check_parts(const ct_booking_offer_req *r, int nslices, ct_booking_error *e)
{
    char f[48];
    if (r->nparts < 2 || r->nparts > BK_MAX_PARTS) {
        bk_err(e, 400, "invalid", "parts", "separate tickets need 2 to 6 parts");
        return CT_INVALID;
    }
    int next = 0;
    for (int i = 0; i < r->nparts; i++) {
        const ct_booking_offer_part *p = &r->parts[i];
        if (p->provider == NULL || strcmp(p->provider, CT_BOOKING_SEPARATE) == 0) {
            snprintf(f, sizeof(f), "parts[%d].provider", i);
            bk_err(e, 400, "invalid", f, "a provider code from the search answer");
            return CT_INVALID;
        }
        if (p->first_slice != next || p->last_slice < p->first_slice || p->last_slice >= nslices) {
            snprintf(f, sizeof(f), "parts[%d].slices", i);
            bk_err(e, 400, "invalid", f,
                   "the parts must cover the itinerary's slices in order, each once");
            return CT_INVALID;
        }
        next = p->last_slice + 1;
    }
    if (next != nslices) {
        bk_err(e, 400, "invalid", "parts", "the parts must cover every slice of the itinerary");
        return CT_INVALID;
    }
    return CT_OK;
}

/* The group offer's body from its parts' offers (borrowed). */
static json_t *group_offer_json(const char *id, json_t *const *parts, int n,
                                const ct_booking_offer_req *r, int64_t *expires, char *currency,
                                int64_t *total, int64_t *fees)
{
    json_t *slices = json_array(), *totals = json_array(), *plist = json_array();
    int same = 1, passport = 0, changed = 0, pct = 100, pax = 0, self_transfer = 0;
    const char *cur0 = json_string_value(json_object_get(parts[0], "currency"));
    *expires = INT64_MAX;
    *total = *fees = 0;
    for (int i = 0; i < n; i++) {
        const json_t *o = parts[i];
        const char *cur = json_string_value(json_object_get(o, "currency"));
        same &= cur != NULL && cur0 != NULL && strcmp(cur, cur0) == 0;
        *total += json_integer_value(json_object_get(json_object_get(o, "total"), "amount_minor"));
        *fees += json_integer_value(json_object_get(json_object_get(o, "fees"), "amount_minor"));
        json_array_extend(slices, json_object_get(o, "slices"));
        json_array_append(totals, json_object_get(o, "total"));
        json_array_append(plist, (json_t *)o);
        passport |= json_is_true(json_object_get(o, "passport_required"));
        self_transfer |=
            json_is_true(json_object_get(json_object_get(o, "conditions"), "self_transfer"));
        changed |= json_is_true(json_object_get(o, "price_changed"));
        json_int_t p =
            json_integer_value(json_object_get(json_object_get(o, "conditions"), "refund_percent"));
        if (p > 0 && p < pct)
            pct = (int)p;
        pax = (int)json_integer_value(json_object_get(o, "passengers"));
        int64_t until = 0;
        const char *exp = json_string_value(json_object_get(o, "expires_at"));
        if (exp != NULL && ct_utc_parse(exp, &until) == CT_OK && until < *expires)
            *expires = until;
    }
    snprintf(currency, 4, "%s", same ? cur0 : "XXX");
    char iso[32];
    bk_iso(*expires, iso, sizeof(iso));
    json_t *j =
        json_pack("{ss s{ss ss} ss ss so so so si ss so s{sb si ss ss sb sb} sb so}", "id", id,
                  "provider", "code", CT_BOOKING_SEPARATE, "name", "Separate tickets", "expires_at",
                  iso, "currency", currency, "total", same ? bk_money(*total, cur0) : json_null(),
                  "fees", same ? bk_money(*fees, cur0) : json_null(), "totals", totals,
                  "passengers", pax, "cabin", ct_bk_cabin_name(r->cabin), "slices", slices,
                  "conditions", "refundable", 1, "refund_percent", pct, "refund_rule",
                  "each ticket is refunded under its own provider's rule", "changes",
                  "each ticket is changed with its own provider", "self_transfer", self_transfer,
                  "separate_tickets", 1, "passport_required", passport, "parts", plist);
    json_object_set_new(j, "price_changed", json_boolean(changed));
    json_object_set_new(j, "searched_price",
                        r->searched_minor >= 0 && r->searched_currency[0]
                            ? bk_money(r->searched_minor, r->searched_currency)
                            : json_null());
    if (!same) {
        *total = 0;
        *fees = 0;
    }
    return j;
}

ct_status bk_group_offer(ct_booking *b, ct_store *st, const ct_booking_offer_req *r, json_t **out,
                         ct_booking_error *e)
{
    json_t *parts[BK_MAX_PARTS] = {0}, *j = NULL;
    int n = 0;
    ct_bk_leg legs[CT_BK_MAX_LEGS];
    int nlegs = 0;
    ct_status rc;
    *out = NULL;
    if (ct_booking_itinerary_decode(r->itinerary_id, legs, CT_BK_MAX_LEGS, &nlegs) != CT_OK) {
        bk_err(e, 404, "unknown_itinerary", "itinerary_id",
               "no such itinerary (use an id from a search answer)");
        return CT_NOT_FOUND;
    }
    if ((rc = check_parts(r, count_slices(r->itinerary_id), e)) != CT_OK)
        return rc;
    for (; n < r->nparts; n++) {
        char sub[512];
        ct_booking_offer_req pr = *r;
        pr.nparts = 0;
        pr.provider = r->parts[n].provider;
        pr.searched_minor = -1;
        pr.searched_currency[0] = '\0';
        if (r->parts[n].searched_currency[0] && r->parts[n].searched_minor > 0) {
            pr.searched_minor = r->parts[n].searched_minor;
            memcpy(pr.searched_currency, r->parts[n].searched_currency, 4);
        }
        if (!sub_itinerary(r->itinerary_id, r->parts[n].first_slice, r->parts[n].last_slice, sub,
                           sizeof(sub))) {
            bk_err(e, 404, "unknown_itinerary", "itinerary_id", "the itinerary cannot be split");
            rc = CT_NOT_FOUND;
            goto cleanup;
        }
        pr.itinerary_id = sub;
        rc = ct_booking_offer(b, st, &pr, &parts[n], e);
        if (rc) { /* the part's failure names the part */
            char f[sizeof(e->field)];
            snprintf(f, sizeof(f), "%s", e->field);
            snprintf(e->field, sizeof(e->field), "parts[%c]%s%.40s", (char)('0' + n),
                     f[0] ? "." : "", f);
            goto cleanup;
        }
    }
    bk_offer_row row;
    memset(&row, 0, sizeof(row));
    bk_new_id("off_", row.id, sizeof(row.id));
    snprintf(row.provider, sizeof(row.provider), "%s", CT_BOOKING_SEPARATE);
    j = group_offer_json(row.id, parts, n, r, &row.expires_at, row.currency, &row.total_minor,
                         &row.fee_minor);
    row.passengers = r->passengers;
    row.body = j;
    rc = bk_offer_store(b, st, &row, r);
    if (rc) {
        bk_err(e, 503, "database", "", "the offer could not be stored");
        goto cleanup;
    }
    *out = j;
    j = NULL;
cleanup:
    json_decref(j);
    for (int i = 0; i < n; i++)
        json_decref(parts[i]);
    return rc;
}

/* ---- the parts ---- */

ct_status bk_group_parts(ct_store *st, const bk_order *g, bk_order *parts, int *n)
{
    *n = 0;
    ct_stmt *s = NULL;
    ct_status rc =
        ct_store_prepare(st, "SELECT id FROM orders WHERE parent_id = ? ORDER BY part LIMIT 6", &s);
    if (rc)
        return rc;
    ct_stmt_bind_text(s, 1, g->id);
    char ids[BK_MAX_PARTS][32];
    int k = 0;
    while (k < BK_MAX_PARTS && (rc = ct_stmt_step(s)) == CT_ROW)
        snprintf(ids[k++], sizeof(ids[0]), "%s", ct_stmt_text(s, 0));
    ct_stmt_finalize(s);
    if (rc != CT_ROW && rc != CT_DONE)
        return rc;
    for (int i = 0; i < k; i++) {
        if ((rc = bk_order_load(st, ids[i], &parts[i])) != CT_OK) {
            for (int j = 0; j < i; j++)
                bk_order_free(&parts[j]);
            return rc;
        }
    }
    *n = k;
    return CT_OK;
}

static void free_parts(bk_order *parts, int n)
{
    for (int i = 0; i < n; i++)
        bk_order_free(&parts[i]);
}

static int final(const bk_order *o)
{
    return strcmp(o->status, "confirmed") == 0 || strcmp(o->status, "failed") == 0 ||
           strcmp(o->status, "cancelled") == 0;
}

/* Undoes part k whatever its step: a ticket refunded at the provider first, then the
 * ordinary compensation (authorisation voided or payment refunded, hold released). */
static void undo_part(ct_booking *b, ct_store *st, bk_order *k)
{
    if (final(k) && strcmp(k->status, "confirmed") != 0)
        return;
    ct_bk_order po;
    int ticketed = strcmp(k->status, "ticketed") == 0 || strcmp(k->status, "confirmed") == 0 ||
                   (strcmp(k->status, "authorized") == 0 && bk_read_provider(b, k, &po) &&
                    po.status == CT_BK_TICKETED);
    if (ticketed) {
        ct_bk_error perr;
        ct_upstream_response rsp;
        ct_status rc = bk_provider_op(b, k, CT_BK_OP_REFUND, NULL, "refund", &po, &perr, &rsp);
        if (rc && perr.kind != CT_BK_ERR_WRONG_STATE)
            ct_log(CT_LOG_WARN, "booking.part_refund_failed", "order", k->id, "code", perr.code,
                   NULL);
        else if (rc == CT_OK)
            k->refund_minor = po.refund_minor;
        ct_upstream_response_free(&rsp);
    }
    ct_payment pay;
    if (k->payment_id[0] == '\0' && bk_find_payment(b, k, &pay) && pay.status != CT_PAY_FAILED &&
        pay.status != CT_PAY_CANCELED)
        snprintf(k->payment_id, sizeof(k->payment_id), "%s", pay.id);
    bk_compensate(b, st, k, UNDONE);
}

/* A part failed (its own compensation done): every other part undone, the group failed. */
static void fail_group(ct_booking *b, ct_store *st, bk_order *g, bk_order *parts, int n,
                       const char *reason)
{
    for (int i = 0; i < n; i++)
        undo_part(b, st, &parts[i]);
    bk_compensate(b, st, g, reason); /* the group holds nothing itself */
    ct_log(CT_LOG_INFO, "booking.group_failed", "order", g->id, "reason", reason, NULL);
}

static void group_problem(ct_booking *b, ct_store *st, bk_order *g, int http, const char *code,
                          const char *detail, json_t **out)
{
    json_decref(*out);
    *out = NULL;
    bk_problem(http, code, detail, g, b, st, out);
}

/* The group follows its parts to `status` (one transaction with its event). */
static int group_moves(ct_booking *b, ct_store *st, bk_order *g, const char *status, const char *ev,
                       int *http, json_t **out)
{
    if (bk_transition(b, st, g, status, ev) == CT_OK)
        return 1;
    *http = 503;
    group_problem(b, st, g, 503, "unavailable", "the order could not be saved; it will be resumed",
                  out);
    return 0;
}

/* A part's failure answered for the group: the part's code and status, the group's JSON. */
static void part_failed(ct_booking *b, ct_store *st, bk_order *g, bk_order *parts, int n,
                        const bk_order *k, int *http, json_t **out)
{
    char reason[48], detail[256];
    snprintf(reason, sizeof(reason), "%s", k->reason[0] ? k->reason : "provider_error");
    const char *d = *out != NULL ? json_string_value(json_object_get(*out, "detail")) : NULL;
    snprintf(detail, sizeof(detail), "%s", d ? d : "a ticket of the trip failed");
    json_t *prices = NULL;
    if (strcmp(reason, "price_changed") == 0) {
        /* The part's offer takes its new price, so that the traveller can confirm the new
         * total of the same offer: the new prices, per part and in all. */
        char amount[32];
        snprintf(amount, sizeof(amount), "%lld", (long long)k->total_minor);
        const char *p[] = {amount, k->offer_id};
        ct_store_run(st, "UPDATE offers SET total_minor = CAST(? AS BIGINT) WHERE id = ?", 2, p);
        prices = json_array();
        int64_t sum = 0;
        for (int i = 0; i < n; i++) {
            json_array_append_new(prices, bk_money(parts[i].total_minor, parts[i].currency));
            sum += parts[i].total_minor;
        }
        if (strcmp(g->currency, "XXX") != 0) {
            snprintf(amount, sizeof(amount), "%lld", (long long)sum);
            const char *q[] = {amount, g->offer_id};
            ct_store_run(st, "UPDATE offers SET total_minor = CAST(? AS BIGINT) WHERE id = ?", 2,
                         q);
        }
        g->total_minor = sum;
    }
    fail_group(b, st, g, parts, n, reason);
    char full[400];
    snprintf(full, sizeof(full), "%s; every other ticket of the trip was cancelled or refunded",
             detail);
    group_problem(b, st, g, *http, reason, full, out);
    if (prices != NULL) {
        if (strcmp(g->currency, "XXX") != 0)
            json_object_set_new(*out, "new_price", bk_money(g->total_minor, g->currency));
        json_object_set_new(*out, "new_prices", prices);
    }
}

static int all_in(const bk_order *parts, int n, const char *status)
{
    for (int i = 0; i < n; i++)
        if (strcmp(parts[i].status, status) != 0)
            return 0;
    return 1;
}

/* Runs `step` on every part still in `from`; 0 (answered) when one fails or stops. */
static int hold_all(ct_booking *b, ct_store *st, bk_order *g, bk_order *parts, int n, int *http,
                    json_t **out)
{
    for (int i = 0; i < n; i++) {
        bk_order *k = &parts[i];
        if (strcmp(k->status, "pending") != 0)
            continue;
        if (bk_step_hold(b, st, k, k->total_minor, http, out)) {
            json_decref(*out);
            *out = NULL;
            continue;
        }
        if (strcmp(k->status, "failed") == 0)
            part_failed(b, st, g, parts, n, k, http, out);
        else /* unknown: recovery settles the group */
            group_problem(b, st, g, *http, "provider_error",
                          "a provider did not answer; the order will be resolved", out);
        return 0;
    }
    int64_t until = 0;
    for (int i = 0; i < n; i++)
        if (parts[i].hold_until > 0 && (until == 0 || parts[i].hold_until < until))
            until = parts[i].hold_until;
    g->hold_until = until;
    return group_moves(b, st, g, "held", "order.held", http, out);
}

static int pay_all(ct_booking *b, ct_store *st, bk_order *g, bk_order *parts, int n,
                   const ct_pay_card *card, int *http, json_t **out)
{
    for (int i = 0; i < n; i++) {
        bk_order *k = &parts[i];
        if (strcmp(k->status, "held") != 0)
            continue;
        if (bk_step_pay(b, st, k, card, http, out) || strcmp(k->status, "requires_action") == 0) {
            json_decref(*out);
            *out = NULL;
            continue;
        }
        if (strcmp(k->status, "failed") == 0)
            part_failed(b, st, g, parts, n, k, http, out);
        else
            group_problem(b, st, g, *http, "payment_unavailable",
                          "the payment processor did not answer; the order will be resolved", out);
        return 0;
    }
    if (all_in(parts, n, "authorized"))
        return group_moves(b, st, g, "authorized", "payment.authorized", http, out);
    if (group_moves(b, st, g, "requires_action", "payment.requires_action", http, out)) {
        *http = 202;
        *out = bk_order_json(b, st, g);
    }
    return 0;
}

static int ticket_all(ct_booking *b, ct_store *st, bk_order *g, bk_order *parts, int n, int *http,
                      json_t **out)
{
    for (int i = 0; i < n; i++) {
        bk_order *k = &parts[i];
        if (strcmp(k->status, "authorized") != 0)
            continue;
        if (bk_step_ticket(b, st, k, http, out)) {
            json_decref(*out);
            *out = NULL;
            continue;
        }
        if (strcmp(k->status, "failed") == 0)
            part_failed(b, st, g, parts, n, k, http, out);
        else
            group_problem(b, st, g, *http, "provider_error",
                          "a provider did not answer; the order will be resolved", out);
        return 0;
    }
    return group_moves(b, st, g, "ticketed", "order.ticketed", http, out);
}

static void capture_all(ct_booking *b, ct_store *st, bk_order *g, bk_order *parts, int n, int *http,
                        json_t **out)
{
    for (int i = 0; i < n; i++) {
        if (strcmp(parts[i].status, "ticketed") != 0)
            continue;
        bk_step_capture(b, st, &parts[i], http, out);
        json_decref(*out);
        *out = NULL;
    }
    if (all_in(parts, n, "confirmed") && group_moves(b, st, g, "confirmed", NULL, http, out)) {
        *http = 201;
        *out = bk_order_json(b, st, g);
        return;
    }
    *http = 202; /* a capture's outcome is unknown: recovery captures it */
    *out = bk_order_json(b, st, g);
}

void bk_group_drive(ct_booking *b, ct_store *st, bk_order *g, const ct_pay_card *card, int *http,
                    json_t **out)
{
    bk_order parts[BK_MAX_PARTS];
    int n = 0;
    *out = NULL;
    *http = 500;
    if (bk_group_parts(st, g, parts, &n) != CT_OK || n == 0) {
        *http = 503;
        bk_problem(503, "unavailable", "the order's parts could not be read", g, b, st, out);
        return;
    }
    if (strcmp(g->status, "pending") == 0 && !hold_all(b, st, g, parts, n, http, out))
        goto cleanup;
    if (strcmp(g->status, "held") == 0 && !pay_all(b, st, g, parts, n, card, http, out))
        goto cleanup;
    if (strcmp(g->status, "requires_action") == 0) {
        *http = 202;
        *out = bk_order_json(b, st, g);
        goto cleanup;
    }
    if (strcmp(g->status, "authorized") == 0 && !ticket_all(b, st, g, parts, n, http, out))
        goto cleanup;
    if (strcmp(g->status, "ticketed") == 0) {
        capture_all(b, st, g, parts, n, http, out);
        goto cleanup;
    }
    *http = strcmp(g->status, "failed") == 0 ? 409 : 200;
    *out = bk_order_json(b, st, g);
cleanup:
    free_parts(parts, n);
}

void bk_group_confirm(ct_booking *b, ct_store *st, bk_order *g, int authentication_pass, int *http,
                      json_t **out)
{
    bk_order parts[BK_MAX_PARTS];
    int n = 0;
    *out = NULL;
    if (bk_group_parts(st, g, parts, &n) != CT_OK) {
        *http = 503;
        bk_problem(503, "unavailable", "the order's parts could not be read", g, b, st, out);
        return;
    }
    for (int i = 0; i < n; i++) {
        bk_order *k = &parts[i];
        if (strcmp(k->status, "requires_action") != 0)
            continue;
        if (k->hold_until > 0 && bk_now(b) >= k->hold_until) {
            bk_compensate(b, st, k, "hold_expired");
            *http = 409;
            part_failed(b, st, g, parts, n, k, http, out);
            goto cleanup;
        }
        char key[80], err[256] = "";
        snprintf(key, sizeof(key), "%s:confirm", k->id);
        ct_payment pay;
        memset(&pay, 0, sizeof(pay));
        if (ct_payments_confirm(b->cfg.payments, k->payment_id, key, authentication_pass, &pay, err,
                                sizeof(err)) != CT_OK) {
            *http = 502;
            group_problem(b, st, g, 502, "payment_unavailable", err, out);
            goto cleanup;
        }
        if (!bk_apply_payment(b, st, k, &pay, http, out) && strcmp(k->status, "failed") == 0) {
            part_failed(b, st, g, parts, n, k, http, out);
            goto cleanup;
        }
        json_decref(*out);
        *out = NULL;
    }
    if (!all_in(parts, n, "authorized")) {
        *http = 202;
        *out = bk_order_json(b, st, g);
        goto cleanup;
    }
    free_parts(parts, n);
    n = 0;
    if (group_moves(b, st, g, "authorized", "payment.authorized", http, out))
        bk_group_drive(b, st, g, NULL, http, out);
cleanup:
    free_parts(parts, n);
}

/* ---- recovery ---- */

int bk_group_recover(ct_booking *b, ct_store *st, bk_order *g)
{
    bk_order parts[BK_MAX_PARTS];
    int n = 0;
    char before[24];
    snprintf(before, sizeof(before), "%s", g->status);
    if (bk_group_parts(st, g, parts, &n) != CT_OK)
        return 0;
    const char *failed = NULL;
    for (int i = 0; i < n && failed == NULL; i++)
        if (strcmp(parts[i].status, "failed") == 0 || strcmp(parts[i].status, "pending") == 0)
            failed = parts[i].reason[0] ? parts[i].reason : "interrupted";
    if (failed == NULL) { /* every part can still be completed: settle each as usual, the
                             parts still waiting for a payment first (no ticket before every
                             payment is authorised) */
        int waiting = 0;
        for (int i = 0; i < n; i++)
            waiting |= strcmp(parts[i].status, "held") == 0 ||
                       strcmp(parts[i].status, "requires_action") == 0;
        for (int i = 0; i < n; i++)
            if (!final(&parts[i]) && (!waiting || strcmp(parts[i].status, "held") == 0 ||
                                      strcmp(parts[i].status, "requires_action") == 0))
                bk_recover_one(b, st, &parts[i]);
        for (int i = 0; i < n && failed == NULL; i++)
            if (strcmp(parts[i].status, "failed") == 0 || strcmp(parts[i].status, "cancelled") == 0)
                failed = parts[i].reason[0] ? parts[i].reason : "interrupted";
    }
    char reason[48];
    snprintf(reason, sizeof(reason), "%s", failed ? failed : "");
    if (failed != NULL) {
        fail_group(b, st, g, parts, n, reason);
    } else if (all_in(parts, n, "confirmed")) {
        bk_transition(b, st, g, "confirmed", NULL);
    } else if (all_in(parts, n, "ticketed") && strcmp(g->status, "ticketed") != 0) {
        bk_transition(b, st, g, "ticketed", "order.ticketed");
    } else if (all_in(parts, n, "requires_action") && strcmp(g->status, "held") == 0) {
        bk_transition(b, st, g, "requires_action", "payment.requires_action");
    }
    free_parts(parts, n);
    return strcmp(before, g->status) != 0;
}

/* ---- JSON and cancellation ---- */

static const char *outcome(const bk_order *k)
{
    if (strcmp(k->reason, UNDONE) != 0)
        return NULL;
    if (k->refund_minor > 0 || k->tickets == NULL || json_array_size(k->tickets) > 0)
        return "refunded at the provider because another ticket of the trip failed; not charged";
    return "released because another ticket of the trip failed; not charged";
}

void bk_group_json(ct_booking *b, ct_store *st, const bk_order *g, json_t *j)
{
    bk_order parts[BK_MAX_PARTS];
    int n = 0;
    if (bk_group_parts(st, g, parts, &n) != CT_OK)
        return;
    json_t *list = json_array(), *tickets = json_array(), *totals = json_array();
    char refs[256] = "";
    size_t used = 0;
    int same = 1;
    int64_t refunded = 0;
    for (int i = 0; i < n; i++) {
        const bk_order *k = &parts[i];
        json_t *kj = bk_order_json(b, st, k);
        json_object_del(kj, "passengers");
        json_object_del(kj, "contact");
        json_object_del(kj, "guest");
        const char *what = outcome(k);
        json_object_set_new(kj, "outcome", what ? json_string(what) : json_null());
        json_object_set_new(kj, "part", json_integer(i));
        json_array_append_new(list, kj);
        json_array_extend(tickets, k->tickets);
        json_array_append_new(totals, bk_money(k->total_minor, k->currency));
        same &= strcmp(k->currency, parts[0].currency) == 0;
        refunded += k->refund_minor;
        if (k->porder[0] && used + strlen(k->porder) + 4 < sizeof(refs))
            used += (size_t)snprintf(refs + used, sizeof(refs) - used, "%s%s", used ? " + " : "",
                                     k->porder);
    }
    json_object_set_new(j, "parts", list);
    json_object_set_new(j, "tickets", tickets);
    json_object_set_new(j, "totals", totals);
    json_object_set_new(j, "booking_reference", refs[0] ? json_string(refs) : json_null());
    if (!same)
        json_object_set_new(j, "total", json_null());
    if (strcmp(g->status, "cancelled") == 0)
        json_object_set_new(j, "refunded",
                            same && n > 0 ? bk_money(refunded, parts[0].currency) : json_null());
    free_parts(parts, n);
}

ct_status bk_group_cancel_confirm(ct_booking *b, ct_store *st, bk_order *g, json_t **out,
                                  ct_booking_error *e)
{
    bk_order parts[BK_MAX_PARTS];
    int n = 0;
    ct_status rc = bk_group_parts(st, g, parts, &n);
    if (rc)
        return rc;
    int64_t refunded = 0;
    for (int i = 0; i < n; i++) { /* a part cancelled by an earlier try is not asked again */
        if (strcmp(parts[i].status, "confirmed") == 0 &&
            (rc = bk_refund_order(b, st, &parts[i], "cancelled_by_traveller", e)) != CT_OK)
            goto cleanup;
        refunded += parts[i].refund_minor;
    }
    g->refund_minor = refunded;
    snprintf(g->reason, sizeof(g->reason), "cancelled_by_traveller");
    rc = bk_transition(b, st, g, "cancelled", "refund.succeeded");
    if (rc == CT_OK)
        *out = bk_order_json(b, st, g);
cleanup:
    free_parts(parts, n);
    return rc;
}
