/* currency.c: ISO 4217 minor-unit digits and decimal text of amounts (see currency.h).
 * Two short sorted-by-hand lists (codes with 0 and with 3 digits) scanned linearly: they are
 * tiny and asked once per query or document, never per leg. */
#include "base/currency.h"

#include <stdio.h>
#include <string.h>

static const char *const zero_digits[] = {"BIF", "CLP", "DJF", "GNF", "ISK", "JPY",
                                          "KMF", "KRW", "PYG", "RWF", "UGX", "UYI",
                                          "VND", "VUV", "XAF", "XOF", "XPF"};
static const char *const three_digits[] = {"BHD", "IQD", "JOD", "KWD", "LYD", "OMR", "TND"};

static int listed(const char *code, const char *const *list, size_t n)
{
    for (size_t i = 0; i < n; i++) {
        if (strncmp(code, list[i], 3) == 0)
            return 1;
    }
    return 0;
}

int ct_currency_digits(const char *code)
{
    if (code == NULL)
        return 2;
    if (listed(code, zero_digits, sizeof(zero_digits) / sizeof(zero_digits[0])))
        return 0;
    if (listed(code, three_digits, sizeof(three_digits) / sizeof(three_digits[0])))
        return 3;
    return 2;
}

double ct_currency_unit(int digits)
{
    return digits <= 0 ? 1.0 : digits == 1 ? 10.0 : digits == 2 ? 100.0 : 1000.0;
}

char *ct_currency_format(int64_t minor, int digits, char *out, size_t len)
{
    char tmp[32], *p = tmp + sizeof(tmp);
    uint64_t u = minor < 0 ? (uint64_t)0 - (uint64_t)minor : (uint64_t)minor;
    digits = digits < 0 ? 0 : digits > 3 ? 3 : digits;
    *--p = '\0';
    for (int i = 0; i < digits; i++, u /= 10)
        *--p = (char)('0' + u % 10);
    if (digits > 0)
        *--p = '.';
    do {
        *--p = (char)('0' + u % 10);
        u /= 10;
    } while (u);
    if (minor < 0)
        *--p = '-';
    snprintf(out, len, "%s", p);
    return out;
}
