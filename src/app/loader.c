/* loader.c: the schedule loader thread of `serve` (see loader.h).
 *
 * The thread owns the timetable it loads until ct_app_loader_stop; the app only borrows it
 * (an atomic pointer, set once). Waiting for world.json polls every 100 ms for at most two
 * minutes and gives up early when stop is set.
 *
 * Then, with `poll_s` > 0, the thread watches the schedules: every poll_s seconds a signature
 * of the folders' *.ssim files (name, inode, size, modification time; `contrail import ssim`
 * replaces a file by a rename, so a new inode) is compared with the one taken just before the
 * files were read. When it changed, a timetable of the current files is built over the booked
 * trips' days only (ct_alerts_booked_days, a day before to two after: small whatever the
 * window of the search timetable) and handed to ct_alerts_schedule_check, which reports the
 * booked flights it retimed or cancelled; that timetable is then freed. Searches keep the
 * timetable loaded at start until a restart. */
#include "app/loader.h"

#include <dirent.h>
#include <jansson.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>

#include "alerts/alerts.h"

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

/* The *.ssim files of both folders. */
static void list_files(const ct_app_loader *l, char ***paths, size_t *n)
{
    for (int i = 0; i < 2; i++) {
        if (l->dirs[i][0] && ct_app_ssim_files(l->dirs[i], paths, n) != CT_OK)
            ct_log(CT_LOG_WARN, "schedules.partial", "dir", l->dirs[i], "error", "out of memory",
                   NULL);
    }
}

/* FNV-1a of n bytes, continuing from h. */
static uint64_t fnv(uint64_t h, const void *p, size_t n)
{
    const unsigned char *b = p;
    for (size_t i = 0; i < n; i++)
        h = (h ^ b[i]) * 1099511628211ull;
    return h;
}

uint64_t ct_app_schedules_signature(const ct_app_loader *l)
{
    char **paths = NULL;
    size_t n = 0;
    list_files(l, &paths, &n);
    uint64_t sig = fnv(14695981039346656037ull, &n, sizeof(n));
    for (size_t i = 0; i < n; i++) { /* a sum: the order of the folder does not matter */
        struct stat st;
        uint64_t h = fnv(14695981039346656037ull, paths[i], strlen(paths[i]));
        if (stat(paths[i], &st) == 0) {
            int64_t f[4] = {(int64_t)st.st_ino, (int64_t)st.st_size, (int64_t)st.st_mtim.tv_sec,
                            (int64_t)st.st_mtim.tv_nsec};
            h = fnv(h, f, sizeof(f));
        }
        sig += h;
    }
    ct_app_files_free(paths, n);
    return sig;
}

ct_status ct_app_schedules_recheck(ct_app_loader *l, int *trips)
{
    *trips = 0;
    ct_alerts *a = atomic_load(&l->app->alerts);
    int64_t first = 0, last = 0;
    if (a == NULL || !ct_alerts_booked_days(a, &first, &last))
        return CT_OK; /* nobody's flights to judge */
    char **paths = NULL;
    size_t n = 0;
    list_files(l, &paths, &n);
    ct_timetable *tt = NULL;
    size_t bad = 0;
    ct_status rc = n > 0 ? ct_timetable_load(l->app->refdata, (const char *const *)paths, n,
                                             first - 1, last + 2, &tt, &bad)
                         : CT_OK; /* no files at all: nothing is judged (not "all cancelled") */
    ct_app_files_free(paths, n);
    if (rc == CT_OK && tt != NULL)
        *trips = ct_alerts_schedule_check(a, tt);
    ct_timetable_free(tt);
    return rc;
}

/* Sleeps `s` seconds in steps of 100 ms; 0 when stop was set meanwhile. */
static int nap(ct_app_loader *l, int s)
{
    for (int i = 0; i < s * 10; i++) {
        if (atomic_load(&l->stop))
            return 0;
        struct timespec ts = {0, 100 * 1000 * 1000};
        nanosleep(&ts, NULL);
    }
    return !atomic_load(&l->stop);
}

/* Until stop: a changed signature re-checks the booked trips against the files. */
static void watch(ct_app_loader *l, uint64_t sig)
{
    while (nap(l, l->poll_s)) {
        uint64_t now = ct_app_schedules_signature(l);
        if (now == sig)
            continue;
        sig = now;
        int trips = 0;
        ct_status rc = ct_app_schedules_recheck(l, &trips);
        char nt[16];
        snprintf(nt, sizeof(nt), "%d", trips);
        ct_log(rc ? CT_LOG_WARN : CT_LOG_INFO, "schedules.changed", "trips_changed", nt, "status",
               ct_status_name(rc), NULL);
    }
}

static void *run(void *arg)
{
    ct_app_loader *l = arg;
    if (l->wait_for_world)
        read_world(l);
    uint64_t sig = ct_app_schedules_signature(l); /* before reading: a change meanwhile is seen */
    char **paths = NULL;
    size_t n = 0;
    list_files(l, &paths, &n);
    if (n > 0)
        load(l, paths, n);
    ct_app_files_free(paths, n);
    atomic_store(&l->done, 1);
    if (l->poll_s > 0)
        watch(l, sig);
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
