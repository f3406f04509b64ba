/* broker.h: the events module's RabbitMQ transport (`contrail serve --amqp amqp://...`).
 *
 * The outbox (events/outbox.h) stays the source of truth: a state change and its event commit
 * together. With a broker the relay publishes each event to the durable topic exchange
 * `contrail.events` (routing key: the event's type; persistent; message id: the event id;
 * header `traceparent`: the relay's delivery span), waits for the publisher confirm and only
 * then marks it delivered, so an event is published at least once whatever RabbitMQ does. A
 * relay pass's batch is sent at once and its confirms awaited together (publish_batch).
 *
 * Every outbox subscriber (the notification hub's, account mail, webhooks, booked-trip alerts,
 * ...) becomes a durable quorum queue `contrail.<subscriber>` bound to the exchange with its
 * pattern ("*" -> "#", "order.*" -> "order.#", exact names as they are), with
 * `x-single-active-consumer` (one instance consumes a queue at a time, in order; another takes
 * over when it goes), `x-delivery-limit` and at-least-once dead-lettering to the fanout
 * exchange `contrail.dead` and its quorum queue `contrail.dead-letters`. Each queue has its own
 * consumer thread and connection: it runs the subscriber's handler and acknowledges after the
 * effect (CT_OK); a failure waits a back-off (doubling from retry_base_ms, at most
 * retry_max_ms) and is returned to the queue; after `delivery_limit` deliveries RabbitMQ
 * moves the message to the dead letters, where `contrail dead-letters list|replay` finds it
 * (ct_broker_dead_list / ct_broker_dead_replay). A body that is not an event is dead-lettered
 * at once. Delivery is at least once (a consumer that dies before its ack, a publish whose
 * confirm was lost), so handlers deduplicate in the effect's transaction
 * (ct_outbox_consume_once), as they already do for the relay.
 *
 * Lost connections (RabbitMQ restarted, a network cut) are noticed by every call and by
 * heartbeats; each thread reconnects with a back-off and declares the topology again. Publish
 * fails fast while the broker is unreachable (the relay retries), so events wait in the
 * outbox, not in memory. */
#ifndef CT_BROKER_BROKER_H
#define CT_BROKER_BROKER_H

#include <jansson.h>
#include <stddef.h>

#include "base/status.h"
#include "events/outbox.h"

typedef struct ct_broker ct_broker;

typedef struct ct_broker_config {
    const char *url;        /* amqp://user:password@host:port/vhost (required) */
    int delivery_limit;     /* deliveries before dead-lettering (>= 2); <= 0: 10 */
    int retry_base_ms;      /* first back-off after a failed handler; <= 0: 200 */
    int retry_max_ms;       /* back-off cap; <= 0: 10000 */
    int prefetch;           /* unacknowledged messages per consumer; <= 0: 16 */
    int confirm_timeout_ms; /* wait for a publisher confirm; <= 0: 5000 */
    const char *prefix;     /* names of exchanges and queues; NULL: "contrail" */
} ct_broker_config;

/* A broker from cfg (copied). Nothing connects yet: the first publish or consumer does (and
 * again after a loss). The caller owns *out (ct_broker_free, after the outbox using it is
 * stopped). CT_INVALID (a URL amqp_parse_url refuses, or amqps://), CT_NOMEM. */
ct_status ct_broker_new(const ct_broker_config *cfg, ct_broker **out);
void ct_broker_free(ct_broker *b);

/* The outbox transport over b (outbox.h): set it with ct_outbox_set_transport. */
ct_outbox_transport ct_broker_transport(ct_broker *b);

/* Connects once, declares the topology (exchanges and the dead-letter queue) and closes:
 * CT_OK, CT_UNAVAILABLE (unreachable, refused login: the reason in err). For start-up checks
 * and the dead-letter commands. */
ct_status ct_broker_check(ct_broker *b, char *err, size_t errlen);

/* The state /readyz shows: "up" while the last publish or consumer connection succeeded,
 * "down" after a failure (reconnecting), "idle" before any connection was tried. Any thread. */
const char *ct_broker_state(ct_broker *b);

/* /metrics: contrail_amqp_published_total, _publish_failures_total, _consumed_total,
 * _handler_failures_total, _reconnects_total, contrail_amqp_up and contrail_amqp_dead_letters
 * (the dead-letter queue's depth, read over a connection of its own at most every 5 s, left
 * out while unknown), as Prometheus text into out (at most cap bytes; returns bytes written).
 * Any thread. */
size_t ct_broker_metrics(ct_broker *b, char *out, size_t cap);

/* ---- every instance ---- */

/* The outbox subscribers above are once per cluster: one instance handles each event (their
 * effects, mail, webhooks, rows, must happen once). State an instance keeps in memory must
 * see an event on every instance instead: this registers `fn` (with fn_ctx) for the events
 * matching `pattern` (outbox.h's patterns) on this instance. A queue of its own connection
 * (server-named, exclusive, auto-delete: gone with the instance), bound to the same exchange,
 * consumed by a thread of its own; `name` is for logs. Acknowledged after fn; a failure is
 * retried with the back-off, up to delivery_limit times in a row, then dropped and logged
 * (amqp.every_instance_dropped; no dead letter: the handler's state is this process's).
 * Events published while this instance was away from RabbitMQ are not seen (the queue went
 * with the connection), so fn must be idempotent and its state must also be built at start
 * from the database. Returns once the queue is bound (or after 2 s, the thread still
 * trying). Stopped with the other consumers (the outbox's stop). Main thread, before the
 * outbox stops. CT_INVALID, CT_TOO_LARGE, CT_ERR. */
ct_status ct_broker_every_instance(ct_broker *b, const char *name, const char *pattern,
                                   ct_outbox_handler fn, void *fn_ctx);

/* ---- dead letters ---- */

/* Up to `max` dead letters, oldest first, as an array of {"event_id","type","queue" (where it
 * died), "reason","deaths","traceparent","event" (the body)} (*out owned by the caller); they
 * stay in the dead-letter queue. CT_UNAVAILABLE, CT_NOMEM. */
ct_status ct_broker_dead_list(ct_broker *b, int max, json_t **out, char *err, size_t errlen);

/* Sends dead letters back to the queue each died in (not to the exchange: the subscribers that
 * handled them do not see them again), with a fresh delivery count, then removes them from the
 * dead letters: every one when event_id is NULL, else the ones of that event. A republished
 * message is confirmed before its dead letter is acknowledged (a crash in between leaves both:
 * the consumer deduplicates). *replayed receives the count. CT_NOT_FOUND (no such event),
 * CT_UNAVAILABLE. */
ct_status ct_broker_dead_replay(ct_broker *b, const char *event_id, int *replayed, char *err,
                                size_t errlen);

#endif
