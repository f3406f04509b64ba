/* pricebook.c: the provider feeds in memory (see pricebook.h).
 *
 * Markets: a small open-addressing table from (carrier, origin, destination) to a market id,
 * built once from the timetable (ct_map is string-keyed; this key is three integers and the
 * table is probed for every fares record, so it is written here).
 *
 * Snapshot publication uses split reference counts: the current snapshot is named by one
 * 64-bit word (slot << 32 | acquisitions). A reader acquires with one fetch-and-add on that
 * word (reading the slot and counting itself in one step) and releases by decrementing the
 * snapshot's own `released` balance. A writer that replaces the word adds the old word's
 * acquisition count to the old snapshot's balance; whoever brings the balance to zero (the
 * writer, or the last reader) frees it. Readers never wait. */
#include "fares/pricebook.h"

#include <pthread.h>
#include <stdatomic.h>
#include <stddef.h>
#include <stdio.h>
#include <string.h>

#include "base/alloc.h"
#include "fares/pricebook_internal.h"

#define SLOTS 64

struct ct_pricebook {
    const ct_timetable *tt;
    uint32_t *market; /* per leg */
    size_t nmarkets;
    uint64_t *mkeys; /* hash table: key + 1 (0 = empty) */
    uint32_t *mvals;
    size_t mcap;
    int16_t carrier_of[37 * 37]; /* designator -> timetable carrier index, -1 */
    ct_pb_seat_table *_Atomic seats[CT_MAX_PROVIDERS];
    ct_pb_seat_table *retired[64]; /* replaced tables, freed with the pricebook */
    int nretired;
    pthread_mutex_t mu;
    _Atomic uint64_t cur;
    ct_pb_snapshot *_Atomic slot[SLOTS];
    ct_pb_snapshot *pending; /* the copy a batch changes, or NULL */
    uint64_t version;
    int seats_changed;           /* in this batch (writers only) */
    _Atomic uint64_t generation; /* every visible change: snapshot or seat word */
    /* Leg bounds (pricebook.h): per cabin and leg; the sequence counter (odd while a
     * writer changes bounds, seats or the snapshot) and the snapshot version they are for. */
    uint16_t *leg_bound[CT_NBOUND_CABINS];
    _Atomic uint64_t bound_seq;
    _Atomic uint64_t bound_version;
    double cents[CT_MAX_PROVIDERS]; /* cents_per_unit of the published snapshot (writers) */
    uint64_t cents_version;         /* its version + 1; 0: not computed */
    ct__journal *journal;           /* journal.c; NULL: not journalling */
};

static const char CLASS_LETTERS[CT_NCLASSES + 1] = "YBMHQVJCWEFA";

int ct_class_index(char rbd)
{
    for (int c = 0; c < CT_NCLASSES; c++) {
        if (CLASS_LETTERS[c] == rbd)
            return c;
    }
    return -1;
}

char ct_class_letter(int c)
{
    return c >= 0 && c < CT_NCLASSES ? CLASS_LETTERS[c] : '?';
}

ct_cabin ct_class_cabin(int c)
{
    if (c >= 10)
        return CT_CABIN_FIRST;
    if (c >= 8)
        return CT_CABIN_PREMIUM;
    return c >= 6 ? CT_CABIN_BUSINESS : CT_CABIN_ECONOMY;
}

static const char *const CABIN_NAMES[CT_NCABINS] = {"economy", "business", "premium_economy",
                                                    "first"};

const char *ct_cabin_name(ct_cabin c)
{
    return (int)c >= 0 && (int)c < CT_NCABINS ? CABIN_NAMES[c] : "economy";
}

int ct_cabin_parse(const char *name, ct_cabin *out)
{
    for (int c = 0; name != NULL && c < CT_NCABINS; c++) {
        if (strcmp(name, CABIN_NAMES[c]) == 0) {
            *out = (ct_cabin)c;
            return 0;
        }
    }
    return -1;
}

void ct_cabin_classes(ct_cabin c, int *lo, int *hi)
{
    static const int first[CT_NCABINS] = {0, 6, 8, 10}, last[CT_NCABINS] = {5, 7, 9, 11};
    int k = (int)c >= 0 && (int)c < CT_NCABINS ? (int)c : 0;
    *lo = first[k];
    *hi = last[k];
}

uint64_t ct_seats_pack(const int seats[CT_NCLASSES])
{
    uint64_t w = 0;
    for (int c = 0; c < CT_NCLASSES; c++) {
        int s = seats[c] < 0 ? 0 : seats[c] > 15 ? 15 : seats[c];
        w |= (uint64_t)s << (4 * c);
    }
    return w;
}

/* Lookups: the slot of a designator character, of a two-character designator, and the
 * pricebook's carrier index of a code; -1 when there is none (not an error). */
static int code_char(char c)
{
    if (c >= 'A' && c <= 'Z')
        return c - 'A' + 1;
    if (c >= '0' && c <= '9')
        return c - '0' + 27;
    return -1;
}

static int designator_slot(const char *code)
{
    if (code == NULL || code[0] == '\0' || code[1] == '\0' || (code[2] != '\0' && code[2] != ' '))
        return -1;
    int a = code_char(code[0]), b = code_char(code[1]);
    return a < 0 || b < 0 ? -1 : a * 37 + b;
}

static int carrier_index(const ct_pricebook *pb, const char *code)
{
    int s = designator_slot(code);
    return s < 0 ? -1 : pb->carrier_of[s];
}

static uint64_t market_key(unsigned carrier, unsigned from, unsigned to)
{
    return ((uint64_t)carrier << 32 | (uint64_t)from << 16 | to) + 1;
}

static size_t market_hash(uint64_t k, size_t cap)
{
    k ^= k >> 33;
    k *= 0xff51afd7ed558ccdULL;
    k ^= k >> 33;
    return (size_t)k & (cap - 1);
}

/* The market id of a key, adding it when `add`; -1 when absent and not `add` (a lookup, not an
 * error). It never allocates: build_markets keeps the load under 0.5, so a slot is free. */
static int64_t market_find(ct_pricebook *pb, uint64_t key, int add)
{
    size_t i = market_hash(key, pb->mcap);
    while (pb->mkeys[i] != 0) {
        if (pb->mkeys[i] == key)
            return pb->mvals[i];
        i = (i + 1) & (pb->mcap - 1);
    }
    if (!add)
        return -1;
    pb->mkeys[i] = key;
    pb->mvals[i] = (uint32_t)pb->nmarkets++;
    return pb->mvals[i];
}

static ct_status build_markets(ct_pricebook *pb)
{
    const ct_timetable *tt = pb->tt;
    /* At most one market per leg; capacity for a load under 0.5 of an upper bound that is
     * cheap to compute (distinct markets are far fewer than legs). */
    size_t want = 1024;
    while (want < 2 * (tt->ncarriers * 64 + 1024) && want < ((size_t)1 << 30))
        want <<= 1;
    for (;;) {
        pb->mcap = want;
        pb->mkeys = ct_calloc(want, sizeof(uint64_t));
        pb->mvals = ct_malloc(want * sizeof(uint32_t));
        if (pb->mkeys == NULL || pb->mvals == NULL)
            return CT_NOMEM;
        pb->nmarkets = 0;
        size_t i = 0;
        for (; i < tt->nlegs && pb->nmarkets * 2 < want; i++) {
            const ct_leg *l = &tt->legs[i];
            pb->market[i] = (uint32_t)market_find(pb, market_key(l->carrier, l->from, l->to), 1);
        }
        if (i == tt->nlegs)
            return CT_OK;
        ct_free(pb->mkeys);
        ct_free(pb->mvals);
        pb->mkeys = NULL;
        pb->mvals = NULL;
        want <<= 2;
    }
}

static void snapshot_free(ct_pb_snapshot *s)
{
    if (s == NULL)
        return;
    for (int p = 0; p < s->nproviders; p++) {
        ct_free(s->providers[p].sells);
        ct_free(s->providers[p].amount);
    }
    ct_free(s->alliance);
    ct_free(s);
}

ct_status ct_pricebook_new(const ct_timetable *tt, ct_pricebook **out)
{
    *out = NULL;
    ct_pricebook *pb = ct_calloc(1, sizeof(*pb));
    if (pb == NULL)
        return CT_NOMEM;
    pb->tt = tt;
    pthread_mutex_init(&pb->mu, NULL);
    memset(pb->carrier_of, 0xff, sizeof(pb->carrier_of));
    for (size_t c = 0; c < tt->ncarriers; c++) {
        int s = designator_slot(tt->carriers[c]);
        if (s >= 0)
            pb->carrier_of[s] = (int16_t)c;
    }
    ct_pb_snapshot *s0 = ct_calloc(1, sizeof(*s0));
    pb->market = ct_malloc((tt->nlegs ? tt->nlegs : 1) * sizeof(uint32_t));
    for (int c = 0; c < CT_NBOUND_CABINS; c++) {
        pb->leg_bound[c] = ct_malloc((tt->nlegs ? tt->nlegs : 1) * sizeof(uint16_t));
        if (pb->leg_bound[c] != NULL)
            memset(pb->leg_bound[c], 0xff, (tt->nlegs ? tt->nlegs : 1) * sizeof(uint16_t));
    }
    if (s0 == NULL || pb->market == NULL || pb->leg_bound[0] == NULL || pb->leg_bound[1] == NULL ||
        build_markets(pb) != CT_OK)
        goto fail;
    s0->alliance = ct_calloc(tt->ncarriers ? tt->ncarriers : 1, 1);
    if (s0->alliance == NULL)
        goto fail;
    atomic_store(&pb->slot[0], s0);
    atomic_store(&pb->cur, 0);
    *out = pb;
    return CT_OK;
fail:
    snapshot_free(s0);
    atomic_store(&pb->slot[0], NULL);
    ct_pricebook_free(pb);
    return CT_NOMEM;
}

static void seat_table_free(ct_pb_seat_table *t)
{
    if (t == NULL)
        return;
    ct_free(t->sold);
    ct_free(t->rank);
    ct_free(t->words);
    ct_free(t->hi_sold);
    ct_free(t->hi_rank);
    ct_free(t->hi_words);
    ct_free(t);
}

/* 1 when leg l's aircraft has premium economy or first seats (classes 8..11). */
static int leg_has_hi(const ct_leg *l)
{
    return l->seats_w > 0 || l->seats_f > 0;
}

/* The premium table of t (t->sold built): the sold legs with leg_has_hi, words copied from
 * `old` (may be NULL), 0 elsewhere. CT_NOMEM on failure. */
static ct_status seat_table_build_hi(const ct_timetable *tt, ct_pb_seat_table *t,
                                     const ct_pb_seat_table *old)
{
    size_t nblocks = tt->nlegs / 64 + 1;
    t->hi_sold = ct_calloc(nblocks, sizeof(uint64_t));
    t->hi_rank = ct_malloc(nblocks * sizeof(uint32_t));
    if (t->hi_sold == NULL || t->hi_rank == NULL)
        return CT_NOMEM;
    for (size_t i = 0; i < tt->nlegs; i++) {
        uint64_t bit = (uint64_t)1 << (i & 63);
        if ((t->sold[i >> 6] & bit) && leg_has_hi(&tt->legs[i]))
            t->hi_sold[i >> 6] |= bit;
    }
    size_t n = 0;
    for (size_t b = 0; b < nblocks; b++) {
        t->hi_rank[b] = (uint32_t)n;
        n += (size_t)__builtin_popcountll(t->hi_sold[b]);
    }
    t->nhi = n;
    t->hi_words = ct_calloc(n ? n : 1, sizeof(uint16_t));
    if (t->hi_words == NULL)
        return CT_NOMEM;
    if (old == NULL)
        return CT_OK;
    ct_pb_view v = {0};
    v.seats[0] = old;
    for (size_t i = 0; i < tt->nlegs; i++) {
        uint64_t bit = (uint64_t)1 << (i & 63);
        if (t->hi_sold[i >> 6] & bit)
            t->hi_words[t->hi_rank[i >> 6] +
                        (size_t)__builtin_popcountll(t->hi_sold[i >> 6] & (bit - 1))] =
                (uint16_t)ct_pb_seats_hi(&v, 0, i);
    }
    return CT_OK;
}

/* A seat table for the legs of the carriers in `sells`, words copied from `old` (may be
 * NULL) where it had the leg, CT_SEATS_UNKNOWN elsewhere. */
static ct_pb_seat_table *seat_table_build(const ct_timetable *tt, const uint8_t *sells,
                                          const ct_pb_seat_table *old)
{
    size_t nblocks = tt->nlegs / 64 + 1;
    ct_pb_seat_table *t = ct_calloc(1, sizeof(*t));
    if (t == NULL)
        return NULL;
    t->sold = ct_calloc(nblocks, sizeof(uint64_t));
    t->rank = ct_malloc(nblocks * sizeof(uint32_t));
    if (t->sold == NULL || t->rank == NULL)
        goto fail;
    for (size_t i = 0; i < tt->nlegs; i++) {
        if (sells[tt->legs[i].carrier])
            t->sold[i >> 6] |= (uint64_t)1 << (i & 63);
    }
    size_t n = 0;
    for (size_t b = 0; b < nblocks; b++) {
        t->rank[b] = (uint32_t)n;
        n += (size_t)__builtin_popcountll(t->sold[b]);
    }
    t->nwords = n;
    t->words = ct_malloc((n ? n : 1) * sizeof(uint32_t));
    if (t->words == NULL)
        goto fail;
    memset(t->words, 0xff, (n ? n : 1) * sizeof(uint32_t));
    if (old != NULL) {
        ct_pb_view v = {0};
        v.seats[0] = old;
        for (size_t i = 0; i < tt->nlegs; i++) {
            uint64_t bit = (uint64_t)1 << (i & 63);
            if (!(t->sold[i >> 6] & bit))
                continue;
            uint32_t w = ct_pb_seats(&v, 0, i);
            if (w != CT_SEATS_UNKNOWN)
                t->words[t->rank[i >> 6] +
                         (size_t)__builtin_popcountll(t->sold[i >> 6] & (bit - 1))] = w;
        }
    }
    if (seat_table_build_hi(tt, t, old) != CT_OK)
        goto fail;
    return t;
fail:
    seat_table_free(t);
    return NULL;
}

size_t ct_pricebook_seat_bytes(const ct_pricebook *pb)
{
    size_t bytes = 0, nblocks = pb->tt->nlegs / 64 + 1;
    for (int p = 0; p < CT_MAX_PROVIDERS; p++) {
        const ct_pb_seat_table *t = atomic_load(&((ct_pricebook *)pb)->seats[p]);
        if (t != NULL)
            bytes +=
                2 * nblocks * (sizeof(uint64_t) + sizeof(uint32_t)) + t->nwords * 4 + t->nhi * 2;
    }
    return bytes;
}

void ct_pricebook_free(ct_pricebook *pb)
{
    if (pb == NULL)
        return;
    ct_pricebook_journal_stop(pb);
    for (int i = 0; i < SLOTS; i++)
        snapshot_free(atomic_load(&pb->slot[i]));
    snapshot_free(pb->pending);
    for (int p = 0; p < CT_MAX_PROVIDERS; p++)
        seat_table_free(atomic_load(&pb->seats[p]));
    for (int i = 0; i < pb->nretired; i++)
        seat_table_free(pb->retired[i]);
    ct_free(pb->market);
    for (int c = 0; c < CT_NBOUND_CABINS; c++)
        ct_free(pb->leg_bound[c]);
    ct_free(pb->mkeys);
    ct_free(pb->mvals);
    pthread_mutex_destroy(&pb->mu);
    ct_free(pb);
}

const ct_timetable *ct_pricebook_timetable(const ct_pricebook *pb)
{
    return pb->tt;
}

static void slot_release(ct_pricebook *pb, ct_pb_snapshot *s)
{
    for (int i = 0; i < SLOTS; i++) {
        if (atomic_load(&pb->slot[i]) == s) {
            atomic_store(&pb->slot[i], NULL);
            break;
        }
    }
    snapshot_free(s);
}

void ct_pricebook_acquire(ct_pricebook *pb, ct_pb_view *v)
{
    uint64_t w = atomic_fetch_add(&pb->cur, 1);
    memset(v, 0, sizeof(*v));
    v->tt = pb->tt;
    v->snap = atomic_load(&pb->slot[w >> 32]);
    v->market = pb->market;
    v->nmarkets = pb->nmarkets;
    for (int p = 0; p < v->snap->nproviders; p++)
        v->seats[p] = atomic_load(&pb->seats[p]);
    for (int c = 0; c < CT_NBOUND_CABINS; c++)
        v->leg_bound[c] = pb->leg_bound[c];
    v->pb = pb;
}

/* ---- leg bounds (pricebook.h) ---- */

uint16_t ct_pb_bound_encode(double v)
{
    if (!(v < __builtin_inf()))
        return CT_PB_BOUND_NONE;
    if (!(v >= 1))
        return 0;
    unsigned e = 0;
    while (e < 30 && v >= 2048.0 * (double)((uint64_t)1 << e))
        e++;
    double m = v / (double)((uint64_t)1 << e);
    unsigned mi = m >= 2047 ? 2047u : (unsigned)m; /* floor */
    return (uint16_t)(e << 11 | mi);
}

uint64_t ct_pb_bounds_begin(const ct_pb_view *v)
{
    if (v == NULL || v->pb == NULL)
        return 0;
    ct_pricebook *pb = (ct_pricebook *)v->pb;
    uint64_t seq = atomic_load_explicit(&pb->bound_seq, memory_order_acquire);
    if (seq & 1)
        return 0; /* a writer is changing them */
    if (atomic_load_explicit(&pb->bound_version, memory_order_acquire) != v->snap->version)
        return 0;   /* computed for another snapshot than the view's */
    return seq + 2; /* never 0 */
}

int ct_pb_bounds_check(const ct_pb_view *v, uint64_t token)
{
    if (token == 0)
        return 0;
    atomic_thread_fence(memory_order_acquire); /* the reads above happen before this load */
    return atomic_load_explicit(&((ct_pricebook *)v->pb)->bound_seq, memory_order_relaxed) + 2 ==
           token;
}

static void bounds_write_begin(ct_pricebook *pb)
{
    atomic_fetch_add_explicit(&pb->bound_seq, 1, memory_order_seq_cst); /* odd */
}

static void bounds_write_end(ct_pricebook *pb)
{
    atomic_fetch_add_explicit(&pb->bound_seq, 1, memory_order_release); /* even */
}

/* US cents per minor unit of each provider of s (0: no rate, the provider is left out). */
static void cents_per_unit(const ct_pb_snapshot *s, double out[CT_MAX_PROVIDERS])
{
    for (int p = 0; p < CT_MAX_PROVIDERS; p++) {
        out[p] = 0;
        if (p >= s->nproviders)
            continue;
        const ct_provider_desc *d = &s->providers[p].desc;
        int c = ct_pb_currency_id(s, d->currency);
        double rate = c >= 0 ? s->usd_rate[c] : 0;
        if (rate > 0) {
            double unit = 1;
            for (int k = 0; k < d->minor_digits; k++)
                unit *= 10;
            out[p] = 100.0 / (rate * unit);
        }
    }
}

/* Recomputes leg i's bounds from snapshot s and the live seat tables. */
static void leg_bound_compute(ct_pricebook *pb, const ct_pb_snapshot *s, const double *cents,
                              size_t i)
{
    const ct_leg *l = &pb->tt->legs[i];
    double best[2] = {__builtin_inf(), __builtin_inf()};
    ct_pb_view v = {0};
    for (int p = 0; p < s->nproviders; p++) {
        const ct_pb_provider *pr = &s->providers[p];
        if (cents[p] == 0 || pr->amount == NULL || !pr->sells[l->carrier])
            continue;
        v.seats[0] = atomic_load(&pb->seats[p]);
        uint32_t w = ct_pb_seats(&v, 0, i);
        if (w == CT_SEATS_UNKNOWN)
            continue;
        const int32_t *a = pr->amount[pb->market[i]];
        for (int k = 0; k < 8; k++) { /* the classes of the bound cabins */
            if (a[k] < 0 || ct_seats_of(w, k) < 1)
                continue;
            double c = (double)a[k] * cents[p];
            int cab = ct_class_cabin(k);
            if (c < best[cab])
                best[cab] = c;
        }
    }
    for (int c = 0; c < CT_NBOUND_CABINS; c++)
        __atomic_store_n(&pb->leg_bound[c][i], ct_pb_bound_encode(best[c] * (1 - 1e-9)),
                         __ATOMIC_RELAXED);
}

/* 1 when what the bounds read from snapshot a differs in b beyond the amounts: providers,
 * their currencies, carriers sold, rates. */
static int bounds_inputs_changed(const ct_pricebook *pb, const ct_pb_snapshot *a,
                                 const ct_pb_snapshot *b)
{
    if (a->nproviders != b->nproviders)
        return 1;
    double ca[CT_MAX_PROVIDERS], cb[CT_MAX_PROVIDERS];
    cents_per_unit(a, ca);
    cents_per_unit(b, cb);
    for (int p = 0; p < a->nproviders; p++) {
        const ct_pb_provider *x = &a->providers[p], *y = &b->providers[p];
        if (ca[p] != cb[p] || (x->amount == NULL) != (y->amount == NULL) ||
            memcmp(x->sells, y->sells, pb->tt->ncarriers) != 0)
            return 1;
    }
    return 0;
}

/* After publishing `now` over `before` (may be NULL): recomputes the legs whose bounds can
 * have changed. Called between bounds_write_begin and bounds_write_end. */
static void bounds_refresh(ct_pricebook *pb, const ct_pb_snapshot *before,
                           const ct_pb_snapshot *now)
{
    double cents[CT_MAX_PROVIDERS];
    cents_per_unit(now, cents);
    size_t nlegs = pb->tt->nlegs;
    uint8_t *changed = NULL;
    if (before != NULL && !bounds_inputs_changed(pb, before, now)) {
        changed = ct_calloc(pb->nmarkets ? pb->nmarkets : 1, 1);
        if (changed != NULL) {
            size_t n = 0;
            for (int p = 0; p < now->nproviders; p++) {
                const ct_pb_provider *x = &before->providers[p], *y = &now->providers[p];
                if (x->amount == NULL || y->amount == NULL || x->amount == y->amount)
                    continue;
                for (size_t m = 0; m < pb->nmarkets; m++) {
                    if (memcmp(x->amount[m], y->amount[m], sizeof(x->amount[m])) != 0) {
                        changed[m] = 1;
                        n++;
                    }
                }
            }
            if (n == 0) {
                ct_free(changed);
                return;
            }
        }
    }
    for (size_t i = 0; i < nlegs; i++) {
        if (changed == NULL || changed[pb->market[i]])
            leg_bound_compute(pb, now, cents, i);
    }
    ct_free(changed);
}

void ct_pricebook_release(ct_pricebook *pb, ct_pb_view *v)
{
    if (v->snap == NULL)
        return;
    ct_pb_snapshot *s = (ct_pb_snapshot *)v->snap;
    int64_t left = atomic_fetch_sub((_Atomic int64_t *)&s->released, 1) - 1;
    if (left == 0)
        slot_release(pb, s);
    v->snap = NULL;
}

/* ---- writers ---- */

static ct_pb_snapshot *current(ct_pricebook *pb)
{
    return atomic_load(&pb->slot[atomic_load(&pb->cur) >> 32]);
}

static ct_status clone_provider(const ct_pb_provider *from, ct_pb_provider *to, size_t ncarriers,
                                size_t nmarkets)
{
    *to = *from;
    to->sells = NULL;
    to->amount = NULL;
    to->sells = ct_calloc(ncarriers ? ncarriers : 1, 1);
    if (to->sells == NULL)
        return CT_NOMEM;
    if (from->sells != NULL)
        memcpy(to->sells, from->sells, ncarriers);
    if (from->amount != NULL) {
        to->amount = ct_malloc(nmarkets * sizeof(*to->amount));
        if (to->amount == NULL)
            return CT_NOMEM;
        memcpy(to->amount, from->amount, nmarkets * sizeof(*to->amount));
    }
    return CT_OK;
}

/* The batch's private copy of the current snapshot. */
static ct_pb_snapshot *pending(ct_pricebook *pb)
{
    if (pb->pending != NULL)
        return pb->pending;
    const ct_pb_snapshot *c = current(pb);
    ct_pb_snapshot *s = ct_calloc(1, sizeof(*s));
    if (s == NULL)
        return NULL;
    /* Everything but `released`, which readers of c are counting down concurrently
     * (it is the last member; found by ThreadSanitizer). */
    memcpy(s, c, offsetof(ct_pb_snapshot, released));
    s->released = 0;
    s->alliance = NULL;
    for (int p = 0; p < CT_MAX_PROVIDERS; p++) {
        s->providers[p].sells = NULL;
        s->providers[p].amount = NULL;
    }
    size_t nc = pb->tt->ncarriers;
    s->alliance = ct_malloc(nc ? nc : 1);
    if (s->alliance == NULL)
        goto fail;
    memcpy(s->alliance, c->alliance, nc);
    for (int p = 0; p < c->nproviders; p++) {
        if (clone_provider(&c->providers[p], &s->providers[p], nc, pb->nmarkets) != CT_OK)
            goto fail;
    }
    pb->pending = s;
    return s;
fail:
    snapshot_free(s);
    return NULL;
}

void ct_pricebook_begin(ct_pricebook *pb)
{
    pthread_mutex_lock(&pb->mu);
}

uint64_t ct_pricebook_generation(const ct_pricebook *pb)
{
    return atomic_load(&((ct_pricebook *)pb)->generation);
}

ct_status ct_pricebook_commit(ct_pricebook *pb)
{
    ct_status rc = CT_OK;
    ct_pb_snapshot *s = pb->pending;
    pb->pending = NULL;
    if (s != NULL || pb->seats_changed)
        atomic_fetch_add(&pb->generation, 1);
    pb->seats_changed = 0;
    if (s != NULL) {
        int slot = -1;
        for (int i = 0; i < SLOTS && slot < 0; i++) {
            if (atomic_load(&pb->slot[i]) == NULL)
                slot = i;
        }
        if (slot < 0) {
            snapshot_free(s); /* 63 older snapshots still held by readers: drop the change */
            rc = CT_AGAIN;
        } else {
            s->version = ++pb->version;
            bounds_write_begin(pb);
            atomic_store(&pb->slot[slot], s);
            uint64_t old = atomic_exchange(&pb->cur, (uint64_t)slot << 32);
            ct_pb_snapshot *prev = atomic_load(&pb->slot[old >> 32]);
            /* prev stays alive until the balance below reaches zero (the writer holds it) */
            bounds_refresh(pb, prev, s);
            atomic_store(&pb->bound_version, s->version);
            bounds_write_end(pb);
            int64_t acquired = (int64_t)(old & 0xffffffffu);
            if (atomic_fetch_add((_Atomic int64_t *)&prev->released, acquired) + acquired == 0)
                slot_release(pb, prev);
        }
    }
    /* Even when the snapshot part was dropped (CT_AGAIN): the seat words are applied, and
     * the caller retries the rest, which followers then get twice (the same values). */
    ct__journal_commit(pb->journal);
    pthread_mutex_unlock(&pb->mu);
    return rc;
}

ct__journal **ct__pricebook_journal_slot(ct_pricebook *pb)
{
    return &pb->journal;
}

const char *ct__pricebook_provider_name(ct_pricebook *pb, int id)
{
    const ct_pb_snapshot *s = pb->pending != NULL ? pb->pending : current(pb);
    return id >= 0 && id < s->nproviders ? s->providers[id].desc.name : NULL;
}

ct_pb_seat_table *ct__pricebook_seat_table(ct_pricebook *pb, int id)
{
    return id >= 0 && id < CT_MAX_PROVIDERS ? atomic_load(&pb->seats[id]) : NULL;
}

ct_pb_snapshot *ct__pricebook_pending(ct_pricebook *pb)
{
    return pending(pb);
}

void ct__pricebook_abort(ct_pricebook *pb)
{
    snapshot_free(pb->pending);
    pb->pending = NULL;
    ct__journal_abort(pb->journal);
    for (int p = current(pb)->nproviders; p < CT_MAX_PROVIDERS; p++) {
        seat_table_free(atomic_load(&pb->seats[p]));
        atomic_store(&pb->seats[p], NULL);
    }
    pthread_mutex_unlock(&pb->mu);
}

ct_status ct_pricebook_provider(ct_pricebook *pb, const ct_provider_desc *d, int *id)
{
    ct_pb_snapshot *s = pending(pb);
    if (s == NULL)
        return CT_NOMEM;
    int p = 0;
    while (p < s->nproviders && strcmp(s->providers[p].desc.name, d->name) != 0)
        p++;
    if (p == s->nproviders) {
        if (p == CT_MAX_PROVIDERS)
            return CT_INVALID;
        s->providers[p].sells = ct_calloc(pb->tt->ncarriers ? pb->tt->ncarriers : 1, 1);
        if (s->providers[p].sells == NULL)
            return CT_NOMEM;
        s->nproviders++;
    }
    s->providers[p].desc = *d;
    s->providers[p].nmarkets = pb->nmarkets;
    if (ct_pb_currency_id(s, d->currency) < 0 && s->ncurrencies < 64)
        snprintf(s->currencies[s->ncurrencies++], 4, "%s", d->currency);
    *id = p;
    ct__journal_provider(pb->journal, d);
    return CT_OK;
}

ct_status ct_pricebook_set_sold(ct_pricebook *pb, int id, const char (*carriers)[4], size_t n)
{
    ct_pb_snapshot *s = pending(pb);
    if (s == NULL)
        return CT_NOMEM;
    if (id < 0 || id >= s->nproviders)
        return CT_INVALID;
    size_t nc = pb->tt->ncarriers;
    uint8_t *want = ct_calloc(nc ? nc : 1, 1);
    if (want == NULL)
        return CT_NOMEM;
    for (size_t i = 0; i < n; i++) {
        int c = carrier_index(pb, carriers[i]);
        if (c >= 0)
            want[c] = 1;
    }
    ct_pb_seat_table *old = atomic_load(&pb->seats[id]);
    if (old == NULL || memcmp(want, s->providers[id].sells, nc) != 0) {
        if (old != NULL && pb->nretired == 64) {
            ct_free(want);
            return CT_AGAIN; /* the sold set changed 64 times: refuse rather than grow */
        }
        ct_pb_seat_table *t = seat_table_build(pb->tt, want, old);
        if (t == NULL) {
            ct_free(want);
            return CT_NOMEM;
        }
        atomic_store(&pb->seats[id], t);
        if (old != NULL)
            pb->retired[pb->nretired++] = old;
    }
    memcpy(s->providers[id].sells, want, nc);
    ct_free(want);
    ct__journal_sold(pb->journal, s->providers[id].desc.name, carriers, n);
    return CT_OK;
}

/* Alliance ids are process-wide (names are few and never forgotten). */
static char alliance_names[255][32];
static _Atomic int alliance_count;
static pthread_mutex_t alliance_mu = PTHREAD_MUTEX_INITIALIZER;

int ct_pricebook_alliance_id(const char *name)
{
    int n = atomic_load(&alliance_count);
    for (int i = 0; name != NULL && i < n; i++) {
        if (strncmp(alliance_names[i], name, 31) == 0)
            return i + 1;
    }
    return 0;
}

const char *ct_pricebook_alliance_name(int id)
{
    return id >= 1 && id <= atomic_load(&alliance_count) ? alliance_names[id - 1] : NULL;
}

ct_status ct_pricebook_set_alliance(ct_pricebook *pb, const char *carrier, const char *alliance)
{
    ct_pb_snapshot *s = pending(pb);
    if (s == NULL)
        return CT_NOMEM;
    int c = carrier_index(pb, carrier);
    if (c < 0)
        return CT_OK;
    int id = 0;
    if (alliance != NULL && alliance[0] != '\0') {
        pthread_mutex_lock(&alliance_mu);
        id = ct_pricebook_alliance_id(alliance);
        int n = atomic_load(&alliance_count);
        if (id == 0 && n < 255) {
            snprintf(alliance_names[n], 32, "%s", alliance);
            atomic_store(&alliance_count, n + 1); /* published after the name is written */
            id = n + 1;
        }
        pthread_mutex_unlock(&alliance_mu);
    }
    s->alliance[c] = (uint8_t)id;
    ct__journal_alliance(pb->journal, carrier, alliance);
    return CT_OK;
}

int ct_pb_currency_id(const ct_pb_snapshot *s, const char *code)
{
    for (int i = 0; i < s->ncurrencies; i++) {
        if (strncmp(s->currencies[i], code, 3) == 0)
            return i;
    }
    return -1;
}

ct_status ct_pricebook_set_rate(ct_pricebook *pb, const char *currency, double per_usd)
{
    ct_pb_snapshot *s = pending(pb);
    if (s == NULL)
        return CT_NOMEM;
    if (currency == NULL || strlen(currency) != 3 || !(per_usd > 0))
        return CT_INVALID;
    int i = ct_pb_currency_id(s, currency);
    if (i < 0) {
        if (s->ncurrencies == 64)
            return CT_INVALID;
        i = s->ncurrencies++;
        snprintf(s->currencies[i], 4, "%s", currency);
    }
    s->usd_rate[i] = per_usd;
    ct__journal_rate(pb->journal, currency, per_usd);
    return CT_OK;
}

void ct_pricebook_set_rates_day(ct_pricebook *pb, int64_t day)
{
    ct_pb_snapshot *s = pending(pb);
    if (s != NULL) {
        s->rates_day = day;
        ct__journal_rates_day(pb->journal, day);
    }
}

ct_status ct_pricebook_put_fare(ct_pricebook *pb, int id, const char *carrier, const char *origin,
                                const char *dest, const int32_t amount[CT_NCLASSES], int *known)
{
    *known = 0;
    int c = carrier_index(pb, carrier);
    int from = ct_timetable_airport(pb->tt, origin), to = ct_timetable_airport(pb->tt, dest);
    if (c < 0 || from < 0 || to < 0)
        return CT_OK;
    int64_t m = market_find(pb, market_key((unsigned)c, (unsigned)from, (unsigned)to), 0);
    if (m < 0)
        return CT_OK;
    ct_pb_snapshot *s = pending(pb);
    if (s == NULL)
        return CT_NOMEM;
    if (id < 0 || id >= s->nproviders)
        return CT_INVALID;
    ct_pb_provider *p = &s->providers[id];
    if (p->amount == NULL) {
        p->amount = ct_malloc((pb->nmarkets ? pb->nmarkets : 1) * sizeof(*p->amount));
        if (p->amount == NULL)
            return CT_NOMEM;
        memset(p->amount, 0xff, pb->nmarkets * sizeof(*p->amount)); /* -1: none */
    }
    memcpy(p->amount[m], amount, sizeof(p->amount[m]));
    *known = 1;
    ct__journal_fare(pb->journal, p->desc.name, carrier, origin, dest, amount);
    return CT_OK;
}

/* Stores the premium cabins' counts of leg index i in t's second table; 1 when they changed.
 * A leg whose aircraft has neither cabin has no slot: its counts (0 from an honest feed)
 * are dropped. */
static int put_seats_hi(ct_pricebook *pb, ct_pb_seat_table *t, size_t i, uint16_t hi)
{
    uint64_t bit = (uint64_t)1 << (i & 63);
    if (t->hi_sold == NULL || !(t->hi_sold[i >> 6] & bit))
        return 0;
    size_t slot = t->hi_rank[i >> 6] + (size_t)__builtin_popcountll(t->hi_sold[i >> 6] & (bit - 1));
    if (__atomic_load_n(&t->hi_words[slot], __ATOMIC_RELAXED) == hi)
        return 0;
    (void)pb; /* no bound reads these cabins: no sequence change */
    __atomic_store_n(&t->hi_words[slot], hi, __ATOMIC_RELAXED);
    return 1;
}

ct_status ct_pricebook_put_seats(ct_pricebook *pb, int id, const char *carrier, int number,
                                 const char *origin, int32_t dep_utc_min,
                                 const int seats[CT_NCLASSES], int *known, int *changed)
{
    *known = 0;
    *changed = 0;
    const ct_timetable *tt = pb->tt;
    int c = carrier_index(pb, carrier), a = ct_timetable_airport(tt, origin);
    ct_pb_seat_table *t = id >= 0 && id < CT_MAX_PROVIDERS ? atomic_load(&pb->seats[id]) : NULL;
    if (t == NULL)
        return CT_INVALID; /* no such provider, or its carriers are not known yet */
    if (c < 0 || a < 0)
        return CT_OK;
    int64_t leg = ct_timetable_find_leg(tt, c, number, (uint16_t)a, dep_utc_min);
    if (leg < 0)
        return CT_OK;
    size_t lo = (size_t)leg;
    uint64_t bit = (uint64_t)1 << (lo & 63);
    if (!(t->sold[lo >> 6] & bit))
        return CT_OK; /* a carrier it does not list as sold */
    size_t slot = t->rank[lo >> 6] + (size_t)__builtin_popcountll(t->sold[lo >> 6] & (bit - 1));
    uint64_t packed = ct_seats_pack(seats);
    uint32_t w = (uint32_t)packed;
    *known = 1;
    /* The premium cabins first: a reader seeing the new low word sees them too. */
    if (put_seats_hi(pb, t, lo, (uint16_t)(packed >> 32)))
        *changed = 1;
    if (__atomic_load_n(&t->words[slot], __ATOMIC_RELAXED) == w) {
        if (*changed) { /* only the premium cabins moved: journalled all the same */
            pb->seats_changed = 1;
            atomic_fetch_add(&pb->generation, 1);
            ct__journal_seats(pb->journal, ct__pricebook_provider_name(pb, id), carrier, number,
                              origin, dep_utc_min, seats);
        }
        return CT_OK;
    }
    const ct_pb_snapshot *snap = current(pb);
    if (pb->cents_version != snap->version + 1) { /* once per published snapshot */
        cents_per_unit(snap, pb->cents);
        pb->cents_version = snap->version + 1;
    }
    bounds_write_begin(pb);
    __atomic_store_n(&t->words[slot], w, __ATOMIC_RELAXED);
    leg_bound_compute(pb, snap, pb->cents, lo);
    bounds_write_end(pb);
    *changed = 1;
    pb->seats_changed = 1;
    atomic_fetch_add(&pb->generation, 1); /* visible now, not only at commit */
    ct__journal_seats(pb->journal, ct__pricebook_provider_name(pb, id), carrier, number, origin,
                      dep_utc_min, seats);
    return CT_OK;
}
