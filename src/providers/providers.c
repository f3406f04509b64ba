/* providers.c: the generic dialect reader, the common /rates document, names and request
 * paths.
 *
 * A response document is read with its dialect's table (dialects.c): the top-level array
 * and page tokens by name, then each record member by member in a fixed order (carrier,
 * origin, destination, then classes for fares; carrier, number, origin, destination,
 * departure, seats for availability), so the first bad member of a record is the one its
 * reject names whatever the dialect. Fares given one row per class (FareFinder) are
 * gathered back into one record per market: consecutive rows of the same market, dropped
 * together when one of them is bad. */
#include <ctype.h>
#include <math.h>
#include <stdio.h>
#include <string.h>

#include "base/alloc.h"
#include "base/currency.h"
#include "base/json.h"
#include "base/timeutil.h"
#include "providers/providers_internal.h"

static const ct__dialect *const DIALECTS[CT_PROVIDERS_NDIALECTS] = {
    &ct__ndc, &ct__voyagio, &ct__farefinder, &ct__hopscotch};

/* ---- names ---- */

int ct_providers_dialect_of(const char *provider_name)
{
    if (provider_name == NULL)
        return -1;
    if (strncmp(provider_name, "airline-", 8) == 0)
        return CT_DIALECT_NDC;
    if (strcmp(provider_name, "ota-eur") == 0)
        return CT_DIALECT_VOYAGIO;
    if (strcmp(provider_name, "ota-usd") == 0)
        return CT_DIALECT_FAREFINDER;
    if (strcmp(provider_name, "combiner") == 0)
        return CT_DIALECT_HOPSCOTCH;
    return -1;
}

int ct_providers_dialect_named(const char *name)
{
    for (int d = 0; name != NULL && d < CT_PROVIDERS_NDIALECTS; d++) {
        if (strcmp(DIALECTS[d]->name, name) == 0)
            return d;
    }
    return -1;
}

const char *ct_providers_dialect_name(ct_providers_dialect d)
{
    return (unsigned)d < CT_PROVIDERS_NDIALECTS ? DIALECTS[d]->name : "?";
}

const char *ct_providers_feed_name(ct_providers_feed f)
{
    static const char *names[] = {"descriptor", "rates", "fares", "availability"};
    return (unsigned)f < 4 ? names[f] : "?";
}

int ct_providers_minor_digits(const char *currency)
{
    return ct_currency_digits(currency);
}

ct_status ct_providers_decimal(const char *text, int digits, int32_t *out)
{
    if (text == NULL || !isdigit((unsigned char)*text))
        return CT_INVALID;
    int64_t v = 0;
    const char *s = text;
    for (; isdigit((unsigned char)*s); s++) {
        v = v * 10 + (*s - '0');
        if (v > INT32_MAX)
            return CT_INVALID;
    }
    int frac = 0;
    if (*s == '.') {
        s++;
        if (!isdigit((unsigned char)*s))
            return CT_INVALID;
        for (; isdigit((unsigned char)*s); s++, frac++) {
            if (frac < digits)
                v = v * 10 + (*s - '0');
            else if (*s != '0')
                return CT_INVALID; /* more precision than the currency has */
        }
    }
    if (*s != '\0')
        return CT_INVALID;
    for (; frac < digits; frac++)
        v *= 10;
    if (v > INT32_MAX)
        return CT_INVALID;
    *out = (int32_t)v;
    return CT_OK;
}

/* ---- the documents ---- */

/* The last segment of a path: what the dialect calls its descriptor ("schedules"). */
static const char *last_segment(const char *path)
{
    const char *s = strrchr(path, '/');
    return s ? s + 1 : path;
}

static ct_status descriptor(const ct__dialect *d, json_t *doc, ct_providers_page *out, char *err,
                            size_t errlen)
{
    const char *what = last_segment(d->req.descriptor);
    const char *cur = json_string_value(json_object_get(doc, d->desc.currency));
    json_t *carriers = json_object_get(doc, d->desc.carriers);
    if (cur == NULL || strlen(cur) != 3 || !json_is_array(carriers)) {
        snprintf(err, errlen, "%s: expected %s and %s", what, d->desc.currency, d->desc.carriers);
        return CT_INVALID;
    }
    out->desc.kind = d->kind;
    memcpy(out->desc.currency, cur, 4);
    out->desc.minor_digits = ct_providers_minor_digits(cur);
    if (d->desc.min_self_transfer != NULL) {
        json_t *mst = json_object_get(doc, d->desc.min_self_transfer);
        if (!json_is_integer(mst) || json_integer_value(mst) < 0 ||
            json_integer_value(mst) > 24 * 60) {
            snprintf(err, errlen, "%s: %s: expected minutes", what, d->desc.min_self_transfer);
            return CT_INVALID;
        }
        out->desc.min_self_transfer_min = (int)json_integer_value(mst);
    }
    if (d->desc.fee != NULL) {
        ct_providers_page scratch = {0}; /* a bad fee is no record's reject */
        ct__rec top = {&scratch, what, 0, 0, ""};
        int32_t fee;
        if (d->amount(&top, doc, d->desc.fee, out->desc.minor_digits, &fee)) {
            snprintf(err, errlen, "%s: %s: %s", what, d->desc.fee, scratch.rejects[0].message);
            return CT_INVALID;
        }
        out->desc.fee_minor = fee;
    }
    size_t i;
    json_t *x;
    json_array_foreach(carriers, i, x)
    {
        ct__rec r = {out, d->desc.carriers, i, 0, ""};
        ct_providers_carrier c = {{0}, {0}};
        out->nrecords++;
        if (ct__code(&r, x, d->desc.code, 2, 1, c.code) ||
            ct__alliance(&r, x, d->desc.alliance, c.alliance))
            continue;
        if (ct__push_carrier(out, &c))
            return CT_NOMEM;
    }
    return CT_OK;
}

/* The records array and the page tokens of a feed page. */
static json_t *feed_array(const ct__dialect *d, json_t *doc, const char *array,
                          ct_providers_page *out, char *err, size_t errlen)
{
    json_t *arr = json_object_get(doc, array);
    json_t *holder = d->paging.holder ? json_object_get(doc, d->paging.holder) : doc;
    if (!json_is_array(arr) || !json_is_object(holder) ||
        ct__token(holder, d->paging.next, out->next, sizeof(out->next)) ||
        ct__token(doc, d->paging.cursor, out->cursor, sizeof(out->cursor)) || !out->cursor[0]) {
        snprintf(err, errlen, "%s: expected %s, %s%s%s and %s", ct_providers_feed_name(out->feed),
                 array, d->paging.holder ? d->paging.holder : "", d->paging.holder ? "." : "",
                 d->paging.next, d->paging.cursor);
        return NULL;
    }
    return arr;
}

static int same_market(const ct_providers_fare *a, const ct_providers_fare *b)
{
    return strcmp(a->carrier, b->carrier) == 0 && strcmp(a->origin, b->origin) == 0 &&
           strcmp(a->dest, b->dest) == 0;
}

static ct_status fares(const ct__dialect *d, json_t *doc, int digits, ct_providers_page *out,
                       char *err, size_t errlen)
{
    json_t *arr = feed_array(d, doc, d->fares.array, out, err, errlen);
    if (arr == NULL)
        return CT_INVALID;
    ct_providers_fare f; /* the record being gathered, while `open` */
    int open = 0, bad = 0;
    size_t i;
    json_t *x;
    json_array_foreach(arr, i, x)
    {
        ct__rec r = {out, d->fares.array, i, 0, ""};
        ct_providers_fare g;
        out->nrecords++;
        int ok = ct__code(&r, x, d->fares.carrier, 2, 1, g.carrier) == CT_OK &&
                 ct__code(&r, x, d->fares.origin, 3, 0, g.origin) == CT_OK &&
                 ct__code(&r, x, d->fares.dest, 3, 0, g.dest) == CT_OK;
        /* A record ends at the next one, or for rows per class at another market. */
        if (open && (!ok || !d->fares.row_per_class || !same_market(&f, &g))) {
            if (!bad && ct__push_fare(out, &f))
                return CT_NOMEM;
            open = 0;
        }
        if (!ok)
            continue;
        if (!open) {
            f = g;
            for (int c = 0; c < CT_PROVIDERS_NCLASSES; c++)
                f.amount[c] = CT_PROVIDERS_AMOUNT_NONE;
            open = 1;
            bad = 0;
        }
        d->fares.read(&r, d, x, digits, f.amount);
        bad |= r.bad;
    }
    if (open && !bad && ct__push_fare(out, &f))
        return CT_NOMEM;
    return CT_OK;
}

static ct_status avail(const ct__dialect *d, json_t *doc, ct_providers_page *out, char *err,
                       size_t errlen)
{
    json_t *arr = feed_array(d, doc, d->avail.array, out, err, errlen);
    if (arr == NULL)
        return CT_INVALID;
    size_t i;
    json_t *x;
    json_array_foreach(arr, i, x)
    {
        ct__rec r = {out, d->avail.array, i, 0, ""};
        ct_providers_seats s;
        long number = 0;
        out->nrecords++;
        if (ct__code(&r, x, d->avail.carrier, 2, 1, s.carrier) ||
            d->avail.read_number(&r, x, d->avail.number, s.carrier, &number) ||
            ct__code(&r, x, d->avail.origin, 3, 0, s.origin) ||
            ct__code(&r, x, d->avail.dest, 3, 0, s.dest) ||
            ct__instant_min(&r, x, d->avail.departure, &s.dep_utc_min) ||
            d->avail.read_seats(&r, x, d->avail.seats, s.seats))
            continue;
        s.number = (int)number;
        if (ct__push_seats(out, &s))
            return CT_NOMEM;
    }
    return CT_OK;
}

/* GET /rates, the same in every dialect: {"date": "2026-12-01", "rates": {"EUR": 0.92}}. */
static ct_status rates(json_t *doc, ct_providers_page *out, char *err, size_t errlen)
{
    json_t *obj = json_object_get(doc, "rates");
    const char *date = json_string_value(json_object_get(doc, "date"));
    if (!json_is_object(obj) || date == NULL || ct_date_parse(date, &out->rates_day) != CT_OK) {
        snprintf(err, errlen, "rates: expected members date and rates");
        return CT_INVALID;
    }
    const char *code;
    json_t *v;
    size_t i = 0;
    json_object_foreach(obj, code, v)
    {
        ct__rec r = {out, "rates", i++, 0, ""};
        out->nrecords++;
        int ok = strlen(code) == 3;
        for (int k = 0; ok && k < 3; k++)
            ok = isupper((unsigned char)code[k]);
        if (!ok || !json_is_number(v) || !(json_number_value(v) > 0) ||
            !isfinite(json_number_value(v))) {
            ct__reject(&r, code, "expected a code and a positive rate per USD");
            continue;
        }
        ct_providers_rate x;
        memcpy(x.currency, code, 4);
        x.per_usd = json_number_value(v);
        if (ct__push_rate(out, &x))
            return CT_NOMEM;
    }
    return CT_OK;
}

ct_status ct_providers_parse_page(ct_providers_dialect d, ct_providers_feed feed, const char *body,
                                  size_t len, int minor_digits, ct_providers_page *out, char *err,
                                  size_t errlen)
{
    ct_status rc = CT_INVALID;
    json_t *doc = NULL;
    memset(out, 0, sizeof(*out));
    out->feed = feed;
    if (errlen > 0)
        err[0] = '\0';
    if ((unsigned)d >= CT_PROVIDERS_NDIALECTS || (unsigned)feed > CT_FEED_AVAIL) {
        snprintf(err, errlen, "unknown dialect or feed");
        goto cleanup;
    }
    json_error_t je;
    rc = ct_json_loadb(body ? body : "", body ? len : 0, JSON_REJECT_DUPLICATES, &doc, &je);
    if (rc == CT_OK && !json_is_object(doc))
        rc = CT_INVALID;
    if (rc) {
        snprintf(err, errlen, "not a JSON object: %s", doc ? "" : je.text);
        goto cleanup;
    }
    const ct__dialect *t = DIALECTS[d];
    switch (feed) {
    case CT_FEED_DESCRIPTOR:
        rc = descriptor(t, doc, out, err, errlen);
        break;
    case CT_FEED_RATES:
        rc = rates(doc, out, err, errlen);
        break;
    case CT_FEED_FARES:
        rc = fares(t, doc, minor_digits, out, err, errlen);
        break;
    case CT_FEED_AVAIL:
        rc = avail(t, doc, out, err, errlen);
        break;
    }
    if (rc == CT_NOMEM)
        snprintf(err, errlen, "out of memory");
cleanup:
    json_decref(doc);
    if (rc)
        ct_providers_page_clear(out);
    return rc;
}

void ct_providers_page_clear(ct_providers_page *page)
{
    ct_free(page->carriers);
    ct_free(page->rates);
    ct_free(page->fares);
    ct_free(page->seats);
    page->carriers = NULL;
    page->rates = NULL;
    page->fares = NULL;
    page->seats = NULL;
    page->ncarriers = page->nrates = page->nfares = page->nseats = 0;
}

/* ---- request paths ---- */

/* Appends s at *n of out[len]; *n becomes -1 once it does not fit. */
static void append(char *out, size_t len, int *n, const char *s)
{
    size_t k = strlen(s);
    if (*n < 0 || k >= len - (size_t)*n) {
        *n = -1;
        return;
    }
    memcpy(out + *n, s, k + 1);
    *n += (int)k;
}

/* Appends "&name=value" (or "?name=value" first). */
static void param(char *out, size_t len, int *n, const char *name, const char *value)
{
    append(out, len, n, strchr(out, '?') ? "&" : "?");
    append(out, len, n, name);
    append(out, len, n, "=");
    append(out, len, n, value);
}

ct_status ct_providers_request_path(ct_providers_dialect d, ct_providers_feed feed, int page_size,
                                    const char *token, const char *since, int64_t from, int64_t to,
                                    char *out, size_t len)
{
    if (len == 0 || (unsigned)d >= CT_PROVIDERS_NDIALECTS || (unsigned)feed > CT_FEED_AVAIL)
        return CT_INVALID;
    const ct__dialect *t = DIALECTS[d];
    int n = 0;
    out[0] = '\0';
    if (feed == CT_FEED_DESCRIPTOR || feed == CT_FEED_RATES) {
        append(out, len, &n, feed == CT_FEED_RATES ? "/rates" : t->req.descriptor);
        return n < 0 ? CT_INVALID : CT_OK;
    }
    char size[16];
    snprintf(size, sizeof(size), "%d", page_size);
    append(out, len, &n, feed == CT_FEED_FARES ? t->req.fares : t->req.avail);
    param(out, len, &n, t->req.limit, size);
    if (token != NULL && *token) {
        param(out, len, &n, t->req.page, token);
        return n < 0 ? CT_INVALID : CT_OK;
    }
    if (feed == CT_FEED_AVAIL) {
        char a[40], b[40];
        int y, m, dd;
        ct_civil_from_days(from, &y, &m, &dd);
        snprintf(a, sizeof(a), "%04d-%02d-%02d", y, m, dd);
        ct_civil_from_days(to, &y, &m, &dd);
        snprintf(b, sizeof(b), "%04d-%02d-%02d", y, m, dd);
        param(out, len, &n, t->req.from, a);
        param(out, len, &n, t->req.to, b);
    }
    if (since != NULL && *since)
        param(out, len, &n, t->req.since, since);
    return n < 0 ? CT_INVALID : CT_OK;
}
