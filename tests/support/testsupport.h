/* testsupport.h: helpers shared by the unit and integration tests.
 *
 * Tests run against real engines: SQLite in a temporary file, and PostgreSQL when
 * CT_TEST_PG_URL names a server (scripts/test.sh starts a throwaway cluster and sets it; with
 * CT_TEST_REQUIRE_PG=1 a missing URL fails the test instead of skipping the engine). */
#ifndef CT_TESTSUPPORT_H
#define CT_TESTSUPPORT_H

#include <stddef.h>
#include <stdint.h>

#include "store/store.h"

/* The project root (CT_SOURCE_DIR, set by CTest). */
const char *ts_source_dir(void);

/* The folder with the npm data packages (data/node_modules); fails the test if missing. */
const char *ts_refdata_dir(void);

/* A fresh temporary directory (removed by ts_rmtree). Writes its path into buf. */
void ts_tempdir(char *buf, size_t len);
void ts_rmtree(const char *path);

/* The engines to run store tests on: fills urls (sqlite file in dir, then postgres when
 * available) and returns how many. For PostgreSQL a fresh schema is created per call, so
 * tests never see each other's tables. */
int ts_store_urls(const char *dir, char urls[][512], int max);

/* Opens and migrates a store, failing the test on error. */
ct_store *ts_open_migrated(const char *url);

/* Writes `text` to dir/rel (creating parent folders). */
void ts_write_file(const char *dir, const char *rel, const char *text);

/* ---- child processes (the sandbox server tests); HTTP helpers are in httpclient.h ---- */

/* The built contrail-sandbox program (CT_SANDBOX_BIN, set by CTest); fails the test if unset. */
const char *ts_sandbox_bin(void);

/* Starts argv[0] with argv, stdout and stderr to `log_path`; returns the child's pid. */
int ts_spawn(char *const argv[], const char *log_path);

/* Waits up to timeout_ms for a port file and returns the port it holds, or -1. */
int ts_wait_port_file(const char *path, int timeout_ms);

/* Sends `sig` to the child and waits up to timeout_ms for it; returns its exit code, 128+signal
 * when a signal killed it, or -1 when it did not exit in time (it is then killed). */
int ts_stop_child(int pid, int sig, int timeout_ms);

/* Runs scripts/pg-cluster.sh VERB DIR (start, stop, restart, crash, resume: a throwaway
 * PostgreSQL cluster of the test's own in DIR, e.g. a mkdtemp folder under /tmp); the first
 * line it prints (the URL, for start) goes to out (may be NULL). Returns its exit code, -1
 * when it could not be run. */
int ts_pg_cluster(const char *dir, const char *verb, char *out, size_t outlen);

#endif
