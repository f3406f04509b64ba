/* trace.c: W3C traceparent parsing, new ids and the thread's current span (see trace.h). */
#include "base/trace.h"

#include <stdatomic.h>
#include <time.h>

#include <stdio.h>
#include <string.h>

#include <sodium.h>

static _Thread_local const ct_trace *current;

static int hex_field(const char *s, size_t n)
{
    int nonzero = 0;
    for (size_t i = 0; i < n; i++) {
        char c = s[i];
        if (!((c >= '0' && c <= '9') || (c >= 'a' && c <= 'f')))
            return 0;
        nonzero |= c != '0';
    }
    return nonzero;
}

static int hex2(const char *s)
{
    int v = 0;
    for (int i = 0; i < 2; i++) {
        char c = s[i];
        int d = c >= '0' && c <= '9' ? c - '0' : c >= 'a' && c <= 'f' ? c - 'a' + 10 : -1;
        if (d < 0)
            return -1;
        v = v * 16 + d;
    }
    return v;
}

int ct_trace_parse(const char *h, ct_trace *out)
{
    if (h == NULL)
        return 0;
    size_t n = strlen(h);
    if (n < CT_TRACEPARENT_LEN)
        return 0;
    int version = hex2(h);
    if (version < 0 || version == 0xff || h[2] != '-' || h[35] != '-' || h[52] != '-')
        return 0;
    if (version == 0 ? n != CT_TRACEPARENT_LEN : (n > CT_TRACEPARENT_LEN && h[55] != '-'))
        return 0;
    int flags = hex2(h + 53);
    if (!hex_field(h + 3, 32) || !hex_field(h + 36, 16) || flags < 0)
        return 0;
    memset(out, 0, sizeof(*out));
    memcpy(out->trace_id, h + 3, 32);
    memcpy(out->parent_id, h + 36, 16);
    out->flags = (uint8_t)flags;
    return 1;
}

static void new_id(char *out, size_t bytes)
{
    unsigned char raw[16];
    do
        randombytes_buf(raw, bytes);
    while (sodium_is_zero(raw, bytes)); /* an all-zero id is invalid */
    sodium_bin2hex(out, bytes * 2 + 1, raw, bytes);
}

void ct_trace_start(ct_trace *t, const char *header)
{
    if (!ct_trace_parse(header, t)) {
        memset(t, 0, sizeof(*t));
        new_id(t->trace_id, 16);
        t->flags = 1;
    }
    new_id(t->span_id, 8);
}

void ct_trace_child(const ct_trace *t, ct_trace *child)
{
    memset(child, 0, sizeof(*child));
    memcpy(child->trace_id, t->trace_id, sizeof(child->trace_id));
    memcpy(child->parent_id, t->span_id, sizeof(child->parent_id));
    child->flags = t->flags;
    new_id(child->span_id, 8);
}

void ct_trace_format(const ct_trace *t, char *out, size_t len)
{
    snprintf(out, len, "00-%.32s-%.16s-%02x", t->trace_id, t->span_id, t->flags);
}

void ct_trace_set_current(const ct_trace *t)
{
    current = t;
}

const ct_trace *ct_trace_current(void)
{
    return current;
}

/* ---- the sink ---- */

static _Atomic(ct_trace_sink) sink_fn;
static void *_Atomic sink_ctx;

void ct_trace_set_sink(ct_trace_sink fn, void *ctx)
{
    atomic_store(&sink_fn, NULL);
    atomic_store(&sink_ctx, ctx);
    atomic_store(&sink_fn, fn);
}

int ct_trace_sink_on(void)
{
    return atomic_load(&sink_fn) != NULL;
}

void ct_trace_report(const ct_trace_span *span)
{
    ct_trace_sink fn = atomic_load(&sink_fn);
    if (fn != NULL)
        fn(atomic_load(&sink_ctx), span);
}

int64_t ct_trace_now_ns(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_REALTIME, &ts);
    return (int64_t)ts.tv_sec * 1000000000 + ts.tv_nsec;
}
