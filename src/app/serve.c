/* serve.c: `contrail serve` (see serve.h).
 *
 * ct_app_serve is a sequence of small steps over one `server` record that owns everything
 * the process opens: read the numeric flags, block the stop signals (before any thread, so
 * that the main thread alone receives them in sigwait), set up the store and reference data,
 * open the services, start the sandbox child (still single-threaded: fork; --sandbox-world
 * instead reads the world.json of a world run by someone else), start HTTP, start
 * the loader and the booking wiring (app/booking_wiring.h: providers, payments, the outbox
 * relay with the booking e-mails, recovery), wait, then close everything in reverse order in one
 * place (server_close). */
#define _GNU_SOURCE
#include "app/serve.h"

#include <curl/curl.h>
#include <errno.h>
#include <fcntl.h>
#include <math.h>
#include <pthread.h>
#include <signal.h>
#include <sodium.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "api/search_cache.h"
#include "alerts/alerts.h"
#include "app/booking_wiring.h"
#include "app/notify_wiring.h"
#include "app/sms_wiring.h"
#include "app/history_job.h"
#include "app/loader.h"
#include "app/cluster.h"
#include "app/prices_cmd.h"
#include "broker/broker.h"
#include "base/trace.h"
#include "otlp/otlp.h"
#include "store/lease.h"
#include "base/alloc.h"
#include "base/fileutil.h"
#include "base/log.h"
#include "base/timeutil.h"
#include "oidc/oidc.h"
#include "predict/predict.h"
#include "refdata/refdata.h"
#include "store/migrate.h"
#include "webhooks/webhooks.h"

const ct_flag ct_app_store_flags[] = {
    {"db", CT_FLAG_STRING, CT_APP_DEFAULT_DB, "sqlite:PATH or postgres://..."},
    {"allow_new_database", CT_FLAG_BOOL, "false",
     "start on an empty or another sqlite database where one was served before"},
    {NULL, 0, NULL, NULL},
};

const ct_flag ct_app_refdata_flags[] = {
    {"refdata_dir", CT_FLAG_PATH, CT_APP_DEFAULT_REFDATA, "data packages, a node_modules"},
    {NULL, 0, NULL, NULL},
};

const ct_flag ct_app_schedules_flags[] = {
    {"schedules_dir", CT_FLAG_PATH, "var/schedules", "the operator's SSIM schedule files"},
    {NULL, 0, NULL, NULL},
};

const ct_flag ct_app_serve_flags[] = {
    {"host", CT_FLAG_STRING, "127.0.0.1", "bind address"},
    {"port", CT_FLAG_INT, "8080", "port, 0 = any free one"},
    {"port_file", CT_FLAG_PATH, NULL, "write the bound port there once listening"},
    {"threads", CT_FLAG_INT, "2", "HTTP threads parsing requests and answering cheap ones"},
    {"http_workers", CT_FLAG_INT, "4", "threads for sign-ins and database routes"},
    {"http_queue", CT_FLAG_INT, "64", "such requests waiting at most (then 503)"},
    {"per_ip_connections", CT_FLAG_INT, "256", "open connections per client address, 0 = any"},
    {"reuse_port", CT_FLAG_BOOL, "false",
     "share the port with other servers started so (SO_REUSEPORT); else a port in use is refused"},
    {"header_timeout", CT_FLAG_INT, "10", "seconds for a whole request head (keep-alive too)"},
    {"body_timeout", CT_FLAG_INT, "30", "seconds for a whole request body"},
    {"hsts_max_age", CT_FLAG_INT, "0", "Strict-Transport-Security max-age, 0 = none"},
    {"web_dir", CT_FLAG_PATH, CT_APP_DEFAULT_WEB, "built web app, \"\" = none"},
    {"access_log", CT_FLAG_BOOL, "true", "log every request"},
    {"cors_origins", CT_FLAG_STRING, NULL, "origins allowed cross-origin, comma-separated"},
    {"public_url", CT_FLAG_STRING, "http://127.0.0.1:PORT", "base of links in e-mails"},
    {"smtp_url", CT_FLAG_STRING, NULL, "SMTP server for account e-mails (smtp://HOST:PORT)"},
    {"mail_from", CT_FLAG_STRING, "Contrail <no-reply@contrail.test>", "sender of e-mails"},
    {"jwt_secret", CT_FLAG_STRING, NULL, "HS256 key, at least 32 characters"},
    {"jwt_secret_file", CT_FLAG_PATH, "var/secrets/jwt.key", "the key's file, made when missing"},
    {"rate_limit_ip", CT_FLAG_INT, "1200", "requests a minute per client IP, 0 = off"},
    {"amqp", CT_FLAG_STRING, NULL,
     "amqp://USER:PASSWORD@HOST:PORT/VHOST: domain events through RabbitMQ (else in process)"},
    {"amqp_delivery_limit", CT_FLAG_INT, "10",
     "deliveries of an event to one subscriber before RabbitMQ dead-letters it"},
    {"redis", CT_FLAG_STRING, NULL,
     "redis://HOST[:PORT][/DB]: rate limits shared by every instance (else in memory)"},
    {"otlp_endpoint", CT_FLAG_STRING, NULL,
     "OTLP/HTTP collector (http://HOST:4318): request and partner-call spans sent as JSON"},
    {"trusted_proxies", CT_FLAG_STRING, NULL,
     "load balancers (addresses, CIDRs): behind them the client is from X-Forwarded-For"},
    {"search_cache", CT_FLAG_INT, "4096", "search answers kept in memory, 0 = none"},
    {"timetable_cache", CT_FLAG_PATH, "var/cache/timetable.bin", "built timetable, \"\" = none"},
    {"schedule_days", CT_FLAG_INT, "365", "days of schedules from today"},
    {"schedules_poll", CT_FLAG_INT, "60",
     "seconds between checks of the SSIM files for booked trips' schedule changes, 0 = off"},
    {"pricebook_cache", CT_FLAG_PATH, "var/cache/pricebook.bin",
     "saved prices + feed state (PATH.state.json), \"\" = none"},
    {"ingest_interval", CT_FLAG_INT, "60", "seconds between incremental provider feed syncs"},
    {"ingest_days", CT_FLAG_INT, "0", "availability horizon in days from today, 0 = timetable's"},
    {"lease_ttl", CT_FLAG_INT, "10",
     "PostgreSQL: seconds the ingestion lease lasts unrenewed (a dead holder's successor waits so "
     "long)"},
    {"price_stream_interval", CT_FLAG_INT, "500",
     "PostgreSQL: milliseconds between writes and polls of the price stream between instances"},
    {"price_history", CT_FLAG_STRING, "changes",
     "price_observation rows: changes (or true), all (first prices too), false"},
    {"history", CT_FLAG_BOOL, "true",
     "route price history (route_price) and the low/typical/high insight on answers"},
    {"history_retention_days", CT_FLAG_INT, "730",
     "days route_price and price_observation rows are kept, -1 = for ever"},
    {"history_downsample_days", CT_FLAG_INT, "30",
     "days after which hourly history rows become one per day (and leg rows the day's lowest)"},
    {"history_flush_interval", CT_FLAG_INT, "10", "seconds between writes of searched prices"},
    {"history_refresh_interval", CT_FLAG_INT, "300",
     "seconds between rebuilds of the insight's price distributions"},
    {"history_reprice_interval", CT_FLAG_INT, "900",
     "seconds between re-pricing the routes searched in the last day, 0 = never"},
    {"price_model", CT_FLAG_PATH, CT_APP_DEFAULT_PRICE_MODEL,
     "buy-or-wait model (contrail prices train); none: predictions are null"},
    {"sandbox", CT_FLAG_BOOL, "false", "also run the sandbox world beside it"},
    {"sandbox_dir", CT_FLAG_PATH, "var/sandbox", "where the sandbox keeps its files"},
    {"sandbox_seed", CT_FLAG_INT, "42", "the sandbox world's seed"},
    {"sandbox_size", CT_FLAG_STRING, "default", "the sandbox world's size: small or default"},
    {"sandbox_smtp_port", CT_FLAG_INT, "2525", "the sandbox mail server's SMTP port"},
    {"sandbox_world", CT_FLAG_PATH, NULL,
     "use the running sandbox world of this folder (its world.json); neither started nor stopped"},
    {"booking_recovery_every", CT_FLAG_INT, "30", "seconds between the booking recovery passes"},
    {"booking_recovery_age", CT_FLAG_INT, "60",
     "seconds an unfinished order is left alone before recovery resumes it"},
    {"alert_cooldown", CT_FLAG_INT, "86400",
     "seconds after a price alert's notification before it may notify again"},
    {"alerts_per_user", CT_FLAG_INT, "50", "price alerts a user may keep"},
    {"payments_url", CT_FLAG_STRING, NULL, "the payment processor (default: the sandbox world's)"},
    {"payments_secret_key", CT_FLAG_STRING, CT_APP_PAYMENTS_KEY, "the processor's secret key"},
    {"sms_url", CT_FLAG_STRING, NULL,
     "the SMS gateway (Twilio-like; default: the sandbox world's)"},
    {"sms_account", CT_FLAG_STRING, NULL, "the SMS gateway's account SID"},
    {"sms_token", CT_FLAG_STRING, NULL, "the SMS gateway's auth token"},
    {"oidc_provider", CT_FLAG_STRING, "sandbox", "the name of the identity provider below"},
    {"oidc_issuer", CT_FLAG_STRING, NULL,
     "an OpenID Connect provider's issuer URL (default: the sandbox world's)"},
    {"oidc_client_id", CT_FLAG_STRING, NULL, "the platform's client id at that provider"},
    {"oidc_client_secret", CT_FLAG_STRING, NULL, "its client secret"},
    {"webhook_allow_loopback", CT_FLAG_BOOL, "false",
     "webhook endpoints may be http(s) on loopback (the sandbox, tests); else https, public only"},
    {"webhook_retry_scale", CT_FLAG_STRING, "1",
     "multiplies the webhook retry schedule (~3 days) and the 5-day disable limit (tests: 0.001)"},
    {"webhook_timeout", CT_FLAG_INT, "10", "seconds per webhook delivery attempt"},
    {"webhook_workers", CT_FLAG_INT, "2", "threads sending webhook deliveries"},
    {NULL, 0, NULL, NULL},
};

/* ---- store and reference data ---- */

/* Creates the directory of a sqlite:PATH database when missing (var/ on a fresh clone). */
static void ensure_db_dir(const char *url)
{
    const char *path = strncmp(url, "sqlite:", 7) == 0 ? url + 7 : NULL;
    if (path != NULL && strchr(path, '/') != NULL)
        ct_file_make_parents(path);
}

ct_status ct_app_store_open(const ct_config *cfg, ct_store **out)
{
    const char *url = ct_config_get(cfg, "db", CT_APP_DEFAULT_DB);
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
        goto fail;
    }
    /* An embedded database lost or replaced since the last start is refused (identity.c). */
    char marker[1200];
    if (ct_store_identity_marker(url, marker, sizeof(marker))) {
        int allow = 0;
        rc = ct_config_get_bool(cfg, "allow_new_database", 0, &allow, err, sizeof(err));
        if (!rc)
            rc = ct_store_identity_check(*out, marker, allow, err, sizeof(err));
        if (rc) {
            fprintf(stderr, "contrail: %s\n", err);
            ct_log(CT_LOG_ERROR, "store.identity", "database", url, "error", err, NULL);
            goto fail;
        }
    }
    return CT_OK;
fail:
    ct_store_close(*out);
    *out = NULL;
    return rc;
}

ct_status ct_app_refdata_import(ct_store *st, const ct_config *cfg)
{
    const char *dir = ct_config_get(cfg, "refdata_dir", CT_APP_DEFAULT_REFDATA);
    ct_import_report *r = ct_calloc(1, sizeof(*r));
    if (r == NULL)
        return CT_NOMEM;
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
    ct_free(r);
    return rc;
}

/* ---- accounts and the other services ---- */

ct_status ct_app_jwt_secret(const ct_config *cfg, char *out, size_t len)
{
    const char *s = ct_config_get(cfg, "jwt_secret", NULL);
    if (s != NULL) {
        snprintf(out, len, "%s", s);
        return strlen(out) >= 32 ? CT_OK : CT_INVALID;
    }
    const char *path = ct_config_get(cfg, "jwt_secret_file", "var/secrets/jwt.key");
    FILE *f = fopen(path, "r");
    if (f != NULL) {
        int ok = fgets(out, (int)len, f) != NULL;
        fclose(f);
        out[strcspn(out, "\r\n")] = '\0';
        return ok && strlen(out) >= 32 ? CT_OK : CT_INVALID;
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
    int fd = open(path, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0600);
    if (fd < 0)
        return CT_IO;
    ct_status rc = ct_file_write_all(fd, out, strlen(out));
    close(fd);
    return rc;
}

ct_status ct_app_oidc_open(const ct_config *cfg, const char *secret, int sandbox_on, ct_app *app)
{
    if (ct_oidc_new(secret, &app->oidc) != CT_OK) {
        fprintf(stderr, "contrail: cannot set up OpenID Connect\n");
        return CT_ERR;
    }
    const char *issuer = ct_config_get(cfg, "oidc_issuer", NULL);
    if (issuer != NULL &&
        ct_oidc_add_provider(app->oidc, ct_config_get(cfg, "oidc_provider", "sandbox"), issuer,
                             ct_config_get(cfg, "oidc_client_id", ""),
                             ct_config_get(cfg, "oidc_client_secret", "")) != CT_OK) {
        fprintf(stderr, "contrail: --oidc-provider/--oidc-issuer/--oidc-client-id/"
                        "--oidc-client-secret: a name of [a-z0-9-], an http(s) URL, an id and a "
                        "secret are needed\n");
        return CT_INVALID;
    }
    const char *world = ct_config_get(cfg, "sandbox_world", NULL);
    if (sandbox_on || (world != NULL && *world)) {
        char path[1100];
        snprintf(path, sizeof(path), "%s/world.json",
                 world != NULL && *world ? world
                                         : ct_config_get(cfg, "sandbox_dir", "var/sandbox"));
        ct_oidc_use_world(app->oidc, path);
    }
    return CT_OK;
}

/* The rate limits: in Redis with --redis (shared by every instance), else in memory. */
static ct_status open_ratelimit(const ct_config *cfg, ct_app *app)
{
    const char *url = ct_config_get(cfg, "redis", NULL);
    if (url == NULL || *url == '\0') {
        app->ratelimit = ct_ratelimit_create();
        return app->ratelimit ? CT_OK : CT_NOMEM;
    }
    char err[256];
    ct_status rc = ct_ratelimit_create_redis(url, &app->ratelimit, err, sizeof(err));
    if (rc)
        fprintf(stderr, "contrail: --redis: %s\n", rc == CT_INVALID ? err : ct_status_name(rc));
    return rc;
}

ct_status ct_app_services_open(const ct_config *cfg, int threads, int port, ct_app *app,
                               ct_accounts *accounts, ct_mailer *mailer)
{
    static char secret[256], public_url[256], sandbox_smtp[64];
    char err[512];
    if (ct_store_pool_open(ct_config_get(cfg, "db", CT_APP_DEFAULT_DB), threads + 5, &app->pool,
                           err, sizeof(err)) != CT_OK) {
        fprintf(stderr, "contrail: %s\n", err);
        return CT_UNAVAILABLE;
    }
    if (ct_app_jwt_secret(cfg, secret, sizeof(secret)) != CT_OK) {
        fprintf(stderr, "contrail: no usable JWT secret (at least 32 characters)\n");
        return CT_INVALID;
    }
    /* With the sandbox world, account e-mails go to its mail server. */
    int sandbox_on = 0;
    long ip_rate = 0;
    if (ct_config_get_bool(cfg, "sandbox", 0, &sandbox_on, err, sizeof(err)) ||
        ct_config_get_int(cfg, "rate_limit_ip", 1200, 0, 10000000, &ip_rate, err, sizeof(err))) {
        fprintf(stderr, "contrail: %s\n", err);
        return CT_INVALID;
    }
    snprintf(sandbox_smtp, sizeof(sandbox_smtp), "smtp://127.0.0.1:%s",
             ct_config_get(cfg, "sandbox_smtp_port", "2525"));
    mailer->smtp_url = ct_config_get(cfg, "smtp_url", sandbox_on ? sandbox_smtp : NULL);
    mailer->from = ct_config_get(cfg, "mail_from", "Contrail <no-reply@contrail.test>");
    const char *url = ct_config_get(cfg, "public_url", NULL);
    if (url != NULL)
        snprintf(public_url, sizeof(public_url), "%s", url);
    else
        snprintf(public_url, sizeof(public_url), "http://127.0.0.1:%d", port);
    ct_accounts_config ac = {
        .jwt_secret = secret,
        .public_url = public_url,
        .mailer = mailer->smtp_url ? mailer : NULL,
    };
    if (ct_accounts_init(accounts, &ac) != CT_OK) {
        fprintf(stderr, "contrail: accounts configuration is invalid\n");
        return CT_INVALID;
    }
    app->accounts = accounts;
    if (ct_app_oidc_open(cfg, secret, sandbox_on, app) != CT_OK)
        return CT_INVALID;
    app->limits.ip_per_minute = (double)ip_rate;
    return open_ratelimit(cfg, app);
}

/* ---- the sandbox world as a child process ---- */

ct_status ct_app_sandbox_program(char *out, size_t len)
{
    ssize_t n = readlink("/proc/self/exe", out, len - 1);
    if (n <= 0)
        return CT_NOT_FOUND;
    out[n] = '\0';
    char *slash = strrchr(out, '/');
    if (slash == NULL || (size_t)(slash - out) + sizeof("/contrail-sandbox") > len)
        return CT_NOT_FOUND;
    strcpy(slash, "/contrail-sandbox");
    return access(out, X_OK) == 0 ? CT_OK : CT_NOT_FOUND;
}

pid_t ct_app_sandbox_start(const ct_config *cfg)
{
    static char prog[1024], dir[1100], seed[64], size[64], refdata[1100], smtp[64], level[64];
    static char idp_uris[700];
    if (ct_app_sandbox_program(prog, sizeof(prog)) != CT_OK) {
        fprintf(stderr, "contrail: contrail-sandbox not found beside this program\n");
        return -1;
    }
    const char *sdir = ct_config_get(cfg, "sandbox_dir", "var/sandbox");
    snprintf(dir, sizeof(dir), "--dir=%s", sdir);
    snprintf(seed, sizeof(seed), "--seed=%s", ct_config_get(cfg, "sandbox_seed", "42"));
    snprintf(size, sizeof(size), "--size=%s", ct_config_get(cfg, "sandbox_size", "default"));
    snprintf(refdata, sizeof(refdata), "--refdata-dir=%s",
             ct_config_get(cfg, "refdata_dir", CT_APP_DEFAULT_REFDATA));
    snprintf(smtp, sizeof(smtp), "--smtp-port=%s", ct_config_get(cfg, "sandbox_smtp_port", "2525"));
    snprintf(level, sizeof(level), "--log-level=%s", ct_config_get(cfg, "log_level", "info"));
    /* The identity provider accepts this platform's callback (oidc_api.c). */
    const char *public_url = ct_config_get(cfg, "public_url", NULL);
    char base[300];
    if (public_url != NULL)
        snprintf(base, sizeof(base), "%s", public_url);
    else
        snprintf(base, sizeof(base), "http://127.0.0.1:%s", ct_config_get(cfg, "port", "8080"));
    snprintf(idp_uris, sizeof(idp_uris), "--idp-redirect-uris=%s/api/v1/auth/oidc/sandbox/callback",
             base);
    char *argv[] = {prog, "world", dir, seed, size, refdata, smtp, level, idp_uris, NULL};
    char **env = ct_config_child_environ();
    if (env == NULL) {
        fprintf(stderr, "contrail: out of memory\n");
        return -1;
    }
    /* A world.json left by an earlier run must not be mistaken for this world's. */
    char stale[1200];
    snprintf(stale, sizeof(stale), "%s/world.json", sdir);
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
        execve(prog, argv, env);
        _exit(127);
    }
    ct_free(env);
    if (pid < 0)
        fprintf(stderr, "contrail: cannot start the sandbox: %s\n", strerror(errno));
    return pid;
}

void ct_app_sandbox_stop(pid_t pid)
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

/* ---- serve ---- */

/* Everything one `serve` opens; closed by server_close in reverse order. */
typedef struct server {
    const ct_config *cfg;
    long port, threads, workers;
    sigset_t stop;
    ct_app app;
    ct_store *setup;
    ct_accounts accounts;
    ct_mailer mailer;
    pid_t sandbox;
    ct_search_cache *search_cache;
    ct_router *router;
    ct_http_server *http;
    const char *host;
    ct_app_loader loader;
    ct_app_booking booking;
    ct_app_sms sms;
    ct_outbox *outbox;       /* the relay: account e-mails, and booking's when booking is wired */
    ct_app_history history;  /* the price history thread (app/history_job.h) */
    ct_alerts *alerts;       /* price alerts; attached to the prices when ingestion starts */
    ct_notify_hub *hub;      /* the notifications (notify/hub.h), on that relay */
    ct_app_notify notify;    /* its renderers of the price events (app/notify_wiring.h) */
    ct_webhooks *webhooks;   /* its fan-out on the relay, its delivery workers */
    ct_broker *broker;       /* --amqp: the relay's transport (broker/broker.h), else NULL */
    ct_app_cluster *cluster; /* PostgreSQL: the ingestion lease and price stream (cluster.h) */
    ct_otlp *otlp;           /* --otlp-endpoint: the span exporter, the trace sink */
} server;

static ct_status bad_flag(const char *err)
{
    fprintf(stderr, "contrail: %s\n", err);
    return CT_INVALID;
}

/* The store migrated, the reference data imported when missing, the snapshot loaded. */
static ct_status open_data(server *s)
{
    ct_status rc = ct_app_store_open(s->cfg, &s->setup);
    if (rc)
        return rc;
    rc = ct_refdata_load(s->setup, &s->app.refdata);
    if (rc == CT_NOT_FOUND) {
        ct_log(CT_LOG_INFO, "refdata.import", "reason", "database has no reference data", NULL);
        rc = ct_app_refdata_import(s->setup, s->cfg);
        /* Instances started together on an empty database all import: the import is one
         * transaction, so the others' duplicate keys (conflict) mean one committed it. */
        if (rc == CT_CONFLICT)
            ct_log(CT_LOG_INFO, "refdata.import_raced", "reason",
                   "another instance imported the reference data first", NULL);
        else if (rc)
            return rc;
        rc = ct_refdata_load(s->setup, &s->app.refdata);
    }
    if (rc)
        fprintf(stderr, "contrail: cannot load reference data: %s\n", ct_status_name(rc));
    return rc;
}

/* The buy-or-wait model of --price-model when its file exists (predict/predict.h); without
 * it search answers carry "prediction": null. A file that does not load is logged and
 * ignored: serving goes on without predictions. */
static void load_price_model(server *s)
{
    const char *path = ct_config_get(s->cfg, "price_model", CT_APP_DEFAULT_PRICE_MODEL);
    char err[512];
    ct_status rc =
        *path ? ct_predict_model_load(path, &s->app.price_model, err, sizeof(err)) : CT_NOT_FOUND;
    if (rc == CT_OK)
        ct_log(CT_LOG_INFO, "predict.model_loaded", "path", path, NULL);
    else if (rc != CT_NOT_FOUND)
        ct_log(CT_LOG_WARN, "predict.model_refused", "path", path, "error", err, NULL);
}

/* The search cache, the routes and the HTTP server, listening. */
static ct_status start_http(server *s)
{
    char err[256];
    long slots = 4096, queue = 64, per_ip = 256, head_s = 10, body_s = 30, hsts = 0;
    int access_log = 1, reuse_port = 0;
    if (ct_config_get_int(s->cfg, "search_cache", 4096, 0, 1 << 20, &slots, err, sizeof(err)) ||
        ct_config_get_bool(s->cfg, "access_log", 1, &access_log, err, sizeof(err)) ||
        ct_config_get_bool(s->cfg, "reuse_port", 0, &reuse_port, err, sizeof(err)) ||
        ct_config_get_int(s->cfg, "http_queue", 64, 1, 1 << 16, &queue, err, sizeof(err)) ||
        ct_config_get_int(s->cfg, "per_ip_connections", 256, 0, 4096, &per_ip, err, sizeof(err)) ||
        ct_config_get_int(s->cfg, "header_timeout", 10, 1, 3600, &head_s, err, sizeof(err)) ||
        ct_config_get_int(s->cfg, "body_timeout", 30, 1, 3600, &body_s, err, sizeof(err)) ||
        ct_config_get_int(s->cfg, "hsts_max_age", 0, 0, 1L << 30, &hsts, err, sizeof(err)))
        return bad_flag(err);
    const char *web_dir = ct_config_get(s->cfg, "web_dir", CT_APP_DEFAULT_WEB);
    s->app.web_dir = *web_dir ? web_dir : NULL;
    if (slots > 0 && ct_search_cache_new((size_t)slots, &s->search_cache) != CT_OK)
        return CT_NOMEM;
    s->app.search_cache = s->search_cache;
    load_price_model(s);
    s->router = ct_router_create();
    if (s->router == NULL || ct_api_register(&s->app, s->router))
        return CT_NOMEM;
    s->host = ct_config_get(s->cfg, "host", "127.0.0.1");
    ct_http_options opt = {
        .host = s->host,
        .port = (int)s->port,
        .threads = (int)s->threads,
        .cors_origins = ct_config_get(s->cfg, "cors_origins", NULL),
        .access_log = access_log,
        .workers = (int)s->workers,
        .queue = (int)queue,
        .per_ip_connections = per_ip > 0 ? (int)per_ip : -1,
        .header_timeout_ms = (int)head_s * 1000,
        .body_timeout_ms = (int)body_s * 1000,
        .hsts_max_age = hsts,
        .reuse_port = reuse_port,
        .form_path = "/api/v1/unsubscribe", /* RFC 8058 one-click POSTs a form */
        .trusted_proxies = ct_config_get(s->cfg, "trusted_proxies", NULL),
    };
    ct_status rc = ct_http_server_start(&opt, s->router, &s->http);
    if (rc)
        fprintf(stderr, "contrail: cannot listen on %s:%ld (%s)\n", s->host, s->port,
                ct_status_name(rc));
    return rc;
}

/* --sandbox-world DIR: a world someone else runs (NULL when not given). */
static const char *world_dir(const ct_config *cfg)
{
    const char *d = ct_config_get(cfg, "sandbox_world", NULL);
    return d != NULL && *d ? d : NULL;
}

/* The folder whose world.json is read: --sandbox-world, else --sandbox-dir. */
static const char *world_dir_or_sandbox(const ct_config *cfg)
{
    const char *d = world_dir(cfg);
    return d != NULL ? d : ct_config_get(cfg, "sandbox_dir", "var/sandbox");
}

/* On PostgreSQL, one instance of many: the cluster coordinator (app/cluster.h), given to the
 * prices by the loader; its /metrics lines from the start (before the routes serve). */
static ct_status open_cluster(server *s)
{
    if (strcmp(ct_store_engine(s->setup), "postgres") != 0)
        return CT_OK;
    char err[256];
    long ttl = 10, every = 500;
    if (ct_config_get_int(s->cfg, "lease_ttl", 10, 1, 3600, &ttl, err, sizeof(err)) ||
        ct_config_get_int(s->cfg, "price_stream_interval", 500, 50, 10000, &every, err,
                          sizeof(err)))
        return bad_flag(err);
    ct_app_cluster_config cc = {
        .pool = s->app.pool, .ttl_ms = ttl * 1000, .interval_ms = (int)every};
    if (ct_app_cluster_new(&cc, &s->cluster) != CT_OK)
        return CT_NOMEM;
    s->app.metrics_extra_ctx = s->cluster;
    s->app.metrics_extra = ct_app_cluster_metrics;
    return CT_OK;
}

/* The loader's inputs from the flags, then its thread. */
static ct_status start_loader(server *s)
{
    char err[256];
    long days = 365, interval = 60, ingest_days = 0, poll = 60;
    if (ct_config_get_int(s->cfg, "schedule_days", 365, 1, 730, &days, err, sizeof(err)) ||
        ct_config_get_int(s->cfg, "schedules_poll", 60, 0, 86400, &poll, err, sizeof(err)) ||
        ct_config_get_int(s->cfg, "ingest_interval", 60, 1, 86400, &interval, err, sizeof(err)) ||
        ct_config_get_int(s->cfg, "ingest_days", 0, 0, 730, &ingest_days, err, sizeof(err)))
        return bad_flag(err);
    const char *history = ct_config_get(s->cfg, "price_history", "changes");
    if (strcmp(history, "true") != 0 && strcmp(history, "changes") != 0 &&
        strcmp(history, "all") != 0 && strcmp(history, "false") != 0)
        return bad_flag("price_history: expected changes (or true), all or false");
    ct_app_loader *l = &s->loader;
    ct_app_prices *p = &l->prices;
    p->ingest_days = (int)ingest_days;
    p->cluster = s->cluster;
    p->ingest_cfg.interval_s = (int)interval;
    p->ingest_cfg.history = strcmp(history, "false") != 0 ? s->app.pool : NULL;
    p->ingest_cfg.history_first = strcmp(history, "all") == 0;
    snprintf(p->pb_cache, sizeof(p->pb_cache), "%s",
             ct_config_get(s->cfg, "pricebook_cache", "var/cache/pricebook.bin"));
    l->app = &s->app;
    l->days = (int)days;
    l->poll_s = (int)poll;
    snprintf(l->cache, sizeof(l->cache), "%s",
             ct_config_get(s->cfg, "timetable_cache", "var/cache/timetable.bin"));
    snprintf(l->dirs[0], sizeof(l->dirs[0]), "%s",
             ct_config_get(s->cfg, "schedules_dir", "var/schedules"));
    l->wait_for_world = s->sandbox > 0 || world_dir(s->cfg) != NULL;
    snprintf(l->world_json, sizeof(l->world_json), "%s/world.json", world_dir_or_sandbox(s->cfg));
    return ct_app_loader_start(l);
}

/* The notifications of the price events, and the links' base once the port is known. */
static ct_status start_notify(server *s)
{
    const char *url = ct_config_get(s->cfg, "public_url", NULL);
    if (url != NULL)
        snprintf(s->notify.public_url, sizeof(s->notify.public_url), "%s", url);
    else
        snprintf(s->notify.public_url, sizeof(s->notify.public_url), "http://127.0.0.1:%d",
                 ct_http_server_port(s->http));
    ct_notify_hub_set_public_url(s->hub, s->notify.public_url);
    return ct_app_notify_subscribe(&s->notify, s->hub, s->outbox);
}

/* Booking's inputs from the flags and world.json, then its wiring thread. */
static ct_status start_booking(server *s)
{
    ct_app_booking *w = &s->booking;
    w->app = &s->app;
    w->mailer = &s->mailer;
    char err[256];
    long every = 30, age = 60;
    if (ct_config_get_int(s->cfg, "booking_recovery_every", 30, 1, 86400, &every, err,
                          sizeof(err)) ||
        ct_config_get_int(s->cfg, "booking_recovery_age", 60, 1, 86400, &age, err, sizeof(err)))
        return bad_flag(err);
    w->cfg.recovery_every_s = (int)every;
    w->cfg.recovery_min_age_s = (int)age;
    w->wait_for_world = s->sandbox > 0 || world_dir(s->cfg) != NULL;
    w->smtp_from_world = ct_config_get(s->cfg, "smtp_url", NULL) == NULL;
    snprintf(w->world_json, sizeof(w->world_json), "%s/world.json", world_dir_or_sandbox(s->cfg));
    snprintf(w->payments_url, sizeof(w->payments_url), "%s",
             ct_config_get(s->cfg, "payments_url", ""));
    snprintf(w->payments_key, sizeof(w->payments_key), "%s",
             ct_config_get(s->cfg, "payments_secret_key", CT_APP_PAYMENTS_KEY));
    const char *url = ct_config_get(s->cfg, "public_url", NULL);
    if (url != NULL)
        snprintf(w->public_url, sizeof(w->public_url), "%s", url);
    else
        snprintf(w->public_url, sizeof(w->public_url), "http://127.0.0.1:%d",
                 ct_http_server_port(s->http));
    return ct_app_booking_start(w);
}

/* The SMS gateway for phone codes: the flags, or the world's (app/sms_wiring.h). */
static ct_status start_sms(server *s)
{
    s->sms.accounts = &s->accounts;
    s->sms.hub = s->hub;
    s->sms.wait_for_world = s->sandbox > 0 || world_dir(s->cfg) != NULL;
    snprintf(s->sms.world_json, sizeof(s->sms.world_json), "%s/world.json",
             world_dir_or_sandbox(s->cfg));
    return ct_app_sms_start(&s->sms, s->cfg);
}

/* The price history from its flags (before the routes: they read app->history). */
static ct_status open_history(server *s)
{
    char err[256];
    int on = 1;
    long keep = 730, after = 30, flush = 10, reprice = 900, refresh = 300;
    if (ct_config_get_bool(s->cfg, "history", 1, &on, err, sizeof(err)) ||
        ct_config_get_int(s->cfg, "history_retention_days", 730, -1, 36500, &keep, err,
                          sizeof(err)) ||
        ct_config_get_int(s->cfg, "history_downsample_days", 30, 1, 3650, &after, err,
                          sizeof(err)) ||
        ct_config_get_int(s->cfg, "history_flush_interval", 10, 1, 3600, &flush, err,
                          sizeof(err)) ||
        ct_config_get_int(s->cfg, "history_reprice_interval", 900, 0, 86400, &reprice, err,
                          sizeof(err)) ||
        ct_config_get_int(s->cfg, "history_refresh_interval", 300, 1, 86400, &refresh, err,
                          sizeof(err)))
        return bad_flag(err);
    if (keep == 0)
        return bad_flag("history_retention_days: expected -1 (for ever) or 1 and more");
    if (!on)
        return CT_OK;
    ct_app_history *j = &s->history;
    j->app = &s->app;
    j->opt.retention_days = (int)keep;
    j->opt.downsample_after_days = (int)after;
    j->flush_s = (int)flush;
    j->compact_s = 3600;
    j->refresh_s = (int)refresh;
    j->reprice_s = reprice > 0 ? (int)reprice : 86400;
    j->reprice_window_s = 86400;
    j->reprice_max = reprice > 0 ? 500 : 0;
    return ct_app_history_open(j);
}

/* Ready: the port file, the log line, the banner. */
static void announce(server *s)
{
    atomic_store(&s->app.ready, 1);
    int bound = ct_http_server_port(s->http);
    char text[16];
    snprintf(text, sizeof(text), "%d\n", bound);
    const char *port_file = ct_config_get(s->cfg, "port_file", NULL);
    ct_file_buf buf = {text, strlen(text)};
    if (port_file != NULL && ct_file_replace(port_file, ct_file_write_buf, &buf) != CT_OK)
        fprintf(stderr, "contrail: cannot write %s\n", port_file);
    text[strcspn(text, "\n")] = '\0';
    ct_log(CT_LOG_INFO, "serve.ready", "host", s->host, "port", text, "database",
           ct_store_engine(s->setup), NULL);
    printf("Contrail is running at http://%s:%d/  (Ctrl-C stops it)\n", s->host, bound);
    fflush(stdout);
}

static const char *broker_state(void *ctx)
{
    return ct_broker_state(ctx);
}

static size_t broker_metrics(void *ctx, char *out, size_t cap)
{
    return ct_broker_metrics(ctx, out, cap);
}

/* With --amqp: RabbitMQ between the relay and every subscriber (broker/broker.h), named on
 * /readyz (not required: events wait in the outbox while it is away). A broker unreachable
 * now is only a warning: the consumers and the relay connect once it answers. */
static ct_status open_broker(server *s)
{
    const char *url = ct_config_get(s->cfg, "amqp", NULL);
    char err[256];
    long limit = 10;
    if (url == NULL || url[0] == '\0')
        return CT_OK;
    if (ct_config_get_int(s->cfg, "amqp_delivery_limit", 10, 2, 1000, &limit, err, sizeof(err)))
        return bad_flag(err);
    ct_broker_config bc = {.url = url, .delivery_limit = (int)limit};
    if (ct_broker_new(&bc, &s->broker) != CT_OK)
        return bad_flag("amqp: expected amqp://USER:PASSWORD@HOST:PORT/VHOST");
    ct_outbox_transport t = ct_broker_transport(s->broker);
    ct_status rc = ct_outbox_set_transport(s->outbox, &t);
    if (rc)
        return rc;
    ct_outbox_set_retry(s->outbox, 200, 5000); /* publishing again soon after an outage */
    if (ct_broker_check(s->broker, err, sizeof(err)) != CT_OK) {
        fprintf(stderr, "contrail: RabbitMQ not reachable yet (%s); events wait in the outbox\n",
                err);
        ct_log(CT_LOG_WARN, "amqp.unreachable", "error", err, NULL);
    }
    s->app.engines[s->app.nengines++] = (ct_api_engine){.name = "rabbitmq",
                                                        .required = 0,
                                                        .state = broker_state,
                                                        .metrics = broker_metrics,
                                                        .ctx = s->broker};
    return CT_OK;
}

/* The outbox relay, with the account e-mails on it (booking adds its own before the start):
 * made before booking and started after it, whether or not booking gets wired. */
static ct_status open_outbox(server *s)
{
    int sandbox = 0;
    char err[256];
    if (ct_config_get_bool(s->cfg, "sandbox", 0, &sandbox, err, sizeof(err)))
        return bad_flag(err);
    /* With a sandbox world and no --smtp-url, the hub's e-mails wait for the world's mail
     * server (booking's wiring reads it from world.json). */
    int later =
        (sandbox || world_dir(s->cfg) != NULL) && ct_config_get(s->cfg, "smtp_url", NULL) == NULL;
    ct_notify_config nc = {
        .pool = s->app.pool,
        .mailer = later || s->mailer.smtp_url == NULL ? NULL : &s->mailer,
        .mailer_later = later,
        .public_url = s->accounts.cfg.public_url,
        .secret = s->accounts.cfg.jwt_secret,
    };
    ct_status rc = ct_outbox_new(s->app.pool, NULL, 200, &s->outbox);
    if (!rc)
        rc = open_broker(s);
    if (!rc)
        rc = ct_notify_hub_new(&nc, &s->hub);
    if (!rc)
        rc = ct_accounts_use_outbox(&s->accounts, s->outbox, s->app.pool);
    if (!rc)
        rc = ct_accounts_use_hub(&s->accounts, s->hub, s->outbox);
    if (rc)
        fprintf(stderr, "contrail: cannot set up the outbox relay: %s\n", ct_status_name(rc));
    s->booking.outbox = s->outbox;
    s->booking.hub = s->hub;
    s->app.notify = s->hub;
    return rc;
}

/* A trigger's buy-or-wait advice (alerts.h, ct_alerts_config.predict) from the loaded model
 * over the current pricebook, in the member shape of the search answers; NULL without a
 * model, prices or advice for the route. */
static json_t *alert_prediction(void *ctx, const char *origin, const char *destination, int64_t day,
                                int cabin, int64_t price_minor, const char *currency)
{
    ct_app *app = ctx;
    ct_pricebook *pb = atomic_load(&app->pricebook);
    ct_predict_advice a;
    if (app->price_model == NULL || pb == NULL ||
        ct_predict_route_codes(app->price_model, pb, origin, destination, day, cabin, ct_utc_now(),
                               &a) != CT_OK)
        return NULL;
    return json_pack("{s:s, s:I, s:s, s:i, s:f}", "advice", a.wait ? "wait" : "buy_now",
                     "expected_change_minor", (json_int_t)ct_predict_change_minor(&a, price_minor),
                     "currency", currency, "within_days", CT_PREDICT_WITHIN_DAYS, "confidence",
                     (double)llround(a.confidence * 100.0) / 100.0);
}

/* The price alerts engine over the pool, its alerts loaded; attached to the schedules and
 * prices by the loader (app/prices.c) when ingestion starts. */
static ct_status open_alerts(server *s)
{
    char err[256];
    long cooldown = 86400, per_user = 50;
    if (ct_config_get_int(s->cfg, "alert_cooldown", 86400, 1, 86400L * 365, &cooldown, err,
                          sizeof(err)) ||
        ct_config_get_int(s->cfg, "alerts_per_user", 50, 1, 100000, &per_user, err, sizeof(err)))
        return bad_flag(err);
    ct_alerts_config c = {.pool = s->app.pool,
                          .cooldown_s = (int)cooldown,
                          .max_per_user = (int)per_user,
                          .outbox = s->outbox,
                          .refdata = s->app.refdata,
                          .predict = alert_prediction,
                          .predict_ctx = &s->app};
    ct_status rc = ct_alerts_new(&c, &s->alerts);
    if (!rc)
        rc = ct_alerts_load(s->alerts, s->setup);
    if (!rc) /* booked trips: a signed-in user's confirmed order is watched */
        rc = ct_outbox_subscribe(s->outbox, "alerts-trips", "order.confirmed",
                                 ct_alerts_order_event, s->alerts);
    /* With RabbitMQ one instance handles the durable queue's event (the trip's row); every
     * instance keeps the trip in memory too (its engine may be the one that gets the price
     * changes: the ingestion leaseholder), so each also takes the event from a queue of its
     * own (broker.h, "every instance"; idempotent: the row is written once). */
    if (!rc && s->broker != NULL)
        rc = ct_broker_every_instance(s->broker, "alerts-trips-memory", "order.confirmed",
                                      ct_alerts_order_event, s->alerts);
    if (!rc)
        rc = ct_alerts_start(s->alerts);
    if (rc) {
        fprintf(stderr, "contrail: cannot start price alerts: %s\n", ct_status_name(rc));
        return rc;
    }
    atomic_store(&s->app.alerts, s->alerts);
    return CT_OK;
}

/* The webhooks service from the --webhook-* flags, its fan-out subscribed on the relay (not
 * started yet) and published to the routes; its workers start with the relay. */
static ct_status open_webhooks(server *s)
{
    char err[256];
    int loopback = 0;
    long timeout = 10, workers = 2;
    if (ct_config_get_bool(s->cfg, "webhook_allow_loopback", 0, &loopback, err, sizeof(err)) ||
        ct_config_get_int(s->cfg, "webhook_timeout", 10, 1, 60, &timeout, err, sizeof(err)) ||
        ct_config_get_int(s->cfg, "webhook_workers", 2, 1, 16, &workers, err, sizeof(err)))
        return bad_flag(err);
    const char *scale_s = ct_config_get(s->cfg, "webhook_retry_scale", "1");
    char *end = NULL;
    double scale = strtod(scale_s, &end);
    if (end == scale_s || *end != '\0' || !(scale > 0) || scale > 1000)
        return bad_flag("webhook_retry_scale: expected a number above 0 (1 = the real schedule)");
    ct_webhooks_config wc = {
        .retry_scale = scale,
        .allow_loopback = loopback,
        .timeout_ms = (int)timeout * 1000,
        .workers = (int)workers,
    };
    ct_status rc = ct_webhooks_new(s->app.pool, &wc, &s->webhooks);
    if (!rc)
        rc = ct_webhooks_subscribe(s->webhooks, s->outbox);
    if (rc)
        fprintf(stderr, "contrail: cannot set up webhooks: %s\n", ct_status_name(rc));
    s->app.webhooks = s->webhooks;
    return rc;
}

static void server_close(server *s)
{
    ct_app_sandbox_stop(s->sandbox);
    ct_http_server_stop(s->http);
    atomic_store(&s->app.alerts, NULL);
    ct_alerts_stop(s->alerts); /* before the outbox it kicks and the bus it listens to */
    ct_outbox_stop(s->outbox); /* before what its handlers use: booking, accounts, pool */
    s->outbox = NULL;
    ct_broker_free(s->broker); /* after the relay and consumers that used it */
    s->broker = NULL;
    ct_webhooks_free(s->webhooks); /* an attempt in flight is finished and recorded */
    s->webhooks = NULL;
    s->app.webhooks = NULL;
    ct_app_booking_stop(&s->booking);
    ct_app_sms_stop(&s->sms);
    ct_app_history_stop(&s->history); /* before the pricebook and the pool go */
    ct_notify_hub_free(s->hub);
    s->hub = NULL;
    s->app.notify = NULL;
    ct_app_loader_stop(&s->loader); /* stops the cluster coordinator too */
    ct_app_cluster_free(s->cluster);
    s->cluster = NULL;
    ct_alerts_free(s->alerts); /* after the loader, which may still attach it (refused) */
    s->alerts = NULL;
    ct_router_destroy(s->router);
    ct_api_free(&s->app);
    ct_predict_model_free(s->app.price_model);
    s->app.price_model = NULL;
    ct_search_cache_free(s->search_cache);
    ct_refdata_free(s->app.refdata);
    ct_ratelimit_destroy(s->app.ratelimit);
    ct_oidc_free(s->app.oidc);
    ct_store_pool_close(s->app.pool);
    ct_store_close(s->setup);
    ct_trace_set_sink(NULL, NULL); /* every thread that reports spans has stopped */
    ct_otlp_stop(s->otlp);
    s->otlp = NULL;
}

/* --otlp-endpoint: the exporter, made the trace sink before any thread serves. */
static ct_status open_otlp(server *s)
{
    const char *url = ct_config_get(s->cfg, "otlp_endpoint", NULL);
    if (url == NULL || !*url)
        return CT_OK;
    char instance[128];
    ct_lease_holder_id(instance, sizeof(instance));
    ct_otlp_config oc = {.endpoint = url, .instance_id = instance};
    ct_status rc = ct_otlp_start(&oc, &s->otlp);
    if (rc == CT_INVALID)
        return bad_flag("otlp_endpoint: expected http://HOST:PORT or https://...");
    if (rc)
        return rc;
    ct_trace_set_sink(ct_otlp_sink, s->otlp);
    ct_log(CT_LOG_INFO, "otlp.exporting", "endpoint", url, NULL);
    return CT_OK;
}

int ct_app_serve(const ct_config *cfg, const char *version)
{
    static server s; /* large (the loader's paths); one per process */
    memset(&s, 0, sizeof(s));
    s.cfg = cfg;
    s.sandbox = -1;
    s.app.version = version;
    s.app.limits = ct_api_default_limits();
    char err[256];
    int with_sandbox = 0;
    if (ct_config_get_int(cfg, "port", 8080, 0, 65535, &s.port, err, sizeof(err)) ||
        ct_config_get_int(cfg, "threads", 2, 1, 256, &s.threads, err, sizeof(err)) ||
        ct_config_get_int(cfg, "http_workers", 4, 1, 256, &s.workers, err, sizeof(err)) ||
        ct_config_get_bool(cfg, "sandbox", 0, &with_sandbox, err, sizeof(err))) {
        fprintf(stderr, "contrail: %s\n", err);
        return 2;
    }
    if (with_sandbox && world_dir(cfg) != NULL) {
        fprintf(stderr, "contrail: --sandbox and --sandbox-world exclude each other\n");
        return 2;
    }
    sigemptyset(&s.stop);
    sigaddset(&s.stop, SIGINT);
    sigaddset(&s.stop, SIGTERM);
    pthread_sigmask(SIG_BLOCK, &s.stop, NULL);
    signal(SIGPIPE, SIG_IGN);
    curl_global_init(CURL_GLOBAL_DEFAULT); /* before any thread: provider feeds, mail */

    int code = 1;
    if (open_data(&s) ||
        ct_app_services_open(cfg, (int)(s.threads + s.workers), (int)s.port, &s.app, &s.accounts,
                             &s.mailer) ||
        open_outbox(&s) || open_alerts(&s) || open_webhooks(&s))
        goto cleanup;
    if (with_sandbox) { /* before any thread exists: fork from a single-threaded process */
        s.sandbox = ct_app_sandbox_start(cfg);
        if (s.sandbox < 0)
            goto cleanup;
        printf("Sandbox world starting: partner endpoints in %s/world.json\n",
               ct_config_get(cfg, "sandbox_dir", "var/sandbox"));
    }
    if (open_history(&s) || open_cluster(&s) || open_otlp(&s) || start_http(&s) ||
        start_loader(&s) || ct_app_history_start(&s.history) || start_booking(&s) ||
        start_sms(&s) || start_notify(&s) || ct_outbox_start(s.outbox) ||
        ct_webhooks_start(s.webhooks))
        goto cleanup;
    announce(&s);
    int sig = 0;
    sigwait(&s.stop, &sig);
    ct_log(CT_LOG_INFO, "serve.stopping", "signal", sig == SIGINT ? "SIGINT" : "SIGTERM", NULL);
    atomic_store(&s.app.ready, 0);
    ct_http_server_stop(s.http);
    s.http = NULL;
    code = 0;
cleanup:
    server_close(&s);
    if (code == 0)
        ct_log(CT_LOG_INFO, "serve.stopped", NULL);
    return code;
}
