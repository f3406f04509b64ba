/* providers.h: the dialects the platform speaks with providers (the module's interface).
 *
 * Every provider answers in one of four dialects (docs/sandbox.md, "Providers"). A dialect
 * is data: a const table of its member names (the arrays and members of each document, the
 * request paths and query parameter names) plus a few small functions where dialects
 * really differ (an amount as decimal text, a JSON real or minor units; availability as a
 * "Y9B9..." text or an object of class -> seats; a flight number as digits, an integer or
 * carrier + digits; fares per class in an array, an object or one row per class). One
 * generic reader walks a response document with the table (providers.c, dialects.c).
 *
 * What it produces are normalised records (below) that know nothing of the pricebook:
 * classes are indexed in the order of CT_PROVIDERS_CLASS_LETTERS, amounts are exact integer
 * minor units (decimal text is read digit by digit, never through binary floating point).
 * A record with a bad or missing member is dropped and reported as a reject naming it as
 * "<array>[<index>].<member>" (e.g. "Fares[3].FareDetails[2].OneWay"); the rest of the page
 * is kept. A document that is not usable as a whole (not JSON, top-level members missing)
 * fails with CT_INVALID.
 *
 * Offers and orders will be added to the same tables. */
#ifndef CT_PROVIDERS_PROVIDERS_H
#define CT_PROVIDERS_PROVIDERS_H

#include <stddef.h>
#include <stdint.h>

#include "base/status.h"

#define CT_PROVIDERS_NCLASSES      12
#define CT_PROVIDERS_CLASS_LETTERS "YBMHQVJCWEFA" /* class index -> booking class letter */
#define CT_PROVIDERS_AMOUNT_NONE   (-1)           /* a class without a filed amount */
#define CT_PROVIDERS_MAX_REJECTS   32             /* listed per page; more are only counted */

typedef enum ct_providers_dialect {
    CT_DIALECT_NDC = 0,        /* airline-1, airline-2: PascalCase, decimal strings */
    CT_DIALECT_VOYAGIO = 1,    /* ota-eur: snake_case, amounts as JSON numbers */
    CT_DIALECT_FAREFINDER = 2, /* ota-usd: camelCase, integer cents */
    CT_DIALECT_HOPSCOTCH = 3,  /* combiner: snake_case, decimal strings */
} ct_providers_dialect;
#define CT_PROVIDERS_NDIALECTS 4

typedef enum ct_providers_feed {
    CT_FEED_DESCRIPTOR = 0, /* the provider's listing: currency, fee, carriers sold */
    CT_FEED_RATES = 1,      /* GET /rates, the same in every dialect */
    CT_FEED_FARES = 2,
    CT_FEED_AVAIL = 3,
} ct_providers_feed;

typedef enum ct_providers_kind {
    CT_PROVIDERS_AIRLINE = 0,  /* NDC gateways */
    CT_PROVIDERS_AGENCY = 1,   /* Voyagio, FareFinder */
    CT_PROVIDERS_COMBINER = 2, /* Hopscotch */
} ct_providers_kind;

/* ---- names ---- */

/* The dialect of a sandbox provider by its name ("airline-1", "ota-eur", "ota-usd",
 * "combiner"), or -1. */
int ct_providers_dialect_of(const char *provider_name);
/* The dialect called `name` ("ndc", "voyagio", "farefinder", "hopscotch"), or -1. */
int ct_providers_dialect_named(const char *name);
/* The name of dialect d ("?" when out of range); static strings. */
const char *ct_providers_dialect_name(ct_providers_dialect d);
/* "descriptor", "rates", "fares", "availability" ("?" when out of range). */
const char *ct_providers_feed_name(ct_providers_feed f);

/* ---- normalised records ---- */

typedef struct ct_providers_desc {
    ct_providers_kind kind;    /* from the dialect */
    char currency[4];          /* ISO 4217 */
    int minor_digits;          /* ISO 4217: 0 (JPY), 2 or 3 (KWD) */
    int64_t fee_minor;         /* per passenger, minor units (0 when the dialect has none) */
    int min_self_transfer_min; /* the combiner's minimum self-transfer; 0 otherwise */
} ct_providers_desc;

typedef struct ct_providers_carrier {
    char code[4];
    char alliance[16]; /* "" when none */
} ct_providers_carrier;

typedef struct ct_providers_rate {
    char currency[4];
    double per_usd;
} ct_providers_rate;

typedef struct ct_providers_fare {
    char carrier[4], origin[4], dest[4];
    int32_t amount[CT_PROVIDERS_NCLASSES]; /* one-way, minor units; CT_PROVIDERS_AMOUNT_NONE */
} ct_providers_fare;

typedef struct ct_providers_seats {
    char carrier[4], origin[4], dest[4];
    int number;          /* 1..9999 */
    int32_t dep_utc_min; /* UTC departure, minutes since 1970 */
    int seats[CT_PROVIDERS_NCLASSES];
} ct_providers_seats;

typedef struct ct_providers_reject {
    size_t index;   /* record index in the page's array */
    char field[64]; /* "<array>[<index>].<member>", e.g. "Fares[3].FareDetails[2].OneWay" */
    char message[96];
} ct_providers_reject;

/* One parsed response. The arrays are owned by the page (ct_providers_page_clear). */
typedef struct ct_providers_page {
    ct_providers_feed feed;
    /* descriptor */
    ct_providers_desc desc;
    ct_providers_carrier *carriers;
    size_t ncarriers;
    /* rates */
    ct_providers_rate *rates;
    size_t nrates;
    int64_t rates_day; /* days since 1970 */
    /* fares, availability */
    ct_providers_fare *fares;
    size_t nfares;
    ct_providers_seats *seats;
    size_t nseats;
    char next[512];   /* next page token; "" on the last page */
    char cursor[512]; /* the feed's sync cursor */
    /* validation */
    size_t nrecords; /* records in the document (kept + rejected) */
    size_t nrejected;
    ct_providers_reject rejects[CT_PROVIDERS_MAX_REJECTS];
} ct_providers_page;

/* ---- reading responses ---- */

/* Parses one response body (`len` bytes, any bytes at all: this is the fuzzers' entry point)
 * of `feed` in dialect `d` into *out, which it initialises. `minor_digits` is the provider
 * currency's (2, or 0 for JPY/KRW; used for amounts in decimals). CT_OK: the good records
 * and the rejects are in *out (release with ct_providers_page_clear). CT_INVALID: the
 * document itself is unusable (not a JSON object, a top-level member missing, unknown
 * dialect or feed); *out holds no arrays and `err` (always NUL-terminated) says why.
 * CT_NOMEM: out of memory, *out holds no arrays. */
ct_status ct_providers_parse_page(ct_providers_dialect d, ct_providers_feed feed, const char *body,
                                  size_t len, int minor_digits, ct_providers_page *out, char *err,
                                  size_t errlen);
/* Frees the page's arrays and zeroes their counts. */
void ct_providers_page_clear(ct_providers_page *page);

/* Exact decimal text ("412.00", "7"; "-0.5", "1.", "1e3" refused) to minor units with
 * `digits` decimals; more decimals are refused unless they are zeros. CT_INVALID on bad
 * text or overflow of int32. */
ct_status ct_providers_decimal(const char *text, int digits, int32_t *out);

/* Minor digits of a currency: 0 for JPY and KRW, else 2. */
int ct_providers_minor_digits(const char *currency);

/* ---- building requests ---- */

/* The request path (query included) of a feed call in dialect d into out[len]. `token` is
 * the page token (NULL or "" for the first page: then the date window and `since` are
 * sent, else only the token), `since` the cursor (NULL or "": a full pass), from/to flight
 * dates in days since 1970 (availability only). Tokens and cursors are sent as they are
 * (they are base64url). CT_INVALID for an unknown dialect or feed or when out[len] is too
 * small (out then holds a truncated path). */
ct_status ct_providers_request_path(ct_providers_dialect d, ct_providers_feed feed, int page_size,
                                    const char *token, const char *since, int64_t from, int64_t to,
                                    char *out, size_t len);

#endif
