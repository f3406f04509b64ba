/* clock.c: the shared world clock (see clock.h for the file format and the change detection).
 *
 * A handle caches the parsed state and the identity of the file version it came from. Each
 * reading takes the handle's mutex, stats the path, re-reads when the identity changed, and
 * computes world = world_epoch + (real - real_epoch) * speed in long double, so that a year of
 * real milliseconds times the largest speed stays exact to the millisecond.
 *
 * Writing: flock "<path>.lock", write a temporary file beside it (ct_file_replace,
 * base/fileutil.h), give it a modification time later than the current file's (futimens) when
 * the file system clock has not moved on, fsync, rename it over the path, unlock. The writer's own
 * cache is updated from the file it wrote. */
#define _GNU_SOURCE
#include "sandbox/runtime/clock.h"

#include <errno.h>
#include <fcntl.h>
#include <jansson.h>
#include <math.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "base/alloc.h"
#include "base/fileutil.h"
#include "base/log.h"
#include "base/timeutil.h"
#include "http/problem.h"
#include "sandbox/runtime/daemon.h"

const ct_flag sb_clock_file_flags[] = {
    {"clock", CT_FLAG_PATH, SB_CLOCK_DEFAULT_PATH, "the shared world clock file"},
    {NULL, 0, NULL, NULL},
};

const ct_flag sb_clock_cmd_flags[] = {
    {"at", CT_FLAG_STRING, NULL, "clock set: the world time, ISO 8601"},
    {"speed", CT_FLAG_STRING, NULL, "clock set: world seconds per real second (0 stops it)"},
    {NULL, 0, NULL, NULL},
};

#define MAX_FILE_BYTES 4096
#define MAX_WORLD_MS   253402300799999LL /* 9999-12-31T23:59:59.999Z */

/* Which version of the file the cache came from. */
typedef struct file_id {
    int present;
    dev_t dev;
    ino_t ino;
    off_t size;
    struct timespec mtime;
} file_id;

typedef struct clock_state {
    int64_t real_epoch_ms;
    int64_t world_epoch_ms;
    double speed;
    int from_file;
} clock_state;

struct sb_clock {
    pthread_mutex_t lock;
    char *path; /* NULL: process-local clock */
    clock_state state;
    file_id seen;
};

static int64_t real_now_ms(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_REALTIME, &ts);
    return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

static void state_real_time(clock_state *s)
{
    s->real_epoch_ms = 0;
    s->world_epoch_ms = 0;
    s->speed = 1.0;
    s->from_file = 0;
}

static int64_t state_now_ms(const clock_state *s, int64_t real_ms)
{
    long double elapsed = (long double)(real_ms - s->real_epoch_ms) * (long double)s->speed;
    return s->world_epoch_ms + (int64_t)elapsed;
}

static int speed_valid(double speed)
{
    return isfinite(speed) && speed >= 0.0 && speed <= SB_CLOCK_MAX_SPEED;
}

static file_id id_of(const struct stat *st)
{
    file_id id = {.present = 1,
                  .dev = st->st_dev,
                  .ino = st->st_ino,
                  .size = st->st_size,
                  .mtime = st->st_mtim};
    return id;
}

static int id_equal(const file_id *a, const file_id *b)
{
    if (a->present != b->present)
        return 0;
    return !a->present ||
           (a->dev == b->dev && a->ino == b->ino && a->size == b->size &&
            a->mtime.tv_sec == b->mtime.tv_sec && a->mtime.tv_nsec == b->mtime.tv_nsec);
}

/* Parses a clock file's text; CT_INVALID (with the reason) when it is not a valid state. */
static ct_status parse_state(const char *text, size_t len, clock_state *out, const char **why)
{
    json_error_t jerr;
    json_t *j = json_loadb(text, len, 0, &jerr);
    ct_status rc = CT_INVALID;
    json_t *real = json_object_get(j, "real_epoch_ms");
    json_t *world = json_object_get(j, "world_epoch_ms");
    json_t *speed = json_object_get(j, "speed");
    *why = "not JSON";
    if (j == NULL)
        goto cleanup;
    *why = "real_epoch_ms and world_epoch_ms must be integers";
    if (!json_is_integer(real) || !json_is_integer(world))
        goto cleanup;
    *why = "speed must be a number in [0, 1000000]";
    if (!json_is_number(speed) || !speed_valid(json_number_value(speed)))
        goto cleanup;
    out->real_epoch_ms = json_integer_value(real);
    out->world_epoch_ms = json_integer_value(world);
    out->speed = json_number_value(speed);
    out->from_file = 1;
    rc = CT_OK;
cleanup:
    json_decref(j);
    return rc;
}

/* Reads the open clock file into the cache; the identity is recorded whatever the outcome, so
 * a broken version is reported once rather than re-read on every call. */
static void load_file(sb_clock *clk, int fd)
{
    struct stat st;
    if (fstat(fd, &st) != 0)
        return;
    clk->seen = id_of(&st);
    char buf[MAX_FILE_BYTES];
    ssize_t n = read(fd, buf, sizeof(buf));
    const char *why = "unreadable or larger than 4 KiB";
    clock_state parsed;
    if (n >= 0 && (size_t)n < sizeof(buf) && parse_state(buf, (size_t)n, &parsed, &why) == CT_OK) {
        clk->state = parsed;
        return;
    }
    ct_log(CT_LOG_WARN, "clock.file_invalid", "path", clk->path, "reason", why, NULL);
}

/* Brings the cache up to date with the file. Caller holds clk->lock. */
static void refresh(sb_clock *clk)
{
    if (clk->path == NULL)
        return;
    struct stat st;
    if (stat(clk->path, &st) != 0) {
        if (clk->seen.present) {
            memset(&clk->seen, 0, sizeof(clk->seen));
            state_real_time(&clk->state);
        }
        return;
    }
    file_id now = id_of(&st);
    if (id_equal(&now, &clk->seen))
        return;
    int fd = open(clk->path, O_RDONLY | O_CLOEXEC);
    if (fd < 0)
        return;
    load_file(clk, fd);
    close(fd);
}

ct_status sb_clock_open(const char *path, sb_clock **out)
{
    sb_clock *clk = ct_calloc(1, sizeof(*clk));
    if (clk == NULL)
        return CT_NOMEM;
    if (path != NULL) {
        clk->path = ct_strdup(path);
        if (clk->path == NULL) {
            ct_free(clk);
            return CT_NOMEM;
        }
    }
    pthread_mutex_init(&clk->lock, NULL);
    state_real_time(&clk->state);
    *out = clk;
    return CT_OK;
}

void sb_clock_close(sb_clock *clk)
{
    if (clk == NULL)
        return;
    pthread_mutex_destroy(&clk->lock);
    ct_free(clk->path);
    ct_free(clk);
}

int64_t sb_clock_now_ms(sb_clock *clk)
{
    pthread_mutex_lock(&clk->lock);
    refresh(clk);
    int64_t now = state_now_ms(&clk->state, real_now_ms());
    pthread_mutex_unlock(&clk->lock);
    return now;
}

int64_t sb_clock_now(sb_clock *clk)
{
    int64_t ms = sb_clock_now_ms(clk);
    return ms >= 0 ? ms / 1000 : -((-ms + 999) / 1000);
}

void sb_clock_info_get(sb_clock *clk, sb_clock_info *out)
{
    pthread_mutex_lock(&clk->lock);
    refresh(clk);
    out->now_ms = state_now_ms(&clk->state, real_now_ms());
    out->speed = clk->state.speed;
    out->real_epoch_ms = clk->state.real_epoch_ms;
    out->world_epoch_ms = clk->state.world_epoch_ms;
    out->from_file = clk->state.from_file;
    out->path = clk->path;
    pthread_mutex_unlock(&clk->lock);
}

/* ---- writing ---- */

static int timespec_after(const struct timespec *a, const struct timespec *b)
{
    return a->tv_sec > b->tv_sec || (a->tv_sec == b->tv_sec && a->tv_nsec > b->tv_nsec);
}

/* Makes the new version's mtime strictly later than the current file's (see clock.h). */
static void bump_mtime(int fd, const char *path)
{
    struct stat cur, mine;
    if (stat(path, &cur) != 0 || fstat(fd, &mine) != 0 ||
        timespec_after(&mine.st_mtim, &cur.st_mtim))
        return;
    struct timespec times[2] = {{.tv_nsec = UTIME_OMIT}, cur.st_mtim};
    if (++times[1].tv_nsec == 1000000000L) {
        times[1].tv_sec++;
        times[1].tv_nsec = 0;
    }
    futimens(fd, times);
}

static char *state_text(const clock_state *s)
{
    json_t *j = json_pack("{s:i, s:I, s:I, s:f}", "version", 1, "real_epoch_ms",
                          (json_int_t)s->real_epoch_ms, "world_epoch_ms",
                          (json_int_t)s->world_epoch_ms, "speed", s->speed);
    char *text =
        j ? json_dumps(j, JSON_COMPACT | JSON_PRESERVE_ORDER | JSON_REAL_PRECISION(17)) : NULL;
    json_decref(j);
    return text;
}

/* What replace_file hands to its writer, and what the writer found. */
typedef struct clock_write {
    const char *path;
    const char *text;
    struct stat st; /* OUT: the new file's identity, as written */
} clock_write;

/* The ct_file_writer of the clock file: the text, a modification time after the current
 * file's, then the identity the readers will see. */
static ct_status write_clock(int fd, void *ctx)
{
    clock_write *w = ctx;
    if (ct_file_write_all(fd, w->text, strlen(w->text)) || ct_file_write_all(fd, "\n", 1))
        return CT_IO;
    bump_mtime(fd, w->path);
    return fstat(fd, &w->st) == 0 ? CT_OK : CT_IO;
}

/* Replaces the file (base/fileutil.h: temporary file, fsync, rename) and records it as the
 * cached version. Caller holds clk->lock and the writers' flock. */
static ct_status replace_file(sb_clock *clk, const clock_state *s, const char *text)
{
    clock_write w = {clk->path, text, {0}};
    ct_status rc = ct_file_replace(clk->path, write_clock, &w);
    if (rc)
        return rc;
    clk->seen = id_of(&w.st);
    clk->state = *s;
    return CT_OK;
}

static ct_status write_state(sb_clock *clk, const clock_state *s)
{
    if (clk->path == NULL) {
        clk->state = *s;
        return CT_OK;
    }
    char lockpath[1200];
    snprintf(lockpath, sizeof(lockpath), "%s.lock", clk->path);
    char *text = state_text(s);
    if (text == NULL)
        return CT_NOMEM;
    ct_status rc = CT_IO;
    int lockfd = -1;
    if (sb_daemon_make_parent_dir(clk->path) != CT_OK)
        goto cleanup;
    lockfd = open(lockpath, O_RDWR | O_CREAT | O_CLOEXEC, 0644);
    if (lockfd < 0 || flock(lockfd, LOCK_EX) != 0)
        goto cleanup;
    rc = replace_file(clk, s, text);
cleanup:
    if (lockfd >= 0)
        close(lockfd); /* releases the flock */
    free(text);
    return rc;
}

ct_status sb_clock_set(sb_clock *clk, int64_t world_now_ms, double speed)
{
    if (!speed_valid(speed) || world_now_ms < 0 || world_now_ms > MAX_WORLD_MS)
        return CT_INVALID;
    clock_state s = {.real_epoch_ms = real_now_ms(),
                     .world_epoch_ms = world_now_ms,
                     .speed = speed,
                     .from_file = clk->path != NULL};
    pthread_mutex_lock(&clk->lock);
    ct_status rc = write_state(clk, &s);
    pthread_mutex_unlock(&clk->lock);
    return rc;
}

ct_status sb_clock_set_speed(sb_clock *clk, double speed)
{
    if (!speed_valid(speed))
        return CT_INVALID;
    pthread_mutex_lock(&clk->lock);
    refresh(clk);
    int64_t real = real_now_ms();
    clock_state s = {.real_epoch_ms = real,
                     .world_epoch_ms = state_now_ms(&clk->state, real),
                     .speed = speed,
                     .from_file = clk->path != NULL};
    ct_status rc = write_state(clk, &s);
    pthread_mutex_unlock(&clk->lock);
    return rc;
}

ct_status sb_clock_reset(sb_clock *clk)
{
    ct_status rc = CT_OK;
    pthread_mutex_lock(&clk->lock);
    if (clk->path != NULL && unlink(clk->path) != 0 && errno != ENOENT)
        rc = CT_IO;
    if (rc == CT_OK) {
        memset(&clk->seen, 0, sizeof(clk->seen));
        state_real_time(&clk->state);
    }
    pthread_mutex_unlock(&clk->lock);
    return rc;
}

/* ---- HTTP admin endpoints ---- */

static json_t *info_json(sb_clock *clk)
{
    sb_clock_info info;
    sb_clock_info_get(clk, &info);
    char now[32];
    ct_utc_format(info.now_ms >= 0 ? info.now_ms / 1000 : 0, now, sizeof(now));
    const char *source = info.from_file ? "file" : (info.path ? "real-time" : "local");
    return json_pack("{s:s, s:I, s:f, s:s, s:s?, s:I, s:I}", "now", now, "now_ms",
                     (json_int_t)info.now_ms, "speed", info.speed, "source", source, "file",
                     info.path, "real_epoch_ms", (json_int_t)info.real_epoch_ms, "world_epoch_ms",
                     (json_int_t)info.world_epoch_ms);
}

static void clock_get(ct_http_req *req, void *ctx)
{
    ct_http_reply_json(req, 200, info_json(ctx));
}

/* Validates a PUT body; on failure replies 400 naming the field and returns CT_INVALID. */
static ct_status parse_put(ct_http_req *req, json_t *body, int64_t *now_ms, double *speed)
{
    const char *key;
    json_t *value;
    if (!json_is_object(body)) {
        ct_http_problem_field(req, "body", "expected a JSON object with now and/or speed");
        return CT_INVALID;
    }
    json_object_foreach(body, key, value)
    {
        if (strcmp(key, "now") != 0 && strcmp(key, "speed") != 0) {
            ct_http_problem_field(req, key, "unknown field (expected now, speed)");
            return CT_INVALID;
        }
    }
    json_t *now = json_object_get(body, "now");
    ct_utc t = 0;
    if (now != NULL && (!json_is_string(now) || ct_utc_parse(json_string_value(now), &t) || t < 0 ||
                        t * 1000 > MAX_WORLD_MS)) {
        ct_http_problem_field(req, "now",
                              "expected an ISO 8601 instant such as "
                              "2026-03-01T08:00:00Z, in years 1970-9999");
        return CT_INVALID;
    }
    json_t *sp = json_object_get(body, "speed");
    if (sp != NULL && (!json_is_number(sp) || !speed_valid(json_number_value(sp)))) {
        ct_http_problem_field(req, "speed", "expected a number from 0 (stopped) to 1000000");
        return CT_INVALID;
    }
    *now_ms = now ? (int64_t)t * 1000 : -1;
    *speed = sp ? json_number_value(sp) : -1.0;
    return CT_OK;
}

static void clock_put(ct_http_req *req, void *ctx)
{
    sb_clock *clk = ctx;
    size_t len = 0;
    const char *text = ct_http_body(req, &len);
    json_t *body = json_loadb(text, len, 0, NULL);
    int64_t now_ms = -1;
    double speed = -1.0;
    if (body == NULL)
        ct_http_problem_field(req, "body", "not valid JSON");
    else if (parse_put(req, body, &now_ms, &speed) == CT_OK) {
        ct_status rc = CT_OK;
        if (now_ms >= 0) {
            sb_clock_info info;
            sb_clock_info_get(clk, &info);
            rc = sb_clock_set(clk, now_ms, speed >= 0 ? speed : info.speed);
        } else if (speed >= 0) {
            rc = sb_clock_set_speed(clk, speed);
        }
        if (rc)
            ct_http_problem(req, 500, "Clock not set", "the clock file could not be written");
        else
            ct_http_reply_json(req, 200, info_json(clk));
    }
    json_decref(body);
}

ct_status sb_clock_register(ct_router *router, sb_clock *clk)
{
    ct_status rc = ct_router_add(router, "GET", "/admin/clock", clock_get, clk);
    if (rc == CT_OK)
        rc = ct_router_add(router, "PUT", "/admin/clock", clock_put, clk);
    return rc;
}

/* ---- the `clock` subcommand ---- */

static void print_info(sb_clock *clk)
{
    json_t *j = info_json(clk);
    char *text = j ? json_dumps(j, JSON_INDENT(2) | JSON_PRESERVE_ORDER) : NULL;
    if (text != NULL)
        printf("%s\n", text);
    free(text);
    json_decref(j);
}

/* `clock set`: --at ISO8601 (or "now" for the real time) and/or --speed X. */
static int clock_set_cmd(const ct_config *cfg, sb_clock *clk)
{
    const char *at = ct_config_get(cfg, "at", NULL);
    const char *sp = ct_config_get(cfg, "speed", NULL);
    char *end = NULL;
    double speed = sp ? strtod(sp, &end) : -1.0;
    ct_utc t = 0;
    if ((at == NULL && sp == NULL) || (sp != NULL && (*end != '\0' || !speed_valid(speed))) ||
        (at != NULL && strcmp(at, "now") != 0 && ct_utc_parse(at, &t) != CT_OK)) {
        fprintf(stderr, "contrail-sandbox: usage: clock set [--at ISO8601|now] [--speed 0-%.0f]\n",
                SB_CLOCK_MAX_SPEED);
        return 2;
    }
    ct_status rc;
    if (at != NULL) {
        sb_clock_info info;
        sb_clock_info_get(clk, &info);
        int64_t ms = strcmp(at, "now") == 0 ? real_now_ms() : (int64_t)t * 1000;
        rc = sb_clock_set(clk, ms, sp ? speed : info.speed);
    } else {
        rc = sb_clock_set_speed(clk, speed);
    }
    if (rc) {
        fprintf(stderr, "contrail-sandbox: cannot set the clock (%s)\n", ct_status_name(rc));
        return rc == CT_INVALID ? 2 : 1;
    }
    print_info(clk);
    return 0;
}

int sb_clock_main(const ct_config *cfg)
{
    const char *path = ct_config_get(cfg, "clock", SB_CLOCK_DEFAULT_PATH);
    const char *action = ct_config_positional(cfg, 1);
    sb_clock *clk = NULL;
    if (sb_clock_open(path, &clk) != CT_OK)
        return 1;
    int code = 0;
    if (action == NULL || strcmp(action, "show") == 0) {
        print_info(clk);
    } else if (strcmp(action, "set") == 0) {
        code = clock_set_cmd(cfg, clk);
    } else if (strcmp(action, "reset") == 0) {
        code = sb_clock_reset(clk) == CT_OK ? 0 : 1;
        if (code == 0)
            print_info(clk);
    } else {
        fprintf(stderr, "contrail-sandbox: usage: clock [show|set|reset] [--clock PATH]\n");
        code = 2;
    }
    sb_clock_close(clk);
    return code;
}
