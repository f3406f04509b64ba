/* refdata_internal.h: the snapshot's layout, shared by snapshot.c and autocomplete.c only. */
#ifndef CT_REFDATA_INTERNAL_H
#define CT_REFDATA_INTERNAL_H

#include "base/arena.h"
#include "base/map.h"
#include "refdata/refdata.h"

struct ct_refdata {
    ct_arena *arena;
    ct_airport *airports;
    size_t nairports;
    ct_metro *metros;
    size_t nmetros;
    ct_map *airport_by_code;
    ct_map *metro_by_code;
    ct_map *airport_by_icao;
    ct_airline *airlines;
    size_t nairlines;
    struct ct__place_key *keys; /* autocomplete index, sorted by key (autocomplete.c) */
    size_t nkeys;
};

/* Other names of a city (aliases.c): a metro-area code, else an airport code. */
typedef struct ct_place_alias {
    const char *code;
    const char *names[8]; /* NULL-terminated */
} ct_place_alias;
extern const ct_place_alias ct_place_aliases[];
extern const size_t ct_place_aliases_count;

/* Builds rd->keys from the loaded airports, metro areas and aliases (arena-allocated). */
ct_status ct__refdata_build_index(ct_refdata *rd);

#endif
