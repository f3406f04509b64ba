/* upstream.h: the HTTP client every partner call goes through (the module's interface).
 *
 * A ct_upstream client sends requests to partners (providers' feeds, later booking and
 * payments) over libcurl, and adds what such calls need:
 *
 *   - deadlines: a request has an optional deadline for the whole call (retries and waits
 *     included) and a time-out per attempt; an attempt never runs past the deadline and a
 *     retry is never scheduled past it;
 *   - retries, for idempotent requests only: GET, HEAD, PUT, DELETE and OPTIONS, or any
 *     method carrying an Idempotency-Key (the same key on every attempt). An attempt is
 *     retried after a transport error, a time-out, a 408, 429 or 5xx answer, or a 2xx answer
 *     the caller's `check` calls unusable; it waits a full-jitter exponential back-off
 *     (uniform in [0, min(backoff_max_ms, backoff_ms x 2^(n-1))] before retry n), or the
 *     partner's Retry-After when longer (capped by retry_after_max_ms). Other answers (2xx,
 *     3xx, 4xx) are delivered as they are: the caller decides what a 4xx means;
 *   - a circuit breaker per partner (a name; by default the URL's scheme://host:port):
 *
 *         closed --(breaker_failures consecutive failed attempts)--> open
 *         open   --(breaker_cooldown_ms passed, next attempt)-----> half-open (that one
 *                                                                    attempt is the probe)
 *         half-open --probe succeeds--> closed;  --probe fails--> open (cool-down again)
 *
 *     A failed attempt is one a retry would be made for (transport, time-out, 408, 429,
 *     5xx, unusable); any other answer is a success (the partner is up). While the breaker
 *     is open, and while a half-open probe is in flight, attempts fail fast with
 *     CT_UNAVAILABLE without reaching the partner;
 *   - statistics per partner (attempts, retries, failures, fast fails, breaker state and
 *     openings), readable from any thread, and their Prometheus text for /metrics.
 *
 * Two ways to call:
 *   - asynchronous (several partners in flight in one thread, as the feed ingestion does):
 *     ct_upstream_submit queues a request, ct_upstream_perform drives every queued request
 *     (attempts, retries, time-outs) and calls each one's completion callback once, from
 *     inside ct_upstream_perform. Submit, perform and cancel belong to one thread at a time
 *     (the client's async queue is not locked);
 *   - blocking: ct_upstream_call runs one request to completion in the caller's thread on a
 *     private curl handle set, so any number of threads may call it at once on one client
 *     (with the async queue driven by yet another thread). Breakers and statistics are shared
 *     and locked.
 *
 * The program must have called curl_global_init before creating a client. */
#ifndef CT_UPSTREAM_UPSTREAM_H
#define CT_UPSTREAM_UPSTREAM_H

#include <stddef.h>
#include <stdint.h>

#include "base/status.h"
#include "base/strbuf.h"

#define CT_UPSTREAM_MAX_PARTNERS 64 /* breakers per client */

typedef struct ct_upstream ct_upstream;
typedef struct ct_upstream_call ct_upstream_call; /* an asynchronous request in flight */

typedef struct ct_upstream_config {
    const char *name;        /* the client's name, label `client` in metrics (default
                                "upstream"; copied) */
    const char *user_agent;  /* default "contrail/1" (copied) */
    int max_attempts;        /* per request, the first included (default 4) */
    int backoff_ms;          /* base of the back-off (default 100) */
    int backoff_max_ms;      /* cap of the back-off (default 5000) */
    int timeout_ms;          /* per attempt (default 15000) */
    int connect_timeout_ms;  /* per attempt (default 5000) */
    int retry_after_max_ms;  /* cap of a partner's Retry-After (default 60000) */
    int breaker_failures;    /* consecutive failed attempts that open a breaker (default 5;
                                negative: breakers never open) */
    int breaker_cooldown_ms; /* open -> half-open after this (default 30000) */
    size_t body_cap;         /* response body cap, bytes (default 16 MiB); a larger body
                                fails the attempt with CT_TOO_LARGE, not retried */
    uint64_t seed;           /* of the jitter (0: from the clock) */
} ct_upstream_config;

/* The answer to a request. In a completion callback everything is borrowed and valid only
 * during the callback; from ct_upstream_call the caller owns it (ct_upstream_response_free). */
typedef struct ct_upstream_response {
    /* CT_OK: the last attempt got an HTTP answer (any status: look at `status`; after the
     * retries ran out it may be a 5xx); CT_IO: transport error; CT_AGAIN: time-out (of the
     * attempt or the deadline); CT_UNAVAILABLE: the partner's breaker is open; CT_ERR: the
     * caller's check refused the last 2xx answer; CT_TOO_LARGE: body over body_cap;
     * CT_NOMEM. */
    ct_status rc;
    long status;      /* HTTP status of the last attempt; 0 when none answered */
    const char *body; /* the last answer's body, NUL-terminated ("" when none) */
    size_t body_len;
    const char *headers;    /* the last answer's header lines, raw ("" when none) */
    int attempts;           /* attempts that reached the network (0: failed fast) */
    int64_t elapsed_ms;     /* from submission to completion */
    int64_t retry_after_ms; /* the last answer's Retry-After; -1 when absent */
    char error[256];        /* why rc or status is not a success, for logs ("" when none) */
    /* internal: the owned copies behind body/headers (ct_upstream_call only) */
    char *own_body, *own_headers;
} ct_upstream_response;

/* A 2xx answer's check: return 0 to accept it, non-zero to call it unusable (a failure,
 * retried like a 5xx when the request is idempotent), with a reason in `why`. Called once per
 * 2xx attempt, in the driving thread. */
typedef int (*ct_upstream_check)(void *ctx, const ct_upstream_response *rsp, char *why,
                                 size_t whylen);

/* Called once per submitted request when it is finished (not when cancelled), from inside
 * ct_upstream_perform. It may submit new requests; it must not cancel or free. */
typedef void (*ct_upstream_done)(void *ctx, const ct_upstream_response *rsp);

typedef struct ct_upstream_request {
    const char *partner;        /* breaker and statistics key (e.g. "airline-1"); NULL: the
                                   URL's scheme://host:port */
    const char *method;         /* "GET" when NULL */
    const char *url;            /* required */
    const char *const *headers; /* "Name: value" lines, NULL-terminated; may be NULL */
    const char *body;           /* request body; may be NULL */
    size_t body_len;
    const char *idempotency_key; /* sent as Idempotency-Key on every attempt, which makes any
                                    method retryable (an Idempotency-Key line in `headers` does
                                    too); NULL: none */
    int64_t deadline_ms;         /* for the whole call, from submission; 0: none */
    int timeout_ms;              /* per attempt; 0: the client's */
    int max_attempts;            /* 0: the client's; 1: never retried */
    ct_upstream_check check;     /* NULL: every 2xx is accepted */
    void *check_ctx;
    /* 5xx statuses that are the partner's final answer, 0-terminated (e.g. a processor's 502
     * "processing error: retry with a new key"): returned as they are, never retried and not
     * a breaker failure. NULL: every 5xx is a failure. Must outlive the call (static). */
    const int *final_statuses;
} ct_upstream_request;

typedef enum ct_upstream_state {
    CT_BREAKER_CLOSED = 0,
    CT_BREAKER_OPEN = 1,
    CT_BREAKER_HALF_OPEN = 2,
} ct_upstream_state;

/* Statistics of one partner (counters since the client was created). */
typedef struct ct_upstream_stats {
    char partner[64];
    ct_upstream_state state;
    int consecutive_failures;
    uint64_t attempts; /* requests sent to the partner, retries included */
    uint64_t retries;  /* attempts that were retries */
    uint64_t failures; /* failed attempts (transport, time-out, 408/429/5xx, unusable) */
    uint64_t rejected; /* attempts failed fast by an open breaker */
    uint64_t opened;   /* times the breaker opened */
} ct_upstream_stats;

/* A client with `cfg` (NULL or zero members: the defaults above). CT_NOMEM, CT_ERR (curl).
 * The caller owns *out. */
ct_status ct_upstream_new(const ct_upstream_config *cfg, ct_upstream **out);

/* Cancels every queued asynchronous request (no callbacks) and frees the client. No
 * ct_upstream_call may be running. NULL is a no-op. */
void ct_upstream_free(ct_upstream *up);

/* Queues `req` (everything copied) for ct_upstream_perform; `done` gets the answer.
 * *out (may be NULL) names the request for ct_upstream_cancel until `done` is called.
 * A partner over CT_UPSTREAM_MAX_PARTNERS still gets its answer, failed with CT_TOO_LARGE.
 * CT_INVALID: no URL or callback; CT_NOMEM. */
ct_status ct_upstream_submit(ct_upstream *up, const ct_upstream_request *req, ct_upstream_done done,
                             void *ctx, ct_upstream_call **out);

/* Drives the queued requests: starts the attempts that are due, moves the transfers, and
 * calls the callbacks of the requests that finished. When nothing finished it waits up to
 * `wait_ms` for network activity or the next retry's time. Returns how many requests are
 * still queued (in flight or waiting to retry). */
int ct_upstream_perform(ct_upstream *up, int wait_ms);

/* Abandons a queued request without calling its callback (a half-open probe it held is
 * released). `call` must be one not yet finished. */
void ct_upstream_cancel(ct_upstream *up, ct_upstream_call *call);

/* Runs `req` to completion in the caller's thread (thread-safe; see the file comment) and
 * fills *rsp, which the caller frees with ct_upstream_response_free. Returns rsp->rc. */
ct_status ct_upstream_call_sync(ct_upstream *up, const ct_upstream_request *req,
                                ct_upstream_response *rsp);

/* Frees what ct_upstream_call_sync put in *rsp. */
void ct_upstream_response_free(ct_upstream_response *rsp);

/* The value of header `name` (case-insensitive) in rsp->headers, copied NUL-terminated into
 * `out` (truncated to `len`). Returns 1 when found, 0 when not. */
int ct_upstream_response_header(const ct_upstream_response *rsp, const char *name, char *out,
                                size_t len);

/* The breaker state of `partner` (CLOSED when the client has not seen it). An open breaker
 * whose cool-down has passed still reads OPEN until the next attempt makes it half-open. */
ct_upstream_state ct_upstream_breaker_state(ct_upstream *up, const char *partner);

/* Copies the statistics of up to `max` partners, in the order first seen; returns how many.
 * Any thread. */
int ct_upstream_stats_get(ct_upstream *up, ct_upstream_stats *out, int max);

/* Appends the Prometheus text of every partner's statistics to `out`, labelled
 * {client="NAME",partner="PARTNER"}: contrail_upstream_breaker_state (0 closed, 1 open,
 * 2 half-open), contrail_upstream_consecutive_failures, and the counters
 * contrail_upstream_{attempts,retries,failures,rejected,breaker_opened}_total. Any thread.
 * CT_TOO_LARGE / CT_NOMEM from the buffer. */
ct_status ct_upstream_metrics_write(ct_upstream *up, ct_strbuf *out);

/* The same for several clients in one exposition: each family's HELP and TYPE once, then
 * every client's rows (NULL entries skipped). Use it whenever more than one client is shown:
 * a family repeated by a second client is invalid text (Prometheus refuses the scrape). */
ct_status ct_upstream_metrics_write_all(ct_upstream *const *ups, int nups, ct_strbuf *out);

/* Name of a breaker state: "closed", "open", "half_open". */
const char *ct_upstream_state_name(ct_upstream_state s);

#endif
