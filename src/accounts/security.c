/* security.c: the security event log (sign-ins, failures, resets, key changes, deletions;
 * each with the client's address and User-Agent, read back with a readable device), the
 * User-Agent of the request a thread serves, and the password-check throttle that reads the
 * log's failures (the rules are in accounts.h):
 * counts over a sliding hour of the security_events rows, so every server process sharing
 * the database sees the same counts and a restart forgets nothing. */
#include <stdio.h>
#include <string.h>

#include "accounts/accounts.h"

#define UA_MAX 512

static _Thread_local char thread_ua[UA_MAX];
static _Thread_local int thread_ua_set;

void ct_accounts_set_user_agent(const char *ua)
{
    thread_ua_set = ua != NULL && ua[0] != '\0';
    if (!thread_ua_set) {
        thread_ua[0] = '\0';
        return;
    }
    /* Controls are replaced: the value goes into e-mails and logs. */
    size_t i = 0;
    for (; ua[i] != '\0' && i < UA_MAX - 1; i++)
        thread_ua[i] = (unsigned char)ua[i] < 0x20 || ua[i] == 0x7f ? ' ' : ua[i];
    thread_ua[i] = '\0';
}

const char *ct__accounts_user_agent(void)
{
    return thread_ua_set ? thread_ua : NULL;
}

/* The first of `names` (pairs: token in the User-Agent, readable name) found in ua. */
static const char *first_of(const char *ua, const char *const *names)
{
    for (; names[0] != NULL; names += 2)
        if (strstr(ua, names[0]) != NULL)
            return names[1];
    return NULL;
}

void ct_accounts_device(const char *ua, char *out, size_t len)
{
    /* Order matters: Edge and Opera say "Chrome", Chrome says "Safari", Android says "Linux"
     * and iOS says "like Mac OS X". */
    static const char *const browsers[] = {"Edg/",
                                           "Edge",
                                           "EdgA/",
                                           "Edge",
                                           "EdgiOS/",
                                           "Edge",
                                           "OPR/",
                                           "Opera",
                                           "SamsungBrowser/",
                                           "Samsung Internet",
                                           "Firefox/",
                                           "Firefox",
                                           "FxiOS/",
                                           "Firefox",
                                           "CriOS/",
                                           "Chrome",
                                           "Chromium/",
                                           "Chromium",
                                           "Chrome/",
                                           "Chrome",
                                           "Safari/",
                                           "Safari",
                                           "curl/",
                                           "curl",
                                           "Wget/",
                                           "Wget",
                                           "python-requests/",
                                           "Python",
                                           "okhttp/",
                                           "OkHttp",
                                           NULL,
                                           NULL};
    static const char *const systems[] = {"Windows",  "Windows", "Android",   "Android", "iPhone",
                                          "iOS",      "iPad",    "iPadOS",    "CrOS",    "ChromeOS",
                                          "Mac OS X", "macOS",   "Macintosh", "macOS",   "Linux",
                                          "Linux",    "FreeBSD", "FreeBSD",   NULL,      NULL};
    if (ua == NULL || ua[0] == '\0') {
        snprintf(out, len, "Unknown device");
        return;
    }
    const char *b = first_of(ua, browsers), *os = first_of(ua, systems);
    if (b != NULL && os != NULL)
        snprintf(out, len, "%s on %s", b, os);
    else if (b != NULL || os != NULL)
        snprintf(out, len, "%s", b != NULL ? b : os);
    else
        snprintf(out, len, "Unknown device");
}

ct_status ct_security_log(ct_store *st, const char *user_id, const char *kind, const char *subject,
                          const char *ip, const char *detail)
{
    char id[40], at[24];
    ct__accounts_new_id("evt", id);
    snprintf(at, sizeof(at), "%lld", (long long)ct__accounts_now());
    const char *p[] = {id, user_id, kind, subject, ip, detail, at, ct__accounts_user_agent()};
    return ct_store_run(st,
                        "INSERT INTO security_events (id, user_id, kind, subject, ip, detail,"
                        " created_at, user_agent) VALUES (?, ?, ?, ?, ?, ?, ?, ?)",
                        8, p);
}

ct_status ct_security_list(ct_store *st, const char *user_id, int limit, json_t **out)
{
    ct_stmt *s = NULL;
    ct_status rc = ct_store_prepare(st,
                                    "SELECT id, kind, ip, detail, created_at, user_agent FROM"
                                    " security_events"
                                    " WHERE user_id = ? ORDER BY created_at DESC, id LIMIT ?",
                                    &s);
    if (rc)
        return rc;
    ct_stmt_bind_text(s, 1, user_id);
    ct_stmt_bind_int64(s, 2, limit);
    json_t *items = json_array();
    while ((rc = ct_stmt_step(s)) == CT_ROW) {
        const char *ua = ct_stmt_is_null(s, 5) ? NULL : ct_stmt_text(s, 5);
        char device[64];
        ct_accounts_device(ua, device, sizeof(device));
        json_array_append_new(items, json_pack("{s:s, s:s, s:s?, s:s?, s:I, s:s?, s:s?}", "id",
                                               ct_stmt_text(s, 0), "kind", ct_stmt_text(s, 1), "ip",
                                               ct_stmt_text(s, 2), "detail", ct_stmt_text(s, 3),
                                               "at", (json_int_t)ct_stmt_int64(s, 4), "user_agent",
                                               ua, "device", ua != NULL ? device : NULL));
    }
    ct_stmt_finalize(s);
    if (rc != CT_DONE) {
        json_decref(items);
        return rc;
    }
    *out = items;
    return CT_OK;
}

/* The events a password-check throttle counts: a wrong password wherever one is checked. */
#define FAILURE_KINDS "kind IN ('signin_failed', 'password_change_failed', 'delete_failed')"

/* COUNT(*) and MIN or MAX(created_at) of the failures matching `where` since `since`. */
static ct_status failures(ct_store *st, const char *agg, const char *where, const char *v1,
                          const char *v2, int64_t since, int64_t *count, int64_t *at)
{
    char sql[320];
    snprintf(sql, sizeof(sql),
             "SELECT COUNT(*), %s(created_at) FROM security_events WHERE " FAILURE_KINDS
             " AND %s AND created_at >= ?",
             agg, where);
    ct_stmt *s = NULL;
    ct_status rc = ct_store_prepare(st, sql, &s);
    if (rc)
        return rc;
    int i = 1;
    ct_stmt_bind_text(s, i++, v1);
    if (v2 != NULL)
        ct_stmt_bind_text(s, i++, v2);
    ct_stmt_bind_int64(s, i, since);
    rc = ct_stmt_step(s);
    if (rc == CT_ROW) {
        *count = ct_stmt_int64(s, 0);
        *at = ct_stmt_is_null(s, 1) ? 0 : ct_stmt_int64(s, 1);
        rc = CT_OK;
    } else if (rc == CT_DONE) {
        rc = CT_ERR;
    }
    ct_stmt_finalize(s);
    return rc;
}

ct_status ct_security_recent_failures(ct_store *st, const char *column, const char *value,
                                      int64_t since, int64_t *count)
{
    int64_t at;
    return failures(st, "MIN", strcmp(column, "ip") == 0 ? "ip = ?" : "subject = ?", value, NULL,
                    since, count, &at);
}

ct_status ct__accounts_throttle(const ct_accounts *a, ct_store *st, const char *subject,
                                const char *ip, int *wait_s)
{
    int64_t now = ct__accounts_now(), since = now - 3600, count = 0, at = 0;
    int64_t limit = a->cfg.signin_failures_per_hour;
    *wait_s = 0;
    ct_status rc;
    /* Per address across accounts: a hard limit over a sliding hour. */
    if (ip != NULL) {
        rc = failures(st, "MIN", "ip = ?", ip, NULL, since, &count, &at);
        if (rc)
            return rc;
        if (count >= limit) {
            int64_t w = at + 3600 - now;
            *wait_s = w < 1 ? 1 : (int)w;
            return CT_OK;
        }
    }
    if (subject == NULL || ip == NULL)
        return CT_OK;
    /* Per account from anywhere: never a refusal, only fewer free failures per address. */
    int64_t free_failures = a->cfg.signin_pair_free;
    rc = failures(st, "MAX", "subject = ?", subject, NULL, since, &count, &at);
    if (rc)
        return rc;
    if (count >= limit)
        free_failures = 1;
    /* Per (account, address): exponential delay after the last failure. */
    rc = failures(st, "MAX", "subject = ? AND ip = ?", subject, ip, since, &count, &at);
    if (rc)
        return rc;
    if (count < free_failures)
        return CT_OK;
    int64_t k = count - free_failures;
    int64_t delay = k >= 10 ? CT_SIGNIN_DELAY_MAX : (int64_t)1 << k;
    if (delay > CT_SIGNIN_DELAY_MAX)
        delay = CT_SIGNIN_DELAY_MAX;
    /* Times are whole seconds: the last failure counts from the end of its second, so a
     * delay of d seconds is at least d (a failure at 12.9 s with d = 1 let a try in at 13.0:
     * the first delay was often no delay, and test_accounts_api flaky under load). */
    if (at + delay >= now)
        *wait_s = (int)(at + delay - now + 1);
    return CT_OK;
}
