/* cluster.h: provider ingestion on one instance at a time, and every instance's prices kept
 * in step through the database (cluster mode on PostgreSQL; docs/cluster.md).
 *
 * Every `serve` on a shared PostgreSQL runs one coordinator thread. It holds or waits for the
 * lease "ingest" (store/lease.h: fencing tokens, time-to-live `--lease-ttl`):
 *
 *   - the leaseholder runs the ingest driver (ingest/ingest.h) into its pricebook with the
 *     pricebook's journal on (fares/pricebook.h), and every `--price-stream-interval` writes
 *     what the journal holds to `price_stream` (migration 0024): rows of at most
 *     CT_APP_CLUSTER_ROW_BYTES, seq 1, 2, ... each in one transaction that first checks the
 *     lease's token (ct_lease_fence), so a deposed holder can write nothing more. On taking
 *     the lease it first replays whatever the stream still holds, then writes a dump of its
 *     whole pricebook (kind 'dump'), so the stream from any dump's first row on rebuilds the
 *     prices from nothing. It renews the lease every third of its time-to-live and, when a
 *     renewal is refused (someone took it) or has failed for a whole time-to-live, stops
 *     ingesting and follows.
 *   - every other instance polls the stream at the same interval and replays the rows after
 *     the last it applied into its own pricebook (ct_pricebook_journal_apply), so a new price
 *     reaches it about two intervals after the leaseholder ingested it (the leaseholder's
 *     flush, then this poll; well within 5 s at the default 500 ms). A fresh instance starts
 *     at the latest dump. The search answer cache needs nothing more: its answers are stamped
 *     with the pricebook's generation, which every replayed change moves on. It tries to
 *     take the lease whenever it has caught up, so when the holder dies (kill -9) one of them
 *     takes over within a time-to-live.
 *
 * Price history rows and the "price.changed" events (price alerts) come from the ingest driver,
 * so only the leaseholder writes them; followers replay prices without either. On SQLite
 * there is one process: no coordinator, ingestion as before. */
#ifndef CT_APP_CLUSTER_H
#define CT_APP_CLUSTER_H

#include <stdint.h>

#include "base/status.h"
#include "fares/pricebook.h"
#include "ingest/ingest.h"
#include "store/store.h"

#define CT_APP_CLUSTER_ROW_BYTES   (4u << 20) /* journal bytes per stream row, at most */
#define CT_APP_CLUSTER_JOURNAL_CAP (1u << 30) /* journal bytes the leaseholder may hold */
#define CT_APP_CLUSTER_LEASE       "ingest"

typedef struct ct_app_cluster_config {
    ct_store_pool *pool; /* the shared PostgreSQL (borrowed) */
    int64_t ttl_ms;      /* the lease's time-to-live (default 10000) */
    int interval_ms;     /* stream flush and poll period (default 500) */
} ct_app_cluster_config;

typedef struct ct_app_cluster_stats {
    int attached;          /* 1 once the prices are attached */
    int leader;            /* 1 while this instance holds the lease and ingests */
    int64_t token;         /* its fencing token while leader */
    int64_t applied_seq;   /* the last stream row replayed or written */
    uint64_t rows_applied; /* rows replayed */
    uint64_t rows_written; /* rows written */
    uint64_t records_applied, records_written;
    uint64_t acquisitions; /* times this instance took the lease */
    uint64_t losses;       /* times it lost it */
    uint64_t errors;       /* database errors of the coordinator */
    char holder[128];      /* this instance's holder id */
} ct_app_cluster_stats;

typedef struct ct_app_cluster ct_app_cluster;

/* A coordinator (not running yet). Zero members of cfg take the defaults. Caller owns *out. */
ct_status ct_app_cluster_new(const ct_app_cluster_config *cfg, ct_app_cluster **out);

/* Starts the thread over `pb` and `ing` (borrowed until ct_app_cluster_stop; `ing` must not
 * be started: the coordinator starts and stops it). CT_CONFLICT when already started. */
ct_status ct_app_cluster_start(ct_app_cluster *c, ct_pricebook *pb, ct_ingest *ing);

/* Stops the thread: as leader it stops ingestion, writes what the journal holds and gives the
 * lease up (another instance takes over at once). Safe when not started and twice. */
void ct_app_cluster_stop(ct_app_cluster *c);

/* Frees a stopped (or never started) coordinator; NULL is a no-op. */
void ct_app_cluster_free(ct_app_cluster *c);

/* A copy of the statistics; from any thread. */
void ct_app_cluster_stats_get(ct_app_cluster *c, ct_app_cluster_stats *out);

struct ct_strbuf;
/* Appends them as Prometheus text (app->metrics_extra; ctx is the coordinator):
 * contrail_cluster_leader, contrail_cluster_stream_seq, contrail_cluster_stream_rows_total
 * {direction="applied|written"}, ..._records_total, contrail_cluster_lease_changes_total
 * {change="acquired|lost"}, contrail_cluster_errors_total. */
void ct_app_cluster_metrics(void *ctx, struct ct_strbuf *out);

#endif
