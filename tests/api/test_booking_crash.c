/* test_booking_crash.c: `kill -9` of `contrail serve` at each step of the booking saga (issue
 * 14 test 3), against the real programs.
 *
 * The test runs the sandbox world itself (`contrail-sandbox world --size small --dir D`) and
 * `contrail serve --sandbox-world D` beside it (the world outlives serve), with a recovery
 * worker that looks every second at orders left alone for three. For each step it books one
 * airline-1 order over HTTP from a thread while the world is slowed so the order stays at
 * that step: the provider's latency fault (PUT /admin/faults latency_ms) keeps it pending
 * (during the hold) or authorized (during the ticket); the payment processor stopped with
 * SIGSTOP keeps it held (the charge waiting) or ticketed (the capture waiting). Once GET
 * /api/v1/orders shows the step, serve gets SIGKILL, the world is let go, and serve restarts
 * on the same database. A last order is killed right after its 201 confirmed (before the
 * outbox relay's poll). Then every order must end confirmed, failed or cancelled; the
 * provider's order (GET /ndc/v1/orders/{ref}) and the processor's payments (GET
 * /v1/payments?reference=ORDER) must agree (confirmed <=> ticketed and captured; failed <=>
 * nothing captured that is not refunded, and no ticket); and the mailbox must hold exactly
 * one confirmation per confirmed order. */
#include "ct_test.h"

#include <ctype.h>
#include <curl/curl.h>
#include <dirent.h>
#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "httpclient.h"
#include "testsupport.h"

#define PAY_KEY "Authorization: Bearer sk_sandbox_contrail_local"

static char dir[256], wdir[300];
static int world_pid = -1, serve_pid = -1, port;
static int serve_runs;
static json_t *world;
static char leg_from[4], leg_to[4], leg_date[16];
static char bearer[1400];
static char email[128];

static void sleep_ms(int ms)
{
    struct timespec ts = {ms / 1000, (long)(ms % 1000) * 1000000L};
    nanosleep(&ts, NULL);
}

static const char *url_of(const char *name)
{
    json_t *p;
    size_t i;
    json_array_foreach(json_object_get(world, "providers"), i, p)
    {
        if (strcmp(json_string_value(json_object_get(p, "name")), name) == 0)
            return json_string_value(json_object_get(p, "url"));
    }
    return json_string_value(json_object_get(json_object_get(world, name), "url"));
}

static ts_response call(const char *method, const char *path, const char *body, const char *key)
{
    char auth[1500], idem[300], url[600];
    const char *h[3] = {NULL, NULL, NULL};
    int n = 0;
    if (bearer[0] != '\0') {
        snprintf(auth, sizeof(auth), "Authorization: Bearer %s", bearer);
        h[n++] = auth;
    }
    if (key != NULL) {
        snprintf(idem, sizeof(idem), "Idempotency-Key: %s", key);
        h[n++] = idem;
    }
    snprintf(url, sizeof(url), "http://127.0.0.1:%d%s", port, path);
    return ts_http_url(method, url, body, h);
}

/* The payment processor's pid: the world's child whose port file is ours. */
static int processor_pid(void)
{
    char want[400];
    snprintf(want, sizeof(want), "--port-file=%s/run/payments.port", wdir);
    DIR *d = opendir("/proc");
    struct dirent *e;
    int pid = -1;
    while (d != NULL && pid < 0 && (e = readdir(d)) != NULL) {
        if (!isdigit((unsigned char)e->d_name[0]))
            continue;
        char path[300], buf[4096];
        snprintf(path, sizeof(path), "/proc/%s/cmdline", e->d_name);
        FILE *f = fopen(path, "r");
        if (f == NULL)
            continue;
        size_t n = fread(buf, 1, sizeof(buf) - 1, f);
        fclose(f);
        for (size_t i = 0; i < n; i += strlen(buf + i) + 1) {
            buf[n] = '\0';
            if (strcmp(buf + i, want) == 0)
                pid = atoi(e->d_name);
        }
    }
    if (d != NULL)
        closedir(d);
    return pid;
}

static void set_latency(int ms)
{
    char url[400], body[64];
    snprintf(url, sizeof(url), "%s/admin/faults", url_of("airline-1"));
    snprintf(body, sizeof(body), "{\"latency_ms\":%d}", ms);
    ts_response r = ts_http_url("PUT", url, body, NULL);
    assert_int_equal(r.status, 200);
    ts_response_free(&r);
}

static void start_serve(void)
{
    char db[400], port_file[400], jwt[400], none[400], log[400], wd[420];
    snprintf(db, sizeof(db), "--db=sqlite:%s/serve.db", dir);
    snprintf(port_file, sizeof(port_file), "%s/port-%d", dir, serve_runs);
    snprintf(jwt, sizeof(jwt), "%s/jwt.key", dir);
    snprintf(none, sizeof(none), "%s/no-schedules", dir);
    snprintf(log, sizeof(log), "%s/serve-%d.log", dir, serve_runs++);
    snprintf(wd, sizeof(wd), "--sandbox-world=%s", wdir);
    const char *bin = getenv("CT_CONTRAIL_BIN");
    if (bin == NULL || access(bin, X_OK) != 0)
        fail_msg("CT_CONTRAIL_BIN does not name the built contrail (run through ctest)");
    char *const argv[] = {(char *)bin,
                          "serve",
                          db,
                          "--port=0",
                          "--port-file",
                          port_file,
                          "--web-dir=",
                          "--refdata-dir",
                          (char *)ts_refdata_dir(),
                          "--jwt-secret-file",
                          jwt,
                          "--schedules-dir",
                          none,
                          "--timetable-cache=",
                          "--pricebook-cache=",
                          wd,
                          "--booking-recovery-every=1",
                          "--booking-recovery-age=3",
                          "--access-log=false",
                          "--log-level=info",
                          NULL};
    serve_pid = ts_spawn(argv, log);
    port = ts_wait_port_file(port_file, 60000);
    assert_true(port > 0);
}

/* A leg airline-1 sells with seats, three days ahead (httpclient.h). */
static void pick_leg(void)
{
    ts_pick_ndc_leg(url_of("airline-1"), 3, leg_date, leg_from, leg_to);
}

/* The search answer for the leg (priced), or NULL. */
static json_t *search(void)
{
    char body[300];
    snprintf(body, sizeof(body),
             "{\"slices\":[{\"origin\":\"%s\",\"destination\":\"%s\",\"date\":\"%s\"}],"
             "\"passengers\":{\"adults\":1}}",
             leg_from, leg_to, leg_date);
    ts_response r = call("POST", "/api/v1/searches", body, NULL);
    json_t *j = r.status == 200 ? ts_json(&r) : NULL;
    ts_response_free(&r);
    json_t *first = json_array_get(json_object_get(j, "itineraries"), 0);
    if (first == NULL || json_object_get(json_object_get(first, "price"), "amount_minor") == NULL) {
        json_decref(j);
        return NULL;
    }
    return j;
}

/* Waits until serve answers priced searches (prices in, booking wired). */
static void wait_ready(void)
{
    json_t *ans = NULL;
    for (int i = 0; i < 600 && ans == NULL; i++) {
        sleep_ms(100);
        ans = search();
    }
    assert_non_null(ans);
    json_decref(ans);
    for (int i = 0; i < 300; i++) { /* booking wired: the list answers (200 or 401), not 503 */
        ts_response r = call("GET", "/api/v1/orders", NULL, NULL);
        long st = r.status;
        ts_response_free(&r);
        if (st == 200 || st == 401)
            return;
        sleep_ms(100);
    }
    fail_msg("booking did not come up");
}

static int setup(void **state)
{
    (void)state;
    curl_global_init(CURL_GLOBAL_DEFAULT);
    ts_tempdir(dir, sizeof(dir));
    snprintf(wdir, sizeof(wdir), "%s/world", dir);
    char wflag[320], log[400], rd[1100], wj[420];
    snprintf(wflag, sizeof(wflag), "--dir=%s", wdir);
    snprintf(rd, sizeof(rd), "--refdata-dir=%s", ts_refdata_dir());
    snprintf(log, sizeof(log), "%s/world.log", dir);
    snprintf(wj, sizeof(wj), "%s/world.json", wdir);
    char *const wargv[] = {
        (char *)ts_sandbox_bin(), "world", wflag, "--size=small", "--smtp-port=0", rd,
        "--log-level=warn",       NULL};
    world_pid = ts_spawn(wargv, log);
    for (int i = 0; i < 900 && world == NULL; i++) {
        sleep_ms(100);
        world = json_load_file(wj, 0, NULL);
    }
    if (world == NULL)
        return -1;
    pick_leg();
    start_serve();
    wait_ready();
    snprintf(email, sizeof(email), "crash-%ld@example.com", (long)getpid());
    char body[256];
    snprintf(body, sizeof(body), "{\"email\":\"%s\",\"password\":\"correct horse battery\"}",
             email);
    ts_response r = call("POST", "/api/v1/users", body, NULL);
    assert_int_equal(r.status, 202);
    ts_response_free(&r);
    r = call("POST", "/api/v1/sessions", body, NULL);
    assert_int_equal(r.status, 200);
    json_t *j = ts_json(&r);
    snprintf(bearer, sizeof(bearer), "%s", json_string_value(json_object_get(j, "access_token")));
    json_decref(j);
    ts_response_free(&r);
    return 0;
}

static int teardown(void **state)
{
    (void)state;
    int code = serve_pid > 0 ? ts_stop_child(serve_pid, SIGTERM, 30000) : 0;
    if (world_pid > 0)
        ts_stop_child(world_pid, SIGTERM, 30000);
    json_decref(world);
    if (code != 0)
        fprintf(stderr, "serve exited %d (logs in %s)\n", code, dir);
    else
        ts_rmtree(dir);
    return code == 0 ? 0 : -1;
}

/* A live offer of airline-1 for an itinerary of the leg's search answer, or NULL. */
static json_t *airline_offer(void)
{
    json_t *ans = search(), *it, *o, *off = NULL;
    size_t i, k;
    json_array_foreach(json_object_get(ans, "itineraries"), i, it)
    {
        json_array_foreach(json_object_get(it, "offers"), k, o)
        {
            if (off != NULL ||
                strcmp(json_string_value(json_object_get(o, "provider")), "airline-1") != 0)
                continue;
            char body[400];
            snprintf(body, sizeof(body),
                     "{\"itinerary_id\":\"%s\",\"provider\":\"airline-1\",\"passengers\":1,"
                     "\"cabin\":\"economy\"}",
                     json_string_value(json_object_get(it, "id")));
            ts_response r = call("POST", "/api/v1/offers", body, NULL);
            if (r.status == 201)
                off = ts_json(&r);
            else
                fprintf(stderr, "offer: %ld %s\n", r.status, r.body ? r.body : "");
            ts_response_free(&r);
        }
    }
    json_decref(ans);
    return off;
}

/* The order request body for a fresh live offer of airline-1 (a price change is not retried
 * here: the offer is priced the same instant). */
static char *order_body(void)
{
    json_t *off = NULL;
    /* After a restart the answer can be priced by other sellers before airline-1's feed is
     * ingested again: ask again until airline-1 offers it (up to 30 s). */
    for (int attempt = 0; attempt < 60 && off == NULL; attempt++) {
        if (attempt > 0)
            sleep_ms(500);
        off = airline_offer();
    }
    if (off == NULL)
        fail_msg("no live offer of airline-1 for the searched leg");
    json_t *t = json_object_get(off, "total");
    json_t *b = json_pack(
        "{ss s[{ss ss ss s{ss ss ss ss}}] s{ss ss} s{ss si si ss} s{sO sO}}", "offer_id",
        json_string_value(json_object_get(off, "id")), "passengers", "given_name", "Ada",
        "family_name", "Lovelace", "date_of_birth", "1990-12-10", "document", "type", "passport",
        "number", "C01X00T47", "country", "DE", "expiry", "2035-01-01", "contact", "email", email,
        "phone", "+15551234567", "card", "number", "4111111111111111", "exp_month", 12, "exp_year",
        2030, "cvc", "123", "expected_total", "amount_minor", json_object_get(t, "amount_minor"),
        "currency", json_object_get(t, "currency"));
    char *text = json_dumps(b, JSON_COMPACT);
    json_decref(b);
    json_decref(off);
    return text;
}

typedef struct booker {
    char *body;
    char key[64];
    int port;
    char auth[1500];
    long status;
} booker;

static void *book_thread(void *arg)
{
    booker *bk = arg;
    char url[200], idem[100];
    snprintf(url, sizeof(url), "http://127.0.0.1:%d/api/v1/orders", bk->port);
    snprintf(idem, sizeof(idem), "Idempotency-Key: %s", bk->key);
    const char *h[] = {bk->auth, idem, NULL};
    ts_response r = ts_http_url("POST", url, bk->body, h);
    bk->status = r.status;
    ts_response_free(&r);
    return NULL;
}

/* The id and status of the user's order not in `known` (n ids), or 0. */
static int new_order(char known[][32], int n, char *id, char *status)
{
    ts_response r = call("GET", "/api/v1/orders?limit=50", NULL, NULL);
    if (r.status != 200) {
        ts_response_free(&r);
        return 0;
    }
    json_t *j = ts_json(&r);
    ts_response_free(&r);
    json_t *o, *items = json_object_get(j, "items");
    if (items == NULL)
        items = json_object_get(j, "orders");
    size_t i;
    int found = 0;
    json_array_foreach(items, i, o)
    {
        const char *oid = json_string_value(json_object_get(o, "id"));
        int seen = 0;
        for (int k = 0; k < n; k++)
            seen |= strcmp(known[k], oid) == 0;
        if (seen || found)
            continue;
        snprintf(id, 32, "%s", oid);
        snprintf(status, 24, "%s", json_string_value(json_object_get(o, "status")));
        found = 1;
    }
    json_decref(j);
    return found;
}

/* Waits (10 s at most) for the new order to reach `want`; 1 when it did. */
static int wait_status(char known[][32], int n, const char *want, char *id)
{
    char st[24] = "";
    for (int i = 0; i < 1000; i++) {
        if (new_order(known, n, id, st) && strcmp(st, want) == 0)
            return 1;
        sleep_ms(10);
    }
    fprintf(stderr, "the order never showed %s (last: '%s')\n", want, st);
    return 0;
}

static void kill_and_restart(void)
{
    assert_int_equal(ts_stop_child(serve_pid, SIGKILL, 10000), 128 + SIGKILL);
    serve_pid = -1;
}

/* An order killed at `step`: the provider slowed (latency) and the processor stopped at
 * stop_at (NULL: never). The order's id into ids[n]. */
static void crash_at(const char *step, const char *stop_at, char ids[][32], int n)
{
    char *body = order_body();
    booker bk = {.body = body, .port = port, .status = 0};
    snprintf(bk.key, sizeof(bk.key), "crash-%s-%ld", step, (long)getpid());
    snprintf(bk.auth, sizeof(bk.auth), "Authorization: Bearer %s", bearer);
    int proc = processor_pid();
    assert_true(proc > 0);
    set_latency(1500);
    pthread_t t;
    assert_int_equal(pthread_create(&t, NULL, book_thread, &bk), 0);
    int ok = 1;
    if (stop_at != NULL) {
        ok = wait_status(ids, n, stop_at, ids[n]);
        kill(proc, SIGSTOP);
    }
    ok = ok && wait_status(ids, n, step, ids[n]);
    int code = ts_stop_child(serve_pid, SIGKILL, 10000);
    serve_pid = -1;
    kill(proc, SIGCONT); /* before any assertion: a stopped processor would outlive the test */
    assert_int_equal(code, 128 + SIGKILL);
    set_latency(0);
    pthread_join(t, NULL);
    free(body);
    if (!ok)
        fail_msg("the order did not stop at %s", step);
    start_serve();
    wait_ready();
}

static json_t *get_json_url(const char *url, const char *const *h)
{
    ts_response r = ts_http_url("GET", url, NULL, h);
    json_t *j = r.status == 200 ? json_loads(r.body, 0, NULL) : NULL;
    if (j == NULL)
        fprintf(stderr, "GET %s: %ld %s\n", url, r.status, r.body ? r.body : "");
    ts_response_free(&r);
    return j;
}

/* Confirmation e-mails to the test's address. */
static int confirmations(void)
{
    char url[400];
    snprintf(url, sizeof(url), "%s/api/v1/messages?to=%s&limit=100", url_of("mail"), email);
    json_t *j = get_json_url(url, NULL);
    assert_non_null(j);
    json_t *m;
    size_t i;
    int n = 0;
    json_array_foreach(json_object_get(j, "items"), i, m)
    {
        n += strstr(json_string_value(json_object_get(m, "subject")), "is confirmed") != NULL;
    }
    json_decref(j);
    return n;
}

/* Checks one final order against the provider and the processor; 1 when confirmed. */
static int check_order(const json_t *o)
{
    const char *id = json_string_value(json_object_get(o, "id"));
    const char *st = json_string_value(json_object_get(o, "status"));
    const char *ref = json_string_value(json_object_get(o, "booking_reference"));
    char url[600];
    snprintf(url, sizeof(url), "%s/v1/payments?reference=%s&limit=20", url_of("payments"), id);
    const char *h[] = {PAY_KEY, NULL};
    json_t *pays = get_json_url(url, h);
    assert_non_null(pays);
    long captured = 0, refunded = 0;
    json_t *p;
    size_t i;
    json_array_foreach(json_object_get(pays, "data"), i, p)
    {
        captured += (long)json_integer_value(json_object_get(p, "amount_captured"));
        refunded += (long)json_integer_value(json_object_get(p, "amount_refunded"));
    }
    json_decref(pays);
    const char *pstatus = "none";
    json_t *po = NULL;
    if (ref != NULL) {
        snprintf(url, sizeof(url), "%s/ndc/v1/orders/%s", url_of("airline-1"), ref);
        po = get_json_url(url, NULL);
        pstatus = json_string_value(json_object_get(json_object_get(po, "Order"), "StatusCode"));
        if (pstatus == NULL)
            pstatus = "?";
    }
    fprintf(stderr, "order %s: %s (%s), provider %s, captured %ld, refunded %ld\n", id, st,
            json_string_value(json_object_get(o, "reason")) ?: "-", pstatus, captured, refunded);
    int confirmed = strcmp(st, "confirmed") == 0;
    if (confirmed) {
        assert_string_equal(pstatus, "TICKETED");
        assert_int_equal(captured, json_integer_value(json_object_get(json_object_get(o, "total"),
                                                                      "amount_minor")));
        assert_int_equal(refunded, 0);
    } else {
        assert_string_equal(st, "failed");
        assert_true(strcmp(pstatus, "TICKETED") != 0 && strcmp(pstatus, "?") != 0);
        assert_int_equal(captured - refunded, 0);
    }
    json_decref(po);
    return confirmed;
}

static void kill_at_each_step_recovers(void **state)
{
    (void)state;
    char ids[8][32];
    int n = 0;
    crash_at("pending", NULL, ids, n++);          /* during the hold */
    crash_at("held", "pending", ids, n++);        /* after the hold, the charge waiting */
    crash_at("authorized", NULL, ids, n++);       /* after the charge, during the ticket */
    crash_at("ticketed", "authorized", ids, n++); /* after the ticket, the capture waiting */

    /* Confirmed, killed before the relay's next poll could mail it. */
    char *body = order_body();
    char key[64];
    snprintf(key, sizeof(key), "crash-confirmed-%ld", (long)getpid());
    ts_response r = call("POST", "/api/v1/orders", body, key);
    kill_and_restart();
    free(body);
    if (r.status != 201)
        fail_msg("order: %ld %s", r.status, r.body);
    json_t *j = ts_json(&r);
    snprintf(ids[n++], 32, "%s", json_string_value(json_object_get(j, "id")));
    json_decref(j);
    ts_response_free(&r);
    start_serve();
    wait_ready();

    /* Every order final (recovery after 3 s, passes every second). */
    int confirmed = 0;
    for (int k = 0; k < n; k++) {
        char path[200];
        snprintf(path, sizeof(path), "/api/v1/orders/%s", ids[k]);
        json_t *o = NULL;
        for (int i = 0; i < 300; i++) {
            r = call("GET", path, NULL, NULL);
            assert_int_equal(r.status, 200);
            o = ts_json(&r);
            ts_response_free(&r);
            const char *st = json_string_value(json_object_get(o, "status"));
            if (strcmp(st, "confirmed") == 0 || strcmp(st, "failed") == 0 ||
                strcmp(st, "cancelled") == 0)
                break;
            json_decref(o);
            o = NULL;
            sleep_ms(100);
        }
        if (o == NULL)
            fail_msg("order %s (%d) never ended", ids[k], k);
        confirmed += check_order(o);
        json_decref(o);
    }
    /* The orders whose charge was made end confirmed. */
    assert_true(confirmed >= 3);
    for (int i = 0; i < 150 && confirmations() < confirmed; i++)
        sleep_ms(100);
    sleep_ms(1500); /* a second copy would be in by now */
    assert_int_equal(confirmations(), confirmed);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(kill_at_each_step_recovers),
    };
    return cmocka_run_group_tests(tests, setup, teardown);
}
