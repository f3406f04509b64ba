/* report.h: the generated world measured against the realism targets of issue 15 (sandbox
 * only): busiest airports, the largest airlines' main hubs, the busiest routes and the named
 * trunks' frequencies, stage lengths, ultra-long-haul pairs, wide-body share and scale.
 *
 * Every figure is measured over the world's first full week (its flights as they operate,
 * both directions counted apart) against the facts of facts.h. Targets that do not apply to
 * the small world are printed as "n/a" and not counted: the named trunks' frequencies (its
 * trunks fly a fraction of their real frequency), 50,000 legs a day, the busiest-airports
 * overlap (its 65 airports hold barely more than 30 ranked ones, most at a minimum service)
 * and the long-haul share (seven countries on four continents, joined by long-haul). */
#ifndef CT_SANDBOX_REPORT_H
#define CT_SANDBOX_REPORT_H

#include <stdio.h>

#include "base/status.h"
#include "sandbox/world/world.h"

typedef struct sb_report {
    int checked; /* targets that apply */
    int failed;  /* of those, the ones missed */
} sb_report;

/* Measures `w`, writes one line per target to `out` ("PASS", "FAIL" or "n/a", the figure,
 * the target) and fills *rep. CT_NOMEM. */
ct_status sb_world_report(const sb_world *w, FILE *out, sb_report *rep);

#endif
