/* ssim_write.h: publishes a generated world as IATA SSIM Chapter 7 files, one per carrier,
 * in exactly the layout of docs/ssim.md (the platform's reader, src/timetable/, reads them).
 *
 * Local-time mode. Each flight pattern's period is split wherever a daylight-saving change
 * moves a UTC variation, an arrival time or an arrival date variation, so every record states
 * times that hold on every date of its period. */
#ifndef CT_SANDBOX_SSIM_WRITE_H
#define CT_SANDBOX_SSIM_WRITE_H

#include <stdio.h>

#include "sandbox/world/world.h"

typedef struct sb_ssim_stats {
    long files;
    long records; /* type 3 records (flight legs) */
    long bytes;
} sb_ssim_stats;

/* Writes carrier `c`'s schedule to f. `created_day` goes into the creation and release
 * dates. Adds to *stats. CT_IO on a write error. */
ct_status sb_ssim_write_carrier(const sb_world *w, int c, FILE *f, int64_t created_day,
                                sb_ssim_stats *stats);

/* Writes DIR/<DESIGNATOR>.ssim for every carrier (DIR must exist). */
ct_status sb_ssim_write_world(const sb_world *w, const char *dir, int64_t created_day,
                              sb_ssim_stats *stats);

#endif
