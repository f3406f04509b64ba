/* security.c: the security event log (sign-ins, failures, resets, key changes, deletions)
 * and the failed-sign-in counts the throttle reads. */
#include <stdio.h>
#include <string.h>

#include "accounts/accounts.h"

ct_status ct_security_log(ct_store *st, const char *user_id, const char *kind, const char *subject,
                          const char *ip, const char *detail)
{
    char id[40], at[24];
    ct__accounts_new_id("evt", id);
    snprintf(at, sizeof(at), "%lld", (long long)ct__accounts_now());
    const char *p[] = {id, user_id, kind, subject, ip, detail, at};
    return ct_store_run(st,
                        "INSERT INTO security_events (id, user_id, kind, subject, ip, detail,"
                        " created_at) VALUES (?, ?, ?, ?, ?, ?, ?)",
                        7, p);
}

ct_status ct_security_list(ct_store *st, const char *user_id, int limit, json_t **out)
{
    ct_stmt *s = NULL;
    ct_status rc = ct_store_prepare(st,
                                    "SELECT id, kind, ip, detail, created_at FROM security_events"
                                    " WHERE user_id = ? ORDER BY created_at DESC, id LIMIT ?",
                                    &s);
    if (rc)
        return rc;
    ct_stmt_bind_text(s, 1, user_id);
    ct_stmt_bind_int64(s, 2, limit);
    json_t *items = json_array();
    while ((rc = ct_stmt_step(s)) == CT_ROW) {
        json_array_append_new(items, json_pack("{s:s, s:s, s:s?, s:s?, s:I}", "id",
                                               ct_stmt_text(s, 0), "kind", ct_stmt_text(s, 1), "ip",
                                               ct_stmt_text(s, 2), "detail", ct_stmt_text(s, 3),
                                               "at", (json_int_t)ct_stmt_int64(s, 4)));
    }
    ct_stmt_finalize(s);
    if (rc != CT_DONE) {
        json_decref(items);
        return rc;
    }
    *out = items;
    return CT_OK;
}

ct_status ct_security_recent_failures(ct_store *st, const char *column, const char *value,
                                      int64_t since, int64_t *count)
{
    const char *sql = strcmp(column, "ip") == 0
                          ? "SELECT COUNT(*) FROM security_events WHERE kind = 'signin_failed'"
                            " AND ip = ? AND created_at >= ?"
                          : "SELECT COUNT(*) FROM security_events WHERE kind = 'signin_failed'"
                            " AND subject = ? AND created_at >= ?";
    ct_stmt *s = NULL;
    ct_status rc = ct_store_prepare(st, sql, &s);
    if (rc)
        return rc;
    ct_stmt_bind_text(s, 1, value);
    ct_stmt_bind_int64(s, 2, since);
    rc = ct_stmt_step(s);
    if (rc == CT_ROW) {
        *count = ct_stmt_int64(s, 0);
        rc = CT_OK;
    }
    ct_stmt_finalize(s);
    return rc;
}
