/* test_accounts_mail.c: the e-mail flows end to end: the platform sends over real SMTP to
 * the sandbox mail server, the test reads the message from the mailbox's HTTP API, follows
 * the link's token, and checks single use and expiry (verification and password reset), one
 * live reset link per account (older ones void, all void after a password change), the reset
 * throttles (one mail per account per interval, requests per address), a reset password that
 * is the e-mail address, and sign-up with a registered address (same answer, owner told).
 * The e-mails leave through the outbox relay (ct_accounts_use_outbox; "password changed"
 * through the notification hub, ct_accounts_use_hub, as in serve), so the mailbox is read
 * after ct_outbox_drain; one test holds the relay back to show that no mail is sent inside a
 * request, that a reset answers as fast for a registered address as for an unknown one, and
 * that the outbox never holds a link's token (sealed, then blanked once sent). */
#include "ct_test.h"

#include <curl/curl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

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
static ct_outbox *outbox;
static ct_notify_hub *hub; /* the security notices go through it, as in serve */
static int port;
static char smtp_url[64];
static const char *db_url; /* the engine of this run of the group (SQLite, then PostgreSQL) */

static int setup(void **state)
{
    (void)state;
    curl_global_init(CURL_GLOBAL_DEFAULT);
    ts_tempdir(tmpdir, sizeof(tmpdir));
    char mail_url[512], err[256];
    snprintf(mail_url, sizeof(mail_url), "sqlite:%s/mail.db", tmpdir);
    sb_mail_options mo = {
        .http = {.port = 0, .threads = 2}, .smtp = {.port = 0}, .db_url = mail_url};
    if (sb_mail_start(&mo, &mail, err, sizeof(err)) != CT_OK)
        fail_msg("mail server: %s", err);
    snprintf(smtp_url, sizeof(smtp_url), "smtp://127.0.0.1:%d", sb_mail_smtp_port(mail));
    mailer = (ct_mailer){smtp_url, "Contrail <no-reply@contrail.test>", 10};
    ct_store_close(ts_open_migrated(db_url));
    if (ct_store_pool_open(db_url, 6, &app.pool, err, sizeof(err)) != CT_OK)
        fail_msg("pool: %s", err);
    ct_accounts_config cfg = {.jwt_secret = "mail-test-secret-0123456789abcdefghijklmn",
                              .public_url = "https://contrail.example",
                              .mailer = &mailer};
    if (ct_accounts_init(&accounts, &cfg) != CT_OK)
        fail_msg("accounts");
    ct_notify_config nc = {.pool = app.pool,
                           .mailer = &mailer,
                           .public_url = cfg.public_url,
                           .secret = cfg.jwt_secret};
    if (ct_outbox_new(app.pool, NULL, 50, &outbox) != CT_OK ||
        ct_notify_hub_new(&nc, &hub) != CT_OK ||
        ct_accounts_use_outbox(&accounts, outbox, app.pool) != CT_OK ||
        ct_accounts_use_hub(&accounts, hub, outbox) != CT_OK || ct_outbox_start(outbox) != CT_OK)
        fail_msg("outbox");
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
    ct_outbox_stop(outbox);
    ct_notify_hub_free(hub);
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
    assert_int_equal(ct_outbox_drain(outbox, 10000), CT_OK); /* the e-mails sent */
    char url[256];
    snprintf(url, sizeof(url), "http://127.0.0.1:%d/api/v1/messages?to=%s", sb_mail_http_port(mail),
             to);
    ts_response r = ts_http_url("GET", url, NULL, NULL);
    assert_int_equal(r.status, 200);
    json_t *list = ts_json(&r), *first = NULL, *m;
    size_t i;
    json_array_foreach(json_object_get(list, "items"), i, m)
    {
        /* Newest first; the password-changed notice leaves through the hub, another
         * subscriber, so it may land after a reset link asked for later. */
        if (first == NULL && strstr(json_string_value(json_object_get(m, "subject")), subject))
            first = m;
    }
    assert_non_null(first);
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

/* Messages in the mailbox of `to` now. */
static size_t mailbox_size(const char *to)
{
    char url[256];
    snprintf(url, sizeof(url), "http://127.0.0.1:%d/api/v1/messages?to=%s", sb_mail_http_port(mail),
             to);
    ts_response r = ts_http_url("GET", url, NULL, NULL);
    assert_int_equal(r.status, 200);
    json_t *list = ts_json(&r);
    size_t n = json_array_size(json_object_get(list, "items"));
    json_decref(list);
    ts_response_free(&r);
    return n;
}

/* Messages in the mailbox of `to` once the relay has sent what is waiting. */
static size_t mail_count(const char *to)
{
    assert_int_equal(ct_outbox_drain(outbox, 10000), CT_OK);
    return mailbox_size(to);
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
                     202);
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
                     202);
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
    /* A reset link expires after an hour (asked for after the one-mail interval). */
    ct__accounts_clock_offset = CT_RESET_MAIL_INTERVAL + 1;
    assert_int_equal(post("/api/v1/password-resets", "{\"email\":\"rosa@example.com\"}"), 202);
    token_from_mail("rosa@example.com", "Reset your Contrail password", token, sizeof(token));
    snprintf(body, sizeof(body), "{\"token\":\"%s\",\"password\":\"yet another passphrase\"}",
             token);
    ct__accounts_clock_offset += 3601;
    assert_int_equal(post("/api/v1/password-resets/confirm", body), 400);
    ct__accounts_clock_offset = 0;
}

static void one_live_reset_link(void **state)
{
    (void)state;
    assert_int_equal(post("/api/v1/users", "{\"email\":\"lena@example.com\",\"password\":\"correct "
                                           "horse battery\"}"),
                     202);
    char first[128], second[128], body[300];
    assert_int_equal(post("/api/v1/password-resets", "{\"email\":\"lena@example.com\"}"), 202);
    token_from_mail("lena@example.com", "Reset your Contrail password", first, sizeof(first));
    /* A second request within the interval: the same answer, no second mail. */
    size_t before = mail_count("lena@example.com");
    assert_int_equal(post("/api/v1/password-resets", "{\"email\":\"lena@example.com\"}"), 202);
    assert_int_equal(mail_count("lena@example.com"), before);
    /* Later, a new link voids the older one. */
    ct__accounts_clock_offset = CT_RESET_MAIL_INTERVAL + 1;
    assert_int_equal(post("/api/v1/password-resets", "{\"email\":\"lena@example.com\"}"), 202);
    token_from_mail("lena@example.com", "Reset your Contrail password", second, sizeof(second));
    assert_string_not_equal(first, second);
    snprintf(body, sizeof(body), "{\"token\":\"%s\",\"password\":\"a brand new passphrase\"}",
             first);
    assert_int_equal(post("/api/v1/password-resets/confirm", body), 400);
    /* The e-mail address is no password; the link survives the refusal. */
    snprintf(body, sizeof(body), "{\"token\":\"%s\",\"password\":\"LENA@example.com\"}", second);
    ts_response r = ts_http("POST", port, "/api/v1/password-resets/confirm", body, NULL);
    assert_int_equal(r.status, 400);
    assert_non_null(strstr(r.body, "\"field\":\"password\""));
    ts_response_free(&r);
    snprintf(body, sizeof(body), "{\"token\":\"%s\",\"password\":\"a brand new passphrase\"}",
             second);
    assert_int_equal(post("/api/v1/password-resets/confirm", body), 204);
    /* A link asked for before a password change is void after it. */
    ct__accounts_clock_offset = 2 * (CT_RESET_MAIL_INTERVAL + 1);
    assert_int_equal(post("/api/v1/password-resets", "{\"email\":\"lena@example.com\"}"), 202);
    token_from_mail("lena@example.com", "Reset your Contrail password", first, sizeof(first));
    r = ts_http("POST", port, "/api/v1/sessions",
                "{\"email\":\"lena@example.com\",\"password\":\"a brand new passphrase\"}", NULL);
    assert_int_equal(r.status, 200);
    json_t *j = ts_json(&r);
    char auth[1300];
    snprintf(auth, sizeof(auth), "Authorization: Bearer %s",
             json_string_value(json_object_get(j, "access_token")));
    json_decref(j);
    ts_response_free(&r);
    const char *h[] = {auth, NULL};
    r = ts_http("PUT", port, "/api/v1/me/password",
                "{\"current_password\":\"a brand new passphrase\",\"new_password\":\"changed "
                "by hand 1\"}",
                h);
    assert_int_equal(r.status, 204);
    ts_response_free(&r);
    snprintf(body, sizeof(body), "{\"token\":\"%s\",\"password\":\"yet another passphrase\"}",
             first);
    assert_int_equal(post("/api/v1/password-resets/confirm", body), 400);
    ct__accounts_clock_offset = 0;
}

static void signup_never_reveals_an_account(void **state)
{
    (void)state;
    const char *body = "{\"email\":\"owen@example.com\",\"password\":\"correct horse battery\"}";
    ts_response a = ts_http("POST", port, "/api/v1/users", body, NULL);
    size_t before = mail_count("owen@example.com");
    ts_response b =
        ts_http("POST", port, "/api/v1/users",
                "{\"email\":\"OWEN@example.com\",\"password\":\"someone else 123\"}", NULL);
    assert_int_equal(a.status, 202);
    assert_int_equal(b.status, 202);
    assert_string_equal(a.body, b.body);
    ts_response_free(&a);
    ts_response_free(&b);
    /* The owner hears of it, once an hour however often it is tried. */
    assert_int_equal(mail_count("owen@example.com"), before + 1);
    char url[256];
    snprintf(url, sizeof(url), "http://127.0.0.1:%d/api/v1/messages?to=owen@example.com",
             sb_mail_http_port(mail));
    ts_response r = ts_http_url("GET", url, NULL, NULL);
    assert_non_null(strstr(r.body, "Someone tried to sign up"));
    ts_response_free(&r);
    assert_int_equal(post("/api/v1/users", body), 202);
    assert_int_equal(mail_count("owen@example.com"), before + 1);
    /* The old password still works: nothing changed. */
    assert_int_equal(post("/api/v1/sessions", body), 200);
}

static double ms_now(void)
{
    struct timespec t;
    clock_gettime(CLOCK_MONOTONIC, &t);
    return (double)t.tv_sec * 1e3 + (double)t.tv_nsec / 1e6;
}

static int cmp_double(const void *x, const void *y)
{
    double a = *(const double *)x, b = *(const double *)y;
    return a < b ? -1 : a > b;
}

/* The milliseconds a reset request for `email` takes to be answered (202). */
static double reset_ms(const char *email)
{
    char body[128];
    snprintf(body, sizeof(body), "{\"email\":\"%s\"}", email);
    double t0 = ms_now();
    long status = post("/api/v1/password-resets", body);
    double t = ms_now() - t0;
    assert_int_equal(status, 202);
    return t;
}

/* Every account e-mail event's payload in the outbox, one per line (the caller's, free). */
static char *outbox_payloads(void)
{
    ct_store *st = NULL;
    assert_int_equal(ct_store_pool_acquire(app.pool, 5000, &st), CT_OK);
    ct_stmt *s = NULL;
    assert_int_equal(
        ct_store_prepare(st, "SELECT payload FROM outbox WHERE type = '" CT_ACCOUNTS_MAIL_EVENT "'",
                         &s),
        CT_OK);
    size_t cap = 1 << 16, n = 0;
    char *out = calloc(1, cap);
    assert_non_null(out);
    while (ct_stmt_step(s) == CT_ROW)
        n += (size_t)snprintf(out + n, n < cap ? cap - n : 0, "%s\n", ct_stmt_text(s, 0));
    assert_true(n < cap);
    ct_stmt_finalize(s);
    ct_store_pool_release(app.pool, st);
    return out;
}

/* With the relay held back: the answers come, the mail does not (no SMTP in the request), a
 * registered address answers no slower than an unknown one, and the outbox holds no token. */
static void mail_leaves_after_the_answer(void **state)
{
    (void)state;
    ct_outbox_stop(outbox); /* a relay made but not started: events wait */
    assert_int_equal(ct_outbox_new(app.pool, NULL, 50, &outbox), CT_OK);
    assert_int_equal(ct_accounts_use_outbox(&accounts, outbox, app.pool), CT_OK);
    assert_int_equal(ct_accounts_use_hub(&accounts, hub, outbox), CT_OK);
    assert_int_equal(post("/api/v1/users", "{\"email\":\"tina@example.com\",\"password\":\"correct "
                                           "horse battery\"}"),
                     202);
    /* Ten rounds an hour apart, all in the past (the per-address limit counts the last hour,
     * and the throttle test after this one must see none of them); each round one request
     * for the account (a new link every time: the one-mail interval has passed) and one for
     * an unknown address, in alternating order. */
    enum { ROUNDS = 10 };
    double known[ROUNDS], unknown[ROUNDS];
    for (int r = 0; r < ROUNDS; r++) {
        char nobody[64];
        snprintf(nobody, sizeof(nobody), "nobody%d@example.com", r);
        ct__accounts_clock_offset = -(int64_t)(2 * ROUNDS - r) * 3601;
        if (r % 2) {
            unknown[r] = reset_ms(nobody);
            known[r] = reset_ms("tina@example.com");
        } else {
            known[r] = reset_ms("tina@example.com");
            unknown[r] = reset_ms(nobody);
        }
    }
    ct__accounts_clock_offset = 0;
    assert_int_equal(mailbox_size("tina@example.com"), 0); /* nothing was mailed in a request */
    qsort(known, ROUNDS, sizeof(double), cmp_double);
    qsort(unknown, ROUNDS, sizeof(double), cmp_double);
    double mk = (known[ROUNDS / 2 - 1] + known[ROUNDS / 2]) / 2;
    double mu = (unknown[ROUNDS / 2 - 1] + unknown[ROUNDS / 2]) / 2;
    print_message("reset answer medians: registered %.2f ms, unknown %.2f ms\n", mk, mu);
    assert_true(mk - mu < 20.0);
    /* The events carry the address and a sealed token, never the token itself. */
    char *before = outbox_payloads();
    assert_non_null(strstr(before, "\"sealed\""));
    /* The relay runs: the verification and the ten reset links arrive. */
    assert_int_equal(ct_outbox_start(outbox), CT_OK);
    assert_int_equal(mail_count("tina@example.com"), 1 + ROUNDS);
    char token[128];
    token_from_mail("tina@example.com", "Reset your Contrail password", token, sizeof(token));
    assert_null(strstr(before, token));
    free(before);
    /* Once sent, the events' payloads are blank. */
    char *after = outbox_payloads();
    assert_null(strstr(after, "sealed"));
    assert_null(strstr(after, "tina@"));
    free(after);
}

/* Reset requests per client address are limited (CT_RESET_PER_HOUR an hour): runs last. */
/* After the relay has sent what is waiting: how many messages to `to` have the subject
 * `subject`, and the text of the newest of them in *text (caller frees; NULL when none). */
static size_t messages_with_subject(const char *to, const char *subject, char **text)
{
    assert_int_equal(ct_outbox_drain(outbox, 10000), CT_OK);
    char url[256];
    snprintf(url, sizeof(url), "http://127.0.0.1:%d/api/v1/messages?to=%s", sb_mail_http_port(mail),
             to);
    ts_response r = ts_http_url("GET", url, NULL, NULL);
    assert_int_equal(r.status, 200);
    json_t *list = ts_json(&r), *m;
    size_t i, n = 0;
    *text = NULL;
    json_array_foreach(json_object_get(list, "items"), i, m)
    {
        if (strcmp(json_string_value(json_object_get(m, "subject")), subject) != 0)
            continue;
        if (n++ > 0)
            continue;
        snprintf(url, sizeof(url), "http://127.0.0.1:%d/api/v1/messages/%s",
                 sb_mail_http_port(mail), json_string_value(json_object_get(m, "id")));
        ts_response mr = ts_http_url("GET", url, NULL, NULL);
        assert_int_equal(mr.status, 200);
        json_t *msg = ts_json(&mr);
        *text = strdup(json_string_value(json_object_get(msg, "text")));
        json_decref(msg);
        ts_response_free(&mr);
    }
    json_decref(list);
    ts_response_free(&r);
    return n;
}

#define FIREFOX_WINDOWS                                                                            \
    "Mozilla/5.0 (Windows NT 10.0; Win64; x64; rv:133.0) Gecko/20100101 Firefox/133.0"
#define SAFARI_IPHONE                                                                              \
    "Mozilla/5.0 (iPhone; CPU iPhone OS 18_1 like Mac OS X) AppleWebKit/605.1.15 (KHTML, like "    \
    "Gecko) Version/18.1 Mobile/15E148 Safari/604.1"

/* A password change, and a reset, each mail the owner once: when, from which device and
 * address, and the reset link if it was not them. */
static void password_change_mails_the_owner(void **state)
{
    (void)state;
    const char *subject = "Your Contrail password was changed";
    assert_int_equal(post("/api/v1/users", "{\"email\":\"pia@example.com\",\"password\":\"correct "
                                           "horse battery\"}"),
                     202);
    ts_response r = ts_http("POST", port, "/api/v1/sessions",
                            "{\"email\":\"pia@example.com\",\"password\":\"correct horse "
                            "battery\"}",
                            NULL);
    json_t *j = ts_json(&r);
    char auth[1300];
    snprintf(auth, sizeof(auth), "Authorization: Bearer %s",
             json_string_value(json_object_get(j, "access_token")));
    json_decref(j);
    ts_response_free(&r);
    char *text = NULL;
    assert_int_equal(messages_with_subject("pia@example.com", subject, &text), 0);
    /* A refused change mails nothing. */
    const char *h[] = {auth, "User-Agent: " FIREFOX_WINDOWS, NULL};
    r = ts_http("PUT", port, "/api/v1/me/password",
                "{\"current_password\":\"wrong guess here\",\"new_password\":\"a brand new "
                "passphrase\"}",
                h);
    assert_int_equal(r.status, 400);
    ts_response_free(&r);
    assert_int_equal(messages_with_subject("pia@example.com", subject, &text), 0);
    time_t before = time(NULL);
    r = ts_http("PUT", port, "/api/v1/me/password",
                "{\"current_password\":\"correct horse battery\",\"new_password\":\"a brand new "
                "passphrase\"}",
                h);
    assert_int_equal(r.status, 204);
    ts_response_free(&r);
    assert_int_equal(messages_with_subject("pia@example.com", subject, &text), 1);
    assert_non_null(text);
    char when[40];
    struct tm tm;
    gmtime_r(&before, &tm);
    strftime(when, sizeof(when), "%d %B %Y at ", &tm); /* the minute may have turned */
    assert_non_null(strstr(text, when));
    assert_non_null(strstr(text, "UTC"));
    assert_non_null(strstr(text, "Device: Firefox on Windows (" FIREFOX_WINDOWS ")"));
    assert_non_null(strstr(text, "Address: 127.0.0.1"));
    assert_non_null(strstr(text, "If it was not you"));
    assert_non_null(strstr(text, "https://contrail.example/reset-password"));
    assert_null(strstr(text, "reset link")); /* a change, not a reset */
    free(text);
    /* The event's payload (address, device) is blanked once sent. */
    char *payloads = outbox_payloads();
    assert_null(strstr(payloads, "Firefox"));
    free(payloads);
    /* A reset mails it too, naming the reset, once. */
    assert_int_equal(post("/api/v1/password-resets", "{\"email\":\"pia@example.com\"}"), 202);
    char token[128], body[256];
    token_from_mail("pia@example.com", "Reset your Contrail password", token, sizeof(token));
    snprintf(body, sizeof(body), "{\"token\":\"%s\",\"password\":\"yet another passphrase\"}",
             token);
    const char *uh[] = {"User-Agent: " SAFARI_IPHONE, NULL};
    r = ts_http("POST", port, "/api/v1/password-resets/confirm", body, uh);
    assert_int_equal(r.status, 204);
    ts_response_free(&r);
    assert_int_equal(messages_with_subject("pia@example.com", subject, &text), 2);
    assert_non_null(strstr(text, "with a password-reset link"));
    assert_non_null(strstr(text, "Device: Safari on iOS ("));
    assert_non_null(strstr(text, "Address: 127.0.0.1"));
    free(text);
}

static void reset_requests_throttled_per_address(void **state)
{
    (void)state;
    int accepted = 0, throttled = 0;
    for (int i = 0; i < CT_RESET_PER_HOUR + 2; i++) {
        char body[96];
        snprintf(body, sizeof(body), "{\"email\":\"flood%d@example.com\"}", i);
        ts_response r = ts_http("POST", port, "/api/v1/password-resets", body, NULL);
        accepted += r.status == 202;
        if (r.status == 429) {
            throttled++;
            assert_true(ts_has_header(&r, "Retry-After: "));
        }
        ts_response_free(&r);
    }
    assert_true(accepted <= CT_RESET_PER_HOUR);
    assert_true(throttled >= 2);
    ct__accounts_clock_offset = 3601;
    assert_int_equal(post("/api/v1/password-resets", "{\"email\":\"flood0@example.com\"}"), 202);
    ct__accounts_clock_offset = 0;
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(verification_link_works_once),
        cmocka_unit_test(password_reset_by_mail),
        cmocka_unit_test(one_live_reset_link),
        cmocka_unit_test(signup_never_reveals_an_account),
        cmocka_unit_test(mail_leaves_after_the_answer),
        cmocka_unit_test(password_change_mails_the_owner),
        cmocka_unit_test(reset_requests_throttled_per_address), /* last: throttles this address */
    };
    char dir[256], urls[2][512];
    ts_tempdir(dir, sizeof(dir));
    int n = ts_store_urls(dir, urls, 2), failed = 0;
    for (int i = 0; i < n; i++) {
        db_url = urls[i];
        failed += cmocka_run_group_tests_name(
            strncmp(db_url, "sqlite:", 7) == 0 ? "sqlite" : "postgres", tests, setup, teardown);
    }
    ts_rmtree(dir);
    return failed;
}
