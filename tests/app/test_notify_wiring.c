/* test_notify_wiring.c: the price events' notifications (app/notify_wiring.h) end to end, on
 * SQLite and PostgreSQL: a price_alert.triggered event as the alerts part writes it, added to
 * the real outbox, goes through the notification hub to the sandbox mail server (subject with
 * route and price in the currency's digits, the previous low, the limit, the drop and the advice
 * in the text, the search link, List-Unsubscribe), the in-app inbox (kind price_alert, linking to
 * the search) and, once the user turns SMS on with a verified number, the sandbox SMS gateway;
 * a trip.price_drop is kind trip and links to My trips; an event without user_id tells nobody;
 * amounts of zero-digit currencies have no decimals. */
#include "ct_test.h"

#include <curl/curl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "app/notify_wiring.h"
#include "base/alloc.h"
#include "httpclient.h"
#include "sandbox/mail/mail.h"
#include "sandbox/sms/sms.h"
#include "testsupport.h"

static char tmpdir[256];
static const char *db_url;
static ct_store_pool *pool;
static sb_mail *mail;
static sb_sms *gateway;
static char smtp_url[64], sms_url[64];
static ct_mailer mailer;
static ct_sms_client sms_client;
static ct_outbox *outbox;
static ct_notify_hub *hub;
static ct_app_notify ctx = {.public_url = "https://contrail.example"};

static int setup(void **state)
{
    (void)state;
    curl_global_init(CURL_GLOBAL_DEFAULT);
    ts_tempdir(tmpdir, sizeof(tmpdir));
    char url[512], err[256];
    snprintf(url, sizeof(url), "sqlite:%s/mail.db", tmpdir);
    sb_mail_options mo = {.http = {.port = 0, .threads = 2}, .smtp = {.port = 0}, .db_url = url};
    if (sb_mail_start(&mo, &mail, err, sizeof(err)) != CT_OK)
        fail_msg("mail: %s", err);
    snprintf(smtp_url, sizeof(smtp_url), "smtp://127.0.0.1:%d", sb_mail_smtp_port(mail));
    mailer = (ct_mailer){smtp_url, "Contrail <no-reply@contrail.test>", 10};
    snprintf(url, sizeof(url), "sqlite:%s/sms.db", tmpdir);
    sb_sms_options so = {
        .http = {.port = 0, .threads = 2}, .db_url = url, .account = "ACw", .token = "w-token"};
    if (sb_sms_start(&so, &gateway, err, sizeof(err)) != CT_OK)
        fail_msg("sms: %s", err);
    snprintf(sms_url, sizeof(sms_url), "http://127.0.0.1:%d", sb_sms_port(gateway));
    sms_client = (ct_sms_client){sms_url, "ACw", "w-token", 10};
    ct_store_close(ts_open_migrated(db_url));
    if (ct_store_pool_open(db_url, 4, &pool, err, sizeof(err)) != CT_OK)
        fail_msg("pool: %s", err);
    ct_notify_config nc = {.pool = pool,
                           .mailer = &mailer,
                           .public_url = ctx.public_url,
                           .secret = "notify-wiring-secret-0123456789abcdefghij"};
    if (ct_notify_hub_new(&nc, &hub) || ct_outbox_new(pool, NULL, 50, &outbox) ||
        ct_app_notify_subscribe(&ctx, hub, outbox) || ct_outbox_start(outbox))
        fail_msg("hub");
    ct_notify_hub_set_sms(hub, &sms_client);
    return 0;
}

static int teardown(void **state)
{
    (void)state;
    ct_outbox_stop(outbox);
    ct_notify_hub_free(hub);
    ct_store_pool_close(pool);
    sb_sms_stop(gateway);
    sb_mail_stop(mail);
    ts_rmtree(tmpdir);
    curl_global_cleanup();
    return 0;
}

static void sql(const char *q, int n, const char *const *p)
{
    ct_store *st = NULL;
    assert_int_equal(ct_store_pool_acquire(pool, 2000, &st), CT_OK);
    assert_int_equal(ct_store_run(st, q, n, p), CT_OK);
    ct_store_pool_release(pool, st);
}

/* A user as registration leaves it, with a verified phone (phone verification's outcome). */
static void user(const char *id, const char *email, const char *phone)
{
    const char *p[] = {id, email, phone};
    sql("INSERT INTO users (id, email, password_hash, phone_e164, phone_verified_at, created_at,"
        " updated_at) VALUES (?, ?, 'x', ?, 1, 0, 0)",
        3, p);
}

static json_t *alert_payload(const char *user_id, const char *currency, int64_t price)
{
    return json_pack("{s:s?, s:s, s:s, s:s, s:s, s:n, s:s, s:s, s:I, s:I, s:I, s:f, s:s,"
                     " s:{s:s, s:I, s:i, s:f}}",
                     "user_id", user_id, "alert_id", "alr_1", "origin", "LHR", "destination", "JFK",
                     "departure_date", "2026-12-10", "return_date", "cabin", "economy", "currency",
                     currency, "price_minor", (json_int_t)price, "previous_low_minor",
                     (json_int_t)price + 2000, "threshold_minor", (json_int_t)price + 500,
                     "drop_percent", 14.0, "search_url", "/search?from=LHR&to=JFK&date=2026-12-10",
                     "prediction", "advice", "buy_now", "expected_change_minor", (json_int_t)1200,
                     "within_days", 7, "confidence", 0.72);
}

static void add_event(const char *aggregate, const char *id, const char *type, json_t *payload)
{
    ct_store *st = NULL;
    assert_int_equal(ct_store_pool_acquire(pool, 2000, &st), CT_OK);
    assert_int_equal(ct_store_begin(st), CT_OK);
    assert_int_equal(ct_outbox_add(st, aggregate, id, type, payload, NULL, 0), CT_OK);
    assert_int_equal(ct_store_commit(st), CT_OK);
    ct_store_pool_release(pool, st);
    json_decref(payload);
    ct_outbox_kick(outbox);
    assert_int_equal(ct_outbox_drain(outbox, 10000), CT_OK);
}

static json_t *newest_mail(const char *to, size_t *count)
{
    char url[256];
    snprintf(url, sizeof(url), "http://127.0.0.1:%d/api/v1/messages?to=%s", sb_mail_http_port(mail),
             to);
    ts_response r = ts_http_url("GET", url, NULL, NULL);
    assert_int_equal(r.status, 200);
    json_t *list = ts_json(&r);
    ts_response_free(&r);
    *count = json_array_size(json_object_get(list, "items"));
    json_t *first = json_array_get(json_object_get(list, "items"), 0);
    json_t *msg = NULL;
    if (first != NULL) {
        snprintf(url, sizeof(url), "http://127.0.0.1:%d/api/v1/messages/%s",
                 sb_mail_http_port(mail), json_string_value(json_object_get(first, "id")));
        r = ts_http_url("GET", url, NULL, NULL);
        msg = ts_json(&r);
        ts_response_free(&r);
    }
    json_decref(list);
    return msg;
}

static long sms_count(const char *to_escaped)
{
    char url[256];
    snprintf(url, sizeof(url), "%s/api/v1/messages?to=%s", sms_url, to_escaped);
    ts_response r = ts_http_url("GET", url, NULL, NULL);
    assert_int_equal(r.status, 200);
    json_t *j = ts_json(&r);
    ts_response_free(&r);
    long n = (long)json_integer_value(json_object_get(j, "total"));
    json_decref(j);
    return n;
}

static json_t *inbox(const char *user_id)
{
    ct_store *st = NULL;
    json_t *out = NULL;
    assert_int_equal(ct_store_pool_acquire(pool, 2000, &st), CT_OK);
    assert_int_equal(ct_notify_inbox_list(st, user_id, 10, 0, &out), CT_OK);
    ct_store_pool_release(pool, st);
    return out;
}

static void price_alert_reaches_every_channel(void **state)
{
    (void)state;
    user("usr_pa", "pat@example.com", "+447700900321");
    add_event("price_alert", "alr_1", "price_alert.triggered",
              alert_payload("usr_pa", "EUR", 12345));
    size_t n = 0;
    json_t *msg = newest_mail("pat@example.com", &n);
    assert_int_equal(n, 1);
    assert_string_equal(json_string_value(json_object_get(msg, "subject")),
                        "Price drop: LHR to JFK from EUR 123.45");
    const char *text = json_string_value(json_object_get(msg, "text"));
    const char *want[] = {"Previous low: EUR 143.45",
                          "Your limit: EUR 128.45",
                          "Drop: 14 %",
                          "Buy now: prices are expected to rise by EUR 12.00 within 7 days",
                          "https://contrail.example/search?from=LHR&to=JFK&date=2026-12-10",
                          "/api/v1/unsubscribe?token="};
    for (size_t i = 0; i < sizeof(want) / sizeof(want[0]); i++)
        if (strstr(text, want[i]) == NULL)
            fail_msg("the alert e-mail lacks '%s':\n%s", want[i], text);
    json_t *h;
    size_t i;
    int unsub = 0;
    json_array_foreach(json_object_get(msg, "headers"), i, h)
    {
        unsub |= strcmp(json_string_value(json_object_get(h, "name")), "List-Unsubscribe") == 0;
    }
    assert_true(unsub);
    json_decref(msg);
    json_t *box = inbox("usr_pa");
    json_t *item = json_array_get(json_object_get(box, "items"), 0);
    assert_string_equal(json_string_value(json_object_get(item, "kind")), "price_alert");
    assert_string_equal(json_string_value(json_object_get(item, "title")),
                        "LHR to JFK: EUR 123.45");
    assert_string_equal(json_string_value(json_object_get(item, "link")),
                        "/search?from=LHR&to=JFK&date=2026-12-10");
    json_decref(box);
    assert_int_equal(sms_count("%2B447700900321"), 0); /* SMS off by default */
    ct_store *st = NULL;
    assert_int_equal(ct_store_pool_acquire(pool, 2000, &st), CT_OK);
    assert_int_equal(ct_notify_pref_set(st, "usr_pa", "price_alert", "sms", 1), CT_OK);
    ct_store_pool_release(pool, st);
    add_event("price_alert", "alr_1", "price_alert.triggered",
              alert_payload("usr_pa", "EUR", 11000));
    assert_int_equal(sms_count("%2B447700900321"), 1);
}

static void trip_events_and_the_untold(void **state)
{
    (void)state;
    user("usr_tr", "tom@example.com", "+447700900654");
    json_t *p = alert_payload("usr_tr", "EUR", 9900);
    json_object_set_new(p, "order_id", json_string("ord_1"));
    add_event("order", "ord_1", "trip.price_drop", p);
    json_t *box = inbox("usr_tr");
    json_t *item = json_array_get(json_object_get(box, "items"), 0);
    assert_string_equal(json_string_value(json_object_get(item, "kind")), "trip");
    assert_string_equal(json_string_value(json_object_get(item, "link")), "/trips");
    json_decref(box);
    size_t n = 0;
    json_t *msg = newest_mail("tom@example.com", &n);
    assert_int_equal(n, 1);
    assert_string_equal(json_string_value(json_object_get(msg, "subject")),
                        "Your trip LHR to JFK is now EUR 99.00");
    json_decref(msg);
    /* No user: nobody is told, and the event counts as handled (the drain above ends). */
    add_event("price_alert", "alr_9", "price_alert.triggered", alert_payload(NULL, "EUR", 1));
}

static void zero_digit_currencies(void **state)
{
    (void)state;
    json_t *ev = json_pack("{s:s, s:s, s:o}", "id", "evt_x", "type", "price_alert.triggered",
                           "payload", alert_payload("usr_x", "JPY", 41000));
    ct_notify_message m;
    memset(&m, 0, sizeof(m));
    assert_int_equal(ct_app_notify_render_price(ev, &ctx, &m), CT_OK);
    assert_string_equal(m.subject, "Price drop: LHR to JFK from JPY 41000");
    assert_non_null(strstr(m.text, "Previous low: JPY 43000"));
    char **owned[] = {&m.email_to, &m.subject, &m.text, &m.html,
                      &m.title,    &m.body,    &m.link, &m.sms};
    for (size_t i = 0; i < sizeof(owned) / sizeof(owned[0]); i++)
        ct_free(*owned[i]);
    json_decref(ev);
}

/* trip.schedule_changed: the subject says so, the e-mail, the in-app body and the SMS say what
 * changed (a retimed flight with both times, a cancelled one), the price is what was paid. */
static void schedule_changes_are_spelled_out(void **state)
{
    (void)state;
    json_t *p = alert_payload("usr_sc", "EUR", 41000);
    json_object_set_new(p, "order_id", json_string("ord_2"));
    json_object_set_new(
        p, "changes",
        json_pack("[{s:s, s:i, s:s, s:s, s:s, s:s, s:s, s:s}, {s:s, s:i, s:s, s:s, s:s, s:s, "
                  "s:n, s:s}]",
                  "carrier", "XY", "flight_number", 123, "date", "2026-12-10", "from", "LHR", "to",
                  "JFK", "booked_departure", "2026-12-10T08:15:00Z", "new_departure",
                  "2026-12-10T10:15:00Z", "status", "retimed", "carrier", "XY", "flight_number",
                  124, "date", "2026-12-17", "from", "JFK", "to", "LHR", "booked_departure",
                  "2026-12-17T20:00:00Z", "new_departure", "status", "cancelled"));
    json_t *ev =
        json_pack("{s:s, s:s, s:o}", "id", "evt_s", "type", "trip.schedule_changed", "payload", p);
    ct_notify_message m;
    memset(&m, 0, sizeof(m));
    assert_int_equal(ct_app_notify_render_price(ev, &ctx, &m), CT_OK);
    assert_string_equal(m.subject, "The schedule of your trip LHR to JFK changed");
    const char *moved = "XY123 on 2026-12-10 LHR-JFK now leaves at 2026-12-10T10:15:00Z (booked "
                        "2026-12-10T08:15:00Z)";
    const char *gone = "XY124 on 2026-12-17 JFK-LHR is cancelled";
    const char *in[] = {m.text, m.html, m.body, m.sms};
    for (size_t i = 0; i < 4; i++) {
        if (strstr(in[i], moved) == NULL || strstr(in[i], gone) == NULL)
            fail_msg("part %zu does not say what changed:\n%s", i, in[i]);
    }
    assert_non_null(strstr(m.text, "Paid: EUR 410.00"));
    assert_null(strstr(m.text, "Previous low"));
    char **owned[] = {&m.email_to, &m.subject, &m.text, &m.html,
                      &m.title,    &m.body,    &m.link, &m.sms};
    for (size_t i = 0; i < sizeof(owned) / sizeof(owned[0]); i++)
        ct_free(*owned[i]);
    json_decref(ev);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(price_alert_reaches_every_channel),
        cmocka_unit_test(trip_events_and_the_untold),
        cmocka_unit_test(zero_digit_currencies),
        cmocka_unit_test(schedule_changes_are_spelled_out),
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
