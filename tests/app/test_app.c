/* test_app.c: the wiring of `serve` on the small sandbox world's real SSIM files: the schedule
 * loader builds the timetable, publishes it and saves the cache, and the next loader opens
 * that cache (same legs); the SSIM file listing; price persistence: a filled pricebook and the
 * feeds' state saved and loaded into a fresh pricebook give the same file again, a damaged
 * file is refused and leaves the book empty; the providers of a world.json. */
#include "ct_test.h"

#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "app/loader.h"
#include "app/prices.h"
#include "pricefill.h"
#include "smallworld.h"
#include "testsupport.h"

static ts_small_world world;
static char dir[256];

static int setup(void **state)
{
    (void)state;
    ts_small_world_open(&world, 11);
    ts_tempdir(dir, sizeof(dir));
    return 0;
}

static int teardown(void **state)
{
    (void)state;
    ts_rmtree(dir);
    ts_small_world_close(&world);
    return 0;
}

/* Runs one loader over the world's SSIM folder to its end; returns the legs' identity. */
static void run_loader(const char *cache, int *hit, size_t *nlegs, unsigned char id[32])
{
    ct_app app = {0};
    app.refdata = world.data.refdata;
    static ct_app_loader l;
    memset(&l, 0, sizeof(l));
    l.app = &app;
    snprintf(l.dirs[0], sizeof(l.dirs[0]), "%s", world.dir);
    l.from_day = world.start;
    l.days = 14;
    snprintf(l.cache, sizeof(l.cache), "%s", cache);
    assert_int_equal(ct_app_loader_start(&l), CT_OK);
    for (int i = 0; i < 6000 && !atomic_load(&l.done); i++) {
        struct timespec ts = {0, 10 * 1000 * 1000};
        nanosleep(&ts, NULL);
    }
    assert_true(atomic_load(&l.done));
    const ct_timetable *tt = atomic_load(&app.timetable);
    assert_non_null(tt); /* published */
    assert_ptr_equal(tt, l.loaded);
    assert_true(tt->nlegs > 1000);
    assert_null(atomic_load(&app.pricebook)); /* no providers: no prices */
    *hit = l.cache_hit;
    *nlegs = tt->nlegs;
    ct_timetable_identity(tt, id);
    ct_app_loader_stop(&l);
    assert_null(atomic_load(&app.timetable));
    assert_null(l.loaded);
}

static void loader_builds_saves_then_opens_the_cache(void **state)
{
    (void)state;
    char cache[400];
    snprintf(cache, sizeof(cache), "%s/cache/timetable.bin", dir);
    int hit = -1;
    size_t n1 = 0, n2 = 0;
    unsigned char id1[32], id2[32];
    run_loader(cache, &hit, &n1, id1);
    assert_int_equal(hit, 0); /* built */
    struct stat st;
    assert_int_equal(stat(cache, &st), 0);
    assert_true(st.st_size > 0);
    run_loader(cache, &hit, &n2, id2);
    assert_int_equal(hit, 1); /* the cache, the same legs */
    assert_int_equal(n1, n2);
    assert_memory_equal(id1, id2, 32);
    /* Without a cache: built over the window alone (no slack days for later starts). */
    run_loader("", &hit, &n2, id2);
    assert_int_equal(hit, 0);
    assert_true(n2 < n1);
}

static void ssim_files_and_timetable_open(void **state)
{
    (void)state;
    ts_write_file(dir, "s/notes.txt", "not a schedule\n");
    ts_write_file(dir, "s/x.ssim.bak", "nor this\n");
    char sub[400];
    snprintf(sub, sizeof(sub), "%s/s", dir);
    char **paths = NULL;
    size_t n = 0;
    assert_int_equal(ct_app_ssim_files(sub, &paths, &n), CT_OK);
    assert_int_equal(n, 0);
    assert_int_equal(ct_app_ssim_files("/nonexistent/folder", &paths, &n), CT_OK);
    assert_int_equal(n, 0);
    assert_int_equal(ct_app_ssim_files(world.dir, &paths, &n), CT_OK);
    assert_int_equal(n, world.npaths);
    for (size_t i = 0; i < n; i++)
        assert_non_null(strstr(paths[i], ".ssim"));
    ct_timetable *tt = NULL;
    int hit = -1;
    assert_int_equal(ct_app_timetable_open(world.data.refdata, (const char *const *)paths, n,
                                           world.start, 7, "", &tt, &hit),
                     CT_OK);
    assert_int_equal(hit, 0);
    assert_int_equal(tt->from_day, world.start);
    assert_int_equal(tt->to_day, world.start + 6); /* no cache: no slack */
    ct_timetable_free(tt);
    char cache[400];
    snprintf(cache, sizeof(cache), "%s/tt.bin", dir);
    assert_int_equal(ct_app_timetable_open(world.data.refdata, (const char *const *)paths, n,
                                           world.start, 7, cache, &tt, &hit),
                     CT_OK);
    assert_int_equal(tt->to_day, world.start + 6 + CT_TIMETABLE_CACHE_SLACK_DAYS);
    ct_timetable_free(tt);
    ct_app_files_free(paths, n);
}

static unsigned char *slurp(const char *path, size_t *len)
{
    FILE *f = fopen(path, "rb");
    assert_non_null(f);
    fseek(f, 0, SEEK_END);
    long n = ftell(f);
    fseek(f, 0, SEEK_SET);
    unsigned char *buf = malloc((size_t)n + 1);
    assert_int_equal(fread(buf, 1, (size_t)n, f), (size_t)n);
    fclose(f);
    *len = (size_t)n;
    return buf;
}

/* A pricebook over tt with an ingest driver for one provider (never started). */
static void prices_over(ct_app_prices *p, const ct_timetable *tt, ct_pricebook *pb,
                        const char *file)
{
    memset(p, 0, sizeof(*p));
    p->pricebook = pb;
    snprintf(p->pb_cache, sizeof(p->pb_cache), "%s", file);
    json_t *doc = json_pack("{s:[{s:s, s:s}]}", "providers", "name", "airline-1", "url",
                            "http://127.0.0.1:9");
    ct_app_prices_read_providers(p, doc);
    json_decref(doc);
    assert_int_equal(p->ingest_cfg.nproviders, 1);
    assert_int_equal(ct_bus_new(&p->bus), CT_OK);
    p->ingest_cfg.bus = p->bus;
    assert_int_equal(ct_ingest_new(pb, &p->ingest_cfg, &p->ingest), CT_OK);
    (void)tt;
}

static void prices_saved_and_loaded(void **state)
{
    (void)state;
    ct_timetable *tt = ts_small_world_timetable(&world, 7);
    char file[400], again[400];
    snprintf(file, sizeof(file), "%s/cache/pricebook.bin", dir);
    snprintf(again, sizeof(again), "%s/cache/again.bin", dir);
    ct_app_prices p;
    prices_over(&p, tt, ts_fill_pricebook(tt), file);
    assert_int_equal(ct_app_prices_save(&p), CT_OK);
    char state_file[500];
    snprintf(state_file, sizeof(state_file), "%s.state.json", file);
    assert_int_equal(access(state_file, R_OK), 0);
    ct_app_prices_stop(&p, NULL); /* nothing loaded, no full pass: no second save */

    ct_pricebook *empty = NULL;
    assert_int_equal(ct_pricebook_new(tt, &empty), CT_OK);
    ct_app_prices q;
    prices_over(&q, tt, empty, file);
    int loaded = 0;
    assert_int_equal(ct_app_prices_load(&q, &loaded), CT_OK);
    assert_int_equal(loaded, 1);
    /* The reloaded book writes the same bytes as the one it came from. */
    snprintf(q.pb_cache, sizeof(q.pb_cache), "%s", again);
    assert_int_equal(ct_app_prices_save(&q), CT_OK);
    size_t n1 = 0, n2 = 0;
    unsigned char *a = slurp(file, &n1), *b = slurp(again, &n2);
    assert_true(n1 > 4096);
    assert_int_equal(n1, n2);
    assert_memory_equal(a, b, n1);
    free(b);
    ct_app_prices_stop(&q, NULL); /* loaded: saved again at stop, to `again` */

    /* A damaged file: refused, the pricebook stays empty. */
    a[n1 / 2] ^= 0x55;
    FILE *f = fopen(file, "wb");
    assert_int_equal(fwrite(a, 1, n1, f), n1);
    fclose(f);
    free(a);
    assert_int_equal(ct_pricebook_new(tt, &empty), CT_OK);
    prices_over(&q, tt, empty, file);
    assert_int_not_equal(ct_app_prices_load(&q, &loaded), CT_OK);
    assert_int_equal(loaded, 0);
    ct_app_prices_stop(&q, NULL);
    ct_timetable_free(tt);
}

static void providers_of_world_json(void **state)
{
    (void)state;
    ct_app_prices p;
    memset(&p, 0, sizeof(p));
    json_t *doc = json_loads("{\"providers\":[{\"name\":\"airline-2\",\"url\":\"http://a\"},"
                             "{\"name\":\"unknown-kind\",\"url\":\"http://b\"},"
                             "{\"name\":\"ota-eur\"},"
                             "{\"name\":\"combiner\",\"url\":\"http://c\"}]}",
                             0, NULL);
    assert_non_null(doc);
    ct_app_prices_read_providers(&p, doc);
    json_decref(doc);
    assert_int_equal(p.ingest_cfg.nproviders, 2);
    assert_string_equal(p.ingest_cfg.providers[0].name, "airline-2");
    assert_string_equal(p.ingest_cfg.providers[1].base_url, "http://c");
    ct_app_prices_stop(&p, NULL); /* never started: a no-op */
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(loader_builds_saves_then_opens_the_cache, setup, teardown),
        cmocka_unit_test_setup_teardown(ssim_files_and_timetable_open, setup, teardown),
        cmocka_unit_test_setup_teardown(prices_saved_and_loaded, setup, teardown),
        cmocka_unit_test_setup_teardown(providers_of_world_json, setup, teardown),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
