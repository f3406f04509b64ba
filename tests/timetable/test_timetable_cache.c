/* test_timetable_cache.c: the binary timetable cache (timetable.h, timetable/cache.c).
 *
 * A small sandbox world is published as SSIM and built once over 60 days. Then:
 *   - save + open gives the same arrays, byte for byte, and the same search answers as the
 *     fresh build (300 random one-way queries, itineraries compared leg by leg by index);
 *   - ct_timetable_open_cached misses, builds with the slack and saves, then hits;
 *   - a window the cache does not cover, a touched or grown SSIM file, or another file list
 *     is a miss;
 *   - truncated, garbage, wrong-version, wrong-byte-order and damaged files are refused
 *     (CT_NOT_FOUND, no crash) and open_cached rebuilds over them;
 *   - a save replaces the file atomically: a new inode, an old mapping keeps the old bytes,
 *     no temporary file is left, and a failed save leaves the old file as it was. */
#define _GNU_SOURCE
#include "ct_test.h"

#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>
#include <dirent.h>
#include <sodium.h>

#include "base/timeutil.h"
#include "sandbox/world/sandbox_data.h"
#include "sandbox/world/ssim_write.h"
#include "search/search.h"
#include "smallworld.h"
#include "testsupport.h"
#include "timetable/timetable.h"

#define DAYS     60
#define MAX_FILE 64

static ts_small_world sw;
static ct_timetable *built; /* the fresh build, [start, start + DAYS - 1] */
static int64_t start;
static const char *dir; /* sw.dir */
static char cache[300];
static const char *const *paths; /* sw.paths */
static size_t npaths;

static int setup(void **state)
{
    (void)state;
    ts_small_world_open(&sw, 11);
    start = sw.start;
    paths = sw.paths;
    npaths = sw.npaths;
    dir = sw.dir;
    built = ts_small_world_timetable(&sw, DAYS);
    snprintf(cache, sizeof(cache), "%s/cache/sub/timetable.bin", dir);
    return 0;
}

static int teardown(void **state)
{
    (void)state;
    ct_timetable_free(built);
    ts_small_world_close(&sw);
    return 0;
}

/* ---- helpers ---- */

static void assert_same_arrays(const ct_timetable *a, const ct_timetable *b)
{
    assert_int_equal(a->nlegs, b->nlegs);
    assert_int_equal(a->nairports, b->nairports);
    assert_int_equal(a->ncarriers, b->ncarriers);
    assert_int_equal(a->skipped, b->skipped);
    assert_int_equal(a->from_day, b->from_day);
    assert_int_equal(a->to_day, b->to_day);
    assert_ptr_equal(a->rd, b->rd);
    assert_memory_equal(a->legs, b->legs, a->nlegs * sizeof(ct_leg));
    assert_memory_equal(a->first, b->first, (a->nairports + 1) * sizeof(uint32_t));
    assert_memory_equal(a->by_arr, b->by_arr, a->nlegs * sizeof(uint32_t));
    assert_memory_equal(a->first_arr, b->first_arr, (a->nairports + 1) * sizeof(uint32_t));
    assert_memory_equal(a->country, b->country, (a->nairports + 1) * sizeof(uint16_t));
    assert_memory_equal(a->carriers, b->carriers, a->ncarriers * 4);
}

static uint64_t rng = 0x2545f4914f6cdd1dull;

static uint32_t next_rand(void)
{
    rng ^= rng << 13;
    rng ^= rng >> 7;
    rng ^= rng << 17;
    return (uint32_t)(rng >> 11);
}

/* The same random queries on both timetables give the same itineraries (legs compared by
 * their index in each timetable's legs array). Returns how many itineraries were seen. */
static size_t assert_same_answers(const ct_timetable *a, const ct_timetable *b, int queries)
{
    size_t seen = 0;
    for (int qn = 0; qn < queries; qn++) {
        uint16_t o = (uint16_t)(next_rand() % a->nairports);
        uint16_t d = (uint16_t)(next_rand() % a->nairports);
        if (o == d || a->first[o] == a->first[o + 1] || a->first_arr[d] == a->first_arr[d + 1]) {
            qn--;
            continue;
        }
        ct_search_query q = {&o,  1, &d, 1, start + next_rand() % DAYS, (int)(next_rand() % 3),
                             NULL};
        ct_search_result ra, rb;
        assert_int_equal(ct_search_oneway(a, &q, &ra), CT_OK);
        assert_int_equal(ct_search_oneway(b, &q, &rb), CT_OK);
        assert_int_equal(ra.n, rb.n);
        for (size_t i = 0; i < ra.n; i++) {
            assert_int_equal(ra.items[i].nlegs, rb.items[i].nlegs);
            assert_int_equal(ra.items[i].dep, rb.items[i].dep);
            assert_int_equal(ra.items[i].arr, rb.items[i].arr);
            for (int k = 0; k < ra.items[i].nlegs; k++)
                assert_int_equal(ra.items[i].legs[k] - a->legs, rb.items[i].legs[k] - b->legs);
        }
        seen += ra.n;
        ct_search_result_free(&ra);
        ct_search_result_free(&rb);
    }
    return seen;
}

static ct_status try_open(int64_t from, int64_t to, ct_timetable **out)
{
    return ct_timetable_open_cache(sw.data.refdata, paths, npaths, from, to, cache, out);
}

/* The cache holds the fresh build again. */
static void save_built(void)
{
    assert_int_equal(ct_timetable_save(built, cache), CT_OK);
}

static void read_all(const char *path, unsigned char **buf, size_t *len)
{
    FILE *f = fopen(path, "rb");
    assert_non_null(f);
    fseek(f, 0, SEEK_END);
    *len = (size_t)ftell(f);
    fseek(f, 0, SEEK_SET);
    *buf = malloc(*len ? *len : 1);
    assert_non_null(*buf);
    assert_int_equal(fread(*buf, 1, *len, f), *len);
    fclose(f);
}

static void write_all(const char *path, const unsigned char *buf, size_t len)
{
    FILE *f = fopen(path, "wb");
    assert_non_null(f);
    assert_int_equal(fwrite(buf, 1, len, f), len);
    assert_int_equal(fclose(f), 0);
}

/* Recomputes the check hash of a cache file image after an edit (the layout of
 * timetable.h: the header up to byte 208, then sections 1, 3, 4 and 5; offset and length
 * of section i at 112 + 16 i). */
static void rehash(unsigned char *file)
{
    crypto_generichash_state st;
    crypto_generichash_init(&st, NULL, 0, 32);
    crypto_generichash_update(&st, file, 208);
    int small[] = {1, 3, 4, 5};
    for (int i = 0; i < 4; i++) {
        uint64_t off, n;
        memcpy(&off, file + 112 + 16 * small[i], 8);
        memcpy(&n, file + 112 + 16 * small[i] + 8, 8);
        crypto_generichash_update(&st, file + off, (size_t)n);
    }
    crypto_generichash_final(&st, file + 208, 32);
}

/* Refused by open_cache, rebuilt by open_cached (which saves a good file again). */
static void assert_refused_then_rebuilt(const char *what)
{
    ct_timetable *tt = NULL;
    if (try_open(start, start + DAYS - 1, &tt) != CT_NOT_FOUND)
        fail_msg("%s: accepted", what);
    assert_null(tt);
    int hit = -1;
    assert_int_equal(ct_timetable_open_cached(sw.data.refdata, paths, npaths, start,
                                              start + DAYS - 1, cache, &tt, &hit),
                     CT_OK);
    assert_int_equal(hit, 0);
    assert_int_equal(tt->nlegs > built->nlegs, 1); /* built with the slack */
    ct_timetable_free(tt);
    assert_int_equal(try_open(start, start + DAYS - 1, &tt), CT_OK);
    ct_timetable_free(tt);
}

/* ---- tests ---- */

static void save_then_open_is_the_same_timetable(void **state)
{
    (void)state;
    assert_true(built->nlegs > 1000);
    unlink(cache);
    ct_timetable *tt = NULL;
    assert_int_equal(try_open(start, start + DAYS - 1, &tt), CT_NOT_FOUND); /* no file yet */
    save_built(); /* creates cache/sub/ too */
    assert_int_equal(try_open(start, start + DAYS - 1, &tt), CT_OK);
    assert_non_null(tt->mapping);
    assert_null(built->mapping);
    assert_same_arrays(tt, built);
    size_t seen = assert_same_answers(built, tt, 300);
    if (seen < 300)
        fail_msg("only %zu itineraries in 300 queries", seen);
    ct_timetable_prefetch(tt);
    /* A mapped timetable saves like a built one, to the same bytes. */
    char copy[400];
    snprintf(copy, sizeof(copy), "%s.copy", cache);
    assert_int_equal(ct_timetable_save(tt, copy), CT_OK);
    unsigned char *a, *b;
    size_t na, nb;
    read_all(cache, &a, &na);
    read_all(copy, &b, &nb);
    assert_int_equal(na, nb);
    assert_memory_equal(a, b, na);
    free(a);
    free(b);
    unlink(copy);
    ct_timetable_free(tt);
}

static void open_cached_builds_saves_then_hits(void **state)
{
    (void)state;
    unlink(cache);
    ct_timetable *first = NULL, *second = NULL, *plain = NULL;
    int hit = -1;
    assert_int_equal(ct_timetable_open_cached(sw.data.refdata, paths, npaths, start,
                                              start + DAYS - 1, cache, &first, &hit),
                     CT_OK);
    assert_int_equal(hit, 0);
    assert_int_equal(first->to_day, start + DAYS - 1 + CT_TIMETABLE_CACHE_SLACK_DAYS);
    assert_int_equal(ct_timetable_open_cached(sw.data.refdata, paths, npaths, start,
                                              start + DAYS - 1, cache, &second, &hit),
                     CT_OK);
    assert_int_equal(hit, 1);
    assert_same_arrays(first, second);
    /* The next days' restarts still hit, within the slack. */
    ct_timetable *later = NULL;
    assert_int_equal(try_open(start + CT_TIMETABLE_CACHE_SLACK_DAYS,
                              start + DAYS - 1 + CT_TIMETABLE_CACHE_SLACK_DAYS, &later),
                     CT_OK);
    ct_timetable_free(later);
    /* Without a cache path: a plain build over the window asked for. */
    assert_int_equal(ct_timetable_open_cached(sw.data.refdata, paths, npaths, start,
                                              start + DAYS - 1, "", &plain, &hit),
                     CT_OK);
    assert_int_equal(hit, 0);
    assert_same_arrays(plain, built);
    ct_timetable_free(first);
    ct_timetable_free(second);
    ct_timetable_free(plain);
}

static void window_must_be_covered(void **state)
{
    (void)state;
    save_built();
    ct_timetable *tt = NULL;
    assert_int_equal(try_open(start + 1, start + DAYS - 1, &tt), CT_OK); /* inside */
    assert_int_equal(tt->from_day, start);                               /* what it holds */
    ct_timetable_free(tt);
    assert_int_equal(try_open(start + 1, start + DAYS, &tt), CT_NOT_FOUND); /* a day short */
    assert_int_equal(try_open(start - 1, start + DAYS - 1, &tt), CT_NOT_FOUND);
    assert_null(tt);
}

static void changed_inputs_invalidate(void **state)
{
    (void)state;
    save_built();
    ct_timetable *tt = NULL;
    /* Another file list (one file fewer, or the same files in another order). */
    assert_int_equal(ct_timetable_open_cache(sw.data.refdata, paths, npaths - 1, start,
                                             start + DAYS - 1, cache, &tt),
                     CT_NOT_FOUND);
    const char *swapped[MAX_FILE];
    memcpy(swapped, paths, npaths * sizeof(*paths));
    swapped[0] = paths[1];
    swapped[1] = paths[0];
    assert_int_equal(ct_timetable_open_cache(sw.data.refdata, swapped, npaths, start,
                                             start + DAYS - 1, cache, &tt),
                     CT_NOT_FOUND);
    /* A touched file: same bytes, new modification time. */
    struct stat sb;
    assert_int_equal(stat(paths[0], &sb), 0);
    struct timespec times[2] = {sb.st_atim, sb.st_mtim};
    times[1].tv_sec += 10;
    assert_int_equal(utimensat(AT_FDCWD, paths[0], times, 0), 0);
    assert_int_equal(try_open(start, start + DAYS - 1, &tt), CT_NOT_FOUND);
    times[1] = sb.st_mtim; /* put back: the cache is good again */
    assert_int_equal(utimensat(AT_FDCWD, paths[0], times, 0), 0);
    assert_int_equal(try_open(start, start + DAYS - 1, &tt), CT_OK);
    ct_timetable_free(tt);
    /* A grown file (a blank line at the end, which the reader skips), mtime kept. */
    unsigned char *buf;
    size_t len;
    read_all(paths[1], &buf, &len);
    struct stat sb1;
    assert_int_equal(stat(paths[1], &sb1), 0);
    unsigned char *grown = malloc(len + 1);
    assert_non_null(grown);
    memcpy(grown, buf, len);
    grown[len] = '\n';
    write_all(paths[1], grown, len + 1);
    struct timespec keep[2] = {sb1.st_atim, sb1.st_mtim};
    assert_int_equal(utimensat(AT_FDCWD, paths[1], keep, 0), 0);
    assert_int_equal(try_open(start, start + DAYS - 1, &tt), CT_NOT_FOUND);
    write_all(paths[1], buf, len);
    assert_int_equal(utimensat(AT_FDCWD, paths[1], keep, 0), 0);
    assert_int_equal(try_open(start, start + DAYS - 1, &tt), CT_OK);
    ct_timetable_free(tt);
    free(grown);
    free(buf);
    /* An unreadable input is a miss too (the build then reports it). */
    const char *missing[MAX_FILE];
    memcpy(missing, paths, npaths * sizeof(*paths));
    missing[0] = "/nonexistent/file.ssim";
    assert_int_equal(ct_timetable_open_cache(sw.data.refdata, missing, npaths, start,
                                             start + DAYS - 1, cache, &tt),
                     CT_NOT_FOUND);
}

static void damaged_files_are_rebuilt(void **state)
{
    (void)state;
    save_built();
    unsigned char *good;
    size_t len;
    read_all(cache, &good, &len);
    assert_true(len > 4096);
    unsigned char *bad = malloc(len);
    assert_non_null(bad);

    /* Truncated: anywhere from empty to one byte short. */
    size_t cuts[] = {0, 1, 100, 239, 240, 241, 4096, len / 2, len - 1};
    for (size_t i = 0; i < sizeof(cuts) / sizeof(cuts[0]); i++) {
        char what[64];
        snprintf(what, sizeof(what), "truncated to %zu bytes", cuts[i]);
        write_all(cache, good, cuts[i]);
        assert_refused_then_rebuilt(what);
    }
    /* Garbage of the same length, and garbage behind a correct magic. */
    for (size_t i = 0; i < len; i++)
        bad[i] = (unsigned char)next_rand();
    write_all(cache, bad, len);
    assert_refused_then_rebuilt("garbage");
    memcpy(bad, good, 8);
    write_all(cache, bad, len);
    assert_refused_then_rebuilt("garbage after the magic");
    /* One changed field or byte at a time. Offsets: version 8, byte order 12, leg size 20,
     * nlegs 32, nairports 40, the key 80, a section offset 112, the check hash 208, then a
     * byte of the first (CSR) section and the carriers at the end. */
    struct {
        size_t at;
        const char *what;
    } flips[] = {{0, "magic"},         {8, "version"},      {12, "byte order"},
                 {20, "leg size"},     {32, "nlegs"},       {40, "nairports"},
                 {64, "from_day"},     {80, "key"},         {112, "section offset"},
                 {120, "section len"}, {208, "check hash"}, {len - 2, "carriers"}};
    for (size_t i = 0; i < sizeof(flips) / sizeof(flips[0]); i++) {
        memcpy(bad, good, len);
        bad[flips[i].at] ^= 0x01;
        write_all(cache, bad, len);
        assert_refused_then_rebuilt(flips[i].what);
    }
    /* A byte of first[] (past the 240-byte header; section offsets are in the header). */
    uint64_t first_off;
    memcpy(&first_off, good + 112 + 16, sizeof(first_off));
    assert_true(first_off > 240 && first_off < len);
    memcpy(bad, good, len);
    bad[first_off + 5] ^= 0x40;
    write_all(cache, bad, len);
    assert_refused_then_rebuilt("first[]");
    /* A well-formed file of another format version, its check hash recomputed: only the
     * version check can refuse it. */
    memcpy(bad, good, len);
    bad[8] = 1; /* the format before ct_leg had four cabins */
    rehash(bad);
    write_all(cache, bad, len);
    assert_refused_then_rebuilt("format version 1");
    /* The same rehash of an unchanged file is accepted (the helper is right). */
    memcpy(bad, good, len);
    rehash(bad);
    assert_memory_equal(bad, good, len);
    /* Not a regular file. */
    unlink(cache);
    assert_int_equal(mkdir(cache, 0755), 0);
    ct_timetable *tt = NULL;
    assert_int_equal(try_open(start, start + DAYS - 1, &tt), CT_NOT_FOUND);
    rmdir(cache);
    free(bad);
    free(good);
}

static int count_temporaries(const char *folder)
{
    DIR *d = opendir(folder);
    assert_non_null(d);
    int n = 0;
    struct dirent *e;
    while ((e = readdir(d)) != NULL)
        n += strstr(e->d_name, ".tmp.") != NULL;
    closedir(d);
    return n;
}

static void save_replaces_atomically(void **state)
{
    (void)state;
    save_built();
    struct stat before, after;
    assert_int_equal(stat(cache, &before), 0);
    /* A reader with the old file open (mapped) keeps reading the old bytes. */
    ct_timetable *old = NULL, *shifted = NULL;
    assert_int_equal(try_open(start, start + DAYS - 1, &old), CT_OK);
    assert_int_equal(
        ct_timetable_load(sw.data.refdata, paths, npaths, start + 1, start + DAYS, &shifted, NULL),
        CT_OK);
    assert_int_equal(ct_timetable_save(shifted, cache), CT_OK);
    assert_int_equal(stat(cache, &after), 0);
    assert_true(before.st_ino != after.st_ino); /* renamed over, not rewritten in place */
    assert_same_arrays(old, built);
    ct_timetable *now = NULL;
    assert_int_equal(try_open(start + 1, start + DAYS, &now), CT_OK);
    assert_same_arrays(now, shifted);
    ct_timetable_free(now);
    ct_timetable_free(old);
    ct_timetable_free(shifted);
    char folder[300];
    snprintf(folder, sizeof(folder), "%s/cache/sub", dir);
    assert_int_equal(count_temporaries(folder), 0);

    /* A failed save (the target is a non-empty folder: rename refuses) leaves no temporary
     * file behind and the folder as it was. */
    char blocked[400], inside[450];
    snprintf(blocked, sizeof(blocked), "%s/blocked", folder);
    snprintf(inside, sizeof(inside), "%s/keep", blocked);
    assert_int_equal(mkdir(blocked, 0755), 0);
    write_all(inside, (const unsigned char *)"x", 1);
    assert_int_equal(ct_timetable_save(built, blocked), CT_IO);
    assert_int_equal(count_temporaries(folder), 0);
    assert_int_equal(access(inside, F_OK), 0);

    /* A timetable without an input key cannot be saved. */
    ct_timetable keyless = *built;
    keyless.has_key = 0;
    assert_int_equal(ct_timetable_save(&keyless, cache), CT_INVALID);
    assert_int_equal(ct_timetable_save(built, ""), CT_INVALID);
}

/* The lazily built indexes (routes.c) against plain scans: first departures at random
 * instants (the day and hour indexes, busy and quiet airports), and every arriving route's
 * day slices. */
static void indexes_equal_scans(void **state)
{
    (void)state;
    const ct_timetable *tt = built;
    uint64_t r = 99;
    size_t busy = 0, most = 0;
    for (size_t a = 0; a < tt->nairports; a++) {
        size_t n = tt->first[a + 1] - tt->first[a];
        busy += n > 16 * (size_t)(tt->to_day - tt->from_day + 3);
        most = n > most ? n : most;
    }
    if (busy == 0) /* some airports get the hour index */
        fail_msg("no airport with more than 16 departures a day (at most %zu)", most);
    for (int n = 0; n < 20000; n++) {
        r = r * 6364136223846793005ull + 1442695040888963407ull;
        uint16_t a = (uint16_t)((r >> 33) % tt->nairports);
        int32_t t = (int32_t)((tt->from_day - 2) * 1440 +
                              (int64_t)((r >> 7) % (uint64_t)((DAYS + 4) * 1440)));
        uint32_t want = tt->first[a];
        while (want < tt->first[a + 1] && tt->legs[want].dep < t)
            want++;
        assert_int_equal(ct_timetable_first_departure(tt, a, t), want);
    }
    for (uint16_t d = 0; d < tt->nairports; d += 7) {
        const ct_arrival_routes *rt = ct_timetable_arrival_routes(tt, d);
        assert_non_null(rt);
        assert_int_equal(rt->lo[0], tt->first_arr[d]);
        assert_int_equal(rt->lo[rt->nroutes], tt->first_arr[d + 1]);
        for (uint32_t k = 0; k < rt->nroutes; k++) {
            for (uint32_t p = rt->lo[k]; p < rt->lo[k + 1]; p++)
                assert_int_equal(tt->legs[tt->by_arr[p]].from, rt->from[k]);
            const uint16_t *days = rt->day_first + (size_t)k * (rt->ndays + 1);
            for (uint32_t day = 0; day <= rt->ndays; day++) {
                int64_t day_start = (tt->from_day - 1 + (int64_t)day) * 1440;
                uint32_t p = rt->lo[k];
                while (p < rt->lo[k + 1] && tt->legs[tt->by_arr[p]].dep < day_start)
                    p++;
                assert_int_equal(rt->lo[k] + days[day], p);
            }
        }
    }
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(save_then_open_is_the_same_timetable),
        cmocka_unit_test(open_cached_builds_saves_then_hits),
        cmocka_unit_test(window_must_be_covered),
        cmocka_unit_test(changed_inputs_invalidate),
        cmocka_unit_test(damaged_files_are_rebuilt),
        cmocka_unit_test(save_replaces_atomically),
        cmocka_unit_test(indexes_equal_scans),
    };
    return cmocka_run_group_tests(tests, setup, teardown);
}
