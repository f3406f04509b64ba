/* breaker.c: the partners' circuit breakers and statistics, and their Prometheus text.
 *
 * One slot per partner in a fixed table of the client (CT_UPSTREAM_MAX_PARTNERS), found by
 * name with a linear search (a client talks to a handful of partners). Every read and write
 * holds the client's mutex: the driving threads admit and report attempts, /metrics reads.
 *
 * The breaker (state machine in upstream.h): closed counts failed attempts in a row and
 * opens at cfg.breaker_failures; open refuses every attempt until breaker_cooldown_ms have
 * passed since it opened, then the first attempt asking turns it half-open and goes as the
 * probe; half-open refuses the others while the probe is out; the probe's success closes
 * the breaker, its failure opens it again (a new cool-down). Outcomes of attempts admitted
 * before an opening (not probes) only count while the breaker is closed. */
#include <stddef.h>
#include <stdio.h>
#include <string.h>

#include "base/log.h"
#include "upstream/upstream_internal.h"

ct__partner *ct__partner_get(ct_upstream *up, const char *name)
{
    ct__partner *p = NULL;
    pthread_mutex_lock(&up->mu);
    for (int i = 0; i < up->npartners; i++) {
        if (strcmp(up->partners[i].name, name) == 0) {
            p = &up->partners[i];
            goto cleanup;
        }
    }
    if (up->npartners < CT_UPSTREAM_MAX_PARTNERS) {
        p = &up->partners[up->npartners++];
        memset(p, 0, sizeof(*p));
        snprintf(p->name, sizeof(p->name), "%s", name);
    }
cleanup:
    pthread_mutex_unlock(&up->mu);
    return p;
}

static void log_state(const ct_upstream *up, const ct__partner *p)
{
    char n[16];
    snprintf(n, sizeof(n), "%d", p->consecutive);
    ct_log(p->state == CT_BREAKER_CLOSED ? CT_LOG_INFO : CT_LOG_WARN, "upstream.breaker", "client",
           up->name, "partner", p->name, "state", ct_upstream_state_name(p->state), "failures", n,
           NULL);
}

int ct__breaker_admit(ct_upstream *up, ct__partner *p, int64_t now, int retry, int *probe)
{
    int go = 1, changed = 0;
    *probe = 0;
    pthread_mutex_lock(&up->mu);
    if (p->state == CT_BREAKER_OPEN && now - p->opened_at >= up->cfg.breaker_cooldown_ms) {
        p->state = CT_BREAKER_HALF_OPEN;
        p->probe_busy = 0;
        changed = 1;
    }
    if (p->state == CT_BREAKER_OPEN || (p->state == CT_BREAKER_HALF_OPEN && p->probe_busy)) {
        go = 0;
        p->rejected++;
    } else {
        if (p->state == CT_BREAKER_HALF_OPEN) {
            p->probe_busy = 1;
            *probe = 1;
        }
        p->attempts++;
        p->retries += retry != 0;
    }
    if (changed)
        log_state(up, p);
    pthread_mutex_unlock(&up->mu);
    return go;
}

void ct__breaker_report(ct_upstream *up, ct__partner *p, int failed, int probe, int64_t now)
{
    pthread_mutex_lock(&up->mu);
    ct_upstream_state before = p->state;
    p->failures += failed != 0;
    if (probe) {
        p->probe_busy = 0;
        if (failed) {
            p->consecutive++;
            p->state = CT_BREAKER_OPEN;
            p->opened_at = now;
            p->opened++;
        } else {
            p->consecutive = 0;
            p->state = CT_BREAKER_CLOSED;
        }
    } else if (p->state == CT_BREAKER_CLOSED) {
        p->consecutive = failed ? p->consecutive + 1 : 0;
        if (failed && up->cfg.breaker_failures > 0 && p->consecutive >= up->cfg.breaker_failures) {
            p->state = CT_BREAKER_OPEN;
            p->opened_at = now;
            p->opened++;
        }
    }
    if (p->state != before)
        log_state(up, p);
    pthread_mutex_unlock(&up->mu);
}

void ct__breaker_release(ct_upstream *up, ct__partner *p, int probe)
{
    if (!probe)
        return;
    pthread_mutex_lock(&up->mu);
    p->probe_busy = 0;
    pthread_mutex_unlock(&up->mu);
}

static void fill_stats(const ct__partner *p, ct_upstream_stats *s)
{
    memset(s, 0, sizeof(*s));
    snprintf(s->partner, sizeof(s->partner), "%s", p->name);
    s->state = p->state;
    s->consecutive_failures = p->consecutive;
    s->attempts = p->attempts;
    s->retries = p->retries;
    s->failures = p->failures;
    s->rejected = p->rejected;
    s->opened = p->opened;
}

ct_upstream_state ct_upstream_breaker_state(ct_upstream *up, const char *partner)
{
    ct_upstream_state s = CT_BREAKER_CLOSED;
    pthread_mutex_lock(&up->mu);
    for (int i = 0; i < up->npartners; i++)
        if (strcmp(up->partners[i].name, partner) == 0)
            s = up->partners[i].state;
    pthread_mutex_unlock(&up->mu);
    return s;
}

int ct_upstream_stats_get(ct_upstream *up, ct_upstream_stats *out, int max)
{
    pthread_mutex_lock(&up->mu);
    int n = up->npartners < max ? up->npartners : max;
    for (int i = 0; i < n; i++)
        fill_stats(&up->partners[i], &out[i]);
    pthread_mutex_unlock(&up->mu);
    return n;
}

const char *ct_upstream_state_name(ct_upstream_state s)
{
    switch (s) {
    case CT_BREAKER_CLOSED:
        return "closed";
    case CT_BREAKER_OPEN:
        return "open";
    case CT_BREAKER_HALF_OPEN:
        return "half_open";
    }
    return "closed";
}

/* A Prometheus label value: backslash, double quote and newline escaped. */
static void label(const char *s, char *out, size_t len)
{
    size_t k = 0;
    for (; *s && k + 3 < len; s++) {
        if (*s == '\\' || *s == '"') {
            out[k++] = '\\';
            out[k++] = *s;
        } else if (*s == '\n') {
            out[k++] = '\\';
            out[k++] = 'n';
        } else {
            out[k++] = *s;
        }
    }
    out[k] = '\0';
}

ct_status ct_upstream_metrics_write(ct_upstream *up, ct_strbuf *out)
{
    return ct_upstream_metrics_write_all(&up, 1, out);
}

/* One client's row of series k (0: breaker state, 1: failures in a row, else a counter). */
static unsigned long long series_value(const ct_upstream_stats *st, size_t k, size_t offset)
{
    if (k == 0)
        return (unsigned long long)st->state;
    if (k == 1)
        return (unsigned long long)st->consecutive_failures;
    uint64_t u;
    memcpy(&u, (const char *)st + offset, sizeof(u));
    return (unsigned long long)u;
}

/* Each family's HELP and TYPE are written once, then the rows of every client: the text
 * format allows one block per metric name, so clients cannot each write their own. */
ct_status ct_upstream_metrics_write_all(ct_upstream *const *ups, int nups, ct_strbuf *out)
{
    static const struct {
        const char *name, *type, *help;
        size_t offset; /* of a uint64_t in ct_upstream_stats; 0: not a counter */
    } series[] = {
        {"contrail_upstream_breaker_state", "gauge",
         "Circuit breaker per partner: 0 closed, 1 open, 2 half-open.", 0},
        {"contrail_upstream_consecutive_failures", "gauge", "Failed attempts in a row.", 0},
        {"contrail_upstream_attempts_total", "counter", "Requests sent, retries included.",
         offsetof(ct_upstream_stats, attempts)},
        {"contrail_upstream_retries_total", "counter", "Requests that were retries.",
         offsetof(ct_upstream_stats, retries)},
        {"contrail_upstream_failures_total", "counter",
         "Failed attempts (transport, time-out, 408, 429, 5xx, unusable answer).",
         offsetof(ct_upstream_stats, failures)},
        {"contrail_upstream_rejected_total", "counter", "Attempts failed fast by an open breaker.",
         offsetof(ct_upstream_stats, rejected)},
        {"contrail_upstream_breaker_opened_total", "counter", "Times the breaker opened.",
         offsetof(ct_upstream_stats, opened)},
    };
    ct_status rc = CT_OK;
    for (size_t k = 0; k < sizeof(series) / sizeof(series[0]) && rc == CT_OK; k++) {
        rc = ct_strbuf_printf(out, "# HELP %s %s\n# TYPE %s %s\n", series[k].name, series[k].help,
                              series[k].name, series[k].type);
        for (int u = 0; u < nups && rc == CT_OK; u++) {
            if (ups[u] == NULL)
                continue;
            ct_upstream_stats st[CT_UPSTREAM_MAX_PARTNERS];
            int n = ct_upstream_stats_get(ups[u], st, CT_UPSTREAM_MAX_PARTNERS);
            char client[140];
            label(ups[u]->name, client, sizeof(client));
            for (int i = 0; i < n && rc == CT_OK; i++) {
                char partner[140];
                label(st[i].partner, partner, sizeof(partner));
                rc =
                    ct_strbuf_printf(out, "%s{client=\"%s\",partner=\"%s\"} %llu\n", series[k].name,
                                     client, partner, series_value(&st[i], k, series[k].offset));
            }
        }
    }
    return rc;
}
