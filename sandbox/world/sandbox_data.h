/* sandbox_data.h: what every sandbox process starts from: the reference data (read from the
 * npm data packages into an in-memory store) and the world generated from it.
 *
 * Every process regenerates the same world from the same parameters, so no process reads
 * another's memory or files to know the schedules. */
#ifndef CT_SANDBOX_DATA_H
#define CT_SANDBOX_DATA_H

#include <stddef.h>
#include <stdint.h>

#include "base/config.h"
#include "refdata/refdata.h"
#include "sandbox/world/world.h"
#include "store/store.h"

typedef struct sb_world_params {
    uint64_t seed;
    int64_t start_day;
    sb_world_size size;
    const char *refdata_dir;
} sb_world_params;

/* The flags read by sb_world_params_from_config (a base/config.h table). */
extern const ct_flag sb_world_flags[];

/* Reads --seed (default 42), --start (YYYY-MM-DD, default today UTC), --size (small |
 * default) and --refdata-dir (default data/node_modules). CT_INVALID with a message. */
ct_status sb_world_params_from_config(const ct_config *cfg, sb_world_params *p, char *err,
                                      size_t errlen);

typedef struct sb_data {
    ct_store *store; /* in-memory SQLite with the reference tables */
    ct_refdata *refdata;
    sb_world *world;
} sb_data;

/* Imports the reference data and generates the world. On failure writes err. */
ct_status sb_data_open(const sb_world_params *p, sb_data *out, char *err, size_t errlen);
void sb_data_close(sb_data *d);

#endif
