/* sms_wiring.c: the SMS gateway of `serve`, from flags or world.json (see sms_wiring.h). */
#define _GNU_SOURCE
#include "app/sms_wiring.h"

#include <stdio.h>
#include <string.h>
#include <time.h>

#include "base/log.h"

static void publish(ct_app_sms *w)
{
    w->client.url = w->url;
    w->client.account = w->account;
    w->client.token = w->token;
    w->client.timeout_s = 10;
    ct_accounts_set_sms(w->accounts, &w->client);
    if (w->hub != NULL)
        ct_notify_hub_set_sms(w->hub, &w->client);
    ct_log(CT_LOG_INFO, "serve.sms_wired", "url", w->url, "account", w->account, NULL);
}

int ct_app_sms_read_world(const json_t *doc, ct_app_sms *w)
{
    json_t *sms = json_object_get(doc, "sms");
    const char *url = json_string_value(json_object_get(sms, "url"));
    const char *account = json_string_value(json_object_get(sms, "account"));
    const char *token = json_string_value(json_object_get(sms, "token"));
    if (url == NULL)
        return 0;
    snprintf(w->url, sizeof(w->url), "%s", url);
    snprintf(w->account, sizeof(w->account), "%s", account ? account : "");
    snprintf(w->token, sizeof(w->token), "%s", token ? token : "");
    return 1;
}

static void *run(void *arg)
{
    ct_app_sms *w = arg;
    for (int i = 0; i < 1200 && !atomic_load(&w->stop); i++) {
        json_t *doc = json_load_file(w->world_json, 0, NULL);
        int found = doc != NULL && ct_app_sms_read_world(doc, w);
        json_decref(doc);
        if (found) {
            publish(w);
            return NULL;
        }
        if (doc != NULL)
            break; /* a world without a gateway */
        struct timespec ts = {0, 100 * 1000 * 1000};
        nanosleep(&ts, NULL);
    }
    ct_log(CT_LOG_WARN, "sms.off", "reason", "the sandbox world published no SMS gateway", NULL);
    return NULL;
}

ct_status ct_app_sms_start(ct_app_sms *w, const ct_config *cfg)
{
    const char *url = ct_config_get(cfg, "sms_url", NULL);
    if (url != NULL && url[0] != '\0') {
        snprintf(w->url, sizeof(w->url), "%s", url);
        snprintf(w->account, sizeof(w->account), "%s", ct_config_get(cfg, "sms_account", ""));
        snprintf(w->token, sizeof(w->token), "%s", ct_config_get(cfg, "sms_token", ""));
        publish(w);
        return CT_OK;
    }
    if (!w->wait_for_world) {
        ct_log(CT_LOG_INFO, "sms.off", "reason", "no --sms-url and no sandbox world", NULL);
        return CT_OK;
    }
    w->started = pthread_create(&w->thread, NULL, run, w) == 0;
    return w->started ? CT_OK : CT_ERR;
}

void ct_app_sms_stop(ct_app_sms *w)
{
    if (!w->started)
        return;
    atomic_store(&w->stop, 1);
    pthread_join(w->thread, NULL);
    w->started = 0;
}
