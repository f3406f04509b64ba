/* facts.h: the facts about today's real air-transport world that feed the sandbox generator
 * (sandbox only): the airlines that operate today with their hubs, bases, home country and
 * alliance; airport sizes from public passenger-traffic rankings; the world's busiest routes
 * with their usual daily frequencies; the ultra-long-haul pairs really flown; the airports
 * with long-haul service beyond the ranked ones; the big leisure destinations; and the
 * LaGuardia and Washington National perimeter rules. Each table in facts.c names its source.
 *
 * Codes are IATA. A fact naming an airport that the reference data lacks is skipped by the
 * generator (and counted by the report), never an error. */
#ifndef CT_SANDBOX_FACTS_H
#define CT_SANDBOX_FACTS_H

#include <stddef.h>

#define SB_FACT_MAX_HUBS  4
#define SB_FACT_MAX_BASES 8

typedef enum sb_business_model {
    SB_MODEL_NETWORK = 0,  /* hub and spoke, connection banks */
    SB_MODEL_LOW_COST = 1, /* point to point from its bases */
} sb_business_model;

typedef struct sb_airline_fact {
    const char *code;    /* IATA designator */
    const char *name;    /* trading name */
    const char *country; /* ISO 3166 home country (its air operator certificate) */
    int alliance;        /* sb_alliance: 0 none, 1 Star, 2 SkyTeam, 3 oneworld */
    sb_business_model model;
    double mpax;                          /* passengers a year, millions (rounded) */
    const char *hubs[SB_FACT_MAX_HUBS];   /* main hub (or largest base) first; NULL-ended */
    const char *bases[SB_FACT_MAX_BASES]; /* focus cities / further bases; NULL-ended */
} sb_airline_fact;

typedef struct sb_airport_fact {
    const char *iata;
    double mpax; /* passengers a year, millions (rounded) */
} sb_airport_fact;

typedef struct sb_route_fact {
    const char *a, *b;
    int daily; /* usual nonstop flights a day in each direction, all carriers (rounded) */
} sb_route_fact;

typedef struct sb_pair_fact {
    const char *a, *b;
} sb_pair_fact;

extern const sb_airline_fact sb_airline_facts[];
extern const size_t sb_airline_facts_len;
extern const sb_airport_fact sb_airport_facts[]; /* busiest first */
extern const size_t sb_airport_facts_len;
extern const sb_route_fact sb_route_facts[]; /* busiest first */
extern const size_t sb_route_facts_len;
extern const sb_pair_fact sb_ultra_long_facts[]; /* nonstops over 13,000 km flown today */
extern const size_t sb_ultra_long_facts_len;
extern const char *const sb_longhaul_airports[]; /* long-haul service beyond the ranked ones */
extern const char *const sb_leisure_airports[];  /* sun and beach destinations */
extern const char *const sb_global_hubs[];       /* intercontinental hubs joined to each other */

/* 1 when an ISO country is in the EU's single aviation market (EU, Norway, Iceland and
 * Switzerland), where any of its carriers may fly between any two of its airports. */
int sb_fact_single_market(const char *country);

/* The perimeter rule of an airport: the longest nonstop in km allowed from it (0 for none)
 * and whether the pair (airport, other) is one of its exemptions. */
double sb_fact_perimeter_km(const char *iata);
int sb_fact_perimeter_exempt(const char *iata, const char *other);

/* Index of a code in a NULL-ended list, or -1. */
int sb_fact_in_list(const char *const *list, const char *code);

#endif
