/* history_job.c: serve's price history thread (see history_job.h).
 *
 * The thread sleeps on a condition variable until the nearest of its deadlines (monotonic
 * clock) or the stop; each task borrows a pooled connection for its own work. Rates come
 * from the pricebook view held for the task (ct_price_minor_factor), as the answers'. */
#define _GNU_SOURCE
#include "app/history_job.h"

#include <ctype.h>
#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <time.h>

#include "base/log.h"
#include "search/search.h"

static int64_t mono_s(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (int64_t)ts.tv_sec;
}

ct_status ct_app_history_open(ct_app_history *j)
{
    pthread_mutex_init(&j->mu, NULL);
    pthread_condattr_t ca;
    pthread_condattr_init(&ca);
    pthread_condattr_setclock(&ca, CLOCK_MONOTONIC);
    pthread_cond_init(&j->cv, &ca);
    pthread_condattr_destroy(&ca);
    ct_status rc = ct_history_new(&j->opt, &j->history);
    if (rc)
        return rc;
    j->app->history = j->history;
    return CT_OK;
}

static double snap_rate(void *ctx, const char *from, const char *to)
{
    return ct_price_minor_factor(ctx, from, to);
}

static void task_flush(ct_app_history *j, ct_store *st)
{
    size_t written = 0;
    if (ct_history_flush(j->history, st, &written) == CT_OK && written > 0) {
        char n[24];
        snprintf(n, sizeof(n), "%zu", written);
        ct_log(CT_LOG_DEBUG, "history.flush", "rows", n, NULL);
    }
}

static void task_compact(ct_app_history *j, ct_store *st)
{
    ct_history_compaction c;
    if (ct_history_compact(j->history, st, &c) != CT_OK)
        return;
    char a[24], b[24], d[24], e[24];
    snprintf(a, sizeof(a), "%lld", (long long)c.hours_downsampled);
    snprintf(b, sizeof(b), "%lld", (long long)c.routes_expired);
    snprintf(d, sizeof(d), "%lld", (long long)c.legs_thinned);
    snprintf(e, sizeof(e), "%lld", (long long)c.legs_expired);
    ct_log(CT_LOG_INFO, "history.compact", "hours_downsampled", a, "routes_expired", b,
           "legs_thinned", d, "legs_expired", e, NULL);
}

static void task_refresh(ct_app_history *j, ct_store *st)
{
    ct_pricebook *pb = atomic_load(&j->app->pricebook);
    ct_pb_view v;
    memset(&v, 0, sizeof(v));
    if (pb != NULL)
        ct_pricebook_acquire(pb, &v);
    size_t routes = 0;
    ct_history_refresh(j->history, st, snap_rate, pb != NULL ? (void *)v.snap : NULL, &routes);
    if (pb != NULL)
        ct_pricebook_release(pb, &v);
}

/* Airport indices of an airport or metro code (as the API resolves them); 0 when unknown. */
static int resolve(const ct_timetable *tt, const char *code, uint16_t *out, int max)
{
    const ct_metro *m = ct_refdata_metro(tt->rd, code);
    int n = 0;
    for (int i = 0; m != NULL && i < m->nairports && n < max; i++) {
        int a = ct_timetable_airport(tt, m->airports[i]->iata);
        if (a >= 0)
            out[n++] = (uint16_t)a;
    }
    int a = m == NULL ? ct_timetable_airport(tt, code) : -1;
    if (a >= 0 && n < max)
        out[n++] = (uint16_t)a;
    return n;
}

/* The cheapest one-adult price of one searched route and day, noted; 1 when noted. */
static int reprice_one(ct_app_history *j, const ct_timetable *tt, const ct_pb_view *v,
                       const ct_history_searched *e)
{
    uint16_t orig[8], dest[8];
    ct_price_ctx pc;
    ct_cabin cabin = CT_CABIN_ECONOMY;
    (void)ct_cabin_parse(e->cabin, &cabin); /* history.c keeps only the cabins' names */
    if (ct_price_ctx_init(&pc, v, cabin, 1, 1, e->currency) != CT_OK)
        return 0;
    ct_search_query q = {orig,
                         resolve(tt, e->origin, orig, 8),
                         dest,
                         resolve(tt, e->destination, dest, 8),
                         e->departure_day,
                         2,
                         &pc};
    if (q.norigins == 0 || q.ndests == 0 || q.date < tt->from_day || q.date > tt->to_day)
        return 0;
    ct_itinerary best;
    int found = 0;
    if (ct_search_cheapest(tt, &q, &best, &found) != CT_OK || !found)
        return 0;
    ct_history_note_repriced(j->history, e->origin, e->destination, e->departure_day, e->cabin,
                             e->currency, best.price);
    return 1;
}

size_t ct_app_history_reprice(ct_app_history *j)
{
    const ct_timetable *tt = atomic_load(&j->app->timetable);
    ct_pricebook *pb = atomic_load(&j->app->pricebook);
    if (tt == NULL || pb == NULL || ct_pricebook_timetable(pb) != tt || j->reprice_max <= 0)
        return 0;
    static ct_history_searched routes[CT_HISTORY_SEARCHED_MAX]; /* this thread's only */
    size_t max = (size_t)j->reprice_max < CT_HISTORY_SEARCHED_MAX ? (size_t)j->reprice_max
                                                                  : CT_HISTORY_SEARCHED_MAX;
    int64_t since = ct_history_now(j->history) - j->reprice_window_s;
    size_t n = ct_history_searched_since(j->history, since, routes, max), noted = 0;
    ct_pb_view v;
    ct_pricebook_acquire(pb, &v);
    for (size_t i = 0; i < n; i++)
        noted += (size_t)reprice_one(j, tt, &v, &routes[i]);
    ct_pricebook_release(pb, &v);
    return noted;
}

typedef struct deadline {
    int64_t at;
    int every;
} deadline;

static void *history_thread(void *arg)
{
    ct_app_history *j = arg;
    enum { FLUSH, COMPACT, REFRESH, REPRICE, N };
    int64_t now = mono_s();
    deadline d[N] = {{now + j->flush_s, j->flush_s},
                     {now + 60, j->compact_s}, /* the first compaction a minute in */
                     {now, j->refresh_s},
                     {now + j->reprice_s, j->reprice_s}};
    pthread_mutex_lock(&j->mu);
    while (!j->stop) {
        int64_t next = d[0].at;
        for (int i = 1; i < N; i++)
            next = d[i].at < next ? d[i].at : next;
        struct timespec ts = {.tv_sec = (time_t)next, .tv_nsec = 0};
        while (!j->stop && mono_s() < next &&
               pthread_cond_timedwait(&j->cv, &j->mu, &ts) != ETIMEDOUT) {
        }
        if (j->stop)
            break;
        pthread_mutex_unlock(&j->mu);
        now = mono_s();
        ct_store *st = NULL;
        if (ct_store_pool_acquire(j->app->pool, 5000, &st) == CT_OK) {
            if (now >= d[REPRICE].at)
                ct_app_history_reprice(j); /* before the flush that writes its notes */
            if (now >= d[FLUSH].at || now >= d[REPRICE].at)
                task_flush(j, st);
            if (now >= d[COMPACT].at)
                task_compact(j, st);
            if (now >= d[REFRESH].at)
                task_refresh(j, st);
            ct_store_pool_release(j->app->pool, st);
        }
        for (int i = 0; i < N; i++) {
            if (now >= d[i].at)
                d[i].at = now + d[i].every;
        }
        pthread_mutex_lock(&j->mu);
    }
    pthread_mutex_unlock(&j->mu);
    ct_store *st = NULL;
    if (ct_store_pool_acquire(j->app->pool, 5000, &st) == CT_OK) {
        task_flush(j, st);
        ct_store_pool_release(j->app->pool, st);
    }
    return NULL;
}

ct_status ct_app_history_start(ct_app_history *j)
{
    if (j->history == NULL || j->app->pool == NULL)
        return CT_OK;
    if (pthread_create(&j->thread, NULL, history_thread, j) != 0)
        return CT_ERR;
    j->started = 1;
    return CT_OK;
}

void ct_app_history_stop(ct_app_history *j)
{
    if (j->started) {
        pthread_mutex_lock(&j->mu);
        j->stop = 1;
        pthread_cond_signal(&j->cv);
        pthread_mutex_unlock(&j->mu);
        pthread_join(j->thread, NULL);
        j->started = 0;
    }
    if (j->history != NULL) {
        j->app->history = NULL;
        ct_history_free(j->history);
        j->history = NULL;
        pthread_cond_destroy(&j->cv);
        pthread_mutex_destroy(&j->mu);
    }
}
