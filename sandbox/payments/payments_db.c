/* payments_db.c: the payment processor's state file: schema, payment and refund rows, and
 * their JSON (see payments_internal.h). Every function takes a connection the caller borrowed
 * from the pool, inside or outside a transaction as the caller decides. */
#define _GNU_SOURCE
#include "sandbox/payments/payments_internal.h"

#include <sodium.h>
#include <stdio.h>
#include <string.h>

#include "base/timeutil.h"

/* ---- schema ---- */

const char sb__pay_schema[] =
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

/* ---- failure codes ---- */

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

const char *sb__pay_failure_message(const char *code)
{
    for (size_t i = 0; i < sizeof(failures) / sizeof(failures[0]); i++) {
        if (strcmp(code, failures[i].code) == 0)
            return failures[i].message;
    }
    return "The payment failed.";
}

/* ---- payment rows ---- */

#define PAYMENT_COLUMNS                                                                            \
    "id, status, amount, currency, capture_method, amount_captured, amount_refunded,"              \
    " card_brand, card_last4, card_exp_month, card_exp_year, card_behavior, failure_code,"         \
    " description, reference, created, updated"

void sb__pay_copy(char *dst, size_t size, const char *src)
{
    snprintf(dst, size, "%s", src ? src : "");
}

static void row_read(ct_stmt *s, sb_pay_row *r)
{
    sb__pay_copy(r->id, sizeof(r->id), ct_stmt_text(s, 0));
    sb__pay_copy(r->status, sizeof(r->status), ct_stmt_text(s, 1));
    r->amount = ct_stmt_int64(s, 2);
    sb__pay_copy(r->currency, sizeof(r->currency), ct_stmt_text(s, 3));
    sb__pay_copy(r->capture_method, sizeof(r->capture_method), ct_stmt_text(s, 4));
    r->captured = ct_stmt_int64(s, 5);
    r->refunded = ct_stmt_int64(s, 6);
    sb__pay_copy(r->brand, sizeof(r->brand), ct_stmt_text(s, 7));
    sb__pay_copy(r->last4, sizeof(r->last4), ct_stmt_text(s, 8));
    r->exp_month = (int)ct_stmt_int64(s, 9);
    r->exp_year = (int)ct_stmt_int64(s, 10);
    sb__pay_copy(r->behavior, sizeof(r->behavior), ct_stmt_text(s, 11));
    sb__pay_copy(r->failure_code, sizeof(r->failure_code), ct_stmt_text(s, 12));
    sb__pay_copy(r->description, sizeof(r->description), ct_stmt_text(s, 13));
    sb__pay_copy(r->reference, sizeof(r->reference), ct_stmt_text(s, 14));
    r->created = ct_stmt_int64(s, 15);
    r->updated = ct_stmt_int64(s, 16);
}

/* Loads payment `id`: CT_OK, CT_NOT_FOUND, or the store's error. */
ct_status sb__pay_find(ct_store *st, const char *id, sb_pay_row *r)
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

ct_status sb__pay_insert(ct_store *st, const sb_pay_row *r)
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
ct_status sb__pay_update(ct_store *st, const sb_pay_row *r)
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
ct_status sb__pay_refunds_json(ct_store *st, const sb_pay_row *r, json_t **out)
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

static json_t *next_action_json(const sb_pay_row *r)
{
    if (strcmp(r->status, "requires_action") != 0)
        return json_null();
    char url[96];
    snprintf(url, sizeof(url), "/v1/payments/%s/confirm", r->id);
    return json_pack("{s:s, s:s}", "type", "confirm", "confirm_url", url);
}

static json_t *failure_json(const sb_pay_row *r)
{
    if (r->failure_code[0] == '\0')
        return json_null();
    return json_pack("{s:s, s:s}", "code", r->failure_code, "message",
                     sb__pay_failure_message(r->failure_code));
}

/* The payment as the API shows it, refunds included. */
ct_status sb__pay_json(ct_store *st, const sb_pay_row *r, json_t **out)
{
    json_t *refunds = NULL;
    ct_status rc = sb__pay_refunds_json(st, r, &refunds);
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

void sb__pay_new_id(const char *prefix, char *out, size_t len)
{
    unsigned char raw[12];
    char hex[2 * sizeof(raw) + 1];
    randombytes_buf(raw, sizeof(raw));
    sodium_bin2hex(hex, sizeof(hex), raw, sizeof(raw));
    snprintf(out, len, "%s%s", prefix, hex);
}

ct_status sb__pay_refund_insert(ct_store *st, const char *id, const sb_pay_row *r, int64_t amount,
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
ct_status sb__pay_refund_json(ct_store *st, const char *id, json_t **out)
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

/* Newest first; `starting_after` continues after that payment (cursor pagination). */
ct_status sb__pay_list(ct_store *st, const sb_pay_list_query *q, json_t *data, int *has_more)
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
    sb_pay_row r;
    long n = 0;
    while ((rc = ct_stmt_step(s)) == CT_ROW && n < q->limit) {
        row_read(s, &r);
        json_t *pj = NULL;
        rc = sb__pay_json(st, &r, &pj);
        if (rc || json_array_append_new(data, pj) != 0)
            break;
        n++;
    }
    *has_more = rc == CT_ROW;
    ct_stmt_finalize(s);
    return rc == CT_ROW || rc == CT_DONE ? CT_OK : rc;
}
