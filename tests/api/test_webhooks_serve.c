/* test_webhooks_serve.c: webhooks against the real programs: the small sandbox world
 * (`contrail-sandbox world --size small`) and `contrail serve --sandbox-world D
 * --webhook-allow-loopback true --webhook-retry-scale 0.001 --webhook-timeout 2` beside it,
 * driven only over HTTP, with a receiver over loopback (tests/support/receiver.h) whose every
 * signature is checked with OpenSSL.
 *
 *   - the API: create (201, the secret once), 400 problem+json naming the field (http to a
 *     public address, a private address, bad event types), list, get, deliveries, 404 for
 *     another user's endpoint, an API key with the webhooks scope acting for its user, a key
 *     without it 403, delete 204;
 *   - an order booked in the sandbox world by a signed-in user reaches the user's endpoint as
 *     order.confirmed with the order's id, signed;
 *   - `kill -9` of serve while a delivery is in flight (the receiver holds the response), then
 *     a restart on the same database: the message arrives again with the same webhook-id
 *     (at least once, never lost) and the log shows it delivered. */
#include "ct_test.h"

#include <curl/curl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "httpclient.h"
#include "receiver.h"
#include "testsupport.h"

static char dir[256], wdir[300];
static int world_pid = -1, serve_pid = -1, port, serve_runs;
static json_t *world;
static char leg_from[4], leg_to[4], leg_date[16];
static char bearer_a[1400], bearer_b[1400], email_a[128];
static rc_receiver *rcv;

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

/* METHOD path with `auth` ("Authorization: ..." or "X-API-Key: ..." line, or NULL). */
static ts_response call_as(const char *method, const char *path, const char *body, const char *auth,
                           const char *idem)
{
    char url[600], idem_h[300];
    const char *h[3] = {NULL, NULL, NULL};
    int n = 0;
    if (auth != NULL)
        h[n++] = auth;
    if (idem != NULL) {
        snprintf(idem_h, sizeof(idem_h), "Idempotency-Key: %s", idem);
        h[n++] = idem_h;
    }
    snprintf(url, sizeof(url), "http://127.0.0.1:%d%s", port, path);
    return ts_http_url(method, url, body, h);
}

static long status_as(const char *method, const char *path, const char *body, const char *auth)
{
    ts_response r = call_as(method, path, body, auth, NULL);
    long st = r.status;
    ts_response_free(&r);
    return st;
}

/* The JSON answer of a call that must answer `want`. Caller decrefs. */
static json_t *json_as(const char *method, const char *path, const char *body, const char *auth,
                       long want)
{
    ts_response r = call_as(method, path, body, auth, NULL);
    if (r.status != want)
        fail_msg("%s %s: %ld (want %ld): %s", method, path, r.status, want, r.body ? r.body : "");
    json_t *j = ts_json(&r);
    ts_response_free(&r);
    return j;
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
                          "--webhook-allow-loopback=true",
                          "--webhook-retry-scale=0.001",
                          "--webhook-timeout=2",
                          "--access-log=false",
                          "--log-level=info",
                          NULL};
    serve_pid = ts_spawn(argv, log);
    port = ts_wait_port_file(port_file, 60000);
    assert_true(port > 0);
}

/* The search answer for the leg (priced), or NULL. */
static json_t *search(void)
{
    char body[300];
    snprintf(body, sizeof(body),
             "{\"slices\":[{\"origin\":\"%s\",\"destination\":\"%s\",\"date\":\"%s\"}],"
             "\"passengers\":{\"adults\":1}}",
             leg_from, leg_to, leg_date);
    ts_response r = call_as("POST", "/api/v1/searches", body, NULL, NULL);
    json_t *j = r.status == 200 ? ts_json(&r) : NULL;
    ts_response_free(&r);
    json_t *first = json_array_get(json_object_get(j, "itineraries"), 0);
    if (first == NULL || json_object_get(json_object_get(first, "price"), "amount_minor") == NULL) {
        json_decref(j);
        return NULL;
    }
    return j;
}

/* Waits until serve answers priced searches and booking is wired. */
static void wait_ready(void)
{
    json_t *ans = NULL;
    for (int i = 0; i < 600 && ans == NULL; i++) {
        sleep_ms(100);
        ans = search();
    }
    assert_non_null(ans);
    json_decref(ans);
    for (int i = 0; i < 300; i++) {
        long st = status_as("GET", "/api/v1/orders", NULL, NULL);
        if (st == 200 || st == 401)
            return;
        sleep_ms(100);
    }
    fail_msg("booking did not come up");
}

static void sign_up_and_in(const char *email, char *bearer)
{
    char body[256], auth[1500];
    snprintf(body, sizeof(body), "{\"email\":\"%s\",\"password\":\"correct horse battery\"}",
             email);
    assert_int_equal(status_as("POST", "/api/v1/users", body, NULL), 202);
    json_t *j = json_as("POST", "/api/v1/sessions", body, NULL, 200);
    snprintf(auth, sizeof(auth), "Authorization: Bearer %s",
             json_string_value(json_object_get(j, "access_token")));
    memcpy(bearer, auth, strlen(auth) + 1);
    json_decref(j);
}

static int setup(void **state)
{
    (void)state;
    curl_global_init(CURL_GLOBAL_DEFAULT);
    rcv = rc_start();
    if (rcv == NULL)
        return -1;
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
    ts_pick_ndc_leg(url_of("airline-1"), 3, leg_date, leg_from, leg_to);
    start_serve();
    wait_ready();
    snprintf(email_a, sizeof(email_a), "hooks-a-%ld@example.com", (long)getpid());
    char email_b[128];
    snprintf(email_b, sizeof(email_b), "hooks-b-%ld@example.com", (long)getpid());
    sign_up_and_in(email_a, bearer_a);
    sign_up_and_in(email_b, bearer_b);
    return 0;
}

static int teardown(void **state)
{
    (void)state;
    int code = serve_pid > 0 ? ts_stop_child(serve_pid, SIGTERM, 30000) : 0;
    if (world_pid > 0)
        ts_stop_child(world_pid, SIGTERM, 30000);
    json_decref(world);
    rc_stop(rcv);
    if (code != 0)
        fprintf(stderr, "serve exited %d (logs in %s)\n", code, dir);
    else
        ts_rmtree(dir);
    return code == 0 ? 0 : -1;
}

/* Creates an endpoint on the receiver's `path` for `types` (JSON array text); id and secret. */
static void create_endpoint(const char *auth, const char *path, const char *types, char *id,
                            char *secret)
{
    char body[400];
    snprintf(body, sizeof(body), "{\"url\":\"http://127.0.0.1:%d%s\",\"event_types\":%s}",
             rc_port(rcv), path, types);
    json_t *j = json_as("POST", "/api/v1/me/webhooks", body, auth, 201);
    snprintf(id, 40, "%s", json_string_value(json_object_get(j, "id")));
    snprintf(secret, 80, "%s", json_string_value(json_object_get(j, "secret")));
    json_decref(j);
}

/* The field named by a 400 problem for POST /api/v1/me/webhooks with `body`. */
static void expect_field(const char *body, const char *field)
{
    ts_response r = call_as("POST", "/api/v1/me/webhooks", body, bearer_a, NULL);
    assert_int_equal(r.status, 400);
    assert_true(ts_has_header(&r, "application/problem+json"));
    json_t *j = ts_json(&r);
    const char *f = json_string_value(
        json_object_get(json_array_get(json_object_get(j, "errors"), 0), "field"));
    if (f == NULL || strcmp(f, field) != 0)
        fail_msg("%s: named %s, not %s", body, f ? f : "(none)", field);
    json_decref(j);
    ts_response_free(&r);
}

static void api_contract(void **state)
{
    (void)state;
    expect_field("{\"url\":\"http://93.184.216.34/hook\"}", "url");
    expect_field("{\"url\":\"https://10.0.0.7/hook\"}", "url");
    expect_field("{\"url\":\"https://169.254.169.254/latest/meta-data\"}", "url");
    expect_field("{\"event_types\":[\"*\"]}", "url");
    char bad_types[200];
    snprintf(bad_types, sizeof(bad_types),
             "{\"url\":\"http://127.0.0.1:%d/ok\",\"event_types\":[\"account.email\"]}",
             rc_port(rcv));
    expect_field(bad_types, "event_types");
    char id[40], secret[80], path[200];
    create_endpoint(bearer_a, "/ok/api", "[\"*\"]", id, secret);
    assert_int_equal(strncmp(secret, "whsec_", 6), 0);
    json_t *j = json_as("GET", "/api/v1/me/webhooks", NULL, bearer_a, 200);
    assert_int_equal(json_array_size(json_object_get(j, "items")), 1);
    char *listed = json_dumps(j, 0);
    assert_null(strstr(listed, "whsec_")); /* the secret only at creation */
    free(listed);
    json_decref(j);
    snprintf(path, sizeof(path), "/api/v1/me/webhooks/%s", id);
    j = json_as("GET", path, NULL, bearer_a, 200);
    assert_string_equal(json_string_value(json_object_get(j, "status")), "enabled");
    json_decref(j);
    assert_int_equal(status_as("GET", path, NULL, bearer_b), 404);
    assert_int_equal(status_as("DELETE", path, NULL, bearer_b), 404);
    snprintf(path, sizeof(path), "/api/v1/me/webhooks/%s/test", id);
    assert_int_equal(status_as("POST", path, NULL, bearer_b), 404);
    json_decref(json_as("POST", path, NULL, bearer_a, 202));
    assert_true(rc_wait(rcv, "/ok/api", 1, 10000));
    rc_hit h;
    char *body = NULL;
    assert_true(rc_hit_get(rcv, "/ok/api", 0, &h, &body));
    assert_int_equal(rc_verify(secret, h.id, h.timestamp, body, h.signature), 1);
    assert_non_null(strstr(body, "\"type\":\"webhook.test\""));
    free(body);
    ts_response m = call_as("GET", "/metrics", NULL, NULL, NULL);
    assert_non_null(strstr(m.body, "contrail_upstream_attempts_total{client=\"webhooks\""));
    ts_response_free(&m);
    snprintf(path, sizeof(path), "/api/v1/me/webhooks/%s/deliveries?limit=0", id);
    assert_int_equal(status_as("GET", path, NULL, bearer_a), 400);
    snprintf(path, sizeof(path), "/api/v1/me/webhooks/%s/deliveries", id);
    assert_int_equal(status_as("GET", path, NULL, bearer_b), 404);
    j = json_as("GET", path, NULL, bearer_a, 200);
    assert_int_equal(json_array_size(json_object_get(j, "items")), 1);
    json_decref(j);
    /* API keys: with the webhooks scope they act for their user; without it 403. */
    j = json_as("POST", "/api/v1/me/api-keys", "{\"name\":\"hooks\",\"scopes\":[\"webhooks\"]}",
                bearer_a, 201);
    char key[200], nokey[200];
    snprintf(key, sizeof(key), "X-API-Key: %s", json_string_value(json_object_get(j, "key")));
    json_decref(j);
    j = json_as("POST", "/api/v1/me/api-keys", "{\"name\":\"search\",\"scopes\":[\"search\"]}",
                bearer_a, 201);
    snprintf(nokey, sizeof(nokey), "X-API-Key: %s", json_string_value(json_object_get(j, "key")));
    json_decref(j);
    j = json_as("GET", "/api/v1/me/webhooks", NULL, key, 200);
    assert_int_equal(json_array_size(json_object_get(j, "items")), 1);
    json_decref(j);
    assert_int_equal(status_as("GET", "/api/v1/me/webhooks", NULL, nokey), 403);
    assert_int_equal(status_as("GET", "/api/v1/me/webhooks", NULL, NULL), 401);
    char kid[40], ksecret[80];
    create_endpoint(key, "/ok/key", "[\"order.confirmed\"]", kid, ksecret);
    snprintf(path, sizeof(path), "/api/v1/me/webhooks/%s", kid);
    assert_int_equal(status_as("GET", path, NULL, bearer_a), 200); /* the key's user's */
    assert_int_equal(status_as("DELETE", path, NULL, key), 204);
    snprintf(path, sizeof(path), "/api/v1/me/webhooks/%s", id);
    assert_int_equal(status_as("DELETE", path, NULL, bearer_a), 204);
    assert_int_equal(status_as("GET", path, NULL, bearer_a), 404);
}

/* A live offer of airline-1 for the leg, or NULL. */
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
            ts_response r = call_as("POST", "/api/v1/offers", body, NULL, NULL);
            if (r.status == 201)
                off = ts_json(&r);
            ts_response_free(&r);
        }
    }
    json_decref(ans);
    return off;
}

static void order_confirmed_reaches_the_endpoint(void **state)
{
    (void)state;
    char id[40], secret[80], other[40], other_secret[80];
    create_endpoint(bearer_a, "/ok/orders", "[\"order.confirmed\"]", id, secret);
    create_endpoint(bearer_b, "/ok/others", "[\"*\"]", other, other_secret);
    json_t *off = NULL;
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
        "number", "C01X00T47", "country", "DE", "expiry", "2035-01-01", "contact", "email", email_a,
        "phone", "+15551234567", "card", "number", "4111111111111111", "exp_month", 12, "exp_year",
        2030, "cvc", "123", "expected_total", "amount_minor", json_object_get(t, "amount_minor"),
        "currency", json_object_get(t, "currency"));
    char *text = json_dumps(b, JSON_COMPACT);
    json_decref(b);
    json_decref(off);
    char idem[64];
    snprintf(idem, sizeof(idem), "hooks-order-%ld", (long)getpid());
    ts_response r = call_as("POST", "/api/v1/orders", text, bearer_a, idem);
    free(text);
    if (r.status != 201)
        fail_msg("order: %ld %s", r.status, r.body ? r.body : "");
    json_t *order = ts_json(&r);
    ts_response_free(&r);
    assert_string_equal(json_string_value(json_object_get(order, "status")), "confirmed");
    char order_id[40];
    snprintf(order_id, sizeof(order_id), "%s", json_string_value(json_object_get(order, "id")));
    json_decref(order);
    assert_true(rc_wait(rcv, "/ok/orders", 1, 20000));
    rc_hit h;
    char *body = NULL;
    assert_true(rc_hit_get(rcv, "/ok/orders", 0, &h, &body));
    assert_int_equal(rc_verify(secret, h.id, h.timestamp, body, h.signature), 1);
    json_t *j = json_loads(body, 0, NULL);
    free(body);
    assert_string_equal(json_string_value(json_object_get(j, "type")), "order.confirmed");
    assert_string_equal(json_string_value(json_object_get(json_object_get(j, "data"), "order_id")),
                        order_id);
    json_decref(j);
    sleep_ms(500);
    assert_int_equal(rc_count(rcv, "/ok/orders"), 1);
    assert_int_equal(rc_count(rcv, "/ok/others"), 0); /* another user's order is not theirs */
}

static void kill_9_in_flight_is_delivered_after_restart(void **state)
{
    (void)state;
    char id[40], secret[80], path[200];
    create_endpoint(bearer_a, "/hold", "[\"*\"]", id, secret);
    snprintf(path, sizeof(path), "/api/v1/me/webhooks/%s/test", id);
    json_decref(json_as("POST", path, NULL, bearer_a, 202));
    assert_true(rc_wait_held(rcv, 10000)); /* the attempt is in flight, unanswered */
    assert_int_equal(ts_stop_child(serve_pid, SIGKILL, 10000), 128 + SIGKILL);
    serve_pid = -1;
    rc_release(rcv);
    start_serve();
    /* The lease (time-out 2 s + 5 s) runs out and the restarted serve sends it again. */
    assert_true(rc_wait(rcv, "/hold", 2, 60000));
    rc_hit a, b;
    char *ba = NULL, *bb = NULL;
    assert_true(rc_hit_get(rcv, "/hold", 0, &a, &ba));
    assert_true(rc_hit_get(rcv, "/hold", 1, &b, &bb));
    assert_string_equal(a.id, b.id);
    assert_string_equal(ba, bb);
    assert_int_equal(rc_verify(secret, b.id, b.timestamp, bb, b.signature), 1);
    free(ba);
    free(bb);
    snprintf(path, sizeof(path), "/api/v1/me/webhooks/%s/deliveries", id);
    const char *status = NULL;
    json_t *j = NULL;
    for (int i = 0; i < 100; i++) {
        json_decref(j);
        j = json_as("GET", path, NULL, bearer_a, 200);
        status = json_string_value(
            json_object_get(json_array_get(json_object_get(j, "items"), 0), "status"));
        if (status != NULL && strcmp(status, "delivered") == 0)
            break;
        sleep_ms(100);
    }
    assert_string_equal(status, "delivered");
    json_decref(j);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(api_contract),
        cmocka_unit_test(order_confirmed_reaches_the_endpoint),
        cmocka_unit_test(kill_9_in_flight_is_delivered_after_restart),
    };
    return cmocka_run_group_tests(tests, setup, teardown);
}
