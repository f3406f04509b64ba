/* generate.c: `contrail-sandbox generate`: world generation and SSIM publication.
 *
 * Reads the reference data packages into an in-memory SQLite store (the same importer the
 * platform uses), loads the snapshot, generates the world and writes one SSIM file per
 * carrier, then prints what it made and how long each step took. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <time.h>

#include "sandbox/cmd/commands.h"
#include "base/log.h"
#include "base/alloc.h"
#include "base/timeutil.h"
#include "sandbox/world/sandbox_data.h"
#include "sandbox/world/ssim_write.h"
#include "sandbox/world/world.h"

static double seconds_since(const struct timespec *t0)
{
    struct timespec t;
    clock_gettime(CLOCK_MONOTONIC, &t);
    return (double)(t.tv_sec - t0->tv_sec) + (double)(t.tv_nsec - t0->tv_nsec) / 1e9;
}

/* mkdir -p: creates `path` and the folders leading to it; CT_IO (errno set) when one cannot be
 * made, CT_TOO_LARGE for a path over 1023 bytes. */
static ct_status mkdir_p(const char *path)
{
    char buf[1024];
    if (snprintf(buf, sizeof(buf), "%s", path) >= (int)sizeof(buf))
        return CT_TOO_LARGE;
    for (char *p = buf + 1; *p; p++) {
        if (*p == '/') {
            *p = '\0';
            if (mkdir(buf, 0755) != 0 && errno != EEXIST)
                return CT_IO;
            *p = '/';
        }
    }
    return mkdir(buf, 0755) != 0 && errno != EEXIST ? CT_IO : CT_OK;
}

/* The number of airports some flight serves, in *out; CT_NOMEM. */
static ct_status airports_served(const sb_world *w, int *out)
{
    char *seen = ct_calloc((size_t)w->nairports + 1, 1);
    if (seen == NULL)
        return CT_NOMEM;
    for (int i = 0; i < w->nflights; i++)
        for (int l = 0; l < w->flights[i].nlegs; l++) {
            seen[w->flights[i].legs[l].origin] = 1;
            seen[w->flights[i].legs[l].dest] = 1;
        }
    int n = 0;
    for (int i = 0; i < w->nairports; i++)
        n += seen[i];
    ct_free(seen);
    *out = n;
    return CT_OK;
}

const ct_flag sb_generate_flags[] = {
    {"out", CT_FLAG_PATH, "var/sandbox/ssim", "the folder of the SSIM files"},
    {NULL, 0, NULL, NULL},
};

int sb_generate_main(const ct_config *cfg)
{
    sb_world_params p;
    char err[256];
    if (sb_world_params_from_config(cfg, &p, err, sizeof(err))) {
        fprintf(stderr, "contrail-sandbox generate: %s\n", err);
        return 2;
    }
    const char *out = ct_config_get(cfg, "out", "var/sandbox/ssim");
    struct timespec t0;
    clock_gettime(CLOCK_MONOTONIC, &t0);
    sb_data data;
    if (sb_data_open(&p, &data, err, sizeof(err))) {
        fprintf(stderr, "contrail-sandbox generate: %s\n", err);
        return 1;
    }
    double t_world = seconds_since(&t0);
    if (mkdir_p(out) != CT_OK) {
        fprintf(stderr, "contrail-sandbox generate: cannot create %s: %s\n", out, strerror(errno));
        sb_data_close(&data);
        return 1;
    }
    struct timespec t1;
    clock_gettime(CLOCK_MONOTONIC, &t1);
    sb_ssim_stats stats = {0};
    ct_status rc = sb_ssim_write_world(data.world, out, p.start_day, &stats);
    double t_ssim = seconds_since(&t1);
    if (rc) {
        fprintf(stderr, "contrail-sandbox generate: writing SSIM into %s failed\n", out);
        sb_data_close(&data);
        return 1;
    }
    const sb_world *w = data.world;
    int served = 0;
    if (airports_served(w, &served) != CT_OK) {
        fprintf(stderr, "contrail-sandbox generate: out of memory\n");
        sb_data_close(&data);
        return 1;
    }
    char day[16];
    int y, m, d;
    ct_civil_from_days(w->start_day, &y, &m, &d);
    snprintf(day, sizeof(day), "%04d-%02d-%02d", y, m, d);
    printf("world seed %llu, start %s, %s: %d airports (%d served), %d carriers, %d flight "
           "patterns, %ld legs on %s\n",
           (unsigned long long)w->seed, day, p.size == SB_WORLD_SMALL ? "small" : "default",
           w->nairports, served, w->ncarriers, w->nflights, sb_world_legs_on(w, w->start_day), day);
    printf("SSIM: %ld files, %ld leg records, %.1f MB in %s\n", stats.files, stats.records,
           (double)stats.bytes / 1e6, out);
    struct rusage ru;
    getrusage(RUSAGE_SELF, &ru);
    printf("time: reference data + generation %.2f s, SSIM %.2f s; peak memory %.0f MB\n", t_world,
           t_ssim, (double)ru.ru_maxrss / 1024.0);
    sb_data_close(&data);
    return 0;
}
