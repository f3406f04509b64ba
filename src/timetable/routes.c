/* routes.c: the per-airport indexes built on first use: arriving routes (ct_arrival_routes
 * in timetable.h) and the first departure of each day (ct_timetable_first_departure).
 *
 * by_arr orders the legs into an airport by departure airport, then departure time, so each
 * departure airport's legs form one run. For an airport, the index lists the runs and, per
 * run, where each day begins. It is built on first use because doing so for every airport
 * would read the whole legs array at start-up (the cache maps it lazily; start-up must stay
 * short). Publication: the per-airport slot is an atomic pointer set once by compare-and-
 * swap; a thread that loses the race frees its copy. The index never changes afterwards. */
#include <stdatomic.h>
#include <string.h>

#include "base/alloc.h"
#include "timetable/timetable.h"

static void routes_free(ct_arrival_routes *r)
{
    if (r == NULL)
        return;
    ct_free(r->from);
    ct_free(r->lo);
    ct_free(r->day_first);
    ct_free(r);
}

static ct_arrival_routes *routes_build(const ct_timetable *tt, uint16_t d)
{
    uint32_t p0 = tt->first_arr[d], end = tt->first_arr[d + 1];
    ct_arrival_routes *r = ct_calloc(1, sizeof(*r));
    if (r == NULL)
        return NULL;
    r->ndays = (uint32_t)(tt->to_day - tt->from_day + 3); /* from_day - 1 .. to_day + 1 */
    uint32_t n = 0;
    for (uint32_t p = p0, prev = UINT32_MAX; p < end; p++) {
        uint32_t f = tt->legs[tt->by_arr[p]].from;
        n += f != prev;
        prev = f;
    }
    r->nroutes = n;
    r->from = ct_malloc((n ? n : 1) * sizeof(uint16_t));
    r->lo = ct_malloc((n + 1) * sizeof(uint32_t));
    r->day_first = ct_malloc(((size_t)n * (r->ndays + 1) + 1) * sizeof(uint16_t));
    if (r->from == NULL || r->lo == NULL || r->day_first == NULL)
        goto fail;
    uint32_t k = 0;
    for (uint32_t p = p0; p < end; k++) {
        uint16_t f = tt->legs[tt->by_arr[p]].from;
        uint32_t q = p;
        while (q < end && tt->legs[tt->by_arr[q]].from == f)
            q++;
        if (q - p > UINT16_MAX)
            goto fail; /* offsets are 16-bit: callers fall back to searching by_arr */
        r->from[k] = f;
        r->lo[k] = p;
        uint16_t *days = r->day_first + (size_t)k * (r->ndays + 1);
        uint32_t i = p;
        for (uint32_t day = 0; day <= r->ndays; day++) {
            int64_t start = (tt->from_day - 1 + (int64_t)day) * 1440;
            while (i < q && tt->legs[tt->by_arr[i]].dep < start)
                i++;
            days[day] = (uint16_t)(i - p);
        }
        p = q;
    }
    r->lo[n] = end;
    return r;
fail:
    routes_free(r);
    return NULL;
}

/* The per-airport slot array kept in *field, made on first use (NULL without memory). */
static void *_Atomic *slots_of(const ct_timetable *tt, void *_Atomic *field)
{
    void *_Atomic *slots = atomic_load_explicit(field, memory_order_acquire);
    if (slots != NULL)
        return slots;
    void *_Atomic *fresh = ct_calloc(tt->nairports ? tt->nairports : 1, sizeof(*fresh));
    if (fresh == NULL)
        return NULL;
    void *expected = NULL;
    if (atomic_compare_exchange_strong(field, &expected, (void *)fresh))
        return fresh;
    ct_free(fresh);
    return expected;
}

/* Publishes `built` in an empty slot, or frees it (free_fn) when another thread was first;
 * returns what the slot holds. */
static void *slot_publish(void *_Atomic *slot, void *built, void (*free_fn)(void *))
{
    void *none = NULL;
    if (atomic_compare_exchange_strong(slot, &none, built))
        return built;
    free_fn(built);
    return none;
}

static void routes_free_any(void *r)
{
    routes_free(r);
}

const ct_arrival_routes *ct_timetable_arrival_routes(const ct_timetable *tt, uint16_t d)
{
    /* the index is a cache beside immutable arrays */
    void *_Atomic *slots = slots_of(tt, &((ct_timetable *)tt)->arrival_routes);
    if (slots == NULL)
        return NULL;
    ct_arrival_routes *r = atomic_load_explicit(&slots[d], memory_order_acquire);
    if (r != NULL)
        return r;
    ct_arrival_routes *built = routes_build(tt, d);
    return built == NULL ? NULL : slot_publish(&slots[d], built, routes_free_any);
}

/* Departure days of airport a: d[0] is 1 when hour offsets follow; d[1 + k], k = 0..ndays,
 * is the offset (from first[a]) of the first leg departing at or after day k's start (k as
 * in ct_arrival_day) and d[ndays + 2] the slice's length. For a busy airport (more than
 * HOURS_FROM legs a day on average), 24 16-bit offsets per day follow, from the day's first
 * leg to the first departing at or after each hour: a search then narrows to one hour
 * before it bisects. */
#define HOURS_FROM 16

static uint32_t *days_build(const ct_timetable *tt, uint16_t a, uint32_t ndays)
{
    uint32_t lo = tt->first[a], hi = tt->first[a + 1];
    int hours = hi - lo > (size_t)HOURS_FROM * ndays;
    size_t words = ndays + 3, bytes = words * sizeof(uint32_t);
    if (hours)
        bytes += (size_t)(ndays + 1) * 24 * sizeof(uint16_t);
    uint32_t *d = ct_malloc(bytes);
    if (d == NULL)
        return NULL;
    d[0] = (uint32_t)hours;
    uint16_t *hr = (uint16_t *)(d + words);
    uint32_t i = lo;
    for (uint32_t k = 0; k <= ndays; k++) {
        int64_t start = (tt->from_day - 1 + (int64_t)k) * 1440;
        i = ct__timetable_first_at(tt, i, hi, start);
        d[1 + k] = i - lo;
        uint32_t j = i;
        for (int h = 0; hours && h < 24; h++) {
            j = ct__timetable_first_at(tt, j, hi, start + h * 60);
            if (j - i > UINT16_MAX) { /* a day too busy for 16 bits: days only */
                d[0] = 0;
                hours = 0;
                break;
            }
            hr[(size_t)k * 24 + (size_t)h] = (uint16_t)(j - i);
        }
    }
    d[ndays + 2] = hi - lo;
    return d;
}

void ct__timetable_day_range(const ct_timetable *tt, uint16_t a, int32_t t, uint32_t *lo,
                             uint32_t *hi)
{
    uint32_t ndays = (uint32_t)(tt->to_day - tt->from_day + 3);
    void *_Atomic *slots = slots_of(tt, &((ct_timetable *)tt)->departure_days);
    if (slots == NULL)
        return;
    uint32_t *d = atomic_load_explicit(&slots[a], memory_order_acquire);
    if (d == NULL) {
        uint32_t *built = days_build(tt, a, ndays);
        if (built == NULL)
            return;
        d = slot_publish(&slots[a], built, ct_free);
    }
    int64_t minute = t, day = ct__timetable_day(tt, minute);
    uint32_t base = tt->first[a];
    if (day < 0) {
        *hi = base + d[1];
        return;
    }
    if (day > (int64_t)ndays) {
        *lo = base + d[1 + ndays];
        return;
    }
    uint32_t day_lo = base + d[1 + day], day_hi = base + d[2 + day];
    *lo = day_lo;
    *hi = day_hi;
    if (d[0]) {
        const uint16_t *hr = (const uint16_t *)(d + ndays + 3) + (size_t)day * 24;
        int64_t h = (minute - (tt->from_day - 1 + day) * 1440) / 60;
        *lo = day_lo + hr[h];
        *hi = h < 23 ? day_lo + hr[h + 1] : day_hi;
    }
}

void ct__timetable_routes_free(ct_timetable *tt)
{
    void *_Atomic *days = atomic_load(&tt->departure_days);
    if (days != NULL) {
        for (size_t a = 0; a < tt->nairports; a++)
            ct_free(atomic_load(&days[a]));
        ct_free(days);
        atomic_store(&tt->departure_days, NULL);
    }
    void *_Atomic *slots = atomic_load(&tt->arrival_routes);
    if (slots == NULL)
        return;
    for (size_t a = 0; a < tt->nairports; a++)
        routes_free(atomic_load(&slots[a]));
    ct_free(slots);
    atomic_store(&tt->arrival_routes, NULL);
}
