/* main.c: the `contrail` command: serve, migrate, import, version.
 *
 * Every subcommand reads configuration through base/config.h (flags over CONTRAIL_* over the
 * --config file). `serve` opens the store, applies migrations, imports the reference data
 * when the database has none, loads the snapshot, starts the HTTP server and waits for
 * SIGINT/SIGTERM, then drains in-flight requests and exits 0. */
#define _GNU_SOURCE
#include <errno.h>
#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <fcntl.h>
#include <sodium.h>
#include <sys/prctl.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "api/api.h"
#include "api/search_cache.h"
#include "base/alloc.h"
#include "base/config.h"
#include "base/log.h"
#include "events/bus.h"
#include "fares/pricebook.h"
#include "ingest/ingest.h"
#include "refdata/refdata.h"
#include "store/migrate.h"
#include "store/store.h"
#include "timetable/ssim.h"
#include "timetable/timetable.h"

#include <curl/curl.h>
#include <dirent.h>
#include <jansson.h>

#define CONTRAIL_VERSION "0.1.0"
#define DEFAULT_DB       "sqlite:var/contrail.db"
#define DEFAULT_REFDATA  "data/node_modules"
#define DEFAULT_WEB      "web/dist"

static void usage(FILE *out)
{
    fprintf(out,
            "usage: contrail <command> [--flag value ...]\n"
            "\n"
            "commands:\n"
            "  serve            run the platform (HTTP API + web app)\n"
            "  migrate          apply database migrations\n"
            "  import refdata   import airports, airlines, countries, currencies\n"
            "  import ssim F... check SSIM schedule files and add them to the schedules\n"
            "  sandbox ...      run the simulated outside world (contrail-sandbox help)\n"
            "  version          print the version\n"
            "\n"
            "flags (or CONTRAIL_<NAME> in the environment, or `name = value` in --config):\n"
            "  --db URL           sqlite:PATH or postgres://... (default %s)\n"
            "  --host ADDR        bind address (default 127.0.0.1)\n"
            "  --port N           port, 0 = any free one (default 8080)\n"
            "  --threads N        HTTP worker threads (default 2)\n"
            "  --web-dir DIR      built web app (default %s)\n"
            "  --refdata-dir DIR  data packages, a node_modules (default %s)\n"
            "  --port-file PATH   write the bound port there once listening\n"
            "  --log-level L      debug, info, warn, error, off (default info)\n"
            "  --access-log B     true/false (default true)\n"
            "  --sandbox B        serve: also run the sandbox world beside it (default false)\n"
            "  --schedules-dir D  SSIM files searched by serve (default var/schedules)\n"
            "  --timetable-cache F  built timetable cache, \"\" = none (default\n"
            "                     var/cache/timetable.bin)\n"
            "  --smtp-url URL     SMTP server for account e-mails, e.g. smtp://127.0.0.1:2525\n"
            "  --jwt-secret S     HS256 key (default: var/secrets/jwt.key, made on first start)\n"
            "  --rate-limit-ip N  requests a minute per client IP, 0 = off (default 1200)\n"
            "  --sandbox-dir DIR  where the sandbox keeps its files (default var/sandbox)\n"
            "  --ingest-interval N  seconds between incremental provider feed syncs (60)\n"
            "  --ingest-days N    availability horizon in days from today (0: the timetable's)\n"
            "  --search-cache N   search answers kept in memory (4096; 0 = none)\n"
            "  --price-history H  price_observation rows: changes (default), all (first prices\n"
            "                     too: tens of millions on the default world), false\n"
            "  --pricebook-cache F  saved prices + feed state (F.state.json), \"\" = none\n"
            "                     (default var/cache/pricebook.bin)\n",
            DEFAULT_DB, DEFAULT_WEB, DEFAULT_REFDATA);
}

/* Creates the directory of a sqlite:PATH database when missing (var/ on a fresh clone). */
static void ensure_db_dir(const char *url)
{
    const char *path = strncmp(url, "sqlite:", 7) == 0 ? url + 7 : NULL;
    const char *slash = path ? strrchr(path, '/') : NULL;
    if (slash == NULL || slash == path)
        return;
    char dir[1024];
    snprintf(dir, sizeof(dir), "%.*s", (int)(slash - path), path);
    if (mkdir(dir, 0755) != 0 && errno != EEXIST)
        fprintf(stderr, "contrail: cannot create %s: %s\n", dir, strerror(errno));
}

static ct_status open_migrated(const ct_config *cfg, ct_store **out)
{
    const char *url = ct_config_get(cfg, "db", DEFAULT_DB);
    ensure_db_dir(url);
    char err[512];
    ct_status rc = ct_store_open(url, out, err, sizeof(err));
    if (rc) {
        fprintf(stderr, "contrail: %s\n", err);
        return rc;
    }
    int applied = 0;
    rc = ct_store_migrate(*out, &applied);
    if (rc) {
        fprintf(stderr, "contrail: migration failed: %s\n", ct_store_errmsg(*out));
        ct_store_close(*out);
        *out = NULL;
    }
    return rc;
}

static int run_import(ct_store *st, const ct_config *cfg)
{
    const char *dir = ct_config_get(cfg, "refdata_dir", DEFAULT_REFDATA);
    ct_import_report *r = calloc(1, sizeof(*r));
    if (r == NULL)
        return 1;
    ct_status rc = ct_refdata_import(st, dir, r);
    for (int i = 0; i < r->nerrors; i++)
        fprintf(stderr, "%s\n", r->errors[i]);
    if (r->rejected > r->nerrors)
        fprintf(stderr, "... and %d more rejected records\n", r->rejected - r->nerrors);
    if (rc)
        fprintf(stderr, "contrail: import failed (%s); nothing was written\n", ct_status_name(rc));
    else
        fprintf(stderr,
                "imported %d countries, %d currencies, %d metro areas, %d airports (time zone by"
                " IATA %d, ICAO %d, nearest %d, country %d), %d airlines; %d records rejected\n",
                r->countries, r->currencies, r->metros, r->airports, r->tz_by_iata, r->tz_by_icao,
                r->tz_by_nearest, r->tz_by_country, r->airlines, r->rejected);
    free(r);
    return rc ? 1 : 0;
}

static int cmd_migrate(const ct_config *cfg)
{
    ct_store *st = NULL;
    if (open_migrated(cfg, &st))
        return 1;
    int version = 0;
    ct_store_schema_version(st, &version);
    printf("schema version %d (%s)\n", version, ct_store_engine(st));
    ct_store_close(st);
    return 0;
}

static void print_ssim_diag(void *ctx, const ct_ssim_diag *d)
{
    (void)ctx;
    fprintf(stderr, "%s\n", d->text);
}

/* `import ssim FILE...`: reads each file (reporting bad records with file, line and column;
 * good records are kept) and copies it into the schedules directory, where `serve` finds it.
 * A file that cannot be read, or has no valid flight leg, is not imported. */
static int import_ssim(const ct_config *cfg)
{
    const char *dir = ct_config_get(cfg, "schedules_dir", "var/schedules");
    mkdir("var", 0755);
    if (mkdir(dir, 0755) != 0 && errno != EEXIST) {
        fprintf(stderr, "contrail: cannot create %s: %s\n", dir, strerror(errno));
        return 1;
    }
    int failed = 0;
    for (size_t i = 2; i < ct_config_npositional(cfg); i++) {
        const char *path = ct_config_positional(cfg, i);
        ct_ssim_options opt = {0};
        opt.on_diag = print_ssim_diag;
        ct_ssim_reader *r = NULL;
        if (ct_ssim_open(path, &opt, &r) != CT_OK) {
            fprintf(stderr, "%s: cannot open: %s\n", path, strerror(errno));
            failed++;
            continue;
        }
        const ct_ssim_leg *leg;
        ct_status rc;
        while ((rc = ct_ssim_next(r, &leg)) == CT_ROW)
            ;
        const ct_ssim_report *rep = ct_ssim_get_report(r);
        size_t legs = rep->legs, rejected = rep->rejected;
        ct_ssim_close(r);
        if (rc != CT_DONE || legs == 0) {
            fprintf(stderr, "%s: not imported (%s)\n", path,
                    rc != CT_DONE ? "read error" : "no valid flight leg");
            failed++;
            continue;
        }
        const char *base = strrchr(path, '/') ? strrchr(path, '/') + 1 : path;
        char dst[1024], tmp[1100], cmd[3000];
        snprintf(dst, sizeof(dst), "%s/%s", dir, base);
        snprintf(tmp, sizeof(tmp), "%s.tmp", dst);
        snprintf(cmd, sizeof(cmd), "cp -- '%s' '%s'", path, tmp);
        if (strchr(path, '\'') != NULL || system(cmd) != 0 || rename(tmp, dst) != 0) {
            fprintf(stderr, "%s: cannot copy into %s\n", path, dir);
            failed++;
            continue;
        }
        printf("%s: %zu flight legs imported, %zu records rejected\n", path, legs, rejected);
    }
    return failed ? 1 : 0;
}

static int cmd_import(const ct_config *cfg)
{
    const char *what = ct_config_positional(cfg, 1);
    if (what != NULL && strcmp(what, "ssim") == 0 && ct_config_npositional(cfg) > 2)
        return import_ssim(cfg);
    if (what == NULL || strcmp(what, "refdata") != 0) {
        fprintf(stderr, "contrail: usage: contrail import refdata [--refdata-dir DIR]\n"
                        "       contrail import ssim FILE...\n");
        return 2;
    }
    ct_store *st = NULL;
    if (open_migrated(cfg, &st))
        return 1;
    int code = run_import(st, cfg);
    ct_store_close(st);
    return code;
}

/* The path of contrail-sandbox, installed beside this executable. */
static int sandbox_program(char *out, size_t len)
{
    ssize_t n = readlink("/proc/self/exe", out, len - 1);
    if (n <= 0)
        return -1;
    out[n] = '\0';
    char *slash = strrchr(out, '/');
    if (slash == NULL || (size_t)(slash - out) + sizeof("/contrail-sandbox") > len)
        return -1;
    strcpy(slash, "/contrail-sandbox");
    return access(out, X_OK);
}

/* Starts `contrail-sandbox world` as a child that dies with us; returns its pid or -1. The
 * platform talks to the world only over the network, like to any partner: it runs the
 * program, never links it. */
static pid_t start_sandbox(const ct_config *cfg)
{
    static char prog[1024], dir[1100], seed[64], size[64], refdata[1100];
    if (sandbox_program(prog, sizeof(prog)) != 0) {
        fprintf(stderr, "contrail: contrail-sandbox not found beside this program\n");
        return -1;
    }
    snprintf(dir, sizeof(dir), "--dir=%s", ct_config_get(cfg, "sandbox_dir", "var/sandbox"));
    snprintf(seed, sizeof(seed), "--seed=%s", ct_config_get(cfg, "sandbox_seed", "42"));
    snprintf(size, sizeof(size), "--size=%s", ct_config_get(cfg, "sandbox_size", "default"));
    snprintf(refdata, sizeof(refdata), "--refdata-dir=%s",
             ct_config_get(cfg, "refdata_dir", DEFAULT_REFDATA));
    static char smtp[64];
    snprintf(smtp, sizeof(smtp), "--smtp-port=%s", ct_config_get(cfg, "sandbox_smtp_port", "2525"));
    char *argv[] = {prog, "world", dir, seed, size, refdata, smtp, NULL};
    /* A world.json left by an earlier run must not be mistaken for this world's. */
    char stale[1200];
    snprintf(stale, sizeof(stale), "%s/world.json",
             ct_config_get(cfg, "sandbox_dir", "var/sandbox"));
    unlink(stale);
    pid_t parent = getpid();
    pid_t pid = fork();
    if (pid == 0) {
        setpgid(0, 0); /* a terminal Ctrl-C reaches us; we stop the world in order */
        prctl(PR_SET_PDEATHSIG, SIGTERM);
        if (getppid() != parent)
            _exit(1);
        sigset_t none;
        sigemptyset(&none);
        pthread_sigmask(SIG_SETMASK, &none, NULL);
        execv(prog, argv);
        _exit(127);
    }
    return pid;
}

static void stop_sandbox(pid_t pid)
{
    if (pid <= 0)
        return;
    kill(pid, SIGTERM);
    for (int i = 0; i < 200; i++) { /* 10 s */
        if (waitpid(pid, NULL, WNOHANG) == pid)
            return;
        struct timespec ts = {0, 50 * 1000 * 1000};
        nanosleep(&ts, NULL);
    }
    kill(pid, SIGKILL);
    waitpid(pid, NULL, 0);
}

/* `contrail sandbox ARGS...` runs `contrail-sandbox ARGS...` in this process's place. */
static int cmd_sandbox(int argc, char **argv)
{
    char prog[1024];
    if (sandbox_program(prog, sizeof(prog)) != 0) {
        fprintf(stderr, "contrail: contrail-sandbox not found beside this program\n");
        return 1;
    }
    argv[1] = prog;
    execv(prog, argv + 1);
    fprintf(stderr, "contrail: cannot run %s: %s\n", prog, strerror(errno));
    (void)argc;
    return 1;
}

/* Reads the JWT secret from --jwt-secret / CONTRAIL_JWT_SECRET, else from (or into) the
 * file var/secrets/jwt.key, created with 48 random bytes and mode 0600 on first start. */
static int load_jwt_secret(const ct_config *cfg, char *out, size_t len)
{
    const char *s = ct_config_get(cfg, "jwt_secret", NULL);
    if (s != NULL) {
        snprintf(out, len, "%s", s);
        return strlen(out) >= 32 ? 0 : -1;
    }
    const char *path = ct_config_get(cfg, "jwt_secret_file", "var/secrets/jwt.key");
    FILE *f = fopen(path, "r");
    if (f != NULL) {
        int ok = fgets(out, (int)len, f) != NULL;
        fclose(f);
        out[strcspn(out, "\r\n")] = '\0';
        return ok && strlen(out) >= 32 ? 0 : -1;
    }
    char dir[1024];
    snprintf(dir, sizeof(dir), "%s", path);
    char *slash = strrchr(dir, '/');
    if (slash != NULL) {
        *slash = '\0';
        mkdir(dir, 0700);
    }
    unsigned char raw[48];
    randombytes_buf(raw, sizeof(raw));
    sodium_bin2base64(out, len, raw, sizeof(raw), sodium_base64_VARIANT_URLSAFE_NO_PADDING);
    int fd = open(path, O_WRONLY | O_CREAT | O_EXCL, 0600);
    if (fd < 0)
        return -1;
    int ok = write(fd, out, strlen(out)) == (ssize_t)strlen(out);
    close(fd);
    return ok ? 0 : -1;
}

/* ---- schedules: SSIM files -> the timetable searches read ---- */

typedef struct schedule_loader {
    ct_app *app;
    char dirs[2][1024]; /* the operator's schedules, and the sandbox world's SSIM (or "") */
    int wait_for_world; /* 1: read the sandbox's world.json first (it appears after start) */
    char world_json[1100];
    int days;
    char cache[1024];     /* the timetable cache file, "" = no cache */
    atomic_int stop;      /* set at shutdown: stop waiting for the world */
    ct_timetable *loaded; /* owned; freed at exit */
    /* Prices: the world's providers (from world.json), fed into a pricebook over the
     * loaded timetable by the ingest thread. All owned; freed at exit after ct_ingest_free. */
    ct_ingest_config ingest_cfg;
    int ingest_days; /* availability horizon from today; 0: the whole timetable */
    ct_pricebook *pricebook;
    ct_ingest *ingest;
    ct_bus *bus;
    /* The pricebook file ("" = off) and the feeds' state beside it (PATH.state.json):
     * loaded before ingestion starts, saved by the ingest thread (after the first complete
     * sync, then at most every SAVE_EVERY_S) and at shutdown. */
    char pb_cache[1024];
    char pb_state[1100];
    int pb_loaded;     /* the file was loaded: it is worth saving at shutdown */
    int saved_full;    /* saved since every provider completed a sync */
    int64_t last_save; /* monotonic seconds of the last save */
} schedule_loader;

#define SAVE_EVERY_S 300

static int64_t mono_s(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (int64_t)ts.tv_sec;
}

/* The pricebook, then the state (never newer than the book: see ingest.h). */
static void save_prices(schedule_loader *l)
{
    struct timespec t0, t1;
    clock_gettime(CLOCK_MONOTONIC, &t0);
    ct_status rc = ct_pricebook_save(l->pricebook, l->pb_cache);
    if (!rc)
        rc = ct_ingest_save_state(l->ingest, l->pb_state);
    clock_gettime(CLOCK_MONOTONIC, &t1);
    char secs[32];
    snprintf(secs, sizeof(secs), "%.3f",
             (double)(t1.tv_sec - t0.tv_sec) + (double)(t1.tv_nsec - t0.tv_nsec) / 1e9);
    ct_log(rc ? CT_LOG_WARN : CT_LOG_INFO, rc ? "prices.not_saved" : "prices.saved", "path",
           l->pb_cache, "seconds", secs, "error", ct_status_name(rc), NULL);
    l->last_save = mono_s();
}

/* The ingest thread, after each sync. */
static void on_synced(void *ctx, ct_ingest *ing, ct_status rc)
{
    schedule_loader *l = ctx;
    ct_ingest_stats st[CT_MAX_PROVIDERS];
    int n = ct_ingest_stats_get(ing, st, CT_MAX_PROVIDERS), all = n > 0;
    for (int i = 0; i < n; i++)
        all = all && st[i].full_done;
    if (rc == CT_OK && all && (!l->saved_full || mono_s() - l->last_save >= SAVE_EVERY_S)) {
        save_prices(l);
        l->saved_full = 1;
    }
}

/* Loads the pricebook file and, with it, the feeds' state; publishes the prices at once. */
static void load_prices(schedule_loader *l)
{
    snprintf(l->pb_state, sizeof(l->pb_state), "%s.state.json", l->pb_cache);
    ct_status rc = ct_pricebook_load(l->pricebook, l->pb_cache, &l->pb_loaded);
    int resumed = 0;
    ct_status src = l->pb_loaded ? ct_ingest_load_state(l->ingest, l->pb_state, &resumed) : rc;
    char n[16];
    snprintf(n, sizeof(n), "%d", resumed);
    ct_log(CT_LOG_INFO, "prices.cache", "path", l->pb_cache, "result",
           l->pb_loaded ? "hit" : "miss", "error", ct_status_name(rc), "state", ct_status_name(src),
           "providers_resumed", n, NULL);
    if (l->pb_loaded)
        atomic_store(&l->app->pricebook, l->pricebook);
}

/* The providers listed in world.json ({"providers":[{"name","url"}]}) whose dialect is
 * known, into the ingest configuration. */
static void read_providers(schedule_loader *l, json_t *doc)
{
    json_t *list = json_object_get(doc, "providers"), *x;
    size_t i;
    json_array_foreach(list, i, x)
    {
        const char *name = json_string_value(json_object_get(x, "name"));
        const char *url = json_string_value(json_object_get(x, "url"));
        int dialect = ct_ingest_dialect_of(name);
        if (url == NULL || dialect < 0 || l->ingest_cfg.nproviders >= CT_MAX_PROVIDERS)
            continue;
        ct_ingest_provider_cfg *p = &l->ingest_cfg.providers[l->ingest_cfg.nproviders++];
        snprintf(p->name, sizeof(p->name), "%s", name);
        snprintf(p->base_url, sizeof(p->base_url), "%s", url);
        p->dialect = (ct_ingest_dialect)dialect;
    }
}

/* The pricebook over the loaded timetable, published to the API, and the ingest thread. */
static void start_prices(schedule_loader *l)
{
    if (l->ingest_cfg.nproviders == 0 || atomic_load(&l->stop))
        return;
    if (ct_pricebook_new(l->loaded, &l->pricebook) != CT_OK || ct_bus_new(&l->bus) != CT_OK) {
        ct_log(CT_LOG_ERROR, "prices.failed", "error", "out of memory", NULL);
        return;
    }
    l->ingest_cfg.bus = l->bus;
    if (l->ingest_days > 0) {
        int64_t today = (int64_t)(time(NULL) / 86400);
        l->ingest_cfg.from_day = today;
        l->ingest_cfg.to_day = today + l->ingest_days - 1;
    }
    if (l->pb_cache[0]) {
        l->ingest_cfg.on_sync = on_synced;
        l->ingest_cfg.on_sync_ctx = l;
    }
    if (ct_ingest_new(l->pricebook, &l->ingest_cfg, &l->ingest) != CT_OK) {
        ct_log(CT_LOG_ERROR, "prices.failed", "error", "cannot start ingestion", NULL);
        return;
    }
    if (l->pb_cache[0])
        load_prices(l);
    if (ct_ingest_start(l->ingest) != CT_OK) {
        ct_log(CT_LOG_ERROR, "prices.failed", "error", "cannot start ingestion", NULL);
        return;
    }
    atomic_store(&l->app->pricebook, l->pricebook);
    atomic_store(&l->app->ingest, l->ingest);
    char n[16];
    snprintf(n, sizeof(n), "%d", l->ingest_cfg.nproviders);
    ct_log(CT_LOG_INFO, "prices.ingesting", "providers", n, NULL);
}

/* Stops ingestion before the pricebook and the timetable it reads go away. */
static void stop_prices(schedule_loader *l)
{
    if (l->app != NULL) {
        atomic_store(&l->app->pricebook, NULL);
        atomic_store(&l->app->ingest, NULL);
    }
    ct_ingest_stop(l->ingest);
    ct_ingest_stats st;
    if (l->ingest != NULL && l->pb_cache[0] &&
        (l->pb_loaded || (ct_ingest_stats_get(l->ingest, &st, 1) == 1 && st.full_done)))
        save_prices(l);
    ct_ingest_free(l->ingest);
    ct_pricebook_free(l->pricebook);
    ct_bus_free(l->bus);
    l->ingest = NULL;
    l->pricebook = NULL;
    l->bus = NULL;
}

static int add_ssim_files(const char *dir, char ***paths, size_t *n)
{
    DIR *d = opendir(dir);
    if (d == NULL)
        return 0;
    struct dirent *e;
    while ((e = readdir(d)) != NULL) {
        size_t len = strlen(e->d_name);
        if (len < 6 || strcmp(e->d_name + len - 5, ".ssim") != 0)
            continue;
        char **grown = realloc(*paths, (*n + 1) * sizeof(char *));
        if (grown == NULL)
            break;
        *paths = grown;
        size_t need = strlen(dir) + len + 2;
        (*paths)[*n] = malloc(need);
        if ((*paths)[*n] == NULL)
            break;
        snprintf((*paths)[*n], need, "%s/%s", dir, e->d_name);
        (*n)++;
    }
    closedir(d);
    return 0;
}

static void *load_schedules(void *arg)
{
    schedule_loader *l = arg;
    if (l->wait_for_world) {
        json_t *doc = NULL;
        for (int i = 0; i < 1200 && doc == NULL && !atomic_load(&l->stop); i++) { /* 2 min */
            struct timespec ts = {0, 100 * 1000 * 1000};
            nanosleep(&ts, NULL);
            doc = json_load_file(l->world_json, 0, NULL);
        }
        const char *ssim = doc ? json_string_value(json_object_get(doc, "ssim_dir")) : NULL;
        snprintf(l->dirs[1], sizeof(l->dirs[1]), "%s", ssim ? ssim : "");
        if (doc != NULL)
            read_providers(l, doc);
        json_decref(doc);
    }
    char **paths = NULL;
    size_t n = 0;
    for (int i = 0; i < 2; i++) {
        if (l->dirs[i][0])
            add_ssim_files(l->dirs[i], &paths, &n);
    }
    if (n > 0) {
        /* The cache (timetable.h) when it matches these files; else a build, published
         * first and saved for the next start after. */
        const char *const *files_in = (const char *const *)paths;
        int64_t today = ct_utc_now() / 86400, last = today + l->days - 1;
        size_t bad = 0;
        int hit = ct_timetable_open_cache(l->app->refdata, files_in, n, today, last, l->cache,
                                          &l->loaded) == CT_OK;
        if (!hit && l->cache[0])
            last += CT_TIMETABLE_CACHE_SLACK_DAYS;
        if (hit || ct_timetable_load(l->app->refdata, files_in, n, today, last, &l->loaded, &bad) ==
                       CT_OK) {
            atomic_store(&l->app->timetable, l->loaded);
            char legs[32], files[32];
            snprintf(legs, sizeof(legs), "%zu", l->loaded->nlegs);
            snprintf(files, sizeof(files), "%zu", n);
            ct_log(CT_LOG_INFO, "schedules.loaded", "files", files, "dated_legs", legs, "cache",
                   !l->cache[0] ? "off"
                   : hit        ? "hit"
                                : "miss",
                   NULL);
            if (hit)
                ct_timetable_prefetch(l->loaded);
            else if (l->cache[0] && ct_timetable_save(l->loaded, l->cache) != CT_OK)
                ct_log(CT_LOG_WARN, "schedules.cache_not_saved", "path", l->cache, NULL);
            start_prices(l);
        } else {
            ct_log(CT_LOG_ERROR, "schedules.failed", NULL);
        }
    }
    for (size_t i = 0; i < n; i++)
        free(paths[i]);
    free(paths);
    return NULL;
}

/* The connection pool, accounts (JWT, mail) and rate limits of `serve`. */
static int open_services(const ct_config *cfg, int threads, ct_app *app, ct_accounts *accounts,
                         ct_mailer *mailer, int port)
{
    static char secret[256], public_url[256];
    char err[512];
    if (ct_store_pool_open(ct_config_get(cfg, "db", DEFAULT_DB), threads + 2, &app->pool, err,
                           sizeof(err)) != CT_OK) {
        fprintf(stderr, "contrail: %s\n", err);
        return -1;
    }
    if (load_jwt_secret(cfg, secret, sizeof(secret)) != 0) {
        fprintf(stderr, "contrail: no usable JWT secret (at least 32 characters)\n");
        return -1;
    }
    /* With the sandbox world, account e-mails go to its mail server. */
    static char sandbox_smtp[64];
    const char *with_sandbox = ct_config_get(cfg, "sandbox", "false");
    snprintf(sandbox_smtp, sizeof(sandbox_smtp), "smtp://127.0.0.1:%s",
             ct_config_get(cfg, "sandbox_smtp_port", "2525"));
    int sandbox_on = strcmp(with_sandbox, "true") == 0 || strcmp(with_sandbox, "1") == 0;
    mailer->smtp_url = ct_config_get(cfg, "smtp_url", sandbox_on ? sandbox_smtp : NULL);
    mailer->from = ct_config_get(cfg, "mail_from", "Contrail <no-reply@contrail.test>");
    snprintf(public_url, sizeof(public_url), "%s",
             ct_config_get(cfg, "public_url", "http://127.0.0.1"));
    if (ct_config_get(cfg, "public_url", NULL) == NULL)
        snprintf(public_url, sizeof(public_url), "http://127.0.0.1:%d", port);
    ct_accounts_config ac = {
        .jwt_secret = secret,
        .public_url = public_url,
        .mailer = mailer->smtp_url ? mailer : NULL,
    };
    if (ct_accounts_init(accounts, &ac) != CT_OK) {
        fprintf(stderr, "contrail: accounts configuration is invalid\n");
        return -1;
    }
    app->accounts = accounts;
    app->ratelimit = ct_ratelimit_create();
    char e2[256];
    long ip_rate = 0;
    if (ct_config_get_int(cfg, "rate_limit_ip", 1200, 0, 10000000, &ip_rate, e2, sizeof(e2))) {
        fprintf(stderr, "contrail: %s\n", e2);
        return -1;
    }
    app->limits.ip_per_minute = (double)ip_rate;
    return app->ratelimit ? 0 : -1;
}

static int write_port_file(const char *path, int port)
{
    char tmp[1024];
    snprintf(tmp, sizeof(tmp), "%s.tmp", path);
    FILE *f = fopen(tmp, "w");
    if (f == NULL)
        return -1;
    fprintf(f, "%d\n", port);
    if (fclose(f) != 0)
        return -1;
    return rename(tmp, path);
}

static int cmd_serve(const ct_config *cfg)
{
    char err[256];
    long port = 0, threads = 0;
    if (ct_config_get_int(cfg, "port", 8080, 0, 65535, &port, err, sizeof(err)) ||
        ct_config_get_int(cfg, "threads", 2, 1, 256, &threads, err, sizeof(err))) {
        fprintf(stderr, "contrail: %s\n", err);
        return 2;
    }
    /* Block the stop signals before any thread starts, so they all inherit the mask and the
     * main thread alone receives them in sigwait. */
    sigset_t stop;
    sigemptyset(&stop);
    sigaddset(&stop, SIGINT);
    sigaddset(&stop, SIGTERM);
    pthread_sigmask(SIG_BLOCK, &stop, NULL);
    signal(SIGPIPE, SIG_IGN);
    curl_global_init(CURL_GLOBAL_DEFAULT); /* before any thread: provider feeds, mail */

    int code = 1;
    pid_t sandbox = -1;
    static schedule_loader loader;
    pthread_t loader_thread;
    int loader_started = 0;
    ct_router *router = NULL;
    ct_http_server *server = NULL;
    ct_search_cache *search_cache = NULL;
    ct_app app = {0};
    ct_store *setup = NULL;
    ct_accounts accounts;
    ct_mailer mailer = {0};
    app.version = CONTRAIL_VERSION;
    app.limits = ct_api_default_limits();
    if (open_migrated(cfg, &setup))
        goto cleanup;
    ct_status rc = ct_refdata_load(setup, &app.refdata);
    if (rc == CT_NOT_FOUND) {
        ct_log(CT_LOG_INFO, "refdata.import", "reason", "database has no reference data", NULL);
        if (run_import(setup, cfg) != 0)
            goto cleanup;
        rc = ct_refdata_load(setup, &app.refdata);
    }
    if (rc) {
        fprintf(stderr, "contrail: cannot load reference data: %s\n", ct_status_name(rc));
        goto cleanup;
    }
    if (open_services(cfg, (int)threads, &app, &accounts, &mailer, (int)port) != 0)
        goto cleanup;
    /* Before any thread exists: fork from a single-threaded process. */
    const char *with_sandbox = ct_config_get(cfg, "sandbox", "false");
    if (strcmp(with_sandbox, "true") == 0 || strcmp(with_sandbox, "1") == 0) {
        sandbox = start_sandbox(cfg);
        if (sandbox < 0)
            goto cleanup;
        printf("Sandbox world starting: partner endpoints in %s/world.json\n",
               ct_config_get(cfg, "sandbox_dir", "var/sandbox"));
    }
    const char *web_dir = ct_config_get(cfg, "web_dir", DEFAULT_WEB);
    app.web_dir = *web_dir ? web_dir : NULL;
    long cache_slots = 4096;
    if (ct_config_get_int(cfg, "search_cache", 4096, 0, 1 << 20, &cache_slots, err, sizeof(err))) {
        fprintf(stderr, "contrail: %s\n", err);
        goto cleanup;
    }
    if (cache_slots > 0 && ct_search_cache_new((size_t)cache_slots, &search_cache) != CT_OK)
        goto cleanup;
    app.search_cache = search_cache;
    router = ct_router_create();
    if (router == NULL || ct_api_register(&app, router))
        goto cleanup;
    const char *access_log = ct_config_get(cfg, "access_log", "true");
    ct_http_options opt = {
        .host = ct_config_get(cfg, "host", "127.0.0.1"),
        .port = (int)port,
        .threads = (int)threads,
        .cors_origin = ct_config_get(cfg, "cors_origin", "*"),
        .access_log = strcmp(access_log, "false") != 0 && strcmp(access_log, "0") != 0,
    };
    rc = ct_http_server_start(&opt, router, &server);
    if (rc) {
        fprintf(stderr, "contrail: cannot listen on %s:%ld (%s)\n", opt.host, port,
                ct_status_name(rc));
        goto cleanup;
    }
    long days = 365;
    if (ct_config_get_int(cfg, "schedule_days", 365, 1, 730, &days, err, sizeof(err))) {
        fprintf(stderr, "contrail: %s\n", err);
        goto cleanup;
    }
    long interval = 60;
    if (ct_config_get_int(cfg, "ingest_interval", 60, 1, 86400, &interval, err, sizeof(err))) {
        fprintf(stderr, "contrail: %s\n", err);
        goto cleanup;
    }
    long ingest_days = 0;
    if (ct_config_get_int(cfg, "ingest_days", 0, 0, 730, &ingest_days, err, sizeof(err))) {
        fprintf(stderr, "contrail: %s\n", err);
        goto cleanup;
    }
    loader.ingest_days = (int)ingest_days;
    const char *history = ct_config_get(cfg, "price_history", "true");
    loader.ingest_cfg.interval_s = (int)interval;
    if (strcmp(history, "true") != 0 && strcmp(history, "changes") != 0 &&
        strcmp(history, "all") != 0 && strcmp(history, "false") != 0) {
        fprintf(stderr, "contrail: price_history: expected changes (or true), all or false\n");
        goto cleanup;
    }
    loader.ingest_cfg.history = strcmp(history, "false") != 0 ? app.pool : NULL;
    loader.ingest_cfg.history_first = strcmp(history, "all") == 0;
    loader.app = &app;
    loader.days = (int)days;
    snprintf(loader.cache, sizeof(loader.cache), "%s",
             ct_config_get(cfg, "timetable_cache", "var/cache/timetable.bin"));
    snprintf(loader.dirs[0], sizeof(loader.dirs[0]), "%s",
             ct_config_get(cfg, "schedules_dir", "var/schedules"));
    snprintf(loader.pb_cache, sizeof(loader.pb_cache), "%s",
             ct_config_get(cfg, "pricebook_cache", "var/cache/pricebook.bin"));
    loader.wait_for_world = sandbox > 0;
    snprintf(loader.world_json, sizeof(loader.world_json), "%s/world.json",
             ct_config_get(cfg, "sandbox_dir", "var/sandbox"));
    loader_started = pthread_create(&loader_thread, NULL, load_schedules, &loader) == 0;
    atomic_store(&app.ready, 1);
    int bound = ct_http_server_port(server);
    const char *port_file = ct_config_get(cfg, "port_file", NULL);
    if (port_file != NULL && write_port_file(port_file, bound) != 0)
        fprintf(stderr, "contrail: cannot write %s\n", port_file);
    char portstr[16];
    snprintf(portstr, sizeof(portstr), "%d", bound);
    ct_log(CT_LOG_INFO, "serve.ready", "host", opt.host, "port", portstr, "database",
           ct_store_engine(setup), NULL);
    printf("Contrail is running at http://%s:%d/  (Ctrl-C stops it)\n", opt.host, bound);
    fflush(stdout);

    int sig = 0;
    sigwait(&stop, &sig);
    ct_log(CT_LOG_INFO, "serve.stopping", "signal", sig == SIGINT ? "SIGINT" : "SIGTERM", NULL);
    atomic_store(&app.ready, 0);
    ct_http_server_stop(server);
    server = NULL;
    code = 0;
cleanup:
    stop_sandbox(sandbox);
    ct_http_server_stop(server);
    atomic_store(&loader.stop, 1);
    if (loader_started)
        pthread_join(loader_thread, NULL);
    stop_prices(&loader);
    ct_timetable_free(loader.loaded);
    ct_router_destroy(router);
    ct_api_free(&app);
    ct_search_cache_free(search_cache);
    ct_refdata_free(app.refdata);
    ct_ratelimit_destroy(app.ratelimit);
    ct_store_pool_close(app.pool);
    ct_store_close(setup);
    if (code == 0)
        ct_log(CT_LOG_INFO, "serve.stopped", NULL);
    return code;
}

int main(int argc, char **argv)
{
    ct_alloc_install_json(); /* jansson allocates through base/alloc.h */
    if (argc < 2 || strcmp(argv[1], "help") == 0 || strcmp(argv[1], "--help") == 0) {
        usage(argc < 2 ? stderr : stdout);
        return argc < 2 ? 2 : 0;
    }
    if (strcmp(argv[1], "sandbox") == 0)
        return cmd_sandbox(argc, argv);
    char err[512];
    ct_config *cfg = NULL;
    if (ct_config_load(argc, argv, 1, &cfg, err, sizeof(err))) {
        fprintf(stderr, "contrail: %s\n", err);
        return 2;
    }
    int level = ct_log_level_parse(ct_config_get(cfg, "log_level", "info"));
    if (level < 0) {
        fprintf(stderr, "contrail: log_level: expected debug, info, warn, error or off\n");
        ct_config_free(cfg);
        return 2;
    }
    ct_log_set_level((ct_log_level)level);
    const char *cmd = ct_config_positional(cfg, 0);
    int code;
    if (strcmp(cmd, "serve") == 0)
        code = cmd_serve(cfg);
    else if (strcmp(cmd, "migrate") == 0)
        code = cmd_migrate(cfg);
    else if (strcmp(cmd, "import") == 0)
        code = cmd_import(cfg);
    else if (strcmp(cmd, "version") == 0) {
        printf("contrail %s\n", CONTRAIL_VERSION);
        code = 0;
    } else {
        fprintf(stderr, "contrail: unknown command '%s'\n", cmd);
        usage(stderr);
        code = 2;
    }
    ct_config_free(cfg);
    return code;
}
