/* lease.h: named leases with fencing tokens, in the database every instance shares (the store
 * module's part of cluster mode; docs/cluster.md).
 *
 * A lease gives one instance at a time the right to do a job (provider ingestion). It is a
 * row of `cluster_lease` (migration 0024): the holder's id, a fencing token and an expiry.
 * Acquiring succeeds only when the lease is free or expired, and adds 1 to the token, so the
 * tokens of successive holders strictly increase and are never reused. The holder renews it
 * well before it expires; a holder that dies (kill -9) stops renewing and the lease is free
 * again after its time-to-live.
 *
 * Fencing: a holder can be paused (a stalled process, a lost network) past its expiry while
 * someone else takes over and then wake up believing it still holds the lease. Every write the
 * lease protects therefore runs in a transaction that first calls ct_lease_fence with the
 * holder's token: it reads the lease row with a share lock (PostgreSQL: FOR SHARE) and fails
 * with CT_CONFLICT unless the token is still the current one. The share lock makes an
 * acquisition wait until that transaction ends, so no write of an old holder commits after a
 * new holder got its token (its writes would fail the fence).
 *
 * Time: expiries are compared on the database server's clock (PostgreSQL: clock_timestamp()),
 * so the instances' clocks do not matter; SQLite (one process) uses the process's clock.
 * Every call is one statement or one short transaction of its own, except ct_lease_fence,
 * which runs inside the caller's. */
#ifndef CT_STORE_LEASE_H
#define CT_STORE_LEASE_H

#include <stddef.h>
#include <stdint.h>

#include "base/status.h"
#include "store/store.h"

/* A holder id for this process: "HOST:PID:RANDOM" (RANDOM: 8 hex digits from /dev/urandom),
 * unique even when a restarted process gets the same pid. */
void ct_lease_holder_id(char *out, size_t len);

/* Takes lease `name` for `holder` for ttl_ms when it is free or expired (the row is created
 * on first use). CT_OK with *token (> 0) the new fencing token; CT_CONFLICT when someone
 * holds it (*token unchanged); CT_UNAVAILABLE or CT_ERR on a database error. */
ct_status ct_lease_acquire(ct_store *st, const char *name, const char *holder, int64_t ttl_ms,
                           int64_t *token);

/* Extends the lease held with `token` to now + ttl_ms. CT_OK; CT_CONFLICT when it is no
 * longer ours (another token: someone took it over); a database error otherwise (the caller
 * keeps it until its own deadline passes, then stops: it cannot know). An expired lease nobody
 * took since is renewed (its token is still the current one). */
ct_status ct_lease_renew(ct_store *st, const char *name, const char *holder, int64_t token,
                         int64_t ttl_ms);

/* Gives the lease up (expires it now) when `token` still holds it; CT_OK either way. */
ct_status ct_lease_release(ct_store *st, const char *name, int64_t token);

/* Inside the caller's transaction: CT_OK when `token` is the lease's current token (and the
 * row share-locked until the transaction ends on PostgreSQL), CT_CONFLICT when not. */
ct_status ct_lease_fence(ct_store *st, const char *name, int64_t token);

/* Who holds lease `name`: the holder (truncated to len), its token and the milliseconds left
 * until it expires (<= 0: expired). CT_NOT_FOUND when it was never taken. */
ct_status ct_lease_read(ct_store *st, const char *name, char *holder, size_t len, int64_t *token,
                        int64_t *left_ms);

#endif
