/* test_cluster.c: cluster mode (app/cluster.h) with two real `contrail serve` instances on one
 * throwaway PostgreSQL and the small sandbox world (`contrail-sandbox world --size small`).
 *
 * The world's clock is stopped first, so prices move only when the test moves it. Instance A
 * starts first and takes the ingestion lease; B starts after it and answers priced searches
 * without sending a single feed request (its /metrics) from the price stream alone, the same
 * itineraries and prices as A. Then the world clock jumps five days ahead (the background
 * market sells seats, classes close): A's next incremental sync changes its answer, and B
 * answers the same within 5 s of A. A is killed with SIGKILL (no release): B takes the lease
 * over once its time-to-live (2 s) has passed, ingests (its feed requests rise), and the next
 * clock jump changes its answers. A started again follows B (no feed requests) and answers as
 * B does. Both stop cleanly (exit 0). Without CT_TEST_PG_URL the test is skipped, unless
 * CT_TEST_REQUIRE_PG=1. */
#include "ct_test.h"

#include <jansson.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "httpclient.h"
#include "store/store.h"
#include "testsupport.h"

#define TTL_S 2

static char dir[256], wdir[300], db[512], leg_from[4], leg_to[4], leg_date[16];
static int world_pid = -1, runs;
static json_t *world;

typedef struct instance {
    int pid, port;
    char name[8];
} instance;

static instance a = {-1, 0, "a"}, b = {-1, 0, "b"};

static int64_t now_ms(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

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
    return NULL;
}

static void start(instance *in)
{
    char dbf[600], port_file[400], jwt[400], none[400], log[400], wd[420];
    snprintf(dbf, sizeof(dbf), "--db=%s", db);
    snprintf(port_file, sizeof(port_file), "%s/port-%s-%d", dir, in->name, runs);
    snprintf(jwt, sizeof(jwt), "%s/jwt.key", dir);
    snprintf(none, sizeof(none), "%s/no-schedules", dir);
    snprintf(log, sizeof(log), "%s/serve-%s-%d.log", dir, in->name, runs++);
    snprintf(wd, sizeof(wd), "--sandbox-world=%s", wdir);
    const char *bin = getenv("CT_CONTRAIL_BIN");
    if (bin == NULL || access(bin, X_OK) != 0)
        fail_msg("CT_CONTRAIL_BIN does not name the built contrail (run through ctest)");
    char ttl[32];
    snprintf(ttl, sizeof(ttl), "--lease-ttl=%d", TTL_S);
    char *const argv[] = {(char *)bin,
                          "serve",
                          dbf,
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
                          "--ingest-days=30",
                          "--ingest-interval=1",
                          ttl,
                          "--price-stream-interval=200",
                          "--rate-limit-ip=0",
                          "--access-log=false",
                          "--log-level=info",
                          NULL};
    in->pid = ts_spawn(argv, log);
    in->port = ts_wait_port_file(port_file, 60000);
    assert_true(in->port > 0);
}

/* The answer's itineraries as "id=amount;..." (malloc'd), or NULL while unpriced. */
static char *prices_of(const instance *in)
{
    char body[300];
    snprintf(body, sizeof(body),
             "{\"slices\":[{\"origin\":\"%s\",\"destination\":\"%s\",\"date\":\"%s\"}],"
             "\"passengers\":{\"adults\":1},\"page_size\":100}",
             leg_from, leg_to, leg_date);
    char url[200];
    snprintf(url, sizeof(url), "http://127.0.0.1:%d/api/v1/searches", in->port);
    ts_response r = ts_http_url("POST", url, body, NULL);
    json_t *j = r.status == 200 ? json_loads(r.body, 0, NULL) : NULL;
    ts_response_free(&r);
    json_t *its = json_object_get(j, "itineraries"), *it;
    size_t i, cap = 65536, n = 0;
    char *out = calloc(1, cap);
    assert_non_null(out);
    json_array_foreach(its, i, it)
    {
        json_t *amount = json_object_get(json_object_get(it, "price"), "amount_minor");
        if (amount == NULL || json_is_null(amount)) {
            free(out);
            out = NULL;
            break;
        }
        n += (size_t)snprintf(out + n, n < cap ? cap - n : 0, "%s=%lld;",
                              json_string_value(json_object_get(it, "id")),
                              (long long)json_integer_value(amount));
    }
    if (out != NULL && n == 0) {
        free(out);
        out = NULL;
    }
    json_decref(j);
    return out;
}

static char *wait_priced(const instance *in, int timeout_ms)
{
    char *p = NULL;
    for (int64_t until = now_ms() + timeout_ms; p == NULL && now_ms() < until;) {
        p = prices_of(in);
        if (p == NULL)
            sleep_ms(200);
    }
    if (p == NULL)
        fail_msg("instance %s answered no priced search in %d ms (logs in %s)", in->name,
                 timeout_ms, dir);
    return p;
}

/* The sum of contrail_ingest_requests_total over the providers in the instance's /metrics. */
static long feed_requests(const instance *in)
{
    ts_response r = ts_http("GET", in->port, "/metrics", NULL, NULL);
    assert_int_equal(r.status, 200);
    long total = 0;
    for (const char *p = r.body; (p = strstr(p, "\ncontrail_ingest_requests_total{")) != NULL;) {
        const char *v = strchr(p, '}');
        if (v == NULL)
            break;
        total += strtol(v + 1, NULL, 10);
        p = v;
    }
    ts_response_free(&r);
    return total;
}

/* The value of the /metrics line starting with `line` (name and labels, then a space). */
static long metric(const instance *in, const char *line)
{
    ts_response r = ts_http("GET", in->port, "/metrics", NULL, NULL);
    assert_int_equal(r.status, 200);
    char want[200];
    snprintf(want, sizeof(want), "\n%s", line); /* a sample line, not its # HELP */
    const char *p = strstr(r.body, want);
    if (p == NULL)
        fail_msg("no %s in /metrics", line);
    long v = strtol(p + strlen(want), NULL, 10);
    ts_response_free(&r);
    return v;
}

/* /readyz: 200, the database named as PostgreSQL, up and required. */
static void readyz_names_postgres(const instance *in)
{
    ts_response r = ts_http("GET", in->port, "/readyz", NULL, NULL);
    assert_int_equal(r.status, 200);
    json_t *j = ts_json(&r);
    json_t *e = json_object_get(json_object_get(j, "engines"), "database");
    assert_non_null(e);
    assert_string_equal(json_string_value(json_object_get(e, "kind")), "postgres");
    assert_string_equal(json_string_value(json_object_get(e, "state")), "up");
    assert_true(json_is_true(json_object_get(e, "required")));
    json_decref(j);
    ts_response_free(&r);
}

/* The pid in the holder id of the ingestion lease ("host:pid:random"), 0 when none. */
static int leader_pid(void)
{
    ct_store *st = NULL;
    char err[256];
    if (ct_store_open(db, &st, err, sizeof(err)) != CT_OK)
        fail_msg("open %s: %s", db, err);
    ct_stmt *s = NULL;
    int pid = 0;
    if (ct_store_prepare(st,
                         "SELECT holder FROM cluster_lease WHERE name = 'ingest'"
                         " AND expires_at > CAST(EXTRACT(EPOCH FROM clock_timestamp()) * 1000"
                         " AS BIGINT)",
                         &s) == CT_OK &&
        ct_stmt_step(s) == CT_ROW) {
        const char *h = ct_stmt_text(s, 0), *c = h ? strchr(h, ':') : NULL;
        pid = c ? atoi(c + 1) : 0;
    }
    ct_stmt_finalize(s);
    ct_store_close(st);
    return pid;
}

/* Moves the world clock (stopped) by `days` from where it is, or just stops it (days 0). */
static void world_clock(int days)
{
    char url[300];
    snprintf(url, sizeof(url), "%s/admin/clock",
             json_string_value(json_object_get(json_object_get(world, "payments"), "url")));
    ts_response r = ts_http_url("GET", url, NULL, NULL);
    if (r.status != 200)
        fail_msg("GET %s: %ld %s", url, r.status, r.body ? r.body : "");
    json_t *j = json_loads(r.body, 0, NULL);
    ts_response_free(&r);
    time_t t = (time_t)(json_integer_value(json_object_get(j, "now_ms")) / 1000) + days * 86400;
    json_decref(j);
    struct tm tm;
    gmtime_r(&t, &tm);
    char iso[40], body[120];
    strftime(iso, sizeof(iso), "%Y-%m-%dT%H:%M:%SZ", &tm);
    snprintf(body, sizeof(body), "{\"now\":\"%s\",\"speed\":0}", iso);
    r = ts_http_url("PUT", url, body, NULL);
    assert_int_equal(r.status, 200);
    ts_response_free(&r);
}

/* Waits until `in` answers something other than `before`; returns it. */
static char *wait_changed(const instance *in, const char *before, int timeout_ms)
{
    for (int64_t until = now_ms() + timeout_ms; now_ms() < until; sleep_ms(100)) {
        char *p = prices_of(in);
        if (p != NULL && strcmp(p, before) != 0)
            return p;
        free(p);
    }
    fail_msg("instance %s: prices did not change in %d ms", in->name, timeout_ms);
    return NULL;
}

/* Waits until `follower` answers what `leader` answers (read again each round); returns the
 * milliseconds it took. */
static int64_t wait_same(const instance *follower, const instance *leader, int timeout_ms)
{
    int64_t t0 = now_ms();
    for (int64_t until = t0 + timeout_ms; now_ms() < until; sleep_ms(50)) {
        char *l = prices_of(leader), *f = prices_of(follower);
        int same = l != NULL && f != NULL && strcmp(l, f) == 0;
        free(l);
        free(f);
        if (same)
            return now_ms() - t0;
    }
    fail_msg("instance %s did not answer as %s within %d ms", follower->name, leader->name,
             timeout_ms);
    return -1;
}

static int setup(void **state)
{
    (void)state;
    char urls[2][512];
    ts_tempdir(dir, sizeof(dir));
    if (ts_store_urls(dir, urls, 2) < 2) {
        const char *req = getenv("CT_TEST_REQUIRE_PG");
        if (req != NULL && strcmp(req, "1") == 0) {
            fprintf(stderr, "CT_TEST_PG_URL is required\n");
            return -1;
        }
        return 0;
    }
    snprintf(db, sizeof(db), "%s", urls[1]);
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
    world_clock(0);
    ts_pick_ndc_leg(url_of("airline-1"), 14, leg_date, leg_from, leg_to);
    return 0;
}

static int teardown(void **state)
{
    (void)state;
    int code = 0;
    if (a.pid > 0)
        code |= ts_stop_child(a.pid, SIGTERM, 30000);
    if (b.pid > 0)
        code |= ts_stop_child(b.pid, SIGTERM, 30000);
    if (world_pid > 0)
        ts_stop_child(world_pid, SIGTERM, 30000);
    json_decref(world);
    if (code != 0)
        fprintf(stderr, "serve exited %d (logs in %s)\n", code, dir);
    else
        ts_rmtree(dir);
    return code == 0 ? 0 : -1;
}

static void test_one_ingests_every_instance_prices(void **state)
{
    (void)state;
    if (db[0] == '\0') {
        skip();
        return;
    }
    start(&a);
    char *pa = wait_priced(&a, 120000);
    assert_int_equal(leader_pid(), a.pid);
    start(&b);
    char *pb = wait_priced(&b, 60000);
    assert_int_equal(leader_pid(), a.pid);
    wait_same(&b, &a, 10000);
    assert_true(feed_requests(&a) > 0);
    assert_int_equal(feed_requests(&b), 0); /* B priced everything from the stream */
    assert_int_equal(metric(&a, "contrail_cluster_leader "), 1);
    assert_int_equal(metric(&b, "contrail_cluster_leader "), 0);
    assert_true(metric(&b, "contrail_cluster_stream_rows_total{direction=\"applied\"} ") > 0);
    assert_int_equal(metric(&b, "contrail_cluster_stream_rows_total{direction=\"written\"} "), 0);
    readyz_names_postgres(&b);
    free(pa);
    free(pb);

    /* a price change reaches B within 5 s of A */
    pa = prices_of(&a);
    world_clock(5);
    char *changed = wait_changed(&a, pa, 60000);
    int64_t took = wait_same(&b, &a, 5000);
    fprintf(stderr, "B answered A's new prices %lld ms after A\n", (long long)took);
    assert_int_equal(feed_requests(&b), 0);
    free(pa);
    free(changed);

    /* A dies without a word: B takes over after the lease's time-to-live */
    assert_int_equal(kill(a.pid, SIGKILL), 0);
    assert_int_equal(ts_stop_child(a.pid, 0, 10000), 128 + SIGKILL);
    a.pid = -1;
    int64_t t0 = now_ms();
    while (leader_pid() != b.pid && now_ms() - t0 < 20000)
        sleep_ms(100);
    assert_int_equal(leader_pid(), b.pid);
    fprintf(stderr, "B took the lease over %lld ms after A was killed\n",
            (long long)(now_ms() - t0));
    for (t0 = now_ms(); feed_requests(&b) == 0 && now_ms() - t0 < 20000;)
        sleep_ms(100);
    assert_true(feed_requests(&b) > 0);
    assert_int_equal(metric(&b, "contrail_cluster_leader "), 1);
    assert_int_equal(metric(&b, "contrail_cluster_lease_changes_total{change=\"acquired\"} "), 1);
    pb = wait_priced(&b, 10000);
    world_clock(5);
    changed = wait_changed(&b, pb, 60000);
    free(pb);
    free(changed);

    /* A again: it follows B */
    start(&a);
    free(wait_priced(&a, 60000));
    wait_same(&a, &b, 20000);
    assert_int_equal(feed_requests(&a), 0);
    assert_int_equal(leader_pid(), b.pid);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_one_ingests_every_instance_prices),
    };
    return cmocka_run_group_tests(tests, setup, teardown);
}
