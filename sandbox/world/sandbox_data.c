/* sandbox_data.c: reference data + world for a sandbox process (see sandbox_data.h). */
#include "sandbox/world/sandbox_data.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "base/alloc.h"
#include "base/timeutil.h"
#include "store/migrate.h"

const ct_flag sb_world_flags[] = {
    {"seed", CT_FLAG_STRING, "42", "the world's seed, a non-negative integer"},
    {"start", CT_FLAG_STRING, "today", "the world's first day, YYYY-MM-DD (UTC)"},
    {"size", CT_FLAG_STRING, "default", "small or default"},
    {"refdata_dir", CT_FLAG_PATH, "data/node_modules", "reference data packages"},
    {NULL, 0, NULL, NULL},
};

ct_status sb_world_params_from_config(const ct_config *cfg, sb_world_params *p, char *err,
                                      size_t errlen)
{
    const char *seed = ct_config_get(cfg, "seed", "42");
    char *end;
    p->seed = strtoull(seed, &end, 10);
    if (*seed == '\0' || *end != '\0') {
        snprintf(err, errlen, "seed: expected a non-negative integer, got '%s'", seed);
        return CT_INVALID;
    }
    const char *start = ct_config_get(cfg, "start", NULL);
    if (start == NULL) {
        p->start_day = ct_utc_now() / 86400;
    } else if (ct_date_parse(start, &p->start_day) != CT_OK) {
        snprintf(err, errlen, "start: expected YYYY-MM-DD, got '%s'", start);
        return CT_INVALID;
    }
    const char *size = ct_config_get(cfg, "size", "default");
    if (strcmp(size, "small") == 0)
        p->size = SB_WORLD_SMALL;
    else if (strcmp(size, "default") == 0)
        p->size = SB_WORLD_DEFAULT;
    else {
        snprintf(err, errlen, "size: expected small or default, got '%s'", size);
        return CT_INVALID;
    }
    p->refdata_dir = ct_config_get(cfg, "refdata_dir", "data/node_modules");
    return CT_OK;
}

ct_status sb_data_open(const sb_world_params *p, sb_data *out, char *err, size_t errlen)
{
    memset(out, 0, sizeof(*out));
    ct_status rc = ct_store_open("sqlite::memory:", &out->store, err, errlen);
    if (rc)
        return rc;
    rc = ct_store_migrate(out->store, NULL);
    if (rc)
        snprintf(err, errlen, "migration: %s", ct_store_errmsg(out->store));
    ct_import_report *r = rc ? NULL : ct_calloc(1, sizeof(*r));
    if (!rc && r == NULL)
        rc = CT_NOMEM;
    if (!rc) {
        rc = ct_refdata_import(out->store, p->refdata_dir, r);
        if (rc)
            snprintf(err, errlen, "reference data: %s", r->nerrors ? r->errors[0] : "failed");
    }
    ct_free(r);
    if (!rc) {
        rc = ct_refdata_load(out->store, &out->refdata);
        if (rc)
            snprintf(err, errlen, "loading reference data: %s (%s)", ct_status_name(rc),
                     ct_store_errmsg(out->store));
    }
    if (!rc) {
        rc = sb_world_generate(out->refdata, p->seed, p->start_day, p->size, &out->world);
        if (rc)
            snprintf(err, errlen, "world generation failed: %s", ct_status_name(rc));
    }
    if (rc)
        sb_data_close(out);
    return rc;
}

void sb_data_close(sb_data *d)
{
    sb_world_free(d->world);
    ct_refdata_free(d->refdata);
    ct_store_close(d->store);
    memset(d, 0, sizeof(*d));
}
