/* hub.h: the notification hub: outbox events -> per-user notifications on the channels
 * e-mail, in-app and SMS, by the user's preferences per kind of message (docs/notifications.md).
 *
 * notify sits below the modules whose events it tells (booking, accounts, alerts), so it does
 * not know their events: the caller subscribes the hub to an event pattern with a renderer,
 * a function that turns one event into a ct_notify_message (whom, which kind, the e-mail's
 * subject, text and HTML, the in-app title, body and link, the SMS text). For each event the
 * hub then:
 *
 *   - reads the user's preferences for the message's kind (table notification_preference,
 *     migration 0011; no row = the default: e-mail and in-app on, SMS off) and the address;
 *   - delivers on each enabled channel, each once: in-app writes a row of `notification` and
 *     records the (event, channel) with ct_outbox_consume_once in the same transaction; e-mail
 *     asks consume_once first (rolled back), sends, then records it. A channel that fails makes
 *     the handler fail (the relay tries the event again later) while the channels already
 *     recorded are not sent again;
 *   - every e-mail to a user carries RFC 8058 one-click unsubscribe: List-Unsubscribe with
 *     PUBLIC_URL/api/v1/unsubscribe?token=T and List-Unsubscribe-Post:
 *     List-Unsubscribe=One-Click, and the same link in its text and HTML. T names the user
 *     and the kind, signed with HMAC-SHA-512-256 (libsodium crypto_auth) under a key derived
 *     from the server's secret (the JWT secret), so it cannot be forged or moved to another
 *     user; it does not expire (a mail read a year later still unsubscribes);
 *   - a guest (an order without an account) gets the e-mail only, without preferences or
 *     unsubscribe link (there is no account to turn anything off in).
 *
 * SMS: when the preference is on (off by default) and the account has a verified number
 *   (users.phone_e164 with phone_verified_at set, migration 0013), the message's SMS text goes
 *   to it through ct_sms_send (notify/sms.h) with the idempotency key '<event id>:sms', once
 *   (consumer 'notify.<name>.sms'); a number the gateway refuses (CT_INVALID) is logged and
 *   not retried; without a gateway (ct_notify_hub_set_sms not called yet) SMS are skipped.
 *
 * Threads: renderers and deliveries run on the outbox relay's thread; the other functions
 * may be called from any thread (each takes the caller's store connection). */
#ifndef CT_NOTIFY_HUB_H
#define CT_NOTIFY_HUB_H

#include <jansson.h>
#include <stddef.h>
#include <stdint.h>

#include "base/status.h"
#include "events/outbox.h"
#include "notify/mailer.h"
#include "notify/sms.h"
#include "store/store.h"

/* The kinds of message and the channels (the values stored and answered). */
#define CT_NOTIFY_KIND_BOOKING          "booking"
#define CT_NOTIFY_KIND_PRICE_ALERT      "price_alert"
#define CT_NOTIFY_KIND_ACCOUNT_SECURITY "account_security"
#define CT_NOTIFY_KIND_TRIP             "trip"
#define CT_NOTIFY_NKINDS                4
#define CT_NOTIFY_NCHANNELS             3

extern const char *const ct_notify_kinds[CT_NOTIFY_NKINDS];
extern const char *const ct_notify_channels[CT_NOTIFY_NCHANNELS]; /* email, in_app, sms */

/* 1 when s is one of the kinds / channels. */
int ct_notify_is_kind(const char *s);
int ct_notify_is_channel(const char *s);

/* What a renderer makes of one event. The hub zeroes it before the call and frees every
 * pointer member with ct_free after (renderers allocate them with ct_strdup / ct_malloc). */
typedef struct ct_notify_message {
    char user_id[64]; /* the account told; "" = a guest (e-mail to email_to only) */
    const char *kind; /* one of ct_notify_kinds (a static string) */
    char *email_to;   /* NULL: the account's address */
    char *subject;    /* NULL: no e-mail */
    char *text;       /* the e-mail's plain text */
    char *html;       /* its HTML (a whole document, or a fragment); NULL: made from text */
    char *title;      /* in-app title; NULL: no in-app notification (and no SMS) */
    char *body;       /* in-app body (may be NULL) */
    char *link;       /* in-app link, a path of the web app ("/orders/ord_..."; may be NULL) */
    char *sms;        /* the SMS text; NULL: "Contrail: <title>. <body>" */
    int forget;       /* 1: the event's payload holds personal data: blank it (ct_outbox_forget)
                         once every channel has it (only for events no other subscriber reads
                         later) */
} ct_notify_message;

/* Turns `event` (as ct_outbox_handler gets it) into *msg, reading what it needs on `st` (the
 * hub's pooled connection, outside any transaction). CT_OK: deliver msg; CT_NOT_FOUND:
 * nothing to tell (the event counts as handled); anything else: try the event again later. */
typedef ct_status (*ct_notify_render)(const json_t *event, ct_store *st, void *ctx,
                                      ct_notify_message *msg);

/* Called after each channel delivered one notification (benchmarks): the channel's name and
 * the microseconds that delivery took (the send or the insert and its commit). */
typedef void (*ct_notify_observe)(void *ctx, const char *channel, int64_t micros);

typedef struct ct_notify_config {
    ct_store_pool *pool;       /* borrowed; a connection per event */
    const ct_mailer *mailer;   /* copied (its strings too); NULL or no smtp_url: no e-mail */
    int mailer_later;          /* 1: without a mailer e-mails wait (retried) for
                                  ct_notify_hub_set_mailer; 0: they are skipped and logged */
    const char *public_url;    /* base of the unsubscribe links ("https://contrail.example") */
    const char *secret;        /* the token key's source (the JWT secret); >= 32 bytes */
    ct_notify_observe observe; /* may be NULL */
    void *observe_ctx;
} ct_notify_config;

typedef struct ct_notify_hub ct_notify_hub;

/* A hub; the caller owns *out (ct_notify_hub_free after stopping the relay it is on).
 * CT_INVALID (no pool, public URL or a short secret), CT_NOMEM. */
ct_status ct_notify_hub_new(const ct_notify_config *cfg, ct_notify_hub **out);
void ct_notify_hub_free(ct_notify_hub *h);

/* Replaces the mailer (copied), e.g. once the sandbox world's mail server is known; from now
 * on a missing mailer skips e-mails (mailer_later ends). Any thread. */
ct_status ct_notify_hub_set_mailer(ct_notify_hub *h, const ct_mailer *m);

/* Replaces the base of the unsubscribe links (e.g. once the server's port is known). Before
 * the relay the hub is on starts. */
void ct_notify_hub_set_public_url(ct_notify_hub *h, const char *public_url);

/* The SMS gateway's client (borrowed; must outlive the hub; NULL: no SMS). Any thread. */
void ct_notify_hub_set_sms(ct_notify_hub *h, const ct_sms_client *c);

/* Subscribes the hub on `o` (not started yet) under subscriber `name` (at most 40 bytes; also
 * the prefix of its consumers 'notify.<name>.<channel>', so keep it stable) for `pattern`
 * (events/outbox.h), with `render` and its ctx (borrowed). At most 16 subscriptions.
 * Errors of ct_outbox_subscribe; CT_TOO_LARGE. */
ct_status ct_notify_hub_subscribe(ct_notify_hub *h, ct_outbox *o, const char *name,
                                  const char *pattern, ct_notify_render render, void *ctx);

/* ---- one-click unsubscribe (RFC 8058) ---- */

/* The token naming (user_id, kind), URL-safe base64 without padding: "payload.mac". out of at
 * least 256 bytes. CT_INVALID (bad kind, empty or long user id), CT_TOO_LARGE. */
ct_status ct_notify_unsubscribe_token(const ct_notify_hub *h, const char *user_id, const char *kind,
                                      char *out, size_t len);

/* The user and kind a token names, when its signature is this server's (constant-time check).
 * CT_INVALID for anything else (malformed, forged, another server's). */
ct_status ct_notify_unsubscribe_check(const ct_notify_hub *h, const char *token, char *user_id,
                                      size_t ulen, char *kind, size_t klen);

/* ---- preferences (any thread, on the caller's connection) ---- */

/* enabled[k][c] for every kind k and channel c of the two tables above, defaults filled in. */
ct_status ct_notify_prefs_get(ct_store *st, const char *user_id,
                              int enabled[CT_NOTIFY_NKINDS][CT_NOTIFY_NCHANNELS]);

/* Sets one preference (upsert; its own statement: wrap it in the caller's transaction to set
 * several). CT_INVALID for an unknown kind or channel. */
ct_status ct_notify_pref_set(ct_store *st, const char *user_id, const char *kind,
                             const char *channel, int enabled);

/* The preferences as JSON {"kinds":{"booking":{"email":true,"in_app":true,"sms":false},...}}
 * (the caller's). */
ct_status ct_notify_prefs_json(ct_store *st, const char *user_id, json_t **out);

/* Applies a document of the same shape (any subset of kinds and channels, booleans) in one
 * transaction. CT_INVALID with `field` naming the first bad member ("kinds.weather",
 * "kinds.booking.fax", "kinds.booking.email" for a non-boolean) and nothing written. */
ct_status ct_notify_prefs_apply(ct_store *st, const char *user_id, const json_t *doc, char *field,
                                size_t flen);

/* ---- the in-app inbox ---- */

/* The newest notifications of a user, `limit` (1-100) from `offset`:
 * {"items":[{"id","kind","title","body","link","created_at","read"}],"total","unread_count",
 * "limit","offset"} (the caller's). */
ct_status ct_notify_inbox_list(ct_store *st, const char *user_id, int limit, int offset,
                               json_t **out);

/* Marks one notification read (idempotent). CT_NOT_FOUND when the user has none of that id. */
ct_status ct_notify_inbox_read(ct_store *st, const char *user_id, const char *id);

/* Marks every notification of the user read; *marked = how many were unread (may be NULL). */
ct_status ct_notify_inbox_read_all(ct_store *st, const char *user_id, int64_t *marked);

/* The unread count. */
ct_status ct_notify_inbox_unread(ct_store *st, const char *user_id, int64_t *count);

#endif
