/* bus.h: the in-process event bus (the embedded default back end).
 *
 * Modules announce what happened (ingest: "price.changed" per dated leg and cabin whose
 * lowest price moved, "fares.changed" per market whose fares moved) and others subscribe
 * by topic without knowing the publisher. Topics are dotted names; a subscription names
 * one topic exactly, a prefix ending in ".*" ("price.*"), or "*" for every topic.
 *
 * Delivery is synchronous, in the publisher's thread, in subscription order; a handler
 * must be quick and must not block (hand heavy work to its own thread). Any thread may
 * subscribe, unsubscribe and publish at any time: the subscriber list is guarded by a
 * mutex that is not held while handlers run, and ct_bus_unsubscribe waits until no
 * delivery to that subscription is in progress, so its context may be freed right after.
 * Events are jansson objects; the bus holds a reference for the duration of the delivery.
 *
 * Across machines the durable half (events/outbox.h) goes through RabbitMQ instead
 * (broker/broker.h: a topic exchange, a queue per outbox subscriber); this bus stays in
 * process. */
#ifndef CT_EVENTS_BUS_H
#define CT_EVENTS_BUS_H

#include <jansson.h>

#include "base/status.h"

typedef struct ct_bus ct_bus;

/* A handler: `event` is borrowed for the call (json_incref it to keep it). */
typedef void (*ct_bus_handler)(const char *topic, json_t *event, void *ctx);

/* A new, empty bus; the caller owns it (ct_bus_free). CT_NOMEM on allocation failure. */
ct_status ct_bus_new(ct_bus **out);
/* Frees the bus; no publish or subscribe may run concurrently. NULL is a no-op. */
void ct_bus_free(ct_bus *bus);

/* Subscribes `fn` (with `ctx`) to `pattern`; *id receives the subscription's id (> 0). */
ct_status ct_bus_subscribe(ct_bus *bus, const char *pattern, ct_bus_handler fn, void *ctx, int *id);
/* Removes a subscription and waits for its deliveries in progress to finish (must not be
 * called from inside that subscription's own handler). Unknown ids are ignored. */
void ct_bus_unsubscribe(ct_bus *bus, int id);

/* 1 when at least one subscription matches `topic` (so publishers can skip building
 * events nobody reads). */
int ct_bus_has_subscribers(ct_bus *bus, const char *topic);

/* Delivers `event` to every matching subscription and releases the caller's reference
 * (the event is stolen, as with json_object_set_new). Returns the number of deliveries.
 * A NULL bus just releases the event. */
int ct_bus_publish(ct_bus *bus, const char *topic, json_t *event);

#endif
