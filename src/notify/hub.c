/* hub.c: the notification hub's delivery and its unsubscribe tokens (see hub.h).
 *
 * One outbox handler per subscription (on_event): render the event, read the owner's
 * preferences and address, then deliver channel by channel (in-app, e-mail, SMS), each guarded by
 * its own consumer 'notify.<name>.<channel>' in outbox_consumed, so a redelivered event (a relay
 * that died after a send, a channel that failed and is retried) sends nothing twice. The e-mail
 * leaves with the unsubscribe link in its headers (RFC 8058), text and HTML; an HTML fragment, or
 * none, is wrapped in the one page template here (template_page).
 *
 * Tokens: base64url(payload) "." base64url(HMAC-SHA-512-256(payload)), payload
 * "v1:<user id>:<kind>", key = BLAKE2b-256 of a label and the server's secret (libsodium's
 * crypto_auth; a hand-rolled MAC would be worse). */
#include "notify/hub.h"

#include <pthread.h>
#include <sodium.h>
#include <stdatomic.h>
#include <stdio.h>
#include <string.h>
#include <time.h>

#include "base/alloc.h"
#include "base/log.h"
#include "base/strbuf.h"

#define MAX_SUBS 16

typedef struct hub_sub {
    ct_notify_hub *hub;
    char name[48];
    ct_notify_render render;
    void *ctx;
} hub_sub;

struct ct_notify_hub {
    ct_store_pool *pool;
    char public_url[256];
    unsigned char key[crypto_auth_KEYBYTES];
    ct_notify_observe observe;
    void *observe_ctx;
    pthread_mutex_t mail_lock; /* guards the three below */
    char smtp_url[256], from[256];
    int timeout_s;
    int mail_wait; /* no mailer yet: e-mails wait for one */
    _Atomic(const ct_sms_client *) sms;
    hub_sub subs[MAX_SUBS];
    int nsubs;
};

static int64_t mono_us(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (int64_t)ts.tv_sec * 1000000 + ts.tv_nsec / 1000;
}

static int64_t now_ms(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_REALTIME, &ts);
    return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

static const char *str(const json_t *j, const char *key)
{
    const char *s = json_string_value(json_object_get(j, key));
    return s ? s : "";
}

/* ---- the hub ---- */

ct_status ct_notify_hub_new(const ct_notify_config *cfg, ct_notify_hub **out)
{
    if (cfg == NULL || cfg->pool == NULL || cfg->public_url == NULL || cfg->secret == NULL ||
        strlen(cfg->secret) < 32)
        return CT_INVALID;
    ct_notify_hub *h = ct_calloc(1, sizeof(*h));
    if (h == NULL)
        return CT_NOMEM;
    h->pool = cfg->pool;
    snprintf(h->public_url, sizeof(h->public_url), "%s", cfg->public_url);
    size_t n = strlen(h->public_url);
    if (n > 0 && h->public_url[n - 1] == '/')
        h->public_url[n - 1] = '\0';
    static const char label[] = "contrail.notify.unsubscribe.v1";
    crypto_generichash_state g;
    crypto_generichash_init(&g, NULL, 0, sizeof(h->key));
    crypto_generichash_update(&g, (const unsigned char *)label, sizeof(label));
    crypto_generichash_update(&g, (const unsigned char *)cfg->secret, strlen(cfg->secret));
    crypto_generichash_final(&g, h->key, sizeof(h->key));
    h->observe = cfg->observe;
    h->observe_ctx = cfg->observe_ctx;
    pthread_mutex_init(&h->mail_lock, NULL);
    if (cfg->mailer != NULL)
        ct_notify_hub_set_mailer(h, cfg->mailer);
    h->mail_wait = cfg->mailer_later;
    *out = h;
    return CT_OK;
}

void ct_notify_hub_free(ct_notify_hub *h)
{
    if (h == NULL)
        return;
    sodium_memzero(h->key, sizeof(h->key));
    pthread_mutex_destroy(&h->mail_lock);
    ct_free(h);
}

ct_status ct_notify_hub_set_mailer(ct_notify_hub *h, const ct_mailer *m)
{
    pthread_mutex_lock(&h->mail_lock);
    snprintf(h->smtp_url, sizeof(h->smtp_url), "%s", m && m->smtp_url ? m->smtp_url : "");
    snprintf(h->from, sizeof(h->from), "%s",
             m && m->from ? m->from : "Contrail <no-reply@contrail.test>");
    h->timeout_s = m ? m->timeout_s : 0;
    h->mail_wait = 0;
    pthread_mutex_unlock(&h->mail_lock);
    return CT_OK;
}

void ct_notify_hub_set_public_url(ct_notify_hub *h, const char *public_url)
{
    snprintf(h->public_url, sizeof(h->public_url), "%s", public_url);
    size_t n = strlen(h->public_url);
    if (n > 0 && h->public_url[n - 1] == '/')
        h->public_url[n - 1] = '\0';
}

void ct_notify_hub_set_sms(ct_notify_hub *h, const ct_sms_client *c)
{
    atomic_store(&h->sms, c);
}

/* A copy of the mailer: 1, or 0 when there is no SMTP server (*wait: one is coming). */
static int mailer_copy(ct_notify_hub *h, ct_mailer *m, char *url, char *from, size_t len, int *wait)
{
    pthread_mutex_lock(&h->mail_lock);
    snprintf(url, len, "%s", h->smtp_url);
    snprintf(from, len, "%s", h->from);
    *m = (ct_mailer){url, from, h->timeout_s};
    *wait = h->mail_wait;
    pthread_mutex_unlock(&h->mail_lock);
    return url[0] != '\0';
}

/* ---- tokens ---- */

ct_status ct_notify_unsubscribe_token(const ct_notify_hub *h, const char *user_id, const char *kind,
                                      char *out, size_t len)
{
    if (!ct_notify_is_kind(kind) || user_id == NULL || user_id[0] == '\0' || strlen(user_id) > 60 ||
        strchr(user_id, ':') != NULL)
        return CT_INVALID;
    char payload[96];
    int n = snprintf(payload, sizeof(payload), "v1:%s:%s", user_id, kind);
    unsigned char mac[crypto_auth_BYTES];
    crypto_auth(mac, (const unsigned char *)payload, (unsigned long long)n, h->key);
    size_t need = sodium_base64_ENCODED_LEN((size_t)n, sodium_base64_VARIANT_URLSAFE_NO_PADDING) +
                  sodium_base64_ENCODED_LEN(sizeof(mac), sodium_base64_VARIANT_URLSAFE_NO_PADDING);
    if (len < need + 1)
        return CT_TOO_LARGE;
    sodium_bin2base64(out, len, (const unsigned char *)payload, (size_t)n,
                      sodium_base64_VARIANT_URLSAFE_NO_PADDING);
    size_t used = strlen(out);
    out[used++] = '.';
    sodium_bin2base64(out + used, len - used, mac, sizeof(mac),
                      sodium_base64_VARIANT_URLSAFE_NO_PADDING);
    return CT_OK;
}

ct_status ct_notify_unsubscribe_check(const ct_notify_hub *h, const char *token, char *user_id,
                                      size_t ulen, char *kind, size_t klen)
{
    const char *dot = token ? strchr(token, '.') : NULL;
    if (dot == NULL || strlen(token) > 300)
        return CT_INVALID;
    char payload[128];
    unsigned char mac[crypto_auth_BYTES + 1];
    size_t plen = 0, mlen = 0;
    const char *end = NULL;
    if (sodium_base642bin((unsigned char *)payload, sizeof(payload) - 1, token,
                          (size_t)(dot - token), NULL, &plen, &end,
                          sodium_base64_VARIANT_URLSAFE_NO_PADDING) != 0 ||
        end != dot ||
        sodium_base642bin(mac, sizeof(mac), dot + 1, strlen(dot + 1), NULL, &mlen, &end,
                          sodium_base64_VARIANT_URLSAFE_NO_PADDING) != 0 ||
        *end != '\0' || mlen != crypto_auth_BYTES ||
        crypto_auth_verify(mac, (const unsigned char *)payload, plen, h->key) != 0)
        return CT_INVALID;
    payload[plen] = '\0';
    char *sep = strrchr(payload, ':');
    if (strncmp(payload, "v1:", 3) != 0 || sep == NULL || sep == payload + 2 ||
        !ct_notify_is_kind(sep + 1))
        return CT_INVALID;
    *sep = '\0';
    if ((size_t)snprintf(user_id, ulen, "%s", payload + 3) >= ulen ||
        (size_t)snprintf(kind, klen, "%s", sep + 1) >= klen)
        return CT_TOO_LARGE;
    return CT_OK;
}

/* ---- the e-mail ---- */

/* The footer of every e-mail to an account: why it came and the unsubscribe link. */
static ct_status footer_html(ct_strbuf *sb, const char *kind, const char *unsub, const char *prefs)
{
    ct_status rc = ct_strbuf_puts(
        sb, "<hr><p style=\"color:#666;font-size:12px\">You get these e-mails because ");
    if (!rc)
        rc = ct_strbuf_printf(sb, "%s", "your Contrail account has them on (");
    if (!rc)
        rc = ct_strbuf_put_html(sb, kind);
    if (!rc)
        rc = ct_strbuf_puts(sb, "). <a href=\"");
    if (!rc)
        rc = ct_strbuf_put_html(sb, unsub);
    if (!rc)
        rc = ct_strbuf_puts(sb, "\">Unsubscribe</a> &middot; <a href=\"");
    if (!rc)
        rc = ct_strbuf_put_html(sb, prefs);
    if (!rc)
        rc = ct_strbuf_puts(sb, "\">Notification settings</a></p>\n");
    return rc;
}

/* The HTML of the e-mail: the renderer's document with the footer before </body>, its
 * fragment inside the page template, or the text in paragraphs. unsub NULL: no footer. */
static ct_status template_page(ct_strbuf *sb, const ct_notify_message *msg, const char *unsub,
                               const char *prefs)
{
    const char *html = msg->html, *end = html ? strstr(html, "</body>") : NULL;
    ct_status rc = CT_OK;
    if (end != NULL) {
        rc = ct_strbuf_append(sb, html, (size_t)(end - html));
    } else {
        rc = ct_strbuf_puts(sb, "<!DOCTYPE html>\n<html><head><meta charset=\"utf-8\"><title>");
        if (!rc)
            rc = ct_strbuf_put_html(sb, msg->subject);
        if (!rc)
            rc = ct_strbuf_puts(sb, "</title></head>\n<body style=\"font-family: sans-serif\">\n");
        if (!rc && html != NULL)
            rc = ct_strbuf_puts(sb, html);
        for (const char *p = html ? NULL : msg->text; !rc && p != NULL && *p;) {
            size_t n = strcspn(p, "\n");
            if (n > 0) {
                char *line = ct_strndup(p, n);
                rc = line ? ct_strbuf_puts(sb, "<p>") : CT_NOMEM;
                if (!rc)
                    rc = ct_strbuf_put_html(sb, line);
                if (!rc)
                    rc = ct_strbuf_puts(sb, "</p>\n");
                ct_free(line);
            }
            p += n + (p[n] == '\n');
        }
    }
    if (!rc && unsub != NULL)
        rc = footer_html(sb, msg->kind, unsub, prefs);
    if (!rc)
        rc = ct_strbuf_puts(sb, end ? end : "</body></html>\n");
    return rc;
}

/* consume_once in a transaction: commit = 1 records it, 0 only asks (rolled back). */
static ct_status seen(ct_store *st, const char *consumer, const char *event_id, int commit)
{
    ct_status rc = ct_store_begin(st);
    if (rc)
        return rc;
    rc = ct_outbox_consume_once(st, consumer, event_id);
    if (rc == CT_OK && commit)
        return ct_store_commit(st);
    ct_store_rollback(st);
    return rc;
}

static void observed(ct_notify_hub *h, const char *channel, int64_t since)
{
    if (h->observe != NULL)
        h->observe(h->observe_ctx, channel, mono_us() - since);
}

/* One e-mail, once per (event, subscriber). */
static ct_status deliver_email(hub_sub *sub, ct_store *st, const char *evid,
                               const ct_notify_message *msg, const char *to)
{
    ct_notify_hub *h = sub->hub;
    char consumer[80], url[256], from[256], token[256], unsub[600] = "", prefs[320];
    ct_mailer m;
    int wait = 0;
    if (!mailer_copy(h, &m, url, from, sizeof(url), &wait)) {
        if (wait)
            return CT_UNAVAILABLE; /* the mail server is not known yet: tried again later */
        ct_log(CT_LOG_WARN, "notify.email_skipped", "event_id", evid, "reason",
               "no SMTP server configured", NULL);
        return CT_OK;
    }
    snprintf(consumer, sizeof(consumer), "notify.%s.email", sub->name);
    ct_status rc = seen(st, consumer, evid, 0);
    if (rc)
        return rc == CT_CONFLICT ? CT_OK : rc;
    int64_t t0 = mono_us();
    char h1[700], h2[] = "List-Unsubscribe-Post: List-Unsubscribe=One-Click";
    const char *extra[3] = {NULL, NULL, NULL};
    if (msg->user_id[0] != '\0' &&
        ct_notify_unsubscribe_token(h, msg->user_id, msg->kind, token, sizeof(token)) == CT_OK) {
        snprintf(unsub, sizeof(unsub), "%s/api/v1/unsubscribe?token=%s", h->public_url, token);
        snprintf(prefs, sizeof(prefs), "%s/account", h->public_url);
        snprintf(h1, sizeof(h1), "List-Unsubscribe: <%s>", unsub);
        extra[0] = h1;
        extra[1] = h2;
    }
    ct_strbuf text, html;
    ct_strbuf_init(&text, 1u << 18);
    ct_strbuf_init(&html, 1u << 19);
    rc = ct_strbuf_puts(&text, msg->text ? msg->text : "");
    if (!rc && unsub[0])
        rc = ct_strbuf_printf(&text,
                              "\n--\nTo stop these e-mails (%s), open %s\nAll notification "
                              "settings: %s\n",
                              msg->kind, unsub, prefs);
    if (!rc)
        rc = template_page(&html, msg, unsub[0] ? unsub : NULL, prefs);
    char err[256] = "";
    if (!rc)
        rc = ct_mailer_send_ex(&m, to, msg->subject, ct_strbuf_str(&text), ct_strbuf_str(&html),
                               extra, err, sizeof(err));
    ct_strbuf_free(&text);
    ct_strbuf_free(&html);
    if (rc) {
        ct_log(CT_LOG_WARN, "notify.email_failed", "event_id", evid, "kind", msg->kind, "error",
               err, NULL);
        return rc;
    }
    rc = seen(st, consumer, evid, 1);
    observed(h, "email", t0);
    ct_log(CT_LOG_INFO, "notify.email_sent", "event_id", evid, "kind", msg->kind, NULL);
    return rc == CT_CONFLICT ? CT_OK : rc;
}

/* One inbox row and its consumer record, in one transaction. */
static ct_status deliver_in_app(hub_sub *sub, ct_store *st, const char *evid,
                                const ct_notify_message *msg)
{
    char consumer[80], id[32], at[24];
    snprintf(consumer, sizeof(consumer), "notify.%s.in_app", sub->name);
    unsigned char raw[12];
    randombytes_buf(raw, sizeof(raw));
    char hex[2 * sizeof(raw) + 1];
    sodium_bin2hex(hex, sizeof(hex), raw, sizeof(raw));
    snprintf(id, sizeof(id), "ntf_%s", hex);
    snprintf(at, sizeof(at), "%lld", (long long)now_ms());
    int64_t t0 = mono_us();
    ct_status rc = ct_store_begin(st);
    if (rc)
        return rc;
    rc = ct_outbox_consume_once(st, consumer, evid);
    const char *p[] = {
        id, msg->user_id, msg->kind, evid, msg->title, msg->body ? msg->body : "", msg->link, at};
    if (!rc)
        rc = ct_store_run(st,
                          "INSERT INTO notification (id, user_id, kind, event_id, title, body,"
                          " link, created_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?)",
                          8, p);
    if (rc) {
        ct_store_rollback(st);
        return rc == CT_CONFLICT ? CT_OK : rc;
    }
    rc = ct_store_commit(st);
    if (!rc)
        observed(sub->hub, "in_app", t0);
    return rc;
}

/* The account's verified phone number ("" when none). */
static ct_status verified_phone(ct_store *st, const char *user_id, char *out, size_t len)
{
    ct_stmt *s = NULL;
    out[0] = '\0';
    ct_status rc = ct_store_prepare(
        st, "SELECT phone_e164 FROM users WHERE id = ? AND phone_verified_at IS NOT NULL", &s);
    if (!rc)
        rc = ct_stmt_bind_text(s, 1, user_id);
    if (!rc)
        rc = ct_stmt_step(s);
    if (rc == CT_ROW && ct_stmt_text(s, 0) != NULL)
        snprintf(out, len, "%s", ct_stmt_text(s, 0));
    ct_stmt_finalize(s);
    return rc == CT_ROW || rc == CT_DONE ? CT_OK : rc;
}

/* One SMS to the account's verified number, once per (event, subscriber). */
static ct_status deliver_sms(hub_sub *sub, ct_store *st, const char *evid,
                             const ct_notify_message *msg)
{
    const ct_sms_client *c = atomic_load(&sub->hub->sms);
    char phone[32], consumer[80], key[64], text[480], err[256] = "";
    ct_status rc = verified_phone(st, msg->user_id, phone, sizeof(phone));
    if (rc || phone[0] == '\0')
        return rc; /* no verified number: nothing to send */
    if (c == NULL) {
        ct_log(CT_LOG_WARN, "notify.sms_skipped", "event_id", evid, "reason",
               "no SMS gateway configured", NULL);
        return CT_OK;
    }
    snprintf(consumer, sizeof(consumer), "notify.%s.sms", sub->name);
    rc = seen(st, consumer, evid, 0);
    if (rc)
        return rc == CT_CONFLICT ? CT_OK : rc;
    if (msg->sms != NULL)
        snprintf(text, sizeof(text), "%s", msg->sms);
    else
        snprintf(text, sizeof(text), "Contrail: %s.%s%.300s", msg->title, msg->body ? " " : "",
                 msg->body ? msg->body : "");
    snprintf(key, sizeof(key), "%s:sms", evid);
    int64_t t0 = mono_us();
    rc = ct_sms_send(c, phone, text, key, NULL, 0, err, sizeof(err));
    if (rc == CT_INVALID) { /* refused for good (the number, the text): not retried */
        ct_log(CT_LOG_WARN, "notify.sms_refused", "event_id", evid, "error", err, NULL);
    } else if (rc) {
        ct_log(CT_LOG_WARN, "notify.sms_failed", "event_id", evid, "error", err, NULL);
        return rc;
    } else {
        observed(sub->hub, "sms", t0);
    }
    rc = seen(st, consumer, evid, 1);
    return rc == CT_CONFLICT ? CT_OK : rc;
}

/* The account's address (e-mail, "" when the account is gone). */
static ct_status account_email(ct_store *st, const char *user_id, char *out, size_t len)
{
    ct_stmt *s = NULL;
    out[0] = '\0';
    ct_status rc = ct_store_prepare(st, "SELECT email FROM users WHERE id = ?", &s);
    if (!rc)
        rc = ct_stmt_bind_text(s, 1, user_id);
    if (!rc)
        rc = ct_stmt_step(s);
    if (rc == CT_ROW)
        snprintf(out, len, "%s", ct_stmt_text(s, 0));
    ct_stmt_finalize(s);
    return rc == CT_ROW || rc == CT_DONE ? CT_OK : rc;
}

static void message_clear(ct_notify_message *msg)
{
    char *owned[] = {msg->email_to, msg->subject, msg->text, msg->html,
                     msg->title,    msg->body,    msg->link, msg->sms};
    for (size_t i = 0; i < sizeof(owned) / sizeof(owned[0]); i++)
        ct_free(owned[i]);
    memset(msg, 0, sizeof(*msg));
}

/* Every enabled channel of a rendered message; the first failure is returned after trying the
 * others. */
static ct_status deliver(hub_sub *sub, ct_store *st, const char *evid, ct_notify_message *msg)
{
    int en[CT_NOTIFY_NKINDS][CT_NOTIFY_NCHANNELS];
    int k = 0;
    while (k < CT_NOTIFY_NKINDS && strcmp(ct_notify_kinds[k], msg->kind) != 0)
        k++;
    char to[320] = "";
    ct_status rc = CT_OK;
    int user = msg->user_id[0] != '\0';
    if (user) {
        rc = ct_notify_prefs_get(st, msg->user_id, en);
        if (!rc)
            rc = account_email(st, msg->user_id, to, sizeof(to));
        if (!rc && to[0] == '\0')
            return CT_OK; /* the account is gone (erased): nobody to tell */
    }
    if (rc)
        return rc;
    if (msg->email_to != NULL)
        snprintf(to, sizeof(to), "%s", msg->email_to);
    ct_status first = CT_OK;
    if (user && en[k][1] && msg->title != NULL)
        first = deliver_in_app(sub, st, evid, msg);
    if ((!user || en[k][0]) && msg->subject != NULL && to[0] != '\0') {
        rc = deliver_email(sub, st, evid, msg, to);
        if (first == CT_OK)
            first = rc;
    }
    if (user && en[k][2] && msg->title != NULL) {
        rc = deliver_sms(sub, st, evid, msg);
        if (first == CT_OK)
            first = rc;
    }
    return first;
}

static ct_status on_event(const json_t *event, void *ctx)
{
    hub_sub *sub = ctx;
    const char *evid = str(event, "id");
    ct_store *st = NULL;
    ct_status rc = ct_store_pool_acquire(sub->hub->pool, 5000, &st);
    if (rc)
        return rc;
    ct_notify_message msg;
    memset(&msg, 0, sizeof(msg));
    rc = sub->render(event, st, sub->ctx, &msg);
    if (rc == CT_NOT_FOUND) {
        rc = CT_OK; /* nothing to tell */
    } else if (rc == CT_OK && !ct_notify_is_kind(msg.kind)) {
        ct_log(CT_LOG_ERROR, "notify.bad_kind", "event_id", evid, "subscriber", sub->name, NULL);
    } else if (rc == CT_OK) {
        rc = deliver(sub, st, evid, &msg);
        if (rc == CT_OK && msg.forget)
            rc = ct_outbox_forget(st, evid);
    }
    message_clear(&msg);
    ct_store_pool_release(sub->hub->pool, st);
    return rc;
}

ct_status ct_notify_hub_subscribe(ct_notify_hub *h, ct_outbox *o, const char *name,
                                  const char *pattern, ct_notify_render render, void *ctx)
{
    if (h == NULL || o == NULL || name == NULL || strlen(name) > 40 || render == NULL)
        return CT_INVALID;
    if (h->nsubs >= MAX_SUBS)
        return CT_TOO_LARGE;
    hub_sub *sub = &h->subs[h->nsubs];
    *sub = (hub_sub){.hub = h, .render = render, .ctx = ctx};
    snprintf(sub->name, sizeof(sub->name), "%s", name);
    char full[64];
    snprintf(full, sizeof(full), "notify.%s", name);
    ct_status rc = ct_outbox_subscribe(o, full, pattern, on_event, sub);
    if (!rc)
        h->nsubs++;
    return rc;
}
