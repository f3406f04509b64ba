/* inbox.c: the preferences and the in-app inbox in the store (see hub.h).
 *
 * Preferences: a row per (user, kind, channel) the user has set; the defaults (e-mail and
 * in-app on, SMS off) fill in the rest, so a new user needs no rows. The inbox: the rows of
 * `notification`, newest first (created_at, then id), with the unread count beside the page.
 * Every statement binds its values; kinds and channels are checked against the fixed lists. */
#include <stdio.h>
#include <string.h>
#include <time.h>

#include "base/alloc.h"
#include "notify/hub.h"

const char *const ct_notify_kinds[CT_NOTIFY_NKINDS] = {
    CT_NOTIFY_KIND_BOOKING, CT_NOTIFY_KIND_PRICE_ALERT, CT_NOTIFY_KIND_ACCOUNT_SECURITY,
    CT_NOTIFY_KIND_TRIP};
const char *const ct_notify_channels[CT_NOTIFY_NCHANNELS] = {"email", "in_app", "sms"};

static int index_of(const char *const *list, int n, const char *s)
{
    for (int i = 0; s != NULL && i < n; i++) {
        if (strcmp(list[i], s) == 0)
            return i;
    }
    return -1;
}

int ct_notify_is_kind(const char *s)
{
    return index_of(ct_notify_kinds, CT_NOTIFY_NKINDS, s) >= 0;
}

int ct_notify_is_channel(const char *s)
{
    return index_of(ct_notify_channels, CT_NOTIFY_NCHANNELS, s) >= 0;
}

/* ---- preferences ---- */

ct_status ct_notify_prefs_get(ct_store *st, const char *user_id,
                              int enabled[CT_NOTIFY_NKINDS][CT_NOTIFY_NCHANNELS])
{
    for (int k = 0; k < CT_NOTIFY_NKINDS; k++) {
        enabled[k][0] = 1; /* email */
        enabled[k][1] = 1; /* in_app */
        enabled[k][2] = 0; /* sms: off until the user turns it on */
    }
    ct_stmt *s = NULL;
    ct_status rc = ct_store_prepare(
        st, "SELECT kind, channel, enabled FROM notification_preference WHERE user_id = ?", &s);
    if (!rc)
        rc = ct_stmt_bind_text(s, 1, user_id);
    while (!rc && (rc = ct_stmt_step(s)) == CT_ROW) {
        int k = index_of(ct_notify_kinds, CT_NOTIFY_NKINDS, ct_stmt_text(s, 0));
        int c = index_of(ct_notify_channels, CT_NOTIFY_NCHANNELS, ct_stmt_text(s, 1));
        if (k >= 0 && c >= 0)
            enabled[k][c] = ct_stmt_int64(s, 2) != 0;
        rc = CT_OK;
    }
    ct_stmt_finalize(s);
    return rc == CT_DONE ? CT_OK : rc;
}

ct_status ct_notify_pref_set(ct_store *st, const char *user_id, const char *kind,
                             const char *channel, int enabled)
{
    if (!ct_notify_is_kind(kind) || !ct_notify_is_channel(channel) || user_id == NULL)
        return CT_INVALID;
    const char *p[] = {user_id, kind, channel, enabled ? "1" : "0"};
    return ct_store_run(st,
                        "INSERT INTO notification_preference (user_id, kind, channel, enabled)"
                        " VALUES (?, ?, ?, ?) ON CONFLICT (user_id, kind, channel)"
                        " DO UPDATE SET enabled = excluded.enabled",
                        4, p);
}

ct_status ct_notify_prefs_json(ct_store *st, const char *user_id, json_t **out)
{
    int en[CT_NOTIFY_NKINDS][CT_NOTIFY_NCHANNELS];
    ct_status rc = ct_notify_prefs_get(st, user_id, en);
    if (rc)
        return rc;
    json_t *kinds = json_object(), *doc = json_pack("{s:o}", "kinds", kinds);
    for (int k = 0; doc != NULL && k < CT_NOTIFY_NKINDS; k++) {
        json_t *ch = json_object();
        for (int c = 0; c < CT_NOTIFY_NCHANNELS; c++)
            json_object_set_new(ch, ct_notify_channels[c], json_boolean(en[k][c]));
        json_object_set_new(kinds, ct_notify_kinds[k], ch);
    }
    *out = doc;
    return doc ? CT_OK : CT_NOMEM;
}

/* The first bad member of the document, written to field; 0 when it is well formed. */
static int prefs_invalid(const json_t *doc, char *field, size_t flen)
{
    const json_t *kinds = json_object_get(doc, "kinds");
    if (!json_is_object(kinds)) {
        snprintf(field, flen, "kinds");
        return 1;
    }
    const char *kind, *channel;
    const json_t *chans, *v;
    json_object_foreach((json_t *)kinds, kind, chans)
    {
        if (!ct_notify_is_kind(kind) || !json_is_object(chans)) {
            snprintf(field, flen, "kinds.%.60s", kind);
            return 1;
        }
        json_object_foreach((json_t *)chans, channel, v)
        {
            if (!ct_notify_is_channel(channel) || !json_is_boolean(v)) {
                snprintf(field, flen, "kinds.%s.%.60s", kind, channel);
                return 1;
            }
        }
    }
    return 0;
}

ct_status ct_notify_prefs_apply(ct_store *st, const char *user_id, const json_t *doc, char *field,
                                size_t flen)
{
    field[0] = '\0';
    if (prefs_invalid(doc, field, flen))
        return CT_INVALID;
    ct_status rc = ct_store_begin(st);
    const char *kind, *channel;
    const json_t *chans, *v;
    json_object_foreach(json_object_get(doc, "kinds"), kind, chans)
    {
        json_object_foreach((json_t *)chans, channel, v)
        {
            if (!rc)
                rc = ct_notify_pref_set(st, user_id, kind, channel, json_is_true(v));
        }
    }
    if (rc) {
        ct_store_rollback(st);
        return rc;
    }
    return ct_store_commit(st);
}

/* ---- the inbox ---- */

ct_status ct_notify_inbox_unread(ct_store *st, const char *user_id, int64_t *count)
{
    ct_stmt *s = NULL;
    ct_status rc = ct_store_prepare(
        st, "SELECT COUNT(*) FROM notification WHERE user_id = ? AND read_at IS NULL", &s);
    if (!rc)
        rc = ct_stmt_bind_text(s, 1, user_id);
    if (!rc)
        rc = ct_stmt_step(s);
    if (rc == CT_ROW) {
        *count = ct_stmt_int64(s, 0);
        rc = CT_OK;
    }
    ct_stmt_finalize(s);
    return rc;
}

static ct_status count_all(ct_store *st, const char *user_id, int64_t *total)
{
    ct_stmt *s = NULL;
    ct_status rc = ct_store_prepare(st, "SELECT COUNT(*) FROM notification WHERE user_id = ?", &s);
    if (!rc)
        rc = ct_stmt_bind_text(s, 1, user_id);
    if (!rc)
        rc = ct_stmt_step(s);
    if (rc == CT_ROW) {
        *total = ct_stmt_int64(s, 0);
        rc = CT_OK;
    }
    ct_stmt_finalize(s);
    return rc;
}

/* "2026-12-04T21:30:00.123Z" of milliseconds since 1970. */
static void iso_ms(int64_t ms, char out[32])
{
    time_t t = (time_t)(ms / 1000);
    struct tm tm;
    gmtime_r(&t, &tm);
    char day[24];
    strftime(day, sizeof(day), "%Y-%m-%dT%H:%M:%S", &tm);
    snprintf(out, 32, "%s.%03dZ", day, (int)(ms % 1000));
}

static json_t *row_json(ct_stmt *s)
{
    char at[32];
    iso_ms(ct_stmt_int64(s, 5), at);
    return json_pack("{s:s, s:s, s:s, s:s?, s:s?, s:s, s:b}", "id", ct_stmt_text(s, 0), "kind",
                     ct_stmt_text(s, 1), "title", ct_stmt_text(s, 2), "body", ct_stmt_text(s, 3),
                     "link", ct_stmt_text(s, 4), "created_at", at, "read", !ct_stmt_is_null(s, 6));
}

ct_status ct_notify_inbox_list(ct_store *st, const char *user_id, int limit, int offset,
                               json_t **out)
{
    if (limit < 1 || limit > 100 || offset < 0)
        return CT_INVALID;
    int64_t total = 0, unread = 0;
    ct_status rc = count_all(st, user_id, &total);
    if (!rc)
        rc = ct_notify_inbox_unread(st, user_id, &unread);
    if (rc)
        return rc;
    json_t *items = json_array();
    ct_stmt *s = NULL;
    rc = items ? ct_store_prepare(st,
                                  "SELECT id, kind, title, body, link, created_at, read_at"
                                  " FROM notification WHERE user_id = ?"
                                  " ORDER BY created_at DESC, id DESC LIMIT ? OFFSET ?",
                                  &s)
               : CT_NOMEM;
    if (!rc && !(rc = ct_stmt_bind_text(s, 1, user_id)) && !(rc = ct_stmt_bind_int64(s, 2, limit)))
        rc = ct_stmt_bind_int64(s, 3, offset);
    while (!rc && (rc = ct_stmt_step(s)) == CT_ROW)
        rc = json_array_append_new(items, row_json(s)) == 0 ? CT_OK : CT_NOMEM;
    ct_stmt_finalize(s);
    if (rc != CT_DONE) {
        json_decref(items);
        return rc ? rc : CT_ERR;
    }
    *out = json_pack("{s:o, s:I, s:I, s:i, s:i}", "items", items, "total", (json_int_t)total,
                     "unread_count", (json_int_t)unread, "limit", limit, "offset", offset);
    return *out ? CT_OK : CT_NOMEM;
}

static int64_t now_ms(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_REALTIME, &ts);
    return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

ct_status ct_notify_inbox_read(ct_store *st, const char *user_id, const char *id)
{
    ct_stmt *s = NULL;
    ct_status rc =
        ct_store_prepare(st, "SELECT read_at FROM notification WHERE id = ? AND user_id = ?", &s);
    if (!rc && !(rc = ct_stmt_bind_text(s, 1, id)))
        rc = ct_stmt_bind_text(s, 2, user_id);
    if (!rc)
        rc = ct_stmt_step(s);
    int unread = rc == CT_ROW && ct_stmt_is_null(s, 0);
    ct_stmt_finalize(s);
    if (rc == CT_DONE)
        return CT_NOT_FOUND;
    if (rc != CT_ROW)
        return rc;
    if (!unread)
        return CT_OK;
    char now[24];
    snprintf(now, sizeof(now), "%lld", (long long)now_ms());
    const char *p[] = {now, id, user_id};
    return ct_store_run(
        st, "UPDATE notification SET read_at = ? WHERE id = ? AND user_id = ? AND read_at IS NULL",
        3, p);
}

ct_status ct_notify_inbox_read_all(ct_store *st, const char *user_id, int64_t *marked)
{
    int64_t n = 0;
    ct_status rc = ct_store_begin(st);
    if (!rc)
        rc = ct_notify_inbox_unread(st, user_id, &n);
    char now[24];
    snprintf(now, sizeof(now), "%lld", (long long)now_ms());
    const char *p[] = {now, user_id};
    if (!rc)
        rc = ct_store_run(
            st, "UPDATE notification SET read_at = ? WHERE user_id = ? AND read_at IS NULL", 2, p);
    if (rc) {
        ct_store_rollback(st);
        return rc;
    }
    rc = ct_store_commit(st);
    if (!rc && marked != NULL)
        *marked = n;
    return rc;
}
