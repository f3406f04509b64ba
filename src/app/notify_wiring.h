/* notify_wiring.h: the notification hub's renderers of the price events in `serve`.
 *
 * price_alert.triggered (the alerts part's event: {"user_id","alert_id","origin","destination",
 * "departure_date","return_date","cabin","currency","price_minor","previous_low_minor",
 * "threshold_minor","drop_percent","search_url","prediction"}) becomes a notification of kind
 * price_alert, and trip.price_drop / trip.schedule_changed (the same payload with "order_id")
 * one of kind trip, for payload.user_id: an e-mail (subject with route and price, text and HTML
 * with the dates, the previous low, the threshold, the drop and the buy-or-wait advice when
 * given, and the link to the search), an in-app notification linking to the search (trips: to
 * My trips) and the SMS text. Amounts are written from minor units with the currency's digits
 * (providers/providers.h). The hub delivers each channel once, by the user's preferences
 * (notify/hub.h); an event without user_id is not told. */
#ifndef CT_APP_NOTIFY_WIRING_H
#define CT_APP_NOTIFY_WIRING_H

#include <jansson.h>

#include "notify/hub.h"

/* The hub's subscriber names (keep them stable). */
#define CT_APP_NOTIFY_PRICE_ALERT "price-alert"
#define CT_APP_NOTIFY_TRIP        "trip"

/* The renderers' context: the base of the links ("https://contrail.example"). */
typedef struct ct_app_notify {
    char public_url[256];
} ct_app_notify;

/* Subscribes both renderers through `hub` on `o` (not started yet); n (borrowed) must outlive
 * the relay. Errors of ct_notify_hub_subscribe. */
ct_status ct_app_notify_subscribe(ct_app_notify *n, ct_notify_hub *hub, ct_outbox *o);

/* The message of a price_alert.triggered or trip.* event (exposed for tests). CT_NOT_FOUND for
 * an event without user_id or of another type; CT_NOMEM. */
ct_status ct_app_notify_render_price(const json_t *event, const ct_app_notify *n,
                                     ct_notify_message *msg);

#endif
