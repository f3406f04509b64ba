/* payments_ops.c: what the processor does: the test cards that choose an sb_pay_outcome, the error
 * dialect, and the operations on payments (create, confirm, capture, cancel, refund), each run
 * by the write path inside one transaction (see payments_internal.h). */
#define _GNU_SOURCE
#include "sandbox/payments/payments_internal.h"

#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#include "base/timeutil.h"

/* ---- test cards ---- */

typedef enum behavior {
    CARD_SUCCEEDS,
    CARD_DECLINED,
    CARD_INSUFFICIENT_FUNDS,
    CARD_REQUIRES_ACTION,
    CARD_PROCESSING_ERROR,
} behavior;

static const char *const behavior_names[] = {"succeed", "decline", "insufficient_funds",
                                             "require_action", "processing_error"};

static const struct {
    const char *number;
    behavior what;
} test_cards[] = {
    {"4100000000001009", CARD_DECLINED},
    {"4100000000002007", CARD_INSUFFICIENT_FUNDS},
    {"4100000000003005", CARD_REQUIRES_ACTION},
    {"4100000000004003", CARD_PROCESSING_ERROR},
};

static behavior card_behavior(const char *number)
{
    for (size_t i = 0; i < sizeof(test_cards) / sizeof(test_cards[0]); i++) {
        if (strcmp(number, test_cards[i].number) == 0)
            return test_cards[i].what;
    }
    return CARD_SUCCEEDS;
}

int sb__pay_luhn_valid(const char *digits)
{
    size_t n = strlen(digits);
    int sum = 0;
    for (size_t i = 0; i < n; i++) {
        int d = digits[n - 1 - i] - '0';
        if (i % 2 == 1) {
            d *= 2;
            if (d > 9)
                d -= 9;
        }
        sum += d;
    }
    return sum % 10 == 0;
}

const char *sb__pay_card_brand(const char *number)
{
    int two = (number[0] - '0') * 10 + (number[1] - '0');
    int four = two * 100 + (number[2] - '0') * 10 + (number[3] - '0');
    if (number[0] == '4')
        return "visa";
    if ((two >= 51 && two <= 55) || (four >= 2221 && four <= 2720))
        return "mastercard";
    if (two == 34 || two == 37)
        return "amex";
    if (four == 6011 || two == 65)
        return "discover";
    return "unknown";
}

/* A card is valid through the last day of its expiry month, in world time. */
static int card_expired(int64_t now, int exp_month, int exp_year)
{
    int y, m, d;
    ct_civil_from_days(now >= 0 ? now / 86400 : 0, &y, &m, &d);
    return exp_year < y || (exp_year == y && exp_month < m);
}

/* ---- the error dialect ---- */

json_t *sb__pay_error_json(const char *category, const char *code, const char *field,
                           const char *message)
{
    json_t *e =
        json_pack("{s:s, s:s, s:s}", "category", category, "code", code, "message", message);
    if (e != NULL && field != NULL)
        json_object_set_new(e, "field", json_string(field));
    return e ? json_pack("{s:o}", "error", e) : NULL;
}

static ct_status error_outcome(sb_pay_outcome *out, int status, const char *code, const char *field,
                               const char *fmt, ...) __attribute__((format(printf, 5, 6)));

static ct_status error_outcome(sb_pay_outcome *out, int status, const char *code, const char *field,
                               const char *fmt, ...)
{
    char message[256];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(message, sizeof(message), fmt, ap);
    va_end(ap);
    out->status = status;
    out->body = sb__pay_error_json("request", code, field, message);
    return out->body ? CT_OK : CT_NOMEM;
}

/* The response for a payment after an operation: the payment itself with `status`, or for a
 * failed payment the card (402) or processing (502) error carrying the payment. */
static ct_status payment_outcome(ct_store *st, const sb_pay_row *r, int status, sb_pay_outcome *out)
{
    json_t *pj = NULL;
    ct_status rc = sb__pay_json(st, r, &pj);
    if (rc)
        return rc;
    if (strcmp(r->status, "failed") != 0) {
        out->status = status;
        out->body = pj;
        return CT_OK;
    }
    int processing = strcmp(r->failure_code, "processing_error") == 0;
    out->status = processing ? 502 : 402;
    out->body = sb__pay_error_json(processing ? "processing" : "card", r->failure_code, NULL,
                                   sb__pay_failure_message(r->failure_code));
    if (out->body == NULL) {
        json_decref(pj);
        return CT_NOMEM;
    }
    json_object_set_new(json_object_get(out->body, "error"), "payment", pj);
    return CT_OK;
}

static ct_status not_found_outcome(sb_pay_outcome *out, const char *what, const char *id)
{
    return error_outcome(out, 404, "resource_missing", "id", "no %s %s", what, id);
}

static ct_status state_outcome(sb_pay_outcome *out, const sb_pay_row *r, const char *wanted)
{
    return error_outcome(out, 409, "payment_state", NULL, "payment %s is %s; %s", r->id, r->status,
                         wanted);
}

/* ---- operations (each runs inside the write path's transaction) ---- */

ct_status sb__pay_op_create(ct_store *st, int64_t now, void *arg, sb_pay_outcome *out)
{
    const sb_pay_create *c = arg;
    sb_pay_row r;
    memset(&r, 0, sizeof(r));
    sb__pay_new_id("pay_", r.id, sizeof(r.id));
    r.amount = c->amount;
    memcpy(r.currency, c->currency, sizeof(r.currency));
    sb__pay_copy(r.capture_method, sizeof(r.capture_method), c->manual ? "manual" : "automatic");
    sb__pay_copy(r.brand, sizeof(r.brand), sb__pay_card_brand(c->number));
    sb__pay_copy(r.last4, sizeof(r.last4), c->number + strlen(c->number) - 4);
    r.exp_month = c->exp_month;
    r.exp_year = c->exp_year;
    sb__pay_copy(r.description, sizeof(r.description), c->description);
    sb__pay_copy(r.reference, sizeof(r.reference), c->reference);
    r.created = r.updated = now;
    behavior what = card_behavior(c->number);
    sb__pay_copy(r.behavior, sizeof(r.behavior), behavior_names[what]);
    static const char *const failure_of[] = {NULL, "card_declined", "insufficient_funds", NULL,
                                             "processing_error"};
    const char *failure =
        card_expired(r.created, c->exp_month, c->exp_year) ? "expired_card" : failure_of[what];
    if (failure != NULL) {
        sb__pay_copy(r.status, sizeof(r.status), "failed");
        sb__pay_copy(r.failure_code, sizeof(r.failure_code), failure);
    } else if (what == CARD_REQUIRES_ACTION) {
        sb__pay_copy(r.status, sizeof(r.status), "requires_action");
    } else {
        sb__pay_copy(r.status, sizeof(r.status), c->manual ? "authorized" : "succeeded");
        r.captured = c->manual ? 0 : c->amount;
    }
    ct_status rc = sb__pay_insert(st, &r);
    return rc ? rc : payment_outcome(st, &r, 201, out);
}

ct_status sb__pay_op_confirm(ct_store *st, int64_t now, void *arg, sb_pay_outcome *out)
{
    const sb_pay_change *q = arg;
    sb_pay_row r;
    ct_status rc = sb__pay_find(st, q->id, &r);
    if (rc == CT_NOT_FOUND)
        return not_found_outcome(out, "payment", q->id);
    if (rc)
        return rc;
    if (strcmp(r.status, "requires_action") != 0)
        return state_outcome(out, &r, "only a requires_action payment can be confirmed");
    int manual = strcmp(r.capture_method, "manual") == 0;
    r.updated = now;
    if (q->fail) {
        sb__pay_copy(r.status, sizeof(r.status), "failed");
        sb__pay_copy(r.failure_code, sizeof(r.failure_code), "authentication_failed");
    } else {
        sb__pay_copy(r.status, sizeof(r.status), manual ? "authorized" : "succeeded");
        r.captured = manual ? 0 : r.amount;
    }
    rc = sb__pay_update(st, &r);
    return rc ? rc : payment_outcome(st, &r, 200, out);
}

ct_status sb__pay_op_capture(ct_store *st, int64_t now, void *arg, sb_pay_outcome *out)
{
    const sb_pay_change *q = arg;
    sb_pay_row r;
    ct_status rc = sb__pay_find(st, q->id, &r);
    if (rc == CT_NOT_FOUND)
        return not_found_outcome(out, "payment", q->id);
    if (rc)
        return rc;
    if (strcmp(r.status, "authorized") != 0)
        return state_outcome(out, &r, "only an authorized payment can be captured");
    if (q->amount > r.amount)
        return error_outcome(out, 400, "amount_too_large", "amount",
                             "amount %lld exceeds the authorized %lld", (long long)q->amount,
                             (long long)r.amount);
    sb__pay_copy(r.status, sizeof(r.status), "succeeded");
    r.captured = q->amount > 0 ? q->amount : r.amount;
    r.updated = now;
    rc = sb__pay_update(st, &r);
    return rc ? rc : payment_outcome(st, &r, 200, out);
}

ct_status sb__pay_op_cancel(ct_store *st, int64_t now, void *arg, sb_pay_outcome *out)
{
    const sb_pay_change *q = arg;
    sb_pay_row r;
    ct_status rc = sb__pay_find(st, q->id, &r);
    if (rc == CT_NOT_FOUND)
        return not_found_outcome(out, "payment", q->id);
    if (rc)
        return rc;
    if (strcmp(r.status, "authorized") != 0 && strcmp(r.status, "requires_action") != 0)
        return state_outcome(out, &r,
                             "only an authorized or requires_action payment can be "
                             "canceled (refund a captured one)");
    sb__pay_copy(r.status, sizeof(r.status), "canceled");
    r.updated = now;
    rc = sb__pay_update(st, &r);
    return rc ? rc : payment_outcome(st, &r, 200, out);
}

ct_status sb__pay_op_refund(ct_store *st, int64_t now, void *arg, sb_pay_outcome *out)
{
    const sb_pay_change *q = arg;
    sb_pay_row r;
    ct_status rc = sb__pay_find(st, q->id, &r);
    if (rc == CT_NOT_FOUND)
        return not_found_outcome(out, "payment", q->id);
    if (rc)
        return rc;
    if (strcmp(r.status, "succeeded") != 0)
        return state_outcome(out, &r, "only a succeeded (captured) payment can be refunded");
    int64_t left = r.captured - r.refunded;
    if (left == 0)
        return error_outcome(out, 409, "already_refunded", NULL,
                             "payment %s is already refunded in full", r.id);
    if (q->amount > left)
        return error_outcome(out, 400, "amount_too_large", "amount",
                             "amount %lld exceeds the %lld left to refund", (long long)q->amount,
                             (long long)left);
    int64_t amount = q->amount > 0 ? q->amount : left;
    char id[32];
    sb__pay_new_id("rfd_", id, sizeof(id));
    r.refunded += amount;
    r.updated = now;
    rc = sb__pay_refund_insert(st, id, &r, amount, q->reason, r.updated);
    if (rc == CT_OK)
        rc = sb__pay_update(st, &r);
    if (rc == CT_OK)
        rc = sb__pay_refund_json(st, id, &out->body);
    out->status = 201;
    return rc;
}
