/* payments.c: the card processor's client over upstream/ (interface and outcomes in
 * payments.h).
 *
 * Each operation builds its path and JSON body, sends it with ct_upstream_call_sync (the
 * idempotency key, when given, on every attempt) and reads the answer in one place, `finish`:
 * a 2xx is a payment object; an error object {"error":{category, code, field, message,
 * payment}} maps to a status by HTTP code, except that a card or processing error carrying
 * its failed payment is a payment (CT_OK, FAILED). A 2xx body that is not a payment object is
 * refused by `check_payment` so upstream/ retries it like a 5xx. A refund answers with a
 * refund object: the payment is read back after it. */
#include "payments/payments.h"

#include <inttypes.h>
#include <jansson.h>
#include <stdio.h>
#include <string.h>

#include "base/alloc.h"
#include "base/json.h"

#define PARTNER "payments"

struct ct_payments {
    char *base_url;
    char auth[300]; /* "Authorization: Bearer <key>" */
    int64_t deadline_ms;
    ct_upstream *up;
};

const char *ct_pay_status_name(ct_pay_status s)
{
    switch (s) {
    case CT_PAY_REQUIRES_ACTION:
        return "requires_action";
    case CT_PAY_AUTHORIZED:
        return "authorized";
    case CT_PAY_SUCCEEDED:
        return "succeeded";
    case CT_PAY_FAILED:
        return "failed";
    case CT_PAY_CANCELED:
        return "canceled";
    }
    return "failed";
}

ct_status ct_payments_new_config(const ct_payments_config *cfg, ct_payments **out)
{
    ct_status rc = CT_OK;
    ct_payments *p = NULL;
    *out = NULL;
    if (cfg == NULL || cfg->base_url == NULL || cfg->base_url[0] == '\0' ||
        cfg->secret_key == NULL || cfg->secret_key[0] == '\0' || strlen(cfg->secret_key) > 250)
        return CT_INVALID;
    p = ct_calloc(1, sizeof(*p));
    if (p == NULL)
        return CT_NOMEM;
    size_t n = strlen(cfg->base_url);
    while (n > 0 && cfg->base_url[n - 1] == '/')
        n--;
    p->base_url = ct_strndup(cfg->base_url, n);
    if (p->base_url == NULL) {
        rc = CT_NOMEM;
        goto cleanup;
    }
    snprintf(p->auth, sizeof(p->auth), "Authorization: Bearer %s", cfg->secret_key);
    p->deadline_ms = cfg->deadline_ms > 0 ? cfg->deadline_ms : 20000;
    ct_upstream_config uc = {.name = "payments",
                             .max_attempts = cfg->max_attempts,
                             .backoff_ms = cfg->backoff_ms,
                             .backoff_max_ms = cfg->backoff_max_ms,
                             .timeout_ms = cfg->timeout_ms,
                             .connect_timeout_ms = cfg->connect_timeout_ms,
                             .breaker_failures = cfg->breaker_failures,
                             .breaker_cooldown_ms = cfg->breaker_cooldown_ms};
    rc = ct_upstream_new(&uc, &p->up);
    if (rc)
        goto cleanup;
    *out = p;
    p = NULL;
cleanup:
    ct_payments_free(p);
    return rc;
}

ct_status ct_payments_new(const char *base_url, const char *secret_key, ct_payments **out)
{
    ct_payments_config cfg = {.base_url = base_url, .secret_key = secret_key};
    return ct_payments_new_config(&cfg, out);
}

void ct_payments_free(ct_payments *p)
{
    if (p == NULL)
        return;
    ct_upstream_free(p->up);
    ct_free(p->base_url);
    ct_free(p);
}

ct_upstream *ct_payments_upstream(ct_payments *p)
{
    return p->up;
}

/* ---- reading answers ---- */

/* err = "what" or "what: detail". */
static void set_err(char *err, size_t len, const char *what, const char *detail)
{
    if (err != NULL && len > 0)
        snprintf(err, len, "%s%s%s", what, detail ? ": " : "", detail ? detail : "");
}

static void copy_str(char *dst, size_t len, json_t *v)
{
    snprintf(dst, len, "%s", json_is_string(v) ? json_string_value(v) : "");
}

/* Fills *out from a payment object; CT_ERR when `j` is not one. */
/* The processor's 502 processing_error is its final answer ("retry with a new key"): never
 * retried under the same key, and no sign that the processor is down (upstream.h). */
static const int processor_final[] = {502, 0};

static ct_status read_payment(json_t *j, ct_payment *out)
{
    static const char *const names[] = {"requires_action", "authorized", "succeeded", "failed",
                                        "canceled"};
    json_t *id = json_object_get(j, "id"), *status = json_object_get(j, "status");
    json_t *amount = json_object_get(j, "amount");
    if (!json_is_object(j) || !json_is_string(id) || !json_is_string(status) ||
        !json_is_integer(amount) || json_string_length(id) >= sizeof(out->id))
        return CT_ERR;
    memset(out, 0, sizeof(*out));
    int found = 0;
    for (int i = 0; i < 5; i++)
        if (strcmp(json_string_value(status), names[i]) == 0) {
            out->status = (ct_pay_status)i;
            found = 1;
        }
    if (!found)
        return CT_ERR;
    copy_str(out->id, sizeof(out->id), id);
    out->amount = json_integer_value(amount);
    out->captured = json_integer_value(json_object_get(j, "amount_captured"));
    out->refunded = json_integer_value(json_object_get(j, "amount_refunded"));
    copy_str(out->currency, sizeof(out->currency), json_object_get(j, "currency"));
    copy_str(out->reference, sizeof(out->reference), json_object_get(j, "reference"));
    json_t *card = json_object_get(j, "card");
    copy_str(out->brand, sizeof(out->brand), json_object_get(card, "brand"));
    copy_str(out->last4, sizeof(out->last4), json_object_get(card, "last4"));
    json_t *failure = json_object_get(j, "failure");
    copy_str(out->failure_code, sizeof(out->failure_code), json_object_get(failure, "code"));
    copy_str(out->failure_message, sizeof(out->failure_message),
             json_object_get(failure, "message"));
    json_t *next = json_object_get(j, "next_action");
    copy_str(out->confirm_url, sizeof(out->confirm_url), json_object_get(next, "confirm_url"));
    return CT_OK;
}

/* upstream/'s check of a 2xx answer: a JSON object with an "id" (a payment, a refund or a
 * list has one of "id"/"data"). */
static int check_object(void *ctx, const ct_upstream_response *rsp, char *why, size_t whylen)
{
    (void)ctx;
    json_t *j = NULL;
    int bad = ct_json_loadb(rsp->body, rsp->body_len, 0, &j, NULL) != CT_OK || !json_is_object(j) ||
              (json_object_get(j, "id") == NULL && json_object_get(j, "data") == NULL);
    json_decref(j);
    if (bad)
        snprintf(why, whylen, "not a payments object");
    return bad;
}

/* One request; *body_out (may be NULL) receives the parsed answer for the caller. The
 * status is that of the transport: CT_OK when an HTTP answer arrived (look at *http). */
static ct_status send(ct_payments *p, const char *method, const char *path, const char *body,
                      const char *idempotency_key, long *http, json_t **doc, char *err,
                      size_t errlen)
{
    char url[1200];
    *doc = NULL;
    *http = 0;
    int n = snprintf(url, sizeof(url), "%s%s", p->base_url, path);
    if (n < 0 || (size_t)n >= sizeof(url)) {
        set_err(err, errlen, "request path too long", NULL);
        return CT_INVALID;
    }
    const char *headers[] = {p->auth, "Content-Type: application/json", "Accept: application/json",
                             NULL};
    ct_upstream_request req = {.partner = PARTNER,
                               .method = method,
                               .url = url,
                               .headers = headers,
                               .body = body,
                               .body_len = body ? strlen(body) : 0,
                               .idempotency_key = idempotency_key,
                               .deadline_ms = p->deadline_ms,
                               .check = check_object,
                               .final_statuses = processor_final};
    ct_upstream_response rsp;
    ct_status rc = ct_upstream_call_sync(p->up, &req, &rsp);
    if (rc == CT_NOMEM)
        goto cleanup;
    if (rc != CT_OK && !(rc == CT_ERR && rsp.status >= 200)) {
        set_err(err, errlen, "payments processor unavailable", rsp.error);
        rc = CT_UNAVAILABLE;
        goto cleanup;
    }
    *http = rsp.status;
    if (ct_json_loadb(rsp.body, rsp.body_len, 0, doc, NULL) != CT_OK || !json_is_object(*doc)) {
        json_decref(*doc);
        *doc = NULL;
    }
    rc = CT_OK;
cleanup:
    ct_upstream_response_free(&rsp);
    return rc;
}

/* Maps an answer to the outcome (payments.h) and fills *out from a payment in it. */
static ct_status finish(long http, json_t *doc, ct_payment *out, char *err, size_t errlen)
{
    char buf[400];
    if (http >= 200 && http < 300) {
        if (doc == NULL || read_payment(doc, out) != CT_OK) {
            set_err(err, errlen, "malformed payment object from the processor", NULL);
            return CT_UNAVAILABLE;
        }
        return CT_OK;
    }
    json_t *e = json_object_get(doc, "error");
    const char *code = json_string_value(json_object_get(e, "code"));
    const char *field = json_string_value(json_object_get(e, "field"));
    const char *message = json_string_value(json_object_get(e, "message"));
    json_t *payment = json_object_get(e, "payment");
    if ((http == 402 || (code != NULL && strcmp(code, "processing_error") == 0)) &&
        payment != NULL && read_payment(payment, out) == CT_OK) {
        if (out->failure_code[0] == '\0' && code != NULL)
            snprintf(out->failure_code, sizeof(out->failure_code), "%s", code);
        out->status = CT_PAY_FAILED;
        set_err(err, errlen, out->failure_code, out->failure_message);
        return CT_OK;
    }
    snprintf(buf, sizeof(buf), "%s%s%s", code ? code : "HTTP error", field ? " " : "",
             field ? field : "");
    set_err(err, errlen, buf, message ? message : "(no message)");
    if (http == 400)
        return CT_INVALID;
    if (http == 404)
        return CT_NOT_FOUND;
    if (http == 409)
        return CT_CONFLICT;
    if (http >= 500 || http == 429 || http == 408)
        return CT_UNAVAILABLE;
    return CT_ERR;
}

static ct_status call_payment(ct_payments *p, const char *method, const char *path,
                              const char *body, const char *key, ct_payment *out, char *err,
                              size_t errlen)
{
    long http = 0;
    json_t *doc = NULL;
    ct_status rc = send(p, method, path, body, key, &http, &doc, err, errlen);
    if (rc == CT_OK)
        rc = finish(http, doc, out, err, errlen);
    json_decref(doc);
    return rc;
}

/* Percent-encodes `s` for a path segment or query value into out; CT_TOO_LARGE. */
static ct_status encode(const char *s, char *out, size_t len)
{
    static const char hex[] = "0123456789ABCDEF";
    size_t o = 0;
    for (const unsigned char *c = (const unsigned char *)s; *c; c++) {
        int plain = (*c >= 'A' && *c <= 'Z') || (*c >= 'a' && *c <= 'z') ||
                    (*c >= '0' && *c <= '9') || strchr("-._~", *c) != NULL;
        if (o + 4 > len)
            return CT_TOO_LARGE;
        if (plain) {
            out[o++] = (char)*c;
        } else {
            out[o++] = '%';
            out[o++] = hex[*c >> 4];
            out[o++] = hex[*c & 15];
        }
    }
    if (o >= len)
        return CT_TOO_LARGE;
    out[o] = '\0';
    return CT_OK;
}

/* "/v1/payments/<id><suffix>" into out. */
static ct_status payment_path(const char *id, const char *suffix, char *out, size_t len, char *err,
                              size_t errlen)
{
    char enc[200];
    if (id == NULL || id[0] == '\0' || encode(id, enc, sizeof(enc)) != CT_OK) {
        set_err(err, errlen, "id: missing or too long", NULL);
        return CT_INVALID;
    }
    snprintf(out, len, "/v1/payments/%s%s", enc, suffix);
    return CT_OK;
}

static ct_status dump(json_t *j, char **out, char *err, size_t errlen)
{
    *out = NULL;
    if (j == NULL || ct_json_dumps(j, JSON_COMPACT, out) != CT_OK) {
        set_err(err, errlen, "out of memory", NULL);
        json_decref(j);
        return CT_NOMEM;
    }
    json_decref(j);
    return CT_OK;
}

/* ---- operations ---- */

ct_status ct_payments_create(ct_payments *p, const char *idempotency_key, int64_t amount,
                             const char *currency, const ct_pay_card *card, int manual_capture,
                             const char *reference, const char *description, ct_payment *out,
                             char *err, size_t errlen)
{
    char *body = NULL;
    ct_status rc;
    if (idempotency_key == NULL || idempotency_key[0] == '\0' || card == NULL || currency == NULL) {
        set_err(err, errlen, "idempotency key, currency and card are required", NULL);
        return CT_INVALID;
    }
    json_t *j = json_pack("{s:I, s:s, s:{s:s, s:i, s:i, s:s}, s:s}", "amount", (json_int_t)amount,
                          "currency", currency, "card", "number", card->number, "exp_month",
                          card->exp_month, "exp_year", card->exp_year, "cvc", card->cvc,
                          "capture_method", manual_capture ? "manual" : "automatic");
    if (j != NULL && reference != NULL)
        json_object_set_new(j, "reference", json_string(reference));
    if (j != NULL && description != NULL)
        json_object_set_new(j, "description", json_string(description));
    rc = dump(j, &body, err, errlen);
    if (rc)
        goto cleanup;
    rc = call_payment(p, "POST", "/v1/payments", body, idempotency_key, out, err, errlen);
cleanup:
    ct_free(body);
    return rc;
}

ct_status ct_payments_confirm(ct_payments *p, const char *id, const char *idempotency_key,
                              int authentication_pass, ct_payment *out, char *err, size_t errlen)
{
    char path[300];
    ct_status rc = payment_path(id, "/confirm", path, sizeof(path), err, errlen);
    if (rc)
        return rc;
    const char *body =
        authentication_pass ? "{\"authentication\":\"pass\"}" : "{\"authentication\":\"fail\"}";
    return call_payment(p, "POST", path, body, idempotency_key, out, err, errlen);
}

ct_status ct_payments_capture(ct_payments *p, const char *id, const char *idempotency_key,
                              ct_payment *out, char *err, size_t errlen)
{
    char path[300];
    ct_status rc = payment_path(id, "/capture", path, sizeof(path), err, errlen);
    if (rc)
        return rc;
    return call_payment(p, "POST", path, "{}", idempotency_key, out, err, errlen);
}

ct_status ct_payments_cancel(ct_payments *p, const char *id, const char *idempotency_key,
                             ct_payment *out, char *err, size_t errlen)
{
    char path[300];
    ct_status rc = payment_path(id, "/cancel", path, sizeof(path), err, errlen);
    if (rc)
        return rc;
    return call_payment(p, "POST", path, "{}", idempotency_key, out, err, errlen);
}

ct_status ct_payments_refund(ct_payments *p, const char *id, const char *idempotency_key,
                             int64_t amount, ct_payment *out, char *err, size_t errlen)
{
    char path[300], body[64];
    long http = 0;
    json_t *doc = NULL;
    ct_status rc = payment_path(id, "/refunds", path, sizeof(path), err, errlen);
    if (rc)
        return rc;
    if (idempotency_key == NULL || idempotency_key[0] == '\0') {
        set_err(err, errlen, "an idempotency key is required", NULL);
        return CT_INVALID;
    }
    if (amount > 0)
        snprintf(body, sizeof(body), "{\"amount\":%" PRId64 "}", amount);
    else
        snprintf(body, sizeof(body), "{}");
    rc = send(p, "POST", path, body, idempotency_key, &http, &doc, err, errlen);
    if (rc)
        goto cleanup;
    if (http >= 200 && http < 300) {
        json_t *object = json_object_get(doc, "object");
        if (!json_is_string(object) || strcmp(json_string_value(object), "refund") != 0) {
            set_err(err, errlen, "malformed refund object from the processor", NULL);
            rc = CT_UNAVAILABLE;
            goto cleanup;
        }
        rc = ct_payments_get(p, id, out, err, errlen);
        goto cleanup;
    }
    rc = finish(http, doc, out, err, errlen);
cleanup:
    json_decref(doc);
    return rc;
}

ct_status ct_payments_get(ct_payments *p, const char *id, ct_payment *out, char *err, size_t errlen)
{
    char path[300];
    ct_status rc = payment_path(id, "", path, sizeof(path), err, errlen);
    if (rc)
        return rc;
    return call_payment(p, "GET", path, NULL, NULL, out, err, errlen);
}

ct_status ct_payments_find(ct_payments *p, const char *reference, ct_payment *out, int max, int *n,
                           char *err, size_t errlen)
{
    char enc[700], after[200] = "", path[1000];
    json_t *doc = NULL;
    ct_status rc = CT_OK;
    *n = 0;
    if (reference == NULL || encode(reference, enc, sizeof(enc)) != CT_OK) {
        set_err(err, errlen, "reference: missing or too long", NULL);
        return CT_INVALID;
    }
    for (;;) {
        long http = 0;
        snprintf(path, sizeof(path), "/v1/payments?limit=100&reference=%s%s%s", enc,
                 after[0] ? "&starting_after=" : "", after);
        rc = send(p, "GET", path, NULL, NULL, &http, &doc, err, errlen);
        if (rc)
            goto cleanup;
        json_t *data = json_object_get(doc, "data");
        if (http != 200 || !json_is_array(data)) {
            ct_payment scratch;
            rc = finish(http == 200 ? 502 : http, doc, &scratch, err, errlen);
            if (rc == CT_OK)
                rc = CT_UNAVAILABLE;
            goto cleanup;
        }
        size_t i;
        json_t *item;
        const char *last = NULL;
        json_array_foreach(data, i, item)
        {
            last = json_string_value(json_object_get(item, "id"));
            if (*n < max && read_payment(item, &out[*n]) == CT_OK)
                (*n)++;
        }
        if (!json_is_true(json_object_get(doc, "has_more")) || last == NULL || *n >= max ||
            encode(last, after, sizeof(after)) != CT_OK)
            break;
        json_decref(doc);
        doc = NULL;
    }
cleanup:
    json_decref(doc);
    return rc;
}
