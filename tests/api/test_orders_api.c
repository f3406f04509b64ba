/* test_orders_api.c: booking over HTTP against the real product: `contrail serve --sandbox
 * true --sandbox-size small` run as a process (as a user runs it), driven only over HTTP.
 *
 * Waits for the world and its prices (a search answers with amount_minor), then: two users sign
 * up; a search for a leg airline-1 sells -> POST /api/v1/offers with an itinerary id of that
 * answer -> POST /api/v1/orders with an Idempotency-Key -> 201 confirmed with e-tickets; the
 * same key and body again -> the same order with Idempotent-Replayed: true; GET /orders lists
 * it; the other user's GET /orders/{id} is 404; exactly one confirmation e-mail (reference,
 * passengers, tickets, how to cancel; a text and an HTML part) reaches the sandbox mail
 * server (its HTTP API), through the notification hub: with RFC 8058 List-Unsubscribe headers,
 * whose link unsubscribes by POST without signing in, and one in-app notification each; a
 * cancellation (quote, confirm) sends one cancellation e-mail; a declined card -> 402, the
 * order failed with reason card_declined. Every passenger carries a passport (required on an
 * international trip); on an international leg of airline-1 the offer says passport_required
 * and an order without one is 400 naming passengers[0].document, with nothing charged.
 * Separate tickets: a round trip's separate-tickets offer (its parts: each slice's cheapest
 * seller) made live, ordered as one order of two providers' orders, found by either part's
 * reference, with exactly one confirmation e-mail naming both. SMS: the owner verifies a phone
 * number with the code the world's SMS gateway received (serve wired to it from world.json),
 * turns the booking SMS preference on, books, and exactly one SMS naming the booking reference
 * reaches that number (none before the preference, none for the other user). */
#include "ct_test.h"

#include <curl/curl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>
#include <unistd.h>

#include "httpclient.h"
#include "testsupport.h"

#define PAY_KEY "Authorization: Bearer sk_sandbox_contrail_local"

static char dir[256];
static int serve_pid = -1, port;
static json_t *world;
static char leg_from[4], leg_to[4], leg_date[16];
static char intl_from[4], intl_to[4]; /* an airline-1 leg between two countries, on leg_date */
static char bearer_a[1400], bearer_b[1400];
static char email[128];

static void sleep_ms(int ms)
{
    struct timespec ts = {ms / 1000, (long)(ms % 1000) * 1000000L};
    nanosleep(&ts, NULL);
}

static const char *contrail_bin(void)
{
    const char *bin = getenv("CT_CONTRAIL_BIN");
    if (bin == NULL || access(bin, X_OK) != 0)
        fail_msg("CT_CONTRAIL_BIN does not name the built contrail (run through ctest)");
    return bin;
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

static ts_response call(const char *method, const char *path, const char *body, const char *bearer,
                        const char *key)
{
    char auth[1500], idem[300];
    const char *h[3] = {NULL, NULL, NULL};
    int n = 0;
    if (bearer != NULL) {
        snprintf(auth, sizeof(auth), "Authorization: Bearer %s", bearer);
        h[n++] = auth;
    }
    if (key != NULL) {
        snprintf(idem, sizeof(idem), "Idempotency-Key: %s", key);
        h[n++] = idem;
    }
    return ts_http(method, port, path, body, h);
}

static void sign_up(const char *who, char *bearer, size_t len)
{
    char body[256];
    snprintf(body, sizeof(body), "{\"email\":\"%s\",\"password\":\"correct horse battery\"}", who);
    ts_response r = call("POST", "/api/v1/users", body, NULL, NULL);
    assert_int_equal(r.status, 202);
    ts_response_free(&r);
    r = call("POST", "/api/v1/sessions", body, NULL, NULL);
    assert_int_equal(r.status, 200);
    json_t *j = ts_json(&r);
    snprintf(bearer, len, "%s", json_string_value(json_object_get(j, "access_token")));
    json_decref(j);
    ts_response_free(&r);
}

/* A leg airline-1 sells with seats, three days ahead (httpclient.h). */
static void pick_leg(void)
{
    ts_pick_ndc_leg(url_of("airline-1"), 3, leg_date, leg_from, leg_to);
}

/* The search answer for from-to on leg_date (itineraries priced: amount_minor), or NULL. */
static json_t *search_on(const char *from, const char *to)
{
    char body[300];
    snprintf(body, sizeof(body),
             "{\"slices\":[{\"origin\":\"%s\",\"destination\":\"%s\",\"date\":\"%s\"}],"
             "\"passengers\":{\"adults\":1}}",
             from, to, leg_date);
    ts_response r = call("POST", "/api/v1/searches", body, NULL, NULL);
    json_t *j = r.status == 200 ? ts_json(&r) : NULL;
    ts_response_free(&r);
    json_t *first = json_array_get(json_object_get(j, "itineraries"), 0);
    if (first == NULL || json_object_get(json_object_get(first, "price"), "amount_minor") == NULL) {
        json_decref(j);
        return NULL;
    }
    return j;
}

/* The search answer for the leg, or NULL. */
static json_t *search(void)
{
    return search_on(leg_from, leg_to);
}

/* The airport's country as serve's reference data has it (GET /api/v1/airports/{code}). */
static void country_of(const char *iata, char out[3])
{
    char path[64];
    snprintf(path, sizeof(path), "/api/v1/airports/%s", iata);
    ts_response r = call("GET", path, NULL, NULL, NULL);
    assert_int_equal(r.status, 200);
    json_t *j = ts_json(&r);
    ts_response_free(&r);
    const char *c = json_string_value(json_object_get(j, "country"));
    assert_non_null(c);
    snprintf(out, 3, "%s", c);
    json_decref(j);
}

static int international(const char *from, const char *to)
{
    char a[3], z[3];
    country_of(from, a);
    country_of(to, z);
    return strcmp(a, z) != 0;
}

/* An airline-1 leg on leg_date between airports of two countries, with seats. */
static void pick_international_leg(void)
{
    char path[200];
    snprintf(path, sizeof(path), "%s/ndc/v1/availability?fromDate=%s&toDate=%s&limit=200",
             url_of("airline-1"), leg_date, leg_date);
    ts_response r = ts_http_url("GET", path, NULL, NULL);
    assert_int_equal(r.status, 200);
    json_t *doc = ts_json(&r);
    ts_response_free(&r);
    json_t *l;
    size_t i;
    intl_from[0] = '\0';
    json_array_foreach(json_object_get(doc, "Legs"), i, l)
    {
        json_t *cab = json_array_get(json_object_get(l, "Cabins"), 0);
        const char *from = json_string_value(json_object_get(l, "Dep"));
        const char *to = json_string_value(json_object_get(l, "Arr"));
        if (json_integer_value(json_object_get(cab, "SeatsLeft")) < 4 || !international(from, to))
            continue;
        snprintf(intl_from, sizeof(intl_from), "%s", from);
        snprintf(intl_to, sizeof(intl_to), "%s", to);
        break;
    }
    json_decref(doc);
    if (intl_from[0] == '\0')
        fail_msg("airline-1 flies no international leg with seats on %s", leg_date);
}

static int setup(void **state)
{
    (void)state;
    curl_global_init(CURL_GLOBAL_DEFAULT);
    ts_tempdir(dir, sizeof(dir));
    char db[400], port_file[400], jwt[400], none[400], log[400], sbdir[400], wj[420];
    snprintf(db, sizeof(db), "--db=sqlite:%s/serve.db", dir);
    snprintf(port_file, sizeof(port_file), "%s/port", dir);
    snprintf(jwt, sizeof(jwt), "%s/jwt.key", dir);
    snprintf(none, sizeof(none), "%s/no-schedules", dir);
    snprintf(log, sizeof(log), "%s/serve.log", dir);
    snprintf(sbdir, sizeof(sbdir), "%s/sandbox", dir);
    snprintf(wj, sizeof(wj), "%s/world.json", sbdir);
    char *const argv[] = {(char *)contrail_bin(),
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
                          "--sandbox=true",
                          "--sandbox-size=small",
                          "--sandbox-dir",
                          sbdir,
                          "--sandbox-smtp-port=0",
                          "--access-log=false",
                          "--log-level=info",
                          NULL};
    serve_pid = ts_spawn(argv, log);
    port = ts_wait_port_file(port_file, 60000);
    if (port <= 0)
        return -1;
    for (int i = 0; i < 600 && world == NULL; i++) {
        sleep_ms(100);
        world = json_load_file(wj, 0, NULL);
    }
    if (world == NULL)
        return -1;
    pick_leg();
    /* Prices in (the first feed sync) and booking wired. */
    json_t *ans = NULL;
    for (int i = 0; i < 600 && ans == NULL; i++) {
        sleep_ms(100);
        ans = search();
    }
    if (ans == NULL)
        return -1;
    json_decref(ans);
    snprintf(email, sizeof(email), "ada-%ld@example.com", (long)getpid());
    sign_up(email, bearer_a, sizeof(bearer_a));
    sign_up("bob@example.com", bearer_b, sizeof(bearer_b));
    return 0;
}

/* serve's log without the access lines, to stderr (when something went wrong). */
static void print_serve_log(void)
{
    char log[400];
    snprintf(log, sizeof(log), "%s/serve.log", dir);
    FILE *f = fopen(log, "r");
    char line[2048];
    while (f != NULL && fgets(line, sizeof(line), f) != NULL)
        if (strstr(line, "\"http.") == NULL)
            fputs(line, stderr);
    if (f != NULL)
        fclose(f);
}

static int teardown(void **state)
{
    (void)state;
    int code = serve_pid > 0 ? ts_stop_child(serve_pid, SIGTERM, 30000) : 0;
    json_decref(world);
    if (code != 0) {
        fprintf(stderr, "serve exited %d; its log:\n", code);
        print_serve_log();
    }
    ts_rmtree(dir);
    return code == 0 ? 0 : -1;
}

/* The display name world.json states for provider `name` (never empty, never the code). */
static const char *display_name_of(const char *name)
{
    json_t *p;
    size_t i;
    json_array_foreach(json_object_get(world, "providers"), i, p)
    {
        if (strcmp(json_string_value(json_object_get(p, "name")), name) == 0) {
            const char *shown = json_string_value(json_object_get(p, "display_name"));
            assert_non_null(shown);
            assert_true(shown[0] != '\0' && strcmp(shown, name) != 0);
            return shown;
        }
    }
    fail_msg("%s is not in world.json", name);
    return NULL;
}

/* A live offer for the first itinerary of a fresh search from-to that `provider` sells, or
 * NULL. */
static json_t *offer_on(const char *provider, const char *from, const char *to)
{
    json_t *ans = search_on(from, to);
    assert_non_null(ans);
    json_t *it, *o, *out = NULL;
    size_t i, k;
    json_array_foreach(json_object_get(ans, "itineraries"), i, it)
    {
        json_array_foreach(json_object_get(it, "offers"), k, o)
        {
            /* Every offer names its seller as travellers know it: world.json's brand. */
            const char *code = json_string_value(json_object_get(o, "provider"));
            const char *shown = json_string_value(json_object_get(o, "provider_name"));
            assert_non_null(shown);
            assert_string_equal(shown, strcmp(code, "separate-tickets") == 0
                                           ? "Separate tickets"
                                           : display_name_of(code));
            if (out != NULL ||
                strcmp(json_string_value(json_object_get(o, "provider")), provider) != 0)
                continue;
            char body[400];
            snprintf(body, sizeof(body),
                     "{\"itinerary_id\":\"%s\",\"provider\":\"%s\",\"passengers\":1,"
                     "\"cabin\":\"economy\"}",
                     json_string_value(json_object_get(it, "id")), provider);
            ts_response r = call("POST", "/api/v1/offers", body, NULL, NULL);
            if (r.status == 201)
                out = ts_json(&r);
            else
                fprintf(stderr, "offer %s: %ld %s\n", provider, r.status, r.body);
            ts_response_free(&r);
        }
    }
    json_decref(ans);
    return out;
}

/* A live offer on the leg. */
static json_t *offer(const char *provider)
{
    return offer_on(provider, leg_from, leg_to);
}

/* The order for the offer paid with `card`; the passenger carries a passport unless
 * no_document. */
static char *order_body_doc(const json_t *off, const char *card, int no_document)
{
    json_t *t = json_object_get(off, "total");
    json_t *b =
        json_pack("{ss s[{ss ss ss s{ss ss ss ss}}] s{ss ss} s{ss si si ss} s{sO sO}}", "offer_id",
                  json_string_value(json_object_get(off, "id")), "passengers", "given_name", "Ada",
                  "family_name", "Lovelace", "date_of_birth", "1990-12-10", "document", "type",
                  "passport", "number", "C01X00T47", "country", "DE", "expiry", "2035-01-01",
                  "contact", "email", email, "phone", "+15551234567", "card", "number", card,
                  "exp_month", 12, "exp_year", 2030, "cvc", "123", "expected_total", "amount_minor",
                  json_object_get(t, "amount_minor"), "currency", json_object_get(t, "currency"));
    if (no_document)
        json_object_del(json_array_get(json_object_get(b, "passengers"), 0), "document");
    char *text = json_dumps(b, JSON_COMPACT);
    json_decref(b);
    return text;
}

static char *order_body(const json_t *off, const char *card)
{
    return order_body_doc(off, card, 0);
}

/* Books `card` (an offer of airline-1, a price change retried): the answer; *body and *key
 * receive the request that made it. */
static ts_response book(const char *card, char **body, char *key, size_t keylen)
{
    for (int attempt = 0; attempt < 4; attempt++) {
        json_t *off = offer("airline-1");
        assert_non_null(off);
        /* The offer says whether the passenger form must ask for a passport. */
        json_t *pr = json_object_get(off, "passport_required");
        assert_true(json_is_boolean(pr));
        assert_int_equal(json_is_true(pr), international(leg_from, leg_to));
        *body = order_body(off, card);
        json_decref(off);
        snprintf(key, keylen, "order-%s-%d-%ld", card, attempt, (long)getpid());
        ts_response r = call("POST", "/api/v1/orders", *body, bearer_a, key);
        if (r.status == 409 && strstr(r.body, "price_changed") != NULL) {
            ts_response_free(&r);
            free(*body);
            continue;
        }
        return r;
    }
    fail_msg("the price changed four times");
    ts_response none = {0};
    return none;
}

/* The messages to `email` whose subject contains `subject`, after waiting up to wait_ms for
 * at least `want` of them; the first one's id into id. */
static int mails(const char *subject, int want, int wait_ms, char *id, size_t idlen)
{
    char url[400];
    snprintf(url, sizeof(url), "%s/api/v1/messages?to=%s&limit=50", url_of("mail"), email);
    int n = 0;
    for (int waited = 0;; waited += 100) {
        ts_response r = ts_http_url("GET", url, NULL, NULL);
        assert_int_equal(r.status, 200);
        json_t *j = ts_json(&r);
        ts_response_free(&r);
        json_t *m;
        size_t i;
        n = 0;
        json_array_foreach(json_object_get(j, "items"), i, m)
        {
            if (strstr(json_string_value(json_object_get(m, "subject")), subject) == NULL)
                continue;
            if (n++ == 0 && id != NULL)
                snprintf(id, idlen, "%s", json_string_value(json_object_get(m, "id")));
        }
        json_decref(j);
        if (n < want && wait_ms > 0 && waited >= wait_ms) {
            fprintf(stderr, "%d e-mail(s) '%s' after %d ms, %d expected; serve's log:\n", n,
                    subject, wait_ms, want);
            print_serve_log();
        }
        if (n >= want || waited >= wait_ms)
            return n;
        sleep_ms(100);
    }
}

/* The message's decoded text part, or with html = 1 its HTML part (NULL when it has none). */
static char *mail_part(const char *id, int html)
{
    char url[400];
    snprintf(url, sizeof(url), "%s/api/v1/messages/%s", url_of("mail"), id);
    ts_response r = ts_http_url("GET", url, NULL, NULL);
    assert_int_equal(r.status, 200);
    json_t *j = ts_json(&r);
    ts_response_free(&r);
    const char *part = json_string_value(json_object_get(j, html ? "html" : "text"));
    char *text = part != NULL ? strdup(part) : NULL;
    json_decref(j);
    return text;
}

/* The value of the message's header `name` (caller frees), or NULL. */
static char *mail_header(const char *id, const char *name)
{
    char url[400];
    snprintf(url, sizeof(url), "%s/api/v1/messages/%s", url_of("mail"), id);
    ts_response r = ts_http_url("GET", url, NULL, NULL);
    assert_int_equal(r.status, 200);
    json_t *j = ts_json(&r), *h;
    ts_response_free(&r);
    char *value = NULL;
    size_t i;
    json_array_foreach(json_object_get(j, "headers"), i, h)
    {
        if (value == NULL && strcasecmp(json_string_value(json_object_get(h, "name")), name) == 0)
            value = strdup(json_string_value(json_object_get(h, "value")));
    }
    json_decref(j);
    return value;
}

/* The owner's in-app notifications whose title contains `about`. */
static int in_app_count(const char *bearer, const char *about)
{
    ts_response r = call("GET", "/api/v1/me/notifications?limit=100", NULL, bearer, NULL);
    assert_int_equal(r.status, 200);
    json_t *j = ts_json(&r), *n;
    ts_response_free(&r);
    int count = 0;
    size_t i;
    json_array_foreach(json_object_get(j, "items"), i, n)
    {
        count += strstr(json_string_value(json_object_get(n, "title")), about) != NULL;
    }
    json_decref(j);
    return count;
}

static char *mail_text(const char *id)
{
    char *text = mail_part(id, 0);
    assert_non_null(text);
    return text;
}

static void book_replay_list_mail_cancel(void **state)
{
    (void)state;
    char *body = NULL, key[128];
    ts_response r = book("4111111111111111", &body, key, sizeof(key));
    if (r.status != 201)
        fail_msg("order: %ld %s", r.status, r.body);
    json_t *order = ts_json(&r);
    ts_response_free(&r);
    assert_string_equal(json_string_value(json_object_get(order, "status")), "confirmed");
    assert_true(json_array_size(json_object_get(order, "tickets")) >= 1);
    const char *ticket = json_string_value(json_array_get(json_object_get(order, "tickets"), 0));
    const char *ref = json_string_value(json_object_get(order, "booking_reference"));
    const char *id = json_string_value(json_object_get(order, "id"));
    assert_non_null(ref);
    assert_string_equal(
        json_string_value(json_object_get(json_object_get(order, "provider"), "code")),
        "airline-1");
    assert_string_equal(
        json_string_value(json_object_get(json_object_get(order, "provider"), "name")),
        display_name_of("airline-1"));

    /* The same key and body: the stored answer, marked. */
    r = call("POST", "/api/v1/orders", body, bearer_a, key);
    assert_int_equal(r.status, 201);
    assert_true(ts_has_header(&r, "Idempotent-Replayed: true"));
    assert_non_null(strstr(r.body, id));
    ts_response_free(&r);
    free(body);

    /* Mine, listed; not the other user's. */
    r = call("GET", "/api/v1/orders", NULL, bearer_a, NULL);
    assert_int_equal(r.status, 200);
    assert_non_null(strstr(r.body, id));
    ts_response_free(&r);
    char path[200];
    snprintf(path, sizeof(path), "/api/v1/orders/%s", id);
    r = call("GET", path, NULL, bearer_b, NULL);
    assert_int_equal(r.status, 404);
    ts_response_free(&r);
    r = call("GET", path, NULL, bearer_a, NULL);
    assert_int_equal(r.status, 200);
    ts_response_free(&r);
    r = call("GET", "/api/v1/orders", NULL, bearer_b, NULL);
    assert_int_equal(r.status, 200);
    assert_null(strstr(r.body, id));
    ts_response_free(&r);

    /* Exactly one confirmation e-mail, with what the traveller needs. */
    char mid[64] = "";
    assert_int_equal(mails("is confirmed", 1, 15000, mid, sizeof(mid)), 1);
    sleep_ms(1500); /* the relay polls every 200 ms: a second one would be in by now */
    assert_int_equal(mails("is confirmed", 1, 0, NULL, 0), 1);
    char *text = mail_text(mid);
    const char *want[] = {ref,    id,     ticket,       "Ada Lovelace",  leg_from,
                          leg_to, "(UTC", "Total paid", "How to cancel", "/cancellations"};
    for (size_t i = 0; i < sizeof(want) / sizeof(want[0]); i++)
        if (strstr(text, want[i]) == NULL)
            fail_msg("the confirmation e-mail lacks '%s':\n%s", want[i], text);
    free(text);
    /* The HTML alternative says the same (multipart/alternative, decoded by the mailbox). */
    char *html = mail_part(mid, 1);
    if (html == NULL)
        fail_msg("the confirmation e-mail has no HTML part");
    assert_non_null(strstr(html, "<html"));
    for (size_t i = 0; i < sizeof(want) / sizeof(want[0]); i++)
        if (strstr(html, want[i]) == NULL)
            fail_msg("the confirmation e-mail's HTML lacks '%s':\n%s", want[i], html);
    free(html);
    /* Through the notification hub: RFC 8058 one-click unsubscribe headers, and one in-app
     * notification for the owner. */
    char *lu = mail_header(mid, "List-Unsubscribe"),
         *lup = mail_header(mid, "List-Unsubscribe-Post");
    assert_non_null(lu);
    assert_non_null(strstr(lu, "/api/v1/unsubscribe?token="));
    assert_non_null(lup);
    assert_string_equal(lup, "List-Unsubscribe=One-Click");
    char title[64];
    snprintf(title, sizeof(title), "Booking %s confirmed", ref);
    assert_int_equal(in_app_count(bearer_a, title), 1);
    assert_int_equal(in_app_count(bearer_b, ref), 0);

    /* Cancel: quote, confirm; one cancellation e-mail. */
    snprintf(path, sizeof(path), "/api/v1/orders/%s/cancellations", id);
    r = call("POST", path, "{}", bearer_a, NULL);
    if (r.status != 201 && r.status != 200)
        fail_msg("quote: %ld %s", r.status, r.body);
    json_t *q = ts_json(&r);
    ts_response_free(&r);
    snprintf(path, sizeof(path), "/api/v1/orders/%s/cancellations/%s/confirm", id,
             json_string_value(json_object_get(q, "id")));
    json_decref(q);
    r = call("POST", path, "{}", bearer_a, NULL);
    if (r.status != 200)
        fail_msg("cancel: %ld %s", r.status, r.body);
    assert_non_null(strstr(r.body, "\"cancelled\""));
    ts_response_free(&r);
    assert_int_equal(mails("cancelled", 1, 15000, mid, sizeof(mid)), 1);
    text = mail_text(mid);
    assert_non_null(strstr(text, ref));
    assert_non_null(strstr(text, "Refunded"));
    free(text);
    snprintf(title, sizeof(title), "Booking %s cancelled", ref);
    assert_int_equal(in_app_count(bearer_a, title), 1);
    /* The link unsubscribes over serve's HTTP without signing in (a form body, as mail
     * clients POST it): booking e-mails off for the owner. */
    const char *path_at = strstr(lu, "/api/v1/unsubscribe?token=");
    char unsub[400];
    snprintf(unsub, sizeof(unsub), "%.*s", (int)strcspn(path_at, ">"), path_at);
    const char *form[] = {"Content-Type: application/x-www-form-urlencoded", NULL};
    r = ts_http("POST", port, unsub, "List-Unsubscribe=One-Click", form);
    assert_int_equal(r.status, 200);
    ts_response_free(&r);
    r = call("GET", "/api/v1/me/notification-preferences", NULL, bearer_a, NULL);
    assert_int_equal(r.status, 200);
    json_t *prefs = ts_json(&r);
    ts_response_free(&r);
    assert_true(json_is_false(
        json_object_get(json_object_get(json_object_get(prefs, "kinds"), "booking"), "email")));
    json_decref(prefs);
    r = call("PUT", "/api/v1/me/notification-preferences",
             "{\"kinds\":{\"booking\":{\"email\":true}}}", bearer_a, NULL);
    assert_int_equal(r.status, 200); /* back on: the other tests count e-mails */
    ts_response_free(&r);
    free(lu);
    free(lup);
    json_decref(order);
}

static void declined_card_fails_the_order(void **state)
{
    (void)state;
    char *body = NULL, key[128];
    ts_response r = book("4100000000001009", &body, key, sizeof(key));
    free(body);
    assert_int_equal(r.status, 402);
    json_t *j = ts_json(&r);
    ts_response_free(&r);
    json_t *o = json_object_get(j, "order");
    assert_string_equal(json_string_value(json_object_get(o, "status")), "failed");
    assert_string_equal(json_string_value(json_object_get(o, "reason")), "card_declined");
    json_decref(j);
}

/* The payments the processor holds (any status), for "nothing charged". */
static size_t payments_count(void)
{
    char url[300];
    snprintf(url, sizeof(url), "%s/v1/payments?limit=100", url_of("payments"));
    const char *h[] = {PAY_KEY, NULL};
    ts_response r = ts_http_url("GET", url, NULL, h);
    assert_int_equal(r.status, 200);
    json_t *j = ts_json(&r);
    ts_response_free(&r);
    assert_false(json_is_true(json_object_get(j, "has_more")));
    size_t n = json_array_size(json_object_get(j, "data"));
    json_decref(j);
    return n;
}

/* The orders user A sees. */
static json_int_t orders_count(void)
{
    ts_response r = call("GET", "/api/v1/orders?limit=100", NULL, bearer_a, NULL);
    assert_int_equal(r.status, 200);
    json_t *j = ts_json(&r);
    ts_response_free(&r);
    json_t *total = json_object_get(j, "total");
    assert_true(json_is_integer(total));
    json_int_t n = json_integer_value(total);
    json_decref(j);
    return n;
}

static void international_order_needs_a_passport(void **state)
{
    (void)state;
    pick_international_leg();
    json_t *off = NULL;
    for (int i = 0; i < 100 && off == NULL; i++) { /* its prices may follow the first leg's */
        json_t *ans = search_on(intl_from, intl_to);
        if (ans != NULL)
            off = offer_on("airline-1", intl_from, intl_to);
        json_decref(ans);
        if (off == NULL)
            sleep_ms(100);
    }
    if (off == NULL)
        fail_msg("no offer of airline-1 for %s-%s on %s", intl_from, intl_to, leg_date);
    assert_true(json_is_true(json_object_get(off, "passport_required")));

    /* No document: 400 problem+json naming the passenger's document; no order, no charge. */
    size_t payments = payments_count();
    json_int_t orders = orders_count();
    char *body = order_body_doc(off, "4111111111111111", 1);
    char key[128];
    snprintf(key, sizeof(key), "order-intl-nodoc-%ld", (long)getpid());
    ts_response r = call("POST", "/api/v1/orders", body, bearer_a, key);
    free(body);
    if (r.status != 400)
        fail_msg("an international order without a passport: %ld %s", r.status, r.body);
    assert_true(ts_has_header(&r, "Content-Type: application/problem+json"));
    json_t *p = ts_json(&r);
    ts_response_free(&r);
    assert_string_equal(json_string_value(json_object_get(p, "field")), "passengers[0].document");
    json_decref(p);
    assert_int_equal(payments_count(), payments);
    assert_int_equal(orders_count(), orders);

    /* A saved traveller without a passport: refused alone; with the passport typed at
     * booking sent along with the traveller's id, the offer books (the sent document wins). */
    r = call("POST", "/api/v1/me/travellers",
             "{\"given_name\":\"Ada\",\"family_name\":\"Lovelace\","
             "\"birth_date\":\"1990-12-10\"}",
             bearer_a, NULL);
    assert_int_equal(r.status, 201);
    json_t *trav = ts_json(&r);
    ts_response_free(&r);
    for (int with_doc = 0; with_doc < 2; with_doc++) {
        char *base = order_body_doc(off, "4111111111111111", 0);
        json_t *b = json_loads(base, 0, NULL);
        free(base);
        json_t *px = json_array_get(json_object_get(b, "passengers"), 0);
        json_object_set(px, "traveller_id", json_object_get(trav, "id"));
        json_object_del(px, "given_name");
        json_object_del(px, "family_name");
        if (!with_doc)
            json_object_del(px, "document");
        char *text = json_dumps(b, JSON_COMPACT);
        json_decref(b);
        snprintf(key, sizeof(key), "order-intl-saved-%d-%ld", with_doc, (long)getpid());
        r = call("POST", "/api/v1/orders", text, bearer_a, key);
        free(text);
        if (with_doc ? r.status != 201 && !(r.status == 409 && strstr(r.body, "price_changed"))
                     : r.status != 400 || strstr(r.body, "passengers[0].document") == NULL)
            fail_msg("a saved traveller %s a typed passport: %ld %s", with_doc ? "with" : "without",
                     r.status, r.body);
        ts_response_free(&r);
    }
    json_decref(trav);

    /* Children and infants are refused by name (the providers sell adult fares only). */
    const char *minors[] = {"children", "infants"};
    for (int i = 0; i < 2; i++) {
        char ob[600];
        snprintf(ob, sizeof(ob),
                 "{\"itinerary_id\":\"i_US1-20261201-ORDDTW\",\"provider\":\"airline-1\","
                 "\"passengers\":{\"adults\":1,\"%s\":1}}",
                 minors[i]);
        r = call("POST", "/api/v1/offers", ob, NULL, NULL);
        assert_int_equal(r.status, 400);
        char want[64];
        snprintf(want, sizeof(want), "passengers.%s", minors[i]);
        assert_non_null(strstr(r.body, want));
        ts_response_free(&r);
    }

    /* With the passport, the same offer books (a new key: a new attempt). */
    body = order_body_doc(off, "4111111111111111", 0);
    snprintf(key, sizeof(key), "order-intl-passport-%ld", (long)getpid());
    r = call("POST", "/api/v1/orders", body, bearer_a, key);
    free(body);
    if (r.status != 201 && !(r.status == 409 && strstr(r.body, "price_changed") != NULL))
        fail_msg("an international order with a passport: %ld %s", r.status, r.body);
    ts_response_free(&r);
    json_decref(off);
}

/* The round trip leg_from -> leg_to on leg_date and back `back` days later. */
static json_t *search_round_trip(int back)
{
    struct tm tm;
    memset(&tm, 0, sizeof(tm));
    tm.tm_year = atoi(leg_date) - 1900;
    tm.tm_mon = atoi(leg_date + 5) - 1;
    tm.tm_mday = atoi(leg_date + 8);
    time_t t = timegm(&tm) + (time_t)back * 86400;
    char ret[16], body[400];
    gmtime_r(&t, &tm);
    strftime(ret, sizeof(ret), "%Y-%m-%d", &tm);
    snprintf(body, sizeof(body),
             "{\"slices\":[{\"origin\":\"%s\",\"destination\":\"%s\",\"date\":\"%s\"},"
             "{\"origin\":\"%s\",\"destination\":\"%s\",\"date\":\"%s\"}],"
             "\"passengers\":{\"adults\":1},\"limit\":50}",
             leg_from, leg_to, leg_date, leg_to, leg_from, ret);
    ts_response r = call("POST", "/api/v1/searches", body, NULL, NULL);
    json_t *j = r.status == 200 ? ts_json(&r) : NULL;
    ts_response_free(&r);
    return j;
}

/* A search answer's separate-tickets offer, made live with its parts (POST /api/v1/offers). */
static json_t *separate_offer(void)
{
    for (int back = 2; back <= 6; back++) {
        json_t *ans = search_round_trip(back), *it, *o;
        size_t i, k;
        json_array_foreach(json_object_get(ans, "itineraries"), i, it)
        {
            json_array_foreach(json_object_get(it, "offers"), k, o)
            {
                json_t *parts = json_object_get(o, "parts");
                if (strcmp(json_string_value(json_object_get(o, "provider")), "separate-tickets") !=
                    0)
                    continue;
                /* Each slice's cheapest seller, named as travellers know it; the parts add
                 * up to the offer's price. */
                assert_int_equal(json_array_size(parts), 2);
                json_int_t sum = 0;
                for (size_t p = 0; p < 2; p++) {
                    json_t *x = json_array_get(parts, p);
                    const char *code = json_string_value(json_object_get(x, "provider"));
                    assert_string_equal(json_string_value(json_object_get(x, "provider_name")),
                                        display_name_of(code));
                    assert_int_equal(
                        json_integer_value(json_array_get(json_object_get(x, "slices"), 0)),
                        (json_int_t)p);
                    sum += json_integer_value(
                        json_object_get(json_object_get(x, "price"), "amount_minor"));
                }
                assert_int_equal(sum, json_integer_value(json_object_get(
                                          json_object_get(o, "price"), "amount_minor")));
                /* The parts as the search answer has them, each with its searched price. */
                json_t *asked = json_array(), *x;
                size_t p;
                json_array_foreach(parts, p, x)
                {
                    json_array_append_new(
                        asked, json_pack("{sO sO sO}", "provider", json_object_get(x, "provider"),
                                         "slices", json_object_get(x, "slices"), "searched_price",
                                         json_object_get(x, "price")));
                }
                const char *cur =
                    json_string_value(json_object_get(json_object_get(o, "price"), "currency"));
                json_t *req = json_pack("{ss ss so si ss ss}", "itinerary_id",
                                        json_string_value(json_object_get(it, "id")), "provider",
                                        "separate-tickets", "parts", asked, "passengers", 1,
                                        "cabin", "economy", "currency", cur);
                char *text = json_dumps(req, JSON_COMPACT);
                json_decref(req);
                ts_response r = call("POST", "/api/v1/offers", text, NULL, NULL);
                free(text);
                json_t *off = r.status == 201 ? ts_json(&r) : NULL;
                if (off == NULL)
                    fprintf(stderr, "separate offer: %ld %s\n", r.status, r.body);
                ts_response_free(&r);
                if (off != NULL) {
                    /* Each part and the whole in the requested currency (an estimate). */
                    json_t *tr = json_object_get(off, "total_requested");
                    assert_string_equal(json_string_value(json_object_get(tr, "currency")), cur);
                    json_array_foreach(json_object_get(off, "parts"), p, x) assert_non_null(
                        json_object_get(json_object_get(x, "total_requested"), "amount_minor"));
                    json_decref(ans);
                    return off;
                }
            }
        }
        json_decref(ans);
    }
    return NULL;
}

/* Separate tickets over HTTP: the search answer's parts -> a live offer -> one order holding
 * two providers' orders, confirmed; found by either reference; one e-mail for the trip. */
static void separate_tickets_over_http(void **state)
{
    (void)state;
    json_t *off = separate_offer();
    if (off == NULL)
        fail_msg("no round trip from %s to %s has a separate-tickets offer", leg_from, leg_to);
    assert_int_equal(json_array_size(json_object_get(off, "parts")), 2);
    json_t *totals = json_deep_copy(json_object_get(off, "totals"));
    ts_response r = {0};
    for (int attempt = 0; attempt < 4; attempt++) {
        json_t *b =
            json_pack("{ss s[{ss ss ss s{ss ss ss ss}}] s{ss} s{ss si si ss} sO}", "offer_id",
                      json_string_value(json_object_get(off, "id")), "passengers", "given_name",
                      "Ada", "family_name", "Lovelace", "date_of_birth", "1990-12-10", "document",
                      "type", "passport", "number", "C01X00T47", "country", "DE", "expiry",
                      "2035-01-01", "contact", "email", email, "card", "number", "4111111111111111",
                      "exp_month", 12, "exp_year", 2030, "cvc", "123", "expected_totals", totals);
        char *text = json_dumps(b, JSON_COMPACT), key[64];
        json_decref(b);
        snprintf(key, sizeof(key), "separate-%d-%ld", attempt, (long)getpid());
        r = call("POST", "/api/v1/orders", text, bearer_a, key);
        free(text);
        if (r.status != 409 || strstr(r.body, "price_changed") == NULL)
            break;
        json_t *p = ts_json(&r);
        json_decref(totals);
        totals = json_deep_copy(json_object_get(p, "new_prices"));
        json_decref(p);
        ts_response_free(&r);
    }
    json_decref(totals);
    json_decref(off);
    if (r.status != 201)
        fail_msg("separate tickets order: %ld %s", r.status, r.body);
    json_t *order = ts_json(&r);
    ts_response_free(&r);
    const char *id = json_string_value(json_object_get(order, "id"));
    const char *ref = json_string_value(json_object_get(order, "booking_reference"));
    assert_string_equal(json_string_value(json_object_get(order, "status")), "confirmed");
    assert_non_null(strstr(ref, " + "));
    char ref0[32], ref1[32];
    json_t *parts = json_object_get(order, "parts");
    assert_int_equal(json_array_size(parts), 2);
    snprintf(ref0, sizeof(ref0), "%s",
             json_string_value(json_object_get(json_array_get(parts, 0), "booking_reference")));
    snprintf(ref1, sizeof(ref1), "%s",
             json_string_value(json_object_get(json_array_get(parts, 1), "booking_reference")));

    /* Either reference finds the whole trip. */
    char path[300];
    snprintf(path, sizeof(path), "/api/v1/orders/lookup?reference=%s&last_name=Lovelace", ref1);
    r = call("GET", path, NULL, NULL, NULL);
    assert_int_equal(r.status, 200);
    json_t *found = ts_json(&r);
    assert_string_equal(json_string_value(json_object_get(found, "id")), id);
    json_decref(found);
    ts_response_free(&r);
    snprintf(path, sizeof(path), "/api/v1/orders/%s", id);
    r = call("GET", path, NULL, bearer_a, NULL);
    assert_int_equal(r.status, 200);
    assert_non_null(strstr(r.body, ref1));
    ts_response_free(&r);

    /* One e-mail for the trip, naming both references; none for a part alone. */
    char subject[128], mid[64];
    snprintf(subject, sizeof(subject), "Your booking %s is confirmed", ref);
    assert_int_equal(mails(subject, 1, 15000, mid, sizeof(mid)), 1);
    sleep_ms(1000);
    assert_int_equal(mails(subject, 1, 0, NULL, 0), 1);
    snprintf(subject, sizeof(subject), "Your booking %s is confirmed", ref0);
    assert_int_equal(mails(subject, 0, 0, NULL, 0), 0);
    char *text = mail_text(mid);
    assert_non_null(strstr(text, ref0));
    assert_non_null(strstr(text, ref1));
    free(text);

    /* A cancellation quote states each ticket's refund, seller and reference. */
    snprintf(path, sizeof(path), "/api/v1/orders/%s/cancellations", id);
    r = call("POST", path, "{}", bearer_a, NULL);
    if (r.status != 201 && r.status != 200)
        fail_msg("quote: %ld %s", r.status, r.body);
    json_t *quote = ts_json(&r);
    ts_response_free(&r);
    json_t *qp = json_object_get(quote, "parts");
    assert_int_equal(json_array_size(qp), 2);
    assert_string_equal(
        json_string_value(json_object_get(json_array_get(qp, 1), "booking_reference")), ref1);
    assert_true(strlen(json_string_value(json_object_get(
                    json_object_get(json_array_get(qp, 0), "provider"), "name"))) > 0);
    json_decref(quote);
    json_decref(order);
}

/* /readyz states the schedules' window (the web app's date pickers end there): the searched
 * leg's date lies in it. */
/* SMS messages the world's gateway holds for `phone` (E.164), and in `body` the newest one's
 * text containing `about` (NULL: any) when there is one. */
static int sms_to(const char *phone, const char *about, char *body, size_t blen)
{
    char url[400];
    snprintf(url, sizeof(url), "%s/api/v1/messages?to=%%2B%s&limit=100", url_of("sms"), phone + 1);
    ts_response r = ts_http_url("GET", url, NULL, NULL);
    assert_int_equal(r.status, 200);
    json_t *j = ts_json(&r), *m;
    ts_response_free(&r);
    int n = 0;
    size_t i;
    json_array_foreach(json_object_get(j, "items"), i, m)
    {
        const char *text = json_string_value(json_object_get(m, "body"));
        if (about != NULL && strstr(text, about) == NULL)
            continue;
        if (n++ == 0 && body != NULL)
            snprintf(body, blen, "%s", text);
    }
    json_decref(j);
    return n;
}

/* Verifies `phone` for user A through the API, the code read from the gateway's list. */
static void verify_phone_of_a(const char *phone)
{
    char body[128], text[400] = "";
    snprintf(body, sizeof(body), "{\"phone\":\"%s\"}", phone);
    ts_response r = call("PUT", "/api/v1/me/phone", body, bearer_a, NULL);
    if (r.status != 202)
        fail_msg("PUT /me/phone: %ld %s", r.status, r.body);
    ts_response_free(&r);
    assert_int_equal(sms_to(phone, "code is", text, sizeof(text)), 1);
    const char *code = strstr(text, "code is ") + 8;
    snprintf(body, sizeof(body), "{\"code\":\"%.6s\"}", code);
    r = call("POST", "/api/v1/me/phone/verify", body, bearer_a, NULL);
    assert_int_equal(r.status, 200);
    json_t *me = ts_json(&r);
    ts_response_free(&r);
    assert_true(json_is_true(json_object_get(me, "phone_verified")));
    json_decref(me);
}

static void a_verified_phone_gets_the_confirmation_by_sms(void **state)
{
    (void)state;
    const char *phone = "+447700900777";
    verify_phone_of_a(phone);
    ts_response r = call("PUT", "/api/v1/me/notification-preferences",
                         "{\"kinds\":{\"booking\":{\"sms\":true}}}", bearer_a, NULL);
    assert_int_equal(r.status, 200);
    ts_response_free(&r);
    r = (ts_response){0};
    for (int attempt = 0; attempt < 4 && r.status != 201; attempt++) { /* a price may move */
        ts_response_free(&r);
        json_t *off = offer("airline-1");
        assert_non_null(off);
        char *body = order_body(off, "4111111111111111"), key[128];
        json_decref(off);
        snprintf(key, sizeof(key), "sms-order-%d-%ld", attempt, (long)getpid());
        r = call("POST", "/api/v1/orders", body, bearer_a, key);
        free(body);
    }
    if (r.status != 201)
        fail_msg("order: %ld %s", r.status, r.body);
    json_t *order = ts_json(&r);
    ts_response_free(&r);
    char ref[32];
    snprintf(ref, sizeof(ref), "%s",
             json_string_value(json_object_get(order, "booking_reference")));
    json_decref(order);
    char text[400] = "";
    int n = 0;
    for (int waited = 0; waited < 20000 && n == 0; waited += 100) { /* the relay sends it */
        sleep_ms(100);
        n = sms_to(phone, ref, text, sizeof(text));
    }
    if (n != 1) {
        print_serve_log();
        fail_msg("%d SMS naming %s reached %s", n, ref, phone);
    }
    assert_non_null(strstr(text, "confirmed"));
    /* Exactly one: the code, then this confirmation, nothing else (no SMS for the earlier
     * orders of this run, made before the preference was on). */
    sleep_ms(1000);
    assert_int_equal(sms_to(phone, NULL, NULL, 0), 2);
    r = call("PUT", "/api/v1/me/notification-preferences",
             "{\"kinds\":{\"booking\":{\"sms\":false}}}", bearer_a, NULL);
    assert_int_equal(r.status, 200);
    ts_response_free(&r);
}

static void readyz_states_the_schedules(void **state)
{
    (void)state;
    ts_response r = call("GET", "/readyz", NULL, NULL, NULL);
    assert_int_equal(r.status, 200);
    json_t *j = ts_json(&r);
    ts_response_free(&r);
    json_t *sch = json_object_get(j, "schedules");
    const char *first = json_string_value(json_object_get(sch, "first_date"));
    const char *last = json_string_value(json_object_get(sch, "last_date"));
    if (first == NULL || last == NULL || strcmp(first, leg_date) > 0 || strcmp(last, leg_date) < 0)
        fail_msg("schedules %s to %s do not hold the leg's date %s", first ? first : "?",
                 last ? last : "?", leg_date);
    json_decref(j);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(book_replay_list_mail_cancel),
        cmocka_unit_test(declined_card_fails_the_order),
        cmocka_unit_test(international_order_needs_a_passport),
        cmocka_unit_test(separate_tickets_over_http),
        cmocka_unit_test(a_verified_phone_gets_the_confirmation_by_sms),
        cmocka_unit_test(readyz_states_the_schedules),
    };
    return cmocka_run_group_tests(tests, setup, teardown);
}
