/* history.c: route price history, its compaction and the insight distributions (see
 * history.h).
 *
 * Notes wait in one array under a mutex; a flush takes the array whole, sorts it by bucket
 * key and writes each bucket's minimum with an upsert that only ever lowers a stored price.
 * The distributions are one immutable table (a map from "ORIGIN|DEST|cabin" to a route's
 * bands per bucket) behind a read-write lock: a refresh builds a new table without the lock
 * and swaps the pointer under the write lock; readers copy the few numbers they need. */
#define _GNU_SOURCE
#include "history/history.h"

#include <ctype.h>
#include <math.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "base/alloc.h"
#include "base/log.h"
#include "base/map.h"

#define DAY  86400
#define HOUR 3600

typedef struct note {
    char origin[4], destination[4], currency[4];
    uint8_t cabin; /* index in CABINS */
    int64_t departure_day, hour, price;
} note;

typedef struct band {
    int n;
    double p25, p75; /* US cents */
} band;

typedef struct route_bands {
    band b[CT_HISTORY_BUCKETS + 1]; /* [CT_HISTORY_BUCKETS]: every bucket together */
} route_bands;

typedef struct dist_table {
    ct_map *map; /* key -> route_bands* inside `routes` */
    route_bands *routes;
    size_t n;
} dist_table;

struct ct_history {
    ct_history_options opt;
    pthread_mutex_t mu; /* pending notes */
    note *pending;
    size_t npending, cap;
    uint64_t dropped;
    pthread_rwlock_t lock; /* the distributions */
    dist_table *dist;
    int64_t legs_thinned_from;
    uint64_t generation;                                   /* under lock */
    ct_history_searched searched[CT_HISTORY_SEARCHED_MAX]; /* under mu; a ring */
    size_t nsearched, searched_next; /* observed_at from which price_observation is thinned next */
};

static const int BUCKET_LO[CT_HISTORY_BUCKETS] = {0, 7, 14, 28, 60};
static const char *const BUCKET_NAME[CT_HISTORY_BUCKETS] = {"0-6", "7-13", "14-27", "28-59", "60+"};

static int bucket_of(int64_t days_before)
{
    int b = 0;
    while (b + 1 < CT_HISTORY_BUCKETS && days_before >= BUCKET_LO[b + 1])
        b++;
    return b;
}

const char *ct_history_bucket_name(int b)
{
    return b >= 0 && b < CT_HISTORY_BUCKETS ? BUCKET_NAME[b] : "any";
}

const char *ct_insight_level_name(ct_insight_level l)
{
    static const char *const names[] = {NULL, "low", "typical", "high"};
    return l >= CT_INSIGHT_NONE && l <= CT_INSIGHT_HIGH ? names[l] : NULL;
}

static void dist_free(dist_table *d)
{
    if (d == NULL)
        return;
    ct_map_destroy(d->map);
    ct_free(d->routes);
    ct_free(d);
}

/* ---- lifetime ---- */

ct_status ct_history_new(const ct_history_options *opt, ct_history **out)
{
    ct_history *h = ct_calloc(1, sizeof(*h));
    if (h == NULL)
        return CT_NOMEM;
    if (opt != NULL)
        h->opt = *opt;
    if (h->opt.downsample_after_days <= 0)
        h->opt.downsample_after_days = 30;
    if (h->opt.retention_days == 0)
        h->opt.retention_days = 730;
    if (h->opt.window_days <= 0)
        h->opt.window_days = 365;
    if (h->opt.min_sample <= 0)
        h->opt.min_sample = 8;
    if (h->opt.max_pending == 0)
        h->opt.max_pending = 65536;
    pthread_mutex_init(&h->mu, NULL);
    pthread_rwlock_init(&h->lock, NULL);
    *out = h;
    return CT_OK;
}

void ct_history_free(ct_history *h)
{
    if (h == NULL)
        return;
    dist_free(h->dist);
    ct_free(h->pending);
    pthread_rwlock_destroy(&h->lock);
    pthread_mutex_destroy(&h->mu);
    ct_free(h);
}

int64_t ct_history_now(const ct_history *h)
{
    return h->opt.now != NULL ? h->opt.now() : (int64_t)time(NULL);
}

const ct_history_options *ct_history_options_of(const ct_history *h)
{
    return &h->opt;
}

/* ---- notes ---- */

/* Copies a 3-letter code upper-cased; 0 when it is not three letters or digits. */
static int copy_code(char out[4], const char *code)
{
    if (code == NULL || strlen(code) != 3)
        return 0;
    for (int i = 0; i < 3; i++) {
        if (!isalnum((unsigned char)code[i]))
            return 0;
        out[i] = (char)toupper((unsigned char)code[i]);
    }
    out[3] = '\0';
    return 1;
}

/* The cabins' words, as the search API and the pricebook spell them. */
static const char *const CABINS[] = {"economy", "business", "premium_economy", "first"};

static int cabin_of(const char *cabin)
{
    for (int c = 0; cabin != NULL && c < (int)(sizeof(CABINS) / sizeof(CABINS[0])); c++) {
        if (strcmp(cabin, CABINS[c]) == 0)
            return c;
    }
    return -1;
}

/* Remembers a searched route (under h->mu): refreshed in place, else the ring's oldest
 * replaced. A linear scan: at most a few thousand entries, cheaper than the search. */
static void remember_searched(ct_history *h, const note *n, const char *cabin)
{
    for (size_t i = 0; i < h->nsearched; i++) {
        ct_history_searched *e = &h->searched[i];
        if (e->departure_day == n->departure_day && strcmp(e->origin, n->origin) == 0 &&
            strcmp(e->destination, n->destination) == 0 && strcmp(e->cabin, cabin) == 0 &&
            strcmp(e->currency, n->currency) == 0) {
            e->searched_at = n->hour;
            return;
        }
    }
    ct_history_searched *e = &h->searched[h->searched_next];
    h->searched_next = (h->searched_next + 1) % CT_HISTORY_SEARCHED_MAX;
    if (h->nsearched < CT_HISTORY_SEARCHED_MAX)
        h->nsearched++;
    memcpy(e->origin, n->origin, 4);
    memcpy(e->destination, n->destination, 4);
    memcpy(e->currency, n->currency, 4);
    snprintf(e->cabin, sizeof(e->cabin), "%s", cabin);
    e->departure_day = n->departure_day;
    e->searched_at = n->hour;
}

static void note_add(ct_history *h, const char *origin, const char *destination,
                     int64_t departure_day, const char *cabin, const char *currency,
                     int64_t price_minor, int searched)
{
    if (h == NULL)
        return;
    note n;
    memset(&n, 0, sizeof(n));
    int cabin_ix = cabin_of(cabin);
    int64_t now = ct_history_now(h);
    int ok = copy_code(n.origin, origin) && copy_code(n.destination, destination) &&
             copy_code(n.currency, currency) && cabin_ix >= 0 && price_minor > 0 &&
             departure_day >= now / DAY; /* a past date's price is no price */
    n.cabin = (uint8_t)cabin_ix;
    n.departure_day = departure_day;
    n.price = price_minor;
    n.hour = now / HOUR * HOUR;
    pthread_mutex_lock(&h->mu);
    if (ok && h->npending == h->cap && h->cap < h->opt.max_pending) {
        size_t cap = h->cap ? h->cap * 2 : 256;
        cap = cap > h->opt.max_pending ? h->opt.max_pending : cap;
        note *p = ct_realloc(h->pending, cap * sizeof(note));
        if (p != NULL) {
            h->pending = p;
            h->cap = cap;
        }
    }
    if (ok && h->npending < h->cap)
        h->pending[h->npending++] = n;
    else
        h->dropped++;
    if (ok && searched) {
        n.hour = now; /* the search's own time */
        remember_searched(h, &n, cabin);
    }
    pthread_mutex_unlock(&h->mu);
}

void ct_history_note(ct_history *h, const char *origin, const char *destination,
                     int64_t departure_day, const char *cabin, const char *currency,
                     int64_t price_minor)
{
    note_add(h, origin, destination, departure_day, cabin, currency, price_minor, 1);
}

void ct_history_note_repriced(ct_history *h, const char *origin, const char *destination,
                              int64_t departure_day, const char *cabin, const char *currency,
                              int64_t price_minor)
{
    note_add(h, origin, destination, departure_day, cabin, currency, price_minor, 0);
}

static int searched_cmp(const void *x, const void *y)
{
    const ct_history_searched *a = x, *b = y;
    return (a->searched_at < b->searched_at) - (a->searched_at > b->searched_at);
}

size_t ct_history_searched_since(ct_history *h, int64_t since, ct_history_searched *out, size_t max)
{
    int64_t today = ct_history_now(h) / DAY;
    ct_history_searched *all = ct_malloc(sizeof(*all) * CT_HISTORY_SEARCHED_MAX);
    if (all == NULL)
        return 0;
    size_t n = 0;
    pthread_mutex_lock(&h->mu);
    for (size_t i = 0; i < h->nsearched; i++) {
        const ct_history_searched *e = &h->searched[i];
        if (e->searched_at >= since && e->departure_day >= today)
            all[n++] = *e;
    }
    pthread_mutex_unlock(&h->mu);
    qsort(all, n, sizeof(*all), searched_cmp); /* the most recent first */
    n = n < max ? n : max;
    memcpy(out, all, n * sizeof(*all));
    ct_free(all);
    return n;
}

size_t ct_history_pending(ct_history *h)
{
    pthread_mutex_lock(&h->mu);
    size_t n = h->npending;
    pthread_mutex_unlock(&h->mu);
    return n;
}

uint64_t ct_history_dropped(ct_history *h)
{
    pthread_mutex_lock(&h->mu);
    uint64_t n = h->dropped;
    pthread_mutex_unlock(&h->mu);
    return n;
}

/* The bucket key order (price last, so a run's first note is its minimum). */
static int note_cmp(const void *x, const void *y)
{
    const note *a = x, *b = y;
    int c = strcmp(a->origin, b->origin);
    if (c == 0)
        c = strcmp(a->destination, b->destination);
    if (c == 0 && a->departure_day != b->departure_day)
        c = a->departure_day < b->departure_day ? -1 : 1;
    if (c == 0 && a->cabin != b->cabin)
        c = a->cabin < b->cabin ? -1 : 1;
    if (c == 0)
        c = strcmp(a->currency, b->currency);
    if (c == 0 && a->hour != b->hour)
        c = a->hour < b->hour ? -1 : 1;
    if (c == 0 && a->price != b->price)
        c = a->price < b->price ? -1 : 1;
    return c;
}

static int same_bucket(const note *a, const note *b)
{
    return strcmp(a->origin, b->origin) == 0 && strcmp(a->destination, b->destination) == 0 &&
           a->departure_day == b->departure_day && a->cabin == b->cabin &&
           strcmp(a->currency, b->currency) == 0 && a->hour == b->hour;
}

static const char *const UPSERT_TAIL =
    " ON CONFLICT (origin, destination, departure_day, cabin, currency, span, observed_at)"
    " DO UPDATE SET price_minor = excluded.price_minor"
    " WHERE excluded.price_minor < route_price.price_minor";

static ct_status write_notes(ct_store *st, const note *a, size_t n, size_t *written)
{
    char sql[512];
    snprintf(sql, sizeof(sql),
             "INSERT INTO route_price (origin, destination, departure_day, cabin, currency,"
             " span, observed_at, price_minor) VALUES (?, ?, ?, ?, ?, 3600, ?, ?)%s",
             UPSERT_TAIL);
    ct_stmt *s = NULL;
    ct_status rc = ct_store_begin(st);
    if (rc)
        return rc;
    rc = ct_store_prepare(st, sql, &s);
    for (size_t i = 0; !rc && i < n; i++) {
        if (i > 0 && same_bucket(&a[i - 1], &a[i]))
            continue; /* sorted: the run's first is its minimum */
        ct_stmt_reset(s);
        ct_stmt_bind_text(s, 1, a[i].origin);
        ct_stmt_bind_text(s, 2, a[i].destination);
        ct_stmt_bind_int64(s, 3, a[i].departure_day);
        ct_stmt_bind_text(s, 4, CABINS[a[i].cabin]);
        ct_stmt_bind_text(s, 5, a[i].currency);
        ct_stmt_bind_int64(s, 6, a[i].hour);
        ct_stmt_bind_int64(s, 7, a[i].price);
        rc = ct_stmt_step(s);
        if (rc == CT_DONE)
            rc = CT_OK;
        (*written)++;
    }
    ct_stmt_finalize(s);
    if (rc) {
        ct_log(CT_LOG_ERROR, "history.flush", "error", ct_store_errmsg(st), NULL);
        ct_store_rollback(st);
        return rc;
    }
    return ct_store_commit(st);
}

/* Puts notes a failed flush took back in front of the newer ones, as many as fit. */
static void restore_notes(ct_history *h, note *a, size_t n)
{
    pthread_mutex_lock(&h->mu);
    size_t keep = h->npending;
    size_t room = h->opt.max_pending > keep ? h->opt.max_pending - keep : 0;
    size_t take = n < room ? n : room;
    note *p = ct_malloc((keep + take ? keep + take : 1) * sizeof(note));
    if (p != NULL) {
        memcpy(p, a, take * sizeof(note));
        if (keep)
            memcpy(p + take, h->pending, keep * sizeof(note));
        ct_free(h->pending);
        h->pending = p;
        h->npending = keep + take;
        h->cap = keep + take;
        h->dropped += n - take;
    } else {
        h->dropped += n;
    }
    pthread_mutex_unlock(&h->mu);
    ct_free(a);
}

ct_status ct_history_flush(ct_history *h, ct_store *st, size_t *written)
{
    size_t dummy = 0;
    written = written != NULL ? written : &dummy;
    *written = 0;
    pthread_mutex_lock(&h->mu);
    note *a = h->pending;
    size_t n = h->npending;
    h->pending = NULL;
    h->npending = h->cap = 0;
    pthread_mutex_unlock(&h->mu);
    if (n == 0) {
        ct_free(a);
        return CT_OK;
    }
    qsort(a, n, sizeof(note), note_cmp);
    ct_status rc = write_notes(st, a, n, written);
    if (rc) {
        *written = 0;
        restore_notes(h, a, n);
        return rc;
    }
    ct_free(a);
    return CT_OK;
}

/* ---- compaction ---- */

static ct_status run_counted(ct_store *st, const char *sql, const int64_t *args, int nargs,
                             const char *count_sql, int64_t *count)
{
    ct_stmt *s = NULL;
    ct_status rc = CT_OK;
    if (count_sql != NULL && count != NULL) {
        rc = ct_store_prepare(st, count_sql, &s);
        for (int i = 0; !rc && i < nargs; i++)
            rc = ct_stmt_bind_int64(s, i + 1, args[i]);
        if (!rc && ct_stmt_step(s) == CT_ROW)
            *count = ct_stmt_int64(s, 0);
        ct_stmt_finalize(s);
        s = NULL;
        if (rc)
            return rc;
    }
    rc = ct_store_prepare(st, sql, &s);
    for (int i = 0; !rc && i < nargs; i++)
        rc = ct_stmt_bind_int64(s, i + 1, args[i]);
    if (!rc)
        rc = ct_stmt_step(s);
    ct_stmt_finalize(s);
    return rc == CT_DONE ? CT_OK : rc;
}

/* Hourly buckets before `cutoff` (a day's start) folded into their day's bucket. */
static ct_status downsample_routes(ct_store *st, int64_t cutoff, int64_t *count)
{
    char sql[1024];
    snprintf(sql, sizeof(sql),
             "INSERT INTO route_price (origin, destination, departure_day, cabin, currency,"
             " span, observed_at, price_minor)"
             " SELECT origin, destination, departure_day, cabin, currency, 86400,"
             " (observed_at / 86400) * 86400, MIN(price_minor) FROM route_price"
             " WHERE span = 3600 AND observed_at < ?"
             " GROUP BY origin, destination, departure_day, cabin, currency,"
             " (observed_at / 86400) * 86400%s",
             UPSERT_TAIL);
    int64_t args[1] = {cutoff};
    ct_status rc = run_counted(
        st, sql, args, 1, "SELECT COUNT(*) FROM route_price WHERE span = 3600 AND observed_at < ?",
        count);
    if (!rc)
        rc = run_counted(st, "DELETE FROM route_price WHERE span = 3600 AND observed_at < ?", args,
                         1, NULL, NULL);
    return rc;
}

/* price_observation rows observed in [from, cutoff): all but the lowest of its leg,
 * provider, cabin and day (the earliest of equal ones) deleted. Sold-out rows (NULL) stay. */
static ct_status thin_legs(ct_store *st, int64_t from, int64_t cutoff, int64_t *count)
{
    static const char *const WHERE =
        " FROM price_observation WHERE observed_at >= ? AND observed_at < ?"
        " AND amount_minor IS NOT NULL AND EXISTS (SELECT 1 FROM price_observation k"
        " WHERE k.carrier = price_observation.carrier"
        " AND k.flight_number = price_observation.flight_number"
        " AND k.origin = price_observation.origin"
        " AND k.departure_utc = price_observation.departure_utc"
        " AND k.cabin = price_observation.cabin AND k.provider = price_observation.provider"
        " AND k.observed_at >= (price_observation.observed_at / 86400) * 86400"
        " AND k.observed_at < (price_observation.observed_at / 86400) * 86400 + 86400"
        " AND k.amount_minor IS NOT NULL"
        " AND (k.amount_minor < price_observation.amount_minor"
        " OR (k.amount_minor = price_observation.amount_minor"
        " AND k.observed_at < price_observation.observed_at)))";
    char del[1200], cnt[1200];
    snprintf(del, sizeof(del), "DELETE%s", WHERE);
    snprintf(cnt, sizeof(cnt), "SELECT COUNT(*)%s", WHERE);
    int64_t args[2] = {from, cutoff};
    return run_counted(st, del, args, 2, cnt, count);
}

static ct_status expire(ct_store *st, int64_t before, ct_history_compaction *c)
{
    int64_t args[1] = {before};
    ct_status rc =
        run_counted(st, "DELETE FROM route_price WHERE observed_at < ?", args, 1,
                    "SELECT COUNT(*) FROM route_price WHERE observed_at < ?", &c->routes_expired);
    if (!rc)
        rc = run_counted(st, "DELETE FROM price_observation WHERE observed_at < ?", args, 1,
                         "SELECT COUNT(*) FROM price_observation WHERE observed_at < ?",
                         &c->legs_expired);
    return rc;
}

/* One transaction: the thinning of price_observation's rows observed in [from, to). */
static ct_status thin_legs_day(ct_store *st, int64_t from, int64_t to, int64_t *count)
{
    ct_status rc = ct_store_begin(st);
    if (rc)
        return rc;
    rc = thin_legs(st, from, to, count);
    if (rc) {
        ct_store_rollback(st);
        return rc;
    }
    return ct_store_commit(st);
}

/* The leg observations thinned a day per transaction, so that the ingest's writes (one
 * transaction per feed page) wait for one day's work at most: from where the last pass
 * stopped (a day back, for rows that arrived late), or on the process's first pass from the
 * oldest row, at most CT_HISTORY_THIN_DAYS days a pass (a backlog catches up over passes). */
#define CT_HISTORY_THIN_DAYS 31
static ct_status thin_legs_by_day(ct_history *h, ct_store *st, int64_t cutoff, int64_t *count)
{
    int64_t from = h->legs_thinned_from - DAY;
    if (h->legs_thinned_from == 0) {
        int64_t oldest = cutoff;
        ct_stmt *s = NULL;
        ct_status rc = ct_store_prepare(
            st, "SELECT MIN(observed_at) FROM price_observation WHERE observed_at < ?", &s);
        if (rc)
            return rc;
        ct_stmt_bind_int64(s, 1, cutoff);
        if (ct_stmt_step(s) == CT_ROW && !ct_stmt_is_null(s, 0))
            oldest = ct_stmt_int64(s, 0);
        ct_stmt_finalize(s);
        from = oldest / DAY * DAY;
    }
    for (int i = 0; i < CT_HISTORY_THIN_DAYS && from < cutoff; i++) {
        int64_t to = from + DAY < cutoff ? from + DAY : cutoff, n = 0;
        ct_status rc = thin_legs_day(st, from, to, &n);
        if (rc)
            return rc;
        *count += n;
        from = to;
    }
    h->legs_thinned_from = from > cutoff ? cutoff : from;
    return CT_OK;
}

ct_status ct_history_compact(ct_history *h, ct_store *st, ct_history_compaction *out)
{
    ct_history_compaction c;
    memset(&c, 0, sizeof(c));
    int64_t now = ct_history_now(h);
    int64_t cutoff = (now - (int64_t)h->opt.downsample_after_days * DAY) / DAY * DAY;
    int64_t keep_from =
        h->opt.retention_days > 0 ? now - (int64_t)h->opt.retention_days * DAY : INT64_MIN;
    ct_status rc = ct_store_begin(st);
    if (rc)
        return rc;
    rc = downsample_routes(st, cutoff, &c.hours_downsampled);
    if (!rc && h->opt.retention_days > 0)
        rc = expire(st, keep_from, &c);
    if (rc) {
        ct_log(CT_LOG_ERROR, "history.compact", "error", ct_store_errmsg(st), NULL);
        ct_store_rollback(st);
        return rc;
    }
    rc = ct_store_commit(st);
    if (!rc)
        rc = thin_legs_by_day(h, st, cutoff, &c.legs_thinned);
    if (rc)
        ct_log(CT_LOG_ERROR, "history.compact", "error", ct_store_errmsg(st), NULL);
    if (!rc && out != NULL)
        *out = c;
    return rc;
}

/* ---- distributions ---- */

typedef struct sample {
    uint32_t route;
    uint8_t bucket;
    double cents;
} sample;

typedef struct rate_cache {
    char currency[8][4];
    double factor[8];
    int n;
} rate_cache;

static double usd_factor(rate_cache *rc, const char *cur, ct_history_rate_fn rate, void *ctx)
{
    for (int i = 0; i < rc->n; i++) {
        if (strcmp(rc->currency[i], cur) == 0)
            return rc->factor[i];
    }
    double f = strcmp(cur, "USD") == 0 ? 1.0 : rate != NULL ? rate(ctx, cur, "USD") : 0;
    if (rc->n < 8 && strlen(cur) == 3) {
        memcpy(rc->currency[rc->n], cur, 4);
        rc->factor[rc->n++] = f;
    }
    return f;
}

static int sample_cmp(const void *x, const void *y)
{
    const sample *a = x, *b = y;
    if (a->route != b->route)
        return a->route < b->route ? -1 : 1;
    return (a->cents > b->cents) - (a->cents < b->cents);
}

/* The value at nearest rank ceil(pct * n / 100) among the run's samples of bucket b (all
 * buckets for b == CT_HISTORY_BUCKETS), the run sorted by value. */
static double rank_value(const sample *run, size_t len, int b, int n, int pct)
{
    int want = (pct * n + 99) / 100, seen = 0;
    want = want < 1 ? 1 : want;
    for (size_t i = 0; i < len; i++) {
        if (b != CT_HISTORY_BUCKETS && run[i].bucket != b)
            continue;
        if (++seen == want)
            return run[i].cents;
    }
    return 0;
}

static void bands_of_run(const sample *run, size_t len, route_bands *out)
{
    memset(out, 0, sizeof(*out));
    for (size_t i = 0; i < len; i++) {
        out->b[run[i].bucket].n++;
        out->b[CT_HISTORY_BUCKETS].n++;
    }
    for (int b = 0; b <= CT_HISTORY_BUCKETS; b++) {
        if (out->b[b].n == 0)
            continue;
        out->b[b].p25 = rank_value(run, len, b, out->b[b].n, 25);
        out->b[b].p75 = rank_value(run, len, b, out->b[b].n, 75);
    }
}

typedef struct loaded {
    sample *s;
    size_t n, cap;
    char (*keys)[24];
    size_t nkeys, capkeys;
    ct_map *index; /* key -> route number + 1 */
} loaded;

static ct_status add_sample(loaded *l, const char *key, int bucket, double cents)
{
    uintptr_t r = (uintptr_t)ct_map_get(l->index, key);
    if (r == 0) {
        if (l->nkeys == l->capkeys) {
            size_t cap = l->capkeys ? l->capkeys * 2 : 1024;
            void *p = ct_realloc(l->keys, cap * sizeof(*l->keys));
            if (p == NULL)
                return CT_NOMEM;
            l->keys = p;
            l->capkeys = cap;
        }
        snprintf(l->keys[l->nkeys], sizeof(l->keys[0]), "%s", key);
        r = ++l->nkeys;
        if (ct_map_put(l->index, key, (void *)r) != CT_OK)
            return CT_NOMEM;
    }
    if (l->n == l->cap) {
        size_t cap = l->cap ? l->cap * 2 : 4096;
        sample *p = ct_realloc(l->s, cap * sizeof(sample));
        if (p == NULL)
            return CT_NOMEM;
        l->s = p;
        l->cap = cap;
    }
    l->s[l->n++] = (sample){(uint32_t)(r - 1), (uint8_t)bucket, cents};
    return CT_OK;
}

static ct_status load_samples(ct_history *h, ct_store *st, ct_history_rate_fn rate, void *ctx,
                              loaded *l)
{
    ct_stmt *s = NULL;
    rate_cache rcache = {.n = 0};
    ct_status rc = ct_store_prepare(st,
                                    "SELECT origin, destination, cabin, currency, departure_day,"
                                    " observed_at, price_minor FROM route_price"
                                    " WHERE observed_at >= ?",
                                    &s);
    if (rc)
        return rc;
    ct_stmt_bind_int64(s, 1, ct_history_now(h) - (int64_t)h->opt.window_days * DAY);
    while (!rc && (rc = ct_stmt_step(s)) == CT_ROW) {
        rc = CT_OK;
        const char *cur = ct_stmt_text(s, 3);
        int64_t before = ct_stmt_int64(s, 4) - ct_stmt_int64(s, 5) / DAY;
        double f = cur != NULL ? usd_factor(&rcache, cur, rate, ctx) : 0;
        if (before < 0 || !(f > 0))
            continue;
        char key[24];
        snprintf(key, sizeof(key), "%.3s|%.3s|%.8s", ct_stmt_text(s, 0), ct_stmt_text(s, 1),
                 ct_stmt_text(s, 2));
        rc = add_sample(l, key, bucket_of(before), (double)ct_stmt_int64(s, 6) * f);
    }
    ct_stmt_finalize(s);
    return rc == CT_DONE ? CT_OK : rc;
}

static ct_status build_table(loaded *l, dist_table **out)
{
    dist_table *d = ct_calloc(1, sizeof(*d));
    if (d == NULL)
        return CT_NOMEM;
    d->map = ct_map_create();
    d->routes = ct_calloc(l->nkeys ? l->nkeys : 1, sizeof(route_bands));
    d->n = l->nkeys;
    if (d->map == NULL || d->routes == NULL) {
        dist_free(d);
        return CT_NOMEM;
    }
    if (l->n > 0)
        qsort(l->s, l->n, sizeof(sample), sample_cmp);
    for (size_t i = 0; i < l->n;) {
        size_t j = i;
        while (j < l->n && l->s[j].route == l->s[i].route)
            j++;
        bands_of_run(l->s + i, j - i, &d->routes[l->s[i].route]);
        i = j;
    }
    for (size_t r = 0; r < l->nkeys; r++) {
        if (ct_map_put(d->map, l->keys[r], &d->routes[r]) != CT_OK) {
            dist_free(d);
            return CT_NOMEM;
        }
    }
    *out = d;
    return CT_OK;
}

ct_status ct_history_refresh(ct_history *h, ct_store *st, ct_history_rate_fn rate, void *ctx,
                             size_t *routes)
{
    loaded l;
    memset(&l, 0, sizeof(l));
    dist_table *d = NULL;
    l.index = ct_map_create();
    ct_status rc = l.index == NULL ? CT_NOMEM : load_samples(h, st, rate, ctx, &l);
    if (!rc)
        rc = build_table(&l, &d);
    if (!rc) {
        pthread_rwlock_wrlock(&h->lock);
        dist_table *old = h->dist;
        h->dist = d;
        h->generation++;
        pthread_rwlock_unlock(&h->lock);
        dist_free(old);
        if (routes != NULL)
            *routes = l.nkeys;
    }
    ct_map_destroy(l.index);
    ct_free(l.s);
    ct_free(l.keys);
    return rc;
}

uint64_t ct_history_generation(ct_history *h)
{
    pthread_rwlock_rdlock(&h->lock);
    uint64_t g = h->generation;
    pthread_rwlock_unlock(&h->lock);
    return g;
}

/* ---- insight ---- */

static void insight_none(ct_insight *out, const char *reason)
{
    out->level = CT_INSIGHT_NONE;
    out->reason = reason;
}

void ct_history_insight(ct_history *h, const char *origin, const char *destination,
                        const char *cabin, int64_t departure_day, int64_t price_minor,
                        const char *currency, ct_history_rate_fn rate, void *ctx, ct_insight *out)
{
    memset(out, 0, sizeof(*out));
    out->bucket = -1;
    out->bucket_hi = -1;
    char o[4], d[4], cur[4];
    int64_t before = departure_day - ct_history_now(h) / DAY;
    out->days_before = (int)before;
    if (!copy_code(o, origin) || !copy_code(d, destination) || !copy_code(cur, currency) ||
        cabin_of(cabin) < 0)
        return insight_none(out, "unknown route");
    if (before < 0)
        return insight_none(out, "the departure date is past");
    char key[24];
    snprintf(key, sizeof(key), "%s|%s|%s", o, d, cabin);
    int b = bucket_of(before);
    band use = {0, 0, 0};
    pthread_rwlock_rdlock(&h->lock);
    const route_bands *rb = h->dist != NULL ? ct_map_get(h->dist->map, key) : NULL;
    if (rb != NULL && rb->b[b].n >= h->opt.min_sample) {
        use = rb->b[b];
    } else if (rb != NULL) {
        use = rb->b[CT_HISTORY_BUCKETS];
        b = -1;
    }
    pthread_rwlock_unlock(&h->lock);
    out->sample = use.n;
    out->bucket = b;
    out->bucket_lo = b >= 0 ? BUCKET_LO[b] : 0;
    out->bucket_hi = b >= 0 && b + 1 < CT_HISTORY_BUCKETS ? BUCKET_LO[b + 1] - 1 : -1;
    if (use.n < h->opt.min_sample)
        return insight_none(out, "too few observations of this route's prices yet");
    double f = strcmp(cur, "USD") == 0 ? 1.0 : rate != NULL ? rate(ctx, "USD", cur) : 0;
    if (!(f > 0))
        return insight_none(out, "no exchange rate to this currency");
    out->typical_low = llround(use.p25 * f);
    out->typical_high = llround(use.p75 * f);
    out->level = price_minor < out->typical_low    ? CT_INSIGHT_LOW
                 : price_minor > out->typical_high ? CT_INSIGHT_HIGH
                                                   : CT_INSIGHT_TYPICAL;
}

/* ---- reading ---- */

typedef struct conv_cache {
    rate_cache rc;
    const char *to;
    ct_history_rate_fn rate;
    void *ctx;
} conv_cache;

static double to_factor(conv_cache *c, const char *from)
{
    for (int i = 0; i < c->rc.n; i++) {
        if (strcmp(c->rc.currency[i], from) == 0)
            return c->rc.factor[i];
    }
    double f = strcmp(from, c->to) == 0 ? 1.0 : c->rate != NULL ? c->rate(c->ctx, from, c->to) : 0;
    if (c->rc.n < 8 && strlen(from) == 3) {
        memcpy(c->rc.currency[c->rc.n], from, 4);
        c->rc.factor[c->rc.n++] = f;
    }
    return f;
}

static ct_status grow(void **items, size_t *cap, size_t need, size_t elem)
{
    if (need <= *cap)
        return CT_OK;
    size_t cap2 = *cap ? *cap * 2 : 64;
    void *p = ct_realloc(*items, cap2 * elem);
    if (p == NULL)
        return CT_NOMEM;
    *items = p;
    *cap = cap2;
    return CT_OK;
}

ct_status ct_history_series(ct_store *st, const char *origin, const char *destination,
                            int64_t departure_day, const char *cabin, const char *currency,
                            ct_history_rate_fn rate, void *ctx, ct_history_point **out, size_t *n)
{
    *out = NULL;
    *n = 0;
    char o[4], d[4];
    if (!copy_code(o, origin) || !copy_code(d, destination) || cabin_of(cabin) < 0)
        return CT_INVALID;
    conv_cache cc = {.rc = {.n = 0}, .to = currency, .rate = rate, .ctx = ctx};
    ct_stmt *s = NULL;
    ct_status rc = ct_store_prepare(st,
                                    "SELECT observed_at, span, currency, price_minor"
                                    " FROM route_price WHERE origin = ? AND destination = ?"
                                    " AND departure_day = ? AND cabin = ?"
                                    " ORDER BY observed_at, span",
                                    &s);
    if (rc)
        return rc;
    ct_stmt_bind_text(s, 1, o);
    ct_stmt_bind_text(s, 2, d);
    ct_stmt_bind_int64(s, 3, departure_day);
    ct_stmt_bind_text(s, 4, cabin);
    ct_history_point *a = NULL;
    size_t len = 0, cap = 0;
    while ((rc = ct_stmt_step(s)) == CT_ROW) {
        const char *cur = ct_stmt_text(s, 2);
        double f = cur != NULL ? to_factor(&cc, cur) : 0;
        if (!(f > 0))
            continue;
        ct_history_point p = {ct_stmt_int64(s, 0), (int)ct_stmt_int64(s, 1),
                              llround((double)ct_stmt_int64(s, 3) * f)};
        if (len > 0 && a[len - 1].observed_at == p.observed_at && a[len - 1].span == p.span) {
            if (p.price_minor < a[len - 1].price_minor)
                a[len - 1].price_minor = p.price_minor;
            continue;
        }
        if (grow((void **)&a, &cap, len + 1, sizeof(*a)) != CT_OK) {
            rc = CT_NOMEM;
            break;
        }
        a[len++] = p;
    }
    ct_stmt_finalize(s);
    if (rc != CT_DONE) {
        ct_free(a);
        return rc;
    }
    *out = a;
    *n = len;
    return CT_OK;
}

ct_status ct_history_by_day(ct_store *st, const char *origin, const char *destination,
                            const char *cabin, int64_t from_day, int64_t to_day,
                            const char *currency, ct_history_rate_fn rate, void *ctx,
                            ct_history_day **out, size_t *n)
{
    *out = NULL;
    *n = 0;
    char o[4], d[4];
    if (!copy_code(o, origin) || !copy_code(d, destination) || cabin_of(cabin) < 0)
        return CT_INVALID;
    conv_cache cc = {.rc = {.n = 0}, .to = currency, .rate = rate, .ctx = ctx};
    ct_stmt *s = NULL;
    ct_status rc = ct_store_prepare(st,
                                    "SELECT departure_day, observed_at, currency, price_minor"
                                    " FROM route_price WHERE origin = ? AND destination = ?"
                                    " AND cabin = ? AND departure_day >= ? AND departure_day <= ?"
                                    " ORDER BY departure_day, observed_at",
                                    &s);
    if (rc)
        return rc;
    ct_stmt_bind_text(s, 1, o);
    ct_stmt_bind_text(s, 2, d);
    ct_stmt_bind_text(s, 3, cabin);
    ct_stmt_bind_int64(s, 4, from_day);
    ct_stmt_bind_int64(s, 5, to_day);
    ct_history_day *a = NULL;
    size_t len = 0, cap = 0;
    while ((rc = ct_stmt_step(s)) == CT_ROW) {
        const char *cur = ct_stmt_text(s, 2);
        double f = cur != NULL ? to_factor(&cc, cur) : 0;
        if (!(f > 0))
            continue;
        int64_t day = ct_stmt_int64(s, 0), at = ct_stmt_int64(s, 1);
        int64_t price = llround((double)ct_stmt_int64(s, 3) * f);
        ct_history_day *last = len > 0 ? &a[len - 1] : NULL;
        if (last != NULL && last->departure_day == day) {
            if (at > last->observed_at) { /* a later bucket: the latest price */
                last->price_minor = price;
                last->observed_at = at;
            } else if (price < last->price_minor) { /* the same bucket in another currency */
                last->price_minor = price;
            }
            if (price < last->lowest_minor)
                last->lowest_minor = price;
            continue;
        }
        if (grow((void **)&a, &cap, len + 1, sizeof(*a)) != CT_OK) {
            rc = CT_NOMEM;
            break;
        }
        a[len++] = (ct_history_day){day, price, at, price};
    }
    ct_stmt_finalize(s);
    if (rc != CT_DONE) {
        ct_free(a);
        return rc;
    }
    *out = a;
    *n = len;
    return CT_OK;
}
