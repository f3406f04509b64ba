/* state.c: the sync driver's state saved across restarts (see ingest.h, "resuming").
 *
 * A small JSON document:
 *
 *   {"format": "contrail-ingest-state", "version": 1, "from_day": D, "to_day": D,
 *    "providers": [{"name", "base_url", "dialect", "fares_cursor", "avail_cursor",
 *                   "avail_from", "avail_to"}]}
 *
 * Only providers that completed a full pass are written (the others have nothing to
 * resume). Cursors are the ones of the last complete pass, read under the statistics mutex
 * that run_sync writes them under, so saving never waits for a sync. */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "base/alloc.h"
#include "base/fileutil.h"
#include "base/log.h"
#include "ingest/ingest_internal.h"

#define STATE_FORMAT  "contrail-ingest-state"
#define STATE_VERSION 1

ct_status ct_ingest_save_state(ct_ingest *ing, const char *path)
{
    if (ing == NULL || path == NULL || path[0] == '\0')
        return CT_INVALID;
    json_t *list = json_array();
    json_t *doc = json_pack("{s:s, s:i, s:I, s:I, s:o}", "format", STATE_FORMAT, "version",
                            STATE_VERSION, "from_day", (json_int_t)ing->cfg.from_day, "to_day",
                            (json_int_t)ing->cfg.to_day, "providers", list);
    if (doc == NULL)
        return CT_NOMEM;
    ct_status rc = CT_OK;
    pthread_mutex_lock(&ing->stats_mu);
    for (int i = 0; i < ing->nprov && !rc; i++) {
        const ct__prov *p = &ing->prov[i];
        if (!p->fares_cursor[0] || !p->avail_cursor[0])
            continue;
        json_t *x =
            json_pack("{s:s, s:s, s:s, s:s, s:s, s:I, s:I}", "name", p->cfg.name, "base_url",
                      p->cfg.base_url, "dialect", ct_ingest_dialect_name(p->cfg.dialect),
                      "fares_cursor", p->fares_cursor, "avail_cursor", p->avail_cursor,
                      "avail_from", (json_int_t)p->avail_from, "avail_to", (json_int_t)p->avail_to);
        if (x == NULL || json_array_append_new(list, x) != 0)
            rc = CT_NOMEM;
    }
    pthread_mutex_unlock(&ing->stats_mu);
    if (rc) {
        json_decref(doc);
        return rc;
    }
    /* The document, then a newline, in one buffer replaced atomically (base/fileutil.h). */
    size_t flags = JSON_INDENT(1) | JSON_SORT_KEYS, len = json_dumpb(doc, NULL, 0, flags);
    char *text = len > 0 ? ct_malloc(len + 1) : NULL;
    if (text == NULL || json_dumpb(doc, text, len, flags) != len) {
        rc = text == NULL ? CT_NOMEM : CT_ERR;
        json_decref(doc);
        ct_free(text);
        return rc;
    }
    json_decref(doc);
    text[len] = '\n';
    ct_file_buf buf = {text, len + 1};
    rc = ct_file_replace(path, ct_file_write_buf, &buf);
    ct_free(text);
    return rc;
}

/* A string member that fits `len` bytes with its NUL, or NULL. */
static const char *text(json_t *obj, const char *member, size_t len)
{
    const char *s = json_string_value(json_object_get(obj, member));
    return s != NULL && strlen(s) < len ? s : NULL;
}

ct_status ct_ingest_load_state(ct_ingest *ing, const char *path, int *resumed)
{
    if (resumed != NULL)
        *resumed = 0;
    if (ing == NULL || path == NULL || path[0] == '\0')
        return CT_INVALID;
    json_error_t jerr;
    json_t *doc = json_load_file(path, JSON_REJECT_DUPLICATES, &jerr);
    if (doc == NULL)
        return access(path, F_OK) != 0 && errno == ENOENT ? CT_NOT_FOUND : CT_INVALID;
    const char *format = json_string_value(json_object_get(doc, "format"));
    json_t *list = json_object_get(doc, "providers");
    json_t *from = json_object_get(doc, "from_day"), *to = json_object_get(doc, "to_day");
    if (format == NULL || strcmp(format, STATE_FORMAT) != 0 ||
        json_integer_value(json_object_get(doc, "version")) != STATE_VERSION ||
        !json_is_array(list) || !json_is_integer(from) || !json_is_integer(to)) {
        json_decref(doc);
        return CT_INVALID;
    }
    int same_horizon =
        json_integer_value(from) == ing->cfg.from_day && json_integer_value(to) == ing->cfg.to_day;
    ct_status rc = CT_OK;
    int n = 0;
    pthread_mutex_lock(&ing->sync_mu);
    pthread_mutex_lock(&ing->stats_mu);
    for (int i = 0; i < ing->nprov; i++) {
        if (ing->prov[i].st.requests > 0 || ing->prov[i].fares_cursor[0])
            rc = CT_CONFLICT;
    }
    size_t k;
    json_t *x;
    json_array_foreach(list, k, x)
    {
        if (rc || !same_horizon)
            break;
        const char *name = text(x, "name", 32), *url = text(x, "base_url", 256);
        const char *dialect = text(x, "dialect", 32);
        const char *fc = text(x, "fares_cursor", 512), *ac = text(x, "avail_cursor", 512);
        json_t *af = json_object_get(x, "avail_from"), *at = json_object_get(x, "avail_to");
        if (name == NULL || url == NULL || dialect == NULL || fc == NULL || ac == NULL || !fc[0] ||
            !ac[0] || !json_is_integer(af) || !json_is_integer(at))
            continue;
        for (int i = 0; i < ing->nprov; i++) {
            ct__prov *p = &ing->prov[i];
            if (strcmp(p->cfg.name, name) != 0 || strcmp(p->cfg.base_url, url) != 0 ||
                strcmp(ct_ingest_dialect_name(p->cfg.dialect), dialect) != 0 || p->fares_cursor[0])
                continue;
            snprintf(p->fares_cursor, sizeof(p->fares_cursor), "%s", fc);
            snprintf(p->avail_cursor, sizeof(p->avail_cursor), "%s", ac);
            p->avail_from = json_integer_value(af);
            p->avail_to = json_integer_value(at);
            p->seats_seen = 1; /* the loaded pricebook has this provider's seats */
            p->st.full_done = 1;
            n++;
        }
    }
    pthread_mutex_unlock(&ing->stats_mu);
    pthread_mutex_unlock(&ing->sync_mu);
    json_decref(doc);
    if (!rc && resumed != NULL)
        *resumed = n;
    return rc;
}
