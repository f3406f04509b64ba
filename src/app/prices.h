/* prices.h: the prices of `serve`: the providers' feeds ingested into a pricebook over the
 * loaded timetable, and their persistence across restarts.
 *
 * The pricebook file and the feeds' state beside it (PATH.state.json) are loaded before
 * ingestion starts, so a restart serves the saved prices at once and its first sync is
 * incremental from the saved cursors (ingest/ingest.h, "resuming"). They are saved by the
 * ingest thread after the first sync in which every provider completed a full pass, then
 * after a sync when the last save is CT_APP_PRICES_SAVE_EVERY_S old, and at shutdown. The
 * book is always written before the state, so a state is never newer than its book. */
#ifndef CT_APP_PRICES_H
#define CT_APP_PRICES_H

#include <jansson.h>
#include <stdint.h>

#include "api/api.h"
#include "events/bus.h"
#include "fares/pricebook.h"
#include "ingest/ingest.h"
#include "providers/directory.h"
#include "timetable/timetable.h"

#define CT_APP_PRICES_SAVE_EVERY_S 300

/* The price side of one `serve`. Zero it, set the inputs, then ct_app_prices_start. */
typedef struct ct_app_prices {
    /* Inputs. */
    ct_ingest_config ingest_cfg;   /* providers (ct_app_prices_read_providers), interval, history */
    ct_partner_directory partners; /* the directory they were read from (names shown) */
    int ingest_days;               /* availability horizon from today; 0: the whole timetable */
    char pb_cache[1024];           /* the pricebook file, "" = no persistence */
    /* Cluster mode (app/cluster.h; borrowed, NULL: none): the coordinator, not this, starts
     * ingestion, and only while this instance holds the lease. */
    struct ct_app_cluster *cluster;
    /* Owned state, freed by ct_app_prices_stop. */
    char pb_state[1100]; /* pb_cache + ".state.json" */
    ct_pricebook *pricebook;
    ct_ingest *ingest;
    ct_bus *bus;
    int pb_loaded;     /* the file was loaded: it is worth saving at shutdown */
    int saved_full;    /* saved since every provider completed a sync */
    int64_t last_save; /* monotonic seconds of the last save */
} ct_app_prices;

/* Reads the partner directory of a world.json (providers/directory.h) into p->partners and
 * adds its partners to p->ingest_cfg, up to CT_MAX_PROVIDERS. */
void ct_app_prices_read_providers(ct_app_prices *p, const json_t *doc);

/* Creates the pricebook over `tt` (which must outlive p), the event bus and the ingest
 * driver, loads the saved prices (ct_app_prices_load) when p->pb_cache is set, starts the
 * ingest thread and publishes the pricebook and the driver in `app`. CT_OK with nothing done
 * when there are no providers. On failure (logged) whatever was made stays in p for
 * ct_app_prices_stop. */
ct_status ct_app_prices_start(ct_app_prices *p, ct_app *app, const ct_timetable *tt);

/* Loads the pricebook file into p->pricebook and, when it loaded, the feeds' state into
 * p->ingest (which must not have synced). *loaded (may be NULL) is 1 when the book was
 * loaded. CT_OK when both loaded; else the first failure (CT_NOT_FOUND: no file; see
 * ct_pricebook_load, ct_ingest_load_state); a refused file leaves the pricebook empty. */
ct_status ct_app_prices_load(ct_app_prices *p, int *loaded);

/* Saves the pricebook, then the feeds' state (logged either way; the time is recorded for
 * the save interval). CT_OK or the failure of the first that failed. */
ct_status ct_app_prices_save(ct_app_prices *p);

/* Withdraws the pricebook and the driver from `app` (may be NULL), stops ingestion, saves
 * the prices when they are worth it (loaded from the file, or a full pass completed), and
 * frees everything. Safe on a zeroed or partly started p, and twice. */
void ct_app_prices_stop(ct_app_prices *p, ct_app *app);

#endif
