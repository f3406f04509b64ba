/* test_pricebook.c: the pricebook's writers and readers.
 *
 * Over the small sandbox world's timetable: fares and seats put are read back; a provider's
 * seat table covers exactly the legs of the carriers it sells and is rebuilt, words kept,
 * when that set changes; a batch becomes visible at commit and not before; and with one
 * writer republishing snapshots and rewriting seat words while four readers acquire views,
 * every reader sees whole snapshots (a version's fares all equal its version) and whole seat
 * words, and every replaced snapshot is freed (AddressSanitizer checks leaks). */
#include "ct_test.h"

#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <string.h>

#include "base/timeutil.h"
#include "fares/pricebook.h"
#include "sandbox/world/sandbox_data.h"
#include "sandbox/world/ssim_write.h"
#include "smallworld.h"
#include "testsupport.h"
#include "timetable/timetable.h"

static ts_small_world sw;
static ct_timetable *tt;

static int setup(void **state)
{
    (void)state;
    ts_small_world_open(&sw, 3);
    tt = ts_small_world_timetable(&sw, 31);
    return 0;
}

static int teardown(void **state)
{
    (void)state;
    ct_timetable_free(tt);
    ts_small_world_close(&sw);
    return 0;
}

static const char *iata(uint16_t a)
{
    return ct_refdata_airport_at(tt->rd, a)->iata;
}

static int add_provider(ct_pricebook *pb, const char *name, const char (*sold)[4], size_t n)
{
    ct_provider_desc d = {"", CT_PROVIDER_AGENCY, "EUR", 2, 1200, 0};
    snprintf(d.name, sizeof(d.name), "%s", name);
    int id = -1;
    ct_pricebook_begin(pb);
    assert_int_equal(ct_pricebook_provider(pb, &d, &id), CT_OK);
    assert_int_equal(ct_pricebook_set_sold(pb, id, sold, n), CT_OK);
    assert_int_equal(ct_pricebook_commit(pb), CT_OK);
    return id;
}

static void put_and_read_back(void **state)
{
    (void)state;
    ct_pricebook *pb;
    assert_int_equal(ct_pricebook_new(tt, &pb), CT_OK);
    assert_true(tt->ncarriers >= 2);
    char sold[1][4];
    memcpy(sold[0], tt->carriers[0], 4);
    int id = add_provider(pb, "one", (const char(*)[4])sold, 1);
    /* Only carrier 0's legs have words. */
    size_t legs0 = 0, hi0 = 0; /* and those of them with premium economy or first seats */
    for (size_t i = 0; i < tt->nlegs; i++) {
        legs0 += tt->legs[i].carrier == 0;
        hi0 += tt->legs[i].carrier == 0 && (tt->legs[i].seats_w > 0 || tt->legs[i].seats_f > 0);
    }
    assert_true(hi0 > 0 && hi0 < legs0); /* wide-bodies among them */
    assert_int_equal(ct_pricebook_seat_bytes(pb),
                     2 * (tt->nlegs / 64 + 1) * 12 + legs0 * 4 + hi0 * 2);
    int seats[CT_NCLASSES] = {9, 9, 7, 5, 3, 0, 4, 2, 6, 1, 3, 8};
    int put = 0, refused = 0;
    ct_pricebook_begin(pb);
    for (size_t i = 0; i < tt->nlegs; i++) {
        const ct_leg *l = &tt->legs[i];
        int known, changed;
        assert_int_equal(ct_pricebook_put_seats(pb, id, tt->carriers[l->carrier], l->number,
                                                iata(l->from), l->dep, seats, &known, &changed),
                         CT_OK);
        put += known;
        refused += !known;
        assert_int_equal(changed, known);
        int32_t amount[CT_NCLASSES] = {800,  640,  496,  384,  288,  208,
                                       2560, 1840, 1320, 1040, 4160, 3360};
        assert_int_equal(ct_pricebook_put_fare(pb, id, tt->carriers[l->carrier], iata(l->from),
                                               iata(l->to), amount, &known),
                         CT_OK);
    }
    assert_int_equal(ct_pricebook_commit(pb), CT_OK);
    assert_int_equal(put, (int)legs0);
    assert_true(refused > 0); /* other carriers' legs have no word here */
    ct_pb_view v;
    ct_pricebook_acquire(pb, &v);
    for (size_t i = 0; i < tt->nlegs; i++) {
        uint32_t w = ct_pb_seats(&v, id, i);
        if (tt->legs[i].carrier != 0) {
            assert_int_equal(w, CT_SEATS_UNKNOWN);
            continue;
        }
        for (int c = 0; c < 8; c++)
            assert_int_equal(ct_seats_of(w, c), seats[c]);
        /* The premium cabins' seats where the aircraft has them, none elsewhere. */
        const ct_leg *l = &tt->legs[i];
        int hi = l->seats_w > 0 || l->seats_f > 0;
        uint64_t all = ct_pb_cabin_seats(&v, id, i, CT_CABIN_FIRST);
        for (int c = 8; c < CT_NCLASSES; c++)
            assert_int_equal(ct_seats_of(all, c), hi ? seats[c] : 0);
        assert_int_equal(ct_pb_cabin_seats(&v, id, i, CT_CABIN_ECONOMY), w);
        assert_int_equal(v.snap->providers[id].amount[v.market[i]][3], 384);
        assert_int_equal(v.snap->providers[id].amount[v.market[i]][11], 3360);
    }
    ct_pricebook_release(pb, &v);
    /* Selling a second carrier rebuilds the table and keeps the words it had. */
    char two[2][4];
    memcpy(two[0], tt->carriers[0], 4);
    memcpy(two[1], tt->carriers[1], 4);
    ct_pricebook_begin(pb);
    assert_int_equal(ct_pricebook_set_sold(pb, id, (const char(*)[4])two, 2), CT_OK);
    assert_int_equal(ct_pricebook_commit(pb), CT_OK);
    ct_pricebook_acquire(pb, &v);
    for (size_t i = 0; i < tt->nlegs; i++) {
        uint32_t w = ct_pb_seats(&v, id, i);
        if (tt->legs[i].carrier == 0) {
            assert_int_equal(ct_seats_of(w, 2), 7);
            if (tt->legs[i].seats_f > 0) /* the premium table is rebuilt with its words too */
                assert_int_equal(ct_seats_of(ct_pb_cabin_seats(&v, id, i, CT_CABIN_FIRST), 11), 8);
        } else
            assert_int_equal(w, CT_SEATS_UNKNOWN); /* carrier 1: a word, nothing in it yet */
    }
    assert_true(v.snap->providers[id].sells[1]);
    ct_pricebook_release(pb, &v);
    ct_pricebook_free(pb);
}

static void a_batch_is_visible_at_commit(void **state)
{
    (void)state;
    ct_pricebook *pb;
    assert_int_equal(ct_pricebook_new(tt, &pb), CT_OK);
    ct_pb_view before;
    ct_pricebook_acquire(pb, &before);
    assert_int_equal(before.snap->nproviders, 0);
    ct_provider_desc d = {"late", CT_PROVIDER_AIRLINE, "USD", 2, 0, 0};
    int id;
    ct_pricebook_begin(pb);
    assert_int_equal(ct_pricebook_provider(pb, &d, &id), CT_OK);
    assert_int_equal(ct_pricebook_set_rate(pb, "USD", 1.0), CT_OK);
    ct_pb_view during;
    ct_pricebook_acquire(pb, &during); /* readers do not wait for the writer */
    assert_int_equal(during.snap->nproviders, 0);
    ct_pricebook_release(pb, &during);
    assert_int_equal(ct_pricebook_commit(pb), CT_OK);
    ct_pb_view after;
    ct_pricebook_acquire(pb, &after);
    assert_int_equal(after.snap->nproviders, 1);
    assert_true(after.snap->version > before.snap->version);
    assert_int_equal(before.snap->nproviders, 0); /* a held view keeps its snapshot */
    ct_pricebook_release(pb, &before);
    ct_pricebook_release(pb, &after);
    ct_pricebook_free(pb);
}

/* ---- one writer, four readers ---- */

static ct_pricebook *shared;
static atomic_int stop_readers;
static atomic_long views_checked;

static void *reader(void *arg)
{
    (void)arg;
    while (!atomic_load(&stop_readers)) {
        ct_pb_view v;
        ct_pricebook_acquire(shared, &v);
        const ct_pb_provider *p = &v.snap->providers[0];
        if (p->amount != NULL) {
            /* The writer files every market at 100 x the version it publishes: one snapshot
             * never mixes two versions. */
            int32_t first = p->amount[0][0];
            for (size_t m = 0; m < v.nmarkets; m++) {
                if (p->amount[m][0] != first || p->amount[m][7] != first)
                    fail_msg("a torn snapshot");
            }
        }
        for (size_t i = 0; i < tt->nlegs; i += 97) {
            uint32_t w = ct_pb_seats(&v, 0, i);
            if (w != CT_SEATS_UNKNOWN && ct_seats_of(w, 0) != ct_seats_of(w, 7))
                fail_msg("a torn seat word"); /* every word has eight equal counts */
        }
        ct_pricebook_release(shared, &v);
        atomic_fetch_add(&views_checked, 1);
    }
    return NULL;
}

static void readers_never_see_half_an_update(void **state)
{
    (void)state;
    assert_int_equal(ct_pricebook_new(tt, &shared), CT_OK);
    char(*all)[4] = (char(*)[4])tt->carriers;
    int id = add_provider(shared, "busy", (const char(*)[4])all, tt->ncarriers);
    pthread_t th[4];
    for (int i = 0; i < 4; i++)
        pthread_create(&th[i], NULL, reader, NULL);
    for (int round = 1; round <= 200; round++) {
        ct_pricebook_begin(shared);
        int32_t amount[CT_NCLASSES];
        for (int c = 0; c < CT_NCLASSES; c++)
            amount[c] = round * 100;
        int known, changed;
        for (size_t i = 0; i < tt->nlegs; i++) {
            const ct_leg *l = &tt->legs[i];
            if (round == 1 || i % 50 == 0)
                assert_int_equal(ct_pricebook_put_fare(shared, id, tt->carriers[l->carrier],
                                                       iata(l->from), iata(l->to), amount, &known),
                                 CT_OK);
            int seats[CT_NCLASSES];
            for (int c = 0; c < CT_NCLASSES; c++)
                seats[c] = round % 10;
            if (i % 7 == (size_t)round % 7)
                assert_int_equal(ct_pricebook_put_seats(shared, id, tt->carriers[l->carrier],
                                                        l->number, iata(l->from), l->dep, seats,
                                                        &known, &changed),
                                 CT_OK);
        }
        if (round > 1) { /* every other market too, so the whole snapshot is one version */
            ct_pb_view v;
            ct_pricebook_acquire(shared, &v);
            size_t nm = v.nmarkets;
            ct_pricebook_release(shared, &v);
            for (size_t i = 0; i < tt->nlegs && nm > 0; i++) {
                const ct_leg *l = &tt->legs[i];
                assert_int_equal(ct_pricebook_put_fare(shared, id, tt->carriers[l->carrier],
                                                       iata(l->from), iata(l->to), amount, &known),
                                 CT_OK);
            }
        }
        assert_int_equal(ct_pricebook_commit(shared), CT_OK);
    }
    atomic_store(&stop_readers, 1);
    for (int i = 0; i < 4; i++)
        pthread_join(th[i], NULL);
    assert_true(atomic_load(&views_checked) > 100);
    ct_pricebook_free(shared); /* with ASan: every replaced snapshot was freed on the way */
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(put_and_read_back),
        cmocka_unit_test(a_batch_is_visible_at_commit),
        cmocka_unit_test(readers_never_see_half_an_update),
    };
    return cmocka_run_group_tests(tests, setup, teardown);
}
