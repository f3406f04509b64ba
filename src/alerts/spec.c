/* spec.c: an alert's JSON (what POST and PATCH take and what GET shows) and its dates.
 *
 * The body (docs/alerts.md):
 *   {"origin":"LON","destination":"NYC",
 *    "dates":{"type":"exact","departure":"2027-01-10","return":"2027-01-17"}      (return optional)
 *          | {"type":"month","month":"2027-01","stay":{"min":5,"max":9}}          (stay optional)
 *          | {"type":"weekends","month":"2027-01","round_trip":true},
 *    "cabin":"economy","passengers":1,"currency":"EUR",
 *    "max_price":{"amount_minor":45000,"currency":"EUR"}  or  "drop_percent":10,
 *    "channels":["email","in_app"]}
 * Every error names its field ("dates.departure", "max_price.amount_minor", ...). Days are
 * days since 1970 on the calendar of the dates given (local dates, as searches take them). */
#include <ctype.h>
#include <stdio.h>
#include <string.h>

#include "alerts/alerts_internal.h"
#include "base/timeutil.h"

#define MAX_AHEAD_DAYS 365
#define MAX_STAY       30

static const char *const CHANNELS[] = {"email", "in_app", "sms", "webhook"};

const char *ct__alert_cabin_name(int cabin)
{
    return ct_cabin_name((ct_cabin)cabin);
}

static ct_status field_error(ct_alerts_field_error *fe, const char *field, const char *msg)
{
    snprintf(fe->field, sizeof(fe->field), "%s", field);
    snprintf(fe->message, sizeof(fe->message), "%s", msg);
    return CT_INVALID;
}

static int32_t month_last_day(int32_t first)
{
    int y, m, d;
    ct_civil_from_days(first, &y, &m, &d);
    m++;
    if (m > 12) {
        m = 1;
        y++;
    }
    return (int32_t)ct_days_from_civil(y, m, 1) - 1;
}

void ct__alert_derive(ct__alert *al)
{
    al->ret_lo = al->ret_hi = ALERT_NONE;
    if (al->mode == ALERT_EXACT) {
        al->dep_lo = al->dep_hi = al->depart_day;
        al->round_trip = al->return_day != ALERT_NONE;
        if (al->round_trip)
            al->ret_lo = al->ret_hi = al->return_day;
        return;
    }
    al->dep_lo = al->month_day;
    al->dep_hi = month_last_day(al->month_day);
    if (!al->round_trip)
        return;
    if (al->mode == ALERT_MONTH) {
        al->ret_lo = al->dep_lo + al->stay_min;
        al->ret_hi = al->dep_hi + al->stay_max;
    } else {
        al->ret_lo = al->dep_lo + 1;
        al->ret_hi = al->dep_hi + 2;
    }
}

int ct__alert_pair_ok(const ct__alert *al, int32_t dep, int32_t ret)
{
    if (dep < al->dep_lo || dep > al->dep_hi || al->round_trip != (ret != ALERT_NONE))
        return 0;
    int wd = ct_weekday(dep);
    switch (al->mode) {
    case ALERT_EXACT:
        return ret == al->return_day;
    case ALERT_MONTH:
        return !al->round_trip || (ret - dep >= al->stay_min && ret - dep <= al->stay_max);
    default:
        if (!al->round_trip)
            return wd == 6 || wd == 7;
        return (wd == 5 || wd == 6) && ct_weekday(ret) == 7 && ret - dep <= 2 && ret > dep;
    }
}

/* ---- parsing ---- */

static int place_code(const char *s, char out[4])
{
    if (s == NULL || strlen(s) != 3)
        return 0;
    for (int i = 0; i < 3; i++) {
        if (!isalnum((unsigned char)s[i]))
            return 0;
        out[i] = (char)toupper((unsigned char)s[i]);
    }
    out[3] = '\0';
    return 1;
}

static ct_status parse_place(const json_t *in, const char *key, const ct_refdata *rd, char out[4],
                             ct_alerts_field_error *fe)
{
    if (!place_code(json_string_value(json_object_get(in, key)), out))
        return field_error(fe, key, "must be a 3-letter airport or city code");
    if (rd != NULL && ct_refdata_airport(rd, out) == NULL && ct_refdata_metro(rd, out) == NULL)
        return field_error(fe, key, "is not a known airport or city code");
    return CT_OK;
}

static int currency_code(const char *s, char out[4])
{
    if (s == NULL || strlen(s) != 3)
        return 0;
    for (int i = 0; i < 3; i++) {
        if (!isupper((unsigned char)s[i]))
            return 0;
        out[i] = s[i];
    }
    out[3] = '\0';
    return 1;
}

/* A "YYYY-MM-DD" within [today, today + MAX_AHEAD_DAYS]. */
static ct_status parse_day(const json_t *v, const char *field, int64_t today, int32_t *out,
                           ct_alerts_field_error *fe)
{
    int64_t d;
    if (ct_date_parse(json_string_value(v), &d) != CT_OK)
        return field_error(fe, field, "must be a date YYYY-MM-DD");
    if (d < today)
        return field_error(fe, field, "is in the past");
    if (d > today + MAX_AHEAD_DAYS)
        return field_error(fe, field, "is more than 365 days ahead");
    *out = (int32_t)d;
    return CT_OK;
}

/* "YYYY-MM", this month or later, at most 12 months ahead: its first day. */
static ct_status parse_month(const json_t *v, int64_t today, int32_t *out,
                             ct_alerts_field_error *fe)
{
    const char *s = json_string_value(v);
    int y = 0, m = 0, n = 0;
    if (s == NULL || strlen(s) != 7 || sscanf(s, "%4d-%2d%n", &y, &m, &n) != 2 || n != 7 ||
        !ct_date_valid(y, m, 1))
        return field_error(fe, "dates.month", "must be a month YYYY-MM");
    int64_t first = ct_days_from_civil(y, m, 1);
    if (month_last_day((int32_t)first) < today)
        return field_error(fe, "dates.month", "is in the past");
    if (first > today + MAX_AHEAD_DAYS)
        return field_error(fe, "dates.month", "is more than 12 months ahead");
    *out = (int32_t)first;
    return CT_OK;
}

static ct_status parse_stay(const json_t *stay, ct__alert *al, ct_alerts_field_error *fe)
{
    if (stay == NULL || json_is_null(stay))
        return CT_OK;
    json_t *mn = json_object_get(stay, "min"), *mx = json_object_get(stay, "max");
    if (!json_is_object(stay) || !json_is_integer(mn) || !json_is_integer(mx))
        return field_error(fe, "dates.stay", "must be {\"min\": days, \"max\": days}");
    json_int_t lo = json_integer_value(mn), hi = json_integer_value(mx);
    if (lo < 1 || lo > MAX_STAY)
        return field_error(fe, "dates.stay.min", "must be 1 to 30 days");
    if (hi < lo || hi > MAX_STAY)
        return field_error(fe, "dates.stay.max", "must be at least min and at most 30 days");
    al->round_trip = 1;
    al->stay_min = (int16_t)lo;
    al->stay_max = (int16_t)hi;
    return CT_OK;
}

static ct_status parse_dates(const json_t *dates, int64_t today, ct__alert *al,
                             ct_alerts_field_error *fe)
{
    const char *type = json_string_value(json_object_get(dates, "type"));
    if (!json_is_object(dates))
        return field_error(fe, "dates", "is required: an object with a type");
    al->depart_day = al->return_day = al->month_day = ALERT_NONE;
    al->round_trip = 0;
    al->stay_min = al->stay_max = 0;
    ct_status rc;
    if (type != NULL && strcmp(type, "exact") == 0) {
        al->mode = ALERT_EXACT;
        rc = parse_day(json_object_get(dates, "departure"), "dates.departure", today,
                       &al->depart_day, fe);
        json_t *ret = json_object_get(dates, "return");
        if (rc || ret == NULL || json_is_null(ret))
            return rc;
        rc = parse_day(ret, "dates.return", today, &al->return_day, fe);
        if (!rc && al->return_day < al->depart_day)
            rc = field_error(fe, "dates.return", "is before the departure");
        return rc;
    }
    if (type == NULL || (strcmp(type, "month") != 0 && strcmp(type, "weekends") != 0))
        return field_error(fe, "dates.type", "must be exact, month or weekends");
    al->mode = strcmp(type, "month") == 0 ? ALERT_MONTH : ALERT_WEEKENDS;
    rc = parse_month(json_object_get(dates, "month"), today, &al->month_day, fe);
    if (rc)
        return rc;
    if (al->mode == ALERT_MONTH)
        return parse_stay(json_object_get(dates, "stay"), al, fe);
    json_t *rt = json_object_get(dates, "round_trip");
    if (rt != NULL && !json_is_boolean(rt))
        return field_error(fe, "dates.round_trip", "must be true or false");
    al->round_trip = json_is_true(rt);
    return CT_OK;
}

static ct_status parse_rule(const json_t *in, ct__alert *al, ct_alerts_field_error *fe)
{
    json_t *mp = json_object_get(in, "max_price"), *dp = json_object_get(in, "drop_percent");
    int has_max = mp != NULL && !json_is_null(mp), has_drop = dp != NULL && !json_is_null(dp);
    if (has_max == has_drop)
        return field_error(fe, "max_price", "give either max_price or drop_percent (one of them)");
    al->max_price = ALERT_NONE;
    al->drop_percent = 0;
    if (has_drop) {
        if (!json_is_integer(dp) || json_integer_value(dp) < 1 || json_integer_value(dp) > 90)
            return field_error(fe, "drop_percent", "must be a whole number from 1 to 90");
        al->drop_percent = (int32_t)json_integer_value(dp);
        return CT_OK;
    }
    json_t *amt = json_object_get(mp, "amount_minor");
    if (!json_is_object(mp) || !json_is_integer(amt) || json_integer_value(amt) <= 0 ||
        json_integer_value(amt) > 100000000000LL)
        return field_error(fe, "max_price.amount_minor",
                           "must be a positive whole amount in minor units");
    json_t *cur = json_object_get(mp, "currency");
    char code[4];
    if (cur != NULL && !currency_code(json_string_value(cur), code))
        return field_error(fe, "max_price.currency", "must be an ISO 4217 code such as EUR");
    if (cur != NULL && strcmp(code, al->currency) != 0) {
        if (json_object_get(in, "currency") != NULL)
            return field_error(fe, "max_price.currency", "differs from currency");
        memcpy(al->currency, code, 4);
    }
    al->max_price = json_integer_value(amt);
    return CT_OK;
}

static ct_status parse_channels(const json_t *ch, ct__alert *al, ct_alerts_field_error *fe)
{
    if (ch == NULL || json_is_null(ch)) {
        al->channels = CH_EMAIL | CH_IN_APP;
        return CT_OK;
    }
    if (!json_is_array(ch) || json_array_size(ch) == 0)
        return field_error(fe, "channels",
                           "must be a non-empty list of email, in_app, sms, webhook");
    al->channels = 0;
    size_t i;
    json_t *v;
    json_array_foreach(ch, i, v)
    {
        const char *s = json_string_value(v);
        int bit = 0;
        for (int k = 0; k < 4 && s != NULL; k++)
            bit = strcmp(s, CHANNELS[k]) == 0 ? 1 << k : bit;
        if (bit == 0)
            return field_error(fe, "channels", "each must be email, in_app, sms or webhook");
        al->channels |= (uint8_t)bit;
    }
    return CT_OK;
}

ct_status ct__alert_parse(const json_t *in, int64_t today, const ct_refdata *rd, ct__alert *al,
                          ct_alerts_field_error *fe)
{
    if (!json_is_object(in))
        return field_error(fe, "", "the body must be a JSON object");
    ct_status rc = parse_place(in, "origin", rd, al->origin, fe);
    if (!rc)
        rc = parse_place(in, "destination", rd, al->destination, fe);
    if (!rc && strcmp(al->origin, al->destination) == 0)
        rc = field_error(fe, "destination", "is the same as the origin");
    if (!rc && rd != NULL) {
        const ct_airport *a = ct_refdata_airport(rd, al->origin);
        const ct_airport *b = ct_refdata_airport(rd, al->destination);
        const char *ma = a != NULL ? a->metro : al->origin,
                   *mb = b != NULL ? b->metro : al->destination;
        if (ma != NULL && mb != NULL && strcmp(ma, mb) == 0)
            rc = field_error(fe, "destination", "is in the same city as the origin");
    }
    if (!rc)
        rc = parse_dates(json_object_get(in, "dates"), today, al, fe);
    if (rc)
        return rc;
    const char *cabin = json_string_value(json_object_get(in, "cabin"));
    ct_cabin cab = CT_CABIN_ECONOMY;
    json_t *pax = json_object_get(in, "passengers"), *cur = json_object_get(in, "currency");
    if (json_object_get(in, "cabin") == NULL)
        al->cabin = CT_CABIN_ECONOMY;
    else if (cabin == NULL || ct_cabin_parse(cabin, &cab) != 0)
        return field_error(fe, "cabin", "must be economy, premium_economy, business or first");
    else
        al->cabin = (uint8_t)cab;
    if (pax != NULL &&
        (!json_is_integer(pax) || json_integer_value(pax) < 1 || json_integer_value(pax) > 9))
        return field_error(fe, "passengers", "must be 1 to 9");
    al->passengers = pax != NULL ? (uint8_t)json_integer_value(pax) : 1;
    if (cur == NULL)
        memcpy(al->currency, "EUR", 4);
    else if (!currency_code(json_string_value(cur), al->currency))
        return field_error(fe, "currency", "must be an ISO 4217 code such as EUR");
    rc = parse_rule(in, al, fe);
    if (!rc)
        rc = parse_channels(json_object_get(in, "channels"), al, fe);
    if (!rc)
        ct__alert_derive(al);
    return rc;
}

/* ---- JSON out ---- */

static json_t *day_or_null(int32_t day)
{
    char buf[16];
    return day == ALERT_NONE ? json_null() : json_string(ct_date_format(day, buf, sizeof(buf)));
}

static json_t *amount_or_null(int64_t v)
{
    return v == ALERT_NONE ? json_null() : json_integer(v);
}

static json_t *time_or_null(int64_t ms)
{
    char buf[32];
    return ms == ALERT_NONE ? json_null() : json_string(ct_utc_format(ms / 1000, buf, sizeof(buf)));
}

static json_t *dates_json(const ct__alert *al)
{
    if (al->mode == ALERT_EXACT)
        return json_pack("{s:s, s:o, s:o}", "type", "exact", "departure",
                         day_or_null(al->depart_day), "return", day_or_null(al->return_day));
    char month[16];
    ct_date_format(al->month_day, month, sizeof(month));
    month[7] = '\0';
    if (al->mode == ALERT_WEEKENDS)
        return json_pack("{s:s, s:s, s:b}", "type", "weekends", "month", month, "round_trip",
                         al->round_trip);
    return json_pack("{s:s, s:s, s:o}", "type", "month", "month", month, "stay",
                     al->round_trip
                         ? json_pack("{s:i, s:i}", "min", al->stay_min, "max", al->stay_max)
                         : json_null());
}

static json_t *channels_json(uint8_t ch)
{
    json_t *a = json_array();
    for (int k = 0; k < 4; k++) {
        if (ch & (1 << k))
            json_array_append_new(a, json_string(CHANNELS[k]));
    }
    return a;
}

json_t *ct__alert_spec_json(const ct__alert *al)
{
    json_t *o = json_pack("{s:s, s:s, s:o, s:s, s:i, s:s, s:o}", "origin", al->origin,
                          "destination", al->destination, "dates", dates_json(al), "cabin",
                          ct__alert_cabin_name(al->cabin), "passengers", al->passengers, "currency",
                          al->currency, "channels", channels_json(al->channels));
    if (o == NULL)
        return NULL;
    if (al->max_price != ALERT_NONE)
        json_object_set_new(o, "max_price",
                            json_pack("{s:I, s:s}", "amount_minor", (json_int_t)al->max_price,
                                      "currency", al->currency));
    else
        json_object_set_new(o, "drop_percent", json_integer(al->drop_percent));
    return o;
}

void ct__alert_search_url(const ct__alert *al, int32_t dep, int32_t ret, char *out, size_t len)
{
    char d[16], r[16];
    ct_date_format(dep, d, sizeof(d));
    if (ret == ALERT_NONE)
        snprintf(out, len, "/search?trip=oneway&from=%s&to=%s&depart=%s&adults=%d&cabin=%s",
                 al->origin, al->destination, d, al->passengers, ct__alert_cabin_name(al->cabin));
    else
        snprintf(out, len,
                 "/search?trip=round&from=%s&to=%s&depart=%s&return=%s&adults=%d&cabin=%s",
                 al->origin, al->destination, d, ct_date_format(ret, r, sizeof(r)), al->passengers,
                 ct__alert_cabin_name(al->cabin));
}

json_t *ct__alert_json(const ct__alert *al)
{
    json_t *o = ct__alert_spec_json(al);
    if (o == NULL)
        return NULL;
    char url[256];
    int32_t ret =
        al->round_trip ? (al->mode == ALERT_EXACT ? al->return_day : al->ret_lo) : ALERT_NONE;
    int32_t dep = al->mode == ALERT_EXACT ? al->depart_day : al->dep_lo;
    if (al->mode == ALERT_MONTH && al->round_trip)
        ret = dep + al->stay_min;
    else if (al->mode == ALERT_WEEKENDS) {
        while (!ct__alert_pair_ok(
                   al, dep, al->round_trip ? dep + (ct_weekday(dep) == 5 ? 2 : 1) : ALERT_NONE) &&
               dep < al->dep_hi)
            dep++;
        ret = al->round_trip ? dep + (ct_weekday(dep) == 5 ? 2 : 1) : ALERT_NONE;
    }
    ct__alert_search_url(al, dep, ret, url, sizeof(url));
    json_object_set_new(o, "id", json_string(al->id));
    json_object_set_new(o, "baseline_minor", amount_or_null(al->baseline));
    json_object_set_new(o, "last_price_minor", amount_or_null(al->last_price));
    json_object_set_new(o, "notified_low_minor", amount_or_null(al->notified_low));
    json_object_set_new(o, "last_checked_at", time_or_null(al->last_checked_at));
    json_object_set_new(o, "last_notified_at", time_or_null(al->last_notified_at));
    json_object_set_new(o, "created_at", time_or_null(al->created_at));
    json_object_set_new(o, "updated_at", time_or_null(al->updated_at));
    json_object_set_new(o, "search_url", json_string(url));
    return o;
}

int ct__alert_priced_differs(const ct__alert *a, const ct__alert *b)
{
    return strcmp(a->origin, b->origin) != 0 || strcmp(a->destination, b->destination) != 0 ||
           strcmp(a->currency, b->currency) != 0 || a->mode != b->mode ||
           a->round_trip != b->round_trip || a->cabin != b->cabin ||
           a->passengers != b->passengers || a->stay_min != b->stay_min ||
           a->stay_max != b->stay_max || a->depart_day != b->depart_day ||
           a->return_day != b->return_day || a->month_day != b->month_day;
}
