/* accounts.c: /api/v1 users, sessions, password resets, /me (profile, password, export,
 * deletion, security events, travellers, API keys) and /admin/users. Thin: parse, call
 * accounts/, map statuses; each call that logs a security event first passes on the client's
 * address and User-Agent (client()). Every /me route acts on the signed-in user only, so no id from
 * the request can reach another user's rows. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "api/api_internal.h"
#include "base/json.h"
#include "http/problem.h"

json_t *ct__api_body_object(ct_http_req *req)
{
    size_t len = 0;
    const char *body = ct_http_body(req, &len);
    json_error_t err;
    json_t *j = NULL;
    if (len && ct_json_loadb(body, len, 0, &j, &err) == CT_NOMEM) {
        ct_http_problem_status(req, CT_NOMEM, "could not read the body");
        return NULL;
    }
    if (j == NULL || !json_is_object(j)) {
        char msg[320];
        if (j == NULL && len)
            snprintf(msg, sizeof(msg), "must be a JSON object (line %d, column %d: %s)", err.line,
                     err.column, err.text);
        else
            snprintf(msg, sizeof(msg), "must be a JSON object");
        json_decref(j);
        ct_http_problem_field(req, "body", msg);
        return NULL;
    }
    return j;
}

void ct__api_field_problem(ct_http_req *req, ct_status rc, const ct_field_error *fe)
{
    if (rc == CT_CONFLICT && fe->field[0]) {
        char detail[256];
        snprintf(detail, sizeof(detail), "%s: %s", fe->field, fe->message);
        ct_http_problem(req, 409, "Conflict", detail);
        return;
    }
    if (rc == CT_INVALID && fe->field[0]) {
        ct_http_problem_field(req, fe->field, fe->message);
        return;
    }
    ct_http_problem_status(req, rc, NULL);
}

static const char *str(json_t *o, const char *key)
{
    return json_string_value(json_object_get(o, key));
}

/* 0 after replying 400 when one of the NULL-terminated keys is present but not a string
 * (null allowed when nullable). */
static int strings_only(ct_http_req *req, json_t *in, const char *const *keys, int nullable)
{
    for (; *keys != NULL; keys++) {
        json_t *v = json_object_get(in, *keys);
        if (v != NULL && !json_is_string(v) && !(nullable && json_is_null(v))) {
            ct_http_problem_field(req, *keys, "must be a string");
            return 0;
        }
    }
    return 1;
}

/* The client's address, after making its User-Agent the thread's (ct_accounts_set_user_agent):
 * the security events and e-mails of the call name both. */
static const char *client(ct_http_req *req)
{
    ct_accounts_set_user_agent(ct_http_header(req, "User-Agent"));
    return ct_http_client_ip(req);
}

static void too_many(ct_http_req *req, int retry, const char *detail)
{
    char s[16];
    snprintf(s, sizeof(s), "%d", retry > 0 ? retry : 1);
    ct_http_problem(req, 429, "Too many requests", detail);
    ct_http_add_header(req, "Retry-After", s);
}

/* limit and offset of a list route into *limit, *offset; 0 after replying 400. */
int ct__api_page_args(ct_http_req *req, int max, int *limit, int *offset)
{
    const char *names[] = {"limit", "offset"};
    int *values[] = {limit, offset};
    *limit = max;
    *offset = 0;
    for (int i = 0; i < 2; i++) {
        const char *v = ct_http_query(req, names[i]);
        if (v == NULL)
            continue;
        char *end = NULL;
        long n = strtol(v, &end, 10);
        int lo = i == 0 ? 1 : 0, hi = i == 0 ? max : 1000000;
        if (*v == '\0' || *end != '\0' || n < lo || n > hi) {
            char msg[80];
            snprintf(msg, sizeof(msg), "must be an integer from %d to %d", lo, hi);
            ct_http_problem_field(req, names[i], msg);
            return 0;
        }
        *values[i] = (int)n;
    }
    return 1;
}

/* {"items", "total", "limit", "offset"}, taking `items`. */
static json_t *page_json(json_t *items, int64_t total, int limit, int offset)
{
    return json_pack("{s:o, s:I, s:i, s:i}", "items", items, "total", (json_int_t)total, "limit",
                     limit, "offset", offset);
}

static json_t *session_json(const ct_session_tokens *t)
{
    return json_pack("{s:s, s:s, s:i, s:s, s:s}", "access_token", t->access, "token_type", "Bearer",
                     "expires_in", t->expires_in, "refresh_token", t->refresh, "user_id",
                     t->user_id);
}

void ct__api_register_user(ct_http_req *req, ct_api_call *call)
{
    json_t *in = ct__api_body_object(req);
    if (in == NULL)
        return;
    static const char *const keys[] = {"email", "password", NULL}, *const opt[] = {"name", NULL};
    if (!strings_only(req, in, keys, 0) || !strings_only(req, in, opt, 1)) {
        json_decref(in);
        return;
    }
    ct_field_error fe = {"", ""};
    char user_id[40];
    ct_status rc =
        ct_accounts_register(call->app->accounts, call->store, str(in, "email"),
                             str(in, "password"), str(in, "name"), client(req), user_id, &fe);
    if (rc) /* a registered address answers like a new one: never 409 */
        ct__api_field_problem(req, rc, &fe);
    else
        ct_http_reply_json(
            req, 202,
            json_pack("{s:s}", "status", "check your e-mail: we sent a message to this address"));
    json_decref(in);
}

void ct__api_verify_email(ct_http_req *req, ct_api_call *call)
{
    json_t *in = ct__api_body_object(req);
    if (in == NULL)
        return;
    const char *token = str(in, "token");
    (void)client(req); /* the event logs no address, but the device */
    if (token == NULL || ct_accounts_verify_email(call->app->accounts, call->store, token) != CT_OK)
        ct_http_problem_field(req, "token", "is invalid, used or expired");
    else
        ct_http_reply_json(req, 200, json_pack("{s:b}", "email_verified", 1));
    json_decref(in);
}

void ct__api_sign_in(ct_http_req *req, ct_api_call *call)
{
    json_t *in = ct__api_body_object(req);
    if (in == NULL)
        return;
    const char *email = str(in, "email"), *password = str(in, "password");
    if (email == NULL || password == NULL) {
        ct_http_problem_field(req, email == NULL ? "email" : "password", "is required");
        json_decref(in);
        return;
    }
    ct_session_tokens t;
    int retry = 0;
    ct_status rc = ct_accounts_sign_in(call->app->accounts, call->store, email, password,
                                       client(req), &t, &retry);
    if (rc == CT_AGAIN) {
        too_many(req, retry, "too many failed sign-ins; retry later");
    } else if (rc == CT_INVALID) {
        ct_http_problem(req, 401, "Unauthorized", "e-mail or password is not correct");
    } else if (rc) {
        ct_http_problem_status(req, rc, NULL);
    } else {
        ct_http_reply_json(req, 200, session_json(&t));
        ct_http_add_header(req, "Cache-Control", "no-store");
    }
    json_decref(in);
}

void ct__api_refresh(ct_http_req *req, ct_api_call *call)
{
    json_t *in = ct__api_body_object(req);
    if (in == NULL)
        return;
    const char *token = str(in, "refresh_token");
    ct_session_tokens t;
    ct_status rc =
        token ? ct_accounts_refresh(call->app->accounts, call->store, token, client(req), &t)
              : CT_INVALID;
    if (rc == CT_INVALID) {
        ct_http_problem(req, 401, "Unauthorized", "the refresh token is invalid or was revoked");
    } else if (rc) {
        ct_http_problem_status(req, rc, NULL);
    } else {
        ct_http_reply_json(req, 200, session_json(&t));
        ct_http_add_header(req, "Cache-Control", "no-store");
    }
    json_decref(in);
}

void ct__api_sign_out(ct_http_req *req, ct_api_call *call)
{
    json_t *in = ct__api_body_object(req);
    if (in == NULL)
        return;
    const char *token = str(in, "refresh_token");
    (void)client(req);
    if (token == NULL)
        ct_http_problem_field(req, "refresh_token", "is required");
    else if (ct_accounts_sign_out(call->app->accounts, call->store, token) != CT_OK)
        ct_http_problem(req, 500, "Internal error", NULL);
    else
        ct_http_reply(req, 204, NULL, "", 0);
    json_decref(in);
}

void ct__api_reset_request(ct_http_req *req, ct_api_call *call)
{
    json_t *in = ct__api_body_object(req);
    if (in == NULL)
        return;
    int retry = 0;
    ct_status rc = ct_accounts_request_reset(call->app->accounts, call->store, str(in, "email"),
                                             client(req), &retry);
    if (rc == CT_AGAIN)
        too_many(req, retry, "too many password reset requests; retry later");
    else if (rc == CT_INVALID)
        ct_http_problem_field(req, "email", "must be a valid e-mail address");
    else if (rc)
        ct_http_problem_status(req, rc, NULL);
    else /* the same answer whether or not the account exists */
        ct_http_reply_json(req, 202,
                           json_pack("{s:s}", "status", "if the account exists, a link was sent"));
    json_decref(in);
}

void ct__api_reset_confirm(ct_http_req *req, ct_api_call *call)
{
    json_t *in = ct__api_body_object(req);
    if (in == NULL)
        return;
    ct_field_error fe = {"", ""};
    ct_status rc = ct_accounts_reset_password(call->app->accounts, call->store, str(in, "token"),
                                              str(in, "password"), client(req), &fe);
    if (rc)
        ct__api_field_problem(req, rc, &fe);
    else
        ct_http_reply(req, 204, NULL, "", 0);
    json_decref(in);
}

/* Replies with a JSON result or the problem for rc. */
static void reply_result(ct_http_req *req, ct_status rc, json_t *out, int status,
                         const ct_field_error *fe)
{
    if (rc == CT_OK) {
        ct_http_reply_json(req, status, out);
        return;
    }
    if (rc == CT_NOT_FOUND) {
        ct_http_problem(req, 404, "Not found", "no such resource");
        return;
    }
    ct__api_field_problem(req, rc, fe);
}

void ct__api_me_get(ct_http_req *req, ct_api_call *call)
{
    json_t *out = NULL;
    ct_status rc = ct_accounts_profile(call->store, call->principal.user_id, &out);
    reply_result(req, rc, out, 200, &(ct_field_error){"", ""});
}

void ct__api_me_update(ct_http_req *req, ct_api_call *call)
{
    json_t *in = ct__api_body_object(req);
    if (in == NULL)
        return;
    /* The home airport must be one we know (an airport or a metropolitan area). */
    const char *home = str(in, "home_airport");
    if (home != NULL && call->app->refdata != NULL &&
        ct_refdata_airport(call->app->refdata, home) == NULL &&
        ct_refdata_metro(call->app->refdata, home) == NULL) {
        ct_http_problem_field(req, "home_airport", "is not a known airport or city code");
        json_decref(in);
        return;
    }
    ct_field_error fe = {"", ""};
    json_t *out = NULL;
    ct_status rc = ct_accounts_update_profile(call->store, call->principal.user_id, in, &fe, &out);
    reply_result(req, rc, out, 200, &fe);
    json_decref(in);
}

void ct__api_me_delete(ct_http_req *req, ct_api_call *call)
{
    json_t *in = ct__api_body_object(req);
    if (in == NULL)
        return;
    ct_field_error fe = {"", ""};
    int retry = 0;
    ct_status rc = ct_accounts_delete(call->app->accounts, call->store, call->principal.user_id,
                                      str(in, "password"), call->principal.session_id, client(req),
                                      &fe, &retry);
    if (rc == CT_AGAIN)
        too_many(req, retry, "too many wrong passwords; retry later");
    else if (rc)
        reply_result(req, rc, NULL, 0, &fe);
    else
        ct_http_reply(req, 204, NULL, "", 0);
    json_decref(in);
}

void ct__api_me_password(ct_http_req *req, ct_api_call *call)
{
    json_t *in = ct__api_body_object(req);
    if (in == NULL)
        return;
    ct_field_error fe = {"", ""};
    int retry = 0;
    ct_status rc = ct_accounts_change_password(call->app->accounts, call->store,
                                               call->principal.user_id, str(in, "current_password"),
                                               str(in, "new_password"), client(req), &fe, &retry);
    if (rc == CT_AGAIN)
        too_many(req, retry, "too many wrong passwords; retry later");
    else if (rc)
        reply_result(req, rc, NULL, 0, &fe);
    else
        ct_http_reply(req, 204, NULL, "", 0);
    json_decref(in);
}

void ct__api_me_export(ct_http_req *req, ct_api_call *call)
{
    json_t *out = NULL;
    ct_status rc = ct_accounts_export(call->store, call->principal.user_id, &out);
    reply_result(req, rc, out, 200, &(ct_field_error){"", ""});
    if (!rc)
        ct_http_add_header(req, "Content-Disposition",
                           "attachment; filename=\"contrail-data.json\"");
}

void ct__api_me_resend_verification(ct_http_req *req, ct_api_call *call)
{
    ct_status rc =
        ct_accounts_resend_verification(call->app->accounts, call->store, call->principal.user_id);
    if (rc == CT_CONFLICT)
        ct_http_problem(req, 409, "Conflict", "the e-mail address is already verified");
    else if (rc)
        reply_result(req, rc, NULL, 0, &(ct_field_error){"", ""});
    else
        ct_http_reply_json(req, 202, json_pack("{s:s}", "status", "a new link was sent"));
}

void ct__api_me_events(ct_http_req *req, ct_api_call *call)
{
    json_t *items = NULL;
    ct_status rc = ct_security_list(call->store, call->principal.user_id, 100, &items);
    reply_result(req, rc, rc ? NULL : json_pack("{s:o}", "items", items), 200,
                 &(ct_field_error){"", ""});
}

/* 0 after replying 400 when member `key` is absent or not a string. */
static int required_string(ct_http_req *req, json_t *in, const char *key)
{
    if (json_is_string(json_object_get(in, key)))
        return 1;
    ct_http_problem_field(req, key, "is required and must be a string");
    return 0;
}

void ct__api_me_phone_put(ct_http_req *req, ct_api_call *call)
{
    json_t *in = ct__api_body_object(req);
    if (in == NULL)
        return;
    if (!required_string(req, in, "phone")) {
        json_decref(in);
        return;
    }
    ct_field_error fe = {"", ""};
    int retry = 0;
    json_t *out = NULL;
    ct_status rc =
        ct_accounts_phone_start(call->app->accounts, call->store, call->principal.user_id,
                                str(in, "phone"), client(req), &fe, &retry, &out);
    if (rc == CT_AGAIN)
        too_many(req, retry, "a code was sent recently; wait before asking for another");
    else if (rc == CT_UNAVAILABLE)
        ct_http_problem(req, 503, "Service unavailable",
                        "the code could not be sent by SMS; try again later");
    else
        reply_result(req, rc, out, 202, &fe);
    json_decref(in);
}

void ct__api_me_phone_verify(ct_http_req *req, ct_api_call *call)
{
    json_t *in = ct__api_body_object(req);
    if (in == NULL)
        return;
    if (!required_string(req, in, "code")) {
        json_decref(in);
        return;
    }
    ct_field_error fe = {"", ""};
    json_t *out = NULL;
    ct_status rc = ct_accounts_phone_verify(call->app->accounts, call->store,
                                            call->principal.user_id, str(in, "code"), &fe, &out);
    reply_result(req, rc, out, 200, &fe);
    json_decref(in);
}

void ct__api_me_phone_delete(ct_http_req *req, ct_api_call *call)
{
    ct_status rc = ct_accounts_phone_delete(call->store, call->principal.user_id);
    if (rc)
        reply_result(req, rc, NULL, 0, &(ct_field_error){"", ""});
    else
        ct_http_reply(req, 204, NULL, "", 0);
}

void ct__api_travellers_list(ct_http_req *req, ct_api_call *call)
{
    json_t *items = NULL;
    int limit, offset;
    int64_t total = 0;
    if (!ct__api_page_args(req, CT_TRAVELLERS_MAX, &limit, &offset))
        return;
    ct_status rc =
        ct_travellers_list(call->store, call->principal.user_id, limit, offset, &items, &total);
    reply_result(req, rc, rc ? NULL : page_json(items, total, limit, offset), 200,
                 &(ct_field_error){"", ""});
}

void ct__api_travellers_create(ct_http_req *req, ct_api_call *call)
{
    json_t *in = ct__api_body_object(req);
    if (in == NULL)
        return;
    ct_field_error fe = {"", ""};
    json_t *out = NULL;
    ct_status rc = ct_travellers_create(call->store, call->principal.user_id, in, &fe, &out);
    reply_result(req, rc, out, 201, &fe);
    json_decref(in);
}

void ct__api_traveller_get(ct_http_req *req, ct_api_call *call)
{
    json_t *out = NULL;
    ct_status rc =
        ct_travellers_get(call->store, call->principal.user_id, ct_http_param(req, "id"), &out);
    reply_result(req, rc, out, 200, &(ct_field_error){"", ""});
}

void ct__api_traveller_update(ct_http_req *req, ct_api_call *call)
{
    json_t *in = ct__api_body_object(req);
    if (in == NULL)
        return;
    ct_field_error fe = {"", ""};
    json_t *out = NULL;
    ct_status rc = ct_travellers_update(call->store, call->principal.user_id,
                                        ct_http_param(req, "id"), in, &fe, &out);
    reply_result(req, rc, out, 200, &fe);
    json_decref(in);
}

void ct__api_traveller_delete(ct_http_req *req, ct_api_call *call)
{
    ct_status rc =
        ct_travellers_delete(call->store, call->principal.user_id, ct_http_param(req, "id"));
    if (rc)
        reply_result(req, rc, NULL, 0, &(ct_field_error){"", ""});
    else
        ct_http_reply(req, 204, NULL, "", 0);
}

void ct__api_keys_list(ct_http_req *req, ct_api_call *call)
{
    json_t *items = NULL;
    int limit, offset;
    int64_t total = 0;
    if (!ct__api_page_args(req, 100, &limit, &offset))
        return;
    ct_status rc =
        ct_apikeys_list(call->store, call->principal.user_id, limit, offset, &items, &total);
    reply_result(req, rc, rc ? NULL : page_json(items, total, limit, offset), 200,
                 &(ct_field_error){"", ""});
}

void ct__api_keys_create(ct_http_req *req, ct_api_call *call)
{
    json_t *in = ct__api_body_object(req);
    if (in == NULL)
        return;
    ct_field_error fe = {"", ""};
    json_t *out = NULL;
    ct_status rc =
        ct_apikeys_create(call->store, call->principal.user_id, in, client(req), &fe, &out);
    reply_result(req, rc, out, 201, &fe);
    json_decref(in);
}

void ct__api_key_revoke(ct_http_req *req, ct_api_call *call)
{
    ct_status rc = ct_apikeys_revoke(call->store, call->principal.user_id, ct_http_param(req, "id"),
                                     client(req));
    if (rc)
        reply_result(req, rc, NULL, 0, &(ct_field_error){"", ""});
    else
        ct_http_reply(req, 204, NULL, "", 0);
}

void ct__api_admin_user_get(ct_http_req *req, ct_api_call *call)
{
    json_t *out = NULL;
    ct_status rc = ct_accounts_profile(call->store, ct_http_param(req, "id"), &out);
    reply_result(req, rc, out, 200, &(ct_field_error){"", ""});
}

void ct__api_admin_user_role(ct_http_req *req, ct_api_call *call)
{
    json_t *in = ct__api_body_object(req);
    if (in == NULL)
        return;
    const char *id = ct_http_param(req, "id"), *role = str(in, "role");
    json_t *out = NULL;
    ct_status rc = ct_accounts_profile(call->store, id, &out);
    json_decref(out);
    out = NULL;
    if (rc == CT_OK && (role == NULL || ct_accounts_set_role(call->store, id, role) != CT_OK)) {
        ct_http_problem_field(req, "role", "must be user or admin");
    } else {
        if (rc == CT_OK) {
            ct_security_log(call->store, id, "role_changed", NULL, client(req), role);
            rc = ct_accounts_profile(call->store, id, &out);
        }
        reply_result(req, rc, out, 200, &(ct_field_error){"", ""});
    }
    json_decref(in);
}
