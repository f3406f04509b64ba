/* test_pricebook_file.c: the pricebook saved to a file and loaded back.
 *
 * Over the small sandbox world's timetable and the synthetic pricebook of
 * tests/support/pricefill.h: save then load into a fresh pricebook gives the same providers,
 * carriers sold, alliances (by name), rates, fares and every seat word; a pricebook over
 * another timetable, a missing file, truncations at many lengths, garbage, another format
 * version, a flipped byte and an appended byte are refused with the pricebook left empty
 * (AddressSanitizer checks nothing is read out of bounds); saving replaces the file
 * atomically and leaves no temporary file. */
#define _GNU_SOURCE
#include "ct_test.h"

#include <dirent.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <sodium.h>

#include "base/timeutil.h"
#include "fares/pricebook.h"
#include "pricefill.h"
#include "sandbox/world/sandbox_data.h"
#include "sandbox/world/ssim_write.h"
#include "smallworld.h"
#include "testsupport.h"
#include "timetable/timetable.h"

static ts_small_world sw;
static ct_timetable *tt, *tt_other;
static char dir[256], file[400];
static ct_pricebook *filled;

static int setup(void **state)
{
    (void)state;
    ts_small_world_open(&sw, 3);
    tt = ts_small_world_timetable(&sw, 21);
    tt_other = ts_small_world_timetable(&sw, 20);
    snprintf(dir, sizeof(dir), "%s", sw.dir);
    filled = ts_fill_pricebook(tt);
    assert_non_null(filled);
    snprintf(file, sizeof(file), "%s/cache/pricebook.bin", dir);
    assert_int_equal(ct_pricebook_save(filled, file), CT_OK);
    return 0;
}

static int teardown(void **state)
{
    (void)state;
    ct_pricebook_free(filled);
    ct_timetable_free(tt);
    ct_timetable_free(tt_other);
    ts_small_world_close(&sw);
    return 0;
}

static unsigned char *read_all(const char *path, size_t *len)
{
    FILE *f = fopen(path, "rb");
    assert_non_null(f);
    fseek(f, 0, SEEK_END);
    *len = (size_t)ftell(f);
    fseek(f, 0, SEEK_SET);
    unsigned char *buf = malloc(*len ? *len : 1);
    assert_non_null(buf);
    assert_int_equal(fread(buf, 1, *len, f), *len);
    fclose(f);
    return buf;
}

static void write_all(const char *path, const unsigned char *buf, size_t len)
{
    FILE *f = fopen(path, "wb");
    assert_non_null(f);
    assert_int_equal(fwrite(buf, 1, len, f), len);
    fclose(f);
}

static void assert_empty(ct_pricebook *pb)
{
    ct_pb_view v;
    ct_pricebook_acquire(pb, &v);
    assert_int_equal(v.snap->nproviders, 0);
    ct_pricebook_release(pb, &v);
    assert_int_equal(ct_pricebook_seat_bytes(pb), 0);
}

/* Loads `path` into a fresh pricebook over `over`: the status, the book left empty on error. */
static ct_status try_load(const ct_timetable *over, const char *path)
{
    ct_pricebook *pb;
    assert_int_equal(ct_pricebook_new(over, &pb), CT_OK);
    int loaded = -1;
    ct_status rc = ct_pricebook_load(pb, path, &loaded);
    assert_int_equal(loaded, rc == CT_OK);
    if (rc != CT_OK)
        assert_empty(pb);
    ct_pricebook_free(pb);
    return rc;
}

static void assert_same(ct_pricebook *a, ct_pricebook *b)
{
    ct_pb_view va, vb;
    ct_pricebook_acquire(a, &va);
    ct_pricebook_acquire(b, &vb);
    const ct_pb_snapshot *sa = va.snap, *sb = vb.snap;
    assert_true(sa->nproviders > 0);
    assert_int_equal(sa->nproviders, sb->nproviders);
    assert_int_equal(va.nmarkets, vb.nmarkets);
    assert_int_equal(sa->rates_day, sb->rates_day);
    assert_int_equal(sa->ncurrencies, sb->ncurrencies);
    for (int i = 0; i < sa->ncurrencies; i++) {
        int j = ct_pb_currency_id(sb, sa->currencies[i]);
        assert_true(j >= 0);
        assert_true(sa->usd_rate[i] == sb->usd_rate[j]);
    }
    int allied = 0;
    for (size_t c = 0; c < tt->ncarriers; c++) {
        const char *x = ct_pricebook_alliance_name(sa->alliance[c]);
        const char *y = ct_pricebook_alliance_name(sb->alliance[c]);
        assert_int_equal(x == NULL, y == NULL);
        if (x != NULL) {
            assert_string_equal(x, y);
            allied++;
        }
    }
    assert_true(allied > 0);
    for (int p = 0; p < sa->nproviders; p++) {
        const ct_pb_provider *x = &sa->providers[p], *y = &sb->providers[p];
        /* Member by member: the struct's padding is not part of its value. */
        assert_string_equal(x->desc.name, y->desc.name);
        assert_int_equal(x->desc.kind, y->desc.kind);
        assert_string_equal(x->desc.currency, y->desc.currency);
        assert_int_equal(x->desc.minor_digits, y->desc.minor_digits);
        assert_int_equal(x->desc.fee_minor, y->desc.fee_minor);
        assert_int_equal(x->desc.min_self_transfer_min, y->desc.min_self_transfer_min);
        assert_memory_equal(x->sells, y->sells, tt->ncarriers);
        assert_int_equal(x->amount == NULL, y->amount == NULL);
        if (x->amount != NULL)
            assert_memory_equal(x->amount, y->amount, va.nmarkets * sizeof(*x->amount));
        size_t known = 0;
        for (size_t k = 0; k < tt->nlegs; k++) {
            uint32_t w = ct_pb_seats(&va, p, k);
            assert_int_equal(w, ct_pb_seats(&vb, p, k));
            known += w != CT_SEATS_UNKNOWN;
        }
        assert_true(known > 0);
    }
    ct_pricebook_release(b, &vb);
    ct_pricebook_release(a, &va);
    assert_int_equal(ct_pricebook_seat_bytes(a), ct_pricebook_seat_bytes(b));
}

/* ---- tests ---- */

static void save_then_load_gives_the_same_book(void **state)
{
    (void)state;
    ct_pricebook *pb;
    assert_int_equal(ct_pricebook_new(tt, &pb), CT_OK);
    int loaded = 0;
    assert_int_equal(ct_pricebook_load(pb, file, &loaded), CT_OK);
    assert_int_equal(loaded, 1);
    assert_same(filled, pb);
    /* Only into an empty pricebook. */
    assert_int_equal(ct_pricebook_load(pb, file, &loaded), CT_CONFLICT);
    assert_int_equal(loaded, 0);
    /* The loaded book saves to the same bytes. */
    char again[450];
    snprintf(again, sizeof(again), "%s.again", file);
    assert_int_equal(ct_pricebook_save(pb, again), CT_OK);
    size_t n1, n2;
    unsigned char *b1 = read_all(file, &n1), *b2 = read_all(again, &n2);
    assert_int_equal(n1, n2);
    assert_memory_equal(b1, b2, n1);
    free(b1);
    free(b2);
    unlink(again);
    ct_pricebook_free(pb);
}

static void another_timetable_is_refused(void **state)
{
    (void)state;
    assert_int_equal(try_load(tt_other, file), CT_CONFLICT);
}

static void damaged_files_are_refused(void **state)
{
    (void)state;
    char bad[450];
    snprintf(bad, sizeof(bad), "%s/bad.bin", dir);
    assert_int_equal(try_load(tt, bad), CT_NOT_FOUND);
    size_t len;
    unsigned char *orig = read_all(file, &len);
    unsigned char *buf = malloc(len + 1);
    assert_non_null(buf);
    /* Truncated at many lengths: inside the header, at its end, in every section. */
    size_t cuts[] = {0,   1,   7,    8,       100,     143,     144,    145,
                     160, 200, 1000, len / 3, len / 2, len - 4, len - 1};
    for (size_t i = 0; i < sizeof(cuts) / sizeof(cuts[0]); i++) {
        write_all(bad, orig, cuts[i]);
        assert_int_not_equal(try_load(tt, bad), CT_OK);
    }
    for (size_t cut = 144; cut < len; cut += len / 37 + 1) {
        write_all(bad, orig, cut);
        assert_int_equal(try_load(tt, bad), CT_INVALID);
    }
    /* One byte appended. */
    memcpy(buf, orig, len);
    buf[len] = 0;
    write_all(bad, buf, len + 1);
    assert_int_equal(try_load(tt, bad), CT_INVALID);
    /* Garbage of the same length, and garbage behind a good magic. */
    srand(7);
    for (size_t i = 0; i < len; i++)
        buf[i] = (unsigned char)rand();
    write_all(bad, buf, len);
    assert_int_equal(try_load(tt, bad), CT_INVALID);
    memcpy(buf, orig, 8);
    write_all(bad, buf, len);
    assert_int_equal(try_load(tt, bad), CT_INVALID);
    /* Another format version; another byte order. */
    memcpy(buf, orig, len);
    buf[8] ^= 0x02;
    write_all(bad, buf, len);
    assert_int_equal(try_load(tt, bad), CT_INVALID);
    memcpy(buf, orig, len);
    buf[12] = orig[15], buf[15] = orig[12];
    write_all(bad, buf, len);
    assert_int_equal(try_load(tt, bad), CT_INVALID);
    /* One flipped byte anywhere in the body (a seat word, a fare, a name) or in the header's
     * counts. */
    size_t at[] = {144, 150, 400, len / 2, len - 1, 24, 64, 72, 88};
    for (size_t i = 0; i < sizeof(at) / sizeof(at[0]); i++) {
        memcpy(buf, orig, len);
        buf[at[i]] ^= 0x10;
        write_all(bad, buf, len);
        ct_status rc = try_load(tt, bad);
        assert_true(rc == CT_INVALID || rc == CT_CONFLICT);
    }
    /* A directory where the file should be. */
    assert_int_not_equal(try_load(tt, dir), CT_OK);
    unlink(bad);
    free(buf);
    free(orig);
}

/* The hash over body and header, as the writer computes it (pricebook_file.c). */
static void rehash(unsigned char *buf, size_t len)
{
    memset(buf + 112, 0, 32);
    unsigned char check[32];
    crypto_generichash_state hs;
    crypto_generichash_init(&hs, NULL, 0, sizeof(check));
    crypto_generichash_update(&hs, buf + 144, len - 144);
    crypto_generichash_update(&hs, buf, 144);
    crypto_generichash_final(&hs, check, sizeof(check));
    memcpy(buf + 112, check, sizeof(check));
}

/* Found by fuzz/pricebook_file_fuzz.c: a provider record with a huge minor_digits (behind a
 * good hash) was accepted, and the leg bounds then multiplied by ten that many times. The
 * reader takes the ISO 4217 range, 0 to 3, and refuses the rest. */
static void out_of_range_minor_digits_are_refused(void **state)
{
    (void)state;
    char bad[450];
    snprintf(bad, sizeof(bad), "%s/digits.bin", dir);
    size_t len;
    unsigned char *buf = read_all(file, &len);
    uint64_t ncarriers;
    uint32_t ncur, nall;
    memcpy(&ncarriers, buf + 80, 8);
    memcpy(&ncur, buf + 88, 4);
    memcpy(&nall, buf + 92, 4);
    size_t at = 144 + ncur * 16 + nall * 32 + ncarriers + 40; /* provider 0's minor_digits */
    assert_true(at + 4 <= len);
    const int32_t digits[] = {400, -1, 4, 1 << 30};
    for (size_t i = 0; i < sizeof(digits) / sizeof(digits[0]); i++) {
        memcpy(buf + at, &digits[i], 4);
        rehash(buf, len);
        write_all(bad, buf, len);
        assert_int_equal(try_load(tt, bad), CT_INVALID);
    }
    const int32_t zero = 0; /* in range: the same file loads */
    memcpy(buf + at, &zero, 4);
    rehash(buf, len);
    write_all(bad, buf, len);
    assert_int_equal(try_load(tt, bad), CT_OK);
    unlink(bad);
    free(buf);
}

static void saving_replaces_the_file_atomically(void **state)
{
    (void)state;
    char path[450];
    snprintf(path, sizeof(path), "%s/atomic/pb.bin", dir);
    for (int i = 0; i < 3; i++)
        assert_int_equal(ct_pricebook_save(filled, path), CT_OK);
    char folder[450];
    snprintf(folder, sizeof(folder), "%s/atomic", dir);
    DIR *d = opendir(folder);
    assert_non_null(d);
    int files = 0;
    struct dirent *e;
    while ((e = readdir(d)) != NULL) {
        if (e->d_name[0] != '.') {
            assert_string_equal(e->d_name, "pb.bin");
            files++;
        }
    }
    closedir(d);
    assert_int_equal(files, 1);
    assert_int_equal(try_load(tt, path), CT_OK);
    /* A folder that cannot be made: CT_IO, nothing written. */
    char blocked[500];
    snprintf(blocked, sizeof(blocked), "%s/pb.bin/sub/pb.bin", folder);
    assert_int_equal(ct_pricebook_save(filled, blocked), CT_IO);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(save_then_load_gives_the_same_book),
        cmocka_unit_test(another_timetable_is_refused),
        cmocka_unit_test(damaged_files_are_refused),
        cmocka_unit_test(out_of_range_minor_digits_are_refused),
        cmocka_unit_test(saving_replaces_the_file_atomically),
    };
    return cmocka_run_group_tests(tests, setup, teardown);
}
