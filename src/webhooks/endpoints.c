/* endpoints.c: the API's operations on endpoints and their delivery log (see webhooks.h).
 *
 * Every statement names the user: an id of another user reads as missing (CT_NOT_FOUND), so
 * the API answers 404 without telling whether it exists. Writes that go together (a delete
 * with its deliveries and attempts, an enable with its resumed deliveries) are one
 * transaction. Secrets leave only in the answers of create and rotate. */
#include <sodium.h>
#include <stdio.h>
#include <string.h>
#include <time.h>

#include "base/alloc.h"
#include "base/json.h"
#include "base/text.h"
#include "webhooks/webhooks_internal.h"

static const char *sendable_types[] = {"order.confirmed",
                                       "order.cancelled",
                                       "price_alert.triggered",
                                       "trip.price_drop",
                                       "trip.schedule_changed",
                                       "trip.*",
                                       "*"};

int64_t ct__wh_now_ms(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_REALTIME, &ts);
    return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

void ct__wh_new_id(const char *prefix, char *out, size_t len)
{
    unsigned char r[12];
    char hex[25];
    randombytes_buf(r, sizeof(r));
    sodium_bin2hex(hex, sizeof(hex), r, sizeof(r));
    snprintf(out, len, "%s%s", prefix, hex);
}

const char *ct__wh_iso(int64_t ms, char *out, size_t len)
{
    time_t t = (time_t)(ms / 1000);
    struct tm tm;
    gmtime_r(&t, &tm);
    snprintf(out, len, "%04d-%02d-%02dT%02d:%02d:%02d.%03dZ", tm.tm_year + 1900, tm.tm_mon + 1,
             tm.tm_mday, tm.tm_hour, tm.tm_min, tm.tm_sec, (int)(ms % 1000));
    return out;
}

static ct_status field(ct_webhooks_field_error *fe, const char *name, const char *message)
{
    snprintf(fe->field, sizeof(fe->field), "%s", name);
    snprintf(fe->message, sizeof(fe->message), "%s", message);
    return CT_INVALID;
}

/* Joins the validated event types into out ("order.confirmed trip.*"); 0 when invalid. */
static int collect_types(const json_t *arr, char *out, size_t len)
{
    if (arr == NULL) {
        snprintf(out, len, "*");
        return 1;
    }
    out[0] = '\0';
    if (!json_is_array(arr) || json_array_size(arr) == 0 || json_array_size(arr) > 16)
        return 0;
    size_t i;
    json_t *v;
    json_array_foreach(arr, i, v)
    {
        const char *s = json_string_value(v);
        int known = 0;
        for (size_t k = 0; s != NULL && k < sizeof(sendable_types) / sizeof(*sendable_types); k++)
            known |= strcmp(s, sendable_types[k]) == 0;
        char padded[64], have[520];
        snprintf(padded, sizeof(padded), " %s ", s ? s : "");
        snprintf(have, sizeof(have), " %s ", out);
        if (!known || strstr(have, padded) != NULL)
            return 0;
        if (out[0])
            strncat(out, " ", len - strlen(out) - 1);
        strncat(out, s, len - strlen(out) - 1);
    }
    return 1;
}

#define ENDPOINT_COLUMNS                                                                           \
    "id, url, description, event_types, status, disabled_reason, failing_since, created_at,"       \
    " updated_at, previous_secret_until"

/* The endpoint of the current row of a SELECT ENDPOINT_COLUMNS. */
static json_t *endpoint_json(ct_stmt *s)
{
    char created[32], updated[32], failing[32], until[32];
    json_t *types = json_array();
    char buf[512];
    snprintf(buf, sizeof(buf), "%s", ct_stmt_text(s, 3) ? ct_stmt_text(s, 3) : "");
    char *save = NULL;
    for (char *t = strtok_r(buf, " ", &save); t != NULL; t = strtok_r(NULL, " ", &save))
        json_array_append_new(types, json_string(t));
    int64_t prev_until = ct_stmt_is_null(s, 9) ? 0 : ct_stmt_int64(s, 9);
    return json_pack(
        "{ss ss ss so ss so? so? ss ss so?}", "id", ct_stmt_text(s, 0), "url", ct_stmt_text(s, 1),
        "description", ct_stmt_text(s, 2), "event_types", types, "status", ct_stmt_text(s, 4),
        "disabled_reason", ct_stmt_is_null(s, 5) ? NULL : json_string(ct_stmt_text(s, 5)),
        "failing_since",
        ct_stmt_is_null(s, 6)
            ? NULL
            : json_string(ct__wh_iso(ct_stmt_int64(s, 6), failing, sizeof(failing))),
        "created_at", ct__wh_iso(ct_stmt_int64(s, 7), created, sizeof(created)), "updated_at",
        ct__wh_iso(ct_stmt_int64(s, 8), updated, sizeof(updated)), "previous_secret_expires_at",
        prev_until > ct__wh_now_ms() ? json_string(ct__wh_iso(prev_until, until, sizeof(until)))
                                     : NULL);
}

/* The user's endpoint `id` as JSON into *out; CT_NOT_FOUND when it is not theirs. */
static ct_status endpoint_read(ct_store *st, const char *user_id, const char *id, json_t **out)
{
    ct_stmt *s = NULL;
    ct_status rc = ct_store_prepare(
        st, "SELECT " ENDPOINT_COLUMNS " FROM webhook_endpoints WHERE id = ? AND user_id = ?", &s);
    if (rc)
        return rc;
    ct_stmt_bind_text(s, 1, id);
    ct_stmt_bind_text(s, 2, user_id);
    rc = ct_stmt_step(s);
    if (rc == CT_ROW) {
        *out = endpoint_json(s);
        rc = *out ? CT_OK : CT_NOMEM;
    } else if (rc == CT_DONE)
        rc = CT_NOT_FOUND;
    ct_stmt_finalize(s);
    return rc;
}

static ct_status count_endpoints(ct_store *st, const char *user_id, int64_t *n)
{
    ct_stmt *s = NULL;
    ct_status rc =
        ct_store_prepare(st, "SELECT COUNT(*) FROM webhook_endpoints WHERE user_id = ?", &s);
    if (rc)
        return rc;
    ct_stmt_bind_text(s, 1, user_id);
    rc = ct_stmt_step(s);
    *n = rc == CT_ROW ? ct_stmt_int64(s, 0) : 0;
    ct_stmt_finalize(s);
    return rc == CT_ROW ? CT_OK : rc;
}

/* Validates the creation request into url/description/types; CT_INVALID with *fe. */
static ct_status read_create(ct_webhooks *w, const json_t *in, ct_webhooks_field_error *fe,
                             const char **url, const char **desc, char *types, size_t tlen)
{
    if (!json_is_object(in))
        return field(fe, "body", "must be a JSON object");
    *url = json_string_value(json_object_get(in, "url"));
    char why[160];
    if (*url == NULL)
        return field(fe, "url", "is required: the https URL to send events to");
    if (!ct_webhooks_url_allowed(*url, w != NULL && w->cfg.allow_loopback, why, sizeof(why)))
        return field(fe, "url", why);
    const json_t *d = json_object_get(in, "description");
    *desc = d == NULL ? "" : json_string_value(d);
    if (*desc == NULL || strlen(*desc) > 200 || !ct_utf8_valid(*desc, strlen(*desc)))
        return field(fe, "description", "must be text of at most 200 characters");
    if (!collect_types(json_object_get(in, "event_types"), types, tlen))
        return field(fe, "event_types",
                     "must list 1-16 distinct of order.confirmed, order.cancelled, "
                     "price_alert.triggered, trip.price_drop, trip.schedule_changed, trip.*, *");
    return CT_OK;
}

ct_status ct_webhooks_create(ct_webhooks *w, ct_store *st, const char *user_id, const json_t *in,
                             ct_webhooks_field_error *fe, json_t **out)
{
    const char *url = NULL, *desc = NULL;
    char types[512], id[40], secret[80], now_s[24];
    ct_status rc = read_create(w, in, fe, &url, &desc, types, sizeof(types));
    if (rc)
        return rc;
    int64_t n = 0;
    rc = ct_store_begin(st);
    if (!rc)
        rc = count_endpoints(st, user_id, &n);
    if (!rc && n >= CT_WEBHOOKS_MAX_ENDPOINTS) {
        field(fe, "url", "at most 16 endpoints per account: delete one first");
        rc = CT_CONFLICT;
    }
    ct__wh_new_id("whe_", id, sizeof(id));
    ct_webhooks_new_secret(secret, sizeof(secret));
    snprintf(now_s, sizeof(now_s), "%lld", (long long)ct__wh_now_ms());
    const char *p[] = {id, user_id, url, desc, types, secret, now_s, now_s};
    if (!rc)
        rc = ct_store_run(st,
                          "INSERT INTO webhook_endpoints (id, user_id, url, description,"
                          " event_types, secret, status, created_at, updated_at)"
                          " VALUES (?, ?, ?, ?, ?, ?, 'enabled', ?, ?)",
                          8, p);
    if (!rc)
        rc = ct_store_commit(st);
    else
        ct_store_rollback(st);
    if (!rc)
        rc = endpoint_read(st, user_id, id, out);
    if (!rc)
        json_object_set_new(*out, "secret", json_string(secret));
    sodium_memzero(secret, sizeof(secret));
    return rc;
}

ct_status ct_webhooks_list(ct_store *st, const char *user_id, json_t **out)
{
    ct_stmt *s = NULL;
    ct_status rc = ct_store_prepare(st,
                                    "SELECT " ENDPOINT_COLUMNS " FROM webhook_endpoints"
                                    " WHERE user_id = ? ORDER BY created_at DESC, id",
                                    &s);
    if (rc)
        return rc;
    ct_stmt_bind_text(s, 1, user_id);
    json_t *items = json_array();
    while ((rc = ct_stmt_step(s)) == CT_ROW)
        json_array_append_new(items, endpoint_json(s));
    ct_stmt_finalize(s);
    if (rc != CT_DONE) {
        json_decref(items);
        return rc;
    }
    *out = json_pack("{so}", "items", items);
    return *out ? CT_OK : CT_NOMEM;
}

ct_status ct_webhooks_get(ct_store *st, const char *user_id, const char *id, json_t **out)
{
    return endpoint_read(st, user_id, id, out);
}

ct_status ct_webhooks_delete(ct_store *st, const char *user_id, const char *id)
{
    json_t *e = NULL;
    ct_status rc = ct_store_begin(st);
    if (!rc)
        rc = endpoint_read(st, user_id, id, &e);
    json_decref(e);
    const char *p[] = {id};
    if (!rc)
        rc = ct_store_run(st,
                          "DELETE FROM webhook_attempts WHERE delivery_id IN"
                          " (SELECT id FROM webhook_deliveries WHERE endpoint_id = ?)",
                          1, p);
    if (!rc)
        rc = ct_store_run(st, "DELETE FROM webhook_deliveries WHERE endpoint_id = ?", 1, p);
    if (!rc)
        rc = ct_store_run(st, "DELETE FROM webhook_endpoints WHERE id = ?", 1, p);
    if (!rc)
        return ct_store_commit(st);
    ct_store_rollback(st);
    return rc;
}

/* ---- deliveries ---- */

#define DELIVERY_COLUMNS                                                                           \
    "id, event_id, message_id, event_type, payload, status, attempts, next_attempt_at,"            \
    " last_status, last_error, delivered_at, created_at"

/* The attempts of delivery `id`, oldest first. */
static json_t *attempts_json(ct_store *st, const char *id)
{
    ct_stmt *s = NULL;
    json_t *arr = json_array();
    if (ct_store_prepare(st,
                         "SELECT attempt, started_at, duration_ms, http_status, error"
                         " FROM webhook_attempts WHERE delivery_id = ? ORDER BY attempt",
                         &s) != CT_OK)
        return arr;
    ct_stmt_bind_text(s, 1, id);
    while (ct_stmt_step(s) == CT_ROW) {
        char at[32];
        json_array_append_new(
            arr,
            json_pack("{sI ss sI so? so?}", "attempt", (json_int_t)ct_stmt_int64(s, 0),
                      "started_at", ct__wh_iso(ct_stmt_int64(s, 1), at, sizeof(at)), "duration_ms",
                      (json_int_t)ct_stmt_int64(s, 2), "http_status",
                      ct_stmt_is_null(s, 3) ? NULL : json_integer(ct_stmt_int64(s, 3)), "error",
                      ct_stmt_is_null(s, 4) ? NULL : json_string(ct_stmt_text(s, 4))));
    }
    ct_stmt_finalize(s);
    return arr;
}

/* The delivery of the current row of a SELECT DELIVERY_COLUMNS (attempts not included). */
static json_t *delivery_json(ct_stmt *s)
{
    char created[32], next[32], delivered[32];
    const char *status = ct_stmt_text(s, 5);
    json_t *payload = json_loads(ct_stmt_text(s, 4), 0, NULL);
    return json_pack("{ss ss ss ss so ss sI so? so? so? so? ss}", "id", ct_stmt_text(s, 0),
                     "event_id", ct_stmt_text(s, 1), "message_id", ct_stmt_text(s, 2), "event_type",
                     ct_stmt_text(s, 3), "payload", payload ? payload : json_null(), "status",
                     status, "attempt_count", (json_int_t)ct_stmt_int64(s, 6), "next_attempt_at",
                     strcmp(status, "pending") == 0
                         ? json_string(ct__wh_iso(ct_stmt_int64(s, 7), next, sizeof(next)))
                         : NULL,
                     "last_http_status",
                     ct_stmt_is_null(s, 8) ? NULL : json_integer(ct_stmt_int64(s, 8)), "last_error",
                     ct_stmt_is_null(s, 9) ? NULL : json_string(ct_stmt_text(s, 9)), "delivered_at",
                     ct_stmt_is_null(s, 10) ? NULL
                                            : json_string(ct__wh_iso(ct_stmt_int64(s, 10),
                                                                     delivered, sizeof(delivered))),
                     "created_at", ct__wh_iso(ct_stmt_int64(s, 11), created, sizeof(created)));
}

ct_status ct_webhooks_deliveries(ct_store *st, const char *user_id, const char *id, int limit,
                                 json_t **out)
{
    json_t *e = NULL;
    ct_status rc = endpoint_read(st, user_id, id, &e);
    json_decref(e);
    if (rc)
        return rc;
    ct_stmt *s = NULL;
    rc = ct_store_prepare(st,
                          "SELECT " DELIVERY_COLUMNS " FROM webhook_deliveries"
                          " WHERE endpoint_id = ? ORDER BY created_at DESC, id LIMIT ?",
                          &s);
    if (rc)
        return rc;
    ct_stmt_bind_text(s, 1, id);
    ct_stmt_bind_int64(s, 2, limit < 1 || limit > 100 ? 20 : limit);
    json_t *items = json_array();
    while ((rc = ct_stmt_step(s)) == CT_ROW)
        json_array_append_new(items, delivery_json(s));
    ct_stmt_finalize(s);
    if (rc != CT_DONE) {
        json_decref(items);
        return rc;
    }
    size_t i;
    json_t *d;
    json_array_foreach(items, i, d)
    {
        json_object_set_new(d, "attempts",
                            attempts_json(st, json_string_value(json_object_get(d, "id"))));
    }
    *out = json_pack("{so}", "items", items);
    return *out ? CT_OK : CT_NOMEM;
}

/* The endpoint's delivery `delivery_id` as JSON (with attempts). */
static ct_status delivery_read(ct_store *st, const char *endpoint_id, const char *delivery_id,
                               json_t **out)
{
    ct_stmt *s = NULL;
    ct_status rc = ct_store_prepare(st,
                                    "SELECT " DELIVERY_COLUMNS " FROM webhook_deliveries"
                                    " WHERE id = ? AND endpoint_id = ?",
                                    &s);
    if (rc)
        return rc;
    ct_stmt_bind_text(s, 1, delivery_id);
    ct_stmt_bind_text(s, 2, endpoint_id);
    rc = ct_stmt_step(s);
    if (rc == CT_ROW) {
        *out = delivery_json(s);
        rc = CT_OK;
    } else if (rc == CT_DONE)
        rc = CT_NOT_FOUND;
    ct_stmt_finalize(s);
    if (!rc)
        json_object_set_new(*out, "attempts", attempts_json(st, delivery_id));
    return rc;
}

ct_status ct_webhooks_replay(ct_webhooks *w, ct_store *st, const char *user_id, const char *id,
                             const char *delivery_id, json_t **out)
{
    json_t *e = NULL, *d = NULL;
    ct_status rc = ct_store_begin(st);
    if (!rc)
        rc = endpoint_read(st, user_id, id, &e);
    if (!rc)
        rc = delivery_read(st, id, delivery_id, &d);
    if (!rc && strcmp(json_string_value(json_object_get(e, "status")), "enabled") != 0)
        rc = CT_CONFLICT;
    json_decref(e);
    json_decref(d);
    char now_s[24];
    snprintf(now_s, sizeof(now_s), "%lld", (long long)ct__wh_now_ms());
    const char *p[] = {now_s, delivery_id};
    if (!rc)
        rc = ct_store_run(st,
                          "UPDATE webhook_deliveries SET status = 'pending', round_attempts = 0,"
                          " next_attempt_at = ?, lease_until = 0 WHERE id = ?",
                          2, p);
    if (!rc)
        rc = ct_store_commit(st);
    else
        ct_store_rollback(st);
    if (!rc)
        rc = delivery_read(st, id, delivery_id, out);
    ct_webhooks_kick(w);
    return rc;
}

ct_status ct_webhooks_rotate(ct_store *st, const char *user_id, const char *id, json_t **out)
{
    json_t *e = NULL;
    char secret[80], until[24], now_s[24];
    int64_t now = ct__wh_now_ms();
    ct_webhooks_new_secret(secret, sizeof(secret));
    snprintf(until, sizeof(until), "%lld", (long long)(now + WH_ROTATION_MS));
    snprintf(now_s, sizeof(now_s), "%lld", (long long)now);
    ct_status rc = ct_store_begin(st);
    if (!rc)
        rc = endpoint_read(st, user_id, id, &e);
    json_decref(e);
    const char *p[] = {secret, until, now_s, id};
    if (!rc)
        rc = ct_store_run(st,
                          "UPDATE webhook_endpoints SET previous_secret = secret, secret = ?,"
                          " previous_secret_until = ?, updated_at = ? WHERE id = ?",
                          4, p);
    if (!rc)
        rc = ct_store_commit(st);
    else
        ct_store_rollback(st);
    if (!rc)
        rc = endpoint_read(st, user_id, id, out);
    if (!rc)
        json_object_set_new(*out, "secret", json_string(secret));
    sodium_memzero(secret, sizeof(secret));
    return rc;
}

ct_status ct_webhooks_enable(ct_webhooks *w, ct_store *st, const char *user_id, const char *id,
                             json_t **out)
{
    json_t *e = NULL;
    char now_s[24];
    snprintf(now_s, sizeof(now_s), "%lld", (long long)ct__wh_now_ms());
    ct_status rc = ct_store_begin(st);
    if (!rc)
        rc = endpoint_read(st, user_id, id, &e);
    json_decref(e);
    const char *p[] = {now_s, id};
    if (!rc)
        rc = ct_store_run(st,
                          "UPDATE webhook_endpoints SET status = 'enabled', disabled_reason = NULL,"
                          " failing_since = NULL, updated_at = ? WHERE id = ?",
                          2, p);
    if (!rc)
        rc = ct_store_run(st,
                          "UPDATE webhook_deliveries SET next_attempt_at = ?"
                          " WHERE endpoint_id = ? AND status = 'pending'",
                          2, p);
    if (!rc)
        rc = ct_store_commit(st);
    else
        ct_store_rollback(st);
    if (!rc)
        rc = endpoint_read(st, user_id, id, out);
    ct_webhooks_kick(w);
    return rc;
}

ct_status ct_webhooks_ping(ct_webhooks *w, ct_store *st, const char *user_id, const char *id,
                           json_t **out)
{
    json_t *e = NULL;
    char did[40], evt[40], msg[40], now_s[24], iso[32];
    int64_t now = ct__wh_now_ms();
    ct__wh_new_id("whd_", did, sizeof(did));
    ct__wh_new_id("ping_", evt, sizeof(evt));
    snprintf(msg, sizeof(msg), "msg_%s", evt + 5);
    snprintf(now_s, sizeof(now_s), "%lld", (long long)now);
    ct_status rc = ct_store_begin(st);
    if (!rc)
        rc = endpoint_read(st, user_id, id, &e);
    json_decref(e);
    json_t *body = json_pack("{ss ss s{ss}}", "type", "webhook.test", "timestamp",
                             ct__wh_iso(now, iso, sizeof(iso)), "data", "endpoint_id", id);
    char *text = NULL;
    ct_status jrc =
        body ? ct_json_dumps(body, JSON_COMPACT | JSON_PRESERVE_ORDER, &text) : CT_NOMEM;
    json_decref(body);
    if (!rc && jrc)
        rc = jrc;
    const char *p[] = {did, id, evt, msg, text, now_s, now_s};
    if (!rc)
        rc = ct_store_run(st,
                          "INSERT INTO webhook_deliveries (id, endpoint_id, event_id, message_id,"
                          " event_type, payload, status, next_attempt_at, created_at)"
                          " VALUES (?, ?, ?, ?, 'webhook.test', ?, 'pending', ?, ?)",
                          7, p);
    ct_free(text);
    if (!rc)
        rc = ct_store_commit(st);
    else
        ct_store_rollback(st);
    if (!rc)
        rc = delivery_read(st, id, did, out);
    ct_webhooks_kick(w);
    return rc;
}
