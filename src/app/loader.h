/* loader.h: the schedule loader of `serve`: SSIM files -> the timetable searches read.
 *
 * A background thread, so that `serve` listens at once: it waits for the sandbox world's
 * world.json when told to (the world publishes it after starting), collects the *.ssim files
 * of the operator's schedules folder and of the world's SSIM folder, opens the timetable from
 * its cache file when the cache's key matches those files and its window covers the one asked
 * for, or else builds it (with the window extended by CT_TIMETABLE_CACHE_SLACK_DAYS when a
 * cache is kept, so that one file serves a week of daily restarts). The timetable is
 * published to the API first; then a build is saved to the cache, or a cache hit is read
 * ahead (MADV_WILLNEED); then the prices start over it (app/prices.h) with the providers of
 * world.json. */
#ifndef CT_APP_LOADER_H
#define CT_APP_LOADER_H

#include <pthread.h>
#include <stdatomic.h>
#include <stddef.h>
#include <stdint.h>

#include "api/api.h"
#include "app/prices.h"
#include "refdata/refdata.h"
#include "timetable/timetable.h"

/* One loader. Zero it, set the inputs, then ct_app_loader_start. */
typedef struct ct_app_loader {
    /* Inputs. */
    ct_app *app;        /* the API's state: refdata is read, timetable (and prices) published */
    char dirs[2][1024]; /* the operator's schedules folder, the world's SSIM folder ("" = none;
                         * the second is read from world.json when wait_for_world) */
    int wait_for_world; /* 1: read world_json first (it appears once the world runs) */
    char world_json[1100];
    int64_t from_day;     /* the window's first day (days since 1970); 0: today (UTC) */
    int days;             /* the window: from_day and the days - 1 after it */
    char cache[1024];     /* the timetable cache file, "" = no cache */
    ct_app_prices prices; /* its inputs set by the caller; started once the timetable is in */
    int poll_s; /* > 0: then watch the folders every poll_s seconds (booked trips' schedule
                 * changes, ct_app_schedules_recheck); 0: the thread ends after loading */
    /* State. */
    atomic_int stop;      /* set by ct_app_loader_stop: stop waiting for the world, watching */
    atomic_int done;      /* 1 once the schedules are loaded (or given up); the thread may go
                           * on watching */
    int cache_hit;        /* after done: 1 when the timetable came from the cache */
    ct_timetable *loaded; /* owned; freed by ct_app_loader_stop */
    pthread_t thread;
    int started;
} ct_app_loader;

/* Starts the loader thread. CT_ERR when the thread cannot be created. */
ct_status ct_app_loader_start(ct_app_loader *l);

/* Stops waiting for the world, joins the thread, stops the prices (ct_app_prices_stop) and
 * frees the timetable (withdrawn from the app first). Safe on a loader never started. */
void ct_app_loader_stop(ct_app_loader *l);

/* Appends the paths of the *.ssim files of `dir` (in directory order) to the array *paths of
 * *n strings, both grown with ct_realloc/ct_malloc (ct_app_files_free). A folder that cannot
 * be opened adds nothing (CT_OK: no schedules there); CT_NOMEM when out of memory (what was
 * added stays). */
ct_status ct_app_ssim_files(const char *dir, char ***paths, size_t *n);

/* Frees an array made by ct_app_ssim_files. */
void ct_app_files_free(char **paths, size_t n);

/* A signature of the *.ssim files of the loader's folders (paths, inodes, sizes, modification
 * times): it changes when a file is added, removed or replaced. */
uint64_t ct_app_schedules_signature(const ct_app_loader *l);

/* What the watch does after the files changed: the booked trips' flights (the app's alerts
 * engine; none: nothing) judged against a timetable of the folders' current files over their
 * days (ct_alerts_schedule_check); *trips = the trips with a change to report. The timetable
 * build's failure (the trips are then not judged). */
ct_status ct_app_schedules_recheck(ct_app_loader *l, int *trips);

/* The timetable of `files` over [from_day, from_day + days - 1]: opened from `cache` when it
 * matches (ct_timetable_open_cache; *hit = 1), else built (ct_timetable_load, the window
 * extended by CT_TIMETABLE_CACHE_SLACK_DAYS when `cache` is not ""; *hit = 0). The caller owns
 * *out and saves a build to the cache itself (after publishing it). CT_OK, or the build's
 * failure. */
ct_status ct_app_timetable_open(const ct_refdata *rd, const char *const *files, size_t n,
                                int64_t from_day, int days, const char *cache, ct_timetable **out,
                                int *hit);

#endif
