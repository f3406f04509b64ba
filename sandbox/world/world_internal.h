/* world_internal.h: what the generator's files share (sandbox/world only): the generation
 * state, the deterministic hash, and the steps each file implements.
 *   world.c    airports, carriers, the public functions and the driver;
 *   network.c  routes: traffic rights, the busiest routes, gravity spokes, the global
 *              network, coverage of every airport, multi-leg flights;
 *   schedule.c frequencies from demand, seasons, banks, aircraft per leg, flight patterns. */
#ifndef CT_SANDBOX_WORLD_INTERNAL_H
#define CT_SANDBOX_WORLD_INTERNAL_H

#include <stdint.h>

#include "base/map.h"
#include "base/vec.h"
#include "sandbox/world/world.h"

#define MIN_ROUTE_KM  150.0
#define LONGHAUL_KM   4000.0
#define ULTRA_LONG_KM 13000.0
#define LCC_MAX_KM    4200.0

typedef struct route {
    int carrier;
    int a, b;      /* a is the hub end (departure of the "outbound" direction) */
    int via;       /* -1, or an intermediate stop: flights go a -> via -> b */
    double demand; /* relative daily frequency before scaling (gravity model) */
    double fixed;  /* flights a day each way from the busiest-routes facts (not scaled) */
    int global;    /* 1 when it must fly at least daily (connectivity guarantee) */
} route;

typedef struct gen {
    sb_world *w;
    const ct_refdata *rd;
    uint64_t seed;
    CT_VEC(route) routes;
    CT_VEC(sb_flight) flights;
    int *served;           /* per airport: number of routes touching it */
    ct_map *route_index;   /* "carrier:lo:hi" -> 1 + index in routes */
    ct_map *airport_index; /* IATA -> 1 + airport index */
    double target_legs;
} gen;

uint64_t sb_hash3(uint64_t seed, uint64_t a, uint64_t b);
double sb_unit(uint64_t h);

/* Airport index of an IATA code in the world, or -1. */
int sb_gen_airport(const gen *g, const char *iata);

/* 1 when carrier c may fly a nonstop between airports a and b (traffic rights, perimeter
 * rules, long-haul airports, the ultra-long-haul facts and the longest range). */
int sb_route_allowed(const gen *g, int c, int a, int b);

/* network.c: builds g->routes. */
ct_status sb_build_network(gen *g);

/* schedule.c: schedules g->routes into g->flights, carrier by carrier. */
ct_status sb_build_schedules(gen *g);

/* The aircraft for a leg of `km` flown `daily` times a day each way by carrier c. */
int sb_aircraft_for(const sb_world *w, int c, double km, double daily);
int sb_block_minutes(double km, int aircraft);
/* The regional jet that replaces a turboprop on a leg whose flight has a business cabin. */
int sb_aircraft_for_cabins(const sb_world *w, int c, int aircraft);

#endif
