/* cancel.c: cancellations (quote, then confirm) and the recovery worker (booking.h).
 *
 * A quote states the refund under the provider's rule (the sandbox's: the least refundable
 * class's share of the fare, service fees kept; the offer's conditions carry the percentage)
 * and is valid CT_BOOKING_QUOTE_S. Confirming it asks the provider to refund (key
 * `<order>:refund`), then refunds the card the amount the provider refunded (key
 * `<order>:card-refund`), and moves the order to cancelled in one transaction.
 *
 * Recovery reads every order that is not final and old enough that no request is running
 * it, and settles it from what the provider and the processor say (see the table in
 * docs/booking.md). */
#include <stdio.h>
#include <string.h>
#include <time.h>

#include "base/alloc.h"
#include "base/log.h"
#include "booking/booking_internal.h"

static int owned(const bk_order *o, const char *user_id)
{
    if (user_id == NULL)
        return !o->has_user;
    return o->has_user && strcmp(o->user_id, user_id) == 0;
}

/* One provider order's refund under its offer's rule; *pct the percentage. */
static ct_status order_refund(ct_store *st, const bk_order *o, int64_t *refund, int *pct)
{
    bk_offer_row of;
    ct_status rc = bk_offer_load(st, o->offer_id, &of);
    if (rc)
        return rc;
    json_int_t p = json_integer_value(
        json_object_get(json_object_get(of.body, "conditions"), "refund_percent"));
    if (p <= 0 || p > 100)
        p = 100;
    *pct = (int)p;
    *refund = (o->total_minor - of.fee_minor) * p / 100;
    if (*refund < 0)
        *refund = 0;
    bk_offer_row_free(&of);
    return CT_OK;
}

ct_status ct_booking_cancel_quote(ct_booking *b, ct_store *st, const char *user_id,
                                  const char *order_id, json_t **out, ct_booking_error *e)
{
    bk_order o, parts[BK_MAX_PARTS];
    int nparts = 0;
    json_t *per_part = NULL;
    ct_status rc = bk_order_load(st, order_id, &o);
    if (rc)
        return rc;
    if (!owned(&o, user_id)) {
        rc = CT_NOT_FOUND;
        goto cleanup;
    }
    if (strcmp(o.status, "confirmed") != 0) {
        bk_err(e, 409, "wrong_state", "", "only a confirmed order can be cancelled");
        rc = CT_CONFLICT;
        goto cleanup;
    }
    int64_t refund = 0;
    int pct = 100;
    if (!bk_is_group(&o)) {
        rc = order_refund(st, &o, &refund, &pct);
    } else { /* separate tickets: every part's refund under its own provider's rule */
        rc = bk_group_parts(st, &o, parts, &nparts);
        per_part = json_array();
        for (int i = 0; rc == CT_OK && i < nparts; i++) {
            int64_t r = 0;
            int p = 100;
            rc = order_refund(st, &parts[i], &r, &p);
            refund += r;
            pct = p < pct ? p : pct;
            const ct_booking_provider *pv = bk_provider(b, parts[i].provider);
            char name[64] = "";
            if (pv != NULL)
                bk_display_name(b, pv, name, sizeof(name));
            json_array_append_new(
                per_part,
                json_pack("{ss so si s{ss ss} ss}", "order_id", parts[i].id, "refund",
                          bk_money(r, parts[i].currency), "refund_percent", p, "provider", "code",
                          parts[i].provider, "name", name, "booking_reference", parts[i].porder));
        }
    }
    if (rc)
        goto cleanup;
    char id[32], exp[32];
    bk_new_id("can_", id, sizeof(id));
    int64_t expires = bk_now(b) + CT_BOOKING_QUOTE_S;
    ct_stmt *s = NULL;
    rc = ct_store_prepare(st,
                          "INSERT INTO cancellations (id, order_id, refund_minor, currency,"
                          " expires_at, status, created_at) VALUES (?,?,?,?,?,'quoted',?)",
                          &s);
    if (rc)
        goto cleanup;
    ct_stmt_bind_text(s, 1, id);
    ct_stmt_bind_text(s, 2, o.id);
    ct_stmt_bind_int64(s, 3, refund);
    ct_stmt_bind_text(s, 4, o.currency);
    ct_stmt_bind_int64(s, 5, expires);
    ct_stmt_bind_int64(s, 6, bk_now(b));
    rc = ct_stmt_step(s);
    ct_stmt_finalize(s);
    if (rc != CT_DONE) {
        rc = CT_UNAVAILABLE;
        goto cleanup;
    }
    bk_iso(expires, exp, sizeof(exp));
    /* A group in several currencies has no one sum: its parts state theirs. */
    int mixed = 0;
    for (int i = 1; i < nparts; i++)
        mixed |= strcmp(parts[i].currency, parts[0].currency) != 0;
    *out = json_pack("{ss ss so ss si ss}", "id", id, "order_id", o.id, "refund",
                     mixed ? json_null() : bk_money(refund, o.currency), "expires_at", exp,
                     "refund_percent", pct, "status", "quoted");
    if (per_part != NULL) {
        json_object_set_new(*out, "parts", per_part);
        per_part = NULL;
    }
    rc = CT_OK;
cleanup:
    json_decref(per_part);
    for (int i = 0; i < nparts; i++)
        bk_order_free(&parts[i]);
    bk_order_free(&o);
    return rc;
}

/* The provider's refund (key <order>:refund), then the card's for what the provider refunded
 * (<order>:card-refund); o ends cancelled with `reason`. Repeating it after a failure repeats
 * the same keys, so nothing is refunded twice. */
ct_status bk_refund_order(ct_booking *b, ct_store *st, bk_order *o, const char *reason,
                          ct_booking_error *e)
{
    ct_upstream_response rsp;
    memset(&rsp, 0, sizeof(rsp));
    ct_bk_request rq = {0};
    ct_status rc;
    const ct_booking_provider *p = bk_provider(b, o->provider);
    if (p == NULL || ct_bk_order_op_request(p->dialect, CT_BK_OP_REFUND, o->porder, NULL, &rq)) {
        bk_err(e, 502, "provider_error", "", "the provider is not configured");
        return CT_ERR;
    }
    char key[80], err[256] = "";
    snprintf(key, sizeof(key), "%s:refund", o->id);
    bk_send(b, p, &rq, key, &rsp);
    ct_bk_order po;
    ct_bk_error perr;
    memset(&perr, 0, sizeof(perr));
    rc = rsp.rc == CT_OK
             ? ct_bk_order_parse(p->dialect, (int)rsp.status, rsp.body, rsp.body_len, &po, &perr)
             : CT_UNAVAILABLE;
    if (rc) {
        bk_provider_error(rc, &rsp, rsp.rc == CT_OK ? &perr : NULL, e);
        if (e->http < 500) {
            e->http = 502;
            e->retry_after_s = 5;
        }
        rc = CT_UNAVAILABLE;
        goto cleanup;
    }
    int64_t refund = po.refund_minor;
    ct_payment pay;
    snprintf(key, sizeof(key), "%s:card-refund", o->id);
    if (refund > 0) {
        rc =
            ct_payments_refund(b->cfg.payments, o->payment_id, key, refund, &pay, err, sizeof(err));
        if (rc && rc != CT_CONFLICT) { /* CONFLICT: already refunded */
            bk_err(e, 502, "payment_unavailable", "", err);
            e->retry_after_s = 5;
            rc = CT_UNAVAILABLE;
            goto cleanup;
        }
    }
    o->refund_minor = refund;
    snprintf(o->reason, sizeof(o->reason), "%s", reason);
    rc = bk_transition(b, st, o, "cancelled", "refund.succeeded");
cleanup:
    ct_bk_request_free(&rq);
    ct_upstream_response_free(&rsp);
    return rc;
}

ct_status ct_booking_cancel_confirm(ct_booking *b, ct_store *st, const char *user_id,
                                    const char *order_id, const char *cancellation_id, json_t **out,
                                    ct_booking_error *e)
{
    bk_order o;
    *out = NULL;
    ct_status rc = bk_order_load(st, order_id, &o);
    if (rc)
        return rc;
    if (!owned(&o, user_id)) {
        rc = CT_NOT_FOUND;
        goto cleanup;
    }
    ct_stmt *s = NULL;
    rc = ct_store_prepare(st,
                          "SELECT expires_at, status FROM cancellations WHERE id = ? AND"
                          " order_id = ?",
                          &s);
    if (rc)
        goto cleanup;
    ct_stmt_bind_text(s, 1, cancellation_id);
    ct_stmt_bind_text(s, 2, o.id);
    rc = ct_stmt_step(s);
    int64_t expires = rc == CT_ROW ? ct_stmt_int64(s, 0) : 0;
    int quoted = rc == CT_ROW && strcmp(ct_stmt_text(s, 1), "quoted") == 0;
    ct_stmt_finalize(s);
    if (rc == CT_DONE) {
        rc = CT_NOT_FOUND;
        goto cleanup;
    }
    if (strcmp(o.status, "cancelled") == 0) { /* confirmed before: the same answer */
        *out = bk_order_json(b, st, &o);
        rc = CT_OK;
        goto cleanup;
    }
    if (!quoted || strcmp(o.status, "confirmed") != 0) {
        bk_err(e, 409, "wrong_state", "cancellation_id", "this quote cannot be confirmed");
        rc = CT_CONFLICT;
        goto cleanup;
    }
    if (bk_now(b) >= expires) {
        bk_err(e, 410, "quote_expired", "cancellation_id", "the quote expired; ask for a new one");
        rc = CT_CONFLICT;
        goto cleanup;
    }
    rc = bk_is_group(&o) ? bk_group_cancel_confirm(b, st, &o, out, e)
                         : bk_refund_order(b, st, &o, "cancelled_by_traveller", e);
    if (rc)
        goto cleanup;
    const char *cid[] = {cancellation_id};
    ct_store_run(st, "UPDATE cancellations SET status = 'confirmed' WHERE id = ?", 1, cid);
    if (*out == NULL)
        *out = bk_order_json(b, st, &o);
cleanup:
    bk_order_free(&o);
    return rc;
}

/* ---- recovery ---- */

/* Reads o's provider order (NULL when unknown). 1 when read. */
int bk_read_provider(ct_booking *b, const bk_order *o, ct_bk_order *po)
{
    const ct_booking_provider *p = bk_provider(b, o->provider);
    ct_bk_request rq = {0};
    if (p == NULL || o->porder[0] == '\0' ||
        ct_bk_order_op_request(p->dialect, CT_BK_OP_READ, o->porder, NULL, &rq))
        return 0;
    ct_upstream_response rsp;
    memset(&rsp, 0, sizeof(rsp));
    bk_send(b, p, &rq, NULL, &rsp);
    ct_bk_error perr;
    int ok = rsp.rc == CT_OK && ct_bk_order_parse(p->dialect, (int)rsp.status, rsp.body,
                                                  rsp.body_len, po, &perr) == CT_OK;
    ct_bk_request_free(&rq);
    ct_upstream_response_free(&rsp);
    return ok;
}

/* The processor's latest payment of order o (by reference). 1 when one exists. */
int bk_find_payment(ct_booking *b, const bk_order *o, ct_payment *pay)
{
    if (b->cfg.payments == NULL)
        return 0;
    ct_payment list[8];
    int n = 0;
    char err[256];
    if (ct_payments_find(b->cfg.payments, o->id, list, 8, &n, err, sizeof(err)) != CT_OK || n == 0)
        return 0;
    for (int i = 0; i < n; i++) { /* newest first: a live one wins over failed attempts */
        if (list[i].status != CT_PAY_FAILED && list[i].status != CT_PAY_CANCELED) {
            *pay = list[i];
            return 1;
        }
    }
    *pay = list[0];
    return 1;
}

/* Settles one order; 1 when it moved. */
int bk_recover_one(ct_booking *b, ct_store *st, bk_order *o)
{
    char before[24];
    snprintf(before, sizeof(before), "%s", o->status);
    int http = 0;
    json_t *out = NULL;
    ct_bk_order po;
    int have_po = bk_read_provider(b, o, &po);
    if (strcmp(o->status, "pending") == 0) {
        /* The hold's outcome is unknown; it was never paid (no card is kept): release it. The
         * hold request is not repeated: an order id the provider made is learnt only from
         * its answer, so a lost answer leaves a hold that expires on its own. */
        bk_compensate(b, st, o, "interrupted");
    } else if (strcmp(o->status, "held") == 0 || strcmp(o->status, "requires_action") == 0) {
        ct_payment pay;
        int paid = bk_find_payment(b, o, &pay);
        int expired = (o->hold_until > 0 && bk_now(b) >= o->hold_until) ||
                      (have_po && po.status == CT_BK_EXPIRED);
        if (paid)
            snprintf(o->payment_id, sizeof(o->payment_id), "%s", pay.id);
        if (expired)
            bk_compensate(b, st, o,
                          strcmp(o->status, "requires_action") == 0 ? "authentication_abandoned"
                                                                    : "hold_expired");
        else if (paid && (pay.status == CT_PAY_AUTHORIZED || pay.status == CT_PAY_SUCCEEDED)) {
            if (bk_transition(b, st, o, "authorized", "payment.authorized") == CT_OK)
                bk_drive(b, st, o, NULL, &http, &out);
        } else if (paid && pay.status == CT_PAY_REQUIRES_ACTION) {
            if (strcmp(o->status, "held") == 0)
                bk_transition(b, st, o, "requires_action", "payment.requires_action");
        } else if (strcmp(o->status, "held") == 0) {
            bk_compensate(b, st, o,
                          paid ? (pay.failure_code[0] ? pay.failure_code : "payment_failed")
                               : "interrupted");
        }
    } else if (strcmp(o->status, "authorized") == 0) {
        if (have_po && po.status == CT_BK_TICKETED) { /* ticketed, the answer was lost */
            json_decref(o->tickets);
            o->tickets = json_array();
            for (int i = 0; i < po.ntickets; i++)
                json_array_append_new(o->tickets, json_string(po.tickets[i]));
            if (bk_transition(b, st, o, "ticketed", "order.ticketed") == CT_OK)
                bk_drive(b, st, o, NULL, &http, &out);
        } else {
            bk_drive(b, st, o, NULL, &http, &out); /* ticket (same payment ref), capture */
        }
    } else if (strcmp(o->status, "ticketed") == 0) {
        bk_drive(b, st, o, NULL, &http, &out); /* capture with the same key */
    }
    json_decref(out);
    return strcmp(before, o->status) != 0;
}

ct_status ct_booking_recover(ct_booking *b, ct_store *st, int min_age_s, int *resumed)
{
    if (resumed)
        *resumed = 0;
    ct_stmt *s = NULL;
    ct_status rc = ct_store_prepare(st,
                                    "SELECT id FROM orders WHERE status IN ('pending', 'held',"
                                    " 'requires_action', 'authorized', 'ticketed') AND"
                                    " parent_id IS NULL AND updated_at <= ?"
                                    " ORDER BY updated_at LIMIT 200",
                                    &s);
    if (rc)
        return rc;
    ct_stmt_bind_int64(s, 1, bk_now(b) - min_age_s);
    char ids[200][32];
    int n = 0;
    while (n < 200 && ct_stmt_step(s) == CT_ROW)
        snprintf(ids[n++], 32, "%s", ct_stmt_text(s, 0));
    ct_stmt_finalize(s);
    int moved = 0;
    for (int i = 0; i < n; i++) {
        bk_order o;
        if (bk_order_load(st, ids[i], &o) != CT_OK)
            continue;
        moved += bk_is_group(&o) ? bk_group_recover(b, st, &o) : bk_recover_one(b, st, &o);
        bk_order_free(&o);
    }
    if (resumed)
        *resumed = moved;
    if (moved) {
        char m[16];
        snprintf(m, sizeof(m), "%d", moved);
        ct_log(CT_LOG_INFO, "booking.recovered", "orders", m, NULL);
    }
    return CT_OK;
}

ct_status ct_booking_reap_keys(ct_booking *b, ct_store *st)
{
    char old[32];
    snprintf(old, sizeof(old), "%lld", (long long)(bk_now(b) - CT_BOOKING_KEY_TTL_S));
    const char *p[] = {old};
    return ct_store_run(st, "DELETE FROM idempotency_keys WHERE created_at < CAST(? AS BIGINT)", 1,
                        p);
}

static void *recovery_main(void *arg)
{
    ct_booking *b = arg;
    for (;;) {
        ct_store *st = NULL;
        if (ct_store_pool_acquire(b->cfg.pool, 2000, &st) == CT_OK) {
            ct_booking_recover(b, st, b->cfg.recovery_min_age_s, NULL);
            ct_booking_reap_keys(b, st);
            ct_store_pool_release(b->cfg.pool, st);
        }
        pthread_mutex_lock(&b->stop_mu);
        struct timespec until;
        clock_gettime(CLOCK_REALTIME, &until);
        until.tv_sec += b->cfg.recovery_every_s;
        while (!b->stopping && pthread_cond_timedwait(&b->stop_cv, &b->stop_mu, &until) == 0)
            ;
        int stop = b->stopping;
        pthread_mutex_unlock(&b->stop_mu);
        if (stop)
            return NULL;
    }
}

ct_status ct_booking_recovery_start(ct_booking *b)
{
    if (b->cfg.pool == NULL)
        return CT_INVALID;
    if (pthread_create(&b->recovery, NULL, recovery_main, b) != 0)
        return CT_ERR;
    b->recovery_running = 1;
    return CT_OK;
}
