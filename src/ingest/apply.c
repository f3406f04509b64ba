/* apply.c: one parsed feed page -> the pricebook, the price history and the event bus.
 *
 * A page is applied between ct_pricebook_begin and ct_pricebook_commit. A dated leg's
 * price at a provider, per cabin, is the amount of its lowest open class (the cheapest
 * class with a seat) in the provider's fares for the leg's market: "unknown" while either
 * the seats or the fares are missing, "sold out" when no class of the cabin is open. Its
 * change is detected by comparing the price before and after the page:
 *   - availability: per record, the leg's old seat word (read before it is replaced; only
 *     this thread writes this provider's words) against the new one, with the fares of the
 *     current snapshot;
 *   - fares: per market whose amounts differ from the snapshot's, every dated leg of the
 *     market with known seats, old snapshot against new (skipped before any seats came).
 * Each change to a known price is one price_observation row (all rows of a page in one
 * transaction) and one "price.changed" event; each changed market one "fares.changed". A
 * leg's first price (from unknown) counts only with history_first: by default the first full
 * pass is the baseline (in the pricebook and its file) and the history holds what moved. */
#include <stdio.h>
#include <string.h>

#include "base/alloc.h"
#include "base/log.h"
#include "base/timeutil.h"
#include "ingest/ingest_internal.h"

typedef struct price {
    int state; /* 0 unknown, 1 sold out, 2 priced */
    int cls;
    int32_t amount;
} price;

typedef struct observation {
    uint32_t leg;
    int cabin;
    price was, now;
} observation;

typedef struct obs_list {
    observation *a;
    size_t n, cap;
} obs_list;

/* Appends o to l, doubling the array when full; CT_NOMEM. */
static ct_status obs_push(obs_list *l, const observation *o)
{
    if (l->n == l->cap) {
        size_t cap = l->cap ? l->cap * 2 : 256;
        observation *grown = ct_realloc(l->a, cap * sizeof(*grown));
        if (grown == NULL)
            return CT_NOMEM;
        l->a = grown;
        l->cap = cap;
    }
    l->a[l->n++] = *o;
    return CT_OK;
}

/* The cheapest open class of a cabin in a seats word, or -1 when all are closed (not an
 * error: the leg is sold out). */
static int lowest_open(uint64_t w, int cabin)
{
    int lo, hi;
    ct_cabin_classes((ct_cabin)cabin, &lo, &hi);
    for (int c = hi; c >= lo; c--) {
        if (ct_seats_of(w, c) > 0)
            return c;
    }
    return -1;
}

static price price_of(uint64_t w, const ct_pb_snapshot *s, int id, uint32_t market, int cabin)
{
    price p = {0, -1, 0};
    if (w == CT_SEATS_UNKNOWN)
        return p;
    p.cls = lowest_open(w, cabin);
    if (p.cls < 0) {
        p.state = 1;
        return p;
    }
    const ct_pb_provider *pv = id >= 0 && id < s->nproviders ? &s->providers[id] : NULL;
    if (pv == NULL || pv->amount == NULL || market >= pv->nmarkets || pv->amount[market][p.cls] < 0)
        return p;
    p.state = 2;
    p.amount = pv->amount[market][p.cls];
    return p;
}

static int price_changed(const price *a, const price *b)
{
    return b->state != 0 && (a->state != b->state ||
                             (b->state == 2 && (a->cls != b->cls || a->amount != b->amount)));
}

/* A change worth a row and an event: first observations (from unknown) only when the
 * configuration asks for them (history_first); the first full pass of a big world is tens
 * of millions of them. */
static int worth_recording(const ct_ingest *ing, const price *a, const price *b)
{
    return price_changed(a, b) && (a->state != 0 || ing->cfg.history_first);
}

/* 1 when the leg has cabin `cab`: economy always, the others when the timetable lists
 * seats in them. */
static int has_cabin(const ct_leg *l, int cab)
{
    return cab == CT_CABIN_ECONOMY || ct_leg_has_cabin(l, (ct_cabin)cab);
}

/* The timetable's index of carrier `code`, or -1 when it flies nothing there (not an error). */
static int carrier_of(const ct_timetable *tt, const char *code)
{
    for (size_t i = 0; i < tt->ncarriers; i++) {
        if (strcmp(tt->carriers[i], code) == 0)
            return (int)i;
    }
    return -1;
}

/* ---- history and events ---- */

static const char *cabin_name(int cabin)
{
    return ct_cabin_name((ct_cabin)cabin);
}

static ct_status write_history(ct_ingest *ing, ct__prov *p, const obs_list *obs, int64_t now)
{
    if (ing->cfg.history == NULL || obs->n == 0)
        return CT_OK;
    const ct_timetable *tt = ct_pricebook_timetable(ing->pb);
    ct_store *st = NULL;
    ct_stmt *stmt = NULL;
    ct_status rc = ct_store_pool_acquire(ing->cfg.history, 5000, &st);
    if (rc)
        goto done;
    rc = ct_store_begin(st);
    if (rc)
        goto done;
    rc = ct_store_prepare(st,
                          "INSERT INTO price_observation (provider, carrier, flight_number, origin,"
                          " destination, departure_utc, cabin, lowest_class, amount_minor,"
                          " currency, observed_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
                          &stmt);
    for (size_t i = 0; !rc && i < obs->n; i++) {
        const observation *o = &obs->a[i];
        const ct_leg *l = &tt->legs[o->leg];
        char cls[2] = {o->now.cls >= 0 ? ct_class_letter(o->now.cls) : '\0', '\0'};
        const ct_airport *from = ct_refdata_airport_at(tt->rd, l->from);
        const ct_airport *to = ct_refdata_airport_at(tt->rd, l->to);
        rc = ct_stmt_bind_text(stmt, 1, p->cfg.name);
        rc = rc ? rc : ct_stmt_bind_text(stmt, 2, tt->carriers[l->carrier]);
        rc = rc ? rc : ct_stmt_bind_int64(stmt, 3, l->number);
        rc = rc ? rc : ct_stmt_bind_text(stmt, 4, from->iata);
        rc = rc ? rc : ct_stmt_bind_text(stmt, 5, to->iata);
        rc = rc ? rc : ct_stmt_bind_int64(stmt, 6, (int64_t)l->dep * 60);
        rc = rc ? rc : ct_stmt_bind_text(stmt, 7, cabin_name(o->cabin));
        rc = rc ? rc : ct_stmt_bind_text(stmt, 8, o->now.state == 2 ? cls : NULL);
        rc = rc                  ? rc
             : o->now.state == 2 ? ct_stmt_bind_int64(stmt, 9, o->now.amount)
                                 : ct_stmt_bind_null(stmt, 9);
        rc = rc ? rc : ct_stmt_bind_text(stmt, 10, p->desc.currency);
        rc = rc ? rc : ct_stmt_bind_int64(stmt, 11, now);
        if (!rc) {
            rc = ct_stmt_step(stmt);
            rc = rc == CT_DONE || rc == CT_ROW ? CT_OK : rc;
        }
        if (!rc)
            rc = ct_stmt_reset(stmt);
    }
    ct_stmt_finalize(stmt);
    stmt = NULL;
    if (!rc)
        rc = ct_store_commit(st);
    else
        ct_store_rollback(st);
done:
    if (rc)
        ct_log(CT_LOG_ERROR, "ingest.history", "provider", p->cfg.name, "error",
               st ? ct_store_errmsg(st) : ct_status_name(rc), NULL);
    if (st != NULL)
        ct_store_pool_release(ing->cfg.history, st);
    return rc;
}

static uint64_t publish_prices(ct_ingest *ing, ct__prov *p, const obs_list *obs)
{
    if (!ct_bus_has_subscribers(ing->cfg.bus, "price.changed"))
        return 0;
    const ct_timetable *tt = ct_pricebook_timetable(ing->pb);
    uint64_t n = 0;
    for (size_t i = 0; i < obs->n; i++) {
        const observation *o = &obs->a[i];
        const ct_leg *l = &tt->legs[o->leg];
        char dep[32], cls[2] = {o->now.cls >= 0 ? ct_class_letter(o->now.cls) : '\0', '\0'};
        ct_utc_format((ct_utc)l->dep * 60, dep, sizeof(dep));
        json_t *e = json_pack(
            "{s:s, s:s, s:i, s:s, s:s, s:s, s:s, s:s, s:o, s:o, s:o}", "provider", p->cfg.name,
            "carrier", tt->carriers[l->carrier], "flight_number", (int)l->number, "origin",
            ct_refdata_airport_at(tt->rd, l->from)->iata, "destination",
            ct_refdata_airport_at(tt->rd, l->to)->iata, "departure", dep, "cabin",
            cabin_name(o->cabin), "currency", p->desc.currency, "class",
            o->now.state == 2 ? json_string(cls) : json_null(), "amount_minor",
            o->now.state == 2 ? json_integer(o->now.amount) : json_null(), "previous_amount_minor",
            o->was.state == 2 ? json_integer(o->was.amount) : json_null());
        if (e != NULL && ct_bus_publish(ing->cfg.bus, "price.changed", e) > 0)
            n++;
    }
    return n;
}

/* ---- pages ---- */

static void log_rejects(const ct__prov *p, const ct_ingest_page *page, int pageno)
{
    char pg[16], idx[24];
    snprintf(pg, sizeof(pg), "%d", pageno);
    size_t listed =
        page->nrejected < CT_INGEST_MAX_REJECTS ? page->nrejected : CT_INGEST_MAX_REJECTS;
    for (size_t i = 0; i < listed; i++) {
        snprintf(idx, sizeof(idx), "%zu", page->rejects[i].index);
        ct_log(CT_LOG_WARN, "ingest.rejected", "provider", p->cfg.name, "feed",
               ct_ingest_feed_name(page->feed), "page", pg, "record", idx, "field",
               page->rejects[i].field, "message", page->rejects[i].message, NULL);
    }
    if (page->nrejected > listed) {
        snprintf(idx, sizeof(idx), "%zu", page->nrejected - listed);
        ct_log(CT_LOG_WARN, "ingest.rejected", "provider", p->cfg.name, "feed",
               ct_ingest_feed_name(page->feed), "page", pg, "more", idx, NULL);
    }
}

static ct_status apply_descriptor(ct_ingest *ing, ct__prov *p, const ct_ingest_page *page)
{
    static const ct_provider_kind kinds[] = {[CT_PROVIDERS_AIRLINE] = CT_PROVIDER_AIRLINE,
                                             [CT_PROVIDERS_AGENCY] = CT_PROVIDER_AGENCY,
                                             [CT_PROVIDERS_COMBINER] = CT_PROVIDER_COMBINER};
    ct_provider_desc d = {.kind = kinds[page->desc.kind],
                          .minor_digits = page->desc.minor_digits,
                          .fee_minor = page->desc.fee_minor,
                          .min_self_transfer_min = page->desc.min_self_transfer_min};
    snprintf(d.name, sizeof(d.name), "%s", p->cfg.name);
    memcpy(d.currency, page->desc.currency, sizeof(d.currency));
    char(*codes)[4] = ct_calloc(page->ncarriers + 1, sizeof(*codes));
    if (codes == NULL)
        return CT_NOMEM;
    for (size_t i = 0; i < page->ncarriers; i++)
        memcpy(codes[i], page->carriers[i].code, 4);
    ct_pricebook_begin(ing->pb);
    int id = -1;
    ct_status rc = ct_pricebook_provider(ing->pb, &d, &id);
    if (!rc)
        rc = ct_pricebook_set_sold(ing->pb, id, (const char(*)[4])codes, page->ncarriers);
    for (size_t i = 0; !rc && i < page->ncarriers; i++)
        rc = ct_pricebook_set_alliance(ing->pb, page->carriers[i].code, page->carriers[i].alliance);
    ct_status crc = ct_pricebook_commit(ing->pb);
    ct_free(codes);
    rc = rc ? rc : crc;
    if (!rc) {
        p->id = id;
        p->desc = d;
    }
    return rc;
}

static ct_status apply_rates(ct_ingest *ing, const ct_ingest_page *page)
{
    ct_pricebook_begin(ing->pb);
    ct_status rc = CT_OK;
    for (size_t i = 0; !rc && i < page->nrates; i++)
        rc = ct_pricebook_set_rate(ing->pb, page->rates[i].currency, page->rates[i].per_usd);
    if (!rc)
        ct_pricebook_set_rates_day(ing->pb, page->rates_day);
    ct_status crc = ct_pricebook_commit(ing->pb);
    return rc ? rc : crc;
}

static ct_status apply_fares(ct_ingest *ing, ct__prov *p, const ct_ingest_page *page, obs_list *obs,
                             uint64_t *applied, uint64_t *unknown, uint64_t *events)
{
    const ct_timetable *tt = ct_pricebook_timetable(ing->pb);
    ct_pb_view before, after;
    ct_pricebook_acquire(ing->pb, &before);
    uint8_t *changed = ct_calloc(page->nfares + 1, 1);
    ct_status rc = changed == NULL ? CT_NOMEM : CT_OK;
    ct_pricebook_begin(ing->pb);
    for (size_t i = 0; !rc && i < page->nfares; i++) {
        const ct_ingest_fare *f = &page->fares[i];
        int known = 0;
        rc = ct_pricebook_put_fare(ing->pb, p->id, f->carrier, f->origin, f->dest, f->amount,
                                   &known);
        if (rc)
            break;
        if (!known) {
            (*unknown)++;
            continue;
        }
        (*applied)++;
        /* Did the market's amounts change? Compare with the snapshot before the page. */
        int c = carrier_of(tt, f->carrier), a = ct_timetable_airport(tt, f->origin),
            b = ct_timetable_airport(tt, f->dest);
        const ct_pb_provider *old =
            p->id < before.snap->nproviders ? &before.snap->providers[p->id] : NULL;
        changed[i] = 1;
        for (uint32_t k = tt->first[a]; k < tt->first[a + 1]; k++) {
            if (tt->legs[k].carrier == c && tt->legs[k].to == b) {
                uint32_t m = before.market[k];
                changed[i] = old == NULL || old->amount == NULL || m >= old->nmarkets ||
                             memcmp(old->amount[m], f->amount, sizeof(f->amount)) != 0;
                break;
            }
        }
    }
    ct_status crc = ct_pricebook_commit(ing->pb);
    rc = rc ? rc : crc;
    ct_pricebook_acquire(ing->pb, &after);
    int announce = ct_bus_has_subscribers(ing->cfg.bus, "fares.changed");
    for (size_t i = 0; !rc && i < page->nfares; i++) {
        if (!changed[i])
            continue;
        const ct_ingest_fare *f = &page->fares[i];
        if (announce) {
            json_t *amounts = json_object();
            for (int c = 0; c < CT_NCLASSES; c++) {
                char k[2] = {ct_class_letter(c), '\0'};
                json_object_set_new(amounts, k,
                                    f->amount[c] >= 0 ? json_integer(f->amount[c]) : json_null());
            }
            json_t *e = json_pack("{s:s, s:s, s:s, s:s, s:s, s:o}", "provider", p->cfg.name,
                                  "carrier", f->carrier, "origin", f->origin, "destination",
                                  f->dest, "currency", p->desc.currency, "one_way", amounts);
            if (e != NULL && ct_bus_publish(ing->cfg.bus, "fares.changed", e) > 0)
                (*events)++;
        }
        if (!p->seats_seen)
            continue;
        int c = carrier_of(tt, f->carrier), a = ct_timetable_airport(tt, f->origin),
            b = ct_timetable_airport(tt, f->dest);
        for (uint32_t k = tt->first[a]; !rc && k < tt->first[a + 1]; k++) {
            const ct_leg *l = &tt->legs[k];
            if (l->carrier != c || l->to != b)
                continue;
            uint64_t w = ct_pb_cabin_seats(&after, p->id, k, CT_CABIN_FIRST); /* every class */
            for (int cab = 0; !rc && w != CT_SEATS_UNKNOWN && cab < CT_NCABINS; cab++) {
                if (!has_cabin(l, cab))
                    continue;
                observation o = {k, cab, price_of(w, before.snap, p->id, before.market[k], cab),
                                 price_of(w, after.snap, p->id, after.market[k], cab)};
                if (worth_recording(ing, &o.was, &o.now))
                    rc = obs_push(obs, &o);
            }
        }
    }
    ct_pricebook_release(ing->pb, &after);
    ct_pricebook_release(ing->pb, &before);
    ct_free(changed);
    return rc;
}

static ct_status apply_seats(ct_ingest *ing, ct__prov *p, const ct_ingest_page *page, obs_list *obs,
                             uint64_t *applied, uint64_t *unknown)
{
    const ct_timetable *tt = ct_pricebook_timetable(ing->pb);
    ct_pb_view v;
    ct_pricebook_acquire(ing->pb, &v);
    ct_status rc = CT_OK;
    int last_carrier = -1;
    char last_code[4] = "";
    ct_pricebook_begin(ing->pb);
    for (size_t i = 0; !rc && i < page->nseats; i++) {
        const ct_ingest_seats *s = &page->seats[i];
        if (strcmp(s->carrier, last_code) != 0) {
            memcpy(last_code, s->carrier, 4);
            last_carrier = carrier_of(tt, s->carrier);
        }
        int a = ct_timetable_airport(tt, s->origin);
        int64_t leg =
            last_carrier < 0 || a < 0
                ? -1
                : ct_timetable_find_leg(tt, last_carrier, s->number, (uint16_t)a, s->dep_utc_min);
        uint64_t was = leg >= 0 ? ct_pb_cabin_seats(&v, p->id, (size_t)leg, CT_CABIN_FIRST)
                                : CT_SEATS_UNKNOWN; /* every class */
        int known = 0, changed = 0;
        rc = ct_pricebook_put_seats(ing->pb, p->id, s->carrier, s->number, s->origin,
                                    s->dep_utc_min, s->seats, &known, &changed);
        if (rc)
            break;
        if (!known || leg < 0) {
            (*unknown)++;
            continue;
        }
        (*applied)++;
        if (!changed && was != CT_SEATS_UNKNOWN)
            continue;
        uint64_t now = ct_seats_pack(s->seats);
        const ct_leg *l = &tt->legs[leg];
        for (int cab = 0; !rc && cab < CT_NCABINS; cab++) {
            if (!has_cabin(l, cab))
                continue;
            observation o = {(uint32_t)leg, cab, price_of(was, v.snap, p->id, v.market[leg], cab),
                             price_of(now, v.snap, p->id, v.market[leg], cab)};
            if (worth_recording(ing, &o.was, &o.now))
                rc = obs_push(obs, &o);
        }
    }
    ct_status crc = ct_pricebook_commit(ing->pb);
    ct_pricebook_release(ing->pb, &v);
    if (page->nseats > 0)
        p->seats_seen = 1;
    return rc ? rc : crc;
}

ct_status ct__apply(ct_ingest *ing, ct__prov *p, const ct_ingest_page *page, int pageno)
{
    obs_list obs = {0};
    uint64_t applied = 0, unknown = 0, events = 0;
    ct_status rc = CT_OK;
    if (page->nrejected > 0)
        log_rejects(p, page, pageno);
    switch (page->feed) {
    case CT_FEED_DESCRIPTOR:
        rc = apply_descriptor(ing, p, page);
        break;
    case CT_FEED_RATES:
        rc = apply_rates(ing, page);
        break;
    case CT_FEED_FARES:
        rc = apply_fares(ing, p, page, &obs, &applied, &unknown, &events);
        break;
    case CT_FEED_AVAIL:
        rc = apply_seats(ing, p, page, &obs, &applied, &unknown);
        break;
    }
    int64_t now = ct_utc_now();
    uint64_t written = 0;
    if (!rc && obs.n > 0 && write_history(ing, p, &obs, now) == CT_OK)
        written = obs.n;
    if (!rc)
        events += publish_prices(ing, p, &obs);
    ct_free(obs.a);
    pthread_mutex_lock(&ing->stats_mu);
    p->st.id = p->id;
    if (page->feed == CT_FEED_FARES)
        p->st.fares_applied += applied;
    else if (page->feed == CT_FEED_AVAIL)
        p->st.seats_applied += applied;
    p->st.unknown += unknown;
    p->st.rejected += page->nrejected;
    p->st.pages += rc ? 0 : 1;
    p->st.observations += written;
    p->st.events += events;
    pthread_mutex_unlock(&ing->stats_mu);
    return rc;
}
