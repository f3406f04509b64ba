/* test_alerts.c: price alerts on every engine (SQLite, and PostgreSQL when CT_TEST_PG_URL is
 * set): CRUD and its validation, and the evaluation of price changes against the small
 * sandbox world's timetable with the synthetic providers' pricebook (pricefill.h).
 *
 * A fare is changed the way ingestion changes it (ct_pricebook_put_fare on the markets of the
 * route's cheapest itinerary, then the change of each dated leg of those markets handed to the
 * engine as the "price.changed" bus handler does), and the expected prices come from the search
 * engine run here independently of the alerts module. The clock is the test's. */
#include "ct_test.h"

#include <stdio.h>
#include <string.h>
#include <time.h>

#include "alerts/alerts.h"
#include "base/timeutil.h"
#include "pricefill.h"
#include "search/trip.h"
#include "smallworld.h"
#include "testsupport.h"

static char tmpdir[256];
static int fixture_ttl_s; /* the engines' slice_ttl_s (0: the default) */
static ts_small_world world;
static ct_timetable *tt;
static int64_t clock_ms;

static int64_t test_clock(void *ctx)
{
    (void)ctx;
    return clock_ms;
}

static int setup(void **state)
{
    (void)state;
    ts_tempdir(tmpdir, sizeof(tmpdir));
    ts_small_world_open(&world, 7);
    tt = ts_small_world_timetable(&world, 30);
    return 0;
}

static int teardown(void **state)
{
    (void)state;
    ct_timetable_free(tt);
    ts_small_world_close(&world);
    ts_rmtree(tmpdir);
    return 0;
}

/* One engine over one store, with its own pricebook (changed by the tests). */
typedef struct fixture {
    char url[512];
    ct_store_pool *pool;
    ct_store *st;
    ct_pricebook *pb;
    ct_alerts *alerts;
} fixture;

/* The advice callback of the engine (ct_alerts_config.predict): when predict_on, answers a
 * fixed advice and records what it was asked. */
static int predict_on;
static struct {
    char origin[8], destination[8], currency[4];
    int64_t day, price;
    int cabin, calls;
} asked;

static json_t *test_predict(void *ctx, const char *origin, const char *destination, int64_t day,
                            int cabin, int64_t price_minor, const char *currency)
{
    (void)ctx;
    if (!predict_on)
        return NULL;
    snprintf(asked.origin, sizeof(asked.origin), "%s", origin);
    snprintf(asked.destination, sizeof(asked.destination), "%s", destination);
    snprintf(asked.currency, sizeof(asked.currency), "%s", currency);
    asked.day = day;
    asked.price = price_minor;
    asked.cabin = cabin;
    asked.calls++;
    return json_pack("{s:s, s:I, s:s, s:i, s:f}", "advice", "buy_now", "expected_change_minor",
                     (json_int_t)(price_minor / 10), "currency", currency, "within_days", 7,
                     "confidence", 0.8);
}

static void open_fixture_bus(fixture *f, const char *url, int per_user, ct_bus *bus)
{
    memset(f, 0, sizeof(*f));
    snprintf(f->url, sizeof(f->url), "%s", url);
    f->st = ts_open_migrated(url);
    const char *users[] = {"usr_a", "usr_b"};
    for (int i = 0; i < 2; i++) /* the owners (alerts go with their user) */
        assert_int_equal(ct_store_run(f->st,
                                      "INSERT INTO users (id, email, password_hash, created_at, "
                                      "updated_at) VALUES (?, ? || '@example.com', 'x', 0, 0)",
                                      2, (const char *const[]){users[i], users[i]}),
                         CT_OK);
    char err[256];
    if (ct_store_pool_open(url, 3, &f->pool, err, sizeof(err)) != CT_OK)
        fail_msg("pool %s: %s", url, err);
    f->pb = ts_fill_pricebook(tt);
    clock_ms = (world.start * 86400 + 8 * 3600) * 1000; /* the world's first day, 08:00 UTC */
    ct_alerts_config c = {.pool = f->pool,
                          .cooldown_s = 3600,
                          .max_per_user = per_user,
                          .batch_ms = 1,
                          .slice_ttl_s = fixture_ttl_s,
                          .refdata = tt->rd,
                          .now_ms = test_clock,
                          .predict = test_predict};
    assert_int_equal(ct_alerts_new(&c, &f->alerts), CT_OK);
    assert_int_equal(ct_alerts_load(f->alerts, f->st), CT_OK);
    assert_int_equal(ct_alerts_attach(f->alerts, tt, f->pb, bus), CT_OK);
    assert_int_equal(ct_alerts_start(f->alerts), CT_OK);
}

static void open_fixture(fixture *f, const char *url, int per_user)
{
    open_fixture_bus(f, url, per_user, NULL);
}

static void close_fixture(fixture *f)
{
    ct_alerts_free(f->alerts);
    ct_pricebook_free(f->pb);
    ct_store_close(f->st);
    ct_store_pool_close(f->pool);
}

static int store_urls(char urls[2][512])
{
    return ts_store_urls(tmpdir, urls, 2);
}

/* ---- prices, computed here ---- */

static int place(const char *code, uint16_t *out)
{
    int a = ct_timetable_airport(tt, code);
    assert_true(a >= 0);
    out[0] = (uint16_t)a;
    return 1;
}

static ct_status cheapest(ct_pricebook *pb, const char *from, const char *to, int64_t day,
                          ct_itinerary *best, int *found)
{
    uint16_t o[1], d[1];
    place(from, o);
    place(to, d);
    ct_pb_view v;
    ct_pricebook_acquire(pb, &v);
    ct_price_ctx pc;
    assert_int_equal(ct_price_ctx_init(&pc, &v, CT_CABIN_ECONOMY, 1, 1, "EUR"), CT_OK);
    ct_search_query q = {o, 1, d, 1, day, 2, &pc};
    ct_status rc = ct_search_cheapest(tt, &q, best, found);
    ct_pricebook_release(pb, &v);
    if (*found && best->price == CT_PRICE_UNKNOWN)
        *found = 0;
    return rc;
}

static int64_t price_of(ct_pricebook *pb, const char *from, const char *to, int64_t day)
{
    ct_itinerary best;
    int found = 0;
    assert_int_equal(cheapest(pb, from, to, day, &best, &found), CT_OK);
    return found ? best.price : -1;
}

static int64_t round_trip_price(ct_pricebook *pb, const char *from, const char *to, int64_t out,
                                int64_t back)
{
    uint16_t o[1], d[1];
    place(from, o);
    place(to, d);
    ct_pb_view v;
    ct_pricebook_acquire(pb, &v);
    ct_price_ctx pc;
    assert_int_equal(ct_price_ctx_init(&pc, &v, CT_CABIN_ECONOMY, 1, 1, "EUR"), CT_OK);
    ct_search_query q1 = {o, 1, d, 1, out, 2, &pc}, q2 = {d, 1, o, 1, back, 2, &pc};
    ct_search_result a = {0}, b = {0};
    assert_int_equal(ct_search_oneway(tt, &q1, &a), CT_OK);
    assert_int_equal(ct_search_oneway(tt, &q2, &b), CT_OK);
    ct_trip t;
    int64_t price = ct_trip_cheapest_pair(&a, &b, &pc, &t) ? t.price : -1;
    ct_search_result_free(&a);
    ct_search_result_free(&b);
    ct_pricebook_release(pb, &v);
    return price == CT_PRICE_UNKNOWN ? -1 : price;
}

/* A priced route on `day` with at least `dests` different destinations tried: its airports. */
static void pick_route(ct_pricebook *pb, int64_t day, int skip, char from[4], char to[4])
{
    for (size_t i = 0; i < tt->nlegs; i += 7) {
        const ct_leg *l = &tt->legs[i];
        if (l->local_date != day)
            continue;
        const char *a = ct_refdata_airport_at(tt->rd, l->from)->iata;
        const char *b = ct_refdata_airport_at(tt->rd, l->to)->iata;
        const ct_airport *pa = ct_refdata_airport(tt->rd, a), *pbp = ct_refdata_airport(tt->rd, b);
        if (pa->metro != NULL && pbp->metro != NULL && strcmp(pa->metro, pbp->metro) == 0)
            continue;
        if (price_of(pb, a, b, day) > 0 && price_of(pb, b, a, day + 7) > 0 && skip-- == 0) {
            snprintf(from, 4, "%s", a);
            snprintf(to, 4, "%s", b);
            return;
        }
    }
    fail_msg("no priced route on day %lld", (long long)day);
}

/* Every provider's filed fares of the markets of `it` scaled to `percent` % (0 <= percent
 * <= 100: never dearer), the engine not told. */
static void set_fares(fixture *f, const ct_itinerary *it, int percent)
{
    ct_pb_view v;
    int32_t now[CT_MAX_PROVIDERS][CT_SEARCH_MAX_LEGS][CT_NCLASSES];
    ct_provider_desc desc[CT_MAX_PROVIDERS];
    ct_pricebook_acquire(f->pb, &v);
    int np = v.snap->nproviders;
    for (int p = 0; p < np; p++) {
        const ct_pb_provider *pv = &v.snap->providers[p];
        desc[p] = pv->desc;
        for (int k = 0; k < it->nlegs; k++) {
            uint32_t m = v.market[it->legs[k] - tt->legs];
            for (int c = 0; c < CT_NCLASSES; c++) {
                int32_t old =
                    pv->amount != NULL && m < pv->nmarkets ? pv->amount[m][c] : CT_AMOUNT_NONE;
                now[p][k][c] = old == CT_AMOUNT_NONE ? CT_AMOUNT_NONE
                                                     : (int32_t)((int64_t)old * percent / 100);
            }
        }
    }
    ct_pricebook_release(f->pb, &v);
    ct_pricebook_begin(f->pb);
    for (int p = 0; p < np; p++) {
        int id;
        assert_int_equal(ct_pricebook_provider(f->pb, &desc[p], &id), CT_OK);
        assert_int_equal(id, p);
        for (int k = 0; k < it->nlegs; k++) {
            const ct_leg *l = it->legs[k];
            int known;
            assert_int_equal(ct_pricebook_put_fare(f->pb, id, tt->carriers[l->carrier],
                                                   ct_refdata_airport_at(tt->rd, l->from)->iata,
                                                   ct_refdata_airport_at(tt->rd, l->to)->iata,
                                                   now[id][k], &known),
                             CT_OK);
        }
    }
    assert_int_equal(ct_pricebook_commit(f->pb), CT_OK);
}

/* The change of every dated leg of the markets of `it` (a fare is per market: ingestion
 * publishes each dated leg whose price moved) handed to the engine as the bus handler
 * would, then evaluated. */
static void tell(fixture *f, const ct_itinerary *it)
{
    for (int k = 0; k < it->nlegs; k++) {
        const ct_leg *l = it->legs[k];
        for (uint32_t i = tt->first[l->from]; i < tt->first[l->from + 1]; i++) {
            if (tt->legs[i].carrier == l->carrier && tt->legs[i].to == l->to)
                ct_alerts_leg_changed(f->alerts, i, CT_CABIN_ECONOMY);
        }
    }
    assert_int_equal(ct_alerts_flush(f->alerts, 60000), CT_OK);
}

static void lower_fares(fixture *f, const ct_itinerary *it, int percent)
{
    set_fares(f, it, percent);
    tell(f, it);
}

static void lower_route(fixture *f, const char *from, const char *to, int64_t day, int percent)
{
    ct_itinerary best;
    int found = 0;
    assert_int_equal(cheapest(f->pb, from, to, day, &best, &found), CT_OK);
    assert_true(found);
    lower_fares(f, &best, percent);
}

/* ---- the API's calls ---- */

static json_t *create_ok(fixture *f, const char *user, const char *body)
{
    json_error_t err;
    json_t *in = json_loads(body, 0, &err);
    assert_non_null(in);
    ct_alerts_field_error fe = {"", ""};
    json_t *out = NULL;
    ct_status rc = ct_alerts_create(f->alerts, f->st, user, in, &fe, &out);
    if (rc)
        fail_msg("create %s: %s %s: %s", body, ct_status_name(rc), fe.field, fe.message);
    json_decref(in);
    assert_int_equal(ct_alerts_flush(f->alerts, 60000), CT_OK); /* its first check */
    return out;
}

static void create_fails(fixture *f, const char *body, ct_status want, const char *field)
{
    json_error_t err;
    json_t *in = json_loads(body, 0, &err);
    assert_non_null(in);
    ct_alerts_field_error fe = {"", ""};
    json_t *out = NULL;
    ct_status rc = ct_alerts_create(f->alerts, f->st, "usr_a", in, &fe, &out);
    if (rc != want || strcmp(fe.field, field) != 0)
        fail_msg("%s: got %s field '%s' (%s), want %s '%s'", body, ct_status_name(rc), fe.field,
                 fe.message, ct_status_name(want), field);
    json_decref(in);
}

static json_t *get(fixture *f, const char *user, const char *id)
{
    json_t *out = NULL;
    assert_int_equal(ct_alerts_get(f->alerts, f->st, user, id, &out), CT_OK);
    return out;
}

static int64_t field_int(json_t *o, const char *key)
{
    json_t *v = json_object_get(o, key);
    return json_is_integer(v) ? json_integer_value(v) : -1;
}

static void patch(fixture *f, const char *user, const char *id, const char *body)
{
    json_error_t err;
    json_t *in = json_loads(body, 0, &err), *out = NULL;
    assert_non_null(in);
    ct_alerts_field_error fe = {"", ""};
    ct_status rc = ct_alerts_update(f->alerts, f->st, user, id, in, &fe, &out);
    if (rc)
        fail_msg("patch %s: %s %s %s", body, ct_status_name(rc), fe.field, fe.message);
    json_decref(in);
    json_decref(out);
}

/* The price_alert.triggered events of one alert, oldest first (payloads; caller decrefs). */
static json_t *events_of(fixture *f, const char *id)
{
    ct_stmt *s = NULL;
    assert_int_equal(ct_store_prepare(f->st,
                                      "SELECT type, payload FROM outbox WHERE aggregate = "
                                      "'price_alert' AND aggregate_id = ? ORDER BY seq",
                                      &s),
                     CT_OK);
    assert_int_equal(ct_stmt_bind_text(s, 1, id), CT_OK);
    json_t *list = json_array();
    while (ct_stmt_step(s) == CT_ROW) {
        assert_string_equal(ct_stmt_text(s, 0), "price_alert.triggered");
        json_error_t err;
        json_array_append_new(list, json_loads(ct_stmt_text(s, 1), 0, &err));
    }
    ct_stmt_finalize(s);
    return list;
}

static void day_text(int64_t day, char out[16])
{
    ct_date_format(day, out, 16);
}

/* The template with each of the names replaced by its value. */
static void subst(const char *tmpl, const char *const *names, const char *const *values, int n,
                  char *out, size_t len)
{
    size_t used = 0;
    while (*tmpl && used + 1 < len) {
        int hit = -1;
        for (int i = 0; i < n && hit < 0; i++)
            hit = strncmp(tmpl, names[i], strlen(names[i])) == 0 ? i : -1;
        if (hit < 0) {
            out[used++] = *tmpl++;
            continue;
        }
        used += (size_t)snprintf(out + used, len - used, "%s", values[hit]);
        tmpl += strlen(names[hit]);
    }
    out[used < len ? used : len - 1] = '\0';
}

/* ---- tests ---- */

static void crud_validates_and_scopes_to_the_user(void **state)
{
    (void)state;
    char urls[2][512];
    int n = store_urls(urls);
    for (int u = 0; u < n; u++) {
        fixture f;
        open_fixture(&f, urls[u], 3);
        char from[4], to[4], d[16], past[16], r[16], body[1024];
        pick_route(f.pb, world.start + 5, 0, from, to);
        day_text(world.start + 5, d);
        day_text(world.start - 1, past);
        day_text(world.start + 2, r);
        const struct {
            const char *body;
            const char *field;
        } bad[] = {
            {"{\"destination\":\"{D}\",\"dates\":{\"type\":\"exact\",\"departure\":\"{DATE}\"},"
             "\"drop_percent\":10}",
             "origin"},
            {"{\"origin\":\"{O}\",\"destination\":\"ZZQ\",\"dates\":{\"type\":\"exact\","
             "\"departure\":\"{DATE}\"},\"drop_percent\":10}",
             "destination"},
            {"{\"origin\":\"{O}\",\"destination\":\"{O}\",\"dates\":{\"type\":\"exact\","
             "\"departure\":\"{DATE}\"},\"drop_percent\":10}",
             "destination"},
            {"{\"origin\":\"{O}\",\"destination\":\"{D}\",\"drop_percent\":10}", "dates"},
            {"{\"origin\":\"{O}\",\"destination\":\"{D}\",\"dates\":{\"type\":\"someday\"},"
             "\"drop_percent\":10}",
             "dates.type"},
            {"{\"origin\":\"{O}\",\"destination\":\"{D}\",\"dates\":{\"type\":\"exact\","
             "\"departure\":\"{PAST}\"},\"drop_percent\":10}",
             "dates.departure"},
            {"{\"origin\":\"{O}\",\"destination\":\"{D}\",\"dates\":{\"type\":\"exact\","
             "\"departure\":\"{DATE}\",\"return\":\"{RET}\"},\"drop_percent\":10}",
             "dates.return"},
            {"{\"origin\":\"{O}\",\"destination\":\"{D}\",\"dates\":{\"type\":\"month\","
             "\"month\":\"2026-13\"},\"drop_percent\":10}",
             "dates.month"},
            {"{\"origin\":\"{O}\",\"destination\":\"{D}\",\"dates\":{\"type\":\"month\","
             "\"month\":\"2026-12\",\"stay\":{\"min\":5,\"max\":3}},\"drop_percent\":10}",
             "dates.stay.max"},
            {"{\"origin\":\"{O}\",\"destination\":\"{D}\",\"dates\":{\"type\":\"exact\","
             "\"departure\":\"{DATE}\"},\"cabin\":\"premium\",\"drop_percent\":10}",
             "cabin"},
            {"{\"origin\":\"{O}\",\"destination\":\"{D}\",\"dates\":{\"type\":\"exact\","
             "\"departure\":\"{DATE}\"},\"passengers\":0,\"drop_percent\":10}",
             "passengers"},
            {"{\"origin\":\"{O}\",\"destination\":\"{D}\",\"dates\":{\"type\":\"exact\","
             "\"departure\":\"{DATE}\"},\"currency\":\"eur\",\"drop_percent\":10}",
             "currency"},
            {"{\"origin\":\"{O}\",\"destination\":\"{D}\",\"dates\":{\"type\":\"exact\","
             "\"departure\":\"{DATE}\"}}",
             "max_price"},
            {"{\"origin\":\"{O}\",\"destination\":\"{D}\",\"dates\":{\"type\":\"exact\","
             "\"departure\":\"{DATE}\"},\"drop_percent\":10,\"max_price\":{\"amount_minor\":5}}",
             "max_price"},
            {"{\"origin\":\"{O}\",\"destination\":\"{D}\",\"dates\":{\"type\":\"exact\","
             "\"departure\":\"{DATE}\"},\"drop_percent\":95}",
             "drop_percent"},
            {"{\"origin\":\"{O}\",\"destination\":\"{D}\",\"dates\":{\"type\":\"exact\","
             "\"departure\":\"{DATE}\"},\"max_price\":{\"amount_minor\":-4}}",
             "max_price.amount_minor"},
            {"{\"origin\":\"{O}\",\"destination\":\"{D}\",\"dates\":{\"type\":\"exact\","
             "\"departure\":\"{DATE}\"},\"drop_percent\":10,\"channels\":[\"pigeon\"]}",
             "channels"},
        };
        for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
            const char *names[] = {"{O}", "{D}", "{DATE}", "{PAST}", "{RET}"};
            const char *values[] = {from, to, d, past, r};
            subst(bad[i].body, names, values, 5, body, sizeof(body));
            create_fails(&f, body, CT_INVALID, bad[i].field);
        }
        snprintf(body, sizeof(body),
                 "{\"origin\":\"%s\",\"destination\":\"%s\",\"dates\":{\"type\":\"exact\","
                 "\"departure\":\"%s\"},\"drop_percent\":10}",
                 from, to, d);
        json_t *a1 = create_ok(&f, "usr_a", body);
        const char *id = json_string_value(json_object_get(a1, "id"));
        assert_int_equal(strncmp(id, "pa_", 3), 0);
        assert_string_equal(json_string_value(json_object_get(a1, "currency")), "EUR");
        json_decref(create_ok(&f, "usr_a", body));
        json_decref(create_ok(&f, "usr_a", body));
        create_fails(&f, body, CT_CONFLICT, "alerts"); /* the fourth of at most 3 */
        json_decref(create_ok(&f, "usr_b", body));     /* another user's count */

        json_t *out = NULL;
        ct_alerts_field_error fe = {"", ""};
        assert_int_equal(ct_alerts_get(f.alerts, f.st, "usr_b", id, &out), CT_NOT_FOUND);
        json_t *in = json_pack("{s:i}", "drop_percent", 20);
        assert_int_equal(ct_alerts_update(f.alerts, f.st, "usr_b", id, in, &fe, &out),
                         CT_NOT_FOUND);
        assert_int_equal(ct_alerts_delete(f.alerts, f.st, "usr_b", id), CT_NOT_FOUND);
        json_decref(in);
        in = json_pack("{s:i}", "drop_percent", 120);
        assert_int_equal(ct_alerts_update(f.alerts, f.st, "usr_a", id, in, &fe, &out), CT_INVALID);
        assert_string_equal(fe.field, "drop_percent");
        json_decref(in);

        /* an update of the rule keeps the baseline; the maximum replaces the drop */
        json_t *g = get(&f, "usr_a", id);
        int64_t baseline = field_int(g, "baseline_minor");
        assert_true(baseline > 0);
        assert_int_equal(baseline, price_of(f.pb, from, to, world.start + 5));
        json_decref(g);
        patch(&f, "usr_a", id, "{\"max_price\":{\"amount_minor\":1000},\"channels\":[\"sms\"]}");
        g = get(&f, "usr_a", id);
        assert_int_equal(field_int(g, "baseline_minor"), baseline);
        assert_null(json_object_get(g, "drop_percent"));
        assert_int_equal(field_int(json_object_get(g, "max_price"), "amount_minor"), 1000);
        assert_string_equal(json_string_value(json_array_get(json_object_get(g, "channels"), 0)),
                            "sms");
        json_decref(g);

        json_t *list = NULL;
        assert_int_equal(ct_alerts_list(f.alerts, f.st, "usr_a", &list), CT_OK);
        assert_int_equal(field_int(list, "total"), 3);
        json_decref(list);
        assert_int_equal(ct_alerts_delete(f.alerts, f.st, "usr_a", id), CT_OK);
        assert_int_equal(ct_alerts_get(f.alerts, f.st, "usr_a", id, &out), CT_NOT_FOUND);
        ct_alerts_stats stats;
        ct_alerts_stats_get(f.alerts, &stats);
        assert_int_equal(stats.alerts, 3);

        /* a restart loads the rows into the index */
        ct_alerts_free(f.alerts);
        ct_alerts_config c = {.pool = f.pool, .now_ms = test_clock, .batch_ms = 1};
        assert_int_equal(ct_alerts_new(&c, &f.alerts), CT_OK);
        assert_int_equal(ct_alerts_load(f.alerts, f.st), CT_OK);
        ct_alerts_stats_get(f.alerts, &stats);
        assert_int_equal(stats.alerts, 3);
        /* a stopped engine refuses to be attached or started (shutdown order in serve) */
        ct_alerts_stop(f.alerts);
        assert_int_equal(ct_alerts_attach(f.alerts, tt, f.pb, NULL), CT_INVALID);
        assert_int_equal(ct_alerts_start(f.alerts), CT_INVALID);
        json_decref(a1);
        close_fixture(&f);
    }
}

static void a_drop_below_the_maximum_fires_once_per_new_low(void **state)
{
    (void)state;
    char urls[2][512];
    int n = store_urls(urls);
    for (int u = 0; u < n; u++) {
        fixture f;
        open_fixture(&f, urls[u], 50);
        char from[4], to[4], d[16], body[512];
        int64_t day = world.start + 6;
        pick_route(f.pb, day, 1, from, to);
        day_text(day, d);
        int64_t p0 = price_of(f.pb, from, to, day);
        snprintf(
            body, sizeof(body),
            "{\"origin\":\"%s\",\"destination\":\"%s\",\"dates\":{\"type\":\"exact\","
            "\"departure\":\"%s\"},\"max_price\":{\"amount_minor\":%lld,\"currency\":\"EUR\"}}",
            from, to, d, (long long)(p0 - 1));
        json_t *al = create_ok(&f, "usr_a", body);
        const char *id = json_string_value(json_object_get(al, "id"));
        json_t *g = get(&f, "usr_a", id);
        assert_int_equal(field_int(g, "baseline_minor"), p0); /* the first check records only */
        json_decref(g);
        json_t *ev = events_of(&f, id);
        assert_int_equal(json_array_size(ev), 0);
        json_decref(ev);

        lower_route(&f, from, to, day, 50);
        int64_t p1 = price_of(f.pb, from, to, day);
        assert_true(p1 < p0);
        ev = events_of(&f, id);
        assert_int_equal(json_array_size(ev), 1);
        json_t *e = json_array_get(ev, 0);
        assert_int_equal(field_int(e, "price_minor"), p1);
        assert_int_equal(field_int(e, "previous_low_minor"), p0);
        assert_int_equal(field_int(e, "threshold_minor"), p0 - 1);
        assert_string_equal(json_string_value(json_object_get(e, "user_id")), "usr_a");
        assert_string_equal(json_string_value(json_object_get(e, "alert_id")), id);
        assert_string_equal(json_string_value(json_object_get(e, "departure_date")), d);
        assert_true(json_is_null(json_object_get(e, "return_date")));
        assert_true(json_is_null(json_object_get(e, "prediction")));
        assert_non_null(strstr(json_string_value(json_object_get(e, "search_url")), d));
        json_decref(ev);

        /* the same change again: not a new low, no event */
        lower_route(&f, from, to, day, 100);
        /* a lower low within the cooldown: no event, but the baseline follows */
        clock_ms += 1800 * 1000;
        lower_route(&f, from, to, day, 50);
        int64_t p2 = price_of(f.pb, from, to, day);
        assert_true(p2 < p1);
        ev = events_of(&f, id);
        assert_int_equal(json_array_size(ev), 1);
        json_decref(ev);
        g = get(&f, "usr_a", id);
        assert_int_equal(field_int(g, "baseline_minor"), p2);
        assert_int_equal(field_int(g, "last_price_minor"), p2);
        assert_int_equal(field_int(g, "notified_low_minor"), p1);
        json_decref(g);

        /* after the cooldown p2 is still below what was notified (p1): it fires; then the
         * same price again, even after another cooldown, is no new low */
        clock_ms += 1801 * 1000;
        lower_route(&f, from, to, day, 100);
        ev = events_of(&f, id);
        assert_int_equal(json_array_size(ev), 2);
        assert_int_equal(field_int(json_array_get(ev, 1), "price_minor"), p2);
        json_decref(ev);
        clock_ms += 3601 * 1000;
        lower_route(&f, from, to, day, 100);
        ev = events_of(&f, id);
        assert_int_equal(json_array_size(ev), 2);
        json_decref(ev);
        lower_route(&f, from, to, day, 50);
        int64_t p3 = price_of(f.pb, from, to, day);
        assert_true(p3 < p2);
        ev = events_of(&f, id);
        assert_int_equal(json_array_size(ev), 3);
        assert_int_equal(field_int(json_array_get(ev, 2), "price_minor"), p3);
        assert_int_equal(field_int(json_array_get(ev, 2), "previous_low_minor"), p2);
        json_decref(ev);
        json_decref(al);
        close_fixture(&f);
    }
}

/* A trigger carries the advice the engine's callback gives for the alert's route, the day
 * found, its cabin and the new price in the alert's currency. */
static void a_trigger_carries_the_buy_or_wait_advice(void **state)
{
    (void)state;
    char urls[2][512];
    int n = store_urls(urls);
    for (int u = 0; u < n; u++) {
        fixture f;
        open_fixture(&f, urls[u], 50);
        char from[4], to[4], d[16], body[512];
        int64_t day = world.start + 6;
        pick_route(f.pb, day, 1, from, to);
        day_text(day, d);
        int64_t p0 = price_of(f.pb, from, to, day);
        snprintf(body, sizeof(body),
                 "{\"origin\":\"%s\",\"destination\":\"%s\",\"cabin\":\"economy\","
                 "\"dates\":{\"type\":\"exact\",\"departure\":\"%s\"},"
                 "\"max_price\":{\"amount_minor\":%lld,\"currency\":\"EUR\"}}",
                 from, to, d, (long long)(p0 - 1));
        json_t *al = create_ok(&f, "usr_a", body);
        const char *id = json_string_value(json_object_get(al, "id"));
        memset(&asked, 0, sizeof(asked));
        predict_on = 1;
        lower_route(&f, from, to, day, 50);
        predict_on = 0;
        int64_t p1 = price_of(f.pb, from, to, day);
        json_t *ev = events_of(&f, id);
        assert_int_equal(json_array_size(ev), 1);
        json_t *pr = json_object_get(json_array_get(ev, 0), "prediction");
        assert_true(json_is_object(pr));
        assert_string_equal(json_string_value(json_object_get(pr, "advice")), "buy_now");
        assert_int_equal(field_int(pr, "expected_change_minor"), p1 / 10);
        assert_string_equal(json_string_value(json_object_get(pr, "currency")), "EUR");
        assert_int_equal(asked.calls, 1);
        assert_string_equal(asked.origin, from);
        assert_string_equal(asked.destination, to);
        assert_string_equal(asked.currency, "EUR");
        assert_int_equal(asked.day, day);
        assert_int_equal(asked.price, p1);
        assert_int_equal(asked.cabin, CT_CABIN_ECONOMY);
        json_decref(ev);
        json_decref(al);
        close_fixture(&f);
    }
}

static void a_percentage_drop_fires_against_the_baseline(void **state)
{
    (void)state;
    char urls[2][512];
    int n = store_urls(urls);
    for (int u = 0; u < n; u++) {
        fixture f;
        open_fixture(&f, urls[u], 50);
        char from[4], to[4], d[16], body[512], rule[64];
        int64_t day = world.start + 8;
        pick_route(f.pb, day, 2, from, to);
        day_text(day, d);
        snprintf(body, sizeof(body),
                 "{\"origin\":\"%s\",\"destination\":\"%s\",\"dates\":{\"type\":\"exact\","
                 "\"departure\":\"%s\"},\"drop_percent\":90}",
                 from, to, d);
        json_t *al = create_ok(&f, "usr_a", body);
        const char *id = json_string_value(json_object_get(al, "id"));
        int64_t b = price_of(f.pb, from, to, day);
        ct_itinerary best;
        int found = 0;
        assert_int_equal(cheapest(f.pb, from, to, day, &best, &found), CT_OK);
        assert_true(found);

        /* a drop of d % against a rule of d + 1 %: nothing, and the baseline follows */
        set_fares(&f, &best, 90);
        int64_t p1 = price_of(f.pb, from, to, day);
        int64_t drop = (b - p1) * 100 / b;
        if (drop < 1 || drop > 88)
            fail_msg("the first change dropped %lld %% (%lld -> %lld)", (long long)drop,
                     (long long)b, (long long)p1);
        snprintf(rule, sizeof(rule), "{\"drop_percent\":%lld}", (long long)drop + 1);
        patch(&f, "usr_a", id, rule);
        tell(&f, &best);
        json_t *ev = events_of(&f, id);
        assert_int_equal(json_array_size(ev), 0);
        json_decref(ev);
        json_t *g = get(&f, "usr_a", id);
        assert_int_equal(field_int(g, "baseline_minor"), p1);
        json_decref(g);

        /* a drop of d2 % below that new baseline against a rule of d2 %: fires */
        set_fares(&f, &best, 50);
        int64_t p2 = price_of(f.pb, from, to, day);
        int64_t drop2 = (p1 - p2) * 100 / p1;
        if (drop2 < 1)
            fail_msg("the second change dropped %lld %% (%lld -> %lld)", (long long)drop2,
                     (long long)p1, (long long)p2);
        snprintf(rule, sizeof(rule), "{\"drop_percent\":%lld}", (long long)drop2);
        patch(&f, "usr_a", id, rule);
        tell(&f, &best);
        ev = events_of(&f, id);
        assert_int_equal(json_array_size(ev), 1);
        json_t *e = json_array_get(ev, 0);
        assert_int_equal(field_int(e, "price_minor"), p2);
        assert_int_equal(field_int(e, "previous_low_minor"), p1);
        assert_int_equal(field_int(e, "drop_percent"), drop2);
        assert_true(json_is_null(json_object_get(e, "threshold_minor")));
        json_decref(ev);
        json_decref(al);
        close_fixture(&f);
    }
}

static void flexible_dates_take_the_cheapest_day(void **state)
{
    (void)state;
    char urls[2][512];
    int n = store_urls(urls);
    for (int u = 0; u < n; u++) {
        fixture f;
        open_fixture(&f, urls[u], 50);
        char from[4], to[4], body[512];
        int64_t first_of_dec = ct_days_from_civil(2026, 12, 1);
        pick_route(f.pb, first_of_dec + 3, 0, from, to);
        int64_t low = -1, low_day = -1;
        for (int64_t d = first_of_dec; d <= tt->to_day; d++) {
            int64_t p = price_of(f.pb, from, to, d);
            if (p > 0 && (low < 0 || p < low)) {
                low = p;
                low_day = d;
            }
        }
        assert_true(low > 0);
        snprintf(body, sizeof(body),
                 "{\"origin\":\"%s\",\"destination\":\"%s\",\"dates\":{\"type\":\"month\","
                 "\"month\":\"2026-12\"},\"max_price\":{\"amount_minor\":%lld}}",
                 from, to, (long long)(low - 1));
        json_t *al = create_ok(&f, "usr_a", body);
        const char *id = json_string_value(json_object_get(al, "id"));
        json_t *g = get(&f, "usr_a", id);
        assert_int_equal(field_int(g, "baseline_minor"), low); /* the month's cheapest day */
        json_decref(g);

        /* another day gets cheaper than the month's low: it fires with that day */
        int64_t day = low_day == first_of_dec + 10 ? first_of_dec + 11 : first_of_dec + 10;
        int64_t before = price_of(f.pb, from, to, day);
        lower_route(&f, from, to, day, 30);
        int64_t p = price_of(f.pb, from, to, day);
        assert_true(p < before);
        json_t *ev = events_of(&f, id);
        /* The fares lowered are the markets' on every date: the month's new cheapest day may
         * be another day of the same flights; the alert names that one. */
        int64_t new_low = p, new_day = day;
        for (int64_t d = first_of_dec; d <= tt->to_day; d++) {
            int64_t q = price_of(f.pb, from, to, d);
            if (q > 0 && q < new_low) {
                new_low = q;
                new_day = d;
            }
        }
        p = new_low;
        day = new_day;
        if (p < low) {
            char dtext[16];
            day_text(day, dtext);
            assert_int_equal(json_array_size(ev), 1);
            json_t *e = json_array_get(ev, 0);
            assert_int_equal(field_int(e, "price_minor"), p);
            assert_true(json_is_null(json_object_get(e, "departure_date")));
            assert_string_equal(
                json_string_value(json_object_get(json_object_get(e, "travel_dates"), "departure")),
                dtext);
            assert_non_null(strstr(json_string_value(json_object_get(e, "search_url")), dtext));
        } else {
            fail_msg("the lowered day costs %lld, not below %lld", (long long)p, (long long)low);
        }
        json_decref(ev);
        json_decref(al);

        /* a round trip with a stay of 3..4 days: the cheapest pair */
        snprintf(body, sizeof(body),
                 "{\"origin\":\"%s\",\"destination\":\"%s\",\"dates\":{\"type\":\"month\","
                 "\"month\":\"2026-12\",\"stay\":{\"min\":3,\"max\":4}},\"drop_percent\":10}",
                 from, to);
        al = create_ok(&f, "usr_a", body);
        id = json_string_value(json_object_get(al, "id"));
        int64_t rt = -1;
        for (int64_t d = first_of_dec; d <= tt->to_day; d++) {
            for (int s = 3; s <= 4 && d + s <= tt->to_day; s++) {
                int64_t pr = round_trip_price(f.pb, from, to, d, d + s);
                if (pr > 0 && (rt < 0 || pr < rt))
                    rt = pr;
            }
        }
        g = get(&f, "usr_a", id);
        assert_true(rt > 0);
        assert_int_equal(field_int(g, "baseline_minor"), rt);
        json_decref(g);
        json_decref(al);

        /* weekends: Saturdays and Sundays one way; Friday or Saturday out, Sunday back */
        int64_t ow = -1, we = -1;
        for (int64_t d = first_of_dec; d <= tt->to_day; d++) {
            int wd = ct_weekday(d);
            int64_t p1 = wd >= 6 ? price_of(f.pb, from, to, d) : -1;
            if (p1 > 0 && (ow < 0 || p1 < ow))
                ow = p1;
            int64_t back = d + (wd == 5 ? 2 : 1);
            int64_t p2 = (wd == 5 || wd == 6) && back <= tt->to_day
                             ? round_trip_price(f.pb, from, to, d, back)
                             : -1;
            if (p2 > 0 && (we < 0 || p2 < we))
                we = p2;
        }
        const char *kinds[] = {"false", "true"};
        int64_t want[] = {ow, we};
        for (int k = 0; k < 2; k++) {
            snprintf(body, sizeof(body),
                     "{\"origin\":\"%s\",\"destination\":\"%s\",\"dates\":{\"type\":"
                     "\"weekends\",\"month\":\"2026-12\",\"round_trip\":%s},\"drop_percent\":10}",
                     from, to, kinds[k]);
            al = create_ok(&f, "usr_a", body);
            g = get(&f, "usr_a", json_string_value(json_object_get(al, "id")));
            assert_true(want[k] > 0);
            assert_int_equal(field_int(g, "baseline_minor"), want[k]);
            json_decref(g);
            json_decref(al);
        }
        close_fixture(&f);
    }
}

/* ingest's price.changed event for leg l (apply.c publish_prices), with its amounts. */
static void publish(ct_bus *bus, const ct_leg *l, int now, int was)
{
    char dep[32];
    ct_utc_format((ct_utc)l->dep * 60, dep, sizeof(dep));
    json_t *e =
        json_pack("{s:s, s:s, s:i, s:s, s:s, s:s, s:s, s:s, s:i, s:i}", "provider", "ota-eur",
                  "carrier", tt->carriers[l->carrier], "flight_number", (int)l->number, "origin",
                  ct_refdata_airport_at(tt->rd, l->from)->iata, "destination",
                  ct_refdata_airport_at(tt->rd, l->to)->iata, "departure", dep, "cabin", "economy",
                  "currency", "EUR", "amount_minor", now, "previous_amount_minor", was);
    assert_int_equal(ct_bus_publish(bus, "price.changed", e), 1);
}

static void the_bus_handler_takes_drops_and_ignores_rises(void **state)
{
    (void)state;
    char urls[2][512];
    store_urls(urls);
    ct_bus *bus = NULL;
    assert_int_equal(ct_bus_new(&bus), CT_OK);
    fixture f;
    open_fixture_bus(&f, urls[0], 50, bus);
    char from[4], to[4], d[16], body[512];
    int64_t day = world.start + 4;
    pick_route(f.pb, day, 3, from, to);
    day_text(day, d);
    int64_t p0 = price_of(f.pb, from, to, day);
    snprintf(body, sizeof(body),
             "{\"origin\":\"%s\",\"destination\":\"%s\",\"dates\":{\"type\":\"exact\","
             "\"departure\":\"%s\"},\"max_price\":{\"amount_minor\":%lld}}",
             from, to, d, (long long)(p0 - 1));
    json_t *al = create_ok(&f, "usr_a", body);
    const char *id = json_string_value(json_object_get(al, "id"));
    ct_itinerary best;
    int found = 0;
    assert_int_equal(cheapest(f.pb, from, to, day, &best, &found), CT_OK);
    ct_alerts_stats s0, s1;
    ct_alerts_stats_get(f.alerts, &s0);
    publish(bus, best.legs[0], 300, 200); /* dearer: nothing to do */
    assert_int_equal(ct_alerts_flush(f.alerts, 60000), CT_OK);
    ct_alerts_stats_get(f.alerts, &s1);
    assert_int_equal(s1.rises, s0.rises + 1);
    assert_int_equal(s1.legs, s0.legs);
    set_fares(&f, &best, 50);
    publish(bus, best.legs[0], 100, 200); /* cheaper: re-priced, fires */
    assert_int_equal(ct_alerts_flush(f.alerts, 60000), CT_OK);
    ct_alerts_stats_get(f.alerts, &s1);
    assert_int_equal(s1.legs, s0.legs + 1);
    json_t *ev = events_of(&f, id);
    assert_int_equal(json_array_size(ev), 1);
    assert_int_equal(field_int(json_array_get(ev, 0), "price_minor"),
                     price_of(f.pb, from, to, day));
    json_decref(ev);
    json_decref(al);
    close_fixture(&f);
    ct_bus_free(bus);
}

/* ---- kept prices against full searches ---- */

static uint64_t rng = 0x9e3779b97f4a7c15ull;
static uint64_t next_rand(void)
{
    rng ^= rng << 13;
    rng ^= rng >> 7;
    rng ^= rng << 17;
    return rng;
}

typedef struct watched {
    char from[4], to[4], date[16], back_date[16];
    int64_t day, back;
} watched;

/* A priced route from a random leg's origin to where it or one or two legs after it lead. */
static void random_route(ct_pricebook *pb, watched *w)
{
    for (;;) {
        const ct_leg *l = &tt->legs[next_rand() % tt->nlegs];
        int64_t day = l->local_date;
        if (day < world.start + 1 || day > world.start + 25)
            continue;
        uint16_t from = l->from;
        for (int h = (int)(next_rand() % 3); h > 0; h--) {
            uint32_t n = tt->first[l->to + 1] - tt->first[l->to];
            const ct_leg *next = n ? &tt->legs[tt->first[l->to] + next_rand() % n] : NULL;
            if (next == NULL || next->to == from)
                break;
            l = next;
        }
        snprintf(w->from, 4, "%s", ct_refdata_airport_at(tt->rd, from)->iata);
        snprintf(w->to, 4, "%s", ct_refdata_airport_at(tt->rd, l->to)->iata);
        w->day = day;
        w->back = day + 2 + (int64_t)(next_rand() % 4);
        day_text(day, w->date);
        day_text(w->back, w->back_date);
        const ct_airport *pa = ct_refdata_airport(tt->rd, w->from),
                         *pz = ct_refdata_airport(tt->rd, w->to);
        if (pa->metro != NULL && pz->metro != NULL && strcmp(pa->metro, pz->metro) == 0)
            continue; /* the API refuses a trip within one city (Stansted to Heathrow) */
        if (strcmp(w->from, w->to) != 0 && price_of(pb, w->from, w->to, day) > 0)
            return;
    }
}

/* Every provider's fares of the market of leg l scaled to `percent` %, and each dated leg of
 * the market told to the engine as ingestion publishes it: a drop below 100 %, else a rise. */
static void change_market(fixture *f, const ct_leg *l, int percent)
{
    ct_itinerary one = {1, {l, NULL, NULL}, l->dep, l->arr, 0};
    set_fares(f, &one, percent);
    for (uint32_t i = tt->first[l->from]; i < tt->first[l->from + 1]; i++) {
        if (tt->legs[i].carrier != l->carrier || tt->legs[i].to != l->to)
            continue;
        if (percent < 100)
            ct_alerts_leg_changed(f->alerts, i, CT_CABIN_ECONOMY);
        else
            ct_alerts_leg_rose(f->alerts, i, CT_CABIN_ECONOMY);
    }
    assert_int_equal(ct_alerts_flush(f->alerts, 60000), CT_OK);
}

/* The kept price of w's trip (one way, or round trip when `round`) as a new alert's first
 * check reads it (its baseline; -1: none). */
static int64_t kept_price(fixture *f, const watched *w, int round)
{
    char body[512], ret[64] = "";
    if (round)
        snprintf(ret, sizeof(ret), ",\"return\":\"%s\"", w->back_date);
    snprintf(body, sizeof(body),
             "{\"origin\":\"%s\",\"destination\":\"%s\",\"dates\":{\"type\":\"exact\","
             "\"departure\":\"%s\"%s},\"drop_percent\":90}",
             w->from, w->to, w->date, ret);
    json_t *al = create_ok(f, "usr_b", body);
    const char *id = json_string_value(json_object_get(al, "id"));
    json_t *g = get(f, "usr_b", id);
    int64_t p = field_int(g, "baseline_minor");
    json_decref(g);
    assert_int_equal(ct_alerts_delete(f->alerts, f->st, "usr_b", id), CT_OK);
    json_decref(al);
    return p;
}

/* The engine keeps each one-way slice's cheapest price (and each round trip half's one-way
 * set) between batches and follows drops with restricted searches through the dropped legs
 * (first, middle or last) and rises by voiding what they carried: after many random fare
 * drops and rises on the legs of the watched routes' cheapest itineraries (and elsewhere),
 * every kept one-way price equals a full search's and every kept round trip price the
 * pairing of two full one-way searches. The time to live is set far beyond the test, so no full
 * re-search hides a miss. */
static void kept_prices_follow_random_changes_exactly(void **state)
{
    (void)state;
    char urls[2][512];
    store_urls(urls);
    fixture_ttl_s = 100 * 86400;
    fixture f;
    open_fixture(&f, urls[0], 500);
    enum { NW = 24, ROUNDS = 120 };
    watched w[NW];
    int64_t initial[NW], initial_rt[NW];
    char body[512];
    for (int i = 0; i < NW; i++) {
        random_route(f.pb, &w[i]);
        initial[i] = price_of(f.pb, w[i].from, w[i].to, w[i].day);
        initial_rt[i] = round_trip_price(f.pb, w[i].from, w[i].to, w[i].day, w[i].back);
        snprintf(body, sizeof(body),
                 "{\"origin\":\"%.3s\",\"destination\":\"%.3s\",\"dates\":{\"type\":"
                 "\"exact\",\"departure\":\"%.15s\"},\"drop_percent\":90}",
                 w[i].from, w[i].to, w[i].date);
        json_decref(create_ok(&f, "usr_a", body));
        snprintf(body, sizeof(body),
                 "{\"origin\":\"%.3s\",\"destination\":\"%.3s\",\"dates\":{\"type\":"
                 "\"exact\",\"departure\":\"%.15s\",\"return\":\"%.15s\"},\"drop_percent\":90}",
                 w[i].from, w[i].to, w[i].date, w[i].back_date);
        json_decref(create_ok(&f, "usr_a", body));
    }
    static const int percents[] = {45, 60, 75, 90, 110, 130, 150, 170};
    int moved = 0, rt_moved = 0, checks = 0, positions[3] = {0};
    ct_alerts_stats s0, s1;
    ct_alerts_stats_get(f.alerts, &s0);
    for (int r = 0; r < ROUNDS; r++) {
        clock_ms += 1000;
        const watched *x = &w[next_rand() % NW];
        ct_itinerary best;
        int found = 0, back = next_rand() % 3 == 0; /* the return's cheapest too */
        assert_int_equal(cheapest(f.pb, back ? x->to : x->from, back ? x->from : x->to,
                                  back ? x->back : x->day, &best, &found),
                         CT_OK);
        const ct_leg *l;
        if (found && next_rand() % 4 != 0) { /* a leg of a cheapest itinerary */
            int k = (int)(next_rand() % (uint64_t)best.nlegs);
            positions[k]++;
            l = best.legs[k];
        } else {
            l = &tt->legs[next_rand() % tt->nlegs];
        }
        change_market(&f, l, percents[next_rand() % 8]);
        if (r % 6 != 5)
            continue;
        for (int i = 0; i < NW; i++) {
            int64_t want = price_of(f.pb, w[i].from, w[i].to, w[i].day);
            int64_t got = kept_price(&f, &w[i], 0);
            if (got != want)
                fail_msg("round %d: %s-%s on %s: kept %lld, a full search %lld", r, w[i].from,
                         w[i].to, w[i].date, (long long)got, (long long)want);
            int64_t rt = round_trip_price(f.pb, w[i].from, w[i].to, w[i].day, w[i].back);
            got = kept_price(&f, &w[i], 1);
            if (got != rt)
                fail_msg("round %d: %s-%s on %s back %s: kept %lld, full searches %lld", r,
                         w[i].from, w[i].to, w[i].date, w[i].back_date, (long long)got,
                         (long long)rt);
            checks++;
            moved += want != initial[i];
            rt_moved += rt != initial_rt[i];
        }
    }
    ct_alerts_stats_get(f.alerts, &s1);
    printf("# %d checks (%d of a moved one-way price, %d round trip); changes on the cheapest's "
           "first/second/third leg "
           "%d/%d/%d; %llu "
           "restricted and %llu full searches, %llu rises\n",
           checks, moved, rt_moved, positions[0], positions[1], positions[2],
           (unsigned long long)(s1.restricted - s0.restricted),
           (unsigned long long)(s1.searches - s0.searches),
           (unsigned long long)(s1.rises - s0.rises));
    assert_true(moved > checks / 4); /* the changes moved the watched prices */
    assert_true(rt_moved > checks / 4);
    assert_true(checks == NW * (ROUNDS / 6));
    assert_true(s1.restricted - s0.restricted > 100);
    assert_true(positions[1] > 0 && positions[2] > 0);
    close_fixture(&f);
    fixture_ttl_s = 0;
}

/* A confirmed order (offer + order rows as booking writes them) for the flights of `it`, its
 * first flight booked `shift` minutes later than it flies and under flight number `number0`
 * (0: its own): the schedule changes of the tests. */
static void insert_order_as(fixture *f, const char *order_id, const char *user,
                            const ct_itinerary *it, int64_t paid, int shift, int number0)
{
    json_t *legs = json_array();
    for (int k = 0; k < it->nlegs; k++) {
        const ct_leg *l = it->legs[k];
        char dep[32], date[16];
        ct_utc_format(((ct_utc)l->dep + (k == 0 ? shift : 0)) * 60, dep, sizeof(dep));
        ct_date_format(l->local_date, date, sizeof(date));
        int number = k == 0 && number0 ? number0 : (int)l->number;
        json_array_append_new(
            legs, json_pack("{s:s, s:i, s:s, s:s, s:s, s:s}", "carrier", tt->carriers[l->carrier],
                            "flight_number", number, "date", date, "from",
                            ct_refdata_airport_at(tt->rd, l->from)->iata, "to",
                            ct_refdata_airport_at(tt->rd, l->to)->iata, "departs_at", dep));
    }
    json_t *body = json_pack("{s:s, s:i, s:[{s:o}]}", "cabin", "economy", "passengers", 1, "slices",
                             "legs", legs);
    char *text = json_dumps(body, 0), offer[48], total[24];
    json_decref(body);
    snprintf(offer, sizeof(offer), "off_%s", order_id);
    snprintf(total, sizeof(total), "%lld", (long long)paid);
    assert_int_equal(ct_store_run(f->st,
                                  "INSERT INTO offers (id, provider, provider_offer_id, "
                                  "itinerary_id, expires_at, currency, total_minor, fee_minor, "
                                  "passengers, body, created_at) VALUES (?, 'ota-eur', 'x', 'it', "
                                  "0, 'EUR', ?, 0, 1, ?, 0)",
                                  3, (const char *const[]){offer, total, text}),
                     CT_OK);
    free(text);
    assert_int_equal(ct_store_run(f->st,
                                  "INSERT INTO orders (id, user_id, offer_id, provider, status, "
                                  "currency, total_minor, passengers, last_name, contact_email, "
                                  "created_at, updated_at) VALUES (?, ?, ?, 'ota-eur', "
                                  "'confirmed', 'EUR', ?, '[]', 'x', 'x@example.com', 0, 0)",
                                  4, (const char *const[]){order_id, user, offer, total}),
                     CT_OK);
}

static void insert_order(fixture *f, const char *order_id, const char *user, const ct_itinerary *it,
                         int64_t paid)
{
    insert_order_as(f, order_id, user, it, paid, 0, 0);
}

static int64_t count_of(fixture *f, const char *sql)
{
    int64_t n = -1;
    assert_int_equal(ct_store_query_int64(f->st, sql, &n), CT_OK);
    return n;
}

/* The trip.schedule_changed events written so far, oldest first (the caller frees). */
static json_t *schedule_events(fixture *f, int want)
{
    for (int tries = 0; tries < 500; tries++) { /* the worker reports after the attach */
        if (count_of(f, "SELECT COUNT(*) FROM outbox WHERE type = 'trip.schedule_changed'") >= want)
            break;
        struct timespec ts = {0, 10 * 1000000L};
        nanosleep(&ts, NULL);
    }
    json_t *out = json_array();
    ct_stmt *s = NULL;
    assert_int_equal(ct_store_prepare(f->st,
                                      "SELECT aggregate_id, payload FROM outbox WHERE type ="
                                      " 'trip.schedule_changed' ORDER BY created_at, seq",
                                      &s),
                     CT_OK);
    while (ct_stmt_step(s) == CT_ROW) {
        json_error_t err;
        json_t *e = json_loads(ct_stmt_text(s, 1), 0, &err);
        assert_non_null(e);
        assert_string_equal(json_string_value(json_object_get(e, "order_id")), ct_stmt_text(s, 0));
        json_array_append_new(out, e);
    }
    ct_stmt_finalize(s);
    return out;
}

/* A booked flight the timetable flies at another time, or not at all that day, is reported
 * once as trip.schedule_changed (with what changed); a flight as booked is not; a restart
 * over the same timetable reports nothing again. */
static void a_booked_trip_reports_schedule_changes(void **state)
{
    (void)state;
    char urls[2][512];
    int n = store_urls(urls);
    for (int u = 0; u < n; u++) {
        fixture f;
        open_fixture(&f, urls[u], 50);
        char from[4], to[4];
        int64_t day = world.start + 9;
        pick_route(f.pb, day, 4, from, to);
        ct_itinerary best;
        int found = 0;
        assert_int_equal(cheapest(f.pb, from, to, day, &best, &found), CT_OK);
        const ct_leg *l0 = best.legs[0];
        int absent = 9999; /* a flight number the carrier does not fly that day */
        for (size_t i = 0; i < tt->nlegs; i++)
            assert_false(tt->legs[i].carrier == l0->carrier && tt->legs[i].number == absent);
        insert_order(&f, "ord_same", "usr_a", &best, best.price);
        insert_order_as(&f, "ord_moved", "usr_a", &best, best.price, 120, 0);
        insert_order_as(&f, "ord_gone", "usr_b", &best, best.price, 0, absent);
        assert_int_equal(ct_alerts_track_order(f.alerts, f.st, "ord_same"), CT_OK);
        assert_int_equal(ct_alerts_track_order(f.alerts, f.st, "ord_moved"), CT_OK);
        assert_int_equal(ct_alerts_track_order(f.alerts, f.st, "ord_gone"), CT_OK);
        json_t *ev = schedule_events(&f, 2);
        assert_int_equal(json_array_size(ev), 2);
        char flies[32], booked[32];
        ct_utc_format((ct_utc)l0->dep * 60, flies, sizeof(flies));
        ct_utc_format(((ct_utc)l0->dep + 120) * 60, booked, sizeof(booked));
        int seen_moved = 0, seen_gone = 0;
        for (size_t i = 0; i < 2; i++) {
            json_t *e = json_array_get(ev, i);
            const char *order = json_string_value(json_object_get(e, "order_id"));
            json_t *changes = json_object_get(e, "changes");
            assert_int_equal(json_array_size(changes), 1);
            json_t *c = json_array_get(changes, 0);
            assert_string_equal(json_string_value(json_object_get(e, "origin")), from);
            assert_int_equal(field_int(e, "price_minor"), best.price);
            assert_string_equal(json_string_value(json_object_get(c, "from")), from);
            if (strcmp(order, "ord_moved") == 0) {
                seen_moved++;
                assert_string_equal(json_string_value(json_object_get(e, "user_id")), "usr_a");
                assert_string_equal(json_string_value(json_object_get(c, "status")), "retimed");
                assert_string_equal(json_string_value(json_object_get(c, "booked_departure")),
                                    booked);
                assert_string_equal(json_string_value(json_object_get(c, "new_departure")), flies);
            } else {
                assert_string_equal(order, "ord_gone");
                seen_gone++;
                assert_string_equal(json_string_value(json_object_get(c, "status")), "cancelled");
                assert_true(json_is_null(json_object_get(c, "new_departure")));
                assert_int_equal(field_int(c, "flight_number"), absent);
            }
        }
        assert_int_equal(seen_moved, 1);
        assert_int_equal(seen_gone, 1);
        json_decref(ev);

        /* a restart over the same timetable: the trips loaded and resolved again, nothing new */
        ct_alerts_free(f.alerts);
        ct_alerts_config c = {.pool = f.pool, .now_ms = test_clock, .batch_ms = 1};
        assert_int_equal(ct_alerts_new(&c, &f.alerts), CT_OK);
        assert_int_equal(ct_alerts_load(f.alerts, f.st), CT_OK);
        assert_int_equal(ct_alerts_attach(f.alerts, tt, f.pb, NULL), CT_OK);
        assert_int_equal(ct_alerts_start(f.alerts), CT_OK);
        struct timespec ts = {0, 300 * 1000000L};
        nanosleep(&ts, NULL);
        ev = schedule_events(&f, 2);
        assert_int_equal(json_array_size(ev), 2);
        json_decref(ev);
        assert_int_equal(count_of(&f, "SELECT COUNT(*) FROM outbox_consumed WHERE consumer ="
                                      " 'alerts-schedule'"),
                         2);
        close_fixture(&f);
    }
}

static void a_booked_trip_reports_a_drop_of_its_flights(void **state)
{
    (void)state;
    char urls[2][512];
    int n = store_urls(urls);
    for (int u = 0; u < n; u++) {
        fixture f;
        open_fixture(&f, urls[u], 50);
        char from[4], to[4];
        int64_t day = world.start + 9;
        pick_route(f.pb, day, 4, from, to);
        ct_itinerary best;
        int found = 0;
        assert_int_equal(cheapest(f.pb, from, to, day, &best, &found), CT_OK);
        int64_t paid = best.price;
        insert_order(&f, "ord_a", "usr_a", &best, paid);
        insert_order(&f, "ord_guest", NULL, &best, paid);
        assert_int_equal(ct_alerts_track_order(f.alerts, f.st, "ord_a"), CT_OK);
        assert_int_equal(ct_alerts_track_order(f.alerts, f.st, "ord_a"), CT_OK); /* once */
        assert_int_equal(ct_alerts_track_order(f.alerts, f.st, "ord_guest"), CT_OK);
        int64_t rows = -1;
        assert_int_equal(
            ct_store_query_int64(f.st, "SELECT COUNT(*) FROM price_alert WHERE date_mode = 'trip'",
                                 &rows),
            CT_OK);
        assert_int_equal(rows, 1);
        json_t *list = NULL;
        assert_int_equal(ct_alerts_list(f.alerts, f.st, "usr_a", &list), CT_OK);
        assert_int_equal(field_int(list, "total"), 0); /* not a price alert of the API */
        json_decref(list);

        lower_fares(&f, &best, 50);
        ct_stmt *s = NULL;
        assert_int_equal(ct_store_prepare(f.st,
                                          "SELECT type, aggregate_id, payload FROM outbox WHERE "
                                          "aggregate = 'trip' ORDER BY seq",
                                          &s),
                         CT_OK);
        int events = 0;
        while (ct_stmt_step(s) == CT_ROW) {
            events++;
            assert_string_equal(ct_stmt_text(s, 0), "trip.price_drop");
            assert_string_equal(ct_stmt_text(s, 1), "ord_a");
            json_error_t err;
            json_t *e = json_loads(ct_stmt_text(s, 2), 0, &err);
            assert_string_equal(json_string_value(json_object_get(e, "order_id")), "ord_a");
            assert_string_equal(json_string_value(json_object_get(e, "user_id")), "usr_a");
            assert_string_equal(json_string_value(json_object_get(e, "origin")), from);
            assert_string_equal(json_string_value(json_object_get(e, "destination")), to);
            assert_true(field_int(e, "price_minor") < paid);
            assert_int_equal(field_int(e, "threshold_minor"), paid);
            assert_int_equal(field_int(e, "previous_low_minor"), paid);
            json_decref(e);
        }
        ct_stmt_finalize(s);
        assert_int_equal(events, 1);
        lower_fares(&f, &best, 50); /* cheaper again, within the cooldown: no second event */
        int64_t count = 0;
        assert_int_equal(ct_store_query_int64(
                             f.st, "SELECT COUNT(*) FROM outbox WHERE aggregate = 'trip'", &count),
                         CT_OK);
        assert_int_equal(count, 1);
        close_fixture(&f);
    }
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(crud_validates_and_scopes_to_the_user),
        cmocka_unit_test(a_drop_below_the_maximum_fires_once_per_new_low),
        cmocka_unit_test(a_trigger_carries_the_buy_or_wait_advice),
        cmocka_unit_test(a_percentage_drop_fires_against_the_baseline),
        cmocka_unit_test(flexible_dates_take_the_cheapest_day),
        cmocka_unit_test(the_bus_handler_takes_drops_and_ignores_rises),
        cmocka_unit_test(kept_prices_follow_random_changes_exactly),
        cmocka_unit_test(a_booked_trip_reports_a_drop_of_its_flights),
        cmocka_unit_test(a_booked_trip_reports_schedule_changes),
    };
    return cmocka_run_group_tests(tests, setup, teardown);
}
