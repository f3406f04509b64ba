/* crud.c: the API's calls on alerts: create, list, get, update, delete.
 *
 * Each change is one transaction on the caller's connection; the in-memory index is changed
 * after the commit, under the engine's mutex, so it never holds an alert the table does not
 * (a failed commit leaves both as they were). Reads come from the table. */
#include <string.h>

#include "alerts/alerts_internal.h"
#include "base/alloc.h"

static ct_status finish(ct_store *st, ct_status rc)
{
    if (!rc)
        return ct_store_commit(st);
    ct_store_rollback(st);
    return rc;
}

ct_status ct_alerts_create(ct_alerts *a, ct_store *st, const char *user_id, const json_t *in,
                           ct_alerts_field_error *fe, json_t **out)
{
    ct__alert al;
    memset(&al, 0, sizeof(al));
    int64_t now = ct__alerts_now(a);
    ct_status rc = ct__alert_parse(in, now / 86400000, a->cfg.refdata, &al, fe);
    if (rc)
        return rc;
    ct__alerts_new_id(al.id);
    al.baseline = al.last_price = al.notified_low = ALERT_NONE;
    al.last_notified_at = al.last_checked_at = ALERT_NONE;
    al.created_at = al.updated_at = now;
    al.live = 1;
    rc = ct_store_begin(st);
    if (rc)
        return rc;
    int64_t n = 0;
    rc = ct__alert_count_user(st, user_id, &n);
    if (!rc && n >= a->cfg.max_per_user) {
        snprintf(fe->field, sizeof(fe->field), "alerts");
        snprintf(fe->message, sizeof(fe->message),
                 "at most %d price alerts per user: delete one first", a->cfg.max_per_user);
        rc = CT_CONFLICT;
    }
    if (!rc)
        rc = ct__alert_insert(st, user_id, &al);
    rc = finish(st, rc);
    if (rc)
        return rc;
    pthread_mutex_lock(&a->mu);
    ct_status irc = ct__alerts_put(a, &al);
    if (!irc)
        ct__alerts_queue_first(a, al.id);
    pthread_mutex_unlock(&a->mu);
    if (irc) { /* not indexed: do not keep a row the engine cannot see */
        ct_store_run(st, "DELETE FROM price_alert WHERE id = ?", 1, (const char *const[]){al.id});
        return irc;
    }
    *out = ct__alert_json(&al);
    return *out != NULL ? CT_OK : CT_NOMEM;
}

static ct_status append(const ct__alert *al, void *ctx)
{
    json_t *o = ct__alert_json(al);
    return o != NULL && json_array_append_new(ctx, o) == 0 ? CT_OK : CT_NOMEM;
}

ct_status ct_alerts_list(ct_alerts *a, ct_store *st, const char *user_id, json_t **out)
{
    (void)a;
    json_t *items = json_array();
    if (items == NULL)
        return CT_NOMEM;
    ct_status rc = ct__alert_scan(st, user_id, append, items);
    if (rc) {
        json_decref(items);
        return rc;
    }
    *out = json_pack("{s:I, s:o}", "total", (json_int_t)json_array_size(items), "items", items);
    return *out != NULL ? CT_OK : CT_NOMEM;
}

ct_status ct_alerts_get(ct_alerts *a, ct_store *st, const char *user_id, const char *id,
                        json_t **out)
{
    (void)a;
    ct__alert al;
    ct_status rc = ct__alert_read(st, user_id, id, &al, NULL);
    if (rc)
        return rc;
    *out = ct__alert_json(&al);
    return *out != NULL ? CT_OK : CT_NOMEM;
}

/* The alert's body with `in`'s fields over it; a new rule replaces the other one. */
static json_t *merged_body(const ct__alert *old, const json_t *in)
{
    json_t *body = ct__alert_spec_json(old);
    if (body == NULL)
        return NULL;
    if (json_object_get(in, "max_price") != NULL)
        json_object_del(body, "drop_percent");
    if (json_object_get(in, "drop_percent") != NULL)
        json_object_del(body, "max_price");
    if (json_object_get(in, "currency") != NULL || json_object_get(in, "max_price") != NULL) {
        json_t *mp = json_object_get(body, "max_price");
        if (mp != NULL && json_object_get(in, "max_price") == NULL)
            json_object_del(mp, "currency"); /* takes the new currency */
        if (json_object_get(in, "currency") == NULL)
            json_object_del(body, "currency"); /* takes max_price's */
    }
    json_object_update(body, (json_t *)in);
    return body;
}

ct_status ct_alerts_update(ct_alerts *a, ct_store *st, const char *user_id, const char *id,
                           const json_t *in, ct_alerts_field_error *fe, json_t **out)
{
    if (!json_is_object(in)) {
        snprintf(fe->field, sizeof(fe->field), "%s", "");
        snprintf(fe->message, sizeof(fe->message), "the body must be a JSON object");
        return CT_INVALID;
    }
    ct__alert old, al;
    int64_t now = ct__alerts_now(a);
    ct_status rc = ct_store_begin(st);
    if (rc)
        return rc;
    rc = ct__alert_read(st, user_id, id, &old, NULL);
    json_t *body = rc ? NULL : merged_body(&old, in);
    if (!rc && body == NULL)
        rc = CT_NOMEM;
    al = old;
    if (!rc)
        rc = ct__alert_parse(body, now / 86400000, a->cfg.refdata, &al, fe);
    json_decref(body);
    int fresh = !rc && ct__alert_priced_differs(&old, &al);
    if (fresh) {
        al.baseline = al.last_price = al.notified_low = ALERT_NONE;
        al.last_notified_at = al.last_checked_at = ALERT_NONE;
    }
    al.updated_at = now > old.updated_at ? now : old.updated_at + 1;
    if (!rc)
        rc = ct__alert_update_row(st, user_id, &al);
    rc = finish(st, rc);
    if (rc)
        return rc;
    pthread_mutex_lock(&a->mu);
    ct__alerts_drop(a, id);
    ct_status irc = ct__alerts_put(a, &al);
    if (!irc && fresh)
        ct__alerts_queue_first(a, al.id);
    pthread_mutex_unlock(&a->mu);
    if (irc)
        return irc;
    *out = ct__alert_json(&al);
    return *out != NULL ? CT_OK : CT_NOMEM;
}

ct_status ct_alerts_delete(ct_alerts *a, ct_store *st, const char *user_id, const char *id)
{
    ct_status rc = ct_store_begin(st);
    if (rc)
        return rc;
    rc = finish(st, ct__alert_delete_row(st, user_id, id));
    if (rc)
        return rc;
    pthread_mutex_lock(&a->mu);
    ct__alerts_drop(a, id);
    pthread_mutex_unlock(&a->mu);
    return CT_OK;
}
