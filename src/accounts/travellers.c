/* travellers.c: saved travellers, always scoped to their owner (a row of another user is
 * "not found", never "forbidden", so ids cannot be probed).
 *
 * Validation: names are 1-64 bytes of letters and combining marks (any script, by ICU's
 * general category), spaces, hyphens, apostrophes and full stops, so controls, format
 * characters (bidi overrides and isolates, zero-width characters, the BOM), symbols and emoji
 * are refused; the birth date is a real date between 1900-01-01 and today; an optional
 * nationality is an ISO alpha-2 code; an optional travel
 * document has a type (passport, id_card), a number of 5-20 capital letters and digits, an
 * issuing country (ISO alpha-2) and an expiry date after today. A user has at most
 * CT_TRAVELLERS_MAX travellers; lists come in pages (limit, offset). */
#include <ctype.h>
#include <stdio.h>
#include <string.h>
#include <unicode/uchar.h>
#include <unicode/utf8.h>

#include "accounts/accounts.h"
#include "base/text.h"
#include "base/timeutil.h"

static int valid_name(const char *s)
{
    size_t n = strlen(s);
    if (n == 0 || n > 64 || !ct_utf8_valid(s, n) || s[0] == ' ' || s[n - 1] == ' ')
        return 0;
    int letters = 0;
    int32_t i = 0, len = (int32_t)n;
    while (i < len) {
        UChar32 c;
        U8_NEXT((const uint8_t *)s, i, len, c);
        if (c < 0)
            return 0;
        if (c < 0x80 && strchr(" -'.", (int)c) != NULL)
            continue;
        /* Emoji are symbols and refused below anyway; the explicit check keeps the rule. */
        if (u_hasBinaryProperty(c, UCHAR_EMOJI_PRESENTATION))
            return 0;
        int8_t cat = u_charType(c);
        if (U_MASK(cat) & (U_GC_L_MASK | U_GC_M_MASK)) {
            letters += (U_MASK(cat) & U_GC_L_MASK) != 0;
            continue;
        }
        return 0; /* digits, controls, format (bidi, zero-width, BOM), symbols, punctuation */
    }
    return letters > 0;
}

static int valid_document_number(const char *s)
{
    size_t n = strlen(s);
    if (n < 5 || n > 20)
        return 0;
    for (size_t i = 0; i < n; i++) {
        if (!isupper((unsigned char)s[i]) && !isdigit((unsigned char)s[i]))
            return 0;
    }
    return 1;
}

static const char *str(json_t *in, const char *key)
{
    return json_string_value(json_object_get(in, key));
}

/* Two capital letters, as an ISO 3166-1 alpha-2 code is written. */
static int alpha2(const char *s)
{
    return s != NULL && strlen(s) == 2 && isupper((unsigned char)s[0]) &&
           isupper((unsigned char)s[1]);
}

/* Validates a traveller document; 1 when valid. */
static int validate(json_t *in, ct_field_error *fe)
{
    if (!json_is_object(in)) {
        ct__accounts_field_error(fe, "body", "must be a JSON object");
        return 0;
    }
    static const char *names[] = {"given_name", "family_name"};
    for (int i = 0; i < 2; i++) {
        const char *v = str(in, names[i]);
        if (v == NULL || !valid_name(v)) {
            ct__accounts_field_error(fe, names[i],
                                     "must be 1-64 letters, spaces, hyphens or apostrophes");
            return 0;
        }
    }
    int64_t today = ct__accounts_now() / 86400, day;
    const char *birth = str(in, "birth_date");
    if (birth == NULL || ct_date_parse(birth, &day) != CT_OK ||
        day < ct_days_from_civil(1900, 1, 1) || day > today) {
        ct__accounts_field_error(fe, "birth_date",
                                 "must be a date (YYYY-MM-DD) between 1900 and today");
        return 0;
    }
    json_t *g = json_object_get(in, "gender");
    if (g != NULL && !json_is_null(g) &&
        (!json_is_string(g) || strlen(json_string_value(g)) != 1 ||
         !strchr("FMX", json_string_value(g)[0]))) {
        ct__accounts_field_error(fe, "gender", "must be F, M or X");
        return 0;
    }
    json_t *nat = json_object_get(in, "nationality");
    if (nat != NULL && !json_is_null(nat) && !alpha2(json_string_value(nat))) {
        ct__accounts_field_error(fe, "nationality", "must be an ISO 3166-1 alpha-2 code");
        return 0;
    }
    json_t *doc = json_object_get(in, "document");
    if (doc == NULL || json_is_null(doc))
        return 1;
    if (!json_is_object(doc)) {
        ct__accounts_field_error(fe, "document", "must be an object");
        return 0;
    }
    const char *type = str(doc, "type"), *number = str(doc, "number");
    const char *country = str(doc, "country"), *expiry = str(doc, "expiry");
    if (type == NULL || (strcmp(type, "passport") != 0 && strcmp(type, "id_card") != 0)) {
        ct__accounts_field_error(fe, "document.type", "must be passport or id_card");
        return 0;
    }
    if (number == NULL || !valid_document_number(number)) {
        ct__accounts_field_error(fe, "document.number", "must be 5-20 capital letters and digits");
        return 0;
    }
    if (!alpha2(country)) {
        ct__accounts_field_error(fe, "document.country", "must be an ISO 3166-1 alpha-2 code");
        return 0;
    }
    if (expiry == NULL || ct_date_parse(expiry, &day) != CT_OK || day <= today) {
        ct__accounts_field_error(fe, "document.expiry", "must be a date (YYYY-MM-DD) after today");
        return 0;
    }
    return 1;
}

static json_t *row_json(ct_stmt *s)
{
    json_t *o = json_pack("{s:s, s:s, s:s, s:s, s:s?, s:s?}", "id", ct_stmt_text(s, 0),
                          "given_name", ct_stmt_text(s, 1), "family_name", ct_stmt_text(s, 2),
                          "birth_date", ct_stmt_text(s, 3), "gender", ct_stmt_text(s, 4),
                          "nationality", ct_stmt_text(s, 9));
    if (o != NULL && !ct_stmt_is_null(s, 5))
        json_object_set_new(o, "document",
                            json_pack("{s:s, s:s, s:s, s:s}", "type", ct_stmt_text(s, 5), "number",
                                      ct_stmt_text(s, 6), "country", ct_stmt_text(s, 7), "expiry",
                                      ct_stmt_text(s, 8)));
    return o;
}

#define COLUMNS                                                                                    \
    "id, given_name, family_name, birth_date, gender, document_type, document_number,"             \
    " document_country, document_expiry, nationality"

/* The number of travellers of a user. */
static ct_status count_travellers(ct_store *st, const char *user_id, int64_t *n)
{
    ct_stmt *s = NULL;
    ct_status rc = ct_store_prepare(st, "SELECT COUNT(*) FROM travellers WHERE user_id = ?", &s);
    if (rc)
        return rc;
    ct_stmt_bind_text(s, 1, user_id);
    rc = ct_stmt_step(s);
    if (rc == CT_ROW)
        *n = ct_stmt_int64(s, 0);
    ct_stmt_finalize(s);
    return rc == CT_ROW ? CT_OK : rc == CT_DONE ? CT_ERR : rc;
}

ct_status ct_travellers_list(ct_store *st, const char *user_id, int limit, int offset, json_t **out,
                             int64_t *total)
{
    ct_status rc = count_travellers(st, user_id, total);
    if (rc)
        return rc;
    ct_stmt *s = NULL;
    rc = ct_store_prepare(st,
                          "SELECT " COLUMNS " FROM travellers WHERE user_id = ?"
                          " ORDER BY created_at, id LIMIT ? OFFSET ?",
                          &s);
    if (rc)
        return rc;
    ct_stmt_bind_text(s, 1, user_id);
    ct_stmt_bind_int64(s, 2, limit > 0 ? limit : INT32_MAX);
    ct_stmt_bind_int64(s, 3, offset > 0 ? offset : 0);
    json_t *items = json_array();
    while ((rc = ct_stmt_step(s)) == CT_ROW)
        json_array_append_new(items, row_json(s));
    ct_stmt_finalize(s);
    if (rc != CT_DONE) {
        json_decref(items);
        return rc;
    }
    *out = items;
    return CT_OK;
}

ct_status ct_travellers_get(ct_store *st, const char *user_id, const char *id, json_t **out)
{
    ct_stmt *s = NULL;
    ct_status rc =
        ct_store_prepare(st, "SELECT " COLUMNS " FROM travellers WHERE id = ? AND user_id = ?", &s);
    if (rc)
        return rc;
    ct_stmt_bind_text(s, 1, id);
    ct_stmt_bind_text(s, 2, user_id);
    rc = ct_stmt_step(s);
    if (rc == CT_ROW) {
        *out = row_json(s);
        rc = *out ? CT_OK : CT_NOMEM;
    } else if (rc == CT_DONE) {
        rc = CT_NOT_FOUND;
    }
    ct_stmt_finalize(s);
    return rc;
}

/* The document fields, or NULLs. */
static void doc_fields(json_t *in, const char *out[4])
{
    json_t *doc = json_object_get(in, "document");
    out[0] = str(doc, "type");
    out[1] = str(doc, "number");
    out[2] = str(doc, "country");
    out[3] = str(doc, "expiry");
}

ct_status ct_travellers_create(ct_store *st, const char *user_id, json_t *in, ct_field_error *fe,
                               json_t **out)
{
    if (!validate(in, fe))
        return CT_INVALID;
    int64_t n = 0;
    ct_status rc = count_travellers(st, user_id, &n);
    if (rc)
        return rc;
    if (n >= CT_TRAVELLERS_MAX) {
        ct__accounts_field_error(fe, "travellers", "at most 50 travellers per account");
        return CT_CONFLICT;
    }
    char id[40], now[24];
    ct__accounts_new_id("trv", id);
    snprintf(now, sizeof(now), "%lld", (long long)ct__accounts_now());
    const char *d[4];
    doc_fields(in, d);
    const char *p[] = {id,
                       user_id,
                       str(in, "given_name"),
                       str(in, "family_name"),
                       str(in, "birth_date"),
                       str(in, "gender"),
                       d[0],
                       d[1],
                       d[2],
                       d[3],
                       now,
                       now,
                       str(in, "nationality")};
    rc = ct_store_run(st,
                      "INSERT INTO travellers (id, user_id, given_name, family_name,"
                      " birth_date, gender, document_type, document_number,"
                      " document_country, document_expiry, created_at, updated_at, nationality)"
                      " VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
                      13, p);
    return rc ? rc : ct_travellers_get(st, user_id, id, out);
}

ct_status ct_travellers_update(ct_store *st, const char *user_id, const char *id, json_t *in,
                               ct_field_error *fe, json_t **out)
{
    json_t *existing = NULL;
    ct_status rc = ct_travellers_get(st, user_id, id, &existing);
    json_decref(existing);
    if (rc)
        return rc;
    if (!validate(in, fe))
        return CT_INVALID;
    char now[24];
    snprintf(now, sizeof(now), "%lld", (long long)ct__accounts_now());
    const char *d[4];
    doc_fields(in, d);
    const char *p[] = {str(in, "given_name"),
                       str(in, "family_name"),
                       str(in, "birth_date"),
                       str(in, "gender"),
                       d[0],
                       d[1],
                       d[2],
                       d[3],
                       now,
                       str(in, "nationality"),
                       id,
                       user_id};
    rc = ct_store_run(st,
                      "UPDATE travellers SET given_name = ?, family_name = ?, birth_date = ?,"
                      " gender = ?, document_type = ?, document_number = ?,"
                      " document_country = ?, document_expiry = ?, updated_at = ?,"
                      " nationality = ? WHERE id = ? AND user_id = ?",
                      12, p);
    return rc ? rc : ct_travellers_get(st, user_id, id, out);
}

ct_status ct_travellers_delete(ct_store *st, const char *user_id, const char *id)
{
    json_t *existing = NULL;
    ct_status rc = ct_travellers_get(st, user_id, id, &existing);
    json_decref(existing);
    if (rc)
        return rc;
    const char *p[] = {id, user_id};
    return ct_store_run(st, "DELETE FROM travellers WHERE id = ? AND user_id = ?", 2, p);
}
