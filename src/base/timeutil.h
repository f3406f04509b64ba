/* timeutil.h: UTC instants, civil dates, ISO 8601, and IANA time-zone conversion.
 *
 * An instant is int64 seconds since 1970-01-01T00:00:00Z (ct_utc). A civil date-time is the
 * wall-clock reading in some zone (ct_civil). Zone rules come from ICU's copy of the IANA tz
 * database, so conversion is right for any date, across daylight-saving changes, historic
 * offset changes and the date line.
 *
 * Wall-clock ambiguity, documented once here:
 *   - a repeated local time (autumn fall-back) resolves to the FIRST occurrence (earlier UTC);
 *   - a skipped local time (spring-forward gap) resolves to the next valid time, i.e. it is
 *     shifted forward by the length of the gap (02:30 in a 02:00->03:00 gap becomes 03:30 DST). */
#ifndef CT_BASE_TIMEUTIL_H
#define CT_BASE_TIMEUTIL_H

#include <stddef.h>
#include <stdint.h>

#include "base/status.h"

typedef int64_t ct_utc;

typedef struct ct_civil {
    int year, month, day;     /* month 1-12, day 1-31 */
    int hour, minute, second; /* 0-23, 0-59, 0-59 */
} ct_civil;

/* Days since 1970-01-01 for a proleptic Gregorian date, and back (Hinnant's algorithms). */
int64_t ct_days_from_civil(int y, int m, int d);
void ct_civil_from_days(int64_t days, int *y, int *m, int *d);

/* 1 when y-m-d is a real calendar date. */
int ct_date_valid(int y, int m, int d);

/* Day of week of a date, 1 = Monday .. 7 = Sunday (ISO 8601, as SSIM uses). */
int ct_weekday(int64_t days);

/* Current time from the system clock. */
ct_utc ct_utc_now(void);

/* Formats `t` as "YYYY-MM-DDTHH:MM:SSZ" into buf (at least 21 bytes). Returns buf. */
char *ct_utc_format(ct_utc t, char *buf, size_t len);
/* "YYYY-MM-DD" of a day number (days since 1970) into buf (at least 16 bytes). */
char *ct_date_format(int64_t day, char *buf, size_t len);

/* Formats a civil time with an offset: "YYYY-MM-DDTHH:MM:SS+01:00" (at least 26 bytes). */
char *ct_civil_format(const ct_civil *c, int offset_sec, char *buf, size_t len);

/* Parses "YYYY-MM-DD". CT_INVALID when malformed, NULL or not a real date. */
ct_status ct_date_parse(const char *s, int64_t *days_out);

/* Parses an ISO 8601 instant "YYYY-MM-DDTHH:MM[:SS](Z|+HH:MM|-HH:MM)". */
ct_status ct_utc_parse(const char *s, ct_utc *out);

/* 1 when `zone` is an IANA zone name ICU knows (e.g. "Europe/Zurich"). */
int ct_tz_valid(const char *zone);

/* When ICU lists exactly one zone for ISO country `country` (e.g. "CH" -> "Europe/Zurich"),
 * writes it to out and returns 1; returns 0 for unknown or multi-zone countries. */
int ct_tz_country_single(const char *country, char *out, size_t len);

/* Converts a wall-clock reading in `zone` to UTC (see the ambiguity rules above) and reports
 * the zone's UTC offset in seconds at that instant. CT_INVALID for an unknown zone or a
 * malformed civil time. Thread-safe. */
ct_status ct_tz_to_utc(const char *zone, const ct_civil *local, ct_utc *out, int *offset_out);

/* Converts an instant to the wall clock in `zone`, with the offset in seconds. Thread-safe. */
ct_status ct_tz_from_utc(const char *zone, ct_utc t, ct_civil *out, int *offset_out);

#endif
