/* smallworld.h: the small sandbox world as SSIM files and a timetable, for tests.
 *
 * Generates the small world of a seed from 2026-11-23, writes one SSIM file per carrier into
 * a fresh temporary folder (through the sandbox's writer, as `make run` publishes them) and
 * loads timetables from those files through the platform's reader. Failures fail the test. */
#ifndef CT_TEST_SMALLWORLD_H
#define CT_TEST_SMALLWORLD_H

#include <stddef.h>
#include <stdint.h>

#include "sandbox/world/sandbox_data.h"
#include "timetable/timetable.h"

#define TS_SMALL_WORLD_MAX_FILES 64

typedef struct ts_small_world {
    sb_data data; /* the world (data.world) and its reference data (data.refdata) */
    char dir[256];
    char names[TS_SMALL_WORLD_MAX_FILES][300];
    const char *paths[TS_SMALL_WORLD_MAX_FILES];
    size_t npaths;
    int64_t start; /* 2026-11-23, days since 1970 */
} ts_small_world;

void ts_small_world_open(ts_small_world *w, int seed);
/* A timetable over [start, start + days - 1]; no SSIM record may be bad. Caller frees it. */
ct_timetable *ts_small_world_timetable(ts_small_world *w, int days);
void ts_small_world_close(ts_small_world *w);

#endif
