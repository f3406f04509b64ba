/* timetable.h: the compact in-memory timetable of dated flight legs.
 *
 * Built from SSIM files (timetable/ssim.h) over a window of days: every leg record is
 * expanded to the dates it operates on. Layout: one array of 24-byte dated legs sorted by
 * departure airport, then UTC departure; a CSR index gives each airport's slice
 * (first[a] .. first[a+1]). Airports are the reference snapshot's (refdata.h) indices, so
 * the search can use metro areas and countries directly. A second index (by_arr) orders the
 * same legs by arrival airport, then departure airport and time, for searches that work
 * backwards from the destination. Times are UTC minutes since
 * 1970-01-01 in 32 bits (good until 6053). The structure is immutable once built: any number
 * of threads read it without locks; a refresh builds a new one and swaps the pointer.
 *
 * Legs whose airports the reference data does not know are skipped and counted. */
#ifndef CT_TIMETABLE_TIMETABLE_H
#define CT_TIMETABLE_TIMETABLE_H

#include <stddef.h>
#include <stdint.h>

#include "base/status.h"
#include "refdata/refdata.h"

typedef struct ct_leg {
    int32_t dep, arr;   /* UTC minutes since 1970 */
    int32_t local_date; /* local departure date, days since 1970 */
    uint16_t from, to;  /* airport indices (ct_refdata_airport_at) */
    uint16_t carrier;   /* index into ct_timetable.carriers */
    uint16_t number;    /* flight number */
    uint8_t leg_seq;    /* leg of a multi-leg flight, 1.. */
    uint8_t seats_j;    /* business seats > 0 (capped at 255) */
    uint16_t seats_y;   /* economy seats */
} ct_leg;

typedef struct ct_timetable {
    const ct_refdata *rd; /* borrowed */
    ct_leg *legs;         /* sorted by (from, dep) */
    size_t nlegs;
    uint32_t *first;     /* nairports + 1 offsets into legs */
    uint32_t *by_arr;    /* leg indices sorted by (to, from, dep) */
    uint32_t *first_arr; /* nairports + 1 offsets into by_arr, by arrival airport */
    size_t nairports;
    uint16_t *country;   /* per airport: a country id (same id = same country) */
    char (*carriers)[4]; /* designators, index = ct_leg.carrier */
    size_t ncarriers;
    int64_t from_day, to_day; /* the window the legs were expanded over (inclusive) */
    size_t skipped;           /* records whose airports are unknown */
} ct_timetable;

/* Builds a timetable from SSIM files for departures in [from_day, to_day]. Diagnostics of
 * the SSIM reader are counted in *bad_records (may be NULL). The caller owns *out. */
ct_status ct_timetable_load(const ct_refdata *rd, const char *const *paths, size_t npaths,
                            int64_t from_day, int64_t to_day, ct_timetable **out,
                            size_t *bad_records);
void ct_timetable_free(ct_timetable *tt);

/* The airport index of an IATA airport code, or -1. */
int ct_timetable_airport(const ct_timetable *tt, const char *iata);

#endif
