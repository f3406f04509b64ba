/* pricefill.h: a synthetic pricebook for engine and API tests.
 *
 * Four providers over a timetable: "air-a1" (an airline, USD, sells the carriers of
 * alliance a1), "ota-eur" (an agency, EUR, fee 12.00), "ota-jpy" (an agency, JPY, fee 1500),
 * "hop" (a self-transfer combiner, GBP, fee 18.00); carriers get alliances a1/a2/a3 or none
 * by index; the agencies overlap on a third of the carriers; fares per market and class and
 * seats per dated leg are deterministic draws, with about one leg in ten missing from each
 * provider's feed and one carrier in six sold by nobody (schedule-only). Rates: USD 1, EUR 0.92,
 * GBP 0.79, JPY 150. */
#ifndef CT_TEST_PRICEFILL_H
#define CT_TEST_PRICEFILL_H

#include "fares/pricebook.h"

ct_pricebook *ts_fill_pricebook(const ct_timetable *tt);

#endif
