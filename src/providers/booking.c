/* booking.c: the generic builder and reader of the providers' offer and order documents,
 * driven by each dialect's table (booking_dialects.c).
 *
 * Requests are JSON built member by member from the table's names (ct_json_dumps, so a
 * failed allocation is CT_NOMEM and never a wrong body). Answers are read in a fixed order
 * (identity, expiry, currency, amounts, passengers, cabin, then the legs or tickets) so the
 * first bad member is the one named, whatever the dialect. A 2xx answer that is not a whole
 * valid document (the sandbox's malformed fault cuts bodies in half) is a provider failure
 * (CT_UNAVAILABLE, code "malformed", field the member at fault): the request may well have
 * taken effect, the caller retries or reads back. Any other status is an error document,
 * classified by the provider's code, or by the HTTP status when the code is unknown. */
#include <ctype.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#include "base/alloc.h"
#include "base/json.h"
#include "base/timeutil.h"
#include "providers/booking_internal.h"

static const ct__bk_dialect *const TABLES[CT_PROVIDERS_NDIALECTS] = {
    &ct__bk_ndc, &ct__bk_voyagio, &ct__bk_farefinder, &ct__bk_hopscotch};

static const ct__bk_dialect *table(int dialect)
{
    return dialect >= 0 && dialect < CT_PROVIDERS_NDIALECTS ? TABLES[dialect] : NULL;
}

const char *ct_bk_error_kind_name(ct_bk_error_kind k)
{
    static const char *names[] = {"none",         "invalid",     "not_found", "sold_out", "expired",
                                  "hold_expired", "wrong_state", "conflict",  "provider"};
    return (unsigned)k < sizeof(names) / sizeof(names[0]) ? names[k] : "?";
}

json_t *ct__bk_get(json_t *root, const char *path)
{
    json_t *v = root;
    const char *p = path;
    while (v != NULL && *p) {
        const char *dot = strchr(p, '.');
        size_t n = dot ? (size_t)(dot - p) : strlen(p);
        char seg[64];
        if (n == 0 || n >= sizeof(seg))
            return NULL;
        memcpy(seg, p, n);
        seg[n] = '\0';
        if (isdigit((unsigned char)seg[0]))
            v = json_is_array(v) ? json_array_get(v, (size_t)strtoul(seg, NULL, 10)) : NULL;
        else
            v = json_is_object(v) ? json_object_get(v, seg) : NULL;
        p += n + (dot != NULL);
    }
    return v;
}

/* ---- small checks ---- */

static int code_ok(const char *s, size_t len, int digits_ok)
{
    if (s == NULL || strlen(s) != len)
        return 0;
    for (size_t i = 0; i < len; i++) {
        if (!isupper((unsigned char)s[i]) && !(digits_ok && isdigit((unsigned char)s[i])))
            return 0;
    }
    return 1;
}

/* An id that can go into a path as it is. */
static int id_ok(const char *s, size_t max)
{
    size_t n = s ? strlen(s) : 0;
    if (n == 0 || n > max)
        return 0;
    for (size_t i = 0; i < n; i++) {
        if (!isalnum((unsigned char)s[i]) && s[i] != '-' && s[i] != '_')
            return 0;
    }
    return 1;
}

static int text_ok(const char *s, size_t max)
{
    return s != NULL && s[0] != '\0' && strlen(s) <= max;
}

/* ---- building requests ---- */

/* Sets obj[key] = v (stolen); -1 when anything is NULL or the set fails. */
static int put(json_t *obj, const char *key, json_t *v)
{
    if (obj == NULL || v == NULL) {
        json_decref(v);
        return -1;
    }
    return json_object_set_new(obj, key, v);
}

static int append(json_t *arr, json_t *v)
{
    if (arr == NULL || v == NULL) {
        json_decref(v);
        return -1;
    }
    return json_array_append_new(arr, v);
}

static ct_status finish(json_t *doc, int bad, const char *method, ct_bk_request *out)
{
    char *text = NULL;
    ct_status rc = bad ? CT_NOMEM : ct_json_dumps(doc, JSON_COMPACT | JSON_PRESERVE_ORDER, &text);
    json_decref(doc);
    if (rc)
        return rc == CT_INVALID ? CT_NOMEM : rc;
    out->method = method;
    out->body = text;
    return CT_OK;
}

static int leg_ok(const ct_bk_leg *l, int prev_slice)
{
    return code_ok(l->carrier, 2, 1) && l->number >= 1 && l->number <= 9999 &&
           code_ok(l->from, 3, 0) && code_ok(l->to, 3, 0) && l->dep_date >= 0 &&
           l->dep_date < 2932897 /* 9999-12-31 */ &&
           (prev_slice < 0 ? l->slice == 0 : l->slice == prev_slice || l->slice == prev_slice + 1);
}

static json_t *segment(const ct__bk_dialect *d, const ct_bk_leg *l)
{
    char date[16], number[8];
    ct_date_format(l->dep_date, date, sizeof(date));
    snprintf(number, sizeof(number), "%d", l->number);
    json_t *s = json_object();
    int bad = 0;
    if (d->offer_req.slice != NULL)
        bad |= put(s, d->offer_req.slice, json_integer(l->slice));
    bad |= put(s, d->seg.carrier, json_string(l->carrier));
    bad |= put(s, d->seg.number,
               d->seg.number_is_text ? json_string(number) : json_integer(l->number));
    bad |= put(s, d->seg.date, json_string(date));
    bad |= put(s, d->seg.origin, json_string(l->from));
    bad |= put(s, d->seg.dest, json_string(l->to));
    if (bad) {
        json_decref(s);
        return NULL;
    }
    return s;
}

static const char *const CABIN_WORDS[CT_BK_NCABINS] = {"economy", "business", "premium_economy",
                                                       "first"};

const char *ct_bk_cabin_name(ct_bk_cabin c)
{
    return (int)c >= 0 && c < CT_BK_NCABINS ? CABIN_WORDS[c] : "economy";
}

int ct_bk_cabin_parse(const char *name, ct_bk_cabin *out)
{
    for (int c = 0; name != NULL && c < CT_BK_NCABINS; c++) {
        if (strcmp(name, CABIN_WORDS[c]) == 0) {
            *out = (ct_bk_cabin)c;
            return 0;
        }
    }
    return -1;
}

ct_status ct_bk_offer_request(int dialect, const ct_bk_leg *legs, int nlegs, int pax,
                              ct_bk_cabin cabin, ct_bk_request *out)
{
    const ct__bk_dialect *d = table(dialect);
    if (d == NULL || legs == NULL || out == NULL || nlegs < 1 || nlegs > CT_BK_MAX_LEGS ||
        pax < 1 || pax > CT_BK_MAX_PAX || (int)cabin < 0 || cabin >= CT_BK_NCABINS)
        return CT_INVALID;
    for (int i = 0; i < nlegs; i++) {
        if (!leg_ok(&legs[i], i ? legs[i - 1].slice : -1))
            return CT_INVALID;
    }
    memset(out, 0, sizeof(*out));
    json_t *doc = json_object(), *q = doc;
    int bad = doc == NULL;
    if (d->offer_req.wrapper != NULL) {
        q = json_object();
        bad |= put(doc, d->offer_req.wrapper, json_incref(q));
    }
    json_t *segs = NULL, *slices = NULL;
    if (d->offer_req.slices != NULL) {
        slices = json_array();
        bad |= put(q, d->offer_req.slices, json_incref(slices));
    } else {
        segs = json_array();
        bad |= put(q, d->offer_req.segs, json_incref(segs));
    }
    for (int i = 0; i < nlegs && !bad; i++) {
        if (slices != NULL && (i == 0 || legs[i].slice != legs[i - 1].slice)) {
            json_t *slice = json_object();
            json_decref(segs);
            segs = json_array();
            bad |= put(slice, d->offer_req.segs, json_incref(segs));
            bad |= append(slices, slice);
        }
        bad |= append(segs, segment(d, &legs[i]));
    }
    if (d->offer_req.pax != NULL) {
        bad |= put(q, d->offer_req.pax, json_integer(pax));
    } else {
        json_t *list = json_array();
        for (int i = 0; i < pax; i++)
            bad |= append(list, json_pack("{s:s}", d->offer_req.ptc, "ADT"));
        bad |= put(q, d->offer_req.pax_list, list);
    }
    bad |= put(q, d->offer_req.cabin, json_string(d->cabins[cabin]));
    json_decref(segs);
    json_decref(slices);
    if (q != doc)
        json_decref(q);
    snprintf(out->path, sizeof(out->path), "%s", d->offer_req.path);
    return finish(doc, bad, "POST", out);
}

ct_status ct_bk_order_create_request(int dialect, const char *offer_id, const ct_bk_pax *pax,
                                     int npax, const char *idempotency_key, ct_bk_request *out)
{
    const ct__bk_dialect *d = table(dialect);
    if (d == NULL || out == NULL || !text_ok(offer_id, 1023) || pax == NULL || npax < 1 ||
        npax > CT_BK_MAX_PAX || (idempotency_key != NULL && !text_ok(idempotency_key, 64)) ||
        (d->order_req.idem_member != NULL && idempotency_key == NULL))
        return CT_INVALID;
    for (int i = 0; i < npax; i++) {
        if (pax[i].given[0] == '\0' || pax[i].family[0] == '\0' ||
            memchr(pax[i].given, '\0', sizeof(pax[i].given)) == NULL ||
            memchr(pax[i].family, '\0', sizeof(pax[i].family)) == NULL ||
            memchr(pax[i].ptc, '\0', sizeof(pax[i].ptc)) == NULL)
            return CT_INVALID;
    }
    memset(out, 0, sizeof(*out));
    json_t *doc = json_object(), *list = json_array();
    int bad = put(doc, d->order_req.offer, json_string(offer_id));
    if (d->order_req.idem_member != NULL)
        bad |= put(doc, d->order_req.idem_member, json_string(idempotency_key));
    for (int i = 0; i < npax; i++) {
        json_t *p = json_object();
        if (d->order_req.ptc != NULL)
            bad |= put(p, d->order_req.ptc, json_string(pax[i].ptc[0] ? pax[i].ptc : "ADT"));
        bad |= put(p, d->order_req.given, json_string(pax[i].given)); /* NULL: not UTF-8 */
        bad |= put(p, d->order_req.family, json_string(pax[i].family));
        bad |= append(list, p);
    }
    bad |= put(doc, d->order_req.pax, list);
    if (bad) {
        json_decref(doc);
        return CT_INVALID; /* a name that is not UTF-8 (or out of memory) */
    }
    snprintf(out->path, sizeof(out->path), "%s", d->order_req.path);
    out->idempotency_header = d->order_req.idem_member == NULL && idempotency_key != NULL;
    return finish(doc, 0, "POST", out);
}

ct_status ct_bk_order_op_request(int dialect, ct_bk_order_op op, const char *order_id,
                                 const char *payment_ref, ct_bk_request *out)
{
    const ct__bk_dialect *d = table(dialect);
    if (d == NULL || out == NULL || (unsigned)op > CT_BK_OP_REFUND || !id_ok(order_id, 63) ||
        (op == CT_BK_OP_TICKET && !text_ok(payment_ref, 90)))
        return CT_INVALID;
    memset(out, 0, sizeof(*out));
    snprintf(out->path, sizeof(out->path), "%s/%s%s", d->order_req.path, order_id,
             d->order_req.op[op]);
    if (op == CT_BK_OP_READ) {
        out->method = "GET";
        return CT_OK;
    }
    json_t *doc = json_object();
    int bad = doc == NULL;
    if (op == CT_BK_OP_TICKET)
        bad |= put(doc, d->order_req.payment, json_string(payment_ref));
    return finish(doc, bad, "POST", out);
}

void ct_bk_request_free(ct_bk_request *r)
{
    if (r == NULL)
        return;
    ct_free(r->body);
    memset(r, 0, sizeof(*r));
}

/* ---- errors ---- */

static ct_status kind_status(ct_bk_error_kind k)
{
    switch (k) {
    case CT_BK_ERR_NONE:
        return CT_OK;
    case CT_BK_ERR_INVALID:
        return CT_INVALID;
    case CT_BK_ERR_NOT_FOUND:
        return CT_NOT_FOUND;
    case CT_BK_ERR_PROVIDER:
        return CT_UNAVAILABLE;
    default:
        return CT_CONFLICT;
    }
}

static ct_status fail(ct_bk_error *err, ct_bk_error_kind kind, int http, const char *code,
                      const char *field, const char *fmt, ...)
    __attribute__((format(printf, 6, 7)));

static ct_status fail(ct_bk_error *err, ct_bk_error_kind kind, int http, const char *code,
                      const char *field, const char *fmt, ...)
{
    err->kind = kind;
    err->http = http;
    snprintf(err->code, sizeof(err->code), "%s", code);
    snprintf(err->field, sizeof(err->field), "%s", field ? field : "");
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(err->message, sizeof(err->message), fmt, ap);
    va_end(ap);
    return kind_status(kind);
}

/* The providers' codes, lower case. */
static const struct {
    const char *code;
    ct_bk_error_kind kind;
} CODES[] = {
    {"invalid_field", CT_BK_ERR_INVALID},
    {"validation_failed", CT_BK_ERR_INVALID},
    {"invalid_request", CT_BK_ERR_INVALID},
    {"not_found", CT_BK_ERR_NOT_FOUND},
    {"sold_out", CT_BK_ERR_SOLD_OUT},
    {"offer_expired", CT_BK_ERR_EXPIRED},
    {"quote_expired", CT_BK_ERR_EXPIRED},
    {"hold_expired", CT_BK_ERR_HOLD_EXPIRED},
    {"wrong_state", CT_BK_ERR_WRONG_STATE},
    {"idempotency_conflict", CT_BK_ERR_CONFLICT},
    {"duplicate_reference", CT_BK_ERR_CONFLICT},
    {"payment_mismatch", CT_BK_ERR_CONFLICT},
    {"unavailable", CT_BK_ERR_PROVIDER},
    {"internal", CT_BK_ERR_PROVIDER},
    {"timeout", CT_BK_ERR_PROVIDER},
};

static ct_bk_error_kind kind_of_status(int http)
{
    if (http >= 500 || http == 408 || http == 429 || http < 400)
        return CT_BK_ERR_PROVIDER;
    if (http == 404)
        return CT_BK_ERR_NOT_FOUND;
    if (http == 409)
        return CT_BK_ERR_CONFLICT;
    if (http == 410)
        return CT_BK_ERR_EXPIRED;
    return CT_BK_ERR_INVALID;
}

static const char *str_at(json_t *doc, const char *path)
{
    return path ? json_string_value(ct__bk_get(doc, path)) : NULL;
}

/* A non-2xx answer: the dialect's error document, classified. */
static ct_status parse_error(const ct__bk_dialect *d, int http, json_t *doc, ct_bk_error *err)
{
    const char *code = str_at(doc, d->error.code);
    const char *type = str_at(doc, d->error.type);
    if ((code == NULL || code[0] == '\0') && type != NULL && strrchr(type, '/') != NULL)
        code = strrchr(type, '/') + 1;
    char lower[48] = "";
    for (size_t i = 0; code != NULL && code[i] && i + 1 < sizeof(lower); i++)
        lower[i] = (char)tolower((unsigned char)code[i]);
    ct_bk_error_kind kind = kind_of_status(http);
    int known = 0;
    for (size_t i = 0; i < sizeof(CODES) / sizeof(CODES[0]) && !known; i++) {
        if (strcmp(lower, CODES[i].code) == 0) {
            known = 1;
            if (http < 500 && http >= 400) /* a 5xx is the provider's failure, whatever it says */
                kind = CODES[i].kind;
        }
    }
    if (lower[0] == '\0' || (!known && strlen(lower) > 40))
        snprintf(lower, sizeof(lower), "http_%d", http);
    const char *message = str_at(doc, d->error.message);
    return fail(err, kind, http, lower, str_at(doc, d->error.field), "%s",
                message && message[0] ? message : "the provider refused the request");
}

/* Loads the body. CT_OK with the document (an object); otherwise *err is filled: an error
 * answer without a readable document is classified by its status, a 2xx one is malformed. */
static ct_status load(const ct__bk_dialect *d, int http, const char *body, size_t len, json_t **doc,
                      ct_bk_error *err)
{
    *doc = NULL;
    memset(err, 0, sizeof(*err));
    if (d == NULL)
        return fail(err, CT_BK_ERR_INVALID, http, "unknown_dialect", "", "unknown dialect");
    json_error_t jerr;
    ct_status rc = ct_json_loadb(body ? body : "", body ? len : 0, 0, doc, &jerr);
    if (rc == CT_NOMEM) {
        fail(err, CT_BK_ERR_PROVIDER, http, "out_of_memory", "", "out of memory");
        return CT_NOMEM;
    }
    int ok2xx = http >= 200 && http < 300;
    if (rc != CT_OK || !json_is_object(*doc)) {
        json_decref(*doc);
        *doc = NULL;
        if (ok2xx)
            return fail(err, CT_BK_ERR_PROVIDER, http, "malformed", "",
                        "the answer is not a JSON object (%s)", rc ? jerr.text : "another type");
        char code[16];
        snprintf(code, sizeof(code), "http_%d", http);
        return fail(err, kind_of_status(http), http, code, "",
                    "HTTP %d without a readable error document", http);
    }
    if (!ok2xx) {
        ct_status e = parse_error(d, http, *doc, err);
        json_decref(*doc);
        *doc = NULL;
        return e;
    }
    return CT_OK;
}

/* ---- reading answers ---- */

/* A reader of one document: the document's root path for the fields it names. */
typedef struct rd {
    const ct__bk_dialect *d;
    ct_bk_error *err;
    int http;
    const char *root; /* "PricedOffer" or "" */
} rd;

static ct_status bad(rd *r, const char *path, const char *member, const char *message)
{
    char field[128];
    snprintf(field, sizeof(field), "%s%s%s%s%s", r->root, r->root[0] && path[0] ? "." : "", path,
             (r->root[0] || path[0]) && member[0] ? "." : "", member);
    return fail(r->err, CT_BK_ERR_PROVIDER, r->http, "malformed", field, "%s", message);
}

static int get_str(json_t *obj, const char *member, size_t max, const char **out)
{
    json_t *v = ct__bk_get(obj, member);
    if (!json_is_string(v) || json_string_length(v) == 0 || json_string_length(v) > max ||
        strlen(json_string_value(v)) != json_string_length(v))
        return -1;
    *out = json_string_value(v);
    return 0;
}

static int get_instant(json_t *obj, const char *member, int64_t *out)
{
    const char *s;
    ct_utc t;
    if (get_str(obj, member, 40, &s) || ct_utc_parse(s, &t) != CT_OK)
        return -1;
    *out = t;
    return 0;
}

static int get_int(json_t *obj, const char *member, long lo, long hi, long *out)
{
    json_t *v = ct__bk_get(obj, member);
    if (!json_is_integer(v) || json_integer_value(v) < lo || json_integer_value(v) > hi)
        return -1;
    *out = (long)json_integer_value(v);
    return 0;
}

static int get_currency(json_t *obj, const char *member, char out[4])
{
    const char *s;
    if (get_str(obj, member, 3, &s) || !code_ok(s, 3, 0))
        return -1;
    memcpy(out, s, 4);
    return 0;
}

/* One leg of an answer at `path`. */
static ct_status read_leg(rd *r, json_t *x, const char *path, int slice, int digits, ct_bk_leg *l)
{
    const ct__bk_seg_names *n = &r->d->seg;
    const char *s;
    long v;
    int64_t day;
    memset(l, 0, sizeof(*l));
    l->slice = slice;
    if (!json_is_object(x))
        return bad(r, path, "", "expected an object");
    if (get_str(x, n->carrier, 2, &s) || !code_ok(s, 2, 1))
        return bad(r, path, n->carrier, "expected a carrier designator");
    memcpy(l->carrier, s, 3);
    if (n->number_is_text) {
        int ok = get_str(x, n->number, 4, &s) == 0;
        v = 0;
        for (const char *c = ok ? s : ""; ok && *c; c++) {
            ok = isdigit((unsigned char)*c);
            v = v * 10 + (*c - '0');
        }
        if (!ok || v < 1)
            return bad(r, path, n->number, "expected a flight number as digits");
    } else if (get_int(x, n->number, 1, 9999, &v)) {
        return bad(r, path, n->number, "expected a flight number from 1 to 9999");
    }
    l->number = (int)v;
    if (get_str(x, n->date, 10, &s) || ct_date_parse(s, &day) != CT_OK || day < 0 ||
        day > INT32_MAX)
        return bad(r, path, n->date, "expected a date YYYY-MM-DD");
    l->dep_date = (int32_t)day;
    if (get_str(x, n->origin, 3, &s) || !code_ok(s, 3, 0))
        return bad(r, path, n->origin, "expected an airport code");
    memcpy(l->from, s, 4);
    if (get_str(x, n->dest, 3, &s) || !code_ok(s, 3, 0))
        return bad(r, path, n->dest, "expected an airport code");
    memcpy(l->to, s, 4);
    if (get_instant(x, n->dep, &l->dep_utc))
        return bad(r, path, n->dep, "expected a UTC instant");
    if (get_instant(x, n->arr, &l->arr_utc))
        return bad(r, path, n->arr, "expected a UTC instant");
    if (get_str(x, n->rbd, 1, &s) || !isupper((unsigned char)s[0]))
        return bad(r, path, n->rbd, "expected a booking class");
    l->rbd[0] = s[0];
    l->amount_minor = -1;
    json_t *price = ct__bk_get(x, n->price);
    if (price != NULL && r->d->amount(price, digits, &l->amount_minor))
        return bad(r, path, n->price, "expected an amount in the currency's decimals");
    return CT_OK;
}

/* The legs of an offer under `obj`: slices of segments, or one flat list with a slice
 * member. */
static ct_status read_legs(rd *r, json_t *obj, int digits, ct_bk_offer *out)
{
    const ct__bk_dialect *d = r->d;
    char path[96];
    out->nlegs = 0;
    if (d->offer.slices != NULL) {
        json_t *slices = json_object_get(obj, d->offer.slices);
        if (!json_is_array(slices) || json_array_size(slices) == 0)
            return bad(r, "", d->offer.slices, "expected a non-empty array");
        for (size_t s = 0; s < json_array_size(slices); s++) {
            snprintf(path, sizeof(path), "%s.%zu", d->offer.slices, s);
            json_t *segs = json_object_get(json_array_get(slices, s), d->offer.segs);
            if (!json_is_array(segs) || json_array_size(segs) == 0)
                return bad(r, path, d->offer.segs, "expected a non-empty array");
            for (size_t g = 0; g < json_array_size(segs); g++) {
                if (out->nlegs == CT_BK_MAX_LEGS)
                    return bad(r, path, d->offer.segs, "too many legs");
                char lp[128];
                snprintf(lp, sizeof(lp), "%s.%s.%zu", path, d->offer.segs, g);
                ct_status rc = read_leg(r, json_array_get(segs, g), lp, (int)s, digits,
                                        &out->legs[out->nlegs]);
                if (rc)
                    return rc;
                out->nlegs++;
            }
        }
        return CT_OK;
    }
    json_t *segs = json_object_get(obj, d->offer.segs);
    if (!json_is_array(segs) || json_array_size(segs) == 0)
        return bad(r, "", d->offer.segs, "expected a non-empty array");
    if (json_array_size(segs) > CT_BK_MAX_LEGS)
        return bad(r, "", d->offer.segs, "too many legs");
    for (size_t g = 0; g < json_array_size(segs); g++) {
        json_t *x = json_array_get(segs, g);
        long slice;
        snprintf(path, sizeof(path), "%s.%zu", d->offer.segs, g);
        int prev = g ? out->legs[g - 1].slice : -1;
        if (get_int(x, d->offer.slice, 0, CT_BK_MAX_LEGS, &slice) ||
            (g == 0 ? slice != 0 : slice != prev && slice != prev + 1))
            return bad(r, path, d->offer.slice, "expected the slices in order from 0");
        ct_status rc = read_leg(r, x, path, (int)slice, digits, &out->legs[g]);
        if (rc)
            return rc;
        out->nlegs++;
    }
    return CT_OK;
}

ct_status ct_bk_offer_parse(int dialect, int http_status, const char *body, size_t len,
                            ct_bk_offer *out, ct_bk_error *err)
{
    const ct__bk_dialect *d = table(dialect);
    json_t *doc;
    ct_status rc = load(d, http_status, body, len, &doc, err);
    if (rc)
        return rc;
    memset(out, 0, sizeof(*out));
    rd r = {d, err, http_status, d->offer.root ? d->offer.root : ""};
    json_t *o = d->offer.root ? json_object_get(doc, d->offer.root) : doc;
    const char *s;
    long pax;
    if (!json_is_object(o)) {
        rc = bad(&r, "", "", "expected an object");
        goto cleanup;
    }
    if (get_str(o, d->offer.id, sizeof(out->id) - 1, &s)) {
        rc = bad(&r, "", d->offer.id, "expected the offer id");
        goto cleanup;
    }
    memcpy(out->id, s, strlen(s) + 1);
    if (get_instant(o, d->offer.expires, &out->expires_at)) {
        rc = bad(&r, "", d->offer.expires, "expected a UTC instant");
        goto cleanup;
    }
    if (get_currency(o, d->offer.currency, out->currency)) {
        rc = bad(&r, "", d->offer.currency, "expected a currency code");
        goto cleanup;
    }
    out->digits = ct_providers_minor_digits(out->currency);
    if (d->amount(ct__bk_get(o, d->offer.total), out->digits, &out->total_minor)) {
        rc = bad(&r, "", d->offer.total, "expected an amount in the currency's decimals");
        goto cleanup;
    }
    if (get_int(o, d->offer.pax, 1, CT_BK_MAX_PAX, &pax)) {
        rc = bad(&r, "", d->offer.pax, "expected 1 to 9 passengers");
        goto cleanup;
    }
    out->pax = (int)pax;
    if (d->offer.fee != NULL) {
        if (d->amount(ct__bk_get(o, d->offer.fee), out->digits, &out->fee_minor)) {
            rc = bad(&r, "", d->offer.fee, "expected an amount in the currency's decimals");
            goto cleanup;
        }
        if (d->offer.fee_per_pax)
            out->fee_minor *= out->pax;
        if (out->fee_minor > out->total_minor) {
            rc = bad(&r, "", d->offer.fee, "the fees exceed the total");
            goto cleanup;
        }
    }
    int cabin = -1;
    if (!get_str(o, d->offer.cabin, 16, &s)) {
        for (int c = 0; c < CT_BK_NCABINS && cabin < 0; c++)
            cabin = strcmp(s, d->cabins[c]) == 0 ? c : -1;
    }
    if (cabin < 0) {
        rc = bad(&r, "", d->offer.cabin, "expected a cabin");
        goto cleanup;
    }
    out->cabin = (ct_bk_cabin)cabin;
    rc = read_legs(&r, o, out->digits, out);
    if (rc)
        goto cleanup;
    if (d->offer.self_transfers != NULL) {
        json_t *st = json_object_get(o, d->offer.self_transfers);
        if (st != NULL && !json_is_array(st)) {
            rc = bad(&r, "", d->offer.self_transfers, "expected an array");
            goto cleanup;
        }
        out->self_transfer = json_array_size(st) > 0;
    }
cleanup:
    json_decref(doc);
    return rc;
}

ct_status ct_bk_order_parse(int dialect, int http_status, const char *body, size_t len,
                            ct_bk_order *out, ct_bk_error *err)
{
    const ct__bk_dialect *d = table(dialect);
    json_t *doc;
    ct_status rc = load(d, http_status, body, len, &doc, err);
    if (rc)
        return rc;
    memset(out, 0, sizeof(*out));
    rd r = {d, err, http_status, d->order.root};
    json_t *o = json_object_get(doc, d->order.root);
    const char *s;
    int digits;
    if (!json_is_object(o)) {
        rc = bad(&r, "", "", "expected an object");
        goto cleanup;
    }
    if (get_str(o, d->order.id, sizeof(out->id) - 1, &s)) {
        rc = bad(&r, "", d->order.id, "expected the order id");
        goto cleanup;
    }
    memcpy(out->id, s, strlen(s) + 1);
    int st = -1;
    for (int i = 0; i < 5 && get_str(o, d->order.status, 32, &s) == 0; i++) {
        if (strcmp(s, d->order.statuses[i]) == 0)
            st = i;
    }
    if (st < 0) {
        rc = bad(&r, "", d->order.status, "expected an order status");
        goto cleanup;
    }
    out->status = (ct_bk_order_status)st;
    if (out->status == CT_BK_HELD && get_instant(o, d->order.hold_until, &out->hold_until)) {
        rc = bad(&r, "", d->order.hold_until, "expected a UTC instant");
        goto cleanup;
    }
    if (get_currency(o, d->order.currency, out->currency)) {
        rc = bad(&r, "", d->order.currency, "expected a currency code");
        goto cleanup;
    }
    digits = ct_providers_minor_digits(out->currency);
    if (d->amount(ct__bk_get(o, d->order.total), digits, &out->total_minor)) {
        rc = bad(&r, "", d->order.total, "expected an amount in the currency's decimals");
        goto cleanup;
    }
    if (d->amount(ct__bk_get(o, d->order.offered), digits, &out->offered_total_minor)) {
        rc = bad(&r, "", d->order.offered, "expected an amount in the currency's decimals");
        goto cleanup;
    }
    json_t *pc = json_object_get(o, d->order.price_changed);
    if (!json_is_boolean(pc)) {
        rc = bad(&r, "", d->order.price_changed, "expected true or false");
        goto cleanup;
    }
    out->price_changed = json_is_true(pc);
    json_t *tickets = json_object_get(o, d->order.tickets);
    if (tickets != NULL && !json_is_null(tickets) && !json_is_array(tickets)) {
        rc = bad(&r, "", d->order.tickets, "expected an array");
        goto cleanup;
    }
    if (json_array_size(tickets) > sizeof(out->tickets) / sizeof(out->tickets[0])) {
        rc = bad(&r, "", d->order.tickets, "too many tickets");
        goto cleanup;
    }
    for (size_t i = 0; i < json_array_size(tickets); i++) {
        char path[64];
        snprintf(path, sizeof(path), "%s.%zu", d->order.tickets, i);
        int ok = get_str(json_array_get(tickets, i), d->order.ticket_number,
                         sizeof(out->tickets[0]) - 1, &s) == 0;
        for (const char *c = ok ? s : ""; ok && *c; c++)
            ok = isdigit((unsigned char)*c);
        if (!ok) {
            rc = bad(&r, path, d->order.ticket_number, "expected a ticket number");
            goto cleanup;
        }
        memcpy(out->tickets[out->ntickets++], s, strlen(s) + 1);
    }
    json_t *refund = ct__bk_get(o, d->order.refund);
    if (refund != NULL && d->amount(refund, digits, &out->refund_minor)) {
        rc = bad(&r, "", d->order.refund, "expected an amount in the currency's decimals");
        goto cleanup;
    }
cleanup:
    json_decref(doc);
    return rc;
}
