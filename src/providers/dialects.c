/* dialects.c: the four dialects as tables of member names, and the small functions where
 * they really differ.
 *
 *   ndc        airline-1, airline-2: PascalCase; amounts as decimal strings; flight numbers
 *              as digit strings ("0001"); fares classes as an array (FareDetails); seats
 *              from AvailabilityText; no service fee.
 *   voyagio    ota-eur: snake_case; amounts as JSON numbers in euros (read exactly to
 *              cents, fields.c); a flight named "US1" (the airline's code, then the
 *              number); fares classes as an array.
 *   farefinder ota-usd: camelCase; amounts as integer cents; the fares feed is flat, one
 *              row per market and booking class (consecutive rows of a market are one
 *              fare record, dropped whole when one of its rows is bad: a partial market
 *              would erase good amounts); seats as an object of class -> count; the next
 *              page token inside "paging".
 *   hopscotch  combiner: snake_case; amounts as decimal strings in pounds; fares as an
 *              object of class -> {one_way, return}; integer flight numbers; the
 *              descriptor carries the minimum self-transfer time. */
#include <ctype.h>
#include <stdio.h>
#include <string.h>

#include "providers/providers_internal.h"

/* ---- flight numbers ---- */

static ct_status number_digits(ct__rec *r, json_t *obj, const char *member, const char *carrier,
                               long *out)
{
    (void)carrier;
    return ct__digits(r, obj, member, 1, 9999, out);
}

static ct_status number_int(ct__rec *r, json_t *obj, const char *member, const char *carrier,
                            long *out)
{
    (void)carrier;
    return ct__int(r, obj, member, 1, 9999, out);
}

/* "US1": the record's carrier, then 1 to 4 digits. */
static ct_status number_designator(ct__rec *r, json_t *obj, const char *member, const char *carrier,
                                   long *out)
{
    const char *flight = json_string_value(json_object_get(obj, member));
    long number = 0;
    int ok = flight != NULL && strncmp(flight, carrier, 2) == 0 && flight[2] != '\0' &&
             strlen(flight) <= 6;
    for (const char *p = ok ? flight + 2 : ""; ok && *p; p++) {
        ok = isdigit((unsigned char)*p);
        number = number * 10 + (*p - '0');
    }
    if (!ok || number < 1 || number > 9999) {
        ct__reject(r, member, "expected the airline's code and a flight number");
        return CT_INVALID;
    }
    *out = number;
    return CT_OK;
}

/* ---- seats ---- */

/* {"Y": 9, "B": 4, ...}: counts 0..15, absent classes 0. */
static ct_status seats_object(ct__rec *r, json_t *obj, const char *member,
                              int seats[CT_PROVIDERS_NCLASSES])
{
    json_t *o = json_object_get(obj, member);
    if (!json_is_object(o)) {
        ct__reject(r, member, o ? "expected an object" : "missing");
        return CT_INVALID;
    }
    snprintf(r->sub, sizeof(r->sub), "%s.", member);
    for (int c = 0; c < CT_PROVIDERS_NCLASSES; c++)
        seats[c] = 0;
    const char *key;
    json_t *v;
    json_object_foreach(o, key, v)
    {
        int c = strlen(key) == 1 ? ct__class_index(key[0]) : -1;
        long n;
        if (c < 0) {
            ct__reject(r, key, "not a booking class");
            return CT_INVALID;
        }
        if (ct__int(r, o, key, 0, 15, &n))
            return CT_INVALID;
        seats[c] = (int)n;
    }
    return CT_OK;
}

/* ---- fares classes ---- */

/* [{"RBD": "Y", "OneWay": ...}, ...] */
static ct_status classes_array(ct__rec *r, const ct__dialect *d, json_t *rec, int digits,
                               int32_t amount[CT_PROVIDERS_NCLASSES])
{
    json_t *arr = json_object_get(rec, d->fares.classes);
    if (!json_is_array(arr)) {
        ct__reject(r, d->fares.classes, "expected an array");
        return CT_INVALID;
    }
    size_t k;
    json_t *x;
    json_array_foreach(arr, k, x)
    {
        const char *letter = json_string_value(json_object_get(x, d->fares.cls));
        int c = letter && strlen(letter) == 1 ? ct__class_index(letter[0]) : -1;
        snprintf(r->sub, sizeof(r->sub), "%s[%zu].", d->fares.classes, k);
        if (c < 0) {
            ct__reject(r, d->fares.cls, "expected a booking class");
            return CT_INVALID;
        }
        if (d->amount(r, x, d->fares.one_way, digits, &amount[c]))
            return CT_INVALID;
    }
    return CT_OK;
}

/* {"Y": {"one_way": ...}, ...} */
static ct_status classes_object(ct__rec *r, const ct__dialect *d, json_t *rec, int digits,
                                int32_t amount[CT_PROVIDERS_NCLASSES])
{
    json_t *obj = json_object_get(rec, d->fares.classes);
    if (!json_is_object(obj)) {
        ct__reject(r, d->fares.classes, obj ? "expected an object" : "missing");
        return CT_INVALID;
    }
    const char *key;
    json_t *x;
    json_object_foreach(obj, key, x)
    {
        int c = strlen(key) == 1 ? ct__class_index(key[0]) : -1;
        snprintf(r->sub, sizeof(r->sub), "%s.%s.", d->fares.classes, key);
        if (c < 0) {
            ct__reject(r, "", "not a booking class");
            return CT_INVALID;
        }
        if (d->amount(r, x, d->fares.one_way, digits, &amount[c]))
            return CT_INVALID;
    }
    return CT_OK;
}

/* One class in the record itself: {"bookingClass": "Y", "oneWayCents": ...}. */
static ct_status class_row(ct__rec *r, const ct__dialect *d, json_t *rec, int digits,
                           int32_t amount[CT_PROVIDERS_NCLASSES])
{
    const char *letter = json_string_value(json_object_get(rec, d->fares.cls));
    int c = letter && strlen(letter) == 1 ? ct__class_index(letter[0]) : -1;
    int32_t v;
    if (c < 0) {
        ct__reject(r, d->fares.cls, "expected a booking class");
        return CT_INVALID;
    }
    if (d->amount(r, rec, d->fares.one_way, digits, &v))
        return CT_INVALID;
    amount[c] = v;
    return CT_OK;
}

/* ---- the tables ---- */

const ct__dialect ct__ndc = {
    .name = "ndc",
    .kind = CT_PROVIDERS_AIRLINE,
    .req = {"/ndc/v1/schedules", "/ndc/v1/fares", "/ndc/v1/availability", "limit", "pageToken",
            "since", "fromDate", "toDate"},
    .paging = {NULL, "NextPageToken", "Cursor"},
    .desc = {"CurCode", "Carriers", "AirlineDesigCode", "Alliance", NULL, NULL},
    .fares = {"Fares", "Owner", "Origin", "Destination", "FareDetails", "RBD", "OneWay",
              classes_array, 0},
    .avail = {"Legs", "MarketingCarrier", "FlightNumber", "Dep", "Arr", "DepDateTime",
              "AvailabilityText", number_digits, ct__avs},
    .amount = ct__amount_text,
};

const ct__dialect ct__voyagio = {
    .name = "voyagio",
    .kind = CT_PROVIDERS_AGENCY,
    .req = {"/api/schedules", "/api/fares", "/api/availability", "per_page", "page", "since",
            "start_date", "end_date"},
    .paging = {NULL, "next_page", "sync_token"},
    .desc = {"currency", "airlines", "code", "alliance", "service_fee_per_passenger", NULL},
    .fares = {"fares", "airline", "from", "to", "classes", "code", "one_way", classes_array, 0},
    .avail = {"flights", "airline", "flight", "from", "to", "departs_at", "availability",
              number_designator, ct__avs},
    .amount = ct__amount_real,
};

const ct__dialect ct__farefinder = {
    .name = "farefinder",
    .kind = CT_PROVIDERS_AGENCY,
    .req = {"/v2/catalog", "/v2/fares", "/v2/availability", "pageSize", "cursor", "changesSince",
            "fromDate", "toDate"},
    .paging = {"paging", "next", "syncCursor"},
    .desc = {"currency", "carriers", "iata", "alliance", "serviceFeeCents", NULL},
    .fares = {"data", "carrier", "origin", "destination", NULL, "bookingClass", "oneWayCents",
              class_row, 1},
    .avail = {"data", "carrier", "flightNumber", "origin", "destination", "departureTime", "seats",
              number_int, seats_object},
    .amount = ct__amount_minor,
};

const ct__dialect ct__hopscotch = {
    .name = "hopscotch",
    .kind = CT_PROVIDERS_COMBINER,
    .req = {"/v1/schedules", "/v1/fares", "/v1/availability", "limit", "page_token", "since",
            "from", "to"},
    .paging = {NULL, "next_page_token", "cursor"},
    .desc = {"currency", "carriers", "code", "alliance", "fee_per_passenger",
             "min_self_transfer_minutes"},
    .fares = {"items", "carrier", "origin", "destination", "fares", NULL, "one_way", classes_object,
              0},
    .avail = {"items", "carrier", "number", "origin", "destination", "departure", "availability",
              number_int, ct__avs},
    .amount = ct__amount_text,
};
