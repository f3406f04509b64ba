/* test_ingest.c: feed ingestion from the five sandbox providers into the pricebook.
 *
 * The providers run in process on the small world (real HTTP over loopback, one shared
 * inventory file, a world clock the test holds still); the timetable is built from the
 * same world's SSIM through the platform's reader. Checks: every provider registered with
 * its kind, currency, fee and carriers, alliances known; for sampled dated legs the
 * pricebook's lowest-open-class amount equals what the provider's live offer/quote/pricing
 * endpoint charges for that leg (minus the fee); an order at a provider followed by an
 * incremental sync changes the leg's seats; a sync under injected 5xx, malformed pages and
 * time-outs ends in exactly the state of a clean one; bad records are rejected with their
 * field while the rest of the page is kept (the dialect parsers on crafted documents);
 * price_observation rows on SQLite and PostgreSQL (CT_TEST_PG_URL); events; the background
 * thread starts and stops promptly. */
#define _GNU_SOURCE
#include "ct_test.h"

#include <curl/curl.h>
#include <jansson.h>
#include <math.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "base/timeutil.h"
#include "events/bus.h"
#include "fares/pricebook.h"
#include "http/http.h"
#include "httpclient.h"
#include "ingest/ingest.h"
#include "sandbox/providers/provider.h"
#include "search/search.h"
#include "search/trip.h"
#include "sandbox/world/sandbox_data.h"
#include "sandbox/world/ssim_write.h"
#include "store/store.h"
#include "testsupport.h"
#include "timetable/timetable.h"

#define HORIZON_DAYS 42

enum { AIR1, AIR2, OTA_EUR, OTA_USD, COMB, NPROV };
static const char *names[NPROV] = {"airline-1", "airline-2", "ota-eur", "ota-usd", "combiner"};

static sb_data data;
static const sb_world *W;
static char tmpdir[256];
static sb_provider *prov[NPROV];
static int ports[NPROV];
static int64_t day0, base_now;
static _Atomic int64_t world_now;
static ct_timetable *tt;
static ct_pricebook *pb;
static ct_ingest *ing;
static ct_bus *bus;
static ct_store_pool *history;
static char history_url[512];
static atomic_int n_price_events, n_fare_events;
static uint64_t full_requests[NPROV]; /* of the first (full) sync, per provider */

static int64_t test_now(void *ctx)
{
    (void)ctx;
    return atomic_load(&world_now);
}

static void on_event(const char *topic, json_t *e, void *ctx)
{
    (void)ctx;
    if (strcmp(topic, "price.changed") == 0) {
        assert_non_null(json_object_get(e, "departure"));
        atomic_fetch_add(&n_price_events, 1);
    } else if (strcmp(topic, "fares.changed") == 0) {
        atomic_fetch_add(&n_fare_events, 1);
    }
}

static void config_for(ct_ingest_config *c)
{
    memset(c, 0, sizeof(*c));
    for (int i = 0; i < NPROV; i++) {
        ct_ingest_provider_cfg *p = &c->providers[i];
        snprintf(p->name, sizeof(p->name), "%s", names[i]);
        snprintf(p->base_url, sizeof(p->base_url), "http://127.0.0.1:%d", ports[i]);
        p->dialect = (ct_ingest_dialect)ct_ingest_dialect_of(names[i]);
    }
    c->nproviders = NPROV;
    c->history_first = 1; /* every observation, first prices included (serve's "all") */
    c->today = day0;
    c->backoff_ms = 5;
    c->backoff_max_ms = 50;
    c->max_attempts = 30;
}

static int setup(void **state)
{
    (void)state;
    char err[256];
    curl_global_init(CURL_GLOBAL_DEFAULT);
    ct_date_parse("2026-11-23", &day0);
    base_now = day0 * 86400 + 8 * 3600;
    atomic_store(&world_now, base_now);
    sb_world_params wp = {42, day0, SB_WORLD_SMALL, ts_refdata_dir()};
    if (sb_data_open(&wp, &data, err, sizeof(err)))
        fail_msg("small world: %s", err);
    W = data.world;
    ts_tempdir(tmpdir, sizeof(tmpdir));
    /* The timetable, from the world's SSIM through the platform's reader. */
    char ssim_dir[400];
    snprintf(ssim_dir, sizeof(ssim_dir), "%s/ssim", tmpdir);
    ts_write_file(ssim_dir, ".keep", "");
    sb_ssim_stats st = {0};
    if (sb_ssim_write_world(W, ssim_dir, day0, &st) != CT_OK)
        fail_msg("ssim");
    static char paths[64][500];
    const char *p[64];
    int n = 0;
    for (int c = 0; c < W->ncarriers && n < 64; c++, n++) {
        snprintf(paths[n], sizeof(paths[n]), "%s/%s.ssim", ssim_dir, W->carriers[c].code);
        p[n] = paths[n];
    }
    size_t bad = 0;
    if (ct_timetable_load(data.refdata, p, (size_t)n, day0, day0 + HORIZON_DAYS - 1, &tt, &bad) ||
        bad != 0)
        fail_msg("timetable");
    /* The providers. */
    char inv_path[400];
    snprintf(inv_path, sizeof(inv_path), "%s/inventory.db", tmpdir);
    for (int i = 0; i < NPROV; i++) {
        sb_provider_options o = {
            .name = names[i], .inventory_path = inv_path, .threads = 4, .now = {test_now, NULL}};
        sb_faults_default(&o.faults);
        if (sb_provider_start(W, &o, &prov[i], err, sizeof(err)))
            fail_msg("%s: %s", names[i], err);
        ports[i] = sb_provider_port(prov[i]);
    }
    /* History on SQLite (PostgreSQL is checked in its own test), events, the pricebook. */
    char urls[2][512];
    ts_store_urls(tmpdir, urls, 1);
    snprintf(history_url, sizeof(history_url), "%s", urls[0]);
    ct_store_close(ts_open_migrated(history_url));
    if (ct_store_pool_open(history_url, 2, &history, err, sizeof(err)))
        fail_msg("pool: %s", err);
    assert_int_equal(ct_bus_new(&bus), CT_OK);
    assert_int_equal(ct_bus_subscribe(bus, "price.*", on_event, NULL, NULL), CT_OK);
    assert_int_equal(ct_bus_subscribe(bus, "fares.changed", on_event, NULL, NULL), CT_OK);
    assert_int_equal(ct_pricebook_new(tt, &pb), CT_OK);
    ct_ingest_config cfg;
    config_for(&cfg);
    cfg.history = history;
    cfg.bus = bus;
    assert_int_equal(ct_ingest_new(pb, &cfg, &ing), CT_OK);
    return 0;
}

static int teardown(void **state)
{
    (void)state;
    ct_ingest_free(ing);
    ct_pricebook_free(pb);
    ct_bus_free(bus);
    ct_store_pool_close(history);
    for (int i = 0; i < NPROV; i++)
        sb_provider_stop(prov[i]);
    ct_timetable_free(tt);
    sb_data_close(&data);
    ts_rmtree(tmpdir);
    curl_global_cleanup();
    return 0;
}

/* ---- helpers ---- */

static double seconds_since(const struct timespec *t0)
{
    struct timespec t1;
    clock_gettime(CLOCK_MONOTONIC, &t1);
    return (double)(t1.tv_sec - t0->tv_sec) + (double)(t1.tv_nsec - t0->tv_nsec) / 1e9;
}

static int provider_index(const ct_pb_snapshot *s, const char *name)
{
    for (int p = 0; p < s->nproviders; p++) {
        if (strcmp(s->providers[p].desc.name, name) == 0)
            return p;
    }
    return -1;
}

static int world_carrier(const char *code)
{
    for (int c = 0; c < W->ncarriers; c++) {
        if (strcmp(W->carriers[c].code, code) == 0)
            return c;
    }
    return -1;
}

static int lowest_open(uint64_t w, int cabin)
{
    int lo, hi;
    ct_cabin_classes((ct_cabin)cabin, &lo, &hi);
    for (int c = hi; c >= lo; c--) {
        if (ct_seats_of(w, c) > 0)
            return c;
    }
    return -1;
}

static json_t *post(int who, const char *path, json_t *body, long want)
{
    char *text = json_dumps(body, JSON_COMPACT);
    json_decref(body);
    ts_response r = ts_http("POST", ports[who], path, text, NULL);
    free(text);
    if (r.status != want)
        fail_msg("POST %s: %ld %s", path, r.status, r.body);
    json_t *j = ts_json(&r);
    ts_response_free(&r);
    return j;
}

/* A member by a dotted path. */
static json_t *jget(json_t *j, const char *path)
{
    char buf[128];
    snprintf(buf, sizeof(buf), "%s", path);
    for (char *save = NULL, *k = strtok_r(buf, ".", &save); k && j; k = strtok_r(NULL, ".", &save))
        j = json_object_get(j, k);
    return j;
}

static const char *iata(uint16_t a)
{
    return ct_refdata_airport_at(tt->rd, a)->iata;
}

static void date_text(int64_t day, char buf[11])
{
    int y, m, d;
    ct_civil_from_days(day, &y, &m, &d);
    snprintf(buf, 11, "%04d-%02d-%02d", y, m, d);
}

/* Each dialect's words for the cabins, by ct_cabin (economy, business, premium, first). */
static const char *cabin_word(int who, ct_cabin cabin)
{
    static const char *ndc[] = {"ECONOMY", "BUSINESS", "PREMIUM_ECONOMY", "FIRST"};
    static const char *lower[] = {"economy", "business", "premium_economy", "first"};
    static const char *ff[] = {"COACH", "BUSINESS", "PREMIUM_COACH", "FIRST"};
    return who == AIR1 || who == AIR2 ? ndc[cabin] : who == OTA_USD ? ff[cabin] : lower[cabin];
}

/* What provider `who` charges per passenger (fee excluded) for legs a[0..n) in `cabin`,
 * through its live pricing endpoint, in minor units; the per-leg amounts in leg_amount
 * (the combiner's). */
static int64_t live_price_in(int who, const uint32_t *a, int n, ct_cabin cabin,
                             int64_t leg_amount[2])
{
    json_t *segs = json_array();
    for (int i = 0; i < n; i++) {
        const ct_leg *l = &tt->legs[a[i]];
        char date[11], num[8];
        date_text(l->local_date, date);
        snprintf(num, sizeof(num), "%d", l->number);
        const char *cr = tt->carriers[l->carrier];
        json_t *s = NULL;
        switch (who) {
        case AIR1:
        case AIR2:
            s = json_pack("{s:s, s:s, s:s, s:s, s:s}", "MarketingCarrier", cr, "FlightNumber", num,
                          "DepDate", date, "Dep", iata(l->from), "Arr", iata(l->to));
            break;
        case OTA_EUR:
            s = json_pack("{s:i, s:s, s:i, s:s, s:s, s:s}", "slice", 0, "airline", cr,
                          "flight_number", (int)l->number, "date", date, "from", iata(l->from),
                          "to", iata(l->to));
            break;
        case OTA_USD:
            s = json_pack("{s:s, s:i, s:s, s:s, s:s}", "carrier", cr, "flightNumber",
                          (int)l->number, "departureDate", date, "origin", iata(l->from),
                          "destination", iata(l->to));
            break;
        default:
            s = json_pack("{s:s, s:i, s:s, s:s, s:s}", "carrier", cr, "number", (int)l->number,
                          "date", date, "origin", iata(l->from), "destination", iata(l->to));
            break;
        }
        json_array_append_new(segs, s);
    }
    const char *cw = cabin_word(who, cabin);
    json_t *r;
    int32_t v = 0;
    int64_t total = 0;
    switch (who) {
    case AIR1:
    case AIR2:
        r = post(who, "/ndc/v1/offers",
                 json_pack("{s:{s:[{s:o}], s:[{s:s}], s:s}}", "PricingQuery", "OriginDest",
                           "PaxSegment", segs, "PaxList", "PTC", "ADT", "CabinType", cw),
                 200);
        assert_int_equal(
            ct_ingest_decimal(
                json_string_value(jget(r, "PricedOffer.TotalPrice.TotalAmount.Amount")), 2, &v),
            CT_OK);
        total = v;
        break;
    case OTA_EUR:
        r = post(who, "/api/quotes",
                 json_pack("{s:o, s:i, s:s}", "segments", segs, "passengers", 1, "cabin", cw), 200);
        total = llround(json_number_value(json_object_get(json_object_get(r, "quote"), "fare")) *
                        100.0);
        break;
    case OTA_USD:
        r = post(who, "/v2/pricing",
                 json_pack("{s:[{s:o}], s:i, s:s}", "trips", "flights", segs, "travelerCount", 1,
                           "cabin", cw),
                 200);
        total = json_integer_value(json_object_get(json_object_get(r, "pricing"), "baseFareCents"));
        break;
    default: {
        r = post(who, "/v1/itineraries/price",
                 json_pack("{s:[{s:o}], s:i, s:s}", "slices", "legs", segs, "passengers", 1,
                           "cabin", cw),
                 200);
        assert_int_equal(
            ct_ingest_decimal(json_string_value(json_object_get(r, "fare_per_passenger")), 2, &v),
            CT_OK);
        total = v;
        json_t *legs = json_object_get(json_array_get(json_object_get(r, "slices"), 0), "legs");
        for (int i = 0; i < n; i++) {
            assert_int_equal(ct_ingest_decimal(json_string_value(json_object_get(
                                                   json_array_get(legs, (size_t)i), "amount")),
                                               2, &v),
                             CT_OK);
            leg_amount[i] = v;
        }
        break;
    }
    }
    json_decref(r);
    return total;
}

/* What provider `who` charges per passenger (fee excluded) for legs a[0..n) in economy,
 * through its live pricing endpoint, in minor units; the per-leg amounts in leg_amount. */
static int64_t live_price(int who, const uint32_t *a, int n, int64_t leg_amount[2])
{
    return live_price_in(who, a, n, CT_CABIN_ECONOMY, leg_amount);
}

/* ---- tests ---- */

static void full_sync_registers_every_provider(void **state)
{
    (void)state;
    struct timespec t0;
    clock_gettime(CLOCK_MONOTONIC, &t0);
    assert_int_equal(ct_ingest_sync_once(ing), CT_OK);
    double secs = seconds_since(&t0);
    ct_ingest_stats st[NPROV];
    assert_int_equal(ct_ingest_stats_get(ing, st, NPROV), NPROV);
    for (int i = 0; i < NPROV; i++)
        full_requests[i] = st[i].requests;
    uint64_t records = 0, requests = 0;
    for (int i = 0; i < NPROV; i++) {
        assert_string_equal(st[i].name, names[i]);
        assert_true(st[i].fares_applied > 0);
        assert_true(st[i].seats_applied > 0);
        assert_int_equal(st[i].rejected, 0);
        assert_int_equal(st[i].unknown, 0);
        assert_int_equal(st[i].failures, 0);
        assert_true(st[i].full_done && st[i].last_sync > 0 && st[i].observations > 0);
        records += st[i].fares_applied + st[i].seats_applied;
        requests += st[i].requests;
    }
    fprintf(stderr,
            "full sync: %d providers, %zu dated legs in the timetable, %llu records in %.2f s "
            "(%.0f records/s, %llu requests)\n",
            NPROV, tt->nlegs, (unsigned long long)records, secs, (double)records / secs,
            (unsigned long long)requests);

    ct_pb_view v;
    ct_pricebook_acquire(pb, &v);
    const ct_pb_snapshot *s = v.snap;
    assert_int_equal(s->nproviders, NPROV);
    /* An airline files in its home currency: the one of the carrier each gateway sells. */
    const char *cur1 = W->carriers[sb_provider_default_carrier(W, 1)].currency;
    const char *cur2 = W->carriers[sb_provider_default_carrier(W, 2)].currency;
    const struct {
        ct_provider_kind kind;
        const char *cur;
        int64_t fee;
    } want[NPROV] = {{CT_PROVIDER_AIRLINE, cur1, 0},
                     {CT_PROVIDER_AIRLINE, cur2, 0},
                     {CT_PROVIDER_AGENCY, "EUR", 1200},
                     {CT_PROVIDER_AGENCY, "USD", 999},
                     {CT_PROVIDER_COMBINER, "GBP", 1800}};
    for (int i = 0; i < NPROV; i++) {
        int p = provider_index(s, names[i]);
        assert_true(p >= 0);
        const ct_provider_desc *d = &s->providers[p].desc;
        assert_int_equal(d->kind, want[i].kind);
        assert_string_equal(d->currency, want[i].cur);
        assert_int_equal(d->fee_minor, want[i].fee);
        assert_int_equal(d->minor_digits, 2);
        if (i == COMB)
            assert_int_equal(d->min_self_transfer_min, 120);
        /* Carriers sold: exactly the provider's. */
        for (size_t c = 0; c < tt->ncarriers; c++) {
            int wc = world_carrier(tt->carriers[c]);
            assert_true(wc >= 0);
            assert_int_equal(s->providers[p].sells[c] != 0, sb_provider_sells(prov[i], wc) != 0);
        }
    }
    /* Alliances: carriers cooperate in the pricebook exactly when they do in the world. */
    for (size_t a = 0; a < tt->ncarriers; a++) {
        int wa = world_carrier(tt->carriers[a]);
        assert_int_equal(s->alliance[a] != 0, W->carriers[wa].alliance != SB_ALLIANCE_NONE);
        for (size_t b = 0; b < tt->ncarriers; b++) {
            int wb = world_carrier(tt->carriers[b]);
            if (W->carriers[wa].alliance != SB_ALLIANCE_NONE)
                assert_int_equal(s->alliance[a] == s->alliance[b],
                                 W->carriers[wa].alliance == W->carriers[wb].alliance);
        }
    }
    int eur = ct_pb_currency_id(s, "EUR");
    assert_true(eur >= 0 && s->usd_rate[eur] > 0.85 && s->usd_rate[eur] < 1.0);
    assert_int_equal(s->rates_day, day0);
    ct_pricebook_release(pb, &v);
    assert_true(atomic_load(&n_price_events) > 0);
    assert_true(atomic_load(&n_fare_events) > 0);
}

/* A sample of legs provider `p` sells with an open economy class, at least a day ahead. */
static int sample_legs(const ct_pb_view *v, int p, uint32_t *out, int max)
{
    int n = 0;
    size_t stride = tt->nlegs / 997 + 1;
    for (size_t k = 0; k < tt->nlegs && n < max; k += stride) {
        const ct_leg *l = &tt->legs[k];
        uint32_t w = ct_pb_seats(v, p, k);
        if (!v->snap->providers[p].sells[l->carrier] || w == CT_SEATS_UNKNOWN ||
            (int64_t)l->dep * 60 < base_now + 86400 || lowest_open(w, 0) < 0)
            continue;
        out[n++] = (uint32_t)k;
    }
    return n;
}

static int64_t book_amount(const ct_pb_view *v, int p, uint32_t leg)
{
    int c = lowest_open(ct_pb_seats(v, p, leg), 0);
    const ct_pb_provider *pv = &v->snap->providers[p];
    assert_non_null(pv->amount);
    return pv->amount[v->market[leg]][c];
}

static void prices_equal_live_quotes(void **state)
{
    (void)state;
    ct_pb_view v;
    ct_pricebook_acquire(pb, &v);
    int checked = 0;
    for (int i = AIR1; i <= OTA_USD; i++) {
        int p = provider_index(v.snap, names[i]);
        uint32_t legs[8];
        int n = sample_legs(&v, p, legs, 8);
        assert_true(n >= 4);
        for (int k = 0; k < n; k++) {
            int64_t expect = book_amount(&v, p, legs[k]), amounts[2];
            assert_int_equal(live_price(i, &legs[k], 1, amounts), expect);
            checked++;
        }
    }
    /* The combiner sells only self-transfers: a leg, then another carrier that does not
     * cooperate from its arrival airport 2 to 24 hours later; each leg's amount. */
    int p = provider_index(v.snap, names[COMB]);
    uint32_t legs[64];
    int n = sample_legs(&v, p, legs, 64), pairs = 0;
    for (int k = 0; k < n && pairs < 6; k++) {
        const ct_leg *a = &tt->legs[legs[k]];
        for (uint32_t x = tt->first[a->to]; x < tt->first[a->to + 1]; x++) {
            const ct_leg *b = &tt->legs[x];
            uint8_t ga = v.snap->alliance[a->carrier], gb = v.snap->alliance[b->carrier];
            if (b->dep < a->arr + 120 || b->dep > a->arr + 24 * 60 || b->to == a->from ||
                b->carrier == a->carrier || (ga != 0 && ga == gb))
                continue;
            uint32_t w = ct_pb_seats(&v, p, x);
            if (w == CT_SEATS_UNKNOWN || lowest_open(w, 0) < 0 ||
                !v.snap->providers[p].sells[b->carrier])
                continue;
            uint32_t pair[2] = {legs[k], x};
            int64_t amounts[2];
            int64_t total = live_price(COMB, pair, 2, amounts);
            assert_int_equal(amounts[0], book_amount(&v, p, pair[0]));
            assert_int_equal(amounts[1], book_amount(&v, p, pair[1]));
            assert_int_equal(total, amounts[0] + amounts[1]); /* separate one-leg tickets */
            pairs++;
            checked += 2;
            break;
        }
    }
    assert_true(pairs >= 3);
    fprintf(stderr, "checked %d leg prices against live quotes\n", checked);
    ct_pricebook_release(pb, &v);
}

/* The engine's itineraries, priced by the platform from the feeds, against each provider's
 * live pricing of the same legs: through fares, alliances and self-transfers included. */
static void searched_itineraries_price_like_live_offers(void **state)
{
    (void)state;
    ct_pb_view v;
    ct_pricebook_acquire(pb, &v);
    ct_price_ctx pc;
    assert_int_equal(ct_price_ctx_init(&pc, &v, CT_CABIN_ECONOMY, 1, 1, "USD"), CT_OK);
    int checked = 0, multi = 0, kinds[3] = {0};
    for (int k = 0; k < 400 && checked < 60; k++) {
        uint16_t o = (uint16_t)tt->legs[(size_t)k * 7919 % tt->nlegs].from;
        uint16_t d = (uint16_t)tt->legs[(size_t)k * 104729 % tt->nlegs].to;
        if (o == d)
            continue;
        ct_search_query q = {&o, 1, &d, 1, day0 + 3 + k % 20, 2, &pc};
        ct_search_result r;
        assert_int_equal(ct_search_oneway(tt, &q, &r), CT_OK);
        for (size_t i = 0; i < r.n && i < 3; i++) {
            const ct_itinerary *it = &r.items[i];
            int nlegs = it->nlegs;
            uint32_t idx[3];
            for (int x = 0; x < nlegs; x++)
                idx[x] = (uint32_t)(it->legs[x] - tt->legs);
            for (int who = AIR1; who < NPROV; who++) {
                int p = provider_index(v.snap, names[who]);
                int64_t want = ct_price_slice_provider(&pc, p, it->legs, nlegs, NULL);
                if (want < 0 || nlegs > 2)
                    continue; /* not sold there (or three legs: live_price takes two) */
                int64_t amounts[3];
                assert_int_equal(live_price(who, idx, nlegs, amounts), want);
                checked++;
                multi += nlegs > 1;
                kinds[v.snap->providers[p].desc.kind]++;
            }
        }
        ct_search_result_free(&r);
    }
    fprintf(stderr, "checked %d searched itineraries (%d with connections) against live pricing\n",
            checked, multi);
    assert_true(checked >= 20 && multi >= 5);
    assert_true(kinds[CT_PROVIDER_AIRLINE] > 0 && kinds[CT_PROVIDER_AGENCY] > 0 &&
                kinds[CT_PROVIDER_COMBINER] > 0);
    ct_pricebook_release(pb, &v);
}

/* Premium economy, business and first, as searched over the ingested feeds, against each
 * provider's live pricing of the same legs in that cabin: every leg on an aircraft with the
 * cabin, the price the provider quotes. */
static void every_cabin_prices_like_live_offers(void **state)
{
    (void)state;
    ct_pb_view v;
    ct_pricebook_acquire(pb, &v);
    static const ct_cabin cabins[] = {CT_CABIN_PREMIUM, CT_CABIN_BUSINESS, CT_CABIN_FIRST};
    for (size_t c = 0; c < sizeof(cabins) / sizeof(cabins[0]); c++) {
        ct_price_ctx pc;
        assert_int_equal(ct_price_ctx_init(&pc, &v, cabins[c], 1, 1, "USD"), CT_OK);
        int checked = 0, priced = 0;
        /* From the legs with the cabin: their own routes, so that the search has some. */
        for (size_t k = 0; k < tt->nlegs && checked < 12; k += 97) {
            const ct_leg *seed = &tt->legs[k];
            if (!ct_leg_has_cabin(seed, cabins[c]) || seed->local_date < day0 + 3)
                continue;
            uint16_t o = seed->from, d = seed->to;
            ct_search_query q = {&o, 1, &d, 1, seed->local_date, 1, &pc};
            ct_search_result r;
            assert_int_equal(ct_search_oneway(tt, &q, &r), CT_OK);
            for (size_t i = 0; i < r.n && i < 2; i++) {
                const ct_itinerary *it = &r.items[i];
                uint32_t idx[CT_SEARCH_MAX_LEGS] = {0};
                for (int x = 0; x < it->nlegs; x++) {
                    assert_true(ct_leg_has_cabin(it->legs[x], cabins[c]));
                    idx[x] = (uint32_t)(it->legs[x] - tt->legs);
                }
                priced += it->price > 0;
                for (int who = AIR1; who < COMB && it->nlegs <= 2; who++) {
                    int p = provider_index(v.snap, names[who]);
                    int64_t want = ct_price_slice_provider(&pc, p, it->legs, it->nlegs, NULL);
                    if (want < 0)
                        continue;
                    int64_t amounts[3];
                    assert_int_equal(live_price_in(who, idx, it->nlegs, cabins[c], amounts), want);
                    checked++;
                }
            }
            ct_search_result_free(&r);
        }
        fprintf(stderr, "%s: %d itineraries priced, %d checked against live pricing\n",
                ct_cabin_name(cabins[c]), priced, checked);
        int flown = 0; /* the small world may fly no aircraft with the cabin (first) */
        for (size_t l = 0; l < tt->nlegs && !flown; l++)
            flown = ct_leg_has_cabin(&tt->legs[l], cabins[c]);
        assert_true((priced > 0 && checked >= 4) || (!flown && cabins[c] == CT_CABIN_FIRST));
    }
    ct_pricebook_release(pb, &v);
}

/* One segment of a return in provider who's dialect, slice `sl`. */
static json_t *return_segment(int who, const ct_leg *l, int sl)
{
    char date[11], num[8];
    date_text(l->local_date, date);
    snprintf(num, sizeof(num), "%d", l->number);
    const char *cr = tt->carriers[l->carrier];
    if (who == AIR1 || who == AIR2)
        return json_pack("{s:s, s:s, s:s, s:s, s:s}", "MarketingCarrier", cr, "FlightNumber", num,
                         "DepDate", date, "Dep", iata(l->from), "Arr", iata(l->to));
    if (who == OTA_EUR)
        return json_pack("{s:i, s:s, s:i, s:s, s:s, s:s}", "slice", sl, "airline", cr,
                         "flight_number", (int)l->number, "date", date, "from", iata(l->from), "to",
                         iata(l->to));
    return json_pack("{s:s, s:i, s:s, s:s, s:s}", "carrier", cr, "flightNumber", (int)l->number,
                     "departureDate", date, "origin", iata(l->from), "destination", iata(l->to));
}

/* Provider who's live fare (fees excluded, minor units, one passenger) for a two-slice trip. */
static int64_t live_return_fare(int who, const ct_trip *t)
{
    json_t *s[2] = {json_array(), json_array()}, *flat = json_array(), *r;
    for (int sl = 0; sl < 2; sl++) {
        for (int k = 0; k < t->slice[sl].nlegs; k++) {
            json_array_append_new(s[sl], return_segment(who, t->slice[sl].legs[k], sl));
            json_array_append_new(flat, return_segment(who, t->slice[sl].legs[k], sl));
        }
    }
    int64_t fare = -1;
    int32_t v = 0;
    if (who == AIR1 || who == AIR2) {
        json_decref(flat);
        r = post(who, "/ndc/v1/offers",
                 json_pack("{s:{s:[{s:o}, {s:o}], s:[{s:s}], s:s}}", "PricingQuery", "OriginDest",
                           "PaxSegment", s[0], "PaxSegment", s[1], "PaxList", "PTC", "ADT",
                           "CabinType", "ECONOMY"),
                 200);
        assert_int_equal(
            ct_ingest_decimal(
                json_string_value(jget(r, "PricedOffer.TotalPrice.TotalAmount.Amount")), 2, &v),
            CT_OK);
        fare = v;
    } else if (who == OTA_EUR) {
        json_decref(s[0]);
        json_decref(s[1]);
        r = post(
            who, "/api/quotes",
            json_pack("{s:o, s:i, s:s}", "segments", flat, "passengers", 1, "cabin", "economy"),
            200);
        fare = llround(json_number_value(json_object_get(json_object_get(r, "quote"), "fare")) *
                       100.0);
    } else {
        json_decref(flat);
        r = post(who, "/v2/pricing",
                 json_pack("{s:[{s:o}, {s:o}], s:i, s:s}", "trips", "flights", s[0], "flights",
                           s[1], "travelerCount", 1, "cabin", "COACH"),
                 200);
        fare = json_integer_value(json_object_get(json_object_get(r, "pricing"), "baseFareCents"));
    }
    json_decref(r);
    return fare;
}

/* Round trips found by the trip search, each airline's and agency's offer against its live
 * pricing of the same return (the one-ticket discount included). */
static void round_trips_price_like_live_offers(void **state)
{
    (void)state;
    ct_pb_view v;
    ct_pricebook_acquire(pb, &v);
    ct_price_ctx pc;
    assert_int_equal(ct_price_ctx_init(&pc, &v, CT_CABIN_ECONOMY, 1, 1, "USD"), CT_OK);
    int checked = 0, one_ticket = 0;
    for (int k = 0; k < 300 && checked < 30; k++) {
        const ct_leg *seed = &tt->legs[(size_t)k * 7919 % tt->nlegs];
        if (seed->local_date < day0 + 3 || seed->local_date > day0 + 20)
            continue;
        uint16_t o = seed->from, d = seed->to;
        ct_search_query q[2] = {{&o, 1, &d, 1, seed->local_date, 1, &pc},
                                {&d, 1, &o, 1, seed->local_date + 3, 1, &pc}};
        ct_trip_result r;
        assert_int_equal(ct_trip_search(tt, q, 2, &r), CT_OK);
        for (size_t i = 0; i < r.n && i < 4; i++) {
            const ct_trip *t = &r.items[i];
            for (int who = AIR1; who <= OTA_USD; who++) {
                int p = provider_index(v.snap, names[who]);
                if (t->native[p] < 0)
                    continue;
                int64_t fee = v.snap->providers[p].desc.fee_minor;
                assert_int_equal(live_return_fare(who, t), t->native[p] - fee);
                int64_t parts =
                    ct_price_slice_provider(&pc, p, t->slice[0].legs, t->slice[0].nlegs, NULL) +
                    ct_price_slice_provider(&pc, p, t->slice[1].legs, t->slice[1].nlegs, NULL);
                one_ticket += t->native[p] - fee < parts;
                checked++;
            }
        }
        ct_trip_result_free(&r);
    }
    fprintf(stderr, "checked %d round-trip offers (%d with the one-ticket discount) live\n",
            checked, one_ticket);
    assert_true(checked >= 10 && one_ticket >= 3);
    ct_pricebook_release(pb, &v);
}

/* An order at airline-1 for `seats` economy seats of leg l (closing its lowest class when
 * that is every seat left in it). */
static void order_seats(const ct_leg *l, int seats)
{
    char date[11], num[8];
    date_text(l->local_date, date);
    snprintf(num, sizeof(num), "%d", l->number);
    json_t *pax = json_array();
    for (int i = 0; i < seats; i++)
        json_array_append_new(pax, json_pack("{s:s}", "PTC", "ADT"));
    json_t *offer =
        post(AIR1, "/ndc/v1/offers",
             json_pack("{s:{s:[{s:[{s:s, s:s, s:s, s:s, s:s}]}], s:o, s:s}}", "PricingQuery",
                       "OriginDest", "PaxSegment", "MarketingCarrier", tt->carriers[l->carrier],
                       "FlightNumber", num, "DepDate", date, "Dep", iata(l->from), "Arr",
                       iata(l->to), "PaxList", pax, "CabinType", "ECONOMY"),
             200);
    const char *id =
        json_string_value(json_object_get(json_object_get(offer, "PricedOffer"), "OfferID"));
    json_t *names_list = json_array();
    for (int i = 0; i < seats; i++)
        json_array_append_new(names_list, json_pack("{s:s, s:s, s:s}", "PTC", "ADT", "GivenName",
                                                    "Ada", "Surname", "Lovelace"));
    json_t *order = post(AIR1, "/ndc/v1/orders",
                         json_pack("{s:s, s:o}", "OfferID", id, "PaxList", names_list), 201);
    json_decref(order);
    json_decref(offer);
}

/* The AIR1 leg whose lowest open economy class has fewer than 9 seats (-1: none) and how
 * many. */
static int pick_leg(int *seats)
{
    ct_pb_view v;
    ct_pricebook_acquire(pb, &v);
    int p = provider_index(v.snap, names[AIR1]);
    uint32_t legs[64];
    int n = sample_legs(&v, p, legs, 64), pick = -1;
    for (int k = 0; k < n && pick < 0; k++) {
        uint32_t w = ct_pb_seats(&v, p, legs[k]);
        int c = lowest_open(w, 0);
        if (c >= 0 && ct_seats_of(w, c) < 9) {
            pick = (int)legs[k];
            *seats = ct_seats_of(w, c);
        }
    }
    ct_pricebook_release(pb, &v);
    return pick;
}

static void order_then_incremental_sync_moves_seats(void **state)
{
    (void)state;
    ct_pb_view v;
    ct_pricebook_acquire(pb, &v);
    int p = provider_index(v.snap, names[AIR1]);
    uint32_t legs[64];
    int n = sample_legs(&v, p, legs, 64), pick = -1;
    for (int k = 0; k < n && pick < 0; k++) {
        uint32_t w = ct_pb_seats(&v, p, legs[k]);
        int c = lowest_open(w, 0);
        if (ct_seats_of(w, c) < 9)
            pick = (int)legs[k];
    }
    assert_true(pick >= 0);
    uint32_t before = ct_pb_seats(&v, p, (size_t)pick);
    int seats = ct_seats_of(before, lowest_open(before, 0));
    ct_pricebook_release(pb, &v);
    const ct_leg *l = &tt->legs[pick];
    order_seats(l, seats);

    ct_ingest_stats st0[NPROV], st1[NPROV];
    ct_ingest_stats_get(ing, st0, NPROV);
    int events0 = atomic_load(&n_price_events);
    struct timespec t0;
    clock_gettime(CLOCK_MONOTONIC, &t0);
    assert_int_equal(ct_ingest_sync_once(ing), CT_OK);
    double secs = seconds_since(&t0);
    ct_ingest_stats_get(ing, st1, NPROV);
    ct_pricebook_acquire(pb, &v);
    /* Seats are shared: every provider selling the leg sees the order. */
    for (int i = 0; i < NPROV; i++) {
        int q = provider_index(v.snap, names[i]);
        if (!v.snap->providers[q].sells[l->carrier])
            continue;
        uint32_t after = ct_pb_seats(&v, q, (size_t)pick);
        assert_true(after != CT_SEATS_UNKNOWN);
        if (i == AIR1 || i == AIR2 || i == COMB)
            assert_int_not_equal(after, before);
        assert_true(st1[i].seats_applied > st0[i].seats_applied);
        assert_true(st1[i].seats_applied - st0[i].seats_applied < 50); /* only changes */
    }
    uint32_t after = ct_pb_seats(&v, p, (size_t)pick);
    assert_true(lowest_open(after, 0) != lowest_open(before, 0));
    ct_pricebook_release(pb, &v);
    assert_true(atomic_load(&n_price_events) > events0);
    fprintf(stderr, "incremental sync after an order: %.3f s\n", secs);
}

/* Every seat word and fare of two pricebooks over the same timetable are equal. */
static void assert_same_book(ct_pricebook *a, ct_pricebook *b)
{
    ct_pb_view va, vb;
    ct_pricebook_acquire(a, &va);
    ct_pricebook_acquire(b, &vb);
    for (int i = 0; i < NPROV; i++) {
        int pa = provider_index(va.snap, names[i]), pbi = provider_index(vb.snap, names[i]);
        assert_true(pa >= 0 && pbi >= 0);
        for (size_t k = 0; k < tt->nlegs; k++)
            assert_int_equal(ct_pb_seats(&va, pa, k), ct_pb_seats(&vb, pbi, k));
        assert_memory_equal(va.snap->providers[pa].amount, vb.snap->providers[pbi].amount,
                            va.nmarkets * sizeof(int32_t[CT_NCLASSES]));
    }
    ct_pricebook_release(b, &vb);
    ct_pricebook_release(a, &va);
}

static void faults_are_survived_with_the_same_result(void **state)
{
    (void)state;
    for (int i = 0; i < NPROV; i++) {
        char body[256];
        snprintf(body, sizeof(body),
                 "{\"error_rate\":0.2,\"malformed_rate\":0.2,\"timeout_rate\":0.03,"
                 "\"timeout_ms\":3000,\"seed\":%d}",
                 11 + i);
        ts_response r = ts_http("PUT", ports[i], "/admin/faults", body, NULL);
        assert_int_equal(r.status, 200);
        ts_response_free(&r);
    }
    ct_pricebook *pb2;
    ct_ingest *ing2;
    assert_int_equal(ct_pricebook_new(tt, &pb2), CT_OK);
    ct_ingest_config cfg;
    config_for(&cfg);
    cfg.timeout_ms = 1000;
    assert_int_equal(ct_ingest_new(pb2, &cfg, &ing2), CT_OK);
    assert_int_equal(ct_ingest_sync_once(ing2), CT_OK);
    ct_ingest_stats st[NPROV];
    ct_ingest_stats_get(ing2, st, NPROV);
    uint64_t retries = 0;
    for (int i = 0; i < NPROV; i++)
        retries += st[i].retries;
    fprintf(stderr, "sync under faults: %llu retries\n", (unsigned long long)retries);
    assert_true(retries > 0);
    for (int i = 0; i < NPROV; i++) {
        ts_response r = ts_http("PUT", ports[i], "/admin/faults", "{}", NULL);
        assert_int_equal(r.status, 200);
        ts_response_free(&r);
    }
    assert_int_equal(ct_ingest_sync_once(ing), CT_OK); /* the reference, without faults */
    assert_same_book(pb, pb2);
    /* An incremental sync under faults too. */
    ct_ingest_free(ing2);
    ct_pricebook_free(pb2);
}

static void bad_records_are_rejected_and_the_rest_kept(void **state)
{
    (void)state;
    ct_ingest_page page;
    char err[256];
    static const struct {
        ct_ingest_dialect d;
        ct_ingest_feed feed;
        const char *doc;
        size_t good;
        const char *field;
    } cases[] = {
        {CT_DIALECT_NDC, CT_FEED_FARES,
         "{\"CurCode\":\"USD\",\"Fares\":["
         "{\"Owner\":\"US\",\"Origin\":\"ORD\",\"Destination\":\"DTW\",\"FareDetails\":["
         "{\"RBD\":\"Y\",\"OneWay\":\"412.00\"},{\"RBD\":\"B\",\"OneWay\":\"330.5\"}]},"
         "{\"Owner\":\"US\",\"Origin\":\"ORD\",\"Destination\":\"BWI\",\"FareDetails\":["
         "{\"RBD\":\"Y\",\"OneWay\":\"41,00\"}]},"
         "{\"Owner\":\"US\",\"Origin\":\"DTW\",\"Destination\":\"ORD\",\"FareDetails\":[]}],"
         "\"NextPageToken\":null,\"Cursor\":\"Q3x4\"}",
         2, "Fares[1].FareDetails[0].OneWay"},
        {CT_DIALECT_NDC, CT_FEED_AVAIL,
         "{\"Legs\":[{\"MarketingCarrier\":\"US\",\"FlightNumber\":\"0001\",\"Dep\":\"ORD\","
         "\"Arr\":\"DTW\",\"DepDateTime\":\"2026-12-01T13:20:00Z\","
         "\"AvailabilityText\":\"Y9B9M9H4Q0V0J0C0\"},"
         "{\"MarketingCarrier\":\"US\",\"Dep\":\"ORD\",\"Arr\":\"DTW\","
         "\"DepDateTime\":\"2026-12-01T13:20:00Z\",\"AvailabilityText\":\"Y9\"}],"
         "\"NextPageToken\":\"abc\",\"Cursor\":\"Q3x4\"}",
         1, "Legs[1].FlightNumber"},
        {CT_DIALECT_VOYAGIO, CT_FEED_FARES,
         "{\"currency\":\"EUR\",\"fares\":[{\"airline\":\"US\",\"from\":\"ADL\",\"to\":\"ORD\","
         "\"classes\":[{\"code\":\"Y\",\"one_way\":2555.5},{\"code\":\"B\",\"one_way\":71.82}]},"
         "{\"airline\":\"US\",\"from\":\"ADL\",\"to\":\"ORD\",\"classes\":[{\"code\":\"Y\","
         "\"one_way\":12.345}]},{\"airline\":\"US\",\"from\":\"ORD\",\"to\":\"ADL\","
         "\"classes\":[{\"code\":\"X\",\"one_way\":1}]}],\"next_page\":null,"
         "\"sync_token\":\"Q3x4\"}",
         1, "fares[1].classes[0].one_way"},
        {CT_DIALECT_VOYAGIO, CT_FEED_AVAIL,
         "{\"flights\":[{\"airline\":\"US\",\"flight\":\"US1\",\"from\":\"ORD\",\"to\":\"DTW\","
         "\"departs_at\":\"2026-12-01T13:20:00Z\",\"availability\":\"Y9B9M9H4Q0V0J0C0\"},"
         "{\"airline\":\"US\",\"flight\":\"K51\",\"from\":\"ORD\",\"to\":\"DTW\","
         "\"departs_at\":\"2026-12-01T13:20:00Z\",\"availability\":\"Y9B9M9H4Q0V0J0C0\"}],"
         "\"next_page\":null,\"sync_token\":\"Q3x4\"}",
         1, "flights[1].flight"},
        {CT_DIALECT_FAREFINDER, CT_FEED_FARES,
         "{\"currency\":\"USD\",\"data\":["
         "{\"carrier\":\"US\",\"origin\":\"ADL\",\"destination\":\"ORD\",\"bookingClass\":\"Y\","
         "\"oneWayCents\":266448},"
         "{\"carrier\":\"US\",\"origin\":\"ADL\",\"destination\":\"ORD\",\"bookingClass\":\"B\","
         "\"oneWayCents\":213200},"
         "{\"carrier\":\"US\",\"origin\":\"ORD\",\"destination\":\"ADL\",\"bookingClass\":\"Y\","
         "\"oneWayCents\":\"12\"},"
         "{\"carrier\":\"US\",\"origin\":\"ORD\",\"destination\":\"ADL\",\"bookingClass\":\"B\","
         "\"oneWayCents\":100}],\"paging\":{\"next\":null},\"syncCursor\":\"Q3x4\"}",
         1, "data[2].oneWayCents"},
        {CT_DIALECT_FAREFINDER, CT_FEED_AVAIL,
         "{\"data\":[{\"carrier\":\"US\",\"flightNumber\":1,\"origin\":\"ORD\","
         "\"destination\":\"DTW\",\"departureTime\":\"2026-12-01T13:20:00Z\",\"seats\":{\"Y\":9,"
         "\"B\":9,\"M\":9,\"H\":3,\"Q\":0,\"V\":0,\"J\":0,\"C\":0}},"
         "{\"carrier\":\"US\",\"flightNumber\":2,\"origin\":\"ORD\",\"destination\":\"DTW\","
         "\"departureTime\":\"2026-12-01T13:20:00Z\",\"seats\":{\"Y\":-1}}],"
         "\"paging\":{\"next\":null},\"syncCursor\":\"Q3x4\"}",
         1, "data[1].seats.Y"},
        {CT_DIALECT_HOPSCOTCH, CT_FEED_FARES,
         "{\"currency\":\"GBP\",\"items\":[{\"carrier\":\"US\",\"origin\":\"ADL\","
         "\"destination\":\"ORD\",\"fares\":{\"Y\":{\"one_way\":\"1979.38\"},"
         "\"B\":{\"one_way\":\"1583.82\"}}},{\"carrier\":\"US\",\"origin\":\"ADL\","
         "\"destination\":\"ORD\",\"fares\":{\"Y\":{\"one_way\":1979.38}}}],"
         "\"next_page_token\":null,\"cursor\":\"Q3x4\"}",
         1, "items[1].fares.Y.one_way"},
        {CT_DIALECT_HOPSCOTCH, CT_FEED_AVAIL,
         "{\"items\":[{\"carrier\":\"US\",\"number\":1,\"origin\":\"ORD\","
         "\"destination\":\"DTW\",\"departure\":\"2026-12-01T13:20:00Z\","
         "\"availability\":\"Y9B9M9H3Q0V0J0C0\"},{\"carrier\":\"US\",\"number\":1,"
         "\"origin\":\"ORD\",\"destination\":\"DTW\",\"departure\":\"2026-12-01T13:20:00Z\","
         "\"availability\":\"Y9Y9\"}],\"next_page_token\":null,\"cursor\":\"Q3x4\"}",
         1, "items[1].availability"},
    };
    for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
        const char *doc = cases[i].doc;
        assert_int_equal(ct_ingest_parse(cases[i].d, cases[i].feed, doc, strlen(doc), 2, &page, err,
                                         sizeof(err)),
                         CT_OK);
        size_t good = cases[i].feed == CT_FEED_FARES ? page.nfares : page.nseats;
        if (good != cases[i].good)
            fail_msg("case %zu: %zu good records", i, good);
        assert_true(page.nrejected >= 1);
        assert_string_equal(page.rejects[0].field, cases[i].field);
        /* A page cut in half (a malformed fault) is unusable as a whole: retried. */
        ct_ingest_page half;
        assert_int_equal(ct_ingest_parse(cases[i].d, cases[i].feed, doc, strlen(doc) / 2, 2, &half,
                                         err, sizeof(err)),
                         CT_INVALID);
        ct_ingest_page_clear(&page);
    }
    /* The kept records carry exact amounts. */
    const char *doc = cases[0].doc;
    assert_int_equal(ct_ingest_parse(CT_DIALECT_NDC, CT_FEED_FARES, doc, strlen(doc), 2, &page, err,
                                     sizeof(err)),
                     CT_OK);
    assert_int_equal(page.fares[0].amount[0], 41200);
    assert_int_equal(page.fares[0].amount[1], 33050);
    assert_int_equal(page.fares[0].amount[2], CT_AMOUNT_NONE);
    assert_string_equal(page.cursor, "Q3x4");
    ct_ingest_page_clear(&page);
    doc = cases[2].doc;
    assert_int_equal(ct_ingest_parse(CT_DIALECT_VOYAGIO, CT_FEED_FARES, doc, strlen(doc), 2, &page,
                                     err, sizeof(err)),
                     CT_OK);
    assert_int_equal(page.fares[0].amount[0], 255550);
    assert_int_equal(page.fares[0].amount[1], 7182);
    ct_ingest_page_clear(&page);
    /* The providers module indexes classes as the pricebook does. */
    for (int c = 0; c < CT_NCLASSES; c++)
        assert_int_equal(ct_class_letter(c), CT_PROVIDERS_CLASS_LETTERS[c]);
    /* Decimal text. */
    int32_t v;
    assert_int_equal(ct_ingest_decimal("0.07", 2, &v), CT_OK);
    assert_int_equal(v, 7);
    assert_int_equal(ct_ingest_decimal("19", 2, &v), CT_OK);
    assert_int_equal(v, 1900);
    assert_int_equal(ct_ingest_decimal("150.000", 0, &v), CT_OK);
    assert_int_equal(v, 150);
    assert_int_equal(ct_ingest_decimal("150.5", 0, &v), CT_INVALID);
    assert_int_equal(ct_ingest_decimal("-1.00", 2, &v), CT_INVALID);
    assert_int_equal(ct_ingest_decimal("1.", 2, &v), CT_INVALID);
    assert_int_equal(ct_ingest_decimal("99999999999", 2, &v), CT_INVALID);
    assert_int_equal(ct_ingest_decimal("1e3", 2, &v), CT_INVALID);
}

/* A fake NDC gateway serving crafted documents: one bad record in the fares page and one
 * in the availability page, among good ones naming real markets and legs. */
static void fake_reply(ct_http_req *req, void *ctx)
{
    const char *body = ctx;
    ct_http_reply(req, 200, "application/json", body, strlen(body));
}

static void bad_records_in_a_sync_are_counted_and_the_rest_applied(void **state)
{
    (void)state;
    /* Two real legs of one carrier from one airport, and their markets. */
    const ct_leg *a = NULL, *b = NULL;
    for (size_t k = 0; k + 1 < tt->nlegs && b == NULL; k++) {
        a = &tt->legs[k];
        const ct_leg *x = &tt->legs[k + 1];
        if (x->from == a->from && (x->to != a->to || x->carrier != a->carrier))
            b = x;
    }
    assert_non_null(b);
    static char schedules[512], fares[2048], avail[2048];
    const char *ca = tt->carriers[a->carrier], *cb = tt->carriers[b->carrier];
    snprintf(schedules, sizeof(schedules),
             "{\"Owner\":\"%s\",\"CurCode\":\"USD\",\"Carriers\":["
             "{\"AirlineDesigCode\":\"%s\",\"Alliance\":null},"
             "{\"AirlineDesigCode\":\"%s\",\"Alliance\":\"sky\"}]}",
             ca, ca, cb);
    snprintf(fares, sizeof(fares),
             "{\"CurCode\":\"USD\",\"Fares\":["
             "{\"Owner\":\"%s\",\"Origin\":\"%s\",\"Destination\":\"%s\",\"FareDetails\":["
             "{\"RBD\":\"Y\",\"OneWay\":\"100.00\"},{\"RBD\":\"V\",\"OneWay\":\"20.00\"}]},"
             "{\"Owner\":\"%s\",\"Origin\":\"%s\",\"Destination\":\"%s\",\"FareDetails\":["
             "{\"RBD\":\"Y\",\"OneWay\":\"12.3.4\"}]},"
             "{\"Owner\":\"%s\",\"Origin\":\"%s\",\"Destination\":\"%s\",\"FareDetails\":["
             "{\"RBD\":\"Y\",\"OneWay\":\"90.00\"}]}],"
             "\"NextPageToken\":null,\"Cursor\":\"Q3wx\"}",
             ca, iata(a->from), iata(a->to), ca, iata(a->from), iata(a->to), cb, iata(b->from),
             iata(b->to));
    char da[32], db[32];
    ct_utc_format((ct_utc)a->dep * 60, da, sizeof(da));
    ct_utc_format((ct_utc)b->dep * 60, db, sizeof(db));
    snprintf(avail, sizeof(avail),
             "{\"Legs\":[{\"MarketingCarrier\":\"%s\",\"FlightNumber\":\"%04d\",\"Dep\":\"%s\","
             "\"Arr\":\"%s\",\"DepDateTime\":\"%s\",\"AvailabilityText\":\"Y9B9M9H4Q0V2J0C0\"},"
             "{\"MarketingCarrier\":\"%s\",\"FlightNumber\":\"%04d\",\"Dep\":\"%s\","
             "\"Arr\":\"%s\",\"DepDateTime\":\"%s\",\"AvailabilityText\":\"Y9B9M9H4Q0V0J0C0\"},"
             "{\"MarketingCarrier\":\"%s\",\"FlightNumber\":\"%04d\",\"Dep\":\"%s\","
             "\"Arr\":\"%s\",\"DepDateTime\":\"tomorrow\",\"AvailabilityText\":\"Y9\"}],"
             "\"NextPageToken\":null,\"Cursor\":\"Q3wx\"}",
             ca, a->number, iata(a->from), iata(a->to), da, cb, b->number, iata(b->from),
             iata(b->to), db, cb, b->number, iata(b->from), iata(b->to));
    static const char rates[] = "{\"base\":\"USD\",\"date\":\"2026-11-23\",\"rates\":{"
                                "\"USD\":1.0,\"EUR\":0.94,\"XX\":1}}";
    ct_router *r = ct_router_create();
    ct_router_add(r, "GET", "/ndc/v1/schedules", fake_reply, schedules);
    ct_router_add(r, "GET", "/ndc/v1/fares", fake_reply, fares);
    ct_router_add(r, "GET", "/ndc/v1/availability", fake_reply, avail);
    ct_router_add(r, "GET", "/rates", fake_reply, (void *)rates);
    ct_http_options o = {.host = "127.0.0.1", .threads = 2};
    ct_http_server *srv;
    assert_int_equal(ct_http_server_start(&o, r, &srv), CT_OK);

    ct_pricebook *pb2;
    ct_ingest *ing2;
    assert_int_equal(ct_pricebook_new(tt, &pb2), CT_OK);
    ct_ingest_config cfg;
    memset(&cfg, 0, sizeof(cfg));
    cfg.nproviders = 1;
    snprintf(cfg.providers[0].name, sizeof(cfg.providers[0].name), "fake-ndc");
    snprintf(cfg.providers[0].base_url, sizeof(cfg.providers[0].base_url), "http://127.0.0.1:%d",
             ct_http_server_port(srv));
    cfg.providers[0].dialect = CT_DIALECT_NDC;
    cfg.today = day0;
    cfg.chunk_days = 365; /* one window: the fake serves the same page for each */
    assert_int_equal(ct_ingest_new(pb2, &cfg, &ing2), CT_OK);
    assert_int_equal(ct_ingest_sync_once(ing2), CT_OK);
    ct_ingest_stats st;
    assert_int_equal(ct_ingest_stats_get(ing2, &st, 1), 1);
    assert_int_equal(st.rejected, 3); /* a fare, a leg, a rate */
    assert_int_equal(st.fares_applied, 2);
    assert_int_equal(st.seats_applied, 2);
    ct_pb_view v;
    ct_pricebook_acquire(pb2, &v);
    assert_int_equal(v.snap->providers[0].desc.kind, CT_PROVIDER_AIRLINE);
    assert_int_equal(v.snap->alliance[b->carrier] != 0, 1);
    size_t ia = (size_t)(a - tt->legs);
    assert_int_equal(lowest_open(ct_pb_seats(&v, 0, ia), 0), 5); /* V2 */
    assert_int_equal(v.snap->providers[0].amount[v.market[ia]][5], 2000);
    assert_int_equal(v.snap->providers[0].amount[v.market[ia]][1], CT_AMOUNT_NONE);
    ct_pricebook_release(pb2, &v);
    ct_ingest_free(ing2);
    ct_pricebook_free(pb2);
    ct_http_server_stop(srv);
    ct_router_destroy(r);
}

/* A horizon reaching past the provider's: the refused windows are fetched day by day, the
 * days it refuses skipped, and incremental passes ask only for the dates it accepted. */
static void horizon_beyond_the_providers(void **state)
{
    (void)state;
    ct_pricebook *pb2;
    ct_ingest *ing2;
    assert_int_equal(ct_pricebook_new(tt, &pb2), CT_OK);
    ct_ingest_config cfg;
    config_for(&cfg);
    cfg.nproviders = 2; /* the gateways are enough */
    cfg.from_day = day0 + 350;
    cfg.to_day = day0 + 375; /* the providers' horizon ends at day0 + 364 */
    cfg.today = day0 + 350;
    assert_int_equal(ct_ingest_new(pb2, &cfg, &ing2), CT_OK);
    assert_int_equal(ct_ingest_sync_once(ing2), CT_OK);
    ct_ingest_stats st[2];
    ct_ingest_stats_get(ing2, st, 2);
    uint64_t unknown = st[0].unknown, requests = st[0].requests;
    assert_true(unknown > 0); /* legs outside the test's timetable: counted, not applied */
    assert_int_equal(ct_ingest_sync_once(ing2), CT_OK);
    ct_ingest_stats_get(ing2, st, 2);
    assert_true(st[0].requests - requests <= 4); /* descriptor, rates, fares, availability */
    ct_ingest_free(ing2);
    ct_pricebook_free(pb2);
}

/* serve's default history ("changes"): the first full pass writes no rows; a sale after it
 * writes rows for what moved and nothing else. */
static void default_history_records_changes_only(void **state)
{
    (void)state;
    char dbpath[400], url[420], err[256];
    snprintf(dbpath, sizeof(dbpath), "%s/changes.db", tmpdir);
    snprintf(url, sizeof(url), "sqlite:%s", dbpath);
    ct_store_close(ts_open_migrated(url));
    ct_store_pool *pool;
    assert_int_equal(ct_store_pool_open(url, 2, &pool, err, sizeof(err)), CT_OK);
    ct_pricebook *pb2;
    ct_ingest *ing2;
    assert_int_equal(ct_pricebook_new(tt, &pb2), CT_OK);
    ct_ingest_config cfg;
    config_for(&cfg);
    cfg.history = pool;
    cfg.history_first = 0;
    assert_int_equal(ct_ingest_new(pb2, &cfg, &ing2), CT_OK);
    assert_int_equal(ct_ingest_sync_once(ing2), CT_OK);
    ct_store *st;
    int64_t rows = -1;
    assert_int_equal(ct_store_pool_acquire(pool, 1000, &st), CT_OK);
    assert_int_equal(ct_store_query_int64(st, "SELECT COUNT(*) FROM price_observation", &rows),
                     CT_OK);
    assert_int_equal(rows, 0);
    ct_store_pool_release(pool, st);
    int seats = 0, leg = pick_leg(&seats);
    assert_true(leg >= 0);
    order_seats(&tt->legs[leg], seats); /* sells its lowest class out: the price moves */
    assert_int_equal(ct_ingest_sync_once(ing2), CT_OK);
    assert_int_equal(ct_store_pool_acquire(pool, 1000, &st), CT_OK);
    assert_int_equal(ct_store_query_int64(st, "SELECT COUNT(*) FROM price_observation", &rows),
                     CT_OK);
    assert_true(rows > 0);
    ct_store_pool_release(pool, st);
    ct_ingest_free(ing2);
    ct_pricebook_free(pb2);
    ct_store_pool_close(pool);
}

/* The latest observation of a leg's economy price equals the pricebook's. */
static void check_history(ct_store *st, ct_pricebook *book, int64_t *rows)
{
    assert_int_equal(ct_store_query_int64(st, "SELECT COUNT(*) FROM price_observation", rows),
                     CT_OK);
    assert_true(*rows > 0);
    ct_pb_view v;
    ct_pricebook_acquire(book, &v);
    int p = provider_index(v.snap, names[OTA_EUR]);
    uint32_t legs[4];
    int n = sample_legs(&v, p, legs, 4);
    assert_true(n > 0);
    for (int k = 0; k < n; k++) {
        const ct_leg *l = &tt->legs[legs[k]];
        ct_stmt *s;
        assert_int_equal(ct_store_prepare(st,
                                          "SELECT lowest_class, amount_minor, currency FROM"
                                          " price_observation WHERE provider = ? AND carrier = ?"
                                          " AND flight_number = ? AND origin = ? AND"
                                          " departure_utc = ? AND cabin = 'economy'"
                                          " ORDER BY observed_at DESC",
                                          &s),
                         CT_OK);
        ct_stmt_bind_text(s, 1, names[OTA_EUR]);
        ct_stmt_bind_text(s, 2, tt->carriers[l->carrier]);
        ct_stmt_bind_int64(s, 3, l->number);
        ct_stmt_bind_text(s, 4, iata(l->from));
        ct_stmt_bind_int64(s, 5, (int64_t)l->dep * 60);
        assert_int_equal(ct_stmt_step(s), CT_ROW);
        char cls[2] = {ct_class_letter(lowest_open(ct_pb_seats(&v, p, legs[k]), 0)), '\0'};
        assert_string_equal(ct_stmt_text(s, 0), cls);
        assert_int_equal(ct_stmt_int64(s, 1), book_amount(&v, p, legs[k]));
        assert_string_equal(ct_stmt_text(s, 2), "EUR");
        ct_stmt_finalize(s);
    }
    ct_pricebook_release(book, &v);
}

static void price_history_on_every_engine(void **state)
{
    (void)state;
    int64_t rows = 0;
    ct_store *st = NULL;
    assert_int_equal(ct_store_pool_acquire(history, 1000, &st), CT_OK);
    check_history(st, pb, &rows);
    ct_store_pool_release(history, st);
    fprintf(stderr, "sqlite: %lld price observations\n", (long long)rows);
    /* PostgreSQL: a fresh full sync writing there. */
    char urls[2][512];
    int n = ts_store_urls(tmpdir, urls, 2);
    if (n < 2) {
        fprintf(stderr, "PostgreSQL: CT_TEST_PG_URL not set, skipped\n");
        return;
    }
    ct_store_close(ts_open_migrated(urls[1]));
    ct_store_pool *pg;
    char err[256];
    assert_int_equal(ct_store_pool_open(urls[1], 2, &pg, err, sizeof(err)), CT_OK);
    ct_pricebook *pb2;
    ct_ingest *ing2;
    assert_int_equal(ct_pricebook_new(tt, &pb2), CT_OK);
    ct_ingest_config cfg;
    config_for(&cfg);
    cfg.history = pg;
    assert_int_equal(ct_ingest_new(pb2, &cfg, &ing2), CT_OK);
    assert_int_equal(ct_ingest_sync_once(ing2), CT_OK);
    assert_int_equal(ct_store_pool_acquire(pg, 1000, &st), CT_OK);
    int64_t pg_rows = 0;
    check_history(st, pb2, &pg_rows);
    ct_store_pool_release(pg, st);
    fprintf(stderr, "postgresql: %lld price observations\n", (long long)pg_rows);
    ct_ingest_free(ing2);
    ct_pricebook_free(pb2);
    ct_store_pool_close(pg);
}

static void background_thread_syncs_and_stops_promptly(void **state)
{
    (void)state;
    ct_ingest_stats st[NPROV];
    ct_ingest_stats_get(ing, st, NPROV);
    int64_t last = st[0].last_sync;
    uint64_t req = st[0].requests;
    assert_int_equal(ct_ingest_start(ing), CT_OK);
    for (int i = 0; i < 200; i++) {
        struct timespec ts = {0, 50 * 1000 * 1000};
        nanosleep(&ts, NULL);
        ct_ingest_stats_get(ing, st, NPROV);
        if (st[0].requests > req && st[NPROV - 1].last_sync >= last && st[0].last_sync >= last)
            break;
    }
    assert_true(st[0].requests > req);
    struct timespec t0;
    clock_gettime(CLOCK_MONOTONIC, &t0);
    ct_ingest_stop(ing);
    double secs = seconds_since(&t0);
    fprintf(stderr, "stopped in %.3f s\n", secs);
    assert_true(secs < 2.0);
    assert_int_equal(ct_ingest_sync_once(ing), CT_OK); /* usable again after a stop */
}

/* A restart: the pricebook and the feeds' state saved by one process, loaded by the next
 * one after an order and time passed in between; its first sync is incremental (no full
 * pass, a fraction of a full sync's requests) and ends equal to a pricebook synced all
 * along. A provider refusing the saved cursor gets a full pass instead. */
static void restart_resumes_incrementally(void **state)
{
    (void)state;
    char book[450], st_path[480];
    snprintf(book, sizeof(book), "%s/cache/pricebook.bin", tmpdir);
    snprintf(st_path, sizeof(st_path), "%s.state.json", book);
    assert_int_equal(ct_ingest_sync_once(ing), CT_OK);
    assert_int_equal(ct_pricebook_save(pb, book), CT_OK); /* the book first, then the state */
    assert_int_equal(ct_ingest_save_state(ing, st_path), CT_OK);
    /* Downtime: three hours of the world's clock (the market moves, holds expire), then an
     * order (held until after the next sync). */
    atomic_fetch_add(&world_now, 3 * 3600);
    int seats = 0, pick = pick_leg(&seats);
    assert_true(pick >= 0);
    order_seats(&tt->legs[pick], seats);
    /* The next process. */
    ct_pricebook *pb2;
    ct_ingest *ing2;
    assert_int_equal(ct_pricebook_new(tt, &pb2), CT_OK);
    int loaded = 0, resumed = 0;
    assert_int_equal(ct_pricebook_load(pb2, book, &loaded), CT_OK);
    assert_int_equal(loaded, 1);
    ct_ingest_config cfg;
    config_for(&cfg);
    assert_int_equal(ct_ingest_new(pb2, &cfg, &ing2), CT_OK);
    assert_int_equal(ct_ingest_load_state(ing2, st_path, &resumed), CT_OK);
    assert_int_equal(resumed, NPROV);
    ct_pb_view v;
    ct_pricebook_acquire(pb2, &v);
    uint32_t before = ct_pb_seats(&v, provider_index(v.snap, names[AIR1]), (size_t)pick);
    ct_pricebook_release(pb2, &v);
    assert_true(before != CT_SEATS_UNKNOWN); /* priced at once, before any sync */
    struct timespec t0;
    clock_gettime(CLOCK_MONOTONIC, &t0);
    assert_int_equal(ct_ingest_sync_once(ing2), CT_OK);
    double secs = seconds_since(&t0);
    ct_ingest_stats st[NPROV];
    ct_ingest_stats_get(ing2, st, NPROV);
    for (int i = 0; i < NPROV; i++) {
        assert_int_equal(st[i].full_syncs, 0);
        assert_int_equal(st[i].refused_cursors, 0);
        assert_int_equal(st[i].last_full, 0);
        assert_true(st[i].last_sync > 0);
        assert_true(st[i].requests * 2 < full_requests[i]);
        fprintf(stderr, "%s: resumed sync %llu requests (full: %llu), %llu seat records\n",
                names[i], (unsigned long long)st[i].requests, (unsigned long long)full_requests[i],
                (unsigned long long)st[i].seats_applied);
    }
    ct_pricebook_acquire(pb2, &v);
    assert_int_not_equal(ct_pb_seats(&v, provider_index(v.snap, names[AIR1]), (size_t)pick),
                         before);
    ct_pricebook_release(pb2, &v);
    assert_int_equal(ct_ingest_sync_once(ing), CT_OK); /* the process that never stopped */
    assert_same_book(pb, pb2);
    fprintf(stderr, "resumed sync after a restart: %.3f s\n", secs);
    ct_ingest_free(ing2);
    ct_pricebook_free(pb2);

    /* A cursor the provider refuses: a full pass for that provider, in the same sync. */
    json_t *doc = json_load_file(st_path, 0, NULL);
    assert_non_null(doc);
    json_t *list = json_object_get(doc, "providers"), *x;
    size_t k;
    json_array_foreach(list, k, x)
    {
        if (strcmp(json_string_value(json_object_get(x, "name")), names[AIR2]) == 0)
            json_object_set_new(x, "avail_cursor", json_string("bm90IGEgY3Vyc29y"));
    }
    assert_int_equal(json_dump_file(doc, st_path, 0), 0);
    json_decref(doc);
    assert_int_equal(ct_pricebook_new(tt, &pb2), CT_OK);
    assert_int_equal(ct_pricebook_load(pb2, book, &loaded), CT_OK);
    assert_int_equal(ct_ingest_new(pb2, &cfg, &ing2), CT_OK);
    assert_int_equal(ct_ingest_load_state(ing2, st_path, &resumed), CT_OK);
    assert_int_equal(resumed, NPROV);
    assert_int_equal(ct_ingest_sync_once(ing2), CT_OK);
    ct_ingest_stats_get(ing2, st, NPROV);
    for (int i = 0; i < NPROV; i++) {
        assert_int_equal(st[i].full_syncs, i == AIR2);
        assert_int_equal(st[i].refused_cursors, i == AIR2);
    }
    assert_same_book(pb, pb2);
    /* A changed provider configuration, or another horizon, is not resumed. */
    ct_ingest_free(ing2);
    ct_pricebook_free(pb2);
    assert_int_equal(ct_pricebook_new(tt, &pb2), CT_OK);
    snprintf(cfg.providers[OTA_EUR].base_url, sizeof(cfg.providers[OTA_EUR].base_url),
             "http://127.0.0.1:1");
    assert_int_equal(ct_ingest_new(pb2, &cfg, &ing2), CT_OK);
    assert_int_equal(ct_ingest_load_state(ing2, st_path, &resumed), CT_OK);
    assert_int_equal(resumed, NPROV - 1);
    ct_ingest_free(ing2);
    cfg.to_day = day0 + 20;
    cfg.from_day = day0;
    assert_int_equal(ct_ingest_new(pb2, &cfg, &ing2), CT_OK);
    assert_int_equal(ct_ingest_load_state(ing2, st_path, &resumed), CT_OK);
    assert_int_equal(resumed, 0);
    assert_int_equal(ct_ingest_load_state(ing2, tmpdir, &resumed), CT_INVALID);
    snprintf(st_path, sizeof(st_path), "%s/none.json", tmpdir);
    assert_int_equal(ct_ingest_load_state(ing2, st_path, &resumed), CT_NOT_FOUND);
    ct_ingest_free(ing2);
    ct_pricebook_free(pb2);
}

static void bus_delivers_by_topic(void **state)
{
    (void)state;
    ct_bus *b;
    assert_int_equal(ct_bus_new(&b), CT_OK);
    atomic_store(&n_fare_events, 0);
    atomic_store(&n_price_events, 0);
    int id;
    assert_int_equal(ct_bus_subscribe(b, "fares.changed", on_event, NULL, &id), CT_OK);
    assert_true(ct_bus_has_subscribers(b, "fares.changed"));
    assert_false(ct_bus_has_subscribers(b, "price.changed"));
    assert_int_equal(ct_bus_publish(b, "fares.changed", json_object()), 1);
    assert_int_equal(ct_bus_publish(b, "other", json_object()), 0);
    ct_bus_unsubscribe(b, id);
    assert_int_equal(ct_bus_publish(b, "fares.changed", json_object()), 0);
    assert_int_equal(atomic_load(&n_fare_events), 1);
    ct_bus_free(b);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(full_sync_registers_every_provider),
        cmocka_unit_test(prices_equal_live_quotes),
        cmocka_unit_test(searched_itineraries_price_like_live_offers),
        cmocka_unit_test(round_trips_price_like_live_offers),
        cmocka_unit_test(every_cabin_prices_like_live_offers),
        cmocka_unit_test(order_then_incremental_sync_moves_seats),
        cmocka_unit_test(faults_are_survived_with_the_same_result),
        cmocka_unit_test(bad_records_are_rejected_and_the_rest_kept),
        cmocka_unit_test(bad_records_in_a_sync_are_counted_and_the_rest_applied),
        cmocka_unit_test(horizon_beyond_the_providers),
        cmocka_unit_test(price_history_on_every_engine),
        cmocka_unit_test(default_history_records_changes_only),
        cmocka_unit_test(background_thread_syncs_and_stops_promptly),
        cmocka_unit_test(restart_resumes_incrementally),
        cmocka_unit_test(bus_delivers_by_topic),
    };
    return cmocka_run_group_tests(tests, setup, teardown);
}
