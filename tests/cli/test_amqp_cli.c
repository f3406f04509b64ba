/* test_amqp_cli.c: the built `contrail` with RabbitMQ (one rabbitmq-server of the test's own,
 * tests/support/rabbitserver.h): `serve --amqp` comes up with /readyz naming rabbitmq "up"; a
 * registration's e-mail event goes through RabbitMQ (published and consumed, counted in
 * /metrics); with the broker application stopped /readyz still answers 200 (RabbitMQ is not
 * required: events wait in the outbox) naming it "down", and "up" again after the start,
 * then a second registration's event gets through too; `dead-letters list` prints none,
 * `replay` needs --event or --all (exit 2) and refuses an unknown event (exit 1); a bad
 * --amqp URL is a usage error. */
#define _GNU_SOURCE
#include "ct_test.h"

#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "httpclient.h"
#include "rabbitserver.h"
#include "testsupport.h"

static char dir[256];
static char out[65536], err[65536];
static ts_rabbit rabbit;
static int have_rabbit;

static int setup(void **state)
{
    (void)state;
    ts_tempdir(dir, sizeof(dir));
    have_rabbit = ts_rabbit_available();
    if (have_rabbit)
        ts_rabbit_start(&rabbit);
    return 0;
}

static int teardown(void **state)
{
    (void)state;
    if (have_rabbit)
        ts_rabbit_stop(&rabbit);
    ts_rmtree(dir);
    return 0;
}

static const char *contrail_bin(void)
{
    const char *bin = getenv("CT_CONTRAIL_BIN");
    if (bin == NULL || access(bin, X_OK) != 0)
        fail_msg("CT_CONTRAIL_BIN does not name the built contrail (run through ctest)");
    return bin;
}

static void read_into(const char *path, char *buf, size_t len)
{
    FILE *f = fopen(path, "r");
    assert_non_null(f);
    size_t n = fread(buf, 1, len - 1, f);
    buf[n] = '\0';
    fclose(f);
}

/* Runs the built contrail with the words (NULL-terminated); stdout and stderr into out, err. */
static int run_words(const char *const *words)
{
    char *argv[32] = {(char *)contrail_bin()};
    int argc = 1;
    for (; *words != NULL && argc < 31; words++)
        argv[argc++] = (char *)*words;
    char outp[400], errp[400];
    snprintf(outp, sizeof(outp), "%s/stdout", dir);
    snprintf(errp, sizeof(errp), "%s/stderr", dir);
    pid_t pid = fork();
    assert_true(pid >= 0);
    if (pid == 0) {
        int o = open(outp, O_WRONLY | O_CREAT | O_TRUNC, 0644);
        int e = open(errp, O_WRONLY | O_CREAT | O_TRUNC, 0644);
        dup2(o, 1);
        dup2(e, 2);
        execv(argv[0], argv);
        _exit(127);
    }
    int status = 0;
    assert_int_equal(waitpid(pid, &status, 0), pid);
    read_into(outp, out, sizeof(out));
    read_into(errp, err, sizeof(err));
    return WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
}

#define run(...) run_words((const char *const[]){__VA_ARGS__})

static void assert_contains(const char *text, const char *want)
{
    if (strstr(text, want) == NULL)
        fail_msg("expected '%s' in:\n%s", want, text);
}

static void sleep_ms(int ms)
{
    struct timespec ts = {ms / 1000, (long)(ms % 1000) * 1000000L};
    nanosleep(&ts, NULL);
}

/* /readyz's status and engines.rabbitmq.state (into state). */
static long readyz(int port, char *state, size_t len)
{
    ts_response r = ts_http("GET", port, "/readyz", NULL, NULL);
    long status = r.status;
    state[0] = '\0';
    if (status == 200) {
        json_t *j = ts_json(&r);
        const char *s = json_string_value(
            json_object_get(json_object_get(json_object_get(j, "engines"), "rabbitmq"), "state"));
        snprintf(state, len, "%s", s ? s : "");
        json_decref(j);
    }
    ts_response_free(&r);
    return status;
}

/* Waits until /readyz answers 200 with rabbitmq in `want`. */
static void wait_state(int port, const char *want)
{
    char state[32] = "";
    long status = 0;
    for (int i = 0; i < 300; i++) {
        status = readyz(port, state, sizeof(state));
        if (status == 200 && strcmp(state, want) == 0)
            return;
        sleep_ms(100);
    }
    fail_msg("/readyz: %ld with rabbitmq '%s', expected 200 and '%s'", status, state, want);
}

/* A counter of /metrics (-1 when missing). */
static long metric(int port, const char *name)
{
    ts_response r = ts_http("GET", port, "/metrics", NULL, NULL);
    long v = -1;
    char key[96];
    snprintf(key, sizeof(key), "\n%s ", name);
    const char *p = r.body ? strstr(r.body, key) : NULL;
    if (p != NULL)
        v = strtol(p + strlen(key), NULL, 10);
    ts_response_free(&r);
    return v;
}

static void wait_metric(int port, const char *name, long at_least)
{
    long v = -1;
    for (int i = 0; i < 300 && (v = metric(port, name)) < at_least; i++)
        sleep_ms(100);
    if (v < at_least)
        fail_msg("%s is %ld, expected at least %ld", name, v, at_least);
}

static void register_user(int port, const char *email)
{
    char body[200];
    snprintf(body, sizeof(body), "{\"email\":\"%s\",\"password\":\"correct horse battery\"}",
             email);
    ts_response r = ts_http("POST", port, "/api/v1/users", body, NULL);
    if (r.status != 202)
        fail_msg("register: %ld %s", r.status, r.body);
    ts_response_free(&r);
}

static void serve_with_amqp(void **state)
{
    (void)state;
    if (!have_rabbit)
        skip();
    char db[400], port_file[400], jwt[400], none[400], log[400];
    snprintf(db, sizeof(db), "--db=sqlite:%s/serve.db", dir);
    snprintf(port_file, sizeof(port_file), "%s/port", dir);
    snprintf(jwt, sizeof(jwt), "%s/secrets/jwt.key", dir);
    snprintf(none, sizeof(none), "%s/no-schedules", dir);
    snprintf(log, sizeof(log), "%s/serve.log", dir);
    char *const argv[] = {(char *)contrail_bin(),
                          "serve",
                          db,
                          "--amqp",
                          rabbit.url,
                          "--port",
                          "0",
                          "--port-file",
                          port_file,
                          "--web-dir",
                          "",
                          "--refdata-dir",
                          (char *)ts_refdata_dir(),
                          "--jwt-secret-file",
                          jwt,
                          "--schedules-dir",
                          none,
                          "--timetable-cache",
                          "",
                          "--pricebook-cache",
                          "",
                          "--access-log",
                          "off",
                          "--log-level",
                          "warn",
                          NULL};
    int pid = ts_spawn(argv, log);
    int port = ts_wait_port_file(port_file, 120000);
    assert_true(port > 0);
    wait_state(port, "up");

    /* The verification e-mail's event: published to RabbitMQ, consumed by mail.account. */
    register_user(port, "ada@example.com");
    wait_metric(port, "contrail_amqp_published_total", 1);
    wait_metric(port, "contrail_amqp_consumed_total", 1);
    long consumed = metric(port, "contrail_amqp_consumed_total");

    /* RabbitMQ away: still ready, named down; back: up, and the next event gets through. */
    assert_int_equal(ts_rabbit_ctl(&rabbit, "stop_app", NULL), 0);
    wait_state(port, "down");
    register_user(port, "grace@example.com"); /* waits in the outbox */
    assert_int_equal(ts_rabbit_ctl(&rabbit, "start_app", NULL), 0);
    wait_state(port, "up");
    wait_metric(port, "contrail_amqp_consumed_total", consumed + 1);
    assert_int_equal(metric(port, "contrail_amqp_up"), 1);
    wait_metric(port, "contrail_amqp_dead_letters", 0); /* the deployed alert's series */
    assert_int_equal(metric(port, "contrail_amqp_dead_letters"), 0);

    assert_int_equal(run("dead-letters", "list", "--amqp", rabbit.url, NULL), 0);
    assert_contains(err, "0 dead letters");
    assert_string_equal(out, "");
    assert_int_equal(run("dead-letters", "replay", "--amqp", rabbit.url, NULL), 2);
    assert_contains(err, "usage: contrail dead-letters");
    assert_int_equal(run("dead-letters", "replay", "--amqp", rabbit.url, "--event",
                         "evt_000000000000000000000000", NULL),
                     1);
    assert_contains(err, "no dead letter of event evt_000000000000000000000000");
    assert_int_equal(ts_stop_child(pid, SIGTERM, 20000), 0);
}

static void bad_amqp_urls_are_refused(void **state)
{
    (void)state;
    assert_int_equal(run("dead-letters", "list", "--amqp", "http://x", NULL), 2);
    assert_contains(err, "--amqp: expected amqp://");
    assert_int_equal(run("dead-letters", "list", NULL), 2);
    assert_contains(err, "usage: contrail dead-letters");
    assert_int_equal(run("dead-letters", "list", "--amqp", "amqp://guest:guest@127.0.0.1:1", NULL),
                     1);
    assert_contains(err, "127.0.0.1:1");
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(bad_amqp_urls_are_refused),
        cmocka_unit_test(serve_with_amqp),
    };
    return cmocka_run_group_tests(tests, setup, teardown);
}
