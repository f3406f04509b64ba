/* prices_cmd.h: `contrail prices record | train | backtest`, the buy-or-wait model's life
 * (predict/predict.h).
 *
 *   record    starts a sandbox world (small by default) in its own folder, stops its clock
 *             at the start of today and then moves it forward step by step (PUT /admin/clock:
 *             the world runs at "step hours per step" speed, as fast as the feeds are read),
 *             ingests the providers' feeds over HTTP after every step (ingest/ingest.h, the
 *             same driver as serve) and writes one observation per route, departure date
 *             and cabin with a price within the horizon (predict/predict.h, "State") into
 *             the observations file.
 *   train     reads the observations, keeps the training part of the split and its labelled
 *             rows, trains the model and writes the model file.
 *   backtest  reads the observations and the model and evaluates on the held-back part only
 *             (both the route and the date held back), printing the table of
 *             docs/BENCHMARKS.md.
 *
 * Flags: the table below (and --db for the reference data `record` needs, --refdata-dir). */
#ifndef CT_APP_PRICES_CMD_H
#define CT_APP_PRICES_CMD_H

#include "base/config.h"

#define CT_APP_DEFAULT_PRICE_MODEL  "var/models/price-model.json"
#define CT_APP_DEFAULT_OBSERVATIONS "var/prices/observations.csv"

extern const ct_flag ct_app_prices_flags[];

/* Runs `prices SUBCOMMAND`; returns the exit code (0, 1 on failure, 2 on a usage error). */
int ct_app_prices_main(ct_config *cfg);

#endif
