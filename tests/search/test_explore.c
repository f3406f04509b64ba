/* test_explore.c: explore (calendar.h) against the one-way engine and a brute-force
 * enumerator, with 0, 1 and 2 stops.
 *
 * On the small sandbox worlds the suite uses (seeds 11, 5 and 3), with the synthetic
 * pricebook (tests/support/pricefill.h: four providers, alliances, a self-transfer combiner,
 * schedule-only carriers), random origins (airports and metro areas), dates, cabins,
 * passenger counts and currencies: for every airport of the world, explore's answer must be
 * the exact one-way engine's cheapest itinerary to that airport alone (ct_search_cheapest:
 * same price and duration; nothing when it finds nothing), and valid under the engine's
 * rules. For some queries the answer is also checked against an enumeration of every
 * itinerary the rules allow (minimum connections, 24 hours, no airport twice, priced by the
 * providers' rule), written out without pruning. Both bound paths (the pricebook's table
 * and the per-query leg facts) must give the same answer, and explore from four threads at
 * once the same answers as alone. The figures checked at the end make sure two-stop
 * itineraries were compared, including some cheaper than any with fewer stops. */
#include "ct_test.h"

#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "search/calendar.h"
#include "search/search.h"
#include "pricefill.h"
#include "smallworld.h"
#include "timetable/timetable.h"

static const ct_timetable *tt;
static ct_pricebook *pb;

static uint64_t rng = 0x2545f4914f6cdd1dull;

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

static int in_set(const uint16_t *set, int n, uint16_t a)
{
    for (int i = 0; i < n; i++) {
        if (set[i] == a)
            return 1;
    }
    return 0;
}

/* A random origin: an airport with departures, or now and then a metro area's airports. */
static int random_origin(uint16_t *out)
{
    if (next_rand() % 5 == 0) {
        const char *codes[] = {"LON", "PAR", "NYC", "TYO", "WAS", "CHI", "BER", "MIL"};
        const ct_metro *m = ct_refdata_metro(tt->rd, codes[next_rand() % 8]);
        int n = 0;
        for (int i = 0; m != NULL && i < m->nairports && n < 8; i++) {
            int a = ct_timetable_airport(tt, m->airports[i]->iata);
            if (a >= 0 && tt->first[a + 1] > tt->first[a])
                out[n++] = (uint16_t)a;
        }
        if (n > 0)
            return n;
    }
    for (;;) {
        uint16_t a = (uint16_t)(next_rand() % tt->nairports);
        if (tt->first[a + 1] > tt->first[a]) {
            out[0] = a;
            return 1;
        }
    }
}

/* ---- the enumerator: the rules written out, no pruning ---- */

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

/* Prices legs[0..n) and keeps it as best[to] when cheaper, or as cheap and shorter. */
static void consider(const ct_search_query *q, const ct_leg *const *legs, int n, int64_t *price,
                     int32_t *dur)
{
    uint16_t to = legs[n - 1]->to;
    if (in_set(q->origins, q->norigins, to))
        return;
    for (int i = 0; i < n; i++) {
        if (!ct_leg_has_cabin(legs[i], q->price->cabin))
            return;
    }
    int64_t p = ct_price_itinerary(q->price, legs, n, NULL);
    if (p < 0 || p == CT_PRICE_UNKNOWN)
        return;
    int32_t d = legs[n - 1]->arr - legs[0]->dep;
    if (price[to] < 0 || p < price[to] || (p == price[to] && d < dur[to])) {
        price[to] = p;
        dur[to] = d;
    }
}

/* The cheapest priced itinerary to every airport (price, all -1 on entry, stays -1: none),
 * by enumeration. */
static void enumerate(const ct_search_query *q, int64_t *price, int32_t *dur)
{
    for (size_t i = 0; i < tt->nlegs; i++) {
        const ct_leg *a = &tt->legs[i];
        if (!in_set(q->origins, q->norigins, a->from) || a->local_date != q->date)
            continue;
        const ct_leg *legs[3] = {a, NULL, NULL};
        consider(q, legs, 1, price, dur);
        for (size_t j = tt->first[a->to]; q->max_stops >= 1 && j < tt->first[a->to + 1]; j++) {
            const ct_leg *b = &tt->legs[j];
            if (!connects(a, b) || b->to == a->from)
                continue;
            legs[1] = b;
            consider(q, legs, 2, price, dur);
            for (size_t k = tt->first[b->to]; q->max_stops >= 2 && k < tt->first[b->to + 1]; k++) {
                const ct_leg *c = &tt->legs[k];
                if (!connects(b, c) || c->to == a->from || c->to == a->to)
                    continue;
                legs[2] = c;
                consider(q, legs, 3, price, dur);
            }
        }
    }
}

/* ---- the comparisons ---- */

typedef struct figures {
    int queries, hits, two_stop_hits, cheaper_with_two, enumerated;
} figures;

static const ct_explore_hit *hit_for(const ct_explore_hit *hits, size_t n, uint16_t a)
{
    for (size_t i = 0; i < n; i++) {
        if (hits[i].airport == a)
            return &hits[i];
    }
    return NULL;
}

static void same_hits(const ct_explore_hit *a, size_t na, const ct_explore_hit *b, size_t nb)
{
    assert_int_equal(na, nb);
    for (size_t i = 0; i < na; i++) {
        assert_int_equal(a[i].airport, b[i].airport);
        assert_int_equal(a[i].best.price, b[i].best.price);
        assert_int_equal(a[i].best.arr - a[i].best.dep, b[i].best.arr - b[i].best.dep);
    }
}

/* Explore q against ct_search_cheapest to every airport, and (enumerate) the enumerator. */
static void check_query(const ct_search_query *q, int enumerated, figures *f)
{
    ct_explore_hit *hits = NULL, *slow_hits = NULL;
    size_t n = 0, ns = 0;
    assert_int_equal(ct_explore(tt, q, &hits, &n), CT_OK);
    ct_price_ctx slow = *q->price; /* the per-query bounds give the same answer */
    slow.no_leg_bounds = 1;
    ct_search_query qs = *q;
    qs.price = &slow;
    assert_int_equal(ct_explore(tt, &qs, &slow_hits, &ns), CT_OK);
    same_hits(hits, n, slow_hits, ns);
    free(slow_hits);
    size_t found = 0;
    for (size_t a = 0; a < tt->nairports; a++) {
        uint16_t z = (uint16_t)a;
        if (in_set(q->origins, q->norigins, z))
            continue;
        ct_search_query one = *q;
        one.dests = &z;
        one.ndests = 1;
        ct_itinerary best;
        int ok = 0;
        assert_int_equal(ct_search_cheapest(tt, &one, &best, &ok), CT_OK);
        const ct_explore_hit *h = hit_for(hits, n, z);
        if ((h != NULL) != ok)
            fail_msg("%s -> %s day %lld, %d stops: explore %s, one-way %s",
                     ct_refdata_airport_at(tt->rd, q->origins[0])->iata,
                     ct_refdata_airport_at(tt->rd, z)->iata, (long long)q->date, q->max_stops,
                     h ? "found" : "nothing", ok ? "found" : "nothing");
        if (!ok)
            continue;
        found++;
        if (h->best.price != best.price || h->best.arr - h->best.dep != best.arr - best.dep)
            fail_msg("%s -> %s day %lld, %d stops: explore %lld (%d legs, %d min), one-way "
                     "%lld (%d legs, %d min)",
                     ct_refdata_airport_at(tt->rd, q->origins[0])->iata,
                     ct_refdata_airport_at(tt->rd, z)->iata, (long long)q->date, q->max_stops,
                     (long long)h->best.price, h->best.nlegs, h->best.arr - h->best.dep,
                     (long long)best.price, best.nlegs, best.arr - best.dep);
        assert_true(ct_search_valid(tt, &one, &h->best));
        f->two_stop_hits += h->best.nlegs == 3;
    }
    assert_int_equal(found, n);
    f->hits += (int)n;
    f->queries++;
    if (enumerated) {
        size_t na = tt->nairports;
        int64_t *price = malloc((na ? na : 1) * sizeof(int64_t));
        int32_t *dur = calloc(na ? na : 1, sizeof(int32_t));
        assert_non_null(price);
        assert_non_null(dur);
        for (size_t a = 0; a < na; a++)
            price[a] = -1;
        enumerate(q, price, dur);
        size_t want = 0;
        for (size_t a = 0; a < na; a++)
            want += price[a] >= 0;
        assert_int_equal(n, want);
        for (size_t i = 0; i < n; i++) {
            assert_int_equal(hits[i].best.price, price[hits[i].airport]);
            assert_int_equal(hits[i].best.arr - hits[i].best.dep, dur[hits[i].airport]);
        }
        free(price);
        free(dur);
        f->enumerated++;
    }
    if (q->max_stops == 2) { /* what the second stop bought */
        ct_search_query q1 = *q;
        q1.max_stops = 1;
        ct_explore_hit *h1 = NULL;
        size_t n1 = 0;
        assert_int_equal(ct_explore(tt, &q1, &h1, &n1), CT_OK);
        for (size_t i = 0; i < n; i++) {
            const ct_explore_hit *o = hit_for(h1, n1, hits[i].airport);
            assert_true(o == NULL || o->best.price >= hits[i].best.price);
            f->cheaper_with_two += o == NULL || o->best.price > hits[i].best.price;
        }
        free(h1);
    }
    free(hits);
}

static void random_queries(int seed, int nqueries, figures *f)
{
    ts_small_world sw;
    ts_small_world_open(&sw, seed);
    ct_timetable *t = ts_small_world_timetable(&sw, 60);
    tt = t;
    pb = ts_fill_pricebook(tt);
    ct_pb_view view;
    ct_pricebook_acquire(pb, &view);
    static const char *const currencies[] = {"USD", "EUR", "GBP", "JPY"};
    for (int qn = 0; qn < nqueries; qn++) {
        uint16_t orig[8];
        int no = random_origin(orig);
        int64_t date = tt->from_day + next_rand() % 55;
        int seats = 1 + (int)(next_rand() % 3);
        ct_cabin cabin = random_cabin();
        ct_price_ctx pc;
        assert_int_equal(
            ct_price_ctx_init(&pc, &view, cabin, seats, seats, currencies[next_rand() % 4]), CT_OK);
        assert_true(pc.leg_bounds == (cabin < CT_NBOUND_CABINS)); /* none: the rarer cabins */
        ct_search_query q = {orig, no, NULL, 0, date, qn % 4 == 0 ? qn / 4 % 2 : 2, &pc};
        check_query(&q, qn % 8 == 0, f);
    }
    ct_pricebook_release(pb, &view);
    ct_pricebook_free(pb);
    pb = NULL;
    ct_timetable_free(t);
    tt = NULL;
    ts_small_world_close(&sw);
}

static void explore_equals_one_way_engine(void **state)
{
    (void)state;
    figures f = {0};
    random_queries(11, 160, &f);
    random_queries(5, 80, &f);
    random_queries(3, 80, &f);
    fprintf(stderr,
            "%d queries (%d also enumerated): %d destinations, %d by two stops, %d cheaper "
            "with two stops than with at most one\n",
            f.queries, f.enumerated, f.hits, f.two_stop_hits, f.cheaper_with_two);
    assert_true(f.enumerated >= 30);
    assert_true(f.hits > 20 * f.queries);
    assert_true(f.two_stop_hits > 2 * f.queries && f.cheaper_with_two > 2 * f.queries);
}

/* ---- threads ---- */

typedef struct thread_job {
    const ct_search_query *q;
    int nq;
    ct_explore_hit **hits;
    size_t *n;
} thread_job;

static void *explore_all(void *arg)
{
    thread_job *j = arg;
    for (int i = 0; i < j->nq; i++) {
        if (ct_explore(tt, &j->q[i], &j->hits[i], &j->n[i]) != CT_OK)
            j->n[i] = (size_t)-1;
    }
    return NULL;
}

static void threads_give_the_same_answers(void **state)
{
    (void)state;
    ts_small_world sw;
    ts_small_world_open(&sw, 11);
    ct_timetable *t = ts_small_world_timetable(&sw, 30);
    tt = t;
    pb = ts_fill_pricebook(tt);
    ct_pb_view view;
    ct_pricebook_acquire(pb, &view);
    ct_price_ctx pc;
    assert_int_equal(ct_price_ctx_init(&pc, &view, CT_CABIN_ECONOMY, 1, 1, "EUR"), CT_OK);
    enum { NQ = 12, NT = 4 };
    uint16_t orig[NQ][8];
    ct_search_query q[NQ];
    ct_explore_hit *alone[NQ], *hits[NT][NQ];
    size_t nalone[NQ], n[NT][NQ];
    for (int i = 0; i < NQ; i++) {
        int no = random_origin(orig[i]);
        q[i] = (ct_search_query){orig[i], no, NULL, 0, tt->from_day + next_rand() % 25, 2, &pc};
        assert_int_equal(ct_explore(tt, &q[i], &alone[i], &nalone[i]), CT_OK);
    }
    pthread_t th[NT];
    thread_job jobs[NT];
    for (int k = 0; k < NT; k++) {
        jobs[k] = (thread_job){q, NQ, hits[k], n[k]};
        assert_int_equal(pthread_create(&th[k], NULL, explore_all, &jobs[k]), 0);
    }
    for (int k = 0; k < NT; k++)
        assert_int_equal(pthread_join(th[k], NULL), 0);
    for (int k = 0; k < NT; k++) {
        for (int i = 0; i < NQ; i++) {
            same_hits(alone[i], nalone[i], hits[k][i], n[k][i]);
            free(hits[k][i]);
        }
    }
    for (int i = 0; i < NQ; i++)
        free(alone[i]);
    ct_pricebook_release(pb, &view);
    ct_pricebook_free(pb);
    pb = NULL;
    ct_timetable_free(t);
    tt = NULL;
    ts_small_world_close(&sw);
}

static void bad_queries_are_refused(void **state)
{
    (void)state;
    ts_small_world sw;
    ts_small_world_open(&sw, 11);
    ct_timetable *t = ts_small_world_timetable(&sw, 7);
    tt = t;
    uint16_t o = 0;
    ct_search_query q = {&o, 1, NULL, 0, tt->from_day, 2, NULL};
    ct_explore_hit *hits = NULL;
    size_t n = 0;
    assert_int_equal(ct_explore(tt, &q, &hits, &n), CT_INVALID); /* no prices */
    pb = ts_fill_pricebook(tt);
    ct_pb_view view;
    ct_pricebook_acquire(pb, &view);
    ct_price_ctx pc;
    assert_int_equal(ct_price_ctx_init(&pc, &view, CT_CABIN_ECONOMY, 1, 1, "EUR"), CT_OK);
    q.price = &pc;
    q.max_stops = 3;
    assert_int_equal(ct_explore(tt, &q, &hits, &n), CT_INVALID);
    q.max_stops = -1;
    assert_int_equal(ct_explore(tt, &q, &hits, &n), CT_INVALID);
    q.max_stops = 2;
    o = (uint16_t)tt->nairports;
    assert_int_equal(ct_explore(tt, &q, &hits, &n), CT_INVALID);
    assert_null(hits);
    ct_pricebook_release(pb, &view);
    ct_pricebook_free(pb);
    pb = NULL;
    ct_timetable_free(t);
    tt = NULL;
    ts_small_world_close(&sw);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(explore_equals_one_way_engine),
        cmocka_unit_test(threads_give_the_same_answers),
        cmocka_unit_test(bad_queries_are_refused),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
