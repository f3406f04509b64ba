/* test_phone_api.c: a phone number verified by a code, end to end over HTTP on SQLite and
 * PostgreSQL: the API sends the code by SMS through the platform's client to the real sandbox
 * gateway (sandbox/sms/), and the test reads it from the gateway's message list, as a person
 * reads their phone. Checked: E.164 validation naming `phone`; 202 and a 6-digit code; /me
 * shows the pending number, then the verified one; a wrong code spends one of five attempts
 * (the message counts down) and a sixth try is refused even with the right code; a code
 * expires after ten minutes (the accounts clock moved); a second code within a minute is
 * throttled with Retry-After, and at most five an hour; a new code voids the old one; a
 * gateway failing with 503 answers 503 and spends nothing; DELETE removes the number;
 * the GDPR export carries it and erasure deletes it, its codes and its mentions in the
 * security log; the code is never stored
 * in clear. */
#include "ct_test.h"

#include <curl/curl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "api/api.h"
#include "httpclient.h"
#include "notify/sms.h"
#include "sandbox/sms/sms.h"
#include "testsupport.h"

static char tmpdir[256], gw_base[64];
static ct_app app;
static ct_accounts accounts;
static ct_sms_client sms;
static ct_router *router;
static ct_http_server *server;
static sb_sms *gw;
static int port;
static const char *db_url;
static int users; /* a fresh user (and number) per test */

static int setup(void **state)
{
    (void)state;
    curl_global_init(CURL_GLOBAL_DEFAULT);
    ts_tempdir(tmpdir, sizeof(tmpdir));
    char gw_url[512], err[256];
    snprintf(gw_url, sizeof(gw_url), "sqlite:%s/sms.db", tmpdir);
    sb_sms_options so = {.http = {.port = 0, .threads = 2}, .db_url = gw_url};
    if (sb_sms_start(&so, &gw, err, sizeof(err)) != CT_OK)
        fail_msg("gateway: %s", err);
    snprintf(gw_base, sizeof(gw_base), "http://127.0.0.1:%d", sb_sms_port(gw));
    sms = (ct_sms_client){gw_base, SB_SMS_DEFAULT_ACCOUNT, SB_SMS_DEFAULT_TOKEN, 10};
    ct_store_close(ts_open_migrated(db_url));
    if (ct_store_pool_open(db_url, 6, &app.pool, err, sizeof(err)) != CT_OK)
        fail_msg("pool: %s", err);
    ct_accounts_config cfg = {.jwt_secret = "phone-test-secret-0123456789abcdefghijklmn",
                              .public_url = "https://contrail.example",
                              .sms = &sms,
                              /* every test user asks from 127.0.0.1 */
                              .phone_sends_per_ip_hour = 1000};
    if (ct_accounts_init(&accounts, &cfg) != CT_OK)
        fail_msg("accounts");
    app.accounts = &accounts;
    router = ct_router_create();
    if (ct_api_register(&app, router) != CT_OK)
        fail_msg("register");
    ct_http_options opt = {.port = 0, .threads = 2};
    if (ct_http_server_start(&opt, router, &server) != CT_OK)
        fail_msg("start");
    port = ct_http_server_port(server);
    return 0;
}

static int teardown(void **state)
{
    (void)state;
    ct__accounts_clock_offset = 0;
    ct_http_server_stop(server);
    ct_router_destroy(router);
    ct_api_free(&app);
    ct_store_pool_close(app.pool);
    sb_sms_stop(gw);
    ts_rmtree(tmpdir);
    curl_global_cleanup();
    return 0;
}

typedef struct user {
    char bearer[1300];
    char phone[24];   /* "+447700900NNN" */
    char escaped[32]; /* for the gateway's ?to= */
    char login[256];  /* the sign-in body */
    const char *h[2];
} user;

static void sign_in(user *u);

/* Registers and signs in a fresh user with a fresh number. */
static void new_user(user *u)
{
    int n = ++users;
    char body[256];
    snprintf(body, sizeof(body),
             "{\"email\":\"phone%d@example.com\",\"password\":\"correct horse battery\"}", n);
    ts_response r = ts_http("POST", port, "/api/v1/users", body, NULL);
    assert_int_equal(r.status, 202);
    ts_response_free(&r);
    snprintf(u->login, sizeof(u->login), "%s", body);
    sign_in(u);
    snprintf(u->phone, sizeof(u->phone), "+447700900%03d", n);
    snprintf(u->escaped, sizeof(u->escaped), "%%2B447700900%03d", n);
    u->h[0] = u->bearer;
    u->h[1] = NULL;
}

/* A fresh access token (after the accounts clock moved past its life). */
static void sign_in(user *u)
{
    ts_response r = ts_http("POST", port, "/api/v1/sessions", u->login, NULL);
    assert_int_equal(r.status, 200);
    json_t *j = ts_json(&r);
    snprintf(u->bearer, sizeof(u->bearer), "Authorization: Bearer %s",
             json_string_value(json_object_get(j, "access_token")));
    json_decref(j);
    ts_response_free(&r);
}

static ts_response call(user *u, const char *method, const char *path, const char *body)
{
    return ts_http(method, port, path, body, u->h);
}

static long status_of(user *u, const char *method, const char *path, const char *body)
{
    ts_response r = call(u, method, path, body);
    long s = r.status;
    ts_response_free(&r);
    return s;
}

static long request_code(user *u)
{
    char body[64];
    snprintf(body, sizeof(body), "{\"phone\":\"%s\"}", u->phone);
    return status_of(u, "PUT", "/api/v1/me/phone", body);
}

/* SMS messages the gateway holds for the user's number. */
static long sms_count(const user *u)
{
    char url[256];
    snprintf(url, sizeof(url), "%s/api/v1/messages?to=%s", gw_base, u->escaped);
    ts_response r = ts_http_url("GET", url, NULL, NULL);
    assert_int_equal(r.status, 200);
    json_t *j = ts_json(&r);
    long n = (long)json_integer_value(json_object_get(j, "total"));
    json_decref(j);
    ts_response_free(&r);
    return n;
}

/* The code in the newest SMS to the user's number. */
static void code_from_sms(const user *u, char code[7])
{
    char url[256];
    snprintf(url, sizeof(url), "%s/api/v1/messages?to=%s&limit=1", gw_base, u->escaped);
    ts_response r = ts_http_url("GET", url, NULL, NULL);
    assert_int_equal(r.status, 200);
    json_t *j = ts_json(&r);
    const char *text =
        json_string_value(json_object_get(json_array_get(json_object_get(j, "items"), 0), "body"));
    assert_non_null(text);
    const char *at = strstr(text, "code is ");
    assert_non_null(at);
    memcpy(code, at + 8, 6);
    code[6] = '\0';
    for (int i = 0; i < 6; i++)
        assert_true(code[i] >= '0' && code[i] <= '9');
    json_decref(j);
    ts_response_free(&r);
}

static ts_response verify(user *u, const char *code)
{
    char body[64];
    snprintf(body, sizeof(body), "{\"code\":\"%s\"}", code);
    return call(u, "POST", "/api/v1/me/phone/verify", body);
}

/* A 6-digit code that is not `code`. */
static void other_code(const char *code, char out[7])
{
    snprintf(out, 7, "%s", code);
    out[0] = out[0] == '9' ? '0' : (char)(out[0] + 1);
}

static json_t *me(user *u)
{
    ts_response r = call(u, "GET", "/api/v1/me", NULL);
    assert_int_equal(r.status, 200);
    json_t *j = ts_json(&r);
    ts_response_free(&r);
    return j;
}

static void problem_names(ts_response *r, long status, const char *field, const char *text)
{
    assert_int_equal(r->status, status);
    assert_true(ts_has_header(r, "Content-Type: application/problem+json"));
    if (field != NULL || text != NULL) {
        assert_non_null(strstr(r->body, field ? field : text));
        if (text != NULL)
            assert_non_null(strstr(r->body, text));
    }
    ts_response_free(r);
}

static void a_number_is_verified_by_its_code(void **state)
{
    (void)state;
    user u;
    new_user(&u);
    json_t *j = me(&u);
    assert_true(json_is_null(json_object_get(j, "phone")));
    assert_true(json_is_false(json_object_get(j, "phone_verified")));
    json_decref(j);
    ts_response r = call(&u, "PUT", "/api/v1/me/phone", "{\"phone\":\"+44 7700 900123\"}");
    problem_names(&r, 400, "phone", "E.164");
    r = call(&u, "PUT", "/api/v1/me/phone", "{\"phone\":\"07700900123\"}");
    problem_names(&r, 400, "phone", NULL);
    r = call(&u, "PUT", "/api/v1/me/phone", "{}");
    problem_names(&r, 400, "phone", NULL);
    assert_int_equal(sms_count(&u), 0);

    char body[64];
    snprintf(body, sizeof(body), "{\"phone\":\"%s\"}", u.phone);
    r = call(&u, "PUT", "/api/v1/me/phone", body);
    assert_int_equal(r.status, 202);
    j = ts_json(&r);
    assert_int_equal(json_integer_value(json_object_get(j, "expires_in")), 600);
    json_decref(j);
    ts_response_free(&r);
    assert_int_equal(sms_count(&u), 1);
    j = me(&u);
    assert_true(json_is_null(json_object_get(j, "phone")));
    assert_string_equal(json_string_value(json_object_get(j, "phone_pending")), u.phone);
    json_decref(j);

    char code[7], wrong[7];
    code_from_sms(&u, code);
    other_code(code, wrong);
    r = verify(&u, "12345");
    problem_names(&r, 400, "code", "6 digits");
    r = verify(&u, wrong);
    problem_names(&r, 400, "code", "4 attempts left");
    r = verify(&u, code);
    assert_int_equal(r.status, 200);
    ts_response_free(&r);
    j = me(&u);
    assert_string_equal(json_string_value(json_object_get(j, "phone")), u.phone);
    assert_true(json_is_true(json_object_get(j, "phone_verified")));
    assert_true(json_integer_value(json_object_get(j, "phone_verified_at")) > 0);
    assert_true(json_is_null(json_object_get(j, "phone_pending")));
    json_decref(j);
    r = verify(&u, code); /* used */
    problem_names(&r, 409, "code", "no code is pending");

    /* The export carries the number; DELETE removes it. */
    r = call(&u, "GET", "/api/v1/me/export", NULL);
    assert_int_equal(r.status, 200);
    assert_non_null(strstr(r.body, u.phone));
    ts_response_free(&r);
    assert_int_equal(status_of(&u, "DELETE", "/api/v1/me/phone", NULL), 204);
    j = me(&u);
    assert_true(json_is_null(json_object_get(j, "phone")));
    assert_true(json_is_false(json_object_get(j, "phone_verified")));
    char uid[64];
    snprintf(uid, sizeof(uid), "%s", json_string_value(json_object_get(j, "id")));
    json_decref(j);
    /* Each change wrote its event with it: the last digits only, never the number. */
    ct_store *st = ts_open_migrated(db_url);
    ct_stmt *s = NULL;
    assert_int_equal(ct_store_prepare(st,
                                      "SELECT type, payload FROM outbox WHERE aggregate = 'user'"
                                      " AND aggregate_id = ? ORDER BY seq",
                                      &s),
                     CT_OK);
    ct_stmt_bind_text(s, 1, uid);
    static const char *const types[] = {"account.phone_verified", "account.phone_removed"};
    for (int i = 0; i < 2; i++) {
        assert_int_equal(ct_stmt_step(s), CT_ROW);
        assert_string_equal(ct_stmt_text(s, 0), types[i]);
        assert_null(strstr(ct_stmt_text(s, 1), u.phone + 1));
        if (i == 0)
            assert_non_null(strstr(ct_stmt_text(s, 1), u.phone + strlen(u.phone) - 4));
    }
    assert_int_equal(ct_stmt_step(s), CT_DONE);
    ct_stmt_finalize(s);
    ct_store_close(st);
}

static void five_wrong_codes_end_the_code(void **state)
{
    (void)state;
    user u;
    new_user(&u);
    assert_int_equal(request_code(&u), 202);
    char code[7], wrong[7];
    code_from_sms(&u, code);
    other_code(code, wrong);
    for (int i = 1; i <= CT_PHONE_CODE_ATTEMPTS; i++) {
        ts_response r = verify(&u, wrong);
        assert_int_equal(r.status, 400);
        if (i == CT_PHONE_CODE_ATTEMPTS)
            assert_non_null(strstr(r.body, "no attempts left"));
        ts_response_free(&r);
    }
    ts_response r = verify(&u, code); /* right, but too late */
    problem_names(&r, 409, "code", "too many wrong attempts");
    json_t *j = me(&u);
    assert_true(json_is_false(json_object_get(j, "phone_verified")));
    json_decref(j);
    /* A new code (after the resend interval) starts again. */
    ct__accounts_clock_offset = CT_PHONE_RESEND_INTERVAL + 1;
    assert_int_equal(request_code(&u), 202);
    code_from_sms(&u, code);
    r = verify(&u, code);
    assert_int_equal(r.status, 200);
    ts_response_free(&r);
    ct__accounts_clock_offset = 0;
}

static void a_code_expires_after_ten_minutes(void **state)
{
    (void)state;
    user u;
    new_user(&u);
    assert_int_equal(request_code(&u), 202);
    char code[7];
    code_from_sms(&u, code);
    ct__accounts_clock_offset = CT_PHONE_CODE_TTL;
    ts_response r = verify(&u, code);
    problem_names(&r, 409, "code", "expired");
    ct__accounts_clock_offset = CT_PHONE_CODE_TTL - 1; /* the last second still counts */
    r = verify(&u, code);
    assert_int_equal(r.status, 200);
    ts_response_free(&r);
    ct__accounts_clock_offset = 0;
}

static void resends_are_throttled(void **state)
{
    (void)state;
    user u;
    new_user(&u);
    assert_int_equal(request_code(&u), 202);
    char first[7], second[7];
    code_from_sms(&u, first);
    char body[64];
    snprintf(body, sizeof(body), "{\"phone\":\"%s\"}", u.phone);
    ts_response r = call(&u, "PUT", "/api/v1/me/phone", body);
    assert_int_equal(r.status, 429);
    assert_true(ts_has_header(&r, "Retry-After: "));
    ts_response_free(&r);
    assert_int_equal(sms_count(&u), 1);
    /* A minute on: a new code, and the first one is void. */
    int sent = 1;
    for (int i = 1; i < CT_PHONE_SENDS_PER_HOUR; i++) {
        ct__accounts_clock_offset = i * (CT_PHONE_RESEND_INTERVAL + 1);
        assert_int_equal(request_code(&u), 202);
        sent++;
    }
    assert_int_equal(sms_count(&u), sent);
    code_from_sms(&u, second);
    if (strcmp(first, second) != 0) {
        r = verify(&u, first);
        assert_int_equal(r.status, 400);
        ts_response_free(&r);
    }
    /* Five in the hour: the sixth waits for the hour to pass. */
    ct__accounts_clock_offset = CT_PHONE_SENDS_PER_HOUR * (CT_PHONE_RESEND_INTERVAL + 1);
    assert_int_equal(request_code(&u), 429);
    assert_int_equal(sms_count(&u), sent);
    ct__accounts_clock_offset = 3601;
    sign_in(&u);
    assert_int_equal(request_code(&u), 202);
    assert_int_equal(sms_count(&u), sent + 1);
    /* Removing the number does not reset the throttle. */
    assert_int_equal(status_of(&u, "DELETE", "/api/v1/me/phone", NULL), 204);
    assert_int_equal(request_code(&u), 429);
    ct__accounts_clock_offset = 0;
}

static void a_failing_gateway_spends_nothing(void **state)
{
    (void)state;
    user u;
    new_user(&u);
    char url[128];
    snprintf(url, sizeof(url), "%s/admin/faults", gw_base);
    ts_response r = ts_http_url("PUT", url, "{\"fail_next\": 100, \"status\": 503}", NULL);
    assert_int_equal(r.status, 200);
    ts_response_free(&r);
    char body[64];
    snprintf(body, sizeof(body), "{\"phone\":\"%s\"}", u.phone);
    r = call(&u, "PUT", "/api/v1/me/phone", body);
    problem_names(&r, 503, NULL, NULL);
    r = ts_http_url("PUT", url, "{\"fail_next\": 0}", NULL);
    ts_response_free(&r);
    assert_int_equal(sms_count(&u), 0);
    assert_int_equal(request_code(&u), 202); /* not throttled by the failed send */
    assert_int_equal(sms_count(&u), 1);
    /* One 503 on the way is retried with the same key: one SMS. */
    ct__accounts_clock_offset = CT_PHONE_RESEND_INTERVAL + 1;
    r = ts_http_url("PUT", url, "{\"fail_next\": 1, \"status\": 503}", NULL);
    ts_response_free(&r);
    assert_int_equal(request_code(&u), 202);
    assert_int_equal(sms_count(&u), 2);
    ct__accounts_clock_offset = 0;
}

static void one_number_is_capped_across_accounts(void **state)
{
    (void)state;
    user u[CT_PHONE_SENDS_PER_NUMBER_HOUR + 1];
    for (int i = 0; i <= CT_PHONE_SENDS_PER_NUMBER_HOUR; i++) {
        new_user(&u[i]);
        snprintf(u[i].phone, sizeof(u[i].phone), "+447700909999"); /* a victim's number */
        snprintf(u[i].escaped, sizeof(u[i].escaped), "%%2B447700909999");
        assert_int_equal(request_code(&u[i]), i < CT_PHONE_SENDS_PER_NUMBER_HOUR ? 202 : 429);
    }
    assert_int_equal(sms_count(&u[0]), CT_PHONE_SENDS_PER_NUMBER_HOUR);
}

static void one_address_is_capped_across_accounts(void **state)
{
    (void)state;
    ct__accounts_clock_offset = 20000; /* an hour with no sends yet */
    accounts.cfg.phone_sends_per_ip_hour = 3;
    for (int i = 0; i < 4; i++) {
        user u;
        new_user(&u);
        assert_int_equal(request_code(&u), i < 3 ? 202 : 429);
        assert_int_equal(sms_count(&u), i < 3 ? 1 : 0);
    }
    accounts.cfg.phone_sends_per_ip_hour = 1000;
    ct__accounts_clock_offset = 0;
}

static void erasure_deletes_the_number(void **state)
{
    (void)state;
    user u;
    new_user(&u);
    assert_int_equal(request_code(&u), 202);
    char code[7];
    code_from_sms(&u, code);
    ts_response r = verify(&u, code);
    assert_int_equal(r.status, 200);
    ts_response_free(&r);
    ct_store *st = ts_open_migrated(db_url);
    ct_stmt *s = NULL;
    assert_int_equal(ct_store_prepare(st, "SELECT code_hash FROM phone_codes", &s), CT_OK);
    while (ct_stmt_step(s) == CT_ROW) {
        const char *h = ct_stmt_text(s, 0);
        assert_true(h[0] == '\0' || strlen(h) == 64); /* hashes, never codes */
    }
    ct_stmt_finalize(s);
    assert_int_equal(
        status_of(&u, "DELETE", "/api/v1/me", "{\"password\":\"correct horse battery\"}"), 204);
    int64_t n = -1;
    assert_int_equal(ct_store_prepare(st,
                                      "SELECT (SELECT COUNT(*) FROM users WHERE phone_e164 = ?) +"
                                      " (SELECT COUNT(*) FROM phone_codes WHERE phone_e164 = ?) +"
                                      " (SELECT COUNT(*) FROM security_events WHERE subject = ?"
                                      " OR detail = ?)",
                                      &s),
                     CT_OK);
    ct_stmt_bind_text(s, 1, u.phone);
    ct_stmt_bind_text(s, 2, u.phone);
    ct_stmt_bind_text(s, 3, u.phone);
    ct_stmt_bind_text(s, 4, u.phone);
    assert_int_equal(ct_stmt_step(s), CT_ROW);
    n = ct_stmt_int64(s, 0);
    ct_stmt_finalize(s);
    ct_store_close(st);
    assert_int_equal(n, 0);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(a_number_is_verified_by_its_code),
        cmocka_unit_test(five_wrong_codes_end_the_code),
        cmocka_unit_test(a_code_expires_after_ten_minutes),
        cmocka_unit_test(resends_are_throttled),
        cmocka_unit_test(a_failing_gateway_spends_nothing),
        cmocka_unit_test(one_number_is_capped_across_accounts),
        cmocka_unit_test(one_address_is_capped_across_accounts),
        cmocka_unit_test(erasure_deletes_the_number),
    };
    char dir[256], urls[2][512];
    ts_tempdir(dir, sizeof(dir));
    int n = ts_store_urls(dir, urls, 2), failed = 0;
    for (int i = 0; i < n; i++) {
        db_url = urls[i];
        users = 0;
        failed += cmocka_run_group_tests_name(
            strncmp(db_url, "sqlite:", 7) == 0 ? "sqlite" : "postgres", tests, setup, teardown);
    }
    ts_rmtree(dir);
    return failed;
}
