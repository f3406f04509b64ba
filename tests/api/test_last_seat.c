/* test_last_seat.c: the last seats of a leg (issue 14 test 1): 200 travellers book the same
 * flight at once while its economy cabin has 5 seats left; exactly 5 are confirmed, the other
 * 195 get a clean sold-out problem, and the processor's payments and the airline's orders
 * agree with that, on SQLite and (CT_TEST_PG_URL) PostgreSQL.
 *
 * The test runs the sandbox world itself (`contrail-sandbox world --size small --dir D`) and,
 * per engine, `contrail serve --sandbox-world D` on a fresh database. serve's HTTP queue is
 * sized for the storm (`--http-queue 256`; the default 64 sheds the rest with 503) and the
 * per-IP rate limit is off (every traveller here comes from 127.0.0.1); its timetable covers
 * one day only (`--schedule-days 1`), since orders need no search: the itinerary id is built
 * from the leg as booking.md documents it (`i_US5-20271114-ORDBWI`).
 *
 * "5 seats left" means 5 in the whole economy cabin, or the providers would sell the next,
 * dearer class and the orders would come back price_changed. So the leg is one of airline-1's
 * (NDC gateway) 345 days ahead, before its booking window opens (330 days): the background
 * market has sold nothing there and no seat moves by itself during the test. It is a leg whose
 * availability begins Y9B9M9H9Q9V9J9C9 (15 or more business seats: a mainline aircraft with
 * 156 or more economy seats, so that with 5 left class B's protected 5 % closes it and only Y
 * sells). The cabin is brought down to exactly 5 free seats through the provider's own public
 * API, as another seller would: offers and orders (seat holds of 9 passengers) placed directly
 * at airline-1 until it answers SOLD_OUT, then one hold cancelled or a smaller one added
 * until the availability reads Y5B0M0H0Q0V0 (holds last 30 world minutes: the whole test).
 *
 * The storm: 200 threads, for 8 signed-in users (25 each; a guest cannot read a failed order
 * back: guests look orders up by booking reference), each get a live offer (POST
 * /api/v1/offers), wait at a barrier, then all POST /api/v1/orders together (each with its own
 * Idempotency-Key, the test card 4111 1111 1111 1111 and the offer's total as expected_total).
 * Counted: 201 confirmed, 409 application/problem+json with title and code sold_out (the order
 * failed, reason sold_out), 5xx, other. The product refuses at POST /orders (the offers are
 * all made while the 5 seats are free). Then: the users' orders read back (GET /api/v1/orders)
 * are the 200 and say the same; each confirmed order's provider order (GET
 * /ndc/v1/orders/{ref}) is TICKETED for its total, all references distinct; no failed order
 * has a provider order that holds or tickets seats; airline-1 shows the cabin full and refuses
 * an offer for one more; every payment at the processor (GET /v1/payments, all pages) belongs
 * to an order of this test, a confirmed order has exactly one, succeeded and captured for its
 * total, and nothing stays captured (or authorised) for a failed order. */
#include "ct_test.h"

#include <curl/curl.h>
#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "httpclient.h"
#include "testsupport.h"

#define PAY_KEY    "Authorization: Bearer sk_sandbox_contrail_local"
#define BOOKERS    200
#define USERS      8 /* 25 bookers each: 51 requests, within a user's burst of 120 */
#define SEATS_LEFT 5
#define DAYS_AHEAD 345 /* booking opens 330 days before departure: no background sales yet */
#define MAX_ORDERS (BOOKERS * 2)

static char dir[256], wdir[300];
static int world_pid = -1, serve_pid = -1, port, runs;
static json_t *world;
static const char *db_url;
static char auth[USERS][1500]; /* "Authorization: Bearer ..." per user */

/* Every order of the test (all engines: one processor), for the payments' reconciliation. */
typedef struct known_order {
    char id[32];
    int confirmed;
    json_int_t total;
} known_order;
static known_order orders[MAX_ORDERS];
static int norders;

/* The leg of one run. */
typedef struct leg {
    char carrier[4], date[16], from[4], to[4];
    int number;
    char itinerary[64];
} leg;

static void sleep_ms(int ms)
{
    struct timespec ts = {ms / 1000, (long)(ms % 1000) * 1000000L};
    nanosleep(&ts, NULL);
}

static double now_s(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
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

/* METHOD base+path; the status into *status and the body parsed (NULL when not JSON). */
static json_t *call_url(const char *method, const char *base, const char *path, const char *body,
                        const char *const *h, long *status)
{
    char url[1200];
    snprintf(url, sizeof(url), "%s%s", base, path);
    ts_response r = ts_http_url(method, url, body, h);
    *status = r.status;
    json_t *j = r.body != NULL ? json_loads(r.body, 0, NULL) : NULL;
    ts_response_free(&r);
    return j;
}

/* "412.00" -> 41200 (the NDC gateway's amounts; USD has two decimals). */
static json_int_t minor_of(const char *amount)
{
    if (amount == NULL)
        return -1;
    const char *dot = strchr(amount, '.');
    json_int_t units = strtoll(amount, NULL, 10);
    return units * 100 + (dot != NULL ? strtoll(dot + 1, NULL, 10) : 0);
}

/* j.a (or j.a.b) as a string, or NULL. */
static const char *str_at(const json_t *j, const char *a, const char *b)
{
    const json_t *x = json_object_get(j, a);
    return json_string_value(b != NULL ? json_object_get(x, b) : x);
}

/* ---- the world and serve ---- */

static int start_world(void)
{
    snprintf(wdir, sizeof(wdir), "%s/world", dir);
    char wflag[320], log[400], rd[1100], wj[420];
    snprintf(wflag, sizeof(wflag), "--dir=%s", wdir);
    snprintf(rd, sizeof(rd), "--refdata-dir=%s", ts_refdata_dir());
    snprintf(log, sizeof(log), "%s/world.log", dir);
    snprintf(wj, sizeof(wj), "%s/world.json", wdir);
    char *const argv[] = {
        (char *)ts_sandbox_bin(), "world", wflag, "--size=small", "--smtp-port=0", rd,
        "--log-level=warn",       NULL};
    world_pid = ts_spawn(argv, log);
    for (int i = 0; i < 900 && world == NULL; i++) {
        sleep_ms(100);
        world = json_load_file(wj, 0, NULL);
    }
    return world != NULL ? 0 : -1;
}

static int start_serve(void)
{
    char db[700], port_file[400], jwt[400], none[400], log[400], wd[420];
    snprintf(db, sizeof(db), "--db=%s", db_url);
    snprintf(port_file, sizeof(port_file), "%s/port-%d", dir, runs);
    snprintf(jwt, sizeof(jwt), "%s/jwt.key", dir);
    snprintf(none, sizeof(none), "%s/no-schedules", dir);
    snprintf(log, sizeof(log), "%s/serve-%d.log", dir, runs++);
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
                          "--schedule-days=1",
                          "--timetable-cache=",
                          "--pricebook-cache=",
                          wd,
                          "--http-queue=256",
                          "--rate-limit-ip=0",
                          "--access-log=false",
                          "--log-level=info",
                          NULL};
    serve_pid = ts_spawn(argv, log);
    port = ts_wait_port_file(port_file, 60000);
    if (port <= 0)
        return -1;
    char base[64];
    snprintf(base, sizeof(base), "http://127.0.0.1:%d", port);
    for (int i = 0; i < 600; i++) { /* booking wired: an empty offer request is a 400, not 503 */
        long st = 0;
        json_decref(call_url("POST", base, "/api/v1/offers", "{}", NULL, &st));
        if (st == 400)
            return 0;
        sleep_ms(100);
    }
    fprintf(stderr, "booking did not come up (log %s)\n", log);
    return -1;
}

static int setup(void **state)
{
    (void)state;
    if (world == NULL && start_world() != 0)
        return -1;
    return start_serve();
}

/* The last lines of each serve's log, to stderr (when something went wrong). */
static void print_logs(void)
{
    for (int i = 0; i < runs; i++) {
        char path[400], line[2048], tail[40][2048];
        int n = 0;
        snprintf(path, sizeof(path), "%s/serve-%d.log", dir, i);
        FILE *f = fopen(path, "r");
        while (f != NULL && fgets(line, sizeof(line), f) != NULL)
            snprintf(tail[n++ % 40], sizeof(tail[0]), "%s", line);
        if (f != NULL)
            fclose(f);
        fprintf(stderr, "---- %s (last lines)\n", path);
        for (int k = n > 40 ? n - 40 : 0; k < n; k++)
            fputs(tail[k % 40], stderr);
    }
    fprintf(stderr, "logs in %s\n", dir);
}

static int teardown(void **state)
{
    (void)state;
    int code = serve_pid > 0 ? ts_stop_child(serve_pid, SIGTERM, 30000) : 0;
    serve_pid = -1;
    if (code != 0)
        fprintf(stderr, "serve exited %d (logs in %s)\n", code, dir);
    return code == 0 ? 0 : -1;
}

/* ---- the leg, at airline-1 ---- */

/* The availability feed's record of the leg (or, with l->number 0, the first leg reading
 * `want`, which is then taken); caller decrefs. */
static json_t *leg_record(leg *l, const char *want)
{
    char path[200];
    snprintf(path, sizeof(path), "/ndc/v1/availability?fromDate=%s&toDate=%s&limit=5000", l->date,
             l->date);
    long st = 0;
    json_t *doc = call_url("GET", url_of("airline-1"), path, NULL, NULL, &st);
    assert_int_equal(st, 200);
    json_t *x, *found = NULL;
    size_t i;
    json_array_foreach(json_object_get(doc, "Legs"), i, x)
    {
        const char *cc = json_string_value(json_object_get(x, "MarketingCarrier"));
        int num = atoi(json_string_value(json_object_get(x, "FlightNumber")));
        const char *from = json_string_value(json_object_get(x, "Dep"));
        const char *to = json_string_value(json_object_get(x, "Arr"));
        const char *avs = json_string_value(json_object_get(x, "AvailabilityText"));
        if (l->number == 0 && want != NULL && strncmp(avs, want, strlen(want)) == 0) {
            snprintf(l->carrier, sizeof(l->carrier), "%s", cc);
            l->number = num;
            snprintf(l->from, sizeof(l->from), "%s", from);
            snprintf(l->to, sizeof(l->to), "%s", to);
        }
        if (found == NULL && l->number == num && strcmp(l->carrier, cc) == 0 &&
            strcmp(l->from, from) == 0 && strcmp(l->to, to) == 0)
            found = json_incref(x);
    }
    json_decref(doc);
    return found;
}

/* The leg's availability string (Y9B9M9H9Q9V9J9C9W0E0F0A0: seats per class, capped at 9). */
static void leg_avs(leg *l, char *avs, size_t len)
{
    json_t *x = leg_record(l, NULL);
    assert_non_null(x);
    snprintf(avs, len, "%s", json_string_value(json_object_get(x, "AvailabilityText")));
    json_decref(x);
}

/* A full mainline leg of airline-1, DAYS_AHEAD days ahead, not taken by an earlier run. */
static void pick_leg(leg *l)
{
    memset(l, 0, sizeof(*l));
    time_t d = time(NULL) + (time_t)DAYS_AHEAD * 86400;
    struct tm tm;
    gmtime_r(&d, &tm);
    strftime(l->date, sizeof(l->date), "%Y-%m-%d", &tm);
    json_decref(leg_record(l, "Y9B9M9H9Q9V9J9C9"));
    if (l->number == 0)
        fail_msg("airline-1 has no full mainline leg on %s", l->date);
    snprintf(l->itinerary, sizeof(l->itinerary), "i_%s%d-%.4s%.2s%.2s-%s%s", l->carrier, l->number,
             l->date, l->date + 5, l->date + 8, l->from, l->to);
}

/* An offer at airline-1 for `pax` passengers on the leg: its id into id, or 0 when the
 * provider answered 409 (sold out). */
static int provider_offer(const leg *l, int pax, char *id, size_t len)
{
    json_t *list = json_array();
    for (int i = 0; i < pax; i++)
        json_array_append_new(list, json_pack("{ss}", "PTC", "ADT"));
    char num[8];
    snprintf(num, sizeof(num), "%d", l->number);
    json_t *q =
        json_pack("{s{s[{s[{ss ss ss ss ss}]}] so ss}}", "PricingQuery", "OriginDest", "PaxSegment",
                  "MarketingCarrier", l->carrier, "FlightNumber", num, "DepDate", l->date, "Dep",
                  l->from, "Arr", l->to, "PaxList", list, "CabinType", "ECONOMY");
    char *body = json_dumps(q, JSON_COMPACT);
    json_decref(q);
    long st = 0;
    json_t *j = call_url("POST", url_of("airline-1"), "/ndc/v1/offers", body, NULL, &st);
    free(body);
    if (st == 409) {
        json_decref(j);
        return 0;
    }
    if (st != 201 && st != 200)
        fail_msg("airline-1 offer for %d: HTTP %ld", pax, st);
    snprintf(id, len, "%s",
             json_string_value(json_object_get(json_object_get(j, "PricedOffer"), "OfferID")));
    json_decref(j);
    return 1;
}

/* Another seller's hold of `pax` seats (an order at airline-1, HELD): its id into id. */
static void provider_hold(const leg *l, int pax, char *id, size_t len)
{
    char offer[1100];
    if (!provider_offer(l, pax, offer, sizeof(offer)))
        fail_msg("airline-1 sold out for %d passengers", pax);
    json_t *list = json_array();
    for (int i = 0; i < pax; i++)
        json_array_append_new(
            list, json_pack("{ss ss ss}", "PTC", "ADT", "GivenName", "Other", "Surname", "Seller"));
    json_t *o = json_pack("{ss so}", "OfferID", offer, "PaxList", list);
    char *body = json_dumps(o, JSON_COMPACT);
    json_decref(o);
    long st = 0;
    json_t *j = call_url("POST", url_of("airline-1"), "/ndc/v1/orders", body, NULL, &st);
    free(body);
    json_t *order = json_object_get(j, "Order");
    if (st != 201 || strcmp(json_string_value(json_object_get(order, "StatusCode")), "HELD") != 0)
        fail_msg("airline-1 hold of %d: HTTP %ld", pax, st);
    snprintf(id, len, "%s", json_string_value(json_object_get(order, "OrderID")));
    json_decref(j);
}

/* Other sellers' holds until exactly SEATS_LEFT economy seats are free (file comment). */
static void fill_to_last_seats(leg *l)
{
    char held[64][16], avs[32], offer[1100];
    int n = 0;
    while (n < 64 && provider_offer(l, 9, offer, sizeof(offer)))
        provider_hold(l, 9, held[n++], sizeof(held[0]));
    assert_true(n > 0 && n < 64);
    leg_avs(l, avs, sizeof(avs));
    int left = avs[1] - '0'; /* Y sells every remaining seat; fewer than 9 now */
    if (left < SEATS_LEFT) {
        char path[64];
        long st = 0;
        snprintf(path, sizeof(path), "/ndc/v1/orders/%s/cancel", held[--n]);
        json_decref(call_url("POST", url_of("airline-1"), path, "{}", NULL, &st));
        assert_int_equal(st, 200);
        left += 9;
    }
    if (left > SEATS_LEFT)
        provider_hold(l, left - SEATS_LEFT, held[n++], sizeof(held[0]));
    leg_avs(l, avs, sizeof(avs));
    fprintf(stderr, "%s: %d holds at airline-1, economy now %.12s\n", l->itinerary, n, avs);
    assert_memory_equal(avs, "Y5B0M0H0Q0V0", 12);
}

/* ---- the storm ---- */

/* USERS travellers' accounts on this serve (auth[]). */
static void sign_up_users(void)
{
    char base[64];
    snprintf(base, sizeof(base), "http://127.0.0.1:%d", port);
    for (int u = 0; u < USERS; u++) {
        char body[256];
        snprintf(body, sizeof(body),
                 "{\"email\":\"seat-%d-%d-%ld@example.com\",\"password\":\"correct horse "
                 "battery\"}",
                 runs, u, (long)getpid());
        long st = 0;
        json_decref(call_url("POST", base, "/api/v1/users", body, NULL, &st));
        assert_int_equal(st, 202);
        json_t *j = call_url("POST", base, "/api/v1/sessions", body, NULL, &st);
        assert_int_equal(st, 200);
        snprintf(auth[u], sizeof(auth[u]), "Authorization: Bearer %s",
                 str_at(j, "access_token", NULL));
        json_decref(j);
    }
}

typedef struct booker {
    int port, index;
    const char *itinerary, *auth;
    pthread_barrier_t *start;
    long offer_status, status;
    char offer_error[300]; /* the offer's answer when it was not a 201 */
    int problem_json;      /* answered application/problem+json */
    json_t *answer;
    json_int_t offered;
} booker;

/* The order body for the offer (the test card, the offer's total as expected). */
static char *order_body(const booker *bk, const json_t *offer)
{
    char email[64];
    snprintf(email, sizeof(email), "seat-%d@example.com", bk->index);
    json_t *t = json_object_get(offer, "total");
    json_t *b = json_pack(
        "{ss s[{ss ss ss s{ss ss ss ss}}] s{ss ss} s{ss si si ss} s{sO sO}}", "offer_id",
        json_string_value(json_object_get(offer, "id")), "passengers", "given_name", "Ada",
        "family_name", "Lovelace", "date_of_birth", "1990-12-10", "document", "type", "passport",
        "number", "C01X00T47", "country", "DE", "expiry", "2035-01-01", "contact", "email", email,
        "phone", "+15551234567", "card", "number", "4111111111111111", "exp_month", 12, "exp_year",
        2030, "cvc", "123", "expected_total", "amount_minor", json_object_get(t, "amount_minor"),
        "currency", json_object_get(t, "currency"));
    char *text = json_dumps(b, JSON_COMPACT);
    json_decref(b);
    return text;
}

/* One traveller: a live offer, the barrier, the order. No cmocka calls here (a thread). */
static void *book(void *arg)
{
    booker *bk = arg;
    char url[200], offer_req[300], idem[100];
    snprintf(url, sizeof(url), "http://127.0.0.1:%d/api/v1/offers", bk->port);
    snprintf(offer_req, sizeof(offer_req),
             "{\"itinerary_id\":\"%s\",\"provider\":\"airline-1\",\"passengers\":1,"
             "\"cabin\":\"economy\"}",
             bk->itinerary);
    const char *h[] = {bk->auth, NULL, NULL};
    ts_response r = ts_http_url("POST", url, offer_req, h);
    bk->offer_status = r.status;
    json_t *offer = r.status == 201 ? json_loads(r.body, 0, NULL) : NULL;
    if (r.status != 201)
        snprintf(bk->offer_error, sizeof(bk->offer_error), "%s", r.body ? r.body : "");
    ts_response_free(&r);
    char *body = offer != NULL ? order_body(bk, offer) : NULL;
    bk->offered =
        json_integer_value(json_object_get(json_object_get(offer, "total"), "amount_minor"));
    json_decref(offer);
    pthread_barrier_wait(bk->start); /* every thread, offer or not: the barrier counts them */
    if (body == NULL)
        return NULL;
    snprintf(url, sizeof(url), "http://127.0.0.1:%d/api/v1/orders", bk->port);
    snprintf(idem, sizeof(idem), "Idempotency-Key: last-seat-%d-%d-%ld", runs, bk->index,
             (long)getpid());
    h[1] = idem;
    r = ts_http_url("POST", url, body, h);
    bk->status = r.status;
    bk->problem_json = ts_has_header(&r, "Content-Type: application/problem+json");
    bk->answer = r.body != NULL ? json_loads(r.body, 0, NULL) : NULL;
    ts_response_free(&r);
    free(body);
    return NULL;
}

static int is_sold_out(const booker *bk)
{
    const json_t *o = json_object_get(bk->answer, "order");
    return bk->status == 409 && bk->problem_json &&
           strcmp(str_at(bk->answer, "title", NULL) ?: "", "sold_out") == 0 &&
           strcmp(str_at(bk->answer, "code", NULL) ?: "", "sold_out") == 0 &&
           strcmp(str_at(o, "status", NULL) ?: "", "failed") == 0 &&
           strcmp(str_at(o, "reason", NULL) ?: "", "sold_out") == 0;
}

/* The order of an answer: the 201's body, or the problem's "order". */
static const json_t *order_of(const booker *bk)
{
    return bk->status == 201 ? bk->answer : json_object_get(bk->answer, "order");
}

/* ---- reconciliation ---- */

static known_order *known(const char *id)
{
    for (int i = 0; id != NULL && i < norders; i++)
        if (strcmp(orders[i].id, id) == 0)
            return &orders[i];
    return NULL;
}

/* The users' orders as GET /api/v1/orders lists them (one array; caller decrefs). */
static json_t *users_orders(void)
{
    char base[64];
    snprintf(base, sizeof(base), "http://127.0.0.1:%d", port);
    json_t *all = json_array();
    for (int u = 0; u < USERS; u++) {
        const char *h[] = {auth[u], NULL};
        long st = 0;
        json_t *list = call_url("GET", base, "/api/v1/orders?limit=100", NULL, h, &st);
        assert_int_equal(st, 200);
        assert_int_equal(json_integer_value(json_object_get(list, "total")), BOOKERS / USERS);
        json_array_extend(all, json_object_get(list, "orders"));
        json_decref(list);
    }
    return all;
}

static const json_t *listed(const json_t *all, const char *id)
{
    const json_t *o;
    size_t i;
    json_array_foreach(all, i, o)
    {
        if (strcmp(str_at(o, "id", NULL), id) == 0)
            return o;
    }
    return NULL;
}

/* The order read back agrees with its answer; the provider's order agrees with both. */
static void check_order(const booker *bk, const json_t *all, char refs[][16], int *nrefs)
{
    const char *id = str_at(order_of(bk), "id", NULL);
    assert_non_null(id);
    const json_t *back = listed(all, id);
    if (back == NULL)
        fail_msg("order %s is not in its user's list", id);
    const char *status = str_at(back, "status", NULL);
    assert_string_equal(status, str_at(order_of(bk), "status", NULL));
    json_int_t total =
        json_integer_value(json_object_get(json_object_get(back, "total"), "amount_minor"));
    const char *ref = str_at(back, "booking_reference", NULL);
    int confirmed = strcmp(status, "confirmed") == 0;
    if (confirmed) {
        assert_int_equal(total, bk->offered);
        assert_non_null(ref);
        for (int i = 0; i < *nrefs; i++)
            assert_string_not_equal(refs[i], ref);
        snprintf(refs[(*nrefs)++], 16, "%s", ref);
    }
    if (ref != NULL) {
        char path[80];
        long st = 0;
        snprintf(path, sizeof(path), "/ndc/v1/orders/%s", ref);
        json_t *po = call_url("GET", url_of("airline-1"), path, NULL, NULL, &st);
        assert_int_equal(st, 200);
        const json_t *pord = json_object_get(po, "Order");
        const char *pst = str_at(pord, "StatusCode", NULL);
        if (confirmed) {
            assert_string_equal(pst, "TICKETED");
            assert_int_equal(
                minor_of(str_at(json_object_get(pord, "TotalPrice"), "TotalAmount", "Amount")),
                total);
            assert_int_equal(json_array_size(json_object_get(pord, "TicketDocs")), 1);
        } else { /* a failed order holds and tickets nothing */
            assert_true(strcmp(pst, "CANCELLED") == 0 || strcmp(pst, "EXPIRED") == 0);
        }
        json_decref(po);
    }
    if (norders < MAX_ORDERS) {
        known_order *k = &orders[norders++];
        snprintf(k->id, sizeof(k->id), "%s", id);
        k->confirmed = confirmed;
        k->total = total;
    }
}

/* Every payment at the processor against the orders of the test (file comment). */
static void reconcile_payments(void)
{
    int per_order[MAX_ORDERS] = {0};
    int failed_payments = 0;
    char after[64] = "";
    const char *h[] = {PAY_KEY, NULL};
    for (int page = 0; page < 100; page++) {
        char path[160];
        snprintf(path, sizeof(path), "/v1/payments?limit=100%s%s",
                 after[0] ? "&starting_after=" : "", after);
        long st = 0;
        json_t *list = call_url("GET", url_of("payments"), path, NULL, h, &st);
        assert_int_equal(st, 200);
        json_t *p;
        size_t i;
        json_array_foreach(json_object_get(list, "data"), i, p)
        {
            const char *ref = str_at(p, "reference", NULL);
            const char *pst = str_at(p, "status", NULL);
            json_int_t captured = json_integer_value(json_object_get(p, "amount_captured"));
            json_int_t refunded = json_integer_value(json_object_get(p, "amount_refunded"));
            known_order *k = known(ref);
            if (k == NULL)
                fail_msg("payment %s (%s) belongs to no order of the test", str_at(p, "id", NULL),
                         ref ? ref : "no reference");
            if (k->confirmed) {
                per_order[k - orders]++;
                assert_string_equal(pst, "succeeded");
                assert_int_equal(captured, k->total);
                assert_int_equal(refunded, 0);
            } else {
                failed_payments++;
                assert_int_equal(captured - refunded, 0);
                assert_true(strcmp(pst, "authorized") != 0 && strcmp(pst, "requires_action") != 0);
            }
            snprintf(after, sizeof(after), "%s", str_at(p, "id", NULL));
        }
        int more = json_is_true(json_object_get(list, "has_more"));
        json_decref(list);
        if (!more)
            break;
    }
    for (int i = 0; i < norders; i++)
        if (orders[i].confirmed && per_order[i] != 1)
            fail_msg("confirmed order %s has %d payments", orders[i].id, per_order[i]);
    fprintf(stderr, "payments: one captured per confirmed order, %d of failed orders (none open)\n",
            failed_payments);
}

static void last_seats_go_to_five(void **state)
{
    (void)state;
    leg l;
    pick_leg(&l);
    fill_to_last_seats(&l);
    sign_up_users();

    static booker bk[BOOKERS];
    pthread_t t[BOOKERS];
    pthread_barrier_t start;
    pthread_barrier_init(&start, NULL, BOOKERS);
    memset(bk, 0, sizeof(bk));
    double t0 = now_s();
    for (int i = 0; i < BOOKERS; i++) {
        bk[i] = (booker){.port = port,
                         .index = i,
                         .itinerary = l.itinerary,
                         .auth = auth[i % USERS],
                         .start = &start};
        assert_int_equal(pthread_create(&t[i], NULL, book, &bk[i]), 0);
    }
    for (int i = 0; i < BOOKERS; i++)
        pthread_join(t[i], NULL);
    double storm = now_s() - t0;
    pthread_barrier_destroy(&start);

    int confirmed = 0, sold_out = 0, errors5xx = 0, other = 0, offers = 0;
    for (int i = 0; i < BOOKERS; i++) {
        offers += bk[i].offer_status == 201;
        if (bk[i].status == 201 &&
            strcmp(str_at(bk[i].answer, "status", NULL) ?: "", "confirmed") == 0)
            confirmed++;
        else if (is_sold_out(&bk[i]))
            sold_out++;
        else {
            errors5xx += bk[i].offer_status >= 500 || bk[i].offer_status < 0 ||
                         bk[i].status >= 500 || bk[i].status < 0;
            other++;
            char *text = bk[i].answer ? json_dumps(bk[i].answer, JSON_COMPACT) : NULL;
            fprintf(stderr, "booker %d: offer %ld %.200s, order %ld %.300s\n", i,
                    bk[i].offer_status, bk[i].offer_error, bk[i].status, text ? text : "");
            free(text);
        }
    }
    fprintf(stderr,
            "%s: %d offers, %d confirmed, %d sold out (409), %d other (%d 5xx or no answer);"
            " storm %.2f s\n",
            db_url, offers, confirmed, sold_out, other, errors5xx, storm);
    assert_int_equal(offers, BOOKERS);
    assert_int_equal(errors5xx, 0);
    assert_int_equal(confirmed, SEATS_LEFT);
    assert_int_equal(sold_out, BOOKERS - SEATS_LEFT);

    char refs[BOOKERS][16];
    int nrefs = 0;
    json_t *all = users_orders();
    assert_int_equal(json_array_size(all), BOOKERS);
    for (int i = 0; i < BOOKERS; i++)
        check_order(&bk[i], all, refs, &nrefs);
    json_decref(all);
    assert_int_equal(nrefs, SEATS_LEFT);
    for (int i = 0; i < BOOKERS; i++)
        json_decref(bk[i].answer);

    char avs[32], offer[1100];
    leg_avs(&l, avs, sizeof(avs));
    assert_memory_equal(avs, "Y0B0M0H0Q0V0", 12);
    assert_int_equal(provider_offer(&l, 1, offer, sizeof(offer)), 0);
    reconcile_payments();
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(last_seats_go_to_five),
    };
    curl_global_init(CURL_GLOBAL_DEFAULT);
    static char urls[2][512]; /* db_url points into it */
    ts_tempdir(dir, sizeof(dir));
    int n = ts_store_urls(dir, urls, 2), failed = 0;
    for (int i = 0; i < n; i++) {
        db_url = urls[i];
        failed += cmocka_run_group_tests_name(
            strncmp(db_url, "sqlite:", 7) == 0 ? "sqlite" : "postgres", tests, setup, teardown);
    }
    if (world_pid > 0)
        ts_stop_child(world_pid, SIGTERM, 30000);
    json_decref(world);
    if (failed == 0)
        ts_rmtree(dir);
    else
        print_logs();
    curl_global_cleanup();
    return failed;
}
