/* payments.h: the sandbox card payment processor, a third party with its own JSON dialect.
 *
 * A separate HTTP server (subcommand `payments`) that the platform talks to like a real
 * processor: it creates payments from card details (amount in minor units, currency, number,
 * expiry, CVC), authorises and captures them at once or on request, runs a confirmation step
 * for cards that ask for one, refunds (in full or in parts, never more than was captured),
 * lists and shows payments, and fails the way real processors fail: declined cards,
 * insufficient funds, expired cards, processing errors. Test cards choose the outcome (the
 * table in docs/sandbox.md, section "Payment processor"); any other number that passes the
 * Luhn check succeeds. Every /v1 request needs `Authorization: Bearer <secret key>`.
 *
 * Creating a payment or a refund needs an `Idempotency-Key` header. The first request with a
 * key runs and its response (status and body) is stored with the key in the same database
 * transaction that writes the payment; a later request with the same key and the same method,
 * path and JSON body (compared after parsing, so spacing and key order do not matter) gets the
 * stored response again, with `Idempotent-Replayed: true`; the same key with anything else
 * gets 409 idempotency_key_reused. The transaction starts with the write lock (BEGIN
 * IMMEDIATE), so identical requests racing each other are serialised: one charges, the others
 * replay. Requests rejected before they run (authentication, malformed input) are not stored.
 *
 * State lives in the server's own SQLite file (tables payments, refunds, idempotency_keys,
 * created at start when missing). Times are world-clock times (sandbox/runtime/clock.h): a card is
 * expired when its month is before the world's month. */
#ifndef SB_PAYMENTS_H
#define SB_PAYMENTS_H

#include "base/config.h"

#include <stddef.h>

#include "base/status.h"
#include "http/http.h"

/* The secret key clients send when none is configured. */
#define SB_PAYMENTS_DEFAULT_KEY "sk_sandbox_contrail_local"

/* The default listening port and state file of the `payments` subcommand. */
#define SB_PAYMENTS_DEFAULT_PORT 8091
#define SB_PAYMENTS_DEFAULT_DB   "var/sandbox/payments.db"

typedef struct sb_payments sb_payments;

typedef struct sb_payments_options {
    ct_http_options http;   /* listening options; port 0 = ephemeral; threads = pool size */
    const char *db_url;     /* store URL of the state file, e.g. "sqlite:/tmp/payments.db" */
    const char *clock_path; /* world clock file (sandbox/runtime/clock.h); NULL = real time */
    const char *secret_key; /* the accepted Bearer key; NULL = SB_PAYMENTS_DEFAULT_KEY */
} sb_payments_options;

/* Opens (and if needed creates) the state file, opens the clock, and starts serving. The
 * options are copied. On failure writes a message to err and returns non-OK (CT_INVALID for a
 * bad option, the store's status for a database problem, CT_IO when the port is taken). Stop
 * with sb_payments_stop. */
ct_status sb_payments_start(const sb_payments_options *opt, sb_payments **out, char *err,
                            size_t errlen);

/* The bound HTTP port. */
int sb_payments_port(const sb_payments *p);

/* Stops accepting, lets in-flight requests finish (up to three seconds), closes the database
 * and frees everything. NULL is allowed. */
void sb_payments_stop(sb_payments *p);

/* The `payments` command's own flags (a base/config.h table; also the HTTP server's and
 * --clock). */
extern const ct_flag sb_payments_flags[];

/* Entry point (sandbox/cmd/main.c), returning the process exit code (0 success, 1 failure, 2
 * usage error). `payments`: the card payment processor's HTTP server until SIGINT/SIGTERM. */
int sb_payments_main(const ct_config *cfg);

#endif
