/* test_inventory.c: seats on the small world: the background market, nested booking limits
 * and advance purchase, the lowest class rising as seats sell, and the shared SQLite store:
 * holds, tickets, cancels, refunds, hold expiry, idempotency, sold-out, the change log, a
 * foreign world refused, and concurrent bookings through two handles (two processes' worth
 * of connections) that never oversell. */
#define _GNU_SOURCE
#include "ct_test.h"

#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "base/alloc.h"
#include "base/timeutil.h"
#include "sandbox/providers/inventory.h"
#include "sandbox/world/sandbox_data.h"
#include "testsupport.h"

static sb_data data;
static char tmpdir[256];
static int64_t day0; /* world start */

static const int protect_pct[SB_NCLASSES] = {0, 5, 12, 22, 35, 50, 0, 30, 0, 30, 0, 30};
static const int advance_days[SB_NCLASSES] = {0, 0, 3, 7, 14, 21, 0, 7, 0, 7, 0, 14};

static int setup(void **state)
{
    (void)state;
    char err[256];
    ct_date_parse("2026-11-23", &day0);
    sb_world_params p = {42, day0, SB_WORLD_SMALL, ts_refdata_dir()};
    if (sb_data_open(&p, &data, err, sizeof(err)))
        fail_msg("small world: %s", err);
    ts_tempdir(tmpdir, sizeof(tmpdir));
    return 0;
}

static int teardown(void **state)
{
    (void)state;
    sb_data_close(&data);
    ts_rmtree(tmpdir);
    return 0;
}

/* The first leg of the first flight of `carrier` with a cabin of that kind operating on `day`. */
static sb_dated_leg find_leg(int cabin, int64_t day)
{
    const sb_world *w = data.world;
    for (int f = 0; f < w->nflights; f++) {
        if (sb_flight_operates(&w->flights[f], day) && sb_inv_capacity(w, f, cabin) > 0)
            return (sb_dated_leg){f, 0, day};
    }
    fail_msg("no flight on day %lld", (long long)day);
    return (sb_dated_leg){-1, 0, 0};
}

static int64_t departure(const sb_dated_leg *dl)
{
    int64_t dep, arr;
    sb_leg_times(data.world, &data.world->flights[dl->flight], dl->leg, dl->day, &dep, &arr);
    return dep;
}

static sb_inventory *open_inv(const char *name, int conns)
{
    char path[400], err[256];
    snprintf(path, sizeof(path), "%s/%s", tmpdir, name);
    sb_inventory *inv = NULL;
    if (sb_inventory_open(path, data.world, conns, &inv, err, sizeof(err)))
        fail_msg("open inventory: %s", err);
    return inv;
}

static void background_market(void **state)
{
    (void)state;
    const sb_world *w = data.world;
    int legs = 0, sold_out = 0, differ = 0, last_final = -1;
    for (int d = 0; d < 120; d += 3) {
        for (int f = 0; f < w->nflights; f += 7) {
            sb_dated_leg dl = {f, 0, day0 + d};
            if (!sb_flight_operates(&w->flights[f], dl.day))
                continue;
            int64_t dep = departure(&dl);
            int cap = sb_inv_capacity(w, f, SB_CABIN_ECONOMY);
            int64_t open = dep - (int64_t)SB_INV_WINDOW_DAYS * 86400;
            assert_int_equal(sb_inv_background(w, &dl, SB_CABIN_ECONOMY, dep, open), 0);
            int prev = 0;
            for (int64_t t = open; t <= dep; t += 10 * 86400 + 3600) {
                int s = sb_inv_background(w, &dl, SB_CABIN_ECONOMY, dep, t);
                assert_true(s >= prev && s <= cap);
                prev = s;
            }
            int final = sb_inv_background(w, &dl, SB_CABIN_ECONOMY, dep, dep);
            assert_true(final >= (int)(0.62 * cap) - 1 && final <= cap);
            assert_int_equal(sb_inv_background(w, &dl, SB_CABIN_ECONOMY, dep, dep + 86400), final);
            sold_out += final == cap;
            differ += last_final >= 0 && final != last_final;
            last_final = final;
            legs++;
        }
    }
    assert_true(legs > 300);
    assert_true(sold_out > 0 && sold_out < legs / 5);
    assert_true(differ > legs / 2);
}

/* Released seats: on about a third of dated legs, never more than were sold, only within
 * one window 45 or 30 (to 32 or 47) days before departure of at most six days; during it a
 * cheaper class can reopen, so a leg's lowest price falls and rises again. */
static void released_seats_reopen_classes(void **state)
{
    (void)state;
    const sb_world *w = data.world;
    int legs = 0, with_release = 0, fell = 0;
    const int none[SB_NCABINS] = {0, 0};
    for (int d = 60; d < 120; d += 2) {
        for (int f = 0; f < w->nflights; f += 5) {
            sb_dated_leg dl = {f, 0, day0 + d};
            if (!sb_flight_operates(&w->flights[f], dl.day))
                continue;
            int64_t dep = departure(&dl);
            int any = 0, lowest_before = -1;
            legs++;
            for (int64_t t = dep - 60 * 86400; t <= dep; t += 6 * 3600) {
                int r = sb_inv_released(w, &dl, SB_CABIN_ECONOMY, dep, t);
                int before = (int)((dep - t) / 86400);
                assert_true(r >= 0 && r <= sb_inv_background(w, &dl, SB_CABIN_ECONOMY, dep, t));
                if (r > 0)
                    assert_true((before >= 23 && before <= 32) || (before >= 38 && before <= 47));
                any |= r > 0;
                sb_leg_avail a;
                assert_int_equal(sb_inv_state(w, &dl, none, t, t, &a), CT_OK);
                /* a lower class index is a dearer class: a fall is a higher index */
                if (lowest_before >= 0 && a.lowest[0] > lowest_before)
                    fell++;
                lowest_before = a.lowest[0];
            }
            with_release += any;
        }
    }
    assert_true(legs > 200);
    assert_true(with_release > legs / 5 && with_release < legs / 2);
    assert_true(fell > 0);
}

/* Exact nested limits for a known remaining count, and advance purchase and cut-off. */
static void nested_limits_and_advance_purchase(void **state)
{
    (void)state;
    const sb_world *w = data.world;
    sb_dated_leg dl = find_leg(SB_CABIN_BUSINESS, day0 + 60);
    int64_t dep = departure(&dl);
    int64_t t = dep - 300 * 86400; /* early: the market has sold little */
    int cap = sb_inv_capacity(w, dl.flight, SB_CABIN_ECONOMY);
    int bcap = sb_inv_capacity(w, dl.flight, SB_CABIN_BUSINESS);
    int bg = sb_inv_background(w, &dl, SB_CABIN_ECONOMY, dep, t);
    int bbg = sb_inv_background(w, &dl, SB_CABIN_BUSINESS, dep, t);
    /* Leave more than half the cabin, whatever the aircraft (the shares are checked below). */
    int left = (cap * 50 + 99) / 100 + 10;
    assert_true(cap - bg >= left && bcap - bbg >= 10);
    int booked[SB_NCABINS] = {cap - left - bg, 0};
    sb_leg_avail a;
    assert_int_equal(sb_inv_state(w, &dl, booked, t, t, &a), CT_OK);
    assert_int_equal(a.capacity[0], cap);
    assert_int_equal(a.remaining[0], left);
    assert_int_equal(a.remaining[1], bcap - bbg);
    for (int c = 0; c < SB_NCABINS; c++)
        assert_int_equal(a.shift[c], sb_inv_shift(w, &dl, c, dep, t));
    for (int k = 0; k < SB_NCLASSES; k++) {
        int c = sb_class(k)->cabin, top, count;
        sb_cabin_classes(c, &top, &count);
        int pct = k == top ? 0 : protect_pct[k] + a.shift[c];
        int want = a.remaining[c] - (a.capacity[c] * (pct < 0 ? 0 : pct) + 99) / 100;
        assert_int_equal(a.seats[k], want < 0 ? 0 : want);
    }
    assert_true(a.seats[0] == left && a.seats[6] == bcap - bbg);
    /* Two days out: only classes without advance purchase over 2 days sell. */
    sb_leg_avail late;
    sb_inv_state(w, &dl, booked, t, dep - 2 * 86400, &late);
    for (int k = 0; k < SB_NCLASSES; k++) {
        if (advance_days[k] > 2)
            assert_int_equal(late.seats[k], 0);
        else
            assert_int_equal(late.seats[k], a.seats[k]);
    }
    /* Thirty minutes out: everything is closed. */
    sb_inv_state(w, &dl, booked, t, dep - 1800, &late);
    for (int k = 0; k < SB_NCLASSES; k++)
        assert_int_equal(late.seats[k], 0);
    for (int c = 0; c < SB_NCABINS; c++)
        assert_int_equal(late.lowest[c], -1);
    char avs[32];
    sb_inv_avs(&late, avs, sizeof(avs));
    assert_string_equal(avs, "Y0B0M0H0Q0V0J0C0W0E0F0A0");
    /* Not operating on that date. */
    sb_dated_leg bad = dl;
    bad.day += 1;
    while (sb_flight_operates(&w->flights[bad.flight], bad.day))
        bad.day += 1;
    assert_int_equal(sb_inv_state(w, &bad, booked, t, t, &late), CT_INVALID);
}

/* As seats sell the cheapest open class only moves up the ladder, to sold out. */
/* The four cabins hold the aircraft's seats: a wide-body with first and premium economy sells
 * in them (their own ladders, their own background market), a narrow-body without them
 * never does, and a booking in one cabin leaves the others' seats as they were. */
static void four_cabins_where_the_aircraft_has_them(void **state)
{
    (void)state;
    const sb_world *w = data.world;
    int n;
    const sb_aircraft *types = sb_aircraft_types(&n);
    /* A one-leg flight of an aircraft with first, else (a world without first) with premium
     * economy: `top` is that cabin, its cheaper class `cheap`. */
    int top = SB_CABIN_FIRST;
    sb_dated_leg wide = {-1, 0, 0};
    for (int pass = 0; pass < 2 && wide.flight < 0; pass++) {
        top = pass == 0 ? SB_CABIN_FIRST : SB_CABIN_PREMIUM;
        for (int64_t d = day0 + 30; d < day0 + 120 && wide.flight < 0; d++) {
            for (int f = 0; f < w->nflights && wide.flight < 0; f++) {
                if (w->flights[f].nlegs == 1 && sb_flight_operates(&w->flights[f], d) &&
                    sb_inv_capacity(w, f, top) > 0 && sb_inv_capacity(w, f, SB_CABIN_PREMIUM) > 0)
                    wide = (sb_dated_leg){f, 0, d};
            }
        }
    }
    assert_true(wide.flight >= 0);
    int cheap = top == SB_CABIN_FIRST ? 11 : 9;
    const sb_aircraft *ac = &types[w->flights[wide.flight].legs[0].aircraft];
    assert_true(ac->seats_premium > 0);
    assert_int_equal(sb_inv_capacity(w, wide.flight, SB_CABIN_FIRST), ac->seats_first);
    assert_int_equal(sb_inv_capacity(w, wide.flight, SB_CABIN_PREMIUM), ac->seats_premium);
    assert_int_equal(sb_inv_capacity(w, wide.flight, SB_CABIN_BUSINESS), ac->seats_business);
    assert_int_equal(sb_inv_capacity(w, wide.flight, SB_CABIN_ECONOMY), ac->seats_economy);
    int64_t dep = departure(&wide), t = dep - 200 * 86400;
    int none[SB_NCABINS] = {0};
    sb_leg_avail a;
    assert_int_equal(sb_inv_state(w, &wide, none, t, t, &a), CT_OK);
    assert_int_equal(sb_inv_pick(&a, top, 1), cheap);          /* the cabin's cheaper class */
    assert_int_equal(sb_inv_pick(&a, SB_CABIN_PREMIUM, 1), 9); /* E */
    assert_true(a.lowest[top] == cheap && a.lowest[SB_CABIN_PREMIUM] == 9);
    /* The premium cabins' markets are drawn apart from economy's and business's. */
    int differ = 0;
    for (int d = 0; d < 60; d++) {
        sb_dated_leg dl = {wide.flight, 0, wide.day + d};
        if (!sb_flight_operates(&w->flights[dl.flight], dl.day))
            continue;
        int64_t dd = departure(&dl);
        double share[SB_NCABINS];
        for (int c = 0; c < SB_NCABINS; c++) {
            int cap = sb_inv_capacity(w, dl.flight, c);
            share[c] = cap ? (double)sb_inv_background(w, &dl, c, dd, dd) / cap : -1;
        }
        differ += share[SB_CABIN_PREMIUM] != share[SB_CABIN_ECONOMY] &&
                  share[SB_CABIN_PREMIUM] != share[SB_CABIN_BUSINESS];
    }
    assert_true(differ > 10);
    /* Booking every seat of the cabin closes it alone. */
    int booked[SB_NCABINS] = {0};
    booked[top] = sb_inv_capacity(w, wide.flight, top);
    sb_leg_avail full;
    assert_int_equal(sb_inv_state(w, &wide, booked, t, t, &full), CT_OK);
    assert_int_equal(sb_inv_pick(&full, top, 1), -1);
    for (int k = 0; k < SB_NCLASSES; k++) {
        if (sb_class(k)->cabin != top)
            assert_int_equal(full.seats[k], a.seats[k]);
    }
    /* A narrow-body: no premium economy or first seats, ever. */
    sb_dated_leg narrow = {-1, 0, 0};
    for (int f = 0; f < w->nflights && narrow.flight < 0; f++) {
        if (sb_flight_operates(&w->flights[f], day0 + 60) && sb_inv_capacity(w, f, 0) > 0 &&
            sb_inv_capacity(w, f, SB_CABIN_PREMIUM) == 0 &&
            sb_inv_capacity(w, f, SB_CABIN_FIRST) == 0)
            narrow = (sb_dated_leg){f, 0, day0 + 60};
    }
    assert_true(narrow.flight >= 0);
    int64_t ndep = departure(&narrow);
    assert_int_equal(sb_inv_state(w, &narrow, none, ndep - 200 * 86400, ndep - 200 * 86400, &a),
                     CT_OK);
    for (int k = 8; k < SB_NCLASSES; k++)
        assert_int_equal(a.seats[k], 0);
    assert_int_equal(sb_inv_pick(&a, SB_CABIN_PREMIUM, 1), -1);
    assert_int_equal(sb_inv_pick(&a, SB_CABIN_FIRST, 1), -1);
    assert_true(sb_inv_pick(&a, SB_CABIN_ECONOMY, 1) >= 0);
}

static void lowest_class_rises_as_seats_sell(void **state)
{
    (void)state;
    const sb_world *w = data.world;
    sb_dated_leg dl = find_leg(SB_CABIN_ECONOMY, day0 + 90);
    int64_t t = departure(&dl) - 60 * 86400;
    int cap = sb_inv_capacity(w, dl.flight, SB_CABIN_ECONOMY);
    int prev = SB_NCLASSES, changes = 0, first = -1;
    for (int sold = 0; sold <= cap; sold++) {
        int booked[SB_NCABINS] = {sold, 0};
        sb_leg_avail a;
        sb_inv_state(w, &dl, booked, t, t, &a);
        assert_true(a.lowest[0] <= prev);
        changes += a.lowest[0] != prev;
        prev = a.lowest[0];
        first = sold == 0 ? a.lowest[0] : first;
        if (a.lowest[0] >= 0)
            assert_int_equal(sb_inv_pick(&a, 0, 1), a.lowest[0]);
    }
    assert_int_equal(prev, -1);
    /* Demand and the market's sales may keep the cheapest classes shut from the start; every
     * class open at the start then closes in turn. */
    assert_true(first >= 0);
    assert_true(changes >= first + 2);
}

/* The cheapest economy class of a dated leg as booking opens, nothing sold yet (-1: none). */
static int far_ahead_lowest(const sb_dated_leg *dl, int64_t *dep)
{
    const int none[SB_NCABINS] = {0, 0};
    *dep = departure(dl);
    int64_t t = *dep - 329 * 86400;
    assert_int_equal(sb_inv_background(data.world, dl, SB_CABIN_ECONOMY, *dep, t), 0);
    sb_leg_avail a;
    assert_int_equal(sb_inv_state(data.world, dl, none, t, t, &a), CT_OK);
    return a.lowest[0];
}

/* Far ahead, with nothing sold, the opening price follows demand: across June 2027 a route's
 * days differ; Fridays and Sundays open dearer than Tuesdays and Wednesdays, August dearer
 * than February, and routes differ from one another on the same days. A lower class index
 * is a dearer class. */
static void far_ahead_prices_follow_demand(void **state)
{
    (void)state;
    const sb_world *w = data.world;
    int64_t june1, feb1, aug1;
    ct_date_parse("2027-06-01", &june1);
    ct_date_parse("2027-02-01", &feb1);
    ct_date_parse("2027-08-01", &aug1);
    int flights = 0, varied = 0;
    double dow_sum[7] = {0}, dow_n[7] = {0}, feb = 0, aug = 0, nfeb = 0, naug = 0;
    int seen[SB_NCLASSES] = {0};
    for (int f = 0; f < w->nflights; f += 3) {
        int lo = SB_NCLASSES, hi = -1, days = 0;
        for (int64_t d = june1; d < june1 + 30; d++) {
            sb_dated_leg dl = {f, 0, d};
            if (!sb_flight_operates(&w->flights[f], d))
                continue;
            int64_t dep;
            int k = far_ahead_lowest(&dl, &dep);
            assert_true(k >= 0);
            int dow = (int)((d + 4) % 7);
            dow_sum[dow] += k;
            dow_n[dow]++;
            seen[k]++;
            lo = k < lo ? k : lo;
            hi = k > hi ? k : hi;
            days++;
        }
        for (int64_t d = 0; d < 28; d++) {
            sb_dated_leg a = {f, 0, feb1 + d}, b = {f, 0, aug1 + d};
            int64_t dep;
            if (sb_flight_operates(&w->flights[f], a.day)) {
                feb += far_ahead_lowest(&a, &dep);
                nfeb++;
            }
            if (sb_flight_operates(&w->flights[f], b.day)) {
                aug += far_ahead_lowest(&b, &dep);
                naug++;
            }
        }
        if (days >= 20) {
            flights++;
            varied += hi > lo;
        }
    }
    assert_true(flights > 50);
    assert_true(varied > flights / 2); /* most routes' June days do not all cost the same */
    /* 0 Sunday .. 6 Saturday: Friday and Sunday open dearer (lower index) than Tue and Wed. */
    double fri = dow_sum[5] / dow_n[5], sun = dow_sum[0] / dow_n[0];
    double tue = dow_sum[2] / dow_n[2], wed = dow_sum[3] / dow_n[3];
    assert_true(fri < tue - 0.3 && fri < wed - 0.3 && sun < tue - 0.3);
    assert_true(aug / naug < feb / nfeb - 0.3);
    int classes_seen = 0;
    for (int k = 0; k < SB_NCLASSES; k++)
        classes_seen += seen[k] > 0;
    assert_true(classes_seen >= 3); /* not two prices only */
    /* Routes differ: on one date the flights' opening classes are not all the same. */
    int differ = 0, first = -2;
    for (int f = 0; f < w->nflights; f++) {
        sb_dated_leg dl = {f, 0, june1 + 3};
        int64_t dep;
        if (!sb_flight_operates(&w->flights[f], dl.day))
            continue;
        int k = far_ahead_lowest(&dl, &dep);
        differ |= first != -2 && k != first;
        first = first == -2 ? k : first;
    }
    assert_true(differ);
}

/* Sales: a carrier's sale covers some weeks and markets only, reopens a cheaper class on a
 * leg while it runs (the lowest class falls) and the class closes again when it ends. */
static void sales_lower_prices_for_a_while(void **state)
{
    (void)state;
    const sb_world *w = data.world;
    const int none[SB_NCABINS] = {0, 0};
    int legs = 0, on_sale = 0, fell = 0, rose_back = 0;
    for (int d = 40; d < 100; d += 3) {
        for (int f = 0; f < w->nflights; f += 9) {
            sb_dated_leg dl = {f, 0, day0 + d};
            if (!sb_flight_operates(&w->flights[f], dl.day))
                continue;
            int64_t dep = departure(&dl);
            int any = 0, prev = -2, prev_sale = 0, fell_in_sale = 0;
            legs++;
            for (int64_t t = dep - 150 * 86400; t <= dep - 15 * 86400; t += 12 * 3600) {
                int sale = sb_inv_on_sale(w, &dl, dep, t);
                sb_leg_avail a;
                assert_int_equal(sb_inv_state(w, &dl, none, t, t, &a), CT_OK);
                assert_int_equal(a.shift[0], sb_inv_shift(w, &dl, 0, dep, t));
                any |= sale;
                if (sale && !prev_sale && prev >= 0 && a.lowest[0] > prev) {
                    fell++;
                    fell_in_sale = 1;
                }
                if (!sale && prev_sale && fell_in_sale && a.lowest[0] < prev) {
                    rose_back++;
                    fell_in_sale = 0;
                }
                prev = a.lowest[0];
                prev_sale = sale;
            }
            on_sale += any;
        }
    }
    assert_true(legs > 100);
    assert_true(on_sale > legs / 10 && on_sale < legs); /* some legs, not all */
    assert_true(fell > legs / 20);
    assert_true(rose_back > 0);
}

typedef struct price_ctx {
    int calls;
    int classes[SB_INV_MAX_SEGS];
} price_ctx;

static ct_status price_fn(void *ctx, const sb_booking_seg *segs, int n, int64_t *amount, char **doc)
{
    price_ctx *p = ctx;
    p->calls++;
    *amount = 0;
    for (int i = 0; i < n; i++) {
        p->classes[i] = segs[i].cls;
        *amount += 1000 * (SB_NCLASSES - segs[i].cls);
    }
    *doc = ct_strdup("{\"pax\":[]}");
    return CT_OK;
}

static sb_book_req book_req(const sb_booking_seg *seg, int seats, int64_t now, price_ctx *pc)
{
    return (sb_book_req){.provider = "test",
                         .segs = seg,
                         .nsegs = 1,
                         .seats = seats,
                         .now = now,
                         .expires_at = now + 1800,
                         .currency = "EUR",
                         .offer_amount = 1,
                         .price = price_fn,
                         .price_ctx = pc};
}

static int booked_now(sb_inventory *inv, const sb_dated_leg *dl, int64_t now)
{
    int b[SB_NCABINS];
    assert_int_equal(sb_inventory_booked(inv, dl, now, b), CT_OK);
    return b[0];
}

static void book_ticket_cancel_refund(void **state)
{
    (void)state;
    sb_inventory *inv = open_inv("life.db", 2);
    sb_dated_leg dl = find_leg(SB_CABIN_ECONOMY, day0 + 30);
    int64_t now = day0 * 86400 + 3600;
    sb_booking_seg seg = {dl, SB_CABIN_ECONOMY, -1};
    price_ctx pc = {0};
    sb_book_req req = book_req(&seg, 2, now, &pc);
    sb_book_outcome oc;
    sb_booking b = {0};
    sb_leg_avail before;
    assert_int_equal(sb_inventory_avail(inv, &dl, now, now, &before), CT_OK);
    assert_int_equal(sb_inventory_book(inv, &req, &oc, &b), CT_OK);
    assert_int_equal(oc, SB_BOOK_CREATED);
    assert_int_equal(strlen(b.id), 6);
    assert_int_equal(b.state, SB_BOOKING_HELD);
    assert_int_equal(b.seats, 2);
    assert_int_equal(b.nsegs, 1);
    assert_int_equal(b.segs[0].cls, sb_inv_pick(&before, 0, 2));
    assert_int_equal(b.amount, 1000 * (SB_NCLASSES - b.segs[0].cls));
    assert_string_equal(b.doc, "{\"pax\":[]}");
    assert_int_equal(booked_now(inv, &dl, now), 2);
    char id[12];
    snprintf(id, sizeof(id), "%s", b.id);
    sb_op_outcome op;
    assert_int_equal(sb_inventory_ticket(inv, "test", id, "pay-1", now + 60, &op, &b), CT_OK);
    assert_int_equal(op, SB_OP_DONE);
    assert_int_equal(b.state, SB_BOOKING_TICKETED);
    assert_string_equal(b.payment_ref, "pay-1");
    assert_int_equal(sb_inventory_ticket(inv, "test", id, "pay-1", now + 61, &op, &b), CT_OK);
    assert_int_equal(op, SB_OP_REPEATED);
    assert_int_equal(sb_inventory_ticket(inv, "test", id, "pay-2", now + 62, &op, &b), CT_OK);
    assert_int_equal(op, SB_OP_MISMATCH);
    /* A ticket outlives the hold's expiry. */
    assert_int_equal(booked_now(inv, &dl, now + 7200), 2);
    assert_int_equal(sb_inventory_cancel(inv, "test", id, now + 63, &op, &b), CT_OK);
    assert_int_equal(op, SB_OP_WRONG_STATE);
    /* Another provider does not see it. */
    assert_int_equal(sb_inventory_get(inv, "other", id, now, &b), CT_NOT_FOUND);
    assert_int_equal(sb_inventory_refund(inv, "test", id, now + 64, 777, &op, &b), CT_OK);
    assert_int_equal(op, SB_OP_DONE);
    assert_int_equal(b.state, SB_BOOKING_REFUNDED);
    assert_int_equal(b.refund_amount, 777);
    assert_int_equal(booked_now(inv, &dl, now + 64), 0);
    assert_int_equal(sb_inventory_refund(inv, "test", id, now + 65, 777, &op, &b), CT_OK);
    assert_int_equal(op, SB_OP_REPEATED);
    /* A hold cancelled. */
    sb_booking_clear(&b);
    assert_int_equal(sb_inventory_book(inv, &req, &oc, &b), CT_OK);
    snprintf(id, sizeof(id), "%s", b.id);
    assert_int_equal(booked_now(inv, &dl, now), 2);
    assert_int_equal(sb_inventory_cancel(inv, "test", id, now + 10, &op, &b), CT_OK);
    assert_int_equal(op, SB_OP_DONE);
    assert_int_equal(b.state, SB_BOOKING_CANCELLED);
    assert_int_equal(booked_now(inv, &dl, now + 10), 0);
    assert_int_equal(sb_inventory_cancel(inv, "test", id, now + 11, &op, &b), CT_OK);
    assert_int_equal(op, SB_OP_REPEATED);
    assert_int_equal(sb_inventory_ticket(inv, "test", id, "pay", now + 12, &op, &b), CT_OK);
    assert_int_equal(op, SB_OP_WRONG_STATE);
    assert_int_equal(sb_inventory_ticket(inv, "test", "NOSUCH", "pay", now, &op, &b), CT_NOT_FOUND);
    sb_booking_clear(&b);
    sb_inventory_close(inv);
}

static void holds_expire(void **state)
{
    (void)state;
    sb_inventory *inv = open_inv("expiry.db", 1);
    sb_dated_leg dl = find_leg(SB_CABIN_ECONOMY, day0 + 40);
    int64_t now = day0 * 86400 + 7200;
    sb_booking_seg seg = {dl, SB_CABIN_ECONOMY, -1};
    price_ctx pc = {0};
    sb_book_req req = book_req(&seg, 3, now, &pc);
    req.expires_at = now + 600;
    sb_book_outcome oc;
    sb_booking b = {0};
    int64_t seq0;
    assert_int_equal(sb_inventory_seq(inv, &seq0), CT_OK);
    assert_int_equal(sb_inventory_book(inv, &req, &oc, &b), CT_OK);
    char id[12];
    snprintf(id, sizeof(id), "%s", b.id);
    assert_int_equal(booked_now(inv, &dl, now + 599), 3);
    assert_int_equal(booked_now(inv, &dl, now + 600), 0);
    assert_int_equal(sb_inventory_get(inv, "test", id, now + 599, &b), CT_OK);
    assert_int_equal(b.state, SB_BOOKING_HELD);
    assert_int_equal(sb_inventory_get(inv, "test", id, now + 600, &b), CT_OK);
    assert_int_equal(b.state, SB_BOOKING_EXPIRED);
    sb_op_outcome op;
    assert_int_equal(sb_inventory_ticket(inv, "test", id, "late", now + 601, &op, &b), CT_OK);
    assert_int_equal(op, SB_OP_WRONG_STATE);
    assert_int_equal(b.state, SB_BOOKING_EXPIRED);
    sb_booking_clear(&b);
    sb_inventory_close(inv);
}

typedef struct seen_legs {
    sb_dated_leg dl;
    int found;
    int seats;
} seen_legs;

static void on_leg(void *ctx, const sb_dated_leg *dl)
{
    seen_legs *s = ctx;
    if (dl->flight == s->dl.flight && dl->leg == s->dl.leg && dl->day == s->dl.day)
        s->found++;
}

static void on_booked(void *ctx, const sb_dated_leg *dl, int cabin, int seats)
{
    seen_legs *s = ctx;
    if (dl->flight == s->dl.flight && dl->day == s->dl.day && cabin == SB_CABIN_ECONOMY)
        s->seats += seats;
}

static void change_log_and_ranges(void **state)
{
    (void)state;
    sb_inventory *inv = open_inv("log.db", 1);
    sb_dated_leg dl = find_leg(SB_CABIN_ECONOMY, day0 + 50);
    int64_t now = day0 * 86400;
    sb_booking_seg seg = {dl, SB_CABIN_ECONOMY, -1};
    price_ctx pc = {0};
    sb_book_req req = book_req(&seg, 4, now, &pc);
    req.expires_at = now + 900;
    sb_book_outcome oc;
    sb_booking b = {0};
    int64_t seq0, seq1;
    sb_inventory_seq(inv, &seq0);
    assert_int_equal(sb_inventory_book(inv, &req, &oc, &b), CT_OK);
    sb_inventory_seq(inv, &seq1);
    assert_int_equal(seq1, seq0 + 1);
    seen_legs s = {dl, 0, 0};
    assert_int_equal(sb_inventory_touched(inv, seq0, seq1, now, now, dl.day, dl.day, on_leg, &s),
                     CT_OK);
    assert_int_equal(s.found, 1);
    s.found = 0;
    sb_inventory_touched(inv, seq1, seq1, now, now + 100, dl.day, dl.day, on_leg, &s);
    assert_int_equal(s.found, 0); /* nothing new, nothing expired yet */
    sb_inventory_touched(inv, seq1, seq1, now + 100, now + 900, dl.day, dl.day, on_leg, &s);
    assert_int_equal(s.found, 1); /* the hold expired in the interval */
    s.found = 0;
    sb_inventory_touched(inv, seq0, seq1, now, now, dl.day + 1, dl.day + 5, on_leg, &s);
    assert_int_equal(s.found, 0); /* outside the window */
    assert_int_equal(sb_inventory_booked_range(inv, dl.day, dl.day, now, on_booked, &s), CT_OK);
    assert_int_equal(s.seats, 4);
    s.seats = 0;
    sb_inventory_booked_range(inv, dl.day, dl.day, now + 900, on_booked, &s);
    assert_int_equal(s.seats, 0);
    sb_booking_clear(&b);
    sb_inventory_close(inv);
}

static void idempotency_and_sold_out(void **state)
{
    (void)state;
    const sb_world *w = data.world;
    sb_inventory *inv = open_inv("idem.db", 1);
    sb_dated_leg dl = find_leg(SB_CABIN_ECONOMY, day0 + 20);
    int64_t now = day0 * 86400;
    sb_booking_seg seg = {dl, SB_CABIN_ECONOMY, -1};
    price_ctx pc = {0};
    sb_book_req req = book_req(&seg, 1, now, &pc);
    req.idem_key = "key-1";
    req.fingerprint = "aaa";
    sb_book_outcome oc;
    sb_booking a = {0}, b = {0};
    assert_int_equal(sb_inventory_book(inv, &req, &oc, &a), CT_OK);
    assert_int_equal(oc, SB_BOOK_CREATED);
    assert_int_equal(sb_inventory_book(inv, &req, &oc, &b), CT_OK);
    assert_int_equal(oc, SB_BOOK_REPLAYED);
    assert_string_equal(a.id, b.id);
    assert_int_equal(pc.calls, 1);
    assert_int_equal(booked_now(inv, &dl, now), 1);
    req.fingerprint = "bbb";
    sb_booking_clear(&b);
    assert_int_equal(sb_inventory_book(inv, &req, &oc, &b), CT_OK);
    assert_int_equal(oc, SB_BOOK_KEY_REUSED);
    assert_int_equal(sb_inventory_find_key(inv, "test", "key-1", "aaa", now, &oc, &b), CT_OK);
    assert_int_equal(oc, SB_BOOK_REPLAYED);
    assert_string_equal(a.id, b.id);
    assert_int_equal(sb_inventory_find_key(inv, "test", "key-2", "aaa", now, &oc, &b),
                     CT_NOT_FOUND);
    /* Keys are per provider. */
    req.provider = "other";
    sb_booking_clear(&b);
    assert_int_equal(sb_inventory_book(inv, &req, &oc, &b), CT_OK);
    assert_int_equal(oc, SB_BOOK_CREATED);
    assert_string_not_equal(a.id, b.id);
    /* Fill the cabin to fewer than 9 seats, then ask for one more than is left. */
    req.idem_key = NULL;
    req.seats = 9;
    sb_leg_avail av;
    for (;;) {
        sb_inventory_avail(inv, &dl, now, now, &av);
        if (av.remaining[0] < 9)
            break;
        sb_booking_clear(&b);
        assert_int_equal(sb_inventory_book(inv, &req, &oc, &b), CT_OK);
        assert_int_equal(oc, SB_BOOK_CREATED);
    }
    int left = av.remaining[0];
    int64_t seq0, seq1;
    sb_inventory_seq(inv, &seq0);
    req.seats = left + 1;
    assert_int_equal(sb_inventory_book(inv, &req, &oc, &b), CT_OK);
    assert_int_equal(oc, SB_BOOK_SOLD_OUT);
    sb_inventory_seq(inv, &seq1);
    assert_int_equal(seq1, seq0); /* nothing written */
    if (left > 0) {
        req.seats = left;
        sb_booking_clear(&b);
        assert_int_equal(sb_inventory_book(inv, &req, &oc, &b), CT_OK);
        assert_int_equal(oc, SB_BOOK_CREATED);
        assert_int_equal(b.segs[0].cls, 0); /* the last seats sell in Y */
    }
    req.seats = 1;
    assert_int_equal(sb_inventory_book(inv, &req, &oc, &b), CT_OK);
    assert_int_equal(oc, SB_BOOK_SOLD_OUT);
    sb_inventory_avail(inv, &dl, now, now, &av);
    assert_int_equal(av.remaining[0], 0);
    assert_int_equal(av.lowest[0], -1);
    (void)w;
    sb_booking_clear(&a);
    sb_booking_clear(&b);
    sb_inventory_close(inv);
}

static void foreign_world_refused(void **state)
{
    (void)state;
    sb_inventory *inv = open_inv("world.db", 1);
    sb_inventory_close(inv);
    sb_world other = *data.world;
    other.seed = 43;
    char path[400], err[256];
    snprintf(path, sizeof(path), "%s/world.db", tmpdir);
    assert_int_equal(sb_inventory_open(path, &other, 1, &inv, err, sizeof(err)), CT_CONFLICT);
    assert_non_null(strstr(err, "another world"));
    assert_int_equal(sb_inventory_open(path, data.world, 0, &inv, err, sizeof(err)), CT_INVALID);
}

/* ---- concurrency ---- */

static pthread_barrier_t start_line;

typedef struct racer {
    sb_inventory *inv;
    const sb_booking_seg *seg;
    int64_t now;
    int created, sold_out, failed;
} racer;

static void *race(void *arg)
{
    racer *r = arg;
    price_ctx pc = {0};
    sb_book_req req = book_req(r->seg, 1, r->now, &pc);
    sb_book_outcome oc;
    sb_booking b = {0};
    pthread_barrier_wait(&start_line); /* everyone at once */
    ct_status rc = sb_inventory_book(r->inv, &req, &oc, &b);
    if (rc)
        r->failed = 1;
    else if (oc == SB_BOOK_CREATED)
        r->created = 1;
    else if (oc == SB_BOOK_SOLD_OUT)
        r->sold_out = 1;
    sb_booking_clear(&b);
    return NULL;
}

static void concurrent_bookings_never_oversell(void **state)
{
    (void)state;
    sb_inventory *a = open_inv("race.db", 4), *b = open_inv("race.db", 4);
    sb_dated_leg dl = find_leg(SB_CABIN_ECONOMY, day0 + 70);
    int64_t now = day0 * 86400;
    sb_booking_seg seg = {dl, SB_CABIN_ECONOMY, -1};
    price_ctx pc = {0};
    sb_book_req fill = book_req(&seg, 9, now, &pc);
    fill.expires_at = now + 86400;
    sb_book_outcome oc;
    sb_booking bk = {0};
    sb_leg_avail av;
    for (;;) { /* leave 5 seats */
        sb_inventory_avail(a, &dl, now, now, &av);
        if (av.remaining[0] <= 5)
            break;
        fill.seats = av.remaining[0] - 5 > 9 ? 9 : av.remaining[0] - 5;
        assert_int_equal(sb_inventory_book(a, &fill, &oc, &bk), CT_OK);
        assert_int_equal(oc, SB_BOOK_CREATED);
        sb_booking_clear(&bk);
    }
    int left = av.remaining[0];
    assert_int_equal(left, 5);
    enum { N = 40 };
    pthread_t th[N];
    racer r[N];
    pthread_barrier_init(&start_line, NULL, N);
    for (int i = 0; i < N; i++) {
        r[i] = (racer){i % 2 ? a : b, &seg, now, 0, 0, 0};
        pthread_create(&th[i], NULL, race, &r[i]);
    }
    int created = 0, sold_out = 0;
    for (int i = 0; i < N; i++) {
        pthread_join(th[i], NULL);
        assert_int_equal(r[i].failed, 0);
        created += r[i].created;
        sold_out += r[i].sold_out;
    }
    pthread_barrier_destroy(&start_line);
    assert_int_equal(created, left);
    assert_int_equal(sold_out, N - left);
    sb_inventory_avail(b, &dl, now, now, &av);
    assert_int_equal(av.remaining[0], 0);
    sb_inventory_close(a);
    sb_inventory_close(b);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(background_market),
        cmocka_unit_test(released_seats_reopen_classes),
        cmocka_unit_test(nested_limits_and_advance_purchase),
        cmocka_unit_test(four_cabins_where_the_aircraft_has_them),
        cmocka_unit_test(lowest_class_rises_as_seats_sell),
        cmocka_unit_test(far_ahead_prices_follow_demand),
        cmocka_unit_test(sales_lower_prices_for_a_while),
        cmocka_unit_test(book_ticket_cancel_refund),
        cmocka_unit_test(holds_expire),
        cmocka_unit_test(change_log_and_ranges),
        cmocka_unit_test(idempotency_and_sold_out),
        cmocka_unit_test(foreign_world_refused),
        cmocka_unit_test(concurrent_bookings_never_oversell),
    };
    return cmocka_run_group_tests(tests, setup, teardown);
}
