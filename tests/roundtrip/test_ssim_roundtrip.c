/* test_ssim_roundtrip.c: the sandbox's SSIM writer and the platform's SSIM reader agree.
 *
 * The small world is written carrier by carrier, read back with ct_ssim_*, and both sides are
 * expanded to dated legs (carrier, number, leg, date, stations, UTC departure and arrival,
 * aircraft, seats). The two sets must be identical, and every record's UTC variations must
 * match the IANA zones of its airports on every date it covers. */
#define _GNU_SOURCE
#include "ct_test.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "base/timeutil.h"
#include "sandbox/world/sandbox_data.h"
#include "sandbox/world/ssim_write.h"
#include "timetable/ssim.h"
#include "testsupport.h"

typedef struct dated_leg {
    char key[96]; /* carrier number leg date dep arr aircraft seats */
    int64_t dep_utc, arr_utc;
} dated_leg;

static int cmp_leg(const void *x, const void *y)
{
    const dated_leg *a = x, *b = y;
    int c = strcmp(a->key, b->key);
    if (c)
        return c;
    return a->dep_utc < b->dep_utc ? -1 : a->dep_utc > b->dep_utc;
}

typedef struct leg_set {
    dated_leg *items;
    size_t len, cap;
} leg_set;

static void push(leg_set *s, const char *carrier, int number, int leg, int64_t day, const char *dep,
                 const char *arr, const char *aircraft, int seats, int64_t d, int64_t a)
{
    if (s->len == s->cap) {
        s->cap = s->cap ? s->cap * 2 : 4096;
        s->items = realloc(s->items, s->cap * sizeof(dated_leg));
    }
    dated_leg *x = &s->items[s->len++];
    snprintf(x->key, sizeof(x->key), "%s %04d %d %lld %s %s %s %d", carrier, number, leg,
             (long long)day, dep, arr, aircraft, seats);
    x->dep_utc = d;
    x->arr_utc = a;
}

/* The four cabins' seats in one number (each cabin's count kept apart, economy below 1024). */
static int cabins_key(int first, int business, int premium, int economy)
{
    return ((first * 64 + business) * 64 + premium) * 1024 + economy;
}

static void writer_and_reader_agree(void **state)
{
    (void)state;
    int64_t start;
    ct_date_parse("2026-11-23", &start);
    sb_world_params p = {7, start, SB_WORLD_SMALL, ts_refdata_dir()};
    sb_data data;
    char err[256];
    assert_int_equal(sb_data_open(&p, &data, err, sizeof(err)), CT_OK);
    const sb_world *w = data.world;
    int naircraft;
    const sb_aircraft *types = sb_aircraft_types(&naircraft);

    leg_set want = {0}, got = {0};
    for (int i = 0; i < w->nflights; i++) {
        const sb_flight *f = &w->flights[i];
        for (int64_t day = f->first_day; day <= f->last_day; day++) {
            if (!sb_flight_operates(f, day))
                continue;
            for (int l = 0; l < f->nlegs; l++) {
                const sb_aircraft *ac = &types[f->legs[l].aircraft];
                int64_t d, a;
                assert_int_equal(sb_leg_times(w, f, l, day, &d, &a), CT_OK);
                push(&want, w->carriers[f->carrier].code, f->number, l + 1, day,
                     w->airports[f->legs[l].origin].iata, w->airports[f->legs[l].dest].iata,
                     ac->iata,
                     cabins_key(ac->seats_first, ac->seats_business, ac->seats_premium,
                                ac->seats_economy),
                     d, a);
            }
        }
    }

    char dir[256];
    ts_tempdir(dir, sizeof(dir));
    sb_ssim_stats stats = {0};
    assert_int_equal(sb_ssim_write_world(w, dir, start, &stats), CT_OK);
    size_t checked_zones = 0;
    for (int c = 0; c < w->ncarriers; c++) {
        char path[512];
        snprintf(path, sizeof(path), "%s/%s.ssim", dir, w->carriers[c].code);
        ct_ssim_reader *r = NULL;
        assert_int_equal(ct_ssim_open(path, NULL, &r), CT_OK);
        const ct_ssim_leg *leg;
        ct_status rc;
        while ((rc = ct_ssim_next(r, &leg)) == CT_ROW) {
            for (int64_t day = leg->period_from; day <= leg->period_to; day++) {
                if (!ct_ssim_leg_operates(leg, day))
                    continue;
                ct_utc d, a;
                assert_int_equal(ct_ssim_leg_utc(leg, day, &d, &a), CT_OK);
                push(&got, leg->airline, leg->flight_number, leg->leg_seq, day, leg->dep, leg->arr,
                     leg->aircraft_type,
                     cabins_key(leg->seats['F' - 'A'], leg->seats['J' - 'A'], leg->seats['W' - 'A'],
                                leg->seats['Y' - 'A']),
                     d, a);
                /* The variations written are the zones' offsets on every date. */
                int di = -1, ai = -1;
                for (int k = 0; k < w->nairports && (di < 0 || ai < 0); k++) {
                    if (strcmp(w->airports[k].iata, leg->dep) == 0)
                        di = k;
                    if (strcmp(w->airports[k].iata, leg->arr) == 0)
                        ai = k;
                }
                assert_true(di >= 0 && ai >= 0);
                /* Exact at the instant (the local time alone is ambiguous in the repeated
                 * hour of a fall-back night, which the written variation resolves). */
                ct_civil wall;
                int dep_off, arr_off;
                assert_int_equal(ct_tz_from_utc(w->airports[di].tz, d, &wall, &dep_off), CT_OK);
                assert_int_equal(ct_tz_from_utc(w->airports[ai].tz, a, &wall, &arr_off), CT_OK);
                if (dep_off != leg->dep_utc_var * 60 || arr_off != leg->arr_utc_var * 60)
                    fail_msg("%s%d %lld: variations %d/%d, zones %d/%d", leg->airline,
                             leg->flight_number, (long long)day, leg->dep_utc_var, leg->arr_utc_var,
                             dep_off / 60, arr_off / 60);
                checked_zones++;
            }
        }
        assert_int_equal(rc, CT_DONE);
        const ct_ssim_report *rep = ct_ssim_get_report(r);
        if (rep->errors || rep->warnings)
            fail_msg("%s: %s", path, rep->nmessages ? rep->messages[0] : "?");
        ct_ssim_close(r);
    }
    assert_true(want.len > 100000); /* a year of a few hundred legs a day */
    assert_int_equal(got.len, want.len);
    qsort(want.items, want.len, sizeof(dated_leg), cmp_leg);
    qsort(got.items, got.len, sizeof(dated_leg), cmp_leg);
    for (size_t i = 0; i < want.len; i++) {
        if (cmp_leg(&want.items[i], &got.items[i]) != 0 ||
            want.items[i].arr_utc != got.items[i].arr_utc)
            fail_msg("leg %zu differs: world %s %lld-%lld, SSIM %s %lld-%lld", i, want.items[i].key,
                     (long long)want.items[i].dep_utc, (long long)want.items[i].arr_utc,
                     got.items[i].key, (long long)got.items[i].dep_utc,
                     (long long)got.items[i].arr_utc);
    }
    assert_int_equal(checked_zones, got.len);
    free(want.items);
    free(got.items);
    ts_rmtree(dir);
    sb_data_close(&data);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(writer_and_reader_agree),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
