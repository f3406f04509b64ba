/* test_search.c: the engine against a brute-force enumerator on generated networks.
 *
 * A small sandbox world is published as SSIM, loaded through the platform's reader into the
 * timetable, and 1,000 random one-way queries (airports and metro areas, every day of the
 * year with extra weight on daylight-saving weekends, 0 to 2 stops) are answered twice: by
 * the engine, and by enumerating every itinerary the rules allow and keeping the
 * non-dominated ones. The two sets must be identical (ties included), and every itinerary
 * the engine returns must be valid.
 *
 * The priced run does the same with prices: a pricebook is filled with four providers
 * (an airline selling one alliance, two agencies in other currencies with fees, a
 * self-transfer combiner), random fares per market and class, random seats per dated leg
 * (some legs unknown, some carriers sold by nobody: schedule-only), random alliances; queries
 * vary cabin, passengers and currency, and dominance includes the price. Each priced query
 * is answered both with the pricebook's leg bounds and with the per-query ones (the path a
 * search takes when a writer changes prices meanwhile): the answers must be identical.
 *
 * The leg bounds themselves: for every leg, cabin, passenger count and currency, the
 * table's bound is at most the exact lowest amount and within 0.2 % of the lowest amount of
 * a class with a seat; writes (seats, fares, rates) keep it so, and a write between
 * ct_pb_bounds_begin and ct_pb_bounds_check fails the check. With a writer rewriting seats
 * and fares meanwhile, searches stay whole (every itinerary keeps the schedule's rules; the
 * sequence check sends them to the per-query path), and once it stops the engine equals the
 * enumerator again. */
#include "ct_test.h"

#include <math.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "base/timeutil.h"
#include "base/vec.h"
#include "sandbox/world/sandbox_data.h"
#include "sandbox/world/ssim_write.h"
#include "search/calendar.h"
#include "search/trip.h"
#include "search/search.h"
#include "pricefill.h"
#include "smallworld.h"
#include "testsupport.h"
#include "timetable/timetable.h"

static ts_small_world sw;
static ct_timetable *tt;

static int setup(void **state)
{
    (void)state;
    ts_small_world_open(&sw, 11);
    tt = ts_small_world_timetable(&sw, 365);
    return 0;
}

static int teardown(void **state)
{
    (void)state;
    ct_timetable_free(tt);
    ts_small_world_close(&sw);
    return 0;
}

/* ---- the brute-force enumerator: the rules written out, no pruning ---- */

typedef CT_VEC(ct_itinerary) itin_vec;

static int in_set(const uint16_t *set, int n, uint16_t a)
{
    for (int i = 0; i < n; i++)
        if (set[i] == a)
            return 1;
    return 0;
}

static int mct(const ct_leg *in, const ct_leg *out)
{
    const char *a = ct_refdata_airport_at(tt->rd, in->from)->country;
    const char *b = ct_refdata_airport_at(tt->rd, in->to)->country;
    const char *c = ct_refdata_airport_at(tt->rd, out->to)->country;
    return strcmp(a, b) == 0 && strcmp(b, c) == 0 ? 45 : 60;
}

static int connects(const ct_leg *p, const ct_leg *n)
{
    return n->from == p->to && n->dep >= p->arr + mct(p, n) && n->dep <= p->arr + 1440;
}

/* Adds a schedule-valid itinerary, priced by the query's rule (dropped when nobody sells it
 * or its cabin is missing). */
static void push(itin_vec *v, const ct_search_query *q, const ct_leg *a, const ct_leg *b,
                 const ct_leg *c)
{
    ct_itinerary it = {c   ? 3
                       : b ? 2
                           : 1,
                       {a, b, c},
                       a->dep,
                       (c   ? c
                        : b ? b
                            : a)
                           ->arr,
                       CT_PRICE_UNKNOWN};
    if (q->price != NULL) {
        for (int i = 0; i < it.nlegs; i++) {
            if (!ct_leg_has_cabin(it.legs[i], q->price->cabin))
                return;
        }
        it.price = ct_price_itinerary(q->price, it.legs, it.nlegs, NULL);
        if (it.price < 0)
            return;
    }
    assert_int_equal(CT_VEC_PUSH(v, it), 0);
}

/* Every valid itinerary of q, priced by q's rule; nothing filtered. */
static void enumerate(const ct_search_query *q, itin_vec *out)
{
    itin_vec all = {0};
    for (size_t i = 0; i < tt->nlegs; i++) {
        const ct_leg *a = &tt->legs[i];
        if (!in_set(q->origins, q->norigins, a->from) || a->local_date != q->date)
            continue;
        if (in_set(q->dests, q->ndests, a->to))
            push(&all, q, a, NULL, NULL);
        if (q->max_stops < 1)
            continue;
        for (size_t j = tt->first[a->to]; j < tt->first[a->to + 1]; j++) {
            const ct_leg *b = &tt->legs[j];
            if (!connects(a, b) || b->to == a->from)
                continue;
            if (in_set(q->dests, q->ndests, b->to))
                push(&all, q, a, b, NULL);
            if (q->max_stops < 2)
                continue;
            for (size_t k = tt->first[b->to]; k < tt->first[b->to + 1]; k++) {
                const ct_leg *c = &tt->legs[k];
                if (connects(b, c) && c->to != a->from && c->to != a->to &&
                    in_set(q->dests, q->ndests, c->to))
                    push(&all, q, a, b, c);
            }
        }
    }
    *out = all;
}

static void brute_force(const ct_search_query *q, itin_vec *out)
{
    itin_vec all = {0};
    enumerate(q, &all);
    for (size_t i = 0; i < all.len; i++) {
        int dominated = 0;
        for (size_t j = 0; j < all.len && !dominated; j++)
            dominated = j != i && ct_itinerary_dominates(&all.items[j], &all.items[i]);
        if (!dominated)
            assert_int_equal(CT_VEC_PUSH(out, all.items[i]), 0);
    }
    CT_VEC_FREE(&all);
}

static int itin_cmp(const void *x, const void *y)
{
    const ct_itinerary *a = x, *b = y;
    if (a->dep != b->dep)
        return a->dep < b->dep ? -1 : 1;
    if (a->arr != b->arr)
        return a->arr < b->arr ? -1 : 1;
    if (a->nlegs != b->nlegs)
        return a->nlegs - b->nlegs;
    if (a->price != b->price)
        return a->price < b->price ? -1 : 1;
    for (int i = 0; i < a->nlegs; i++)
        if (a->legs[i] != b->legs[i])
            return a->legs[i] < b->legs[i] ? -1 : 1;
    return 0;
}

/* ---- random queries ---- */

static uint64_t rng = 0x9e3779b97f4a7c15ull;

static uint32_t next_rand(void)
{
    rng ^= rng << 13;
    rng ^= rng >> 7;
    rng ^= rng << 17;
    return (uint32_t)(rng >> 11);
}

/* A query's cabin: mostly economy, each other cabin one time in eight (premium economy and
 * first have no leg-bound table: the per-query bounds path). */
static ct_cabin random_cabin(void)
{
    static const ct_cabin other[] = {CT_CABIN_BUSINESS, CT_CABIN_PREMIUM, CT_CABIN_FIRST};
    unsigned r = (unsigned)(next_rand() % 8);
    return r < 3 ? other[r] : CT_CABIN_ECONOMY;
}

/* A random place of the world: an airport, or now and then a metro area of it. */
static int random_place(uint16_t *out)
{
    const sb_world *w = sw.data.world;
    if (next_rand() % 5 == 0) {
        size_t nm = ct_refdata_metro_count(tt->rd);
        for (int tries = 0; tries < 20; tries++) {
            const ct_metro *m = NULL;
            const char *codes[] = {"LON", "PAR", "NYC", "TYO", "WAS", "CHI", "BER", "MIL"};
            m = ct_refdata_metro(tt->rd, codes[next_rand() % 8]);
            if (m == NULL || nm == 0)
                continue;
            int n = 0;
            for (int i = 0; i < m->nairports; i++) {
                int a = ct_timetable_airport(tt, m->airports[i]->iata);
                if (a >= 0 && tt->first[a + 1] > tt->first[a])
                    out[n++] = (uint16_t)a;
            }
            if (n > 0)
                return n;
        }
    }
    out[0] =
        (uint16_t)ct_timetable_airport(tt, w->airports[next_rand() % (uint32_t)w->nairports].iata);
    return 1;
}

static ct_pricebook *pb;

/* Explore from q's origins (0-1 stops) against every valid itinerary enumerated. */
static void explore_equals_brute_force(const ct_search_query *query)
{
    ct_search_query q = *query;
    q.max_stops = 1;
    /* Read once: for all the analyzer knows, the calls below could change tt->nairports. */
    size_t nairports = tt->nairports;
    int64_t *best = malloc(nairports * sizeof(int64_t));
    assert_non_null(best);
    for (size_t a = 0; a < nairports; a++)
        best[a] = -1;
    for (size_t i = 0; i < tt->nlegs; i++) {
        const ct_leg *a = &tt->legs[i];
        if (!in_set(q.origins, q.norigins, a->from) || a->local_date != q.date)
            continue;
        itin_vec all = {0};
        q.dests = &a->to;
        q.ndests = 1;
        if (!in_set(q.origins, q.norigins, a->to))
            push(&all, &q, a, NULL, NULL);
        for (size_t j = tt->first[a->to]; j < tt->first[a->to + 1]; j++) {
            const ct_leg *b = &tt->legs[j];
            if (connects(a, b) && b->to != a->from && !in_set(q.origins, q.norigins, b->to))
                push(&all, &q, a, b, NULL);
        }
        for (size_t k = 0; k < all.len; k++) {
            const ct_itinerary *it = &all.items[k];
            uint16_t to = it->legs[it->nlegs - 1]->to;
            if (it->price != CT_PRICE_UNKNOWN && (best[to] < 0 || it->price < best[to]))
                best[to] = it->price;
        }
        CT_VEC_FREE(&all);
    }
    ct_explore_hit *hits = NULL;
    size_t n = 0;
    q = *query;
    q.max_stops = 1;
    assert_int_equal(ct_explore(tt, &q, &hits, &n), CT_OK);
    size_t want = 0;
    for (size_t a = 0; a < nairports; a++)
        want += best[a] >= 0;
    assert_int_equal(n, want);
    for (size_t i = 0; i < n; i++)
        assert_int_equal(hits[i].best.price, best[hits[i].airport]);
    free(hits);
    free(best);
}

/* n random queries, priced when `priced`; the engine must equal the enumerator. */
static void random_queries(int nqueries, int priced)
{
    ct_pb_view view;
    if (priced)
        ct_pricebook_acquire(pb, &view);
    static const char *const currencies[] = {"USD", "EUR", "GBP", "JPY", "KWD"};
    int64_t dst_days[] = {ct_days_from_civil(2027, 3, 14),  ct_days_from_civil(2027, 3, 13),
                          ct_days_from_civil(2027, 3, 28),  ct_days_from_civil(2027, 3, 27),
                          ct_days_from_civil(2027, 10, 31), ct_days_from_civil(2027, 10, 30),
                          ct_days_from_civil(2027, 11, 7),  ct_days_from_civil(2027, 4, 4)};
    int nonempty = 0, with_stops[3] = {0}, multi_airport = 0, with_price = 0, unpriced = 0;
    size_t total = 0;
    for (int qn = 0; qn < nqueries; qn++) {
        uint16_t orig[8], dest[8];
        int no = random_place(orig), nd = random_place(dest);
        int overlap = 0;
        for (int i = 0; i < no; i++)
            overlap |= in_set(dest, nd, orig[i]);
        if (overlap) {
            qn--;
            continue;
        }
        int64_t date =
            next_rand() % 4 == 0 ? dst_days[next_rand() % 8] : tt->from_day + next_rand() % 360;
        ct_search_query q = {
            orig, no, dest, nd, date, (int)(next_rand() % 6 == 0 ? next_rand() % 2 : 2), NULL};
        ct_price_ctx pc;
        if (priced) {
            int seats = 1 + (int)(next_rand() % 3);
            ct_cabin cabin = random_cabin();
            assert_int_equal(
                ct_price_ctx_init(&pc, &view, cabin, seats, seats, currencies[next_rand() % 5]),
                CT_OK);
            if (next_rand() % 3 == 0) /* children and infants: the bounds still hold */
                ct_price_ctx_set_pax(&pc, seats, (int)(next_rand() % 3), (int)(next_rand() % 2),
                                     (int)(next_rand() % 2));
            q.price = &pc;
        }
        ct_search_result r;
        assert_int_equal(ct_search_oneway(tt, &q, &r), CT_OK);
        if (priced) { /* the per-query bounds give the same answer */
            assert_true(pc.leg_bounds ==
                        (pc.cabin < CT_NBOUND_CABINS)); /* none: the rarer cabins */
            ct_price_ctx slow = pc;
            slow.no_leg_bounds = 1;
            ct_search_query qs = q;
            qs.price = &slow;
            ct_search_result rs;
            assert_int_equal(ct_search_oneway(tt, &qs, &rs), CT_OK);
            assert_int_equal(rs.n, r.n);
            for (size_t i = 0; i < r.n; i++)
                assert_int_equal(itin_cmp(&r.items[i], &rs.items[i]), 0);
            ct_search_result_free(&rs);
        }
        itin_vec want = {0};
        brute_force(&q, &want);
        if (want.len > 1)
            qsort(want.items, want.len, sizeof(ct_itinerary), itin_cmp);
        if (want.len != r.n)
            fail_msg("query %d (%s->%s, day %lld, %d stops): engine %zu, brute force %zu", qn,
                     ct_refdata_airport_at(tt->rd, orig[0])->iata,
                     ct_refdata_airport_at(tt->rd, dest[0])->iata, (long long)date, q.max_stops,
                     r.n, want.len);
        for (size_t i = 0; i < r.n; i++) {
            assert_int_equal(itin_cmp(&r.items[i], &want.items[i]), 0);
            assert_true(ct_search_valid(tt, &q, &r.items[i]));
            with_stops[r.items[i].nlegs - 1]++;
            with_price += r.items[i].price != CT_PRICE_UNKNOWN;
            unpriced += r.items[i].price == CT_PRICE_UNKNOWN;
        }
        if (priced) { /* the cheapest-only search agrees with the enumerator */
            ct_itinerary cheap;
            int found;
            assert_int_equal(ct_search_cheapest(tt, &q, &cheap, &found), CT_OK);
            int64_t want_min = -1;
            for (size_t i = 0; i < want.len; i++) {
                if (want.items[i].price != CT_PRICE_UNKNOWN &&
                    (want_min < 0 || want.items[i].price < want_min))
                    want_min = want.items[i].price;
            }
            assert_int_equal(found, want_min >= 0);
            if (found)
                assert_int_equal(cheap.price, want_min);
            if (qn % 10 == 0)
                explore_equals_brute_force(&q);
        }
        nonempty += r.n > 0;
        multi_airport += no > 1 || nd > 1;
        total += r.n;
        CT_VEC_FREE(&want);
        ct_search_result_free(&r);
    }
    /* The queries exercised what they should (figures for 1,000, scaled). */
    int per = nqueries / 100; /* per hundred queries */
    assert_true(nonempty > 30 * per);
    assert_true(with_stops[0] > 5 * per && with_stops[1] > 5 * per && with_stops[2] > 5 * per);
    assert_true(multi_airport > 5 * per);
    assert_true(total > (size_t)(100 * per));
    if (priced) {
        ct_pricebook_release(pb, &view);
        assert_true(with_price > 50 * per && unpriced > 2 * per); /* both kinds were compared */
    }
}

/* ---- round trips ---- */

static int trip_dominates(const ct_trip *a, const ct_trip *b)
{
    int better = a->stops < b->stops || a->price < b->price;
    if (a->stops > b->stops || a->price > b->price)
        return 0;
    for (int i = 0; i < a->nslices; i++) {
        if (a->slice[i].dep < b->slice[i].dep || a->slice[i].arr > b->slice[i].arr)
            return 0;
        better |= a->slice[i].dep > b->slice[i].dep || a->slice[i].arr < b->slice[i].arr;
    }
    return better;
}

static int trip_cmp(const void *x, const void *y)
{
    const ct_trip *a = x, *b = y;
    for (int i = 0; i < a->nslices; i++) {
        int c = itin_cmp(&a->slice[i], &b->slice[i]);
        if (c)
            return c;
    }
    return a->price < b->price ? -1 : a->price > b->price;
}

typedef CT_VEC(ct_trip) trip_vec;

/* Every pair of valid itineraries, priced as a trip, then the non-dominated ones. */
static void brute_force_trips(const ct_search_query *slices, trip_vec *out)
{
    itin_vec a = {0}, b = {0};
    enumerate(&slices[0], &a);
    enumerate(&slices[1], &b);
    trip_vec all = {0};
    for (size_t i = 0; i < a.len; i++) {
        for (size_t k = 0; k < b.len; k++) {
            if (b.items[k].dep < a.items[i].arr + CT_TRIP_MIN_GAP)
                continue;
            ct_trip t;
            memset(&t, 0, sizeof(t));
            t.nslices = 2;
            t.slice[0] = a.items[i];
            t.slice[1] = b.items[k];
            ct_trip_price(slices[0].price, &t);
            if (t.price != -1)
                assert_int_equal(CT_VEC_PUSH(&all, t), 0);
        }
    }
    for (size_t i = 0; i < all.len; i++) {
        int dominated = 0;
        for (size_t j = 0; j < all.len && !dominated; j++)
            dominated = j != i && trip_dominates(&all.items[j], &all.items[i]);
        if (!dominated)
            assert_int_equal(CT_VEC_PUSH(out, all.items[i]), 0);
    }
    CT_VEC_FREE(&all);
    CT_VEC_FREE(&a);
    CT_VEC_FREE(&b);
}

static void round_trips_equal_brute_force(void **state)
{
    (void)state;
    pb = ts_fill_pricebook(tt);
    ct_pb_view view;
    ct_pricebook_acquire(pb, &view);
    static const char *const currencies[] = {"USD", "EUR", "GBP", "JPY"};
    int compared = 0, trips = 0, discounted = 0, separate = 0;
    for (int qn = 0; qn < 500 && compared < 200; qn++) {
        /* A market with service: a random dated leg's airports and date (now and then a
         * random place instead). */
        uint16_t orig[8], dest[8];
        const ct_leg *seed = &tt->legs[next_rand() % tt->nlegs];
        int no = 1, nd = 1, overlap = 0;
        orig[0] = seed->from;
        dest[0] = seed->to;
        if (next_rand() % 4 == 0)
            nd = random_place(dest);
        for (int i = 0; i < no; i++)
            overlap |= in_set(dest, nd, orig[i]);
        if (overlap || seed->local_date + 4 > tt->to_day)
            continue;
        int64_t date = seed->local_date;
        ct_price_ctx pc;
        int seats = 1 + (int)(next_rand() % 2);
        assert_int_equal(ct_price_ctx_init(&pc, &view, CT_CABIN_ECONOMY, seats, seats,
                                           currencies[next_rand() % 4]),
                         CT_OK);
        int stops = (int)(next_rand() % 2);
        ct_search_query q[2] = {{orig, no, dest, nd, date, stops, &pc},
                                {dest, nd, orig, no, date + next_rand() % 4, stops, &pc}};
        ct_trip_result r;
        assert_int_equal(ct_trip_search(tt, q, 2, &r), CT_OK);
        if (r.truncated) {
            ct_trip_result_free(&r);
            continue;
        }
        trip_vec want = {0};
        brute_force_trips(q, &want);
        if (want.len > 1)
            qsort(want.items, want.len, sizeof(ct_trip), trip_cmp);
        if (r.n > 1)
            qsort(r.items, r.n, sizeof(ct_trip), trip_cmp);
        if (want.len != r.n)
            fail_msg("round trip %d (%s->%s, day %lld, %d stops): engine %zu, brute force %zu", qn,
                     ct_refdata_airport_at(tt->rd, orig[0])->iata,
                     ct_refdata_airport_at(tt->rd, dest[0])->iata, (long long)date, stops, r.n,
                     want.len);
        for (size_t i = 0; i < r.n; i++) {
            assert_int_equal(trip_cmp(&r.items[i], &want.items[i]), 0);
            assert_int_equal(r.items[i].price, want.items[i].price);
            int64_t best_offer = -1;
            for (int p = 0; p < CT_MAX_PROVIDERS; p++) {
                if (r.items[i].offer[p] >= 0 &&
                    (best_offer < 0 || r.items[i].offer[p] < best_offer))
                    best_offer = r.items[i].offer[p];
            }
            discounted += best_offer >= 0 && best_offer == r.items[i].price &&
                          r.items[i].separate > r.items[i].price;
            separate += r.items[i].separate >= 0 && r.items[i].separate == r.items[i].price &&
                        (best_offer < 0 || best_offer > r.items[i].price);
        }
        trips += (int)r.n;
        compared++;
        CT_VEC_FREE(&want);
        ct_trip_result_free(&r);
    }
    fprintf(stderr, "%d round trips compared, %d trips (%d one-ticket cheaper, %d separate)\n",
            compared, trips, discounted, separate);
    assert_true(compared >= 150 && trips > 500 && discounted > 50 && separate > 50);
    ct_pricebook_release(pb, &view);
    ct_pricebook_free(pb);
    pb = NULL;
}

static void engine_equals_brute_force(void **state)
{
    (void)state;
    random_queries(1000, 0);
}

static void priced_engine_equals_brute_force(void **state)
{
    (void)state;
    pb = ts_fill_pricebook(tt);
    random_queries(1000, 1);
    ct_pricebook_free(pb);
    pb = NULL;
}

/* Passenger types: two adults, a child, an infant in a seat and one on a lap pay, at each
 * provider, 2 x F + 2 x floor(F x 75 / 100) + floor(F x 10 / 100) + 5 fees (F its adult fare
 * of the itinerary), converted into KWD with its three decimals; the itinerary's price is the
 * lowest of those, and less than five adults would pay. */
static void passenger_types_pay_their_fares(void **state)
{
    (void)state;
    pb = ts_fill_pricebook(tt);
    ct_pb_view view;
    ct_pricebook_acquire(pb, &view);
    int checked = 0, cheaper = 0;
    for (int qn = 0; qn < 400 && checked < 200; qn++) {
        uint16_t orig[8], dest[8];
        int no = random_place(orig), nd = random_place(dest), overlap = 0;
        for (int i = 0; i < no; i++)
            overlap |= in_set(dest, nd, orig[i]);
        if (overlap)
            continue;
        ct_price_ctx mixed, adults;
        assert_int_equal(ct_price_ctx_init(&mixed, &view, CT_CABIN_ECONOMY, 1, 1, "KWD"), CT_OK);
        ct_price_ctx_set_pax(&mixed, 2, 1, 1, 1);
        assert_int_equal(mixed.seats, 4);
        assert_int_equal(mixed.payers, 5);
        assert_int_equal(mixed.minor_digits, 3);
        assert_int_equal(ct_price_ctx_init(&adults, &view, CT_CABIN_ECONOMY, 4, 5, "KWD"), CT_OK);
        ct_search_query q = {orig, no, dest, nd, tt->from_day + next_rand() % 300, 1, &mixed};
        ct_search_result r;
        assert_int_equal(ct_search_oneway(tt, &q, &r), CT_OK);
        for (size_t i = 0; i < r.n; i++) {
            const ct_itinerary *it = &r.items[i];
            if (it->price == CT_PRICE_UNKNOWN)
                continue;
            int64_t per_provider[CT_MAX_PROVIDERS], best = -1;
            assert_int_equal(ct_price_itinerary(&mixed, it->legs, it->nlegs, per_provider),
                             it->price);
            for (int p = 0; p < mixed.nproviders; p++) {
                int64_t f = ct_price_slice_provider(&mixed, p, it->legs, it->nlegs, NULL);
                if (f < 0 || per_provider[p] < 0)
                    continue;
                int64_t fee = view.snap->providers[p].desc.fee_minor;
                int64_t native = 2 * f + 2 * (f * 75 / 100) + f * 10 / 100 + 5 * fee;
                assert_int_equal(ct_price_native_total(&mixed, p, f), native);
                assert_int_equal(per_provider[p],
                                 (int64_t)floor((double)native * mixed.conv[p] + 0.5));
                best = best < 0 || per_provider[p] < best ? per_provider[p] : best;
                cheaper += per_provider[p] < ct_price_total(&adults, p, f);
            }
            assert_int_equal(best, it->price);
            checked++;
        }
        ct_search_result_free(&r);
    }
    assert_true(checked >= 100);
    assert_true(cheaper >= checked);
    ct_pricebook_release(pb, &view);
    ct_pricebook_free(pb);
    pb = NULL;
}

/* The lowest amount of a class of the cabin with a seat, over the providers that sell the
 * leg, in the context's currency (INFINITY: none): what the table bounds from below. */
static double any_seat_bound(const ct_price_ctx *c, const ct_leg *l)
{
    const ct_pb_view *v = c->view;
    size_t i = (size_t)(l - tt->legs);
    double best = INFINITY;
    for (int p = 0; p < v->snap->nproviders; p++) {
        const ct_pb_provider *pr = &v->snap->providers[p];
        uint32_t w = ct_pb_seats(v, p, i);
        if (!pr->sells[l->carrier] || pr->amount == NULL || w == CT_SEATS_UNKNOWN)
            continue;
        for (int k = c->class_lo; k <= c->class_hi; k++) {
            int32_t a = pr->amount[v->market[i]][k];
            if (a >= 0 && ct_seats_of(w, k) >= 1 && a * c->conv[p] < best)
                best = a * c->conv[p];
        }
    }
    return best;
}

/* Every leg's table bound against the exact bounds, over cabins, seats and currencies. */
static void check_leg_bounds(void)
{
    ct_pb_view v;
    ct_pricebook_acquire(pb, &v);
    uint64_t token = ct_pb_bounds_begin(&v);
    assert_true(token != 0);
    static const char *const currencies[] = {"EUR", "JPY", "USD"};
    size_t finite = 0, tight = 0;
    for (int cur = 0; cur < 3; cur++) {
        for (int cabin = 0; cabin < 2; cabin++) {
            for (int seats = 1; seats <= 3; seats += 2) {
                ct_price_ctx c;
                assert_int_equal(
                    ct_price_ctx_init(&c, &v, (ct_cabin)cabin, seats, seats, currencies[cur]),
                    CT_OK);
                assert_true(c.leg_bounds);
                for (size_t i = 0; i < tt->nlegs; i += 7) {
                    uint16_t code = ct_pb_leg_bound(&v, cabin, i);
                    double fast = code == CT_PB_BOUND_NONE
                                      ? INFINITY
                                      : ct_pb_bound_decode(code) * c.cents_factor;
                    double exact = ct_price_leg_bound(&c, &tt->legs[i]);
                    double any = any_seat_bound(&c, &tt->legs[i]);
                    if (!(fast <= exact))
                        fail_msg("leg %zu cabin %d seats %d %s: table %f > exact %f", i, cabin,
                                 seats, currencies[cur], fast, exact);
                    assert_true(fast <= any);
                    assert_int_equal(fast == INFINITY, any == INFINITY);
                    if (any < INFINITY) {
                        finite++;
                        tight += fast >= any * 0.998 - 1;
                    }
                }
            }
        }
    }
    assert_true(finite > 1000);
    assert_int_equal(tight, finite);
    assert_true(ct_pb_bounds_check(&v, token)); /* nothing was written meanwhile */
    ct_pricebook_release(pb, &v);
}

static void leg_bounds_bound_every_leg(void **state)
{
    (void)state;
    pb = ts_fill_pricebook(tt);
    check_leg_bounds();
    /* Writes: seats closed and opened, fares changed, a rate changed. */
    ct_pb_view v;
    ct_pricebook_acquire(pb, &v);
    uint64_t token = ct_pb_bounds_begin(&v);
    assert_true(token != 0);
    ct_pricebook_release(pb, &v);
    ct_pricebook_begin(pb);
    int changes = 0;
    for (size_t i = 0; i < tt->nlegs; i += 97) {
        const ct_leg *l = &tt->legs[i];
        const char *from = ct_refdata_airport_at(tt->rd, l->from)->iata;
        const char *to = ct_refdata_airport_at(tt->rd, l->to)->iata;
        int seats[CT_NCLASSES] = {0};
        if (i % 2)
            for (int k = 0; k < CT_NCLASSES; k++)
                seats[k] = (int)((i >> k) % 5);
        for (int p = 0; p < 4; p++) {
            int known, changed;
            assert_int_equal(ct_pricebook_put_seats(pb, p, tt->carriers[l->carrier], l->number,
                                                    from, l->dep, seats, &known, &changed),
                             CT_OK);
            changes += changed;
            if (i % 3 == 0) {
                int32_t amount[CT_NCLASSES];
                for (int k = 0; k < CT_NCLASSES; k++)
                    amount[k] = (int32_t)(1000 + (i * 7 + (size_t)k * 131) % 50000);
                assert_int_equal(ct_pricebook_put_fare(pb, p, tt->carriers[l->carrier], from, to,
                                                       amount, &known),
                                 CT_OK);
            }
        }
    }
    assert_true(changes > 100);
    assert_int_equal(ct_pricebook_commit(pb), CT_OK);
    ct_pricebook_acquire(pb, &v);
    assert_false(ct_pb_bounds_check(&v, token)); /* seats were written since */
    ct_pricebook_release(pb, &v);
    check_leg_bounds();
    ct_pricebook_begin(pb);
    assert_int_equal(ct_pricebook_set_rate(pb, "EUR", 0.5), CT_OK);
    assert_int_equal(ct_pricebook_commit(pb), CT_OK);
    check_leg_bounds();
    ct_pricebook_free(pb);
    pb = NULL;
}

/* The writer of concurrent_writes: rewrites the seats of a sample of legs at every
 * provider and a fare now and then, batch after batch, until told to stop. */
static atomic_int writer_stop;
static atomic_long writer_batches;

static void *seat_writer(void *arg)
{
    (void)arg;
    for (uint32_t round = 0; !atomic_load(&writer_stop); round++) {
        ct_pricebook_begin(pb);
        for (size_t i = round % 13; i < tt->nlegs; i += 4099) {
            const ct_leg *l = &tt->legs[i];
            const char *from = ct_refdata_airport_at(tt->rd, l->from)->iata;
            int seats[CT_NCLASSES];
            for (int k = 0; k < CT_NCLASSES; k++)
                seats[k] = (int)((round + i + (size_t)k) % 4);
            for (int p = 0; p < 4; p++) {
                int known, changed;
                ct_pricebook_put_seats(pb, p, tt->carriers[l->carrier], l->number, from, l->dep,
                                       seats, &known, &changed);
            }
            if (i % 7 == 0) {
                int32_t amount[CT_NCLASSES];
                for (int k = 0; k < CT_NCLASSES; k++)
                    amount[k] = (int32_t)(2000 + (round * 31 + (uint32_t)k * 977) % 40000);
                int known;
                ct_pricebook_put_fare(pb, 1, tt->carriers[l->carrier], from,
                                      ct_refdata_airport_at(tt->rd, l->to)->iata, amount, &known);
            }
        }
        ct_pricebook_commit(pb);
        atomic_fetch_add(&writer_batches, 1);
    }
    return NULL;
}

/* The schedule's rules, which no price write changes. */
static void assert_schedule_valid(const ct_search_query *q, const ct_itinerary *it)
{
    assert_true(it->nlegs >= 1 && it->nlegs <= q->max_stops + 1);
    assert_true(in_set(q->origins, q->norigins, it->legs[0]->from));
    assert_true(in_set(q->dests, q->ndests, it->legs[it->nlegs - 1]->to));
    assert_int_equal(it->legs[0]->local_date, q->date);
    for (int i = 1; i < it->nlegs; i++) {
        assert_true(connects(it->legs[i - 1], it->legs[i]));
        for (int k = 0; k < i; k++)
            assert_true(it->legs[k]->from != it->legs[i]->to);
    }
}

static void concurrent_writes(void **state)
{
    (void)state;
    pb = ts_fill_pricebook(tt);
    atomic_store(&writer_stop, 0);
    atomic_store(&writer_batches, 0);
    pthread_t th;
    assert_int_equal(pthread_create(&th, NULL, seat_writer, NULL), 0);
    size_t answers = 0;
    for (int qn = 0; qn < 300 || atomic_load(&writer_batches) < 3; qn++) {
        uint16_t orig[8], dest[8];
        int no = random_place(orig), nd = random_place(dest), overlap = 0;
        for (int i = 0; i < no; i++)
            overlap |= in_set(dest, nd, orig[i]);
        if (overlap)
            continue;
        ct_pb_view view;
        ct_pricebook_acquire(pb, &view);
        ct_price_ctx pc;
        assert_int_equal(ct_price_ctx_init(&pc, &view, CT_CABIN_ECONOMY, 1, 1, "EUR"), CT_OK);
        ct_search_query q = {orig, no, dest, nd, tt->from_day + next_rand() % 60, 2, &pc};
        ct_search_result r;
        assert_int_equal(ct_search_oneway(tt, &q, &r), CT_OK);
        for (size_t i = 0; i < r.n; i++)
            assert_schedule_valid(&q, &r.items[i]);
        answers += r.n;
        ct_search_result_free(&r);
        ct_pricebook_release(pb, &view);
    }
    atomic_store(&writer_stop, 1);
    pthread_join(th, NULL);
    assert_true(answers > 100);
    assert_true(atomic_load(&writer_batches) >= 3);
    random_queries(200, 1); /* the final state: engine and enumerator agree */
    ct_pricebook_free(pb);
    pb = NULL;
}

static void rules_are_enforced(void **state)
{
    (void)state;
    uint16_t a = 0, b = 1;
    ct_search_query bad = {&a, 1, &a, 1, tt->from_day, 2, NULL};
    ct_search_result r;
    assert_int_equal(ct_search_oneway(tt, &bad, &r), CT_INVALID); /* same place */
    ct_search_query stops = {&a, 1, &b, 1, tt->from_day, 3, NULL};
    assert_int_equal(ct_search_oneway(tt, &stops, &r), CT_INVALID);
    /* The validator refuses a broken itinerary: too short a connection. */
    for (size_t i = 0; i < tt->nlegs; i++) {
        const ct_leg *l1 = &tt->legs[i];
        for (size_t j = tt->first[l1->to]; j < tt->first[l1->to + 1]; j++) {
            const ct_leg *l2 = &tt->legs[j];
            if (l2->dep >= l1->arr && l2->dep < l1->arr + 45 && l2->to != l1->from) {
                uint16_t o = l1->from, d = l2->to;
                ct_search_query q = {&o, 1, &d, 1, l1->local_date, 2, NULL};
                ct_itinerary it = {2, {l1, l2, NULL}, l1->dep, l2->arr, CT_PRICE_UNKNOWN};
                assert_false(ct_search_valid(tt, &q, &it));
                return;
            }
        }
    }
    fail_msg("no tight connection found to test with");
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(engine_equals_brute_force),
        cmocka_unit_test(priced_engine_equals_brute_force),
        cmocka_unit_test(round_trips_equal_brute_force),
        cmocka_unit_test(passenger_types_pay_their_fares),
        cmocka_unit_test(leg_bounds_bound_every_leg),
        cmocka_unit_test(concurrent_writes),
        cmocka_unit_test(rules_are_enforced),
    };
    return cmocka_run_group_tests(tests, setup, teardown);
}
