/* calendar.c: price calendars and date grids (see calendar.h; explore is explore.c). */
#include "search/calendar.h"

#include <string.h>

ct_status ct_calendar(const ct_timetable *tt, const ct_search_query *q, int ndays,
                      ct_day_price *out)
{
    if (q->price == NULL || ndays < 1)
        return CT_INVALID;
    for (int d = 0; d < ndays; d++) {
        ct_search_query day = *q;
        day.date = q->date + d;
        memset(&out[d], 0, sizeof(out[d]));
        if (day.date < tt->from_day || day.date > tt->to_day)
            continue;
        ct_status rc = ct_search_cheapest(tt, &day, &out[d].best, &out[d].found);
        if (rc)
            return rc;
    }
    return CT_OK;
}

ct_status ct_date_grid(const ct_timetable *tt, const ct_search_query *out,
                       const ct_search_query *ret, ct_grid_cell cells[49])
{
    ct_search_result a[7], b[7];
    memset(a, 0, sizeof(a));
    memset(b, 0, sizeof(b));
    memset(cells, 0, 49 * sizeof(ct_grid_cell));
    ct_status rc = CT_OK;
    for (int k = 0; k < 7 && !rc; k++) {
        ct_search_query qa = *out, qb = *ret;
        qa.date = out->date - 3 + k;
        qb.date = ret->date - 3 + k;
        if (qa.date >= tt->from_day && qa.date <= tt->to_day)
            rc = ct_search_oneway(tt, &qa, &a[k]);
        if (!rc && qb.date >= tt->from_day && qb.date <= tt->to_day)
            rc = ct_search_oneway(tt, &qb, &b[k]);
    }
    for (int d = 0; d < 7 && !rc; d++) {
        for (int r = 0; r < 7; r++) {
            if (ret->date - 3 + r < out->date - 3 + d)
                continue;
            cells[d * 7 + r].found =
                ct_trip_cheapest_pair(&a[d], &b[r], out->price, &cells[d * 7 + r].best);
        }
    }
    for (int k = 0; k < 7; k++) {
        ct_search_result_free(&a[k]);
        ct_search_result_free(&b[k]);
    }
    return rc;
}
