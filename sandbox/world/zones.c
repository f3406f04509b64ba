/* zones.c: transition tables (see zones.h). A transition is found by sampling the offset at
 * UTC noon of every day, then bisecting the day where it changed down to the second. */
#include "sandbox/world/zones.h"

#include "base/timeutil.h"

static int offset_of(const char *name, int64_t utc, ct_status *rc)
{
    ct_civil c;
    int off = 0;
    if (ct_tz_from_utc(name, utc, &c, &off) != CT_OK)
        *rc = CT_INVALID;
    return off;
}

ct_status sb_zone_build(sb_zone *z, const char *name, int64_t first_day, int64_t last_day)
{
    ct_status rc = CT_OK;
    z->name = name;
    z->ntrans = 0;
    int64_t prev_t = first_day * 86400 + 43200;
    int prev = offset_of(name, prev_t, &rc);
    z->offset[0] = prev;
    for (int64_t d = first_day + 1; !rc && d <= last_day; d++) {
        int64_t t = d * 86400 + 43200;
        int off = offset_of(name, t, &rc);
        if (off != prev && z->ntrans < SB_ZONE_MAX_TRANSITIONS) {
            int64_t lo = prev_t, hi = t; /* offset(lo) == prev, offset(hi) == off */
            while (hi - lo > 1) {
                int64_t mid = lo + (hi - lo) / 2;
                if (offset_of(name, mid, &rc) == prev)
                    lo = mid;
                else
                    hi = mid;
            }
            z->trans_utc[z->ntrans] = hi;
            z->offset[++z->ntrans] = off;
        }
        prev = off;
        prev_t = t;
    }
    return rc;
}

int sb_zone_offset_at(const sb_zone *z, int64_t utc)
{
    int i = 0;
    while (i < z->ntrans && utc >= z->trans_utc[i])
        i++;
    return z->offset[i];
}

int64_t sb_zone_to_utc(const sb_zone *z, int64_t local)
{
    int off = z->offset[0];
    for (int i = 0; i < z->ntrans; i++) {
        int before = z->offset[i], after = z->offset[i + 1];
        if (local - before < z->trans_utc[i])
            break; /* still before this transition (covers the first of a repeated hour) */
        if (local - after < z->trans_utc[i])
            return local - before; /* in the gap: shifted forward by its length */
        off = after;
    }
    return local - off;
}
