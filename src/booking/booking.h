/* booking.h: live offers, orders and their saga (the booking module's interface).
 *
 * A traveller picks an itinerary from a search answer; ct_booking_offer asks the provider for
 * its live offer (providers/booking.h builds and reads the dialect's documents, upstream/
 * carries them), stores it in table `offers` with its expiry and returns it normalised.
 * ct_booking_order_create turns a stored offer into an order by a saga whose every step is
 * one database transaction with its outbox event (events/outbox.h):
 *
 *   pending --hold--> held --pay--> authorized --ticket--> ticketed --capture--> confirmed
 *                       \--pay--> requires_action --confirm--> authorized
 *   any step's failure --compensate (hold cancelled, payment voided or refunded)--> failed
 *   confirmed --cancellation quote + confirm--> cancelled
 *
 * Every outgoing call carries an idempotency key derived from the order and the step
 * (`<order>:hold`, `<order>:pay`, `<order>:ticket`, `<order>:capture`, `<order>:void`,
 * `<order>:cancel`, `<order>:refund`, `<order>:card-refund`), so a repeated step (a retry, a
 * request replayed, the recovery worker) never acts twice. The payment is authorised only
 * (manual capture); the provider tickets with the payment id as its payment reference; the
 * payment is captured after the ticket, so nothing is charged without a ticket and a failed
 * ticket voids the authorisation.
 *
 * Request idempotency (POST /orders): table `idempotency_keys` keeps per caller and key the
 * request's digest and the stored answer for at least CT_BOOKING_KEY_TTL_S; the same key and
 * body get the stored answer again, the key with another body CT_CONFLICT. A request refused
 * before it runs (bad body, unknown offer) is not stored.
 *
 * Thread-safe: every call takes the caller's store connection; the handle is read-only after
 * ct_booking_new (plus the recovery thread, ct_booking_recovery_start). */
#ifndef CT_BOOKING_BOOKING_H
#define CT_BOOKING_BOOKING_H

#include <jansson.h>
#include <stdint.h>

#include "base/status.h"
#include "payments/payments.h"
#include "providers/booking.h"
#include "store/store.h"
#include "upstream/upstream.h"

#define CT_BOOKING_MAX_PROVIDERS 16
#define CT_BOOKING_KEY_TTL_S     (48 * 3600) /* request idempotency keys kept this long */
#define CT_BOOKING_QUOTE_S       (15 * 60)   /* a cancellation quote's validity */

typedef struct ct_booking ct_booking;

typedef struct ct_booking_provider {
    char name[32];         /* "airline-1", "ota-eur", ... (internal; never shown) */
    char display_name[64]; /* the brand, from the partner directory; "" = ask the provider
                              (NDC: its owner carrier's name from /ndc/v1/schedules), else
                              a generic name by kind */
    char base_url[256];
    int dialect; /* ct_providers_dialect */
} ct_booking_provider;

typedef struct ct_booking_config {
    ct_store_pool *pool; /* for the recovery worker (borrowed) */
    ct_booking_provider providers[CT_BOOKING_MAX_PROVIDERS];
    int nproviders;
    ct_payments *payments;  /* borrowed; NULL: orders are refused (CT_UNAVAILABLE) */
    int64_t deadline_ms;    /* per provider call, retries included (default 15000) */
    int recovery_every_s;   /* the recovery worker's period (default 30) */
    int recovery_min_age_s; /* the worker leaves orders touched this recently (default 60) */
    /* Airports' countries (borrowed): on an offer with a leg between two countries a
     * passenger's travel document must be a passport. NULL: that rule is off. */
    const struct ct_refdata *refdata;
    /* Tests: added to every "now" this module reads (seconds). */
    int64_t clock_offset_s;
} ct_booking_config;

/* A refusal for the API: HTTP status, a problem code ("sold_out", "offer_expired",
 * "price_changed", "provider_error", "card_declined", ...), the request field it names ("" when
 * none), a detail text, a Retry-After in seconds (0: none) and, for some, a JSON extension
 * (e.g. the new price, the failed order) the caller owns (json_decref). */
typedef struct ct_booking_error {
    int http;
    char code[48];
    char field[64];
    char detail[256];
    int retry_after_s;
    json_t *extra;
} ct_booking_error;

void ct_booking_error_clear(ct_booking_error *e);

/* The handle. cfg is copied; ct_booking_free frees it (stops the recovery worker first).
 * CT_NOMEM, CT_ERR (curl). */
ct_status ct_booking_new(const ct_booking_config *cfg, ct_booking **out);
void ct_booking_free(ct_booking *b);

/* Tests: moves this module's clock by `seconds` (offers and holds expire on it). */
void ct_booking_set_clock_offset(ct_booking *b, int64_t seconds);

/* The upstream client every provider call goes through (borrowed; breakers for /metrics). */
ct_upstream *ct_booking_upstream(ct_booking *b);

/* The card processor's client it was given (borrowed; may be NULL). */
ct_payments *ct_booking_payments(ct_booking *b);

/* ---- itinerary ids (the search answers' "id") ----
 * "i_" + per leg CC123-YYYYMMDD-FROMTO, legs joined by "_", slices separated by "~". Fills
 * legs (carrier, number, dep_date, from, to, slice; the rest zero/-1), *nlegs. CT_INVALID
 * for anything else (at most CT_BK_MAX_LEGS legs). */
ct_status ct_booking_itinerary_decode(const char *id, ct_bk_leg *legs, int max, int *nlegs);

/* ---- offers ---- */
/* The seller code of separate tickets: one order of several providers' orders. */
#define CT_BOOKING_SEPARATE "separate-tickets"

/* A part of a separate-tickets offer: one provider selling slices first..last. */
typedef struct ct_booking_offer_part {
    const char *provider;
    int first_slice, last_slice;
    int64_t searched_minor; /* the search answer's price of the part; -1 (or 0 zeroed): none */
    char searched_currency[4];
} ct_booking_offer_part;

typedef struct ct_booking_offer_req {
    const char *itinerary_id;
    const char *provider; /* a provider's name */
    int passengers;       /* adults, 1..CT_BK_MAX_PAX */
    ct_bk_cabin cabin;
    int64_t searched_minor; /* the searched price (provider currency or another), -1: none */
    char searched_currency[4];
    /* provider CT_BOOKING_SEPARATE: the parts, in slice order, covering every slice once
     * (the search answer's separate-tickets offer lists them). */
    int nparts;
    ct_booking_offer_part parts[6];
} ct_booking_offer_req;

/* Asks the provider live, stores the offer and sets *out to its normalised JSON (caller's):
 * {id "off_...", provider {code, name}, expires_at, currency, total {amount_minor,
 * currency, amount}, per_passenger [...], fees, passengers, cabin, conditions, slices
 * [{legs:[...]}], price_changed, searched_price}. Failures: CT_NOT_FOUND (unknown itinerary
 * or provider: e 404), CT_CONFLICT (sold out: e 409), CT_INVALID (e 400 naming the field),
 * CT_UNAVAILABLE (provider failure: e 502 or 504, retry_after_s). */
ct_status ct_booking_offer(ct_booking *b, ct_store *st, const ct_booking_offer_req *r, json_t **out,
                           ct_booking_error *e);
/* The stored offer `id` as above (CT_NOT_FOUND). An expired one is still returned, with
 * "expired": true. */
ct_status ct_booking_offer_get(ct_booking *b, ct_store *st, const char *id, json_t **out);

/* ---- orders ---- */
typedef struct ct_booking_order_req {
    const char *user_id;         /* the signed-in user, or NULL for a guest */
    const char *idempotency_key; /* required (1..255 printable characters) */
    const json_t *body;          /* the request body (validated here; see docs/booking.md) */
    /* The passengers with saved traveller ids already replaced by their names (the API
     * reads them from accounts/); NULL: the body's "passengers" as they are. The digest of
     * the request is taken over `body`. */
    const json_t *passengers;
} ct_booking_order_req;

/* Runs the saga for the body's offer with the body's passengers, contact and card, to its
 * end (confirmed, failed, or requires_action waiting for ct_booking_payment_confirm). *http
 * receives the answer's status and *out the answer (caller's): the order JSON (201 confirmed,
 * 202 requires_action, 402 payment failed, 409 price changed or sold out, 410 expired offer,
 * 502/504 provider failure) or a problem (with "type", "title", "status", "detail",
 * "field"/"code"). *replayed is 1 when it is the stored answer of an earlier request.
 * Non-OK statuses only for requests refused before they run (nothing stored; e filled:
 * CT_INVALID 400 naming the field, CT_NOT_FOUND unknown offer 404, CT_CONFLICT key reused
 * with another body or still running 409) or for database failures. */
ct_status ct_booking_order_create(ct_booking *b, ct_store *st, const ct_booking_order_req *r,
                                  int *http, json_t **out, int *replayed, ct_booking_error *e);

/* Completes a requires_action payment (the processor's confirm; authentication_pass 0
 * makes the cardholder fail) and continues the saga. As create for *http and *out.
 * CT_NOT_FOUND for an order that is not the user's (user_id NULL: guests' orders only with
 * the right last name), CT_CONFLICT when not requires_action. */
ct_status ct_booking_payment_confirm(ct_booking *b, ct_store *st, const char *user_id,
                                     const char *order_id, int authentication_pass, int *http,
                                     json_t **out, ct_booking_error *e);

/* The order `id` of `user_id` (NULL: a guest order, looked up by id only), refreshed from the
 * provider when it is ticketed; CT_NOT_FOUND for another user's. */
ct_status ct_booking_order_get(ct_booking *b, ct_store *st, const char *user_id, const char *id,
                               json_t **out);
/* The order `id` whoever owns it, as stored (no provider refresh), as ct_booking_order_get
 * writes it: for the platform's own subscribers (the confirmation e-mails), never for a
 * request. CT_NOT_FOUND, store errors. */
ct_status ct_booking_order_read(ct_booking *b, ct_store *st, const char *id, json_t **out);
/* The user's orders, newest first: {"orders":[...], "total", "limit", "offset"}. */
ct_status ct_booking_order_list(ct_booking *b, ct_store *st, const char *user_id, int limit,
                                int offset, json_t **out);
/* The order whose booking reference and first passenger's family name match (case
 * insensitive); CT_NOT_FOUND otherwise. */
ct_status ct_booking_order_lookup(ct_booking *b, ct_store *st, const char *reference,
                                  const char *last_name, json_t **out);

/* ---- cancellation ---- */
/* A quote for cancelling a confirmed order of user_id (NULL: guest order): {id "can_...",
 * order_id, refund {amount_minor, currency}, expires_at, rule}. CT_NOT_FOUND, CT_CONFLICT
 * (not confirmed: e 409). */
ct_status ct_booking_cancel_quote(ct_booking *b, ct_store *st, const char *user_id,
                                  const char *order_id, json_t **out, ct_booking_error *e);
/* Confirms quote `cancellation_id`: the provider's refund, then the card's; the order ends
 * cancelled with the refunded amount (*out the order). CT_NOT_FOUND, CT_CONFLICT (quote
 * expired or used: e 409/410), CT_UNAVAILABLE (provider or processor failed; retry). */
ct_status ct_booking_cancel_confirm(ct_booking *b, ct_store *st, const char *user_id,
                                    const char *order_id, const char *cancellation_id, json_t **out,
                                    ct_booking_error *e);

/* ---- recovery ---- */
/* Resumes every order that is not final (pending, held, requires_action, authorized,
 * ticketed) from its step, reconciled with the provider's order and the processor's payments
 * (ct_payments_find by reference = the order id): a hold with nothing paid is released, an
 * authorisation without a ticket is voided, a ticket with an authorisation is captured.
 * Orders touched in the last `min_age_s` seconds are left alone (a request may be running
 * them). *resumed (may be NULL) receives how many were moved. */
ct_status ct_booking_recover(ct_booking *b, ct_store *st, int min_age_s, int *resumed);
/* Runs ct_booking_recover (min_age_s = recovery_min_age_s) at once and then every
 * recovery_every_s in a thread (over the pool). CT_INVALID without a pool. */
ct_status ct_booking_recovery_start(ct_booking *b);

/* Deletes request idempotency keys older than CT_BOOKING_KEY_TTL_S (the recovery worker
 * calls it). */
ct_status ct_booking_reap_keys(ct_booking *b, ct_store *st);

#endif
