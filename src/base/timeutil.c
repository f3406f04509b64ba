/* timeutil.c: calendar arithmetic by hand (pure integer maths, no library does it without
 * global state: timegm/mktime read TZ), zone rules through ICU's ucal API.
 *
 * ICU calendars are costly to open, so each thread keeps the last one it used, keyed by zone
 * name (a one-entry per-thread cache behind a pthread key whose destructor closes it; flight
 * data converts many times per zone in a row). */
#include "base/timeutil.h"
#include "base/alloc.h"

#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/time.h>
#include <unicode/ucal.h>
#include <unicode/uenum.h>
#include <unicode/ustring.h>

int64_t ct_days_from_civil(int y, int m, int d)
{
    y -= m <= 2;
    const int64_t era = (y >= 0 ? y : y - 399) / 400;
    const unsigned yoe = (unsigned)(y - era * 400);
    const unsigned doy = (153u * (unsigned)(m + (m > 2 ? -3 : 9)) + 2u) / 5u + (unsigned)d - 1u;
    const unsigned doe = yoe * 365u + yoe / 4u - yoe / 100u + doy;
    return era * 146097 + (int64_t)doe - 719468;
}

void ct_civil_from_days(int64_t z, int *y, int *m, int *d)
{
    z += 719468;
    const int64_t era = (z >= 0 ? z : z - 146096) / 146097;
    const unsigned doe = (unsigned)(z - era * 146097);
    const unsigned yoe = (doe - doe / 1460u + doe / 36524u - doe / 146096u) / 365u;
    const unsigned doy = doe - (365u * yoe + yoe / 4u - yoe / 100u);
    const unsigned mp = (5u * doy + 2u) / 153u;
    *d = (int)(doy - (153u * mp + 2u) / 5u + 1u);
    *m = (int)(mp < 10 ? mp + 3 : mp - 9);
    *y = (int)((int64_t)yoe + era * 400 + (*m <= 2));
}

int ct_date_valid(int y, int m, int d)
{
    static const int mdays[] = {31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31};
    if (y < 1 || y > 9999 || m < 1 || m > 12 || d < 1)
        return 0;
    int leap = (y % 4 == 0 && y % 100 != 0) || y % 400 == 0;
    return d <= mdays[m - 1] + (m == 2 && leap);
}

int ct_weekday(int64_t days)
{
    /* 1970-01-01 was a Thursday (4). */
    int64_t w = (days + 3) % 7;
    if (w < 0)
        w += 7;
    return (int)w + 1;
}

ct_utc ct_utc_now(void)
{
    struct timeval tv;
    gettimeofday(&tv, NULL);
    return (ct_utc)tv.tv_sec;
}

static void civil_from_utc(ct_utc t, ct_civil *c)
{
    int64_t days = t >= 0 ? t / 86400 : -((-t + 86399) / 86400);
    int64_t secs = t - days * 86400;
    ct_civil_from_days(days, &c->year, &c->month, &c->day);
    c->hour = (int)(secs / 3600);
    c->minute = (int)(secs / 60 % 60);
    c->second = (int)(secs % 60);
}

static ct_utc utc_from_civil(const ct_civil *c)
{
    return ct_days_from_civil(c->year, c->month, c->day) * 86400 + c->hour * 3600 + c->minute * 60 +
           c->second;
}

/* "YYYY-MM-DDTHH:MM:SS" into p (19 bytes) for years 0..9999; 0 otherwise. Written digit by
 * digit: search answers format several of these per leg and snprintf dominated. */
static int put_civil(const ct_civil *c, char *p)
{
    if (c->year < 0 || c->year > 9999)
        return 0;
    int v[6] = {c->year, c->month, c->day, c->hour, c->minute, c->second};
    static const char sep[6] = {'-', '-', 'T', ':', ':', 0};
    int y = v[0];
    p[0] = (char)('0' + y / 1000);
    p[1] = (char)('0' + y / 100 % 10);
    p[2] = (char)('0' + y / 10 % 10);
    p[3] = (char)('0' + y % 10);
    p[4] = sep[0];
    for (int i = 1; i < 6; i++) {
        p[5 + (i - 1) * 3] = (char)('0' + v[i] / 10 % 10);
        p[6 + (i - 1) * 3] = (char)('0' + v[i] % 10);
        if (i < 5)
            p[7 + (i - 1) * 3] = sep[i];
    }
    return 19;
}

char *ct_date_format(int64_t day, char *buf, size_t len)
{
    ct_civil c = {0};
    ct_civil_from_days(day, &c.year, &c.month, &c.day);
    char full[20]; /* put_civil writes the time of day too */
    if (len >= 11 && put_civil(&c, full)) {
        memcpy(buf, full, 10);
        buf[10] = '\0';
        return buf;
    }
    snprintf(buf, len, "%04d-%02d-%02d", c.year, c.month, c.day);
    return buf;
}

char *ct_utc_format(ct_utc t, char *buf, size_t len)
{
    ct_civil c;
    civil_from_utc(t, &c);
    if (len >= 21 && put_civil(&c, buf)) {
        buf[19] = 'Z';
        buf[20] = '\0';
        return buf;
    }
    snprintf(buf, len, "%04d-%02d-%02dT%02d:%02d:%02dZ", c.year, c.month, c.day, c.hour, c.minute,
             c.second);
    return buf;
}

char *ct_civil_format(const ct_civil *c, int offset_sec, char *buf, size_t len)
{
    int off = offset_sec < 0 ? -offset_sec : offset_sec;
    int oh = off / 3600, om = off / 60 % 60;
    if (len >= 26 && oh < 100 && put_civil(c, buf)) {
        buf[19] = offset_sec < 0 ? '-' : '+';
        buf[20] = (char)('0' + oh / 10);
        buf[21] = (char)('0' + oh % 10);
        buf[22] = ':';
        buf[23] = (char)('0' + om / 10);
        buf[24] = (char)('0' + om % 10);
        buf[25] = '\0';
        return buf;
    }
    snprintf(buf, len, "%04d-%02d-%02dT%02d:%02d:%02d%c%02d:%02d", c->year, c->month, c->day,
             c->hour, c->minute, c->second, offset_sec < 0 ? '-' : '+', oh, om);
    return buf;
}

/* Reads exactly `n` digits at s into *out; CT_INVALID (stopping there, so a NUL ends it) if
 * one is not a digit. */
static ct_status digits(const char *s, int n, int *out)
{
    int v = 0;
    for (int i = 0; i < n; i++) {
        if (s[i] < '0' || s[i] > '9')
            return CT_INVALID;
        v = v * 10 + (s[i] - '0');
    }
    *out = v;
    return CT_OK;
}

/* "YYYY-MM-DD" at the start of s, a valid calendar date; CT_INVALID otherwise. */
static ct_status parse_date_prefix(const char *s, int *y, int *m, int *d)
{
    if (s == NULL || strlen(s) < 10 || s[4] != '-' || s[7] != '-')
        return CT_INVALID;
    if (digits(s, 4, y) || digits(s + 5, 2, m) || digits(s + 8, 2, d) || !ct_date_valid(*y, *m, *d))
        return CT_INVALID;
    return CT_OK;
}

ct_status ct_date_parse(const char *s, int64_t *days_out)
{
    int y, m, d;
    if (parse_date_prefix(s, &y, &m, &d) || s[10] != '\0')
        return CT_INVALID;
    *days_out = ct_days_from_civil(y, m, d);
    return CT_OK;
}

ct_status ct_utc_parse(const char *s, ct_utc *out)
{
    ct_civil c = {0};
    if (parse_date_prefix(s, &c.year, &c.month, &c.day) || (s[10] != 'T' && s[10] != 't'))
        return CT_INVALID;
    const char *p = s + 11;
    if (digits(p, 2, &c.hour) || p[2] != ':')
        return CT_INVALID;
    if (digits(p + 3, 2, &c.minute)) /* before stepping over it: "HH:M" may end the string */
        return CT_INVALID;
    p += 5;
    if (*p == ':') {
        if (digits(p + 1, 2, &c.second))
            return CT_INVALID;
        p += 3;
    }
    if (c.hour > 23 || c.minute > 59 || c.second > 59)
        return CT_INVALID;
    int offset = 0;
    if (*p == 'Z' || *p == 'z') {
        p++;
    } else if (*p == '+' || *p == '-') {
        int oh = 0, om = 0;
        if (digits(p + 1, 2, &oh) || p[3] != ':')
            return CT_INVALID;
        if (digits(p + 4, 2, &om) || oh > 18 || om > 59)
            return CT_INVALID;
        offset = (oh * 3600 + om * 60) * (*p == '-' ? -1 : 1);
        p += 6;
    } else {
        return CT_INVALID;
    }
    if (*p != '\0')
        return CT_INVALID;
    *out = utc_from_civil(&c) - offset;
    return CT_OK;
}

/* ---- zones through ICU ---- */

/* Per thread, the calendars of up to TZ_CACHED zones, by a hash of the name (opening one
 * costs tens of microseconds; a search answer converts the times of dozens of zones, and
 * the world has a few hundred). A zone lives in one of TZ_PROBE slots from its hash; when
 * all are taken, the first is replaced. */
#define TZ_CACHED 512
#define TZ_PROBE  8
typedef struct tz_cache {
    UCalendar *cal[TZ_CACHED];
    char zone[TZ_CACHED][64];
    /* Per slot, the last offset found and the span between the zone's transitions around
     * it ([lo, hi) in ms): an instant in the span has that offset without asking ICU again
     * (ucal_get computes every calendar field; a search answer converts hundreds of times
     * at a few airports). lo > hi: nothing known yet. */
    double lo[TZ_CACHED], hi[TZ_CACHED];
    int offset[TZ_CACHED];
} tz_cache;

static pthread_key_t tz_key;
static pthread_once_t tz_once = PTHREAD_ONCE_INIT;

static void tz_cache_free(void *p)
{
    tz_cache *c = p;
    for (int i = 0; i < TZ_CACHED; i++) {
        if (c->cal[i] != NULL)
            ucal_close(c->cal[i]);
    }
    ct_free(c);
}

static void tz_key_init(void)
{
    pthread_key_create(&tz_key, tz_cache_free);
}

/* Returns this thread's calendar set to `zone`, or NULL for an unknown zone or on OOM;
 * *cache_out and *slot_out (may be NULL) receive where it is kept. */
static UCalendar *calendar_slot(const char *zone, tz_cache **cache_out, unsigned *slot_out);

static UCalendar *calendar_for(const char *zone)
{
    return calendar_slot(zone, NULL, NULL);
}

static UCalendar *calendar_slot(const char *zone, tz_cache **cache_out, unsigned *slot_out)
{
    pthread_once(&tz_once, tz_key_init);
    tz_cache *c = pthread_getspecific(tz_key);
    if (c == NULL) {
        c = ct_calloc(1, sizeof(*c));
        if (c == NULL || pthread_setspecific(tz_key, c) != 0) {
            ct_free(c);
            return NULL;
        }
    }
    if (cache_out != NULL)
        *cache_out = c;
    uint32_t h = 2166136261u; /* FNV-1a */
    for (const char *p = zone; *p; p++)
        h = (h ^ (unsigned char)*p) * 16777619u;
    unsigned home = h % TZ_CACHED, slot = home;
    for (unsigned k = 0; k < TZ_PROBE; k++) {
        unsigned i = (home + k) % TZ_CACHED;
        if (c->cal[i] == NULL) {
            slot = i; /* free: the zone is not further along */
            break;
        }
        if (strcmp(c->zone[i], zone) == 0) {
            if (slot_out != NULL)
                *slot_out = i;
            return c->cal[i];
        }
    }
    if (!ct_tz_valid(zone))
        return NULL;
    UChar uzone[64];
    UErrorCode status = U_ZERO_ERROR;
    u_strFromUTF8(uzone, 64, NULL, zone, -1, &status);
    if (U_FAILURE(status))
        return NULL;
    UCalendar *cal = ucal_open(uzone, -1, "en_US_POSIX", UCAL_GREGORIAN, &status);
    if (U_FAILURE(status))
        return NULL;
    ucal_setGregorianChange(cal, -1e300, &status); /* proleptic Gregorian, like the rest */
    ucal_setAttribute(cal, UCAL_REPEATED_WALL_TIME, UCAL_WALLTIME_FIRST);
    ucal_setAttribute(cal, UCAL_SKIPPED_WALL_TIME, UCAL_WALLTIME_LAST); /* offset before the gap */
    if (c->cal[slot] != NULL)
        ucal_close(c->cal[slot]);
    c->cal[slot] = cal;
    snprintf(c->zone[slot], sizeof(c->zone[slot]), "%s", zone);
    c->lo[slot] = 1;
    c->hi[slot] = 0;
    if (slot_out != NULL)
        *slot_out = slot;
    return cal;
}

int ct_tz_valid(const char *zone)
{
    if (zone == NULL || strlen(zone) >= 64 || *zone == '\0')
        return 0;
    UChar uzone[64], canon[128];
    UErrorCode status = U_ZERO_ERROR;
    u_strFromUTF8(uzone, 64, NULL, zone, -1, &status);
    if (U_FAILURE(status))
        return 0;
    UBool is_system = 0;
    ucal_getCanonicalTimeZoneID(uzone, -1, canon, 128, &is_system, &status);
    return U_SUCCESS(status) && is_system;
}

int ct_tz_country_single(const char *country, char *out, size_t len)
{
    UErrorCode status = U_ZERO_ERROR;
    UEnumeration *e = ucal_openCountryTimeZones(country, &status);
    if (U_FAILURE(status))
        return 0;
    int count = uenum_count(e, &status);
    int found = 0;
    if (U_SUCCESS(status) && count == 1) {
        int32_t n = 0;
        const char *zone = uenum_next(e, &n, &status);
        if (U_SUCCESS(status) && zone != NULL && (size_t)n < len) {
            snprintf(out, len, "%s", zone);
            found = 1;
        }
    }
    uenum_close(e);
    return found;
}

static int civil_in_range(const ct_civil *c)
{
    return ct_date_valid(c->year, c->month, c->day) && c->hour >= 0 && c->hour < 24 &&
           c->minute >= 0 && c->minute < 60 && c->second >= 0 && c->second < 60;
}

ct_status ct_tz_to_utc(const char *zone, const ct_civil *local, ct_utc *out, int *offset_out)
{
    if (!civil_in_range(local))
        return CT_INVALID;
    UCalendar *cal = calendar_for(zone);
    if (cal == NULL)
        return CT_INVALID;
    UErrorCode status = U_ZERO_ERROR;
    ucal_clear(cal);
    ucal_setDateTime(cal, local->year, local->month - 1, local->day, local->hour, local->minute,
                     local->second, &status);
    UDate ms = ucal_getMillis(cal, &status);
    if (U_FAILURE(status))
        return CT_INVALID;
    int32_t zoff = ucal_get(cal, UCAL_ZONE_OFFSET, &status);
    int32_t dst = ucal_get(cal, UCAL_DST_OFFSET, &status);
    if (U_FAILURE(status))
        return CT_INVALID;
    *out = (ct_utc)(ms / 1000.0);
    if (offset_out != NULL)
        *offset_out = (zoff + dst) / 1000;
    return CT_OK;
}

ct_status ct_tz_from_utc(const char *zone, ct_utc t, ct_civil *out, int *offset_out)
{
    tz_cache *c = NULL;
    unsigned slot = 0;
    UCalendar *cal = calendar_slot(zone, &c, &slot);
    if (cal == NULL)
        return CT_INVALID;
    UDate ms = (UDate)t * 1000.0;
    int offset;
    if (c->lo[slot] <= ms && ms < c->hi[slot]) {
        offset = c->offset[slot];
    } else {
        UErrorCode status = U_ZERO_ERROR;
        ucal_setMillis(cal, ms, &status);
        int32_t zoff = ucal_get(cal, UCAL_ZONE_OFFSET, &status);
        int32_t dst = ucal_get(cal, UCAL_DST_OFFSET, &status);
        if (U_FAILURE(status))
            return CT_INVALID;
        offset = (zoff + dst) / 1000;
        UDate prev = 0, next = 0;
        UErrorCode s1 = U_ZERO_ERROR, s2 = U_ZERO_ERROR;
        UBool has_prev =
            ucal_getTimeZoneTransitionDate(cal, UCAL_TZ_TRANSITION_PREVIOUS_INCLUSIVE, &prev, &s1);
        UBool has_next = ucal_getTimeZoneTransitionDate(cal, UCAL_TZ_TRANSITION_NEXT, &next, &s2);
        if (U_SUCCESS(s1) && U_SUCCESS(s2)) {
            c->lo[slot] = has_prev ? prev : -1e300;
            c->hi[slot] = has_next ? next : 1e300;
            c->offset[slot] = offset;
            if (!(c->lo[slot] <= ms && ms < c->hi[slot])) /* not what ICU promises: no cache */
                c->lo[slot] = 1, c->hi[slot] = 0;
        }
    }
    civil_from_utc(t + offset, out);
    if (offset_out != NULL)
        *offset_out = offset;
    return CT_OK;
}
