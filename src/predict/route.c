/* route.c: the advice for places named by code (see predict.h, ct_predict_route_codes): the
 * codes resolved to the timetable's airports as searches resolve them (a metro area to its
 * airports, else one airport), then ct_predict_route over a view of the pricebook. */
#include "predict/predict.h"

#include <ctype.h>
#include <math.h>
#include <string.h>

#include "refdata/refdata.h"

#define MAX_PLACE_AIRPORTS 8

/* Airport indices of a code into out; 0 when unknown. */
static int resolve(const ct_timetable *tt, const char *code, uint16_t out[MAX_PLACE_AIRPORTS])
{
    char upper[4];
    if (code == NULL || strlen(code) != 3)
        return 0;
    for (int i = 0; i < 3; i++)
        upper[i] = (char)toupper((unsigned char)code[i]);
    upper[3] = '\0';
    int n = 0;
    const ct_metro *metro = ct_refdata_metro(tt->rd, upper);
    for (int i = 0; metro != NULL && i < metro->nairports && n < MAX_PLACE_AIRPORTS; i++) {
        int a = ct_timetable_airport(tt, metro->airports[i]->iata);
        if (a >= 0)
            out[n++] = (uint16_t)a;
    }
    if (metro == NULL) {
        int a = ct_timetable_airport(tt, upper);
        if (a >= 0)
            out[n++] = (uint16_t)a;
    }
    return n;
}

ct_status ct_predict_route_codes(ct_predict_model *m, ct_pricebook *pb, const char *origin,
                                 const char *destination, int64_t day, int cabin, int64_t now,
                                 ct_predict_advice *out)
{
    if (m == NULL || pb == NULL)
        return CT_NOT_FOUND;
    const ct_timetable *tt = ct_pricebook_timetable(pb);
    uint16_t orig[MAX_PLACE_AIRPORTS], dest[MAX_PLACE_AIRPORTS];
    int norig = resolve(tt, origin, orig), ndest = resolve(tt, destination, dest);
    if (norig == 0 || ndest == 0)
        return CT_NOT_FOUND;
    ct_pb_view v;
    ct_pricebook_acquire(pb, &v);
    ct_status rc = ct_predict_route(m, &v, orig, norig, dest, ndest, day, cabin, now, out, NULL);
    ct_pricebook_release(pb, &v);
    return rc;
}

int64_t ct_predict_change_minor(const ct_predict_advice *a, int64_t price_minor)
{
    return (int64_t)llround(a->change * (double)price_minor);
}
