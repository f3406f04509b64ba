/* daemon.h: what every sandbox server process does around its service.
 *
 * The sandbox servers (payments, mail, and the providers to come) are separate processes that
 * start like `contrail serve`: read the listening options from the configuration, block the
 * stop signals before any thread exists (so every thread inherits the mask and only the main
 * thread receives them, in sigwait), announce the bound port through a port file (so a caller
 * that asked for port 0 learns the real one), and keep their state files under var/sandbox/
 * unless told otherwise. These helpers are that shared plumbing; none of them keeps state. */
#ifndef SB_DAEMON_H
#define SB_DAEMON_H

#include <signal.h>
#include <stddef.h>

#include "base/config.h"
#include "base/status.h"
#include "http/http.h"

/* Blocks SIGINT and SIGTERM in the calling thread and ignores SIGPIPE; writes the blocked set
 * to *set for sb_daemon_wait_stop. Call before starting any thread. */
void sb_daemon_block_stop_signals(sigset_t *set);

/* Waits until SIGINT or SIGTERM arrives; returns its name ("SIGINT" or "SIGTERM"). */
const char *sb_daemon_wait_stop(const sigset_t *set);

/* Writes "PORT\n" to `path` atomically (ct_file_replace, base/fileutil.h), so a reader polling for
 * the file never sees it half-written. CT_IO (errno kept) on failure. */
ct_status sb_daemon_write_port_file(const char *path, int port);

/* Creates the directory part of the file path `path` and its parents when missing (like
 * `mkdir -p "$(dirname path)"`). CT_OK when there is no directory part; CT_IO on failure. */
ct_status sb_daemon_make_parent_dir(const char *path);

/* Turns a --db value into a store URL in out: "sqlite:PATH" and "postgres://..." are kept, a
 * bare path becomes "sqlite:PATH". For SQLite, creates the file's directory. CT_TOO_LARGE when
 * out is too small, CT_IO when the directory cannot be made. */
ct_status sb_daemon_store_url(const char *db, char *out, size_t len);

/* The flags of a sandbox HTTP server: those read by sb_daemon_http_options and --port-file
 * (a base/config.h table). */
extern const ct_flag sb_daemon_http_flags[];

/* Fills HTTP server options from the configuration keys host (default 127.0.0.1), port (default
 * `default_port`), threads (default `default_threads`) and access_log (default true). The
 * strings point into cfg. CT_INVALID with a message in err for a malformed value. */
ct_status sb_daemon_http_options(const ct_config *cfg, int default_port, int default_threads,
                                 ct_http_options *out, char *err, size_t errlen);

#endif
