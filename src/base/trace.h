/* trace.h: W3C Trace Context (https://www.w3.org/TR/trace-context/): the `traceparent` of a
 * request, accepted when valid or started, and the calling thread's current span.
 *
 *   traceparent: 00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01
 *                version-trace id (32 hex)-parent id (16 hex)-flags (2 hex)
 *
 * The HTTP server (http/server.c) takes a request's traceparent (a new trace when it has none
 * or an invalid one), gives the request a span of its own, answers with that span's
 * traceparent, and makes it the current span of the thread that runs the handler. Every log
 * line of that thread carries the trace id (base/log.c); the upstream client (upstream/)
 * sends a child span's traceparent with every provider and payment call; the outbox (events/)
 * keeps the traceparent of the transaction that added an event and restores it around the
 * event's delivery. Parsing follows the specification's rules: lower-case hex only, version
 * "ff" invalid, all-zero ids invalid, a version 00 header exactly 55 characters; a later
 * version may be longer (its first four fields are read). Hand-written: it is 50 lines and no
 * Debian C library parses this header (the OpenTelemetry C++ SDK is not packaged for C). */
#ifndef CT_BASE_TRACE_H
#define CT_BASE_TRACE_H

#include <stddef.h>
#include <stdint.h>

#define CT_TRACEPARENT_LEN 55 /* "00-" + 32 + "-" + 16 + "-" + 2 */

typedef struct ct_trace {
    char trace_id[33];  /* 32 lower-case hex digits */
    char span_id[17];   /* this span's id, 16 hex digits */
    char parent_id[17]; /* the caller's span ("" for a root span) */
    uint8_t flags;      /* bit 0: sampled */
} ct_trace;

/* 1 when `header` is a valid traceparent; its trace id and parent id (and flags) into *out
 * (span_id left empty). */
int ct_trace_parse(const char *header, ct_trace *out);

/* A span for a request: a child of `header` when it is valid, else of a new trace (sampled).
 * Always succeeds. */
void ct_trace_start(ct_trace *t, const char *header);

/* A child span of t (same trace, new span id, t's span as its parent). */
void ct_trace_child(const ct_trace *t, ct_trace *child);

/* "00-<trace id>-<span id>-<flags>" into out (at least CT_TRACEPARENT_LEN + 1 bytes). */
void ct_trace_format(const ct_trace *t, char *out, size_t len);

/* The calling thread's current span (NULL: none). The pointer is the caller's: it must stay
 * valid until cleared with ct_trace_set_current(NULL). */
void ct_trace_set_current(const ct_trace *t);
const ct_trace *ct_trace_current(void);

/* ---- finished spans, for an exporter (otlp/otlp.h) ----
 * The HTTP server reports each request's span when it completes (a server span named
 * "METHOD route"), the upstream client each partner call (a client span). Nothing is reported
 * until a sink is set; the sink is called from the reporting thread and must not block (the
 * OTLP exporter copies the span into a bounded queue). */
typedef struct ct_trace_span {
    ct_trace ctx;             /* trace id, span id, parent id */
    char name[96];            /* "GET /api/v1/searches/{id}", "POST payments" */
    int kind;                 /* OTLP SpanKind: 2 server, 3 client */
    int64_t start_ns, end_ns; /* Unix time in nanoseconds */
    int http_status;          /* 0: none (a transport error) */
    int error;                /* 1: the span failed (5xx, transport error) */
} ct_trace_span;

typedef void (*ct_trace_sink)(void *ctx, const ct_trace_span *span);

/* Sets the process's sink (NULL: none). Set before the threads that report start, cleared
 * after they stopped. */
void ct_trace_set_sink(ct_trace_sink fn, void *ctx);
/* 1 while a sink is set: reporters skip building spans otherwise. */
int ct_trace_sink_on(void);
/* Hands a finished span to the sink (no-op without one). */
void ct_trace_report(const ct_trace_span *span);
/* The wall clock in Unix nanoseconds. */
int64_t ct_trace_now_ns(void);

#endif
