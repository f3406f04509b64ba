/* dialect_ndc.c: the airline gateways' NDC-flavoured documents -> normalised records.
 *
 * PascalCase members; amounts are decimal strings in the gateway's currency; flight numbers
 * are digit strings ("0001"); a leg's seats come from its AvailabilityText. Airlines charge
 * no service fee. */
#include <stdio.h>
#include <string.h>

#include "ingest/ingest_internal.h"

static ct_status descriptor(json_t *doc, ct_ingest_page *out, char *err, size_t errlen)
{
    const char *cur = json_string_value(json_object_get(doc, "CurCode"));
    json_t *carriers = json_object_get(doc, "Carriers");
    if (cur == NULL || strlen(cur) != 3 || !json_is_array(carriers)) {
        snprintf(err, errlen, "schedules: expected CurCode and Carriers");
        return CT_INVALID;
    }
    out->desc.kind = CT_PROVIDER_AIRLINE;
    memcpy(out->desc.currency, cur, 4);
    out->desc.minor_digits = ct__minor_digits(cur);
    size_t i;
    json_t *x;
    json_array_foreach(carriers, i, x)
    {
        ct__rec r = {out, "Carriers", i, 0, ""};
        ct_ingest_carrier c = {{0}, {0}};
        out->nrecords++;
        if (ct__code(&r, x, "AirlineDesigCode", 2, 1, c.code) ||
            ct__alliance(&r, x, "Alliance", c.alliance))
            continue;
        if (ct__push_carrier(out, &c))
            return CT_NOMEM;
    }
    return CT_OK;
}

static ct_status fares(json_t *doc, int digits, ct_ingest_page *out, char *err, size_t errlen)
{
    json_t *arr = json_object_get(doc, "Fares");
    if (!json_is_array(arr) || ct__token(doc, "NextPageToken", out->next, sizeof(out->next)) ||
        ct__token(doc, "Cursor", out->cursor, sizeof(out->cursor)) || !out->cursor[0]) {
        snprintf(err, errlen, "fares: expected Fares, NextPageToken and Cursor");
        return CT_INVALID;
    }
    size_t i;
    json_t *x;
    json_array_foreach(arr, i, x)
    {
        ct__rec r = {out, "Fares", i, 0, ""};
        ct_ingest_fare f;
        out->nrecords++;
        for (int c = 0; c < CT_NCLASSES; c++)
            f.amount[c] = CT_AMOUNT_NONE;
        if (ct__code(&r, x, "Owner", 2, 1, f.carrier) ||
            ct__code(&r, x, "Origin", 3, 0, f.origin) ||
            ct__code(&r, x, "Destination", 3, 0, f.dest))
            continue;
        json_t *details = json_object_get(x, "FareDetails");
        if (!json_is_array(details)) {
            ct__reject(&r, "FareDetails", "expected an array");
            continue;
        }
        size_t k;
        json_t *d;
        json_array_foreach(details, k, d)
        {
            const char *rbd = json_string_value(json_object_get(d, "RBD"));
            int c = rbd && strlen(rbd) == 1 ? ct_class_index(rbd[0]) : -1;
            snprintf(r.sub, sizeof(r.sub), "FareDetails[%zu].", k);
            if (c < 0) {
                ct__reject(&r, "RBD", "expected a booking class");
                break;
            }
            if (ct__amount_text(&r, d, "OneWay", digits, &f.amount[c]))
                break;
        }
        if (r.bad)
            continue;
        if (ct__push_fare(out, &f))
            return CT_NOMEM;
    }
    return CT_OK;
}

static ct_status avail(json_t *doc, ct_ingest_page *out, char *err, size_t errlen)
{
    json_t *arr = json_object_get(doc, "Legs");
    if (!json_is_array(arr) || ct__token(doc, "NextPageToken", out->next, sizeof(out->next)) ||
        ct__token(doc, "Cursor", out->cursor, sizeof(out->cursor)) || !out->cursor[0]) {
        snprintf(err, errlen, "availability: expected Legs, NextPageToken and Cursor");
        return CT_INVALID;
    }
    size_t i;
    json_t *x;
    json_array_foreach(arr, i, x)
    {
        ct__rec r = {out, "Legs", i, 0, ""};
        ct_ingest_seats s;
        long number = 0;
        out->nrecords++;
        if (ct__code(&r, x, "MarketingCarrier", 2, 1, s.carrier) ||
            ct__digits(&r, x, "FlightNumber", 1, 9999, &number) ||
            ct__code(&r, x, "Dep", 3, 0, s.origin) || ct__code(&r, x, "Arr", 3, 0, s.dest) ||
            ct__instant_min(&r, x, "DepDateTime", &s.dep_utc_min) ||
            ct__avs(&r, x, "AvailabilityText", s.seats))
            continue;
        s.number = (int)number;
        if (ct__push_seats(out, &s))
            return CT_NOMEM;
    }
    return CT_OK;
}

ct_status ct__ndc_parse(ct_ingest_feed feed, json_t *doc, int digits, ct_ingest_page *out,
                        char *err, size_t errlen)
{
    switch (feed) {
    case CT_FEED_DESCRIPTOR:
        return descriptor(doc, out, err, errlen);
    case CT_FEED_FARES:
        return fares(doc, digits, out, err, errlen);
    case CT_FEED_AVAIL:
        return avail(doc, out, err, errlen);
    case CT_FEED_RATES:
        break;
    }
    snprintf(err, errlen, "unsupported feed");
    return CT_INVALID;
}
