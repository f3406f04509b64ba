/* fuzz_world.h: the tiny world the file fuzzers need (header only; drivers that include it
 * link ct_timetable, which brings refdata and store).
 *
 * The reference data is imported once per process from the npm packages in
 * CT_SOURCE_DIR/data/node_modules into a SQLite file in the driver's temporary folder; the
 * timetable is built from the SSIM seed tests/fuzz/corpus/ssim_fuzz/clean.ssim (Swiss flights
 * of summer 2026: a few dozen dated legs over FZ_FROM..FZ_TO), copied into that folder with a
 * fixed modification time so that its cache key is the same in every run. Failures abort. */
#ifndef CT_FUZZ_WORLD_H
#define CT_FUZZ_WORLD_H

#include <fcntl.h>
#include <sys/stat.h>

#include "base/timeutil.h"
#include "fuzz.h"
#include "refdata/refdata.h"
#include "store/migrate.h"
#include "store/store.h"
#include "timetable/timetable.h"

#define FZ_FROM "2026-03-29"
#define FZ_TO   "2026-04-04"

static inline ct_refdata *fz_refdata(const char *name)
{
    static ct_refdata *rd;
    if (rd != NULL)
        return rd;
    char url[400], err[256];
    snprintf(url, sizeof(url), "sqlite:%s/refdata.db", fz_tempdir(name));
    ct_store *st = NULL;
    ct_import_report rep;
    if (ct_store_open(url, &st, err, sizeof(err)) != CT_OK || ct_store_migrate(st, NULL) != CT_OK ||
        ct_refdata_import(st, CT_SOURCE_DIR "/data/node_modules", &rep) != CT_OK ||
        ct_refdata_load(st, &rd) != CT_OK) {
        fprintf(stderr, "fuzz: reference data: %s (run `make test` once: npm ci in data/)\n", err);
        abort();
    }
    ct_store_close(st);
    return rd;
}

/* The SSIM file the timetable is built from (its path, made on the first call). */
static inline const char *fz_schedule_path(const char *name)
{
    static char path[300];
    if (path[0] != '\0')
        return path;
    size_t len = 0;
    unsigned char *ssim =
        fz_read_file(CT_SOURCE_DIR "/tests/fuzz/corpus/ssim_fuzz/clean.ssim", &len);
    if (ssim == NULL)
        abort();
    snprintf(path, sizeof(path), "%s/LX.ssim", fz_tempdir(name));
    fz_write_file(path, ssim, len);
    free(ssim);
    struct timespec when[2] = {{.tv_sec = 1790000000}, {.tv_sec = 1790000000}};
    if (utimensat(AT_FDCWD, path, when, 0) != 0)
        abort();
    return path;
}

static inline void fz_window(int64_t *from, int64_t *to)
{
    if (ct_date_parse(FZ_FROM, from) != CT_OK || ct_date_parse(FZ_TO, to) != CT_OK)
        abort();
}

/* A timetable over FZ_FROM..FZ_TO (the caller frees it). */
static inline ct_timetable *fz_timetable(const char *name)
{
    const char *paths[] = {fz_schedule_path(name)};
    int64_t from, to;
    fz_window(&from, &to);
    ct_timetable *tt = NULL;
    if (ct_timetable_load(fz_refdata(name), paths, 1, from, to, &tt, NULL) != CT_OK)
        abort();
    return tt;
}

#endif
