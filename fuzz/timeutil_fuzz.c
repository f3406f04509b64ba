/* timeutil_fuzz.c: libFuzzer driver for the ISO 8601 parsers of base/timeutil.h.
 *
 * The input, as a NUL-terminated string, goes to ct_date_parse ("YYYY-MM-DD") and to
 * ct_utc_parse (instants with Z or an offset), and its first line is also tried as an IANA
 * zone name (ct_tz_valid, then a conversion of a fixed instant both ways). What the parsers
 * accept is checked against the formatters: a parsed date formats back to the same text, a
 * parsed instant formats to text that parses to the same instant, and a date is a real one
 * (ct_date_valid). A broken promise is a __builtin_trap. */
#include <string.h>

#include "base/timeutil.h"
#include "fuzz.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    if (size > 256)
        return 0;
    char *s = fz_cstr(data, size);
    int64_t day;
    if (ct_date_parse(s, &day) == CT_OK) {
        char back[32];
        int y, m, d;
        ct_civil_from_days(day, &y, &m, &d);
        if (strcmp(ct_date_format(day, back, sizeof(back)), s) != 0 || !ct_date_valid(y, m, d))
            __builtin_trap();
    }
    ct_utc t, t2;
    if (ct_utc_parse(s, &t) == CT_OK) {
        char back[64];
        ct_utc_format(t, back, sizeof(back));
        if (ct_utc_parse(back, &t2) != CT_OK || t2 != t)
            __builtin_trap();
    }
    char *nl = strchr(s, '\n');
    if (nl != NULL)
        *nl = '\0';
    if (ct_tz_valid(s)) {
        ct_civil local;
        int off = 0;
        if (ct_tz_from_utc(s, 1790000000, &local, &off) == CT_OK &&
            (ct_tz_to_utc(s, &local, &t, &off) != CT_OK || off < -26 * 3600 || off > 26 * 3600))
            __builtin_trap();
    }
    free(s);
    return 0;
}
