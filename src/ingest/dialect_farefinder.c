/* dialect_farefinder.c: ota-usd ("FareFinder") documents -> normalised records.
 *
 * camelCase; amounts are integer cents; the fares feed is flat, one row per market and
 * booking class, a market's rows consecutive: rows are grouped back into markets, and a
 * market with a bad row is dropped whole (a partial market would erase good amounts);
 * seats come as an object of class -> count. */
#include <stdio.h>
#include <string.h>

#include "ingest/ingest_internal.h"

static ct_status descriptor(json_t *doc, ct_ingest_page *out, char *err, size_t errlen)
{
    const char *cur = json_string_value(json_object_get(doc, "currency"));
    json_t *carriers = json_object_get(doc, "carriers");
    json_t *fee = json_object_get(doc, "serviceFeeCents");
    if (cur == NULL || strlen(cur) != 3 || !json_is_array(carriers) || !json_is_integer(fee) ||
        json_integer_value(fee) < 0) {
        snprintf(err, errlen, "catalog: expected currency, serviceFeeCents and carriers");
        return CT_INVALID;
    }
    out->desc.kind = CT_PROVIDER_AGENCY;
    memcpy(out->desc.currency, cur, 4);
    out->desc.minor_digits = ct__minor_digits(cur);
    out->desc.fee_minor = json_integer_value(fee);
    size_t i;
    json_t *x;
    json_array_foreach(carriers, i, x)
    {
        ct__rec r = {out, "carriers", i, 0, ""};
        ct_ingest_carrier c = {{0}, {0}};
        out->nrecords++;
        if (ct__code(&r, x, "iata", 2, 1, c.code) || ct__alliance(&r, x, "alliance", c.alliance))
            continue;
        if (ct__push_carrier(out, &c))
            return CT_NOMEM;
    }
    return CT_OK;
}

static int page_tokens(json_t *doc, ct_ingest_page *out)
{
    json_t *paging = json_object_get(doc, "paging");
    return !json_is_object(paging) || ct__token(paging, "next", out->next, sizeof(out->next)) ||
           ct__token(doc, "syncCursor", out->cursor, sizeof(out->cursor)) || !out->cursor[0];
}

static ct_status fares(json_t *doc, ct_ingest_page *out, char *err, size_t errlen)
{
    json_t *arr = json_object_get(doc, "data");
    if (!json_is_array(arr) || page_tokens(doc, out)) {
        snprintf(err, errlen, "fares: expected data, paging.next and syncCursor");
        return CT_INVALID;
    }
    ct_ingest_fare f;
    int open = 0, bad = 0; /* a market is being gathered; one of its rows was bad */
    size_t i;
    json_t *x;
    json_array_foreach(arr, i, x)
    {
        ct__rec r = {out, "data", i, 0, ""};
        char carrier[4], origin[4], dest[4];
        int32_t amount;
        out->nrecords++;
        int ok = !ct__code(&r, x, "carrier", 2, 1, carrier) &&
                 !ct__code(&r, x, "origin", 3, 0, origin) &&
                 !ct__code(&r, x, "destination", 3, 0, dest);
        if (open && (!ok || strcmp(carrier, f.carrier) != 0 || strcmp(origin, f.origin) != 0 ||
                     strcmp(dest, f.dest) != 0)) {
            if (!bad && ct__push_fare(out, &f))
                return CT_NOMEM;
            open = 0;
        }
        if (!ok)
            continue;
        if (!open) {
            open = 1;
            bad = 0;
            memcpy(f.carrier, carrier, 4);
            memcpy(f.origin, origin, 4);
            memcpy(f.dest, dest, 4);
            for (int c = 0; c < CT_NCLASSES; c++)
                f.amount[c] = CT_AMOUNT_NONE;
        }
        const char *rbd = json_string_value(json_object_get(x, "bookingClass"));
        int c = rbd && strlen(rbd) == 1 ? ct_class_index(rbd[0]) : -1;
        if (c < 0)
            ct__reject(&r, "bookingClass", "expected a booking class");
        else if (ct__amount_minor(&r, x, "oneWayCents", &amount) == 0)
            f.amount[c] = amount;
        bad |= r.bad;
    }
    if (open && !bad && ct__push_fare(out, &f))
        return CT_NOMEM;
    return CT_OK;
}

static ct_status avail(json_t *doc, ct_ingest_page *out, char *err, size_t errlen)
{
    json_t *arr = json_object_get(doc, "data");
    if (!json_is_array(arr) || page_tokens(doc, out)) {
        snprintf(err, errlen, "availability: expected data, paging.next and syncCursor");
        return CT_INVALID;
    }
    size_t i;
    json_t *x;
    json_array_foreach(arr, i, x)
    {
        ct__rec r = {out, "data", i, 0, ""};
        ct_ingest_seats s;
        long number = 0;
        out->nrecords++;
        if (ct__code(&r, x, "carrier", 2, 1, s.carrier) ||
            ct__int(&r, x, "flightNumber", 1, 9999, &number) ||
            ct__code(&r, x, "origin", 3, 0, s.origin) ||
            ct__code(&r, x, "destination", 3, 0, s.dest) ||
            ct__instant_min(&r, x, "departureTime", &s.dep_utc_min))
            continue;
        json_t *seats = json_object_get(x, "seats");
        if (!json_is_object(seats)) {
            ct__reject(&r, "seats", seats ? "expected an object" : "missing");
            continue;
        }
        snprintf(r.sub, sizeof(r.sub), "seats.");
        for (int c = 0; c < CT_NCLASSES; c++)
            s.seats[c] = 0;
        const char *key;
        json_t *v;
        json_object_foreach(seats, key, v)
        {
            int c = strlen(key) == 1 ? ct_class_index(key[0]) : -1;
            long n;
            if (c < 0) {
                ct__reject(&r, key, "not a booking class");
                break;
            }
            if (ct__int(&r, seats, key, 0, 15, &n))
                break;
            s.seats[c] = (int)n;
        }
        if (r.bad)
            continue;
        s.number = (int)number;
        if (ct__push_seats(out, &s))
            return CT_NOMEM;
    }
    return CT_OK;
}

ct_status ct__farefinder_parse(ct_ingest_feed feed, json_t *doc, int digits, ct_ingest_page *out,
                               char *err, size_t errlen)
{
    (void)digits; /* cents already */
    switch (feed) {
    case CT_FEED_DESCRIPTOR:
        return descriptor(doc, out, err, errlen);
    case CT_FEED_FARES:
        return fares(doc, out, err, errlen);
    case CT_FEED_AVAIL:
        return avail(doc, out, err, errlen);
    case CT_FEED_RATES:
        break;
    }
    snprintf(err, errlen, "unsupported feed");
    return CT_INVALID;
}
