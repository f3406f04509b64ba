/* loader.c: the schedule loader thread of `serve` (see loader.h).
 *
 * The thread owns the timetable it loads until ct_app_loader_stop; the app only borrows it
 * (an atomic pointer, set once). Waiting for world.json polls every 100 ms for at most two
 * minutes and gives up early when stop is set. */
#include "app/loader.h"

#include <dirent.h>
#include <jansson.h>
#include <stdio.h>
#include <string.h>
#include <time.h>

#include "base/alloc.h"
#include "base/log.h"
#include "base/timeutil.h"

ct_status ct_app_ssim_files(const char *dir, char ***paths, size_t *n)
{
    DIR *d = opendir(dir);
    if (d == NULL)
        return CT_OK;
    ct_status rc = CT_OK;
    struct dirent *e;
    while ((e = readdir(d)) != NULL) {
        size_t len = strlen(e->d_name);
        if (len < 6 || strcmp(e->d_name + len - 5, ".ssim") != 0)
            continue;
        char **grown = ct_realloc(*paths, (*n + 1) * sizeof(char *));
        if (grown == NULL) {
            rc = CT_NOMEM;
            goto cleanup;
        }
        *paths = grown;
        size_t need = strlen(dir) + len + 2;
        char *path = ct_malloc(need);
        if (path == NULL) {
            rc = CT_NOMEM;
            goto cleanup;
        }
        snprintf(path, need, "%s/%s", dir, e->d_name);
        (*paths)[(*n)++] = path;
    }
cleanup:
    closedir(d);
    return rc;
}

void ct_app_files_free(char **paths, size_t n)
{
    for (size_t i = 0; i < n; i++)
        ct_free(paths[i]);
    ct_free(paths);
}

ct_status ct_app_timetable_open(const ct_refdata *rd, const char *const *files, size_t n,
                                int64_t from_day, int days, const char *cache, ct_timetable **out,
                                int *hit)
{
    int64_t last = from_day + days - 1;
    *hit = ct_timetable_open_cache(rd, files, n, from_day, last, cache, out) == CT_OK;
    if (*hit)
        return CT_OK;
    if (cache[0])
        last += CT_TIMETABLE_CACHE_SLACK_DAYS;
    size_t bad = 0;
    return ct_timetable_load(rd, files, n, from_day, last, out, &bad);
}

/* Waits for world.json (two minutes at most), then takes the world's SSIM folder and its
 * providers from it. */
static void read_world(ct_app_loader *l)
{
    json_t *doc = NULL;
    for (int i = 0; i < 1200 && doc == NULL && !atomic_load(&l->stop); i++) {
        struct timespec ts = {0, 100 * 1000 * 1000};
        nanosleep(&ts, NULL);
        doc = json_load_file(l->world_json, 0, NULL);
    }
    const char *ssim = doc ? json_string_value(json_object_get(doc, "ssim_dir")) : NULL;
    snprintf(l->dirs[1], sizeof(l->dirs[1]), "%s", ssim ? ssim : "");
    if (doc != NULL) {
        ct_app_prices_read_providers(&l->prices, doc);
        atomic_store(&l->app->partners, &l->prices.partners);
    }
    json_decref(doc);
}

/* The timetable of these files published, cached (or read ahead), then the prices. */
static void load(ct_app_loader *l, char **paths, size_t n)
{
    const char *const *files = (const char *const *)paths;
    int64_t from = l->from_day ? l->from_day : ct_utc_now() / 86400;
    int hit = 0;
    if (ct_app_timetable_open(l->app->refdata, files, n, from, l->days, l->cache, &l->loaded,
                              &hit) != CT_OK) {
        ct_log(CT_LOG_ERROR, "schedules.failed", NULL);
        return;
    }
    l->cache_hit = hit;
    atomic_store(&l->app->timetable, l->loaded);
    char legs[32], nfiles[32];
    snprintf(legs, sizeof(legs), "%zu", l->loaded->nlegs);
    snprintf(nfiles, sizeof(nfiles), "%zu", n);
    ct_log(CT_LOG_INFO, "schedules.loaded", "files", nfiles, "dated_legs", legs, "cache",
           !l->cache[0] ? "off"
           : hit        ? "hit"
                        : "miss",
           NULL);
    if (hit)
        ct_timetable_prefetch(l->loaded);
    else if (l->cache[0] && ct_timetable_save(l->loaded, l->cache) != CT_OK)
        ct_log(CT_LOG_WARN, "schedules.cache_not_saved", "path", l->cache, NULL);
    if (!atomic_load(&l->stop))
        ct_app_prices_start(&l->prices, l->app, l->loaded);
}

static void *run(void *arg)
{
    ct_app_loader *l = arg;
    if (l->wait_for_world)
        read_world(l);
    char **paths = NULL;
    size_t n = 0;
    for (int i = 0; i < 2; i++) {
        if (l->dirs[i][0] && ct_app_ssim_files(l->dirs[i], &paths, &n) != CT_OK)
            ct_log(CT_LOG_WARN, "schedules.partial", "dir", l->dirs[i], "error", "out of memory",
                   NULL);
    }
    if (n > 0)
        load(l, paths, n);
    ct_app_files_free(paths, n);
    atomic_store(&l->done, 1);
    return NULL;
}

ct_status ct_app_loader_start(ct_app_loader *l)
{
    l->started = pthread_create(&l->thread, NULL, run, l) == 0;
    return l->started ? CT_OK : CT_ERR;
}

void ct_app_loader_stop(ct_app_loader *l)
{
    atomic_store(&l->stop, 1);
    if (l->started)
        pthread_join(l->thread, NULL);
    l->started = 0;
    ct_app_prices_stop(&l->prices, l->app);
    if (l->app != NULL)
        atomic_store(&l->app->timetable, NULL);
    ct_timetable_free(l->loaded);
    l->loaded = NULL;
}
