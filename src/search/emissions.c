/* emissions.c: CO2e per passenger by the Travel Impact Model's method (see emissions.h). */
#include "search/emissions.h"

#include <math.h>
#include <stdlib.h>

#include "base/alloc.h"
#include "refdata/refdata.h"

#define CO2E_PER_KG_FUEL 3.8359 /* kg CO2e per kg of jet fuel, well to wake (TIM) */
#define LOAD_FACTOR      0.8

/* One class of aircraft: up to max_seats, its landing and take-off fuel (kg), its cruise burn
 * (kg per km) and the floor-area factors of its premium economy, business and first seats
 * against an economy seat (the Travel Impact Model's: narrow bodies 1, 1.5, 1.5; wide
 * bodies 1.5, 4, 5). */
static const struct {
    int max_seats;
    double lto_kg, per_km_kg, premium_factor, business_factor, first_factor;
} classes[] = {
    {100, 450.0, 2.2, 1.0, 1.5, 1.5},    /* regional jet (E175) */
    {230, 800.0, 3.0, 1.0, 1.5, 1.5},    /* single aisle (A320) */
    {350, 1700.0, 6.0, 1.5, 4.0, 5.0},   /* twin aisle (787-9) */
    {100000, 2500.0, 8.2, 1.5, 4.0, 5.0} /* large twin aisle (777-300ER) */
};

/* The floor-area factor of a seat in `cabin` on aircraft class k. */
static double cabin_factor(size_t k, ct_cabin cabin)
{
    switch (cabin) {
    case CT_CABIN_PREMIUM:
        return classes[k].premium_factor;
    case CT_CABIN_BUSINESS:
        return classes[k].business_factor;
    case CT_CABIN_FIRST:
        return classes[k].first_factor;
    default:
        return 1.0;
    }
}

static double great_circle_km(double lat1, double lon1, double lat2, double lon2)
{
    const double r = 6371.0, rad = M_PI / 180.0;
    double dlat = (lat2 - lat1) * rad, dlon = (lon2 - lon1) * rad;
    double a = sin(dlat / 2) * sin(dlat / 2) +
               cos(lat1 * rad) * cos(lat2 * rad) * sin(dlon / 2) * sin(dlon / 2);
    return 2 * r * atan2(sqrt(a), sqrt(1 - a));
}

int64_t ct_leg_co2e_g(const ct_timetable *tt, const ct_leg *l, ct_cabin cabin)
{
    const ct_airport *a = ct_refdata_airport_at(tt->rd, l->from);
    const ct_airport *z = ct_refdata_airport_at(tt->rd, l->to);
    int seats_y = l->seats_y, seats_w = l->seats_w, seats_j = l->seats_j, seats_f = l->seats_f;
    int seats = seats_y + seats_w + seats_j + seats_f;
    if (a == NULL || z == NULL || seats <= 0)
        return 0;
    size_t k = 0;
    while (k + 1 < sizeof(classes) / sizeof(classes[0]) && seats > classes[k].max_seats)
        k++;
    double km = great_circle_km(a->lat, a->lon, z->lat, z->lon);
    double fuel = classes[k].lto_kg + classes[k].per_km_kg * km;
    double area = seats_y + seats_w * classes[k].premium_factor +
                  seats_j * classes[k].business_factor + seats_f * classes[k].first_factor;
    double share = cabin_factor(k, cabin) / area;
    return (int64_t)llround(fuel * CO2E_PER_KG_FUEL * 1000.0 * share / LOAD_FACTOR);
}

void ct_trips_set_co2e(const ct_timetable *tt, ct_trip *items, size_t n, ct_cabin cabin)
{
    for (size_t i = 0; i < n; i++) {
        int64_t g = 0;
        for (int s = 0; s < items[i].nslices; s++)
            for (int k = 0; k < items[i].slice[s].nlegs; k++)
                g += ct_leg_co2e_g(tt, items[i].slice[s].legs[k], cabin);
        items[i].co2e_g = g;
    }
}

static int cmp_i64(const void *x, const void *y)
{
    int64_t a = *(const int64_t *)x, b = *(const int64_t *)y;
    return (a > b) - (a < b);
}

int64_t ct_trips_typical_co2e(const ct_trip *items, size_t n)
{
    if (n == 0)
        return 0;
    int64_t *v = ct_malloc(n * sizeof(*v));
    if (v == NULL)
        return items[0].co2e_g;
    for (size_t i = 0; i < n; i++)
        v[i] = items[i].co2e_g;
    qsort(v, n, sizeof(*v), cmp_i64);
    int64_t m = n % 2 ? v[n / 2] : (v[n / 2 - 1] + v[n / 2]) / 2;
    ct_free(v);
    return m;
}

const char *ct_co2e_label(int64_t g, int64_t typical_g)
{
    if (typical_g <= 0)
        return "typical";
    if (g * 10 <= typical_g * 9)
        return "lower";
    if (g * 10 >= typical_g * 11)
        return "higher";
    return "typical";
}
