/* ingest.h: provider fare and availability feeds -> the pricebook (the module's interface).
 *
 * The platform learns prices only from the providers' HTTP APIs (docs/sandbox.md,
 * "Providers"). Each provider speaks one of four dialects; the providers module
 * (providers/providers.h) turns one response document into normalised records
 * (ct_ingest_page) and reports every record it rejects, and the sync driver (sync.c) fetches all
 * providers concurrently through the upstream client (upstream/upstream.h) and applies the
 * pages (apply.c):
 *
 *   1. descriptor (schedules/catalog listing): kind (from the dialect), currency, fee,
 *      minimum self-transfer, carriers sold and their alliances -> ct_pricebook_provider,
 *      ct_pricebook_set_sold, ct_pricebook_set_alliance;
 *   2. GET /rates: units per USD -> ct_pricebook_set_rate, ct_pricebook_set_rates_day;
 *   3. the fares feed: a full pass (every page), later incremental passes from the cursor
 *      -> ct_pricebook_put_fare (amounts in minor units, parsed exactly from decimal text);
 *   4. the availability feed, in windows of `chunk_days` flight dates, the nearest dates
 *      first, over the horizon (default: the timetable's window), then incremental passes
 *      over the whole horizon from the oldest cursor of the previous pass
 *      -> ct_pricebook_put_seats. (Cursors are instants plus a change-log position and do
 *      not depend on the window. Seats only change back through orders, cancels and hold
 *      expiries, which the change log reports, so one pass from the oldest cursor misses
 *      nothing the chunked passes applied.)
 *
 * Each page is applied between ct_pricebook_begin and ct_pricebook_commit, or not at all: a
 * transport error, a 5xx, a time-out or a page that is not valid JSON (the providers inject
 * these faults) retries that request with jittered exponential back-off (bounded by
 * max_attempts), never applying part of a page; a provider failing breaker_failures attempts
 * in a row has its circuit breaker opened (failed fast until a probe after the cool-down
 * succeeds). A record with a bad or missing field is rejected (one log
 * line "ingest.rejected" naming the provider, feed, page, record index and field; counted
 * in the statistics) and the page's good records are kept.
 *
 * Every change of a dated leg's lowest price in a cabin at a provider (the first
 * observation included; from seats or from fares moving) is written to price_observation
 * (migration 0003, one transaction per page) when a store pool is configured, and published
 * on the event bus as "price.changed"; a market whose fares changed is "fares.changed".
 *
 * Threads: ct_ingest_sync_once runs a sync in the caller's thread; ct_ingest_start runs a
 * full sync and then incremental syncs every interval in a background thread, stopped by
 * ct_ingest_stop within about 100 ms. Only one sync runs at a time. Statistics may be read
 * from any thread. */
#ifndef CT_INGEST_INGEST_H
#define CT_INGEST_INGEST_H

#include <stddef.h>
#include <stdint.h>

#include "base/status.h"
#include "events/bus.h"
#include "fares/pricebook.h"
#include "providers/providers.h"
#include "store/store.h"
#include "upstream/upstream.h"

/* The dialects, feeds and normalised records are the providers module's
 * (providers/providers.h: a table per dialect, one generic reader); ingest names them so. */
typedef ct_providers_dialect ct_ingest_dialect;
typedef ct_providers_feed ct_ingest_feed;
typedef ct_providers_carrier ct_ingest_carrier;
typedef ct_providers_rate ct_ingest_rate;
typedef ct_providers_fare ct_ingest_fare;
typedef ct_providers_seats ct_ingest_seats;
typedef ct_providers_reject ct_ingest_reject;
typedef ct_providers_page ct_ingest_page;
#define CT_INGEST_MAX_REJECTS CT_PROVIDERS_MAX_REJECTS

/* The dialect of a sandbox provider by its name ("airline-1" ... "combiner"), or -1
 * (ct_providers_dialect_of). */
int ct_ingest_dialect_of(const char *provider_name);
/* "ndc", "voyagio", "farefinder", "hopscotch"; "descriptor", "rates", "fares",
 * "availability". */
const char *ct_ingest_dialect_name(ct_ingest_dialect d);
const char *ct_ingest_feed_name(ct_ingest_feed f);

/* Parses one response body of `feed` in dialect `d`: ct_providers_parse_page. Returns
 * CT_OK with the good records and the rejects, or CT_INVALID when the document itself is
 * unusable (not JSON, or its top-level members missing): the caller retries the request.
 * `err` gets a reason. */
ct_status ct_ingest_parse(ct_ingest_dialect d, ct_ingest_feed feed, const char *body, size_t len,
                          int minor_digits, ct_ingest_page *out, char *err, size_t errlen);
void ct_ingest_page_clear(ct_ingest_page *page);

/* Exact decimal text to minor units: ct_providers_decimal. */
ct_status ct_ingest_decimal(const char *text, int digits, int32_t *out);

/* ---- the driver ---- */

typedef struct ct_ingest_provider_cfg {
    char name[32];      /* the provider's name (the pricebook's) */
    char base_url[256]; /* e.g. "http://127.0.0.1:9101" */
    ct_ingest_dialect dialect;
} ct_ingest_provider_cfg;

typedef struct ct_ingest ct_ingest;

typedef struct ct_ingest_config {
    ct_ingest_provider_cfg providers[CT_MAX_PROVIDERS];
    int nproviders;
    int64_t from_day, to_day; /* availability horizon (days since 1970); 0: the timetable's */
    int64_t today;            /* the first window starts here; 0: the wall clock's day */
    int chunk_days;           /* flight dates per availability window (default 7) */
    int page_size;            /* records per page, 1..5000 (default 5000) */
    int interval_s;           /* between incremental syncs in the background (default 60) */
    int timeout_ms;           /* per request (default 15000) */
    int max_attempts;         /* per request (default 8) */
    int backoff_ms;           /* first retry delay, doubled each time (default 100) */
    int backoff_max_ms;       /* cap of the delay (default 5000) */
    int breaker_failures;     /* failed attempts in a row that open a provider's circuit
                                 breaker (default max_attempts; negative: never) */
    int breaker_cooldown_ms;  /* an open breaker lets a probe through after this (default
                                 30000) */
    ct_store_pool *history;   /* price_observation rows; NULL: no history (borrowed) */
    int history_first;        /* 1: a leg's first price is a row (and an event) too */
    ct_bus *bus;              /* events; NULL: none (borrowed) */
    /* Called by the background thread after each sync it ran (not after one cut short by
     * ct_ingest_stop), with the sync's status, while no sync runs: e.g. to save the
     * pricebook and the state. NULL: none. */
    void (*on_sync)(void *ctx, ct_ingest *ing, ct_status rc);
    void *on_sync_ctx;
} ct_ingest_config;

/* Statistics of one provider (for /metrics). */
typedef struct ct_ingest_stats {
    char name[32];
    int id;                 /* pricebook provider id, -1 before the descriptor arrived */
    uint64_t fares_applied; /* fare records put (markets) */
    uint64_t seats_applied; /* availability records put */
    uint64_t rejected;      /* records rejected by validation */
    uint64_t unknown;       /* records naming a market or leg the timetable lacks */
    uint64_t pages;         /* pages applied */
    uint64_t requests;      /* HTTP requests sent, retries included */
    uint64_t retries;
    uint64_t failures;        /* syncs of this provider given up */
    uint64_t observations;    /* price_observation rows written */
    uint64_t events;          /* events published */
    int64_t last_sync;        /* Unix seconds of the last successful sync; 0: none yet */
    int64_t last_full;        /* ... of the last successful full sync */
    int full_done;            /* 1 once a full sync succeeded (incremental from then on) */
    uint64_t full_syncs;      /* full passes completed (a resumed provider starts at 0) */
    uint64_t refused_cursors; /* incremental calls refused (then a full pass followed) */
    double last_seconds;      /* duration of the last sync */
} ct_ingest_stats;

/* A driver writing into `pb` (borrowed; its timetable gives the default horizon). Zero
 * members of `cfg` take the defaults above. Needs curl_global_init done by the program.
 * The caller owns *out. */
ct_status ct_ingest_new(ct_pricebook *pb, const ct_ingest_config *cfg, ct_ingest **out);
/* Stops the background thread if running and frees everything. NULL is a no-op. */
void ct_ingest_free(ct_ingest *ing);

/* One sync of every provider, concurrently: full for a provider that has not completed
 * one, else incremental. CT_OK when every provider synced; CT_ERR when some gave up (their
 * previous data stays; see the statistics). */
ct_status ct_ingest_sync_once(ct_ingest *ing);

/* Starts the background thread (full sync, then incremental every interval_s). */
ct_status ct_ingest_start(ct_ingest *ing);
/* Stops it (in-flight requests are abandoned, nothing half-applied) and joins it. */
void ct_ingest_stop(ct_ingest *ing);

/* ---- resuming after a restart ----
 *
 * The state of the feeds (per provider: the cursors of its last complete pass and the
 * availability dates it accepted) can be saved with the pricebook and loaded at the next
 * start, so the first sync there is incremental from those cursors: a provider's cursor
 * names an instant and a change-log position, and an incremental call returns everything
 * that changed since (docs/sandbox.md, "Feeds: paging and cursors"), the downtime included.
 * The state is only valid with the pricebook it was saved with, or one saved later (a
 * pricebook newer than the cursors is repaired by the incremental pass; an older one is
 * not): save the pricebook first, then the state; load the state only when that pricebook
 * was loaded. A provider that refuses a saved cursor (a 4xx to the incremental call) gets a
 * full pass in the same sync. */

/* Writes the state as JSON to `path` atomically (`path`.tmp.PID, fsync, rename): the
 * horizon, and per provider that completed a full pass its name, base URL, dialect,
 * cursors and accepted dates. Safe while a sync runs (it saves the last complete pass).
 * CT_IO, CT_NOMEM. */
ct_status ct_ingest_save_state(ct_ingest *ing, const char *path);

/* Loads a state saved by ct_ingest_save_state into a driver that has not synced yet. A
 * provider is resumed only when its name, base URL and dialect are the configured ones
 * and the horizon is the same; the others get a full pass as usual. *resumed (may be NULL)
 * receives how many providers were resumed. CT_NOT_FOUND: no file; CT_INVALID: not a state
 * file; CT_CONFLICT: a sync already ran. Nothing is changed unless CT_OK. */
ct_status ct_ingest_load_state(ct_ingest *ing, const char *path, int *resumed);

/* Copies the statistics of up to `max` providers; returns how many. lag = now - last_sync. */
int ct_ingest_stats_get(ct_ingest *ing, ct_ingest_stats *out, int max);

/* The driver's HTTP client (borrowed, lives as long as `ing`): its partners are the
 * providers by name, with their circuit breakers and request statistics; read it from any
 * thread with ct_upstream_stats_get / ct_upstream_metrics_write (for /metrics). */
ct_upstream *ct_ingest_upstream(ct_ingest *ing);

#endif
