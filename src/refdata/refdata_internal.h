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

/* Builds rd->keys from the loaded airports and metro areas (arena-allocated). */
ct_status ct__refdata_build_index(ct_refdata *rd);

#endif
