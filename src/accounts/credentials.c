/* credentials.c: registration, e-mail verification, password change and reset.
 *
 * Password policy (NIST SP 800-63B, OWASP ASVS 2.1.7): 10 to 128 bytes of valid UTF-8, no
 * composition rules, not the e-mail address, and not easy to guess: zxcvbn's estimate (Debian's
 * libzxcvbn, the C port of Dropbox's model: its lists of common passwords, words and names,
 * keyboard patterns, sequences, repeats and dates, plus the e-mail address and its local part
 * as the user's own words) must be at least CT_PASSWORD_MIN_BITS, i.e. 10^8 guesses (zxcvbn's
 * score 3). Hand-written rules would miss what its lists know. Hashes: argon2id t=2, m=19 MiB, p=1
 * through libsodium. E-mail tokens are 256-bit random values sent in a link and stored as SHA-256:
 * verification links live 24 hours, reset links 1 hour; each works once. An account has at most one
 * live reset link (a new request voids the older ones) and none after any password change.
 *
 * Sign-up of a registered address answers exactly as a fresh one (same hashing, an e-mail
 * either way: the verification link, or to the owner a note that someone tried). Reset
 * requests are limited per client address (CT_AGAIN) and per account (a second mail within
 * reset_mail_interval is silently skipped: the answer never depends on the account).
 * Each token is stored in one transaction with its e-mail's outbox event (mail.c), and the
 * e-mail is sent by the relay after the answer, or in the call when there is no outbox. */
#include <stdio.h>
#include <string.h>

#include <zxcvbn.h>

#include "accounts/accounts.h"
#include "base/log.h"
#include "base/text.h"

#define VERIFY_TTL           (24 * 3600)
#define CT_PASSWORD_MIN_BITS 26.6 /* log2(10^8) */
#define RESET_TTL            3600

static int password_ok(const char *pw, const char *email, ct_field_error *fe, const char *field)
{
    size_t n = strlen(pw);
    if (n < 10 || n > 128) {
        ct__accounts_field_error(fe, field, "must be 10 to 128 characters");
        return 0;
    }
    if (!ct_utf8_valid(pw, n)) {
        ct__accounts_field_error(fe, field, "must be valid UTF-8");
        return 0;
    }
    if (email != NULL && strcasecmp(pw, email) == 0) {
        ct__accounts_field_error(fe, field, "must not be the e-mail address");
        return 0;
    }
    char local[256] = "";
    if (email != NULL)
        snprintf(local, sizeof(local), "%.*s", (int)strcspn(email, "@"), email);
    const char *mine[] = {email ? email : "", local, NULL};
    if (ZxcvbnMatch(pw, mine, NULL) < CT_PASSWORD_MIN_BITS) {
        ct__accounts_field_error(fe, field,
                                 "is too easy to guess (a common password, a word, a pattern or "
                                 "your e-mail): use a passphrase of several unrelated words");
        return 0;
    }
    return 1;
}

static ct_status hash_password(const char *pw, char out[crypto_pwhash_STRBYTES])
{
    return crypto_pwhash_str_alg(out, pw, strlen(pw), 2, 19u << 20, crypto_pwhash_ALG_ARGON2ID13) ==
                   0
               ? CT_OK
               : CT_NOMEM;
}

/* Stores a hashed e-mail token and returns the clear one in `token`. */
static ct_status new_email_token(ct_store *st, const char *user_id, const char *purpose, int ttl,
                                 char token[64])
{
    char hash[65], now[24], exp[24];
    ct__accounts_new_token(token);
    ct__accounts_sha256_hex(token, hash);
    int64_t t = ct__accounts_now();
    snprintf(now, sizeof(now), "%lld", (long long)t);
    snprintf(exp, sizeof(exp), "%lld", (long long)t + (long long)ttl);
    const char *p[] = {hash, user_id, purpose, now, exp};
    return ct_store_run(st,
                        "INSERT INTO email_tokens (token_hash, user_id, purpose, created_at,"
                        " expires_at) VALUES (?, ?, ?, ?, ?)",
                        5, p);
}

/* Consumes a token: returns its user in user_id when valid, unused and unexpired. */
static ct_status use_email_token(ct_store *st, const char *token, const char *purpose,
                                 char user_id[40])
{
    if (token == NULL || strlen(token) > 64)
        return CT_INVALID;
    char hash[65], now[24];
    ct__accounts_sha256_hex(token, hash);
    snprintf(now, sizeof(now), "%lld", (long long)ct__accounts_now());
    ct_stmt *s = NULL;
    ct_status rc = ct_store_prepare(st,
                                    "UPDATE email_tokens SET used_at = ? WHERE token_hash = ?"
                                    " AND purpose = ? AND used_at IS NULL AND expires_at > ?"
                                    " RETURNING user_id",
                                    &s);
    if (rc)
        return rc;
    ct_stmt_bind_text(s, 1, now);
    ct_stmt_bind_text(s, 2, hash);
    ct_stmt_bind_text(s, 3, purpose);
    ct_stmt_bind_text(s, 4, now);
    rc = ct_stmt_step(s);
    if (rc == CT_ROW) {
        snprintf(user_id, 40, "%s", ct_stmt_text(s, 0));
        rc = CT_OK;
    } else {
        rc = rc == CT_DONE ? CT_INVALID : rc;
    }
    ct_stmt_finalize(s);
    return rc;
}

/* Marks every unused reset link of the user used. */
static ct_status void_resets(ct_store *st, const char *user_id, const char *now)
{
    const char *p[] = {now, user_id};
    return ct_store_run(st,
                        "UPDATE email_tokens SET used_at = ? WHERE user_id = ? AND purpose ="
                        " 'reset' AND used_at IS NULL",
                        2, p);
}

/* One transaction: (for a reset, the older links voided,) a new token of `purpose` stored and
 * its e-mail queued on the outbox; then the e-mail leaves (ct__accounts_mail_after). */
static ct_status issue_link(ct_accounts *a, ct_store *st, const char *user_id, const char *purpose,
                            int ttl, const char *to)
{
    char token[64], at[24];
    snprintf(at, sizeof(at), "%lld", (long long)ct__accounts_now());
    ct_status rc = ct_store_begin(st);
    if (rc)
        return rc;
    if (strcmp(purpose, "reset") == 0)
        rc = void_resets(st, user_id, at);
    if (!rc)
        rc = new_email_token(st, user_id, purpose, ttl, token);
    if (!rc)
        rc = ct__accounts_mail_queue(a, st, purpose, to, token, NULL);
    if (rc) {
        ct_store_rollback(st);
        return rc;
    }
    rc = ct_store_commit(st);
    if (!rc)
        ct__accounts_mail_after(a, purpose, to, token, NULL);
    sodium_memzero(token, sizeof(token));
    return rc;
}

/* Someone signed up with a registered address: log it and tell the owner (once an hour). */
static ct_status tell_owner_of_signup(ct_accounts *a, ct_store *st, const char *email,
                                      const char *ip)
{
    char user_id[40] = "";
    int64_t recent = 0;
    ct_stmt *s = NULL;
    ct_status rc = ct_store_prepare(
        st,
        "SELECT u.id, (SELECT COUNT(*) FROM security_events e WHERE e.kind ="
        " 'signup_existing' AND e.subject = u.email AND e.created_at >= ?) FROM users u"
        " WHERE u.email = ?",
        &s);
    if (rc)
        return rc;
    ct_stmt_bind_int64(s, 1, ct__accounts_now() - 3600);
    ct_stmt_bind_text(s, 2, email);
    rc = ct_stmt_step(s);
    if (rc == CT_ROW) {
        snprintf(user_id, sizeof(user_id), "%s", ct_stmt_text(s, 0));
        recent = ct_stmt_int64(s, 1);
    }
    ct_stmt_finalize(s);
    if (rc != CT_ROW)
        return rc == CT_DONE ? CT_OK : rc;
    rc = ct_store_begin(st);
    if (rc)
        return rc;
    rc = ct_security_log(st, user_id, "signup_existing", email, ip, NULL);
    if (!rc && recent == 0)
        rc = ct__accounts_mail_queue(a, st, "signup_existing", email, NULL, NULL);
    if (rc) {
        ct_store_rollback(st);
        return rc;
    }
    rc = ct_store_commit(st);
    if (!rc && recent == 0)
        ct__accounts_mail_after(a, "signup_existing", email, NULL, NULL);
    return rc;
}

ct_status ct_accounts_register(ct_accounts *a, ct_store *st, const char *email,
                               const char *password, const char *name, const char *ip,
                               char user_id[40], ct_field_error *fe)
{
    char norm[256];
    if (email == NULL || !ct__accounts_normalize_email(email, norm, sizeof(norm))) {
        ct__accounts_field_error(fe, "email", "must be a valid e-mail address");
        return CT_INVALID;
    }
    if (password == NULL) {
        ct__accounts_field_error(fe, "password", "is required");
        return CT_INVALID;
    }
    if (!password_ok(password, norm, fe, "password"))
        return CT_INVALID;
    if (name != NULL && (strlen(name) > 100 || !ct_utf8_valid(name, strlen(name)))) {
        ct__accounts_field_error(fe, "name", "must be at most 100 characters of valid UTF-8");
        return CT_INVALID;
    }
    char hash[crypto_pwhash_STRBYTES], now[24];
    if (hash_password(password, hash))
        return CT_NOMEM;
    ct__accounts_new_id("usr", user_id);
    snprintf(now, sizeof(now), "%lld", (long long)ct__accounts_now());
    const char *p[] = {user_id, norm, hash, name, now, now};
    ct_status rc = ct_store_run(st,
                                "INSERT INTO users (id, email, password_hash, name, created_at,"
                                " updated_at) VALUES (?, ?, ?, ?, ?, ?)",
                                6, p);
    if (rc == CT_CONFLICT) {
        user_id[0] = '\0';
        return tell_owner_of_signup(a, st, norm, ip);
    }
    if (rc)
        return rc;
    ct_security_log(st, user_id, "registered", norm, ip, NULL);
    return issue_link(a, st, user_id, "verify", VERIFY_TTL, norm);
}

ct_status ct_accounts_resend_verification(ct_accounts *a, ct_store *st, const char *user_id)
{
    char email[256] = "";
    int verified = 0;
    ct_stmt *s = NULL;
    ct_status rc = ct_store_prepare(st, "SELECT email, email_verified FROM users WHERE id = ?", &s);
    if (rc)
        return rc;
    ct_stmt_bind_text(s, 1, user_id);
    if (ct_stmt_step(s) == CT_ROW) {
        snprintf(email, sizeof(email), "%s", ct_stmt_text(s, 0));
        verified = (int)ct_stmt_int64(s, 1);
    }
    ct_stmt_finalize(s);
    if (email[0] == '\0')
        return CT_NOT_FOUND;
    if (verified)
        return CT_CONFLICT;
    return issue_link(a, st, user_id, "verify", VERIFY_TTL, email);
}

ct_status ct_accounts_verify_email(ct_accounts *a, ct_store *st, const char *token)
{
    (void)a;
    char user_id[40], now[24];
    ct_status rc = use_email_token(st, token, "verify", user_id);
    if (rc)
        return rc;
    snprintf(now, sizeof(now), "%lld", (long long)ct__accounts_now());
    const char *p[] = {now, user_id};
    rc = ct_store_run(st, "UPDATE users SET email_verified = 1, updated_at = ? WHERE id = ?", 2, p);
    if (!rc)
        ct_security_log(st, user_id, "email_verified", NULL, NULL, NULL);
    return rc;
}

/* One transaction: the new password, every session and reset link ended, the security event
 * `kind` ("password_changed", "password_reset") and the owner's "password changed" e-mail
 * queued; then the e-mail leaves. */
static ct_status set_password(ct_accounts *a, ct_store *st, const char *user_id,
                              const char *password, const char *email, const char *kind,
                              const char *ip)
{
    char hash[crypto_pwhash_STRBYTES], now[24];
    if (hash_password(password, hash))
        return CT_NOMEM;
    int64_t t = ct__accounts_now();
    snprintf(now, sizeof(now), "%lld", (long long)t);
    const char *ua = ct__accounts_user_agent();
    json_t *facts = json_pack("{s:s, s:I, s:s?, s:s?, s:s}", "how",
                              strcmp(kind, "password_reset") == 0 ? "reset" : "change", "at",
                              (json_int_t)t, "ip", ip, "user_agent", ua, "user_id", user_id);
    if (facts == NULL)
        return CT_NOMEM;
    const char *p[] = {hash, now, user_id};
    /* Every session, access token and reset link ends with the old password. */
    const char *q[] = {now, user_id};
    ct_status rc = ct_store_begin(st);
    if (!rc)
        rc = ct_store_run(st,
                          "UPDATE users SET password_hash = ?, updated_at = ?,"
                          " token_version = token_version + 1 WHERE id = ?",
                          3, p);
    if (!rc)
        rc = ct_store_run(st,
                          "UPDATE refresh_tokens SET revoked_at = ? WHERE user_id = ?"
                          " AND revoked_at IS NULL",
                          2, q);
    if (!rc)
        rc = void_resets(st, user_id, now);
    if (!rc)
        rc = ct_security_log(st, user_id, kind, strcmp(kind, "password_reset") ? email : NULL, ip,
                             NULL);
    if (!rc)
        rc = ct__accounts_mail_queue(a, st, "password_changed", email, NULL, facts);
    if (rc) {
        ct_store_rollback(st);
        goto cleanup;
    }
    rc = ct_store_commit(st);
    if (!rc)
        ct__accounts_mail_after(a, "password_changed", email, NULL, facts);
cleanup:
    json_decref(facts);
    return rc;
}

ct_status ct_accounts_change_password(ct_accounts *a, ct_store *st, const char *user_id,
                                      const char *current, const char *next, const char *ip,
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
    /* A stolen access token must not make current_password a free oracle. */
    int wait = 0;
    rc = ct__accounts_throttle(a, st, email, ip, &wait);
    if (rc)
        return rc;
    if (wait > 0) {
        *retry_after_s = wait;
        return CT_AGAIN;
    }
    if (current == NULL || crypto_pwhash_str_verify(hash, current, strlen(current)) != 0) {
        /* Fail closed, as sign-in: an uncounted failure is not answered. */
        rc = ct_security_log(st, user_id, "password_change_failed", email, ip, NULL);
        if (rc)
            return rc;
        ct__accounts_field_error(fe, "current_password", "is not correct");
        return CT_INVALID;
    }
    if (next == NULL) {
        ct__accounts_field_error(fe, "new_password", "is required");
        return CT_INVALID;
    }
    if (!password_ok(next, email, fe, "new_password"))
        return CT_INVALID;
    return set_password(a, st, user_id, next, email, "password_changed", ip);
}

/* Reset requests from `ip` in the last hour; *oldest the first of them. */
static ct_status reset_requests(ct_store *st, const char *ip, int64_t since, int64_t *count,
                                int64_t *oldest)
{
    ct_stmt *s = NULL;
    ct_status rc = ct_store_prepare(st,
                                    "SELECT COUNT(*), MIN(created_at) FROM security_events"
                                    " WHERE kind = 'reset_requested' AND ip = ? AND"
                                    " created_at >= ?",
                                    &s);
    if (rc)
        return rc;
    ct_stmt_bind_text(s, 1, ip);
    ct_stmt_bind_int64(s, 2, since);
    rc = ct_stmt_step(s);
    if (rc == CT_ROW) {
        *count = ct_stmt_int64(s, 0);
        *oldest = ct_stmt_is_null(s, 1) ? 0 : ct_stmt_int64(s, 1);
        rc = CT_OK;
    }
    ct_stmt_finalize(s);
    return rc == CT_DONE ? CT_ERR : rc;
}

ct_status ct_accounts_request_reset(ct_accounts *a, ct_store *st, const char *email, const char *ip,
                                    int *retry_after_s)
{
    char norm[256], user_id[40] = "";
    if (email == NULL || !ct__accounts_normalize_email(email, norm, sizeof(norm)))
        return CT_INVALID;
    int64_t now = ct__accounts_now();
    ct_status rc;
    if (ip != NULL) {
        int64_t count = 0, oldest = 0;
        rc = reset_requests(st, ip, now - 3600, &count, &oldest);
        if (rc)
            return rc;
        if (count >= a->cfg.reset_requests_per_hour) {
            int64_t w = oldest + 3600 - now;
            *retry_after_s = w < 1 ? 1 : (int)w;
            return CT_AGAIN;
        }
    }
    /* The account, and when its newest reset link was made. */
    int64_t last = 0;
    ct_stmt *s = NULL;
    rc = ct_store_prepare(st,
                          "SELECT u.id, (SELECT MAX(t.created_at) FROM email_tokens t WHERE"
                          " t.user_id = u.id AND t.purpose = 'reset') FROM users u WHERE"
                          " u.email = ?",
                          &s);
    if (rc)
        return rc;
    ct_stmt_bind_text(s, 1, norm);
    rc = ct_stmt_step(s);
    if (rc == CT_ROW) {
        snprintf(user_id, sizeof(user_id), "%s", ct_stmt_text(s, 0));
        last = ct_stmt_is_null(s, 1) ? 0 : ct_stmt_int64(s, 1);
    }
    ct_stmt_finalize(s);
    if (rc != CT_ROW && rc != CT_DONE)
        return rc;
    rc = ct_security_log(st, user_id[0] ? user_id : NULL, "reset_requested", norm, ip, NULL);
    if (rc)
        return rc; /* the per-address count could not grow: fail closed */
    if (user_id[0] == '\0' || (last > 0 && now - last < a->cfg.reset_mail_interval))
        return CT_OK;
    /* One live link per account: the new one voids the older ones. The mail leaves after
     * the answer when an outbox is in use, so this path costs about what the other does. */
    return issue_link(a, st, user_id, "reset", RESET_TTL, norm);
}

/* The e-mail address of the account of a live reset token; CT_INVALID when there is none. */
static ct_status reset_email(ct_store *st, const char *token, char email[256])
{
    if (strlen(token) > 64)
        return CT_INVALID;
    char hash[65];
    ct__accounts_sha256_hex(token, hash);
    ct_stmt *s = NULL;
    ct_status rc = ct_store_prepare(st,
                                    "SELECT u.email FROM email_tokens t JOIN users u ON u.id ="
                                    " t.user_id WHERE t.token_hash = ? AND t.purpose = 'reset'"
                                    " AND t.used_at IS NULL AND t.expires_at > ?",
                                    &s);
    if (rc)
        return rc;
    ct_stmt_bind_text(s, 1, hash);
    ct_stmt_bind_int64(s, 2, ct__accounts_now());
    rc = ct_stmt_step(s);
    if (rc == CT_ROW) {
        snprintf(email, 256, "%s", ct_stmt_text(s, 0));
        rc = CT_OK;
    } else if (rc == CT_DONE) {
        rc = CT_INVALID;
    }
    ct_stmt_finalize(s);
    return rc;
}

ct_status ct_accounts_reset_password(ct_accounts *a, ct_store *st, const char *token,
                                     const char *password, const char *ip, ct_field_error *fe)
{
    if (password == NULL) {
        ct__accounts_field_error(fe, "password", "is required");
        return CT_INVALID;
    }
    if (!password_ok(password, NULL, fe, "password"))
        return CT_INVALID;
    /* The account's address first, without using the token: a refused password keeps it. */
    char email[256] = "", user_id[40];
    ct_status rc = reset_email(st, token ? token : "", email);
    if (!rc && !password_ok(password, email, fe, "password"))
        return CT_INVALID;
    if (!rc)
        rc = use_email_token(st, token, "reset", user_id);
    if (rc == CT_INVALID) {
        ct__accounts_field_error(fe, "token", "is invalid, used or expired");
        return rc;
    }
    if (!rc)
        rc = set_password(a, st, user_id, password, email, "password_reset", ip);
    return rc;
}
