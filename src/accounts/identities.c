/* identities.c: accounts signed in through an OpenID Connect provider (see accounts.h).
 *
 * The table user_identities (migration 0017) maps a provider's (issuer, subject) to an
 * account. A sign-in runs in one write transaction: find the identity; else find the account
 * by e-mail and link it only when the provider vouches for the address (email_verified),
 * because linking on an unverified address would hand the account to whoever typed that
 * address at the provider; else create the account. An account created this way has no
 * password: its password_hash is a marker no argon2id string can equal, so a password
 * sign-in fails for it as for a wrong password (the owner may set one with a reset link). */
#include <stdio.h>
#include <string.h>

#include "accounts/accounts.h"

/* Not an encoded argon2id string: crypto_pwhash_str_verify always refuses it. */
#define NO_PASSWORD "!external"

typedef struct account_row {
    char id[40], role[8];
    int64_t version;
    int verified;
} account_row;

/* The account of `sql` (one text parameter) into *row: CT_OK, CT_NOT_FOUND, a store error. */
static ct_status find_account(ct_store *st, const char *sql, const char *param, account_row *row)
{
    ct_stmt *s = NULL;
    ct_status rc = ct_store_prepare(st, sql, &s);
    if (rc)
        return rc;
    ct_stmt_bind_text(s, 1, param);
    rc = ct_stmt_step(s);
    if (rc == CT_ROW) {
        snprintf(row->id, sizeof(row->id), "%s", ct_stmt_text(s, 0));
        snprintf(row->role, sizeof(row->role), "%s", ct_stmt_text(s, 1));
        row->version = ct_stmt_int64(s, 2);
        row->verified = (int)ct_stmt_int64(s, 3);
        rc = CT_OK;
    } else if (rc == CT_DONE) {
        rc = CT_NOT_FOUND;
    }
    ct_stmt_finalize(s);
    return rc;
}

static ct_status find_linked(ct_store *st, const ct_external_identity *id, account_row *row)
{
    ct_stmt *s = NULL;
    ct_status rc = ct_store_prepare(st,
                                    "SELECT u.id, u.role, u.token_version, u.email_verified"
                                    " FROM user_identities i JOIN users u ON u.id = i.user_id"
                                    " WHERE i.issuer = ? AND i.subject = ?",
                                    &s);
    if (rc)
        return rc;
    ct_stmt_bind_text(s, 1, id->issuer);
    ct_stmt_bind_text(s, 2, id->subject);
    rc = ct_stmt_step(s);
    if (rc == CT_ROW) {
        snprintf(row->id, sizeof(row->id), "%s", ct_stmt_text(s, 0));
        snprintf(row->role, sizeof(row->role), "%s", ct_stmt_text(s, 1));
        row->version = ct_stmt_int64(s, 2);
        row->verified = (int)ct_stmt_int64(s, 3);
        rc = CT_OK;
    } else if (rc == CT_DONE) {
        rc = CT_NOT_FOUND;
    }
    ct_stmt_finalize(s);
    return rc;
}

static ct_status link_identity(ct_store *st, const ct_external_identity *id, const char *user_id,
                               const char *email, const char *now)
{
    const char *p[] = {id->issuer, id->subject, user_id, id->provider, email, now, now};
    return ct_store_run(st,
                        "INSERT INTO user_identities (issuer, subject, user_id, provider, email,"
                        " created_at, last_used_at) VALUES (?, ?, ?, ?, ?, ?, ?)",
                        7, p);
}

static ct_status create_account(ct_store *st, const ct_external_identity *id, const char *email,
                                const char *now, account_row *row)
{
    ct__accounts_new_id("usr", row->id);
    snprintf(row->role, sizeof(row->role), "user");
    row->version = 0;
    row->verified = id->email_verified != 0;
    const char *p[] = {row->id, email, NO_PASSWORD, row->verified ? "1" : "0", id->name, now, now};
    return ct_store_run(st,
                        "INSERT INTO users (id, email, password_hash, email_verified, name,"
                        " created_at, updated_at) VALUES (?, ?, ?, ?, ?, ?, ?)",
                        7, p);
}

/* Inside the transaction: finds, links or creates the account of `id`. */
static ct_status resolve(ct_store *st, const ct_external_identity *id, const char *ip,
                         account_row *row, const char **outcome)
{
    char now[24], email[256] = "";
    snprintf(now, sizeof(now), "%lld", (long long)ct__accounts_now());
    ct_status rc = find_linked(st, id, row);
    if (rc == CT_OK) {
        *outcome = "signin";
        const char *p[] = {now, id->issuer, id->subject};
        return ct_store_run(st,
                            "UPDATE user_identities SET last_used_at = ? WHERE issuer = ?"
                            " AND subject = ?",
                            3, p);
    }
    if (rc != CT_NOT_FOUND)
        return rc;
    if (id->email == NULL || !ct__accounts_normalize_email(id->email, email, sizeof(email)))
        return CT_INVALID;
    rc = find_account(st,
                      "SELECT id, role, token_version, email_verified FROM users WHERE email = ?",
                      email, row);
    if (rc == CT_OK && !id->email_verified) {
        *outcome = "link_refused";
        return CT_CONFLICT;
    }
    if (rc == CT_OK) {
        *outcome = "linked";
        const char *p[] = {now, row->id};
        rc = ct_store_run(st, "UPDATE users SET email_verified = 1, updated_at = ? WHERE id = ?", 2,
                          p);
        if (!rc)
            rc = ct_security_log(st, row->id, "identity_linked", email, ip, id->provider);
    } else if (rc == CT_NOT_FOUND) {
        *outcome = "created";
        rc = create_account(st, id, email, now, row);
        if (!rc)
            rc = ct_security_log(st, row->id, "registered", email, ip, id->provider);
    }
    return rc ? rc : link_identity(st, id, row->id, email, now);
}

ct_status ct_accounts_external_sign_in(ct_accounts *a, ct_store *st, const ct_external_identity *id,
                                       const char *ip, ct_session_tokens *out, const char **outcome)
{
    *outcome = "refused";
    if (id->issuer == NULL || id->subject == NULL || !id->subject[0] || id->provider == NULL)
        return CT_INVALID;
    account_row row;
    memset(&row, 0, sizeof(row));
    ct_status rc = ct_store_begin(st);
    if (rc)
        return rc;
    rc = resolve(st, id, ip, &row, outcome);
    char detail[64];
    snprintf(detail, sizeof(detail), "oidc:%s", id->provider);
    if (!rc)
        rc = ct__accounts_issue_session(a, st, row.id, row.role, row.version, NULL, out);
    if (!rc)
        rc = ct_security_log(st, row.id, "signin", id->email, ip, detail);
    if (!rc)
        return ct_store_commit(st);
    ct_store_rollback(st);
    if (rc == CT_CONFLICT) /* logged after the rollback, so it stays */
        ct_security_log(st, row.id, "identity_link_refused", id->email, ip,
                        "the provider has not verified this e-mail");
    return rc;
}

ct_status ct_accounts_identities(ct_store *st, const char *user_id, json_t **out)
{
    ct_stmt *s = NULL;
    ct_status rc = ct_store_prepare(st,
                                    "SELECT provider, issuer, subject, email, created_at,"
                                    " last_used_at FROM user_identities WHERE user_id = ?"
                                    " ORDER BY created_at, issuer, subject",
                                    &s);
    if (rc)
        return rc;
    ct_stmt_bind_text(s, 1, user_id);
    json_t *list = json_array();
    while ((rc = ct_stmt_step(s)) == CT_ROW) {
        json_t *o = json_pack("{s:s, s:s, s:s, s:s?, s:I, s:I}", "provider", ct_stmt_text(s, 0),
                              "issuer", ct_stmt_text(s, 1), "subject", ct_stmt_text(s, 2), "email",
                              ct_stmt_is_null(s, 3) ? NULL : ct_stmt_text(s, 3), "created_at",
                              (json_int_t)ct_stmt_int64(s, 4), "last_used_at",
                              (json_int_t)ct_stmt_int64(s, 5));
        if (o == NULL || json_array_append_new(list, o) != 0) {
            rc = CT_NOMEM;
            break;
        }
    }
    ct_stmt_finalize(s);
    if (rc != CT_DONE) {
        json_decref(list);
        return rc;
    }
    *out = list;
    return CT_OK;
}
