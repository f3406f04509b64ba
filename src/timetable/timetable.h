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
 * Legs whose airports the reference data does not know are skipped and counted.
 *
 * The binary cache (timetable/cache.c). Building a year of the default world takes seconds;
 * ct_timetable_save writes the built arrays to a file, and ct_timetable_open_cache maps that
 * file read-only (MAP_PRIVATE) so the arrays point straight into the page cache: no copy, no
 * parse, the first search can run at once and pages fault in as they are used. File layout,
 * all in the writer's byte order (checked on open):
 *
 *   header (240 bytes): magic "CTTIMETB", format version, byte-order mark 0x01020304,
 *     header size, sizeof(ct_leg), file size, nlegs, nairports, ncarriers, skipped, the
 *     window [from_day, to_day], the 32-byte input key, (offset, length) of each section,
 *     and a BLAKE2b check of the header and the small sections;
 *   sections, each at a 64-byte aligned offset: legs, first, by_arr, first_arr, country,
 *     carriers (the arrays of ct_timetable, byte for byte).
 *
 * The key is a BLAKE2b hash of the inputs, taken before the SSIM files are read: for each
 * SSIM path in order its name, size, modification time (ns) and its first and last 64 KiB;
 * then the reference data's airports in index order (IATA code and country), since legs
 * store airport indices and the country ids are derived from them. A different file list,
 * a touched or edited file, or a changed airport list gives another key: the cache is
 * stale and is rebuilt. A change to the build's rules must bump the format version.
 *
 * The window is not part of the key. A cache answers a request for [from_day, to_day] when
 * its own window covers it; searches go by date, so extra days on either side do no harm
 * (the timetable's own from_day/to_day say what it holds). So that a cache built today still
 * covers tomorrow's "today + horizon", a rebuilt timetable extends its end by
 * CT_TIMETABLE_CACHE_SLACK_DAYS; a cache is therefore reused for that many days of restarts
 * (at about 2% more memory for a year) and then rebuilt once.
 *
 * What is checked on open: the header fields, the key, the window, every section's length
 * against the counts and against the file's length (a truncated file is refused), the check
 * hash over the header and the CSR offsets, country ids and carriers, and that both CSR
 * offset arrays run from 0 to nlegs without decreasing. The two large sections (legs,
 * by_arr) are not hashed on open: that would read the whole file and defeat the lazy
 * mapping. Their integrity rests on the atomic write (temporary file, fsync, rename, fsync
 * of the folder): a reader sees the old file or the complete new one. */
#ifndef CT_TIMETABLE_TIMETABLE_H
#define CT_TIMETABLE_TIMETABLE_H

#include <stddef.h>
#include <stdint.h>

#include "base/status.h"
#include "refdata/refdata.h"

typedef struct ct_leg {
    int32_t dep, arr;   /* UTC minutes since 1970 */
    int16_t local_date; /* local departure date, days since 1970 (CT_LOCAL_DATE_MAX at most) */
    uint16_t from, to;  /* airport indices (ct_refdata_airport_at) */
    uint16_t carrier;   /* index into ct_timetable.carriers */
    uint16_t number;    /* flight number */
    uint8_t leg_seq;    /* leg of a multi-leg flight, 1.. */
    uint8_t seats_j;    /* business seats (SSIM cabins J and C, capped at 255) */
    uint16_t seats_y;   /* economy seats (cabin Y) */
    uint8_t seats_w;    /* premium economy seats (cabin W, capped at 255) */
    uint8_t seats_f;    /* first seats (cabin F, capped at 255) */
} ct_leg;

/* The last local date a leg can have (2059-09-16): ct_leg.local_date is 16 bits so that the
 * four cabins' seat counts fit in 24 bytes a leg; later days are not expanded. */
#define CT_LOCAL_DATE_MAX INT16_MAX

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

    /* Private to timetable/: who owns the arrays above and what they were built from. */
    void *_Atomic arrival_routes; /* routes.c: per airport, built on first use; or NULL */
    void *_Atomic departure_days; /* routes.c: per airport, its first leg of each day */
    void *mapping;         /* the cache file mapped read-only; NULL: the arrays are heap blocks */
    size_t mapping_len;    /* bytes mapped */
    unsigned char key[32]; /* the inputs' key (see the file comment), valid when has_key */
    int has_key;
} ct_timetable;

/* Days a rebuilt timetable extends past the window asked for when it is meant for the
 * cache (see the file comment). */
#define CT_TIMETABLE_CACHE_SLACK_DAYS 7

/* Builds a timetable from SSIM files for departures in [from_day, to_day]. Diagnostics of
 * the SSIM reader are counted in *bad_records (may be NULL). The caller owns *out. */
ct_status ct_timetable_load(const ct_refdata *rd, const char *const *paths, size_t npaths,
                            int64_t from_day, int64_t to_day, ct_timetable **out,
                            size_t *bad_records);

/* Frees a timetable made by any function here: heap arrays are freed, a mapped cache file is
 * unmapped. NULL is a no-op. */
void ct_timetable_free(ct_timetable *tt);

/* Writes tt to `path` in the cache format above, atomically (ct_file_replace, base/fileutil.h:
 * a uniquely named temporary file beside it, fsync, rename over `path`, fsync of the folder
 * (created, parents included, when missing). On any failure the old file, if any, is left as it was
 * and the temporary file is removed. CT_INVALID when tt has no input key (it was not made by
 * ct_timetable_load or the cache), CT_IO on a file-system error. */
ct_status ct_timetable_save(const ct_timetable *tt, const char *path);

/* Opens the cache file `cache_path` when it was built from exactly these inputs (the key of
 * `paths` and `rd`, see the file comment) and its window covers [from_day, to_day]: the
 * timetable's arrays then point into a read-only mapping of the file. The caller owns *out
 * (ct_timetable_free). CT_NOT_FOUND when there is no usable cache: the file is missing,
 * stale, of another format version or byte order, truncated or damaged (never a crash), or
 * an input cannot be read; CT_NOMEM when memory runs out. */
ct_status ct_timetable_open_cache(const ct_refdata *rd, const char *const *paths, size_t npaths,
                                  int64_t from_day, int64_t to_day, const char *cache_path,
                                  ct_timetable **out);

/* The cache or a build: ct_timetable_open_cache, and when that finds nothing usable,
 * ct_timetable_load over [from_day, to_day + CT_TIMETABLE_CACHE_SLACK_DAYS] followed by
 * ct_timetable_save to `cache_path` (a failed save is logged, not returned: the built
 * timetable is still good). *hit (may be NULL) is 1 when the cache was used. The caller owns
 * *out. Fails as ct_timetable_load does. */
ct_status ct_timetable_open_cached(const ct_refdata *rd, const char *const *paths, size_t npaths,
                                   int64_t from_day, int64_t to_day, const char *cache_path,
                                   ct_timetable **out, int *hit);

/* For a timetable mapped from the cache: asks the kernel to read the whole file ahead
 * (MADV_WILLNEED), so later searches do not wait on the disk. It may block while the reads
 * are queued: call it from a background thread. No-op for a built timetable. */
void ct_timetable_prefetch(const ct_timetable *tt);

/* A 32-byte name of exactly these dated legs, for data derived from leg indices (the
 * pricebook's file): a hash of the counts, the window, the carrier designators and the legs
 * array itself (not of the inputs' key: the sandbox rewrites its SSIM files at every start,
 * with the same legs). Reads every leg: about 0.1 s per 500 MB in memory. */
void ct_timetable_identity(const ct_timetable *tt, unsigned char out[32]);

/* Internal to timetable/: the input key of `paths` and `rd` (see the file comment). CT_IO
 * when a file cannot be read. */
ct_status ct__timetable_key(const ct_refdata *rd, const char *const *paths, size_t npaths,
                            unsigned char key[32]);

/* First index in airport a's slice (first[a] .. first[a+1]) departing at or after t (UTC
 * minutes since 1970); first[a+1] when none. Through a per-airport day index built on the
 * airport's first lookup (routes.c), then a binary search within the day: a search over a
 * whole year of a hub's departures cost a cache miss per step. */
uint32_t ct_timetable_first_departure(const ct_timetable *tt, uint16_t a, int32_t t);

/* Index of the dated leg of carrier index `carrier`, flight `number`, departing airport
 * `from` at UTC minute `dep`, or -1 when there is none (a lookup: absent is not an error). */
int64_t ct_timetable_find_leg(const ct_timetable *tt, int carrier, int number, uint16_t from,
                              int32_t dep);

/* The legs into one airport grouped by departure airport, by_arr's runs (routes.c). Why:
 * a search wants, for each airport with legs into its destination, those departing within a
 * few days; a binary search per run over a year of legs reached through by_arr costs dozens
 * of cache misses per run. This index gives each run's slice for a day in two loads.
 * Built on the first call for that airport (one pass over its arrival slice), then shared
 * by every thread and kept until ct_timetable_free; about 2 bytes per route and day. */
typedef struct ct_arrival_routes {
    uint32_t nroutes;
    uint32_t ndays;      /* day k starts at UTC minute (tt->from_day - 1 + k) x 1440 */
    uint16_t *from;      /* per route: the departure airport */
    uint32_t *lo;        /* per route: its first position in by_arr; lo[nroutes]: the end */
    uint16_t *day_first; /* per route, ndays + 1 entries: offset from lo of its first leg
                            departing at or after day k's start (the run's length past it) */
} ct_arrival_routes;

/* The index for airport d; NULL when memory runs out (callers search by_arr instead). */
const ct_arrival_routes *ct_timetable_arrival_routes(const ct_timetable *tt, uint16_t d);
/* Internal to timetable/: the first index in legs[lo, hi) (one airport's, sorted by
 * departure) departing at or after t. */
uint32_t ct__timetable_first_at(const ct_timetable *tt, uint32_t lo, uint32_t hi, int64_t t);
/* Internal to timetable/: narrows [*lo, *hi) of airport a's departures to the day of t
 * (unchanged when the day index cannot be built). */
void ct__timetable_day_range(const ct_timetable *tt, uint16_t a, int32_t t, uint32_t *lo,
                             uint32_t *hi);
/* Internal to timetable/: frees the route indexes (ct_timetable_free). */
void ct__timetable_routes_free(ct_timetable *tt);
/* Internal to timetable/: the day k of a UTC minute in the indexes' numbering (day k
 * starts at (from_day - 1 + k) x 1440), not clamped. */
static inline int64_t ct__timetable_day(const ct_timetable *tt, int64_t utc_min)
{
    return (utc_min >= 0 ? utc_min / 1440 : -((-utc_min + 1439) / 1440)) - (tt->from_day - 1);
}

/* Day k of a UTC minute for that index, clamped to [0, ndays]. */
static inline uint32_t ct_arrival_day(const ct_timetable *tt, const ct_arrival_routes *r,
                                      int64_t utc_min)
{
    int64_t day = ct__timetable_day(tt, utc_min);
    return day < 0 ? 0 : day > (int64_t)r->ndays ? r->ndays : (uint32_t)day;
}

/* The airport index of an IATA airport code, or -1 when unknown (not an error). */
int ct_timetable_airport(const ct_timetable *tt, const char *iata);

#endif
