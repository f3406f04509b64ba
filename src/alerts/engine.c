/* engine.c: the alerts engine: the slots and their index, the queue fed by "price.changed",
 * and the worker that re-prices affected alerts in batches (algorithm in alerts.h).
 *
 * A batch: under the mutex, take the queue and the first checks; map each changed leg
 * through the index to (slot, departure-day mask, return-day mask) (a per-slot stamp makes
 * each slot appear once; masks are relative to the slot's dep_lo / ret_lo) and copy those
 * records out. Without the mutex: price each record's affected date pairs, sharing one
 * search per (origin, destination, day, cabin, passengers, currency) in the batch's cache,
 * apply the rules, write triggers (one transaction each, with the outbox event) and the
 * other changed states (one transaction). Under the mutex again: store the new state in the
 * slots that still hold the same alert. */
#include <inttypes.h>
#include <math.h>
#include <stdio.h>
#include <string.h>
#include <sys/random.h>
#include <time.h>

#include "alerts/alerts_internal.h"
#include "base/alloc.h"
#include "base/log.h"
#include "base/timeutil.h"
#include "search/trip.h"

#define QUEUE_CAP  (1u << 22) /* changes queued at most; more are dropped (counted) */
#define MAX_PLACES CT__MAX_PLACES

int64_t ct__alerts_now(const ct_alerts *a)
{
    if (a->cfg.now_ms != NULL)
        return a->cfg.now_ms(a->cfg.clock_ctx);
    struct timespec ts;
    clock_gettime(CLOCK_REALTIME, &ts);
    return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

static int64_t mono_ms(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

/* ---- slots and index ---- */

/* Calls fn for every index key of the alert (2 roles per departure month, 2 more per
 * return month for a round trip). */
static ct_status each_key(const ct__alert *al, uint32_t slot,
                          ct_status (*fn)(ct__index *, uint64_t, uint32_t), ct__index *ix)
{
    ct_status rc = CT_OK;
    int32_t last = -1;
    for (int32_t d = al->dep_lo; d <= al->dep_hi && !rc; d++) {
        uint64_t k = ct__index_key(al->origin, d, 0);
        if ((int32_t)(k >> 2 & 0xfffff) == last)
            continue;
        last = (int32_t)(k >> 2 & 0xfffff);
        rc = fn(ix, k, slot);
        rc = rc ? rc : fn(ix, ct__index_key(al->destination, d, ROLE_DEST_DEP), slot);
    }
    last = -1;
    for (int32_t d = al->ret_lo; al->round_trip && d <= al->ret_hi && !rc; d++) {
        uint64_t k = ct__index_key(al->destination, d, ROLE_DEST_RET);
        if ((int32_t)(k >> 2 & 0xfffff) == last)
            continue;
        last = (int32_t)(k >> 2 & 0xfffff);
        rc = fn(ix, k, slot);
        rc = rc ? rc : fn(ix, ct__index_key(al->origin, d, ROLE_ORIGIN_RET), slot);
    }
    return rc;
}

static ct_status remove_key(ct__index *ix, uint64_t key, uint32_t slot)
{
    ct__index_remove(ix, key, slot);
    return CT_OK;
}

ct_status ct__alerts_put(ct_alerts *a, const ct__alert *al)
{
    uint32_t slot;
    if (a->nfree > 0) {
        slot = a->free_slots[--a->nfree];
    } else {
        if (a->nslots == a->cap) {
            size_t ncap = a->cap ? a->cap * 2 : 1024;
            ct__alert *ns = ct_realloc(a->slots, ncap * sizeof(*ns));
            if (ns == NULL)
                return CT_NOMEM;
            a->slots = ns;
            a->cap = ncap;
        }
        slot = (uint32_t)a->nslots++;
    }
    a->slots[slot] = *al;
    a->slots[slot].live = 1;
    ct_status rc = ct_map_put(a->by_id, al->id, (void *)(uintptr_t)(slot + 1));
    if (!rc)
        rc = each_key(al, slot, ct__index_add, a->index);
    if (rc) { /* undo: nothing half-indexed stays */
        each_key(al, slot, remove_key, a->index);
        ct_map_put(a->by_id, al->id, NULL);
        a->slots[slot].live = 0;
        if (a->nfree < a->free_cap)
            a->free_slots[a->nfree++] = slot;
        return rc;
    }
    a->stats.alerts++;
    return CT_OK;
}

static ct_status push_free(ct_alerts *a, uint32_t slot)
{
    if (a->nfree == a->free_cap) {
        size_t ncap = a->free_cap ? a->free_cap * 2 : 256;
        uint32_t *nf = ct_realloc(a->free_slots, ncap * sizeof(uint32_t));
        if (nf == NULL)
            return CT_NOMEM; /* the slot is lost, not reused: harmless */
        a->free_slots = nf;
        a->free_cap = ncap;
    }
    a->free_slots[a->nfree++] = slot;
    return CT_OK;
}

void ct__alerts_drop(ct_alerts *a, const char *id)
{
    uintptr_t v = (uintptr_t)ct_map_get(a->by_id, id);
    if (v == 0)
        return;
    uint32_t slot = (uint32_t)(v - 1);
    each_key(&a->slots[slot], slot, remove_key, a->index);
    a->slots[slot].live = 0;
    a->slots[slot].id[0] = '\0';
    ct_map_put(a->by_id, id, NULL);
    (void)push_free(a, slot);
    a->stats.alerts--;
}

static void signal_work(ct_alerts *a)
{
    if (a->queued_since_ms == 0)
        a->queued_since_ms = mono_ms();
    a->seq_queued++;
    pthread_cond_signal(&a->work);
}

void ct__alerts_queue_first(ct_alerts *a, const char *id)
{
    if (a->tt == NULL)
        return; /* checked when attached */
    if (a->nfirst == a->first_cap) {
        size_t ncap = a->first_cap ? a->first_cap * 2 : 64;
        char(*nf)[ALERT_ID_LEN] = ct_realloc(a->first, ncap * ALERT_ID_LEN);
        if (nf == NULL) {
            a->stats.dropped++;
            return;
        }
        a->first = nf;
        a->first_cap = ncap;
    }
    snprintf(a->first[a->nfirst++], ALERT_ID_LEN, "%s", id);
    signal_work(a);
}

/* ---- life cycle ---- */

ct_status ct_alerts_new(const ct_alerts_config *cfg, ct_alerts **out)
{
    ct_alerts *a = ct_calloc(1, sizeof(*a));
    if (a == NULL)
        return CT_NOMEM;
    pthread_mutex_init(&a->mu, NULL);
    pthread_mutex_init(&a->life, NULL);
    pthread_cond_init(&a->work, NULL);
    pthread_cond_init(&a->done, NULL);
    a->cfg = *cfg;
    if (a->cfg.cooldown_s <= 0)
        a->cfg.cooldown_s = CT_ALERTS_DEFAULT_COOLDOWN_S;
    if (a->cfg.max_per_user <= 0)
        a->cfg.max_per_user = CT_ALERTS_DEFAULT_PER_USER;
    if (a->cfg.batch_ms <= 0)
        a->cfg.batch_ms = 50;
    if (a->cfg.slice_ttl_s <= 0)
        a->cfg.slice_ttl_s = 900;
    a->by_id = ct_map_create();
    a->index = ct__index_new();
    a->slices = ct__slices_new();
    if (a->by_id == NULL || a->index == NULL || a->slices == NULL) {
        ct_alerts_free(a);
        return CT_NOMEM;
    }
    *out = a;
    return CT_OK;
}

static ct_status load_one(const ct__alert *al, void *ctx)
{
    return ct__alerts_put(ctx, al);
}

ct_status ct_alerts_load(ct_alerts *a, ct_store *st)
{
    pthread_mutex_lock(&a->mu);
    ct_status rc = ct__alert_scan(st, NULL, load_one, a);
    pthread_mutex_unlock(&a->mu);
    return rc ? rc : ct__trips_load(a, st);
}

static void free_bitmaps(ct_map *m)
{
    size_t pos = 0;
    const char *k;
    void *v;
    while (m != NULL && ct_map_next(m, &pos, &k, &v))
        ct_free(v);
    ct_map_destroy(m);
}

void ct_alerts_stop(ct_alerts *a)
{
    if (a == NULL)
        return;
    pthread_mutex_lock(&a->life);
    a->stopped = 1;
    if (a->bus != NULL && a->bus_sub > 0)
        ct_bus_unsubscribe(a->bus, a->bus_sub);
    a->bus = NULL;
    a->bus_sub = 0;
    int started = a->started;
    a->started = 0;
    pthread_mutex_unlock(&a->life);
    if (started) {
        pthread_mutex_lock(&a->mu);
        a->stop = 1;
        pthread_cond_broadcast(&a->work);
        pthread_mutex_unlock(&a->mu);
        pthread_join(a->thread, NULL);
    }
}

void ct_alerts_free(ct_alerts *a)
{
    if (a == NULL)
        return;
    ct_alerts_stop(a);
    pthread_mutex_destroy(&a->life);
    pthread_cond_destroy(&a->work);
    pthread_cond_destroy(&a->done);
    pthread_mutex_destroy(&a->mu);
    ct_map_destroy(a->by_id);
    free_bitmaps(a->reach_to);
    free_bitmaps(a->reach_from);
    ct_free(a->fwd);
    ct__index_free(a->index);
    ct__index_free(a->trip_index);
    ct__slices_free(a->slices);
    ct_free(a->trips);
    ct_free(a->slots);
    ct_free(a->free_slots);
    ct_free(a->queue);
    ct_free(a->queued);
    ct_free(a->first);
    ct_free(a);
}

static void queue_change(ct_alerts *a, uint32_t leg, ct_cabin cabin, int rise)
{
    pthread_mutex_lock(&a->mu);
    uint8_t bit = (uint8_t)(1u << (((unsigned)cabin & 3u) + (rise ? 4u : 0u))); /* per cabin */
    if (a->tt == NULL || leg >= a->tt->nlegs || (a->queued[leg] & bit)) {
        pthread_mutex_unlock(&a->mu);
        return;
    }
    if (a->nqueue == a->queue_cap) {
        size_t ncap = a->queue_cap ? a->queue_cap * 2 : 4096;
        ct__change *nq = ncap <= QUEUE_CAP ? ct_realloc(a->queue, ncap * sizeof(*nq)) : NULL;
        if (nq == NULL) {
            a->stats.dropped++;
            pthread_mutex_unlock(&a->mu);
            return;
        }
        a->queue = nq;
        a->queue_cap = ncap;
    }
    a->queued[leg] |= bit;
    a->queue[a->nqueue++] = (ct__change){leg, (uint8_t)cabin, (uint8_t)(rise != 0)};
    a->stats.rises += rise ? 1 : 0;
    signal_work(a);
    pthread_mutex_unlock(&a->mu);
}

void ct_alerts_leg_changed(ct_alerts *a, uint32_t leg, ct_cabin cabin)
{
    queue_change(a, leg, cabin, 0);
}

void ct_alerts_leg_rose(ct_alerts *a, uint32_t leg, ct_cabin cabin)
{
    queue_change(a, leg, cabin, 1);
}

/* The cabin a price-change event names (economy when it names none we know). */
static ct_cabin cabin_or_economy(const char *name)
{
    ct_cabin c = CT_CABIN_ECONOMY;
    (void)ct_cabin_parse(name, &c);
    return c;
}

/* The bus handler: {"carrier","flight_number","origin","departure","cabin",...} (ingest's
 * publish_prices) to a dated leg of the attached timetable. */
static void on_price_changed(const char *topic, json_t *ev, void *ctx)
{
    (void)topic;
    ct_alerts *a = ctx;
    const ct_timetable *tt = a->tt;
    const char *carrier = json_string_value(json_object_get(ev, "carrier"));
    const char *origin = json_string_value(json_object_get(ev, "origin"));
    const char *dep = json_string_value(json_object_get(ev, "departure"));
    const char *cabin = json_string_value(json_object_get(ev, "cabin"));
    json_t *now = json_object_get(ev, "amount_minor"),
           *was = json_object_get(ev, "previous_amount_minor");
    /* dearer or gone: no new low through this leg, but a kept cheapest through it is void */
    int rise = !json_is_integer(now) ||
               (json_is_integer(was) && json_integer_value(now) >= json_integer_value(was));
    ct_utc t;
    if (carrier == NULL || origin == NULL || dep == NULL || ct_utc_parse(dep, &t) != CT_OK)
        return;
    int c = -1;
    for (size_t i = 0; i < tt->ncarriers && c < 0; i++)
        c = strcmp(tt->carriers[i], carrier) == 0 ? (int)i : -1;
    int from = ct_timetable_airport(tt, origin);
    if (c < 0 || from < 0)
        return;
    int64_t leg =
        ct_timetable_find_leg(tt, c, (int)json_integer_value(json_object_get(ev, "flight_number")),
                              (uint16_t)from, (int32_t)(t / 60));
    if (leg >= 0)
        queue_change(a, (uint32_t)leg, cabin_or_economy(cabin), rise);
}

ct_status ct_alerts_attach(ct_alerts *a, const ct_timetable *tt, ct_pricebook *pb, ct_bus *bus)
{
    pthread_mutex_lock(&a->life);
    pthread_mutex_lock(&a->mu);
    ct_status rc = CT_OK;
    if (a->tt != NULL || a->stopped) {
        rc = CT_INVALID;
        goto done;
    }
    a->queued = ct_calloc(tt->nlegs ? tt->nlegs : 1, 1);
    if (a->queued == NULL) {
        rc = CT_NOMEM;
        goto done;
    }
    a->words = (tt->nairports + 63) / 64;
    a->fwd = ct_calloc(tt->nairports * a->words + 1, sizeof(uint64_t));
    a->reach_to = ct_map_create();
    a->reach_from = ct_map_create();
    if (a->fwd == NULL || a->reach_to == NULL || a->reach_from == NULL) {
        rc = CT_NOMEM;
        goto done;
    }
    for (size_t i = 0; i < tt->nlegs; i++)
        a->fwd[tt->legs[i].from * a->words + tt->legs[i].to / 64] |= 1ull << (tt->legs[i].to % 64);
    a->tt = tt;
    a->pb = pb;
    ct__trips_resolve(a);
    if (a->schedule_pending)
        pthread_cond_signal(&a->work);
    for (size_t i = 0; i < a->nslots; i++) {
        if (a->slots[i].live && a->slots[i].last_checked_at == ALERT_NONE)
            ct__alerts_queue_first(a, a->slots[i].id);
    }
done:
    pthread_mutex_unlock(&a->mu);
    if (!rc && bus != NULL) {
        rc = ct_bus_subscribe(bus, "price.changed", on_price_changed, a, &a->bus_sub);
        if (!rc)
            a->bus = bus;
    }
    pthread_mutex_unlock(&a->life);
    return rc;
}

ct_status ct_alerts_flush(ct_alerts *a, int timeout_ms)
{
    struct timespec until;
    clock_gettime(CLOCK_REALTIME, &until);
    until.tv_sec += timeout_ms / 1000;
    until.tv_nsec += (long)(timeout_ms % 1000) * 1000000L;
    if (until.tv_nsec >= 1000000000L) {
        until.tv_sec++;
        until.tv_nsec -= 1000000000L;
    }
    pthread_mutex_lock(&a->mu);
    uint64_t want = a->seq_queued;
    ct_status rc = CT_OK;
    while (a->seq_done < want && !rc) {
        if (pthread_cond_timedwait(&a->done, &a->mu, &until) != 0 && a->seq_done < want)
            rc = CT_AGAIN;
    }
    pthread_mutex_unlock(&a->mu);
    return rc;
}

void ct_alerts_stats_get(ct_alerts *a, ct_alerts_stats *out)
{
    pthread_mutex_lock(&a->mu);
    *out = a->stats;
    pthread_mutex_unlock(&a->mu);
}

/* ---- a batch ---- */

typedef struct work_item {
    ct__alert al; /* a copy of the record when collected */
    uint32_t slot;
    uint64_t dep_mask; /* affected departure days, bit i = dep_lo + i */
    uint64_t ret_mask; /* affected return days, bit i = ret_lo + i */
    int first;         /* first check: record only */
    /* the result */
    int64_t price; /* ALERT_NONE: nothing priced */
    int32_t best_dep, best_ret;
    int fired, changed;
    int64_t previous_low;
} work_item;

#define BATCH_CTX 64

typedef struct batch {
    ct_alerts *a;
    work_item *items;
    size_t n, cap;
    uint32_t *stamp; /* per slot: index + 1 into items of this batch, 0: not yet */
    size_t stamp_len;
    ct_map *bounds;  /* (place, direction, day, context) -> lowest leg bound (double) */
    ct__trip *trips; /* booked trips a change concerns (copies) */
    size_t ntrips, trips_cap;
    ct_pb_view view;
    ct__slice_env env; /* the slices' pricing in this batch */
    int64_t today;
    int64_t queued_since;
    struct {
        int cabin, pax, ok;
        char currency[4];
        ct_price_ctx pc;
    } ctx[BATCH_CTX]; /* pricing contexts of the batch, by cabin, passengers and currency */
    int nctx;
    uint64_t searches, restricted; /* this batch's (added to the stats under mu) */
    ct_status mid_rc;              /* a failure while re-checking a middle leg's alerts */
} batch;

static work_item *item_for(batch *b, uint32_t slot)
{
    if (b->stamp[slot] != 0)
        return &b->items[b->stamp[slot] - 1];
    if (b->n == b->cap) {
        size_t ncap = b->cap ? b->cap * 2 : 256;
        work_item *ni = ct_realloc(b->items, ncap * sizeof(*ni));
        if (ni == NULL)
            return NULL;
        b->items = ni;
        b->cap = ncap;
    }
    work_item *w = &b->items[b->n++];
    memset(w, 0, sizeof(*w));
    w->al = b->a->slots[slot];
    w->slot = slot;
    w->price = ALERT_NONE;
    b->stamp[slot] = (uint32_t)b->n;
    return w;
}

/* The day bits of [lo, hi] within [base, top], as a mask relative to base. */
static uint64_t day_bits(int32_t lo, int32_t hi, int32_t base, int32_t top)
{
    uint64_t m = 0;
    for (int32_t d = lo > base ? lo : base; d <= hi && d <= top; d++) {
        if (d - base < 64)
            m |= 1ull << (d - base);
    }
    return m;
}

int ct__alerts_resolve_place(const ct_timetable *tt, const char *code, uint16_t *out)
{
    const ct_metro *m = ct_refdata_metro(tt->rd, code);
    int n = 0;
    for (int i = 0; m != NULL && i < m->nairports && n < MAX_PLACES; i++) {
        int ap = ct_timetable_airport(tt, m->airports[i]->iata);
        if (ap >= 0)
            out[n++] = (uint16_t)ap;
    }
    if (m == NULL) {
        int ap = ct_timetable_airport(tt, code);
        if (ap >= 0)
            out[n++] = (uint16_t)ap;
    }
    return n;
}

/* The airports that reach `place` within two hops (into = 1), or that it reaches (into = 0),
 * as a bitmap over airports; built once per place and kept (under mu). NULL: no memory. */
static const uint64_t *reach(ct_alerts *a, const char *place, int into)
{
    ct_map *m = into ? a->reach_to : a->reach_from;
    uint64_t *res = ct_map_get(m, place);
    if (res != NULL)
        return res;
    size_t w = a->words, n = a->tt->nairports;
    res = ct_calloc(w, sizeof(uint64_t));
    uint64_t *l1 = ct_calloc(w, sizeof(uint64_t));
    if (res == NULL || l1 == NULL || ct_map_put(m, place, res) != CT_OK) {
        ct_free(res);
        ct_free(l1);
        return NULL;
    }
    uint16_t ap[MAX_PLACES];
    int np = ct__alerts_resolve_place(a->tt, place, ap);
    for (int i = 0; i < np; i++)
        res[ap[i] / 64] |= 1ull << (ap[i] % 64);
    if (into) {
        for (size_t x = 0; x < n; x++) { /* one hop: a direct leg into the place */
            const uint64_t *f = &a->fwd[x * w];
            for (size_t k = 0; k < w; k++) {
                if (f[k] & res[k]) {
                    l1[x / 64] |= 1ull << (x % 64);
                    break;
                }
            }
        }
        for (size_t x = 0; x < n; x++) { /* two hops */
            const uint64_t *f = &a->fwd[x * w];
            for (size_t k = 0; k < w; k++) {
                if (f[k] & l1[k]) {
                    res[x / 64] |= 1ull << (x % 64);
                    break;
                }
            }
        }
    } else {
        for (int i = 0; i < np; i++)
            for (size_t k = 0; k < w; k++)
                l1[k] |= a->fwd[ap[i] * w + k];
        for (size_t y = 0; y < n; y++) {
            if (l1[y / 64] >> (y % 64) & 1)
                for (size_t k = 0; k < w; k++)
                    res[k] |= a->fwd[y * w + k];
        }
    }
    for (size_t k = 0; k < w; k++)
        res[k] |= l1[k];
    ct_free(l1);
    return res;
}

/* The batch's pricing context for a cabin, passenger count and currency; NULL when the
 * currency has no rate. */
static const ct_price_ctx *ctx_of(batch *b, int cabin, int pax, const char *currency)
{
    for (int i = 0; i < b->nctx; i++) {
        if (b->ctx[i].cabin == cabin && b->ctx[i].pax == pax &&
            strcmp(b->ctx[i].currency, currency) == 0)
            return b->ctx[i].ok ? &b->ctx[i].pc : NULL;
    }
    if (b->nctx == BATCH_CTX)
        return NULL;
    int i = b->nctx++;
    b->ctx[i].cabin = cabin;
    b->ctx[i].pax = pax;
    memcpy(b->ctx[i].currency, currency, 4);
    b->ctx[i].ok =
        ct_price_ctx_init(&b->ctx[i].pc, &b->view, (ct_cabin)cabin, pax, pax, currency) == CT_OK;
    return b->ctx[i].ok ? &b->ctx[i].pc : NULL;
}

static const ct_price_ctx *ctx_for(batch *b, const ct__alert *al)
{
    return ctx_of(b, al->cabin, al->passengers, al->currency);
}

static const ct_price_ctx *env_ctx(void *ctx, int cabin, int passengers, const char *currency)
{
    return ctx_of(ctx, cabin, passengers, currency);
}

/* 0 when leg l, in the alert's `role`, cannot be on an itinerary below the alert's low. */
/* 1 when airport x is one of place's airports. */
static int in_place(const ct_timetable *tt, uint16_t x, const char *place)
{
    uint16_t ap[MAX_PLACES];
    int n = ct__alerts_resolve_place(tt, place, ap);
    for (int i = 0; i < n; i++) {
        if (ap[i] == x)
            return 1;
    }
    return 0;
}

/* The lowest per-passenger bound of the legs into (into = 1) or out of (into = 0) place's
 * airports departing on days [day0, day1) (UTC), under the batch's pricing context `pc`;
 * INFINITY when none is sold. Cached per batch (the bounds move with prices). 0 on failure
 * (prunes nothing). */
static double place_bound(batch *b, const ct_price_ctx *pc, const char *place, int into,
                          int64_t day0, int64_t day1)
{
    char key[64];
    snprintf(key, sizeof(key), "%s%d%lld%p", place, into, (long long)day0, (const void *)pc);
    double *v = ct_map_get(b->bounds, key);
    if (v != NULL)
        return *v;
    const ct_timetable *tt = b->a->tt;
    int32_t t0 = (int32_t)(day0 * 1440), t1 = (int32_t)(day1 * 1440);
    uint16_t ap[MAX_PLACES];
    int n = ct__alerts_resolve_place(tt, place, ap);
    double best = INFINITY;
    for (int k = 0; k < n; k++) {
        if (!into) {
            for (uint32_t i = ct_timetable_first_departure(tt, ap[k], t0);
                 i < tt->first[ap[k] + 1] && tt->legs[i].dep < t1; i++) {
                double x = ct_price_leg_bound(pc, &tt->legs[i]);
                best = x < best ? x : best;
            }
            continue;
        }
        const ct_arrival_routes *r = ct_timetable_arrival_routes(tt, ap[k]);
        if (r == NULL)
            return 0;
        uint32_t lo = ct_arrival_day(tt, r, t0), hi = ct_arrival_day(tt, r, t1);
        for (uint32_t i = 0; i < r->nroutes; i++) {
            const uint16_t *days = r->day_first + (size_t)i * (r->ndays + 1);
            for (uint32_t j = r->lo[i] + days[lo]; j < r->lo[i] + days[hi]; j++) {
                double x = ct_price_leg_bound(pc, &tt->legs[tt->by_arr[j]]);
                best = x < best ? x : best;
            }
        }
    }
    v = ct_malloc(sizeof(*v));
    if (v != NULL) {
        *v = best;
        if (ct_map_put(b->bounds, key, v) != CT_OK)
            ct_free(v);
    }
    return best;
}

/* 0 when leg l, in the alert's `role`, cannot be on any itinerary of the alert: its far end
 * cannot reach the alert's other end within two hops. */
static int leg_reaches(batch *b, const ct__alert *al, int role, const ct_leg *l)
{
    int into = role == ROLE_ORIGIN_DEP || role == ROLE_DEST_RET;
    const char *other =
        role == ROLE_ORIGIN_DEP || role == ROLE_ORIGIN_RET ? al->destination : al->origin;
    uint16_t end = into ? l->to : l->from;
    const uint64_t *r = reach(b->a, other, into);
    return r == NULL || (r[end / 64] >> (end % 64) & 1);
}

/* 0 when leg l, in the alert's `role`, cannot be on an itinerary below the alert's low: the
 * lower bound of any itinerary through it (its own bound, plus the cheapest leg into the
 * destination, or out of the origin, when it does not end or start there; x 0.85 for
 * through fares, x 0.9 more for a round trip's one-ticket discount, x passengers) reaches
 * the low. */
static int leg_may_matter(batch *b, const ct__alert *al, int role, const ct_leg *l)
{
    const ct_timetable *tt = b->a->tt;
    int into = role == ROLE_ORIGIN_DEP || role == ROLE_DEST_RET;
    const char *other =
        role == ROLE_ORIGIN_DEP || role == ROLE_ORIGIN_RET ? al->destination : al->origin;
    uint16_t end = into ? l->to : l->from;
    if (al->baseline == ALERT_NONE)
        return 1;
    const ct_price_ctx *pc = ctx_for(b, al);
    if (pc == NULL || b->bounds == NULL)
        return 1;
    double bound = ct_price_leg_bound(pc, l);
    if (!in_place(tt, end, other)) {
        int64_t day = (into ? l->arr : l->dep) / 1440;
        bound += into ? place_bound(b, pc, other, 1, day, day + 4)
                      : place_bound(b, pc, other, 0, day - 3, day + 1);
    }
    bound *= al->passengers * (al->round_trip ? 0.85 * 0.9 : 0.85);
    return bound < (double)al->baseline; /* INFINITY (nobody sells it) prunes too */
}

/* The drop of leg c->leg noted on the kept slices of alert al on days [lo, hi]: one way, its
 * cheapest; a round trip, the set of its outbound (ret = 0) or return half. */
static void note_slices(batch *b, const ct__alert *al, int32_t lo, int32_t hi, int ret,
                        const ct__change *c)
{
    int32_t base = ret ? al->ret_lo : al->dep_lo, top = ret ? al->ret_hi : al->dep_hi;
    const char *from = ret ? al->destination : al->origin, *to = ret ? al->origin : al->destination;
    for (int32_t d = lo > base ? lo : base; d <= hi && d <= top; d++) {
        if (d < b->today || (!al->round_trip && !ct__alert_pair_ok(al, d, ALERT_NONE)))
            continue;
        ct__slices_note_drop(b->a->slices, al, from, to, d, al->round_trip, c->leg);
    }
}

/* The slots under one index key whose dates in [lo, hi] (departure or return, by role)
 * may be affected: marked in their work items. */
static ct_status mark(batch *b, const char *place, int32_t lo, int32_t hi, int role,
                      const ct__change *c)
{
    const ct_leg *leg = &b->a->tt->legs[c->leg];
    ct_alerts *a = b->a;
    int32_t last_month = -1;
    for (int32_t day = lo; day <= hi; day++) {
        uint64_t key = ct__index_key(place, day, role);
        int32_t month = (int32_t)(key >> 2 & 0xfffff);
        if (month == last_month)
            continue;
        last_month = month;
        size_t n;
        const uint32_t *slots = ct__index_get(a->index, key, &n);
        for (size_t i = 0; i < n; i++) {
            const ct__alert *al = &a->slots[slots[i]];
            int ret = role >= ROLE_DEST_RET;
            int32_t base = ret ? al->ret_lo : al->dep_lo, top = ret ? al->ret_hi : al->dep_hi;
            if (al->cabin != c->cabin || hi < base || lo > top)
                continue;
            if (!leg_reaches(b, al, role, leg)) {
                a->stats.pruned++;
                continue;
            }
            note_slices(b, al, lo, hi, ret, c); /* kept prices follow every drop, pruned or not */
            if (!leg_may_matter(b, al, role, leg)) {
                a->stats.pruned++;
                continue;
            }
            work_item *w = item_for(b, slots[i]);
            if (w == NULL)
                return CT_NOMEM;
            if (ret)
                w->ret_mask |= day_bits(lo, hi, base, top);
            else
                w->dep_mask |= day_bits(lo, hi, base, top);
        }
    }
    return CT_OK;
}

/* An airport's places: its code and its metro area's. */
static int places_of(const ct_timetable *tt, uint16_t airport, const char *out[2])
{
    const ct_airport *ap = ct_refdata_airport_at(tt->rd, airport);
    out[0] = ap->iata;
    out[1] = ap->metro;
    return ap->metro != NULL && strcmp(ap->metro, ap->iata) != 0 ? 2 : 1;
}

/* The alerts under one index key that a kept slice concerns, re-checked on its day:
 * one-way alerts of that route (a cheapest record), or round trips whose outbound (ret = 0)
 * or return half it is. */
static void recheck_key(batch *b, const ct__slice_info *si, int ret)
{
    ct_alerts *a = b->a;
    size_t n;
    const uint32_t *slots = ct__index_get(
        a->index, ct__index_key(si->from, si->day, ret ? ROLE_DEST_RET : ROLE_ORIGIN_DEP), &n);
    for (size_t i = 0; i < n && !b->mid_rc; i++) {
        const ct__alert *al = &a->slots[slots[i]];
        const char *from = ret ? al->destination : al->origin;
        const char *to = ret ? al->origin : al->destination;
        int32_t lo = ret ? al->ret_lo : al->dep_lo, hi = ret ? al->ret_hi : al->dep_hi;
        if (al->round_trip != si->set || al->cabin != si->cabin ||
            al->passengers != si->passengers || si->day < lo || si->day > hi ||
            strcmp(from, si->from) != 0 || strcmp(to, si->to) != 0 ||
            strcmp(al->currency, si->currency) != 0 ||
            (!al->round_trip && !ct__alert_pair_ok(al, si->day, ALERT_NONE)))
            continue;
        work_item *w = item_for(b, slots[i]);
        if (w == NULL)
            b->mid_rc = CT_NOMEM;
        else if (ret)
            w->ret_mask |= day_bits(si->day, si->day, lo, hi);
        else
            w->dep_mask |= day_bits(si->day, si->day, lo, hi);
    }
}

/* A kept slice a middle leg may have lowered: the alerts it prices re-checked. */
static void middle_dropped(void *ctx, const ct__slice_info *si)
{
    recheck_key(ctx, si, 0);
    if (si->set)
        recheck_key(ctx, si, 1);
}

/* Leg c->leg = A -> B as the middle of two stops: each (origin airport, local date) of the
 * first legs that can precede it (into A, within the connection window) handed to the
 * slices, which re-price the records it may lower. */
static ct_status collect_middle(batch *b, const ct__change *c)
{
    ct_alerts *a = b->a;
    const ct_timetable *tt = a->tt;
    const ct_leg *l = &tt->legs[c->leg];
    const ct_arrival_routes *r = ct_timetable_arrival_routes(tt, l->from);
    if (r == NULL)
        return CT_OK; /* no memory for the index: the time to live bounds it */
    const uint64_t *reached = &a->fwd[l->to * a->words];
    int32_t t0 = l->dep - 2 * CT_SEARCH_MAX_CONNECT;
    for (uint32_t i = 0; i < r->nroutes && !b->mid_rc; i++) {
        const uint16_t *days = r->day_first + (size_t)i * (r->ndays + 1);
        int32_t last_day = INT32_MIN;
        for (uint32_t j = r->lo[i] + days[ct_arrival_day(tt, r, t0)]; j < r->lo[i + 1]; j++) {
            const ct_leg *l1 = &tt->legs[tt->by_arr[j]];
            if (l1->dep > l->dep)
                break;
            if (l1->arr + CT_SEARCH_MCT_DOMESTIC > l->dep ||
                l1->arr + CT_SEARCH_MAX_CONNECT < l->dep || l1->local_date == last_day ||
                l1->local_date < b->today)
                continue;
            last_day = l1->local_date;
            ct__slices_middle(a->slices, &b->env, l1->from, l1->local_date, c->leg, c->cabin,
                              reached, middle_dropped, b);
        }
    }
    return b->mid_rc;
}

static ct_status collect_change(batch *b, const ct__change *c)
{
    const ct_timetable *tt = b->a->tt;
    const ct_leg *l = &tt->legs[c->leg];
    const char *from[2], *to[2];
    int nf = places_of(tt, l->from, from), nt = places_of(tt, l->to, to);
    int32_t d = l->local_date;
    ct_status rc = CT_OK;
    for (int i = 0; i < nf && !rc; i++) {
        rc = mark(b, from[i], d, d, ROLE_ORIGIN_DEP, c);
        rc = rc ? rc : mark(b, from[i], d, d, ROLE_DEST_RET, c);
    }
    for (int i = 0; i < nt && !rc; i++) {
        rc = mark(b, to[i], d - 2, d, ROLE_DEST_DEP, c);
        rc = rc ? rc : mark(b, to[i], d - 2, d, ROLE_ORIGIN_RET, c);
    }
    return rc ? rc : collect_middle(b, c);
}

static ct_status collect_first(batch *b, const char *id)
{
    uintptr_t v = (uintptr_t)ct_map_get(b->a->by_id, id);
    if (v == 0)
        return CT_OK; /* deleted meanwhile */
    work_item *w = item_for(b, (uint32_t)(v - 1));
    if (w == NULL)
        return CT_NOMEM;
    w->first = 1;
    w->dep_mask = day_bits(w->al.dep_lo, w->al.dep_hi, w->al.dep_lo, w->al.dep_hi);
    w->ret_mask =
        w->al.round_trip ? day_bits(w->al.ret_lo, w->al.ret_hi, w->al.ret_lo, w->al.ret_hi) : 0;
    return CT_OK;
}

static int64_t price_pair(batch *b, const ct__alert *al, int32_t dep, int32_t ret)
{
    if (ret == ALERT_NONE)
        return ct__slices_price(b->a->slices, &b->env, al, dep);
    ct_search_result s1, s2;
    const ct_price_ctx *pc = ctx_for(b, al);
    /* both halves kept: the second call does not touch the first's set */
    if (pc == NULL ||
        !ct__slices_set(b->a->slices, &b->env, al, al->origin, al->destination, dep, &s1) ||
        !ct__slices_set(b->a->slices, &b->env, al, al->destination, al->origin, ret, &s2))
        return ALERT_NONE;
    ct_trip t;
    return ct_trip_cheapest_pair(&s1, &s2, pc, &t) && t.price != CT_PRICE_UNKNOWN ? t.price
                                                                                  : ALERT_NONE;
}

static void consider(work_item *w, int64_t p, int32_t dep, int32_t ret)
{
    if (p == ALERT_NONE || p < 0)
        return;
    if (w->price == ALERT_NONE || p < w->price) {
        w->price = p;
        w->best_dep = dep;
        w->best_ret = ret;
    }
}

/* Prices the affected date pairs of one item (departures not in the past). */
static void price_item(batch *b, work_item *w)
{
    const ct__alert *al = &w->al;
    for (int32_t dep = al->dep_lo; dep <= al->dep_hi; dep++) {
        if (dep < b->today)
            continue;
        int dep_hit = dep - al->dep_lo < 64 && (w->dep_mask >> (dep - al->dep_lo) & 1);
        if (!al->round_trip) {
            if (dep_hit && ct__alert_pair_ok(al, dep, ALERT_NONE))
                consider(w, price_pair(b, al, dep, ALERT_NONE), dep, ALERT_NONE);
            continue;
        }
        for (int32_t ret = al->ret_lo; ret <= al->ret_hi; ret++) {
            int ret_hit = ret - al->ret_lo < 64 && (w->ret_mask >> (ret - al->ret_lo) & 1);
            if ((dep_hit || ret_hit) && ct__alert_pair_ok(al, dep, ret))
                consider(w, price_pair(b, al, dep, ret), dep, ret);
        }
    }
}

/* The rules of alerts.h on one priced item: its new state, and whether it fires. */
static void decide(const ct_alerts *a, work_item *w, int64_t now)
{
    ct__alert *al = &w->al;
    if (w->price == ALERT_NONE)
        return;
    int64_t p = w->price;
    w->previous_low = al->baseline;
    int cooled = al->last_notified_at == ALERT_NONE ||
                 now - al->last_notified_at >= (int64_t)a->cfg.cooldown_s * 1000;
    if (!w->first && al->baseline != ALERT_NONE && cooled) {
        if (al->max_price != ALERT_NONE)
            w->fired =
                p <= al->max_price && (al->notified_low == ALERT_NONE || p < al->notified_low);
        else
            w->fired = p * 100 <= al->baseline * (100 - al->drop_percent);
    }
    w->changed = w->fired || al->last_price != p || al->baseline == ALERT_NONE ||
                 p < al->baseline || al->last_checked_at == ALERT_NONE;
    if (al->baseline == ALERT_NONE || p < al->baseline)
        al->baseline = p;
    al->last_price = p;
    al->last_checked_at = now;
    if (w->fired) {
        al->notified_low = p;
        al->last_notified_at = now;
    }
}

static json_t *opt_int(int64_t v)
{
    return v == ALERT_NONE ? json_null() : json_integer(v);
}

/* `prediction` (may be NULL: null) is taken by the answer. */
static json_t *payload(const work_item *w, const char *user_id, json_t *prediction)
{
    const ct__alert *al = &w->al;
    char url[256], dep[16], ret[16];
    ct__alert_search_url(al, w->best_dep, w->best_ret, url, sizeof(url));
    int exact = al->mode == ALERT_EXACT;
    ct_date_format(w->best_dep, dep, sizeof(dep));
    if (w->best_ret != ALERT_NONE)
        ct_date_format(w->best_ret, ret, sizeof(ret));
    return json_pack(
        "{s:s, s:s, s:s, s:s, s:o, s:o, s:s, s:s, s:I, s:o, s:o, s:o, s:s, s:o, s:{s:s, s:o}}",
        "user_id", user_id, "alert_id", al->id, "origin", al->origin, "destination",
        al->destination, "departure_date", exact ? json_string(dep) : json_null(), "return_date",
        exact && w->best_ret != ALERT_NONE ? json_string(ret) : json_null(), "cabin",
        ct__alert_cabin_name(al->cabin), "currency", al->currency, "price_minor",
        (json_int_t)w->price, "previous_low_minor", opt_int(w->previous_low), "threshold_minor",
        opt_int(al->max_price), "drop_percent",
        al->drop_percent ? json_integer(al->drop_percent) : json_null(), "search_url", url,
        "prediction", prediction ? prediction : json_null(), "travel_dates", "departure", dep,
        "return", w->best_ret != ALERT_NONE ? json_string(ret) : json_null());
}

/* One trigger: the state and the event in one transaction (the row must still exist). */
static ct_status write_trigger(ct_alerts *a, ct_store *st, const work_item *w)
{
    ct__alert row;
    char owner[40];
    json_t *prediction = a->cfg.predict == NULL
                             ? NULL
                             : a->cfg.predict(a->cfg.predict_ctx, w->al.origin, w->al.destination,
                                              w->best_dep, w->al.cabin, w->price, w->al.currency);
    ct_status rc = ct_store_begin(st);
    if (rc) {
        json_decref(prediction);
        return rc;
    }
    rc = ct__alert_read(st, NULL, w->al.id, &row, owner);
    if (!rc)
        rc = ct__alert_update_state(st, &w->al);
    json_t *pl = rc ? NULL : payload(w, owner, prediction);
    if (rc)
        json_decref(prediction);
    if (!rc)
        rc = pl != NULL
                 ? ct_outbox_add(st, "price_alert", w->al.id, "price_alert.triggered", pl, NULL, 0)
                 : CT_NOMEM;
    json_decref(pl);
    if (!rc)
        return ct_store_commit(st);
    ct_store_rollback(st);
    return rc == CT_NOT_FOUND ? CT_OK : rc;
}

static ct_status write_states(ct_store *st, const batch *b)
{
    size_t n = 0;
    for (size_t i = 0; i < b->n; i++)
        n += b->items[i].changed && !b->items[i].fired;
    if (n == 0)
        return CT_OK; /* nothing to record: no transaction */
    ct_stmt *s = NULL;
    ct_status rc = ct_store_begin(st);
    if (!rc)
        rc = ct__alert_state_prepare(st, &s); /* once for the batch */
    for (size_t i = 0; i < b->n && !rc; i++) {
        if (b->items[i].changed && !b->items[i].fired)
            rc = ct__alert_state_run(s, &b->items[i].al);
    }
    if (s != NULL)
        ct_stmt_finalize(s);
    if (!rc)
        return ct_store_commit(st);
    ct_store_rollback(st);
    return rc;
}

static void write_batch(batch *b)
{
    ct_alerts *a = b->a;
    ct_store *st = NULL;
    if (ct_store_pool_acquire(a->cfg.pool, 5000, &st) != CT_OK) {
        ct_log(CT_LOG_WARN, "alerts.store", "message", "no database connection", NULL);
        for (size_t i = 0; i < b->n; i++)
            b->items[i].changed = b->items[i].fired = 0;
        return;
    }
    size_t fired = 0;
    for (size_t i = 0; i < b->n; i++) {
        work_item *w = &b->items[i];
        if (!w->fired)
            continue;
        ct_status rc = write_trigger(a, st, w);
        if (rc) {
            ct_log(CT_LOG_WARN, "alerts.trigger", "alert", w->al.id, "status", ct_status_name(rc),
                   NULL);
            w->fired = w->changed = 0;
            continue;
        }
        fired++;
        if (a->cfg.triggered != NULL)
            a->cfg.triggered(a->cfg.triggered_ctx, w->al.id, b->queued_since);
    }
    if (write_states(st, b) != CT_OK) {
        ct_log(CT_LOG_WARN, "alerts.state", "message", ct_store_errmsg(st), NULL);
        for (size_t i = 0; i < b->n; i++)
            b->items[i].changed = b->items[i].fired ? 1 : 0;
    }
    ct_store_pool_release(a->cfg.pool, st);
    if (fired > 0 && a->cfg.outbox != NULL)
        ct_outbox_kick(a->cfg.outbox);
}

/* Under mu: the new states into the slots that still hold the same alert. */
static void store_states(batch *b)
{
    ct_alerts *a = b->a;
    for (size_t i = 0; i < b->n; i++) {
        const work_item *w = &b->items[i];
        ct__alert *s = &a->slots[w->slot];
        if (!w->changed || !s->live || strcmp(s->id, w->al.id) != 0 ||
            s->updated_at != w->al.updated_at)
            continue;
        s->baseline = w->al.baseline;
        s->last_price = w->al.last_price;
        s->last_checked_at = w->al.last_checked_at;
        s->notified_low = w->al.notified_low;
        s->last_notified_at = w->al.last_notified_at;
        a->stats.triggers += w->fired ? 1 : 0;
    }
    a->stats.batches++;
    a->stats.rechecks += b->n;
    a->stats.searches += b->searches;
    a->stats.restricted += b->restricted;
    b->searches = b->restricted = 0;
}

/* Under mu on entry and exit: takes what is queued and evaluates it. */
static void run_batch(ct_alerts *a, batch *b)
{
    ct__change *q = a->queue;
    size_t nq = a->nqueue;
    char(*first)[ALERT_ID_LEN] = a->first;
    size_t nfirst = a->nfirst;
    uint64_t seq = a->seq_queued;
    a->queue = NULL;
    a->nqueue = a->queue_cap = 0;
    a->first = NULL;
    a->nfirst = a->first_cap = 0;
    b->queued_since = a->queued_since_ms;
    a->queued_since_ms = 0;
    b->n = 0;
    b->nctx = 0;
    b->bounds = ct_map_create(); /* NULL: no bound pruning this batch */
    ct_pricebook_acquire(a->pb, &b->view);
    ct_status rc = CT_OK;
    if (b->stamp_len < a->nslots) {
        ct_free(b->stamp);
        b->stamp = ct_calloc(a->cap, sizeof(uint32_t));
        b->stamp_len = b->stamp != NULL ? a->cap : 0;
        rc = b->stamp != NULL ? CT_OK : CT_NOMEM;
    }
    b->ntrips = 0;
    int64_t now = ct__alerts_now(a);
    b->today = now / 86400000;
    b->mid_rc = CT_OK;
    b->env = (ct__slice_env){
        a->tt, env_ctx, b, now, (int64_t)a->cfg.slice_ttl_s * 1000, &b->searches, &b->restricted};
    ct__slices_begin(a->slices);
    for (size_t i = 0; i < nq; i++) { /* rises first: they void kept prices drops would use */
        a->queued[q[i].leg] = 0;
        if (q[i].rise)
            ct__slices_note_rise(a->slices, a->tt, q[i].leg, q[i].cabin);
    }
    size_t drops = 0;
    for (size_t i = 0; i < nq; i++) {
        if (q[i].rise)
            continue;
        drops++;
        if (!rc)
            rc = collect_change(b, &q[i]);
        if (!rc)
            rc = ct__trips_collect(a, q[i].leg, q[i].cabin, &b->trips, &b->ntrips, &b->trips_cap);
    }
    for (size_t i = 0; i < nfirst && !rc; i++)
        rc = collect_first(b, first[i]);
    for (size_t i = 0; b->stamp != NULL && i < b->n; i++)
        b->stamp[b->items[i].slot] = 0;
    a->stats.legs += drops;
    pthread_mutex_unlock(&a->mu);
    free_bitmaps(b->bounds); /* the doubles, as the bitmaps: ct_free each value */
    b->bounds = NULL;
    ct_free(q);
    ct_free(first);
    if (rc)
        ct_log(CT_LOG_WARN, "alerts.batch", "status", ct_status_name(rc), NULL);

    for (size_t i = 0; i < b->n; i++) {
        price_item(b, &b->items[i]);
        decide(a, &b->items[i], now);
    }
    ct__slices_finish(a->slices, &b->env);
    ct__trips_evaluate(a, &b->view, b->trips, b->ntrips, now);
    ct_pricebook_release(a->pb, &b->view);
    write_batch(b);
    pthread_mutex_lock(&a->mu);
    store_states(b);
    a->seq_done = seq;
    pthread_cond_broadcast(&a->done);
}

void ct_alerts_warm(ct_alerts *a)
{
    pthread_mutex_lock(&a->mu);
    if (a->tt == NULL || a->started) {
        pthread_mutex_unlock(&a->mu);
        return;
    }
    batch b = {.a = a};
    int64_t now = ct__alerts_now(a);
    ct_pricebook_acquire(a->pb, &b.view);
    b.env = (ct__slice_env){a->tt,       env_ctx,      &b, now, (int64_t)a->cfg.slice_ttl_s * 1000,
                            &b.searches, &b.restricted};
    ct__slices_begin(a->slices);
    int64_t today = now / 86400000;
    for (size_t i = 0; i < a->nslots; i++) {
        const ct__alert *al = &a->slots[i];
        ct_search_result set;
        for (int32_t d = al->dep_lo; al->live && d <= al->dep_hi; d++) {
            if (d < today)
                continue;
            if (al->round_trip)
                (void)ct__slices_set(a->slices, &b.env, al, al->origin, al->destination, d, &set);
            else if (ct__alert_pair_ok(al, d, ALERT_NONE))
                (void)ct__slices_price(a->slices, &b.env, al, d);
        }
        for (int32_t d = al->ret_lo; al->live && al->round_trip && d <= al->ret_hi; d++) {
            if (d >= today)
                (void)ct__slices_set(a->slices, &b.env, al, al->destination, al->origin, d, &set);
        }
    }
    ct_pricebook_release(a->pb, &b.view);
    a->stats.searches += b.searches;
    pthread_mutex_unlock(&a->mu);
}

static void *worker(void *arg)
{
    ct_alerts *a = arg;
    batch b = {.a = a};
    pthread_mutex_lock(&a->mu);
    while (!a->stop) {
        if (a->schedule_pending) { /* booked flights the attached timetable moved */
            pthread_mutex_unlock(&a->mu);
            ct__trips_report_schedules(a);
            pthread_mutex_lock(&a->mu);
            continue;
        }
        if (a->seq_queued == a->seq_done) {
            pthread_cond_wait(&a->work, &a->mu);
            continue;
        }
        int64_t wait = a->queued_since_ms + a->cfg.batch_ms - mono_ms();
        if (wait > 0) {
            struct timespec until;
            clock_gettime(CLOCK_REALTIME, &until);
            until.tv_nsec += (long)wait * 1000000L;
            until.tv_sec += until.tv_nsec / 1000000000L;
            until.tv_nsec %= 1000000000L;
            pthread_cond_timedwait(&a->work, &a->mu, &until);
            continue;
        }
        run_batch(a, &b);
    }
    pthread_mutex_unlock(&a->mu);
    ct_free(b.items);
    ct_free(b.stamp);
    ct_free(b.trips);
    return NULL;
}

ct_status ct_alerts_start(ct_alerts *a)
{
    pthread_mutex_lock(&a->life);
    ct_status rc = CT_OK;
    if (a->stopped || a->started)
        rc = CT_INVALID;
    else if (pthread_create(&a->thread, NULL, worker, a) != 0)
        rc = CT_ERR;
    else
        a->started = 1;
    pthread_mutex_unlock(&a->life);
    return rc;
}

/* A new alert id: "pa_" + 24 hex digits from getrandom(2) (base has no random source and
 * this module needs no libsodium for 12 bytes). */
void ct__alerts_new_id(char out[ALERT_ID_LEN])
{
    unsigned char raw[12] = {0};
    if (getrandom(raw, sizeof(raw), 0) != (ssize_t)sizeof(raw)) {
        struct timespec ts;
        clock_gettime(CLOCK_REALTIME, &ts);
        uint64_t x = (uint64_t)ts.tv_nsec ^ (uint64_t)ts.tv_sec << 20;
        memcpy(raw, &x, sizeof(x));
    }
    char hex[25];
    for (int i = 0; i < 12; i++)
        snprintf(hex + i * 2, 3, "%02x", raw[i]);
    snprintf(out, ALERT_ID_LEN, "pa_%s", hex);
}
