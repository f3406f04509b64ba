/* trips.c: alerts on booked trips: a signed-in user's confirmed order is watched, and when
 * the same flights get cheaper than the user paid (and than the last drop notified, after
 * the cooldown) the event `trip.price_drop` is written (aggregate "trip", id = the order's
 * id; the payload of price_alert.triggered plus "order_id").
 *
 * A watch is a price_alert row of date_mode 'trip' (id "trip_" + the order's id; baseline =
 * the price paid, then the lowest seen) so that it needs no table of its own and goes with
 * the user's erasure; its flights are read from the order's offer (booking's `orders` and
 * `offers` rows, migration 0006: the offer body's slices[].legs[] with carrier,
 * flight_number, from, departs_at, date) when it is made and at start. Evaluation needs no
 * search: a changed leg that is one of a trip's flights (an index by leg) re-prices exactly
 * those flights (ct_price_itinerary per slice, ct_trip_price for the whole, as the search
 * answers price them, at any provider).
 *
 * Schedule changes: when a timetable is attached (serve's start, so after operators import
 * new SSIM files and restart), each booked leg is looked up as booked (carrier, number,
 * airport, UTC departure). One that is missing is looked for on the same local date within a
 * day before and two days after: found, the flight was retimed; not found, it no longer
 * flies that day. Legs outside the timetable's window, or of a carrier or airport the
 * timetable does not know, are not judged (a partial timetable must not cancel flights).
 * The worker then writes `trip.schedule_changed` (the payload of trip.price_drop with the
 * price paid, plus "changes": one entry per flight moved) for flights not yet departed, once
 * per order, flight, date and new time: ct_outbox_consume_once under "alerts-schedule" in the
 * event's transaction, so a restart over the same timetable reports nothing again.
 *
 * While serve runs, every newer timetable (the schedules' files changed: app/loader.c polls
 * them and builds one over the booked days, ct_alerts_booked_days) is judged the same way by
 * ct_alerts_schedule_check: the moved[] marks are replaced by what it says, the leg indexes
 * into the attached timetable (used for prices) are not, and the worker reports as above. */
#include <stdio.h>
#include <string.h>

#include "alerts/alerts_internal.h"
#include "base/alloc.h"
#include "base/log.h"
#include "base/timeutil.h"
#include "base/vec.h"
#include "search/trip.h"

#define TRIP_KEY(leg) (1ull << 63 | 1ull << 62 | (uint64_t)(leg))

/* ---- the order ---- */

/* The order's owner, money and flights from its rows. CT_NOT_FOUND (no such order, a
 * guest's or not confirmed), CT_INVALID (an offer body without flights), store errors. */
static ct_status read_order(ct_store *st, const char *order_id, ct__trip *t)
{
    ct_stmt *s = NULL;
    ct_status rc = ct_store_prepare(
        st,
        "SELECT o.user_id, o.status, o.currency, o.total_minor, f.body FROM orders o"
        " JOIN offers f ON f.id = o.offer_id WHERE o.id = ?",
        &s);
    if (rc)
        return rc;
    rc = ct_stmt_bind_text(s, 1, order_id);
    if (!rc)
        rc = ct_stmt_step(s);
    json_t *body = NULL;
    if (rc == CT_ROW) {
        const char *user = ct_stmt_text(s, 0), *status = ct_stmt_text(s, 1);
        rc = user != NULL && status != NULL && strcmp(status, "confirmed") == 0 ? CT_OK
                                                                                : CT_NOT_FOUND;
        if (!rc) {
            snprintf(t->user_id, sizeof(t->user_id), "%s", user);
            snprintf(t->currency, sizeof(t->currency), "%s", ct_stmt_text(s, 2));
            t->paid = ct_stmt_int64(s, 3);
            json_error_t err;
            body = json_loads(ct_stmt_text(s, 4) ? ct_stmt_text(s, 4) : "", 0, &err);
        }
    } else if (rc == CT_DONE) {
        rc = CT_NOT_FOUND;
    }
    ct_stmt_finalize(s);
    if (rc)
        return rc;
    snprintf(t->order_id, sizeof(t->order_id), "%s", order_id);
    snprintf(t->id, sizeof(t->id), "trip_%s", order_id);
    const char *cabin = json_string_value(json_object_get(body, "cabin"));
    ct_cabin cab = CT_CABIN_ECONOMY;
    (void)ct_cabin_parse(cabin, &cab); /* the order's own word; economy when absent */
    t->cabin = cab;
    json_int_t pax = json_integer_value(json_object_get(body, "passengers"));
    t->passengers = (uint8_t)(pax >= 1 && pax <= 9 ? pax : 1);
    json_t *slices = json_object_get(body, "slices");
    t->nslices = t->nlegs = 0;
    for (size_t i = 0; i < json_array_size(slices) && i < CT_TRIP_MAX_SLICES; i++) {
        json_t *legs = json_object_get(json_array_get(slices, i), "legs");
        for (size_t k = 0; k < json_array_size(legs) && t->nlegs < TRIP_MAX_LEGS; k++) {
            json_t *l = json_array_get(legs, k);
            ct__trip_leg *x = &t->leg[t->nlegs];
            const char *carrier = json_string_value(json_object_get(l, "carrier"));
            const char *from = json_string_value(json_object_get(l, "from"));
            const char *to = json_string_value(json_object_get(l, "to"));
            const char *dep = json_string_value(json_object_get(l, "departs_at"));
            int64_t date = 0;
            ct_utc u;
            if (carrier == NULL || from == NULL || to == NULL || dep == NULL ||
                ct_utc_parse(dep, &u) ||
                ct_date_parse(json_string_value(json_object_get(l, "date")), &date))
                continue;
            snprintf(x->carrier, sizeof(x->carrier), "%s", carrier);
            snprintf(x->from, sizeof(x->from), "%s", from);
            snprintf(x->to, sizeof(x->to), "%s", to);
            x->number = (int)json_integer_value(json_object_get(l, "flight_number"));
            x->dep = (int32_t)(u / 60);
            x->date = (int32_t)date;
            x->slice = (uint8_t)i;
            t->nlegs++;
            t->nslices = (uint8_t)(i + 1);
        }
    }
    json_decref(body);
    return t->nlegs > 0 ? CT_OK : CT_INVALID;
}

/* ---- memory ---- */

static int carrier_index(const ct_timetable *tt, const char *code)
{
    for (size_t i = 0; i < tt->ncarriers; i++) {
        if (strcmp(tt->carriers[i], code) == 0)
            return (int)i;
    }
    return -1;
}

/* What the timetable flies of booked leg l (absent as booked) on its local date: its new UTC
 * departure when carrier c's flight leaves airport `from` a day earlier to two days later,
 * else TRIP_CANCELLED. */
static int32_t moved_to(const ct_timetable *tt, const ct__trip_leg *l, int c, uint16_t from)
{
    uint32_t end = tt->first[from + 1];
    for (uint32_t i = ct_timetable_first_departure(tt, from, l->dep - 1440);
         i < end && tt->legs[i].dep <= l->dep + 2880; i++) {
        const ct_leg *x = &tt->legs[i];
        if (x->carrier == c && x->number == l->number && x->local_date == l->date)
            return x->dep;
    }
    return TRIP_CANCELLED;
}

/* Under mu: the trip's legs in the attached timetable, indexed; legs it moved or cancelled
 * marked for the worker's report. */
static void resolve_one(ct_alerts *a, uint32_t slot)
{
    ct__trip *t = &a->trips[slot];
    for (int i = 0; i < t->nlegs; i++) {
        int c = carrier_index(a->tt, t->leg[i].carrier);
        int from = ct_timetable_airport(a->tt, t->leg[i].from);
        int64_t leg = c >= 0 && from >= 0 ? ct_timetable_find_leg(a->tt, c, t->leg[i].number,
                                                                  (uint16_t)from, t->leg[i].dep)
                                          : -1;
        t->leg_index[i] = (int32_t)leg;
        t->moved[i] = 0;
        if (leg >= 0)
            (void)ct__index_add(a->trip_index, TRIP_KEY(leg), slot); /* NOMEM: not watched */
        else if (c >= 0 && from >= 0 && t->leg[i].date >= a->tt->from_day &&
                 t->leg[i].date <= a->tt->to_day)
            t->moved[i] = moved_to(a->tt, &t->leg[i], c, (uint16_t)from);
        if (t->moved[i] != 0)
            t->schedule_changed = a->schedule_pending = 1;
    }
}

void ct__trips_resolve(ct_alerts *a)
{
    for (size_t i = 0; i < a->ntrips; i++)
        resolve_one(a, (uint32_t)i);
}

/* Under mu: what the newer timetable `tt` says of trip t's legs not yet departed (as at
 * attach: as booked 0, else retimed or cancelled, or not judged 0); 1 when any moved. The
 * attached timetable's leg indexes (prices) are left alone. */
static int judge_one(ct__trip *t, const ct_timetable *tt, int32_t now_min)
{
    int any = 0;
    for (int i = 0; i < t->nlegs; i++) {
        const ct__trip_leg *l = &t->leg[i];
        int c = carrier_index(tt, l->carrier);
        int from = ct_timetable_airport(tt, l->from);
        if (l->dep <= now_min || c < 0 || from < 0 || l->date < tt->from_day ||
            l->date > tt->to_day) {
            t->moved[i] = 0;
            continue;
        }
        int64_t leg = ct_timetable_find_leg(tt, c, l->number, (uint16_t)from, l->dep);
        t->moved[i] = leg >= 0 ? 0 : moved_to(tt, l, c, (uint16_t)from);
        any |= t->moved[i] != 0;
    }
    return any;
}

int ct_alerts_schedule_check(ct_alerts *a, const ct_timetable *tt)
{
    int n = 0;
    int32_t now_min = (int32_t)(ct__alerts_now(a) / 60000);
    pthread_mutex_lock(&a->mu);
    for (size_t i = 0; i < a->ntrips; i++) {
        ct__trip *t = &a->trips[i];
        if (!t->live || !judge_one(t, tt, now_min))
            continue;
        t->schedule_changed = a->schedule_pending = 1;
        n++;
    }
    if (a->schedule_pending)
        pthread_cond_signal(&a->work);
    pthread_mutex_unlock(&a->mu);
    return n;
}

int ct_alerts_booked_days(ct_alerts *a, int64_t *first, int64_t *last)
{
    int found = 0;
    int32_t now_min = (int32_t)(ct__alerts_now(a) / 60000);
    pthread_mutex_lock(&a->mu);
    for (size_t i = 0; i < a->ntrips; i++) {
        const ct__trip *t = &a->trips[i];
        for (int k = 0; t->live && k < t->nlegs; k++) {
            if (t->leg[k].dep <= now_min)
                continue;
            if (!found || t->leg[k].date < *first)
                *first = t->leg[k].date;
            if (!found || t->leg[k].date > *last)
                *last = t->leg[k].date;
            found = 1;
        }
    }
    pthread_mutex_unlock(&a->mu);
    return found;
}

/* Under mu: adds a trip (once per order). */
static ct_status put_trip(ct_alerts *a, const ct__trip *t)
{
    for (size_t i = 0; i < a->ntrips; i++) {
        if (strcmp(a->trips[i].id, t->id) == 0)
            return CT_OK;
    }
    if (a->trip_index == NULL && (a->trip_index = ct__index_new()) == NULL)
        return CT_NOMEM;
    if (a->ntrips == a->trips_cap) {
        size_t ncap = a->trips_cap ? a->trips_cap * 2 : 16;
        ct__trip *nt = ct_realloc(a->trips, ncap * sizeof(*nt));
        if (nt == NULL)
            return CT_NOMEM;
        a->trips = nt;
        a->trips_cap = ncap;
    }
    a->trips[a->ntrips] = *t;
    a->trips[a->ntrips].live = 1;
    a->trips[a->ntrips].schedule_changed = 0;
    for (int i = 0; i < TRIP_MAX_LEGS; i++) {
        a->trips[a->ntrips].leg_index[i] = -1;
        a->trips[a->ntrips].moved[i] = 0;
    }
    a->ntrips++;
    if (a->tt != NULL)
        resolve_one(a, (uint32_t)(a->ntrips - 1));
    if (a->schedule_pending)
        pthread_cond_signal(&a->work);
    return CT_OK;
}

static int64_t opt(ct_stmt *s, int col)
{
    return ct_stmt_is_null(s, col) ? ALERT_NONE : ct_stmt_int64(s, col);
}

ct_status ct__trips_load(ct_alerts *a, ct_store *st)
{
    ct_stmt *s = NULL;
    ct_status rc = ct_store_prepare(
        st,
        "SELECT id, baseline_minor, last_price_minor, notified_low_minor, last_notified_at"
        " FROM price_alert WHERE date_mode = 'trip'",
        &s);
    if (rc)
        return rc;
    /* the rows first (one statement open at a time), then their orders */
    CT_VEC(ct__trip) rows = {0};
    while ((rc = ct_stmt_step(s)) == CT_ROW) {
        ct__trip t;
        memset(&t, 0, sizeof(t));
        const char *id = ct_stmt_text(s, 0);
        snprintf(t.order_id, sizeof(t.order_id), "%s", id != NULL && strlen(id) > 5 ? id + 5 : "");
        t.baseline = opt(s, 1);
        t.last_price = opt(s, 2);
        t.notified_low = opt(s, 3);
        t.last_notified_at = opt(s, 4);
        if (CT_VEC_PUSH(&rows, t)) {
            rc = CT_NOMEM;
            break;
        }
    }
    ct_stmt_finalize(s);
    rc = rc == CT_DONE ? CT_OK : rc;
    for (size_t i = 0; i < rows.len && !rc; i++) {
        ct__trip *t = &rows.items[i];
        ct__trip keep = *t;
        if (read_order(st, keep.order_id, t) != CT_OK)
            continue; /* cancelled since, or unreadable: not watched */
        t->baseline = keep.baseline;
        t->last_price = keep.last_price;
        t->notified_low = keep.notified_low;
        t->last_notified_at = keep.last_notified_at;
        pthread_mutex_lock(&a->mu);
        rc = put_trip(a, t);
        pthread_mutex_unlock(&a->mu);
    }
    CT_VEC_FREE(&rows);
    return rc;
}

/* In the caller's transaction: the order's watch row (once). *t is filled. */
static ct_status insert_trip(ct_alerts *a, ct_store *st, const char *order_id, ct__trip *t)
{
    memset(t, 0, sizeof(*t));
    ct_status rc = read_order(st, order_id, t);
    if (rc)
        return rc;
    t->baseline = t->paid;
    t->last_price = t->notified_low = t->last_notified_at = ALERT_NONE;
    const ct__trip_leg *first = &t->leg[0];
    int last_out = 0, ret = -1;
    for (int i = 0; i < t->nlegs; i++) {
        if (t->leg[i].slice == 0)
            last_out = i;
        else if (ret < 0)
            ret = i;
    }
    /* the route: the first leg's origin to the outbound's last arrival */
    char id_param[48], now[24], dep[24], retday[24], paid[24], pax[8];
    int64_t ms = ct__alerts_now(a);
    snprintf(id_param, sizeof(id_param), "%s", t->id);
    snprintf(now, sizeof(now), "%lld", (long long)ms);
    snprintf(dep, sizeof(dep), "%d", (int)first->date);
    snprintf(retday, sizeof(retday), "%d", ret >= 0 ? (int)t->leg[ret].date : -1);
    snprintf(paid, sizeof(paid), "%lld", (long long)t->paid);
    snprintf(pax, sizeof(pax), "%d", t->passengers);
    int64_t exists = 0;
    ct_stmt *s = NULL;
    rc = ct_store_prepare(st, "SELECT COUNT(*) FROM price_alert WHERE id = ?", &s);
    if (!rc)
        rc = ct_stmt_bind_text(s, 1, t->id);
    if (!rc && (rc = ct_stmt_step(s)) == CT_ROW) {
        exists = ct_stmt_int64(s, 0);
        rc = CT_OK;
    }
    ct_stmt_finalize(s);
    if (rc || exists)
        return rc;
    const char *params[] = {id_param,
                            t->user_id,
                            first->from,
                            t->leg[last_out].to,
                            dep,
                            ret >= 0 ? retday : NULL,
                            ct__alert_cabin_name(t->cabin),
                            pax,
                            t->currency,
                            paid,
                            now};
    return ct_store_run(st,
                        "INSERT INTO price_alert (id, user_id, origin, destination, date_mode,"
                        " depart_day, return_day, cabin, passengers, currency, channels,"
                        " baseline_minor, created_at, updated_at) VALUES (?, ?, ?, ?, 'trip',"
                        " ?, ?, ?, ?, ?, 'email,in_app', ?, ?, ?)",
                        12,
                        (const char *const[]){params[0], params[1], params[2], params[3], params[4],
                                              params[5], params[6], params[7], params[8], params[9],
                                              params[10], params[10]});
}

ct_status ct_alerts_track_order(ct_alerts *a, ct_store *st, const char *order_id)
{
    ct__trip t;
    ct_status rc = ct_store_begin(st);
    if (rc)
        return rc;
    rc = insert_trip(a, st, order_id, &t);
    if (rc) {
        ct_store_rollback(st);
        return rc == CT_NOT_FOUND ? CT_OK : rc; /* a guest's or unconfirmed order: nothing */
    }
    rc = ct_store_commit(st);
    if (rc)
        return rc;
    pthread_mutex_lock(&a->mu);
    rc = put_trip(a, &t);
    pthread_mutex_unlock(&a->mu);
    return rc;
}

ct_status ct_alerts_order_event(const json_t *event, void *ctx)
{
    ct_alerts *a = ctx;
    const char *order_id =
        json_string_value(json_object_get(json_object_get(event, "payload"), "order_id"));
    if (order_id == NULL)
        return CT_OK;
    ct_store *st = NULL;
    ct_status rc = ct_store_pool_acquire(a->cfg.pool, 5000, &st);
    if (rc)
        return rc;
    rc = ct_alerts_track_order(a, st, order_id); /* idempotent: one row per order */
    ct_store_pool_release(a->cfg.pool, st);
    return rc;
}

/* ---- evaluation ---- */

ct_status ct__trips_collect(ct_alerts *a, uint32_t leg, int cabin, ct__trip **out, size_t *n,
                            size_t *cap)
{
    if (a->trip_index == NULL)
        return CT_OK;
    size_t k;
    const uint32_t *slots = ct__index_get(a->trip_index, TRIP_KEY(leg), &k);
    for (size_t i = 0; i < k; i++) {
        const ct__trip *t = &a->trips[slots[i]];
        int seen = 0;
        for (size_t j = 0; j < *n && !seen; j++)
            seen = strcmp((*out)[j].id, t->id) == 0;
        if (!t->live || t->cabin != cabin || seen)
            continue;
        if (*n == *cap) {
            size_t ncap = *cap ? *cap * 2 : 16;
            ct__trip *nt = ct_realloc(*out, ncap * sizeof(*nt));
            if (nt == NULL)
                return CT_NOMEM;
            *out = nt;
            *cap = ncap;
        }
        (*out)[(*n)++] = *t;
    }
    return CT_OK;
}

/* The trip's price now on its exact flights (all passengers, its currency); -1: unknown. */
static int64_t price_trip(const ct_alerts *a, const ct_pb_view *view, const ct__trip *t)
{
    ct_price_ctx pc;
    if (ct_price_ctx_init(&pc, view, (ct_cabin)t->cabin, t->passengers, t->passengers,
                          t->currency) != CT_OK)
        return -1;
    ct_trip trip;
    memset(&trip, 0, sizeof(trip));
    trip.nslices = t->nslices;
    for (int i = 0; i < t->nlegs; i++) {
        if (t->leg_index[i] < 0)
            return -1;
        ct_itinerary *it = &trip.slice[t->leg[i].slice];
        if (it->nlegs == CT_SEARCH_MAX_LEGS)
            return -1;
        it->legs[it->nlegs++] = &a->tt->legs[t->leg_index[i]];
    }
    for (int s = 0; s < trip.nslices; s++) {
        ct_itinerary *it = &trip.slice[s];
        if (it->nlegs == 0)
            return -1;
        it->dep = it->legs[0]->dep;
        it->arr = it->legs[it->nlegs - 1]->arr;
        it->price = ct_price_itinerary(&pc, it->legs, it->nlegs, NULL);
        if (it->price < 0)
            return -1;
    }
    ct_trip_price(&pc, &trip);
    return trip.price >= 0 && trip.price != CT_PRICE_UNKNOWN ? trip.price : -1;
}

static json_t *payload(const ct__trip *t, int64_t price, int64_t previous)
{
    char dep[16], ret[16], url[256];
    int ret_leg = -1, last_out = 0;
    for (int i = 0; i < t->nlegs; i++) {
        if (t->leg[i].slice == 0)
            last_out = i;
        else if (ret_leg < 0)
            ret_leg = i;
    }
    ct_date_format(t->leg[0].date, dep, sizeof(dep));
    if (ret_leg >= 0)
        ct_date_format(t->leg[ret_leg].date, ret, sizeof(ret));
    snprintf(url, sizeof(url), "/trips?id=%s", t->order_id);
    const char *dest = t->leg[last_out].to;
    return json_pack("{s:s, s:s, s:s, s:s, s:s, s:s, s:o, s:s, s:s, s:I, s:I, s:I, s:n, s:s, s:n}",
                     "user_id", t->user_id, "alert_id", t->id, "order_id", t->order_id, "origin",
                     t->leg[0].from, "destination", dest, "departure_date", dep, "return_date",
                     ret_leg >= 0 ? json_string(ret) : json_null(), "cabin",
                     ct__alert_cabin_name(t->cabin), "currency", t->currency, "price_minor",
                     (json_int_t)price, "previous_low_minor", (json_int_t)previous,
                     "threshold_minor", (json_int_t)t->paid, "drop_percent", "search_url", url,
                     "prediction");
}

static ct_status write_state(ct_store *st, const ct__trip *t)
{
    char base[24], last[24], low[24], when[24];
    snprintf(base, sizeof(base), "%lld", (long long)t->baseline);
    snprintf(last, sizeof(last), "%lld", (long long)t->last_price);
    snprintf(low, sizeof(low), "%lld", (long long)t->notified_low);
    snprintf(when, sizeof(when), "%lld", (long long)t->last_notified_at);
    const char *p[] = {base, t->last_price == ALERT_NONE ? NULL : last,
                       t->notified_low == ALERT_NONE ? NULL : low,
                       t->last_notified_at == ALERT_NONE ? NULL : when, t->id};
    return ct_store_run(st,
                        "UPDATE price_alert SET baseline_minor = ?, last_price_minor = ?,"
                        " notified_low_minor = ?, last_notified_at = ? WHERE id = ?",
                        5, p);
}

/* ---- schedule changes ---- */

/* "2026-12-10T08:15:00Z" of UTC minutes. */
static void iso_of(int32_t minutes, char out[32])
{
    ct_utc_format((ct_utc)minutes * 60, out, 32);
}

/* The changes entry of leg i: flight, date, airports, booked and new departure, status. */
static json_t *change_of(const ct__trip *t, int i)
{
    const ct__trip_leg *l = &t->leg[i];
    char date[16], booked[32], now[32];
    ct_date_format(l->date, date, sizeof(date));
    iso_of(l->dep, booked);
    int cancelled = t->moved[i] == TRIP_CANCELLED;
    if (!cancelled)
        iso_of(t->moved[i], now);
    return json_pack("{s:s, s:i, s:s, s:s, s:s, s:s, s:o, s:s}", "carrier", l->carrier,
                     "flight_number", l->number, "date", date, "from", l->from, "to", l->to,
                     "booked_departure", booked, "new_departure",
                     cancelled ? json_null() : json_string(now), "status",
                     cancelled ? "cancelled" : "retimed");
}

/* One trip's report in one transaction: its legs not yet departed and not reported before
 * (consume_once per flight, date and new time), and the event when any is left. */
static ct_status report_trip(ct_alerts *a, ct_store *st, const ct__trip *t, int64_t now_min)
{
    json_t *changes = json_array();
    if (changes == NULL)
        return CT_NOMEM;
    ct_status rc = ct_store_begin(st);
    for (int i = 0; !rc && i < t->nlegs; i++) {
        if (t->moved[i] == 0 || t->leg[i].dep <= now_min)
            continue;
        char key[160];
        snprintf(key, sizeof(key), "%s:%s%d:%d:%ld", t->order_id, t->leg[i].carrier,
                 t->leg[i].number, (int)t->leg[i].date, (long)t->moved[i]);
        rc = ct_outbox_consume_once(st, "alerts-schedule", key);
        if (rc == CT_CONFLICT) {
            rc = CT_OK; /* reported before */
            continue;
        }
        if (!rc && json_array_append_new(changes, change_of(t, i)) != 0)
            rc = CT_NOMEM;
    }
    json_t *pl = !rc && json_array_size(changes) > 0 ? payload(t, t->paid, t->paid) : NULL;
    if (pl != NULL && json_object_set(pl, "changes", changes) != 0)
        rc = CT_NOMEM;
    if (!rc && pl != NULL)
        rc = ct_outbox_add(st, "trip", t->order_id, "trip.schedule_changed", pl, NULL, 0);
    json_decref(pl);
    json_decref(changes);
    if (!rc)
        rc = ct_store_commit(st);
    else
        ct_store_rollback(st);
    if (!rc && a->cfg.outbox != NULL)
        ct_outbox_kick(a->cfg.outbox);
    return rc;
}

void ct__trips_report_schedules(ct_alerts *a)
{
    CT_VEC(ct__trip) due = {0};
    pthread_mutex_lock(&a->mu);
    a->schedule_pending = 0;
    for (size_t i = 0; i < a->ntrips; i++) {
        ct__trip *t = &a->trips[i];
        if (!t->schedule_changed || !t->live)
            continue;
        if (CT_VEC_PUSH(&due, *t))
            break; /* NOMEM: reported after the next attach */
        t->schedule_changed = 0;
    }
    pthread_mutex_unlock(&a->mu);
    ct_store *st = NULL;
    if (due.len > 0 && ct_store_pool_acquire(a->cfg.pool, 5000, &st) == CT_OK) {
        int64_t now_min = ct__alerts_now(a) / 60000;
        for (size_t i = 0; i < due.len; i++) {
            ct_status rc = report_trip(a, st, &due.items[i], now_min);
            if (rc)
                ct_log(CT_LOG_WARN, "alerts.schedule", "order", due.items[i].order_id, "status",
                       ct_status_name(rc), NULL);
        }
        ct_store_pool_release(a->cfg.pool, st);
    }
    CT_VEC_FREE(&due);
}

/* One trip's new state, and its event when it fires, in one transaction. */
static ct_status write_trip(ct_alerts *a, ct_store *st, const ct__trip *t, int fired, int64_t price,
                            int64_t previous)
{
    ct_status rc = ct_store_begin(st);
    if (rc)
        return rc;
    rc = write_state(st, t);
    json_t *pl = !rc && fired ? payload(t, price, previous) : NULL;
    if (!rc && fired)
        rc = pl != NULL ? ct_outbox_add(st, "trip", t->order_id, "trip.price_drop", pl, NULL, 0)
                        : CT_NOMEM;
    json_decref(pl);
    if (!rc)
        rc = ct_store_commit(st);
    else
        ct_store_rollback(st);
    if (!rc && fired && a->cfg.outbox != NULL)
        ct_outbox_kick(a->cfg.outbox);
    return rc;
}

void ct__trips_evaluate(ct_alerts *a, const ct_pb_view *view, ct__trip *t, size_t n, int64_t now)
{
    if (n == 0)
        return;
    ct_store *st = NULL;
    if (ct_store_pool_acquire(a->cfg.pool, 5000, &st) != CT_OK)
        return;
    for (size_t i = 0; i < n; i++) {
        int64_t price = price_trip(a, view, &t[i]);
        if (price < 0)
            continue;
        int64_t low = t[i].baseline;
        if (t[i].notified_low != ALERT_NONE && t[i].notified_low < low)
            low = t[i].notified_low;
        int cooled = t[i].last_notified_at == ALERT_NONE ||
                     now - t[i].last_notified_at >= (int64_t)a->cfg.cooldown_s * 1000;
        int fired = price < low && price < t[i].paid && cooled;
        int64_t previous = t[i].baseline;
        if (!fired && price == t[i].last_price)
            continue;
        if (price < t[i].baseline)
            t[i].baseline = price;
        t[i].last_price = price;
        if (fired) {
            t[i].notified_low = price;
            t[i].last_notified_at = now;
        }
        if (write_trip(a, st, &t[i], fired, price, previous) != CT_OK) {
            ct_log(CT_LOG_WARN, "alerts.trip", "order", t[i].order_id, NULL);
            continue;
        }
        pthread_mutex_lock(&a->mu);
        for (size_t k = 0; k < a->ntrips; k++) {
            if (strcmp(a->trips[k].id, t[i].id) == 0) {
                a->trips[k].baseline = t[i].baseline;
                a->trips[k].last_price = t[i].last_price;
                a->trips[k].notified_low = t[i].notified_low;
                a->trips[k].last_notified_at = t[i].last_notified_at;
            }
        }
        a->stats.triggers += fired ? 1 : 0;
        pthread_mutex_unlock(&a->mu);
    }
    ct_store_pool_release(a->cfg.pool, st);
}
