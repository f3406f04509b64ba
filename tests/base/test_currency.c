/* test_currency.c: ISO 4217 minor-unit digits (checked against ICU's currency data for the
 * codes where ISO and CLDR agree) and amounts written with them. */
#include "ct_test.h"

#include <unicode/ucurr.h>
#include <unicode/ustring.h>

#include <string.h>

#include "base/currency.h"

static int icu_digits(const char *code)
{
    UChar u[4];
    u_charsToUChars(code, u, 4);
    UErrorCode err = U_ZERO_ERROR;
    int32_t d = ucurr_getDefaultFractionDigits(u, &err);
    assert_false(U_FAILURE(err));
    return d;
}

static void digits_follow_iso_4217(void **state)
{
    (void)state;
    static const struct {
        const char *code;
        int digits;
    } cases[] = {{"EUR", 2}, {"USD", 2}, {"GBP", 2}, {"CHF", 2}, {"JPY", 0}, {"KRW", 0},
                 {"CLP", 0}, {"ISK", 0}, {"VND", 0}, {"XOF", 0}, {"KWD", 3}, {"BHD", 3},
                 {"OMR", 3}, {"JOD", 3}, {"TND", 3}, {"LYD", 3}, {"AED", 2}, {"SAR", 2},
                 {"QAR", 2}, {"INR", 2}, {"CNY", 2}, {"BRL", 2}, {"ZAR", 2}, {"MXN", 2}};
    for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
        assert_int_equal(ct_currency_digits(cases[i].code), cases[i].digits);
        /* ICU (CLDR) agrees on every one of these */
        assert_int_equal(icu_digits(cases[i].code), cases[i].digits);
    }
    /* IQD: ISO 4217 says 3 (CLDR rounds it to 0 for display; we follow ISO). */
    assert_int_equal(ct_currency_digits("IQD"), 3);
    assert_int_equal(ct_currency_digits(NULL), 2);
    assert_true(ct_currency_unit(0) == 1.0 && ct_currency_unit(2) == 100.0 &&
                ct_currency_unit(3) == 1000.0);
}

static void amounts_written_with_their_digits(void **state)
{
    (void)state;
    char b[32];
    assert_string_equal(ct_currency_format(41250, 2, b, sizeof(b)), "412.50");
    assert_string_equal(ct_currency_format(61500, 0, b, sizeof(b)), "61500");
    assert_string_equal(ct_currency_format(12345, 3, b, sizeof(b)), "12.345");
    assert_string_equal(ct_currency_format(5, 3, b, sizeof(b)), "0.005");
    assert_string_equal(ct_currency_format(-5, 2, b, sizeof(b)), "-0.05");
    assert_string_equal(ct_currency_format(0, 3, b, sizeof(b)), "0.000");
    assert_string_equal(ct_currency_format(INT64_MIN, 2, b, sizeof(b)), "-92233720368547758.08");
    assert_string_equal(ct_currency_format(123456, 3, b, 5), "123."); /* truncated, terminated */
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(digits_follow_iso_4217),
        cmocka_unit_test(amounts_written_with_their_digits),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
