/* otlp.h: spans exported as OTLP/HTTP JSON (OpenTelemetry protocol, traces) to a collector,
 * for `serve --otlp-endpoint URL` (docs/cluster.md, "Tracing").
 *
 * The exporter is the process's trace sink (base/trace.h): the HTTP server's request spans
 * and the upstream client's partner-call spans are copied into a bounded queue (a ring of
 * `queue` spans under a mutex; when it is full a span is dropped and counted, never waited
 * for: tracing must not slow requests down). One thread sends the queue in batches of at most
 * `batch` spans: as soon as a batch is full, else every `interval_ms`, as one
 * ExportTraceServiceRequest in OTLP's JSON encoding (resourceSpans / scopeSpans / spans;
 * ids in hex, times as decimal strings of Unix nanoseconds; service.name and the instance
 * as resource attributes) POSTed to URL + "/v1/traces" with libcurl (Content-Type
 * application/json, a 2 s time-out). A batch the collector refuses (5xx, 429, a transport
 * error) is tried again up to 3 times at the next rounds, then dropped and counted; a 4xx
 * other than 429 drops it at once. Stopping sends what is queued (one more round). */
#ifndef CT_OTLP_OTLP_H
#define CT_OTLP_OTLP_H

#include <stddef.h>
#include <stdint.h>

#include "base/status.h"
#include "base/trace.h"

typedef struct ct_otlp_config {
    const char *endpoint;     /* "http://collector:4318" (spans go to ENDPOINT/v1/traces) */
    const char *service_name; /* resource attribute service.name (default "contrail") */
    const char *instance_id;  /* service.instance.id (default: none) */
    int queue;                /* spans held at most (default 2048) */
    int batch;                /* spans per request at most (default 256) */
    int interval_ms;          /* longest wait before a partial batch is sent (default 1000) */
} ct_otlp_config;

typedef struct ct_otlp_stats {
    uint64_t queued;   /* spans accepted */
    uint64_t dropped;  /* spans dropped: the queue full, or a batch given up */
    uint64_t exported; /* spans the collector accepted (2xx) */
    uint64_t requests; /* POSTs sent */
    uint64_t failures; /* POSTs that failed */
} ct_otlp_stats;

typedef struct ct_otlp ct_otlp;

/* An exporter with its thread running (not yet the sink). The strings are copied. CT_INVALID
 * for an endpoint that is not http(s)://, CT_NOMEM, CT_ERR (thread). Caller owns *out. */
ct_status ct_otlp_start(const ct_otlp_config *cfg, ct_otlp **out);

/* The sink to pass to ct_trace_set_sink with the exporter as ctx. */
void ct_otlp_sink(void *ctx, const ct_trace_span *span);

/* Sends what is queued, stops the thread and frees. Clear the trace sink first. NULL: no-op. */
void ct_otlp_stop(ct_otlp *o);

void ct_otlp_stats_get(ct_otlp *o, ct_otlp_stats *out);

#endif
