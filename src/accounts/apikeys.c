/* apikeys.c: partner API keys.
 *
 * A key reads "ck_<prefix>_<secret>": the 8-character prefix is stored in clear so owners can
 * tell their keys apart, the whole key only as SHA-256 (a 256-bit random secret needs no slow
 * hash). Keys carry scopes from a fixed list and their own rate limit; revocation is
 * immediate because every request looks the key up. The dispatcher refuses a key on a route
 * whose scope it lacks (api/routes.c). A user has at most CT_APIKEYS_MAX active keys; lists
 * come in pages (limit, offset). */
#include <stdio.h>
#include <string.h>

#include "accounts/accounts.h"
#include "base/text.h"

static const char *known_scopes[] = {"search", "offers", "bookings", "prices", "webhooks"};

/* Joins validated scopes into out ("search offers"); 0 on an unknown or duplicate scope. */
static int collect_scopes(json_t *arr, char *out, size_t len)
{
    out[0] = '\0';
    if (!json_is_array(arr) || json_array_size(arr) == 0 || json_array_size(arr) > 5)
        return 0;
    size_t i;
    json_t *v;
    json_array_foreach(arr, i, v)
    {
        const char *s = json_string_value(v);
        int known = 0;
        for (size_t k = 0; s != NULL && k < sizeof(known_scopes) / sizeof(known_scopes[0]); k++)
            known |= strcmp(s, known_scopes[k]) == 0;
        if (!known || strstr(out, s) != NULL)
            return 0;
        if (out[0])
            strncat(out, " ", len - strlen(out) - 1);
        strncat(out, s, len - strlen(out) - 1);
    }
    return 1;
}

ct_status ct_apikeys_create(ct_store *st, const char *user_id, json_t *in, const char *ip,
                            ct_field_error *fe, json_t **out)
{
    const char *name = json_string_value(json_object_get(in, "name"));
    if (name == NULL || strlen(name) == 0 || strlen(name) > 64 ||
        !ct_utf8_valid(name, strlen(name))) {
        ct__accounts_field_error(fe, "name", "must be 1-64 characters");
        return CT_INVALID;
    }
    char scopes[160];
    if (!collect_scopes(json_object_get(in, "scopes"), scopes, sizeof(scopes))) {
        ct__accounts_field_error(
            fe, "scopes",
            "must list 1-5 distinct scopes of search, offers, bookings, prices, webhooks");
        return CT_INVALID;
    }
    json_t *r = json_object_get(in, "rate_per_minute");
    json_int_t rate = r == NULL ? 600 : json_integer_value(r);
    if (r != NULL && (!json_is_integer(r) || rate < 1 || rate > 100000)) {
        ct__accounts_field_error(fe, "rate_per_minute", "must be an integer from 1 to 100000");
        return CT_INVALID;
    }
    int64_t active = 0;
    ct_stmt *s = NULL;
    ct_status rc = ct_store_prepare(
        st, "SELECT COUNT(*) FROM api_keys WHERE user_id = ? AND revoked_at IS NULL", &s);
    if (rc)
        return rc;
    ct_stmt_bind_text(s, 1, user_id);
    rc = ct_stmt_step(s);
    if (rc == CT_ROW)
        active = ct_stmt_int64(s, 0);
    ct_stmt_finalize(s);
    if (rc != CT_ROW)
        return rc == CT_DONE ? CT_ERR : rc;
    if (active >= CT_APIKEYS_MAX) {
        ct__accounts_field_error(fe, "api_keys",
                                 "at most 20 active keys per account: revoke one first");
        return CT_CONFLICT;
    }
    char id[40], secret[64], prefix[9], key[96], hash[65], now[24], rate_s[24];
    ct__accounts_new_id("key", id);
    ct__accounts_new_token(secret);
    memcpy(prefix, id + 4, 8);
    prefix[8] = '\0';
    snprintf(key, sizeof(key), "ck_%s_%s", prefix, secret);
    ct__accounts_sha256_hex(key, hash);
    snprintf(now, sizeof(now), "%lld", (long long)ct__accounts_now());
    snprintf(rate_s, sizeof(rate_s), "%lld", (long long)rate);
    const char *p[] = {id, user_id, name, prefix, hash, scopes, rate_s, now};
    rc = ct_store_run(st,
                      "INSERT INTO api_keys (id, user_id, name, prefix, key_hash,"
                      " scopes, rate_per_minute, created_at)"
                      " VALUES (?, ?, ?, ?, ?, ?, ?, ?)",
                      8, p);
    if (rc)
        return rc;
    ct_security_log(st, user_id, "api_key_created", NULL, ip, id);
    *out = json_pack("{s:s, s:s, s:s, s:s, s:s, s:I, s:I}", "id", id, "name", name, "prefix",
                     prefix, "key", key, "scopes", scopes, "rate_per_minute", rate, "created_at",
                     (json_int_t)ct__accounts_now());
    return *out ? CT_OK : CT_NOMEM;
}

int ct_apikeys_has_scope(const char *scopes, const char *scope)
{
    size_t n = strlen(scope);
    for (const char *p = scopes; p != NULL && *p;) {
        size_t w = strcspn(p, " ");
        if (w == n && strncmp(p, scope, n) == 0)
            return 1;
        p += w;
        p += *p == ' ';
    }
    return 0;
}

ct_status ct_apikeys_list(ct_store *st, const char *user_id, int limit, int offset, json_t **out,
                          int64_t *total)
{
    ct_stmt *s = NULL;
    ct_status rc = ct_store_prepare(st, "SELECT COUNT(*) FROM api_keys WHERE user_id = ?", &s);
    if (rc)
        return rc;
    ct_stmt_bind_text(s, 1, user_id);
    rc = ct_stmt_step(s);
    if (rc == CT_ROW)
        *total = ct_stmt_int64(s, 0);
    ct_stmt_finalize(s);
    if (rc != CT_ROW)
        return rc == CT_DONE ? CT_ERR : rc;
    rc = ct_store_prepare(st,
                          "SELECT id, name, prefix, scopes, rate_per_minute, created_at,"
                          " last_used_at, revoked_at FROM api_keys WHERE user_id = ?"
                          " ORDER BY created_at, id LIMIT ? OFFSET ?",
                          &s);
    if (rc)
        return rc;
    ct_stmt_bind_text(s, 1, user_id);
    ct_stmt_bind_int64(s, 2, limit > 0 ? limit : INT32_MAX);
    ct_stmt_bind_int64(s, 3, offset > 0 ? offset : 0);
    json_t *items = json_array();
    while ((rc = ct_stmt_step(s)) == CT_ROW) {
        json_t *o = json_pack("{s:s, s:s, s:s, s:s, s:I, s:I, s:b}", "id", ct_stmt_text(s, 0),
                              "name", ct_stmt_text(s, 1), "prefix", ct_stmt_text(s, 2), "scopes",
                              ct_stmt_text(s, 3), "rate_per_minute",
                              (json_int_t)ct_stmt_int64(s, 4), "created_at",
                              (json_int_t)ct_stmt_int64(s, 5), "revoked", !ct_stmt_is_null(s, 7));
        json_array_append_new(items, o);
    }
    ct_stmt_finalize(s);
    if (rc != CT_DONE) {
        json_decref(items);
        return rc;
    }
    *out = items;
    return CT_OK;
}

ct_status ct_apikeys_revoke(ct_store *st, const char *user_id, const char *id, const char *ip)
{
    char now[24];
    snprintf(now, sizeof(now), "%lld", (long long)ct__accounts_now());
    ct_stmt *s = NULL;
    ct_status rc = ct_store_prepare(st,
                                    "UPDATE api_keys SET revoked_at = COALESCE(revoked_at, ?)"
                                    " WHERE id = ? AND user_id = ? RETURNING id",
                                    &s);
    if (rc)
        return rc;
    ct_stmt_bind_text(s, 1, now);
    ct_stmt_bind_text(s, 2, id);
    ct_stmt_bind_text(s, 3, user_id);
    rc = ct_stmt_step(s);
    ct_stmt_finalize(s);
    if (rc == CT_DONE)
        return CT_NOT_FOUND;
    if (rc != CT_ROW)
        return rc;
    ct_security_log(st, user_id, "api_key_revoked", NULL, ip, id);
    return CT_OK;
}

ct_status ct_apikeys_authenticate(ct_store *st, const char *key, ct_principal *out)
{
    if (strncmp(key, "ck_", 3) != 0 || strlen(key) > 90)
        return CT_INVALID;
    char hash[65], now[24];
    ct__accounts_sha256_hex(key, hash);
    snprintf(now, sizeof(now), "%lld", (long long)ct__accounts_now());
    ct_stmt *s = NULL;
    ct_status rc = ct_store_prepare(st,
                                    "UPDATE api_keys SET last_used_at = ? WHERE key_hash = ?"
                                    " AND revoked_at IS NULL"
                                    " RETURNING id, user_id, scopes, rate_per_minute",
                                    &s);
    if (rc)
        return rc;
    ct_stmt_bind_text(s, 1, now);
    ct_stmt_bind_text(s, 2, hash);
    rc = ct_stmt_step(s);
    if (rc == CT_ROW) {
        memset(out, 0, sizeof(*out));
        snprintf(out->key_id, sizeof(out->key_id), "%s", ct_stmt_text(s, 0));
        snprintf(out->user_id, sizeof(out->user_id), "%s", ct_stmt_text(s, 1));
        snprintf(out->scopes, sizeof(out->scopes), "%s", ct_stmt_text(s, 2));
        out->rate_per_minute = (int)ct_stmt_int64(s, 3);
        snprintf(out->role, sizeof(out->role), "user");
        rc = CT_OK;
    } else {
        rc = rc == CT_DONE ? CT_INVALID : rc;
    }
    ct_stmt_finalize(s);
    return rc;
}
