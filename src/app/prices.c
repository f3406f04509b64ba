/* prices.c: the pricebook, its feeds and their persistence for `serve` (see prices.h).
 *
 * The ingest thread calls on_synced after every sync; it saves once every provider has
 * completed a full pass (the first such sync, then at most every CT_APP_PRICES_SAVE_EVERY_S).
 * The save runs in that thread between syncs, and ct_pricebook_save holds only the writers'
 * mutex, so searches are never blocked by it. */
#include "app/prices.h"

#include <stdatomic.h>
#include <stdio.h>
#include <string.h>
#include <time.h>

#include "alerts/alerts.h"
#include "app/cluster.h"
#include "base/log.h"

static int64_t mono_s(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (int64_t)ts.tv_sec;
}

/* The feeds' state beside the pricebook file. */
static void state_path(ct_app_prices *p)
{
    snprintf(p->pb_state, sizeof(p->pb_state), "%s.state.json", p->pb_cache);
}

ct_status ct_app_prices_save(ct_app_prices *p)
{
    state_path(p);
    struct timespec t0, t1;
    clock_gettime(CLOCK_MONOTONIC, &t0);
    ct_status rc = ct_pricebook_save(p->pricebook, p->pb_cache);
    if (!rc)
        rc = ct_ingest_save_state(p->ingest, p->pb_state);
    clock_gettime(CLOCK_MONOTONIC, &t1);
    char secs[32];
    snprintf(secs, sizeof(secs), "%.3f",
             (double)(t1.tv_sec - t0.tv_sec) + (double)(t1.tv_nsec - t0.tv_nsec) / 1e9);
    ct_log(rc ? CT_LOG_WARN : CT_LOG_INFO, rc ? "prices.not_saved" : "prices.saved", "path",
           p->pb_cache, "seconds", secs, "error", ct_status_name(rc), NULL);
    p->last_save = mono_s();
    return rc;
}

/* The ingest thread, after each sync. */
static void on_synced(void *ctx, ct_ingest *ing, ct_status rc)
{
    ct_app_prices *p = ctx;
    ct_ingest_stats st[CT_MAX_PROVIDERS];
    int n = ct_ingest_stats_get(ing, st, CT_MAX_PROVIDERS), all = n > 0;
    for (int i = 0; i < n; i++)
        all = all && st[i].full_done;
    if (rc == CT_OK && all &&
        (!p->saved_full || mono_s() - p->last_save >= CT_APP_PRICES_SAVE_EVERY_S)) {
        ct_app_prices_save(p);
        p->saved_full = 1;
    }
}

ct_status ct_app_prices_load(ct_app_prices *p, int *loaded)
{
    state_path(p);
    ct_status rc = ct_pricebook_load(p->pricebook, p->pb_cache, &p->pb_loaded);
    int resumed = 0;
    ct_status src = p->pb_loaded ? ct_ingest_load_state(p->ingest, p->pb_state, &resumed) : rc;
    char n[16];
    snprintf(n, sizeof(n), "%d", resumed);
    ct_log(CT_LOG_INFO, "prices.cache", "path", p->pb_cache, "result",
           p->pb_loaded ? "hit" : "miss", "error", ct_status_name(rc), "state", ct_status_name(src),
           "providers_resumed", n, NULL);
    if (loaded != NULL)
        *loaded = p->pb_loaded;
    return rc ? rc : src;
}

void ct_app_prices_read_providers(ct_app_prices *p, const json_t *doc)
{
    ct_partner_directory_read(doc, &p->partners);
    for (int i = 0; i < p->partners.n && p->ingest_cfg.nproviders < CT_MAX_PROVIDERS; i++) {
        const ct_partner *x = &p->partners.partners[i];
        ct_ingest_provider_cfg *pc = &p->ingest_cfg.providers[p->ingest_cfg.nproviders++];
        /* Copied through locals: gcc's -Wrestrict (Asan build) cannot tell that the two
         * members of *p do not overlap. */
        char name[sizeof(pc->name)], url[sizeof(pc->base_url)];
        snprintf(name, sizeof(name), "%s", x->name);
        snprintf(url, sizeof(url), "%s", x->base_url);
        memcpy(pc->name, name, sizeof(name));
        memcpy(pc->base_url, url, sizeof(url));
        pc->dialect = (ct_ingest_dialect)x->dialect;
    }
}

ct_status ct_app_prices_start(ct_app_prices *p, ct_app *app, const ct_timetable *tt)
{
    if (p->ingest_cfg.nproviders == 0)
        return CT_OK;
    if (ct_pricebook_new(tt, &p->pricebook) != CT_OK || ct_bus_new(&p->bus) != CT_OK) {
        ct_log(CT_LOG_ERROR, "prices.failed", "error", "out of memory", NULL);
        return CT_NOMEM;
    }
    p->ingest_cfg.bus = p->bus;
    if (p->ingest_days > 0) {
        int64_t today = (int64_t)(time(NULL) / 86400);
        p->ingest_cfg.from_day = today;
        p->ingest_cfg.to_day = today + p->ingest_days - 1;
    }
    if (p->pb_cache[0]) {
        p->ingest_cfg.on_sync = on_synced;
        p->ingest_cfg.on_sync_ctx = p;
    }
    ct_alerts *alerts = atomic_load(&app->alerts);
    if (alerts != NULL && ct_alerts_attach(alerts, tt, p->pricebook, p->bus) != CT_OK)
        ct_log(CT_LOG_WARN, "prices.alerts", "error", "price alerts not attached", NULL);
    ct_status rc = ct_ingest_new(p->pricebook, &p->ingest_cfg, &p->ingest);
    if (rc == CT_OK && p->pb_cache[0]) {
        int loaded = 0;
        ct_app_prices_load(p, &loaded);
        if (loaded) /* published at once: prices before the first sync */
            atomic_store(&app->pricebook, p->pricebook);
    }
    if (rc == CT_OK)
        rc = p->cluster != NULL ? ct_app_cluster_start(p->cluster, p->pricebook, p->ingest)
                                : ct_ingest_start(p->ingest);
    if (rc) {
        ct_log(CT_LOG_ERROR, "prices.failed", "error", "cannot start ingestion", NULL);
        return rc;
    }
    atomic_store(&app->pricebook, p->pricebook);
    atomic_store(&app->ingest, p->ingest);
    char n[16];
    snprintf(n, sizeof(n), "%d", p->ingest_cfg.nproviders);
    ct_log(CT_LOG_INFO, "prices.ingesting", "providers", n, NULL);
    return CT_OK;
}

void ct_app_prices_stop(ct_app_prices *p, ct_app *app)
{
    if (app != NULL) {
        atomic_store(&app->pricebook, NULL);
        atomic_store(&app->ingest, NULL);
    }
    ct_app_cluster_stop(p->cluster); /* as leader: stops ingestion, hands the lease over */
    ct_ingest_stop(p->ingest);
    ct_ingest_stats st;
    if (p->ingest != NULL && p->pb_cache[0] &&
        (p->pb_loaded || (ct_ingest_stats_get(p->ingest, &st, 1) == 1 && st.full_done)))
        ct_app_prices_save(p);
    ct_ingest_free(p->ingest);
    ct_pricebook_free(p->pricebook);
    ct_bus_free(p->bus);
    p->ingest = NULL;
    p->pricebook = NULL;
    p->bus = NULL;
}
