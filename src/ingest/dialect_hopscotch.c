/* dialect_hopscotch.c: the combiner's ("Hopscotch") documents -> normalised records.
 *
 * snake_case; amounts are decimal strings in pounds; fares are an object of class ->
 * {one_way, return}; flight numbers are integers ("number"); seats come from the
 * availability text. The descriptor carries the minimum self-transfer time. */
#include <stdio.h>
#include <string.h>

#include "ingest/ingest_internal.h"

static ct_status descriptor(json_t *doc, ct_ingest_page *out, char *err, size_t errlen)
{
    const char *cur = json_string_value(json_object_get(doc, "currency"));
    json_t *carriers = json_object_get(doc, "carriers");
    json_t *mst = json_object_get(doc, "min_self_transfer_minutes");
    if (cur == NULL || strlen(cur) != 3 || !json_is_array(carriers) || !json_is_integer(mst) ||
        json_integer_value(mst) < 0 || json_integer_value(mst) > 24 * 60) {
        snprintf(err, errlen, "schedules: expected currency, min_self_transfer_minutes, carriers");
        return CT_INVALID;
    }
    out->desc.kind = CT_PROVIDER_COMBINER;
    memcpy(out->desc.currency, cur, 4);
    out->desc.minor_digits = ct__minor_digits(cur);
    out->desc.min_self_transfer_min = (int)json_integer_value(mst);
    ct__rec top = {out, "schedule", 0, 0, ""};
    int32_t fee;
    if (ct__amount_text(&top, doc, "fee_per_passenger", out->desc.minor_digits, &fee)) {
        snprintf(err, errlen, "schedules: fee_per_passenger: expected a decimal amount");
        return CT_INVALID;
    }
    out->desc.fee_minor = fee;
    size_t i;
    json_t *x;
    json_array_foreach(carriers, i, x)
    {
        ct__rec r = {out, "carriers", i, 0, ""};
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
    return ct__token(doc, "next_page_token", out->next, sizeof(out->next)) ||
           ct__token(doc, "cursor", out->cursor, sizeof(out->cursor)) || !out->cursor[0];
}

static ct_status fares(json_t *doc, int digits, ct_ingest_page *out, char *err, size_t errlen)
{
    json_t *arr = json_object_get(doc, "items");
    if (!json_is_array(arr) || page_tokens(doc, out)) {
        snprintf(err, errlen, "fares: expected items, next_page_token and cursor");
        return CT_INVALID;
    }
    size_t i;
    json_t *x;
    json_array_foreach(arr, i, x)
    {
        ct__rec r = {out, "items", i, 0, ""};
        ct_ingest_fare f;
        out->nrecords++;
        for (int c = 0; c < CT_NCLASSES; c++)
            f.amount[c] = CT_AMOUNT_NONE;
        if (ct__code(&r, x, "carrier", 2, 1, f.carrier) ||
            ct__code(&r, x, "origin", 3, 0, f.origin) ||
            ct__code(&r, x, "destination", 3, 0, f.dest))
            continue;
        json_t *classes = json_object_get(x, "fares");
        if (!json_is_object(classes)) {
            ct__reject(&r, "fares", classes ? "expected an object" : "missing");
            continue;
        }
        const char *key;
        json_t *d;
        json_object_foreach(classes, key, d)
        {
            int c = strlen(key) == 1 ? ct_class_index(key[0]) : -1;
            snprintf(r.sub, sizeof(r.sub), "fares.%s.", key);
            if (c < 0) {
                ct__reject(&r, "", "not a booking class");
                break;
            }
            if (ct__amount_text(&r, d, "one_way", digits, &f.amount[c]))
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
    json_t *arr = json_object_get(doc, "items");
    if (!json_is_array(arr) || page_tokens(doc, out)) {
        snprintf(err, errlen, "availability: expected items, next_page_token and cursor");
        return CT_INVALID;
    }
    size_t i;
    json_t *x;
    json_array_foreach(arr, i, x)
    {
        ct__rec r = {out, "items", i, 0, ""};
        ct_ingest_seats s;
        long number = 0;
        out->nrecords++;
        if (ct__code(&r, x, "carrier", 2, 1, s.carrier) ||
            ct__int(&r, x, "number", 1, 9999, &number) ||
            ct__code(&r, x, "origin", 3, 0, s.origin) ||
            ct__code(&r, x, "destination", 3, 0, s.dest) ||
            ct__instant_min(&r, x, "departure", &s.dep_utc_min) ||
            ct__avs(&r, x, "availability", s.seats))
            continue;
        s.number = (int)number;
        if (ct__push_seats(out, &s))
            return CT_NOMEM;
    }
    return CT_OK;
}

ct_status ct__hopscotch_parse(ct_ingest_feed feed, json_t *doc, int digits, ct_ingest_page *out,
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
