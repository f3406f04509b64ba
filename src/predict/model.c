/* model.c: the gradient-boosted model through xgboost's C API (see predict.h, "The model").
 *
 * Training builds one DMatrix from the caller's rows and two boosters on histogram trees
 * (the change: reg:absoluteerror; the lowest price: reg:squarederror), runs the rounds, then
 * measures each one's residual RMSE on the training rows. The file is a small JSON document
 * (jansson) holding both boosters as base64 (libsodium) of xgboost's UBJSON serialisation
 * and the RMSEs, so one file is the whole model. Prediction builds a DMatrix of the rows;
 * a mutex per model serialises the calls (concurrent predictions on one booster are not
 * documented as safe in xgboost 1.7; serve caches answers, so the lock is rarely contended).
 * A loaded booster predicts on one thread: a search answer asks for one row, and OpenMP's
 * team of threads for it cost a hundred times the trees' walk. */
#include "predict/predict.h"

#include <math.h>
#include <pthread.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <jansson.h>
#include <sodium.h>
#include <xgboost/c_api.h>

#include "base/alloc.h"
#include "base/fileutil.h"

struct ct_predict_model {
    BoosterHandle change, low;
    double change_rmse, low_rmse;
    double margin;
    pthread_mutex_t mu;
};

static void set_quiet(void)
{
    XGBSetGlobalConfig("{\"verbosity\":0}");
}

static void quiet_once(void)
{
    static pthread_once_t once = PTHREAD_ONCE_INIT;
    pthread_once(&once, set_quiet);
}

static ct_status xgb_failed(char *err, size_t errlen, const char *what)
{
    snprintf(err, errlen, "xgboost %s: %s", what, XGBGetLastError());
    return CT_ERR;
}

void ct_predict_model_free(ct_predict_model *m)
{
    if (m == NULL)
        return;
    if (m->change != NULL)
        XGBoosterFree(m->change);
    if (m->low != NULL)
        XGBoosterFree(m->low);
    pthread_mutex_destroy(&m->mu);
    ct_free(m);
}

static ct_predict_model *model_new(void)
{
    ct_predict_model *m = ct_calloc(1, sizeof(*m));
    if (m != NULL) {
        pthread_mutex_init(&m->mu, NULL);
        m->margin = CT_PREDICT_WAIT_MARGIN;
    }
    return m;
}

static ct_status set_params(BoosterHandle b, const char *objective,
                            const ct_predict_train_params *p, char *err, size_t errlen)
{
    char depth[16], eta[32], threads[16], seed[16];
    snprintf(depth, sizeof(depth), "%d", p->max_depth > 0 ? p->max_depth : 6);
    snprintf(eta, sizeof(eta), "%g", p->eta > 0 ? p->eta : 0.1);
    snprintf(threads, sizeof(threads), "%d", p->threads > 0 ? p->threads : 1);
    snprintf(seed, sizeof(seed), "%d", p->seed > 0 ? p->seed : 1);
    const char *kv[][2] = {
        {"objective", objective}, {"tree_method", "hist"}, {"max_depth", depth},      {"eta", eta},
        {"nthread", threads},     {"seed", seed},          {"min_child_weight", "5"},
    };
    for (size_t i = 0; i < sizeof(kv) / sizeof(kv[0]); i++) {
        if (XGBoosterSetParam(b, kv[i][0], kv[i][1]) != 0)
            return xgb_failed(err, errlen, "parameter");
    }
    return CT_OK;
}

/* Trains one booster on x (in *d) with labels y; its residual RMSE into *rmse. */
static ct_status train_one(const float *x, const float *y, size_t n, const char *objective,
                           const ct_predict_train_params *p, BoosterHandle *out, double *rmse,
                           char *err, size_t errlen)
{
    DMatrixHandle d = NULL;
    BoosterHandle b = NULL;
    ct_status rc = CT_OK;
    if (XGDMatrixCreateFromMat(x, (bst_ulong)n, CT_PREDICT_NFEATURES, NAN, &d) != 0 ||
        XGDMatrixSetFloatInfo(d, "label", y, (bst_ulong)n) != 0 || XGBoosterCreate(&d, 1, &b) != 0)
        rc = xgb_failed(err, errlen, "matrix");
    if (!rc)
        rc = set_params(b, objective, p, err, errlen);
    int rounds = p->rounds > 0 ? p->rounds : 200;
    for (int i = 0; !rc && i < rounds; i++) {
        if (XGBoosterUpdateOneIter(b, i, d) != 0)
            rc = xgb_failed(err, errlen, "training");
    }
    bst_ulong len = 0;
    const float *pred = NULL;
    if (!rc && (XGBoosterPredict(b, d, 0, 0, 0, &len, &pred) != 0 || len != n))
        rc = xgb_failed(err, errlen, "predict");
    if (!rc) {
        double sum = 0;
        for (size_t i = 0; i < n; i++)
            sum += ((double)pred[i] - y[i]) * ((double)pred[i] - y[i]);
        *rmse = sqrt(sum / (double)n);
        *out = b;
        b = NULL;
    }
    if (b != NULL)
        XGBoosterFree(b);
    if (d != NULL)
        XGDMatrixFree(d);
    return rc;
}

ct_status ct_predict_train(const float *x, const float *y_change, const float *y_low, size_t n,
                           const ct_predict_train_params *p, ct_predict_model **out, char *err,
                           size_t errlen)
{
    if (n == 0) {
        snprintf(err, errlen, "no training rows");
        return CT_INVALID;
    }
    quiet_once();
    ct_predict_model *m = model_new();
    if (m == NULL)
        return CT_NOMEM;
    ct_status rc =
        train_one(x, y_change, n, "reg:absoluteerror", p, &m->change, &m->change_rmse, err, errlen);
    if (!rc)
        rc = train_one(x, y_low, n, "reg:squarederror", p, &m->low, &m->low_rmse, err, errlen);
    if (rc) {
        ct_predict_model_free(m);
        return rc;
    }
    *out = m;
    return CT_OK;
}

/* The booster as base64 of its UBJSON serialisation (a jansson string), or NULL. */
static json_t *booster_text(BoosterHandle b)
{
    bst_ulong len = 0;
    const char *raw = NULL;
    if (XGBoosterSaveModelToBuffer(b, "{\"format\":\"ubj\"}", &len, &raw) != 0)
        return NULL;
    size_t cap = sodium_base64_encoded_len(len, sodium_base64_VARIANT_ORIGINAL);
    char *text = ct_malloc(cap);
    if (text == NULL)
        return NULL;
    sodium_bin2base64(text, cap, (const unsigned char *)raw, len, sodium_base64_VARIANT_ORIGINAL);
    json_t *s = json_string(text);
    ct_free(text);
    return s;
}

ct_status ct_predict_model_save(ct_predict_model *m, const char *path, char *err, size_t errlen)
{
    pthread_mutex_lock(&m->mu);
    json_t *change = booster_text(m->change), *low = booster_text(m->low);
    pthread_mutex_unlock(&m->mu);
    json_t *doc =
        json_pack("{s:s, s:i, s:i, s:i, s:f, s:f, s:f, s:o*, s:o*}", "format",
                  "contrail-price-model", "version", 1, "features", CT_PREDICT_NFEATURES,
                  "within_days", CT_PREDICT_WITHIN_DAYS, "change_rmse", m->change_rmse, "low_rmse",
                  m->low_rmse, "wait_margin", m->margin, "change", change, "low", low);
    ct_status rc = CT_OK;
    if (doc == NULL || json_object_get(doc, "change") == NULL ||
        json_object_get(doc, "low") == NULL) {
        snprintf(err, errlen, "cannot serialise the model: %s", XGBGetLastError());
        rc = CT_ERR;
    } else {
        ct_file_make_parents(path);
        char tmp[1100];
        snprintf(tmp, sizeof(tmp), "%s.tmp", path);
        if (json_dump_file(doc, tmp, JSON_COMPACT) != 0 || rename(tmp, path) != 0) {
            snprintf(err, errlen, "%s: cannot write the model", path);
            rc = CT_IO;
        }
    }
    json_decref(doc);
    return rc;
}

/* A booster from the base64 member `key` of doc. */
static ct_status booster_load(const json_t *doc, const char *key, BoosterHandle *out)
{
    const char *text = json_string_value(json_object_get(doc, key));
    if (text == NULL)
        return CT_INVALID;
    size_t len = strlen(text), n = 0;
    unsigned char *raw = ct_malloc(len + 1);
    if (raw == NULL)
        return CT_NOMEM;
    ct_status rc = CT_INVALID;
    BoosterHandle b = NULL;
    if (sodium_base642bin(raw, len + 1, text, len, NULL, &n, NULL,
                          sodium_base64_VARIANT_ORIGINAL) == 0 &&
        XGBoosterCreate(NULL, 0, &b) == 0 && XGBoosterLoadModelFromBuffer(b, raw, n) == 0 &&
        XGBoosterSetParam(b, "nthread", "1") == 0) {
        *out = b;
        b = NULL;
        rc = CT_OK;
    }
    if (b != NULL)
        XGBoosterFree(b);
    ct_free(raw);
    return rc;
}

ct_status ct_predict_model_load(const char *path, ct_predict_model **out, char *err, size_t errlen)
{
    struct stat st;
    if (stat(path, &st) != 0) {
        snprintf(err, errlen, "%s: no such file", path);
        return CT_NOT_FOUND;
    }
    quiet_once();
    json_error_t je;
    json_t *doc = json_load_file(path, 0, &je);
    const char *format = json_string_value(json_object_get(doc, "format"));
    ct_predict_model *m = model_new();
    ct_status rc = m == NULL ? CT_NOMEM : CT_OK;
    if (!rc && (format == NULL || strcmp(format, "contrail-price-model") != 0 ||
                json_integer_value(json_object_get(doc, "features")) != CT_PREDICT_NFEATURES))
        rc = CT_INVALID;
    if (!rc)
        rc = booster_load(doc, "change", &m->change);
    if (!rc)
        rc = booster_load(doc, "low", &m->low);
    if (!rc) {
        m->change_rmse = json_number_value(json_object_get(doc, "change_rmse"));
        m->low_rmse = json_number_value(json_object_get(doc, "low_rmse"));
        m->margin = json_number_value(json_object_get(doc, "wait_margin"));
        *out = m;
        m = NULL;
    } else {
        snprintf(err, errlen, "%s: not a Contrail price model (%s)", path,
                 doc == NULL ? je.text : "format, features or boosters");
    }
    ct_predict_model_free(m);
    json_decref(doc);
    return rc;
}

ct_status ct_predict_run(ct_predict_model *m, const float *x, size_t n, float *change, float *low)
{
    if (n == 0)
        return CT_OK;
    DMatrixHandle d = NULL;
    if (XGDMatrixCreateFromMat(x, (bst_ulong)n, CT_PREDICT_NFEATURES, NAN, &d) != 0)
        return CT_ERR;
    ct_status rc = CT_OK;
    BoosterHandle boosters[2] = {m->change, m->low};
    float *outs[2] = {change, low};
    pthread_mutex_lock(&m->mu);
    for (int k = 0; k < 2 && !rc; k++) {
        bst_ulong len = 0;
        const float *pred = NULL;
        if (outs[k] == NULL)
            continue;
        if (XGBoosterPredict(boosters[k], d, 0, 0, 0, &len, &pred) != 0 || len != n)
            rc = CT_ERR;
        else
            memcpy(outs[k], pred, n * sizeof(float));
    }
    pthread_mutex_unlock(&m->mu);
    XGDMatrixFree(d);
    return rc;
}

double ct_predict_model_rmse(const ct_predict_model *m)
{
    return m->low_rmse;
}

double ct_predict_model_margin(const ct_predict_model *m)
{
    return m->margin;
}

void ct_predict_model_set_margin(ct_predict_model *m, double margin)
{
    m->margin = margin;
}

const double ct_predict_margins[] = {0.0, 0.005, 0.01, 0.02, 0.03, 0.05, 0.08, 0.12, -1};

void ct_predict_advise(const ct_predict_model *m, double change, double low, ct_predict_advice *out)
{
    out->wait = low < -m->margin;
    out->change = out->wait ? low : change;
    double z = m->low_rmse > 0 ? fabs(low + m->margin) / m->low_rmse : 0;
    out->confidence = 0.5 + 0.5 * erf(z / sqrt(2.0));
    if (out->confidence > 0.99)
        out->confidence = 0.99;
}

ct_status ct_predict_route(ct_predict_model *m, const ct_pb_view *v, const uint16_t *orig,
                           int norig, const uint16_t *dest, int ndest, int64_t day, int cabin,
                           int64_t now, ct_predict_advice *out, ct_predict_snapshot *snap)
{
    ct_predict_obs o;
    memset(&o, 0, sizeof(o));
    o.day = day;
    o.cabin = cabin;
    o.at = now;
    o.days_before = (double)(day * 86400 - now) / 86400.0;
    if (o.days_before <= 0)
        return CT_NOT_FOUND;
    ct_status rc = ct_predict_snapshot_route(v, orig, norig, dest, ndest, day, cabin, &o.s);
    if (rc)
        return rc;
    float x[CT_PREDICT_NFEATURES], change = 0, low = 0;
    ct_predict_features(&o, x);
    rc = ct_predict_run(m, x, 1, &change, &low);
    if (rc)
        return rc;
    ct_predict_advise(m, change, low, out);
    if (snap != NULL)
        *snap = o.s;
    return CT_OK;
}
