/* api_internal.h: the dispatcher's types and the handlers, shared by the api/ files only. */
#ifndef CT_API_INTERNAL_H
#define CT_API_INTERNAL_H

#include "api/api.h"

typedef enum ct_api_access {
    CT_API_PUBLIC, /* anyone; an API key or a token, when sent, must be valid */
    CT_API_USER,   /* a signed-in user (JWT); API keys get 403 */
    CT_API_ADMIN,  /* a signed-in admin */
    CT_API_OWNER,  /* a signed-in user, or an API key holding the route's scope, acting for
                      its own user (the route's rows are that user's) */
} ct_api_access;

typedef struct ct_api_call {
    ct_app *app;
    int authenticated;
    ct_principal principal;
    ct_store *store; /* borrowed for the call when the route needs the database */
} ct_api_call;

typedef void (*ct_api_handler)(ct_http_req *req, ct_api_call *call);

struct ct_api_route {
    const char *method, *pattern;
    ct_api_handler handler;
    ct_api_access access;
    int needs_store;
    ct_app *app;
    /* API keys: the scopes (space separated) of which a key needs one, or NULL for none. */
    const char *scopes;
};

/* Parses the body as a JSON object; on failure replies 400 and returns NULL. */
json_t *ct__api_body_object(ct_http_req *req);
/* Replies with the problem for a field error (400, or 409 for CT_CONFLICT, naming the
 * field); a status without a field gets its plain problem. */
void ct__api_field_problem(ct_http_req *req, ct_status rc, const ct_field_error *fe);
/* The limit (1-max, default max) and offset (0-1000000) query parameters; 0 after replying
 * 400 naming the bad one. */
int ct__api_page_args(ct_http_req *req, int max, int *limit, int *offset);

void ct__api_healthz(ct_http_req *req, ct_api_call *call);
void ct__api_readyz(ct_http_req *req, ct_api_call *call);
void ct__api_metrics(ct_http_req *req, ct_api_call *call);
void ct__api_openapi(ct_http_req *req, ct_api_call *call);
void ct__api_airports_search(ct_http_req *req, ct_api_call *call);
void ct__api_airport_get(ct_http_req *req, ct_api_call *call);

/* Buy-or-wait answers cached per route, date and cabin (prediction.c). */
ct_status ct__api_predictions_new(struct ct_api_predictions **out);
void ct__api_predictions_free(struct ct_api_predictions *p);

void ct__api_searches(ct_http_req *req, ct_api_call *call);
void ct__api_calendar(ct_http_req *req, ct_api_call *call);
void ct__api_explore(ct_http_req *req, ct_api_call *call);
void ct__api_price_history(ct_http_req *req, ct_api_call *call);

void ct__api_register_user(ct_http_req *req, ct_api_call *call);
void ct__api_verify_email(ct_http_req *req, ct_api_call *call);
void ct__api_sign_in(ct_http_req *req, ct_api_call *call);
void ct__api_refresh(ct_http_req *req, ct_api_call *call);
void ct__api_sign_out(ct_http_req *req, ct_api_call *call);
void ct__api_reset_request(ct_http_req *req, ct_api_call *call);
void ct__api_reset_confirm(ct_http_req *req, ct_api_call *call);
void ct__api_oidc_start(ct_http_req *req, ct_api_call *call);
void ct__api_oidc_callback(ct_http_req *req, ct_api_call *call);

void ct__api_me_get(ct_http_req *req, ct_api_call *call);
void ct__api_me_update(ct_http_req *req, ct_api_call *call);
void ct__api_me_delete(ct_http_req *req, ct_api_call *call);
void ct__api_me_password(ct_http_req *req, ct_api_call *call);
void ct__api_me_export(ct_http_req *req, ct_api_call *call);
void ct__api_me_resend_verification(ct_http_req *req, ct_api_call *call);
void ct__api_me_events(ct_http_req *req, ct_api_call *call);
void ct__api_me_phone_put(ct_http_req *req, ct_api_call *call);
void ct__api_me_phone_verify(ct_http_req *req, ct_api_call *call);
void ct__api_me_phone_delete(ct_http_req *req, ct_api_call *call);
void ct__api_travellers_list(ct_http_req *req, ct_api_call *call);
void ct__api_travellers_create(ct_http_req *req, ct_api_call *call);
void ct__api_traveller_get(ct_http_req *req, ct_api_call *call);
void ct__api_traveller_update(ct_http_req *req, ct_api_call *call);
void ct__api_traveller_delete(ct_http_req *req, ct_api_call *call);
void ct__api_price_alerts_create(ct_http_req *req, ct_api_call *call);
void ct__api_price_alerts_list(ct_http_req *req, ct_api_call *call);
void ct__api_price_alert_get(ct_http_req *req, ct_api_call *call);
void ct__api_price_alert_update(ct_http_req *req, ct_api_call *call);
void ct__api_price_alert_delete(ct_http_req *req, ct_api_call *call);
void ct__api_keys_list(ct_http_req *req, ct_api_call *call);
void ct__api_keys_create(ct_http_req *req, ct_api_call *call);
void ct__api_key_revoke(ct_http_req *req, ct_api_call *call);
void ct__api_admin_user_get(ct_http_req *req, ct_api_call *call);
void ct__api_admin_user_role(ct_http_req *req, ct_api_call *call);

void ct__api_offers_create(ct_http_req *req, ct_api_call *call);
void ct__api_orders_create(ct_http_req *req, ct_api_call *call);
void ct__api_orders_list(ct_http_req *req, ct_api_call *call);
void ct__api_order_get(ct_http_req *req, ct_api_call *call);
void ct__api_order_lookup(ct_http_req *req, ct_api_call *call);
void ct__api_order_payment_confirm(ct_http_req *req, ct_api_call *call);
void ct__api_order_cancellation_create(ct_http_req *req, ct_api_call *call);
void ct__api_order_cancellation_confirm(ct_http_req *req, ct_api_call *call);

void ct__api_notifications_list(ct_http_req *req, ct_api_call *call);
void ct__api_notification_read(ct_http_req *req, ct_api_call *call);
void ct__api_notifications_read_all(ct_http_req *req, ct_api_call *call);
void ct__api_notification_prefs_get(ct_http_req *req, ct_api_call *call);
void ct__api_notification_prefs_put(ct_http_req *req, ct_api_call *call);
void ct__api_unsubscribe_get(ct_http_req *req, ct_api_call *call);
void ct__api_unsubscribe_post(ct_http_req *req, ct_api_call *call);
void ct__api_webhooks_create(ct_http_req *req, ct_api_call *call);
void ct__api_webhooks_list(ct_http_req *req, ct_api_call *call);
void ct__api_webhook_get(ct_http_req *req, ct_api_call *call);
void ct__api_webhook_delete(ct_http_req *req, ct_api_call *call);
void ct__api_webhook_deliveries(ct_http_req *req, ct_api_call *call);
void ct__api_webhook_replay(ct_http_req *req, ct_api_call *call);
void ct__api_webhook_rotate(ct_http_req *req, ct_api_call *call);
void ct__api_webhook_enable(ct_http_req *req, ct_api_call *call);
void ct__api_webhook_ping(ct_http_req *req, ct_api_call *call);

#endif
