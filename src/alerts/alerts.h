/* alerts.h: price alerts — the alerts module's whole interface (docs/alerts.md).
 *
 * A price alert watches one route (airports or metro areas, as the search API accepts) for a
 * user: exact dates (a departure, optionally a return), or flexible ones (any day of a month,
 * or the weekends of a month; a round trip with a stay of N..M days), a cabin, passengers and
 * a currency, and a rule: a maximum price (minor units) or a drop of at least X % below the
 * baseline. Rows live in `price_alert` (migration 0015); the engine keeps every alert in
 * memory too, indexed by route, loaded at start and changed with the rows by the CRUD calls
 * below (which are the only writers).
 *
 * Evaluation (engine.c): ingest publishes "price.changed" on the bus for every dated leg and
 * cabin whose lowest price moved at a provider. The bus handler only queues (leg, cabin, drop
 * or rise). A worker thread takes what is queued in batches (one batch per wake-up,
 * `batch_ms` after the first change: a sync's pages land together) and maps each dropped leg
 * A -> B on local date D to the alerts it can affect through the index: a leg can be the
 * first leg of an outbound slice (origin in A's places, departure D), its last leg
 * (destination in B's places, departure D-2..D), or the same for the return slice of a round
 * trip. Places are an airport and its metro area. Only those alerts and only their affected
 * dates are re-priced. An alert is pruned when the changed leg cannot lead to a new low for
 * it: the leg's far end cannot reach the alert's other end within the remaining stops (a
 * direct-route bitmap per airport, built at attach; two hops at most), or a lower bound of
 * any itinerary through it reaches the alert's low: the leg's price bound (pricebook lower
 * bound), plus, when it does not end at the destination (start at the origin), the lowest
 * bound of the legs into the destination (out of the origin) on the days such an itinerary
 * can use them, x 0.85 for through fares, x 0.9 more for a round trip's one-ticket discount,
 * x the passengers.
 *
 * One-way slices (origin, destination, date, cabin, passengers, currency) keep their
 * cheapest price and its itinerary's legs between batches (slices.c): searched in full with
 * the cheapest-only engine (search.h) the first time an alert needs one, then followed: a
 * drop on leg L makes the new cheapest the lower of the kept one and the cheapest through L
 * (ct_search_cheapest_via, a few dozen candidates); a rise on L voids the kept price when L
 * carries it (the full search then runs when an alert next needs the slice); a leg in the
 * middle of two stops is found from the first legs that can precede it (slices.c), and the
 * alerts of a slice it lowered are re-checked. What no event reports (a price first seen, an
 * exchange rate) is bounded by `slice_ttl_s`, after which a kept price is searched again.
 * Round trips pair the two halves' one-way sets (trip.h ct_trip_cheapest_pair), kept the
 * same way (slices.c: after a drop, the members not through the leg and every itinerary
 * through it, the dominated ones removed; a rise on a member's leg voids the set).
 *
 * Rules, with `price` the lowest of the alert's re-priced dates and `baseline` the lowest
 * price seen before (NULL until the first check, which only records it and never fires):
 *   - maximum price: fires when price <= max and price is below the last notified price
 *     (none yet: any price at or below the maximum);
 *   - drop: fires when price <= baseline x (100 - X) / 100;
 *   - and in both cases only when the last notification is `cooldown_s` old or more.
 * Then baseline = min(baseline, price) (the baseline follows the low) and last_price =
 * price. A trigger writes the alert's state (baseline, last price, last notified price and
 * time) and the outbox event `price_alert.triggered` (aggregate "price_alert", id = the
 * alert's id; payload in ../wt/BRIEF.md and docs/alerts.md) in one transaction; other state
 * changes of a batch are written in one transaction.
 *
 * Thread safety: every call below may come from any thread; the index has one mutex, held
 * while a batch collects its alerts and when it stores their new state, not while pricing or
 * writing to the database. */
#ifndef CT_ALERTS_ALERTS_H
#define CT_ALERTS_ALERTS_H

#include <jansson.h>
#include <stddef.h>
#include <stdint.h>

#include "base/status.h"
#include "events/bus.h"
#include "events/outbox.h"
#include "fares/pricebook.h"
#include "refdata/refdata.h"
#include "store/store.h"
#include "timetable/timetable.h"

#define CT_ALERTS_DEFAULT_COOLDOWN_S 86400
#define CT_ALERTS_DEFAULT_PER_USER   50

typedef struct ct_alerts ct_alerts;

typedef struct ct_alerts_config {
    ct_store_pool *pool;       /* borrowed; the worker takes a connection per batch */
    int cooldown_s;            /* <= 0: CT_ALERTS_DEFAULT_COOLDOWN_S */
    int max_per_user;          /* <= 0: CT_ALERTS_DEFAULT_PER_USER */
    int batch_ms;              /* wait after the first queued change before a batch; <= 0: 50 */
    int slice_ttl_s;           /* a slice's full search is trusted this long; <= 0: 900 */
    ct_outbox *outbox;         /* kicked after a trigger commits; may be NULL */
    const ct_refdata *refdata; /* codes checked against it on create; NULL: format only */
    /* Called after a trigger's transaction commits (may be NULL): the alert's id and when the
     * oldest change of its batch was queued (ms). The benchmark measures latency with it. */
    void (*triggered)(void *ctx, const char *alert_id, int64_t queued_ms);
    void *triggered_ctx;
    /* The clock (milliseconds since 1970); NULL: the real one. Tests move it. */
    int64_t (*now_ms)(void *ctx);
    void *clock_ctx;
    /* The buy-or-wait advice a trigger's "prediction" member carries (may be NULL: null). For
     * the alert's origin and destination codes, the departure `day` (days since 1970), the
     * cabin (ct_cabin) and the price found (minor units of `currency`): a new object
     * {"advice","expected_change_minor","currency","within_days","confidence"}, or NULL when
     * there is no advice. Called in the worker thread before the trigger's transaction. */
    json_t *(*predict)(void *ctx, const char *origin, const char *destination, int64_t day,
                       int cabin, int64_t price_minor, const char *currency);
    void *predict_ctx;
} ct_alerts_config;

/* A field error of a create or update: the JSON field and what is wrong with it. */
typedef struct ct_alerts_field_error {
    char field[48];
    char message[200];
} ct_alerts_field_error;

/* Statistics since the start (for /metrics and the benchmark). */
typedef struct ct_alerts_stats {
    uint64_t alerts;     /* in the index now */
    uint64_t legs;       /* changed legs taken from the queue */
    uint64_t batches;    /* batches evaluated */
    uint64_t rechecks;   /* alerts compared with a fresh price */
    uint64_t searches;   /* one-way searches run (full ones) */
    uint64_t restricted; /* restricted searches (through one dropped leg, search.h) */
    uint64_t triggers;   /* events written */
    uint64_t dropped;    /* changes dropped because the queue was full */
    uint64_t rises;      /* price.changed events of a leg that got dearer (no new low) */
    uint64_t pruned;     /* alerts the index matched that no itinerary through the changed
                            leg can reach below their low (its price bound, or its airport
                            cannot reach the alert's destination within two stops) */
} ct_alerts_stats;

/* A new engine (no thread yet). The caller owns *out (ct_alerts_free). CT_NOMEM. */
ct_status ct_alerts_new(const ct_alerts_config *cfg, ct_alerts **out);

/* Reads every alert row into the index (at start, before the CRUD calls). Store errors. */
ct_status ct_alerts_load(ct_alerts *a, ct_store *st);

/* Gives the engine the schedules and prices to re-price with (both borrowed; they must
 * outlive the engine or the next attach) and subscribes to "price.changed" on `bus` (may be
 * NULL: tests feed ct_alerts_leg_changed themselves). Alerts not checked yet are queued for
 * their first check. Once only. CT_INVALID when already attached. */
ct_status ct_alerts_attach(ct_alerts *a, const ct_timetable *tt, ct_pricebook *pb, ct_bus *bus);

/* Starts the worker thread. CT_ERR when it cannot be created; CT_INVALID after a stop or a
 * start. */
ct_status ct_alerts_start(ct_alerts *a);

/* Unsubscribes from the bus and stops the worker (the batch in progress finishes); a later
 * attach or start is refused (CT_INVALID), so a shutdown can stop the engine before what it
 * uses (the outbox it kicks, the bus) and free it after whatever might still attach it.
 * The CRUD calls still work (the index keeps following them). NULL: no-op. */
void ct_alerts_stop(ct_alerts *a);

/* Stops (ct_alerts_stop) and frees. NULL: no-op. */
void ct_alerts_free(ct_alerts *a);

/* What the bus handler does for a leg whose lowest price at some provider went down (or
 * appeared): queues the dated leg (index into the attached timetable) and cabin. A leg that got
 * dearer cannot make a new low anywhere (every itinerary through it got dearer too, the
 * others did not move), so those events (counted in `rises`) re-price no alert
 * (ct_alerts_leg_rose); an alert's last price therefore follows drops at once and rises at
 * its next re-pricing. Quick and non-blocking apart from a short mutex. */
void ct_alerts_leg_changed(ct_alerts *a, uint32_t leg, ct_cabin cabin);

/* What the bus handler does for a leg that got dearer (or gone) at some provider: queued
 * too, but it re-prices no alert; it only invalidates the kept slice prices (slices.c) whose
 * cheapest itinerary flies it. */
void ct_alerts_leg_rose(ct_alerts *a, uint32_t leg, ct_cabin cabin);

/* The benchmark, before ct_alerts_start: a full search of every slice of every alert (its
 * cheapest, or a round trip's halves' sets: what the first drops would do lazily), so that
 * a measured burst starts warm. */
void ct_alerts_warm(ct_alerts *a);

/* Tests and the benchmark: waits until everything queued so far (changes and first checks)
 * has been evaluated and written. CT_AGAIN after timeout_ms. */
ct_status ct_alerts_flush(ct_alerts *a, int timeout_ms);

void ct_alerts_stats_get(ct_alerts *a, ct_alerts_stats *out);

/* ---- the API's calls (in the caller's connection; each change is one transaction) ---- */

/* Creates an alert for user_id from the JSON body `in` (docs/alerts.md). *out: the alert as
 * the API shows it (caller decrefs). CT_INVALID with *fe naming the field; CT_CONFLICT
 * ("alerts") at the per-user limit; CT_NOMEM, store errors. */
ct_status ct_alerts_create(ct_alerts *a, ct_store *st, const char *user_id, const json_t *in,
                           ct_alerts_field_error *fe, json_t **out);

/* The user's alerts, newest first, as {"items":[...],"total":n}. */
ct_status ct_alerts_list(ct_alerts *a, ct_store *st, const char *user_id, json_t **out);

/* One alert; CT_NOT_FOUND when it is not this user's. */
ct_status ct_alerts_get(ct_alerts *a, ct_store *st, const char *user_id, const char *id,
                        json_t **out);

/* Changes the fields present in `in` (the same fields as create). A change of what is priced
 * (route, dates, cabin, passengers, currency) starts the alert afresh (no baseline). */
ct_status ct_alerts_update(ct_alerts *a, ct_store *st, const char *user_id, const char *id,
                           const json_t *in, ct_alerts_field_error *fe, json_t **out);

/* Deletes an alert; CT_NOT_FOUND when it is not this user's. */
ct_status ct_alerts_delete(ct_alerts *a, ct_store *st, const char *user_id, const char *id);

/* ---- booked trips (trips.c) ---- */

/* Watches a confirmed order of a signed-in user (guests' and unconfirmed orders: CT_OK,
 * nothing done; once per order): when its same flights get cheaper than paid (and than the
 * last drop notified, after the cooldown) the event `trip.price_drop` is written (aggregate
 * "trip", id = the order's id; price_alert.triggered's payload plus "order_id"); when the
 * attached timetable flies one of its flights at another time or not at all that day,
 * `trip.schedule_changed` (the same payload with the price paid, plus "changes"), once per
 * flight, date and new time, also across restarts (trips.c says how). In its own
 * transaction on `st`. Store errors. */
ct_status ct_alerts_track_order(ct_alerts *a, ct_store *st, const char *order_id);

/* An outbox handler (ctx = the engine) for "order.confirmed": ct_alerts_track_order with a
 * connection from the pool. */
ct_status ct_alerts_order_event(const json_t *event, void *ctx);

/* Schedule changes while running: judges every watched trip's flights not yet departed
 * against `tt`, a timetable newer than the attached one (built from the schedules' files
 * after they changed; borrowed for the call only, not kept): a flight it does not fly as
 * booked but on the same local date a day earlier to two days later is retimed, one it does
 * not fly that day is cancelled; flights outside its window, or of a carrier or airport it
 * does not know, are not judged. The worker then writes `trip.schedule_changed` for them as
 * after an attach (once per order, flight, date and new time, also across restarts). Works
 * without an attach (no prices). Returns the number of trips with a change to report. */
int ct_alerts_schedule_check(ct_alerts *a, const ct_timetable *tt);

/* The first and last local departure dates (days since 1970) of the watched trips' flights
 * not yet departed: the window a timetable for ct_alerts_schedule_check needs. 0 when there
 * are none (*first, *last untouched), else 1. */
int ct_alerts_booked_days(ct_alerts *a, int64_t *first, int64_t *last);

#endif
