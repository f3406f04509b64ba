/* dialect_voyagio.c: ota-eur ("Voyagio") documents -> normalised records.
 *
 * snake_case; amounts are JSON numbers in euros (read exactly to cents, see parse.c);
 * availability names a flight as "US1" (the airline's code, then the number). */
#include <ctype.h>
#include <stdio.h>
#include <string.h>

#include "ingest/ingest_internal.h"

static ct_status descriptor(json_t *doc, ct_ingest_page *out, char *err, size_t errlen)
{
    const char *cur = json_string_value(json_object_get(doc, "currency"));
    json_t *airlines = json_object_get(doc, "airlines");
    if (cur == NULL || strlen(cur) != 3 || !json_is_array(airlines)) {
        snprintf(err, errlen, "schedules: expected currency and airlines");
        return CT_INVALID;
    }
    out->desc.kind = CT_PROVIDER_AGENCY;
    memcpy(out->desc.currency, cur, 4);
    out->desc.minor_digits = ct__minor_digits(cur);
    ct__rec top = {out, "schedule", 0, 0, ""};
    int32_t fee;
    if (ct__amount_real(&top, doc, "service_fee_per_passenger", out->desc.minor_digits, &fee)) {
        snprintf(err, errlen, "schedules: service_fee_per_passenger: expected an amount");
        return CT_INVALID;
    }
    out->desc.fee_minor = fee;
    size_t i;
    json_t *x;
    json_array_foreach(airlines, i, x)
    {
        ct__rec r = {out, "airlines", i, 0, ""};
        ct_ingest_carrier c = {{0}, {0}};
        out->nrecords++;
        if (ct__code(&r, x, "code", 2, 1, c.code) || ct__alliance(&r, x, "alliance", c.alliance))
            continue;
        if (ct__push_carrier(out, &c))
            return CT_NOMEM;
    }
    return CT_OK;
}

static int page_tokens(json_t *doc, ct_ingest_page *out)
{
    return ct__token(doc, "next_page", out->next, sizeof(out->next)) ||
           ct__token(doc, "sync_token", out->cursor, sizeof(out->cursor)) || !out->cursor[0];
}

static ct_status fares(json_t *doc, int digits, ct_ingest_page *out, char *err, size_t errlen)
{
    json_t *arr = json_object_get(doc, "fares");
    if (!json_is_array(arr) || page_tokens(doc, out)) {
        snprintf(err, errlen, "fares: expected fares, next_page and sync_token");
        return CT_INVALID;
    }
    size_t i;
    json_t *x;
    json_array_foreach(arr, i, x)
    {
        ct__rec r = {out, "fares", i, 0, ""};
        ct_ingest_fare f;
        out->nrecords++;
        for (int c = 0; c < CT_NCLASSES; c++)
            f.amount[c] = CT_AMOUNT_NONE;
        if (ct__code(&r, x, "airline", 2, 1, f.carrier) ||
            ct__code(&r, x, "from", 3, 0, f.origin) || ct__code(&r, x, "to", 3, 0, f.dest))
            continue;
        json_t *classes = json_object_get(x, "classes");
        if (!json_is_array(classes)) {
            ct__reject(&r, "classes", "expected an array");
            continue;
        }
        size_t k;
        json_t *d;
        json_array_foreach(classes, k, d)
        {
            const char *code = json_string_value(json_object_get(d, "code"));
            int c = code && strlen(code) == 1 ? ct_class_index(code[0]) : -1;
            snprintf(r.sub, sizeof(r.sub), "classes[%zu].", k);
            if (c < 0) {
                ct__reject(&r, "code", "expected a booking class");
                break;
            }
            if (ct__amount_real(&r, d, "one_way", digits, &f.amount[c]))
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
    json_t *arr = json_object_get(doc, "flights");
    if (!json_is_array(arr) || page_tokens(doc, out)) {
        snprintf(err, errlen, "availability: expected flights, next_page and sync_token");
        return CT_INVALID;
    }
    size_t i;
    json_t *x;
    json_array_foreach(arr, i, x)
    {
        ct__rec r = {out, "flights", i, 0, ""};
        ct_ingest_seats s;
        out->nrecords++;
        if (ct__code(&r, x, "airline", 2, 1, s.carrier))
            continue;
        const char *flight = json_string_value(json_object_get(x, "flight"));
        long number = 0;
        int ok = flight != NULL && strncmp(flight, s.carrier, 2) == 0 && flight[2] != '\0' &&
                 strlen(flight) <= 6;
        for (const char *p = ok ? flight + 2 : ""; ok && *p; p++) {
            ok = isdigit((unsigned char)*p);
            number = number * 10 + (*p - '0');
        }
        if (!ok || number < 1 || number > 9999) {
            ct__reject(&r, "flight", "expected the airline's code and a flight number");
            continue;
        }
        if (ct__code(&r, x, "from", 3, 0, s.origin) || ct__code(&r, x, "to", 3, 0, s.dest) ||
            ct__instant_min(&r, x, "departs_at", &s.dep_utc_min) ||
            ct__avs(&r, x, "availability", s.seats))
            continue;
        s.number = (int)number;
        if (ct__push_seats(out, &s))
            return CT_NOMEM;
    }
    return CT_OK;
}

ct_status ct__voyagio_parse(ct_ingest_feed feed, json_t *doc, int digits, ct_ingest_page *out,
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
