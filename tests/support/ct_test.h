/* ct_test.h: the includes every cmocka test needs, in the order cmocka requires, and the
 * process set-up every test shares: jansson allocates through base/alloc.h (as in both
 * programs' main()), so ct_alloc_fail_after reaches JSON parsing in every test. The set-up
 * runs as a constructor, before the test's main(); every test includes this header. */
#ifndef CT_TEST_H
#define CT_TEST_H

#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include "base/alloc.h"

__attribute__((constructor)) static void ct_test_process_setup(void)
{
    ct_alloc_install_json();
}

#endif
