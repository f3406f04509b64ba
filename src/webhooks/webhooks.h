/* webhooks.h: webhooks the platform sends to its users' and partners' endpoints (the module's
 * whole interface), signed per Standard Webhooks 1.0 (docs/webhooks.md).
 *
 * Tables (migration 0012): webhook_endpoints, webhook_deliveries (one per event x endpoint,
 * the body as sent), webhook_attempts (the log of every attempt).
 *
 *   - endpoints: a URL (https, or http on loopback when allow_loopback; never a private,
 *     link-local or other non-public address: checked at creation and again before every
 *     attempt), the event types subscribed, a secret "whsec_<base64>" shown once at creation
 *     (and once per rotation; the previous secret still signs for 24 hours), a status
 *     (enabled, disabled with a reason);
 *   - fan-out: the outbox subscriber "webhooks" (pattern "*") turns each event of a sendable
 *     type (order.confirmed, order.cancelled, price_alert.triggered, trip.*) into one delivery
 *     row per enabled endpoint of the owning user (orders.user_id for aggregate "order", else
 *     payload.user_id) that subscribed to the type, in one transaction; (event, endpoint) is
 *     unique, so a redelivered event adds nothing. The body is {"type","timestamp","data"};
 *     the webhook-id is "msg_" + the event's hex id, the same on every attempt and replay;
 *   - delivery: worker threads claim due rows (a lease of the time-out + 5 s, taken with FOR
 *     UPDATE SKIP LOCKED on PostgreSQL, so several serve processes never send one attempt
 *     twice; a process killed mid-send leaves the lease to expire and the row is sent again:
 *     at least once), POST them through the upstream client (partner "webhooks", one attempt
 *     per call, time-out timeout_ms) with the headers webhook-id, webhook-timestamp and
 *     webhook-signature ("v1,<base64 HMAC-SHA256 of id.timestamp.body>", space separated when
 *     two secrets sign). 2xx: delivered. 410: the endpoint is disabled at once. Otherwise the
 *     next attempt follows the schedule (after attempt n: 5 s, 5 min, 30 min, 2 h, 5 h, 10 h,
 *     14 h, 20 h, 24 h; each x retry_scale), or the answer's Retry-After when later; after
 *     the tenth attempt, or once the endpoint has failed without a success for 5 days (x
 *     retry_scale), the endpoint is disabled. Disabled endpoints get no new deliveries and
 *     their pending ones wait; enabling resumes them at once. */
#ifndef CT_WEBHOOKS_WEBHOOKS_H
#define CT_WEBHOOKS_WEBHOOKS_H

#include <jansson.h>
#include <stddef.h>
#include <stdint.h>

#include "base/status.h"
#include "base/strbuf.h"
#include "events/outbox.h"
#include "store/store.h"
#include "upstream/upstream.h"

#define CT_WEBHOOKS_MAX_ENDPOINTS 16 /* per user */
#define CT_WEBHOOKS_SCHEDULE_LEN  10 /* attempts in one schedule */

typedef struct ct_webhooks_config {
    double retry_scale; /* multiplies the schedule and the 5-day limit (default 1; tests 0.001) */
    int allow_loopback; /* 1: http(s) to 127.0.0.0/8 and ::1 allowed (sandbox, tests) */
    int timeout_ms;     /* per attempt (default 10000) */
    int workers;        /* delivery threads (default 2) */
    int poll_ms;        /* idle workers look for due rows this often (default 100) */
    int batch;          /* rows a worker claims at once (default 16) */
} ct_webhooks_config;

typedef struct ct_webhooks ct_webhooks;

typedef struct ct_webhooks_field_error {
    char field[40];
    char message[200];
} ct_webhooks_field_error;

/* A webhooks service over `pool` (borrowed; outlives it) with `cfg` (NULL or zero members:
 * the defaults). The caller owns *out (ct_webhooks_free). The program must have called
 * curl_global_init. CT_NOMEM, CT_ERR (curl). */
ct_status ct_webhooks_new(ct_store_pool *pool, const ct_webhooks_config *cfg, ct_webhooks **out);

/* Registers the fan-out subscriber "webhooks" (pattern "*") on `o` (before its start). */
ct_status ct_webhooks_subscribe(ct_webhooks *w, ct_outbox *o);

/* Starts the delivery threads. CT_INVALID when started already, CT_ERR (thread). */
ct_status ct_webhooks_start(ct_webhooks *w);

/* Wakes the workers (new or resumed rows). Any thread; NULL is a no-op. */
void ct_webhooks_kick(ct_webhooks *w);

/* Stops the workers (an attempt in flight finishes and is recorded) and frees. NULL: no-op. */
void ct_webhooks_free(ct_webhooks *w);

/* The upstream client's Prometheus text (client "webhooks") appended to `out`. */
ct_upstream *ct_webhooks_upstream(ct_webhooks *w);

/* ---- the API's operations, each on the caller's connection `st` for user_id; `w` may be
 * NULL (no loopback allowed, no kick). Another user's or a missing id: CT_NOT_FOUND. Bad
 * input: CT_INVALID with *fe naming the field. The JSON returned is the caller's. ---- */

/* {url, description?, event_types?} -> the endpoint with its "secret" (shown only here).
 * event_types: 1-16 distinct of order.confirmed, order.cancelled, price_alert.triggered,
 * trip.price_drop, trip.schedule_changed, trip.*, * (default ["*"]). CT_CONFLICT over
 * CT_WEBHOOKS_MAX_ENDPOINTS. */
ct_status ct_webhooks_create(ct_webhooks *w, ct_store *st, const char *user_id, const json_t *in,
                             ct_webhooks_field_error *fe, json_t **out);
/* {"items":[endpoint...]}, newest first. */
ct_status ct_webhooks_list(ct_store *st, const char *user_id, json_t **out);
ct_status ct_webhooks_get(ct_store *st, const char *user_id, const char *id, json_t **out);
/* Deletes the endpoint with its deliveries and attempts. */
ct_status ct_webhooks_delete(ct_store *st, const char *user_id, const char *id);
/* {"items":[delivery with "attempts":[...]]}, newest first, at most `limit` (1-100). */
ct_status ct_webhooks_deliveries(ct_store *st, const char *user_id, const char *id, int limit,
                                 json_t **out);
/* Sends the delivery again from the start of the schedule, same webhook-id and body.
 * CT_CONFLICT when the endpoint is disabled. *out: the delivery. */
ct_status ct_webhooks_replay(ct_webhooks *w, ct_store *st, const char *user_id, const char *id,
                             const char *delivery_id, json_t **out);
/* A new secret (in *out's "secret", shown only here); the old one signs for 24 h more. */
ct_status ct_webhooks_rotate(ct_store *st, const char *user_id, const char *id, json_t **out);
/* Re-enables a disabled endpoint; its pending deliveries are due at once. */
ct_status ct_webhooks_enable(ct_webhooks *w, ct_store *st, const char *user_id, const char *id,
                             json_t **out);
/* Queues a "webhook.test" delivery to the endpoint (enabled or not: it waits while disabled).
 * *out: the delivery. */
ct_status ct_webhooks_ping(ct_webhooks *w, ct_store *st, const char *user_id, const char *id,
                           json_t **out);

/* ---- signing (sign.c) ---- */

/* A new secret "whsec_<base64 of 32 random bytes>" into out (len >= 64). */
void ct_webhooks_new_secret(char *out, size_t len);

/* "v1,<base64 HMAC-SHA256(key, msg_id "." timestamp "." body)>" into out (len >= 48), the
 * key being the base64 after "whsec_" of `secret`. CT_INVALID for a malformed secret. */
ct_status ct_webhooks_sign(const char *secret, const char *msg_id, int64_t timestamp,
                           const char *body, size_t body_len, char *out, size_t len);

/* 1 when `url` may be an endpoint: http(s), a host whose every address is public (or
 * loopback with allow_loopback; http only then). Else 0 with the reason in why. */
int ct_webhooks_url_allowed(const char *url, int allow_loopback, char *why, size_t whylen);

/* The schedule's delay after the n-th failed attempt of a round (1-based), in milliseconds
 * at `scale`; -1 when n >= CT_WEBHOOKS_SCHEDULE_LEN (no more attempts). */
int64_t ct_webhooks_retry_delay_ms(int n, double scale);

#endif
