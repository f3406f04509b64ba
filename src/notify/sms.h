/* sms.h: sends text messages through a Twilio-like SMS gateway over HTTP.
 *
 * One message per call: `POST {url}/2010-04-01/Accounts/{account}/Messages.json` with the
 * form fields To, From ("Contrail") and Body, HTTP Basic auth `account:token`, and the
 * caller's idempotency key as `I-Twilio-Idempotency-Token` (and `Idempotency-Key`), so a
 * retried request is sent once. Calls go through the upstream client (src/upstream/): one
 * process-wide client named "sms" with a breaker per gateway, retrying transport errors,
 * time-outs, 429 and 5xx answers with the same key, full-jitter back-off, within
 * `timeout_s`. The sandbox gateway (sandbox/sms/, docs/sandbox.md) speaks the same API.
 *
 * Thread-safe (the upstream client's blocking calls). The program must have called
 * curl_global_init first. */
#ifndef CT_NOTIFY_SMS_H
#define CT_NOTIFY_SMS_H

#include <stddef.h>

#include "base/status.h"
#include "upstream/upstream.h"

typedef struct ct_sms_client {
    const char *url;     /* the gateway's base URL, e.g. "http://127.0.0.1:8030" */
    const char *account; /* account SID (Basic auth user and part of the path) */
    const char *token;   /* auth token (Basic auth password) */
    int timeout_s;       /* the whole call, retries included; 0 = 10 */
} ct_sms_client;

/* Sends `body` (UTF-8, 1..1600 characters) to `to_e164` ("+447700900123").
 * `idempotency_key` (may be NULL: then the request is sent once and never retried) makes
 * every attempt of this message carry the same key. On success copies the gateway's message
 * id ("SM...") into msg_id (may be NULL) and returns CT_OK. Fails with: CT_INVALID (no client
 * URL, a bad number, or the gateway refused the message with a 4xx other than 401/429: err
 * has the gateway's code and message), CT_ERR (401: bad credentials; any other answer),
 * CT_UNAVAILABLE (the gateway kept failing, or its breaker is open), CT_AGAIN (out of time),
 * CT_NOMEM. err (may be NULL) always says why. */
ct_status ct_sms_send(const ct_sms_client *c, const char *to_e164, const char *body,
                      const char *idempotency_key, char *msg_id, size_t msg_id_len, char *err,
                      size_t errlen);

/* 1 when `s` is an E.164 number: '+', a first digit 1-9, then 7 to 14 more digits (8 to 15
 * digits in all). */
int ct_sms_is_e164(const char *s);

/* The process's SMS client (made on first use; borrowed): its breaker and counters for
 * /metrics (ct_upstream_metrics_write_all). NULL when it could not be made. */
ct_upstream *ct_sms_upstream(void);

#endif
