/* payments.c: the sandbox payment processor (see payments.h for the contract).
 *
 * Layout: the state file's schema; the test cards; payment rows (load, insert, update, JSON);
 * the processor's error dialect; input validation; the write path (one transaction per
 * request, with the idempotency record); the handlers; the server lifecycle and the
 * `payments` subcommand.
 *
 * The write path. Every request that changes state runs as a `write_op` inside
 * run_write(): take a pooled connection, BEGIN IMMEDIATE (the write lock, so nothing can
 * change between our reads and our writes), look the Idempotency-Key up (found: replay the
 * stored response or refuse a different request; nothing else happens), run the operation,
 * serialise its response, store it under the key, COMMIT, and only then answer. A busy
 * database or a lost race on the key's primary key (possible on engines without an
 * up-front write lock) rolls back and runs the whole request again, up to three times: the
 * retry then finds the key and replays. Invariants also held by the schema's CHECKs:
 * 0 <= amount_refunded <= amount_captured <= amount.
 *
 * Its own dialect: errors are {"error": {"category", "code", "message", "field"?,
 * "payment"?}} with 400 for bad input, 401 for authentication, 402 for card failures, 404, 409
 * for state and idempotency conflicts and 502 for processing errors. The HTTP layer's own
 * 404/405/413 for unknown routes and oversized bodies stay problem+json. */
#define _GNU_SOURCE
#include "sandbox/payments.h"

#include <ctype.h>
#include <jansson.h>
#include <sodium.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "base/alloc.h"
#include "base/log.h"
#include "base/timeutil.h"
#include "sandbox/clock.h"
#include "sandbox/daemon.h"
#include "sandbox/dbpool.h"
#include "sandbox/services.h"
#include "store/store.h"

#define MAX_AMOUNT      99999999LL
#define MAX_DESCRIPTION 500
#define MAX_REFERENCE   200
#define MAX_REASON      200
#define MAX_IDEM_KEY    255
#define MAX_LIST        100
#define WRITE_ATTEMPTS  3
#define DEFAULT_THREADS 4

struct sb_payments {
    sb_dbpool *db;
    sb_clock *clock;
    char *secret_key;
    ct_router *router;
    ct_http_server *server;
};

static const char schema_sql[] =
    "CREATE TABLE IF NOT EXISTS payments ("
    " seq INTEGER PRIMARY KEY,"
    " id TEXT NOT NULL UNIQUE,"
    " status TEXT NOT NULL,"
    " amount BIGINT NOT NULL CHECK (amount > 0),"
    " currency TEXT NOT NULL,"
    " capture_method TEXT NOT NULL,"
    " amount_captured BIGINT NOT NULL CHECK (amount_captured BETWEEN 0 AND amount),"
    " amount_refunded BIGINT NOT NULL CHECK (amount_refunded BETWEEN 0 AND amount_captured),"
    " card_brand TEXT NOT NULL,"
    " card_last4 TEXT NOT NULL,"
    " card_exp_month INTEGER NOT NULL,"
    " card_exp_year INTEGER NOT NULL,"
    " card_behavior TEXT NOT NULL,"
    " failure_code TEXT,"
    " description TEXT,"
    " reference TEXT,"
    " created BIGINT NOT NULL,"
    " updated BIGINT NOT NULL);"
    "CREATE INDEX IF NOT EXISTS payments_reference ON payments(reference);"
    "CREATE TABLE IF NOT EXISTS refunds ("
    " seq INTEGER PRIMARY KEY,"
    " id TEXT NOT NULL UNIQUE,"
    " payment_id TEXT NOT NULL REFERENCES payments(id),"
    " amount BIGINT NOT NULL CHECK (amount > 0),"
    " reason TEXT,"
    " created BIGINT NOT NULL);"
    "CREATE INDEX IF NOT EXISTS refunds_payment ON refunds(payment_id);"
    "CREATE TABLE IF NOT EXISTS idempotency_keys ("
    " key TEXT PRIMARY KEY,"
    " fingerprint TEXT NOT NULL,"
    " status INTEGER NOT NULL,"
    " body TEXT NOT NULL,"
    " created BIGINT NOT NULL);";

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

static const struct {
    const char *code;
    const char *message;
} failures[] = {
    {"card_declined", "The card was declined by its issuer."},
    {"insufficient_funds", "The card has insufficient funds for this amount."},
    {"expired_card", "The card has expired."},
    {"processing_error", "The card network could not be reached; nothing was charged. Retry with "
                         "a new Idempotency-Key."},
    {"authentication_failed", "The cardholder did not complete the confirmation step."},
};

static const char *failure_message(const char *code)
{
    for (size_t i = 0; i < sizeof(failures) / sizeof(failures[0]); i++) {
        if (strcmp(code, failures[i].code) == 0)
            return failures[i].message;
    }
    return "The payment failed.";
}

static int luhn_valid(const char *digits)
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

static const char *card_brand(const char *number)
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

/* ---- payment rows ---- */

typedef struct payment_row {
    char id[32];
    char status[24];
    int64_t amount, captured, refunded;
    char currency[4];
    char capture_method[12];
    char brand[16];
    char last4[5];
    int exp_month, exp_year;
    char behavior[24];
    char failure_code[32]; /* "" = none */
    char description[MAX_DESCRIPTION + 1];
    char reference[MAX_REFERENCE + 1];
    int64_t created, updated;
} payment_row;

#define PAYMENT_COLUMNS                                                                            \
    "id, status, amount, currency, capture_method, amount_captured, amount_refunded,"              \
    " card_brand, card_last4, card_exp_month, card_exp_year, card_behavior, failure_code,"         \
    " description, reference, created, updated"

static void copy_text(char *dst, size_t size, const char *src)
{
    snprintf(dst, size, "%s", src ? src : "");
}

static void row_read(ct_stmt *s, payment_row *r)
{
    copy_text(r->id, sizeof(r->id), ct_stmt_text(s, 0));
    copy_text(r->status, sizeof(r->status), ct_stmt_text(s, 1));
    r->amount = ct_stmt_int64(s, 2);
    copy_text(r->currency, sizeof(r->currency), ct_stmt_text(s, 3));
    copy_text(r->capture_method, sizeof(r->capture_method), ct_stmt_text(s, 4));
    r->captured = ct_stmt_int64(s, 5);
    r->refunded = ct_stmt_int64(s, 6);
    copy_text(r->brand, sizeof(r->brand), ct_stmt_text(s, 7));
    copy_text(r->last4, sizeof(r->last4), ct_stmt_text(s, 8));
    r->exp_month = (int)ct_stmt_int64(s, 9);
    r->exp_year = (int)ct_stmt_int64(s, 10);
    copy_text(r->behavior, sizeof(r->behavior), ct_stmt_text(s, 11));
    copy_text(r->failure_code, sizeof(r->failure_code), ct_stmt_text(s, 12));
    copy_text(r->description, sizeof(r->description), ct_stmt_text(s, 13));
    copy_text(r->reference, sizeof(r->reference), ct_stmt_text(s, 14));
    r->created = ct_stmt_int64(s, 15);
    r->updated = ct_stmt_int64(s, 16);
}

/* Loads payment `id`: CT_OK, CT_NOT_FOUND, or the store's error. */
static ct_status payment_find(ct_store *st, const char *id, payment_row *r)
{
    ct_stmt *s = NULL;
    ct_status rc =
        ct_store_prepare(st, "SELECT " PAYMENT_COLUMNS " FROM payments WHERE id = ?", &s);
    if (rc == CT_OK)
        rc = ct_stmt_bind_text(s, 1, id);
    if (rc == CT_OK)
        rc = ct_stmt_step(s);
    if (rc == CT_ROW) {
        row_read(s, r);
        rc = CT_OK;
    } else if (rc == CT_DONE) {
        rc = CT_NOT_FOUND;
    }
    ct_stmt_finalize(s);
    return rc;
}

static const char *null_if_empty(const char *s)
{
    return *s ? s : NULL;
}

static ct_status payment_insert(ct_store *st, const payment_row *r)
{
    ct_stmt *s = NULL;
    ct_status rc = ct_store_prepare(st,
                                    "INSERT INTO payments (" PAYMENT_COLUMNS ") VALUES"
                                    " (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
                                    &s);
    if (rc)
        return rc;
    int i = 1;
    ct_stmt_bind_text(s, i++, r->id);
    ct_stmt_bind_text(s, i++, r->status);
    ct_stmt_bind_int64(s, i++, r->amount);
    ct_stmt_bind_text(s, i++, r->currency);
    ct_stmt_bind_text(s, i++, r->capture_method);
    ct_stmt_bind_int64(s, i++, r->captured);
    ct_stmt_bind_int64(s, i++, r->refunded);
    ct_stmt_bind_text(s, i++, r->brand);
    ct_stmt_bind_text(s, i++, r->last4);
    ct_stmt_bind_int64(s, i++, r->exp_month);
    ct_stmt_bind_int64(s, i++, r->exp_year);
    ct_stmt_bind_text(s, i++, r->behavior);
    ct_stmt_bind_text(s, i++, null_if_empty(r->failure_code));
    ct_stmt_bind_text(s, i++, null_if_empty(r->description));
    ct_stmt_bind_text(s, i++, null_if_empty(r->reference));
    ct_stmt_bind_int64(s, i++, r->created);
    ct_stmt_bind_int64(s, i, r->updated);
    rc = ct_stmt_step(s);
    ct_stmt_finalize(s);
    return rc == CT_DONE ? CT_OK : rc;
}

/* Writes the mutable columns of `r` back. */
static ct_status payment_update(ct_store *st, const payment_row *r)
{
    ct_stmt *s = NULL;
    ct_status rc = ct_store_prepare(st,
                                    "UPDATE payments SET status = ?, amount_captured = ?,"
                                    " amount_refunded = ?, failure_code = ?, updated = ?"
                                    " WHERE id = ?",
                                    &s);
    if (rc)
        return rc;
    ct_stmt_bind_text(s, 1, r->status);
    ct_stmt_bind_int64(s, 2, r->captured);
    ct_stmt_bind_int64(s, 3, r->refunded);
    ct_stmt_bind_text(s, 4, null_if_empty(r->failure_code));
    ct_stmt_bind_int64(s, 5, r->updated);
    ct_stmt_bind_text(s, 6, r->id);
    rc = ct_stmt_step(s);
    ct_stmt_finalize(s);
    return rc == CT_DONE ? CT_OK : rc;
}

static json_t *time_json(int64_t t)
{
    char buf[32];
    return json_string(ct_utc_format(t, buf, sizeof(buf)));
}

static json_t *text_or_null(const char *s)
{
    return *s ? json_string(s) : json_null();
}

static json_t *refund_json(ct_stmt *s, const char *currency)
{
    json_t *j =
        json_pack("{s:s, s:s, s:s, s:I, s:s, s:s}", "id", ct_stmt_text(s, 0), "object", "refund",
                  "payment", ct_stmt_text(s, 1), "amount", (json_int_t)ct_stmt_int64(s, 2),
                  "currency", currency, "status", "succeeded");
    if (j == NULL)
        return NULL;
    const char *reason = ct_stmt_text(s, 3);
    json_object_set_new(j, "reason", reason ? json_string(reason) : json_null());
    json_object_set_new(j, "created", time_json(ct_stmt_int64(s, 4)));
    return j;
}

#define REFUND_COLUMNS "id, payment_id, amount, reason, created"

/* The refunds of a payment, oldest first, as a JSON array in *out. */
static ct_status refunds_json(ct_store *st, const payment_row *r, json_t **out)
{
    ct_stmt *s = NULL;
    json_t *list = json_array();
    ct_status rc = list ? CT_OK : CT_NOMEM;
    if (rc == CT_OK)
        rc = ct_store_prepare(
            st, "SELECT " REFUND_COLUMNS " FROM refunds WHERE payment_id = ? ORDER BY seq", &s);
    if (rc == CT_OK)
        rc = ct_stmt_bind_text(s, 1, r->id);
    while (rc == CT_OK && (rc = ct_stmt_step(s)) == CT_ROW) {
        json_t *one = refund_json(s, r->currency);
        rc = one && json_array_append_new(list, one) == 0 ? CT_OK : CT_NOMEM;
    }
    ct_stmt_finalize(s);
    if (rc != CT_DONE) {
        json_decref(list);
        return rc == CT_OK ? CT_ERR : rc;
    }
    *out = list;
    return CT_OK;
}

static json_t *next_action_json(const payment_row *r)
{
    if (strcmp(r->status, "requires_action") != 0)
        return json_null();
    char url[96];
    snprintf(url, sizeof(url), "/v1/payments/%s/confirm", r->id);
    return json_pack("{s:s, s:s}", "type", "confirm", "confirm_url", url);
}

static json_t *failure_json(const payment_row *r)
{
    if (r->failure_code[0] == '\0')
        return json_null();
    return json_pack("{s:s, s:s}", "code", r->failure_code, "message",
                     failure_message(r->failure_code));
}

/* The payment as the API shows it, refunds included. */
static ct_status payment_json(ct_store *st, const payment_row *r, json_t **out)
{
    json_t *refunds = NULL;
    ct_status rc = refunds_json(st, r, &refunds);
    if (rc)
        return rc;
    json_t *j = json_pack("{s:s, s:s, s:s, s:I, s:s, s:I, s:I, s:s, s:{s:s, s:s, s:i, s:i}}", "id",
                          r->id, "object", "payment", "status", r->status, "amount",
                          (json_int_t)r->amount, "currency", r->currency, "amount_captured",
                          (json_int_t)r->captured, "amount_refunded", (json_int_t)r->refunded,
                          "capture_method", r->capture_method, "card", "brand", r->brand, "last4",
                          r->last4, "exp_month", r->exp_month, "exp_year", r->exp_year);
    if (j == NULL) {
        json_decref(refunds);
        return CT_NOMEM;
    }
    json_object_set_new(j, "description", text_or_null(r->description));
    json_object_set_new(j, "reference", text_or_null(r->reference));
    json_object_set_new(j, "failure", failure_json(r));
    json_object_set_new(j, "next_action", next_action_json(r));
    json_object_set_new(j, "refunds", refunds);
    json_object_set_new(j, "created", time_json(r->created));
    json_object_set_new(j, "updated", time_json(r->updated));
    *out = j;
    return CT_OK;
}

static void new_id(const char *prefix, char *out, size_t len)
{
    unsigned char raw[12];
    char hex[2 * sizeof(raw) + 1];
    randombytes_buf(raw, sizeof(raw));
    sodium_bin2hex(hex, sizeof(hex), raw, sizeof(raw));
    snprintf(out, len, "%s%s", prefix, hex);
}

/* ---- the error dialect ---- */

/* A response computed inside a transaction: status and body (owned). */
typedef struct outcome {
    int status;
    json_t *body;
} outcome;

static json_t *error_json(const char *category, const char *code, const char *field,
                          const char *message)
{
    json_t *e =
        json_pack("{s:s, s:s, s:s}", "category", category, "code", code, "message", message);
    if (e != NULL && field != NULL)
        json_object_set_new(e, "field", json_string(field));
    return e ? json_pack("{s:o}", "error", e) : NULL;
}

static void reply_error(ct_http_req *req, int status, const char *category, const char *code,
                        const char *field, const char *message)
{
    ct_http_reply_json(req, status, error_json(category, code, field, message));
}

static ct_status error_outcome(outcome *out, int status, const char *code, const char *field,
                               const char *fmt, ...) __attribute__((format(printf, 5, 6)));

static ct_status error_outcome(outcome *out, int status, const char *code, const char *field,
                               const char *fmt, ...)
{
    char message[256];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(message, sizeof(message), fmt, ap);
    va_end(ap);
    out->status = status;
    out->body = error_json("request", code, field, message);
    return out->body ? CT_OK : CT_NOMEM;
}

/* The response for a payment after an operation: the payment itself with `status`, or for a
 * failed payment the card (402) or processing (502) error carrying the payment. */
static ct_status payment_outcome(ct_store *st, const payment_row *r, int status, outcome *out)
{
    json_t *pj = NULL;
    ct_status rc = payment_json(st, r, &pj);
    if (rc)
        return rc;
    if (strcmp(r->status, "failed") != 0) {
        out->status = status;
        out->body = pj;
        return CT_OK;
    }
    int processing = strcmp(r->failure_code, "processing_error") == 0;
    out->status = processing ? 502 : 402;
    out->body = error_json(processing ? "processing" : "card", r->failure_code, NULL,
                           failure_message(r->failure_code));
    if (out->body == NULL) {
        json_decref(pj);
        return CT_NOMEM;
    }
    json_object_set_new(json_object_get(out->body, "error"), "payment", pj);
    return CT_OK;
}

static ct_status not_found_outcome(outcome *out, const char *what, const char *id)
{
    return error_outcome(out, 404, "resource_missing", "id", "no %s %s", what, id);
}

static ct_status state_outcome(outcome *out, const payment_row *r, const char *wanted)
{
    return error_outcome(out, 409, "payment_state", NULL, "payment %s is %s; %s", r->id, r->status,
                         wanted);
}

/* ---- input validation ---- */

typedef struct input_error {
    char field[64]; /* "" = the request as a whole */
    const char *code;
    char message[200];
} input_error;

static int bad_input(input_error *e, const char *field, const char *code, const char *fmt, ...)
    __attribute__((format(printf, 4, 5)));

static int bad_input(input_error *e, const char *field, const char *code, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(e->message, sizeof(e->message), fmt, ap);
    va_end(ap);
    snprintf(e->field, sizeof(e->field), "%s", field);
    e->code = code;
    return -1;
}

static void reply_input_error(ct_http_req *req, const input_error *e)
{
    reply_error(req, 400, "request", e->code, e->field[0] ? e->field : NULL, e->message);
}

/* Rejects members of `obj` not in `allowed` (NULL-terminated); `prefix` ("card.") names them. */
static int only_known(json_t *obj, const char *const *allowed, const char *prefix, input_error *e)
{
    const char *key;
    json_t *value;
    json_object_foreach(obj, key, value)
    {
        size_t i = 0;
        while (allowed[i] != NULL && strcmp(allowed[i], key) != 0)
            i++;
        if (allowed[i] == NULL) {
            char field[64];
            snprintf(field, sizeof(field), "%s%s", prefix, key);
            return bad_input(e, field, "parameter_unknown", "%s is not a known parameter", field);
        }
    }
    return 0;
}

static int get_amount(json_t *obj, const char *field, int required, int64_t *out, input_error *e)
{
    json_t *v = json_object_get(obj, field);
    if (v == NULL && !required) {
        *out = -1;
        return 0;
    }
    if (v == NULL)
        return bad_input(e, field, "parameter_missing", "%s is required", field);
    if (!json_is_integer(v) || json_integer_value(v) < 1 || json_integer_value(v) > MAX_AMOUNT)
        return bad_input(e, field, "parameter_invalid",
                         "%s must be an integer from 1 to %lld, in minor units (cents)", field,
                         MAX_AMOUNT);
    *out = json_integer_value(v);
    return 0;
}

/* An optional string of at most `max` bytes; *out stays NULL when absent or null. */
static int get_opt_text(json_t *obj, const char *field, size_t max, const char **out,
                        input_error *e)
{
    json_t *v = json_object_get(obj, field);
    *out = NULL;
    if (v == NULL || json_is_null(v))
        return 0;
    if (!json_is_string(v) || json_string_length(v) > max)
        return bad_input(e, field, "parameter_invalid", "%s must be a string of at most %zu bytes",
                         field, max);
    *out = json_string_value(v);
    return 0;
}

static int all_digits(const char *s, size_t min, size_t max)
{
    size_t n = strlen(s);
    if (n < min || n > max)
        return 0;
    for (size_t i = 0; i < n; i++) {
        if (!isdigit((unsigned char)s[i]))
            return 0;
    }
    return 1;
}

typedef struct create_req {
    int64_t amount;
    char currency[4];
    char number[20];
    int exp_month, exp_year;
    int manual;
    const char *description, *reference; /* point into the request body */
} create_req;

static int parse_card(json_t *card, create_req *c, input_error *e)
{
    static const char *const allowed[] = {"number", "exp_month", "exp_year", "cvc", NULL};
    if (!json_is_object(card))
        return bad_input(e, "card", card ? "parameter_invalid" : "parameter_missing",
                         "card must be an object with number, exp_month, exp_year and cvc");
    if (only_known(card, allowed, "card.", e))
        return -1;
    json_t *number = json_object_get(card, "number");
    json_t *month = json_object_get(card, "exp_month");
    json_t *year = json_object_get(card, "exp_year");
    json_t *cvc = json_object_get(card, "cvc");
    if (!json_is_string(number) || !all_digits(json_string_value(number), 12, 19) ||
        !luhn_valid(json_string_value(number)))
        return bad_input(e, "card.number", number ? "parameter_invalid" : "parameter_missing",
                         "card.number must be a string of 12 to 19 digits that passes the Luhn "
                         "check");
    snprintf(c->number, sizeof(c->number), "%s", json_string_value(number));
    if (!json_is_integer(month) || json_integer_value(month) < 1 || json_integer_value(month) > 12)
        return bad_input(e, "card.exp_month", month ? "parameter_invalid" : "parameter_missing",
                         "card.exp_month must be an integer from 1 to 12");
    if (!json_is_integer(year) || json_integer_value(year) < 2000 ||
        json_integer_value(year) > 2099)
        return bad_input(e, "card.exp_year", year ? "parameter_invalid" : "parameter_missing",
                         "card.exp_year must be a four-digit year from 2000 to 2099");
    c->exp_month = (int)json_integer_value(month);
    c->exp_year = (int)json_integer_value(year);
    size_t cvc_len = strcmp(card_brand(c->number), "amex") == 0 ? 4 : 3;
    if (!json_is_string(cvc) || !all_digits(json_string_value(cvc), cvc_len, cvc_len))
        return bad_input(e, "card.cvc", cvc ? "parameter_invalid" : "parameter_missing",
                         "card.cvc must be a string of %zu digits", cvc_len);
    return 0;
}

static int parse_create(json_t *body, create_req *c, input_error *e)
{
    static const char *const allowed[] = {"amount",      "currency",  "card", "capture_method",
                                          "description", "reference", NULL};
    if (only_known(body, allowed, "", e) || get_amount(body, "amount", 1, &c->amount, e))
        return -1;
    json_t *cur = json_object_get(body, "currency");
    const char *cs = json_string_value(cur);
    if (cs == NULL || strlen(cs) != 3 || !isalpha((unsigned char)cs[0]) ||
        !isalpha((unsigned char)cs[1]) || !isalpha((unsigned char)cs[2]))
        return bad_input(e, "currency", cur ? "parameter_invalid" : "parameter_missing",
                         "currency must be a three-letter ISO 4217 code such as EUR");
    for (int i = 0; i < 3; i++)
        c->currency[i] = (char)toupper((unsigned char)cs[i]);
    c->currency[3] = '\0';
    if (parse_card(json_object_get(body, "card"), c, e))
        return -1;
    json_t *cm = json_object_get(body, "capture_method");
    const char *cms = cm ? json_string_value(cm) : "automatic";
    if (cms == NULL || (strcmp(cms, "automatic") != 0 && strcmp(cms, "manual") != 0))
        return bad_input(e, "capture_method", "parameter_invalid",
                         "capture_method must be \"automatic\" or \"manual\"");
    c->manual = strcmp(cms, "manual") == 0;
    if (get_opt_text(body, "description", MAX_DESCRIPTION, &c->description, e) ||
        get_opt_text(body, "reference", MAX_REFERENCE, &c->reference, e))
        return -1;
    return 0;
}

/* ---- operations (each runs inside run_write's transaction) ---- */

typedef ct_status (*write_op)(sb_payments *p, ct_store *st, void *arg, outcome *out);

static ct_status op_create(sb_payments *p, ct_store *st, void *arg, outcome *out)
{
    const create_req *c = arg;
    payment_row r;
    memset(&r, 0, sizeof(r));
    new_id("pay_", r.id, sizeof(r.id));
    r.amount = c->amount;
    memcpy(r.currency, c->currency, sizeof(r.currency));
    copy_text(r.capture_method, sizeof(r.capture_method), c->manual ? "manual" : "automatic");
    copy_text(r.brand, sizeof(r.brand), card_brand(c->number));
    copy_text(r.last4, sizeof(r.last4), c->number + strlen(c->number) - 4);
    r.exp_month = c->exp_month;
    r.exp_year = c->exp_year;
    copy_text(r.description, sizeof(r.description), c->description);
    copy_text(r.reference, sizeof(r.reference), c->reference);
    r.created = r.updated = sb_clock_now(p->clock);
    behavior what = card_behavior(c->number);
    copy_text(r.behavior, sizeof(r.behavior), behavior_names[what]);
    static const char *const failure_of[] = {NULL, "card_declined", "insufficient_funds", NULL,
                                             "processing_error"};
    const char *failure =
        card_expired(r.created, c->exp_month, c->exp_year) ? "expired_card" : failure_of[what];
    if (failure != NULL) {
        copy_text(r.status, sizeof(r.status), "failed");
        copy_text(r.failure_code, sizeof(r.failure_code), failure);
    } else if (what == CARD_REQUIRES_ACTION) {
        copy_text(r.status, sizeof(r.status), "requires_action");
    } else {
        copy_text(r.status, sizeof(r.status), c->manual ? "authorized" : "succeeded");
        r.captured = c->manual ? 0 : c->amount;
    }
    ct_status rc = payment_insert(st, &r);
    return rc ? rc : payment_outcome(st, &r, 201, out);
}

typedef struct payment_op_req {
    const char *id;
    int64_t amount;     /* capture/refund amount; -1 = all that is left */
    int fail;           /* confirm: the cardholder fails the confirmation step */
    const char *reason; /* refund reason, may be NULL */
} payment_op_req;

static ct_status op_confirm(sb_payments *p, ct_store *st, void *arg, outcome *out)
{
    const payment_op_req *q = arg;
    payment_row r;
    ct_status rc = payment_find(st, q->id, &r);
    if (rc == CT_NOT_FOUND)
        return not_found_outcome(out, "payment", q->id);
    if (rc)
        return rc;
    if (strcmp(r.status, "requires_action") != 0)
        return state_outcome(out, &r, "only a requires_action payment can be confirmed");
    int manual = strcmp(r.capture_method, "manual") == 0;
    r.updated = sb_clock_now(p->clock);
    if (q->fail) {
        copy_text(r.status, sizeof(r.status), "failed");
        copy_text(r.failure_code, sizeof(r.failure_code), "authentication_failed");
    } else {
        copy_text(r.status, sizeof(r.status), manual ? "authorized" : "succeeded");
        r.captured = manual ? 0 : r.amount;
    }
    rc = payment_update(st, &r);
    return rc ? rc : payment_outcome(st, &r, 200, out);
}

static ct_status op_capture(sb_payments *p, ct_store *st, void *arg, outcome *out)
{
    const payment_op_req *q = arg;
    payment_row r;
    ct_status rc = payment_find(st, q->id, &r);
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
    copy_text(r.status, sizeof(r.status), "succeeded");
    r.captured = q->amount > 0 ? q->amount : r.amount;
    r.updated = sb_clock_now(p->clock);
    rc = payment_update(st, &r);
    return rc ? rc : payment_outcome(st, &r, 200, out);
}

static ct_status op_cancel(sb_payments *p, ct_store *st, void *arg, outcome *out)
{
    const payment_op_req *q = arg;
    payment_row r;
    ct_status rc = payment_find(st, q->id, &r);
    if (rc == CT_NOT_FOUND)
        return not_found_outcome(out, "payment", q->id);
    if (rc)
        return rc;
    if (strcmp(r.status, "authorized") != 0 && strcmp(r.status, "requires_action") != 0)
        return state_outcome(out, &r,
                             "only an authorized or requires_action payment can be "
                             "canceled (refund a captured one)");
    copy_text(r.status, sizeof(r.status), "canceled");
    r.updated = sb_clock_now(p->clock);
    rc = payment_update(st, &r);
    return rc ? rc : payment_outcome(st, &r, 200, out);
}

static ct_status refund_insert(ct_store *st, const char *id, const payment_row *r, int64_t amount,
                               const char *reason, int64_t now)
{
    ct_stmt *s = NULL;
    ct_status rc = ct_store_prepare(st,
                                    "INSERT INTO refunds (" REFUND_COLUMNS ") VALUES"
                                    " (?, ?, ?, ?, ?)",
                                    &s);
    if (rc)
        return rc;
    ct_stmt_bind_text(s, 1, id);
    ct_stmt_bind_text(s, 2, r->id);
    ct_stmt_bind_int64(s, 3, amount);
    ct_stmt_bind_text(s, 4, reason);
    ct_stmt_bind_int64(s, 5, now);
    rc = ct_stmt_step(s);
    ct_stmt_finalize(s);
    return rc == CT_DONE ? CT_OK : rc;
}

/* Reads refund `id` back as JSON (after insert, or for GET). */
static ct_status refund_find_json(ct_store *st, const char *id, json_t **out)
{
    ct_stmt *s = NULL;
    ct_status rc = ct_store_prepare(st,
                                    "SELECT r.id, r.payment_id, r.amount, r.reason, r.created,"
                                    " p.currency FROM refunds r JOIN payments p"
                                    " ON p.id = r.payment_id WHERE r.id = ?",
                                    &s);
    if (rc == CT_OK)
        rc = ct_stmt_bind_text(s, 1, id);
    if (rc == CT_OK)
        rc = ct_stmt_step(s);
    if (rc == CT_ROW) {
        *out = refund_json(s, ct_stmt_text(s, 5));
        rc = *out ? CT_OK : CT_NOMEM;
    } else if (rc == CT_DONE) {
        rc = CT_NOT_FOUND;
    }
    ct_stmt_finalize(s);
    return rc;
}

static ct_status op_refund(sb_payments *p, ct_store *st, void *arg, outcome *out)
{
    const payment_op_req *q = arg;
    payment_row r;
    ct_status rc = payment_find(st, q->id, &r);
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
    new_id("rfd_", id, sizeof(id));
    r.refunded += amount;
    r.updated = sb_clock_now(p->clock);
    rc = refund_insert(st, id, &r, amount, q->reason, r.updated);
    if (rc == CT_OK)
        rc = payment_update(st, &r);
    if (rc == CT_OK)
        rc = refund_find_json(st, id, &out->body);
    out->status = 201;
    return rc;
}

/* ---- the write path: transaction + idempotency ---- */

typedef struct write_call {
    const char *key; /* Idempotency-Key, or NULL */
    char fingerprint[2 * crypto_generichash_BYTES + 1];
    write_op op;
    void *arg;
} write_call;

typedef struct stored_response {
    char fingerprint[2 * crypto_generichash_BYTES + 1];
    int status;
    char *body;
} stored_response;

/* CT_OK with the stored response (body malloc'd) when `key` was used; CT_NOT_FOUND if not. */
static ct_status idem_find(ct_store *st, const char *key, stored_response *out)
{
    ct_stmt *s = NULL;
    ct_status rc = ct_store_prepare(
        st, "SELECT fingerprint, status, body FROM idempotency_keys WHERE key = ?", &s);
    if (rc == CT_OK)
        rc = ct_stmt_bind_text(s, 1, key);
    if (rc == CT_OK)
        rc = ct_stmt_step(s);
    if (rc == CT_ROW) {
        copy_text(out->fingerprint, sizeof(out->fingerprint), ct_stmt_text(s, 0));
        out->status = (int)ct_stmt_int64(s, 1);
        out->body = ct_strdup(ct_stmt_text(s, 2));
        rc = out->body ? CT_OK : CT_NOMEM;
    } else if (rc == CT_DONE) {
        rc = CT_NOT_FOUND;
    }
    ct_stmt_finalize(s);
    return rc;
}

static ct_status idem_save(ct_store *st, const write_call *call, int status, const char *body,
                           int64_t now)
{
    ct_stmt *s = NULL;
    ct_status rc = ct_store_prepare(st,
                                    "INSERT INTO idempotency_keys (key, fingerprint, status, body,"
                                    " created) VALUES (?, ?, ?, ?, ?)",
                                    &s);
    if (rc)
        return rc;
    ct_stmt_bind_text(s, 1, call->key);
    ct_stmt_bind_text(s, 2, call->fingerprint);
    ct_stmt_bind_int64(s, 3, status);
    ct_stmt_bind_text(s, 4, body);
    ct_stmt_bind_int64(s, 5, now);
    rc = ct_stmt_step(s);
    ct_stmt_finalize(s);
    return rc == CT_DONE ? CT_OK : rc;
}

static void replay(ct_http_req *req, const write_call *call, const stored_response *stored)
{
    if (strcmp(stored->fingerprint, call->fingerprint) != 0) {
        reply_error(req, 409, "idempotency", "idempotency_key_reused", "Idempotency-Key",
                    "this Idempotency-Key was used for a different request (method, path or "
                    "body); use a new key for a new request");
        return;
    }
    ct_http_reply(req, stored->status, "application/json", stored->body, strlen(stored->body));
    ct_http_add_header(req, "Idempotent-Replayed", "true");
}

/* One attempt at a write request. CT_OK once a response is set; CT_AGAIN / CT_CONFLICT when
 * the attempt lost a race and rolled back (retry); another status on failure. */
static ct_status try_write(ct_http_req *req, sb_payments *p, const write_call *call)
{
    ct_store *st = sb_dbpool_acquire(p->db);
    stored_response stored = {0};
    outcome out = {0};
    char *text = NULL;
    ct_status rc = ct_store_begin(st);
    if (rc)
        goto failed;
    if (call->key != NULL) {
        rc = idem_find(st, call->key, &stored);
        if (rc == CT_OK) {
            ct_store_rollback(st);
            replay(req, call, &stored);
            goto done;
        }
        if (rc != CT_NOT_FOUND)
            goto failed;
    }
    rc = call->op(p, st, call->arg, &out);
    text = rc == CT_OK ? json_dumps(out.body, JSON_COMPACT | JSON_PRESERVE_ORDER) : NULL;
    if (rc == CT_OK && text == NULL)
        rc = CT_NOMEM;
    if (rc == CT_OK && call->key != NULL)
        rc = idem_save(st, call, out.status, text, sb_clock_now(p->clock));
    if (rc == CT_OK)
        rc = ct_store_commit(st);
    if (rc)
        goto failed;
    ct_http_reply(req, out.status, "application/json", text, strlen(text));
    goto done;
failed:
    ct_log(rc == CT_AGAIN || rc == CT_CONFLICT ? CT_LOG_INFO : CT_LOG_ERROR,
           "payments.write_failed", "status", ct_status_name(rc), "error", ct_store_errmsg(st),
           NULL);
    ct_store_rollback(st);
done:
    sb_dbpool_release(p->db, st);
    free(text);
    json_decref(out.body);
    ct_free(stored.body);
    return rc;
}

static void run_write(ct_http_req *req, sb_payments *p, const write_call *call)
{
    ct_status rc = CT_AGAIN;
    for (int attempt = 0; attempt < WRITE_ATTEMPTS && (rc == CT_AGAIN || rc == CT_CONFLICT);
         attempt++)
        rc = try_write(req, p, call);
    if (rc == CT_AGAIN || rc == CT_CONFLICT)
        reply_error(req, 503, "internal", "busy", NULL,
                    "the processor is busy; retry with the same Idempotency-Key");
    else if (rc)
        reply_error(req, 500, "internal", "internal_error", NULL,
                    "the request failed; nothing was changed");
}

/* ---- request prelude: authentication, idempotency key, body ---- */

static int authorized(ct_http_req *req, sb_payments *p)
{
    const char *auth = ct_http_header(req, "Authorization");
    if (auth == NULL || auth[0] == '\0') {
        reply_error(req, 401, "authentication", "authentication_required", NULL,
                    "send your secret key as Authorization: Bearer sk_sandbox_...");
        ct_http_add_header(req, "WWW-Authenticate", "Bearer realm=\"sandbox-payments\"");
        return 0;
    }
    size_t want = strlen(p->secret_key);
    int ok = strncmp(auth, "Bearer ", 7) == 0 && strlen(auth + 7) == want &&
             sodium_memcmp(auth + 7, p->secret_key, want) == 0;
    if (!ok) {
        reply_error(req, 401, "authentication", "invalid_api_key", NULL,
                    "the Authorization header does not carry a valid secret key");
        ct_http_add_header(req, "WWW-Authenticate",
                           "Bearer realm=\"sandbox-payments\", error=\"invalid_token\"");
    }
    return ok;
}

typedef struct prelude {
    const char *key;
    json_t *body; /* owned; an empty object when the request had no body */
    char fingerprint[2 * crypto_generichash_BYTES + 1];
} prelude;

static int get_idem_key(ct_http_req *req, int required, const char **out)
{
    const char *key = ct_http_header(req, "Idempotency-Key");
    *out = key;
    if (key == NULL && !required)
        return 0;
    size_t n = key ? strlen(key) : 0;
    int ok = n >= 1 && n <= MAX_IDEM_KEY;
    for (size_t i = 0; ok && i < n; i++)
        ok = key[i] > 0x20 && key[i] < 0x7f;
    if (!ok)
        reply_error(req, 400, "idempotency",
                    key ? "idempotency_key_invalid" : "idempotency_key_required", "Idempotency-Key",
                    "send an Idempotency-Key header of 1 to 255 printable ASCII characters "
                    "(a UUID is a good choice)");
    return ok ? 0 : -1;
}

/* Parses the body (an object; empty counts as {} unless required) and computes the request's
 * fingerprint: a hash of method, path and the body re-serialised with sorted keys. */
static int read_body(ct_http_req *req, int required, prelude *pre)
{
    size_t len = 0;
    const char *text = ct_http_body(req, &len);
    json_error_t jerr;
    pre->body = len == 0 && !required ? json_object() : json_loadb(text, len, 0, &jerr);
    if (!json_is_object(pre->body)) {
        reply_error(req, 400, "request", len ? "invalid_body" : "body_required", NULL,
                    "the request body must be a JSON object");
        return -1;
    }
    char *canon = json_dumps(pre->body, JSON_COMPACT | JSON_SORT_KEYS);
    if (canon == NULL) {
        reply_error(req, 500, "internal", "internal_error", NULL, "out of memory");
        return -1;
    }
    unsigned char hash[crypto_generichash_BYTES];
    crypto_generichash_state hs;
    crypto_generichash_init(&hs, NULL, 0, sizeof(hash));
    crypto_generichash_update(&hs, (const unsigned char *)ct_http_method(req),
                              strlen(ct_http_method(req)));
    crypto_generichash_update(&hs, (const unsigned char *)"\n", 1);
    crypto_generichash_update(&hs, (const unsigned char *)ct_http_path(req),
                              strlen(ct_http_path(req)));
    crypto_generichash_update(&hs, (const unsigned char *)"\n", 1);
    crypto_generichash_update(&hs, (const unsigned char *)canon, strlen(canon));
    crypto_generichash_final(&hs, hash, sizeof(hash));
    sodium_bin2hex(pre->fingerprint, sizeof(pre->fingerprint), hash, sizeof(hash));
    free(canon);
    return 0;
}

/* Authentication, then the Idempotency-Key, then the body. -1 when a response was sent;
 * otherwise the caller owns pre->body. */
static int begin_write(ct_http_req *req, sb_payments *p, int key_required, int body_required,
                       prelude *pre)
{
    memset(pre, 0, sizeof(*pre));
    if (!authorized(req, p) || get_idem_key(req, key_required, &pre->key) ||
        read_body(req, body_required, pre)) {
        json_decref(pre->body);
        pre->body = NULL;
        return -1;
    }
    return 0;
}

static void run_prelude_write(ct_http_req *req, sb_payments *p, const prelude *pre, write_op op,
                              void *arg)
{
    write_call call = {.key = pre->key, .op = op, .arg = arg};
    memcpy(call.fingerprint, pre->fingerprint, sizeof(call.fingerprint));
    run_write(req, p, &call);
}

/* ---- handlers ---- */

static void h_healthz(ct_http_req *req, void *ctx)
{
    (void)ctx;
    ct_http_reply_json(req, 200, json_pack("{s:s, s:s}", "status", "ok", "service", "payments"));
}

static void h_create(ct_http_req *req, void *ctx)
{
    sb_payments *p = ctx;
    prelude pre;
    if (begin_write(req, p, 1, 1, &pre))
        return;
    create_req c;
    input_error e;
    memset(&c, 0, sizeof(c));
    if (parse_create(pre.body, &c, &e))
        reply_input_error(req, &e);
    else
        run_prelude_write(req, p, &pre, op_create, &c);
    json_decref(pre.body);
}

static void h_confirm(ct_http_req *req, void *ctx)
{
    static const char *const allowed[] = {"authentication", NULL};
    sb_payments *p = ctx;
    prelude pre;
    if (begin_write(req, p, 0, 0, &pre))
        return;
    payment_op_req q = {.id = ct_http_param(req, "id"), .amount = -1};
    input_error e;
    json_t *auth = json_object_get(pre.body, "authentication");
    const char *as = auth ? json_string_value(auth) : "pass";
    if (only_known(pre.body, allowed, "", &e))
        reply_input_error(req, &e);
    else if (as == NULL || (strcmp(as, "pass") != 0 && strcmp(as, "fail") != 0))
        reply_error(req, 400, "request", "parameter_invalid", "authentication",
                    "authentication must be \"pass\" or \"fail\"");
    else {
        q.fail = strcmp(as, "fail") == 0;
        run_prelude_write(req, p, &pre, op_confirm, &q);
    }
    json_decref(pre.body);
}

/* Capture and refund: optional amount (and for refunds a reason). */
static void amount_write(ct_http_req *req, sb_payments *p, int key_required, write_op op,
                         int with_reason)
{
    static const char *const capture_keys[] = {"amount", NULL};
    static const char *const refund_keys[] = {"amount", "reason", NULL};
    prelude pre;
    if (begin_write(req, p, key_required, 0, &pre))
        return;
    payment_op_req q = {.id = ct_http_param(req, "id")};
    input_error e;
    if (only_known(pre.body, with_reason ? refund_keys : capture_keys, "", &e) ||
        get_amount(pre.body, "amount", 0, &q.amount, &e) ||
        get_opt_text(pre.body, "reason", MAX_REASON, &q.reason, &e))
        reply_input_error(req, &e);
    else
        run_prelude_write(req, p, &pre, op, &q);
    json_decref(pre.body);
}

static void h_capture(ct_http_req *req, void *ctx)
{
    amount_write(req, ctx, 0, op_capture, 0);
}

static void h_refund(ct_http_req *req, void *ctx)
{
    amount_write(req, ctx, 1, op_refund, 1);
}

static void h_cancel(ct_http_req *req, void *ctx)
{
    static const char *const allowed[] = {NULL};
    sb_payments *p = ctx;
    prelude pre;
    if (begin_write(req, p, 0, 0, &pre))
        return;
    payment_op_req q = {.id = ct_http_param(req, "id"), .amount = -1};
    input_error e;
    if (only_known(pre.body, allowed, "", &e))
        reply_input_error(req, &e);
    else
        run_prelude_write(req, p, &pre, op_cancel, &q);
    json_decref(pre.body);
}

static void reply_internal(ct_http_req *req, ct_store *st, ct_status rc)
{
    ct_log(CT_LOG_ERROR, "payments.read_failed", "status", ct_status_name(rc), "error",
           ct_store_errmsg(st), NULL);
    reply_error(req, 500, "internal", "internal_error", NULL, "the request failed");
}

static void h_get(ct_http_req *req, void *ctx)
{
    sb_payments *p = ctx;
    if (!authorized(req, p))
        return;
    const char *id = ct_http_param(req, "id");
    ct_store *st = sb_dbpool_acquire(p->db);
    payment_row r;
    json_t *j = NULL;
    ct_status rc = payment_find(st, id, &r);
    if (rc == CT_OK)
        rc = payment_json(st, &r, &j);
    if (rc == CT_OK)
        ct_http_reply_json(req, 200, j);
    else if (rc == CT_NOT_FOUND)
        reply_error(req, 404, "request", "resource_missing", "id", "no such payment");
    else
        reply_internal(req, st, rc);
    sb_dbpool_release(p->db, st);
}

static void h_refunds_of(ct_http_req *req, void *ctx)
{
    sb_payments *p = ctx;
    if (!authorized(req, p))
        return;
    ct_store *st = sb_dbpool_acquire(p->db);
    payment_row r;
    json_t *list = NULL;
    ct_status rc = payment_find(st, ct_http_param(req, "id"), &r);
    if (rc == CT_OK)
        rc = refunds_json(st, &r, &list);
    if (rc == CT_OK)
        ct_http_reply_json(
            req, 200, json_pack("{s:s, s:o, s:b}", "object", "list", "data", list, "has_more", 0));
    else if (rc == CT_NOT_FOUND)
        reply_error(req, 404, "request", "resource_missing", "id", "no such payment");
    else
        reply_internal(req, st, rc);
    sb_dbpool_release(p->db, st);
}

static void h_get_refund(ct_http_req *req, void *ctx)
{
    sb_payments *p = ctx;
    if (!authorized(req, p))
        return;
    ct_store *st = sb_dbpool_acquire(p->db);
    json_t *j = NULL;
    ct_status rc = refund_find_json(st, ct_http_param(req, "id"), &j);
    if (rc == CT_OK)
        ct_http_reply_json(req, 200, j);
    else if (rc == CT_NOT_FOUND)
        reply_error(req, 404, "request", "resource_missing", "id", "no such refund");
    else
        reply_internal(req, st, rc);
    sb_dbpool_release(p->db, st);
}

typedef struct list_query {
    long limit;
    const char *status, *reference, *starting_after;
} list_query;

static int parse_list_query(ct_http_req *req, list_query *q, input_error *e)
{
    static const char *const statuses[] = {"requires_action", "authorized", "succeeded",
                                           "failed",          "canceled",   NULL};
    const char *limit = ct_http_query(req, "limit");
    char *end = NULL;
    q->limit = limit ? strtol(limit, &end, 10) : 10;
    if (limit != NULL && (*limit == '\0' || *end != '\0' || q->limit < 1 || q->limit > MAX_LIST))
        return bad_input(e, "limit", "parameter_invalid", "limit must be an integer from 1 to %d",
                         MAX_LIST);
    q->status = ct_http_query(req, "status");
    size_t i = 0;
    while (q->status != NULL && statuses[i] != NULL && strcmp(statuses[i], q->status) != 0)
        i++;
    if (q->status != NULL && statuses[i] == NULL)
        return bad_input(e, "status", "parameter_invalid",
                         "status must be requires_action, authorized, succeeded, failed or "
                         "canceled");
    q->reference = ct_http_query(req, "reference");
    q->starting_after = ct_http_query(req, "starting_after");
    return 0;
}

/* Newest first; `starting_after` continues after that payment (cursor pagination). */
static ct_status list_payments(ct_store *st, const list_query *q, json_t *data, int *has_more)
{
    ct_stmt *s = NULL;
    ct_status rc =
        ct_store_prepare(st,
                         "SELECT " PAYMENT_COLUMNS " FROM payments WHERE (? IS NULL OR status = ?)"
                         " AND (? IS NULL OR reference = ?)"
                         " AND (? IS NULL OR seq < (SELECT seq FROM payments WHERE id = ?))"
                         " ORDER BY seq DESC LIMIT ?",
                         &s);
    if (rc)
        return rc;
    const char *args[] = {q->status, q->reference, q->starting_after};
    for (int i = 0; i < 3; i++) {
        ct_stmt_bind_text(s, 2 * i + 1, args[i]);
        ct_stmt_bind_text(s, 2 * i + 2, args[i]);
    }
    ct_stmt_bind_int64(s, 7, q->limit + 1);
    payment_row r;
    long n = 0;
    while ((rc = ct_stmt_step(s)) == CT_ROW && n < q->limit) {
        row_read(s, &r);
        json_t *pj = NULL;
        rc = payment_json(st, &r, &pj);
        if (rc || json_array_append_new(data, pj) != 0)
            break;
        n++;
    }
    *has_more = rc == CT_ROW;
    ct_stmt_finalize(s);
    return rc == CT_ROW || rc == CT_DONE ? CT_OK : rc;
}

static void h_list(ct_http_req *req, void *ctx)
{
    sb_payments *p = ctx;
    if (!authorized(req, p))
        return;
    list_query q;
    input_error e;
    if (parse_list_query(req, &q, &e)) {
        reply_input_error(req, &e);
        return;
    }
    ct_store *st = sb_dbpool_acquire(p->db);
    payment_row cursor;
    json_t *data = json_array();
    int has_more = 0;
    ct_status rc = q.starting_after ? payment_find(st, q.starting_after, &cursor) : CT_OK;
    if (rc == CT_OK)
        rc = list_payments(st, &q, data, &has_more);
    if (rc == CT_OK) {
        ct_http_reply_json(
            req, 200,
            json_pack("{s:s, s:O, s:b}", "object", "list", "data", data, "has_more", has_more));
    } else if (rc == CT_NOT_FOUND) {
        reply_error(req, 400, "request", "parameter_invalid", "starting_after",
                    "starting_after must be the id of an existing payment");
    } else {
        reply_internal(req, st, rc);
    }
    json_decref(data);
    sb_dbpool_release(p->db, st);
}

/* ---- server ---- */

static ct_status add_routes(sb_payments *p)
{
    static const struct {
        const char *method, *pattern;
        ct_http_handler handler;
    } routes[] = {
        {"GET", "/healthz", h_healthz},
        {"POST", "/v1/payments", h_create},
        {"GET", "/v1/payments", h_list},
        {"GET", "/v1/payments/{id}", h_get},
        {"POST", "/v1/payments/{id}/confirm", h_confirm},
        {"POST", "/v1/payments/{id}/capture", h_capture},
        {"POST", "/v1/payments/{id}/cancel", h_cancel},
        {"POST", "/v1/payments/{id}/refunds", h_refund},
        {"GET", "/v1/payments/{id}/refunds", h_refunds_of},
        {"GET", "/v1/refunds/{id}", h_get_refund},
    };
    for (size_t i = 0; i < sizeof(routes) / sizeof(routes[0]); i++) {
        ct_status rc =
            ct_router_add(p->router, routes[i].method, routes[i].pattern, routes[i].handler, p);
        if (rc)
            return rc;
    }
    return sb_clock_register(p->router, p->clock);
}

static int key_valid(const char *key)
{
    size_t n = strlen(key);
    for (size_t i = 0; i < n; i++) {
        if (key[i] <= 0x20 || key[i] >= 0x7f)
            return 0;
    }
    return n >= 8 && n <= 200;
}

ct_status sb_payments_start(const sb_payments_options *opt, sb_payments **out, char *err,
                            size_t errlen)
{
    const char *key = opt->secret_key ? opt->secret_key : SB_PAYMENTS_DEFAULT_KEY;
    if (!key_valid(key)) {
        snprintf(err, errlen, "secret_key: expected 8-200 printable characters without spaces");
        return CT_INVALID;
    }
    ct_http_options http = opt->http;
    http.threads = http.threads > 0 ? http.threads : DEFAULT_THREADS;
    http.max_body = http.max_body ? http.max_body : 64u << 10;
    sb_payments *p = ct_calloc(1, sizeof(*p));
    ct_status rc = CT_NOMEM;
    snprintf(err, errlen, "out of memory");
    if (p == NULL || (p->secret_key = ct_strdup(key)) == NULL ||
        sb_clock_open(opt->clock_path, &p->clock) != CT_OK ||
        (p->router = ct_router_create()) == NULL)
        goto fail;
    rc = sb_dbpool_open(opt->db_url, http.threads, schema_sql, &p->db, err, errlen);
    if (rc == CT_OK && (rc = add_routes(p)) != CT_OK)
        snprintf(err, errlen, "cannot add routes");
    if (rc)
        goto fail;
    rc = ct_http_server_start(&http, p->router, &p->server);
    if (rc) {
        snprintf(err, errlen, "cannot listen on %s:%d (%s)", http.host ? http.host : "127.0.0.1",
                 http.port, ct_status_name(rc));
        goto fail;
    }
    *out = p;
    return CT_OK;
fail:
    sb_payments_stop(p);
    return rc;
}

int sb_payments_port(const sb_payments *p)
{
    return ct_http_server_port(p->server);
}

void sb_payments_stop(sb_payments *p)
{
    if (p == NULL)
        return;
    ct_http_server_stop(p->server);
    ct_router_destroy(p->router);
    sb_dbpool_close(p->db);
    sb_clock_close(p->clock);
    ct_free(p->secret_key);
    ct_free(p);
}

/* ---- the `payments` subcommand ---- */

int sb_payments_main(const ct_config *cfg)
{
    char err[512], url[1024];
    sb_payments_options opt = {0};
    if (sb_daemon_http_options(cfg, SB_PAYMENTS_DEFAULT_PORT, DEFAULT_THREADS, &opt.http, err,
                               sizeof(err))) {
        fprintf(stderr, "contrail-sandbox: %s\n", err);
        return 2;
    }
    if (sb_daemon_store_url(ct_config_get(cfg, "db", SB_PAYMENTS_DEFAULT_DB), url, sizeof(url))) {
        fprintf(stderr, "contrail-sandbox: db: cannot use '%s'\n", ct_config_get(cfg, "db", ""));
        return 2;
    }
    opt.db_url = url;
    opt.clock_path = ct_config_get(cfg, "clock", SB_CLOCK_DEFAULT_PATH);
    opt.secret_key = ct_config_get(cfg, "secret_key", SB_PAYMENTS_DEFAULT_KEY);
    sigset_t stop;
    sb_daemon_block_stop_signals(&stop);
    sb_payments *p = NULL;
    ct_status rc = sb_payments_start(&opt, &p, err, sizeof(err));
    if (rc) {
        fprintf(stderr, "contrail-sandbox: payments: %s\n", err);
        return rc == CT_INVALID ? 2 : 1;
    }
    int port = sb_payments_port(p);
    const char *port_file = ct_config_get(cfg, "port_file", NULL);
    if (port_file != NULL && sb_daemon_write_port_file(port_file, port) != CT_OK)
        fprintf(stderr, "contrail-sandbox: cannot write %s\n", port_file);
    char portstr[16];
    snprintf(portstr, sizeof(portstr), "%d", port);
    ct_log(CT_LOG_INFO, "payments.ready", "host", opt.http.host, "port", portstr, "db", url, NULL);
    printf("Sandbox payment processor at http://%s:%d/v1/  (Ctrl-C stops it)\n", opt.http.host,
           port);
    fflush(stdout);
    ct_log(CT_LOG_INFO, "payments.stopping", "signal", sb_daemon_wait_stop(&stop), NULL);
    sb_payments_stop(p);
    ct_log(CT_LOG_INFO, "payments.stopped", NULL);
    return 0;
}
