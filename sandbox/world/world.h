/* world.h: the sandbox's generated airline world (sandbox only; the platform never includes
 * this: it learns about the world through SSIM files and provider APIs).
 *
 * A world is a pure function of (reference data, the facts of facts.h, seed, start date,
 * size). Carriers are today's real airlines at their real hubs and bases (facts.h); each gets
 * a route network (the busiest routes shared by the carriers based at their ends, gravity-model
 * spokes from hubs and bases, traffic rights respected) and a fleet chosen per leg; flights
 * are weekly patterns per season (one SSIM type-3 record set each). Every structure is owned by the
 * sb_world and freed with it; everything is read-only after sb_world_generate returns, so threads
 * share it.
 *
 * Airport and carrier references are indices into world->airports / world->carriers. */
#ifndef CT_SANDBOX_WORLD_H
#define CT_SANDBOX_WORLD_H

#include <stddef.h>
#include <stdint.h>

#include "base/status.h"
#include "refdata/refdata.h"
#include "sandbox/world/zones.h"

#define SB_MAX_LEGS  3 /* legs of one multi-leg flight */
#define SB_MAX_HUBS  4
#define SB_MAX_BASES 8
#define SB_NCLASSES                                                                                \
    12 /* booking classes: 0..5 economy (Y B M H Q V), 6..7 business (J C), 8..9 premium           \
          economy (W E), 10..11 first (F A); fares.h */

typedef enum sb_world_size { SB_WORLD_SMALL, SB_WORLD_DEFAULT } sb_world_size;

typedef enum sb_alliance {
    SB_ALLIANCE_NONE = 0,
    SB_ALLIANCE_STAR = 1, /* names are the sandbox's own: "Star", "Sky", "Oneworld" groups */
    SB_ALLIANCE_SKY = 2,
    SB_ALLIANCE_ONEWORLD = 3,
} sb_alliance;

typedef struct sb_aircraft {
    char iata[4];     /* IATA aircraft type code, e.g. "32N" */
    const char *name; /* e.g. "Airbus A320neo" */
    int seats_first;  /* cabins as fitted (0: the aircraft has no such cabin) */
    int seats_business;
    int seats_premium; /* premium economy */
    int seats_economy;
    int range_km;
    int cruise_kmh;
} sb_aircraft;

typedef enum sb_model { SB_NETWORK = 0, SB_LOW_COST = 1 } sb_model;

typedef struct sb_airport {
    char iata[4];
    char country[3];
    const char *tz; /* IANA zone (owned by the world) */
    int zone;       /* index into world->zones */
    double lat, lon;
    double weight; /* demand weight for the gravity model: passengers a year, millions */
    int large;     /* 1 for a large airport */
    int ranked;    /* 1 when its traffic comes from the facts (facts.h), 0 when estimated */
    int longhaul;  /* 1 when it has long-haul service (legs over 4,000 km) */
    int leisure;   /* 1 for a sun and beach destination */
    char continent[3];
    char metro[4]; /* IATA metropolitan-area code, "" when none */
} sb_airport;

typedef struct sb_carrier {
    char code[3]; /* IATA designator */
    const char *name;
    char country[3];
    char currency[4]; /* currency its fares are filed in */
    sb_alliance alliance;
    sb_model model;
    double mpax;           /* passengers a year, millions (facts.h) */
    int hubs[SB_MAX_HUBS]; /* airport indices, main hub (or largest base) first */
    int nhubs;
    int bases[SB_MAX_BASES]; /* focus cities or further bases */
    int nbases;
    int first_flight; /* this carrier's flights: world->flights[first .. first+n) */
    int nflights;
} sb_carrier;

/* A leg departs at a fixed local time all period long and takes a fixed block time; its
 * arrival local time therefore follows from the two zones on each date (see sb_leg_times).
 * Where a daylight-saving change moves it, the SSIM writer splits the period. */
typedef struct sb_leg {
    int origin, dest;   /* airport indices */
    int dep_local_min;  /* passenger STD, minutes after local midnight */
    int dep_day_offset; /* days after the flight's date (SSIM col 193); 0 for leg 1 */
    int block_min;      /* gate to gate */
    int aircraft;       /* index into sb_aircraft_types(), chosen per leg */
} sb_leg;

typedef struct sb_flight {
    int carrier;       /* index */
    int number;        /* 1..9999 */
    int aircraft;      /* the first leg's aircraft (legs may differ: see sb_leg) */
    uint8_t dow_mask;  /* bit 0 = Monday .. bit 6 = Sunday */
    int64_t first_day; /* period of operation (days since 1970), first leg's local date */
    int64_t last_day;
    int nlegs;
    sb_leg legs[SB_MAX_LEGS];
} sb_flight;

typedef struct sb_world {
    uint64_t seed;
    int64_t start_day; /* first day of the horizon */
    int horizon_days;  /* 365 for every size */
    sb_world_size size;
    sb_airport *airports;
    int nairports;
    sb_carrier *carriers;
    int ncarriers;
    sb_flight *flights; /* grouped by carrier, then by number */
    int nflights;
    sb_zone *zones; /* one per distinct IANA zone, covering the horizon */
    int nzones;
    char **strings; /* owned copies of names and zones */
    int nstrings;
} sb_world;

/* The fleet types every carrier picks from. */
const sb_aircraft *sb_aircraft_types(int *count);

/* 1 for a wide-body (twin-aisle) type. */
int sb_aircraft_widebody(int aircraft);

/* Generates the world. Deterministic: the same inputs give the same world on any machine.
 * CT_NOMEM on allocation failure. The caller owns *out (sb_world_free). */
ct_status sb_world_generate(const ct_refdata *rd, uint64_t seed, int64_t start_day,
                            sb_world_size size, sb_world **out);
void sb_world_free(sb_world *w);

/* 1 when `f` operates on local date `day` (its first leg departs that day). */
int sb_flight_operates(const sb_flight *f, int64_t day);

/* UTC departure and arrival instants of leg `leg` of `f` flown on local date `day`, using
 * the airports' zones on that date (daylight saving included). */
ct_status sb_leg_times(const sb_world *w, const sb_flight *f, int leg, int64_t day,
                       int64_t *dep_utc, int64_t *arr_utc);

/* Great-circle distance between two airports, km. */
double sb_distance_km(const sb_world *w, int a, int b);

/* Number of legs flown on local date `day` (for statistics and tests). */
long sb_world_legs_on(const sb_world *w, int64_t day);

#endif
