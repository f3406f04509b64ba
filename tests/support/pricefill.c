/* pricefill.c: the synthetic pricebook of pricefill.h. */
#include "pricefill.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* No cmocka here: benchmarks use this file too. */
#define CHECK(cond)                                                                                \
    do {                                                                                           \
        if (!(cond)) {                                                                             \
            fprintf(stderr, "%s:%d: %s\n", __FILE__, __LINE__, #cond);                             \
            abort();                                                                               \
        }                                                                                          \
    } while (0)

/* A deterministic draw from a few integers. */
static uint32_t mix(uint64_t a, uint64_t b, uint64_t c)
{
    uint64_t x = a * 0x9e3779b97f4a7c15ull ^ (b + 0x632be59bd9b4e019ull) * 0xbf58476d1ce4e5b9ull ^
                 (c + 7) * 0x94d049bb133111ebull;
    x ^= x >> 31;
    x *= 0xd6e8feb86659fd93ull;
    x ^= x >> 29;
    return (uint32_t)x;
}

static const ct_provider_desc PROVIDERS[] = {
    {"air-a1", CT_PROVIDER_AIRLINE, "USD", 2, 0, 0},
    {"ota-eur", CT_PROVIDER_AGENCY, "EUR", 2, 1200, 0},
    {"ota-jpy", CT_PROVIDER_AGENCY, "JPY", 0, 1500, 0},
    {"hop", CT_PROVIDER_COMBINER, "GBP", 2, 1800, 120},
};

static int sells(int p, size_t c)
{
    if (c % 6 == 5)
        return 0; /* sold by nobody: schedule-only */
    switch (p) {
    case 0:
        return c % 4 == 1; /* the alliance a1 */
    case 1:
        return c % 3 != 0;
    case 2:
        return c % 3 != 1;
    default:
        return 1;
    }
}

ct_pricebook *ts_fill_pricebook(const ct_timetable *tt)
{
    ct_pricebook *pb = NULL;
    static const char *const al[] = {NULL, "a1", "a2", "a3"};
    CHECK((ct_pricebook_new(tt, &pb)) == CT_OK);
    ct_pricebook_begin(pb);
    int ids[4];
    for (int p = 0; p < 4; p++) {
        CHECK((ct_pricebook_provider(pb, &PROVIDERS[p], &ids[p])) == CT_OK);
        char(*sold)[4] = calloc(tt->ncarriers + 1, 4);
        size_t n = 0;
        for (size_t c = 0; c < tt->ncarriers; c++) {
            if (sells(p, c))
                memcpy(sold[n++], tt->carriers[c], 4);
        }
        CHECK(ct_pricebook_set_sold(pb, ids[p], (const char(*)[4])sold, n) == CT_OK);
        free(sold);
    }
    for (size_t c = 0; c < tt->ncarriers; c++)
        CHECK((ct_pricebook_set_alliance(pb, tt->carriers[c], al[c % 4])) == CT_OK);
    CHECK((ct_pricebook_set_rate(pb, "USD", 1.0)) == CT_OK);
    CHECK((ct_pricebook_set_rate(pb, "EUR", 0.92)) == CT_OK);
    CHECK((ct_pricebook_set_rate(pb, "GBP", 0.79)) == CT_OK);
    CHECK((ct_pricebook_set_rate(pb, "JPY", 150.0)) == CT_OK);
    CHECK((ct_pricebook_set_rate(pb, "KWD", 0.3075)) == CT_OK); /* three decimals */
    size_t unknown = 0, put = 0;
    for (size_t i = 0; i < tt->nlegs; i++) {
        const ct_leg *l = &tt->legs[i];
        const char *from = ct_refdata_airport_at(tt->rd, l->from)->iata;
        const char *to = ct_refdata_airport_at(tt->rd, l->to)->iata;
        for (int p = 0; p < 4; p++) {
            if (!sells(p, l->carrier))
                continue;
            int32_t amount[CT_NCLASSES];
            uint32_t base = 4000 + mix(l->carrier * 65536u + l->from, l->to, (uint64_t)p) % 60000;
            for (int k = 0; k < CT_NCLASSES; k++) {
                int pct[] = {100, 80, 62, 48, 36, 26, 320, 230, 165, 130, 520, 420};
                amount[k] = (int32_t)(base * (uint32_t)pct[k] / 100u);
            }
            int known;
            CHECK((ct_pricebook_put_fare(pb, ids[p], tt->carriers[l->carrier], from, to, amount,
                                         &known)) == CT_OK);
            CHECK(known);
            uint32_t r = mix(i, (uint64_t)p, 99);
            if (r % 10 == 0) {
                unknown++;
                continue; /* not in this provider's feed */
            }
            int seats[CT_NCLASSES], open = (int)(r >> 8) % 7; /* cheap classes close first */
            for (int k = 0; k < 6; k++)
                seats[k] = k < open ? (int)((r >> (12 + k)) % 4) + (k < 2 ? 6 : 0) : 0;
            seats[6] = l->seats_j ? 4 : 0;
            seats[7] = l->seats_j ? (int)(r >> 20) % 3 : 0;
            seats[8] = l->seats_w ? 3 : 0;
            seats[9] = l->seats_w ? (int)(r >> 22) % 3 : 0;
            seats[10] = l->seats_f ? 2 : 0;
            seats[11] = l->seats_f ? (int)(r >> 24) % 2 : 0;
            int changed;
            CHECK((ct_pricebook_put_seats(pb, ids[p], tt->carriers[l->carrier], l->number, from,
                                          l->dep, seats, &known, &changed)) == CT_OK);
            CHECK(known);
            put++;
        }
    }
    CHECK((ct_pricebook_commit(pb)) == CT_OK);
    CHECK(put > 1000 && unknown > 100);
    return pb;
}
