/* fields.c: the field readers of the dialect reader: one member of one record, validated.
 *
 * Each reader takes the record being read (ct__rec), the JSON object and the member name;
 * on success it stores the value and returns CT_OK, on a missing or bad member it records a
 * reject naming "<array>[<index>].<sub><member>" (the first per record) and returns
 * CT_INVALID.
 *
 * Amounts become integers in the provider's minor units without passing through binary
 * floating point where the provider sends text: "2562.00" is 256200 by digits. Voyagio
 * sends JSON numbers, which jansson reads as doubles; those are formatted back with the
 * currency's decimals (correctly rounded by printf) after checking that the number has no
 * more decimals than the currency (within 1e-6 of a whole number of minor units). */
#define _GNU_SOURCE
#include <ctype.h>
#include <math.h>
#include <stdio.h>
#include <string.h>

#include "base/alloc.h"
#include "base/currency.h"
#include "base/timeutil.h"
#include "providers/providers_internal.h"

void ct__reject(ct__rec *r, const char *member, const char *message)
{
    if (r->bad)
        return;
    r->bad = 1;
    ct_providers_page *p = r->page;
    if (p->nrejected < CT_PROVIDERS_MAX_REJECTS) {
        ct_providers_reject *x = &p->rejects[p->nrejected];
        x->index = r->index;
        snprintf(x->field, sizeof(x->field), "%s[%zu].%s%s", r->array, r->index, r->sub, member);
        snprintf(x->message, sizeof(x->message), "%s", message);
    }
    p->nrejected++;
}

int ct__class_index(char letter)
{
    const char *s = letter ? strchr(CT_PROVIDERS_CLASS_LETTERS, letter) : NULL;
    return s ? (int)(s - CT_PROVIDERS_CLASS_LETTERS) : -1;
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

ct_status ct__code(ct__rec *r, json_t *obj, const char *member, size_t len, int digits_ok,
                   char *out)
{
    const char *s = str_member(r, obj, member);
    if (s == NULL)
        return CT_INVALID;
    int ok = strlen(s) == len;
    for (size_t i = 0; ok && i < len; i++)
        ok = isupper((unsigned char)s[i]) || (digits_ok && isdigit((unsigned char)s[i]));
    if (!ok) {
        ct__reject(r, member, digits_ok ? "expected a carrier designator" : "expected a code");
        return CT_INVALID;
    }
    memcpy(out, s, len + 1);
    return CT_OK;
}

ct_status ct__int(ct__rec *r, json_t *obj, const char *member, long lo, long hi, long *out)
{
    json_t *v = json_object_get(obj, member);
    if (v == NULL) {
        ct__reject(r, member, "missing");
        return CT_INVALID;
    }
    if (!json_is_integer(v) || json_integer_value(v) < lo || json_integer_value(v) > hi) {
        ct__reject(r, member, "expected an integer in range");
        return CT_INVALID;
    }
    *out = (long)json_integer_value(v);
    return CT_OK;
}

ct_status ct__digits(ct__rec *r, json_t *obj, const char *member, long lo, long hi, long *out)
{
    const char *s = str_member(r, obj, member);
    if (s == NULL)
        return CT_INVALID;
    long v = 0;
    size_t n = strlen(s);
    int ok = n >= 1 && n <= 6;
    for (size_t i = 0; ok && i < n; i++) {
        ok = isdigit((unsigned char)s[i]);
        v = v * 10 + (s[i] - '0');
    }
    if (!ok || v < lo || v > hi) {
        ct__reject(r, member, "expected a flight number as digits");
        return CT_INVALID;
    }
    *out = v;
    return CT_OK;
}

ct_status ct__amount_text(ct__rec *r, json_t *obj, const char *member, int digits, int32_t *out)
{
    const char *s = str_member(r, obj, member);
    if (s == NULL)
        return CT_INVALID;
    if (ct_providers_decimal(s, digits, out) != CT_OK) {
        ct__reject(r, member, "expected a non-negative decimal amount");
        return CT_INVALID;
    }
    return CT_OK;
}

ct_status ct__amount_real(ct__rec *r, json_t *obj, const char *member, int digits, int32_t *out)
{
    json_t *v = json_object_get(obj, member);
    if (v == NULL) {
        ct__reject(r, member, "missing");
        return CT_INVALID;
    }
    if (!json_is_number(v)) {
        ct__reject(r, member, "expected a number");
        return CT_INVALID;
    }
    double x = json_number_value(v), scaled = x * ct_currency_unit(digits);
    char buf[64];
    if (!isfinite(x) || x < 0 || scaled > INT32_MAX ||
        fabs(scaled - nearbyint(scaled)) > 1e-6 * fmax(1.0, fabs(scaled))) {
        ct__reject(r, member, "expected a non-negative amount in the currency's decimals");
        return CT_INVALID;
    }
    snprintf(buf, sizeof(buf), "%.*f", digits, x);
    if (ct_providers_decimal(buf, digits, out) != CT_OK) {
        ct__reject(r, member, "expected a non-negative amount");
        return CT_INVALID;
    }
    return CT_OK;
}

ct_status ct__amount_minor(ct__rec *r, json_t *obj, const char *member, int digits, int32_t *out)
{
    (void)digits; /* minor units already */
    long v;
    if (ct__int(r, obj, member, 0, INT32_MAX, &v))
        return CT_INVALID;
    *out = (int32_t)v;
    return CT_OK;
}

ct_status ct__instant_min(ct__rec *r, json_t *obj, const char *member, int32_t *out)
{
    const char *s = str_member(r, obj, member);
    if (s == NULL)
        return CT_INVALID;
    ct_utc t;
    if (ct_utc_parse(s, &t) != CT_OK || t % 60 != 0 || t < 0 || t / 60 > INT32_MAX) {
        ct__reject(r, member, "expected a UTC instant YYYY-MM-DDTHH:MM:00Z");
        return CT_INVALID;
    }
    *out = (int32_t)(t / 60);
    return CT_OK;
}

ct_status ct__avs(ct__rec *r, json_t *obj, const char *member, int seats[CT_PROVIDERS_NCLASSES])
{
    const char *s = str_member(r, obj, member);
    if (s == NULL)
        return CT_INVALID;
    int seen[CT_PROVIDERS_NCLASSES] = {0};
    size_t n = strlen(s);
    int ok = n > 0 && n % 2 == 0 && n <= 2 * CT_PROVIDERS_NCLASSES;
    for (int c = 0; c < CT_PROVIDERS_NCLASSES; c++)
        seats[c] = 0;
    for (size_t i = 0; ok && i < n; i += 2) {
        int c = ct__class_index(s[i]);
        ok = c >= 0 && !seen[c] && isdigit((unsigned char)s[i + 1]);
        if (ok) {
            seen[c] = 1;
            seats[c] = s[i + 1] - '0';
        }
    }
    if (!ok) {
        ct__reject(r, member, "expected an availability text like Y9B9M4");
        return CT_INVALID;
    }
    return CT_OK;
}

ct_status ct__alliance(ct__rec *r, json_t *obj, const char *member, char out[16])
{
    json_t *v = json_object_get(obj, member);
    out[0] = '\0';
    if (v == NULL || json_is_null(v))
        return CT_OK; /* an older listing without alliances: none known */
    if (!json_is_string(v) || json_string_length(v) == 0 || json_string_length(v) >= 16) {
        ct__reject(r, member, "expected an alliance name or null");
        return CT_INVALID;
    }
    memcpy(out, json_string_value(v), json_string_length(v) + 1);
    return CT_OK;
}

ct_status ct__token(json_t *obj, const char *member, char *out, size_t len)
{
    json_t *v = json_object_get(obj, member);
    out[0] = '\0';
    if (v == NULL || json_is_null(v))
        return CT_OK;
    if (!json_is_string(v) || json_string_length(v) >= len)
        return CT_INVALID;
    memcpy(out, json_string_value(v), json_string_length(v) + 1);
    return CT_OK;
}

/* ---- the page's arrays ---- */

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

ct_status ct__push_carrier(ct_providers_page *p, const ct_providers_carrier *c)
{
    ct_providers_carrier *slot = push((void **)&p->carriers, &p->ncarriers, sizeof(*c));
    if (slot == NULL)
        return CT_NOMEM;
    *slot = *c;
    return CT_OK;
}

ct_status ct__push_rate(ct_providers_page *p, const ct_providers_rate *x)
{
    ct_providers_rate *slot = push((void **)&p->rates, &p->nrates, sizeof(*x));
    if (slot == NULL)
        return CT_NOMEM;
    *slot = *x;
    return CT_OK;
}

ct_status ct__push_fare(ct_providers_page *p, const ct_providers_fare *f)
{
    ct_providers_fare *slot = push((void **)&p->fares, &p->nfares, sizeof(*f));
    if (slot == NULL)
        return CT_NOMEM;
    *slot = *f;
    return CT_OK;
}

ct_status ct__push_seats(ct_providers_page *p, const ct_providers_seats *s)
{
    ct_providers_seats *slot = push((void **)&p->seats, &p->nseats, sizeof(*s));
    if (slot == NULL)
        return CT_NOMEM;
    *slot = *s;
    return CT_OK;
}
