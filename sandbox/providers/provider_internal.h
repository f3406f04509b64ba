/* provider_internal.h: shared by the provider's files only (provider.c, pv_core.c, pv_feeds.c,
 * dialect.c and the four dialect_*.c); not an interface.
 *
 * Layering: provider.c owns the server, the catalogue (what this provider sells), the
 * fault wrapper around every API route, and the dialect-free endpoints. pv_core.c and
 * pv_feeds.c hold the business logic on a common model (pv_query in, pv_offer / sb_booking /
 * feed records out) and know nothing of JSON names. A dialect parses its requests into that
 * model and renders the results and errors in its own words. Errors found by the core that
 * concern a segment carry (slice, segment, attribute); the dialect turns them into its own
 * field path. */
#ifndef CT_SANDBOX_PROVIDER_INTERNAL_H
#define CT_SANDBOX_PROVIDER_INTERNAL_H

#include <jansson.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdint.h>

#include "base/map.h"
#include "http/http.h"
#include "sandbox/providers/fares.h"
#include "sandbox/providers/faults.h"
#include "sandbox/providers/inventory.h"
#include "sandbox/runtime/now.h"
#include "sandbox/providers/provider.h"
#include "sandbox/world/world.h"

#define PV_MAX_SLICES        2
#define PV_MAX_SEGS          4 /* per slice */
#define PV_MAX_ROUTES        24
#define PV_TOKEN_LEN         1024
#define PV_SELF_TRANSFER_MCT 120 /* minutes */
#define PV_DOMESTIC_MCT      45
#define PV_INTL_MCT          60
#define PV_MAX_CONNECTION    (24 * 60)
#define PV_FEED_MAX_LIMIT    5000
#define PV_FEED_LIMIT        1000

typedef enum pv_kind { PV_AIRLINE, PV_OTA, PV_COMBINER } pv_kind;

/* ---- errors ---- */

typedef enum pv_attr {
    PV_ATTR_SLICE,   /* the slice as a whole */
    PV_ATTR_SEGMENT, /* the segment as a whole */
    PV_ATTR_CARRIER,
    PV_ATTR_NUMBER,
    PV_ATTR_DATE,
    PV_ATTR_ORIGIN,
    PV_ATTR_DEST,
} pv_attr;

typedef struct pv_err {
    int status;       /* HTTP status */
    const char *code; /* "invalid_field", "not_found", "sold_out", "offer_expired",
                         "idempotency_conflict", "hold_expired", "wrong_state",
                         "payment_mismatch", "internal", "timeout", "unavailable" */
    char field[128];  /* the dialect's path of the offending field, "" when none */
    char message[256];
} pv_err;

/* ---- requests ---- */

typedef struct pv_seg_in {
    char carrier[4];
    long number;
    int64_t date; /* the segment's local departure date, days since 1970 */
    char origin[4], dest[4];
} pv_seg_in;

typedef struct pv_query {
    int nslices;
    int nsegs[PV_MAX_SLICES];
    pv_seg_in segs[PV_MAX_SLICES][PV_MAX_SEGS];
    int pax;      /* seated passengers: adults + children + infants in a seat */
    int children; /* of those, child fares: children and infants in a seat */
    int lap;      /* lap infants: no seat, an infant fare, at most one per adult */
    int cabin;
} pv_query;

/* Travellers of one order: the seats plus as many lap infants. */
#define PV_MAX_PAX (2 * SB_INV_MAX_SEATS)

typedef struct pv_pax {
    char given[64], family[64];
} pv_pax;

/* ---- the model ---- */

typedef struct pv_seg {
    sb_dated_leg dl;
    int carrier, origin, dest;
    int64_t dep_utc, arr_utc;
    int64_t dep_date; /* local departure date */
} pv_seg;

typedef struct pv_itin {
    int nslices;
    int nsegs[PV_MAX_SLICES];
    pv_seg segs[PV_MAX_SLICES][PV_MAX_SEGS];
    int pax;      /* seated passengers (pv_query) */
    int children; /* child fares among them */
    int lap;      /* lap infants, no seat */
    int cabin;
} pv_itin;

typedef struct pv_priced {
    pv_itin it;
    int cls[PV_MAX_SLICES][PV_MAX_SEGS];
    int64_t amount[PV_MAX_SLICES][PV_MAX_SEGS]; /* per passenger, the provider's currency */
    int seats[PV_MAX_SLICES][PV_MAX_SEGS];      /* seats left in the class chosen (capped 9) */
    int64_t fare_pp;                            /* itinerary rule applied (fares.h) */
    int64_t fee_pp;                             /* service fee per passenger */
    int64_t total; /* adults x fare_pp + children x floor(fare_pp x 75 %) + lap infants x
                    * floor(fare_pp x 10 %) + every passenger x fee_pp (PV_CHILD_PCT) */
} pv_priced;

typedef struct pv_offer {
    pv_priced pr;
    int64_t expires_at;
    char id[PV_TOKEN_LEN];
} pv_offer;

/* A booking as the dialects render it: the stored booking plus its document. */
typedef struct pv_order {
    sb_booking b;
    pv_itin it; /* rebuilt from b.segs and the slice lengths in the document */
    int cls[PV_MAX_SLICES][PV_MAX_SEGS];
    int64_t amount[PV_MAX_SLICES][PV_MAX_SEGS];
    int64_t fare_pp, fee_pp;
    int price_change_pct; /* 0 unless the price-change fault struck */
    int npax;
    pv_pax pax[PV_MAX_PAX];
    int replayed; /* order create: an idempotent replay */
} pv_order;

/* ---- feeds ---- */

typedef struct pv_feed_req {
    int64_t from, to; /* flight dates; INT64_MIN when absent */
    long limit;       /* 0 when absent */
    const char *page, *since;
    /* the dialect's names of those parameters, for errors */
    const char *f_from, *f_to, *f_limit, *f_page, *f_since;
} pv_feed_req;

typedef struct pv_avail_rec {
    pv_seg seg;
    sb_leg_avail a;
} pv_avail_rec;

typedef struct pv_fare_rec {
    const sb_market *m;
    int64_t oneway[SB_NCLASSES], ret[SB_NCLASSES];
} pv_fare_rec;

typedef struct pv_feed_out {
    char next_page[PV_TOKEN_LEN]; /* "" on the last page */
    char cursor[PV_TOKEN_LEN];    /* pass as `since` for the next incremental call */
    int count;
} pv_feed_out;

typedef ct_status (*pv_avail_cb)(void *ctx, const pv_avail_rec *r);
typedef ct_status (*pv_fare_cb)(void *ctx, const pv_fare_rec *r);

/* ---- the provider ---- */

typedef struct pv_call pv_call;
typedef void (*pv_handler)(pv_call *c);

/* A dialect: the names it gives things (a table), and functions only where dialects
 * really differ (errors, listing, offer and booking documents, feed records). The handlers
 * that differ only by names are generic (dialect.c). */
typedef struct pv_dialect pv_dialect;

/* The API routes every dialect has, in this order (methods: dialect.c). */
enum {
    PV_R_LISTING, /* GET the schedules listing (descriptor) */
    PV_R_SSIM,    /* GET a carrier's SSIM */
    PV_R_FARES,
    PV_R_AVAIL,
    PV_R_OFFER, /* POST price an itinerary */
    PV_R_ORDERS,
    PV_R_ORDER,
    PV_R_TICKET,
    PV_R_CANCEL,
    PV_R_REFUND,
    PV_NROUTES
};

/* A segment's members in offer requests. number_is_string: the flight number is a digit
 * string. */
typedef struct pv_seg_names {
    const char *carrier, *number, *date, *origin, *dest;
    int number_is_string;
} pv_seg_names;

struct pv_dialect {
    const char *id;
    const char *error_type;        /* content type of error bodies */
    int invalid_status;            /* the status of invalid input (400, or 422) */
    const char *route[PV_NROUTES]; /* route patterns */
    struct {
        const char *param;       /* the SSIM route's path parameter */
        const char *file_suffix; /* the parameter is "<code><file_suffix>"; NULL: the code */
        const char *url_suffix;  /* a carrier's SSIM URL: listing route "/" code url_suffix */
    } ssim;
    struct {
        const char *from, *to, *limit, *page, *since;
    } query; /* the feeds' query parameters */
    struct {
        const char *holder;        /* object holding `next`; NULL: the page itself */
        const char *next, *cursor; /* next page token (null on the last page), sync cursor */
    } paging;
    struct {
        const char *currency, *fares, *avail; /* members of the feed pages */
    } feed;
    struct {
        const char *code, *name, *alliance, *ssim; /* members of a listed carrier */
    } carrier;
    const char *cabins[SB_NCABINS]; /* by SB_CABIN_*: economy, business, premium, first */
    pv_seg_names seg;               /* a segment's members in offer requests */
    struct {
        const char *slices; /* e.g. "trips"; NULL: one flat list of segments */
        const char *segs;   /* e.g. "flights" */
    } itin;                 /* segment paths in errors (seg_field) */
    struct {
        const char *offer, *pax, *given, *family; /* order request members */
        const char *idem;                         /* the idempotency key's header or member */
        int idem_in_body;                         /* 1: a required body member */
    } order;
    const char *ticket_field; /* the body field of the payment reference when ticketing */
    /* The error body (new reference). */
    json_t *(*error_body)(pv_call *c, const pv_err *e);
    /* The listing document around the listed carriers (reference stolen; new reference). */
    json_t *(*listing)(pv_call *c, json_t *carriers);
    /* Parses an offer request. */
    ct_status (*parse_query)(const json_t *body, pv_query *q, pv_err *e);
    /* The priced offer's document (new reference). */
    json_t *(*offer_view)(pv_call *c, pv_offer *o);
    /* The dialect's document of a booking (new reference). */
    json_t *(*order_view)(pv_call *c, pv_order *o);
    /* Appends a fares feed record to `arr` (CT_NOMEM). */
    ct_status (*fare_rec)(pv_call *c, json_t *arr, const pv_fare_rec *r);
    /* An availability feed record (new reference). */
    json_t *(*avail_rec)(pv_call *c, const pv_avail_rec *r);
    /* Registers the dialect's API routes through pv_route (pv_dialect_routes). */
    ct_status (*routes)(sb_provider *p, ct_router *r);
};

extern const pv_dialect pv_dialect_ndc, pv_dialect_voyagio, pv_dialect_farefinder,
    pv_dialect_hopscotch;

typedef struct pv_route_ctx {
    sb_provider *p;
    pv_handler h;
} pv_route_ctx;

struct sb_provider {
    char name[32];
    pv_kind kind;
    const pv_dialect *dialect;
    const sb_world *w;
    sb_fares *fares;
    sb_inventory *inv;
    sb_now now;
    char currency[4];
    int main_carrier; /* airline gateways; -1 otherwise */
    char *sells;      /* per carrier, 1 when sold */
    int *sold;        /* sold carrier indices, ascending */
    int nsold;
    int *flights; /* flight patterns of the sold carriers, in carrier order */
    int nflights;
    ct_map *airport_ix; /* IATA -> 1 + airport index */
    ct_map *carrier_ix; /* designator -> 1 + carrier index */
    int markup_bp;      /* agencies: markup in basis points */
    int discount_bp;    /* agencies: negotiated discount on the carriers that have one */
    int64_t fee_minor;  /* service fee per passenger, minor units */
    int stale_sec;      /* agencies: market view refresh period (0 = live) */
    int hold_sec, offer_sec;
    unsigned char key[32]; /* signs offer ids */
    /* faults */
    pthread_mutex_t fault_mu;
    sb_faults faults;
    atomic_uint_fast64_t fault_n;
    /* stopping wakes hanging requests */
    pthread_mutex_t stop_mu;
    pthread_cond_t stop_cv;
    int stopping;
    /* server */
    pv_route_ctx routes[PV_MAX_ROUTES];
    int nroutes;
    ct_router *router;
    ct_http_server *server;
};

/* One API request in flight: the provider, the request, its fault draws and the reply the
 * handler builds (the wrapper sends it). */
struct pv_call {
    sb_provider *p;
    ct_http_req *req;
    sb_faults faults;
    uint64_t n;
    int64_t now; /* world time when the request arrived */
    int status;
    json_t *json;         /* reply body, or */
    char *text;           /* a text body (ct_malloc'd) with */
    size_t text_len;      /* its length and */
    const char *type;     /* content type (static) */
    const char *replayed; /* "true" adds the Idempotent-Replayed header */
};

/* ---- provider.c ---- */

/* Registers an API route whose handler runs behind the fault wrapper. */
ct_status pv_route(sb_provider *p, ct_router *r, const char *method, const char *pattern,
                   pv_handler h);

/* Sets the reply to a JSON body (reference stolen) / an error in the dialect. */
void pv_reply(pv_call *c, int status, json_t *body);
void pv_fail(pv_call *c, const pv_err *e);
/* Fills e (status, code, field, printf message). */
void pv_err_set(pv_err *e, int status, const char *code, const char *field, const char *fmt, ...)
    __attribute__((format(printf, 5, 6)));
/* Replies with an error built like pv_err_set. */
void pv_fail_with(pv_call *c, int status, const char *code, const char *field, const char *fmt, ...)
    __attribute__((format(printf, 5, 6)));

/* Parses the request body as JSON; on failure replies 400 naming `field` and returns NULL.
 * The caller owns the result. */
json_t *pv_body_json(pv_call *c, const char *field);

/* The digest of a JSON body (canonical form) as 64 hex characters into out[65]. */
void pv_fingerprint(const json_t *body, char out[65]);

/* Airport / carrier index of a code, or -1. */
int pv_airport(const sb_provider *p, const char *iata);
int pv_carrier(const sb_provider *p, const char *code);

/* ---- pv_core.c ---- */

/* Resolves and validates an itinerary query. */
ct_status pv_resolve(sb_provider *p, const pv_query *q, int64_t now, pv_itin *it, pv_err *e);

/* Prices an itinerary at `now` in the cheapest classes that have the seats (`live` 0 lets an
 * agency use its cached market view). 409 sold_out naming the segment when a leg cannot
 * sell them. */
ct_status pv_price(sb_provider *p, const pv_query *q, const pv_itin *it, int64_t now, int live,
                   pv_priced *out, pv_err *e);

/* The per-passenger amount the provider asks for one leg of carrier c's market m in class
 * cls at world time t (currency conversion, markup and discount applied). */
int64_t pv_leg_amount(const sb_provider *p, int c, const sb_market *m, int cls, int64_t t);

/* The instant of the market view the provider shows for a dated leg at `now`: now itself
 * for airlines, the combiner and live (booking-time) reads; for an agency the leg's last
 * cache refresh (every stale_sec, at a phase drawn per leg). */
int64_t pv_market_time(const sb_provider *p, const sb_dated_leg *dl, int64_t now, int live);

/* An agency's negotiated discount on carrier c in basis points (0 for most carriers). */
int pv_discount_bp(const sb_provider *p, int c);

/* The filed return amount the provider asks for a one-way amount. */
int64_t pv_return_amount(const sb_provider *p, int64_t oneway);

/* Resolve, price and sign: a live offer for query q. */
/* The fares part of a total: adults, children and lap infants at their shares of fare_pp. */
int64_t pv_fares_total(const pv_itin *it, int64_t fare_pp);

ct_status pv_offer_make(sb_provider *p, const pv_query *q, int64_t now, pv_offer *out, pv_err *e);

/* Order create from an offer id. `pax` are the travellers (their count must be the offer's);
 * idem_key may be NULL; fingerprint is the request digest. On success *out is the order
 * (out->replayed set for a replay). Field names are the dialect's. */
typedef struct pv_order_req {
    const char *offer_id, *f_offer;
    const pv_pax *pax;
    int npax;
    const char *f_pax;
    const char *idem_key, *f_idem;
    const char *fingerprint;
} pv_order_req;
ct_status pv_order_create(pv_call *c, const pv_order_req *r, pv_order *out, pv_err *e);

/* Reads, tickets (payment_ref named f_payment), cancels or refunds order `id`. */
ct_status pv_order_get(pv_call *c, const char *id, pv_order *out, pv_err *e);
ct_status pv_order_ticket(pv_call *c, const char *id, const char *payment_ref,
                          const char *f_payment, pv_order *out, pv_err *e);
ct_status pv_order_cancel(pv_call *c, const char *id, pv_order *out, pv_err *e);
ct_status pv_order_refund(pv_call *c, const char *id, pv_order *out, pv_err *e);

/* Replies with the dialect's booking document (200 on an idempotent replay, else `status`)
 * or with the error, then clears the order. */
void pv_order_finish(pv_call *c, ct_status rc, int status, pv_order *o, const pv_err *e);

/* The order routes every dialect serves the same way, by the {id} path parameter. */
void pv_h_order_get(pv_call *c);
void pv_h_order_cancel(pv_call *c);
void pv_h_order_refund(pv_call *c);
/* Tickets the {id} order with the payment reference in the dialect's ticket_field. */
void pv_h_order_ticket(pv_call *c);
void pv_order_clear(pv_order *o);

/* The 13-digit ticket number of passenger `pax` on ticket `ticket` (0-based) of an order. */
void pv_ticket_number(const sb_provider *p, const pv_order *o, int ticket, int pax, char out[14]);

/* Number of tickets per passenger: 1, or the combiner's separate tickets. */
int pv_ticket_count(const sb_provider *p, const pv_itin *it);

/* A dated leg's public description. */
void pv_seg_of(const sb_provider *p, const sb_dated_leg *dl, pv_seg *out);

/* Formats helpers: "2026-11-23", "2026-11-23T08:05:00Z", an amount as decimal text. */
char *pv_date(int64_t day, char buf[11]);
char *pv_instant(int64_t t, char buf[21]);
char *pv_money(const sb_provider *p, int64_t minor, char buf[32]);
/* An amount as a JSON real with the currency's decimals. */
json_t *pv_money_real(const sb_provider *p, int64_t minor);
/* A carrier's alliance as listed in the schedules: "star", "sky", "oneworld" or null. */
json_t *pv_alliance_json(const sb_carrier *cr);

/* ---- pv_feeds.c ---- */

/* One page of the availability feed (full when req->since is NULL, else changes since the
 * cursor), records handed to cb in order. */
ct_status pv_feed_avail(pv_call *c, const pv_feed_req *req, pv_avail_cb cb, void *ctx,
                        pv_feed_out *out, pv_err *e);

/* One page of the fares feed. */
ct_status pv_feed_fares(pv_call *c, const pv_feed_req *req, pv_fare_cb cb, void *ctx,
                        pv_feed_out *out, pv_err *e);

/* SSIM of carrier `code` (sold by this provider) as a ct_malloc'd text. */
ct_status pv_ssim(pv_call *c, const char *code, const char *field, char **text, size_t *len,
                  pv_err *e);

/* Parses a date query parameter (NULL -> INT64_MIN), naming `field` on error. */
ct_status pv_query_date(const char *v, const char *field, int64_t *out, pv_err *e);
/* Parses a positive integer query parameter (NULL -> 0). */
ct_status pv_query_long(const char *v, const char *field, long max, long *out, pv_err *e);

/* ---- dialect helpers (pv_json.c) ---- */

/* Child and lap-infant fares as a share of the adult fare, as Contrail's search prices them
 * (src/search/pricing.c). */
#define PV_CHILD_PCT  75
#define PV_INFANT_PCT 10

/* The passenger mix after `adults` (already in q->pax): the optional counts `children`,
 * `seat_infants` and `lap` members of obj (a NULL key: not offered by the dialect); at most 9
 * seats, at most one lap infant per adult; 400 naming the member otherwise. */
ct_status pv_get_pax_mix(const json_t *obj, const char *path, const char *children,
                         const char *seat_infants, const char *lap, pv_query *q, pv_err *e);

/* Sets q's counts from adults, children, infants in a seat and lap infants; 400 naming
 * `field` when the mix is impossible. */
ct_status pv_set_pax(pv_query *q, long adults, long children, long seat_infants, long lap,
                     const char *field, pv_err *e);

/* Typed member access for request parsing: on a missing or mistyped member fills e naming
 * `path` and returns NULL (pointers) or CT_INVALID (pv_get_int, the value in *out). */
const char *pv_get_str(const json_t *obj, const char *key, const char *path, size_t maxlen,
                       pv_err *e);
ct_status pv_get_int(const json_t *obj, const char *key, const char *path, long min, long max,
                     long *out, pv_err *e);
const json_t *pv_get_array(const json_t *obj, const char *key, const char *path, size_t min,
                           size_t max, pv_err *e);
const json_t *pv_get_object(const json_t *obj, const char *key, const char *path, pv_err *e);

/* Parses a segment's members (n) into s; `path` is the segment's path prefix. */
ct_status pv_parse_seg(const json_t *seg, const char *path, const pv_seg_names *n, pv_seg_in *s,
                       pv_err *e);

/* Parses the travellers array: each an object with the given and family name members. */
ct_status pv_parse_pax(const json_t *arr, const char *path, const char *given, const char *family,
                       pv_pax *pax, int *npax, pv_err *e);

/* ---- the generic dialect parts (dialect.c) ---- */

/* Registers the dialect's routes (route[], the generic handlers and the dialect's
 * functions). */
ct_status pv_dialect_routes(sb_provider *p, ct_router *r);
/* The path of a segment's attribute in dialect d's offer request (d->itin, d->seg). */
void pv_seg_field(const pv_dialect *d, const pv_query *q, pv_attr a, int slice, int seg, char *buf,
                  size_t len);
/* Parses the cabin member of `obj` (at `path`, "" for the body) in d's cabin names. */
ct_status pv_parse_cabin(const pv_dialect *d, const json_t *obj, const char *member,
                         const char *path, int *cabin, pv_err *e);
/* Parses the slices array `slices` (d->itin.slices, each an object with a d->itin.segs array
 * of segments) into q. */
ct_status pv_parse_slices(const pv_dialect *d, const json_t *slices, pv_query *q, pv_err *e);
/* A code of up to 39 characters in capitals (error codes), into out[40]. */
void pv_upper(const char *s, char out[40]);

#endif
