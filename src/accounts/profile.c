/* profile.c: profile and preferences, GDPR export and erasure, roles.
 *
 * A profile's currency must be an ISO 4217 code of the reference data's currency table; the
 * erasure's password check is throttled like a sign-in; a role change bumps the user's token
 * version so tokens of the old role die at once. */
#include <ctype.h>
#include <stdio.h>
#include <string.h>

#include "accounts/accounts.h"
#include "base/text.h"

static const char *cabins[] = {"economy", "premium_economy", "business", "first"};

ct_status ct_accounts_profile(ct_store *st, const char *user_id, json_t **out)
{
    ct_stmt *s = NULL;
    ct_status rc = ct_store_prepare(st,
                                    "SELECT id, email, role, email_verified, name, home_airport,"
                                    " currency, cabin, notify_email, notify_webhook,"
                                    " notify_in_app, created_at, password_hash FROM users"
                                    " WHERE id = ?",
                                    &s);
    if (rc)
        return rc;
    ct_stmt_bind_text(s, 1, user_id);
    rc = ct_stmt_step(s);
    if (rc == CT_ROW) {
        const char *hash = ct_stmt_text(s, 12);
        int has_password = hash != NULL && strncmp(hash, "$argon2", 7) == 0;
        *out = json_pack("{s:s, s:s, s:s, s:b, s:s?, s:s?, s:s?, s:s?, s:{s:b, s:b, s:b}, s:I, "
                         "s:b}",
                         "id", ct_stmt_text(s, 0), "email", ct_stmt_text(s, 1), "role",
                         ct_stmt_text(s, 2), "email_verified", (int)ct_stmt_int64(s, 3), "name",
                         ct_stmt_text(s, 4), "home_airport", ct_stmt_text(s, 5), "currency",
                         ct_stmt_text(s, 6), "cabin", ct_stmt_text(s, 7), "notifications", "email",
                         (int)ct_stmt_int64(s, 8), "webhook", (int)ct_stmt_int64(s, 9), "in_app",
                         (int)ct_stmt_int64(s, 10), "created_at", (json_int_t)ct_stmt_int64(s, 11),
                         "has_password", has_password);
        rc = *out ? CT_OK : CT_NOMEM;
    } else if (rc == CT_DONE) {
        rc = CT_NOT_FOUND;
    }
    ct_stmt_finalize(s);
    if (rc == CT_OK) {
        rc = ct__accounts_phone_json(st, user_id, *out);
        if (rc) {
            json_decref(*out);
            *out = NULL;
        }
    }
    return rc;
}

static int upper_code(const char *s, size_t n)
{
    if (strlen(s) != n)
        return 0;
    for (size_t i = 0; i < n; i++) {
        if (!isupper((unsigned char)s[i]))
            return 0;
    }
    return 1;
}

/* Validates one optional text field of the patch; sets *value (NULL clears it). */
static int text_field(json_t *patch, const char *key, const char **value, ct_field_error *fe,
                      int (*check)(const char *), const char *message)
{
    json_t *v = json_object_get(patch, key);
    if (v == NULL)
        return 1;
    if (json_is_null(v)) {
        *value = NULL;
        return 1;
    }
    if (!json_is_string(v) || !check(json_string_value(v))) {
        ct__accounts_field_error(fe, key, message);
        return 0;
    }
    *value = json_string_value(v);
    return 1;
}

static int check_name(const char *s)
{
    return strlen(s) <= 100 && ct_utf8_valid(s, strlen(s));
}

static int check_airport(const char *s)
{
    return upper_code(s, 3);
}

static int check_cabin(const char *s)
{
    for (size_t i = 0; i < sizeof(cabins) / sizeof(cabins[0]); i++) {
        if (strcmp(s, cabins[i]) == 0)
            return 1;
    }
    return 0;
}

/* 1 when the patch sets no currency or one in the currencies table; *rc a store error. */
static int known_currency(ct_store *st, json_t *patch, ct_field_error *fe, ct_status *rc)
{
    const char *code = json_string_value(json_object_get(patch, "currency"));
    if (code == NULL)
        return 1;
    ct_stmt *s = NULL;
    *rc = ct_store_prepare(st, "SELECT 1 FROM currencies WHERE code = ?", &s);
    if (*rc)
        return 0;
    ct_stmt_bind_text(s, 1, code);
    ct_status step = ct_stmt_step(s);
    ct_stmt_finalize(s);
    if (step == CT_ROW)
        return 1;
    if (step != CT_DONE)
        *rc = step;
    else
        ct__accounts_field_error(fe, "currency", "is not an ISO 4217 currency code");
    return 0;
}

static int bool_field(json_t *obj, const char *key, const char *path, int *value,
                      ct_field_error *fe)
{
    json_t *v = json_object_get(obj, key);
    if (v == NULL)
        return 1;
    if (!json_is_boolean(v)) {
        ct__accounts_field_error(fe, path, "must be true or false");
        return 0;
    }
    *value = json_is_true(v);
    return 1;
}

ct_status ct_accounts_update_profile(ct_store *st, const char *user_id, json_t *patch,
                                     ct_field_error *fe, json_t **out)
{
    json_t *current = NULL;
    ct_status rc = ct_accounts_profile(st, user_id, &current);
    if (rc)
        return rc;
    if (!json_is_object(patch)) {
        json_decref(current);
        ct__accounts_field_error(fe, "body", "must be a JSON object");
        return CT_INVALID;
    }
    const char *name = json_string_value(json_object_get(current, "name"));
    const char *home = json_string_value(json_object_get(current, "home_airport"));
    const char *currency = json_string_value(json_object_get(current, "currency"));
    const char *cabin = json_string_value(json_object_get(current, "cabin"));
    json_t *n = json_object_get(current, "notifications");
    int ne = json_is_true(json_object_get(n, "email"));
    int nw = json_is_true(json_object_get(n, "webhook"));
    int ni = json_is_true(json_object_get(n, "in_app"));
    json_t *np = json_object_get(patch, "notifications");
    int ok = text_field(patch, "name", &name, fe, check_name,
                        "must be at most 100 characters of valid UTF-8") &&
             text_field(patch, "home_airport", &home, fe, check_airport,
                        "must be a three-letter IATA code in capitals") &&
             text_field(patch, "currency", &currency, fe, check_airport,
                        "must be a three-letter ISO 4217 code in capitals") &&
             known_currency(st, patch, fe, &rc) &&
             text_field(patch, "cabin", &cabin, fe, check_cabin,
                        "must be economy, premium_economy, business or first");
    if (ok && np != NULL && !json_is_object(np)) {
        ct__accounts_field_error(fe, "notifications", "must be an object");
        ok = 0;
    }
    ok = ok && bool_field(np, "email", "notifications.email", &ne, fe) &&
         bool_field(np, "webhook", "notifications.webhook", &nw, fe) &&
         bool_field(np, "in_app", "notifications.in_app", &ni, fe);
    if (ok) {
        char now[24];
        snprintf(now, sizeof(now), "%lld", (long long)ct__accounts_now());
        const char *p[] = {name,           home,           currency, cabin,  ne ? "1" : "0",
                           nw ? "1" : "0", ni ? "1" : "0", now,      user_id};
        rc = ct_store_run(st,
                          "UPDATE users SET name = ?, home_airport = ?, currency = ?, cabin = ?,"
                          " notify_email = ?, notify_webhook = ?, notify_in_app = ?,"
                          " updated_at = ? WHERE id = ?",
                          9, p);
    }
    json_decref(current);
    if (!ok)
        return rc ? rc : CT_INVALID;
    return rc ? rc : ct_accounts_profile(st, user_id, out);
}

/* Every in-app notification of the user, newest first (pages of 100 of the inbox). */
static ct_status all_notifications(ct_store *st, const char *user_id, json_t **out)
{
    json_t *all = json_array();
    ct_status rc = all ? CT_OK : CT_NOMEM;
    for (int offset = 0; !rc;) {
        json_t *page = NULL;
        rc = ct_notify_inbox_list(st, user_id, 100, offset, &page);
        json_t *items = json_object_get(page, "items");
        if (!rc && json_array_extend(all, items) != 0)
            rc = CT_NOMEM;
        size_t n = json_array_size(items);
        offset += (int)n;
        json_decref(page);
        if (n < 100)
            break;
    }
    if (rc) {
        json_decref(all);
        return rc;
    }
    *out = all;
    return CT_OK;
}

ct_status ct_accounts_export(ct_store *st, const char *user_id, json_t **out)
{
    json_t *profile = NULL, *travellers = NULL, *keys = NULL, *events = NULL, *ids = NULL;
    json_t *prefs = NULL, *notes = NULL;
    ct_status rc = ct_accounts_profile(st, user_id, &profile);
    int64_t total = 0;
    if (!rc)
        rc = ct_travellers_list(st, user_id, 0, 0, &travellers, &total);
    if (!rc)
        rc = ct_apikeys_list(st, user_id, 0, 0, &keys, &total);
    if (!rc)
        rc = ct_security_list(st, user_id, 10000, &events);
    if (!rc)
        rc = ct_accounts_identities(st, user_id, &ids);
    if (!rc)
        rc = ct_notify_prefs_json(st, user_id, &prefs);
    if (!rc)
        rc = all_notifications(st, user_id, &notes);
    if (rc) {
        json_decref(prefs);
        json_decref(notes);
        json_decref(ids);
        json_decref(profile);
        json_decref(travellers);
        json_decref(keys);
        json_decref(events);
        return rc;
    }
    *out = json_pack("{s:o, s:o, s:o, s:o, s:o, s:o, s:o, s:I}", "profile", profile, "travellers",
                     travellers, "api_keys", keys, "security_events", events, "identities", ids,
                     "notification_preferences", prefs, "notifications", notes, "exported_at",
                     (json_int_t)ct__accounts_now());
    return *out ? CT_OK : CT_NOMEM;
}

/* 1 when `session_id` is a sign-in (refresh-token family) of user_id that began at most
 * CT_ACCOUNTS_REAUTH_S ago; 0 otherwise (or on a store error: fails closed). */
static int signed_in_recently(ct_store *st, const char *user_id, const char *session_id)
{
    if (session_id == NULL || session_id[0] == '\0')
        return 0;
    ct_stmt *s = NULL;
    if (ct_store_prepare(st,
                         "SELECT MIN(created_at) FROM refresh_tokens WHERE family = ?"
                         " AND user_id = ?",
                         &s) != CT_OK)
        return 0;
    ct_stmt_bind_text(s, 1, session_id);
    ct_stmt_bind_text(s, 2, user_id);
    int recent = ct_stmt_step(s) == CT_ROW && !ct_stmt_is_null(s, 0) &&
                 ct_stmt_int64(s, 0) >= ct__accounts_now() - CT_ACCOUNTS_REAUTH_S;
    ct_stmt_finalize(s);
    return recent;
}

ct_status ct_accounts_delete(ct_accounts *a, ct_store *st, const char *user_id,
                             const char *password, const char *session_id, const char *ip,
                             ct_field_error *fe, int *retry_after_s)
{
    char hash[crypto_pwhash_STRBYTES] = "", email[256] = "";
    ct_stmt *s = NULL;
    ct_status rc = ct_store_prepare(st, "SELECT password_hash, email FROM users WHERE id = ?", &s);
    if (rc)
        return rc;
    ct_stmt_bind_text(s, 1, user_id);
    rc = ct_stmt_step(s);
    if (rc == CT_ROW) {
        snprintf(hash, sizeof(hash), "%s", ct_stmt_text(s, 0));
        snprintf(email, sizeof(email), "%s", ct_stmt_text(s, 1));
    }
    ct_stmt_finalize(s);
    if (rc != CT_ROW)
        return rc == CT_DONE ? CT_NOT_FOUND : rc;
    int wait = 0;
    rc = ct__accounts_throttle(a, st, email, ip, &wait);
    if (rc)
        return rc;
    if (wait > 0) {
        *retry_after_s = wait;
        return CT_AGAIN;
    }
    /* libsodium's argon2id strings start so; identities.c's accounts hold a marker instead */
    int has_password = strncmp(hash, "$argon2", 7) == 0;
    if (!has_password && !signed_in_recently(st, user_id, session_id)) {
        rc = ct_security_log(st, user_id, "delete_failed", email, ip, "no recent sign-in");
        if (rc)
            return rc;
        ct__accounts_field_error(fe, "password",
                                 "this account has no password: sign in again with your "
                                 "identity provider, then delete it within 10 minutes");
        return CT_INVALID;
    }
    if (has_password &&
        (password == NULL || crypto_pwhash_str_verify(hash, password, strlen(password)) != 0)) {
        rc = ct_security_log(st, user_id, "delete_failed", email, ip, NULL);
        if (rc)
            return rc; /* fail closed, as sign-in */
        ct__accounts_field_error(fe, "password", "is not correct");
        return CT_INVALID;
    }
    rc = ct_store_begin(st);
    const char *p[] = {user_id};
    /* Owned rows go by ON DELETE CASCADE; the security log keeps no link to the person. */
    if (!rc)
        rc = ct_store_run(st,
                          "UPDATE security_events SET user_id = NULL, subject = NULL, ip = NULL"
                          " WHERE user_id = ?",
                          1, p);
    if (!rc) /* also without foreign keys enforced */
        rc = ct_store_run(st, "DELETE FROM user_identities WHERE user_id = ?", 1, p);
    if (!rc)
        rc = ct_store_run(st, "DELETE FROM users WHERE id = ?", 1, p);
    if (!rc)
        rc = ct_security_log(st, NULL, "account_deleted", NULL, ip, NULL);
    if (rc) {
        ct_store_rollback(st);
        return rc;
    }
    return ct_store_commit(st);
}

ct_status ct_accounts_set_role(ct_store *st, const char *user_id, const char *role)
{
    if (strcmp(role, "user") != 0 && strcmp(role, "admin") != 0)
        return CT_INVALID;
    ct_stmt *s = NULL;
    ct_status rc = ct_store_prepare(st,
                                    "UPDATE users SET role = ?, token_version = token_version + 1"
                                    " WHERE id = ? RETURNING id",
                                    &s);
    if (rc)
        return rc;
    ct_stmt_bind_text(s, 1, role);
    ct_stmt_bind_text(s, 2, user_id);
    rc = ct_stmt_step(s);
    ct_stmt_finalize(s);
    return rc == CT_ROW ? CT_OK : rc == CT_DONE ? CT_NOT_FOUND : rc;
}
