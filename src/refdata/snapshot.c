/* snapshot.c: the immutable in-memory reference data and its autocomplete.
 *
 * Layout: one arena holds every string and array; airports sit in one array sorted by IATA
 * code, metro areas in another, each with a hash map from code to element. Nothing changes
 * after ct_refdata_load returns, so any number of threads read it without locks; a refresh
 * loads a new snapshot and swaps the pointer (the caller's job).
 *
 * The autocomplete index is built here too, once per snapshot (autocomplete.c). */
#include "refdata/refdata_internal.h"

#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "base/alloc.h"
#include "base/arena.h"
#include "base/map.h"
#include "base/text.h"

static const char *dup_text(ct_arena *a, const char *s)
{
    return s ? ct_arena_strdup(a, s) : NULL;
}

static const char *fold_into(ct_arena *a, const char *s)
{
    char buf[512];
    if (s == NULL || ct_text_fold(s, buf, sizeof(buf)) != CT_OK)
        return "";
    return ct_arena_strdup(a, buf);
}

/* Fills names (code -> name) and codes (name -> code) from the countries table. */
static ct_status load_countries(ct_store *st, ct_refdata *rd, ct_map *names, ct_map *codes)
{
    ct_stmt *s = NULL;
    ct_status rc = ct_store_prepare(st, "SELECT code, name FROM countries", &s);
    while (!rc && (rc = ct_stmt_step(s)) == CT_ROW) {
        const char *code = dup_text(rd->arena, ct_stmt_text(s, 0));
        const char *name = dup_text(rd->arena, ct_stmt_text(s, 1));
        rc = name && code ? ct_map_put(names, code, (void *)name) : CT_NOMEM;
        if (!rc)
            rc = ct_map_put(codes, name, (void *)code);
    }
    ct_stmt_finalize(s);
    return rc == CT_DONE ? CT_OK : rc;
}

static ct_status load_airports(ct_store *st, ct_refdata *rd, ct_map *country_names)
{
    int64_t n = 0;
    ct_status rc = ct_store_query_int64(st, "SELECT COUNT(*) FROM airports", &n);
    if (rc)
        return rc;
    if (n == 0)
        return CT_NOT_FOUND;
    rd->airports = ct_arena_calloc(rd->arena, (size_t)n, sizeof(ct_airport));
    if (rd->airports == NULL)
        return CT_NOMEM;
    ct_stmt *s = NULL;
    rc = ct_store_prepare(st,
                          "SELECT iata, icao, name, city, country, region, continent, latitude,"
                          " longitude, elevation_ft, size, tz, metro FROM airports ORDER BY iata",
                          &s);
    while (!rc && (rc = ct_stmt_step(s)) == CT_ROW && rd->nairports < (size_t)n) {
        ct_airport *a = &rd->airports[rd->nairports];
        snprintf(a->iata, sizeof(a->iata), "%s", ct_stmt_text(s, 0));
        if (!ct_stmt_is_null(s, 1))
            snprintf(a->icao, sizeof(a->icao), "%s", ct_stmt_text(s, 1));
        a->name = dup_text(rd->arena, ct_stmt_text(s, 2));
        a->city = dup_text(rd->arena, ct_stmt_text(s, 3));
        a->country = dup_text(rd->arena, ct_stmt_text(s, 4));
        a->region = dup_text(rd->arena, ct_stmt_text(s, 5));
        a->continent = dup_text(rd->arena, ct_stmt_text(s, 6));
        a->lat = ct_stmt_double(s, 7);
        a->lon = ct_stmt_double(s, 8);
        a->elevation_ft = (int)ct_stmt_int64(s, 9);
        const char *size = ct_stmt_text(s, 10);
        a->size = size && strcmp(size, "large") == 0 ? CT_AIRPORT_LARGE : CT_AIRPORT_MEDIUM;
        a->tz = dup_text(rd->arena, ct_stmt_text(s, 11));
        a->metro = dup_text(rd->arena, ct_stmt_text(s, 12));
        a->country_name = ct_map_get(country_names, a->country);
        if (a->country_name == NULL)
            a->country_name = a->country;
        a->k_name = fold_into(rd->arena, a->name);
        a->k_city = fold_into(rd->arena, a->city);
        a->k_country = fold_into(rd->arena, a->country_name);
        if (a->name == NULL || a->country == NULL || a->tz == NULL || a->k_name == NULL ||
            a->k_city == NULL || a->k_country == NULL)
            rc = CT_NOMEM;
        else
            rc = ct_map_put(rd->airport_by_code, a->iata, a);
        if (!rc && a->icao[0])
            rc = ct_map_put(rd->airport_by_icao, a->icao, a);
        rd->nairports++;
    }
    ct_stmt_finalize(s);
    return rc == CT_DONE ? CT_OK : rc;
}

static ct_status load_metros(ct_store *st, ct_refdata *rd, ct_map *country_names)
{
    int64_t n = 0;
    ct_status rc = ct_store_query_int64(st, "SELECT COUNT(*) FROM metro_areas", &n);
    if (rc || n == 0)
        return rc;
    rd->metros = ct_arena_calloc(rd->arena, (size_t)n, sizeof(ct_metro));
    if (rd->metros == NULL)
        return CT_NOMEM;
    ct_stmt *s = NULL;
    rc = ct_store_prepare(st, "SELECT code, name, country FROM metro_areas ORDER BY code", &s);
    while (!rc && (rc = ct_stmt_step(s)) == CT_ROW && rd->nmetros < (size_t)n) {
        ct_metro *m = &rd->metros[rd->nmetros++];
        snprintf(m->code, sizeof(m->code), "%s", ct_stmt_text(s, 0));
        m->name = dup_text(rd->arena, ct_stmt_text(s, 1));
        m->country = dup_text(rd->arena, ct_stmt_text(s, 2));
        m->k_name = fold_into(rd->arena, m->name);
        /* NOLINTNEXTLINE(bugprone-sizeof-expression): an array of pointers to airports. */
        m->airports = ct_arena_calloc(rd->arena, 8, sizeof(*m->airports));
        m->country_name = m->country ? ct_map_get(country_names, m->country) : NULL;
        if (m->country_name == NULL)
            m->country_name = m->country;
        rc = m->name && m->k_name && m->airports ? ct_map_put(rd->metro_by_code, m->code, m)
                                                 : CT_NOMEM;
    }
    ct_stmt_finalize(s);
    if (rc != CT_DONE)
        return rc;
    /* Link airports to their areas, in the order of the metro table (main airport first). */
    for (size_t i = 0; i < ct_metro_table_len; i++) {
        ct_metro *m = ct_map_get(rd->metro_by_code, ct_metro_table[i].code);
        for (int k = 0; m != NULL && ct_metro_table[i].airports[k] != NULL; k++) {
            const ct_airport *a = ct_map_get(rd->airport_by_code, ct_metro_table[i].airports[k]);
            if (a != NULL && a->metro != NULL && strcmp(a->metro, m->code) == 0 && m->nairports < 8)
                m->airports[m->nairports++] = a;
        }
    }
    return CT_OK;
}

static ct_status load_airlines(ct_store *st, ct_refdata *rd, ct_map *country_codes)
{
    int64_t n = 0;
    ct_status rc = ct_store_query_int64(st, "SELECT COUNT(*) FROM airlines", &n);
    if (rc || n == 0)
        return rc;
    rd->airlines = ct_arena_calloc(rd->arena, (size_t)n, sizeof(ct_airline));
    if (rd->airlines == NULL)
        return CT_NOMEM;
    ct_stmt *s = NULL;
    rc = ct_store_prepare(st,
                          "SELECT iata, icao, name, country, active FROM airlines"
                          " ORDER BY iata, id",
                          &s);
    while (!rc && (rc = ct_stmt_step(s)) == CT_ROW && rd->nairlines < (size_t)n) {
        ct_airline *al = &rd->airlines[rd->nairlines++];
        snprintf(al->iata, sizeof(al->iata), "%s", ct_stmt_text(s, 0) ? ct_stmt_text(s, 0) : "");
        snprintf(al->icao, sizeof(al->icao), "%s", ct_stmt_text(s, 1) ? ct_stmt_text(s, 1) : "");
        al->name = dup_text(rd->arena, ct_stmt_text(s, 2));
        const char *country = ct_stmt_text(s, 3);
        const char *code = country ? ct_map_get(country_codes, country) : NULL;
        snprintf(al->country, sizeof(al->country), "%s", code ? code : "");
        al->active = (int)ct_stmt_int64(s, 4);
        rc = al->name == NULL ? CT_NOMEM : CT_OK;
    }
    ct_stmt_finalize(s);
    return rc == CT_DONE ? CT_OK : rc;
}

ct_status ct_refdata_load(ct_store *st, ct_refdata **out)
{
    ct_status rc = CT_NOMEM;
    ct_map *country_names = ct_map_create();
    ct_map *country_codes = ct_map_create();
    ct_refdata *rd = ct_calloc(1, sizeof(*rd));
    if (rd == NULL || country_names == NULL || country_codes == NULL)
        goto err;
    rd->arena = ct_arena_create(0);
    rd->airport_by_code = ct_map_create();
    rd->metro_by_code = ct_map_create();
    rd->airport_by_icao = ct_map_create();
    if (rd->arena == NULL || rd->airport_by_code == NULL || rd->metro_by_code == NULL ||
        rd->airport_by_icao == NULL)
        goto err;
    rc = load_countries(st, rd, country_names, country_codes);
    if (!rc)
        rc = load_airports(st, rd, country_names);
    if (!rc)
        rc = load_metros(st, rd, country_names);
    if (!rc)
        rc = load_airlines(st, rd, country_codes);
    if (!rc)
        rc = ct__refdata_build_index(rd);
    if (rc)
        goto err;
    ct_map_destroy(country_names);
    ct_map_destroy(country_codes);
    *out = rd;
    return CT_OK;
err:
    ct_map_destroy(country_names);
    ct_map_destroy(country_codes);
    ct_refdata_free(rd);
    return rc;
}

void ct_refdata_free(ct_refdata *rd)
{
    if (rd == NULL)
        return;
    ct_map_destroy(rd->airport_by_code);
    ct_map_destroy(rd->metro_by_code);
    ct_map_destroy(rd->airport_by_icao);
    ct_arena_destroy(rd->arena);
    ct_free(rd);
}

size_t ct_refdata_airport_count(const ct_refdata *rd)
{
    return rd->nairports;
}

size_t ct_refdata_airline_count(const ct_refdata *rd)
{
    return rd->nairlines;
}

const ct_airport *ct_refdata_airport_at(const ct_refdata *rd, size_t i)
{
    return &rd->airports[i];
}

const ct_airline *ct_refdata_airline_at(const ct_refdata *rd, size_t i)
{
    return &rd->airlines[i];
}

size_t ct_refdata_metro_count(const ct_refdata *rd)
{
    return rd->nmetros;
}

const ct_airport *ct_refdata_airport(const ct_refdata *rd, const char *iata)
{
    return ct_map_get(rd->airport_by_code, iata);
}

const ct_metro *ct_refdata_metro(const ct_refdata *rd, const char *code)
{
    return ct_map_get(rd->metro_by_code, code);
}
