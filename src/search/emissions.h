/* emissions.h: CO2e per passenger of a leg and of a trip, by the Travel Impact Model's method.
 *
 * The Travel Impact Model (TIM, travelimpactmodel.org) estimates a flight's emissions from its
 * fuel burn (by aircraft type and distance, from the EEA's fuel tables), turns fuel into CO2e
 * well to wake (3.8359 kg CO2e per kg of jet fuel: 3.1894 burnt plus 0.6465 to produce and
 * deliver it), and shares the result among the passengers by the floor area their seats take:
 * an economy seat counts 1, a business seat 1.5 on a single-aisle aircraft and 4 on a
 * twin-aisle one, divided by the load factor.
 *
 * Here as there, except where the timetable lacks a fact (each difference named):
 *   - distance: the great circle between the two airports (TIM's too);
 *   - aircraft: the schedule keeps no aircraft type per leg, only its seats, so the type is
 *     inferred from the seat count into four classes, each with the fuel burn of its typical
 *     type (regional jet, up to 100 seats, like an E175; single aisle, up to 230, like an A320;
 *     twin aisle, up to 350, like a 787-9; large twin aisle above, like a 777-300ER): a fixed
 *     landing and take-off cycle plus a burn per kilometre, fitted to the EEA's 2019 tables;
 *   - load factor: 0.8 everywhere (TIM takes each route's), and no cargo share (TIM removes
 *     the belly cargo's share of the fuel, a few per cent on most flights).
 * So the figures are comparable between itineraries (which is what a search needs: a label
 * against the route's typical and a sort) and within about 20 % of TIM's published ones. */
#ifndef CT_SEARCH_EMISSIONS_H
#define CT_SEARCH_EMISSIONS_H

#include <stddef.h>
#include <stdint.h>

#include "search/trip.h"

/* Grams of CO2e for one passenger in `cabin` on leg l (0 when its airports are unknown). */
int64_t ct_leg_co2e_g(const ct_timetable *tt, const ct_leg *l, ct_cabin cabin);

/* Sets every trip's co2e_g (the sum over its legs). */
void ct_trips_set_co2e(const ct_timetable *tt, ct_trip *items, size_t n, ct_cabin cabin);

/* The median co2e_g of the trips (the route's typical in this answer); 0 when n is 0. */
int64_t ct_trips_typical_co2e(const ct_trip *items, size_t n);

/* "lower" (10 % or more below typical), "higher" (10 % or more above) or "typical". */
const char *ct_co2e_label(int64_t g, int64_t typical_g);

#endif
