/* payments_internal.h: shared by payments.c, payments_db.c, payments_ops.c and
 * payments_input.c only; not an interface (the interface is payments.h).
 *
 * The processor is four files: payments_db.c keeps the state file (schema, rows, JSON),
 * payments_ops.c decides (test cards, operations, the error dialect), payments_input.c checks
 * requests, and payments.c serves them (authentication, the idempotent write path, handlers,
 * lifecycle). Amounts are int64 minor units; times are world-clock seconds. */
#ifndef SB_PAYMENTS_INTERNAL_H
#define SB_PAYMENTS_INTERNAL_H

#include <jansson.h>
#include <stddef.h>
#include <stdint.h>

#include "base/status.h"
#include "http/http.h"
#include "sandbox/payments/payments.h"
#include "store/store.h"

#define SB_PAY_MAX_AMOUNT      99999999LL
#define SB_PAY_MAX_DESCRIPTION 500
#define SB_PAY_MAX_REFERENCE   200
#define SB_PAY_MAX_REASON      200
#define SB_PAY_MAX_LIST        100

/* ---- payments_db.c: rows ---- */

/* The tables payments, refunds and idempotency_keys (CREATE ... IF NOT EXISTS). */
extern const char sb__pay_schema[];

/* One payment as stored. Text members are "" when the column is NULL. */
typedef struct sb_pay_row {
    char id[32];
    char status[24]; /* requires_action, authorized, succeeded, failed, canceled */
    int64_t amount, captured, refunded;
    char currency[4];
    char capture_method[12]; /* automatic, manual */
    char brand[16];
    char last4[5];
    int exp_month, exp_year;
    char behavior[24];     /* the test-card behaviour the payment follows */
    char failure_code[32]; /* "" = none */
    char description[SB_PAY_MAX_DESCRIPTION + 1];
    char reference[SB_PAY_MAX_REFERENCE + 1];
    int64_t created, updated;
} sb_pay_row;

/* snprintf("%s") that takes NULL as "". */
void sb__pay_copy(char *dst, size_t size, const char *src);

/* A fresh id: prefix + 24 random hex digits. */
void sb__pay_new_id(const char *prefix, char *out, size_t len);

/* The message shown for a failure code ("card_declined" ...); never NULL. */
const char *sb__pay_failure_message(const char *code);

/* Loads payment `id`: CT_OK, CT_NOT_FOUND, or the store's error. */
ct_status sb__pay_find(ct_store *st, const char *id, sb_pay_row *r);
ct_status sb__pay_insert(ct_store *st, const sb_pay_row *r);
/* Writes status, amount_captured, amount_refunded, failure_code and updated back. */
ct_status sb__pay_update(ct_store *st, const sb_pay_row *r);

/* The payment as the API shows it, refunds included, in *out (caller owns). */
ct_status sb__pay_json(ct_store *st, const sb_pay_row *r, json_t **out);
/* The refunds of a payment, oldest first, as a new JSON array in *out. */
ct_status sb__pay_refunds_json(ct_store *st, const sb_pay_row *r, json_t **out);

ct_status sb__pay_refund_insert(ct_store *st, const char *id, const sb_pay_row *r, int64_t amount,
                                const char *reason, int64_t now);
/* Refund `id` as JSON in *out: CT_OK, CT_NOT_FOUND, or the store's error. */
ct_status sb__pay_refund_json(ct_store *st, const char *id, json_t **out);

typedef struct sb_pay_list_query {
    long limit;
    const char *status, *reference, *starting_after; /* NULL = no filter */
} sb_pay_list_query;

/* Appends payments newest first to `data`, after `starting_after` when set (cursor paging);
 * *has_more says whether more follow. */
ct_status sb__pay_list(ct_store *st, const sb_pay_list_query *q, json_t *data, int *has_more);

/* ---- payments_ops.c: operations ---- */

/* A response computed inside a transaction: HTTP status and body (owned). */
typedef struct sb_pay_outcome {
    int status;
    json_t *body;
} sb_pay_outcome;

/* An operation run by the write path inside its transaction at world time `now`. It returns
 * CT_OK with *out set (success or a refusal in the error dialect, both to be stored under the
 * Idempotency-Key), or a store error, after which the transaction is rolled back. */
typedef ct_status (*sb_pay_op)(ct_store *st, int64_t now, void *arg, sb_pay_outcome *out);

/* The error dialect: {"error": {"category", "code", "message", "field"?}}. NULL on OOM. */
json_t *sb__pay_error_json(const char *category, const char *code, const char *field,
                           const char *message);

int sb__pay_luhn_valid(const char *digits);
/* "visa", "mastercard", "amex", "discover" or "unknown", from the number's prefix. */
const char *sb__pay_card_brand(const char *number);

typedef struct sb_pay_create {
    int64_t amount;
    char currency[4];
    char number[20];
    int exp_month, exp_year;
    int manual;
    const char *description, *reference; /* point into the request body, may be NULL */
} sb_pay_create;

/* Arguments of confirm, capture, cancel and refund. */
typedef struct sb_pay_change {
    const char *id;
    int64_t amount;     /* capture/refund amount; -1 = all that is left */
    int fail;           /* confirm: the cardholder fails the confirmation step */
    const char *reason; /* refund reason, may be NULL */
} sb_pay_change;

ct_status sb__pay_op_create(ct_store *st, int64_t now, void *arg, sb_pay_outcome *out);
ct_status sb__pay_op_confirm(ct_store *st, int64_t now, void *arg, sb_pay_outcome *out);
ct_status sb__pay_op_capture(ct_store *st, int64_t now, void *arg, sb_pay_outcome *out);
ct_status sb__pay_op_cancel(ct_store *st, int64_t now, void *arg, sb_pay_outcome *out);
ct_status sb__pay_op_refund(ct_store *st, int64_t now, void *arg, sb_pay_outcome *out);

/* ---- payments_input.c: validation ---- */

/* Why a request was rejected: the field ("" for the request as a whole), a code and a message. */
typedef struct sb_pay_input_error {
    char field[64];
    const char *code;
    char message[200];
} sb_pay_input_error;

/* Each returns CT_OK when the input is valid, else CT_INVALID with *e filled. */

/* Rejects members of `obj` not in `allowed` (NULL-terminated); `prefix` ("card.") names them. */
ct_status sb__pay_only_known(json_t *obj, const char *const *allowed, const char *prefix,
                             sb_pay_input_error *e);
/* An amount in minor units, 1..SB_PAY_MAX_AMOUNT; absent and optional gives *out = -1. */
ct_status sb__pay_get_amount(json_t *obj, const char *field, int required, int64_t *out,
                             sb_pay_input_error *e);
/* An optional string of at most `max` bytes; *out stays NULL when absent or null. */
ct_status sb__pay_get_text(json_t *obj, const char *field, size_t max, const char **out,
                           sb_pay_input_error *e);
/* The body of POST /v1/payments. */
ct_status sb__pay_parse_create(json_t *body, sb_pay_create *c, sb_pay_input_error *e);
/* The query of GET /v1/payments. */
ct_status sb__pay_parse_list(ct_http_req *req, sb_pay_list_query *q, sb_pay_input_error *e);

#endif
