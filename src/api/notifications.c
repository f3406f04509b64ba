/* notifications.c: the in-app inbox (/api/v1/me/notifications), the notification preferences
 * (/api/v1/me/notification-preferences) and one-click unsubscribe (/api/v1/unsubscribe, RFC
 * 8058). Thin: parse, call notify/hub.h, map statuses (docs/notifications.md).
 *
 * Unsubscribe needs no sign-in: the token in the link names the user and the kind, signed by
 * the server. POST (what a mail client sends for List-Unsubscribe-Post, a form body
 * "List-Unsubscribe=One-Click", or a JSON body, or none) turns that kind's e-mail off and
 * answers 200; GET changes nothing (link scanners and prefetchers follow GET links) and
 * answers what POST would do, as a small HTML page with the button when the client accepts
 * HTML (a person who clicked the link in the text part), else as JSON. */
#include <stdio.h>
#include <string.h>

#include "api/api_internal.h"
#include "http/problem.h"
#include "notify/hub.h"

void ct__api_notifications_list(ct_http_req *req, ct_api_call *call)
{
    int limit = 20, offset = 0;
    if (!ct__api_page_args(req, 100, &limit, &offset))
        return;
    if (ct_http_query(req, "limit") == NULL)
        limit = 20;
    json_t *out = NULL;
    ct_status rc = ct_notify_inbox_list(call->store, call->principal.user_id, limit, offset, &out);
    if (rc) {
        ct_http_problem_status(req, rc, NULL);
        return;
    }
    ct_http_reply_json(req, 200, out);
}

static void reply_unread(ct_http_req *req, ct_api_call *call, int64_t marked)
{
    int64_t unread = 0;
    ct_status rc = ct_notify_inbox_unread(call->store, call->principal.user_id, &unread);
    if (rc) {
        ct_http_problem_status(req, rc, NULL);
        return;
    }
    ct_http_reply_json(
        req, 200,
        json_pack("{s:I, s:I}", "marked", (json_int_t)marked, "unread_count", (json_int_t)unread));
}

void ct__api_notification_read(ct_http_req *req, ct_api_call *call)
{
    const char *id = ct_http_param(req, "id");
    ct_status rc = ct_notify_inbox_read(call->store, call->principal.user_id, id);
    if (rc == CT_NOT_FOUND) {
        ct_http_problem(req, 404, "Not found", "no such notification");
        return;
    }
    if (rc) {
        ct_http_problem_status(req, rc, NULL);
        return;
    }
    reply_unread(req, call, 1);
}

void ct__api_notifications_read_all(ct_http_req *req, ct_api_call *call)
{
    int64_t marked = 0;
    ct_status rc = ct_notify_inbox_read_all(call->store, call->principal.user_id, &marked);
    if (rc) {
        ct_http_problem_status(req, rc, NULL);
        return;
    }
    reply_unread(req, call, marked);
}

static void reply_prefs(ct_http_req *req, ct_api_call *call)
{
    json_t *out = NULL;
    ct_status rc = ct_notify_prefs_json(call->store, call->principal.user_id, &out);
    if (rc) {
        ct_http_problem_status(req, rc, NULL);
        return;
    }
    ct_http_reply_json(req, 200, out);
}

void ct__api_notification_prefs_get(ct_http_req *req, ct_api_call *call)
{
    reply_prefs(req, call);
}

void ct__api_notification_prefs_put(ct_http_req *req, ct_api_call *call)
{
    json_t *in = ct__api_body_object(req);
    if (in == NULL)
        return;
    char field[96];
    ct_status rc =
        ct_notify_prefs_apply(call->store, call->principal.user_id, in, field, sizeof(field));
    json_decref(in);
    if (rc == CT_INVALID) {
        const char *msg = strcmp(field, "kinds") == 0
                              ? "must be an object of kinds (booking, price_alert, "
                                "account_security, trip)"
                          : strchr(field + 6, '.') == NULL
                              ? "unknown kind (booking, price_alert, account_security, trip), "
                                "or not an object of channels"
                              : "unknown channel (email, in_app, sms), or not a boolean";
        ct_http_problem_field(req, field, msg);
        return;
    }
    if (rc) {
        ct_http_problem_status(req, rc, NULL);
        return;
    }
    reply_prefs(req, call);
}

/* ---- unsubscribe ---- */

/* The token's user and kind; 0 after replying (400 for a bad token, 503 without a hub). */
static int unsubscribe_token(ct_http_req *req, ct_api_call *call, char *user, size_t ulen,
                             char *kind, size_t klen)
{
    if (call->app->notify == NULL) {
        ct_http_problem(req, 503, "Service unavailable", "notifications are not configured");
        return 0;
    }
    const char *token = ct_http_query(req, "token");
    if (token == NULL || token[0] == '\0') {
        ct_http_problem_field(req, "token", "is required");
        return 0;
    }
    if (ct_notify_unsubscribe_check(call->app->notify, token, user, ulen, kind, klen) != CT_OK) {
        ct_http_problem_field(req, "token", "is not a valid unsubscribe token");
        return 0;
    }
    return 1;
}

static int wants_html(ct_http_req *req)
{
    const char *accept = ct_http_header(req, "Accept");
    return accept != NULL && strstr(accept, "text/html") != NULL;
}

static const char *kind_words(const char *kind)
{
    return strcmp(kind, CT_NOTIFY_KIND_BOOKING) == 0       ? "booking"
           : strcmp(kind, CT_NOTIFY_KIND_PRICE_ALERT) == 0 ? "price alert"
           : strcmp(kind, CT_NOTIFY_KIND_TRIP) == 0        ? "trip update"
                                                           : "account security";
}

/* The small page of GET (with the button) and of a browser's POST (done). The token is
 * URL-safe base64 and the kind one of the fixed names: nothing here needs escaping. */
static void reply_page(ct_http_req *req, const char *kind, const char *token, int done)
{
    char page[2048];
    if (done)
        snprintf(page, sizeof(page),
                 "<!DOCTYPE html>\n<html lang=\"en\"><head><meta charset=\"utf-8\"><title>"
                 "Unsubscribed</title></head><body><h1>You are unsubscribed</h1><p>Contrail "
                 "will not send you %s e-mails any more. You can turn them on again in your "
                 "<a href=\"/account\">account's notification settings</a>.</p></body></html>\n",
                 kind_words(kind));
    else
        snprintf(page, sizeof(page),
                 "<!DOCTYPE html>\n<html lang=\"en\"><head><meta charset=\"utf-8\"><title>"
                 "Unsubscribe</title></head><body><h1>Unsubscribe from %s e-mails?</h1>"
                 "<form method=\"post\" action=\"/api/v1/unsubscribe?token=%s\">"
                 "<input type=\"hidden\" name=\"List-Unsubscribe\" value=\"One-Click\">"
                 "<button type=\"submit\">Unsubscribe</button></form><p>Or choose what you get "
                 "in your <a href=\"/account\">account's notification settings</a>.</p>"
                 "</body></html>\n",
                 kind_words(kind), token);
    ct_http_reply(req, 200, "text/html; charset=utf-8", page, strlen(page));
}

void ct__api_unsubscribe_get(ct_http_req *req, ct_api_call *call)
{
    char user[64], kind[32];
    if (!unsubscribe_token(req, call, user, sizeof(user), kind, sizeof(kind)))
        return;
    if (wants_html(req)) {
        reply_page(req, kind, ct_http_query(req, "token"), 0);
        return;
    }
    int en[CT_NOTIFY_NKINDS][CT_NOTIFY_NCHANNELS];
    ct_status rc = ct_notify_prefs_get(call->store, user, en);
    if (rc) {
        ct_http_problem_status(req, rc, NULL);
        return;
    }
    int k = 0;
    while (k < CT_NOTIFY_NKINDS - 1 && strcmp(ct_notify_kinds[k], kind) != 0)
        k++;
    ct_http_reply_json(req, 200,
                       json_pack("{s:s, s:s, s:b, s:s}", "kind", kind, "channel", "email",
                                 "enabled", en[k][0], "unsubscribe", "POST this URL"));
}

/* 1 when the user still exists (an erased account's link does nothing, successfully). */
static ct_status user_exists(ct_store *st, const char *user, int *exists)
{
    ct_stmt *s = NULL;
    ct_status rc = ct_store_prepare(st, "SELECT 1 FROM users WHERE id = ?", &s);
    if (!rc)
        rc = ct_stmt_bind_text(s, 1, user);
    if (!rc)
        rc = ct_stmt_step(s);
    *exists = rc == CT_ROW;
    ct_stmt_finalize(s);
    return rc == CT_ROW || rc == CT_DONE ? CT_OK : rc;
}

void ct__api_unsubscribe_post(ct_http_req *req, ct_api_call *call)
{
    char user[64], kind[32];
    if (!unsubscribe_token(req, call, user, sizeof(user), kind, sizeof(kind)))
        return;
    int exists = 0;
    ct_status rc = user_exists(call->store, user, &exists);
    if (!rc && exists)
        rc = ct_notify_pref_set(call->store, user, kind, "email", 0);
    if (rc) {
        ct_http_problem_status(req, rc, NULL);
        return;
    }
    if (wants_html(req)) {
        reply_page(req, kind, NULL, 1);
        return;
    }
    ct_http_reply_json(
        req, 200, json_pack("{s:s, s:s, s:b}", "kind", kind, "channel", "email", "enabled", 0));
}
