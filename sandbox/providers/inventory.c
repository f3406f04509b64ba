/* inventory.c: seats, nested limits, the background market and the shared booking store
 * (see inventory.h for the model and the tables).
 *
 * The store side is a small pool of SQLite connections (one ct_store each, WAL mode) so the
 * HTTP threads of a provider do not queue behind one connection; across connections and
 * processes, SQLite's write lock taken by BEGIN IMMEDIATE serialises every booking change,
 * and each change re-reads the seats it depends on inside its transaction. Reads outside a
 * transaction see the last committed state (WAL readers never block). */
#include "sandbox/providers/inventory.h"

#include <math.h>
#include <pthread.h>
#include <sodium.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "base/alloc.h"
#include "base/map.h"
#include "base/timeutil.h"
#include "sandbox/runtime/rng.h"
#include "store/store.h"

static const int protect_pct[SB_NCLASSES] = {0, 5, 12, 22, 35, 50, 0, 30, 0, 30, 0, 30};
static const int advance_days[SB_NCLASSES] = {0, 0, 3, 7, 14, 21, 0, 7, 0, 7, 0, 14};

/* ---- the pure model ---- */

/* The seats of a cabin on one aircraft type. */
static int cabin_seats(const sb_aircraft *a, int cabin)
{
    switch (cabin) {
    case SB_CABIN_BUSINESS:
        return a->seats_business;
    case SB_CABIN_PREMIUM:
        return a->seats_premium;
    case SB_CABIN_FIRST:
        return a->seats_first;
    default:
        return a->seats_economy;
    }
}

int sb_inv_capacity(const sb_world *w, int flight, int cabin)
{
    int n;
    const sb_aircraft *types = sb_aircraft_types(&n);
    const sb_flight *f = &w->flights[flight];
    int seats = -1; /* legs may fly different types: the smallest cabin limits the flight */
    for (int l = 0; l < f->nlegs; l++) {
        int s = cabin_seats(&types[f->legs[l].aircraft], cabin);
        if (seats < 0 || s < seats)
            seats = s;
    }
    return seats < 0 ? 0 : seats;
}

/* The draw key of a dated leg's cabin (economy and business keep the keys they had before
 * the other two cabins). */
static uint64_t cabin_key(const sb_dated_leg *dl, int cabin)
{
    return ((uint64_t)dl->day * 8u + (uint64_t)dl->leg * 2u + (uint64_t)(cabin & 1)) ^
           ((uint64_t)(cabin >> 1) << 48);
}

/* Final load factor of a cabin for draw u in [0, 1) (capped at 1 by the caller). */
static double final_load(int cabin, double u)
{
    switch (cabin) {
    case SB_CABIN_ECONOMY:
        return 0.62 + 0.40 * u;
    case SB_CABIN_PREMIUM:
        return 0.45 + 0.55 * u;
    case SB_CABIN_FIRST:
        return 0.20 + 0.65 * u;
    default:
        return 0.35 + 0.60 * u;
    }
}

static uint64_t flight_key(const sb_world *w, const sb_flight *f)
{
    return sb_code_key(w->carriers[f->carrier].code) * 10007u + (uint64_t)f->number;
}

int sb_inv_background(const sb_world *w, const sb_dated_leg *dl, int cabin, int64_t dep_utc,
                      int64_t t)
{
    int cap = sb_inv_capacity(w, dl->flight, cabin);
    int64_t window = (int64_t)SB_INV_WINDOW_DAYS * 86400, open = dep_utc - window;
    if (cap == 0 || t <= open)
        return 0;
    double x = t >= dep_utc ? 1.0 : (double)(t - open) / (double)window;
    uint64_t h = sb_hash(w->seed, flight_key(w, &w->flights[dl->flight]), cabin_key(dl, cabin));
    double u1 = sb_unit(h), u2 = sb_unit(sb_mix(h));
    double lf = final_load(cabin, u1);
    if (lf > 1.0)
        lf = 1.0;
    double p = 1.3 + 1.7 * u2;
    int sold = (int)floor((double)cap * lf * pow(x, p));
    return sold > cap ? cap : sold;
}

int sb_inv_released(const sb_world *w, const sb_dated_leg *dl, int cabin, int64_t dep_utc,
                    int64_t t)
{
    int cap = sb_inv_capacity(w, dl->flight, cabin);
    uint64_t h =
        sb_hash(w->seed, flight_key(w, &w->flights[dl->flight]) ^ 0x5eedu, cabin_key(dl, cabin));
    if (cap == 0 || sb_unit(h) >= SB_INV_RELEASE_SHARE)
        return 0;
    uint64_t h2 = sb_mix(h), h3 = sb_mix(h2), h4 = sb_mix(h3);
    /* A group's release date: 45 or 30 days before departure, up to two days early. */
    int64_t before = (sb_unit(h2) < 0.5 ? 45 : 30) * 86400 + (int64_t)(sb_unit(h3) * 2 * 86400);
    int64_t lasts = 86400 + (int64_t)(sb_unit(sb_mix(h4)) * 5 * 86400); /* 1 to 6 days */
    int64_t from = dep_utc - before, to = from + lasts;
    if (t < from || t >= to)
        return 0;
    int seats = (int)ceil((double)cap * (0.06 + 0.14 * sb_unit(h4)));
    int sold = sb_inv_background(w, dl, cabin, dep_utc, t);
    return seats < sold ? seats : sold;
}

/* ---- demand and sales (the shift of the protected shares) ---- */

/* A bump of height 1 at day-of-year `center`, `width` days wide (one standard deviation),
 * the year wrapped round so late December and early January are neighbours. */
static double season_bump(int doy, int center, double width)
{
    int d = abs(doy - center);
    if (d > 183)
        d = 366 - d;
    return exp(-(double)(d * d) / (2.0 * width * width));
}

/* Day of year (0 = 1 January) of a date, days since 1970. */
static int day_of_year(int64_t day)
{
    int y, m, d;
    ct_civil_from_days(day, &y, &m, &d);
    int64_t jan1 = ct_days_from_civil(y, 1, 1);
    return (int)(day - jan1);
}

double sb_inv_demand(const sb_world *w, const sb_dated_leg *dl)
{
    /* Sunday first: Tuesdays and Wednesdays are the quiet days, Fridays and Sundays full. */
    static const double dow_term[7] = {0.50, 0.10, -0.40, -0.30, 0.20, 0.60, -0.20};
    const sb_flight *f = &w->flights[dl->flight];
    const sb_leg *l = &f->legs[dl->leg];
    int lo = l->origin < l->dest ? l->origin : l->dest;
    int hi = l->origin < l->dest ? l->dest : l->origin;
    uint64_t pair = sb_code_key(w->airports[lo].iata) * 100003u + sb_code_key(w->airports[hi].iata);
    uint64_t h = sb_hash(w->seed ^ 0xde3au, pair, 17);
    double route = 0.6 * sb_unit(h) - 0.3;       /* a route's own level */
    double leisure = 0.5 + sb_unit(sb_mix(h));   /* how much its season swings */
    int64_t local = dl->day + l->dep_day_offset; /* the leg's local departure date */
    int dow = (int)(((local + 4) % 7 + 7) % 7);  /* 1970-01-01 was a Thursday */
    int doy = day_of_year(local);
    int south = w->airports[l->origin].lat < -10 && w->airports[l->dest].lat < -10;
    double summer = south ? season_bump(doy, 10, 25) : season_bump(doy, 206, 30);
    double season =
        -0.30 + 0.90 * summer + 1.00 * season_bump(doy, 360, 8) + 0.30 * season_bump(doy, 100, 10);
    double noise = 0.30 * sb_unit(sb_hash(w->seed ^ 0xde3bu, flight_key(w, f),
                                          (uint64_t)dl->day * 8u + (uint64_t)dl->leg)) -
                   0.15;
    return dow_term[dow] + leisure * season + route + noise;
}

int sb_inv_on_sale(const sb_world *w, const sb_dated_leg *dl, int64_t dep_utc, int64_t t)
{
    const sb_flight *f = &w->flights[dl->flight];
    const sb_leg *l = &f->legs[dl->leg];
    uint64_t carrier = sb_code_key(w->carriers[f->carrier].code);
    int64_t week = (t >= 0 ? t : t - 7 * 86400 + 1) / (7 * 86400);
    /* This week's and the last one's sales (one may run across the week's end). */
    for (int64_t wk = week - 1; wk <= week; wk++) {
        uint64_t h = sb_hash(w->seed ^ 0x5a1eu, carrier, (uint64_t)wk);
        if (sb_unit(h) >= SB_INV_SALE_SHARE)
            continue;
        uint64_t h2 = sb_mix(h), h3 = sb_mix(h2);
        int64_t from = wk * 7 * 86400 + (int64_t)(sb_unit(h2) * 4 * 86400);
        int64_t to = from + (3 + (int64_t)(sb_unit(h3) * 4)) * 86400; /* 3 to 6 days */
        if (t < from || t >= to || dep_utc < from + 14 * 86400 || dep_utc > from + 120 * 86400)
            continue;
        uint64_t market = (uint64_t)l->origin * 65599u + (uint64_t)l->dest;
        if (sb_unit(sb_hash(h3, market, 29)) < 0.5)
            return 1;
    }
    return 0;
}

int sb_inv_shift(const sb_world *w, const sb_dated_leg *dl, int cabin, int64_t dep_utc, int64_t t)
{
    /* Demand never opens more than the ladder's own shares (a quiet day is the plain
     * ladder); only a sale goes below them. */
    double shift = fmin(fmax(20.0 + 45.0 * sb_inv_demand(w, dl), 0.0), SB_INV_SHIFT_MAX);
    if (cabin != SB_CABIN_ECONOMY)
        shift /= 2;
    if (sb_inv_on_sale(w, dl, dep_utc, t))
        shift -= SB_INV_SALE_PCT;
    return (int)lround(shift);
}

static void nest(sb_leg_avail *a, int64_t t_now)
{
    int64_t ahead = a->dep_utc - t_now;
    for (int cabin = 0; cabin < SB_NCABINS; cabin++) {
        int first, count;
        sb_cabin_classes(cabin, &first, &count);
        a->lowest[cabin] = -1;
        for (int k = first; k < first + count; k++) {
            int cap = a->capacity[cabin];
            int pct = k == first ? 0 : protect_pct[k] + a->shift[cabin];
            int protect = (cap * (pct < 0 ? 0 : pct) + 99) / 100;
            int seats = a->remaining[cabin] - protect;
            if (cap == 0 || ahead < SB_INV_CUTOFF_SEC || ahead < (int64_t)advance_days[k] * 86400 ||
                seats < 0)
                seats = 0;
            a->seats[k] = seats;
            if (seats > 0)
                a->lowest[cabin] = k;
        }
    }
}

ct_status sb_inv_state(const sb_world *w, const sb_dated_leg *dl, const int booked[SB_NCABINS],
                       int64_t t_market, int64_t t_now, sb_leg_avail *out)
{
    if (dl->flight < 0 || dl->flight >= w->nflights)
        return CT_INVALID;
    const sb_flight *f = &w->flights[dl->flight];
    if (dl->leg < 0 || dl->leg >= f->nlegs || !sb_flight_operates(f, dl->day))
        return CT_INVALID;
    memset(out, 0, sizeof(*out));
    ct_status rc = sb_leg_times(w, f, dl->leg, dl->day, &out->dep_utc, &out->arr_utc);
    if (rc)
        return rc;
    for (int cabin = 0; cabin < SB_NCABINS; cabin++) {
        out->capacity[cabin] = sb_inv_capacity(w, dl->flight, cabin);
        int left = out->capacity[cabin] - sb_inv_background(w, dl, cabin, out->dep_utc, t_market) +
                   sb_inv_released(w, dl, cabin, out->dep_utc, t_market) - booked[cabin];
        out->remaining[cabin] = left < 0 ? 0 : left;
        out->shift[cabin] = sb_inv_shift(w, dl, cabin, out->dep_utc, t_market);
    }
    nest(out, t_now);
    return CT_OK;
}

int sb_inv_pick(const sb_leg_avail *a, int cabin, int seats)
{
    int first, count;
    sb_cabin_classes(cabin, &first, &count);
    for (int k = first + count - 1; k >= first; k--) {
        if (a->seats[k] >= seats)
            return k;
    }
    return -1;
}

void sb_inv_avs(const sb_leg_avail *a, char *buf, size_t len)
{
    size_t at = 0;
    for (int k = 0; k < SB_NCLASSES && at + 2 < len; k++) {
        int s = a->seats[k] > 9 ? 9 : a->seats[k];
        buf[at++] = sb_class(k)->letter;
        buf[at++] = (char)('0' + s);
    }
    buf[at < len ? at : len - 1] = '\0';
}

int sb_inv_find_flight(const sb_world *w, int carrier, int number, int64_t day)
{
    const sb_carrier *c = &w->carriers[carrier];
    for (int i = c->first_flight; i < c->first_flight + c->nflights; i++) {
        if (w->flights[i].number == number && sb_flight_operates(&w->flights[i], day))
            return i;
    }
    return -1;
}

/* ---- the store: pool and schema ---- */

struct sb_inventory {
    const sb_world *w;
    ct_map *carriers; /* code -> 1 + carrier index */
    pthread_mutex_t mu;
    pthread_cond_t cv;
    int n;
    ct_store **conns;
    char *busy;
};

static const char schema_sql[] =
    "CREATE TABLE IF NOT EXISTS sb_meta (key TEXT PRIMARY KEY, value TEXT NOT NULL);"
    "CREATE TABLE IF NOT EXISTS sb_booking ("
    " id TEXT PRIMARY KEY, provider TEXT NOT NULL, idem_key TEXT, fingerprint TEXT,"
    " state TEXT NOT NULL, seats INTEGER NOT NULL, currency TEXT NOT NULL,"
    " amount INTEGER NOT NULL, offer_amount INTEGER NOT NULL,"
    " refund_amount INTEGER NOT NULL DEFAULT 0, created_at INTEGER NOT NULL,"
    " expires_at INTEGER NOT NULL, ticketed_at INTEGER NOT NULL DEFAULT 0, payment_ref TEXT,"
    " doc TEXT, UNIQUE (provider, idem_key));"
    "CREATE TABLE IF NOT EXISTS sb_booking_leg ("
    " booking_id TEXT NOT NULL REFERENCES sb_booking(id), seq INTEGER NOT NULL,"
    " carrier TEXT NOT NULL, number INTEGER NOT NULL, day INTEGER NOT NULL,"
    " leg INTEGER NOT NULL, cabin INTEGER NOT NULL, class INTEGER NOT NULL,"
    " seats INTEGER NOT NULL, state TEXT NOT NULL, expires_at INTEGER NOT NULL,"
    " PRIMARY KEY (booking_id, seq));"
    "CREATE INDEX IF NOT EXISTS sb_booking_leg_key ON sb_booking_leg (carrier, number, day, leg);"
    "CREATE INDEX IF NOT EXISTS sb_booking_leg_day ON sb_booking_leg (day);"
    "CREATE TABLE IF NOT EXISTS sb_change (seq INTEGER PRIMARY KEY AUTOINCREMENT,"
    " carrier TEXT NOT NULL, number INTEGER NOT NULL, day INTEGER NOT NULL,"
    " leg INTEGER NOT NULL);"
    "CREATE INDEX IF NOT EXISTS sb_change_day ON sb_change (day);";

static ct_store *acquire(sb_inventory *inv)
{
    pthread_mutex_lock(&inv->mu);
    for (;;) {
        for (int i = 0; i < inv->n; i++) {
            if (!inv->busy[i]) {
                inv->busy[i] = 1;
                pthread_mutex_unlock(&inv->mu);
                return inv->conns[i];
            }
        }
        pthread_cond_wait(&inv->cv, &inv->mu);
    }
}

static void release(sb_inventory *inv, ct_store *st)
{
    pthread_mutex_lock(&inv->mu);
    for (int i = 0; i < inv->n; i++) {
        if (inv->conns[i] == st)
            inv->busy[i] = 0;
    }
    pthread_cond_signal(&inv->cv);
    pthread_mutex_unlock(&inv->mu);
}

/* BEGIN IMMEDIATE, retried while another writer holds the lock past the busy timeout. */
static ct_status begin(ct_store *st)
{
    ct_status rc = CT_AGAIN;
    for (int attempt = 0; attempt < 20 && rc == CT_AGAIN; attempt++)
        rc = ct_store_begin(st);
    return rc;
}

static ct_status check_world(ct_store *st, const sb_world *w, char *err, size_t errlen)
{
    char id[96];
    snprintf(id, sizeof(id), "seed=%llu start=%lld size=%s", (unsigned long long)w->seed,
             (long long)w->start_day, w->size == SB_WORLD_SMALL ? "small" : "default");
    ct_stmt *s = NULL;
    ct_status rc = ct_store_prepare(st, "SELECT value FROM sb_meta WHERE key = 'world'", &s);
    if (rc)
        return rc;
    rc = ct_stmt_step(s);
    if (rc == CT_ROW && strcmp(ct_stmt_text(s, 0), id) != 0) {
        snprintf(err, errlen, "inventory belongs to another world (%s, this one is %s)",
                 ct_stmt_text(s, 0), id);
        ct_stmt_finalize(s);
        return CT_CONFLICT;
    }
    int missing = rc == CT_DONE;
    ct_stmt_finalize(s);
    if (rc != CT_ROW && rc != CT_DONE)
        return rc;
    if (!missing)
        return CT_OK;
    rc = ct_store_prepare(st, "INSERT INTO sb_meta (key, value) VALUES ('world', ?)", &s);
    if (rc)
        return rc;
    ct_stmt_bind_text(s, 1, id);
    rc = ct_stmt_step(s);
    ct_stmt_finalize(s);
    return rc == CT_DONE ? CT_OK : rc;
}

static ct_status create_schema(ct_store *st, const sb_world *w, char *err, size_t errlen)
{
    ct_status rc = begin(st);
    if (rc) {
        snprintf(err, errlen, "inventory: %s", ct_store_errmsg(st));
        return rc;
    }
    rc = ct_store_exec(st, schema_sql);
    if (rc)
        snprintf(err, errlen, "inventory schema: %s", ct_store_errmsg(st));
    if (!rc)
        rc = check_world(st, w, err, errlen);
    if (rc) {
        ct_store_rollback(st);
        return rc;
    }
    rc = ct_store_commit(st);
    if (rc)
        snprintf(err, errlen, "inventory: %s", ct_store_errmsg(st));
    return rc;
}

ct_status sb_inventory_open(const char *path, const sb_world *w, int connections,
                            sb_inventory **out, char *err, size_t errlen)
{
    if (connections < 1 || connections > 64) {
        snprintf(err, errlen, "inventory: connections must be 1..64");
        return CT_INVALID;
    }
    if (sodium_init() < 0) {
        snprintf(err, errlen, "inventory: libsodium failed to initialise");
        return CT_ERR;
    }
    ct_status rc = CT_NOMEM;
    sb_inventory *inv = ct_calloc(1, sizeof(*inv));
    if (inv == NULL)
        goto fail;
    inv->w = w;
    pthread_mutex_init(&inv->mu, NULL);
    pthread_cond_init(&inv->cv, NULL);
    inv->conns = ct_calloc((size_t)connections, sizeof(ct_store *));
    inv->busy = ct_calloc((size_t)connections, 1);
    inv->carriers = ct_map_create();
    if (inv->conns == NULL || inv->busy == NULL || inv->carriers == NULL)
        goto fail;
    for (int c = 0; c < w->ncarriers; c++) {
        if (ct_map_put(inv->carriers, w->carriers[c].code, (void *)(intptr_t)(c + 1)))
            goto fail;
    }
    char url[1100];
    snprintf(url, sizeof(url), "sqlite:%s", path);
    for (; inv->n < connections; inv->n++) {
        rc = ct_store_open(url, &inv->conns[inv->n], err, errlen);
        if (rc)
            goto fail;
    }
    rc = create_schema(inv->conns[0], w, err, errlen);
    if (rc)
        goto fail;
    *out = inv;
    return CT_OK;
fail:
    if (rc == CT_NOMEM)
        snprintf(err, errlen, "inventory: out of memory");
    sb_inventory_close(inv);
    return rc;
}

void sb_inventory_close(sb_inventory *inv)
{
    if (inv == NULL)
        return;
    for (int i = 0; i < inv->n; i++)
        ct_store_close(inv->conns[i]);
    ct_free(inv->conns);
    ct_free(inv->busy);
    ct_map_destroy(inv->carriers);
    pthread_mutex_destroy(&inv->mu);
    pthread_cond_destroy(&inv->cv);
    ct_free(inv);
}

/* ---- reading seats ---- */

static const char *carrier_code(const sb_inventory *inv, const sb_dated_leg *dl)
{
    return inv->w->carriers[inv->w->flights[dl->flight].carrier].code;
}

/* Resolves a row's (carrier, number, day, leg) to a dated leg; 0 when it is not in this
 * world (a foreign row is ignored). */
static int resolve(const sb_inventory *inv, const char *code, int64_t number, int64_t day,
                   int64_t leg, sb_dated_leg *out)
{
    intptr_t c = (intptr_t)ct_map_get(inv->carriers, code ? code : "");
    if (c == 0)
        return 0;
    out->flight = sb_inv_find_flight(inv->w, (int)c - 1, (int)number, day);
    out->leg = (int)leg;
    out->day = day;
    return out->flight >= 0 && leg >= 0 && leg < inv->w->flights[out->flight].nlegs;
}

static ct_status booked_on(sb_inventory *inv, ct_store *st, const sb_dated_leg *dl, int64_t now,
                           int booked[SB_NCABINS])
{
    for (int c = 0; c < SB_NCABINS; c++)
        booked[c] = 0;
    ct_stmt *s = NULL;
    ct_status rc = ct_store_prepare(
        st,
        "SELECT cabin, SUM(seats) FROM sb_booking_leg WHERE carrier = ? AND number = ? AND"
        " day = ? AND leg = ? AND (state = 'T' OR (state = 'H' AND expires_at > ?))"
        " GROUP BY cabin",
        &s);
    if (rc)
        return rc;
    ct_stmt_bind_text(s, 1, carrier_code(inv, dl));
    ct_stmt_bind_int64(s, 2, inv->w->flights[dl->flight].number);
    ct_stmt_bind_int64(s, 3, dl->day);
    ct_stmt_bind_int64(s, 4, dl->leg);
    ct_stmt_bind_int64(s, 5, now);
    while ((rc = ct_stmt_step(s)) == CT_ROW) {
        int64_t cabin = ct_stmt_int64(s, 0);
        if (cabin >= 0 && cabin < SB_NCABINS)
            booked[cabin] = (int)ct_stmt_int64(s, 1);
    }
    ct_stmt_finalize(s);
    return rc == CT_DONE ? CT_OK : rc;
}

ct_status sb_inventory_booked(sb_inventory *inv, const sb_dated_leg *dl, int64_t now,
                              int booked[SB_NCABINS])
{
    ct_store *st = acquire(inv);
    ct_status rc = booked_on(inv, st, dl, now, booked);
    release(inv, st);
    return rc;
}

ct_status sb_inventory_avail(sb_inventory *inv, const sb_dated_leg *dl, int64_t t_market,
                             int64_t now, sb_leg_avail *out)
{
    int booked[SB_NCABINS];
    ct_status rc = sb_inventory_booked(inv, dl, now, booked);
    return rc ? rc : sb_inv_state(inv->w, dl, booked, t_market, now, out);
}

ct_status sb_inventory_booked_range(sb_inventory *inv, int64_t day0, int64_t day1, int64_t now,
                                    sb_booked_fn fn, void *ctx)
{
    ct_store *st = acquire(inv);
    ct_stmt *s = NULL;
    ct_status rc = ct_store_prepare(
        st,
        "SELECT carrier, number, day, leg, cabin, SUM(seats) FROM sb_booking_leg"
        " WHERE day BETWEEN ? AND ? AND (state = 'T' OR (state = 'H' AND expires_at > ?))"
        " GROUP BY carrier, number, day, leg, cabin",
        &s);
    if (rc)
        goto cleanup;
    ct_stmt_bind_int64(s, 1, day0);
    ct_stmt_bind_int64(s, 2, day1);
    ct_stmt_bind_int64(s, 3, now);
    while ((rc = ct_stmt_step(s)) == CT_ROW) {
        sb_dated_leg dl;
        int64_t cabin = ct_stmt_int64(s, 4);
        if (cabin >= 0 && cabin < SB_NCABINS &&
            resolve(inv, ct_stmt_text(s, 0), ct_stmt_int64(s, 1), ct_stmt_int64(s, 2),
                    ct_stmt_int64(s, 3), &dl))
            fn(ctx, &dl, (int)cabin, (int)ct_stmt_int64(s, 5));
    }
    rc = rc == CT_DONE ? CT_OK : rc;
cleanup:
    ct_stmt_finalize(s);
    release(inv, st);
    return rc;
}

ct_status sb_inventory_seq(sb_inventory *inv, int64_t *seq)
{
    ct_store *st = acquire(inv);
    ct_status rc = ct_store_query_int64(st, "SELECT COALESCE(MAX(seq), 0) FROM sb_change", seq);
    release(inv, st);
    return rc;
}

ct_status sb_inventory_touched(sb_inventory *inv, int64_t seq0, int64_t seq1, int64_t t0,
                               int64_t t1, int64_t day0, int64_t day1, sb_leg_fn fn, void *ctx)
{
    ct_store *st = acquire(inv);
    ct_stmt *s = NULL;
    ct_status rc = ct_store_prepare(
        st,
        "SELECT carrier, number, day, leg FROM sb_change WHERE seq > ? AND seq <= ? AND"
        " day BETWEEN ? AND ? UNION SELECT carrier, number, day, leg FROM sb_booking_leg"
        " WHERE state = 'H' AND expires_at > ? AND expires_at <= ? AND day BETWEEN ? AND ?",
        &s);
    if (rc)
        goto cleanup;
    int64_t args[] = {seq0, seq1, day0, day1, t0, t1, day0, day1};
    for (int i = 0; i < 8; i++)
        ct_stmt_bind_int64(s, i + 1, args[i]);
    while ((rc = ct_stmt_step(s)) == CT_ROW) {
        sb_dated_leg dl;
        if (resolve(inv, ct_stmt_text(s, 0), ct_stmt_int64(s, 1), ct_stmt_int64(s, 2),
                    ct_stmt_int64(s, 3), &dl))
            fn(ctx, &dl);
    }
    rc = rc == CT_DONE ? CT_OK : rc;
cleanup:
    ct_stmt_finalize(s);
    release(inv, st);
    return rc;
}

/* ---- bookings ---- */

const char *sb_booking_state_name(sb_booking_state s)
{
    static const char *names[] = {"held", "expired", "ticketed", "cancelled", "refunded"};
    return names[s];
}

void sb_booking_clear(sb_booking *b)
{
    ct_free(b->doc);
    memset(b, 0, sizeof(*b));
}

static sb_booking_state parse_state(const char *s, int64_t expires_at, int64_t now)
{
    if (strcmp(s, "ticketed") == 0)
        return SB_BOOKING_TICKETED;
    if (strcmp(s, "cancelled") == 0)
        return SB_BOOKING_CANCELLED;
    if (strcmp(s, "refunded") == 0)
        return SB_BOOKING_REFUNDED;
    return expires_at > now ? SB_BOOKING_HELD : SB_BOOKING_EXPIRED;
}

static void copy_text(char *dst, size_t len, const char *src)
{
    snprintf(dst, len, "%s", src ? src : "");
}

static ct_status read_segs(sb_inventory *inv, ct_store *st, sb_booking *b)
{
    ct_stmt *s = NULL;
    ct_status rc = ct_store_prepare(st,
                                    "SELECT carrier, number, day, leg, cabin, class FROM"
                                    " sb_booking_leg WHERE booking_id = ? ORDER BY seq",
                                    &s);
    if (rc)
        return rc;
    ct_stmt_bind_text(s, 1, b->id);
    b->nsegs = 0;
    while ((rc = ct_stmt_step(s)) == CT_ROW && b->nsegs < SB_INV_MAX_SEGS) {
        sb_booking_seg *g = &b->segs[b->nsegs];
        if (!resolve(inv, ct_stmt_text(s, 0), ct_stmt_int64(s, 1), ct_stmt_int64(s, 2),
                     ct_stmt_int64(s, 3), &g->dl))
            continue;
        g->cabin = (int)ct_stmt_int64(s, 4);
        g->cls = (int)ct_stmt_int64(s, 5);
        b->nsegs++;
    }
    ct_stmt_finalize(s);
    return rc == CT_DONE || rc == CT_ROW ? CT_OK : rc;
}

/* Reads a booking with connection st (inside or outside a transaction). */
static ct_status read_booking(sb_inventory *inv, ct_store *st, const char *provider, const char *id,
                              int64_t now, sb_booking *b)
{
    ct_stmt *s = NULL;
    ct_status rc = ct_store_prepare(
        st,
        "SELECT id, provider, state, seats, currency, amount, offer_amount, refund_amount,"
        " created_at, expires_at, ticketed_at, payment_ref, doc FROM sb_booking"
        " WHERE id = ? AND provider = ?",
        &s);
    if (rc)
        return rc;
    ct_stmt_bind_text(s, 1, id);
    ct_stmt_bind_text(s, 2, provider);
    rc = ct_stmt_step(s);
    if (rc == CT_ROW) {
        sb_booking_clear(b);
        copy_text(b->id, sizeof(b->id), ct_stmt_text(s, 0));
        copy_text(b->provider, sizeof(b->provider), ct_stmt_text(s, 1));
        b->seats = (int)ct_stmt_int64(s, 3);
        copy_text(b->currency, sizeof(b->currency), ct_stmt_text(s, 4));
        b->amount = ct_stmt_int64(s, 5);
        b->offer_amount = ct_stmt_int64(s, 6);
        b->refund_amount = ct_stmt_int64(s, 7);
        b->created_at = ct_stmt_int64(s, 8);
        b->expires_at = ct_stmt_int64(s, 9);
        b->ticketed_at = ct_stmt_int64(s, 10);
        copy_text(b->payment_ref, sizeof(b->payment_ref), ct_stmt_text(s, 11));
        b->state = parse_state(ct_stmt_text(s, 2), b->expires_at, now);
        const char *doc = ct_stmt_text(s, 12);
        b->doc = doc ? ct_strdup(doc) : NULL;
        rc = doc && b->doc == NULL ? CT_NOMEM : CT_OK;
    } else if (rc == CT_DONE) {
        rc = CT_NOT_FOUND;
    }
    ct_stmt_finalize(s);
    return rc ? rc : read_segs(inv, st, b);
}

ct_status sb_inventory_get(sb_inventory *inv, const char *provider, const char *id, int64_t now,
                           sb_booking *out)
{
    ct_store *st = acquire(inv);
    ct_status rc = read_booking(inv, st, provider, id, now, out);
    release(inv, st);
    return rc;
}

/* Runs one statement with text and integer arguments: `types` has one letter per argument,
 * 't' for the next text, 'i' for the next integer. */
static ct_status run(ct_store *st, const char *sql, const char *types, const char **texts,
                     const int64_t *ints)
{
    ct_stmt *s = NULL;
    ct_status rc = ct_store_prepare(st, sql, &s);
    if (rc)
        return rc;
    for (int i = 0, t = 0, n = 0; types[i]; i++) {
        if (types[i] == 't')
            ct_stmt_bind_text(s, i + 1, texts[t++]);
        else
            ct_stmt_bind_int64(s, i + 1, ints[n++]);
    }
    rc = ct_stmt_step(s);
    ct_stmt_finalize(s);
    return rc == CT_DONE ? CT_OK : rc;
}

static ct_status log_change(sb_inventory *inv, ct_store *st, const sb_booking_seg *g)
{
    const char *texts[] = {carrier_code(inv, &g->dl)};
    int64_t ints[] = {inv->w->flights[g->dl.flight].number, g->dl.day, g->dl.leg};
    return run(st, "INSERT INTO sb_change (carrier, number, day, leg) VALUES (?, ?, ?, ?)", "tiii",
               texts, ints);
}

static void new_locator(char out[7])
{
    static const char alphabet[] = "ABCDEFGHJKLMNPQRSTUVWXYZ23456789";
    for (int i = 0; i < 6; i++)
        out[i] = alphabet[randombytes_uniform(sizeof(alphabet) - 1)];
    out[6] = '\0';
}

/* Looks up an earlier booking with the same idempotency key: sets *outcome to REPLAYED or
 * KEY_REUSED (reading the booking into *out for a replay) and returns 1, or returns 0. */
static int find_replay(sb_inventory *inv, ct_store *st, const sb_book_req *req,
                       sb_book_outcome *outcome, sb_booking *out, ct_status *rc)
{
    ct_stmt *s = NULL;
    *rc = ct_store_prepare(
        st, "SELECT id, fingerprint FROM sb_booking WHERE provider = ? AND idem_key = ?", &s);
    if (*rc)
        return 1;
    ct_stmt_bind_text(s, 1, req->provider);
    ct_stmt_bind_text(s, 2, req->idem_key);
    *rc = ct_stmt_step(s);
    if (*rc != CT_ROW) {
        ct_stmt_finalize(s);
        int found = *rc != CT_DONE;
        *rc = found ? *rc : CT_OK;
        return found;
    }
    char id[16];
    copy_text(id, sizeof(id), ct_stmt_text(s, 0));
    const char *fp = ct_stmt_text(s, 1);
    int same = fp && req->fingerprint && strcmp(fp, req->fingerprint) == 0;
    ct_stmt_finalize(s);
    *outcome = same ? SB_BOOK_REPLAYED : SB_BOOK_KEY_REUSED;
    *rc = same ? read_booking(inv, st, req->provider, id, req->now, out) : CT_OK;
    return 1;
}

ct_status sb_inventory_find_key(sb_inventory *inv, const char *provider, const char *idem_key,
                                const char *fingerprint, int64_t now, sb_book_outcome *outcome,
                                sb_booking *out)
{
    sb_book_req req = {
        .provider = provider, .idem_key = idem_key, .fingerprint = fingerprint, .now = now};
    ct_status rc = CT_OK;
    ct_store *st = acquire(inv);
    int found = find_replay(inv, st, &req, outcome, out, &rc);
    release(inv, st);
    return rc ? rc : found ? CT_OK : CT_NOT_FOUND;
}

/* Chooses the class of every leg; 0 when some leg cannot sell the seats. */
static int choose_classes(sb_inventory *inv, ct_store *st, const sb_book_req *req,
                          sb_booking_seg *segs, ct_status *rc)
{
    for (int i = 0; i < req->nsegs; i++) {
        int booked[SB_NCABINS];
        sb_leg_avail a;
        segs[i] = req->segs[i];
        *rc = booked_on(inv, st, &segs[i].dl, req->now, booked);
        if (!*rc)
            *rc = sb_inv_state(inv->w, &segs[i].dl, booked, req->now, req->now, &a);
        if (*rc)
            return 0;
        segs[i].cls = sb_inv_pick(&a, segs[i].cabin, req->seats);
        if (segs[i].cls < 0)
            return 0;
    }
    return 1;
}

static ct_status insert_booking(sb_inventory *inv, ct_store *st, const sb_book_req *req,
                                const sb_booking_seg *segs, int64_t amount, const char *doc,
                                char id[7])
{
    ct_status rc = CT_CONFLICT;
    for (int attempt = 0; attempt < 8 && rc == CT_CONFLICT; attempt++) {
        new_locator(id);
        const char *texts[] = {id, req->provider, req->idem_key, req->fingerprint, req->currency,
                               doc};
        int64_t ints[] = {req->seats, amount, req->offer_amount, req->now, req->expires_at};
        rc = run(st,
                 "INSERT INTO sb_booking (id, provider, idem_key, fingerprint, state, seats,"
                 " currency, amount, offer_amount, created_at, expires_at, doc)"
                 " VALUES (?, ?, ?, ?, 'held', ?, ?, ?, ?, ?, ?, ?)",
                 "ttttitiiiit", texts, ints);
    }
    for (int i = 0; !rc && i < req->nsegs; i++) {
        const char *texts[] = {id, carrier_code(inv, &segs[i].dl)};
        int64_t ints[] = {i,
                          inv->w->flights[segs[i].dl.flight].number,
                          segs[i].dl.day,
                          segs[i].dl.leg,
                          segs[i].cabin,
                          segs[i].cls,
                          req->seats,
                          req->expires_at};
        rc = run(st,
                 "INSERT INTO sb_booking_leg (booking_id, seq, carrier, number, day, leg, cabin,"
                 " class, seats, state, expires_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, 'H', ?)",
                 "titiiiiiii", texts, ints);
        if (!rc)
            rc = log_change(inv, st, &segs[i]);
    }
    return rc;
}

/* The body of sb_inventory_book, inside the transaction. */
static ct_status book_locked(sb_inventory *inv, ct_store *st, const sb_book_req *req,
                             sb_book_outcome *outcome, sb_booking *out)
{
    ct_status rc = CT_OK;
    if (req->idem_key != NULL && find_replay(inv, st, req, outcome, out, &rc))
        return rc;
    sb_booking_seg segs[SB_INV_MAX_SEGS];
    if (!choose_classes(inv, st, req, segs, &rc)) {
        *outcome = SB_BOOK_SOLD_OUT;
        return rc;
    }
    int64_t amount = 0;
    char *doc = NULL;
    rc = req->price(req->price_ctx, segs, req->nsegs, &amount, &doc);
    char id[7];
    if (!rc)
        rc = insert_booking(inv, st, req, segs, amount, doc, id);
    ct_free(doc);
    if (!rc) {
        *outcome = SB_BOOK_CREATED;
        rc = read_booking(inv, st, req->provider, id, req->now, out);
    }
    return rc;
}

ct_status sb_inventory_book(sb_inventory *inv, const sb_book_req *req, sb_book_outcome *outcome,
                            sb_booking *out)
{
    if (req->nsegs < 1 || req->nsegs > SB_INV_MAX_SEGS || req->seats < 1 ||
        req->seats > SB_INV_MAX_SEATS)
        return CT_INVALID;
    ct_store *st = acquire(inv);
    ct_status rc = begin(st);
    if (!rc) {
        rc = book_locked(inv, st, req, outcome, out);
        int keep = !rc && *outcome == SB_BOOK_CREATED;
        ct_status end = keep ? ct_store_commit(st) : ct_store_rollback(st);
        rc = rc ? rc : end;
    }
    release(inv, st);
    return rc;
}

/* The state changes after a booking exists: ticket, cancel, refund. */
typedef enum change_kind { CHANGE_TICKET, CHANGE_CANCEL, CHANGE_REFUND } change_kind;

typedef struct change_req {
    change_kind kind;
    const char *provider, *id, *payment_ref;
    int64_t now, refund_amount;
} change_req;

static ct_status apply_change(sb_inventory *inv, ct_store *st, const change_req *c, sb_booking *b,
                              sb_op_outcome *outcome)
{
    const char *texts[] = {c->payment_ref, c->id};
    const char *id_only[] = {c->id};
    int64_t ints[] = {c->now, c->refund_amount};
    ct_status rc = CT_OK;
    *outcome = SB_OP_DONE;
    if (c->kind == CHANGE_TICKET && b->state == SB_BOOKING_HELD) {
        rc = run(st,
                 "UPDATE sb_booking SET state = 'ticketed', ticketed_at = ?, payment_ref = ?"
                 " WHERE id = ?",
                 "itt", texts, ints);
        if (!rc)
            rc = run(st, "UPDATE sb_booking_leg SET state = 'T' WHERE booking_id = ?", "t", id_only,
                     NULL);
        return rc;
    }
    if (c->kind == CHANGE_TICKET && b->state == SB_BOOKING_TICKETED) {
        *outcome = strcmp(b->payment_ref, c->payment_ref) == 0 ? SB_OP_REPEATED : SB_OP_MISMATCH;
        return CT_OK;
    }
    int cancel_ok = b->state == SB_BOOKING_HELD || b->state == SB_BOOKING_EXPIRED;
    if ((c->kind == CHANGE_CANCEL && cancel_ok) ||
        (c->kind == CHANGE_REFUND && b->state == SB_BOOKING_TICKETED)) {
        rc = c->kind == CHANGE_CANCEL
                 ? run(st, "UPDATE sb_booking SET state = 'cancelled' WHERE id = ?", "t", id_only,
                       NULL)
                 : run(st,
                       "UPDATE sb_booking SET state = 'refunded', refund_amount = ? WHERE id = ?",
                       "it", id_only, ints + 1);
        if (!rc)
            rc = run(st, "UPDATE sb_booking_leg SET state = 'X' WHERE booking_id = ?", "t", id_only,
                     NULL);
        for (int i = 0; !rc && i < b->nsegs; i++)
            rc = log_change(inv, st, &b->segs[i]);
        return rc;
    }
    if ((c->kind == CHANGE_CANCEL && b->state == SB_BOOKING_CANCELLED) ||
        (c->kind == CHANGE_REFUND && b->state == SB_BOOKING_REFUNDED))
        *outcome = SB_OP_REPEATED;
    else
        *outcome = SB_OP_WRONG_STATE;
    return CT_OK;
}

static ct_status change(sb_inventory *inv, const change_req *c, sb_op_outcome *outcome,
                        sb_booking *out)
{
    ct_store *st = acquire(inv);
    ct_status rc = begin(st);
    if (rc)
        goto cleanup;
    rc = read_booking(inv, st, c->provider, c->id, c->now, out);
    if (!rc)
        rc = apply_change(inv, st, c, out, outcome);
    if (!rc && *outcome == SB_OP_DONE) {
        rc = ct_store_commit(st);
        if (!rc)
            rc = read_booking(inv, st, c->provider, c->id, c->now, out);
    } else {
        ct_store_rollback(st);
    }
cleanup:
    release(inv, st);
    return rc;
}

ct_status sb_inventory_ticket(sb_inventory *inv, const char *provider, const char *id,
                              const char *payment_ref, int64_t now, sb_op_outcome *outcome,
                              sb_booking *out)
{
    change_req c = {CHANGE_TICKET, provider, id, payment_ref, now, 0};
    return change(inv, &c, outcome, out);
}

ct_status sb_inventory_cancel(sb_inventory *inv, const char *provider, const char *id, int64_t now,
                              sb_op_outcome *outcome, sb_booking *out)
{
    change_req c = {CHANGE_CANCEL, provider, id, "", now, 0};
    return change(inv, &c, outcome, out);
}

ct_status sb_inventory_refund(sb_inventory *inv, const char *provider, const char *id, int64_t now,
                              int64_t refund_amount, sb_op_outcome *outcome, sb_booking *out)
{
    change_req c = {CHANGE_REFUND, provider, id, "", now, refund_amount};
    return change(inv, &c, outcome, out);
}
