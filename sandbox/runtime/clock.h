/* clock.h: the world clock, one clock shared by every sandbox process.
 *
 * The sandbox world runs on its own time: a test or a developer can start it at any date and
 * run it faster than real time (or stop it: speed 0), and every sandbox process (payments,
 * mail, the providers) must read the same time. The processes are separate, so the clock lives
 * in a small file that all of them read:
 *
 *   {"version":1,"real_epoch_ms":1767225600000,"world_epoch_ms":1772352000000,"speed":60}
 *
 *   world_now = world_epoch + (real_now - real_epoch) * speed        (milliseconds, UTC)
 *
 * With no file the world clock is the real clock (speed 1). Setting the clock writes a new
 * file atomically (temporary file, then rename(2)) under an flock(2) on "<path>.lock" that
 * serialises writers. Readers stat the path on every reading (about a microsecond) and re-read
 * the file when its identity changed: device, inode, size or modification time. A writer makes
 * each new version's modification time strictly later than the one it replaces, so even two
 * versions written within one timestamp tick into a recycled inode are told apart. A reading
 * therefore sees the latest setting at once, in any process; a file that does not parse keeps
 * the last good state (and is logged once).
 *
 * A handle is thread-safe: one mutex guards its cached state. */
#ifndef SB_CLOCK_H
#define SB_CLOCK_H

#include "base/config.h"

#include <stdint.h>

#include "base/status.h"
#include "http/http.h"

/* Speeds are in [0, SB_CLOCK_MAX_SPEED]; 0 stops the world clock. */
#define SB_CLOCK_MAX_SPEED 1000000.0

/* The default clock file, relative to the working directory. */
#define SB_CLOCK_DEFAULT_PATH "var/sandbox/clock.json"

typedef struct sb_clock sb_clock;

typedef struct sb_clock_info {
    int64_t now_ms;         /* world time, milliseconds since 1970-01-01T00:00:00Z */
    double speed;           /* world milliseconds per real millisecond */
    int64_t real_epoch_ms;  /* the real instant the current setting was made */
    int64_t world_epoch_ms; /* the world time at that instant */
    int from_file;          /* 1: a clock file sets the time; 0: real time (no file) */
    const char *path;       /* the clock file, or NULL for a process-local clock */
} sb_clock_info;

/* Opens a handle on the clock file `path` (copied; need not exist yet). With path NULL the
 * clock is local to this handle: it starts as real time and sb_clock_set changes only it
 * (tests use that). CT_NOMEM on failure. Close with sb_clock_close. */
ct_status sb_clock_open(const char *path, sb_clock **out);

/* Frees the handle (the file stays). NULL is allowed. */
void sb_clock_close(sb_clock *clk);

/* World time now, in seconds / milliseconds since the epoch (UTC). Never fails: a missing file
 * means real time, an unreadable one the last good state. Thread-safe. */
int64_t sb_clock_now(sb_clock *clk);
int64_t sb_clock_now_ms(sb_clock *clk);

/* The current state (see sb_clock_info). Thread-safe. */
void sb_clock_info_get(sb_clock *clk, sb_clock_info *out);

/* Sets the world time to `world_now_ms` from this instant on, running at `speed`, for every
 * process reading the file. CT_INVALID when speed is outside [0, SB_CLOCK_MAX_SPEED] or not a
 * number, or world_now_ms is negative or after year 9999; CT_IO when the file cannot be
 * written (its directory is created when missing). Thread-safe. */
ct_status sb_clock_set(sb_clock *clk, int64_t world_now_ms, double speed);

/* Changes the speed without a jump: the world time continues from its current value.
 * Failures as sb_clock_set. */
ct_status sb_clock_set_speed(sb_clock *clk, double speed);

/* Removes the clock file: every process returns to real time. CT_IO when it cannot. */
ct_status sb_clock_reset(sb_clock *clk);

/* Adds the admin routes GET /admin/clock (the state as JSON) and PUT /admin/clock (body
 * {"now": ISO 8601, "speed": number}, both optional: an absent one keeps its current value)
 * to `router`. `clk` is borrowed and must outlive the router. Errors are problem+json naming
 * the field. CT_NOMEM on failure. */
ct_status sb_clock_register(ct_router *router, sb_clock *clk);

/* Flag tables (base/config.h): --clock, the clock file of every sandbox process; and the
 * `clock` command's own --at and --speed. */
extern const ct_flag sb_clock_file_flags[];
extern const ct_flag sb_clock_cmd_flags[];

/* Entry point (sandbox/cmd/main.c), returning the process exit code (0 success, 1 failure, 2
 * usage error). `clock`: prints the world clock; `clock set [--at ISO8601] [--speed X]` sets it;
 * `clock reset` returns it to real time. Flag --clock names the clock file. */
int sb_clock_main(const ct_config *cfg);

#endif
