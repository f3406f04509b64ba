/* test_world.c: the generated world: determinism, scale, realism (block times, coverage,
 * reachability of large airports (three stops, nearly all within two), real hubs and traffic
 * rights, alliances, seasons), exact zone tables, and the SSIM writer's layout. */
#define _GNU_SOURCE
#include "ct_test.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "base/timeutil.h"
#include "sandbox/world/sandbox_data.h"
#include "sandbox/world/ssim_write.h"
#include "sandbox/world/world.h"
#include "testsupport.h"

static sb_data small_a, big;
static int64_t start;

static int setup(void **state)
{
    (void)state;
    char err[256];
    ct_date_parse("2026-11-23", &start);
    sb_world_params p = {42, start, SB_WORLD_SMALL, ts_refdata_dir()};
    if (sb_data_open(&p, &small_a, err, sizeof(err)))
        fail_msg("small world: %s", err);
    sb_world_params q = {42, start, SB_WORLD_DEFAULT, ts_refdata_dir()};
    if (sb_data_open(&q, &big, err, sizeof(err)))
        fail_msg("default world: %s", err);
    return 0;
}

static int teardown(void **state)
{
    (void)state;
    sb_data_close(&small_a);
    sb_data_close(&big);
    return 0;
}

/* The whole SSIM output of a world, concatenated, in memory. */
static char *ssim_bytes(const sb_world *w, size_t *len)
{
    char *buf = NULL;
    FILE *f = open_memstream(&buf, len);
    sb_ssim_stats st = {0};
    for (int c = 0; c < w->ncarriers; c++)
        assert_int_equal(sb_ssim_write_carrier(w, c, f, w->start_day, &st), CT_OK);
    fclose(f);
    return buf;
}

static void same_seed_same_bytes(void **state)
{
    (void)state;
    sb_data again, other;
    char err[256];
    sb_world_params p = {42, start, SB_WORLD_SMALL, ts_refdata_dir()};
    assert_int_equal(sb_data_open(&p, &again, err, sizeof(err)), CT_OK);
    p.seed = 43;
    assert_int_equal(sb_data_open(&p, &other, err, sizeof(err)), CT_OK);
    size_t la, lb, lc;
    char *a = ssim_bytes(small_a.world, &la);
    char *b = ssim_bytes(again.world, &lb);
    char *c = ssim_bytes(other.world, &lc);
    assert_true(la > 100000);
    assert_int_equal(la, lb);
    assert_memory_equal(a, b, la);
    assert_true(lc != la || memcmp(a, c, la) != 0); /* another seed, another world */
    free(a);
    free(b);
    free(c);
    sb_data_close(&again);
    sb_data_close(&other);
}

static void small_world_is_small(void **state)
{
    (void)state;
    const sb_world *w = small_a.world;
    long legs = sb_world_legs_on(w, start);
    assert_true(legs >= 200 && legs <= 1000);
    assert_true(w->ncarriers >= 5);
}

static void default_world_scale(void **state)
{
    (void)state;
    const sb_world *w = big.world;
    assert_int_equal(w->horizon_days, 365);
    long min = -1;
    for (int d = 0; d < w->horizon_days; d++) {
        long legs = sb_world_legs_on(w, w->start_day + d);
        if (min < 0 || legs < min)
            min = legs;
    }
    if (min < 50000)
        fail_msg("only %ld legs on the thinnest day", min);
    char *served = calloc((size_t)w->nairports, 1);
    for (int i = 0; i < w->nflights; i++)
        for (int l = 0; l < w->flights[i].nlegs; l++) {
            served[w->flights[i].legs[l].origin] = 1;
            served[w->flights[i].legs[l].dest] = 1;
        }
    int n = 0;
    for (int i = 0; i < w->nairports; i++)
        n += served[i];
    free(served);
    assert_true(n >= 3000);
}

static void block_times_follow_distance(void **state)
{
    (void)state;
    const sb_world *w = big.world;
    int naircraft;
    const sb_aircraft *types = sb_aircraft_types(&naircraft);
    for (int i = 0; i < w->nflights; i++) {
        const sb_flight *f = &w->flights[i];
        for (int l = 0; l < f->nlegs; l++) {
            double km = sb_distance_km(w, f->legs[l].origin, f->legs[l].dest);
            double cruise = types[f->legs[l].aircraft].cruise_kmh;
            double fastest = 30 + km / cruise * 60, slowest = fastest * 1.08 + 10;
            if (f->legs[l].block_min < fastest || f->legs[l].block_min > slowest)
                fail_msg("%s%d leg %d: %d min for %.0f km", w->carriers[f->carrier].code, f->number,
                         l, f->legs[l].block_min, km);
            if (km > types[f->legs[l].aircraft].range_km)
                fail_msg("%s%d leg %d: %.0f km beyond the %s's range", w->carriers[f->carrier].code,
                         f->number, l, km, types[f->legs[l].aircraft].name);
            assert_int_not_equal(f->legs[l].origin, f->legs[l].dest);
        }
    }
}

static void large_airports_reach_each_other(void **state)
{
    (void)state;
    const sb_world *w = big.world;
    int n = w->nairports, words = (n + 63) / 64;
    uint64_t *adj = calloc((size_t)n * (size_t)words, sizeof(uint64_t));
    int64_t day = w->start_day + 30;
    for (int i = 0; i < w->nflights; i++) {
        const sb_flight *f = &w->flights[i];
        if (f->first_day > day || f->last_day < day)
            continue; /* flights of this season, any day of the week */
        for (int l = 0; l < f->nlegs; l++)
            adj[(size_t)f->legs[l].origin * words + f->legs[l].dest / 64] |=
                1ull << (f->legs[l].dest % 64);
    }
    uint64_t *r1 = malloc((size_t)words * 8), *r2 = malloc((size_t)words * 8),
             *r3 = malloc((size_t)words * 8), *r4 = malloc((size_t)words * 8);
    int nlarge = 0;
    long pairs = 0, two_stops = 0;
    for (int a = 0; a < n; a++) {
        if (!w->airports[a].large)
            continue;
        nlarge++;
        memcpy(r1, &adj[(size_t)a * words], (size_t)words * 8);
        uint64_t *from[3] = {r1, r2, r3}, *to[3] = {r2, r3, r4};
        for (int step = 0; step < 3; step++) { /* r(k+1) = r(k) and its neighbours */
            memcpy(to[step], from[step], (size_t)words * 8);
            for (int b = 0; b < n; b++)
                if (from[step][b / 64] >> (b % 64) & 1)
                    for (int k = 0; k < words; k++)
                        to[step][k] |= adj[(size_t)b * words + k];
        }
        for (int b = 0; b < n; b++) {
            if (b == a || !w->airports[b].large)
                continue;
            /* Every pair within three stops, nearly all within two: remote pairs (no
             * nonstop over 13,000 km but a few real ones) may need three, as in reality. */
            if (!(r4[b / 64] >> (b % 64) & 1))
                fail_msg("%s cannot reach %s within three stops", w->airports[a].iata,
                         w->airports[b].iata);
            pairs++;
            two_stops += r3[b / 64] >> (b % 64) & 1;
        }
    }
    fprintf(stderr, "large airports: %.2f %% of %ld pairs within two stops\n",
            100.0 * (double)two_stops / (double)pairs, pairs);
    assert_true(two_stops * 100 >= pairs * 95);
    assert_true(nlarge > 400);
    free(adj);
    free(r1);
    free(r2);
    free(r3);
    free(r4);
}

static void carriers_alliances_and_seasons(void **state)
{
    (void)state;
    const sb_world *w = big.world;
    int per_alliance[4] = {0};
    assert_true(w->ncarriers >= 100);
    for (int c = 0; c < w->ncarriers; c++) {
        const sb_carrier *cr = &w->carriers[c];
        per_alliance[cr->alliance]++;
        assert_true(cr->nhubs >= 1);
        assert_int_equal(strlen(cr->code), 2);
        for (int d = 0; d < c; d++)
            assert_string_not_equal(cr->code, w->carriers[d].code);
    }
    for (int a = 1; a <= 3; a++)
        assert_true(per_alliance[a] >= 5);
    /* Both seasons present, split at the last Sunday of March 2027. */
    int64_t summer = ct_days_from_civil(2027, 3, 28);
    int winter_patterns = 0, summer_patterns = 0, multileg = 0;
    for (int i = 0; i < w->nflights; i++) {
        winter_patterns += w->flights[i].last_day < summer;
        summer_patterns += w->flights[i].first_day >= summer;
        multileg += w->flights[i].nlegs > 1;
        assert_true(w->flights[i].first_day >= w->start_day);
        assert_true(w->flights[i].last_day < w->start_day + w->horizon_days);
        assert_true(sb_flight_operates(&w->flights[i], w->flights[i].first_day));
    }
    assert_true(winter_patterns > 1000);
    assert_true(summer_patterns > 1000);
    assert_true(multileg > 50);
}

/* Real carriers at their real hubs; traffic rights: a carrier flies from or to its home
 * country (or inside the EU's single market when it is from there), LaGuardia and National
 * keep their perimeters, nothing over 13,000 km but a few real pairs; multi-leg flights
 * choose their aircraft per leg. */
static void real_carriers_and_traffic_rights(void **state)
{
    (void)state;
    const sb_world *w = big.world;
    static const char *const hubs[][2] = {{"BA", "LHR"}, {"LH", "FRA"}, {"AF", "CDG"},
                                          {"KL", "AMS"}, {"DL", "ATL"}, {"AA", "DFW"},
                                          {"UA", "ORD"}, {"EK", "DXB"}, {"QF", "SYD"}};
    for (size_t k = 0; k < sizeof(hubs) / sizeof(hubs[0]); k++) {
        int found = 0;
        for (int c = 0; c < w->ncarriers; c++) {
            if (strcmp(w->carriers[c].code, hubs[k][0]) == 0) {
                found = 1;
                assert_string_equal(w->airports[w->carriers[c].hubs[0]].iata, hubs[k][1]);
            }
        }
        assert_true(found);
    }
    static const char *const single[] = {
        "AT", "BE", "BG", "HR", "CY", "CZ", "DK", "EE", "FI", "FR", "DE", "GR", "HU", "IE", "IT",
        "LV", "LT", "LU", "MT", "NL", "PL", "PT", "RO", "SK", "SI", "ES", "SE", "NO", "IS", "CH"};
    int retyped = 0;
    for (int i = 0; i < w->nflights; i++) {
        const sb_flight *f = &w->flights[i];
        const sb_carrier *cr = &w->carriers[f->carrier];
        for (int l = 0; l < f->nlegs; l++) {
            const sb_airport *o = &w->airports[f->legs[l].origin],
                             *d = &w->airports[f->legs[l].dest];
            int home = !strcmp(o->country, cr->country) || !strcmp(d->country, cr->country);
            int in_market = 0;
            for (size_t k = 0; k < sizeof(single) / sizeof(single[0]); k++)
                in_market += !strcmp(single[k], cr->country) + !strcmp(single[k], o->country) +
                             !strcmp(single[k], d->country);
            if (!home && in_market < 3)
                fail_msg("%s%d flies %s-%s: cabotage", cr->code, f->number, o->iata, d->iata);
            double km = sb_distance_km(w, f->legs[l].origin, f->legs[l].dest);
            int lga = !strcmp(o->iata, "LGA") || !strcmp(d->iata, "LGA");
            int dca = !strcmp(o->iata, "DCA") || !strcmp(d->iata, "DCA");
            if ((lga && km > 2414 && strcmp(o->iata, "DEN") != 0 && strcmp(d->iata, "DEN") != 0) ||
                (dca && km > 4000))
                fail_msg("%s-%s breaks a perimeter rule (%.0f km)", o->iata, d->iata, km);
            assert_true(km <= 16000);
            if (l > 0 && f->legs[l].aircraft != f->legs[0].aircraft)
                retyped++;
        }
    }
    assert_true(retyped > 0);
}

static void zone_tables_agree_with_icu(void **state)
{
    (void)state;
    const sb_world *w = big.world;
    for (int z = 0; z < w->nzones; z++) {
        const sb_zone *zone = &w->zones[z];
        /* Every 97 minutes across the horizon, including the DST weeks. */
        for (int64_t t = w->start_day * 86400; t < (w->start_day + 365) * 86400; t += 97 * 60) {
            ct_civil c;
            int off;
            assert_int_equal(ct_tz_from_utc(zone->name, t, &c, &off), CT_OK);
            if (sb_zone_offset_at(zone, t) != off)
                fail_msg("%s at %lld: table %d, ICU %d", zone->name, (long long)t,
                         sb_zone_offset_at(zone, t), off);
            if (z % 20 == 0) { /* local -> UTC on a sample of zones */
                ct_utc back;
                assert_int_equal(ct_tz_to_utc(zone->name, &c, &back, NULL), CT_OK);
                int64_t local = ct_days_from_civil(c.year, c.month, c.day) * 86400 + c.hour * 3600 +
                                c.minute * 60 + c.second;
                assert_int_equal(sb_zone_to_utc(zone, local), back);
            }
        }
    }
}

static void ssim_layout(void **state)
{
    (void)state;
    const sb_world *w = small_a.world;
    size_t len;
    char *all = ssim_bytes(w, &len);
    assert_int_equal(len % 201, 0); /* 200 columns and a newline, every record */
    long leg_records = 0, splits = 0;
    for (size_t off = 0; off < len; off += 201) {
        const char *r = all + off;
        assert_int_equal(r[200], '\n');
        if (r[0] != '3')
            continue;
        leg_records++;
        assert_true(r[13] == 'J');
        assert_true(r[47] == '+' || r[47] == '-');
        assert_true(r[65] == '+' || r[65] == '-');
        splits += strncmp(r + 14, "23NOV26", 7) != 0;
    }
    assert_true(leg_records > 500);
    assert_true(splits > 0); /* DST changes split periods */
    free(all);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(same_seed_same_bytes),
        cmocka_unit_test(small_world_is_small),
        cmocka_unit_test(default_world_scale),
        cmocka_unit_test(block_times_follow_distance),
        cmocka_unit_test(large_airports_reach_each_other),
        cmocka_unit_test(carriers_alliances_and_seasons),
        cmocka_unit_test(real_carriers_and_traffic_rights),
        cmocka_unit_test(zone_tables_agree_with_icu),
        cmocka_unit_test(ssim_layout),
    };
    return cmocka_run_group_tests(tests, setup, teardown);
}
