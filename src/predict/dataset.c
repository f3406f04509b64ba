/* dataset.c: recorded observations, their labels, features and the held-back split (see
 * predict.h, "Observations" and "The split").
 *
 * The file is CSV with a header line:
 *
 *   origin,destination,date,cabin,observed_at,days_before,price_usd,nflights,ladder,
 *   second_ratio,cheapest_share
 *
 * (date YYYY-MM-DD, cabin economy|business, observed_at Unix seconds). It is read with
 * sscanf, line by line: the format is ours and fixed, so no CSV library is needed. The
 * split hashes with FNV-1a (a fixed, documented function: the held-back sets must not
 * change between `train` and `backtest`, or with the library's version). */
#include "predict/predict.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "base/alloc.h"
#include "base/timeutil.h"

ct_status ct_predict_obs_write_header(FILE *f)
{
    int n = fprintf(f, "origin,destination,date,cabin,observed_at,days_before,price_usd,nflights,"
                       "ladder,second_ratio,cheapest_share\n");
    return n < 0 ? CT_IO : CT_OK;
}

ct_status ct_predict_obs_write(FILE *f, const ct_predict_obs *o)
{
    char date[16];
    ct_date_format(o->day, date, sizeof(date));
    int n = fprintf(f, "%s,%s,%s,%s,%lld,%.4f,%.2f,%d,%.4f,%.4f,%.3f\n", o->origin, o->destination,
                    date, ct_cabin_name(o->cabin), (long long)o->at, o->days_before, o->s.price_usd,
                    o->s.nflights, o->s.ladder, o->s.second_ratio, o->s.cheapest_share);
    return n < 0 ? CT_IO : CT_OK;
}

ct_status ct_predict_set_add(ct_predict_set *s, const ct_predict_obs *o)
{
    if (s->n == s->cap) {
        size_t cap = s->cap ? 2 * s->cap : 4096;
        ct_predict_obs *a = ct_realloc(s->a, cap * sizeof(*a));
        if (a == NULL)
            return CT_NOMEM;
        s->a = a;
        s->cap = cap;
    }
    s->a[s->n++] = *o;
    return CT_OK;
}

/* Parses one data line into *o: CT_OK or CT_INVALID. */
static ct_status parse_line(const char *line, ct_predict_obs *o)
{
    char date[16], cabin[16];
    long long at = 0;
    memset(o, 0, sizeof(*o));
    int got = sscanf(line, "%3[A-Z0-9],%3[A-Z0-9],%15[0-9-],%15[a-z_],%lld,%lf,%lf,%d,%lf,%lf,%lf",
                     o->origin, o->destination, date, cabin, &at, &o->days_before, &o->s.price_usd,
                     &o->s.nflights, &o->s.ladder, &o->s.second_ratio, &o->s.cheapest_share);
    if (got != 11 || ct_date_parse(date, &o->day) != CT_OK)
        return CT_INVALID;
    ct_cabin cab;
    if (ct_cabin_parse(cabin, &cab) != 0)
        return CT_INVALID;
    o->cabin = (int)cab;
    o->at = at;
    return o->s.price_usd > 0 ? CT_OK : CT_INVALID;
}

ct_status ct_predict_set_read(const char *path, ct_predict_set *out, char *err, size_t errlen)
{
    memset(out, 0, sizeof(*out));
    FILE *f = fopen(path, "r");
    if (f == NULL) {
        snprintf(err, errlen, "%s: cannot open", path);
        return CT_IO;
    }
    ct_status rc = CT_OK;
    char line[512];
    size_t lineno = 0;
    while (fgets(line, sizeof(line), f) != NULL) {
        lineno++;
        if (lineno == 1 && strncmp(line, "origin,", 7) == 0)
            continue;
        ct_predict_obs o;
        rc = parse_line(line, &o);
        if (rc) {
            snprintf(err, errlen, "%s:%zu: not an observation line", path, lineno);
            break;
        }
        rc = ct_predict_set_add(out, &o);
        if (rc)
            break;
    }
    fclose(f);
    if (rc)
        ct_predict_set_free(out);
    else
        ct_predict_set_sort(out);
    return rc;
}

static int obs_cmp(const void *x, const void *y)
{
    const ct_predict_obs *a = x, *b = y;
    int c = strcmp(a->origin, b->origin);
    if (c == 0)
        c = strcmp(a->destination, b->destination);
    if (c != 0)
        return c;
    if (a->day != b->day)
        return a->day < b->day ? -1 : 1;
    if (a->cabin != b->cabin)
        return a->cabin < b->cabin ? -1 : 1;
    return (a->at > b->at) - (a->at < b->at);
}

void ct_predict_set_sort(ct_predict_set *s)
{
    if (s->n > 1)
        qsort(s->a, s->n, sizeof(*s->a), obs_cmp);
}

void ct_predict_set_free(ct_predict_set *s)
{
    ct_free(s->a);
    memset(s, 0, sizeof(*s));
}

static int same_series(const ct_predict_obs *a, const ct_predict_obs *b)
{
    return a->day == b->day && a->cabin == b->cabin && strcmp(a->origin, b->origin) == 0 &&
           strcmp(a->destination, b->destination) == 0;
}

size_t ct_predict_series_end(const ct_predict_set *s, size_t i)
{
    size_t j = i + 1;
    while (j < s->n && same_series(&s->a[i], &s->a[j]))
        j++;
    return j;
}

int ct_predict_label(const ct_predict_set *s, size_t i, size_t end, double *change, double *low)
{
    const ct_predict_obs *o = &s->a[i];
    int64_t horizon = o->at + (int64_t)CT_PREDICT_WITHIN_DAYS * 86400;
    double lowest = o->s.price_usd;
    size_t j = i + 1;
    for (; j < end && s->a[j].at < horizon; j++)
        lowest = s->a[j].s.price_usd < lowest ? s->a[j].s.price_usd : lowest;
    const ct_predict_obs *later = NULL;
    if (j < end && s->a[j].at <= horizon + 86400)
        later = &s->a[j];
    else if (j == end && end > i + 1 && s->a[end - 1].days_before < 1.5 &&
             o->days_before < CT_PREDICT_WITHIN_DAYS + 1)
        later = &s->a[end - 1]; /* departure comes first: the last price before it */
    if (later == NULL)
        return 0;
    lowest = later->s.price_usd < lowest ? later->s.price_usd : lowest;
    *change = later->s.price_usd / o->s.price_usd - 1.0;
    *low = lowest / o->s.price_usd - 1.0;
    return 1;
}

void ct_predict_features(const ct_predict_obs *o, float out[CT_PREDICT_NFEATURES])
{
    out[0] = (float)o->days_before;
    out[1] = (float)(((o->day % 7) + 7 + 3) % 7); /* 1970-01-01 was a Thursday: 0 = Monday */
    out[2] = (float)o->cabin;
    out[3] = (float)o->s.ladder;
    out[4] = (float)o->s.nflights;
    out[5] = (float)o->s.second_ratio;
    out[6] = (float)o->s.cheapest_share;
    out[7] = (float)log(o->s.price_usd > 1 ? o->s.price_usd : 1);
}

static uint32_t fnv1a(const void *data, size_t n, uint32_t h)
{
    const unsigned char *p = data;
    for (size_t i = 0; i < n; i++) {
        h ^= p[i];
        h *= 16777619u;
    }
    return h;
}

int ct_predict_route_held(const char *origin, const char *destination, int held_pct)
{
    const char *lo = strcmp(origin, destination) < 0 ? origin : destination;
    const char *hi = lo == origin ? destination : origin;
    uint32_t h = fnv1a(lo, strlen(lo), 2166136261u);
    h = fnv1a("-", 1, h);
    h = fnv1a(hi, strlen(hi), h);
    return (int)(h % 100u) < held_pct;
}

int ct_predict_day_held(int64_t day, int held_pct)
{
    char text[24];
    snprintf(text, sizeof(text), "day:%lld", (long long)day);
    return (int)(fnv1a(text, strlen(text), 2166136261u) % 100u) < held_pct;
}

ct_predict_part ct_predict_split(const ct_predict_obs *o, int held_pct)
{
    int route = ct_predict_route_held(o->origin, o->destination, held_pct);
    int day = ct_predict_day_held(o->day, held_pct);
    if (!route && !day)
        return CT_PREDICT_TRAIN;
    return route && day ? CT_PREDICT_TEST : CT_PREDICT_UNUSED;
}

int ct_predict_validation_route(const ct_predict_obs *o)
{
    const char *lo = strcmp(o->origin, o->destination) < 0 ? o->origin : o->destination;
    const char *hi = lo == o->origin ? o->destination : o->origin;
    uint32_t h = fnv1a("validation:", 11, 2166136261u);
    h = fnv1a(lo, strlen(lo), h);
    h = fnv1a("-", 1, h);
    h = fnv1a(hi, strlen(hi), h);
    return (int)(h % 100u) < CT_PREDICT_VALIDATION_PCT;
}
