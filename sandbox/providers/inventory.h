/* inventory.h: seats per dated leg, nested booking limits, the background market, and the
 * holds and tickets every provider process shares through one SQLite file.
 *
 * A dated leg is (flight pattern, leg, flight date); the flight date is the first leg's local
 * departure date, as in SSIM. Its cabins hold the aircraft's seats (sb_aircraft): economy,
 * premium economy, business and first (none in a cabin the aircraft does not have). At world
 * instant t,
 *
 *     remaining(cabin, t) = capacity - background(t) + released(t) - active holds - tickets
 *                                                                          (never < 0)
 *
 * The background market is the rest of the world buying seats: a pure function of the
 * flight, its date, the cabin, t and the world seed, so availability moves by itself and
 * nothing needs to store 18 million dated legs. Booking opens 330 days before departure;
 * with x the elapsed share of that window, background(t) = floor(capacity x lf x x^p), where
 * the final load factor lf (economy 0.62..1.02, premium economy 0.45..1.00, business
 * 0.35..0.95, first 0.20..0.85, capped at 1: about one
 * economy cabin in twenty sells out) and the curve exponent p (1.3..3.0: most seats sell
 * late) are drawn per dated leg and cabin. released(t) (sb_inv_released) gives some of those
 * seats back for a few days on about a third of dated legs and cabins (cancellations, a
 * group's unused allotment), so a cheaper class can reopen for a while.
 *
 * Nested booking limits (the ladder; class order and prices in fares.h):
 *
 *     class               Y   B   M   H   Q   V  |  J   C  |  W   E  |  F   A
 *     protected share %   0   5  12  22  35  50  |  0  30  |  0  30  |  0  30
 *                                                        (before the demand shift)
 *     advance purchase    0   0   3   7  14  21  |  0   7  |  0   7  |  0  14
 *                                                        (days before departure)
 *
 * A class sells n seats while remaining - ceil(capacity x protected share) >= n and
 * departure is at least its advance purchase away; every class closes 60 minutes before
 * departure. Below the cabin's top class the protected shares are shifted by the dated
 * leg's demand (sb_inv_shift, percentage points, the same for every class of the cabin):
 * revenue management opens fewer cheap seats on the days travellers want, so even a year
 * ahead, with nothing sold, a busy Friday in August starts dearer than a quiet Tuesday in
 * February, and routes differ. The demand (sb_inv_demand) is day of week (Fridays and
 * Sundays high, Tuesdays and Wednesdays low) + the route's leisure swing x the season
 * (summer: late July north, early January when both ends lie south of 10 S; Christmas to
 * New Year; a spring bump; low in winter) + the route's own level + a per-dated-leg wiggle;
 * shift = 20 + 45 x demand clamped to [0, SB_INV_SHIFT_MAX] (half in business), less
 * SB_INV_SALE_PCT during a sale (so never below -SB_INV_SALE_PCT). Sales (sb_inv_on_sale): in about
 * one week in four (SB_INV_SALE_SHARE) a carrier runs a sale of 3 to 6 days starting on one of its
 * first four days, on half its markets (drawn per sale), for departures 14 to 120 days after it
 * starts: cheaper classes reopen while it lasts and close again after, so prices fall and
 * rise back as real ones do.
 *
 * Because the protected shares grow down the ladder, seats sold in any class close the
 * cheapest classes first, so the lowest available price of a leg rises as seats sell and as
 * departure nears (and falls back while released seats or a sale reopen a class), and a
 * booking made through any provider moves it like any other sale.
 *
 * Holds and tickets live in the SQLite file every provider process opens (--inventory):
 * table sb_booking (one row per order), sb_booking_leg (its seats per dated leg, state H
 * held / T ticketed / X released, with the hold's expiry copied for fast sums) and sb_change
 * (a log of dated legs whose seats changed, for incremental feeds). Every write runs in one
 * BEGIN IMMEDIATE transaction that re-reads availability, so concurrent orders through any
 * number of processes never oversell. A hold stops counting at its expiry instant; nothing
 * needs to sweep it. */
#ifndef CT_SANDBOX_INVENTORY_H
#define CT_SANDBOX_INVENTORY_H

#include <stddef.h>
#include <stdint.h>

#include "base/status.h"
#include "sandbox/providers/fares.h"
#include "sandbox/world/world.h"

#define SB_INV_MAX_SEGS    8 /* dated legs in one booking (2 slices x 4 legs) */
#define SB_INV_CUTOFF_SEC  3600
#define SB_INV_WINDOW_DAYS 330
#define SB_INV_MAX_SEATS   9 /* passengers in one booking */

typedef struct sb_dated_leg {
    int flight;  /* index into world->flights */
    int leg;     /* 0-based leg of the flight */
    int64_t day; /* flight date (days since 1970) */
} sb_dated_leg;

/* ---- the pure model ---- */

/* Seats of a cabin on the flight's aircraft. */
int sb_inv_capacity(const sb_world *w, int flight, int cabin);

/* Seats the background market has sold in a cabin of dated leg `dl` (departing at dep_utc)
 * by world instant t. Non-decreasing in t; at most the capacity. */
int sb_inv_background(const sb_world *w, const sb_dated_leg *dl, int cabin, int64_t dep_utc,
                      int64_t t);

/* Seats of those the background market sold that come back for a while (a group's unused
 * allotment, cancellations): on a share SB_INV_RELEASE_SHARE of dated legs and cabins (drawn
 * from the seed), between 6 % and 20 % of the cabin (at most what was sold) return at a
 * group's release date (45 or 30 days before departure, up to two days early) and are sold
 * again within 1 to 6 days. A cheaper class may reopen in that window, so the lowest price of a leg
 * can fall for a few days, as real fares sometimes do. 0 outside the window. */
#define SB_INV_RELEASE_SHARE 0.35
int sb_inv_released(const sb_world *w, const sb_dated_leg *dl, int cabin, int64_t dep_utc,
                    int64_t t);

/* Demand of a dated leg (see the file comment), about -1 (a quiet Tuesday in February) to
 * 2 (a Friday before Christmas on a leisure route); a pure function of the world. */
double sb_inv_demand(const sb_world *w, const sb_dated_leg *dl);

/* 1 when the leg's carrier has a sale on the leg's market at world instant t that covers a
 * departure at dep_utc. */
#define SB_INV_SALE_SHARE 0.25
#define SB_INV_SALE_PCT   30
int sb_inv_on_sale(const sb_world *w, const sb_dated_leg *dl, int64_t dep_utc, int64_t t);

/* The shift of the protected shares of a cabin's classes below its top one, percentage
 * points, at world instant t (demand, and a sale then): -30 to 70. */
#define SB_INV_SHIFT_MAX 70
int sb_inv_shift(const sb_world *w, const sb_dated_leg *dl, int cabin, int64_t dep_utc, int64_t t);

typedef struct sb_leg_avail {
    int64_t dep_utc, arr_utc;
    int capacity[SB_NCABINS];
    int remaining[SB_NCABINS];
    int shift[SB_NCABINS];  /* sb_inv_shift at the market instant */
    int seats[SB_NCLASSES]; /* seats each class can sell now (nested limits applied) */
    int lowest[SB_NCABINS]; /* cheapest class selling at least one seat, or -1 */
} sb_leg_avail;

/* The state of dated leg `dl` given `booked[cabin]` seats held or ticketed: background sales
 * as of t_market, limits and cut-off as of t_now (they differ only for a seller showing a
 * cached view of the market). CT_INVALID when the flight does not operate on dl->day. */
ct_status sb_inv_state(const sb_world *w, const sb_dated_leg *dl, const int booked[SB_NCABINS],
                       int64_t t_market, int64_t t_now, sb_leg_avail *out);

/* The cheapest class of `cabin` that can sell `seats` seats, or -1 when sold out (not an
 * error). */
int sb_inv_pick(const sb_leg_avail *a, int cabin, int seats);

/* The availability string: every class letter followed by its seats capped at 9, e.g.
 * "Y9B9M4H0Q0V0J2C0W3E0F0A0" (buf of at least 25 bytes). */
void sb_inv_avs(const sb_leg_avail *a, char *buf, size_t len);

/* The pattern of carrier c with flight number `number` operating on flight date `day`, or
 * -1 when there is none (not an error). Scans the carrier's patterns (a few thousand at most). */
int sb_inv_find_flight(const sb_world *w, int carrier, int number, int64_t day);

/* ---- the shared store ---- */

typedef struct sb_inventory sb_inventory;

/* Opens (creating when missing) the SQLite file at `path` with a pool of `connections`
 * connections (1..64) for concurrent callers, and creates the tables if needed. `w` is
 * borrowed. On failure writes err. The caller owns *out (sb_inventory_close). Thread-safe:
 * every function below may be called from any thread. */
ct_status sb_inventory_open(const char *path, const sb_world *w, int connections,
                            sb_inventory **out, char *err, size_t errlen);
void sb_inventory_close(sb_inventory *inv);

/* Seats held (unexpired at `now`) or ticketed on a dated leg, per cabin. */
ct_status sb_inventory_booked(sb_inventory *inv, const sb_dated_leg *dl, int64_t now,
                              int booked[SB_NCABINS]);

/* sb_inv_state with the booked seats read from the store. */
ct_status sb_inventory_avail(sb_inventory *inv, const sb_dated_leg *dl, int64_t t_market,
                             int64_t now, sb_leg_avail *out);

/* Calls fn for every dated leg with flight date in [day0, day1] and seats held (unexpired at
 * `now`) or ticketed: once per leg and cabin with the number of seats. */
typedef void (*sb_booked_fn)(void *ctx, const sb_dated_leg *dl, int cabin, int seats);
ct_status sb_inventory_booked_range(sb_inventory *inv, int64_t day0, int64_t day1, int64_t now,
                                    sb_booked_fn fn, void *ctx);

/* The last sequence number of the change log (0 when empty). */
ct_status sb_inventory_seq(sb_inventory *inv, int64_t *seq);

/* Calls fn for every dated leg with flight date in [day0, day1] whose seats changed after
 * change seq0 up to seq1, or whose hold expired in (t0, t1]. A leg may be reported more
 * than once. */
typedef void (*sb_leg_fn)(void *ctx, const sb_dated_leg *dl);
ct_status sb_inventory_touched(sb_inventory *inv, int64_t seq0, int64_t seq1, int64_t t0,
                               int64_t t1, int64_t day0, int64_t day1, sb_leg_fn fn, void *ctx);

/* ---- bookings ---- */

typedef enum sb_booking_state {
    SB_BOOKING_HELD,
    SB_BOOKING_EXPIRED, /* a hold past its expiry: derived when read, never stored */
    SB_BOOKING_TICKETED,
    SB_BOOKING_CANCELLED,
    SB_BOOKING_REFUNDED,
} sb_booking_state;

/* "held", "expired", "ticketed", "cancelled", "refunded". */
const char *sb_booking_state_name(sb_booking_state s);

typedef struct sb_booking_seg {
    sb_dated_leg dl;
    int cabin;
    int cls; /* booking class chosen at booking time */
} sb_booking_seg;

typedef struct sb_booking {
    char id[12];       /* six-character record locator */
    char provider[32]; /* the provider that made it; others do not see it */
    sb_booking_state state;
    int seats;
    char currency[4];
    int64_t amount;       /* total price, minor units */
    int64_t offer_amount; /* the offer's total it was made from */
    int64_t refund_amount;
    int64_t created_at, expires_at, ticketed_at; /* world instants; ticketed_at 0 if not */
    char payment_ref[96];
    int nsegs;
    sb_booking_seg segs[SB_INV_MAX_SEGS];
    char *doc; /* the provider's JSON document (passengers, itinerary); owned, may be NULL */
} sb_booking;

/* Frees b->doc and zeroes b. */
void sb_booking_clear(sb_booking *b);

/* Called inside the booking transaction once the classes are chosen (segs[i].cls set): sets
 * the total amount and a JSON document to store (ct_malloc'd; the inventory frees it). */
typedef ct_status (*sb_price_fn)(void *ctx, const sb_booking_seg *segs, int nsegs, int64_t *amount,
                                 char **doc);

typedef struct sb_book_req {
    const char *provider;
    const char *idem_key;       /* NULL: no idempotency */
    const char *fingerprint;    /* digest of the request; compared for a repeated key */
    const sb_booking_seg *segs; /* dated legs and cabins (cls ignored) */
    int nsegs;
    int seats;
    int64_t now, expires_at;
    const char *currency;
    int64_t offer_amount;
    sb_price_fn price;
    void *price_ctx;
} sb_book_req;

typedef enum sb_book_outcome {
    SB_BOOK_CREATED,   /* a new hold; *out is the booking */
    SB_BOOK_REPLAYED,  /* same key and fingerprint as an earlier request; *out is that booking */
    SB_BOOK_SOLD_OUT,  /* some leg has no class with enough seats; nothing written */
    SB_BOOK_KEY_REUSED /* same key, different fingerprint; nothing written */
} sb_book_outcome;

/* Holds req->seats seats on every leg, each in the cheapest class that can sell them now,
 * in one transaction; the hold expires at req->expires_at. CT_OK with *outcome set, or an
 * error status (store failure, or the price function's). *out must be zeroed or cleared;
 * the caller clears it afterwards. */
ct_status sb_inventory_book(sb_inventory *inv, const sb_book_req *req, sb_book_outcome *outcome,
                            sb_booking *out);

/* The booking `provider` made with idempotency key `idem_key`: CT_OK with *outcome
 * SB_BOOK_REPLAYED (same fingerprint; *out is the booking) or SB_BOOK_KEY_REUSED (*out
 * untouched), or CT_NOT_FOUND when the key is new. Read-only: sb_inventory_book checks again
 * inside its transaction. */
ct_status sb_inventory_find_key(sb_inventory *inv, const char *provider, const char *idem_key,
                                const char *fingerprint, int64_t now, sb_book_outcome *outcome,
                                sb_booking *out);

/* Reads booking `id` of `provider` (state as of `now`). CT_NOT_FOUND when absent. */
ct_status sb_inventory_get(sb_inventory *inv, const char *provider, const char *id, int64_t now,
                           sb_booking *out);

typedef enum sb_op_outcome {
    SB_OP_DONE,        /* the change was made */
    SB_OP_REPEATED,    /* it had already been made with the same input: nothing changed */
    SB_OP_WRONG_STATE, /* not allowed from the booking's state (see out->state) */
    SB_OP_MISMATCH,    /* already ticketed with another payment reference */
} sb_op_outcome;

/* Ticketing: an unexpired hold becomes ticketed with `payment_ref`. */
ct_status sb_inventory_ticket(sb_inventory *inv, const char *provider, const char *id,
                              const char *payment_ref, int64_t now, sb_op_outcome *outcome,
                              sb_booking *out);

/* Cancelling: a hold (expired or not) is released. A ticketed booking is WRONG_STATE
 * (refund it). */
ct_status sb_inventory_cancel(sb_inventory *inv, const char *provider, const char *id, int64_t now,
                              sb_op_outcome *outcome, sb_booking *out);

/* Refunding: a ticketed booking is released and records `refund_amount`. */
ct_status sb_inventory_refund(sb_inventory *inv, const char *provider, const char *id, int64_t now,
                              int64_t refund_amount, sb_op_outcome *outcome, sb_booking *out);

#endif
