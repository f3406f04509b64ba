/* dbpool.h: a fixed pool of store connections for a sandbox server's own state file.
 *
 * A ct_store is one connection that one thread uses at a time. The sandbox servers answer
 * from several threads (libmicrohttpd's pool, one thread per SMTP session), so each keeps a
 * pool: a request borrows a connection, runs its statements and transactions on it, and gives
 * it back. Connections are opened up front; a borrower waits when all are out. Concurrent
 * writers are serialised by the database itself (SQLite: BEGIN IMMEDIATE with a busy
 * timeout, see store.h), which is what makes a read-check-write inside one transaction safe
 * against another connection doing the same, in this process or another one.
 *
 * The schema is created at open with `CREATE TABLE IF NOT EXISTS` statements: these state
 * files belong to the sandbox, not to the platform, so they stay out of the platform's
 * versioned migrations (store/migrate.h). */
#ifndef SB_DBPOOL_H
#define SB_DBPOOL_H

#include <stddef.h>

#include "base/status.h"
#include "store/store.h"

typedef struct sb_dbpool sb_dbpool;

/* Opens `size` (1-64) connections to the store `url`, runs `schema_sql` (may be NULL) on the
 * first, and returns the pool in *out. On failure writes a message to err and returns the
 * store's status; nothing stays open. */
ct_status sb_dbpool_open(const char *url, int size, const char *schema_sql, sb_dbpool **out,
                         char *err, size_t errlen);

/* Borrows a connection, waiting while every one is borrowed. Never NULL. The connection must
 * come back through sb_dbpool_release outside any transaction. Thread-safe. */
ct_store *sb_dbpool_acquire(sb_dbpool *pool);

/* Gives a borrowed connection back. Thread-safe. */
void sb_dbpool_release(sb_dbpool *pool, ct_store *st);

/* Closes every connection and frees the pool. Every connection must have been released. NULL
 * is allowed. */
void sb_dbpool_close(sb_dbpool *pool);

#endif
