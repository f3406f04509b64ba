/* timetable.c: SSIM files -> dated legs -> CSR by departure airport (see timetable.h).
 *
 * Two passes over a growing vector: expand every leg record over its period (UTC from the
 * record's own local times and variations, ct_ssim_leg_utc), then sort by (from, dep) in
 * place (sort_legs), which also gives the per-airport offsets. */
#include "timetable/timetable.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>

#include "base/alloc.h"
#include "base/map.h"
#include "base/vec.h"
#include "timetable/ssim.h"

typedef CT_VEC(ct_leg) leg_vec;

static int leg_cmp(const void *x, const void *y)
{
    const ct_leg *a = x, *b = y;
    if (a->from != b->from)
        return a->from < b->from ? -1 : 1;
    if (a->dep != b->dep)
        return a->dep < b->dep ? -1 : 1;
    if (a->carrier != b->carrier)
        return a->carrier < b->carrier ? -1 : 1;
    if (a->number != b->number)
        return (int)a->number - (int)b->number;
    /* The rest only for duplicated records, so the order never depends on the algorithm. */
    if (a->to != b->to)
        return a->to < b->to ? -1 : 1;
    if (a->arr != b->arr)
        return a->arr < b->arr ? -1 : 1;
    return (int)a->leg_seq - (int)b->leg_seq;
}

/* Sorts legs by leg_cmp and fills first[] (nairports + 1 offsets, zeroed by the caller)
 * without a second array of legs: glibc's qsort would copy all of them into a temporary
 * buffer (another 500 MB for a year of the default world). An in-place distribution by
 * departure airport first (each leg is swapped straight into its airport's slice, every
 * position written once), then qsort inside each airport's slice, whose temporary copy is
 * one airport's legs. */
static ct_status sort_legs(ct_leg *legs, size_t n, uint32_t *first, size_t nairports)
{
    if (n == 0)
        return CT_OK; /* first[] is all zeros already; legs may be NULL */
    uint32_t *next = ct_malloc((nairports + 1) * sizeof(uint32_t));
    if (next == NULL)
        return CT_NOMEM;
    for (size_t i = 0; i < n; i++)
        first[legs[i].from + 1]++;
    for (size_t a = 0; a < nairports; a++)
        first[a + 1] += first[a];
    memcpy(next, first, (nairports + 1) * sizeof(uint32_t));
    for (size_t a = 0; a < nairports; a++) {
        while (next[a] < first[a + 1]) {
            uint32_t at = next[a];
            ct_leg l = legs[at];
            while (l.from != a) { /* l belongs elsewhere: put it there, carry what it displaces */
                ct_leg displaced = legs[next[l.from]];
                legs[next[l.from]++] = l;
                l = displaced;
            }
            legs[at] = l;
            next[a]++;
        }
    }
    ct_free(next);
    for (size_t a = 0; a < nairports; a++) {
        if (first[a + 1] - first[a] > 1)
            qsort(legs + first[a], first[a + 1] - first[a], sizeof(ct_leg), leg_cmp);
    }
    return CT_OK;
}

uint32_t ct__timetable_first_at(const ct_timetable *tt, uint32_t lo, uint32_t hi, int64_t t)
{
    /* Halving with a conditional move instead of a branch per step: the day and hour
     * indexes leave a short range, where mispredicted branches cost more than the reads. */
    if (lo >= hi)
        return lo;
    const ct_leg *base = tt->legs + lo;
    for (uint32_t n = hi - lo; n > 1;) {
        uint32_t half = n / 2;
        base = base[half].dep < t ? base + half : base;
        n -= half;
    }
    return (uint32_t)(base - tt->legs) + (base->dep < t);
}

uint32_t ct_timetable_first_departure(const ct_timetable *tt, uint16_t a, int32_t t)
{
    uint32_t lo = tt->first[a], hi = tt->first[a + 1];
    ct__timetable_day_range(tt, a, t, &lo, &hi);
    return ct__timetable_first_at(tt, lo, hi, t);
}

int64_t ct_timetable_find_leg(const ct_timetable *tt, int carrier, int number, uint16_t from,
                              int32_t dep)
{
    for (uint32_t i = ct_timetable_first_departure(tt, from, dep);
         i < tt->first[from + 1] && tt->legs[i].dep == dep; i++) {
        if (tt->legs[i].carrier == carrier && tt->legs[i].number == number)
            return i;
    }
    return -1;
}

int ct_timetable_airport(const ct_timetable *tt, const char *iata)
{
    const ct_airport *a = ct_refdata_airport(tt->rd, iata);
    if (a == NULL)
        return -1;
    return (int)(a - ct_refdata_airport_at(tt->rd, 0));
}

/* The carrier index of airline `code` in *out, adding it to tt->carriers (and `ids`, code ->
 * index + 1) when new. CT_NOMEM when it cannot be added. */
static ct_status carrier_index(ct_timetable *tt, ct_map *ids, const char *code, int *out)
{
    intptr_t at = (intptr_t)ct_map_get(ids, code);
    if (at > 0) {
        *out = (int)at - 1;
        return CT_OK;
    }
    char(*c)[4] = ct_realloc(tt->carriers, (tt->ncarriers + 1) * sizeof(*c));
    if (c == NULL)
        return CT_NOMEM;
    tt->carriers = c;
    memset(tt->carriers[tt->ncarriers], 0, 4); /* written to the cache byte for byte */
    snprintf(tt->carriers[tt->ncarriers], 4, "%s", code);
    ct_status rc = ct_map_put(ids, code, (void *)(intptr_t)(tt->ncarriers + 1));
    if (rc)
        return rc;
    *out = (int)tt->ncarriers++;
    return CT_OK;
}

/* Expands one record over the window. */
static uint8_t cap_u8(int seats)
{
    return (uint8_t)(seats > 255 ? 255 : seats);
}

static ct_status expand(ct_timetable *tt, const ct_ssim_leg *leg, int carrier, leg_vec *out)
{
    int from = ct_timetable_airport(tt, leg->dep), to = ct_timetable_airport(tt, leg->arr);
    if (from < 0 || to < 0) {
        tt->skipped++;
        return CT_OK;
    }
    int64_t first = leg->period_from, last = leg->period_to;
    /* Period dates are the first leg's; this leg departs dep_date_var days later. */
    if (first + leg->dep_date_var < tt->from_day)
        first = tt->from_day - leg->dep_date_var;
    if (last + leg->dep_date_var > tt->to_day)
        last = tt->to_day - leg->dep_date_var;
    for (int64_t day = first; day <= last; day++) {
        if (!ct_ssim_leg_operates(leg, day))
            continue;
        ct_utc dep, arr;
        if (ct_ssim_leg_utc(leg, day, &dep, &arr) != CT_OK)
            continue;
        if (day + leg->dep_date_var > CT_LOCAL_DATE_MAX)
            break;
        ct_leg l = {(int32_t)(dep / 60),
                    (int32_t)(arr / 60),
                    (int16_t)(day + leg->dep_date_var),
                    (uint16_t)from,
                    (uint16_t)to,
                    (uint16_t)carrier,
                    (uint16_t)leg->flight_number,
                    (uint8_t)leg->leg_seq,
                    cap_u8(leg->seats['J' - 'A'] + leg->seats['C' - 'A']),
                    (uint16_t)leg->seats['Y' - 'A'],
                    cap_u8(leg->seats['W' - 'A']),
                    cap_u8(leg->seats['F' - 'A'])};
        if (CT_VEC_PUSH(out, l))
            return CT_NOMEM;
    }
    return CT_OK;
}

static ct_status read_file(ct_timetable *tt, const char *path, ct_map *ids, leg_vec *out,
                           size_t *bad)
{
    ct_ssim_reader *r = NULL;
    ct_ssim_options opt = {0};
    opt.open_until = tt->to_day;
    ct_status rc = ct_ssim_open(path, &opt, &r);
    if (rc)
        return rc;
    const ct_ssim_leg *leg;
    while (!rc && (rc = ct_ssim_next(r, &leg)) == CT_ROW) {
        rc = CT_OK;
        if (leg->service_type != 'J')
            continue; /* scheduled passenger service only */
        int carrier = 0;
        rc = carrier_index(tt, ids, leg->airline, &carrier);
        if (rc == CT_OK)
            rc = expand(tt, leg, carrier, out);
    }
    if (bad != NULL)
        *bad += ct_ssim_get_report(r)->rejected;
    ct_ssim_close(r);
    return rc == CT_DONE ? CT_OK : rc;
}

/* Country ids: equal ids for airports of one country. */
static ct_status build_countries(ct_timetable *tt)
{
    tt->country = ct_calloc(tt->nairports + 1, sizeof(uint16_t));
    ct_map *ids = ct_map_create();
    if (tt->country == NULL || ids == NULL) {
        ct_map_destroy(ids);
        return CT_NOMEM;
    }
    ct_status rc = CT_OK;
    for (size_t i = 0; !rc && i < tt->nairports; i++) {
        const char *c = ct_refdata_airport_at(tt->rd, i)->country;
        intptr_t id = (intptr_t)ct_map_get(ids, c);
        if (id == 0) {
            id = (intptr_t)ct_map_len(ids) + 1;
            rc = ct_map_put(ids, c, (void *)id);
        }
        tt->country[i] = (uint16_t)id;
    }
    ct_map_destroy(ids);
    return rc;
}

/* by_arr and first_arr. Legs are already sorted by (from, dep): a counting sort by arrival
 * airport keeps that order inside each arrival airport's slice, which is (from, dep). */
static ct_status build_arrival_index(ct_timetable *tt)
{
    tt->by_arr = ct_malloc((tt->nlegs ? tt->nlegs : 1) * sizeof(uint32_t));
    tt->first_arr = ct_calloc(tt->nairports + 1, sizeof(uint32_t));
    uint32_t *fill = ct_calloc(tt->nairports + 1, sizeof(uint32_t));
    if (tt->by_arr == NULL || tt->first_arr == NULL || fill == NULL) {
        ct_free(fill);
        return CT_NOMEM;
    }
    for (size_t i = 0; i < tt->nlegs; i++)
        tt->first_arr[tt->legs[i].to + 1]++;
    for (size_t a = 0; a < tt->nairports; a++)
        tt->first_arr[a + 1] += tt->first_arr[a];
    for (size_t i = 0; i < tt->nlegs; i++) {
        uint16_t to = tt->legs[i].to;
        tt->by_arr[tt->first_arr[to] + fill[to]++] = (uint32_t)i;
    }
    ct_free(fill);
    return CT_OK;
}

ct_status ct_timetable_load(const ct_refdata *rd, const char *const *paths, size_t npaths,
                            int64_t from_day, int64_t to_day, ct_timetable **out,
                            size_t *bad_records)
{
    ct_timetable *tt = ct_calloc(1, sizeof(*tt));
    ct_map *ids = ct_map_create();
    leg_vec legs = {0};
    ct_status rc = tt && ids ? CT_OK : CT_NOMEM;
    if (bad_records != NULL)
        *bad_records = 0;
    if (!rc) {
        tt->rd = rd;
        tt->from_day = from_day;
        tt->to_day = to_day;
        tt->nairports = ct_refdata_airport_count(rd);
        /* Before reading: a file that changes during the build makes the key stale. An
         * unreadable file fails the build below with the reader's own status. */
        tt->has_key = ct__timetable_key(rd, paths, npaths, tt->key) == CT_OK;
    }
    for (size_t i = 0; !rc && i < npaths; i++)
        rc = read_file(tt, paths[i], ids, &legs, bad_records);
    if (!rc)
        rc = build_countries(tt);
    if (!rc && legs.len > UINT32_MAX)
        rc = CT_TOO_LARGE; /* offsets and by_arr are 32-bit */
    if (!rc) {
        tt->first = ct_calloc(tt->nairports + 1, sizeof(uint32_t));
        rc = tt->first ? sort_legs(legs.items, legs.len, tt->first, tt->nairports) : CT_NOMEM;
    }
    if (!rc) {
        tt->legs = legs.items;
        tt->nlegs = legs.len;
        legs.items = NULL;
    }
    if (!rc)
        rc = build_arrival_index(tt);
    ct_map_destroy(ids);
    CT_VEC_FREE(&legs);
    if (rc) {
        ct_timetable_free(tt);
        return rc;
    }
    *out = tt;
    return CT_OK;
}

void ct_timetable_free(ct_timetable *tt)
{
    if (tt == NULL)
        return;
    ct__timetable_routes_free(tt);
    if (tt->mapping != NULL) { /* every array points into the cache file */
        munmap(tt->mapping, tt->mapping_len);
        ct_free(tt);
        return;
    }
    ct_free(tt->legs);
    ct_free(tt->first);
    ct_free(tt->by_arr);
    ct_free(tt->first_arr);
    ct_free(tt->country);
    ct_free(tt->carriers);
    ct_free(tt);
}
