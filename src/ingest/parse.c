/* parse.c: what every dialect adapter shares: the dispatcher, record validation helpers,
 * exact decimal amounts, the common /rates document and each dialect's request paths.
 *
 * Amounts become integers in the provider's minor units without passing through binary
 * floating point where the provider sends text: "2562.00" is 256200 by digits. Voyagio
 * sends JSON numbers, which jansson reads as doubles; those are formatted back with the
 * currency's decimals (correctly rounded by printf) after checking that the number has no
 * more decimals than the currency (within 1e-6 of a whole number of minor units). */
#define _GNU_SOURCE
#include <ctype.h>
#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "base/alloc.h"
#include "base/timeutil.h"
#include "ingest/ingest_internal.h"

int ct_ingest_dialect_of(const char *name)
{
    if (name == NULL)
        return -1;
    if (strncmp(name, "airline-", 8) == 0)
        return CT_DIALECT_NDC;
    if (strcmp(name, "ota-eur") == 0)
        return CT_DIALECT_VOYAGIO;
    if (strcmp(name, "ota-usd") == 0)
        return CT_DIALECT_FAREFINDER;
    if (strcmp(name, "combiner") == 0)
        return CT_DIALECT_HOPSCOTCH;
    return -1;
}

const char *ct_ingest_dialect_name(ct_ingest_dialect d)
{
    static const char *names[] = {"ndc", "voyagio", "farefinder", "hopscotch"};
    return (unsigned)d < 4 ? names[d] : "?";
}

const char *ct_ingest_feed_name(ct_ingest_feed f)
{
    static const char *names[] = {"descriptor", "rates", "fares", "availability"};
    return (unsigned)f < 4 ? names[f] : "?";
}

int ct__minor_digits(const char *currency)
{
    return strcmp(currency, "JPY") == 0 || strcmp(currency, "KRW") == 0 ? 0 : 2;
}

/* ---- decimals ---- */

ct_status ct_ingest_decimal(const char *text, int digits, int32_t *out)
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

/* ---- record helpers ---- */

void ct__reject(ct__rec *r, const char *member, const char *message)
{
    if (r->bad)
        return;
    r->bad = 1;
    ct_ingest_page *p = r->page;
    if (p->nrejected < CT_INGEST_MAX_REJECTS) {
        ct_ingest_reject *x = &p->rejects[p->nrejected];
        x->index = r->index;
        snprintf(x->field, sizeof(x->field), "%s[%zu].%s%s", r->array, r->index, r->sub, member);
        snprintf(x->message, sizeof(x->message), "%s", message);
    }
    p->nrejected++;
}

static const char *str_member(ct__rec *r, json_t *obj, const char *member)
{
    json_t *v = json_object_get(obj, member);
    if (v == NULL) {
        ct__reject(r, member, "missing");
        return NULL;
    }
    if (!json_is_string(v)) {
        ct__reject(r, member, "expected a string");
        return NULL;
    }
    return json_string_value(v);
}

int ct__code(ct__rec *r, json_t *obj, const char *member, size_t len, int digits_ok, char *out)
{
    const char *s = str_member(r, obj, member);
    if (s == NULL)
        return -1;
    int ok = strlen(s) == len;
    for (size_t i = 0; ok && i < len; i++)
        ok = isupper((unsigned char)s[i]) || (digits_ok && isdigit((unsigned char)s[i]));
    if (!ok) {
        ct__reject(r, member, digits_ok ? "expected a carrier designator" : "expected a code");
        return -1;
    }
    memcpy(out, s, len + 1);
    return 0;
}

int ct__int(ct__rec *r, json_t *obj, const char *member, long lo, long hi, long *out)
{
    json_t *v = json_object_get(obj, member);
    if (v == NULL) {
        ct__reject(r, member, "missing");
        return -1;
    }
    if (!json_is_integer(v) || json_integer_value(v) < lo || json_integer_value(v) > hi) {
        ct__reject(r, member, "expected an integer in range");
        return -1;
    }
    *out = (long)json_integer_value(v);
    return 0;
}

int ct__digits(ct__rec *r, json_t *obj, const char *member, long lo, long hi, long *out)
{
    const char *s = str_member(r, obj, member);
    if (s == NULL)
        return -1;
    long v = 0;
    size_t n = strlen(s);
    int ok = n >= 1 && n <= 6;
    for (size_t i = 0; ok && i < n; i++) {
        ok = isdigit((unsigned char)s[i]);
        v = v * 10 + (s[i] - '0');
    }
    if (!ok || v < lo || v > hi) {
        ct__reject(r, member, "expected a flight number as digits");
        return -1;
    }
    *out = v;
    return 0;
}

int ct__amount_text(ct__rec *r, json_t *obj, const char *member, int digits, int32_t *out)
{
    const char *s = str_member(r, obj, member);
    if (s == NULL)
        return -1;
    if (ct_ingest_decimal(s, digits, out) != CT_OK) {
        ct__reject(r, member, "expected a non-negative decimal amount");
        return -1;
    }
    return 0;
}

int ct__amount_real(ct__rec *r, json_t *obj, const char *member, int digits, int32_t *out)
{
    json_t *v = json_object_get(obj, member);
    if (v == NULL) {
        ct__reject(r, member, "missing");
        return -1;
    }
    if (!json_is_number(v)) {
        ct__reject(r, member, "expected a number");
        return -1;
    }
    double x = json_number_value(v), scaled = x * (digits == 0 ? 1.0 : 100.0);
    char buf[64];
    if (!isfinite(x) || x < 0 || scaled > INT32_MAX ||
        fabs(scaled - nearbyint(scaled)) > 1e-6 * fmax(1.0, fabs(scaled))) {
        ct__reject(r, member, "expected a non-negative amount in the currency's decimals");
        return -1;
    }
    snprintf(buf, sizeof(buf), "%.*f", digits, x);
    if (ct_ingest_decimal(buf, digits, out) != CT_OK) {
        ct__reject(r, member, "expected a non-negative amount");
        return -1;
    }
    return 0;
}

int ct__amount_minor(ct__rec *r, json_t *obj, const char *member, int32_t *out)
{
    long v;
    if (ct__int(r, obj, member, 0, INT32_MAX, &v))
        return -1;
    *out = (int32_t)v;
    return 0;
}

int ct__instant_min(ct__rec *r, json_t *obj, const char *member, int32_t *out)
{
    const char *s = str_member(r, obj, member);
    if (s == NULL)
        return -1;
    ct_utc t;
    if (ct_utc_parse(s, &t) != CT_OK || t % 60 != 0 || t < 0 || t / 60 > INT32_MAX) {
        ct__reject(r, member, "expected a UTC instant YYYY-MM-DDTHH:MM:00Z");
        return -1;
    }
    *out = (int32_t)(t / 60);
    return 0;
}

int ct__avs(ct__rec *r, json_t *obj, const char *member, int seats[CT_NCLASSES])
{
    const char *s = str_member(r, obj, member);
    if (s == NULL)
        return -1;
    int seen[CT_NCLASSES] = {0};
    size_t n = strlen(s);
    int ok = n > 0 && n % 2 == 0 && n <= 2 * CT_NCLASSES;
    for (int c = 0; c < CT_NCLASSES; c++)
        seats[c] = 0;
    for (size_t i = 0; ok && i < n; i += 2) {
        int c = ct_class_index(s[i]);
        ok = c >= 0 && !seen[c] && isdigit((unsigned char)s[i + 1]);
        if (ok) {
            seen[c] = 1;
            seats[c] = s[i + 1] - '0';
        }
    }
    if (!ok) {
        ct__reject(r, member, "expected an availability text like Y9B9M4");
        return -1;
    }
    return 0;
}

int ct__alliance(ct__rec *r, json_t *obj, const char *member, char out[16])
{
    json_t *v = json_object_get(obj, member);
    out[0] = '\0';
    if (v == NULL || json_is_null(v))
        return 0; /* an older listing without alliances: none known */
    if (!json_is_string(v) || json_string_length(v) == 0 || json_string_length(v) >= 16) {
        ct__reject(r, member, "expected an alliance name or null");
        return -1;
    }
    memcpy(out, json_string_value(v), json_string_length(v) + 1);
    return 0;
}

int ct__token(json_t *obj, const char *member, char *out, size_t len)
{
    json_t *v = json_object_get(obj, member);
    out[0] = '\0';
    if (v == NULL || json_is_null(v))
        return 0;
    if (!json_is_string(v) || json_string_length(v) >= len)
        return -1;
    memcpy(out, json_string_value(v), json_string_length(v) + 1);
    return 0;
}

/* Grows *arr (of *n elements of `size`) by one slot, returns it or NULL. */
static void *push(void **arr, size_t *n, size_t size)
{
    if ((*n & (*n - 1)) == 0) { /* 0, 1, 2, 4, ...: double the capacity */
        void *grown = ct_realloc(*arr, (*n ? *n * 2 : 16) * size);
        if (grown == NULL)
            return NULL;
        *arr = grown;
    }
    return (char *)*arr + (*n)++ * size;
}

ct_status ct__push_fare(ct_ingest_page *p, const ct_ingest_fare *f)
{
    ct_ingest_fare *slot = push((void **)&p->fares, &p->nfares, sizeof(*f));
    if (slot == NULL)
        return CT_NOMEM;
    *slot = *f;
    return CT_OK;
}

ct_status ct__push_seats(ct_ingest_page *p, const ct_ingest_seats *s)
{
    ct_ingest_seats *slot = push((void **)&p->seats, &p->nseats, sizeof(*s));
    if (slot == NULL)
        return CT_NOMEM;
    *slot = *s;
    return CT_OK;
}

ct_status ct__push_carrier(ct_ingest_page *p, const ct_ingest_carrier *c)
{
    ct_ingest_carrier *slot = push((void **)&p->carriers, &p->ncarriers, sizeof(*c));
    if (slot == NULL)
        return CT_NOMEM;
    *slot = *c;
    return CT_OK;
}

/* ---- the common rates document ---- */

static ct_status parse_rates(json_t *doc, ct_ingest_page *out, char *err, size_t errlen)
{
    json_t *rates = json_object_get(doc, "rates");
    const char *date = json_string_value(json_object_get(doc, "date"));
    if (!json_is_object(rates) || date == NULL || ct_date_parse(date, &out->rates_day) != CT_OK) {
        snprintf(err, errlen, "rates: expected members date and rates");
        return CT_INVALID;
    }
    const char *code;
    json_t *v;
    size_t i = 0;
    json_object_foreach(rates, code, v)
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
        ct_ingest_rate *slot = push((void **)&out->rates, &out->nrates, sizeof(*slot));
        if (slot == NULL)
            return CT_NOMEM;
        memcpy(slot->currency, code, 4);
        slot->per_usd = json_number_value(v);
    }
    return CT_OK;
}

/* ---- dispatch ---- */

ct_status ct_ingest_parse(ct_ingest_dialect d, ct_ingest_feed feed, const char *body, size_t len,
                          int minor_digits, ct_ingest_page *out, char *err, size_t errlen)
{
    static const ct__adapter adapters[] = {ct__ndc_parse, ct__voyagio_parse, ct__farefinder_parse,
                                           ct__hopscotch_parse};
    memset(out, 0, sizeof(*out));
    out->feed = feed;
    err[0] = '\0';
    if ((unsigned)d >= 4 || (unsigned)feed > CT_FEED_AVAIL) {
        snprintf(err, errlen, "unknown dialect or feed");
        return CT_INVALID;
    }
    json_error_t je;
    json_t *doc = json_loadb(body ? body : "", len, JSON_REJECT_DUPLICATES, &je);
    if (doc == NULL || !json_is_object(doc)) {
        snprintf(err, errlen, "not a JSON object: %s", doc ? "" : je.text);
        json_decref(doc);
        return CT_INVALID;
    }
    ct_status rc = feed == CT_FEED_RATES ? parse_rates(doc, out, err, errlen)
                                         : adapters[d](feed, doc, minor_digits, out, err, errlen);
    json_decref(doc);
    if (rc)
        ct_ingest_page_clear(out);
    return rc;
}

void ct_ingest_page_clear(ct_ingest_page *page)
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

typedef struct dialect_paths {
    const char *descriptor, *fares, *avail;
    const char *limit, *page, *since, *from, *to;
} dialect_paths;

static const dialect_paths paths[] = {
    {"/ndc/v1/schedules", "/ndc/v1/fares", "/ndc/v1/availability", "limit", "pageToken", "since",
     "fromDate", "toDate"},
    {"/api/schedules", "/api/fares", "/api/availability", "per_page", "page", "since", "start_date",
     "end_date"},
    {"/v2/catalog", "/v2/fares", "/v2/availability", "pageSize", "cursor", "changesSince",
     "fromDate", "toDate"},
    {"/v1/schedules", "/v1/fares", "/v1/availability", "limit", "page_token", "since", "from",
     "to"},
};

void ct__request_path(ct_ingest_dialect d, ct_ingest_feed feed, int page_size, const char *token,
                      const char *since, int64_t from, int64_t to, char *out, size_t len)
{
    const dialect_paths *p = &paths[d];
    if (feed == CT_FEED_DESCRIPTOR) {
        snprintf(out, len, "%s", p->descriptor);
        return;
    }
    if (feed == CT_FEED_RATES) {
        snprintf(out, len, "/rates");
        return;
    }
    /* Tokens and cursors are base64url (no characters that need escaping). */
    int n = snprintf(out, len, "%s?%s=%d", feed == CT_FEED_FARES ? p->fares : p->avail, p->limit,
                     page_size);
    if (n < 0 || (size_t)n >= len)
        return;
    if (token != NULL && *token) {
        snprintf(out + n, len - (size_t)n, "&%s=%s", p->page, token);
        return;
    }
    if (feed == CT_FEED_AVAIL) {
        char a[32], b[32];
        int y, m, dd;
        ct_civil_from_days(from, &y, &m, &dd);
        snprintf(a, sizeof(a), "%04d-%02d-%02d", y, m, dd);
        ct_civil_from_days(to, &y, &m, &dd);
        snprintf(b, sizeof(b), "%04d-%02d-%02d", y, m, dd);
        n += snprintf(out + n, len - (size_t)n, "&%s=%s&%s=%s", p->from, a, p->to, b);
    }
    if (since != NULL && *since && (size_t)n < len)
        snprintf(out + n, len - (size_t)n, "&%s=%s", p->since, since);
}
