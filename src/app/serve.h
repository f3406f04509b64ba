/* serve.h: the `contrail serve` process: its flags, its setup and its run.
 *
 * `serve` opens the store and applies the migrations, imports the reference data when the
 * database has none, loads the reference snapshot, opens the connection pool and the
 * accounts (JWT secret, mail), optionally starts the sandbox world as a child process,
 * starts the HTTP server and the schedule loader (app/loader.h), and waits for SIGINT or
 * SIGTERM; then /readyz turns 503, the listening socket closes, in-flight requests get up to
 * three seconds, the prices are saved and the process exits 0.
 *
 * The flag tables below are the ones `contrail` checks its command lines, --config files and
 * CONTRAIL_* variables against (base/config.h); every key this module reads is in them. */
#ifndef CT_APP_SERVE_H
#define CT_APP_SERVE_H

#include <stddef.h>
#include <sys/types.h>

#include "accounts/accounts.h"
#include "api/api.h"
#include "base/config.h"
#include "notify/mailer.h"
#include "store/store.h"

#define CT_APP_DEFAULT_DB      "sqlite:var/contrail.db"
#define CT_APP_DEFAULT_REFDATA "data/node_modules"
#define CT_APP_DEFAULT_WEB     "web/dist"

/* Flag tables (ended by a NULL name): --db; --refdata-dir; --schedules-dir; and the rest of
 * serve's own flags. */
extern const ct_flag ct_app_store_flags[];
extern const ct_flag ct_app_refdata_flags[];
extern const ct_flag ct_app_schedules_flags[];
extern const ct_flag ct_app_serve_flags[];

/* Runs `serve` with `cfg` (checked against the tables above) until SIGINT/SIGTERM. `version`
 * is what /healthz reports; it must outlive the call. Returns the exit code: 0 after a clean
 * stop, 1 when setup failed (the reason printed on stderr), 2 for a bad flag value. */
int ct_app_serve(const ct_config *cfg, const char *version);

/* Opens the store named by --db (creating the folder of a sqlite:PATH file when missing) and
 * applies the migrations. The caller owns *out (ct_store_close). Failures are printed on
 * stderr: the open's or the migration's status. */
ct_status ct_app_store_open(const ct_config *cfg, ct_store **out);

/* Imports the reference data of --refdata-dir into `st` in one transaction, printing the
 * report (or the rejected records and the failure) on stderr. CT_OK or the import's status;
 * on failure nothing was written. */
ct_status ct_app_refdata_import(ct_store *st, const ct_config *cfg);

/* The HS256 key of the accounts into out[len]: --jwt-secret when set, else the first line of
 * --jwt-secret-file (default var/secrets/jwt.key), which is created (mode 0600, its folder
 * 0700) with 48 random bytes in URL-safe base64 when missing. CT_INVALID when the secret has
 * fewer than 32 characters; CT_IO when the file can be neither read nor created. */
ct_status ct_app_jwt_secret(const ct_config *cfg, char *out, size_t len);

/* Sign-in with identity providers into app->oidc (freed by the caller with ct_oidc_free):
 * the provider of --oidc-provider (default "sandbox") / --oidc-issuer / --oidc-client-id /
 * --oidc-client-secret when an issuer is given, and with `sandbox_on` or --sandbox-world the
 * provider "sandbox" from the world's world.json (its idp block, read when first asked for:
 * the world may start after serve). CT_INVALID (printed) for incomplete or malformed flags. */
ct_status ct_app_oidc_open(const ct_config *cfg, const char *secret, int sandbox_on, ct_app *app);

/* The connection pool (threads + 2 connections), accounts (JWT secret, mail: --smtp-url, or
 * with --sandbox the world's mail server) and rate limits of `serve`, set into app (which
 * must be zeroed but for version and limits). `accounts` and `mailer` must outlive app;
 * `port` is the listening port for the default --public-url. Failures are printed on stderr;
 * what was opened stays in app for the caller to free. */
ct_status ct_app_services_open(const ct_config *cfg, int threads, int port, ct_app *app,
                               ct_accounts *accounts, ct_mailer *mailer);

/* Starts `contrail-sandbox world` (installed beside this executable) as a child process that
 * dies with this one (PR_SET_PDEATHSIG), in its own process group, configured only by flags
 * (--sandbox-dir, --sandbox-seed, --sandbox-size, --refdata-dir, --sandbox-smtp-port,
 * --log-level) and without the CONTRAIL_* variables (ct_config_child_environ). A world.json
 * left by an earlier run is removed first. Call it before any thread exists. Returns the
 * child's pid, or -1 (printed on stderr). */
pid_t ct_app_sandbox_start(const ct_config *cfg);

/* Stops the child: SIGTERM, up to 10 s for it to exit, then SIGKILL. pid <= 0 is a no-op. */
void ct_app_sandbox_stop(pid_t pid);

/* The path of contrail-sandbox beside this executable into out[len]: CT_OK when it exists
 * and is executable, CT_NOT_FOUND otherwise. */
ct_status ct_app_sandbox_program(char *out, size_t len);

#endif
