/* ingest_internal.h: what the files of src/ingest/ share (not part of the interface).
 * Reading the dialects is the providers module's (providers/providers.h). */
#ifndef CT_INGEST_INTERNAL_H
#define CT_INGEST_INTERNAL_H

#include <jansson.h>
#include <pthread.h>
#include <stdatomic.h>

#include "ingest/ingest.h"
#include "upstream/upstream.h"

/* The request path of a feed call in a dialect (query included): ct_providers_request_path
 * (empty when it does not fit). `token` is the page token ("" for the
 * first page), `since` the cursor ("" for a full pass); from/to are flight dates
 * (availability only). */
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
    ct_upstream *up;          /* the feed calls' client: retries, breakers (sync.c) */
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
