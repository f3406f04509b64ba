/* test_payments.c: the sandbox payment processor over real HTTP on loopback, with its state
 * in a real SQLite file: every test card, confirmation, capture, cancel, refunds and their
 * limits, idempotency (sequential and racing threads), authentication, input validation
 * naming the field, listing, the world clock's effect on expiry, and the built program's
 * start and graceful stop. The world clock is frozen at 2026-03-01T08:00:00Z. */
#define _GNU_SOURCE
#include "ct_test.h"

#include <curl/curl.h>
#include <jansson.h>
#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "sandbox/runtime/clock.h"
#include "sandbox/payments/payments.h"
#include "store/store.h"
#include "httpclient.h"
#include "testsupport.h"

#define KEY       "sk_sandbox_test_0123456789"
#define AUTH      "Authorization: Bearer " KEY
#define WORLD_NOW 1772352000LL /* 2026-03-01T08:00:00Z */

static char tmpdir[256];
static char clock_path[512];
static char db_path[512];
static sb_payments *server;
static int port;

static int setup(void **state)
{
    (void)state;
    curl_global_init(CURL_GLOBAL_DEFAULT);
    ts_tempdir(tmpdir, sizeof(tmpdir));
    snprintf(clock_path, sizeof(clock_path), "%s/clock.json", tmpdir);
    snprintf(db_path, sizeof(db_path), "%s/payments.db", tmpdir);
    sb_clock *clk = NULL;
    if (sb_clock_open(clock_path, &clk) || sb_clock_set(clk, WORLD_NOW * 1000, 0.0))
        fail_msg("cannot set the clock");
    sb_clock_close(clk);
    char url[600], err[256];
    snprintf(url, sizeof(url), "sqlite:%s", db_path);
    sb_payments_options opt = {.http = {.port = 0, .threads = 4},
                               .db_url = url,
                               .clock_path = clock_path,
                               .secret_key = KEY};
    if (sb_payments_start(&opt, &server, err, sizeof(err)) != CT_OK)
        fail_msg("start: %s", err);
    port = sb_payments_port(server);
    return 0;
}

static int teardown(void **state)
{
    (void)state;
    sb_payments_stop(server);
    ts_rmtree(tmpdir);
    curl_global_cleanup();
    return 0;
}

/* ---- helpers ---- */

/* A request with the valid key; idem (may be NULL) becomes the Idempotency-Key. Thread-safe. */
static ts_response call(const char *method, const char *path, const char *body, const char *idem)
{
    char url[512], idem_header[320];
    snprintf(url, sizeof(url), "http://127.0.0.1:%d%s", port, path);
    snprintf(idem_header, sizeof(idem_header), "Idempotency-Key: %s", idem ? idem : "");
    const char *headers[] = {AUTH, idem ? idem_header : NULL, NULL};
    return ts_http_url(method, url, body, headers);
}

static json_t *parse(const ts_response *r)
{
    json_t *j = json_loads(r->body, 0, NULL);
    if (j == NULL)
        fail_msg("not JSON (status %ld): %.300s", r->status, r->body);
    return j;
}

/* Performs a request, checks the status and returns the parsed body. */
static json_t *expect(const char *method, const char *path, const char *body, const char *idem,
                      long status)
{
    ts_response r = call(method, path, body, idem);
    if (r.status != status)
        fail_msg("%s %s: expected %ld, got %ld: %.400s", method, path, status, r.status, r.body);
    json_t *j = parse(&r);
    ts_response_free(&r);
    return j;
}

static const char *str(json_t *j, const char *path)
{
    char buf[128];
    snprintf(buf, sizeof(buf), "%s", path);
    json_t *cur = j;
    for (char *save = NULL, *part = strtok_r(buf, ".", &save); part != NULL;
         part = strtok_r(NULL, ".", &save))
        cur = json_object_get(cur, part);
    return json_is_string(cur) ? json_string_value(cur) : NULL;
}

static long long num(json_t *j, const char *path)
{
    char buf[128];
    snprintf(buf, sizeof(buf), "%s", path);
    json_t *cur = j;
    for (char *save = NULL, *part = strtok_r(buf, ".", &save); part != NULL;
         part = strtok_r(NULL, ".", &save))
        cur = json_object_get(cur, part);
    if (!json_is_integer(cur))
        fail_msg("%s is not an integer", path);
    return json_integer_value(cur);
}

static void fresh_key(char *out, size_t len)
{
    static int n;
    snprintf(out, len, "key-%d-%d", (int)getpid(), ++n);
}

/* A payment body for `number` (exp 12/2030, cvc 123) with extra members appended. */
static char *payment_body(const char *number, long amount, const char *extra)
{
    static char buf[1024];
    snprintf(buf, sizeof(buf),
             "{\"amount\": %ld, \"currency\": \"EUR\", \"card\": {\"number\": \"%s\","
             " \"exp_month\": 12, \"exp_year\": 2030, \"cvc\": \"123\"}%s%s}",
             amount, number, extra ? ", " : "", extra ? extra : "");
    return buf;
}

static json_t *create(const char *number, long amount, const char *extra, long status)
{
    char key[64];
    fresh_key(key, sizeof(key));
    return expect("POST", "/v1/payments", payment_body(number, amount, extra), key, status);
}

static void path_of(char *out, size_t len, const char *id, const char *suffix)
{
    snprintf(out, len, "/v1/payments/%s%s", id, suffix);
}

/* ---- tests ---- */

static void healthz_needs_no_key(void **state)
{
    (void)state;
    char url[128];
    snprintf(url, sizeof(url), "http://127.0.0.1:%d/healthz", port);
    ts_response r = ts_http_url("GET", url, NULL, NULL);
    assert_int_equal(r.status, 200);
    assert_string_equal(r.body, "{\"status\":\"ok\",\"service\":\"payments\"}");
    ts_response_free(&r);
}

static void expect_auth_error(const char *auth_header, const char *code)
{
    char url[128];
    snprintf(url, sizeof(url), "http://127.0.0.1:%d/v1/payments", port);
    const char *headers[] = {auth_header, NULL};
    ts_response r = ts_http_url("GET", url, NULL, auth_header ? headers : NULL);
    assert_int_equal(r.status, 401);
    assert_true(ts_has_header(&r, "WWW-Authenticate: Bearer realm=\"sandbox-payments\""));
    json_t *j = parse(&r);
    assert_string_equal(str(j, "error.category"), "authentication");
    assert_string_equal(str(j, "error.code"), code);
    json_decref(j);
    ts_response_free(&r);
}

static void authentication_failures(void **state)
{
    (void)state;
    expect_auth_error(NULL, "authentication_required");
    expect_auth_error("Authorization: Bearer sk_sandbox_wrong_0123456789", "invalid_api_key");
    expect_auth_error("Authorization: Bearer " KEY "x", "invalid_api_key");
    expect_auth_error("Authorization: Bearer sk_sandbox_test_012345678", "invalid_api_key");
    expect_auth_error("Authorization: Basic c2tfc2FuZGJveA==", "invalid_api_key");
    expect_auth_error("Authorization: " KEY, "invalid_api_key");
    /* Writes are refused before anything runs. */
    char url[128];
    snprintf(url, sizeof(url), "http://127.0.0.1:%d/v1/payments", port);
    const char *headers[] = {"Idempotency-Key: auth-test", NULL};
    ts_response r = ts_http_url("POST", url, payment_body("4111111111111111", 100, NULL), headers);
    assert_int_equal(r.status, 401);
    ts_response_free(&r);
    json_t *j = expect("GET", "/v1/payments", NULL, NULL, 200);
    assert_string_equal(str(j, "object"), "list");
    json_decref(j);
}

static void succeeding_cards(void **state)
{
    (void)state;
    json_t *p = create("4111111111111111", 12950,
                       "\"reference\": \"booking-1\", \"description\": \"ZRH-JFK\"", 201);
    assert_string_equal(str(p, "object"), "payment");
    assert_string_equal(str(p, "status"), "succeeded");
    assert_int_equal(strncmp(str(p, "id"), "pay_", 4), 0);
    assert_int_equal(strlen(str(p, "id")), 28);
    assert_int_equal(num(p, "amount"), 12950);
    assert_int_equal(num(p, "amount_captured"), 12950);
    assert_int_equal(num(p, "amount_refunded"), 0);
    assert_string_equal(str(p, "currency"), "EUR");
    assert_string_equal(str(p, "capture_method"), "automatic");
    assert_string_equal(str(p, "card.brand"), "visa");
    assert_string_equal(str(p, "card.last4"), "1111");
    assert_int_equal(num(p, "card.exp_month"), 12);
    assert_int_equal(num(p, "card.exp_year"), 2030);
    assert_null(json_object_get(json_object_get(p, "card"), "number")); /* never echoed */
    assert_string_equal(str(p, "reference"), "booking-1");
    assert_string_equal(str(p, "description"), "ZRH-JFK");
    assert_true(json_is_null(json_object_get(p, "failure")));
    assert_true(json_is_null(json_object_get(p, "next_action")));
    assert_int_equal(json_array_size(json_object_get(p, "refunds")), 0);
    assert_string_equal(str(p, "created"), "2026-03-01T08:00:00Z");
    json_decref(p);

    p = create("5555555555554444", 500, NULL, 201);
    assert_string_equal(str(p, "card.brand"), "mastercard");
    assert_string_equal(str(p, "card.last4"), "4444");
    assert_true(json_is_null(json_object_get(p, "reference")));
    json_decref(p);

    /* Any other Luhn-valid number succeeds; currency is upper-cased; amex takes 4-digit CVCs. */
    char key[64];
    fresh_key(key, sizeof(key));
    p = expect("POST", "/v1/payments",
               "{\"amount\": 1, \"currency\": \"jpy\", \"card\": {\"number\": \"378282246310005\","
               " \"exp_month\": 1, \"exp_year\": 2031, \"cvc\": \"1234\"}}",
               key, 201);
    assert_string_equal(str(p, "status"), "succeeded");
    assert_string_equal(str(p, "currency"), "JPY");
    assert_string_equal(str(p, "card.brand"), "amex");
    assert_string_equal(str(p, "card.last4"), "0005");
    json_decref(p);
}

/* A failing card: the HTTP status, the error's category and code, and the failed payment. */
static void expect_failure(const char *number, long status, const char *category, const char *code)
{
    json_t *e = create(number, 2000, NULL, status);
    assert_string_equal(str(e, "error.category"), category);
    assert_string_equal(str(e, "error.code"), code);
    assert_non_null(str(e, "error.message"));
    assert_string_equal(str(e, "error.payment.status"), "failed");
    assert_string_equal(str(e, "error.payment.failure.code"), code);
    assert_int_equal(num(e, "error.payment.amount_captured"), 0);
    char path[128];
    path_of(path, sizeof(path), str(e, "error.payment.id"), "");
    json_t *p = expect("GET", path, NULL, NULL, 200);
    assert_string_equal(str(p, "status"), "failed");
    assert_string_equal(str(p, "failure.code"), code);
    json_decref(p);
    /* A failed payment cannot be refunded. */
    char key[64];
    fresh_key(key, sizeof(key));
    path_of(path, sizeof(path), str(e, "error.payment.id"), "/refunds");
    json_t *r = expect("POST", path, NULL, key, 409);
    assert_string_equal(str(r, "error.code"), "payment_state");
    json_decref(r);
    json_decref(e);
}

static void failing_cards(void **state)
{
    (void)state;
    expect_failure("4100000000001009", 402, "card", "card_declined");
    expect_failure("4100000000002007", 402, "card", "insufficient_funds");
    expect_failure("4100000000004003", 502, "processing", "processing_error");
}

static void expiry_follows_the_world_clock(void **state)
{
    (void)state;
    char key[64];
    fresh_key(key, sizeof(key));
    json_t *e = expect("POST", "/v1/payments",
                       "{\"amount\": 100, \"currency\": \"EUR\", \"card\": {\"number\":"
                       " \"4111111111111111\", \"exp_month\": 2, \"exp_year\": 2026, \"cvc\":"
                       " \"123\"}}",
                       key, 402);
    assert_string_equal(str(e, "error.code"), "expired_card");
    json_decref(e);
    /* Valid through the last day of its month. */
    fresh_key(key, sizeof(key));
    e = expect("POST", "/v1/payments",
               "{\"amount\": 100, \"currency\": \"EUR\", \"card\": {\"number\":"
               " \"4111111111111111\", \"exp_month\": 3, \"exp_year\": 2026, \"cvc\": \"123\"}}",
               key, 201);
    json_decref(e);
    /* Move the world on through the admin endpoint: the same card has now expired. */
    json_t *c = expect("PUT", "/admin/clock", "{\"now\": \"2026-04-01T00:00:00Z\"}", NULL, 200);
    assert_string_equal(str(c, "now"), "2026-04-01T00:00:00Z");
    json_decref(c);
    fresh_key(key, sizeof(key));
    e = expect("POST", "/v1/payments",
               "{\"amount\": 100, \"currency\": \"EUR\", \"card\": {\"number\":"
               " \"4111111111111111\", \"exp_month\": 3, \"exp_year\": 2026, \"cvc\": \"123\"}}",
               key, 402);
    assert_string_equal(str(e, "error.code"), "expired_card");
    assert_string_equal(str(e, "error.payment.created"), "2026-04-01T00:00:00Z");
    json_decref(e);
    c = expect("PUT", "/admin/clock", "{\"now\": \"2026-03-01T08:00:00Z\", \"speed\": 0}", NULL,
               200);
    json_decref(c);
}

static void confirmation_step(void **state)
{
    (void)state;
    json_t *p = create("4100000000003005", 7000, NULL, 201);
    assert_string_equal(str(p, "status"), "requires_action");
    assert_int_equal(num(p, "amount_captured"), 0);
    assert_string_equal(str(p, "next_action.type"), "confirm");
    char path[128];
    path_of(path, sizeof(path), str(p, "id"), "/confirm");
    assert_string_equal(str(p, "next_action.confirm_url"), path);
    json_t *c = expect("POST", path, NULL, NULL, 200);
    assert_string_equal(str(c, "status"), "succeeded");
    assert_int_equal(num(c, "amount_captured"), 7000);
    assert_true(json_is_null(json_object_get(c, "next_action")));
    json_decref(c);
    c = expect("POST", path, NULL, NULL, 409);
    assert_string_equal(str(c, "error.code"), "payment_state");
    json_decref(c);
    json_decref(p);

    /* The cardholder fails the step. */
    p = create("4100000000003005", 7000, NULL, 201);
    path_of(path, sizeof(path), str(p, "id"), "/confirm");
    c = expect("POST", path, "{\"authentication\": \"maybe\"}", NULL, 400);
    assert_string_equal(str(c, "error.field"), "authentication");
    json_decref(c);
    c = expect("POST", path, "{\"authentication\": \"fail\"}", NULL, 402);
    assert_string_equal(str(c, "error.code"), "authentication_failed");
    assert_string_equal(str(c, "error.payment.status"), "failed");
    json_decref(c);
    json_decref(p);

    /* With manual capture, confirmation authorises. */
    p = create("4100000000003005", 7000, "\"capture_method\": \"manual\"", 201);
    path_of(path, sizeof(path), str(p, "id"), "/confirm");
    c = expect("POST", path, "{\"authentication\": \"pass\"}", NULL, 200);
    assert_string_equal(str(c, "status"), "authorized");
    assert_int_equal(num(c, "amount_captured"), 0);
    json_decref(c);
    json_decref(p);

    c = expect("POST", "/v1/payments/pay_doesnotexist/confirm", NULL, NULL, 404);
    assert_string_equal(str(c, "error.code"), "resource_missing");
    json_decref(c);
}

static json_t *refund(const char *id, const char *body, long status)
{
    char path[128], key[64];
    path_of(path, sizeof(path), id, "/refunds");
    fresh_key(key, sizeof(key));
    return expect("POST", path, body, key, status);
}

static void capture_and_refund_limits(void **state)
{
    (void)state;
    json_t *p = create("4111111111111111", 5000, "\"capture_method\": \"manual\"", 201);
    const char *id = str(p, "id");
    assert_string_equal(str(p, "status"), "authorized");
    assert_int_equal(num(p, "amount_captured"), 0);
    json_t *e = refund(id, NULL, 409); /* nothing captured yet */
    assert_string_equal(str(e, "error.code"), "payment_state");
    json_decref(e);
    char path[128];
    path_of(path, sizeof(path), id, "/capture");
    e = expect("POST", path, "{\"amount\": 5001}", NULL, 400);
    assert_string_equal(str(e, "error.code"), "amount_too_large");
    assert_string_equal(str(e, "error.field"), "amount");
    json_decref(e);
    json_t *c = expect("POST", path, "{\"amount\": 3000}", NULL, 200);
    assert_string_equal(str(c, "status"), "succeeded");
    assert_int_equal(num(c, "amount_captured"), 3000);
    json_decref(c);
    e = expect("POST", path, NULL, NULL, 409);
    assert_string_equal(str(e, "error.code"), "payment_state");
    json_decref(e);

    e = refund(id, "{\"amount\": 3001}", 400);
    assert_string_equal(str(e, "error.code"), "amount_too_large");
    assert_string_equal(str(e, "error.field"), "amount");
    json_decref(e);
    json_t *r1 = refund(id, "{\"amount\": 1000, \"reason\": \"schedule change\"}", 201);
    assert_string_equal(str(r1, "object"), "refund");
    assert_int_equal(strncmp(str(r1, "id"), "rfd_", 4), 0);
    assert_string_equal(str(r1, "payment"), id);
    assert_int_equal(num(r1, "amount"), 1000);
    assert_string_equal(str(r1, "currency"), "EUR");
    assert_string_equal(str(r1, "reason"), "schedule change");
    assert_string_equal(str(r1, "status"), "succeeded");
    json_t *r2 = refund(id, "{}", 201); /* the rest */
    assert_int_equal(num(r2, "amount"), 2000);
    assert_true(json_is_null(json_object_get(r2, "reason")));
    e = refund(id, "{\"amount\": 1}", 409);
    assert_string_equal(str(e, "error.code"), "already_refunded");
    json_decref(e);

    path_of(path, sizeof(path), id, "");
    json_t *g = expect("GET", path, NULL, NULL, 200);
    assert_int_equal(num(g, "amount_refunded"), 3000);
    assert_int_equal(num(g, "amount_captured"), 3000);
    assert_string_equal(str(g, "status"), "succeeded");
    json_t *list = json_object_get(g, "refunds");
    assert_int_equal(json_array_size(list), 2);
    assert_string_equal(str(json_array_get(list, 0), "id"), str(r1, "id"));
    assert_string_equal(str(json_array_get(list, 1), "id"), str(r2, "id"));
    json_decref(g);
    path_of(path, sizeof(path), id, "/refunds");
    g = expect("GET", path, NULL, NULL, 200);
    assert_int_equal(json_array_size(json_object_get(g, "data")), 2);
    json_decref(g);
    snprintf(path, sizeof(path), "/v1/refunds/%s", str(r2, "id"));
    g = expect("GET", path, NULL, NULL, 200);
    assert_int_equal(num(g, "amount"), 2000);
    assert_string_equal(str(g, "payment"), id);
    json_decref(g);
    g = expect("GET", "/v1/refunds/rfd_nope", NULL, NULL, 404);
    assert_string_equal(str(g, "error.code"), "resource_missing");
    json_decref(g);
    json_decref(r1);
    json_decref(r2);
    json_decref(p);
}

static void cancel_an_authorization(void **state)
{
    (void)state;
    json_t *p = create("4111111111111111", 5000, "\"capture_method\": \"manual\"", 201);
    char path[128];
    path_of(path, sizeof(path), str(p, "id"), "/cancel");
    json_t *c = expect("POST", path, NULL, NULL, 200);
    assert_string_equal(str(c, "status"), "canceled");
    json_decref(c);
    c = expect("POST", path, NULL, NULL, 409);
    json_decref(c);
    path_of(path, sizeof(path), str(p, "id"), "/capture");
    c = expect("POST", path, NULL, NULL, 409);
    assert_string_equal(str(c, "error.code"), "payment_state");
    json_decref(c);
    json_decref(p);
    p = create("4111111111111111", 5000, NULL, 201); /* captured: refund instead */
    path_of(path, sizeof(path), str(p, "id"), "/cancel");
    c = expect("POST", path, NULL, NULL, 409);
    json_decref(c);
    json_decref(p);
}

static void idempotent_replays(void **state)
{
    (void)state;
    const char *body = payment_body("4111111111111111", 4200, "\"reference\": \"idem-seq\"");
    char copy[1024];
    snprintf(copy, sizeof(copy), "%s", body);
    ts_response first = call("POST", "/v1/payments", copy, "idem-seq-1");
    assert_int_equal(first.status, 201);
    assert_false(ts_has_header(&first, "Idempotent-Replayed"));
    ts_response again = call("POST", "/v1/payments", copy, "idem-seq-1");
    assert_int_equal(again.status, 201);
    assert_true(ts_has_header(&again, "Idempotent-Replayed: true"));
    assert_string_equal(again.body, first.body);
    ts_response_free(&again);
    /* Same JSON, other spacing and member order: the same request. */
    again = call("POST", "/v1/payments",
                 "{\"reference\":\"idem-seq\",\"card\":{\"cvc\":\"123\",\"exp_year\":2030,"
                 "\"exp_month\":12,\"number\":\"4111111111111111\"},\"currency\":\"EUR\","
                 "\"amount\":4200}",
                 "idem-seq-1");
    assert_int_equal(again.status, 201);
    assert_string_equal(again.body, first.body);
    ts_response_free(&again);
    /* Same key, different body or path: refused, nothing happens. */
    json_t *e = expect("POST", "/v1/payments",
                       payment_body("4111111111111111", 4201, "\"reference\": \"idem-seq\""),
                       "idem-seq-1", 409);
    assert_string_equal(str(e, "error.category"), "idempotency");
    assert_string_equal(str(e, "error.code"), "idempotency_key_reused");
    assert_string_equal(str(e, "error.field"), "Idempotency-Key");
    json_decref(e);
    json_t *p = parse(&first);
    char path[128];
    path_of(path, sizeof(path), str(p, "id"), "/refunds");
    e = expect("POST", path, NULL, "idem-seq-1", 409);
    assert_string_equal(str(e, "error.code"), "idempotency_key_reused");
    json_decref(e);
    json_decref(p);
    ts_response_free(&first);
    json_t *l = expect("GET", "/v1/payments?reference=idem-seq", NULL, NULL, 200);
    assert_int_equal(json_array_size(json_object_get(l, "data")), 1);
    json_decref(l);

    /* Failures are stored and replayed too: a declined card is not charged twice either. */
    ts_response d1 = call("POST", "/v1/payments", payment_body("4100000000001009", 10, NULL),
                          "idem-seq-declined");
    ts_response d2 = call("POST", "/v1/payments", payment_body("4100000000001009", 10, NULL),
                          "idem-seq-declined");
    assert_int_equal(d1.status, 402);
    assert_int_equal(d2.status, 402);
    assert_string_equal(d1.body, d2.body);
    assert_true(ts_has_header(&d2, "Idempotent-Replayed: true"));
    ts_response_free(&d1);
    ts_response_free(&d2);

    /* Refunds replay as well: one refund, one deduction. */
    p = create("4111111111111111", 1000, NULL, 201);
    path_of(path, sizeof(path), str(p, "id"), "/refunds");
    json_t *r1 = expect("POST", path, "{\"amount\": 400}", "idem-seq-refund", 201);
    json_t *r2 = expect("POST", path, "{\"amount\": 400}", "idem-seq-refund", 201);
    assert_string_equal(str(r1, "id"), str(r2, "id"));
    path_of(path, sizeof(path), str(p, "id"), "");
    json_t *g = expect("GET", path, NULL, NULL, 200);
    assert_int_equal(num(g, "amount_refunded"), 400);
    json_decref(g);
    json_decref(r1);
    json_decref(r2);
    json_decref(p);
}

static void idempotency_key_is_required_and_checked(void **state)
{
    (void)state;
    json_t *e =
        expect("POST", "/v1/payments", payment_body("4111111111111111", 10, NULL), NULL, 400);
    assert_string_equal(str(e, "error.code"), "idempotency_key_required");
    assert_string_equal(str(e, "error.field"), "Idempotency-Key");
    json_decref(e);
    e = expect("POST", "/v1/payments", payment_body("4111111111111111", 10, NULL), "has space",
               400);
    assert_string_equal(str(e, "error.code"), "idempotency_key_invalid");
    json_decref(e);
    char longkey[300];
    memset(longkey, 'k', 256);
    longkey[256] = '\0';
    e = expect("POST", "/v1/payments", payment_body("4111111111111111", 10, NULL), longkey, 400);
    assert_string_equal(str(e, "error.code"), "idempotency_key_invalid");
    json_decref(e);
    json_t *p = create("4111111111111111", 10, NULL, 201);
    char path[128];
    path_of(path, sizeof(path), str(p, "id"), "/refunds");
    e = expect("POST", path, NULL, NULL, 400);
    assert_string_equal(str(e, "error.field"), "Idempotency-Key");
    json_decref(e);
    json_decref(p);
    /* A request rejected for its input is not stored: the key stays free. */
    e = expect("POST", "/v1/payments", "{\"amount\": 10}", "idem-free-after-400", 400);
    json_decref(e);
    p = expect("POST", "/v1/payments", payment_body("4111111111111111", 10, NULL),
               "idem-free-after-400", 201);
    json_decref(p);
}

typedef struct racer {
    const char *key;
    const char *body;
    const char *path;
    long status;
    int replayed;
    char *response;
} racer;

static pthread_barrier_t start_line;

static void *race(void *arg)
{
    racer *r = arg;
    pthread_barrier_wait(&start_line);
    ts_response resp = call("POST", r->path, r->body, r->key);
    r->status = resp.status;
    r->replayed = ts_has_header(&resp, "Idempotent-Replayed: true");
    r->response = resp.body;
    return NULL;
}

static void run_race(racer *racers, int n)
{
    pthread_t t[32];
    pthread_barrier_init(&start_line, NULL, (unsigned)n);
    for (int i = 0; i < n; i++)
        pthread_create(&t[i], NULL, race, &racers[i]);
    for (int i = 0; i < n; i++)
        pthread_join(t[i], NULL);
    pthread_barrier_destroy(&start_line);
}

static long long db_count(const char *sql, const char *arg)
{
    char url[600], err[256];
    snprintf(url, sizeof(url), "sqlite:%s", db_path);
    ct_store *st = NULL;
    if (ct_store_open(url, &st, err, sizeof(err)) != CT_OK)
        fail_msg("open: %s", err);
    ct_stmt *s = NULL;
    assert_int_equal(ct_store_prepare(st, sql, &s), CT_OK);
    ct_stmt_bind_text(s, 1, arg);
    assert_int_equal(ct_stmt_step(s), CT_ROW);
    long long n = ct_stmt_int64(s, 0);
    ct_stmt_finalize(s);
    ct_store_close(st);
    return n;
}

static void racing_identical_requests_charge_once(void **state)
{
    (void)state;
    enum { N = 16 };
    racer racers[N];
    const char *body = payment_body("4111111111111111", 9900, "\"reference\": \"race-1\"");
    for (int i = 0; i < N; i++)
        racers[i] = (racer){.key = "race-key-1", .body = body, .path = "/v1/payments"};
    run_race(racers, N);
    int replayed = 0;
    for (int i = 0; i < N; i++) {
        assert_int_equal(racers[i].status, 201);
        assert_string_equal(racers[i].response, racers[0].response);
        replayed += racers[i].replayed;
    }
    assert_int_equal(replayed, N - 1);
    assert_int_equal(db_count("SELECT COUNT(*) FROM payments WHERE reference = ?", "race-1"), 1);
    assert_int_equal(db_count("SELECT COUNT(*) FROM idempotency_keys WHERE key = ?", "race-key-1"),
                     1);
    for (int i = 0; i < N; i++)
        free(racers[i].response);
}

static void racing_refunds_never_exceed_the_capture(void **state)
{
    (void)state;
    enum { N = 10 };
    json_t *p = create("4111111111111111", 10000, NULL, 201);
    char path[128], keys[N][32];
    path_of(path, sizeof(path), str(p, "id"), "/refunds");
    racer racers[N];
    for (int i = 0; i < N; i++) {
        snprintf(keys[i], sizeof(keys[i]), "race-refund-%d", i);
        racers[i] = (racer){.key = keys[i], .body = "{\"amount\": 3000}", .path = path};
    }
    run_race(racers, N);
    int ok = 0, too_large = 0;
    for (int i = 0; i < N; i++) {
        ok += racers[i].status == 201;
        too_large += racers[i].status == 400 && strstr(racers[i].response, "amount_too_large");
        free(racers[i].response);
    }
    assert_int_equal(ok, 3);
    assert_int_equal(too_large, 7);
    assert_int_equal(db_count("SELECT SUM(amount) FROM refunds WHERE payment_id = ?", str(p, "id")),
                     9000);
    char get[128];
    path_of(get, sizeof(get), str(p, "id"), "");
    json_t *g = expect("GET", get, NULL, NULL, 200);
    assert_int_equal(num(g, "amount_refunded"), 9000);
    json_decref(g);
    json_decref(p);
}

/* ---- input validation: each case names the field (or none for a malformed body) ---- */

typedef struct bad_case {
    const char *body;
    const char *field; /* NULL: no field */
    const char *code;
} bad_case;

static void bad_input_names_the_field(void **state)
{
    (void)state;
    static const char card[] = "\"card\": {\"number\": \"4111111111111111\", \"exp_month\": 12,"
                               " \"exp_year\": 2030, \"cvc\": \"123\"}";
    static char b[64][1024];
    bad_case cases[64];
    int n = 0;
    long long before = db_count("SELECT COUNT(*) FROM payments WHERE id <> ?", "");
#define CASE(field, code, ...)                                                                     \
    do {                                                                                           \
        snprintf(b[n], sizeof(b[n]), __VA_ARGS__);                                                 \
        cases[n] = (bad_case){b[n], field, code};                                                  \
        n++;                                                                                       \
    } while (0)
    CASE("amount", "parameter_missing", "{\"currency\": \"EUR\", %s}", card);
    CASE("amount", "parameter_invalid", "{\"amount\": 0, \"currency\": \"EUR\", %s}", card);
    CASE("amount", "parameter_invalid", "{\"amount\": -5, \"currency\": \"EUR\", %s}", card);
    CASE("amount", "parameter_invalid", "{\"amount\": \"12\", \"currency\": \"EUR\", %s}", card);
    CASE("amount", "parameter_invalid", "{\"amount\": 1.5, \"currency\": \"EUR\", %s}", card);
    CASE("amount", "parameter_invalid", "{\"amount\": 100000000, \"currency\": \"EUR\", %s}", card);
    CASE("currency", "parameter_missing", "{\"amount\": 10, %s}", card);
    CASE("currency", "parameter_invalid", "{\"amount\": 10, \"currency\": \"EURO\", %s}", card);
    CASE("currency", "parameter_invalid", "{\"amount\": 10, \"currency\": \"E1R\", %s}", card);
    CASE("currency", "parameter_invalid", "{\"amount\": 10, \"currency\": 978, %s}", card);
    CASE("card", "parameter_missing", "{\"amount\": 10, \"currency\": \"EUR\"}");
    CASE("card", "parameter_invalid", "{\"amount\": 10, \"currency\": \"EUR\", \"card\": \"x\"}");
    CASE("card.number", "parameter_missing",
         "{\"amount\": 10, \"currency\": \"EUR\", \"card\": {\"exp_month\": 12, \"exp_year\":"
         " 2030, \"cvc\": \"123\"}}");
    CASE("card.number", "parameter_invalid",
         "{\"amount\": 10, \"currency\": \"EUR\", \"card\": {\"number\": \"4111\", \"exp_month\":"
         " 12, \"exp_year\": 2030, \"cvc\": \"123\"}}");
    CASE("card.number", "parameter_invalid",
         "{\"amount\": 10, \"currency\": \"EUR\", \"card\": {\"number\": \"4111111111111112\","
         " \"exp_month\": 12, \"exp_year\": 2030, \"cvc\": \"123\"}}");
    CASE("card.number", "parameter_invalid",
         "{\"amount\": 10, \"currency\": \"EUR\", \"card\": {\"number\": \"4111 1111 1111 1111\","
         " \"exp_month\": 12, \"exp_year\": 2030, \"cvc\": \"123\"}}");
    CASE("card.number", "parameter_invalid",
         "{\"amount\": 10, \"currency\": \"EUR\", \"card\": {\"number\": 4111111111111111,"
         " \"exp_month\": 12, \"exp_year\": 2030, \"cvc\": \"123\"}}");
    CASE("card.exp_month", "parameter_invalid",
         "{\"amount\": 10, \"currency\": \"EUR\", \"card\": {\"number\": \"4111111111111111\","
         " \"exp_month\": 13, \"exp_year\": 2030, \"cvc\": \"123\"}}");
    CASE("card.exp_month", "parameter_missing",
         "{\"amount\": 10, \"currency\": \"EUR\", \"card\": {\"number\": \"4111111111111111\","
         " \"exp_year\": 2030, \"cvc\": \"123\"}}");
    CASE("card.exp_month", "parameter_invalid",
         "{\"amount\": 10, \"currency\": \"EUR\", \"card\": {\"number\": \"4111111111111111\","
         " \"exp_month\": \"12\", \"exp_year\": 2030, \"cvc\": \"123\"}}");
    CASE("card.exp_year", "parameter_invalid",
         "{\"amount\": 10, \"currency\": \"EUR\", \"card\": {\"number\": \"4111111111111111\","
         " \"exp_month\": 12, \"exp_year\": 30, \"cvc\": \"123\"}}");
    CASE("card.cvc", "parameter_invalid",
         "{\"amount\": 10, \"currency\": \"EUR\", \"card\": {\"number\": \"4111111111111111\","
         " \"exp_month\": 12, \"exp_year\": 2030, \"cvc\": \"12a\"}}");
    CASE("card.cvc", "parameter_invalid",
         "{\"amount\": 10, \"currency\": \"EUR\", \"card\": {\"number\": \"4111111111111111\","
         " \"exp_month\": 12, \"exp_year\": 2030, \"cvc\": \"1234\"}}");
    CASE("card.cvc", "parameter_invalid",
         "{\"amount\": 10, \"currency\": \"EUR\", \"card\": {\"number\": \"378282246310005\","
         " \"exp_month\": 12, \"exp_year\": 2030, \"cvc\": \"123\"}}");
    CASE("card.cvc", "parameter_missing",
         "{\"amount\": 10, \"currency\": \"EUR\", \"card\": {\"number\": \"4111111111111111\","
         " \"exp_month\": 12, \"exp_year\": 2030}}");
    CASE("capture_method", "parameter_invalid",
         "{\"amount\": 10, \"currency\": \"EUR\", \"capture_method\": \"later\", %s}", card);
    CASE("reference", "parameter_invalid",
         "{\"amount\": 10, \"currency\": \"EUR\", \"reference\": 7, %s}", card);
    CASE("description", "parameter_invalid",
         "{\"amount\": 10, \"currency\": \"EUR\", \"description\": \"%0501d\", %s}", 0, card);
    CASE("amout", "parameter_unknown", "{\"amout\": 10, \"currency\": \"EUR\", %s}", card);
    CASE("card.pin", "parameter_unknown",
         "{\"amount\": 10, \"currency\": \"EUR\", \"card\": {\"number\": \"4111111111111111\","
         " \"exp_month\": 12, \"exp_year\": 2030, \"cvc\": \"123\", \"pin\": \"0000\"}}");
    CASE(NULL, "invalid_body", "not json");
    CASE(NULL, "invalid_body", "[1, 2]");
    CASE(NULL, "body_required", "%s", "");
#undef CASE
    for (int i = 0; i < n; i++) {
        char key[64];
        fresh_key(key, sizeof(key));
        ts_response r = call("POST", "/v1/payments", cases[i].body, key);
        if (r.status != 400)
            fail_msg("case %d (%s): status %ld: %s", i, cases[i].body, r.status, r.body);
        json_t *j = parse(&r);
        if (strcmp(str(j, "error.code"), cases[i].code) != 0)
            fail_msg("case %d (%s): code %s", i, cases[i].body, str(j, "error.code"));
        const char *field = str(j, "error.field");
        if (cases[i].field == NULL ? field != NULL
                                   : field == NULL || strcmp(field, cases[i].field) != 0)
            fail_msg("case %d (%s): field %s, expected %s", i, cases[i].body,
                     field ? field : "(none)", cases[i].field ? cases[i].field : "(none)");
        assert_string_equal(str(j, "error.category"), "request");
        json_decref(j);
        ts_response_free(&r);
    }
    assert_int_equal(db_count("SELECT COUNT(*) FROM payments WHERE id <> ?", ""), before);
}

static void bad_input_on_other_endpoints(void **state)
{
    (void)state;
    json_t *p = create("4111111111111111", 1000, NULL, 201);
    json_t *e = refund(str(p, "id"), "{\"amount\": 0}", 400);
    assert_string_equal(str(e, "error.field"), "amount");
    json_decref(e);
    e = refund(str(p, "id"), "{\"reason\": 5}", 400);
    assert_string_equal(str(e, "error.field"), "reason");
    json_decref(e);
    e = refund(str(p, "id"), "{\"amount\": 10, \"currency\": \"EUR\"}", 400);
    assert_string_equal(str(e, "error.code"), "parameter_unknown");
    assert_string_equal(str(e, "error.field"), "currency");
    json_decref(e);
    e = refund("pay_missing", NULL, 404);
    assert_string_equal(str(e, "error.code"), "resource_missing");
    json_decref(e);
    static const struct {
        const char *query, *field;
    } lists[] = {
        {"limit=0", "limit"},      {"limit=101", "limit"},
        {"limit=abc", "limit"},    {"limit=", "limit"},
        {"status=paid", "status"}, {"starting_after=pay_nope", "starting_after"},
    };
    for (size_t i = 0; i < sizeof(lists) / sizeof(lists[0]); i++) {
        char path[128];
        snprintf(path, sizeof(path), "/v1/payments?%s", lists[i].query);
        e = expect("GET", path, NULL, NULL, 400);
        assert_string_equal(str(e, "error.field"), lists[i].field);
        json_decref(e);
    }
    e = expect("GET", "/v1/payments/pay_nope", NULL, NULL, 404);
    assert_string_equal(str(e, "error.code"), "resource_missing");
    assert_string_equal(str(e, "error.field"), "id");
    json_decref(e);
    json_decref(p);
}

static void list_newest_first_with_cursor(void **state)
{
    (void)state;
    char ids[5][32];
    for (int i = 0; i < 5; i++) {
        json_t *p = create(i == 2 ? "4100000000001009" : "4111111111111111", 100 + i,
                           "\"reference\": \"page-test\"", i == 2 ? 402 : 201);
        const char *id = i == 2 ? str(p, "error.payment.id") : str(p, "id");
        snprintf(ids[i], sizeof(ids[i]), "%s", id);
        json_decref(p);
    }
    json_t *l = expect("GET", "/v1/payments?reference=page-test&limit=2", NULL, NULL, 200);
    json_t *data = json_object_get(l, "data");
    assert_int_equal(json_array_size(data), 2);
    assert_string_equal(str(json_array_get(data, 0), "id"), ids[4]);
    assert_string_equal(str(json_array_get(data, 1), "id"), ids[3]);
    assert_true(json_is_true(json_object_get(l, "has_more")));
    json_decref(l);
    char path[160];
    snprintf(path, sizeof(path), "/v1/payments?reference=page-test&limit=2&starting_after=%s",
             ids[3]);
    l = expect("GET", path, NULL, NULL, 200);
    data = json_object_get(l, "data");
    assert_int_equal(json_array_size(data), 2);
    assert_string_equal(str(json_array_get(data, 0), "id"), ids[2]);
    assert_string_equal(str(json_array_get(data, 1), "id"), ids[1]);
    assert_true(json_is_true(json_object_get(l, "has_more")));
    json_decref(l);
    snprintf(path, sizeof(path), "/v1/payments?reference=page-test&limit=2&starting_after=%s",
             ids[1]);
    l = expect("GET", path, NULL, NULL, 200);
    data = json_object_get(l, "data");
    assert_int_equal(json_array_size(data), 1);
    assert_string_equal(str(json_array_get(data, 0), "id"), ids[0]);
    assert_true(json_is_false(json_object_get(l, "has_more")));
    json_decref(l);
    l = expect("GET", "/v1/payments?reference=page-test&status=failed", NULL, NULL, 200);
    data = json_object_get(l, "data");
    assert_int_equal(json_array_size(data), 1);
    assert_string_equal(str(json_array_get(data, 0), "id"), ids[2]);
    json_decref(l);
    l = expect("GET", "/v1/payments?reference=page-test", NULL, NULL, 200);
    assert_int_equal(json_array_size(json_object_get(l, "data")), 5);
    json_decref(l);
}

/* The built program: starts on an ephemeral port, announces it, serves, stops on SIGTERM. */
static void program_serves_and_stops_on_sigterm(void **state)
{
    (void)state;
    char pf[600], db[600], log[600];
    snprintf(pf, sizeof(pf), "%s/payments.port", tmpdir);
    snprintf(db, sizeof(db), "%s/program/payments.db", tmpdir);
    snprintf(log, sizeof(log), "%s/payments.log", tmpdir);
    char *argv[] = {(char *)ts_sandbox_bin(),
                    "payments",
                    "--port",
                    "0",
                    "--port-file",
                    pf,
                    "--db",
                    db,
                    "--clock",
                    clock_path,
                    "--secret-key",
                    KEY,
                    "--access-log",
                    "false",
                    NULL};
    int pid = ts_spawn(argv, log);
    int child_port = ts_wait_port_file(pf, 10000);
    if (child_port <= 0) {
        ts_stop_child(pid, SIGKILL, 1000);
        fail_msg("the payments program did not write its port file (see %s)", log);
    }
    int saved = port;
    port = child_port;
    json_t *p = create("4111111111111111", 321, NULL, 201);
    assert_string_equal(str(p, "created"), "2026-03-01T08:00:00Z");
    json_decref(p);
    port = saved;
    assert_int_equal(ts_stop_child(pid, SIGTERM, 10000), 0);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(healthz_needs_no_key),
        cmocka_unit_test(authentication_failures),
        cmocka_unit_test(succeeding_cards),
        cmocka_unit_test(failing_cards),
        cmocka_unit_test(expiry_follows_the_world_clock),
        cmocka_unit_test(confirmation_step),
        cmocka_unit_test(capture_and_refund_limits),
        cmocka_unit_test(cancel_an_authorization),
        cmocka_unit_test(idempotent_replays),
        cmocka_unit_test(idempotency_key_is_required_and_checked),
        cmocka_unit_test(racing_identical_requests_charge_once),
        cmocka_unit_test(racing_refunds_never_exceed_the_capture),
        cmocka_unit_test(bad_input_names_the_field),
        cmocka_unit_test(bad_input_on_other_endpoints),
        cmocka_unit_test(list_newest_first_with_cursor),
        cmocka_unit_test(program_serves_and_stops_on_sigterm),
    };
    return cmocka_run_group_tests(tests, setup, teardown);
}
