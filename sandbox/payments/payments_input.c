/* payments_input.c: validation of the processor's request bodies and query strings. Each
 * check names the field it rejects (card fields as "card.number" and so on) and says what is
 * expected, so an adapter developer can fix the request from the error alone. */
#define _GNU_SOURCE
#include "sandbox/payments/payments_internal.h"

#include <ctype.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* ---- input validation ---- */

static ct_status bad_input(sb_pay_input_error *e, const char *field, const char *code,
                           const char *fmt, ...) __attribute__((format(printf, 4, 5)));

static ct_status bad_input(sb_pay_input_error *e, const char *field, const char *code,
                           const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(e->message, sizeof(e->message), fmt, ap);
    va_end(ap);
    snprintf(e->field, sizeof(e->field), "%s", field);
    e->code = code;
    return CT_INVALID;
}

/* Rejects members of `obj` not in `allowed` (NULL-terminated); `prefix` ("card.") names them. */
ct_status sb__pay_only_known(json_t *obj, const char *const *allowed, const char *prefix,
                             sb_pay_input_error *e)
{
    const char *key;
    json_t *value;
    json_object_foreach(obj, key, value)
    {
        size_t i = 0;
        while (allowed[i] != NULL && strcmp(allowed[i], key) != 0)
            i++;
        if (allowed[i] == NULL) {
            char field[64];
            snprintf(field, sizeof(field), "%s%s", prefix, key);
            return bad_input(e, field, "parameter_unknown", "%s is not a known parameter", field);
        }
    }
    return CT_OK;
}

ct_status sb__pay_get_amount(json_t *obj, const char *field, int required, int64_t *out,
                             sb_pay_input_error *e)
{
    json_t *v = json_object_get(obj, field);
    if (v == NULL && !required) {
        *out = -1;
        return CT_OK;
    }
    if (v == NULL)
        return bad_input(e, field, "parameter_missing", "%s is required", field);
    if (!json_is_integer(v) || json_integer_value(v) < 1 ||
        json_integer_value(v) > SB_PAY_MAX_AMOUNT)
        return bad_input(e, field, "parameter_invalid",
                         "%s must be an integer from 1 to %lld, in minor units (cents)", field,
                         SB_PAY_MAX_AMOUNT);
    *out = json_integer_value(v);
    return CT_OK;
}

/* An optional string of at most `max` bytes; *out stays NULL when absent or null. */
ct_status sb__pay_get_text(json_t *obj, const char *field, size_t max, const char **out,
                           sb_pay_input_error *e)
{
    json_t *v = json_object_get(obj, field);
    *out = NULL;
    if (v == NULL || json_is_null(v))
        return CT_OK;
    if (!json_is_string(v) || json_string_length(v) > max)
        return bad_input(e, field, "parameter_invalid", "%s must be a string of at most %zu bytes",
                         field, max);
    *out = json_string_value(v);
    return CT_OK;
}

static int all_digits(const char *s, size_t min, size_t max)
{
    size_t n = strlen(s);
    if (n < min || n > max)
        return 0;
    for (size_t i = 0; i < n; i++) {
        if (!isdigit((unsigned char)s[i]))
            return 0;
    }
    return 1;
}

static ct_status parse_card(json_t *card, sb_pay_create *c, sb_pay_input_error *e)
{
    static const char *const allowed[] = {"number", "exp_month", "exp_year", "cvc", NULL};
    if (!json_is_object(card))
        return bad_input(e, "card", card ? "parameter_invalid" : "parameter_missing",
                         "card must be an object with number, exp_month, exp_year and cvc");
    if (sb__pay_only_known(card, allowed, "card.", e))
        return CT_INVALID;
    json_t *number = json_object_get(card, "number");
    json_t *month = json_object_get(card, "exp_month");
    json_t *year = json_object_get(card, "exp_year");
    json_t *cvc = json_object_get(card, "cvc");
    if (!json_is_string(number) || !all_digits(json_string_value(number), 12, 19) ||
        !sb__pay_luhn_valid(json_string_value(number)))
        return bad_input(e, "card.number", number ? "parameter_invalid" : "parameter_missing",
                         "card.number must be a string of 12 to 19 digits that passes the Luhn "
                         "check");
    snprintf(c->number, sizeof(c->number), "%s", json_string_value(number));
    if (!json_is_integer(month) || json_integer_value(month) < 1 || json_integer_value(month) > 12)
        return bad_input(e, "card.exp_month", month ? "parameter_invalid" : "parameter_missing",
                         "card.exp_month must be an integer from 1 to 12");
    if (!json_is_integer(year) || json_integer_value(year) < 2000 ||
        json_integer_value(year) > 2099)
        return bad_input(e, "card.exp_year", year ? "parameter_invalid" : "parameter_missing",
                         "card.exp_year must be a four-digit year from 2000 to 2099");
    c->exp_month = (int)json_integer_value(month);
    c->exp_year = (int)json_integer_value(year);
    size_t cvc_len = strcmp(sb__pay_card_brand(c->number), "amex") == 0 ? 4 : 3;
    if (!json_is_string(cvc) || !all_digits(json_string_value(cvc), cvc_len, cvc_len))
        return bad_input(e, "card.cvc", cvc ? "parameter_invalid" : "parameter_missing",
                         "card.cvc must be a string of %zu digits", cvc_len);
    return CT_OK;
}

ct_status sb__pay_parse_create(json_t *body, sb_pay_create *c, sb_pay_input_error *e)
{
    static const char *const allowed[] = {"amount",      "currency",  "card", "capture_method",
                                          "description", "reference", NULL};
    if (sb__pay_only_known(body, allowed, "", e) ||
        sb__pay_get_amount(body, "amount", 1, &c->amount, e))
        return CT_INVALID;
    json_t *cur = json_object_get(body, "currency");
    const char *cs = json_string_value(cur);
    if (cs == NULL || strlen(cs) != 3 || !isalpha((unsigned char)cs[0]) ||
        !isalpha((unsigned char)cs[1]) || !isalpha((unsigned char)cs[2]))
        return bad_input(e, "currency", cur ? "parameter_invalid" : "parameter_missing",
                         "currency must be a three-letter ISO 4217 code such as EUR");
    for (int i = 0; i < 3; i++)
        c->currency[i] = (char)toupper((unsigned char)cs[i]);
    c->currency[3] = '\0';
    if (parse_card(json_object_get(body, "card"), c, e))
        return CT_INVALID;
    json_t *cm = json_object_get(body, "capture_method");
    const char *cms = cm ? json_string_value(cm) : "automatic";
    if (cms == NULL || (strcmp(cms, "automatic") != 0 && strcmp(cms, "manual") != 0))
        return bad_input(e, "capture_method", "parameter_invalid",
                         "capture_method must be \"automatic\" or \"manual\"");
    c->manual = strcmp(cms, "manual") == 0;
    if (sb__pay_get_text(body, "description", SB_PAY_MAX_DESCRIPTION, &c->description, e) ||
        sb__pay_get_text(body, "reference", SB_PAY_MAX_REFERENCE, &c->reference, e))
        return CT_INVALID;
    return CT_OK;
}

ct_status sb__pay_parse_list(ct_http_req *req, sb_pay_list_query *q, sb_pay_input_error *e)
{
    static const char *const statuses[] = {"requires_action", "authorized", "succeeded",
                                           "failed",          "canceled",   NULL};
    const char *limit = ct_http_query(req, "limit");
    char *end = NULL;
    q->limit = limit ? strtol(limit, &end, 10) : 10;
    if (limit != NULL &&
        (*limit == '\0' || *end != '\0' || q->limit < 1 || q->limit > SB_PAY_MAX_LIST))
        return bad_input(e, "limit", "parameter_invalid", "limit must be an integer from 1 to %d",
                         SB_PAY_MAX_LIST);
    q->status = ct_http_query(req, "status");
    size_t i = 0;
    while (q->status != NULL && statuses[i] != NULL && strcmp(statuses[i], q->status) != 0)
        i++;
    if (q->status != NULL && statuses[i] == NULL)
        return bad_input(e, "status", "parameter_invalid",
                         "status must be requires_action, authorized, succeeded, failed or "
                         "canceled");
    q->reference = ct_http_query(req, "reference");
    q->starting_after = ct_http_query(req, "starting_after");
    return CT_OK;
}
