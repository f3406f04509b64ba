/* sessions.c: sign-in, access tokens (JWT) and refresh-token rotation.
 *
 * Access tokens are HS256 JWTs made and parsed by libjwt; libjwt 1.10 checks the signature
 * but no claim, so verification here checks, in order: size and shape, signature, algorithm
 * (only HS256; "none" and every other algorithm are refused whatever libjwt did), issuer,
 * audience, expiry, not-before, issued-at and lifetime, subject and role.
 *
 * Every access token names its session ("sid": the refresh-token family) and the user's
 * token version ("ver"); the dispatcher calls ct_accounts_check_session on every request,
 * one indexed read of the user row and its session, so a revoked session, a bumped version
 * (password change or reset, role change) or an erased user ends the token at once.
 *
 * Refresh tokens form families: the token a sign-in returns starts one; each use marks the
 * token used (UPDATE ... WHERE used_at IS NULL RETURNING, so two concurrent uses cannot both
 * win) and inserts its successor in the same family. Presenting a used token means it was
 * copied: the family is revoked and the event logged. */
#include <errno.h>
#include <jwt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "accounts/accounts.h"
#include "base/log.h"

#define JWT_MAX_LEN 4096
#define CLOCK_SKEW  30 /* seconds of tolerance for nbf/iat */

ct_status ct_accounts_init(ct_accounts *a, const ct_accounts_config *cfg)
{
    if (sodium_init() < 0)
        return CT_ERR;
    memset(a, 0, sizeof(*a));
    a->cfg = *cfg;
    if (cfg->jwt_secret == NULL || strlen(cfg->jwt_secret) < 32)
        return CT_INVALID;
    if (a->cfg.issuer == NULL)
        a->cfg.issuer = "contrail";
    if (a->cfg.audience == NULL)
        a->cfg.audience = "contrail-api";
    if (a->cfg.access_ttl == 0)
        a->cfg.access_ttl = CT_ACCESS_TTL_MAX;
    if (a->cfg.access_ttl < 1 || a->cfg.access_ttl > CT_ACCESS_TTL_MAX)
        return CT_INVALID;
    if (a->cfg.refresh_ttl <= 0)
        a->cfg.refresh_ttl = 30 * 86400;
    if (a->cfg.signin_failures_per_hour <= 0)
        a->cfg.signin_failures_per_hour = CT_SIGNIN_FAILURES_MAX;
    if (a->cfg.signin_pair_free <= 0)
        a->cfg.signin_pair_free = CT_SIGNIN_PAIR_FREE;
    if (a->cfg.reset_requests_per_hour <= 0)
        a->cfg.reset_requests_per_hour = CT_RESET_PER_HOUR;
    if (a->cfg.reset_mail_interval <= 0)
        a->cfg.reset_mail_interval = CT_RESET_MAIL_INTERVAL;
    if (a->cfg.public_url == NULL)
        a->cfg.public_url = "http://127.0.0.1:8080";
    /* The hash an unknown e-mail is checked against: same parameters, random password. */
    char random_pw[64];
    ct__accounts_new_token(random_pw);
    if (crypto_pwhash_str_alg(a->dummy_hash, random_pw, strlen(random_pw), 2, 19u << 20,
                              crypto_pwhash_ALG_ARGON2ID13) != 0)
        return CT_NOMEM;
    return CT_OK;
}

ct_status ct_accounts_issue_access(const ct_accounts *a, const char *user_id, const char *role,
                                   int64_t version, const char *session_id, int64_t now, char *out,
                                   size_t len)
{
    jwt_t *jwt = NULL;
    if (jwt_new(&jwt) != 0)
        return CT_NOMEM;
    char jti[40];
    ct__accounts_new_id("jti", jti);
    int err =
        jwt_add_grant(jwt, "iss", a->cfg.issuer) || jwt_add_grant(jwt, "aud", a->cfg.audience) ||
        jwt_add_grant(jwt, "sub", user_id) || jwt_add_grant(jwt, "role", role) ||
        jwt_add_grant(jwt, "jti", jti) || jwt_add_grant(jwt, "sid", session_id) ||
        jwt_add_grant_int(jwt, "ver", (long)version) || jwt_add_grant_int(jwt, "iat", (long)now) ||
        jwt_add_grant_int(jwt, "nbf", (long)now) ||
        jwt_add_grant_int(jwt, "exp", (long)(now + a->cfg.access_ttl)) ||
        jwt_set_alg(jwt, JWT_ALG_HS256, (const unsigned char *)a->cfg.jwt_secret,
                    (int)strlen(a->cfg.jwt_secret));
    char *token = err ? NULL : jwt_encode_str(jwt);
    jwt_free(jwt);
    if (token == NULL)
        return CT_NOMEM;
    ct_status rc = strlen(token) < len ? CT_OK : CT_TOO_LARGE;
    if (!rc)
        snprintf(out, len, "%s", token);
    free(token);
    return rc;
}

static int claims_valid(const ct_accounts *a, jwt_t *jwt, int64_t now)
{
    const char *iss = jwt_get_grant(jwt, "iss"), *aud = jwt_get_grant(jwt, "aud");
    const char *sub = jwt_get_grant(jwt, "sub"), *role = jwt_get_grant(jwt, "role");
    long exp = jwt_get_grant_int(jwt, "exp"), nbf = jwt_get_grant_int(jwt, "nbf");
    long iat = jwt_get_grant_int(jwt, "iat");
    const char *sid = jwt_get_grant(jwt, "sid");
    errno = 0;
    long ver = jwt_get_grant_int(jwt, "ver");
    if (errno != 0 || ver < 0)
        return 0;
    if (sid == NULL || strncmp(sid, "fam_", 4) != 0 || strlen(sid) >= 40)
        return 0;
    if (iss == NULL || strcmp(iss, a->cfg.issuer) != 0)
        return 0;
    if (aud == NULL || strcmp(aud, a->cfg.audience) != 0)
        return 0;
    if (exp <= 0 || now >= exp)
        return 0;
    if (nbf <= 0 || nbf > now + CLOCK_SKEW || iat <= 0 || iat > now + CLOCK_SKEW)
        return 0;
    if (exp - iat > CT_ACCESS_TTL_MAX)
        return 0;
    if (sub == NULL || strncmp(sub, "usr_", 4) != 0 || strlen(sub) >= 40)
        return 0;
    return role != NULL && (strcmp(role, "user") == 0 || strcmp(role, "admin") == 0);
}

ct_status ct_accounts_verify_access(const ct_accounts *a, const char *token, ct_principal *out)
{
    size_t n = strlen(token);
    if (n == 0 || n > JWT_MAX_LEN)
        return CT_INVALID;
    int dots = 0;
    for (size_t i = 0; i < n; i++)
        dots += token[i] == '.';
    if (dots != 2)
        return CT_INVALID;
    jwt_t *jwt = NULL;
    if (jwt_decode(&jwt, token, (const unsigned char *)a->cfg.jwt_secret,
                   (int)strlen(a->cfg.jwt_secret)) != 0 ||
        jwt == NULL)
        return CT_INVALID;
    ct_status rc = CT_INVALID;
    if (jwt_get_alg(jwt) == JWT_ALG_HS256 && claims_valid(a, jwt, ct__accounts_now())) {
        memset(out, 0, sizeof(*out));
        snprintf(out->user_id, sizeof(out->user_id), "%s", jwt_get_grant(jwt, "sub"));
        snprintf(out->role, sizeof(out->role), "%s", jwt_get_grant(jwt, "role"));
        snprintf(out->session_id, sizeof(out->session_id), "%s", jwt_get_grant(jwt, "sid"));
        out->token_version = jwt_get_grant_int(jwt, "ver");
        rc = CT_OK;
    }
    jwt_free(jwt);
    return rc;
}

ct_status ct_accounts_check_session(ct_store *st, ct_principal *p)
{
    ct_stmt *s = NULL;
    ct_status rc = ct_store_prepare(st,
                                    "SELECT u.role, u.token_version, (SELECT COUNT(*) FROM"
                                    " refresh_tokens r WHERE r.family = ? AND r.user_id = u.id"
                                    " AND r.revoked_at IS NULL) FROM users u WHERE u.id = ?",
                                    &s);
    if (rc)
        return rc;
    ct_stmt_bind_text(s, 1, p->session_id);
    ct_stmt_bind_text(s, 2, p->user_id);
    rc = ct_stmt_step(s);
    if (rc == CT_ROW) {
        if (ct_stmt_int64(s, 1) != p->token_version || ct_stmt_int64(s, 2) == 0) {
            rc = CT_INVALID;
        } else {
            snprintf(p->role, sizeof(p->role), "%s", ct_stmt_text(s, 0));
            rc = CT_OK;
        }
    } else if (rc == CT_DONE) {
        rc = CT_INVALID; /* the user is gone */
    }
    ct_stmt_finalize(s);
    return rc;
}

/* Creates a refresh token in `family` (a new family when NULL) and the access token. */
ct_status ct__accounts_issue_session(ct_accounts *a, ct_store *st, const char *user_id,
                                     const char *role, int64_t version, const char *family,
                                     ct_session_tokens *out)
{
    int64_t now = ct__accounts_now();
    char id[40], fam[40], hash[65], created[24], expires[24];
    ct__accounts_new_id("rt", id);
    if (family == NULL)
        ct__accounts_new_id("fam", fam);
    else
        snprintf(fam, sizeof(fam), "%s", family);
    ct__accounts_new_token(out->refresh);
    ct__accounts_sha256_hex(out->refresh, hash);
    snprintf(created, sizeof(created), "%lld", (long long)now);
    snprintf(expires, sizeof(expires), "%lld", (long long)now + (long long)a->cfg.refresh_ttl);
    const char *p[] = {id, user_id, fam, hash, created, expires};
    ct_status rc = ct_store_run(st,
                                "INSERT INTO refresh_tokens (id, user_id, family, token_hash,"
                                " created_at, expires_at) VALUES (?, ?, ?, ?, ?, ?)",
                                6, p);
    if (!rc)
        rc = ct_accounts_issue_access(a, user_id, role, version, fam, now, out->access,
                                      sizeof(out->access));
    out->expires_in = a->cfg.access_ttl;
    snprintf(out->user_id, sizeof(out->user_id), "%s", user_id);
    return rc;
}

ct_status ct_accounts_sign_in(ct_accounts *a, ct_store *st, const char *email, const char *password,
                              const char *ip, ct_session_tokens *out, int *retry_after_s)
{
    char norm[256];
    int valid = ct__accounts_normalize_email(email, norm, sizeof(norm));
    int wait = 0;
    ct_status rc = ct__accounts_throttle(a, st, valid ? norm : NULL, ip, &wait);
    if (rc)
        return rc; /* fail closed: no password check the throttle cannot count */
    if (wait > 0) {
        *retry_after_s = wait;
        ct_security_log(st, NULL, "signin_throttled", valid ? norm : NULL, ip, NULL);
        return CT_AGAIN;
    }
    char user_id[40] = "", role[8] = "user", hash[crypto_pwhash_STRBYTES] = "";
    int64_t version = 0;
    if (valid) {
        ct_stmt *s = NULL;
        rc = ct_store_prepare(st,
                              "SELECT id, password_hash, role, token_version FROM users"
                              " WHERE email = ?",
                              &s);
        if (rc)
            return rc;
        ct_stmt_bind_text(s, 1, norm);
        rc = ct_stmt_step(s);
        if (rc == CT_ROW) {
            snprintf(user_id, sizeof(user_id), "%s", ct_stmt_text(s, 0));
            snprintf(hash, sizeof(hash), "%s", ct_stmt_text(s, 1));
            snprintf(role, sizeof(role), "%s", ct_stmt_text(s, 2));
            version = ct_stmt_int64(s, 3);
        }
        ct_stmt_finalize(s);
        if (rc != CT_ROW && rc != CT_DONE)
            return rc;
    }
    /* Unknown or malformed e-mail: verify against the dummy hash, so it costs the same. */
    const char *against = user_id[0] ? hash : a->dummy_hash;
    int ok = crypto_pwhash_str_verify(against, password, strlen(password)) == 0 && user_id[0];
    if (!ok) {
        /* Fail closed: a failure the throttle cannot count (a full disk, a lost database)
         * answers like the storage, never "not correct", so guessing gains nothing. */
        rc = ct_security_log(st, user_id[0] ? user_id : NULL, "signin_failed", valid ? norm : NULL,
                             ip, NULL);
        return rc ? rc : CT_INVALID;
    }
    rc = ct__accounts_issue_session(a, st, user_id, role, version, NULL, out);
    if (!rc)
        ct_security_log(st, user_id, "signin", norm, ip, NULL);
    return rc;
}

static ct_status revoke_family(ct_store *st, const char *family)
{
    char now[24];
    snprintf(now, sizeof(now), "%lld", (long long)ct__accounts_now());
    const char *p[] = {now, family};
    return ct_store_run(st,
                        "UPDATE refresh_tokens SET revoked_at = ? WHERE family = ?"
                        " AND revoked_at IS NULL",
                        2, p);
}

typedef struct refresh_row {
    char id[40], user_id[40], family[40];
    int64_t expires_at;
    int used, revoked;
} refresh_row;

static ct_status find_refresh(ct_store *st, const char *token, refresh_row *row)
{
    char hash[65];
    memset(row, 0, sizeof(*row));
    ct__accounts_sha256_hex(token, hash);
    ct_stmt *s = NULL;
    ct_status rc = ct_store_prepare(st,
                                    "SELECT id, user_id, family, expires_at, used_at, revoked_at"
                                    " FROM refresh_tokens WHERE token_hash = ?",
                                    &s);
    if (rc)
        return rc;
    ct_stmt_bind_text(s, 1, hash);
    rc = ct_stmt_step(s);
    if (rc == CT_ROW) {
        snprintf(row->id, sizeof(row->id), "%s", ct_stmt_text(s, 0));
        snprintf(row->user_id, sizeof(row->user_id), "%s", ct_stmt_text(s, 1));
        snprintf(row->family, sizeof(row->family), "%s", ct_stmt_text(s, 2));
        row->expires_at = ct_stmt_int64(s, 3);
        row->used = !ct_stmt_is_null(s, 4);
        row->revoked = !ct_stmt_is_null(s, 5);
        rc = CT_OK;
    } else if (rc == CT_DONE) {
        rc = CT_NOT_FOUND;
    }
    ct_stmt_finalize(s);
    return rc;
}

/* Marks the token used; 1 when this call did it, 0 when someone else already had. */
static int claim_refresh(ct_store *st, const char *id)
{
    char now[24];
    snprintf(now, sizeof(now), "%lld", (long long)ct__accounts_now());
    ct_stmt *s = NULL;
    if (ct_store_prepare(st,
                         "UPDATE refresh_tokens SET used_at = ? WHERE id = ? AND used_at IS NULL"
                         " RETURNING id",
                         &s) != CT_OK)
        return 0;
    ct_stmt_bind_text(s, 1, now);
    ct_stmt_bind_text(s, 2, id);
    int won = ct_stmt_step(s) == CT_ROW;
    ct_stmt_finalize(s);
    return won;
}

ct_status ct_accounts_refresh(ct_accounts *a, ct_store *st, const char *refresh_token,
                              const char *ip, ct_session_tokens *out)
{
    refresh_row row;
    if (strlen(refresh_token) > 64 || find_refresh(st, refresh_token, &row) != CT_OK)
        return CT_INVALID;
    if (row.revoked || row.expires_at <= ct__accounts_now())
        return CT_INVALID;
    if (row.used || !claim_refresh(st, row.id)) {
        revoke_family(st, row.family);
        ct_security_log(st, row.user_id, "refresh_reuse", NULL, ip, row.family);
        ct_log(CT_LOG_WARN, "accounts.refresh_reuse", "user", row.user_id, "family", row.family,
               NULL);
        return CT_INVALID;
    }
    char role[8] = "user";
    int64_t version = 0;
    ct_stmt *s = NULL;
    ct_status rc = ct_store_prepare(st, "SELECT role, token_version FROM users WHERE id = ?", &s);
    if (rc)
        return rc;
    ct_stmt_bind_text(s, 1, row.user_id);
    rc = ct_stmt_step(s);
    if (rc == CT_ROW) {
        snprintf(role, sizeof(role), "%s", ct_stmt_text(s, 0));
        version = ct_stmt_int64(s, 1);
    }
    ct_stmt_finalize(s);
    if (rc != CT_ROW)
        return rc == CT_DONE ? CT_INVALID : rc;
    return ct__accounts_issue_session(a, st, row.user_id, role, version, row.family, out);
}

ct_status ct_accounts_sign_out(ct_accounts *a, ct_store *st, const char *refresh_token)
{
    (void)a;
    refresh_row row;
    if (strlen(refresh_token) > 64 || find_refresh(st, refresh_token, &row) != CT_OK)
        return CT_OK;
    ct_status rc = revoke_family(st, row.family);
    if (!rc)
        ct_security_log(st, row.user_id, "signout", NULL, NULL, NULL);
    return rc;
}
