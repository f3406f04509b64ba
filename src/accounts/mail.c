/* mail.c: the account e-mails (verification link, reset link, "someone tried to sign up",
 * "your password was changed"): their text, and how they leave.
 *
 * Without an outbox (ct_accounts_use_outbox not called) ct__accounts_mail_after sends at once,
 * inside the caller's request. With one, ct__accounts_mail_queue adds an event
 * CT_ACCOUNTS_MAIL_EVENT in the caller's transaction (the one that stores the token), and
 * ct__accounts_mail_after only wakes the relay; the relay thread then runs on_mail: asks
 * consume_once whether the event is new (rolled back: no lock is held while mailing), renders
 * and sends the message, then records the event and blanks its payload in one committed
 * transaction.
 *
 * The link needs the clear token, which the database must never hold: the event carries it
 * sealed with crypto_secretbox (random nonce; key = BLAKE2b of a label and jwt_secret, kept
 * in memory only), so the outbox row alone does not give a working link, and the payload
 * (address and sealed token) is replaced by {} once the mail is sent. Each event has its own
 * aggregate id, so two e-mails to one account never conflict on the aggregate's sequence.
 *
 * With the notification hub (ct_accounts_use_hub) the security notice "password changed" is
 * the hub's (render_security: kind account_security, e-mail with the unsubscribe link and an
 * in-app notification, by the user's preferences) and on_mail leaves it alone; the other
 * messages carry links or answer a request, so they are always sent, by on_mail. */
#include <stdio.h>
#include <string.h>
#include <time.h>

#include "accounts/accounts.h"
#include "base/alloc.h"
#include "base/log.h"

#define SEAL_HEX_MAX 256
#define BODY_MAX     2048 /* room for a 511-byte User-Agent */

static const char *str(const json_t *j, const char *key)
{
    const char *s = json_string_value(json_object_get(j, key));
    return s ? s : "";
}

/* The body of "Your Contrail password was changed" from the facts of the change. */
static void render_changed(const ct_accounts *a, const json_t *facts, char *body, size_t len)
{
    const char *ua = str(facts, "user_agent"), *ip = str(facts, "ip");
    char when[40] = "", device[64];
    time_t at = (time_t)json_integer_value(json_object_get(facts, "at"));
    struct tm tm;
    if (gmtime_r(&at, &tm) != NULL)
        strftime(when, sizeof(when), "%A %d %B %Y at %H:%M UTC", &tm);
    ct_accounts_device(ua[0] ? ua : NULL, device, sizeof(device));
    int reset = strcmp(str(facts, "how"), "reset") == 0;
    snprintf(body, len,
             "The password of your Contrail account was changed%s.\n\nWhen: %s\nDevice: %s%s%s%s\n"
             "Address: %s\n\nIf it was you, there is nothing to do.\n\nIf it was not you, "
             "someone else knows your password or can read your e-mail: choose a new password "
             "at once at %s/reset-password (every session ends when you do), and make sure "
             "nobody else can open this mailbox.\n",
             reset ? " with a password-reset link" : "", when, device, ua[0] ? " (" : "", ua,
             ua[0] ? ")" : "", ip[0] ? ip : "unknown", a->cfg.public_url);
}

/* The subject and body of a message of `kind`; 0 for an unknown kind. */
static int render(const ct_accounts *a, const char *kind, const char *token, const json_t *facts,
                  const char **subject, char *body, size_t len)
{
    const char *u = a->cfg.public_url;
    if (strcmp(kind, "password_changed") == 0) {
        *subject = "Your Contrail password was changed";
        render_changed(a, facts, body, len);
        return 1;
    }
    if (strcmp(kind, "verify") == 0 && token != NULL) {
        *subject = "Confirm your e-mail address";
        snprintf(body, len,
                 "Welcome to Contrail.\n\nConfirm your e-mail address by opening this link within "
                 "24 hours:\n\n%s/verify-email?token=%s\n\nIf you did not create an account, "
                 "ignore this message.\n",
                 u, token);
    } else if (strcmp(kind, "reset") == 0 && token != NULL) {
        *subject = "Reset your Contrail password";
        snprintf(body, len,
                 "Someone asked to reset the password of your Contrail account.\n\nOpen this "
                 "link within one hour to choose a new password:\n\n%s/reset-password?token=%s"
                 "\n\nIf it was not you, ignore this message: your password has not changed.\n",
                 u, token);
    } else if (strcmp(kind, "signup_existing") == 0) {
        *subject = "Someone tried to sign up with your address";
        snprintf(body, len,
                 "Someone tried to create a Contrail account with this e-mail address, which "
                 "already has one.\n\nIf it was you, sign in at %s/sign-in, or choose a new "
                 "password at %s/reset-password.\n\nIf it was not you, ignore this message: "
                 "nothing has changed.\n",
                 u, u);
    } else {
        return 0;
    }
    return 1;
}

/* Sends a message, or logs that it could not be sent. */
static ct_status send_now(const ct_accounts *a, const char *to, const char *subject,
                          const char *body)
{
    if (a->cfg.mailer == NULL || a->cfg.mailer->smtp_url == NULL) {
        ct_log(CT_LOG_WARN, "mail.not_sent", "reason", "no SMTP server configured", "subject",
               subject, NULL);
        return CT_OK;
    }
    char err[256];
    ct_status rc = ct_mailer_send(a->cfg.mailer, to, subject, body, err, sizeof(err));
    if (rc)
        ct_log(CT_LOG_ERROR, "mail.failed", "subject", subject, "error", err, NULL);
    return rc;
}

/* hex(nonce || secretbox(token)). */
static void seal(const ct_accounts *a, const char *token, char out[SEAL_HEX_MAX])
{
    size_t n = strlen(token);
    unsigned char buf[crypto_secretbox_NONCEBYTES + crypto_secretbox_MACBYTES + 64];
    randombytes_buf(buf, crypto_secretbox_NONCEBYTES);
    crypto_secretbox_easy(buf + crypto_secretbox_NONCEBYTES, (const unsigned char *)token, n, buf,
                          a->seal_key);
    sodium_bin2hex(out, SEAL_HEX_MAX, buf,
                   crypto_secretbox_NONCEBYTES + crypto_secretbox_MACBYTES + n);
}

/* The token of a sealed hex text; 0 when it does not open. */
static int unseal(const ct_accounts *a, const char *hex, char token[64])
{
    unsigned char buf[crypto_secretbox_NONCEBYTES + crypto_secretbox_MACBYTES + 63];
    size_t n = 0;
    if (hex == NULL || sodium_hex2bin(buf, sizeof(buf), hex, strlen(hex), NULL, &n, NULL) != 0 ||
        n < crypto_secretbox_NONCEBYTES + crypto_secretbox_MACBYTES)
        return 0;
    size_t clen = n - crypto_secretbox_NONCEBYTES;
    if (crypto_secretbox_open_easy((unsigned char *)token, buf + crypto_secretbox_NONCEBYTES, clen,
                                   buf, a->seal_key) != 0)
        return 0;
    token[clen - crypto_secretbox_MACBYTES] = '\0';
    return 1;
}

ct_status ct__accounts_mail_queue(ct_accounts *a, ct_store *st, const char *kind, const char *to,
                                  const char *token, const json_t *facts)
{
    if (a->outbox == NULL)
        return CT_OK;
    char sealed[SEAL_HEX_MAX] = "", id[40];
    if (token != NULL)
        seal(a, token, sealed);
    json_t *payload = json_pack("{s:s, s:s}", "kind", kind, "to", to);
    if (payload == NULL ||
        (token != NULL && json_object_set_new(payload, "sealed", json_string(sealed)) != 0) ||
        (facts != NULL && json_object_update(payload, (json_t *)facts) != 0)) {
        json_decref(payload);
        return CT_NOMEM;
    }
    ct__accounts_new_id("eml", id);
    ct_status rc = ct_outbox_add(st, "account_email", id, CT_ACCOUNTS_MAIL_EVENT, payload, NULL, 0);
    json_decref(payload);
    sodium_memzero(sealed, sizeof(sealed));
    return rc;
}

void ct__accounts_mail_after(ct_accounts *a, const char *kind, const char *to, const char *token,
                             const json_t *facts)
{
    if (a->outbox != NULL) {
        ct_outbox_kick(a->outbox);
        return;
    }
    const char *subject = NULL;
    char body[BODY_MAX];
    if (render(a, kind, token, facts, &subject, body, sizeof(body)))
        send_now(a, to, subject, body); /* a failure never undoes the change: ask again */
}

/* consume_once in a transaction: commit = 1 records it and blanks the payload, 0 only asks. */
static ct_status seen(ct_store *st, const char *event_id, int commit)
{
    ct_status rc = ct_store_begin(st);
    if (rc)
        return rc;
    rc = ct_outbox_consume_once(st, CT_ACCOUNTS_MAIL_SUBSCRIBER, event_id);
    if (rc == CT_OK && commit)
        rc = ct_outbox_forget(st, event_id);
    if (rc == CT_OK && commit)
        return ct_store_commit(st);
    ct_store_rollback(st);
    return rc;
}

static ct_status on_mail(const json_t *event, void *ctx)
{
    ct_accounts *a = ctx;
    const json_t *p = json_object_get(event, "payload");
    const char *evid = str(event, "id"), *kind = str(p, "kind"), *to = str(p, "to");
    const char *sealed = json_string_value(json_object_get(p, "sealed"));
    char token[64] = "", body[BODY_MAX];
    const char *subject = NULL;
    ct_store *st = NULL;
    ct_status rc = ct_store_pool_acquire(a->mail_pool, 5000, &st);
    if (rc)
        return rc;
    if (a->hub != NULL && (strcmp(kind, "password_changed") == 0 || kind[0] == '\0')) {
        rc = CT_OK; /* the hub's (render_security), perhaps blanked by it already */
        goto cleanup;
    }
    rc = seen(st, evid, 0);
    if (rc == CT_CONFLICT) { /* sent before */
        rc = CT_OK;
        goto cleanup;
    }
    if (rc)
        goto cleanup;
    int ok = to[0] != '\0' && (sealed == NULL || unseal(a, sealed, token)) &&
             render(a, kind, sealed ? token : NULL, p, &subject, body, sizeof(body));
    if (!ok) { /* blanked, from another key, or unknown: nothing can be sent, never will be */
        ct_log(CT_LOG_WARN, "mail.skipped", "event_id", evid, "reason", "unreadable e-mail event",
               NULL);
        rc = seen(st, evid, 1);
        goto cleanup;
    }
    rc = send_now(a, to, subject, body);
    if (rc)
        goto cleanup; /* the relay tries again after a back-off */
    rc = seen(st, evid, 1);
    ct_log(CT_LOG_INFO, "mail.sent", "event_id", evid, "kind", kind, NULL);
cleanup:
    if (rc == CT_CONFLICT)
        rc = CT_OK;
    sodium_memzero(token, sizeof(token));
    sodium_memzero(body, sizeof(body));
    ct_store_pool_release(a->mail_pool, st);
    return rc;
}

ct_status ct_accounts_use_outbox(ct_accounts *a, ct_outbox *o, ct_store_pool *pool)
{
    if (a == NULL || o == NULL || pool == NULL)
        return CT_INVALID;
    static const char label[] = "contrail.accounts.mail-seal.v1";
    crypto_generichash_state h;
    crypto_generichash_init(&h, NULL, 0, sizeof(a->seal_key));
    crypto_generichash_update(&h, (const unsigned char *)label, sizeof(label));
    crypto_generichash_update(&h, (const unsigned char *)a->cfg.jwt_secret,
                              strlen(a->cfg.jwt_secret));
    crypto_generichash_final(&h, a->seal_key, sizeof(a->seal_key));
    ct_status rc =
        ct_outbox_subscribe(o, CT_ACCOUNTS_MAIL_SUBSCRIBER, CT_ACCOUNTS_MAIL_EVENT, on_mail, a);
    if (rc)
        return rc;
    a->mail_pool = pool;
    a->outbox = o;
    return CT_OK;
}

/* The hub's message of a password change: kind account_security, to the account's owner. */
static ct_status render_security(const json_t *event, ct_store *st, void *ctx,
                                 ct_notify_message *msg)
{
    (void)st;
    const ct_accounts *a = ctx;
    const json_t *p = json_object_get(event, "payload");
    if (strcmp(str(p, "kind"), "password_changed") != 0 || str(p, "user_id")[0] == '\0')
        return CT_NOT_FOUND; /* the transactional e-mails are on_mail's */
    char body[BODY_MAX], device[64], line[256];
    render_changed(a, p, body, sizeof(body));
    const char *ua = str(p, "user_agent");
    ct_accounts_device(ua[0] ? ua : NULL, device, sizeof(device));
    snprintf(line, sizeof(line), "Changed from %s (%s). Not you? Reset your password at once.",
             device, str(p, "ip")[0] ? str(p, "ip") : "unknown address");
    snprintf(msg->user_id, sizeof(msg->user_id), "%s", str(p, "user_id"));
    msg->kind = CT_NOTIFY_KIND_ACCOUNT_SECURITY;
    msg->email_to = str(p, "to")[0] ? ct_strdup(str(p, "to")) : NULL;
    msg->subject = ct_strdup("Your Contrail password was changed");
    msg->text = ct_strdup(body);
    msg->title = ct_strdup("Your password was changed");
    msg->body = ct_strdup(line);
    msg->link = ct_strdup("/account/security");
    msg->forget = 1; /* address, device and IP: blanked once delivered, as on_mail does */
    if (msg->subject == NULL || msg->text == NULL || msg->title == NULL || msg->body == NULL ||
        msg->link == NULL)
        return CT_NOMEM;
    return CT_OK;
}

ct_status ct_accounts_use_hub(ct_accounts *a, ct_notify_hub *h, ct_outbox *o)
{
    if (a == NULL || h == NULL || o == NULL)
        return CT_INVALID;
    ct_status rc = ct_notify_hub_subscribe(h, o, CT_ACCOUNTS_HUB_SUBSCRIBER, CT_ACCOUNTS_MAIL_EVENT,
                                           render_security, a);
    if (!rc)
        rc = ct_notify_hub_subscribe(h, o, "account-phone-added", "account.phone_verified",
                                     ct__accounts_phone_render, a);
    if (!rc)
        rc = ct_notify_hub_subscribe(h, o, "account-phone-removed", "account.phone_removed",
                                     ct__accounts_phone_render, a);
    if (!rc)
        a->hub = h;
    return rc;
}
