/* test_accounts_mail.c: the e-mail flows end to end: the platform sends over real SMTP to
 * the sandbox mail server, the test reads the message from the mailbox's HTTP API, follows
 * the link's token, and checks single use and expiry (verification and password reset). */
#include "ct_test.h"

#include <curl/curl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "api/api.h"
#include "httpclient.h"
#include "sandbox/mail/mail.h"
#include "testsupport.h"

static char tmpdir[256];
static ct_app app;
static ct_accounts accounts;
static ct_mailer mailer;
static ct_router *router;
static ct_http_server *server;
static sb_mail *mail;
static int port;
static char smtp_url[64];

static int setup(void **state)
{
    (void)state;
    curl_global_init(CURL_GLOBAL_DEFAULT);
    ts_tempdir(tmpdir, sizeof(tmpdir));
    char url[512], mail_url[512], err[256];
    snprintf(mail_url, sizeof(mail_url), "sqlite:%s/mail.db", tmpdir);
    sb_mail_options mo = {
        .http = {.port = 0, .threads = 2}, .smtp = {.port = 0}, .db_url = mail_url};
    if (sb_mail_start(&mo, &mail, err, sizeof(err)) != CT_OK)
        fail_msg("mail server: %s", err);
    snprintf(smtp_url, sizeof(smtp_url), "smtp://127.0.0.1:%d", sb_mail_smtp_port(mail));
    mailer = (ct_mailer){smtp_url, "Contrail <no-reply@contrail.test>", 10};
    snprintf(url, sizeof(url), "sqlite:%s/accounts.db", tmpdir);
    ct_store_close(ts_open_migrated(url));
    if (ct_store_pool_open(url, 4, &app.pool, err, sizeof(err)) != CT_OK)
        fail_msg("pool: %s", err);
    ct_accounts_config cfg = {.jwt_secret = "mail-test-secret-0123456789abcdefghijklmn",
                              .public_url = "https://contrail.example",
                              .mailer = &mailer};
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
    ct_http_server_stop(server);
    ct_router_destroy(router);
    ct_api_free(&app);
    ct_store_pool_close(app.pool);
    sb_mail_stop(mail);
    ts_rmtree(tmpdir);
    curl_global_cleanup();
    return 0;
}

/* The token in the newest message to `to` whose subject contains `subject`. */
static void token_from_mail(const char *to, const char *subject, char *out, size_t len)
{
    char url[256];
    snprintf(url, sizeof(url), "http://127.0.0.1:%d/api/v1/messages?to=%s", sb_mail_http_port(mail),
             to);
    ts_response r = ts_http_url("GET", url, NULL, NULL);
    assert_int_equal(r.status, 200);
    json_t *list = ts_json(&r);
    json_t *first = json_array_get(json_object_get(list, "items"), 0);
    assert_non_null(first);
    assert_non_null(strstr(json_string_value(json_object_get(first, "subject")), subject));
    snprintf(url, sizeof(url), "http://127.0.0.1:%d/api/v1/messages/%s", sb_mail_http_port(mail),
             json_string_value(json_object_get(first, "id")));
    json_decref(list);
    ts_response_free(&r);
    r = ts_http_url("GET", url, NULL, NULL);
    assert_int_equal(r.status, 200);
    json_t *msg = ts_json(&r);
    const char *text = json_string_value(json_object_get(msg, "text"));
    assert_non_null(text);
    const char *t = strstr(text, "https://contrail.example/");
    assert_non_null(t);
    t = strstr(t, "token=");
    assert_non_null(t);
    t += 6;
    size_t n = strcspn(t, "\r\n ");
    assert_true(n > 20 && n < len);
    memcpy(out, t, n);
    out[n] = '\0';
    json_decref(msg);
    ts_response_free(&r);
}

static long post(const char *path, const char *body)
{
    ts_response r = ts_http("POST", port, path, body, NULL);
    long s = r.status;
    ts_response_free(&r);
    return s;
}

static void verification_link_works_once(void **state)
{
    (void)state;
    assert_int_equal(post("/api/v1/users", "{\"email\":\"vera@example.com\",\"password\":\"correct "
                                           "horse battery\"}"),
                     201);
    char token[128], body[256];
    token_from_mail("vera@example.com", "Confirm your e-mail", token, sizeof(token));
    /* A fresh link on request; the first one keeps working until it expires. */
    {
        ts_response s = ts_http("POST", port, "/api/v1/sessions",
                                "{\"email\":\"vera@example.com\",\"password\":\"correct horse "
                                "battery\"}",
                                NULL);
        json_t *sj = ts_json(&s);
        char auth[1300];
        snprintf(auth, sizeof(auth), "Authorization: Bearer %s",
                 json_string_value(json_object_get(sj, "access_token")));
        json_decref(sj);
        ts_response_free(&s);
        const char *ah[] = {auth, NULL};
        s = ts_http("POST", port, "/api/v1/me/verify-email", NULL, ah);
        assert_int_equal(s.status, 202);
        assert_true(ts_has_header(&s, "Cache-Control: no-store"));
        ts_response_free(&s);
        char second[128];
        token_from_mail("vera@example.com", "Confirm your e-mail", second, sizeof(second));
        assert_string_not_equal(second, token);
    }
    snprintf(body, sizeof(body), "{\"token\":\"%s\"}", token);
    assert_int_equal(post("/api/v1/users/verify-email", body), 200);
    assert_int_equal(post("/api/v1/users/verify-email", body), 400); /* single use */
    assert_int_equal(post("/api/v1/users/verify-email", "{\"token\":\"forged\"}"), 400);
    ts_response r = ts_http("POST", port, "/api/v1/sessions",
                            "{\"email\":\"vera@example.com\",\"password\":\"correct horse "
                            "battery\"}",
                            NULL);
    json_t *j = ts_json(&r);
    char bearer[1300];
    snprintf(bearer, sizeof(bearer), "Authorization: Bearer %s",
             json_string_value(json_object_get(j, "access_token")));
    json_decref(j);
    ts_response_free(&r);
    const char *h[] = {bearer, NULL};
    r = ts_http("GET", port, "/api/v1/me", NULL, h);
    j = ts_json(&r);
    assert_true(json_is_true(json_object_get(j, "email_verified")));
    json_decref(j);
    ts_response_free(&r);
    r = ts_http("POST", port, "/api/v1/me/verify-email", NULL, h);
    assert_int_equal(r.status, 409); /* already verified */
    ts_response_free(&r);
}

static void password_reset_by_mail(void **state)
{
    (void)state;
    assert_int_equal(post("/api/v1/users", "{\"email\":\"rosa@example.com\",\"password\":\"correct "
                                           "horse battery\"}"),
                     201);
    /* Same answer for an unknown address; only the real one gets mail. */
    assert_int_equal(post("/api/v1/password-resets", "{\"email\":\"nobody@example.com\"}"), 202);
    assert_int_equal(post("/api/v1/password-resets", "{\"email\":\"rosa@example.com\"}"), 202);
    assert_int_equal(post("/api/v1/password-resets", "{\"email\":\"not an address\"}"), 400);
    char token[128], body[300];
    token_from_mail("rosa@example.com", "Reset your Contrail password", token, sizeof(token));
    snprintf(body, sizeof(body), "{\"token\":\"%s\",\"password\":\"short\"}", token);
    assert_int_equal(post("/api/v1/password-resets/confirm", body), 400); /* weak: kept unused */
    snprintf(body, sizeof(body), "{\"token\":\"%s\",\"password\":\"a brand new passphrase\"}",
             token);
    assert_int_equal(post("/api/v1/password-resets/confirm", body), 204);
    assert_int_equal(post("/api/v1/password-resets/confirm", body), 400); /* single use */
    assert_int_equal(post("/api/v1/sessions", "{\"email\":\"rosa@example.com\",\"password\":"
                                              "\"correct horse battery\"}"),
                     401);
    assert_int_equal(post("/api/v1/sessions", "{\"email\":\"rosa@example.com\",\"password\":\"a "
                                              "brand new passphrase\"}"),
                     200);
    /* A reset link expires after an hour. */
    assert_int_equal(post("/api/v1/password-resets", "{\"email\":\"rosa@example.com\"}"), 202);
    token_from_mail("rosa@example.com", "Reset your Contrail password", token, sizeof(token));
    snprintf(body, sizeof(body), "{\"token\":\"%s\",\"password\":\"yet another passphrase\"}",
             token);
    ct__accounts_clock_offset = 3601;
    assert_int_equal(post("/api/v1/password-resets/confirm", body), 400);
    ct__accounts_clock_offset = 0;
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(verification_link_works_once),
        cmocka_unit_test(password_reset_by_mail),
    };
    return cmocka_run_group_tests(tests, setup, teardown);
}
