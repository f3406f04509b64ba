/* test_payments_client.c: the payments client (src/payments) against the real sandbox
 * processor, the built `contrail-sandbox payments` program on a loopback port with its state
 * in a temporary SQLite file and the world clock frozen at 2026-03-01T08:00:00Z: every test
 * card's outcome, the confirmation step passed and failed, manual capture, cancel, full and
 * partial refunds and their limits, idempotent replays (one charge, checked by listing the
 * reference), a key reused for another body, the 502 of a processing error retried with the
 * same key (still one payment), amounts in minor units for EUR and JPY, and what a stopped
 * processor does: the keyed call retried then CT_UNAVAILABLE, a call without a key sent once,
 * the breaker failing fast, and after a restart the half-open probe and the same key giving
 * one payment. */
#define _GNU_SOURCE
#include "ct_test.h"

#include <curl/curl.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <sys/time.h>
#include <time.h>
#include <unistd.h>

#include "payments/payments.h"
#include "testsupport.h"

#define KEY "sk_sandbox_client_test_0123"

static char tmpdir[256];
static int pid = -1, port;
static ct_payments *pay;

static int64_t now_ms(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_REALTIME, &ts);
    return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

/* Starts the processor on `want_port` (0: any) and returns its port. */
static int start_processor(int want_port)
{
    char pf[512], db[512], clk[512], log[512], portarg[16];
    snprintf(pf, sizeof(pf), "%s/port-%d", tmpdir, want_port);
    snprintf(db, sizeof(db), "%s/payments.db", tmpdir);
    snprintf(clk, sizeof(clk), "%s/clock.json", tmpdir);
    snprintf(log, sizeof(log), "%s/payments.log", tmpdir);
    snprintf(portarg, sizeof(portarg), "%d", want_port);
    unlink(pf);
    char *const argv[] = {(char *)ts_sandbox_bin(),
                          "payments",
                          "--port",
                          portarg,
                          "--port-file",
                          pf,
                          "--db",
                          db,
                          "--clock",
                          clk,
                          "--secret-key",
                          KEY,
                          "--access-log",
                          "false",
                          NULL};
    pid = ts_spawn(argv, log);
    int p = ts_wait_port_file(pf, 10000);
    if (p <= 0) {
        ts_stop_child(pid, SIGKILL, 1000);
        fail_msg("the payments program did not write its port file (see %s)", log);
    }
    return p;
}

static ct_payments *client_at(int at_port, int max_attempts, int breaker_failures, int cooldown_ms)
{
    char url[64];
    snprintf(url, sizeof(url), "http://127.0.0.1:%d", at_port);
    ct_payments_config cfg = {.base_url = url,
                              .secret_key = KEY,
                              .max_attempts = max_attempts,
                              .backoff_ms = 5,
                              .backoff_max_ms = 20,
                              .breaker_failures = breaker_failures,
                              .breaker_cooldown_ms = cooldown_ms};
    ct_payments *p = NULL;
    assert_int_equal(ct_payments_new_config(&cfg, &p), CT_OK);
    return p;
}

static int setup(void **state)
{
    (void)state;
    curl_global_init(CURL_GLOBAL_DEFAULT);
    ts_tempdir(tmpdir, sizeof(tmpdir));
    char text[200];
    snprintf(text, sizeof(text),
             "{\"version\":1,\"real_epoch_ms\":%lld,\"world_epoch_ms\":1772352000000,"
             "\"speed\":0}",
             (long long)now_ms());
    ts_write_file(tmpdir, "clock.json", text);
    port = start_processor(0);
    pay = client_at(port, 4, 1000, 30000);
    return 0;
}

static int teardown(void **state)
{
    (void)state;
    ct_payments_free(pay);
    if (pid > 0)
        ts_stop_child(pid, SIGTERM, 10000);
    ts_rmtree(tmpdir);
    curl_global_cleanup();
    return 0;
}

/* ---- helpers ---- */

static ct_pay_card card(const char *number)
{
    ct_pay_card c = {.exp_month = 12, .exp_year = 2030};
    snprintf(c.number, sizeof(c.number), "%s", number);
    snprintf(c.cvc, sizeof(c.cvc), "%s", strlen(number) == 15 ? "1234" : "123");
    return c;
}

static const char *fresh(const char *what)
{
    static char buf[8][96];
    static int n;
    char *b = buf[n % 8];
    snprintf(b, sizeof(buf[0]), "%s-%d-%d", what, (int)getpid(), ++n);
    return b;
}

/* Creates a payment of 1000 EUR cents with a fresh key and reference; returns the status. */
static ct_status create(const char *number, int manual, ct_payment *out, char *err, size_t len)
{
    ct_pay_card c = card(number);
    return ct_payments_create(pay, fresh("key"), 1000, "EUR", &c, manual, fresh("ref"),
                              "ZRH-JFK 2026-04-12", out, err, len);
}

static ct_upstream_stats stats_of(ct_payments *p)
{
    ct_upstream_stats st[4];
    memset(st, 0, sizeof(st));
    int n = ct_upstream_stats_get(ct_payments_upstream(p), st, 4);
    for (int i = 0; i < n; i++)
        if (strcmp(st[i].partner, "payments") == 0)
            return st[i];
    return st[3]; /* zeros: never called */
}

/* ---- tests ---- */

static void succeeding_cards(void **state)
{
    (void)state;
    static const struct {
        const char *number, *brand, *last4;
    } cards[] = {{"4111111111111111", "visa", "1111"},
                 {"5555555555554444", "mastercard", "4444"},
                 {"378282246310005", "amex", "0005"}};
    for (size_t i = 0; i < sizeof(cards) / sizeof(cards[0]); i++) {
        ct_payment p;
        char err[256] = "";
        assert_int_equal(create(cards[i].number, 0, &p, err, sizeof(err)), CT_OK);
        assert_int_equal(p.status, CT_PAY_SUCCEEDED);
        assert_string_equal(p.brand, cards[i].brand);
        assert_string_equal(p.last4, cards[i].last4);
        assert_int_equal(p.amount, 1000);
        assert_int_equal(p.captured, 1000);
        assert_int_equal(p.refunded, 0);
        assert_string_equal(p.currency, "EUR");
        assert_string_equal(p.failure_code, "");
        assert_true(strncmp(p.id, "pay_", 4) == 0);
        ct_payment again;
        assert_int_equal(ct_payments_get(pay, p.id, &again, err, sizeof(err)), CT_OK);
        assert_string_equal(again.id, p.id);
        assert_int_equal(again.status, CT_PAY_SUCCEEDED);
    }
}

static void expect_failure(const char *number, int exp_month, int exp_year, const char *code)
{
    ct_pay_card c = card(number);
    c.exp_month = exp_month;
    c.exp_year = exp_year;
    ct_payment p;
    char err[256] = "";
    const char *ref = fresh("ref-fail");
    assert_int_equal(
        ct_payments_create(pay, fresh("key"), 5000, "EUR", &c, 0, ref, NULL, &p, err, sizeof(err)),
        CT_OK);
    assert_int_equal(p.status, CT_PAY_FAILED);
    assert_string_equal(p.failure_code, code);
    assert_true(p.failure_message[0] != '\0');
    assert_int_equal(p.captured, 0);
    assert_non_null(strstr(err, code));
    /* The failed payment is stored at the processor, once. */
    ct_payment found[4];
    int n = 0;
    assert_int_equal(ct_payments_find(pay, ref, found, 4, &n, err, sizeof(err)), CT_OK);
    assert_int_equal(n, 1);
    assert_string_equal(found[0].id, p.id);
    assert_int_equal(found[0].status, CT_PAY_FAILED);
}

static void failing_cards(void **state)
{
    (void)state;
    expect_failure("4100000000001009", 12, 2030, "card_declined");
    expect_failure("4100000000002007", 12, 2030, "insufficient_funds");
    /* Expiry before the world clock's month (March 2026). */
    expect_failure("4111111111111111", 2, 2026, "expired_card");
}

/* A 502 processing_error is the processor's final answer ("retry with a new key"): sent
 * once, reported as the failed payment, and no breaker failure (before, it was retried
 * with the same key three times, each attempt counting against the breaker, so two such
 * cards in a row shut payments off for everyone). */
static void processing_error_retried_with_the_same_key(void **state)
{
    (void)state;
    ct_upstream_stats before = stats_of(pay);
    expect_failure("4100000000004003", 12, 2030, "processing_error");
    ct_upstream_stats after = stats_of(pay);
    assert_int_equal(after.retries - before.retries, 0);
    assert_int_equal(after.consecutive_failures, 0);
    /* A success after it: the breaker (1000 failures here) is closed. */
    ct_payment p;
    char err[256];
    assert_int_equal(create("4111111111111111", 0, &p, err, sizeof(err)), CT_OK);
    assert_int_equal(stats_of(pay).consecutive_failures, 0);
}

static void confirmation_step(void **state)
{
    (void)state;
    ct_payment p, c;
    char err[256] = "";
    /* Passed: succeeded. */
    assert_int_equal(create("4100000000003005", 0, &p, err, sizeof(err)), CT_OK);
    assert_int_equal(p.status, CT_PAY_REQUIRES_ACTION);
    assert_true(strstr(p.confirm_url, p.id) != NULL);
    assert_int_equal(ct_payments_confirm(pay, p.id, fresh("confirm"), 1, &c, err, sizeof(err)),
                     CT_OK);
    assert_int_equal(c.status, CT_PAY_SUCCEEDED);
    assert_int_equal(c.captured, 1000);
    /* Confirming again: not in that state any more. */
    assert_int_equal(ct_payments_confirm(pay, p.id, NULL, 1, &c, err, sizeof(err)), CT_CONFLICT);
    assert_non_null(strstr(err, "payment_state"));
    /* Failed by the cardholder. */
    assert_int_equal(create("4100000000003005", 0, &p, err, sizeof(err)), CT_OK);
    assert_int_equal(ct_payments_confirm(pay, p.id, NULL, 0, &c, err, sizeof(err)), CT_OK);
    assert_int_equal(c.status, CT_PAY_FAILED);
    assert_string_equal(c.failure_code, "authentication_failed");
    assert_int_equal(c.captured, 0);
    /* With manual capture the confirmation authorises only. */
    assert_int_equal(create("4100000000003005", 1, &p, err, sizeof(err)), CT_OK);
    assert_int_equal(ct_payments_confirm(pay, p.id, NULL, 1, &c, err, sizeof(err)), CT_OK);
    assert_int_equal(c.status, CT_PAY_AUTHORIZED);
    assert_int_equal(c.captured, 0);
}

static void manual_capture_and_cancel(void **state)
{
    (void)state;
    ct_payment p, c;
    char err[256] = "";
    assert_int_equal(create("4111111111111111", 1, &p, err, sizeof(err)), CT_OK);
    assert_int_equal(p.status, CT_PAY_AUTHORIZED);
    assert_int_equal(p.captured, 0);
    const char *key = fresh("capture");
    assert_int_equal(ct_payments_capture(pay, p.id, key, &c, err, sizeof(err)), CT_OK);
    assert_int_equal(c.status, CT_PAY_SUCCEEDED);
    assert_int_equal(c.captured, 1000);
    /* The same key again replays; a new one finds it captured already. */
    assert_int_equal(ct_payments_capture(pay, p.id, key, &c, err, sizeof(err)), CT_OK);
    assert_int_equal(c.status, CT_PAY_SUCCEEDED);
    assert_int_equal(ct_payments_capture(pay, p.id, fresh("capture"), &c, err, sizeof(err)),
                     CT_CONFLICT);
    /* A captured payment is refunded, not cancelled. */
    assert_int_equal(ct_payments_cancel(pay, p.id, NULL, &c, err, sizeof(err)), CT_CONFLICT);
    assert_non_null(strstr(err, "payment_state"));

    /* Voiding an authorisation. */
    assert_int_equal(create("4111111111111111", 1, &p, err, sizeof(err)), CT_OK);
    assert_int_equal(ct_payments_cancel(pay, p.id, fresh("void"), &c, err, sizeof(err)), CT_OK);
    assert_int_equal(c.status, CT_PAY_CANCELED);
    assert_int_equal(c.captured, 0);
    assert_int_equal(ct_payments_capture(pay, p.id, NULL, &c, err, sizeof(err)), CT_CONFLICT);
    /* And one still waiting for its confirmation step. */
    assert_int_equal(create("4100000000003005", 1, &p, err, sizeof(err)), CT_OK);
    assert_int_equal(ct_payments_cancel(pay, p.id, NULL, &c, err, sizeof(err)), CT_OK);
    assert_int_equal(c.status, CT_PAY_CANCELED);
}

static void refunds(void **state)
{
    (void)state;
    ct_payment p, r;
    char err[256] = "";
    assert_int_equal(create("4111111111111111", 0, &p, err, sizeof(err)), CT_OK);
    /* Partial, then more than is left, then the rest, then nothing left. */
    const char *key = fresh("refund");
    assert_int_equal(ct_payments_refund(pay, p.id, key, 300, &r, err, sizeof(err)), CT_OK);
    assert_int_equal(r.refunded, 300);
    assert_int_equal(r.status, CT_PAY_SUCCEEDED);
    assert_int_equal(ct_payments_refund(pay, p.id, key, 300, &r, err, sizeof(err)), CT_OK);
    assert_int_equal(r.refunded, 300); /* replayed, not refunded twice */
    assert_int_equal(ct_payments_refund(pay, p.id, fresh("refund"), 701, &r, err, sizeof(err)),
                     CT_INVALID);
    assert_non_null(strstr(err, "amount_too_large"));
    assert_int_equal(ct_payments_refund(pay, p.id, fresh("refund"), 0, &r, err, sizeof(err)),
                     CT_OK);
    assert_int_equal(r.refunded, 1000);
    assert_int_equal(ct_payments_refund(pay, p.id, fresh("refund"), 0, &r, err, sizeof(err)),
                     CT_CONFLICT);
    assert_non_null(strstr(err, "already_refunded"));
    /* Full at once; an authorisation cannot be refunded. */
    assert_int_equal(create("5555555555554444", 0, &p, err, sizeof(err)), CT_OK);
    assert_int_equal(ct_payments_refund(pay, p.id, fresh("refund"), 0, &r, err, sizeof(err)),
                     CT_OK);
    assert_int_equal(r.refunded, 1000);
    assert_int_equal(create("5555555555554444", 1, &p, err, sizeof(err)), CT_OK);
    assert_int_equal(ct_payments_refund(pay, p.id, fresh("refund"), 0, &r, err, sizeof(err)),
                     CT_CONFLICT);
    assert_int_equal(
        ct_payments_refund(pay, "pay_nosuch", fresh("refund"), 0, &r, err, sizeof(err)),
        CT_NOT_FOUND);
}

static void idempotent_replay_charges_once(void **state)
{
    (void)state;
    ct_pay_card c = card("4111111111111111");
    const char *key = fresh("idem"), *ref = fresh("booking");
    ct_payment a, b;
    char err[256] = "";
    assert_int_equal(
        ct_payments_create(pay, key, 12950, "EUR", &c, 0, ref, "ZRH-JFK", &a, err, sizeof(err)),
        CT_OK);
    assert_int_equal(
        ct_payments_create(pay, key, 12950, "EUR", &c, 0, ref, "ZRH-JFK", &b, err, sizeof(err)),
        CT_OK);
    assert_string_equal(a.id, b.id);
    assert_int_equal(b.status, CT_PAY_SUCCEEDED);
    /* The same key with another body: nothing happens. */
    assert_int_equal(
        ct_payments_create(pay, key, 12951, "EUR", &c, 0, ref, "ZRH-JFK", &b, err, sizeof(err)),
        CT_CONFLICT);
    assert_non_null(strstr(err, "idempotency_key_reused"));
    ct_payment found[8];
    int n = 0;
    assert_int_equal(ct_payments_find(pay, ref, found, 8, &n, err, sizeof(err)), CT_OK);
    assert_int_equal(n, 1);
    assert_string_equal(found[0].id, a.id);
    assert_string_equal(found[0].reference, ref);
    assert_int_equal(found[0].amount, 12950);
    /* An unknown reference: none. */
    assert_int_equal(ct_payments_find(pay, fresh("none & ?"), found, 8, &n, err, sizeof(err)),
                     CT_OK);
    assert_int_equal(n, 0);
}

static void find_reads_every_page(void **state)
{
    (void)state;
    char ref[96];
    snprintf(ref, sizeof(ref), "%s", fresh("many")); /* fresh() reuses 8 buffers */
    ct_pay_card c = card("4111111111111111");
    ct_payment p, found[120];
    char err[256] = "";
    for (int i = 0; i < 103; i++)
        assert_int_equal(ct_payments_create(pay, fresh("page"), 100 + i, "EUR", &c, 0, ref, NULL,
                                            &p, err, sizeof(err)),
                         CT_OK);
    int n = 0;
    assert_int_equal(ct_payments_find(pay, ref, found, 120, &n, err, sizeof(err)), CT_OK);
    assert_int_equal(n, 103);
    assert_int_equal(found[0].amount, 202); /* newest first */
    assert_int_equal(found[102].amount, 100);
    assert_int_equal(ct_payments_find(pay, ref, found, 5, &n, err, sizeof(err)), CT_OK);
    assert_int_equal(n, 5);
}

static void minor_units(void **state)
{
    (void)state;
    ct_pay_card c = card("4111111111111111");
    ct_payment p;
    char err[256] = "";
    /* 129.50 EUR is 12950 cents; 12950 JPY is 12950 yen (no minor digits). */
    assert_int_equal(ct_payments_create(pay, fresh("eur"), 12950, "eur", &c, 0, NULL, NULL, &p, err,
                                        sizeof(err)),
                     CT_OK);
    assert_string_equal(p.currency, "EUR");
    assert_int_equal(p.amount, 12950);
    assert_int_equal(p.captured, 12950);
    assert_int_equal(ct_payments_create(pay, fresh("jpy"), 12950, "JPY", &c, 0, NULL, NULL, &p, err,
                                        sizeof(err)),
                     CT_OK);
    assert_string_equal(p.currency, "JPY");
    assert_int_equal(p.amount, 12950);
    assert_int_equal(ct_payments_create(pay, fresh("big"), 100000000, "JPY", &c, 0, NULL, NULL, &p,
                                        err, sizeof(err)),
                     CT_INVALID);
    assert_non_null(strstr(err, "amount"));
}

static void bad_input_names_the_field(void **state)
{
    (void)state;
    ct_pay_card c = card("4111111111111112"); /* fails the Luhn check */
    ct_payment p;
    char err[256] = "";
    const char *key = fresh("bad");
    assert_int_equal(
        ct_payments_create(pay, key, 100, "EUR", &c, 0, NULL, NULL, &p, err, sizeof(err)),
        CT_INVALID);
    assert_non_null(strstr(err, "card.number"));
    /* Refused before it ran: the key is free for the corrected request. */
    c = card("4111111111111111");
    assert_int_equal(
        ct_payments_create(pay, key, 100, "EUR", &c, 0, NULL, NULL, &p, err, sizeof(err)), CT_OK);
    assert_int_equal(ct_payments_get(pay, "pay_000000000000000000000000", &p, err, sizeof(err)),
                     CT_NOT_FOUND);
    /* A wrong secret key. */
    char url[64];
    snprintf(url, sizeof(url), "http://127.0.0.1:%d", port);
    ct_payments *wrong = NULL;
    assert_int_equal(ct_payments_new(url, "sk_sandbox_wrong_key_000", &wrong), CT_OK);
    assert_int_equal(ct_payments_get(wrong, "pay_x", &p, err, sizeof(err)), CT_ERR);
    assert_non_null(strstr(err, "invalid_api_key"));
    ct_payments_free(wrong);
    assert_int_equal(ct_payments_new(url, "", &wrong), CT_INVALID);
}

/* The processor stopped: keyed calls are retried with their key and end CT_UNAVAILABLE,
 * calls without a key are sent once, the breaker opens and fails fast; after a restart on
 * the same port the half-open probe closes it and the same key makes exactly one payment. */
static void stopped_processor(void **state)
{
    (void)state;
    ct_payments *p3 = client_at(port, 3, 4, 300);
    ct_pay_card c = card("4111111111111111");
    ct_payment p;
    char err[256] = "";
    const char *key = fresh("outage"), *ref = fresh("outage-ref");
    assert_int_equal(ts_stop_child(pid, SIGTERM, 10000), 0);
    pid = -1;

    int64_t t0 = now_ms();
    assert_int_equal(
        ct_payments_create(p3, key, 777, "EUR", &c, 0, ref, NULL, &p, err, sizeof(err)),
        CT_UNAVAILABLE);
    assert_true(now_ms() - t0 < 2000);
    ct_upstream_stats st = stats_of(p3);
    assert_int_equal(st.attempts, 3);
    assert_int_equal(st.retries, 2);
    assert_int_equal(st.state, CT_BREAKER_CLOSED); /* 3 failures of 4 */
    /* Without a key: one attempt, the fourth failure opens the breaker. */
    assert_int_equal(ct_payments_capture(p3, "pay_x", NULL, &p, err, sizeof(err)), CT_UNAVAILABLE);
    st = stats_of(p3);
    assert_int_equal(st.attempts, 4);
    assert_int_equal(st.state, CT_BREAKER_OPEN);
    /* Open: nothing reaches the network. */
    t0 = now_ms();
    assert_int_equal(
        ct_payments_create(p3, key, 777, "EUR", &c, 0, ref, NULL, &p, err, sizeof(err)),
        CT_UNAVAILABLE);
    assert_true(now_ms() - t0 < 100);
    st = stats_of(p3);
    assert_int_equal(st.attempts, 4);
    assert_true(st.rejected >= 1);

    /* Back on the same port; after the cool-down the probe closes the breaker. */
    assert_int_equal(start_processor(port), port);
    usleep(350 * 1000);
    assert_int_equal(
        ct_payments_create(p3, key, 777, "EUR", &c, 0, ref, NULL, &p, err, sizeof(err)), CT_OK);
    assert_int_equal(p.status, CT_PAY_SUCCEEDED);
    assert_int_equal(stats_of(p3).state, CT_BREAKER_CLOSED);
    ct_payment again, found[4];
    assert_int_equal(
        ct_payments_create(p3, key, 777, "EUR", &c, 0, ref, NULL, &again, err, sizeof(err)), CT_OK);
    assert_string_equal(again.id, p.id);
    int n = 0;
    assert_int_equal(ct_payments_find(p3, ref, found, 4, &n, err, sizeof(err)), CT_OK);
    assert_int_equal(n, 1);
    ct_payments_free(p3);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(succeeding_cards),
        cmocka_unit_test(failing_cards),
        cmocka_unit_test(processing_error_retried_with_the_same_key),
        cmocka_unit_test(confirmation_step),
        cmocka_unit_test(manual_capture_and_cancel),
        cmocka_unit_test(refunds),
        cmocka_unit_test(idempotent_replay_charges_once),
        cmocka_unit_test(find_reads_every_page),
        cmocka_unit_test(minor_units),
        cmocka_unit_test(bad_input_names_the_field),
        cmocka_unit_test(stopped_processor),
    };
    return cmocka_run_group_tests(tests, setup, teardown);
}
