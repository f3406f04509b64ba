/* ingest_internal.h: what the files of src/ingest/ share (not part of the interface).
 *
 * Record helpers validate one member of one feed record. On a bad or missing member they
 * record a reject naming "<array>[<index>].<member>" in the page (once per record) and
 * return -1; the adapter then drops the record and goes on with the next one. */
#ifndef CT_INGEST_INTERNAL_H
#define CT_INGEST_INTERNAL_H

#include <jansson.h>
#include <pthread.h>
#include <stdatomic.h>

#include "ingest/ingest.h"

typedef struct ct__rec {
    ct_ingest_page *page;
    const char *array; /* the document's array member, e.g. "Fares" */
    size_t index;      /* record index in that array */
    int bad;           /* a reject was recorded for this record */
    char sub[48];      /* path inside the record of the object being read, e.g. "fares.Y." */
} ct__rec;

/* Records a reject for r (the first one per record counts). `member` may be a path. */
void ct__reject(ct__rec *r, const char *member, const char *message);

/* Members. `upper_len`: an exact-length code of capitals (and digits when `digits_ok`). */
int ct__code(ct__rec *r, json_t *obj, const char *member, size_t len, int digits_ok, char *out);
int ct__int(ct__rec *r, json_t *obj, const char *member, long lo, long hi, long *out);
/* A flight number given as a digit string ("0001") -> 1..9999. */
int ct__digits(ct__rec *r, json_t *obj, const char *member, long lo, long hi, long *out);
int ct__amount_text(ct__rec *r, json_t *obj, const char *member, int digits, int32_t *out);
int ct__amount_real(ct__rec *r, json_t *obj, const char *member, int digits, int32_t *out);
int ct__amount_minor(ct__rec *r, json_t *obj, const char *member, int32_t *out);
int ct__instant_min(ct__rec *r, json_t *obj, const char *member, int32_t *out);
/* An availability text "Y9B9M9H4Q0V0J0C0" -> seats per class (absent classes: 0). */
int ct__avs(ct__rec *r, json_t *obj, const char *member, int seats[CT_NCLASSES]);
/* An alliance: a string or null (-> ""). */
int ct__alliance(ct__rec *r, json_t *obj, const char *member, char out[16]);

/* Appends a record to the page's arrays (CT_NOMEM on failure). */
ct_status ct__push_fare(ct_ingest_page *p, const ct_ingest_fare *f);
ct_status ct__push_seats(ct_ingest_page *p, const ct_ingest_seats *s);
ct_status ct__push_carrier(ct_ingest_page *p, const ct_ingest_carrier *c);

/* The next-page token and cursor: string or null members of `doc` (NULL obj: absent). */
int ct__token(json_t *obj, const char *member, char *out, size_t len);

/* Minor digits of a currency (0 for JPY and KRW, else 2). */
int ct__minor_digits(const char *currency);

/* Dialect adapters: `doc` is the parsed body; CT_INVALID when it is unusable. */
typedef ct_status (*ct__adapter)(ct_ingest_feed feed, json_t *doc, int digits, ct_ingest_page *out,
                                 char *err, size_t errlen);
ct_status ct__ndc_parse(ct_ingest_feed feed, json_t *doc, int digits, ct_ingest_page *out,
                        char *err, size_t errlen);
ct_status ct__voyagio_parse(ct_ingest_feed feed, json_t *doc, int digits, ct_ingest_page *out,
                            char *err, size_t errlen);
ct_status ct__farefinder_parse(ct_ingest_feed feed, json_t *doc, int digits, ct_ingest_page *out,
                               char *err, size_t errlen);
ct_status ct__hopscotch_parse(ct_ingest_feed feed, json_t *doc, int digits, ct_ingest_page *out,
                              char *err, size_t errlen);

/* The request path of a feed call in a dialect (query included). `token` is the page
 * token ("" for the first page), `since` the cursor ("" for a full pass); from/to are
 * flight dates (availability only). */
void ct__request_path(ct_ingest_dialect d, ct_ingest_feed feed, int page_size, const char *token,
                      const char *since, int64_t from, int64_t to, char *out, size_t len);

/* ---- the driver's state (sync.c) and applying pages (apply.c) ---- */

typedef struct ct__prov {
    ct_ingest_provider_cfg cfg;
    int id;                 /* pricebook provider id; -1 before the first descriptor */
    ct_provider_desc desc;  /* from the last descriptor */
    char fares_cursor[512]; /* after a complete pass; "" before the first full one */
    char avail_cursor[512];
    int seats_seen;               /* some seats were applied (fare moves then change leg prices) */
    int64_t avail_from, avail_to; /* dates the provider accepted in the last full pass; 0 before */
    ct_ingest_stats st;           /* guarded by ct_ingest.stats_mu */
} ct__prov;

struct ct_ingest {
    ct_pricebook *pb;
    ct_ingest_config cfg;
    ct__prov prov[CT_MAX_PROVIDERS];
    int nprov;
    pthread_mutex_t sync_mu;  /* one sync at a time */
    pthread_mutex_t stats_mu; /* prov[].st */
    pthread_mutex_t wake_mu;  /* the background thread's sleep */
    pthread_cond_t wake;
    pthread_t thread;
    int running;
    atomic_int stop;
};

/* Applies a parsed page of provider p (page number `pageno` of its pass, from 1). Counts
 * into p->st, logs rejects, writes price observations and publishes events. */
ct_status ct__apply(ct_ingest *ing, ct__prov *p, const ct_ingest_page *page, int pageno);

#endif
