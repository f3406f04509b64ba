/* smallworld.c: the small sandbox world for tests (see smallworld.h). */
#include "smallworld.h"

#include "ct_test.h"

#include <stdio.h>
#include <string.h>

#include "base/timeutil.h"
#include "sandbox/world/ssim_write.h"
#include "testsupport.h"

void ts_small_world_open(ts_small_world *w, int seed)
{
    memset(w, 0, sizeof(*w));
    ct_date_parse("2026-11-23", &w->start);
    char err[256];
    sb_world_params p = {(uint64_t)seed, w->start, SB_WORLD_SMALL, ts_refdata_dir()};
    if (sb_data_open(&p, &w->data, err, sizeof(err)))
        fail_msg("world: %s", err);
    ts_tempdir(w->dir, sizeof(w->dir));
    sb_ssim_stats st = {0};
    if (sb_ssim_write_world(w->data.world, w->dir, w->start, &st) != CT_OK)
        fail_msg("ssim");
    for (int c = 0; c < w->data.world->ncarriers && w->npaths < TS_SMALL_WORLD_MAX_FILES; c++) {
        snprintf(w->names[w->npaths], sizeof(w->names[0]), "%s/%s.ssim", w->dir,
                 w->data.world->carriers[c].code);
        w->paths[w->npaths] = w->names[w->npaths];
        w->npaths++;
    }
}

ct_timetable *ts_small_world_timetable(ts_small_world *w, int days)
{
    ct_timetable *tt = NULL;
    size_t bad = 0;
    if (ct_timetable_load(w->data.refdata, w->paths, w->npaths, w->start, w->start + days - 1, &tt,
                          &bad) != CT_OK)
        fail_msg("timetable");
    if (bad != 0)
        fail_msg("%zu bad SSIM records", bad);
    return tt;
}

void ts_small_world_close(ts_small_world *w)
{
    sb_data_close(&w->data);
    ts_rmtree(w->dir);
}
