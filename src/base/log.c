/* log.c: JSON-lines logger (see log.h). Uses jansson for correct string escaping. */
#include "base/log.h"

#include "base/trace.h"

#include <jansson.h>
#include <stdarg.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/time.h>
#include <time.h>
#include <unistd.h>

static atomic_int min_level = CT_LOG_INFO;
static const char *level_names[] = {"debug", "info", "warn", "error", "off"};

void ct_log_set_level(ct_log_level lvl)
{
    atomic_store(&min_level, (int)lvl);
}

ct_status ct_log_level_parse(const char *name, ct_log_level *out)
{
    for (int i = 0; i <= CT_LOG_OFF; i++) {
        if (strcmp(name, level_names[i]) == 0) {
            *out = (ct_log_level)i;
            return CT_OK;
        }
    }
    return CT_INVALID;
}

/* A field, named field_<key> when the line has its own key of that name (ts, level, event,
 * trace_id: never replaced). */
static void set_field(json_t *obj, const char *key, const char *value)
{
    char kept[80];
    if (json_object_get(obj, key) != NULL) {
        snprintf(kept, sizeof(kept), "field_%s", key);
        key = kept;
    }
    json_object_set_new(obj, key, value ? json_string(value) : json_null());
}

void ct_log(ct_log_level lvl, const char *event, ...)
{
    if ((int)lvl < atomic_load(&min_level) || lvl >= CT_LOG_OFF)
        return;
    struct timeval tv;
    gettimeofday(&tv, NULL);
    struct tm tm;
    gmtime_r(&tv.tv_sec, &tm);
    char ts[96];
    snprintf(ts, sizeof(ts), "%04d-%02d-%02dT%02d:%02d:%02d.%03ldZ", tm.tm_year + 1900,
             tm.tm_mon + 1, tm.tm_mday, tm.tm_hour, tm.tm_min, tm.tm_sec,
             (long)(tv.tv_usec / 1000));

    json_t *obj = json_object();
    if (obj == NULL)
        return;
    json_object_set_new(obj, "ts", json_string(ts));
    json_object_set_new(obj, "level", json_string(level_names[lvl]));
    json_object_set_new(obj, "event", json_string(event));
    const ct_trace *trace = ct_trace_current(); /* the request's or event's trace (trace.h) */
    if (trace != NULL)
        json_object_set_new(obj, "trace_id", json_string(trace->trace_id));
    va_list ap;
    va_start(ap, event);
    for (;;) {
        /* NOLINTNEXTLINE(clang-analyzer-valist.Uninitialized): va_start above; the analyzer
         * loses it after a call that takes obj. */
        const char *key = va_arg(ap, const char *);
        if (key == NULL)
            break;
        const char *value = va_arg(ap, const char *);
        set_field(obj, key, value);
    }
    va_end(ap);
    char *line = json_dumps(obj, JSON_COMPACT | JSON_PRESERVE_ORDER);
    json_decref(obj);
    if (line == NULL)
        return;
    size_t n = strlen(line);
    line[n] = '\n'; /* json_dumps leaves room: we overwrite the NUL and write n+1 bytes */
    ssize_t w = write(STDERR_FILENO, line, n + 1);
    (void)w;
    free(line);
}
