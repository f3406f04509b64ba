/* store.h: the one database interface, with SQLite and PostgreSQL drivers.
 *
 * A store is opened from a URL: "sqlite:PATH" (or a bare path ending in .db) for the embedded
 * default, "postgres://..." / "postgresql://..." for PostgreSQL. SQL is written once in the
 * common dialect both engines accept (TEXT, BIGINT, DOUBLE PRECISION, `?` placeholders; the
 * PostgreSQL driver rewrites `?` to `$n` outside string literals).
 *
 * SQLite is opened in WAL mode with a busy timeout, and write transactions begin IMMEDIATE so
 * two writers never deadlock on a lock upgrade. A ct_store is one connection: use it from one
 * thread at a time (callers that share one hold a lock; pools come with the booking work).
 *
 * Statements: prepare, bind (1-based), step until CT_DONE reading columns on each CT_ROW
 * (0-based), finalize. Column text is valid until the next step/finalize. */
#ifndef CT_STORE_STORE_H
#define CT_STORE_STORE_H

#include <stddef.h>
#include <stdint.h>

#include "base/status.h"

typedef struct ct_store ct_store;
typedef struct ct_stmt ct_stmt;

/* Opens a store. On failure returns non-OK and writes a message to err. */
ct_status ct_store_open(const char *url, ct_store **out, char *err, size_t errlen);
void ct_store_close(ct_store *st);

/* "sqlite" or "postgres". */
const char *ct_store_engine(const ct_store *st);

/* The last error message of this connection (never NULL). */
const char *ct_store_errmsg(const ct_store *st);

/* Runs one or more statements without parameters (DDL, migrations). */
ct_status ct_store_exec(ct_store *st, const char *sql);

/* Transactions. ct_store_begin starts a write transaction (IMMEDIATE on SQLite). */
ct_status ct_store_begin(ct_store *st);
ct_status ct_store_commit(ct_store *st);
ct_status ct_store_rollback(ct_store *st);

ct_status ct_store_prepare(ct_store *st, const char *sql, ct_stmt **out);
ct_status ct_stmt_bind_text(ct_stmt *s, int idx, const char *value); /* NULL binds NULL */
ct_status ct_stmt_bind_int64(ct_stmt *s, int idx, int64_t value);
ct_status ct_stmt_bind_double(ct_stmt *s, int idx, double value);
ct_status ct_stmt_bind_null(ct_stmt *s, int idx);
/* CT_ROW when a row is ready, CT_DONE at the end, an error status otherwise. */
ct_status ct_stmt_step(ct_stmt *s);
/* Makes the statement executable again with new bindings. */
ct_status ct_stmt_reset(ct_stmt *s);
void ct_stmt_finalize(ct_stmt *s);

int ct_stmt_column_count(ct_stmt *s);
int ct_stmt_is_null(ct_stmt *s, int col);
const char *ct_stmt_text(ct_stmt *s, int col); /* NULL for SQL NULL */
int64_t ct_stmt_int64(ct_stmt *s, int col);
double ct_stmt_double(ct_stmt *s, int col);

/* Convenience: runs a query expected to return one integer (e.g. COUNT(*)). */
ct_status ct_store_query_int64(ct_store *st, const char *sql, int64_t *out);

/* Runs one statement with text parameters (NULL binds NULL), ignoring any result rows.
 * Convenience for INSERT/UPDATE/DELETE. */
ct_status ct_store_run(ct_store *st, const char *sql, int nparams, const char *const *params);

/* Checks that the connection can be used, before a request borrows it:
 * - PostgreSQL: reads what the server sent meanwhile (a restarting server closes its
 *   connections); a lost connection is re-established (PQreset), at most once per backoff
 *   interval (50 ms doubling to 5 s while the server stays away, so a down database costs one
 *   connection attempt per interval, not one per request). The outage is logged at error
 *   level once per connection, the recovery at info with its duration.
 * - SQLite: the database file must still be the one opened (same device and inode): a file
 *   deleted or replaced under the running server is reported, never written to silently.
 * Returns CT_OK, or CT_UNAVAILABLE with ct_store_errmsg saying why.
 *
 * PostgreSQL statements also survive a connection lost since the last check where that is
 * safe: BEGIN, and a SELECT outside a transaction, are sent again once on a fresh connection
 * (nothing was executed by the lost one that could be applied twice). Anything else inside a
 * lost transaction fails with CT_UNAVAILABLE, and a ROLLBACK of it succeeds (the server has
 * rolled it back). */
ct_status ct_store_check(ct_store *st);

/* Storage faults (a full disk, a read-only, corrupt or vanished database file, a lost
 * database server): the drivers answer CT_UNAVAILABLE and record the fault process-wide.
 * Returns 1 and the fault's message when one happened in the last `within_ms`, else 0. */
int ct_store_fault_recent(int64_t within_ms, char *reason, size_t len);

/* Proves the database takes writes: one committed UPDATE of a one-row table
 * (`readiness_probe`, created on first use). CT_OK, or the failure's status with
 * ct_store_errmsg saying why. */
ct_status ct_store_write_probe(ct_store *st);

/* ---- the database's identity (identity.c) ----
 * Refuses to come up on an empty or another database where one was served before (see
 * identity.c). ct_store_identity_marker writes the marker path for an embedded database URL
 * ("<file>.identity") and returns 1, or returns 0 (PostgreSQL, :memory:: no check).
 * ct_store_identity_check compares the database's id (made on first use) with the marker's:
 * CT_OK (the marker written when missing or when `allow_new`), CT_CONFLICT when the database
 * is new or another one and not `allow_new`, another status when either cannot be read or
 * written; err says which and what to do. */
int ct_store_identity_marker(const char *url, char *out, size_t len);
ct_status ct_store_identity_check(ct_store *st, const char *marker, int allow_new, char *err,
                                  size_t errlen);

/* ---- connection pool (pool.c) ----
 * A fixed set of connections to one database, shared by request threads: acquire blocks
 * until one is free (or fails with CT_AGAIN after `wait_ms`), checks it (ct_store_check:
 * CT_UNAVAILABLE when the database is unreachable or its file was replaced; the connection
 * stays in the pool and is revived by a later acquire), release returns it. Each connection
 * is used by one thread at a time, as store.h requires. */
typedef struct ct_store_pool ct_store_pool;

ct_status ct_store_pool_open(const char *url, int size, ct_store_pool **out, char *err,
                             size_t errlen);
void ct_store_pool_close(ct_store_pool *p);
ct_status ct_store_pool_acquire(ct_store_pool *p, int wait_ms, ct_store **out);
void ct_store_pool_release(ct_store_pool *p, ct_store *st);

#endif
