/* test_sms_client.c: the platform's SMS client (notify/sms.h) against the real sandbox
 * gateway (sandbox/sms/) over loopback: a message arrives with its body, number and the
 * gateway's sid; a 503 fault is retried with the same idempotency key and the message is
 * stored once; a retried call under one key sends once; without a key nothing is retried;
 * refusals keep their Twilio code (a body over 1600 characters, wrong credentials); numbers
 * that are not E.164 are refused before any request; a stopped gateway is unavailable. */
#define _GNU_SOURCE
#include "ct_test.h"

#include <curl/curl.h>
#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "httpclient.h"
#include "notify/sms.h"
#include "sandbox/sms/sms.h"
#include "testsupport.h"

static char tmpdir[256], base[64];
static sb_sms *gw;
static ct_sms_client client;

static int setup(void **state)
{
    (void)state;
    curl_global_init(CURL_GLOBAL_DEFAULT);
    ts_tempdir(tmpdir, sizeof(tmpdir));
    char url[600], err[256];
    snprintf(url, sizeof(url), "sqlite:%s/sms.db", tmpdir);
    sb_sms_options opt = {.http = {.port = 0, .threads = 2},
                          .db_url = url,
                          .account = "ACclient",
                          .token = "client-token"};
    if (sb_sms_start(&opt, &gw, err, sizeof(err)) != CT_OK)
        fail_msg("start: %s", err);
    snprintf(base, sizeof(base), "http://127.0.0.1:%d", sb_sms_port(gw));
    client = (ct_sms_client){base, "ACclient", "client-token", 10};
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

static json_t *messages_to(const char *to_escaped)
{
    char url[256];
    snprintf(url, sizeof(url), "%s/api/v1/messages?to=%s", base, to_escaped);
    ts_response r = ts_http_url("GET", url, NULL, NULL);
    assert_int_equal(r.status, 200);
    json_t *j = ts_json(&r);
    ts_response_free(&r);
    return j;
}

static long count_to(const char *to_escaped)
{
    json_t *j = messages_to(to_escaped);
    long n = (long)json_integer_value(json_object_get(j, "total"));
    json_decref(j);
    return n;
}

static void set_faults(int n, int status)
{
    char url[128], body[64];
    snprintf(url, sizeof(url), "%s/admin/faults", base);
    snprintf(body, sizeof(body), "{\"fail_next\": %d, \"status\": %d}", n, status);
    ts_response r = ts_http_url("PUT", url, body, NULL);
    assert_int_equal(r.status, 200);
    ts_response_free(&r);
}

static long faults_failed(void)
{
    char url[128];
    snprintf(url, sizeof(url), "%s/admin/faults", base);
    ts_response r = ts_http_url("GET", url, NULL, NULL);
    json_t *j = ts_json(&r);
    long n = (long)json_integer_value(json_object_get(j, "failed"));
    json_decref(j);
    ts_response_free(&r);
    return n;
}

static void a_message_arrives(void **state)
{
    (void)state;
    char sid[64] = "", err[256] = "";
    const char *body = "Contrail: your flight LHR-JFK is confirmed. Gate & seat: 12A \xe2\x9c\x88";
    assert_int_equal(
        ct_sms_send(&client, "+447700900001", body, "k-arrive", sid, sizeof(sid), err, sizeof(err)),
        CT_OK);
    assert_true(strncmp(sid, "SM", 2) == 0);
    json_t *l = messages_to("%2B447700900001");
    json_t *m = json_array_get(json_object_get(l, "items"), 0);
    assert_non_null(m);
    assert_string_equal(json_string_value(json_object_get(m, "sid")), sid);
    assert_string_equal(json_string_value(json_object_get(m, "body")), body);
    assert_string_equal(json_string_value(json_object_get(m, "from")), "Contrail");
    assert_string_equal(json_string_value(json_object_get(m, "idempotency_key")), "k-arrive");
    json_decref(l);
}

static void a_503_is_retried_with_the_same_key_and_sent_once(void **state)
{
    (void)state;
    long before = faults_failed();
    set_faults(2, 503);
    char sid[64] = "", err[256] = "";
    assert_int_equal(ct_sms_send(&client, "+447700900002", "retried", "k-retry", sid, sizeof(sid),
                                 err, sizeof(err)),
                     CT_OK);
    assert_int_equal(faults_failed() - before, 2); /* two attempts failed, the third stored */
    assert_int_equal(count_to("%2B447700900002"), 1);
    /* The caller retrying the whole call with its key: still one message, the same sid. */
    char again[64] = "";
    assert_int_equal(ct_sms_send(&client, "+447700900002", "retried", "k-retry", again,
                                 sizeof(again), err, sizeof(err)),
                     CT_OK);
    assert_string_equal(again, sid);
    assert_int_equal(count_to("%2B447700900002"), 1);
}

static void without_a_key_nothing_is_retried(void **state)
{
    (void)state;
    long before = faults_failed();
    set_faults(1, 503);
    char err[256] = "";
    assert_int_equal(ct_sms_send(&client, "+447700900003", "once", NULL, NULL, 0, err, sizeof(err)),
                     CT_UNAVAILABLE);
    assert_int_equal(faults_failed() - before, 1);
    assert_int_equal(count_to("%2B447700900003"), 0);
    assert_non_null(strstr(err, "20500"));
}

static void refusals_keep_their_code(void **state)
{
    (void)state;
    char *body = malloc(1700);
    memset(body, 'x', 1601);
    body[1601] = '\0';
    char err[256] = "";
    assert_int_equal(
        ct_sms_send(&client, "+447700900004", body, "k-long", NULL, 0, err, sizeof(err)),
        CT_INVALID);
    assert_non_null(strstr(err, "21617"));
    body[1600] = '\0';
    assert_int_equal(
        ct_sms_send(&client, "+447700900004", body, "k-1600", NULL, 0, err, sizeof(err)), CT_OK);
    free(body);
    ct_sms_client wrong = client;
    wrong.token = "not-the-token";
    assert_int_equal(
        ct_sms_send(&wrong, "+447700900004", "hi", "k-auth", NULL, 0, err, sizeof(err)), CT_ERR);
    assert_non_null(strstr(err, "20003"));
    assert_int_equal(count_to("%2B447700900004"), 1);
}

static void bad_numbers_are_refused_before_sending(void **state)
{
    (void)state;
    static const char *bad[] = {"447700900005", "+0447700900",       "+44 7700 900005",
                                "+44770",       "+1234567890123456", "",
                                "+44770090000a"};
    char err[256];
    for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
        assert_false(ct_sms_is_e164(bad[i]));
        assert_int_equal(ct_sms_send(&client, bad[i], "hi", "k", NULL, 0, err, sizeof(err)),
                         CT_INVALID);
    }
    assert_true(ct_sms_is_e164("+447700900005"));
    assert_true(ct_sms_is_e164("+12025550123"));
    assert_int_equal(ct_sms_send(&client, "+447700900005", "", "k", NULL, 0, err, sizeof(err)),
                     CT_INVALID);
    ct_sms_client none = {0};
    assert_int_equal(ct_sms_send(&none, "+447700900005", "hi", "k", NULL, 0, err, sizeof(err)),
                     CT_INVALID);
    assert_int_equal(count_to("%2B447700900005"), 0);
}

static void a_stopped_gateway_is_unavailable(void **state)
{
    (void)state;
    sb_sms_stop(gw);
    gw = NULL;
    ct_sms_client c = client;
    c.timeout_s = 2;
    char err[256] = "";
    ct_status rc = ct_sms_send(&c, "+447700900006", "hi", "k-down", NULL, 0, err, sizeof(err));
    assert_true(rc == CT_UNAVAILABLE || rc == CT_AGAIN);
    assert_non_null(strstr(err, "unreachable"));
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(a_message_arrives),
        cmocka_unit_test(a_503_is_retried_with_the_same_key_and_sent_once),
        cmocka_unit_test(without_a_key_nothing_is_retried),
        cmocka_unit_test(refusals_keep_their_code),
        cmocka_unit_test(bad_numbers_are_refused_before_sending),
        cmocka_unit_test(a_stopped_gateway_is_unavailable), /* last: stops the gateway */
    };
    return cmocka_run_group_tests(tests, setup, teardown);
}
