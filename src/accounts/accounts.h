/* accounts.h: users, credentials, sessions, travellers, API keys, roles and the security log.
 *
 * Security model (each point is tested in tests/accounts and tests/api):
 *   - passwords: argon2id through libsodium, t=2, m=19 MiB, p=1 (OWASP's minimum); a sign-in
 *     for an unknown e-mail verifies against a dummy hash, so both failures take the same
 *     time and give the same answer;
 *   - access tokens: JWT (libjwt), HS256 only, 15 minutes at most; iss, aud, exp, nbf and
 *     iat are checked by us on every request, and any other algorithm is refused; each token
 *     carries its session ("sid", the refresh-token family) and the user's token version
 *     ("ver"), and ct_accounts_check_session compares them per request with the user row and
 *     the live sessions, so sign-out (that session), a password change or reset, a role change
 *     (the version) and erasure (no row) end access tokens at once;
 *   - refresh tokens: 256-bit opaque values, stored as SHA-256, rotated on every use; using a
 *     spent one revokes its whole family (the sign-in it came from);
 *   - e-mail verification and password-reset tokens: single use, expiring, stored hashed; one
 *     live reset link per account (a new one voids the older ones, a password change voids
 *     all); reset requests are throttled per client address (CT_RESET_PER_HOUR) and mail one
 *     account at most once per CT_RESET_MAIL_INTERVAL seconds (same answer either way);
 *   - sign-up never reveals a registered address: the same answer as a fresh sign-up, and
 *     the owner gets an e-mail saying someone tried (at most one an hour);
 *   - API keys: "ck_<prefix>_<secret>", stored as SHA-256, scoped, revocable, each with its
 *     own rate limit;
 *   - failed password checks (sign-in, password change, erasure) are throttled without
 *     locking the owner out (OWASP): per client address across accounts at most
 *     signin_failures_per_hour (100) an hour; per (account, address) signin_pair_free (5)
 *     free failures, then each attempt waits 2^k seconds after the last failure (at most 15
 *     minutes); an account with signin_failures_per_hour failures from anywhere gets only one
 *     free failure per address, but a new address is never refused. Throttled: CT_AGAIN with
 *     a Retry-After; a database error fails closed (the error, not a password check);
 *   - every sign-in, failure, reset, password change, key change and deletion is a row in
 *     the security event log, with the client's address and User-Agent (read back with a
 *     readable device, "Chrome on Linux");
 *   - a password change or reset mails the owner "Your Contrail password was changed" (when,
 *     device and address, and the reset link if it was not them), queued in the transaction
 *     of the change;
 *   - e-mails leave after the answer (with ct_accounts_use_outbox): the request writes an
 *     event "account.email_requested" in the transaction of its token and a relay thread
 *     sends it, so a reset request for a registered address takes as long as one for an
 *     unknown address (no SMTP inside the request). The link's token in that event is sealed
 *     (XSalsa20-Poly1305, key derived from jwt_secret, never stored), and the payload is
 *     blanked once the mail is sent. Without an outbox the mail is sent inside the call.
 * Functions take a store connection the caller holds for the call (one thread at a time)
 * and report invalid input in a ct_field_error naming the field. */
#ifndef CT_ACCOUNTS_ACCOUNTS_H
#define CT_ACCOUNTS_ACCOUNTS_H

#include <jansson.h>
#include <sodium.h>
#include <stddef.h>
#include <stdint.h>

#include "base/status.h"
#include "events/outbox.h"
#include "notify/hub.h"
#include "notify/mailer.h"
#include "notify/sms.h"
#include "store/store.h"

#define CT_ACCESS_TTL_MAX      900
#define CT_SIGNIN_FAILURES_MAX 100 /* per hour, per IP address */
#define CT_SIGNIN_PAIR_FREE    5   /* failures per (account, address) before delays start */
#define CT_SIGNIN_DELAY_MAX    900 /* seconds: the longest delay of one (account, address) */
#define CT_RESET_PER_HOUR      10  /* reset requests per hour, per IP address */
#define CT_RESET_MAIL_INTERVAL 300 /* seconds between two reset mails to one account */
#define CT_TRAVELLERS_MAX      50  /* saved travellers per user */
#define CT_APIKEYS_MAX         20  /* active API keys per user */

typedef struct ct_accounts_config {
    const char *jwt_secret;       /* at least 32 bytes */
    const char *issuer;           /* default "contrail" */
    const char *audience;         /* default "contrail-api" */
    int access_ttl;               /* seconds, 1..900, default 900 */
    int refresh_ttl;              /* seconds, default 30 days */
    const char *public_url;       /* base of links in e-mails, e.g. "http://127.0.0.1:8080" */
    const ct_mailer *mailer;      /* NULL: e-mails are not sent (logged as not sent) */
    const ct_sms_client *sms;     /* NULL: phone codes cannot be sent (CT_UNAVAILABLE) */
    int phone_sends_per_ip_hour;  /* codes sent per client address an hour, across accounts;
                                     default CT_PHONE_SENDS_PER_IP_HOUR */
    int signin_failures_per_hour; /* per address; default CT_SIGNIN_FAILURES_MAX */
    int signin_pair_free;         /* default CT_SIGNIN_PAIR_FREE */
    int reset_requests_per_hour;  /* per address; default CT_RESET_PER_HOUR */
    int reset_mail_interval;      /* seconds; default CT_RESET_MAIL_INTERVAL */
} ct_accounts_config;

typedef struct ct_accounts {
    ct_accounts_config cfg;
    char dummy_hash[crypto_pwhash_STRBYTES];
    ct_outbox *outbox;        /* set by ct_accounts_use_outbox; NULL: mail sent in the call */
    ct_store_pool *mail_pool; /* the handler's connections */
    unsigned char seal_key[crypto_secretbox_KEYBYTES];
    ct_notify_hub *hub; /* set by ct_accounts_use_hub: security notices go through it */
} ct_accounts;

typedef struct ct_field_error {
    char field[40];
    char message[200];
} ct_field_error;

typedef struct ct_principal {
    char user_id[40];
    char role[8];          /* "user" or "admin" */
    char key_id[40];       /* set when authenticated by API key */
    char scopes[160];      /* API key scopes, space separated */
    int rate_per_minute;   /* API key's own rate limit */
    char session_id[40];   /* JWT "sid": the refresh-token family of the sign-in */
    int64_t token_version; /* JWT "ver" */
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

/* The name (subscriber and consumer) and event type of the account e-mails. */
#define CT_ACCOUNTS_MAIL_SUBSCRIBER "mail.account"
#define CT_ACCOUNTS_MAIL_EVENT      "account.email_requested"

/* From now on the account e-mails go through the outbox `o` (borrowed; not started yet): each
 * is an event CT_ACCOUNTS_MAIL_EVENT {"kind": "verify" | "reset" | "signup_existing" |
 * "password_changed", "to", "sealed" (hex nonce + secretbox of the link's token, for verify
 * and reset), for password_changed "how", "at", "ip", "user_agent", "user_id"} added in the
 * transaction of its token, and this registers on `o` the subscriber
 * CT_ACCOUNTS_MAIL_SUBSCRIBER that renders it, sends it through cfg.mailer (none: logged as not
 * sent), records it with ct_outbox_consume_once (sent once, barring a crash between the send
 * and that record) and blanks the event's payload (ct_outbox_forget). Its connections come
 * from `pool` (borrowed). Stop `o` before freeing `a`. Errors of ct_outbox_subscribe. */
ct_status ct_accounts_use_outbox(ct_accounts *a, ct_outbox *o, ct_store_pool *pool);

/* The hub's subscriber name of the account security notices. */
#define CT_ACCOUNTS_HUB_SUBSCRIBER "account-security"

/* After ct_accounts_use_outbox, on the same outbox (not started yet): the security notices
 * ("Your Contrail password was changed") go through the notification hub `h` (borrowed) as
 * kind account_security: e-mail (with its unsubscribe link) and in-app, by the user's
 * preferences; the transactional e-mails (verification and reset links, "someone tried to sign
 * up") stay on CT_ACCOUNTS_MAIL_SUBSCRIBER and are always sent. A phone number verified or
 * removed (phone.c's events) is a security notice too (subscribers "account-phone-added" and
 * "account-phone-removed"). Errors of ct_notify_hub_subscribe. */
ct_status ct_accounts_use_hub(ct_accounts *a, ct_notify_hub *h, ct_outbox *o);

/* ---- credentials and sessions (credentials.c, sessions.c) ---- */
/* Creates an account and mails a verification link. For an address already registered it
 * answers the same (CT_OK, user_id set to "") after the same password hashing, creates
 * nothing and mails the owner that someone tried. CT_INVALID with fe for bad input. */
ct_status ct_accounts_register(ct_accounts *a, ct_store *st, const char *email,
                               const char *password, const char *name, const char *ip,
                               char user_id[40], ct_field_error *fe);
/* Sends a fresh verification link (earlier links stay valid until they expire). CT_CONFLICT
 * when the address is already verified, CT_NOT_FOUND for an unknown user. */
ct_status ct_accounts_resend_verification(ct_accounts *a, ct_store *st, const char *user_id);
/* Marks the e-mail verified. CT_INVALID for an unknown, used or expired token. */
ct_status ct_accounts_verify_email(ct_accounts *a, ct_store *st, const char *token);
/* CT_OK with tokens; CT_INVALID for wrong credentials (same answer, same time for an
 * unknown e-mail); CT_AGAIN when throttled (see above), with *retry_after_s; a store error
 * as itself. */
ct_status ct_accounts_sign_in(ct_accounts *a, ct_store *st, const char *email, const char *password,
                              const char *ip, ct_session_tokens *out, int *retry_after_s);
/* Rotates a refresh token. CT_INVALID when unknown, expired or revoked; reuse of a spent
 * token revokes its family and returns CT_INVALID. */
ct_status ct_accounts_refresh(ct_accounts *a, ct_store *st, const char *refresh_token,
                              const char *ip, ct_session_tokens *out);
/* Revokes the family of a refresh token (sign-out): its access tokens stop working too.
 * CT_OK even when unknown. */
ct_status ct_accounts_sign_out(ct_accounts *a, ct_store *st, const char *refresh_token);
/* Verifies an access token's signature and claims (no database). CT_INVALID on any defect
 * (a token without "sid" and "ver" too). */
ct_status ct_accounts_verify_access(const ct_accounts *a, const char *token, ct_principal *out);
/* Checks a verified token's principal against the database: the user exists, its token
 * version is the token's and the session (family) is not revoked; then sets p->role to the
 * user's current role. CT_INVALID when the token is no longer good, a store error as itself. */
ct_status ct_accounts_check_session(ct_store *st, ct_principal *p);
/* Issues an access token (used by sign-in and refresh; exposed for tests and benchmarks). */
ct_status ct_accounts_issue_access(const ct_accounts *a, const char *user_id, const char *role,
                                   int64_t version, const char *session_id, int64_t now, char *out,
                                   size_t len);
/* Checks `current` (throttled like a sign-in: CT_AGAIN with *retry_after_s), sets `next`,
 * ends every session and access token of the user and voids its reset links. */
ct_status ct_accounts_change_password(ct_accounts *a, ct_store *st, const char *user_id,
                                      const char *current, const char *next, const char *ip,
                                      ct_field_error *fe, int *retry_after_s);
/* CT_OK for a well-formed address whether or not the account exists (no enumeration); mails
 * a link when it exists and no reset mail went to it in the last reset_mail_interval seconds,
 * voiding its earlier links. CT_INVALID for a malformed address; CT_AGAIN with
 * *retry_after_s past reset_requests_per_hour requests from `ip`. */
ct_status ct_accounts_request_reset(ct_accounts *a, ct_store *st, const char *email, const char *ip,
                                    int *retry_after_s);
/* Sets a new password with a reset token (not the e-mail address; the token is kept when the
 * password is refused), ends every session and voids every other reset link. */
ct_status ct_accounts_reset_password(ct_accounts *a, ct_store *st, const char *token,
                                     const char *password, const char *ip, ct_field_error *fe);

/* ---- identities at OpenID Connect providers (identities.c) ---- */
/* What a provider's validated ID token says of the person (src/oidc checked it). */
typedef struct ct_external_identity {
    const char *provider; /* the platform's name of the provider ("sandbox") */
    const char *issuer, *subject;
    const char *email; /* may be NULL */
    int email_verified;
    const char *name; /* may be NULL */
} ct_external_identity;

/* Signs in with an external identity, in one transaction: a linked identity (issuer, subject)
 * signs its account in (*outcome "signin"); else an account with the same e-mail is linked
 * ONLY when the provider says email_verified (its e-mail becomes verified; "linked"), and an
 * unverified one is refused with CT_CONFLICT ("link_refused", logged); else a new account is
 * created, its e-mail verified as the provider says, with no usable password ("created").
 * The session is issued as by a password sign-in and the sign-in logged (kind "signin",
 * detail "oidc:PROVIDER"). CT_INVALID when the identity has no subject or the e-mail is
 * missing or malformed for a new account. */
ct_status ct_accounts_external_sign_in(ct_accounts *a, ct_store *st, const ct_external_identity *id,
                                       const char *ip, ct_session_tokens *out,
                                       const char **outcome);
/* The user's linked identities: [{provider, issuer, subject, email, created_at,
 * last_used_at}] (GDPR export). */
ct_status ct_accounts_identities(ct_store *st, const char *user_id, json_t **out);

/* ---- profile, export, deletion (profile.c) ---- */
ct_status ct_accounts_profile(ct_store *st, const char *user_id, json_t **out);
/* Applies the fields present in `patch` (name, home_airport, currency, cabin,
 * notifications{email,webhook,in_app}); returns the new profile. */
ct_status ct_accounts_update_profile(ct_store *st, const char *user_id, json_t *patch,
                                     ct_field_error *fe, json_t **out);
/* Everything stored about the user, as one JSON document (GDPR access): profile, travellers,
 * API keys, security events, identities, notification_preferences and every in-app
 * notification (notify/hub.h). */
ct_status ct_accounts_export(ct_store *st, const char *user_id, json_t **out);
/* Deletes the account and everything it owns after checking the password (GDPR erasure;
 * throttled like a sign-in: CT_AGAIN with *retry_after_s). An account with no password (made
 * by signing in with an identity provider, identities.c) proves itself instead by a recent
 * sign-in: `session_id` (the JWT's "sid", a refresh-token family of this user) must have
 * signed in at most CT_ACCOUNTS_REAUTH_S ago; else CT_INVALID naming "password" with what to
 * do (sign in again with the provider). */
#define CT_ACCOUNTS_REAUTH_S 600
ct_status ct_accounts_delete(ct_accounts *a, ct_store *st, const char *user_id,
                             const char *password, const char *session_id, const char *ip,
                             ct_field_error *fe, int *retry_after_s);
/* ---- a phone number verified by SMS (phone.c) ----
 * users.phone_e164 is the verified number (phone_verified_at set), NULL when none; the number
 * being verified waits with its code until the code comes back. The profile (and so /me and
 * the GDPR export) shows phone, phone_verified, phone_verified_at and phone_pending; erasure
 * deletes it with the user. */
#define CT_PHONE_CODE_TTL              600 /* seconds a code lives */
#define CT_PHONE_CODE_ATTEMPTS         5   /* wrong codes allowed per code */
#define CT_PHONE_RESEND_INTERVAL       60  /* seconds between two codes to one user */
#define CT_PHONE_SENDS_PER_HOUR        5   /* codes per user per hour */
#define CT_PHONE_SENDS_PER_NUMBER_HOUR 5   /* codes to one number per hour, across accounts */
#define CT_PHONE_SENDS_PER_IP_HOUR     20  /* codes per client address per hour (configurable) */

/* Sends a 6-digit code by SMS (cfg.sms) to `phone` (E.164) for the user, asked from `ip` (may
 * be NULL), and answers {phone, status "code_sent", expires_in, resend_in}. CT_INVALID (fe
 * names "phone") for a number not in E.164 form or refused by the gateway; CT_AGAIN with
 * *retry_after_s inside a throttle (the user's, the number's across accounts, the address's:
 * SMS pumping and bombing cost money and annoy the number's owner); CT_UNAVAILABLE when no
 * gateway is configured or it failed (nothing spent). A new code voids the previous one. */
ct_status ct_accounts_phone_start(ct_accounts *a, ct_store *st, const char *user_id,
                                  const char *phone, const char *ip, ct_field_error *fe,
                                  int *retry_after_s, json_t **out);

/* Checks the code: the pending number becomes the user's verified number and *out the
 * profile. CT_INVALID (fe "code") for a malformed or wrong code (a wrong one spends an
 * attempt; the message says how many are left); CT_CONFLICT (fe "code") when no code is
 * pending, it expired, or its attempts are spent. */
ct_status ct_accounts_phone_verify(ct_accounts *a, ct_store *st, const char *user_id,
                                   const char *code, ct_field_error *fe, json_t **out);

/* From now on phone codes go through `c` (borrowed, must outlive `a`; NULL: none). Safe while
 * requests run (the serve wiring sets it once the sandbox world has published its gateway). */
void ct_accounts_set_sms(ct_accounts *a, const ct_sms_client *c);

/* Removes the user's number and voids any pending code (the resend throttle stays). */
ct_status ct_accounts_phone_delete(ct_store *st, const char *user_id);

/* The hub's renderer of account.phone_verified / account.phone_removed (ct_accounts_use_hub
 * subscribes it): the owner's security notice, kind account_security. ctx: the ct_accounts. */
ct_status ct__accounts_phone_render(const json_t *event, ct_store *st, void *ctx,
                                    ct_notify_message *msg);

/* Adds phone, phone_verified, phone_verified_at and phone_pending to `profile`. */
ct_status ct__accounts_phone_json(ct_store *st, const char *user_id, json_t *profile);

/* Sets a user's role ("user" or "admin") and bumps its token version, so access tokens
 * issued under the old role stop working at once. CT_NOT_FOUND for an unknown user. */
ct_status ct_accounts_set_role(ct_store *st, const char *user_id, const char *role);

/* ---- travellers (travellers.c); every call is scoped to user_id: another user's id is
 * CT_NOT_FOUND. Names are letters and combining marks of any script plus spaces, hyphens,
 * apostrophes and full stops: no controls, invisible or bidi characters, no emoji ---- */
/* A page of the user's travellers, oldest first: *out is an array (caller's), *total the
 * count of all. limit <= 0: all of them. */
ct_status ct_travellers_list(ct_store *st, const char *user_id, int limit, int offset, json_t **out,
                             int64_t *total);
/* CT_CONFLICT (fe names "travellers") when the user has CT_TRAVELLERS_MAX already. */
ct_status ct_travellers_create(ct_store *st, const char *user_id, json_t *in, ct_field_error *fe,
                               json_t **out);
ct_status ct_travellers_get(ct_store *st, const char *user_id, const char *id, json_t **out);
ct_status ct_travellers_update(ct_store *st, const char *user_id, const char *id, json_t *in,
                               ct_field_error *fe, json_t **out);
ct_status ct_travellers_delete(ct_store *st, const char *user_id, const char *id);

/* ---- API keys (apikeys.c) ---- */
/* Creates a key; *out holds the secret once ("key") and the metadata. CT_CONFLICT (fe names
 * "api_keys") when the user has CT_APIKEYS_MAX active keys. */
ct_status ct_apikeys_create(ct_store *st, const char *user_id, json_t *in, const char *ip,
                            ct_field_error *fe, json_t **out);
/* A page of the user's keys (revoked ones too), oldest first; as ct_travellers_list. */
ct_status ct_apikeys_list(ct_store *st, const char *user_id, int limit, int offset, json_t **out,
                          int64_t *total);
/* 1 when the space-separated `scopes` hold `scope`. */
int ct_apikeys_has_scope(const char *scopes, const char *scope);
ct_status ct_apikeys_revoke(ct_store *st, const char *user_id, const char *id, const char *ip);
/* Looks up an active key. CT_INVALID when unknown or revoked. */
ct_status ct_apikeys_authenticate(ct_store *st, const char *key, ct_principal *out);

/* ---- security log (security.c) ---- */
/* The User-Agent of the request the calling thread serves (copied, at most 511 bytes, controls
 * blanked; NULL or "" clears it). The API sets it before each accounts call; every security
 * event logged on the thread records it beside the address, and the "password changed"
 * e-mail names it. */
void ct_accounts_set_user_agent(const char *ua);
/* The calling thread's User-Agent, NULL when none. */
const char *ct__accounts_user_agent(void);
/* A readable device of a User-Agent ("Chrome on Linux", "Safari on iOS", "curl"; "Unknown
 * device" when nothing is recognised). */
void ct_accounts_device(const char *ua, char *out, size_t len);
/* Adds an event (user_agent: the thread's, above). */
ct_status ct_security_log(ct_store *st, const char *user_id, const char *kind, const char *subject,
                          const char *ip, const char *detail);
/* The newest `limit` events: {id, kind, ip?, detail?, at, user_agent?, device?}. */
ct_status ct_security_list(ct_store *st, const char *user_id, int limit, json_t **out);
/* Failed password checks (sign-in, password change, erasure) since `since` for a subject
 * (column "subject", the e-mail) or an address ("ip"). */
ct_status ct_security_recent_failures(ct_store *st, const char *column, const char *value,
                                      int64_t since, int64_t *count);
/* The password-check throttle described above: *wait_s is 0 when a check of `subject` (may be
 * NULL) from `ip` (may be NULL) may go ahead, else the seconds to wait. A store error as
 * itself (callers fail closed). */
ct_status ct__accounts_throttle(const ct_accounts *a, ct_store *st, const char *subject,
                                const char *ip, int *wait_s);

/* ---- the account e-mails (mail.c) ---- */
/* In the caller's transaction on `st`: with an outbox, adds the e-mail event of `kind`
 * ("verify", "reset", "signup_existing", "password_changed") to `to` (token: the link's, NULL
 * for the others; facts: NULL or an object whose members go into the payload, for
 * password_changed {"how": "change" | "reset", "at", "ip"?, "user_agent"?}); without one,
 * nothing. CT_NOMEM, outbox errors. */
ct_status ct__accounts_mail_queue(ct_accounts *a, ct_store *st, const char *kind, const char *to,
                                  const char *token, const json_t *facts);
/* After that transaction committed: with an outbox wakes the relay, else sends the message now
 * (a failure is logged; it never undoes the change). */
void ct__accounts_mail_after(ct_accounts *a, const char *kind, const char *to, const char *token,
                             const json_t *facts);

/* ---- helpers shared by the files above (accounts_util.c) ---- */
/* A session: a refresh token in `family` (a new one when NULL) and its access token
 * (sessions.c). */
ct_status ct__accounts_issue_session(ct_accounts *a, ct_store *st, const char *user_id,
                                     const char *role, int64_t version, const char *family,
                                     ct_session_tokens *out);
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
