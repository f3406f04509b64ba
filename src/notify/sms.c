/* sms.c: the SMS client over the upstream client (see sms.h).
 *
 * The request is built by hand in a few lines: a form body of three escaped fields
 * (curl_easy_escape), Basic credentials (libsodium's base64), the idempotency headers. One
 * upstream client serves the whole process (made once, pthread_once), so every sender shares
 * the gateway's breaker and statistics. The answer is JSON: a 2xx carries the message's
 * `sid`; a 4xx carries the gateway's Twilio-style {code, message}. */
#define _GNU_SOURCE
#include "notify/sms.h"

#include <curl/curl.h>
#include <jansson.h>
#include <pthread.h>
#include <sodium.h>
#include <stdio.h>
#include <string.h>

#include "base/alloc.h"
#include "base/log.h"
#include "base/strbuf.h"
#include "upstream/upstream.h"

#define SMS_FROM          "Contrail"
#define SMS_BODY_MAX      1600
#define DEFAULT_TIMEOUT_S 10

static pthread_once_t client_once = PTHREAD_ONCE_INIT;
static ct_upstream *client;

static void client_make(void)
{
    ct_upstream_config cfg = {0};
    cfg.name = "sms";
    cfg.max_attempts = 4;
    cfg.backoff_ms = 100;
    cfg.backoff_max_ms = 2000;
    cfg.timeout_ms = 5000;
    cfg.breaker_failures = 8;
    cfg.breaker_cooldown_ms = 30000;
    cfg.body_cap = 64u << 10;
    if (ct_upstream_new(&cfg, &client) != CT_OK)
        client = NULL;
}

ct_upstream *ct_sms_upstream(void)
{
    pthread_once(&client_once, client_make);
    return client;
}

int ct_sms_is_e164(const char *s)
{
    if (s == NULL || s[0] != '+' || s[1] < '1' || s[1] > '9')
        return 0;
    size_t n = 0;
    for (const char *p = s + 1; *p; p++, n++) {
        if (*p < '0' || *p > '9')
            return 0;
    }
    return n >= 8 && n <= 15;
}

/* Writes the reason into the caller's err/errlen (both in scope; err may be NULL). */
#define SET_ERR(...)                                                                               \
    do {                                                                                           \
        if (err != NULL && errlen > 0)                                                             \
            snprintf(err, errlen, __VA_ARGS__);                                                    \
    } while (0)

/* Appends "&name=escaped(value)" (no '&' first) to out. */
static ct_status add_field(ct_strbuf *out, const char *name, const char *value)
{
    char *esc = curl_easy_escape(NULL, value, 0);
    if (esc == NULL)
        return CT_NOMEM;
    ct_status rc = ct_strbuf_printf(out, "%s%s=%s", out->len ? "&" : "", name, esc);
    curl_free(esc);
    return rc;
}

/* "Authorization: Basic base64(account:token)" into out. */
static ct_status auth_header(const ct_sms_client *c, char *out, size_t len)
{
    char pair[512];
    int n = snprintf(pair, sizeof(pair), "%s:%s", c->account ? c->account : "",
                     c->token ? c->token : "");
    if (n < 0 || (size_t)n >= sizeof(pair))
        return CT_TOO_LARGE;
    char b64[sodium_base64_ENCODED_LEN(sizeof(pair), sodium_base64_VARIANT_ORIGINAL)];
    sodium_bin2base64(b64, sizeof(b64), (const unsigned char *)pair, (size_t)n,
                      sodium_base64_VARIANT_ORIGINAL);
    n = snprintf(out, len, "Authorization: Basic %s", b64);
    return n < 0 || (size_t)n >= len ? CT_TOO_LARGE : CT_OK;
}

/* What a non-2xx answer means for the caller (sms.h). */
static ct_status status_of_refusal(long status)
{
    if (status >= 500)
        return CT_UNAVAILABLE;
    if (status == 429)
        return CT_AGAIN;
    if (status >= 400 && status != 401)
        return CT_INVALID;
    return CT_ERR;
}

/* Reads the answer of a finished call into the status ct_sms_send returns. */
static ct_status read_answer(const ct_upstream_response *rsp, char *msg_id, size_t msg_id_len,
                             char *err, size_t errlen)
{
    if (rsp->rc != CT_OK) {
        SET_ERR("SMS gateway unreachable: %s", rsp->error);
        return rsp->rc == CT_AGAIN ? CT_AGAIN : rsp->rc == CT_NOMEM ? CT_NOMEM : CT_UNAVAILABLE;
    }
    json_t *doc = json_loadb(rsp->body, rsp->body_len, 0, NULL);
    ct_status rc = CT_OK;
    if (rsp->status >= 200 && rsp->status < 300) {
        const char *sid = json_string_value(json_object_get(doc, "sid"));
        if (sid == NULL) {
            SET_ERR("SMS gateway answered without a message sid");
            rc = CT_ERR;
        } else if (msg_id != NULL && msg_id_len > 0) {
            snprintf(msg_id, msg_id_len, "%s", sid);
        }
    } else {
        char code[32];
        snprintf(code, sizeof(code), "%lld",
                 (long long)json_integer_value(json_object_get(doc, "code")));
        const char *message = json_string_value(json_object_get(doc, "message"));
        SET_ERR("SMS gateway refused the message: %s %s", code, message ? message : rsp->error);
        rc = status_of_refusal(rsp->status);
    }
    json_decref(doc);
    return rc;
}

ct_status ct_sms_send(const ct_sms_client *c, const char *to_e164, const char *body,
                      const char *idempotency_key, char *msg_id, size_t msg_id_len, char *err,
                      size_t errlen)
{
    if (c == NULL || c->url == NULL || c->url[0] == '\0') {
        SET_ERR("no SMS gateway configured");
        return CT_INVALID;
    }
    if (!ct_sms_is_e164(to_e164) || body == NULL || body[0] == '\0' ||
        strlen(body) > 4 * SMS_BODY_MAX) {
        SET_ERR("not a sendable SMS (number %s)", to_e164 ? to_e164 : "(null)");
        return CT_INVALID;
    }
    pthread_once(&client_once, client_make);
    if (client == NULL) {
        SET_ERR("cannot create the SMS client");
        return CT_NOMEM;
    }
    char url[1024], auth[1024], key_hdr[300];
    ct_strbuf form;
    ct_strbuf_init(&form, 32u << 10);
    ct_upstream_response rsp;
    memset(&rsp, 0, sizeof(rsp));
    int n = snprintf(url, sizeof(url), "%s/2010-04-01/Accounts/%s/Messages.json", c->url,
                     c->account ? c->account : "");
    ct_status rc = n < 0 || (size_t)n >= sizeof(url) ? CT_TOO_LARGE : CT_OK;
    if (rc == CT_OK)
        rc = auth_header(c, auth, sizeof(auth));
    if (rc == CT_OK)
        rc = add_field(&form, "To", to_e164);
    if (rc == CT_OK)
        rc = add_field(&form, "From", SMS_FROM);
    if (rc == CT_OK)
        rc = add_field(&form, "Body", body);
    if (rc) {
        SET_ERR("cannot build the SMS request");
        goto cleanup;
    }
    snprintf(key_hdr, sizeof(key_hdr), "I-Twilio-Idempotency-Token: %.200s",
             idempotency_key ? idempotency_key : "");
    const char *headers[] = {auth, "Content-Type: application/x-www-form-urlencoded",
                             "Accept: application/json", idempotency_key ? key_hdr : NULL, NULL};
    int timeout_s = c->timeout_s > 0 ? c->timeout_s : DEFAULT_TIMEOUT_S;
    ct_upstream_request req = {0};
    req.partner = NULL; /* a breaker per gateway: scheme://host:port */
    req.method = "POST";
    req.url = url;
    req.headers = headers;
    req.body = ct_strbuf_str(&form);
    req.body_len = form.len;
    req.idempotency_key = idempotency_key;
    req.deadline_ms = (int64_t)timeout_s * 1000;
    req.max_attempts = idempotency_key ? 0 : 1;
    ct_upstream_call_sync(client, &req, &rsp);
    rc = read_answer(&rsp, msg_id, msg_id_len, err, errlen);
    if (rc)
        ct_log(CT_LOG_WARN, "sms.send_failed", "to", to_e164, "error", err ? err : "", NULL);
cleanup:
    ct_upstream_response_free(&rsp);
    ct_strbuf_free(&form);
    return rc;
}
