/* sandbox.h: entry points of the `contrail-sandbox` subcommands (src/sandbox/main.c).
 *
 * Each returns a process exit code (0 success, 1 failure, 2 usage error) and reads its flags
 * through `cfg` (see each function's flags in its own header or in docs/sandbox.md). */
#ifndef CT_SANDBOX_SANDBOX_H
#define CT_SANDBOX_SANDBOX_H

#include "base/config.h"

/* `generate`: builds the world and writes one SSIM file per carrier.
 * Flags: --seed N (default 42), --start YYYY-MM-DD (default today), --size small|default,
 * --out DIR (default var/sandbox/ssim), --refdata-dir DIR (default data/node_modules). */
int sb_generate_main(const ct_config *cfg);

/* `world`: generates the SSIM files, runs every service of the world as a supervised process
 * and publishes their endpoints in DIR/world.json. Flags: the world flags above, --dir DIR
 * (default var/sandbox). Runs until SIGTERM/SIGINT. */
int sb_world_main(const ct_config *cfg);

/* `provider`: one provider's HTTP server (sandbox/provider.h, docs/sandbox.md "Providers").
 * Flags: --name airline-1|airline-2|ota-eur|ota-usd|combiner, --inventory PATH.db (the SQLite
 * file every provider shares), --port N (0 = any), --port-file F, --threads N (default 4),
 * --carrier XX (airline-N: sell another carrier), --hold-minutes M, --offer-minutes M, the
 * world flags above, --clock PATH (the shared world clock file, sandbox/clock.h) and the fault
 * flags
 * --fault-latency-ms, --fault-latency-tail-ms, --fault-timeout-rate, --fault-timeout-ms,
 * --fault-error-rate, --fault-malformed-rate, --fault-price-change-rate,
 * --fault-sold-out-rate, --fault-seed (sandbox/faults.h). Serves until SIGINT/SIGTERM. */
int sb_provider_main(const ct_config *cfg);

#endif
