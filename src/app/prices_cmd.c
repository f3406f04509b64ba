/* prices_cmd.c: `contrail prices record | train | backtest` (see prices_cmd.h).
 *
 * record is a loop over one recorder: the sandbox child (app/serve.h), the timetable of the
 * world's SSIM files, a pricebook and an ingest driver over them. Each step sets the world
 * clock over HTTP (PUT /admin/clock of the world's mail server: every sandbox process reads
 * the same clock file), runs one sync in this thread and walks the pricebook
 * (ct_predict_snapshot_all). The clock is stopped between steps (speed 0), so a step's
 * observations are the world exactly at that instant however long the sync took, and the
 * recording is the same on a fast or a slow machine. */
#define _GNU_SOURCE
#include "app/prices_cmd.h"

#include <curl/curl.h>
#include <jansson.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/types.h>
#include <time.h>
#include <unistd.h>

#include "app/loader.h"
#include "app/prices.h"
#include "app/serve.h"
#include "base/alloc.h"
#include "base/fileutil.h"
#include "base/log.h"
#include "base/timeutil.h"
#include "predict/predict.h"
#include "refdata/refdata.h"

const ct_flag ct_app_prices_flags[] = {
    {"observations", CT_FLAG_PATH, CT_APP_DEFAULT_OBSERVATIONS, "the recorded observations (CSV)"},
    {"price_model", CT_FLAG_PATH, CT_APP_DEFAULT_PRICE_MODEL, "the model file"},
    {"record_days", CT_FLAG_INT, "150", "record: world days to run"},
    {"record_step_hours", CT_FLAG_INT, "24", "record: world hours between observations"},
    {"record_horizon", CT_FLAG_INT, "60", "record: departures up to this many days ahead"},
    {"train_rounds", CT_FLAG_INT, "200", "train: boosting rounds"},
    {"train_depth", CT_FLAG_INT, "6", "train: tree depth"},
    {"held_percent", CT_FLAG_INT, "40",
     "share of routes and of departure dates held back from training"},
    {"rise_percent", CT_FLAG_INT, "5", "backtest: X of \"rises by more than X % within 7 days\""},
    {"sandbox_dir", CT_FLAG_PATH, "var/prices/sandbox", "record: the world's folder"},
    {"sandbox_seed", CT_FLAG_INT, "42", "record: the world's seed"},
    {"sandbox_size", CT_FLAG_STRING, "small", "record: the world's size: small or default"},
    {"sandbox_smtp_port", CT_FLAG_INT, "0", "record: the world's SMTP port, 0 = any free one"},
    {NULL, 0, NULL, NULL},
};

static double mono_now(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static int get_int(const ct_config *cfg, const char *key, long def, long lo, long hi, long *out)
{
    char err[256];
    if (ct_config_get_int(cfg, key, def, lo, hi, out, err, sizeof(err)) != CT_OK) {
        fprintf(stderr, "contrail: %s\n", err);
        return 0;
    }
    return 1;
}

/* ---- record ---- */

typedef struct recorder {
    const ct_config *cfg;
    long days, step_hours, horizon;
    pid_t world;
    char clock_url[300];
    json_t *doc; /* world.json */
    ct_store *st;
    ct_refdata *rd;
    ct_timetable *tt;
    ct_app_prices prices; /* its ingest_cfg and the driver, pricebook, bus */
    FILE *out;
    char tmp[1100];
    int64_t now; /* the step's world instant */
    size_t rows, steps;
} recorder;

static void default_flag(ct_config *cfg, const char *key, const char *value)
{
    if (ct_config_get(cfg, key, NULL) == NULL)
        ct_config_set(cfg, key, value);
}

/* Waits up to two minutes for the world's world.json. */
static ct_status wait_world(recorder *r)
{
    char path[1100];
    snprintf(path, sizeof(path), "%s/world.json", ct_config_get(r->cfg, "sandbox_dir", ""));
    for (int i = 0; i < 1200 && r->doc == NULL; i++) {
        r->doc = json_load_file(path, 0, NULL);
        if (r->doc == NULL) {
            struct timespec ts = {0, 100 * 1000 * 1000};
            nanosleep(&ts, NULL);
        }
    }
    if (r->doc == NULL) {
        fprintf(stderr, "contrail: the sandbox world did not start (%s)\n", path);
        return CT_UNAVAILABLE;
    }
    return CT_OK;
}

/* PUT /admin/clock {"now": t, "speed": 0}. */
static ct_status set_clock(recorder *r, int64_t t)
{
    char iso[40], body[128];
    ct_utc_format((ct_utc)t, iso, sizeof(iso));
    snprintf(body, sizeof(body), "{\"now\":\"%s\",\"speed\":0}", iso);
    CURL *h = curl_easy_init();
    if (h == NULL)
        return CT_NOMEM;
    struct curl_slist *hdr = curl_slist_append(NULL, "Content-Type: application/json");
    FILE *sink = fopen("/dev/null", "w");
    curl_easy_setopt(h, CURLOPT_URL, r->clock_url);
    curl_easy_setopt(h, CURLOPT_CUSTOMREQUEST, "PUT");
    curl_easy_setopt(h, CURLOPT_POSTFIELDS, body);
    curl_easy_setopt(h, CURLOPT_HTTPHEADER, hdr);
    curl_easy_setopt(h, CURLOPT_TIMEOUT, 10L);
    curl_easy_setopt(h, CURLOPT_WRITEDATA, sink);
    CURLcode cc = curl_easy_perform(h);
    long status = 0;
    curl_easy_getinfo(h, CURLINFO_RESPONSE_CODE, &status);
    curl_easy_cleanup(h);
    curl_slist_free_all(hdr);
    if (sink != NULL)
        fclose(sink);
    if (cc != CURLE_OK || status != 200) {
        fprintf(stderr, "contrail: PUT %s failed (%s, HTTP %ld)\n", r->clock_url,
                curl_easy_strerror(cc), status);
        return CT_UNAVAILABLE;
    }
    return CT_OK;
}

static ct_status open_schedules(recorder *r)
{
    ct_status rc = ct_app_store_open(r->cfg, &r->st);
    if (rc)
        return rc;
    rc = ct_refdata_load(r->st, &r->rd);
    if (rc == CT_NOT_FOUND) {
        rc = ct_app_refdata_import(r->st, r->cfg);
        if (!rc)
            rc = ct_refdata_load(r->st, &r->rd);
    }
    if (rc) {
        fprintf(stderr, "contrail: cannot load reference data: %s\n", ct_status_name(rc));
        return rc;
    }
    const char *ssim = json_string_value(json_object_get(r->doc, "ssim_dir"));
    char **files = NULL;
    size_t n = 0;
    rc = ssim != NULL ? ct_app_ssim_files(ssim, &files, &n) : CT_NOT_FOUND;
    int hit = 0;
    if (!rc)
        rc = ct_app_timetable_open(r->rd, (const char *const *)files, n, r->now / 86400,
                                   (int)(r->days + r->horizon + 2), "", &r->tt, &hit);
    ct_app_files_free(files, n);
    if (rc)
        fprintf(stderr, "contrail: cannot load the world's schedules: %s\n", ct_status_name(rc));
    return rc;
}

static ct_status start_ingest(recorder *r)
{
    ct_app_prices_read_providers(&r->prices, r->doc);
    ct_ingest_config *ic = &r->prices.ingest_cfg;
    if (ic->nproviders == 0) {
        fprintf(stderr, "contrail: the world has no providers\n");
        return CT_UNAVAILABLE;
    }
    /* The mail server mounts the clock's admin endpoints (so does the payment processor). */
    const char *mail = json_string_value(json_object_get(json_object_get(r->doc, "mail"), "url"));
    if (mail == NULL || strncmp(mail, "http://", 7) != 0) {
        fprintf(stderr, "contrail: world.json names no mail server URL\n");
        return CT_UNAVAILABLE;
    }
    size_t host = strcspn(mail + 7, "/") + 7;
    snprintf(r->clock_url, sizeof(r->clock_url), "%.*s/admin/clock", (int)host, mail);
    ic->today = r->now / 86400;
    ic->from_day = r->now / 86400;
    ic->to_day = r->now / 86400 + r->days + r->horizon;
    if (ct_pricebook_new(r->tt, &r->prices.pricebook) != CT_OK)
        return CT_NOMEM;
    return ct_ingest_new(r->prices.pricebook, ic, &r->prices.ingest);
}

/* One snapshot -> one CSV line (departures still ahead only). */
static void write_row(void *ctx, uint16_t from, uint16_t to, int64_t day, int cabin,
                      const ct_predict_snapshot *s)
{
    recorder *r = ctx;
    ct_predict_obs o;
    memset(&o, 0, sizeof(o));
    const ct_airport *a = ct_refdata_airport_at(r->rd, from), *b = ct_refdata_airport_at(r->rd, to);
    snprintf(o.origin, sizeof(o.origin), "%s", a->iata);
    snprintf(o.destination, sizeof(o.destination), "%s", b->iata);
    o.day = day;
    o.cabin = cabin;
    o.at = r->now;
    o.days_before = (double)(day * 86400 - r->now) / 86400.0;
    o.s = *s;
    if (o.days_before > 0 && ct_predict_obs_write(r->out, &o) == CT_OK)
        r->rows++;
}

static ct_status record_step(recorder *r)
{
    ct_status rc = set_clock(r, r->now);
    if (!rc)
        rc = ct_ingest_sync_once(r->prices.ingest);
    if (rc) {
        fprintf(stderr, "contrail: sync at step %zu failed: %s\n", r->steps, ct_status_name(rc));
        return rc;
    }
    ct_pb_view v;
    ct_pricebook_acquire(r->prices.pricebook, &v);
    int64_t today = r->now / 86400;
    rc = ct_predict_snapshot_all(&v, today, today + r->horizon, write_row, r);
    ct_pricebook_release(r->prices.pricebook, &v);
    r->steps++;
    return rc;
}

static void recorder_close(recorder *r)
{
    ct_ingest_free(r->prices.ingest);
    ct_pricebook_free(r->prices.pricebook);
    ct_app_sandbox_stop(r->world);
    ct_timetable_free(r->tt);
    ct_refdata_free(r->rd);
    ct_store_close(r->st);
    json_decref(r->doc);
    if (r->out != NULL)
        fclose(r->out);
}

static int cmd_record(ct_config *cfg)
{
    recorder r;
    memset(&r, 0, sizeof(r));
    r.cfg = cfg;
    default_flag(cfg, "sandbox_dir", "var/prices/sandbox");
    default_flag(cfg, "sandbox_size", "small");
    default_flag(cfg, "sandbox_smtp_port", "0");
    default_flag(cfg, "db", "sqlite:var/prices/refdata.db");
    if (!get_int(cfg, "record_days", 150, 1, 330, &r.days) ||
        !get_int(cfg, "record_step_hours", 24, 1, 240, &r.step_hours) ||
        !get_int(cfg, "record_horizon", 60, 1, 300, &r.horizon))
        return 2;
    const char *path = ct_config_get(cfg, "observations", CT_APP_DEFAULT_OBSERVATIONS);
    double t0 = mono_now();
    r.world = ct_app_sandbox_start(cfg); /* before any thread */
    if (r.world < 0)
        return 1;
    curl_global_init(CURL_GLOBAL_DEFAULT);
    r.now = ct_utc_now() / 86400 * 86400;
    ct_status rc = wait_world(&r);
    if (!rc)
        rc = open_schedules(&r);
    if (!rc)
        rc = start_ingest(&r);
    if (!rc) {
        snprintf(r.tmp, sizeof(r.tmp), "%s.tmp", path);
        ct_file_make_parents(path);
        r.out = fopen(r.tmp, "w");
        rc = r.out != NULL ? ct_predict_obs_write_header(r.out) : CT_IO;
    }
    int64_t end = r.now + r.days * 86400;
    for (; !rc && r.now < end; r.now += r.step_hours * 3600) {
        rc = record_step(&r);
        if (r.steps % 20 == 0)
            fprintf(stderr, "record: world %lld days in, %zu observations\n",
                    (long long)(r.steps * (size_t)r.step_hours / 24), r.rows);
    }
    if (!rc && fflush(r.out) != 0)
        rc = CT_IO;
    if (r.out != NULL) {
        fclose(r.out);
        r.out = NULL;
    }
    if (!rc && rename(r.tmp, path) != 0)
        rc = CT_IO;
    double secs = mono_now() - t0;
    recorder_close(&r);
    curl_global_cleanup();
    if (rc) {
        fprintf(stderr, "contrail: record failed: %s\n", ct_status_name(rc));
        return 1;
    }
    printf("recorded %zu observations in %zu steps of %ld world hours (%ld world days, "
           "departures up to %ld days ahead) into %s in %.1f s\n",
           r.rows, r.steps, r.step_hours, r.days, r.horizon, path, secs);
    return 0;
}

/* ---- backtest ---- */

/* Both predictions for every row of the set, in one pass of batches. The caller frees
 * *change and *low. */
static ct_status predict_all(ct_predict_model *m, const ct_predict_set *set, float **change,
                             float **low)
{
    enum { BATCH = 65536 };
    *change = ct_malloc((set->n + 1) * sizeof(float));
    *low = ct_malloc((set->n + 1) * sizeof(float));
    float *x = ct_malloc((size_t)BATCH * CT_PREDICT_NFEATURES * sizeof(float));
    ct_status rc = *change && *low && x ? CT_OK : CT_NOMEM;
    for (size_t i = 0; !rc && i < set->n; i += BATCH) {
        size_t n = set->n - i < BATCH ? set->n - i : BATCH;
        for (size_t k = 0; k < n; k++)
            ct_predict_features(&set->a[i + k], x + k * CT_PREDICT_NFEATURES);
        rc = ct_predict_run(m, x, n, *change + i, *low + i);
    }
    ct_free(x);
    return rc;
}

/* Evaluates one series [i, end) with its predictions: its buyers and its labelled rows. */
static ct_status backtest_series(ct_predict_backtest *bt, const ct_predict_set *set,
                                 const float *change, const float *low, size_t i, size_t end)
{
    size_t n = end - i;
    double *price = ct_malloc(n * sizeof(double)), *days = ct_malloc(n * sizeof(double));
    ct_status rc = price && days ? CT_OK : CT_NOMEM;
    for (size_t k = 0; !rc && k < n; k++) {
        price[k] = set->a[i + k].s.price_usd;
        days[k] = set->a[i + k].days_before;
    }
    if (!rc) {
        ct_predict_backtest_series(bt, price, days, low + i, n);
        for (size_t k = 0; k < n; k++) {
            double y, y_low;
            if (ct_predict_label(set, i + k, end, &y, &y_low))
                ct_predict_backtest_rise(bt, change[i + k], y);
        }
    }
    ct_free(price);
    ct_free(days);
    return rc;
}

/* Runs every series of `part` through bt (set up by the caller) with the predictions of
 * every row (only the validation routes' with `validation`); *series and *nrows (may be
 * NULL) count them. */
static ct_status evaluate(ct_predict_backtest *bt, const ct_predict_set *set, const float *change,
                          const float *low, int held, ct_predict_part part, int validation,
                          size_t *series, size_t *nrows)
{
    ct_status rc = CT_OK;
    size_t ns = 0, nr = 0;
    for (size_t i = 0; !rc && i < set->n;) {
        size_t end = ct_predict_series_end(set, i);
        if (ct_predict_split(&set->a[i], held) == part &&
            (!validation || ct_predict_validation_route(&set->a[i]))) {
            rc = backtest_series(bt, set, change, low, i, end);
            ns++;
            nr += end - i;
        }
        i = end;
    }
    if (series != NULL)
        *series = ns;
    if (nrows != NULL)
        *nrows = nr;
    return rc;
}

static void backtest_setup(ct_predict_backtest *bt, double rise, double margin)
{
    memset(bt, 0, sizeof(*bt));
    bt->arrive_min = 1;
    bt->arrive_max = 60;
    int buy_days[] = {7, 14, 21, 30};
    bt->nbuy_days = 4;
    memcpy(bt->buy_days, buy_days, sizeof(buy_days));
    bt->rise_threshold = rise;
    bt->wait_margin = margin;
    ct_predict_backtest_init(bt);
}

/* The margin whose model buyers save most on the validation routes' series. */
static ct_status choose_margin(ct_predict_model *m, const ct_predict_set *set, int held)
{
    float *change = NULL, *low = NULL;
    ct_status rc = predict_all(m, set, &change, &low);
    double best = 0, best_share = -1e300;
    for (int k = 0; !rc && ct_predict_margins[k] >= 0; k++) {
        ct_predict_backtest bt;
        backtest_setup(&bt, 0.05, ct_predict_margins[k]);
        rc = evaluate(&bt, set, change, low, held, CT_PREDICT_TRAIN, 1, NULL, NULL);
        double share = ct_predict_savings_share(&bt.r[0]);
        printf("  margin %.1f %%: %.1f %% of the clairvoyant's savings on the validation routes\n",
               100.0 * ct_predict_margins[k], 100.0 * share);
        if (!rc && share > best_share) {
            best_share = share;
            best = ct_predict_margins[k];
        }
    }
    ct_free(change);
    ct_free(low);
    ct_predict_model_set_margin(m, best);
    return rc;
}

/* ---- train ---- */

typedef struct rows {
    float *x, *change, *low;
    size_t n, cap;
} rows;

static float clip(double y)
{
    return (float)(y < -0.5 ? -0.5 : y > 1.0 ? 1.0 : y);
}

static ct_status rows_add(rows *r, const ct_predict_obs *o, double change, double low)
{
    if (r->n == r->cap) {
        size_t cap = r->cap ? 2 * r->cap : 4096;
        float *x = ct_realloc(r->x, cap * CT_PREDICT_NFEATURES * sizeof(float));
        if (x == NULL)
            return CT_NOMEM;
        r->x = x;
        float *c = ct_realloc(r->change, cap * sizeof(float));
        if (c == NULL)
            return CT_NOMEM;
        r->change = c;
        float *l = ct_realloc(r->low, cap * sizeof(float));
        if (l == NULL)
            return CT_NOMEM;
        r->low = l;
        r->cap = cap;
    }
    ct_predict_features(o, r->x + r->n * CT_PREDICT_NFEATURES);
    r->change[r->n] = clip(change);
    r->low[r->n++] = clip(low);
    return CT_OK;
}

static void rows_free(rows *r)
{
    ct_free(r->x);
    ct_free(r->change);
    ct_free(r->low);
}

static int read_set(const ct_config *cfg, ct_predict_set *set)
{
    char err[512];
    const char *path = ct_config_get(cfg, "observations", CT_APP_DEFAULT_OBSERVATIONS);
    if (ct_predict_set_read(path, set, err, sizeof(err)) != CT_OK) {
        fprintf(stderr, "contrail: %s\n", err);
        return 0;
    }
    return 1;
}

static int cmd_train(const ct_config *cfg)
{
    long rounds, depth, held;
    if (!get_int(cfg, "train_rounds", 200, 1, 100000, &rounds) ||
        !get_int(cfg, "train_depth", 6, 1, 20, &depth) ||
        !get_int(cfg, "held_percent", 40, 1, 90, &held))
        return 2;
    ct_predict_set set;
    if (!read_set(cfg, &set))
        return 1;
    rows r = {0};
    ct_status rc = CT_OK;
    for (size_t i = 0; !rc && i < set.n;) {
        size_t end = ct_predict_series_end(&set, i);
        for (; !rc && i < end; i++) {
            double change, low;
            if (ct_predict_split(&set.a[i], (int)held) == CT_PREDICT_TRAIN &&
                !ct_predict_validation_route(&set.a[i]) &&
                ct_predict_label(&set, i, end, &change, &low))
                rc = rows_add(&r, &set.a[i], change, low);
        }
    }
    ct_predict_train_params p = {(int)rounds, (int)depth, 0.1, 1, 1};
    ct_predict_model *m = NULL;
    char err[512] = "";
    double t0 = mono_now();
    if (!rc)
        rc = ct_predict_train(r.x, r.change, r.low, r.n, &p, &m, err, sizeof(err));
    double secs = mono_now() - t0;
    if (!rc)
        rc = choose_margin(m, &set, (int)held);
    const char *path = ct_config_get(cfg, "price_model", CT_APP_DEFAULT_PRICE_MODEL);
    if (!rc)
        rc = ct_predict_model_save(m, path, err, sizeof(err));
    if (!rc)
        printf("trained on %zu labelled rows of %zu observations (%ld %% of routes and dates held"
               " back for the backtest, %d %% of the other routes for the margin) in %.1f s: two "
               "boosters of %ld rounds of depth %ld, low RMSE %.4f, wait margin"
               " %.1f %%; model %s\n",
               r.n, set.n, held, CT_PREDICT_VALIDATION_PCT, secs, rounds, depth,
               ct_predict_model_rmse(m), 100.0 * ct_predict_model_margin(m), path);
    else
        fprintf(stderr, "contrail: train failed: %s\n", err[0] ? err : ct_status_name(rc));
    ct_predict_model_free(m);
    rows_free(&r);
    ct_predict_set_free(&set);
    return rc ? 1 : 0;
}

static int cmd_backtest(const ct_config *cfg)
{
    long held, rise;
    if (!get_int(cfg, "held_percent", 40, 1, 90, &held) ||
        !get_int(cfg, "rise_percent", 5, 0, 100, &rise))
        return 2;
    char err[512];
    ct_predict_model *m = NULL;
    const char *path = ct_config_get(cfg, "price_model", CT_APP_DEFAULT_PRICE_MODEL);
    if (ct_predict_model_load(path, &m, err, sizeof(err)) != CT_OK) {
        fprintf(stderr, "contrail: %s\n", err);
        return 1;
    }
    ct_predict_set set;
    if (!read_set(cfg, &set)) {
        ct_predict_model_free(m);
        return 1;
    }
    ct_predict_backtest bt;
    backtest_setup(&bt, (double)rise / 100.0, ct_predict_model_margin(m));
    size_t series = 0, test_rows = 0;
    float *change = NULL, *low = NULL;
    ct_status rc = predict_all(m, &set, &change, &low);
    if (!rc)
        rc = evaluate(&bt, &set, change, low, (int)held, CT_PREDICT_TEST, 0, &series, &test_rows);
    ct_free(change);
    ct_free(low);
    if (!rc) {
        printf("backtest on %zu held-back series (%zu observations of %zu; routes and departure"
               " dates both held back, %ld %%), buyers arriving %.0f to %.0f days before "
               "departure, wait margin %.1f %%:\n\n",
               series, test_rows, set.n, held, bt.arrive_min, bt.arrive_max,
               100.0 * bt.wait_margin);
        ct_predict_backtest_print(&bt, stdout);
    } else {
        fprintf(stderr, "contrail: backtest failed: %s\n", ct_status_name(rc));
    }
    ct_predict_set_free(&set);
    ct_predict_model_free(m);
    return rc ? 1 : 0;
}

int ct_app_prices_main(ct_config *cfg)
{
    const char *what = ct_config_positional(cfg, 1);
    if (what != NULL && ct_config_npositional(cfg) == 2) {
        if (strcmp(what, "record") == 0)
            return cmd_record(cfg);
        if (strcmp(what, "train") == 0)
            return cmd_train(cfg);
        if (strcmp(what, "backtest") == 0)
            return cmd_backtest(cfg);
    }
    fprintf(stderr, "contrail: usage: contrail prices record | train | backtest [flags]\n");
    return 2;
}
