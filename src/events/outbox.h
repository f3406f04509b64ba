/* outbox.h: the transactional outbox (the events module's durable half).
 *
 * Tracing: an event added while a span is current (base/trace.h) keeps its traceparent; the
 * delivered event carries it as "traceparent" and the handler runs as a child span of it.
 *
 * A state change and the event announcing it must be written together or not at all, so the
 * event is a row (table `outbox`, migration 0005) added in the caller's own transaction by
 * ct_outbox_add: a rolled-back transaction leaves no event, a committed one cannot lose it.
 * A relay thread (ct_outbox_new / _start) then delivers each event to the subscribers
 * registered before the start:
 *
 *   - fan-out: each new event gets one delivery row per subscriber whose pattern matches its
 *     type (exact, "prefix.*" or "*", as in events/bus.h); subscribers registered later do
 *     not get older events;
 *   - delivery: a subscriber's pending rows are handed to its handler oldest first; an event
 *     waits while an earlier event of the same aggregate (aggregate, aggregate_id) is not
 *     delivered to that subscriber yet, so each subscriber sees one aggregate's events in
 *     the order they were added. Other aggregates are not held up;
 *   - a handler returning CT_OK marks the row delivered; anything else is a failure: the row
 *     is tried again after a back-off (base x 2^(attempts-1), capped), and later events of
 *     that aggregate wait for it;
 *   - at least once: a relay that stops (or dies) after a handler ran but before the row was
 *     marked delivers that event again later. Consumers make their effect single with
 *     ct_outbox_consume_once in the transaction of the effect.
 *
 * Several relays may share one PostgreSQL database: each claims rows with FOR UPDATE SKIP
 * LOCKED inside a transaction that stays open while the handlers of its batch run, so a row
 * is handled by one relay at a time, and the order check reads committed state in one
 * statement. On SQLite run one relay per database file (no transaction is held while a
 * handler runs, so handlers may write to the same database).
 *
 * The relay takes a connection from the pool for each pass; handlers that use the store
 * take their own, so the pool needs at least two connections. */
#ifndef CT_EVENTS_OUTBOX_H
#define CT_EVENTS_OUTBOX_H

#include <jansson.h>
#include <stddef.h>

#include "base/status.h"
#include "events/bus.h"
#include "store/store.h"

/* In the caller's open transaction on `st`: appends an event of `type` about
 * (aggregate, aggregate_id) with `payload` (an object, copied as JSON text; NULL: {}). Its id
 * ("evt_" + 24 hex digits) is written to event_id (len >= 29; may be NULL). Its sequence
 * number is one more than the aggregate's last, so two transactions adding events for the
 * same aggregate at once cannot both commit: on PostgreSQL the second fails with CT_CONFLICT
 * when the first commits (lock the aggregate's own row first, or retry the transaction).
 * CT_INVALID (missing names), CT_NOMEM, store errors. */
ct_status ct_outbox_add(ct_store *st, const char *aggregate, const char *aggregate_id,
                        const char *type, const json_t *payload, char *event_id, size_t len);

typedef struct ct_outbox ct_outbox;

/* A subscriber's handler, called from the relay thread. `event` is borrowed for the call:
 * {"id","type","aggregate","aggregate_id","seq","payload","created_at" (ISO 8601 UTC)}.
 * Return CT_OK once the event has been handled; anything else is retried later. */
typedef ct_status (*ct_outbox_handler)(const json_t *event, void *ctx);

/* A relay over `pool` (borrowed; at least two connections); polls every poll_ms (<= 0: 500)
 * and at once after ct_outbox_kick. Each event is also published on `bus` (may be NULL;
 * borrowed) as a subscriber named "bus" with pattern "*". The caller owns *out and ends it
 * with ct_outbox_stop. CT_NOMEM. */
ct_status ct_outbox_new(ct_store_pool *pool, ct_bus *bus, int poll_ms, ct_outbox **out);

/* Registers `fn` under `name` (unique, at most 63 bytes; stored in the delivery rows, so keep
 * it stable across versions) for `pattern`. Before ct_outbox_start only. CT_INVALID (bad
 * name or pattern, or already started), CT_CONFLICT (name taken), CT_TOO_LARGE (64 at most). */
ct_status ct_outbox_subscribe(ct_outbox *o, const char *name, const char *pattern,
                              ct_outbox_handler fn, void *ctx);

/* The back-off of failed deliveries: base_ms (default 200) doubling up to max_ms (default
 * 60000). Before ct_outbox_start. */
void ct_outbox_set_retry(ct_outbox *o, int base_ms, int max_ms);

/* A message broker between the relay and the subscribers (src/broker/: RabbitMQ), set with
 * ct_outbox_set_transport before ct_outbox_start. With one, the relay fans each new event out
 * to a single subscriber "amqp" (pattern "*") whose handler is `publish`, and at the start
 * hands every subscriber registered so far to `consume`: from then on the broker delivers
 * their events (from every instance's relay), at least once, in its own threads. Rows of those
 * subscribers fanned out before (a database that ran without the broker) are still delivered
 * by this relay. All three calls receive `ctx`. */
#define CT_OUTBOX_BATCH_MAX 32 /* rows one relay pass hands a subscriber at most */

typedef struct ct_outbox_transport {
    void *ctx;
    /* From the relay thread, inside the delivery's span: sends `event` (the form handlers
     * get) and returns CT_OK once the broker has taken it; anything else is retried with the
     * relay's back-off. */
    ct_status (*publish)(void *ctx, const json_t *event);
    /* Optional (NULL: publish one at a time): the events of one relay pass (at most
     * CT_OUTBOX_BATCH_MAX, oldest first, each with the traceparent of its delivery span or
     * NULL) sent together; results[i] is what publish would have answered for events[i]. */
    void (*publish_batch)(void *ctx, const json_t *const *events, const char *const *traceparents,
                          int n, ct_status *results);
    /* From ct_outbox_start, once per subscriber: arranges that `fn` (with fn_ctx) receives
     * the events matching `pattern` under the durable name `name`. An error fails the start. */
    ct_status (*consume)(void *ctx, const char *name, const char *pattern, ct_outbox_handler fn,
                         void *fn_ctx);
    /* From ct_outbox_stop before the relay ends: no handler given to consume runs after it
     * returns. */
    void (*stop)(void *ctx);
} ct_outbox_transport;

/* Sets the transport (copied; its ctx borrowed, outliving the relay). Before ct_outbox_start;
 * CT_INVALID after it or with a missing function. */
ct_status ct_outbox_set_transport(ct_outbox *o, const ct_outbox_transport *t);

/* Starts the relay thread. CT_INVALID when already started; CT_ERR when the thread cannot be
 * created. */
ct_status ct_outbox_start(ct_outbox *o);

/* Wakes the relay (call after committing a transaction that added events). Any thread. */
void ct_outbox_kick(ct_outbox *o);

/* Tests and shutdown: waits until the database holds no event waiting for fan-out and no
 * undelivered row of this relay's subscribers. CT_OK, CT_AGAIN after timeout_ms (a failing
 * subscriber keeps rows pending), store errors. Not from a handler. */
ct_status ct_outbox_drain(ct_outbox *o, int timeout_ms);

/* Tests: makes the relay stop as if it died. From inside a handler, that event and the rest
 * of its pass are left unmarked (rolled back on PostgreSQL) and the thread ends; they are
 * delivered again by the next relay. Follow with ct_outbox_stop. Any thread. */
void ct_outbox_abandon(ct_outbox *o);

/* Stops the relay thread (waits for the handler running, if any; rows it marked stay
 * marked) and frees the relay. Not from a handler. NULL is a no-op. */
void ct_outbox_stop(ct_outbox *o);

/* In the consumer's transaction on `st`: CT_OK the first time `consumer` sees event_id
 * (recorded in outbox_consumed, committed with the effect), CT_CONFLICT after (skip the
 * effect). CT_INVALID, store errors. */
ct_status ct_outbox_consume_once(ct_store *st, const char *consumer, const char *event_id);

/* In a transaction (or not) on `st`: replaces the payload of event_id with {} (an event that
 * carried something secret, once its subscribers have it). Only for events whose only
 * subscribers have handled them: a later delivery sees the empty payload. CT_OK also when there
 * is no such event; CT_INVALID, store errors. */
ct_status ct_outbox_forget(ct_store *st, const char *event_id);

#endif
