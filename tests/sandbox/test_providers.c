/* test_providers.c: the five providers over real HTTP on loopback (libcurl), started in
 * process on the small world, all selling from one SQLite inventory file in a temporary
 * folder, with a world clock the tests set.
 *
 * Covers each provider's API contract in its own dialect (schedules and SSIM, fares and
 * availability feeds full, paged and incremental, offer, order, read, ticket, cancel,
 * refund, errors naming the field), idempotency, hold expiry, a booking raising the lowest
 * price, prices moving with world time, through and return fares below the sum of the legs,
 * agency markups and stale prices, the combiner's self-transfers, every fault, and 100
 * concurrent orders on the last seats of a flight through two processes' worth of the same
 * airline that sell exactly the seats there are. */
#define _GNU_SOURCE
#include "ct_test.h"

#include <curl/curl.h>
#include <jansson.h>
#include <math.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>

#include "base/strbuf.h"
#include "base/timeutil.h"
#include "sandbox/providers/fares.h"
#include "sandbox/providers/inventory.h"
#include "sandbox/providers/provider.h"
#include "sandbox/providers/provider_internal.h"
#include "sandbox/world/sandbox_data.h"
#include "testsupport.h"

enum { AIR1, AIR2, OTA_EUR, OTA_USD, COMB, AIR1_TWIN, NPROV };
static const char *names[NPROV] = {"airline-1", "airline-2", "ota-eur",
                                   "ota-usd",   "combiner",  "airline-1"};

static sb_data data;
static const sb_world *W;
static char tmpdir[256], inv_path[400];
static sb_provider *prov[NPROV];
static int ports[NPROV];
static sb_inventory *inv; /* the tests' own handle on the shared file */
static int64_t day0, base_now;
static _Atomic int64_t world_now;

static int64_t test_now(void *ctx)
{
    (void)ctx;
    return atomic_load(&world_now);
}

static void set_now(int64_t t)
{
    atomic_store(&world_now, t);
}

static int setup(void **state)
{
    (void)state;
    char err[256];
    curl_global_init(CURL_GLOBAL_DEFAULT);
    ct_date_parse("2026-11-23", &day0);
    base_now = day0 * 86400 + 8 * 3600;
    set_now(base_now);
    sb_world_params p = {42, day0, SB_WORLD_SMALL, ts_refdata_dir()};
    if (sb_data_open(&p, &data, err, sizeof(err)))
        fail_msg("small world: %s", err);
    W = data.world;
    ts_tempdir(tmpdir, sizeof(tmpdir));
    snprintf(inv_path, sizeof(inv_path), "%s/inventory.db", tmpdir);
    for (int i = 0; i < NPROV; i++) {
        sb_provider_options o = {
            .name = names[i], .inventory_path = inv_path, .threads = 4, .now = {test_now, NULL}};
        sb_faults_default(&o.faults);
        if (sb_provider_start(W, &o, &prov[i], err, sizeof(err)))
            fail_msg("%s: %s", names[i], err);
        ports[i] = sb_provider_port(prov[i]);
    }
    if (sb_inventory_open(inv_path, W, 2, &inv, err, sizeof(err)))
        fail_msg("inventory: %s", err);
    return 0;
}

static int teardown(void **state)
{
    (void)state;
    for (int i = 0; i < NPROV; i++)
        sb_provider_stop(prov[i]);
    sb_inventory_close(inv);
    sb_data_close(&data);
    ts_rmtree(tmpdir);
    curl_global_cleanup();
    return 0;
}

/* ---- HTTP ---- */

typedef struct response {
    long status;
    char *body;
    char headers[4096];
    CURLcode rc;
    double seconds;
} response;

static size_t on_body(char *p, size_t size, size_t n, void *ud)
{
    ct_strbuf_append(ud, p, size * n);
    return size * n;
}

static size_t on_header(char *p, size_t size, size_t n, void *ud)
{
    response *r = ud;
    size_t used = strlen(r->headers), len = size * n;
    if (used + len < sizeof(r->headers)) {
        memcpy(r->headers + used, p, len);
        r->headers[used + len] = '\0';
    }
    return len;
}

/* One request; `header` may be NULL; timeout_ms 0 = 20 s. Fails the test on a transport
 * error unless timeout_ms is set (the caller then checks r.rc). */
static response http(int who, const char *method, const char *path, const char *body,
                     const char *header, long timeout_ms)
{
    response r = {0};
    ct_strbuf sb;
    ct_strbuf_init(&sb, 64u << 20);
    CURL *c = curl_easy_init();
    char url[2048];
    snprintf(url, sizeof(url), "http://127.0.0.1:%d%s", ports[who], path);
    curl_easy_setopt(c, CURLOPT_URL, url);
    curl_easy_setopt(c, CURLOPT_CUSTOMREQUEST, method);
    curl_easy_setopt(c, CURLOPT_WRITEFUNCTION, on_body);
    curl_easy_setopt(c, CURLOPT_WRITEDATA, &sb);
    curl_easy_setopt(c, CURLOPT_HEADERFUNCTION, on_header);
    curl_easy_setopt(c, CURLOPT_HEADERDATA, &r);
    curl_easy_setopt(c, CURLOPT_TIMEOUT_MS, timeout_ms ? timeout_ms : 20000L);
    curl_easy_setopt(c, CURLOPT_NOSIGNAL, 1L);
    struct curl_slist *hdrs = NULL;
    if (header != NULL)
        hdrs = curl_slist_append(hdrs, header);
    if (body != NULL) {
        curl_easy_setopt(c, CURLOPT_POSTFIELDS, body);
        hdrs = curl_slist_append(hdrs, "Content-Type: application/json");
    }
    curl_easy_setopt(c, CURLOPT_HTTPHEADER, hdrs);
    struct timespec t0, t1;
    clock_gettime(CLOCK_MONOTONIC, &t0);
    r.rc = curl_easy_perform(c);
    clock_gettime(CLOCK_MONOTONIC, &t1);
    r.seconds = (double)(t1.tv_sec - t0.tv_sec) + (double)(t1.tv_nsec - t0.tv_nsec) / 1e9;
    if (r.rc != CURLE_OK && timeout_ms == 0)
        fail_msg("%s %s: %s", method, path, curl_easy_strerror(r.rc));
    curl_easy_getinfo(c, CURLINFO_RESPONSE_CODE, &r.status);
    curl_slist_free_all(hdrs);
    curl_easy_cleanup(c);
    r.body = ct_strbuf_take(&sb);
    return r;
}

/* A request whose JSON reply is returned (the test owns it); checks the status. */
static json_t *call(int who, const char *method, const char *path, json_t *body, const char *header,
                    long want_status)
{
    char *text = body ? json_dumps(body, JSON_COMPACT) : NULL;
    response r = http(who, method, path, text, header, 0);
    free(text);
    json_decref(body);
    if (r.status != want_status)
        fail_msg("%s %s %s: status %ld, want %ld: %.600s", names[who], method, path, r.status,
                 want_status, r.body);
    json_t *j = json_loads(r.body, 0, NULL);
    if (j == NULL)
        fail_msg("%s %s: not JSON: %.300s", method, path, r.body);
    free(r.body);
    return j;
}

/* Member at a dotted path with [i] indexes: "PricedOffer.OfferItems[0].RBD". */
static json_t *at(json_t *j, const char *path)
{
    char key[128];
    const char *p = path;
    while (j != NULL && *p) {
        size_t n = strcspn(p, ".[");
        if (n > 0) {
            snprintf(key, sizeof(key), "%.*s", (int)n, p);
            j = json_object_get(j, key);
            p += n;
        }
        if (*p == '[') {
            j = json_array_get(j, strtoul(p + 1, NULL, 10));
            p = strchr(p, ']') + 1;
        }
        if (*p == '.')
            p++;
    }
    if (j == NULL)
        fail_msg("no member %s", path);
    return j;
}

static const char *str_at(json_t *j, const char *path)
{
    const char *s = json_string_value(at(j, path));
    if (s == NULL)
        fail_msg("%s is not a string", path);
    return s;
}

static long long int_at(json_t *j, const char *path)
{
    json_t *v = at(j, path);
    if (!json_is_integer(v))
        fail_msg("%s is not an integer", path);
    return json_integer_value(v);
}

/* Minor units of a decimal string or JSON number in currency cur. */
static int64_t minor_of(json_t *v, const char *cur)
{
    double x = json_is_string(v) ? strtod(json_string_value(v), NULL) : json_number_value(v);
    return llround(x * (sb_currency_exponent(cur) == 0 ? 1 : 100));
}

/* ---- the world's flights ---- */

typedef struct leg_ref {
    sb_dated_leg dl;
    int carrier;
    const char *code;
    int number;
    char date[11], from[4], to[4];
    int64_t dep, arr;
} leg_ref;

static leg_ref leg_of(sb_dated_leg dl)
{
    leg_ref r;
    const sb_flight *f = &W->flights[dl.flight];
    r.dl = dl;
    r.carrier = f->carrier;
    r.code = W->carriers[f->carrier].code;
    r.number = f->number;
    pv_date(dl.day + f->legs[dl.leg].dep_day_offset, r.date);
    memcpy(r.from, W->airports[f->legs[dl.leg].origin].iata, 4);
    memcpy(r.to, W->airports[f->legs[dl.leg].dest].iata, 4);
    sb_leg_times(W, f, dl.leg, dl.day, &r.dep, &r.arr);
    return r;
}

/* The `skip`-th leg (flight date `day`) of a carrier `who` sells, optionally of carrier c. */
static leg_ref find_leg(int who, int c, int64_t day, int skip)
{
    for (int f = 0; f < W->nflights; f++) {
        const sb_flight *fl = &W->flights[f];
        if (!sb_flight_operates(fl, day) || !sb_provider_sells(prov[who], fl->carrier) ||
            (c >= 0 && fl->carrier != c) || sb_inv_capacity(W, f, SB_CABIN_ECONOMY) == 0)
            continue;
        for (int l = 0; l < fl->nlegs; l++) {
            if (skip-- == 0)
                return leg_of((sb_dated_leg){f, l, day});
        }
    }
    fail_msg("no leg for %s on day %lld", names[who], (long long)day);
    return leg_of((sb_dated_leg){0, 0, day});
}

/* A connection a -> b sold by `who` with flight dates from `day`: cooperating carriers or
 * not as `coop` says, a connection of min..max minutes, b not returning to a's origin. */
static int find_connection(int who, int64_t day, int coop, int min, int max, leg_ref *a, leg_ref *b)
{
    for (int f = 0; f < W->nflights; f++) {
        const sb_flight *fa = &W->flights[f];
        if (!sb_flight_operates(fa, day) || !sb_provider_sells(prov[who], fa->carrier))
            continue;
        for (int l = 0; l < fa->nlegs; l++) {
            *a = leg_of((sb_dated_leg){f, l, day});
            for (int g = 0; g < W->nflights; g++) {
                const sb_flight *fb = &W->flights[g];
                if (g == f || !sb_provider_sells(prov[who], fb->carrier) ||
                    sb_carriers_cooperate(W, fa->carrier, fb->carrier) != coop ||
                    fb->legs[0].origin != fa->legs[l].dest ||
                    fb->legs[0].dest == fa->legs[l].origin)
                    continue;
                for (int64_t d = day; d <= day + 1; d++) {
                    if (!sb_flight_operates(fb, d))
                        continue;
                    *b = leg_of((sb_dated_leg){g, 0, d});
                    int64_t gap = (b->dep - a->arr) / 60;
                    if (gap >= min && gap <= max)
                        return 1;
                }
            }
        }
    }
    return 0;
}

/* The live state of a leg as the airline sees it. */
static sb_leg_avail live(const leg_ref *l)
{
    sb_leg_avail a;
    int64_t now = atomic_load(&world_now);
    assert_int_equal(sb_inventory_avail(inv, &l->dl, now, now, &a), CT_OK);
    return a;
}

/* ---- request bodies per dialect ---- */

static json_t *ndc_seg(const leg_ref *l)
{
    char number[8];
    snprintf(number, sizeof(number), "%d", l->number);
    return json_pack("{s:s, s:s, s:s, s:s, s:s}", "MarketingCarrier", l->code, "FlightNumber",
                     number, "DepDate", l->date, "Dep", l->from, "Arr", l->to);
}

/* slices: legs[0..n0) outbound, legs[n0..n) return. */
static json_t *ndc_offer(const leg_ref *legs, int n0, int n, int pax, const char *cabin)
{
    json_t *ods = json_array(), *paxs = json_array();
    for (int s = 0; s < (n > n0 ? 2 : 1); s++) {
        json_t *segs = json_array();
        for (int i = s ? n0 : 0; i < (s ? n : n0); i++)
            json_array_append_new(segs, ndc_seg(&legs[i]));
        json_array_append_new(ods, json_pack("{s:o}", "PaxSegment", segs));
    }
    for (int i = 0; i < pax; i++)
        json_array_append_new(paxs, json_pack("{s:s}", "PTC", "ADT"));
    return json_pack("{s:{s:o, s:o, s:s}}", "PricingQuery", "OriginDest", ods, "PaxList", paxs,
                     "CabinType", cabin);
}

static json_t *ndc_order(const char *offer_id, int pax, const char *given)
{
    json_t *list = json_array();
    for (int i = 0; i < pax; i++)
        json_array_append_new(list, json_pack("{s:s, s:s, s:s}", "PTC", "ADT", "GivenName", given,
                                              "Surname", "Lovelace"));
    return json_pack("{s:s, s:o}", "OfferID", offer_id, "PaxList", list);
}

static json_t *voyagio_quote(const leg_ref *legs, int n0, int n, int pax)
{
    json_t *segs = json_array();
    for (int i = 0; i < n; i++)
        json_array_append_new(segs, json_pack("{s:i, s:s, s:i, s:s, s:s, s:s}", "slice", i >= n0,
                                              "airline", legs[i].code, "flight_number",
                                              legs[i].number, "date", legs[i].date, "from",
                                              legs[i].from, "to", legs[i].to));
    return json_pack("{s:o, s:i, s:s}", "segments", segs, "passengers", pax, "cabin", "economy");
}

static json_t *farefinder_pricing(const leg_ref *legs, int n, int pax)
{
    json_t *flights = json_array();
    for (int i = 0; i < n; i++)
        json_array_append_new(flights, json_pack("{s:s, s:i, s:s, s:s, s:s}", "carrier",
                                                 legs[i].code, "flightNumber", legs[i].number,
                                                 "departureDate", legs[i].date, "origin",
                                                 legs[i].from, "destination", legs[i].to));
    return json_pack("{s:[{s:o}], s:i, s:s}", "trips", "flights", flights, "travelerCount", pax,
                     "cabin", "COACH");
}

static json_t *hopscotch_price(const leg_ref *legs, int n, int pax)
{
    json_t *l = json_array();
    for (int i = 0; i < n; i++)
        json_array_append_new(l, json_pack("{s:s, s:i, s:s, s:s, s:s}", "carrier", legs[i].code,
                                           "number", legs[i].number, "date", legs[i].date, "origin",
                                           legs[i].from, "destination", legs[i].to));
    return json_pack("{s:[{s:o}], s:i, s:s}", "slices", "legs", l, "passengers", pax, "cabin",
                     "economy");
}

/* NDC offer for legs; returns the total in minor units and copies the offer id. */
static int64_t ndc_price(int who, const leg_ref *legs, int n0, int n, int pax, char *id,
                         size_t idlen, char *rbd)
{
    json_t *o =
        call(who, "POST", "/ndc/v1/offers", ndc_offer(legs, n0, n, pax, "ECONOMY"), NULL, 200);
    const char *cur = str_at(o, "PricedOffer.TotalPrice.TotalAmount.CurCode");
    int64_t total = minor_of(at(o, "PricedOffer.TotalPrice.TotalAmount.Amount"), cur);
    if (id != NULL)
        snprintf(id, idlen, "%s", str_at(o, "PricedOffer.OfferID"));
    if (rbd != NULL)
        snprintf(rbd, 2, "%s", str_at(o, "PricedOffer.OfferItems[0].RBD"));
    json_decref(o);
    return total;
}

/* ---- schedules ---- */

static void schedules_and_ssim(void **state)
{
    (void)state;
    static const struct {
        int who;
        const char *list, *array, *code, *url, *unknown, *alliance;
    } cases[] = {
        {AIR1, "/ndc/v1/schedules", "Carriers", "AirlineDesigCode", "SSIM", "/ndc/v1/schedules/ZZ",
         "Alliance"},
        {OTA_EUR, "/api/schedules", "airlines", "code", "ssim_url", "/api/schedules/ZZ.ssim",
         "alliance"},
        {OTA_USD, "/v2/catalog", "carriers", "iata", "ssimPath", "/v2/catalog/ZZ/ssim", "alliance"},
        {COMB, "/v1/schedules", "carriers", "code", "ssim", "/v1/schedules/ZZ", "alliance"},
    };
    static const char *alliance_names[] = {NULL, "star", "sky", "oneworld"};
    for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
        json_t *j = call(cases[i].who, "GET", cases[i].list, NULL, NULL, 200);
        json_t *arr = at(j, cases[i].array);
        int sold = 0;
        for (int c = 0; c < W->ncarriers; c++)
            sold += sb_provider_sells(prov[cases[i].who], c);
        assert_int_equal(json_array_size(arr), sold);
        /* Each carrier's alliance, so a platform knows which carriers cooperate. */
        for (size_t k = 0; k < json_array_size(arr); k++) {
            json_t *entry = json_array_get(arr, k);
            const char *code = json_string_value(json_object_get(entry, cases[i].code));
            int c = -1;
            for (int x = 0; x < W->ncarriers && c < 0; x++)
                c = code && strcmp(W->carriers[x].code, code) == 0 ? x : -1;
            assert_true(c >= 0);
            json_t *a = json_object_get(entry, cases[i].alliance);
            assert_non_null(a);
            const char *want = alliance_names[W->carriers[c].alliance];
            if (want == NULL)
                assert_true(json_is_null(a));
            else
                assert_string_equal(json_string_value(a), want);
        }
        char path[64];
        snprintf(path, sizeof(path), "%s[0].%s", cases[i].array, cases[i].url);
        response r = http(cases[i].who, "GET", str_at(j, path), NULL, NULL, 0);
        assert_int_equal(r.status, 200);
        assert_non_null(strcasestr(r.headers, "Content-Type: text/plain"));
        assert_memory_equal(r.body, "1AIRLINE STANDARD SCHEDULE DATA SET", 35);
        assert_int_equal(strlen(r.body) % 201, 0);
        free(r.body);
        r = http(cases[i].who, "GET", cases[i].unknown, NULL, NULL, 0);
        assert_int_equal(r.status, 404);
        free(r.body);
        json_decref(j);
    }
    /* The gateways sell their carrier and its alliance partners only. */
    for (int g = AIR1; g <= AIR2; g++) {
        int own = sb_provider_carrier(prov[g]);
        assert_int_equal(own, sb_provider_default_carrier(W, g == AIR1 ? 1 : 2));
        assert_int_equal((int)W->carriers[own].alliance, g == AIR1 ? 1 : 2);
        for (int c = 0; c < W->ncarriers; c++)
            assert_int_equal(sb_provider_sells(prov[g], c), sb_carriers_cooperate(W, own, c));
    }
    /* Each agency sells both gateways' carriers and leaves some others out. */
    for (int a = OTA_EUR; a <= OTA_USD; a++) {
        int sold = 0;
        for (int c = 0; c < W->ncarriers; c++)
            sold += sb_provider_sells(prov[a], c);
        assert_true(sold < W->ncarriers && sold >= 2);
        assert_true(sb_provider_sells(prov[a], sb_provider_carrier(prov[AIR1])));
        assert_true(sb_provider_sells(prov[a], sb_provider_carrier(prov[AIR2])));
    }
}

/* ---- feeds ---- */

static int markets_sold(int who, const char *not_currency)
{
    sb_fares *f;
    assert_int_equal(sb_fares_build(W, &f), CT_OK);
    int total = 0;
    for (int c = 0; c < W->ncarriers; c++) {
        int n;
        sb_fares_markets(f, c, &n);
        if (sb_provider_sells(prov[who], c) &&
            (not_currency == NULL || strcmp(W->carriers[c].currency, not_currency) != 0))
            total += n;
    }
    sb_fares_free(f);
    return total;
}

/* Pages through a feed; returns the records and sets the cursor. */
static int page_through(int who, const char *first, const char *items, const char *next_member,
                        const char *page_param, const char *cursor_member, char *cursor,
                        json_t **last_items)
{
    char path[2048];
    snprintf(path, sizeof(path), "%s", first);
    int total = 0, pages = 0;
    for (;;) {
        json_t *j = call(who, "GET", path, NULL, NULL, 200);
        total += (int)json_array_size(at(j, items));
        pages++;
        snprintf(cursor, 512, "%s", str_at(j, cursor_member));
        json_t *next = at(j, next_member);
        if (last_items != NULL) {
            json_decref(*last_items);
            *last_items = json_incref(at(j, items));
        }
        if (json_is_null(next)) {
            json_decref(j);
            break;
        }
        snprintf(path, sizeof(path), "%s%s%s=%s", first, strchr(first, '?') ? "&" : "?", page_param,
                 json_string_value(next));
        json_decref(j);
        assert_true(pages < 1000);
    }
    return total;
}

static void fares_feed_full_and_incremental(void **state)
{
    (void)state;
    set_now(base_now);
    char cursor[512], path[700];
    /* The airline: every market of every carrier it sells, 7 per page. */
    int n = page_through(AIR1, "/ndc/v1/fares?limit=7", "Fares", "NextPageToken", "pageToken",
                         "Cursor", cursor, NULL);
    assert_int_equal(n, markets_sold(AIR1, NULL));
    json_t *j = call(AIR1, "GET", "/ndc/v1/fares?limit=1", NULL, NULL, 200);
    const sb_market *m = sb_fares_find(((struct sb_provider *)prov[AIR1])->fares,
                                       pv_carrier(prov[AIR1], str_at(j, "Fares[0].Owner")),
                                       pv_airport(prov[AIR1], str_at(j, "Fares[0].Origin")),
                                       pv_airport(prov[AIR1], str_at(j, "Fares[0].Destination")));
    assert_non_null(m);
    int64_t filed[SB_NCLASSES];
    sb_market_fares(prov[AIR1]->fares, m, filed);
    const char *cur = str_at(j, "CurCode");
    for (int k = 0; k < SB_NCLASSES; k++) {
        char p1[64], p2[64];
        snprintf(p1, sizeof(p1), "Fares[0].FareDetails[%d].OneWay", k);
        snprintf(p2, sizeof(p2), "Fares[0].FareDetails[%d].Return", k);
        assert_int_equal(minor_of(at(j, p1), cur), filed[k]);
        assert_int_equal(minor_of(at(j, p2), cur), sb_fare_return(filed[k]));
    }
    json_decref(j);
    /* Filed fares never change: nothing new a day later. */
    set_now(base_now + 86400);
    snprintf(path, sizeof(path), "/ndc/v1/fares?since=%s", cursor);
    j = call(AIR1, "GET", path, NULL, NULL, 200);
    assert_int_equal(json_array_size(at(j, "Fares")), 0);
    json_decref(j);
    /* The euro agency converts at the day's rate: the next day, every market in another
     * currency changes, the euro ones do not. */
    set_now(base_now);
    n = page_through(OTA_EUR, "/api/fares?per_page=50", "fares", "next_page", "page", "sync_token",
                     cursor, NULL);
    assert_int_equal(n, markets_sold(OTA_EUR, NULL));
    snprintf(path, sizeof(path), "/api/fares?per_page=5000&since=%s", cursor);
    j = call(OTA_EUR, "GET", path, NULL, NULL, 200);
    assert_int_equal(json_array_size(at(j, "fares")), 0);
    json_decref(j);
    set_now(base_now + 86400);
    j = call(OTA_EUR, "GET", path, NULL, NULL, 200);
    assert_int_equal(json_array_size(at(j, "fares")), markets_sold(OTA_EUR, "EUR"));
    json_decref(j);
    /* The dollar agency's flat rows: one per class and market. */
    set_now(base_now);
    n = page_through(OTA_USD, "/v2/fares?pageSize=30", "data", "paging.next", "cursor",
                     "syncCursor", cursor, NULL);
    assert_int_equal(n, SB_NCLASSES * markets_sold(OTA_USD, NULL));
    /* Bad tokens and cursors are refused naming the parameter. */
    j = call(AIR1, "GET", "/ndc/v1/fares?pageToken=bm9wZQ", NULL, NULL, 400);
    assert_string_equal(str_at(j, "Errors[0].TagText"), "pageToken");
    json_decref(j);
    j = call(OTA_USD, "GET", "/v2/fares?changesSince=xyz", NULL, NULL, 400);
    assert_string_equal(str_at(j, "errors[0].param"), "changesSince");
    json_decref(j);
    j = call(COMB, "GET", "/v1/fares?limit=0", NULL, NULL, 400);
    assert_string_equal(str_at(j, "errors[0].field"), "limit");
    json_decref(j);
}

static int legs_in_window(int who, int64_t from, int64_t to)
{
    int n = 0;
    for (int64_t d = from; d <= to; d++) {
        for (int f = 0; f < W->nflights; f++) {
            if (sb_provider_sells(prov[who], W->flights[f].carrier) &&
                sb_flight_operates(&W->flights[f], d))
                n += W->flights[f].nlegs;
        }
    }
    return n;
}

static void availability_feed_full_and_incremental(void **state)
{
    (void)state;
    set_now(base_now);
    int64_t from = day0 + 10;
    char cursor[512], window[256], first[300], path[1200], d0[11], d1[11];
    snprintf(window, sizeof(window), "/ndc/v1/availability?fromDate=%s&toDate=%s",
             pv_date(from, d0), pv_date(from + 2, d1));
    snprintf(first, sizeof(first), "%s&limit=25", window);
    json_t *items = NULL;
    int n =
        page_through(AIR1, first, "Legs", "NextPageToken", "pageToken", "Cursor", cursor, &items);
    assert_int_equal(n, legs_in_window(AIR1, from, from + 2));
    json_decref(items);
    /* Nothing changed yet. */
    snprintf(path, sizeof(path), "%s&since=%s", first, cursor);
    json_t *j = call(AIR1, "GET", path, NULL, NULL, 200);
    assert_int_equal(json_array_size(at(j, "Legs")), 0);
    json_decref(j);
    /* A booking through another provider (an agency) shows up at the airline. */
    leg_ref l = find_leg(OTA_EUR, sb_provider_carrier(prov[AIR1]), from + 1, 3);
    j = call(OTA_EUR, "POST", "/api/quotes", voyagio_quote(&l, 1, 1, 2), NULL, 200);
    json_t *b =
        json_pack("{s:s, s:s, s:[{s:s, s:s}, {s:s, s:s}]}", "quote_id", str_at(j, "quote.id"),
                  "client_reference", "feed-1", "travellers", "first_name", "Ada", "last_name", "L",
                  "first_name", "Bo", "last_name", "L");
    json_decref(j);
    json_decref(call(OTA_EUR, "POST", "/api/bookings", b, NULL, 201));
    snprintf(path, sizeof(path), "%s&since=%s", first, cursor);
    j = call(AIR1, "GET", path, NULL, NULL, 200);
    assert_int_equal(json_array_size(at(j, "Legs")), 1);
    assert_int_equal(atoi(str_at(j, "Legs[0].FlightNumber")), l.number);
    assert_string_equal(str_at(j, "Legs[0].Dep"), l.from);
    sb_leg_avail a = live(&l);
    char avs[32];
    sb_inv_avs(&a, avs, sizeof(avs));
    assert_string_equal(str_at(j, "Legs[0].AvailabilityText"), avs);
    snprintf(cursor, sizeof(cursor), "%s", str_at(j, "Cursor"));
    json_decref(j);
    /* Time passing moves availability by itself (background sales, advance purchase). */
    set_now(base_now + 5 * 86400);
    snprintf(path, sizeof(path), "%s&limit=5000&since=%s", window, cursor);
    j = call(AIR1, "GET", path, NULL, NULL, 200);
    size_t moved = json_array_size(at(j, "Legs"));
    assert_true(moved > 0);
    json_decref(j);
    /* ... and a full pass at the new time agrees with those changes being needed. */
    snprintf(path, sizeof(path), "%s&limit=5000", window);
    j = call(AIR1, "GET", path, NULL, NULL, 200);
    assert_int_equal(json_array_size(at(j, "Legs")), n);
    json_decref(j);
    /* Windows outside the horizon and bad dates are refused naming the parameter. */
    j = call(AIR1, "GET", "/ndc/v1/availability?fromDate=2020-01-01", NULL, NULL, 400);
    assert_string_equal(str_at(j, "Errors[0].TagText"), "fromDate");
    json_decref(j);
    j = call(OTA_EUR, "GET", "/api/availability?end_date=2026-02-30", NULL, NULL, 422);
    assert_string_equal(str_at(j, "error.field"), "end_date");
    json_decref(j);
    j = call(OTA_USD, "GET", "/v2/availability?fromDate=2026-12-01&toDate=2026-12-03&pageSize=2",
             NULL, NULL, 200);
    assert_int_equal(json_array_size(at(j, "data")), 2);
    assert_true(json_is_object(at(j, "data[0].seats")));
    json_decref(j);
    j = call(COMB, "GET", "/v1/availability?from=2026-12-01&to=2026-12-01&limit=3", NULL, NULL,
             200);
    assert_int_equal(json_array_size(at(j, "items")), 3);
    json_decref(j);
    set_now(base_now);
}

/* Every dialect's availability and fares feeds: a full pass in small pages covers the
 * window, nothing is new right after, and a booking at any provider shows up. */
static void every_dialect_pages_and_follows_changes(void **state)
{
    (void)state;
    set_now(base_now);
    static const struct {
        int who;
        const char *avail, *p_from, *p_to, *p_limit;
        const char *items, *next, *page, *cursor, *since, *fares, *fare_items;
        int rows_per_market;
    } d[] = {
        {AIR2, "/ndc/v1/availability", "fromDate", "toDate", "limit", "Legs", "NextPageToken",
         "pageToken", "Cursor", "since", "/ndc/v1/fares?limit=9", "Fares", 1},
        {OTA_EUR, "/api/availability", "start_date", "end_date", "per_page", "flights", "next_page",
         "page", "sync_token", "since", "/api/fares?per_page=9", "fares", 1},
        {OTA_USD, "/v2/availability", "fromDate", "toDate", "pageSize", "data", "paging.next",
         "cursor", "syncCursor", "changesSince", "/v2/fares?pageSize=9", "data", SB_NCLASSES},
        {COMB, "/v1/availability", "from", "to", "limit", "items", "next_page_token", "page_token",
         "cursor", "since", "/v1/fares?limit=40", "items", 1},
    };
    int64_t from = day0 + 8;
    char d0[11], d1[11], first[256], cursor[512], path[1200];
    for (size_t i = 0; i < sizeof(d) / sizeof(d[0]); i++) {
        snprintf(first, sizeof(first), "%s?%s=%s&%s=%s&%s=9", d[i].avail, d[i].p_from,
                 pv_date(from, d0), d[i].p_to, pv_date(from + 1, d1), d[i].p_limit);
        int n = page_through(d[i].who, first, d[i].items, d[i].next, d[i].page, d[i].cursor, cursor,
                             NULL);
        assert_int_equal(n, legs_in_window(d[i].who, from, from + 1));
        snprintf(path, sizeof(path), "%s&%s=%s", first, d[i].since, cursor);
        json_t *j = call(d[i].who, "GET", path, NULL, NULL, 200);
        assert_int_equal(json_array_size(at(j, d[i].items)), 0);
        json_decref(j);
        /* A booking at the airline that sells a leg this provider sells too. */
        int c = sb_provider_sells(prov[d[i].who], sb_provider_carrier(prov[AIR2]))
                    ? sb_provider_carrier(prov[AIR2])
                    : sb_provider_carrier(prov[AIR1]);
        int seller = c == sb_provider_carrier(prov[AIR2]) ? AIR2 : AIR1;
        leg_ref l = find_leg(seller, c, from + 1, (int)i + 5);
        char offer[PV_TOKEN_LEN];
        ndc_price(seller, &l, 1, 1, 1, offer, sizeof(offer), NULL);
        json_decref(call(seller, "POST", "/ndc/v1/orders", ndc_order(offer, 1, "Feed"), NULL, 201));
        j = call(d[i].who, "GET", path, NULL, NULL, 200);
        assert_int_equal(json_array_size(at(j, d[i].items)), 1);
        json_decref(j);
        n = page_through(d[i].who, d[i].fares, d[i].fare_items, d[i].next, d[i].page, d[i].cursor,
                         cursor, NULL);
        assert_int_equal(n, d[i].rows_per_market * markets_sold(d[i].who, NULL));
    }
}

/* ---- the airline gateway's contract ---- */

static void expect_error(int who, const char *method, const char *path, json_t *body, long status,
                         const char *member, const char *field)
{
    json_t *j = call(who, method, path, body, NULL, status);
    assert_string_equal(str_at(j, member), field);
    json_decref(j);
}

static void airline_contract(void **state)
{
    (void)state;
    set_now(base_now);
    sb_provider *p = prov[AIR1];
    leg_ref l = find_leg(AIR1, -1, day0 + 15, 0);
    sb_leg_avail before = live(&l);
    int cls = sb_inv_pick(&before, SB_CABIN_ECONOMY, 2);
    assert_true(cls >= 0);
    json_t *o = call(AIR1, "POST", "/ndc/v1/offers", ndc_offer(&l, 1, 1, 2, "ECONOMY"), NULL, 200);
    const char *cur = W->carriers[sb_provider_carrier(p)].currency;
    assert_string_equal(str_at(o, "PricedOffer.TotalPrice.TotalAmount.CurCode"), cur);
    assert_string_equal(str_at(o, "PricedOffer.Owner"), W->carriers[sb_provider_carrier(p)].code);
    assert_int_equal(int_at(o, "PricedOffer.PaxCount"), 2);
    char rbd[2] = {sb_class(cls)->letter, '\0'}, exp[21];
    assert_string_equal(str_at(o, "PricedOffer.OfferItems[0].RBD"), rbd);
    assert_string_equal(str_at(o, "PricedOffer.OfferExpirationDateTime"),
                        pv_instant(base_now + 20 * 60, exp));
    const sb_market *m =
        sb_fares_find(p->fares, l.carrier, W->flights[l.dl.flight].legs[l.dl.leg].origin,
                      W->flights[l.dl.flight].legs[l.dl.leg].dest);
    int64_t filed[SB_NCLASSES];
    sb_market_fares(p->fares, m, filed);
    int64_t unit =
        sb_fx_convert(filed[cls], l.code[0] ? W->carriers[l.carrier].currency : "",
                      sb_fx_base_rate(W->carriers[l.carrier].currency), cur, sb_fx_base_rate(cur));
    assert_int_equal(minor_of(at(o, "PricedOffer.OfferItems[0].UnitPrice.Amount"), cur), unit);
    int64_t total = minor_of(at(o, "PricedOffer.TotalPrice.TotalAmount.Amount"), cur);
    assert_int_equal(total, 2 * unit);
    char offer_id[PV_TOKEN_LEN];
    snprintf(offer_id, sizeof(offer_id), "%s", str_at(o, "PricedOffer.OfferID"));
    json_decref(o);

    json_t *r = call(AIR1, "POST", "/ndc/v1/orders", ndc_order(offer_id, 2, "Ada"),
                     "Idempotency-Key: air-contract-1", 201);
    assert_string_equal(str_at(r, "Order.StatusCode"), "HELD");
    assert_int_equal(minor_of(at(r, "Order.TotalPrice.TotalAmount.Amount"), cur), total);
    assert_false(json_is_true(at(r, "Order.PriceChanged")));
    assert_string_equal(str_at(r, "Order.PaymentTimeLimitDateTime"),
                        pv_instant(base_now + 30 * 60, exp));
    assert_int_equal(json_array_size(at(r, "Order.PaxList")), 2);
    assert_string_equal(str_at(r, "Order.OrderItems[0].RBD"), rbd);
    char id[16], path[128];
    snprintf(id, sizeof(id), "%s", str_at(r, "Order.OrderID"));
    json_decref(r);
    assert_int_equal(live(&l).remaining[0], before.remaining[0] - 2);

    snprintf(path, sizeof(path), "/ndc/v1/orders/%s", id);
    r = call(AIR1, "GET", path, NULL, NULL, 200);
    assert_string_equal(str_at(r, "Order.OrderID"), id);
    json_decref(r);
    r = call(AIR2, "GET", path, NULL, NULL, 404); /* another provider's order */
    json_decref(r);
    snprintf(path, sizeof(path), "/ndc/v1/orders/%s/ticket", id);
    r = call(AIR1, "POST", path, json_pack("{s:s}", "PaymentRef", "pay-1"), NULL, 200);
    assert_string_equal(str_at(r, "Order.StatusCode"), "TICKETED");
    assert_int_equal(json_array_size(at(r, "Order.TicketDocs")), 2);
    assert_int_equal(strlen(str_at(r, "Order.TicketDocs[1].TicketNumber")), 13);
    json_decref(r);
    expect_error(AIR1, "POST", path, json_pack("{s:s}", "PaymentRef", "pay-2"), 409,
                 "Errors[0].TagText", "PaymentRef");
    expect_error(AIR1, "POST", path, json_pack("{s:i}", "PaymentRef", 7), 400, "Errors[0].TagText",
                 "PaymentRef");
    snprintf(path, sizeof(path), "/ndc/v1/orders/%s/cancel", id);
    r = call(AIR1, "POST", path, NULL, NULL, 409);
    assert_string_equal(str_at(r, "Errors[0].Code"), "WRONG_STATE");
    json_decref(r);
    snprintf(path, sizeof(path), "/ndc/v1/orders/%s/refund", id);
    r = call(AIR1, "POST", path, NULL, NULL, 200);
    assert_string_equal(str_at(r, "Order.StatusCode"), "REFUNDED");
    assert_int_equal(minor_of(at(r, "Order.Refund.Amount.Amount"), cur),
                     total * sb_class(cls)->refund_pct / 100);
    json_decref(r);
    assert_int_equal(live(&l).remaining[0], before.remaining[0]);

    /* A hold cancelled; without a key every order is a new one. */
    r = call(AIR1, "POST", "/ndc/v1/orders", ndc_order(offer_id, 2, "Bo"), NULL, 201);
    json_t *r2 = call(AIR1, "POST", "/ndc/v1/orders", ndc_order(offer_id, 2, "Bo"), NULL, 201);
    assert_string_not_equal(str_at(r, "Order.OrderID"), str_at(r2, "Order.OrderID"));
    for (int k = 0; k < 2; k++) {
        snprintf(path, sizeof(path), "/ndc/v1/orders/%s/cancel",
                 str_at(k ? r2 : r, "Order.OrderID"));
        json_t *c = call(AIR1, "POST", path, NULL, NULL, 200);
        assert_string_equal(str_at(c, "Order.StatusCode"), "CANCELLED");
        json_decref(c);
    }
    snprintf(path, sizeof(path), "/ndc/v1/orders/%s/ticket", str_at(r, "Order.OrderID"));
    json_decref(r);
    json_decref(r2);
    r = call(AIR1, "POST", path, json_pack("{s:s}", "PaymentRef", "p"), NULL, 409);
    assert_string_equal(str_at(r, "Errors[0].Code"), "WRONG_STATE");
    json_decref(r);
    r = call(AIR1, "GET", "/ndc/v1/orders/NOSUCH", NULL, NULL, 404);
    assert_string_equal(str_at(r, "Errors[0].Code"), "NOT_FOUND");
    json_decref(r);

    /* Bad input names the field in NDC terms. */
    response raw = http(AIR1, "POST", "/ndc/v1/offers", "{not json", NULL, 0);
    assert_int_equal(raw.status, 400);
    assert_non_null(strstr(raw.body, "\"TagText\":\"(body)\""));
    free(raw.body);
    json_t *q = ndc_offer(&l, 1, 1, 1, "ECONOMY");
    json_object_del(json_object_get(q, "PricingQuery"), "PaxList");
    expect_error(AIR1, "POST", "/ndc/v1/offers", q, 400, "Errors[0].TagText",
                 "PricingQuery.PaxList");
    expect_error(AIR1, "POST", "/ndc/v1/offers", ndc_offer(&l, 1, 1, 1, "PREMIUM"), 400,
                 "Errors[0].TagText", "PricingQuery.CabinType");
    leg_ref bad = l;
    bad.number = 9999;
    expect_error(AIR1, "POST", "/ndc/v1/offers", ndc_offer(&bad, 1, 1, 1, "ECONOMY"), 400,
                 "Errors[0].TagText", "PricingQuery.OriginDest[0].PaxSegment[0].FlightNumber");
    bad = find_leg(AIR2, sb_provider_carrier(prov[AIR2]), day0 + 15, 0);
    expect_error(AIR1, "POST", "/ndc/v1/offers", ndc_offer(&bad, 1, 1, 1, "ECONOMY"), 400,
                 "Errors[0].TagText", "PricingQuery.OriginDest[0].PaxSegment[0].MarketingCarrier");
    bad = l;
    memcpy(bad.date, "2026-13-01", 11);
    expect_error(AIR1, "POST", "/ndc/v1/offers", ndc_offer(&bad, 1, 1, 1, "ECONOMY"), 400,
                 "Errors[0].TagText", "PricingQuery.OriginDest[0].PaxSegment[0].DepDate");
    expect_error(AIR1, "POST", "/ndc/v1/orders", ndc_order("forged.token", 1, "X"), 400,
                 "Errors[0].TagText", "OfferID");
    expect_error(AIR1, "POST", "/ndc/v1/orders", ndc_order(offer_id, 1, "X"), 400,
                 "Errors[0].TagText", "PaxList");
    json_t *no_name = ndc_order(offer_id, 2, "X");
    json_object_del(json_array_get(json_object_get(no_name, "PaxList"), 1), "Surname");
    expect_error(AIR1, "POST", "/ndc/v1/orders", no_name, 400, "Errors[0].TagText",
                 "PaxList[1].Surname");
    /* A cabin the aircraft does not have is sold out, naming the segment. */
    for (int f = 0; f < W->nflights; f++) {
        if (W->flights[f].carrier == l.carrier && sb_inv_capacity(W, f, SB_CABIN_BUSINESS) == 0 &&
            sb_flight_operates(&W->flights[f], day0 + 15)) {
            leg_ref nb = leg_of((sb_dated_leg){f, 0, day0 + 15});
            json_t *e = call(AIR1, "POST", "/ndc/v1/offers", ndc_offer(&nb, 1, 1, 1, "BUSINESS"),
                             NULL, 409);
            assert_string_equal(str_at(e, "Errors[0].Code"), "SOLD_OUT");
            assert_string_equal(str_at(e, "Errors[0].TagText"),
                                "PricingQuery.OriginDest[0].PaxSegment[0]");
            json_decref(e);
            break;
        }
    }
}

/* ---- the agencies' contracts ---- */

static json_t *voyagio_booking(const char *quote_id, const char *ref, const char *first)
{
    return json_pack("{s:s, s:s, s:[{s:s, s:s}]}", "quote_id", quote_id, "client_reference", ref,
                     "travellers", "first_name", first, "last_name", "Lovelace");
}

static void ota_eur_contract(void **state)
{
    (void)state;
    set_now(base_now);
    leg_ref l = find_leg(OTA_EUR, -1, day0 + 16, 1);
    json_t *q = call(OTA_EUR, "POST", "/api/quotes", voyagio_quote(&l, 1, 1, 1), NULL, 200);
    assert_string_equal(str_at(q, "quote.currency"), "EUR");
    int64_t fare = minor_of(at(q, "quote.fare"), "EUR");
    int64_t fee = minor_of(at(q, "quote.service_fee"), "EUR");
    int64_t total = minor_of(at(q, "quote.total"), "EUR");
    assert_int_equal(fee, 1200);
    assert_int_equal(total, fare + fee);
    assert_int_equal(minor_of(at(q, "quote.segments[0].price"), "EUR"), fare);
    assert_int_equal(int_at(q, "quote.segments[0].flight_number"), l.number);
    char quote_id[PV_TOKEN_LEN];
    snprintf(quote_id, sizeof(quote_id), "%s", str_at(q, "quote.id"));
    json_decref(q);

    json_t *b = call(OTA_EUR, "POST", "/api/bookings", voyagio_booking(quote_id, "eur-1", "Ada"),
                     NULL, 201);
    assert_string_equal(str_at(b, "booking.status"), "on_hold");
    assert_int_equal(minor_of(at(b, "booking.total"), "EUR"), total);
    assert_false(json_is_true(at(b, "booking.price_changed")));
    char ref[16], path[128];
    snprintf(ref, sizeof(ref), "%s", str_at(b, "booking.reference"));
    json_decref(b);
    /* The same client reference and body: the same booking; another body: refused. */
    json_t *again = voyagio_booking(quote_id, "eur-1", "Ada");
    char *text = json_dumps(again, JSON_COMPACT);
    json_decref(again);
    response raw = http(OTA_EUR, "POST", "/api/bookings", text, NULL, 0);
    free(text);
    assert_int_equal(raw.status, 200);
    assert_non_null(strcasestr(raw.headers, "Idempotent-Replayed: true"));
    assert_non_null(strstr(raw.body, ref));
    free(raw.body);
    b = call(OTA_EUR, "POST", "/api/bookings", voyagio_booking(quote_id, "eur-1", "Eve"), NULL,
             409);
    assert_string_equal(str_at(b, "error.code"), "duplicate_reference");
    assert_string_equal(str_at(b, "error.field"), "client_reference");
    json_decref(b);

    snprintf(path, sizeof(path), "/api/bookings/%s/issue", ref);
    b = call(OTA_EUR, "POST", path, json_pack("{s:s}", "payment_reference", "pi_1"), NULL, 200);
    assert_string_equal(str_at(b, "booking.status"), "issued");
    assert_int_equal(json_array_size(at(b, "booking.tickets")), 1);
    int cls = sb_class_parse(str_at(b, "booking.segments[0].class")[0]);
    json_decref(b);
    snprintf(path, sizeof(path), "/api/bookings/%s/refund", ref);
    b = call(OTA_EUR, "POST", path, NULL, NULL, 200);
    assert_string_equal(str_at(b, "booking.status"), "refunded");
    assert_int_equal(minor_of(at(b, "booking.refund.amount"), "EUR"),
                     fare * sb_class(cls)->refund_pct / 100); /* the fee is not refunded */
    json_decref(b);
    snprintf(path, sizeof(path), "/api/bookings/%s", ref);
    b = call(OTA_EUR, "GET", path, NULL, NULL, 200);
    assert_string_equal(str_at(b, "booking.status"), "refunded");
    json_decref(b);

    /* A hold cancelled, twice (the second time changes nothing). */
    q = call(OTA_EUR, "POST", "/api/quotes", voyagio_quote(&l, 1, 1, 1), NULL, 200);
    b = call(OTA_EUR, "POST", "/api/bookings",
             voyagio_booking(str_at(q, "quote.id"), "eur-cancel", "Ada"), NULL, 201);
    snprintf(path, sizeof(path), "/api/bookings/%s/cancel", str_at(b, "booking.reference"));
    json_decref(q);
    json_decref(b);
    for (int k = 0; k < 2; k++) {
        b = call(OTA_EUR, "POST", path, NULL, NULL, 200);
        assert_string_equal(str_at(b, "booking.status"), "cancelled");
        json_decref(b);
    }
    /* Invalid input: 422 naming the field. */
    json_t *bad = voyagio_quote(&l, 1, 1, 1);
    json_object_set_new(bad, "passengers", json_integer(0));
    expect_error(OTA_EUR, "POST", "/api/quotes", bad, 422, "error.field", "passengers");
    bad = voyagio_quote(&l, 1, 1, 1);
    json_object_set_new(json_array_get(json_object_get(bad, "segments"), 0), "slice",
                        json_integer(2));
    expect_error(OTA_EUR, "POST", "/api/quotes", bad, 422, "error.field", "segments[0].slice");
    leg_ref nowhere = l;
    memcpy(nowhere.to, "QQQ", 4);
    expect_error(OTA_EUR, "POST", "/api/quotes", voyagio_quote(&nowhere, 1, 1, 1), 422,
                 "error.field", "segments[0].to");
    json_t *noref = voyagio_booking(quote_id, "x", "Ada");
    json_object_del(noref, "client_reference");
    expect_error(OTA_EUR, "POST", "/api/bookings", noref, 422, "error.field", "client_reference");
    /* A quote lives 20 minutes. */
    set_now(base_now + 20 * 60);
    b = call(OTA_EUR, "POST", "/api/bookings", voyagio_booking(quote_id, "eur-2", "Ada"), NULL,
             410);
    assert_string_equal(str_at(b, "error.code"), "quote_expired");
    assert_string_equal(str_at(b, "error.field"), "quote_id");
    json_decref(b);
    set_now(base_now);
}

static void ota_usd_contract(void **state)
{
    (void)state;
    set_now(base_now);
    leg_ref l = find_leg(OTA_USD, -1, day0 + 17, 2);
    json_t *q = call(OTA_USD, "POST", "/v2/pricing", farefinder_pricing(&l, 1, 2), NULL, 200);
    assert_string_equal(str_at(q, "pricing.currency"), "USD");
    assert_int_equal(int_at(q, "pricing.serviceFeeCents"), 2 * 999);
    assert_int_equal(int_at(q, "pricing.totalCents"),
                     int_at(q, "pricing.baseFareCents") + int_at(q, "pricing.serviceFeeCents"));
    assert_int_equal(int_at(q, "pricing.baseFareCents"),
                     2 * int_at(q, "pricing.trips[0].flights[0].fareCents"));
    long long total = int_at(q, "pricing.totalCents");
    char pid[PV_TOKEN_LEN], id[16], path[128];
    snprintf(pid, sizeof(pid), "%s", str_at(q, "pricing.pricingId"));
    json_decref(q);
    json_t *body =
        json_pack("{s:s, s:[{s:s, s:s}, {s:s, s:s}]}", "pricingId", pid, "travelers", "firstName",
                  "Ada", "lastName", "L", "firstName", "Bo", "lastName", "L");
    json_t *t =
        call(OTA_USD, "POST", "/v2/trips", json_incref(body), "Idempotency-Key: usd-1", 201);
    assert_string_equal(str_at(t, "trip.state"), "HOLD");
    assert_int_equal(int_at(t, "trip.totalCents"), total);
    assert_int_equal(int_at(t, "trip.pricedTotalCents"), total);
    snprintf(id, sizeof(id), "%s", str_at(t, "trip.tripId"));
    json_decref(t);
    t = call(OTA_USD, "POST", "/v2/trips", json_incref(body), "Idempotency-Key: usd-1", 200);
    assert_string_equal(str_at(t, "trip.tripId"), id);
    json_decref(t);
    json_object_set_new(body, "pricingId", json_string("other"));
    t = call(OTA_USD, "POST", "/v2/trips", body, "Idempotency-Key: usd-1", 409);
    assert_string_equal(str_at(t, "errors[0].code"), "IDEMPOTENCY_CONFLICT");
    assert_string_equal(str_at(t, "errors[0].param"), "Idempotency-Key");
    json_decref(t);
    snprintf(path, sizeof(path), "/v2/trips/%s/purchase", id);
    t = call(OTA_USD, "POST", path, json_pack("{s:s}", "paymentToken", "tok_1"), NULL, 200);
    assert_string_equal(str_at(t, "trip.state"), "PURCHASED");
    assert_int_equal(json_array_size(at(t, "trip.eTickets")), 2);
    json_decref(t);
    snprintf(path, sizeof(path), "/v2/trips/%s/void", id);
    t = call(OTA_USD, "POST", path, NULL, NULL, 409);
    assert_string_equal(str_at(t, "errors[0].code"), "WRONG_STATE");
    json_decref(t);
    snprintf(path, sizeof(path), "/v2/trips/%s/refunds", id);
    t = call(OTA_USD, "POST", path, NULL, NULL, 200);
    assert_string_equal(str_at(t, "trip.state"), "REFUNDED");
    assert_true(int_at(t, "trip.refundCents") > 0);
    assert_true(int_at(t, "trip.refundCents") <= total - 2 * 999);
    json_decref(t);
    /* A hold voided. */
    q = call(OTA_USD, "POST", "/v2/pricing", farefinder_pricing(&l, 1, 1), NULL, 200);
    t = call(OTA_USD, "POST", "/v2/trips",
             json_pack("{s:s, s:[{s:s, s:s}]}", "pricingId", str_at(q, "pricing.pricingId"),
                       "travelers", "firstName", "Cy", "lastName", "L"),
             NULL, 201);
    snprintf(path, sizeof(path), "/v2/trips/%s/void", str_at(t, "trip.tripId"));
    json_decref(q);
    json_decref(t);
    t = call(OTA_USD, "POST", path, NULL, NULL, 200);
    assert_string_equal(str_at(t, "trip.state"), "VOIDED");
    json_decref(t);
    /* Invalid input names the parameter. */
    json_t *bad = farefinder_pricing(&l, 1, 1);
    json_object_set_new(bad, "cabin", json_string("PREMIUM"));
    expect_error(OTA_USD, "POST", "/v2/pricing", bad, 400, "errors[0].param", "cabin");
    bad = farefinder_pricing(&l, 1, 1);
    json_object_set_new(
        json_array_get(json_object_get(json_array_get(json_object_get(bad, "trips"), 0), "flights"),
                       0),
        "flightNumber", json_string("12"));
    expect_error(OTA_USD, "POST", "/v2/pricing", bad, 400, "errors[0].param",
                 "trips[0].flights[0].flightNumber");
    expect_error(OTA_USD, "POST", "/v2/trips/XXXXXX/purchase",
                 json_pack("{s:s}", "paymentToken", "t"), 404, "errors[0].code", "NOT_FOUND");
}

/* ---- the self-transfer combiner ---- */

static void combiner_contract(void **state)
{
    (void)state;
    set_now(base_now);
    leg_ref legs[2];
    assert_true(
        find_connection(COMB, day0 + 12, 0, PV_SELF_TRANSFER_MCT, 24 * 60, &legs[0], &legs[1]));
    json_t *q = call(COMB, "POST", "/v1/itineraries/price", hopscotch_price(legs, 2, 1), NULL, 200);
    assert_string_equal(str_at(q, "currency"), "GBP");
    assert_true(json_is_true(at(q, "protection.guaranteed")));
    assert_int_equal(int_at(q, "protection.min_connection_minutes"), 120);
    assert_int_equal(json_array_size(at(q, "tickets")), 2);
    assert_string_equal(str_at(q, "self_transfers[0].airport"), legs[1].from);
    assert_int_equal(int_at(q, "self_transfers[0].connection_minutes"),
                     (legs[1].dep - legs[0].arr) / 60);
    int64_t a0 = minor_of(at(q, "slices[0].legs[0].amount"), "GBP");
    int64_t a1 = minor_of(at(q, "slices[0].legs[1].amount"), "GBP");
    /* Separate tickets: the plain sum of the legs, plus the fee. */
    assert_int_equal(minor_of(at(q, "fare_per_passenger"), "GBP"), a0 + a1);
    assert_int_equal(minor_of(at(q, "tickets[0].amount"), "GBP"), a0);
    assert_int_equal(minor_of(at(q, "fee_per_passenger"), "GBP"), 1800);
    int64_t total = minor_of(at(q, "total"), "GBP");
    assert_int_equal(total, a0 + a1 + 1800);
    json_t *b = call(COMB, "POST", "/v1/bookings",
                     json_pack("{s:s, s:[{s:s, s:s}]}", "price_id", str_at(q, "price_id"),
                               "passengers", "given_name", "Ada", "family_name", "L"),
                     "Idempotency-Key: comb-1", 201);
    json_decref(q);
    assert_string_equal(str_at(b, "booking.status"), "held");
    char id[16], path[128];
    snprintf(id, sizeof(id), "%s", str_at(b, "booking.id"));
    json_decref(b);
    snprintf(path, sizeof(path), "/v1/bookings/%s/ticket", id);
    b = call(COMB, "POST", path, json_pack("{s:s}", "payment_reference", "pay"), NULL, 200);
    assert_string_equal(str_at(b, "booking.status"), "ticketed");
    assert_int_equal(json_array_size(at(b, "booking.ticket_numbers")), 2); /* one per ticket */
    assert_string_not_equal(str_at(b, "booking.ticket_numbers[0].number"),
                            str_at(b, "booking.ticket_numbers[1].number"));
    json_decref(b);
    snprintf(path, sizeof(path), "/v1/bookings/%s/refund", id);
    b = call(COMB, "POST", path, NULL, NULL, 200);
    assert_string_equal(str_at(b, "booking.status"), "refunded");
    assert_true(minor_of(at(b, "booking.refund.amount"), "GBP") <= a0 + a1);
    json_decref(b);
    snprintf(path, sizeof(path), "/v1/bookings/%s/cancel", id);
    b = call(COMB, "POST", path, NULL, NULL, 409);
    assert_string_equal(str_at(b, "type"), "https://hopscotch.sandbox/problems/wrong_state");
    json_decref(b);
    /* A hold cancelled. */
    q = call(COMB, "POST", "/v1/itineraries/price", hopscotch_price(legs, 2, 1), NULL, 200);
    b = call(COMB, "POST", "/v1/bookings",
             json_pack("{s:s, s:[{s:s, s:s}]}", "price_id", str_at(q, "price_id"), "passengers",
                       "given_name", "Bo", "family_name", "L"),
             NULL, 201);
    snprintf(path, sizeof(path), "/v1/bookings/%s/cancel", str_at(b, "booking.id"));
    json_decref(q);
    json_decref(b);
    b = call(COMB, "POST", path, NULL, NULL, 200);
    assert_string_equal(str_at(b, "booking.status"), "cancelled");
    json_decref(b);

    /* A self-transfer shorter than 120 minutes is refused naming the later leg's date. */
    leg_ref tight[2];
    if (find_connection(COMB, day0 + 12, 0, PV_INTL_MCT, PV_SELF_TRANSFER_MCT - 1, &tight[0],
                        &tight[1]))
        expect_error(COMB, "POST", "/v1/itineraries/price", hopscotch_price(tight, 2, 1), 400,
                     "errors[0].field", "slices[0].legs[1].date");
    /* No self-transfer, no sale. */
    expect_error(COMB, "POST", "/v1/itineraries/price", hopscotch_price(legs, 1, 1), 400,
                 "errors[0].field", "slices[0]");
    leg_ref same[2];
    assert_true(find_connection(COMB, day0 + 12, 1, PV_INTL_MCT, 24 * 60, &same[0], &same[1]));
    response r = http(COMB, "POST", "/v1/itineraries/price", NULL, NULL, 0);
    assert_int_equal(r.status, 400);
    assert_non_null(strcasestr(r.headers, "Content-Type: application/problem+json"));
    free(r.body);
    expect_error(COMB, "POST", "/v1/itineraries/price", hopscotch_price(same, 2, 1), 400,
                 "errors[0].field", "slices[0]");
    /* Legs that do not connect. */
    leg_ref apart[2] = {legs[0], legs[0]};
    expect_error(COMB, "POST", "/v1/itineraries/price", hopscotch_price(apart, 2, 1), 400,
                 "errors[0].field", "slices[0].legs[1].origin");
}

/* ---- holds, prices and time ---- */

static void holds_expire(void **state)
{
    (void)state;
    set_now(base_now);
    leg_ref l = find_leg(AIR2, -1, day0 + 20, 0);
    int before = live(&l).remaining[0];
    char offer[PV_TOKEN_LEN], path[128], id[16];
    ndc_price(AIR2, &l, 1, 1, 1, offer, sizeof(offer), NULL);
    json_t *r = call(AIR2, "POST", "/ndc/v1/orders", ndc_order(offer, 1, "Ada"),
                     "Idempotency-Key: hold-1", 201);
    snprintf(id, sizeof(id), "%s", str_at(r, "Order.OrderID"));
    json_decref(r);
    assert_int_equal(live(&l).remaining[0], before - 1);
    set_now(base_now + 30 * 60 - 1);
    assert_int_equal(live(&l).remaining[0], before - 1);
    set_now(base_now + 30 * 60); /* the gateway holds for 30 minutes */
    assert_int_equal(live(&l).remaining[0], before);
    snprintf(path, sizeof(path), "/ndc/v1/orders/%s", id);
    r = call(AIR2, "GET", path, NULL, NULL, 200);
    assert_string_equal(str_at(r, "Order.StatusCode"), "EXPIRED");
    json_decref(r);
    snprintf(path, sizeof(path), "/ndc/v1/orders/%s/ticket", id);
    r = call(AIR2, "POST", path, json_pack("{s:s}", "PaymentRef", "late"), NULL, 409);
    assert_string_equal(str_at(r, "Errors[0].Code"), "HOLD_EXPIRED");
    json_decref(r);
    /* The same key still finds the order after the offer has expired. */
    r = call(AIR2, "POST", "/ndc/v1/orders", ndc_order(offer, 1, "Ada"), "Idempotency-Key: hold-1",
             200);
    assert_string_equal(str_at(r, "Order.OrderID"), id);
    json_decref(r);
    set_now(base_now);
}

static void booking_raises_the_lowest_price(void **state)
{
    (void)state;
    set_now(base_now);
    int c = sb_provider_carrier(prov[AIR1]);
    for (int64_t d = day0 + 25; d < day0 + 80; d++) {
        for (int f = 0; f < W->nflights; f++) {
            const sb_flight *fl = &W->flights[f];
            if (fl->carrier != c || !sb_flight_operates(fl, d))
                continue;
            leg_ref l = leg_of((sb_dated_leg){f, 0, d});
            sb_leg_avail a = live(&l);
            int k = a.lowest[SB_CABIN_ECONOMY];
            if (k < 1 || a.seats[k] < 1 || a.seats[k] > 9)
                continue;
            char rbd1[2], rbd2[2], offer[PV_TOKEN_LEN];
            int64_t p1 = ndc_price(AIR1, &l, 1, 1, 1, NULL, 0, rbd1);
            assert_int_equal(rbd1[0], sb_class(k)->letter);
            ndc_price(AIR1, &l, 1, 1, a.seats[k], offer, sizeof(offer), NULL);
            json_decref(call(AIR1, "POST", "/ndc/v1/orders", ndc_order(offer, a.seats[k], "Al"),
                             NULL, 201));
            int64_t p2 = ndc_price(AIR1, &l, 1, 1, 1, NULL, 0, rbd2);
            assert_true(sb_class_parse(rbd2[0]) < k);
            assert_true(p2 > p1);
            return;
        }
    }
    fail_msg("no leg with a nearly full cheapest class");
}

static void prices_move_with_world_time(void **state)
{
    (void)state;
    int c = sb_provider_carrier(prov[AIR1]);
    for (int64_t d = day0 + 28; d < day0 + 60; d++) {
        for (int f = 0; f < W->nflights; f++) {
            if (W->flights[f].carrier != c || !sb_flight_operates(&W->flights[f], d))
                continue;
            leg_ref l = leg_of((sb_dated_leg){f, 0, d});
            set_now(base_now);
            sb_leg_avail early = live(&l);
            set_now(l.dep - 10 * 86400);
            sb_leg_avail late = live(&l);
            if (early.lowest[0] < 0 || late.lowest[0] < 0 || late.lowest[0] >= early.lowest[0])
                continue;
            char r1[2], r2[2];
            set_now(base_now);
            int64_t p1 = ndc_price(AIR1, &l, 1, 1, 1, NULL, 0, r1);
            set_now(l.dep - 10 * 86400);
            int64_t p2 = ndc_price(AIR1, &l, 1, 1, 1, NULL, 0, r2);
            assert_int_equal(r1[0], sb_class(early.lowest[0])->letter);
            assert_int_equal(r2[0], sb_class(late.lowest[0])->letter);
            assert_true(p2 > p1);
            set_now(base_now);
            return;
        }
    }
    fail_msg("no leg whose price moves");
}

static void through_and_return_fares(void **state)
{
    (void)state;
    set_now(base_now);
    leg_ref legs[3];
    assert_true(find_connection(AIR1, day0 + 33, 1, PV_INTL_MCT, 12 * 60, &legs[0], &legs[1]));
    int64_t pa = ndc_price(AIR1, &legs[0], 1, 1, 1, NULL, 0, NULL);
    int64_t pb = ndc_price(AIR1, &legs[1], 1, 1, 1, NULL, 0, NULL);
    int64_t pab = ndc_price(AIR1, legs, 2, 2, 1, NULL, 0, NULL);
    assert_int_equal(pab, (pa + pb) * SB_THROUGH_PCT / 100);
    assert_true(pab < pa + pb);
    /* The agencies apply the same rule to their own leg amounts. */
    json_t *q = call(OTA_EUR, "POST", "/api/quotes", voyagio_quote(legs, 2, 2, 1), NULL, 200);
    int64_t s0 = minor_of(at(q, "quote.segments[0].price"), "EUR");
    int64_t s1 = minor_of(at(q, "quote.segments[1].price"), "EUR");
    assert_int_equal(minor_of(at(q, "quote.fare"), "EUR"), (s0 + s1) * SB_THROUGH_PCT / 100);
    json_decref(q);
    /* A return: out on legs[0], back on a flight of the same carrier family. */
    int found = 0;
    for (int f = 0; f < W->nflights && !found; f++) {
        const sb_flight *fl = &W->flights[f];
        if (!sb_provider_sells(prov[AIR1], fl->carrier) || fl->nlegs != 1 ||
            fl->legs[0].origin != W->flights[legs[0].dl.flight].legs[legs[0].dl.leg].dest ||
            fl->legs[0].dest != W->flights[legs[0].dl.flight].legs[legs[0].dl.leg].origin)
            continue;
        for (int64_t d = legs[0].dl.day + 2; d < legs[0].dl.day + 9 && !found; d++) {
            if (sb_flight_operates(fl, d)) {
                legs[2] = leg_of((sb_dated_leg){f, 0, d});
                found = 1;
            }
        }
    }
    assert_true(found);
    int64_t pr = ndc_price(AIR1, &legs[2], 1, 1, 1, NULL, 0, NULL);
    leg_ref trip[2] = {legs[0], legs[2]};
    int64_t prt = ndc_price(AIR1, trip, 1, 2, 1, NULL, 0, NULL);
    assert_int_equal(prt, (pa + pr) * SB_RETURN_PCT / 100);
}

static void agency_markup_discount_and_stale_prices(void **state)
{
    (void)state;
    set_now(base_now);
    int c = sb_provider_carrier(prov[AIR1]);
    const char *cur = W->carriers[c].currency;
    int64_t day = base_now / 86400;
    /* Markup (and a negotiated discount where the agency has one) on the converted fare. */
    static const struct {
        int who;
        const char *currency;
        double markup, discount;
    } agencies[] = {{OTA_EUR, "EUR", 0.06, 0.07}, {OTA_USD, "USD", 0.04, 0.05}};
    leg_ref l = find_leg(AIR1, c, day0 + 35, 0);
    const sb_flight *fl = &W->flights[l.dl.flight];
    const sb_market *m = sb_fares_find(prov[AIR1]->fares, c, fl->legs[0].origin, fl->legs[0].dest);
    int64_t filed[SB_NCLASSES];
    sb_market_fares(prov[AIR1]->fares, m, filed);
    for (int i = 0; i < 2; i++) {
        json_t *q =
            i == 0 ? call(OTA_EUR, "POST", "/api/quotes", voyagio_quote(&l, 1, 1, 1), NULL, 200)
                   : call(OTA_USD, "POST", "/v2/pricing", farefinder_pricing(&l, 1, 1), NULL, 200);
        int cls = sb_class_parse(str_at(q, i == 0 ? "quote.segments[0].class"
                                                  : "pricing.trips[0].flights[0].bookingClass")[0]);
        int64_t fare = i == 0 ? minor_of(at(q, "quote.fare"), "EUR")
                              : (int64_t)int_at(q, "pricing.baseFareCents");
        json_decref(q);
        const char *to = agencies[i].currency;
        int64_t conv =
            sb_fx_convert(filed[cls], cur, sb_fx_rate(42, cur, day), to, sb_fx_rate(42, to, day));
        int disc = pv_discount_bp(prov[agencies[i].who], c) > 0;
        int64_t want = llround((double)conv * (1.0 + agencies[i].markup) *
                               (1.0 - (disc ? agencies[i].discount : 0.0)));
        assert_int_equal(fare, want);
    }
    /* Stale prices: find a leg and an instant where the agency's cached view of the market
     * still shows a cheaper class than is really left; its quote is cheaper, and booking it
     * comes out at the live price, flagged. */
    for (int64_t t = base_now; t < base_now + 2 * 86400; t += 20 * 60) {
        for (int64_t d = t / 86400 + 1; d <= t / 86400 + 4; d++) {
            for (int f = 0; f < W->nflights; f++) {
                const sb_flight *x = &W->flights[f];
                if (!sb_provider_sells(prov[OTA_EUR], x->carrier) || !sb_flight_operates(x, d))
                    continue;
                sb_dated_leg dl = {f, 0, d};
                int booked[SB_NCABINS];
                sb_leg_avail now_a, view;
                sb_inventory_booked(inv, &dl, t, booked);
                sb_inv_state(W, &dl, booked, t, t, &now_a);
                sb_inv_state(W, &dl, booked, pv_market_time(prov[OTA_EUR], &dl, t, 0), t, &view);
                if (now_a.lowest[0] < 0 || view.lowest[0] <= now_a.lowest[0])
                    continue;
                leg_ref sl = leg_of(dl);
                set_now(t);
                json_t *q =
                    call(OTA_EUR, "POST", "/api/quotes", voyagio_quote(&sl, 1, 1, 1), NULL, 200);
                char letter[2] = {sb_class(view.lowest[0])->letter, '\0'};
                assert_string_equal(str_at(q, "quote.segments[0].class"), letter);
                json_t *b =
                    call(OTA_EUR, "POST", "/api/bookings",
                         voyagio_booking(str_at(q, "quote.id"), "stale-1", "Ada"), NULL, 201);
                json_decref(q);
                assert_true(json_is_true(at(b, "booking.price_changed")));
                assert_true(minor_of(at(b, "booking.total"), "EUR") >
                            minor_of(at(b, "booking.quoted_total"), "EUR"));
                letter[0] = sb_class(now_a.lowest[0])->letter;
                assert_string_equal(str_at(b, "booking.segments[0].class"), letter);
                json_decref(b);
                set_now(base_now);
                return;
            }
        }
    }
    fail_msg("no stale view found");
}

/* ---- faults ---- */

static void put_faults(int who, const char *json, long want)
{
    response r = http(who, "PUT", "/admin/faults", json, NULL, 0);
    if (r.status != want)
        fail_msg("PUT /admin/faults %s: %ld %s", json, r.status, r.body);
    free(r.body);
}

static void faults(void **state)
{
    (void)state;
    set_now(base_now);
    json_t *j = call(OTA_USD, "GET", "/admin/faults", NULL, NULL, 200);
    assert_true(json_real_value(at(j, "faults.error_rate")) == 0.0);
    json_decref(j);
    j = call(OTA_USD, "PUT", "/admin/faults", json_pack("{s:f}", "error_rate", 2.0), NULL, 400);
    assert_string_equal(str_at(j, "errors[0].field"), "error_rate");
    json_decref(j);
    j = call(OTA_USD, "PUT", "/admin/faults", json_pack("{s:i}", "bogus", 1), NULL, 400);
    assert_string_equal(str_at(j, "errors[0].field"), "bogus");
    json_decref(j);

    /* Errors: always, then half of the time exactly as the draws say. */
    put_faults(OTA_USD, "{\"error_rate\": 1, \"seed\": 4}", 200);
    sb_faults f;
    sb_faults_default(&f);
    f.error_rate = 1;
    f.seed = 4;
    j = call(OTA_USD, "GET", "/v2/catalog", NULL, NULL, sb_fault_error_status(&f, 0));
    assert_false(json_is_true(at(j, "ok")));
    json_decref(j);
    put_faults(OTA_USD, "{\"error_rate\": 0.5, \"seed\": 9}", 200);
    f.error_rate = 0.5;
    f.seed = 9;
    int failures = 0;
    for (uint64_t n = 0; n < 16; n++) {
        response r = http(OTA_USD, "GET", "/v2/catalog", NULL, NULL, 0);
        int hit = sb_fault_hits(&f, n, SB_FAULT_ERROR);
        assert_int_equal(r.status, hit ? sb_fault_error_status(&f, n) : 200);
        failures += hit;
        free(r.body);
    }
    assert_true(failures > 0 && failures < 16);
    j = call(OTA_USD, "GET", "/admin/faults", NULL, NULL, 200);
    assert_int_equal(int_at(j, "requests_since_set"), 16);
    json_decref(j);

    /* Latency: fixed, then with a tail of known draws. */
    put_faults(OTA_USD, "{\"latency_ms\": 150}", 200);
    response r = http(OTA_USD, "GET", "/v2/catalog", NULL, NULL, 0);
    assert_int_equal(r.status, 200);
    assert_true(r.seconds >= 0.15);
    free(r.body);
    put_faults(OTA_USD, "{\"latency_tail_ms\": 30, \"seed\": 5}", 200);
    sb_faults_default(&f);
    f.latency_tail_ms = 30;
    f.seed = 5;
    for (uint64_t n = 0; n < 3; n++) {
        r = http(OTA_USD, "GET", "/v2/catalog", NULL, NULL, 0);
        assert_true(r.seconds * 1000.0 >= sb_fault_latency_ms(&f, n));
        free(r.body);
    }

    /* Time-outs: the provider hangs past the client's patience, then answers 504. */
    put_faults(COMB, "{\"timeout_rate\": 1, \"timeout_ms\": 1500}", 200);
    r = http(COMB, "GET", "/v1/schedules", NULL, NULL, 300);
    assert_int_equal(r.rc, CURLE_OPERATION_TIMEDOUT);
    free(r.body);
    put_faults(COMB, "{\"timeout_rate\": 1, \"timeout_ms\": 200}", 200);
    r = http(COMB, "GET", "/v1/schedules", NULL, NULL, 5000);
    assert_int_equal(r.status, 504);
    assert_true(r.seconds >= 0.2);
    assert_non_null(strstr(r.body, "\"timeout\""));
    free(r.body);

    /* Malformed bodies: 200, the usual content type, not JSON. */
    put_faults(OTA_EUR, "{\"malformed_rate\": 1}", 200);
    r = http(OTA_EUR, "GET", "/api/schedules", NULL, NULL, 0);
    assert_int_equal(r.status, 200);
    assert_non_null(strcasestr(r.headers, "Content-Type: application/json"));
    assert_true(strlen(r.body) > 10);
    assert_null(json_loads(r.body, 0, NULL));
    free(r.body);

    /* Price changed at booking: request 1 (the order) costs pct% more than its offer. */
    leg_ref l = find_leg(AIR1, -1, day0 + 40, 0);
    put_faults(AIR1, "{\"price_change_rate\": 1, \"seed\": 3}", 200);
    sb_faults_default(&f);
    f.price_change_rate = 1;
    f.seed = 3;
    char offer[PV_TOKEN_LEN];
    int64_t price = ndc_price(AIR1, &l, 1, 1, 1, offer, sizeof(offer), NULL);
    j = call(AIR1, "POST", "/ndc/v1/orders", ndc_order(offer, 1, "Ada"), NULL, 201);
    const char *cur = str_at(j, "Order.TotalPrice.TotalAmount.CurCode");
    int pct = sb_fault_price_pct(&f, 1);
    assert_true(pct >= 5 && pct <= 15);
    assert_int_equal(minor_of(at(j, "Order.TotalPrice.TotalAmount.Amount"), cur),
                     price * (100 + pct) / 100);
    assert_int_equal(minor_of(at(j, "Order.OfferPrice.TotalAmount.Amount"), cur), price);
    assert_true(json_is_true(at(j, "Order.PriceChanged")));
    json_decref(j);

    /* Sold out at booking. */
    put_faults(AIR1, "{\"sold_out_rate\": 1}", 200);
    int before = live(&l).remaining[0];
    ndc_price(AIR1, &l, 1, 1, 1, offer, sizeof(offer), NULL);
    j = call(AIR1, "POST", "/ndc/v1/orders", ndc_order(offer, 1, "Ada"), NULL, 409);
    assert_string_equal(str_at(j, "Errors[0].Code"), "SOLD_OUT");
    json_decref(j);
    assert_int_equal(live(&l).remaining[0], before);

    for (int i = 0; i < NPROV; i++)
        put_faults(i, "{}", 200);
}

/* ---- the last seats ---- */

static pthread_barrier_t start_line;

typedef struct racer {
    int who;
    const char *body;
    long status;
    int sold_out;
} racer;

static void *race(void *arg)
{
    racer *r = arg;
    CURL *c = curl_easy_init();
    char url[128];
    ct_strbuf sb;
    ct_strbuf_init(&sb, 1 << 20);
    snprintf(url, sizeof(url), "http://127.0.0.1:%d/ndc/v1/orders", ports[r->who]);
    struct curl_slist *h = curl_slist_append(NULL, "Content-Type: application/json");
    curl_easy_setopt(c, CURLOPT_URL, url);
    curl_easy_setopt(c, CURLOPT_POSTFIELDS, r->body);
    curl_easy_setopt(c, CURLOPT_HTTPHEADER, h);
    curl_easy_setopt(c, CURLOPT_WRITEFUNCTION, on_body);
    curl_easy_setopt(c, CURLOPT_WRITEDATA, &sb);
    curl_easy_setopt(c, CURLOPT_TIMEOUT, 60L);
    curl_easy_setopt(c, CURLOPT_NOSIGNAL, 1L);
    pthread_barrier_wait(&start_line);
    if (curl_easy_perform(c) == CURLE_OK)
        curl_easy_getinfo(c, CURLINFO_RESPONSE_CODE, &r->status);
    r->sold_out = strstr(ct_strbuf_str(&sb), "\"SOLD_OUT\"") != NULL;
    ct_strbuf_free(&sb);
    curl_slist_free_all(h);
    curl_easy_cleanup(c);
    return NULL;
}

static ct_status prefill_price(void *ctx, const sb_booking_seg *segs, int n, int64_t *amount,
                               char **doc)
{
    (void)ctx;
    (void)segs;
    (void)n;
    *amount = 1;
    *doc = NULL;
    return CT_OK;
}

/* 100 orders at once, through two instances of the same airline (two processes' worth of
 * connections on the shared file), on a flight with 7 seats left: exactly 7 succeed. */
static void concurrent_orders_never_oversell(void **state)
{
    (void)state;
    set_now(base_now);
    leg_ref l = find_leg(AIR1, -1, day0 + 45, 1);
    sb_booking_seg seg = {l.dl, SB_CABIN_ECONOMY, -1};
    int left;
    while ((left = live(&l).remaining[0]) > 7) { /* another seller takes all but 7 seats */
        sb_book_req req = {.provider = "prefill",
                           .segs = &seg,
                           .nsegs = 1,
                           .seats = left - 7 > 9 ? 9 : left - 7,
                           .now = base_now,
                           .expires_at = base_now + 86400,
                           .currency = "USD",
                           .price = prefill_price};
        sb_book_outcome oc;
        sb_booking b = {0};
        assert_int_equal(sb_inventory_book(inv, &req, &oc, &b), CT_OK);
        assert_int_equal(oc, SB_BOOK_CREATED);
        sb_booking_clear(&b);
    }
    assert_int_equal(left, 7);
    char offer[PV_TOKEN_LEN];
    ndc_price(AIR1, &l, 1, 1, 1, offer, sizeof(offer), NULL);
    enum { N = 100 };
    static racer r[N];
    static char *bodies[N];
    pthread_t th[N];
    pthread_barrier_init(&start_line, NULL, N);
    for (int i = 0; i < N; i++) {
        char given[16];
        snprintf(given, sizeof(given), "T%d", i);
        json_t *b = ndc_order(offer, 1, given);
        bodies[i] = json_dumps(b, JSON_COMPACT);
        json_decref(b);
        r[i] = (racer){i % 2 ? AIR1 : AIR1_TWIN, bodies[i], 0, 0};
        pthread_create(&th[i], NULL, race, &r[i]);
    }
    int created = 0, sold_out = 0;
    for (int i = 0; i < N; i++) {
        pthread_join(th[i], NULL);
        created += r[i].status == 201;
        sold_out += r[i].status == 409 && r[i].sold_out;
        free(bodies[i]);
    }
    pthread_barrier_destroy(&start_line);
    assert_int_equal(created, 7);
    assert_int_equal(sold_out, N - 7);
    assert_int_equal(live(&l).remaining[0], 0);
    json_t *e = call(AIR1, "POST", "/ndc/v1/offers", ndc_offer(&l, 1, 1, 1, "ECONOMY"), NULL, 409);
    assert_string_equal(str_at(e, "Errors[0].Code"), "SOLD_OUT");
    json_decref(e);
}

/* ---- passenger types ---- */

/* What the mix 2 adults + 1 child + 1 lap infant must cost when one adult costs `one`
 * (fare + fee): adults the fare, the child 75 % of it, the lap infant 10 %, everyone the fee. */
static int64_t family_total(int64_t one, int64_t fee)
{
    int64_t fare = one - fee;
    return 2 * fare + fare * 75 / 100 + fare * 10 / 100 + 4 * fee;
}

static json_t *travellers(const char *g, const char *f, int n)
{
    json_t *a = json_array();
    for (int i = 0; i < n; i++)
        json_array_append_new(a, json_pack("{s:s, s:s}", g, "Ada", f, "Lovelace"));
    return a;
}

static void passenger_types_in_every_dialect(void **state)
{
    (void)state;
    set_now(base_now);
    /* NDC: ADT ADT CHD INF; the lap infant takes no seat. */
    leg_ref l = find_leg(AIR1, -1, day0 + 18, 3);
    int64_t fee = prov[AIR1]->fee_minor;
    const char *cur = W->carriers[sb_provider_carrier(prov[AIR1])].currency;
    int64_t one = ndc_price(AIR1, &l, 1, 1, 1, NULL, 0, NULL);
    json_t *q = ndc_offer(&l, 1, 1, 2, "ECONOMY"), *list = at(q, "PricingQuery.PaxList");
    json_array_append_new(list, json_pack("{s:s}", "PTC", "CHD"));
    json_array_append_new(list, json_pack("{s:s}", "PTC", "INF"));
    json_t *o = call(AIR1, "POST", "/ndc/v1/offers", q, NULL, 200);
    int64_t total = minor_of(at(o, "PricedOffer.TotalPrice.TotalAmount.Amount"), cur);
    assert_int_equal(total, family_total(one, fee));
    char offer_id[PV_TOKEN_LEN];
    snprintf(offer_id, sizeof(offer_id), "%s", str_at(o, "PricedOffer.OfferID"));
    json_decref(o);
    sb_leg_avail before = live(&l);
    expect_error(AIR1, "POST", "/ndc/v1/orders", ndc_order(offer_id, 3, "Ada"), 400,
                 "Errors[0].TagText", "PaxList");
    json_t *r = call(AIR1, "POST", "/ndc/v1/orders", ndc_order(offer_id, 4, "Ada"),
                     "Idempotency-Key: family-1", 201);
    assert_int_equal(minor_of(at(r, "Order.TotalPrice.TotalAmount.Amount"), cur), total);
    assert_int_equal(json_array_size(at(r, "Order.PaxList")), 4);
    json_decref(r);
    assert_int_equal(live(&l).remaining[0], before.remaining[0] - 3);
    /* Two lap infants on one adult: refused, naming the list. */
    q = ndc_offer(&l, 1, 1, 1, "ECONOMY");
    list = at(q, "PricingQuery.PaxList");
    json_array_append_new(list, json_pack("{s:s}", "PTC", "INF"));
    json_array_append_new(list, json_pack("{s:s}", "PTC", "INF"));
    expect_error(AIR1, "POST", "/ndc/v1/offers", q, 400, "Errors[0].TagText",
                 "PricingQuery.PaxList");

    /* Voyagio: passengers are the adults; children, infants_in_seat, lap_infants. */
    l = find_leg(OTA_EUR, -1, day0 + 18, 4);
    fee = prov[OTA_EUR]->fee_minor;
    q = call(OTA_EUR, "POST", "/api/quotes", voyagio_quote(&l, 1, 1, 1), NULL, 200);
    one = minor_of(at(q, "quote.total"), "EUR");
    json_decref(q);
    json_t *b = voyagio_quote(&l, 1, 1, 2);
    json_object_set_new(b, "children", json_integer(1));
    json_object_set_new(b, "lap_infants", json_integer(1));
    q = call(OTA_EUR, "POST", "/api/quotes", b, NULL, 200);
    assert_int_equal(minor_of(at(q, "quote.total"), "EUR"), family_total(one, fee));
    assert_int_equal(minor_of(at(q, "quote.total"), "EUR"),
                     minor_of(at(q, "quote.fare"), "EUR") +
                         minor_of(at(q, "quote.service_fee"), "EUR"));
    json_decref(q);
    b = voyagio_quote(&l, 1, 1, 1);
    json_object_set_new(b, "lap_infants", json_integer(2));
    expect_error(OTA_EUR, "POST", "/api/quotes", b, 422, "error.field", "lap_infants");
    /* An infant in a seat pays the child fare and takes a seat. */
    b = voyagio_quote(&l, 1, 1, 1);
    json_object_set_new(b, "infants_in_seat", json_integer(1));
    q = call(OTA_EUR, "POST", "/api/quotes", b, NULL, 200);
    assert_int_equal(minor_of(at(q, "quote.total"), "EUR"), one + (one - fee) * 75 / 100 + fee);
    json_decref(q);

    /* FareFinder: travelerCount adults, childCount, lapInfantCount. */
    l = find_leg(OTA_USD, -1, day0 + 18, 5);
    fee = prov[OTA_USD]->fee_minor;
    q = call(OTA_USD, "POST", "/v2/pricing", farefinder_pricing(&l, 1, 1), NULL, 200);
    one = int_at(q, "pricing.totalCents");
    json_decref(q);
    b = farefinder_pricing(&l, 1, 2);
    json_object_set_new(b, "childCount", json_integer(1));
    json_object_set_new(b, "lapInfantCount", json_integer(1));
    q = call(OTA_USD, "POST", "/v2/pricing", b, NULL, 200);
    assert_int_equal(int_at(q, "pricing.totalCents"), family_total(one, fee));
    assert_int_equal(int_at(q, "pricing.serviceFeeCents"), 4 * fee);
    json_decref(q);

    /* Hopscotch: an order of four travellers costs what the price said. */
    leg_ref legs[2];
    assert_true(
        find_connection(COMB, day0 + 13, 0, PV_SELF_TRANSFER_MCT, 24 * 60, &legs[0], &legs[1]));
    fee = prov[COMB]->fee_minor;
    q = call(COMB, "POST", "/v1/itineraries/price", hopscotch_price(legs, 2, 1), NULL, 200);
    one = minor_of(at(q, "total"), "GBP");
    json_decref(q);
    b = hopscotch_price(legs, 2, 2);
    json_object_set_new(b, "children", json_integer(1));
    json_object_set_new(b, "lap_infants", json_integer(1));
    q = call(COMB, "POST", "/v1/itineraries/price", b, NULL, 200);
    total = minor_of(at(q, "total"), "GBP");
    assert_int_equal(total, family_total(one, fee));
    r = call(COMB, "POST", "/v1/bookings",
             json_pack("{s:s, s:o}", "price_id", str_at(q, "price_id"), "passengers",
                       travellers("given_name", "family_name", 4)),
             "Idempotency-Key: family-2", 201);
    json_decref(q);
    assert_int_equal(minor_of(at(r, "booking.total"), "GBP"), total);
    json_decref(r);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(schedules_and_ssim),
        cmocka_unit_test(fares_feed_full_and_incremental),
        cmocka_unit_test(availability_feed_full_and_incremental),
        cmocka_unit_test(every_dialect_pages_and_follows_changes),
        cmocka_unit_test(airline_contract),
        cmocka_unit_test(ota_eur_contract),
        cmocka_unit_test(ota_usd_contract),
        cmocka_unit_test(combiner_contract),
        cmocka_unit_test(holds_expire),
        cmocka_unit_test(booking_raises_the_lowest_price),
        cmocka_unit_test(prices_move_with_world_time),
        cmocka_unit_test(through_and_return_fares),
        cmocka_unit_test(agency_markup_discount_and_stale_prices),
        cmocka_unit_test(faults),
        cmocka_unit_test(concurrent_orders_never_oversell),
        cmocka_unit_test(passenger_types_in_every_dialect),
    };
    return cmocka_run_group_tests(tests, setup, teardown);
}
