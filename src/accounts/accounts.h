/* accounts.h: users, credentials, sessions, travellers, API keys, roles and the security log.
 *
 * Security model (each point is tested in tests/accounts and tests/api):
 *   - passwords: argon2id through libsodium, t=2, m=19 MiB, p=1 (OWASP's minimum); a sign-in
 *     for an unknown e-mail verifies against a dummy hash, so both failures take the same
 *     time and give the same answer;
 *   - access tokens: JWT (libjwt), HS256 only, 15 minutes at most; iss, aud, exp, nbf and
 *     iat are checked by us on every request, and any other algorithm is refused;
 *   - refresh tokens: 256-bit opaque values, stored as SHA-256, rotated on every use; using a
 *     spent one revokes its whole family (the sign-in it came from);
 *   - e-mail verification and password-reset tokens: single use, expiring, stored hashed;
 *   - API keys: "ck_<prefix>_<secret>", stored as SHA-256, scoped, revocable, each with its
 *     own rate limit;
 *   - failed sign-ins: at most 100 an hour per account and per IP address (CT_AGAIN);
 *   - every sign-in, failure, reset, password change, key change and deletion is a row in
 *     the security event log.
 * Functions take a store connection the caller holds for the call (one thread at a time)
 * and report invalid input in a ct_field_error naming the field. */
#ifndef CT_ACCOUNTS_ACCOUNTS_H
#define CT_ACCOUNTS_ACCOUNTS_H

#include <jansson.h>
#include <sodium.h>
#include <stddef.h>
#include <stdint.h>

#include "base/status.h"
#include "notify/mailer.h"
#include "store/store.h"

#define CT_ACCESS_TTL_MAX      900
#define CT_SIGNIN_FAILURES_MAX 100 /* per hour, per account and per IP address */

typedef struct ct_accounts_config {
    const char *jwt_secret;       /* at least 32 bytes */
    const char *issuer;           /* default "contrail" */
    const char *audience;         /* default "contrail-api" */
    int access_ttl;               /* seconds, 1..900, default 900 */
    int refresh_ttl;              /* seconds, default 30 days */
    const char *public_url;       /* base of links in e-mails, e.g. "http://127.0.0.1:8080" */
    const ct_mailer *mailer;      /* NULL: e-mails are not sent (logged as not sent) */
    int signin_failures_per_hour; /* default CT_SIGNIN_FAILURES_MAX */
} ct_accounts_config;

typedef struct ct_accounts {
    ct_accounts_config cfg;
    char dummy_hash[crypto_pwhash_STRBYTES];
} ct_accounts;

typedef struct ct_field_error {
    char field[40];
    char message[200];
} ct_field_error;

typedef struct ct_principal {
    char user_id[40];
    char role[8];        /* "user" or "admin" */
    char key_id[40];     /* set when authenticated by API key */
    char scopes[160];    /* API key scopes, space separated */
    int rate_per_minute; /* API key's own rate limit */
} ct_principal;

typedef struct ct_session_tokens {
    char access[1200];
    char refresh[80];
    int expires_in;
    char user_id[40];
} ct_session_tokens;

/* Copies the configuration and prepares the dummy hash. CT_INVALID for a short secret or a
 * TTL out of range. */
ct_status ct_accounts_init(ct_accounts *a, const ct_accounts_config *cfg);

/* ---- credentials and sessions (credentials.c, sessions.c) ---- */
ct_status ct_accounts_register(ct_accounts *a, ct_store *st, const char *email,
                               const char *password, const char *name, const char *ip,
                               char user_id[40], ct_field_error *fe);
/* Sends a fresh verification link (earlier links stay valid until they expire). CT_CONFLICT
 * when the address is already verified, CT_NOT_FOUND for an unknown user. */
ct_status ct_accounts_resend_verification(ct_accounts *a, ct_store *st, const char *user_id);
/* Marks the e-mail verified. CT_INVALID for an unknown, used or expired token. */
ct_status ct_accounts_verify_email(ct_accounts *a, ct_store *st, const char *token);
/* CT_OK with tokens; CT_INVALID for wrong credentials (same answer, same time for an
 * unknown e-mail); CT_AGAIN when throttled, with *retry_after_s. */
ct_status ct_accounts_sign_in(ct_accounts *a, ct_store *st, const char *email, const char *password,
                              const char *ip, ct_session_tokens *out, int *retry_after_s);
/* Rotates a refresh token. CT_INVALID when unknown, expired or revoked; reuse of a spent
 * token revokes its family and returns CT_INVALID. */
ct_status ct_accounts_refresh(ct_accounts *a, ct_store *st, const char *refresh_token,
                              const char *ip, ct_session_tokens *out);
/* Revokes the family of a refresh token (sign-out). CT_OK even when unknown. */
ct_status ct_accounts_sign_out(ct_accounts *a, ct_store *st, const char *refresh_token);
/* Verifies an access token (no database). CT_INVALID on any defect. */
ct_status ct_accounts_verify_access(const ct_accounts *a, const char *token, ct_principal *out);
/* Issues an access token for a principal (used by sign-in and refresh; exposed for tests). */
ct_status ct_accounts_issue_access(const ct_accounts *a, const char *user_id, const char *role,
                                   int64_t now, char *out, size_t len);
ct_status ct_accounts_change_password(ct_accounts *a, ct_store *st, const char *user_id,
                                      const char *current, const char *next, const char *ip,
                                      ct_field_error *fe);
/* Always CT_OK for a well-formed address (no account enumeration); mails a link when the
 * account exists. */
ct_status ct_accounts_request_reset(ct_accounts *a, ct_store *st, const char *email,
                                    const char *ip);
ct_status ct_accounts_reset_password(ct_accounts *a, ct_store *st, const char *token,
                                     const char *password, const char *ip, ct_field_error *fe);

/* ---- profile, export, deletion (profile.c) ---- */
ct_status ct_accounts_profile(ct_store *st, const char *user_id, json_t **out);
/* Applies the fields present in `patch` (name, home_airport, currency, cabin,
 * notifications{email,webhook,in_app}); returns the new profile. */
ct_status ct_accounts_update_profile(ct_store *st, const char *user_id, json_t *patch,
                                     ct_field_error *fe, json_t **out);
/* Everything stored about the user, as one JSON document (GDPR access). */
ct_status ct_accounts_export(ct_store *st, const char *user_id, json_t **out);
/* Deletes the account and everything it owns after checking the password (GDPR erasure). */
ct_status ct_accounts_delete(ct_accounts *a, ct_store *st, const char *user_id,
                             const char *password, const char *ip, ct_field_error *fe);
/* Sets a user's role ("user" or "admin"). */
ct_status ct_accounts_set_role(ct_store *st, const char *user_id, const char *role);

/* ---- travellers (travellers.c); every call is scoped to user_id: another user's id is
 * CT_NOT_FOUND ---- */
ct_status ct_travellers_list(ct_store *st, const char *user_id, json_t **out);
ct_status ct_travellers_create(ct_store *st, const char *user_id, json_t *in, ct_field_error *fe,
                               json_t **out);
ct_status ct_travellers_get(ct_store *st, const char *user_id, const char *id, json_t **out);
ct_status ct_travellers_update(ct_store *st, const char *user_id, const char *id, json_t *in,
                               ct_field_error *fe, json_t **out);
ct_status ct_travellers_delete(ct_store *st, const char *user_id, const char *id);

/* ---- API keys (apikeys.c) ---- */
/* Creates a key; *out holds the secret once ("key") and the metadata. */
ct_status ct_apikeys_create(ct_store *st, const char *user_id, json_t *in, const char *ip,
                            ct_field_error *fe, json_t **out);
ct_status ct_apikeys_list(ct_store *st, const char *user_id, json_t **out);
ct_status ct_apikeys_revoke(ct_store *st, const char *user_id, const char *id, const char *ip);
/* Looks up an active key. CT_INVALID when unknown or revoked. */
ct_status ct_apikeys_authenticate(ct_store *st, const char *key, ct_principal *out);

/* ---- security log (security.c) ---- */
ct_status ct_security_log(ct_store *st, const char *user_id, const char *kind, const char *subject,
                          const char *ip, const char *detail);
ct_status ct_security_list(ct_store *st, const char *user_id, int limit, json_t **out);
/* Failed sign-ins in the last hour for a subject (e-mail) or an IP address. */
ct_status ct_security_recent_failures(ct_store *st, const char *column, const char *value,
                                      int64_t since, int64_t *count);

/* ---- helpers shared by the files above (accounts_util.c) ---- */
/* A random id "<prefix>_<32 hex>". */
void ct__accounts_new_id(const char *prefix, char out[40]);
/* A random URL-safe token of 32 bytes (43 characters). */
void ct__accounts_new_token(char out[64]);
/* Hex SHA-256 of a string. */
void ct__accounts_sha256_hex(const char *s, char out[65]);
/* Lower-cases and validates an e-mail address; 0 when malformed. */
int ct__accounts_normalize_email(const char *in, char *out, size_t len);
/* Fills a field error. */
void ct__accounts_field_error(ct_field_error *fe, const char *field, const char *message);
/* Current time (seconds); tests may move it (ct__accounts_clock_offset). */
int64_t ct__accounts_now(void);
extern int64_t ct__accounts_clock_offset;

#endif
