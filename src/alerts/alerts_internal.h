/* alerts_internal.h: the alert record and the helpers shared by the alerts/ files only.
 *
 * An alert in memory is one fixed-size record (no pointers, ~140 bytes: a million alerts
 * take ~140 MB) in the engine's slot array; the index (engine.c) refers to slots by number.
 * The same record is what spec.c parses from JSON and what store.c reads and writes. */
#ifndef CT_ALERTS_INTERNAL_H
#define CT_ALERTS_INTERNAL_H

#include "alerts/alerts.h"
#include "base/map.h"
#include "refdata/refdata.h"
#include "search/search.h"

#define ALERT_ID_LEN   28 /* "pa_" + 24 hex digits + NUL */
#define ALERT_NONE     (-1)
#define ALERT_MAX_SPAN 62 /* departure (and return) days an alert may cover (bit masks) */

enum { ALERT_EXACT = 0, ALERT_MONTH = 1, ALERT_WEEKENDS = 2 };
enum { CH_EMAIL = 1, CH_IN_APP = 2, CH_SMS = 4, CH_WEBHOOK = 8 };

typedef struct ct__alert {
    char id[ALERT_ID_LEN];
    char origin[4], destination[4], currency[4];
    uint8_t mode, round_trip, cabin, passengers, channels, live;
    int16_t stay_min, stay_max;                /* month round trips; 0 otherwise */
    int32_t depart_day, return_day, month_day; /* as stored; ALERT_NONE when not used */
    int32_t dep_lo, dep_hi;                    /* departure days covered (derived) */
    int32_t ret_lo, ret_hi;                    /* return days covered; round trips only */
    int32_t drop_percent;                      /* 0: none */
    int64_t max_price;                         /* ALERT_NONE: none */
    int64_t baseline, last_price, notified_low, last_notified_at, last_checked_at;
    int64_t created_at, updated_at;
} ct__alert;

/* ---- spec.c ---- */

/* Fills the derived fields (dep_lo..ret_hi) from mode and the stored days. */
void ct__alert_derive(ct__alert *al);

/* 1 when (dep, ret) is one of the alert's date pairs (ret = ALERT_NONE one way). */
int ct__alert_pair_ok(const ct__alert *al, int32_t dep, int32_t ret);

/* Parses a create body (or the merged body of an update) into *al's watched fields and
 * rule; today = days since 1970 of the clock. refdata may be NULL (codes format-checked
 * only). CT_INVALID with *fe set. */
ct_status ct__alert_parse(const json_t *in, int64_t today, const ct_refdata *rd, ct__alert *al,
                          ct_alerts_field_error *fe);

/* The spec part as a create body would give it (used to merge an update). Caller decrefs. */
json_t *ct__alert_spec_json(const ct__alert *al);

/* The alert as the API shows it (spec, state, search_url). Caller decrefs. */
json_t *ct__alert_json(const ct__alert *al);

/* The web app's /search?... path for the alert on (dep, ret) (ret ALERT_NONE: one way). */
void ct__alert_search_url(const ct__alert *al, int32_t dep, int32_t ret, char *out, size_t len);

/* "economy" / "business". */
const char *ct__alert_cabin_name(int cabin);

/* 1 when the fields that decide the price differ (route, dates, cabin, passengers, money). */
int ct__alert_priced_differs(const ct__alert *a, const ct__alert *b);

/* ---- store.c ---- */

ct_status ct__alert_insert(ct_store *st, const char *user_id, const ct__alert *al);
/* Replaces the spec and the state of an existing row of user_id (CT_NOT_FOUND otherwise). */
ct_status ct__alert_update_row(ct_store *st, const char *user_id, const ct__alert *al);
/* Only the evaluation state (baseline .. last_checked_at). */
ct_status ct__alert_update_state(ct_store *st, const ct__alert *al);
/* The same UPDATE prepared once for many rows (a batch): _run binds, steps and resets it. */
ct_status ct__alert_state_prepare(ct_store *st, ct_stmt **out);
ct_status ct__alert_state_run(ct_stmt *s, const ct__alert *al);
ct_status ct__alert_delete_row(ct_store *st, const char *user_id, const char *id);
/* One row of user_id (user_id NULL: any user; owner written to `owner` when not NULL, 40
 * bytes). CT_NOT_FOUND. */
ct_status ct__alert_read(ct_store *st, const char *user_id, const char *id, ct__alert *al,
                         char *owner);
ct_status ct__alert_count_user(ct_store *st, const char *user_id, int64_t *n);
/* Calls fn for every row (user_id NULL) or for one user's rows, newest first. */
ct_status ct__alert_scan(ct_store *st, const char *user_id,
                         ct_status (*fn)(const ct__alert *al, void *ctx), void *ctx);

/* ---- index.c: slots by (place, month of a day, role) ---- */

/* Roles of an alert's place in the index: its origin by departure month, its destination by
 * departure month, and for round trips its destination and origin by return month. */
enum { ROLE_ORIGIN_DEP = 0, ROLE_DEST_DEP = 1, ROLE_DEST_RET = 2, ROLE_ORIGIN_RET = 3 };

typedef struct ct__index ct__index;

/* The key of a place code (3 letters or digits), the month `day` falls in, and a role. */
uint64_t ct__index_key(const char *place, int32_t day, int role);
ct__index *ct__index_new(void);
void ct__index_free(ct__index *ix);
/* Adds slot under key (a slot may be added once per key). CT_NOMEM. */
ct_status ct__index_add(ct__index *ix, uint64_t key, uint32_t slot);
/* Removes slot from key's list (order not kept); absent: no-op. */
void ct__index_remove(ct__index *ix, uint64_t key, uint32_t slot);
/* The slots under key (borrowed until the next change), *n of them; NULL when none. */
const uint32_t *ct__index_get(const ct__index *ix, uint64_t key, size_t *n);

/* ---- slices.c: the one-way slices' prices between batches (worker thread only) ---- */

#define CT__MAX_PLACES 16 /* airports of one metro area searched */

typedef struct ct__slices ct__slices;

/* What pricing a slice needs in a batch: the timetable, the batch's pricing context for a
 * cabin, passenger count and currency (NULL: no rate), the clock, the time to live of a
 * full search's answer and the counters to bump. */
typedef struct ct__slice_env {
    const ct_timetable *tt;
    const ct_price_ctx *(*pc_for)(void *ctx, int cabin, int passengers, const char *currency);
    void *ctx;
    int64_t now_ms, ttl_ms;
    uint64_t *searches, *restricted;
} ct__slice_env;

ct__slices *ct__slices_new(void);
void ct__slices_free(ct__slices *s);
size_t ct__slices_count(const ct__slices *s);
/* A new batch (pending drops of the last one are gone: ct__slices_finish applied them). */
void ct__slices_begin(ct__slices *s);
/* Leg `leg` dropped for the slice from -> to on `day` with al's cabin, passengers and
 * currency (its set record when set, else its cheapest): pending on the record if kept. */
void ct__slices_note_drop(ct__slices *s, const ct__alert *al, const char *from, const char *to,
                          int32_t day, int set, uint32_t leg);
/* Leg `leg` rose in `cabin`: the records whose cheapest (or a set member) flies it become
 * invalid. */
void ct__slices_note_rise(ct__slices *s, const ct_timetable *tt, uint32_t leg, int cabin);
/* The cheapest price of al's slice on `day` now (ALERT_NONE: none priced): the record after
 * its pending drops, or a full search when it is missing, invalid or older than ttl. */
int64_t ct__slices_price(ct__slices *s, const ct__slice_env *env, const ct__alert *al, int32_t day);
/* A slice as ct__slices_middle reports it. */
typedef struct ct__slice_info {
    const char *from, *to, *currency;
    int32_t day;
    int cabin, passengers;
    int set; /* a round trip's half (from is the outbound's origin or the return's) */
} ct__slice_info;
/* Leg `leg` (cabin) dropped and may be the middle leg of two stops after a first leg from
 * `origin` on local date `day`: the valid records of that origin and date whose destination
 * has an airport in `reached` (a bitmap of where the leg's arrival airport flies) are priced
 * through it at once; `dropped` is called for each whose price fell (a set: that gained a
 * member through the leg). */
void ct__slices_middle(ct__slices *s, const ct__slice_env *env, uint16_t origin, int32_t day,
                       uint32_t leg, int cabin, const uint64_t *reached,
                       void (*dropped)(void *ctx, const ct__slice_info *info), void *ctx);
/* The one-way set of slice from -> to on `day` with al's cabin, passengers and currency (a
 * round trip's half): kept, updated by its pending drops, or searched in full. *out is
 * borrowed until the next call here. 0 when it cannot be searched. */
int ct__slices_set(ct__slices *s, const ct__slice_env *env, const ct__alert *al, const char *from,
                   const char *to, int32_t day, ct_search_result *out);
/* Applies the pending drops of records no alert priced this batch. */
void ct__slices_finish(ct__slices *s, const ct__slice_env *env);

/* engine.c: the timetable airports of a place code (an airport, or a metro area's), at most
 * CT__MAX_PLACES; how many. */
int ct__alerts_resolve_place(const ct_timetable *tt, const char *code, uint16_t *out);

/* ---- engine.c: the engine's state, shared with crud.c ---- */

#include <pthread.h>

typedef struct ct__trip ct__trip;

typedef struct ct__change {
    uint32_t leg;
    uint8_t cabin;
    uint8_t rise; /* 1: the leg got dearer (or gone) at some provider */
} ct__change;

struct ct_alerts {
    ct_alerts_config cfg;
    pthread_mutex_t mu;
    pthread_mutex_t life; /* orders attach against stop (the bus subscription) */
    int stopped;          /* ct_alerts_stop ran: no attach, no worker (under life) */
    pthread_cond_t work, done;
    pthread_t thread;
    int started, stop;
    /* the alerts (guarded by mu) */
    ct__alert *slots;
    size_t nslots, cap;
    uint32_t *free_slots;
    size_t nfree, free_cap;
    ct_map *by_id; /* alert id -> slot + 1 */
    ct__index *index;
    /* what the worker has to do (guarded by mu) */
    ct__change *queue;
    size_t nqueue, queue_cap;
    uint8_t *queued; /* per leg: bit cabin (+ 4 for a rise) set while that change is queued */
    char (*first)[ALERT_ID_LEN]; /* alerts waiting for their first check */
    size_t nfirst, first_cap;
    int64_t queued_since_ms; /* when the oldest queued item arrived; 0: nothing queued */
    uint64_t seq_queued, seq_done;
    /* set by ct_alerts_attach */
    const ct_timetable *tt;
    ct_pricebook *pb;
    ct_bus *bus;
    int bus_sub;
    /* direct routes: bit b of fwd[a * words ..] set when a leg flies a -> b (built at attach) */
    uint64_t *fwd;
    size_t words;
    ct_map *reach_to;   /* place code -> bitmap of airports reaching it in <= 2 hops (mu) */
    ct_map *reach_from; /* place code -> bitmap of airports it reaches in <= 2 hops (mu) */
    ct__trip *trips;    /* booked trips watched (mu) */
    size_t ntrips, trips_cap;
    ct__index *trip_index; /* leg index -> trips (mu) */
    int schedule_pending;  /* some trip's schedule_changed is set: the worker reports (mu) */
    ct__slices *slices;    /* one-way slices' prices (the worker's; see slices.c) */
    ct_alerts_stats stats;
};

int64_t ct__alerts_now(const ct_alerts *a);

/* ---- trips.c: booked trips' watches ---- */

#define TRIP_MAX_LEGS  12
#define TRIP_CANCELLED INT32_MIN

typedef struct ct__trip_leg {
    char carrier[4], from[4], to[4];
    int number;
    int32_t dep;  /* UTC minutes */
    int32_t date; /* local departure date, days since 1970 */
    uint8_t slice;
} ct__trip_leg;

/* A confirmed order of a signed-in user whose flights are watched (a price_alert row of
 * date_mode 'trip', id "trip_" + the order's id). */
struct ct__trip {
    char id[48], order_id[40], user_id[40], currency[4];
    uint8_t cabin, passengers, nslices, nlegs, live;
    ct__trip_leg leg[TRIP_MAX_LEGS];
    int32_t leg_index[TRIP_MAX_LEGS]; /* in the attached timetable; -1: not in it */
    /* Per leg, what the attached timetable says of a leg it does not have as booked: 0 (as
     * booked, or not judged: outside the timetable's window, carrier or airport unknown),
     * TRIP_CANCELLED (the flight does not fly that day), else its new UTC departure minute. */
    int32_t moved[TRIP_MAX_LEGS];
    uint8_t schedule_changed; /* some moved[] is set and not reported yet (mu) */
    int64_t paid, baseline, last_price, notified_low, last_notified_at;
};

/* Under mu, at attach: each trip's legs found in the timetable and indexed by leg. */
void ct__trips_resolve(ct_alerts *a);
/* Without mu (takes it): writes trip.schedule_changed for every trip whose booked flights the
 * attached timetable moved or cancelled, once per order, flight, date and new time (also
 * across restarts: outbox_consumed), for flights not yet departed. Called by the worker. */
void ct__trips_report_schedules(ct_alerts *a);
/* Reads the trips' rows and their orders into memory. Store errors. */
ct_status ct__trips_load(ct_alerts *a, ct_store *st);
/* Under mu: the trips one changed leg concerns, appended to *out (grown). CT_NOMEM. */
ct_status ct__trips_collect(ct_alerts *a, uint32_t leg, int cabin, ct__trip **out, size_t *n,
                            size_t *cap);
/* Without mu: prices each collected trip (view acquired by the caller), decides, writes its
 * state and any trip.price_drop event; then, under mu, stores the states back. */
void ct__trips_evaluate(ct_alerts *a, const ct_pb_view *view, ct__trip *t, size_t n, int64_t now);
/* Under mu: puts a parsed alert in a slot and the index. CT_NOMEM. */
ct_status ct__alerts_put(ct_alerts *a, const ct__alert *al);
/* Under mu: removes the alert of that id from the index (absent: no-op). */
void ct__alerts_drop(ct_alerts *a, const char *id);
/* Under mu: queues an alert's first check (when attached). */
void ct__alerts_queue_first(ct_alerts *a, const char *id);
/* A new alert id: "pa_" + 24 hex digits. */
void ct__alerts_new_id(char out[ALERT_ID_LEN]);

#endif
