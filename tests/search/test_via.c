/* test_via.c: the restricted cheapest-only search (ct_search_cheapest_via) against the full
 * one (ct_search_cheapest) on the small sandbox world priced by the synthetic providers.
 *
 * For random queries (airports and metro areas, 0 to 2 stops, both cabins, 1 to 3
 * passengers, three currencies) whose full cheapest itinerary is priced:
 *   - through each leg of that itinerary (first, middle or last), the restricted search
 *     finds exactly the full search's price;
 *   - below that price (the ceiling), it finds nothing through any leg of the date's
 *     departures from the origins or arrivals into the destinations (nothing is cheaper than
 *     the cheapest);
 *   - whatever it finds through any such leg is a valid itinerary (ct_search_valid) that
 *     flies the leg, at or above the full price.
 * Counts of each position are checked so that the test covers them all. And the collecting
 * form (ct_search_oneway_via) finds every member of the full one-way set that flies the
 * leg, and nothing invalid. */
#include "ct_test.h"

#include <stdio.h>
#include <string.h>

#include "search/search.h"
#include "pricefill.h"
#include "smallworld.h"
#include "testsupport.h"

static ts_small_world sw;
static ct_timetable *tt;

static int setup(void **state)
{
    (void)state;
    ts_small_world_open(&sw, 11);
    tt = ts_small_world_timetable(&sw, 30);
    return 0;
}

static int teardown(void **state)
{
    (void)state;
    ct_timetable_free(tt);
    ts_small_world_close(&sw);
    return 0;
}

static uint64_t rng = 0x2545f4914f6cdd1dull;
static uint64_t next_rand(void)
{
    rng ^= rng << 13;
    rng ^= rng >> 7;
    rng ^= rng << 17;
    return rng;
}

/* Airport a or, one time in four, its metro area's airports. */
static int place_of(uint16_t a, uint16_t *out)
{
    const ct_airport *ap = ct_refdata_airport_at(tt->rd, a);
    const ct_metro *m =
        ap->metro != NULL && next_rand() % 4 == 0 ? ct_refdata_metro(tt->rd, ap->metro) : NULL;
    int n = 0;
    for (int i = 0; m != NULL && i < m->nairports && n < 8; i++) {
        int x = ct_timetable_airport(tt, m->airports[i]->iata);
        if (x >= 0)
            out[n++] = (uint16_t)x;
    }
    if (n == 0)
        out[n++] = a;
    return n;
}

/* A random leg's origin, and where it or one or two legs after it lead. */
static void pick_route(uint16_t *from, uint16_t *to)
{
    const ct_leg *l = &tt->legs[next_rand() % tt->nlegs];
    *from = l->from;
    int hops = (int)(next_rand() % 3);
    for (int h = 0; h < hops; h++) {
        uint32_t n = tt->first[l->to + 1] - tt->first[l->to];
        if (n == 0)
            break;
        const ct_leg *next = &tt->legs[tt->first[l->to] + next_rand() % n];
        if (next->to == *from)
            break;
        l = next;
    }
    *to = l->to;
}

static int has_leg(const ct_itinerary *it, const ct_leg *l)
{
    for (int i = 0; i < it->nlegs; i++) {
        if (it->legs[i] == l)
            return 1;
    }
    return 0;
}

static int overlaps(const uint16_t *a, int na, const uint16_t *b, int nb)
{
    for (int i = 0; i < na; i++)
        for (int k = 0; k < nb; k++)
            if (a[i] == b[k])
                return 1;
    return 0;
}

/* Every leg of the date out of an origin or into a destination (and the legs of `best`):
 * what the restricted search finds through it is valid, flies it, and is not cheaper than
 * the full search's best; below that price it finds nothing. */
static void check_other_legs(const ct_search_query *q, int64_t full, int *checked)
{
    for (size_t i = 0; i < tt->nlegs; i++) {
        const ct_leg *l = &tt->legs[i];
        if (l->local_date < q->date - 1 || l->local_date > q->date + 2)
            continue;
        int out = 0, in = 0;
        for (int k = 0; k < q->norigins; k++)
            out |= l->from == q->origins[k];
        for (int k = 0; k < q->ndests; k++)
            in |= l->to == q->dests[k];
        if (!out && !in && next_rand() % 64 != 0)
            continue; /* a sample of the middle legs too */
        ct_itinerary it;
        int found = 0;
        assert_int_equal(ct_search_cheapest_via(tt, q, (uint32_t)i, INT64_MAX, &it, &found), CT_OK);
        if (found) {
            assert_true(ct_search_valid(tt, q, &it));
            assert_true(has_leg(&it, l));
            assert_true(it.price >= full);
            (*checked)++;
        }
        assert_int_equal(ct_search_cheapest_via(tt, q, (uint32_t)i, full, &it, &found), CT_OK);
        assert_false(found);
    }
}

static void the_restricted_search_equals_the_full_one_through_its_legs(void **state)
{
    (void)state;
    ct_pricebook *pb = ts_fill_pricebook(tt);
    ct_pb_view v;
    ct_pricebook_acquire(pb, &v);
    static const char *currencies[] = {"EUR", "USD", "JPY"};
    int by_position[3][3] = {{0}}, priced = 0, others = 0;
    for (int n = 0; n < 400; n++) {
        uint16_t o[8], d[8], from, to;
        pick_route(&from, &to);
        int no = place_of(from, o), nd = place_of(to, d);
        if (overlaps(o, no, d, nd))
            continue;
        int pax = 1 + (int)(next_rand() % 3);
        ct_cabin cabin = next_rand() % 4 == 0 ? CT_CABIN_BUSINESS : CT_CABIN_ECONOMY;
        ct_price_ctx pc;
        assert_int_equal(ct_price_ctx_init(&pc, &v, cabin, pax, pax, currencies[next_rand() % 3]),
                         CT_OK);
        int64_t day = sw.start + 1 + (int64_t)(next_rand() % 25);
        ct_search_query q = {o, no, d, nd, day, (int)(next_rand() % 3), &pc};
        if (n % 2 == 0)
            q.max_stops = 2;
        ct_itinerary best, it;
        int found = 0;
        assert_int_equal(ct_search_cheapest(tt, &q, &best, &found), CT_OK);
        if (!found || best.price == CT_PRICE_UNKNOWN)
            continue;
        priced++;
        for (int k = 0; k < best.nlegs; k++) {
            int got = 0;
            uint32_t leg = (uint32_t)(best.legs[k] - tt->legs);
            assert_int_equal(ct_search_cheapest_via(tt, &q, leg, INT64_MAX, &it, &got), CT_OK);
            assert_true(got);
            assert_int_equal(it.price, best.price);
            assert_true(has_leg(&it, best.legs[k]));
            by_position[best.nlegs - 1][k]++;
        }
        if (n % 8 == 0)
            check_other_legs(&q, best.price, &others);
    }
    ct_pricebook_release(pb, &v);
    ct_pricebook_free(pb);
    printf("# %d priced queries; through the cheapest's legs: direct %d, one stop %d/%d, two "
           "stops %d/%d/%d; %d other legs' itineraries checked\n",
           priced, by_position[0][0], by_position[1][0], by_position[1][1], by_position[2][0],
           by_position[2][1], by_position[2][2], others);
    assert_true(priced >= 50);
    assert_true(by_position[0][0] > 0 && by_position[1][0] > 0 && by_position[1][1] > 0);
    assert_true(by_position[2][0] > 0 && by_position[2][1] > 0 && by_position[2][2] > 0);
    assert_true(others > 0);
}

static int same(const ct_itinerary *a, const ct_itinerary *b)
{
    if (a->nlegs != b->nlegs || a->price != b->price)
        return 0;
    for (int k = 0; k < a->nlegs; k++) {
        if (a->legs[k] != b->legs[k])
            return 0;
    }
    return 1;
}

/* ct_search_oneway_via: every itinerary of the full one-way set that flies the leg is among
 * what it finds (same legs, same price), and everything it finds is valid and flies the
 * leg. */
static void every_itinerary_through_a_leg_is_found(void **state)
{
    (void)state;
    ct_pricebook *pb = ts_fill_pricebook(tt);
    ct_pb_view v;
    ct_pricebook_acquire(pb, &v);
    int sets = 0, members = 0;
    for (int n = 0; n < 150; n++) {
        uint16_t o[8], d[8], from, to;
        pick_route(&from, &to);
        int no = place_of(from, o), nd = place_of(to, d);
        if (overlaps(o, no, d, nd))
            continue;
        ct_price_ctx pc;
        assert_int_equal(
            ct_price_ctx_init(&pc, &v, CT_CABIN_ECONOMY, 1 + (int)(next_rand() % 2), 1, "EUR"),
            CT_OK);
        ct_search_query q = {o, no, d, nd, sw.start + 1 + (int64_t)(next_rand() % 25), 2, &pc};
        ct_search_result full;
        assert_int_equal(ct_search_oneway(tt, &q, &full), CT_OK);
        if (full.n == 0) {
            ct_search_result_free(&full);
            continue;
        }
        sets++;
        const ct_itinerary *pick = &full.items[next_rand() % full.n];
        const ct_leg *l = pick->legs[next_rand() % (uint64_t)pick->nlegs];
        ct_search_result via;
        assert_int_equal(ct_search_oneway_via(tt, &q, (uint32_t)(l - tt->legs), &via), CT_OK);
        for (size_t i = 0; i < via.n; i++) {
            assert_true(ct_search_valid(tt, &q, &via.items[i]));
            assert_true(has_leg(&via.items[i], l));
        }
        for (size_t i = 0; i < full.n; i++) {
            if (!has_leg(&full.items[i], l))
                continue;
            int found = 0;
            for (size_t k = 0; k < via.n && !found; k++)
                found = same(&full.items[i], &via.items[k]);
            assert_true(found);
            members++;
        }
        ct_search_result_free(&via);
        ct_search_result_free(&full);
    }
    ct_pricebook_release(pb, &v);
    ct_pricebook_free(pb);
    printf("# %d sets, %d members through the chosen leg found\n", sets, members);
    assert_true(sets >= 50 && members >= sets);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(the_restricted_search_equals_the_full_one_through_its_legs),
        cmocka_unit_test(every_itinerary_through_a_leg_is_found),
    };
    return cmocka_run_group_tests(tests, setup, teardown);
}
