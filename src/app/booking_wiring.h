/* booking_wiring.h: booking in `serve`: the providers and the payment processor of the
 * sandbox world, the outbox relay, the recovery worker and the booking notifications.
 *
 * A background thread (so that `serve` listens at once) waits for the world's world.json when
 * told to (as the schedule loader does), takes the providers {name, url} whose dialect is
 * known, the processor's URL ("payments": {"url"}; the --payments-url flag wins) and, unless
 * --smtp-url was given, the mail server's SMTP URL ("mail": {"smtp"}), makes the
 * payments client and the booking handle, starts the recovery worker, and then publishes the
 * handle in app->booking. The notification renderers are subscribed through the caller's hub
 * on its outbox relay (serve's, which also carries the account e-mails and runs whether or not
 * booking is wired) by ct_app_booking_start, before it starts. Without providers or a processor
 * nothing is made and the booking routes keep answering 503.
 *
 * The notifications: order.confirmed -> the confirmation (reference, itinerary with local
 * times, passengers, e-tickets, total, how to cancel), order.cancelled -> the cancellation
 * (refunded amount), each rendered for the notification hub (notify/hub.h, kind booking): the
 * e-mail to the order's contact address (text and HTML, with the unsubscribe link when the
 * order has an owner) and an in-app notification to its owner, by the owner's preferences;
 * the hub delivers each channel of an event once. With --smtp-url unset and the sandbox world,
 * the hub's e-mails wait for the world's mail server, which this sets once world.json is read
 * (ct_notify_hub_set_mailer). */
#ifndef CT_APP_BOOKING_WIRING_H
#define CT_APP_BOOKING_WIRING_H

#include <jansson.h>
#include <pthread.h>
#include <stdatomic.h>

#include "api/api.h"
#include "booking/booking.h"
#include "events/outbox.h"
#include "notify/hub.h"
#include "notify/mailer.h"
#include "payments/payments.h"
#include "refdata/refdata.h"

#define CT_APP_PAYMENTS_KEY "sk_sandbox_contrail_local"

/* The hub's subscriber names of the booking notifications (keep them stable). */
#define CT_APP_BOOKING_HUB_CONFIRMED "order-confirmed"
#define CT_APP_BOOKING_HUB_CANCELLED "order-cancelled"

/* One wiring. Zero it, set the inputs, then ct_app_booking_start. */
typedef struct ct_app_booking {
    /* Inputs. */
    ct_app *app;             /* pool and refdata read; booking published */
    const ct_mailer *mailer; /* copied; no smtp_url: no e-mails (the events still relayed) */
    int smtp_from_world;     /* 1: world.json's mail server ("mail": {"smtp"}) replaces it */
    int wait_for_world;      /* 1: read world_json (it appears once the world runs) */
    char world_json[1100];   /* the sandbox world's world.json */
    char payments_url[256];  /* "" = world.json's payments entry */
    char payments_key[128];  /* the processor's secret key ("" = CT_APP_PAYMENTS_KEY) */
    char public_url[256];    /* base of the links in the e-mails */
    ct_outbox *outbox;       /* borrowed, not started yet: the notification subscribers go on
                                it (NULL: none); its owner stops it before ct_app_booking_stop */
    ct_notify_hub *hub;      /* borrowed: the renderers are subscribed through it (NULL: no
                                notifications); its mailer set from world.json */
    /* State, owned; freed by ct_app_booking_stop. */
    ct_booking_config cfg;
    ct_mailer mail; /* *mailer, its SMTP URL perhaps the world's */
    char smtp_url[256];
    ct_payments *payments;
    ct_booking *booking;
    atomic_int stop;
    atomic_int done; /* 1 once the thread has finished (published or given up) */
    pthread_t thread;
    int started;
} ct_app_booking;

/* Subscribes the booking renderers through w->hub on w->outbox (when both are set), then
 * starts the wiring thread. Errors of ct_outbox_subscribe; CT_ERR when the thread cannot be
 * created. */
ct_status ct_app_booking_start(ct_app_booking *w);

/* Withdraws the booking handle from the app, stops the recovery worker and frees everything
 * (the relay is the caller's: stop it first). Safe on a wiring never started, and twice. */
void ct_app_booking_stop(ct_app_booking *w);

/* Adds to cfg the providers of a world.json document whose dialect is known (up to
 * CT_BOOKING_MAX_PROVIDERS) and writes the processor's URL to payments_url when it is "".
 * Returns the number of providers added. */
int ct_app_booking_read_world(const json_t *doc, ct_booking_config *cfg, char *payments_url,
                              size_t len);

/* The e-mail for an order document (ct_booking_order_read) of event `type` ("order.confirmed"
 * or "order.cancelled"): *subject, the plain-text *body and the same content as an HTML
 * document *html (every value escaped), all the caller's (ct_free). Times are the airports'
 * local times (rd may be NULL: UTC). CT_INVALID for another type or an order without contact
 * address; CT_NOMEM. */
ct_status ct_app_booking_mail_text(const json_t *order, const char *type, const ct_refdata *rd,
                                   const char *public_url, char **subject, char **body,
                                   char **html);

#endif
