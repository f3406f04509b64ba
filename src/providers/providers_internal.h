/* providers_internal.h: what the files of src/providers/ share (not part of the interface).
 *
 * A dialect is a ct__dialect table (dialects.c): the member names of its documents and
 * requests, and the few functions where dialects really differ. The generic reader
 * (providers.c) walks a document with it; the field readers (fields.c) validate one member
 * of one record each: on a bad or missing member they record a reject naming
 * "<array>[<index>].<sub><member>" in the page (once per record) and return CT_INVALID, and
 * the reader drops the record and goes on with the next one. They return CT_OK when the value
 * was stored in their OUT parameter. */
#ifndef CT_PROVIDERS_INTERNAL_H
#define CT_PROVIDERS_INTERNAL_H

#include <jansson.h>

#include "providers/providers.h"

/* The record being read. */
typedef struct ct__rec {
    ct_providers_page *page;
    const char *array; /* the document's array member, e.g. "Fares" */
    size_t index;      /* record index in that array */
    int bad;           /* a reject was recorded for this record */
    char sub[48];      /* path inside the record of the object being read, e.g. "fares.Y." */
} ct__rec;

/* ---- field readers (fields.c) ---- */

/* Records a reject for r (the first one per record counts). `member` may be a path. */
void ct__reject(ct__rec *r, const char *member, const char *message);
/* Class index of a booking class letter (CT_PROVIDERS_CLASS_LETTERS), or -1 when the letter is
 * no booking class (a lookup, not an error). */
int ct__class_index(char letter);
/* An exact-length code of capitals (and digits when `digits_ok`) into out[len + 1]. */
ct_status ct__code(ct__rec *r, json_t *obj, const char *member, size_t len, int digits_ok,
                   char *out);
ct_status ct__int(ct__rec *r, json_t *obj, const char *member, long lo, long hi, long *out);
/* A flight number given as a digit string ("0001") -> lo..hi. */
ct_status ct__digits(ct__rec *r, json_t *obj, const char *member, long lo, long hi, long *out);
/* Amounts: decimal text, a JSON real (exact to `digits` decimals), integer minor units. */
ct_status ct__amount_text(ct__rec *r, json_t *obj, const char *member, int digits, int32_t *out);
ct_status ct__amount_real(ct__rec *r, json_t *obj, const char *member, int digits, int32_t *out);
ct_status ct__amount_minor(ct__rec *r, json_t *obj, const char *member, int digits, int32_t *out);
/* A UTC instant "YYYY-MM-DDTHH:MM:00Z" -> minutes since 1970. */
ct_status ct__instant_min(ct__rec *r, json_t *obj, const char *member, int32_t *out);
/* An availability text "Y9B9M9H4Q0V0J0C0" -> seats per class (absent classes: 0). */
ct_status ct__avs(ct__rec *r, json_t *obj, const char *member, int seats[CT_PROVIDERS_NCLASSES]);
/* An alliance: a string or null/absent (-> ""). */
ct_status ct__alliance(ct__rec *r, json_t *obj, const char *member, char out[16]);
/* A next-page token or cursor: a string or null/absent (-> ""); CT_INVALID when mistyped or
 * too long (no reject is recorded: the page as a whole is bad). */
ct_status ct__token(json_t *obj, const char *member, char *out, size_t len);

/* Appends a record to the page's arrays (CT_NOMEM on failure). */
ct_status ct__push_carrier(ct_providers_page *p, const ct_providers_carrier *c);
ct_status ct__push_rate(ct_providers_page *p, const ct_providers_rate *x);
ct_status ct__push_fare(ct_providers_page *p, const ct_providers_fare *f);
ct_status ct__push_seats(ct_providers_page *p, const ct_providers_seats *s);

/* ---- the dialect tables (dialects.c) ---- */

typedef struct ct__dialect ct__dialect;

/* Reads an amount member in minor units with `digits` decimals. */
typedef ct_status (*ct__amount_fn)(ct__rec *r, json_t *obj, const char *member, int digits,
                                   int32_t *out);
/* Reads a flight number member; `carrier` is the record's carrier, already read. */
typedef ct_status (*ct__number_fn)(ct__rec *r, json_t *obj, const char *member, const char *carrier,
                                   long *out);
/* Reads the seats per class of a leg record from `member`. */
typedef ct_status (*ct__seats_fn)(ct__rec *r, json_t *obj, const char *member,
                                  int seats[CT_PROVIDERS_NCLASSES]);
/* Reads the amounts per class of a fares record `rec` into amount[] (a class it does not
 * name is left as it was). */
typedef ct_status (*ct__classes_fn)(ct__rec *r, const ct__dialect *d, json_t *rec, int digits,
                                    int32_t amount[CT_PROVIDERS_NCLASSES]);

struct ct__dialect {
    const char *name; /* "ndc" */
    ct_providers_kind kind;
    struct {
        const char *descriptor, *fares, *avail;       /* request paths */
        const char *limit, *page, *since, *from, *to; /* query parameters */
    } req;
    struct {
        const char *holder;        /* object holding the next-page token; NULL: the document */
        const char *next, *cursor; /* the cursor is a member of the document */
    } paging;
    struct {
        const char *currency, *carriers, *code, *alliance;
        const char *fee;               /* service fee per passenger in `amount`; NULL: none */
        const char *min_self_transfer; /* integer minutes; NULL: none */
    } desc;
    struct {
        const char *array, *carrier, *origin, *dest;
        const char *classes; /* the member holding the classes (NULL: one row per class) */
        const char *cls;     /* a class's booking class letter */
        const char *one_way; /* a class's one-way amount */
        ct__classes_fn read; /* classes of one record */
        int row_per_class;   /* 1: consecutive rows of a market make one fare record */
    } fares;
    struct {
        const char *array, *carrier, *number, *origin, *dest, *departure, *seats;
        ct__number_fn read_number;
        ct__seats_fn read_seats;
    } avail;
    ct__amount_fn amount; /* how the dialect writes amounts (fares and the fee) */
};

extern const ct__dialect ct__ndc, ct__voyagio, ct__farefinder, ct__hopscotch;

#endif
