/* pricebook.h: what each provider sells and at what price, in memory, for the search engine.
 *
 * The platform learns prices only from provider feeds (ingest/): a fares feed (per market:
 * carrier, origin, destination, an amount per booking class) and an availability feed (per
 * dated leg: seats per class, capped at 9), plus each provider's description (kind,
 * currency, per-passenger fee, carriers sold, alliances) and reference exchange rates. The
 * pricebook keeps them in the shapes the engine reads:
 *
 *   - a market table built from the timetable: every (carrier, origin, destination) that has
 *     a leg gets a market id, and market[leg] maps each dated leg to it;
 *   - per provider, amount[market][class] in the provider's minor units (-1: not filed);
 *   - per provider, the seats of every dated leg of a carrier it sells: the economy and
 *     business classes' eight 4-bit seat counts packed in one 32-bit word (class c in bits
 *     4c..4c+3), CT_SEATS_UNKNOWN until the feed lists the leg. Only legs of sold carriers
 *     have a word (a bitmap over the legs with a rank per 64 legs finds it), so an airline
 *     selling one alliance costs a fraction of a combiner selling everything. The premium
 *     economy and first classes' four counts are a 16-bit word in a second such table that
 *     holds only the legs whose aircraft has one of those cabins (the timetable's seats_w
 *     and seats_f: a few wide-bodies, so the four cabins cost little more than two);
 *   - carrier alliances (cooperation: same carrier, or both in one alliance), the carriers
 *     each provider sells, and units per USD for each currency.
 *
 * Concurrency (readers never block, never see a half-applied update): the descriptive part
 * (providers, carriers sold, alliances, fares, rates) is an immutable snapshot, replaced as a
 * whole by writers (copy, change, publish with one atomic pointer store) and reference
 * counted by readers (ct_pricebook_acquire / ct_pricebook_release). A dated leg's seats are
 * one 32-bit word written and read atomically: the unit of an availability update is a dated
 * leg and cabin, whose class counts always come from one feed record. Writers are
 * serialised by a mutex; readers take no lock.
 *
 * Booking classes are indexed 0..11 as Y B M H Q V (economy, dearest first), J C (business),
 * W E (premium economy) and F A (first): the first eight keep the indices they had when
 * there were two cabins (saved pricebooks, stored observations). */
#ifndef CT_FARES_PRICEBOOK_H
#define CT_FARES_PRICEBOOK_H

#include <stddef.h>
#include <stdint.h>

#include "base/status.h"
#include "timetable/timetable.h"

#define CT_NCLASSES      12
#define CT_NCABINS       4
#define CT_NBOUND_CABINS 2 /* cabins with a leg-bound table (economy, business) */
#define CT_MAX_PROVIDERS 16
#define CT_SEATS_UNKNOWN 0xffffffffu
#define CT_AMOUNT_NONE   (-1)
#define CT_MCT_SELF_XFER 120 /* minutes at a change between carriers that do not cooperate */

/* Cabins, numbered as stored (economy and business first, as before the other two). */
typedef enum ct_cabin {
    CT_CABIN_ECONOMY = 0,
    CT_CABIN_BUSINESS = 1,
    CT_CABIN_PREMIUM = 2, /* premium economy */
    CT_CABIN_FIRST = 3,
} ct_cabin;

/* "economy", "business", "premium_economy", "first" (the API's words), and back: 0 with
 * *out set, -1 when the name is none. */
const char *ct_cabin_name(ct_cabin c);
int ct_cabin_parse(const char *name, ct_cabin *out);
/* The classes of a cabin: *lo .. *hi (indices, dearest first). */
void ct_cabin_classes(ct_cabin c, int *lo, int *hi);

/* 1 when the leg's aircraft has seats in the cabin (its SSIM configuration). */
static inline int ct_leg_has_cabin(const ct_leg *l, ct_cabin c)
{
    switch (c) {
    case CT_CABIN_BUSINESS:
        return l->seats_j > 0;
    case CT_CABIN_PREMIUM:
        return l->seats_w > 0;
    case CT_CABIN_FIRST:
        return l->seats_f > 0;
    default:
        return l->seats_y > 0;
    }
}

typedef enum ct_provider_kind {
    CT_PROVIDER_AIRLINE = 0,  /* sells one-ticket slices of its carriers; return discount */
    CT_PROVIDER_AGENCY = 1,   /* same rules, its own currency, fee and markups */
    CT_PROVIDER_COMBINER = 2, /* sells only slices with a self-transfer, as separate tickets */
} ct_provider_kind;

typedef struct ct_provider_desc {
    char name[32]; /* e.g. "airline-1" */
    ct_provider_kind kind;
    char currency[4];          /* ISO 4217 */
    int minor_digits;          /* ISO 4217: 0 (JPY), 2 or 3 (KWD) */
    int64_t fee_minor;         /* per passenger, in the provider's minor units */
    int min_self_transfer_min; /* combiner: minutes at a self-transfer (0: CT_MCT_SELF_XFER) */
} ct_provider_desc;

/* Class index (0..7) of a booking class letter, or -1 when it is none (not an error). */
int ct_class_index(char rbd);
/* The letter of class index c. */
char ct_class_letter(int c);
/* Cabin of class index c. */
ct_cabin ct_class_cabin(int c);
/* Seats of class c in a packed word (ct_pb_cabin_seats: class c in bits 4c..4c+3). */
static inline int ct_seats_of(uint64_t word, int c)
{
    return (int)((word >> (4 * c)) & 0xf);
}
/* Packs twelve seat counts (each capped at 15): classes 0..7 in the low 32 bits, 8..11 in
 * bits 32..47. */
uint64_t ct_seats_pack(const int seats[CT_NCLASSES]);

typedef struct ct_pricebook ct_pricebook;

/* ---- the immutable snapshot readers use ---- */

typedef struct ct_pb_provider {
    ct_provider_desc desc;
    uint8_t *sells;                 /* per timetable carrier: 1 when sold */
    int32_t (*amount)[CT_NCLASSES]; /* per market; NULL until a fares record arrives */
    size_t nmarkets;
} ct_pb_provider;

typedef struct ct_pb_snapshot {
    int nproviders;
    ct_pb_provider providers[CT_MAX_PROVIDERS];
    uint8_t *alliance;   /* per timetable carrier: 0 none, else an alliance id */
    double usd_rate[64]; /* units per USD, by ct_pb_currency_id; 0 = unknown */
    char currencies[64][4];
    int ncurrencies;
    int64_t rates_day; /* days since 1970 of the rates (0 = base/unknown) */
    uint64_t version;  /* increases with every publish */
    /* private: readers that released it (see pricebook.c, split reference counts) */
    int64_t released;
} ct_pb_snapshot;

/* A provider's seat words: legs[i] is sold when bit i of `sold` is set; its word is then
 * words[rank[i / 64] + (set bits of sold[i / 64] below i)]. Immutable but for the words. */
typedef struct ct_pb_seat_table {
    uint64_t *sold;
    uint32_t *rank;
    uint32_t *words; /* atomic */
    size_t nwords;
    /* The same over the sold legs whose aircraft has premium economy or first seats: the
     * four counts of classes 8..11 (bits 4(c-8)..), 0 until the feed lists the leg. */
    uint64_t *hi_sold;
    uint32_t *hi_rank;
    uint16_t *hi_words; /* atomic */
    size_t nhi;
} ct_pb_seat_table;

/* The view a search holds: the snapshot plus the live seat tables and market map. */
typedef struct ct_pb_view {
    const ct_timetable *tt;
    const ct_pb_snapshot *snap;
    const uint32_t *market;                          /* per leg index */
    const ct_pb_seat_table *seats[CT_MAX_PROVIDERS]; /* per provider, or NULL */
    size_t nmarkets;
    /* Per dated leg and cabin, a lower bound of what any provider asks one passenger
     * (ct_pb_bound_decode; see "Leg bounds" below); valid only between ct_pb_bounds_begin
     * and a ct_pb_bounds_check that succeeds. */
    const uint16_t *leg_bound[CT_NCABINS]; /* NULL for premium economy and first */
    const ct_pricebook *pb;
} ct_pb_view;

/* ---- lifetime ---- */

/* A pricebook over `tt` (borrowed; must outlive the pricebook). */
ct_status ct_pricebook_new(const ct_timetable *tt, ct_pricebook **out);
void ct_pricebook_free(ct_pricebook *pb);
const ct_timetable *ct_pricebook_timetable(const ct_pricebook *pb);

/* Readers: a consistent view, then release it (never blocks). */
void ct_pricebook_acquire(ct_pricebook *pb, ct_pb_view *view);
void ct_pricebook_release(ct_pricebook *pb, ct_pb_view *view);

/* Seats word of provider p on leg index i (atomic load); CT_SEATS_UNKNOWN when it has none. */
static inline uint32_t ct_pb_seats(const ct_pb_view *v, int p, size_t leg)
{
    const ct_pb_seat_table *t = v->seats[p];
    if (t == NULL)
        return CT_SEATS_UNKNOWN;
    uint64_t w = t->sold[leg >> 6], bit = (uint64_t)1 << (leg & 63);
    if (!(w & bit))
        return CT_SEATS_UNKNOWN;
    size_t slot = t->rank[leg >> 6] + (size_t)__builtin_popcountll(w & (bit - 1));
    return __atomic_load_n(&t->words[slot], __ATOMIC_RELAXED);
}

/* The seats of classes 8..11 (premium economy and first) of provider p on leg index i, in
 * the low 16 bits; 0 when the leg's aircraft has neither cabin or the provider has no
 * word for it. */
static inline uint32_t ct_pb_seats_hi(const ct_pb_view *v, int p, size_t leg)
{
    const ct_pb_seat_table *t = v->seats[p];
    if (t == NULL || t->hi_sold == NULL)
        return 0;
    uint64_t w = t->hi_sold[leg >> 6], bit = (uint64_t)1 << (leg & 63);
    if (!(w & bit))
        return 0;
    size_t slot = t->hi_rank[leg >> 6] + (size_t)__builtin_popcountll(w & (bit - 1));
    return __atomic_load_n(&t->hi_words[slot], __ATOMIC_RELAXED);
}

/* The seats a query in `cabin` reads: ct_pb_seats (CT_SEATS_UNKNOWN when the provider has
 * no word for the leg), with classes 8..11 in bits 32..47 for premium economy and first,
 * so that ct_seats_of(word, c) holds for every class of the cabin. */
static inline uint64_t ct_pb_cabin_seats(const ct_pb_view *v, int p, size_t leg, int cabin)
{
    uint32_t lo = ct_pb_seats(v, p, leg);
    if (cabin < CT_NBOUND_CABINS || lo == CT_SEATS_UNKNOWN)
        return lo;
    return lo | (uint64_t)ct_pb_seats_hi(v, p, leg) << 32;
}

/* ---- leg bounds ----
 *
 * (Economy and business only: a bound table for the two rarer cabins would cost 2 bytes a
 * dated leg each, most of it for aircraft without them; their queries take the per-query
 * path below.)
 *
 * Why: a search prunes partial itineraries by a lower bound of their price, and reading a
 * leg's lowest amount from every provider's seat table and fares (five tables, a bitmap rank
 * each) for every leg a query meets cost most of the search's time. So the pricebook keeps,
 * per dated leg and cabin, the lowest amount any provider asks for one seat in any class of
 * the cabin that has a seat (a bound for every passenger count and class rule), converted
 * to US cents through each provider's rate and encoded in 16 bits rounded down (11 bits of
 * mantissa and a 5-bit exponent: at most 0.1 % low; CT_PB_BOUND_NONE when nobody has a
 * price). Writers keep the table in step: a changed seat word recomputes its leg at once; a
 * published snapshot recomputes the legs of the markets whose amounts changed, or every leg
 * when providers, carriers sold or rates changed.
 *
 * Readers check that what they read belongs to one state, as a sequence lock does: every
 * writer's change makes a counter odd, writes, then makes it even; the table also records
 * the snapshot version it was computed for. ct_pb_bounds_begin returns a token (0 when a
 * write is in progress or the table is not for the view's snapshot); after reading,
 * ct_pb_bounds_check says whether no write happened since. A search whose check fails is
 * run again without the table (the per-query path, which reads the seat words themselves);
 * nothing is ever blocked. */
#define CT_PB_BOUND_NONE 0xffffu

/* The value of an encoded bound, in US cents (INFINITY for CT_PB_BOUND_NONE). */
static inline double ct_pb_bound_decode(uint16_t code)
{
    if (code == CT_PB_BOUND_NONE)
        return __builtin_inf();
    return (double)((uint64_t)(code & 2047u) << (code >> 11));
}
/* The largest code whose value is <= v (v >= 0; INFINITY gives CT_PB_BOUND_NONE). */
uint16_t ct_pb_bound_encode(double v);
uint64_t ct_pb_bounds_begin(const ct_pb_view *v);
int ct_pb_bounds_check(const ct_pb_view *v, uint64_t token);
/* Encoded bound of leg index i in a cabin below CT_NBOUND_CABINS (relaxed atomic load). */
static inline uint16_t ct_pb_leg_bound(const ct_pb_view *v, int cabin, size_t i)
{
    return __atomic_load_n(&v->leg_bound[cabin][i], __ATOMIC_RELAXED);
}

/* A number that changes with every change readers can see (a published snapshot, a seat
 * word): caches of answers compare it. */
uint64_t ct_pricebook_generation(const ct_pricebook *pb);

/* Bytes the seat tables take (all providers). */
size_t ct_pricebook_seat_bytes(const ct_pricebook *pb);

/* ---- writers: every call below happens between begin and commit ---- */

/* Begins a batch (takes the writers' mutex): snapshot changes become visible together at
 * ct_pricebook_commit; seat words are visible at once. */
void ct_pricebook_begin(ct_pricebook *pb);
ct_status ct_pricebook_commit(ct_pricebook *pb);

/* Registers or updates a provider by name; *id receives its index. */
ct_status ct_pricebook_provider(ct_pricebook *pb, const ct_provider_desc *d, int *id);
/* Replaces the carriers provider `id` sells (designators; unknown ones are ignored). When
 * the set changes, the provider's seat table is rebuilt for the new set (words of legs in
 * both kept) and published at once; the old table lives until the pricebook is freed. */
ct_status ct_pricebook_set_sold(ct_pricebook *pb, int id, const char (*carriers)[4], size_t n);
/* Sets a carrier's alliance by name ("star", "sky", ... any string; NULL/"" = none). */
ct_status ct_pricebook_set_alliance(ct_pricebook *pb, const char *carrier, const char *alliance);
/* Units per USD of a currency, and the day the table is for. */
ct_status ct_pricebook_set_rate(ct_pricebook *pb, const char *currency, double per_usd);
void ct_pricebook_set_rates_day(ct_pricebook *pb, int64_t day);

/* One market's per-class one-way amounts (minor units of the provider's currency;
 * CT_AMOUNT_NONE where a class is not filed). A market without legs in the timetable is
 * ignored (*known = 0). */
ct_status ct_pricebook_put_fare(ct_pricebook *pb, int id, const char *carrier, const char *origin,
                                const char *dest, const int32_t amount[CT_NCLASSES], int *known);

/* One dated leg's seats per class, identified by carrier, flight number, origin and UTC
 * departure (minutes since 1970). Written at once (atomic), batch or not. *known = 0 when
 * the timetable has no such leg; *changed = 1 when the word differs from before. */
ct_status ct_pricebook_put_seats(ct_pricebook *pb, int id, const char *carrier, int number,
                                 const char *origin, int32_t dep_utc_min,
                                 const int seats[CT_NCLASSES], int *known, int *changed);

/* Alliance ids (1..255) by name and back; 0 / NULL when unknown. */
int ct_pricebook_alliance_id(const char *name);
const char *ct_pricebook_alliance_name(int id);

/* Index of a currency in the snapshot's table, or -1 when absent (not an error). */
int ct_pb_currency_id(const ct_pb_snapshot *s, const char *code);

/* ---- the pricebook file (pricebook_file.c) ----
 *
 * A restart serves prices at once from the file the last run saved, instead of waiting for
 * a full feed sync. The file holds the published snapshot (providers' descriptions,
 * carriers sold, alliances by name, rates and their day, every provider's amounts per
 * market) and each provider's seat words, behind a checked header: magic, format version,
 * byte order, the file's length, the identity of the timetable it was made over
 * (ct_timetable_identity: leg indices and market ids are only valid for the same dated
 * legs) and a BLAKE2b hash of the whole file. */

/* Writes the published state of pb to `path` atomically (`path`.tmp.PID, fsync, rename,
 * fsync of the folder, which is created when missing). Runs under the writers' mutex, so the
 * file is one consistent state between batches; readers are not blocked. CT_IO on a
 * file-system error (the old file, if any, is left as it was), CT_NOMEM. */
ct_status ct_pricebook_save(ct_pricebook *pb, const char *path);

/* Fills a pricebook that has no providers yet from `path`. *loaded (may be NULL) is 1 when
 * it did. CT_NOT_FOUND: no file; CT_INVALID: the file is not a pricebook file of this format
 * version and byte order, is truncated or damaged; CT_CONFLICT: it was made over another
 * timetable, or pb already has providers; CT_IO, CT_NOMEM. On any failure pb is left as it
 * was (empty) and nothing is published; never crashes on a bad file. */
ct_status ct_pricebook_load(ct_pricebook *pb, const char *path, int *loaded);

/* ---- the journal (journal.c): the pricebook's changes for other instances ----
 *
 * In cluster mode one instance ingests the feeds (the leaseholder, app/cluster.h) and every
 * other one replays its changes into its own pricebook. While journalling is on, every writer
 * call of a committed batch appends one record to the journal: providers' descriptions,
 * carriers sold, alliances, rates and their day, every fare put and every seat word that
 * changed (an unchanged word is not a change). A batch's records join the journal at its
 * commit, so a taken journal always ends between batches. Records name things as the feeds
 * do (provider by name, carrier, flight number, airports, UTC departure), never by index, so
 * they replay into a pricebook over another timetable window (a leg it lacks is skipped, as
 * in ingestion). Format: "CTJ1", a byte-order mark, CT_NCLASSES; then records of a type byte
 * and fixed fields in the host's byte order (journal.c). */

/* Starts journalling (records kept until taken, up to cap_bytes; beyond that the journal is
 * marked lost: see ct_pricebook_journal_take). Restarting empties it. CT_NOMEM. */
ct_status ct_pricebook_journal_start(ct_pricebook *pb, size_t cap_bytes);
/* Stops journalling and drops what was not taken. */
void ct_pricebook_journal_stop(ct_pricebook *pb);
/* Hands over the journal's oldest records, whole ones of at most about max_bytes (at least
 * one): *data (the caller frees it with ct_free) of *len bytes holding *records records; what
 * is left stays for the next take (it names its provider again). CT_NOT_FOUND when there is
 * nothing to take; CT_ERR when records were lost since the last take (the cap was reached:
 * what is returned is incomplete; the caller must resynchronise its followers, e.g. with a
 * dump); CT_INVALID when not started. */
ct_status ct_pricebook_journal_take(ct_pricebook *pb, size_t max_bytes, uint8_t **data, size_t *len,
                                    size_t *records);
/* Appends the whole published state to the journal, as if every provider, carrier sold,
 * alliance, rate, fare and known seat word had just been put: replayed into an empty
 * pricebook over the same timetable it gives the same state. CT_INVALID when not started,
 * CT_ERR when it does not fit the cap (the journal is then marked lost). */
ct_status ct_pricebook_journal_dump(ct_pricebook *pb);
/* Replays a journal taken from another pricebook into pb, in one batch (not journalled
 * here). The whole journal is checked first: CT_INVALID for a damaged, truncated or
 * foreign-format one, and nothing is applied. *records (may be NULL) gets how many records it
 * held, *unknown (may be NULL) how many named a leg, market or provider pb does not have. */
ct_status ct_pricebook_journal_apply(ct_pricebook *pb, const uint8_t *data, size_t len,
                                     size_t *records, size_t *unknown);

#endif
