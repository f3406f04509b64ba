/* test_clock.c: the shared world clock. Two handles on one file stand for two processes; the
 * admin endpoints run on a real HTTP server over loopback; the `clock` subcommand runs as the
 * built program. Frozen clocks (speed 0) make most assertions exact. */
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
#include <time.h>
#include <unistd.h>

#include "base/timeutil.h"
#include "http/http.h"
#include "sandbox/runtime/clock.h"
#include "httpclient.h"
#include "testsupport.h"

#define T_2026 1772352000LL /* 2026-03-01T08:00:00Z */

static char tmpdir[256];
static char path[512];

static int64_t real_ms(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_REALTIME, &ts);
    return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

static void sleep_ms(int ms)
{
    struct timespec ts = {ms / 1000, (long)(ms % 1000) * 1000000L};
    nanosleep(&ts, NULL);
}

static int setup(void **state)
{
    (void)state;
    curl_global_init(CURL_GLOBAL_DEFAULT);
    ts_tempdir(tmpdir, sizeof(tmpdir));
    return 0;
}

static int teardown(void **state)
{
    (void)state;
    ts_rmtree(tmpdir);
    curl_global_cleanup();
    return 0;
}

/* Each test gets its own clock file in a fresh sub-folder (which also tests that setting the
 * clock creates the folder). */
static int per_test(void **state)
{
    (void)state;
    static int n;
    snprintf(path, sizeof(path), "%s/t%d/var/clock.json", tmpdir, ++n);
    return 0;
}

static sb_clock *open_clock(void)
{
    sb_clock *clk = NULL;
    assert_int_equal(sb_clock_open(path, &clk), CT_OK);
    return clk;
}

static void missing_file_is_real_time(void **state)
{
    (void)state;
    sb_clock *clk = open_clock();
    sb_clock_info info;
    sb_clock_info_get(clk, &info);
    assert_int_equal(info.from_file, 0);
    assert_true(info.speed == 1.0);
    assert_string_equal(info.path, path);
    assert_true(llabs(sb_clock_now_ms(clk) - real_ms()) < 1000);
    assert_true(llabs(sb_clock_now(clk) - (int64_t)time(NULL)) <= 1);
    sb_clock_close(clk);
}

static void set_is_seen_by_another_handle(void **state)
{
    (void)state;
    sb_clock *a = open_clock(), *b = open_clock();
    assert_int_equal(sb_clock_set(a, T_2026 * 1000, 0.0), CT_OK);
    assert_int_equal(sb_clock_now(b), T_2026);
    assert_int_equal(sb_clock_now_ms(b), T_2026 * 1000);
    sleep_ms(20);
    assert_int_equal(sb_clock_now_ms(b), T_2026 * 1000); /* stopped */
    sb_clock_info info;
    sb_clock_info_get(b, &info);
    assert_int_equal(info.from_file, 1);
    assert_true(info.speed == 0.0);
    assert_int_equal(info.world_epoch_ms, T_2026 * 1000);
    /* A handle opened after the setting reads it too. */
    sb_clock *c = open_clock();
    assert_int_equal(sb_clock_now(c), T_2026);
    sb_clock_close(a);
    sb_clock_close(b);
    sb_clock_close(c);
}

static void speed_runs_the_world_faster(void **state)
{
    (void)state;
    const double speed = 3600.0;
    sb_clock *a = open_clock(), *b = open_clock();
    int64_t before_set = real_ms();
    assert_int_equal(sb_clock_set(a, T_2026 * 1000, speed), CT_OK);
    int64_t after_set = real_ms();
    sleep_ms(200);
    int64_t before_read = real_ms();
    int64_t world = sb_clock_now_ms(b) - T_2026 * 1000;
    int64_t after_read = real_ms();
    /* The setting was made in [before_set, after_set], the reading in [before_read,
     * after_read]: the world moved 3600 times the real time between them. */
    assert_true(world >= (int64_t)((double)(before_read - after_set) * speed));
    assert_true(world <= (int64_t)((double)(after_read - before_set) * speed));
    assert_true(world >= 200 * 3600);
    sb_clock_close(a);
    sb_clock_close(b);
}

static void set_speed_continues_from_the_current_time(void **state)
{
    (void)state;
    sb_clock *a = open_clock(), *b = open_clock();
    assert_int_equal(sb_clock_set(a, T_2026 * 1000, 0.0), CT_OK);
    int64_t t0 = real_ms();
    assert_int_equal(sb_clock_set_speed(a, 1000.0), CT_OK);
    int64_t w = sb_clock_now_ms(b);
    int64_t t1 = real_ms();
    assert_true(w >= T_2026 * 1000);
    assert_true(w <= T_2026 * 1000 + (t1 - t0) * 1000);
    sb_clock_info info;
    sb_clock_info_get(b, &info);
    assert_true(info.speed == 1000.0);
    /* Stopping again freezes it where it is. */
    assert_int_equal(sb_clock_set_speed(a, 0.0), CT_OK);
    int64_t frozen = sb_clock_now_ms(b);
    sleep_ms(30);
    assert_int_equal(sb_clock_now_ms(b), frozen);
    assert_int_equal(sb_clock_now_ms(a), frozen);
    sb_clock_close(a);
    sb_clock_close(b);
}

/* Files of the same size, written faster than the file system's timestamp tick, into recycled
 * inodes: the strictly increasing mtime still tells every version apart. */
static void rapid_settings_are_never_missed(void **state)
{
    (void)state;
    sb_clock *a = open_clock(), *b = open_clock();
    for (int64_t i = 0; i < 300; i++) {
        assert_int_equal(sb_clock_set(a, (T_2026 + i) * 1000, 0.0), CT_OK);
        assert_int_equal(sb_clock_now(b), T_2026 + i);
    }
    sb_clock_close(a);
    sb_clock_close(b);
}

static void reset_returns_to_real_time(void **state)
{
    (void)state;
    sb_clock *a = open_clock(), *b = open_clock();
    assert_int_equal(sb_clock_set(a, T_2026 * 1000, 0.0), CT_OK);
    assert_int_equal(sb_clock_now(b), T_2026);
    assert_int_equal(sb_clock_reset(a), CT_OK);
    assert_int_equal(access(path, F_OK), -1);
    assert_true(llabs(sb_clock_now_ms(b) - real_ms()) < 1000);
    sb_clock_info info;
    sb_clock_info_get(b, &info);
    assert_int_equal(info.from_file, 0);
    assert_int_equal(sb_clock_reset(a), CT_OK); /* nothing to remove is fine */
    sb_clock_close(a);
    sb_clock_close(b);
}

static void invalid_settings_are_rejected(void **state)
{
    (void)state;
    sb_clock *a = open_clock();
    assert_int_equal(sb_clock_set(a, T_2026 * 1000, 0.0), CT_OK);
    assert_int_equal(sb_clock_set(a, T_2026 * 1000, -1.0), CT_INVALID);
    assert_int_equal(sb_clock_set(a, T_2026 * 1000, NAN), CT_INVALID);
    assert_int_equal(sb_clock_set(a, T_2026 * 1000, INFINITY), CT_INVALID);
    assert_int_equal(sb_clock_set(a, T_2026 * 1000, SB_CLOCK_MAX_SPEED * 2), CT_INVALID);
    assert_int_equal(sb_clock_set(a, -5, 1.0), CT_INVALID);
    assert_int_equal(sb_clock_set(a, 253402300800000LL, 1.0), CT_INVALID); /* year 10000 */
    assert_int_equal(sb_clock_set_speed(a, -0.5), CT_INVALID);
    assert_int_equal(sb_clock_now(a), T_2026); /* unchanged */
    assert_int_equal(sb_clock_set(a, T_2026 * 1000, SB_CLOCK_MAX_SPEED), CT_OK);
    sb_clock_close(a);
}

static void write_raw(const char *text)
{
    char tmp[600];
    snprintf(tmp, sizeof(tmp), "%s.raw", path);
    FILE *f = fopen(tmp, "w");
    assert_non_null(f);
    fputs(text, f);
    fclose(f);
    assert_int_equal(rename(tmp, path), 0);
}

static void broken_file_keeps_the_last_good_state(void **state)
{
    (void)state;
    sb_clock *a = open_clock(), *b = open_clock();
    assert_int_equal(sb_clock_set(a, T_2026 * 1000, 0.0), CT_OK);
    assert_int_equal(sb_clock_now(b), T_2026);
    write_raw("{\"real_epoch_ms\": 1, \"world_epoch_ms\": 2, \"speed\": -3}");
    assert_int_equal(sb_clock_now(b), T_2026);
    write_raw("not json at all");
    assert_int_equal(sb_clock_now(b), T_2026);
    /* A process that starts on a broken file has no good state: real time. */
    sb_clock *c = open_clock();
    assert_true(llabs(sb_clock_now_ms(c) - real_ms()) < 1000);
    /* A hand-written valid file is taken. */
    write_raw("{\"version\":1,\"real_epoch_ms\":0,\"world_epoch_ms\":86400000,\"speed\":0}");
    assert_int_equal(sb_clock_now(b), 86400);
    assert_int_equal(sb_clock_now(c), 86400);
    sb_clock_close(a);
    sb_clock_close(b);
    sb_clock_close(c);
}

static void local_clock_without_a_file(void **state)
{
    (void)state;
    sb_clock *clk = NULL;
    assert_int_equal(sb_clock_open(NULL, &clk), CT_OK);
    assert_true(llabs(sb_clock_now_ms(clk) - real_ms()) < 1000);
    assert_int_equal(sb_clock_set(clk, 1000, 0.0), CT_OK);
    assert_int_equal(sb_clock_now_ms(clk), 1000);
    sb_clock_info info;
    sb_clock_info_get(clk, &info);
    assert_null(info.path);
    assert_int_equal(info.from_file, 0);
    sb_clock_close(clk);
}

typedef struct reader_arg {
    sb_clock *clk;
    int bad;
    int reads;
} reader_arg;

static atomic_int writer_done;

static void *reader(void *p)
{
    reader_arg *r = p;
    while (!atomic_load(&writer_done)) {
        int64_t s = sb_clock_now(r->clk);
        r->bad += s < T_2026 || s >= T_2026 + 200;
        r->reads++;
    }
    return NULL;
}

/* Threads read one handle while another handle keeps setting the file: every reading is one
 * of the values written, never a torn or default one. */
static void concurrent_readers_see_only_written_values(void **state)
{
    (void)state;
    sb_clock *a = open_clock(), *b = open_clock();
    assert_int_equal(sb_clock_set(a, T_2026 * 1000, 0.0), CT_OK);
    atomic_store(&writer_done, 0);
    pthread_t t[4];
    reader_arg args[4];
    for (int i = 0; i < 4; i++) {
        args[i] = (reader_arg){.clk = b};
        pthread_create(&t[i], NULL, reader, &args[i]);
    }
    for (int64_t i = 1; i < 200; i++)
        assert_int_equal(sb_clock_set(a, (T_2026 + i) * 1000, 0.0), CT_OK);
    atomic_store(&writer_done, 1);
    int bad = 0, reads = 0;
    for (int i = 0; i < 4; i++) {
        pthread_join(t[i], NULL);
        bad += args[i].bad;
        reads += args[i].reads;
    }
    assert_int_equal(bad, 0);
    assert_true(reads > 0);
    assert_int_equal(sb_clock_now(b), T_2026 + 199);
    sb_clock_close(a);
    sb_clock_close(b);
}

/* ---- admin endpoints ---- */

static json_t *json_body(const ts_response *r)
{
    json_t *j = json_loads(r->body, 0, NULL);
    if (j == NULL)
        fail_msg("not JSON: %.200s", r->body);
    return j;
}

static void expect_field_problem(const char *url, const char *body, const char *field)
{
    ts_response r = ts_http_url("PUT", url, body, NULL);
    assert_int_equal(r.status, 400);
    assert_true(ts_has_header(&r, "Content-Type: application/problem+json"));
    json_t *j = json_body(&r);
    json_t *e = json_array_get(json_object_get(j, "errors"), 0);
    assert_string_equal(json_string_value(json_object_get(e, "field")), field);
    json_decref(j);
    ts_response_free(&r);
}

static void admin_endpoints_over_http(void **state)
{
    (void)state;
    sb_clock *served = open_clock(), *other = open_clock();
    ct_router *router = ct_router_create();
    assert_int_equal(sb_clock_register(router, served), CT_OK);
    ct_http_server *server = NULL;
    ct_http_options opt = {.port = 0, .threads = 2};
    assert_int_equal(ct_http_server_start(&opt, router, &server), CT_OK);
    char url[128];
    snprintf(url, sizeof(url), "http://127.0.0.1:%d/admin/clock", ct_http_server_port(server));

    ts_response r = ts_http_url("GET", url, NULL, NULL);
    assert_int_equal(r.status, 200);
    json_t *j = json_body(&r);
    assert_string_equal(json_string_value(json_object_get(j, "source")), "real-time");
    assert_string_equal(json_string_value(json_object_get(j, "file")), path);
    assert_true(json_number_value(json_object_get(j, "speed")) == 1.0);
    json_decref(j);
    ts_response_free(&r);

    r = ts_http_url("PUT", url, "{\"now\": \"2030-01-01T00:00:00Z\", \"speed\": 0}", NULL);
    assert_int_equal(r.status, 200);
    j = json_body(&r);
    assert_string_equal(json_string_value(json_object_get(j, "now")), "2030-01-01T00:00:00Z");
    assert_int_equal(json_integer_value(json_object_get(j, "now_ms")), 1893456000000LL);
    assert_string_equal(json_string_value(json_object_get(j, "source")), "file");
    json_decref(j);
    ts_response_free(&r);
    assert_int_equal(sb_clock_now(other), 1893456000LL); /* another "process" sees it */

    /* Speed alone: the time continues from where it is. */
    r = ts_http_url("PUT", url, "{\"speed\": 2.5}", NULL);
    assert_int_equal(r.status, 200);
    ts_response_free(&r);
    sb_clock_info info;
    sb_clock_info_get(other, &info);
    assert_true(info.speed == 2.5);
    assert_true(info.now_ms >= 1893456000000LL && info.now_ms < 1893456000000LL + 60000);

    /* Time alone keeps the speed; offsets are honoured. */
    r = ts_http_url("PUT", url, "{\"now\": \"2030-06-01T10:00:00+02:00\"}", NULL);
    assert_int_equal(r.status, 200);
    ts_response_free(&r);
    sb_clock_info_get(other, &info);
    assert_true(info.speed == 2.5);
    assert_int_equal(info.world_epoch_ms, 1906531200000LL); /* 08:00Z */

    expect_field_problem(url, "{\"speed\": \"fast\"}", "speed");
    expect_field_problem(url, "{\"speed\": -1}", "speed");
    expect_field_problem(url, "{\"speed\": 2000000}", "speed");
    expect_field_problem(url, "{\"now\": \"yesterday\"}", "now");
    expect_field_problem(url, "{\"now\": 1893456000}", "now");
    expect_field_problem(url, "{\"sped\": 1}", "sped");
    expect_field_problem(url, "{not json", "body");
    expect_field_problem(url, "[1, 2]", "body");
    sb_clock_info_get(other, &info);
    assert_true(info.speed == 2.5); /* rejected requests changed nothing */

    r = ts_http_url("DELETE", url, NULL, NULL);
    assert_int_equal(r.status, 405);
    ts_response_free(&r);

    ct_http_server_stop(server);
    ct_router_destroy(router);
    sb_clock_close(served);
    sb_clock_close(other);
}

/* ---- the `clock` subcommand of the built program ---- */

static int run_program(char *const argv[])
{
    char log[600];
    snprintf(log, sizeof(log), "%s/clock-cli.log", tmpdir);
    int pid = ts_spawn(argv, log);
    return ts_stop_child(pid, 0, 10000);
}

static void subcommand_sets_shows_and_resets(void **state)
{
    (void)state;
    char *bin = (char *)ts_sandbox_bin();
    char *set[] = {bin,       "clock", "set", "--clock", path, "--at", "2031-05-06T07:08:09Z",
                   "--speed", "0",     NULL};
    assert_int_equal(run_program(set), 0);
    sb_clock *clk = open_clock();
    assert_int_equal(sb_clock_now(clk), 1935817689LL);
    char *speed[] = {bin, "clock", "set", "--clock", path, "--speed", "10", NULL};
    assert_int_equal(run_program(speed), 0);
    sb_clock_info info;
    sb_clock_info_get(clk, &info);
    assert_true(info.speed == 10.0);
    assert_int_equal(info.world_epoch_ms, 1935817689000LL);
    char *show[] = {bin, "clock", "--clock", path, NULL};
    assert_int_equal(run_program(show), 0);
    char *bad[] = {bin, "clock", "set", "--clock", path, "--speed", "-2", NULL};
    assert_int_equal(run_program(bad), 2);
    char *nothing[] = {bin, "clock", "set", "--clock", path, NULL};
    assert_int_equal(run_program(nothing), 2);
    char *reset[] = {bin, "clock", "reset", "--clock", path, NULL};
    assert_int_equal(run_program(reset), 0);
    assert_int_equal(access(path, F_OK), -1);
    sb_clock_info_get(clk, &info);
    assert_int_equal(info.from_file, 0);
    sb_clock_close(clk);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup(missing_file_is_real_time, per_test),
        cmocka_unit_test_setup(set_is_seen_by_another_handle, per_test),
        cmocka_unit_test_setup(speed_runs_the_world_faster, per_test),
        cmocka_unit_test_setup(set_speed_continues_from_the_current_time, per_test),
        cmocka_unit_test_setup(rapid_settings_are_never_missed, per_test),
        cmocka_unit_test_setup(reset_returns_to_real_time, per_test),
        cmocka_unit_test_setup(invalid_settings_are_rejected, per_test),
        cmocka_unit_test_setup(broken_file_keeps_the_last_good_state, per_test),
        cmocka_unit_test_setup(local_clock_without_a_file, per_test),
        cmocka_unit_test_setup(concurrent_readers_see_only_written_values, per_test),
        cmocka_unit_test_setup(admin_endpoints_over_http, per_test),
        cmocka_unit_test_setup(subcommand_sets_shows_and_resets, per_test),
    };
    return cmocka_run_group_tests(tests, setup, teardown);
}
