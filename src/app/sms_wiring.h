/* sms_wiring.h: where `serve` sends text messages (phone verification codes).
 *
 * The SMS gateway is --sms-url with --sms-account and --sms-token, or, with the sandbox world
 * (--sandbox or --sandbox-world) and no --sms-url, the world's gateway as world.json publishes
 * it ("sms": {"url", "account", "token"}). The world writes world.json after its services
 * start, so a thread waits for it (two minutes at most) and then hands the client to accounts
 * (ct_accounts_set_sms) and to the notification hub (ct_notify_hub_set_sms); until then, and
 * without any gateway, phone codes answer 503. */
#ifndef CT_APP_SMS_WIRING_H
#define CT_APP_SMS_WIRING_H

#include <jansson.h>
#include <pthread.h>
#include <stdatomic.h>

#include "accounts/accounts.h"
#include "base/config.h"
#include "base/status.h"
#include "notify/sms.h"

typedef struct ct_app_sms {
    ct_accounts *accounts; /* borrowed; gets the client */
    ct_notify_hub *hub;    /* borrowed; gets the client too (notifications by SMS); may be NULL */
    int wait_for_world;    /* 1: read world.json's gateway (when no --sms-url) */
    char world_json[1200];
    char url[256], account[128], token[256];
    ct_sms_client client;
    pthread_t thread;
    int started;
    atomic_int stop;
} ct_app_sms;

/* Reads the serve flags sms_url, sms_account and sms_token; with a URL hands the client to accounts
 * at once, else with wait_for_world starts the thread that waits for world.json. CT_ERR when the
 * thread cannot start. */
ct_status ct_app_sms_start(ct_app_sms *w, const ct_config *cfg);

/* Copies world.json's "sms" block into w's url, account and token. 1 when it has a URL. */
int ct_app_sms_read_world(const json_t *doc, ct_app_sms *w);

/* Stops and joins the thread (if any). Accounts keeps pointing at w->client: stop the HTTP
 * server first. */
void ct_app_sms_stop(ct_app_sms *w);

#endif
