/* commands.h: entry points of the `contrail-sandbox` subcommands (sandbox/cmd/main.c).
 *
 * Each returns a process exit code (0 success, 1 failure, 2 usage error) and reads its flags
 * through `cfg` (see each function's flags in its own header or in docs/sandbox.md). */
#ifndef SB_CMD_COMMANDS_H
#define SB_CMD_COMMANDS_H

#include "base/config.h"

/* `generate`: builds the world and writes one SSIM file per carrier.
 * Flags: --seed N (default 42), --start YYYY-MM-DD (default today), --size small|default,
 * --out DIR (default var/sandbox/ssim), --refdata-dir DIR (default data/node_modules). */
int sb_generate_main(const ct_config *cfg);
extern const ct_flag sb_generate_flags[]; /* --out */

/* `report`: generates the world and prints each realism target of issue 15 against its
 * figure (sandbox/world/report.h); exit code 1 when one is missed. Flags: the world flags. */
int sb_report_main(const ct_config *cfg);

/* `world`: generates the SSIM files, runs every service of the world as a supervised process
 * and publishes their endpoints in DIR/world.json. Flags: the world flags above, --dir DIR
 * (default var/sandbox), --smtp-port N (the mail server's, default 2525), --idp-redirect-uris
 * LIST (the identity provider's registered callbacks). Each service is
 * started with the flags it has: providers get the world flags, every one --log-level, --clock,
 * --port and --port-file, mail and payments --db. Runs until SIGTERM/SIGINT. */
int sb_world_main(const ct_config *cfg);
extern const ct_flag sb_world_cmd_flags[]; /* --dir, --smtp-port, --idp-redirect-uris */

#endif
