/* payments.h: the client of the card processor (the module's interface).
 *
 * The platform takes card payments through one processor (the sandbox's, docs/sandbox.md
 * "Payment processor": a Stripe-like JSON dialect with its own error objects). A ct_payments
 * handle holds the processor's base URL, its secret key (sent as `Authorization: Bearer`) and
 * an upstream/ client of its own, so every call gets that module's deadline, retries and
 * circuit breaker (partner "payments"):
 *
 *   - every call that changes something carries the caller's Idempotency-Key, so upstream/
 *     retries it after a transport error, a time-out or a 5xx with the same key, and the
 *     processor runs it once (a repeated key with the same body replays the stored answer;
 *     with another body it is a 409, CT_CONFLICT here). Calls without a key (confirm, capture
 *     and cancel accept NULL) are sent once;
 *   - a 2xx answer that is not a payment object is unusable: retried like a 5xx;
 *   - amounts are integers in the currency's minor units (cents; yen are whole yen).
 *
 * Outcomes, the same for every call:
 *   CT_OK           the processor answered with a payment: *out filled. A refused card
 *                   (402 card_declined, insufficient_funds, expired_card,
 *                   authentication_failed) or a 502 processing_error is CT_OK too, with status
 *                   CT_PAY_FAILED and failure_code / failure_message set (the failed payment is
 *                   stored at the processor; try again with a NEW key);
 *   CT_INVALID      400: the request is malformed; err names the field ("card.number: ...");
 *   CT_NOT_FOUND    404: no such payment;
 *   CT_CONFLICT     409: the operation does not apply to the payment's status (payment_state,
 *                   already_refunded) or the key was used for another request
 *                   (idempotency_key_reused); err starts with the code;
 *   CT_UNAVAILABLE  no usable answer after the retries (transport error, time-out, 5xx other
 *                   than processing_error, a malformed body) or the breaker is open: the
 *                   outcome is unknown, retry later with the SAME key (or read the payment
 *                   back: ct_payments_find by reference);
 *   CT_ERR          the processor refused the secret key (401) or another unexpected answer;
 *   CT_NOMEM.
 * `err` (may be NULL) receives a one-line reason for anything but CT_OK, or the failure's code
 * and message for a failed payment.
 *
 * A handle is thread-safe (upstream/'s blocking call); curl_global_init must have run. */
#ifndef CT_PAYMENTS_PAYMENTS_H
#define CT_PAYMENTS_PAYMENTS_H

#include <stddef.h>
#include <stdint.h>

#include "base/status.h"
#include "upstream/upstream.h"

typedef struct ct_payments ct_payments; /* one processor: base URL + secret key */

/* Tuning of the handle's upstream client; zero members take upstream/'s defaults, except
 * `deadline_ms` (whole call, retries included; default 20000). */
typedef struct ct_payments_config {
    const char *base_url;   /* required, e.g. "http://127.0.0.1:8091" (copied) */
    const char *secret_key; /* required (copied) */
    int max_attempts, backoff_ms, backoff_max_ms, timeout_ms, connect_timeout_ms;
    int breaker_failures, breaker_cooldown_ms;
    int64_t deadline_ms;
} ct_payments_config;

/* A handle on the processor at `base_url` with `secret_key` (both copied), default tuning.
 * CT_INVALID (missing URL or key), CT_NOMEM, CT_ERR (curl). The caller owns *out. */
ct_status ct_payments_new(const char *base_url, const char *secret_key, ct_payments **out);
/* The same with explicit tuning. */
ct_status ct_payments_new_config(const ct_payments_config *cfg, ct_payments **out);
/* Frees the handle; no call may be running. NULL is a no-op. */
void ct_payments_free(ct_payments *p);

/* The handle's upstream client (borrowed): breaker state and statistics for /metrics
 * (partner "payments"). */
ct_upstream *ct_payments_upstream(ct_payments *p);

typedef enum ct_pay_status {
    CT_PAY_REQUIRES_ACTION, /* waiting for ct_payments_confirm */
    CT_PAY_AUTHORIZED,      /* manual capture: waiting for ct_payments_capture or _cancel */
    CT_PAY_SUCCEEDED,       /* captured (refunds do not change it) */
    CT_PAY_FAILED,          /* see failure_code */
    CT_PAY_CANCELED
} ct_pay_status;

typedef struct ct_pay_card {
    char number[20];
    int exp_month, exp_year;
    char cvc[5];
} ct_pay_card;

typedef struct ct_payment {
    char id[64];
    ct_pay_status status;
    int64_t amount, captured, refunded; /* minor units; refunded <= captured <= amount */
    char currency[4];                   /* upper case */
    char failure_code[48];              /* "" unless FAILED */
    char failure_message[256];
    char confirm_url[256]; /* REQUIRES_ACTION: the processor's confirm path, else "" */
    char brand[16], last4[5];
    char reference[201]; /* the caller's reference ("" when none) */
} ct_payment;

/* "requires_action", "authorized", "succeeded", "failed", "canceled". */
const char *ct_pay_status_name(ct_pay_status s);

/* POST /v1/payments: charges `amount` (minor units, 1-99999999) of `currency` (three
 * letters) on `card`. manual_capture: authorise only (capture after ticketing).
 * `reference` (<= 200 bytes) and `description` (<= 500) may be NULL. idempotency_key is
 * required. Card errors (402) return CT_OK with status FAILED and failure_code;
 * CT_UNAVAILABLE for 5xx/transport (retry with the same key), CT_INVALID for a 400 (err
 * names the field), CT_CONFLICT for 409. */
ct_status ct_payments_create(ct_payments *p, const char *idempotency_key, int64_t amount,
                             const char *currency, const ct_pay_card *card, int manual_capture,
                             const char *reference, const char *description, ct_payment *out,
                             char *err, size_t errlen);
/* POST /v1/payments/{id}/confirm: completes a REQUIRES_ACTION payment; authentication_pass 0
 * makes the cardholder fail (CT_OK, FAILED, authentication_failed). Key may be NULL. */
ct_status ct_payments_confirm(ct_payments *p, const char *id, const char *idempotency_key,
                              int authentication_pass, ct_payment *out, char *err, size_t errlen);
/* POST /v1/payments/{id}/capture: captures an AUTHORIZED payment in full. Key may be NULL. */
ct_status ct_payments_capture(ct_payments *p, const char *id, const char *idempotency_key,
                              ct_payment *out, char *err, size_t errlen);
/* POST /v1/payments/{id}/cancel: voids an AUTHORIZED or REQUIRES_ACTION payment
 * (CT_CONFLICT for a captured one: refund it). Key may be NULL. */
ct_status ct_payments_cancel(ct_payments *p, const char *id, const char *idempotency_key,
                             ct_payment *out, char *err, size_t errlen);
/* POST /v1/payments/{id}/refunds: refunds `amount` (minor units; 0: whatever is left) of a
 * SUCCEEDED payment, then reads the payment back into *out (refunded updated). Key required.
 * CT_INVALID (amount_too_large), CT_CONFLICT (already_refunded, payment_state). */
ct_status ct_payments_refund(ct_payments *p, const char *id, const char *idempotency_key,
                             int64_t amount, ct_payment *out, char *err, size_t errlen);
/* GET /v1/payments/{id}. CT_NOT_FOUND when unknown. */
ct_status ct_payments_get(ct_payments *p, const char *id, ct_payment *out, char *err,
                          size_t errlen);
/* The payments whose reference is `reference` (GET /v1/payments?reference=, every page),
 * newest first, for recovery: up to `max` into out, *n receives how many (0 is CT_OK). */
ct_status ct_payments_find(ct_payments *p, const char *reference, ct_payment *out, int max, int *n,
                           char *err, size_t errlen);

#endif
