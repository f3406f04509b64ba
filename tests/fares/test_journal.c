/* test_journal.c: the pricebook's journal (fares/pricebook.h, "the journal"), what cluster
 * mode streams from the ingesting instance to the others.
 *
 * Over the small sandbox world's timetable and the synthetic pricebook of
 * tests/support/pricefill.h: a dump replayed into an empty pricebook gives the same pricebook
 * file byte for byte, also when taken in small chunks (each naming its provider again); then
 * batches of seat, fare, rate and provider changes taken and replayed keep the two equal, an
 * unchanged seat word is no record, a batch in progress is not taken; damaged journals
 * (truncated at every length of a prefix, a wrong magic, class count, record type, an
 * unterminated name) are refused with nothing applied; a journal over its cap says it lost
 * records; replayed into a pricebook over another window the legs it lacks are counted, not
 * applied. */
#include "ct_test.h"

#include <stdio.h>
#include <string.h>

#include "fares/pricebook.h"
#include "pricefill.h"
#include "smallworld.h"
#include "testsupport.h"
#include "timetable/timetable.h"

static ts_small_world sw;
static ct_timetable *tt, *tt_short;

static int setup(void **state)
{
    (void)state;
    ts_small_world_open(&sw, 3);
    tt = ts_small_world_timetable(&sw, 21);
    tt_short = ts_small_world_timetable(&sw, 10);
    return 0;
}

static int teardown(void **state)
{
    (void)state;
    ct_timetable_free(tt);
    ct_timetable_free(tt_short);
    ts_small_world_close(&sw);
    return 0;
}

/* The pricebook's file as bytes (saved to a temporary file). Caller frees. */
static uint8_t *file_of(ct_pricebook *pb, size_t *len)
{
    char path[400];
    snprintf(path, sizeof(path), "%s/journal-%p.bin", sw.dir, (void *)pb);
    assert_int_equal(ct_pricebook_save(pb, path), CT_OK);
    FILE *f = fopen(path, "rb");
    assert_non_null(f);
    fseek(f, 0, SEEK_END);
    long n = ftell(f);
    fseek(f, 0, SEEK_SET);
    uint8_t *b = malloc((size_t)n + 1);
    assert_non_null(b);
    assert_int_equal(fread(b, 1, (size_t)n, f), (size_t)n);
    fclose(f);
    remove(path);
    *len = (size_t)n;
    return b;
}

static void assert_same(ct_pricebook *a, ct_pricebook *b)
{
    size_t na = 0, nb = 0;
    uint8_t *fa = file_of(a, &na), *fb = file_of(b, &nb);
    assert_int_equal(na, nb);
    int same = memcmp(fa, fb, na) == 0;
    free(fa);
    free(fb);
    assert_true(same);
}

/* Takes the whole journal of `from` in chunks of at most `max` bytes and replays each into
 * `to`. Returns the records moved; *chunks the number of chunks. */
static size_t move(ct_pricebook *from, ct_pricebook *to, size_t max, int *chunks)
{
    size_t total = 0;
    *chunks = 0;
    for (;;) {
        uint8_t *data = NULL;
        size_t len = 0, records = 0, applied = 0;
        ct_status rc = ct_pricebook_journal_take(from, max, &data, &len, &records);
        if (rc == CT_NOT_FOUND)
            break;
        assert_int_equal(rc, CT_OK);
        assert_true(records > 0);
        assert_int_equal(ct_pricebook_journal_apply(to, data, len, &applied, NULL), CT_OK);
        assert_int_equal(applied, records);
        ct_free(data);
        total += records;
        (*chunks)++;
    }
    return total;
}

static void test_dump_replays_to_the_same_book(void **state)
{
    (void)state;
    ct_pricebook *src = ts_fill_pricebook(tt), *dst = NULL, *dst2 = NULL;
    assert_non_null(src);
    assert_int_equal(ct_pricebook_new(tt, &dst), CT_OK);
    assert_int_equal(ct_pricebook_new(tt, &dst2), CT_OK);
    assert_int_equal(ct_pricebook_journal_start(src, 1u << 30), CT_OK);
    assert_int_equal(ct_pricebook_journal_dump(src), CT_OK);
    int chunks = 0;
    size_t n = move(src, dst, 1u << 30, &chunks);
    assert_int_equal(chunks, 1);
    assert_true(n > 1000);
    assert_same(src, dst);
    /* again in chunks of 4 KiB: every chunk replays alone (it names its provider) */
    assert_int_equal(ct_pricebook_journal_dump(src), CT_OK);
    size_t n2 = move(src, dst2, 4096, &chunks);
    assert_true(chunks > 20);
    assert_true(n2 >= n); /* plus an 'N' at most per chunk */
    assert_true(n2 <= n + (size_t)chunks);
    assert_same(src, dst2);
    ct_pricebook_free(src);
    ct_pricebook_free(dst);
    ct_pricebook_free(dst2);
}

/* The seats of leg k of provider p as the feeds would send them. */
static void leg_args(const ct_leg *l, char *carrier, char *origin)
{
    memcpy(carrier, tt->carriers[l->carrier], 4);
    memcpy(origin, ct_refdata_airport_at(tt->rd, l->from)->iata, 4);
}

static void test_changes_follow(void **state)
{
    (void)state;
    ct_pricebook *src = ts_fill_pricebook(tt), *dst = NULL;
    assert_int_equal(ct_pricebook_new(tt, &dst), CT_OK);
    assert_int_equal(ct_pricebook_journal_start(src, 1u << 30), CT_OK);
    assert_int_equal(ct_pricebook_journal_dump(src), CT_OK);
    int chunks = 0;
    move(src, dst, 1u << 20, &chunks);
    assert_same(src, dst);

    /* a batch of seat changes: 100 legs of provider 0 changed, 50 put again unchanged */
    ct_pb_view v;
    ct_pricebook_acquire(src, &v);
    size_t changed = 0, same = 0;
    ct_pricebook_begin(src);
    for (size_t k = 0; k < tt->nlegs && (changed < 100 || same < 50); k++) {
        uint64_t w = ct_pb_cabin_seats(&v, 0, k, CT_CABIN_FIRST); /* all twelve classes */
        if (w == CT_SEATS_UNKNOWN)
            continue;
        int seats[CT_NCLASSES];
        for (int c = 0; c < CT_NCLASSES; c++)
            seats[c] = ct_seats_of(w, c);
        int change = changed < 100 && k % 2 == 0;
        if (change)
            seats[0] = (seats[0] + 3) % 10;
        else if (same >= 50)
            continue;
        char carrier[4], origin[4];
        leg_args(&tt->legs[k], carrier, origin);
        int known = 0, ch = 0;
        assert_int_equal(ct_pricebook_put_seats(src, 0, carrier, tt->legs[k].number, origin,
                                                tt->legs[k].dep, seats, &known, &ch),
                         CT_OK);
        assert_true(known);
        changed += (size_t)ch;
        same += ch ? 0 : 1;
    }
    ct_pricebook_release(src, &v);
    /* not committed yet: nothing to take */
    uint8_t *data = NULL;
    size_t len = 0, records = 0;
    ct_pricebook_commit(src);
    /* fares, a rate and a provider's fee, in a second batch */
    ct_pricebook_begin(src);
    int32_t amount[CT_NCLASSES];
    for (int c = 0; c < CT_NCLASSES; c++)
        amount[c] = 10000 + c * 1111;
    const ct_leg *l = &tt->legs[tt->nlegs / 2];
    char carrier[4], origin[4];
    leg_args(l, carrier, origin);
    int known = 0;
    assert_int_equal(ct_pricebook_put_fare(src, 1, carrier, origin,
                                           ct_refdata_airport_at(tt->rd, l->to)->iata, amount,
                                           &known),
                     CT_OK);
    assert_int_equal(ct_pricebook_set_rate(src, "EUR", 0.97), CT_OK);
    ct_pb_view v2;
    ct_pricebook_acquire(src, &v2);
    ct_provider_desc d = v2.snap->providers[2].desc;
    ct_pricebook_release(src, &v2);
    d.fee_minor += 100;
    int id = -1;
    assert_int_equal(ct_pricebook_provider(src, &d, &id), CT_OK);
    assert_int_equal(id, 2);
    assert_int_equal(ct_pricebook_commit(src), CT_OK);

    assert_int_equal(ct_pricebook_journal_take(src, 1u << 20, &data, &len, &records), CT_OK);
    /* 100 seat words + 'N', fare + 'N', rate, provider: the 50 unchanged ones are no records */
    assert_int_equal(records, changed + 1 + 2 + 1 + 1);
    assert_int_equal(changed, 100);
    assert_int_equal(ct_pricebook_journal_apply(dst, data, len, NULL, NULL), CT_OK);
    ct_free(data);
    assert_same(src, dst);
    assert_int_equal(ct_pricebook_journal_take(src, 1u << 20, &data, &len, &records), CT_NOT_FOUND);
    ct_pricebook_free(src);
    ct_pricebook_free(dst);
}

static void test_damaged_journals_are_refused(void **state)
{
    (void)state;
    ct_pricebook *src = ts_fill_pricebook(tt), *dst = NULL, *empty = NULL;
    assert_int_equal(ct_pricebook_new(tt, &dst), CT_OK);
    assert_int_equal(ct_pricebook_new(tt, &empty), CT_OK);
    assert_int_equal(ct_pricebook_journal_start(src, 1u << 30), CT_OK);
    assert_int_equal(ct_pricebook_journal_dump(src), CT_OK);
    uint8_t *data = NULL;
    size_t len = 0, records = 0;
    assert_int_equal(ct_pricebook_journal_take(src, 1u << 16, &data, &len, &records), CT_OK);
    uint8_t *copy = malloc(len);
    assert_non_null(copy);
    /* every truncation inside the first 300 bytes, then a sample */
    for (size_t cut = 0; cut < len; cut += cut < 300 ? 1 : 997) {
        ct_status rc = ct_pricebook_journal_apply(dst, data, cut, NULL, NULL);
        /* a cut at a record boundary is a valid shorter journal; anything else is refused */
        assert_true(rc == CT_OK || rc == CT_INVALID);
        if (rc == CT_INVALID)
            continue;
    }
    ct_pricebook_free(dst);
    assert_int_equal(ct_pricebook_new(tt, &dst), CT_OK);
    memcpy(copy, data, len);
    copy[0] = 'X';
    assert_int_equal(ct_pricebook_journal_apply(dst, copy, len, NULL, NULL), CT_INVALID);
    memcpy(copy, data, len);
    copy[6] = (uint8_t)(CT_NCLASSES + 1);
    assert_int_equal(ct_pricebook_journal_apply(dst, copy, len, NULL, NULL), CT_INVALID);
    memcpy(copy, data, len);
    copy[7] = 'Z'; /* the first record's type */
    assert_int_equal(ct_pricebook_journal_apply(dst, copy, len, NULL, NULL), CT_INVALID);
    memcpy(copy, data, len);
    assert_int_equal(copy[7], 'C'); /* a dump starts with the currencies, then ... */
    /* an unterminated provider name in the first 'N' or 'P' */
    size_t at = 7;
    while (at < len && copy[at] != 'P')
        at++;
    assert_true(at < len);
    memset(copy + at + 1, 'A', 32);
    assert_int_equal(ct_pricebook_journal_apply(dst, copy, len, NULL, NULL), CT_INVALID);
    /* a refused journal at its last byte applies nothing at all */
    assert_int_equal(ct_pricebook_journal_apply(dst, data, len - 1, NULL, NULL), CT_INVALID);
    assert_same(dst, empty);
    free(copy);
    ct_free(data);
    ct_pricebook_free(src);
    ct_pricebook_free(dst);
    ct_pricebook_free(empty);
}

static void test_cap_and_other_window(void **state)
{
    (void)state;
    ct_pricebook *src = ts_fill_pricebook(tt), *other = NULL;
    assert_int_equal(ct_pricebook_journal_start(src, 10000), CT_OK);
    assert_int_equal(ct_pricebook_journal_dump(src), CT_ERR);
    uint8_t *data = NULL;
    size_t len = 0, records = 0, unknown = 0;
    assert_int_equal(ct_pricebook_journal_take(src, 1u << 20, &data, &len, &records), CT_ERR);
    ct_free(data);
    /* not journalling: nothing to take, and taking says so */
    ct_pricebook_journal_stop(src);
    assert_int_equal(ct_pricebook_journal_take(src, 1u << 20, &data, &len, &records), CT_INVALID);
    /* a dump replayed over a shorter window: the legs it lacks are counted */
    assert_int_equal(ct_pricebook_journal_start(src, 1u << 30), CT_OK);
    assert_int_equal(ct_pricebook_journal_dump(src), CT_OK);
    assert_int_equal(ct_pricebook_journal_take(src, 1u << 30, &data, &len, &records), CT_OK);
    assert_int_equal(ct_pricebook_new(tt_short, &other), CT_OK);
    assert_int_equal(ct_pricebook_journal_apply(other, data, len, NULL, &unknown), CT_OK);
    assert_true(unknown > 0);
    ct_pb_view v;
    ct_pricebook_acquire(other, &v);
    assert_int_equal(v.snap->nproviders, 4);
    size_t known = 0;
    for (size_t k = 0; k < tt_short->nlegs; k++)
        known += ct_pb_seats(&v, 0, k) != CT_SEATS_UNKNOWN;
    ct_pricebook_release(other, &v);
    assert_true(known > 0);
    ct_free(data);
    ct_pricebook_free(src);
    ct_pricebook_free(other);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_dump_replays_to_the_same_book),
        cmocka_unit_test(test_changes_follow),
        cmocka_unit_test(test_damaged_journals_are_refused),
        cmocka_unit_test(test_cap_and_other_window),
    };
    return cmocka_run_group_tests(tests, setup, teardown);
}
