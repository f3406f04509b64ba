/* test_cli.c: the built `contrail` and `contrail-sandbox` programs run as a user runs them
 * (CT_CONTRAIL_BIN and CT_SANDBOX_BIN, set by CTest): a flag without a command, unknown
 * flags, bad booleans, unknown --config keys, the CONTRAIL_* rules, the help, `import ssim`
 * of a file whose name has spaces and quotes, `serve` starting and stopping cleanly, and a
 * lost database refused at start unless --allow-new-database, and `serve` on PostgreSQL through
 * a restart and a crash of the server (its own throwaway cluster): requests succeed again
 * as soon as the database is back, /readyz follows the database, the outage is logged; a
 * second server on a port in use is refused; `backup` and `restore` (exit codes, refusals,
 * the identity marker after a restore). */
#include "ct_test.h"

#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "httpclient.h"
#include "testsupport.h"

extern char **environ;

static char dir[256];
static char out[65536], err[65536];

static int setup(void **state)
{
    (void)state;
    ts_tempdir(dir, sizeof(dir));
    return 0;
}

static int teardown(void **state)
{
    (void)state;
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

/* Runs bin with the NULL-terminated words after it and `env` ("NAME=value" entries added to
 * the environment, NULL-terminated, or NULL); stdout and stderr land in out and err. Returns
 * the exit code, or 128 + the signal that killed it. */
static int run(const char *bin, const char *const *env, const char *first, ...)
{
    char *argv[64] = {(char *)bin};
    int argc = 1;
    va_list ap;
    va_start(ap, first);
    for (const char *w = first; w != NULL; w = va_arg(ap, const char *))
        argv[argc++] = (char *)w;
    va_end(ap);
    char outp[400], errp[400];
    snprintf(outp, sizeof(outp), "%s/stdout", dir);
    snprintf(errp, sizeof(errp), "%s/stderr", dir);
    pid_t pid = fork();
    assert_true(pid >= 0);
    if (pid == 0) {
        for (const char *const *e = env; e != NULL && *e != NULL; e++)
            putenv((char *)*e);
        int o = open(outp, O_WRONLY | O_CREAT | O_TRUNC, 0644);
        int e2 = open(errp, O_WRONLY | O_CREAT | O_TRUNC, 0644);
        dup2(o, 1);
        dup2(e2, 2);
        execv(bin, argv);
        _exit(127);
    }
    int status = 0;
    assert_int_equal(waitpid(pid, &status, 0), pid);
    read_into(outp, out, sizeof(out));
    read_into(errp, err, sizeof(err));
    return WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
}

static void assert_contains(const char *text, const char *want)
{
    if (strstr(text, want) == NULL)
        fail_msg("expected '%s' in:\n%s", want, text);
}

static void flag_without_command_is_a_usage_error(void **state)
{
    (void)state;
    assert_int_equal(run(contrail_bin(), NULL, "--log-level", "info", NULL), 2);
    assert_contains(err, "usage: contrail <command>");
    assert_string_equal(out, "");
    assert_int_equal(run(contrail_bin(), NULL, NULL), 2);
    assert_contains(err, "usage: contrail <command>");
    assert_int_equal(run(ts_sandbox_bin(), NULL, "--log-level", "info", NULL), 2);
    assert_contains(err, "usage: contrail-sandbox <command>");
    assert_int_equal(run(contrail_bin(), NULL, "nosuch", NULL), 2);
    assert_contains(err, "unknown command 'nosuch'");
}

static void unknown_flags_are_refused(void **state)
{
    (void)state;
    assert_int_equal(run(contrail_bin(), NULL, "version", NULL), 0);
    assert_string_equal(out, "contrail 0.1.0\n");
    assert_int_equal(run(contrail_bin(), NULL, "version", "--no-such-flag", "7", NULL), 2);
    assert_contains(err, "--no-such-flag");
    assert_contains(err, "usage: contrail <command>");
    assert_string_equal(out, "");
    /* A flag of another command is unknown to this one. */
    assert_int_equal(run(contrail_bin(), NULL, "migrate", "--port", "1", NULL), 2);
    assert_contains(err, "unknown flag --port for 'contrail migrate'");
    assert_int_equal(run(contrail_bin(), NULL, "version", "extra", NULL), 2);
    assert_int_equal(run(ts_sandbox_bin(), NULL, "clock", "--no-such-flag", NULL), 2);
    assert_contains(err, "--no-such-flag");
    /* Through `contrail sandbox`, the sandbox's own checks. */
    assert_int_equal(run(contrail_bin(), NULL, "sandbox", "generate", "--bogus=1", NULL), 2);
    assert_contains(err, "unknown flag --bogus for 'contrail-sandbox generate'");
}

static void booleans_are_checked_naming_the_flag(void **state)
{
    (void)state;
    assert_int_equal(run(contrail_bin(), NULL, "serve", "--sandbox", "maybe", NULL), 2);
    assert_contains(err, "--sandbox: expected true or false");
    assert_contains(err, "'maybe'");
    assert_int_equal(run(contrail_bin(), NULL, "serve", "--access-log=nah", NULL), 2);
    assert_contains(err, "--access-log");
    assert_int_equal(run(contrail_bin(), NULL, "serve", "--port", "http", NULL), 2);
    assert_contains(err, "--port: expected an integer");
    assert_int_equal(run(ts_sandbox_bin(), NULL, "mail", "--access-log", "sometimes", NULL), 2);
    assert_contains(err, "--access-log: expected true or false");
}

static void config_file_keys_name_file_and_line(void **state)
{
    (void)state;
    ts_write_file(dir, "contrail.conf", "# serve and migrate share it\nport = 1\n\nbogus = 2\n");
    char path[400], want[500];
    snprintf(path, sizeof(path), "%s/contrail.conf", dir);
    assert_int_equal(run(contrail_bin(), NULL, "migrate", "--config", path, NULL), 2);
    snprintf(want, sizeof(want), "%s:4: unknown key 'bogus'", path);
    assert_contains(err, want);
    ts_write_file(dir, "bool.conf", "sandbox = perhaps\n");
    snprintf(path, sizeof(path), "%s/bool.conf", dir);
    assert_int_equal(run(contrail_bin(), NULL, "serve", "--config", path, NULL), 2);
    snprintf(want, sizeof(want), "%s:1: sandbox: expected true or false", path);
    assert_contains(err, want);
    /* A key of another command is not this one's business. */
    assert_int_equal(run(contrail_bin(), NULL, "version", "--config", path, NULL), 0);
    char env[500];
    snprintf(env, sizeof(env), "CONTRAIL_CONFIG=%s/contrail.conf", dir);
    const char *with_env[] = {env, NULL};
    assert_int_equal(run(contrail_bin(), with_env, "version", NULL), 2);
    assert_contains(err, "unknown key 'bogus'");
}

static void environment_variables(void **state)
{
    (void)state;
    const char *typo[] = {"CONTRAIL_PROT=8080", NULL};
    assert_int_equal(run(contrail_bin(), typo, "version", NULL), 2);
    assert_contains(err, "CONTRAIL_PROT: not a flag of any contrail command");
    const char *other[] = {"CONTRAIL_PORT=notanumber", "CONTRAIL_SANDBOX=yes", NULL};
    assert_int_equal(run(contrail_bin(), other, "version", NULL), 0); /* serve's, not version's */
    assert_int_equal(run(contrail_bin(), other, "serve", NULL), 2);
    assert_contains(err, "CONTRAIL_PORT: expected an integer");
    const char *bad[] = {"CONTRAIL_ACCESS_LOG=loud", NULL};
    assert_int_equal(run(ts_sandbox_bin(), bad, "payments", NULL), 2);
    assert_contains(err, "CONTRAIL_ACCESS_LOG: expected true or false");
    assert_int_equal(run(ts_sandbox_bin(), bad, "clock", "--clock", "/nonexistent/c.json", NULL),
                     0); /* clock has no --access-log */
    const char *platform[] = {"CONTRAIL_JWT_SECRET=x", NULL};
    assert_int_equal(run(ts_sandbox_bin(), platform, "clock", NULL), 2);
    assert_contains(err, "CONTRAIL_JWT_SECRET: not a flag of any contrail-sandbox command");
}

static void help_prints_every_command_flags(void **state)
{
    (void)state;
    assert_int_equal(run(contrail_bin(), NULL, "help", NULL), 0);
    const char *want[] = {
        "contrail serve:", "--timetable-cache PATH", "--sandbox true|false", "--port N",
        "(default 8080)",  "contrail import:",       "--log-level",          "--pricebook-cache"};
    for (size_t i = 0; i < sizeof(want) / sizeof(*want); i++)
        assert_contains(out, want[i]);
    assert_int_equal(run(ts_sandbox_bin(), NULL, "help", NULL), 0);
    const char *sb[] = {"contrail-sandbox provider:", "--fault-seed", "--smtp-port-file",
                        "--secret-key", "--speed"};
    for (size_t i = 0; i < sizeof(sb) / sizeof(*sb); i++)
        assert_contains(out, sb[i]);
}

static void import_ssim_copies_names_with_quotes(void **state)
{
    (void)state;
    char src[600], fixture[600], sched[400], dst[800];
    snprintf(fixture, sizeof(fixture), "%s/tests/data/ssim/clean.ssim", ts_source_dir());
    snprintf(src, sizeof(src), "%s/it's a \"schedule\" $(touch pwned).ssim", dir);
    snprintf(sched, sizeof(sched), "%s/sched dir", dir);
    snprintf(dst, sizeof(dst), "%s/it's a \"schedule\" $(touch pwned).ssim", sched);
    char cmdline[1400];
    FILE *in = fopen(fixture, "rb"), *o = fopen(src, "wb");
    assert_non_null(in);
    assert_non_null(o);
    size_t n;
    while ((n = fread(cmdline, 1, sizeof(cmdline), in)) > 0)
        assert_int_equal(fwrite(cmdline, 1, n, o), n);
    fclose(in);
    fclose(o);
    assert_int_equal(
        run(contrail_bin(), NULL, "import", "ssim", src, "--schedules-dir", sched, NULL), 0);
    assert_contains(out, "flight legs imported");
    static char a[1 << 16], b[1 << 16];
    read_into(src, a, sizeof(a));
    read_into(dst, b, sizeof(b));
    assert_true(strlen(a) > 0);
    assert_string_equal(a, b);
    assert_int_equal(access("pwned", F_OK), -1);
    /* A file with bad records: imported, and the summary names each rejected record's line. */
    snprintf(fixture, sizeof(fixture), "%s/tests/data/ssim/bad.ssim", ts_source_dir());
    assert_int_equal(
        run(contrail_bin(), NULL, "import", "ssim", fixture, "--schedules-dir", sched, NULL), 0);
    assert_contains(out, "records rejected (lines ");
}

static void serve_starts_and_stops(void **state)
{
    (void)state;
    char db[400], port_file[400], jwt[400], none[400], log[400];
    snprintf(db, sizeof(db), "--db=sqlite:%s/serve.db", dir);
    snprintf(port_file, sizeof(port_file), "%s/port", dir);
    snprintf(jwt, sizeof(jwt), "%s/secrets/jwt.key", dir);
    snprintf(none, sizeof(none), "%s/no-schedules", dir);
    snprintf(log, sizeof(log), "%s/serve.log", dir);
    char *const argv[] = {(char *)contrail_bin(),
                          "serve",
                          db,
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
    int port = ts_wait_port_file(port_file, 60000);
    assert_true(port > 0);
    ts_response r = ts_http("GET", port, "/healthz", NULL, NULL);
    assert_int_equal(r.status, 200);
    ts_response_free(&r);
    struct stat st;
    assert_int_equal(stat(jwt, &st), 0); /* made on first start, private */
    assert_int_equal(st.st_mode & 0777, 0600);
    assert_int_equal(ts_stop_child(pid, SIGTERM, 20000), 0);
}

static void a_lost_database_is_refused_at_start(void **state)
{
    (void)state;
    char db[400], url[420], side[440];
    snprintf(db, sizeof(db), "%s/lost.db", dir);
    snprintf(url, sizeof(url), "sqlite:%s", db);
    const char *bin = contrail_bin();
    assert_int_equal(run(bin, NULL, "migrate", "--db", url, NULL), 0);
    assert_int_equal(run(bin, NULL, "migrate", "--db", url, NULL), 0);
    /* The file deleted (as under a running server): the next start must not come up on a
     * new empty database. */
    unlink(db);
    snprintf(side, sizeof(side), "%s-wal", db);
    unlink(side);
    snprintf(side, sizeof(side), "%s-shm", db);
    unlink(side);
    assert_int_not_equal(run(bin, NULL, "migrate", "--db", url, NULL), 0);
    assert_contains(err, "the database is new");
    assert_contains(err, "--allow-new-database true");
    assert_int_equal(run(bin, NULL, "migrate", "--db", url, "--allow-new-database", "true", NULL),
                     0);
    assert_int_equal(run(bin, NULL, "migrate", "--db", url, NULL), 0);
}

/* `backup` and `restore` as a user runs them: usage errors exit 2, a refused or damaged
 * restore exits 1 naming why, and a --force restore over a served database updates its
 * identity marker, so the next start takes the restored database without
 * --allow-new-database. */
static void backup_and_restore_commands(void **state)
{
    (void)state;
    char a[420], b[420], c[420], backup[400], bad[400];
    snprintf(a, sizeof(a), "sqlite:%s/a.db", dir);
    snprintf(b, sizeof(b), "sqlite:%s/b.db", dir);
    snprintf(c, sizeof(c), "sqlite:%s/c.db", dir);
    snprintf(backup, sizeof(backup), "%s/b.backup", dir);
    snprintf(bad, sizeof(bad), "%s/bad.backup", dir);
    const char *bin = contrail_bin();
    assert_int_equal(run(bin, NULL, "migrate", "--db", a, NULL), 0);
    assert_int_equal(run(bin, NULL, "migrate", "--db", b, NULL), 0);
    assert_int_equal(run(bin, NULL, "backup", "--db", b, NULL), 2);
    assert_contains(err, "--out");
    assert_int_equal(run(bin, NULL, "backup", "--db", b, "--out", backup, NULL), 0);
    assert_int_equal(run(bin, NULL, "restore", "--db", a, "--in", backup, NULL), 1);
    assert_contains(err, "already holds");
    assert_contains(err, "--force");
    assert_int_equal(run(bin, NULL, "restore", "--db", a, "--in", backup, "--force", NULL), 0);
    assert_int_equal(run(bin, NULL, "migrate", "--db", a, NULL), 0); /* marker follows */
    ts_write_file(dir, "bad.backup", "SQLite format 3 and then not a database at all");
    assert_int_equal(run(bin, NULL, "restore", "--db", c, "--in", bad, NULL), 1);
    assert_contains(err, "bad.backup");
    assert_int_equal(run(bin, NULL, "restore", "--db", c, "--in", backup, NULL), 0);
    assert_int_equal(run(bin, NULL, "migrate", "--db", c, NULL), 0);
}

/* Polls GET path until it answers `want`; returns the milliseconds it took, or -1. */
static long wait_for(int port, const char *path, long want, long timeout_ms)
{
    struct timespec t0, t;
    clock_gettime(CLOCK_MONOTONIC, &t0);
    for (;;) {
        ts_response r = ts_http("GET", port, path, NULL, NULL);
        long status = r.status;
        clock_gettime(CLOCK_MONOTONIC, &t);
        long ms = (t.tv_sec - t0.tv_sec) * 1000 + (t.tv_nsec - t0.tv_nsec) / 1000000;
        if (status != want && ms > timeout_ms)
            fprintf(stderr, "%s: %ld %s (wanted %ld)\n", path, status, r.body ? r.body : "", want);
        ts_response_free(&r);
        if (status == want)
            return ms;
        if (ms > timeout_ms)
            return -1;
        usleep(20000);
    }
}

static long sign_up(int port, int n)
{
    char body[200];
    snprintf(body, sizeof(body),
             "{\"email\":\"outage%d@example.com\",\"password\":\"correct horse battery %d\"}", n,
             n);
    ts_response r = ts_http("POST", port, "/api/v1/users", body, NULL);
    long status = r.status;
    ts_response_free(&r);
    return status;
}

static void serve_follows_a_postgres_restart_and_crash(void **state)
{
    (void)state;
    char pg[64], url[512];
    snprintf(pg, sizeof(pg), "/tmp/contrail-serve-pg.XXXXXX");
    assert_non_null(mkdtemp(pg));
    if (ts_pg_cluster(pg, "start", url, sizeof(url)) != 0) {
        const char *req = getenv("CT_TEST_REQUIRE_PG");
        rmdir(pg);
        if (req != NULL && strcmp(req, "1") == 0)
            fail_msg("could not start a PostgreSQL cluster");
        skip();
    }
    char db[600], port_file[400], jwt[400], none[400], log[400];
    snprintf(db, sizeof(db), "--db=%s", url);
    snprintf(port_file, sizeof(port_file), "%s/port", dir);
    snprintf(jwt, sizeof(jwt), "%s/secrets/jwt.key", dir);
    snprintf(none, sizeof(none), "%s/no-schedules", dir);
    snprintf(log, sizeof(log), "%s/serve.log", dir);
    char *const argv[] = {(char *)contrail_bin(),
                          "serve",
                          db,
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
                          NULL};
    int pid = ts_spawn(argv, log);
    int port = ts_wait_port_file(port_file, 120000);
    assert_true(port > 0);
    assert_true(wait_for(port, "/readyz", 200, 60000) >= 0);
    assert_int_equal(sign_up(port, 1) / 100, 2);

    /* A restart (fast shutdown, start): not one request may fail afterwards. */
    assert_int_equal(ts_pg_cluster(pg, "restart", NULL, 0), 0);
    assert_true(wait_for(port, "/readyz", 200, 0) >= 0); /* the first attempt */
    assert_int_equal(sign_up(port, 2) / 100, 2);
    assert_int_equal(sign_up(port, 3) / 100, 2);

    /* A crash: /readyz fails naming the database, writes answer 503, /healthz stays up. */
    assert_int_equal(ts_pg_cluster(pg, "crash", NULL, 0), 0);
    ts_response r = ts_http("GET", port, "/readyz", NULL, NULL);
    assert_int_equal(r.status, 503);
    assert_non_null(strstr(r.body, "database"));
    ts_response_free(&r);
    assert_int_equal(sign_up(port, 4), 503);
    r = ts_http("GET", port, "/healthz", NULL, NULL);
    assert_int_equal(r.status, 200);
    ts_response_free(&r);

    /* Back: requests succeed again within one backoff interval (at most 5 s). */
    assert_int_equal(ts_pg_cluster(pg, "resume", NULL, 0), 0);
    long back_ms = wait_for(port, "/readyz", 200, 15000);
    assert_true(back_ms >= 0 && back_ms < 6000);
    assert_int_equal(sign_up(port, 5) / 100, 2);
    fprintf(stderr, "serve on postgres: ready again %ld ms after the server came back\n", back_ms);
    assert_int_equal(ts_stop_child(pid, SIGTERM, 20000), 0);
    read_into(log, out, sizeof(out));
    assert_contains(out, "\"level\":\"error\",\"event\":\"store.connection_lost\"");
    ts_pg_cluster(pg, "stop", NULL, 0);
}

/* A second server on a port the first one holds is refused (before: SO_REUSEPORT let it
 * start, and the kernel split the traffic between two databases). */
static void a_port_in_use_is_refused(void **state)
{
    (void)state;
    char db1[400], db2[400], port_file[400], jwt[400], none[400], log[400], port[16];
    snprintf(db1, sizeof(db1), "--db=sqlite:%s/one.db", dir);
    snprintf(db2, sizeof(db2), "--db=sqlite:%s/two.db", dir);
    snprintf(port_file, sizeof(port_file), "%s/port", dir);
    snprintf(jwt, sizeof(jwt), "--jwt-secret-file=%s/secrets/jwt.key", dir);
    snprintf(none, sizeof(none), "--schedules-dir=%s/no-schedules", dir);
    snprintf(log, sizeof(log), "%s/serve.log", dir);
    char *const argv[] = {(char *)contrail_bin(),
                          "serve",
                          db1,
                          "--port",
                          "0",
                          "--port-file",
                          port_file,
                          "--web-dir",
                          "",
                          "--refdata-dir",
                          (char *)ts_refdata_dir(),
                          jwt,
                          none,
                          "--timetable-cache",
                          "",
                          "--pricebook-cache",
                          "",
                          "--access-log",
                          "off",
                          NULL};
    int pid = ts_spawn(argv, log);
    int p = ts_wait_port_file(port_file, 120000);
    assert_true(p > 0);
    snprintf(port, sizeof(port), "%d", p);
    int code = run(contrail_bin(), NULL, "serve", db2, "--port", port, "--web-dir", "",
                   "--refdata-dir", ts_refdata_dir(), jwt, none, "--timetable-cache", "",
                   "--pricebook-cache", "", "--access-log", "off", NULL);
    assert_int_not_equal(code, 0);
    assert_contains(err, "in use by another server");
    ts_response r = ts_http("GET", p, "/healthz", NULL, NULL); /* the first one serves on */
    assert_int_equal(r.status, 200);
    ts_response_free(&r);
    assert_int_equal(ts_stop_child(pid, SIGTERM, 20000), 0);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(flag_without_command_is_a_usage_error, setup, teardown),
        cmocka_unit_test_setup_teardown(unknown_flags_are_refused, setup, teardown),
        cmocka_unit_test_setup_teardown(booleans_are_checked_naming_the_flag, setup, teardown),
        cmocka_unit_test_setup_teardown(config_file_keys_name_file_and_line, setup, teardown),
        cmocka_unit_test_setup_teardown(environment_variables, setup, teardown),
        cmocka_unit_test_setup_teardown(help_prints_every_command_flags, setup, teardown),
        cmocka_unit_test_setup_teardown(import_ssim_copies_names_with_quotes, setup, teardown),
        cmocka_unit_test_setup_teardown(serve_starts_and_stops, setup, teardown),
        cmocka_unit_test_setup_teardown(a_lost_database_is_refused_at_start, setup, teardown),
        cmocka_unit_test_setup_teardown(a_port_in_use_is_refused, setup, teardown),
        cmocka_unit_test_setup_teardown(backup_and_restore_commands, setup, teardown),
        cmocka_unit_test_setup_teardown(serve_follows_a_postgres_restart_and_crash, setup,
                                        teardown),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
