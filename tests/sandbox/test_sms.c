/* test_sms.c: the sandbox SMS gateway over real HTTP on loopback, its messages in a real
 * SQLite file (its state file, like the mail server's mailbox). The Twilio-like message API:
 * Basic auth (none, a wrong token, another account's path), every validation error with its
 * Twilio code, 1600 characters accepted and 1601 refused, segments of GSM-7 and UCS-2 text,
 * the idempotency token (a replay answers the stored message and stores nothing; another
 * message under the same token is refused; sixteen racing requests with one token store one
 * message), the list (filter by number, newest first, limit), faults on demand (the next N
 * requests answer 503 and store nothing), and durability (a restarted gateway lists what it
 * stored). The world clock is frozen, so dates are known. */
#define _GNU_SOURCE
#include "ct_test.h"

#include <curl/curl.h>
#include <jansson.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "httpclient.h"
#include "sandbox/runtime/clock.h"
#include "sandbox/sms/sms.h"
#include "testsupport.h"

#define WORLD_NOW 1772352000LL /* 2026-03-01T08:00:00Z, a Sunday */

static char tmpdir[256], clock_path[512], store_url[600];
static sb_sms *gw;
static int port;
static char auth[256], messages_url[256];

static void start_gateway(void)
{
    char err[256];
    sb_sms_options opt = {.http = {.port = 0, .threads = 4},
                          .db_url = store_url,
                          .clock_path = clock_path,
                          .account = "ACtest",
                          .token = "secret-token"};
    if (sb_sms_start(&opt, &gw, err, sizeof(err)) != CT_OK)
        fail_msg("start: %s", err);
    port = sb_sms_port(gw);
    snprintf(messages_url, sizeof(messages_url),
             "http://127.0.0.1:%d/2010-04-01/Accounts/ACtest/Messages.json", port);
}

static int setup(void **state)
{
    (void)state;
    curl_global_init(CURL_GLOBAL_DEFAULT);
    ts_tempdir(tmpdir, sizeof(tmpdir));
    snprintf(clock_path, sizeof(clock_path), "%s/clock.json", tmpdir);
    sb_clock *clk = NULL;
    if (sb_clock_open(clock_path, &clk) || sb_clock_set(clk, WORLD_NOW * 1000, 0.0))
        fail_msg("cannot set the clock");
    sb_clock_close(clk);
    snprintf(store_url, sizeof(store_url), "sqlite:%s/sms.db", tmpdir);
    /* "ACtest:secret-token" */
    snprintf(auth, sizeof(auth), "Authorization: Basic QUN0ZXN0OnNlY3JldC10b2tlbg==");
    start_gateway();
    return 0;
}

static int teardown(void **state)
{
    (void)state;
    sb_sms_stop(gw);
    ts_rmtree(tmpdir);
    curl_global_cleanup();
    return 0;
}

static void clear(void)
{
    char url[128];
    snprintf(url, sizeof(url), "http://127.0.0.1:%d/api/v1/messages", port);
    ts_response r = ts_http_url("DELETE", url, NULL, NULL);
    assert_int_equal(r.status, 200);
    ts_response_free(&r);
}

/* POSTs a form body with the given header lines (NULL-terminated, at most 4). */
static ts_response send_form(const char *form, const char *const *extra)
{
    const char *h[6] = {"Content-Type: application/x-www-form-urlencoded"};
    for (int i = 0; extra != NULL && extra[i] != NULL && i < 4; i++)
        h[i + 1] = extra[i];
    return ts_http_url("POST", messages_url, form, h);
}

static ts_response send_authed(const char *form, const char *key_header)
{
    const char *h[] = {auth, key_header, NULL};
    return send_form(form, h);
}

/* The Twilio error code of a refusal, after checking its status and shape. */
static long error_code(ts_response *r, long status)
{
    assert_int_equal(r->status, status);
    json_t *j = ts_json(r);
    long code = (long)json_integer_value(json_object_get(j, "code"));
    assert_int_equal(json_integer_value(json_object_get(j, "status")), status);
    assert_non_null(json_string_value(json_object_get(j, "message")));
    assert_non_null(strstr(json_string_value(json_object_get(j, "more_info")), "twilio.com"));
    json_decref(j);
    ts_response_free(r);
    return code;
}

static json_t *list(const char *query)
{
    char url[256];
    snprintf(url, sizeof(url), "http://127.0.0.1:%d/api/v1/messages%s", port, query);
    ts_response r = ts_http_url("GET", url, NULL, NULL);
    assert_int_equal(r.status, 200);
    json_t *j = ts_json(&r);
    ts_response_free(&r);
    return j;
}

static long total(const char *query)
{
    json_t *j = list(query);
    long n = (long)json_integer_value(json_object_get(j, "total"));
    json_decref(j);
    return n;
}

static void auth_is_required(void **state)
{
    (void)state;
    clear();
    const char *none[] = {NULL};
    ts_response r = send_form("To=%2B447700900001&From=C&Body=hi", none);
    assert_true(ts_has_header(&r, "WWW-Authenticate: Basic"));
    assert_int_equal(error_code(&r, 401), 20003);
    /* "ACtest:wrong" */
    const char *wrong[] = {"Authorization: Basic QUN0ZXN0Ondyb25n", NULL};
    r = send_form("To=%2B447700900001&From=C&Body=hi", wrong);
    assert_int_equal(error_code(&r, 401), 20003);
    /* The right credentials on another account's path. */
    char other[256];
    snprintf(other, sizeof(other), "http://127.0.0.1:%d/2010-04-01/Accounts/ACother/Messages.json",
             port);
    const char *h[] = {auth, NULL};
    r = ts_http_url("POST", other, "To=%2B447700900001&From=C&Body=hi", h);
    assert_int_equal(error_code(&r, 404), 20404);
    assert_int_equal(total(""), 0);
}

static void a_message_is_stored_and_answered(void **state)
{
    (void)state;
    clear();
    ts_response r =
        send_authed("To=%2B447700900123&From=Contrail&Body=Your+code+is+123456%21", NULL);
    assert_int_equal(r.status, 201);
    json_t *m = ts_json(&r);
    ts_response_free(&r);
    const char *sid = json_string_value(json_object_get(m, "sid"));
    assert_true(strncmp(sid, "SM", 2) == 0 && strlen(sid) == 34);
    assert_string_equal(json_string_value(json_object_get(m, "status")), "queued");
    assert_string_equal(json_string_value(json_object_get(m, "to")), "+447700900123");
    assert_string_equal(json_string_value(json_object_get(m, "from")), "Contrail");
    assert_string_equal(json_string_value(json_object_get(m, "body")), "Your code is 123456!");
    assert_string_equal(json_string_value(json_object_get(m, "num_segments")), "1");
    assert_string_equal(json_string_value(json_object_get(m, "price")), "-0.00790");
    assert_string_equal(json_string_value(json_object_get(m, "price_unit")), "USD");
    assert_string_equal(json_string_value(json_object_get(m, "date_created")),
                        "Sun, 01 Mar 2026 08:00:00 +0000");
    assert_string_equal(json_string_value(json_object_get(m, "account_sid")), "ACtest");
    json_t *l = list("?to=%2B447700900123");
    assert_int_equal(json_integer_value(json_object_get(l, "total")), 1);
    json_t *first = json_array_get(json_object_get(l, "items"), 0);
    assert_string_equal(json_string_value(json_object_get(first, "sid")), sid);
    assert_string_equal(json_string_value(json_object_get(first, "status")), "delivered");
    char one[128];
    snprintf(one, sizeof(one), "http://127.0.0.1:%d/api/v1/messages/%s", port, sid);
    r = ts_http_url("GET", one, NULL, NULL);
    assert_int_equal(r.status, 200);
    ts_response_free(&r);
    json_decref(l);
    json_decref(m);
    /* A messaging service instead of From. */
    r = send_authed("To=%2B447700900123&MessagingServiceSid=MG123&Body=x", NULL);
    assert_int_equal(r.status, 201);
    ts_response_free(&r);
}

static void bad_messages_are_refused(void **state)
{
    (void)state;
    clear();
    static const struct {
        const char *form;
        long code;
    } cases[] = {
        {"From=C&Body=hi", 21211},                        /* no To */
        {"To=447700900123&From=C&Body=hi", 21211},        /* no + */
        {"To=%2B0447700900&From=C&Body=hi", 21211},       /* leading 0 */
        {"To=%2B4477&From=C&Body=hi", 21211},             /* too short */
        {"To=%2B1234567890123456&From=C&Body=hi", 21211}, /* 16 digits */
        {"To=%2B44+7700+900123&From=C&Body=hi", 21211},   /* spaces */
        {"To=%2B447700900123&Body=hi", 21603},            /* no From nor service */
        {"To=%2B447700900123&From=C", 21602},             /* no Body */
        {"To=%2B447700900123&From=C&Body=", 21602},       /* empty Body */
        {"To=%2B447700900123&From=C&Body=%FF%FE", 21602}, /* not UTF-8 */
        {"To=%2B447700900123&From=C&Body=%ZZ", 21602},    /* broken form encoding */
    };
    for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
        ts_response r = send_authed(cases[i].form, NULL);
        assert_int_equal(error_code(&r, 400), cases[i].code);
    }
    /* 1600 characters (here 2-byte ones: 3200 bytes) are accepted, 1601 are not. */
    char *form = malloc(20000);
    strcpy(form, "To=%2B447700900123&From=C&Body=");
    for (int i = 0; i < 1600; i++)
        strcat(form, "%C3%A9"); /* é */
    ts_response r = send_authed(form, NULL);
    assert_int_equal(r.status, 201);
    json_t *m = ts_json(&r);
    assert_string_equal(json_string_value(json_object_get(m, "num_segments")), "24"); /* /67 */
    json_decref(m);
    ts_response_free(&r);
    strcat(form, "a");
    r = send_authed(form, NULL);
    assert_int_equal(error_code(&r, 400), 21617);
    free(form);
    assert_int_equal(total(""), 1);
}

static void segments_follow_the_encoding(void **state)
{
    (void)state;
    char text[400];
    memset(text, 'a', 160);
    text[160] = '\0';
    assert_int_equal(sb_sms_segments(text), 1);
    strcat(text, "a");
    assert_int_equal(sb_sms_segments(text), 2); /* 161 / 153 */
    memset(text, 'a', 306);
    text[306] = '\0';
    assert_int_equal(sb_sms_segments(text), 2);
    strcat(text, "a");
    assert_int_equal(sb_sms_segments(text), 3);
    assert_int_equal(sb_sms_segments("\xc3\xa9"), 1);
    char wide[200] = "";
    for (int i = 0; i < 71; i++)
        strcat(wide, "\xc3\xa9");
    assert_int_equal(sb_sms_segments(wide), 2); /* 71 UCS-2 characters: 67 per part */
    assert_int_equal(sb_sms_segments(""), 0);
}

static void idempotency_token_sends_once(void **state)
{
    (void)state;
    clear();
    ts_response r =
        send_authed("To=%2B447700900200&From=C&Body=once", "I-Twilio-Idempotency-Token: tok-1");
    assert_int_equal(r.status, 201);
    json_t *a = ts_json(&r);
    ts_response_free(&r);
    r = send_authed("To=%2B447700900200&From=C&Body=once", "I-Twilio-Idempotency-Token: tok-1");
    assert_int_equal(r.status, 201);
    json_t *b = ts_json(&r);
    ts_response_free(&r);
    assert_string_equal(json_string_value(json_object_get(a, "sid")),
                        json_string_value(json_object_get(b, "sid")));
    json_decref(a);
    json_decref(b);
    assert_int_equal(total("?to=%2B447700900200"), 1);
    /* Idempotency-Key works too, and is the same token space. */
    r = send_authed("To=%2B447700900200&From=C&Body=once", "Idempotency-Key: tok-1");
    assert_int_equal(r.status, 201);
    ts_response_free(&r);
    assert_int_equal(total("?to=%2B447700900200"), 1);
    /* Another message under a used token. */
    r = send_authed("To=%2B447700900200&From=C&Body=twice", "I-Twilio-Idempotency-Token: tok-1");
    assert_int_equal(error_code(&r, 409), 20409);
    /* No token: every request is a message. */
    for (int i = 0; i < 2; i++) {
        r = send_authed("To=%2B447700900200&From=C&Body=again", NULL);
        assert_int_equal(r.status, 201);
        ts_response_free(&r);
    }
    assert_int_equal(total("?to=%2B447700900200"), 3);
}

static void *racer(void *arg)
{
    long *status = arg;
    ts_response r =
        send_authed("To=%2B447700900300&From=C&Body=race", "I-Twilio-Idempotency-Token: race-1");
    *status = r.status;
    ts_response_free(&r);
    return NULL;
}

static void racing_retries_store_one_message(void **state)
{
    (void)state;
    clear();
    pthread_t t[16];
    long status[16];
    for (int i = 0; i < 16; i++)
        pthread_create(&t[i], NULL, racer, &status[i]);
    for (int i = 0; i < 16; i++) {
        pthread_join(t[i], NULL);
        assert_int_equal(status[i], 201);
    }
    assert_int_equal(total("?to=%2B447700900300"), 1);
}

static void list_filters_and_limits(void **state)
{
    (void)state;
    clear();
    for (int i = 0; i < 5; i++) {
        char form[128];
        snprintf(form, sizeof(form), "To=%%2B4477009004%02d&From=C&Body=n%d", i % 2, i);
        ts_response r = send_authed(form, NULL);
        assert_int_equal(r.status, 201);
        ts_response_free(&r);
    }
    assert_int_equal(total(""), 5);
    assert_int_equal(total("?to=%2B447700900400"), 3);
    assert_int_equal(total("?to=%2B447700900401"), 2);
    json_t *l = list("?to=%2B447700900400&limit=1");
    json_t *items = json_object_get(l, "items");
    assert_int_equal(json_array_size(items), 1);
    assert_string_equal(json_string_value(json_object_get(json_array_get(items, 0), "body")),
                        "n4"); /* newest first */
    json_decref(l);
    char url[128];
    snprintf(url, sizeof(url), "http://127.0.0.1:%d/api/v1/messages?limit=0", port);
    ts_response r = ts_http_url("GET", url, NULL, NULL);
    assert_int_equal(r.status, 400);
    ts_response_free(&r);
}

static void faults_on_demand(void **state)
{
    (void)state;
    clear();
    char url[128];
    snprintf(url, sizeof(url), "http://127.0.0.1:%d/admin/faults", port);
    ts_response r = ts_http_url("PUT", url, "{\"fail_next\": 2, \"status\": 503}", NULL);
    assert_int_equal(r.status, 200);
    ts_response_free(&r);
    for (int i = 0; i < 2; i++) {
        r = send_authed("To=%2B447700900500&From=C&Body=f", "I-Twilio-Idempotency-Token: f-1");
        assert_int_equal(error_code(&r, 503), 20500);
    }
    r = send_authed("To=%2B447700900500&From=C&Body=f", "I-Twilio-Idempotency-Token: f-1");
    assert_int_equal(r.status, 201);
    ts_response_free(&r);
    assert_int_equal(total("?to=%2B447700900500"), 1);
    r = ts_http_url("GET", url, NULL, NULL);
    json_t *j = ts_json(&r);
    assert_int_equal(json_integer_value(json_object_get(j, "failed")), 2);
    assert_int_equal(json_integer_value(json_object_get(j, "fail_next")), 0);
    json_decref(j);
    ts_response_free(&r);
    r = ts_http_url("PUT", url, "{\"fail_next\": 1, \"status\": 404}", NULL);
    assert_int_equal(r.status, 400);
    ts_response_free(&r);
}

static void messages_survive_a_restart(void **state)
{
    (void)state;
    clear();
    ts_response r = send_authed("To=%2B447700900600&From=C&Body=kept", NULL);
    assert_int_equal(r.status, 201);
    ts_response_free(&r);
    sb_sms_stop(gw);
    start_gateway();
    assert_int_equal(total("?to=%2B447700900600"), 1);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(auth_is_required),
        cmocka_unit_test(a_message_is_stored_and_answered),
        cmocka_unit_test(bad_messages_are_refused),
        cmocka_unit_test(segments_follow_the_encoding),
        cmocka_unit_test(idempotency_token_sends_once),
        cmocka_unit_test(racing_retries_store_one_message),
        cmocka_unit_test(list_filters_and_limits),
        cmocka_unit_test(faults_on_demand),
        cmocka_unit_test(messages_survive_a_restart),
    };
    int failed = cmocka_run_group_tests_name("sqlite", tests, setup, teardown);
    return failed;
}
