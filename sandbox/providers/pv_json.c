/* pv_json.c: typed access to request members for the provider dialects (see
 * provider_internal.h). Each accessor names the offending member by its full path in the
 * dialect's words ("PricingQuery.OriginDest[0].PaxSegment[1].Dep") so every 4xx points at
 * one field. */
#include <stdio.h>
#include <string.h>

#include "base/timeutil.h"
#include "sandbox/providers/provider_internal.h"

static void member_path(char *buf, size_t len, const char *path, const char *key)
{
    if (path == NULL || *path == '\0')
        snprintf(buf, len, "%s", key);
    else
        snprintf(buf, len, "%s.%s", path, key);
}

static const json_t *member(const json_t *obj, const char *key, const char *path, char *full,
                            size_t fulllen, pv_err *e)
{
    member_path(full, fulllen, path, key);
    const json_t *v = json_object_get(obj, key);
    if (v == NULL || json_is_null(v))
        pv_err_set(e, 400, "invalid_field", full, "required");
    return v == NULL || json_is_null(v) ? NULL : v;
}

const char *pv_get_str(const json_t *obj, const char *key, const char *path, size_t maxlen,
                       pv_err *e)
{
    char full[128];
    const json_t *v = member(obj, key, path, full, sizeof(full), e);
    if (v == NULL)
        return NULL;
    if (!json_is_string(v) || json_string_length(v) == 0 || json_string_length(v) > maxlen) {
        pv_err_set(e, 400, "invalid_field", full, "expected a string of 1 to %zu characters",
                   maxlen);
        return NULL;
    }
    return json_string_value(v);
}

ct_status pv_get_int(const json_t *obj, const char *key, const char *path, long min, long max,
                     long *out, pv_err *e)
{
    char full[128];
    const json_t *v = member(obj, key, path, full, sizeof(full), e);
    if (v == NULL)
        return CT_INVALID;
    if (!json_is_integer(v) || json_integer_value(v) < min || json_integer_value(v) > max) {
        pv_err_set(e, 400, "invalid_field", full, "expected an integer from %ld to %ld", min, max);
        return CT_INVALID;
    }
    *out = (long)json_integer_value(v);
    return CT_OK;
}

const json_t *pv_get_array(const json_t *obj, const char *key, const char *path, size_t min,
                           size_t max, pv_err *e)
{
    char full[128];
    const json_t *v = member(obj, key, path, full, sizeof(full), e);
    if (v == NULL)
        return NULL;
    if (!json_is_array(v) || json_array_size(v) < min || json_array_size(v) > max) {
        pv_err_set(e, 400, "invalid_field", full, "expected an array of %zu to %zu items", min,
                   max);
        return NULL;
    }
    return v;
}

const json_t *pv_get_object(const json_t *obj, const char *key, const char *path, pv_err *e)
{
    char full[128];
    const json_t *v = member(obj, key, path, full, sizeof(full), e);
    if (v != NULL && !json_is_object(v)) {
        pv_err_set(e, 400, "invalid_field", full, "expected an object");
        return NULL;
    }
    return v;
}

static int code_ok(const char *s, size_t min, size_t max, int letters_only)
{
    size_t n = strlen(s);
    if (n < min || n > max)
        return 0;
    for (size_t i = 0; i < n; i++) {
        int upper = s[i] >= 'A' && s[i] <= 'Z', digit = s[i] >= '0' && s[i] <= '9';
        if (!upper && (letters_only || !digit))
            return 0;
    }
    return 1;
}

static ct_status parse_number(const json_t *seg, const char *path, const pv_seg_names *n, long *out,
                              pv_err *e)
{
    if (!n->number_is_string)
        return pv_get_int(seg, n->number, path, 1, 9999, out, e);
    const char *s = pv_get_str(seg, n->number, path, 4, e);
    if (s == NULL)
        return CT_INVALID;
    char full[128];
    member_path(full, sizeof(full), path, n->number);
    long v = 0;
    for (const char *c = s; *c; c++) {
        if (*c < '0' || *c > '9') {
            pv_err_set(e, 400, "invalid_field", full, "expected 1 to 4 digits");
            return CT_INVALID;
        }
        v = v * 10 + (*c - '0');
    }
    if (v < 1) {
        pv_err_set(e, 400, "invalid_field", full, "expected a flight number from 1 to 9999");
        return CT_INVALID;
    }
    *out = v;
    return CT_OK;
}

ct_status pv_parse_seg(const json_t *seg, const char *path, const pv_seg_names *n, pv_seg_in *s,
                       pv_err *e)
{
    char full[128];
    if (!json_is_object(seg)) {
        pv_err_set(e, 400, "invalid_field", path, "expected an object");
        return CT_INVALID;
    }
    const char *carrier = pv_get_str(seg, n->carrier, path, 2, e);
    if (carrier == NULL)
        return CT_INVALID;
    if (!code_ok(carrier, 2, 2, 0)) {
        member_path(full, sizeof(full), path, n->carrier);
        pv_err_set(e, 400, "invalid_field", full, "expected a two-character airline designator");
        return CT_INVALID;
    }
    snprintf(s->carrier, sizeof(s->carrier), "%s", carrier);
    if (parse_number(seg, path, n, &s->number, e))
        return CT_INVALID;
    const char *date = pv_get_str(seg, n->date, path, 10, e);
    if (date == NULL)
        return CT_INVALID;
    if (ct_date_parse(date, &s->date) != CT_OK) {
        member_path(full, sizeof(full), path, n->date);
        pv_err_set(e, 400, "invalid_field", full, "expected a date YYYY-MM-DD");
        return CT_INVALID;
    }
    const char *names[2] = {n->origin, n->dest};
    char *dst[2] = {s->origin, s->dest};
    for (int i = 0; i < 2; i++) {
        const char *code = pv_get_str(seg, names[i], path, 3, e);
        if (code == NULL)
            return CT_INVALID;
        if (!code_ok(code, 3, 3, 1)) {
            member_path(full, sizeof(full), path, names[i]);
            pv_err_set(e, 400, "invalid_field", full, "expected a three-letter IATA airport code");
            return CT_INVALID;
        }
        memcpy(dst[i], code, 4);
    }
    return CT_OK;
}

ct_status pv_parse_pax(const json_t *arr, const char *path, const char *given, const char *family,
                       pv_pax *pax, int *npax, pv_err *e)
{
    size_t i;
    const json_t *t;
    *npax = 0;
    json_array_foreach(arr, i, t)
    {
        char at[128];
        snprintf(at, sizeof(at), "%s[%zu]", path, i);
        if (!json_is_object(t)) {
            pv_err_set(e, 400, "invalid_field", at, "expected an object");
            return CT_INVALID;
        }
        const char *g = pv_get_str(t, given, at, 60, e);
        const char *f = g ? pv_get_str(t, family, at, 60, e) : NULL;
        if (f == NULL)
            return CT_INVALID;
        snprintf(pax[i].given, sizeof(pax[i].given), "%s", g);
        snprintf(pax[i].family, sizeof(pax[i].family), "%s", f);
        (*npax)++;
    }
    return CT_OK;
}

ct_status pv_set_pax(pv_query *q, long adults, long children, long seat_infants, long lap,
                     const char *field, pv_err *e)
{
    long seats = adults + children + seat_infants;
    if (adults < 1 || seats > SB_INV_MAX_SEATS) {
        pv_err_set(e, 400, "invalid_field", field,
                   "expected at least one adult and at most %d seated passengers",
                   SB_INV_MAX_SEATS);
        return CT_INVALID;
    }
    if (lap > adults) {
        pv_err_set(e, 400, "invalid_field", field, "at most one lap infant per adult");
        return CT_INVALID;
    }
    q->pax = (int)seats;
    q->children = (int)(children + seat_infants);
    q->lap = (int)lap;
    return CT_OK;
}

/* An optional count member: absent or null is 0. */
static ct_status opt_count(const json_t *obj, const char *key, const char *path, long *out,
                           pv_err *e)
{
    *out = 0;
    if (key == NULL || json_object_get(obj, key) == NULL || json_is_null(json_object_get(obj, key)))
        return CT_OK;
    return pv_get_int(obj, key, path, 0, SB_INV_MAX_SEATS, out, e);
}

ct_status pv_get_pax_mix(const json_t *obj, const char *path, const char *children,
                         const char *seat_infants, const char *lap, pv_query *q, pv_err *e)
{
    long c = 0, s = 0, l = 0;
    if (opt_count(obj, children, path, &c, e) || opt_count(obj, seat_infants, path, &s, e) ||
        opt_count(obj, lap, path, &l, e))
        return CT_INVALID;
    char full[128];
    member_path(full, sizeof(full), path, l > q->pax && lap ? lap : children ? children : "");
    return pv_set_pax(q, q->pax, c, s, l, full, e);
}
