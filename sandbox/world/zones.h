/* zones.h: exact UTC-offset tables for the zones of the world's airports over its horizon.
 *
 * The generator and the SSIM writer convert hundreds of millions of local times; asking ICU
 * each time would take minutes. So each zone's offset transitions inside the horizon are
 * found once through base/timeutil.h (ICU) and every later conversion is a lookup in a list
 * of at most a few transitions. The ambiguity rules are those of timeutil.h: a repeated
 * local time resolves to its first occurrence, a skipped one is shifted forward by the gap. */
#ifndef CT_SANDBOX_ZONES_H
#define CT_SANDBOX_ZONES_H

#include <stdint.h>

#include "base/status.h"

#define SB_ZONE_MAX_TRANSITIONS 16

typedef struct sb_zone {
    const char *name;
    int ntrans;
    int64_t trans_utc[SB_ZONE_MAX_TRANSITIONS]; /* first instant of the new offset */
    int offset[SB_ZONE_MAX_TRANSITIONS + 1];    /* offset[i] holds before trans_utc[i] */
} sb_zone;

/* Computes the table of `name` for days [first_day, last_day]. CT_INVALID for a bad zone. */
ct_status sb_zone_build(sb_zone *z, const char *name, int64_t first_day, int64_t last_day);

/* Offset in seconds at a UTC instant. */
int sb_zone_offset_at(const sb_zone *z, int64_t utc);

/* UTC instant of local wall-clock seconds (days*86400 + seconds of day). */
int64_t sb_zone_to_utc(const sb_zone *z, int64_t local);

#endif
