/* booking.h: the providers' offer and order documents (part of the providers module's
 * interface, next to providers.h).
 *
 * Each of the four dialects (providers.h, docs/sandbox.md "Providers") sells through its own
 * documents: an offer (NDC "offers", Voyagio "quotes", FareFinder "pricing", Hopscotch
 * "itineraries/price"), an order that holds the seats (order, booking, trip) with an
 * idempotency key (the Idempotency-Key header, or Voyagio's `client_reference` body member),
 * then read, ticket (issue, purchase) with a payment reference, cancel (void) and refund.
 * Like the feeds, a dialect is a table of names plus a few small functions
 * (booking_dialects.c); one generic builder and reader use it (booking.c).
 *
 * These are pure functions, no I/O: the request builders say what to send (method, path,
 * JSON body, where the key goes) and the caller sends it with upstream/; the parsers turn an
 * answer (status + body, any bytes at all) into the normalised records below or into a
 * classified error. Amounts are exact integer minor units of the document's currency
 * (decimal text digit by digit, Voyagio's JSON numbers checked to be whole cents, FareFinder's
 * cents as they are). */
#ifndef CT_PROVIDERS_BOOKING_H
#define CT_PROVIDERS_BOOKING_H

#include <stddef.h>
#include <stdint.h>

#include "base/status.h"
#include "providers/providers.h"

#define CT_BK_MAX_LEGS 24 /* all slices */
#define CT_BK_MAX_PAX  9

typedef struct ct_bk_leg {
    char carrier[4];
    int number;
    int32_t dep_date; /* local departure date, days since 1970 */
    char from[4], to[4];
    int slice;                /* 0 outbound, 1 return, ... */
    int64_t dep_utc, arr_utc; /* seconds, from the answer; 0 in requests */
    char rbd[2];              /* booking class from the answer */
    int64_t amount_minor;     /* the leg's unit price when given, else -1 */
} ct_bk_leg;

/* Cabins, numbered as the pricebook's ct_cabin (fares/pricebook.h). */
typedef enum ct_bk_cabin {
    CT_BK_ECONOMY,
    CT_BK_BUSINESS,
    CT_BK_PREMIUM, /* premium economy */
    CT_BK_FIRST,
    CT_BK_NCABINS
} ct_bk_cabin;

/* "economy", "business", "premium_economy", "first" (the API's words), and back: 0 with
 * *out set, -1 when the name is none. */
const char *ct_bk_cabin_name(ct_bk_cabin c);
int ct_bk_cabin_parse(const char *name, ct_bk_cabin *out);

typedef struct ct_bk_pax {
    char given[64], family[64]; /* UTF-8 */
    char ptc[4];                /* "ADT" ("" is taken as ADT) */
} ct_bk_pax;

typedef struct ct_bk_offer {
    char id[1024];      /* the provider's offer/quote/pricing/price id */
    int64_t expires_at; /* seconds since 1970 (UTC) */
    char currency[4];
    int digits;
    int64_t total_minor; /* everything the traveller pays, fees included */
    int64_t fee_minor;   /* service fees within total (0 when none) */
    int pax;
    ct_bk_cabin cabin;
    int nlegs;
    ct_bk_leg legs[CT_BK_MAX_LEGS];
    int self_transfer; /* the combiner's protected separate tickets */
} ct_bk_offer;

typedef enum ct_bk_order_status {
    CT_BK_HELD,
    CT_BK_EXPIRED,
    CT_BK_TICKETED,
    CT_BK_CANCELLED,
    CT_BK_REFUNDED
} ct_bk_order_status;

typedef struct ct_bk_order {
    char id[64]; /* the provider's order id / booking reference */
    ct_bk_order_status status;
    int64_t hold_until; /* seconds, 0 when not held */
    char currency[4];
    int64_t total_minor, offered_total_minor;
    int price_changed;
    int ntickets;
    char tickets[CT_BK_MAX_PAX * 4][20]; /* e-ticket numbers */
    int64_t refund_minor;                /* after a refund, else 0 */
} ct_bk_order;

typedef enum ct_bk_error_kind {
    CT_BK_ERR_NONE,
    CT_BK_ERR_INVALID,
    CT_BK_ERR_NOT_FOUND,
    CT_BK_ERR_SOLD_OUT,
    CT_BK_ERR_EXPIRED, /* offer/quote expired (410) */
    CT_BK_ERR_HOLD_EXPIRED,
    CT_BK_ERR_WRONG_STATE,
    CT_BK_ERR_CONFLICT, /* idempotency, payment mismatch */
    CT_BK_ERR_PROVIDER  /* 5xx, malformed */
} ct_bk_error_kind;

/* A classified error answer. `code` is the provider's code in lower case ("sold_out",
 * "quote_expired", "validation_failed"; "malformed" when the answer was unreadable, "http_<n>"
 * when an error had no code), `field` the member it names in the provider's request (NDC
 * TagText, Voyagio field, FareFinder param, Hopscotch errors[0].field; for a malformed
 * answer the member of the answer that was wrong), `message` its text. All NUL-terminated. */
typedef struct ct_bk_error {
    ct_bk_error_kind kind;
    int http;
    char code[48];
    char field[128];
    char message[256];
} ct_bk_error;

/* One HTTP request to make (the caller sends it with upstream/). body is malloc'd
 * (ct_bk_request_free), NULL for a GET; a body is JSON and must be sent with
 * `Content-Type: application/json` (the providers answer 415 otherwise); cancel and refund
 * send "{}". When idempotency_header is 1 the caller sends the key it passed as an
 * `Idempotency-Key` header; 0: the key is in the body (Voyagio) or there is none. */
typedef struct ct_bk_request {
    const char *method; /* "GET" or "POST" (static) */
    char path[600];
    char *body;
    int idempotency_header;
} ct_bk_request;

/* The name of a kind ("sold_out", ...; static). */
const char *ct_bk_error_kind_name(ct_bk_error_kind k);

/* The offer request for an itinerary in `dialect`: legs (carrier, number, dep_date, from,
 * to, slice; slices 0, 1, ... in order), 1..CT_BK_MAX_PAX adult passengers, the cabin.
 * CT_INVALID for an unknown dialect or a bad leg (out untouched), CT_NOMEM. */
ct_status ct_bk_offer_request(int dialect, const ct_bk_leg *legs, int nlegs, int pax,
                              ct_bk_cabin cabin, ct_bk_request *out);

/* Parses an offer answer (`len` bytes of `body`, any bytes). CT_OK: a 2xx answer that is a
 * valid offer, *out filled and err->kind CT_BK_ERR_NONE. Otherwise *err says why and the
 * status is CT_INVALID (invalid request), CT_NOT_FOUND, CT_CONFLICT (sold out, expired,
 * wrong state, idempotency or payment conflicts) or CT_UNAVAILABLE (5xx, an unreadable or
 * incomplete answer). */
ct_status ct_bk_offer_parse(int dialect, int http_status, const char *body, size_t len,
                            ct_bk_offer *out, ct_bk_error *err);

/* The order (hold) request for an offer: npax (1..CT_BK_MAX_PAX, the offer's count)
 * travellers, an idempotency key of 1 to 64 characters (may be NULL except for Voyagio,
 * which requires it). CT_INVALID on bad arguments, CT_NOMEM. */
ct_status ct_bk_order_create_request(int dialect, const char *offer_id, const ct_bk_pax *pax,
                                     int npax, const char *idempotency_key, ct_bk_request *out);

typedef enum ct_bk_order_op {
    CT_BK_OP_READ,
    CT_BK_OP_TICKET,
    CT_BK_OP_CANCEL,
    CT_BK_OP_REFUND
} ct_bk_order_op;

/* The request of an operation on order `order_id` (letters, digits, '-' and '_', up to 63).
 * payment_ref (1..90 characters) only for TICKET. CT_INVALID on bad arguments, CT_NOMEM. */
ct_status ct_bk_order_op_request(int dialect, ct_bk_order_op op, const char *order_id,
                                 const char *payment_ref, ct_bk_request *out);

/* Parses an order answer (create, read, ticket, cancel, refund), as ct_bk_offer_parse. */
ct_status ct_bk_order_parse(int dialect, int http_status, const char *body, size_t len,
                            ct_bk_order *out, ct_bk_error *err);

/* Frees the body and clears the request (NULL is fine). */
void ct_bk_request_free(ct_bk_request *r);

#endif
