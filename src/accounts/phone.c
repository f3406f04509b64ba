/* phone.c: a phone number verified by a code sent by SMS (see accounts.h).
 *
 * users.phone_e164 holds only a verified number (with phone_verified_at); the number being
 * verified waits in phone_codes with its code, so the old number keeps working until the new
 * one is proven. The code is 6 random digits (libsodium), stored as a keyed BLAKE2b hash of
 * user, number and code (key derived from the JWT secret), never in clear; it lives
 * CT_PHONE_CODE_TTL seconds and allows CT_PHONE_CODE_ATTEMPTS wrong tries. A user's row is
 * never deleted while the user exists (a used or removed code is voided: empty hash, expiry
 * 0), so the resend throttle (CT_PHONE_RESEND_INTERVAL seconds between sends, at most
 * CT_PHONE_SENDS_PER_HOUR an hour) cannot be reset by removing the number. Across accounts,
 * the security log's "phone_code_sent" events (the number as subject, so erasure blanks it)
 * cap the codes to one number and from one client address over a sliding hour.
 *
 * Events: a verified number and a removed one are events in the transaction of the change
 * (outbox, aggregate "user": account.phone_verified, account.phone_removed), carrying the
 * user and the number's last four digits only (the outbox keeps rows after an erasure).
 * With the notification hub (ct_accounts_use_hub) each becomes a security notice to the owner
 * (kind account_security: e-mail and in-app by the preferences): a number added to an account
 * is how a thief would take over its text messages, so the owner hears of it.
 *
 * Concurrency: every change of a row is a conditional UPDATE on the values just read (the
 * last send, the attempts) with RETURNING, so two racing requests cannot both send or both
 * spend one attempt, on SQLite or PostgreSQL. The SMS leaves after the commit, from the
 * request's thread (the caller waits for its 202 to know the code is on its way), with the
 * code's hash as idempotency key so the client's retries send it once; when the gateway
 * fails, the send is given back (the throttle not spent) and the call fails. */
#include <sodium.h>
#include <stdio.h>
#include <string.h>

#include "accounts/accounts.h"
#include "base/alloc.h"
#include "notify/hub.h"
#include "notify/sms.h"

#define CODE_LEN 6

/* Hex keyed hash of user, number and code. */
static void code_hash(const ct_accounts *a, const char *user_id, const char *phone,
                      const char *code, char out[65])
{
    static const char label[] = "contrail.accounts.phone-code.v1";
    unsigned char key[crypto_generichash_KEYBYTES], h[32];
    crypto_generichash_state s;
    crypto_generichash_init(&s, NULL, 0, sizeof(key));
    crypto_generichash_update(&s, (const unsigned char *)label, sizeof(label));
    crypto_generichash_update(&s, (const unsigned char *)a->cfg.jwt_secret,
                              strlen(a->cfg.jwt_secret));
    crypto_generichash_final(&s, key, sizeof(key));
    char msg[200];
    int n = snprintf(msg, sizeof(msg), "%s:%s:%s", user_id, phone, code);
    crypto_generichash(h, sizeof(h), (const unsigned char *)msg, n > 0 ? (size_t)n : 0, key,
                       sizeof(key));
    sodium_bin2hex(out, 65, h, sizeof(h));
    sodium_memzero(key, sizeof(key));
}

typedef struct code_row {
    int exists;
    char phone[32];
    char hash[65];
    int64_t expires_at, sent_at, window_start;
    int attempts, sends;
} code_row;

static ct_status read_code(ct_store *st, const char *user_id, code_row *r)
{
    memset(r, 0, sizeof(*r));
    ct_stmt *s = NULL;
    ct_status rc = ct_store_prepare(st,
                                    "SELECT phone_e164, code_hash, expires_at, attempts, sent_at,"
                                    " window_start, sends FROM phone_codes WHERE user_id = ?",
                                    &s);
    if (rc)
        return rc;
    ct_stmt_bind_text(s, 1, user_id);
    rc = ct_stmt_step(s);
    if (rc == CT_ROW) {
        r->exists = 1;
        snprintf(r->phone, sizeof(r->phone), "%s", ct_stmt_text(s, 0));
        snprintf(r->hash, sizeof(r->hash), "%s", ct_stmt_text(s, 1));
        r->expires_at = ct_stmt_int64(s, 2);
        r->attempts = (int)ct_stmt_int64(s, 3);
        r->sent_at = ct_stmt_int64(s, 4);
        r->window_start = ct_stmt_int64(s, 5);
        r->sends = (int)ct_stmt_int64(s, 6);
        rc = CT_OK;
    } else if (rc == CT_DONE) {
        rc = CT_OK;
    }
    ct_stmt_finalize(s);
    return rc;
}

/* Seconds to wait before another code may go out; 0 when one may go now. */
static int resend_wait(const code_row *r, int64_t now)
{
    if (!r->exists)
        return 0;
    if (now - r->sent_at < CT_PHONE_RESEND_INTERVAL)
        return (int)(CT_PHONE_RESEND_INTERVAL - (now - r->sent_at));
    if (now - r->window_start < 3600 && r->sends >= CT_PHONE_SENDS_PER_HOUR)
        return (int)(3600 - (now - r->window_start));
    return 0;
}

/* Seconds until fewer than `limit` codes were sent in the last hour with `column` = value
 * (the security log's phone_code_sent events); 0 when one may go now. */
static ct_status sends_wait(ct_store *st, const char *column, const char *value, int limit,
                            int64_t now, int *wait)
{
    char sql[200];
    snprintf(sql, sizeof(sql),
             "SELECT COUNT(*), MIN(created_at) FROM security_events WHERE kind ="
             " 'phone_code_sent' AND %s = ? AND created_at > ?",
             strcmp(column, "ip") == 0 ? "ip" : "subject");
    ct_stmt *s = NULL;
    ct_status rc = ct_store_prepare(st, sql, &s);
    if (rc)
        return rc;
    ct_stmt_bind_text(s, 1, value);
    ct_stmt_bind_int64(s, 2, now - 3600);
    rc = ct_stmt_step(s);
    *wait = 0;
    if (rc == CT_ROW && ct_stmt_int64(s, 0) >= limit) {
        int64_t w = ct_stmt_int64(s, 1) + 3600 - now;
        *wait = w < 1 ? 1 : (int)w;
    }
    ct_stmt_finalize(s);
    return rc == CT_ROW ? CT_OK : (rc ? rc : CT_ERR);
}

/* The longest wait of the throttles across accounts (the number's, the address's). */
static ct_status shared_wait(const ct_accounts *a, ct_store *st, const char *phone, const char *ip,
                             int64_t now, int *wait)
{
    int per_ip = a->cfg.phone_sends_per_ip_hour > 0 ? a->cfg.phone_sends_per_ip_hour
                                                    : CT_PHONE_SENDS_PER_IP_HOUR;
    int w_ip = 0;
    ct_status rc = sends_wait(st, "subject", phone, CT_PHONE_SENDS_PER_NUMBER_HOUR, now, wait);
    if (rc == CT_OK && ip != NULL)
        rc = sends_wait(st, "ip", ip, per_ip, now, &w_ip);
    if (w_ip > *wait)
        *wait = w_ip;
    return rc;
}

/* Runs an UPDATE ... RETURNING user_id; *changed = 1 when it changed the row. */
static ct_status update_returning(ct_store *st, ct_stmt *s, int *changed)
{
    (void)st;
    ct_status rc = ct_stmt_step(s);
    *changed = rc == CT_ROW;
    ct_stmt_finalize(s);
    return rc == CT_ROW || rc == CT_DONE ? CT_OK : rc;
}

/* Stores the new code in place of the row read as `r` (first send: a fresh row). *won = 0
 * when another request changed the row first. */
static ct_status save_code(ct_store *st, const char *user_id, const char *phone, const char *hash,
                           const code_row *r, int64_t now, int *won)
{
    int fresh_window = !r->exists || now - r->window_start >= 3600;
    ct_stmt *s = NULL;
    ct_status rc;
    if (!r->exists) {
        rc = ct_store_prepare(st,
                              "INSERT INTO phone_codes (user_id, phone_e164, code_hash,"
                              " expires_at, attempts, sent_at, window_start, sends)"
                              " VALUES (?, ?, ?, ?, 0, ?, ?, 1)"
                              " ON CONFLICT (user_id) DO NOTHING RETURNING user_id",
                              &s);
        if (rc)
            return rc;
        ct_stmt_bind_text(s, 1, user_id);
        ct_stmt_bind_text(s, 2, phone);
        ct_stmt_bind_text(s, 3, hash);
        ct_stmt_bind_int64(s, 4, now + CT_PHONE_CODE_TTL);
        ct_stmt_bind_int64(s, 5, now);
        ct_stmt_bind_int64(s, 6, now);
        return update_returning(st, s, won);
    }
    rc = ct_store_prepare(st,
                          "UPDATE phone_codes SET phone_e164 = ?, code_hash = ?, expires_at = ?,"
                          " attempts = 0, sent_at = ?, window_start = ?, sends = ?"
                          " WHERE user_id = ? AND sent_at = ? RETURNING user_id",
                          &s);
    if (rc)
        return rc;
    ct_stmt_bind_text(s, 1, phone);
    ct_stmt_bind_text(s, 2, hash);
    ct_stmt_bind_int64(s, 3, now + CT_PHONE_CODE_TTL);
    ct_stmt_bind_int64(s, 4, now);
    ct_stmt_bind_int64(s, 5, fresh_window ? now : r->window_start);
    ct_stmt_bind_int64(s, 6, fresh_window ? 1 : r->sends + 1);
    ct_stmt_bind_text(s, 7, user_id);
    ct_stmt_bind_int64(s, 8, r->sent_at);
    return update_returning(st, s, won);
}

/* In one transaction: the throttle, the new code's row, the security event. */
static ct_status record_code(ct_accounts *a, ct_store *st, const char *user_id, const char *phone,
                             const char *ip, const char *code, char hash[65], int *retry_after_s)
{
    int64_t now = ct__accounts_now();
    code_row r;
    code_hash(a, user_id, phone, code, hash);
    ct_status rc = ct_store_begin(st);
    if (rc == CT_OK)
        rc = read_code(st, user_id, &r);
    int wait = rc == CT_OK ? resend_wait(&r, now) : 0, won = 0;
    if (rc == CT_OK && wait == 0)
        rc = shared_wait(a, st, phone, ip, now, &wait);
    if (rc == CT_OK && wait == 0)
        rc = save_code(st, user_id, phone, hash, &r, now, &won);
    if (rc == CT_OK && wait == 0 && !won)
        wait = CT_PHONE_RESEND_INTERVAL; /* a racing request just sent one */
    if (rc == CT_OK && wait == 0)
        rc = ct_security_log(st, user_id, "phone_code_sent", phone, ip, NULL);
    if (rc == CT_OK && wait == 0)
        rc = ct_store_commit(st);
    else
        ct_store_rollback(st);
    if (rc == CT_OK && wait > 0) {
        *retry_after_s = wait;
        return CT_AGAIN;
    }
    return rc;
}

/* The gateway failed: the send is given back (the code voided, the last send forgotten, its
 * event renamed phone_code_failed so the shared throttles do not count it). */
static void give_back(ct_store *st, const char *user_id, const char *hash)
{
    const char *p[] = {user_id, hash};
    ct_status rc = ct_store_begin(st);
    if (rc == CT_OK)
        rc = ct_store_run(st,
                          "UPDATE phone_codes SET code_hash = '', expires_at = 0, sent_at = 0,"
                          " sends = CASE WHEN sends > 0 THEN sends - 1 ELSE 0 END"
                          " WHERE user_id = ? AND code_hash = ?",
                          2, p);
    if (rc == CT_OK)
        rc = ct_store_run(st,
                          "UPDATE security_events SET kind = 'phone_code_failed' WHERE id ="
                          " (SELECT id FROM security_events WHERE user_id = ? AND kind ="
                          " 'phone_code_sent' ORDER BY created_at DESC, id DESC LIMIT 1)",
                          1, p);
    if (rc == CT_OK)
        rc = ct_store_commit(st);
    if (rc)
        ct_store_rollback(st);
}

ct_status ct_accounts_phone_start(ct_accounts *a, ct_store *st, const char *user_id,
                                  const char *phone, const char *ip, ct_field_error *fe,
                                  int *retry_after_s, json_t **out)
{
    if (!ct_sms_is_e164(phone)) {
        ct__accounts_field_error(fe, "phone",
                                 "must be an international number in E.164 form, such as "
                                 "+447700900123");
        return CT_INVALID;
    }
    const ct_sms_client *sms = __atomic_load_n(&a->cfg.sms, __ATOMIC_ACQUIRE);
    if (sms == NULL || sms->url == NULL)
        return CT_UNAVAILABLE;
    char code[CODE_LEN + 1], hash[65], body[160], err[256];
    snprintf(code, sizeof(code), "%06u", (unsigned)randombytes_uniform(1000000));
    ct_status rc = record_code(a, st, user_id, phone, ip, code, hash, retry_after_s);
    if (rc)
        goto cleanup;
    snprintf(body, sizeof(body),
             "Your Contrail code is %s. It expires in %d minutes. Do not share it.", code,
             CT_PHONE_CODE_TTL / 60);
    rc = ct_sms_send(sms, phone, body, hash, NULL, 0, err, sizeof(err));
    if (rc) {
        give_back(st, user_id, hash);
        rc = rc == CT_INVALID ? CT_INVALID : CT_UNAVAILABLE;
        if (rc == CT_INVALID)
            ct__accounts_field_error(fe, "phone", "the SMS gateway refused this number");
        goto cleanup;
    }
    *out = json_pack("{s:s, s:s, s:i, s:i}", "phone", phone, "status", "code_sent", "expires_in",
                     CT_PHONE_CODE_TTL, "resend_in", CT_PHONE_RESEND_INTERVAL);
    rc = *out ? CT_OK : CT_NOMEM;
cleanup:
    sodium_memzero(code, sizeof(code));
    sodium_memzero(body, sizeof(body));
    return rc;
}

void ct_accounts_set_sms(ct_accounts *a, const ct_sms_client *c)
{
    __atomic_store_n(&a->cfg.sms, c, __ATOMIC_RELEASE);
}

static int six_digits(const char *s)
{
    if (s == NULL || strlen(s) != CODE_LEN)
        return 0;
    for (const char *p = s; *p; p++) {
        if (*p < '0' || *p > '9')
            return 0;
    }
    return 1;
}

/* In the caller's transaction: the event of a phone change (see above). */
static ct_status phone_event(ct_store *st, const char *user_id, const char *type, const char *phone)
{
    size_t n = phone ? strlen(phone) : 0;
    json_t *p = json_pack("{s:s, s:s?}", "user_id", user_id, "phone_last_digits",
                          n >= 4 ? phone + n - 4 : NULL);
    if (p == NULL)
        return CT_NOMEM;
    ct_status rc = ct_outbox_add(st, "user", user_id, type, p, NULL, 0);
    json_decref(p);
    return rc;
}

/* A wrong code: one attempt spent (unless a racing request changed the row first). */
static ct_status spend_attempt(ct_store *st, const char *user_id, const code_row *r,
                               ct_field_error *fe)
{
    ct_stmt *s = NULL;
    int changed = 0;
    ct_status rc = ct_store_prepare(st,
                                    "UPDATE phone_codes SET attempts = attempts + 1"
                                    " WHERE user_id = ? AND attempts = ? AND code_hash = ?"
                                    " RETURNING user_id",
                                    &s);
    if (rc == CT_OK) {
        ct_stmt_bind_text(s, 1, user_id);
        ct_stmt_bind_int64(s, 2, r->attempts);
        ct_stmt_bind_text(s, 3, r->hash);
        rc = update_returning(st, s, &changed);
    }
    if (rc == CT_OK)
        rc = ct_store_commit(st);
    if (rc)
        return rc;
    int left = CT_PHONE_CODE_ATTEMPTS - r->attempts - 1;
    char msg[120];
    if (left > 0)
        snprintf(msg, sizeof(msg), "is not the code we sent (%d attempt%s left)", left,
                 left == 1 ? "" : "s");
    else
        snprintf(msg, sizeof(msg), "is not the code we sent; no attempts left: request a new code");
    ct__accounts_field_error(fe, "code", msg);
    return CT_INVALID;
}

/* The right code: the number becomes the user's, verified now; the code is voided. */
static ct_status accept_code(ct_store *st, const char *user_id, const code_row *r,
                             ct_field_error *fe)
{
    ct_stmt *s = NULL;
    int changed = 0;
    ct_status rc = ct_store_prepare(st,
                                    "UPDATE phone_codes SET code_hash = '', expires_at = 0"
                                    " WHERE user_id = ? AND attempts = ? AND code_hash = ?"
                                    " RETURNING user_id",
                                    &s);
    if (rc == CT_OK) {
        ct_stmt_bind_text(s, 1, user_id);
        ct_stmt_bind_int64(s, 2, r->attempts);
        ct_stmt_bind_text(s, 3, r->hash);
        rc = update_returning(st, s, &changed);
    }
    if (rc == CT_OK && !changed) {
        ct__accounts_field_error(fe, "code", "was just used or replaced; request a new code");
        return CT_CONFLICT;
    }
    char now[24];
    snprintf(now, sizeof(now), "%lld", (long long)ct__accounts_now());
    const char *p[] = {r->phone, now, user_id};
    if (rc == CT_OK)
        rc = ct_store_run(st,
                          "UPDATE users SET phone_e164 = ?, phone_verified_at = CAST(? AS BIGINT)"
                          " WHERE id = ?",
                          3, p);
    if (rc == CT_OK)
        rc = ct_security_log(st, user_id, "phone_verified", r->phone, NULL, NULL);
    if (rc == CT_OK)
        rc = phone_event(st, user_id, "account.phone_verified", r->phone);
    if (rc == CT_OK)
        rc = ct_store_commit(st);
    return rc;
}

ct_status ct_accounts_phone_verify(ct_accounts *a, ct_store *st, const char *user_id,
                                   const char *code, ct_field_error *fe, json_t **out)
{
    if (!six_digits(code)) {
        ct__accounts_field_error(fe, "code", "must be the 6 digits sent by SMS");
        return CT_INVALID;
    }
    code_row r;
    ct_status rc = ct_store_begin(st);
    if (rc == CT_OK)
        rc = read_code(st, user_id, &r);
    if (rc)
        goto fail;
    if (!r.exists || r.hash[0] == '\0') {
        ct__accounts_field_error(fe, "code", "no code is pending: request one first");
        rc = CT_CONFLICT;
    } else if (ct__accounts_now() >= r.expires_at) {
        ct__accounts_field_error(fe, "code", "has expired: request a new one");
        rc = CT_CONFLICT;
    } else if (r.attempts >= CT_PHONE_CODE_ATTEMPTS) {
        ct__accounts_field_error(fe, "code", "too many wrong attempts: request a new code");
        rc = CT_CONFLICT;
    }
    if (rc)
        goto fail;
    char hash[65];
    code_hash(a, user_id, r.phone, code, hash);
    if (sodium_memcmp(hash, r.hash, 64) != 0) {
        rc = spend_attempt(st, user_id, &r, fe);
        if (rc != CT_INVALID)
            ct_store_rollback(st);
        return rc;
    }
    rc = accept_code(st, user_id, &r, fe);
    if (rc)
        goto fail;
    return ct_accounts_profile(st, user_id, out);
fail:
    ct_store_rollback(st);
    return rc;
}

ct_status ct_accounts_phone_delete(ct_store *st, const char *user_id)
{
    const char *p[] = {user_id};
    ct_status rc = ct_store_begin(st);
    if (rc == CT_OK)
        rc = ct_store_run(st,
                          "UPDATE users SET phone_e164 = NULL, phone_verified_at = NULL"
                          " WHERE id = ?",
                          1, p);
    if (rc == CT_OK)
        rc = ct_store_run(
            st, "UPDATE phone_codes SET code_hash = '', expires_at = 0 WHERE user_id = ?", 1, p);
    if (rc == CT_OK)
        rc = ct_security_log(st, user_id, "phone_removed", NULL, NULL, NULL);
    if (rc == CT_OK)
        rc = phone_event(st, user_id, "account.phone_removed", NULL);
    if (rc == CT_OK)
        rc = ct_store_commit(st);
    else
        ct_store_rollback(st);
    return rc;
}

ct_status ct__accounts_phone_json(ct_store *st, const char *user_id, json_t *profile)
{
    ct_stmt *s = NULL;
    ct_status rc = ct_store_prepare(st,
                                    "SELECT u.phone_e164, u.phone_verified_at, c.phone_e164,"
                                    " c.expires_at FROM users u LEFT JOIN phone_codes c"
                                    " ON c.user_id = u.id WHERE u.id = ?",
                                    &s);
    if (rc)
        return rc;
    ct_stmt_bind_text(s, 1, user_id);
    rc = ct_stmt_step(s);
    if (rc == CT_ROW) {
        const char *phone = ct_stmt_text(s, 0);
        int verified = phone != NULL && !ct_stmt_is_null(s, 1);
        int pending = !ct_stmt_is_null(s, 3) && ct_stmt_int64(s, 3) > ct__accounts_now();
        json_object_set_new(profile, "phone", phone ? json_string(phone) : json_null());
        json_object_set_new(profile, "phone_verified", json_boolean(verified));
        json_object_set_new(profile, "phone_verified_at",
                            verified ? json_integer(ct_stmt_int64(s, 1)) : json_null());
        json_object_set_new(profile, "phone_pending",
                            pending ? json_string(ct_stmt_text(s, 2)) : json_null());
        rc = CT_OK;
    } else if (rc == CT_DONE) {
        rc = CT_NOT_FOUND;
    }
    ct_stmt_finalize(s);
    return rc;
}

ct_status ct__accounts_phone_render(const json_t *event, ct_store *st, void *ctx,
                                    ct_notify_message *msg)
{
    (void)st;
    const ct_accounts *a = ctx;
    const char *type = json_string_value(json_object_get(event, "type"));
    const json_t *p = json_object_get(event, "payload");
    const char *user = json_string_value(json_object_get(p, "user_id"));
    const char *digits = json_string_value(json_object_get(p, "phone_last_digits"));
    int added = type != NULL && strcmp(type, "account.phone_verified") == 0;
    if (user == NULL || user[0] == '\0' || (added && digits == NULL))
        return CT_NOT_FOUND;
    char text[700], line[200];
    if (added)
        snprintf(line, sizeof(line),
                 "The phone number ending in %s now receives your Contrail"
                 " text messages.",
                 digits);
    else
        snprintf(line, sizeof(line), "Your account has no phone number any more.");
    snprintf(text, sizeof(text),
             "Hello,\n\n%s\n\nIf this was not you, change your password and check your phone "
             "number at %s/account at once.\n",
             line, a->cfg.public_url);
    snprintf(msg->user_id, sizeof(msg->user_id), "%s", user);
    msg->kind = CT_NOTIFY_KIND_ACCOUNT_SECURITY;
    msg->subject = ct_strdup(added ? "A phone number was added to your Contrail account"
                                   : "The phone number was removed from your Contrail account");
    msg->text = ct_strdup(text);
    msg->title = ct_strdup(added ? "Phone number added" : "Phone number removed");
    msg->body = ct_strdup(line);
    msg->link = ct_strdup("/account");
    if (msg->subject == NULL || msg->text == NULL || msg->title == NULL || msg->body == NULL ||
        msg->link == NULL)
        return CT_NOMEM;
    return CT_OK;
}
