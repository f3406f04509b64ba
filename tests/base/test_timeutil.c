/* test_timeutil.c: calendar maths, ISO 8601, and IANA zone conversion across DST changes. */
#include "ct_test.h"

#include <unicode/ucal.h>
#include <unicode/ustring.h>

#include <string.h>

#include "base/alloc.h"
#include "base/timeutil.h"

static void civil_days_round_trip(void **state)
{
    (void)state;
    assert_int_equal(ct_days_from_civil(1970, 1, 1), 0);
    assert_int_equal(ct_days_from_civil(2000, 3, 1), 11017);
    assert_int_equal(ct_days_from_civil(1969, 12, 31), -1);
    for (int64_t d = -719000; d < 2900000; d += 97) {
        int y, m, dd;
        ct_civil_from_days(d, &y, &m, &dd);
        assert_true(ct_date_valid(y, m, dd));
        assert_int_equal(ct_days_from_civil(y, m, dd), d);
    }
    assert_int_equal(ct_weekday(ct_days_from_civil(2026, 11, 23)), 1); /* a Monday */
    assert_int_equal(ct_weekday(ct_days_from_civil(1970, 1, 4)), 7);
    assert_true(ct_date_valid(2024, 2, 29));
    assert_false(ct_date_valid(2026, 2, 29));
    assert_false(ct_date_valid(2100, 2, 29));
    assert_true(ct_date_valid(2000, 2, 29));
}

static void iso8601_parse_and_format(void **state)
{
    (void)state;
    ct_utc t;
    char buf[40];
    assert_int_equal(ct_utc_parse("2026-11-23T15:31:00Z", &t), CT_OK);
    assert_string_equal(ct_utc_format(t, buf, sizeof(buf)), "2026-11-23T15:31:00Z");
    ct_utc t2;
    assert_int_equal(ct_utc_parse("2026-11-23T16:31+01:00", &t2), CT_OK);
    assert_int_equal(t, t2);
    assert_int_equal(ct_utc_parse("2026-11-23T10:01:00-05:30", &t2), CT_OK);
    assert_int_equal(t, t2);
    const char *bad[] = {"2026-13-01T00:00Z",
                         "2026-02-30T00:00Z",
                         "2026-11-23 15:31Z",
                         "2026-11-23T25:00Z",
                         "2026-11-23T15:31",
                         "2026-11-23T15:31Zjunk",
                         "",
                         "20261123T1531Z"};
    for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++)
        assert_int_equal(ct_utc_parse(bad[i], &t2), CT_INVALID);
    int64_t days;
    assert_int_equal(ct_date_parse("2026-11-23", &days), CT_OK);
    assert_int_equal(days, ct_days_from_civil(2026, 11, 23));
    assert_int_equal(ct_date_parse("2026-11-23x", &days), CT_INVALID);
    assert_int_equal(ct_date_parse("2026-11-31", &days), CT_INVALID);
}

/* Found by fuzz/timeutil_fuzz.c: "2026-10-25T02:0" made the parser step over the string's end
 * before it saw that the minutes were cut short. Every prefix of an instant sits in a heap
 * block of its exact size, so AddressSanitizer sees any read past the NUL. */
static void iso8601_truncated_instants_stay_in_bounds(void **state)
{
    (void)state;
    const char *full = "2026-10-25T02:00:00+01:00";
    for (size_t len = 0; len <= strlen(full); len++) {
        char *s = ct_malloc(len + 1);
        assert_non_null(s);
        memcpy(s, full, len);
        s[len] = '\0';
        ct_utc t;
        assert_int_equal(ct_utc_parse(s, &t), len == strlen(full) ? CT_OK : CT_INVALID);
        ct_free(s);
    }
}

static ct_utc utc_of(const char *s)
{
    ct_utc t = 0;
    assert_int_equal(ct_utc_parse(s, &t), CT_OK);
    return t;
}

static void zone_conversions_across_dst(void **state)
{
    (void)state;
    ct_utc t;
    int off;
    ct_civil c = {2026, 7, 1, 12, 0, 0};
    assert_int_equal(ct_tz_to_utc("Europe/Zurich", &c, &t, &off), CT_OK);
    assert_int_equal(t, utc_of("2026-07-01T10:00:00Z"));
    assert_int_equal(off, 7200);
    c = (ct_civil){2026, 1, 15, 12, 0, 0};
    assert_int_equal(ct_tz_to_utc("Europe/Zurich", &c, &t, &off), CT_OK);
    assert_int_equal(off, 3600);
    /* New York spring forward 2026-03-08 02:00 -> 03:00: 02:30 does not exist. */
    c = (ct_civil){2026, 3, 8, 2, 30, 0};
    assert_int_equal(ct_tz_to_utc("America/New_York", &c, &t, &off), CT_OK);
    assert_int_equal(t, utc_of("2026-03-08T07:30:00Z")); /* = 03:30 EDT */
    /* Fall back 2026-11-01 02:00 -> 01:00: 01:30 happens twice; the first is EDT. */
    c = (ct_civil){2026, 11, 1, 1, 30, 0};
    assert_int_equal(ct_tz_to_utc("America/New_York", &c, &t, &off), CT_OK);
    assert_int_equal(t, utc_of("2026-11-01T05:30:00Z"));
    assert_int_equal(off, -4 * 3600);
    /* Southern hemisphere: Sydney is on DST in January. */
    c = (ct_civil){2027, 1, 10, 9, 0, 0};
    assert_int_equal(ct_tz_to_utc("Australia/Sydney", &c, &t, &off), CT_OK);
    assert_int_equal(off, 11 * 3600);
    /* Half and quarter hour zones; the date line. */
    c = (ct_civil){2026, 6, 1, 0, 0, 0};
    assert_int_equal(ct_tz_to_utc("Asia/Kathmandu", &c, &t, &off), CT_OK);
    assert_int_equal(off, 5 * 3600 + 45 * 60);
    assert_int_equal(ct_tz_to_utc("Pacific/Kiritimati", &c, &t, &off), CT_OK);
    assert_int_equal(off, 14 * 3600);
    assert_int_equal(t, utc_of("2026-05-31T10:00:00Z"));
    /* Back from UTC. */
    ct_civil back;
    assert_int_equal(
        ct_tz_from_utc("America/New_York", utc_of("2026-11-01T06:30:00Z"), &back, &off), CT_OK);
    assert_int_equal(back.hour, 1);
    assert_int_equal(back.minute, 30);
    assert_int_equal(off, -5 * 3600);
    char buf[40];
    assert_string_equal(ct_civil_format(&back, off, buf, sizeof(buf)), "2026-11-01T01:30:00-05:00");
}

static void zone_round_trip_every_hour_of_a_year(void **state)
{
    (void)state;
    const char *zones[] = {"Europe/London", "America/Sao_Paulo", "Asia/Tokyo", "Pacific/Auckland",
                           "America/St_Johns"};
    ct_utc start = utc_of("2026-01-01T00:00:00Z");
    for (size_t z = 0; z < sizeof(zones) / sizeof(zones[0]); z++) {
        for (ct_utc t = start; t < start + 366 * 86400; t += 3600) {
            ct_civil c;
            int off1, off2;
            ct_utc back;
            assert_int_equal(ct_tz_from_utc(zones[z], t, &c, &off1), CT_OK);
            assert_int_equal(ct_tz_to_utc(zones[z], &c, &back, &off2), CT_OK);
            /* Equal except in the repeated hour, where the first occurrence is chosen. */
            if (back != t) {
                assert_true(back < t);
                assert_true(t - back <= 3600);
            }
        }
    }
}

/* The offset of `zone` at t straight from a fresh ICU calendar: the oracle for the
 * transition-span cache inside ct_tz_from_utc. */
static int icu_offset(const char *zone, ct_utc t)
{
    UChar uz[64];
    UErrorCode st = U_ZERO_ERROR;
    u_strFromUTF8(uz, 64, NULL, zone, -1, &st);
    UCalendar *cal = ucal_open(uz, -1, "en_US_POSIX", UCAL_GREGORIAN, &st);
    ucal_setMillis(cal, (UDate)t * 1000.0, &st);
    int off = (ucal_get(cal, UCAL_ZONE_OFFSET, &st) + ucal_get(cal, UCAL_DST_OFFSET, &st)) / 1000;
    ucal_close(cal);
    assert_true(U_SUCCESS(st));
    return off;
}

static void cached_offsets_equal_icu(void **state)
{
    (void)state;
    /* Zones with DST, half- and quarter-hour offsets, a 30-minute DST shift, the southern
     * hemisphere, and none; times in a scrambled order that jumps across transitions. */
    static const char *const zones[] = {"Europe/London",  "America/New_York", "Australia/Lord_Howe",
                                        "Asia/Kathmandu", "Pacific/Chatham",  "America/Santiago",
                                        "Asia/Tokyo",     "Europe/Berlin"};
    ct_utc t0 = (ct_utc)ct_days_from_civil(2026, 12, 1) * 86400;
    uint64_t r = 12345;
    for (int i = 0; i < 4000; i++) {
        r = r * 6364136223846793005ull + 1442695040888963407ull;
        const char *zone = zones[(r >> 40) % 8];
        ct_utc t = t0 + (ct_utc)((r >> 20) % (2 * 366 * 24 * 4)) * 900 - (ct_utc)((r >> 8) % 2);
        ct_civil c;
        int off = 0;
        assert_int_equal(ct_tz_from_utc(zone, t, &c, &off), CT_OK);
        if (off != icu_offset(zone, t))
            fail_msg("%s at %lld: %d, ICU says %d", zone, (long long)t, off, icu_offset(zone, t));
    }
    /* Both sides of one transition, the later first. */
    ct_utc spring = (ct_utc)ct_days_from_civil(2027, 3, 28) * 86400 + 3600; /* 01:00 UTC */
    int off = 0;
    ct_civil c;
    assert_int_equal(ct_tz_from_utc("Europe/London", spring + 60, &c, &off), CT_OK);
    assert_int_equal(off, 3600);
    assert_int_equal(ct_tz_from_utc("Europe/London", spring - 1, &c, &off), CT_OK);
    assert_int_equal(off, 0);
    assert_int_equal(ct_tz_from_utc("Europe/London", spring, &c, &off), CT_OK);
    assert_int_equal(off, 3600);
}

static void dates_format(void **state)
{
    (void)state;
    char buf[16];
    assert_string_equal(ct_date_format(ct_days_from_civil(2026, 12, 1), buf, sizeof(buf)),
                        "2026-12-01");
    assert_string_equal(ct_date_format(0, buf, sizeof(buf)), "1970-01-01");
    assert_string_equal(ct_date_format(ct_days_from_civil(9999, 12, 31), buf, sizeof(buf)),
                        "9999-12-31");
    assert_string_equal(ct_date_format(ct_days_from_civil(10000, 1, 2), buf, sizeof(buf)),
                        "10000-01-02"); /* past four digits: printf's form */
}

static void unknown_zones_and_bad_times(void **state)
{
    (void)state;
    ct_utc t;
    ct_civil c = {2026, 1, 1, 0, 0, 0};
    assert_false(ct_tz_valid("Mars/Olympus_Mons"));
    assert_false(ct_tz_valid(""));
    assert_true(ct_tz_valid("Europe/Zurich"));
    assert_int_equal(ct_tz_to_utc("Mars/Olympus_Mons", &c, &t, NULL), CT_INVALID);
    c.hour = 24;
    assert_int_equal(ct_tz_to_utc("Europe/Zurich", &c, &t, NULL), CT_INVALID);
    char zone[64];
    assert_true(ct_tz_country_single("CH", zone, sizeof(zone)));
    assert_string_equal(zone, "Europe/Zurich");
    assert_false(ct_tz_country_single("US", zone, sizeof(zone)));
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(civil_days_round_trip),
        cmocka_unit_test(iso8601_parse_and_format),
        cmocka_unit_test(iso8601_truncated_instants_stay_in_bounds),
        cmocka_unit_test(zone_conversions_across_dst),
        cmocka_unit_test(zone_round_trip_every_hour_of_a_year),
        cmocka_unit_test(cached_offsets_equal_icu),
        cmocka_unit_test(dates_format),
        cmocka_unit_test(unknown_zones_and_bad_times),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
