/* currency.h: the digits of a currency's minor unit (ISO 4217), and amounts written with them.
 *
 * Every amount in Contrail is an integer count of the currency's minor unit: cents of EUR,
 * whole yen, fils of KWD (a thousandth of a dinar). The number of those units in one major
 * unit is ISO 4217's "minor unit" column: 0 for BIF, CLP, DJF, GNF, ISK, JPY, KMF, KRW, PYG,
 * RWF, UGX, UYI, VND, VUV, XAF, XOF and XPF; 3 for BHD, IQD, JOD, KWD, LYD, OMR and TND; 2 for
 * every other code (the funds codes CLF and UYW with 4 are not priced and read as 2). This is
 * the one table: the search, the providers' clients, booking, notifications and the sandbox
 * all ask here. */
#ifndef CT_BASE_CURRENCY_H
#define CT_BASE_CURRENCY_H

#include <stddef.h>
#include <stdint.h>

/* Decimal digits of the minor unit of `code` (the first three characters): 0, 2 or 3. */
int ct_currency_digits(const char *code);

/* 10^digits as a double (1, 100 or 1000): minor units per major unit. */
double ct_currency_unit(int digits);

/* Writes `minor` units with `digits` decimals ("412.50", "61500", "12.345", "-0.05") into
 * out (at least 32 bytes); returns out. */
char *ct_currency_format(int64_t minor, int digits, char *out, size_t len);

#endif
