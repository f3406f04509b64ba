/* log.h: structured logging, one JSON object per line on stderr.
 *
 *   ct_log(CT_LOG_INFO, "http.listen", "port", "8080", NULL);
 *   -> {"ts":"2026-11-23T15:31:00.123Z","level":"info","event":"http.listen","port":"8080"}
 *
 * Fields are key/value string pairs terminated by NULL; values are JSON-escaped. A field named
 * like one of the line's own keys (ts, level, event, trace_id) is written as "field_<key>"
 * rather than replace it (name event ids "event_id"). Lines are
 * written with one write(2) each, so concurrent threads never interleave within a line. */
#ifndef CT_BASE_LOG_H
#define CT_BASE_LOG_H

#include "base/status.h"

typedef enum ct_log_level {
    CT_LOG_DEBUG = 0,
    CT_LOG_INFO,
    CT_LOG_WARN,
    CT_LOG_ERROR,
    CT_LOG_OFF,
} ct_log_level;

/* Sets the minimum level written (default CT_LOG_INFO). */
void ct_log_set_level(ct_log_level lvl);

/* Parses "debug", "info", "warn", "error" or "off" into *out; CT_INVALID when unknown. */
ct_status ct_log_level_parse(const char *name, ct_log_level /* OUT: */ *out);

/* Writes one log line; see the file comment for the argument convention. */
void ct_log(ct_log_level lvl, const char *event, ...) __attribute__((sentinel));

#endif
