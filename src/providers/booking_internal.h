/* booking_internal.h: the booking dialect tables shared by booking.c and booking_dialects.c
 * (not part of the interface).
 *
 * A ct__bk_dialect names every member of a dialect's offer and order documents. Members
 * deeper than the top level are written as dotted paths ("TotalPrice.TotalAmount.Amount",
 * "Errors.0.Code": a digit segment is an array index), which the reader walks
 * (ct__bk_get). Where dialects really differ in kind rather than name there is a flag or a
 * function: the amount format, a flight number as digit text, the itinerary as slices of
 * legs or as one flat list tagged with a slice, a fee per passenger or in total. */
#ifndef CT_PROVIDERS_BOOKING_INTERNAL_H
#define CT_PROVIDERS_BOOKING_INTERNAL_H

#include <jansson.h>

#include "providers/booking.h"

/* Reads an amount (a JSON value in the dialect's format) in minor units with `digits`
 * decimals into *out; -1 when it is missing, mistyped, negative, too precise or too big. */
typedef int (*ct__bk_amount_fn)(json_t *v, int digits, int64_t *out);

int ct__bk_amount_text(json_t *v, int digits, int64_t *out);
int ct__bk_amount_real(json_t *v, int digits, int64_t *out);
int ct__bk_amount_minor(json_t *v, int digits, int64_t *out);

/* The value at a dotted path under `root`, or NULL. */
json_t *ct__bk_get(json_t *root, const char *path);

/* The members of a segment (requests and answers). */
typedef struct ct__bk_seg_names {
    const char *carrier, *number, *date, *origin, *dest;
    int number_is_text; /* NDC: "0001" / "1" */
    /* answers only */
    const char *dep, *arr, *rbd, *price; /* price: the leg's amount (a path) */
} ct__bk_seg_names;

typedef struct ct__bk_dialect {
    const char *name;
    const char *cabins[CT_BK_NCABINS]; /* by ct_bk_cabin: economy, business, premium, first */
    ct__bk_amount_fn amount;
    ct__bk_seg_names seg;
    struct {
        const char *path;           /* POST */
        const char *wrapper;        /* object holding the query ("PricingQuery"); NULL: the body */
        const char *slices;         /* array of slices; NULL: one flat list of segments */
        const char *segs;           /* the segments (in a slice, or the flat list) */
        const char *slice;          /* flat list: a segment's slice member */
        const char *pax;            /* integer passenger count; NULL: pax_list */
        const char *pax_list, *ptc; /* one {ptc: "ADT"} per passenger */
        const char *cabin;
    } offer_req;
    struct {
        const char *root;                    /* the offer object; NULL: the document */
        const char *id, *expires, *currency; /* currency: a path */
        const char *total, *fee;             /* fee NULL: none */
        int fee_per_pax;                     /* the fee member is per passenger */
        const char *pax, *cabin;
        const char *slices, *segs, *slice; /* as in offer_req */
        const char *self_transfers;        /* a non-empty array: separate tickets */
    } offer;
    struct {
        const char *path;  /* POST: create; GET path/{id}: read */
        const char *op[4]; /* suffixes per ct_bk_order_op after path/{id} */
        const char *offer, *pax, *given, *family, *ptc; /* create body; ptc NULL: none */
        const char *idem_member; /* the key in the body (required); NULL: the header */
        const char *payment;     /* the ticket body's payment reference */
    } order_req;
    struct {
        const char *root, *id, *status;
        const char *statuses[5]; /* per ct_bk_order_status */
        const char *hold_until, *currency, *total, *offered, *price_changed;
        const char *tickets, *ticket_number; /* array and a ticket's number member */
        const char *refund;                  /* the refunded amount (a path) */
    } order;
    struct {
        const char *code, *message, *field; /* paths in the error document */
        const char *type;                   /* problem+json type URI (code = its last segment) */
    } error;
} ct__bk_dialect;

extern const ct__bk_dialect ct__bk_ndc, ct__bk_voyagio, ct__bk_farefinder, ct__bk_hopscotch;

#endif
